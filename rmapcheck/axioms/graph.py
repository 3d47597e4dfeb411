"""Execution graphs: the events of one candidate execution and the relations between them.

An event is what herd7 calls one: an initial write (IW), a read (R), a write (W) or a fence
(F), with the thread that performs it, the memory cell it accesses (None for most fences),
the value read or written, and its annotations (herd's tags: 'once', 'acquire', 'release',
'mb', 'plain', 'noreturn'; the lock events 'LKR', 'LKW', 'UL', 'RL', 'RU'; the fences 'mb',
'wmb', 'rmb', 'rcu-lock', 'rcu-unlock', 'sync-rcu', 'srcu-lock', 'srcu-unlock', 'sync-srcu',
'before-atomic', 'after-atomic'). The relations an execution *chooses* are rf (each read's
write) and co (the order of the writes to each cell); po and the syntactic dependencies
(addr, data, ctrl) come from the threads' code and rmw pairs each read-modify-write's two
events. fr is derived: fr = rf^-1 ; co.

`ExecutionGraph.check()` is the well-formedness check every candidate must pass before a
memory model judges it: rf relates a write to a read of the same cell and value, every read
has exactly one, co is a strict total order of each cell's writes that starts with its
initial write, po is a strict total order of each thread's events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from rmapcheck.axioms.relation import EventSet, Rel

IW, R, W, F = "IW", "R", "W", "F"
# The tag of a virtual srcu_read_unlock: the end of a section that an execution prefix leaves
# open (z3ev/weak.py); no grace period of the prefix waited for it (axioms/gp.py, lkmm.py).
PREFIX_END = "prefix_end"


@dataclass(frozen=True)
class Event:
    eid: int
    tid: int  # -1 for an initial write
    kind: str  # IW, R, W, F
    addr: object = None  # a memory cell (any hashable), or None
    value: object = None
    tags: frozenset = frozenset()
    label: str = ""  # how a person reads it: "W[once] x=1"
    line: int = 0  # the source line, 0 when none

    @property
    def is_read(self) -> bool:
        return self.kind == R

    @property
    def is_write(self) -> bool:
        return self.kind in (W, IW)


class GraphError(Exception):
    """A candidate that is not an execution graph at all (bad rf, co or po)."""


@dataclass
class Skeleton:
    """What a combination of thread paths fixes, before rf and co are chosen."""

    events: list  # list[Event], eid = index; initial writes first
    po: list  # [(a, b)]: program order, transitively closed or not
    addr: list = field(default_factory=list)
    data: list = field(default_factory=list)
    ctrl: list = field(default_factory=list)
    rmw: list = field(default_factory=list)  # [(read, write)] of each read-modify-write
    rcu_rscs: list = field(default_factory=list)  # [(rcu-lock, matching rcu-unlock)]
    srcu_rscs: list = field(default_factory=list)  # [(srcu-lock, matching srcu-unlock)]

    @cached_property
    def n(self) -> int:
        return len(self.events)

    def tagged(self, *tags: str) -> EventSet:
        m = 0
        for e in self.events:
            if not e.tags.isdisjoint(tags):
                m |= 1 << e.eid
        return EventSet(self.n, m)

    def kinds(self, *kinds: str) -> EventSet:
        m = 0
        for e in self.events:
            if e.kind in kinds:
                m |= 1 << e.eid
        return EventSet(self.n, m)

    @cached_property
    def po_rel(self) -> Rel:
        return Rel.of(self.n, self.po).plus

    @cached_property
    def loc(self) -> Rel:
        """Pairs of events (memory accesses, srcu operations) on the same cell."""
        by: dict = {}
        for e in self.events:
            if e.addr is not None:
                by.setdefault(e.addr, 0)
                by[e.addr] |= 1 << e.eid
        rows = [by[e.addr] if e.addr is not None else 0 for e in self.events]
        return Rel(self.n, rows)

    @cached_property
    def int_(self) -> Rel:
        """Pairs of events of the same thread (cat's int); initial writes belong to none."""
        by: dict = {}
        for e in self.events:
            if e.tid >= 0:
                by.setdefault(e.tid, 0)
                by[e.tid] |= 1 << e.eid
        return Rel(self.n, [by[e.tid] if e.tid >= 0 else 0 for e in self.events])

    @cached_property
    def ext(self) -> Rel:
        full = (1 << self.n) - 1
        return Rel(self.n, [full & ~a for a in self.int_.rows])

    @cached_property
    def id(self) -> Rel:
        return Rel(self.n, [1 << i for i in range(self.n)])

    def rel(self, pairs: list) -> Rel:
        return Rel.of(self.n, pairs)


@dataclass
class ExecutionGraph:
    """A candidate execution: a skeleton with rf and co chosen."""

    skel: Skeleton
    rf: list  # [(write, read)]
    co: list  # [(write, write)]: the order of each cell's writes (transitively closed or not)

    @property
    def events(self) -> list:
        return self.skel.events

    @cached_property
    def rf_rel(self) -> Rel:
        return Rel.of(self.skel.n, self.rf)

    @cached_property
    def co_rel(self) -> Rel:
        return Rel.of(self.skel.n, self.co).plus

    @cached_property
    def fr_rel(self) -> Rel:
        """fr = rf^-1 ; co: a read and every write co-after the one it read from."""
        return self.rf_rel.inv @ self.co_rel

    def final_values(self) -> dict:
        """cell -> the value of its co-last write (the final memory)."""
        last: dict = {}
        co = self.co_rel
        for e in self.events:
            if e.is_write and e.addr is not None:
                later = co.rows[e.eid] & self.skel.loc.rows[e.eid]
                if not later:
                    last[e.addr] = e.value
        return last

    # -- well-formedness -------------------------------------------------------------------
    def problems(self) -> list:
        """Everything that makes this not an execution graph (empty: well formed)."""
        ev, out = self.events, []
        n = len(ev)
        seen_reads: dict = {}
        for w, r in self.rf:
            if not (0 <= w < n and 0 <= r < n):
                out.append(f"rf ({w}, {r}) names no event")
                continue
            if not ev[w].is_write or not ev[r].is_read:
                out.append(f"rf ({w}, {r}) does not go from a write to a read")
            elif ev[w].addr != ev[r].addr:
                out.append(f"rf ({w}, {r}): the write is to {ev[w].addr}, the read from {ev[r].addr}")
            elif ev[w].value != ev[r].value:
                out.append(f"rf ({w}, {r}): the read returns {ev[r].value}, the write wrote {ev[w].value}")
            seen_reads[r] = seen_reads.get(r, 0) + 1
        for e in ev:
            k = seen_reads.get(e.eid, 0)
            if e.is_read and k != 1:
                out.append(f"read {e.eid} ({e.label}) reads from {k} writes, not exactly one")
        co = self.co_rel
        for a, b in self.co:
            if not (ev[a].is_write and ev[b].is_write and ev[a].addr == ev[b].addr):
                out.append(f"co ({a}, {b}) does not relate two writes to one cell")
        for i in range(n):
            if co.rows[i] >> i & 1:
                out.append(f"co is cyclic through event {i}")
                break
        writes: dict = {}
        for e in ev:
            if e.is_write:
                writes.setdefault(e.addr, []).append(e.eid)
        for addr, ws in writes.items():
            for x in ws:
                for y in ws:
                    if x < y and not (co.rows[x] >> y & 1 or co.rows[y] >> x & 1):
                        out.append(f"co does not order the writes {x} and {y} to {addr}: not total")
            for x in ws:
                if ev[x].kind == IW:
                    for y in ws:
                        if co.rows[y] >> x & 1:
                            out.append(f"co puts write {y} before the initial write {x}")
        po = self.skel.po_rel
        for e in ev:
            if po.rows[e.eid] >> e.eid & 1:
                out.append(f"po is cyclic through event {e.eid}")
            for f_ in ev:
                if e.tid >= 0 and e.tid == f_.tid and e.eid < f_.eid and not (
                        po.rows[e.eid] >> f_.eid & 1 or po.rows[f_.eid] >> e.eid & 1):
                    out.append(f"po does not order events {e.eid} and {f_.eid} of thread {e.tid}")
                if (e.tid < 0 or e.tid != f_.tid) and po.rows[e.eid] >> f_.eid & 1:
                    out.append(f"po relates events {e.eid} and {f_.eid} of different threads")
        return out

    def check(self) -> None:
        p = self.problems()
        if p:
            raise GraphError("; ".join(p))


__all__ = ["Event", "Skeleton", "ExecutionGraph", "GraphError", "IW", "R", "W", "F", "PREFIX_END"]
