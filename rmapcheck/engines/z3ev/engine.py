"""The event engine's entry point: unroll, encode, one query per property, verdicts.

Every property is decided with one solver (the encoding asserted once, each query pushed
and popped). Its arithmetic is difference logic (clocks are only ordered and compared), so
the solver's arithmetic is z3's dense difference-logic theory instead of its general
simplex: measured on models/03 and 04, the queries take 3 to 25 times less (benchmarks/z3events.py). A satisfiable query gives a witness (witness.py) that must pass the axioms'
checker and the explicit replay; an unsatisfiable one is `holds` only if the unwinding
check passes (no execution needs more loop iterations than unrolled), else `incomplete`.
"""

from __future__ import annotations

import time

import z3

from rmapcheck.engines.explicit.search import Limits, peak_mb
from rmapcheck.engines.z3ev.execution import Encoding
from rmapcheck.engines.z3ev.properties import (
    UNSUPPORTED, edge_sites, lock_edges, unwinding, violation,
)
from rmapcheck.engines.z3ev.unroll import DEFAULT_UNWIND, Program, Unsupported
from rmapcheck.engines.z3ev.witness import Witness
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import (
    HOLDS, INCOMPLETE, UNSUPPORTED as V_UNSUPPORTED, VIOLATED, PropertyResult, RunResult, RunStats,
)

ENGINE_NAME = "z3 events"
DEADLOCK_HANG = ("no deadlock of lock waits alone; an execution may end with a thread waiting in synchronize_srcu "
                 "for a reader that never leaves its section, and whether that is a deadlock is not decided under a "
                 "weak memory model (no order says which read sections began before the grace period)")


def check_events(program: ir.Program, limits: Limits | None = None, unwind: int | None = None,
                 progress=None, memory_model: str = "sc", lazy: bool = False) -> RunResult:
    """memory_model: sc (clocks, execution.py) or a weak one (tso, lkmm: weak.py). lazy: a
    weak model's expensive axioms are asserted only when a candidate needs them (lazy.py;
    the same verdicts: tests/test_z3_lazy.py). Not the default: on the KVM models in sc's
    configuration it was measured slower (benchmarks/results/lkmm_sc_config.md)."""
    limits = limits or Limits()
    unwind = unwind or DEFAULT_UNWIND
    t0, c0 = time.monotonic(), time.process_time()
    props = list(program.properties)
    if memory_model == "lkmm" and ir.P_RACE not in props:  # LKMM defines data races (ra's row too)
        props.append(ir.P_RACE)
    results: dict = {}
    stats = {"unwind": unwind, "cpu0": c0}
    try:
        prog = Program(program, unwind)
    except Unsupported as e:
        for p in props:
            results[p] = PropertyResult(p, V_UNSUPPORTED, f"unsupported: {e}")
        return _result(program, results, t0, False, "unsupported", stats, memory_model)
    if memory_model == "sc":
        enc, unsupported, witness = Encoding(prog), UNSUPPORTED, Witness
    else:
        from rmapcheck.engines.z3ev import weak

        enc = weak.WeakEncoding(prog, memory_model, lazy)
        unsupported, witness = weak.unsupported(program), weak.WeakWitness
    stats.update(steps=len(prog.steps), events=len(prog.events))

    def make() -> z3.Solver:
        s = z3.Solver(ctx=prog.ctx)
        s.set("smt.arith.solver", 3)  # dense difference logic (Floyd-Warshall): see the docstring
        if limits.timeout:
            s.set("timeout", int(limits.timeout * 1000))
        return s

    if getattr(enc, "lazy", False):
        from rmapcheck.engines.z3ev.lazy import RefiningSolver

        solver = RefiningSolver(make, enc.facts, enc.lazy, enc.first_failing)
        stats["axioms_asserted"] = enc.lazy.asserted  # the list grows as witnesses need axioms
    else:
        solver = make()
        solver.add(*enc.facts)
    complete = None  # decided lazily: only a property z3 finds no violation of needs it

    def unwound() -> str | None:
        nonlocal complete
        if complete is None:
            q = unwinding(enc)
            if q is None:
                complete = "yes"
            else:
                solver.push()
                solver.add(q)
                r = solver.check()
                solver.pop()
                complete = "yes" if r == z3.unsat else ("no" if r == z3.sat else "unknown")
        return complete

    stats["query_seconds"] = qs = {}
    stats["build_seconds"] = round(time.monotonic() - t0, 2)
    for prop in props:
        tq = time.monotonic()
        if prop in unsupported:
            results[prop] = PropertyResult(prop, V_UNSUPPORTED, f"unsupported: {unsupported[prop]}")
            continue
        if prop == ir.P_LOCKORDER:
            results[prop] = lock_order(enc, solver, unwound, unwind, memory_model != "sc")
            qs[prop] = round(time.monotonic() - tq, 2)
            continue
        lifetime = memory_model != "sc" and prop in (ir.P_UAF, ir.P_DFREE, ir.P_LEAK, ir.P_DEADLOCK)
        try:
            if lifetime:
                from rmapcheck.engines.z3ev import lifetime as LT

                q = LT.query(enc, prop, solver)
            else:
                q = violation(enc, prop)
        except Unsupported as e:
            results[prop] = PropertyResult(prop, V_UNSUPPORTED, f"unsupported: {e}")
            continue
        if q is None:
            r = z3.unsat
        else:
            solver.push()
            solver.add(q)
            r = solver.check()
            if r == z3.sat:
                w = (LT.witness_of(prop) if lifetime else witness)(enc, solver.model(), prop)
                path = w.path()
                g = w.check_graph()
                results[prop] = PropertyResult(prop, VIOLATED, w.message, path)
                if path is None:  # a weak execution: its graph and its steps for people
                    from rmapcheck.report.weak_witness import attach

                    attach(results[prop], w, g)
            solver.pop()
        if r == z3.unsat and lifetime and prop == ir.P_DEADLOCK and LT.may_hang(enc, solver):
            results[prop] = PropertyResult(prop, V_UNSUPPORTED, f"unsupported: {DEADLOCK_HANG}")
        elif r == z3.unsat:
            c = unwound()
            if c == "yes":
                results[prop] = PropertyResult(prop, HOLDS)
            else:
                why = f"unwind {unwind}" if c == "no" else "z3 could not decide the unwinding check"
                results[prop] = PropertyResult(prop, INCOMPLETE, f"incomplete ({why}): no violation within "
                                               f"{unwind} loop iterations")
        elif r != z3.sat:
            results[prop] = PropertyResult(prop, INCOMPLETE, f"z3 answered {r} ({solver.reason_unknown()})")
        qs[prop] = round(time.monotonic() - tq, 2)
        if progress:
            progress(len(results), 0, time.monotonic() - t0)
    decided = all(r.verdict in (HOLDS, VIOLATED) for r in results.values())
    return _result(program, results, t0, decided, None if decided else "undecided", stats, memory_model)


def _result(program, results, t0, complete, limit, stats, memory_model="sc") -> RunResult:
    seconds = time.monotonic() - t0
    stats["cpu_seconds"] = round(time.process_time() - stats.pop("cpu0"), 2)  # this process's: benchmarks
    st = RunStats(states=0, transitions=0, depth=0, seconds=seconds, peak_mb=peak_mb(), complete=complete,
                  limit=limit)
    rr = RunResult(program.path, memory_model, ENGINE_NAME, dict(program.defines), results, st)
    rr.z3_stats = {"seconds": round(seconds, 3), "conflicts": 0, "memory_mb": 0.0, **stats}
    return rr


def lock_order(enc, solver, unwound, unwind, weak: bool = False) -> PropertyResult:
    """The lock graph's cycles (lock_graph: its edges)."""
    try:
        g, paths, graphs, undecided = lock_graph(enc, solver, weak)
    except Unsupported as e:
        return PropertyResult(ir.P_LOCKORDER, V_UNSUPPORTED, f"unsupported: {e}")
    cycles = g.cycles()
    if cycles:
        cyc = cycles[0]
        names = " -> ".join([e.src for e in cyc] + [cyc[0].src])
        pr = PropertyResult(ir.P_LOCKORDER, VIOLATED, f"lock-order cycle {names}", detail=cyc)
        first = (cyc[0].src, cyc[0].dst)
        pr.path = paths[first]
        if first in graphs:  # a weak execution: the first edge's graph and steps for people
            from rmapcheck.report.weak_witness import attach

            attach(pr, *graphs[first])
        return pr
    if undecided:
        return PropertyResult(ir.P_LOCKORDER, INCOMPLETE, "z3 could not decide every lock-graph edge")
    c = unwound()
    if c == "yes":
        return PropertyResult(ir.P_LOCKORDER, HOLDS)
    return PropertyResult(ir.P_LOCKORDER, INCOMPLETE, f"incomplete (unwind {unwind}): no cycle within {unwind} "
                          "loop iterations")


def lock_graph(enc, solver, weak: bool = False) -> tuple:
    """Every lock-graph edge some execution shows (one query per pair of lock names): the
    LockGraph, each edge's path (None for a weak one), each weak edge's (witness, judged
    graph), and whether z3 left an edge undecided. With the clocks (sc) an edge's witness
    replays through the explicit engine; with the weak encoding (weak: any axioms, sc's
    included) it is a judged execution graph (weak_edges.py)."""
    from rmapcheck.properties.lockorder import LockGraph

    g = LockGraph()
    paths: dict = {}
    graphs: dict = {}
    undecided = False
    sites = edge_sites(enc)
    for key, q in lock_edges(enc, sites).items():
        solver.push()
        solver.add(q)
        r = solver.check()
        if r == z3.sat:
            if not weak:
                w = Witness(enc, solver.model(), ir.P_LOCKORDER, key)
                path = w.path()
                w.check_graph()
            else:
                from rmapcheck.engines.z3ev.weak_edges import WeakEdgeWitness

                w = WeakEdgeWitness(enc, solver.model(), key, sites[key])
                path = None
                graphs[key] = (w, w.check_graph())
            g.add(w.edge_witness)
            paths[key] = path
        elif r != z3.unsat:
            undecided = True
        solver.pop()
    return g, paths, graphs, undecided
