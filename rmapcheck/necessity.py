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

from rmapcheck.engines.explicit.executor import DEFAULT_REDUCTION
from rmapcheck.engines.explicit.search import Limits, Search
from rmapcheck.errors import ModelError, UsageError, pos_text
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import successors
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
    return [s for s in successors(code, pc) if s < len(code)]


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


class FirstBreak(Search):
    """A search that watches only the properties the design satisfies, and stops once one of
    them breaks: for a removed element the question is whether anything breaks, not what all
    breaks. It finishes the breadth-first level that found the first violation (of length n)
    and looks at the states one step further without expanding them (every violation of
    length <= n, and those of length n + 1 met on the way, are found), so the shortest
    counterexample is still reported. A run stopped so says 'incomplete' for the properties it
    did not see break; a run that sees nothing break explores the whole state space."""

    def __init__(self, program, limits: Limits, memory, watch, reduction: str = "none"):
        super().__init__(program, dataclasses.replace(limits), memory, reduction=reduction)
        self.props = [p for p in self.props if p in watch]

    def candidate(self, prop, length, cs, sid, label, msg, final=""):
        super().candidate(prop, length, cs, sid, label, msg, final)
        if prop in self.found and prop in self.props:
            self.stop_after(length)

    def _edge(self, sid: int, tid: int, e) -> None:
        """lock-order is judged on the lock graph, not on a path: a new edge that closes a
        cycle breaks it at the depth of the state that showed the edge."""
        known = len(self.locks.edges)
        super()._edge(sid, tid, e)
        if len(self.locks.edges) > known and ir.P_LOCKORDER in self.props and self.locks.cycles():
            self.stop_after(self.depth[sid])

    def stop_after(self, length: int) -> None:
        depth = self.limits.max_depth
        if depth is None or length < depth:
            self.limits.max_depth = length  # the last level the search expands


@dataclass
class VariantRun:
    """One element removed, checked under one memory model (what a worker sends back)."""

    breaks: list  # [(property, trace steps)]
    trace: object  # the shortest counterexample among them (None: nothing broke)
    trace_prop: str
    complete: bool  # the whole state space was explored
    states: int
    error: str = ""


_BASES: dict = {}  # (path, memory model, defines) -> the program (a worker's loads, kept for its next tasks)


def _base(path: str, mm: str, defines: dict):
    """The model with mm's @defines (a memory model may check a smaller configuration)."""
    from rmapcheck.runner import load_for

    key = (path, mm, tuple(sorted(defines.items())))
    if key not in _BASES:
        _BASES[key] = load_for(path, mm, defines)
    return _BASES[key]


def _same_element(program: ir.Program, el: Element) -> Element | None:
    """el as found on program (another configuration of its model): same kind, line and change,
    or else the one element of that kind and line; None if the configuration has none."""
    found = [e for e in find_elements(program) if (e.kind, e.name) == (el.kind, el.name)]
    exact = [e for e in found if e.change == el.change]
    if exact:
        return exact[0]
    return found[0] if len(found) == 1 else None


def check_variant(path: str, defines: dict, mm: str, el: Element, watch: list, limits: Limits | None,
                  every: bool, progress=None) -> VariantRun | None:
    """The model at path with el removed, under mm; None if el is not in mm's configuration.
    watch: the properties the design satisfies under mm; every: explore the whole state space
    and report every property that breaks, not only the first."""
    from rmapcheck.runner import attach_traces, check_program, load_for, memory_for

    limits = limits or Limits()
    if not every and mm == "sc" and el.sites and all(how == "plain" for _, _, how in el.sites):
        # sc runs every access in one total order: an access made plain has the executions
        # it had as release or acquire, and those are the design's (the baseline; --all runs
        # the variant, and tests/test_necessity.py compares the two)
        return VariantRun([], None, "", True, 0)
    try:
        if el.define:
            program = load_for(path, mm, {**defines, el.define: 1})
        else:
            own = _same_element(_base(path, mm, defines), el)
            if own is None:
                return None
            program = mutate(_base(path, mm, defines), own)
    except (UsageError, ModelError) as e:
        return VariantRun([], None, "", False, 0, f"the model has no #ifndef {el.define}" if el.define else str(e))
    reduction = limits.reduction or DEFAULT_REDUCTION
    if every:
        res = check_program(program, mm, limits=limits, progress=progress)
    else:
        search = FirstBreak(program, limits, memory_for(program, mm), watch, reduction)
        search.progress = progress
        res = search.run()
        attach_traces(program, res, mm, reduction)
    breaks, trace, trace_prop = [], None, ""
    for name, r in res.results.items():
        if r.verdict == VIOLATED and name in watch:
            n = len(r.trace.steps) if r.trace is not None else 0
            breaks.append((name, n))
            if r.trace is not None and (trace is None or n < len(trace.steps)):
                trace, trace_prop = r.trace, name
    complete = res.stats.complete and not any(r.verdict in (INCOMPLETE, UNKNOWN) for r in res.results.values())
    return VariantRun(breaks, trace, trace_prop, complete, res.stats.states)


def necessity(path: str, defines: dict | None = None, memory_models: list | None = None, limits=None,
              progress=None, only: list | None = None, jobs: int = 1, every: bool = False):
    """(baseline results by memory model, [Outcome]) for the model at path.

    ``only``: check just the elements of these kinds (KINDS), or at these source lines.
    The memory models are taken in turn (sc before ra): an element is checked under the next
    one only if nothing broke under the ones before (every: under each, to the end).
    ``jobs``: check that many elements at once, in worker processes (the answer is the same).
    """
    from rmapcheck.frontend import load_model
    from rmapcheck.runner import check_program, load_for

    defines = dict(defines or {})
    _BASES.clear()
    base = load_model(path, defines)
    mms = memory_models or list(base.meta.memory_models)
    baseline = {mm: check_program(load_for(path, mm, defines, program=base), mm, limits=limits) for mm in mms}
    elements = find_elements(base)
    if only:
        bad = [k for k in only if k not in KINDS and not k.isdigit()]
        if bad:
            raise UsageError(f"--only {','.join(bad)}: not an element kind or a line "
                             f"(kinds: {', '.join(KINDS)})")
        elements = [e for e in elements if e.kind in only or str(e.line) in only]
    outcomes = [Outcome(el) for el in elements]
    if progress:  # a rmapcheck.progress.Progress
        progress.set_total(len(elements) * len(mms))
    done = 0
    for mm in mms:
        watch = [n for n, r in baseline[mm].results.items() if r.verdict == HOLDS]
        todo = [k for k, o in enumerate(outcomes) if not o.error and (every or not o.breaks)]
        tasks = [((path, defines, mm, outcomes[k].element, watch, limits, every), 1.0,
                  f"line {outcomes[k].element.line}: {outcomes[k].element.kind} [{mm}]") for k in todo]
        for k, run in _run_all(tasks, jobs, progress):
            o = outcomes[todo[k]]
            if run is not None:
                _record(o, run, mm)
            if progress:
                progress.finished(done, run.states if run is not None else 0)
            done += 1
    return baseline, outcomes


def _run_all(tasks: list, jobs: int, progress):
    """(index, VariantRun) for each task, in the order they finish."""
    if jobs > 1 and len(tasks) > 1:
        from rmapcheck.jobs import imap_pool

        for k, kind, value in imap_pool(check_variant, tasks, jobs):
            if kind != "ok":
                raise value
            yield k, value
        return
    for k, (args, _, label) in enumerate(tasks):
        if progress:
            progress.started(label)
        yield k, check_variant(*args, progress.run_callback(label) if progress else None)


def _record(o: Outcome, run: VariantRun, mm: str) -> None:
    if run.error:
        o.error = run.error
        return
    for name, n in run.breaks:
        o.breaks.append((name, mm, n))
    if run.trace is not None and (o.trace is None or len(run.trace.steps) < len(o.trace.steps)):
        o.trace, o.trace_prop, o.trace_mm = run.trace, run.trace_prop, mm
    if not run.breaks and not run.complete:
        o.incomplete.append(mm)


def _cell(text: str, width: int, indent: str = "") -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False)) or "-"


def render(path: str, baseline: dict, outcomes: list, traces: bool = True, every: bool = False) -> str:
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
    if not every and len(baseline) > 1:
        out.append(wrap(f"each variant is checked under {', then '.join(baseline)}, and stops at the first "
                        "memory model and the shortest counterexample that break a property (--all: every "
                        "property that breaks)").rstrip("\n"))
    elif not every:
        out.append(wrap("each variant stops at the shortest counterexample that breaks a property (--all: "
                        "every property that breaks)").rstrip("\n"))
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
