"""Lower one thread's entry function (calls inlined) to a flat list of IR steps."""

from __future__ import annotations

from pycparser import c_ast

from rmapcheck.frontend.ctypes import (
    BOOL, INT, VOID, ArrT, CType, FuncT, IntT, PtrT, StructT, VoidT, cell_names, layouts_agree, same_type,
)
from rmapcheck.frontend.lvalues import LV, Label, addr_add, addr_index
from rmapcheck.frontend.typeenv import ConstError, TypeEnv, arith
from rmapcheck.frontend.unsupported import did_you_mean, unsupported_message
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.nodes import Const, LocalAddr, LocalRef

# why a pointer conversion between types that keep pointers in different cells is refused
POINTER_LAYOUT_WHY = ("the types keep pointers in different cells (a pointer is tracked only in cells "
                      "of pointer type), or void * hides which type it points to")

MAX_STEPS = 50_000  # a thread whose inlined code is larger than this is rejected (real models: a few thousand)


class _Frame:
    """One inlined call: its scopes, return slot, labels."""

    def __init__(self, name: str, ret_type: CType, ret_off: int | None):
        self.name = name
        self.ret_type = ret_type
        self.ret_off = ret_off
        self.ret_label = Label("return")
        self.scopes: list[dict[str, LV]] = [{}]
        self.labels: dict[str, Label] = {}
        self.label_refs: dict[str, c_ast.Node] = {}
        self.loops: list[tuple[Label, Label | None]] = []


class ThreadLowerer:
    """Builds the code of one thread (or one invariant) from its entry function."""

    def __init__(self, env: TypeEnv, globals_: dict, funcs: dict, sites: list, meta):
        from rmapcheck.frontend.primitives import Primitives

        self.env = env
        self.globals = globals_  # name -> (offset, CType)
        self.funcs = funcs  # name -> c_ast.FuncDef
        self.sites = sites
        self.meta = meta
        self.code: list = []
        self.local_cells: list[ir.Cell] = []
        self.frames: list[_Frame] = []
        self.escaped: set[int] = set()  # locals whose address is taken: never dead before scope end
        self.before_atomic = None  # a smp_mb__before_atomic() waiting for its atomic operation
        self.prims = Primitives(self)

    # -- emission ---------------------------------------------------------------
    def error(self, node, msg: str):
        return self.env.error(node, msg)

    def emit(self, cls, node, **kw):
        if self.before_atomic is not None and cls.visible and cls is not ir.Rmw:
            raise self.error(node, "smp_mb__before_atomic() must come right before an atomic read-modify-write "
                                   "operation (LKMM gives it no ordering otherwise)")
        loc = self.env.loc(node)
        text = " ".join((self.env.source_line(loc, blanked=True) or "").split())
        func = self.frames[-1].name if self.frames else "?"
        instr = cls(loc=loc, func=func, text=text, **kw)
        self.code.append(instr)
        if len(self.code) > MAX_STEPS:
            raise self.error(node, f"the inlined code is larger than {MAX_STEPS} steps")
        return instr

    def place(self, label: Label) -> None:
        label.pos = len(self.code)

    def jump(self, node, label: Label) -> None:
        self.emit(ir.Jump, node, target=label)

    def branch(self, node, cond, t: Label, f: Label) -> None:
        self.emit(ir.Branch, node, cond=cond, target=t, other=f)

    def new_local(self, t: CType, name: str) -> int:
        off = len(self.local_cells)
        fname = self.frames[-1].name if self.frames else ""
        prefix = f"{fname}:{name}" if fname else name
        for cname, isptr, pointee in cell_names(prefix, t):
            self.local_cells.append(ir.Cell(cname, isptr, pointee))
        if t.cells == 0:
            raise AssertionError("zero-sized local")
        return off

    def temp(self, t: CType = INT) -> int:
        return self.new_local(t, f"t{len(self.local_cells)}")

    def finish(self) -> list:
        for instr in self.code:
            for attr in ("target", "other"):
                lab = getattr(instr, attr, None)
                if isinstance(lab, Label):
                    setattr(instr, attr, lab.pos)
        return self.code

    # -- scopes ---------------------------------------------------------------
    def lookup(self, name: str) -> LV | None:
        for scope in reversed(self.frames[-1].scopes):
            if name in scope:
                return scope[name]
        if name in self.globals:
            off, t = self.globals[name]
            return LV(t, addr=ir.GlobalAddr(off), text=name)
        return None

    def declare(self, node, name: str, t: CType) -> LV:
        scope = self.frames[-1].scopes[-1]
        if name in scope:
            raise self.error(node, f"'{name}' is declared twice in the same scope")
        self.env.not_a_define(node, name, "a variable")
        lv = LV(t, local=self.new_local(t, name), text=name)
        scope[name] = lv
        return lv

    # -- functions ------------------------------------------------------------
    def lower_entry(self, fname: str, node, param_value: bool) -> int | None:
        """Lower the thread's entry function; returns the local that receives the instance number."""
        fd = self.funcs[fname]
        ftype = self.env.resolve(fd.decl.type)
        frame = _Frame(fname, ftype.ret, None)
        self.frames.append(frame)
        param_cell = None
        if len(ftype.params) > 1 or (ftype.params and not isinstance(ftype.params[0][1], IntT)):
            raise self.error(fd.decl, f"thread function '{fname}' takes at most one int parameter (its instance number)")
        if ftype.params:
            param_cell = self.declare(fd.decl, ftype.params[0][0], ftype.params[0][1]).local
        self.stmt(fd.body)
        self.check_labels(frame)
        self.place(frame.ret_label)
        self.emit(ir.End, fd.body.block_items[-1] if fd.body.block_items else fd.body)
        self.frames.pop()
        return param_cell

    def check_labels(self, frame: _Frame) -> None:
        for name, ref in frame.label_refs.items():
            if frame.labels[name].pos is None:
                raise self.error(ref, f"label '{name}' used but not defined in {frame.name}()")

    def call_user(self, node: c_ast.FuncCall, fname: str) -> tuple:
        fd = self.funcs[fname]
        if any(f.name == fname for f in self.frames):
            raise self.error(node, f"recursive call of '{fname}' is not supported")
        ftype: FuncT = self.env.resolve(fd.decl.type)
        args = node.args.exprs if node.args else []
        if len(args) != len(ftype.params):
            raise self.error(node, f"'{fname}' takes {len(ftype.params)} argument(s), {len(args)} given")
        # Arguments are evaluated in the caller's scope, into fresh locals.
        vals = []
        for a, (pname, pt) in zip(args, ftype.params):
            if isinstance(pt, StructT):
                vals.append(("struct", self.struct_src(a, pt), pt, pname, a))
            else:
                v, vt = self.rv_to(a, pt)
                self.check_assign(a, pt, vt, v)
                vals.append(("scalar", self.convert(v, vt, pt), pt, pname, a))
        ret_off = None if isinstance(ftype.ret, VoidT) else self.new_local(ftype.ret, f"{fname}()")
        frame = _Frame(fname, ftype.ret, ret_off)
        first_local = len(self.local_cells)
        self.frames.append(frame)
        for kind, v, pt, pname, a in vals:
            lv = self.declare(a, pname or "arg", pt)
            if kind == "struct":
                self.copy(a, lv, v)
            else:
                self.emit(ir.Assign, a, dst=lv.local, expr=v)
        self.stmt(fd.body)
        self.check_labels(frame)
        self.place(frame.ret_label)
        self.frames.pop()
        nkill = len(self.local_cells) - first_local
        if nkill:
            self.emit(ir.Kill, node, off=first_local, width=nkill)
        if ret_off is None:
            return Const(0), VOID
        if isinstance(ftype.ret, StructT):
            return LV(ftype.ret, local=ret_off, text=f"{fname}()"), ftype.ret
        return LocalRef(ret_off), ftype.ret

    # -- statements -------------------------------------------------------------
    def stmt(self, node) -> None:
        frame = self.frames[-1]
        if node is None or isinstance(node, c_ast.EmptyStatement):
            return
        self.env.last_node = node
        if isinstance(node, c_ast.Compound):
            frame.scopes.append({})
            for item in node.block_items or []:
                self.stmt(item)
            frame.scopes.pop()
        elif isinstance(node, c_ast.Decl):
            self.local_decl(node)
        elif isinstance(node, c_ast.DeclList):
            for d in node.decls:
                self.local_decl(d)
        elif isinstance(node, c_ast.If):
            t, f, end = Label(), Label(), Label()
            self.cond_jump(node.cond, t, f)
            self.place(t)
            self.stmt(node.iftrue)
            self.jump(node, end)
            self.place(f)
            self.stmt(node.iffalse)
            self.place(end)
        elif isinstance(node, (c_ast.While, c_ast.For)):
            is_for = isinstance(node, c_ast.For)
            frame.scopes.append({})
            if is_for and node.init is not None:
                if isinstance(node.init, c_ast.DeclList):
                    for d in node.init.decls:
                        self.local_decl(d)
                else:
                    self.expr_stmt(node.init)
            top, body, cont, end = Label(), Label(), Label(), Label()
            self.place(top)
            if node.cond is not None:
                self.cond_jump(node.cond, body, end)
            self.place(body)
            frame.loops.append((end, cont))
            self.stmt(node.stmt)
            frame.loops.pop()
            self.place(cont)
            if is_for and node.next is not None:
                self.expr_stmt(node.next)
            self.jump(node, top)
            self.place(end)
            frame.scopes.pop()
        elif isinstance(node, c_ast.DoWhile):
            body, cont, end = Label(), Label(), Label()
            self.place(body)
            frame.loops.append((end, cont))
            self.stmt(node.stmt)
            frame.loops.pop()
            self.place(cont)
            self.cond_jump(node.cond, body, end)
            self.place(end)
        elif isinstance(node, c_ast.Break):
            if not frame.loops:
                raise self.error(node, "'break' outside a loop or switch")
            self.jump(node, frame.loops[-1][0])
        elif isinstance(node, c_ast.Continue):
            conts = [c for _, c in frame.loops if c is not None]
            if not conts:
                raise self.error(node, "'continue' outside a loop")
            self.jump(node, conts[-1])
        elif isinstance(node, c_ast.Goto):
            lab = frame.labels.setdefault(node.name, Label(node.name))
            frame.label_refs.setdefault(node.name, node)
            self.jump(node, lab)
        elif isinstance(node, c_ast.Label):
            lab = frame.labels.setdefault(node.name, Label(node.name))
            if lab.pos is not None:
                raise self.error(node, f"label '{node.name}' is defined twice")
            self.place(lab)
            self.stmt(node.stmt)
        elif isinstance(node, c_ast.Return):
            self.ret(node)
        elif isinstance(node, c_ast.Switch):
            self.switch(node)
        elif isinstance(node, (c_ast.Case, c_ast.Default)):
            raise self.error(node, "'case' outside a switch")
        elif isinstance(node, c_ast.Pragma):
            return
        elif isinstance(node, c_ast.Typedef):
            self.env.typedefs[node.name] = self.env.resolve(node.type)
        elif isinstance(node, (c_ast.FuncDef,)):
            raise self.error(node, "nested functions are not supported")
        else:
            self.expr_stmt(node)

    def expr_stmt(self, node) -> None:
        if isinstance(node, c_ast.ExprList):
            for e in node.exprs:
                self.expr_stmt(e)
            return
        v = self.value(node)
        del v

    def ret(self, node: c_ast.Return) -> None:
        frame = self.frames[-1]
        if node.expr is not None:
            if isinstance(frame.ret_type, VoidT):
                raise self.error(node.expr, f"'{frame.name}' returns void but a value is returned")
            if frame.ret_off is None:
                # The thread's entry function: its return value is evaluated and dropped.
                self.value(node.expr)
            elif isinstance(frame.ret_type, StructT):
                self.copy(node, LV(frame.ret_type, local=frame.ret_off), self.struct_src(node.expr, frame.ret_type))
            else:
                v, vt = self.rv_to(node.expr, frame.ret_type)
                self.check_assign(node.expr, frame.ret_type, vt, v)
                self.emit(ir.Assign, node, dst=frame.ret_off, expr=self.convert(v, vt, frame.ret_type))
        elif frame.ret_off is not None:
            raise self.error(node, f"'{frame.name}' must return a value")
        self.jump(node, frame.ret_label)

    def switch(self, node: c_ast.Switch) -> None:
        frame = self.frames[-1]
        v, vt = self.rv(node.cond)
        if not isinstance(vt, IntT):
            raise self.error(node.cond, "switch needs an integer")
        tmp = self.temp()
        self.emit(ir.Assign, node, dst=tmp, expr=v)
        end = Label()
        items = node.stmt.block_items if isinstance(node.stmt, c_ast.Compound) else [node.stmt]
        cases: list[tuple[c_ast.Node, Label]] = []
        default = None
        seen: set[int] = set()
        for it in items or []:
            if isinstance(it, c_ast.Case):
                val = self.env.const_int(it.expr)
                if val in seen:
                    raise self.error(it, f"duplicate case value {val}")
                seen.add(val)
                cases.append((it, Label()))
            elif isinstance(it, c_ast.Default):
                if default is not None:
                    raise self.error(it, "two 'default' labels in one switch")
                default = (it, Label())
                cases.append(default)
        for it, lab in cases:
            if isinstance(it, c_ast.Case):
                nxt = Label()
                self.branch(it, ir.Bin("==", LocalRef(tmp), Const(self.env.const_int(it.expr))), lab, nxt)
                self.place(nxt)
        self.jump(node, default[1] if default else end)
        labels = {id(it): lab for it, lab in cases}
        inherited = frame.loops[-1][1] if frame.loops else None
        frame.loops.append((end, inherited))
        frame.scopes.append({})
        for it in items or []:
            if isinstance(it, (c_ast.Case, c_ast.Default)):
                self.place(labels[id(it)])
                for s in it.stmts or []:
                    self.stmt(s)
            else:
                self.stmt(it)
        frame.scopes.pop()
        frame.loops.pop()
        self.place(end)

    def local_decl(self, node: c_ast.Decl) -> None:
        if "static" in (node.storage or []) or "extern" in (node.storage or []):
            raise self.error(node, "static and extern locals are not supported: use a global")
        if isinstance(node.type, (c_ast.Struct, c_ast.Enum)) and node.name is None:
            self.env.resolve(node.type)
            return
        t = self.env.resolve(node.type)
        if isinstance(t, FuncT):
            raise self.error(node, "function declarations inside functions are not supported")
        if isinstance(t, VoidT) or (isinstance(t, StructT) and not t.complete and not t.primitive):
            raise self.error(node, f"variable '{node.name}' has incomplete type {t}")
        init = node.init
        # The name is in scope in its own initialiser, as in C: `p = kzalloc(sizeof(*p), ...)`.
        lv = self.declare(node, node.name, t)
        if init is not None and not isinstance(init, c_ast.InitList) and not isinstance(t, (StructT, ArrT)):
            v, vt = self.rv_to(init, t)
            self.check_assign(init, t, vt, v)
            v = self.convert(v, vt, t)
            self.emit(ir.Assign, node, dst=lv.local, expr=v)
            if _is_const_object(node.type):
                lv.readonly = True
                # `const int sz = sizeof(*p);` is a constant wherever sz is used
                lv.const = v.value if isinstance(v, Const) else None
            return
        lv.readonly = _is_const_object(node.type)
        if init is None:
            self.emit(ir.Kill, node, off=lv.local, width=t.cells)
        elif isinstance(init, c_ast.InitList):
            self.emit(ir.Kill, node, off=lv.local, width=t.cells)
            self.init_list(init, lv)
        elif isinstance(t, StructT):
            self.copy(node, lv, self.struct_src(init, t))
        else:
            raise self.error(init, "an array is initialised with { ... }")

    def init_list(self, init: c_ast.InitList, lv: LV) -> None:
        from rmapcheck.frontend.initializers import walk_init_list

        for off, t, expr in walk_init_list(self.env, init, lv.type):
            target = LV(t, local=lv.local + off)
            v, vt = self.rv(expr)
            self.check_assign(expr, t, vt, v)
            self.emit(ir.Assign, expr, dst=target.local, expr=self.convert(v, vt, t))

    # -- conditions -------------------------------------------------------------
    def cond_jump(self, node, t: Label, f: Label) -> None:
        """Jump to t if node is true, else to f (short-circuit, as C)."""
        if isinstance(node, c_ast.BinaryOp) and node.op in ("&&", "||"):
            mid = Label()
            if node.op == "&&":
                self.cond_jump(node.left, mid, f)
            else:
                self.cond_jump(node.left, t, mid)
            self.place(mid)
            self.cond_jump(node.right, t, f)
            return
        if isinstance(node, c_ast.UnaryOp) and node.op == "!":
            self.cond_jump(node.expr, f, t)
            return
        v, vt = self.rv(node)
        self.scalar(node, vt)
        self.branch(node, v, t, f)

    # -- expressions --------------------------------------------------------------
    def scalar(self, node, t: CType) -> None:
        if not t.is_scalar():
            raise self.error(node, f"a scalar is needed here, not {t}")

    def value(self, node):
        """Evaluate for effect or value: returns (Expr|LV, type)."""
        if isinstance(node, c_ast.FuncCall):
            return self.call(node)
        if isinstance(node, c_ast.Assignment):
            return self.assign(node)
        return self.rv(node)

    def rv(self, node) -> tuple:
        """A scalar rvalue: an IR expression over locals, and its type."""
        if isinstance(node, c_ast.Constant):
            if node.type == "string":
                raise self.error(node, "string literals are only allowed as property names")
            if node.type in ("float", "double"):
                raise self.error(node, "floating point is not supported")
            return Const(self.env.const_int(node)), INT
        if isinstance(node, c_ast.ID):
            lv = self.lookup(node.name)
            if lv is None:
                if node.name in self.env.consts:
                    return Const(self.env.consts[node.name]), INT
                if node.name in self.funcs:
                    raise self.error(node, f"function pointers are not supported ('{node.name}')")
                raise self.error(node, f"'{node.name}' is not declared")
            return self.read(node, lv)
        if isinstance(node, (c_ast.ArrayRef, c_ast.StructRef)):
            return self.read(node, self.lv(node))
        if isinstance(node, c_ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, c_ast.BinaryOp):
            return self.binary(node)
        if isinstance(node, c_ast.Assignment):
            v, t = self.assign(node)
            if isinstance(t, StructT):
                raise self.error(node, "a struct assignment has no scalar value")
            return v, t
        if isinstance(node, c_ast.FuncCall):
            v, t = self.call(node)
            if isinstance(t, StructT):
                raise self.error(node, "a struct value is not allowed here")
            if isinstance(t, VoidT):
                raise self.error(node, "a void function's result is used")
            return v, t
        if isinstance(node, c_ast.Cast):
            t = self.env.resolve(node.to_type)
            if isinstance(node.expr, c_ast.FuncCall) and self.prims.is_alloc(node.expr):
                return self.prims.alloc(node.expr, t)
            v, vt = self.rv(node.expr)
            if isinstance(t, VoidT):
                return Const(0), VOID
            if isinstance(t, IntT) and isinstance(vt, PtrT) and t.name != "bool":
                raise self.error(node, "casting a pointer to an integer is not supported")
            if isinstance(t, PtrT) and isinstance(vt, IntT) and not (isinstance(v, Const) and v.value == 0):
                raise self.error(node, "casting an integer to a pointer is not supported")
            if isinstance(t, PtrT) and isinstance(vt, PtrT) and not layouts_agree(vt.target, t.target):
                raise self.error(node, f"casting {vt} to {t} is not supported: {POINTER_LAYOUT_WHY}")
            return self.convert(v, vt, t), t
        if isinstance(node, c_ast.TernaryOp):
            return self.ternary(node)
        if isinstance(node, c_ast.ExprList):
            for e in node.exprs[:-1]:
                self.value(e)
            return self.rv(node.exprs[-1])
        if isinstance(node, c_ast.InitList):
            raise self.error(node, "an initialiser list is only allowed in a declaration")
        if isinstance(node, c_ast.CompoundLiteral):
            raise self.error(node, "compound literals are not supported")
        raise self.error(node, f"unsupported expression ({type(node).__name__})")

    def rv_to(self, node, t: CType) -> tuple:
        """The value of node, to be stored into an object of type t (an allocation takes its
        element type from t when its size does not say it)."""
        if isinstance(node, c_ast.FuncCall) and self.prims.is_alloc(node):
            return self.prims.alloc(node, t)
        return self.rv(node)

    def convert(self, v, vt: CType, t: CType):
        """Implicit conversion: a pointer or int stored into a bool becomes 0/1."""
        if isinstance(t, IntT) and t.name == "bool":
            if isinstance(v, Const):
                return Const(int(v.value != 0))
            if isinstance(v, (ir.GlobalAddr, LocalAddr)):
                return Const(1)  # the address of an object is never NULL
            return ir.Un("!", ir.Un("!", v))
        return v

    def check_assign(self, node, t: CType, vt: CType, v) -> None:
        if isinstance(t, PtrT):
            if isinstance(vt, IntT):
                if isinstance(v, Const) and v.value == 0:
                    return
                raise self.error(node, f"assigning an integer to a pointer ({t})")
            if isinstance(vt, PtrT) and not same_type(t, vt):
                raise self.error(node, f"incompatible pointer types: {t} and {vt}")
            if isinstance(vt, PtrT) and not layouts_agree(vt.target, t.target):
                raise self.error(node, f"converting {vt} to {t} is not supported: {POINTER_LAYOUT_WHY}")
            if not isinstance(vt, PtrT):
                raise self.error(node, f"cannot assign {vt} to {t}")
        elif isinstance(t, IntT):
            if isinstance(vt, PtrT) and t.name != "bool":
                raise self.error(node, f"assigning a pointer to an integer ({t}); compare with NULL instead")
            if not vt.is_scalar():
                raise self.error(node, f"cannot assign {vt} to {t}")
        else:
            raise self.error(node, f"cannot assign to an object of type {t}")

    def read(self, node, lv: LV) -> tuple:
        t = lv.type
        if isinstance(t, ArrT):
            return self.addr_of(node, lv), PtrT(t.elem)
        if isinstance(t, StructT):
            raise self.error(node, f"a struct ({t}) is used where a scalar is needed")
        if isinstance(t, FuncT):
            raise self.error(node, "function pointers are not supported")
        if lv.const is not None:
            return Const(lv.const), t
        if lv.local is not None:
            return LocalRef(lv.local), t
        tmp = self.temp(t)
        self.emit(ir.Load, node, dst=tmp, addr=lv.addr, width=1, order=ir.PLAIN, what=lv.text)
        return LocalRef(tmp), t

    def addr_of(self, node, lv: LV):
        if lv.local is not None:
            self.escaped.update(range(lv.local, lv.local + max(lv.type.cells, 1)))
            return LocalAddr(lv.local)
        return lv.addr

    def lv(self, node) -> LV:
        """The lvalue an expression denotes (its address is computed, nothing is read from it)."""
        if isinstance(node, c_ast.ID):
            lv = self.lookup(node.name)
            if lv is None:
                if node.name in self.env.consts:
                    raise self.error(node, f"'{node.name}' is a constant, not a variable")
                raise self.error(node, f"'{node.name}' is not declared")
            return lv
        if isinstance(node, c_ast.ArrayRef):
            return self.array_ref(node)
        if isinstance(node, c_ast.StructRef):
            return self.struct_ref(node)
        if isinstance(node, c_ast.UnaryOp) and node.op == "*":
            p, pt = self.rv(node.expr)
            if not isinstance(pt, PtrT):
                raise self.error(node, f"cannot dereference a non-pointer ({pt})")
            if isinstance(pt.target, VoidT):
                raise self.error(node, "cannot dereference a void pointer")
            return self.mem_lv(p, pt.target, "*" + _text(node.expr))
        if isinstance(node, c_ast.FuncCall):
            v, t = self.call(node)
            if isinstance(v, LV):
                return v
            raise self.error(node, "not an lvalue")
        if isinstance(node, c_ast.Cast):
            raise self.error(node, "a cast is not an lvalue")
        # Not an lvalue: an expression the language does not have says so first.
        self.rv(node)
        raise self.error(node, "this expression is not an lvalue")

    def mem_lv(self, addr, t: CType, text: str) -> LV:
        if isinstance(addr, LocalAddr):
            return LV(t, local=addr.off, text=text)
        return LV(t, addr=addr, text=text)

    def array_ref(self, node: c_ast.ArrayRef) -> LV:
        base_node = node.name
        text = f"{_text(base_node)}[{_text(node.subscript)}]"
        if _is_lvalue_node(base_node):
            base = self.lv(base_node)
            if isinstance(base.type, ArrT):
                at = base.type
                elem = at.elem
                idx, it = self.index(node.subscript)
                if isinstance(idx, Const):
                    if not 0 <= idx.value < at.n:
                        raise self.error(
                            node.subscript,
                            f"index {idx.value} is out of bounds of {base.text or 'the array'}[{at.n}]",
                        )
                    if base.local is not None:
                        return LV(elem, local=base.local + idx.value * elem.cells, text=text)
                    return LV(elem, addr=addr_add(base.addr, idx.value * elem.cells), text=text)
                self.bounds_check(node.subscript, idx, at.n)
                return LV(elem, addr=addr_index(self.addr_of(node, base), idx, elem.cells), text=text)
            p, pt = self.read(base_node, base)
        else:
            p, pt = self.rv(base_node)
        if not isinstance(pt, PtrT):
            raise self.error(node, f"subscripted value is not an array or pointer ({pt})")
        if isinstance(pt.target, VoidT):
            raise self.error(node, "cannot index a void pointer")
        idx, it = self.index(node.subscript)
        return self.mem_lv(addr_index(p, idx, pt.target.cells), pt.target, text)

    def index(self, node) -> tuple:
        idx, it = self.rv(node)
        if not isinstance(it, IntT):
            raise self.error(node, f"array index must be an integer, not {it}")
        return idx, it

    def bounds_check(self, node, idx, n: int) -> None:
        cond = ir.Bin("&&", ir.Bin(">=", idx, Const(0)), ir.Bin("<", idx, Const(n)))
        self.emit(ir.Assert, node, cond=cond, prop=ir.P_BOUNDS)

    def struct_ref(self, node: c_ast.StructRef) -> LV:
        fname = node.field.name
        if node.type == "->":
            if _is_lvalue_node(node.name) and isinstance(self.type_of(node.name), StructT):
                raise self.error(node, f"'->' needs a pointer to a struct, not {self.type_of(node.name)}: use '.'")
            p, pt = self.rv(node.name)
            if not isinstance(pt, PtrT) or not isinstance(pt.target, StructT):
                raise self.error(node, f"'->' needs a pointer to a struct, not {pt}")
            st = pt.target
            off, ft = self._field(node, st, fname)
            return self.mem_lv(addr_add(p, off), ft, f"{_text(node.name)}->{fname}")
        base = self.lv(node.name)
        if not isinstance(base.type, StructT):
            raise self.error(node, f"'.' needs a struct, not {base.type}")
        off, ft = self._field(node, base.type, fname)
        text = f"{base.text}.{fname}"
        if base.local is not None:
            return LV(ft, local=base.local + off, text=text)
        return LV(ft, addr=addr_add(base.addr, off), text=text)

    def _field(self, node, st: StructT, fname: str):
        if not st.complete:
            raise self.error(node, f"{st} is incomplete")
        if fname not in st.fields:
            raise self.error(node.field, f"{st} has no member '{fname}'")
        return st.fields[fname]

    def unary(self, node: c_ast.UnaryOp) -> tuple:
        op = node.op
        if op == "&":
            if isinstance(node.expr, c_ast.ID) and node.expr.name in self.funcs:
                raise self.error(node, "function pointers are not supported")
            lv = self.lv(node.expr)
            return self.addr_of(node, lv), PtrT(lv.type)
        if op == "*":
            return self.read(node, self.lv(node))
        if op == "sizeof":
            return Const(self.sizeof(node.expr).cells), INT
        if op in ("++", "--", "p++", "p--"):
            lv = self.lv(node.expr)
            self.modifiable(node, lv)
            old, t = self.read(node, lv)
            self.scalar(node, t)
            if isinstance(t, PtrT):
                new = addr_index(old, Const(1 if "+" in op else -1), t.target.cells)
            else:
                new = ir.Bin("+" if "+" in op else "-", old, Const(1))
            keep = self.temp(t)
            self.emit(ir.Assign, node, dst=keep, expr=old if op.startswith("p") else new)
            if op.startswith("p"):
                self.store(node, lv, new)
            else:
                self.store(node, lv, LocalRef(keep))
            return LocalRef(keep), t
        v, t = self.rv(node.expr)
        if op == "!":
            self.scalar(node, t)
            return self.fold(node, ir.Un("!", v)), INT
        if op in ("-", "~", "+"):
            if not isinstance(t, IntT):
                raise self.error(node, f"unary '{op}' needs an integer")
            return (v if op == "+" else self.fold(node, ir.Un(op, v))), t
        raise self.error(node, f"unsupported operator '{op}'")

    def sizeof(self, node) -> CType:
        t = self.env.resolve(node.type) if isinstance(node, c_ast.Typename) else self.type_of(node)
        if isinstance(t, (VoidT, FuncT)) or (isinstance(t, StructT) and not t.complete and not t.primitive):
            raise self.error(node, f"sizeof of an incomplete type ({t})")
        return t

    def mark(self) -> tuple:
        """A point to roll the lowering back to (see rollback)."""
        return len(self.code), len(self.local_cells), len(self.sites)

    def rollback(self, mark: tuple) -> None:
        """Forget the code, temporaries and allocation sites made since mark: an expression
        lowered only for its type, or lowered once more with control flow."""
        ncode, nlocal, nsites = mark
        del self.code[ncode:]
        del self.local_cells[nlocal:]
        del self.sites[nsites:]
        self.escaped = {c for c in self.escaped if c < nlocal}

    def type_of(self, node) -> CType:
        """The type of an expression, without keeping any code it would emit."""
        m = self.mark()
        try:
            v = self.value(node) if not _is_lvalue_node(node) else None
            t = v[1] if v is not None else self.lv(node).type
        finally:
            self.rollback(m)
        return t

    def binary(self, node: c_ast.BinaryOp) -> tuple:
        op = node.op
        if op in ("&&", "||"):
            m = self.mark()
            lv_, lt = self.rv(node.left)
            mid = len(self.code)
            rv_, rt = self.rv(node.right)
            self.scalar(node.left, lt)
            self.scalar(node.right, rt)
            if len(self.code) == mid:
                return self.fold(node, ir.Bin(op, lv_, rv_)), INT
            # The right side has steps: short-circuit with control flow.
            self.rollback(m)
            tmp = self.temp(INT)
            t, f, end = Label(), Label(), Label()
            self.emit(ir.Assign, node, dst=tmp, expr=Const(0))
            self.cond_jump(node, t, f)
            self.place(t)
            self.emit(ir.Assign, node, dst=tmp, expr=Const(1))
            self.place(f)
            self.place(end)
            return LocalRef(tmp), INT
        a, at = self.rv(node.left)
        b, bt = self.rv(node.right)
        if isinstance(at, PtrT) or isinstance(bt, PtrT):
            if op in ("==", "!="):
                for x, xt in ((a, at), (b, bt)):
                    if isinstance(xt, IntT) and not (isinstance(x, Const) and x.value == 0):
                        raise self.error(node, "comparing a pointer with an integer other than NULL")
                return ir.Bin(op, a, b), INT
            if op == "+" and isinstance(at, PtrT) and isinstance(bt, IntT):
                return addr_index(a, b, at.target.cells), at
            if op == "+" and isinstance(bt, PtrT) and isinstance(at, IntT):
                return addr_index(b, a, bt.target.cells), bt
            if op == "-" and isinstance(at, PtrT) and isinstance(bt, IntT):
                return addr_index(a, self.fold(node, ir.Un("-", b)), at.target.cells), at
            raise self.error(node, f"operator '{op}' on pointers is not supported")
        if not at.is_scalar() or not bt.is_scalar():
            raise self.error(node, f"operator '{op}' needs scalars")
        return self.fold(node, ir.Bin(op, a, b)), INT

    def ternary(self, node: c_ast.TernaryOp) -> tuple:
        c, ct = self.rv(node.cond)
        self.scalar(node.cond, ct)
        m = self.mark()
        a, at = self.rv(node.iftrue)
        b, bt = self.rv(node.iffalse)
        rt = self.ternary_type(node, a, at, b, bt)
        if len(self.code) == m[0]:
            return ir.Cond(c, a, b), rt
        self.rollback(m)
        tmp = self.temp(rt)
        t, f, end = Label(), Label(), Label()
        self.branch(node, c, t, f)
        self.place(t)
        a, at = self.rv(node.iftrue)
        self.emit(ir.Assign, node, dst=tmp, expr=a)
        self.jump(node, end)
        self.place(f)
        b, bt = self.rv(node.iffalse)
        self.emit(ir.Assign, node, dst=tmp, expr=b)
        self.place(end)
        return LocalRef(tmp), rt

    def ternary_type(self, node, a, at: CType, b, bt: CType) -> CType:
        """The type of c ? a : b: both integers, or pointers of one type (NULL fits any)."""
        null = lambda v, t: isinstance(t, IntT) and isinstance(v, Const) and v.value == 0  # noqa: E731
        if isinstance(at, PtrT) and null(b, bt):
            return at
        if isinstance(bt, PtrT) and null(a, at):
            return bt
        if isinstance(at, IntT) and isinstance(bt, IntT):
            return at if at.name == bt.name else INT
        if isinstance(at, PtrT) and isinstance(bt, PtrT):
            if not same_type(at, bt):
                raise self.error(node, f"the two arms of '?:' have different pointer types: {at} and {bt}")
            return bt if isinstance(at.target, VoidT) else at
        raise self.error(node, f"the two arms of '?:' have different types: {at} and {bt}")

    def assign(self, node: c_ast.Assignment) -> tuple:
        op = node.op
        if op == "=":
            target_t = self.type_of(node.lvalue)
            if isinstance(target_t, StructT):
                src = self.struct_src(node.rvalue, target_t)
                dst = self.lv(node.lvalue)
                self.writable(node, dst)
                self.copy(node, dst, src)
                return dst, target_t
            if isinstance(target_t, ArrT):
                raise self.error(node, "arrays cannot be assigned: use memcpy")
            v, vt = self.rv_to(node.rvalue, target_t)
            lv = self.lv(node.lvalue)
            self.writable(node, lv)
            self.check_assign(node, lv.type, vt, v)
            v = self.convert(v, vt, lv.type)
        else:
            lv = self.lv(node.lvalue)
            self.modifiable(node, lv)
            cur, ct = self.read(node, lv)
            r, rt = self.rv(node.rvalue)
            bop = op[:-1]
            if isinstance(ct, PtrT) and bop in ("+", "-") and isinstance(rt, IntT):
                v = addr_index(cur, r if bop == "+" else self.fold(node, ir.Un("-", r)), ct.target.cells)
            elif isinstance(ct, IntT) and isinstance(rt, IntT):
                v = self.convert(self.fold(node, ir.Bin(bop, cur, r)), ct, lv.type)
            else:
                raise self.error(node, f"operator '{op}' needs integers")
        if lv.local is not None:
            self.emit(ir.Assign, node, dst=lv.local, expr=v)
            return LocalRef(lv.local), lv.type
        tmp = None
        if not isinstance(v, (Const, LocalRef)):
            tmp = self.temp(lv.type)
            self.emit(ir.Assign, node, dst=tmp, expr=v)
            v = LocalRef(tmp)
        self.store(node, lv, v)
        return v, lv.type

    def modifiable(self, node, lv: LV) -> None:
        """An lvalue that ++, --, += and the like may change: a scalar."""
        self.writable(node, lv)
        if isinstance(lv.type, ArrT):
            raise self.error(node, "arrays cannot be assigned: use memcpy")
        if not lv.type.is_scalar():
            raise self.error(node, f"operator needs a scalar, not {lv.type}")

    def writable(self, node, lv: LV) -> None:
        if lv.readonly:
            raise self.error(node, f"'{lv.text}' is const: it cannot be assigned")

    def struct_src(self, node, t: CType) -> LV:
        """The source object of a struct copy into an object of type t (it must be a struct)."""
        st = self.type_of(node)
        if not isinstance(st, StructT):
            raise self.error(node, f"cannot copy {st} into {t}")
        return self.lv(node)

    def store(self, node, lv: LV, v, order: str = ir.PLAIN) -> None:
        if lv.local is not None:
            self.emit(ir.Assign, node, dst=lv.local, expr=v)
        else:
            self.emit(ir.Store, node, addr=lv.addr, values=(v,), order=order, what=lv.text)

    def copy(self, node, dst: LV, src: LV) -> None:
        """By-value copy of a struct (all its cells), as C struct assignment and memcpy do."""
        if not same_type(dst.type, src.type):
            raise self.error(node, f"cannot copy {src.type} into {dst.type}")
        w = dst.type.cells
        if dst.local is not None and src.local is not None:
            self.emit(ir.Copy, node, dst=dst.local, src=src.local, width=w)
        elif dst.local is not None:
            self.emit(ir.Load, node, dst=dst.local, addr=src.addr, width=w, order=ir.PLAIN, what=src.text)
        else:
            if src.local is not None:
                base = src.local
            else:
                base = self.new_local(src.type, "copy")
                self.emit(ir.Load, node, dst=base, addr=src.addr, width=w, order=ir.PLAIN, what=src.text)
            vals = tuple(LocalRef(base + i) for i in range(w))
            self.emit(ir.Store, node, addr=dst.addr, values=vals, order=ir.PLAIN, what=dst.text)

    def fold(self, node, e):
        try:
            return _fold(e)
        except ConstError as err:
            raise self.error(node, str(err)) from None

    def call(self, node: c_ast.FuncCall) -> tuple:
        if not isinstance(node.name, c_ast.ID):
            raise self.error(node, "calls through function pointers are not supported")
        name = node.name.name
        if name in self.funcs:
            return self.call_user(node, name)
        if self.prims.knows(name):
            return self.prims.call(node, name)
        why = unsupported_message(name)
        if why is not None:
            raise self.error(node.name, why)
        hint = did_you_mean(name, list(self.funcs) + list(self.prims.table))
        raise self.error(
            node.name,
            f"unknown function '{name}': define it in the model, or use a kernel primitive (see docs/language.md)"
            + hint,
        )


def _is_const_object(decl_type) -> bool:
    """Is the declared object itself const (`const int x`, `int *const p`; not `const int *p`)?"""
    return "const" in (getattr(decl_type, "quals", None) or []) and isinstance(decl_type, (c_ast.TypeDecl, c_ast.PtrDecl))


def _is_lvalue_node(node) -> bool:
    return isinstance(node, (c_ast.ID, c_ast.ArrayRef, c_ast.StructRef)) or (
        isinstance(node, c_ast.UnaryOp) and node.op == "*"
    )


def _fold(e):
    """Constant-fold an expression whose operands are constants.

    Division by zero is left to run time (the engine reports it where it happens);
    a shift count C leaves undefined raises ConstError."""
    if isinstance(e, ir.Bin) and isinstance(e.left, Const) and isinstance(e.right, Const):
        try:
            return Const(arith(e.op, e.left.value, e.right.value))
        except ZeroDivisionError:
            return e
    if isinstance(e, ir.Un) and isinstance(e.arg, Const):
        v = e.arg.value
        return Const({"-": -v, "!": int(not v), "~": ~v}[e.op])
    return e


def _text(node) -> str:
    """Short C text of an expression, for trace labels."""
    from pycparser import c_generator

    try:
        return c_generator.CGenerator().visit(node)
    except Exception:  # pragma: no cover - generator gaps only cost a label
        return "?"


__all__ = ["ThreadLowerer", "BOOL"]
