"""Static footprints for the partial-order reduction: what a thread may still touch.

For every thread and every pc, ``future(pc)`` over-approximates the shared locations the
thread may access from pc on (its pending step included), with the mode of access and the
global locks it surely holds at the access. The search compares these with the concrete step
another thread is about to make (see movers.py).

Locations are abstract: a global cell is itself, ``(GLOBAL, offset)``; a heap cell is its
object's allocation site and its offset, ``(site, offset)`` (offset None: any cell of the
site). Pointers are followed by a flow-insensitive points-to analysis over the IR (Andersen
style, field-sensitive by offset): every value a local or a cell may hold is a set of abstract
pointers, so an access through a pointer names every site (and offset) the pointer may reach.
The language makes pointers only by taking an address (GlobalAddr, LocalAddr), by allocating,
and by PtrAdd over a pointer; arithmetic on a pointer is an error, so these are all the ways.

Besides cells, a footprint names an srcu domain (``("srcu", region)``: read sections read it,
synchronize_srcu writes it: it waits for the sections and, under ra, publishes its view) and,
under ra, the global fence view F that smp_mb() (and a fully ordered rmw, synchronize_srcu)
reads and writes.
"""

from __future__ import annotations

from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import successors as cfg_successors

R, W = 1, 2  # access modes
LOCALS = -2  # the abstract region of the executing thread's own locals (never in a footprint)
FENCE = "F"  # the ra fence view
ANY = None  # an unknown offset: any cell of the region
UNKNOWN = "?"  # a value written that is not a constant (Future.conflicts)
UNGUARDED = frozenset()
MAX_EXPAND = 64  # a bounded index names each of its cells up to this many, else ANY


def _widen(vals: set) -> None:
    """Keep a set of abstract pointers finite: a pointer stepped through memory in a loop
    (p++) would name ever more offsets; past MAX_EXPAND of one region, it names ANY."""
    if len(vals) <= MAX_EXPAND:
        return
    count: dict = {}
    for r, _ in vals:
        count[r] = count.get(r, 0) + 1
    for r, n in count.items():
        if n > MAX_EXPAND:
            vals -= {x for x in vals if x[0] == r}
            vals.add((r, ANY))


def add(o, k: int):
    """Offset o moved by k cells (an unknown offset or a range stays as it is)."""
    return o + k if o.__class__ is int else o


def _srcu(region):
    return ("srcu", region)


def _lock(region):
    return ("lock", region)


class PointsTo:
    """A flow-insensitive, field-sensitive points-to analysis of a whole program.

    ``locals_of[id(code)][k]``: the abstract pointers local k may hold; ``cells[(region, off)]``
    what a memory cell may hold (off ANY: stores to an unknown cell of the region)."""

    def __init__(self, program: ir.Program):
        self.p = program
        self.cells: dict = {}
        self.bounds: dict | None = None  # the index bounds at the step being looked at
        self.bounds_of: dict[int, list] = {}
        codes = [(th.code, th.nlocals, th.escaped) for th in program.threads]
        codes += [(inv.code, inv.nlocals, frozenset()) for inv in program.invariants]
        self.locals_of: dict[int, list] = {}
        for code, n, esc in codes:
            if id(code) not in self.locals_of:
                self.locals_of[id(code)] = [set() for _ in range(max(n, 1))]
                self.bounds_of[id(code)] = index_bounds(code, esc)
        for k, v in enumerate(program.global_init):
            if v.__class__ is tuple:
                self._put((ir.GLOBAL, k), {self.abstract_const(v)})
        changed = True
        while changed:
            changed = False
            for code, _, _ in codes:
                L = self.locals_of[id(code)]
                for pc, i in enumerate(code):
                    self.bounds = self.bounds_of[id(code)][pc]
                    changed |= self._effect(i, L)
        self.bounds = None

    def at(self, code, pc: int) -> "PointsTo":
        """Evaluate the next value() calls with the index bounds known at code[pc]."""
        self.bounds = self.bounds_of[id(code)][pc]
        return self

    @staticmethod
    def abstract_const(v):
        base, off = v
        if base == ir.GLOBAL:
            return (ir.GLOBAL, off)
        if base >= 0:  # pragma: no cover - heap pointers are never constants
            raise ValueError("a heap pointer constant")
        return (LOCALS, off)

    def _put(self, key, vals) -> bool:
        cur = self.cells.get(key)
        if cur is None:
            self.cells[key] = cur = set()
        n = len(cur)
        cur |= vals
        _widen(cur)
        return len(cur) != n

    def value(self, e, L) -> set:
        """The abstract pointers expression e may evaluate to."""
        if isinstance(e, ir.LocalRef):
            return L[e.off] if e.off < len(L) else set()
        if isinstance(e, ir.GlobalAddr):
            return {(ir.GLOBAL, e.off)}
        if isinstance(e, ir.LocalAddr):
            return {(LOCALS, e.off)}
        if isinstance(e, ir.Const):
            return {self.abstract_const(e.value)} if e.value.__class__ is tuple else set()
        if isinstance(e, ir.PtrAdd):
            base = self.value(e.ptr, L)
            if not base:
                return base
            if isinstance(e.index, ir.Const) and e.index.value.__class__ is int:
                k = e.index.value * e.scale
                return {(r, add(o, k)) for r, o in base}
            n = self.bounds.get(e.index) if self.bounds else None
            if n is not None and n <= MAX_EXPAND:
                return {(r, add(o, k * e.scale)) for r, o in base for k in range(n)}
            return {(r, ANY) for r, _ in base}
        if isinstance(e, ir.Cond):
            return self.value(e.then, L) | self.value(e.other, L)
        return set()  # Bin and Un make integers (arithmetic on a pointer is an error)

    def read(self, r, o, L) -> set:
        if r == LOCALS:
            if o is ANY or not 0 <= o < len(L):
                out = set()
                for s in L:
                    out |= s
                return out
            return L[o]
        if o.__class__ is not int:
            out = set()
            for (r2, _), s in self.cells.items():
                if r2 == r:
                    out |= s
            return out
        out = self.cells.get((r, o), set()) | self.cells.get((r, ANY), set())
        for (r2, o2), s in self.cells.items():
            if r2 == r and o2.__class__ is tuple and o2[0] <= o < o2[1]:
                out |= s
        return out

    def write(self, r, o, vals, L) -> bool:
        if not vals:
            return False
        if r == LOCALS:
            changed = False
            targets = range(len(L)) if o.__class__ is not int or not 0 <= o < len(L) else (o,)
            for k in targets:
                changed |= self._set_local(L, k, vals)
            return changed
        return self._put((r, o), vals)

    def _set_local(self, L, k: int, vals) -> bool:
        if not vals or k >= len(L):
            return False
        before = set(L[k])
        L[k] |= vals
        _widen(L[k])
        return L[k] != before

    def _effect(self, i, L) -> bool:
        ch = False
        if isinstance(i, ir.Assign):
            ch = self._set_local(L, i.dst, self.value(i.expr, L))
        elif isinstance(i, ir.Copy):
            for k in range(i.width):
                ch |= self._set_local(L, i.dst + k, set(L[i.src + k]) if i.src + k < len(L) else set())
        elif isinstance(i, ir.Load):
            for r, o in list(self.value(i.addr, L)):
                for k in range(i.width):
                    ch |= self._set_local(L, i.dst + k, set(self.read(r, add(o, k), L)))
        elif isinstance(i, ir.Store):
            vals = [self.value(v, L) for v in i.values]
            for r, o in list(self.value(i.addr, L)):
                for k, v in enumerate(vals):
                    ch |= self.write(r, add(o, k), set(v), L)
        elif isinstance(i, ir.Rmw):
            x = self.value(i.operand, L)
            for r, o in list(self.value(i.addr, L)):
                ch |= self.write(r, o, set(x), L)
                if i.dst is not None:
                    ch |= self._set_local(L, i.dst, set(self.read(r, o, L)) | x)
        elif isinstance(i, ir.Alloc):
            ch = self._set_local(L, i.dst, {(i.site, 0)})
        return ch


def _locals_read(e, out: set) -> set:
    if isinstance(e, ir.LocalRef):
        out.add(e.off)
    elif isinstance(e, ir.PtrAdd):
        _locals_read(e.ptr, out)
        _locals_read(e.index, out)
    elif isinstance(e, ir.Bin):
        _locals_read(e.left, out)
        _locals_read(e.right, out)
    elif isinstance(e, ir.Un):
        _locals_read(e.arg, out)
    elif isinstance(e, ir.Cond):
        _locals_read(e.cond, out)
        _locals_read(e.then, out)
        _locals_read(e.other, out)
    return out


def _locals_written(i) -> tuple:
    """The locals a step writes (None: it may write any, through a pointer)."""
    if isinstance(i, (ir.Assign, ir.Nondet)):
        return (i.dst,)
    if isinstance(i, (ir.Copy, ir.Load)):
        return tuple(range(i.dst, i.dst + i.width))
    if isinstance(i, ir.Kill):
        return tuple(range(i.off, i.off + i.width))
    if isinstance(i, (ir.Rmw, ir.Warn, ir.SrcuReadLock, ir.Alloc)):
        return () if i.dst is None else (i.dst,)
    if isinstance(i, ir.Store):
        return None
    return ()


def _bound(cond):
    """(index expression, n) of an array bounds check ``idx >= 0 && idx < n``, or None."""
    if (isinstance(cond, ir.Bin) and cond.op == "&&" and isinstance(cond.left, ir.Bin)
            and isinstance(cond.right, ir.Bin) and cond.left.op == ">=" and cond.right.op == "<"
            and cond.left.left == cond.right.left and cond.left.right == ir.Const(0)
            and isinstance(cond.right.right, ir.Const) and cond.right.right.value.__class__ is int):
        return cond.left.left, cond.right.right.value
    return None


def index_bounds(code, escaped: frozenset = frozenset(), reach: int = 40) -> list:
    """Per pc, {index expression: n} for each array index known to lie in [0, n) there.

    The front end checks every index into an array (not through a pointer) with
    ``assert(idx >= 0 && idx < n)`` (no-out-of-bounds) just before the access; a path that
    fails it ends there. So at a step whose only way in is a straight run of steps from such a
    check, with no write to a local the index reads, the index is in bounds (several checks of
    one index: the smallest n)."""
    preds: list = [[] for _ in code]
    for pc, i in enumerate(code):
        for s in successors(code, pc):
            if 0 <= s < len(code) and s != pc:
                preds[s].append(pc)
    out: list = []
    for pc in range(len(code)):
        found: dict = {}
        dead: set = set()  # locals written on the way back: checks before that say nothing
        q = pc
        for _ in range(reach):
            if len(preds[q]) != 1:
                break
            q = preds[q][0]
            i = code[q]
            if isinstance(i, ir.Assert) and i.prop == ir.P_BOUNDS:
                b = _bound(i.cond)
                if b is not None and not (_locals_read(b[0], set()) & dead):
                    found[b[0]] = min(b[1], found.get(b[0], b[1]))
            w = _locals_written(i)
            if w is None:
                dead |= set(escaped)
            else:
                dead.update(w)
        out.append(found)
    return out


def successors(code: list, pc: int) -> tuple:
    """The control-flow successors of pc, with the wait of a synchronize_srcu (it stays at pc)."""
    out = cfg_successors(code, pc)
    return (pc,) + out if isinstance(code[pc], ir.SrcuSync) else out


def must_held(code, pt: PointsTo, L) -> list:
    """Per pc, the global lock cells (offsets) the thread surely holds before the step at pc."""
    n = len(code)
    held: list = [None] * n  # None: not reached yet (top)
    if not n:
        return held
    held[0] = frozenset()
    work = [0]
    while work:
        pc = work.pop()
        i = code[pc]
        cur = held[pc]
        if isinstance(i, ir.Lock):
            a = pt.at(code, pc).value(i.addr, L)
            if len(a) == 1:
                ((r, o),) = a
                if r == ir.GLOBAL and o.__class__ is int:
                    cur = cur | {o}
        elif isinstance(i, ir.Unlock):
            a = pt.at(code, pc).value(i.addr, L)
            if any(r == ir.GLOBAL and o.__class__ is not int for r, o in a):
                cur = frozenset()
            else:
                cur = cur - {o for r, o in a if r == ir.GLOBAL}
        for s in successors(code, pc):
            if not 0 <= s < n:
                continue
            new = cur if held[s] is None else held[s] & cur
            if new != held[s]:
                held[s] = new
                work.append(s)
    return [h if h is not None else frozenset() for h in held]


class Future:
    """What a thread may still do from one pc: ``cells[region][offset] = [read locksets,
    write locksets, values written]`` (a lockset: the global locks surely held at that access;
    an access is unguarded for a thread holding none of them; the values: the constants its
    writes store, UNKNOWN among them when one stores something else) and whether it may
    allocate."""

    __slots__ = ("cells", "alloc", "memo")

    def __init__(self):
        self.cells: dict = {}
        self.alloc = False
        self.memo: dict = {}  # conflicts' answers: a footprint does not change once built

    def add(self, r, o, mode: int, lockset, value=None) -> bool:
        if self.memo:
            self.memo.clear()
        d = self.cells.setdefault(r, {})
        e = d.get(o)
        if e is None:
            e = d[o] = (set(), set(), set())
        ch = False
        if mode == W:
            v = UNKNOWN if value is None else value
            if v not in e[2]:
                e[2].add(v)
                ch = True
        s = e[0] if mode == R else e[1]
        if lockset in s or UNGUARDED in s:
            return ch
        if lockset == UNGUARDED:
            s.clear()
        else:  # a superset of a lockset already there guards less: keep the smaller one only
            if any(x <= lockset for x in s):
                return ch
            for x in [x for x in s if lockset <= x]:
                s.discard(x)
        s.add(lockset)
        return True

    def merge(self, other: "Future") -> bool:
        ch = False
        for r, d in other.cells.items():
            mine = self.cells.get(r)
            for o, (rs, ws, vals) in d.items():
                e = mine.get(o) if mine is not None else None
                if e is not None and rs <= e[0] and ws <= e[1] and vals <= e[2]:
                    continue  # nothing new (most merges of a fixpoint's later rounds)
                for ls in rs:
                    ch |= self.add(r, o, R, ls)
                for ls in ws:
                    for v in vals:
                        ch |= self.add(r, o, W, ls, v)
        if other.alloc and not self.alloc:
            self.alloc = True
            ch = True
        return ch

    def size(self) -> int:
        return sum(len(d) for d in self.cells.values())

    def covers(self, other: "Future") -> bool:
        """Would merging other into this future change nothing?"""
        if other.alloc and not self.alloc:
            return False
        for r, d in other.cells.items():
            mine = self.cells.get(r)
            if mine is None:
                return False
            for o, (rs, ws, vals) in d.items():
                e = mine.get(o)
                if e is None or not vals <= e[2] or not _covered(rs, e[0]) or not _covered(ws, e[1]):
                    return False
        return True

    def copy(self) -> "Future":
        f = Future()
        f.cells = {r: {o: (set(rs), set(ws), set(vals)) for o, (rs, ws, vals) in d.items()}
                   for r, d in self.cells.items()}
        f.alloc = self.alloc
        return f

    def conflicts(self, r, o, mode: int, held: frozenset, cur=UNKNOWN) -> bool:
        """Does an access (r, o, mode) by a thread holding the global locks ``held`` conflict
        with an access this future may make? (o ANY: every cell of r.) cur: the value the
        cell holds now, for a read under sc: writes that can only store that same value leave
        the cell as it is, so a read commutes with them. (Memoised: the search asks the same
        questions in state after state.)"""
        key = (r, o, mode, held, cur)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self._conflicts(r, o, mode, held, cur)
        return hit

    def _conflicts(self, r, o, mode: int, held: frozenset, cur) -> bool:
        d = self.cells.get(r)
        if not d:
            return False
        if o is ANY:
            entries = d.values()
        else:
            entries = [e for e in (d.get(o), d.get(ANY)) if e is not None]
            entries += [e for o2, e in d.items() if o2.__class__ is tuple and o2[0] <= o < o2[1]]
        for rs, ws, vals in entries:
            if mode == W:
                if _unguarded(ws, held) or _unguarded(rs, held):
                    return True
            elif _unguarded(ws, held) and not (cur is not UNKNOWN and vals == {cur}):
                return True
        return False


def _covered(locksets, mine) -> bool:
    """Is every lockset of locksets one of mine or guarded less by one of mine (a subset)?"""
    for ls in locksets:
        if ls not in mine and not any(x <= ls for x in mine):
            return False
    return True


def _unguarded(locksets, held: frozenset) -> bool:
    return any(not (ls & held) for ls in locksets)


def step_accesses(i, pt: PointsTo, L, memory_model: str) -> list:
    """The abstract (region, offset, mode, value) a step may access (its own locals left out;
    value: the constant a write stores, None if not a constant)."""
    out = []

    def cells(addr, width: int, mode: int, values=None):
        for r, o in pt.value(addr, L):
            if r == LOCALS:
                continue
            for k in range(width):
                v = None
                if values is not None and isinstance(values[k], ir.Const) and values[k].value.__class__ is int:
                    v = values[k].value
                out.append((r, add(o, k), mode, v))

    ra = memory_model != "sc"
    if isinstance(i, ir.Load):
        cells(i.addr, i.width, R)
    elif isinstance(i, ir.Store):
        cells(i.addr, len(i.values), W, i.values)
    elif isinstance(i, ir.Rmw):
        cells(i.addr, 1, W)
        if ra and i.order == ir.MB:
            out.append((FENCE, 0, W, None))
    elif isinstance(i, (ir.Lock, ir.Unlock)):
        # a lock operation writes the lock cell, but in a space of its own: an unlock is a left
        # mover over other threads' lock operations (they cannot take a lock its holder has)
        out += [(_lock(r), o, W, None) for r, o in pt.value(i.addr, L) if r != LOCALS]
    elif isinstance(i, ir.SrcuReadLock):
        # the end of a read section moves before synchronize_srcu (executor REDUCTIONS): none
        out += [(_srcu(r), o, R, None) for r, o in pt.value(i.addr, L) if r != LOCALS]
    elif isinstance(i, ir.SrcuReadUnlock) and ra:
        # Under ra the end of a section moved before synchronize_srcu reaches a state with smaller
        # views only (executor REDUCTIONS: a simulation, not an equality), so a persistent set
        # must not postpone it past a synchronize_srcu on its domain: in a thread's future it
        # reads the domain. (The step itself stays a left mover: movers.Movers keeps it early.)
        out += [(_srcu(r), o, R, None) for r, o in pt.value(i.addr, L) if r != LOCALS]
    elif isinstance(i, ir.SrcuSync):
        out += [(_srcu(r), o, W, None) for r, o in pt.value(i.addr, L) if r != LOCALS]
        if ra:
            out.append((FENCE, 0, W, None))
    elif isinstance(i, ir.Free):
        out += [(r, ANY, W, None) for r, _ in pt.value(i.ptr, L) if r >= 0]
        out += [(_lock(r), ANY, W, None) for r, _ in pt.value(i.ptr, L) if r >= 0]
    elif isinstance(i, ir.Fence):
        if ra and ir.fence_effect(i.kind) == "mb":
            out.append((FENCE, 0, W, None))
    return out


def own_accesses(code, pt: PointsTo, L, memory_model: str) -> list:
    """Per pc, the Future of the step at pc alone."""
    held = must_held(code, pt, L)
    own = []
    for pc, i in enumerate(code):
        f = Future()
        for r, o, m, v in step_accesses(i, pt.at(code, pc), L, memory_model):
            f.add(r, o, m, held[pc], v)
        f.alloc = isinstance(i, ir.Alloc)
        own.append(f)
    return own


def global_lock(code, pt: PointsTo, L, pc: int):
    """The global lock cell (offset) the step at pc surely takes, or None."""
    i = code[pc]
    if not isinstance(i, ir.Lock):
        return None
    a = pt.at(code, pc).value(i.addr, L)
    if len(a) == 1:
        ((r, o),) = a
        if r == ir.GLOBAL and o.__class__ is int:
            return o
    return None


def futures(code, own: list, barriers: frozenset = frozenset(), locks: list | None = None) -> list:
    """Future per pc of one thread's code: the union of the own accesses of every pc reachable
    from it (pc itself included).

    barriers: global locks (offsets) the thread cannot take meanwhile (another thread holds
    them): a path stops at a lock of one (the lock step itself stays: it waits there), so the
    future holds what the thread may do before it takes one (locks[pc]: global_lock's).

    Every pc of a strongly connected component of the control flow reaches the same pcs, so
    the components are taken sinks first and each gets one Future: the union of its pcs' own
    accesses and its successor components' futures. Futures are not changed once built, so a
    component that adds nothing to its largest successor's future shares that object (most
    pcs: a local step, or a branch whose arms meet again)."""
    n = len(code)
    succ = []
    for pc in range(n):
        if barriers and locks[pc] in barriers:
            succ.append(())
        else:
            succ.append(tuple(s for s in successors(code, pc) if 0 <= s < n and s != pc))
    fut: list = [None] * n
    empty = None
    for comp in _components(succ):
        outs: dict = {}  # id -> a successor component's future
        for pc in comp:
            for s in succ[pc]:
                f = fut[s]
                if f is not None:  # None: s is in comp itself (its future is being built)
                    outs[id(f)] = f
        mine = [own[pc] for pc in comp if own[pc].cells or own[pc].alloc]
        if outs:
            base = max(outs.values(), key=Future.size)
            rest = [f for f in outs.values() if f is not base] + mine
            if not all(base.covers(f) for f in rest):
                base = base.copy()
                for f in rest:
                    base.merge(f)
        elif mine:
            base = Future()
            for f in mine:
                base.merge(f)
        else:
            if empty is None:
                empty = Future()
            base = empty
        for pc in comp:
            fut[pc] = base
    return fut


def _components(succ: list) -> list:
    """The strongly connected components of a graph (succ[v]: v's successors), each a list of
    its vertices, every component after the components it reaches (Tarjan, iteratively)."""
    n = len(succ)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list = []
    out: list = []
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, k = work[-1]
            if k < len(succ[v]):
                work[-1] = (v, k + 1)
                w = succ[v][k]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


class Footprints:
    """Everything the reduction needs to know statically about a program."""

    def __init__(self, program: ir.Program, memory_model: str):
        self.pt = PointsTo(program)
        self.future: dict[int, list] = {}
        self.held: dict[int, list] = {}
        self._own: dict[int, tuple] = {}  # id(code) -> (code, own accesses per pc, global_lock per pc)
        self._cut: dict = {}  # (id(code), barriers) -> futures_with
        for th in program.threads:
            if id(th.code) not in self.future:
                L = self.pt.locals_of[id(th.code)]
                own = own_accesses(th.code, self.pt, L, memory_model)
                locks = [global_lock(th.code, self.pt, L, pc) for pc in range(len(th.code))]
                self._own[id(th.code)] = (th.code, own, locks)
                self.future[id(th.code)] = futures(th.code, own)
        # the global lock cells no step writes but a lock operation (futures_with's barriers)
        written = Future()
        for _, own, _ in self._own.values():
            for f in own:
                written.merge(f)
        self._lock_only = frozenset(
            o for _, _, locks in self._own.values() for o in locks
            if o is not None and not written.conflicts(ir.GLOBAL, o, R, UNGUARDED))
        # what the invariants read: a step that writes one of these cells is visible
        self.invariant_reads = Future()
        for inv in program.invariants:
            L = self.pt.locals_of[id(inv.code)]
            for pc, i in enumerate(inv.code):
                for r, o, m, _ in step_accesses(i, self.pt.at(inv.code, pc), L, memory_model):
                    self.invariant_reads.add(r, o, R, UNGUARDED)

    def own_of(self, code) -> list:
        """Per pc of code (a thread's), the Future of the step at pc alone."""
        return self._own[id(code)][1]

    def futures_with(self, code, barriers: frozenset) -> list:
        """The futures of code's pcs while another thread holds the global locks barriers:
        what the thread may do before it takes one of them (futures' barriers). A lock whose
        cell some step may write other than by locking and unlocking it (a plain store, an
        atomic) is no barrier: it might be freed behind its holder's back."""
        code_, own, locks = self._own[id(code)]
        barriers = barriers & self._lock_only & frozenset(x for x in locks if x is not None)
        if not barriers:
            return self.future[id(code)]
        key = (id(code), barriers)
        hit = self._cut.get(key)
        if hit is None:
            hit = self._cut[key] = futures(code_, own, barriers, locks)
        return hit


_last: list = []  # [(program, memory model, Footprints)]: the one most recently built


def footprints_of(program: ir.Program, memory_model: str) -> Footprints:
    """The program's Footprints, built once for the executors of one run (the search's, and
    the one that expands its counterexamples): the analysis is a fixpoint over the whole IR."""
    if _last and _last[0][0] is program and _last[0][1] == memory_model:
        return _last[0][2]
    fp = Footprints(program, memory_model)
    _last[:] = [(program, memory_model, fp)]
    return fp
