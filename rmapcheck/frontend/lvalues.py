"""Lvalues and address arithmetic used while lowering."""

from __future__ import annotations

from dataclasses import dataclass

from rmapcheck.frontend.ctypes import CType
from rmapcheck.ir.nodes import Const, Expr, GlobalAddr, LocalAddr, PtrAdd


@dataclass
class LV:
    """Where an object lives: a local cell range (``local``) or memory (``addr``)."""

    type: CType
    local: int | None = None
    addr: Expr | None = None
    text: str = ""
    readonly: bool = False  # a const-qualified variable: never assigned after its declaration
    const: int | None = None  # ... and its value, when its initialiser is a constant


class Label:
    """A jump target, resolved to a pc when the thread is finished."""

    __slots__ = ("pos", "name")

    def __init__(self, name: str = "") -> None:
        self.pos: int | None = None
        self.name = name


def addr_add(addr: Expr, k: int) -> Expr:
    """addr + k cells, folded where the address is constant."""
    if k == 0:
        return addr
    if isinstance(addr, GlobalAddr):
        return GlobalAddr(addr.off + k)
    if isinstance(addr, LocalAddr):
        return LocalAddr(addr.off + k)
    if isinstance(addr, PtrAdd) and isinstance(addr.index, Const) and addr.scale == 1:
        return PtrAdd(addr.ptr, Const(addr.index.value + k), 1)
    return PtrAdd(addr, Const(k), 1)


def addr_index(addr: Expr, index: Expr, scale: int) -> Expr:
    if isinstance(index, Const):
        return addr_add(addr, index.value * scale)
    return PtrAdd(addr, index, scale)
