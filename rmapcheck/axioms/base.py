"""The relations every memory model starts from (herd's basic relations and event sets).

`Base(g)` computes them once per execution graph; the models (sc, tso, lkmm) read them by
their cat names: po, rf, co, fr, loc, int, ext, rfe, rfi, coe, fre, po-loc, and the event
sets R, W, M, IW, F and the annotation sets. A model caches what depends only on the
threads' code (fences, release/acquire orderings) on the skeleton, since every rf/co choice
of one skeleton shares it.
"""

from __future__ import annotations

from rmapcheck.axioms.graph import ExecutionGraph
from rmapcheck.axioms.relation import EventSet, Rel


class Base:
    def __init__(self, g: ExecutionGraph):
        s = g.skel
        self.g, self.s, self.n = g, s, s.n
        self.po = s.po_rel
        self.rf, self.co, self.fr = g.rf_rel, g.co_rel, g.fr_rel
        self.loc, self.int, self.ext, self.id = s.loc, s.int_, s.ext, s.id
        self.rfe, self.rfi = self.rf & self.ext, self.rf & self.int
        self.coe, self.fre = self.co & self.ext, self.fr & self.ext
        self.po_loc = self.po & self.loc
        self.com = self.rf | self.co | self.fr
        self.rmw = s.rel(s.rmw)
        self.R = s.kinds("R")
        self.W = s.kinds("W", "IW")
        self.IW = s.kinds("IW")
        self.M = self.R | self.W
        self.F = s.kinds("F")
        self.none = EventSet(self.n)

    def tagged(self, *tags: str) -> EventSet:
        return self.s.tagged(*tags)


def static(skel, key: str, make):
    """A value that depends on the skeleton alone, computed once per skeleton."""
    memo = skel.__dict__.setdefault("_memo", {})
    if key not in memo:
        memo[key] = make()
    return memo[key]


def coherence(b: Base) -> bool:
    """Sequential consistency per variable: acyclic po-loc | com (every model has it)."""
    from rmapcheck.axioms.relation import acyclic

    return acyclic(b.po_loc | b.com)


def atomicity(b: Base) -> bool:
    """No write of another thread comes between an rmw's read and its write: empty rmw & (fre ; coe)."""
    return not (b.rmw & (b.fre @ b.coe))


__all__ = ["Base", "static", "coherence", "atomicity", "Rel"]
