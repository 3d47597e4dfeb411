"""Heap lifetimes under weak memory (engines/z3ev/lifetime.py): use after free and double free
as relations between events, checked against the explicit engine under sc and on small weak
models whose answers follow from the litmus shapes they are made of."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import z3

from rmapcheck.engines.explicit.search import explore
from rmapcheck.engines.z3ev import lifetime, weak
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.engines.z3ev.properties import unwinding
from rmapcheck.engines.z3ev.unroll import Program, Unsupported
from rmapcheck.frontend import load_model
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import HOLDS, UNSUPPORTED as V_UNSUPPORTED, VIOLATED
from model_runs import model_runs

TESTS = Path(__file__).parent
HEAP = (ir.P_UAF, ir.P_DFREE)


def _frees(path: Path) -> bool:
    return any(isinstance(i, ir.Free) for th in load_model(str(path)).threads for i in th.code)


def _allocs(path: Path) -> bool:
    return any(isinstance(i, ir.Alloc) for th in load_model(str(path)).threads for i in th.code)


ALL = [p for d in ("unit", "regress", "atomics", "weak") for p in sorted((TESTS / "models" / d).glob("*.c"))]
MODELS = [p for p in ALL if _frees(p)]
ALLOCATING = [p for p in ALL if _allocs(p)]


def _code(path: Path) -> list:
    return [i for th in load_model(str(path)).threads for i in th.code]


SYNCING = [p for p in ALL if any(isinstance(i, ir.SrcuSync) for i in _code(p))]
WAITING = [p for p in ALL if p in SYNCING or any(isinstance(i, ir.Lock) for i in _code(p))]


def weak_sc(program, prop: str) -> str:
    """The lifetime definition under the sc axioms, through the weak encoding (not the clocks);
    no-deadlock as the engine decides it: lock waits, then the synchronize_srcu hang check."""
    enc = weak.WeakEncoding(Program(program), "sc")
    s = z3.Solver(ctx=enc.ctx)
    s.add(*enc.facts)
    try:
        q = lifetime.query(enc, prop, s)
    except Unsupported:
        return V_UNSUPPORTED
    if q is not None:
        s.push()
        s.add(q)
        r = s.check()
        if r == z3.sat:
            lifetime.witness_of(prop)(enc, s.model(), prop).check_graph()  # the concrete judge
            return VIOLATED
        assert r == z3.unsat
        s.pop()
    if prop == ir.P_DEADLOCK and lifetime.may_hang(enc, s):
        return V_UNSUPPORTED
    u = unwinding(enc)
    assert u is None or s.check(u) == z3.unsat
    return HOLDS


@pytest.mark.parametrize("run", model_runs(MODELS), ids=str)
def test_lifetimes_under_sc_axioms_are_the_explicit_engines(run):
    """Under sc, 'the access is not ordered before the free' (the free may come first in the
    global order) is exactly the explicit engine's use after free, on every unit model that frees."""
    program = load_model(str(run.path), run.config)
    ex = explore(program).results
    for prop in HEAP:
        assert weak_sc(load_model(str(run.path), run.config), prop) == ex[prop].verdict, prop


@pytest.mark.parametrize("run", model_runs(ALLOCATING), ids=str)
def test_final_memory_leaks_under_sc_axioms_are_the_explicit_engines(run):
    """no-leak under a weak model reads the final memory of complete executions (co-last values);
    under sc, through the weak encoding, that is the explicit engine's verdict on every test model
    that allocates (a leak is permanent, so a leak in some state is one at the end, when the
    execution can end)."""
    program = load_model(str(run.path), run.config)
    assert weak_sc(load_model(str(run.path), run.config), ir.P_LEAK) == explore(program).results[ir.P_LEAK].verdict


@pytest.mark.parametrize("run", model_runs(WAITING), ids=str)
def test_deadlocks_under_sc_axioms_are_the_explicit_engines(run):
    """no-deadlock under a weak model: a prefix where every thread has ended or waits for a lock
    whose word's co-last write is a lock, then lifetime.srcu_hang (can an execution end waiting
    in synchronize_srcu for good?); under sc, through the weak encoding, the explicit engine's
    verdict on every test model that locks or calls synchronize_srcu, or `unsupported` where
    the hang check cannot rule out a wait in synchronize_srcu (never a wrong holds)."""
    program = load_model(str(run.path), run.config)
    got = weak_sc(load_model(str(run.path), run.config), ir.P_DEADLOCK)
    want = explore(program).results[ir.P_DEADLOCK].verdict
    assert got == want or (got == V_UNSUPPORTED and run.path in SYNCING), (got, want)


@pytest.mark.parametrize("run", model_runs(WAITING), ids=str)
def test_every_sc_deadlock_is_a_tso_and_an_lkmm_one(run):
    """sc within tso within lkmm: a deadlock the explicit engine finds under sc is no `holds`
    under tso, and a tso one none under lkmm (unsupported is no claim)."""
    verdicts = {"sc": explore(load_model(str(run.path), run.config)).results[ir.P_DEADLOCK].verdict}
    for mm in ("tso", "lkmm"):
        verdicts[mm] = check_events(load_model(str(run.path), run.config), memory_model=mm).results[
            ir.P_DEADLOCK].verdict
    for strong, weak_ in (("sc", "tso"), ("tso", "lkmm")):
        assert not (verdicts[strong] == VIOLATED and verdicts[weak_] == HOLDS), verdicts


@pytest.mark.parametrize("defines,weak_verdict", [({}, VIOLATED), ({"FENCE": 1}, HOLDS)])
def test_a_lock_taken_by_both_sides_of_a_dekker_handshake(defines, weak_verdict):
    """lock_dekker.c is SB deciding who takes a lock for good: under tso and lkmm both may take
    it, and the second waits forever; smp_mb() forbids it. A model whose synchronize_srcu may
    wait for good leaves no-deadlock unsupported under a weak model (srcu_abba_deadlock.c), never
    holds."""
    for mm in ("tso", "lkmm"):
        res = results("lock_dekker.c", mm, defines)[ir.P_DEADLOCK]
        assert res.verdict == weak_verdict, mm
        if weak_verdict == VIOLATED:
            assert res.message.startswith("deadlock: ") and "waits at mutex_lock(&owner);" in res.message
            assert res.execution is not None
        srcu = check_events(load_model(str(TESTS / "models" / "unit" / "srcu_abba_deadlock.c"), {}),
                            memory_model=mm).results[ir.P_DEADLOCK]
        assert srcu.verdict == "unsupported" and "synchronize_srcu" in srcu.message


@pytest.mark.parametrize("defines,weak_verdict", [({}, VIOLATED), ({"UNLOCK": 1}, HOLDS)])
def test_a_deadlock_of_lock_waits_in_a_model_with_synchronize_srcu(defines, weak_verdict):
    """lock_leak_sync.c: a thread ends holding the lock it kept across synchronize_srcu; the
    other waits for it. Every waiting thread waits at a lock, so the deadlock is decided under
    tso and lkmm; with the unlock no such deadlock exists, and no thread is ever inside an srcu
    read section, so no wait in synchronize_srcu can be for good (lifetime.srcu_hang
    unsatisfiable): `holds` (sc: the explicit engine's verdicts, in its @expect)."""
    for mm in ("tso", "lkmm"):
        res = results("lock_leak_sync.c", mm, defines)[ir.P_DEADLOCK]
        assert res.verdict == weak_verdict, mm
        if weak_verdict == VIOLATED:
            assert res.message == "deadlock: second waits at mutex_lock(&m); (line 33); every other thread has ended"


@pytest.mark.parametrize("defines,weak_verdict", [({}, V_UNSUPPORTED), ({"FIX": 1}, HOLDS)])
def test_a_reader_that_returns_inside_its_section(defines, weak_verdict):
    """srcu_early_return.c: reader may end inside its srcu read section, so updater's
    synchronize_srcu may wait for good (sc: a deadlock). Under tso and lkmm that wait is the
    hang srcu_hang finds through the reader's lock-leak site: `unsupported`, never `holds`, and
    the lock leak itself violated; with the fix no section outlives its thread: `holds`."""
    want = {V_UNSUPPORTED: VIOLATED, HOLDS: HOLDS}[weak_verdict]
    assert explore(load_model(str(WEAK / "srcu_early_return.c"), defines)).results[ir.P_DEADLOCK].verdict == want
    for mm in ("tso", "lkmm"):
        res = results("srcu_early_return.c", mm, defines)
        assert res[ir.P_DEADLOCK].verdict == weak_verdict, mm
        assert res[ir.P_LOCKLEAK].verdict == want, mm
        if weak_verdict == V_UNSUPPORTED:
            assert "waiting in synchronize_srcu" in res[ir.P_DEADLOCK].message


def test_the_differential_has_both_answers():
    runs = model_runs(MODELS)
    got = {(p, explore(load_model(str(r.path), r.config)).results[p].verdict) for r in runs for p in HEAP}
    assert {(ir.P_UAF, VIOLATED), (ir.P_UAF, HOLDS), (ir.P_DFREE, VIOLATED), (ir.P_DFREE, HOLDS)} <= got
    for prop, paths in ((ir.P_LEAK, ALLOCATING), (ir.P_DEADLOCK, WAITING)):
        got = {explore(load_model(str(r.path), r.config)).results[prop].verdict for r in model_runs(paths)}
        assert got == {VIOLATED, HOLDS}, prop
    # with synchronize_srcu: explicit deadlocks and none, weak answers `holds` and `unsupported`
    got = {(explore(load_model(str(r.path), r.config)).results[ir.P_DEADLOCK].verdict,
            weak_sc(load_model(str(r.path), r.config), ir.P_DEADLOCK)) for r in model_runs(SYNCING)}
    assert {(VIOLATED, V_UNSUPPORTED), (HOLDS, HOLDS), (VIOLATED, VIOLATED)} <= got, got


WEAK = TESTS / "models" / "weak"


def results(name: str, mm: str, defines=None) -> dict:
    return check_events(load_model(str(WEAK / name), defines or {}), memory_model=mm).results


# free_handoff.c is MP with the data a plain write and the flag the pointer kfree takes (an
# address dependency): LKMM bounds the plain write before the free only through a release.
@pytest.mark.parametrize("defines,lkmm", [({}, VIOLATED), ({"RELEASE": 1}, HOLDS)])
def test_handing_an_object_to_its_freer(defines, lkmm):
    res = results("free_handoff.c", "lkmm", defines)
    assert res[ir.P_UAF].verdict == lkmm
    if lkmm == VIOLATED:
        assert "p->val" in res[ir.P_UAF].message and "races with" in res[ir.P_UAF].message
        assert res[ir.P_UAF].execution is not None  # the judged graph, for the reports
    assert res[ir.P_DFREE].verdict == HOLDS
    for k in HEAP:
        assert results("free_handoff.c", "tso", defines)[k].verdict == HOLDS, k


# free_dekker.c is SB: x86-TSO and LKMM let both loads pass their thread's store; smp_mb() forbids it.
@pytest.mark.parametrize("defines,weak_verdict", [({}, VIOLATED), ({"FENCE": 1}, HOLDS)])
def test_two_threads_that_free_unless_the_other_did(defines, weak_verdict):
    for mm in ("tso", "lkmm"):
        res = results("free_dekker.c", mm, defines)
        assert res[ir.P_DFREE].verdict == weak_verdict, mm
        assert res[ir.P_UAF].verdict == HOLDS, mm
        if weak_verdict == VIOLATED:
            assert "kfree(p)" in res[ir.P_DFREE].message and "kfree(q)" in res[ir.P_DFREE].message


def _witness(path: Path, mm: str, prop: str):
    """The witness z3 gives for prop under mm (a violation must exist), its graph judged."""
    enc = weak.WeakEncoding(Program(load_model(str(path), {})), mm)
    s = z3.Solver(ctx=enc.ctx)
    s.add(*enc.facts)
    s.add(lifetime.query(enc, prop, s))
    assert s.check() == z3.sat
    w = lifetime.witness_of(prop)(enc, s.model(), prop)
    return w, w.check_graph()


def _uaf_witness(mm: str, name: str = "free_handoff.c"):
    _, g = _witness(WEAK / name, mm, ir.P_UAF)
    ev = g.events
    a = next(e for e in ev if e.kind == "W" and "plain" in e.tags and "free" not in e.tags)
    f = next(e for e in ev if "free" in e.tags)
    return g, a, f


def test_the_concrete_side_orders_what_the_models_order():
    """The use-after-free pair of the lkmm witness, judged concretely: unordered under lkmm; under
    sc the same graph orders the write before the free (po ; rf ; po), and so does lkmm once the
    hand-off is a release. A witness whose pair is ordered is refused (exit 4, not a verdict)."""
    g, a, f = _uaf_witness("lkmm")
    assert lifetime.unordered("lkmm", g, a, f)
    assert not lifetime.unordered("sc", g, a, f)
    assert not lifetime.unordered("tso", g, a, f)
    ev = list(g.skel.events)
    hand = next(e for e in ev if e.kind == "W" and "once" in e.tags)
    ev[hand.eid] = dataclasses.replace(hand, tags=frozenset({"release"}))
    released = dataclasses.replace(g, skel=dataclasses.replace(g.skel, events=ev))
    assert not lifetime.unordered("lkmm", released, a, f)


@pytest.mark.parametrize("mm", ["tso", "lkmm"])
def test_a_weak_leak_is_found_again_in_the_judges_final_memory(mm):
    """leak_unlinked_chain.c under tso/lkmm: the witness ends every thread with b unreachable in
    the final memory (graph.final_values, the co-last writes); the same graph with cut's store of
    NULL into a->next undone (the final a->next pointing to b again) has no leak, and the
    witness's concrete check refuses it."""
    w, g = _witness(TESTS / "models" / "unit" / "leak_unlinked_chain.c", mm, ir.P_LEAK)
    assert w.find_leaks(g) and "unreachable in the final memory" in w.message
    ev = list(g.skel.events)
    cut = next(e for e in ev if e.kind == "W" and e.value == 0 and e.tid >= 0 and e.addr[0] >= 0)
    b = next(e.value for e in ev if e.kind == "W" and e.addr == cut.addr and e.eid != cut.eid)
    ev[cut.eid] = dataclasses.replace(cut, value=b)
    undone = dataclasses.replace(g, skel=dataclasses.replace(g.skel, events=ev))
    assert w.find_leaks(undone) == []


@pytest.mark.parametrize("defines,leak", [({}, VIOLATED), ({"USE_AFTER": 1}, HOLDS)])
def test_a_leak_in_an_execution_that_ends_in_a_deadlock(defines, leak):
    """leak_in_deadlock.c: no execution completes (owner waits for good on its own lock), but
    the object is unreachable once both threads stop. The weak no-leak read only complete
    executions and said holds (found by the generated programs' z3 differential, seed 109); its
    final memory is now also that of an execution ending in a deadlock, with the waiting
    thread's live pointer locals as roots (USE_AFTER=1 keeps the object)."""
    for mm in ("tso", "lkmm"):
        res = results("leak_in_deadlock.c", mm, defines)
        assert res[ir.P_LEAK].verdict == leak, mm
        assert res[ir.P_DEADLOCK].verdict == VIOLATED, mm
        if leak == VIOLATED:
            assert res[ir.P_LEAK].execution is not None  # judged, and the leak found again in it
