"""ir/rmw.py's read-modify-write semantics over symbolic values."""

from __future__ import annotations

import z3

from rmapcheck.engines.z3ev import values as V
from rmapcheck.engines.z3ev.values import AND, NOT, OR

_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "and": lambda a, b: a & b,
    "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b, "andnot": lambda a, b: a & ~b,
}


def rmw_values(op: str, result: str, old, x, expected):
    """(value written, does it write, value returned, arithmetic-on-a-pointer fault)."""
    _, oo = V.parts(old)
    _, xo = V.parts(x)
    ints = AND(V.is_int(old), V.is_int(x))
    if op == "xchg":
        new, writes, bad = x, True, False
    elif op == "cmpxchg":
        new, writes, bad = x, V.eq(old, expected), False
    elif op == "add_unless":
        writes = NOT(V.eq(old, expected))
        new, bad = V.make(V.bvb(V.INT), oo + xo), AND(writes, NOT(ints))
    else:
        new, writes, bad = V.make(V.bvb(V.INT), _OPS[op](oo, xo)), True, NOT(ints)
    if result == "old":
        res = old
    elif result == "new":
        res = V.ite(writes, new, old)
    elif result == "zero":
        res = V.from_bool(AND(writes, V.eq(new, 0)))
    elif result == "negative":
        _, no = V.parts(new)
        res = V.from_bool(no < 0)
        bad = OR(bad, NOT(V.is_int(new)))
    elif result == "bit":
        res = V.from_bool((oo & xo) != 0)
        bad = OR(bad, NOT(ints))
    elif result == "done":
        res = V.from_bool(writes)
    else:
        res = 0
    return new, writes, res, bad
