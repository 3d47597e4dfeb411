"""Symbolic execution of one transition (a *block*), mirroring executor.py step by step.

A transition of thread t from resting pc p runs the instruction at p and then every
local instruction after it, stopping before the next visible one (a load or store
whose address is the thread's own locals is local: that is decided per path, as the
explicit executor decides it per state). Starting from a symbolic pre-state, the block
is explored path by path; a branch on a symbolic condition forks. Each path ends in an
Outcome:

  rest   the thread rests at a pc (a visible step, a synchronize_srcu that waits, a
         jump to itself), with a post-state;
  end    the thread's function returned (pc -1);
  stop   a violation that aborts the path (assertion, NULL, UAF, bounds, double free,
         bad unlock): property and message;
  limit  the encoding cannot follow this path exactly (pool or object too small for the
         bound it was given, an operation z3 is not given, the static analysis missed
         an address): reachable limits make the engine answer 'unknown'.

A path whose assumption fails simply disappears (as in the explicit engine, its events
go with it). Events that do not stop the path (WARN, lock leak at the end) are kept on
the path with the condition under which they fire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from rmapcheck.engines.z3 import terms as T
from rmapcheck.engines.z3.analysis import orange
from rmapcheck.engines.z3.terms import INTB, NULL
from rmapcheck.ir import nodes as ir

MAX_BLOCK_STEPS = 20_000
MAX_PATHS = 20_000
WIDTH_TAG = ("width", None)  # a limit that wider bit-vectors would lift


class EncodingError(Exception):
    """The program cannot be encoded at all (the whole z3 run answers 'unknown')."""


class Unsupported(Exception):
    """This path uses something the encoding does not give z3 (a limit outcome)."""


@dataclass
class Outcome:
    kind: str  # rest | end | stop | limit
    guard: object
    path: "PathState | None" = None
    pc: int = -1
    prop: str = ""
    msg: str = ""
    events: list = field(default_factory=list)  # (prop, cond, msg)
    choices: list = field(default_factory=list)  # (var, kind, lo)
    tag: tuple | None = None  # a limit that a larger bound would lift: ("pool"|"size", site) or WIDTH_TAG


class PathState:
    __slots__ = ("guard", "L", "G", "alive", "size", "cells", "nxt", "m", "s", "wait", "owset",
                 "faults", "choices", "events", "pc", "steps", "seen")

    def copy(self) -> "PathState":
        n = PathState.__new__(PathState)
        n.guard = list(self.guard)
        n.L = list(self.L)
        n.G = dict(self.G)
        n.alive = dict(self.alive)
        n.size = dict(self.size)
        n.cells = dict(self.cells)
        n.nxt = dict(self.nxt)
        n.m = dict(self.m)
        n.s = dict(self.s)
        n.wait = self.wait
        n.owset = dict(self.owset)
        n.faults = self.faults
        n.choices = list(self.choices)
        n.events = list(self.events)
        n.pc = self.pc
        n.steps = self.steps
        n.seen = set(self.seen)
        return n


class BlockExecutor:
    """Explores the blocks of one thread (or one invariant function) over a pre-state."""

    def __init__(self, sysb, tid: int, code: list, nlocals: int, states: list, invariant: bool = False):
        self.sb = sysb  # the system builder: layout, analysis, program, choice variables
        self.tid = tid
        self.code = code
        self.nlocals = nlocals
        self.astates = states  # analysis states per pc
        self.own = ir.local_base(tid)
        self.invariant = invariant
        self.solver = z3.Solver()
        self.solver.set("timeout", 2000)
        self._ovf: list = []
        self._outside: list = []

    # -- entry ------------------------------------------------------------------------
    def start(self, pre, pc: int, L: list, choice_prefix: str = "ch") -> PathState:
        """A path at pc over pre (no step run): used to evaluate expressions over a state."""
        self.pre = pre
        self.choice_prefix = choice_prefix
        self.facts = None
        p = PathState()
        p.guard = []
        p.L = list(L)
        p.G, p.alive, p.size, p.cells, p.nxt, p.m, p.s, p.owset = {}, {}, {}, {}, {}, {}, {}, {}
        p.wait = None
        p.faults = pre.faults
        p.choices = []
        p.events = []
        p.pc = pc
        p.steps = 0
        p.seen = set()
        self.out = []
        return p

    def run(self, pre, pc: int, L: list, leading: bool = False, facts=None, choice_prefix: str = "ch") -> list:
        p = self.start(pre, pc, L, choice_prefix)
        self.solver.reset()
        self.facts = None
        if facts is not None:
            # the facts are asserted once behind a literal: as an assumption formula they
            # would be internalised again at every feasibility check
            self.facts = z3.Bool(f"facts@{self.tid}")
            self.solver.add(z3.Implies(self.facts, T.B(facts)))
        work = [(p, not leading and not self.invariant)]
        npaths = 0
        while work:
            path, first = work.pop()
            npaths += 1
            if npaths > MAX_PATHS:
                raise EncodingError(f"a transition of {self.sb.thread_name(self.tid)} from "
                                    f"{self.code[pc].loc.where} has more than {MAX_PATHS} paths")
            try:
                self._walk(path, first, work)
            except Unsupported as e:
                self._limit(path, True, f"{e} ({self.code[path.pc].loc.where})")
            except T.Overflow as e:
                self._limit(path, True, f"{e} ({self.code[path.pc].loc.where})", WIDTH_TAG)
        return self.out

    # -- outcomes -----------------------------------------------------------------------
    def _g(self, path, extra=True):
        return T.conj(*path.guard, extra)

    def _stop(self, path, cond, prop: str, msg: str) -> None:
        g = self._g(path, cond)
        if g is False:
            return
        self.out.append(Outcome("stop", g, None, path.pc, prop, msg, list(path.events), list(path.choices)))

    def _limit(self, path, cond, msg: str, tag=None) -> None:
        g = self._g(path, cond)
        if g is False:
            return
        self.out.append(Outcome("limit", g, None, path.pc, "", msg, [], list(path.choices), tag))

    def _finish(self, path, kind: str) -> None:
        g = self._g(path)
        if g is False:
            return
        self.out.append(Outcome(kind, g, path, path.pc, "", "", path.events, path.choices))

    # -- feasibility --------------------------------------------------------------------------
    def _check(self, path, cond) -> str:
        """'yes', 'no' (infeasible), or 'facts' (feasible only outside the analysis' facts)."""
        if isinstance(cond, bool):
            return "yes" if cond else "no"
        if path.pc not in path.seen and path.steps < 200:
            return "yes"  # outside loops an infeasible branch only costs formula size
        s = self.solver
        asm = [T.B(g) for g in path.guard] + [cond]
        if self.facts is not None:
            r = s.check(self.facts, *asm)
            if r != z3.unsat:
                return "yes"
        r = s.check(*asm)
        if r == z3.unsat:
            return "no"
        return "facts" if self.facts is not None else "yes"

    def _fork(self, path, cond):
        """Split path on cond: returns (path where cond holds or None, path where it fails or None)."""
        if isinstance(cond, bool):
            return (path, None) if cond else (None, path)
        a = self._check(path, cond)
        nc = T.neg(cond)
        b = self._check(path, nc)
        pt = pf = None
        if a == "yes":
            pt = path.copy() if b == "yes" else path
            pt.guard.append(cond)
        elif a == "facts":
            self._limit(path, cond, "the static analysis says this path is impossible")
        if b == "yes":
            pf = path
            if pt is path:  # pragma: no cover
                pf = path.copy()
            pf.guard.append(nc)
        elif b == "facts":
            self._limit(path, nc, "the static analysis says this path is impossible")
        return pt, pf

    # -- reading and writing the state ------------------------------------------------------
    def gG(self, path, k):
        v = path.G.get(k)
        return self.pre.G[k] if v is None else v

    def gAlive(self, path, o):
        v = path.alive.get(o)
        return self.pre.alive[o] if v is None else v

    def gSize(self, path, o):
        v = path.size.get(o)
        return self.pre.size[o] if v is None else v

    def gCell(self, path, o, c):
        v = path.cells.get((o, c))
        return self.pre.cells[o][c] if v is None else v

    def gNext(self, path, site):
        v = path.nxt.get(site)
        return self.pre.nxt[site] if v is None else v

    def gM(self, path, cell):
        v = path.m.get(cell)
        if v is not None:
            return v
        return self.pre.m[self.tid].get(cell, 0) if not self.invariant else 0

    def gS(self, path, u, cell):
        if u == self.tid:
            v = path.s.get(cell)
            if v is not None:
                return v
        if self.invariant:
            return 0
        return self.pre.s[u].get(cell, 0)

    def gWait(self, path):
        if path.wait is not None:
            return path.wait
        t = self.tid
        return (self.pre.wflag[t], self.pre.waddr[t], list(self.pre.wset[t]))

    def gOWset(self, path, u, t):
        v = path.owset.get((u, t))
        return self.pre.wset[u][t] if v is None else v

    def read_ref(self, path, ref):
        if ref[0] == "G":
            return self.gG(path, ref[1])
        if ref[0] == "H":
            return self.gCell(path, ref[1], ref[2])
        return path.L[ref[1]]

    def write_ref(self, path, ref, v):
        if ref[0] == "G":
            path.G[ref[1]] = v
        elif ref[0] == "H":
            path.cells[(ref[1], ref[2])] = v
        else:
            path.L[ref[1]] = v

    def shift(self, ref, j):
        if ref[0] == "H":
            return ("H", ref[1], ref[2] + j)
        return (ref[0], ref[1] + j)

    # -- expressions --------------------------------------------------------------------------
    def ev(self, e, path):
        """(value, error condition, error message): mirrors evaluator.py's EvalError cases."""
        if isinstance(e, ir.Const):
            return (INTB, e.value), False, ""
        if isinstance(e, ir.LocalRef):
            return path.L[e.off], False, ""
        if isinstance(e, ir.GlobalAddr):
            return (ir.GLOBAL, e.off), False, ""
        if isinstance(e, ir.LocalAddr):
            return (self.own, e.off), False, ""
        if isinstance(e, ir.PtrAdd):
            p, ep, mp = self.ev(e.ptr, path)
            i, ei, mi = self.ev(e.index, path)
            bad = T.ne(i[0], INTB)
            err = T.disj(ep, ei, bad)
            msg = mp or mi or "a pointer used as an index"
            d = T.mul(i[1], e.scale)
            self._ovf.append(T.ovf_mul(i[1], e.scale))
            self._ovf.append(T.ovf_add(p[1], d))
            return (p[0], T.add(p[1], d)), err, msg
        if isinstance(e, ir.Bin):
            op = e.op
            a, ea, ma = self.ev(e.left, path)
            b, eb, mb = self.ev(e.right, path)
            if op == "&&":
                ta = T.v_truth(a)
                return T.bool_int(T.conj(ta, T.v_truth(b))), T.disj(ea, T.conj(ta, eb)), ma or mb
            if op == "||":
                ta = T.v_truth(a)
                return T.bool_int(T.disj(ta, T.v_truth(b))), T.disj(ea, T.conj(T.neg(ta), eb)), ma or mb
            if op == "==":
                return T.bool_int(T.v_eq(a, b)), T.disj(ea, eb), ma or mb
            if op == "!=":
                return T.bool_int(T.neg(T.v_eq(a, b))), T.disj(ea, eb), ma or mb
            ptr = T.disj(T.ne(a[0], INTB), T.ne(b[0], INTB))
            err = T.disj(ea, eb, ptr)
            msg = ma or mb or "arithmetic on a pointer"
            x, y = a[1], b[1]
            if op == "+":
                r = T.add(x, y)
                self._ovf.append(T.ovf_add(x, y))
            elif op == "-":
                r = T.sub(x, y)
                self._ovf.append(T.ovf_sub(x, y))
            elif op == "*":
                r = T.mul(x, y)
                self._ovf.append(T.ovf_mul(x, y))
            elif op in ("/", "%"):
                dz = T.eq(y, 0)
                err = T.disj(err, dz)
                msg = msg if (ea is not False or eb is not False or ptr is not False) else "division by zero"
                if T.is_c(y) and y == 0:
                    r = 0
                else:
                    r = T.tdiv(x, y) if op == "/" else T.tmod(x, y)
            elif op in ("<", "<=", ">", ">="):
                c = {"<": lambda: T.lt(x, y), "<=": lambda: T.le(x, y),
                     ">": lambda: T.lt(y, x), ">=": lambda: T.le(y, x)}[op]()
                return T.bool_int(c), err, msg
            elif op in ("<<", ">>"):
                if T.is_c(y) and not 0 <= y < 64:
                    # evaluator.py: an out-of-range shift count is a fault
                    return (INTB, 0), T.disj(err, True), msg if err is not False else f"shift count {y} is out of range (0 to 63)"
                if T.is_c(x) and T.is_c(y):
                    r = x << y if op == "<<" else x >> y
                elif T.is_c(y):
                    if op == "<<":
                        r = T.mul(x, 1 << y)
                        self._ovf.append(T.ovf_mul(x, 1 << y) if T.fits(1 << y) else True)
                    else:
                        r = T.shr(x, y)
                else:
                    # a variable shift count: one case per count in 0..63, a fault outside
                    bad = T.disj(T.lt(y, 0), T.le(64, y))
                    err = T.disj(err, bad)
                    msg = msg if (ea is not False or eb is not False or ptr is not False) else "shift count out of range (0 to 63)"
                    r = 0
                    for k in range(63, -1, -1):
                        is_k = T.eq(y, k)
                        if op == "<<":
                            if T.fits(1 << k):
                                val = T.mul(x, 1 << k)
                                self._ovf.append(T.conj(is_k, T.ovf_mul(x, 1 << k)))
                            else:
                                val = 0
                                self._ovf.append(T.conj(is_k, T.ne(x, 0)))
                        else:
                            val = T.shr(x, k) if T.fits(1 << k) else T.ite(T.lt(x, 0), -1, 0)
                        r = T.ite(is_k, val, r)
            elif op in ("&", "|", "^"):
                r = self._bitwise(op, x, y, e, path)
            else:
                raise Unsupported(f"operator '{op}'")
            return (INTB, r), err, msg
        if isinstance(e, ir.Un):
            a, ea, ma = self.ev(e.arg, path)
            if e.op == "!":
                return T.bool_int(T.neg(T.v_truth(a))), ea, ma
            err = T.disj(ea, T.ne(a[0], INTB))
            msg = ma or "arithmetic on a pointer"
            if e.op == "-":
                self._ovf.append(T.ovf_sub(0, a[1]))
                return (INTB, T.sub(0, a[1])), err, msg
            if e.op == "~":
                return (INTB, T.sub(T.sub(0, a[1]), 1)), err, msg
            raise Unsupported(f"operator '{e.op}'")
        if isinstance(e, ir.Cond):
            c, ec, mc = self.ev(e.cond, path)
            a, ea, ma = self.ev(e.then, path)
            b, eb, mb = self.ev(e.other, path)
            tc = T.v_truth(c)
            err = T.disj(ec, T.conj(tc, ea), T.conj(T.neg(tc), eb))
            return T.v_ite(tc, a, b), err, mc or ma or mb
        raise Unsupported(f"expression {e!r}")

    def _bitwise(self, op: str, x, y, e, path):
        """&, |, ^: native on bit-vectors; over integers, one case per value the static
        analysis allows (outside those values: a limit)."""
        f = {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b}[op]
        if T.is_c(x) and T.is_c(y):
            return f(x, y)
        if T.SORT.bv:
            return f(T.Z(x), T.Z(y))
        if op == "&":
            m, o = (y, x) if T.is_c(y) else (x, y)
            if T.is_c(m) and m == 0:
                return 0
            if T.is_c(m) and m > 0 and (m & (m + 1)) == 0:
                return T.Z(o) % (m + 1)
        L = self.astates[path.pc]
        an = self.sb.analysis
        ranges = []
        for sub, v in ((e.left, x), (e.right, y)):
            if T.is_c(v):
                ranges.append([v])
                continue
            iv = an.ev(sub, L, self.tid).ints if L is not None else None
            if iv is None or iv[0] is None or iv[1] is None or iv[1] - iv[0] > 255:
                raise Unsupported(f"bitwise '{op}' on a value the static analysis cannot bound")
            ranges.append(list(range(iv[0], iv[1] + 1)))
            self._outside.append(T.neg(T.conj(T.le(iv[0], v), T.le(v, iv[1]))))
        if len(ranges[0]) * len(ranges[1]) > 256:
            raise Unsupported(f"bitwise '{op}' on two wide values")
        r = 0
        for a in ranges[0]:
            for b in ranges[1]:
                r = T.ite(T.conj(T.eq(x, a), T.eq(y, b)), f(a, b), r)
        return r

    def ev_ok(self, e, path, instr):
        """Evaluate; an evaluation error stops the path (assertions), as in Executor.run."""
        self._ovf = []
        self._outside = []
        v, err, msg = self.ev(e, path)
        ovf = T.disj(*self._ovf)
        out = T.disj(*self._outside)
        self._ovf = []
        self._outside = []
        if out is not False:
            self._limit(path, T.conj(T.neg(err), out), f"a bitwise operand outside what the static analysis foresaw in: {instr.text}")
            path.guard.append(T.disj(err, T.neg(out)))
        if ovf is not False:
            self._limit(path, T.conj(T.neg(err), ovf), f"an integer wider than {T.SORT.W} bits in: {instr.text}", WIDTH_TAG)
            path.guard.append(T.disj(err, T.neg(ovf)))
        if err is not False:
            self._stop(path, err, ir.P_ASSERT, f"{msg} in: {instr.text}")
            path.guard.append(T.neg(err))
        return v

    # -- memory access ---------------------------------------------------------------------------
    def candidates(self, instr_addr, pc: int, width: int):
        """Concrete cells an address may start at: [(base value, offset, ref)]."""
        L = self.astates[pc]
        out = []
        if L is None:
            return out
        an = self.sb.analysis
        a = an.ev(instr_addr, L, self.tid)
        for base, offs in an.cells_of(a, width, self.tid, self.nlocals):
            lo, hi, st = offs
            if base[0] == "G":
                for o in orange(offs):
                    out.append((ir.GLOBAL, o, ("G", o)))
            elif base[0] == "L":
                for o in orange(offs):
                    out.append((self.own, o, ("L", o)))
            else:
                site = base[1]
                if site not in self.sb.lay.sites:
                    continue
                pool, maxc, elem, _, _ = self.sb.lay.sites[site]
                fields = set(an.heap_fields(site, offs))
                top = min(hi, maxc - width)
                for oid in self.sb.lay.obj_ids(site):
                    for o in range(lo, top + 1, st or 1):
                        if o % elem in fields:
                            out.append((oid, o, ("H", oid, o)))
        return out

    def heap_objects(self, addr_expr, pc: int) -> list:
        """Every pool object an address may point into (whatever the offset)."""
        L = self.astates[pc]
        if L is None:
            return []
        a = self.sb.analysis.ev(addr_expr, L, self.tid)
        ids = []
        for base in a.ptrs:
            if base[0] == "H" and base[1] in self.sb.lay.sites:
                ids.extend(self.sb.lay.obj_ids(base[1]))
        return ids

    def access(self, path, a, width: int, writing: bool, instr, addr_expr):
        """Check an access like SCMemory._locate; returns [(cond, ref)] of the valid cases."""
        what = getattr(instr, "what", "") or instr.text
        rw = "writing" if writing else "reading"
        b, o = a
        lay = self.sb.lay
        null = T.eq(b, INTB)
        if null is not False:
            self._stop(path, T.conj(null, T.eq(o, 0)), ir.P_NULL, f"NULL pointer dereference: {rw} {what}")
            self._stop(path, T.conj(null, T.ne(o, 0)), ir.P_NULL, f"dereference of an invalid pointer: {what}")
        inb = lambda n: T.conj(T.le(0, o), T.le(T.add(o, width), n))  # noqa: E731
        isG = T.eq(b, ir.GLOBAL)
        bad = [T.conj(isG, T.neg(inb(lay.nG)))]
        nloc = self.nlocals
        isOwn = T.eq(b, self.own)
        bad.append(T.conj(isOwn, T.neg(inb(nloc))))
        cands = self.candidates(addr_expr, path.pc, width)
        heap_ids = self.heap_objects(addr_expr, path.pc)
        uaf = []
        for oid in heap_ids:
            isH = T.eq(b, oid)
            al = self.gAlive(path, oid)
            uaf.append(T.conj(isH, T.neg(al)))
            bad.append(T.conj(isH, al, T.neg(inb(self.gSize(path, oid)))))
        self._stop(path, T.disj(*uaf), ir.P_UAF, f"use after free: {rw} {what}")
        self._stop(path, T.disj(*bad), ir.P_BOUNDS, f"out-of-bounds access: {what}")
        other = T.conj(T.lt(b, -1), T.ne(b, self.own), T.ne(b, INTB))
        self._stop(path, other, ir.P_ASSERT, f"access to another thread's local variable: {what}")
        valid = T.neg(T.disj(null, *uaf, *bad, other))
        out = []
        for cb, co, ref in cands:
            c = T.conj(T.eq(b, cb), T.eq(o, co))
            if c is not False:
                out.append((c, ref))
        covered = T.disj(*[c for c, _ in out])
        self._limit(path, T.conj(valid, T.neg(covered)), f"an address the static analysis did not foresee: {what}")
        path.guard.append(T.conj(valid, covered))
        return out

    def load_cells(self, path, cands, width: int) -> list:
        vals = []
        for j in range(width):
            if not cands:
                vals.append(NULL)
                continue
            v = self.read_ref(path, self.shift(cands[-1][1], j))
            for c, ref in reversed(cands[:-1]):
                v = T.v_ite(c, self.read_ref(path, self.shift(ref, j)), v)
            vals.append(v)
        return vals

    def store_cells(self, path, cands, vals: list) -> None:
        single = len(cands) == 1
        for c, ref in cands:
            for j, v in enumerate(vals):
                r = self.shift(ref, j)
                self.write_ref(path, r, v if single else T.v_ite(c, v, self.read_ref(path, r)))

    # -- locks ------------------------------------------------------------------------------------
    def lock_cells(self, kind: str, u: int):
        th = self.sb.lay.threads[u]
        return th.mcells if kind == "m" else th.scells

    def held_count(self, path, kind: str, a):
        cnt = 0
        for cell in self.lock_cells(kind, self.tid) if not self.invariant else []:
            c = T.v_eq(a, cell)
            if c is False:
                continue
            cur = self.gM(path, cell) if kind == "m" else self.gS(path, self.tid, cell)
            cnt = T.add(cnt, T.ite(c, cur, 0))
        return cnt

    def held_add(self, path, kind: str, a, delta: int, what: str, must_match: bool) -> None:
        cells = self.lock_cells(kind, self.tid) if not self.invariant else []
        matched = []
        for cell in cells:
            c = T.v_eq(a, cell)
            if c is False:
                continue
            matched.append(c)
            if kind == "m":
                path.m[cell] = T.ite(c, T.add(self.gM(path, cell), delta), self.gM(path, cell))
            else:
                cur = self.gS(path, self.tid, cell)
                path.s[cell] = T.ite(c, T.add(cur, delta), cur)
        if must_match:
            miss = T.neg(T.disj(*matched))
            self._limit(path, miss, f"a lock the static analysis did not foresee: {what}")
            path.guard.append(T.neg(miss))

    # -- the walk ---------------------------------------------------------------------------------
    def _walk(self, path, first: bool, work: list) -> None:
        code = self.code
        while True:
            pc = path.pc
            instr = code[pc]
            if not first and not self.invariant and ir.is_scheduling_point(instr, "sc"):
                if isinstance(instr, (ir.Load, ir.Store)):
                    self._ovf = []
                    self._outside = []
                    a, err, _ = self.ev(instr.addr, path)
                    ovf = T.disj(*self._ovf, *self._outside)
                    self._ovf = []
                    self._outside = []
                    if err is not False:
                        raise Unsupported("an address that cannot be evaluated")
                    if ovf is not False:
                        self._limit(path, ovf, f"an integer wider than {T.SORT.W} bits in: {instr.text}", WIDTH_TAG)
                        path.guard.append(T.neg(ovf))
                    own = T.eq(a[0], self.own)
                    pt, pf = self._fork(path, own)
                    if pf is not None:
                        self._finish(pf, "rest")
                    if pt is None:
                        return
                    path = pt
                else:
                    self._finish(path, "rest")
                    return
            first = False
            conts = self._exec(instr, path, pc)
            nextp = None
            for p2, npc in conts:
                if npc < 0:
                    p2.pc = -1
                    self._finish(p2, "end")
                    continue
                if npc == pc:
                    self._finish(p2, "rest")
                    continue
                p2.seen.add(pc)
                p2.pc = npc
                p2.steps += 1
                if p2.steps > MAX_BLOCK_STEPS:
                    self._limit(p2, True, f"more than {MAX_BLOCK_STEPS} local steps in one transition")
                    continue
                if nextp is None:
                    nextp = p2
                else:
                    work.append((p2, False))
            if nextp is None:
                return
            path = nextp

    def _choice(self, path, kind: str, lo: int, hi: int):
        k = len(path.choices)
        v = self.sb.choice_var(self.choice_prefix, k)
        path.choices.append((v, kind, lo))
        return v

    def _exec(self, i, path, pc: int) -> list:
        nxt = pc + 1
        if isinstance(i, ir.Assign):
            v = self.ev_ok(i.expr, path, i)
            path.L[i.dst] = v
            return [(path, nxt)]
        if isinstance(i, ir.Copy):
            path.L[i.dst:i.dst + i.width] = path.L[i.src:i.src + i.width]
            return [(path, nxt)]
        if isinstance(i, ir.Kill):
            path.L[i.off:i.off + i.width] = [NULL] * i.width
            return [(path, nxt)]
        if isinstance(i, ir.Branch):
            v = self.ev_ok(i.cond, path, i)
            pt, pf = self._fork(path, T.v_truth(v))
            out = []
            if pt is not None:
                out.append((pt, i.target))
            if pf is not None:
                out.append((pf, i.other))
            return out
        if isinstance(i, ir.Jump):
            return [(path, i.target)]
        if isinstance(i, ir.Load):
            a = self.ev_ok(i.addr, path, i)
            cands = self.access(path, a, i.width, False, i, i.addr)
            vals = self.load_cells(path, cands, i.width)
            path.L[i.dst:i.dst + i.width] = vals
            return [(path, nxt)]
        if isinstance(i, ir.Store):
            a = self.ev_ok(i.addr, path, i)
            vals = [self.ev_ok(v, path, i) for v in i.values]
            cands = self.access(path, a, len(vals), True, i, i.addr)
            self.store_cells(path, cands, vals)
            return [(path, nxt)]
        if isinstance(i, ir.Lock):
            a = self.ev_ok(i.addr, path, i)
            cands = self.access(path, a, 1, False, i, i.addr)
            self.store_cells(path, cands, [(INTB, self.tid + 1)])
            self.held_add(path, "m", a, 1, i.what, True)
            return [(path, nxt)]
        if isinstance(i, ir.Unlock):
            a = self.ev_ok(i.addr, path, i)
            cnt = self.held_count(path, "m", a)
            none = T.eq(cnt, 0)
            self._stop(path, none, ir.P_BADUNLOCK, f"{i.kind}_unlock({i.what}) by a thread that does not hold it")
            path.guard.append(T.neg(none))
            self.held_add(path, "m", a, -1, i.what, False)
            cands = self.access(path, a, 1, True, i, i.addr)
            self.store_cells(path, cands, [NULL])
            return [(path, nxt)]
        if isinstance(i, ir.SrcuReadLock):
            a = self.ev_ok(i.addr, path, i)
            self.access(path, a, 1, False, i, i.addr)
            self.held_add(path, "s", a, 1, i.what, True)
            if i.dst is not None:
                path.L[i.dst] = NULL
            return [(path, nxt)]
        if isinstance(i, ir.SrcuReadUnlock):
            a = self.ev_ok(i.addr, path, i)
            cnt = self.held_count(path, "s", a)
            none = T.eq(cnt, 0)
            self._stop(path, none, ir.P_BADUNLOCK, f"srcu_read_unlock({i.what}) outside a read section")
            path.guard.append(T.neg(none))
            self.held_add(path, "s", a, -1, i.what, False)
            last = T.eq(cnt, 1)
            for u, th in enumerate(self.sb.lay.threads):
                if u == self.tid or not th.waits:
                    continue
                cond = T.conj(last, self.pre.wflag[u], T.v_eq(self.pre.waddr[u], a))
                cur = self.gOWset(path, u, self.tid)
                path.owset[(u, self.tid)] = T.ite(cond, False, cur)
            return [(path, nxt)]
        if isinstance(i, ir.SrcuSync):
            a = self.ev_ok(i.addr, path, i)
            wflag, _, _ = self.gWait(path)
            pw, pn = self._fork(path, wflag) if not isinstance(wflag, bool) else ((path, None) if wflag else (None, path))
            out = []
            n = len(self.sb.lay.threads)
            if pw is not None:
                pw.wait = (False, NULL, [False] * n)
                out.append((pw, nxt))
            if pn is not None:
                self.access(pn, a, 1, False, i, i.addr)
                readers = []
                for u in range(n):
                    cnt = 0
                    for cell in self.lock_cells("s", u):
                        c = T.v_eq(a, cell)
                        if c is not False:
                            cnt = T.add(cnt, T.ite(c, self.gS(pn, u, cell), 0))
                    readers.append(T.lt(0, cnt))
                anyr = T.disj(*readers)
                pr, pf = self._fork(pn, anyr)
                if pr is not None:
                    pr.wait = (True, a, readers)
                    out.append((pr, pc))
                if pf is not None:
                    pf.wait = (False, NULL, [False] * n)
                    out.append((pf, nxt))
            return out
        if isinstance(i, ir.Alloc):
            return self._alloc(i, path, nxt)
        if isinstance(i, ir.Free):
            return self._free(i, path, nxt)
        if isinstance(i, ir.Assert):
            v = self.ev_ok(i.cond, path, i)
            t = T.v_truth(v)
            self._stop(path, T.neg(t), i.prop, f"assertion failed: {i.text}")
            pt, _ = self._fork_quiet(path, t)
            return [(pt, nxt)] if pt is not None else []
        if isinstance(i, ir.Warn):
            v = self.ev_ok(i.cond, path, i)
            t = T.v_truth(v)
            if t is not False:
                path.events.append((ir.P_WARN, self._g(path, t), f"WARN_ON fired: {i.text}"))
            if i.dst is not None:
                path.L[i.dst] = T.bool_int(t)
            return [(path, nxt)]
        if isinstance(i, ir.Assume):
            v = self.ev_ok(i.cond, path, i)
            pt, _ = self._fork_quiet(path, T.v_truth(v))
            return [(pt, nxt)] if pt is not None else []
        if isinstance(i, ir.Nondet):
            if self.invariant:
                raise Unsupported("a nondeterministic value in an invariant")
            ch = self._choice(path, "nondet", i.lo, i.hi)
            path.guard.append(T.conj(ch >= 0, ch <= i.hi - i.lo))
            path.L[i.dst] = (INTB, T.add(i.lo, ch))
            return [(path, nxt)]
        if isinstance(i, ir.Fence):
            return [(path, nxt)]
        if isinstance(i, ir.End):
            if not self.invariant:
                held = []
                for cell in self.lock_cells("m", self.tid):
                    held.append(T.lt(0, self.gM(path, cell)))
                for cell in self.lock_cells("s", self.tid):
                    held.append(T.lt(0, self.gS(path, self.tid, cell)))
                h = T.disj(*held)
                if h is not False:
                    path.events.append((ir.P_LOCKLEAK, self._g(path, h), "thread ends holding a lock or an srcu read section"))
            return [(path, -1)]
        raise Unsupported(f"instruction {type(i).__name__}")

    def _fork_quiet(self, path, cond):
        """Keep the path where cond holds (the other side is handled by the caller)."""
        if isinstance(cond, bool):
            return (path, None) if cond else (None, None)
        a = self._check(path, cond)
        if a == "no":
            return None, None
        if a == "facts":
            self._limit(path, cond, "the static analysis says this path is impossible")
            return None, None
        path.guard.append(cond)
        return path, None

    def _alloc(self, i, path, nxt: int) -> list:
        if self.invariant:
            raise Unsupported("an allocation in an invariant")
        n = self.ev_ok(i.count, path, i)
        bad = T.disj(T.ne(n[0], INTB), T.le(n[1], 0))
        self._stop(path, bad, ir.P_ASSERT, "allocation of a non-positive number of elements")
        path.guard.append(T.neg(bad))
        out = []
        ok = path
        f = path.faults
        if not (T.is_c(f) and f <= 0):
            has = T.lt(0, f)
            pf, pn = self._fork(path, has)
            ok = pn
            if pf is not None:
                ch = self._choice(pf, "alloc", 0, 1)
                fail = pf.copy()
                fail.guard.append(ch == 1)
                fail.faults = T.sub(fail.faults, 1)
                fail.L[i.dst] = NULL
                out.append((fail, nxt))
                pf.guard.append(ch == 0)
                if ok is None:
                    ok = pf
                else:
                    self._do_alloc(i, pf, n)
                    out.append((pf, nxt))
        if ok is not None:
            self._do_alloc(i, ok, n)
            out.append((ok, nxt))
        return out

    def _do_alloc(self, i, path, n) -> None:
        lay = self.sb.lay
        site = i.site
        if site not in lay.sites:
            raise Unsupported(f"allocation site {site} has no pool")
        pool, maxc, elem, sconst, _ = lay.sites[site]
        j = self.gNext(path, site)
        size = T.mul(n[1], elem)
        ovf = T.ovf_mul(n[1], elem)
        if ovf is not False:
            self._limit(path, ovf, f"an allocation size wider than {T.SORT.W} bits at {i.loc.where}", WIDTH_TAG)
            path.guard.append(T.neg(ovf))
        over = T.le(pool, j)
        self._limit(path, over, f"more than {pool} objects from the allocation at {i.loc.where}", ("pool", site))
        big = T.lt(maxc, size)
        self._limit(path, big, f"an object larger than {maxc} cells from the allocation at {i.loc.where}", ("size", site))
        if sconst is not None:
            wrong = T.ne(size, sconst)
            self._limit(path, wrong, f"an object size other than {sconst} cells at {i.loc.where}")
            path.guard.append(T.neg(wrong))
        path.guard.append(T.conj(T.neg(over), T.neg(big)))
        base = lay.site_base[site]
        for k, oid in enumerate(lay.obj_ids(site)):
            c = T.eq(j, k)
            if c is False:
                continue
            path.alive[oid] = T.ite(c, True, self.gAlive(path, oid))
            if sconst is None:
                path.size[oid] = T.ite(c, size, self.gSize(path, oid))
        path.nxt[site] = T.add(j, 1)
        path.L[i.dst] = (T.add(base, j), 0)

    def _free(self, i, path, nxt: int) -> list:
        p = self.ev_ok(i.ptr, path, i)
        b, o = p
        isint = T.eq(b, INTB)
        self._stop(path, T.conj(isint, T.ne(o, 0)), ir.P_DFREE, f"free of an invalid pointer: {i.what}")
        notheap = T.conj(T.lt(b, 0), T.ne(b, INTB))
        self._stop(path, notheap, ir.P_DFREE, f"free of memory that was not allocated: {i.what}")
        an = self.sb.analysis
        L = self.astates[path.pc]
        ids = []
        if L is not None:
            av = an.ev(i.ptr, L, self.tid)
            for base in av.ptrs:
                if base[0] == "H" and base[1] in self.sb.lay.sites:
                    ids.extend(self.sb.lay.obj_ids(base[1]))
        dbl, mid = [], []
        known = [isint]
        for oid in ids:
            isH = T.eq(b, oid)
            known.append(isH)
            al = self.gAlive(path, oid)
            dbl.append(T.conj(isH, T.neg(al)))
            mid.append(T.conj(isH, al, T.ne(o, 0)))
        self._stop(path, T.disj(*dbl), ir.P_DFREE, f"double free: {i.what}")
        self._stop(path, T.disj(*mid), ir.P_DFREE, f"free of a pointer into the middle of an object: {i.what}")
        miss = T.conj(T.le(0, b), T.neg(T.disj(*known)))
        self._limit(path, miss, f"a freed pointer the static analysis did not foresee: {i.what}")
        path.guard.append(T.neg(T.disj(T.conj(isint, T.ne(o, 0)), notheap, *dbl, *mid, miss)))
        for oid in ids:
            c = T.conj(T.eq(b, oid), T.eq(o, 0))
            path.alive[oid] = T.ite(c, False, self.gAlive(path, oid))
        return [(path, nxt)]
