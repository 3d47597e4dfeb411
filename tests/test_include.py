"""#include: lookup order, guards, positions of included code in every output, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

HARNESS = textwrap.dedent("""\
    #pragma once
    /* a harness: the writer publishes x behind a flag */
    int x;
    int flag;

    void writer(void)
    {
    \tx = 1;
    \tWRITE_ONCE(flag, 1);
    }
    """)

GUARDED = textwrap.dedent("""\
    #ifndef GUARD_H
    #define GUARD_H
    int guarded;
    #endif
    """)

MODEL = textwrap.dedent("""\
    /*
     * @title  include
     * @thread writer
     * @thread reader
     * @memory-models sc ra
     * @expect sc * holds
     * @expect ra x-set violated
     * @expect ra no-data-race violated
     * @expect ra * holds
     */
    #include "h/harness.h"
    #include "h/harness.h"
    #include "guard.h"
    #include "guard.h"

    void reader(void)
    {
    \tif (READ_ONCE(flag))
    \t\tassert_property("x-set", x == 1);
    }
    """)


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], cwd=cwd, capture_output=True, text=True)


def setup(tmp_path: Path, harness: str = HARNESS) -> Path:
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "harness.h").write_text(harness)
    (tmp_path / "guard.h").write_text(GUARDED)
    (tmp_path / "m.c").write_text(MODEL)
    return tmp_path


def test_included_code_is_checked_and_positions_name_the_header(tmp_path):
    setup(tmp_path)
    r = run("verify", "m.c", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("check", "--memory-model", "ra", "m.c", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    # the writer's steps are in the header, the reader's in the model
    assert "writer:harness.h:8" in r.stdout or "writer:harness.h:9" in r.stdout, r.stdout
    assert "reader:18" in r.stdout or "reader:19" in r.stdout, r.stdout
    r = run("check", "--memory-model", "ra", "--format", "json", "m.c", cwd=tmp_path)
    doc = json.loads(r.stdout)
    steps = [s for p in doc["properties"] if "trace" in p for s in p["trace"]["steps"]]
    assert {s["file"] for s in steps} == {"", str(Path("h") / "harness.h")}
    # ITF, DOT and explain name the header too
    r = run("check", "--memory-model", "ra", "--trace-format", "dot", "--property", "x-set", "m.c", cwd=tmp_path)
    assert "harness.h:" in r.stdout, r.stdout
    r = run("explain", "m.c", cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr


def test_lookup_order_models_dir_and_dash_i(tmp_path):
    setup(tmp_path)
    inc = tmp_path / "elsewhere"
    inc.mkdir()
    (tmp_path / "h" / "harness.h").rename(inc / "harness2.h")
    (tmp_path / "m.c").write_text(MODEL.replace('"h/harness.h"', '"harness2.h"'))
    r = run("check", "m.c", cwd=tmp_path)
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    r = run("check", "-I", "elsewhere", "m.c", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run("verify", "-I", "elsewhere", "-j", "2", "m.c", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_error_in_included_file_says_who_included_it(tmp_path):
    setup(tmp_path, HARNESS.replace("x = 1;", "x = ;"))
    r = run("check", "m.c", cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert lines[0] == "In file included from m.c:11:", r.stderr
    assert lines[1].startswith(str(Path("h") / "harness.h") + ":8:"), r.stderr


def test_nested_include_chain_and_unterminated_if(tmp_path):
    (tmp_path / "a.h").write_text('#include "b.h"\n')
    (tmp_path / "b.h").write_text("#if 1\nint y;\n")
    (tmp_path / "m.c").write_text("/* @thread f */\n#include \"a.h\"\nvoid f(void) { }\n")
    r = run("check", "m.c", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[:3] == [
        "In file included from a.h:1,",
        "                 from m.c:2:",
        "b.h:1:1: error: #if without #endif in this file",
    ], r.stderr


def test_include_cycle_without_guard_is_an_error(tmp_path):
    (tmp_path / "a.h").write_text('#include "a.h"\n')
    (tmp_path / "m.c").write_text("/* @thread f */\n#include \"a.h\"\nvoid f(void) { }\n")
    r = run("check", "m.c", cwd=tmp_path)
    assert r.returncode == 2 and "nested more than" in r.stderr and "Traceback" not in r.stderr


def test_header_of_an_included_file_is_not_the_models(tmp_path):
    # a mutant includes its design and states its own expectations
    (tmp_path / "design.c").write_text(
        "/*\n * @thread f\n * @expect sc v-zero holds\n * @expect sc * holds\n */\nint v;\n"
        "void f(void)\n{\n#if MUTANT\n\tv = 1;\n#endif\n\tassert_property(\"v-zero\", v == 0);\n}\n")
    (tmp_path / "mutant.c").write_text(
        "/*\n * @thread f\n * @expect sc v-zero violated\n * @expect sc * holds\n */\n"
        "#define MUTANT 1\n#include \"design.c\"\n")
    r = run("verify", "mutant.c", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
