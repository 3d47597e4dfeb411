"""The program as a symbolic transition system: initial states, transitions, bad states.

Everything is built once over a generic pre-state (SymState 'pre'), generic choice
variables and a scheduler variable; bmc.py and prove.py instantiate it by substitution.

A transition is exactly one explicit-engine transition: the scheduled thread runs the
block of its resting pc (symexec.py), then, as the explicit engine's canonicalisation
does, heap objects that nothing reaches any more are reported (no-leak) and collected.
"""

from __future__ import annotations

import time

import z3

from rmapcheck.engines.z3 import terms as T
from rmapcheck.engines.z3.analysis import G as GBASE
from rmapcheck.engines.z3.analysis import Analysis, held_analysis
from rmapcheck.engines.z3.state import Layout, SymState, ThreadLayout
from rmapcheck.engines.z3.symexec import BlockExecutor
from rmapcheck.engines.z3.terms import INTB, NULL
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import live_in, successors

def _raw(fn):
    """The bare C function behind a z3core wrapper (no error check per call), if it has one."""
    try:
        return fn.__defaults__[0].f
    except (AttributeError, IndexError, TypeError):  # pragma: no cover - another z3 version
        return fn


_RAW = tuple(_raw(f) for f in (z3.z3core.Z3_get_ast_kind, z3.z3core.Z3_get_app_num_args,
                               z3.z3core.Z3_get_app_arg, z3.z3core.Z3_get_ast_id))

DEFAULT_MAX_CELLS = 4  # elements of an object whose size the analysis cannot bound (refined on demand)


class InitState:
    """The explicit engine's initial state, in the shape of a SymState (concrete values)."""

    def __init__(self, program: ir.Program, lay: Layout, nthreads: int):
        self.G = []
        for v in program.global_init:
            self.G.append(v if isinstance(v, tuple) else (INTB, v))
        self.alive = [False] * len(lay.objs)
        self.size = []
        self.cells = []
        for site, _ in lay.objs:
            pool, maxc, elem, sconst, _ = lay.sites[site]
            self.size.append(sconst if sconst is not None else 0)
            self.cells.append([NULL] * maxc)
        self.nxt = {s: 0 for s in lay.sites}
        self.pc = [0] * nthreads
        self.m = [{c: 0 for c in th.mcells} for th in lay.threads]
        self.s = [{c: 0 for c in th.scells} for th in lay.threads]
        self.wflag = [False] * nthreads
        self.waddr = [NULL] * nthreads
        self.wset = [[False] * nthreads for _ in range(nthreads)]
        self.faults = program.meta.faults


def _in_cycle(code: list) -> set:
    """pcs that lie on a cycle of the control-flow graph: the strongly connected components
    (networkx) of more than one pc, and the pcs that jump to themselves."""
    import networkx as nx

    n = len(code)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((pc, w) for pc in range(n) for w in successors(code, pc) if 0 <= w < n)
    out: set = set()
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1 or any(g.has_edge(v, v) for v in comp):
            out.update(comp)
    return out


def _solo_alloc_counts(program: ir.Program, nthreads: int, budget: int = 20_000) -> dict:
    """A guess of how many objects each allocation site produces: run every thread alone
    (the others never move) with the explicit executor and take, per site, the sum over
    threads of the most allocations along one run. Only a first pool size: reaching the
    pool's end is a limit, and the pool is enlarged."""
    from rmapcheck.engines.explicit.executor import Executor

    try:
        ex = Executor(program)
        inits = ex.initial_states()
    except Exception:  # noqa: BLE001 - a guess only
        return {}
    total: dict = {}
    for tid in range(nthreads):
        best: dict = {}
        seen = set()
        work = [(st, ()) for st, _ in inits]
        n = 0
        while work and n < budget:
            st, counts = work.pop()
            key = (st, counts)
            if key in seen:
                continue
            seen.add(key)
            n += 1
            if not ex.enabled(st, tid):
                continue
            for ch, _ in ex.transitions(st, tid):
                log: list = []
                try:
                    out = ex.run(st, tid, ch, log)
                except Exception:  # noqa: BLE001
                    continue
                nalloc = sum(1 for e in log if e[0] == "alloc")
                c = dict(counts)
                if nalloc:
                    for obj in out.heap_before[len(out.heap_before) - nalloc:]:
                        c[obj.site] = c.get(obj.site, 0) + 1
                for site, k in c.items():
                    best[site] = max(best.get(site, 0), k)
                if out.state is not None:
                    work.append((out.state, tuple(sorted(c.items()))))
        for site, k in best.items():
            total[site] = total.get(site, 0) + k
    return total


class BuildTimeout(Exception):
    """The deadline passed while the encoding was being built."""


class System:
    def __init__(self, program: ir.Program, pools: dict | None = None, max_cells: dict | None = None,
                 deadline: float | None = None):
        self.p = program
        self.deadline = deadline
        self.thr = [(th, k) for th in program.threads for k in range(th.instances)]
        self.n = len(self.thr)
        self.names = [th.name if th.instances == 1 else f"{th.name}.{k}" for th, k in self.thr]
        self.analysis = Analysis(program, self.thr)
        self._chv: dict = {}
        self.max_choices = 0
        self.lay = self._layout(pools or {}, max_cells or {})
        self.pre = SymState(self.lay, "pre")
        self.sched = T.IntVar("sched@pre")
        self.props = list(program.properties)
        self._build_held()
        self._build_blocks()
        self._build_transitions()
        self._build_state_preds()
        self._build_init()

    # -- helpers -----------------------------------------------------------------------------
    def tick(self) -> None:
        """Raise BuildTimeout once the deadline has passed (called between blocks)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise BuildTimeout("timeout while building the encoding")

    def thread_name(self, tid: int) -> str:
        return self.names[tid] if tid < self.n else "invariant"

    def choice_var(self, prefix: str, k: int):
        key = (prefix, k)
        v = self._chv.get(key)
        if v is None:
            v = self._chv[key] = T.IntVar(f"{prefix}{k}@pre")
        if prefix == "ch":
            self.max_choices = max(self.max_choices, k + 1)
        return v

    def ch_vars(self) -> list:
        return [self.choice_var("ch", k) for k in range(self.max_choices)]

    def init_choice_vars(self) -> list:
        return [v for (p, k), v in sorted(self._chv.items(), key=lambda x: (x[0][0], x[0][1])) if p != "ch"]

    def lock_name(self, cell) -> str:
        base, off = cell
        if base == ir.GLOBAL and 0 <= off < len(self.p.global_cells):
            return self.p.global_cells[off].name.rsplit(".__", 1)[0]
        if base >= 0:
            return f"heap lock +{off}"
        return str(cell)

    # -- layout ----------------------------------------------------------------------------------
    def _may_rest(self, t: int, pc: int, i, L) -> bool:
        if isinstance(i, ir.Jump):
            return i.target == pc
        if isinstance(i, ir.Branch):
            return i.target == pc or i.other == pc
        if not ir.is_scheduling_point(i, "sc"):
            return False
        if isinstance(i, (ir.Load, ir.Store)):
            a = self.analysis.ev(i.addr, L, t)
            if a.ints is None and a.ptrs and all(b == ("L", t) for b in a.ptrs):
                return False  # always the thread's own locals: never a scheduling point
        return True

    def _layout(self, pools: dict, max_cells: dict) -> Layout:
        an = self.analysis
        p = self.p
        g_ptr = [v.may_ptr() for v in an.globals_]
        # allocation sites, and a first guess of how many objects each can produce
        site_elem, guess = {}, {}
        for t, (th, _) in enumerate(self.thr):
            cyc = _in_cycle(th.code)
            for pc, i in enumerate(th.code):
                if isinstance(i, ir.Alloc) and an.thread_states[t][pc] is not None:
                    site_elem[i.site] = max(i.elem_cells, 1)
                    guess[i.site] = guess.get(i.site, 0) + (2 if pc in cyc else 1)
        solo = _solo_alloc_counts(p, len(self.thr))
        sites = {}
        for site in sorted(site_elem):
            elem = site_elem[site]
            cnt = an.site_count.get(site)
            pool = pools.get(site, max(1, solo.get(site, guess[site])))
            sconst = None
            if site in max_cells:
                maxc = max_cells[site]
            elif cnt is not None and cnt[1] is not None and cnt[1] <= 4096:
                maxc = cnt[1] * elem
                if cnt[0] == cnt[1]:
                    sconst = maxc
            else:
                maxc = DEFAULT_MAX_CELLS * elem
            fields = an.heap.get(site, [])
            cptr = [fields[f].may_ptr() if f < len(fields) else False for f in range(elem)]
            sites[site] = (pool, maxc, elem, sconst, cptr)
        objs, site_base = [], {}
        for site in sorted(sites):
            site_base[site] = len(objs)
            objs.extend((site, j) for j in range(sites[site][0]))
        lay = Layout(len(g_ptr), g_ptr, sites, objs, site_base, [], p.meta.faults)
        self.lay = lay
        for t, (th, _) in enumerate(self.thr):
            code = th.code
            states = an.thread_states[t]
            live = live_in(code, th.escaped)
            rest = [pc for pc, i in enumerate(code) if states[pc] is not None and self._may_rest(t, pc, i, states[pc])]
            # pack the live locals of resting pcs into slots
            nb = [0] * th.nlocals
            used = 0
            for q in rest:
                m = live[q]
                used |= m
                for k in range(th.nlocals):
                    if (m >> k) & 1:
                        nb[k] |= m
            color: dict = {}
            for k in range(th.nlocals):
                if not (used >> k) & 1:
                    continue
                # a slot holds locals of one kind (pointer-typed or not): the leak scan, like the
                # explicit engine's, only looks at pointer-typed locals
                isp = th.local_cells[k].is_pointer
                taken = {color[j] for j in color if (nb[k] >> j) & 1 or th.local_cells[j].is_pointer != isp}
                c = 0
                while c in taken:
                    c += 1
                color[k] = c
            nslots = max(color.values()) + 1 if color else 0
            slot_ptr = [False] * nslots
            for q in rest:
                for k, c in color.items():
                    if (live[q] >> k) & 1 and states[q][k].may_ptr():
                        slot_ptr[c] = True
            lay.threads.append(ThreadLayout(t, self.names[t], th.nlocals, color, slot_ptr, live, rest,
                                            [], [], any(isinstance(i, ir.SrcuSync) for i in code)))
        # candidate lock cells of each thread
        for t, (th, _) in enumerate(self.thr):
            ex = BlockExecutor(self, t, th.code, th.nlocals, an.thread_states[t])
            mc, sc = [], []
            for pc, i in enumerate(th.code):
                if an.thread_states[t][pc] is None:
                    continue
                if isinstance(i, ir.Lock):
                    mc.extend((b, o) for b, o, _ in ex.candidates(i.addr, pc, 1))
                elif isinstance(i, ir.SrcuReadLock):
                    sc.extend((b, o) for b, o, _ in ex.candidates(i.addr, pc, 1))
            lay.threads[t].mcells = sorted(set(mc))
            lay.threads[t].scells = sorted(set(sc))
        lay.srcu_cells = sorted({c for th in lay.threads for c in th.scells})
        return lay

    def _build_held(self) -> None:
        self.held = []
        for t, (th, _) in enumerate(self.thr):
            tl = self.lay.threads[t]
            ex = BlockExecutor(self, t, th.code, th.nlocals, self.analysis.thread_states[t])

            def cands(pc, ex=ex, code=th.code):
                return [(b, o) for b, o, _ in ex.candidates(code[pc].addr, pc, 1)]

            self.held.append(held_analysis(th.code, self.analysis.thread_states[t], cands, tl.mcells, tl.scells))

    # -- value facts from the analysis (used only to prune paths into limits) ---------------------
    def fact(self, v, av):
        if av.is_bottom():
            return True
        b, o = v
        cases = []
        def bound(lo, hi):
            return T.conj(True if lo is None or not T.fits(lo) else T.le(lo, o),
                          True if hi is None or not T.fits(hi) else T.le(o, hi))

        if av.ints is not None:
            lo, hi = av.ints
            cases.append(T.conj(T.eq(b, INTB), bound(lo, hi)))
        for base, (lo, hi, _st) in av.ptrs.items():
            if base == GBASE:
                bc = T.eq(b, ir.GLOBAL)
            elif base[0] == "L":
                bc = T.eq(b, ir.local_base(base[1]))
            else:
                site = base[1]
                if site not in self.lay.sites:
                    continue
                ids = self.lay.obj_ids(site)
                bc = T.conj(T.le(ids.start, b), T.lt(b, ids.stop))
            cases.append(T.conj(bc, bound(lo, hi)))
        return T.disj(*cases)

    def pre_locals(self, t: int, pc: int, st=None) -> list:
        st = st or self.pre
        th = self.lay.threads[t]
        L = [NULL] * th.nlocals
        m = th.live[pc]
        for k, c in th.color.items():
            if (m >> k) & 1:
                L[k] = st.slots[t][c]
        return L

    def _facts(self, t: int, pc: int, L: list):
        an = self.analysis
        st = an.thread_states[t][pc]
        fs = []
        m = self.lay.threads[t].live[pc]
        for k in range(len(L)):
            if (m >> k) & 1:
                fs.append(self.fact(L[k], st[k]))
        for k, av in enumerate(an.globals_):
            fs.append(self.fact(self.pre.G[k], av))
        return T.conj(*fs)

    # -- blocks ---------------------------------------------------------------------------------
    def _build_blocks(self) -> None:
        an = self.analysis
        self.blocks = []
        self.executors = []
        for t, (th, _) in enumerate(self.thr):
            ex = BlockExecutor(self, t, th.code, th.nlocals, an.thread_states[t])
            self.executors.append(ex)
            bl = {}
            for p in self.lay.threads[t].rest:
                self.tick()
                L = self.pre_locals(t, p)
                bl[p] = ex.run(self.pre, p, L, facts=self._facts(t, p, L))
            self.blocks.append(bl)

    def post_values(self, t: int, o, base_state=None):
        """Changed state variables after a successful outcome: ({key: term}, encoding-limit cond)."""
        st = base_state or self.pre
        path = o.path
        th = self.lay.threads[t]
        out = {}
        lim = []

        def put_val(key, v, ptr: bool):
            if ptr:
                out[key + ("b",)] = v[0]
            else:
                bad = T.ne(v[0], INTB)
                if bad is not False:
                    lim.append(bad)
            out[key + ("o",)] = v[1]

        out[("pc", t)] = o.pc if o.kind == "rest" else -1
        live = th.live[o.pc] if o.kind == "rest" else 0
        for c in range(len(th.slot_ptr)):
            val = NULL
            for k, cc in th.color.items():
                if cc == c and (live >> k) & 1:
                    val = path.L[k]
                    break
            put_val(("slot", t, c), val, th.slot_ptr[c])
        for k, v in path.G.items():
            put_val(("g", k), v, self.lay.g_ptr[k])
        for oid, v in path.alive.items():
            out[("alive", oid)] = v
        for oid, v in path.size.items():
            out[("size", oid)] = v
        for (oid, c), v in path.cells.items():
            site = self.lay.objs[oid][0]
            elem = self.lay.sites[site][2]
            put_val(("cell", oid, c), v, self.lay.sites[site][4][c % elem])
        for site, v in path.nxt.items():
            out[("next", site)] = v
        for cell, v in path.m.items():
            out[("m", t, cell)] = v
        for cell, v in path.s.items():
            out[("s", t, cell)] = v
        if path.wait is not None and th.waits:
            f, a, ws = path.wait
            out[("wflag", t)] = f
            out[("waddr", t, "b")] = a[0]
            out[("waddr", t, "o")] = a[1]
            for u, w in enumerate(ws):
                out[("wset", t, u)] = w
        for (u, tt), v in path.owset.items():
            out[("wset", u, tt)] = v
        if self.lay.faults > 0:
            out[("faults",)] = path.faults
        # drop identities
        res = {}
        for k, v in out.items():
            cur = st.var(k)
            if cur is None:
                continue
            if v is cur:
                continue
            if isinstance(cur, z3.ExprRef) and isinstance(v, z3.ExprRef) and cur.eq(v):
                continue
            res[k] = v
        return res, T.disj(*lim)

    def _build_transitions(self) -> None:
        pre = self.pre
        self.en, self.ok, self.midt = [], [], []
        self.bad_step = {}  # prop -> [term per thread]
        self.limit_step = []  # per thread: [(cond, msg)]
        self.footprint = {}  # (t, resting pc) -> (state keys the block reads, state keys it writes)
        self._key_of_var = {v.get_id(): k for k, v in zip(pre.keys, pre.vars)}
        self._keys_memo: dict = {}
        for t in range(self.n):
            en_parts, ok_parts, lim = [], [], []
            per_key: dict = {}
            bad: dict = {}
            for p, outs in self.blocks[t].items():
                self.tick()
                atp = T.eq(pre.pc[t], p)
                en_p = self._enabled_at(t, p)
                en_parts.append(T.conj(atp, en_p))
                ev_groups: dict = {}
                fp_terms = [en_p]
                fp_w: set = set()
                for o in outs:
                    fp_terms.append(o.guard)
                    fp_terms.extend(c for _, c, _ in o.events)
                    if o.kind in ("rest", "end"):
                        ok_parts.append(T.conj(atp, o.guard))
                        vals, enc = self.post_values(t, o)
                        fp_w.update(vals)
                        fp_terms.extend(vals.values())
                        for k, v in vals.items():
                            per_key.setdefault(k, []).append((T.conj(atp, o.guard), v))
                        if enc is not False:
                            lim.append((T.conj(atp, o.guard, enc), "a pointer stored in a cell the analysis says holds integers", None))
                    elif o.kind == "stop":
                        bad.setdefault(o.prop, []).append(T.conj(atp, o.guard))
                    elif o.kind == "limit":
                        lim.append((T.conj(atp, o.guard), o.msg, o.tag))
                    if o.kind in ("rest", "end", "stop"):
                        for ev in o.events:
                            g = ev_groups.setdefault(id(ev), (ev, []))
                            g[1].append(o.guard)
                for ev, gs in ev_groups.values():
                    prop, cond, _ = ev
                    bad.setdefault(prop, []).append(T.conj(atp, cond, T.disj(*gs)))
                self.footprint[(t, p)] = (self._keys_of(fp_terms), frozenset(fp_w))
            en = T.disj(*en_parts)
            self.en.append(en)
            self.ok.append(T.disj(*ok_parts))
            mid = {}
            for k, lst in per_key.items():
                v = pre.var(k)
                for c, val in reversed(lst):
                    v = T.ite(c, val, v)
                mid[k] = v
            self.midt.append(mid)
            for prop, lst in bad.items():
                self.bad_step.setdefault(prop, [False] * self.n)[t] = T.conj(en, T.disj(*lst))
            self.limit_step.append([(T.conj(en, c), m, tag) for c, m, tag in lim])

    def _keys_of(self, terms) -> frozenset:
        """The state keys (of the pre-state) that occur in these terms.

        Bottom-up over the term DAG with one memo for the whole system (blocks share most of
        their subterms), through z3's C API directly: the Python wrappers cost far more."""
        kv = self._key_of_var
        memo = self._keys_memo
        kind_of, nargs, arg, ast_id = _RAW
        out = set()
        for x in terms:
            if not isinstance(x, z3.ExprRef):
                continue
            ctx = x.ctx.ref()
            root = x.as_ast()
            rid = ast_id(ctx, root)
            if rid in memo:
                out |= memo[rid]
                continue
            stack = [(root, rid, False)]
            while stack:
                a, i, done = stack.pop()
                if i in memo:
                    continue
                if kind_of(ctx, a) != 1:  # not an application: numerals, ...
                    memo[i] = frozenset()
                    continue
                n = nargs(ctx, a)
                if n == 0:
                    k = kv.get(i)
                    memo[i] = frozenset((k,)) if k is not None else frozenset()
                    continue
                args = [arg(ctx, a, j) for j in range(n)]
                ids = [ast_id(ctx, b) for b in args]
                if done:
                    acc = set()
                    for j in ids:
                        acc |= memo[j]
                    memo[i] = frozenset(acc)
                    continue
                stack.append((a, i, True))
                for b, j in zip(args, ids):
                    if j not in memo:
                        stack.append((b, j, False))
            out |= memo[rid]
        return frozenset(out)

    def independent(self, a: tuple, b: tuple) -> bool:
        """Blocks a = (t, pc) and b of two threads commute: neither writes a state variable the
        other reads or writes. Collecting unreachable objects after a step is left out: a
        block only reaches objects through the variables it reads, so an object one block
        makes unreachable is one the other does not use, and the objects both orders collect
        are the same (those unreachable at the end)."""
        ra, wa = self.footprint[a]
        rb, wb = self.footprint[b]
        return not (wa & rb or wa & wb or ra & wb)

    def commuting_order(self, sched0, sched1, st=None):
        """Over a state st (default: pre) and the scheduler choices of two consecutive steps
        from it: False when the two steps are of threads t1 > t2 whose blocks commute.

        Every path of k steps can be rewritten, by swapping adjacent commuting steps, into
        one of the same length, ending in the same state, where no such pair occurs (the
        lexicographically least of its equivalence class): assuming this for the steps of a
        bounded unrolling keeps every state at every depth, and so the shortest violations."""
        st = st or self.pre
        bad = []
        for t1 in range(self.n):
            for t2 in range(t1):
                cases = []
                for p1 in self.lay.threads[t1].rest:
                    if (t1, p1) not in self.footprint:
                        continue
                    ind = [p2 for p2 in self.lay.threads[t2].rest
                           if (t2, p2) in self.footprint and self.independent((t1, p1), (t2, p2))]
                    if ind:
                        cases.append(T.conj(T.eq(st.pc[t1], p1), T.disj(*[T.eq(st.pc[t2], p2) for p2 in ind])))
                c = T.disj(*cases)
                if c is not False:
                    bad.append(T.conj(T.eq(sched0, t1), T.eq(sched1, t2), c))
        return T.neg(T.disj(*bad))

    def _enabled_at(self, t: int, p: int):
        th, _ = self.thr[t]
        i = th.code[p]
        pre = self.pre
        if isinstance(i, ir.SrcuSync):
            return T.disj(T.neg(pre.wflag[t]), T.conj(*[T.neg(w) for w in pre.wset[t]]))
        if isinstance(i, ir.Lock):
            ex = self.executors[t] if len(self.executors) > t else BlockExecutor(self, t, th.code, th.nlocals, self.analysis.thread_states[t])
            path = ex.start(pre, p, self.pre_locals(t, p))
            a, err, _ = ex.ev(i.addr, path)
            b, o = a
            free = [T.eq(b, INTB)]  # not a pointer: the step runs and reports it
            # globals: in range and 0
            isG = T.eq(b, ir.GLOBAL)
            gcases = []
            for cb, co, ref in ex.candidates(i.addr, p, 1):
                c = T.conj(T.eq(b, cb), T.eq(o, co))
                if c is False:
                    continue
                if cb >= 0:
                    al = pre.alive[cb]
                    inr = T.lt(co, pre.size[cb])
                    free.append(T.conj(c, T.disj(T.neg(al), T.neg(inr), T.v_eq(pre.cells[cb][co], NULL))))
                elif cb == ir.GLOBAL:
                    gcases.append(c)
                    free.append(T.conj(c, T.v_eq(pre.G[co], NULL)))
                else:
                    free.append(c)
            # heap objects outside the candidates, bad offsets: enabled (the step reports them)
            known = T.disj(*[T.conj(T.eq(b, cb), T.eq(o, co)) for cb, co, _ in ex.candidates(i.addr, p, 1)])
            free.append(T.conj(T.neg(isG), T.neg(known), T.ne(b, INTB)))
            return T.disj(*free)
        return True

    # -- state predicates -----------------------------------------------------------------------
    def _build_state_preds(self) -> None:
        pre = self.pre
        self.bad_state: dict = {}
        self.limit_state: list = []
        # invariants
        pseudo = self.n
        for k, inv in enumerate(self.p.invariants):
            ex = BlockExecutor(self, pseudo, inv.code, inv.nlocals, self.analysis.inv_states[k], invariant=True)
            outs = ex.run(pre, 0, [NULL] * inv.nlocals)
            for o in outs:
                if o.kind == "stop":
                    self.bad_state.setdefault(o.prop, []).append((o.guard, f"invariant {inv.func}()"))
                elif o.kind == "limit":
                    self.limit_state.append((o.guard, o.msg, o.tag))
        # deadlock
        alive = T.disj(*[T.le(0, pre.pc[t]) for t in range(self.n)])
        self.deadlock = T.conj(alive, *[T.neg(e) for e in self.en])
        # lock-order edges: a thread holding A about to lock B or wait in synchronize_srcu(B)
        self.edges: dict = {}
        for t, (th, _) in enumerate(self.thr):
            tl = self.lay.threads[t]
            if not tl.mcells and not tl.scells:
                continue
            ex = self.executors[t]
            for p in tl.rest:
                i = th.code[p]
                if isinstance(i, ir.Lock):
                    tk, extra = "lock", True
                elif isinstance(i, ir.SrcuSync):
                    tk, extra = "sync", T.neg(pre.wflag[t])
                else:
                    continue
                path = ex.start(pre, p, self.pre_locals(t, p))
                a, err, _ = ex.ev(i.addr, path)
                atp = T.eq(pre.pc[t], p)
                for cb, co, _ in ex.candidates(i.addr, p, 1):
                    tc = T.conj(T.eq(a[0], cb), T.eq(a[1], co))
                    if tc is False:
                        continue
                    dst = self.lock_name((cb, co))
                    for kind, cells, cnt in (("m", tl.mcells, pre.m[t]), ("s", tl.scells, pre.s[t])):
                        for h in cells:
                            src = self.lock_name(h)
                            if kind == "s" and tk == "lock" and src == dst:
                                continue
                            c = T.conj(atp, extra, tc, T.lt(0, cnt[h]))
                            self.edges.setdefault((src, dst), []).append(c)
        self.edges = {k: T.disj(*v) for k, v in self.edges.items()}

    def state_bad(self, prop: str):
        if prop == ir.P_DEADLOCK:
            return self.deadlock
        return T.disj(*[g for g, _ in self.bad_state.get(prop, [])])

    def step_bad(self, prop: str, sched=None, per_thread: int | None = None):
        """The transition (of the scheduled thread) violates prop; no-leak is handled apart."""
        sched = self.sched if sched is None else sched
        lst = self.bad_step.get(prop)
        if not lst:
            return False
        if per_thread is not None:
            return lst[per_thread]
        return T.disj(*[T.conj(T.eq(sched, t), lst[t]) for t in range(self.n) if lst[t] is not False])

    def step_limit(self, per_thread: int | None = None):
        ts = range(self.n) if per_thread is None else [per_thread]
        parts = []
        for t in ts:
            c = T.disj(*[c for c, _, _ in self.limit_step[t]])
            if c is not False:
                parts.append(c if per_thread is not None else T.conj(T.eq(self.sched, t), c))
        return T.disj(*parts)

    def state_limit(self):
        return T.disj(*[g for g, _, _ in self.limit_state])

    # -- mid state, leaks and collection ------------------------------------------------------------
    def mid_values(self, per_thread: int | None = None) -> dict:
        pre = self.pre
        mid = {}
        ts = range(self.n) if per_thread is None else [per_thread]
        keys = set()
        for t in ts:
            keys.update(self.midt[t])
        for k in keys:
            v = pre.var(k)
            for t in ts:
                if k in self.midt[t]:
                    v = self.midt[t][k] if per_thread is not None else T.ite(T.eq(self.sched, t), self.midt[t][k], v)
            mid[k] = v
        return mid

    def _site_rounds(self) -> int:
        an = self.analysis
        sites = list(self.lay.sites)
        edges = {s: set() for s in sites}
        for s in sites:
            for av in an.heap.get(s, []):
                for base in av.ptrs:
                    if base[0] == "H" and base[1] in edges:
                        edges[s].add(base[1])
        # longest path (in edges) in the site graph; a cycle: every object may chain
        memo, onstack = {}, set()

        def longest(s):
            if s in memo:
                return memo[s]
            if s in onstack:
                raise ValueError
            onstack.add(s)
            r = 0
            for d in edges[s]:
                r = max(r, 1 + longest(d))
            onstack.discard(s)
            memo[s] = r
            return r

        try:
            return max((longest(s) for s in sites), default=0)
        except ValueError:
            return len(self.lay.objs)

    def reach(self, get) -> list:
        """For every pool object: is it reachable from the roots (get(key) -> term of the state)?"""
        lay = self.lay
        nobj = len(lay.objs)
        if nobj == 0:
            return []

        def val(key, ptr):
            return (get(key + ("b",)) if ptr else INTB, get(key + ("o",)))

        roots = []
        gcells = self.p.global_cells
        for k in range(lay.nG):
            if lay.g_ptr[k] and gcells[k].is_pointer:
                roots.append(get(("g", k, "b")))
        held = [[] for _ in range(nobj)]
        for th in lay.threads:
            t = th.tid
            lcells = self.thr[t][0].local_cells
            for c, ptr in enumerate(th.slot_ptr):
                if ptr and any(cc == c and lcells[k].is_pointer for k, cc in th.color.items()):
                    roots.append(get(("slot", t, c, "b")))
            if th.waits:
                roots.append(T.ite(get(("wflag", t)), get(("waddr", t, "b")), INTB))
            for kind, cells in (("m", th.mcells), ("s", th.scells)):
                for cell in cells:
                    if cell[0] >= 0:
                        held[cell[0]].append(T.lt(0, get((kind, t, cell))))
        r = []
        for j in range(nobj):
            r.append(T.disj(*[T.eq(b, j) for b in roots], *held[j]))
        ptr_cells = []
        for oid, (site, _) in enumerate(lay.objs):
            pool, maxc, elem, _, cptr = lay.sites[site]
            if not getattr(self.p.sites[site], "has_pointers", True):
                ptr_cells.append([])
                continue
            ptr_cells.append([get(("cell", oid, c, "b")) for c in range(maxc) if cptr[c % elem]])
        for _ in range(self._site_rounds()):
            nr = []
            for j in range(nobj):
                parts = [r[j]]
                for oid in range(nobj):
                    if not ptr_cells[oid]:
                        continue
                    via = T.disj(*[T.eq(b, j) for b in ptr_cells[oid]])
                    if via is False:
                        continue
                    parts.append(T.conj(r[oid], get(("alive", oid)), via))
                nr.append(T.disj(*parts))
            r = nr
        return r

    def transition(self, post: SymState, per_thread: int | None = None, collect: bool = True):
        """(formula over pre, choices, sched, post; leak condition over the same).

        collect=False keeps unreachable objects alive instead of collecting them (no leak
        condition then: see leaked()). Nothing can reach such an object again (allocation
        never reuses a pool object), so every property but no-leak is unchanged, and the
        step formula loses the reachability terms, a third of its size on the KVM models."""
        pre = self.pre
        mid = self.mid_values(per_thread)

        def get(k):
            v = mid.get(k)
            return pre.var(k) if v is None else v

        reach = self.reach(get) if collect else None
        leak = self._garbage(get, reach) if collect else []
        eqs = []
        for k, var in zip(post.keys, post.vars):
            v = get(k)
            if k[0] == "alive" and collect:
                v = T.conj(v, reach[k[1]])
            eqs.append(var == T.Z(v) if not isinstance(v, bool) else var == z3.BoolVal(v))
        if per_thread is not None:
            t = per_thread
            guard = T.conj(self.en[t], self.ok[t])
        else:
            guard = T.conj(T.le(0, self.sched), T.lt(self.sched, self.n),
                           T.disj(*[T.conj(T.eq(self.sched, t), self.en[t], self.ok[t]) for t in range(self.n)]))
        return T.conj(guard, *eqs), T.conj(guard, T.disj(*leak))

    def leaked(self, st: SymState):
        """Some object is alive but unreachable in st: with collect=False, true from the
        step that made an object unreachable on (garbage stays garbage), so the first depth
        where it holds is the length of the explicit engine's no-leak trace."""
        return T.disj(*self._garbage(st.var, self.reach(st.var)))

    @staticmethod
    def _garbage(get, reach: list) -> list:
        """Per pool object: it is alive and not reachable (get(key) -> term of the state)."""
        return [T.conj(get(("alive", j)), T.neg(r)) for j, r in enumerate(reach)]

    # -- initial states ---------------------------------------------------------------------------------
    def _build_init(self) -> None:
        init = InitState(self.p, self.lay, self.n)
        self.init_state = init
        vals: dict = {}
        oks = []
        self.init_bad: dict = {}
        self.init_limit: list = []
        self.init_stop: list = []  # (prop, condition over init choices, tid, message)
        self.init_outcomes = []
        for t, (th, inst) in enumerate(self.thr):
            L = [NULL] * th.nlocals
            if th.param_cell is not None:
                L[th.param_cell] = (INTB, inst)
            if ir.is_scheduling_point(th.code[0], "sc"):
                self.init_outcomes.append(None)
                tl = self.lay.threads[t]
                for c in range(len(tl.slot_ptr)):
                    val = NULL
                    for k, cc in tl.color.items():
                        if cc == c and (tl.live[0] >> k) & 1:
                            val = L[k]
                    vals[("slot", t, c, "o")] = val[1]
                    if tl.slot_ptr[c]:
                        vals[("slot", t, c, "b")] = val[0]
                continue
            ex = BlockExecutor(self, t, th.code, th.nlocals, self.analysis.thread_states[t])
            outs = ex.run(init, 0, L, leading=True, choice_prefix=f"ich{t}_")
            self.init_outcomes.append(outs)
            ok = []
            per_key: dict = {}
            for o in outs:
                if o.kind in ("rest", "end"):
                    ok.append(o.guard)
                    pv, enc = self.post_values(t, o, base_state=self.pre)
                    # post_values dropped keys equal to pre vars; re-add every thread-local key
                    for k, v in pv.items():
                        per_key.setdefault(k, []).append((o.guard, v))
                    if enc is not False:
                        self.init_limit.append((T.conj(o.guard, enc), "a pointer in an integer slot", None))
                    for prop, cond, msg in o.events:
                        self.init_bad.setdefault(prop, []).append(T.conj(o.guard, cond))
                elif o.kind == "limit":
                    self.init_limit.append((o.guard, o.msg, o.tag))
                elif o.kind == "stop":
                    # a violation before the thread's first shared step (Path init -1)
                    prior = T.conj(*oks)
                    self.init_stop.append((o.prop, T.conj(prior, o.guard), t, o.msg))
            oks.append(T.disj(*ok))
            for k, lst in per_key.items():
                v = self._init_default(init, k)
                for c, val in reversed(lst):
                    v = T.ite(c, val, v)
                vals[k] = v
        self.init_ok = T.conj(*oks)
        self.init_vals = vals

    def init_labels(self, model, upto: int, stop_prop: str | None = None) -> list:
        """The leading-step labels of threads 0..upto in a model of the init choices."""
        labels = []
        for t in range(upto + 1):
            outs = self.init_outcomes[t]
            if outs is None:
                continue
            found = None
            for o in outs:
                if t == upto and stop_prop is not None:
                    if o.kind != "stop" or o.prop != stop_prop:
                        continue
                elif o.kind not in ("rest", "end"):
                    continue
                g = o.guard if not isinstance(o.guard, bool) else z3.BoolVal(o.guard)
                if z3.is_true(model.eval(g, model_completion=True)):
                    found = o
                    break
            if found is None:
                return None
            labels.append((t, tuple(model.eval(v, model_completion=True).as_long() if not isinstance(v, int) else v
                                    for v, _, _ in found.choices)))
        return labels

    def init_formula(self, s: SymState):
        """Initial states over s (and the init choice variables)."""
        init = self.init_state
        eqs = []
        for k, var in zip(s.keys, s.vars):
            if k in self.init_vals:
                v = self.init_vals[k]
            else:
                v = self._init_default(init, k)
            eqs.append(var == (z3.BoolVal(v) if isinstance(v, bool) else T.Z(v)))
        return T.conj(self.init_ok, *eqs)

    def _init_default(self, init: InitState, k):
        kind = k[0]
        if kind == "g":
            v = init.G[k[1]]
            return v[0] if k[2] == "b" else v[1]
        if kind == "alive":
            return False
        if kind == "size":
            return 0
        if kind == "cell":
            return INTB if k[3] == "b" else 0
        if kind == "next":
            return 0
        if kind == "pc":
            return 0
        if kind == "slot":
            return INTB if k[3] == "b" else 0
        if kind in ("m", "s"):
            return 0
        if kind == "wflag" or kind == "wset":
            return False
        if kind == "waddr":
            return INTB if k[2] == "b" else 0
        if kind == "faults":
            return init.faults
        raise KeyError(k)



# -- candidate invariants, kept when inductive (Houdini) -------------------------------------

def _candidate_facts(self, st) -> list:
    """Simple facts every reachable state should satisfy: [(label, formula over st)].

    They come from the static analysis (value ranges per cell, per resting pc), from a
    lockset analysis (how many times each lock is held at each pc), and from how the
    encoding works (mutex owner cells, synchronize_srcu bookkeeping, heap pool order).
    None is trusted: houdini() keeps the largest subset that is inductive.
    """
    an = self.analysis
    lay = self.lay
    out = []
    for k, av in enumerate(an.globals_):
        out.append((("g", k), self.fact(st.G[k], av)))
    for oid, (site, j) in enumerate(lay.objs):
        pool, maxc, elem, sconst, _ = lay.sites[site]
        fields = an.heap.get(site, [])
        for c in range(maxc):
            f = c % elem
            if f < len(fields):
                out.append((("cell", oid, c), self.fact(st.cells[oid][c], fields[f])))
        if sconst is None:
            out.append((("size", oid), T.conj(T.le(0, st.size[oid]), T.le(st.size[oid], maxc))))
        out.append((("pool", oid), T.disj(T.neg(st.alive[oid]), T.lt(j, st.nxt[site]))))
    for site in lay.sites:
        out.append((("next", site), T.conj(T.le(0, st.nxt[site]), T.le(st.nxt[site], lay.sites[site][0]))))
    mutex_cells = set()
    for t, tl in enumerate(lay.threads):
        th = self.thr[t][0]
        states = an.thread_states[t]
        out.append((("pcs", t), T.disj(T.eq(st.pc[t], -1), *[T.eq(st.pc[t], p) for p in tl.rest])))
        held = self.held[t]
        ends = [pc for pc, i in enumerate(th.code) if isinstance(i, ir.End) and held[pc] is not None]
        for p in tl.rest + [-1]:
            atp = T.eq(st.pc[t], p)
            if p >= 0:
                L = self.pre_locals(t, p, st)
                m = tl.live[p]
                lf = [self.fact(L[k], states[p][k]) for k in range(len(L)) if (m >> k) & 1]
                out.append((("locals", t, p), T.disj(T.neg(atp), T.conj(*lf))))
                hs = [held[p]] if held[p] is not None else []
            else:
                hs = [held[q] for q in ends]
            for kind, cells, cnt in (("m", tl.mcells, st.m[t]), ("s", tl.scells, st.s[t])):
                for cell in cells:
                    iv = None
                    for h in hs:
                        x = h.get((kind, cell))
                        if x is None:
                            continue
                        iv = x if iv is None else (min(iv[0], x[0]), None if iv[1] is None or x[1] is None else max(iv[1], x[1]))
                    if iv is None:
                        continue
                    lo, hi = iv
                    out.append((("held", t, p, kind, cell), T.disj(T.neg(atp), T.conj(T.le(lo, cnt[cell]), True if hi is None else T.le(cnt[cell], hi)))))
        for kind, cells, cnt in (("m", tl.mcells, st.m[t]), ("s", tl.scells, st.s[t])):
            for cell in cells:
                out.append((("held>=0", t, kind, cell), T.le(0, cnt[cell])))
        for cell in tl.mcells:
            out.append((("held<=1", t, cell), T.le(st.m[t][cell], 1)))
            if cell[0] == ir.GLOBAL:
                mutex_cells.add(cell)
                own = T.v_eq(st.G[cell[1]], (INTB, t + 1))
                out.append((("owner", t, cell), own == T.B(T.lt(0, st.m[t][cell]))))
        if tl.waits:
            syncs = [p for p in tl.rest if isinstance(th.code[p], ir.SrcuSync)]
            notsync = T.conj(*[T.ne(st.pc[t], p) for p in syncs])
            idle = T.conj(T.neg(st.wflag[t]), *[T.neg(w) for w in st.wset[t]], T.v_eq(st.waddr[t], NULL))
            out.append((("nowait", t), T.disj(T.neg(notsync), idle)))
            out.append((("waitclear", t), T.disj(st.wflag[t], idle)))
            for u, w in enumerate(st.wset[t]):
                ul = lay.threads[u]
                reads = [T.conj(T.v_eq(st.waddr[t], c), T.lt(0, st.s[u][c])) for c in ul.scells]
                out.append((("waitfor", t, u), T.disj(T.neg(w), *reads)))
    for cell in mutex_cells:
        holders = [T.lt(0, st.m[t][cell]) for t, tl in enumerate(lay.threads) if cell in tl.mcells]
        out.append((("free", cell), T.B(T.v_eq(st.G[cell[1]], NULL)) == T.B(T.neg(T.disj(*holders)))))
    if lay.faults > 0:
        out.append((("faults",), T.conj(T.le(0, st.faults), T.le(st.faults, lay.faults))))
    return [(lab, f) for lab, f in out if f is not True]


def _houdini(self, deadline: float | None = None, collect: bool = True) -> dict:
    """Drop candidate facts until the rest is inductive; sets self.inv_labels.

    collect: of the transition the facts must be inductive for (BMC unrolls the one
    without collection, System.transition)."""
    import time as _time

    pre = self.pre
    post = SymState(self.lay, "hpost")
    cpre = self.candidate_facts(pre)
    cpost = dict(self.candidate_facts(post))
    alive = {lab: f for lab, f in cpre if lab in cpost}
    stats = {"candidates": len(alive), "rounds": 0}
    sl = z3.Solver()

    def budget():
        if deadline is None:
            return 60_000
        return max(1, min(60_000, int((deadline - _time.monotonic()) * 1000)))

    # initial states
    init = T.B(self.init_formula(pre))
    while alive:
        sl.set("timeout", budget())
        sl.push()
        sl.add(init, z3.Not(z3.And(*[T.B(f) for f in alive.values()])))
        r = sl.check()
        m = sl.model() if r == z3.sat else None
        sl.pop()
        stats["rounds"] += 1
        if r == z3.unsat:
            break
        if r != z3.sat:
            alive = {}
            break
        alive = {lab: f for lab, f in alive.items() if z3.is_true(m.eval(T.B(f), model_completion=True))}
    tr, _ = self.transition(post, collect=collect)
    tr = T.B(tr)
    while alive:
        sl.set("timeout", budget())
        sl.push()
        sl.add(*[T.B(f) for f in alive.values()])
        sl.add(tr)
        sl.add(z3.Not(z3.And(*[T.B(cpost[lab]) for lab in alive])))
        r = sl.check()
        m = sl.model() if r == z3.sat else None
        sl.pop()
        stats["rounds"] += 1
        if r == z3.unsat:
            break
        if r != z3.sat:
            alive = {}
            break
        alive = {lab: f for lab, f in alive.items() if z3.is_true(m.eval(T.B(cpost[lab]), model_completion=True))}
    self.inv_labels = set(alive)
    stats["kept"] = len(alive)
    self.houdini_stats = stats
    return stats


def _invariant_facts(self, st):
    """The facts houdini() proved inductive, over state st (True before houdini ran)."""
    labels = getattr(self, "inv_labels", None)
    if not labels:
        return True
    return T.conj(*[f for lab, f in self.candidate_facts(st) if lab in labels])


System.candidate_facts = _candidate_facts
System.houdini = _houdini
System.invariant_facts = _invariant_facts
