"""`rmapcheck explain MODEL`: a model's header, threads, verdicts, and each violation in words.

The paragraph under each race diagram is generated from the counterexample's execution
(``report/execution.py``): what each thread did, in turns, and then what went wrong:
which value the failing read saw, where that value came from, and which write it
missed (a copy made before the write, a weak-memory read of an older value, or a
write that came too late).
"""

from __future__ import annotations

import re
import textwrap

from rmapcheck.errors import where_text
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import VIOLATED
from rmapcheck.report import execution as X
from rmapcheck.report.diagram import WIDTH, _ascii, render_diagram
from rmapcheck.report.steps import render_steps

ORDER_WORDS = {
    ir.RELEASE: "with smp_store_release",
    ir.ASSIGN: "with rcu_assign_pointer",
    ir.ACQUIRE: "with smp_load_acquire",
    ir.DEREF: "with srcu_dereference",
    ir.ONCE: "",
}


def wrap(text: str, width: int = WIDTH, indent: str = "") -> str:
    return "\n".join(textwrap.wrap(_ascii(text), width, initial_indent=indent, subsequent_indent=indent,
                                   break_on_hyphens=False)) + "\n"


def _join(items: list) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _clause(e: X.Event) -> str:
    how = ORDER_WORDS.get(e.order, "")
    how = f" {how}" if how else ""
    if e.kind == X.READ:
        if len(e.cells) == 1:
            return f"reads {e.cells[0][0]} = {e.cells[0][1]}{how}"
        return f"reads {e.target} and the {len(e.cells) - 1} cells after it{how}"
    if e.kind == X.WRITE:
        if len(e.cells) == 1:
            verb = "publishes" if e.order in (ir.RELEASE, ir.ASSIGN) else "writes"
            return f"{verb} {e.cells[0][0]} = {e.cells[0][1]}{how}"
        obj = re.split(r"[.\[]", e.target, 1)[0]
        return f"copies {len(e.cells)} cells into {obj}"
    return {
        X.LOCK: f"takes {e.target}",
        X.UNLOCK: f"releases {e.target}",
        X.SRCU_LOCK: f"enters an srcu read section of {e.target}",
        X.SRCU_UNLOCK: f"leaves its srcu read section of {e.target}",
        X.SRCU_SYNC: f"calls synchronize_srcu({e.target})" + (
            f" and waits for {_join(e.waits_for)}" if e.waits_for else ""),
        X.SRCU_GP: f"returns from synchronize_srcu({e.target})",
        X.ALLOC: f"allocates {e.target}",
        X.ALLOC_FAIL: f"fails to allocate {e.target} (the allocation returns NULL)",
        X.FREE: f"frees {e.target}",
        X.FENCE: f"executes {e.target}()",
        X.NONDET: f"picks {e.target}",
    }.get(e.kind, e.kind)


def narrative(exe: X.Execution) -> str:
    """Who did what, in turns: one sentence per run of one thread's steps."""
    turns: list = []
    for e in exe.events:
        if turns and turns[-1][0] == e.tid:
            turns[-1][1].append(e)
        else:
            turns.append((e.tid, [e]))
    sentences = []
    for k, (tid, evs) in enumerate(turns):
        lines = sorted({e.line for e in evs})
        funcs = []
        for e in evs:
            if e.func and e.func not in funcs:
                funcs.append(e.func)
        where = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
        clauses = []
        for e in evs:
            c = _clause(e)
            if not clauses or clauses[-1] != c:
                clauses.append(c)
        if len(clauses) > 7:
            clauses = clauses[:3] + [f"{len(clauses) - 6} more steps"] + clauses[-3:]
        lead = "First" if k == 0 else ("Finally" if k == len(turns) - 1 and len(turns) > 2 else "Then")
        sentences.append(f"{lead}, {exe.threads[tid]} ({', '.join(f + '()' for f in funcs)}, {where}) "
                         f"{_join(clauses)}.")
    return " ".join(sentences)


def diagnosis(exe: X.Execution) -> str:
    """What went wrong: the failing read, where its value came from, the write it missed."""
    tr = exe.trace
    last_step = len(tr.steps) - 1
    ev = exe.events
    last_reads = [e for e in ev if e.step == last_step and e.kind == X.READ]
    final = tr.final or tr.prop + " violated: " + tr.message
    out = [f"What went wrong: {final.rstrip(' .;')}."]
    if tr.prop in (ir.P_LOCKLEAK, ir.P_DEADLOCK, ir.P_LOCKORDER, ir.P_BADUNLOCK):
        took = _lock_story(exe)
        if took:
            out.append(took)
        return " ".join(out)
    writes = [e for e in ev if e.step == last_step and e.kind == X.WRITE]
    if exe.complete and writes and tr.prop not in (ir.P_LEAK,):
        out.append(f"The property is false in the state after {writes[-1].thread} "
                   f"{_clause(writes[-1])} at {where_text(writes[-1].line, writes[-1].file)}.")
        return " ".join(out)
    if not last_reads or tr.prop in (ir.P_LEAK, ir.P_DFREE, ir.P_UAF):
        for extra in (_overwrite(exe, last_step), _freed(exe, last_step)):
            if extra:
                out.append(extra)
        return " ".join(out)
    r = last_reads[-1]
    cell, val = r.cells[-1]
    src = next((s for s, rr, c in exe.rf if rr == r.eid and c == cell), None)
    # the message this thread received before: a read of another thread's write
    seen = None
    for e in reversed(ev[:r.eid]):
        if e.tid == r.tid and e.kind == X.READ:
            s = next((s for s, rr, c in exe.rf if rr == e.eid), None)
            if s is not None and ev[s].tid != r.tid:
                seen = (e, ev[s])
                break
    lead = f"{r.thread} read {cell} = {val} at {where_text(r.line, r.file)}"
    if seen is not None:
        e, w = seen
        lead = (f"{r.thread} saw {e.cells[0][0]} = {e.cells[0][1]} (written by {w.thread} at {where_text(w.line, w.file)}) "
                f"and then read {cell} = {val} at {where_text(r.line, r.file)}")
    if r.missed:
        missed = "; ".join(f"{v} written by {who} at {line}" for who, line, v in r.missed)
        out.append(f"{lead}: under weak memory it read an older value, missing {missed}, because no "
                   "release/acquire pair orders that write before what it had already seen.")
        return " ".join(out)
    if src is not None:
        w = ev[src]
        k = next((i for i, (c, _) in enumerate(w.cells) if c == cell), 0)
        copy_from = _copy_source(exe, w, k)
        if copy_from is not None:
            rd, scell = copy_from
            later = [x for x in ev[rd.eid + 1:r.eid] if x.kind == X.WRITE and x.tid != w.tid
                     and any(c == scell for c, _ in x.cells)]
            if later:
                x = later[0]
                xv = next(v for c, v in x.cells if c == scell)
                out.append(f"{lead}. That value was copied from {scell} by {w.thread} at {where_text(w.line, w.file)}, "
                           f"before {x.thread} wrote {xv} to {scell} at {where_text(x.line, x.file)}: the copy missed that "
                           f"write, and {cell} kept the stale {val}.")
                return " ".join(out)
            out.append(f"{lead}; the value was copied from {scell} by {w.thread} at {where_text(w.line, w.file)}.")
            return " ".join(out)
        failed = next((x for x in reversed(ev[:w.eid]) if x.tid == w.tid and x.kind in (X.ALLOC, X.ALLOC_FAIL)
                       and x.step >= w.step - 1), None)
        why = " after its allocation failed" if failed is not None and failed.kind == X.ALLOC_FAIL else ""
        out.append(f"{lead}, the value {w.thread} wrote at {where_text(w.line, w.file)}{why}.")
        return " ".join(out)
    later = [x for x in ev[r.eid + 1:] if x.kind == X.WRITE and any(c == cell for c, _ in x.cells)]
    others = [x for x in ev[:r.eid] if x.kind == X.WRITE and any(c == cell for c, _ in x.cells)]
    if not others:
        out.append(f"{lead}, its initial value: no thread had written {cell} yet"
                   + (f" ({later[0].thread} writes it later, at {where_text(later[0].line, later[0].file)})." if later else "."))
    else:
        out.append(f"{lead}.")
    return " ".join(out)


def _lock_story(exe: X.Execution) -> str:
    """Who took each lock still held at the end, and where."""
    held = []
    for e in exe.events:
        if e.kind == X.LOCK:
            held.append(e)
        elif e.kind == X.UNLOCK:
            held = [h for h in held if h.target != e.target]
    if not held:
        return ""
    if exe.trace.prop == ir.P_LOCKLEAK:
        return " ".join(f"{h.thread} took {h.target} at {where_text(h.line, h.file)} ({h.func}()) and returned without "
                        "releasing it." for h in held)
    return " ".join(f"{h.thread} still holds {h.target}, taken at {where_text(h.line, h.file)} ({h.func}())." for h in held)


def _copy_source(exe: X.Execution, w: X.Event, k: int):
    """If write w (a multi-cell copy) took its cells from a read of the same step, that read and cell k's source."""
    if len(w.cells) < 2:
        return None
    for e in reversed(exe.events[:w.eid]):
        if e.tid != w.tid:
            continue
        if e.step < w.step - 2 or e.line != w.line:  # one statement: `a = *b;`, read then written
            break
        if e.kind == X.READ and len(e.cells) == len(w.cells):
            return e, e.cells[k][0]
    return None


def _freed(exe: X.Execution, step: int) -> str:
    """For a use after free or a double free: who freed the object, and where."""
    tid = exe.trace.steps[step].tid
    objs = {}
    for e in exe.events:
        if e.step == step:
            for c, _ in e.cells:
                objs.setdefault(c.split("[", 1)[0], None)
        elif e.tid == tid and e.kind == X.READ:
            for c, v in e.cells:
                if v.startswith("&"):
                    objs[v[1:].split("[", 1)[0]] = e
    frees = [e for e in exe.events if e.kind == X.FREE and e.step < step and e.target != "NULL"]
    for e in reversed(frees):
        obj = e.target.lstrip("&")
        if obj in objs:
            got = objs[obj]
            how = (f"{got.thread} had read the pointer to {obj} from {got.cells[0][0]} at {where_text(got.line, got.file)}; "
                   if got is not None else "")
            inside = _in_srcu(exe, tid, e.eid)
            return (how + f"{e.thread} freed {obj} at {where_text(e.line, e.file)} ({e.func}())"
                    + (f" while {exe.threads[tid]} was still inside its srcu read section" if inside else "")
                    + ".")
    if frees and exe.trace.prop == ir.P_DFREE:
        e = frees[-1]
        return f"{e.target.lstrip('&')} had already been freed by {e.thread} at {where_text(e.line, e.file)} ({e.func}())."
    return ""


def _in_srcu(exe: X.Execution, tid: int, upto: int) -> bool:
    depth = 0
    for e in exe.events[:upto]:
        if e.tid == tid and e.kind == X.SRCU_LOCK:
            depth += 1
        elif e.tid == tid and e.kind == X.SRCU_UNLOCK:
            depth -= 1
    return depth > 0


def _overwrite(exe: X.Execution, step: int) -> str:
    """For a leak: the write of the last step that replaced the only pointer to an object."""
    for e in exe.events:
        if e.step != step or e.kind != X.WRITE:
            continue
        for cell, val in e.cells:
            prev = None
            for x in exe.events[:e.eid]:
                if x.kind == X.WRITE:
                    for c, v in x.cells:
                        if c == cell:
                            prev = (x, v)
            if prev is not None and prev[1].startswith("&") and prev[1] != val:
                x, v = prev
                return (f"{e.thread} overwrote {cell}, which held {v} (stored by {x.thread} at {where_text(x.line, x.file)}), "
                        f"with {val} at {where_text(e.line, e.file)}.")
    return ""


def violation_text(exe: X.Execution) -> str:
    return wrap(narrative(exe)) + "\n" + wrap(diagnosis(exe))


# -- the whole model -------------------------------------------------------------------------------


def _thread_line(program: ir.Program, name: str) -> int:
    pat = re.compile(r"^\s*(?:static\s+)?(?:inline\s+)?void\s+" + re.escape(name) + r"\s*\(")
    for n, ln in enumerate(program.source_lines, 1):
        if pat.match(ln):
            return n
    return 0


def header_text(program: ir.Program, display: str) -> str:
    m = program.meta
    out = []
    title = m.title or display
    tlines = textwrap.wrap(_ascii(title), WIDTH) or [""]
    out.extend(tlines)
    out.append("=" * max(len(t) for t in tlines))
    out.append(f"Model: {display}")
    if m.sources:
        out.append("Sources:")
        for s in m.sources:
            out.extend(textwrap.wrap(_ascii(s), WIDTH, initial_indent="  - ", subsequent_indent="    ",
                                     break_on_hyphens=False))
    if m.description:
        out.append("")
        out.append(wrap(m.description).rstrip("\n"))
    out.append("")
    if program.defines:
        out.append("Parameters:")
        for k, v in program.defines.items():
            doc = m.params.get(k, "")
            out.append(wrap(f"{k} = {v}" + (f"   {doc}" if doc else ""), WIDTH, "  ").rstrip("\n")
                       .replace("\n  ", "\n      "))
    if m.faults:
        out.append(f"Allocation failures allowed: {m.faults}")
    if getattr(m, "elements", None):
        out.append("Declared synchronisation elements (rmapcheck necessity):")
        for el in m.elements:
            out.append(_ascii(f"  {el[0]}: {el[1]}"))
    out.append("Threads:")
    for th in program.threads:
        count = f" x{th.instances}" if th.instances > 1 else ""
        line = _thread_line(program, th.name)
        out.append(f"  {th.name}{count}" + (f"   {th.name}() at line {line}" if line else ""))
    out.append(f"Memory models: {', '.join(m.memory_models)}")
    return "\n".join(out) + "\n"


def explain(path: str, defines: dict | None = None, memory_models: list | None = None, limits=None,
            display: str | None = None) -> tuple[str, int]:
    """The explanation text and the exit code (0 as expected, 1 a verdict differs, 3 incomplete)."""
    from rmapcheck.frontend import load_model
    from rmapcheck.runner import check_program, load_for
    from rmapcheck.verify import WEAK, expectation

    program = load_model(path, defines or {})
    display = display or path
    out = [header_text(program, display)]
    code = 0
    default = program
    for mm in memory_models or default.meta.memory_models:
        # a memory model with @defines in the header runs in that configuration (as in verify)
        program = load_for(path, mm, defines, program=default)
        weak = mm in WEAK
        res = check_program(program, mm, "z3" if weak else "explicit", limits=limits)  # only z3 has tso, lkmm
        out.append("")
        if weak:
            out.append(f"Properties under {mm} (the z3 event engine):")
        else:
            out.append(f"Properties under {mm} ({res.stats.states} states"
                       + ("" if res.stats.complete else f", INCOMPLETE: {res.stats.limit}") + "):")
        width = max(len(n) for n in res.results)
        for name, r in res.results.items():
            exp = expectation(program, mm, name, defines)
            mark = ""
            if exp is not None and r.verdict in ("holds", "violated") and r.verdict != exp:
                mark = "   MISMATCH"
                code = max(code, 1) if code != 3 else 3
            elif r.verdict == "unsupported" == exp:  # acknowledged by the model, as verify takes it
                pass
            elif r.verdict not in ("holds", "violated"):
                code = 3 if code == 0 else code
            out.append(f"  {name:<{width}}  {r.verdict:<10} expected {exp or '-'}{mark}")
        for r in res.results.values():
            if r.verdict != VIOLATED or r.trace is None:
                continue
            out.append("")
            title = f"--- {r.name} violated under {mm} "
            out.append(title + "-" * max(3, WIDTH - len(title)))
            out.append(render_diagram(r.trace).rstrip("\n"))
            out.append("")
            if r.path is not None:
                exe = X.build_execution(program, r, mm)
                out.append(violation_text(exe).rstrip("\n"))
            else:  # a weak execution: its steps say where it departs from sc (weak_witness.py)
                out.append(render_steps(r.trace, width=WIDTH).rstrip("\n"))
    return "\n".join(out).replace(path, display) + "\n", code
