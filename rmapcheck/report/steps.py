"""A counterexample as a numbered step list: thread, source line, statement, values."""

from __future__ import annotations

from rmapcheck.properties.verdict import Trace


def render_steps(trace: Trace, path: str = "") -> str:
    out = [f"Counterexample for {trace.prop}: {trace.message}"]
    width = max([len(s.thread) for s in trace.steps] + [6])
    for n, s in enumerate(trace.steps, 1):
        out.append(f"{n:4d}  {s.thread:<{width}}  {s.func}:{s.line:<4d} {s.text}")
        for op in s.ops:
            out.append(f"{'':4s}  {'':<{width}}      {op}")
        for line, text in s.locals_:
            out.append(f"{'':4s}  {'':<{width}}    ..{line:<4d} {text}")
        if s.note:
            out.append(f"{'':4s}  {'':<{width}}      !! {s.note}")
    if trace.final:
        out.append(f"  => {trace.final}")
    return "\n".join(out) + "\n"
