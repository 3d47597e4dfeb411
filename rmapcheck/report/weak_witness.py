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

from rmapcheck.errors import InternalError, pos_text, where_text
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
    cells, values and lines, and tie each to its program step."""
    from rmapcheck.engines.explicit.executor import Executor
    from rmapcheck.engines.explicit.replay import _Names

    enc, P = witness.enc, witness.P
    program = P.p
    ex = Executor(program)
    names = _Names(ex)
    steps = []
    for s in P.steps:
        if s.tid < P.nthreads and witness.true(s.guard) and witness.num(s.clock) <= witness.T:
            steps.append((s.sid, s.tid, witness.num(s.clock)))
    for sid, _, _ in sorted(steps, key=lambda x: (x[2], x[1])):  # heap objects named in execution order
        s = P.steps[sid]
        if s.kind == "alloc" and not witness.true(P.objs[s.info["obj"]].fail):
            obj = P.objs[s.info["obj"]]
            names.born(obj.oid, obj.type_name)
    live = [e for e in enc.events if witness.true(enc.executed(e))]
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
        cell = _cell(names, program, g)
        value = "" if g.kind == "F" else _value(names, program, g)
        line, file = 0, ""
        if src is not None and src.loc is not None:
            line = src.loc.line
            file = os.path.basename(src.loc.file) if src.loc.included else model_file
        tags = tuple(sorted(t for t in g.tags if t != "IW"))
        note = "end of the prefix: the section is still open" if src is None and g.tid >= 0 else ""
        out.append(WeakEvent(g.eid, g.tid, g.kind, cell, value, tags, line, file,
                             src.step if src is not None else None, note))
    site = witness.site
    site_sid = None
    own = sorted((c, sid) for sid, tid, c in steps if tid == site.tid)
    if own:
        site_sid = own[-1][1]
    return WeakExecution(enc.memory_model, witness.prop, witness.message, [t.name for t in ex.threads], out, graph,
                         site_sid, steps)


def _cell(names, program, g) -> str:
    a = g.addr
    if a is None:
        return ""
    if isinstance(a, tuple):
        name = names.cell(a, g.tid if g.tid >= 0 else 0)
        lockish = g.kind == "F" or not {"LKR", "LKW", "UL"}.isdisjoint(g.tags)
        return name.rsplit(".__", 1)[0] if lockish else name  # the lock or srcu_struct's own name
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
    title = f"{wx.prop} violated under {wx.memory_model}: {wx.message}"
    threads = [f"P{k}: {t}" for k, t in enumerate(wx.threads)]
    return graph_dot(wx.graph, threads, str, title, name, describe=describe, highlight=hot)





def attach(result, witness, graph) -> None:
    """Give a weak violation (no path: not an interleaving) its named execution graph."""
    result.execution = weak_execution(witness, graph)

__all__ = ["WeakEvent", "WeakExecution", "attach", "weak_execution", "weak_dot"]
