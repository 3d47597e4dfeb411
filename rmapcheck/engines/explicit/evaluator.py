"""IR expressions compiled to Python closures ``f(locals, tid) -> value``."""

from __future__ import annotations

import operator

from rmapcheck.frontend.typeenv import c_div
from rmapcheck.ir import nodes as ir


class EvalError(Exception):
    """A run-time fault in local computation (division by zero, pointer misuse)."""


def _div(a, b):
    if b == 0:
        raise EvalError("division by zero")
    return c_div(a, b)


def _mod(a, b):
    if b == 0:
        raise EvalError("division by zero")
    return a - c_div(a, b) * b


def _shift(b: int) -> int:
    if not 0 <= b < 64:
        raise EvalError(f"shift count {b} is out of range (0 to 63)")
    return b


def _arith(f):
    def g(a, b):
        if isinstance(a, tuple) or isinstance(b, tuple):
            raise EvalError("arithmetic on a pointer")
        return f(a, b)

    return g


# The integer operations (operands already checked not to be pointers).
_RAW = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": _div, "%": _mod,
    "<<": lambda a, b: a << _shift(b), ">>": lambda a, b: a >> _shift(b),
    "&": operator.and_, "|": operator.or_, "^": operator.xor,
    "<": lambda a, b: int(a < b), "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b), ">=": lambda a, b: int(a >= b),
}

# Every binary operation on values: integers only, but for equality (pointers compare too).
_BIN = {op: _arith(f) for op, f in _RAW.items()}
_BIN["=="] = lambda a, b: int(a == b)
_BIN["!="] = lambda a, b: int(a != b)


def _is_static(e) -> bool:
    """Does e depend on neither the locals nor the thread?"""
    if isinstance(e, (ir.Const, ir.GlobalAddr)):
        return True
    if isinstance(e, ir.PtrAdd):
        return _is_static(e.ptr) and _is_static(e.index)
    if isinstance(e, ir.Bin):
        return _is_static(e.left) and _is_static(e.right)
    if isinstance(e, ir.Un):
        return _is_static(e.arg)
    if isinstance(e, ir.Cond):
        return _is_static(e.cond) and _is_static(e.then) and _is_static(e.other)
    return False


def compile_expr(e):
    """Return a closure evaluating e over (locals, tid).

    Common shapes (a local and a constant, a field of a global) get closures of their own,
    and expressions of constants are folded, unless evaluating them fails: then the failure
    happens at run time, as it would without folding."""
    f = _compile(e)
    if not isinstance(e, (ir.Const, ir.GlobalAddr)) and _is_static(e):
        try:
            v = f(None, None)
        except Exception:  # noqa: BLE001 - e.g. division by zero: keep it for run time
            return f
        return lambda L, t: v
    return f


def _compile(e):
    if isinstance(e, ir.Const):
        v = e.value
        return lambda L, t: v
    if isinstance(e, ir.LocalRef):
        off = e.off
        return lambda L, t: L[off]
    if isinstance(e, ir.GlobalAddr):
        p = (ir.GLOBAL, e.off)
        return lambda L, t: p
    if isinstance(e, ir.LocalAddr):
        off = e.off
        return lambda L, t: (ir.LOCAL_BASE - t, off)
    if isinstance(e, ir.PtrAdd):
        fp, fi, scale = compile_expr(e.ptr), compile_expr(e.index), e.scale
        if isinstance(e.index, ir.Const) and not isinstance(e.index.value, tuple):
            k = e.index.value * scale
            if isinstance(e.ptr, ir.LocalRef):
                po = e.ptr.off

                def ptradd_lc(L, t):
                    p = L[po]
                    if isinstance(p, tuple):
                        return (p[0], p[1] + k)
                    return p + k

                return ptradd_lc

            def ptradd_c(L, t):
                p = fp(L, t)
                if isinstance(p, tuple):
                    return (p[0], p[1] + k)
                return p + k

            return ptradd_c
        if isinstance(e.index, ir.LocalRef):
            io = e.index.off

            def ptradd_l(L, t):
                p, i = fp(L, t), L[io]
                if isinstance(i, tuple):
                    raise EvalError("a pointer used as an index")
                if isinstance(p, tuple):
                    return (p[0], p[1] + i * scale)
                return p + i * scale

            return ptradd_l

        def ptradd(L, t):
            p, i = fp(L, t), fi(L, t)
            if isinstance(i, tuple):
                raise EvalError("a pointer used as an index")
            if isinstance(p, tuple):
                return (p[0], p[1] + i * scale)
            return p + i * scale  # arithmetic on NULL stays an integer: dereferencing it faults

        return ptradd
    if isinstance(e, ir.Bin):
        fa, fb = compile_expr(e.left), compile_expr(e.right)
        if e.op == "&&":
            return lambda L, t: int(bool(fa(L, t)) and bool(fb(L, t)))
        if e.op == "||":
            return lambda L, t: int(bool(fa(L, t)) or bool(fb(L, t)))
        spec = _bin_special(e)
        if spec is not None:
            return spec
        op = _BIN[e.op]
        return lambda L, t: op(fa(L, t), fb(L, t))
    if isinstance(e, ir.Un):
        fa = compile_expr(e.arg)
        if e.op == "!":
            return lambda L, t: int(not fa(L, t))
        if e.op == "-":
            def neg(L, t):
                a = fa(L, t)
                if isinstance(a, tuple):
                    raise EvalError("arithmetic on a pointer")
                return -a

            return neg
        if e.op == "~":
            def inv(L, t):
                a = fa(L, t)
                if isinstance(a, tuple):
                    raise EvalError("arithmetic on a pointer")
                return ~a

            return inv
    if isinstance(e, ir.Cond):
        fc, fa, fb = compile_expr(e.cond), compile_expr(e.then), compile_expr(e.other)
        return lambda L, t: fa(L, t) if fc(L, t) else fb(L, t)
    raise TypeError(f"cannot compile {e!r}")


def _bin_special(e):
    """A closure for ``local OP constant`` and ``local OP local``, or None."""
    left, right, opname = e.left, e.right, e.op
    if not isinstance(left, ir.LocalRef) or not isinstance(right, (ir.LocalRef, ir.Const)):
        return None
    a_off = left.off
    if isinstance(right, ir.Const):
        v = right.value
        if isinstance(v, tuple):
            return None
        if opname == "==":
            return lambda L, t: int(L[a_off] == v)
        if opname == "!=":
            return lambda L, t: int(L[a_off] != v)
        raw = _RAW.get(opname)
        if raw is None:
            return None

        def bin_lc(L, t):
            a = L[a_off]
            if isinstance(a, tuple):
                raise EvalError("arithmetic on a pointer")
            return raw(a, v)

        return bin_lc
    b_off = right.off
    if opname == "==":
        return lambda L, t: int(L[a_off] == L[b_off])
    if opname == "!=":
        return lambda L, t: int(L[a_off] != L[b_off])
    raw = _RAW.get(opname)
    if raw is None:
        return None

    def bin_ll(L, t):
        a, b = L[a_off], L[b_off]
        if isinstance(a, tuple) or isinstance(b, tuple):
            raise EvalError("arithmetic on a pointer")
        return raw(a, b)

    return bin_ll
