"""The relations every memory model starts from (herd's basic relations and event sets).

A memory model (sc.py, tso.py, lkmm.py) is written once, as its .cat file reads, as a
generator of named checks over a *base*: `Axiom(name, holds)` for cat's `acyclic`,
`irreflexive` and `empty` lines and `Flag(name, relation)` for its `flag ~empty` lines. Two
bases implement the same interface:

* `Base(g)` here: the relations of one concrete execution graph (bit masks); an axiom is a
  Python bool, and `run_checks` stops at the first one that fails (the independent judge).
* `SymbolicBase` in rmapcheck/axioms/symbolic.py: relations as z3 formulas over an
  execution whose rf and co z3 chooses; an axiom is a z3 Bool.

The interface (what a model may use): the relations po, rf, co, fr, loc, int, ext, id, rfe,
rfi, coe, fre, po_loc, com, rmw, the syntactic dependencies addr0/data0/ctrl0 and the
read-side critical sections rcu_rscs/srcu_rscs; the event sets R, W, IW, M, F and
`tagged(*tags)`; `ident(S)` (cat's [S] as a relation), `empty_rel()`, `single(eid)`;
`pair_when(lock, unlock)` (the condition of a read-side section's pair);
`lfp(f, start)` (a least fixed point, cat's `let rec`), `exists(k, fn)` (is there a choice
of k booleans for which fn's constraint holds) and `ite(c, r, s)`; `events` (the events, for
static facts such as tags and threads) and `static(key, make)` for what depends on the code
alone. Operators on relations and sets are relation.py's. `bool(r)` means "r may be
non-empty": models use it only to skip terms that are then empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from rmapcheck.axioms.graph import ExecutionGraph
from rmapcheck.axioms.relation import EventSet, Rel, acyclic, empty
from rmapcheck.axioms.verdict import ALLOWED, Judgement, forbidden


@dataclass(frozen=True)
class Axiom:
    """cat's `acyclic r as name` (and irreflexive, empty): holds is a bool or a z3 Bool."""

    name: str
    holds: object


@dataclass(frozen=True)
class Flag:
    """cat's `flag ~empty r as name`: the execution raises the flag when r is not empty."""

    name: str
    rel: object


class Base:
    def __init__(self, g: ExecutionGraph):
        s = g.skel
        self.g, self.s, self.n = g, s, s.n
        self.events = s.events
        self.po = s.po_rel
        self.rf, self.co, self.fr = g.rf_rel, g.co_rel, g.fr_rel
        self.loc, self.int, self.ext, self.id = s.loc, s.int_, s.ext, s.id
        self.rfe, self.rfi = self.rf & self.ext, self.rf & self.int
        self.coe, self.fre = self.co & self.ext, self.fr & self.ext
        self.po_loc = self.po & self.loc
        self.com = self.rf | self.co | self.fr
        self.rmw = s.rel(s.rmw)
        self.R = s.kinds("R")
        self.W = s.kinds("W", "IW")
        self.IW = s.kinds("IW")
        self.M = self.R | self.W
        self.F = s.kinds("F")
        self.none = EventSet(self.n)
        self.extra = Rel(self.n)  # pairs a caller adds to sc's and tso's global order (lifetimes)
        self.named: dict = {}  # relations a model publishes for its callers (lkmm: rw-xbstar, ...)

    def tagged(self, *tags: str) -> EventSet:
        return self.s.tagged(*tags)

    # -- what depends on the code alone (computed once per skeleton) ------------------------
    def static(self, key: str, make):
        return static(self.s, key, make)

    @property
    def addr0(self) -> Rel:
        return self.static("addr", lambda: self.s.rel(self.s.addr))

    @property
    def data0(self) -> Rel:
        return self.static("data", lambda: self.s.rel(self.s.data))

    @property
    def ctrl0(self) -> Rel:
        return self.static("ctrl", lambda: self.s.rel(self.s.ctrl))

    @property
    def rcu_rscs(self) -> Rel:
        return self.static("rcu-rscs", lambda: self.s.rel(self.s.rcu_rscs))

    @property
    def srcu_rscs(self) -> Rel:
        return self.static("srcu-rscs", lambda: self.s.rel(self.s.srcu_rscs))

    # -- constructors and the combinators cat needs ------------------------------------------
    def ident(self, s: EventSet) -> Rel:
        return Rel.ident(s)

    def empty_rel(self) -> Rel:
        return Rel(self.n)

    @staticmethod
    def pair_when(a: int, b: int) -> bool:
        """Do read-side lock a and unlock b of srcu_rscs/rcu_rscs match? (Always, in a concrete graph.)"""
        return True

    def single(self, eid: int) -> EventSet:
        return EventSet(self.n, 1 << eid)

    @staticmethod
    def lfp(f, start: Rel) -> Rel:
        """The least fixed point of a monotone f above start (cat's let rec)."""
        x = start
        while True:
            nxt = f(x)
            if nxt == x:
                return x
            x = nxt

    @staticmethod
    def exists(k: int, fn) -> bool:
        return any(fn(pick) for pick in product((True, False), repeat=k))

    @staticmethod
    def ite(c: bool, r: Rel, s: Rel) -> Rel:
        return r if c else s


def static(skel, key: str, make):
    """A value that depends on the skeleton alone, computed once per skeleton."""
    memo = skel.__dict__.setdefault("_memo", {})
    if key not in memo:
        memo[key] = make()
    return memo[key]


def coherence(b) -> object:
    """Sequential consistency per variable: acyclic po-loc | com (every model has it)."""
    return acyclic(b.po_loc | b.com)


def atomicity(b) -> object:
    """No write of another thread comes between an rmw's read and its write: empty rmw & (fre ; coe)."""
    return empty(b.rmw & (b.fre @ b.coe))


def run_checks(checks) -> Judgement:
    """The concrete judge: the first axiom that fails forbids the execution (later checks are
    not computed); the flags of an allowed execution are collected with their pairs."""
    flags, pairs = [], []
    for c in checks:
        if isinstance(c, Axiom):
            if not c.holds:
                return forbidden(c.name)
        elif c.rel:
            flags.append(c.name)
            pairs += c.rel.pairs()
    return Judgement(True, None, tuple(flags), tuple(pairs)) if flags else ALLOWED


__all__ = ["Axiom", "Flag", "Base", "static", "coherence", "atomicity", "run_checks", "Rel"]
