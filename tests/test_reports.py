"""Counterexample formats and CI outputs: race diagram and step list for email, ITF JSON
(validated against a JSON schema written from the ITF specification), Graphviz DOT
(accepted by `dot -Tsvg`), TAP 13 (read by a strict TAP parser), JUnit XML (validated
against tests/schemas/junit.xsd), and `rmapcheck explain`.

`dot` tests are skipped where Graphviz is absent, except under CI (CI=true), where its
absence is a failure: .ci/run installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from cli_inprocess import run_cli
from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import VIOLATED
from rmapcheck.report import ci
from rmapcheck.report.diagram import render_diagram
from rmapcheck.report.dot import execution_dot, state_graph, state_graph_dot
from rmapcheck.report.execution import build_execution
from rmapcheck.report.itf import itf_trace
from rmapcheck.report.steps import render_steps
from rmapcheck.runner import check_program

ROOT = Path(__file__).resolve().parent.parent
UNIT = "tests/models/unit"
DESIGN = "tests/models/reports/lazy_alloc_design.c"


cli = run_cli


def test_cli_as_a_process():
    r = subprocess.run([sys.executable, "-m", "rmapcheck", "check", f"{UNIT}/lost_update_array_copy.c",
                        "--trace-format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and [d["#meta"]["format"] for d in json.loads(r.stdout)] == ["ITF"]


_RUNS: dict = {}


def run(name: str, mm: str = "sc", reduction: str | None = None):
    key = (name, mm, reduction)
    if key not in _RUNS:
        path = name if name.endswith(".c") else str(ROOT / UNIT / f"{name}.c")
        program = load_model(path)
        _RUNS[key] = (program, check_program(program, mm, reduction=reduction))
    return _RUNS[key]


VIOLATING = ["lost_update_array_copy", "srcu_abba_deadlock", "warn_retry_after_partial", "break_inner_loop",
             "uaf_free_without_grace_period", "leak_overwrite_no_recheck", "invariant_flag_before_alloc",
             "lock_leak_error_path", "srcu_grace_period", "double_free_error_path"]


# -- the race diagram and the step list, for email ------------------------------------------------


@pytest.mark.parametrize("name", VIOLATING)
def test_traces_fit_an_email(name):
    _, res = run(name)
    for r in res.violated():
        for text in (render_diagram(r.trace), render_steps(r.trace)):
            for line in text.splitlines():
                assert len(line) <= 80, line
                assert line.isascii(), line
                assert line == line.rstrip()


def test_diagram_names_functions_as_in_the_model():
    _, res = run("warn_retry_after_partial")
    d = render_diagram(res.results["no-warn"].trace)
    assert "\nalloc_rmaps()\n" in d  # the inlined helper, as the model calls it
    assert "  WARN_ON(rmap[i]);" in d
    _, res = run("lost_update_array_copy", reduction="none")  # the story below: the unreduced shortest
    d = render_diagram(res.results["rmaps-present"].trace)
    head = d.splitlines()[0]
    assert head.startswith("CPU0 (writer)") and "CPU1 (vcpu)" in head and "CPU2 (reader)" in head
    # the three steps of one by-value copy are one entry
    assert d.count("arr1 = *kvm.active;") == 1
    # identifiers are not cut in the middle
    assert "srcu_read_l\n" not in d and "slots_ar\n" not in d


# -- ITF -------------------------------------------------------------------------------------------

# The Informal Trace Format (Apalache ADR-015), as a JSON schema: a trace object with
# optional #meta, params and loop, required vars and states; a state is an object whose
# keys are #meta or variable names; an expression is a string, a number, a boolean, a list,
# a record (keys not starting with '#'), or one of #bigint, #tup, #set, #map, #unserializable.
ITF_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "expr": {
            "oneOf": [
                {"type": "string"},
                {"type": "boolean"},
                {"type": "integer", "minimum": -(2 ** 53) + 1, "maximum": 2 ** 53 - 1},
                {"type": "array", "items": {"$ref": "#/$defs/expr"}},
                {"type": "object", "required": ["#bigint"], "additionalProperties": False,
                 "properties": {"#bigint": {"type": "string", "pattern": "^-?[0-9]+$"}}},
                {"type": "object", "required": ["#tup"], "additionalProperties": False,
                 "properties": {"#tup": {"type": "array", "items": {"$ref": "#/$defs/expr"}}}},
                {"type": "object", "required": ["#set"], "additionalProperties": False,
                 "properties": {"#set": {"type": "array", "items": {"$ref": "#/$defs/expr"}}}},
                {"type": "object", "required": ["#map"], "additionalProperties": False,
                 "properties": {"#map": {"type": "array", "items": {
                     "type": "array", "minItems": 2, "maxItems": 2, "items": {"$ref": "#/$defs/expr"}}}}},
                {"type": "object", "required": ["#unserializable"], "additionalProperties": False,
                 "properties": {"#unserializable": {"type": "string"}}},
                {"type": "object", "propertyNames": {"pattern": "^[^#]"},
                 "additionalProperties": {"$ref": "#/$defs/expr"},
                 "not": {"anyOf": [{"required": [k]} for k in
                                   ("#bigint", "#tup", "#set", "#map", "#unserializable")]}},
            ]
        },
        "state": {
            "type": "object",
            "properties": {"#meta": {"type": "object"}},
            "patternProperties": {"^[^#]": {"$ref": "#/$defs/expr"}},
            "additionalProperties": False,
        },
    },
    "type": "object",
    "required": ["vars", "states"],
    "additionalProperties": False,
    "properties": {
        "#meta": {"type": "object"},
        "params": {"type": "array", "items": {"type": "string"}},
        "vars": {"type": "array", "items": {"type": "string"}},
        "states": {"type": "array", "items": {"$ref": "#/$defs/state"}},
        "loop": {"type": "integer", "minimum": 0},
    },
}


def check_itf(doc: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(ITF_SCHEMA)
    jsonschema.validate(doc, ITF_SCHEMA, cls=jsonschema.Draft202012Validator)
    # what a schema cannot say: every state defines every variable (and params in the first)
    for k, st in enumerate(doc["states"]):
        assert set(doc["vars"]) <= set(st), (k, set(doc["vars"]) - set(st))
    if "loop" in doc:
        assert doc["loop"] < len(doc["states"])


def test_itf_schema_rejects_what_the_spec_forbids():
    good = {"vars": ["x"], "states": [{"#meta": {"index": 0}, "x": {"#bigint": "12"}}]}
    check_itf(good)
    for bad in (
        {"states": []},  # no vars
        {"vars": ["x"], "states": [{"x": 1.5}]},  # not an integer
        {"vars": ["x"], "states": [{"x": {"#bigint": "1e3"}}]},
        {"vars": ["x"], "states": [{"x": {"#set": [1], "#map": []}}]},
        {"vars": ["x"], "states": [{"x": {"#weird": 1}}]},
        {"vars": ["x"], "states": [{"x": 2 ** 60}]},  # must be a #bigint
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, ITF_SCHEMA, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("name", VIOLATING)
def test_itf_of_every_violation_validates(name):
    program, res = run(name)
    for r in res.violated():
        exe = build_execution(program, r)
        doc = itf_trace(exe, f"{UNIT}/{name}.c")
        check_itf(doc)
        assert len(doc["states"]) == len(r.trace.steps) + 1  # the initial state, then one per step
        assert [s["#meta"]["index"] for s in doc["states"]] == list(range(len(doc["states"])))
        assert doc["#meta"]["format"] == "ITF" and doc["#meta"]["property"] == r.name
        json.dumps(doc)  # plain JSON


def test_itf_states_follow_the_trace():
    program, res = run("lost_update_array_copy")
    doc = itf_trace(build_execution(program, res.results["rmaps-present"]))
    first, last = doc["states"][0], doc["states"][-1]
    assert first["kvm"]["active"] == "&arr0" and first["kvm"]["have_rmaps"] == 0
    assert first["arr0"]["s"][0]["npages"] == 1 and first["kvm"]["slots_arch_lock"] == "unlocked"
    assert last["kvm"]["active"] == "&arr1" and last["kvm"]["have_rmaps"] == 1
    assert last["arr1"]["s"][0]["rmap"] == "NULL" and last["arr0"]["s"][0]["rmap"] == "&int#1"
    assert "int#1" in last["rmapcheck::heap"]
    assert last["rmapcheck::threads"]["reader"]["line"] == 65
    assert "kvm.slots_arch_lock" in last["rmapcheck::threads"]["vcpu"]["holds"]
    acts = [s["#meta"]["action"] for s in doc["states"][1:]]
    assert [a["thread"] for a in acts] == [s.thread for s in res.results["rmaps-present"].trace.steps]


def test_itf_under_weak_memory():
    program, res = run(DESIGN, "ra")
    assert not res.violated()
    from rmapcheck.necessity import find_elements, mutate

    el = next(e for e in find_elements(program) if e.kind == "release")
    weak = mutate(program, el)
    r = check_program(weak, "ra").results["rmaps-present"]
    assert r.verdict == VIOLATED
    exe = build_execution(weak, r, "ra")
    check_itf(itf_trace(exe))
    # the failing read missed the rmap pointer: the execution says which write
    missed = [e for e in exe.events if e.missed]
    assert missed and any("kvm.rmap" in e.target for e in missed)


def test_check_cli_trace_format_json():
    r = cli("check", f"{UNIT}/lost_update_array_copy.c", "--trace-format", "json")
    assert r.returncode == 1, r.stderr
    (doc,) = json.loads(r.stdout)  # always an array (of one here): the same shape for any number
    check_itf(doc)
    # several violations: one document, an array of ITF traces
    r = cli("check", f"{UNIT}/srcu_abba_deadlock.c", "--trace-format", "json")
    docs = json.loads(r.stdout)
    assert len(docs) == 2 and {d["#meta"]["property"] for d in docs} == {"no-deadlock", "lock-order"}
    for d in docs:
        check_itf(d)
    # or JSON Lines, asked for: one ITF document per line
    r = cli("check", f"{UNIT}/srcu_abba_deadlock.c", "--trace-format", "json", "--format", "jsonl")
    assert [json.loads(ln) for ln in r.stdout.splitlines()] == docs
    r = cli("check", f"{UNIT}/srcu_abba_deadlock.c", "--trace-format", "json", "--property", "no-deadlock")
    assert json.loads(r.stdout)["#meta"]["property"] == "no-deadlock"
    r = cli("check", f"{UNIT}/srcu_abba_deadlock.c", "--property", "no-deadlok")
    assert r.returncode == 2 and "did you mean no-deadlock?" in r.stderr


# -- DOT -------------------------------------------------------------------------------------------


def need_dot() -> str:
    dot = shutil.which("dot")
    if dot is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Graphviz's dot is missing under CI: .ci/run must install graphviz")
        pytest.skip("Graphviz (dot) is not installed")
    return dot


def dot_accepts(text: str) -> str:
    r = subprocess.run([need_dot(), "-Tsvg"], input=text, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "Error" not in r.stderr, r.stderr
    assert "<svg" in r.stdout
    return r.stdout


@pytest.mark.parametrize("name", ["lost_update_array_copy", "srcu_abba_deadlock", "srcu_grace_period",
                                  "leak_overwrite_no_recheck"])
def test_check_cli_trace_format_dot(name, tmp_path):
    """One graph per DOT file: a file per graph in --dot-dir, stdout only when there is one."""
    out = tmp_path / "graphs"
    r = cli("check", f"{UNIT}/{name}.c", "--trace-format", "dot", "--dot-dir", out)
    assert r.returncode == 1, r.stderr
    files = sorted(out.iterdir())
    assert r.stdout.splitlines() == [str(f) for f in sorted(files, key=lambda f: r.stdout.index(f.name))]
    for f in files:
        text = f.read_text()
        assert text.count("digraph") == 1, f.name
        dot_accepts(text)
    if name == "leak_overwrite_no_recheck":  # 33 states: small enough for its state graph too
        assert 'digraph "state_graph"' in (out / "state-graph.dot").read_text()
    # again: the files are there, and are not overwritten
    r = cli("check", f"{UNIT}/{name}.c", "--trace-format", "dot", "--dot-dir", out)
    assert r.returncode == 2 and "refusing to overwrite" in r.stderr
    violations = [f for f in files if f.name != "state-graph.dot"]
    if len(violations) > 1:  # several graphs and no --dot-dir: a usage error, not two graphs in one stream
        r = cli("check", f"{UNIT}/{name}.c", "--trace-format", "dot")
        assert r.returncode == 2 and "--dot-dir" in r.stderr and r.stdout == ""
    else:
        r = cli("check", f"{UNIT}/{name}.c", "--trace-format", "dot")
        assert r.stdout.count("digraph") == 1


def test_execution_graph_has_herd7_relations():
    program, res = run("lost_update_array_copy")
    exe = build_execution(program, res.results["rmaps-present"])
    text = execution_dot(exe)
    dot_accepts(text)
    for rel in ("label=po", "label=rf", "label=fr", "cluster_P0", "cluster_init"):
        assert rel in text, rel
    assert "color=red, penwidth=2" in text  # the violating event
    # the reader's failing read reads from the writer's copy, which read arr0 before vcpu wrote it
    rd = [e for e in exe.events if e.thread == "reader" and e.target == "arr1.s[0].rmap"][-1]
    src = next(s for s, r, c in exe.rf if r == rd.eid)
    assert exe.events[src].thread == "writer" and exe.events[src].line == 35
    # lock hand-over and grace periods
    program, res = run("srcu_grace_period")
    exe = build_execution(program, res.results["gp-ignores-later-readers"])
    assert exe.srcu_edges, "synchronize_srcu waited for a reader: a gp edge"
    assert "gp srcu" in execution_dot(exe)
    program, res = run("leak_overwrite_no_recheck")
    exe = build_execution(program, res.results["no-leak"])
    assert exe.lock_edges and "lock slots_arch_lock" in execution_dot(exe)
    assert exe.co and all(len(v) == len(set(v)) for v in exe.co.values())


def test_state_graph_highlights_the_path():
    program, res = run("leak_overwrite_no_recheck", reduction="none")  # the graph drawn is unreduced
    r = res.results["no-leak"]
    g = state_graph(program, "sc", [(r.name, r.path)])
    assert g is not None and g.number_of_nodes() == res.stats.states + sum(
        1 for _, d in g.nodes(data=True) if d.get("violation"))
    on_path = [(a, b) for a, b, d in g.edges(data=True) if d.get("path")]
    assert len(on_path) == len(r.path.labels)
    last = on_path_end = [b for a, b in on_path if not any(a2 == b for a2, _ in on_path)]
    assert len(last) == 1 and "no-leak" in g.nodes[on_path_end[0]].get("violation_state", "")
    dot_accepts(state_graph_dot(g))
    # too many states: no graph
    program, res = run("lost_update_array_copy")
    assert state_graph(program, "sc", [], limit=50) is None


# -- TAP 13 ----------------------------------------------------------------------------------------


class TapError(Exception):
    pass


def parse_tap13(text: str) -> dict:
    """A strict TAP version 13 parser: version line, one plan, numbered test lines in order,
    YAML diagnostics blocks ('  ---' ... '  ...') only after a test line, comments; nothing else."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "TAP version 13":
        raise TapError("first line must be 'TAP version 13'")
    plan = None
    tests: list = []
    i = 1
    test_re = re.compile(r"^(ok|not ok)(?: (\d+))?(?: -)?(?: ([^#]*?))?(?: # (SKIP|TODO)\b ?(.*))?$")
    while i < len(lines):
        ln = lines[i]
        m = re.fullmatch(r"1\.\.(\d+)(?: # (.*))?", ln)
        if m:
            if plan is not None:
                raise TapError(f"line {i + 1}: a second plan")
            if tests and i != len(lines) - 1:
                raise TapError(f"line {i + 1}: a plan after tests must be the last line")
            plan = int(m.group(1))
        elif ln.startswith("#"):
            pass
        elif ln.startswith(("ok", "not ok")):
            m = test_re.match(ln)
            if not m:
                raise TapError(f"line {i + 1}: malformed test line {ln!r}")
            num = int(m.group(2)) if m.group(2) else len(tests) + 1
            if num != len(tests) + 1:
                raise TapError(f"line {i + 1}: test {num} out of order")
            tests.append({"ok": m.group(1) == "ok", "num": num, "desc": (m.group(3) or "").strip(),
                          "directive": m.group(4), "yaml": None})
        elif ln == "  ---":
            if not tests or tests[-1]["yaml"] is not None or lines[i - 1].startswith(("  ", "#")):
                raise TapError(f"line {i + 1}: a YAML block must follow its test line")
            block = []
            i += 1
            while i < len(lines) and lines[i] != "  ...":
                if not lines[i].startswith("  "):
                    raise TapError(f"line {i + 1}: YAML block lines are indented")
                block.append(lines[i][2:])
                i += 1
            if i == len(lines):
                raise TapError("unterminated YAML block")
            tests[-1]["yaml"] = block
        elif ln.strip() == "":
            raise TapError(f"line {i + 1}: blank line")
        else:
            raise TapError(f"line {i + 1}: not TAP: {ln!r}")
        i += 1
    if plan is None:
        raise TapError("no plan")
    if plan != len(tests):
        raise TapError(f"plan 1..{plan} but {len(tests)} tests")
    return {"plan": plan, "tests": tests}


def test_tap_parser_is_strict():
    parse_tap13("TAP version 13\n1..1\nok 1 a\n")
    for bad in ("1..1\nok 1 a\n", "TAP version 13\n1..2\nok 1 a\n", "TAP version 13\n1..1\nok 2 a\n",
                "TAP version 13\n1..1\nhello\nok 1 a\n", "TAP version 13\n1..1\nok 1 a\n  ---\n  x: 1\n"):
        with pytest.raises(TapError):
            parse_tap13(bad)


@pytest.fixture(scope="module")
def mismatch_model(tmp_path_factory) -> str:
    """A unit model whose expectation is wrong, for a failing row."""
    text = (ROOT / UNIT / "lock_order_consistent.c").read_text()
    text = text.replace("@expect sc * holds", "@expect sc no-deadlock violated\n * @expect sc * holds")
    assert "no-deadlock violated" in text
    p = tmp_path_factory.mktemp("models") / "wrong_expectation.c"
    p.write_text(text)
    return str(p)


def test_verify_tap(mismatch_model):
    r = cli("verify", f"{UNIT}/srcu_abba_deadlock.c", f"{UNIT}/lock_order_consistent.c", "--format", "tap")
    assert r.returncode == 0, r.stderr
    tap = parse_tap13(r.stdout)
    assert tap["plan"] == 33 and all(t["ok"] for t in tap["tests"])
    # written as the runs finish: the plan last, after the kselftest totals
    assert r.stdout.rstrip().splitlines()[-2:] == ["# Totals: pass:33 fail:0 xfail:0 xpass:0 skip:0 error:0", "1..33"]
    r = cli("verify", f"{UNIT}/lock_order_consistent.c", mismatch_model, "--format", "tap")
    assert r.returncode == 1
    tap = parse_tap13(r.stdout)
    bad = [t for t in tap["tests"] if not t["ok"]]
    assert len(bad) == 1 and bad[0]["desc"].endswith("[sc] no-deadlock")
    assert any(ln.startswith("message:") and "expected violated, got holds" in ln for ln in bad[0]["yaml"])
    assert "fail:1" in r.stdout


def test_tap_shows_the_trace_of_a_failing_violation(tmp_path):
    text = (ROOT / UNIT / "srcu_abba_deadlock.c").read_text()
    p = tmp_path / "expects_no_deadlock.c"
    p.write_text(re.sub(r"@expect\s+sc\s+no-deadlock\s+violated", "@expect sc no-deadlock holds", text))
    r = cli("verify", str(p), "--format", "tap")
    assert r.returncode == 1
    tap = parse_tap13(r.stdout)
    bad = [t for t in tap["tests"] if not t["ok"]]
    assert len(bad) == 1 and any(ln.startswith("trace: |") for ln in bad[0]["yaml"])
    assert any("CPU0 (writer)" in ln for ln in bad[0]["yaml"])


# -- JUnit -----------------------------------------------------------------------------------------


def junit_schema():
    import xmlschema

    return xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit.xsd"))


def test_verify_junit(mismatch_model):
    import xml.etree.ElementTree as ET

    schema = junit_schema()
    r = cli("verify", f"{UNIT}/srcu_abba_deadlock.c", f"{UNIT}/lock_order_consistent.c", mismatch_model,
            "--format", "junit")
    assert r.returncode == 1
    schema.validate(r.stdout)
    root = ET.fromstring(r.stdout)
    # written as the runs finish: one suite per run, the totals on each suite
    assert root.tag == "testsuites" and len(root.findall(".//testcase")) == 44
    suites = root.findall("testsuite")
    assert len(suites) == 4 and sum(int(s.get("failures")) for s in suites) == 1
    fails = root.findall(".//failure")
    assert len(fails) == 1 and "expected violated, got holds" in fails[0].get("message")
    # and the schema really checks: a failure without its test case is invalid
    with pytest.raises(Exception):
        schema.validate('<testsuites><testsuite name="x" tests="1" failures="1" errors="0">'
                        "<failure/></testsuite></testsuites>")


def test_ci_formatters_take_any_rows():
    """What `rmapcheck prove` hands the formatters: rows with the documented attributes only."""
    rows = [SimpleNamespace(model="models/x.c", prop="no-leak", expected="holds", got="holds", status="ok"),
            SimpleNamespace(model="models/x.c", prop="no-deadlock", expected="holds", got="unknown",
                            status="INCOMPLETE", detail="z3 gave up")]
    tap = parse_tap13(ci.render(rows, "tap", suite="rmapcheck prove"))
    assert [t["ok"] for t in tap["tests"]] == [True, False]
    out = ci.render(rows, "junit", suite="rmapcheck prove")
    junit_schema().validate(out)
    assert "<error" in out and 'errors="1"' in out
    doc = json.loads(ci.render(rows, "json", exit_code=3))
    assert doc["exit_code"] == 3 and doc["rows"][1]["status"] == "INCOMPLETE"


def test_verify_json_still_works():
    r = cli("verify", f"{UNIT}/lock_order_consistent.c", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["exit_code"] == 0 and all(row["status"] == "ok" for row in doc["rows"])


# -- explain -----------------------------------------------------------------------------------------


def test_explain_lost_update():
    r = cli("explain", f"{UNIT}/lost_update_array_copy.c", "--reduction", "none")  # the unreduced shortest
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for line in out.splitlines():
        assert len(line) <= 80 and line.isascii(), line
    assert out.startswith("an rmap pointer written into the old array")
    assert "Model: tests/models/unit/lost_update_array_copy.c" in out
    assert "NR_SLOTS = 1" in out
    assert "Threads:\n  writer   writer() at line 30\n  vcpu   vcpu() at line 43" in out
    assert re.search(r"rmaps-present\s+violated\s+expected violated", out)
    assert "CPU0 (writer)" in out
    text = " ".join(out.split())
    assert "First, vcpu (vcpu(), lines 45-51) enters an srcu read section of kvm.srcu" in text
    assert ("That value was copied from arr0.s[0].rmap by writer at line 35, before vcpu wrote &int#1 to "
            "arr0.s[0].rmap at line 51: the copy missed that write") in text
    assert "/work/" not in out and "/tmp/" not in out


@pytest.mark.parametrize("name,words", [
    ("leak_overwrite_no_recheck", "vcpu.1 overwrote rmap, which held &int#1 (stored by vcpu.0 at line 28)"),
    ("lock_leak_error_path", "took slots_arch_lock at line 26 (alloc_rmaps()) and returned without releasing it"),
    ("uaf_free_without_grace_period", "writer freed slots#1 at line 28 (replace()) while reader was still "
                                      "inside its srcu read section"),
    ("invariant_flag_before_alloc", "false in the state after vcpu writes have_rmaps = 1 at line 44"),
])
def test_explain_says_what_went_wrong(name, words):
    r = cli("explain", f"{UNIT}/{name}.c")
    assert r.returncode == 0, r.stderr
    assert words in " ".join(r.stdout.split())


def test_explain_weak_memory_names_the_missed_write():
    from rmapcheck.necessity import find_elements, mutate
    from rmapcheck.report.explain import violation_text

    program, _ = run(DESIGN, "ra")
    weak = mutate(program, next(e for e in find_elements(program) if e.kind == "release"))
    r = check_program(weak, "ra").results["rmaps-present"]
    text = " ".join(violation_text(build_execution(weak, r, "ra")).split())
    assert "under weak memory it read an older value, missing" in text and "written by vcpu" in text
