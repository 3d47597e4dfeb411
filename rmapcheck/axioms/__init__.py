"""Memory models as axioms over execution graphs, computed concretely (herd-style, no solver).

This package is the independent judge of executions: it imports nothing from the engines
(and never z3), so a witness an engine produces can be re-checked here by a separate
computation. `judge(name, graph)` answers whether the memory model allows the execution.
"""

from __future__ import annotations

from rmapcheck.axioms.graph import Event, ExecutionGraph, GraphError, Skeleton
from rmapcheck.axioms.verdict import Judgement

MODELS = ("sc", "tso", "lkmm")


def model(name: str):
    """The judge function of a memory model: judge(graph, races=True) -> Judgement."""
    if name == "sc":
        from rmapcheck.axioms.sc import judge
    elif name == "tso":
        from rmapcheck.axioms.tso import judge
    elif name == "lkmm":
        from rmapcheck.axioms.lkmm import judge
    else:
        raise ValueError(f"no axioms for memory model '{name}' (axiomatic models: {', '.join(MODELS)})")
    return judge


def judge(name: str, g: ExecutionGraph, races: bool = True) -> Judgement:
    """Check that g is an execution graph at all (GraphError if not), then judge it."""
    g.check()
    return model(name)(g, races)


__all__ = ["MODELS", "model", "judge", "Event", "ExecutionGraph", "GraphError", "Skeleton", "Judgement"]
