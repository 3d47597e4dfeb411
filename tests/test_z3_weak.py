"""The event engine under weak memory (engines/z3ev/weak.py): tso and lkmm verdicts on small
models whose answers are known from the litmus tests they are made of (MP: message passing),
the sc-within-lkmm differential, and weak witnesses the concrete judge must reject."""

from __future__ import annotations

import dataclasses
import os

import pytest
import z3

from rmapcheck.engines.z3ev import weak
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.engines.z3ev.properties import violation
from rmapcheck.engines.z3ev.unroll import Program
from rmapcheck.errors import InternalError
from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import HOLDS, UNSUPPORTED, VIOLATED

HERE = os.path.dirname(__file__)
MP = os.path.join(HERE, "models", "weak", "mp_relaxed.c")
UNIT = os.path.join(HERE, "models", "unit")


def verdict(path, mm, defines=None, prop="data-published"):
    return check_events(load_model(path, defines or {}), memory_model=mm).results[prop].verdict


# MP+poonceonces is Sometimes under LKMM, MP+pooncerelease+poonceonce and MP+poonceonce+poacquireonce
# too; MP+pooncerelease+poacquireonce is Never (tools/memory-model/litmus-tests); x86-TSO keeps
# store-store and load-load order, so every MP shape is forbidden there.
@pytest.mark.parametrize("defines,lkmm", [({}, VIOLATED), ({"RELEASE": 1}, VIOLATED), ({"ACQUIRE": 1}, VIOLATED),
                                          ({"RELEASE": 1, "ACQUIRE": 1}, HOLDS)])
def test_message_passing(defines, lkmm):
    assert verdict(MP, "lkmm", defines) == lkmm
    assert verdict(MP, "tso", defines) == HOLDS
    assert verdict(MP, "sc", defines) == HOLDS


def test_weak_leaves_what_it_cannot_decide_unsupported():
    inv = check_events(load_model(os.path.join(UNIT, "invariant_flag_before_alloc.c"), {}), memory_model="lkmm")
    assert inv.results["rmaps-invariant"].verdict == UNSUPPORTED  # an @invariant: a global state
    res = check_events(load_model(MP, {}), memory_model="lkmm").results
    for prop in ("no-use-after-free", "no-double-free", "no-leak", "no-deadlock",  # test_z3_weak_lifetimes.py
                 "lock-order"):  # test_z3_weak_lockorder.py
        assert res[prop].verdict == HOLDS, prop


@pytest.mark.parametrize("name", ["assert_lost_increment.c", "srcu_grace_period.c", "bad_unlock_not_held.c",
                                  "null_deref_unchecked_alloc.c"])
def test_every_sc_violation_is_an_lkmm_and_tso_violation(name):
    """lkmm and tso allow every sc execution: what sc violates, they violate."""
    p = load_model(os.path.join(UNIT, name), {})
    sc = check_events(p, memory_model="sc").results
    bad = [k for k, r in sc.items() if r.verdict == VIOLATED]
    assert bad
    for mm in ("tso", "lkmm"):
        res = check_events(load_model(os.path.join(UNIT, name), {}), memory_model=mm).results
        for k in bad:
            if k in weak.unsupported(p):
                continue
            assert res[k].verdict == VIOLATED, (mm, k)


def _witness_graph():
    prog = Program(load_model(MP, {}))
    enc = weak.WeakEncoding(prog, "lkmm")
    s = z3.Solver(ctx=prog.ctx)
    s.add(*enc.facts)
    s.add(violation(enc, "data-published"))
    assert s.check() == z3.sat
    w = weak.WeakWitness(enc, s.model(), "data-published")
    return w.check_graph()


def _replace(g, **events):
    evs = list(g.skel.events)
    for eid, ev in events.items():
        evs[int(eid)] = ev
    return dataclasses.replace(g, skel=dataclasses.replace(g.skel, events=evs))


def test_a_weak_witness_passes_the_concrete_judge():
    g = _witness_graph()
    weak.check_weak_graph("lkmm", g)
    with pytest.raises(InternalError):  # MP's outcome: forbidden by x86-TSO
        weak.check_weak_graph("tso", g)


def test_corrupted_weak_witnesses_are_rejected():
    g = _witness_graph()
    ev = g.skel.events
    flag_w = next(e for e in ev if e.kind == "W" and "flag" in e.label)
    flag_r = next(e for e in ev if e.kind == "R" and "flag" in e.label)
    data_r = next(e for e in ev if e.kind == "R" and "data" in e.label)
    data_w = next(e for e in ev if e.kind == "W" and "data" in e.label)
    # the flag made a release/acquire pair: the same execution is a happens-before cycle
    paired = _replace(g, **{str(flag_w.eid): dataclasses.replace(flag_w, tags=frozenset({"release"})),
                            str(flag_r.eid): dataclasses.replace(flag_r, tags=frozenset({"acquire"}))})
    with pytest.raises(InternalError, match="not allowed by lkmm"):
        weak.check_weak_graph("lkmm", paired)
    # the data read made to read the writer's store while returning the initial value
    rf = [(data_w.eid, r) if r == data_r.eid else (w, r) for w, r in g.rf]
    with pytest.raises(InternalError, match="not an execution graph"):
        weak.check_weak_graph("lkmm", dataclasses.replace(g, rf=rf))
    # co reversed: the writer's store before the initial write
    co = [(b, a) for a, b in g.co]
    with pytest.raises(InternalError):
        weak.check_weak_graph("lkmm", dataclasses.replace(g, co=co))


CHAIN = os.path.join(HERE, "models", "weak", "publish_chain.c")


def test_a_plain_pointer_load_between_the_marked_load_and_the_field_is_a_data_race_under_lkmm():
    """Model 10's rmaps-present under lkmm, in miniature (docs/memory-model.md): a field read
    through a plain pointer load of a published table may be stale under LKMM, in an execution
    LKMM flags as a data race, and the message says so; a READ_ONCE of the pointer bounds the
    read (holds). sc and tso keep the order either way."""
    res = check_events(load_model(CHAIN, {}), memory_model="lkmm").results["item-published"]
    assert res.verdict == VIOLATED
    assert "LKMM data race" in res.message and "it->val" in res.message
    assert verdict(CHAIN, "lkmm", {"MARKED": 1}, "item-published") == HOLDS
    for mm in ("sc", "tso"):
        for d in ({}, {"MARKED": 1}):
            assert verdict(CHAIN, mm, d, "item-published") == HOLDS, (mm, d)


def test_a_race_free_weak_witness_says_nothing_of_races():
    """MP with a relaxed flag but marked data: LKMM allows the stale read without a race."""
    res = check_events(load_model(MP, {}), memory_model="lkmm").results["data-published"]
    assert res.verdict == VIOLATED and "data race" not in res.message


def test_a_section_a_prefix_leaves_open_did_not_end_before_a_completed_grace_period():
    """updater saw started == 1 (written inside reader's section) before synchronize_srcu, so
    the grace period waits for the section and x == 1 after it, under every memory model that
    has LKMM's rcu guarantee. The event engine's prefix once stopped reader inside its section
    (before its store of x) while the grace period completed, a witness no complete execution
    has: the virtual unlock of an open section must come after every grace period the prefix
    completes (axioms/gp.py, lkmm.py)."""
    path = os.path.join(UNIT, "srcu_section_ended_before_gp.c")
    for mm in ("lkmm", "tso"):
        res = check_events(load_model(path, {}), memory_model=mm).results
        assert res["seen"].verdict == HOLDS, (mm, res["seen"].message)


@pytest.mark.parametrize("defines,past", [({}, HOLDS), ({"SECTION_ENDED": 1}, VIOLATED)])
def test_a_grace_period_inside_its_own_read_section_never_ends(defines, past):
    """reader calls synchronize_srcu inside its own srcu section on the same domain: the grace
    period waits for that section, so the assertion after it is never reached (sc: a deadlock).
    tso let the grace period complete (axioms/gp.py paired a section only with other threads'
    grace periods), a wrong `violated` found by the generated programs' z3 differential."""
    path = os.path.join(HERE, "models", "weak", "srcu_self_wait.c")
    for mm in ("sc", "tso", "lkmm"):
        assert verdict(path, mm, defines, "past-gp") == past, mm
