"""Per-thread paths: each thread run alone, every shared read returning a value it could read.

A path is what one thread does when its reads return given values: its events in program
order (reads, writes, fences, lock and srcu operations, herd7's event kinds and tags) with
the syntactic dependencies between them, and the final values of its private cells (the
registers a litmus test's condition names). A read of cell a may return any value of the
cell's *domain*: its initial value and every value some path writes to it. Domains grow to a
fixed point (`thread_paths`), so every value a read can return in an execution is tried.

Loops are unrolled: a path that passes one instruction more than `unwind` times is cut and
the run is incomplete (herd7 also unrolls; it drops such executions silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rmapcheck.engines.explicit.evaluator import EvalError, compile_expr
from rmapcheck.errors import RmapcheckError
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import expr_uses
from rmapcheck.ir.rmw import RmwError, new_value, result_value

DEFAULT_UNWIND = 16
MAX_DOMAIN = 64  # values per cell before the domain is called unbounded

_LOAD_TAGS = {ir.PLAIN: "plain", ir.ONCE: "once", ir.ACQUIRE: "acquire", ir.DEREF: "once"}
_STORE_TAGS = {ir.PLAIN: "plain", ir.ONCE: "once", ir.RELEASE: "release", ir.ASSIGN: "release"}
_FENCES = {"mb": "smp_mb", "wmb": "smp_wmb", "rmb": "smp_rmb",
           "mb__before_atomic": "smp_mb__before_atomic", "mb__after_atomic": "smp_mb__after_atomic",
           "mb__after_unlock_lock": "smp_mb__after_unlock_lock", "mb__after_spinlock": "smp_mb__after_spinlock",
           # right after srcu_read_unlock() (the front end checks): smp_mb() there orders the same
           "mb__after_srcu_read_unlock": "smp_mb"}
# linux-kernel.def: the tags of an RMW's read and write per ordering (fully ordered: Mb)
_RMW_TAGS = {ir.RELAXED: ("once", "once"), ir.ACQUIRE: ("acquire", "once"), ir.RELEASE: ("once", "release"),
             ir.MB: ("mb", "mb")}


class Unsupported(RmapcheckError):
    """The program uses something the axiomatic engine does not model."""


@dataclass(frozen=True)
class PathEvent:
    kind: str  # R, W, F
    addr: object  # global cell offset, or None
    value: object
    tags: frozenset
    label: str
    line: int
    addr_deps: frozenset = frozenset()  # indices (in the path) of the reads the address comes from
    data_deps: frozenset = frozenset()
    ctrl_deps: frozenset = frozenset()


@dataclass
class Path:
    tid: int
    events: list  # list[PathEvent]
    rmw: list = field(default_factory=list)  # [(read index, write index)]
    rscs: list = field(default_factory=list)  # [(lock index, unlock index)]: rcu and srcu sections
    private: dict = field(default_factory=dict)  # cell -> final value of a private cell
    faults: list = field(default_factory=list)  # what went wrong (the path stops there)


@dataclass
class Paths:
    per_thread: list  # list[list[Path]], one list per thread instance
    names: list  # the thread instance names
    cut: bool = False  # some path was cut by the unwinding bound
    unbounded: bool = False  # some cell's domain did not converge


class _Cut(Exception):
    pass


def _reads(e) -> frozenset:
    """The locals an expression reads (its syntactic dependencies)."""
    m, out, k = expr_uses(e), [], 0
    while m:
        if m & 1:
            out.append(k)
        m >>= 1
        k += 1
    return frozenset(out)


class _Thread:
    """One thread instance's code, compiled once; `run` enumerates its paths."""

    def __init__(self, program: ir.Program, th: ir.Thread, tid: int, instance: int, ctx):
        self.program, self.th, self.tid, self.instance, self.ctx = program, th, tid, instance, ctx
        self._fn: dict = {}
        self._dep: dict = {}
        self.joins = _joins(th.code)

    def ev(self, e, L):
        f = self._fn.get(id(e))
        if f is None:
            f = self._fn[id(e)] = (compile_expr(e), e)
        return f[0](L, self.tid)

    def taint(self, e, T) -> frozenset:
        d = self._dep.get(id(e))
        if d is None:
            d = self._dep[id(e)] = (_reads(e), e)
        out = frozenset()
        for off in d[0]:
            out |= T[off]
        return out

    def run(self, domains: dict, unwind: int) -> tuple[list, bool]:
        L = [0] * self.th.nlocals
        if self.th.param_cell is not None:
            L[self.th.param_cell] = self.instance
        T = [frozenset()] * self.th.nlocals
        out: list = []
        cut = [False]
        self._step(0, L, T, (), Path(self.tid, []), {}, [], domains, unwind, out, cut)
        return out, cut[0]

    # the interpreter: one call per instruction run, copying state only where a read branches
    def _step(self, pc, L, T, ctrl, path, visits, stack, domains, unwind, out, cut):
        """ctrl: the control dependencies in force, as (join pc, reads) pairs: the reads a branch
        condition depends on govern the events up to the branch's join (its immediate
        post-dominator), the arms of the if, as LKMM's ctrl does."""
        code, ctx = self.th.code, self.ctx
        while True:
            i = code[pc]
            if ctrl and any(j == pc for j, _ in ctrl):
                ctrl = tuple(c for c in ctrl if c[0] != pc)
            n = visits.get(pc, 0) + 1
            if n > unwind:
                cut[0] = True
                return
            visits[pc] = n
            line = i.loc.line
            try:
                if isinstance(i, ir.Assign):
                    L[i.dst] = self.ev(i.expr, L)
                    T[i.dst] = self.taint(i.expr, T)
                    pc += 1
                elif isinstance(i, ir.Copy):
                    L[i.dst:i.dst + i.width] = L[i.src:i.src + i.width]
                    T[i.dst:i.dst + i.width] = T[i.src:i.src + i.width]
                    pc += 1
                elif isinstance(i, ir.Kill):
                    L[i.off:i.off + i.width] = [0] * i.width
                    T[i.off:i.off + i.width] = [frozenset()] * i.width
                    pc += 1
                elif isinstance(i, ir.Branch):
                    c = self.ev(i.cond, L)
                    t = self.taint(i.cond, T)
                    if t:
                        ctrl = ctrl + ((self.joins.get(pc), t),)
                    pc = i.target if c else i.other
                elif isinstance(i, ir.Jump):
                    pc = i.target
                elif isinstance(i, ir.Assume):
                    if not self.ev(i.cond, L):
                        return
                    pc += 1
                elif isinstance(i, (ir.Assert, ir.Warn)):
                    if isinstance(i, ir.Warn) and i.dst is not None:
                        L[i.dst] = int(bool(self.ev(i.cond, L)))
                        T[i.dst] = self.taint(i.cond, T)
                    pc += 1
                elif isinstance(i, ir.Nondet):
                    for v in range(i.lo, i.hi + 1):
                        L2, T2 = list(L), list(T)
                        L2[i.dst], T2[i.dst] = v, frozenset()
                        self._step(pc + 1, L2, T2, ctrl, _copy(path), dict(visits), list(stack), domains,
                                   unwind, out, cut)
                    return
                elif isinstance(i, ir.Load):
                    a = self.ev(i.addr, L)
                    adeps = self.taint(i.addr, T)
                    cells = [self.cell(a, k, i) for k in range(i.width)]
                    if all(c[0] == "local" or c[1] in ctx.private for c in cells):
                        for k, c in enumerate(cells):
                            L[i.dst + k], T[i.dst + k] = self.local_read(c, L, T, path)
                        pc += 1
                        continue
                    if i.width != 1:
                        raise Unsupported(f"{i.loc}: a shared load of {i.width} cells")
                    cell = cells[0][1]
                    lock = cell in ctx.locks
                    values = (0, 1) if lock else sorted(domains.get(cell, {ctx.init(cell)}), key=repr)
                    for v in values:
                        tags = {("RL" if v else "RU")} if lock else {_LOAD_TAGS[i.order]}
                        e = PathEvent("R", cell, v, frozenset(tags), f"R[{'/'.join(sorted(tags))}] "
                                      f"{ctx.name(cell)}={_show(v, ctx)}", line, adeps, frozenset(), _union(ctrl))
                        p2 = _copy(path)
                        p2.events.append(e)
                        L2, T2 = list(L), list(T)
                        L2[i.dst], T2[i.dst] = v, frozenset((len(path.events),))
                        self._step(pc + 1, L2, T2, ctrl, p2, dict(visits), list(stack), domains, unwind, out, cut)
                    return
                elif isinstance(i, ir.Store):
                    a = self.ev(i.addr, L)
                    adeps = self.taint(i.addr, T)
                    for k, ve in enumerate(i.values):
                        v = self.ev(ve, L)
                        c = self.cell(a, k, i)
                        if c[0] == "local":
                            L[c[1]], T[c[1]] = v, self.taint(ve, T)
                        elif c[1] in ctx.private:
                            path.private[c[1]] = v
                        else:
                            tag = _STORE_TAGS[i.order]
                            path.events.append(PathEvent("W", c[1], v, frozenset((tag,)),
                                                         f"W[{tag}] {ctx.name(c[1])}={_show(v, ctx)}", line,
                                                         adeps, self.taint(ve, T), _union(ctrl)))
                    pc += 1
                elif isinstance(i, ir.Rmw):
                    if self.rmw(i, pc, L, T, ctrl, path, visits, stack, domains, unwind, out, cut):
                        pc += 1
                        continue
                    return
                elif isinstance(i, ir.Lock):
                    cell = self.cell(self.ev(i.addr, L), 0, i)[1]
                    adeps = self.taint(i.addr, T)
                    k = len(path.events)
                    nm = ctx.name(cell)
                    path.events.append(PathEvent("R", cell, 0, frozenset(("LKR",)), f"LKR {nm}", line, adeps,
                                                 frozenset(), _union(ctrl)))
                    path.events.append(PathEvent("W", cell, 1, frozenset(("LKW",)), f"LKW {nm}", line, adeps,
                                                 frozenset(), _union(ctrl)))
                    path.rmw.append((k, k + 1))
                    pc += 1
                elif isinstance(i, ir.Unlock):
                    cell = self.cell(self.ev(i.addr, L), 0, i)[1]
                    path.events.append(PathEvent("W", cell, 0, frozenset(("UL",)), f"UL {ctx.name(cell)}", line,
                                                 self.taint(i.addr, T), frozenset(), _union(ctrl)))
                    pc += 1
                elif isinstance(i, (ir.SrcuReadLock, ir.SrcuReadUnlock, ir.SrcuSync)):
                    cell = self.cell(self.ev(i.addr, L), 0, i)[1]
                    rcu = cell in ctx.rcu
                    kind = {ir.SrcuReadLock: "read_lock", ir.SrcuReadUnlock: "read_unlock",
                            ir.SrcuSync: "sync"}[type(i)]
                    name = ("rcu_" if rcu else "srcu_") + kind if kind != "sync" else (
                        "synchronize_rcu" if rcu else "synchronize_srcu")
                    k = len(path.events)
                    path.events.append(PathEvent("F", None if rcu else cell, None, frozenset((name,)),
                                                 f"F[{name}]" + ("" if rcu else f" {ctx.name(cell)}"), line,
                                                 frozenset(), frozenset(), _union(ctrl)))
                    if kind == "read_lock":
                        stack.append((cell, k))
                        if i.dst is not None:  # the index: data-dependent on the lock (srcu-rscs)
                            L[i.dst], T[i.dst] = 0, frozenset((k,))
                    elif kind == "read_unlock":
                        # the section the index came from (LKMM matches srcu sections by data
                        # dependency, so they may overlap without nesting); else the innermost
                        given = self.taint(i.index, T) if i.index is not None else frozenset()
                        match = [j for j, (c, lk) in enumerate(stack) if c == cell and lk in given]
                        if len(match) != 1:
                            match = [j for j, (c, _) in enumerate(stack) if c == cell][-1:]
                        for j in match:
                            path.rscs.append((stack[j][1], k))
                            del stack[j]
                    pc += 1
                elif isinstance(i, ir.Fence):
                    name = _FENCES.get(i.kind, i.kind)
                    path.events.append(PathEvent("F", None, None, frozenset((name,)), f"F[{name}]", line,
                                                 frozenset(), frozenset(), _union(ctrl)))
                    pc += 1
                elif isinstance(i, ir.End):
                    out.append(path)
                    return
                else:
                    raise Unsupported(f"{i.loc}: the axiomatic engine does not model '{i.text}' "
                                      f"({type(i).__name__})")
            except (EvalError, _Fault) as e:
                path.faults.append(f"{i.loc}: {e}")
                out.append(path)
                return

    def rmw(self, i, pc, L, T, ctrl, path, visits, stack, domains, unwind, out, cut) -> bool:
        """An atomic read-modify-write: a read and (unless it fails) a write linked by rmw,
        tagged as linux-kernel.def tags them. Returns True when it ran in place (a private
        cell), False when it branched on the value read (the branches continue the path)."""
        ctx = self.ctx
        a = self.ev(i.addr, L)
        adeps = self.taint(i.addr, T)
        x = self.ev(i.operand, L)
        e = self.ev(i.expected, L) if i.expected is not None else None
        xdeps = self.taint(i.operand, T) | (self.taint(i.expected, T) if i.expected is not None else frozenset())
        c = self.cell(a, 0, i)
        try:
            if c[0] == "local" or c[1] in ctx.private:
                old, _ = self.local_read(c, L, T, path)
                new = new_value(i.op, old, x, e)
                if new is not None:
                    if c[0] == "local":
                        L[c[1]], T[c[1]] = new, xdeps
                    else:
                        path.private[c[1]] = new
                if i.dst is not None:
                    L[i.dst], T[i.dst] = result_value(i.result, old, new, x), xdeps
                return True
        except RmwError as err:
            raise EvalError(str(err)) from None
        cell = c[1]
        rtag, wtag = _RMW_TAGS[i.order]
        rtags = {"rmw", rtag} | ({"noreturn"} if i.result == "none" else set())
        nm = ctx.name(cell)
        for v in sorted(domains.get(cell, {ctx.init(cell)}), key=repr):
            p2 = _copy(path)
            L2, T2 = list(L), list(T)
            k = len(path.events)
            try:
                new = new_value(i.op, v, x, e)
                r = result_value(i.result, v, new, x)
            except RmwError as err:
                p2.faults.append(f"{i.loc}: {err}")
                out.append(p2)
                continue
            tags = rtags if new is not None else rtags | {"failed-rmw"}
            p2.events.append(PathEvent("R", cell, v, frozenset(tags), f"R[{'/'.join(sorted(tags))}] {nm}="
                                       f"{_show(v, ctx)}", i.loc.line, adeps, frozenset(), _union(ctrl)))
            if new is not None:
                p2.events.append(PathEvent("W", cell, new, frozenset(("rmw", wtag)), f"W[rmw/{wtag}] {nm}="
                                           f"{_show(new, ctx)}", i.loc.line, adeps, xdeps, _union(ctrl)))
                p2.rmw.append((k, k + 1))
            if i.dst is not None:
                L2[i.dst], T2[i.dst] = r, frozenset((k,))
            self._step(pc + 1, L2, T2, ctrl, p2, dict(visits), list(stack), domains, unwind, out, cut)
        return False

    def cell(self, a, k: int, i):
        """('local', offset) or ('global', offset) of cell k of the access at a."""
        if a.__class__ is not tuple:
            raise _Fault(f"'{i.text}' dereferences {a}" if a else f"'{i.text}' dereferences NULL")
        base, off = a
        if base == ir.GLOBAL:
            return ("global", off + k)
        if base == ir.local_base(self.tid):
            return ("local", off + k)
        raise Unsupported(f"{i.loc}: the axiomatic engine does not model heap objects ('{i.text}')")

    def local_read(self, c, L, T, path):
        if c[0] == "local":
            return L[c[1]], T[c[1]]
        return path.private.get(c[1], self.ctx.init(c[1])), frozenset()


class _Fault(Exception):
    pass


def _union(ctrl: tuple) -> frozenset:
    out = frozenset()
    for _, t in ctrl:
        out |= t
    return out


def _joins(code: list) -> dict:
    """pc of each branch -> its immediate post-dominator (where its arms join), or None."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_node("exit")
    for pc, i in enumerate(code):
        if isinstance(i, ir.Branch):
            succ = [i.target, i.other]
        elif isinstance(i, ir.Jump):
            succ = [i.target]
        elif isinstance(i, ir.End):
            succ = ["exit"]
        else:
            succ = [pc + 1]
        for s in succ:
            g.add_edge(s, pc)  # reversed: dominators of the reverse graph are post-dominators
    idom = nx.immediate_dominators(g, "exit")
    return {pc: (idom.get(pc) if idom.get(pc) != "exit" else None)
            for pc, i in enumerate(code) if isinstance(i, ir.Branch)}


def _copy(p: Path) -> Path:
    return Path(p.tid, list(p.events), list(p.rmw), list(p.rscs), dict(p.private), list(p.faults))


def _show(v, ctx) -> str:
    if v.__class__ is tuple and v[0] == ir.GLOBAL:
        return "&" + ctx.name(v[1])
    return str(v)


class Context:
    """What the paths need to know about the program: cell names, initial values, which cells
    are locks, RCU's srcu_struct, and private cells (a litmus test's register copies)."""

    def __init__(self, program: ir.Program, private=(), rcu=()):
        self.program = program
        self.private = frozenset(private)
        self.rcu = frozenset(rcu)
        self.locks = frozenset(_static_locks(program))

    def init(self, cell: int):
        return self.program.global_init[cell]

    def name(self, cell: int) -> str:
        return self.program.global_cells[cell].name


def _static_locks(program: ir.Program):
    for th in program.threads:
        for i in th.code:
            if isinstance(i, (ir.Lock, ir.Unlock)) and isinstance(i.addr, ir.GlobalAddr):
                yield i.addr.off


def _constants(program: ir.Program) -> set:
    """The integer constants of the threads' code."""
    out: set = set()

    def walk(e) -> None:
        if isinstance(e, ir.Const):
            if e.value.__class__ is int:
                out.add(e.value)
        elif isinstance(e, ir.PtrAdd):
            walk(e.ptr), walk(e.index)
        elif isinstance(e, ir.Bin):
            walk(e.left), walk(e.right)
        elif isinstance(e, ir.Un):
            walk(e.arg)
        elif isinstance(e, ir.Cond):
            walk(e.cond), walk(e.then), walk(e.other)

    for th in program.threads:
        for i in th.code:
            for name in ("expr", "cond", "addr", "operand", "expected"):
                e = getattr(i, name, None)
                if e is not None and not isinstance(e, (int, str)):
                    walk(e)
            for e in getattr(i, "values", ()) or ():
                walk(e)
    return out


def thread_paths(program: ir.Program, ctx: Context, unwind: int = DEFAULT_UNWIND) -> Paths:
    """Every path of every thread instance, with read values drawn from the domains' fixed point."""
    threads = []
    for th in program.threads:
        for k in range(th.instances):
            name = th.name if th.instances == 1 else f"{th.name}#{k}"
            threads.append((name, _Thread(program, th, len(threads), k, ctx)))
    # Seeds: a value can be written only when a read returns a value that is itself written
    # later (a cycle LKMM allows: load buffering through a control-hidden dependency), so the
    # fixed point from the initial values alone would miss it. Every cell some thread stores to
    # starts with the program's constants as well, the values such cycles are made of.
    consts = _constants(program)
    domains: dict = {}
    for _, t in threads:
        for i in t.th.code:
            if isinstance(i, (ir.Store, ir.Rmw)) and isinstance(i.addr, ir.GlobalAddr) and i.addr.off not in ctx.private:
                domains.setdefault(i.addr.off, {ctx.init(i.addr.off)}).update(consts)
    result = Paths([], [n for n, _ in threads])
    rounds = 0
    while True:
        per, cut = [], False
        for _, t in threads:
            ps, c = t.run(domains, unwind)
            per.append(ps)
            cut |= c
        # A value an execution reads is derived through at most as many events as the
        # execution has (reads-from and the thread's own computation, no value out of thin
        # air): after that many rounds every such value is in the domains. Values only
        # read-modify-write loops keep adding (a read of 5 incremented to 6, ...) are past
        # that bound and have no write to read them from.
        rounds += 1
        if rounds > sum(max((len(p.events) for p in ps), default=0) for ps in per) + 1:
            result.per_thread, result.cut = per, cut
            return result
        grown = False
        for ps in per:
            for p in ps:
                for e in p.events:
                    if e.kind == "W" and e.addr not in ctx.locks:
                        d = domains.setdefault(e.addr, {ctx.init(e.addr)})
                        if e.value not in d:
                            d.add(e.value)
                            grown = True
        if any(len(d) > MAX_DOMAIN for d in domains.values()):
            result.per_thread, result.cut, result.unbounded = per, cut, True
            return result
        if not grown:
            result.per_thread, result.cut = per, cut
            return result


__all__ = ["Path", "PathEvent", "Paths", "Context", "thread_paths", "Unsupported", "DEFAULT_UNWIND"]
