"""Small helpers over z3 terms that fold Python constants first.

A scalar is a Python int or a z3 ArithRef; a condition is a Python bool or a z3 BoolRef.
A value (IR value: integer or pointer) is a pair ``(base, off)``: a plain integer has the
base INTB, NULL is ``(INTB, 0)``; a pointer has the IR's base (GLOBAL, a thread's local
base, or a heap object's pool id >= 0).
"""

from __future__ import annotations

import z3

from rmapcheck.frontend.typeenv import c_div
from rmapcheck.ir import nodes as ir

INTB = -4096  # the base of a plain integer (never an IR base: GLOBAL -1, locals -2-tid, heap >= 0)
GLOBAL = ir.GLOBAL
NULL = (INTB, 0)


class _Sort:
    """Integers are z3 Ints (for Spacer) or signed bit-vectors of W bits (for BMC: SAT is
    much faster there). With bit-vectors every operation that could wrap around reports
    an overflow condition, which the encoding turns into a limit: never a silent wrap."""

    bv = False
    W = 32


SORT = _Sort()


def use_bitvectors(on: bool, width: int = 32) -> None:
    SORT.bv = on
    SORT.W = width


def IntVar(name: str):
    return z3.BitVec(name, SORT.W) if SORT.bv else z3.Int(name)


class Overflow(Exception):
    """A constant that does not fit the bit-vector width."""


def is_c(x) -> bool:
    return isinstance(x, (int, bool))


def Z(x):
    if isinstance(x, bool):
        return z3.BoolVal(x)
    if isinstance(x, int):
        if SORT.bv:
            if not -(1 << (SORT.W - 1)) <= x < (1 << (SORT.W - 1)):
                raise Overflow(f"the constant {x} does not fit in {SORT.W} bits")
            return z3.BitVecVal(x, SORT.W)
        return z3.IntVal(x)
    return x


def fits(x) -> bool:
    return not SORT.bv or not isinstance(x, int) or -(1 << (SORT.W - 1)) <= x < (1 << (SORT.W - 1))


def ovf_add(a, b):
    """The condition under which a + b wraps (False with integers or constants)."""
    if not SORT.bv or (is_c(a) and is_c(b)):
        return False
    A, Bb = Z(a), Z(b)
    return z3.Not(z3.And(z3.BVAddNoOverflow(A, Bb, True), z3.BVAddNoUnderflow(A, Bb)))


def ovf_sub(a, b):
    if not SORT.bv or (is_c(a) and is_c(b)):
        return False
    A, Bb = Z(a), Z(b)
    return z3.Not(z3.And(z3.BVSubNoOverflow(A, Bb), z3.BVSubNoUnderflow(A, Bb, True)))


def ovf_mul(a, b):
    if not SORT.bv or (is_c(a) and is_c(b)):
        return False
    if (is_c(a) and a in (0, 1)) or (is_c(b) and b in (0, 1)):
        return False
    A, Bb = Z(a), Z(b)
    return z3.Not(z3.And(z3.BVMulNoOverflow(A, Bb, True), z3.BVMulNoUnderflow(A, Bb)))


def shr(a, k: int):
    """Python's a >> k (floor) for a constant k >= 0."""
    if is_c(a):
        return a >> k
    if SORT.bv:
        return Z(a) >> k  # arithmetic shift: floor
    return Z(a) / (1 << k)  # Int division by a positive constant: floor


def add(a, b):
    if is_c(a) and is_c(b):
        return a + b
    if is_c(a) and a == 0:
        return b
    if is_c(b) and b == 0:
        return a
    return Z(a) + Z(b)


def sub(a, b):
    if is_c(a) and is_c(b):
        return a - b
    if is_c(b) and b == 0:
        return a
    return Z(a) - Z(b)


def mul(a, b):
    if is_c(a) and is_c(b):
        return a * b
    if (is_c(a) and a == 0) or (is_c(b) and b == 0):
        return 0
    if is_c(a) and a == 1:
        return b
    if is_c(b) and b == 1:
        return a
    return Z(a) * Z(b)


def eq(a, b):
    if is_c(a) and is_c(b):
        return a == b
    if a is b:
        return True
    return Z(a) == Z(b)


def ne(a, b):
    return neg(eq(a, b))


def lt(a, b):
    if is_c(a) and is_c(b):
        return a < b
    return Z(a) < Z(b)


def le(a, b):
    if is_c(a) and is_c(b):
        return a <= b
    return Z(a) <= Z(b)


def neg(c):
    if isinstance(c, bool):
        return not c
    return z3.Not(c)


def _nary(fn, args):
    ctx = args[0].ctx
    arr = (z3.Ast * len(args))()
    for i, a in enumerate(args):
        arr[i] = a.as_ast()
    return z3.BoolRef(fn(ctx.ref(), len(args), arr), ctx)


def And(args):
    return _nary(z3.Z3_mk_and, args)


def Or(args):
    return _nary(z3.Z3_mk_or, args)


def conj(*cs):
    out = []
    for c in cs:
        if c is True:
            continue
        if c is False:
            return False
        if isinstance(c, bool):
            if not c:
                return False
            continue
        out.append(c)
    if not out:
        return True
    if len(out) == 1:
        return out[0]
    return And(out)


def disj(*cs):
    out = []
    for c in cs:
        if c is False:
            continue
        if c is True:
            return True
        if isinstance(c, bool):
            if c:
                return True
            continue
        out.append(c)
    if not out:
        return False
    if len(out) == 1:
        return out[0]
    return Or(out)


def ite(c, a, b):
    if isinstance(c, bool):
        return a if c else b
    if is_c(a) and is_c(b) and a == b and type(a) is type(b):
        return a
    if a is b:
        return a
    return z3.If(c, Z(a), Z(b))


def B(c):
    """As a z3 BoolRef."""
    return z3.BoolVal(c) if isinstance(c, bool) else c


# -- values -------------------------------------------------------------------------

def v_eq(a, b):
    return conj(eq(a[0], b[0]), eq(a[1], b[1]))


def v_ite(c, a, b):
    return (ite(c, a[0], b[0]), ite(c, a[1], b[1]))


def v_truth(v):
    """C truth value: a pointer is always true; an integer when non-zero."""
    return disj(ne(v[0], INTB), ne(v[1], 0))


def bool_int(c):
    return (INTB, ite(c, 1, 0))


def tdiv(a, b):
    """C division (truncating), for a constant non-zero b."""
    if is_c(a) and is_c(b):
        return c_div(a, b)
    A = Z(a)
    if is_c(b):
        m = abs(b)
        q = z3.If(A >= 0, A / m, -((-A) / m))
        return q if b > 0 else -q
    Bz = Z(b)
    absa = z3.If(A >= 0, A, -A)
    absb = z3.If(Bz >= 0, Bz, -Bz)
    q = absa / absb
    return z3.If((A >= 0) == (Bz >= 0), q, -q)


def tmod(a, b):
    return sub(a, mul(tdiv(a, b), b))
