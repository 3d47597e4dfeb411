"""Brace initialisers: `{ .npages = 1, .rmap = { 0 } }` to (cell offset, type, expression)."""

from __future__ import annotations

from pycparser import c_ast

from rmapcheck.frontend.ctypes import ArrT, CType, StructT

ATOMIC_INITS = ("ATOMIC_INIT", "ATOMIC64_INIT", "ATOMIC_LONG_INIT")


def walk_init_list(env, init, t: CType, base: int = 0):
    """Yield (offset, scalar type, expression node) for every initialised scalar."""
    if (isinstance(init, c_ast.FuncCall) and isinstance(init.name, c_ast.ID)
            and init.name.name in ATOMIC_INITS and isinstance(t, StructT)):
        # ATOMIC_INIT(i) is the kernel's { (i) } for an atomic_t
        if not init.args or len(init.args.exprs) != 1:
            raise env.error(init, f"{init.name.name}() takes one argument")
        init = c_ast.InitList([init.args.exprs[0]], init.coord)
    if not isinstance(init, c_ast.InitList):
        if isinstance(t, (StructT, ArrT)):
            raise env.error(init, f"{t} needs a {{ ... }} initialiser")
        yield base, t, init
        return
    if isinstance(t, StructT):
        names = list(t.fields)
        pos = 0
        for e in init.exprs:
            if isinstance(e, c_ast.NamedInitializer):
                if len(e.name) != 1 or not isinstance(e.name[0], c_ast.ID):
                    raise env.error(e, "nested designators are not supported: write .a = { .b = x }")
                fname = e.name[0].name
                if fname not in t.fields:
                    raise env.error(e.name[0], f"{t} has no member '{fname}'")
                pos = names.index(fname)
                e = e.expr
            if pos >= len(names):
                raise env.error(e, f"too many initialisers for {t}")
            off, ft = t.fields[names[pos]]
            yield from walk_init_list(env, e, ft, base + off)
            pos += 1
    elif isinstance(t, ArrT):
        pos = 0
        for e in init.exprs:
            if isinstance(e, c_ast.NamedInitializer):
                if len(e.name) != 1:
                    raise env.error(e, "nested designators are not supported")
                if isinstance(e.name[0], c_ast.ID) and e.name[0].name not in env.consts:
                    raise env.error(e.name[0], f"{t} is an array: use [index] = value, not .{e.name[0].name}")
                pos = env.const_int(e.name[0])
                e = e.expr
            if not 0 <= pos < t.n:
                raise env.error(e, f"initialiser index {pos} is out of bounds of [{t.n}]")
            yield from walk_init_list(env, e, t.elem, base + pos * t.elem.cells)
            pos += 1
    else:
        if len(init.exprs) != 1:
            raise env.error(init, "a scalar takes one initialiser")
        yield from walk_init_list(env, init.exprs[0], t, base)
