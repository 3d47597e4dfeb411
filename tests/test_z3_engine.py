"""The z3 engine against the explicit engine: same IR, same properties, same verdicts.

For every property: a violation the explicit engine finds, z3 BMC finds too, with a trace
no longer (in transitions) than the explicit engine's shortest; a property the explicit
engine proves, z3 never reports violated, and `prove` proves it (on the models listed
here; the others are in the slow set). Every z3 counterexample has been replayed through
the explicit executor before it is reported (the engine raises InternalError otherwise).

The slow comparisons (the bundled KVM models, the larger unit models) run when the
environment variable RMAPCHECK_SLOW is set: `RMAPCHECK_SLOW=1 python -m pytest tests/test_z3_engine.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rmapcheck.engines.explicit.search import Limits, explore
from rmapcheck.engines.z3 import check_z3
from rmapcheck.errors import InternalError
from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import HOLDS, INCOMPLETE, UNKNOWN, VIOLATED

TESTS = Path(__file__).parent
MODELS = TESTS / "models"
KVM = TESTS.parent / "models"
SLOW = bool(os.environ.get("RMAPCHECK_SLOW"))
slow = pytest.mark.skipif(not SLOW, reason="slow z3 comparison: set RMAPCHECK_SLOW=1")

# unit models where BMC is complete (or finds everything) within seconds
BMC_FAST = [
    "unit/alloc_fail_budget.c", "unit/assert_locked_increment.c", "unit/assert_lost_increment.c",
    "unit/bad_unlock_not_held.c", "unit/bad_unlock_other_owner.c", "unit/bad_unlock_srcu.c",
    "unit/break_inner_loop.c", "unit/break_inner_loop_fixed.c", "unit/cs_fewest_switches.c",
    "unit/double_free_cleared.c", "unit/double_free_error_path.c", "unit/heap_symmetry.c",
    "unit/invariant_flag_after_alloc.c", "unit/invariant_flag_before_alloc.c",
    "unit/leak_overwrite_no_recheck.c", "unit/leak_overwrite_recheck.c", "unit/lock_leak_error_path.c",
    "unit/lock_leak_error_path_fixed.c", "unit/lock_leak_srcu_section.c", "unit/lock_order_abba_deadlock.c",
    "unit/lock_order_consistent.c", "unit/lock_order_cycle_no_deadlock.c",
    "unit/lock_order_serialized_threads.c", "unit/null_deref_checked_alloc.c",
    "unit/null_deref_unchecked_alloc.c", "unit/oob_heap_index.c", "unit/oob_in_bounds.c",
    "unit/oob_off_by_one.c", "unit/srcu_abba_deadlock.c", "unit/srcu_abba_fixed.c",
    "unit/srcu_grace_period.c", "unit/uaf_free_after_grace_period.c", "unit/uaf_free_without_grace_period.c",
    "unit/warn_retry_after_partial.c", "unit/warn_retry_skips_allocated.c",
    "regress/leading_assert.c", "regress/negative_shift.c", "readme_example.c", "z3_heap_arith.c",
    "z3_width_lift.c",
]
BMC_SLOW = ["unit/bad_unlock_balanced.c", "unit/lost_update_array_copy.c", "unit/lost_update_array_copy_locked.c",
            "unit/limits_counter_grid.c", "toy_copy_lost.c"]
# unit models that Spacer settles within a few seconds
PROVE_FAST = [
    "unit/alloc_fail_budget.c", "unit/assert_lost_increment.c", "unit/bad_unlock_not_held.c",
    "unit/bad_unlock_other_owner.c", "unit/bad_unlock_srcu.c", "unit/cs_fewest_switches.c",
    "unit/invariant_flag_after_alloc.c", "unit/invariant_flag_before_alloc.c", "unit/lock_leak_srcu_section.c",
    "unit/lock_order_cycle_no_deadlock.c", "unit/null_deref_checked_alloc.c", "unit/null_deref_unchecked_alloc.c",
    "unit/oob_heap_index.c", "unit/oob_in_bounds.c", "unit/oob_off_by_one.c", "regress/leading_assert.c",
    "regress/negative_shift.c",
]


def _present(names):
    return [n for n in names if (MODELS / n).exists()]


def _explicit(program, **kw):
    return explore(program, Limits(**kw))


def _compare(program, ex, z, mode: str, require_prove: bool) -> list:
    """Problems: disagreements, missed violations, longer traces, proofs that failed."""
    problems = []
    for name, e in ex.results.items():
        r = z.results[name]
        if e.verdict == VIOLATED:
            if r.verdict == HOLDS:
                problems.append(f"{name}: explicit violated, z3 {mode} holds")
            elif r.verdict != VIOLATED:
                problems.append(f"{name}: explicit violated, z3 {mode} {r.verdict} ({r.message})")
            elif len(r.path.labels) > len(e.path.labels):
                problems.append(f"{name}: z3 trace of {len(r.path.labels)} transitions, explicit {len(e.path.labels)}")
        elif e.verdict == HOLDS:
            if r.verdict == VIOLATED:
                problems.append(f"{name}: explicit holds, z3 {mode} violated ({r.message})")
            elif require_prove and r.verdict != HOLDS:
                problems.append(f"{name}: explicit holds, z3 {mode} {r.verdict} ({r.message})")
        if r.verdict == VIOLATED:
            assert r.path is not None
    return problems


def _run_pair(rel: str, mode: str, timeout: float, require_prove: bool):
    program = load_model(str(MODELS / rel) if not rel.startswith("/") else rel)
    ex = _explicit(program)
    assert ex.stats.complete
    z = check_z3(program, mode, Limits(timeout=timeout))
    return _compare(program, ex, z, mode, require_prove), z


@pytest.mark.parametrize("rel", _present(BMC_FAST))
def test_bmc_matches_explicit(rel):
    problems, z = _run_pair(rel, "bmc", 120, require_prove=False)
    assert not problems, problems


@slow
@pytest.mark.parametrize("rel", _present(BMC_SLOW))
def test_bmc_matches_explicit_slow(rel):
    problems, z = _run_pair(rel, "bmc", 300, require_prove=False)
    assert not problems, problems


@pytest.mark.parametrize("rel", _present(PROVE_FAST))
def test_prove_matches_explicit(rel):
    problems, z = _run_pair(rel, "prove", 120, require_prove=True)
    assert not problems, problems


@slow
@pytest.mark.parametrize("rel", _present(sorted(set(BMC_FAST + BMC_SLOW) - set(PROVE_FAST))))
def test_prove_matches_explicit_slow(rel):
    problems, z = _run_pair(rel, "prove", 120, require_prove=False)
    assert not problems, problems


def test_too_large_for_explicit_but_proved_by_z3():
    """A million value combinations: the explicit engine stops at its state limit, z3 proves
    every property (Spacer, with the inductive invariant used <= BUDGET)."""
    program = load_model(str(MODELS / "z3_wide_nondet.c"))
    ex = _explicit(program, max_states=50_000)
    assert not ex.stats.complete
    assert all(r.verdict == INCOMPLETE for r in ex.results.values())
    z = check_z3(program, "prove", Limits(timeout=180))
    assert {n: r.verdict for n, r in z.results.items()} == {n: HOLDS for n in z.results}


def test_bmc_keeps_the_limits_the_facts_cannot_exclude():
    """The inductive facts drop most encoding limits from BMC's queries (tests/models/
    z3_heap_arith.c: all but one), but a limit a run can reach stays: in z3_width_lift.c the
    sum needs 17 bits, BMC hits the 16-bit limit, widens to 32 bits and finds the violation."""
    z = check_z3(load_model(str(MODELS / "z3_heap_arith.c")), "bmc", Limits(timeout=120))
    kept, total = map(int, z.z3_stats["limits"].split(" + ")[-1].split("/"))
    assert kept < total
    z = check_z3(load_model(str(MODELS / "z3_width_lift.c")), "bmc", Limits(timeout=120))
    assert z.z3_stats["width"] == 32
    assert z.results["assertions"].verdict == VIOLATED


def test_prove_timeout_is_unknown_never_holds():
    program = load_model(str(MODELS / "z3_wide_nondet.c"))
    z = check_z3(program, "prove", Limits(timeout=0.5))
    assert all(r.verdict in (UNKNOWN, VIOLATED, HOLDS) for r in z.results.values())
    assert any(r.verdict == UNKNOWN for r in z.results.values())
    assert not any(r.verdict == VIOLATED for r in z.results.values())


def test_bmc_depth_bound_is_incomplete_not_holds():
    program = load_model(str(MODELS / "unit" / "srcu_grace_period.c"))
    z = check_z3(program, "bmc", Limits(max_depth=3))
    held = [r for r in z.results.values() if r.verdict != VIOLATED]
    assert held and all(r.verdict == INCOMPLETE for r in held)
    assert not z.stats.complete


def test_bmc_complete_when_nothing_can_move():
    program = load_model(str(MODELS / "unit" / "srcu_grace_period.c"))
    z = check_z3(program, "bmc", Limits(timeout=120))
    assert z.stats.complete
    assert z.results["gp-ignores-later-readers"].verdict == VIOLATED
    assert z.results["gp-waits-for-earlier-readers"].verdict == HOLDS


def test_a_trace_that_does_not_replay_is_an_internal_error(monkeypatch):
    from rmapcheck.engines.z3 import bmc

    def bogus(sysm, model, steps, last_any=False):
        return [(0, ())] * len(steps)

    monkeypatch.setattr(bmc, "labels_from_model", bogus)
    program = load_model(str(MODELS / "unit" / "lock_leak_error_path.c"))
    with pytest.raises(InternalError):
        check_z3(program, "bmc", Limits(timeout=60))


def test_replay_failure_exits_4(monkeypatch):
    from rmapcheck import cli
    from rmapcheck.engines.z3 import bmc

    monkeypatch.setattr(bmc, "labels_from_model", lambda *a, **k: [(0, (5,))])
    code = cli.main(["check", str(MODELS / "unit" / "bad_unlock_not_held.c"), "--engine", "z3", "--mode", "bmc"])
    assert code == 4


def z3_claims_holds(monkeypatch, prop: str) -> None:
    """Make z3 wrong: it says `prop` holds whatever it found (for the disagreement tests)."""
    from rmapcheck.engines.z3 import both

    real = both.check_z3

    def wrong(program, mode, limits, progress=None):
        res = real(program, mode, limits, progress)
        r = res.results[prop]
        r.verdict, r.path, r.message = HOLDS, None, ""
        return res

    monkeypatch.setattr(both, "check_z3", wrong)


def test_disagreement_is_an_error_and_exit_1(monkeypatch, capsys):
    from rmapcheck import cli

    z3_claims_holds(monkeypatch, "no-bad-unlock")
    code = cli.main(["check", str(MODELS / "unit" / "bad_unlock_not_held.c"), "--engine", "both", "--mode", "bmc",
                     "--trace-format", "none"])
    out = capsys.readouterr().out
    assert code == 1
    assert "ENGINES DISAGREE on: no-bad-unlock" in out
    assert "engines disagree: explicit says violated" in out


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], capture_output=True, text=True)


def test_cli_z3_refuses_weak_memory():
    r = run_cli("check", str(MODELS / "unit" / "srcu_grace_period.c"), "--engine", "z3", "--memory-model", "ra")
    assert r.returncode == 2
    assert "not encoded for z3" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_both_agree_and_show_invariant():
    r = run_cli("check", str(MODELS / "unit" / "bad_unlock_not_held.c"), "--engine", "both", "--show-invariant",
                "--trace-format", "steps", "--timeout", "120")
    assert r.returncode == 1, r.stderr  # the model's no-bad-unlock is violated
    assert "engines agree" in r.stdout
    assert "inductive invariant" in r.stdout
    assert "z3:" in r.stdout and "conflicts" in r.stdout
    r = run_cli("check", str(MODELS / "z3_wide_nondet.c"), "--engine", "z3", "--show-invariant", "--timeout", "120")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "inductive invariant (Spacer):" in r.stdout


def test_cli_bmc_max_depth_exits_3():
    r = run_cli("check", str(MODELS / "unit" / "srcu_abba_fixed.c"), "--engine", "z3", "--mode", "bmc",
                "--max-depth", "2", "--trace-format", "none")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "incomplete" in r.stdout


def test_cli_bmc_depth_bounds_z3_only():
    """--bmc-depth stops z3's BMC (exit 3 alone); under --engine both the explicit engine still
    decides every property, and z3 says what depth it reached. Without BMC it is a usage error."""
    model = str(MODELS / "unit" / "srcu_abba_fixed.c")
    r = run_cli("check", model, "--engine", "z3", "--mode", "bmc", "--bmc-depth", "2", "--trace-format", "none")
    assert r.returncode == 3 and "depth 2, " in r.stdout and "INCOMPLETE (max-depth)" in r.stdout
    r = run_cli("check", model, "--engine", "both", "--mode", "bmc", "--bmc-depth", "2", "--trace-format", "none")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    start = next(k for k, ln in enumerate(lines) if ln.startswith("-----")) + 1  # under the table's rule
    rows = [line.split()[:2] for line in lines[start:] if line[:1].isalpha()][:11]
    assert len(rows) == 11 and all(v == "holds" for _, v in rows)
    assert "\nz3 bmc: depth 2, stopped (max-depth)\n" in r.stdout
    for args in (["--engine", "both"], ["--engine", "z3", "--mode", "prove"], []):
        r = run_cli("check", model, *args, "--bmc-depth", "2")
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr == ("rmapcheck: error: --bmc-depth bounds z3's bounded model checking: it needs "
                            "--engine z3 or both with --mode bmc\n")


def test_unknown_is_never_holds():
    """A timeout too short for Spacer gives 'unknown' (exit 3), never 'holds'."""
    program = load_model(str(MODELS / "unit" / "bad_unlock_balanced.c"))
    z = check_z3(program, "prove", Limits(timeout=0.5))
    assert all(r.verdict in (UNKNOWN, VIOLATED, HOLDS) for r in z.results.values())
    ex = _explicit(program)
    for name, r in z.results.items():
        if r.verdict == HOLDS:
            assert ex.results[name].verdict == HOLDS
    assert any(r.verdict == UNKNOWN for r in z.results.values())


# -- the KVM models (models/), when they are there ------------------------------------------------

def _kvm_models():
    return sorted(str(p) for p in KVM.rglob("*.c")) if KVM.is_dir() else []


def _kvm_short(rel: str, depth: int, expect: dict):
    """z3 BMC to `depth` on a KVM model finds these violations with traces no longer than the
    explicit engine's shortest ({property: explicit length}, from the explicit engine)."""
    program = load_model(str(KVM / rel))
    ex = _explicit(program)
    assert ex.stats.complete
    for name, n in expect.items():
        assert ex.results[name].verdict == VIOLATED and len(ex.results[name].path.labels) == n
    z = check_z3(program, "bmc", Limits(max_depth=depth, timeout=1800))
    for name, e in ex.results.items():
        r = z.results[name]
        if e.verdict == HOLDS:
            assert r.verdict != VIOLATED, (name, r.message)
        if name in expect:
            assert r.verdict == VIOLATED, (name, r.verdict, r.message)
            assert len(r.path.labels) <= len(e.path.labels)


@pytest.mark.skipif(not (KVM / "14_mutant_flag_before_alloc.c").exists(), reason="no KVM models")
def test_kvm_bmc_mutant_flag_before_alloc_invariant():
    """models/14: the active-rmaps invariant breaks after 5 transitions; BMC finds it at depth 5."""
    _kvm_short("14_mutant_flag_before_alloc.c", 5, {"active-rmaps": 5})


KVM_SHORT = [
    ("14_mutant_flag_before_alloc.c", 9, {"active-rmaps": 5, "rmaps-present": 9}),
    ("12_mutant_lock_across_sync.c", 12, {"lock-order": 7, "no-deadlock": 12}),
    ("01_seed_v2.c", 6, {"no-lock-leak": 4, "no-deadlock": 6}),
    ("05_v3.c", 8, {"no-lock-leak": 4, "no-deadlock": 8}),
    ("06_v4.c", 8, {"no-lock-leak": 4, "no-deadlock": 8}),
    ("02_review_sketch_literal.c", 13, {"active-rmaps": 11, "rmaps-present": 14}),
    ("03_review_sketch_inner_break.c", 11, {"active-rmaps": 11}),
]


@slow
@pytest.mark.parametrize("rel,depth,expect", [k for k in KVM_SHORT if (KVM / k[0]).exists()])
def test_kvm_bmc_short_violations(rel, depth, expect):
    _kvm_short(rel, depth, expect)


@slow
@pytest.mark.parametrize("path", _kvm_models())
def test_kvm_bmc_finds_every_explicit_violation(path):
    program = load_model(path)
    ex = _explicit(program, timeout=300)
    if not ex.stats.complete:
        pytest.skip("the explicit engine does not finish on this model")
    z = check_z3(program, "bmc", Limits(timeout=600))
    problems = _compare(program, ex, z, "bmc", require_prove=False)
    assert not problems, problems


@slow
@pytest.mark.parametrize("path", _kvm_models())
def test_kvm_prove_agrees(path):
    program = load_model(path)
    ex = _explicit(program, timeout=300)
    if not ex.stats.complete:
        pytest.skip("the explicit engine does not finish on this model")
    z = check_z3(program, "prove", Limits(timeout=60))
    problems = [p for p in _compare(program, ex, z, "prove", require_prove=False) if "z3 prove violated" in p
                or "holds, z3 prove violated" in p or "violated, z3 prove holds" in p]
    assert not problems, problems


def test_pcs_on_a_cycle_are_those_that_reach_themselves():
    """_in_cycle (networkx's strongly connected components) against the definition: a pc lies on a
    cycle iff it can reach itself in one step or more, on every thread of the unit models."""
    from rmapcheck.engines.z3.system import _in_cycle
    from rmapcheck.ir.liveness import successors

    checked = 0
    for path in sorted((MODELS / "unit").glob("*.c")):
        for th in load_model(str(path)).threads:
            code = th.code
            succ = {pc: [w for w in successors(code, pc) if 0 <= w < len(code)] for pc in range(len(code))}
            expected = set()
            for pc in succ:
                seen, todo = set(), list(succ[pc])
                while todo:
                    w = todo.pop()
                    if w not in seen:
                        seen.add(w)
                        todo.extend(succ[w])
                if pc in seen:
                    expected.add(pc)
            assert _in_cycle(code) == expected, (path.name, th.name)
            checked += bool(expected)
    assert checked >= 3  # threads with loops were among them
