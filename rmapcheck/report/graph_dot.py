"""An axiomatic execution graph in DOT, drawn as herd7 draws one.

One cluster per thread with its events in program order (po), the initial writes on top,
and the chosen relations between them: rf (red; from the initial write when a read reads
the initial value), co (blue; each write to its co-successor), fr (orange; each read to the
first write co-after the one it read) and the dependencies the threads' code creates (addr,
data, ctrl: dashed). Events are lettered a, b, c... as herd7 letters them.
"""

from __future__ import annotations

from rmapcheck.report.dot import _letters, graph_head, q


def graph_dot(g, thread_names: list, cell_name, title: str, name: str = "execution", describe=None,
              highlight=frozenset(), ends=None) -> str:
    """g: an axioms.graph.ExecutionGraph; cell_name(cell) -> str; title: the graph's caption;
    describe(event) -> str: an event's label after its letter (default: kind, tags, cell=value
    and line); highlight: the event ids drawn in bold red (where the property fails); ends:
    {tid: text} a red note after a thread's last event (a failure at a step with no event)."""
    ev = g.events
    letters = _letters(len(ev))
    out = graph_head(name, title)
    w = out.append

    def label(e) -> str:
        if describe is not None:
            return f"{letters[e.eid]}: {describe(e)}"
        if e.kind == "IW":
            return f"{letters[e.eid]}: W {cell_name(e.addr)}={_value(e.value, cell_name)}"
        return f"{letters[e.eid]}: {_event(e, cell_name)}"

    inits = [e for e in ev if e.kind == "IW"]
    if inits:
        w("  subgraph cluster_init {")
        w('    label="init"; style=dashed;')
        for e in inits:
            w(f"    e{e.eid} [label={q(label(e))}, shape=plaintext];")
        w("  }")
    for tid, tname in enumerate(thread_names):
        evs = [e for e in ev if e.tid == tid]
        w(f"  subgraph cluster_P{tid} {{")
        w(f"    label={q(tname)};")
        for e in evs:
            where = f"  (line {e.line})" if e.line and describe is None else ""
            hot = ", color=red, penwidth=2" if e.eid in highlight else ""
            w(f"    e{e.eid} [label={q(label(e) + where)}{hot}];")
        end = (ends or {}).get(tid)
        if end is not None:
            w(f"    end{tid} [label={q(end)}, shape=note, color=red, fontcolor=red];")
        w("  }")
        for a, b in zip(evs, evs[1:]):
            w(f"  e{a.eid} -> e{b.eid} [label=po, weight=10];")
        if end is not None and evs:
            w(f"  e{evs[-1].eid} -> end{tid} [style=dotted, weight=10];")
    for a, b in g.rf:
        w(f"  e{a} -> e{b} [label=rf, color=red, fontcolor=red];")
    succ = dict(g.co)  # the co pairs are each cell's chain: write -> its co-successor
    for a, b in g.co:
        w(f"  e{a} -> e{b} [label=co, color=blue, fontcolor=blue];")
    for a, b in g.rf:
        if a in succ:
            w(f"  e{b} -> e{succ[a]} [label=fr, color=orange, fontcolor=orange];")
    skel = g.skel
    for rel, pairs in (("addr", skel.addr), ("data", skel.data), ("ctrl", skel.ctrl)):
        for a, b in sorted(set(pairs)):
            w(f"  e{a} -> e{b} [label={rel}, style=dashed, color=gray40, fontcolor=gray40];")
    w("}")
    return "\n".join(out) + "\n"


def _value(v, cell_name) -> str:
    return f"&{cell_name(v[1])}" if isinstance(v, tuple) else str(v)


def _event(e, cell_name) -> str:
    tags = "/".join(sorted(e.tags))
    if e.kind == "F":
        return f"F[{tags}]" + (f" {cell_name(e.addr)}" if e.addr is not None else "")
    return f"{e.kind}[{tags}] {cell_name(e.addr)}={_value(e.value, cell_name)}"


__all__ = ["graph_dot"]
