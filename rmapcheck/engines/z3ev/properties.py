"""Each property as a query over the encoding: a satisfying model is an execution that violates it.

A site (unroll.Site) fails at a time: a thread's site at the clock of its step, so the query
pins the horizon T there (every step before it happened, no stopping violation before it);
an invariant's site at T + 1, the state after every step up to T (no thread stopped at T
either). Invariants are evaluated by an observer that reads memory at that time, so an
invariant is checked in every state an execution passes through (between any two steps),
as the explicit engine checks it in every state.

Not decided by this engine yet (verdict 'unsupported', never 'holds'): no-leak (reachability
of heap objects in every state), no-deadlock (an execution where every unfinished thread
waits forever) and lock-order (the lock graph of every execution).
"""

from __future__ import annotations

import z3

from rmapcheck.engines.z3ev.values import AND, NOT, OR, B
from rmapcheck.ir import nodes as ir

UNSUPPORTED = {
    ir.P_LEAK: "no-leak needs the heap's reachability in every state: not encoded by the event engine yet",
    ir.P_DEADLOCK: "no-deadlock needs executions that end with every thread blocked: not encoded by the event "
                   "engine yet",
    ir.P_LOCKORDER: "lock-order needs the lock graph of every execution: not encoded by the event engine yet",
    ir.P_RACE: "no-data-race is not encoded by the event engine yet",
}


def violation(enc, prop: str):
    """A z3 Bool: the execution (a prefix up to T) violates prop; None when no site can."""
    P = enc.prog
    T = enc.T
    now = [AND(s.cond, s.time == T) for s in P.sites if s.prop == prop]
    obs = [s.cond for s in P.observer_sites if s.prop == prop]
    parts = [B(x) for x in now if x is not False]
    if obs:
        stopped_at_T = OR(*[AND(s.cond, s.time == T) for s in P.sites if s.stops])
        parts.append(B(AND(OR(*obs), NOT(stopped_at_T))))
    if not parts:
        return None
    return z3.Or(*parts)


def unwinding(enc):
    """A z3 Bool: some execution needs more loop iterations than the unrolling has."""
    T = enc.T
    cuts = [B(AND(g, t == T)) for _, g, t, _ in enc.prog.cuts if g is not False]
    return z3.Or(*cuts) if cuts else None
