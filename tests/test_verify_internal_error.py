"""`rmapcheck verify` goes on after an internal error in one run: that run is one INTERNAL ERROR
row with the message, every other run is reported, and the exit status is 4 (the most severe,
before 2, 1 and 3: README's exit-code table).

The internal error is injected: the engine of one run raises it (in this process with -j 1; in
the pool's stead with -j 2, as a worker reports an exception)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from cli_inprocess import run_cli
from test_reports import junit_schema, parse_tap13

UNIT = "tests/models/unit"
# one run each: the default configurations (srcu_abba_deadlock.c and lock_leak_error_path.c have a FIX=1 too)
MODELS = ["--config", "default",
          f"{UNIT}/lock_order_consistent.c", f"{UNIT}/srcu_abba_deadlock.c", f"{UNIT}/lock_leak_error_path.c"]
BAD = "srcu_abba_deadlock.c"
MESSAGE = "z3 witness of the lock-order edge ('a', 'b') replays to a state without it"


@pytest.fixture
def failing_run(monkeypatch):
    """The run of BAD raises an InternalError, the others run as they do."""
    import rmapcheck.verify as verify
    from rmapcheck.errors import InternalError

    real = verify.check_program

    def check_program(program, *args, **kw):
        if program.path.endswith(BAD):
            raise InternalError(MESSAGE)
        return real(program, *args, **kw)

    monkeypatch.setattr(verify, "check_program", check_program)


def test_the_other_runs_are_reported_and_verify_exits_4(failing_run):
    r = run_cli("verify", "-j", "1", *MODELS)
    assert r.returncode == 4, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    runs = [ln for ln in lines if ln.startswith("[")]
    assert len(runs) == 3
    bad = next(ln for ln in runs if BAD in ln)
    assert bad.split()[1:3] == ["INTERNAL", "ERROR"] and MESSAGE in bad, bad
    assert sum(1 for ln in runs if ln.split()[1] == "ok") == 2, runs
    assert any(ln.startswith("INTERNAL ERROR") and MESSAGE in ln for ln in lines[3:])
    assert lines[-1].endswith("exit 4 (internal error)"), lines[-1]
    assert "Traceback" not in r.stderr


def test_internal_error_is_worse_than_a_mismatch_and_a_load_error(failing_run, tmp_path):
    (tmp_path / "malformed.c").write_text("/*\n * @thread w\n */\nint x\n")
    r = run_cli("verify", "-j", "1", *MODELS, tmp_path / "malformed.c")
    assert r.returncode == 4, r.stdout + r.stderr
    from rmapcheck.verify import EXIT_OF_STATUS, INTERNAL, worst

    assert worst([3, 1, 2, 4, 0]) == 4 and worst([3, 1, 2]) == 2 and EXIT_OF_STATUS[INTERNAL] == 4


def test_ci_formats_report_it_as_an_error(failing_run):
    tap = run_cli("verify", "-j", "1", *MODELS, "--format", "tap")
    assert tap.returncode == 4
    doc = parse_tap13(tap.stdout)
    failed = [t for t in doc["tests"] if not t["ok"]]
    assert len(failed) == 1 and BAD in failed[0]["desc"] and len(doc["tests"]) == 23
    assert any(MESSAGE in ln for ln in failed[0]["yaml"]) and any("severity: error" in ln for ln in failed[0]["yaml"])
    junit = run_cli("verify", "-j", "1", *MODELS, "--format", "junit")
    assert junit.returncode == 4
    junit_schema().validate(junit.stdout)
    errors = ET.fromstring(junit.stdout).findall(".//error")
    assert len(errors) == 1 and MESSAGE in errors[0].get("message")
    lines = [json.loads(ln) for ln in run_cli("verify", "-j", "1", *MODELS, "--format", "jsonl").stdout.splitlines()]
    assert lines[-1] == {"exit_code": 4, "runs": 3}
    assert sorted(d["status"] for d in lines[:3]) == ["INTERNAL ERROR", "ok", "ok"]
    assert next(d for d in lines[:3] if d["status"] != "ok")["rows"][0]["detail"].endswith(MESSAGE)


def test_with_workers_the_other_runs_are_reported(monkeypatch):
    """-j 2: a worker's exception (imap_pool's "exc") becomes that run's row, not the end."""
    import rmapcheck.jobs as jobs
    from rmapcheck.errors import InternalError
    from rmapcheck.verify import exit_code, iter_verify, plan_runs

    def imap_pool(fn, tasks, n):
        for k, (args, _, _) in enumerate(tasks):
            if args[0].endswith(BAD):
                yield k, "exc", InternalError(MESSAGE)
            else:
                yield k, "ok", fn(*args, None)

    monkeypatch.setattr(jobs, "imap_pool", imap_pool)
    outcomes = list(iter_verify(plan_runs(MODELS[2:], configs=["default"]), jobs=2))
    assert [o.status for o in outcomes] == ["ok", "INTERNAL ERROR", "ok"]
    assert exit_code([r for o in outcomes for r in o.rows]) == 4


def test_usage_errors_still_end_the_verify(monkeypatch):
    """Bad usage is not one run's internal error: it ends the verify with exit 2, as before."""
    import rmapcheck.verify as verify
    from rmapcheck.errors import UsageError

    def check_program(*args, **kw):
        raise UsageError("no such engine")

    monkeypatch.setattr(verify, "check_program", check_program)
    r = run_cli("verify", "-j", "1", *MODELS)
    assert r.returncode == 2 and "no such engine" in r.stderr
