"""`rmapcheck verify` as CI reads it: a line per run as it finishes, a summary naming every
run not as expected, the worst exit code; TAP and JUnit written as the runs finish, with a
model that does not load as one failing case among the others."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from test_reports import junit_schema, parse_tap13

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "tests" / "models" / "unit"


def cli(*args, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """A directory of three models: one as expected, one whose expectation is wrong, one malformed."""
    d = tmp_path_factory.mktemp("mixed")
    good = (UNIT / "lock_order_consistent.c").read_text()
    (d / "a_good.c").write_text(good)
    wrong = good.replace("@expect sc * holds", "@expect sc no-deadlock violated\n * @expect sc * holds")
    assert wrong != good
    (d / "b_mismatch.c").write_text(wrong)
    (d / "c_malformed.c").write_text("/*\n * @title malformed\n * @thread w\n */\nint x\n\nvoid w(void)\n{\n"
                                     "\tx = 1;\n}\n")
    return d


def test_a_line_per_run_then_a_summary_naming_both(mixed):
    r = cli("verify", "-j", "1", str(mixed))
    assert r.returncode == 2, r.stdout + r.stderr  # a model that does not load is worse than a mismatch
    lines = r.stdout.splitlines()
    runs = [ln for ln in lines if ln.startswith("[")]
    assert len(runs) == 3 and lines[:3] == runs  # every run's line before the summary
    by_name = {Path(re.search(r"\S+\.c", ln).group()).name: ln for ln in runs}
    assert by_name["a_good.c"].split()[1] == "ok"
    assert by_name["b_mismatch.c"].split()[1] == "MISMATCH" and "no-deadlock: expected violated" in by_name["b_mismatch.c"]
    assert by_name["c_malformed.c"].split()[1] == "ERROR" and "c_malformed.c:8:1: error:" in by_name["c_malformed.c"]
    summary = lines[3:]
    assert any(ln.startswith("MISMATCH") and "b_mismatch.c [sc] no-deadlock: expected violated, got holds" in ln
               for ln in summary), summary
    assert any(ln.startswith("ERROR") and "c_malformed.c:8:1: error:" in ln for ln in summary), summary
    assert summary[-1].startswith("23 verdicts over 3 runs: 1 run as expected, 2 not; exit 2")
    # the malformed model's message on stderr once, with its source line, never a traceback
    assert r.stderr.count("c_malformed.c:8:1: error:") == 1 and "Traceback" not in r.stderr


def test_without_the_malformed_model_the_mismatch_decides(mixed, tmp_path):
    r = cli("verify", str(mixed / "a_good.c"), str(mixed / "b_mismatch.c"))
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1].endswith("exit 1 (a verdict is not as expected)")


def test_tap_has_every_run(mixed):
    r = cli("verify", str(mixed), "--format", "tap")
    assert r.returncode == 2
    tap = parse_tap13(r.stdout)
    assert tap["plan"] == len(tap["tests"]) == 23  # 11 + 11 verdicts, and the malformed model
    failed = [t["desc"] for t in tap["tests"] if not t["ok"]]
    assert len(failed) == 2
    assert any(d.endswith("b_mismatch.c [sc] no-deadlock") for d in failed)
    assert any("c_malformed.c" in d for d in failed)
    bad = next(t for t in tap["tests"] if "c_malformed.c" in t["desc"])
    assert any("does not load" in ln and "c_malformed.c:8:1" in ln for ln in bad["yaml"])
    assert "fail:2" in r.stdout


def test_junit_has_every_run(mixed):
    r = cli("verify", str(mixed), "--format", "junit")
    assert r.returncode == 2
    junit_schema().validate(r.stdout)
    root = ET.fromstring(r.stdout)
    suites = root.findall("testsuite")
    assert len(suites) == 3 and len(root.findall(".//testcase")) == 23
    failures = root.findall(".//failure")
    assert len(failures) == 2
    assert any("c_malformed.c:8:1: error:" in f.get("message") for f in failures)
    assert any("expected violated, got holds" in f.get("message") for f in failures)


def test_json_is_one_document_and_jsonl_a_line_per_run(mixed):
    import json

    doc = json.loads(cli("verify", str(mixed), "--format", "json").stdout)
    assert doc["exit_code"] == 2 and len(doc["errors"]) == 1 and len(doc["results"]) == 2
    lines = cli("verify", str(mixed), "--format", "jsonl").stdout.splitlines()
    docs = [json.loads(ln) for ln in lines]
    assert len(docs) == 4 and docs[-1] == {"exit_code": 2, "runs": 3}
    assert sorted(d["status"] for d in docs[:3]) == ["ERROR", "MISMATCH", "ok"]


def test_the_first_line_comes_before_the_last_run_ends(tmp_path):
    """A fast model, then one that runs for many seconds: its line is read while it still runs."""
    (tmp_path / "a_fast.c").write_text((UNIT / "lock_order_consistent.c").read_text())
    slow = (UNIT / "limits_counter_grid.c").read_text()
    (tmp_path / "z_slow.c").write_text(re.sub(r"#define ROUNDS \d+", "#define ROUNDS 30", slow))
    proc = subprocess.Popen([sys.executable, "-m", "rmapcheck", "verify", "-j", "1", str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = proc.stdout.readline()  # the z_slow run takes about 40 s in full
        still_running = proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    assert "a_fast.c [sc]: 11 holds" in first and first.startswith("[1/2] ok")
    assert still_running


def test_a_line_per_run_and_the_summary_only(tmp_path):
    """The default output of a clean verify: one line per run, then the summary line."""
    r = cli("verify", "--config", "default", str(UNIT / "lock_order_consistent.c"), str(UNIT / "srcu_abba_deadlock.c"),
            str(UNIT / "lock_leak_error_path.c"))  # one run each: not their FIX=1 configurations
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 4 and all(ln.startswith(f"[{k}/3] ok ") for k, ln in enumerate(lines[:3], 1))
    assert lines[-1] == "33 verdicts over 3 runs: 3 runs as expected; exit 0 (every expectation met)"
    assert any("srcu_abba_deadlock.c [sc]: 9 holds, 2 violated (no-deadlock, lock-order)" in ln for ln in lines)


def test_progress_is_plain_lines_off_a_terminal():
    from io import StringIO

    from rmapcheck.progress import Progress

    out = StringIO()
    with Progress("verify", [1.0, 3.0], stream=out) as bar:
        bar._last_plain -= 60  # as if the last line were a minute old
        bar.finished(0, 100)
        bar._last_plain -= 60
        bar.run_callback("m.c [sc]")(50, 3, 1.0)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in out.getvalue()
    assert lines[0].startswith("rmapcheck verify: 1/2 runs, 100 states")
    assert "left (estimate)" in lines[1] and lines[1].endswith("m.c [sc], depth 3")
    assert "150 states" in lines[1]


def test_progress_estimate_is_by_cost_and_only_once_a_run_is_done():
    from rmapcheck.progress import Progress

    bar = Progress("verify", [1.0, 3.0])
    assert bar.estimate(10.0) is None
    bar.done.add(0)
    assert bar.estimate(10.0) == pytest.approx(30.0)  # 1 unit of cost took 10 s, 3 are left
    bar.done.add(1)
    assert bar.estimate(40.0) is None


def on_terminal(*args: str) -> tuple[int, list[str]]:
    """Run rmapcheck with stdout and stderr on a pseudo-terminal: its exit code and the lines
    the terminal shows at the end."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "rmapcheck", *args])
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), _terminal(b"".join(chunks).decode(errors="replace"))


def test_progress_on_a_terminal_is_cleared():
    """Under a pseudo-terminal the live line is redrawn in place and erased at the end."""
    code, screen = on_terminal("verify", "-j", "1", "--config", "default", str(UNIT / "lock_order_consistent.c"),
                               str(UNIT / "lock_leak_error_path.c"))
    assert code == 0
    assert len(screen) == 3, screen  # no progress line left, none written onto
    assert screen[0].startswith("[1/2] ok ") and screen[1].startswith("[2/2] ok ")
    assert screen[2].startswith("22 verdicts over 2 runs")


def test_litmus_batch_progress_leaves_only_the_table():
    tests = [str(ROOT / "tests" / "litmus" / f) for f in ("MP+poonceonces.litmus", "SB+poonceonces.litmus",
                                                          "LB+poonceonces.litmus")]
    code, screen = on_terminal("litmus", *tests)
    assert code == 0, screen
    assert screen[0].split()[:2] == ["test", "memory"] and len(screen) == 5, screen


def _terminal(text: str) -> list[str]:
    """The lines a terminal shows after text: carriage return, newline, erase line (ESC [2K),
    cursor up (ESC [nA); other escapes change nothing visible here."""
    rows: list[list[str]] = [[]]
    row = col = 0
    for m in re.finditer(r"\x1b\[([0-9;?]*)([A-Za-z])|(\r)|(\n)|(.)", text, re.S):
        if m.group(2):
            if m.group(2) == "K" and m.group(1) == "2":
                rows[row] = []
            elif m.group(2) == "A":
                row = max(0, row - int(m.group(1) or 1))
        elif m.group(3):
            col = 0
        elif m.group(4):
            row += 1
            col = 0
            if row == len(rows):
                rows.append([])
        else:
            line = rows[row]
            line.extend(" " * (col - len(line)))
            line[col:col + 1] = [m.group(5)]
            col += 1
    return [ln for ln in ("".join(r).rstrip() for r in rows) if ln]
