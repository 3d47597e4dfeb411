"""Values of the event encoding: concrete where the unrolling knows them, z3 terms where not.

A value is what the explicit engine computes (a Python int, or a pointer tuple
``(base, offset)``) whenever every input is known, so most addresses, loop counters and
constants stay Python values and cost the solver nothing. Otherwise it is a ``Sym``: two
bit-vectors, a base (``INT`` for a plain integer, ``ir.GLOBAL``, a thread's local base, or a
heap object id, the unrolled allocation that made it) and an offset (the integer itself, or
the cell offset). Pointer equality is the equality of both parts, as for the tuples.

Integers are OFF_BITS-bit two's complement here, mathematical in the model language: a
witness that depends on a wrap-around fails the explicit replay (an internal error, never a
verdict).
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from rmapcheck.engines.explicit.evaluator import _BIN, EvalError
from rmapcheck.ir import nodes as ir

OFF_BITS = 32
BASE_BITS = 16
INT = 0x3FFF  # the base of a value that is not a pointer


# Clocks and lock-nesting counts are integers: measured on the unit models, bit-vector clocks
# made the queries many times slower than z3's integer difference logic.
CLOCK_MAX = 1 << 30


_CTX: list = [None]  # the z3 context of the program being unrolled and solved (new_run)


def ctx() -> z3.Context:
    """The current run's z3 context: every term of the encoding is made in it."""
    c = _CTX[0]
    if c is None:
        raise RuntimeError("no event-engine run started (values.new_run)")
    return c


def clock(name: str):
    return z3.Int(name, ctx())


def clock_val(n: int):
    return z3.IntVal(n, ctx())


def bv(n: int) -> z3.BitVecRef:
    return z3.BitVecVal(n, OFF_BITS, ctx())


def bvb(n: int) -> z3.BitVecRef:
    return z3.BitVecVal(n, BASE_BITS, ctx())


@dataclass(frozen=True)
class Sym:
    base: z3.BitVecRef
    off: z3.BitVecRef


def is_concrete(v) -> bool:
    return not isinstance(v, Sym)


def parts(v) -> tuple:
    """(base term, offset term) of any value."""
    if isinstance(v, Sym):
        return v.base, v.off
    if v.__class__ is tuple:
        return bvb(v[0]), bv(v[1])
    return bvb(INT), bv(int(v))


def make(base, off):
    """A value from two terms: concrete when both simplify to numerals."""
    b, o = z3.simplify(base), z3.simplify(off)
    if z3.is_bv_value(b) and z3.is_bv_value(o):
        bi, oi = b.as_signed_long(), o.as_signed_long()
        return oi if bi == INT else (bi, oi)
    return Sym(b, o)


_FRESH = [0]


def fresh(name: str):
    """A value nothing is known about yet (a read's): its two variables are named uniquely in
    the process, so the value sets the analysis finds for them (READS) are never another run's."""
    _FRESH[0] += 1
    n = f"{name}#{_FRESH[0]}"
    b, o = z3.BitVec(n + ".b", BASE_BITS, ctx()), z3.BitVec(n + ".o", OFF_BITS, ctx())
    READS[b.decl().name()] = set()
    READS[o.decl().name()] = set()
    return Sym(b, o)


# the values a read's base or offset variable may take (None: any), grown to a fixed point by
# execution.value_sets; until then a read may return nothing (the least fixed point)
READS: dict = {}


def fresh_int(name: str) -> Sym:
    return Sym(bvb(INT), z3.BitVec(name, OFF_BITS, ctx()))


def to_concrete(base: int, off: int):
    return off if base == INT else (base, off)


def eq(a, b):
    """a == b as a z3 Bool (or a Python bool when both are known)."""
    if is_concrete(a) and is_concrete(b):
        return a == b
    ab, ao = parts(a)
    bb, bo = parts(b)
    return z3.And(ab == bb, ao == bo)


def truth(v):
    """C truthiness: a pointer is true, an integer when non-zero."""
    if is_concrete(v):
        return bool(v)
    b, o = parts(v)
    return z3.Or(b != bvb(INT), o != bv(0))


def is_int(v):
    if is_concrete(v):
        return v.__class__ is not tuple
    return v.base == bvb(INT)


def ite(c, a, b):
    """If(c, a, b) on values; c a Python bool or a z3 Bool."""
    if c is True:
        return a
    if c is False:
        return b
    if is_concrete(a) and is_concrete(b) and a == b and a.__class__ is b.__class__:
        return a
    ab, ao = parts(a)
    bb, bo = parts(b)
    return make(z3.If(c, ab, bb), z3.If(c, ao, bo))


def from_bool(c):
    if c is True or c is False:
        return int(c)
    return Sym(bvb(INT), z3.If(c, bv(1), bv(0)))


# -- Boolean helpers that keep Python bools Python -----------------------------------------
def AND(*xs):
    return _fold(xs, False, z3.And)


def OR(*xs):
    return _fold(xs, True, z3.Or)


def _fold(xs, absorbing: bool, make):
    """AND (absorbing False) and OR (absorbing True): Python and z3 constants folded away."""
    is_absorbing, is_unit = (z3.is_true, z3.is_false) if absorbing else (z3.is_false, z3.is_true)
    out = []
    for x in xs:
        if x is absorbing:
            return absorbing
        if x is (not absorbing):
            continue
        if is_absorbing(x):
            return absorbing
        if is_unit(x):
            continue
        out.append(x)
    if not out:
        return not absorbing
    return out[0] if len(out) == 1 else make(*out)


def NOT(x):
    if x is True or x is False:
        return not x
    return z3.Not(x)


def B(x):
    """A z3 Bool of a Python bool or a z3 Bool."""
    if x is True or x is False:
        return z3.BoolVal(x, ctx())
    return x


RANGES: dict = {}  # the name of a nondet variable -> the values it takes
_NONDETS = [0]


def new_run() -> z3.Context:
    """Start a program's run: a fresh z3 context, and its variables from the same names, every
    time, so the same model gives the same formula, so the same witness, whatever ran before
    it in the process. The names alone do not do it: z3 numbers every term it creates in its
    context, and its search depends on those numbers, so in one shared context a verify worker
    that had solved other runs found a different witness than `check` (models/14's
    active-rmaps: 8 steps in a fresh process, 7 after one earlier run). The context is an
    explicit z3.Context (no z3 term of the run is in z3's main context): Program keeps it
    (Program.ctx), the solver and the memory model's formulas are made in it, and this
    module's constructors read it here, with the run's other tables (RANGES, READS). One
    program is unrolled and solved at a time in a process; no z3 term outlives its run."""
    _CTX[0] = z3.Context()
    _NONDETS[0] = 0
    _FRESH[0] = 0
    RANGES.clear()
    READS.clear()
    return _CTX[0]


def nondet_var(lo: int, hi: int) -> z3.BitVecRef:
    """A fresh variable for a nondet choice in lo..hi (named uniquely in the process, so its
    recorded range is never another program's)."""
    _NONDETS[0] += 1
    v = z3.BitVec(f"nd{_NONDETS[0]}", OFF_BITS, ctx())
    RANGES[v.decl().name()] = range(lo, hi + 1)
    return v

_SETOPS = {
    z3.Z3_OP_BADD: lambda a, b: a + b, z3.Z3_OP_BMUL: lambda a, b: a * b, z3.Z3_OP_BSUB: lambda a, b: a - b,
}


def _wrap(n: int, bits: int) -> int:
    n &= (1 << bits) - 1
    return n - (1 << bits) if n >> (bits - 1) else n


MEMO: list = [None]  # a memo of term_values shared by the calls of one analysis round (or None)


def term_values(t, limit: int = 64):
    """The numerals a term can take (a set of ints), or None when not known to be few: If-trees,
    sums and products of them, nondet variables (whose ranges the unrolling records) and reads
    (whose value sets execution.value_sets computes)."""
    memo = MEMO[0] if MEMO[0] is not None else {}

    def go(x):
        k = x.get_id()
        if k in memo:
            return memo[k]
        out = None
        if z3.is_app(x):
            d = x.decl()
            kind = d.kind()
            if kind == z3.Z3_OP_BNUM:
                out = {x.as_signed_long()}
            elif kind == z3.Z3_OP_ITE:
                a, b = go(x.arg(1)), go(x.arg(2))
                out = None if a is None or b is None else a | b
            elif kind == z3.Z3_OP_UNINTERPRETED and x.num_args() == 0:
                name = d.name()
                if name in RANGES:
                    out = set(RANGES[name])
                elif name in READS:
                    out = READS[name]
                    out = None if out is None else set(out)
            elif kind in _SETOPS and x.num_args() >= 2:
                f = _SETOPS[kind]
                out = go(x.arg(0))
                for j in range(1, x.num_args()):
                    b = go(x.arg(j))
                    if out is None or b is None or len(out) * len(b) > limit * limit:
                        out = None
                        break
                    out = {_wrap(f(u, v), x.size()) for u in out for v in b}
        if out is not None and len(out) > limit:
            out = None
        memo[k] = out
        return out

    return go(t)


def within_sets(v) -> list:
    """Facts: each part of a read's value (v, a Sym of two variables) is one of the values
    execution.value_sets found it can take (none for a part whose set is not known). Sound:
    an executed read returns a value some candidate write wrote or the initial value, both in
    the sets by induction along the clocks; an unexecuted read's value affects nothing
    executed, so any value of its set does as well (docs/engines.md). The solver then needs
    not rediscover, in every proof, which objects a pointer read from memory can name."""
    out = []
    for t in (v.base, v.off):
        vals = READS.get(t.decl().name()) if z3.is_const(t) else None
        if vals:
            out.append(z3.Or(*[t == z3.BitVecVal(x, t.size(), t.ctx) for x in sorted(vals)]))
    return out


def bases_of(v):
    """The bases a value may have (a set of ints), or None if any."""
    if is_concrete(v):
        return {v[0]} if v.__class__ is tuple else {INT}
    return term_values(v.base)


def offs_of(v):
    if is_concrete(v):
        return {v[1]} if v.__class__ is tuple else {v}
    return term_values(v.off)


def may_equal(a, b) -> bool:
    """Can two values (addresses) be equal? A cheap static over-approximation."""
    if is_concrete(a) and is_concrete(b):
        return a == b
    ba, bb = bases_of(a), bases_of(b)
    if ba is not None and bb is not None and not (ba & bb):
        return False
    oa, ob = offs_of(a), offs_of(b)
    if oa is not None and ob is not None and not (oa & ob):
        return False
    return True


# -- expression evaluation ----------------------------------------------------------------
_CMP = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_ARITH = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,  # bit-vector / is signed division, truncating toward zero as C
    "%": lambda a, b: z3.SRem(a, b),
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
}


class Evaluator:
    """Evaluates IR expressions over a thread's locals. Run-time faults (the explicit engine's
    EvalError) are returned as (condition, message) pairs: the thread stops there."""

    def __init__(self, tid: int):
        self.tid = tid

    def ev(self, e, L, errs: list, guard=True):
        """The value of e; appends (condition, message) of each fault to errs (guard: the
        condition under which e is evaluated at all, for short-circuit operands)."""
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.LocalRef):
            return L[e.off]
        if isinstance(e, ir.GlobalAddr):
            return (ir.GLOBAL, e.off)
        if isinstance(e, ir.LocalAddr):
            return (ir.LOCAL_BASE - self.tid, e.off)
        if isinstance(e, ir.PtrAdd):
            p = self.ev(e.ptr, L, errs, guard)
            i = self.ev(e.index, L, errs, guard)
            if is_concrete(p) and is_concrete(i):
                if i.__class__ is tuple:
                    errs.append((guard, "a pointer used as an index"))
                    return 0
                return (p[0], p[1] + i * e.scale) if p.__class__ is tuple else p + i * e.scale
            bad = NOT(is_int(i))
            if bad is not False:
                errs.append((AND(guard, bad), "a pointer used as an index"))
            pb, po = parts(p)
            _, io = parts(i)
            return make(pb, po + io * bv(e.scale))
        if isinstance(e, ir.Bin):
            if e.op in ("&&", "||"):
                a = truth(self.ev(e.left, L, errs, guard))
                need = a if e.op == "&&" else NOT(a)
                b = truth(self.ev(e.right, L, errs, AND(guard, need)))
                return from_bool(AND(a, b) if e.op == "&&" else OR(a, b))
            a = self.ev(e.left, L, errs, guard)
            b = self.ev(e.right, L, errs, guard)
            return self.binop(e.op, a, b, errs, guard)
        if isinstance(e, ir.Un):
            a = self.ev(e.arg, L, errs, guard)
            if e.op == "!":
                return from_bool(NOT(truth(a)))
            if is_concrete(a):
                if a.__class__ is tuple:
                    errs.append((guard, "arithmetic on a pointer"))
                    return 0
                return -a if e.op == "-" else ~a
            errs.append((AND(guard, NOT(is_int(a))), "arithmetic on a pointer"))
            _, o = parts(a)
            return make(bvb(INT), -o if e.op == "-" else ~o)
        if isinstance(e, ir.Cond):
            c = truth(self.ev(e.cond, L, errs, guard))
            if c is True or c is False:
                return self.ev(e.then if c else e.other, L, errs, guard)
            t = self.ev(e.then, L, errs, AND(guard, c))
            o = self.ev(e.other, L, errs, AND(guard, NOT(c)))
            return ite(c, t, o)
        raise TypeError(f"cannot evaluate {e!r}")

    def binop(self, op: str, a, b, errs: list, guard=True):
        if is_concrete(a) and is_concrete(b):
            try:
                return _BIN[op](a, b)
            except EvalError as err:
                errs.append((guard, str(err)))
                return 0
        if op in ("==", "!="):
            c = eq(a, b)
            return from_bool(c if op == "==" else NOT(c))
        bad = OR(NOT(is_int(a)), NOT(is_int(b)))
        if bad is not False:
            errs.append((AND(guard, bad), "arithmetic on a pointer"))
        _, x = parts(a)
        _, y = parts(b)
        if op in ("/", "%"):
            errs.append((AND(guard, y == bv(0)), "division by zero"))
        if op in ("<<", ">>"):
            errs.append((AND(guard, z3.Or(y < 0, y > 63)), "shift count out of range (0 to 63)"))
        if op in _CMP:
            return from_bool(_CMP[op](x, y))
        return make(bvb(INT), _ARITH[op](x, y))
