"""Enumerate a program's candidate executions and judge each by a memory model's axioms."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

from rmapcheck.axioms import model
from rmapcheck.engines.axiomatic.candidates import candidates, skeleton
from rmapcheck.engines.axiomatic.paths import DEFAULT_UNWIND, Context, thread_paths


@dataclass
class Allowed:
    """One execution the memory model allows: its graph, the final memory, the paths' private
    cells, and the flags it raises."""

    graph: object
    memory: dict  # cell -> final value
    private: dict  # cell -> final value
    flags: tuple
    races: tuple = ()  # racing pairs of event ids


@dataclass
class Enumeration:
    allowed: list = field(default_factory=list)  # list[Allowed]
    candidates: int = 0  # coherent candidate executions judged
    forbidden: dict = field(default_factory=dict)  # axiom -> how many candidates it rejected
    incomplete: str | None = None  # why the enumeration is not the whole set of executions
    faults: list = field(default_factory=list)


def enumerate_executions(program, memory_model: str, private=(), rcu=(), unwind: int = DEFAULT_UNWIND,
                         races: bool = True, keep=None) -> Enumeration:
    """Every execution of the program the memory model allows.

    keep(final memory, private) -> bool: when given, only executions it keeps are judged
    for flags (a litmus filter); the others are still counted as candidates."""
    judge = model(memory_model)
    ctx = Context(program, private, rcu)
    paths = thread_paths(program, ctx, unwind)
    out = Enumeration()
    if paths.cut:
        out.incomplete = f"unwind {unwind}"
    if paths.unbounded:
        out.incomplete = "unbounded values"
    for combo in product(*paths.per_thread):
        if not _values_available(combo, ctx):
            continue
        faults = [f for p in combo for f in p.faults]
        skel = skeleton(list(combo), ctx.init)
        private_vals: dict = {}
        for p in combo:
            private_vals.update(p.private)
        for g in candidates(skel):
            out.candidates += 1
            j = judge(g, races)
            if not j.consistent:
                out.forbidden[j.failed] = out.forbidden.get(j.failed, 0) + 1
                continue
            if faults:
                out.faults += [f for f in faults if f not in out.faults]
            out.allowed.append(Allowed(g, g.final_values(), private_vals, j.flags, j.races))
    return out


def _values_available(combo, ctx) -> bool:
    """Can every read of this combination of paths read its value from some write (or the
    initial value)? If not, no rf exists: skip it before building anything."""
    written = {(e.addr, e.value) for p in combo for e in p.events if e.kind == "W"}
    return all(e.value == ctx.init(e.addr) or (e.addr, e.value) in written
               for p in combo for e in p.events if e.kind == "R")


__all__ = ["enumerate_executions", "Enumeration", "Allowed"]
