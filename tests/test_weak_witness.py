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
                                          (SRCU, "lkmm", "gp-ignores-later-readers")])
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
