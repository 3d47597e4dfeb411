"""What `rmapcheck verify` writes for each finished run and at the end: text, table, TAP,
JUnit, JSON or JSON lines. One writer per format; each has run() (a run finished) and
close() (every run finished), so CI formats are written incrementally."""

from __future__ import annotations

import json

from rmapcheck.report import ci
from rmapcheck.report.json_out import dumps, result_doc
from rmapcheck.report.tables import run_line, verify_summary, verify_table


class TextWriter:
    """A line per run as it finishes (text) or one table at the end (table), then the summary."""

    def __init__(self, fmt: str, out):
        self.fmt, self.out = fmt, out

    def run(self, outcome, done: int, total: int) -> None:
        if self.fmt == "text":
            self.out.write(run_line(outcome, done, total) + "\n")
            self.out.flush()

    def close(self, outcomes, code: int, traces) -> None:
        if self.fmt == "table":
            self.out.write(verify_table([r for o in outcomes for r in o.rows]))
        if traces:
            self.out.write(verify_traces(outcomes, *traces))
        self.out.write(verify_summary(outcomes, code))


class TapWriter:
    def __init__(self, fmt: str, out):
        self.tap = ci.TapStream(out, "rmapcheck verify")

    def run(self, outcome, done: int, total: int) -> None:
        self.tap.run(outcome.rows, [outcome.result] if outcome.result else [])

    def close(self, outcomes, code: int, traces) -> None:
        self.tap.close()


class JUnitWriter:
    def __init__(self, fmt: str, out):
        self.xml = ci.JUnitStream(out, "rmapcheck verify")

    def run(self, outcome, done: int, total: int) -> None:
        self.xml.run(outcome.run.label, outcome.rows, [outcome.result] if outcome.result else [])

    def close(self, outcomes, code: int, traces) -> None:
        self.xml.close()


class JsonWriter:
    """json: one document at the end; jsonl: a document per run, then the exit code."""

    def __init__(self, fmt: str, out):
        self.fmt, self.out = fmt, out

    def run(self, outcome, done: int, total: int) -> None:
        if self.fmt == "jsonl":
            self.out.write(json.dumps(_run_doc(outcome), separators=(",", ":")) + "\n")
            self.out.flush()

    def close(self, outcomes, code: int, traces) -> None:
        if self.fmt == "jsonl":
            self.out.write(json.dumps({"exit_code": code, "runs": len(outcomes)}) + "\n")
            return
        doc = {"exit_code": code, "rows": [r.__dict__ for o in outcomes for r in o.rows],
               "results": [result_doc(o.result) for o in outcomes if o.result is not None],
               "errors": [{"model": o.rows[0].model, "message": o.error} for o in outcomes if o.error]}
        self.out.write(dumps(doc))


def _run_doc(o) -> dict:
    return {"model": o.rows[0].model, "memory_model": o.run.memory_model, "status": o.status,
            "rows": [r.__dict__ for r in o.rows], "error": o.error or None,
            "result": result_doc(o.result) if o.result is not None else None}


WRITERS = {"tap": TapWriter, "junit": JUnitWriter, "json": JsonWriter, "jsonl": JsonWriter}


def verify_stream(fmt: str, out):
    """The writer for --format fmt (text and table: TextWriter)."""
    return WRITERS.get(fmt, TextWriter)(fmt, out)


def verify_traces(outcomes, width: int = 80, max_steps: int | None = None) -> str:
    """--traces: every violation's step list and race diagram, in plan order."""
    from rmapcheck.properties.verdict import VIOLATED
    from rmapcheck.report.diagram import render_diagram
    from rmapcheck.report.steps import render_steps

    out = []
    for o in outcomes:
        res = o.result
        for r in res.results.values() if res is not None else ():
            if r.verdict == VIOLATED and r.trace is not None:
                out.append(f"\n== {res.model} [{res.memory_model}] {r.name}\n")
                out.append(render_steps(r.trace, width=width, max_steps=max_steps) + "\n"
                           + render_diagram(r.trace, width=width, max_steps=max_steps))
    return "".join(out) + ("\n" if out else "")
