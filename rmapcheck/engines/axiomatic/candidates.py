"""Candidate executions: one path per thread, then every choice of rf and co.

For one combination of thread paths (a `Skeleton`: the events, po and the dependencies),
each read may read from any write to its cell that wrote the value it returned, or from
the cell's initial write; each cell's writes may be put in any coherence order after the
initial write. Coherence (acyclic po-loc | com) and atomicity (empty rmw & (fre ; coe)) are
facts about one cell at a time and every memory model here has them, so the choices are
made cell by cell and only the per-cell choices that satisfy both are combined: the
candidates are exactly the well-formed graphs every model must judge, with the ones that
break coherence (which no model allows) left out early.
"""

from __future__ import annotations

from itertools import product

from rmapcheck.axioms.graph import Event, ExecutionGraph, Skeleton
from rmapcheck.axioms.relation import Rel, acyclic


def skeleton(paths: list, init) -> Skeleton:
    """The events of a combination of paths (one per thread), initial writes first."""
    cells: list = []
    for p in paths:
        for e in p.events:
            if e.kind in ("R", "W") and e.addr not in cells:
                cells.append(e.addr)
    cells.sort()
    events: list = []
    for c in cells:
        events.append(Event(len(events), -1, "IW", c, init(c), frozenset(("IW",)), f"init {c}", 0))
    po, addr, data, ctrl, rmw, rcu, srcu = [], [], [], [], [], [], []
    for p in paths:
        base = len(events)
        for k, e in enumerate(p.events):
            events.append(Event(base + k, p.tid, e.kind, e.addr, e.value, e.tags, e.label, e.line))
            if k:
                po.append((base + k - 1, base + k))
            addr += [(base + d, base + k) for d in e.addr_deps]
            data += [(base + d, base + k) for d in e.data_deps]
            ctrl += [(base + d, base + k) for d in e.ctrl_deps]
        rmw += [(base + a, base + b) for a, b in p.rmw]
        for a, b in p.rscs:
            (rcu if "rcu_read_lock" in p.events[a].tags else srcu).append((base + a, base + b))
    return Skeleton(events, po, addr, data, ctrl, rmw, rcu, srcu)


def _cell_choices(skel: Skeleton, cell) -> list:
    """Every (rf pairs, co pairs) for one cell that keeps it coherent and its rmws atomic."""
    ev = skel.events
    n = skel.n
    iw = [e.eid for e in ev if e.kind == "IW" and e.addr == cell][0]
    writes = [e.eid for e in ev if e.kind == "W" and e.addr == cell]
    reads = [e.eid for e in ev if e.kind == "R" and e.addr == cell]
    sources = []
    for r in reads:
        s = [w for w in [iw] + writes if ev[w].value == ev[r].value]
        if not s:
            return []
        sources.append(s)
    po_loc = Rel(n)
    po = skel.po_rel
    members = 0
    for e in [iw] + writes + reads:
        members |= 1 << e
    for e in [iw] + writes + reads:
        po_loc.rows[e] = po.rows[e] & members
    # co: the orders of the cell's writes that keep each thread's writes in program order
    # (CoWW). The read of a read-modify-write reads from the write just before the rmw's
    # write in co: a write of another thread between them breaks atomicity, one of its own
    # thread breaks coherence. So that read's rf is fixed by the order, and an order that puts
    # a write of the wrong value there is dropped while it is built.
    rmw_read = {w: r for r, w in skel.rmw if ev[r].addr == cell}
    fixed = set(rmw_read.values())
    free = [k for k, r in enumerate(reads) if r not in fixed]
    before = {w: po.inv.rows[w] & sum(1 << x for x in writes) for w in writes}
    out = []
    for chain in _orders(iw, writes, before, rmw_read, ev):
        co_pairs = list(zip(chain, chain[1:]))
        co = Rel.of(n, co_pairs).plus
        prev = {w: chain[k - 1] for k, w in enumerate(chain) if k}
        rf_fixed = [(prev[w], r) for w, r in rmw_read.items()]
        for pick in product(*[sources[k] for k in free]):
            rf_pairs = rf_fixed + [(w, reads[k]) for w, k in zip(pick, free)]
            rf = Rel.of(n, rf_pairs)
            fr = rf.inv @ co
            if acyclic(po_loc | rf | co | fr):
                out.append((rf_pairs, co_pairs))
    return out


def _orders(iw, writes, before, rmw_read, ev):
    """Every co order of the writes (initial write first) that respects `before` (the writes
    each must follow) and puts before each rmw write a write of the value its read returned."""
    chain, placed = [iw], 1 << iw

    def extend():
        if len(chain) == len(writes) + 1:
            yield list(chain)
            return
        nonlocal placed
        for w in writes:
            if placed >> w & 1 or before[w] & ~placed:
                continue
            r = rmw_read.get(w)
            if r is not None and ev[chain[-1]].value != ev[r].value:
                continue
            chain.append(w)
            placed |= 1 << w
            yield from extend()
            placed &= ~(1 << w)
            chain.pop()

    yield from extend()


def candidates(skel: Skeleton):
    """Every coherent, atomic execution graph of a skeleton."""
    cells = sorted({e.addr for e in skel.events if e.kind == "IW"})
    per_cell = []
    for c in cells:
        ch = _cell_choices(skel, c)
        if not ch:
            return
        per_cell.append(ch)
    for pick in product(*per_cell):
        rf, co = [], []
        for r, c in pick:
            rf += r
            co += c
        yield ExecutionGraph(skel, rf, co)


__all__ = ["skeleton", "candidates"]
