"""no-leak for the event engine: a heap object alive and unreachable in the state at T.

The explicit engine's definition (explicit/state.py heap_order, called by the executor after
every transition): the roots are the pointer-typed global cells, each unfinished thread's live
pointer-typed locals, the locks and srcu read sections it holds and the srcu_struct it waits
on; from a reachable object that is alive (not freed: a freed object's cells are zeroed) every
cell is followed when its allocation site can hold pointers. An allocated object that is alive
and not reached is leaked.

Reachability is a least fixed point, so "o is not reachable" is existential: o is unreachable
exactly when some set S of objects contains every object a root points to, is closed under the
pointer cells of its alive members, and leaves o out (the reachable set is the least such S).
So S is one free Bool per object, and the query asks for an execution prefix (horizon T) and an
S with an allocated, alive object outside S. The state at T is read as an invariant's is: one
observer read per cell that may hold a heap pointer, at time T + 1, reads the latest write up to
T (execution.Encoding.read). A thread's locals in that state are those before the step it waits
at (the step's ``locals``, unroll.py), the ones the explicit engine keeps when it sits at that
instruction; a thread that has ended has none. States in which a thread is beyond its unrolled
path (a cut loop, a failed assume) or stopped by a failure at T are not asked about: the
explicit engine has no such state (or the unwinding check already makes the run incomplete).

Unreachability is permanent: no step creates a pointer to an object from nothing (integers are
never pointers, allocation makes a new object), so a thread obtains a pointer only by reading a
reachable cell, and nothing can free the object either. A leak in some state is therefore a
leak in every later state of that execution. The query still asks about every state (every T),
not only the end of an execution: a leak followed, in every extension, by a failure that stops a
thread has no end state, and the explicit engine reports it all the same. Permanence is what
makes the two engines' answers comparable under the explicit engine's reductions, which skip
intermediate states: the leak is reported at the next state kept.
"""

from __future__ import annotations

import z3

from rmapcheck.engines.z3ev import values as V
from rmapcheck.engines.z3ev.execution import _base_is
from rmapcheck.engines.z3ev.unroll import Unsupported
from rmapcheck.engines.z3ev.values import AND, NOT, OR, B
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import live_in


def leak(enc, at, stopped):
    """A z3 Bool: some object is alive and unreachable in the state at T (with the facts of the
    observer reads it needs). `at(step)` says a thread waits at a step at T; `stopped` that a
    thread stopped at T."""
    P = enc.prog
    if not enc.nobj:
        return None
    T = enc.T
    S = [z3.Bool(f"reach{j}", enc.ctx) for j in range(enc.nobj)]
    facts: list = []

    def points(v, member) -> None:
        """A pointer value held where the state's reachable part can see it (under member)."""
        bases = V.bases_of(v)
        for k in range(enc.nobj) if bases is None else sorted(b for b in bases if 0 <= b < enc.nobj):
            c = AND(member, _base_is(v, k))
            if c is not False:
                facts.append(z3.Implies(B(c), S[k]))

    alive = [enc.alive(j, T + 1) for j in range(enc.nobj)]
    observer = P.new_step(P.nthreads, -1, None, True, "observe", T + 1)
    for b, o in pointer_cells(enc):
        r = P.new_event(observer, "R", ("once",), True, (b, o), V.fresh(f"leak{len(P.events)}"), "leak scan")
        enc._sets[r.eid] = ({b}, {o})
        bases: set | None = set()
        for w in enc.candidates(r):
            wb = V.bases_of(w.value)
            bases = None if bases is None or wb is None else bases | wb
        V.READS[r.value.base.decl().name()] = bases
        V.READS[r.value.off.decl().name()] = None
        facts += enc.read(r)
        points(r.value, True if b == ir.GLOBAL else AND(S[b], alive[b]))
    somewhere = []
    for tid, th, code in threads(P):
        pointers = [k for k, cell in enumerate(th.local_cells) if cell.is_pointer]
        live = live_in(code, th.escaped)
        places = [AND(g, t <= T) for t2, g, t in P.ends if t2 == tid]
        for s in P.steps:
            if s.tid != tid:
                continue
            w = at(s)
            places.append(w)
            for k in pointers:
                if live[s.pc] >> k & 1:
                    points(s.info["locals"][k], w)
            for (_, key), n in s.info["held"].items():
                if key[0] >= 0:
                    points(key, AND(w, NOT(n <= 0)))
            if s.kind == "sync_end":
                points(P.steps[s.info["start"]].addr, w)
        somewhere.append(OR(*places))
    leaked = []
    for o in P.objs:
        s = P.steps[o.sid]
        leaked.append(AND(s.guard, s.clock <= T, NOT(o.fail), alive[o.oid], NOT(S[o.oid])))
    return B(AND(*facts, *somewhere, OR(*leaked), NOT(stopped)))


def pointer_cells(enc) -> list:
    """The cells that may hold a heap pointer in some state: pointer-typed globals and cells of
    objects whose site holds pointers, that some write may store a heap pointer to."""
    P = enc.prog
    p = P.p
    out: set = set()
    for w in enc._writes:
        vb = V.bases_of(w.value)
        if vb is not None and not any(0 <= b < enc.nobj for b in vb):
            continue
        ab, ao = V.bases_of(w.addr), V.offs_of(w.addr)
        if ab is None or ao is None:
            loc = f"line {w.loc.line}: " if w.loc else ""
            raise Unsupported(f"{loc}no-leak: a pointer stored at an address that is not one of a few cells")
        for b in ab:
            if b == ir.GLOBAL:
                out.update((b, o) for o in ao if 0 <= o < len(p.global_cells) and p.global_cells[o].is_pointer)
            elif 0 <= b < enc.nobj and p.sites[P.objs[b].site].has_pointers:
                out.update((b, o) for o in ao if o >= 0)
    return sorted(out)


def threads(P):
    """(tid, ir thread, code) of every thread instance, in tid order."""
    out = []
    for th in P.p.threads:
        for _ in range(th.instances):
            out.append((len(out), th, th.code))
    return out
