"""The symbolic execution graph: events with guards, rf chosen by z3, and sequential
consistency as clocks.

This is the interface a memory-model compiler (z3ax) reads, kept stable:

- ``Encoding.prog``: the unrolled program (unroll.Program): ``steps`` (each with ``clock``, a
  Int, and ``guard``), ``events`` (unroll.Event: eid, tid, kind R/W/F, tags, guard, addr,
  value, step), ``po`` (pairs of consecutive step ids of one thread; events of one step are
  simultaneous, an rmw's read and write are ``step.info['rmw']``).
- ``Encoding.executed(e)``: the z3 Bool that event e happens (its guard, its step's clock within
  the horizon ``T``: executions are prefixes).
- ``Encoding.rf[r]``: per read eid, [(write eid, or None for the initial value, z3 Bool)]: the
  read reads from that write. Exactly one holds when the read happens.
- ``Encoding.co(w1, w2)``: a z3 Bool, w1 before w2 in coherence order (under sc the clock order
  of two writes to one cell).
- ``Encoding.same_addr(a, b)``: z3 Bool (or Python bool) of two events' addresses being equal.

Sequential consistency: one clock per step, strictly increasing along each thread; a read
reads from the clock-latest write to its cell before it (or the initial value: the global's
initialiser, 0 in a fresh heap object). Locks are read-modify-writes of the lock word that
must read 0 (unlocked); a synchronize_srcu's end waits for every read section of its
srcu_struct that began before its start. Heap liveness (use after free, double free) and
the fault budget are defined here, once every thread is unrolled.

Addresses and dependencies (addr/data/ctrl) for weaker models are not recorded yet.
"""

from __future__ import annotations

import z3

from rmapcheck.engines.z3ev import values as V
from rmapcheck.engines.z3ev.unroll import Program
from rmapcheck.engines.z3ev.values import AND, NOT, OR, B
from rmapcheck.ir import nodes as ir


class Encoding:
    clock_order = True  # one global clock orders every step (weak.py's clocks only select a prefix)

    def __init__(self, prog: Program):
        self.prog = prog
        self.ctx = prog.ctx  # the run's z3 context (values.new_run)
        self.p = prog.p
        self.T = prog.T
        self.facts: list = [self.T >= 0, self.T < V.CLOCK_MAX] + list(prog.constraints)
        self.rf: dict = {}
        self._frees_of: dict = {}
        self._writes = [e for e in prog.events if e.kind == "W"]
        self.nobj = len(prog.objs)
        self.value_sets()
        self.build()

    # -- the interface ---------------------------------------------------------------------
    def clock(self, e):
        return self.prog.steps[e.step].clock

    def executed(self, e):
        if e.tid >= self.prog.nthreads:  # an invariant's observer reads in the state at T
            return e.guard
        return AND(e.guard, self.clock(e) <= self.T)

    def same_addr(self, a, b):
        return V.eq(a.addr, b.addr)

    def co(self, w1, w2):
        return AND(w1.guard, w2.guard, V.eq(w1.addr, w2.addr), self.clock(w1) < self.clock(w2))

    # -- building --------------------------------------------------------------------------
    def build(self) -> None:
        P = self.prog
        for e in P.events:
            if e.kind == "R":
                self.facts += self.read(e)
                self.facts += V.within_sets(e.value)
        self.facts += self.lock_reads()
        self.facts += self.heap(P.accesses)
        self.facts += self.srcu()
        self.facts += self.budget_and_stops()

    def lock_reads(self) -> list:
        """A lock is taken only by a read of 0 (unlocked) from its lock word."""
        P = self.prog
        out = []
        for s in P.steps:
            r = s.info.get("lock_read")
            if r is not None:
                e = P.events[r]
                out.append(z3.Implies(B(self.executed(e)), B(V.eq(e.value, 0))))
        return out

    def budget_and_stops(self) -> list:
        """At most @faults allocations fail; no execution goes on past a site that stops it."""
        P = self.prog
        out = []
        fails = [o.fail for o in P.objs if o.fail is not False]
        if fails:
            out.append(z3.AtMost(*fails, self.p.meta.faults))
        for s in P.sites:
            if s.stops:
                out.append(z3.Not(B(AND(s.cond, s.time < self.T))))
        return out

    def value_sets(self) -> None:
        """The values each read may return, as sets of bases and of offsets (values.READS), the
        least fixed point of: a read returns the initial value of a cell it may read or a value
        a write to such a cell may write. Candidate writes of a read are then only those whose
        address sets meet its own: a pointer read from memory names the few objects stored there."""
        reads = [e for e in self.prog.events if e.kind == "R"]
        init = self.p.global_init
        changed = True
        while changed:
            changed = False
            V.MEMO[0] = {}  # within a round, a term's set may lag a read's growth: the next round sees it
            self._sets = {e.eid: (V.bases_of(e.addr), V.offs_of(e.addr)) for e in self.prog.events
                          if e.addr is not None}
            for r in reads:
                bs, os_ = set(), set()
                rb, ro = self._sets[r.eid]
                vals = [w.value for w in self.candidates(r)]
                if rb is None or ir.GLOBAL in rb:
                    offs = ro if ro is not None else range(len(init))
                    vals += [init[o] for o in offs if 0 <= o < len(init)]
                if rb is None or any(b >= 0 for b in rb):
                    vals.append(0)
                for v in vals:
                    if bs is not None:
                        b = V.bases_of(v)
                        bs = None if b is None or len(bs | b) > 64 else bs | b
                    if os_ is not None:
                        o = V.offs_of(v)
                        os_ = None if o is None or len(os_ | o) > 64 else os_ | o
                for var, new in ((r.value.base.decl().name(), bs), (r.value.off.decl().name(), os_)):
                    if V.READS.get(var, set()) != new:
                        V.READS[var] = new
                        changed = True
        V.MEMO[0] = None

    def candidates(self, r) -> list:
        """The writes a read may read from: another step's, to a cell the read may access."""
        rb, ro = self._sets[r.eid]
        out = []
        for w in self._writes:
            if w.step == r.step:
                continue
            wb, wo = self._sets[w.eid]
            if rb is not None and wb is not None and not (rb & wb):
                continue
            if ro is not None and wo is not None and not (ro & wo):
                continue
            out.append(w)
        return out

    def read(self, r) -> list:
        """rf of one read: it reads the clock-latest write to its cell before it, or the initial
        value. Linear in the candidate writes: src is the clock of the write read from (0 for
        the initial value), and every other write to the cell before the read is before src."""
        out = []
        cr = self.clock(r)
        ws = self.candidates(r)
        src = V.clock(f"src{r.eid}")
        choices = []
        for w in ws:
            v = z3.Bool(f"rf_{w.eid}_{r.eid}", self.ctx)
            cw = self.clock(w)
            out.append(z3.Implies(v, B(AND(w.guard, cw < cr, V.eq(w.addr, r.addr), V.eq(w.value, r.value),
                                             src == cw))))
            choices.append((w.eid, v))
        v0 = z3.Bool(f"rf_init_{r.eid}", self.ctx)
        out.append(z3.Implies(v0, B(AND(V.eq(r.value, self.initial(r.addr)), src == 0))))
        for (_, v), w in zip(choices, ws):
            c2 = self.clock(w)
            same = V.eq(w.addr, r.addr)
            out.append(z3.Implies(B(AND(w.guard, same, c2 < cr, NOT(v))), c2 < src))
            out.append(z3.Implies(B(AND(w.guard, same)), c2 != cr))  # conflicting steps are ordered
        choices.append((None, v0))
        out.append(z3.Implies(B(self.executed(r)), z3.Or(*[v for _, v in choices])))
        self.rf[r.eid] = choices
        return out

    def initial(self, a):
        """The value of cell a before any write: its global initialiser, 0 in a heap object."""
        init = self.p.global_init
        if V.is_concrete(a):
            if a.__class__ is tuple and a[0] == ir.GLOBAL and 0 <= a[1] < len(init):
                return init[a[1]]
            return 0
        offs = V.offs_of(a)
        if offs is None:
            offs = range(len(init))
        g = 0
        for k in sorted(o for o in offs if 0 <= o < len(init)):
            g = V.ite(a.off == V.bv(k), init[k], g)
        return V.ite(a.base == V.bvb(ir.GLOBAL), g, 0)

    # -- the heap ----------------------------------------------------------------------------
    def heap_ids(self, v) -> list:
        bases = V.bases_of(v)
        if bases is None:
            return list(range(self.nobj))
        return sorted(b for b in bases if 0 <= b < self.nobj)

    def frees_of(self, j: int) -> list:
        if not self._frees_of:
            for f in self.prog.frees:
                for k in self.heap_ids(f[1]):
                    self._frees_of.setdefault(k, []).append(f)
        return self._frees_of.get(j, [])

    def alive(self, j: int, t, but=None):
        """Object j is not freed before time t (by a free other than `but`)."""
        steps = self.prog.steps
        return NOT(OR(*[AND(freed, _base_is(p, j), steps[sid].clock < t)
                        for sid, p, freed, _ in self.frees_of(j) if sid != but]))

    def heap(self, accesses) -> list:
        out = []
        steps = self.prog.steps
        if accesses is self.prog.accesses:
            for sid, p, freed, bad in self.prog.frees:
                s = steps[sid]
                ok = OR(*[AND(_base_is(p, j), self.alive(j, s.clock, sid), _off0(p))
                          for j in self.heap_ids(p)])
                out.append(freed == B(AND(s.guard, ok)))
                out.append(bad == B(AND(NOT(V.eq(p, 0)), NOT(ok))))
        for acc in accesses:
            t = steps[acc.sid].clock
            b, o = V.parts(acc.addr)
            ng = len(self.p.global_cells)
            known = [b == V.bvb(ir.GLOBAL)]
            uaf, oob = [], [z3.And(b == V.bvb(ir.GLOBAL), z3.Or(o < 0, o + acc.width > ng))]
            for j in self.heap_ids(acc.addr):
                isj = b == V.bvb(j)
                known.append(isj)
                alive = B(self.alive(j, t))
                size = V.parts(self.prog.objs[j].size)[1]
                uaf.append(z3.And(isj, z3.Not(alive)))
                oob.append(z3.And(isj, alive, z3.Or(o < 0, o + acc.width > size)))
            out.append(acc.null == (b == V.bvb(V.INT)))
            out.append(acc.uaf == z3.Or(*uaf) if uaf else acc.uaf == False)  # noqa: E712
            out.append(acc.bounds == z3.Or(*oob))
            out.append(acc.other == z3.And(b != V.bvb(V.INT), z3.Not(z3.Or(*known))))
        return out

    # -- srcu ------------------------------------------------------------------------------
    def srcu(self) -> list:
        out = []
        steps = self.prog.steps
        locks = [(sid, key, outer) for sid, kind, key, outer in self.prog.srcu if kind == "lock"]
        unlocks = [(sid, key, outer) for sid, kind, key, outer in self.prog.srcu if kind == "unlock"]
        for sid, kind, key, _ in self.prog.srcu:
            if kind != "sync":
                continue
            s = steps[sid]
            e = steps[s.info["end"]]
            for lsid, lkey, louter in locks:
                if lkey != key:
                    continue
                lk = steps[lsid]
                left = [AND(uo, steps[usid].clock < e.clock) for usid, ukey, uo in unlocks
                        if ukey == key and steps[usid].tid == lk.tid and usid > lsid]
                out.append(z3.Implies(B(AND(e.guard, e.clock <= self.T, louter, lk.clock < s.clock)), B(OR(*left))))
        return out


def _key(a):
    return a if a.__class__ is tuple else ("int", a)


def _base_is(p, j: int):
    if V.is_concrete(p):
        return p.__class__ is tuple and p[0] == j
    return p.base == V.bvb(j)


def _off0(p):
    if V.is_concrete(p):
        return p.__class__ is tuple and p[1] == 0
    return p.off == V.bv(0)
