"""`rmapcheck verify -j N`: the same rows, traces and exit status as -j 1, whatever N."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNIT = "tests/models/unit"


def cli(*args, timeout: float = 300):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)


def _without_seconds(out: str) -> list[str]:
    """The text table without its seconds column (the only thing -j may change)."""
    lines = []
    for ln in out.splitlines():
        parts = ln.split()
        if ln.startswith(UNIT):
            parts = parts[:-2] + parts[-1:]
        lines.append(" ".join(parts))
    return lines


def test_jobs_give_the_same_table_and_traces():
    one = cli("verify", "-j", "1", UNIT, "--traces", "--format", "table")
    two = cli("verify", "--jobs", "2", UNIT, "--traces", "--format", "table")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert _without_seconds(one.stdout) == _without_seconds(two.stdout)
    assert re.search(r"verdicts over \d+ runs", two.stdout)


def test_jobs_give_the_same_json():
    args = [f"{UNIT}/srcu_abba_deadlock.c", f"{UNIT}/lock_order_consistent.c", f"{UNIT}/lock_leak_error_path.c",
            "--format", "json"]
    one, three = json.loads(cli("verify", "-j1", *args).stdout), json.loads(cli("verify", "-j3", *args).stdout)

    def strip(doc):
        for r in doc["rows"]:
            r.pop("seconds")
        for res in doc["results"]:
            for k in ("seconds", "states_per_s", "peak_mb"):
                res["stats"].pop(k)
        return doc

    assert strip(one) == strip(three)
    assert one["exit_code"] == 0  # every expectation met
    assert any("trace" in p for res in one["results"] for p in res["properties"])  # traces compared too


def test_jobs_api_rows_in_plan_order():
    from rmapcheck.verify import verify

    paths = [f"{ROOT}/{UNIT}/lock_order_consistent.c", f"{ROOT}/{UNIT}/heap_symmetry.c", f"{ROOT}/{UNIT}/srcu_abba_deadlock.c"]
    rows1, res1 = verify(paths, jobs=1)
    rows2, res2 = verify(paths, jobs=2)
    key = [(r.model, r.memory_model, r.config, r.prop, r.expected, r.got, r.states, r.status) for r in rows1]
    assert key == [(r.model, r.memory_model, r.config, r.prop, r.expected, r.got, r.states, r.status) for r in rows2]
    assert [r.model for r in res1] == [r.model for r in res2]


def test_error_in_a_worker_is_one_message_and_exit_2(tmp_path):
    # the default configuration loads (in the parent); the @config does not (in a worker)
    bad = tmp_path / "bad_config.c"
    bad.write_text("/*\n * @title bad config\n * @thread writer\n * @config N=0\n * @expect sc * holds\n */\n"
                   "#define N 2\nint a[N];\n\nvoid writer(void)\n{\n\tWRITE_ONCE(a[0], 1);\n}\n")
    for j in ("1", "2"):
        r = cli("verify", "-j", j, f"{UNIT}/lock_order_consistent.c", str(bad))
        assert r.returncode == 2, (j, r.stdout, r.stderr)
        assert r.stderr.count("error: array size must be positive, not 0") == 1, r.stderr
        assert "Traceback" not in r.stderr
        # the other runs are not hidden: the good model, the bad one's default config, the failing @config
        runs = sorted(ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("["))
        assert runs == ["ERROR", "ok", "ok"], r.stdout
        assert "bad_config.c:8:7: error: array size must be positive, not 0 (under sc, N=0)" in r.stdout


def test_jobs_must_be_positive_and_are_documented():
    r = cli("verify", "-j", "0", UNIT)
    assert r.returncode == 2 and "must be positive" in r.stderr
    assert "--jobs N" in cli("verify", "--help").stdout


def test_default_jobs_is_the_cpus_available():
    from rmapcheck.jobs import default_jobs

    assert default_jobs() == len(os.sched_getaffinity(0))


def test_a_filter_that_selects_no_run_is_an_error_not_a_pass():
    """`verify --memory-model ra` on models that declare only sc checks nothing: exit 2, not 0."""
    r = cli("verify", "--memory-model", "ra", "tests/models/readme_example.c")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip() == ("rmapcheck: error: no run selected: no model given declares memory model ra "
                                "(@memory-models in its header; tso and lkmm: a @config naming them)")
    assert "Traceback" not in r.stderr
