"""Left movers: the steps the "movers" reduction runs inside the transition before them.

A step of thread t is a left mover at a point of its transition when it commutes with every
step the other threads can make from where they stand (their pcs do not change while t runs):
footprint.Future over-approximates what each of them may still access from its pc, and two
accesses conflict when they name one location and one of them writes it, unless the other
thread's access happens under a global lock t holds (it cannot happen while t holds it), or,
under sc, every write of the other thread there stores the value the cell holds now (t reads
the same either way). A heap object that no other thread can reach
(memory.reachable_by_others) is t's alone. The step must also write nothing an @invariant
reads and must not block (a lock, synchronize_srcu). An unlock of a lock t holds is one: the
others' lock operations on it cannot run meanwhile. The executor's REDUCTIONS comment gives
the argument that the reduction changes no verdict.
"""

from __future__ import annotations

from rmapcheck.engines.explicit.footprint import ANY, FENCE, UNGUARDED, UNKNOWN, R, W, footprints_of
from rmapcheck.engines.explicit.evaluator import EvalError, compile_expr
from rmapcheck.ir import nodes as ir

STOPS = None  # the footprint of a step that cannot run (it faults): never a mover


class Movers:
    def __init__(self, ex):
        self.ex = ex
        self.mem = ex.mem
        self.ra = ex.mem.name != "sc"
        self.fp = footprints_of(ex.p, ex.mem.name)
        self.fut = [self.fp.future[id(ti.ir.code)] for ti in ex.threads]
        self.inv = self.fp.invariant_reads if ex.inv else None
        self._free_ptr: dict[int, object] = {}
        self._values: dict[int, list] = {}  # a store's compiled value expressions
        self._masks: dict = {}  # _mask's answers
        self._fut_held: dict = {}  # held global locks -> per thread, futures_with them

    # -- the step a thread is about to make, concretely ------------------------------------
    def _key(self, H, tid: int, a, others):
        """(region, offset) of a concrete address, () for an unshared one (the thread's own
        locals, a heap object no other thread can reach), STOPS for a faulting one."""
        if a.__class__ is not tuple:
            return STOPS
        base, off = a
        if base == ir.GLOBAL:
            return (ir.GLOBAL, off)
        if base >= 0:
            if base >= len(H) or not H[base].alive:
                return STOPS
            if base not in others():
                return ()
            return (H[base].site, off)
        if base == ir.LOCAL_BASE - tid:
            return ()
        return STOPS

    def _same_values(self, G, H, a, i, L, tid: int) -> list:
        """Under sc, per cell a store writes: the value, if it is the value the cell holds
        already, else UNKNOWN (under ra a store adds a message: never the same)."""
        if self.ra:
            return []
        f = self._values.get(id(i))
        if f is None:
            f = self._values[id(i)] = [compile_expr(v) for v in i.values]
        cells = G if a[0] == ir.GLOBAL else H[a[0]].cells
        out = []
        for j, fv in enumerate(f):
            k = a[1] + j
            if k >= len(cells):
                return out
            try:
                v = fv(L, tid)
            except EvalError:
                return out  # the store itself faults: its own transition says so
            cur = cells[k]
            out.append(v if v == cur and v.__class__ is cur.__class__ else UNKNOWN)
        return out

    def accesses(self, G, H, T, tid: int, L, i):
        """The (region, offset, mode) step i of tid makes from G, H, T and its locals L, or
        STOPS. A plain access also names the lock space of its cell (lock operations write
        there), a lock operation the plain space (a plain access of a lock cell)."""
        cache = []

        def others():
            if not cache:
                cache.append(self.mem.reachable_by_others(G, H, T, tid))
            return cache[0]

        if isinstance(i, (ir.Load, ir.Store, ir.Rmw, ir.Lock, ir.Unlock)):
            a = self.mem.addr(i, L, tid)
            k = self._key(H, tid, a, others)
            if k is STOPS:
                return STOPS
            out = []
            if k:
                r, o = k
                if isinstance(i, (ir.Lock, ir.Unlock)):
                    out = [(("lock", r), o, W), (r, o, W)]
                elif isinstance(i, ir.Load):
                    # under sc, the value it reads (a write of that same value commutes with it)
                    base = a[0]
                    cells = G if base == ir.GLOBAL else H[base].cells
                    for j in range(i.width):
                        cur = cells[a[1] + j] if not self.ra and a[1] + j < len(cells) else UNKNOWN
                        out += [(r, o + j, R, cur), (("lock", r), o + j, R)]
                else:
                    width = len(i.values) if isinstance(i, ir.Store) else 1
                    same = self._same_values(G, H, a, i, L, tid) if isinstance(i, ir.Store) else ()
                    for j in range(width):
                        if j < len(same) and same[j] is not UNKNOWN:
                            # under sc, a store of the value the cell holds changes nothing: it
                            # is a read of that value (it commutes with what a read does)
                            out += [(r, o + j, R, same[j]), (("lock", r), o + j, W)]
                        else:
                            out += [(r, o + j, W), (("lock", r), o + j, W)]
            if self.ra and isinstance(i, ir.Rmw) and i.order == ir.MB:
                out.append((FENCE, 0, W))
            return out
        if isinstance(i, ir.SrcuReadUnlock):
            return []  # it moves before synchronize_srcu (executor REDUCTIONS)
        if isinstance(i, (ir.SrcuReadLock, ir.SrcuSync)):
            a = self.mem.addr(i, L, tid)
            if a.__class__ is not tuple or a[0] < ir.GLOBAL:
                return STOPS
            region = ir.GLOBAL if a[0] == ir.GLOBAL else H[a[0]].site if a[0] < len(H) else None
            if region is None:
                return STOPS
            sync = isinstance(i, ir.SrcuSync)
            out = [(("srcu", region), a[1], W if sync else R)]
            if sync and self.ra:
                out.append((FENCE, 0, W))
            return out
        if isinstance(i, ir.Free):
            f = self._free_ptr.get(id(i))
            if f is None:
                f = self._free_ptr[id(i)] = compile_expr(i.ptr)
            p = f(L, tid)
            if p == 0:
                return []
            k = self._key(H, tid, p, others)
            if k is STOPS:
                return STOPS
            return [(k[0], ANY, W), (("lock", k[0]), ANY, W)] if k else []
        if isinstance(i, ir.Fence):
            return [(FENCE, 0, W)] if self.ra and ir.fence_effect(i.kind) == "mb" else []
        if isinstance(i, ir.Alloc):
            return []  # a fresh object; the fault budget is checked apart
        return STOPS  # pragma: no cover - every visible instruction is listed above

    def conflict(self, T, tid: int, acc, held: frozenset) -> bool:
        """Does one of the accesses conflict with a step another thread may still make (from
        its pc in T), or write what an invariant reads?"""
        pcs = self._pcs(T, tid)
        mask = self._mask
        for x in acc:
            if mask(x, held, pcs):
                return True
        return False

    @staticmethod
    def _pcs(T, tid: int) -> tuple:
        """The pcs of the threads other than tid (-1: tid itself, or a thread that ended)."""
        return tuple([th[0] if u != tid else -1 for u, th in enumerate(T)])

    def _mask(self, x, held: frozenset, pcs: tuple) -> int:
        """The threads (a bit mask; -1: every thread) whose future, from their pcs, has a step
        that access x (region, offset, mode[, value held]) of a thread holding the global locks
        held does not commute with; -1 if x writes what an invariant reads. Memoised: the
        footprints are static, and the same accesses meet the same pcs in state after state."""
        key = (x, held, pcs)
        hit = self._masks.get(key)
        if hit is not None:
            return hit
        r, o, m = x[0], x[1], x[2]
        cur = x[3] if len(x) > 3 else UNKNOWN
        if m == W and self.inv is not None and self.inv.conflicts(r, o, W, UNGUARDED):
            out = -1
        else:
            out = 0
            # while this thread holds global locks, the others' futures stop at a lock of one
            fut = self.fut if not held else self._futures_with(held)
            for u, pc in enumerate(pcs):
                if pc >= 0 and fut[u][pc].conflicts(r, o, m, held, cur):
                    out |= 1 << u
        if len(self._masks) > 500_000:
            self._masks.clear()
        self._masks[key] = out
        return out

    def _futures_with(self, held: frozenset) -> list:
        f = self._fut_held.get(held)
        if f is None:
            codes = [ti.ir.code for ti in self.ex.threads]
            f = self._fut_held[held] = [self.fp.futures_with(code, held) for code in codes]
        return f

    def right_mover(self, c, i) -> bool:
        """Is lock step i, the first of a transition, a right mover: can no other thread's
        step touch its cell (their lock operations on it wait for the holder) and no invariant
        read it? Then the transition may run one step that is no mover (after_lock)."""
        acc = self.accesses(c.G, c.H, c.T, c.tid, c.L, i)
        if acc is STOPS:
            return False
        acc = [x for x in acc if x[0].__class__ is not tuple or x[0][0] != "lock"]
        return not self.conflict(c.T, c.tid, acc, frozenset())

    @staticmethod
    def after_lock(i) -> bool:
        """May step i, no mover, end a transition that began with a lock and ran only movers
        since (Lipton: right movers, one step, left movers)? Not a lock or synchronize_srcu:
        they may block, and a lock-order edge is read in the state before them."""
        return not isinstance(i, (ir.Lock, ir.SrcuSync))

    # -- left movers (the fold) -----------------------------------------------------------------
    def left_mover(self, c, i) -> bool:
        """Can step i of the running thread (working state c) run inside the transition before
        it? Yes when it commutes with every step another thread may make meanwhile (executor
        REDUCTIONS): it conflicts with none of them (a lock the thread holds guards), writes
        nothing an invariant reads, and cannot block (a lock, synchronize_srcu). An srcu read
        section's start is one while no other thread can still call synchronize_srcu on its
        domain (the two do not commute: a grace period waits for the sections begun before
        it); its end always is (executor REDUCTIONS)."""
        if isinstance(i, (ir.Lock, ir.SrcuSync)):
            return False
        if isinstance(i, ir.Alloc):
            return True  # fresh object; failures commute as a set (see REDUCTIONS)
        held = frozenset(a[1] for kind, a, _ in c.held
                         if kind == "m" and a.__class__ is tuple and a[0] == ir.GLOBAL)
        acc = self.accesses(c.G, c.H, c.T, c.tid, c.L, i)
        if acc is STOPS:
            return False
        if isinstance(i, ir.Unlock):
            a = self.mem.addr(i, c.L, c.tid)
            if not any(k == "m" and x == a for k, x, _ in c.held):
                return False  # a bad unlock: its own transition
            acc = [x for x in acc if x[0].__class__ is not tuple or x[0][0] != "lock"]
        return not self.conflict(c.T, c.tid, acc, held)

    def dependents(self, c, i) -> int:
        """The threads (a bit mask; -1: every thread) whose future steps may not commute with
        step i of the running thread (working state c), for the "persistent" reduction: those
        whose footprint conflicts with it (a global lock the thread holds guards, as for left
        movers; a lock operation conflicts with the others' operations on that lock, unless it
        is an unlock of a lock the thread holds: theirs cannot run meanwhile); every thread if
        it writes what an invariant reads or its cells are unknown."""
        if isinstance(i, ir.Alloc):
            return 0  # a fresh object; failures commute as a set (see REDUCTIONS)
        acc = self.accesses(c.G, c.H, c.T, c.tid, c.L, i)
        if acc is STOPS:
            return -1
        if isinstance(i, ir.Unlock):
            a = self.mem.addr(i, c.L, c.tid)
            if not any(k == "m" and x == a for k, x, _ in c.held):
                return -1  # a bad unlock
            acc = [x for x in acc if x[0].__class__ is not tuple or x[0][0] != "lock"]
        held = frozenset(a[1] for kind, a, _ in c.held
                         if kind == "m" and a.__class__ is tuple and a[0] == ir.GLOBAL)
        pcs = self._pcs(c.T, c.tid)
        out = 0
        for x in acc:
            m = self._mask(x, held, pcs)
            if m == -1:
                return -1
            out |= m
        return out

    def enablers(self, state, tid: int) -> int:
        """The threads (a bit mask; -1: unknown) whose steps may enable thread tid, blocked
        at a lock or in synchronize_srcu (the "persistent" reduction's necessary enabling
        set): the readers it waits for, or every thread that may still write the lock's
        cell (its lock operations, a plain store, a free of its object: footprints)."""
        th = state[2][tid]
        i = self.ex.threads[tid].ir.code[th[0]]
        if isinstance(i, ir.SrcuSync):
            if th[3] is None:
                return -1
            mask = 0
            for u in th[3][1]:
                mask |= 1 << u
            return mask
        if not isinstance(i, ir.Lock):
            return -1
        acc = self.accesses(state[0], state[1], state[2], tid, th[1], i)
        if acc is STOPS:
            return -1
        pcs = self._pcs(state[2], tid)
        mask = 0
        for x in acc:
            for u, pc in enumerate(pcs):
                if pc >= 0 and self.fut[u][pc].conflicts(x[0], x[1], W, UNGUARDED):
                    mask |= 1 << u
        return mask

    # -- A1 and A2 ---------------------------------------------------------------------------
