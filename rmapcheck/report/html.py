"""`rmapcheck report --html DIR`: a static site for teaching.

``index.html`` lists the models; each model has a page with its header, its source
with line numbers, its verdict table (per memory model, with the expectation), and
each counterexample as a stepper: *previous* and *next* buttons walk the trace, the
source line of the current step is highlighted, and every other thread's current
position is marked in that thread's colour. No external resources: the pages work
from the file system, offline.

The directory is the report's own: a file ``.rmapcheck-report`` lists what it wrote.
An existing directory is only written into if it is empty or holds such a report
(whose listed files are replaced); anything else is refused, so a user's files are
never overwritten.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

from rmapcheck.errors import UsageError, pos_text
from rmapcheck.properties.verdict import HOLDS, VIOLATED

MARKER = ".rmapcheck-report"
THREAD_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.lru_cache(maxsize=1)
def _env():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              trim_blocks=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def _static(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _render(template: str, title: str, script: bool, **context) -> str:
    """A page with its style and script inlined: the site works offline, from the file system."""
    return _env().get_template(template).render(title=title, css=_static("style.css"),
                                                script=_static("stepper.js") if script else "", **context)


def slug(display: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "__", display.removesuffix(".c"))
    return s.strip("_.") + ".html"


def _json_script(id_: str, obj) -> str:
    text = json.dumps(obj).replace("</", "<\\/")
    return f'<script type="application/json" id="{id_}">{text}</script>'


# the verdict table: what needs a reader first (a mismatch, a violation) at its top
_ORDER = {VIOLATED: 1, HOLDS: 3}


def model_page(display: str, program, runs: list) -> tuple[str, dict]:
    """The page of one model; ``runs`` is [(memory model, RunResult, {prop: expected})]:
    its counterexamples first, each a stepper ready at its first step, then the verdicts (the
    violations at the top), then the model's header. Returns the HTML and a summary for the index."""
    from rmapcheck.report.diagram import render_diagram

    m = program.meta
    summary = {"holds": 0, "violated": 0, "other": 0, "mismatch": 0}
    verdicts, traces = [], []
    for mm, res, expected in runs:
        for name, r in res.results.items():
            exp = expected.get(name)
            bad = exp is not None and r.verdict in (HOLDS, VIOLATED) and r.verdict != exp
            summary["holds" if r.verdict == HOLDS else "violated" if r.verdict == VIOLATED else "other"] += 1
            summary["mismatch"] += int(bad)
            trace = None
            if r.verdict == VIOLATED and r.trace is not None:
                trace = len(traces)
                traces.append((mm, r))
            verdicts.append({"mm": mm, "name": name, "verdict": r.verdict, "expected": exp or "-", "bad": bad,
                             "cls": r.verdict if r.verdict in (HOLDS, VIOLATED) else "incomplete",
                             "trace": trace, "states": res.stats.states})
    verdicts.sort(key=lambda v: (not v["bad"], _ORDER.get(v["verdict"], 2)))
    # the files the model #includes: a step in one of them shows that file in the source pane
    included = [(f, lines) for f, lines in getattr(program, "files", {}).items() if f != program.path]
    file_index = {f: k + 1 for k, (f, _) in enumerate(included)}
    data, steppers = [], []
    for mm, r in traces:
        tr = r.trace
        names = []
        for st in tr.steps:
            if st.thread not in names:
                names.append(st.thread)
        data.append({
            "prop": r.name, "memory_model": mm, "threads": names,
            "steps": [{"tid": st.tid, "thread": st.thread, "line": st.line, "func": st.func, "text": st.text.strip(),
                       "ops": list(st.ops), "note": st.note, "fi": file_index.get(st.file, 0),
                       "where": pos_text(st.line, st.file)} for st in tr.steps],
        })
        steppers.append({
            "prop": r.name, "memory_model": mm, "message": r.message, "final": tr.final,
            "legend": [(n, THREAD_COLOURS[i % len(THREAD_COLOURS)]) for i, n in enumerate(names)],
            "step_items": [f"{st.thread} {st.func}:{pos_text(st.line, st.file)} {st.text.strip()}" for st in tr.steps],
            "diagram": render_diagram(tr),
            "dot": _weak_dot(r),
        })
    panes = [{"name": fname, "lines": flines, "prefix": f"F{fi}" if fi else ""}
             for fi, (fname, flines) in enumerate([(display, program.source_lines)] + included)]
    text = _render("model.html.j2", m.title or display, True, display=display, panes=panes, steppers=steppers,
                   verdicts=verdicts, sources=m.sources, description=m.description, threads=program.threads,
                   params=", ".join(f"{k}={v}" for k, v in program.defines.items()), faults=m.faults,
                   traces_json=_json_script("traces", data), colours_json=_json_script("colours", THREAD_COLOURS))
    return text, summary


def _weak_dot(r) -> str:
    """A weak violation's execution graph in DOT (report/weak_witness.py); "" for an interleaving."""
    if getattr(r, "execution", None) is None:
        return ""
    from rmapcheck.report.weak_witness import weak_dot

    return weak_dot(r.execution, f"{r.name} execution")


def index_page(entries: list) -> str:
    """entries: [(display, page file, title, summary)]."""
    rows = [{"display": display, "page": page, "title": title, "holds": s["holds"], "violated": s["violated"],
             "mismatch": s["mismatch"],
             "status": "MISMATCH" if s["mismatch"] else ("incomplete" if s["other"] else "as expected")}
            for display, page, title, s in entries]
    return _render("index.html.j2", "rmapcheck report", False, entries=rows)


# -- the directory ----------------------------------------------------------------------------------


def prepare_dir(out: Path) -> list:
    """Check that ``out`` may be written; return the files a previous report listed."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory: refusing to overwrite it")
    if not out.exists():
        return []
    marker = out / MARKER
    if not marker.exists():
        if any(out.iterdir()):
            raise UsageError(f"{out} exists and is not an rmapcheck report (no {MARKER}): "
                             "refusing to write into it; give a new or empty directory")
        return []
    try:
        listed = json.loads(marker.read_text()).get("files", [])
    except (ValueError, OSError, AttributeError):
        raise UsageError(f"{out}/{MARKER} is not readable: refusing to write into {out}") from None
    return [f for f in listed if isinstance(f, str) and "/" not in f and f not in ("", ".", "..")]


def write_report(out_dir: str, pages: dict) -> None:
    """Write ``pages`` (file name -> text) into out_dir, replacing only a previous report's files."""
    out = Path(out_dir)
    old = prepare_dir(out)
    clash = [f for f in pages if (out / f).exists() and f not in old]
    if clash:
        raise UsageError(f"{out} has files the report would overwrite ({', '.join(sorted(clash))}) that an "
                         "earlier report did not write: refusing")
    out.mkdir(parents=True, exist_ok=True)
    for f in old:
        p = out / f
        if p.is_file() and f not in pages:
            p.unlink()
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
    (out / MARKER).write_text(json.dumps({"generator": "rmapcheck report --html", "files": sorted(pages)},
                                         indent=1) + "\n")


def build_report(paths: list, out_dir: str, memory_models: list | None = None, limits=None,
                 progress=None, defines: dict | None = None) -> int:
    """Check every model and write the site; the exit code (0 as expected, 1 mismatch, 3 incomplete)."""
    from rmapcheck.frontend import load_model
    from rmapcheck.runner import check_program, load_for
    from rmapcheck.verify import WEAK, collect_models, display_name, expectation

    prepare_dir(Path(out_dir))  # refuse before spending time on the models
    pages: dict = {}
    entries = []
    code = 0
    todo = collect_models(paths)
    if progress:  # a rmapcheck.progress.Progress
        progress.set_total(len(todo))
    for k, path in enumerate(todo):
        program = load_model(path, defines or {})
        display = display_name(path)
        runs = []
        asked = [m for m in memory_models or () if m in WEAK]  # never by default: with z3, as check would
        for mm in list(program.meta.memory_models) + asked:
            if memory_models and mm not in memory_models:
                continue
            if progress:
                progress.started(f"{display} [{mm}]")
            prog = load_for(path, mm, defines, program=program)  # with its @defines, as in verify
            res = check_program(prog, mm, "z3" if mm in WEAK else "explicit", limits=limits,
                                progress=progress.run_callback(f"{display} [{mm}]") if progress else None)
            if progress:
                progress.states_done += res.stats.states
            runs.append((mm, res, {n: expectation(prog, mm, n, defines) for n in res.results}))
        text, summary = model_page(display, program, runs)
        text = text.replace(os.path.abspath(path), display)
        page = slug(display)
        pages[page] = text
        entries.append((display, page, program.meta.title, summary))
        if progress:
            progress.finished(k)
        if summary["mismatch"]:
            code = 1
        elif summary["other"] and code == 0:
            code = 3
    pages["index.html"] = index_page(entries)
    write_report(out_dir, pages)
    return code
