"""The RCU grace-period guarantee for models without LKMM's rcu axiom (sc, tso).

RCU is not hardware: under any memory model, a read-side critical section that overlaps
a grace period must lie wholly before it or wholly after it. For an operational or
hardware model that means: for every critical section C (rcu_read_lock .. rcu_read_unlock,
or srcu on the same srcu_struct) and every synchronize_rcu G of another thread, either
every access in C is ordered before every access after G, or every access before G is
ordered before every access in C. `grace_periods(b, order)` is the axiom: some choice of the
two for every (C, G) pair keeps the global order acyclic (one boolean per pair: the
concrete base tries every choice, the symbolic one lets z3 choose). A section that an
execution prefix leaves open (its unlock tagged PREFIX_END) has no choice: it has not ended,
so G, which the prefix completes, did not wait for it, and every access before G is ordered
before every access in C.

A grace period a thread begins inside its own critical section on the same domain waits for
that section, which cannot end before the grace period does: no execution completes it (the
explicit engine's thread waits for good: a deadlock). `_self_waits` gives such a G a cycle
of its own, so an execution (or prefix) that has G is never consistent; LKMM's rcu axiom says
the same through po in rcu-link.
"""

from __future__ import annotations

from rmapcheck.axioms.graph import PREFIX_END
from rmapcheck.axioms.relation import acyclic


def _pairs(b, same_thread: bool = False) -> list:
    """(lock, unlock, G) for every critical section and grace period of the same flavour
    (and srcu domain) in other threads; same_thread: in the section's own thread instead."""
    ev = b.events
    out = []
    gps = [e for e in ev if e.tags & {"synchronize_rcu", "synchronize_srcu"}]
    for lock, unlock in list(b.s.rcu_rscs) + list(b.s.srcu_rscs):
        srcu = "srcu_read_lock" in ev[lock].tags
        for g in gps:
            if (g.tid == ev[lock].tid) != same_thread:
                continue
            if srcu != ("synchronize_srcu" in g.tags) or (srcu and g.addr != ev[lock].addr):
                continue
            out.append((lock, unlock, g.eid))
    return out


def _inside(b, lock: int, unlock: int):
    """The events po-between a read-side lock and its unlock."""
    po = b.po
    return ([b.single(lock)] @ po).range & (po @ [b.single(unlock)]).domain


def _self_waits(b):
    """G -> G for a grace period inside its own thread's critical section (see above)."""
    out = b.empty_rel()
    for lock, unlock, g in _pairs(b, same_thread=True):
        stuck = _inside(b, lock, unlock) & b.single(g)
        out = out | _when(b, lock, unlock, stuck.cross(stuck))
    return out


def _edges(b, lock: int, unlock: int, g: int):
    """(critical section first, grace period first): the ordering each orientation adds."""
    po, M = b.po, b.M
    inside = _inside(b, lock, unlock) & M
    before = (po @ [b.single(g)]).domain & M
    after = ([b.single(g)] @ po).range & M
    return inside.cross(after), before.cross(inside)


def grace_periods(b, order) -> object:
    """Is there an orientation of every (critical section, grace period) pair under which
    order stays acyclic? (With no such pair: acyclic order.) A section a prefix leaves open
    has its orientation fixed, so only the others are choices."""
    order = order | _self_waits(b)
    pairs = _pairs(b)
    if not pairs:
        return acyclic(order)
    fixed, chosen = order, []
    for lock, unlock, g in pairs:
        cs_first, gp_first = _edges(b, lock, unlock, g)
        if PREFIX_END in b.events[unlock].tags:
            fixed = fixed | _when(b, lock, unlock, gp_first)
        else:
            chosen.append((lock, unlock, cs_first, gp_first))

    def with_pick(pick):
        extra = fixed
        for c, (lock, unlock, cs_first, gp_first) in zip(pick, chosen):
            extra = extra | _when(b, lock, unlock, b.ite(c, cs_first, gp_first))
        return acyclic(extra)

    return b.exists(len(chosen), with_pick)


def _when(b, lock: int, unlock: int, oriented):
    """The orientation's edges, in the executions where lock and unlock pair up."""
    when = b.pair_when(lock, unlock)
    return oriented if when is True else b.ite(when, oriented, b.empty_rel())


__all__ = ["grace_periods"]
