"""A counterexample as a numbered step list: thread, function and source line, statement, values.

At most 80 columns and plain ASCII, for pasting into an email: long statements and
long values are wrapped, with continuation lines indented under their start.
"""

from __future__ import annotations

import textwrap

from rmapcheck.errors import pos_text
from rmapcheck.properties.verdict import Trace
from rmapcheck.report.diagram import WIDTH, _ascii, wrap_code


def _prose(text: str, first: str, rest: str, width: int) -> list[str]:
    return textwrap.wrap(_ascii(text), width, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False) or [first.rstrip()]


def _locals_once(steps: list) -> list:
    """Each step's local lines, without a last one that its thread's next step shows again as
    its own line (a condition whose shared read is that next step: shown once, where evaluated)."""
    out = []
    for k, s in enumerate(steps):
        loc = list(s.locals_)
        nxt = next((t for t in steps[k + 1:] if t.tid == s.tid), None)
        if loc and nxt is not None and (loc[-1][0], loc[-1][2]) == (nxt.line, nxt.file):
            loc.pop()
        out.append(loc)
    return out


def elide(items: list, max_steps: int | None) -> tuple[list, int, int]:
    """The items to show of a trace limited to max_steps: its first and its last (where it goes
    wrong), and (where the gap is, how many left out)."""
    if max_steps is None or len(items) <= max_steps:
        return items, len(items), 0
    head = max_steps // 2
    tail = max_steps - head
    return items[:head] + items[len(items) - tail:], head, len(items) - max_steps


def elision_line(count: int) -> str:
    return f"  ... {count} step{'s' if count != 1 else ''} left out (--max-trace-steps) ..."


def render_steps(trace: Trace, path: str = "", width: int = WIDTH, max_steps: int | None = None) -> str:
    out = _prose(f"Counterexample for {trace.prop}: {trace.message}", "", "    ", width)
    tw = min(max([len(s.thread) for s in trace.steps] + [6]), 16)
    pad = " " * (6 + tw + 2)  # under the "where" column
    locals_ = _locals_once(trace.steps)
    numbered = list(enumerate(trace.steps, 1))
    shown, gap, left_out = elide(numbered, max_steps)
    for k, (n, s) in enumerate(shown):
        if left_out and k == gap:
            out.append(elision_line(left_out))
        head = f"{n:4d}  {s.thread:<{tw}}  {s.func}:{pos_text(s.line, s.file):<4} "
        if len(head) > width - 30:  # a long function name: the statement goes on its own line
            out.append(head.rstrip())
            head = pad + "  "
        code = wrap_code(s.text.strip(), width - len(head))
        out.append(_ascii(head) + code[0])
        out.extend(" " * len(head) + c for c in code[1:])
        for op in s.ops:
            out.extend(_prose(op, pad + "    ", pad + "        ", width))
        for line, text, file in locals_[n - 1]:
            first = f"{pad}  ..{pos_text(line, file):<4} "
            code = wrap_code(text.strip(), width - len(first))
            out.append(first + code[0])
            out.extend(" " * len(first) + c for c in code[1:])
        if s.note:
            out.extend(_prose("!! " + s.note, pad + "    ", pad + "       ", width))
    if trace.final:
        out.extend(_prose(f"=> {trace.final}", "  ", "     ", width))
    return "\n".join(out) + "\n"
