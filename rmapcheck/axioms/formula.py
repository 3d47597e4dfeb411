"""Boolean formulas for the symbolic relations: a hash-consed DAG, turned into z3 once.

The symbolic memory models build tens of thousands of and/or/not terms (every pair of
every relation of linux-kernel.cat). z3's Python constructors check their arguments and
cost about 70 us a call; a tuple here costs well under one, is shared when built twice,
and is simplified as it is built (constants, x & x, x & ~x, x | True). Only the terms an
asserted constraint reaches are converted, through z3's C API (about 9 us a node).

A formula is Python True or False, or a node id (an int >= 2, so never equal to a bool).
"""

from __future__ import annotations

import z3
from z3 import z3core


class Formulas:
    def __init__(self, ctx: z3.Context | None = None):
        self.ctx = ctx or z3.main_ctx()
        self.nodes: list = [None, None]  # ids 0 and 1 unused (they would equal False/True)
        self.table: dict = {}
        self.neg: dict = {}
        self._z3: dict = {}
        self._fresh = 0
        self.side: list = []  # formulas that only bind fresh variables (a closure's clauses)
        self.negative_only: set = set()  # atoms that must occur only negatively (closures)
        self.positive_only: set = set()  # atoms that must occur only positively (ranks)

    def _node(self, key) -> int:
        i = self.table.get(key)
        if i is None:
            i = self.table[key] = len(self.nodes)
            self.nodes.append(key)
        return i

    # -- building ---------------------------------------------------------------------------
    def atom(self, e: z3.BoolRef):
        """A z3 Bool as a formula (z3's true and false become the constants)."""
        if z3.is_true(e):
            return True
        if z3.is_false(e):
            return False
        return self._node(("v", e.get_id(), e))

    def fresh_bool(self, prefix: str):
        self._fresh += 1
        return self.atom(z3.Bool(f"{prefix}!{self._fresh}", self.ctx))

    def fresh_int(self, prefix: str) -> z3.ArithRef:
        self._fresh += 1
        return z3.Int(f"{prefix}!{self._fresh}", self.ctx)

    def lt(self, a: z3.ArithRef, b: z3.ArithRef):
        """a < b for two z3 integers (the ranks of an acyclicity constraint: existential, so
        right only where it occurs positively)."""
        ast = z3core.Z3_mk_lt(self.ctx.ref(), a.as_ast(), b.as_ast())
        f = self.atom(z3.BoolRef(ast, self.ctx))
        self.positive_only.add(f)
        return f

    def polarity_ok(self, roots) -> bool:
        """Do the negative-only atoms occur only under an odd number of negations, and the
        positive-only ones under an even number, in the formulas roots (asserted true)?"""
        seen: set = set()
        todo = [(r, True) for r in roots if r is not True and r is not False]
        nodes, neg, pos = self.nodes, self.negative_only, self.positive_only
        while todo:
            f, p = todo.pop()
            if (f, p) in seen:
                continue
            seen.add((f, p))
            key = nodes[f]
            op = key[0]
            if op == "v":
                if (p and f in neg) or (not p and f in pos):
                    return False
            elif op == "!":
                todo.append((key[1], not p))
            else:
                todo.extend((k, p) for k in key[1:])
        return True

    def not_(self, a):
        if a is True:
            return False
        if a is False:
            return True
        n = self.neg.get(a)
        if n is None:
            n = self._node(("!", a))
            self.neg[a] = n
            self.neg[n] = a
        return n

    def and_(self, a, b):
        if a is False or b is False:
            return False
        if a is True:
            return b
        if b is True or a == b:
            return a
        if self.neg.get(a) == b:
            return False
        return self._node(("&", a, b) if a < b else ("&", b, a))

    def or_(self, a, b):
        if a is True or b is True:
            return True
        if a is False:
            return b
        if b is False or a == b:
            return a
        if self.neg.get(a) == b:
            return True
        return self._node(("|", a, b) if a < b else ("|", b, a))

    def any_(self, terms):
        """The disjunction of an iterable of formulas."""
        return self._fold(terms, True, self.or_, "|*")

    def all_(self, terms):
        """The conjunction of an iterable of formulas."""
        return self._fold(terms, False, self.and_, "&*")

    def _fold(self, terms, absorbing: bool, pair, tag: str):
        """any_ (absorbing True) and all_ (absorbing False): constants folded, duplicates dropped,
        two terms through the binary constructor, more as one sorted n-ary node."""
        seen, have = [], set()
        for t in terms:
            if t is absorbing:
                return absorbing
            if t is (not absorbing) or t in have:
                continue
            have.add(t)
            seen.append(t)
        if not seen:
            return not absorbing
        if len(seen) == 1:
            return seen[0]
        if len(seen) == 2:
            return pair(seen[0], seen[1])
        seen.sort()
        return self._node((tag,) + tuple(seen))

    def implies(self, a, b):
        return self.or_(self.not_(a), b)

    # -- to z3 -------------------------------------------------------------------------------
    def z3(self, f) -> z3.BoolRef:
        """The z3 Bool of a formula (each node converted once)."""
        if f is True:
            return z3.BoolVal(True, self.ctx)
        if f is False:
            return z3.BoolVal(False, self.ctx)
        return self._ast(f)

    def _ast(self, f: int) -> z3.BoolRef:
        """Memoised wrappers (a z3.BoolRef holds a reference: z3 would free a bare AST)."""
        memo, nodes, ref, ctx = self._z3, self.nodes, self.ctx.ref(), self.ctx
        if f in memo:
            return memo[f]
        stack = [f]
        while stack:
            i = stack[-1]
            if i in memo:
                stack.pop()
                continue
            key = nodes[i]
            op = key[0]
            if op == "v":
                memo[i] = key[2]
                stack.pop()
                continue
            kids = key[1:]
            todo = [k for k in kids if k not in memo]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            if op == "!":
                memo[i] = z3.BoolRef(z3core.Z3_mk_not(ref, memo[kids[0]].as_ast()), ctx)
            else:
                arr = (z3.Ast * len(kids))()
                for k, kid in enumerate(kids):
                    arr[k] = memo[kid].as_ast()
                mk = z3core.Z3_mk_and if op[0] == "&" else z3core.Z3_mk_or
                memo[i] = z3.BoolRef(mk(ref, len(kids), arr), ctx)
        return memo[f]


__all__ = ["Formulas"]
