"""herd7 C litmus tests (the format of the kernel's tools/memory-model) -> rmapcheck models.

A litmus test::

    C MP+pooncerelease+poacquireonce
    (* Result: Never *)
    { x=0; int *p=&x; }
    P0(int *x, int *y) { WRITE_ONCE(*x, 1); smp_store_release(y, 1); }
    P1(int *x, int *y) { int r0; int r1; r0 = smp_load_acquire(y); r1 = READ_ONCE(*x); }
    exists (1:r0=1 /\\ 1:r1=0)

becomes a model in rmapcheck's own C language:

* every shared location is a global of the same name (its type from the init
  block or from the parameters: ``int **p`` makes ``p`` an ``int *``);
* every ``Pn`` is a thread ``void Pn(void)``; in its body a parameter ``x`` is
  rewritten to ``&x`` (and ``*x`` to ``x``), so the body reads as written;
* the registers the final clause mentions (``1:r0``) are copied to globals
  (``P1_r0``) at the end of their thread, so the condition can be evaluated on
  the final states the engine reports;
* ``rcu_read_lock()``/``rcu_read_unlock()``/``synchronize_rcu()`` use one global
  ``struct srcu_struct``; the atomic operations and the smp_mb__*() barriers are the model
  language's (docs/language.md);
  ``spin_is_locked(l)`` reads the lock word with ``READ_ONCE``.

The generated text keeps every body on its own lines (everything else is blanked
and the declarations go on the ``C`` line), and every generated character
remembers its position in the litmus file, so an error the model loader reports
points at the litmus file's own line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rmapcheck.errors import ModelError, SourceLoc
from rmapcheck.sourcefile import read_source_text
from rmapcheck.frontend.unsupported import did_you_mean, unsupported_message
from rmapcheck.ir import nodes as ir

# -- what the translation supports -------------------------------------------------------------

INT_WORDS = frozenset({
    "int", "long", "short", "char", "unsigned", "signed", "bool", "_Bool",
    "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "size_t",
})
TYPE_WORDS = INT_WORDS | {"const", "volatile", "struct", "spinlock_t", "atomic_t", "atomic64_t",
                          "atomic_long_t", "void"}
# Marked accesses: a '*p' directly in their first argument is not a plain access.
MARKED = frozenset({
    "READ_ONCE", "WRITE_ONCE", "rcu_dereference", "rcu_assign_pointer", "srcu_dereference",
    "rcu_access_pointer", "rcu_dereference_protected", "smp_load_acquire", "smp_store_release",
})
# Primitives the translation rewrites (the model language spells them differently or not at all).
REWRITTEN = frozenset({
    "rcu_read_lock", "rcu_read_unlock", "synchronize_rcu", "synchronize_rcu_expedited",
    "spin_is_locked",
})
# What LKMM has and the model language has in another shape (LKMM has no mutexes).
LITMUS_UNSUPPORTED = {
    "mutex_lock": "LKMM has no mutexes: use spin_lock()",
    "mutex_unlock": "LKMM has no mutexes: use spin_unlock()",
}


def litmus_primitives() -> frozenset:
    """Every kernel primitive a litmus body may call: the model language's, plus the rewrites."""
    from rmapcheck.frontend.primitives import Primitives

    return frozenset(Primitives(None).table) | REWRITTEN


SUPPORTED = litmus_primitives()
ATOMIC_TYPES = ("atomic_t", "atomic64_t", "atomic_long_t")
ATOMIC_INITS = ("ATOMIC_INIT", "ATOMIC64_INIT", "ATOMIC_LONG_INIT")
RESULT_WORDS = ("Never", "Sometimes", "Always", "DEADLOCK")
_RESULT = re.compile(r"\bResult:\s*([A-Za-z]+)((?:[ \t]+[A-Z][A-Z_-]*\b)*)")
_C_KEYWORDS = frozenset({"if", "else", "while", "for", "do", "switch", "case", "default", "sizeof", "break",
                         "continue"})


# -- the parsed test ----------------------------------------------------------------------------

@dataclass
class Location:
    name: str
    base: str  # "int", "spinlock_t", "struct srcu_struct", ...
    ptr: int  # pointer depth of the location's own type
    init: object  # None, an int, or ("addr", name)
    off: int  # where it was declared in the litmus text (init item or parameter)
    typed: bool  # the type was given explicitly (init block or a parameter)
    size: int | None = None  # an array of this many elements (init: None or a list of ints)

    def ctype(self) -> str:
        return f"{self.base} {'*' * self.ptr}".rstrip()


@dataclass
class Register:
    name: str
    base: str
    ptr: int
    off: int
    decl_end: int | None = None  # just after its declaration; None: implicit (herd7: an int)


@dataclass
class Proc:
    index: int
    off: int  # the 'Pn' token
    header_end: int  # just after ')'
    body_start: int  # the '{'
    body_end: int  # the '}'
    params: list = field(default_factory=list)  # (name, off)
    registers: dict = field(default_factory=dict)  # name -> Register
    calls: list = field(default_factory=list)  # primitives called, in order of appearance
    plain: bool = False  # a plain (unmarked) access through a pointer
    edits: list = field(default_factory=list)  # (start, end, text) over the litmus text
    uses_rcu: bool = False
    implicit: dict = field(default_factory=dict)  # undeclared names used as registers -> first use
    array_params: set | None = None  # parameters that are arrays (used as written)

    @property
    def name(self) -> str:
        return f"P{self.index}"


# Conditions: ("atom", lhs, op, rhs, off) with lhs ("loc", name) | ("reg", proc, name), rhs int |
# ("addr", name); ("not", p); ("and", p, q); ("or", p, q); ("imp", p, q); ("const", bool).

@dataclass
class LitmusTest:
    path: str
    text: str
    name: str
    doc: str = ""
    header: dict = field(default_factory=dict)  # diy7's Key=Value lines
    expected: str | None = None  # the Result: comment: "Never", "Sometimes DATARACE", ...
    expected_loc: SourceLoc | None = None
    locations: dict = field(default_factory=dict)  # name -> Location, in declaration order
    procs: list = field(default_factory=list)
    quantifier: str = "exists"  # "exists" | "~exists" | "forall"
    cond: tuple = ("const", True)
    filter: tuple | None = None
    shown: list = field(default_factory=list)  # the `locations [...]` clause: keys
    model_text: str = ""
    reg_globals: dict = field(default_factory=dict)  # (proc, reg) -> global name
    reg_init: dict = field(default_factory=dict)  # (proc, reg) -> (value, offset): '0:r1=1;' in the init
    rcu_global: str | None = None
    c_span: tuple = (0, 0)  # the 'C NAME' text
    _map: list = field(default_factory=list, repr=False)  # generated offset -> litmus offset
    _lines: list = field(default_factory=list, repr=False)

    # -- positions ---------------------------------------------------------------------
    def loc(self, off: int) -> SourceLoc:
        return _loc(self.path, self._line_starts(), off)

    def _line_starts(self) -> list:
        if not self._lines:
            self._lines = _line_starts(self.text)
        return self._lines

    def source_line(self, line: int) -> str | None:
        lines = self.text.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else None

    # -- what the conformance table shows ------------------------------------------------
    def primitives(self) -> list:
        seen: list = []
        for p in self.procs:
            for c in p.calls:
                if c not in seen:
                    seen.append(c)
        if any(p.plain for p in self.procs):
            seen.append("plain accesses")
        return seen

    def keys(self) -> list:
        """What a final state shows: the `locations` clause, then the filter's and the condition's."""
        out: list = []
        for k in self.shown + _prop_keys(self.filter) + _prop_keys(self.cond):
            if k not in out:
                out.append(k)
        return out


def _line_starts(text: str) -> list:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _loc(path: str, starts: list, off: int) -> SourceLoc:
    import bisect

    k = bisect.bisect_right(starts, off) - 1
    return SourceLoc(path, k + 1, off - starts[k] + 1)


def _prop_keys(p) -> list:
    if p is None:
        return []
    if p[0] == "atom":
        return [p[1]]
    if p[0] == "const":
        return []
    out = []
    for q in p[1:]:
        out += _prop_keys(q)
    return out


def key_text(key) -> str:
    return key[1] if key[0] == "loc" else f"{key[1]}:{key[2]}"


def key_cell(test, program, key) -> int:
    """The global cell a condition key reads: a location, an array element ('a[1]') or the
    copy of a register ('1:r0')."""
    gname = key[1] if key[0] == "loc" else test.reg_globals[(key[1], key[2])]
    elem = re.fullmatch(r"(\w+)\[(\d+)\]", gname)
    if elem:
        return program.globals_by_name[elem.group(1)][0] + int(elem.group(2))
    return program.globals_by_name[gname][0]


# -- condition evaluation ------------------------------------------------------------------------

def eval_prop(p, env: dict) -> bool:
    """Evaluate a condition; env maps keys to values (ints, or ("addr", name) for pointers)."""
    kind = p[0]
    if kind == "atom":
        v = env[p[1]]
        eq = v == p[3]
        return eq if p[2] == "=" else not eq
    if kind == "not":
        return not eval_prop(p[1], env)
    if kind == "and":
        return eval_prop(p[1], env) and eval_prop(p[2], env)
    if kind == "or":
        return eval_prop(p[1], env) or eval_prop(p[2], env)
    if kind == "imp":
        return (not eval_prop(p[1], env)) or eval_prop(p[2], env)
    return bool(p[1])


def prop_text(p, top: bool = True) -> str:
    kind = p[0]
    if kind == "atom":
        rhs = p[3][1] if isinstance(p[3], tuple) else str(p[3])
        return f"{key_text(p[1])}{'=' if p[2] == '=' else '!='}{rhs}"
    if kind == "const":
        return "true" if p[1] else "false"
    if kind == "not":
        return "~" + prop_text(p[1], False)
    op = {"and": " /\\ ", "or": " \\/ ", "imp": " => "}[kind]
    parts = []
    for q in (p[1], p[2]):
        # a chain of one associative operator needs no parentheses
        parts.append(prop_text(q, True) if q[0] == kind and kind != "imp" else prop_text(q, False))
    s = op.join(parts)
    return s if top else f"({s})"


# -- the litmus-level scanner -------------------------------------------------------------------

_PUNCT = ("/\\", "\\/", "=>", "->", "!=", "==", "~", "(", ")", "{", "}", "[", "]", ";", ",", ":", "=", "*", "&", "-", ".")
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUM = re.compile(r"0[xX][0-9a-fA-F]+|\d+")


class _Scanner:
    def __init__(self, path: str, text: str):
        self.path, self.text, self.pos = path, text, 0
        self.starts = _line_starts(text)
        self.comments: list = []  # (offset, text)

    def error(self, off: int, msg: str) -> ModelError:
        loc = _loc(self.path, self.starts, max(min(off, len(self.text)), 0))
        lines = self.text.split("\n")
        src = lines[loc.line - 1] if loc.line <= len(lines) else None
        return ModelError(loc, msg, src)

    def skip(self) -> None:
        t, n = self.text, len(self.text)
        while self.pos < n:
            c = t[self.pos]
            if c.isspace():
                self.pos += 1
            elif t.startswith("(*", self.pos):
                start, depth, i = self.pos, 1, self.pos + 2
                while i < n and depth:
                    if t.startswith("(*", i):
                        depth, i = depth + 1, i + 2
                    elif t.startswith("*)", i):
                        depth, i = depth - 1, i + 2
                    else:
                        i += 1
                if depth:
                    raise self.error(start, "unterminated (* comment")
                self.comments.append((start, t[start + 2:i - 2]))
                self.pos = i
            elif t.startswith("/*", self.pos):
                j = t.find("*/", self.pos + 2)
                if j < 0:
                    raise self.error(self.pos, "unterminated /* comment")
                self.comments.append((self.pos, t[self.pos + 2:j]))
                self.pos = j + 2
            elif t.startswith("//", self.pos):
                j = t.find("\n", self.pos)
                j = n if j < 0 else j
                self.comments.append((self.pos, t[self.pos + 2:j]))
                self.pos = j
            else:
                return

    def peek(self):
        """The next token as (kind, text, start, end); kind is id, num, str, punct or eof."""
        self.skip()
        t, i = self.text, self.pos
        if i >= len(t):
            return ("eof", "", i, i)
        m = _ID.match(t, i)
        if m:
            return ("id", m.group(), i, m.end())
        m = _NUM.match(t, i)
        if m:
            return ("num", m.group(), i, m.end())
        if t[i] == '"':
            j = t.find('"', i + 1)
            if j < 0:
                raise self.error(i, "unterminated string")
            return ("str", t[i + 1:j], i, j + 1)
        for p in _PUNCT:
            if t.startswith(p, i):
                return ("punct", p, i, i + len(p))
        raise self.error(i, f"unexpected character '{t[i]}'")

    def next(self):
        tok = self.peek()
        self.pos = tok[3]
        return tok

    def accept(self, text: str):
        tok = self.peek()
        if tok[0] in ("punct", "id") and tok[1] == text:
            self.pos = tok[3]
            return tok
        return None

    def expect(self, text: str, what: str = ""):
        tok = self.peek()
        if tok[0] in ("punct", "id") and tok[1] == text:
            self.pos = tok[3]
            return tok
        raise self.error(tok[2], f"expected '{text}'{what}, found {_describe(tok)}")


def _describe(tok) -> str:
    return "the end of the file" if tok[0] == "eof" else f"'{tok[1]}'"


# -- parsing ------------------------------------------------------------------------------------

def parse_litmus(path: str, text: str) -> LitmusTest:
    """Parse a C litmus test and translate it (LitmusTest.model_text). Errors: ModelError."""
    s = _Scanner(path, text)
    tok = s.next()
    if tok[0] == "eof":
        raise s.error(0, "empty litmus test: expected 'C NAME' on the first line")
    if tok[0] != "id" or tok[1] != "C":
        if tok[0] == "id" and tok[1] in ("X86", "X86_64", "AArch64", "ARM", "PPC", "RISCV", "MIPS", "LISA", "BPF"):
            raise s.error(tok[2], f"only C litmus tests are supported, not {tok[1]}")
        raise s.error(tok[2], f"a litmus test starts with 'C NAME', found {_describe(tok)}")
    c_off = tok[2]
    i = tok[3]
    while i < len(text) and text[i] in " \t":
        i += 1
    m = re.compile(r"[^\s]+").match(text, i)
    if not m or text[tok[3]:m.start()].count("\n"):
        raise s.error(tok[3], "expected the test's name after 'C'")
    name = m.group()
    s.pos = m.end()
    test = LitmusTest(path, text, name)
    test.c_span = (c_off, m.end())
    tok = s.peek()
    if tok[0] == "str":
        test.doc = tok[1]
        s.next()
    _parse_header(s, test)
    _parse_init(s, test)
    _parse_procs(s, test)
    _parse_final(s, test)
    _find_result(s, test)
    _translate(test)
    return test


_HEADER_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*=([^\n]*)")


def _parse_header(s: _Scanner, test: LitmusTest) -> None:
    """diy7's 'Key=Value' lines between the name and the initial state (Cycle=, Relax=,
    Safe=, Prefetch=, Com=, Orig=, Hash=, ...): kept in test.header, ignored as herd7 does."""
    while True:
        s.skip()
        m = _HEADER_LINE.match(s.text, s.pos)
        if not m:
            return
        test.header[m.group(1)] = m.group(2).strip()
        s.pos = m.end()


def _parse_type(s: _Scanner, what: str):
    """TYPE WORDS '*'... NAME -> (base, ptr, name, name_off). TYPE may be absent (base None)."""
    words: list = []
    ptr = 0
    first = s.peek()
    while True:
        tok = s.peek()
        if tok[0] == "id":
            s.next()
            words.append((tok[1], tok[2]))
            if tok[1] == "struct":
                t2 = s.next()
                if t2[0] != "id":
                    raise s.error(t2[2], f"expected a struct name, found {_describe(t2)}")
                words[-1] = ("struct " + t2[1], tok[2])
        elif tok[1] == "*" and tok[0] == "punct":
            s.next()
            ptr += 1
        else:
            break
    if not words:
        raise s.error(first[2], f"expected {what}, found {_describe(first)}")
    name, noff = words.pop()
    if ptr and not words:
        raise s.error(first[2], f"expected a type before '*' in {what}")
    base_words = [w for w, _ in words if w not in ("const", "volatile")]
    if not base_words:
        return None, ptr, name, noff, first[2]
    base = " ".join(base_words)
    _check_type(s, base, words[0][1])
    return base, ptr, name, noff, first[2]


def _check_type(s: _Scanner, base: str, off: int) -> None:
    if base in ("spinlock_t", "struct srcu_struct") or base in ATOMIC_TYPES:
        return
    if all(w in INT_WORDS for w in base.split()):
        return
    raise s.error(off, f"unsupported type '{base}' (litmus locations may be integers, pointers, "
                       "atomic_t, atomic64_t, atomic_long_t, spinlock_t or struct srcu_struct)")


def _parse_value(s: _Scanner):
    tok = s.next()
    if tok[0] == "punct" and tok[1] == "-":
        n = s.next()
        if n[0] != "num":
            raise s.error(n[2], f"expected a number after '-', found {_describe(n)}")
        return -int(n[1], 0), tok[2]
    if tok[0] == "num":
        return int(tok[1], 0), tok[2]
    if tok[0] == "punct" and tok[1] == "&":
        n = s.next()
        if n[0] != "id":
            raise s.error(n[2], f"expected a location name after '&', found {_describe(n)}")
        return ("addr", n[1], n[2]), tok[2]
    if tok[0] == "id" and tok[1] in ATOMIC_INITS:
        s.expect("(", f" after {tok[1]}")
        v, _ = _parse_value(s)
        s.expect(")", f" to close {tok[1]}(")
        if isinstance(v, tuple):
            raise s.error(tok[2], f"{tok[1]}() takes a number")
        return v, tok[2]
    if tok[0] == "id":
        return ("addr", tok[1], tok[2]), tok[2]
    raise s.error(tok[2], f"expected a value (a number or a location), found {_describe(tok)}")


def _parse_init(s: _Scanner, test: LitmusTest) -> None:
    tok = s.peek()
    if not (tok[0] == "punct" and tok[1] == "{"):
        raise s.error(tok[2], "expected the initial state '{ ... }' (it may be empty: '{}'), "
                              f"found {_describe(tok)}")
    s.next()
    while True:
        tok = s.peek()
        if tok[0] == "punct" and tok[1] == "}":
            s.next()
            break
        if tok[0] == "punct" and tok[1] == ";":
            s.next()
            continue
        if tok[0] == "eof":
            raise s.error(tok[2], "unterminated initial state: expected '}'")
        if tok[0] == "num" or (tok[0] == "id" and re.fullmatch(r"P\d+", tok[1]) and _is_colon_next(s, tok)):
            _parse_reg_init(s, test)
            continue
        base, ptr, name, noff, start = _parse_type(s, "a location")
        size = None
        if s.accept("["):
            n = s.next()
            if n[0] != "num" or int(n[1], 0) < 1:
                raise s.error(n[2], f"expected the number of elements of '{name}', found {_describe(n)}")
            size = int(n[1], 0)
            s.expect("]", f" after the size of '{name}'")
            if ptr or (base or "int").split()[-1] not in INT_WORDS:
                raise s.error(noff, f"array '{name}': litmus arrays are arrays of integers")
        init = None
        if s.accept("="):
            if size is not None:
                init = _parse_array_init(s, name, size)
            else:
                init, voff = _parse_value(s)
        if name in test.locations:
            raise s.error(noff, f"location '{name}' is declared twice")
        test.locations[name] = Location(name, base or "int", ptr, init, noff, base is not None, size)
        tok = s.peek()
        if not (tok[0] == "punct" and tok[1] in (";", "}")):
            raise s.error(tok[2], f"expected ';' after the initial value of '{name}', found {_describe(tok)}")


def _parse_array_init(s: _Scanner, name: str, size: int) -> list:
    s.expect("{", f" to begin the elements of '{name}'")
    vals: list = []
    while not s.accept("}"):
        if vals:
            s.expect(",", " between array elements")
        v, off = _parse_value(s)
        if isinstance(v, tuple):
            raise s.error(off, "array elements are numbers")
        vals.append(v)
        if len(vals) > size:
            raise s.error(off, f"too many elements for '{name}[{size}]'")
    return vals


def _parse_reg_init(s: _Scanner, test: LitmusTest) -> None:
    """'0:r1=1;' (or 'P0:r1=x;'): the register's value when its process starts."""
    tok = s.next()
    proc = int(tok[1], 0) if tok[0] == "num" else int(tok[1][1:])
    s.expect(":", " between the process number and the register")
    r = s.next()
    if r[0] != "id":
        raise s.error(r[2], f"expected a register name after '{proc}:', found {_describe(r)}")
    s.expect("=", f" after {proc}:{r[1]}")
    v, voff = _parse_value(s)
    if (proc, r[1]) in test.reg_init:
        raise s.error(r[2], f"register {proc}:{r[1]} is given two initial values")
    test.reg_init[(proc, r[1])] = (v, tok[2])
    tok = s.peek()
    if not (tok[0] == "punct" and tok[1] in (";", "}")):
        raise s.error(tok[2], f"expected ';' after the initial value of {proc}:{r[1]}, found {_describe(tok)}")


def _apply_reg_init(s: _Scanner, test: LitmusTest) -> None:
    """Set the initial register values at the start of their process's body."""
    for (pi, name), (v, off) in test.reg_init.items():
        if pi >= len(test.procs):
            raise s.error(off, f"there is no process P{pi} (the test has P0..P{len(test.procs) - 1})")
        proc = test.procs[pi]
        if isinstance(v, tuple):
            target = test.locations.get(v[1])
            if target is None:
                raise s.error(v[2], f"unknown location '{v[1]}' (declare it in the initial state or as a parameter)")
            text, base, ptr = f"&{v[1]}", target.base, target.ptr + 1
        else:
            text, base, ptr = str(v), "int", 0
        reg = proc.registers.get(name)
        if reg is None:
            proc.implicit.pop(name, None)
            proc.registers[name] = Register(name, base, ptr, off, None)
            proc.edits.append((proc.body_start + 1, proc.body_start + 1,
                               f" {base} {'*' * ptr}{name} = {text};"))
        else:
            proc.edits.append((reg.decl_end, reg.decl_end, f" {name} = {text};"))


def _is_colon_next(s: _Scanner, tok) -> bool:
    save = s.pos
    s.pos = tok[3]
    nxt = s.peek()
    s.pos = save
    return nxt[0] == "punct" and nxt[1] == ":"


def _parse_procs(s: _Scanner, test: LitmusTest) -> None:
    while True:
        tok = s.peek()
        if not (tok[0] == "id" and re.fullmatch(r"P\d+", tok[1])):
            break
        s.next()
        idx = int(tok[1][1:])
        if idx != len(test.procs):
            want = f"P{len(test.procs)}"
            raise s.error(tok[2], f"expected {want} here: processes are numbered P0, P1, ... in order")
        proc = Proc(idx, tok[2], 0, 0, 0)
        s.expect("(", f" after {tok[1]}")
        if not s.accept(")"):
            if s.peek()[1] == "void" and s.peek()[0] == "id":
                s.next()
                s.expect(")", " after 'void'")
            else:
                while True:
                    base, ptr, pname, noff, start = _parse_type(s, "a parameter")
                    if base is None:
                        raise s.error(noff, f"parameter '{pname}' needs a type: 'int *{pname}'")
                    if ptr < 1:
                        raise s.error(start, f"parameter '{pname}' must be a pointer to a shared location "
                                             f"('{base} *{pname}')")
                    if any(p == pname for p, _ in proc.params):
                        raise s.error(noff, f"parameter '{pname}' is declared twice")
                    _declare_param(s, test, pname, base, ptr - 1, noff)
                    proc.params.append((pname, noff))
                    if s.accept(")"):
                        break
                    s.expect(",", " or ')' between parameters")
        proc.header_end = s.pos
        tok = s.peek()
        if not (tok[0] == "punct" and tok[1] == "{"):
            raise s.error(tok[2], f"expected '{{' to begin the body of P{idx}, found {_describe(tok)}")
        proc.body_start = tok[2]
        proc.body_end = _body_end(s, tok[2])
        s.pos = proc.body_end + 1
        test.procs.append(proc)
    if not test.procs:
        tok = s.peek()
        raise s.error(tok[2], f"expected the first process 'P0(...) {{ ... }}', found {_describe(tok)}")
    for proc in test.procs:
        _scan_body(s, test, proc)
    _apply_reg_init(s, test)
    for proc in test.procs:
        _declare_implicit(proc)


def _declare_param(s: _Scanner, test: LitmusTest, name: str, base: str, ptr: int, off: int) -> None:
    loc = test.locations.get(name)
    if loc is None:
        test.locations[name] = Location(name, base, ptr, None, off, True)
        return
    if not loc.typed:
        loc.base, loc.ptr, loc.typed = base, ptr, True
        _check_init(s, test, loc)
        return
    if (loc.base, loc.ptr) != (base, ptr):
        raise s.error(off, f"parameter '{name}' has type '{base} {'*' * (ptr + 1)}', but location '{name}' "
                           f"is a '{loc.ctype()}' (the parameter must be a pointer to it)")


def _check_init(s: _Scanner, test: LitmusTest, loc: Location) -> None:
    if isinstance(loc.init, tuple) and loc.ptr == 0:
        raise s.error(loc.off, f"location '{loc.name}' holds an address, so it must be a pointer "
                               f"('int *{loc.name}={loc.init[1]}')")


_C_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/|//[^\n]*|\(\*\s.*?\s\*\))
  | (?P<id>[A-Za-z_]\w*)
  | (?P<num>0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)
  | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<op>->|\+\+|--|&&|\|\||<<=|>>=|<<|>>|[<>=!+\-*/%&|^]=|[{}()\[\];,.?:~!<>=+\-*/%&|^])
""", re.S | re.X)


def _c_tokens(s: _Scanner, start: int, end: int) -> list:
    """C tokens of text[start:end] as (kind, text, start, end), comments included."""
    out = []
    i, t = start, s.text
    while i < end:
        if t.startswith("/*", i) and t.find("*/", i + 2) < 0:
            raise s.error(i, "unterminated /* comment")
        m = _C_TOKEN.match(t, i, end)
        if not m:
            raise s.error(i, f"unexpected character '{t[i]}'")
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), m.start(), m.end()))
        i = m.end()
    return out


def _body_end(s: _Scanner, start: int) -> int:
    depth = 0
    for kind, text, a, _b in _c_tokens_until_close(s, start):
        if kind == "op" and text == "{":
            depth += 1
        elif kind == "op" and text == "}":
            depth -= 1
            if depth == 0:
                return a
    raise s.error(start, "unterminated body: no matching '}'")


def _c_tokens_until_close(s: _Scanner, start: int):
    i, t = start, s.text
    while i < len(t):
        if t.startswith("/*", i) and t.find("*/", i + 2) < 0:
            raise s.error(i, "unterminated /* comment")
        m = _C_TOKEN.match(t, i)
        if not m:
            raise s.error(i, f"unexpected character '{t[i]}'")
        if m.lastgroup != "ws":
            yield (m.lastgroup, m.group(), m.start(), m.end())
        i = m.end()


_OPERAND_END = ("id", "num", "str")


def _scan_body(s: _Scanner, test: LitmusTest, proc: Proc) -> None:
    """Collect registers, primitives and plain accesses; plan the rewrites of the body."""
    toks = _c_tokens(s, proc.body_start + 1, proc.body_end)
    # an array parameter is the array itself: 'a[1]' reads as written
    arrays = {p for p, _ in proc.params if test.locations[p].size is not None}
    proc.array_params = arrays
    params = {p for p, _ in proc.params} - arrays
    edits = proc.edits
    # comments: blanked (a '@key' in one must not reach the model's header parser)
    code = []
    for tk in toks:
        if tk[0] == "comment":
            edits.append((tk[2], tk[3], re.sub(r"[^\n]", " ", tk[1])))
        else:
            code.append(tk)
    toks = code
    n = len(toks)
    depth = 0
    stmt_start = True
    calls: list = []  # stack per '(' : [callee or None, argument index]
    k = 0
    while k < n:
        kind, text, a, b = toks[k]
        prev = toks[k - 1] if k > 0 else None
        nxt = toks[k + 1] if k + 1 < n else None
        if kind == "op":
            if text == "{":
                depth += 1
                stmt_start = True
                k += 1
                continue
            if text == "}":
                depth -= 1
                stmt_start = True
                k += 1
                continue
            if text == ";":
                stmt_start = True
                k += 1
                continue
            stmt_start = False
            k = _scan_token(s, test, proc, toks, k, prev, calls, params, arrays)
            continue
        if kind == "id":
            if stmt_start and depth == 0 and text in TYPE_WORDS and not (nxt is not None and nxt[1] == "("):
                k = _declaration(s, proc, toks, k)
                stmt_start = True
                continue
            stmt_start = False
            if text == "return":
                raise s.error(a, "'return' is not supported in a litmus body (the final register values are "
                                 "taken at the end of the body)")
            if text == "goto":
                raise s.error(a, "'goto' is not supported in a litmus body")
            k = _scan_token(s, test, proc, toks, k, prev, calls, params, arrays)
            continue
        stmt_start = False
        k += 1


def _scan_token(s: _Scanner, test, proc: Proc, toks: list, k: int, prev, calls: list, params: set,
                arrays: set) -> int:
    """The rules a body and a declaration's initialiser share, for the operator or name at k:
    call nesting, '*x' of a parameter (the location itself) or of an array (its cell 0), calls
    rewritten, parameters taken by address, other names as registers. Returns the next k."""
    kind, text, a, b = toks[k]
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    if kind == "op":
        if text == "(":
            callee = prev[1] if prev is not None and prev[0] == "id" else None
            calls.append([callee, 0])
        elif text == ")" and calls:
            calls.pop()
        elif text == "," and calls:
            calls[-1][1] += 1
        elif text == "*" and _unary(prev) and nxt is not None and nxt[0] == "id":
            inner = calls[-1] if calls else None
            if not (inner and inner[0] in MARKED and inner[1] == 0):
                proc.plain = True
            if nxt[1] in params and not _member_next(toks, k + 1):
                proc.edits.append((a, b, " "))  # '*x' with x a parameter: the location 'x'
                return k + 2
            if nxt[1] in arrays and not _member_next(toks, k + 1):
                proc.edits.append((a, nxt[3], f"{nxt[1]}[0]"))
                return k + 2
        return k + 1
    if prev is not None and prev[0] == "op" and prev[1] in (".", "->"):
        return k + 1
    if nxt is not None and nxt[0] == "op" and nxt[1] == "(" and text not in _C_KEYWORDS:
        _check_call(s, text, a)
        if text not in proc.calls:
            proc.calls.append(text)
        return _rewrite_call(s, test, proc, toks, k)
    if text in params:
        proc.edits.append((a, b, "(&" + text + ")" if _member_next(toks, k) else "&" + text))
    else:
        _maybe_register(test, proc, text, a)
    return k + 1


_NOT_REGISTERS = frozenset({"NULL", "true", "false", "return", "void"}) | _C_KEYWORDS | TYPE_WORDS


def _maybe_register(test, proc: Proc, name: str, off: int) -> None:
    """herd7's C: a name that is neither declared nor a parameter is an int register."""
    if name in proc.registers or name in _NOT_REGISTERS or (test is not None and name in test.locations):
        return
    from rmapcheck.frontend.prelude import CONSTANTS

    if name not in CONSTANTS:
        proc.implicit.setdefault(name, off)


def _declare_implicit(proc: Proc) -> None:
    for name, off in proc.implicit.items():
        if name not in proc.registers:
            proc.registers[name] = Register(name, "int", 0, off, None)
            proc.edits.append((proc.body_start + 1, proc.body_start + 1, f" int {name};"))


def _unary(prev) -> bool:
    if prev is None:
        return True
    if prev[0] in _OPERAND_END:
        return prev[1] in ("return", "sizeof") if prev[0] == "id" else False
    return prev[1] not in (")", "]", "++", "--")


def _member_next(toks, k: int) -> bool:
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    return nxt is not None and nxt[0] == "op" and nxt[1] in ("[", "->", ".", "(", "++", "--")


def _check_call(s: _Scanner, name: str, off: int) -> None:
    why = LITMUS_UNSUPPORTED.get(name)
    if why is not None:
        raise s.error(off, f"unsupported primitive '{name}': {why}")
    msg = unsupported_message(name)
    if msg is not None:
        raise s.error(off, msg)
    if name not in SUPPORTED:
        raise s.error(off, f"unknown primitive '{name}' (see docs/language.md for the kernel primitives)"
                           + did_you_mean(name, SUPPORTED))


def _rewrite_call(s: _Scanner, test: LitmusTest, proc: Proc, toks: list, k: int) -> int:
    """Rewrite the primitives the model language spells differently; return the next index."""
    kind, name, a, b = toks[k]
    if name in ("rcu_read_lock", "rcu_read_unlock", "synchronize_rcu", "synchronize_rcu_expedited"):
        close = toks[k + 2] if k + 2 < len(toks) else None
        if close is None or close[1] != ")":
            raise s.error(a, f"{name}() takes no arguments")
        rcu = "\0RCU\0"  # the srcu_struct's name, known once every location is
        new = {
            "rcu_read_lock": f"srcu_read_lock(&{rcu})",
            "rcu_read_unlock": f"srcu_read_unlock(&{rcu}, 0)",
            "synchronize_rcu": f"synchronize_srcu(&{rcu})",
            "synchronize_rcu_expedited": f"synchronize_srcu(&{rcu})",
        }[name]
        proc.uses_rcu = True
        proc.edits.append((a, close[3], new))
        return k + 3
    if name == "spin_is_locked":
        # spin_is_locked(l) -> (READ_ONCE((l)->__owner) != 0); the argument is rewritten as usual
        depth, j = 0, k + 1
        while j < len(toks):
            if toks[j][1] == "(":
                depth += 1
            elif toks[j][1] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(toks):
            raise s.error(a, "unterminated call of spin_is_locked()")
        proc.edits.append((a, toks[k + 1][3], "(READ_ONCE(("))
        proc.edits.append((toks[j][2], toks[j][3], ")->__owner) != 0)"))
        return k + 1
    return k + 1


def _declaration(s: _Scanner, proc: Proc, toks: list, k: int) -> int:
    """A declaration at the top of a body: its declarators are the process's registers."""
    words = []
    n = len(toks)
    while k < n and toks[k][0] == "id" and toks[k][1] in TYPE_WORDS:
        if toks[k][1] == "struct":
            if k + 1 >= n or toks[k + 1][0] != "id":
                raise s.error(toks[k][2], "expected a struct name")
            words.append(("struct " + toks[k + 1][1], toks[k][2]))
            k += 2
            continue
        words.append((toks[k][1], toks[k][2]))
        k += 1
    base_words = [w for w, _ in words if w not in ("const", "volatile")]
    if not base_words:
        raise s.error(words[0][1], "expected a type")
    base = " ".join(base_words)
    if not all(w in INT_WORDS for w in base.split()):
        raise s.error(words[0][1], f"unsupported register type '{base}' (registers are integers or pointers)")
    declared: list = []
    while True:
        ptr = 0
        while k < n and toks[k][1] == "*":
            ptr += 1
            k += 1
        if k >= n or toks[k][0] != "id":
            tok = toks[k] if k < n else ("eof", "", proc.body_end, proc.body_end)
            raise s.error(tok[2], f"expected a register name, found {_describe(tok)}")
        name, off = toks[k][1], toks[k][2]
        if name in proc.registers:
            raise s.error(off, f"register '{name}' is declared twice in {proc.name}")
        if any(p == name for p, _ in proc.params):
            raise s.error(off, f"register '{name}' has the name of a parameter of {proc.name}")
        proc.registers[name] = Register(name, base, ptr, off)
        declared.append(proc.registers[name])
        k += 1
        if k < n and toks[k][1] == "[":
            raise s.error(toks[k][2], "arrays are not supported in litmus tests")
        if k < n and toks[k][1] == "=":
            # the initialiser: scanned by the main loop's rules (calls, parameters)
            depth, j = 0, k + 1
            while j < n:
                t = toks[j][1]
                if t in ("(", "[", "{"):
                    depth += 1
                elif t in (")", "]", "}"):
                    depth -= 1
                elif depth == 0 and t in (",", ";"):
                    break
                j += 1
            _scan_expr(s, proc, toks, k + 1, j)
            k = j
        if k < n and toks[k][1] == ",":
            k += 1
            continue
        if k < n and toks[k][1] == ";":
            for r in declared:
                r.decl_end = toks[k][3]
            return k + 1
        tok = toks[k] if k < n else ("eof", "", proc.body_end, proc.body_end)
        raise s.error(tok[2], f"expected ';' after the declaration of '{name}', found {_describe(tok)}")


def _scan_expr(s: _Scanner, proc: Proc, toks: list, start: int, end: int) -> None:
    """Apply the body's token rules to an initialiser (a sub-range of tokens)."""
    fake = toks[start:end]
    arrays = proc.array_params or set()
    params = {p for p, _ in proc.params} - arrays
    calls: list = []
    k = 0
    while k < len(fake):
        prev = fake[k - 1] if k > 0 else (toks[start - 1] if start > 0 else None)
        if fake[k][0] in ("op", "id"):
            k = _scan_token(s, None, proc, fake, k, prev, calls, params, arrays)
        else:
            k += 1


# -- the final clause -----------------------------------------------------------------------------

def _parse_final(s: _Scanner, test: LitmusTest) -> None:
    seen_quant = False
    while True:
        tok = s.peek()
        if tok[0] == "eof":
            break
        if seen_quant:
            raise s.error(tok[2], f"unexpected {_describe(tok)} after the final condition")
        if tok[0] == "id" and tok[1] == "locations":
            s.next()
            s.expect("[", " after 'locations'")
            while not s.accept("]"):
                if s.accept(";"):
                    continue
                key, off = _parse_key(s, test)
                if key not in test.shown:
                    test.shown.append(key)
            continue
        if tok[0] == "id" and tok[1] == "filter":
            s.next()
            if test.filter is not None:
                raise s.error(tok[2], "a litmus test has at most one filter clause")
            test.filter = _parse_prop(s, test)
            continue
        if tok[0] == "id" and tok[1] in ("exists", "forall"):
            s.next()
            test.quantifier = tok[1]
        elif tok[0] == "punct" and tok[1] == "~":
            s.next()
            s.expect("exists", " after '~'")
            test.quantifier = "~exists"
        else:
            if tok[0] == "id" and re.fullmatch(r"P\d+", tok[1]):
                raise s.error(tok[2], f"expected P{len(test.procs)} here: processes are numbered P0, P1, ... in order")
            raise s.error(tok[2], f"expected the final condition ('exists (...)', '~exists (...)' or "
                                  f"'forall (...)'), 'locations [...]' or 'filter (...)', found {_describe(tok)}")
        test.cond = _parse_prop(s, test)
        seen_quant = True
    if not seen_quant:
        raise s.error(len(s.text), "the test has no final condition: add 'exists (...)'")


def _parse_prop(s: _Scanner, test: LitmusTest):
    p = _parse_or(s, test)
    if s.accept("=>") or s.accept("->"):
        return ("imp", p, _parse_prop(s, test))
    return p


def _parse_or(s, test):
    p = _parse_and(s, test)
    while s.accept("\\/"):
        p = ("or", p, _parse_and(s, test))
    return p


def _parse_and(s, test):
    p = _parse_unary(s, test)
    while s.accept("/\\"):
        p = ("and", p, _parse_unary(s, test))
    return p


def _parse_unary(s, test):
    tok = s.peek()
    if tok[0] == "punct" and tok[1] == "~":
        s.next()
        return ("not", _parse_unary(s, test))
    if tok[0] == "punct" and tok[1] == "(":
        s.next()
        p = _parse_prop(s, test)
        s.expect(")", " to close the condition")
        return p
    if tok[0] == "id" and tok[1] in ("true", "false") and tok[1] not in test.locations:
        s.next()
        return ("const", tok[1] == "true")
    key, off = _parse_key(s, test)
    op = s.peek()
    if op[0] == "punct" and op[1] in ("=", "=="):
        s.next()
        kind = "="
    elif op[0] == "punct" and op[1] == "!=":
        s.next()
        kind = "!="
    else:
        raise s.error(op[2], f"expected '=' after {key_text(key)}, found {_describe(op)}")
    v, voff = _parse_value(s)
    if isinstance(v, tuple):
        if v[1] not in test.locations:
            raise s.error(v[2], f"unknown location '{v[1]}' (declare it in the initial state or as a parameter)")
        v = ("addr", v[1])
    return ("atom", key, kind, v, off)


def _parse_key(s: _Scanner, test: LitmusTest):
    tok = s.next()
    proc = None
    if tok[0] == "num":
        proc = int(tok[1], 0)
    elif tok[0] == "id" and re.fullmatch(r"P\d+", tok[1]) and s.peek()[1] == ":":
        proc = int(tok[1][1:])
    if proc is not None:
        s.expect(":", " between the process number and the register")
        r = s.next()
        if r[0] != "id":
            raise s.error(r[2], f"expected a register name after '{proc}:', found {_describe(r)}")
        if proc >= len(test.procs):
            raise s.error(tok[2], f"there is no process P{proc} (the test has P0..P{len(test.procs) - 1})")
        if r[1] not in test.procs[proc].registers:
            raise s.error(r[2], f"P{proc} has no register '{r[1]}' (registers are the variables declared "
                                f"at the top of P{proc}'s body)")
        return ("reg", proc, r[1]), tok[2]
    if tok[0] == "punct" and tok[1] == "*":
        tok = s.next()
    if tok[0] != "id":
        raise s.error(tok[2], f"expected a location or 'P:register', found {_describe(tok)}")
    if tok[1] not in test.locations:
        raise s.error(tok[2], f"unknown location '{tok[1]}' (declare it in the initial state or as a parameter)")
    loc = test.locations[tok[1]]
    if loc.size is not None:
        s.expect("[", f": '{tok[1]}' is an array, name an element ({tok[1]}[0])")
        n = s.next()
        if n[0] != "num" or not 0 <= int(n[1], 0) < loc.size:
            raise s.error(n[2], f"expected an index of '{tok[1]}' (0 to {loc.size - 1}), found {_describe(n)}")
        s.expect("]", " after the index")
        return ("loc", f"{tok[1]}[{int(n[1], 0)}]"), tok[2]
    if loc.base in ("spinlock_t", "struct srcu_struct"):
        raise s.error(tok[2], f"'{tok[1]}' is a {loc.base}: its value cannot be tested")
    return ("loc", tok[1]), tok[2]


def _find_result(s: _Scanner, test: LitmusTest) -> None:
    sources = [(off, text) for off, text in s.comments]
    if test.doc:
        sources.append((0, test.doc))
    for off, text in sorted(sources):
        m = _RESULT.search(text)
        if not m:
            continue
        word = m.group(1)
        flags = m.group(2).split()
        where = off + 2 + m.start(1)
        if word not in RESULT_WORDS:
            raise s.error(where, f"unknown result '{word}' (expected {', '.join(RESULT_WORDS)}, "
                                 "optionally followed by DATARACE)")
        for f in flags:
            if f != "DATARACE":
                raise s.error(where, f"unknown result flag '{f}' (only DATARACE)")
        test.expected = " ".join([word] + flags)
        test.expected_loc = _loc(s.path, s.starts, where)
        return


# -- translation to the model language ---------------------------------------------------------

class _Out:
    """Generated text, with the litmus offset every generated character comes from."""

    def __init__(self, text: str):
        self.src = text
        self.chars: list = []
        self.orig: list = []

    def copy(self, a: int, b: int) -> None:
        self.chars.extend(self.src[a:b])
        self.orig.extend(range(a, b))

    def blank(self, a: int, b: int) -> None:
        for i in range(a, b):
            self.chars.append("\n" if self.src[i] == "\n" else " ")
            self.orig.append(i)

    def insert(self, text: str, at: int) -> None:
        self.chars.extend(text)
        self.orig.extend([at] * len(text))


def _fresh(name: str, taken: set) -> str:
    while name in taken:
        name = "_" + name
    taken.add(name)
    return name


def _translate(test: LitmusTest) -> None:
    # herd7: a location named only as an initial value ('p=y;') is an int location
    implicit = {}
    for loc in test.locations.values():
        if isinstance(loc.init, tuple) and loc.init[1] not in test.locations and loc.init[1] not in implicit:
            implicit[loc.init[1]] = Location(loc.init[1], "int", 0, None, loc.init[2], False)
    if implicit:
        test.locations = {**implicit, **test.locations}
    for loc in test.locations.values():
        if isinstance(loc.init, tuple):
            if loc.ptr == 0:
                if loc.typed:
                    _check_init(_Scanner(test.path, test.text), test, loc)
                target = test.locations[loc.init[1]]
                loc.base, loc.ptr = target.base, target.ptr + 1
        if loc.base in ("spinlock_t", "struct srcu_struct") and (loc.ptr or loc.init is not None):
            s = _Scanner(test.path, test.text)
            raise s.error(loc.off, f"'{loc.name}' is a {loc.base}: it cannot have an initial value")
    taken = set(test.locations)
    for p in test.procs:
        taken |= set(p.registers)
    keys = test.keys()
    for key in keys:
        if key[0] == "reg":
            test.reg_globals[(key[1], key[2])] = _fresh(f"P{key[1]}_{key[2]}", taken)
    if any(p.uses_rcu for p in test.procs):
        test.rcu_global = _fresh("rcu", taken)
    out = _Out(test.text)
    c_off = test.c_span[0]
    out.blank(0, c_off)
    for loc in test.locations.values():
        decl = f"{loc.ctype()} {loc.name}" if not loc.ptr else f"{loc.base} {'*' * loc.ptr}{loc.name}"
        if loc.size is not None:
            decl += f"[{loc.size}]" + (f" = {{ {', '.join(map(str, loc.init))} }}" if loc.init else "")
        elif isinstance(loc.init, tuple):
            decl += f" = &{loc.init[1]}"
        elif loc.init is not None:
            decl += f" = {{ {loc.init} }}" if loc.base in ATOMIC_TYPES and not loc.ptr else f" = {loc.init}"
        out.insert(decl + "; ", loc.off)
    for (pi, r), g in test.reg_globals.items():
        reg = test.procs[pi].registers[r]
        out.insert(f"{reg.base} {'*' * reg.ptr}{g}; ", reg.off)
    if test.rcu_global:
        out.insert(f"struct srcu_struct {test.rcu_global}; ", c_off)
    pos = c_off
    for proc in test.procs:
        out.blank(pos, proc.off)
        out.insert(f"void {proc.name}(void)", proc.off)
        out.blank(proc.off, proc.body_start)
        edits = sorted(proc.edits)
        cur = proc.body_start
        for a, b, new in edits:
            if a < cur:
                continue  # overlapping rewrite (cannot happen with the rules above)
            out.copy(cur, a)
            out.insert(new.replace("\0RCU\0", test.rcu_global or "rcu"), a)
            cur = b
        out.copy(cur, proc.body_end)
        copies = [f"{g} = {r};" for (pi, r), g in test.reg_globals.items() if pi == proc.index]
        if copies:
            out.insert(" " + " ".join(copies) + " ", proc.body_end)
        out.copy(proc.body_end, proc.body_end + 1)
        pos = proc.body_end + 1
    out.blank(pos, len(test.text))
    header = ["", "/*", f" * @title {test.name}"]
    header += [f" * @thread {p.name}" for p in test.procs]
    header += [" */", ""]
    out.insert("\n".join(header), max(len(test.text) - 1, 0))
    test.model_text = "".join(out.chars)
    test._map = out.orig


def map_error(test: LitmusTest, e: ModelError) -> ModelError:
    """An error in the generated model, at the litmus file's own position."""
    if e.loc is None or e.loc.file != test.path or not test._map:
        return e
    gen_starts = _line_starts(test.model_text)
    line = min(max(e.loc.line, 1), len(gen_starts))
    goff = gen_starts[line - 1] + max(e.loc.col - 1, 0)
    goff = min(goff, len(test._map) - 1)
    loc = test.loc(test._map[goff]) if goff >= 0 else SourceLoc(test.path, 1, 1)
    return ModelError(loc, e.message, test.source_line(loc.line))


def read_litmus(path: str) -> str:
    return read_source_text(path, "litmus test")


def load_litmus(path: str, text: str | None = None) -> tuple[LitmusTest, ir.Program]:
    """Parse a litmus test and load its translation as an rmapcheck program."""
    from rmapcheck.frontend.load import load_model_text

    if text is None:
        text = read_litmus(path)
    test = parse_litmus(path, text)
    try:
        program = load_model_text(path, test.model_text, {})
    except ModelError as e:
        raise map_error(test, e) from None
    # traces quote the litmus file's own lines (a body line keeps its number in the translation)
    orig = text.split("\n")
    program.source_lines = orig + program.source_lines[len(orig):]
    for th in program.threads:
        for instr in th.code:
            if 0 < instr.loc.line <= len(orig) and orig[instr.loc.line - 1].strip():
                instr.text = orig[instr.loc.line - 1].strip()
    return test, program


__all__ = ["LitmusTest", "Location", "Proc", "Register", "parse_litmus", "load_litmus", "eval_prop",
           "prop_text", "key_text", "map_error", "read_litmus", "RESULT_WORDS"]
