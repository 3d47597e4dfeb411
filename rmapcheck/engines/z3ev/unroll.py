"""Per-thread symbolic execution of the IR, loops unrolled to a bound: threads as events.

Each thread runs alone over symbolic locals. Control flow splits on a branch whose
condition is not known and merges again where the paths meet (states waiting at a program
point are merged when the lowest pending point is reached, CBMC's symex order), so the
encoding grows with the program, not with its paths. A back edge taken more than `unwind`
times in a row cuts its path: the cut is recorded (an unwinding assertion) and decides
whether an unsatisfiable query is a proof.

Every visible instruction the thread executes becomes a `Step` (one transition of the
explicit engine) with a clock; its shared accesses, lock, srcu and fence operations are
`Event`s (herd7's kinds and tags, axioms/graph.py). A step happens when its guard holds
and its clock is at most the execution's horizon T (executions are prefixes: a thread may
wait forever). What can go wrong is a `Site`: a property, the condition under which it
fails and the time it fails at; a site that stops the thread (a failed assertion, a fault)
also ends the path of the explicit engine, so no later violation is reachable after it.
Faults of heap accesses depend on every thread's frees, so they are Bool variables that
`execution.py` defines once all threads are unrolled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from rmapcheck.engines.axiomatic.paths import _FENCES, _LOAD_TAGS, _RMW_TAGS, _STORE_TAGS
from rmapcheck.engines.z3ev import values as V
from rmapcheck.engines.z3ev.values import AND, NOT, OR
from rmapcheck.errors import RmapcheckError, SourceLoc
from rmapcheck.ir import nodes as ir

DEFAULT_UNWIND = 12


class Unsupported(RmapcheckError):
    """Something this engine does not encode yet (the verdict is 'unsupported', never 'holds')."""


@dataclass
class Step:
    """One visible instruction instance: a transition of the explicit engine."""

    sid: int
    tid: int  # -1: an invariant's observation
    pc: int
    instr: object
    guard: object  # path condition (z3 Bool or True)
    clock: object  # a z3 Int (values.clock)
    kind: str  # load store rmw lock unlock srcu_lock srcu_unlock sync_start sync_end alloc free fence observe
    events: list = field(default_factory=list)  # eids
    addr: object = None
    ok: object = True  # no fault at this step (the events happen under guard and ok)
    info: dict = field(default_factory=dict)


@dataclass
class Event:
    """A herd-style event: R, W or F, with its guard, address and value (values.py terms).

    The interface the memory-model compilers read (z3ax): eid, tid, kind, tags, guard, addr,
    value, step (its Step, which holds the clock), loc."""

    eid: int
    tid: int
    step: int
    kind: str  # R, W, F
    tags: frozenset
    guard: object
    addr: object = None
    value: object = None
    loc: SourceLoc | None = None
    label: str = ""


@dataclass
class Site:
    prop: str
    tid: int
    cond: object  # z3 Bool or Python bool: the path condition and the failure
    time: object  # a clock term: the clock of the step it belongs to (0: before every step)
    msg: str
    stops: bool
    loc: SourceLoc | None = None
    sid: int | None = None


@dataclass
class Access:
    """A shared access whose fault conditions execution.py defines (heap liveness, bounds)."""

    sid: int
    addr: object
    width: int
    writing: bool
    what: str
    null: object
    uaf: object
    bounds: object
    other: object  # access to another thread's local cell


@dataclass
class Obj:
    oid: int
    sid: int
    tid: int
    size: object  # cells (a value)
    fail: object  # z3 Bool or False
    site: int
    type_name: str


@dataclass
class Choice:
    """A nondeterministic choice of a thread (the explicit engine's choose()), in path order."""

    tid: int
    sid: int | None  # the step it follows (None: in the leading local steps)
    guard: object
    kind: str  # nondet, alloc
    var: object
    lo: int = 0


class _State:
    __slots__ = ("pc", "guard", "L", "held", "time", "loops", "last")

    def __init__(self, pc, guard, L, held, time, loops, last):
        self.pc, self.guard, self.L, self.held, self.time, self.loops, self.last = pc, guard, L, held, time, loops, last

    def copy(self, pc=None, guard=None):
        return _State(self.pc if pc is None else pc, self.guard if guard is None else guard, list(self.L),
                      dict(self.held), self.time, dict(self.loops), self.last)


def _merge_num(pairs):
    """If-chain of (guard, int-or-term) pairs (the last is the default)."""
    v = pairs[-1][1]
    for g, x in reversed(pairs[:-1]):
        if isinstance(x, int) and isinstance(v, int) and x == v:
            continue
        if not isinstance(x, int) and not isinstance(v, int) and x.eq(v):
            continue
        if g is True:
            v = x
            continue
        v = z3.If(V.B(g), V.clock_val(x) if isinstance(x, int) else x, V.clock_val(v) if isinstance(v, int) else v)
    return v


def _merge(states: list) -> _State:
    if len(states) == 1:
        return states[0]
    first = states[0]
    guard = OR(*[s.guard for s in states])
    L = []
    for k in range(len(first.L)):
        vals = [s.L[k] for s in states]
        v = vals[-1]
        for s, x in zip(reversed(states[:-1]), reversed(vals[:-1])):
            v = V.ite(s.guard, x, v)
        L.append(v)
    keys = set().union(*[s.held for s in states])
    held = {k: _merge_num([(s.guard, s.held.get(k, 0)) for s in states]) for k in keys}
    time = _merge_num([(s.guard, s.time) for s in states])
    last = None if any(s.last is None for s in states) or len({s.last for s in states}) > 1 else first.last
    loops: dict = {}
    for s in states:
        for h, n in s.loops.items():
            loops[h] = max(loops.get(h, 0), n)
    return _State(first.pc, guard, L, held, time, loops, last)


class Program:
    """The unrolled program: every thread's steps, events, sites, objects and choices."""

    def __init__(self, p: ir.Program, unwind: int = DEFAULT_UNWIND):
        self.ctx = V.new_run()  # the run's z3 context: every term below is made in it
        self.p = p
        self.unwind = unwind
        self.steps: list[Step] = []
        self.events: list[Event] = []
        self.sites: list[Site] = []
        self.accesses: list[Access] = []
        self.objs: list[Obj] = []
        self.frees: list = []  # (sid, ptr value, freed var)
        self.choices: list[Choice] = []
        self.cuts: list = []  # (tid, guard, time): unwinding assertions
        self.po: list = []  # (sid, sid): consecutive steps of a thread, in unrolling order
        self.ends: list = []  # (tid, guard, time): the thread's entry function returned
        self.constraints: list = []  # facts of the encoding itself (nondet ranges, lock reads)
        self.thread_names: list = []
        self.srcu: list = []  # (sid, kind, key, outer Bool): srcu_lock/srcu_unlock/sync_start/sync_end
        self.fault_vars = 0
        self.zero = V.clock_val(0)
        tid = 0
        for th in p.threads:
            for k in range(th.instances):
                self.thread_names.append(th.name if th.instances == 1 else f"{th.name}.{k}")
                _Thread(self, tid, th, k).run()
                tid += 1
        self.nthreads = tid
        self.T = V.clock("T")  # the horizon: a step happens when its clock is at most T
        self.observer_sites = observe_invariants(self, self.T + 1)  # the state after every step up to T

    def new_step(self, tid, pc, instr, guard, kind, clock=None) -> Step:
        sid = len(self.steps)
        st = Step(sid, tid, pc, instr, guard, clock if clock is not None else V.clock(f"c{sid}"), kind)
        self.steps.append(st)
        return st

    def new_event(self, step: Step, kind: str, tags, guard, addr=None, value=None, label="") -> Event:
        e = Event(len(self.events), step.tid, step.sid, kind, frozenset(tags), guard, addr, value,
                  step.instr.loc if step.instr is not None else None, label)
        self.events.append(e)
        step.events.append(e.eid)
        return e

    def fvar(self, what: str):
        self.fault_vars += 1
        return z3.Bool(f"{what}!{self.fault_vars}", self.ctx)


class _Thread:
    """The symbolic execution of one thread instance (or of an invariant, as an observer)."""

    def __init__(self, prog: Program, tid: int, th, instance: int, observer_time=None, code=None, nlocals=None,
                 inv=None):
        self.P = prog
        self.tid = tid
        self.th = th
        self.code = code if code is not None else th.code
        self.nlocals = nlocals if nlocals is not None else th.nlocals
        self.instance = instance
        self.ev = V.Evaluator(tid)
        self.own = ir.LOCAL_BASE - tid
        self.obs = observer_time  # an invariant: every read at this time, no steps of its own
        self.inv = inv
        self.prev_clock = None
        self.out_sites: list = prog.sites

    # -- helpers ------------------------------------------------------------------------
    def site(self, st: _State, prop: str, cond, msg: str, instr, stops: bool = True, sid=None) -> None:
        c = AND(st.guard, cond)
        if c is False:
            return
        if self.inv is not None:
            # an invariant's failure is seen in a state; it stops no thread
            prop = self.inv.prop if prop == self.inv.prop else prop
            msg = f"invariant {self.inv.func}() is false" if prop == self.inv.prop else f"{msg} (in invariant {self.inv.func}())"
            stops = False
        self.out_sites.append(Site(prop, self.tid, c, st.time, msg, stops, instr.loc, sid))
        if stops:
            st.guard = AND(st.guard, NOT(cond))

    def faults(self, st: _State, errs: list, instr) -> None:
        for cond, msg in errs:
            self.site(st, ir.P_ASSERT, cond, f"{msg} in: {instr.text}", instr)

    def step(self, st: _State, instr, kind: str) -> Step:
        if self.obs is not None:
            s = self.P.new_step(self.tid, st.pc, instr, st.guard, kind, self.obs)
            return s
        s = self.P.new_step(self.tid, st.pc, instr, st.guard, kind)
        s.info["before"] = st.time  # the thread's clock before it: it waits at s when before <= T < clock
        s.info["held"] = dict(st.held)  # (kind, lock) -> how many times the thread holds it before s
        s.info["locals"] = list(st.L)  # the thread's locals while it waits at s (no-leak's roots)
        self.P.constraints.append(s.clock >= 1)
        if self.prev_clock is not None:
            self.P.constraints.append(s.clock > self.prev_clock[1])
            self.P.po.append((self.prev_clock[0], s.sid))
        self.prev_clock = (s.sid, s.clock)
        st.time = s.clock
        st.last = s.sid
        return s

    def access(self, st: _State, s: Step, a, width: int, writing: bool, instr) -> None:
        """The fault checks of a shared access (the explicit engine's _locate), as Bool variables
        for heap addresses (defined in execution.py) and constants where the address is known."""
        what = getattr(instr, "what", "") or instr.text
        verb = "writing" if writing else "reading"
        bases = V.bases_of(a)
        if bases is not None and self.own in bases:
            raise Unsupported(f"line {instr.loc.line}: an access that may or may not be to the thread's own "
                              f"local variables ({instr.text})")
        if V.is_concrete(a):
            if a.__class__ is not tuple:
                msg = f"NULL pointer dereference: {verb} {what}" if a == 0 else f"dereference of an invalid pointer ({a}): {what}"
                self.site(st, ir.P_NULL, True, msg, instr, sid=s.sid)
                return
            base, off = a
            if base == ir.GLOBAL:
                if off < 0 or off + width > len(self.P.p.global_cells):
                    self.site(st, ir.P_BOUNDS, True, f"out-of-bounds access: {what}", instr, sid=s.sid)
                return
            if base < ir.GLOBAL:
                self.site(st, ir.P_ASSERT, True, f"access to another thread's local variable: {what}", instr, sid=s.sid)
                return
        acc = Access(s.sid, a, width, writing, what, self.P.fvar("null"), self.P.fvar("uaf"), self.P.fvar("oob"),
                     self.P.fvar("other"))
        self.P.accesses.append(acc)
        self.site(st, ir.P_NULL, acc.null, f"NULL pointer dereference: {verb} {what}", instr, sid=s.sid)
        self.site(st, ir.P_UAF, acc.uaf, f"use after free: {verb} {what}", instr, sid=s.sid)
        self.site(st, ir.P_BOUNDS, acc.bounds, f"out-of-bounds access: {what}", instr, sid=s.sid)
        self.site(st, ir.P_ASSERT, acc.other, f"access to another thread's local variable: {what}", instr, sid=s.sid)

    def own_local(self, a) -> bool:
        """Is a (certainly) a cell of this thread's locals? (A pointer read from shared memory
        never is: no local's address is ever stored there, check_store_value makes sure.)"""
        return V.bases_of(a) == {self.own}

    def check_store_value(self, v, instr) -> None:
        bases = V.bases_of(v)
        if bases is not None and any(b <= ir.LOCAL_BASE for b in bases if b != V.INT):
            raise Unsupported(f"line {instr.loc.line}: a pointer to a local variable is stored in shared memory")

    def lock_keys(self, a, instr) -> list:
        """[(address, condition)]: the cells a lock or srcu operation may name, each with the
        condition that it does (a merge of paths can leave a pointer an If of a few addresses)."""
        if V.is_concrete(a):
            return [(a, True)] if a.__class__ is tuple else []
        bases, offs = V.bases_of(a), V.offs_of(a)
        if bases is None or offs is None or len(bases) * len(offs) > 64:
            raise Unsupported(f"line {instr.loc.line}: a lock or srcu operation whose address is not fixed "
                              f"by the thread's own code ({instr.text})")
        return [((b, o), V.eq(a, (b, o))) for b in sorted(bases) for o in sorted(offs) if b != V.INT]

    # -- the run --------------------------------------------------------------------------
    def run(self) -> None:
        L = [0] * self.nlocals
        if self.th is not None and self.th.param_cell is not None:
            L[self.th.param_cell] = self.instance
        pending: dict[int, list] = {}
        cur = _State(0, True, L, {}, self.obs if self.obs is not None else self.P.zero, {}, None)
        while True:
            if cur is None or cur.guard is False:
                if not pending:
                    return
                pc = min(pending)
                cur = _merge(pending.pop(pc))
            elif cur.pc in pending:
                cur = _merge([cur] + pending.pop(cur.pc))
            if cur.guard is False:
                cur = None
                continue
            nxt = self.exec(cur)
            cur = None
            for s in nxt:
                if s.guard is False:
                    continue
                pending.setdefault(s.pc, []).append(s)
            # continue with the lowest pending point
            if pending:
                pc = min(pending)
                cur = _merge(pending.pop(pc))

    def goto(self, st: _State, frm: int, to: int) -> _State | None:
        if to <= frm:  # a back edge: one more iteration of the loop headed at `to`
            n = st.loops.get(to, 0) + 1
            if n > self.P.unwind:
                self.P.cuts.append((self.tid, st.guard, st.time, self.code[frm].loc))
                return None
            st.loops[to] = n
        else:
            st.loops.pop(to, None) if to in st.loops and not self._inside(st, to) else None
        st.pc = to
        return st

    def _inside(self, st, h) -> bool:
        return False

    def exec(self, st: _State) -> list:
        i = self.code[st.pc]
        pc = st.pc
        errs: list = []
        E = self.ev.ev
        if isinstance(i, ir.Assign):
            v = E(i.expr, st.L, errs)
            self.faults(st, errs, i)
            st.L[i.dst] = v
        elif isinstance(i, ir.Copy):
            st.L[i.dst:i.dst + i.width] = st.L[i.src:i.src + i.width]
        elif isinstance(i, ir.Kill):
            st.L[i.off:i.off + i.width] = [0] * i.width
        elif isinstance(i, ir.Branch):
            c = V.truth(E(i.cond, st.L, errs))
            self.faults(st, errs, i)
            if st.guard is False:
                return []
            out = []
            if c is True or c is False:
                s = self.goto(st, pc, i.target if c else i.other)
                return [s] if s is not None else []
            t = self.goto(st.copy(guard=AND(st.guard, c)), pc, i.target)
            o = self.goto(st.copy(guard=AND(st.guard, NOT(c))), pc, i.other)
            return [x for x in (t, o) if x is not None]
        elif isinstance(i, ir.Jump):
            s = self.goto(st, pc, i.target)
            return [s] if s is not None else []
        elif isinstance(i, ir.Load):
            a = E(i.addr, st.L, errs)
            self.faults(st, errs, i)
            if self.own_local(a):
                vals = self.local_read(st, a, i.width, i)
                if vals is not None:
                    st.L[i.dst:i.dst + i.width] = vals
            else:
                s = self.step(st, i, "observe" if self.obs is not None else "load")
                self.access(st, s, a, i.width, False, i)
                s.addr, s.ok = a, st.guard
                vals = []
                tag = _LOAD_TAGS.get(i.order, "once")
                for k in range(i.width):
                    v = V.fresh(f"r{len(self.P.events)}")
                    self.P.new_event(s, "R", (tag,), st.guard, _add(a, k), v, f"R[{tag}] {i.what}")
                    vals.append(v)
                st.L[i.dst:i.dst + i.width] = vals
        elif isinstance(i, ir.Store):
            self.no_observer(i)
            a = E(i.addr, st.L, errs)
            vals = [E(x, st.L, errs) for x in i.values]
            self.faults(st, errs, i)
            if self.own_local(a):
                self.local_write(st, a, vals, i)
            else:
                for v in vals:
                    self.check_store_value(v, i)
                s = self.step(st, i, "store")
                self.access(st, s, a, len(vals), True, i)
                s.addr, s.ok = a, st.guard
                tag = _STORE_TAGS.get(i.order, "once")
                for k, v in enumerate(vals):
                    self.P.new_event(s, "W", (tag,), st.guard, _add(a, k), v, f"W[{tag}] {i.what}")
        elif isinstance(i, ir.Rmw):
            self.no_observer(i)
            self.rmw(st, i, errs)
        elif isinstance(i, ir.Lock):
            self.no_observer(i)
            a = E(i.addr, st.L, errs)
            self.faults(st, errs, i)
            s = self.step(st, i, "lock")
            self.access(st, s, a, 1, False, i)
            keys = self.lock_keys(a, i)
            s.addr, s.ok = a, st.guard
            r = self.P.new_event(s, "R", ("LKR",), st.guard, a, V.fresh(f"r{len(self.P.events)}"), f"LKR {i.what}")
            self.P.new_event(s, "W", ("LKW",), st.guard, a, self.tid + 1, f"LKW {i.what}")
            s.info["lock_read"] = r.eid
            for key, c in keys:
                k = ("m", key)
                n = st.held.get(k, 0)
                st.held[k] = _ite_num(c, _inc(n, 1), n)
        elif isinstance(i, ir.Unlock):
            self.no_observer(i)
            a = E(i.addr, st.L, errs)
            self.faults(st, errs, i)
            keys = self.lock_keys(a, i)
            s = self.step(st, i, "unlock")
            self.site(st, ir.P_BADUNLOCK, OR(*[AND(c, _le0(st.held.get(("m", key), 0))) for key, c in keys]),
                      f"{i.kind}_unlock({i.what}) by a thread that does not hold it", i, sid=s.sid)
            self.access(st, s, a, 1, True, i)
            s.addr, s.ok = a, st.guard
            self.P.new_event(s, "W", ("UL",), st.guard, a, 0, f"UL {i.what}")
            for key, c in keys:
                n = st.held.get(("m", key), 0)
                st.held[("m", key)] = _ite_num(c, _inc(n, -1), n)
        elif isinstance(i, ir.SrcuReadLock):
            self.no_observer(i)
            a = E(i.addr, st.L, errs)
            self.faults(st, errs, i)
            s = self.step(st, i, "srcu_lock")
            self.access(st, s, a, 1, False, i)
            keys = self.lock_keys(a, i)
            s.addr, s.ok = a, st.guard
            self.P.new_event(s, "F", ("srcu_read_lock",), st.guard, a, None, f"srcu_read_lock {i.what}")
            for key, c in keys:
                n = st.held.get(("s", key), 0)
                self.P.srcu.append((s.sid, "lock", key, AND(st.guard, c, _le0(n))))
                st.held[("s", key)] = _ite_num(c, _inc(n, 1), n)
            if i.dst is not None:
                st.L[i.dst] = 0
        elif isinstance(i, ir.SrcuReadUnlock):
            self.no_observer(i)
            a = E(i.addr, st.L, errs)
            self.faults(st, errs, i)
            keys = self.lock_keys(a, i)
            s = self.step(st, i, "srcu_unlock")
            self.site(st, ir.P_BADUNLOCK, OR(*[AND(c, _le0(st.held.get(("s", key), 0))) for key, c in keys]),
                      f"srcu_read_unlock({i.what}) outside a read section", i, sid=s.sid)
            s.addr, s.ok = a, st.guard
            self.P.new_event(s, "F", ("srcu_read_unlock",), st.guard, a, None, f"srcu_read_unlock {i.what}")
            for key, c in keys:
                n = st.held.get(("s", key), 0)
                n1 = _inc(n, -1)
                self.P.srcu.append((s.sid, "unlock", key, AND(st.guard, c, _le0(n1))))
                st.held[("s", key)] = _ite_num(c, n1, n)
        elif isinstance(i, ir.SrcuSync):
            self.no_observer(i)
            a = E(i.addr, st.L, errs)
            self.faults(st, errs, i)
            s = self.step(st, i, "sync_start")
            self.access(st, s, a, 1, False, i)
            keys = self.lock_keys(a, i)
            s.addr, s.ok = a, st.guard
            self.P.new_event(s, "F", ("synchronize_srcu",), st.guard, a, None, f"synchronize_srcu {i.what}")
            e = self.step(st, i, "sync_end")
            e.addr, e.ok = a, st.guard
            s.info["end"] = e.sid
            e.info["start"] = s.sid
            for key, c in keys:
                self.P.srcu.append((s.sid, "sync", key, AND(st.guard, c)))
        elif isinstance(i, ir.Alloc):
            self.no_observer(i)
            n = E(i.count, st.L, errs)
            self.faults(st, errs, i)
            s = self.step(st, i, "alloc")
            if V.is_concrete(n):
                if n.__class__ is not int or n <= 0:
                    self.site(st, ir.P_ASSERT, True, f"allocation of {n} elements", i, sid=s.sid)
            else:
                _, o = V.parts(n)
                self.site(st, ir.P_ASSERT, z3.Or(NOT(V.is_int(n)), o <= 0), "allocation of a non-positive count", i,
                          sid=s.sid)
            s.ok = st.guard
            oid = len(self.P.objs)
            fail = z3.Bool(f"fail{oid}", self.P.ctx) if self.P.p.meta.faults > 0 else False
            size = n * i.elem_cells if V.is_concrete(n) else V.make(V.bvb(V.INT), V.parts(n)[1] * V.bv(i.elem_cells))
            self.P.objs.append(Obj(oid, s.sid, self.tid, size, fail, i.site, i.type_name))
            s.info["obj"] = oid
            if fail is not False:
                self.P.choices.append(Choice(self.tid, s.sid, st.guard, "alloc", fail))
            st.L[i.dst] = V.ite(fail, 0, (oid, 0)) if fail is not False else (oid, 0)
        elif isinstance(i, ir.Free):
            self.no_observer(i)
            p = E(i.ptr, st.L, errs)
            self.faults(st, errs, i)
            s = self.step(st, i, "free")
            s.addr = p
            freed = self.P.fvar("freed")
            bad = self.P.fvar("badfree")
            self.P.frees.append((s.sid, p, freed, bad))
            self.site(st, ir.P_DFREE, bad, f"double free or free of an invalid pointer: {i.what}", i, sid=s.sid)
            s.ok = st.guard
            s.info["freed"] = freed
        elif isinstance(i, ir.Assert):
            c = V.truth(E(i.cond, st.L, errs))
            self.faults(st, errs, i)
            what = "array index out of bounds in" if i.prop == ir.P_BOUNDS else "assertion failed:"
            self.site(st, i.prop, NOT(c), f"{what} {i.text}", i)
        elif isinstance(i, ir.AssertHeld):
            a = E(i.addr, st.L, errs)
            self.faults(st, errs, i)
            keys = self.lock_keys(a, i)
            self.site(st, i.prop, NOT(OR(*[AND(c, NOT(_le0(st.held.get(("m", key), 0)))) for key, c in keys])),
                      f"lockdep_assert_held({i.what}) fails: the thread does not hold it", i)
        elif isinstance(i, ir.Warn):
            c = V.truth(E(i.cond, st.L, errs))
            self.faults(st, errs, i)
            self.site(st, ir.P_WARN, c, f"WARN_ON fired: {i.text}", i, stops=False)
            if i.dst is not None:
                st.L[i.dst] = V.from_bool(c)
        elif isinstance(i, ir.Assume):
            c = V.truth(E(i.cond, st.L, errs))
            self.faults(st, errs, i)
            st.guard = AND(st.guard, c)
        elif isinstance(i, ir.Nondet):
            v = V.nondet_var(i.lo, i.hi)
            self.P.constraints.append(z3.And(v >= i.lo, v <= i.hi))
            self.P.choices.append(Choice(self.tid, st.last, st.guard, "nondet", v, i.lo))
            st.L[i.dst] = V.Sym(V.bvb(V.INT), v)
        elif isinstance(i, ir.Fence):
            self.no_observer(i)
            s = self.step(st, i, "fence")
            name = _FENCES.get(i.kind, i.kind)
            self.P.new_event(s, "F", (name,), st.guard, None, None, f"F[{name}]")
        elif isinstance(i, ir.End):
            if self.obs is None:
                for (kind, key), n in st.held.items():
                    held_as = "srcu read section on" if kind == "s" else "lock"
                    self.site(st, ir.P_LOCKLEAK, NOT(_le0(n)), f"thread ends holding {held_as} {key}", i, stops=False)
                self.P.ends.append((self.tid, st.guard, st.time))
            return []
        else:  # pragma: no cover
            raise Unsupported(f"instruction {type(i).__name__} is not encoded")
        if st.guard is False:
            return []
        st.pc = pc + 1
        st.loops.pop(pc + 1, None)  # entering a loop head from above starts its count afresh
        return [st]

    def no_observer(self, i) -> None:
        if self.obs is not None:
            raise Unsupported(f"line {i.loc.line}: an invariant that writes, locks or allocates ({i.text})")

    def rmw(self, st: _State, i, errs) -> None:
        from rmapcheck.engines.z3ev.rmw import rmw_values

        E = self.ev.ev
        x = E(i.operand, st.L, errs)
        e = E(i.expected, st.L, errs) if i.expected is not None else None
        a = E(i.addr, st.L, errs)
        self.faults(st, errs, i)
        if self.own_local(a):
            raise Unsupported(f"line {i.loc.line}: an atomic operation on a local variable")
        self.check_store_value(x, i)
        s = self.step(st, i, "rmw")
        self.access(st, s, a, 1, False, i)
        s.addr, s.ok = a, st.guard
        rt, wt = _RMW_TAGS[i.order]
        old = V.fresh(f"r{len(self.P.events)}")
        self.P.new_event(s, "R", (rt,), st.guard, a, old, f"R[{rt}] {i.what}")
        new, writes, result, bad = rmw_values(i.op, i.result, old, x, e)
        self.site(st, ir.P_ASSERT, bad, f"atomic arithmetic on a pointer in: {i.text}", i, sid=s.sid)
        w = self.P.new_event(s, "W", (wt,), AND(st.guard, writes), a, new, f"W[{wt}] {i.what}")
        s.info["rmw"] = (s.events[0], w.eid)
        if i.dst is not None:
            st.L[i.dst] = result

    def local_read(self, st, a, width, i):
        if V.is_concrete(a):
            off = a[1]
            if off < 0 or off + width > self.nlocals:
                self.site(st, ir.P_BOUNDS, True, f"out-of-bounds access: {getattr(i, 'what', '') or i.text}", i)
                return None
            return st.L[off:off + width]
        o = a.off
        self.site(st, ir.P_BOUNDS, z3.Or(o < 0, o + width > self.nlocals),
                  f"out-of-bounds access: {getattr(i, 'what', '') or i.text}", i)
        offs = self._offs(a, width)
        out = []
        for k in range(width):
            v = 0
            for j in offs:
                v = V.ite(o == V.bv(j), st.L[j + k], v)
            out.append(v)
        return out

    def _offs(self, a, width) -> list:
        offs = V.offs_of(a)
        rng = range(0, self.nlocals - width + 1)
        return sorted(j for j in offs if j in rng) if offs is not None else list(rng)

    def local_write(self, st, a, vals, i) -> None:
        width = len(vals)
        if V.is_concrete(a):
            off = a[1]
            if off < 0 or off + width > self.nlocals:
                self.site(st, ir.P_BOUNDS, True, f"out-of-bounds access: {getattr(i, 'what', '') or i.text}", i)
                return
            st.L[off:off + width] = vals
            return
        o = a.off
        self.site(st, ir.P_BOUNDS, z3.Or(o < 0, o + width > self.nlocals),
                  f"out-of-bounds access: {getattr(i, 'what', '') or i.text}", i)
        for j in self._offs(a, width):
            hit = o == V.bv(j)
            for k, v in enumerate(vals):
                st.L[j + k] = V.ite(hit, v, st.L[j + k])


def _add(a, k: int):
    if k == 0:
        return a
    if V.is_concrete(a):
        return (a[0], a[1] + k) if a.__class__ is tuple else a + k
    return V.make(a.base, a.off + V.bv(k))


def _inc(n, d: int):
    if isinstance(n, int):
        return n + d
    return z3.simplify(n + d)


def _ite_num(c, a, b):
    if c is True:
        return a
    if c is False:
        return b
    if isinstance(a, int) and isinstance(b, int) and a == b:
        return a
    return z3.If(c, a if not isinstance(a, int) else V.clock_val(a), b if not isinstance(b, int) else V.clock_val(b))


def _le0(n):
    if isinstance(n, int):
        return n <= 0
    return n <= 0


def observe_invariants(prog: Program, time) -> list:
    """Unroll every invariant's code as an observer that reads memory at `time` (it sees the
    writes of every step with a smaller clock): the sites where an invariant fails."""
    out = []
    for inv in prog.p.invariants:
        t = _Thread(prog, prog.nthreads, None, 0, observer_time=time, code=inv.code, nlocals=inv.nlocals, inv=inv)
        t.out_sites = out
        t.run()
    return out
