"""@expect per configuration: a design's variants are verify runs with their own expectations."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], cwd=cwd, capture_output=True, text=True)


def rows(out: str) -> dict:
    return {(r["config"], r["prop"]): (r["expected"], r["got"], r["status"]) for r in json.loads(out)["rows"]}


def test_each_config_has_its_own_expectation(tmp_path):
    p = tmp_path / "m.c"
    p.write_text(textwrap.dedent("""\
        /*
         * @title  a fix switch
         * @param  FIX 1: the flag is published after the data
         * @thread writer
         * @thread reader
         * @config FIX=1
         * @expect sc data-seen violated
         * @expect sc FIX=1 data-seen holds
         * @expect sc * holds
         */
        #define FIX 0
        int data;
        int flag;

        void writer(void)
        {
        #if FIX
        \tWRITE_ONCE(data, 1);
        #endif
        \tsmp_store_release(&flag, 1);
        #if !FIX
        \tWRITE_ONCE(data, 1);
        #endif
        }

        void reader(void)
        {
        \tif (smp_load_acquire(&flag))
        \t\tassert_property("data-seen", READ_ONCE(data) == 1);
        }
        """))
    r = run("verify", "--format", "json", "m.c", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    got = rows(r.stdout)
    assert got[("default", "data-seen")] == ("violated", "violated", "ok")
    assert got[("FIX=1", "data-seen")] == ("holds", "holds", "ok")
    assert got[("FIX=1", "no-deadlock")] == ("holds", "holds", "ok")
    # a wrong per-config expectation is a mismatch of that run only
    p.write_text(p.read_text().replace("@expect sc FIX=1 data-seen holds", "@expect sc FIX=1 data-seen violated"))
    r = run("verify", "--format", "json", "m.c", cwd=tmp_path)
    assert r.returncode == 1
    got = rows(r.stdout)
    assert got[("FIX=1", "data-seen")][2] == "MISMATCH"
    assert got[("default", "data-seen")][2] == "ok"


@pytest.mark.parametrize("line, message", [
    ("@expect sc FIX=x data-seen holds", "NAME=VALUE pairs"),
    ("@expect sc FIX=1 data-seen", "unknown verdict"),
    ("@expect sc FIX=2 * holds", "no @config FIX=2"),
])
def test_bad_config_expectation_is_a_positioned_error(tmp_path, line, message):
    p = tmp_path / "m.c"
    p.write_text(f"/*\n * @thread f\n * {line}\n */\nvoid f(void) {{ }}\n")
    r = run("check", "m.c", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("m.c:3:") and message in r.stderr, r.stderr
