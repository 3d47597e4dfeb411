"""A litmus test through z3: thread paths chosen by z3, rf and co chosen by z3, the memory
model's axioms (the text the concrete judge runs) as z3 constraints.

Each thread's paths (paths.py) are merged into a tree by common prefix: an event of the
tree happens when the thread runs one of the paths through it (one Boolean per path, one
path per thread). The events, their program order and dependencies form a
symbolic execution (axioms/symexec.py), whose rf and co z3 chooses. The final states are
found one by one (each found state is blocked and the solver asked again), as herd7 lists
them; each comes with a witness execution that is turned back into a concrete graph and
judged by the concrete axioms: a witness they forbid is an internal error, never a
verdict. DATARACE is one more query: an allowed execution, in a state the filter keeps,
whose data-race flag is raised (its witness re-judged the same way).
"""

from __future__ import annotations

import time

import z3

from rmapcheck.axioms import model as concrete_model
from rmapcheck.axioms.graph import ExecutionGraph
from rmapcheck.axioms.symexec import SymbolicExecution, SymEvent
from rmapcheck.engines.axiomatic.candidates import skeleton
from rmapcheck.engines.axiomatic.paths import DEFAULT_UNWIND, Context, thread_paths
from rmapcheck.engines.axiomatic.run import Allowed, Enumeration
from rmapcheck.errors import InternalError


def checks_of(memory_model: str):
    """The checks generator of a memory model (the same text as the concrete judge's)."""
    if memory_model == "sc":
        from rmapcheck.axioms.sc import checks
    elif memory_model == "tso":
        from rmapcheck.axioms.tso import checks
    else:
        from rmapcheck.axioms.lkmm import checks
    return checks


class _Tree:
    """One thread's paths merged by common prefix: tree event -> its index in the execution."""

    def __init__(self, tid: int, paths: list):
        self.tid, self.paths = tid, paths
        self.nodes: dict = {}  # prefix (tuple of PathEvents) -> node number
        self.order: list = []  # (prefix, parent node or None, [path numbers through it])
        self.of_path: list = []  # per path: its node numbers in order
        for k, p in enumerate(paths):
            ids, prefix, parent = [], (), None
            for e in p.events:
                prefix = prefix + (e,)
                nid = self.nodes.get(prefix)
                if nid is None:
                    nid = self.nodes[prefix] = len(self.order)
                    self.order.append((prefix, parent, []))
                self.order[nid][2].append(k)
                ids.append(nid)
                parent = nid
            self.of_path.append(ids)


class LitmusEncoding:
    """The symbolic execution of a litmus program's paths, and what a state is made of."""

    def __init__(self, program, memory_model: str, private=(), rcu=(), unwind: int = DEFAULT_UNWIND):
        self.program, self.memory_model = program, memory_model
        self.ctx = ctx = Context(program, private, rcu)
        self.paths = thread_paths(program, ctx, unwind)
        self.incomplete = None
        if self.paths.cut:
            self.incomplete = f"unwind {unwind}"
        if self.paths.unbounded:
            self.incomplete = "unbounded values"
        self.paths.per_thread = _viable(self.paths.per_thread, ctx)
        self.sel = []  # per thread: one z3 Bool per path
        self.facts: list = []
        for t, ps in enumerate(self.paths.per_thread):
            bs = [z3.Bool(f"path_{t}_{k}") for k in range(len(ps))]
            self.sel.append(bs)
            self.facts.append(z3.PbEq([(b, 1) for b in bs], 1) if bs else z3.BoolVal(False))
        self.trees = [_Tree(t, ps) for t, ps in enumerate(self.paths.per_thread)]
        cells = sorted({e.addr for ps in self.paths.per_thread for p in ps for e in p.events
                        if e.kind in ("R", "W")})
        events: list = []
        self.iw = {}
        for c in cells:
            self.iw[c] = len(events)
            events.append(SymEvent(len(events), -1, "IW", frozenset(("IW",)), True, c, ctx.init(c), f"init {c}"))
        po, addr, data, ctrl, rmw, rcu_rscs, srcu_rscs = [], [], [], [], [], [], []
        self.eid = []  # per thread: node -> eid
        for tree in self.trees:
            base = len(events)
            ids = []
            for nid, (prefix, parent, through) in enumerate(tree.order):
                e = prefix[-1]
                bs = self.sel[tree.tid]
                guard = True if len(through) == len(bs) else z3.Or([bs[k] for k in through])
                ids.append(base + nid)
                events.append(SymEvent(base + nid, tree.tid, e.kind, e.tags, guard, e.addr, e.value, e.label, e.line))
                if parent is not None:
                    po.append((base + parent, base + nid))
            self.eid.append(ids)
            for k, p in enumerate(tree.paths):
                nodes = [ids[n] for n in tree.of_path[k]]
                for j, e in enumerate(p.events):
                    addr += [(nodes[d], nodes[j]) for d in e.addr_deps]
                    data += [(nodes[d], nodes[j]) for d in e.data_deps]
                    ctrl += [(nodes[d], nodes[j]) for d in e.ctrl_deps]
                rmw += [(nodes[a], nodes[b]) for a, b in p.rmw]
                for a, b in p.rscs:
                    (rcu_rscs if "rcu_read_lock" in p.events[a].tags else srcu_rscs).append((nodes[a], nodes[b]))
        # two events of one thread that neither precedes the other are on different paths
        conflict = []
        for ids in self.eid:
            anc = {}
            for nid, (_, parent, _) in enumerate(self.trees[self.eid.index(ids)].order):
                anc[nid] = (anc[parent] | {parent}) if parent is not None else set()
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    if a not in anc[b] and b not in anc[a]:
                        conflict.append((ids[a], ids[b]))
        self.x = SymbolicExecution(events, po, *(sorted(set(r)) for r in (addr, data, ctrl, rmw, rcu_rscs, srcu_rscs)),
                                   conflict=conflict)
        self.facts += self.x.facts
        self.consistent, self.flags = self.x.encode(checks_of(memory_model))

    # -- the final state ------------------------------------------------------------------------
    def key_terms(self, cells: list, codes: dict) -> list:
        """Per cell a z3 Int: the code of its final value (a register's from its path, a
        location's from its co-last write)."""
        out = []
        x = self.x
        for c in cells:
            v = z3.Int(f"final_{c}")
            out.append(v)
            if c in self.ctx.private:
                for t, ps in enumerate(self.paths.per_thread):
                    for k, p in enumerate(ps):
                        if c in p.private:
                            self.facts.append(z3.Implies(self.sel[t][k], v == _code(codes, p.private[c])))
                writers = [(t, k) for t, ps in enumerate(self.paths.per_thread) for k, p in enumerate(ps)
                           if c in p.private]
                init = z3.Not(z3.Or([self.sel[t][k] for t, k in writers])) if writers else z3.BoolVal(True)
                self.facts.append(z3.Implies(init, v == _code(codes, self.ctx.init(c))))
                continue
            if c not in self.iw:
                self.facts.append(v == _code(codes, self.ctx.init(c)))
                continue
            writes = [e for e in x.events if e.is_write and e.addr == c]
            for w in writes:
                later = [x.co[(w.eid, o.eid)] for o in writes if (w.eid, o.eid) in x.co]
                last = z3.And(x.F.z3(x.guard[w.eid]), z3.Not(z3.Or(later))) if later else x.F.z3(x.guard[w.eid])
                self.facts.append(z3.Implies(last, v == _code(codes, w.value)))
        return out

    # -- a witness back to a concrete execution graph ---------------------------------------------
    def witness(self, m: z3.ModelRef):
        """(ExecutionGraph, the chosen paths) of a z3 model."""
        combo, where = [], {}
        for t, ps in enumerate(self.paths.per_thread):
            k = next(k for k, b in enumerate(self.sel[t]) if z3.is_true(m.eval(b, model_completion=True)))
            combo.append(ps[k])
            where[t] = [self.eid[t][n] for n in self.trees[t].of_path[k]]
        skel = skeleton(combo, self.ctx.init)
        to_concrete = {}
        for e in skel.events:
            if e.kind == "IW":
                to_concrete[self.iw[e.addr]] = e.eid
        base = sum(1 for e in skel.events if e.kind == "IW")
        for t, p in enumerate(combo):
            for j, sym in enumerate(where[t]):
                to_concrete[sym] = base + j
            base += len(p.events)
        x = self.x
        rf = [(to_concrete[w], to_concrete[r]) for (w, r), v in x.rf.items()
              if r in to_concrete and z3.is_true(m.eval(v, model_completion=True))]
        co = []
        by_cell: dict = {}
        for sym, eid in to_concrete.items():
            e = x.events[sym]
            if e.is_write:
                by_cell.setdefault(e.addr, []).append((m.eval(x.clock[sym], model_completion=True).as_long(), eid))
        for ws in by_cell.values():
            ws.sort()
            co += [(a[1], b[1]) for a, b in zip(ws, ws[1:])]
        return ExecutionGraph(skel, rf, co), combo, to_concrete


MAX_COMBINATIONS = 200_000


def _viable(per_thread: list, ctx) -> list:
    """Each thread's paths that take part in some combination whose every read can read its
    value from a write of the combination or the initial value (run.py's test): a path whose
    reads no combination can satisfy has no execution, and leaving it out keeps the encoding
    small (a read-modify-write branches on every value of its cell's domain). When there are
    too many combinations to try, the paths are kept as they are."""
    from itertools import product

    from rmapcheck.engines.axiomatic.run import _values_available

    total = 1
    for ps in per_thread:
        total *= max(len(ps), 1)
    if total > MAX_COMBINATIONS:
        return per_thread
    used = [set() for _ in per_thread]
    for combo in product(*[list(enumerate(ps)) for ps in per_thread]):
        if _values_available([p for _, p in combo], ctx):
            for t, (k, _) in enumerate(combo):
                used[t].add(k)
    return [[p for k, p in enumerate(ps) if k in used[t]] for t, ps in enumerate(per_thread)]


def _code(codes: dict, v) -> int:
    if v not in codes:
        codes[v] = len(codes)
    return codes[v]


def enumerate_states(program, memory_model: str, private=(), rcu=(), key_cells=(), keep=None,
                     unwind: int = DEFAULT_UNWIND, races: bool = True):
    """The allowed final states (values of key_cells) through z3, one witness each, judged
    again by the concrete axioms. keep(values) -> bool: the states the litmus filter keeps
    (a data race is looked for in those only). Returns an Enumeration (allowed: one per
    state, then the racy witness if any; candidates: the number of solver calls)."""
    enc = LitmusEncoding(program, memory_model, private, rcu, unwind)
    codes: dict = {}
    cells = list(dict.fromkeys(key_cells))
    terms = enc.key_terms(cells, codes)
    decode = {v: k for k, v in codes.items()}
    solver = z3.Solver()
    solver.add(*enc.facts)
    solver.add(enc.consistent)
    judge = concrete_model(memory_model)
    out = Enumeration(incomplete=enc.incomplete)

    def query(*extra):
        """One more question to the same solver (the encoding is asserted once)."""
        solver.push()
        solver.add(*extra)
        out.candidates += 1
        r = solver.check()
        if r == z3.unknown:
            out.incomplete = f"z3: {solver.reason_unknown()}"
        return r

    kept = []
    solver.push()  # the states found are blocked inside this scope only
    while query() == z3.sat:
        m = solver.model()
        vals = [m.eval(t, model_completion=True).as_long() for t in terms]
        state = {c: decode[v] for c, v in zip(cells, vals)}
        out.allowed.append(_allowed(enc, m, judge, state, races))
        if keep is None or keep(state):
            kept.append(vals)
        solver.pop()
        solver.add(z3.Or([t != v for t, v in zip(terms, vals)]) if terms else z3.BoolVal(False))
    solver.pop()
    solver.pop()
    # a fault (a NULL dereference, ...) in some allowed execution: the paths that stop at one
    for t, ps in enumerate(enc.paths.per_thread):
        for k, p in enumerate(ps):
            if p.faults and any(f not in out.faults for f in p.faults):
                if query(enc.sel[t][k]) == z3.sat:
                    out.faults += [f for f in p.faults if f not in out.faults]
                solver.pop()
    if races and "data-race" in enc.flags and kept:
        raised = enc.flags["data-race"][0]
        if query(raised, z3.Or([z3.And([t == v for t, v in zip(terms, vals)]) for vals in kept])) == z3.sat:
            m = solver.model()
            vals = [m.eval(t, model_completion=True).as_long() for t in terms]
            a = _allowed(enc, m, judge, {c: decode[v] for c, v in zip(cells, vals)}, races)
            if "data-race" not in a.flags:
                raise InternalError(f"z3's racy witness has no data race for the concrete {memory_model} axioms")
            out.allowed.append(a)
        solver.pop()
    return out


def _allowed(enc: LitmusEncoding, m, judge, state: dict, races: bool) -> Allowed:
    g, combo, _ = enc.witness(m)
    problems = g.problems()
    if problems:
        raise InternalError(f"z3's witness is not an execution graph: {'; '.join(problems)}")
    j = judge(g, races)
    if not j.consistent:
        raise InternalError(f"z3's witness is forbidden by the concrete {enc.memory_model} axioms "
                            f"({j.failed})")
    private: dict = {}
    for p in combo:
        private.update(p.private)
    memory = g.final_values()
    for c, v in state.items():  # the symbolic final state must be the witness's
        got = private.get(c, memory.get(c, enc.ctx.init(c)))
        if got != v:
            raise InternalError(f"z3's final state gives cell {c} the value {v!r}, its witness {got!r}")
    return Allowed(g, memory, private, j.flags, j.races)


__all__ = ["LitmusEncoding", "enumerate_states", "checks_of"]
