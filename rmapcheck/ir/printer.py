"""`rmapcheck ir`: the IR of a model, readably (for debugging and teaching)."""

from __future__ import annotations

from rmapcheck.ir import nodes as ir


def expr_str(e, cells=None) -> str:
    """C-like text of an IR expression; locals are shown by name when cells are given."""
    if isinstance(e, ir.Const):
        return str(e.value)
    if isinstance(e, ir.LocalRef):
        return _local(e.off, cells)
    if isinstance(e, ir.GlobalAddr):
        return f"&G[{e.off}]"
    if isinstance(e, ir.LocalAddr):
        return f"&{_local(e.off, cells)}"
    if isinstance(e, ir.PtrAdd):
        idx = expr_str(e.index, cells)
        return f"({expr_str(e.ptr, cells)} + {idx}" + (f"*{e.scale})" if e.scale != 1 else ")")
    if isinstance(e, ir.Bin):
        return f"({expr_str(e.left, cells)} {e.op} {expr_str(e.right, cells)})"
    if isinstance(e, ir.Un):
        return f"{e.op}{expr_str(e.arg, cells)}"
    if isinstance(e, ir.Cond):
        return f"({expr_str(e.cond, cells)} ? {expr_str(e.then, cells)} : {expr_str(e.other, cells)})"
    return repr(e)


def _local(off: int, cells) -> str:
    if cells and 0 <= off < len(cells):
        return f"%{cells[off].name}"
    return f"%{off}"


def instr_str(i, cells=None, gcells=None) -> str:
    e = lambda x: expr_str(x, cells)  # noqa: E731
    loc = lambda x: _local(x, cells)  # noqa: E731
    if isinstance(i, ir.Assign):
        return f"{loc(i.dst)} = {e(i.expr)}"
    if isinstance(i, ir.Copy):
        return f"{loc(i.dst)}..+{i.width} = {loc(i.src)}..+{i.width}"
    if isinstance(i, ir.Kill):
        return f"kill {loc(i.off)}..+{i.width}"
    if isinstance(i, ir.Load):
        w = f" x{i.width}" if i.width > 1 else ""
        return f"{loc(i.dst)} = load.{i.order}{w} {e(i.addr)}    // {i.what}"
    if isinstance(i, ir.Store):
        vals = ", ".join(e(v) for v in i.values[:4]) + (", ..." if len(i.values) > 4 else "")
        w = f" x{len(i.values)}" if len(i.values) > 1 else ""
        return f"store.{i.order}{w} {e(i.addr)} = {vals}    // {i.what}"
    if isinstance(i, ir.Branch):
        return f"if {e(i.cond)} goto {i.target} else {i.other}"
    if isinstance(i, ir.Jump):
        return f"goto {i.target}"
    if isinstance(i, ir.Lock):
        return f"{i.kind}_lock {e(i.addr)}    // {i.what}"
    if isinstance(i, ir.Unlock):
        return f"{i.kind}_unlock {e(i.addr)}    // {i.what}"
    if isinstance(i, ir.SrcuReadLock):
        return f"{loc(i.dst) if i.dst is not None else '_'} = srcu_read_lock {e(i.addr)}    // {i.what}"
    if isinstance(i, ir.SrcuReadUnlock):
        return f"srcu_read_unlock {e(i.addr)}    // {i.what}"
    if isinstance(i, ir.SrcuSync):
        return f"synchronize_srcu {e(i.addr)}    // {i.what}"
    if isinstance(i, ir.Alloc):
        return f"{loc(i.dst)} = alloc site{i.site} {i.type_name}[{e(i.count)}] (may fail)"
    if isinstance(i, ir.Free):
        return f"free {e(i.ptr)}    // {i.what}"
    if isinstance(i, ir.Assert):
        return f"assert[{i.prop}] {e(i.cond)}"
    if isinstance(i, ir.AssertHeld):
        return f"assert[{i.prop}] held {e(i.addr)}    // {i.what}"
    if isinstance(i, ir.Warn):
        return f"{loc(i.dst) if i.dst is not None else '_'} = WARN_ON {e(i.cond)}"
    if isinstance(i, ir.Assume):
        return f"assume {e(i.cond)}"
    if isinstance(i, ir.Nondet):
        return f"{loc(i.dst)} = nondet {i.lo}..{i.hi}"
    if isinstance(i, ir.Fence):
        return f"smp_{i.kind}"
    if isinstance(i, ir.Rmw):
        dst = loc(i.dst) if i.dst is not None else "_"
        exp = f" if {e(i.expected)}" if i.expected is not None else ""
        return f"{dst} = rmw.{i.order} {i.op}{exp} {e(i.addr)}, {e(i.operand)} -> {i.result}    // {i.what}"
    if isinstance(i, ir.End):
        return "end"
    return repr(i)


def print_program(p: ir.Program) -> str:
    m = p.meta
    out = [f"// model {p.path}"]
    if m.title:
        out.append(f"// {m.title}")
    for src in m.sources:
        out.append(f"// source: {src}")
    out.append(f"// properties: {', '.join(p.properties)}")
    if p.defines:
        out.append("// parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(p.defines.items())))
    out.append(f"// fault budget: {m.faults}")
    if m.nondet_range is not None:
        out.append(f"// nondet range: {m.nondet_range[0]}..{m.nondet_range[1]}")
    out.append(f"// memory models: {', '.join(m.memory_models)}")
    for ex in m.expectations:
        cfg = "".join(f" {k}={v}" for k, v in (ex.config or {}).items())
        out.append(f"// expect {ex.memory_model}{cfg} {ex.prop} {ex.verdict}")
    out.append("")
    out.append(f"globals ({len(p.global_cells)} cells):")
    for i, (c, v) in enumerate(zip(p.global_cells, p.global_init)):
        init = f" = {_value(v, c, p)}" if v else ""
        out.append(f"  G[{i}] {c.name}{init}")
    if p.sites:
        out.append("")
        out.append("allocation sites:")
        for k, site in enumerate(p.sites):
            out.append(f"  site{k} {site.type_name} in {site.func}() line {site.loc.line}")
    for t in p.threads:
        out.append("")
        inst = f" x{t.instances}" if t.instances > 1 else ""
        param = f", instance number in %{t.local_cells[t.param_cell].name}" if t.param_cell is not None else ""
        out.append(f"thread {t.name}{inst} ({t.nlocals} local cells, {len(t.code)} steps{param}):")
        out.extend(_code_lines(t.code, t.local_cells))
    for inv in p.invariants:
        out.append("")
        out.append(f"invariant {inv.prop} = {inv.func}() (atomic, every state):")
        out.extend(_code_lines(inv.code, None))
    return "\n".join(out) + "\n"


def _value(v, cell, p) -> str:
    """An initial value: an int, or a pointer to a global shown as &object (the object of the
    pointer's type that starts at that cell, e.g. &arr0 rather than &arr0.s[0].rmap[0])."""
    if not (isinstance(v, tuple) and len(v) == 2 and v[0] == ir.GLOBAL and 0 <= v[1] < len(p.global_cells)):
        return str(v)
    objects = getattr(p, "global_objects", {}).get(v[1], [])
    pointee = getattr(cell, "pointee", "")
    names = [n for n, t in objects if t == pointee] or [n for n, _ in objects[-1:]] or [p.global_cells[v[1]].name]
    return f"&{names[0]} (&G[{v[1]}])"


def _code_lines(code, cells) -> list[str]:
    out = []
    func = None
    for pc, i in enumerate(code):
        if i.func != func:
            func = i.func
            out.append(f"  {func}():")
        mark = "*" if i.visible else " "
        out.append(f"   {mark}{pc:4d}  {instr_str(i, cells):<60s}  line {i.loc.line}")
    return out
