"""Memory models as axioms over execution graphs, computed concretely (herd-style, no solver).

This package is the independent judge of executions: its concrete side (graph, relation,
base, sc, tso, lkmm, gp, verdict) imports nothing from the engines and never z3, so a
witness an engine produces can be re-checked here by a separate computation.
`judge(name, graph)` answers whether the memory model allows the execution.

The same model text also has a symbolic back end, in modules of their own that the concrete
ones never import: formula.py (formulas), symbolic.py (the relation algebra over them) and
symexec.py (a symbolic execution graph whose rf and co z3 chooses): see base.py.
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
