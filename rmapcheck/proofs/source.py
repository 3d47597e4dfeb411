"""A proof's text with `#include`, `#define` and `#if`, so that a design and its variant share one
proof (the model front end shares code through headers the same way).

A directive is a line whose first non-blank character is `#` followed at once by one of
DIRECTIVES; `# text` (with a space) stays a comment, as in every proof so far. Included text is
spliced in place of the `#include` line; every spliced line remembers the file and line it came
from, so an error names that position (with "In file included from", as a C compiler does) and
an item reports `file.proofh:N` instead of a line of the including proof. Directives and the
lines of an inactive `#if` branch are left out (a comment right above an `#if` still documents
the item inside it); a proof without directives is its own text line for line.

    #define NAME 1                  an integer (no text macros)
    #if NAME / #ifdef NAME / #ifndef NAME / #else / #endif
    #include "file.proofh"          next to the including file, then proofs/include/
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from rmapcheck.errors import ModelError, SourceLoc, pos_text, where_text

DIRECTIVES = ("include", "define", "if", "ifdef", "ifndef", "else", "endif")
_DIRECTIVE = re.compile(r"^(\s*)#(" + "|".join(DIRECTIVES) + r")\b(.*)$")
MAX_DEPTH = 16


@dataclass
class ProofSource:
    """The spliced lines of a proof and where each came from."""

    path: str  # the proof file itself
    lines: list = field(default_factory=list)  # spliced text, one entry per line
    origin: list = field(default_factory=list)  # (file, line in it) per spliced line
    included_from: dict = field(default_factory=dict)  # file -> [SourceLoc of each #include, innermost first]
    texts: dict = field(default_factory=dict)  # file -> its raw lines

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def file_line(self, line: int) -> tuple[str, int]:
        """The file and line a spliced line came from."""
        if 0 < line <= len(self.origin):
            return self.origin[line - 1]
        return self.path, line

    def where(self, line: int) -> str:
        """'line 12' in the proof itself, 'name.proofh:12' in an included file."""
        f, n = self.file_line(line)
        return where_text(n, "" if f == self.path else f)

    def pos(self, line: int) -> str:
        """The line for a compact column: '12', or 'name.proofh:12'."""
        f, n = self.file_line(line)
        return pos_text(n, "" if f == self.path else f)

    def error(self, line: int, col: int, msg: str, cls=ModelError) -> ModelError:
        f, n = self.file_line(line)
        raw = self.texts.get(f, self.lines if f == self.path else [])
        src = raw[n - 1] if 0 < n <= len(raw) else None
        err = cls(SourceLoc(f, n, col, f != self.path), msg, src)
        if f != self.path:
            err.included_from = self.included_from.get(f)
        return err


def read_source(path: str, text: str) -> ProofSource:
    """Splice a proof's #includes and resolve its #if branches."""
    src = ProofSource(path)
    _splice(src, path, text, {}, [], [])
    return src


def _splice(src: ProofSource, path: str, text: str, defines: dict, conds: list, chain: list) -> None:
    raw = text.split("\n")
    src.texts[path] = raw
    depth = len(conds)
    opened: list = []  # the position of each open #if, for "#if without #endif"
    for n, line in enumerate(raw, 1):
        m = _DIRECTIVE.match(line)
        active = all(conds)
        if m is None:
            if active:
                src.lines.append(line)
                src.origin.append((path, n))
            continue
        col = len(m.group(1)) + 1
        kind, rest = m.group(2), m.group(3).strip()

        def err(msg: str) -> ModelError:
            e = ModelError(SourceLoc(path, n, col, bool(chain)), msg, line)
            e.included_from = [c[1] for c in reversed(chain)] or None
            return e

        if kind == "endif":
            if len(conds) == depth:
                raise err("#endif without #if")
            conds.pop()
            opened.pop()
        elif kind == "else":
            if len(conds) == depth:
                raise err("#else without #if")
            conds[-1] = not conds[-1]
        elif kind in ("if", "ifdef", "ifndef"):
            conds.append(_condition(kind, rest, defines, err))
            opened.append(SourceLoc(path, n, col, bool(chain)))
        elif not active:
            continue
        elif kind == "define":
            dm = re.fullmatch(r"([A-Za-z_]\w*)\s+(-?\d+)", rest)
            if dm is None:
                raise err("write #define NAME N (an integer; proofs have no text macros)")
            defines[dm.group(1)] = int(dm.group(2))
        else:
            _include(src, path, n, col, rest, defines, chain, err)
    if opened:
        loc = opened[-1]
        raise ModelError(loc, "#if without #endif", raw[loc.line - 1])


def _condition(kind: str, rest: str, defines: dict, err) -> bool:
    if kind in ("ifdef", "ifndef"):
        if not re.fullmatch(r"[A-Za-z_]\w*", rest):
            raise err(f"write #{kind} NAME")
        return (rest in defines) == (kind == "ifdef")
    neg = rest.startswith("!")
    name = rest[1:].strip() if neg else rest
    if re.fullmatch(r"-?\d+", name):
        v = int(name)
    elif re.fullmatch(r"[A-Za-z_]\w*", name):
        v = defines.get(name, 0)
    else:
        raise err("write #if NAME, #if !NAME or #if N (proofs have no expressions in #if)")
    return (v == 0) if neg else (v != 0)


def _include(src: ProofSource, path: str, n: int, col: int, rest: str, defines: dict, chain: list, err) -> None:
    m = re.fullmatch(r'"([^"]+)"', rest)
    if m is None:
        raise err('write #include "file.proofh"')
    here = os.path.dirname(path) or "."
    cands = [os.path.join(here, m.group(1)), os.path.join(here, "include", m.group(1))]
    found = next((c for c in cands if os.path.isfile(c)), None)
    if found is None:
        raise err(f'#include "{m.group(1)}": no such file next to {path} or in its include/')
    found = os.path.relpath(found)
    if found in [c[0] for c in chain] + [path] or len(chain) >= MAX_DEPTH:
        raise err(f'#include "{m.group(1)}" includes itself')
    try:
        with open(found, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise err(f'#include "{m.group(1)}": {getattr(e, "strerror", None) or "not UTF-8 text"}') from None
    here_loc = SourceLoc(path, n, col, bool(chain))
    src.included_from.setdefault(found, [here_loc] + [c[1] for c in reversed(chain)])
    _splice(src, found, text, defines, [], chain + [(path, here_loc)])
