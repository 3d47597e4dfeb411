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

import html
import json
import os
import re
from pathlib import Path

from rmapcheck.errors import UsageError, pos_text
from rmapcheck.properties.verdict import HOLDS, VIOLATED

MARKER = ".rmapcheck-report"
THREAD_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

CSS = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
header { padding: 0.6em 1.2em; background: #243447; color: #fff; }
header a { color: #cde; }
main { padding: 0.8em 1.2em; }
h1 { font-size: 1.3em; margin: 0.2em 0; }
h2 { font-size: 1.1em; border-bottom: 1px solid #ccc; }
table.verdicts { border-collapse: collapse; margin: 0.5em 0 1em; }
table.verdicts td, table.verdicts th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.holds { color: #1a7f37; } .violated { color: #b42318; font-weight: bold; }
.mismatch { background: #ffe0e0; } .incomplete { color: #9a6700; }
.layout { display: flex; gap: 1.2em; align-items: flex-start; }
.source { flex: 1 1 50%; max-height: 85vh; overflow: auto; position: sticky; top: 0.5em;
          border: 1px solid #ccc; background: #fbfbfb; }
.side { flex: 1 1 50%; min-width: 0; }
table.src { border-collapse: collapse; font: 12px/1.35 ui-monospace, monospace; width: 100%; }
table.src td.n { color: #999; text-align: right; padding: 0 8px; user-select: none; width: 3em; }
table.src td.c { white-space: pre; padding: 0 6px; }
table.src tr.cur td.c { background: #ffe58f !important; font-weight: bold; }
table.src td.who { width: 7em; font-size: 11px; padding: 0 4px; white-space: nowrap; }
.stepper { border: 1px solid #ccc; padding: 0.5em 0.8em; margin: 0.8em 0; }
.stepper button { font-size: 1em; margin-right: 0.4em; }
.stepper .pos { font-family: monospace; margin-left: 0.5em; }
.stepper .now { font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; background: #f4f4f4;
                padding: 0.4em; margin: 0.5em 0; min-height: 3em; }
ol.steps { font: 12px/1.4 ui-monospace, monospace; max-height: 20em; overflow: auto; padding-left: 3em; }
ol.steps li.cur { background: #ffe58f; }
ol.steps li { cursor: pointer; }
pre.final { white-space: pre-wrap; background: #fff4f4; padding: 0.4em; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 4px; color: #fff; border-radius: 3px; }
"""

JS = r"""
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("traces").textContent);
  var colours = JSON.parse(document.getElementById("colours").textContent);
  var rows = document.querySelectorAll("table.src tr");
  var pos = data.map(function () { return -1; });
  function clear() {
    for (var i = 0; i < rows.length; i++) {
      rows[i].classList.remove("cur");
      rows[i].querySelector("td.c").style.background = "";
      rows[i].querySelector("td.who").textContent = "";
    }
  }
  function row(s) { return document.getElementById((s.fi ? "F" + s.fi : "") + "L" + s.line); }
  function showFile(fi) {  // the source pane shows the file of the current step (a model or a header)
    var files = document.querySelectorAll("div.file");
    for (var i = 0; i < files.length; i++) files[i].hidden = (files[i].dataset.fi !== String(fi || 0));
  }
  function show(t, k) {
    var tr = data[t];
    if (k < 0) k = 0;
    if (k >= tr.steps.length) k = tr.steps.length - 1;
    pos[t] = k;
    clear();
    var last = {};
    for (var i = 0; i <= k; i++) last[tr.steps[i].tid] = tr.steps[i];
    Object.keys(last).forEach(function (tid) {
      var s = last[tid], r = row(s);
      if (!r) return;
      var c = colours[tr.threads.indexOf(s.thread) % colours.length];
      r.querySelector("td.c").style.background = c + "33";
      var who = r.querySelector("td.who");
      who.textContent = (who.textContent ? who.textContent + " " : "") + s.thread;
      who.style.color = c;
    });
    var s = tr.steps[k], cur = row(s);
    showFile(s.fi);
    if (cur) {
      cur.classList.add("cur");
      var pane = cur.closest(".source"), a = cur.getBoundingClientRect(), b = pane.getBoundingClientRect();
      if (a.top < b.top || a.bottom > b.bottom) pane.scrollTop += a.top - b.top - b.height / 2;
    }
    var box = document.getElementById("stepper-" + t);
    box.querySelector(".pos").textContent = "step " + (k + 1) + " / " + tr.steps.length;
    box.querySelector(".now").textContent = (k + 1) + ". " + s.thread + "  " + s.func + ":" + s.where +
      "  " + s.text + (s.ops.length ? "\n    " + s.ops.join("\n    ") : "") + (s.note ? "\n    !! " + s.note : "");
    box.querySelector("button.prev").disabled = (k === 0);
    box.querySelector("button.next").disabled = (k === tr.steps.length - 1);
    var items = box.querySelectorAll("ol.steps li");
    for (var j = 0; j < items.length; j++) items[j].classList.toggle("cur", j === k);
    document.body.dataset.activeTrace = String(t);
    document.body.dataset.activeLine = String(s.line);
  }
  data.forEach(function (tr, t) {
    var box = document.getElementById("stepper-" + t);
    box.querySelector("button.prev").addEventListener("click", function () { show(t, pos[t] - 1); });
    box.querySelector("button.next").addEventListener("click", function () { show(t, pos[t] + 1); });
    box.querySelector("button.first").addEventListener("click", function () { show(t, 0); });
    var items = box.querySelectorAll("ol.steps li");
    for (var j = 0; j < items.length; j++) {
      (function (j) { items[j].addEventListener("click", function () { show(t, j); }); })(j);
    }
  });
  if (data.length) show(0, 0);
})();
"""


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def slug(display: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "__", display.removesuffix(".c"))
    return s.strip("_.") + ".html"


def _page(title: str, body: str, script: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        + (f"<script>{script}</script>\n" if script else "")
        + "</body>\n</html>\n"
    )


def _json_script(id_: str, obj) -> str:
    text = json.dumps(obj).replace("</", "<\\/")
    return f'<script type="application/json" id="{id_}">{text}</script>'


def model_page(display: str, program, runs: list) -> tuple[str, dict]:
    """The page of one model; ``runs`` is [(memory model, RunResult, {prop: expected})].

    Returns the HTML and a summary for the index.
    """
    from rmapcheck.report.diagram import render_diagram

    m = program.meta
    body = [f'<header><a href="index.html">&larr; all models</a><h1>{_e(m.title or display)}</h1>'
            f"<div>{_e(display)}</div></header>", "<main>"]
    if m.sources:
        body.append("<p><b>Sources:</b></p><ul>" + "".join(f"<li>{_e(s)}</li>" for s in m.sources) + "</ul>")
    if m.description:
        body.append(f"<p>{_e(m.description)}</p>")
    threads = ", ".join(f"{t.name}" + (f" &times;{t.instances}" if t.instances > 1 else "") for t in program.threads)
    params = ", ".join(f"{_e(k)}={_e(v)}" for k, v in program.defines.items())
    body.append(f"<p><b>Threads:</b> {threads}" + (f" &nbsp; <b>Parameters:</b> {params}" if params else "")
                + (f" &nbsp; <b>Allocation failures:</b> {m.faults}" if m.faults else "") + "</p>")
    traces = []
    summary = {"holds": 0, "violated": 0, "other": 0, "mismatch": 0}
    table = ['<table class="verdicts"><tr><th>memory model</th><th>property</th><th>verdict</th>'
             "<th>expected</th><th>states</th></tr>"]
    for mm, res, expected in runs:
        for name, r in res.results.items():
            exp = expected.get(name)
            bad = exp is not None and r.verdict in (HOLDS, VIOLATED) and r.verdict != exp
            summary["holds" if r.verdict == HOLDS else "violated" if r.verdict == VIOLATED else "other"] += 1
            summary["mismatch"] += int(bad)
            cls = r.verdict if r.verdict in (HOLDS, VIOLATED) else "incomplete"
            link = ""
            if r.verdict == VIOLATED and r.trace is not None:
                link = f' (<a href="#trace-{len(traces)}">trace</a>)'
                traces.append((mm, r))
            table.append(f'<tr class="{"mismatch" if bad else ""}"><td>{mm}</td><td>{_e(name)}</td>'
                         f'<td class="{cls}">{_e(r.verdict)}{link}</td><td>{_e(exp or "-")}</td>'
                         f"<td>{res.stats.states}</td></tr>")
    table.append("</table>")
    data = []
    steppers = []
    # the files the model #includes: a step in one of them shows that file in the source pane
    included = [(f, lines) for f, lines in getattr(program, "files", {}).items() if f != program.path]
    file_index = {f: k + 1 for k, (f, _) in enumerate(included)}
    for k, (mm, r) in enumerate(traces):
        tr = r.trace
        names = []
        for s in tr.steps:
            if s.thread not in names:
                names.append(s.thread)
        data.append({
            "prop": r.name, "memory_model": mm, "threads": names,
            "steps": [{"tid": s.tid, "thread": s.thread, "line": s.line, "func": s.func, "text": s.text.strip(),
                       "ops": list(s.ops), "note": s.note, "fi": file_index.get(s.file, 0),
                       "where": pos_text(s.line, s.file)} for s in tr.steps],
        })
        legend = "".join(f'<span style="background:{THREAD_COLOURS[i % len(THREAD_COLOURS)]}">{_e(n)}</span>'
                         for i, n in enumerate(names))
        items = "".join(f"<li>{_e(s.thread)} {_e(s.func)}:{_e(pos_text(s.line, s.file))} {_e(s.text.strip())}</li>"
                        for s in tr.steps)
        steppers.append(
            f'<div class="stepper" id="stepper-{k}"><h2 id="trace-{k}">{_e(r.name)} violated under {mm}</h2>'
            f"<p>{_e(r.message)}</p><div class=\"legend\">{legend}</div>"
            '<p><button class="first" type="button">|&lt; first</button>'
            '<button class="prev" type="button">&lt; previous</button>'
            '<button class="next" type="button">next &gt;</button><span class="pos"></span></p>'
            f'<div class="now"></div><ol class="steps">{items}</ol>'
            f'<details><summary>race diagram</summary><pre>{_e(render_diagram(tr))}</pre></details>'
            f'<pre class="final">{_e(tr.final)}</pre></div>'
        )
    panes = []
    for fi, (fname, flines) in enumerate([(display, program.source_lines)] + included):
        pre = f"F{fi}" if fi else ""
        src_rows = "".join(
            f'<tr id="{pre}L{n}"><td class="n">{n}</td><td class="who"></td><td class="c">{_e(line) or " "}</td></tr>'
            for n, line in enumerate(flines, 1)
        )
        panes.append(f'<div class="file" data-fi="{fi}"{" hidden" if fi else ""}><p class="fname">{_e(fname)}</p>'
                     f'<table class="src">{src_rows}</table></div>')
    body.append('<div class="layout"><div class="source">' + "".join(panes) + "</div>")
    body.append('<div class="side"><h2>Verdicts</h2>' + "".join(table))
    body.append("".join(steppers) if steppers else "<p>No counterexample: every property holds.</p>")
    body.append("</div></div></main>")
    body.append(_json_script("traces", data))
    body.append(_json_script("colours", THREAD_COLOURS))
    return _page(m.title or display, "\n".join(body), JS), summary


def index_page(entries: list) -> str:
    """entries: [(display, page file, title, summary)]."""
    rows = []
    for display, page, title, s in entries:
        status = "MISMATCH" if s["mismatch"] else ("incomplete" if s["other"] else "as expected")
        cls = "mismatch" if s["mismatch"] else ""
        rows.append(f'<tr class="{cls}"><td><a href="{_e(page)}">{_e(display)}</a></td><td>{_e(title)}</td>'
                    f'<td class="holds">{s["holds"]}</td><td class="violated">{s["violated"]}</td>'
                    f"<td>{status}</td></tr>")
    body = ('<header><h1>rmapcheck report</h1><div>every model, its verdicts, and each counterexample '
            'step by step</div></header><main><table class="verdicts"><tr><th>model</th><th>title</th>'
            "<th>holds</th><th>violated</th><th>expectations</th></tr>" + "".join(rows) + "</table></main>")
    return _page("rmapcheck report", body)


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
    from rmapcheck.verify import collect_models, display_name, expectation

    prepare_dir(Path(out_dir))  # refuse before spending time on the models
    pages: dict = {}
    entries = []
    code = 0
    for path in collect_models(paths):
        program = load_model(path, defines or {})
        display = display_name(path)
        runs = []
        for mm in program.meta.memory_models:
            if memory_models and mm not in memory_models:
                continue
            if progress:
                progress(display, mm)
            prog = load_for(path, mm, defines, program=program)  # with its @defines, as in verify
            res = check_program(prog, mm, limits=limits)
            runs.append((mm, res, {n: expectation(prog, mm, n, defines) for n in res.results}))
        text, summary = model_page(display, program, runs)
        text = text.replace(os.path.abspath(path), display)
        page = slug(display)
        pages[page] = text
        entries.append((display, page, program.meta.title, summary))
        if summary["mismatch"]:
            code = 1
        elif summary["other"] and code == 0:
            code = 3
    pages["index.html"] = index_page(entries)
    write_report(out_dir, pages)
    return code
