"""lock-order under weak memory (engines/z3ev/weak_edges.py): a lock-graph edge is one thread's
program order in a consistent prefix, each judged concretely. Under the sc axioms, through the
weak encoding (not the clocks), the edges and the verdict are the explicit engine's on every
test model that locks; tso and lkmm find every sc edge (they allow every sc execution)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import z3

from rmapcheck.engines.explicit.search import Limits, Search
from rmapcheck.engines.z3ev import weak
from rmapcheck.engines.z3ev.engine import check_events, lock_graph
from rmapcheck.engines.z3ev.unroll import Program
from rmapcheck.engines.z3ev.weak_edges import WeakEdgeWitness
from rmapcheck.errors import InternalError
from rmapcheck.frontend import load_model
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import HOLDS, VIOLATED
from model_runs import model_runs

TESTS = Path(__file__).parent
ALL = [p for d in ("unit", "regress", "atomics", "weak") for p in sorted((TESTS / "models" / d).glob("*.c"))]


def _locks(path: Path) -> bool:
    return any(isinstance(i, (ir.Lock, ir.SrcuSync)) for th in load_model(str(path)).threads for i in th.code)


LOCKING = [p for p in ALL if _locks(p)]


def weak_edges(program, mm: str) -> tuple:
    """The lock graph's edges and the lock-order verdict through the weak encoding under mm."""
    enc = weak.WeakEncoding(Program(program), mm)
    s = z3.Solver(ctx=enc.ctx)
    s.add(*enc.facts)
    g, _, graphs, undecided = lock_graph(enc, s, weak=True)
    assert not undecided
    assert set(graphs) == set(g.edges)  # every edge has its judged graph
    return set(g.edges), VIOLATED if g.cycles() else HOLDS


def explicit_edges(program) -> tuple:
    search = Search(program, Limits())
    res = search.run()
    return set(search.locks.edges), res.results[ir.P_LOCKORDER].verdict


@pytest.mark.parametrize("run", model_runs(LOCKING), ids=str)
def test_lock_graph_under_sc_axioms_is_the_explicit_engines(run):
    """Same edges, same verdict, on every test model that takes a mutex or synchronize_srcu."""
    ex = explicit_edges(load_model(str(run.path), run.config))
    assert weak_edges(load_model(str(run.path), run.config), "sc") == ex


@pytest.mark.parametrize("name", ["lock_order_abba_deadlock.c", "srcu_abba_deadlock.c",
                                  "lock_order_serialized_threads.c"])
def test_weak_models_find_every_sc_edge(name):
    """tso and lkmm allow every sc execution, so every sc edge is theirs (and these cycles)."""
    path = TESTS / "models" / "unit" / name
    sc, verdict = weak_edges(load_model(str(path)), "sc")
    assert verdict == VIOLATED and sc
    for mm in ("tso", "lkmm"):
        edges, v = weak_edges(load_model(str(path)), mm)
        assert sc <= edges and v == VIOLATED, mm


def test_the_differential_has_both_answers():
    got = {explicit_edges(load_model(str(r.path), r.config))[1] for r in model_runs(LOCKING)}
    assert got == {VIOLATED, HOLDS}


def test_a_weak_cycle_is_reported_with_its_graph():
    """verify's result: the cycle, each edge's thread and lines, the first edge's judged graph."""
    res = check_events(load_model(str(TESTS / "models" / "unit" / "srcu_abba_deadlock.c")),
                       memory_model="lkmm").results[ir.P_LOCKORDER]
    assert res.verdict == VIOLATED and res.message == "lock-order cycle kvm.slots_arch_lock -> kvm.srcu -> " \
        "kvm.slots_arch_lock"
    assert [(e.thread, e.how, e.held_as) for e in res.detail] == [
        ("writer", "synchronize_srcu", "lock"), ("vcpu", "mutex_lock", "srcu read section")]
    assert res.execution is not None and res.trace is not None


def _edge(mm: str, key):
    enc = weak.WeakEncoding(Program(load_model(str(TESTS / "models" / "unit" / "lock_order_abba_deadlock.c"))), mm)
    from rmapcheck.engines.z3ev.properties import edge_sites, lock_edges

    sites = edge_sites(enc)
    s = z3.Solver(ctx=enc.ctx)
    s.add(*enc.facts, lock_edges(enc, sites)[key])
    assert s.check() == z3.sat
    return WeakEdgeWitness(enc, s.model(), key, sites[key])


def test_a_witness_whose_graph_does_not_hold_the_lock_is_rejected():
    """The judge finds the held lock again in the thread's own events: the same graph with the
    thread's lock of a turned into an unlock (its LKW a UL) is refused (exit 4, not a verdict)."""
    w = _edge("lkmm", ("a", "b"))
    g = w.check_graph()
    lkw = next(e for e in g.skel.events if e.tid == w.step.tid and "LKW" in e.tags and e.addr == w.key)
    ev = list(g.skel.events)
    ev[lkw.eid] = dataclasses.replace(lkw, tags=frozenset({"UL"}))
    bad = dataclasses.replace(g, skel=dataclasses.replace(g.skel, events=ev))
    w.graph = lambda extra=(): bad
    with pytest.raises(InternalError, match="not holding a"):
        w.check_graph()
