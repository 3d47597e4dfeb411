"""C types of the model language, flattened to cells (one cell per scalar)."""

from __future__ import annotations

from dataclasses import dataclass, field


class CType:
    cells: int = 1

    def is_scalar(self) -> bool:
        return isinstance(self, (IntT, PtrT))


@dataclass(eq=False)
class IntT(CType):
    name: str = "int"
    cells: int = 1

    def __str__(self) -> str:
        return self.name


@dataclass(eq=False)
class VoidT(CType):
    cells: int = 0

    def __str__(self) -> str:
        return "void"


@dataclass(eq=False)
class PtrT(CType):
    target: CType = field(default_factory=VoidT)
    cells: int = 1

    def __str__(self) -> str:
        return f"{self.target} *"


@dataclass(eq=False)
class ArrT(CType):
    elem: CType = field(default_factory=IntT)
    n: int = 0

    @property
    def cells(self) -> int:  # type: ignore[override]
        return self.elem.cells * self.n

    def __str__(self) -> str:
        return f"{self.elem}[{self.n}]"


@dataclass(eq=False)
class StructT(CType):
    """A struct; ``complete`` is False until its body has been seen."""

    name: str = ""
    fields: dict = field(default_factory=dict)  # name -> (offset, CType)
    complete: bool = False
    primitive: str = ""  # "mutex", "spin", "srcu" for kernel synchronisation types

    @property
    def cells(self) -> int:  # type: ignore[override]
        return sum(t.cells for _, t in self.fields.values()) if self.fields else (1 if self.primitive else 0)

    def __str__(self) -> str:
        return f"struct {self.name}"


@dataclass(eq=False)
class FuncT(CType):
    ret: CType = field(default_factory=VoidT)
    params: list = field(default_factory=list)  # list[(name, CType)]
    cells: int = 0


INT = IntT("int")
BOOL = IntT("bool")
VOID = VoidT()
VOIDP = PtrT(VOID)


def same_type(a: CType, b: CType) -> bool:
    """Loose C compatibility: ints mix freely, void* matches every pointer."""
    if isinstance(a, IntT) and isinstance(b, IntT):
        return True
    if isinstance(a, PtrT) and isinstance(b, PtrT):
        if isinstance(a.target, VoidT) or isinstance(b.target, VoidT):
            return True
        return same_type(a.target, b.target)
    if isinstance(a, StructT) and isinstance(b, StructT):
        return a is b
    if isinstance(a, ArrT) and isinstance(b, ArrT):
        return a.n == b.n and same_type(a.elem, b.elem)
    return a is b


def pointer_layout(t: CType) -> tuple:
    """Which cells of an object of type t hold pointers (the heap scan reads only those)."""
    return tuple(is_ptr for _, is_ptr, _ in cell_names("", t))


def layouts_agree(a: CType, b: CType) -> bool:
    """May a pointer to a become a pointer to b? Only if no pointer can land in a cell the heap
    scan does not read, nor an integer cell be read as a pointer, at any level of indirection.
    Anything may become void *; void * becomes only void * again (which type it hides is not
    known: the allocation primitives, which know it, are the way to a typed pointer)."""
    if isinstance(b, VoidT):
        return True
    if isinstance(a, VoidT):
        return False
    la, lb = pointer_layout(a), pointer_layout(b)
    n = min(len(la), len(lb))
    if la[:n] != lb[:n] or any(la) != any(lb):
        return False
    if isinstance(a, PtrT) and isinstance(b, PtrT):
        return layouts_agree(a.target, b.target)
    return True


def cell_names(prefix: str, t: CType) -> list[tuple[str, bool, str]]:
    """(name, is_pointer, pointee type) of each cell of an object of type t: ``kvm.memslots[0].npages``."""
    if isinstance(t, StructT):
        if not t.fields:
            return [(prefix, False, "")] * t.cells
        out: list[tuple[str, bool, str]] = []
        for fname, (_, ft) in t.fields.items():
            out.extend(cell_names(f"{prefix}.{fname}", ft))
        return out
    if isinstance(t, ArrT):
        out = []
        for i in range(t.n):
            out.extend(cell_names(f"{prefix}[{i}]", t.elem))
        return out
    if isinstance(t, PtrT):
        return [(prefix, True, str(t.target))]
    return [(prefix, False, "")]


def object_starts(prefix: str, t: CType, base: int, out: dict) -> None:
    """Record every (sub)object of t by the cell it starts at: offset -> [(name, type), ...]."""
    out.setdefault(base, []).append((prefix, str(t)))
    if isinstance(t, StructT):
        for fname, (off, ft) in t.fields.items():
            object_starts(f"{prefix}.{fname}", ft, base + off, out)
    elif isinstance(t, ArrT):
        for i in range(t.n):
            object_starts(f"{prefix}[{i}]", t.elem, base + i * t.elem.cells, out)
