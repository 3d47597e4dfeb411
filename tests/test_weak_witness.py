"""Weak witnesses for people (report/weak_witness.py): the execution graph in DOT, checked
edge by edge against the graph the concrete judge accepted, and the CLI that writes it."""

from __future__ import annotations

import json
import os
import re

import pytest

from cli_inprocess import run_cli
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import VIOLATED
from rmapcheck.report.weak_witness import weak_dot
from test_reports import dot_accepts

HERE = os.path.dirname(__file__)
MP = os.path.join(HERE, "models", "weak", "mp_relaxed.c")
SB = os.path.join(HERE, "models", "weak", "sb_relaxed.c")
LB = os.path.join(HERE, "models", "weak", "lb_relaxed.c")
SRCU = os.path.join(HERE, "models", "unit", "srcu_grace_period.c")

_NODE = re.compile(r'^\s+e(\d+) \[label="([a-z]+): (.*?)"(.*)\];$')
_EDGE = re.compile(r"^\s+e(\d+) -> e(\d+) \[label=(\w+)")


def parse_dot(text: str) -> tuple[dict, dict]:
    """A DOT graph as this tool writes it: {eid: label}, {relation: {(a, b)}}."""
    assert text.startswith("digraph ") and text.rstrip().endswith("}")
    nodes, edges = {}, {}
    for line in text.splitlines():
        m = _NODE.match(line)
        if m:
            nodes[int(m.group(1))] = m.group(3)
            continue
        m = _EDGE.match(line)
        if m:
            edges.setdefault(m.group(3), set()).add((int(m.group(1)), int(m.group(2))))
    return nodes, edges


def weak_result(path, mm, prop, defines=None):
    res = check_events(load_model(path, defines or {}), memory_model=mm)
    r = res.results[prop]
    assert r.verdict == VIOLATED and r.execution is not None
    return r


def closure_pairs(pairs: set) -> set:
    out = set(pairs)
    while True:
        more = {(a, d) for a, b in out for c, d in out if b == c} - out
        if not more:
            return out
        out |= more


@pytest.mark.parametrize("path,mm,prop", [(MP, "lkmm", "data-published"), (SB, "tso", "one-sees-the-other"),
                                          (SRCU, "lkmm", "gp-ignores-later-readers"),
                                          (os.path.join(HERE, "models", "unit", "assert_locked_increment.c"), "lkmm",
                                           "assertions")])
def test_weak_dot_draws_the_judged_graph(path, mm, prop):
    """Every po, rf, co and fr edge of the DOT is the graph's, and the graph's are all drawn:
    po and co as each thread's and each cell's chain, fr as a read to the first write co-after
    the one it read (with co, every fr pair)."""
    wx = weak_result(path, mm, prop).execution
    g = wx.graph
    text = weak_dot(wx)
    nodes, edges = parse_dot(text)
    assert set(nodes) == {e.eid for e in g.events}
    assert edges["po"] == set(g.skel.po)
    assert edges["rf"] == set(g.rf)
    assert edges["co"] == set(g.co)
    fr = set(g.fr_rel.pairs())
    assert edges.get("fr", set()) <= fr
    co_star = closure_pairs(set(g.co))
    assert {(r, w2) for r, w in edges.get("fr", set()) for w1, w2 in co_star | {(w, w)} if w1 == w} == fr
    for rel in ("addr", "data", "ctrl"):
        assert edges.get(rel, set()) == set(getattr(g.skel, rel)), rel
    base = os.path.basename(path)
    cells = {e.cell for e in wx.events if e.kind == "IW"}
    assert {e.cell for e in wx.events if e.kind in ("R", "W")} <= cells  # one name per cell, locks included
    for e in wx.events:  # each event: its kind, the model's cell name, its value and file:line
        label = nodes[e.eid]
        assert label.startswith("W" if e.kind == "IW" else e.kind), label
        if e.kind != "F":
            assert f" {e.cell}={e.value}" in label, label
            assert not e.cell.startswith("("), label  # a name, not an address
        if e.line:
            assert f"({base}:{e.line})" in label
    assert "penwidth=2" in text  # the failing step's events
    dot_accepts(text)


def test_mp_graph_names_cells_values_and_lines():
    wx = weak_result(MP, "lkmm", "data-published").execution
    nodes, edges = parse_dot(weak_dot(wx))
    labels = sorted(nodes.values())
    assert "R[once] data=0  (mp_relaxed.c:32)" in labels
    assert "R[once] flag=1  (mp_relaxed.c:29)" in labels
    assert "W[once] flag=1  (mp_relaxed.c:20)" in labels
    by = {v: k for k, v in nodes.items()}
    rdata, wdata = by["R[once] data=0  (mp_relaxed.c:32)"], by["W[once] data=1  (mp_relaxed.c:16)"]
    assert (rdata, wdata) in edges["fr"]  # the non-sc edge: the read is coherence-before the write


def test_check_writes_a_weak_graph(tmp_path):
    """check --trace-format dot: the graph on stdout (one violation) or in --dot-dir, never
    overwriting a file; byte for byte the same on a second run."""
    args = ["check", "--engine", "z3", "--memory-model", "lkmm", MP, "--trace-format", "dot"]
    r1, r2 = run_cli(*args), run_cli(*args)
    assert r1.returncode == 1, r1.stderr
    assert r1.stdout == r2.stdout and r1.stdout.count("digraph") == 1
    assert "data-published violated under lkmm" in r1.stdout
    out = tmp_path / "g"
    r = run_cli(*args, "--dot-dir", out)
    assert r.returncode == 1 and (out / "data-published.dot").read_text() == r1.stdout
    r = run_cli(*args, "--dot-dir", out)
    assert r.returncode == 2 and "refusing to overwrite" in r.stderr
    r = run_cli("check", "--engine", "z3", "--memory-model", "lkmm", MP, "--trace-format", "json")
    assert r.returncode == 2 and "execution graph" in r.stderr


def test_check_json_holds_the_weak_graph():
    r = run_cli("check", "--engine", "z3", "--memory-model", "lkmm", MP, "--format", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    prop = next(p for p in doc["properties"] if p["name"] == "data-published")
    ex = prop["execution"]
    ev = {e["id"]: e for e in ex["events"]}
    rdata = next(e for e in ex["events"] if e["kind"] == "R" and e["cell"] == "data")
    src = next(w for w, rd in ex["rf"] if rd == rdata["id"])
    assert ev[src]["kind"] == "IW" and rdata["value"] == "0" and rdata["line"] == 32
    assert [rdata["id"], next(e["id"] for e in ex["events"] if e["kind"] == "W" and e["cell"] == "data")] in ex["fr"]


# SB+poonceonces is Sometimes under LKMM and allowed by x86-TSO (the store buffer);
# SB+fencembonceonces is Never under both (tools/memory-model/litmus-tests; x86 mfence).
@pytest.mark.parametrize("fence,weak", [(0, VIOLATED), (1, "holds")])
def test_store_buffering_model(fence, weak):
    from rmapcheck.runner import check_program

    prop = "one-sees-the-other"
    for mm, want in (("sc", "holds"), ("tso", weak), ("lkmm", weak)):
        res = check_events(load_model(SB, {"FENCE": fence}), memory_model=mm)
        assert res.results[prop].verdict == want, mm
    assert check_program(load_model(SB, {"FENCE": fence}), "sc").results[prop].verdict == "holds"


# -- the step list and race diagram of a weak witness ----------------------------------------

UNIT = os.path.join(HERE, "models", "unit")
WEAK_CASES = [(MP, "lkmm", "data-published", {}), (SB, "tso", "one-sees-the-other", {}),
              (LB, "lkmm", "no-load-buffering", {}),
              (SB, "lkmm", "one-sees-the-other", {}), (SRCU, "lkmm", "gp-ignores-later-readers", {}),
              (os.path.join(UNIT, "assert_lost_increment.c"), "lkmm", "assertions", {}),
              (os.path.join(UNIT, "null_deref_unchecked_alloc.c"), "tso", "no-null-deref", {}),
              (os.path.join(UNIT, "assert_locked_increment.c"), "lkmm", "assertions", {}),
              (os.path.join(HERE, "models", "atomics", "after_spinlock.c"), "lkmm", "not-both-missed", {"NEAR_MISS": 1})]


def replay_in_order(wx, order):
    """An sc memory walked in the trace's order, independent of weak_witness's reasoning:
    (reads whose value is not the latest write before them in that order, reads placed
    before the write they read from)."""
    ev = wx.events
    mem = {e.cell: e.value for e in ev if e.kind == "IW"}
    rf = {r: w for w, r in wx.graph.rf}
    at = {sid: k for k, sid in enumerate(order)}
    stale, early = set(), set()
    for sid in order:
        for e in [x for x in ev if x.sid == sid]:
            if e.kind == "R":
                w = ev[rf[e.eid]]
                if w.kind != "IW" and at[w.sid] > at[sid]:
                    early.add(e.eid)
                elif mem[e.cell] != e.value:
                    stale.add(e.eid)
            elif e.kind == "W":
                mem[e.cell] = e.value
    return stale, early


@pytest.mark.parametrize("path,mm,prop,defines", WEAK_CASES)
def test_weak_trace_is_an_order_of_the_graph(path, mm, prop, defines):
    """The trace lists every executed step once, in program order, each write before the
    other threads' reads of it; the reads an sc memory walked in that order disagrees with
    are exactly the ones marked 'weak memory'; an execution sc allows is shown in an sc order
    (no read marked)."""
    from rmapcheck.axioms import judge
    from rmapcheck.report.weak_witness import linearise

    r = weak_result(path, mm, prop, defines)
    wx, tr = r.execution, r.trace
    order, respects = linearise(wx)
    assert sorted(order) == sorted(sid for sid, _, _ in wx.steps)
    assert [s.line for s in tr.steps] == [wx.step_info[sid][0] for sid in order]
    pos = {sid: k for k, sid in enumerate(order)}
    for tid in {t for _, t, _ in wx.steps}:  # program order
        mine = sorted((c, sid) for sid, t, c in wx.steps if t == tid)
        assert [pos[sid] for _, sid in mine] == sorted(pos[sid] for _, sid in mine)
    stale, early = replay_in_order(wx, order)
    marked = {e.eid for e in wx.events if e.kind == "R"
              and any("weak memory" in op for op in tr.steps[pos[e.sid]].ops)}
    assert stale | early == marked
    sc_ok = judge("sc", wx.graph, races=False).consistent
    assert (respects == "sc") == sc_ok
    if sc_ok:
        assert not marked and "sequentially consistent" in tr.final
    else:
        assert marked and "not by sc" in tr.final
    assert tr.steps[-1].note == wx.message or wx.site_sid != order[-1]


def test_mp_trace_explains_the_stale_read():
    from rmapcheck.report.diagram import render_diagram
    from rmapcheck.report.steps import render_steps

    tr = weak_result(MP, "lkmm", "data-published").trace
    text = render_steps(tr)
    assert "read flag -> 1 (once; from writer's write, line 20)" in text
    assert "read data -> 0 (once; from the initial value)" in text
    assert "data reads the older 0, missing 1 written at line\n" in text
    flat = " ".join(text.split())
    assert ("lkmm lets the read miss it although that write is po-before writer's WRITE_ONCE(flag, 1); (line 20), "
            "rf-before this thread's int f = READ_ONCE(flag); (line 29), po-before this read") in flat
    diagram = render_diagram(tr)
    assert "// data -> 0; missed 1 written at line 16 by writer" in diagram
    assert [s.thread for s in tr.steps] == ["writer", "writer", "reader", "reader"]  # one context switch
    for out in (text, diagram):
        assert max(map(len, out.splitlines())) <= 80


def test_sb_trace_under_tso_names_the_store_buffer():
    tr = weak_result(SB, "tso", "one-sees-the-other").trace
    ops = " ".join(op for s in tr.steps for op in s.ops)
    assert "x86-TSO: the write can still wait in writer0's store buffer" in ops
    switches = sum(1 for a, b in zip(tr.steps, tr.steps[1:]) if a.tid != b.tid)
    assert switches == 1


def test_check_prints_the_weak_counterexample():
    r = run_cli("check", "--engine", "z3", "--memory-model", "lkmm", MP)
    assert r.returncode == 1
    assert "Counterexample for data-published" in r.stdout and "CPU0 (writer)" in r.stdout
    assert "missed 1 written at line 16 by writer" in r.stdout
    again = run_cli("check", "--engine", "z3", "--memory-model", "lkmm", MP).stdout
    trace = r.stdout[r.stdout.index("Counterexample"):]  # the statistics above it carry times
    assert trace == again[again.index("Counterexample"):]


def test_a_context_switch_goes_to_the_thread_that_runs_longest():
    """Thread a takes one step, then reads what b writes in its last step: listing a's first
    step first would switch threads twice; b first, then a, switches once."""
    from rmapcheck.axioms.graph import Event, ExecutionGraph, Skeleton
    from rmapcheck.report.weak_witness import WeakEvent, WeakExecution, linearise

    evs = [Event(0, -1, "IW", "x", 0, frozenset({"IW"})), Event(1, -1, "IW", "y", 0, frozenset({"IW"})),
           Event(2, 0, "W", "y", 1), Event(3, 0, "R", "x", 1), Event(4, 1, "W", "z", 1), Event(5, 1, "W", "x", 1)]
    g = ExecutionGraph(Skeleton(evs, [(2, 3), (4, 5)]), rf=[(5, 3)], co=[(1, 2), (0, 5)])
    sid = {2: 10, 3: 11, 4: 20, 5: 21}
    wev = [WeakEvent(e.eid, e.tid, e.kind, e.addr, str(e.value), (), 0, "", sid.get(e.eid)) for e in evs]
    wx = WeakExecution("lkmm", "p", "m", ["a", "b"], wev, g, site_sid=11,
                       steps=[(10, 0, 1), (11, 0, 2), (20, 1, 1), (21, 1, 2)])
    order, respects = linearise(wx)
    assert respects == "sc" and order == [20, 21, 10, 11]


def test_a_failure_with_no_event_is_drawn_where_it_happens():
    """A NULL dereference faults before its access happens: no event of the graph is the
    failing one, so the thread's cluster ends with a note naming the statement and line."""
    wx = weak_result(os.path.join(UNIT, "null_deref_unchecked_alloc.c"), "tso", "no-null-deref").execution
    text = weak_dot(wx)
    assert 'end0 [label="fails at o->val = 1;  (null_deref_unchecked_alloc.c:15)"' in text
    dot_accepts(text)


def test_an_impossible_coherence_wish_costs_no_context_switch():
    """MP with a step of the reader before it reads the flag: the stale read's fr edge asks
    for the read before the data store, which po and rf forbid; the order must not switch
    threads for that wish (writer, then the whole reader: one switch)."""
    from rmapcheck.axioms.graph import Event, ExecutionGraph, Skeleton
    from rmapcheck.report.weak_witness import WeakEvent, WeakExecution, linearise

    evs = [Event(0, -1, "IW", "x", 0, frozenset({"IW"})), Event(1, -1, "IW", "f", 0, frozenset({"IW"})),
           Event(2, -1, "IW", "z", 0, frozenset({"IW"})),
           Event(3, 0, "W", "x", 1), Event(4, 0, "W", "f", 1),
           Event(5, 1, "W", "z", 1), Event(6, 1, "R", "f", 1), Event(7, 1, "R", "x", 0)]
    g = ExecutionGraph(Skeleton(evs, [(3, 4), (5, 6), (6, 7)]), rf=[(4, 6), (0, 7)], co=[(0, 3), (1, 4), (2, 5)])
    sid = {3: 10, 4: 11, 5: 19, 6: 20, 7: 21}
    wev = [WeakEvent(e.eid, e.tid, e.kind, e.addr, str(e.value), (), 0, "", sid.get(e.eid)) for e in evs]
    wx = WeakExecution("lkmm", "p", "m", ["writer", "reader"], wev, g, site_sid=21,
                       steps=[(10, 0, 1), (11, 0, 2), (19, 1, 1), (20, 1, 2), (21, 1, 3)])
    order, respects = linearise(wx)
    assert respects == "po+rf" and order == [10, 11, 19, 20, 21]


# LB+poonceonces is Sometimes under LKMM, and so with a data dependency on one side only;
# an acquire load on the other side forbids it; x86-TSO never reorders a load with a later
# store (tools/memory-model/litmus-tests, LB+poacquireonce+pooncerelease and friends).
@pytest.mark.parametrize("acquire,lkmm", [(0, VIOLATED), (1, "holds")])
def test_load_buffering_model(acquire, lkmm):
    prop = "no-load-buffering"
    for mm, want in (("sc", "holds"), ("tso", "holds"), ("lkmm", lkmm)):
        res = check_events(load_model(LB, {"ACQUIRE": acquire}), memory_model=mm)
        assert res.results[prop].verdict == want, mm
    from rmapcheck.runner import check_program

    assert check_program(load_model(LB, {"ACQUIRE": acquire}), "sc").results[prop].verdict == "holds"


def test_lb_trace_marks_one_read_of_a_later_write():
    """po and rf form a cycle: one read must be shown before the write it reads, and only one."""
    from rmapcheck.report.weak_witness import linearise

    r = weak_result(LB, "lkmm", "no-load-buffering")
    _, respects = linearise(r.execution)
    marked = [op for s in r.trace.steps for op in s.ops if op.startswith("weak memory")]
    assert respects == "po" and len(marked) == 1 and "load buffering" in marked[0]


def test_2_2w_trace_marks_a_write_shown_before_one_coherence_before_it():
    """2+2W: each thread writes x and y in opposite orders and each cell ends with the first
    write of its thread: po and co form a cycle, so one write is shown before one that is
    coherence-before it (the hand-made graph below; LKMM allows it)."""
    from rmapcheck.axioms import judge
    from rmapcheck.axioms.graph import Event, ExecutionGraph, Skeleton
    from rmapcheck.report.weak_witness import WeakEvent, WeakExecution, weak_trace

    evs = [Event(0, -1, "IW", "x", 0, frozenset({"IW"})), Event(1, -1, "IW", "y", 0, frozenset({"IW"})),
           Event(2, 0, "W", "x", 1, frozenset({"once"})), Event(3, 0, "W", "y", 2, frozenset({"once"})),
           Event(4, 1, "W", "y", 1, frozenset({"once"})), Event(5, 1, "W", "x", 2, frozenset({"once"}))]
    g = ExecutionGraph(Skeleton(evs, [(2, 3), (4, 5)]), rf=[], co=[(0, 5), (5, 2), (1, 3), (3, 4)])
    assert judge("lkmm", g).consistent and not judge("sc", g).consistent
    sid = {2: 10, 3: 11, 4: 20, 5: 21}
    wev = [WeakEvent(e.eid, e.tid, e.kind, e.addr, str(e.value), ("once",) if e.tid >= 0 else (), 5 + e.eid, "m.c",
                     sid.get(e.eid)) for e in evs]
    info = {s: (5 + e, "", "f", f"stmt{e}", []) for e, s in sid.items()}
    wx = WeakExecution("lkmm", "p", "m", ["a", "b"], wev, g, site_sid=21,
                       steps=[(10, 0, 1), (11, 0, 2), (20, 1, 1), (21, 1, 2)], step_info=info)
    tr = weak_trace(wx)
    marked = [op for s in tr.steps for op in s.ops if op.startswith("weak memory")]
    assert marked == ["weak memory: this write of x is coherence-after 2 (b, line 10), which this order shows later"]
    assert tr.final.endswith("(allowed by lkmm, not by sc: 1 write is coherence-after one shown after it)")
