"""The transition function: run one thread from its resting point to the next.

A transition executes the thread's visible step (a shared access, a lock, an
allocation...) and then every local step after it, stopping before the next
visible one. Nondeterminism inside a transition (allocation failure, nondet
values) is resolved by a list of choices, so a transition label is
``(tid, choices)`` and replaying a trace is re-running its labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

from rmapcheck.engines.explicit.evaluator import EvalError, compile_expr
from rmapcheck.engines.explicit.state import HeapObj
from rmapcheck.errors import SourceLoc
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import live_in
from rmapcheck.ir.rmw import RmwError, new_value, result_value

LOCAL_STEP_LIMIT = 100_000

# --reduction: "none" schedules every visible step; "private" runs an allocation and a load,
# store or free of an object no other thread can reach (nor a global) inside the transition
# before it. Such a step commutes with every step of every other thread (none can reach its
# object until this thread publishes a pointer, itself a visible step), so moving it next to
# the step before it keeps every reachable state where the thread is not between the two
# (Lipton's reduction with a both-mover); invariants read through globals only, so they cannot
# tell. The fault budget of allocations is shared, but failures commute as a set.
# "movers" also runs inside the transition every step that is a left mover at that point
# (movers.Movers.left_mover): one that conflicts with no step the other threads can make from
# their current pcs (footprint.py: same location, one a write; an access of theirs made under a
# global lock this thread holds cannot happen meanwhile, nor any step of theirs after they take
# such a lock: their futures stop at that lock step (footprint.futures' barriers), since the
# lock stays held while this thread does not move; under sc a write of the value the cell
# holds changes nothing), that writes nothing an @invariant reads, and that cannot block (no
# lock, no synchronize_srcu; an srcu read section's start only while no other thread can still
# call synchronize_srcu on its domain, its end at any time: see below). An unlock of a held lock is one: the others' lock
# operations on it wait. Such a step moves left over everything the others do between the step
# before it and itself, so every execution is one of the reduced graph with the thread's steps
# made later; a state with the thread between the two shows nothing new: the invariants read
# the same, no thread is blocked on the mover, no other pending access conflicts with it (no
# race between pending accesses), lock-order edges are other threads' own, a leak stays one.
# A transition that begins with a lock (a right mover: no other thread's step between the lock
# and the next one can touch the lock) may also run one step that is no mover, if it is not a
# lock or synchronize_srcu (they may block, and a lock-order edge is read in the state before
# them), after movers only (Lipton: right movers, one step, left movers). The states it skips,
# after the lock, equal the state before it for every invariant (the lock writes nothing an
# invariant reads) and block nobody who could not also be blocked before it; a race between the
# skipped step and another thread's pending access is still met under ra by whichever of the
# two runs second (it reads or overwrites a message its thread has not seen).
# Two refinements of the conflicts. The end of an srcu read section is taken to commute with
# synchronize_srcu: ended before the grace period starts, the section is not waited for; ended
# after, it releases the waiter: either way the waiter goes on with the same memory, one wait
# step later at most, a step that touches nothing. Under sc the wait passes no view, so the two
# orders reach the same state. Under ra the waiter joins the reader's view when it waited for
# it, so the order that ends the section first reaches a state that differs only in smaller
# views (the waiter's, and what it hands on: the fence view F of its smp_mb, the views its later
# messages carry); in this view-based semantics smaller views allow every step larger ones do
# (a load may read, a store may enter coherence order, wherever it could; a data race is
# reported whenever it was; locks and srcu waits read no view), so from it the search reaches
# every violation the other order reaches, in as many steps or fewer (a simulation instead of
# an equality; a counterexample is still an execution of the model, replayed unreduced). The
# simulation has a direction: the movers reduction keeps the end early (a left mover), but a
# persistent set must not postpone the end past the grace period's start, so under ra the end
# reads the srcu domain in a thread's future (footprint.py; tests/models/unit/
# srcu_section_ended_before_gp.c is the execution that was lost). And,
# under sc only, a store of the value a cell holds changes no state: it conflicts only with
# others' writes of another value (as a read of that value does), and no invariant sees it.
# "persistent" explores the transitions of the movers reduction in persistent sets (Godefroid):
# at a state, the smallest set of enabled threads, closed under "may not commute with a
# transition of", where a transition conflicts with a thread when one of its steps that is no
# left mover (its first, and the step after a lock) conflicts with the thread's footprint from
# its pc (movers.Movers.dependents). A thread of the set that cannot move now (blocked at a
# lock or in synchronize_srcu) brings in the threads that may enable it (Movers.enablers: the
# readers it waits for; every thread whose future may write the lock's cell), as stubborn sets
# do with a disabled transition's necessary enabling set; only the set's threads that can move
# are expanded. Every step the threads outside can make commutes with every transition of the
# set, and none of them can unblock a blocked thread of the set, so any execution from the
# state either contains a transition of the set (it moves to the front) or can be prefixed with
# one (it leaves the others' states as they were); a set with a step that writes what an
# invariant reads, or whose cells are unknown, is none (every thread is expanded). The
# breadth-first cycle proviso (a set whose
# transitions lead to a state of depth <= the current one is not used) keeps a step from being
# postponed forever along a cycle. Deadlocks, lock-order edges (read in a thread's own state),
# assertions, invariants, leaks and races of the threads outside are met in the reduced graph
# with the set's transitions made earlier; allocation failures commute as a set.
REDUCTIONS = ("none", "private", "movers", "persistent")
DEFAULT_REDUCTION = "persistent"
ALLOC = "alloc"  # privf marker: an allocation, whose object is always fresh
# the visible steps that write no memory: what other threads can reach stays as it was
KEEPS_REACH = frozenset((ir.Load, ir.Fence, ir.SrcuReadLock, ir.SrcuReadUnlock))


class LocalStepLimit(Exception):
    """A thread (or an invariant) ran LOCAL_STEP_LIMIT local steps without a visible one: a
    limit of the engine, not a property of the model, so the run is incomplete."""


class NeedChoice(Exception):
    def __init__(self, n: int):
        self.n = n


class Stop(Exception):
    """The path ends here: a violation that aborts the thread (or an assume that fails)."""

    def __init__(self, prop: str | None, msg: str):
        self.prop = prop
        self.msg = msg


@dataclass
class Event:
    prop: str
    msg: str
    loc: SourceLoc | None
    tid: int | None = None


class Outcome:
    """What one transition does. (A plain class: one is made per transition.)"""

    __slots__ = ("state", "events", "remap", "heap_before", "dependents")

    def __init__(self, state, events=None, remap=None, heap_before=(), dependents=-1):
        self.state = state  # None: the path stops (violation or failed assume)
        # the threads (a bit mask; -1: all) a step of which may not commute with this
        # transition (the "persistent" reduction: see REDUCTIONS)
        self.dependents = dependents
        self.events = [] if events is None else events
        self.remap = {} if remap is None else remap  # heap renumbering done by canonicalisation
        self.heap_before = heap_before  # the heap as the step left it, before renumbering

    def __repr__(self) -> str:
        return f"Outcome(state={self.state!r}, events={self.events!r}, remap={self.remap!r})"


class Ctx:
    """Mutable working copy of the state during one transition."""

    __slots__ = ("G", "H", "T", "L", "held", "waiting", "faults", "tid", "choices", "ci", "events", "log",
                 "instr", "X", "mx", "pc", "mv", "fresh")

    def __init__(self, state, tid: int, choices: tuple, log):
        G, H, T, faults, X = state
        self.X = X  # the memory model's own part of the state (views, for ra)
        self.mx = None  # the memory model's working copy of X during the step
        self.G = list(G)
        self.H = list(H)
        self.T = T
        th = T[tid] if tid < len(T) else None
        self.L = list(th[1]) if th else []
        self.held = list(th[2]) if th else []
        self.waiting = th[3] if th else None
        self.faults = faults
        self.tid = tid
        self.choices = choices
        self.ci = 0
        self.events: list[Event] = []
        self.log = log
        self.instr = None
        self.pc = -1
        self.mv = None  # movers.Where of the running thread, once the movers ask (locks reset it)
        # None: a choice beyond choices raises NeedChoice; a list: it is taken as 0 and its
        # number of options appended (Executor.transitions enumerates the others)
        self.fresh = None

    def choose(self, n: int) -> int:
        if self.ci < len(self.choices):
            c = self.choices[self.ci]
            self.ci += 1
            return c
        if self.fresh is None:
            raise NeedChoice(n)
        self.fresh.append(n)
        return 0


class ThreadInfo:
    def __init__(self, th: ir.Thread, instance: int, tid: int):
        self.ir = th
        self.instance = instance
        self.tid = tid
        self.name = th.name if th.instances == 1 else f"{th.name}.{instance}"


class Executor:
    """Everything the search needs to know about a program, compiled once."""

    def __init__(self, program: ir.Program, memory=None, canonical_sources: bool = False,
                 reduction: str = "none", like: "Executor | None" = None):
        """canonical_sources: every state given to run() is canonical (the search's are), so a
        step that changes no pointer needs no heap scan (the memory model's canonicalize is
        given the state the step began in).

        like: an executor of the same program and memory model object whose compiled code this
        one shares (the handlers depend on nothing else): the executors that replay a search's
        counterexamples are the search's with other flags, and compiling is most of their cost.

        reduction "private": a visible step that only a thread-private heap object sees (an
        allocation, a load, store or free of an object no other thread and no global can
        reach) runs inside the transition before it, as a local step does (see REDUCTIONS)."""
        from rmapcheck.engines.explicit.memory import SCMemory

        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}")
        self.reduction = reduction
        self.fold = reduction != "none"
        self.p = program
        self.mem = memory or SCMemory(program)
        self.canonical_sources = canonical_sources  # the memory model may then skip the heap scan
        self.threads: list[ThreadInfo] = []
        for th in program.threads:
            for k in range(th.instances):
                self.threads.append(ThreadInfo(th, k, len(self.threads)))
        if like is not None:
            if like.p is not program or like.mem is not self.mem:
                raise ValueError("like: an executor of another program or memory model object")
            self._compiled, self.inv = like._compiled, like.inv
        else:
            self._compiled: dict[int, tuple] = {}
            for th in program.threads:
                if id(th) not in self._compiled:
                    self._compiled[id(th)] = self._compile_thread(th.code, th.escaped, th.nlocals)
            self.inv = [(inv, self._compile_thread(inv.code, frozenset(), inv.nlocals)) for inv in program.invariants]
        self._inv_cache: dict = {}
        self._inv_last: tuple = (None, None, None)  # (G, H, events) of the last look-up
        self.movers = None  # the left movers the fold also runs (see REDUCTIONS)
        self.persistent = reduction == "persistent"  # the search explores persistent sets
        self._reach = (None, -1, None)  # (state, tid, what the others reach there): run's others
        self._dep0 = (None, -1, -1)  # (state, tid, dependents of tid's first step there)
        if reduction in ("movers", "persistent"):
            from rmapcheck.engines.explicit.movers import Movers

            self.movers = Movers(self)

    # -- compilation ----------------------------------------------------------------
    def _compile_thread(self, code, escaped, nlocals):
        handlers = [self._handler(i, pc) for pc, i in enumerate(code)]
        visible = [ir.is_scheduling_point(i, self.mem.name) for i in code]
        addrf = [compile_expr(i.addr) if isinstance(i, (ir.Load, ir.Store, ir.Rmw)) else None for i in code]
        live_masks = live_in(code, escaped)
        zeroers: dict = {}  # one function per distinct mask: most pcs share theirs with their neighbours
        live = [zeroers.get(m) or zeroers.setdefault(m, _zero_dead(nlocals, m)) for m in live_masks]
        # the private-object reduction: how to find the object a visible step touches
        # (ALLOC: a fresh one), None: the step is never private
        privf = [ALLOC if isinstance(i, ir.Alloc) else compile_expr(i.ptr) if isinstance(i, ir.Free)
                 else addrf[pc] for pc, i in enumerate(code)]
        return handlers, visible, live, addrf, privf

    def _handler(self, i, pc: int):
        nxt = pc + 1
        ex = compile_expr
        mem = self.mem
        if isinstance(i, ir.Assign):
            f, d = ex(i.expr), i.dst

            def h(c):
                c.L[d] = f(c.L, c.tid)
                return nxt
        elif isinstance(i, ir.Copy):
            d, s, w = i.dst, i.src, i.width

            def h(c):
                c.L[d:d + w] = c.L[s:s + w]
                return nxt
        elif isinstance(i, ir.Kill):
            o, w = i.off, i.width
            zeros = [0] * w

            def h(c):
                c.L[o:o + w] = zeros
                return nxt
        elif isinstance(i, ir.Branch):
            f, t, o = ex(i.cond), i.target, i.other
            return lambda c: t if f(c.L, c.tid) else o
        elif isinstance(i, ir.Jump):
            t = i.target
            return lambda c: t
        elif isinstance(i, ir.Load):
            fa, d, w = ex(i.addr), i.dst, i.width

            def h(c):
                vals = mem.load(c, fa(c.L, c.tid), w, i)
                c.L[d:d + w] = vals
                return nxt
        elif isinstance(i, ir.Store):
            fa, fvs = ex(i.addr), [ex(v) for v in i.values]

            def h(c):
                mem.store(c, fa(c.L, c.tid), [f(c.L, c.tid) for f in fvs], i)
                return nxt
        elif isinstance(i, ir.Rmw):
            fa, fx, d = ex(i.addr), ex(i.operand), i.dst
            fe = ex(i.expected) if i.expected is not None else None
            op, res = i.op, i.result

            def h(c):
                x = fx(c.L, c.tid)
                e = fe(c.L, c.tid) if fe is not None else None
                try:
                    old, new = mem.rmw(c, fa(c.L, c.tid), i, lambda v: new_value(op, v, x, e))
                    r = result_value(res, old, new, x)
                except RmwError as err:
                    raise EvalError(str(err)) from None
                if d is not None:
                    c.L[d] = r
                return nxt
        elif isinstance(i, ir.Lock):
            fa = ex(i.addr)

            def h(c):
                a = fa(c.L, c.tid)
                mem.lock(c, a, i)
                c.held.append(("m", a, pc))
                c.mv = None
                return nxt
        elif isinstance(i, ir.Unlock):
            fa = ex(i.addr)

            def h(c):
                a = fa(c.L, c.tid)
                for k in range(len(c.held) - 1, -1, -1):
                    if c.held[k][0] == "m" and c.held[k][1] == a:
                        del c.held[k]
                        c.mv = None
                        break
                else:
                    raise Stop(ir.P_BADUNLOCK, f"{i.kind}_unlock({i.what}) by a thread that does not hold it")
                mem.unlock(c, a, i)
                return nxt
        elif isinstance(i, ir.SrcuReadLock):
            fa, d = ex(i.addr), i.dst

            def h(c):
                a = fa(c.L, c.tid)
                mem.check_addr(c, a, i)
                mem.srcu_read_lock(c, a)
                c.held.append(("s", a, pc))
                if d is not None:
                    c.L[d] = 0
                if c.log is not None:
                    c.log.append(("srcu_read_lock", i.what, None))
                return nxt
        elif isinstance(i, ir.SrcuReadUnlock):
            fa = ex(i.addr)

            def h(c):
                a = fa(c.L, c.tid)
                for k in range(len(c.held) - 1, -1, -1):
                    if c.held[k][0] == "s" and c.held[k][1] == a:
                        del c.held[k]
                        break
                else:
                    raise Stop(ir.P_BADUNLOCK, f"srcu_read_unlock({i.what}) outside a read section")
                if not any(x[0] == "s" and x[1] == a for x in c.held):
                    c.T = _release_srcu_waiters(c.T, a, c.tid, mem.srcu_unlock_view(c), mem.join_views)
                if c.log is not None:
                    c.log.append(("srcu_read_unlock", i.what, None))
                return nxt
        elif isinstance(i, ir.SrcuSync):
            fa = ex(i.addr)

            def h(c):
                a = fa(c.L, c.tid)
                if c.waiting is None:
                    mem.check_addr(c, a, i)
                    readers = frozenset(
                        u for u, th in enumerate(c.T)
                        if any(x[0] == "s" and x[1] == a for x in (c.held if u == c.tid else th[2]))
                    )
                    mem.srcu_sync_start(c, a)
                    if readers:
                        c.waiting = (a, readers, ())
                        if c.log is not None:
                            c.log.append(("srcu_wait", i.what, sorted(readers)))
                        return pc  # the grace period has started; wait for those readers
                view = c.waiting[2] if c.waiting is not None else ()
                c.waiting = None
                mem.srcu_sync_end(c, view)
                if c.log is not None:
                    c.log.append(("srcu_sync", i.what, None))
                return nxt
        elif isinstance(i, ir.Alloc):
            fn, d, site, cells = ex(i.count), i.dst, i.site, i.elem_cells

            def h(c):
                n = fn(c.L, c.tid)
                if n.__class__ is not int or n <= 0:
                    raise Stop(ir.P_ASSERT, f"allocation of {n} elements")
                if c.faults > 0 and c.choose(2) == 1:
                    c.faults -= 1
                    c.L[d] = 0
                    if c.log is not None:
                        c.log.append(("alloc_fail", i.type_name, None))
                    return nxt
                c.H.append(HeapObj(site, mem.new_cells(c, n * cells), True))
                c.L[d] = (len(c.H) - 1, 0)
                if c.log is not None:
                    c.log.append(("alloc", i.type_name, len(c.H) - 1))
                return nxt
        elif isinstance(i, ir.Free):
            fp = ex(i.ptr)

            def h(c):
                mem.free(c, fp(c.L, c.tid), i)
                return nxt
        elif isinstance(i, ir.Assert):
            f, prop = ex(i.cond), i.prop
            what = "array index out of bounds in" if prop == ir.P_BOUNDS else "assertion failed:"

            def h(c):
                if not f(c.L, c.tid):
                    raise Stop(prop, f"{what} {i.text}")
                return nxt
        elif isinstance(i, ir.AssertHeld):
            fa, prop = ex(i.addr), i.prop

            def h(c):
                a = fa(c.L, c.tid)
                if not any(k == "m" and x == a for k, x, _ in c.held):
                    raise Stop(prop, f"lockdep_assert_held({i.what}) fails: the thread does not hold it")
                return nxt
        elif isinstance(i, ir.Warn):
            f, d = ex(i.cond), i.dst

            def h(c):
                v = 1 if f(c.L, c.tid) else 0
                if v:
                    c.events.append(Event(ir.P_WARN, f"WARN_ON fired: {i.text}", i.loc, c.tid))
                if d is not None:
                    c.L[d] = v
                return nxt
        elif isinstance(i, ir.Assume):
            f = ex(i.cond)

            def h(c):
                if not f(c.L, c.tid):
                    raise Stop(None, "assumption does not hold")
                return nxt
        elif isinstance(i, ir.Nondet):
            d, lo, hi = i.dst, i.lo, i.hi

            def h(c):
                c.L[d] = lo + c.choose(hi - lo + 1)
                if c.log is not None:
                    c.log.append(("nondet", "", c.L[d]))
                return nxt
        elif isinstance(i, ir.Fence):
            kind = ir.fence_effect(i.kind)

            def h(c):
                mem.fence(c, kind)
                return nxt
        elif isinstance(i, ir.End):

            def h(c):
                for kind, a, hpc in c.held:
                    what = mem.describe_addr(c, a)
                    held_as = "srcu read section on" if kind == "s" else "lock"
                    c.events.append(Event(ir.P_LOCKLEAK, f"thread ends holding {held_as} {what}", i.loc, c.tid))
                return -1
        else:  # pragma: no cover
            raise TypeError(i)
        return h

    # -- states -------------------------------------------------------------------------
    def code_of(self, tid: int):
        return self.threads[tid].ir.code

    def initial_state(self) -> tuple:
        T = []
        for ti in self.threads:
            L = [0] * ti.ir.nlocals
            if ti.ir.param_cell is not None:
                L[ti.ir.param_cell] = ti.instance
            T.append((0, tuple(L), (), None))
        G = tuple(self.mem.initial_globals())
        return (G, (), tuple(T), self.p.meta.faults, self.mem.initial_extra(len(self.threads)))

    def initial_states(self):
        """Run each thread's leading local steps (they may branch), as transitions do.

        Returns [(state, events)]. A leading run that stops on a violation yields no
        state; it is kept in ``self.init_violations`` as (labels, events), where the labels
        are the leading runs from ``initial_state()`` (replayed with ``leading=True``).
        """
        states = [(self.initial_state(), [], [])]
        self.init_violations: list = []
        for tid in range(len(self.threads)):
            nxt = []
            for st, evs, labels in states:
                code = self.code_of(tid)
                if ir.is_scheduling_point(code[0], self.mem.name):
                    nxt.append((st, evs, labels))
                    continue
                for ch, out in self.transitions(st, tid, leading=True):
                    here = labels + [(tid, ch)]
                    if out.state is not None:
                        nxt.append((out.state, evs + out.events, here))
                    elif out.events:
                        self.init_violations.append((here, out.events))
            states = nxt
        return [(st, evs) for st, evs, _ in states]

    def enabled(self, state, tid: int) -> bool:
        th = state[2][tid]
        pc = th[0]
        if pc < 0:
            return False
        i = self.threads[tid].ir.code[pc]
        if isinstance(i, ir.Lock):
            return self.mem.lock_free(state, i, tid, th)
        if isinstance(i, ir.SrcuSync) and th[3] is not None:
            return not th[3][1]
        return True

    def transitions(self, state, tid: int, leading: bool = False, deps: bool = True):
        """Every (choices, Outcome) of thread tid from state, in a fixed order: depth first,
        each choice's options in order (deps: with their dependents, see run). A run takes
        option 0 at each choice its choices do not fix, so no run stops halfway at a choice;
        the other options of each such choice are run after it, the last choice's first."""
        stack = [()]
        while stack:
            ch = stack.pop()
            fresh: list = []
            out = self.run(state, tid, ch, None, leading, deps, fresh)
            for n in fresh:
                for c in range(n - 1, 0, -1):
                    stack.append(ch + (c,))
                ch += (0,)
            yield ch, out

    def run(self, state, tid: int, choices: tuple, log, leading: bool = False, deps: bool = True,
            fresh: list | None = None) -> Outcome:
        """deps: compute the Outcome's dependents (the "persistent" reduction; the search
        needs them only where it chooses among several threads). fresh: None, a choice beyond
        choices raises NeedChoice; a list, it takes option 0 and appends its number of options."""
        ti = self.threads[tid]
        handlers, visible, live, addrf, privf = self._compiled[id(ti.ir)]
        code = ti.ir.code
        c = Ctx(state, tid, choices, log)
        c.fresh = fresh
        pc = state[2][tid][0]
        first = not leading
        fold = self.fold and not leading  # leading runs stay as they are: the same initial states
        # the heap objects other threads can reach (memory.reachable_by_others), once a step
        # asks; None: not known. Only a step that writes memory can change them (a private
        # step's object is none of theirs), and before the first step they are the state's
        # (kept for the thread's other runs from it: its other choices)
        reach = self._reach
        oth = reach[2] if reach[0] is state and reach[1] == tid else None
        at_start = True

        def others():
            nonlocal oth
            if oth is None:
                oth = self.mem.reachable_by_others(c.G, c.H, c.T, tid)
                if at_start:
                    self._reach = (state, tid, oth)
            return oth

        movers = self.movers if fold else None
        right = False  # the transition began with a lock, and has run no step but movers since
        # the threads whose future steps may not commute with the steps so far ("persistent")
        dep = -1
        deps = deps and self.persistent
        steps = 0
        own = ir.LOCAL_BASE - tid
        try:
            while True:
                if not first and visible[pc]:
                    # A load or store of the thread's own locals (through a pointer) is local.
                    f = addrf[pc]
                    a = f(c.L, tid) if f is not None else None
                    if a.__class__ is not tuple or a[0] != own:
                        if not fold:
                            break
                        g = privf[pc]
                        private = g is not None
                        if g is not None and g is not ALLOC:
                            a = g(c.L, tid) if f is None else a
                            if a.__class__ is not tuple or a[0] < 0 or a[0] >= len(c.H) or not c.H[a[0]].alive:
                                private = False
                            else:
                                private = a[0] not in others()
                        if not private:
                            ins = code[pc]
                            if movers is None:
                                break
                            if movers.left_mover(c, ins, others, pc):
                                if ins.__class__ is ir.Unlock:
                                    right = False
                            elif right and movers.after_lock(ins):
                                right = False  # the one step after the lock that is no mover
                                if dep != -1:
                                    dep |= movers.dependents(c, ins, others, pc)
                            else:
                                break
                            if ins.__class__ not in KEEPS_REACH:
                                oth = None  # it may change what others reach: look again
                        if log is not None:
                            log.append(("fold", pc, c.ci))
                if first and movers is not None:
                    # a lock is a right mover: the transition it begins may run one step that is
                    # no mover (see REDUCTIONS)
                    right = code[pc].__class__ is ir.Lock and movers.right_mover(c, code[pc], others)
                    if deps:
                        dep = self._first_dependents(state, tid, c, pc, others)
                if first:
                    at_start = False
                    if code[pc].__class__ not in KEEPS_REACH:
                        oth = None
                first = False
                c.instr = code[pc]
                c.pc = pc
                if log is not None:
                    log.append(("step", pc, None))
                try:
                    npc = handlers[pc](c)
                except EvalError as e:
                    raise Stop(ir.P_ASSERT, f"{e} in: {code[pc].text}") from None
                if npc < 0 or npc == pc:
                    pc = npc
                    break
                pc = npc
                steps += 1
                if steps > LOCAL_STEP_LIMIT:
                    raise LocalStepLimit(f"thread {ti.name} ran more than {LOCAL_STEP_LIMIT} local steps without a visible one")
                if log is not None:
                    continue
                # The local steps up to the next visible one, in a loop of their own: they need
                # no scheduling decision and no log, and none reads c.instr or c.pc, which are
                # set only when one fails (a failure's location). Same steps, same order.
                while not visible[pc]:
                    try:
                        npc = handlers[pc](c)
                    except EvalError as e:
                        c.instr = code[pc]
                        raise Stop(ir.P_ASSERT, f"{e} in: {code[pc].text}") from None
                    except Stop:
                        c.instr = code[pc]
                        raise
                    if npc < 0 or npc == pc:
                        break
                    pc = npc
                    steps += 1
                    if steps > LOCAL_STEP_LIMIT:
                        raise LocalStepLimit(f"thread {ti.name} ran more than {LOCAL_STEP_LIMIT} local steps without a visible one")
                else:
                    continue
                pc = npc
                break
        except Stop as s:
            if s.prop is None:
                return Outcome(None, [], None, (), dep)
            loc = c.instr.loc if c.instr is not None else None
            c.events.append(Event(s.prop, s.msg, loc, tid))
            return Outcome(None, c.events, {}, tuple(c.H), dep)
        if pc < 0:
            L = ()
        else:
            # dead locals are zeroed, so that states differing only in them are one state
            L = live[pc](c.L)
        T = list(c.T)
        T[tid] = (pc, L, tuple(c.held), c.waiting)
        X = self.mem.finish_step(c, pc < 0)
        # a step that changed no global (no heap object) keeps its source's tuple: equal values,
        # so the same state, but later comparisons and memos find it by identity
        G, H, T2 = tuple(c.G), tuple(c.H), tuple(T)
        if G == state[0]:
            G = state[0]
        if H == state[1]:
            H = state[1]
        G, H, T2, X, leaked, remap = self.mem.canonicalize(G, H, T2, X, state if self.canonical_sources else None,
                                                           tid)
        for obj in leaked:
            site = self.p.sites[c.H[obj].site]
            c.events.append(Event(ir.P_LEAK, f"{site.type_name} allocated at {site.loc.where} ({site.func}) is no longer reachable", site.loc, tid))
        if log is None:
            return Outcome((G, H, T2, c.faults, X), c.events, None, (), dep)
        return Outcome((G, H, T2, c.faults, X), c.events, remap, tuple(c.H), dep)

    def _first_dependents(self, state, tid: int, c, pc: int, others) -> int:
        """movers.dependents of the first step of tid's transition from state: a function of
        the two alone, so the thread's other runs from the state (its other choices) reuse it."""
        d = self._dep0
        if d[0] is state and d[1] == tid:
            return d[2]
        dep = self.movers.dependents(c, self.threads[tid].ir.code[pc], others, pc)
        self._dep0 = (state, tid, dep)
        return dep

    # -- invariants -------------------------------------------------------------------------
    def check_invariants(self, state) -> list:
        """Evaluate every @invariant on a state. They read memory only, so results are
        memoised on the memory part of the state (many states share it): the globals and the
        heap (the memory model's part, views under ra, is no key: an invariant reads as an
        observer outside every thread, who sees the latest values whatever the views)."""
        if not self.inv:
            return []
        G, H = state[0], state[1]
        last = self._inv_last
        if last[0] is G and last[1] is H:
            return last[2]  # the same objects as the last state's (a step kept its source's)
        key = (G, H)
        hit = self._inv_cache.get(key)
        if hit is None:
            if len(self._inv_cache) > 200_000:
                self._inv_cache.clear()
            hit = self._inv_cache[key] = self._eval_invariants(state)
        self._inv_last = (G, H, hit)
        return hit

    def _eval_invariants(self, state) -> list:
        out = []
        pseudo = len(self.threads)
        for inv, (handlers, _, _, _, _) in self.inv:
            c = Ctx(state, pseudo, (), None)
            c.mx = self.mem.observer()
            c.L = [0] * inv.nlocals
            pc, steps = 0, 0
            try:
                while pc >= 0:
                    c.instr = inv.code[pc]
                    try:
                        pc = handlers[pc](c)
                    except EvalError as e:
                        raise Stop(ir.P_ASSERT, str(e)) from None
                    steps += 1
                    if steps > LOCAL_STEP_LIMIT:
                        raise LocalStepLimit(f"invariant {inv.func}() ran more than {LOCAL_STEP_LIMIT} steps")
            except Stop as s:
                if s.prop is not None:
                    prop = inv.prop if s.prop == inv.prop else s.prop
                    msg = f"invariant {inv.func}() is false" if s.prop == inv.prop else f"{s.msg} (in invariant {inv.func}())"
                    out.append(Event(prop, msg, c.instr.loc if c.instr else None))
        return out

    def pending_access(self, state, tid: int):
        """(cell, is_write, is_plain, instr) of the shared access thread tid is about to make."""
        th = state[2][tid]
        if th[0] < 0:
            return None
        i = self.threads[tid].ir.code[th[0]]
        if not isinstance(i, (ir.Load, ir.Store, ir.Rmw)) or not self.enabled(state, tid):
            return None
        a = self.mem.addr(i, th[1], tid)
        if a.__class__ is not tuple or a[0] < ir.GLOBAL:
            return None
        return (a, not isinstance(i, ir.Load), i.order == ir.PLAIN, i)

    def lock_edges(self, state, tid: int):
        """Lock-order edges (held -> wanted) of thread tid about to lock or synchronize_srcu."""
        th = state[2][tid]
        if th[0] < 0 or not th[2]:
            return ()
        i = self.threads[tid].ir.code[th[0]]
        if isinstance(i, ir.Lock):
            target_kind = "lock"
        elif isinstance(i, ir.SrcuSync) and th[3] is None:
            target_kind = "sync"
        else:
            return ()
        a = self.mem.addr(i, th[1], tid)
        return tuple((kind, h, hpc, target_kind, a, th[0]) for kind, h, hpc in th[2])


def _zero_dead(nlocals: int, mask: int):
    """A function from the locals (a list) to their tuple with the dead ones (not in mask) zeroed."""
    def slow(L: list) -> tuple:
        return tuple(v if (mask >> k) & 1 else 0 for k, v in enumerate(L))

    if nlocals < 2:
        return slow
    # one C call: live local k is picked from index k, a dead one from the 0 appended at the end
    get = itemgetter(*[k if (mask >> k) & 1 else nlocals for k in range(nlocals)])

    def zero(L: list) -> tuple:
        if len(L) != nlocals:
            return slow(L)
        L.append(0)
        out = get(L)
        L.pop()
        return out

    return zero


def _release_srcu_waiters(T: tuple, addr, tid: int, view, join) -> tuple:
    """A reader left its last section on addr: synchronize_srcu callers stop waiting for it
    (and, under weak memory, learn what the reader had seen)."""
    out = list(T)
    changed = False
    for u, th in enumerate(T):
        w = th[3]
        if w is not None and w[0] == addr and tid in w[1]:
            out[u] = (th[0], th[1], th[2], (w[0], w[1] - {tid}, join(w[2], view)))
            changed = True
    return tuple(out) if changed else T
