"""A small relation algebra over the events of one execution graph, as herd's cat language has it.

Events are numbered 0..n-1. A set of events is an ``EventSet`` (a bit mask); a binary relation
is a ``Rel`` (one bit mask per event: the events it relates that event to). The operators
follow cat's, so an axiom can be written the way linux-kernel.cat writes it:

    cat                         here
    r | s, r & s, r \\ s         r | s, r & s, r - s
    r ; s                       r @ s
    [S] ; r ; [T]               [S] @ r @ [T]
    r^-1, r+, r*, r?            r.inv, r.plus, r.star, r.opt
    S * T                       cross(S, T)
    domain(r), range(r)         r.domain, r.range
    acyclic r, irreflexive r    acyclic(r), irreflexive(r)
    empty r                     empty(r)

Relations here are computed concretely (no solver): an axiom is a fact about one graph.
The memory models (sc.py, tso.py, lkmm.py) are written against these operators only, and
`cross`, `fencerel`, `acyclic`, `irreflexive` and `empty` call the relation's own method, so
the same model text also runs over the symbolic relations of rmapcheck/axioms/symbolic.py
(z3 formulas over the pairs that may be related), where an axiom is a constraint.
"""

from __future__ import annotations


def _bits(x: int):
    """The positions of the set bits of x, lowest first."""
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


class EventSet:
    """A set of events (bit i: event i)."""

    __slots__ = ("n", "mask")

    def __init__(self, n: int, mask: int = 0):
        self.n, self.mask = n, mask

    def __or__(self, o: "EventSet") -> "EventSet":
        return EventSet(self.n, self.mask | o.mask)

    def __and__(self, o: "EventSet") -> "EventSet":
        return EventSet(self.n, self.mask & o.mask)

    def __sub__(self, o: "EventSet") -> "EventSet":
        return EventSet(self.n, self.mask & ~o.mask)

    def __invert__(self) -> "EventSet":
        return EventSet(self.n, ((1 << self.n) - 1) & ~self.mask)

    def __contains__(self, e: int) -> bool:
        return bool(self.mask >> e & 1)

    def __iter__(self):
        return _bits(self.mask)

    def __len__(self) -> int:
        return bin(self.mask).count("1")

    def __bool__(self) -> bool:
        return self.mask != 0

    def __eq__(self, o) -> bool:
        return isinstance(o, EventSet) and o.mask == self.mask

    def __hash__(self) -> int:
        return hash(self.mask)

    def __repr__(self) -> str:
        return f"EventSet({sorted(self)})"

    def cross(self, t: "EventSet") -> "Rel":
        """cat's S * T."""
        return Rel(self.n, [t.mask if self.mask >> i & 1 else 0 for i in range(self.n)])


class Rel:
    """A binary relation over n events: rows[i] is the mask of events i is related to."""

    __slots__ = ("n", "rows")

    def __init__(self, n: int, rows=None):
        self.n = n
        self.rows = list(rows) if rows is not None else [0] * n

    @staticmethod
    def of(n: int, pairs) -> "Rel":
        r = Rel(n)
        for a, b in pairs:
            r.rows[a] |= 1 << b
        return r

    @staticmethod
    def ident(s: EventSet) -> "Rel":
        """cat's [S]."""
        r = Rel(s.n)
        for i in s:
            r.rows[i] = 1 << i
        return r

    # -- set operations ----------------------------------------------------------------
    def __or__(self, o: "Rel") -> "Rel":
        return Rel(self.n, [a | b for a, b in zip(self.rows, o.rows)])

    def __and__(self, o: "Rel") -> "Rel":
        return Rel(self.n, [a & b for a, b in zip(self.rows, o.rows)])

    def __sub__(self, o: "Rel") -> "Rel":
        return Rel(self.n, [a & ~b for a, b in zip(self.rows, o.rows)])

    # -- sequence: r @ s is cat's r ; s, and [S] @ r restricts the domain ----------------
    def __matmul__(self, o) -> "Rel":
        if isinstance(o, list):  # r ; [S]
            m = o[0].mask
            return Rel(self.n, [a & m for a in self.rows])
        rows = o.rows
        out = []
        for a in self.rows:
            acc = 0
            while a:
                low = a & -a
                acc |= rows[low.bit_length() - 1]
                a ^= low
            out.append(acc)
        return Rel(self.n, out)

    def __rmatmul__(self, o) -> "Rel":
        if isinstance(o, list):  # [S] ; r
            m = o[0].mask
            return Rel(self.n, [a if m >> i & 1 else 0 for i, a in enumerate(self.rows)])
        return NotImplemented

    # -- closures and converse -----------------------------------------------------------
    @property
    def inv(self) -> "Rel":
        out = [0] * self.n
        for i, a in enumerate(self.rows):
            bit = 1 << i
            for j in _bits(a):
                out[j] |= bit
        return Rel(self.n, out)

    @property
    def plus(self) -> "Rel":
        """Warshall's algorithm, a whole column of rows at a time."""
        rows = list(self.rows)
        for k in range(self.n):
            rk = rows[k]
            if rk:
                bk = 1 << k
                rows = [a | rk if a & bk else a for a in rows]
        return Rel(self.n, rows)

    @property
    def star(self) -> "Rel":
        p = self.plus
        return Rel(self.n, [a | (1 << i) for i, a in enumerate(p.rows)])

    @property
    def opt(self) -> "Rel":
        return Rel(self.n, [a | (1 << i) for i, a in enumerate(self.rows)])

    # -- projections ----------------------------------------------------------------------
    @property
    def domain(self) -> EventSet:
        m = 0
        for i, a in enumerate(self.rows):
            if a:
                m |= 1 << i
        return EventSet(self.n, m)

    @property
    def range(self) -> EventSet:
        m = 0
        for a in self.rows:
            m |= a
        return EventSet(self.n, m)

    def pairs(self) -> list:
        return [(i, j) for i, a in enumerate(self.rows) for j in _bits(a)]

    def __contains__(self, pair) -> bool:
        a, b = pair
        return bool(self.rows[a] >> b & 1)

    def __bool__(self) -> bool:
        return any(self.rows)

    def __eq__(self, o) -> bool:
        return isinstance(o, Rel) and o.rows == self.rows

    def __repr__(self) -> str:
        return f"Rel({self.pairs()})"

    # -- the axioms' predicates --------------------------------------------------------------
    def irreflexive(self) -> bool:
        return not any(a >> i & 1 for i, a in enumerate(self.rows))

    def acyclic(self) -> bool:
        return self.plus.irreflexive()

    def empty(self) -> bool:
        return not any(self.rows)


def cross(s, t):
    """cat's S * T."""
    return s.cross(t)


def fencerel(po, s):
    """cat's fencerel(S) = po ; [S] ; po: pairs of events separated by an S event."""
    return po @ [s] @ po


def irreflexive(r):
    return r.irreflexive()


def acyclic(r):
    return r.acyclic()


def empty(r):
    return r.empty()


def find_cycle(r: Rel) -> list:
    """One cycle of r as a list of events (empty when r is acyclic), for explanations."""
    closure = r.plus
    for start in range(r.n):
        if closure.rows[start] >> start & 1:
            # breadth-first back to start through r
            prev = {start: None}
            frontier = [start]
            while frontier:
                nxt = []
                for a in frontier:
                    for b in _bits(r.rows[a]):
                        if b == start:
                            path = [a]
                            while prev[path[-1]] is not None:
                                path.append(prev[path[-1]])
                            return list(reversed(path))
                        if b not in prev:
                            prev[b] = a
                            nxt.append(b)
                frontier = nxt
    return []


__all__ = ["EventSet", "Rel", "cross", "fencerel", "irreflexive", "acyclic", "empty", "find_cycle"]
