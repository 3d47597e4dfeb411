"""Unbounded proofs with Spacer (z3's constrained Horn clause engine).

One predicate Inv(state) over the state vector of state.py, and the clauses

    init(s)                                   -> Inv(s)
    Inv(s) /\\ F(s) /\\ T_t(s, choices, s')    -> Inv(s')      (one per thread t)
    Inv(s) /\\ F(s) /\\ bad(s, choices, sched) -> false        (the query)

F is what the static analysis says of every state; it is used only after an SMT check
shows it inductive (init -> F, F /\\ T -> F'), so it is an invariant, not an assumption.

'unsat' means no reachable state is bad: every property in the query holds, and Spacer's
interpretation of Inv is an inductive invariant (printed with --show-invariant).
'sat' comes with a derivation whose ground Inv facts are the states of a counterexample;
the transitions between them are recovered with small SMT queries and the path is
replayed through the explicit executor. The query is the disjunction of the properties
not decided yet, so each query decides at least one (PDR's frames make each counterexample
a shortest one for the properties still open). 'unknown' (a timeout, Spacer giving up, a
limit of the encoding) is reported as 'unknown' with its reason, never as 'holds'.
"""

from __future__ import annotations

import time

import z3

from rmapcheck.engines.explicit.search import Limits
from rmapcheck.engines.z3 import terms as T
from rmapcheck.engines.z3.bmc import Unrolling
from rmapcheck.engines.z3.engine import Z3Run
from rmapcheck.engines.z3.symexec import EncodingError
from rmapcheck.engines.z3.system import BuildTimeout
from rmapcheck.engines.z3.traces import labels_from_model
from rmapcheck.errors import InternalError
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import HOLDS, UNKNOWN, RunResult


class Prover:
    def __init__(self, sysm, checker, deadline: float | None):
        self.sys = sysm
        self.ch = checker
        self.deadline = deadline
        self.u = Unrolling(sysm)
        self.pre = sysm.pre
        self.post = self.u.post
        self.facts_ok = None
        self.stats: dict = {"conflicts": 0, "max memory": 0.0}
        self.last_invariant = None

    def _ms(self):
        if self.deadline is None:
            return None
        return max(1, int((self.deadline - time.monotonic()) * 1000))

    def check_facts(self) -> bool:
        """Keep the candidate facts that are inductive (Houdini); they strengthen every query."""
        st = self.sys.houdini(self.deadline)
        self.facts_ok = st.get("kept", 0) > 0
        self.stats["facts"] = f"{st.get('kept', 0)}/{st.get('candidates', 0)}"
        return self.facts_ok

    def _fixedpoint(self):
        s = self.sys
        fp = z3.Fixedpoint()
        fp.set(engine="spacer")
        fp.set("xform.slice", True)
        fp.set("xform.inline_linear", False)
        fp.set("xform.inline_eager", False)
        ms = self._ms()
        if ms is not None:
            fp.set("timeout", ms)
        sorts = [v.sort() for v in self.pre.vars]
        self.Inv = z3.Function("Inv", *sorts, z3.BoolSort())
        fp.register_relation(self.Inv)
        extra = s.ch_vars() + [s.sched] + s.init_choice_vars()
        fp.declare_var(*self.pre.vars, *self.post.vars, *extra)
        fp.rule(self.Inv(*self.pre.vars), T.B(s.init_formula(self.pre)), name="init")
        F = T.B(s.invariant_facts(self.pre))
        self.F = F
        for t in range(s.n):
            tr, _ = s.transition(self.post, per_thread=t)
            fp.rule(self.Inv(*self.post.vars), [self.Inv(*self.pre.vars), F, T.B(tr)], name=f"step_{s.names[t]}")
        return fp

    def bad_parts(self, props: list, edges: list) -> list:
        """[(name, formula over pre/choices/sched, kind)] for the query."""
        s = self.sys
        parts = []
        for p in props:
            f = s.state_bad(p)
            if f is not False:
                parts.append((("prop", p), f, "state"))
            g = s.step_bad(p)
            if g is not False:
                parts.append((("prop", p), g, "step"))
            if p == ir.P_LEAK:
                parts.append((("prop", p), self.u.leak, "step"))
        for e in edges:
            parts.append((("edge", e), s.edges[e], "state"))
        lim = T.disj(s.state_limit(), s.step_limit())
        if lim is not False:
            parts.append((("limit",), lim, "step"))
        ilim = T.disj(*[c for c, _, _ in s.init_limit])
        return parts, ilim

    def query(self, props: list, edges: list):
        """('unsat', None) | ('sat', [(name, Path, msg-or-witness)]) | ('unknown', reason) | ('limit', (msg, tags))."""
        s = self.sys
        parts, ilim = self.bad_parts(props, edges)
        # initial states: init-only violations (events of leading steps) and limits
        init_named = {}
        for p in props:
            if s.init_bad.get(p):
                init_named[("prop", p)] = T.disj(*s.init_bad[p])
        if ilim is not False:
            init_named[("limit",)] = ilim
        if init_named:
            res = self._init_check(init_named)
            if res is not None:
                return res
        if not parts:
            return "unsat", None
        fp = self._fixedpoint()
        bad = T.B(T.disj(*[f for _, f, _ in parts]))
        try:
            r = fp.query(z3.And(self.Inv(*self.pre.vars), self.F, bad))
        except z3.Z3Exception as e:
            if "canceled" in str(e):
                return "unknown", "timeout"
            return "unknown", f"Spacer failed: {e}"
        self._add_stats(fp)
        if r == z3.unsat:
            cover = fp.get_cover_delta(-1, self.Inv)
            self.last_invariant = z3.substitute_vars(cover, *self.pre.vars)
            return "unsat", None
        if r == z3.unknown:
            reason = fp.reason_unknown()
            if self.deadline is not None and time.monotonic() >= self.deadline - 0.05:
                reason = "timeout"
            return "unknown", f"Spacer: {reason}"
        states = self._cex_states(fp.get_answer())
        return self._explain(states, parts)

    def _add_stats(self, fp) -> None:
        st = fp.statistics()
        for key in ("conflicts",):
            try:
                self.stats["conflicts"] += int(st.get_key_value(key))
            except z3.Z3Exception:
                pass
        for key in ("max-memory", "memory"):
            try:
                self.stats["max memory"] = max(self.stats["max memory"], float(st.get_key_value(key)))
                break
            except z3.Z3Exception:
                pass

    def _init_check(self, named: dict):
        sl = z3.Solver()
        sl.add(self.u.init())
        pairs = self.u.pre_pairs(0)
        named = {n: self.u.at(f, pairs) for n, f in named.items()}
        sl.add(z3.Or(*named.values()))
        if sl.check() != z3.sat:
            return None
        m = sl.model()
        hits = [n for n, f in named.items() if z3.is_true(m.eval(f, model_completion=True))]
        if ("limit",) in hits:
            msgs = [msg for c, msg, _ in self.sys.init_limit if z3.is_true(m.eval(self.u.at(c, pairs), model_completion=True))]
            return "limit", ("; ".join(msgs) or "encoding limit", [None])
        out = []
        for n in hits:
            path, msg = self.ch.confirm([], n[1], "state", "z3 prove")
            out.append((n, path, msg))
        return "sat", out

    def _cex_states(self, proof) -> list:
        """The ground Inv facts of a Spacer derivation, from the initial state on."""
        name = self.Inv.name()
        seq: list = []
        seen = set()

        def walk(node):
            stack = [node]
            facts = []
            while stack:
                x = stack.pop()
                if not z3.is_app(x) or x.get_id() in seen:
                    continue
                seen.add(x.get_id())
                if x.decl().name() == "hyper-res":
                    ch = x.children()
                    concl = ch[-1]
                    if z3.is_app(concl) and concl.decl().name() == name:
                        facts.append((concl, [c for c in ch[1:-1]]))
                stack.extend(x.children())
            return facts

        facts = walk(proof)
        # order by the premise chain: a fact's premise conclusions come before it
        by_id = {}
        for concl, prem in facts:
            by_id[concl.get_id()] = (concl, prem)

        def concl_of(p):
            if z3.is_app(p) and p.decl().name() == "hyper-res":
                return p.children()[-1]
            if z3.is_app(p) and p.decl().name() == "asserted":
                return p.children()[0]
            return p

        # the last fact is the one no other fact uses as a premise
        used = set()
        for concl, prem in facts:
            for p in prem:
                c = concl_of(p)
                if z3.is_app(c) and c.decl().name() == name:
                    used.add(c.get_id())
        tops = [c for c, _ in facts if c.get_id() not in used]
        if not facts:
            return []
        cur = tops[0] if tops else facts[-1][0]
        while True:
            seq.append(cur)
            _, prem = by_id.get(cur.get_id(), (None, []))
            nxt = None
            for p in prem:
                c = concl_of(p)
                if z3.is_app(c) and c.decl().name() == name:
                    nxt = c
                    break
            if nxt is None or nxt.get_id() not in by_id:
                if nxt is not None:
                    seq.append(nxt)
                break
            cur = nxt
        seq.reverse()
        return [list(f.children()) for f in seq]

    def _explain(self, states: list, parts: list):
        """Find the transitions between the counterexample's states, and what it violates."""
        u = self.u
        n = len(states) - 1
        if n < 0:
            raise InternalError("Spacer reported a counterexample without states")
        sl = z3.Solver()
        sl.add(u.init())
        for k, vals in enumerate(states):
            st = u.state(k)
            for var, v in zip(st.vars, vals):
                sl.add(var == v)
            if k < n:
                sl.add(u.trans_at(k))
        named = {}
        for name, f, kind in parts:
            pairs = u.step_pairs(n) if kind == "step" else u.pre_pairs(n)
            named.setdefault((name, kind), []).append(u.at(f, pairs))
        named = {k: z3.Or(*v) for k, v in named.items()}
        sl.add(z3.Or(*named.values()))
        r = sl.check()
        if r != z3.sat:
            raise InternalError(f"Spacer's counterexample ({n} transitions) does not fit the transition relation ({r})")
        m = sl.model()
        hits = [k for k, f in named.items() if z3.is_true(m.eval(f, model_completion=True))]
        lim = [k for k in hits if k[0] == ("limit",)]
        if lim:
            msgs, tags = [], []
            for t in range(self.sys.n):
                for c, msg, tag in self.sys.limit_step[t]:
                    c2 = u.at(T.conj(T.eq(self.sys.sched, t), c), u.step_pairs(n))
                    if z3.is_true(m.eval(c2, model_completion=True)):
                        msgs.append(msg)
                        tags.append(tag)
            for c, msg, tag in self.sys.limit_state:
                if z3.is_true(m.eval(u.at(c, u.pre_pairs(n)), model_completion=True)):
                    msgs.append(msg)
                    tags.append(tag)
            return "limit", ("; ".join(sorted(set(msgs))) or "encoding limit", tags or [None])
        out = []
        for (name, kind) in hits:
            nsteps = n + 1 if kind == "step" else n
            labels = labels_from_model(self.sys, m, u.steps_for(nsteps), last_any=(kind == "step"))
            if name[0] == "edge":
                path, w = self.ch.confirm_edge(labels, *name[1], "z3 prove")
                out.append((name, path, w))
            else:
                path, msg = self.ch.confirm(labels, name[1], kind, "z3 prove")
                out.append((name, path, msg))
        return "sat", out


def describe_invariant(sysm, inv) -> str:
    """The invariant with state variables named after the model (globals, pcs, locals)."""
    p = sysm.p
    names = []
    for key, var in zip(sysm.pre.keys, sysm.pre.vars):
        names.append((var, _key_name(sysm, key)))
    subst = [(v, z3.Const(n, v.sort())) for v, n in names]
    f = z3.substitute(inv, subst)
    txt = str(f)
    del p
    return txt


def _key_name(sysm, key) -> str:
    kind = key[0]
    p = sysm.p
    if kind == "g":
        nm = p.global_cells[key[1]].name if key[1] < len(p.global_cells) else f"G{key[1]}"
        return nm if key[2] == "o" else f"base({nm})"
    if kind == "pc":
        return f"pc({sysm.names[key[1]]})"
    if kind == "slot":
        t, c = key[1], key[2]
        tl = sysm.lay.threads[t]
        th = sysm.thr[t][0]
        locs = [th.local_cells[k].name.split(":", 1)[-1] for k, cc in tl.color.items() if cc == c]
        nm = f"{sysm.names[t]}:{'|'.join(locs[:3])}"
        return nm if key[3] == "o" else f"base({nm})"
    if kind == "alive":
        site, j = sysm.lay.objs[key[1]]
        return f"alive(site{site}#{j})"
    if kind == "size":
        site, j = sysm.lay.objs[key[1]]
        return f"size(site{site}#{j})"
    if kind == "cell":
        site, j = sysm.lay.objs[key[1]]
        nm = f"site{site}#{j}[{key[2]}]"
        return nm if key[3] == "o" else f"base({nm})"
    if kind == "next":
        return f"allocated(site{key[1]})"
    if kind in ("m", "s"):
        what = "holds" if kind == "m" else "reads"
        return f"{what}({sysm.names[key[1]]},{sysm.lock_name(key[2])})"
    if kind == "wflag":
        return f"waiting({sysm.names[key[1]]})"
    if kind == "waddr":
        return f"wait_srcu({sysm.names[key[1]]}).{key[2]}"
    if kind == "wset":
        return f"waits_for({sysm.names[key[1]]},{sysm.names[key[2]]})"
    if kind == "faults":
        return "faults_left"
    return str(key)


def run_prove(program: ir.Program, limits: Limits, progress=None) -> RunResult:
    T.use_bitvectors(False)  # Spacer reasons best over integers
    run = Z3Run(program, limits, progress)
    props = [p for p in run.props if p != ir.P_LOCKORDER]
    want_edges = ir.P_LOCKORDER in run.props
    decided: dict = {}  # prop -> verdict for the undecided remainder
    reason = ""
    invariant = None
    edge_states: dict = {}  # edge -> True (reachable, witnessed) / False (unreachable)
    while True:
        try:
            sysm = run.system()
        except EncodingError as e:
            res = run.results(UNKNOWN, f"z3 cannot encode the model: {e}", False)
            return run.result("prove", res, 0, False, "encoding")
        except BuildTimeout:
            res = run.results(UNKNOWN, "timeout (while building the encoding)", False)
            return run.result("prove", res, 0, False, "timeout")
        pr = Prover(sysm, run.checker, run.deadline)
        for p, v in run.init_violations(sysm).items():
            run.found.setdefault(p, v)
        pr.check_facts()
        open_props = [p for p in props if p not in run.found and p not in decided]
        lifted = False
        while open_props:
            status, info = pr.query(open_props, [])
            if status == "unsat":
                for p in open_props:
                    decided[p] = HOLDS
                invariant = pr.last_invariant
                break
            if status == "unknown":
                reason = info
                break
            if status == "limit":
                msg, tags = info
                if run.lift(tags):
                    lifted = True
                    break
                reason = f"encoding limit: {msg}"
                break
            for name, path, msg in info:
                if name[0] == "prop":
                    run.found[name[1]] = (path, msg, len(path.labels))
            open_props = [p for p in open_props if p not in run.found]
        if lifted:
            run.add_stats(pr.stats)
            continue
        # lock-order: which "held A, takes B" edges are reachable
        if want_edges and not reason:
            for e in sysm.edges:
                if e in edge_states:
                    continue
                status, info = pr.query([], [e])
                if status == "unsat":
                    edge_states[e] = False
                elif status == "sat":
                    for name, path, w in info:
                        run.edges[name[1]] = (path, w)
                        edge_states[name[1]] = True
                elif status == "limit":
                    msg, tags = info
                    if run.lift(tags):
                        lifted = True
                        break
                    reason = f"encoding limit: {msg}"
                    break
                else:
                    reason = info
                    break
            if lifted:
                run.add_stats(pr.stats)
                continue
        run.add_stats(pr.stats)
        break
    results = {}
    all_edges = not reason
    res = run.results(UNKNOWN, reason or "undecided", all_edges)
    for p, r in res.items():
        if p in decided and r.verdict != "violated":
            r.verdict = decided[p]
            r.message = ""
        results[p] = r
    depth = max((f[2] for f in run.found.values()), default=0)
    rr = run.result("prove", results, depth, not reason, None if not reason else "unknown")
    rr.z3_stats["facts"] = pr.stats.get("facts", "")
    rr.invariant = describe_invariant(sysm, invariant) if invariant is not None else None
    return rr
