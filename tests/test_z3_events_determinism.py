"""The event engine gives the same witness whatever ran before it in the process (standard 4).

z3 numbers every term it creates in its context and its search depends on those numbers, so
in one shared context a `verify` worker that had already solved other runs found other
witnesses than `check` in a fresh process: that is how a lock-order edge witness that does
not replay came out of `verify --engine both` and of no `check`. Each run now starts a fresh
z3 context (values.reset_names). These two unit models gave a different witness on their
second run in one process before."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.frontend import load_model

UNIT = Path(__file__).resolve().parent / "models" / "unit"


def _witnesses(path: Path) -> dict:
    res = check_events(load_model(str(path)))
    return {k: (r.verdict, r.message, r.path.labels if r.path is not None else None) for k, r in res.results.items()}


@pytest.mark.parametrize("name", ["leak_overwrite_no_recheck.c", "invariant_flag_before_alloc.c"])
def test_same_witness_after_other_runs(name):
    first = _witnesses(UNIT / name)
    assert any(v[2] for v in first.values())  # the model has a witness to compare
    _witnesses(UNIT / "srcu_abba_deadlock.c")  # another model's terms in between
    assert _witnesses(UNIT / name) == first
    assert _witnesses(UNIT / name) == first
