"""`--engine z3` and `--engine both`: run the z3 engine, or both engines and compare them.

Engines agree on a property when their decided verdicts (holds / violated) are equal. A
decided verdict against 'incomplete' or 'unknown' is not a disagreement, but it is
reported in the property's message. Two decided verdicts that differ give the verdict
'error' (a `check` exits 1, a `verify` row is a MISMATCH): one engine is wrong.
"""

from __future__ import annotations

from rmapcheck.engines.z3.engine import MODES, check_z3
from rmapcheck.errors import UsageError
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import (
    ERROR, HOLDS, INCOMPLETE, UNKNOWN, VIOLATED, PropertyResult, RunResult,
)

DECIDED = (HOLDS, VIOLATED)


def check_with_z3(program: ir.Program, memory_model: str, engine: str, mode: str, limits, progress) -> RunResult:
    from rmapcheck.runner import attach_traces, check_program

    if mode not in MODES + ("events",):
        raise UsageError(f"--mode {mode}: unknown mode (known: {', '.join(MODES + ('events',))})")
    if engine == "z3":
        if memory_model in ("tso", "lkmm") and mode == "events":
            from rmapcheck.engines.z3ev.engine import check_events

            return check_events(program, limits, getattr(limits, "unwind", None), progress, memory_model)
        if memory_model != "sc":
            raise UsageError(f"--engine z3 --memory-model {memory_model}: not implemented by z3 (it implements "
                             f"sc, tso and lkmm); ra is the explicit engine's")
        res = check_z3_mode(program, mode, limits, progress)
        attach_traces(program, res, "sc")
        return res
    if memory_model in ("tso", "lkmm"):
        raise UsageError(f"--engine both --memory-model {memory_model}: the explicit engine implements sc and ra "
                         f"only; use --engine z3 for {memory_model}")
    ex = check_program(program, memory_model, "explicit", limits, progress)
    if memory_model != "sc":
        z = None
    else:
        z = check_z3_mode(program, mode, limits, progress)
        attach_traces(program, z, "sc")
    return combine(ex, z, mode, memory_model)


def check_z3_mode(program: ir.Program, mode: str, limits, progress) -> RunResult:
    """The old interleaving encoding (bmc, prove) or the event engine (events)."""
    if mode == "events":
        from rmapcheck.engines.z3ev.engine import check_events

        return check_events(program, limits, getattr(limits, "unwind", None), progress)
    return check_z3(program, mode, limits, progress)


def combine(ex: RunResult, z: RunResult | None, mode: str, memory_model: str) -> RunResult:
    results = {}
    disagree, one_sided = [], []
    for name, e in ex.results.items():
        if z is None:
            zr = PropertyResult(name, UNKNOWN, f"z3 not run: --memory-model {memory_model} is not encoded for z3")
        else:
            zr = z.results.get(name) or PropertyResult(name, UNKNOWN, "z3 has no verdict")
        r = PropertyResult(name, e.verdict, e.message, e.path, e.trace, e.detail)
        if e.verdict in DECIDED and zr.verdict in DECIDED:
            if e.verdict != zr.verdict:
                r.verdict = ERROR
                r.message = (f"engines disagree: explicit says {e.verdict}"
                             + (f" ({e.message})" if e.message else "")
                             + f", z3 {mode} says {zr.verdict}" + (f" ({zr.message})" if zr.message else ""))
                if r.trace is None and zr.trace is not None:
                    r.path, r.trace, r.detail = zr.path, zr.trace, zr.detail
                disagree.append(name)
        elif e.verdict in DECIDED:
            note = f"z3 {mode}: {zr.verdict}" + (f", {zr.message}" if zr.message else "")
            r.message = f"{e.message} [{note}]" if e.message else f"[{note}]"
            one_sided.append(name)
        elif zr.verdict in DECIDED:
            r = PropertyResult(name, zr.verdict, zr.message, zr.path, zr.trace, zr.detail)
            note = f"explicit: {e.verdict}" + (f", {e.message}" if e.message else "")
            r.message = f"{zr.message} [{note}]" if zr.message else f"[{note}]"
            one_sided.append(name)
        else:
            r.message = f"explicit: {e.verdict} {e.message}; z3 {mode}: {zr.verdict} {zr.message}".strip()
        results[name] = r
    rr = RunResult(ex.model, ex.memory_model, f"both (explicit + z3 {mode})", ex.defines, results, ex.stats)
    rr.z3_stats = getattr(z, "z3_stats", None) if z is not None else None
    rr.invariant = getattr(z, "invariant", None) if z is not None else None
    rr.disagreements = disagree
    rr.one_sided = one_sided
    rr.z3_result = z
    return rr


def report_extra(res: RunResult, show_invariant: bool = False) -> str:
    """Lines the CLI prints under the verdict table of a z3 or both run."""
    out = []
    st = getattr(res, "z3_stats", None)
    if st:
        parts = [f"z3: {st.get('seconds', 0):.2f} s", f"{st.get('conflicts', 0)} conflicts",
                 f"{st.get('memory_mb', 0):.0f} MiB"]
        if st.get("facts"):
            parts.append(f"{st['facts']} analysis facts inductive")
        if st.get("limits"):
            parts.append(f"encoding limits left to refute per depth (state + step): {st['limits']}")
        out.append(", ".join(parts))
    z = getattr(res, "z3_result", None)
    if z is not None and z.engine == "z3 events":
        zs = getattr(z, "z3_stats", {}) or {}
        out.append(f"z3 events: loops unrolled {zs.get('unwind')} times, {zs.get('steps', 0)} steps, "
                   f"{zs.get('events', 0)} events; " + ("every property decided" if z.stats.complete else
                                                        "some properties undecided (see their verdicts)"))
    elif z is not None:
        out.append(f"{z.engine}: depth {z.stats.depth}, " + ("complete" if z.stats.complete else f"stopped ({z.stats.limit})"))
    if hasattr(res, "disagreements"):
        if res.disagreements:
            out.append("ENGINES DISAGREE on: " + ", ".join(res.disagreements))
        else:
            out.append("engines agree on every property decided by both"
                       + (f"; decided by one engine only: {', '.join(res.one_sided)}" if res.one_sided else ""))
    if show_invariant:
        inv = getattr(res, "invariant", None)
        out.append("inductive invariant (Spacer):\n" + inv if inv else "no inductive invariant (the proof was not run or did not finish)")
    return "\n".join(out) + ("\n" if out else "")


__all__ = ["check_with_z3", "combine", "report_extra", "INCOMPLETE"]
