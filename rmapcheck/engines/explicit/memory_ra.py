"""Release/acquire memory (``--memory-model ra``): a view-based operational semantics.

This is the release/acquire fragment of the "promising" semantics without
promises (see docs/memory-model.md), in the kernel's terms:

* every shared cell has a history of messages ``(value, view, writer, pc, plain)``
  in coherence order (a message's timestamp is its index);
* every thread has views ``cur`` (the newest message it has seen per cell),
  ``acq`` (views read by relaxed loads, taken at the next smp_rmb/smp_mb) and
  ``rel`` (its ``cur`` at its last smp_wmb/smp_mb);
* a load may read any message not older than ``cur``: each choice is a
  successor; an acquire load (smp_load_acquire, srcu_dereference) joins the
  message's view into ``cur``;
* a store may enter coherence order anywhere after ``cur``; a release store
  (smp_store_release, rcu_assign_pointer) carries ``cur``, a relaxed one ``rel``;
* mutex lock/unlock are an acquire read-modify-write and a release write;
  smp_mb is a read-modify-write of one global fence location; synchronize_srcu
  is smp_mb, then waits, then joins what the readers it waited for had seen;
  a read section that begins after a grace period started joins that grace
  period's start view.

Messages no thread can read any more are dropped and timestamps renumbered, so
histories stay bounded. Data races (LKMM's definition) are reported as the
property ``no-data-race``.
"""

from __future__ import annotations

from bisect import bisect_left
from operator import itemgetter

from rmapcheck.engines.explicit.executor import Event, Stop
from rmapcheck.engines.explicit.memory import SCMemory
from rmapcheck.engines.explicit.state import HeapObj, heap_order
from rmapcheck.ir import nodes as ir

_ACQ_LOADS = (ir.ACQUIRE, ir.DEREF)
_second = itemgetter(1)
_REL_STORES = (ir.RELEASE, ir.ASSIGN)


def _is_rmw(m) -> bool:
    """Was this message written by a read-modify-write (it then carries a sixth field)?"""
    return len(m) > 5


def freeze(d: dict) -> tuple:
    return tuple(sorted(filter(_second, d.items())))  # the (location, timestamp) pairs, timestamp > 0


def join_into(d: dict, view: tuple) -> None:
    for loc, ts in view:
        if d.get(loc, 0) < ts:
            d[loc] = ts


def join_views(v: tuple, w: tuple) -> tuple:
    if not v:
        return w
    if not w:
        return v
    d = dict(v)
    join_into(d, w)
    return freeze(d)


class _Work:
    """The running thread's views (mutable) and the global ones, during one step."""

    __slots__ = ("cur", "acq", "rel", "F", "gp", "latest", "tviews")

    def __init__(self, X, tid: int | None):
        tviews, F, gp = X
        self.tviews = tviews
        self.latest = tid is None or tid >= len(tviews)
        if self.latest:
            self.cur, self.acq, self.rel = {}, {}, {}
        else:
            cur, acq, rel = tviews[tid]
            self.cur, self.acq, self.rel = dict(cur), dict(acq), dict(rel)
        self.F = F
        self.gp = dict(gp)


class RAMemory(SCMemory):
    name = "ra"
    extra_properties = (ir.P_RACE,)
    report_races = True  # the search turns this off once a race has been found

    def __init__(self, program: ir.Program):
        super().__init__(program)
        kinds = {ir.fence_effect(i.kind) for th in program.threads for i in th.code if isinstance(i, ir.Fence)}
        has_sync = any(isinstance(i, ir.SrcuSync) for th in program.threads for i in th.code)
        rmws = [i for th in program.threads for i in th.code if isinstance(i, ir.Rmw)]
        self.has_rmw = bool(rmws)
        full_rmw = any(i.order == ir.MB for i in rmws)
        self.uses_acq = bool(kinds & {"rmb", "mb"}) or has_sync or full_rmw
        self.uses_rel = bool(kinds & {"wmb", "mb"}) or has_sync or full_rmw
        self.code_by_tid = [th.code for th in program.threads for _ in range(th.instances)]
        self.names_by_tid = [th.name if th.instances == 1 else f"{th.name}.{k}"
                             for th in program.threads for k in range(th.instances)]

    # -- state -------------------------------------------------------------------------
    def initial_globals(self) -> list:
        return [((v, (), -1, -1, False),) for v in self.p.global_init]

    def initial_extra(self, nthreads: int):
        return (tuple(((), (), ()) for _ in range(nthreads)), (), ())

    def new_cells(self, c, n: int) -> tuple:
        m = ((0, (), c.tid, -1, False),)
        return (m,) * n

    def dead_cells(self, n: int) -> tuple:
        return (((0, (), -1, -1, False),),) * n

    def _w(self, c) -> _Work:
        if c.mx is None:
            c.mx = _Work(c.X, c.tid)
        return c.mx

    def observer(self):
        return _Work((((),), (), ()), None)

    def finish_step(self, c, ended: bool = False):
        w = c.mx
        if w is None:
            return c.X
        tviews = list(w.tviews)
        if ended:
            tviews[c.tid] = ((), (), ())
        else:
            tviews[c.tid] = (freeze(w.cur), freeze(w.acq) if self.uses_acq else (),
                             freeze(w.rel) if self.uses_rel else ())
        return (tuple(tviews), w.F, tuple(sorted(w.gp.items())))

    def final_values(self, state) -> tuple:
        return tuple(h[-1][0] for h in state[0])

    # -- histories -----------------------------------------------------------------------
    def _hist(self, c, base: int, off: int) -> tuple:
        return c.G[off] if base == ir.GLOBAL else c.H[base].cells[off]

    def _set_hist(self, c, base: int, off: int, hist: tuple) -> None:
        if base == ir.GLOBAL:
            c.G[off] = hist
        else:
            obj = c.H[base]
            cells = list(obj.cells)
            cells[off] = hist
            c.H[base] = HeapObj(obj.site, tuple(cells), obj.alive)

    def _where(self, c, a, width: int, instr, writing: bool):
        """Check an access; return None for the thread's own locals, else (base, offset)."""
        cont, _, off = self._locate(c, a, width, instr, writing)
        if cont is not None and cont is c.L:
            return None
        return a[0], off

    # -- loads and stores ----------------------------------------------------------------
    def load(self, c, a, width: int, instr) -> list:
        where = self._where(c, a, width, instr, False)
        if where is None:
            return list(c.L[a[1]:a[1] + width])
        base, off = where
        w = self._w(c)
        vals = []
        for k in range(width):
            hist = self._hist(c, base, off + k)
            if w.latest:
                vals.append(hist[-1][0])
                continue
            loc = (base, off + k)
            lo = w.cur.get(loc, 0)
            n = len(hist) - lo
            i = len(hist) - 1 - c.choose(n) if n > 1 else len(hist) - 1
            self._race(c, loc, hist, lo, instr, instr.order == ir.PLAIN, False)
            m = hist[i]
            if i > lo:
                w.cur[loc] = i
            if instr.order in _ACQ_LOADS:
                join_into(w.cur, m[1])
            elif self.uses_acq:
                join_into(w.acq, m[1])
            vals.append(m[0])
            if c.log is not None and i < len(hist) - 1:
                missed = [(self.names_by_tid[x[2]], self._line(x[2], x[3]), x[0]) for x in hist[i + 1:] if x[2] >= 0]
                c.log.append(("ra_read", loc, (m[0], missed)))
        if c.log is not None:
            c.log.append(("read", a, vals))
        return vals

    def store(self, c, a, vals: list, instr) -> None:
        where = self._where(c, a, len(vals), instr, True)
        if where is None:
            c.L[a[1]:a[1] + len(vals)] = vals
            return
        base, off = where
        w = self._w(c)
        pc = c.pc
        plain = instr.order == ir.PLAIN
        for k, v in enumerate(vals):
            loc = (base, off + k)
            hist = self._hist(c, base, off + k)
            lo = w.cur.get(loc, 0)
            p = self._store_position(c, hist, lo)
            self._race(c, loc, hist, lo, instr, plain, True)
            if p < len(hist):
                self._shift(c, w, loc, p)
                hist = self._hist(c, base, off + k)  # the shift renumbered its views too
            view = dict(w.cur) if instr.order in _REL_STORES else dict(w.rel)
            view[loc] = p
            msg = (v, freeze(view), c.tid, pc, plain)
            self._set_hist(c, base, off + k, hist[:p] + (msg,) + hist[p:])
            w.cur[loc] = p
            if c.log is not None and p < len(hist):
                later = [(self.names_by_tid[x[2]], self._line(x[2], x[3]), x[0]) for x in hist[p:] if x[2] >= 0]
                c.log.append(("ra_write", loc, (v, later)))
        if c.log is not None:
            c.log.append(("write", a, list(vals)))

    def _store_position(self, c, hist: tuple, lo: int) -> int:
        """Where a store enters coherence order: any position after the thread's view
        (lo+1 .. len(hist)), newest first, but never between a read-modify-write and the
        message it read (that would break its atomicity)."""
        n = len(hist) - lo
        if n <= 1:
            return len(hist)
        if not self.has_rmw or not any(_is_rmw(m) for m in hist[lo + 1:]):
            return len(hist) - c.choose(n)
        cands = [q for q in range(len(hist), lo, -1) if q == len(hist) or not _is_rmw(hist[q])]
        return cands[c.choose(len(cands))] if len(cands) > 1 else cands[0]

    def rmw(self, c, a, instr, new_of) -> tuple:
        """An atomic read-modify-write: read a message m, write right after it in coherence
        order (no write may ever come between, and no other read-modify-write may read m).

        A step that does not write (a failed cmpxchg) is a relaxed marked read. A writing
        step's read is acquire for _acquire and fully ordered forms; its message carries the
        thread's view for _release and fully ordered forms (its release view otherwise),
        joined with m's view (LKMM's rmw-sequence: a release that m heads extends to it);
        a fully ordered form is smp_mb() before and after."""
        where = self._where(c, a, 1, instr, True)
        if where is None:
            old = c.L[a[1]]
            new = new_of(old)
            if new is not None:
                c.L[a[1]] = new
            return old, new
        base, off = where
        loc = (base, off)
        w = self._w(c)
        hist = self._hist(c, base, off)
        order = instr.order
        full = order == ir.MB
        lo_read = w.cur.get(loc, 0)
        lo_write = lo_read
        if full:  # where cur will be after the leading smp_mb()
            lo_write = max(lo_read, w.acq.get(loc, 0), dict(w.F).get(loc, 0))
        options = []
        for i in range(len(hist) - 1, lo_read - 1, -1):
            writes = new_of(hist[i][0]) is not None
            if not writes:
                options.append((i, False))
            elif i >= lo_write and not (i + 1 < len(hist) and _is_rmw(hist[i + 1])):
                options.append((i, True))
        i, writes = options[c.choose(len(options))] if len(options) > 1 else options[0]
        self._race(c, loc, hist, lo_read, instr, False, True)
        m = hist[i]
        old = m[0]
        if not writes:
            if i > lo_read:
                w.cur[loc] = i
            if self.uses_acq:
                join_into(w.acq, m[1])
            if c.log is not None:
                self._log_read(c, loc, hist, i, m)
                c.log.append(("read", a, [old]))
            return old, None
        new = new_of(old)
        if full:
            self.fence(c, "mb")
        if i > w.cur.get(loc, 0):
            w.cur[loc] = i
        if order in (ir.ACQUIRE, ir.MB):
            join_into(w.cur, m[1])
        elif self.uses_acq:
            join_into(w.acq, m[1])
        p = i + 1
        if p < len(hist):
            self._shift(c, w, loc, p)
            hist = self._hist(c, base, off)
            m = hist[i]
        view = dict(w.cur) if order in (ir.RELEASE, ir.MB) else dict(w.rel)
        join_into(view, m[1])
        view[loc] = p
        msg = (new, freeze(view), c.tid, c.pc, False, True)
        self._set_hist(c, base, off, hist[:p] + (msg,) + hist[p:])
        w.cur[loc] = p
        if full:
            self.fence(c, "mb")
        if c.log is not None:
            self._log_read(c, loc, hist, i, m)
            c.log.append(("read", a, [old]))
            c.log.append(("write", a, [new]))
        return old, new

    def _log_read(self, c, loc, hist: tuple, i: int, m) -> None:
        if i < len(hist) - 1:
            missed = [(self.names_by_tid[x[2]], self._line(x[2], x[3]), x[0]) for x in hist[i + 1:] if x[2] >= 0]
            c.log.append(("ra_read", loc, (m[0], missed)))

    def _shift(self, c, w: _Work, loc, p: int) -> None:
        """A store entered coherence order before newer messages: renumber loc's timestamps >= p."""

        def bump(view: tuple) -> tuple:
            return tuple((l2, t + 1 if l2 == loc and t >= p else t) for l2, t in view)

        for d in (w.cur, w.acq, w.rel):
            if d.get(loc, 0) >= p:
                d[loc] += 1
        w.F = bump(w.F)
        w.gp = {k: bump(v) for k, v in w.gp.items()}
        w.tviews = tuple((bump(x), bump(y), bump(z)) for x, y, z in w.tviews)
        c.T = tuple(th if th[3] is None else (th[0], th[1], th[2], (th[3][0], th[3][1], bump(th[3][2])))
                    for th in c.T)
        c.G = [tuple((m[0], bump(m[1])) + m[2:] for m in h) for h in c.G]
        c.H = [HeapObj(o.site, tuple(tuple((m[0], bump(m[1])) + m[2:] for m in h) for h in o.cells), o.alive)
               for o in c.H]

    def _race(self, c, loc, hist: tuple, lo: int, instr, plain: bool, writing: bool) -> None:
        """LKMM data race: a write to loc by another thread that this thread does not know
        (it is newer than the thread's view), with at least one of the two accesses plain."""
        if not self.report_races:
            return
        for j in range(lo + 1, len(hist)):
            m = hist[j]
            if m[2] != c.tid and m[2] >= 0 and (plain or m[4]):
                self._report_race(c, loc, m, instr, writing)
                return

    def _report_race(self, c, loc, m, instr, writing: bool) -> None:
        me = self.names_by_tid[c.tid] if c.tid < len(self.names_by_tid) else "?"
        other = self.names_by_tid[m[2]]
        wline = self._line(m[2], m[3])
        kind = "write" if writing else "read"
        mine = "plain" if instr.order == ir.PLAIN else instr.order
        theirs = "plain" if m[4] else "marked"
        what = getattr(instr, "what", "") or self.cell_name(loc)
        c.events.append(Event(
            ir.P_RACE,
            f"data race on {self.cell_name(loc)}: {mine} {kind} of {what} at {instr.loc.where} ({me}) "
            f"and {theirs} write at {wline} ({other}), not ordered by happens-before",
            instr.loc, c.tid,
        ))

    def _line(self, tid: int, pc: int) -> str:
        """Where a write stands, as a message says it ('line 12', 'kvm_sets.h:12')."""
        code = self.code_by_tid[tid] if 0 <= tid < len(self.code_by_tid) else []
        return code[pc].loc.where if 0 <= pc < len(code) else "line 0"

    def cell_name(self, loc) -> str:
        base, off = loc
        if base == ir.GLOBAL and 0 <= off < len(self.p.global_cells):
            return self.p.global_cells[off].name
        return f"heap object {base}[{off}]"

    # -- locks and fences -------------------------------------------------------------------
    def read_cells(self, c, a, width: int, instr) -> list:
        where = self._where(c, a, width, instr, False)
        if where is None:
            return c.L[a[1]:a[1] + width]
        base, off = where
        return [self._hist(c, base, off + k)[-1][0] for k in range(width)]

    def lock_free(self, state, instr, tid: int, th) -> bool:
        a = self.addr(instr, th[1], tid)
        if a.__class__ is not tuple:
            return True
        base, off = a
        if base == ir.GLOBAL:
            return 0 <= off < len(state[0]) and state[0][off][-1][0] == 0
        if 0 <= base < len(state[1]):
            obj = state[1][base]
            return not obj.alive or not (0 <= off < len(obj.cells)) or obj.cells[off][-1][0] == 0
        return True

    def lock_owner(self, state, instr, tid: int, th) -> int | None:
        a = self.addr(instr, th[1], tid)
        if a.__class__ is tuple and a[0] == ir.GLOBAL and 0 <= a[1] < len(state[0]):
            v = state[0][a[1]][-1][0]
        elif a.__class__ is tuple and 0 <= a[0] < len(state[1]) and 0 <= a[1] < len(state[1][a[0]].cells):
            v = state[1][a[0]].cells[a[1]][-1][0]
        else:
            return None
        return v - 1 if isinstance(v, int) and v > 0 else None

    def lock(self, c, a, instr) -> None:
        """Acquire read-modify-write of the lock's latest message (lock cells keep only that one)."""
        base, off = self._where(c, a, 1, instr, True)
        w = self._w(c)
        hist = self._hist(c, base, off)
        assert hist[-1][0] == 0, "lock taken while not free"
        join_into(w.cur, hist[-1][1])
        self._set_hist(c, base, off, ((c.tid + 1, freeze(w.cur), c.tid, -1, False),))
        if c.log is not None:
            c.log.append(("lock", a, None))

    def unlock(self, c, a, instr) -> None:
        base, off = self._where(c, a, 1, instr, True)
        w = self._w(c)
        self._set_hist(c, base, off, ((0, freeze(w.cur), c.tid, -1, False),))
        if c.log is not None:
            c.log.append(("unlock", a, None))

    def fence(self, c, kind: str) -> None:
        w = self._w(c)
        if kind in ("rmb", "mb"):
            join_into(w.cur, freeze(w.acq))
        if kind == "mb":
            join_into(w.cur, w.F)
            w.F = freeze(w.cur)
        if kind in ("wmb", "mb"):
            w.rel = dict(w.cur)
        super().fence(c, kind)

    # -- srcu ---------------------------------------------------------------------------------
    def srcu_read_lock(self, c, a) -> None:
        w = self._w(c)
        join_into(w.cur, w.gp.get(a, ()))

    def srcu_unlock_view(self, c):
        return freeze(self._w(c).cur)

    join_views = staticmethod(join_views)

    def srcu_sync_start(self, c, a) -> None:
        self.fence(c, "mb")
        w = self._w(c)
        w.gp[a] = join_views(w.gp.get(a, ()), freeze(w.cur))

    def srcu_sync_end(self, c, view) -> None:
        join_into(self._w(c).cur, view)
        self.fence(c, "mb")

    # -- canonical form -------------------------------------------------------------------------
    def global_pointer_values(self, G) -> list:
        return [m[0] for h in self.gptr(G) for m in h]

    def object_pointer_values(self, obj) -> list:
        return [m[0] for h in self.obj_pointers(obj) for m in h]

    def pointer_ids(self, hists: tuple) -> list:
        # heap_ids of every message's value, in one pass (most values are ints)
        return [v[0] for h in hists for m in h if (v := m[0]).__class__ is tuple and v and v[0] >= 0]

    def obj_ids(self, obj) -> list:
        return self.pointer_ids(obj.cells) if self.p.sites[obj.site].has_pointers else []

    def final_leaks(self, state) -> list:
        """Heap ids alive and unreachable in a state where no thread can move (every thread
        has ended or waits for good): there no message but each cell's latest will ever be
        read, so only those (and the waiting threads' live locals) are roots. A step's scan
        counts every message a thread could still read, and a thread waiting for good keeps
        its old view: without this, an object only an old message pointed to was never
        reported (tests/models/weak/leak_in_deadlock.c: a wrong holds under ra)."""
        G, H, T = state[0], state[1], state[2]
        if not H:
            return []

        def latest(hists: tuple) -> list:
            return [v[0] for h in hists if h and (v := h[-1][0]).__class__ is tuple and v and v[0] >= 0]

        def obj_ids(obj) -> list:
            return latest(obj.cells) if self.p.sites[obj.site].has_pointers else []

        return heap_order(latest(self.gptr(G)), obj_ids, H, T, self.roots)[1]

    def canonicalize(self, G, H, T, X, parent=None, tid=None):
        # Messages no thread can read go first: an object whose only reference was such a
        # message is unreachable now, and the leak belongs to this step.
        G, H, T, X = self._collect(G, H, T, X, parent, tid)
        leaked: list = []
        remap: dict = {}
        if H and parent is not None and self.same_pointers(parent, G, H, T):
            return G, H, T, X, leaked, remap  # the heap order of the (canonical) parent: nothing to renumber
        if H:
            order, leaked = heap_order(self.pointer_ids(self.gptr(G)), self.obj_ids, H, T, self.roots)
            if not (len(order) == len(H) and all(i == j for i, j in enumerate(order))):
                remap = {old: new for new, old in enumerate(order)}
                G, H, T, X = self._remap(G, H, T, X, order, remap)
        return G, H, T, X, leaked, remap

    def _remap(self, G, H, T, X, order, remap):
        # What nothing in needs no new tuple: most views and messages name no heap object
        # that moves or goes (views are sorted already; a renumbered one is sorted again).
        stay = {old for old, new in remap.items() if old == new}

        def rp(v):
            if v.__class__ is tuple and len(v) == 2 and v[0].__class__ is int and v[0] >= 0 and v[0] not in stay:
                return (remap[v[0]], v[1])
            return v

        def rview(view):
            for loc, _ in view:
                if loc[0] >= 0 and loc[0] not in stay:
                    return tuple(sorted((rp(loc), t) for loc, t in view if loc[0] < 0 or loc[0] in remap))
            return view

        def rmsg(m):
            v, view = rp(m[0]), rview(m[1])
            return m if v is m[0] and view is m[1] else (v, view) + m[2:]

        def rhist(h):
            for m in h:
                if rmsg(m) is not m:
                    return tuple(rmsg(m) for m in h)
            return h

        def rlocals(L):
            for v in filter(None, L):  # most locals are zero
                if rp(v) is not v:
                    return tuple(rp(v) for v in L)
            return L

        G = tuple(rhist(h) for h in G)
        H = tuple(HeapObj(H[i].site, tuple(rhist(h) for h in H[i].cells), H[i].alive) for i in order)
        T = tuple(
            (pc, rlocals(L), tuple((k, rp(a), p) for k, a, p in held),
             None if w is None else (rp(w[0]), w[1], rview(w[2])))
            for pc, L, held, w in T
        )
        tviews, F, gp = X
        X = (tuple((rview(a), rview(b), rview(d)) for a, b, d in tviews), rview(F),
             tuple(sorted((rp(k), rview(v)) for k, v in gp)))
        return G, H, T, X

    def _collect(self, G, H, T, X, parent=None, tid=None):
        """Drop messages no live thread can read (older than every live thread's view).

        parent, tid: the canonical state a step of thread tid began in, or None. There every
        location is missing from some live thread's view (nothing was left to drop), and the
        step changed the view of tid alone (a shift of timestamps keeps every view's
        locations): so only a location new in tid's view can be in every live view now."""
        tviews, F, gp = X
        if parent is not None and tid is not None and T[tid][0] >= 0:
            if X is parent[4]:
                return G, H, T, X  # no view changed
            cur = tviews[tid][0]
            old = parent[4][0][tid][0]
            if len(cur) == len(old):
                return G, H, T, X  # a step never takes a location out of a view: none is new
            if old:
                before = dict(old)
                new = [loc for loc, _ in cur if loc not in before]
            else:
                new = [loc for loc, _ in cur]
            shift = {}
            views = [dict(tviews[u][0]) for u, th in enumerate(T) if th[0] >= 0]
            for loc in new:
                s = min(v.get(loc, 0) for v in views)
                if s > 0:
                    shift[loc] = s
            if not shift:
                return G, H, T, X
            return self._drop(G, H, T, X, shift)
        live = [tviews[t][0] for t, th in enumerate(T) if th[0] >= 0]
        shift: dict = {}
        if live:
            if not all(live):
                return G, H, T, X  # a live thread has read only the oldest messages: none to drop
            live.sort(key=len)  # the shortest view first: the common part shrinks fastest
            common = dict(live[0])
            for v in live[1:]:
                d = dict(v)
                common = {k: min(t, d[k]) for k, t in common.items() if k in d}
                if not common:
                    return G, H, T, X
            shift = {k: t for k, t in common.items() if t > 0}
        else:
            # every thread has ended: only the final (latest) values matter
            shift = {}
            for off, h in enumerate(G):
                if len(h) > 1:
                    shift[(ir.GLOBAL, off)] = len(h) - 1
            for b, o in enumerate(H):
                for off, h in enumerate(o.cells):
                    if len(h) > 1:
                        shift[(b, off)] = len(h) - 1
        if not shift:
            return G, H, T, X
        return self._drop(G, H, T, X, shift)

    def _drop(self, G, H, T, X, shift: dict):
        """Drop the first shift[loc] messages of each location loc, and renumber the views."""
        tviews, F, gp = X
        keys = [(loc,) for loc in shift]  # (loc,) sorts just before every (loc, timestamp)

        def sview(view):
            # the same object when no location of the view is shifted (most views, most steps);
            # a view is sorted by location (freeze), so a binary search per shifted one tells
            if not view:
                return view
            n = len(view)
            for key in keys:
                i = bisect_left(view, key)
                if i < n and view[i][0] == key[0]:
                    break
            else:
                return view
            out = []
            for loc, t in view:
                s = shift.get(loc)
                if s is not None:
                    t = t - s
                if t > 0:
                    out.append((loc, t))
            return tuple(out)

        def shist(h, loc):
            s = shift.get(loc, 0)
            if not s:
                for m in h:
                    if sview(m[1]) is not m[1]:
                        break
                else:
                    return h  # no message dropped, no view changed
            changed = False
            out = []
            for m in h[s:] if s else h:
                v = sview(m[1])
                if v is not m[1]:
                    changed = True
                    m = (m[0], v) + m[2:]
                out.append(m)
            return tuple(out) if changed or s else h

        offs: dict = {}  # base -> the shifted offsets of that base
        for base, off in shift:
            offs.setdefault(base, set()).add(off)
        none: set = set()

        def shists(cells: tuple, base: int) -> tuple:
            # cells with each history through shist; the same tuple if none changes. A history
            # that loses no message and whose messages carry no view (most) needs no look: its
            # views are tested at C speed (an empty view is false)
            out = None
            shifted = offs.get(base, none)
            for off, h in enumerate(cells):
                if off in shifted or any(map(_second, h)):
                    h2 = shist(h, (base, off))
                    if h2 is not h:
                        if out is None:
                            out = list(cells)
                        out[off] = h2
            return cells if out is None else tuple(out)

        G = shists(G, ir.GLOBAL)
        H2 = [o if (c := shists(o.cells, b)) is o.cells else HeapObj(o.site, c, o.alive) for b, o in enumerate(H)]
        if any(x is not y for x, y in zip(H2, H)):
            H = tuple(H2)
        T = tuple(th if th[3] is None else (th[0], th[1], th[2], (th[3][0], th[3][1], sview(th[3][2])))
                  for th in T)
        X = (tuple((sview(a), sview(b), sview(d)) for a, b, d in tviews), sview(F),
             tuple((k, sview(v)) for k, v in gp))
        return G, H, T, X

    # -- races between two threads' next steps ----------------------------------------------------
    def state_events(self, state, ex) -> list:
        """Two threads about to make conflicting accesses to one cell, one plain: a data race."""
        if not self.report_races:
            return []
        pending = []
        for t in range(len(ex.threads)):
            acc = ex.pending_access(state, t)
            if acc is not None:
                pending.append((t,) + acc)
        out = []
        for k, (t, a, writing, plain, instr) in enumerate(pending):
            for u, b, writing2, plain2, instr2 in pending[k + 1:]:
                if a == b and (writing or writing2) and (plain or plain2):
                    out.append(Event(
                        ir.P_RACE,
                        f"data race on {self.cell_name(a)}: {ex.threads[t].name} {instr.loc.where} "
                        f"({'plain' if plain else instr.order} {'write' if writing else 'read'}) and "
                        f"{ex.threads[u].name} {instr2.loc.where} ({'plain' if plain2 else instr2.order} "
                        f"{'write' if writing2 else 'read'}) can run in either order",
                        instr.loc, t,
                    ))
                    return out
        return out


__all__ = ["RAMemory", "Stop"]
