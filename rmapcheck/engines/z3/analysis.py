"""A static over-approximation of the values every cell can hold (abstract interpretation).

The z3 encoding uses it only for precision and size, never for soundness: which cells an
address may name (the candidates of a symbolic access), which cells can hold a pointer
(an int-only cell is one z3 variable instead of two), how large a heap object can get.
Wherever the encoding relies on one of these facts it also emits a *limit* condition
that is true exactly when the fact is wrong in some state; a reachable limit makes the
engine answer 'unknown', so a mistake here costs precision, not soundness.

Abstract value: an integer interval (or None: no integer) and a map from pointer base
to an offset interval. Bases: ('G',) the globals, ('L', tid) a thread's locals,
('H', site) the heap objects of an allocation site. Interval bounds are ints or None
(unbounded). Thread locals are analysed flow-sensitively (one abstract state per pc,
refined at branches and assertions); globals and heap cells flow-insensitively.
"""

from __future__ import annotations

from rmapcheck.frontend.typeenv import c_div
from rmapcheck.ir import nodes as ir

WIDEN_AFTER = 40  # updates of one pc before its intervals are widened
WIDEN_SHARED = 12  # updates of one global or heap cell before its intervals are widened
G = ("G",)


# ----------------------------------------------------------------------------- intervals

def ijoin(a, b):
    if a is None:
        return b
    if b is None:
        return a
    lo = None if a[0] is None or b[0] is None else min(a[0], b[0])
    hi = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return (lo, hi)


def iwiden(old, new):
    """Widen old by new: a bound that moved becomes unbounded."""
    if old is None or new is None:
        return new if old is None else old
    lo = old[0] if (new[0] is not None and old[0] is not None and new[0] >= old[0]) else (
        None if new[0] is None or old[0] is None or new[0] < old[0] else old[0])
    hi = old[1] if (new[1] is not None and old[1] is not None and new[1] <= old[1]) else (
        None if new[1] is None or old[1] is None or new[1] > old[1] else old[1])
    return (lo, hi)


def _add(x, y):
    return None if x is None or y is None else x + y


def iadd(a, b):
    if a is None or b is None:
        return None
    return (_add(a[0], b[0]), _add(a[1], b[1]))


def ineg(a):
    if a is None:
        return None
    return (None if a[1] is None else -a[1], None if a[0] is None else -a[0])


def iconst(a):
    return a is not None and a[0] is not None and a[0] == a[1]


def imul(a, b):
    if a is None or b is None:
        return None
    if iconst(a) and a[0] == 0 or iconst(b) and b[0] == 0:
        return (0, 0)
    if None in a or None in b:
        # sign reasoning for a constant factor
        if iconst(b):
            a, b = b, a
        if iconst(a):
            k = a[0]
            lo, hi = b
            if k > 0:
                return (None if lo is None else lo * k, None if hi is None else hi * k)
            return (None if hi is None else hi * k, None if lo is None else lo * k)
        return (None, None)
    ps = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return (min(ps), max(ps))


def idiv(a, b):
    if a is None or b is None:
        return None
    if None in b or b[0] <= 0 <= b[1]:
        if None not in a:
            m = max(abs(a[0]), abs(a[1]))
            return (-m, m)
        return (None, None)
    if None in a:
        return (None, None)
    cands = [c_div(x, y) for x in (a[0], a[1]) for y in (b[0], b[1])]
    if a[0] <= 0 <= a[1]:
        cands.append(0)
    return (min(cands), max(cands))


def imod(a, b):
    if a is None or b is None:
        return None
    if None in b:
        if a[0] is not None and a[0] >= 0:
            return (0, a[1])
        return (None, None)
    m = max(abs(b[0]), abs(b[1]))
    if m == 0:
        return None
    if a[0] is not None and a[0] >= 0:
        return (0, m - 1 if a[1] is None else min(m - 1, a[1]))
    return (-(m - 1), m - 1)


def contains(a, v: int) -> bool:
    return a is not None and (a[0] is None or a[0] <= v) and (a[1] is None or v <= a[1])


def clip(a, lo: int, hi: int):
    """a intersected with [lo, hi] (None when empty)."""
    if a is None:
        return None
    x = lo if a[0] is None else max(a[0], lo)
    y = hi if a[1] is None else min(a[1], hi)
    return (x, y) if x <= y else None


# ----------------------------------------------------------------------------- strided offsets
# A pointer's offsets are (lo, hi, st): lo, lo+st, ..., hi (st 0: one offset; bounds None:
# unbounded, then st only says the offsets are congruent modulo st to lo... and is 1).

def _gcd(*xs):
    from math import gcd

    g = 0
    for x in xs:
        g = gcd(g, abs(x))
    return g


def ojoin(a, b):
    if a is None:
        return b
    if b is None:
        return a
    lo, hi = ijoin(a[:2], b[:2])
    if a[0] is None or b[0] is None:
        st = 1
    else:
        st = _gcd(a[2], b[2], a[0] - b[0])
    if lo is not None and hi is not None and lo == hi:
        st = 0
    elif st == 0:
        st = 1
    return (lo, hi, st)


def owiden(old, new):
    w = iwiden((old[0], old[1]), (new[0], new[1]))
    j = ojoin(old, new)
    st = j[2] if w[0] is not None else 1
    return (w[0], w[1], st if (w[0] is None or w[1] is None or w[0] != w[1]) else 0)


def oshift(o, d, dst: int):
    """Offsets o plus an int interval d whose values are spaced by dst."""
    if o is None or d is None:
        return None
    lo = _add(o[0], d[0])
    hi = _add(o[1], d[1])
    st = _gcd(o[2], dst) if not (d[0] is not None and d[0] == d[1]) else o[2]
    if lo is None or hi is None:
        st = st or 1
    elif lo == hi:
        st = 0
    elif st == 0:
        st = 1
    return (lo, hi, st)


def oclip(o, lo: int, hi: int):
    """Offsets in [lo, hi] (aligned to the stride), or None."""
    if o is None:
        return None
    st = o[2] or 1
    a = lo if o[0] is None else max(o[0], lo)
    if o[0] is not None and st > 1:
        a = o[0] + -(-(a - o[0]) // st) * st
    b = hi if o[1] is None else min(o[1], hi)
    if o[0] is not None and st > 1 and b >= a:
        b = a + ((b - a) // st) * st
    if a > b:
        return None
    return (a, b, 0 if a == b else (st if o[0] is not None else 1))


def orange(o):
    """The concrete offsets of a clipped (bounded) strided interval."""
    lo, hi, st = o
    return range(lo, hi + 1, st or 1)


# ----------------------------------------------------------------------------- values

class AV:
    """Abstract value: ints interval (or None) + {base: offset interval}."""

    __slots__ = ("ints", "ptrs")

    def __init__(self, ints=None, ptrs=None):
        self.ints = ints
        self.ptrs = ptrs or {}

    def __eq__(self, o):
        return isinstance(o, AV) and self.ints == o.ints and self.ptrs == o.ptrs

    def __hash__(self):
        return hash((self.ints, tuple(sorted(self.ptrs.items(), key=repr))))

    def __repr__(self):
        return f"AV({self.ints}, {self.ptrs})"

    def is_bottom(self):
        return self.ints is None and not self.ptrs

    def join(self, o: "AV") -> "AV":
        """The join; self itself when o adds nothing (callers compare by identity)."""
        if o is self or o.is_bottom():
            return self
        if self.is_bottom():
            return o
        ints = ijoin(self.ints, o.ints)
        changed = ints != self.ints
        p = self.ptrs
        for k, v in o.ptrs.items():
            cur = p.get(k)
            nv = v if cur is None else (cur if cur == v else ojoin(cur, v))
            if nv != cur:
                if p is self.ptrs:
                    p = dict(p)
                p[k] = nv
                changed = True
        return AV(ints, p) if changed else self

    def widen(self, new: "AV") -> "AV":
        j = self.join(new)
        p = {k: (owiden(self.ptrs[k], v) if k in self.ptrs else v) for k, v in j.ptrs.items()}
        return AV(iwiden(self.ints, j.ints) if self.ints is not None else j.ints, p)

    def may_ptr(self) -> bool:
        return bool(self.ptrs)


BOT = AV()
ZERO = AV((0, 0))
BOOL = AV((0, 1))
TOP_INT = AV((None, None))


def const(v) -> AV:
    if isinstance(v, tuple):
        base, off = v
        if base == ir.GLOBAL:
            return AV(None, {G: (off, off, 0)})
        if base >= 0:
            raise ValueError("heap pointer in an initial value")
        return AV(None, {("L", ir.LOCAL_BASE - base): (off, off, 0)})
    return AV((v, v))


# ----------------------------------------------------------------------------- the analysis

class Analysis:
    """Run once per program. Results:

    thread_states[tid][pc]  list of AV per local (entry of pc), None if unreachable
    inv_states[k][pc]       the same for invariant k (pseudo thread id = len(threads))
    globals_[k]             AV of global cell k
    heap[site][field]       AV of the cells of a site's objects (field = offset % elem_cells)
    site_elem[site]         cells per element; site_count[site] interval of element counts
    """

    def __init__(self, program: ir.Program, threads: list):
        self.p = program
        self.threads = threads  # list of (ir.Thread, instance)
        self.nthreads = len(threads)
        self.globals_ = [const(v) for v in program.global_init]
        self.gupd = [0] * len(self.globals_)
        self.heap: dict[int, list] = {}
        self.hupd: dict[tuple, int] = {}
        self.site_elem: dict[int, int] = {}
        self.site_count: dict[int, tuple] = {}
        self.faults = program.meta.faults
        self.thread_states: list = [None] * self.nthreads
        self.inv_states: list = [None] * len(program.invariants)
        self.changed = False
        self._run()

    # -- shared memory --------------------------------------------------------------
    def _gwrite(self, k: int, v: AV) -> None:
        old = self.globals_[k]
        new = old.join(v)
        if new != old:
            self.gupd[k] += 1
            if self.gupd[k] > WIDEN_SHARED:
                new = old.widen(new)
            self.globals_[k] = new
            self.changed = True

    def _fields(self, site: int) -> list:
        f = self.heap.get(site)
        if f is None:
            f = self.heap[site] = [BOT] * self.site_elem.get(site, 1)
        return f

    def _hwrite(self, site: int, field: int, v: AV) -> None:
        f = self._fields(site)
        if field >= len(f):
            return
        old = f[field]
        new = old.join(v)
        if new != old:
            key = (site, field)
            self.hupd[key] = self.hupd.get(key, 0) + 1
            if self.hupd[key] > WIDEN_SHARED:
                new = old.widen(new)
            f[field] = new
            self.changed = True

    def heap_fields(self, site: int, offs) -> list[int]:
        """The fields of a site's objects an offset interval can name."""
        e = self.site_elem.get(site, 1)
        if offs is None:
            return []
        lo, hi = offs[0], offs[1]
        st = (offs[2] if len(offs) > 2 else 1) or 1
        if lo is None or hi is None:
            return list(range(e)) if st % e != 0 or lo is None else [lo % e]
        if (hi - lo) // st + 1 >= e and st % e != 0:
            return list(range(e))
        return sorted({o % e for o in range(lo, hi + 1, st)})

    # -- expressions ------------------------------------------------------------------
    def ev(self, e, L: list, tid: int) -> AV:
        if isinstance(e, ir.Const):
            return AV((e.value, e.value))
        if isinstance(e, ir.LocalRef):
            return L[e.off]
        if isinstance(e, ir.GlobalAddr):
            return AV(None, {G: (e.off, e.off, 0)})
        if isinstance(e, ir.LocalAddr):
            return AV(None, {("L", tid): (e.off, e.off, 0)})
        if isinstance(e, ir.PtrAdd):
            p, i = self.ev(e.ptr, L, tid), self.ev(e.index, L, tid)
            d = imul(i.ints, (e.scale, e.scale))
            if d is None:
                return BOT
            return AV(iadd(p.ints, d), {k: oshift(v, d, e.scale) for k, v in p.ptrs.items()})
        if isinstance(e, ir.Bin):
            a, b = self.ev(e.left, L, tid), self.ev(e.right, L, tid)
            op = e.op
            if op in ("&&", "||", "==", "!="):
                if op in ("==", "!=") and not a.ptrs and not b.ptrs and iconst(a.ints) and iconst(b.ints):
                    r = int((a.ints[0] == b.ints[0]) == (op == "=="))
                    return AV((r, r))
                return BOOL
            x, y = a.ints, b.ints
            if x is None or y is None:
                return BOT
            if op == "+":
                return AV(iadd(x, y))
            if op == "-":
                return AV(iadd(x, ineg(y)))
            if op == "*":
                return AV(imul(x, y))
            if op == "/":
                return AV(idiv(x, y))
            if op == "%":
                return AV(imod(x, y))
            if op in ("<", "<=", ">", ">="):
                if iconst(x) and iconst(y):
                    r = int({"<": x[0] < y[0], "<=": x[0] <= y[0], ">": x[0] > y[0], ">=": x[0] >= y[0]}[op])
                    return AV((r, r))
                return BOOL
            if iconst(x) and iconst(y):
                try:
                    r = {"<<": lambda: x[0] << y[0], ">>": lambda: x[0] >> y[0], "&": lambda: x[0] & y[0],
                         "|": lambda: x[0] | y[0], "^": lambda: x[0] ^ y[0]}[op]()
                except (ValueError, KeyError):
                    return TOP_INT
                return AV((r, r))
            if op in ("<<", ">>") and iconst(y) and 0 <= y[0] < 63:
                k = 1 << y[0]
                return AV(imul(x, (k, k)) if op == "<<" else idiv(x, (k, k)) if x[0] is not None and x[0] >= 0 else (None, None))
            if op == "&":
                for m, o in ((x, y), (y, x)):
                    if iconst(m) and m[0] >= 0:
                        return AV((0, m[0]))
            if op in ("&", "|", "^") and None not in x and None not in y and x[0] >= 0 and y[0] >= 0:
                top = (1 << max(x[1], y[1]).bit_length()) - 1
                return AV((0, min(x[1], y[1]) if op == "&" else top))
            return TOP_INT
        if isinstance(e, ir.Un):
            a = self.ev(e.arg, L, tid)
            if e.op == "!":
                return BOOL if a.ptrs or a.ints is None or not iconst(a.ints) else AV((int(a.ints[0] == 0),) * 2)
            if a.ints is None:
                return BOT
            if e.op == "-":
                return AV(ineg(a.ints))
            if e.op == "~":
                return AV(iadd(ineg(a.ints), (-1, -1)))
            return TOP_INT
        if isinstance(e, ir.Cond):
            c = self.ev(e.cond, L, tid)
            t, o = self.ev(e.then, L, tid), self.ev(e.other, L, tid)
            if not c.ptrs and c.ints == (0, 0):
                return o
            if c.ptrs and c.ints is None or (c.ints is not None and not contains(c.ints, 0)):
                return t
            return t.join(o)
        raise TypeError(e)

    # -- branch refinement --------------------------------------------------------------
    def refine(self, e, L: list, tid: int, truth: bool):
        """L restricted to states where e's truth value is `truth`; None if impossible."""
        if isinstance(e, ir.Un) and e.op == "!":
            return self.refine(e.arg, L, tid, not truth)
        if isinstance(e, ir.Bin) and e.op == "&&" and truth:
            L1 = self.refine(e.left, L, tid, True)
            return None if L1 is None else self.refine(e.right, L1, tid, True)
        if isinstance(e, ir.Bin) and e.op == "||" and not truth:
            L1 = self.refine(e.left, L, tid, False)
            return None if L1 is None else self.refine(e.right, L1, tid, False)
        v = self.ev(e, L, tid)
        if not v.ptrs and v.ints is not None and iconst(v.ints):
            if bool(v.ints[0]) != truth:
                return None
        if v.is_bottom():
            return None
        if isinstance(e, ir.LocalRef):
            a = L[e.off]
            if truth:
                ints = a.ints
                if ints == (0, 0):
                    ints = None
                elif ints is not None and ints[0] == 0:
                    ints = (1, ints[1])
                elif ints is not None and ints[1] == 0:
                    ints = (ints[0], -1)
                new = AV(ints, a.ptrs)
            else:
                new = AV((0, 0)) if contains(a.ints, 0) else BOT
            if new.is_bottom():
                return None
            L = list(L)
            L[e.off] = new
            return L
        if isinstance(e, ir.Bin) and e.op in ("<", "<=", ">", ">=", "==", "!="):
            op = e.op
            if isinstance(e.right, ir.LocalRef) and isinstance(e.left, ir.Const):
                flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
                return self._cmp(e.right.off, flip[op], e.left.value, L, truth)
            if isinstance(e.left, ir.LocalRef) and isinstance(e.right, ir.Const):
                return self._cmp(e.left.off, op, e.right.value, L, truth)
        return L

    def _cmp(self, k: int, op: str, c: int, L: list, truth: bool):
        if not truth:
            op = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}[op]
        a = L[k]
        ptrs = a.ptrs
        if op in ("<", "<=", ">", ">="):
            ptrs = {}  # an ordered comparison of a pointer faults
        ints = a.ints
        if ints is not None:
            lo, hi = ints
            if op == "<":
                hi = c - 1 if hi is None else min(hi, c - 1)
            elif op == "<=":
                hi = c if hi is None else min(hi, c)
            elif op == ">":
                lo = c + 1 if lo is None else max(lo, c + 1)
            elif op == ">=":
                lo = c if lo is None else max(lo, c)
            elif op == "==":
                lo = c if lo is None else max(lo, c)
                hi = c if hi is None else min(hi, c)
            elif op == "!=":
                if lo == c:
                    lo = c + 1
                if hi == c:
                    hi = c - 1
            ints = (lo, hi) if lo is None or hi is None or lo <= hi else None
        if op == "==":
            ptrs = {}
        new = AV(ints, ptrs)
        if new.is_bottom():
            return None
        L = list(L)
        L[k] = new
        return L

    # -- memory --------------------------------------------------------------------------
    def cells_of(self, a: AV, width: int, tid: int, nlocals: int):
        """Candidate (base, start offsets interval) of an access; heap offsets unclipped."""
        out = []
        nG = len(self.globals_)
        for base, offs in a.ptrs.items():
            if base == G:
                c = oclip(offs, 0, nG - width)
                if c is not None:
                    out.append((base, c))
            elif base[0] == "L":
                if base[1] == tid:
                    c = oclip(offs, 0, nlocals - width)
                    if c is not None:
                        out.append((base, c))
            else:
                c = oclip(offs, 0, 1 << 40)
                if c is not None:
                    out.append((base, c))
        return out

    def read(self, a: AV, width: int, L: list, tid: int) -> list:
        res = [BOT] * width
        for base, offs in self.cells_of(a, width, tid, len(L)):
            lo, hi, st = offs
            if base == G:
                for j in range(width):
                    v = BOT
                    for o in orange(offs):
                        v = v.join(self.globals_[o + j])
                    res[j] = res[j].join(v)
            elif base[0] == "L":
                for j in range(width):
                    for o in orange(offs):
                        res[j] = res[j].join(L[o + j])
            else:
                site = base[1]
                f = self._fields(site)
                e = len(f)
                for j in range(width):
                    shifted = (lo + j, hi + j, st)
                    for fi in self.heap_fields(site, shifted):
                        if fi < e:
                            res[j] = res[j].join(f[fi])
        return res

    def write(self, a: AV, vals: list, L: list, tid: int) -> list:
        width = len(vals)
        L2 = L
        for base, offs in self.cells_of(a, width, tid, len(L)):
            lo, hi, st = offs
            if base == G:
                for o in orange(offs):
                    for j in range(width):
                        self._gwrite(o + j, vals[j])
            elif base[0] == "L":
                if L2 is L:
                    L2 = list(L)
                strong = lo == hi and len(a.ptrs) == 1 and a.ints is None
                for o in orange(offs):
                    for j in range(width):
                        L2[o + j] = vals[j] if strong else L2[o + j].join(vals[j])
            else:
                site = base[1]
                for j in range(width):
                    for fi in self.heap_fields(site, (lo + j, hi + j, st)):
                        self._hwrite(site, fi, vals[j])
        return L2

    # -- per-thread flow-sensitive pass ------------------------------------------------------
    def _thread_pass(self, code: list, nlocals: int, tid: int, init: list, states: list | None, shared_writes: bool):
        n = len(code)
        if states is None:
            states = [None] * n
        upd = [0] * n
        work = []

        def put(pc, L):
            if L is None or pc < 0 or pc >= n:
                return
            old = states[pc]
            if old is None:
                states[pc] = list(L)
                work.append(pc)
                return
            new = [o if o is x else o.join(x) for o, x in zip(old, L)]
            if any(a is not b for a, b in zip(new, old)):
                upd[pc] += 1
                if upd[pc] > WIDEN_AFTER:
                    new = [o.widen(x) for o, x in zip(old, new)]
                states[pc] = new
                work.append(pc)

        put(0, init)
        for pc in range(n):
            # shared memory changed since the last pass: what it feeds are the loads
            if states[pc] is not None and isinstance(code[pc], ir.Load):
                work.append(pc)
        while work:
            pc = work.pop()
            L = states[pc]
            i = code[pc]
            nxt = pc + 1
            if isinstance(i, ir.Assign):
                L2 = list(L)
                L2[i.dst] = self.ev(i.expr, L, tid)
                put(nxt, L2)
            elif isinstance(i, ir.Copy):
                L2 = list(L)
                L2[i.dst:i.dst + i.width] = L[i.src:i.src + i.width]
                put(nxt, L2)
            elif isinstance(i, ir.Kill):
                L2 = list(L)
                L2[i.off:i.off + i.width] = [ZERO] * i.width
                put(nxt, L2)
            elif isinstance(i, ir.Branch):
                put(i.target, self.refine(i.cond, L, tid, True))
                put(i.other, self.refine(i.cond, L, tid, False))
            elif isinstance(i, ir.Jump):
                put(i.target, L)
            elif isinstance(i, ir.Load):
                a = self.ev(i.addr, L, tid)
                vals = self.read(a, i.width, L, tid)
                L2 = list(L)
                L2[i.dst:i.dst + i.width] = vals
                put(nxt, L2)
            elif isinstance(i, ir.Store):
                a = self.ev(i.addr, L, tid)
                vals = [self.ev(v, L, tid) for v in i.values]
                put(nxt, self.write(a, vals, L, tid))
            elif isinstance(i, ir.Lock):
                a = self.ev(i.addr, L, tid)
                self.write(a, [AV((tid + 1, tid + 1))], L, tid)
                put(nxt, L)
            elif isinstance(i, ir.Unlock):
                a = self.ev(i.addr, L, tid)
                self.write(a, [ZERO], L, tid)
                put(nxt, L)
            elif isinstance(i, ir.SrcuReadLock):
                L2 = list(L)
                if i.dst is not None:
                    L2[i.dst] = ZERO
                put(nxt, L2)
            elif isinstance(i, (ir.SrcuReadUnlock, ir.SrcuSync, ir.Fence, ir.Free)):
                put(nxt, L)
            elif isinstance(i, ir.Alloc):
                n_ = self.ev(i.count, L, tid)
                site = i.site
                self.site_elem.setdefault(site, max(i.elem_cells, 1))
                cnt = clip(n_.ints, 1, 1 << 40) if n_.ints is not None else None
                if cnt is not None:
                    old = self.site_count.get(site)
                    new = ijoin(old, cnt)
                    if new != old:
                        self.site_count[site] = new
                        self.changed = True
                    for fi in range(self.site_elem[site]):
                        self._hwrite(site, fi, ZERO)
                    L2 = list(L)
                    v = AV(None, {("H", site): (0, 0, 0)})
                    if self.faults > 0:
                        v = v.join(ZERO)
                    L2[i.dst] = v
                    put(nxt, L2)
                elif self.faults > 0:
                    L2 = list(L)
                    L2[i.dst] = ZERO
                    put(nxt, L2)
            elif isinstance(i, ir.Assert):
                put(nxt, self.refine(i.cond, L, tid, True))
            elif isinstance(i, ir.Assume):
                put(nxt, self.refine(i.cond, L, tid, True))
            elif isinstance(i, ir.Warn):
                L2 = list(L)
                if i.dst is not None:
                    L2[i.dst] = BOOL
                put(nxt, L2)
            elif isinstance(i, ir.Nondet):
                L2 = list(L)
                L2[i.dst] = AV((i.lo, i.hi))
                put(nxt, L2)
            elif isinstance(i, ir.End):
                pass
            else:  # pragma: no cover
                raise TypeError(i)
        return states

    def _run(self) -> None:
        for _ in range(200):
            self.changed = False
            for tid, (th, inst) in enumerate(self.threads):
                init = [ZERO] * th.nlocals
                if th.param_cell is not None:
                    init[th.param_cell] = AV((inst, inst))
                self.thread_states[tid] = self._thread_pass(th.code, th.nlocals, tid, init,
                                                            self.thread_states[tid], True)
            if not self.changed:
                break
        else:  # pragma: no cover - widening makes this unreachable
            raise RuntimeError("static analysis does not converge")
        pseudo = self.nthreads
        for k, inv in enumerate(self.p.invariants):
            self.inv_states[k] = self._thread_pass(inv.code, inv.nlocals, pseudo, [ZERO] * inv.nlocals, None, False)


def held_analysis(code: list, reachable: list, lock_cands, mcells: list, scells: list) -> list:
    """Per pc, the interval of times the thread holds each candidate lock cell.

    lock_cands(pc) gives the candidate cells of the lock instruction at pc. The result
    per pc is {("m"|"s", cell): (lo, hi)} (None for an unreachable pc). Counts never go
    below 0 (unlocking what is not held stops the path) and are widened to None above 8.
    """
    n = len(code)
    keys = [("m", c) for c in mcells] + [("s", c) for c in scells]
    out = [None] * n
    if not keys:
        return [({} if r is not None else None) for r in reachable]
    init = {k: (0, 0) for k in keys}
    work = [0]
    out[0] = init

    def put(pc, st):
        if pc < 0 or pc >= n or reachable[pc] is None:
            return
        old = out[pc]
        if old is None:
            out[pc] = st
            work.append(pc)
            return
        new = {}
        for k in keys:
            a, b = old[k], st[k]
            lo = min(a[0], b[0])
            hi = None if a[1] is None or b[1] is None else max(a[1], b[1])
            if hi is not None and hi > 8:
                hi = None
            new[k] = (lo, hi)
        if new != old:
            out[pc] = new
            work.append(pc)

    def bump(st, kind, cands, d):
        st = dict(st)
        cs = [("m" if kind == "m" else "s", c) for c in cands]
        cs = [c for c in cs if c in st]
        strong = len(cs) == 1
        for k in cs:
            lo, hi = st[k]
            if d < 0:
                lo = max(lo, 1)
                if hi is not None and hi < lo:
                    continue
            nlo = lo + d
            nhi = None if hi is None else hi + d
            if strong:
                st[k] = (max(nlo, 0), nhi)
            else:
                st[k] = (max(min(lo, nlo), 0), None if hi is None or nhi is None else max(hi, nhi))
        return st

    while work:
        pc = work.pop()
        st = out[pc]
        i = code[pc]
        if isinstance(i, ir.Lock):
            put(pc + 1, bump(st, "m", lock_cands(pc), 1))
        elif isinstance(i, ir.Unlock):
            put(pc + 1, bump(st, "m", lock_cands(pc), -1))
        elif isinstance(i, ir.SrcuReadLock):
            put(pc + 1, bump(st, "s", lock_cands(pc), 1))
        elif isinstance(i, ir.SrcuReadUnlock):
            put(pc + 1, bump(st, "s", lock_cands(pc), -1))
        elif isinstance(i, ir.Branch):
            put(i.target, st)
            put(i.other, st)
        elif isinstance(i, ir.Jump):
            put(i.target, st)
        elif isinstance(i, ir.End):
            pass
        else:
            put(pc + 1, st)
    return out
