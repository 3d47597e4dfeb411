"""`--trace-format dot`: Graphviz graphs of a counterexample.

* The execution graph, in the style of herd7's: one cluster of events per thread in
  program order (po), the write each read reads from (rf, red; initial values come
  from ``init`` nodes), coherence order per cell (co, blue), from-reads (fr, orange),
  lock hand-over from an unlock to the next lock of the same lock (purple) and, for
  ``synchronize_srcu``, the end of each read section it waited for to the end of the
  grace period (green). The step that violates the property is drawn in bold red.
* The state graph of a small model (networkx): every reachable state, every
  transition labelled with its thread and source line, the counterexample's path
  highlighted in red and its violation as a red octagon.
"""

from __future__ import annotations

import networkx as nx

from rmapcheck.errors import pos_text
from rmapcheck.report import execution as X
from rmapcheck.report.execution import Execution

STATE_GRAPH_LIMIT = 400  # states: larger models get no state graph


def q(s: str) -> str:
    """A DOT double-quoted string."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def ql(lines: list) -> str:
    """A DOT string of left-aligned lines."""
    return q("\x00".join(lines) + "\x00").replace("\x00", "\\l")


def _ident(s: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in s)


def graph_head(name: str, title: str) -> list:
    """The first lines of an execution graph: its name, caption and node and edge styles."""
    return [f"digraph {q(_ident(name))} {{",
            f"  label={q(title)}; labelloc=t; fontname=Helvetica;",
            "  node [shape=box, fontname=Courier, fontsize=10, style=rounded];",
            "  edge [fontname=Helvetica, fontsize=9];",
            "  rankdir=TB; newrank=true;"]


def execution_dot(exe: Execution, name: str = "execution") -> str:
    tr = exe.trace
    out = graph_head(name, f"{tr.prop} violated: {tr.message}")
    w = out.append
    last_step = len(tr.steps) - 1
    by_tid: dict = {}
    for e in exe.events:
        by_tid.setdefault(e.tid, []).append(e)
    letters = _letters(len(exe.events))
    # initial writes that some read reads from
    inits: dict = {}
    for src, r, cell in exe.rf:
        if src is None and cell not in inits:
            inits[cell] = f"init{len(inits)}"
    if inits:
        w("  subgraph cluster_init {")
        w('    label="init"; style=dashed;')
        for cell, nid in inits.items():
            val = _init_value(exe, cell)
            w(f"    {nid} [label={q(f'W {cell}={val}')}, shape=plaintext];")
        w("  }")
    for tid in sorted(by_tid):
        evs = by_tid[tid]
        w(f"  subgraph cluster_P{tid} {{")
        w(f"    label={q(f'P{tid}: {exe.threads[tid]}')};")
        for e in evs:
            text = ql([f"{letters[e.eid]}: {e.label()}", f"{e.func}:{pos_text(e.line, e.file)}  {e.text[:40]}"])
            attrs = [f"label={text}"]
            if e.step == last_step and not exe.complete:
                attrs.append("color=red, penwidth=2")
            w(f"    e{e.eid} [{', '.join(attrs)}];")
        w("  }")
        for a, b in zip(evs, evs[1:]):
            w(f"  e{a.eid} -> e{b.eid} [label=po, weight=10];")
    seen = set()
    for src, r, cell in exe.rf:
        s = inits.get(cell) if src is None else f"e{src}"
        if (s, r) in seen:
            continue
        seen.add((s, r))
        w(f"  {s} -> e{r} [label=rf, color=red, fontcolor=red, constraint=false];")
    co_seen = set()
    for cell, ws in exe.co.items():
        for a, b in zip(ws, ws[1:]):
            if a != b and (a, b) not in co_seen:
                co_seen.add((a, b))
                w(f"  e{a} -> e{b} [label=co, color=blue, fontcolor=blue, constraint=false];")
    fr_seen = set()
    for src, r, cell in exe.rf:
        ws = exe.co.get(cell, [])
        nxt = ws[0] if src is None and ws else (ws[ws.index(src) + 1] if src in ws and ws.index(src) + 1 < len(ws) else None)
        if nxt is not None and (r, nxt) not in fr_seen and exe.events[nxt].tid != exe.events[r].tid:
            fr_seen.add((r, nxt))
            w(f"  e{r} -> e{nxt} [label=fr, color=orange, fontcolor=orange, constraint=false];")
    for u, lk, lock in exe.lock_edges:
        w(f"  e{u} -> e{lk} [label={q('lock ' + lock)}, color=purple, fontcolor=purple, style=dashed];")
    for u, gp, srcu in exe.srcu_edges:
        w(f"  e{u} -> e{gp} [label={q('gp ' + srcu)}, color=darkgreen, fontcolor=darkgreen, style=dashed];")
    w("}")
    return "\n".join(out) + "\n"


def _letters(n: int) -> list:
    out = []
    for k in range(n):
        s = ""
        k1 = k
        while True:
            s = chr(ord("a") + k1 % 26) + s
            k1 = k1 // 26 - 1
            if k1 < 0:
                break
        out.append(s)
    return out


def _init_value(exe: Execution, cell: str) -> str:
    for e in exe.events:
        if e.kind == X.READ:
            for c, v in e.cells:
                if c == cell:
                    src = next((s for s, r, cc in exe.rf if r == e.eid and cc == cell), "x")
                    if src is None:
                        return v
    return "0"


# -- the state graph -------------------------------------------------------------------------------


def state_graph(program, memory_model: str = "sc", paths: list | None = None,
                limit: int = STATE_GRAPH_LIMIT) -> nx.DiGraph | None:
    """Every reachable state (None if there are more than ``limit``); ``paths`` are highlighted.

    ``paths`` is a list of ``(property name, Path)``.
    """
    from rmapcheck.engines.explicit.executor import Executor
    from rmapcheck.runner import memory_for

    ex = Executor(program, memory_for(program, memory_model))
    g = nx.DiGraph()
    ids: dict = {}

    def node(st) -> str:
        if st not in ids:
            ids[st] = f"s{len(ids)}"
            g.add_node(ids[st], label=_state_label(ex, st))
        return ids[st]

    inits = ex.initial_states()
    todo = []
    for st, _ in inits:
        if st not in ids:
            node(st)
            g.nodes[ids[st]]["init"] = True
            todo.append(st)
    nviol = 0
    while todo:
        st = todo.pop(0)
        for tid in range(len(ex.threads)):
            if not ex.enabled(st, tid):
                continue
            for _, out in ex.transitions(st, tid):
                lbl = _edge_label(ex, st, tid)
                if out.state is None:
                    props = sorted({e.prop for e in out.events}) or ["stop"]
                    vid = f"v{nviol}"
                    nviol += 1
                    g.add_node(vid, label="\n".join(props), violation=True)
                    g.add_edge(ids[st], vid, label=lbl)
                    continue
                new = out.state not in ids
                dst = node(out.state)
                if len(ids) > limit:
                    return None
                props = sorted({e.prop for e in out.events})
                g.add_edge(ids[st], dst, label=lbl + "".join(f"\n!! {p}" for p in props))
                if props:
                    g.nodes[dst]["violation_state"] = ", ".join(
                        sorted(set(props) | set(filter(None, [g.nodes[dst].get("violation_state")]))))
                if new:
                    todo.append(out.state)
    for prop, path in paths or []:
        st = inits[path.init][0]
        cur = ids[st]
        g.nodes[cur]["path"] = True
        for tid, ch in path.labels:
            out = ex.run(st, tid, tuple(ch), None)
            if out.state is None:
                vid = next((v for v in g.successors(cur) if g.nodes[v].get("violation")
                            and prop in g.nodes[v]["label"].split("\n")), None)
                if vid is None:
                    vid = f"v{nviol}"
                    nviol += 1
                    g.add_node(vid, label=prop, violation=True)
                    g.add_edge(cur, vid, label=_edge_label(ex, st, tid))
                g.nodes[vid]["path"] = True
                g.edges[cur, vid]["path"] = True
                break
            nxt = ids[out.state]
            g.edges[cur, nxt]["path"] = True
            g.nodes[nxt]["path"] = True
            cur, st = nxt, out.state
        else:
            g.nodes[cur]["violation_state"] = g.nodes[cur].get("violation_state") or prop
    return g


def _state_label(ex, st) -> str:
    parts = []
    for tid, th in enumerate(st[2]):
        pc = th[0]
        code = ex.threads[tid].ir.code
        where = "end" if pc < 0 else pos_text(code[pc].loc.line, code[pc].loc.incl_file)
        parts.append(f"{ex.threads[tid].name}:{where}")
    return "\n".join(parts)


def _edge_label(ex, st, tid: int) -> str:
    pc = st[2][tid][0]
    code = ex.threads[tid].ir.code
    return f"{ex.threads[tid].name}:{pos_text(code[pc].loc.line, code[pc].loc.incl_file)}" if 0 <= pc < len(code) else ex.threads[tid].name


def state_graph_dot(g: nx.DiGraph, name: str = "states") -> str:
    out = [f"digraph {q(_ident(name))} {{"]
    w = out.append
    w("  node [shape=box, fontname=Courier, fontsize=9];")
    w("  edge [fontname=Helvetica, fontsize=8];")
    for n, d in g.nodes(data=True):
        attrs = [f"label={q(d.get('label', n))}"]
        if d.get("violation"):
            attrs.append("shape=octagon, color=red, fontcolor=red")
        if d.get("init"):
            attrs.append("peripheries=2")
        if d.get("path"):
            attrs.append("color=red, penwidth=2")
        if d.get("violation_state"):
            attrs.append("style=filled, fillcolor=mistyrose")
        w(f"  {n} [{', '.join(attrs)}];")
    for a, b, d in g.edges(data=True):
        attrs = [f"label={q(d.get('label', ''))}"]
        if d.get("path"):
            attrs.append("color=red, fontcolor=red, penwidth=2")
        else:
            attrs.append("color=gray50")
        w(f"  {a} -> {b} [{', '.join(attrs)}];")
    w("}")
    return "\n".join(out) + "\n"
