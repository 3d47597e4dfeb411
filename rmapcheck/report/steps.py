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


def render_steps(trace: Trace, path: str = "", width: int = WIDTH) -> str:
    out = _prose(f"Counterexample for {trace.prop}: {trace.message}", "", "    ", width)
    tw = min(max([len(s.thread) for s in trace.steps] + [6]), 16)
    pad = " " * (6 + tw + 2)  # under the "where" column
    for n, s in enumerate(trace.steps, 1):
        head = f"{n:4d}  {s.thread:<{tw}}  {s.func}:{pos_text(s.line, s.file):<4} "
        if len(head) > width - 30:  # a long function name: the statement goes on its own line
            out.append(head.rstrip())
            head = pad + "  "
        code = wrap_code(s.text.strip(), width - len(head))
        out.append(_ascii(head) + code[0])
        out.extend(" " * len(head) + c for c in code[1:])
        for op in s.ops:
            out.extend(_prose(op, pad + "    ", pad + "        ", width))
        for line, text, file in s.locals_:
            first = f"{pad}  ..{pos_text(line, file):<4} "
            code = wrap_code(text.strip(), width - len(first))
            out.append(first + code[0])
            out.extend(" " * len(first) + c for c in code[1:])
        if s.note:
            out.extend(_prose("!! " + s.note, pad + "    ", pad + "       ", width))
    if trace.final:
        out.extend(_prose(f"=> {trace.final}", "  ", "     ", width))
    return "\n".join(out) + "\n"
