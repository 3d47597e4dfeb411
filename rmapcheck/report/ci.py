"""CI formats for `rmapcheck verify` (and `rmapcheck prove`): TAP 13, JUnit XML, JSON.

Every formatter takes a list of *rows*, one per checked verdict. A row is any object
with the attributes

    model, prop, expected, got, status        (required; status "ok" is a pass)
    memory_model, config, states, seconds     (optional)
    z3                                        (optional: z3's verdict under --engine both)
    detail                                    (optional: text shown with a failure)

as ``rmapcheck.verify.VerifyRow`` has. ``results`` (optional) are the RunResults the
rows come from: a failing row shows the counterexample of its property, if it has one.
A status other than "ok" is a failure, except ``INCOMPLETE`` (a limit stopped the run) and
``INTERNAL ERROR`` (rmapcheck failed on the run), which TAP and JUnit report as errors, not as
failures.

    from rmapcheck.report import ci
    sys.stdout.write(ci.render(rows, "tap", results, suite="rmapcheck prove"))
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from rmapcheck.report.diagram import render_diagram

FORMATS = ("tap", "junit", "json")
PASS, INCOMPLETE, INTERNAL = "ok", "INCOMPLETE", "INTERNAL ERROR"
ERRORS = (INCOMPLETE, INTERNAL)  # statuses that say nothing of the model: errors, not failures


def test_name(row) -> str:
    mm = getattr(row, "memory_model", "") or ""
    cfg = getattr(row, "config", "") or ""
    where = " ".join(x for x in (f"[{mm}]" if mm else "", cfg if cfg and cfg != "default" else "") if x)
    return f"{row.model} {where + ' ' if where else ''}{row.prop}"


def _trace_for(row, results) -> str:
    """The race diagram of the row's violation, if the row's run has one."""
    for res in results or []:
        model = str(row.model)
        if not (res.model == model or res.model.endswith("/" + model) or model.endswith("/" + res.model)):
            continue
        if getattr(row, "memory_model", res.memory_model) != res.memory_model:
            continue
        cfg = getattr(row, "config", "default") or "default"
        if cfg != "default" and any(
                "=" in item and str(res.defines.get(item.split("=")[0])) != item.split("=", 1)[1]
                for item in cfg.split()):
            continue
        r = res.results.get(row.prop)
        if r is not None and r.trace is not None:
            return render_diagram(r.trace)
    return ""


def _why(row) -> str:
    if row.status == "ERROR":
        return f"the model does not load: {getattr(row, 'detail', '')}"
    if row.status == INCOMPLETE:
        return f"incomplete: a limit stopped the run before {row.prop} was decided"
    if row.status == INTERNAL:
        return f"rmapcheck failed on this run: {getattr(row, 'detail', '')}"
    detail = getattr(row, "detail", "")
    return f"expected {row.expected}, got {row.got}" + (f": {detail}" if detail else "")


# -- TAP 13 --------------------------------------------------------------------------------------


def _yaml_str(s: str) -> str:
    return json.dumps(str(s))  # a JSON string is a valid YAML flow scalar


def tap_points(rows: list, first: int, results: list | None = None) -> tuple[list[str], dict]:
    """The test lines of rows, numbered from first, with a YAML block for each failure;
    and how many passed, failed and erred."""
    out: list[str] = []
    counts = {"pass": 0, "fail": 0, "error": 0}
    for n, row in enumerate(rows, first):
        name = test_name(row).replace("#", "\\#")
        if row.status == PASS:
            counts["pass"] += 1
            out.append(f"ok {n} {name}")
            continue
        counts["error" if row.status in ERRORS else "fail"] += 1
        out.append(f"not ok {n} {name}")
        out.append("  ---")
        out.append(f"  message: {_yaml_str(_why(row))}")
        out.append(f"  severity: {'error' if row.status in ERRORS else 'fail'}")
        out.append(f"  expected: {_yaml_str(row.expected)}")
        out.append(f"  got: {_yaml_str(row.got)}")
        for key in ("memory_model", "config", "states", "seconds", "z3"):
            if getattr(row, key, "") != "":
                v = getattr(row, key)
                out.append(f"  {key}: {v if isinstance(v, (int, float)) else _yaml_str(v)}")
        trace = _trace_for(row, results)
        if trace:
            out.append("  trace: |")
            out.extend("    " + ln for ln in trace.rstrip("\n").split("\n"))
        out.append("  ...")
    return out, counts


def _tap_totals(c: dict) -> str:
    return f"# Totals: pass:{c['pass']} fail:{c['fail']} xfail:0 xpass:0 skip:0 error:{c['error']}"


def tap(rows: list, results: list | None = None, suite: str = "rmapcheck verify") -> str:
    """TAP version 13, as the kernel's kselftests print it (plan first, totals last)."""
    points, counts = tap_points(rows, 1, results)
    out = ["TAP version 13", f"1..{len(rows)}", f"# {suite}: {len(rows)} verdicts", *points, _tap_totals(counts)]
    return "\n".join(out) + "\n"


class TapStream:
    """TAP version 13 written as the runs finish: the test lines of each run at once, the plan
    last (TAP allows a plan after the tests: the number is not known before every model has
    loaded and run), preceded by the kselftest totals."""

    def __init__(self, out, suite: str):
        self.out, self.n = out, 0
        self.counts = {"pass": 0, "fail": 0, "error": 0}
        self._write(["TAP version 13", f"# {suite}"])

    def _write(self, lines: list[str]) -> None:
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def run(self, rows: list, results: list | None = None) -> None:
        points, counts = tap_points(rows, self.n + 1, results)
        self.n += len(rows)
        for k, v in counts.items():
            self.counts[k] += v
        self._write(points)

    def close(self) -> None:
        self._write([_tap_totals(self.counts), f"1..{self.n}"])


# -- JUnit XML -------------------------------------------------------------------------------------


def _run_key(row) -> tuple:
    return row.model, getattr(row, "memory_model", ""), getattr(row, "config", "")


def junit_suite(name: str, rows: list, results: list | None = None) -> ET.Element:
    """One <testsuite> of rows, one <testcase> per verdict."""
    ts = ET.Element("testsuite", name=str(name))
    counts = {"tests": 0, "failures": 0, "errors": 0}
    total = 0.0
    # a row's seconds are its whole run's: share them among the run's verdicts
    per_run: dict = {}
    for row in rows:
        per_run[_run_key(row)] = per_run.get(_run_key(row), 0) + 1
    for row in rows:
        seconds = float(getattr(row, "seconds", 0.0) or 0.0) / per_run[_run_key(row)]
        mm = getattr(row, "memory_model", "")
        cfg = getattr(row, "config", "")
        name = row.prop + (f" [{mm}]" if mm else "") + (f" {cfg}" if cfg and cfg != "default" else "")
        tc = ET.SubElement(ts, "testcase", name=name, classname=str(row.model).replace("/", ".").removesuffix(".c"),
                           time=f"{seconds:.3f}")
        counts["tests"] += 1
        total += seconds
        if row.status == PASS:
            continue
        tag = "error" if row.status in ERRORS else "failure"
        el = ET.SubElement(tc, tag, message=_why(row), type=row.status)
        el.text = _trace_for(row, results) or _why(row)
        counts["errors" if tag == "error" else "failures"] += 1
    ts.attrib.update({k: str(v) for k, v in counts.items()}, skipped="0", time=f"{total:.3f}")
    return ts


def junit(rows: list, results: list | None = None, suite: str = "rmapcheck verify") -> str:
    """JUnit XML: one <testsuite> per model, one <testcase> per verdict."""
    root = ET.Element("testsuites", name=suite)
    by_model: dict = {}
    for row in rows:
        by_model.setdefault(row.model, []).append(row)
    for model, mrows in by_model.items():
        root.append(junit_suite(model, mrows, results))
    totals = {k: sum(int(ts.get(k)) for ts in root) for k in ("tests", "failures", "errors")}
    root.attrib.update({k: str(v) for k, v in totals.items()},
                       time=f"{sum(float(ts.get('time')) for ts in root):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class JUnitStream:
    """JUnit XML written as the runs finish: one <testsuite> per run (model, memory model,
    configuration), so that a job killed by its timeout leaves every finished run readable
    (the closing tag is all that is missing)."""

    def __init__(self, out, suite: str):
        self.out = out
        self.out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name={_xml_attr(suite)}>\n')
        self.out.flush()

    def run(self, name: str, rows: list, results: list | None = None) -> None:
        ts = junit_suite(name, rows, results)
        ET.indent(ts, level=1)
        self.out.write("  " + ET.tostring(ts, encoding="unicode").rstrip("\n") + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.write("</testsuites>\n")
        self.out.flush()


def _xml_attr(s: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(s)


# -- JSON --------------------------------------------------------------------------------------------


def json_doc(rows: list, results: list | None = None, exit_code: int | None = None) -> dict:
    from rmapcheck.report.json_out import result_doc

    doc: dict = {}
    if exit_code is not None:
        doc["exit_code"] = exit_code
    doc["rows"] = [dict(vars(r)) if hasattr(r, "__dict__") else dict(r) for r in rows]
    doc["results"] = [result_doc(r) for r in results or []]
    return doc


def render(rows: list, fmt: str, results: list | None = None, suite: str = "rmapcheck verify",
           exit_code: int | None = None) -> str:
    if fmt == "tap":
        return tap(rows, results, suite)
    if fmt == "junit":
        return junit(rows, results, suite)
    if fmt == "json":
        return json.dumps(json_doc(rows, results, exit_code), indent=2) + "\n"
    raise ValueError(f"unknown CI format {fmt!r} (known: {', '.join(FORMATS)})")
