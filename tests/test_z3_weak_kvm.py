"""B6 under x86-TSO and LKMM on the KVM models (the z3 event engine, weak.py), as
`rmapcheck verify --memory-model lkmm --memory-model tso` runs them: the @configs of 10, 15 and 16
that name lkmm or tso (one address space, one slot: sc's configurations take 20 minutes and more
a property under lkmm), every verdict as the model's @expect says and `verify` exits 0 (what a
weak model cannot decide is acknowledged with `@expect MM PROP unsupported`).

What the verdicts must show, whatever the @expect lines say (tests that can fail):
* CREATE of the free id (WRITER_CHANGE=0: one allocation, one reader): B6's mutants 15
  (WRITE_ONCE publication) and 16 (READ_ONCE read of the flag) violate rmaps-present under lkmm,
  Linux 5.17 (10, release/acquire) holds everything; under tso all three hold (x86 keeps stores
  in order and loads in order).
* FLAGS_ONLY (WRITER_CHANGE=3) in the mutants: the commit hook's walk too (commit-rmaps) under
  lkmm, nothing under tso. (10 in that configuration is in docs/memory-model.md: minutes, not here.)
* Every bundled model under tso in the B6 configuration: every decided verdict is the explicit
  engine's sc verdict in the same configuration (x86-TSO reorders only a store before a later
  load of another cell, and no design's correctness hangs on such a pair). The models' tso runs
  in sc's configurations (`@config tso`: minutes each) are measured in docs/memory-model.md.
* Every model declaring lkmm in the B6 configuration (all but 07: too slow): each sc
  violation is an lkmm one, and each lkmm violation sc does not have is in LKMM_ONLY (B6 in 02,
  15, 16; 6.19's lockless aging walk in 17), read from its witness in docs/memory-model.md.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import HOLDS, UNSUPPORTED, VIOLATED
from rmapcheck.runner import check_program
from rmapcheck.verify import OK

ROOT = Path(__file__).resolve().parent.parent
B6 = "NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0"
FLAGS_ONLY = "NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=3"
MUTANTS = ("15_mutant_flag_relaxed_store.c", "16_mutant_flag_relaxed_load.c")
BUNDLED = tuple(sorted(p.name for p in (ROOT / "models").glob("*.c")))


def _verify(names, mm, config):
    """Each (model, property): the verdict got (every decided one as expected)."""
    return {k: x["got"] for k, x in _verify_rows(names, mm, config).items()}


@functools.lru_cache(maxsize=None)
def _verify_rows(names, mm, config):
    """(Each verify made once per session: the B6 tests and the every-model tests share it.) The CLI, each call its own process, as CI runs it. (z3 queries of a weak run took 30 s
    each, from under 1 s, after other runs in one shared z3 context; each run has its own
    context now: docs/memory-model.md, What the time is.)"""
    r = subprocess.run([sys.executable, "-m", "rmapcheck", "verify", "--format", "json", "--memory-model", mm,
                        "--config", config, "-j", "2", *[f"models/{n}" for n in names]],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    rows = json.loads(r.stdout)["rows"]
    assert rows and all(x["memory_model"] == mm and x["config"] == config for x in rows)
    for x in rows:  # every verdict as expected; what a weak model cannot decide: unsupported, acknowledged
        assert x["status"] == OK, x
        assert x["got"] != UNSUPPORTED or _undecidable(x), x
    assert r.returncode == 0, r.stdout  # every expectation met, each unsupported property acknowledged
    return {(Path(x["model"]).name, x["prop"]): x for x in rows}


def _undecidable(row) -> bool:
    """What the event engine leaves `unsupported` under tso/lkmm in a KVM model (engines/z3ev/
    weak.py): an @invariant, no-deadlock (when no deadlock of lock waits alone exists) and no-leak
    when an execution may end waiting in synchronize_srcu for good (lifetime.srcu_hang: 12), and
    no-data-race under lkmm."""
    name = Path(row["model"]).name
    invariants = {inv.prop for inv in load_model(str(ROOT / "models" / name)).invariants}
    return row["prop"] in invariants \
        or (row["prop"] in ("no-deadlock", "no-leak") and "synchronize_srcu" in row["detail"]) \
        or (row["prop"] == "no-data-race" and row["memory_model"] == "lkmm")


@pytest.mark.parametrize("mm", ["lkmm", "tso"])
def test_b6_is_an_lkmm_behaviour_not_an_x86_one(mm):
    got = _verify(BUNDLED, mm, B6)  # the every-model run below
    for m in MUTANTS:
        assert got[(m, "rmaps-present")] == (VIOLATED if mm == "lkmm" else HOLDS)
    decided = {p: v for (m, p), v in got.items() if m == "10_5.17.c" and v != UNSUPPORTED}
    assert decided and set(decided.values()) == {HOLDS}, decided


@pytest.mark.parametrize("mm", ["lkmm", "tso"])
def test_b6_in_the_flags_only_commit_hook(mm):
    got = _verify(MUTANTS, mm, FLAGS_ONLY)
    for m in MUTANTS:
        want = VIOLATED if mm == "lkmm" else HOLDS
        assert got[(m, "commit-rmaps")] == want and got[(m, "rmaps-present")] == want


@functools.lru_cache(maxsize=None)
def _sc_verdicts(name: str, config: str) -> dict:
    """The explicit engine's sc verdicts of a model in a configuration: what tso and lkmm are
    compared with (another engine, another memory model)."""
    cfg = {k: int(v) for k, v in (d.split("=") for d in config.split())}
    res = check_program(load_model(str(ROOT / "models" / name), cfg))
    assert res.stats.complete
    return {r.name: r.verdict for r in res.results.values()}


def test_every_model_under_tso_is_as_under_sc():
    """Decided: tso's verdict is sc's. Unsupported (an @invariant; 12's no-deadlock and no-leak,
    a wait in synchronize_srcu that may be for good): acknowledged by `@expect tso PROP
    unsupported`, no verdict."""
    rows = _verify_rows(BUNDLED, "tso", B6)
    assert {m for m, _ in rows} == set(BUNDLED) == _declaring("tso", B6)
    for name in BUNDLED:
        sc = _sc_verdicts(name, B6)
        mine = {p: x for (m, p), x in rows.items() if m == name}
        assert any(x["got"] != UNSUPPORTED for x in mine.values()), name
        for p, x in mine.items():  # unsupported: acknowledged (above), no verdict to compare
            assert x["got"] == UNSUPPORTED or sc[p] == x["got"], (name, p, x, sc[p])


# lkmm violations sc does not have, each read from its witness and explained in
# docs/memory-model.md ("Every bundled model under lkmm") and the model's comment
LKMM_ONLY = {
    ("02_review_sketch_literal.c", "rmaps-present"): "B6: the fast path's plain read of the flag",
    ("15_mutant_flag_relaxed_store.c", "rmaps-present"): "B6: the flag's WRITE_ONCE",
    ("16_mutant_flag_relaxed_load.c", "rmaps-present"): "B6: the flag's READ_ONCE",
    ("17_6.19.c", "aging-null-deref"): "the aging walk behind READ_ONCE of a plain ++ count",
}


def _declaring(mm: str, config: str) -> set:
    """The bundled models that declare a run of mm in this configuration."""
    cfg = {k: int(v) for k, v in (d.split("=") for d in config.split())}
    out = set()
    for name in BUNDLED:
        meta = load_model(str(ROOT / "models" / name)).meta
        if any(c == cfg and m == mm for c, m in zip(meta.configs, meta.config_mms)):
            out.add(name)
    return out


def test_every_model_under_lkmm_keeps_sc_and_adds_only_what_is_explained():
    """Every sc violation is an lkmm one (LKMM allows every sc execution); an lkmm violation sc
    does not have is one of LKMM_ONLY; an unsupported property is acknowledged (`@expect lkmm
    PROP unsupported`)."""
    rows = _verify_rows(BUNDLED, "lkmm", B6)
    declared = _declaring("lkmm", B6)  # the others: too slow for CI (docs/memory-model.md)
    assert {m for m, _ in rows} == declared and set(MUTANTS) | {"10_5.17.c"} <= declared
    for name in sorted(declared):
        sc = _sc_verdicts(name, B6)
        mine = {p: x for (m, p), x in rows.items() if m == name}
        for p, x in mine.items():
            if x["got"] == UNSUPPORTED:  # acknowledged (above), no verdict to compare (no-data-race: no sc row)
                continue
            want = VIOLATED if (name, p) in LKMM_ONLY else sc[p]
            assert x["got"] == want, (name, p, x, sc[p])

