"""The kernel's atomic operations (Documentation/atomic_t.txt), lowered to ir.Rmw steps.

Every name keeps its kernel spelling and argument order. The ordering of each
form is LKMM's (tools/memory-model/linux-kernel.def, v6.19):

* ``atomic_read``/``atomic_set`` are READ_ONCE/WRITE_ONCE of the counter,
  ``atomic_read_acquire``/``atomic_set_release`` smp_load_acquire/smp_store_release;
* the operations that return nothing (``atomic_inc``, ``atomic_andnot``, ``set_bit``)
  are relaxed;
* those that return a value are fully ordered (smp_mb() before and after), unless
  suffixed ``_relaxed``, ``_acquire`` (the read is an acquire) or ``_release`` (the
  write is a release);
* a conditional one (``cmpxchg``, ``atomic_add_unless``) orders only when it writes;
* ``test_and_set_bit_lock`` is an acquire, ``clear_bit_unlock`` a release;
* ``smp_mb__before_atomic()``/``smp_mb__after_atomic()`` make the atomic operation
  right after/before them fully ordered (LKMM orders nothing else with them, so
  they must be next to one).

atomic_t, atomic64_t and atomic_long_t are one-cell structs with a ``counter``
member (the prelude), as in the kernel; integers never wrap.
"""

from __future__ import annotations

from rmapcheck.frontend.ctypes import INT, VOID, IntT, PtrT, StructT
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.nodes import Const, LocalRef

FAMILIES = {"atomic": "atomic_t", "atomic64": "atomic64_t", "atomic_long": "atomic_long_t"}
# the struct tag of each family's type (prelude.py)
FAMILY_STRUCTS = {"atomic_t": "__atomic", "atomic64_t": "__atomic64", "atomic_long_t": "__atomic_long"}
SUFFIXES = {"": ir.MB, "_relaxed": ir.RELAXED, "_acquire": ir.ACQUIRE, "_release": ir.RELEASE}
VOID_OPS = ("add", "sub", "and", "or", "xor", "andnot")  # atomic_add(i, v): relaxed, no value
RETURN_OPS = ("add", "sub", "inc", "dec")  # atomic_add_return(i, v)
FETCH_OPS = ("add", "sub", "inc", "dec", "and", "or", "xor", "andnot")  # atomic_fetch_add(i, v)
BIT_OPS = {  # name: (op, result, order)
    "set_bit": ("or", "none", ir.RELAXED),
    "clear_bit": ("andnot", "none", ir.RELAXED),
    "change_bit": ("xor", "none", ir.RELAXED),
    "test_and_set_bit": ("or", "bit", ir.MB),
    "test_and_clear_bit": ("andnot", "bit", ir.MB),
    "test_and_change_bit": ("xor", "bit", ir.MB),
    "test_and_set_bit_lock": ("or", "bit", ir.ACQUIRE),
    "clear_bit_unlock": ("andnot", "none", ir.RELEASE),
}


def _unit(op: str) -> tuple:
    """inc/dec are add/sub of 1."""
    return {"inc": ("add", 1), "dec": ("sub", 1)}.get(op, (op, None))


class Atomics:
    """Registers every atomic primitive in a Primitives table."""

    def __init__(self, prims) -> None:
        self.P = prims
        self.L = prims.L

    def register(self, table: dict) -> None:
        for fam, tname in FAMILIES.items():
            table[f"{fam}_read"] = lambda n, t=tname: self.read(n, t, ir.ONCE)
            table[f"{fam}_read_acquire"] = lambda n, t=tname: self.read(n, t, ir.ACQUIRE)
            table[f"{fam}_set"] = lambda n, t=tname: self.set(n, t, ir.ONCE)
            table[f"{fam}_set_release"] = lambda n, t=tname: self.set(n, t, ir.RELEASE)
            for op in VOID_OPS + ("inc", "dec"):
                table[f"{fam}_{op}"] = lambda n, t=tname, o=op: self.arith(n, t, o, "none", ir.RELAXED)
            for sfx, order in SUFFIXES.items():
                for op in RETURN_OPS:
                    table[f"{fam}_{op}_return{sfx}"] = (
                        lambda n, t=tname, o=op, r=order: self.arith(n, t, o, "new", r))
                for op in FETCH_OPS:
                    table[f"{fam}_fetch_{op}{sfx}"] = (
                        lambda n, t=tname, o=op, r=order: self.arith(n, t, o, "old", r))
                table[f"{fam}_add_negative{sfx}"] = lambda n, t=tname, r=order: self.arith(n, t, "add", "negative", r)
                table[f"{fam}_xchg{sfx}"] = lambda n, t=tname, r=order: self.xchg(n, t, r)
                table[f"{fam}_cmpxchg{sfx}"] = lambda n, t=tname, r=order: self.cmpxchg(n, t, r)
                table[f"{fam}_try_cmpxchg{sfx}"] = lambda n, t=tname, r=order: self.try_cmpxchg(n, t, r)
            for op in ("sub", "dec", "inc"):
                table[f"{fam}_{op}_and_test"] = lambda n, t=tname, o=op: self.arith(n, t, o, "zero", ir.MB)
            table[f"{fam}_add_unless"] = lambda n, t=tname: self.add_unless(n, t, "done", False)
            table[f"{fam}_fetch_add_unless"] = lambda n, t=tname: self.add_unless(n, t, "old", False)
            table[f"{fam}_inc_not_zero"] = lambda n, t=tname: self.add_unless(n, t, "done", True)
        for sfx, order in SUFFIXES.items():
            table[f"xchg{sfx}"] = lambda n, r=order: self.xchg(n, None, r)
            table[f"cmpxchg{sfx}"] = lambda n, r=order: self.cmpxchg(n, None, r)
            table[f"try_cmpxchg{sfx}"] = lambda n, r=order: self.try_cmpxchg(n, None, r)
        for name, (op, res, order) in BIT_OPS.items():
            table[name] = lambda n, o=op, r=res, od=order: self.bit(n, o, r, od)
        table["test_bit"] = self.test_bit
        table["smp_mb__before_atomic"] = self.before_atomic
        for name, kinds, what in (("smp_mb__after_atomic", (ir.Rmw,), "an atomic read-modify-write operation"),
                                  ("smp_mb__after_srcu_read_unlock", (ir.SrcuReadUnlock,), "srcu_read_unlock()"),
                                  ("smp_mb__after_unlock_lock", (ir.Lock,), "a lock acquisition"),
                                  ("smp_mb__after_spinlock", (ir.Lock,), "a lock acquisition")):
            table[name] = lambda n, k=kinds, w=what: self.fence_after(n, k, w)

    # -- operands ---------------------------------------------------------------------
    def target(self, arg, family: str | None):
        """The cell an atomic operates on: (address, value type, text). family None: a
        pointer to a scalar (xchg, cmpxchg); else a pointer to that atomic type."""
        p, pt = self.L.rv(arg)
        if not isinstance(pt, PtrT):
            raise self.L.error(arg, f"expected a pointer, not {pt}")
        t = pt.target
        if family is not None:
            tag = FAMILY_STRUCTS[family]
            if not (isinstance(t, StructT) and t.name == tag):
                raise self.L.error(arg, f"expected a pointer to {family}, not {pt}")
            return p, t.fields["counter"][1], self.P.what(arg)
        if isinstance(t, StructT) and t.name in FAMILY_STRUCTS.values():
            raise self.L.error(arg, f"{t} needs the atomic_ operations (atomic_xchg, atomic_cmpxchg), not {pt}")
        if not t.is_scalar():
            raise self.L.error(arg, f"expected a pointer to an integer or a pointer, not {pt}")
        return p, t, self.P.what(arg)

    def value(self, arg, t, integer: bool = False):
        v, vt = self.L.rv(arg)
        if integer and not isinstance(vt, IntT):
            raise self.L.error(arg, f"expected an integer, not {vt}")
        self.L.check_assign(arg, t, vt, v)
        return self.L.convert(v, vt, t)

    def emit(self, node, addr, t, op, operand, expected, result, order, what):
        """The ir.Rmw step (after the smp_mb() of a pending smp_mb__before_atomic())."""
        if self.L.before_atomic is not None:
            self.L.before_atomic = None
            self.L.emit(ir.Fence, node, kind="mb__before_atomic")
        dst = None if result == "none" else self.L.temp(t if result in ("old", "new") else INT)
        self.L.emit(ir.Rmw, node, dst=dst, addr=addr, op=op, operand=operand, expected=expected,
                    result=result, order=order, what=what)
        if dst is None:
            return Const(0), VOID
        return LocalRef(dst), (t if result in ("old", "new") else INT)

    # -- the families ------------------------------------------------------------------
    def read(self, node, family, order):
        (v,) = self.P.args(node, 1)
        p, t, what = self.target(v, family)
        lv = self.L.mem_lv(p, t, what)
        if lv.local is not None:
            return LocalRef(lv.local), t
        tmp = self.L.temp(t)
        self.L.emit(ir.Load, node, dst=tmp, addr=p, width=1, order=order, what=what)
        return LocalRef(tmp), t

    def set(self, node, family, order):
        v, i = self.P.args(node, 2)
        p, t, what = self.target(v, family)
        self.L.store(node, self.L.mem_lv(p, t, what), self.value(i, t, True), order)
        return Const(0), VOID

    def arith(self, node, family, op, result, order):
        op, unit = _unit(op)
        if unit is None:
            i, v = self.P.args(node, 2)
        else:
            (v,) = self.P.args(node, 1)
        p, t, what = self.target(v, family)
        x = Const(unit) if unit is not None else self.value(i, t, True)
        return self.emit(node, p, t, op, x, None, result, order, what)

    def xchg(self, node, family, order):
        v, new = self.P.args(node, 2)
        p, t, what = self.target(v, family)
        return self.emit(node, p, t, "xchg", self.value(new, t), None, "old", order, what)

    def cmpxchg(self, node, family, order):
        v, old, new = self.P.args(node, 3)
        p, t, what = self.target(v, family)
        return self.emit(node, p, t, "cmpxchg", self.value(new, t), self.value(old, t), "old", order, what)

    def try_cmpxchg(self, node, family, order):
        """try_cmpxchg(p, &old, new): true if it wrote; else *old = the value found."""
        v, oldp, new = self.P.args(node, 3)
        p, t, what = self.target(v, family)
        o, ot = self.L.rv(oldp)
        if not isinstance(ot, PtrT):
            raise self.L.error(oldp, f"expected a pointer to the expected value, not {ot}")
        old_lv = self.L.mem_lv(o, ot.target, self.P.what(oldp))
        if old_lv.local is None:
            raise self.L.error(oldp, "the expected value of try_cmpxchg must be a local variable (&old)")
        expected = LocalRef(old_lv.local)
        found, _ = self.emit(node, p, t, "cmpxchg", self.value(new, t), expected, "old", order, what)
        ok = self.L.temp(INT)
        self.L.emit(ir.Assign, node, dst=ok, expr=ir.Bin("==", found, expected))
        self.L.emit(ir.Assign, node, dst=old_lv.local, expr=found)
        return LocalRef(ok), INT

    def add_unless(self, node, family, result, inc_not_zero):
        if inc_not_zero:
            (v,) = self.P.args(node, 1)
            a, u = Const(1), Const(0)
        else:
            v, a_node, u_node = self.P.args(node, 3)
        p, t, what = self.target(v, family)
        if not inc_not_zero:
            a, u = self.value(a_node, t, True), self.value(u_node, t, True)
        return self.emit(node, p, t, "add_unless", a, u, result, ir.MB, what)

    def bit_target(self, node):
        nr, addr = self.P.args(node, 2)
        n, nt = self.L.rv(nr)
        if not isinstance(nt, IntT):
            raise self.L.error(nr, f"the bit number must be an integer, not {nt}")
        if isinstance(n, Const) and not 0 <= n.value < 64:
            raise self.L.error(nr, f"bit number {n.value} is out of range (0 to 63: one word)")
        p, t, what = self.target(addr, None)
        if not isinstance(t, IntT):
            raise self.L.error(addr, f"the bit operations need a pointer to an integer word, not {t} *")
        return p, t, self.L.fold(node, ir.Bin("<<", Const(1), n)), what

    def bit(self, node, op, result, order):
        p, t, mask, what = self.bit_target(node)
        return self.emit(node, p, t, op, mask, None, result, order, what)

    def test_bit(self, node):
        p, t, mask, what = self.bit_target(node)
        word, _ = self.read_cell(node, p, t, what)
        return ir.Bin("!=", ir.Bin("&", word, mask), Const(0)), INT

    def read_cell(self, node, p, t, what):
        lv = self.L.mem_lv(p, t, what)
        if lv.local is not None:
            return LocalRef(lv.local), t
        tmp = self.L.temp(t)
        self.L.emit(ir.Load, node, dst=tmp, addr=p, width=1, order=ir.ONCE, what=what)
        return LocalRef(tmp), t

    # -- the barriers that go with them ---------------------------------------------------
    def before_atomic(self, node):
        """smp_mb__before_atomic(): the next step must be the atomic operation it orders."""
        self.P.args(node, 0)
        self.L.before_atomic = node
        return Const(0), VOID

    def fence_after(self, node, kinds: tuple, what: str):
        """smp_mb__after_atomic() and friends: smp_mb() right after the step they strengthen
        (LKMM orders only what precedes that step with what follows the barrier)."""
        name = node.name.name
        self.P.args(node, 0)
        prev = next((i for i in reversed(self.L.code) if i.visible), None)
        if not isinstance(prev, kinds):
            raise self.L.error(node, f"{name}() must come right after {what} (LKMM gives it no "
                                     "ordering otherwise)")
        self.L.emit(ir.Fence, node, kind=name[len("smp_"):])
        return Const(0), VOID


__all__ = ["Atomics", "FAMILIES", "FAMILY_STRUCTS"]
