"""Sequential consistency (Lamport) as axioms: one total order of all accesses that respects
program order and in which every read reads the latest write.

    acyclic po | rf | co | fr      as sc
    empty rmw & (fre ; coe)         as atomic
plus the RCU grace-period guarantee (axioms/gp.py). Fences change nothing under sc.
"""

from __future__ import annotations

from rmapcheck.axioms.base import Base, atomicity
from rmapcheck.axioms.graph import ExecutionGraph
from rmapcheck.axioms.gp import orientations
from rmapcheck.axioms.relation import acyclic
from rmapcheck.axioms.verdict import ALLOWED, Judgement, forbidden


def judge(g: ExecutionGraph, races: bool = True) -> Judgement:
    b = Base(g)
    if not atomicity(b):
        return forbidden("atomic")
    order = [b.M] @ b.po @ [b.M] | b.com
    if not acyclic(order):
        return forbidden("sc")
    if any(acyclic(order | extra) for extra in orientations(b)):
        return ALLOWED
    return forbidden("rcu")


__all__ = ["judge"]
