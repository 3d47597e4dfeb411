"""verify under tso/lkmm: a property the event engine leaves `unsupported` is not checked, so
it makes the run INCOMPLETE (exit 3) unless the model acknowledges it with `@expect MM PROP
unsupported`; then the run is as expected (exit 0) and the summary still names it with the
reason. An acknowledged property that becomes decided is a MISMATCH (exit 1): the line must go."""

from __future__ import annotations

from cli_inprocess import run_cli

MP = """/*
 * @title  message passing with a relaxed flag
 * @memory-models sc
 * @config lkmm RELEASE=0
 * @thread writer
 * @thread reader
 * @invariant flag-is-boolean flag_is_boolean
 * @expect sc no-deadlock violated
 * @expect sc no-lock-leak violated
 * @expect sc * holds
 * @expect lkmm data-published violated
 * @expect lkmm no-lock-leak violated
%s * @expect lkmm * holds
 */
#define RELEASE 0
int data;
int flag;
struct srcu_struct ss;

bool flag_is_boolean(void)
{
	return READ_ONCE(flag) <= 1;  /* an @invariant: unsupported under a weak model */
}

void writer(void)
{
	WRITE_ONCE(data, 1);
	WRITE_ONCE(flag, 1);
	synchronize_srcu(&ss);  /* after the flag: no fence in MP */
}

void reader(void)
{
	srcu_read_lock(&ss);  /* never left: the grace period may wait for good (no-deadlock unsupported) */
	if (READ_ONCE(flag))
		assert_property("data-published", READ_ONCE(data) == 1);
}
"""
UNDECIDED = ("no-deadlock", "flag-is-boolean", "no-data-race")


def _verify(tmp_path, lines: list[str]):
    path = tmp_path / "mp.c"
    path.write_text(MP % "".join(f" * @expect lkmm {line}\n" for line in lines))
    return run_cli("verify", "--memory-model", "lkmm", path)


def test_unacknowledged_unsupported_is_incomplete(tmp_path):
    r = _verify(tmp_path, [])
    assert r.returncode == 3, r.stdout
    for prop in UNDECIDED:
        assert f"{prop} undecided (unsupported: " in r.stdout
    assert "`@expect lkmm flag-is-boolean unsupported` acknowledges it" in r.stdout


def test_acknowledged_unsupported_is_as_expected_and_still_said(tmp_path):
    r = _verify(tmp_path, [f"{p} unsupported" for p in UNDECIDED])
    assert r.returncode == 0, r.stdout
    assert "exit 0 (every expectation met)" in r.stdout and "stopped by" not in r.stdout
    said = [line for line in r.stdout.splitlines() if line.startswith("unsupported ")]
    assert {next(p for p in UNDECIDED if f" {p} (@expect unsupported): " in line) for line in said} == set(UNDECIDED)
    assert any("waiting in synchronize_srcu" in line for line in said)  # the engine's reason


def test_partly_acknowledged_stays_incomplete(tmp_path):
    r = _verify(tmp_path, ["no-deadlock unsupported"])
    assert r.returncode == 3
    assert "flag-is-boolean undecided (unsupported: " in r.stdout and "no-deadlock undecided" not in r.stdout


def test_acknowledged_but_decided_is_a_mismatch(tmp_path):
    r = _verify(tmp_path, [f"{p} unsupported" for p in UNDECIDED] + ["no-use-after-free unsupported"])
    assert r.returncode == 1
    assert "no-use-after-free: expected unsupported, got holds" in r.stdout


def test_unknown_verdict_names_the_three(tmp_path):
    r = _verify(tmp_path, ["no-deadlock undecided"])
    assert r.returncode == 2
    assert "expected holds, violated or unsupported" in r.stdout + r.stderr
