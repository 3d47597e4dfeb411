"""`rmapcheck necessity MODEL`: is each synchronisation element of a design needed?

For a design whose properties hold, every synchronisation element is removed or
weakened in turn, on a copy of the IR (the model file is never touched), and the
model is checked again. The answer is a table: the element, what was changed, and
which property breaks (with its shortest counterexample), or "nothing breaks".

Elements found on the IR, grouped by source line (an inlined function's copies
are one element):

* a lock and the unlocks that release it (found by following the control flow
  from the lock): all removed together;
* an unlock on an early-exit or error path (a lock with several unlocks: each but
  the last in the source): removed alone;
* a release store (``smp_store_release``, ``rcu_assign_pointer``) and an acquire
  load (``smp_load_acquire``, ``srcu_dereference``): weakened to plain accesses;
* an srcu read section (``srcu_read_lock`` and its unlocks): removed;
* a ``synchronize_srcu`` and a memory barrier (``smp_mb``...): removed.

Elements the IR cannot see (a re-check, a refresh of a copy) are declared by the
model: ``@element NAME description`` in the header, with the element's code inside
``#ifndef NO_NAME ... #endif``; necessity checks the model with ``-D NO_NAME=1``.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field

from rmapcheck.errors import ModelError, UsageError, pos_text
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import HOLDS, INCOMPLETE, UNKNOWN, VIOLATED


@dataclass
class Element:
    name: str  # what it is: "mutex_lock(&kvm.lock); (line 12)"
    kind: str  # lock, error-unlock, release, acquire, srcu-section, synchronize_srcu, fence, declared
    change: str  # what necessity does to it
    line: int
    sites: list = field(default_factory=list)  # [(thread index, pc, "remove" | "plain")]
    define: str = ""  # declared elements: the -D name


@dataclass
class Outcome:
    element: Element
    breaks: list = field(default_factory=list)  # [(property, memory model, trace steps)]
    trace: object = None  # the shortest counterexample among them
    trace_prop: str = ""
    trace_mm: str = ""
    incomplete: list = field(default_factory=list)  # memory models whose run hit a limit
    error: str = ""

    @property
    def summary(self) -> str:
        if self.error:
            return f"error: {self.error}"
        if self.breaks:
            return ", ".join(f"{p} [{mm}]" for p, mm, _ in self.breaks)
        if self.incomplete:
            return "incomplete (" + ", ".join(self.incomplete) + ")"
        return "nothing breaks"


# -- finding the elements ----------------------------------------------------------------------


def _key(instr) -> str:
    """The identity of a lock or srcu: the last component of its lvalue (``slots_arch_lock``)."""
    what = getattr(instr, "what", "") or ""
    if what:
        return re.split(r"->|\.", what.strip().lstrip("&"))[-1].strip()
    return repr(instr.addr)


def _successors(code: list, pc: int) -> list:
    i = code[pc]
    if isinstance(i, ir.Branch):
        return [i.target, i.other]
    if isinstance(i, ir.Jump):
        return [i.target]
    if isinstance(i, ir.End):
        return []
    return [pc + 1] if pc + 1 < len(code) else []


def _releases(code: list, pc: int, unlock_cls) -> list:
    """The unlocks (of unlock_cls, same key) that end the section begun at pc, on every path."""
    key = _key(code[pc])
    found: list = []
    seen = set()
    todo = list(_successors(code, pc))
    while todo:
        p = todo.pop()
        if p in seen or not 0 <= p < len(code):
            continue
        seen.add(p)
        i = code[p]
        if isinstance(i, unlock_cls) and _key(i) == key:
            found.append(p)
            continue
        todo.extend(_successors(code, p))
    return sorted(found)


def _short(text: str, n: int = 46) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _pos(loc) -> str:
    return pos_text(loc.line, loc.incl_file)


def find_elements(program: ir.Program) -> list[Element]:
    threads = program.threads
    groups: dict = {}

    def add(kind: str, loc, text: str, change: str, sites: list):
        # loc.where: 'line 12' in the model, 'kvm_arrays.h:12' in a file it #includes
        key = (kind, loc.file, loc.line, change)
        el = groups.get(key)
        if el is None:
            el = groups[key] = Element(f"{loc.where}: {_short(text)}", kind, change, loc.line)
        for s in sites:
            if s not in el.sites:
                el.sites.append(s)

    for t, th in enumerate(threads):
        code = th.code
        for pc, i in enumerate(code):
            line = i.loc
            if isinstance(i, ir.Lock):
                unl = _releases(code, pc, ir.Unlock)
                locs = sorted({code[u].loc for u in unl}, key=lambda x: (x.included, x.file, x.line))
                where = ", ".join(_pos(x) for x in locs) or "none"
                add("lock", line, i.text, f"lock and its unlocks (line {where}) removed",
                    [(t, pc, "remove")] + [(t, u, "remove") for u in unl])
                if len(locs) > 1:
                    for u in unl:
                        ul = code[u].loc
                        if ul != locs[-1]:
                            add("error-unlock", ul, code[u].text,
                                f"this unlock of the lock taken at {line.where} removed", [(t, u, "remove")])
            elif isinstance(i, ir.Store) and i.order in (ir.RELEASE, ir.ASSIGN):
                add("release", line, i.text, "release store made plain", [(t, pc, "plain")])
            elif isinstance(i, ir.Load) and i.order in (ir.ACQUIRE, ir.DEREF):
                add("acquire", line, i.text, "acquire load made plain", [(t, pc, "plain")])
            elif isinstance(i, ir.SrcuReadLock):
                unl = _releases(code, pc, ir.SrcuReadUnlock)
                locs = sorted({code[u].loc for u in unl}, key=lambda x: (x.included, x.file, x.line))
                where = ", ".join(_pos(x) for x in locs) or "none"
                add("srcu-section", line, i.text, f"srcu read section (unlock line {where}) removed",
                    [(t, pc, "remove")] + [(t, u, "remove") for u in unl])
            elif isinstance(i, ir.SrcuSync):
                add("synchronize_srcu", line, i.text, "synchronize_srcu removed", [(t, pc, "remove")])
            elif isinstance(i, ir.Fence):
                add("fence", line, i.text, f"smp_{i.kind}() removed", [(t, pc, "remove")])
    order = {"lock": 0, "error-unlock": 1, "release": 2, "acquire": 3, "srcu-section": 4,
             "synchronize_srcu": 5, "fence": 6}
    out = sorted(groups.values(), key=lambda e: (e.line, order.get(e.kind, 9)))
    for name, desc, line in getattr(program.meta, "elements", []):
        out.append(Element(f"{name}: {_short(desc, 40)}", "declared",
                           f"code under #ifndef NO_{name} left out (-D NO_{name}=1)", line, define=f"NO_{name}"))
    return out


def mutate(program: ir.Program, el: Element) -> ir.Program:
    """A copy of the program with the element removed or weakened (the original is untouched)."""
    new = copy.deepcopy(program)
    for t, pc, how in el.sites:
        code = new.threads[t].code
        i = code[pc]
        if how == "plain":
            code[pc] = dataclasses.replace(i, order=ir.PLAIN)
        else:
            code[pc] = ir.Jump(i.loc, i.func, i.text, target=pc + 1)
    return new


# -- checking ----------------------------------------------------------------------------------------


KINDS = ("lock", "error-unlock", "release", "acquire", "srcu-section", "synchronize_srcu", "fence", "declared")


def necessity(path: str, defines: dict | None = None, memory_models: list | None = None, limits=None,
              progress=None, only: list | None = None):
    """(baseline results by memory model, [Outcome]) for the model at path.

    ``only``: check just the elements of these kinds (KINDS), or at these source lines.
    """
    from rmapcheck.frontend import load_model
    from rmapcheck.runner import check_program, load_for

    defines = dict(defines or {})
    base = load_model(path, defines)
    mms = memory_models or list(base.meta.memory_models)
    # a memory model with @defines (a smaller configuration) gets its own program; its elements
    # are matched to the default program's by kind and source line
    bases = {mm: load_for(path, mm, defines, program=base) for mm in mms}
    baseline = {mm: check_program(bases[mm], mm, limits=limits) for mm in mms}
    elements = find_elements(base)
    by_line = {mm: {(e.kind, e.name): e for e in find_elements(b)} for mm, b in bases.items() if b is not base}
    if only:
        bad = [k for k in only if k not in KINDS and not k.isdigit()]
        if bad:
            raise UsageError(f"--only {','.join(bad)}: not an element kind or a line "
                             f"(kinds: {', '.join(KINDS)})")
        elements = [e for e in elements if e.kind in only or str(e.line) in only]
    outcomes = []
    if progress:  # a rmapcheck.progress.Progress
        progress.set_total(len(elements))
    for k, el in enumerate(elements):
        if progress:
            progress.started(f"line {el.line}: {el.kind}")
        out = Outcome(el)
        try:
            if el.define:
                program = load_model(path, {**defines, el.define: 1})
            else:
                program = mutate(base, el)
        except (UsageError, ModelError) as e:
            out.error = f"the model has no #ifndef {el.define}" if el.define else str(e)
            outcomes.append(out)
            continue
        for mm in mms:
            prog = program
            if bases[mm] is not base:
                el_mm = by_line[mm].get((el.kind, el.name))
                if el_mm is None:  # not in the smaller configuration: nothing to remove there
                    continue
                prog = (load_for(path, mm, {**defines, el.define: 1}) if el.define
                        else mutate(bases[mm], el_mm))
            res = check_program(prog, mm, limits=limits)
            for name, r in res.results.items():
                was = baseline[mm].results.get(name)
                if r.verdict == VIOLATED and (was is None or was.verdict == HOLDS):
                    n = len(r.trace.steps) if r.trace is not None else 0
                    out.breaks.append((name, mm, n))
                    if r.trace is not None and (out.trace is None or n < len(out.trace.steps)):
                        out.trace, out.trace_prop, out.trace_mm = r.trace, name, mm
            if any(r.verdict in (INCOMPLETE, UNKNOWN) for r in res.results.values()):
                out.incomplete.append(mm)
            if progress:
                progress.states_done += res.stats.states
        outcomes.append(out)
        if progress:
            progress.finished(k)
    return baseline, outcomes


def _cell(text: str, width: int, indent: str = "") -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False)) or "-"


def render(path: str, baseline: dict, outcomes: list, traces: bool = True) -> str:
    from tabulate import tabulate

    from rmapcheck.report.diagram import wrap_code

    from rmapcheck.report.diagram import render_diagram

    from rmapcheck.report.explain import wrap

    out = wrap(f"Necessity of each synchronisation element of {path}").rstrip("\n").split("\n")
    for mm, res in baseline.items():
        bad = [n for n, r in res.results.items() if r.verdict != HOLDS]
        if bad:
            out.append(wrap(f"note: under {mm} the design itself does not satisfy {', '.join(bad)}; "
                            "only the properties that hold are checked for breaking").rstrip("\n"))
    out.append("")
    rows = []
    for k, o in enumerate(outcomes, 1):
        if o.breaks:
            shortest = f"{o.trace_prop} [{o.trace_mm}], {len(o.trace.steps)} steps" if o.trace else "-"
        else:
            shortest = "-"
        what = wrap_code(o.element.name, 30) + _cell("-> " + o.element.change, 30, "   ").split("\n")
        rows.append([k, "\n".join(what), _cell(o.summary, 18), shortest.replace(", ", "\n")])
    out.append(tabulate(rows, headers=["#", "element -> what was changed", "breaks", "shortest trace"],
                        tablefmt="simple"))
    for k, o in enumerate(outcomes, 1):
        if o.error:
            out.append(f"error: element {k} ({o.element.name.split(':')[0]}): {o.error}")
    if traces:
        for k, o in enumerate(outcomes, 1):
            if o.trace is None:
                continue
            out.append("")
            title = f"== {k}. {o.element.name}: {o.trace_prop} [{o.trace_mm}] "
            out.append(title + "=" * max(3, 80 - len(title)))
            out.append(f"change: {o.element.change}")
            out.append(render_diagram(o.trace).rstrip("\n"))
    return "\n".join(out) + "\n"


def json_doc(path: str, baseline: dict, outcomes: list) -> dict:
    from dataclasses import asdict

    return {
        "model": path,
        "baseline": {mm: {n: r.verdict for n, r in res.results.items()} for mm, res in baseline.items()},
        "elements": [
            {
                "element": o.element.name, "kind": o.element.kind, "line": o.element.line,
                "change": o.element.change, "breaks": [{"property": p, "memory_model": mm, "steps": n}
                                                        for p, mm, n in o.breaks],
                "summary": o.summary, "incomplete": o.incomplete, "error": o.error,
                "shortest": None if o.trace is None else {
                    "property": o.trace_prop, "memory_model": o.trace_mm,
                    "steps": [asdict(s) for s in o.trace.steps], "final": o.trace.final},
            }
            for o in outcomes
        ],
    }
