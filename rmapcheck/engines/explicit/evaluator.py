"""IR expressions compiled to Python closures ``f(locals, tid) -> value``."""

from __future__ import annotations

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


_BIN = {
    "+": _arith(lambda a, b: a + b),
    "-": _arith(lambda a, b: a - b),
    "*": _arith(lambda a, b: a * b),
    "/": _arith(_div),
    "%": _arith(_mod),
    "<<": _arith(lambda a, b: a << _shift(b)),
    ">>": _arith(lambda a, b: a >> _shift(b)),
    "&": _arith(lambda a, b: a & b),
    "|": _arith(lambda a, b: a | b),
    "^": _arith(lambda a, b: a ^ b),
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "<": _arith(lambda a, b: int(a < b)),
    "<=": _arith(lambda a, b: int(a <= b)),
    ">": _arith(lambda a, b: int(a > b)),
    ">=": _arith(lambda a, b: int(a >= b)),
}


def compile_expr(e):
    """Return a closure evaluating e over (locals, tid)."""
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
        op = _BIN[e.op]
        return lambda L, t: op(fa(L, t), fb(L, t))
    if isinstance(e, ir.Un):
        fa = compile_expr(e.arg)
        if e.op == "!":
            return lambda L, t: int(not fa(L, t))
        if e.op == "-":
            return lambda L, t: _arith(lambda a, b: -a)(fa(L, t), 0)
        if e.op == "~":
            return lambda L, t: _arith(lambda a, b: ~a)(fa(L, t), 0)
    if isinstance(e, ir.Cond):
        fc, fa, fb = compile_expr(e.cond), compile_expr(e.then), compile_expr(e.other)
        return lambda L, t: fa(L, t) if fc(L, t) else fb(L, t)
    raise TypeError(f"cannot compile {e!r}")
