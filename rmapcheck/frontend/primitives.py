"""The kernel primitives of the model language, lowered to IR steps.

Each primitive keeps its kernel name and argument shape, so a model reads like
the code it models: ``smp_store_release(&kvm->arch.flag, true)``.
"""

from __future__ import annotations

from pycparser import c_ast

from rmapcheck.frontend.atomics import Atomics
from rmapcheck.frontend.ctypes import cell_names, BOOL, INT, VOID, ArrT, CType, IntT, PtrT, StructT, VoidT
from rmapcheck.frontend.lvalues import LV
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.nodes import Const, LocalAddr, LocalRef

ALLOC_ARRAY = ("kvcalloc", "kcalloc", "kvmalloc_array", "kmalloc_array")
ALLOC_SIZE = ("kzalloc", "kvzalloc", "kmalloc", "kvmalloc")  # (size, gfp)
ALLOC_VMALLOC = ("vzalloc", "vmalloc")  # (size): vmalloc takes no gfp flags
FREES = ("kvfree", "kfree", "vfree")
NONDET_INT = (
    "__VERIFIER_nondet_int", "__VERIFIER_nondet_uint", "__VERIFIER_nondet_long",
    "__VERIFIER_nondet_ulong", "__VERIFIER_nondet_char", "__VERIFIER_nondet_uchar",
    "__VERIFIER_nondet_short", "__VERIFIER_nondet_ushort",
)


class Primitives:
    def __init__(self, lowerer) -> None:
        self.L = lowerer
        self.table = {
            "mutex_lock": lambda n: self.lock(n, "mutex", ir.Lock),
            "mutex_unlock": lambda n: self.lock(n, "mutex", ir.Unlock),
            "spin_lock": lambda n: self.lock(n, "spin", ir.Lock),
            "spin_unlock": lambda n: self.lock(n, "spin", ir.Unlock),
            "srcu_read_lock": self.srcu_read_lock,
            "srcu_read_unlock": self.srcu_read_unlock,
            "synchronize_srcu": self.synchronize_srcu,
            "synchronize_srcu_expedited": self.synchronize_srcu,
            "rcu_assign_pointer": lambda n: self.store_lv(n, ir.ASSIGN),
            "WRITE_ONCE": lambda n: self.store_lv(n, ir.ONCE),
            "READ_ONCE": lambda n: self.load_lv(n, ir.ONCE, ()),
            "srcu_dereference": lambda n: self.load_lv(n, ir.DEREF, ("srcu",)),
            "srcu_dereference_check": lambda n: self.load_lv(n, ir.DEREF, ("srcu", "cond")),
            "rcu_dereference": lambda n: self.load_lv(n, ir.DEREF, ()),
            "rcu_dereference_protected": lambda n: self.load_lv(n, ir.PLAIN, ("cond",)),
            "rcu_access_pointer": lambda n: self.load_lv(n, ir.ONCE, ()),
            "lockdep_is_held": self.lockdep_is_held,
            "lockdep_assert_held": self.lockdep_assert_held,
            "rcu_read_lock": lambda n: self.rcu(n, ir.SrcuReadLock),
            "rcu_read_unlock": lambda n: self.rcu(n, ir.SrcuReadUnlock),
            "synchronize_rcu": lambda n: self.rcu(n, ir.SrcuSync),
            "synchronize_rcu_expedited": lambda n: self.rcu(n, ir.SrcuSync),
            "smp_store_release": self.store_release,
            "smp_load_acquire": self.load_acquire,
            "smp_mb": lambda n: self.fence(n, "mb"),
            "smp_wmb": lambda n: self.fence(n, "wmb"),
            "smp_rmb": lambda n: self.fence(n, "rmb"),
            "memcpy": self.memcpy,
            "memset": self.memset,
            "WARN_ON": self.warn,
            "WARN_ON_ONCE": self.warn,
            "WARN": self.warn,
            "WARN_ONCE": self.warn,
            "BUG_ON": self.bug_on,
            "BUG": self.error_call,
            "likely": self.hint,
            "unlikely": self.hint,
            "ARRAY_SIZE": self.array_size,
            "assert": lambda n: self.check(n, ir.P_ASSERT, 0),
            "assert_property": self.assert_property,
            "__VERIFIER_assert": lambda n: self.check(n, ir.P_ASSERT, 0),
            "__VERIFIER_assume": self.assume,
            "__VERIFIER_error": self.error_call,
            "reach_error": self.error_call,
            "__VERIFIER_nondet_bool": lambda n: self.nondet(n, (0, 1)),
        }
        for name in NONDET_INT:
            self.table[name] = lambda n: self.nondet(n, None)
        for name in ALLOC_ARRAY + ALLOC_SIZE + ALLOC_VMALLOC:
            self.table[name] = lambda n: self.alloc(n, None)
        for name in FREES:
            self.table[name] = self.free
        Atomics(self).register(self.table)

    def knows(self, name: str) -> bool:
        return name in self.table

    def is_alloc(self, node: c_ast.FuncCall) -> bool:
        return isinstance(node.name, c_ast.ID) and node.name.name in ALLOC_ARRAY + ALLOC_SIZE + ALLOC_VMALLOC

    def call(self, node: c_ast.FuncCall, name: str):
        return self.table[name](node)

    # -- helpers ----------------------------------------------------------------
    def args(self, node, lo: int, hi: int | None = None) -> list:
        args = node.args.exprs if node.args else []
        hi = lo if hi is None else hi
        if not lo <= len(args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise self.L.error(node, f"{node.name.name}() takes {want} argument(s), {len(args)} given")
        return args

    def pointer_to(self, arg, kind: str | None):
        """Evaluate a pointer argument; with kind, it must point to that sync primitive."""
        p, pt = self.L.rv(arg)
        if not isinstance(pt, PtrT):
            raise self.L.error(arg, f"expected a pointer, not {pt}")
        if kind is not None:
            t = pt.target
            if not (isinstance(t, StructT) and t.primitive == kind):
                want = {"mutex": "struct mutex", "spin": "spinlock_t", "srcu": "struct srcu_struct"}[kind]
                raise self.L.error(arg, f"expected a pointer to {want}, not {pt}")
        return p, pt

    def what(self, arg) -> str:
        from rmapcheck.frontend.lower import _text

        if isinstance(arg, c_ast.UnaryOp) and arg.op == "&":
            return _text(arg.expr)
        return "*" + _text(arg)

    # -- synchronisation ----------------------------------------------------------
    def lock(self, node, kind: str, cls):
        (arg,) = self.args(node, 1)
        p, _ = self.pointer_to(arg, kind)
        self.L.emit(cls, node, addr=p, kind=kind, what=self.what(arg))
        return Const(0), VOID

    def srcu_read_lock(self, node):
        (arg,) = self.args(node, 1)
        p, _ = self.pointer_to(arg, "srcu")
        tmp = self.L.temp(INT)
        self.L.emit(ir.SrcuReadLock, node, dst=tmp, addr=p, what=self.what(arg))
        return LocalRef(tmp), INT

    def srcu_read_unlock(self, node):
        arg, idx = self.args(node, 2)
        p, _ = self.pointer_to(arg, "srcu")
        ix, _ = self.L.rv(idx)
        self.L.emit(ir.SrcuReadUnlock, node, addr=p, what=self.what(arg), index=ix)
        return Const(0), VOID

    def synchronize_srcu(self, node):
        (arg,) = self.args(node, 1)
        p, _ = self.pointer_to(arg, "srcu")
        self.L.emit(ir.SrcuSync, node, addr=p, what=self.what(arg))
        return Const(0), VOID

    def fence(self, node, kind: str):
        self.args(node, 0)
        self.L.emit(ir.Fence, node, kind=kind)
        return Const(0), VOID

    # -- ordered accesses -----------------------------------------------------------
    def annotation(self, arg, kind: str) -> None:
        """An argument that only documents (the srcu_struct of srcu_dereference, the lockdep
        condition of rcu_dereference_protected): type-checked, never evaluated."""
        t = self.L.type_of(arg)
        if kind == "cond":
            self.L.scalar(arg, t)
        elif not (isinstance(t, PtrT) and isinstance(t.target, StructT) and t.target.primitive == kind):
            raise self.L.error(arg, f"expected a pointer to struct srcu_struct, not {t}")

    def lock_arg(self, arg):
        t = self.L.type_of(arg)
        if not (isinstance(t, PtrT) and isinstance(t.target, StructT) and t.target.primitive in ("mutex", "spin")):
            raise self.L.error(arg, f"expected a pointer to a lock, not {t}")

    def lockdep_assert_held(self, node):
        """lockdep_assert_held(&lock): a property (named 'lockdep') that the thread holds lock."""
        (arg,) = self.args(node, 1)
        self.lock_arg(arg)
        p, _ = self.L.rv(arg)
        self.L.emit(ir.AssertHeld, node, addr=p, prop=ir.P_LOCKDEP, what=self.what(arg))
        return Const(0), VOID

    def rcu(self, node, cls):
        """rcu_read_lock(), rcu_read_unlock(), synchronize_rcu(): SRCU on one hidden domain."""
        self.args(node, 0)
        g = self.L.env.rcu_global
        off, _ = self.L.globals[g]
        kw = {"dst": None} if cls is ir.SrcuReadLock else {}
        self.L.emit(cls, node, addr=ir.GlobalAddr(off), what="rcu", **kw)
        return Const(0), VOID

    def lockdep_is_held(self, node):
        """lockdep_is_held(&lock): 1. Lockdep conditions are annotations, not checked."""
        (arg,) = self.args(node, 1)
        self.lock_arg(arg)
        return Const(1), INT

    def load_lv(self, node, order: str, extras: tuple):
        args = self.args(node, 1 + len(extras))
        for extra, kind in zip(args[1:], extras):
            self.annotation(extra, kind)
        lv = self.L.lv(args[0])
        self.L.scalar(args[0], lv.type)
        if lv.local is not None:
            return LocalRef(lv.local), lv.type
        tmp = self.L.temp(lv.type)
        self.L.emit(ir.Load, node, dst=tmp, addr=lv.addr, width=1, order=order, what=lv.text)
        return LocalRef(tmp), lv.type

    def store_lv(self, node, order: str):
        target, value = self.args(node, 2)
        v, vt = self.L.rv(value)
        lv = self.L.lv(target)
        self.L.check_assign(value, lv.type, vt, v)
        self.L.store(node, lv, self.L.convert(v, vt, lv.type), order)
        return Const(0), VOID

    def store_release(self, node):
        ptr, value = self.args(node, 2)
        v, vt = self.L.rv(value)
        p, pt = self.pointer_to(ptr, None)
        self.L.scalar(ptr, pt.target)
        self.L.check_assign(value, pt.target, vt, v)
        self.L.store(node, self.L.mem_lv(p, pt.target, self.what(ptr)), self.L.convert(v, vt, pt.target), ir.RELEASE)
        return Const(0), VOID

    def load_acquire(self, node):
        (ptr,) = self.args(node, 1)
        p, pt = self.pointer_to(ptr, None)
        self.L.scalar(ptr, pt.target)
        lv = self.L.mem_lv(p, pt.target, self.what(ptr))
        if lv.local is not None:
            return LocalRef(lv.local), pt.target
        tmp = self.L.temp(pt.target)
        self.L.emit(ir.Load, node, dst=tmp, addr=p, width=1, order=ir.ACQUIRE, what=lv.text)
        return LocalRef(tmp), pt.target

    # -- memory -------------------------------------------------------------------
    def object_arg(self, arg, size: int | None) -> LV:
        """The object memcpy/memset work on: ``&obj``, a pointer to it, or an array by name.

        An array argument decays to a pointer to its first element, as in C; when the size is
        that of the whole array (``memcpy(a, b, sizeof(a))``) the object is the whole array."""
        from rmapcheck.frontend.lower import _is_lvalue_node

        if isinstance(arg, c_ast.UnaryOp) and arg.op == "&":
            return self.L.lv(arg.expr)
        if _is_lvalue_node(arg):
            t = self.L.type_of(arg)
            if isinstance(t, ArrT) and size == t.cells:
                return self.L.lv(arg)
        p, pt = self.pointer_to(arg, None)
        if isinstance(pt.target, VoidT):
            raise self.L.error(arg, "memcpy/memset need a typed pointer, not void *")
        return self.L.mem_lv(p, pt.target, "*" + self.what(arg))

    def size_value(self, arg) -> int | None:
        n = self.L.rv(arg)[0]
        return n.value if isinstance(n, Const) else None

    def check_size(self, arg, n: int | None, t: CType) -> None:
        if n != t.cells:
            raise self.L.error(arg, "the size must be sizeof the whole object (partial copies are not modelled)")

    def memcpy(self, node):
        dst, src, size = self.args(node, 3)
        n = self.size_value(size)
        d, s = self.object_arg(dst, n), self.object_arg(src, n)
        self.check_size(size, n, d.type)
        self.L.copy(node, d, s)
        return Const(0), VOID

    def memset(self, node):
        dst, val, size = self.args(node, 3)
        n = self.size_value(size)
        d = self.object_arg(dst, n)
        self.check_size(size, n, d.type)
        v = self.L.rv(val)[0]
        if not isinstance(v, Const) or v.value != 0:
            raise self.L.error(val, "memset is modelled with the value 0 only")
        w = d.type.cells
        if d.local is not None:
            self.L.emit(ir.Kill, node, off=d.local, width=w)
        else:
            self.L.emit(ir.Store, node, addr=d.addr, values=(Const(0),) * w, order=ir.PLAIN, what=d.text)
        return Const(0), VOID

    def alloc(self, node, target: CType | None):
        name = node.name.name
        if name in ALLOC_ARRAY:
            count_node, size_node, _gfp = self.args(node, 3)
        elif name in ALLOC_VMALLOC:
            (size_node,) = self.args(node, 1)
            count_node = None
        else:
            size_node, _gfp = self.args(node, 2)
            count_node = None
        elem, k = self.split_sizeof(size_node, target)
        count, ct = (Const(1), INT) if count_node is None else self.L.rv(count_node)
        if not isinstance(ct, IntT):
            raise self.L.error(count_node, "the element count must be an integer")
        if k is not None:
            count = k if count_node is None else self.L.fold(node, ir.Bin("*", count, k))
        if isinstance(target, PtrT) and not isinstance(target.target, VoidT):
            if target.target.cells != elem.cells:
                raise self.L.error(node, f"allocating {elem} for a pointer to {target.target}")
            elem = target.target
        tmp = self.L.temp(PtrT(elem))
        site = len(self.L.sites)
        has_ptrs = any(isptr for _, isptr, _ in cell_names("", elem))
        self.L.sites.append(ir.AllocSite(self.L.env.loc(node), self.L.frames[-1].name, str(elem), has_ptrs))
        self.L.emit(ir.Alloc, node, dst=tmp, site=site, count=count, elem_cells=max(elem.cells, 1),
                    type_name=str(elem))
        return LocalRef(tmp), PtrT(elem)

    def split_sizeof(self, size, target):
        """size = sizeof(T), k * sizeof(T) or sizeof(T) * k: returns (T, k or None)."""
        if isinstance(size, c_ast.UnaryOp) and size.op == "sizeof":
            return self.L.sizeof(size.expr), None
        if isinstance(size, c_ast.BinaryOp) and size.op == "*":
            for a, b in ((size.left, size.right), (size.right, size.left)):
                if isinstance(a, c_ast.UnaryOp) and a.op == "sizeof":
                    k, kt = self.L.rv(b)
                    return self.L.sizeof(a.expr), k
        if isinstance(target, PtrT) and not isinstance(target.target, VoidT):
            v = self.L.rv(size)[0]
            if isinstance(v, Const) and v.value % max(target.target.cells, 1) == 0:
                return target.target, Const(v.value // max(target.target.cells, 1))
        raise self.L.error(size, "allocation size must be sizeof(T) or N * sizeof(T)")

    def free(self, node):
        (arg,) = self.args(node, 1)
        p, pt = self.L.rv(arg)
        if not isinstance(pt, PtrT) and not (isinstance(p, Const) and p.value == 0):
            raise self.L.error(arg, f"freeing a non-pointer ({pt})")
        self.L.emit(ir.Free, node, ptr=p, what=self.what(arg).lstrip("*"))
        return Const(0), VOID

    # -- checks ---------------------------------------------------------------------
    def warn(self, node):
        args = self.args(node, 1, 8)
        c, ct = self.L.rv(args[0])
        self.L.scalar(args[0], ct)
        tmp = self.L.temp(BOOL)
        self.L.emit(ir.Warn, node, dst=tmp, cond=c)
        return LocalRef(tmp), BOOL

    def bug_on(self, node):
        (arg,) = self.args(node, 1)
        c, ct = self.L.rv(arg)
        self.L.scalar(arg, ct)
        self.L.emit(ir.Assert, node, cond=ir.Un("!", c), prop=ir.P_ASSERT)
        return Const(0), VOID

    def check(self, node, prop: str, first: int):
        args = self.args(node, first + 1)
        c, ct = self.L.rv(args[first])
        self.L.scalar(args[first], ct)
        self.L.emit(ir.Assert, node, cond=c, prop=prop)
        return Const(0), VOID

    def assert_property(self, node):
        name, _ = self.args(node, 2)
        if not (isinstance(name, c_ast.Constant) and name.type == "string"):
            raise self.L.error(name, 'assert_property takes a property name string: assert_property("rmaps-present", cond)')
        prop = name.value[1:-1]
        if not prop or not all(ch.isalnum() or ch == "-" for ch in prop):
            raise self.L.error(name, f"bad property name '{prop}' (letters, digits and '-')")
        return self.check(node, prop, 1)

    def assume(self, node):
        (arg,) = self.args(node, 1)
        c, ct = self.L.rv(arg)
        self.L.scalar(arg, ct)
        self.L.emit(ir.Assume, node, cond=c)
        return Const(0), VOID

    def error_call(self, node):
        self.args(node, 0)
        self.L.emit(ir.Assert, node, cond=Const(0), prop=ir.P_ASSERT)
        return Const(0), VOID

    def hint(self, node):
        """likely(x) / unlikely(x): branch hints, the value of x."""
        (arg,) = self.args(node, 1)
        c, ct = self.L.rv(arg)
        self.L.scalar(arg, ct)
        return c, ct

    def array_size(self, node):
        """ARRAY_SIZE(a): the number of elements of the array a (a constant)."""
        from rmapcheck.frontend.lower import _is_lvalue_node

        (arg,) = self.args(node, 1)
        t = self.L.type_of(arg) if _is_lvalue_node(arg) else None
        if not isinstance(t, ArrT):
            raise self.L.error(arg, f"ARRAY_SIZE needs an array, not {t if t is not None else 'this expression'}")
        return Const(t.n), INT

    def nondet(self, node, rng):
        self.args(node, 0)
        if rng is None:
            rng = self.L.meta.nondet_range
            if rng is None:
                raise self.L.error(
                    node, f"{node.name.name}() needs a finite range: declare '@nondet LO..HI' in the header"
                )
        tmp = self.L.temp(INT)
        self.L.emit(ir.Nondet, node, dst=tmp, lo=rng[0], hi=rng[1])
        return LocalRef(tmp), INT


__all__ = ["Primitives", "LocalAddr"]
