"""A symbolic execution graph: the interface an engine feeds to get a memory model as z3.

An engine that encodes executions as events (the litmus tests through z3,
engines/axiomatic/z3litmus.py; the event engine of whole programs) describes them with

* `SymEvent`s: eid (= index), tid (-1 for an initial write), kind IW/R/W/F, tags (herd's, as
  in graph.py), guard (a z3 Bool or Python bool: the event happens), addr and value (Python
  values compared statically, or z3 terms of one sort compared by ==), label, line;
* static pairs: po (program order between events of one thread; transitively closed here),
  the syntactic dependencies addr/data/ctrl, rmw (each read-modify-write's read and write),
  rcu_rscs/srcu_rscs (matching read-side lock and unlock);
* optionally `rscs_when`: {(lock, unlock): z3 Bool}, the condition under which a pair of
  rcu_rscs/srcu_rscs matches beyond both events happening (an unrolled thread's nesting
  depends on its path);
* optionally `conflict`: pairs of events that never both happen (two branches of a thread),
  which keeps the relations small (no pair is made between them);
* optionally `eq(a, b)`: equality of two addresses or values (a z3 Bool or Python bool), for
  an engine with its own value representation (default: Python ==, or z3 == on z3 terms);
* optionally its own rf ({(write, read): z3 Bool}; `rf_from_choices` converts the per-read
  lists [(write or None for the initial value, z3 Bool)] of the event engine's
  Encoding.rf) and co ({(write, write): z3 Bool}, or a function of two write eids giving it:
  a strict order per address among executed writes; an initial write is put before every
  write of its address here). When they are not given,
  `SymbolicExecution` makes them, with the well-formedness constraints `facts`: each executed
  read reads from exactly one executed write to its address with its value; co is a total
  order of the executed writes of each address (an integer clock per write) that starts with
  the address's initial write.

Fed by the event engine (engines/z3ev): its Encoding.prog.events map one to one (eid, tid,
kind, tags, addr, value; guard = Encoding.executed(e)), plus one IW event per initial value
(tid -1); po is event-level (an rmw's read before its write); rf from Encoding.rf through
`rf_from_choices`; co = Encoding.co; eq = its values' equality.

`SymbolicExecution.checks(model)` runs the model's checks (sc.py, tso.py, lkmm.py: the same
text the concrete judge runs) over a `SymbolicBase`, and `encode(model)` gives the z3 Bool
that the execution is consistent plus, per flag (data-race), the z3 Bool that it is raised
and the relation (to name the racing pairs of a model). A z3 model of the facts, the
guards and the axioms is an execution the memory model allows; `graph(model)` turns it back
into a concrete graph.ExecutionGraph for the independent judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from rmapcheck.axioms.formula import Formulas
from rmapcheck.axioms.symbolic import SRel, SSet, Universe


@dataclass(frozen=True)
class SymEvent:
    eid: int
    tid: int
    kind: str  # IW, R, W, F
    tags: frozenset = frozenset()
    guard: object = True  # z3 Bool or Python bool
    addr: object = None  # Python value or z3 term; None: no address (most fences)
    value: object = None
    label: str = ""
    line: int = 0

    @property
    def is_write(self) -> bool:
        return self.kind in ("W", "IW")


def _is_z3(x) -> bool:
    return isinstance(x, z3.ExprRef)


class SymbolicExecution:
    def __init__(self, events: list, po, addr=(), data=(), ctrl=(), rmw=(), rcu_rscs=(), srcu_rscs=(),
                 rf: dict | None = None, co=None, F: Formulas | None = None, conflict=(), eq=None,
                 rscs_when: dict | None = None):
        self.events = events
        self.n = len(events)
        self.F = F or Formulas()
        F = self.F
        self.guard = [F.atom(e.guard) if _is_z3(e.guard) else bool(e.guard) for e in events]
        masks = [0] * self.n
        for a, b in conflict:
            masks[a] |= 1 << b
            masks[b] |= 1 << a
        self.conflict = masks
        self.u = Universe(F, self.guard, masks)
        self.facts: list = []  # z3 Bools: well-formedness of rf and co
        self.po_pairs = _closure(self.n, po)
        self.addr, self.data, self.ctrl, self.rmw = list(addr), list(data), list(ctrl), list(rmw)
        self.rcu_rscs, self.srcu_rscs = list(rcu_rscs), list(srcu_rscs)
        self.rscs_when = rscs_when or {}  # (lock, unlock) -> z3 Bool: they match (beyond both happening)
        self._same: dict = {}
        self._user_eq = eq
        self.rf = rf if rf is not None else self._make_rf()
        if co is None:
            self.co = self._make_co()
        elif callable(co):
            self.co = self._given_co(co)
        else:
            self.co = co

    # -- equalities ----------------------------------------------------------------------------
    def _eq(self, a, b):
        """A formula: two addresses or values are equal."""
        if self._user_eq is not None:
            f = self._user_eq(a, b)
            return self.F.atom(f) if _is_z3(f) else bool(f)
        if _is_z3(a) or _is_z3(b):
            return self.F.atom(z3.simplify(a == b) if not (_is_z3(a) and _is_z3(b)) else a == b)
        return a == b

    def same_addr(self, i: int, j: int):
        key = (i, j) if i < j else (j, i)
        f = self._same.get(key)
        if f is None:
            a, b = self.events[i].addr, self.events[j].addr
            f = self._same[key] = False if a is None or b is None else self._eq(a, b)
        return f

    # -- rf and co, when the engine does not choose them itself --------------------------------
    def _make_rf(self) -> dict:
        F, ev, out = self.F, self.events, {}
        writes = [e for e in ev if e.is_write]
        for r in ev:
            if r.kind != "R":
                continue
            choices = []
            for w in writes:
                if masks_conflict(self.conflict, w.eid, r.eid):
                    continue
                cond = F.and_(self.same_addr(w.eid, r.eid), self._eq(w.value, r.value))
                if cond is False:
                    continue
                v = z3.Bool(f"rf_{w.eid}_{r.eid}", F.ctx)
                out[(w.eid, r.eid)] = v
                self.facts.append(z3.Implies(v, F.z3(F.all_((cond, self.guard[w.eid], self.guard[r.eid])))))
                choices.append(v)
            g = F.z3(self.guard[r.eid])
            if choices:
                self.facts.append(z3.If(g, z3.PbEq([(v, 1) for v in choices], 1),
                                        z3.Not(z3.Or(choices))))
            else:
                self.facts.append(z3.Not(g))
        return out

    def _make_co(self) -> dict:
        F, ev, out = self.F, self.events, {}
        writes = [e for e in ev if e.is_write]
        self.clock = {}
        for w in writes:
            self.clock[w.eid] = z3.IntVal(0, F.ctx) if w.kind == "IW" else z3.Int(f"co_{w.eid}", F.ctx)
            if w.kind != "IW":
                self.facts.append(self.clock[w.eid] > 0)
        for k, a in enumerate(writes):
            for b in writes[k + 1:]:
                same = self.same_addr(a.eid, b.eid)
                if same is False or masks_conflict(self.conflict, a.eid, b.eid):
                    continue
                both = F.all_((same, self.guard[a.eid], self.guard[b.eid]))
                ca, cb = self.clock[a.eid], self.clock[b.eid]
                if a.kind != "IW" or b.kind != "IW":
                    self.facts.append(z3.Implies(F.z3(both), ca != cb))
                out[(a.eid, b.eid)] = z3.And(F.z3(both), ca < cb)
                out[(b.eid, a.eid)] = z3.And(F.z3(both), cb < ca)
        return out

    def _given_co(self, co) -> dict:
        """co from the engine's function of two writes, initial writes first."""
        F, out = self.F, {}
        writes = [e for e in self.events if e.is_write]
        for a in writes:
            for b in writes:
                if a is b or masks_conflict(self.conflict, a.eid, b.eid):
                    continue
                same = self.same_addr(a.eid, b.eid)
                if same is False or b.kind == "IW":
                    continue
                if a.kind == "IW":
                    out[(a.eid, b.eid)] = F.z3(F.all_((same, self.guard[b.eid])))
                else:
                    out[(a.eid, b.eid)] = co(a.eid, b.eid)
        return out

    # -- the memory model ----------------------------------------------------------------------
    def base(self) -> "SymbolicBase":
        return SymbolicBase(self)

    def encode(self, checks_fn, races: bool = True, closure: str = "least"):
        """(consistent, {flag: (raised, relation)}) for a model's checks function.

        closure "least": every r+ as a least pre-fixed point (fresh Booleans, symbolic.py),
        kept only when the closures occur negatively and the ranks positively in the
        constraints (checked on the formulas; else the model is encoded again with "exact",
        Warshall's closures)."""
        from rmapcheck.axioms.base import Axiom

        F = self.F
        self.u.closure = closure
        mark = len(F.side)
        ok, flags = [], {}
        self.last_base = b = self.base()  # its named relations: lifetime.py's no-use-after-free
        for c in checks_fn(b, races):
            if isinstance(c, Axiom):
                ok.append(c.holds)
            else:
                flags[c.name] = (F.any_(v for row in c.rel.rows.values() for v in row.values()), c.rel)
        consistent = F.all_(ok)
        if closure == "least" and not F.polarity_ok([consistent] + [r for r, _ in flags.values()]):
            del F.side[mark:]
            return self.encode(checks_fn, races, "exact")
        self.closure_used = closure
        consistent = F.all_([consistent] + F.side[mark:])
        return F.z3(consistent), {k: (F.z3(r), rel) for k, (r, rel) in flags.items()}

    # -- back to a concrete graph --------------------------------------------------------------
    def executed(self, m: z3.ModelRef) -> list:
        return [e.eid for e in self.events if _true(m, self.F.z3(self.guard[e.eid]))]

    def graph(self, m: z3.ModelRef):
        """The concrete execution graph (graph.ExecutionGraph) of the events a z3 model
        executes, numbered in their order here, with z3 terms evaluated: what the concrete
        judge re-checks. Returns (graph, {symbolic eid: concrete eid})."""
        from rmapcheck.axioms.graph import Event, ExecutionGraph, Skeleton

        def val(v):
            if not _is_z3(v):
                return v
            v = m.eval(v, model_completion=True)
            return v.as_long() if z3.is_int_value(v) or z3.is_bv_value(v) else str(v)

        live = self.executed(m)
        to = {e: k for k, e in enumerate(live)}
        events = []
        for e in live:
            x = self.events[e]
            events.append(Event(to[e], x.tid, x.kind, val(x.addr), val(x.value), x.tags, x.label, x.line))

        def keep(pairs):
            return [(to[a], to[b]) for a, b in pairs if a in to and b in to]

        rf = [(to[w], to[r]) for (w, r), b in self.rf.items() if w in to and r in to and _true(m, b)]
        co = [(to[a], to[b]) for (a, b), f in self.co.items() if a in to and b in to and _true(m, f)]
        skel = Skeleton(events, keep(self.po_pairs), keep(self.addr), keep(self.data), keep(self.ctrl),
                        keep(self.rmw), keep(self.rcu_rscs), keep(self.srcu_rscs))
        return ExecutionGraph(skel, rf, co), to

    def pairs_in(self, m: z3.ModelRef, rel: SRel) -> list:
        F = self.F
        return [(i, j) for i, row in rel.rows.items() for j, f in row.items() if _true(m, F.z3(f))]


def rf_from_choices(choices: dict, initial_write) -> dict:
    """{(write, read): Bool} from {read: [(write or None, Bool)]}: None (the initial value)
    becomes initial_write(read), the eid of the IW event of the read's address."""
    out = {}
    for r, opts in choices.items():
        for w, b in opts:
            key = (initial_write(r) if w is None else w, r)
            out[key] = z3.Or(out[key], b) if key in out else b
    return out


def masks_conflict(masks: list, a: int, b: int) -> bool:
    return bool(masks[a] >> b & 1)


def _true(m: z3.ModelRef, b: z3.BoolRef) -> bool:
    return z3.is_true(m.eval(b, model_completion=True))


def _closure(n: int, pairs) -> list:
    succ: dict = {}
    for a, b in pairs:
        succ.setdefault(a, set()).add(b)
    out = []
    for a in sorted(succ):
        seen, todo = set(), list(succ[a])
        while todo:
            x = todo.pop()
            if x in seen:
                continue
            seen.add(x)
            todo.extend(succ.get(x, ()))
        out += [(a, b) for b in sorted(seen)]
    return out


class SymbolicBase:
    """axioms/base.py's interface over a SymbolicExecution: relations as formulas."""

    def __init__(self, x: SymbolicExecution):
        F, u, ev, g = x.F, x.u, x.events, x.guard
        self.x, self.s, self.u, self.fm, self.n, self.events = x, x, u, F, x.n, ev
        self._memo: dict = {}

        cf = x.conflict

        def both(a: int, b: int):
            return False if cf[a] >> b & 1 else F.and_(g[a], g[b])

        def rel(pairs) -> SRel:
            return SRel.of(u, {(a, b): both(a, b) for a, b in pairs})

        def rscs(pairs) -> SRel:
            return SRel.of(u, {(a, b): F.and_(both(a, b), self.pair_when(a, b)) for a, b in pairs})

        self._rel = rel
        self.po = rel(x.po_pairs)
        self.rf = SRel.of(u, {p: F.atom(v) for p, v in x.rf.items()})
        self.co = SRel.of(u, {p: F.atom(v) for p, v in x.co.items()})
        self.fr = self.rf.inv @ self.co
        loc = {}
        for i in range(self.n):
            for j in range(self.n):
                f = x.same_addr(i, j) if i != j else (ev[i].addr is not None)
                f = F.and_(f, both(i, j))
                if f is not False:
                    loc[(i, j)] = f
        self.loc = SRel.of(u, loc)
        same_tid = {(i, j): both(i, j) for i in range(self.n) for j in range(self.n)
                    if ev[i].tid >= 0 and ev[i].tid == ev[j].tid}
        self.int = SRel.of(u, same_tid)
        self.ext = SRel.of(u, {(i, j): both(i, j) for i in range(self.n) for j in range(self.n)
                               if (i, j) not in same_tid})
        self.id = u.id()
        self.rfe, self.rfi = self.rf & self.ext, self.rf & self.int
        self.coe, self.fre = self.co & self.ext, self.fr & self.ext
        self.po_loc = self.po & self.loc
        self.com = self.rf | self.co | self.fr
        self.rmw = rel(x.rmw)
        self.R = self.kinds("R")
        self.W = self.kinds("W", "IW")
        self.IW = self.kinds("IW")
        self.M = self.R | self.W
        self.F = self.kinds("F")
        self.none = SSet(u, {})
        self.addr0, self.data0, self.ctrl0 = rel(x.addr), rel(x.data), rel(x.ctrl)
        self.rcu_rscs, self.srcu_rscs = rscs(x.rcu_rscs), rscs(x.srcu_rscs)
        self.extra = SRel.of(u, {})  # as base.Base's: pairs added to sc's and tso's global order
        self.named: dict = {}

    def pair_when(self, a: int, b: int):
        """The condition under which a read-side lock and unlock match (the engine's rscs_when)."""
        f = self.x.rscs_when.get((a, b), True)
        return self.fm.atom(f) if _is_z3(f) else bool(f)

    def kinds(self, *kinds: str) -> SSet:
        return SSet(self.u, {e.eid: self.x.guard[e.eid] for e in self.events
                             if e.kind in kinds and self.x.guard[e.eid] is not False})

    def tagged(self, *tags: str) -> SSet:
        return SSet(self.u, {e.eid: self.x.guard[e.eid] for e in self.events
                             if not e.tags.isdisjoint(tags) and self.x.guard[e.eid] is not False})

    def static(self, key: str, make):
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def ident(self, s: SSet) -> SRel:
        return SRel(self.u, {i: {i: f} for i, f in s.m.items()})

    def empty_rel(self) -> SRel:
        return SRel(self.u, {})

    def single(self, eid: int) -> SSet:
        return SSet(self.u, {eid: self.x.guard[eid]} if self.x.guard[eid] is not False else {})

    @staticmethod
    def lfp(f, start: SRel) -> SRel:
        """Kleene iteration: stops when no pair's formula changes (hash-consing makes equal
        formulas the same node), and after at most one round per may-pair."""
        x = start
        rounds = 0
        while True:
            nxt = f(x)
            rounds += 1
            if nxt.pairs() == x.pairs() or rounds > sum(len(r) for r in nxt.rows.values()) + 1:
                return nxt
            x = nxt

    def exists(self, k: int, fn):
        return fn([self.fm.fresh_bool("pick") for _ in range(k)])

    def ite(self, c, r: SRel, s: SRel) -> SRel:
        F = self.fm
        a = SRel.of(self.u, {p: F.and_(c, v) for p, v in r.pairs().items()})
        b = SRel.of(self.u, {p: F.and_(F.not_(c), v) for p, v in s.pairs().items()})
        return a | b


__all__ = ["SymEvent", "SymbolicExecution", "SymbolicBase", "rf_from_choices"]
