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
_FLOAT_NAMES = {"float", "double", "_Complex", "_Imaginary"}

# The largest object (struct or array) a model may declare, in cells.
MAX_OBJECT_CELLS = 65536

# Shift counts a constant expression may use (a model's integers stand for 64-bit kernel values).
MAX_SHIFT = 63


class ConstError(ValueError):
    """A constant expression that C does not define (shift count out of range)."""


class TypeEnv:
    """Struct, typedef and enum tables of one model, plus its #define constants."""

    def __init__(self, path: str, lines: list[str], defines: dict[str, int], code_lines: list[str] | None = None,
                 files: dict | None = None):
        self.path = path
        self.lines = lines  # the model as written: error messages quote it
        self.code_lines = code_lines or lines  # comments blanked: traces quote statements from it
        self.files = files or {path: (lines, self.code_lines)}  # every file of the model: (raw, blanked)
        self.structs: dict[str, StructT] = {}
        # Struct and enum definitions already processed, by AST node: a definition inside a
        # function is seen again every time the function is inlined, and is the same definition.
        self._seen_defs: dict[int, object] = {}
        self.last_node = None  # the statement being lowered (where a too-deep nesting is reported)
        self.typedefs: dict[str, CType] = {}
        self.consts: dict[str, int] = dict(CONSTANTS)
        self.consts.update(defines)
        self.define_names = frozenset(defines)  # the model's #define constants

    def not_a_define(self, node, name: str, what: str) -> None:
        """A #define name cannot also name a variable or a function: in C the preprocessor
        would have replaced it (`int NR_SLOTS;` is `int 2;`)."""
        if name in self.define_names:
            raise self.error(node, f"'{name}' is a #define constant: it cannot also be {what}")

    # -- errors ---------------------------------------------------------------
    def loc(self, node) -> SourceLoc:
        c = _coord_of(node)
        if c is None:
            return SourceLoc(self.path, 1, 1)
        f = str(c.file or self.path)
        return SourceLoc(f, c.line, c.column or 1, f != self.path)

    def source_line(self, loc: SourceLoc, blanked: bool = False) -> str | None:
        """The text of loc's line in its own file (comments blanked if asked)."""
        f = self.files.get(loc.file)
        lines = f[1 if blanked else 0] if f else None
        return lines[loc.line - 1] if lines and 0 < loc.line <= len(lines) else None

    def error(self, node, msg: str) -> ModelError:
        loc = self.loc(node)
        return ModelError(loc, msg, self.source_line(loc))

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
        if id(node) in self._seen_defs:
            return st
        self._seen_defs[id(node)] = node
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
            if off > MAX_OBJECT_CELLS:
                raise self.error(d, f"struct {node.name} is too large for a model "
                                    f"(at most {MAX_OBJECT_CELLS} cells in one object)")
        st.complete = True
        return st

    def resolve(self, node) -> CType:
        """The CType of a declarator chain (TypeDecl / PtrDecl / ArrayDecl / FuncDecl)."""
        if isinstance(node, c_ast.TypeDecl):
            return self.resolve(node.type)
        if isinstance(node, c_ast.PtrDecl):
            if isinstance(node.type, c_ast.FuncDecl):
                raise self.error(node, "function pointers are not supported: call the function directly")
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
            if elem.cells * n > MAX_OBJECT_CELLS:
                raise self.error(node.dim, f"an array of {elem.cells * n} cells is too large for a model "
                                           f"(at most {MAX_OBJECT_CELLS} cells in one object)")
            return ArrT(elem, n)
        if isinstance(node, c_ast.FuncDecl):
            ret = self.resolve(node.type)
            params = []
            for p in (node.args.params if node.args else []):
                if isinstance(p, c_ast.EllipsisParam):
                    raise self.error(p, "variadic functions are not supported")
                if not isinstance(p, (c_ast.Decl, c_ast.Typename)):
                    raise self.error(p, "old-style (K&R) parameter lists are not supported: declare the parameter types in the parentheses")
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
            if names == ["_Bool"]:
                return IntT("bool")  # stores convert to 0/1, as C's _Bool does
            if all(n in _INT_NAMES for n in names):
                return IntT(" ".join(names))
            if any(n in _FLOAT_NAMES for n in names):
                raise self.error(node, f"floating point is not supported ('{' '.join(names)}'): kernel code has none")
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
        if node.values is None or id(node) in self._seen_defs:
            return
        self._seen_defs[id(node)] = node
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
            if node.type in ("string", "float", "double", "long double"):
                return None
            if node.type == "char" or node.value.startswith(("'", "L'", "u'", "U'", "u8'")):
                v = parse_char(node.value)
                if v is None:
                    raise self.error(node, f"unsupported character constant {node.value}")
                return v
            v = parse_int(node.value)
            if v is None:
                raise self.error(node, f"unsupported integer constant '{node.value}'")
            return v
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
            except ConstError as e:
                raise self.error(node, str(e)) from None
        if isinstance(node, c_ast.TernaryOp):
            c = self.try_const(node.cond)
            if c is None:
                return None
            return self.try_const(node.iftrue if c else node.iffalse)
        if isinstance(node, c_ast.Cast):
            return self.try_const(node.expr)
        return None


def _coord_of(node, depth: int = 0):
    """The position of a node; pycparser leaves some nodes (compound literals, designated
    initialisers) without one, so take the first position found among its children."""
    c = getattr(node, "coord", None)
    if c is not None and getattr(c, "line", None) is not None:
        return c
    if depth > 50 or not isinstance(node, c_ast.Node):
        return None
    for _, child in node.children():
        c = _coord_of(child, depth + 1)
        if c is not None:
            return c
    return None


def parse_int(text: str) -> int | None:
    """The value of a C integer literal (decimal, 0x hex, 0b binary, 0 octal; any u/l suffix)."""
    t = text.rstrip("uUlL")
    try:
        if t[:2] in ("0x", "0X"):
            return int(t[2:], 16)
        if t[:2] in ("0b", "0B"):
            return int(t[2:], 2)
        if len(t) > 1 and t.startswith("0"):
            return int(t[1:], 8)
        return int(t, 10)
    except ValueError:
        return None


_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, "'": 39, '"': 34, "?": 63}


def parse_char(text: str) -> int | None:
    """The value of a one-character C constant: 'a', '\\n', '\\0', '\\x1f', '\\177'; None otherwise."""
    q = text.find("'")
    body = text[q + 1 : -1] if q >= 0 and text.endswith("'") and len(text) > q + 1 else None
    if not body:
        return None
    if body[0] != "\\":
        return ord(body) if len(body) == 1 else None
    esc = body[1:]
    if esc in _ESCAPES:
        return _ESCAPES[esc]
    try:
        if esc[:1] in ("x", "X") and len(esc) > 1:
            return int(esc[1:], 16)
        if esc and all(c in "01234567" for c in esc) and len(esc) <= 3:
            return int(esc, 8)
    except ValueError:
        return None
    return None


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
    if op in ("<<", ">>"):
        if not 0 <= b <= MAX_SHIFT:
            raise ConstError(f"shift count {b} is out of range (0 to {MAX_SHIFT})")
        return a << b if op == "<<" else a >> b
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
