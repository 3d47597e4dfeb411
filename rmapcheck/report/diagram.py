"""A kernel-style race diagram: one column per CPU, only the steps that matter.

    CPU0 (vcpu.0)                  | CPU1 (writer)
    -------------------------------+-------------------------------
                                   | old = *slot;
    mutex_lock(&kvm->slots_arch... |

Plain ASCII, at most 80 columns, wrapped rather than cut, as commit messages
and lockdep reports show races.
"""

from __future__ import annotations

import textwrap

from rmapcheck.properties.verdict import Trace

WIDTH = 80


def _cell(step) -> list[str]:
    text = step.text.strip()
    val = _short_value(step)
    lines = [text]
    if val:
        lines.append(f"  // {val}")
    if step.note:
        lines.append(f"  !! {step.note}")
    return lines


def _short_value(step) -> str:
    """What a reader of the diagram needs besides the code: values read, allocations, waits."""
    vals = []
    for op in step.shared_ops:
        if op.startswith("read ") and " -> " in op:
            lhs, val = op[5:].rsplit(" -> ", 1)
            vals.append(f"{lhs.split(' [')[0]} -> {val.split(' (')[0]}")
        elif op.startswith("weak memory: ") and " reads the older " in op:
            vals.append("missed " + op.split(", missing ", 1)[1])
        elif op.startswith(("allocation", "allocate", "synchronize_srcu", "free")):
            vals.append(op)
    return "; ".join(vals)


def render_diagram(trace: Trace, width: int = WIDTH) -> str:
    tids = []
    for s in trace.steps:
        if s.shared and s.tid not in tids:
            tids.append(s.tid)
    tids.sort()
    if not tids:
        return "(no shared steps)\n"
    names = {s.tid: s.thread for s in trace.steps}
    ncol = len(tids)
    colw = max(12, (width - 3 * (ncol - 1)) // ncol)
    sep = " | "
    header = sep.join(f"CPU{k} ({names[t]})"[:colw].ljust(colw) for k, t in enumerate(tids))
    rule = "-+-".join("-" * colw for _ in tids)
    out = [header.rstrip(), rule]
    for s in trace.steps:
        if not s.shared:
            continue
        col = tids.index(s.tid)
        wrapped: list[str] = []
        for piece in _cell(s):
            wrapped.extend(textwrap.wrap(piece, colw, subsequent_indent="    ", break_long_words=True) or [""])
        for w in wrapped:
            row = ["".ljust(colw)] * ncol
            row[col] = _ascii(w).ljust(colw)
            out.append(sep.join(row).rstrip())
    if trace.final:
        out.append("")
        out.extend(textwrap.wrap(_ascii(trace.final), width))
    return "\n".join(out) + "\n"


def _ascii(s: str) -> str:
    return s.encode("ascii", "replace").decode("ascii")
