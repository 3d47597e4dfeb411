"""Verdict tables (tabulate)."""

from __future__ import annotations

from tabulate import tabulate


def check_header(result, overrides: dict | None = None, width: int = 80) -> str:
    """What was checked, in a line or two: the model, the engine, the memory model, and only
    the defines that differ from the model's own #define values (-D, a memory model's @defines)."""
    import textwrap

    head = f"{result.model}: engine {result.engine}, memory model {result.memory_model}"
    if overrides:
        shown = {k: result.defines.get(k, v) for k, v in overrides.items()}
        head += f"; defines other than the model's: {fmt_defines(shown)}"
    return "\n".join(textwrap.wrap(head, width, subsequent_indent="    ", break_on_hyphens=False,
                                   break_long_words=False)) + "\n"


def check_table(result, overrides: dict | None = None, width: int = 80) -> str:
    """The header, a row per property with its whole message wrapped in the detail column,
    and the search's statistics."""
    rows = [[r.name, r.verdict, r.message.replace("\n", " ")] for r in result.results.values()]
    pw = max([len("property")] + [len(r[0]) for r in rows])
    vw = max([len("verdict")] + [len(r[1]) for r in rows])
    detail = max(20, width - pw - vw - 4)
    s = result.stats
    head = check_header(result, overrides, width)
    foot = (
        f"{s.states} states, {s.transitions} transitions, depth {s.depth}, "
        f"{s.seconds:.2f} s, {s.states_per_s:.0f} states/s, peak {s.peak_mb:.0f} MiB"
        + ("" if s.complete else f", INCOMPLETE ({s.limit})")
        + ("" if s.reduction == "none" or result.engine != "explicit"
           else f"\nreduction {s.reduction}: counterexamples are shortest in the reduced state graph")
    )
    import textwrap

    def render(w: int) -> str:  # the whole message, wrapped between words (tabulate keeps a cell's lines)
        body = [[a, b, "\n".join(textwrap.wrap(c, w, break_on_hyphens=False, break_long_words=False))]
                for a, b, c in rows]
        return tabulate(body, headers=["property", "verdict", "detail"], tablefmt="simple")

    table = render(detail)
    over = max(len(ln) for ln in table.splitlines()) - width
    if over > 0 and detail - over >= 20:  # tabulate's own spacing: narrow the detail column to fit
        table = render(detail - over)
    return head + table + "\n" + foot + "\n"


def fmt_defines(d: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(d.items()))


def verify_table(rows: list) -> str:
    """One line per verdict; under --engine both a 'z3' column says what z3 itself found."""
    z3col = any(getattr(r, "z3", "") for r in rows)
    headers = ["model", "memory model", "config", "property", "expected", "got", "states", "seconds", "ok"]
    body = [[r.model, r.memory_model, r.config, r.prop, r.expected, r.got, r.states, f"{r.seconds:.2f}", r.status]
            for r in rows]
    if z3col:
        headers.insert(6, "z3")
        for line, r in zip(body, rows):
            line.insert(6, r.z3)
    return tabulate(body, headers=headers, tablefmt="simple") + "\n"


VERDICT_ORDER = ("holds", "violated", "incomplete", "unknown", "error")


def run_line(outcome, done: int, total: int) -> str:
    """verify's line for one finished run: its status, what it is, the verdicts counted, the
    violated properties named, every mismatch named with what was expected, its seconds."""
    run = outcome.run
    count = f"[{done}/{total}]".ljust(2 * len(str(total)) + 3)
    head = f"{count} {outcome.status:<10} {run.label}"
    if outcome.error:
        return f"{count} {outcome.status:<10} {outcome.error_line}"
    counts: dict = {}
    for row in outcome.rows:
        counts[row.got] = counts.get(row.got, 0) + 1
    parts = []
    for v in sorted(counts, key=lambda v: (VERDICT_ORDER.index(v) if v in VERDICT_ORDER else 99, v)):
        named = [r.prop for r in outcome.rows if r.got == v] if v != "holds" else []
        parts.append(f"{counts[v]} {v}" + (f" ({', '.join(named)})" if named else ""))
    line = f"{head}: {', '.join(parts)}"
    bad = [r for r in outcome.rows if r.status not in ("ok", "INCOMPLETE")]
    if bad:
        line += "; " + "; ".join(f"{r.status} {r.prop}: expected {r.expected}" for r in bad)
    res = outcome.result
    acknowledged = res is not None and res.stats.limit == "undecided" and outcome.status == "ok"
    if res is not None and not res.stats.complete and not acknowledged:  # (@expect ... unsupported: said below)
        line += f"; stopped by {res.stats.limit}"
    secs = res.stats.seconds if res is not None else 0.0
    return f"{line}; {res.stats.states if res is not None else 0} states, {secs:.1f} s"


def verify_summary(outcomes: list, code: int) -> str:
    """The lines after the runs: every run not as expected, named, then the counts and the exit code."""
    meaning = {0: "every expectation met", 1: "a verdict is not as expected", 2: "a model does not load",
               3: "a limit stopped a run, or a property is unsupported", 4: "internal error"}
    rows = [r for o in outcomes for r in o.rows]
    bad = [o for o in outcomes if o.status != "ok"]
    out = []
    for o in bad:
        if o.error:
            out.append(f"{o.status:<10} {o.error_line}")
            continue
        for r in o.rows:
            if r.status != "ok":
                if r.status == "INCOMPLETE" and r.got == "unsupported":
                    reason = r.detail.removeprefix("unsupported: ")
                    what = (f"{r.prop} undecided (unsupported: {reason}; `@expect {o.run.memory_model} {r.prop} "
                            "unsupported` acknowledges it)")
                elif r.status == "INCOMPLETE":
                    what = f"{r.prop} undecided ({o.result.stats.limit or r.got})"
                else:
                    what = f"{r.prop}: expected {r.expected}, got {r.got}"
                out.append(f"{r.status:<10} {o.run.label} {what}")
    for o in outcomes:  # acknowledged (@expect ... unsupported): still said, with the reason
        for r in o.rows:
            if r.status == "ok" and r.got == "unsupported":
                why = r.detail.removeprefix("unsupported: ")
                out.append(f"{'unsupported':<10} {o.run.label} {r.prop} (@expect {r.expected}): {why}")
    nok = len(outcomes) - len(bad)
    runs = "run" if len(outcomes) == 1 else "runs"
    out.append(f"{len(rows)} verdicts over {len(outcomes)} {runs}: {nok} {'run' if nok == 1 else 'runs'} as expected"
               + (f", {len(bad)} not" if bad else "") + f"; exit {code} ({meaning.get(code, '')})")
    return "\n".join(out) + "\n"
