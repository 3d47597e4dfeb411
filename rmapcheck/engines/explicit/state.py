"""Explicit states, and their canonical form.

A state is the tuple ``(G, H, T, faults, X)``:
  G  the global cells;
  H  the heap: a tuple of objects ``(site, cells, alive)``;
  T  the threads: a tuple of ``(pc, locals, held, waiting)``, pc -1 once ended;
     ``held`` lists ``(kind, addr, pc)`` for each mutex ("m") and srcu read
     section ("s") the thread holds; ``waiting`` is ``(srcu addr, tids)`` while
     ``(srcu addr, tids, view)`` while the thread waits in synchronize_srcu;
  faults the allocation failures still allowed;
  X  the memory model's own part (None under sc; thread views under ra).

Canonical form numbers heap objects in the order they are first reached from
the globals and the threads, drops freed objects nobody points to, and reports
live objects nobody can reach any more (leaks). Two states that differ only in
heap numbering are therefore one state.
"""

from __future__ import annotations

from typing import NamedTuple


class HeapObj(NamedTuple):
    site: int
    cells: tuple
    alive: bool


def _ptrs_in(values, out: list) -> None:
    for v in values:
        if v.__class__ is tuple and v[0] >= 0:
            out.append(v[0])


def heap_order(G_values, obj_values, H: tuple, T: tuple):
    """Heap ids in the order they are reached from the globals, then each thread.

    ``G_values`` is an iterable of the values held in global cells, and
    ``obj_values(obj)`` the values held in a heap object's cells (under weak
    memory a cell holds several messages, and every one of them counts).
    Returns (order, leaked ids).
    """
    order: list[int] = []
    seen: dict[int, int] = {}
    pending: list[int] = []

    def reach(ids: list) -> None:
        for i in ids:
            if i not in seen:
                seen[i] = len(order)
                order.append(i)
                pending.append(i)
        while pending:
            i = pending.pop(0)
            found: list[int] = []
            _ptrs_in(obj_values(H[i]), found)
            for j in found:
                if j not in seen:
                    seen[j] = len(order)
                    order.append(j)
                    pending.append(j)

    roots: list[int] = []
    _ptrs_in(G_values, roots)
    reach(roots)
    for th in T:
        roots = []
        _ptrs_in(th[1], roots)
        for h in th[2]:
            _ptrs_in((h[1],), roots)
        if th[3] is not None:
            _ptrs_in((th[3][0],), roots)
        reach(roots)
    leaked = [i for i in range(len(H)) if i not in seen and H[i].alive]
    return order, leaked


def canonicalize(G: tuple, H: tuple, T: tuple):
    """Return (G, H, T, leaked sites, remap {old id: new id})."""
    if not H:
        return G, H, T, [], {}
    order, leaked = heap_order(G, lambda o: o.cells, H, T)
    if len(order) == len(H) and all(i == j for i, j in enumerate(order)):
        return G, H, T, leaked, {}
    remap = {old: new for new, old in enumerate(order)}

    def rp(v):
        if v.__class__ is tuple and v[0] >= 0:
            return (remap[v[0]], v[1])
        return v

    def rv(values: tuple) -> tuple:
        return tuple([rp(v) for v in values])

    newH = tuple(HeapObj(H[i].site, rv(H[i].cells), H[i].alive) for i in order)
    newT = tuple(
        (pc, rv(L), tuple((k, rp(a), p) for k, a, p in held), None if w is None else (rp(w[0]), w[1], w[2]))
        for pc, L, held, w in T
    )
    return rv(G), newH, newT, leaked, remap
