"""Resolve pycparser declarations to CTypes, and evaluate integer constant expressions."""

from __future__ import annotations

from pycparser import c_ast

from rmapcheck.errors import ModelError, SourceLoc
from rmapcheck.frontend.ctypes import (
    INT, VOID, ArrT, CType, FuncT, IntT, PtrT, StructT, VoidT,
)
from rmapcheck.frontend.prelude import CONSTANTS, PRIMITIVE_STRUCTS

_INT_NAMES = {
    "int", "char", "short", "long", "unsigned", "signed", "_Bool",
}


class TypeEnv:
    """Struct, typedef and enum tables of one model, plus its #define constants."""

    def __init__(self, path: str, lines: list[str], defines: dict[str, int]):
        self.path = path
        self.lines = lines
        self.structs: dict[str, StructT] = {}
        self.typedefs: dict[str, CType] = {}
        self.consts: dict[str, int] = dict(CONSTANTS)
        self.consts.update(defines)

    # -- errors ---------------------------------------------------------------
    def loc(self, node) -> SourceLoc:
        c = getattr(node, "coord", None)
        if c is None or c.line is None:
            return SourceLoc(self.path, 1, 1)
        return SourceLoc(str(c.file or self.path), c.line, c.column or 1)

    def error(self, node, msg: str) -> ModelError:
        loc = self.loc(node)
        src = self.lines[loc.line - 1] if loc.file == self.path and 0 < loc.line <= len(self.lines) else None
        return ModelError(loc, msg, src)

    # -- types ----------------------------------------------------------------
    def struct(self, name: str) -> StructT:
        if name not in self.structs:
            self.structs[name] = StructT(name=name, primitive=PRIMITIVE_STRUCTS.get(name, ""))
        return self.structs[name]

    def define_struct(self, node: c_ast.Struct) -> StructT:
        if node.name is None:
            raise self.error(node, "anonymous structs are not supported: give the struct a name")
        st = self.struct(node.name)
        if node.decls is None:
            return st
        if st.complete:
            raise self.error(node, f"struct {node.name} is defined twice")
        off = 0
        for d in node.decls:
            if d.name is None:
                raise self.error(d, "unnamed struct members are not supported")
            if d.bitsize is not None:
                raise self.error(d, "bit-fields are not supported")
            ft = self.resolve(d.type)
            if isinstance(ft, (VoidT, FuncT)):
                raise self.error(d, f"member '{d.name}' cannot have type {ft}")
            if isinstance(ft, StructT) and not ft.complete and not ft.primitive:
                raise self.error(d, f"member '{d.name}' has incomplete type {ft}")
            if d.name in st.fields:
                raise self.error(d, f"duplicate member '{d.name}' in struct {node.name}")
            st.fields[d.name] = (off, ft)
            off += ft.cells
        st.complete = True
        return st

    def resolve(self, node) -> CType:
        """The CType of a declarator chain (TypeDecl / PtrDecl / ArrayDecl / FuncDecl)."""
        if isinstance(node, c_ast.TypeDecl):
            return self.resolve(node.type)
        if isinstance(node, c_ast.PtrDecl):
            return PtrT(self.resolve(node.type))
        if isinstance(node, c_ast.ArrayDecl):
            elem = self.resolve(node.type)
            if node.dim is None:
                raise self.error(node, "arrays need a size")
            n = self.const_int(node.dim)
            if n <= 0:
                raise self.error(node.dim, f"array size must be positive, not {n}")
            if n > 4096:
                raise self.error(node.dim, f"array size {n} is too large for a model (at most 4096)")
            return ArrT(elem, n)
        if isinstance(node, c_ast.FuncDecl):
            ret = self.resolve(node.type)
            params = []
            for p in (node.args.params if node.args else []):
                if isinstance(p, c_ast.EllipsisParam):
                    raise self.error(p, "variadic functions are not supported")
                if isinstance(p, c_ast.Typename) and isinstance(self.resolve(p.type), VoidT):
                    continue
                pt = self.resolve(p.type)
                if isinstance(pt, ArrT):
                    pt = PtrT(pt.elem)
                params.append((p.name, pt))
            return FuncT(ret=ret, params=params)
        if isinstance(node, c_ast.IdentifierType):
            names = node.names
            if names == ["void"]:
                return VOID
            if len(names) == 1 and names[0] in self.typedefs:
                return self.typedefs[names[0]]
            if all(n in _INT_NAMES for n in names):
                return IntT(" ".join(names))
            raise self.error(node, f"unknown type '{' '.join(names)}'")
        if isinstance(node, c_ast.Struct):
            return self.define_struct(node)
        if isinstance(node, c_ast.Enum):
            self.define_enum(node)
            return INT
        if isinstance(node, c_ast.Union):
            raise self.error(node, "unions are not supported")
        if isinstance(node, c_ast.Typename):
            return self.resolve(node.type)
        raise self.error(node, f"unsupported type construct ({type(node).__name__})")

    def define_enum(self, node: c_ast.Enum) -> None:
        if node.values is None:
            return
        nxt = 0
        for e in node.values.enumerators:
            if e.value is not None:
                nxt = self.const_int(e.value)
            if e.name in self.consts and e.name not in CONSTANTS:
                raise self.error(e, f"'{e.name}' is defined twice")
            self.consts[e.name] = nxt
            nxt += 1

    # -- constants ------------------------------------------------------------
    def const_int(self, node) -> int:
        v = self.try_const(node)
        if v is None:
            raise self.error(node, "expected an integer constant expression")
        return v

    def try_const(self, node) -> int | None:
        """Evaluate node if it is an integer constant expression, else None."""
        if isinstance(node, c_ast.Constant):
            if node.type in ("int", "long int", "unsigned int", "unsigned long int", "long long int",
                             "unsigned long long int", "long", "unsigned", "unsigned long"):
                return parse_int(node.value)
            if node.type == "char":
                s = node.value[1:-1]
                return ord(s.encode().decode("unicode_escape")) if s else 0
            return None
        if isinstance(node, c_ast.ID):
            return self.consts.get(node.name)
        if isinstance(node, c_ast.UnaryOp):
            if node.op == "sizeof":
                return None
            a = self.try_const(node.expr)
            if a is None:
                return None
            return {"-": lambda: -a, "+": lambda: a, "!": lambda: int(not a), "~": lambda: ~a}.get(
                node.op, lambda: None
            )()
        if isinstance(node, c_ast.BinaryOp):
            a, b = self.try_const(node.left), self.try_const(node.right)
            if a is None or b is None:
                return None
            try:
                return arith(node.op, a, b)
            except ZeroDivisionError:
                raise self.error(node, "division by zero in a constant expression") from None
        if isinstance(node, c_ast.TernaryOp):
            c = self.try_const(node.cond)
            if c is None:
                return None
            return self.try_const(node.iftrue if c else node.iffalse)
        if isinstance(node, c_ast.Cast):
            return self.try_const(node.expr)
        return None


def parse_int(text: str) -> int:
    t = text.rstrip("uUlL")
    if t.startswith(("0x", "0X")):
        return int(t, 16)
    if len(t) > 1 and t.startswith("0"):
        return int(t, 8)
    return int(t)


def c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def arith(op: str, a, b):
    """C arithmetic on ints (truncating division)."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return c_div(a, b)
    if op == "%":
        return a - c_div(a, b) * b
    if op == "<<":
        return a << b
    if op == ">>":
        return a >> b
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "==":
        return int(a == b)
    if op == "!=":
        return int(a != b)
    if op == "<":
        return int(a < b)
    if op == "<=":
        return int(a <= b)
    if op == ">":
        return int(a > b)
    if op == ">=":
        return int(a >= b)
    if op == "&&":
        return int(bool(a) and bool(b))
    if op == "||":
        return int(bool(a) or bool(b))
    raise ValueError(op)
