"""Check a proof with z3: initiation, consecution, safety.

Every check is "this formula has no model": the pre-state is the invariant (all clauses),
the post-state is expressed by substitution (the weakest precondition of the clause under
the transition's simultaneous updates), so no second copy of the state is declared. A
transition's parameters become constants (its nondeterministic choices). One solver per
transition holds the invariant and the guards; each clause is pushed, checked and popped.

A check whose clause mentions no symbol the transition updates holds without asking z3
(the frame rule); such rows are reported as 'holds (unchanged)'.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from rmapcheck.proofs.epr import Alternation
from rmapcheck.proofs.lexer import error_at
from rmapcheck.proofs.logic import Structure, apply_transition, evaluate, fmt, witnesses
from rmapcheck.proofs.parser import symbols_of
from rmapcheck.proofs.syntax import BOOL, E, Formula, Proof, Transition

HOLDS, FAILS, UNKNOWN, FRAME = "holds", "fails", "unknown", "holds (unchanged)"


@dataclass
class CTI:
    kind: str  # "initiation", "consecution", "safety"
    clause: str
    transition: str  # "init", a transition name, or "invariant" (for safety)
    params: dict
    universe: dict  # uninterpreted sort -> [element names]
    pre: Structure
    post: Structure | None
    witness: list = field(default_factory=list)  # "s = slot1": the instance of the clause that fails


@dataclass
class Check:
    proof: str
    clause: str
    transition: str
    result: str
    seconds: float
    cti: CTI | None = None
    expected_fail: bool = False
    message: str = ""
    # with check_proof(cores=True), for a check that holds by z3: the invariant clauses its
    # proof used (an unsat core; not necessarily minimal). Dropping a clause outside it
    # cannot make this check fail.
    core: frozenset | None = None

    @property
    def ok(self) -> bool:
        """As expected: holds, or fails where the proof says it must."""
        if self.expected_fail:
            return self.result == FAILS
        return self.result in (HOLDS, FRAME)


class Encoder:
    def __init__(self, proof: Proof, timeout_ms: int = 20000):
        self.proof = proof
        self.ctx = z3.Context()
        self.timeout_ms = timeout_ms
        self.sorts: dict = {BOOL: z3.BoolSort(self.ctx)}
        self.enum: dict = {}
        for d in proof.sorts.values():
            if d.kind == "enum":
                s, consts = z3.EnumSort(d.name, list(d.values), ctx=self.ctx)
                self.sorts[d.name] = s
                self.enum.update(zip(d.values, consts))
            else:
                self.sorts[d.name] = z3.DeclareSort(d.name, self.ctx)
        self.funcs: dict = {}
        for d in proof.symbols.values():
            if d.arg_sorts:
                self.funcs[d.name] = z3.Function(d.name, *[self.sorts[s] for s in d.arg_sorts], self.sorts[d.sort])
            else:
                self.funcs[d.name] = z3.Const(d.name, self.sorts[d.sort])
        self.n = 0

    def fresh(self, name: str, sort: str):
        self.n += 1
        return z3.Const(f"{name}!{self.n}", self.sorts[sort])

    # -- translation ----------------------------------------------------------------------
    def term(self, e: E, env: dict, tr: Transition | None = None, tenv: dict | None = None):
        """e in the pre-state, or (tr given) in the post-state of tr with parameters tenv."""
        op = e.op
        if op == "true":
            return z3.BoolVal(True, self.ctx)
        if op == "false":
            return z3.BoolVal(False, self.ctx)
        if op == "var":
            return env[e.name]
        if op == "enum":
            return self.enum[e.name]
        if op == "sym":
            args = [self.term(a, env, tr, tenv) for a in e.args]
            f = self.funcs[e.name]
            pre = f(*args) if args else f
            if tr is None:
                return pre
            for u in tr.updates:
                if u.sym != e.name:
                    continue
                uenv = dict(tenv)
                conds = []
                for lhs, a in zip(u.lhs, args):
                    if lhs.op == "var" and lhs.name in u.patterns:
                        uenv[lhs.name] = a
                    else:
                        conds.append(self.term(lhs, tenv) == a)
                new = self.term(u.rhs, uenv)
                if not conds:
                    return new
                return z3.If(z3.And(*conds) if len(conds) > 1 else conds[0], new, pre)
            return pre
        if op == "not":
            return z3.Not(self.term(e.args[0], env, tr, tenv))
        if op == "and":
            return z3.And(*(self.term(a, env, tr, tenv) for a in e.args))
        if op == "or":
            return z3.Or(*(self.term(a, env, tr, tenv) for a in e.args))
        if op == "implies":
            return z3.Implies(*(self.term(a, env, tr, tenv) for a in e.args))
        if op in ("iff", "eq"):
            a, b = (self.term(x, env, tr, tenv) for x in e.args)
            return a == b
        if op == "ite":
            return z3.If(*(self.term(a, env, tr, tenv) for a in e.args))
        if op in ("forall", "exists"):
            inner = dict(env)
            vs = []
            for n, s, _, _ in e.binders:
                v = self.fresh(n, s)
                inner[n] = v
                vs.append(v)
            body = self.term(e.args[0], inner, tr, tenv)
            return z3.ForAll(vs, body) if op == "forall" else z3.Exists(vs, body)
        raise ValueError(f"cannot translate {op}")

    def solver(self) -> z3.Solver:
        s = z3.Solver(ctx=self.ctx)
        s.set("timeout", self.timeout_ms)
        return s

    # -- models ------------------------------------------------------------------------------
    def structure(self, m: z3.ModelRef, names: dict | None = None) -> tuple[Structure, dict]:
        """The pre-state of a z3 model as a finite structure; names: z3 element -> name."""
        pr = self.proof
        names = {} if names is None else names
        universe = {BOOL: [False, True]}
        back = {}
        for d in pr.sorts.values():
            if d.kind == "enum":
                universe[d.name] = list(d.values)
                continue
            elems = list(m.get_universe(self.sorts[d.name]) or [])
            if not elems:  # the sort does not occur in the query: one element stands for it
                elems = [m.eval(z3.Const(f"{d.name}!any", self.sorts[d.name]), model_completion=True)]
            universe[d.name] = []
            for k, el in enumerate(elems):
                nm = f"{d.name}{k}"
                names[self.key(el)] = nm
                universe[d.name].append(nm)
                back[nm] = el
        for c in self.enum:
            back[c] = self.enum[c]

        def val(t):
            v = m.eval(t, model_completion=True)
            if z3.is_bool(v):
                return z3.is_true(v)
            k = self.key(v)
            if k in names:
                return names[k]
            return str(v)

        interp = {}
        import itertools

        for d in pr.symbols.values():
            f = self.funcs[d.name]
            if not d.arg_sorts:
                interp[d.name] = val(f)
                continue
            table = {}
            for combo in itertools.product(*(universe[s] for s in d.arg_sorts)):
                zargs = [self.zval(x, s, back) for x, s in zip(combo, d.arg_sorts)]
                table[combo] = val(f(*zargs))
            interp[d.name] = table
        return Structure(universe, interp), back

    def zval(self, x, sort: str, back: dict):
        if sort == BOOL:
            return z3.BoolVal(bool(x), self.ctx)
        return back[x]

    @staticmethod
    def key(el) -> str:
        return el.sexpr()

    def card_bound(self, sort: str, k: int):
        es = [self.fresh(f"{sort}_e", sort) for _ in range(k)]
        x = self.fresh("x", sort)
        return z3.ForAll([x], z3.Or(*[x == e for e in es]))


def _minimize(enc: Encoder, s: z3.Solver) -> z3.ModelRef:
    """A model with as few elements of each uninterpreted sort as the check allows."""
    m = s.model()
    for d in enc.proof.sorts.values():
        if d.kind != "uninterpreted":
            continue
        size = len(m.get_universe(enc.sorts[d.name]) or [])
        for k in range(1, size):
            s.push()
            s.add(enc.card_bound(d.name, k))
            if s.check() == z3.sat:
                m = s.model()
                s.pop()
                s.add(enc.card_bound(d.name, k))  # keep the bound for the next sorts
                break
            s.pop()
    return m


def _cti(enc: Encoder, s: z3.Solver, kind: str, clause: Formula, tr: Transition | None, pconsts: dict) -> CTI:
    s.push()  # bounds added while minimising are dropped with this scope
    try:
        m = _minimize(enc, s)
        pre, back = enc.structure(m)
    finally:
        s.pop()
    params = {}
    if tr is not None:
        for n, srt, _, _ in tr.params:
            v = m.eval(pconsts[n], model_completion=True)
            if z3.is_bool(v):
                params[n] = z3.is_true(v)
            else:
                inv = {Encoder.key(z): nm for nm, z in back.items()}
                params[n] = inv.get(Encoder.key(v), str(v))
    post = apply_transition(enc.proof, tr, pre, params) if tr is not None else None
    target = post if post is not None else pre
    wit = witnesses(clause.expr, target) if not evaluate(clause.expr, target, {}) else []
    universe = {d.name: pre.universe[d.name] for d in enc.proof.sorts.values() if d.kind == "uninterpreted"}
    return CTI(kind, clause.name, tr.name if tr else ("init" if kind == "initiation" else "invariant"),
               params, universe, pre, post, wit)


def check_proof(proof: Proof, timeout_ms: int = 20000, only_clauses: set | None = None,
                ignore_expect: bool = False, first_failure: bool = False, cores: bool = False,
                only_checks: set | None = None) -> list[Check]:
    """Every check of the proof, in order: initiation, consecution per transition, safety.

    ``only_clauses``: the invariant is the conjunction of these clauses only (the tests
    drop one clause at a time); ``first_failure``: stop after the first failing check;
    ``cores``: record, for each check that holds, the clauses of the invariant z3 used
    (``Check.core``); ``only_checks``: run only these (clause, transition) checks (the
    transition named as in the table: ``init``, a transition, ``invariant``).
    """
    enc = Encoder(proof, timeout_ms)
    clauses = [f for f in proof.invariants if only_clauses is None or f.name in only_clauses]
    expected = set() if ignore_expect else {(x.clause, x.transition) for x in proof.expects}
    axioms = [enc.term(a.expr, {}) for a in proof.axioms]
    inv = [enc.term(c.expr, {}) for c in clauses]
    out: list[Check] = []
    alt = Alternation({d.name for d in proof.sorts.values() if d.kind == "uninterpreted"}, enc.funcs.values())

    class Stop(Exception):
        pass

    lits = {c.name: z3.Bool(f"inv!{c.name}", enc.ctx) for c in clauses} if cores else {}
    assume = list(lits.values())
    by_lit = {str(v): k for k, v in lits.items()}

    def wanted(clause, tname) -> bool:
        return only_checks is None or (clause.name, tname) in only_checks

    def run(s, known, goal, kind, clause, tr, pconsts) -> None:
        tname = tr.name if tr else ("init" if kind == "initiation" else "invariant")
        if not wanted(clause, tname):
            return
        cyc = alt.cycle([z3.Not(goal)], known)
        if cyc:
            where = f" under transition {tr.name} ({proof.source.where(tr.line)})" if tr is not None else ""
            raise error_at(proof.source, clause.line, clause.col,
                           f"the check of '{clause.name}'{where} is outside the decidable fragment: its quantifier "
                           f"alternations make the sorts {' -> '.join(cyc)} cyclic (z3 might not terminate); "
                           "state the clause with 'forall' only, or break the cycle")
        t0 = time.monotonic()
        s.push()
        s.add(z3.Not(goal))
        r = s.check(*assume) if kind != "initiation" else s.check()
        cti = None
        core = None
        msg = ""
        if r == z3.unsat and cores:
            core = frozenset() if kind == "initiation" else frozenset(by_lit[str(x)] for x in s.unsat_core())
        if r == z3.sat:
            result = FAILS
            cti = _cti(enc, s, kind, clause, tr, pconsts)
        elif r == z3.unsat:
            result = HOLDS
        else:
            result = UNKNOWN
            msg = s.reason_unknown()
        s.pop()
        out.append(Check(proof.name, clause.name, tname, result, time.monotonic() - t0, cti,
                         (clause.name, tname) in expected, msg, core))
        if first_failure and result != HOLDS:
            raise Stop()

    try:
        # initiation
        s = enc.solver()
        s.add(*axioms)
        inits = [enc.term(i.expr, {}) for i in proof.inits]
        s.add(*inits)
        known = alt.of(axioms + inits)
        for c in clauses:
            if wanted(c, "init"):
                run(s, known, enc.term(c.expr, {}), "initiation", c, None, {})
        # consecution: one solver holds the invariant; each transition's guards are pushed
        s = enc.solver()
        s.add(*axioms)
        if cores:  # each clause behind an assumption literal, so that z3 can say which it used
            s.add(*[z3.Implies(lits[c.name], t) for c, t in zip(clauses, inv)])
        else:
            s.add(*inv)
        known_inv = alt.of(axioms + inv)
        for tr in proof.transitions:
            if only_checks is not None and not any(t == tr.name for _, t in only_checks):
                continue
            pconsts = {n: enc.fresh(n, srt) for n, srt, _, _ in tr.params}
            reqs = [enc.term(r, pconsts) for r in tr.requires]
            s.push()
            s.add(*reqs)
            known = known_inv | alt.of(reqs)
            mod = tr.modifies()
            for c in clauses:
                if not (symbols_of(c.expr) & mod):
                    if wanted(c, tr.name):
                        out.append(Check(proof.name, c.name, tr.name, FRAME, 0.0, None, (c.name, tr.name) in expected,
                                         core=frozenset() if cores else None))
                    continue
                if wanted(c, tr.name):
                    run(s, known, enc.term(c.expr, {}, tr, pconsts), "consecution", c, tr, pconsts)
            s.pop()
        # safety
        for p in proof.safety:
            if wanted(p, "invariant"):
                run(s, known_inv, enc.term(p.expr, {}), "safety", p, None, {})
    except Stop:
        pass
    return out


__all__ = ["check_proof", "Check", "CTI", "HOLDS", "FAILS", "UNKNOWN", "FRAME", "fmt"]
