"""Finite first-order structures: evaluate formulas, apply transitions.

A ``Structure`` is what both the z3 counterexamples and the model-conformance check
produce: a finite universe per sort and the value of every symbol. Elements and enum
constants are strings (``slot0``, ``w_locked``), truth values Python bools.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from rmapcheck.proofs.syntax import BOOL, E, Proof, Transition


@dataclass
class Structure:
    universe: dict  # sort -> list of elements (enum sorts: their constants; bool: [False, True])
    interp: dict = field(default_factory=dict)  # symbol -> value (0-ary) or {args tuple: value}

    def key(self) -> tuple:
        """A hashable form, to compare and cache structures."""
        out = []
        for name in sorted(self.interp):
            v = self.interp[name]
            out.append((name, tuple(sorted(v.items())) if isinstance(v, dict) else v))
        return tuple(out)


def universe_for(proof: Proof, sizes: dict) -> dict:
    """Universes: the given elements for uninterpreted sorts, constants for enums, bools."""
    u = {BOOL: [False, True]}
    for d in proof.sorts.values():
        u[d.name] = list(d.values) if d.kind == "enum" else list(sizes.get(d.name, []))
    return u


def tuples(universe: dict, sorts) -> list:
    return list(itertools.product(*(universe[s] for s in sorts)))


class EvalError(Exception):
    pass


def evaluate(e: E, st: Structure, env: dict):
    op = e.op
    if op == "true":
        return True
    if op == "false":
        return False
    if op == "var":
        return env[e.name]
    if op == "enum":
        return e.name
    if op == "sym":
        v = st.interp[e.name]
        if not e.args:
            return v
        key = tuple(evaluate(a, st, env) for a in e.args)
        try:
            return v[key]
        except KeyError:
            raise EvalError(f"{e.name}{key} has no value") from None
    if op == "not":
        return not evaluate(e.args[0], st, env)
    if op == "and":
        return evaluate(e.args[0], st, env) and evaluate(e.args[1], st, env)
    if op == "or":
        return evaluate(e.args[0], st, env) or evaluate(e.args[1], st, env)
    if op == "implies":
        return (not evaluate(e.args[0], st, env)) or evaluate(e.args[1], st, env)
    if op == "iff":
        return evaluate(e.args[0], st, env) == evaluate(e.args[1], st, env)
    if op == "eq":
        return evaluate(e.args[0], st, env) == evaluate(e.args[1], st, env)
    if op == "ite":
        return evaluate(e.args[1] if evaluate(e.args[0], st, env) else e.args[2], st, env)
    if op in ("forall", "exists"):
        names = [b[0] for b in e.binders]
        sorts = [b[1] for b in e.binders]
        want = op == "forall"
        for combo in itertools.product(*(st.universe[s] for s in sorts)):
            inner = dict(env)
            inner.update(zip(names, combo))
            if bool(evaluate(e.args[0], st, inner)) != want:
                return not want
        return want
    raise EvalError(f"cannot evaluate '{op}'")


def witnesses(e: E, st: Structure, env: dict | None = None) -> list:
    """For a formula false in st: the values of its leading 'forall' variables that falsify it."""
    env = dict(env or {})
    out = []
    while e.op == "forall":
        names = [b[0] for b in e.binders]
        sorts = [b[1] for b in e.binders]
        for combo in itertools.product(*(st.universe[s] for s in sorts)):
            inner = dict(env)
            inner.update(zip(names, combo))
            if not evaluate(e.args[0], st, inner):
                out.extend(f"{n} = {fmt(v)}" for n, v in zip(names, combo))
                env = inner
                break
        else:
            return out
        e = e.args[0]
        while e.op == "implies" and e.args[1].op == "forall" and evaluate(e.args[0], st, env):
            e = e.args[1]
    return out


def fmt(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def apply_transition(proof: Proof, tr: Transition, st: Structure, params: dict) -> Structure:
    """The post-state of tr from st with the given parameter values (guards not checked)."""
    interp = dict(st.interp)
    for u in tr.updates:
        d = proof.symbols[u.sym]
        if not d.arg_sorts:
            interp[u.sym] = evaluate(u.rhs, st, params)
            continue
        old = st.interp[u.sym]
        new = dict(old)
        fixed = [None if (a.op == "var" and a.name in u.patterns) else evaluate(a, st, params) for a in u.lhs]
        for key in old:
            if any(f is not None and f != k for f, k in zip(fixed, key)):
                continue
            env = dict(params)
            for a, k in zip(u.lhs, key):
                if a.op == "var" and a.name in u.patterns:
                    env[a.name] = k
            new[key] = evaluate(u.rhs, st, env)
        interp[u.sym] = new
    return Structure(st.universe, interp)


def enabled(tr: Transition, st: Structure, params: dict) -> bool:
    return all(evaluate(r, st, params) for r in tr.requires)


def param_choices(tr: Transition, universe: dict) -> list:
    names = [p[0] for p in tr.params]
    return [dict(zip(names, combo)) for combo in itertools.product(*(universe[p[1]] for p in tr.params))]


def compile_formula(e: E):
    """e as a closure (interp, env) -> value: the clause checks of the model conformance run it
    on every new abstract state, so it is compiled once instead of walked each time."""
    op = e.op
    if op == "true":
        return lambda I, env: True
    if op == "false":
        return lambda I, env: False
    if op == "var":
        n = e.name
        return lambda I, env: env[n]
    if op == "enum":
        v = e.name
        return lambda I, env: v
    if op == "sym":
        name = e.name
        if not e.args:
            return lambda I, env: I[name]
        args = [compile_formula(a) for a in e.args]
        if len(args) == 1:
            a0 = args[0]
            return lambda I, env: I[name][(a0(I, env),)]
        return lambda I, env: I[name][tuple([a(I, env) for a in args])]
    if op == "not":
        a = compile_formula(e.args[0])
        return lambda I, env: not a(I, env)
    if op in ("and", "or", "implies", "iff", "eq"):
        a, b = compile_formula(e.args[0]), compile_formula(e.args[1])
        if op == "and":
            return lambda I, env: a(I, env) and b(I, env)
        if op == "or":
            return lambda I, env: a(I, env) or b(I, env)
        if op == "implies":
            return lambda I, env: (not a(I, env)) or b(I, env)
        return lambda I, env: a(I, env) == b(I, env)
    if op == "ite":
        c, a, b = (compile_formula(x) for x in e.args)
        return lambda I, env: a(I, env) if c(I, env) else b(I, env)
    if op in ("forall", "exists"):
        names = [b[0] for b in e.binders]
        sorts = [b[1] for b in e.binders]
        body = compile_formula(e.args[0])
        want = op == "forall"

        def q(I, env, U):
            for combo in itertools.product(*(U[s] for s in sorts)):
                inner = dict(env)
                inner.update(zip(names, combo))
                if bool(body(I, inner)) != want:
                    return not want
            return want

        return lambda I, env: q(I, env, env["__universe__"])
    raise EvalError(f"cannot compile '{op}'")


def holds_in(f, st: Structure) -> bool:
    """Run a compiled closed formula on a structure."""
    return bool(f(st.interp, {"__universe__": st.universe}))


class CompiledTransition:
    """A transition's guard and updates as closures, for the simulation check."""

    def __init__(self, proof: Proof, tr: Transition):
        self.tr = tr
        self.requires = [compile_formula(r) for r in tr.requires]
        self.updates = []
        for u in tr.updates:
            d = proof.symbols[u.sym]
            lhs = [None if (a.op == "var" and a.name in u.patterns) else compile_formula(a) for a in u.lhs]
            pats = [a.name if (a.op == "var" and a.name in u.patterns) else None for a in u.lhs]
            self.updates.append((u.sym, bool(d.arg_sorts), lhs, pats, compile_formula(u.rhs)))

    def enabled(self, st: Structure, params: dict) -> bool:
        env = dict(params)
        env["__universe__"] = st.universe
        I = st.interp
        return all(r(I, env) for r in self.requires)

    def post(self, st: Structure, params: dict) -> dict:
        env = dict(params)
        env["__universe__"] = st.universe
        I = st.interp
        out = dict(I)
        for sym, nary, lhs, pats, rhs in self.updates:
            if not nary:
                out[sym] = rhs(I, env)
                continue
            old = I[sym]
            new = dict(old)
            fixed = [f(I, env) if f is not None else None for f in lhs]
            for key in old:
                if any(f is not None and f != k for f, k in zip(fixed, key)):
                    continue
                inner = env
                if any(p is not None for p in pats):
                    inner = dict(env)
                    for p_, k in zip(pats, key):
                        if p_ is not None:
                            inner[p_] = k
                new[key] = rhs(I, inner)
            out[sym] = new
        return out
