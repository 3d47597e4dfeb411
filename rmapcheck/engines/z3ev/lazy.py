"""A weak memory model's expensive axioms asserted only when a candidate execution needs them
(counterexample-guided refinement, as Dartagnan does). Used when the engine is asked for it
(check_events(lazy=True), benchmarks/weak_models.py --lazy): on the KVM models in sc's
configuration it was measured slower than asserting every axiom up front
(benchmarks/results/lkmm_sc_config.md), so it is not the default.

Why it is sound: the solver starts with a subset of the model's axioms (for lkmm: coherence,
atomic, happens-before, propagation; for tso: uniproc, atomic, tso), which allows MORE
executions than the whole model. So an unsatisfiable query is unsatisfiable under every
axiom too: `holds` stays a complete proof. A satisfiable one gives a candidate execution,
whose concrete graph the independent judge (rmapcheck.axioms, every axiom, no z3) checks
before the solver answers `sat`: if the judge allows it, the execution is one the model has;
if it rejects it, the axiom it names (the first that fails, in the .cat file's order) is
built and asserted at the solver's base level (a fact about every execution, not about the
query) and the query is solved again. The loop ends: each round asserts one more axiom, and
once every axiom is asserted a rejected candidate is the internal error it always was (the
encoding and the judge disagree). Every `sat` the engine sees passed the judge, so the
unwinding check, the srcu-hang check and lock-order's edges are exact too.

Which axioms wait: lkmm's rcu (rcu-link, rcu-order, rb) and plain-coherence (xb*, vis and
the -vis relations), the larger part of the formula (benchmarks/results/weak_cost.md), and
tso's rcu (the grace-period guarantee, axioms/gp.py). Their relations are built only when
an axiom or a query needs them: no-use-after-free under lkmm reads the plain section's
relations (rw-xbstar, ww-vis, wr-vis) in its query (lifetime.py), which `build_all` makes
without asserting the axioms.

Closures: the model's closures are least pre-fixed points (axioms/symbolic.py), exact only
where they occur negatively in what is asserted. Each axiom asserted is checked for that
(Formulas.polarity_ok); one that fails it is asserted in Warshall's exact encoding instead,
from a build of its own. A closure's clauses only bind its fresh Booleans (any solution
with bigger closures exists), so every one made is asserted, whatever uses it.
"""

from __future__ import annotations

from contextlib import nullcontext

import z3

from rmapcheck.axioms.base import Axiom
from rmapcheck.errors import InternalError

# The axioms every query starts with; the rest of a model's axioms wait for a candidate.
EAGER = {
    "lkmm": ("coherence", "atomic", "happens-before", "propagation"),
    "tso": ("uniproc", "atomic", "tso"),
}


class LazyAxioms:
    """A model's checks over one symbolic execution, built and handed out on demand."""

    def __init__(self, sym, checks_fn, memory_model: str, scope=None):
        self.sym, self.F = sym, sym.F
        self.scope = scope  # a context manager factory every build runs in (the encoding's memos)
        self.checks_fn = checks_fn
        sym.u.closure = "least"
        sym.closure_used = "least"  # what lifetime.py reads of a shared build
        self.base = sym.last_base = sym.base()
        self._gen = checks_fn(self.base, True)
        self._done = False
        self.built: dict = {}  # name -> holds (formula), in the model's order
        self.asserted: list = []  # names
        self._side = len(self.F.side)  # the closure clauses before this build are not its own
        self._checked: set = set()  # axioms whose closures' polarity was checked
        self._made = None  # (axioms asserted, closure clauses) when formula() was last made
        self.eager = EAGER.get(memory_model, ())
        self.rounds = 0  # refinements made (for the run's stats)

    # -- building ------------------------------------------------------------------------------
    def _advance(self) -> bool:
        """Build the model's next axiom; False when there is none (a flag or the end)."""
        if self._done:
            return False
        if self.scope is None:
            c = next(self._gen, None)
        else:
            with self.scope():
                c = next(self._gen, None)
        if not isinstance(c, Axiom):
            self._done = True
            return False
        self.built[c.name] = c.holds
        return True

    def start(self) -> None:
        """Assert the eager axioms (all of them for a model with none named in EAGER)."""
        while not all(n in self.built for n in self.eager) and self._advance():
            pass
        if not self.eager:
            while self._advance():
                pass
        self.asserted += list(self.built)

    def build_all(self) -> None:
        """Every relation of the model (its named ones: lifetime.py's), no axiom asserted."""
        while self._advance():
            pass

    @property
    def complete(self) -> bool:
        return self._done and len(self.asserted) == len(self.built)

    # -- asserting -----------------------------------------------------------------------------
    def require(self, name: str) -> None:
        """Assert axiom name (its relations built first); InternalError when it is asserted
        already or the model has no such axiom."""
        while name not in self.built and self._advance():
            pass
        if name not in self.built or name in self.asserted:
            raise InternalError(f"z3 witness is not allowed by the memory model (axiom {name} fails, "
                                f"{'asserted' if name in self.asserted else 'unknown'})")
        self.rounds += 1
        self.asserted.append(name)

    def stale(self) -> bool:
        """Has the formula changed since `formula` made it (an axiom asserted, closure clauses made)?"""
        return self._made != (len(self.asserted), len(self.F.side))

    def formula(self) -> z3.BoolRef:
        """The asserted axioms and every closure clause made, as one conjunction: with every
        axiom asserted, the formula the eager encoding asserts (symexec.encode's)."""
        F = self.F
        self._made = (len(self.asserted), len(F.side))
        for name in self.asserted:
            if name not in self._checked:
                self._checked.add(name)
                if not F.polarity_ok([self.built[name]]):
                    self.built[name] = self._exact(name)
        holds = [self.built[name] for name in self.asserted]
        return F.z3(F.all_([F.all_(holds)] + F.side[self._side:]))

    def _exact(self, name: str):
        """Axiom name with Warshall's closures (exact under any polarity), from a base of its own."""
        u = self.sym.u
        u.closure = "exact"
        try:
            with self.scope() if self.scope else nullcontext():
                for c in self.checks_fn(self.sym.base(), True):
                    if isinstance(c, Axiom) and c.name == name:
                        return c.holds
        finally:
            u.closure = "least"
        raise InternalError(f"no axiom {name}")


class RefiningSolver:
    """A z3 solver (push/pop/add/check/model) whose `sat` is a candidate the full judge allows.

    judge(model) -> the name of the first axiom the model's execution fails, or None. An
    axiom is a fact of every query, so it goes to the base level: the solver is made again
    (make(): a fresh z3 solver with the run's settings) with the encoding's facts and the
    axioms' formula, and the open scopes are pushed and added again above them. Measured
    (benchmarks/results/lkmm_sc_config.md): adding the axiom to the solver in use, under its
    popped scopes, left the later queries of model 15 running for minutes where the eager
    solver answers in seconds; a fresh solver sees every fact before its first scope, in the
    eager encoding's shape."""

    def __init__(self, make, facts: list, axioms: LazyAxioms, judge):
        self.make, self.axioms, self.judge = make, axioms, judge
        self.facts = list(facts)
        self.frames: list = []  # per open scope, what was added in it
        self.rebuilds = 0
        self._rebuild()

    def _rebuild(self) -> None:
        self.solver = s = self.make()
        s.add(*self.facts, self.axioms.formula())
        for fs in self.frames:
            s.push()
            s.add(*fs)
        self.rebuilds += 1

    def push(self) -> None:
        if self.axioms.stale():
            self._rebuild()
        self.solver.push()
        self.frames.append([])

    def pop(self) -> None:
        self.solver.pop()
        self.frames.pop()

    def add(self, *fs) -> None:
        self.solver.add(*fs)
        if self.frames:
            self.frames[-1].extend(fs)

    def check(self):
        while True:
            if self.axioms.stale():
                self._rebuild()
            r = self.solver.check()
            if r != z3.sat or self.axioms.complete:
                return r
            failed = self.judge(self.solver.model())
            if failed is None:
                return r
            self.axioms.require(failed)

    def model(self):
        return self.solver.model()

    def reason_unknown(self) -> str:
        return self.solver.reason_unknown()


__all__ = ["EAGER", "LazyAxioms", "RefiningSolver"]
