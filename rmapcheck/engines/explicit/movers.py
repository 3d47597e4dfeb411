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
NO_LOCKS = frozenset()


class Where:
    """Where the running thread stands, as far as the movers' answers go: the thread, the
    global locks it holds, the other threads' pcs (footprints do the rest). Interned by
    Movers.where_of, so the runs from states alike share its memos: per access, the threads
    it conflicts with (Movers._mask); per pc, the static answer (Movers.static_mask)."""

    __slots__ = ("tid", "held", "pcs", "fut", "masks", "static")

    def __init__(self, tid: int, held: frozenset, pcs: tuple, fut: list):
        self.tid, self.held, self.pcs = tid, held, pcs
        self.fut = fut  # per thread, its futures while tid holds held (their barriers)
        self.masks: dict = {}
        self.static: dict = {}


class Movers:
    def __init__(self, ex):
        self.threads = ex.threads  # not ex itself: no cycle, so an executor goes when its run ends
        self.mem = ex.mem
        self.ra = ex.mem.name != "sc"
        self.fp = footprints_of(ex.p, ex.mem.name)
        self.fut = [self.fp.future[id(ti.ir.code)] for ti in ex.threads]
        self.inv = self.fp.invariant_reads if ex.inv else None
        self._free_ptr: dict[int, object] = {}
        self._values: dict[int, list] = {}  # a store's compiled value expressions
        self._fut_held: dict = {}  # held global locks -> per thread, futures_with them
        self._wheres: dict = {}  # (tid, held, pcs) -> Where
        self._pairs: dict = {}  # _static_pair's answers
        self._static_acc: dict = {}  # (tid, pc) -> what the step may access, over every run

    # -- the step a thread is about to make, statically ------------------------------------
    def _step_accesses(self, tid: int, pc: int) -> list:
        """Every (region, offset, mode) the step at pc of tid may make in any state (its
        footprint alone, footprint.own_accesses), named as accesses() names a concrete one: a
        superset of what accesses() gives for the step anywhere (an offset the footprint
        knows only as a range: ANY). A lock operation's plain space and a plain access's lock
        space are added as accesses() adds them; an unlock's lock space is left out (static_mask
        answers only for an unlock of a lock the thread holds)."""
        key = (tid, pc)
        acc = self._static_acc.get(key)
        if acc is not None:
            return acc
        code = self.threads[tid].ir.code
        i = code[pc]
        lockop = isinstance(i, (ir.Lock, ir.Unlock))
        plain = isinstance(i, (ir.Load, ir.Store, ir.Rmw))
        found = set()
        for r, d in self.fp.own_of(code)[pc].cells.items():
            for o, (rs, ws, _) in d.items():
                q = o if o.__class__ is int or o is ANY else ANY
                m = W if ws else R
                if r.__class__ is tuple and r[0] == "lock":
                    if lockop:
                        found.add((r[1], q, W))  # a lock operation writes the plain space too
                        if isinstance(i, ir.Unlock):
                            continue
                elif plain and r != FENCE:
                    found.add((("lock", r), q, m))
                found.add((r, q, m))
        acc = self._static_acc[key] = sorted(found, key=repr)
        return acc

    def static_mask(self, w: Where, pc: int) -> int:
        """The threads (a bit mask; -1: every thread) whose future from w's pcs has a step
        that some access the step at pc of w's thread may make (holding w's locks) does not
        commute with, or -1 if it may write what an invariant reads: a superset of the
        concrete answer in any state where the threads stand as w says, so 0 answers for all."""
        out = w.static.get(pc)
        if out is None:
            tid, held = w.tid, w.held
            out = -1 if self._writes_invariant(tid, pc) else 0
            pair = self._static_pair
            for u, pcu in enumerate(w.pcs):
                if out == -1:
                    break
                if pcu >= 0:
                    out |= pair(tid, pc, held, u, pcu)
            w.static[pc] = out
        return out

    def _static_pair(self, tid: int, pc: int, held: frozenset, u: int, pcu: int) -> int:
        """static_mask for one other thread u at pcu (invariants aside): 1 << u or 0."""
        key = (tid, pc, held, u, pcu)
        out = self._pairs.get(key)
        if out is None:
            fut = (self.fut if not held else self._futures_with(held))[u][pcu]
            out = 0
            for r, o, m in self._step_accesses(tid, pc):
                if fut.conflicts(r, o, m, held):
                    out = 1 << u
                    break
            if len(self._pairs) > 500_000:
                self._pairs.clear()
            self._pairs[key] = out
        return out

    def _writes_invariant(self, tid: int, pc: int) -> bool:
        """May the step at pc of tid write a cell an @invariant reads?"""
        key = (tid, pc, "inv")
        out = self._pairs.get(key)
        if out is None:
            out = self._pairs[key] = self.inv is not None and any(
                m == W and self.inv.conflicts(r, o, W, UNGUARDED) for r, o, m in self._step_accesses(tid, pc))
        return out

    def _stops(self, H, tid: int, L, i) -> bool:
        """Does accesses() give STOPS for step i (its address names no cell it may access)?"""
        if isinstance(i, (ir.Load, ir.Store, ir.Rmw, ir.Lock, ir.Unlock)):
            return self._bad(H, tid, self.mem.addr(i, L, tid))
        if isinstance(i, (ir.SrcuReadLock, ir.SrcuSync)):
            a = self.mem.addr(i, L, tid)
            return a.__class__ is not tuple or a[0] < ir.GLOBAL or a[0] >= len(H)
        if isinstance(i, ir.Free):
            p = self._free_value(i, L, tid)
            return p != 0 and self._bad(H, tid, p)
        return False

    @staticmethod
    def _bad(H, tid: int, a) -> bool:
        """Is a no address of a cell (a global, a live heap object, tid's own locals)?"""
        if a.__class__ is not tuple:
            return True
        base = a[0]
        if base == ir.GLOBAL or base == ir.LOCAL_BASE - tid:
            return False
        return base < 0 or base >= len(H) or not H[base].alive

    # -- the step a thread is about to make, concretely ------------------------------------
    def _key(self, H, tid: int, a, others):
        """(region, offset) of a concrete address, () for an unshared one (the thread's own
        locals, a heap object no other thread can reach), STOPS for a faulting one."""
        if self._bad(H, tid, a):
            return STOPS
        base, off = a
        if base == ir.GLOBAL:
            return (ir.GLOBAL, off)
        if base >= 0:
            if base not in others():
                return ()
            return (H[base].site, off)
        return ()  # the thread's own locals

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

    def accesses(self, G, H, T, tid: int, L, i, others=None):
        """The (region, offset, mode) step i of tid makes from G, H, T and its locals L, or
        STOPS. A plain access also names the lock space of its cell (lock operations write
        there), a lock operation the plain space (a plain access of a lock cell). others:
        a function giving memory.reachable_by_others(G, H, T, tid) (the executor keeps it)."""
        if others is None:
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
            p = self._free_value(i, L, tid)
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

    def _free_value(self, i, L, tid: int):
        f = self._free_ptr.get(id(i))
        if f is None:
            f = self._free_ptr[id(i)] = compile_expr(i.ptr)
        return f(L, tid)

    def conflict(self, w: Where, acc) -> bool:
        """Does one of the accesses conflict with a step another thread may still make (from
        where w says they stand), or write what an invariant reads?"""
        mask = self._mask
        for x in acc:
            if mask(x, w):
                return True
        return False

    def where(self, c) -> Where:
        """Where the running thread of working state c stands (kept in c until it takes or
        releases a lock: the executor's lock handlers forget it)."""
        w = c.mv
        if w is None:
            held = frozenset(a[1] for kind, a, _ in c.held
                             if kind == "m" and a.__class__ is tuple and a[0] == ir.GLOBAL)
            w = c.mv = self.where_of(c.tid, held, self._pcs(c.T, c.tid))
        return w

    def where_of(self, tid: int, held: frozenset, pcs: tuple) -> Where:
        key = (tid, held, pcs)
        w = self._wheres.get(key)
        if w is None:
            if len(self._wheres) > 100_000:
                self._wheres.clear()
            # while this thread holds global locks, the others' futures stop at a lock of one
            fut = self.fut if not held else self._futures_with(held)
            w = self._wheres[key] = Where(tid, held, pcs, fut)
        return w

    @staticmethod
    def _pcs(T, tid: int) -> tuple:
        """The pcs of the threads other than tid (-1: tid itself, or a thread that ended)."""
        return tuple([th[0] if u != tid else -1 for u, th in enumerate(T)])

    def _mask(self, x, w: Where) -> int:
        """The threads (a bit mask; -1: every thread) whose future, from their pcs, has a step
        that access x (region, offset, mode[, value held]) of w's thread holding w's locks
        does not commute with; -1 if x writes what an invariant reads. Memoised in w: the
        footprints are static, and the same accesses meet the same pcs in state after state."""
        hit = w.masks.get(x)
        if hit is not None:
            return hit
        r, o, m = x[0], x[1], x[2]
        cur = x[3] if len(x) > 3 else UNKNOWN
        if m == W and self.inv is not None and self.inv.conflicts(r, o, W, UNGUARDED):
            out = -1
        else:
            out = 0
            held, fut = w.held, w.fut
            for u, pc in enumerate(w.pcs):
                if pc >= 0 and fut[u][pc].conflicts(r, o, m, held, cur):
                    out |= 1 << u
        w.masks[x] = out
        return out

    def _futures_with(self, held: frozenset) -> list:
        f = self._fut_held.get(held)
        if f is None:
            codes = [ti.ir.code for ti in self.threads]
            f = self._fut_held[held] = [self.fp.futures_with(code, held) for code in codes]
        return f

    def right_mover(self, c, i, others=None) -> bool:
        """Is lock step i, the first of a transition, a right mover: can no other thread's
        step touch its cell (their lock operations on it wait for the holder) and no invariant
        read it? Then the transition may run one step that is no mover (after_lock)."""
        acc = self.accesses(c.G, c.H, c.T, c.tid, c.L, i, others)
        if acc is STOPS:
            return False
        acc = [x for x in acc if x[0].__class__ is not tuple or x[0][0] != "lock"]
        return not self.conflict(self.where_of(c.tid, NO_LOCKS, self.where(c).pcs), acc)

    @staticmethod
    def after_lock(i) -> bool:
        """May step i, no mover, end a transition that began with a lock and ran only movers
        since (Lipton: right movers, one step, left movers)? Not a lock or synchronize_srcu:
        they may block, and a lock-order edge is read in the state before them."""
        return not isinstance(i, (ir.Lock, ir.SrcuSync))

    # -- left movers (the fold) -----------------------------------------------------------------
    def left_mover(self, c, i, others=None, pc: int = -1) -> bool:
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
        if isinstance(i, ir.Unlock):
            a = self.mem.addr(i, c.L, c.tid)
            if not any(k == "m" and x == a for k, x, _ in c.held):
                return False  # a bad unlock: its own transition
        w = self.where(c)
        if pc >= 0 and not self.static_mask(w, pc):
            # nothing the step may access anywhere conflicts: the concrete access neither
            return not self._stops(c.H, c.tid, c.L, i)
        acc = self.accesses(c.G, c.H, c.T, c.tid, c.L, i, others)
        if acc is STOPS:
            return False
        if isinstance(i, ir.Unlock):
            acc = [x for x in acc if x[0].__class__ is not tuple or x[0][0] != "lock"]
        return not self.conflict(w, acc)

    def dependents(self, c, i, others=None, pc: int = -1) -> int:
        """The threads (a bit mask; -1: every thread) whose future steps may not commute with
        step i of the running thread (working state c), for the "persistent" reduction: those
        whose footprint conflicts with it (a global lock the thread holds guards, as for left
        movers; a lock operation conflicts with the others' operations on that lock, unless it
        is an unlock of a lock the thread holds: theirs cannot run meanwhile); every thread if
        it writes what an invariant reads or its cells are unknown."""
        if isinstance(i, ir.Alloc):
            return 0  # a fresh object; failures commute as a set (see REDUCTIONS)
        if isinstance(i, ir.Unlock):
            a = self.mem.addr(i, c.L, c.tid)
            if not any(k == "m" and x == a for k, x, _ in c.held):
                return -1  # a bad unlock
        w = self.where(c)
        if pc >= 0 and not self.static_mask(w, pc):
            # nothing the step may access anywhere conflicts: the concrete access neither
            return -1 if self._stops(c.H, c.tid, c.L, i) else 0
        acc = self.accesses(c.G, c.H, c.T, c.tid, c.L, i, others)
        if acc is STOPS:
            return -1
        if isinstance(i, ir.Unlock):
            acc = [x for x in acc if x[0].__class__ is not tuple or x[0][0] != "lock"]
        out = 0
        for x in acc:
            m = self._mask(x, w)
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
        i = self.threads[tid].ir.code[th[0]]
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
