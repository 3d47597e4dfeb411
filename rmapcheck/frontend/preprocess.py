"""A small C preprocessor: comments out, `#define` constants, `#if`, `#include`, `-D` overrides.

It never shifts a line within a file: an included file's text is spliced in behind a
line marker (`# 1 "file.h"`), so every position pycparser reports is the file and line
the code came from. Constants are not expanded textually: the lowering resolves their
names, which keeps columns exact and forbids macros that are not integer constants.
"""

from __future__ import annotations

import re
import os
from dataclasses import dataclass, field

from rmapcheck.errors import ModelError, SourceLoc, UsageError

_DIRECTIVE = re.compile(r"^\s*#\s*(\w+)?(.*)$")

# Kernel annotations that mean nothing to a model (sparse address spaces, section and
# inlining attributes): blanked out, column for column, so kernel declarations read as written.
ANNOTATIONS = (
    "__rcu", "__user", "__iomem", "__percpu", "__force", "__must_check", "__always_inline",
    "noinline", "__init", "__exit", "__read_mostly", "__cold", "__weak", "__maybe_unused",
    "notrace", "__sched", "__private",
)
_ANNOTATION = re.compile(r"\b(?:" + "|".join(ANNOTATIONS) + r")\b")
_IDENT = re.compile(r"[A-Za-z_]\w*")


MAX_INCLUDE_DEPTH = 32


@dataclass
class Preprocessed:
    text: str  # for the parser: every file's lines, directives blanked, behind line markers
    defines: dict = field(default_factory=dict)  # name -> int
    define_locs: dict = field(default_factory=dict)  # name -> SourceLoc
    comments: list = field(default_factory=list)  # (line, text) of each comment line of the model
    files: dict = field(default_factory=dict)  # path -> (its raw lines, its blanked lines)
    included_from: dict = field(default_factory=dict)  # path -> [SourceLoc of each #include, innermost first]
    included_comments: dict = field(default_factory=dict)  # included path -> its (line, text) comment lines


def model_include_dirs() -> list[str]:
    """The bundled models/ directory, where `#include` looks after the including file's own."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "models")
    return [here] if os.path.isdir(here) else []


def _display(path: str) -> str:
    """A path as it is printed: relative to the working directory when it lies below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def resolve_include(name: str, including: str, include_dirs: list[str]) -> str | None:
    """`#include "name"`: relative to the including file, then models/, then each -I DIR."""
    for d in [os.path.dirname(including) or "."] + model_include_dirs() + list(include_dirs):
        cand = os.path.join(d, name)
        if os.path.isfile(cand):
            return os.path.normpath(cand) if not os.path.isabs(name) else cand
    return None


def strip_comments(path: str, text: str) -> tuple[str, list]:
    """Blank out comments (keeping newlines) and return their lines for metadata."""
    out: list[str] = []
    comments: list[tuple[int, str]] = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            if j < 0:
                bol = text.rfind("\n", 0, i) + 1
                eol = text.find("\n", i)
                src = text[bol : n if eol < 0 else eol]
                raise ModelError(SourceLoc(path, line, i - bol + 1), "unterminated /* comment", src)
            body = text[i + 2 : j]
            for k, piece in enumerate(body.split("\n")):
                comments.append((line + k, piece))
            for ch in text[i : j + 2]:
                out.append("\n" if ch == "\n" else " ")
            line += body.count("\n")
            i = j + 2
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            comments.append((line, text[i + 2 : j]))
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                if j < n and text[j] == "\n":
                    break
                j += 1
            chunk = text[i : j + 1]
            out.append(chunk)
            line += chunk.count("\n")
            i = j + 1
        else:
            if c == "\n":
                line += 1
            out.append(c)
            i += 1
    return "".join(out), comments


class _CondStack:
    def __init__(self) -> None:
        self.frames: list[list[bool]] = []  # [active, taken_any, in_else]

    @property
    def active(self) -> bool:
        return all(f[0] for f in self.frames)


class _State:
    """What every file of one model shares: its #defines, its files, the #pragma once set."""

    def __init__(self, overrides, const_eval, include_dirs) -> None:
        self.overrides = overrides
        self.const_eval = const_eval
        self.include_dirs = list(include_dirs)
        self.defines: dict[str, int] = {}
        self.locs: dict[str, SourceLoc] = {}
        self.mentioned: set[str] = set()
        self.files: dict[str, tuple[list, list]] = {}
        self.included_from: dict[str, list] = {}
        self.once: set[str] = set()
        self.comments: dict[str, list] = {}  # path -> its comment lines
        self.out: list[str] = []  # the parser's text, with line markers


def preprocess(
    path: str, text: str, overrides: dict[str, int], const_eval, include_dirs: list[str] = ()
) -> Preprocessed:
    """Run the directives. ``const_eval(expr_text, loc, defines)`` evaluates #if and #define values."""
    st = _State(overrides, const_eval, include_dirs)
    comments = _run_file(st, path, text, [])
    included = {f: c for f, c in st.comments.items() if f != path}
    for name in overrides:
        if name not in st.locs and name not in st.mentioned:
            known = ", ".join(sorted(n for n, l in st.locs.items() if l.file == path)) or "none"
            raise UsageError(f"-D {name}: {path} has no parameter {name} (its #defines: {known})")
    return Preprocessed("\n".join(st.out), st.defines, st.locs, comments, st.files, st.included_from, included)


def _read_included(name: str, loc: SourceLoc, src: str) -> str:
    try:
        with open(name, "rb") as f:
            return f.read().decode("utf-8")
    except OSError as e:
        raise ModelError(loc, f"cannot read {name}: {e.strerror}", src) from None
    except UnicodeDecodeError:
        raise ModelError(loc, f"{name} is not valid UTF-8 text", src) from None


def _run_file(st: _State, path: str, text: str, chain: list) -> list:
    """Preprocess one file into st.out (behind a line marker); return its comment lines."""
    try:
        stripped, comments = strip_comments(path, text)
    except ModelError as e:
        e.included_from = chain
        raise
    st.comments[path] = comments
    lines = stripped.split("\n")
    raw_lines = text.split("\n")
    code: list[str] = []
    st.files[path] = (raw_lines, code)
    if chain:
        st.included_from.setdefault(path, chain)
    defines, locs, overrides, const_eval = st.defines, st.locs, st.overrides, st.const_eval
    mentioned = st.mentioned
    conds = _CondStack()
    cond_locs: list[SourceLoc] = []
    st.out.append(f'# 1 "{path}"')
    for idx, ln in enumerate(lines):
        lineno = idx + 1
        m = _DIRECTIVE.match(ln)
        if not m:
            code.append(_ANNOTATION.sub(lambda a: " " * len(a.group(0)), ln) if conds.active else "")
            st.out.append(code[-1])
            continue
        code.append("")
        st.out.append("")
        name, rest = m.group(1) or "", m.group(2).strip()
        col = ln.index("#") + 1
        loc = SourceLoc(path, lineno, col)
        src = raw_lines[idx] if idx < len(raw_lines) else ln

        def err(msg: str, c: int = col) -> ModelError:
            e = ModelError(SourceLoc(path, lineno, c), msg, src)
            e.included_from = chain
            return e

        try:
            if name in ("ifdef", "ifndef"):
                ident = rest.split()[0] if rest.split() else ""
                if not _IDENT.fullmatch(ident):
                    raise err(f"#{name} needs a name")
                mentioned.add(ident)
                value = (ident in defines or ident in overrides) == (name == "ifdef")
                conds.frames.append([value, value, False])
                cond_locs.append(loc)
            elif name == "if":
                mentioned.update(_IDENT.findall(rest))
                value = bool(_eval_if(rest, loc, src, defines, overrides, const_eval)) if conds.active else False
                conds.frames.append([value, value, False])
                cond_locs.append(loc)
            elif name == "elif":
                if not conds.frames:
                    raise err("#elif without #if")
                if conds.frames[-1][2]:
                    raise err("#elif after #else")
                f = conds.frames[-1]
                mentioned.update(_IDENT.findall(rest))
                if f[1]:
                    f[0] = False
                else:
                    outer = all(x[0] for x in conds.frames[:-1])
                    f[0] = bool(_eval_if(rest, loc, src, defines, overrides, const_eval)) if outer else False
                    f[1] = f[0]
            elif name == "else":
                if not conds.frames:
                    raise err("#else without #if")
                if conds.frames[-1][2]:
                    raise err("a second #else for the same #if")
                f = conds.frames[-1]
                f[0], f[2] = not f[1], True
            elif name == "endif":
                if not conds.frames:
                    raise err("#endif without #if")
                conds.frames.pop()
                cond_locs.pop()
            elif not conds.active:
                continue
            elif name == "define":
                m2 = re.match(r"([A-Za-z_]\w*)(\()?\s*(.*)$", rest)
                if not m2:
                    raise err("#define needs a name")
                ident = m2.group(1)
                if m2.group(2):
                    raise err(
                        f"function-like macro '{ident}' is not supported: write a function instead",
                        ln.index(ident) + 1,
                    )
                body = m2.group(3).strip()
                if ident in overrides:
                    defines[ident] = overrides[ident]
                else:
                    vcol = ln.index(body) + 1 if body else col
                    defines[ident] = (
                        1
                        if not body
                        else const_eval(body, SourceLoc(path, lineno, vcol), src, defines, overrides)
                    )
                locs[ident] = loc
            elif name == "undef":
                defines.pop(rest.strip(), None)
            elif name == "include":
                _include(st, rest, loc, src, chain, err)
                st.out.append(f'# {lineno + 1} "{path}"')
            elif name == "pragma" and rest.split() == ["once"]:
                st.once.add(os.path.abspath(path))
            elif name in ("pragma", "line", "error", "warning") or (name == "" and not rest):
                if name == "error":
                    raise err(f"#error {rest}")
            else:
                what = name or (rest.split() or [""])[0]
                raise err(f"unknown preprocessor directive '#{what}'")
        except ModelError as e:
            if getattr(e, "included_from", None) is None:
                e.included_from = chain
            raise
    if conds.frames:
        loc = cond_locs[-1]
        e = ModelError(loc, "#if without #endif" + (" in this file" if chain else ""), raw_lines[loc.line - 1])
        e.included_from = chain
        raise e
    return comments


def _include(st: _State, rest: str, loc: SourceLoc, src: str, chain: list, err) -> None:
    m = re.fullmatch(r'"([^"]+)"|<([^>]+)>', rest)
    if not m:
        raise err('#include takes a file name in quotes: #include "kvm.h"')
    name = m.group(1) or m.group(2)
    found = resolve_include(name, loc.file, st.include_dirs)
    if found is None:
        where = ", ".join([os.path.dirname(loc.file) or "."] + ["models/"] + [f"-I {d}" for d in st.include_dirs])
        raise err(f"#include {rest}: no such file (looked in {where})", src.find(name) + 1 if name in src else loc.col)
    if os.path.abspath(found) in st.once:
        return
    if len(chain) >= MAX_INCLUDE_DEPTH:
        raise err(f"#include nested more than {MAX_INCLUDE_DEPTH} deep (does a file include itself without a guard?)")
    shown = _display(found)
    _run_file(st, shown, _read_included(shown, loc, src), [loc] + chain)


def _eval_if(expr: str, loc: SourceLoc, src: str, defines, overrides, const_eval) -> int:
    expr = re.sub(
        r"defined\s*\(?\s*([A-Za-z_]\w*)\s*\)?",
        lambda m: "1" if (m.group(1) in defines or m.group(1) in overrides) else "0",
        expr,
    )
    # An unknown name in #if is 0, as in C.
    env = dict(defines)
    for ident in _IDENT.findall(expr):
        env.setdefault(ident, overrides.get(ident, 0))
    return const_eval(expr, loc, src, env, {})
