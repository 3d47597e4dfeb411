"""The z3 engine (the event engine, rmapcheck/engines/z3ev) through `--engine z3|both`: the
plumbing that compares it with the explicit engine, its exit codes, and what it decides that
the explicit engine cannot.

The verdict comparisons themselves are in tests/test_z3_events.py (every unit, atomics and
regress model, every property), tests/test_z3_events_kvm.py (KVM models; no-leak on all 17)
and tests/test_verify_both.py (every KVM model's default sc configuration, both engines). The
interleaving encoding these tests once exercised (bmc, Spacer's prove) was removed; its
options exit 2 saying what replaces them. Nothing here is skipped or opt-in.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rmapcheck.engines.explicit.search import Limits, explore
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import HOLDS, INCOMPLETE, VIOLATED

TESTS = Path(__file__).parent
MODELS = TESTS / "models"


def z3_claims_holds(monkeypatch, prop: str) -> None:
    """Make z3 wrong: it says `prop` holds whatever it found (for the disagreement tests)."""
    from rmapcheck.engines.z3ev import engine

    real = engine.check_events

    def wrong(program, *a, **k):
        res = real(program, *a, **k)
        r = res.results[prop]
        r.verdict, r.path, r.message = HOLDS, None, ""
        return res

    monkeypatch.setattr(engine, "check_events", wrong)


def test_disagreement_is_an_error_and_exit_1(monkeypatch, capsys):
    from rmapcheck import cli

    z3_claims_holds(monkeypatch, "no-bad-unlock")
    code = cli.main(["check", str(MODELS / "unit" / "bad_unlock_not_held.c"), "--engine", "both",
                     "--trace-format", "none"])
    out = capsys.readouterr().out
    assert code == 1
    assert "ENGINES DISAGREE on: no-bad-unlock" in out
    assert "engines disagree: explicit says violated" in out


def test_replay_failure_exits_4(monkeypatch):
    """A witness whose steps do not replay through the explicit executor (here: its first step
    dropped) is an internal error, exit 4, never a verdict."""
    from rmapcheck import cli
    from rmapcheck.engines.z3ev.witness import Witness

    real = Witness.executed_steps
    monkeypatch.setattr(Witness, "executed_steps", lambda self: real(self)[1:])
    code = cli.main(["check", str(MODELS / "unit" / "bad_unlock_not_held.c"), "--engine", "z3"])
    assert code == 4


def test_too_large_for_explicit_but_proved_by_z3():
    """A million value combinations: the explicit engine stops at its state limit, the event
    engine keeps the values symbolic and proves every property."""
    program = load_model(str(MODELS / "z3_wide_nondet.c"))
    ex = explore(program, Limits(max_states=50_000))
    assert not ex.stats.complete
    assert all(r.verdict == INCOMPLETE for r in ex.results.values())
    z = check_events(program)
    assert {n: r.verdict for n, r in z.results.items()} == {n: HOLDS for n in z.results}


@pytest.mark.parametrize("model", [MODELS / "z3_wide_nondet.c", TESTS.parent / "models" / "13_mutant_no_refresh.c"],
                         ids=lambda p: p.name)
def test_timeout_is_incomplete_never_holds(model):
    """A query z3 gives up on (a 1 ms timeout) is 'incomplete', never 'holds' or 'violated'
    against the explicit engine."""
    program = load_model(str(model))
    z = check_events(program, Limits(timeout=0.001))
    assert any(r.verdict == INCOMPLETE for r in z.results.values())
    assert not z.stats.complete
    ex = explore(program, Limits(max_states=50_000))
    for name, r in z.results.items():
        if r.verdict in (HOLDS, VIOLATED):
            assert ex.results[name].verdict in (r.verdict, INCOMPLETE), name


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], capture_output=True, text=True)


def test_cli_z3_refuses_the_memory_model_it_does_not_implement():
    r = run_cli("check", str(MODELS / "unit" / "srcu_grace_period.c"), "--engine", "z3", "--memory-model", "ra")
    assert r.returncode == 2 and r.stdout == ""
    assert "ra" in r.stderr and "sc" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_both_agree():
    r = run_cli("check", str(MODELS / "unit" / "bad_unlock_not_held.c"), "--engine", "both",
                "--trace-format", "steps")
    assert r.returncode == 1, r.stderr  # the model's no-bad-unlock is violated
    assert "engines agree" in r.stdout
    assert "z3 events: loops unrolled 12 times" in r.stdout


@pytest.mark.parametrize("args,says", [
    (["--engine", "z3", "--mode", "bmc"], "--unwind N"),
    (["--engine", "both", "--mode", "prove"], "rmapcheck prove"),
    (["--engine", "z3", "--bmc-depth", "5"], "--unwind N"),
    (["--engine", "z3", "--show-invariant"], "rmapcheck prove"),
])
def test_removed_options_of_the_interleaving_encoding_exit_2(args, says):
    r = run_cli("check", str(MODELS / "unit" / "lock_order_consistent.c"), *args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("rmapcheck: error: ") and says in r.stderr and "removed" in r.stderr
    assert len(r.stderr.splitlines()) == 1
