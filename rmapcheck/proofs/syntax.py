"""The abstract syntax of a proof file (see docs/proofs.md for the language).

Formulas of the proof language and the C-like expressions of the abstraction share one
node type, ``E``: an operator, its arguments, a name (symbols, variables, constants) and,
after type checking, a sort. One generic node keeps every traversal (type checking, z3
translation, finite evaluation, substitution) a single short function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BOOL = "bool"


@dataclass(eq=False)
class E:
    op: str
    args: tuple = ()
    name: str = ""
    sort: str = ""
    line: int = 0
    col: int = 0
    binders: tuple = ()  # quantifiers: ((name, sort, line, col), ...); 'in': the enum constant names

    def __repr__(self) -> str:  # compact, for debugging
        inner = ", ".join(repr(a) for a in self.args)
        return f"{self.op}{'[' + self.name + ']' if self.name else ''}({inner})"


# Operators of formulas after type checking:
#   true false            constants
#   var (name)            a bound variable: quantifier, transition parameter, update pattern
#   sym (name, args)      a state symbol applied to arguments (0-ary: an individual)
#   enum (name)           an enum constant of sort .sort
#   not and or implies iff eq ite forall exists
# Before type checking the parser also produces:
#   name (name)           an identifier; app (name, args); neq; in (arg, binders = constants)
# Concrete (abstraction) expressions use: num str cname field arrow index call unop binop cond
# addr deref.


@dataclass
class SortDecl:
    name: str
    kind: str  # "uninterpreted" or "enum"
    values: tuple = ()
    line: int = 0
    col: int = 0
    doc: str = ""


@dataclass
class SymDecl:
    name: str
    kind: str  # "relation", "function", "individual"
    arg_sorts: tuple
    sort: str
    line: int = 0
    col: int = 0
    doc: str = ""


@dataclass
class Define:
    name: str
    params: tuple  # ((name, sort, line, col), ...)
    body: E
    line: int = 0
    col: int = 0
    sort: str = ""
    doc: str = ""


@dataclass
class Formula:
    """An axiom, an init condition, a safety property or an invariant clause."""

    kind: str  # "axiom", "init", "safety", "invariant"
    name: str
    expr: E
    line: int = 0
    col: int = 0
    doc: str = ""


@dataclass
class Update:
    sym: str
    lhs: tuple  # argument expressions; a pattern variable is E("var") with name in .patterns
    patterns: tuple  # names of the pattern variables (capitalised, bound over the whole sort)
    rhs: E
    line: int = 0
    col: int = 0


@dataclass
class Transition:
    name: str
    params: tuple  # ((name, sort, line, col), ...)
    requires: list = field(default_factory=list)  # list[E]
    updates: list = field(default_factory=list)  # list[Update]
    line: int = 0
    col: int = 0
    doc: str = ""

    def modifies(self) -> set:
        return {u.sym for u in self.updates}


@dataclass
class Expect:
    """``expect fail CLAUSE at TRANSITION``: a check this (buggy) design is known to fail."""

    clause: str
    transition: str
    line: int = 0
    col: int = 0
    doc: str = ""


@dataclass
class AbsSort:
    """How a sort's elements are found in the model: thread instances or index tuples."""

    sort: str
    kind: str  # "thread", "tuple" or "objects"
    thread: str = ""  # kind thread: the model's thread function; kind objects: the C type
    components: tuple = ()  # kind tuple: ((name, lo E, hi E), ...)
    line: int = 0
    col: int = 0


@dataclass
class AbsSym:
    """``abstract SYM(params) := C-EXPR``: the value of a symbol in a model state."""

    sym: str
    params: tuple  # names bound to the arguments (sort elements)
    expr: E
    line: int = 0
    col: int = 0


@dataclass
class Proof:
    path: str
    source: object  # proofs.source.ProofSource: the spliced text and where each line came from
    title: str = ""
    model: str = ""
    model_line: int = 0
    defines: dict = field(default_factory=dict)  # -D overrides for the model (model ... with NAME=V)
    sorts: dict = field(default_factory=dict)  # name -> SortDecl
    symbols: dict = field(default_factory=dict)  # name -> SymDecl
    macros: dict = field(default_factory=dict)  # name -> Define
    axioms: list = field(default_factory=list)
    inits: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    safety: list = field(default_factory=list)
    invariants: list = field(default_factory=list)
    expects: list = field(default_factory=list)
    abs_sorts: dict = field(default_factory=dict)  # sort -> AbsSort
    abs_syms: dict = field(default_factory=dict)  # symbol -> AbsSym
    abs_lets: dict = field(default_factory=dict)  # name -> C expression (``abstract let``)
    enum_of: dict = field(default_factory=dict)  # enum constant -> its sort

    @property
    def name(self) -> str:
        import os

        return os.path.splitext(os.path.basename(self.path))[0]

    def transition(self, name: str):
        for t in self.transitions:
            if t.name == name:
                return t
        return None
