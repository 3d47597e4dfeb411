"""Tokens of the proof language (and of the C-like abstraction expressions inside it).

Every token keeps its line and column, so that every error in a proof file is reported as
``file:line:col: error: ...``. Comments run from ``#`` to the end of the line; they are kept
(with their line) because a comment documents the item below it or on its line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rmapcheck.errors import ModelError

# longest first: the lexer tries them in this order
PUNCT = [
    "<->", ":=", "->", "!=", "==", "<=", ">=", "&&", "||", "..",
    "(", ")", "{", "}", "[", "]", ",", ":", ".", "=", "&", "|", "~", "!", "<", ">", "?", "+", "-", "*",
    "/", "%", ";", "^",
]


@dataclass(frozen=True)
class Tok:
    kind: str  # "id", "num", "str", "op", "eof"
    text: str
    line: int
    col: int


class ProofError(ModelError):
    """A problem in a proof file, tied to a position (exit 2, rendered with a caret)."""


def error_at(source, line: int, col: int, msg: str) -> ProofError:
    """An error at a line of the spliced proof text (source: proofs.source.ProofSource), reported
    at the file and line it came from."""
    return source.error(line, col, msg, ProofError)


def tokenize(source) -> tuple[list[Tok], dict[int, str]]:
    """Return the tokens and the comments (line -> text without '#') of a ProofSource."""
    lines = source.lines
    toks: list[Tok] = []
    comments: dict[int, str] = {}
    for ln, line in enumerate(lines, 1):
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if c in " \t\r\f\v":
                i += 1
                continue
            if c == "#":
                comments[ln] = line[i + 1:].strip()
                break
            col = i + 1
            if c.isalpha() or c == "_":
                j = i + 1
                while j < n and (line[j].isalnum() or line[j] == "_"):
                    j += 1
                toks.append(Tok("id", line[i:j], ln, col))
                i = j
                continue
            if c.isdigit():
                j = i + 1
                if c == "0" and j < n and line[j] in "xX":
                    j += 1
                    while j < n and line[j] in "0123456789abcdefABCDEF":
                        j += 1
                else:
                    while j < n and line[j].isdigit():
                        j += 1
                if j < n and (line[j].isalpha() or line[j] == "_"):
                    raise error_at(source, ln, col, f"bad number '{line[i:j + 1]}'")
                toks.append(Tok("num", line[i:j], ln, col))
                i = j
                continue
            if c == '"':
                j = i + 1
                buf = []
                while j < n and line[j] != '"':
                    if line[j] == "\\" and j + 1 < n:
                        buf.append({"t": "\t", "n": "\n"}.get(line[j + 1], line[j + 1]))
                        j += 2
                        continue
                    buf.append(line[j])
                    j += 1
                if j >= n:
                    raise error_at(source, ln, col, "unterminated string (strings end on their line)")
                toks.append(Tok("str", "".join(buf), ln, col))
                i = j + 1
                continue
            for p in PUNCT:
                if line.startswith(p, i):
                    toks.append(Tok("op", p, ln, col))
                    i += len(p)
                    break
            else:
                raise error_at(source, ln, col, f"unexpected character '{c}'")
    if toks:  # the end of the file is reported just after the last token
        t = toks[-1]
        toks.append(Tok("eof", "", t.line, t.col + len(t.text) + (2 if t.kind == "str" else 0)))
    else:
        toks.append(Tok("eof", "", 1, 1))
    return toks, comments
