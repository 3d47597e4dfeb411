"""Conformance of rmapcheck's memory models with the Linux kernel memory model (LKMM).

    python -m rmapcheck.report.conformance > docs/conformance.md

Runs every litmus test in tests/litmus/ under lkmm, ra, sc and tso, compares each result
with the LKMM result the test records in its `Result:` comment, and writes a
Markdown report: a table, then every disagreement with its direction (UNSOUND:
LKMM allows an outcome rmapcheck calls impossible; false alarm: rmapcheck
reports an outcome LKMM forbids) and its explanation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rmapcheck.litmus_known import KNOWN

# The LKMM results recorded in the kernel tree (tools/memory-model/litmus-tests and
# Documentation/litmus-tests): names and verdicts only, as facts to compare with.
RECORDED = {
    "CoRR+poonceonce+Once": "Never",
    "CoRW+poonceonce+Once": "Never",
    "CoWR+poonceonce+Once": "Never",
    "CoWW+poonceonce": "Never",
    "IRIW+fencembonceonces+OnceOnce": "Never",
    "IRIW+poonceonces+OnceOnce": "Sometimes",
    "ISA2+pooncelock+pooncelock+pombonce": "Never",
    "ISA2+poonceonces": "Sometimes",
    "ISA2+pooncerelease+poacquirerelease+poacquireonce": "Never",
    "LB+fencembonceonce+ctrlonceonce": "Never",
    "LB+poacquireonce+pooncerelease": "Never",
    "LB+poonceonces": "Sometimes",
    "LB+unlocklockonceonce+poacquireonce": "Never",
    "MP+fencewmbonceonce+fencermbonceonce": "Never",
    "MP+onceassign+derefonce": "Never",
    "MP+polockmbonce+poacquiresilsil": "Never",
    "MP+polockonce+poacquiresilsil": "Sometimes",
    "MP+polocks": "Never",
    "MP+poonceonces": "Sometimes",
    "MP+pooncerelease+poacquireonce": "Never",
    "MP+porevlocks": "Never",
    "MP+unlocklockonceonce+fencermbonceonce": "Never",
    "R+fencembonceonces": "Never",
    "R+poonceonces": "Sometimes",
    "S+fencewmbonceonce+poacquireonce": "Never",
    "S+poonceonces": "Sometimes",
    "SB+fencembonceonces": "Never",
    "SB+poonceonces": "Sometimes",
    "SB+rfionceonce-poonceonces": "Sometimes",
    "WRC+poonceonces+Once": "Sometimes",
    "WRC+pooncerelease+fencermbonceonce+Once": "Never",
    "Z6.0+pooncelock+poonceLock+pombonce": "Never",
    "Z6.0+pooncelock+pooncelock+pombonce": "Sometimes",
    "Z6.0+pooncerelease+poacquirerelease+fencembonceonce": "Sometimes",
    "dep+plain": "Never",
    "Atomic-RMW+mb__after_atomic-is-stronger-than-acquire": "Never",
    "Atomic-RMW-ops-are-atomic-WRT-atomic_set": "Never",
    "cmpxchg-fail-ordered-1": "Never",
    "cmpxchg-fail-ordered-2": "Never",
    "cmpxchg-fail-unordered-1": "Sometimes",
    "cmpxchg-fail-unordered-2": "Sometimes",
    "DCL-broken": "Sometimes",
    "DCL-fixed": "Never",
    "RM-broken": "DEADLOCK",
    "RM-fixed": "Never",
    "RCU+sync+free": "Never",
    "RCU+sync+read": "Never",
}

# The kernel's own litmus files are not in this repository (they are not ours to copy); this
# records the last run of rmapcheck on them, as measured.
KERNEL_RUN = (
    "The 47 litmus tests of the kernel tree (v6.19.10: tools/memory-model/litmus-tests, 35 files, and "
    "Documentation/litmus-tests, 12 files) were run as they are with `rmapcheck litmus FILE...` "
    "(2026-12-04): every one is accepted and run; under `lkmm` (the default) all 47 results match their "
    "`Result:` lines and the command exits 0. Under `ra`, the results that differ are the documented "
    "limitations of rmapcheck/litmus_known.py (LB+poonceonces, MP+polockonce+poacquiresilsil, "
    "ISA2+pooncelock+pooncelock+pombonce, MP+unlocklockonceonce+fencermbonceonce, and the kernel's "
    "RCU+sync+read, whose shape differs from the test of that name here), reported as `known "
    "limitation`, and the command exits 0. The tests in tests/litmus are this project's own tests of "
    "the same names and shapes, listed above with their results.")

# Recorded tests that have no test of the same shape in tests/litmus: (primitives, why not).
NOT_COVERED: dict = {}

# Why a test disagrees, per memory model (rmapcheck/litmus_known.py, where `rmapcheck litmus`
# finds its documented limitations); shown only when it does disagree.
EXPLAIN = {mm: {name: k.why for (m, name), k in KNOWN.items() if m == mm} for mm in ("ra",)}


def default_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "tests" / "litmus"


RACE_MODELS = ("lkmm", "ra")  # the memory models that check data races
MODELS = ("lkmm", "ra", "sc", "tso")


def classify(expected: str | None, got: str, memory_model: str) -> str:
    """agree | UNSOUND | false alarm | disagree | - (no expectation)."""
    if expected is None:
        return "-"
    ew, _, eflag = expected.partition(" ")
    gw, _, gflag = got.partition(" ")
    races_checked = memory_model in RACE_MODELS
    if ew == gw and (eflag == gflag or not races_checked):
        return "agree"
    if ew == gw:
        return "UNSOUND" if eflag else "false alarm"
    if gw == "incomplete":
        return "disagree"
    # an outcome LKMM allows that rmapcheck never reaches (or a race it misses)
    if gw == "Never" and ew in ("Sometimes", "Always"):
        return "UNSOUND"
    if ew == "Never" and gw in ("Sometimes", "Always"):
        return "false alarm"
    return "disagree"


def render(rows: list, seconds: dict) -> str:
    out = []
    w = out.append
    w("# Conformance with the Linux kernel memory model (LKMM)")
    w("")
    w("Generated by `python -m rmapcheck.report.conformance > docs/conformance.md` from the litmus tests "
      "in `tests/litmus/` (written for this project); do not edit by hand.")
    w("")
    w("Each test is run with `rmapcheck litmus` under every memory model. **LKMM** is the result the kernel "
      "tree records for the test of that name (tools/memory-model/litmus-tests, Documentation/litmus-tests), "
      "or, for the tests marked †, the result derived from LKMM's definitions (those names are not in the "
      "recorded list). `lkmm` (the default) enumerates every candidate execution and judges it by the axioms "
      "of linux-kernel.cat (rmapcheck/axioms/lkmm.py), as herd7 does; `ra` is the explicit engine's "
      "operational release/acquire model; `sc` and `tso` are the axioms of sequential consistency and "
      "x86-TSO, stronger than LKMM by design, shown for comparison (docs/memory-model.md). Directions of a "
      "disagreement:")
    w("")
    w("- **UNSOUND**: LKMM allows the outcome (`Sometimes`) and rmapcheck says `Never`, or LKMM flags a "
      "data race that rmapcheck misses: rmapcheck would call a reachable bug impossible.")
    w("- **false alarm**: LKMM forbids the outcome (`Never`) and rmapcheck says `Sometimes`, or rmapcheck "
      "reports a data race LKMM does not have.")
    w("")
    w("`DATARACE` follows the result when the test has a data race (LKMM's definition; `lkmm` and `ra` "
      "check races, `sc` and `tso` do not).")
    w("")
    head = ["Test", "Primitives", "LKMM", "lkmm", "lkmm vs LKMM", "ra", "ra vs LKMM", "sc", "tso",
            "executions (lkmm) / states (ra)"]
    w("| " + " | ".join(head) + " |")
    w("|" + "---|" * len(head))
    disagreements: dict = {mm: [] for mm in RACE_MODELS}
    counts: dict = {mm: {} for mm in RACE_MODELS}
    for path, res in rows:
        t = res["lkmm"].test
        derived = "" if t.name in RECORDED else " †"
        cls = {}
        for mm in RACE_MODELS:
            r = res[mm]
            c = classify(t.expected, r.result, mm)
            cls[mm] = c
            counts[mm][c] = counts[mm].get(c, 0) + 1
            if c not in ("agree", "-"):
                disagreements[mm].append((t, r, c))
        prims = ", ".join(f"`{p}`" if p != "plain accesses" else p for p in t.primitives())
        w(f"| [{t.name}](../tests/litmus/{path.name}){derived} | {prims} | {t.expected or '-'} | "
          f"{res['lkmm'].result} | {_mark(cls['lkmm'])} | {res['ra'].result} | {_mark(cls['ra'])} | "
          f"{res['sc'].result} | {res['tso'].result} | {res['lkmm'].explored} / {res['ra'].explored} |")
    w("")
    for mm in RACE_MODELS:
        c = counts[mm]
        parts = [f"{c.get(k, 0)} {k}" for k in ("agree", "UNSOUND", "false alarm", "disagree") if c.get(k)]
        w(f"Under `{mm}`: {len(rows)} tests, " + ", ".join(parts) + ".")
        w("")
    w("Run time: " + ", ".join(f"{seconds.get(mm, 0):.1f} s under `{mm}`" for mm in MODELS) + ".")
    w("")
    for mm in RACE_MODELS:
        w(f"## Disagreements under `{mm}`")
        w("")
        if not disagreements[mm]:
            w("None.")
            w("")
        for t, r, c in disagreements[mm]:
            w(f"### {t.name}: {c} (LKMM {t.expected}, {mm} {r.result})")
            w("")
            w(EXPLAIN.get(mm, {}).get(t.name, "**Not explained yet**: investigate before relying on this result."))
            w("")
    hiding = [t.name for t, r, c in disagreements["ra"] if "plain accesses" in t.primitives()]
    if hiding:
        w("Disagreements under `ra` in tests with plain accesses (check that they do not hide a data race): "
          + ", ".join(hiding) + ".")
    else:
        w("No disagreement under `ra` is in a test with a plain access, so none of them can hide a data race; "
          "the tests with plain accesses (" + ", ".join(
              sorted(res["ra"].test.name for _, res in rows if "plain accesses" in res["ra"].test.primitives()))
          + ") agree, races included.")
    w("")
    if NOT_COVERED:
        w("## Recorded tests not covered")
        w("")
        w("These LKMM tests have no test of the same shape in tests/litmus yet:")
        w("")
        w("| Test | LKMM | Primitives | Why not |")
        w("|---|---|---|---|")
        for name, (prims, why) in NOT_COVERED.items():
            w(f"| {name} | {RECORDED[name]} | {prims} | {why} |")
        w("")
    w("## The kernel's own files")
    w("")
    w(KERNEL_RUN)
    w("")
    w("## Translation notes")
    w("")
    w("- `rcu_read_lock()`, `rcu_read_unlock()` and `synchronize_rcu()` use one global `struct srcu_struct`; "
      "under `lkmm` its operations are LKMM's Rcu-lock, Rcu-unlock and Sync-rcu events. "
      "`rcu_assign_pointer()` is a release store (as in LKMM) and `rcu_dereference()` a `READ_ONCE()` under "
      "`lkmm` (as in LKMM: what depends on the pointer is ordered by the address dependency), but an "
      "acquire load under `ra`: stronger than LKMM there, so an access after it that does not depend on "
      "the pointer is ordered under `ra` and not in LKMM, a possible source of UNSOUND results under `ra` "
      "that none of these tests exercises.")
    w("- `smp_mb__after_spinlock()` must follow a lock acquisition directly: under `lkmm` it is LKMM's "
      "After-spinlock fence, under `ra` `smp_mb()` at its place (which orders the same accesses plus the lock "
      "acquisition itself).")
    w("- `spin_is_locked(l)` is a `READ_ONCE()` of the lock word; under `lkmm` it is lock.cat's RL or RU "
      "event (see MP+polockonce+poacquiresilsil).")
    w("- Positive and Negative count distinct final states (of the locations and registers the test "
      "shows), not executions as herd7 does; the verdict word is the same.")
    w("")
    return "\n".join(out)


def _mark(c: str) -> str:
    return {"agree": "agree", "-": "-"}.get(c, f"**{c}**")


def generate(directory: Path | None = None) -> str:
    directory = directory or default_dir()
    from rmapcheck.litmus import run_litmus

    seconds = {}
    paths = sorted(directory.glob("*.litmus"), key=lambda p: p.name.lower())
    per = {p: {} for p in paths}
    for mm in MODELS:
        t0 = time.monotonic()
        for p in paths:
            per[p][mm] = run_litmus(str(p), mm)
        seconds[mm] = time.monotonic() - t0
    rows = [(p, per[p]) for p in paths]
    return render(rows, seconds)


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rmapcheck.report.conformance",
                                 description="Write docs/conformance.md (Markdown, to stdout).")
    ap.add_argument("--dir", type=Path, default=None, help="the litmus tests (default: tests/litmus)")
    args = ap.parse_args(argv)
    from rmapcheck.errors import ModelError, RmapcheckError

    try:
        sys.stdout.write(generate(args.dir))
    except ModelError as e:
        sys.stderr.write(e.render() + "\n")
        return 2
    except RmapcheckError as e:
        sys.stderr.write(f"rmapcheck: error: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
