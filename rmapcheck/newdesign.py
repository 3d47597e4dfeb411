"""`rmapcheck new DESIGN.c --from MODEL`: start the model of a patch from an era's design.

A bundled design file holds only what that design is (its allocator, its writer's
differences, its flag protocol) and #includes the kernel harness of its era. The new file
gets the same #include lines and a copy of those functions, under a header to fill in; its
expectations start as the source design's, so `rmapcheck verify DESIGN.c` runs at once and
says what the patch changed.
"""

from __future__ import annotations

import os
import re

from rmapcheck.errors import UsageError
from rmapcheck.frontend.load import _const_eval, include_dirs_from_env, read_model_text
from rmapcheck.frontend.preprocess import preprocess, resolve_include

# header keys copied as they are: how the design is run, not what it is
_RUN_KEYS = ("param", "thread", "faults", "invariant", "memory-models", "config", "defines")
_KEY = re.compile(r"^\s*\*?\s*@([a-z][\w-]*)\b\s*(.*?)\s*$")
_INCLUDE = re.compile(r'^(\s*#\s*include\s*)"([^"]+)"(.*)$')


def _header_span(text: str) -> tuple[int, int] | None:
    """The first comment that holds a header key: (start, end) offsets, or None."""
    for m in re.finditer(r"/\*.*?\*/", text, re.S):
        if re.search(r"^\s*\*?\s*@(title|thread)\b", m.group(0), re.M):
            return m.start(), m.end()
    return None


def _run_lines(header: str) -> tuple[list[str], list[str]]:
    """The header lines that say how the design runs (kept), and its @expect lines."""
    keep: list[str] = []
    expect: list[str] = []
    last = None
    for line in header.split("\n"):
        m = _KEY.match(line)
        if m:
            last = m.group(1)
            if last in _RUN_KEYS:
                keep.append(f" * @{last:<8} {m.group(2)}".rstrip())
            elif last == "expect":
                expect.append(f" * @expect {m.group(2)}")
            continue
        cont = re.match(r"^\s*\*\s{2,}(\S.*)$", line)
        if cont and last == "param" and keep:
            keep.append(f" *   {cont.group(1)}")
        else:
            last = None if not line.strip().lstrip("*").strip() else last
    return keep, expect


def _rebase_includes(body: str, src: str, dst: str) -> str:
    """#include names that resolved from the source's directory, made to resolve from dst's."""
    out = []
    for line in body.split("\n"):
        m = _INCLUDE.match(line)
        if m:
            name = m.group(2)
            here = resolve_include(name, dst, include_dirs_from_env())
            there = resolve_include(name, src, include_dirs_from_env())
            if there is not None and (here is None or os.path.abspath(here) != os.path.abspath(there)):
                rel = os.path.relpath(there, os.path.dirname(os.path.abspath(dst)))
                line = f'{m.group(1)}"{rel}"{m.group(3)}'
        out.append(line)
    return "\n".join(out)


_COND = re.compile(r"^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)$")
_NAME = re.compile(r"[A-Za-z_]\w*")


def _false_value(kind: str, expr: str) -> bool:
    """The value of a conditional whose names are all undefined (each is 0, as in C)."""
    if kind in ("ifdef", "ifndef"):
        return kind == "ifndef"
    expr = re.sub(r"defined\s*\(?\s*[A-Za-z_]\w*\s*\)?", "0", expr)
    expr = _NAME.sub("0", expr).replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    try:
        return bool(eval(expr, {"__builtins__": {}}, {}))  # digits, operators and parentheses only
    except Exception:
        return False


def resolve_switches(body: str, defined: set[str]) -> str:
    """Drop the conditionals that test only names the design leaves undefined (the switches of
    its variants and mutants: MUTANT_..., POSTING_...), keeping the branch the design itself
    compiles; a conditional on a parameter the design #defines (WRITE_BACK_POINTERS) stays."""
    out: list[str] = []
    stack: list[list] = []  # ["keep"] or ["drop", a branch was taken, this branch is on]

    def shown(upto: int) -> bool:
        return all(f[0] == "keep" or f[2] for f in stack[:upto])

    for line in body.split("\n"):
        m = _COND.match(line)
        if not m:
            if shown(len(stack)):
                out.append(line)
            continue
        kind, rest = m.group(1), m.group(2)
        names = set(_NAME.findall(rest)) - {"defined"}
        if kind in ("if", "ifdef", "ifndef"):
            if names and not names & defined:
                on = _false_value(kind, rest)
                stack.append(["drop", on, on])
            else:
                stack.append(["keep"])
                if shown(len(stack) - 1):
                    out.append(line)
        elif not stack:
            out.append(line)
        elif stack[-1][0] == "keep":
            if shown(len(stack) - 1):
                out.append(line)
            if kind == "endif":
                stack.pop()
        elif kind == "elif":
            on = not stack[-1][1] and not names & defined and _false_value("if", rest)
            stack[-1][1:] = [stack[-1][1] or on, on]
        elif kind == "else":
            stack[-1][1:] = [True, not stack[-1][1]]
        else:
            stack.pop()
    return "\n".join(out)


def new_design(dst: str, src: str) -> str:
    """Write the new design file; return what to tell the user."""
    if os.path.exists(dst):
        raise UsageError(f"{dst}: already exists (rmapcheck new never overwrites a file)")
    if not dst.endswith(".c"):
        raise UsageError(f"{dst}: a model file name ends in .c")
    text = read_model_text(src)
    span = _header_span(text)
    if span is None:
        raise UsageError(f"{src}: no header comment (@title, @thread): not a design to start from")
    header, body = text[span[0]:span[1]], text[span[1]:]
    keep, expect = _run_lines(header)
    title = re.search(r"@title\s+(.*)", header)
    name = os.path.splitext(os.path.basename(dst))[0]
    lines = [
        "/*",
        f" * @title  {name}: TODO one line: what the patch does",
        " * @source TODO the patch: commit SHA (\"subject\") or Message-ID of its posting",
        " * @description TODO what the patch changes and what it should guarantee.",
        f" * The functions below are copies of those of {os.path.basename(src)}: edit them as the patch does.",
        *([f" *   {os.path.basename(src)}: {title.group(1).strip()}"] if title else []),
        *keep,
        f" * The expectations of {os.path.basename(src)}: change them to what you expect of the patch.",
        *expect,
        " */",
    ]
    defined = set(preprocess(src, text, {}, _const_eval, include_dirs_from_env()).defines)
    body = re.sub(r"\n{3,}", "\n\n", resolve_switches(body, defined))
    out = "\n".join(lines) + _rebase_includes(body, src, dst)
    try:
        with open(dst, "x", encoding="utf-8") as f:
            f.write(out if out.endswith("\n") else out + "\n")
    except OSError as e:
        raise UsageError(f"{dst}: cannot write: {e.strerror}") from None
    return (f"wrote {dst}: {os.path.basename(src)}'s design functions under a header to fill in\n"
            f"next: edit the functions as your patch does, then: rmapcheck verify {dst}\n")
