"""Verdict tables (tabulate)."""

from __future__ import annotations

from tabulate import tabulate


def check_table(result) -> str:
    rows = []
    for r in result.results.values():
        rows.append([r.name, r.verdict, _short(r.message)])
    s = result.stats
    head = (
        f"{result.model} [{result.engine}, {result.memory_model}]"
        + (f" {fmt_defines(result.defines)}" if result.defines else "")
    )
    foot = (
        f"{s.states} states, {s.transitions} transitions, depth {s.depth}, "
        f"{s.seconds:.2f} s, {s.states_per_s:.0f} states/s, peak {s.peak_mb:.0f} MiB"
        + ("" if s.complete else f", INCOMPLETE ({s.limit})")
    )
    return head + "\n" + tabulate(rows, headers=["property", "verdict", "detail"], tablefmt="simple") + "\n" + foot + "\n"


def fmt_defines(d: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(d.items()))


def _short(msg: str, n: int = 70) -> str:
    msg = msg.replace("\n", " ")
    return msg if len(msg) <= n else msg[: n - 3] + "..."


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
