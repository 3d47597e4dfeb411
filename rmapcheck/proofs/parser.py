"""Parse and type-check a proof file.

The grammar, in brief (docs/proofs.md has the full description):

    proof "title"
    model "models/09_5.16.c" [with NAME=V, ...]
    sort NAME                                  an uninterpreted sort (unbounded)
    enum NAME = { A, B, ... }                  a finite sort
    relation NAME(SORT, ...)                   a mutable relation (no arguments: a boolean)
    function NAME(SORT, ...): SORT             a mutable function
    individual NAME: SORT                      a mutable constant
    define NAME(x: SORT, ...) := FORMULA       a macro
    axiom [NAME:] FORMULA     init [NAME:] FORMULA
    transition NAME(x: SORT, ...)              then statements:
        require FORMULA                        a guard on the pre-state
        SYM(args) := TERM                      simultaneous update; capitalised unbound
                                               arguments are patterns ranging over the sort
    safety NAME: FORMULA      invariant NAME: FORMULA
    expect fail CLAUSE at TRANSITION           a (buggy) design's known counterexample
    abstract sort SORT := thread FUNCTION | x in LO..HI, y in LO..HI | objects "TYPE"
    abstract SYM[(p, ...)] := C-EXPRESSION
    abstract let NAME[(p, ...)] := C-EXPRESSION  a name for a sub-expression of the abstraction

Formulas: forall/exists x: S, y: S. F   if F then T else T   <->  ->  |  &  ~ (or !)
= !=   T in {A, B}   true false   SYM(args)   (F).   Comments run from '#' to the end of
the line; the comments above an item and on its lines are its documentation.
"""

from __future__ import annotations

import itertools

from rmapcheck.proofs.lexer import ProofError, Tok, error_at, tokenize
from rmapcheck.proofs.source import read_source
from rmapcheck.sourcefile import read_source_text
from rmapcheck.proofs.syntax import (
    BOOL, AbsSort, AbsSym, Define, E, Expect, Formula, Proof, SortDecl, SymDecl, Transition, Update,
)

TOP = {"proof", "model", "sort", "enum", "relation", "function", "individual", "define", "axiom", "init",
       "transition", "safety", "invariant", "expect", "abstract"}
EXPR_KW = {"forall", "exists", "if", "then", "else", "true", "false", "in", "require"}
RESERVED = TOP | EXPR_KW | {BOOL}


def read_proof_text(path: str) -> str:
    return read_source_text(path, "proof file")


def load_proof(path: str) -> Proof:
    return parse_proof(path, read_proof_text(path))


def parse_proof(path: str, text: str) -> Proof:
    p = _Parser(path, text)
    proof = p.parse()
    _Checker(proof).check()
    return proof


class _Parser:
    def __init__(self, path: str, text: str):
        self.path = path
        self.src = read_source(path, text)
        self.toks, self.comments = tokenize(self.src)
        self.pos = 0
        self.token_lines = {t.line for t in self.toks if t.kind != "eof"}

    # -- token helpers -------------------------------------------------------------------
    def err(self, tok: Tok, msg: str) -> ProofError:
        return error_at(self.src, tok.line, tok.col, msg)

    @property
    def tok(self) -> Tok:
        return self.toks[self.pos]

    def peek(self, k: int = 1) -> Tok:
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.toks[self.pos]
        if t.kind != "eof":
            self.pos += 1
        return t

    def is_op(self, text: str, tok: Tok | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "op" and t.text == text

    def is_kw(self, text: str, tok: Tok | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "id" and t.text == text

    def at_top(self) -> bool:
        return self.tok.kind == "eof" or (self.tok.kind == "id" and self.tok.text in TOP)

    def expect_op(self, text: str, what: str = "") -> Tok:
        if not self.is_op(text):
            raise self.err(self.tok, f"expected '{text}'{' ' + what if what else ''}, found {self.describe(self.tok)}")
        return self.next()

    def expect_kw(self, text: str) -> Tok:
        if not self.is_kw(text):
            raise self.err(self.tok, f"expected '{text}', found {self.describe(self.tok)}")
        return self.next()

    def ident(self, what: str) -> Tok:
        t = self.tok
        if t.kind != "id":
            raise self.err(t, f"expected {what}, found {self.describe(t)}")
        if t.text in RESERVED:
            raise self.err(t, f"'{t.text}' is a keyword and cannot be used as {what}")
        return self.next()

    def comma_list(self, item) -> list:
        """item (, item)*: one or more, separated by commas."""
        out = [item()]
        while self.is_op(","):
            self.next()
            out.append(item())
        return out

    @staticmethod
    def describe(t: Tok) -> str:
        if t.kind == "eof":
            return "the end of the file"
        if t.kind == "str":
            return f'"{t.text}"'
        return f"'{t.text}'"

    def doc_for(self, first_line: int, last_line: int) -> str:
        parts = []
        ln = first_line - 1
        above = []
        while ln >= 1 and ln in self.comments and ln not in self.token_lines:
            above.append(self.comments[ln])
            ln -= 1
        parts.extend(reversed(above))
        for ln in range(first_line, last_line + 1):
            if ln in self.comments and ln in self.token_lines:
                parts.append(self.comments[ln])
        return " ".join(p for p in parts if p)

    # -- items ---------------------------------------------------------------------------
    def parse(self) -> Proof:
        pr = Proof(self.path, self.src)
        while self.tok.kind != "eof":
            t = self.tok
            if t.kind == "op" and t.text in ("&&", "||", "=="):
                raise self.err(t, f"'{t.text}' is C; in a formula write '&', '|' and '='")
            if t.kind != "id" or t.text not in TOP:
                raise self.err(t, f"expected a declaration (one of: {', '.join(sorted(TOP))}), found {self.describe(t)}")
            start = self.pos
            getattr(self, "item_" + t.text)(pr)
            last = self.toks[self.pos - 1].line if self.pos > start else t.line
            self._attach_doc(pr, t.line, last)
        return pr

    def _attach_doc(self, pr: Proof, first: int, last: int) -> None:
        doc = self.doc_for(first, last)
        obj = self._last_item
        if obj is not None and hasattr(obj, "doc"):
            obj.doc = doc

    _last_item = None

    def item_proof(self, pr: Proof) -> None:
        kw = self.next()
        if self.tok.kind != "str":
            raise self.err(self.tok, "expected the proof's title in double quotes")
        if pr.title:
            raise self.err(kw, "the proof already has a title")
        pr.title = self.next().text
        self._last_item = None

    def item_model(self, pr: Proof) -> None:
        kw = self.next()
        if self.tok.kind != "str":
            raise self.err(self.tok, "expected the model's path in double quotes")
        if pr.model:
            raise self.err(kw, "the proof already names its model")
        pr.model = self.next().text
        pr.model_line = kw.line
        if self.is_kw("with"):
            self.next()
            while True:
                name = self.ident("a model parameter name")
                self.expect_op("=")
                neg = False
                if self.is_op("-"):
                    self.next()
                    neg = True
                if self.tok.kind != "num":
                    raise self.err(self.tok, "expected an integer value")
                v = int(self.next().text, 0)
                pr.defines[name.text] = -v if neg else v
                if not self.is_op(","):
                    break
                self.next()
        self._last_item = None

    def item_sort(self, pr: Proof) -> None:
        self.next()
        name = self.ident("a sort name")
        self._last_item = SortDecl(name.text, "uninterpreted", (), name.line, name.col)
        self._declare_sort(pr, self._last_item, name)

    def item_enum(self, pr: Proof) -> None:
        self.next()
        name = self.ident("an enum name")
        self.expect_op("=")
        self.expect_op("{")
        vals: list = []
        for v in self.comma_list(lambda: self.ident("an enum constant")):
            if v.text in vals:
                raise self.err(v, f"'{v.text}' appears twice in this enum")
            vals.append(v.text)
        self.expect_op("}")
        d = SortDecl(name.text, "enum", tuple(vals), name.line, name.col)
        self._declare_sort(pr, d, name)
        for v in vals:
            if v in pr.enum_of:
                raise self.err(name, f"enum constant '{v}' is already a constant of enum '{pr.enum_of[v]}'")
            pr.enum_of[v] = name.text
        self._last_item = d

    def _declare_sort(self, pr: Proof, d: SortDecl, tok: Tok) -> None:
        if d.name in pr.sorts:
            raise self.err(tok, f"sort '{d.name}' is declared twice")
        pr.sorts[d.name] = d

    def sort_name(self) -> Tok:
        t = self.tok
        if self.is_kw(BOOL):
            return self.next()
        return self.ident("a sort")

    def item_relation(self, pr: Proof) -> None:
        self.next()
        name = self.ident("a relation name")
        args = self._sort_list() if self.is_op("(") else ()
        self._last_item = SymDecl(name.text, "relation", args, BOOL, name.line, name.col)
        self._declare_sym(pr, self._last_item, name)

    def item_function(self, pr: Proof) -> None:
        self.next()
        name = self.ident("a function name")
        if not self.is_op("("):
            raise self.err(self.tok, "a function takes arguments: write 'function f(SORT, ...): SORT' "
                                     "(an 'individual' has none)")
        args = self._sort_list()
        self.expect_op(":", "and the function's sort")
        res = self.sort_name()
        self._last_item = SymDecl(name.text, "function", args, res.text, name.line, name.col)
        self._declare_sym(pr, self._last_item, name)

    def item_individual(self, pr: Proof) -> None:
        self.next()
        name = self.ident("an individual's name")
        self.expect_op(":", "and the individual's sort")
        res = self.sort_name()
        self._last_item = SymDecl(name.text, "individual", (), res.text, name.line, name.col)
        self._declare_sym(pr, self._last_item, name)

    def _sort_list(self) -> tuple:
        self.expect_op("(")
        out = []
        if self.is_op(")"):
            self.next()
            return ()
        out = [(s.text, s.line, s.col) for s in self.comma_list(self.sort_name)]
        self.expect_op(")")
        return tuple(out)

    def _declare_sym(self, pr: Proof, d: SymDecl, tok: Tok) -> None:
        if d.name in pr.symbols or d.name in pr.macros:
            raise self.err(tok, f"'{d.name}' is declared twice")
        pr.symbols[d.name] = d

    def _binders(self, what: str) -> tuple:
        """x: S, y, z: T  (used by quantifiers, transitions and macros)."""
        out = []
        while True:
            names = [self.ident(f"a {what} name")]
            while self.is_op(","):
                self.next()
                names.append(self.ident(f"a {what} name"))
            self.expect_op(":", f"and the {what}'s sort")
            s = self.sort_name()
            out.extend((n.text, s.text, n.line, n.col) for n in names)
            if self.is_op(",") and self.peek().kind == "id":
                self.next()
                continue
            return tuple(out)

    def item_define(self, pr: Proof) -> None:
        self.next()
        name = self.ident("a macro name")
        params = ()
        if self.is_op("("):
            self.next()
            if not self.is_op(")"):
                params = self._binders("parameter")
            self.expect_op(")")
        self.expect_op(":=")
        body = self.formula()
        if name.text in pr.symbols or name.text in pr.macros:
            raise self.err(name, f"'{name.text}' is declared twice")
        self._last_item = Define(name.text, params, body, name.line, name.col)
        pr.macros[name.text] = self._last_item

    def _opt_name(self) -> tuple[str, Tok | None]:
        if self.tok.kind == "id" and self.is_op(":", self.peek()) and self.tok.text not in RESERVED:
            t = self.next()
            self.next()
            return t.text, t
        return "", None

    def item_axiom(self, pr: Proof) -> None:
        kw = self.next()
        name, _ = self._opt_name()
        f = Formula("axiom", name or f"axiom{len(pr.axioms) + 1}", self.formula(), kw.line, kw.col)
        pr.axioms.append(f)
        self._last_item = f

    def item_init(self, pr: Proof) -> None:
        kw = self.next()
        name, _ = self._opt_name()
        f = Formula("init", name or f"init{len(pr.inits) + 1}", self.formula(), kw.line, kw.col)
        pr.inits.append(f)
        self._last_item = f

    def _named_formula(self, pr: Proof, kind: str) -> Formula:
        kw = self.next()
        name = self.ident(f"the {kind}'s name")
        self.expect_op(":", f"after the {kind}'s name")
        expr = self.formula()
        for other in pr.safety + pr.invariants:
            if other.name == name.text:
                raise self.err(name, f"'{name.text}' already names a {other.kind} ({self.src.where(other.line)})")
        return Formula(kind, name.text, expr, kw.line, name.col)

    def item_safety(self, pr: Proof) -> None:
        f = self._named_formula(pr, "safety")
        pr.safety.append(f)
        self._last_item = f

    def item_invariant(self, pr: Proof) -> None:
        f = self._named_formula(pr, "invariant")
        pr.invariants.append(f)
        self._last_item = f

    def item_expect(self, pr: Proof) -> None:
        kw = self.next()
        self.expect_kw("fail")
        clause = self.ident("a clause name")
        self.expect_kw("at")
        tr = self.tok
        if tr.kind != "id":
            raise self.err(tr, "expected a transition name, 'init' or 'invariant'")
        self.next()
        self._last_item = Expect(clause.text, tr.text, clause.line, clause.col)
        pr.expects.append(self._last_item)
        del kw

    def item_transition(self, pr: Proof) -> None:
        self.next()
        name = self.ident("a transition name")
        params = ()
        self.expect_op("(", "(a transition has a parameter list, maybe empty)")
        if not self.is_op(")"):
            params = self._binders("parameter")
        self.expect_op(")")
        if name.text in ("init", "invariant") or pr.transition(name.text):
            raise self.err(name, f"transition '{name.text}' is declared twice" if pr.transition(name.text)
                           else f"'{name.text}' cannot name a transition")
        tr = Transition(name.text, params, [], [], name.line, name.col)
        while not self.at_top():
            if self.is_kw("require"):
                self.next()
                tr.requires.append(self.formula())
                continue
            t = self.tok
            if t.kind != "id":
                raise self.err(t, f"expected 'require' or an update 'SYMBOL(args) := term', found {self.describe(t)}")
            sym = self.ident("a symbol to update")
            lhs = ()
            if self.is_op("("):
                self.next()
                args = [] if self.is_op(")") else self.comma_list(self.formula)
                self.expect_op(")")
                lhs = tuple(args)
            self.expect_op(":=", "(an update is 'SYMBOL(args) := term')")
            rhs = self.formula()
            tr.updates.append(Update(sym.text, lhs, (), rhs, sym.line, sym.col))
        pr.transitions.append(tr)
        self._last_item = tr

    def item_abstract(self, pr: Proof) -> None:
        self.next()
        if self.is_kw("sort"):
            self.next()
            name = self.ident("a sort name")
            self.expect_op(":=")
            if self.is_kw("thread"):
                self.next()
                fn = self.ident("the model's thread function")
                a = AbsSort(name.text, "thread", fn.text, (), name.line, name.col)
            elif self.is_kw("objects"):
                self.next()
                if self.tok.kind != "str":
                    raise self.err(self.tok, 'expected the objects\' type in double quotes: objects "struct kvm_memory_slot"')
                a = AbsSort(name.text, "objects", self.next().text, (), name.line, name.col)
            else:
                comps = self.comma_list(self._component)
                a = AbsSort(name.text, "tuple", "", tuple(comps), name.line, name.col)
            if name.text in pr.abs_sorts:
                raise self.err(name, f"sort '{name.text}' is abstracted twice")
            pr.abs_sorts[name.text] = a
            self._last_item = a
            return
        if self.is_kw("let"):
            self.next()
            name = self.ident("a name")
            lparams = self._params()
            self.expect_op(":=")
            expr = self.cexpr()
            if name.text in pr.abs_lets:
                raise self.err(name, f"'{name.text}' is defined twice")
            pr.abs_lets[name.text] = E("let", (expr,), name.text, "", name.line, name.col, tuple(lparams))
            self._last_item = None
            return
        sym = self.ident("a symbol name")
        params = self._params()
        self.expect_op(":=")
        expr = self.cexpr()
        if sym.text in pr.abs_syms:
            raise self.err(sym, f"'{sym.text}' is abstracted twice")
        pr.abs_syms[sym.text] = AbsSym(sym.text, tuple(params), expr, sym.line, sym.col)
        self._last_item = pr.abs_syms[sym.text]

    def _component(self) -> tuple:
        """NAME in LO..HI: one component of an abstracted tuple sort."""
        c = self.ident("a component name")
        self.expect_kw("in")
        lo = self.cexpr()
        self.expect_op("..", "(a component ranges over LO..HI)")
        return (c.text, lo, self.cexpr())

    def _params(self) -> list:
        """An optional (NAME, ...) parameter list."""
        if not self.is_op("("):
            return []
        self.next()
        params = [t.text for t in self.comma_list(lambda: self.ident("a parameter name"))]
        self.expect_op(")")
        return params

    # -- formulas ------------------------------------------------------------------------
    def mk(self, op: str, tok: Tok, args=(), name: str = "", binders=()) -> E:
        return E(op, tuple(args), name, "", tok.line, tok.col, tuple(binders))

    def formula(self) -> E:
        t = self.tok
        if self.is_kw("forall") or self.is_kw("exists"):
            self.next()
            binders = self._binders("variable")
            self.expect_op(".", "after the quantified variables")
            body = self.formula()
            return self.mk(t.text, t, (body,), binders=binders)
        if self.is_kw("if"):
            self.next()
            c = self.formula()
            self.expect_kw("then")
            a = self.formula()
            self.expect_kw("else")
            b = self.formula()
            return self.mk("ite", t, (c, a, b))
        return self.iff()

    def iff(self) -> E:
        a = self.implies()
        if self.is_op("<->"):
            t = self.next()
            b = self.implies()
            if self.is_op("<->"):
                raise self.err(self.tok, "'<->' does not chain: add parentheses")
            return self.mk("iff", t, (a, b))
        return a

    def implies(self) -> E:
        a = self.disj()
        if self.is_op("->"):
            t = self.next()
            b = self.formula() if self.is_kw("forall") or self.is_kw("exists") or self.is_kw("if") else self.implies()
            return self.mk("implies", t, (a, b))
        return a

    def disj(self) -> E:
        a = self.conj()
        while self.is_op("|"):
            t = self.next()
            a = self.mk("or", t, (a, self.conj()))
        return a

    def conj(self) -> E:
        a = self.unary()
        while self.is_op("&"):
            t = self.next()
            a = self.mk("and", t, (a, self.unary()))
        return a

    def unary(self) -> E:
        if self.is_op("~") or self.is_op("!"):
            t = self.next()
            return self.mk("not", t, (self.unary(),))
        return self.cmp()

    def cmp(self) -> E:
        a = self.atom()
        if self.is_op("=") or self.is_op("!="):
            t = self.next()
            b = self.atom()
            return self.mk("eq" if t.text == "=" else "neq", t, (a, b))
        if self.is_op("=="):
            raise self.err(self.tok, "equality is written '=' in a formula")
        if self.is_kw("in"):
            t = self.next()
            self.expect_op("{")
            names = [(n.text, n.line, n.col) for n in self.comma_list(lambda: self.ident("a constant"))]
            self.expect_op("}")
            return self.mk("in", t, (a,), binders=names)
        return a

    def atom(self) -> E:
        t = self.tok
        if self.is_kw("true") or self.is_kw("false"):
            self.next()
            return self.mk(t.text, t)
        if self.is_kw("forall") or self.is_kw("exists") or self.is_kw("if"):
            return self.formula()
        if self.is_op("("):
            self.next()
            e = self.formula()
            self.expect_op(")", "to close the parenthesis")
            return e
        if t.kind == "id" and t.text not in RESERVED:
            self.next()
            if self.is_op("("):
                self.next()
                args = [] if self.is_op(")") else self.comma_list(self.formula)
                self.expect_op(")", "to close the argument list")
                return self.mk("app", t, args, t.text)
            return self.mk("name", t, (), t.text)
        if self.is_op("&&") or self.is_op("||") or self.is_op("=="):
            raise self.err(t, f"'{t.text}' is C; in a formula write '&', '|' and '='")
        raise self.err(t, f"expected a formula, found {self.describe(t)}")

    # -- C-like expressions of the abstraction -----------------------------------------------
    def cexpr(self) -> E:
        c = self.c_or()
        if self.is_op("?"):
            t = self.next()
            a = self.cexpr()
            self.expect_op(":", "in '?:'")
            b = self.cexpr()
            return self.mk("cond", t, (c, a, b))
        return c

    def _c_binary(self, ops: tuple, sub) -> E:
        a = sub()
        while self.tok.kind == "op" and self.tok.text in ops:
            t = self.next()
            a = self.mk("binop", t, (a, sub()), t.text)
        return a

    def c_or(self) -> E:
        return self._c_binary(("||",), self.c_and)

    def c_and(self) -> E:
        return self._c_binary(("&&",), self.c_bitor)

    def c_bitor(self) -> E:
        return self._c_binary(("|",), self.c_bitxor)

    def c_bitxor(self) -> E:
        return self._c_binary(("^",), self.c_bitand)

    def c_bitand(self) -> E:
        return self._c_binary(("&",), self.c_eq)

    def c_eq(self) -> E:
        return self._c_binary(("==", "!="), self.c_rel)

    def c_rel(self) -> E:
        return self._c_binary(("<", "<=", ">", ">="), self.c_add)

    def c_add(self) -> E:
        return self._c_binary(("+", "-"), self.c_mul)

    def c_mul(self) -> E:
        return self._c_binary(("*", "/", "%"), self.c_unary)

    def c_unary(self) -> E:
        t = self.tok
        if t.kind == "op" and t.text in ("!", "-", "*", "&", "~"):
            self.next()
            e = self.c_unary()
            op = {"*": "deref", "&": "addr"}.get(t.text)
            return self.mk(op, t, (e,)) if op else self.mk("unop", t, (e,), t.text)
        return self.c_postfix()

    def c_postfix(self) -> E:
        e = self.c_primary()
        while True:
            t = self.tok
            if self.is_op("."):
                self.next()
                f = self.ident("a field name") if self.tok.text not in RESERVED else self.next()
                e = self.mk("field", t, (e,), f.text)
            elif self.is_op("->"):
                self.next()
                f = self.ident("a field name") if self.tok.text not in RESERVED else self.next()
                e = self.mk("arrow", t, (e,), f.text)
            elif self.is_op("["):
                self.next()
                i = self.cexpr()
                self.expect_op("]")
                e = self.mk("index", t, (e, i))
            elif self.is_op("(") and e.op == "cname":
                self.next()
                args = [] if self.is_op(")") else self.comma_list(self.cexpr)
                self.expect_op(")")
                e = self.mk("call", e_tok(e), args, e.name)
            else:
                return e

    def c_primary(self) -> E:
        t = self.tok
        if t.kind == "num":
            self.next()
            return self.mk("num", t, (), t.text)
        if t.kind == "str":
            self.next()
            return self.mk("str", t, (), t.text)
        if t.kind == "id":
            self.next()
            return self.mk("cname", t, (), t.text)
        if self.is_op("("):
            self.next()
            e = self.cexpr()
            self.expect_op(")")
            return e
        raise self.err(t, f"expected a C expression, found {self.describe(t)}")


def e_tok(e: E) -> Tok:
    return Tok("id", e.name, e.line, e.col)


# ----------------------------------------------------------------------------------------
# Type checking and resolution


class _Checker:
    def __init__(self, pr: Proof):
        self.pr = pr
        self.fresh = itertools.count(1)

    def err(self, line: int, col: int, msg: str) -> ProofError:
        return error_at(self.pr.source, line, col, msg)

    def check(self) -> None:
        pr = self.pr
        for d in pr.sorts.values():
            if d.name in pr.symbols or d.name in pr.enum_of:
                raise self.err(d.line, d.col, f"'{d.name}' names both a sort and something else")
        for d in pr.symbols.values():
            for s, ln, col in d.arg_sorts:
                self.sort_ok(s, ln, col)
            d.arg_sorts = tuple(s for s, _, _ in d.arg_sorts)
            self.sort_ok(d.sort, d.line, d.col)
            if d.name in pr.enum_of:
                raise self.err(d.line, d.col, f"'{d.name}' is already an enum constant")
        for m in pr.macros.values():
            env = {}
            for n, s, ln, col in m.params:
                self.sort_ok(s, ln, col)
                self.bind_ok(env, n, ln, col)
                env[n] = s
            m.body = self.resolve(m.body, env)
            m.sort = m.body.sort
        for f in pr.axioms + pr.inits + pr.safety + pr.invariants:
            f.expr = self.formula(f.expr, {})
        for tr in pr.transitions:
            env = {}
            for n, s, ln, col in tr.params:
                self.sort_ok(s, ln, col)
                self.bind_ok(env, n, ln, col)
                env[n] = s
            tr.requires = [self.formula(r, env) for r in tr.requires]
            seen = {}
            for u in tr.updates:
                d = pr.symbols.get(u.sym)
                if d is None:
                    what = "a macro" if u.sym in pr.macros else "not a declared relation, function or individual"
                    raise self.err(u.line, u.col, f"cannot update '{u.sym}': it is {what}")
                if u.sym in seen:
                    raise self.err(u.line, u.col, f"'{u.sym}' is updated twice in this transition "
                                                  f"({self.pr.source.where(seen[u.sym])}): combine the updates with 'if ... then ... else'")
                seen[u.sym] = u.line
                if len(u.lhs) != len(d.arg_sorts):
                    raise self.err(u.line, u.col, f"'{u.sym}' takes {len(d.arg_sorts)} argument(s), not {len(u.lhs)}")
                uenv = dict(env)
                lhs, pats = [], []
                for a, s in zip(u.lhs, d.arg_sorts):
                    if a.op == "name" and a.name[:1].isupper() and a.name not in env and not self.known(a.name):
                        if a.name in pats:
                            raise self.err(a.line, a.col, f"pattern '{a.name}' appears twice on the left")
                        pats.append(a.name)
                        uenv[a.name] = s
                        lhs.append(E("var", (), a.name, s, a.line, a.col))
                    else:
                        r = self.resolve(a, env)
                        if r.sort != s:
                            raise self.err(a.line, a.col, f"argument of sort {r.sort} where '{u.sym}' expects {s}")
                        lhs.append(r)
                u.lhs = tuple(lhs)
                u.patterns = tuple(pats)
                u.rhs = self.resolve(u.rhs, uenv)
                if u.rhs.sort != d.sort:
                    raise self.err(u.rhs.line, u.rhs.col, f"'{u.sym}' has sort {d.sort}, this term has sort {u.rhs.sort}")
        if not pr.safety:
            raise self.err(1, 1, "the proof states no 'safety' property")
        for f in pr.invariants:
            if not f.doc:
                raise self.err(f.line, f.col, f"invariant clause '{f.name}' needs a comment saying why it holds "
                                              "(a '#' comment above it or on its line)")
        names = {t.name for t in pr.transitions}
        clauses = {f.name for f in pr.invariants + pr.safety}
        for ex in pr.expects:
            if ex.clause not in clauses:
                raise self.err(ex.line, ex.col, f"'{ex.clause}' is not an invariant clause or safety property")
            if ex.transition not in names | {"init", "invariant"}:
                raise self.err(ex.line, ex.col, f"'{ex.transition}' is not a transition (nor 'init' or 'invariant')")
        for a in pr.abs_sorts.values():
            d = pr.sorts.get(a.sort)
            if d is None or d.kind != "uninterpreted":
                raise self.err(a.line, a.col, f"'{a.sort}' is not an uninterpreted sort of this proof")
        for a in pr.abs_syms.values():
            d = pr.symbols.get(a.sym)
            if d is None:
                raise self.err(a.line, a.col, f"'{a.sym}' is not a relation, function or individual of this proof")
            if len(a.params) != len(d.arg_sorts):
                raise self.err(a.line, a.col, f"'{a.sym}' takes {len(d.arg_sorts)} argument(s): "
                                              f"name {len(d.arg_sorts)} parameter(s)")
        if (pr.abs_sorts or pr.abs_syms) and not pr.model:
            raise self.err(1, 1, "the proof has an abstraction but names no model: add 'model \"PATH\"'")

    def known(self, name: str) -> bool:
        pr = self.pr
        return name in pr.symbols or name in pr.macros or name in pr.enum_of or name in pr.sorts

    def sort_ok(self, s: str, line: int, col: int) -> None:
        if s != BOOL and s not in self.pr.sorts:
            raise self.err(line, col, f"unknown sort '{s}'")

    def bind_ok(self, env: dict, n: str, line: int, col: int) -> None:
        if self.known(n):
            raise self.err(line, col, f"'{n}' is already declared: a variable cannot reuse the name")
        if n in env:
            raise self.err(line, col, f"variable '{n}' is already bound here")

    def formula(self, e: E, env: dict) -> E:
        r = self.resolve(e, env)
        if r.sort != BOOL:
            raise self.err(e.line, e.col, f"expected a formula (sort bool), this has sort {r.sort}")
        return r

    def resolve(self, e: E, env: dict) -> E:
        pr = self.pr
        op = e.op
        if op in ("true", "false"):
            return E(op, (), "", BOOL, e.line, e.col)
        if op in ("name", "app"):
            n = e.name
            args = [self.resolve(a, env) for a in e.args]
            if op == "name" and n in env:
                return E("var", (), n, env[n], e.line, e.col)
            if n in pr.symbols:
                d = pr.symbols[n]
                if len(args) != len(d.arg_sorts):
                    raise self.err(e.line, e.col, f"'{n}' takes {len(d.arg_sorts)} argument(s), not {len(args)}")
                for a, s in zip(args, d.arg_sorts):
                    if a.sort != s:
                        raise self.err(a.line, a.col, f"argument of sort {a.sort} where '{n}' expects {s}")
                return E("sym", tuple(args), n, d.sort, e.line, e.col)
            if n in pr.macros:
                m = pr.macros[n]
                if len(args) != len(m.params):
                    raise self.err(e.line, e.col, f"'{n}' takes {len(m.params)} argument(s), not {len(args)}")
                sub = {}
                for a, (pn, ps, _, _) in zip(args, m.params):
                    if a.sort != ps:
                        raise self.err(a.line, a.col, f"argument of sort {a.sort} where '{n}' expects {ps}")
                    sub[pn] = a
                return substitute(m.body, sub, self.fresh, (e.line, e.col))
            if n in pr.enum_of and op == "name":
                return E("enum", (), n, pr.enum_of[n], e.line, e.col)
            if op == "app" and n in env:
                raise self.err(e.line, e.col, f"'{n}' is a variable, not a function")
            raise self.err(e.line, e.col, f"unknown name '{n}'")
        if op == "not":
            return E("not", (self.formula(e.args[0], env),), "", BOOL, e.line, e.col)
        if op in ("and", "or", "implies", "iff"):
            return E(op, tuple(self.formula(a, env) for a in e.args), "", BOOL, e.line, e.col)
        if op in ("eq", "neq"):
            a, b = (self.resolve(x, env) for x in e.args)
            if a.sort != b.sort:
                raise self.err(e.line, e.col, f"'{'=' if op == 'eq' else '!='}' between sorts {a.sort} and {b.sort}")
            eq = E("eq", (a, b), "", BOOL, e.line, e.col)
            return eq if op == "eq" else E("not", (eq,), "", BOOL, e.line, e.col)
        if op == "in":
            a = self.resolve(e.args[0], env)
            d = pr.sorts.get(a.sort)
            if d is None or d.kind != "enum":
                raise self.err(e.line, e.col, f"'in {{...}}' needs a term of an enum sort, this has sort {a.sort}")
            out = None
            for n, ln, col in e.binders:
                if pr.enum_of.get(n) != a.sort:
                    raise self.err(ln, col, f"'{n}' is not a constant of enum {a.sort}")
                eq = E("eq", (a, E("enum", (), n, a.sort, ln, col)), "", BOOL, ln, col)
                out = eq if out is None else E("or", (out, eq), "", BOOL, e.line, e.col)
            return out
        if op == "ite":
            c = self.formula(e.args[0], env)
            a, b = (self.resolve(x, env) for x in e.args[1:])
            if a.sort != b.sort:
                raise self.err(e.line, e.col, f"the branches of 'if' have sorts {a.sort} and {b.sort}")
            return E("ite", (c, a, b), "", a.sort, e.line, e.col)
        if op in ("forall", "exists"):
            inner = dict(env)
            for n, s, ln, col in e.binders:
                self.sort_ok(s, ln, col)
                self.bind_ok(inner, n, ln, col)
                inner[n] = s
            body = self.formula(e.args[0], inner)
            return E(op, (body,), "", BOOL, e.line, e.col, tuple((n, s, ln, col) for n, s, ln, col in e.binders))
        raise self.err(e.line, e.col, "a C expression is only allowed after 'abstract'")


def substitute(e: E, sub: dict, fresh, at=None) -> E:
    """Replace free variables by terms; bound variables are renamed apart (no capture)."""
    if e.op == "var":
        if e.name in sub:
            return sub[e.name]
        return e
    if e.op in ("forall", "exists"):
        inner = dict(sub)
        binders = []
        for n, s, ln, col in e.binders:
            nn = f"{n}_{next(fresh)}"
            inner[n] = E("var", (), nn, s, ln, col)
            binders.append((nn, s, ln, col))
        return E(e.op, (substitute(e.args[0], inner, fresh),), e.name, e.sort, e.line, e.col, tuple(binders))
    if not e.args:
        return e
    return E(e.op, tuple(substitute(a, sub, fresh) for a in e.args), e.name, e.sort, e.line, e.col, e.binders)


def symbols_of(e: E, out: set | None = None) -> set:
    out = set() if out is None else out
    if e.op == "sym":
        out.add(e.name)
    for a in e.args:
        symbols_of(a, out)
    return out
