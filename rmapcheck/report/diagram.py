"""A kernel-style race diagram: one column per CPU, only the steps that matter.

    CPU0 (writer)                          | CPU1 (vcpu)
    ---------------------------------------+---------------------------------------
                                           | vcpu()
                                           |   mutex_lock(&kvm.slots_arch_lock);
    writer()                               |
      arr1 = *kvm.active;                  |
        // kvm.active -> &arr0             |

Plain ASCII, at most 80 columns, ready to paste into an email or a commit message:
each column names the function a step belongs to (as the model names it) when it
changes, consecutive steps of one thread on one source line are one entry, and
long statements are wrapped between tokens, never inside an identifier when it
can be helped.
"""

from __future__ import annotations

import re
import textwrap

from rmapcheck.properties.verdict import Trace

WIDTH = 80

# Where a statement may be broken: after a space, a comma or an opening parenthesis; a token
# longer than a line is broken before '->' or '.', and only then cut.
_BREAK = re.compile(r"(?<=[ ,(])")
_BREAK2 = re.compile(r"(?=->|\.(?!\d)|\[)|(?<=[A-Za-z]-)(?=[A-Za-z])")


def longest_token(text: str, lead: int = 0, indent: int = 0) -> int:
    """The columns text needs for wrap_code to break no name: its first piece after lead, every
    other after lead + indent (a continuation line)."""
    pieces = [q for p in _BREAK.split(_ascii(text)) for q in _BREAK2.split(p.strip()) if q]
    if not pieces:
        return 0
    return max(lead + len(pieces[0]), max((lead + indent + len(p) for p in pieces[1:]), default=0))


def wrap_code(text: str, width: int, indent: str = "    ") -> list[str]:
    """Wrap a line of C between tokens; continuation lines get ``indent``."""
    text = _ascii(text.rstrip())
    if len(text) <= width:
        return [text]
    lead = re.match(r"\s*", text).group(0)
    pieces = []
    for p in _BREAK.split(text[len(lead):]):
        if len(p) > width - len(lead) - len(indent):
            pieces.extend(q for q in _BREAK2.split(p) if q)
        elif p:
            pieces.append(p)
    lines: list[str] = []
    cur = lead
    for p in pieces:
        room = width - len(cur)
        if len(p) <= room or (cur.strip() == "" and len(p) <= width - len(cur)):
            cur += p
            continue
        if cur.strip():
            lines.append(cur.rstrip())
            cur = lead + indent
        p = p.lstrip() if cur.strip() == "" else p
        while len(cur) + len(p) > width:  # a token longer than a line: cut it
            cut = max(1, width - len(cur))
            lines.append(cur + p[:cut])
            p = p[cut:]
            cur = lead + indent
        cur += p
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def _values(step) -> list[str]:
    """What a reader of the diagram needs besides the code: values read, allocations, waits."""
    vals = []
    for op in step.shared_ops:
        if op.startswith("read ") and " -> " in op:
            lhs, val = op[5:].rsplit(" -> ", 1)
            vals.append(f"{lhs.split(' [')[0]} -> {val.split(' (')[0]}")
        elif op.startswith("weak memory: ") and " reads the older " in op:
            vals.append("missed " + op.split(", missing ", 1)[1])
        elif op.startswith("weak memory: ") and ", shown later: " in op:  # a weak witness's load buffering
            vals.append(op.split(" reads ", 1)[1].split(", shown later: ")[0].split(" ", 1)[1] + ", shown later")
        elif op.startswith(("allocation", "allocate", "synchronize_srcu", "free")):
            vals.append(op)
    return vals


def _entries(trace: Trace) -> list:
    """(tid, func, text, [values], [notes]) per shown step, same-line repeats merged."""
    out: list = []
    for s in trace.steps:
        if not s.shared:
            continue
        vals = _values(s)
        notes = [_note(s.note, s.text)] if s.note else []
        if out and out[-1][0] == s.tid and out[-1][1] == s.func and out[-1][5] == s.line:
            for v in vals:
                if v not in out[-1][3]:
                    out[-1][3].append(v)
            out[-1][4].extend(notes)
            continue
        out.append([s.tid, s.func, s.text.strip(), vals, notes, s.line])
    return out


def _note(note: str, text: str) -> str:
    """``assertion failed: <the statement just shown>`` says only ``assertion failed``."""
    stmt = text.strip()
    for part in note.split("; "):
        if stmt and part.endswith(": " + stmt):
            note = note.replace(part, part[: -len(stmt) - 2])
    return note


def render_diagram(trace: Trace, width: int = WIDTH, max_steps: int | None = None) -> str:
    tids = []
    for s in trace.steps:
        if s.shared and s.tid not in tids:
            tids.append(s.tid)
    tids.sort()
    if not tids:
        return "(no shared steps)\n"
    names = {s.tid: s.thread for s in trace.steps}
    ncol = len(tids)
    entries = _entries(trace)
    widths = _widths(trace, tids, names, entries, width)
    sep = " | "
    heads = [_ascii(f"CPU{k} ({names[t]})") for k, t in enumerate(tids)]
    out = []
    if any(len(h) > w for h, w in zip(heads, widths)):  # a name does not fit: a legend, full names
        out.extend(textwrap.wrap(", ".join(f"CPU{k} is {_ascii(names[t])}" for k, t in enumerate(tids)), width,
                                 break_on_hyphens=False, break_long_words=False))
        heads = [f"CPU{k}" for k in range(len(tids))]
    header = sep.join(h.ljust(w) for h, w in zip(heads, widths))
    rule = "-+-".join("-" * w for w in widths)
    out += [header.rstrip(), rule]
    last_func: dict = {}
    from rmapcheck.report.steps import elide, elision_line

    shown, gap, left_out = elide(entries, max_steps)
    for k, (tid, func, text, vals, notes, _line) in enumerate(shown):
        if left_out and k == gap:
            out.append(elision_line(left_out))
            last_func.clear()
        col = tids.index(tid)
        colw = widths[col]
        lines = _cell_lines(func if last_func.get(tid) != func else "", text, vals, notes, colw)
        last_func[tid] = func
        for ln in lines:
            row = ["".ljust(w) for w in widths]
            row[col] = ln.ljust(colw)
            out.append(sep.join(row).rstrip())
    if trace.final:
        out.append("")
        out.extend(textwrap.wrap(_ascii(trace.final), width, break_on_hyphens=False))
    return "\n".join(out) + "\n"


def _cell_lines(func: str, text: str, vals: list, notes: list, colw: int) -> list[str]:
    lines: list[str] = []
    if func:
        head = f"{func}()"
        lines.append(head if len(head) <= colw else func[:colw])
    lines.extend(wrap_code("  " + text, colw))
    if colw < 32 and sum(" -> " in v for v in vals) == 1:  # narrow: one value read, shown alone
        vals = [("-> " + v.split(" -> ", 1)[1]) if " -> " in v and v.split(" -> ", 1)[0] in text else v
                for v in vals]
    if vals:
        keep = [v.replace(" -> ", "\xa0->\xa0") if len(v) <= colw - 8 else v for v in vals]
        lines.extend(_wrap_prose("// " + "; ".join(keep), colw, "    "))
    for n in notes:
        lines.extend(_wrap_prose("!! " + n, colw, "    "))
    return lines


def _widths(trace, tids: list, names: dict, entries: list, width: int) -> list[int]:
    """Column widths: what each column's widest line needs, shrunk to fit ``width`` if it must."""
    avail = width - 3 * (len(tids) - 1)
    need = []
    least = []  # what a column needs to break no name: its longest unbreakable piece, indented
    for k, t in enumerate(tids):
        n = len(f"CPU{k} ({names[t]})")
        m = len(f"CPU{k}")
        for tid, func, text, vals, notes, _ in entries:
            if tid == t:
                n = max(n, len(func) + 2, len(text) + 2,
                        min(len("    // " + "; ".join(vals)) if vals else 0, 48),
                        max((min(len(x) + 7, 48) for x in notes), default=0))
                m = max(m, len(func) + 2, longest_token(text, 2, 4),
                        *(longest_token(x, 4, 3) + 3 for x in [*vals, *notes]))
        need.append(n)
        least.append(min(m, n))
    if sum(need) <= avail:
        return need
    return _share(need, least, avail)


def _share(need: list[int], least: list[int], avail: int) -> list[int]:
    """Widths summing to avail at most: each column at least its least (if they all fit), the
    rest shared so that no column gets more than it needs."""
    even = _even(need, avail)
    if sum(least) > avail or all(w >= m for w, m in zip(even, least)):
        return even  # an even share splits no name (or nothing can help: the names do not fit)
    out = list(least)
    spare = avail - sum(out)
    while spare > 0:
        want = [k for k in range(len(out)) if out[k] < need[k]]
        if not want:
            break
        share = max(1, spare // len(want))
        for k in want:
            give = min(share, need[k] - out[k], spare)
            out[k] += give
            spare -= give
    return out


def _even(need: list[int], avail: int) -> list[int]:
    tids = need
    out = [avail // len(tids)] * len(tids)
    # give the columns that need less what they need, and share the rest
    small = [k for k, n in enumerate(need) if n < avail // len(tids)]
    if small and len(small) < len(tids):
        for k in small:
            out[k] = need[k]
        rest = avail - sum(need[k] for k in small)
        big = [k for k in range(len(tids)) if k not in small]
        for k in big:
            out[k] = rest // len(big)
    return [max(16, w) for w in out]


def _wrap_prose(text: str, width: int, indent: str) -> list[str]:
    """Wrap a comment; a ``name -> value`` marked with no-break spaces stays on one line."""
    text = "".join(c if c == "\xa0" else _ascii(c) for c in text)
    lines = textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "   ",
                          break_on_hyphens=False, break_long_words=False) or [indent.rstrip()]
    out: list[str] = []
    for ln in lines:  # a word wider than the column: break it between tokens
        out.extend(wrap_code(ln, width, "   ") if len(ln) > width else [ln])
    return [ln.replace("\xa0", " ") for ln in out]


def _ascii(s: str) -> str:
    return s.encode("ascii", "replace").decode("ascii")
