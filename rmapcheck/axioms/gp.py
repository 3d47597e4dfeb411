"""The RCU grace-period guarantee for models without LKMM's rcu axiom (sc, tso).

RCU is not hardware: under any memory model, a read-side critical section that overlaps
a grace period must lie wholly before it or wholly after it. For an operational or
hardware model that means: for every critical section C (rcu_read_lock .. rcu_read_unlock,
or srcu on the same srcu_struct) and every synchronize_rcu G of another thread, either
every access in C is ordered before every access after G, or every access before G is
ordered before every access in C. `orientations` yields, for each way of choosing one of
the two for every (C, G) pair, the extra ordering edges; a model allows the execution when
one choice keeps its global order acyclic.
"""

from __future__ import annotations

from itertools import product

from rmapcheck.axioms.base import Base
from rmapcheck.axioms.relation import Rel


def _pairs(b: Base) -> list:
    s = b.s
    out = []
    gps = [e for e in s.events if e.tags & {"synchronize_rcu", "synchronize_srcu"}]
    for lock, unlock in list(s.rcu_rscs) + list(s.srcu_rscs):
        srcu = "srcu_read_lock" in s.events[lock].tags
        for g in gps:
            if g.tid == s.events[lock].tid:
                continue
            if srcu != ("synchronize_srcu" in g.tags) or (srcu and g.addr != s.events[lock].addr):
                continue
            out.append((lock, unlock, g.eid))
    return out


def orientations(b: Base):
    """Each extra-edge relation the grace-period guarantee may add (one relation when none)."""
    pairs = _pairs(b)
    if not pairs:
        yield Rel(b.n)
        return
    po, M = b.po, b.M.mask
    choices = []
    for lock, unlock, g in pairs:
        inside = po.rows[lock] & po.inv.rows[unlock] & M
        before = po.inv.rows[g] & M
        after = po.rows[g] & M
        cs_first = [(i, after) for i in range(b.n) if inside >> i & 1]
        gp_first = [(i, inside) for i in range(b.n) if before >> i & 1]
        choices.append((cs_first, gp_first))
    for pick in product(*choices):
        rows = [0] * b.n
        for edges in pick:
            for i, mask in edges:
                rows[i] |= mask
        yield Rel(b.n, rows)


__all__ = ["orientations"]
