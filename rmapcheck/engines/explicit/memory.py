"""Memory models of the explicit engine. SCMemory: sequential consistency.

Every access goes through here, so a weak memory model can replace this class
without touching the executor or the search.
"""

from __future__ import annotations

from rmapcheck.engines.explicit.evaluator import compile_expr
from rmapcheck.engines.explicit.state import HeapObj, canonicalize, heap_ids, picker, thread_roots
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import live_in


class SCMemory:
    name = "sc"

    def __init__(self, program: ir.Program):
        self.p = program
        self._addr: dict[int, object] = {}
        # Only cells of pointer type can hold pointers: the heap scan reads just those.
        self.gptr = picker([k for k, cell in enumerate(program.global_cells) if cell.is_pointer])
        # per thread and pc, the pointer-typed locals live there: a thread at rest has its dead
        # locals zeroed (the executor does it after every transition), so they hold no pointer
        self.lptr = []
        for th in program.threads:
            ptr = [k for k, cell in enumerate(th.local_cells) if cell.is_pointer]
            pickers: dict = {}
            at_pc = [pickers.setdefault(key, picker(list(key)))
                     for key in (tuple(k for k in ptr if (m >> k) & 1) for m in live_in(th.code, th.escaped))]
            self.lptr += [at_pc] * th.instances

    def obj_pointers(self, obj) -> tuple:
        """The cells of a heap object that may hold pointers (none for an rmap array of ints)."""
        return obj.cells if self.p.sites[obj.site].has_pointers else ()

    def obj_ids(self, obj) -> list:
        """The heap ids a heap object points to, in order."""
        return heap_ids(self.object_pointer_values(obj))

    def roots(self, tid: int, th: tuple) -> list:
        """The heap ids thread tid (at rest) points to, in order."""
        return thread_roots(tid, th, self.local_pointers)

    def local_pointers(self, tid: int, th: tuple):
        """The values of thread tid's locals that may hold pointers (th: the thread at rest)."""
        return self.lptr[tid][th[0]](th[1]) if th[1] and tid < len(self.lptr) else ()

    # -- what other threads can reach (the private-object reduction) -------------------------
    def global_pointer_values(self, G) -> list:
        """Every value in a pointer-typed global cell (under weak memory: every message's)."""
        return list(self.gptr(G))

    def object_pointer_values(self, obj) -> list:
        return list(self.obj_pointers(obj))

    def reachable_by_others(self, G, H, T, tid: int) -> set:
        """The heap objects reachable from the globals or from a thread other than tid (its
        locals, the locks it holds, the address it waits on). An object outside this set can
        be touched by tid alone until tid itself publishes a pointer to it (a visible step)."""
        seen: set = set()
        work = heap_ids(self.global_pointer_values(G))
        roots = self.roots
        for u, th in enumerate(T):
            if u != tid:
                work += roots(u, th)
        obj_ids = self.obj_ids
        while work:
            i = work.pop()
            if i in seen or i >= len(H):
                continue
            seen.add(i)
            work += obj_ids(H[i])
        return seen

    def initial_globals(self) -> list:
        return list(self.p.global_init)

    # -- the memory model's part of the state -------------------------------------------
    extra_properties: tuple = ()
    report_races = False

    def initial_extra(self, nthreads: int):
        return None

    def new_cells(self, c, n: int) -> tuple:
        """The cells of a freshly allocated (zeroed) heap object."""
        return (0,) * n

    def dead_cells(self, n: int) -> tuple:
        """The cells of a freed object: never read again (use after free is caught first)."""
        return (0,) * n

    def finish_step(self, c, ended: bool = False):
        return c.X

    # properties of whole states this memory model checks: a method (state, ex) -> [Event], or
    # None (sc checks none, and the search then skips the call)
    state_events = None

    def canonicalize(self, G, H, T, X, parent=None, tid=None):
        """The canonical form of a step's result: (G, H, T, X, leaked ids, remap).

        parent: the canonical state the step began in, or None; if the result points to the
        heap as the parent does (same_pointers), it is canonical as it is and the heap scan is
        skipped (most steps touch no pointer). tid: the thread that made the step (given with
        parent)."""
        if parent is not None and self.same_pointers(parent, G, H, T):
            return G, H, T, X, (), {}
        G, H, T, leaked, remap = canonicalize(G, H, T, heap_ids(self.gptr(G)) if H else [], self.obj_ids,
                                              self.roots)
        return G, H, T, X, leaked, remap

    def pointer_ids(self, cells: tuple) -> list:
        """The heap ids the given cells (picked by gptr or obj_pointers) point to, in order."""
        return heap_ids(cells)

    def same_pointers(self, state, G: tuple, H: tuple, T: tuple) -> bool:
        """Do G, H, T point to the heap as ``state`` does: the same heap objects from each
        thread's roots, in the same order, the same links between heap objects? Then, if
        ``state`` is canonical, canonicalize() would return G, H, T as they are, with no leak:
        the heap order depends on nothing else. (Equal cells are compared first, at C speed:
        only cells that differ are scanned for pointers.)"""
        G0, H0, T0 = state[0], state[1], state[2]
        if len(H) != len(H0):
            return False
        if not H:
            return True
        ids = self.pointer_ids
        if G is not G0:
            a, b = self.gptr(G), self.gptr(G0)
            if a != b and ids(a) != ids(b):
                return False
        lp = self.local_pointers
        for t, th in enumerate(T):
            th0 = T0[t]
            if th is th0:
                continue
            if th[2] == th0[2] and th[3] == th0[3]:
                a, b = lp(t, th), lp(t, th0)
                if a == b or heap_ids(a) == heap_ids(b):
                    continue
            if self.roots(t, th) != self.roots(t, th0):
                return False
        op = self.obj_pointers
        for o, o0 in zip(H, H0):
            if o is not o0 and o.site != o0.site:
                return False
            if o is not o0 and o.cells is not o0.cells:
                a, b = op(o), op(o0)
                if a != b and ids(a) != ids(b):
                    return False
        return True

    def observer(self):
        """Working data for a reader outside every thread (invariants): sees the latest values."""
        return None

    # srcu: under sc, only the blocking matters (the executor does it)
    def srcu_read_lock(self, c, a) -> None:
        pass

    def srcu_unlock_view(self, c):
        return ()

    @staticmethod
    def join_views(v, w):
        return ()

    def srcu_sync_start(self, c, a) -> None:
        self.fence(c, "mb")

    def srcu_sync_end(self, c, view) -> None:
        self.fence(c, "mb")

    def final_values(self, state) -> tuple:
        """The value of every global cell in a state (for litmus final conditions)."""
        return state[0]

    def addr(self, instr, L, tid: int):
        """The address an instruction uses, evaluated over a thread's locals."""
        f = self._addr.get(id(instr))
        if f is None:
            f = self._addr[id(instr)] = compile_expr(instr.addr)
        return f(L, tid)

    # -- cell access ----------------------------------------------------------------
    def _locate(self, c, a, width: int, instr, writing: bool):
        """Check an address; return (container list, base index or None, offset)."""
        if a.__class__ is tuple:
            base, off = a
            if base == ir.GLOBAL:
                if 0 <= off and off + width <= len(c.G):
                    return c.G, None, off
            elif base >= 0:
                obj = c.H[base]
                if obj.alive and 0 <= off and off + width <= len(obj.cells):
                    return None, base, off
            elif base == ir.LOCAL_BASE - c.tid:
                if 0 <= off and off + width <= len(c.L):
                    return c.L, None, off
        self._bad_access(c, a, width, instr, writing)

    def _bad_access(self, c, a, width: int, instr, writing: bool):
        """Why an access _locate refused is wrong: raises Stop."""
        from rmapcheck.engines.explicit.executor import Stop

        what = getattr(instr, "what", "") or instr.text
        if a.__class__ is not tuple:
            if a == 0:
                raise Stop(ir.P_NULL, f"NULL pointer dereference: {'writing' if writing else 'reading'} {what}")
            raise Stop(ir.P_NULL, f"dereference of an invalid pointer ({a}): {what}")
        base, off = a
        if base == ir.GLOBAL:
            if off < 0 or off + width > len(c.G):
                raise Stop(ir.P_BOUNDS, f"out-of-bounds access: {what}")
            raise AssertionError("_locate refused a good address")  # pragma: no cover
        if base >= 0:
            obj = c.H[base]
            if not obj.alive:
                raise Stop(ir.P_UAF, f"use after free: {'writing' if writing else 'reading'} {what}")
            if off < 0 or off + width > len(obj.cells):
                raise Stop(ir.P_BOUNDS, f"out-of-bounds access: {what} (object of {len(obj.cells)} cells)")
            raise AssertionError("_locate refused a good address")  # pragma: no cover
        if base == ir.LOCAL_BASE - c.tid:
            if off < 0 or off + width > len(c.L):
                raise Stop(ir.P_BOUNDS, f"out-of-bounds access: {what}")
            raise AssertionError("_locate refused a good address")  # pragma: no cover
        raise Stop(ir.P_ASSERT, f"access to another thread's local variable: {what}")

    def check_addr(self, c, a, instr) -> None:
        self._locate(c, a, 1, instr, False)

    def read_cells(self, c, a, width: int, instr) -> list:
        cont, base, off = self._locate(c, a, width, instr, False)
        if cont is None:
            return list(c.H[base].cells[off:off + width])
        return cont[off:off + width]

    def write_cells(self, c, a, vals: list, instr) -> None:
        cont, base, off = self._locate(c, a, len(vals), instr, True)
        if cont is None:
            obj = c.H[base]
            cells = list(obj.cells)
            cells[off:off + len(vals)] = vals
            c.H[base] = HeapObj(obj.site, tuple(cells), True)
        else:
            cont[off:off + len(vals)] = vals

    # -- the operations the executor calls -----------------------------------------------
    def load(self, c, a, width: int, instr) -> list:
        vals = self.read_cells(c, a, width, instr)
        if c.log is not None:
            c.log.append(("read", a, vals))
        return vals

    def store(self, c, a, vals: list, instr) -> None:
        self.write_cells(c, a, vals, instr)
        if c.log is not None:
            c.log.append(("write", a, vals))

    def rmw(self, c, a, instr, new_of) -> tuple:
        """An atomic read-modify-write: (old value, new value or None if nothing was written).
        Under sc every step is atomic and ordered, so it is a read and a write at once."""
        (old,) = self.read_cells(c, a, 1, instr)
        new = new_of(old)
        if c.log is not None:
            c.log.append(("read", a, [old]))
        if new is not None:
            self.write_cells(c, a, [new], instr)
            if c.log is not None:
                c.log.append(("write", a, [new]))
        return old, new

    def lock_free(self, state, instr, tid: int, th) -> bool:
        a = self.addr(instr, th[1], tid)
        if a.__class__ is not tuple:
            return True  # let the step run and report the bad pointer
        base, off = a
        if base == ir.GLOBAL:
            return 0 <= off < len(state[0]) and state[0][off] == 0
        if base >= 0 and base < len(state[1]):
            obj = state[1][base]
            return not obj.alive or not (0 <= off < len(obj.cells)) or obj.cells[off] == 0
        return True

    def lock_owner(self, state, instr, tid: int, th) -> int | None:
        a = self.addr(instr, th[1], tid)
        if a.__class__ is tuple and a[0] == ir.GLOBAL and 0 <= a[1] < len(state[0]):
            v = state[0][a[1]]
        elif a.__class__ is tuple and 0 <= a[0] < len(state[1]) and 0 <= a[1] < len(state[1][a[0]].cells):
            v = state[1][a[0]].cells[a[1]]
        else:
            return None
        return v - 1 if isinstance(v, int) and v > 0 else None

    def lock(self, c, a, instr) -> None:
        (owner,) = self.read_cells(c, a, 1, instr)
        assert owner == 0, "lock taken while not free"
        self.write_cells(c, a, [c.tid + 1], instr)
        if c.log is not None:
            c.log.append(("lock", a, None))

    def unlock(self, c, a, instr) -> None:
        self.write_cells(c, a, [0], instr)
        if c.log is not None:
            c.log.append(("unlock", a, None))

    def free(self, c, p, instr) -> None:
        from rmapcheck.engines.explicit.executor import Stop

        if p.__class__ is not tuple:
            if p == 0:
                if c.log is not None:
                    c.log.append(("free", 0, None))
                return  # kvfree(NULL) is a no-op
            raise Stop(ir.P_DFREE, f"free of an invalid pointer: {instr.what}")
        base, off = p
        if base < 0:
            raise Stop(ir.P_DFREE, f"free of memory that was not allocated: {instr.what}")
        obj = c.H[base]
        if not obj.alive:
            raise Stop(ir.P_DFREE, f"double free: {instr.what}")
        if off != 0:
            raise Stop(ir.P_DFREE, f"free of a pointer into the middle of an object: {instr.what}")
        c.H[base] = HeapObj(obj.site, self.dead_cells(len(obj.cells)), False)
        if c.log is not None:
            c.log.append(("free", p, None))

    def fence(self, c, kind: str) -> None:
        if c.log is not None and isinstance(c.instr, ir.Fence):
            c.log.append(("fence", c.instr.kind, None))

    def describe_addr(self, c, a) -> str:
        if a.__class__ is not tuple:
            return str(a)
        base, off = a
        if base == ir.GLOBAL and 0 <= off < len(self.p.global_cells):
            name = self.p.global_cells[off].name
            return name.rsplit(".__", 1)[0]
        if base >= 0:
            return f"heap object {base}"
        return "a local"
