"""Is a query in the decidable fragment? The quantifier-alternation check of mypyvy/Ivy.

After Skolemisation, every existential variable under universals of sorts S1..Sn becomes a
function S1 x .. x Sn -> S; with the proof's own functions, these give edges between sorts.
If the edges between uninterpreted sorts have no cycle, the Herbrand universe is finite and
z3 decides the query (EPR, extended with stratified functions). The check walks exactly the
z3 formula of each query, with polarity: under '<->', '=' and 'if' a quantifier counts both
ways.
"""

from __future__ import annotations

import z3


class Alternation:
    def __init__(self, uninterpreted: set, funcs):
        self.uninterp = uninterpreted
        self.base: set = set()
        for f in funcs:
            if isinstance(f, z3.FuncDeclRef) and f.arity() > 0:
                r = f.range().name()
                if r in uninterpreted:
                    for i in range(f.arity()):
                        d = f.domain(i).name()
                        if d in uninterpreted:
                            self.base.add((d, r))
        self.memo: dict = {}

    def edges(self, f, pol: int = 1, univ: tuple = ()) -> frozenset:
        key = (f.get_id(), pol, univ)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        out: set = set()
        if z3.is_quantifier(f):
            sorts = tuple(f.var_sort(i).name() for i in range(f.num_vars()))
            sorts = tuple(s for s in sorts if s in self.uninterp)
            forall = f.is_forall()
            universal = {1: forall, -1: not forall}.get(pol)
            existential = {1: not forall, -1: forall}.get(pol)
            if pol == 0:
                universal = existential = True
            if existential:
                out.update((u, s) for u in univ for s in sorts)
            inner = tuple(sorted(set(univ) | set(sorts))) if universal else univ
            out |= self.edges(f.body(), pol, inner)
        elif z3.is_app(f):
            k = f.decl().kind()
            kids = f.children()
            if k == z3.Z3_OP_NOT:
                out |= self.edges(kids[0], -pol, univ)
            elif k == z3.Z3_OP_IMPLIES:
                out |= self.edges(kids[0], -pol, univ)
                out |= self.edges(kids[1], pol, univ)
            elif k in (z3.Z3_OP_AND, z3.Z3_OP_OR):
                for c in kids:
                    out |= self.edges(c, pol, univ)
            elif k == z3.Z3_OP_ITE and z3.is_bool(f):
                out |= self.edges(kids[0], 0, univ)
                out |= self.edges(kids[1], pol, univ)
                out |= self.edges(kids[2], pol, univ)
            else:
                for c in kids:
                    out |= self.edges(c, 0, univ)
        res = frozenset(out)
        self.memo[key] = res
        return res

    def of(self, formulas) -> set:
        out = set()
        for f in formulas:
            out |= self.edges(f)
        return out

    def cycle(self, formulas, known: set = frozenset()) -> list | None:
        """A cycle of sorts (as a list) in the edges of these asserted formulas, or None."""
        edges = set(self.base) | known
        for f in formulas:
            edges |= self.edges(f)
        graph: dict = {}
        for a, b in edges:
            graph.setdefault(a, set()).add(b)
        color: dict = {}
        stack: list = []

        def dfs(n):
            color[n] = 1
            stack.append(n)
            for m in sorted(graph.get(n, ())):
                if color.get(m) == 1:
                    return stack[stack.index(m):] + [m]
                if color.get(m) is None:
                    c = dfs(m)
                    if c:
                        return c
            color[n] = 2
            stack.pop()
            return None

        for n in sorted(graph):
            if color.get(n) is None:
                c = dfs(n)
                if c:
                    return c
        return None
