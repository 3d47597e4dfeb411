"""The relation algebra of relation.py over formulas: memory models as z3 constraints.

`SRel` and `SSet` have relation.py's operators (| & - @ [S] inv plus star opt domain range
cross, and acyclic/irreflexive/empty), so sc.py, tso.py and lkmm.py run unchanged over them.
A relation is sparse: {i: {j: formula}} over the pairs that MAY be related (the static
upper bound Dartagnan's relation analysis computes); a pair whose formula is False is
absent, and constant-true pairs stay the constant True, so everything the code fixes is
computed as concretely as in relation.py. Formulas are formula.py's DAG.

Encodings (measured in benchmarks/litmus.py):
* `r.plus`: Warshall's algorithm over the may-pairs (exact: closures are used under
  negation too, e.g. lkmm's `wr-race = ... \\ rw-xbstar^-1`).
* `acyclic r`: an integer rank per event on a may-cycle, r(i, j) => rank i < rank j, only
  for the pairs inside one strongly connected component of the may-graph (a pair between
  components can lie on no cycle). Axioms are asserted, never negated, so the ranks are
  existential.
* `lfp(f, start)` (cat's let rec): Kleene iteration until the formulas stop changing, at
  most one round per may-pair (each round of a concrete iteration adds a pair).
* `exists(k, fn)`: k fresh Booleans.
"""

from __future__ import annotations

from rmapcheck.axioms.formula import Formulas


# A closure over at most this many non-constant pairs is computed by Warshall's algorithm
# even where a least pre-fixed point would do (fewer, smaller formulas: measured faster).
SMALL_CLOSURE = 64


class Universe:
    """The events a symbolic relation ranges over: their number, their guards, and which
    pairs of events never happen together (conflict[i]: a bit mask; e.g. the events of two
    branches of one thread). Every pair of a relation relates events that both happen, so a
    conflicting pair is left out wherever a pair is made."""

    def __init__(self, F: Formulas, guards: list, conflict: list | None = None):
        self.F, self.n = F, len(guards)
        self.guards = guards  # formula per event: it happens
        self.conflict = conflict or [0] * len(guards)
        self.closure = "exact"  # or "least": closures as fresh least pre-fixed points
        self.acyclic = "ranks"  # or "closure": acyclic r as irreflexive r+ (measured slower)

    def id(self) -> "SRel":
        return SRel(self, {i: {i: g} for i, g in enumerate(self.guards) if g is not False})


def _merge(F: Formulas, a: dict, b: dict, op) -> dict:
    out = dict(a)
    for k, v in b.items():
        w = out.get(k)
        out[k] = v if w is None else op(w, v)
    return out


class SSet:
    __slots__ = ("u", "m")

    def __init__(self, u: Universe, m: dict):
        self.u, self.m = u, m  # {event: formula}

    def __or__(self, o: "SSet") -> "SSet":
        return SSet(self.u, _merge(self.u.F, self.m, o.m, self.u.F.or_))

    def __and__(self, o: "SSet") -> "SSet":
        F, out = self.u.F, {}
        for i, v in self.m.items():
            w = o.m.get(i)
            if w is not None:
                x = F.and_(v, w)
                if x is not False:
                    out[i] = x
        return SSet(self.u, out)

    def __sub__(self, o: "SSet") -> "SSet":
        F, out = self.u.F, {}
        for i, v in self.m.items():
            w = o.m.get(i)
            x = v if w is None else F.and_(v, F.not_(w))
            if x is not False:
                out[i] = x
        return SSet(self.u, out)

    def __invert__(self) -> "SSet":
        return SSet(self.u, {i: g for i, g in enumerate(self.u.guards) if g is not False}) - self

    def __bool__(self) -> bool:
        return bool(self.m)

    def __iter__(self):
        return iter(sorted(self.m))

    def cross(self, t: "SSet") -> "SRel":
        F, conflict = self.u.F, self.u.conflict
        rows = {}
        for i, a in self.m.items():
            row = {}
            ci = conflict[i]
            for j, b in t.m.items():
                if ci >> j & 1:
                    continue
                x = F.and_(a, b)
                if x is not False:
                    row[j] = x
            if row:
                rows[i] = row
        return SRel(self.u, rows)


class SRel:
    __slots__ = ("u", "rows", "_plus")

    def __init__(self, u: Universe, rows: dict):
        self.u, self.rows = u, rows  # {i: {j: formula}}, no empty rows
        self._plus = None  # (closure mode, r+): a relation is never changed once made

    @staticmethod
    def of(u: Universe, pairs: dict) -> "SRel":
        """From {(i, j): formula}."""
        rows: dict = {}
        for (i, j), f in pairs.items():
            if f is not False:
                rows.setdefault(i, {})[j] = f
        return SRel(u, rows)

    def pairs(self) -> dict:
        return {(i, j): f for i, row in self.rows.items() for j, f in row.items()}

    # -- set operations ----------------------------------------------------------------------
    def __or__(self, o: "SRel") -> "SRel":
        F = self.u.F
        rows = dict(self.rows)
        for i, row in o.rows.items():
            mine = rows.get(i)
            rows[i] = row if mine is None else _merge(F, mine, row, F.or_)
        return SRel(self.u, rows)

    def __and__(self, o: "SRel") -> "SRel":
        F, rows = self.u.F, {}
        for i, row in self.rows.items():
            other = o.rows.get(i)
            if not other:
                continue
            out = {}
            for j, v in row.items():
                w = other.get(j)
                if w is not None:
                    x = F.and_(v, w)
                    if x is not False:
                        out[j] = x
            if out:
                rows[i] = out
        return SRel(self.u, rows)

    def __sub__(self, o: "SRel") -> "SRel":
        F, rows = self.u.F, {}
        for i, row in self.rows.items():
            other = o.rows.get(i)
            if not other:
                rows[i] = row
                continue
            out = {}
            for j, v in row.items():
                w = other.get(j)
                x = v if w is None else F.and_(v, F.not_(w))
                if x is not False:
                    out[j] = x
            if out:
                rows[i] = out
        return SRel(self.u, rows)

    # -- sequence ----------------------------------------------------------------------------
    def __matmul__(self, o) -> "SRel":
        F = self.u.F
        if isinstance(o, list):  # r ; [S]
            m = o[0].m
            rows = {}
            for i, row in self.rows.items():
                out = {}
                for j, v in row.items():
                    s = m.get(j)
                    if s is not None:
                        x = F.and_(v, s)
                        if x is not False:
                            out[j] = x
                if out:
                    rows[i] = out
            return SRel(self.u, rows)
        orows, rows, conflict = o.rows, {}, self.u.conflict
        for i, row in self.rows.items():
            acc: dict = {}
            ci = conflict[i]
            for k, a in row.items():
                krow = orows.get(k)
                if not krow:
                    continue
                for j, b in krow.items():
                    if ci >> j & 1:
                        continue
                    x = F.and_(a, b)
                    if x is False:
                        continue
                    prev = acc.get(j)
                    if prev is None:
                        acc[j] = [x]
                    elif prev is not True:
                        if x is True:
                            acc[j] = True
                        else:
                            prev.append(x)
            if acc:
                out = {}
                for j, ts in acc.items():
                    x = True if ts is True else (ts[0] if len(ts) == 1 else F.any_(ts))
                    if x is not False:
                        out[j] = x
                if out:
                    rows[i] = out
        return SRel(self.u, rows)

    def __rmatmul__(self, o) -> "SRel":
        if isinstance(o, list):  # [S] ; r
            F, m, rows = self.u.F, o[0].m, {}
            for i, row in self.rows.items():
                s = m.get(i)
                if s is None:
                    continue
                if s is True:
                    rows[i] = row
                    continue
                out = {}
                for j, v in row.items():
                    x = F.and_(s, v)
                    if x is not False:
                        out[j] = x
                if out:
                    rows[i] = out
            return SRel(self.u, rows)
        return NotImplemented

    # -- closures and converse -------------------------------------------------------------
    @property
    def inv(self) -> "SRel":
        rows: dict = {}
        for i, row in self.rows.items():
            for j, v in row.items():
                rows.setdefault(j, {})[i] = v
        return SRel(self.u, rows)

    @property
    def plus(self) -> "SRel":
        """r+, made once per relation and closure mode: linux-kernel.cat takes hb* three times
        and pb* twice (pb, rcu-link, rb), and each least closure is fresh Booleans and
        clauses of its own (the same relation each time, so sharing it changes no answer)."""
        mode = self.u.closure
        if self._plus is not None and self._plus[0] == mode:
            return self._plus[1]
        if mode == "least" and self._symbolic_pairs() > SMALL_CLOSURE:
            out = self._least_plus()
        else:
            out = self._warshall()
        self._plus = (mode, out)
        return out

    def _symbolic_pairs(self) -> int:
        return sum(1 for row in self.rows.values() for v in row.values() if v is not True)

    def _least_plus(self) -> "SRel":
        """r+ as fresh Booleans x(i, j) over the pairs the may-graph's closure has, with the
        clauses r(i, j) => x(i, j) and r(i, k) & x(k, j) => x(i, j): any solution contains
        r+, and where x occurs only negatively in what is asserted (a bigger relation only
        makes the axioms harder) z3 may as well take r+ itself, so the answer is exact. The
        caller checks that polarity (Formulas.polarity_ok) and falls back to Warshall."""
        F, conflict = self.u.F, self.u.conflict
        reach: dict = {}
        for i in self.rows:
            seen, todo = set(), list(self.rows[i])
            while todo:
                k = todo.pop()
                if k in seen or conflict[i] >> k & 1:
                    continue
                seen.add(k)
                todo.extend(self.rows.get(k, ()))
            reach[i] = seen
        # the pairs every execution has (the closure of the constant pairs) stay constant
        sure = SRel(self.u, {i: {j: True for j, v in row.items() if v is True}
                             for i, row in self.rows.items()})
        sure = sure._warshall().rows
        x = {}
        for i, js in reach.items():
            si = sure.get(i, {})
            row = {j: True if j in si else F.fresh_bool("tc") for j in sorted(js)}
            if row:
                x[i] = row
                F.negative_only.update(v for v in row.values() if v is not True)
        for i, row in self.rows.items():
            xi = x.get(i, {})
            for k, a in row.items():
                t = xi.get(k)
                if t is not None and t is not True:
                    F.side.append(F.implies(a, t))
                for j, b in x.get(k, {}).items():
                    t = xi.get(j)
                    if t is not None and t is not True:
                        F.side.append(F.implies(F.and_(a, b), t))
        return SRel(self.u, x)

    def _warshall(self) -> "SRel":
        """Warshall's algorithm over the may-pairs: after round k, (i, j) holds when a path
        from i to j through intermediate events among the first k exists."""
        F = self.u.F
        rows = {i: dict(row) for i, row in self.rows.items()}
        cols: dict = {}
        for i, row in rows.items():
            for j in row:
                cols.setdefault(j, set()).add(i)
        conflict = self.u.conflict
        for k in sorted(set(rows) & set(cols)):
            krow = rows.get(k)
            if not krow:
                continue
            for i in list(cols.get(k, ())):
                irow = rows[i]
                a = irow.get(k)
                if a is None:
                    continue
                ci = conflict[i]
                for j, b in list(krow.items()):
                    if ci >> j & 1:
                        continue
                    x = F.and_(a, b)
                    if x is False:
                        continue
                    prev = irow.get(j)
                    if prev is None:
                        irow[j] = x
                        cols.setdefault(j, set()).add(i)
                    elif prev is not True:
                        irow[j] = F.or_(prev, x)
        return SRel(self.u, rows)

    @property
    def star(self) -> "SRel":
        return self.plus | self.u.id()

    @property
    def opt(self) -> "SRel":
        return self | self.u.id()

    # -- projections -----------------------------------------------------------------------
    @property
    def domain(self) -> SSet:
        F = self.u.F
        return SSet(self.u, {i: F.any_(row.values()) for i, row in self.rows.items()})

    @property
    def range(self) -> SSet:
        F = self.u.F
        acc: dict = {}
        for row in self.rows.values():
            for j, v in row.items():
                acc.setdefault(j, []).append(v)
        return SSet(self.u, {j: F.any_(vs) for j, vs in acc.items()})

    def __bool__(self) -> bool:
        return bool(self.rows)

    # -- the axioms' predicates: formulas --------------------------------------------------
    def irreflexive(self):
        F = self.u.F
        return F.all_(F.not_(row[i]) for i, row in self.rows.items() if i in row)

    def empty(self):
        F = self.u.F
        return F.all_(F.not_(v) for row in self.rows.values() for v in row.values())

    def acyclic(self):
        if self.u.acyclic == "closure":
            return self.plus.irreflexive()
        F = self.u.F
        comp = _sccs(self.rows)
        ranks: dict = {}
        out = []
        for i, row in self.rows.items():
            ci = comp[i]
            for j, v in row.items():
                if i == j:
                    out.append(F.not_(v))
                elif comp[j] == ci:
                    for e in (i, j):
                        if e not in ranks:
                            ranks[e] = F.fresh_int("rank")
                    out.append(F.implies(v, F.lt(ranks[i], ranks[j])))
        return F.all_(out)


def _sccs(rows: dict) -> dict:
    """event -> its strongly connected component in the may-graph (Tarjan, iterative)."""
    index: dict = {}
    low: dict = {}
    comp: dict = {}
    stack: list = []
    on: set = set()
    counter = 0
    nodes = set(rows)
    for row in rows.values():
        nodes.update(row)
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(rows.get(root, {})))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(rows.get(w, {}))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp[w] = v
                    if w == v:
                        break
    return comp


__all__ = ["Universe", "SSet", "SRel"]
