"""Bounded model checking: unroll the transition system depth by depth.

At depth k the solver holds the initial states and k transitions. It first asks for a
state at depth k that violates a state property (invariants, deadlock, a lock-order
edge, a leaked object), then for a transition from depth k that violates a step property
(a failed assertion, NULL, WARN...): the first depth at which a property is found is the
length of the shortest counterexample, the length the explicit engine's breadth-first
search reports. Every counterexample is replayed through the explicit executor.

The inductive facts of System.houdini are not asserted in the unrolling (they hold in
every reachable state, so they change no answer, and they made the queries about twice as
slow); they decide which encoding limits a query must still refute (_reachable). Houdini
runs once, when the unrolling reaches HOUDINI_DEPTH: below it the queries are cheap with
every limit in them (models/01 to depth 4: 6 s of queries, 30 s of Houdini), and the depth
is a fixed point, not a time, so a bounded run gives the same answer on any machine.

The unrolling does not collect unreachable objects (System.transition(collect=False)):
no-leak is the state predicate System.leaked, true from the step that made an object
unreachable on; dropping the per-step reachability terms makes each query several times
cheaper to solve.

Holding up to depth K is not 'holds': the verdict is 'incomplete', unless no state at
depth K lets any thread move (then every reachable state has been seen: 'holds').
"""

from __future__ import annotations

import os
import time

import z3

from rmapcheck.engines.z3 import terms as T
from rmapcheck.engines.z3.state import SymState
from rmapcheck.engines.z3.traces import Checker, labels_from_model
from rmapcheck.ir import nodes as ir


class Unrolling:
    """Copies of the state, choice and scheduler variables per step, and the formulas over them."""

    def __init__(self, sysm, collect: bool = True):
        """collect=False: unreachable objects stay (see System.transition); no-leak is then
        the state predicate System.leaked and self.leak is False."""
        self.sys = sysm
        self.lay = sysm.lay
        self.states = [SymState(self.lay, "0")]
        self.post = SymState(self.lay, "post")
        self.trans, self.leak = sysm.transition(self.post, collect=collect)
        self.trans = T.B(self.trans)
        self.leak = T.B(self.leak)
        self.chs: list = []
        self.scheds: list = []

    def state(self, k: int) -> SymState:
        while len(self.states) <= k:
            self.states.append(SymState(self.lay, str(len(self.states))))
        return self.states[k]

    def pre_pairs(self, k: int) -> list:
        return list(zip(self.sys.pre.vars, self.state(k).vars))

    def step_pairs(self, k: int) -> list:
        while len(self.chs) <= k:
            i = len(self.chs)
            self.chs.append([T.IntVar(f"ch{j}@{i}") for j in range(self.sys.max_choices)])
            self.scheds.append(T.IntVar(f"sched@{i}"))
        return self.pre_pairs(k) + list(zip(self.sys.ch_vars(), self.chs[k])) + [(self.sys.sched, self.scheds[k])]

    def at(self, f, pairs):
        if isinstance(f, bool):
            return z3.BoolVal(f)
        return z3.substitute(f, pairs)

    def trans_at(self, k: int):
        pairs = self.step_pairs(k) + list(zip(self.post.vars, self.state(k + 1).vars))
        return z3.substitute(self.trans, pairs)

    def init(self):
        return T.B(self.sys.init_formula(self.state(0)))

    def steps_for(self, n: int) -> list:
        """The (state, pairs, sched) of steps 0..n-1, for labels_from_model."""
        return [(self.state(k), self.step_pairs(k), self.scheds[k]) for k in range(n)]


def _fresh_solver():
    """A non-incremental bit-blasting solver: every query is solved from scratch after
    z3's preprocessing (equations solved away, values propagated), which on these
    unrollings is several times faster than the incremental solver's push/pop."""
    t = z3.Then(z3.With("simplify", elim_sign_ext=True), "propagate-values", "solve-eqs", "elim-uncnstr",
                "simplify", "max-bv-sharing", "bit-blast", "sat")
    return t.solver()


LIMIT_PRUNE_SECONDS = 10.0  # one-step queries for the limits the inductive facts exclude (per kind)
HOUDINI_DEPTH = 6  # the depth at which BMC asks for the inductive facts (the strengthen callback)


class LimitHit(Exception):
    def __init__(self, msg: str, tags: list, depth: int):
        self.msg = msg
        self.tags = tags
        self.depth = depth


class BMC:
    def __init__(self, sysm, checker: Checker, max_depth: int | None, deadline: float | None, progress=None,
                 strengthen=None):
        self.sys = sysm
        self.strengthen = strengthen  # called once at HOUDINI_DEPTH: runs System.houdini
        self.ch = checker
        self.max_depth = max_depth
        self.deadline = deadline
        self.progress = progress
        self.u = Unrolling(sysm, collect=False)
        self.solver = z3.SolverFor("QF_BV") if T.SORT.bv else z3.Solver()
        self.fresh = T.SORT.bv and os.environ.get("RMAPCHECK_Z3_INC") != "1"
        self.asserted: list = []
        self.por = os.environ.get("RMAPCHECK_Z3_POR") != "0"
        self.found: dict = {}  # prop -> (Path, msg, length)
        self.edges: dict = {}  # (src, dst) -> (Path, EdgeWitness)
        self.depth = 0
        self.complete = False
        self.stopped = None  # why the run stopped early (timeout, limit)
        self.checks = 0
        self._cache: dict = {}
        self.provisional: dict = {}  # prop -> (Path, msg, length) found in leading steps
        self.t0 = time.monotonic()
        self.conflicts = 0
        self.max_mb = 0.0
        self.limits_kept: dict = {}  # _reachable calls: (limits kept, limits in all)

    def _remaining_ms(self):
        if self.deadline is None:
            return None
        return max(1, int((self.deadline - time.monotonic()) * 1000))

    def _check(self, f, cap_ms: int | None = None):
        ms = self._remaining_ms()
        if cap_ms is not None:
            ms = cap_ms if ms is None else min(ms, cap_ms)
        if ms is not None:
            self.solver.set("timeout", ms)
        self.checks += 1
        if self.fresh:
            sl = _fresh_solver()
            if ms is not None:
                sl.set("timeout", ms)
            sl.add(*self.asserted)
            sl.add(f)
            r = sl.check()
            m = sl.model() if r == z3.sat else None
            self._account(sl.statistics())
            return r, m
        self.solver.push()
        self.solver.add(f)
        r = self.solver.check()
        m = self.solver.model() if r == z3.sat else None
        self._account(self.solver.statistics())
        self.solver.pop()
        return r, m

    def _assert(self, *fs) -> None:
        if self.fresh:
            self.asserted.extend(fs)
        else:
            self.solver.add(*fs)

    def _account(self, st) -> None:
        for key in ("conflicts", "sat conflicts"):
            try:
                self.conflicts += int(st.get_key_value(key))
            except z3.Z3Exception:
                pass
        try:
            self.max_mb = max(self.max_mb, float(st.get_key_value("max memory")))
        except z3.Z3Exception:
            pass

    def _query(self, named: dict, k: int, kind: str, props_left: set) -> bool:
        """Ask for any of the named formulas at depth k; record what the models show. False on timeout.

        kind: what is asked, "state" (at depth k) or "step" (from depth k); a property's name
        says how its violation shows, ("prop", p, "state" or "step")."""
        named = {n: f for n, f in named.items() if not (isinstance(f, bool) and not f)}
        while named:
            r, m = self._check(z3.Or(*[T.B(f) for f in named.values()]))
            if r == z3.unknown:
                self.stopped = "timeout"
                return False
            if r == z3.unsat:
                return True
            hit = [n for n, f in named.items() if z3.is_true(m.eval(T.B(f), model_completion=True))]
            if not hit:  # pragma: no cover - z3 always satisfies one disjunct
                hit = list(named)[:1]
            if ("limit",) in hit:
                tags, msgs = [], []
                for c, msg, tag in self._lims:
                    c = self.u.at(c, self._lim_pairs)
                    if z3.is_true(m.eval(T.B(c), model_completion=True)):
                        msgs.append(msg)
                        tags.append(tag)
                raise LimitHit("; ".join(sorted(set(msgs))) or "encoding limit", tags, k)
            nsteps = k if kind == "state" else k + 1
            labels = labels_from_model(self.sys, m, self.u.steps_for(nsteps), last_any=(kind == "step"))
            for n in hit:
                del named[n]
                if n[0] == "edge":
                    src, dst = n[1]
                    path, w = self.ch.confirm_edge(labels, src, dst, "z3 BMC")
                    self.edges[(src, dst)] = (path, w)
                    continue
                _, prop, pkind = n
                path, msg = self.ch.confirm(labels, prop, pkind, "z3 BMC")
                self.found[prop] = (path, msg, nsteps)
                self.provisional.pop(prop, None)
                props_left.discard(prop)
                for other in [x for x in named if x[0] == "prop" and x[1] == prop]:
                    del named[other]
        return True

    def _settle(self, length: int, left: set) -> None:
        """A violation found in leading steps, of this length, is as short as any left to find."""
        for prop, v in list(self.provisional.items()):
            if v[2] <= length and prop in left:
                self.found[prop] = v
                left.discard(prop)
                del self.provisional[prop]

    def _state_limit(self, init: bool):
        """(the limits of a state, at depth 0 or beyond, and their disjunction), built once."""
        key = ("sl", init)
        if key not in self._cache:
            if "reach-sl" not in self._cache:
                self._cache["reach-sl"] = self._reachable(list(self.sys.limit_state))
            lim = self._cache["reach-sl"] + (list(self.sys.init_limit) if init else [])
            self._cache[key] = (lim, T.B(T.disj(*[c for c, _, _ in lim])))
        return self._cache[key]

    def _step_limit(self):
        """(the limits of a step, each under its thread's schedule, and their disjunction), built once."""
        if "stl" not in self._cache:
            s = self.sys
            lim = self._reachable([(T.conj(T.eq(s.sched, t), c), m, tag)
                                   for t in range(s.n) for c, m, tag in s.limit_step[t]])
            self._cache["stl"] = (lim, T.B(T.disj(*[c for c, _, _ in lim])))
        return self._cache["stl"]

    def _reachable(self, lims: list) -> list:
        """The limits that a state satisfying the inductive facts F (System.houdini) can hit.

        The others are never reached: F holds in the initial states and is kept by every
        transition the encoding follows exactly (houdini checks it on this unrolling's
        transition, without collection), so the first limit a run hit would be hit from a
        state satisfying F. Dropping them from the per-depth queries is sound, and
        those queries get much cheaper (on models/02, a depth-14 query spent 92 of its 93 s
        refuting limits). One-step queries, within a short budget: what a query leaves
        undecided is kept."""
        facts = T.B(self.sys.invariant_facts(self.sys.pre))
        if z3.is_true(facts) or not lims:
            return lims
        cap = time.monotonic() + LIMIT_PRUNE_SECONDS
        if self.deadline is not None:
            cap = min(cap, time.monotonic() + 0.1 * max(0.0, self.deadline - time.monotonic()))
        sl = z3.Solver()
        sl.add(facts)
        live, rest = set(), list(range(len(lims)))
        while rest:
            ms = int((cap - time.monotonic()) * 1000)
            if ms <= 0:
                live.update(rest)
                break
            sl.set("timeout", ms)
            self.checks += 1
            r = sl.check(z3.Or(*[T.B(lims[i][0]) for i in rest]))
            if r == z3.unsat:
                break
            if r != z3.sat:
                live.update(rest)
                break
            m = sl.model()
            hit = {i for i in rest if z3.is_true(m.eval(T.B(lims[i][0]), model_completion=True))} or {rest[0]}
            live |= hit
            rest = [i for i in rest if i not in hit]
        self.limits_kept[len(self.limits_kept)] = (len(live), len(lims))
        return [lims[i] for i in sorted(live)]

    def run(self, props: list) -> None:
        s = self.sys
        u = self.u
        left = {p for p in props if p != ir.P_LOCKORDER and p not in self.found}
        want_edges = ir.P_LOCKORDER in props
        self._assert(u.init())
        k = 0
        while True:
            self.depth = k
            if self.progress:
                self.progress(0, k, time.monotonic() - self.t0)
            if self.deadline is not None and time.monotonic() > self.deadline:
                self.stopped = "timeout"
                return
            if k == HOUDINI_DEPTH and self.strengthen is not None:
                self.strengthen()
                for key in ("reach-sl", ("sl", False), "stl"):  # the limits, pruned again with the facts
                    self._cache.pop(key, None)
            pre = u.pre_pairs(k)
            self._settle(k, left)
            # states at depth k
            named = {}
            for p in left:
                f = T.disj(s.state_bad(p), *(s.init_bad.get(p, []) if k == 0 else []))
                if f is not False:
                    named[("prop", p, "state")] = u.at(f, pre)
            if ir.P_LEAK in left and k > 0:
                # leaked() at depth k: the k-th step made an object unreachable (a step property)
                named[("prop", ir.P_LEAK, "step")] = self._leaked(k)
            if want_edges:
                for e, f in s.edges.items():
                    if e not in self.edges:
                        named[("edge", e)] = u.at(f, pre)
            lim, limf = self._state_limit(k == 0)
            self._lims, self._lim_pairs = lim, pre
            if lim:
                named[("limit",)] = u.at(limf, pre)
            if not self._query(named, k, "state", left):
                return
            if self.max_depth is not None and k >= self.max_depth:
                return
            # transitions from depth k
            self._settle(k + 1, left)
            sp = u.step_pairs(k)
            named = {}
            for p in left:
                f = s.step_bad(p)
                if f is not False:
                    named[("prop", p, "step")] = u.at(f, sp)
            lim, limf = self._step_limit()
            self._lims, self._lim_pairs = lim, sp
            if lim:
                named[("limit",)] = u.at(limf, sp)
            if not self._query(named, k, "step", left):
                return
            if self.provisional and not left:
                self._settle(1 << 30, set(self.provisional))
            # can any state at depth k move at all?
            # (only for completeness: a short budget, and 'unknown' counts as 'some thread can move')
            cap = max(2000, int((time.monotonic() - self.t0) * 100))
            r, _ = self._check(u.at(T.disj(*s.en), pre), cap_ms=cap)
            if r == z3.unknown and self.deadline is not None and time.monotonic() >= self.deadline:
                self.stopped = "timeout"
                return
            if r == z3.unsat:
                self.complete = True
                return
            self._assert(u.trans_at(k))
            if k >= 1 and self.por:
                self._assert(self._commuting(k))
            k += 1

    def _leaked(self, k: int):
        if "leaked" not in self._cache:
            self._cache["leaked"] = T.B(self.sys.leaked(self.sys.pre))
        return self.u.at(self._cache["leaked"], self.u.pre_pairs(k))

    def _commuting(self, k: int):
        """Steps k-1 and k in the order commuting_order() allows (see System.commuting_order)."""
        if "por" not in self._cache:
            self._sched2 = T.IntVar("sched2@pre")
            self._cache["por"] = T.B(self.sys.commuting_order(self.sys.sched, self._sched2))
        u = self.u
        pairs = u.pre_pairs(k - 1) + [(self.sys.sched, u.scheds[k - 1]), (self._sched2, u.scheds[k])]
        return z3.substitute(self._cache["por"], pairs)

    def statistics(self) -> dict:
        st = {"conflicts": self.conflicts, "max memory": self.max_mb}
        if self.limits_kept:
            st["limits"] = " + ".join(f"{k}/{n}" for k, n in self.limits_kept.values())
        return st
