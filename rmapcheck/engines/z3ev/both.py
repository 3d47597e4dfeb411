"""`--engine z3` and `--engine both`: run the z3 engine, or both engines and compare them.

Engines agree on a property when their decided verdicts (holds / violated) are equal. A
decided verdict against 'incomplete' or 'unknown' is not a disagreement, but it is
reported in the property's message. Two decided verdicts that differ give the verdict
'error' (a `check` exits 1, a `verify` row is a MISMATCH): one engine is wrong.
"""

from __future__ import annotations

from rmapcheck.errors import UsageError
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import (
    ERROR, HOLDS, INCOMPLETE, UNKNOWN, VIOLATED, PropertyResult, RunResult,
)

DECIDED = (HOLDS, VIOLATED)
MODE = "events"  # the one z3 engine; the interleaving encoding (bmc, Spacer's prove) was removed

# What replaced each option of the removed interleaving encoding (the CLI exits 2 with it).
REMOVED = {
    "--mode bmc": "z3's bounded model checking of interleavings was removed: the event engine "
                  "(--mode events, the default) finds a violation whatever its length, bounded by --unwind N",
    "--mode prove": "z3's Spacer proofs were removed: the event engine (--mode events, the default) "
                    "proves a property holds once its unwinding check passes; `rmapcheck prove` proves "
                    "the flag protocol for any size",
    "--bmc-depth": "--bmc-depth bounded z3's removed bounded model checking: the event engine's bound is "
                   "--unwind N (loop iterations)",
    "--show-invariant": "--show-invariant printed the inductive invariant of z3's removed Spacer mode: "
                        "`rmapcheck prove` proves the flag protocol for any size",
}


def removed(option: str) -> UsageError:
    return UsageError(REMOVED[option])


def check_with_z3(program: ir.Program, memory_model: str, engine: str, mode: str, limits, progress) -> RunResult:
    from rmapcheck.engines.z3ev.engine import check_events
    from rmapcheck.runner import attach_traces, check_program

    if f"--mode {mode}" in REMOVED:
        raise removed(f"--mode {mode}")
    if mode != MODE:
        raise UsageError(f"--mode {mode}: unknown mode (known: {MODE})")
    unwind = getattr(limits, "unwind", None)
    if engine == "z3":
        if memory_model in ("tso", "lkmm"):
            return check_events(program, limits, unwind, progress, memory_model)
        if memory_model != "sc":
            raise UsageError(f"--engine z3 --memory-model {memory_model}: not implemented by z3 (it implements "
                             f"sc, tso and lkmm); ra is the explicit engine's")
        res = check_events(program, limits, unwind, progress)
        attach_traces(program, res, "sc")
        return res
    if memory_model in ("tso", "lkmm"):
        raise UsageError(f"--engine both --memory-model {memory_model}: the explicit engine implements sc and ra "
                         f"only; use --engine z3 for {memory_model}")
    ex = check_program(program, memory_model, "explicit", limits, progress)
    if memory_model != "sc":
        z = None
    else:
        z = check_events(program, limits, unwind, progress)
        attach_traces(program, z, "sc")
    return combine(ex, z, mode, memory_model)


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
    rr.disagreements = disagree
    rr.one_sided = one_sided
    rr.z3_result = z
    return rr


def report_extra(res: RunResult) -> str:
    """Lines the CLI prints under the verdict table of a z3 or both run."""
    out = []
    st = getattr(res, "z3_stats", None)
    if st:
        out.append(f"z3: {st.get('seconds', 0):.2f} s")
    z = getattr(res, "z3_result", None) or (res if res.engine.startswith("z3") else None)
    if z is not None:
        zs = getattr(z, "z3_stats", {}) or {}
        out.append(f"{z.engine}: loops unrolled {zs.get('unwind')} times, {zs.get('steps', 0)} steps, "
                   f"{zs.get('events', 0)} events; " + ("every property decided" if z.stats.complete else
                                                        "some properties undecided (see their verdicts)"))
    if hasattr(res, "disagreements"):
        if res.disagreements:
            out.append("ENGINES DISAGREE on: " + ", ".join(res.disagreements))
        else:
            out.append("engines agree on every property decided by both"
                       + (f"; decided by one engine only: {', '.join(res.one_sided)}" if res.one_sided else ""))
    return "\n".join(out) + ("\n" if out else "")


__all__ = ["check_with_z3", "combine", "report_extra", "INCOMPLETE"]
