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

from operator import itemgetter
from typing import NamedTuple


class HeapObj(NamedTuple):
    site: int
    cells: tuple
    alive: bool


def heap_ids(values) -> list:
    """The heap object ids that pointer values among ``values`` refer to, in order."""
    # filter(None, ...) drops the zeros (most cells) at C speed; a pointer is a non-empty tuple
    return [v[0] for v in filter(None, values) if v.__class__ is tuple and v[0] >= 0]


def thread_roots(t: int, th: tuple, local_values=None) -> list:
    """The heap objects thread t points to, in order: from its locals, the locks it holds, the
    address it waits on. With the globals, these are the roots of the heap order."""
    roots = heap_ids(th[1] if local_values is None else local_values(t, th))
    if th[2]:
        roots += heap_ids([h[1] for h in th[2]])
    if th[3] is not None:
        roots += heap_ids((th[3][0],))
    return roots


def picker(indices: list):
    """A fast function returning the values at ``indices`` of a tuple, as a tuple."""
    if not indices:
        return lambda values: ()
    if len(indices) == 1:
        k = indices[0]
        return lambda values: (values[k],)
    return itemgetter(*indices)


def heap_order(G_ids: list, obj_ids, H: tuple, T: tuple, roots):
    """Heap ids in the order they are reached from the globals, then each thread.

    ``G_ids`` are the heap ids the global cells point to, in order; ``obj_ids(obj)`` those a
    heap object's cells point to (under weak memory a cell holds several messages, and every
    one of them counts); ``roots(tid, thread)`` those a thread points to (thread_roots).
    Returns (order, leaked ids).
    """
    order: list[int] = []
    seen: set[int] = set()
    batches = [G_ids] + [roots(t, th) for t, th in enumerate(T)]
    for ids in batches:  # each batch: its roots, then what they reach, breadth first
        if not ids:
            continue
        k = len(order)
        for i in ids:
            if i not in seen:
                seen.add(i)
                order.append(i)
        while k < len(order):
            for j in obj_ids(H[order[k]]):
                if j not in seen:
                    seen.add(j)
                    order.append(j)
            k += 1
    leaked = [i for i in range(len(H)) if i not in seen and H[i].alive] if len(seen) < len(H) else []
    return order, leaked


def canonicalize(G: tuple, H: tuple, T: tuple, G_ids: list, obj_ids, roots):
    """Return (G, H, T, leaked sites, remap {old id: new id}); G_ids, obj_ids and roots
    as heap_order takes them."""
    if not H:
        return G, H, T, [], {}
    order, leaked = heap_order(G_ids, obj_ids, H, T, roots)
    if len(order) == len(H) and all(i == j for i, j in enumerate(order)):
        return G, H, T, leaked, {}
    remap = {old: new for new, old in enumerate(order)}

    def rp(v):
        if v.__class__ is tuple and v[0] >= 0:
            return (remap[v[0]], v[1])
        return v

    def rv(values: tuple) -> tuple:
        if not any(v.__class__ is tuple and v[0] >= 0 for v in filter(None, values)):
            return values  # no heap pointer in it (most locals): the same values
        return tuple([(remap[v[0]], v[1]) if v.__class__ is tuple and v[0] >= 0 else v for v in values])

    newH = tuple(HeapObj(H[i].site, rv(H[i].cells), H[i].alive) for i in order)
    newT = tuple(
        (pc, rv(L), tuple((k, rp(a), p) for k, a, p in held), None if w is None else (rp(w[0]), w[1], w[2]))
        for pc, L, held, w in T
    )
    return rv(G), newH, newT, leaked, remap
