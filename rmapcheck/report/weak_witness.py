"""A weak-memory witness for people: its execution graph (DOT) and a step list in an order.

A violation under tso or lkmm (engines/z3ev/weak.py) is an execution graph, not an
interleaving: events, po, rf and co, judged by the memory model's axioms. People read it two
ways here, both from the same graph and the same program steps:

* `weak_dot`: the graph as herd7 draws one (report/graph_dot.py): a cluster per thread with
  its events in program order, rf (red), co (blue), fr (orange) and the dependencies; each
  event with its kind and tags, the model's name of its cell, its value and file:line.
* `weak_trace`: a `Trace` (the step list and the race diagram of an sc counterexample) that
  lists the executed steps in one order: program order, and each write before the reads
  of other threads that read it (po and rf-external), with few context switches; where
  the execution allows it, co and fr too (then it is an sc order: every read returns the
  latest write before it). A read that does not is *stale*: its step says what it missed
  and which po/rf chain put the missed write before it. That edge is the point of a weak
  counterexample: where the memory model departs from sequential consistency.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from rmapcheck.errors import InternalError, where_text
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import Trace, TraceStep


@dataclass
class WeakEvent:
    """One event of the graph as a person reads it."""

    eid: int  # the graph's event id
    tid: int  # -1: an initial write
    kind: str  # IW, R, W, F
    cell: str  # the model's name of the cell ("" for a fence without one)
    value: str  # "" for a fence
    tags: tuple
    line: int = 0
    file: str = ""  # the file's name (no directory): the model's or an included one's
    sid: int | None = None  # the program step (z3ev unroll.Step) it belongs to
    note: str = ""  # an event no step made: the end of a section a prefix leaves open

    def describe(self) -> str:
        """herd7's style: ``W[once] data=1``, ``F[mb]``, ``R[acquire] kvm.flag=1``."""
        tags = "/".join(t for t in self.tags if t != self.kind)
        head = f"{'W' if self.kind == 'IW' else self.kind}" + (f"[{tags}]" if tags and self.kind != "IW" else "")
        if self.kind == "F":
            return head + (f" {self.cell}" if self.cell else "")
        return f"{head} {self.cell}={self.value}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.note


@dataclass
class WeakExecution:
    """A weak witness's graph with names: what weak_dot draws and weak_trace orders."""

    memory_model: str
    prop: str
    message: str
    threads: list  # thread names, by tid
    events: list  # list[WeakEvent], by graph eid
    graph: object  # the axioms.graph.ExecutionGraph the concrete judge accepted
    site_sid: int | None = None  # the step where the property fails
    steps: list = field(default_factory=list)  # executed program steps: (sid, tid, clock)
    step_info: dict = field(default_factory=dict)  # sid -> (line, file, func, text, [ops of a step with no event])
    model_file: str = ""  # the model's file name (no directory)
    why: str = ""  # the witness's own account of the violation (lifetime.py's use after free), if any

    def rf_of(self) -> dict:
        return {r: w for w, r in self.graph.rf}

    def doc(self) -> dict:
        """The graph as JSON: events, and po, rf, co, fr as pairs of event ids."""
        g = self.graph
        return {
            "memory_model": self.memory_model,
            "threads": list(self.threads),
            "events": [{"id": e.eid, "thread": e.tid, "kind": e.kind, "tags": list(e.tags), "cell": e.cell,
                        "value": e.value, "file": e.file, "line": e.line} for e in self.events],
            "po": sorted(map(list, g.skel.po)),
            "rf": sorted(map(list, g.rf)),
            "co": sorted(map(list, g.co)),
            "fr": sorted(map(list, g.fr_rel.pairs())),
        }


# -- from a witness ------------------------------------------------------------------------


def weak_execution(witness, graph) -> WeakExecution:
    """Name the events of graph (the one witness.check_graph() returned) with the model's
    cells, values and lines, and tie each to its program step. Heap objects are numbered in
    the order weak_trace lists their allocations (kvm_rmap_head#1 first), as in sc traces."""
    from dataclasses import replace

    from rmapcheck.engines.explicit.executor import Executor
    from rmapcheck.engines.explicit.replay import _Names

    enc, P = witness.enc, witness.P
    program = P.p
    steps = []
    for s in P.steps:
        if s.tid < P.nthreads and s.kind != "sync_end" and witness.true(s.guard) \
                and witness.num(s.clock) <= witness.T:
            steps.append((s.sid, s.tid, witness.num(s.clock)))
    # the events in the graph's order (a lifetime witness has free events among them)
    live = [e for e in getattr(witness, "graph_events", enc.events) if witness.true(enc.executed(e))]
    gev = graph.events
    n_iw = sum(1 for e in gev if e.kind == "IW")
    if gev[:n_iw] != [e for e in gev if e.kind == "IW"] or len(gev) < n_iw + len(live):
        raise InternalError("weak witness: the graph's events are not its initial writes then the executed events")
    model_file = os.path.basename(getattr(program, "path", "") or "")
    out: list = []
    for g in gev:
        k = g.eid - n_iw
        src = live[k] if 0 <= k < len(live) else None
        if src is not None and (src.tid, src.kind) != (g.tid, g.kind):
            raise InternalError(f"weak witness: graph event {g.eid} is not executed event {src.eid}")
        line, file = 0, ""
        if src is not None and src.loc is not None:
            line = src.loc.line
            file = os.path.basename(src.loc.file) if src.loc.included else model_file
        tags = tuple(sorted(t for t in g.tags if t != "IW"))
        note = "end of the prefix: the section is still open" if src is None and g.tid >= 0 else ""
        out.append(WeakEvent(g.eid, g.tid, g.kind, "", "", tags, line, file,
                             src.step if src is not None else None, note))
    site = witness.site
    site_sid = site.sid
    own = sorted((c, sid) for sid, tid, c in steps if tid == site.tid)
    if site_sid is None and own:
        site_sid = own[-1][1]
    ex = Executor(program)
    wx = WeakExecution(enc.memory_model, witness.prop, witness.message, [t.name for t in ex.threads], out, graph,
                       site_sid, steps, {}, model_file, getattr(witness, "why", ""))
    order, _ = linearise(wx)  # needs no name: the steps and the graph's relations
    names = _Names(ex)
    for sid in order:
        s = P.steps[sid]
        ops = []
        if s.kind == "alloc":
            obj = P.objs[s.info["obj"]]
            if witness.true(obj.fail):
                ops.append(f"allocation of {obj.type_name} fails (NULL)")
            else:
                names.born(obj.oid, obj.type_name)
                ops.append(f"allocate {names.heap[obj.oid]}")
        elif s.kind == "free":
            ops.append(f"free {names.value(witness.value(s.addr), True)}")
        loc = s.instr.loc
        wx.step_info[sid] = (loc.line, loc.incl_file, s.instr.func, s.instr.text, ops)
    wx.events = [replace(e, cell=_cell(names, program, g), value="" if g.kind == "F" else _value(names, program, g))
                 for e, g in zip(out, gev)]
    return wx


def _cell(names, program, g) -> str:
    a = g.addr
    if a is None:
        return ""
    if isinstance(a, tuple) and a[0] == "free":  # a free event (engines/z3ev/lifetime.py)
        return "(the object freed)"
    if isinstance(a, tuple):
        # the mutex, srcu_struct or atomic_t's own name, not its hidden field's (.__owner)
        return names.cell(a, g.tid if g.tid >= 0 else 0).rsplit(".__", 1)[0]
    return str(a)


def _value(names, program, g) -> str:
    is_ptr, pointee = None, ""
    a = g.addr
    if isinstance(a, tuple) and a[0] == ir.GLOBAL and 0 <= a[1] < len(program.global_cells):
        gc = program.global_cells[a[1]]
        is_ptr, pointee = gc.is_pointer, gc.pointee
    return names.value(g.value, is_ptr, pointee)


# -- the graph in DOT ----------------------------------------------------------------------


def weak_dot(wx: WeakExecution, name: str = "execution") -> str:
    """The execution graph as herd7 draws it, events labelled with cell, value and file:line;
    the failing step's events in bold red."""
    from rmapcheck.report.graph_dot import graph_dot

    ev = wx.events

    def describe(e) -> str:
        w = ev[e.eid]
        return w.describe() + (f"  ({w.where})" if w.where else "")

    hot = {e.eid for e in ev if e.sid is not None and e.sid == wx.site_sid}
    ends = {}
    if not hot and wx.site_sid in wx.step_info:  # it fails at a step with no event: say where
        line, file, _, text, _ = wx.step_info[wx.site_sid]
        tid = next(t for s, t, _ in wx.steps if s == wx.site_sid)
        ends[tid] = f"fails at {text.strip()}  ({os.path.basename(file) or wx.model_file}:{line})"
    title = f"{wx.prop} violated under {wx.memory_model}: {wx.message}"
    threads = [f"P{k}: {t}" for k, t in enumerate(wx.threads)]
    return graph_dot(wx.graph, threads, str, title, name, describe=describe, highlight=hot, ends=ends)





# -- the steps in one order ----------------------------------------------------------------

_HINT = {"tso": "x86-TSO: the write can still wait in {writer}'s store buffer"}


def step_edges(wx: WeakExecution) -> dict:
    """Edges between executed steps, by relation: po (each thread's next step), rf, co and fr
    between steps of different threads (the relations within a thread follow po)."""
    step_of = {e.eid: e.sid for e in wx.events}
    tid_of = dict((sid, tid) for sid, tid, _ in wx.steps)
    out: dict = {"po": set(), "rf": set(), "co": set(), "fr": set()}
    by_thread: dict = {}
    for sid, tid, clock in sorted(wx.steps, key=lambda x: (x[1], x[2], x[0])):
        by_thread.setdefault(tid, []).append(sid)
    for sids in by_thread.values():
        out["po"].update(zip(sids, sids[1:]))
    g = wx.graph
    for rel, pairs in (("rf", g.rf), ("co", g.co), ("fr", g.fr_rel.pairs())):
        for a, b in pairs:
            sa, sb = step_of.get(a), step_of.get(b)
            if sa in tid_of and sb in tid_of and tid_of[sa] != tid_of[sb]:
                out[rel].add((sa, sb))
    return out


def linearise(wx: WeakExecution) -> tuple[list, str]:
    """The executed steps in one order, and what it respects: 'sc' (po, rf, co and fr: an sc
    execution), 'po+rf' (po and every write before the other threads' reads of it; co and
    fr where they can be), or 'po' (a read may come before the write it reads: load
    buffering). Greedy: the thread that ran last goes on while it can, and a switch goes to
    the thread that can then run longest (few context switches); the failing step goes last
    when that costs no read that misses its write."""
    edges = step_edges(wx)
    for name, hard in (("sc", ("po", "rf", "co", "fr")), ("po+rf", ("po", "rf")), ("po", ("po",))):
        order = _order(wx, edges, hard, [r for r in ("rf", "co", "fr") if r not in hard])
        if order is not None:
            return order, name
    raise InternalError("weak witness: its steps' program order has a cycle")


def _order(wx: WeakExecution, edges: dict, hard: tuple, soft: list) -> list | None:
    tid_of = {sid: tid for sid, tid, _ in wx.steps}
    pos = {sid: (tid, clock, sid) for sid, tid, clock in wx.steps}
    preds = {sid: set() for sid in tid_of}
    wish = {sid: set() for sid in tid_of}
    for rel in hard:
        for a, b in edges[rel]:
            preds[b].add(a)
    after = _descendants(preds)
    for rel in soft:
        for a, b in edges[rel]:
            if a not in after[b]:  # a wish the hard order makes impossible would only cost switches
                wish[b].add(a)
    todo = sorted(tid_of, key=lambda x: pos[x])
    done: set = set()
    out, cur = [], None

    def run_length(u) -> int:
        """How many steps u's thread can take in a row from here, starting with u."""
        tid, seen, n = tid_of[u], set(done), 0
        for v in todo:
            if tid_of[v] != tid:
                continue
            if not preds[v] <= seen:
                break
            seen.add(v)
            n += 1
        return n

    while todo:
        ready = [u for u in todo if preds[u] <= done]
        if not ready:
            return None
        ready = [u for u in ready if wish[u] <= done] or ready  # first: no 'weak memory' line it can spare
        ready = [u for u in ready if u != wx.site_sid] or ready
        pick = next((u for u in ready if tid_of[u] == cur), None)
        if pick is None:  # a context switch: to the thread that can go on longest
            pick = max(ready, key=lambda u: (run_length(u), -pos[u][0]))
        out.append(pick)
        done.add(pick)
        todo.remove(pick)
        cur = tid_of[pick]
    return out


def _descendants(preds: dict) -> dict:
    """step -> the steps after it in the transitive closure of preds (empty sets on a cycle's
    steps are harmless: _order then finds no order anyway)."""
    succ: dict = {u: [] for u in preds}
    for b, ps in preds.items():
        for a in ps:
            succ[a].append(b)
    out: dict = {}
    for u in preds:
        seen: set = set()
        todo = list(succ[u])
        while todo:
            v = todo.pop()
            if v not in seen:
                seen.add(v)
                todo.extend(succ[v])
        out[u] = seen
    return out


def weak_trace(wx: WeakExecution) -> Trace:
    """The execution as a step list (report/steps.py and report/diagram.py draw it): each
    read says where its value comes from; a read that does not return the latest write of
    its cell in this order says what it missed and why that write is before it."""
    order, respects = linearise(wx)
    ev = wx.events
    at = {sid: k for k, sid in enumerate(order)}
    by_step: dict = {}
    for e in ev:
        if e.sid is not None and e.sid in at:
            by_step.setdefault(e.sid, []).append(e)
    g = wx.graph
    rf = wx.rf_of()
    co_after = {a: set() for a in range(len(ev))}
    for a, b in g.co_rel.pairs():
        co_after[a].add(b)
    edges = step_edges(wx)
    rels = {"sc": ("po", "rf", "co", "fr"), "po+rf": ("po", "rf"), "po": ("po",)}[respects]
    hard: dict = {}  # (step, step) -> the relation that orders them
    for rel in reversed(rels):
        hard.update((pair, rel) for pair in edges[rel])
    tid_of = {sid: tid for sid, tid, _ in wx.steps}
    weak: dict = {}  # kind of departure from sc -> how many
    steps = []
    for sid in order:
        line, file, func, text, ops = wx.step_info[sid]
        tid = tid_of[sid]
        ops = list(ops)
        for e in by_step.get(sid, []):
            op, kind = _event_ops(wx, e, rf, co_after, at, hard, tid)
            ops.extend(op)
            if kind:
                weak[kind] = weak.get(kind, 0) + 1
        note = wx.message if sid == wx.site_sid else ""
        steps.append(TraceStep(tid, wx.threads[tid], line, func, text, ops[0] if ops else "", ops, list(ops),
                               shared=True, note=note, file=file))
    if wx.why:  # a violation that is an order the model does not give (a use after free), not a read
        final = f"{wx.prop} violated: {wx.message} ({wx.why})"
    elif respects == "sc":
        final = f"{wx.prop} violated: {wx.message} (this {wx.memory_model} execution is sequentially consistent)"
    else:
        final = f"{wx.prop} violated: {wx.message} (allowed by {wx.memory_model}, not by sc: {_departures(weak)})"
    return Trace(wx.prop, wx.message, steps, final)


def _departures(weak: dict) -> str:
    """'1 read misses a write shown before it; 2 reads read a write shown after them'."""
    def n(k, one, many):
        return f"{k} {one if k == 1 else many}"

    parts = []
    if weak.get("missed"):
        parts.append(n(weak["missed"], "read misses a write shown before it", "reads miss a write shown before them"))
    if weak.get("early"):
        parts.append(n(weak["early"], "read reads a write shown after it", "reads read a write shown after them"))
    if weak.get("co"):
        parts.append(n(weak["co"], "write is coherence-after one shown after it",
                       "writes are coherence-after one shown after them"))
    return "; ".join(parts) or "no order of its steps is sequentially consistent"


def _event_ops(wx, e, rf, co_after, at, hard, tid) -> tuple[list, str]:
    """The lines of one event, and how it departs from the order shown ("" if it does not:
    'missed', 'early' or 'co')."""
    ev = wx.events
    tags = [t for t in e.tags if t not in ("rmw", "noreturn")]
    tag = f" ({', '.join(tags)})" if tags else ""
    if e.kind == "F":
        if "srcu_read_unlock" in e.tags and e.note:
            return [], ""
        what = " ".join(e.tags) if e.tags else "fence"
        return [f"{what} {e.cell}".strip() if e.cell else f"smp_{what}" if what in ("mb", "wmb", "rmb") else what], ""
    if "LKR" in e.tags:
        return [], ""
    if "LKW" in e.tags:
        return [f"lock {e.cell}"], ""
    if "UL" in e.tags:
        return [f"unlock {e.cell}"], ""
    if e.kind == "W":
        later = [w for w in range(len(ev)) if e.eid in co_after[w] and ev[w].sid in at and at[ev[w].sid] > at[e.sid]]
        if not later:
            return [f"write {e.cell} = {e.value}{tag}"], ""
        before = ", ".join(f"{ev[w].value} ({wx.threads[ev[w].tid]}, {where_text(ev[w].line, _incl(wx, ev[w]))})"
                           for w in later)
        return [f"write {e.cell} = {e.value}{tag}",
                f"weak memory: this write of {e.cell} is coherence-after {before}, which this order shows "
                "later"], "co"
    # a read
    w = rf.get(e.eid)
    src = ev[w] if w is not None else None
    if src is None or src.kind == "IW":
        origin = "the initial value"
    elif src.tid == tid:
        origin = f"this thread's write, {where_text(src.line, _incl(wx, src))}"
    else:
        origin = f"{wx.threads[src.tid]}'s write, {where_text(src.line, _incl(wx, src))}"
    out = [f"read {e.cell} -> {e.value}{tag[:-1] + '; ' if tag else ' ('}from {origin})"]
    if src is not None and src.sid in at and at[src.sid] > at[e.sid]:
        out.append(f"weak memory: {e.cell} reads {e.value} written at {where_text(src.line, _incl(wx, src))} by "
                   f"{wx.threads[src.tid]}, shown later: po and rf form a cycle here, so some read comes before "
                   "the write it reads (load buffering)")
        return out, "early"
    missed = [x for x in (co_after[w] if w is not None else ()) if ev[x].sid in at and at[ev[x].sid] < at[e.sid]
              and ev[x].tid != tid]
    if not missed:
        return out, ""
    m = max(missed, key=lambda x: at[ev[x].sid])  # the latest write of the cell before the read
    mw = ev[m]
    out.append(f"weak memory: {e.cell} reads the older {e.value}, missing {mw.value} written at "
               f"{where_text(mw.line, _incl(wx, mw))} by {wx.threads[mw.tid]}")
    chain = _chain(hard, mw.sid, e.sid)
    if chain:
        why = " although that write is " + ", ".join(f"{rel}-before {_say(wx, sid, tid, e.sid)}"
                                                      for rel, sid in chain)
    else:
        why = ": no chain of po and rf orders that write before this read"
    hint = _HINT.get(wx.memory_model, "").format(writer=wx.threads[mw.tid])
    out.append(f"{wx.memory_model} lets the read miss it{why}" + (f" ({hint})" if hint else ""))
    return out, "missed"


def _incl(wx, e) -> str:
    """The included file of an event for where_text ("" in the model itself)."""
    sid = e.sid
    return wx.step_info[sid][1] if sid in wx.step_info else ""


def _chain(hard: dict, a, b) -> list:
    """The shortest path of po/rf/co/fr step edges from a to b: [(relation, step)], or []."""
    succ: dict = {}
    for x, y in sorted(hard):
        succ.setdefault(x, []).append(y)
    prev = {a: None}
    todo = [a]
    while todo and b not in prev:
        nxt = []
        for x in todo:
            for y in sorted(succ.get(x, ())):
                if y not in prev:
                    prev[y] = x
                    nxt.append(y)
        todo = nxt
    if b not in prev:
        return []
    path = []
    y = b
    while prev[y] is not None:
        path.append(y)
        y = prev[y]
    path.reverse()
    out, x = [], a
    for y in path:
        if out and out[-1][0] == "po" and hard[(x, y)] == "po":
            out.pop()  # po is transitive: a run of it is one step of the chain
        out.append((hard[(x, y)], y))
        x = y
    return out


def _say(wx, sid, tid, last) -> str:
    """A step in a sentence: ``writer's WRITE_ONCE(flag, 1); (line 20)``."""
    if sid == last:
        return "this read"
    line, file, func, text, _ = wx.step_info[sid]
    owner = next(t for s, t, _ in wx.steps if s == sid)
    who = "this thread" if owner == tid else wx.threads[owner]
    return f"{who}'s {text.strip()} ({where_text(line, file)})"


def attach(result, witness, graph) -> None:
    """Give a weak violation (no path: not an interleaving) its named execution graph, and a
    trace: its steps in one order, for the step list and the race diagram."""
    result.execution = weak_execution(witness, graph)
    result.trace = weak_trace(result.execution)

__all__ = ["WeakEvent", "WeakExecution", "attach", "weak_execution", "weak_dot"]
