"""lock-order: a lockdep-style graph of "held A while acquiring B", over all explored states.

An edge A -> B is added when a thread holding A (a mutex or an srcu read section)
takes mutex B or waits in synchronize_srcu(B). A cycle is a potential deadlock
even if the explored configuration never deadlocked. srcu read sections never
block each other, so taking a read section adds no edge.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EdgeWitness:
    src: str
    dst: str
    thread: str
    hold_line: str  # 'line 12' or 'kvm_sets.h:12'
    hold_func: str
    take_line: str
    take_func: str
    how: str  # "mutex_lock" or "synchronize_srcu"
    held_as: str  # "lock" or "srcu read section"
    sid: int  # a state where the thread is about to do it


class LockGraph:
    def __init__(self) -> None:
        self.edges: dict[tuple[str, str], EdgeWitness] = {}

    def add(self, w: EdgeWitness) -> None:
        key = (w.src, w.dst)
        if key not in self.edges:
            self.edges[key] = w

    def cycles(self) -> list[list[EdgeWitness]]:
        """Every elementary cycle, shortest first, each as its edges in order."""
        import networkx as nx  # here, not at import: a front-end error should not pay for it

        g = nx.DiGraph()
        for (a, b) in self.edges:
            g.add_edge(a, b)
        out = []
        for cyc in nx.simple_cycles(g):
            # rotate so that the smallest node name comes first: deterministic output
            k = cyc.index(min(cyc))
            cyc = cyc[k:] + cyc[:k]
            out.append([self.edges[(cyc[i], cyc[(i + 1) % len(cyc)])] for i in range(len(cyc))])
        out.sort(key=lambda es: (len(es), [e.src for e in es]))
        return out
