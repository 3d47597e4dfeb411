"""Live local cells per pc, so engines can zero dead locals and merge equal states."""

from __future__ import annotations

from rmapcheck.ir import nodes as ir


def expr_uses(e) -> int:
    """Bitmask of the local cells an expression reads."""
    if isinstance(e, ir.LocalRef):
        return 1 << e.off
    if isinstance(e, ir.PtrAdd):
        return expr_uses(e.ptr) | expr_uses(e.index)
    if isinstance(e, ir.Bin):
        return expr_uses(e.left) | expr_uses(e.right)
    if isinstance(e, ir.Un):
        return expr_uses(e.arg)
    if isinstance(e, ir.Cond):
        return expr_uses(e.cond) | expr_uses(e.then) | expr_uses(e.other)
    return 0


def _range(off: int, width: int) -> int:
    return ((1 << width) - 1) << off


def uses_defs(i) -> tuple[int, int]:
    if isinstance(i, ir.Assign):
        return expr_uses(i.expr), 1 << i.dst
    if isinstance(i, ir.Copy):
        return _range(i.src, i.width), _range(i.dst, i.width)
    if isinstance(i, ir.Kill):
        return 0, _range(i.off, i.width)
    if isinstance(i, ir.Load):
        return expr_uses(i.addr), _range(i.dst, i.width)
    if isinstance(i, ir.Store):
        u = expr_uses(i.addr)
        for v in i.values:
            u |= expr_uses(v)
        return u, 0
    if isinstance(i, ir.Branch):
        return expr_uses(i.cond), 0
    if isinstance(i, (ir.Lock, ir.Unlock, ir.SrcuReadUnlock, ir.SrcuSync, ir.AssertHeld)):
        return expr_uses(i.addr), 0
    if isinstance(i, ir.SrcuReadLock):
        return expr_uses(i.addr), (1 << i.dst) if i.dst is not None else 0
    if isinstance(i, ir.Alloc):
        return expr_uses(i.count), 1 << i.dst
    if isinstance(i, ir.Free):
        return expr_uses(i.ptr), 0
    if isinstance(i, (ir.Assert, ir.Assume)):
        return expr_uses(i.cond), 0
    if isinstance(i, ir.Warn):
        return expr_uses(i.cond), (1 << i.dst) if i.dst is not None else 0
    if isinstance(i, ir.Nondet):
        return 0, 1 << i.dst
    if isinstance(i, ir.Rmw):
        u = expr_uses(i.addr) | expr_uses(i.operand)
        if i.expected is not None:
            u |= expr_uses(i.expected)
        return u, (1 << i.dst) if i.dst is not None else 0
    return 0, 0


def successors(code: list, pc: int) -> tuple[int, ...]:
    i = code[pc]
    if isinstance(i, ir.Branch):
        return (i.target, i.other)
    if isinstance(i, ir.Jump):
        return (i.target,)
    if isinstance(i, ir.End):
        return ()
    return (pc + 1,)


def live_in(code: list, escaped: frozenset = frozenset()) -> list[int]:
    """Bitmask of live local cells at entry of every pc (escaped cells always count as live)."""
    n = len(code)
    ud = [uses_defs(i) for i in code]
    succ = [successors(code, pc) for pc in range(n)]
    live = [0] * n
    changed = True
    while changed:
        changed = False
        for pc in range(n - 1, -1, -1):
            out = 0
            for s in succ[pc]:
                out |= live[s]
            u, d = ud[pc]
            new = u | (out & ~d)
            if new != live[pc]:
                live[pc] = new
                changed = True
    esc = 0
    for c in escaped:
        esc |= 1 << c
    return [m | esc for m in live]
