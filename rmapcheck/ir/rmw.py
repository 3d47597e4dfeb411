"""What an atomic read-modify-write step (ir.Rmw) computes, for every engine.

The value written and the value returned are functions of the old value, the
operand and the expected value only; the ordering (ir.Rmw.order) is the memory
model's business. Integers are mathematical, as everywhere in the model
language (docs/language.md): an atomic_t never wraps.
"""

from __future__ import annotations


class RmwError(Exception):
    """Arithmetic on a pointer value (xchg and cmpxchg may move pointers, add may not)."""


def _int(v):
    if v.__class__ is tuple:
        raise RmwError("atomic arithmetic on a pointer")
    return v


def new_value(op: str, old, x, expected):
    """The value the step writes, or None when it does not write (failed cmpxchg,
    add_unless that found its 'unless' value)."""
    if op == "xchg":
        return x
    if op == "cmpxchg":
        return x if old == expected else None
    if op == "add_unless":
        return None if old == expected else _int(old) + _int(x)
    a, b = _int(old), _int(x)
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "and":
        return a & b
    if op == "or":
        return a | b
    if op == "xor":
        return a ^ b
    if op == "andnot":
        return a & ~b
    raise ValueError(op)  # pragma: no cover - the front end only emits RMW_OPS


def result_value(kind: str, old, new, x):
    """What the primitive returns to the thread."""
    if kind == "old":
        return old
    if kind == "new":
        return new
    if kind == "zero":
        return int(new == 0)
    if kind == "negative":
        return int(_int(new) < 0)
    if kind == "bit":
        return int(_int(old) & _int(x) != 0)
    if kind == "done":
        return int(new is not None)
    return 0


__all__ = ["RmwError", "new_value", "result_value"]
