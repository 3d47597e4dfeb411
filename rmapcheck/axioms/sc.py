"""Sequential consistency (Lamport) as axioms: one total order of all accesses that respects
program order and in which every read reads the latest write.

    acyclic po | rf | co | fr      as sc
    empty rmw & (fre ; coe)         as atomic
plus the RCU grace-period guarantee (axioms/gp.py). Fences change nothing under sc.
"""

from __future__ import annotations

from rmapcheck.axioms.base import Axiom, Base, atomicity, run_checks
from rmapcheck.axioms.graph import ExecutionGraph
from rmapcheck.axioms.gp import grace_periods
from rmapcheck.axioms.relation import acyclic
from rmapcheck.axioms.verdict import Judgement


def checks(b, races: bool = True):
    """sc's axioms over a base (concrete or symbolic: axioms/base.py)."""
    yield Axiom("atomic", atomicity(b))
    order = [b.M] @ b.po @ [b.M] | b.com | b.extra
    yield Axiom("sc", acyclic(order))
    yield Axiom("rcu", grace_periods(b, order))


def judge(g: ExecutionGraph, races: bool = True) -> Judgement:
    return run_checks(checks(Base(g), races))


__all__ = ["checks", "judge"]
