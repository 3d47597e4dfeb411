"""The event engine (z3, --mode events) against the explicit engine, the independent check.

Every verdict the event engine decides (holds or violated) must equal the explicit engine's;
every violation it reports has already passed the witness checks (the axioms' judge of its
execution graph, the explicit engine's replay), or the run raised InternalError. The unit
models are decided in full but for the properties the engine does not encode yet.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rmapcheck.axioms import judge
from rmapcheck.axioms.graph import ExecutionGraph, Skeleton
from rmapcheck.engines.explicit.search import explore
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.engines.z3ev.execution import Encoding
from rmapcheck.engines.z3ev.properties import UNSUPPORTED, violation
from rmapcheck.engines.z3ev.unroll import Program
from rmapcheck.engines.z3ev.witness import Witness
from rmapcheck.errors import InternalError
from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import HOLDS, INCOMPLETE, UNSUPPORTED as V_UNSUPPORTED, VIOLATED
from model_runs import model_runs

TESTS = Path(__file__).parent
UNIT = sorted((TESTS / "models" / "unit").glob("*.c")) + sorted((TESTS / "models" / "atomics").glob("*.c")) + \
    sorted((TESTS / "models" / "regress").glob("*.c")) + \
    sorted(p for p in (TESTS / "models").glob("*.c") if p.name != "z3_wide_nondet.c")
# a loop of more iterations than the default unwinding: every property not violated is incomplete
NEEDS_UNWIND = {"long_local_loop.c"}
DECIDED = (HOLDS, VIOLATED)


@pytest.mark.parametrize("run", model_runs(UNIT), ids=str)  # every @config too: a fixed variant is one
def test_unit_models_agree_with_explicit(run):
    path = run.path
    program = load_model(str(path), run.config)
    ex = explore(program)
    z = check_events(program)
    for name, e in ex.results.items():
        r = z.results[name]
        if name in UNSUPPORTED:
            assert r.verdict == V_UNSUPPORTED, (name, r.verdict)
            continue
        if path.name in NEEDS_UNWIND and r.verdict != VIOLATED:
            assert r.verdict == INCOMPLETE and "unwind" in r.message, (name, r.verdict)
            continue
        assert r.verdict in DECIDED, (name, r.verdict, r.message)
        assert r.verdict == e.verdict, (name, r.verdict, e.verdict, r.message)
        if r.verdict == VIOLATED:
            assert r.path is not None and r.message


def test_beyond_explicit_enumeration_decided():
    """A million totals for the explicit engine; the event engine keeps the values symbolic and
    proves the model's expected verdicts (@expect sc * holds) outright."""
    program = load_model(str(TESTS / "models/z3_wide_nondet.c"), {})
    z = check_events(program)
    for name, r in z.results.items():
        assert r.verdict == (V_UNSUPPORTED if name in UNSUPPORTED else HOLDS), (name, r.verdict, r.message)


def _witness(path: str, prop: str) -> Witness:
    import z3

    prog = Program(load_model(path, {}))
    enc = Encoding(prog)
    s = z3.Solver(ctx=prog.ctx)
    s.add(*enc.facts)
    s.add(violation(enc, prop))
    assert s.check() == z3.sat
    return Witness(enc, s.model(), prop)


def test_witness_graph_is_sc_and_corrupted_graphs_are_rejected():
    w = _witness(str(TESTS / "models/unit/assert_lost_increment.c"), "assertions")
    g = w.graph()
    assert judge("sc", g, races=False).consistent
    w.check_graph()
    # a read made to read from its own thread's later write to the cell (the value adjusted, so
    # the graph stays well formed): po;rf is a cycle, which sequential consistency forbids
    po = g.skel.po_rel
    corrupted = 0
    for k, (wr, r) in enumerate(g.rf):
        later = [e.eid for e in g.events if e.kind == "W" and e.tid == g.events[r].tid
                 and e.addr == g.events[r].addr and po.rows[r] >> e.eid & 1]
        if not later:
            continue
        rf = list(g.rf)
        rf[k] = (later[0], r)
        ev = [replace(e, value=g.events[later[0]].value) if e.eid == r else e for e in g.events]
        bad = ExecutionGraph(Skeleton(ev, g.skel.po, rmw=g.skel.rmw), rf, g.co)
        assert not bad.problems()
        assert not judge("sc", bad, races=False).consistent
        corrupted += 1
    assert corrupted
    # a read given a value no write wrote is not even an execution graph
    wr, r = g.rf[0]
    ev = [replace(e, value=12345) if e.eid == r else e for e in g.events]
    bad = ExecutionGraph(Skeleton(ev, g.skel.po, rmw=g.skel.rmw), g.rf, g.co)
    assert bad.problems()


def test_witness_that_does_not_replay_is_an_internal_error():
    w = _witness(str(TESTS / "models/unit/null_deref_unchecked_alloc.c"), "no-null-deref")
    w.prop = "assertions"  # the replay reaches the null dereference, not an assertion failure
    with pytest.raises(InternalError):
        w.path()


def test_unwinding_bound_too_small_is_incomplete_never_holds():
    program = load_model(str(TESTS / "models/unit/break_inner_loop.c"), {"FIX": 1})
    z = check_events(program, unwind=1)
    verdicts = {r.verdict for r in z.results.values()}
    assert HOLDS not in verdicts
    assert INCOMPLETE in verdicts
    assert any("unwind 1" in r.message for r in z.results.values())
    full = check_events(program)
    assert all(r.verdict in DECIDED + (V_UNSUPPORTED,) for r in full.results.values())


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], capture_output=True, text=True, timeout=300)


def test_cli_events_mode_reports_and_exit_codes():
    r = _cli("check", "--engine", "z3", "--mode", "events", str(TESTS / "models/unit/uaf_free_without_grace_period.c"))
    assert r.returncode == 1, r.stderr
    assert "no-use-after-free  violated" in r.stdout
    assert "no-leak            holds" in r.stdout
    assert "CPU0" in r.stdout or "1  writer" in r.stdout
    r = _cli("check", "--engine", "both", "--mode", "events", "-D", "FIX=1",
             str(TESTS / "models/unit/oob_off_by_one.c"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "engines agree" in r.stdout
    r = _cli("check", "--unwind", "3", str(TESTS / "models/unit/oob_off_by_one.c"))
    assert r.returncode == 2 and "--unwind" in r.stderr


def test_same_model_same_witness_whatever_ran_before():
    path = str(TESTS / "models/unit/uaf_free_without_grace_period.c")
    first = check_events(load_model(path, {}))
    check_events(load_model(str(TESTS / "models/unit/lost_update_array_copy.c"), {}))
    again = check_events(load_model(path, {}))
    for name, r in first.results.items():
        assert again.results[name].verdict == r.verdict
        if r.path is not None:
            assert (r.path.init, r.path.labels) == (again.results[name].path.init, again.results[name].path.labels)


# The leak regression models: (model, the step of the path that makes the leak, its line).
LEAKS = [
    ("unit/leak_dead_local.c", "t", 15),  # the allocation itself: p is dead after it
    ("regress/leak_last_step_ra.c", "t", 18),  # the last step drops the only reference
    ("unit/leak_unlinked_chain.c", "cut", 17),  # through a heap cell, another thread's step
    ("unit/leak_freed_parent.c", "t", 19),  # a freed object's cells point nowhere
    ("unit/leak_overwrite_no_recheck.c", "vcpu", 28),
]


@pytest.mark.parametrize("name,thread,line", LEAKS, ids=[x[0] for x in LEAKS])
def test_leak_witness_replays_to_the_step_that_makes_it(name, thread, line):
    """The z3 witness of no-leak, replayed by the explicit executor on its own: its last step
    (and no earlier one) reports the leak, at the step the explicit engine reports it."""
    from rmapcheck.engines.explicit.executor import Executor
    from rmapcheck.engines.explicit.memory import SCMemory
    from rmapcheck.engines.explicit.replay import walk

    program = load_model(str(TESTS / "models" / name), {})
    r = check_events(replace(program, properties=["no-leak"])).results["no-leak"]
    assert r.verdict == VIOLATED and r.path.kind == "step"
    ex = Executor(program, SCMemory(program))
    state = ex.initial_state() if r.path.init == -1 else ex.initial_states()[r.path.init][0]
    outs = [out for _, _, out in walk(ex, state, r.path.labels, r.path.init == -1)]
    leaks = [k for k, out in enumerate(outs) if any(e.prop == "no-leak" for e in out.events)]
    assert leaks == [len(outs) - 1]
    tid = r.path.labels[-1][0]
    before = outs[-2].state if len(outs) > 1 else state
    assert ex.threads[tid].name.split(".")[0] == thread
    assert ex.code_of(tid)[before[2][tid][0]].loc.line == line
    assert r.message.endswith("is no longer reachable")


def test_leak_witness_without_a_leak_is_an_internal_error():
    """A model of the encoding's facts alone (no leak asked for) is no leak witness: the
    replay through the explicit executor finds none and says so."""
    import z3

    prog = Program(load_model(str(TESTS / "models/unit/leak_overwrite_no_recheck.c"), {"FIX": 1}))
    enc = Encoding(prog)
    s = z3.Solver(ctx=prog.ctx)
    s.add(*enc.facts)
    s.add(enc.T >= 6)
    assert s.check() == z3.sat
    w = Witness(enc, s.model(), "no-leak")
    with pytest.raises(InternalError, match="without violating it"):
        w.path()
