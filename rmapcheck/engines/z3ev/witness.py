"""A satisfying model becomes a concrete execution, checked twice before it is believed.

1. The executed events (guard true, clock within the horizon) with the values the model
   gives them form an execution graph (axioms/graph.py) that rmapcheck.axioms judges with no
   solver: it must be well formed and allowed by sequential consistency.
2. The steps, put in an order the clocks allow (a step waits only for the conflicting steps
   before it; among those ready, the thread that ran last goes on, so the trace has few
   context switches), are replayed through the explicit engine's executor, which must reach
   the same violation.

Either check failing is a bug in rmapcheck (InternalError, exit 4), never a verdict.
"""

from __future__ import annotations

import z3

from rmapcheck.axioms import judge
from rmapcheck.axioms.graph import Event as GEvent, ExecutionGraph, GraphError, Skeleton
from rmapcheck.engines.explicit.executor import Executor, NeedChoice
from rmapcheck.engines.explicit.memory import SCMemory
from rmapcheck.engines.z3ev import values as V
from rmapcheck.errors import InternalError
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import Path


class ModelReader:
    """Values of a z3 model: a clock, a condition, a (base, offset) value. Needs self.m."""

    m: z3.ModelRef

    def num(self, t) -> int:
        return self.m.eval(t, model_completion=True).as_long()

    def true(self, b) -> bool:
        if b is True or b is False:
            return b
        return z3.is_true(self.m.eval(b, model_completion=True))

    def value(self, v):
        if V.is_concrete(v):
            return v
        b = self.m.eval(v.base, model_completion=True).as_signed_long()
        o = self.m.eval(v.off, model_completion=True).as_signed_long()
        return V.to_concrete(b, o)


class Witness(ModelReader):
    def __init__(self, enc, model: z3.ModelRef, prop: str, edge: tuple | None = None):
        self.enc, self.m, self.prop = enc, model, prop
        self.edge = edge  # lock-order: the (held, taken) lock names the state must show
        self.edge_witness = None
        self.P = enc.prog
        self.T = self.num(enc.T)
        if prop in (ir.P_DEADLOCK, ir.P_LOCKORDER, ir.P_LEAK):  # a state: every step up to T
            self.site, self.observer = None, True
        else:
            self.site, self.observer = self.find_site()
        self.steps = self.executed_steps()

    # -- reading the model (num, true, value: ModelReader) --------------------------------------
    def find_site(self):
        for s in self.P.sites:
            if s.prop == self.prop and self.true(s.cond) and self.num(s.time) == self.T:
                return s, False
        for s in self.P.observer_sites:
            if s.prop == self.prop and self.true(s.cond):
                return s, True
        raise InternalError(f"z3 found a violation of {self.prop} but no site of it holds in the model")

    def executed_steps(self) -> list:
        out = []
        for s in self.P.steps:
            if s.tid >= self.P.nthreads or not self.true(s.guard):
                continue
            c = self.num(s.clock)
            if c < self.T or (c == self.T and (self.observer or s.tid == self.site.tid)):
                out.append(s)
        return out

    # -- an order of the steps -------------------------------------------------------------
    def resources(self, s) -> list:
        out = []
        for eid in s.events:
            e = self.P.events[eid]
            if not self.true(e.guard) or e.addr is None:
                continue
            a = self.value(e.addr)
            if e.kind == "F":
                out.append((("srcu", a), True))
                continue
            out.append((("cell", a), e.kind == "W"))
            if a.__class__ is tuple and a[0] >= 0:
                out.append((("obj", a[0]), False))
        if s.kind == "alloc":
            out.append((("obj", s.info["obj"]), True))
        elif s.kind == "free":
            p = self.value(s.addr)
            if p.__class__ is tuple:
                out.append((("obj", p[0]), True))
        elif s.kind == "sync_end":
            out.append((("srcu", self.value(s.addr)), True))
        return out

    def order(self) -> list:
        """The executed steps in an order the clocks allow, with few context switches."""
        steps = sorted(self.steps, key=lambda s: (self.num(s.clock), s.tid))
        preds: dict = {s.sid: set() for s in steps}
        last_thread: dict = {}
        for s in steps:
            if s.tid in last_thread:
                preds[s.sid].add(last_thread[s.tid])
            last_thread[s.tid] = s.sid
        by_res: dict = {}
        for s in steps:
            for res, writes in self.resources(s):
                lw, readers = by_res.get(res, (None, []))
                if writes:
                    if lw is not None:
                        preds[s.sid].add(lw)
                    preds[s.sid].update(readers)
                    by_res[res] = (s.sid, [])
                else:
                    if lw is not None:
                        preds[s.sid].add(lw)
                    readers.append(s.sid)
                    by_res[res] = (lw, readers)
            preds[s.sid].discard(s.sid)
        final = None  # a thread's violation ends the path: its last step goes last
        if not self.observer:
            own = [s for s in steps if s.tid == self.site.tid]
            final = own[-1].sid if own else None
        done: set = set()
        out = []
        cur = None
        todo = [s for s in steps]
        while todo:
            ready = [s for s in todo if preds[s.sid] <= done and (s.sid != final or len(todo) == 1)]
            if not ready:
                raise InternalError("z3 witness: the steps' order has a cycle")
            pick = next((s for s in ready if s.tid == cur), ready[0])
            out.append(pick)
            done.add(pick.sid)
            todo.remove(pick)
            cur = pick.tid
        return out

    # -- replay through the explicit engine ------------------------------------------------
    def choices_of(self, tid: int, leading: bool) -> list:
        out = []
        for c in self.P.choices:
            if c.tid != tid or (c.sid is None) != leading or not self.true(c.guard):
                continue
            if c.sid is not None and not any(s.sid == c.sid for s in self.steps):
                continue
            if c.kind == "nondet":
                out.append(self.m.eval(c.var, model_completion=True).as_signed_long() - c.lo)
            else:
                out.append(1 if self.true(c.var) else 0)
        return out

    def path(self) -> Path:
        ex = Executor(self.P.p, SCMemory(self.P.p))
        init_state = ex.initial_state()
        lead = {}
        for tid in range(len(ex.threads)):
            if ir.is_scheduling_point(ex.code_of(tid)[0]):
                lead[tid] = None
            else:
                lead[tid] = tuple(self.choices_of(tid, True))
        if not self.observer and self.num(self.site.time) == 0:
            labels = [(t, lead[t]) for t in range(self.site.tid + 1) if lead[t] is not None]
            return self.check(ex, Path(-1, labels, "step"))
        k = self.init_index(ex, init_state, lead)
        queues = {t: self.choices_of(t, False) for t in range(len(ex.threads))}
        used = {t: 0 for t in queues}
        state = ex.initial_states()[k][0]
        labels = []
        skip_end: set = set()
        for s in self.order():
            if s.kind == "sync_end" and s.sid in skip_end:
                continue
            th = state[2][s.tid]
            if th[0] != s.pc:
                raise InternalError(f"z3 witness does not replay: thread {ex.threads[s.tid].name} is at "
                                    f"pc {th[0]}, the witness's step is at pc {s.pc} ({s.instr.text})")
            if not ex.enabled(state, s.tid):
                raise InternalError(f"z3 witness does not replay: {ex.threads[s.tid].name} cannot take "
                                    f"the step {s.instr.text} (line {s.instr.loc.line})")
            choices: list = []
            while True:
                log: list = []
                try:
                    out = ex.run(state, s.tid, tuple(choices), log)
                    break
                except NeedChoice:
                    passed = sum(1 for kind, _, _ in log if kind in ("alloc", "alloc_fail", "nondet"))
                    q = used[s.tid] + passed
                    if q >= len(queues[s.tid]):
                        raise InternalError("z3 witness does not replay: a choice the witness does not make")
                    choices.append(queues[s.tid][q])
            used[s.tid] += sum(1 for kind, _, _ in log if kind in ("alloc", "alloc_fail", "nondet"))
            labels.append((s.tid, tuple(choices)))
            if s.kind == "sync_start" and (out.state is None or out.state[2][s.tid][3] is None):
                skip_end.add(s.info["end"])
            if out.state is None:
                break
            state = out.state
        return self.check(ex, Path(k, labels, "state" if self.observer else "step"))

    def init_index(self, ex, init_state, lead) -> int:
        per = []
        for tid in range(len(ex.threads)):
            if lead[tid] is None:
                per.append([None])
                continue
            opts = [ch for ch, out in ex.transitions(init_state, tid, leading=True) if out.state is not None]
            per.append(opts)
        k = 0
        for tid, opts in enumerate(per):
            want = lead[tid]
            if want is None:
                continue
            want = tuple(want)
            if want not in opts:
                raise InternalError(f"z3 witness: thread {ex.threads[tid].name}'s leading choices {want} do not replay")
            k = k * len(opts) + opts.index(want)
        return k

    def check(self, ex, path: Path) -> Path:
        from rmapcheck.engines.explicit.replay import walk

        if path.init == -1:
            state = ex.initial_state()
        else:
            state = ex.initial_states()[path.init][0]
        events, last = [], None
        for n, (_, _, out) in enumerate(walk(ex, state, path.labels, path.init == -1)):
            events = out.events
            last = out
            if self.prop == ir.P_LEAK and any(ev.prop == ir.P_LEAK for ev in events):
                path = Path(path.init, path.labels[:n + 1], "step")  # the step that made the leak
                break
        self.message = ""
        if self.prop == ir.P_LOCKORDER:
            from rmapcheck.engines.explicit.search import Limits, Search

            st = last.state if last is not None else state
            search = Search(self.P.p, Limits())
            for t in range(len(st[2]) if st is not None else 0):
                for e in ex.lock_edges(st, t):
                    w = search.edge_witness(0, t, e)
                    if w is not None and (w.src, w.dst) == self.edge:
                        self.edge_witness = w
                        self.message = f"{w.thread} holds {w.src} and takes {w.dst}"
                        return path
            raise InternalError(f"z3 witness of the lock-order edge {self.edge} replays to a state without it")
        if self.prop == ir.P_DEADLOCK:
            st = last.state if last is not None else state
            stuck = st is not None and any(th[0] >= 0 for th in st[2]) and not any(
                ex.enabled(st, t) for t in range(len(st[2])))
            if not stuck:
                raise InternalError("z3 witness for no-deadlock replays to a state where a thread can move")
            from rmapcheck.engines.explicit.search import Limits, Search

            self.message = f"no thread can move: {Search(self.P.p, Limits()).describe_blocked(st)}"
            return path
        if path.kind == "step":
            hit = [ev for ev in events if ev.prop == self.prop]
        else:
            st = last.state if last is not None else state
            if st is None:
                raise InternalError("z3 witness: the path stops before the state it should reach")
            hit = [ev for ev in ex.check_invariants(st) if ev.prop == self.prop]
        if not hit:
            raise InternalError(f"z3 witness for {self.prop} replays through the explicit engine without "
                                f"violating it")
        self.message = hit[0].msg
        return path

    # -- the execution graph -----------------------------------------------------------------
    def graph(self) -> ExecutionGraph:
        order = self.order()
        events: list = []
        cells: dict = {}
        init = self.P.p.global_init

        def iw(a):
            if a not in cells:
                v = init[a[1]] if a[0] == ir.GLOBAL and 0 <= a[1] < len(init) else 0
                cells[a] = len(events)
                events.append(GEvent(len(events), -1, "IW", a, v, frozenset(("IW",)), f"init {a}"))
            return cells[a]

        for s in order:
            for eid in s.events:
                e = self.P.events[eid]
                if self.true(e.guard) and e.kind != "F":
                    iw(self.value(e.addr))
        ids: dict = {}
        po, rmw, rf, rscs = [], [], [], []
        last_of: dict = {}
        stacks: dict = {}
        writes: dict = {}
        for s in order:
            if s.kind == "sync_end":
                continue
            for eid in s.events:
                e = self.P.events[eid]
                if not self.true(e.guard):
                    continue
                a = self.value(e.addr) if e.addr is not None else None
                val = self.value(e.value) if e.value is not None else None
                g = GEvent(len(events), e.tid, e.kind, a, val, e.tags, e.label, e.loc.line if e.loc else 0)
                ids[eid] = g.eid
                events.append(g)
                if e.tid in last_of:
                    po.append((last_of[e.tid], g.eid))
                last_of[e.tid] = g.eid
                if e.kind == "W":
                    writes.setdefault(a, []).append(g.eid)
                if "srcu_read_lock" in e.tags:
                    stacks.setdefault((e.tid, a), []).append(g.eid)
                elif "srcu_read_unlock" in e.tags and stacks.get((e.tid, a)):
                    rscs.append((stacks[(e.tid, a)].pop(), g.eid))
            pair = s.info.get("rmw")
            if pair is not None and pair[0] in ids and pair[1] in ids:
                rmw.append((ids[pair[0]], ids[pair[1]]))
            if s.kind == "lock":
                r, w = s.events
                rmw.append((ids[r], ids[w]))
        for r, choices in self.enc.rf.items():
            if r not in ids:
                continue
            src = [w for w, v in choices if self.true(v)]
            if len(src) != 1:
                raise InternalError(f"z3 witness: read {r} reads from {len(src)} writes")
            w = src[0]
            if w is None:
                rf.append((iw(events[ids[r]].addr), ids[r]))
            elif w in ids:
                rf.append((ids[w], ids[r]))
            else:
                raise InternalError(f"z3 witness: read {r} reads from a write that did not happen")
        co = []
        for a, ws in writes.items():
            chain = [cells[a]] + ws
            co += list(zip(chain, chain[1:]))
        skel = Skeleton(events, po, rmw=rmw, srcu_rscs=rscs)
        return ExecutionGraph(skel, rf, co)

    def check_graph(self) -> None:
        g = self.graph()
        try:
            j = judge("sc", g, races=False)
        except GraphError as e:
            raise InternalError(f"z3 witness is not an execution graph: {e}") from None
        if not j.consistent:
            raise InternalError(f"z3 witness is not sequentially consistent (axiom {j.failed} fails)")
