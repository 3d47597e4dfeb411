"""lock-order under a weak memory model (tso, lkmm): the lock graph's edges from executions.

An edge A -> B is a fact of one thread's program order in one execution: the thread holds A
(a mutex it took and has not released, or an srcu read section it has not left) and its next
step takes mutex B or starts synchronize_srcu(B). The execution is a consistent prefix that
ends just before that step (properties.edge_sites: the step waits at T), so the edge exists
whether or not B can then be taken, as the explicit engine adds the edge of a reachable state
whatever the thread can do next. The lock graph is the union of the edges over every
execution; a cycle is the violation (properties/lockorder.LockGraph, the explicit engine's).
srcu sections count as the explicit engine counts them: a held section is a source, taking a
section is no target, and a section with a mutex of its own name is no edge.

Why a prefix is enough: an edge is decided by one thread's own steps up to the step it waits
at, and a prefix is po-closed, so its events are all there; the axioms are checked on the
prefix, which every consistent execution that reaches the step contains (weak.py's
docstring). Each edge's witness is its judged graph: the concrete axioms accept it, and the
thread's own events in it show A held at the end of its prefix (lock and unlock events, no
z3), else the witness is an internal error.
"""

from __future__ import annotations

import z3

from rmapcheck.axioms.graph import PREFIX_END
from rmapcheck.engines.z3ev.unroll import Site
from rmapcheck.engines.z3ev.weak import WeakWitness, check_weak_graph
from rmapcheck.errors import InternalError
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.lockorder import EdgeWitness

_TAKE = {"m": ("LKW",), "s": ("srcu_read_lock",)}
_LEAVE = {"m": ("UL",), "s": ("srcu_read_unlock",)}


class WeakEdgeWitness(WeakWitness):
    """One lock-graph edge from a z3 model of the weak encoding: the thread, the step it waits
    at, the step that took the held lock, and the judged graph."""

    def __init__(self, enc, model: z3.ModelRef, edge: tuple, sites: list):
        self.enc, self.m, self.prop = enc, model, ir.P_LOCKORDER
        self.P = enc.prog
        self.T = self.num(enc.T)
        self.edge = edge
        hits = [(s, held) for s, held, cond in sites if self.true(cond)]
        if not hits:
            raise InternalError(f"z3 found the lock-order edge {edge} but no thread waits at its step")
        self.step, (self.kind, self.key) = hits[0]
        self.hold = self.holding_step()
        s = self.step
        self.site = Site(ir.P_LOCKORDER, s.tid, True, 0, "", False, s.instr.loc, s.sid)
        names = [t.name for t in self.P.p.threads for _ in range(t.instances)]
        h, t = self.hold.instr, s.instr
        self.edge_witness = EdgeWitness(
            edge[0], edge[1], names[s.tid], h.loc.where, h.func, t.loc.where, t.func,
            "synchronize_srcu" if s.kind == "sync_start" else f"{t.kind}_lock",
            "srcu read section" if self.kind == "s" else "lock", 0)
        self.message = self.site.msg = f"{names[s.tid]} holds {edge[0]} and takes {edge[1]}"

    def own_steps(self) -> list:
        """The thread's executed steps before the one it waits at, in program order."""
        s = self.step
        return sorted((x for x in self.P.steps if x.tid == s.tid and x.sid != s.sid and self.true(x.guard)
                       and self.num(x.clock) <= self.T), key=lambda x: x.sid)

    def holding_step(self):
        """The step whose acquisition of the held key is still open (the explicit engine's:
        the latest one, an unlock releasing the latest)."""
        take, leave = ("lock", "unlock") if self.kind == "m" else ("srcu_lock", "srcu_unlock")
        stack = []
        for x in self.own_steps():
            if x.kind in (take, leave) and self.value(x.addr) == self.key:
                if x.kind == take:
                    stack.append(x)
                elif stack:
                    stack.pop()
        if not stack:
            raise InternalError(f"z3 witness of the lock-order edge {self.edge}: the thread does not hold "
                                f"{self.edge[0]}")
        return stack[-1]

    def check_graph(self):
        """The graph, judged by the concrete axioms; the held key found again in the thread's
        own events of it (acquisitions minus releases of that cell > 0)."""
        g = self.graph()
        j = check_weak_graph(self.enc.memory_model, g)
        self.races = j.races
        tid = self.step.tid
        n = 0
        for e in g.events:
            if e.tid == tid and e.addr == self.key and PREFIX_END not in e.tags:
                n += any(t in e.tags for t in _TAKE[self.kind]) - any(t in e.tags for t in _LEAVE[self.kind])
        if n <= 0:
            raise InternalError(f"z3 witness of the lock-order edge {self.edge}: its graph shows the thread "
                                f"not holding {self.edge[0]}")
        return g


__all__ = ["WeakEdgeWitness"]
