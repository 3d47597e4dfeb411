"""The event engine gives the same witness whatever ran before it in the process (standard 4).

z3 numbers every term it creates in its context and its search depends on those numbers, so
in one shared context a `verify` worker that had already solved other runs found other
witnesses than `check` in a fresh process: that is how a lock-order edge witness that does
not replay came out of `verify --engine both` and of no `check`. Each run now has a z3
context of its own (values.new_run: an explicit z3.Context, no term in z3's main context).
These two unit models gave a different witness on their second run in one process before."""

from __future__ import annotations

import subprocess
import sys
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


WEAK = UNIT.parent / "weak"

# A weak run's results as text: each property's verdict, message and, for a weak violation,
# its execution graph (DOT) and step list: what a user sees.
_WEAK_RESULTS = """
import sys
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.frontend import load_model
from rmapcheck.report.weak_witness import weak_dot

def weak_results(path, mm):
    res = check_events(load_model(path), memory_model=mm)
    out = []
    for k, r in sorted(res.results.items()):
        wx = getattr(r, "execution", None)
        trace = getattr(r, "trace", None)
        out.append((k, r.verdict, r.message, weak_dot(wx) if wx is not None else None,
                    [(s.tid, s.line, s.op, s.note) for s in trace.steps] if trace is not None else None))
    return repr(out)
"""


def _weak_results(path: Path, mm: str) -> str:
    scope: dict = {}
    exec(_WEAK_RESULTS, scope)
    return scope["weak_results"](str(path), mm)


def _fresh_process(path: Path, mm: str) -> str:
    code = _WEAK_RESULTS + f"\nsys.stdout.write(weak_results({str(path)!r}, {mm!r}))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    return out.stdout


@pytest.mark.parametrize("path,mm", [(WEAK / "publish_chain.c", "lkmm"), (UNIT / "assert_lost_increment.c", "lkmm"),
                                     (UNIT / "assert_lost_increment.c", "tso"), (UNIT / "lock_leak_error_path.c", "tso")])
def test_weak_runs_in_one_process_give_a_fresh_process_results(path, mm):
    """Weak runs after other weak runs in one process: the same verdicts, messages, graphs and
    step lists as the run alone in a fresh process (each run has its own z3 context). With
    one z3 context shared by the runs, the unit models' witnesses here changed."""
    fresh = _fresh_process(path, mm)
    assert "violated" in fresh  # a witness to compare
    _weak_results(WEAK / "lb_relaxed.c", "lkmm")  # other weak runs' terms in between
    _weak_results(WEAK / "sb_relaxed.c", "lkmm")
    assert _weak_results(path, mm) == fresh
    assert _weak_results(path, mm) == fresh
