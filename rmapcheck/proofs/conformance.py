"""Is a proof about its model? Explore the model and compare every state with the abstraction.

For the model's default parameters (or the proof's ``model ... with NAME=V``), the explicit
engine's executor explores every reachable state (sequential consistency). For each state
the proof's abstraction gives an abstract state, in which

* every invariant clause and safety property must hold (so the invariant the solver proved
  inductive is an invariant *of this model*, not of some other design), and
* (simulation) every model step must either leave the abstract state unchanged or be one of
  the proof's transitions, with some choice of its parameters, whose guard holds and whose
  updates give exactly the abstract state after the step (so the transition system the
  solver reasons about contains every behaviour of the model).

The first failure of each kind comes with the model trace that reaches it. The coverage says,
for every transition, which model lines realise it.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field

from rmapcheck.errors import UsageError, pos_text, where_text
from rmapcheck.proofs.concrete import AbsError, ModelView, load_program_with_types
from rmapcheck.proofs.logic import (
    CompiledTransition, EvalError, Structure, compile_formula, evaluate, holds_in, param_choices, witnesses,
)
from rmapcheck.proofs.syntax import Proof


@dataclass
class Failure:
    kind: str  # "clause", "init", "step", "abstraction"
    what: str  # clause name, init name, or the model step
    message: str
    path: object  # rmapcheck.properties.verdict.Path to the state (or the step)
    pre: Structure | None = None
    post: Structure | None = None
    trace: object = None  # filled in by replay


@dataclass
class Conformance:
    proof: str
    model: str
    states: int = 0
    steps: int = 0
    abstract_states: int = 0
    seconds: float = 0.0
    complete: bool = True
    limit: str = ""
    failures: list = field(default_factory=list)
    clause_states: dict = field(default_factory=dict)  # clause -> number of states checked
    coverage: dict = field(default_factory=dict)  # transition -> {(thread function, line, text)}
    stutter: int = 0
    skipped: str = ""
    transitions: int = 0  # how many transitions the proof has

    buggy: bool = False  # the proof declares expected failures: the invariant need not hold in the model

    @property
    def violations(self) -> list:
        """Clauses false in a reachable state (expected for a buggy design: the bug, concretely)."""
        return [f for f in self.failures if f.kind == "clause"]

    @property
    def ok(self) -> bool:
        if self.skipped or not self.complete:
            return False
        if self.buggy:
            return all(f.kind == "clause" for f in self.failures)
        return not self.failures


def resolve_model(proof: Proof) -> str | None:
    """The model's path: as written if it exists, else relative to the proof's folder or its parents."""
    m = proof.model
    if os.path.isabs(m):
        return m if os.path.exists(m) else None
    d = os.path.dirname(os.path.abspath(proof.path))
    while True:
        cand = os.path.join(d, m)
        if os.path.exists(cand):
            return os.path.relpath(cand)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return m if os.path.exists(m) else None


def check_model(proof: Proof, max_states: int = 2_000_000, timeout: float | None = None,
                simulation: bool = True, model_path: str | None = None) -> Conformance:
    from rmapcheck.engines.explicit.executor import Executor
    from rmapcheck.properties.verdict import Path

    t0 = time.monotonic()
    path = model_path or resolve_model(proof)
    res = Conformance(proof.name, proof.model, buggy=bool(proof.expects), transitions=len(proof.transitions))
    if not proof.model:
        res.skipped = "the proof names no model"
        return res
    if path is None:
        res.skipped = f"the model {proof.model} does not exist (yet)"
        return res
    res.model = path
    program, structs = load_program_with_types(path, dict(proof.defines))
    ex = Executor(program)
    view = ModelView(proof, program, structs, ex.threads)
    abstract = view.compile()

    clauses = [(f, f.name, compile_formula(f.expr)) for f in proof.invariants + proof.safety]
    failed_clauses: set = set()
    failed_kinds: set = set()
    sim_cache: dict = {}
    compiled_trs: dict = {}
    visited: dict = {}
    parent: list = []
    absr: list = []
    keys: dict = {}
    for f, _, _ in clauses:
        res.clause_states[f.name] = 0  # distinct abstract states the clause was evaluated in

    def path_to(sid: int, last=None) -> Path:
        labels = []
        while True:
            p, lab = parent[sid]
            if p < 0:
                labels.reverse()
                if last is not None:
                    labels.append(last)
                return Path(lab, labels, "step" if last is not None else "state")
            labels.append(lab)
            sid = p

    def fail(kind: str, what: str, msg: str, sid: int, last=None, pre=None, post=None) -> None:
        if (kind, what) in failed_kinds:
            return
        failed_kinds.add((kind, what))
        res.failures.append(Failure(kind, what, msg, path_to(sid, last), pre, post))

    def add(st, par) -> int:
        sid = len(parent)
        visited[st] = sid
        parent.append(par)
        try:
            a = abstract(st)
        except (AbsError, IndexError, KeyError, TypeError) as e:
            absr.append(None)
            fail("abstraction", "abstraction", f"the abstraction cannot be evaluated: {e}", sid)
            return sid
        k = id(a)  # the abstraction returns one object per distinct abstract state
        absr.append(a)
        if k in keys:  # an abstract state seen before: its clauses are already checked
            return sid
        keys[k] = a
        for f, name, compiled in clauses:
            if name in failed_clauses:
                continue
            res.clause_states[name] += 1
            try:
                ok = holds_in(compiled, a)
            except (EvalError, KeyError) as e:
                ok = False
                msg = str(e)
            else:
                msg = ""
            if not ok:
                failed_clauses.add(name)
                wit = witnesses(f.expr, a)
                fail("clause", name, f"{f.kind} {name} ({proof.source.where(f.line)}) is false in a reachable state"
                     + (f" for {', '.join(wit)}" if wit else "") + (f": {msg}" if msg else ""), sid, pre=a)
        return sid

    queue: deque = deque()
    for k, (st, _evs) in enumerate(ex.initial_states()):
        if st in visited:
            continue
        sid = add(st, (-1, k))
        queue.append(sid)
        a = absr[sid]
        if a is not None:
            for f in proof.inits + proof.axioms:
                if not evaluate(f.expr, a, {}):
                    fail("init", f.name, f"the initial state does not satisfy {f.kind} {f.name} ({proof.source.where(f.line)})",
                         sid, pre=a)
    states: list = [None] * 0
    states_by_sid: dict = {sid: st for st, sid in visited.items()}
    nthreads = len(ex.threads)
    while queue:
        if len(parent) >= max_states:
            res.complete, res.limit = False, f"max-states {max_states}"
            break
        if timeout is not None and time.monotonic() - t0 > timeout:
            res.complete, res.limit = False, f"timeout {timeout:g} s"
            break
        sid = queue.popleft()
        st = states_by_sid.pop(sid)
        a = absr[sid]
        for t in range(nthreads):
            if not ex.enabled(st, t):
                continue
            pc = st[2][t][0]
            instr = ex.threads[t].ir.code[pc]
            for ch, out in ex.transitions(st, t):
                ns = out.state
                if ns is None:
                    continue
                res.steps += 1
                nsid = visited.get(ns)
                if nsid is None:
                    nsid = add(ns, (sid, (t, ch)))
                    states_by_sid[nsid] = ns
                    queue.append(nsid)
                if not simulation or a is None:
                    continue
                b = absr[nsid]
                if b is None:
                    continue
                if b is a:
                    res.stutter += 1
                    continue
                key = (id(a), id(b))
                m = sim_cache.get(key)
                if m is None:
                    m = sim_cache[key] = match(proof, a, b, compiled_trs)
                # the position: '76' in the model, 'kvm_arrays.h:226' in a file it #includes
                loc = instr.loc
                where = (ex.threads[t].ir.name, pos_text(loc.line, loc.incl_file) if loc.included else loc.line,
                         instr.text.strip())
                if m is False:
                    changed = [n for n in a.interp if a.interp[n] != b.interp[n]]
                    at = where_text(instr.loc.line, instr.loc.incl_file)
                    fail("step", f"{where[0]} {at}",
                         f"the step of thread {ex.threads[t].name} at {at} ({where[2]}) changes "
                         f"{', '.join(changed)} as no transition of the proof does",
                         sid, (t, ch), a, b)
                    continue
                res.coverage.setdefault(m, set()).add(where)
    res.states = len(parent)
    res.abstract_states = len(keys)
    res.seconds = time.monotonic() - t0
    for f in res.failures:
        try:
            from rmapcheck.engines.explicit.replay import replay

            f.trace = replay(ex, f.path, f.kind, f.message)
        except Exception:  # pragma: no cover - a trace is a courtesy; the failure stands
            f.trace = None
    del states
    return res


def check_model_file(proof_path: str, max_states: int = 2_000_000, progress=None) -> Conformance:
    """check_model of a proof file, for a worker process (the result pickles, traces included;
    ``progress`` is the worker pool's, unused: the check reports at its end)."""
    from rmapcheck.proofs.parser import load_proof

    return check_model(load_proof(proof_path), max_states=max_states)


def match(proof: Proof, a: Structure, b: Structure, compiled: dict | None = None):
    """The name of a transition taking a to b (with some parameters), or False."""
    if compiled is None:
        compiled = {}
    changed = {n for n in a.interp if a.interp[n] != b.interp[n]}
    bk = b.interp
    for tr in proof.transitions:
        if not changed <= tr.modifies():
            continue
        ct = compiled.get(tr.name)
        if ct is None:
            ct = compiled[tr.name] = CompiledTransition(proof, tr)
        for params in param_choices(tr, a.universe):
            try:
                if not ct.enabled(a, params):
                    continue
                post = ct.post(a, params)
            except (EvalError, KeyError):
                continue
            if post == bk:
                return tr.name
    return False


def check_usage(paths: list) -> None:
    for p in paths:
        if not os.path.exists(p):
            raise UsageError(f"{p}: no such file")
