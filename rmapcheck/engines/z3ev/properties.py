"""Each property as a query over the encoding: a satisfying model is an execution that violates it.

A site (unroll.Site) fails at a time: a thread's site at the clock of its step, so the query
pins the horizon T there (every step before it happened, no stopping violation before it);
an invariant's site at T + 1, the state after every step up to T (no thread stopped at T
either). Invariants are evaluated by an observer that reads memory at that time, so an
invariant is checked in every state an execution passes through (between any two steps),
as the explicit engine checks it in every state.

no-deadlock: a state at T where some thread has not ended and every thread has ended or
waits at its next step, a mutex_lock of a lock word that is not 0 (a lock taken at or before
T and not released since), or the end of a synchronize_srcu whose grace period began while a
read section was open that has not ended by T.

lock-order: for each pair of lock names, is there a state where a thread holding the first
(a mutex, or an srcu read section) is about to take the second (mutex_lock, or
synchronize_srcu)? The edges found form the lock graph the explicit engine builds over its
states; a cycle is the violation.

no-leak: an object alive and unreachable in the state at T (leak.py says how and why).

no-data-race is no property of an sc run, in either engine: the explicit engine checks it
under ra only (LKMM's definition, memory_ra.py), which this engine does not implement. The
entry below answers 'unsupported' (never 'holds') should it ever be asked. An sc data race
would be a state at T where two threads wait at conflicting accesses to one cell, one a
write and one plain (memory_ra.state_events' test): encodable here with _at, but then the
explicit engine needs it under sc too, and every model an @expect sc line for it.
"""

from __future__ import annotations

import z3

from rmapcheck.engines.z3ev import values as V
from rmapcheck.engines.z3ev.leak import leak
from rmapcheck.engines.z3ev.values import AND, NOT, OR, B
from rmapcheck.ir import nodes as ir

UNSUPPORTED = {
    ir.P_RACE: "no-data-race is an ra property (LKMM's definition); sc runs do not check it",
}


def violation(enc, prop: str):
    """A z3 Bool: the execution (a prefix up to T) violates prop; None when no site can."""
    P = enc.prog
    T = enc.T
    if prop == ir.P_DEADLOCK:
        return deadlock(enc)
    if prop == ir.P_LEAK:
        return leak(enc, lambda s: _at(s, T), _stopped_at(P, T))
    now = [AND(s.cond, s.time == T) for s in P.sites if s.prop == prop]
    obs = [s.cond for s in P.observer_sites if s.prop == prop]
    parts = [B(x) for x in now if x is not False]
    if obs:
        parts.append(B(AND(OR(*obs), NOT(_stopped_at(P, T)))))
    if not parts:
        return None
    return z3.Or(*parts)


def unwinding(enc):
    """A z3 Bool: some execution needs more loop iterations than the unrolling has."""
    T = enc.T
    cuts = [B(AND(g, t == T)) for _, g, t, _ in enc.prog.cuts if g is not False]
    return z3.Or(*cuts) if cuts else None


def _stopped_at(P, T):
    """A failure stopped a thread at T: the explicit engine has no state there."""
    return OR(*[AND(s.cond, s.time == T) for s in P.sites if s.stops])


def _at(step, T):
    """The thread waits to take this step at T: it is on its path, the step before it happened."""
    return AND(step.guard, step.info["before"] <= T, step.clock > T)


def deadlock(enc):
    """sc: the state at T (clocks). A weak model (tso, lkmm) has no global state: there, a
    deadlock is an execution prefix in which every thread has ended or waits at a lock whose
    word's coherence-last write is a lock (LKW): nothing left can release it (every other thread
    has ended or waits too), and the lock's read must read the co-last write (atomicity), so the
    wait is forever. A wait at the end of synchronize_srcu is not part of that query (whether a
    section began before the grace period is no order of a weak execution): the engine asks
    lifetime.may_hang when no deadlock of lock waits exists, `holds` only if no execution can
    end waiting in synchronize_srcu for good (lifetime.srcu_hang's docstring: why that covers
    every such end), else `unsupported`."""
    P = enc.prog
    T = enc.T
    steps = P.steps
    weak = not enc.clock_order  # weak.py's encoding, whatever its axioms (sc's in the differential tests)
    ended = {t: [] for t in range(P.nthreads)}
    for t, g, time in P.ends:
        ended[t].append(AND(g, time <= T))
    blocked = {t: [] for t in range(P.nthreads)}
    writes = [e for e in P.events if e.kind == "W"]
    for s in steps:
        if s.tid >= P.nthreads:
            continue
        if s.kind == "lock" and weak:
            blocked[s.tid].append(waits_for_good(enc, s))
        elif s.kind == "lock":
            taken = []
            for w in writes:
                if "LKW" not in w.tags:
                    continue
                cw = steps[w.step].clock
                same = V.eq(w.addr, s.addr)
                if same is False:
                    continue
                released = [AND(u.guard, V.eq(u.addr, s.addr), cw < steps[u.step].clock, steps[u.step].clock <= T)
                            for u in writes if "UL" in u.tags and V.may_equal(u.addr, s.addr)]
                taken.append(AND(w.guard, same, cw <= T, NOT(OR(*released))))
            blocked[s.tid].append(AND(_at(s, T), OR(*taken)))
        elif s.kind == "sync_end" and not weak:
            start = steps[s.info["start"]]
            open_ = []
            for lsid, kind, key, louter in P.srcu:
                if kind != "lock" or not V.may_equal(key, start.addr):
                    continue
                lk = steps[lsid]
                left = [AND(uo, steps[usid].clock <= T) for usid, k2, key2, uo in
                        [(a, b, c, d) for a, b, c, d in P.srcu if b == "unlock"]
                        if key2 == key and steps[usid].tid == lk.tid and usid > lsid]
                open_.append(AND(louter, V.eq(start.addr, key), lk.clock < start.clock, NOT(OR(*left))))
            blocked[s.tid].append(AND(_at(s, T), OR(*open_)))
    stuck = [OR(*ended[t], *blocked[t]) for t in range(P.nthreads)]
    some_waits = OR(*[NOT(OR(*ended[t])) for t in range(P.nthreads)])
    return B(AND(*stuck, some_waits, NOT(_stopped_at(P, T))))


def _taken_for_good(enc, s, w, writes):
    """weak: lock write w (an LKW) to the word lock step s waits on is the word's co-last
    write: no unlock or lock comes after it."""
    later = [AND(enc.executed(u), V.eq(u.addr, s.addr), enc.rank[u.eid] > enc.rank[w.eid])
             for u in writes if u is not w and u.tags & {"UL", "LKW"} and V.may_equal(u.addr, s.addr)]
    return AND(enc.executed(w), V.eq(w.addr, s.addr), NOT(OR(*later)))


def waits_for_good(enc, s):
    """weak: the thread of lock step s waits there at T and the lock is held for good (its
    word's co-last write is a lock): deadlock()'s blocked thread, which leak.py's final memory
    also needs (a leak in an execution that ends in a deadlock)."""
    writes = [e for e in enc.prog.events if e.kind == "W"]
    return AND(_at(s, enc.T), OR(*[_taken_for_good(enc, s, w, writes) for w in writes
                                   if "LKW" in w.tags and V.eq(w.addr, s.addr) is not False]))


def lock_name(p, a) -> str:
    """The explicit engine's name of a lock (search.Search.lock_name)."""
    if a.__class__ is tuple and a[0] == ir.GLOBAL and 0 <= a[1] < len(p.global_cells):
        return p.global_cells[a[1]].name.rsplit(".__", 1)[0]
    if a.__class__ is tuple and a[0] >= 0:
        return f"heap lock +{a[1]}"
    return str(a)


def lock_edges(enc, sites: dict | None = None) -> dict:
    """(held name, taken name) -> a z3 Bool: a state at T where some thread holds the first and
    is about to take the second (sites: edge_sites(enc), when already built)."""
    stopped_at_T = NOT(_stopped_at(enc.prog, enc.T))
    sites = edge_sites(enc) if sites is None else sites
    return {k: B(AND(OR(*[c for _, _, c in v]), stopped_at_T)) for k, v in sites.items()}


def edge_sites(enc) -> dict:
    """(held name, taken name) -> [(step, (kind, held key), cond)]: the thread waits at step (a
    mutex_lock or the start of a synchronize_srcu) at T, holding the key, the step's target
    named the second. Under a weak model this is a fact of one thread's program order in a
    consistent prefix (the prefix ends just before the step), as the explicit engine's edge is
    one of a reachable state."""
    P = enc.prog
    T = enc.T
    out: dict = {}
    for s in P.steps:
        if s.tid >= P.nthreads or s.kind not in ("lock", "sync_start") or not s.info.get("held"):
            continue
        targets = [(k, c) for k, c in _keys(s.addr)]
        for (kind, key), n in s.info["held"].items():
            holds = NOT(_le0(n))
            if holds is False:
                continue
            for tkey, tc in targets:
                src, dst = lock_name(P.p, key), lock_name(P.p, tkey)
                if kind == "s" and s.kind == "lock" and src == dst:
                    continue
                cond = AND(_at(s, T), holds, tc)
                if cond is False:
                    continue
                out.setdefault((src, dst), []).append((s, (kind, key), cond))
    return dict(sorted(out.items()))


def _keys(a):
    if V.is_concrete(a):
        return [(a, True)] if a.__class__ is tuple else []
    bases, offs = V.bases_of(a), V.offs_of(a)
    if bases is None or offs is None:
        from rmapcheck.engines.z3ev.unroll import Unsupported

        raise Unsupported("a lock whose address is not one of a few cells")
    return [((b, o), V.eq(a, (b, o))) for b in sorted(bases) for o in sorted(offs) if b != V.INT]


def _le0(n):
    return n <= 0
