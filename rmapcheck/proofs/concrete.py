"""The abstraction: how a model state of the explicit engine maps to a proof's abstract state.

A proof's ``abstract`` lines give, for every sort, where its elements come from (thread
instances, or index tuples such as (address space, slot)), and for every symbol a C-like
expression over the model state. The expressions read memory by the names the model's
cells have (``kvm.arch.memslots_have_rmaps``, ``kvm.memslots[s.as]->slots[s.id].arch.rmap[0]``),
follow pointers into heap objects with ``->`` and ``*``, and observe threads:

    line(t)            source line of the step thread t runs next (0 once it has ended)
    at(t, "text")      the line of t's next step contains "text" (at(t, N): is line N)
    lineof("text")     the line number of the one model line containing "text"
    in_func(t, "f")    t's next step comes from function f (inlined calls keep their name)
    within(t, "f")     t's next step is in f or in a function f calls (f's stretch of code)
    ended(t)           t has returned from its thread function
    holds(t, LOCK)     t holds the mutex or spinlock LOCK (an lvalue)
    in_srcu(t)         t is inside an srcu read section
    local(t, "x")      t's local variable x (an lvalue; "func:x" if several functions have an x);
                       a function inlined several times has a copy of x per call: the copy of the
                       call t's next step is in (the stretch of code that uses it), else 0
    in_scope(t, "x")   t's next step is in such a stretch of code for x
    thread("f", k)     instance k of thread function f (k may be left out for one instance)
    any(x, LO, HI, e)  e for some x in LO..HI (constants); all(x, LO, HI, e): for every x
    SORT(e1, ...)      the element of a tuple sort with these components

Every expression is compiled once per argument tuple into a Python closure over the state,
with cell names resolved at compile time: evaluating the abstraction of a state costs a few
microseconds per symbol and argument.
"""

from __future__ import annotations

import itertools

from rmapcheck.errors import ModelError
from rmapcheck.ir import nodes as ir
from rmapcheck.proofs.lexer import error_at
from rmapcheck.proofs.logic import Structure
from rmapcheck.proofs.syntax import BOOL, E, Proof


class AbsError(Exception):
    """The abstraction cannot be evaluated in a state (e.g. a NULL pointer): not a proof error."""


def load_program_with_types(path: str, defines: dict):
    """Load a model, and keep the front end's struct types (for reading heap objects)."""
    from rmapcheck.frontend import load as L

    made = []
    orig = getattr(L, "TypeEnv", None)
    if orig is not None:
        class _Recording(orig):  # type: ignore[misc, valid-type]
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                made.append(self)

        L.TypeEnv = _Recording
    try:
        prog = L.load_model(path, defines)
    finally:
        if orig is not None:
            L.TypeEnv = orig
    structs = dict(getattr(made[-1], "structs", {})) if made else {}
    return prog, structs


class _Layout:
    def __init__(self, width: int):
        self.width = width
        self.cells: dict = {}  # rel path -> (rel offset, is_pointer, pointee)
        self.objs: dict = {}  # rel path -> (rel offset, type string)


class _Loc:
    """A statically known place: name-based (a global or local cell path) or type-relative."""

    __slots__ = ("space", "tid", "name", "root", "rel", "dyn")

    def __init__(self, space, tid=None, name="", root="", rel="", dyn=None):
        self.space = space  # "G" or "L" (name-based) or "P" (pointer-based, type-relative)
        self.tid = tid
        self.name = name
        self.root = root  # pointee type of the pointer the place was reached through
        self.rel = rel
        self.dyn = dyn  # P: closure state -> (base, off) of the root object


class ModelView:
    """Compiles a proof's abstraction against one model program."""

    def __init__(self, proof: Proof, program: ir.Program, structs: dict, threads):
        self.proof = proof
        self._span_cache: dict = {}
        self._let_stack: list = []
        self._let_cache: dict = {}
        self._memo = [None, {}]  # the state being abstracted, and the values of lets in it
        self.p = program
        self.structs = structs
        self.threads = threads  # executor ThreadInfo list: .ir (ir.Thread), .instance, .name
        self.cell_index = {c.name: k for k, c in enumerate(program.global_cells)}
        self.obj_index: dict = {}
        for off, objs in program.global_objects.items():
            for name, typ in objs:
                self.obj_index.setdefault(name, (off, typ))
        self.layouts: dict = {}
        self.by_fn: dict = {}
        for tid, ti in enumerate(threads):
            self.by_fn.setdefault(ti.ir.name, []).append(tid)
        self.universe: dict = {}
        self.components: dict = {}  # element -> {component: int}
        self.obj_ptr: dict = {}  # element of an object sort -> ("null"|"global"|"site", offset or site)
        self.obj_type: dict = {}  # object sort -> C type
        self.tid_of: dict = {}  # element -> tid
        self.elem_of_tid: dict = {}
        # Lines are numbered across the model and the files it #includes: the model's own lines
        # keep their numbers (1..N), the included files' lines follow, file after file.
        files = [(program.path, program.source_lines)] + [
            (f, lines) for f, lines in getattr(program, "files", {}).items() if f != program.path]
        self.vlines = [(f, n, ln) for f, lines in files for n, ln in enumerate(lines, 1)]
        self.vline_of = {(f, n): k for k, (f, n, _) in enumerate(self.vlines, 1)}

    # -- errors ----------------------------------------------------------------------------
    def err(self, e, msg: str) -> ModelError:
        line, col = (e.line, e.col) if hasattr(e, "line") else e
        return error_at(self.proof.source, line, col, msg)

    # -- universes ---------------------------------------------------------------------------
    def build_universe(self) -> dict:
        pr = self.proof
        u = {BOOL: [False, True]}
        for d in pr.sorts.values():
            if d.kind == "enum":
                u[d.name] = list(d.values)
                continue
            a = pr.abs_sorts.get(d.name)
            if a is None:
                raise self.err((d.line, d.col), f"sort '{d.name}' has no abstraction: add "
                                                f"'abstract sort {d.name} := thread FUNCTION' or '... := x in LO..HI'")
            if a.kind == "thread":
                tids = self.by_fn.get(a.thread)
                if tids is None:
                    raise self.err((a.line, a.col), f"the model has no thread function '{a.thread}' "
                                                    f"(it has: {', '.join(self.by_fn) or 'none'})")
                els = []
                for tid in tids:
                    name = self.threads[tid].name
                    if self.threads[tid].ir.instances == 1 and name == a.thread:
                        name = f"{a.thread}.0"
                    els.append(name)
                    self.tid_of[name] = tid
                    self.elem_of_tid[tid] = name
                u[d.name] = els
            elif a.kind == "objects":
                u[d.name] = self._object_elements(d.name, a)
            else:
                ranges = []
                for cname, lo, hi in a.components:
                    lv = self.const_int(lo)
                    hv = self.const_int(hi)
                    ranges.append((cname, range(lv, hv + 1)))
                els = []
                for combo in itertools.product(*(r for _, r in ranges)):
                    name = f"{d.name}(" + ",".join(str(x) for x in combo) + ")"
                    els.append(name)
                    self.components[name] = dict(zip((c for c, _ in ranges), combo))
                if not els:
                    raise self.err((a.line, a.col), f"sort '{d.name}' has no elements in this model")
                u[d.name] = els
        self.universe = u
        return u

    def _object_elements(self, sort: str, a) -> list:
        """The objects of a C type: each global one, one per allocation site, and NULL."""
        typ = a.thread
        els = ["NULL"]
        self.obj_ptr["NULL"] = ("null", None)
        globals_ = [(n, off) for n, (off, t) in self.obj_index.items() if t == typ]
        for n, off in globals_:
            els.append(n)
            self.obj_ptr[n] = ("global", off)
        for k, site in enumerate(self.p.sites):
            if site.type_name != typ:
                continue
            name = f"{site.func}@{site.loc.line}"
            if name in self.obj_ptr:
                name = f"{name}#{k}"
            els.append(name)
            self.obj_ptr[name] = ("site", k)
        if len(els) == 1:
            raise self.err((a.line, a.col), f"the model has no objects of type '{typ}'")
        self.obj_type[sort] = typ
        return els

    def obj_value(self, el: str):
        """A closure state -> the pointer to the object the element stands for (NULL if none)."""
        kind, x = self.obj_ptr[el]
        if kind == "null":
            return _K(0)
        if kind == "global":
            return _K((ir.GLOBAL, x))

        def find(st, site=x, el=el):
            hit = 0
            for hid, obj in enumerate(st[1]):
                if obj.site == site:
                    if hit:
                        raise AbsError(f"two objects of allocation site {el} exist at once")
                    hit = (hid, 0)
            return hit

        return find

    def obj_element(self, sort: str, v):
        """The element of an object sort a pointer value stands for."""
        if v == 0:
            return "NULL"
        if v.__class__ is tuple:
            if v[0] == ir.GLOBAL:
                for el, (kind, x) in self.obj_ptr.items():
                    if kind == "global" and x == v[1] and el in self.universe[sort]:
                        return el
            elif v[0] >= 0 and v[1] == 0:
                st = self._memo[0]
                if st is not None and v[0] < len(st[1]):
                    site = st[1][v[0]].site
                    for el, (kind, x) in self.obj_ptr.items():
                        if kind == "site" and x == site and el in self.universe[sort]:
                            return el
        raise AbsError(f"{v!r} is not an object of sort {sort}")

    def const_int(self, e: E) -> int:
        f = self.value(e, {})
        try:
            v = f(None)
        except Exception:
            raise self.err(e, "expected a constant (a number or a #define of the model)") from None
        if not isinstance(v, int) or isinstance(v, bool) and False:
            raise self.err(e, "expected an integer constant")
        return v

    # -- layouts -------------------------------------------------------------------------------
    def layout(self, typ: str, at) -> _Layout:
        lay = self.layouts.get(typ)
        if lay is not None:
            return lay
        st = self.structs.get(typ[len("struct "):]) if typ.startswith("struct ") else None
        if st is not None:
            from rmapcheck.frontend.ctypes import cell_names, object_starts

            lay = _Layout(st.cells)
            for k, (n, isp, pt) in enumerate(cell_names("", st)):
                lay.cells[n] = (k, isp, pt)
            starts: dict = {}
            object_starts("", st, 0, starts)
            for off, objs in starts.items():
                for n, t in objs:
                    lay.objs.setdefault(n, (off, t))
        else:
            # a type with an instance among the globals: read its layout off that instance
            inst = next(((n, off) for n, (off, t) in self.obj_index.items() if t == typ), None)
            if inst is None:
                if typ in ("int", "bool", "long", "u64", "unsigned long") or "*" in typ:
                    lay = _Layout(1)
                    lay.cells[""] = (0, "*" in typ, typ.rstrip("*").strip() if "*" in typ else "")
                else:
                    raise self.err(at, f"cannot read objects of type '{typ}': its layout is unknown")
            else:
                name, off = inst
                lay = _Layout(0)
                k = off
                cells = self.p.global_cells
                while k < len(cells) and (cells[k].name == name or cells[k].name.startswith((name + ".", name + "["))):
                    lay.cells[cells[k].name[len(name):]] = (k - off, cells[k].is_pointer, cells[k].pointee)
                    k += 1
                lay.width = k - off
                for n, (o, t) in self.obj_index.items():
                    if n == name or n.startswith((name + ".", name + "[")):
                        lay.objs.setdefault(n[len(name):], (o - off, t))
        self.layouts[typ] = lay
        return lay

    # -- places --------------------------------------------------------------------------------
    def place(self, e: E, env: dict) -> _Loc:
        op = e.op
        if op == "cname":
            n = e.name
            if n in self.proof.abs_lets and n not in env:
                return self._with_let(n, e, lambda x, inner: self.place(x, inner))
            if n in self.p.globals_by_name:
                return _Loc("G", name=n)
            raise self.err(e, f"'{n}' is not a global of the model" + self._near(n))
        if op == "field":
            base = e.args[0]
            if base.op == "cname" and base.name in env:
                raise self.err(e, f"'{base.name}.{e.name}' is a value, not a place")
            b = self.place(base, env)
            return self._extend(b, "." + e.name, e)
        if op == "index":
            b = self.place(e.args[0], env) if self._is_place(e.args[0], env) else None
            if b is not None and not self._is_pointer_place(b):
                i = self.value(e.args[1], env)
                try:
                    k = i(None)
                except Exception:
                    raise self.err(e.args[1], "an index into an array must be a constant here "
                                              "(only pointers may be indexed by a run-time value)") from None
                return self._extend(b, f"[{k}]", e)
            # a pointer indexed: p[i] is *(p + i)
            ptr = self.value(e.args[0], env)
            pointee = self.pointee(e.args[0], env)
            lay = self.layout(pointee, e)
            idx = self.value(e.args[1], env)
            width = lay.width

            def dyn(st, ptr=ptr, idx=idx, width=width):
                p = ptr(st)
                if p.__class__ is not tuple:
                    raise AbsError("NULL pointer")
                return (p[0], p[1] + idx(st) * width)

            return _Loc("P", root=pointee, rel="", dyn=dyn)
        if op in ("arrow", "deref"):
            ptr = self.value(e.args[0], env)
            pointee = self.pointee(e.args[0], env)

            def dyn(st, ptr=ptr):
                p = ptr(st)
                if p.__class__ is not tuple:
                    raise AbsError("NULL pointer")
                return p

            loc = _Loc("P", root=pointee, rel="", dyn=dyn)
            return self._extend(loc, "." + e.name, e) if op == "arrow" else loc
        if op == "call" and e.name in self.proof.abs_lets:
            return self._with_let(e.name, e, lambda x, inner: self.place(x, inner), env)
        if op == "call" and e.name == "local":
            t, name = self._thread_and_str(e, env)
            return _Loc("L", tid=t, name=self._local_name(t, name, e))
        raise self.err(e, "expected a place in memory (a global, a field, an element, *p, p->f or local(t, \"x\"))")

    def _is_place(self, e: E, env: dict) -> bool:
        if e.op == "cname" and e.name in self.proof.abs_lets and e.name not in env:
            return self._is_place(self.proof.abs_lets[e.name].args[0], {})
        if e.op == "call" and e.name in self.proof.abs_lets:
            return self._is_place(self.proof.abs_lets[e.name].args[0], {})
        return e.op in ("field", "index", "arrow", "deref") or (e.op == "cname" and e.name in self.p.globals_by_name) \
            or (e.op == "call" and e.name == "local")

    def _let(self, n: str, at: E) -> E:
        if n in self._let_stack:
            raise self.err(at, f"'{n}' is defined in terms of itself")
        d = self.proof.abs_lets[n]
        if d.binders and at.op != "call":
            raise self.err(at, f"'{n}' takes {len(d.binders)} argument(s)")
        return d.args[0]

    def _with_let(self, n: str, at: E, fn, env: dict | None = None):
        e = self._let(n, at)
        d = self.proof.abs_lets[n]
        inner = {}
        if d.binders:
            if len(at.args) != len(d.binders):
                raise self.err(at, f"'{n}' takes {len(d.binders)} argument(s), not {len(at.args)}")
            for p, a in zip(d.binders, at.args):
                f = self.value(a, env or {})
                try:
                    inner[p] = f(None)
                except Exception:
                    raise self.err(a, f"an argument of '{n}' must be known without a state: a parameter "
                                      "or a constant") from None
        key = (n, tuple(sorted(inner.items())), fn.__code__)
        got = self._let_cache.get(key)
        if got is not None:
            return got
        self._let_stack.append(n)
        try:
            out = fn(e, inner)
        finally:
            self._let_stack.pop()
        if callable(out) and not isinstance(out, (_Loc, _K)):
            out = self._memoised(out, key)
        self._let_cache[key] = out
        return out

    def _memoised(self, f, key):
        """A let is evaluated once per state, however many symbols use it."""
        memo = self._memo

        def g(st, f=f, key=key, memo=memo):
            if st is None or memo[0] is not st:
                return f(st)
            d = memo[1]
            v = d.get(key, _MISSING)
            if v is _MISSING:
                v = d[key] = f(st)
            return v

        return g

    def _is_pointer_place(self, loc: _Loc) -> bool:
        info = self._cell_info(loc)
        return info is not None and info[1]

    def _extend(self, b: _Loc, suffix: str, e: E) -> _Loc:
        if b.space in ("G", "L"):
            return _Loc(b.space, b.tid, b.name + suffix)
        return _Loc("P", root=b.root, rel=b.rel + suffix, dyn=b.dyn)

    def _near(self, n: str) -> str:
        roots = sorted({c.name.split(".")[0].split("[")[0] for c in self.p.global_cells})
        return f" (its globals: {', '.join(roots)})" if roots else ""

    def _local_name(self, tid: int, name: str, e: E) -> str:
        cells = self.threads[tid].ir.local_cells
        if ":" in name:
            if not any(c.name == name or c.name.startswith((name + ".", name + "[")) for c in cells):
                raise self.err(e, f"thread {self.threads[tid].name} has no local '{name}'")
            return name
        funcs = sorted({c.name.split(":", 1)[0] for c in cells
                        if c.name.split(":", 1)[-1] == name or c.name.split(":", 1)[-1].startswith((name + ".", name + "["))})
        if not funcs:
            raise self.err(e, f"thread {self.threads[tid].name} has no local '{name}'")
        if len(funcs) > 1:
            raise self.err(e, f"several functions have a local '{name}' ({', '.join(funcs)}): write \"FUNCTION:{name}\"")
        return f"{funcs[0]}:{name}"

    def _cell_info(self, loc: _Loc):
        """(offset, is_pointer, pointee) of a scalar place, offset static for G/L."""
        if loc.space == "G":
            k = self.cell_index.get(loc.name)
            if k is None:
                return None
            c = self.p.global_cells[k]
            return (k, c.is_pointer, c.pointee)
        if loc.space == "L":
            ks = self._local_cells(loc)
            if not ks:
                return None
            c = self.threads[loc.tid].ir.local_cells[ks[0]]
            return (ks[0], c.is_pointer, c.pointee)
        lay = self.layout(loc.root, (0, 0))
        return lay.cells.get(loc.rel)

    def _local_cells(self, loc: _Loc) -> list:
        """Every cell with this name: one per inlined copy of the function that declares it."""
        return [k for k, c in enumerate(self.threads[loc.tid].ir.local_cells) if c.name == loc.name]

    def _local_picker(self, loc: _Loc, ks: list):
        """A closure state -> the cell of the inlined copy the thread's next step is in (or None).

        A function inlined twice has two copies of each local. Each copy is used by one stretch
        of the thread's code (from the first step that mentions it to the last); the copy to read
        is the one whose stretch holds the thread's next step. Outside every stretch the local
        does not exist: it reads as 0, as the engine leaves a dead local."""
        tid = loc.tid
        if len(ks) == 1:
            k = ks[0]
            return lambda st: k
        spans = self._spans(tid)
        table = {}
        for k in ks:
            lo, hi = spans.get(k, (0, -1))
            for pc in range(lo, hi + 1):
                table.setdefault(pc, k)
        return lambda st: table.get(st[2][tid][0])

    def _spans(self, tid: int) -> dict:
        """cell -> (first pc, last pc) of the steps of the thread that mention it."""
        code = self.threads[tid].ir.code
        key = id(code)
        got = self._span_cache.get(key)
        if got is not None:
            return got
        spans: dict = {}
        for pc, instr in enumerate(code):
            kill = isinstance(instr, ir.Kill)  # a declaration (or the end of a scope) does not use it
            for k in _mentions(instr):
                lo, hi = spans.get(k, (pc, pc if not kill else -1))
                spans[k] = (min(lo, pc), hi if kill else max(hi, pc))
        # a struct or array local is one variable: its cells share the span of the whole
        # (its later cells are often reached only through the address of its first)
        cells = self.threads[tid].ir.local_cells
        import re

        def var(name: str) -> str:
            return re.split(r"[.\[]", name, maxsplit=1)[0]

        k = 0
        while k < len(cells):
            j = k
            while j + 1 < len(cells) and var(cells[j + 1].name) == var(cells[k].name) and cells[j + 1].name != cells[k].name:
                j += 1
            got = [spans[x] for x in range(k, j + 1) if x in spans and spans[x][1] >= 0]
            if got:
                u = (min(a for a, _ in got), max(b for _, b in got))
                for x in range(k, j + 1):
                    spans[x] = u
            k = j + 1
        self._span_cache[key] = spans
        return spans

    def pointee(self, e: E, env: dict) -> str:
        if e.op == "cname" and e.name in env and env[e.name] in self.obj_ptr:
            for sort, els in self.universe.items():
                if sort in self.obj_type and env[e.name] in els:
                    return self.obj_type[sort]
        if not self._is_place(e, env):
            raise self.err(e, "only a pointer read from memory can be followed here")
        loc = self.place(e, env)
        info = self._cell_info(loc)
        if info is None or not info[1]:
            raise self.err(e, f"'{self.describe(loc)}' is not a pointer cell")
        return info[2]

    def describe(self, loc: _Loc) -> str:
        if loc.space in ("G", "L"):
            return loc.name
        return f"({loc.root}){loc.rel}"

    def reader(self, loc: _Loc, e: E):
        """A closure state -> the value of the scalar at loc."""
        info = self._cell_info(loc)
        if info is None:
            if loc.space == "G" and loc.name in self.obj_index or loc.space == "P" and loc.rel in self.layout(loc.root, e).objs:
                raise self.err(e, f"'{self.describe(loc)}' is an object, not a scalar cell: name one of its fields")
            raise self.err(e, f"no cell '{self.describe(loc)}' in the model" + (self._near(loc.name) if loc.space == "G" else ""))
        k = info[0]
        if loc.space == "G":
            return lambda st, k=k: st[0][k]
        if loc.space == "L":
            tid = loc.tid
            pick = self._local_picker(loc, self._local_cells(loc))

            def rdl(st, pick=pick, tid=tid):
                L = st[2][tid][1]
                k = pick(st)
                return L[k] if L and k is not None else 0

            return rdl
        dyn = loc.dyn

        def rd(st, dyn=dyn, k=k):
            base, off = dyn(st)
            if base == ir.GLOBAL:
                return st[0][off + k]
            if base >= 0:
                return st[1][base].cells[off + k]
            tid = ir.LOCAL_BASE - base
            L = st[2][tid][1]
            return L[off + k] if L else 0

        return rd

    def address(self, loc: _Loc, e: E):
        if loc.space == "G":
            if loc.name in self.cell_index:
                k = self.cell_index[loc.name]
            elif loc.name in self.obj_index:
                k = self.obj_index[loc.name][0]
            else:
                raise self.err(e, f"no object '{loc.name}' in the model")
            return _K((ir.GLOBAL, k))
        if loc.space == "L":
            cells = self.threads[loc.tid].ir.local_cells
            first = [i for i, c in enumerate(cells) if c.name == loc.name or c.name.startswith((loc.name + ".", loc.name + "["))]
            if not first:
                raise self.err(e, f"no local '{loc.name}'")
            k0 = first[0]
            ks = [i for i, c in enumerate(cells) if c.name == cells[k0].name]
            pick = self._local_picker(_Loc("L", loc.tid, cells[k0].name), ks)
            base = ir.LOCAL_BASE - loc.tid
            return lambda st, pick=pick, base=base: (base, pick(st))
        lay = self.layout(loc.root, e)
        if loc.rel == "":
            rel = 0
        elif loc.rel in lay.objs:
            rel = lay.objs[loc.rel][0]
        elif loc.rel in lay.cells:
            rel = lay.cells[loc.rel][0]
        else:
            raise self.err(e, f"no member '{loc.rel}' in {loc.root}")
        dyn = loc.dyn
        return lambda st, dyn=dyn, rel=rel: (lambda b: (b[0], b[1] + rel))(dyn(st))

    # -- values --------------------------------------------------------------------------------
    def thread_of(self, e: E, env: dict) -> int:
        if e.op == "cname" and e.name not in env and e.name in self.proof.abs_lets:
            return self._with_let(e.name, e, lambda x, inner: self.thread_of(x, inner))
        if e.op == "cname" and e.name in env:
            v = env[e.name]
            if v in self.tid_of:
                return self.tid_of[v]
            raise self.err(e, f"'{e.name}' is not a thread")
        if e.op == "call" and e.name == "thread":
            if not e.args or e.args[0].op != "str":
                raise self.err(e, 'write thread("FUNCTION") or thread("FUNCTION", INSTANCE)')
            fn = e.args[0].name
            tids = self.by_fn.get(fn)
            if tids is None:
                raise self.err(e.args[0], f"the model has no thread function '{fn}' (it has: {', '.join(self.by_fn)})")
            k = self.const_int(e.args[1]) if len(e.args) > 1 else 0
            if len(e.args) == 1 and len(tids) > 1:
                raise self.err(e, f"'{fn}' has {len(tids)} instances: say which, thread(\"{fn}\", K)")
            if not 0 <= k < len(tids):
                raise self.err(e, f"'{fn}' has no instance {k}")
            return tids[k]
        raise self.err(e, "expected a thread: a variable of a thread sort or thread(\"FUNCTION\"[, K])")

    def _thread_and_str(self, e: E, env: dict):
        if len(e.args) != 2 or e.args[1].op != "str":
            raise self.err(e, f'write {e.name}(THREAD, "text")')
        return self.thread_of(e.args[0], env), e.args[1].name

    def vline(self, loc) -> int:
        """The number lineof() gives loc's line (see vlines)."""
        return self.vline_of.get((loc.file, loc.line), 0)

    def lines_with(self, text: str, e: E) -> list:
        hits = [k for k, (f, n, ln) in enumerate(self.vlines, 1) if text in ln]
        if not hits:
            raise self.err(e, f'no line of the model contains "{text}"')
        return hits

    def _where(self, k: int) -> str:
        f, n, _ = self.vlines[k - 1]
        return str(n) if f == self.p.path else f"{f.replace(chr(92), '/').rsplit('/', 1)[-1]}:{n}"

    def pcs_in_func(self, t: int, text: str, fn: str, e: E, nth: E | None = None) -> frozenset:
        """at(t, "text", "f"[, K]): thread t's steps on the line (the K-th, in source order) of
        function f (inlined copies included) that contains text. Naming the function, not the
        K-th line of the whole model, keeps the abstraction right when code moves between a
        model and its headers."""
        code = self.threads[t].ir.code
        if not any(i.func == fn for i in code):
            raise self.err(e.args[2], f"thread {self.threads[t].name} runs no code of a function '{fn}'")
        hits = {}
        for pc, i in enumerate(code):
            k = self.vline(i.loc)
            if i.func == fn and k and text in self.vlines[k - 1][2]:
                hits.setdefault(k, []).append(pc)
        if not hits:
            raise self.err(e.args[1], f'no step of {fn}() in thread {self.threads[t].name} is on a line containing "{text}"')
        if nth is not None:
            k = self.const_int(nth)
            order = sorted(hits, key=lambda v: (self.vlines[v - 1][0] != self.p.path, self.vlines[v - 1][0], self.vlines[v - 1][1]))
            if not 1 <= k <= len(order):
                raise self.err(nth, f'"{text}" is on {len(order)} line(s) of {fn}(), there is no occurrence {k}')
            return frozenset(hits[order[k - 1]])
        if len(hits) > 1:
            raise self.err(e.args[1], f'{len(hits)} lines of {fn}() contain "{text}" (lines '
                                      f'{", ".join(self._where(k) for k in sorted(hits)[:6])}): quote more '
                                      f'of the line, or say which: at(t, "{text}", "{fn}", K)')
        return frozenset(next(iter(hits.values())))

    def find_line(self, text: str, e: E, nth: E | None = None) -> int:
        hits = self.lines_with(text, e)
        if nth is not None:
            k = self.const_int(nth)
            if not 1 <= k <= len(hits):
                raise self.err(nth, f'"{text}" is on {len(hits)} line(s) of the model, there is no occurrence {k}')
            return hits[k - 1]
        if len(hits) > 1:
            raise self.err(e, f'{len(hits)} lines of the model contain "{text}" (lines '
                              f'{", ".join(self._where(k) for k in hits[:6])}): quote more of the line, or say which: '
                              f'lineof("...", K)')
        return hits[0]

    def value(self, e: E, env: dict):
        """Compile e into a closure state -> value (ints, pointers, element or enum names).

        A sub-expression that does not depend on the state is folded into a constant (``_K``),
        so that e.g. ``s.as == 0 && ...`` costs nothing for the elements where it is false."""
        op = e.op
        if op == "num":
            return _K(int(e.name, 0))
        if op == "str":
            raise self.err(e, "a string is only an argument of at(), lineof(), in_func(), local() or thread()")
        if op == "cname":
            n = e.name
            if n in env:
                if env[n] in self.obj_ptr:
                    return self.obj_value(env[n])
                return _K(env[n])
            if n == "NULL" or n == "false":
                return _K(0)
            if n == "true":
                return _K(1)
            if n in self.p.defines:
                return _K(self.p.defines[n])
            if n in self.proof.enum_of:
                return _K(n)
            if n in self.proof.abs_lets:
                return self._with_let(n, e, lambda x, inner: self.value(x, inner))
            if n in self.p.globals_by_name:
                return self.reader(self.place(e, env), e)
            raise self.err(e, f"unknown name '{n}': not a variable, #define, enum constant or global of the model")
        if op == "field" and e.args[0].op == "cname" and e.args[0].name in env:
            el = env[e.args[0].name]
            comps = self.components.get(el)
            if comps is None or e.name not in comps:
                raise self.err(e, f"'{e.args[0].name}' has no component '{e.name}'")
            return _K(comps[e.name])
        if op in ("field", "index", "arrow", "deref"):
            return self.reader(self.place(e, env), e)
        if op == "addr":
            return self.address(self.place(e.args[0], env), e)
        if op == "unop":
            a = self.value(e.args[0], env)
            if isinstance(a, _K):
                v = a.v
                if e.name == "!":
                    return _K(0 if _truthy(v) else 1)
                if v.__class__ is not int:
                    raise self.err(e, f"'{e.name}' on a non-integer")
                return _K(-v if e.name == "-" else ~v)
            if e.name == "!":
                return lambda st, a=a: 0 if _truthy(a(st)) else 1
            if e.name == "-":
                return lambda st, a=a: -a(st)
            return lambda st, a=a: ~a(st)
        if op == "binop":
            o = e.name
            a = self.value(e.args[0], env)
            if o in ("&&", "||") and isinstance(a, _K) and _truthy(a.v) == (o == "||"):
                return _K(1 if o == "||" else 0)  # C does not evaluate the right side: nor do we
            b = self.value(e.args[1], env)
            if o in ("&&", "||") and isinstance(a, _K):  # a does not decide: the value is b's
                if isinstance(b, _K):
                    return _K(1 if _truthy(b.v) else 0)
                return lambda st, b=b: 1 if _truthy(b(st)) else 0
            if o == "&&":
                if isinstance(b, _K):
                    return _K(0) if not _truthy(b.v) else (lambda st, a=a: 1 if _truthy(a(st)) else 0)
                return lambda st, a=a, b=b: 1 if _truthy(a(st)) and _truthy(b(st)) else 0
            if o == "||":
                if isinstance(b, _K):
                    return _K(1) if _truthy(b.v) else (lambda st, a=a: 1 if _truthy(a(st)) else 0)
                return lambda st, a=a, b=b: 1 if _truthy(a(st)) or _truthy(b(st)) else 0
            if isinstance(a, _K) and isinstance(b, _K):
                if o in ("==", "!="):
                    return _K(int((a.v == b.v) == (o == "==")))
                if a.v.__class__ is not int or b.v.__class__ is not int:
                    raise self.err(e, f"'{o}' on a non-integer")
            if o == "==":
                return lambda st, a=a, b=b: 1 if a(st) == b(st) else 0
            if o == "!=":
                return lambda st, a=a, b=b: 1 if a(st) != b(st) else 0
            fn = {"<": lambda x, y: int(x < y), "<=": lambda x, y: int(x <= y), ">": lambda x, y: int(x > y),
                  ">=": lambda x, y: int(x >= y), "+": lambda x, y: x + y, "-": lambda x, y: x - y,
                  "*": lambda x, y: x * y, "/": lambda x, y: int(x / y) if y else _div0(),
                  "%": lambda x, y: x % y if y else _div0(), "&": lambda x, y: x & y,
                  "|": lambda x, y: x | y, "^": lambda x, y: x ^ y}[o]

            if isinstance(a, _K) and isinstance(b, _K):
                return _K(fn(a.v, b.v))

            def arith(st, a=a, b=b, fn=fn):
                x, y = a(st), b(st)
                if x.__class__ is not int or y.__class__ is not int:
                    raise AbsError(f"'{o}' on a non-integer")
                return fn(x, y)

            return arith
        if op == "cond":
            c = self.value(e.args[0], env)
            if isinstance(c, _K):
                return self.value(e.args[1] if _truthy(c.v) else e.args[2], env)
            a, b = self.value(e.args[1], env), self.value(e.args[2], env)
            return lambda st, c=c, a=a, b=b: a(st) if _truthy(c(st)) else b(st)
        if op == "call":
            return self.call(e, env)
        raise self.err(e, f"unexpected '{op}' in an abstraction")

    def call(self, e: E, env: dict):
        n = e.name
        if n in self.proof.abs_lets:
            return self._with_let(n, e, lambda x, inner: self.value(x, inner), env)
        if n in ("line", "ended", "in_srcu"):
            if len(e.args) != 1:
                raise self.err(e, f"{n}() takes one thread")
            t = self.thread_of(e.args[0], env)
            code = self.threads[t].ir.code
            if n == "line":
                vl = [self.vline(i.loc) for i in code]
                return lambda st, t=t, vl=vl: vl[st[2][t][0]] if st[2][t][0] >= 0 else 0
            if n == "ended":
                return lambda st, t=t: 1 if st[2][t][0] < 0 else 0
            return lambda st, t=t: 1 if any(h[0] == "s" for h in st[2][t][2]) else 0
        if n == "at":
            if len(e.args) not in (2, 3, 4):
                raise self.err(e, 'write at(THREAD, "text"), at(THREAD, "text", "function"[, K]), '
                                  'at(THREAD, "text", K) or at(THREAD, LINE)')
            t = self.thread_of(e.args[0], env)
            code = self.threads[t].ir.code
            if e.args[1].op == "str" and len(e.args) >= 3 and e.args[2].op == "str":
                pcs = self.pcs_in_func(t, e.args[1].name, e.args[2].name, e, e.args[3] if len(e.args) == 4 else None)
                return lambda st, t=t, pcs=pcs: 1 if st[2][t][0] in pcs else 0
            if e.args[1].op == "str" and len(e.args) == 2:
                lines = frozenset(self.lines_with(e.args[1].name, e.args[1]))
            elif e.args[1].op == "str":
                lines = frozenset([self.find_line(e.args[1].name, e.args[1], e.args[2])])
            else:
                lines = frozenset([self.const_int(e.args[1])])
            pcs = frozenset(pc for pc, i in enumerate(code) if self.vline(i.loc) in lines)
            return lambda st, t=t, pcs=pcs: 1 if st[2][t][0] in pcs else 0
        if n == "lineof":
            if len(e.args) not in (1, 2) or e.args[0].op != "str":
                raise self.err(e, 'write lineof("text of the line") or lineof("text", K) for its K-th line')
            return _K(self.find_line(e.args[0].name, e.args[0], e.args[1] if len(e.args) == 2 else None))
        if n == "in_func":
            t, fn = self._thread_and_str(e, env)
            code = self.threads[t].ir.code
            if not any(i.func == fn for i in code):
                raise self.err(e.args[1], f"thread {self.threads[t].name} runs no code of a function '{fn}'")
            pcs = frozenset(pc for pc, i in enumerate(code) if i.func == fn)
            return lambda st, t=t, pcs=pcs: 1 if st[2][t][0] in pcs else 0
        if n in ("any", "all"):
            if len(e.args) != 4 or e.args[0].op != "cname":
                raise self.err(e, f"write {n}(x, LO, HI, expression): the expression for x = LO..HI, "
                                  f"{'or' if n == 'any' else 'and'}-ed")
            x = e.args[0].name
            lo, hi = self.const_int(e.args[1]), self.const_int(e.args[2])
            parts = [self.value(e.args[3], {**env, x: k}) for k in range(lo, hi + 1)]
            want = n == "any"
            if any(isinstance(f, _K) and _truthy(f.v) == want for f in parts):
                return _K(1 if want else 0)
            parts = [f for f in parts if not isinstance(f, _K)]
            if not parts:
                return _K(0 if want else 1)
            if want:
                return lambda st, parts=parts: 1 if any(_truthy(f(st)) for f in parts) else 0
            return lambda st, parts=parts: 1 if all(_truthy(f(st)) for f in parts) else 0
        if n == "in_scope":
            t, name = self._thread_and_str(e, env)
            loc = _Loc("L", tid=t, name=self._local_name(t, name, e))
            ks = self._local_cells(loc)
            if not ks:
                raise self.err(e.args[1], f"thread {self.threads[t].name} has no local '{name}'")
            pick = self._local_picker(loc, ks) if len(ks) > 1 else None
            if pick is None:
                spans = self._spans(t)
                lo, hi = spans.get(ks[0], (0, -1))
                pcs = frozenset(range(lo, hi + 1))
                return lambda st, t=t, pcs=pcs: 1 if st[2][t][0] in pcs else 0
            return lambda st, pick=pick: 0 if pick(st) is None else 1
        if n == "within":
            t, fn = self._thread_and_str(e, env)
            code = self.threads[t].ir.code
            pcs = [pc for pc, i in enumerate(code) if i.func == fn]
            if not pcs:
                raise self.err(e.args[1], f"thread {self.threads[t].name} runs no code of a function '{fn}'")
            # the stretch of code from the function's first step to its last: its inlined body
            # with the calls it makes (if it is inlined several times, the stretch covers them all)
            inside = frozenset(range(min(pcs), max(pcs) + 1))
            return lambda st, t=t, inside=inside: 1 if st[2][t][0] in inside else 0
        if n == "holds":
            if len(e.args) != 2:
                raise self.err(e, "write holds(THREAD, LOCK)")
            t = self.thread_of(e.args[0], env)
            addr = self.address(self.place(e.args[1], env), e.args[1])
            if isinstance(addr, _K):
                a = addr.v
                return lambda st, t=t, a=a: 1 if any(h[1] == a and h[0] != "s" for h in st[2][t][2]) else 0
            return lambda st, t=t, addr=addr: 1 if any(h[0] != "s" and h[1] == addr(st) for h in st[2][t][2]) else 0
        if n == "local":
            return self.reader(self.place(e, env), e)
        if n == "thread":
            t = self.thread_of(e, env)
            el = self.elem_of_tid.get(t)
            if el is None:
                raise self.err(e, f"thread {self.threads[t].name} is not an element of a thread sort")
            return _K(el)
        sd = self.proof.sorts.get(n)
        a = self.proof.abs_sorts.get(n)
        if sd is not None and a is not None and a.kind == "tuple":
            if len(e.args) != len(a.components):
                raise self.err(e, f"an element of {n} has {len(a.components)} components")
            fs = [self.value(x, env) for x in e.args]
            comps = tuple(c for c, _, _ in a.components)
            index = {tuple(self.components[el][c] for c in comps): el for el in self.universe[n]}

            if all(isinstance(f, _K) for f in fs):
                key = tuple(f.v for f in fs)
                if key not in index:
                    raise self.err(e, f"{n}{key} is not an element of sort {n}")
                return _K(index[key])

            def mk(st, fs=fs, index=index, n=n):
                key = tuple(f(st) for f in fs)
                el = index.get(key)
                if el is None:
                    raise AbsError(f"{n}{key} is not an element of sort {n}")
                return el

            return mk
        raise self.err(e, f"unknown function '{n}' in an abstraction")

    # -- what an expression reads: for caching ---------------------------------------------------
    def deps(self, e: E, env: dict) -> frozenset:
        """What e reads: thread ids (their pc, locals, held locks) and "M" (shared memory).

        Conservative: anything not understood reads everything ("M" and "*")."""
        ALL = frozenset(["M", "*"])
        op = e.op
        if op in ("num", "str"):
            return frozenset()
        if op == "cname":
            n = e.name
            if n in env and env[n] in self.obj_ptr and self.obj_ptr[env[n]][0] == "site":
                return frozenset(["M"])  # where a heap object is: the heap
            if n in env or n in ("NULL", "true", "false") or n in self.p.defines or n in self.proof.enum_of:
                return frozenset()
            if n in self.proof.abs_lets:
                d = self.proof.abs_lets[n]
                return self.deps(d.args[0], {}) if not d.binders else ALL
            return frozenset(["M"])
        if op == "field" and e.args[0].op == "cname" and e.args[0].name in env:
            return frozenset()
        if op in ("field", "index", "arrow", "deref", "addr"):
            return self._place_deps(e.args[0] if op == "addr" else e, env)
        if op in ("unop", "binop", "cond"):
            out = frozenset()
            for a in e.args:
                out |= self.deps(a, env)
            return out
        if op == "call":
            n = e.name
            if n in self.proof.abs_lets:
                d = self.proof.abs_lets[n]
                inner = {}
                for p_, a in zip(d.binders, e.args):
                    try:
                        inner[p_] = self.value(a, env)(None)
                    except Exception:
                        return ALL
                out = self.deps(d.args[0], inner)
                for a in e.args:
                    out |= self.deps(a, env)
                return out
            if n in ("line", "ended", "in_srcu", "at", "in_func", "within", "local", "in_scope"):
                try:
                    return frozenset([self.thread_of(e.args[0], env)])
                except Exception:
                    return ALL
            if n == "holds":
                try:
                    t = self.thread_of(e.args[0], env)
                except Exception:
                    return ALL
                return frozenset([t]) | self._place_deps(e.args[1], env) - frozenset(["M"]) \
                    if e.args[1].op in ("cname", "field", "index") and self._root_is_global(e.args[1]) else ALL
            if n in ("lineof", "thread"):
                return frozenset()
            if n in ("any", "all") and len(e.args) == 4 and e.args[0].op == "cname":
                try:
                    lo, hi = self.const_int(e.args[1]), self.const_int(e.args[2])
                except Exception:
                    return ALL
                out = frozenset()
                for k in range(lo, hi + 1):
                    out |= self.deps(e.args[3], {**env, e.args[0].name: k})
                return out
            if n in self.proof.sorts:
                out = frozenset()
                for a in e.args:
                    out |= self.deps(a, env)
                return out
        return ALL

    def _root_is_global(self, e: E) -> bool:
        while e.op in ("field", "index"):
            if e.op == "index" and e.args[1].op not in ("num", "cname"):
                return False
            e = e.args[0]
        return e.op == "cname" and e.name in self.p.globals_by_name

    def _place_deps(self, e: E, env: dict) -> frozenset:
        ALL = frozenset(["M", "*"])
        op = e.op
        if op == "cname":
            if e.name in self.proof.abs_lets and e.name not in env:
                d = self.proof.abs_lets[e.name]
                return self._place_deps(d.args[0], {}) if not d.binders else ALL
            return frozenset(["M"]) if e.name in self.p.globals_by_name else ALL
        if op == "call" and e.name == "local":
            try:
                return frozenset([self.thread_of(e.args[0], env)])
            except Exception:
                return ALL
        if op == "call" and e.name in self.proof.abs_lets:
            return self.deps(e, env)
        if op == "field":
            return self._place_deps(e.args[0], env)
        if op == "index":
            base = e.args[0]
            idx = self.deps(e.args[1], env)
            if self._is_place(base, env):
                try:
                    if not self._is_pointer_place(self.place(base, env)):
                        return self._place_deps(base, env) | idx
                except Exception:
                    return ALL
            return self.deps(base, env) | idx | frozenset(["M"])
        if op in ("arrow", "deref"):
            return self.deps(e.args[0], env) | frozenset(["M"])
        return ALL

    # -- the abstraction of a whole state ------------------------------------------------------
    def compile(self):
        """Closures for every symbol and argument tuple; returns state -> Structure."""
        pr = self.proof
        if not self.universe:
            self.build_universe()
        plan = []
        for d in pr.symbols.values():
            a = pr.abs_syms.get(d.name)
            if a is None:
                raise self.err((d.line, d.col), f"'{d.name}' has no abstraction: add 'abstract {d.name}"
                                                f"{'(' + ', '.join('x' + str(i) for i in range(len(d.arg_sorts))) + ')' if d.arg_sorts else ''} := ...'")
            conv = self.converter(d.sort, a)
            if not d.arg_sorts:
                plan.append((d.name, None, [((), self._compiled(a.expr, {}, d.sort))], conv))
                continue
            rows = []
            for combo in itertools.product(*(self.universe[s] for s in d.arg_sorts)):
                env = dict(zip(a.params, combo))
                rows.append((combo, self._compiled(a.expr, env, d.sort)))
            plan.append((d.name, True, rows, conv))
        universe = self.universe
        memo = self._memo
        # one flat list of (closure, converter): the abstract state of a model state is first
        # computed as a tuple of values (cheap to hash); the structure is built once per tuple
        # values that read only one thread's own state (its pc, locals, locks) are computed once
        # per distinct state of that thread: grouped by thread, cached on the thread's tuple
        n = 0
        shared = []  # (position, closure, converter)
        groups: dict = {}  # tid -> [(position, closure, converter)]; "M": reads memory only
        for name, nary, rows, conv in plan:
            for _, (f, tid) in rows:
                (shared if tid is None else groups.setdefault(tid, [])).append((n, f, conv))
                n += 1
        mem_entries = groups.pop("M", [])
        group_list = [(tid, entries, {}) for tid, entries in groups.items()]
        mem_cache: dict = {}
        for name, nary, rows, conv in plan:
            rows[:] = [(combo, f) for combo, (f, _) in rows]
        seen: dict = {}

        def abstract(st) -> Structure:
            memo[0] = st
            memo[1] = {}
            vals = [None] * n
            for pos, f, conv in shared:
                vals[pos] = conv(f(st))
            if mem_entries:  # values that read only shared memory: cached on the memory
                k = (st[0], st[1])
                got = mem_cache.get(k)
                if got is None:
                    got = mem_cache[k] = tuple([conv(f(st)) for _, f, conv in mem_entries])
                for (pos, _, _), v in zip(mem_entries, got):
                    vals[pos] = v
            for tid, entries, cache in group_list:
                k = st[2][tid]
                got = cache.get(k)
                if got is None:
                    got = cache[k] = tuple([conv(f(st)) for _, f, conv in entries])
                for (pos, _, _), v in zip(entries, got):
                    vals[pos] = v
            key = tuple(vals)
            got = seen.get(key)
            if got is not None:
                return got
            interp = {}
            k = 0
            for name, nary, rows, conv in plan:
                if nary is None:
                    interp[name] = key[k]
                    k += 1
                else:
                    d = {}
                    for combo, _ in rows:
                        d[combo] = key[k]
                        k += 1
                    interp[name] = d
            got = seen[key] = Structure(universe, interp)
            return got

        return abstract

    def _compiled(self, e: E, env: dict, sort: str = ""):
        """(closure, tid): tid is the one thread whose own state is all the expression reads, or None."""
        f = self.value(e, env)
        if isinstance(f, _K):
            return f, None
        d = self.deps(e, env)
        if "*" in d:
            return f, None
        if d == frozenset(["M"]):
            return f, "M"  # shared memory only (the heap included): cached on (globals, heap)
        if "M" in d or len(d) != 1 or sort in self.obj_type:  # which object a pointer is: the heap
            return f, None
        (tid,) = d
        return f, tid

    def converter(self, sort: str, a):
        if sort == BOOL:
            return _truthy_bool
        d = self.proof.sorts[sort]
        if d.kind == "enum":
            vals = set(d.values)

            def conv(v, vals=vals, sort=sort):
                if v not in vals:
                    raise AbsError(f"the abstraction of '{a.sym}' gives {v!r}, not a constant of enum {sort}")
                return v

            return conv
        els = set(self.universe[sort])
        if sort in self.obj_type:
            return lambda v, sort=sort: v if v.__class__ is str and v in els else self.obj_element(sort, v)

        def conv2(v, els=els, sort=sort):
            if v not in els:
                raise AbsError(f"the abstraction of '{a.sym}' gives {v!r}, not an element of sort {sort}")
            return v

        return conv2


_MISSING = object()


class _K:
    """A compiled expression that does not depend on the state."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __call__(self, st):
        return self.v


def _mentions(instr) -> set:
    """The local cells an IR step reads, writes, resets or takes the address of."""
    import dataclasses

    from rmapcheck.ir.liveness import uses_defs

    u, d = uses_defs(instr)
    bits = u | d
    out = {k for k in range(bits.bit_length()) if (bits >> k) & 1}

    def walk(x):
        if isinstance(x, ir.LocalAddr):
            out.add(x.off)
        elif isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            for f in dataclasses.fields(x):
                if f.name not in ("loc",):
                    walk(getattr(x, f.name))

    for f in dataclasses.fields(instr):
        if f.name not in ("loc", "func", "text"):
            walk(getattr(instr, f.name))
    return out


def _truthy(v) -> bool:
    return v.__class__ is tuple or bool(v)


def _truthy_bool(v) -> bool:
    if v.__class__ is str:
        raise AbsError(f"a boolean symbol's abstraction gives the constant {v}")
    return v.__class__ is tuple or bool(v)


def _div0():
    raise AbsError("division by zero")
