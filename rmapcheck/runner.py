"""Run one model through an engine and attach human-readable traces to its verdicts."""

from __future__ import annotations

from rmapcheck.engines.explicit.executor import DEFAULT_REDUCTION, REDUCTIONS, Executor
from rmapcheck.engines.explicit.replay import expand, replay, shorten, trim
from rmapcheck.engines.explicit.search import Limits, Search
from rmapcheck.errors import UsageError
from rmapcheck.frontend import load_model
from rmapcheck.gcpause import cycle_collector_paused
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import VIOLATED, RunResult

ENGINES = ("explicit", "z3", "both")  # z3 and both may name the mode: "both:events" (the only one)
MEMORY_MODELS = ("sc", "ra")


def memory_for(program: ir.Program, name: str):
    if name == "sc":
        from rmapcheck.engines.explicit.memory import SCMemory

        return SCMemory(program)
    if name == "ra":
        from rmapcheck.engines.explicit.memory_ra import RAMemory

        return RAMemory(program)
    raise UsageError(f"--memory-model {name}: not supported yet (supported: {', '.join(MEMORY_MODELS)})")


def check_program(program: ir.Program, memory_model: str = "sc", engine: str = "explicit",
                  limits: Limits | None = None, progress=None, reduction: str | None = None) -> RunResult:
    """reduction: the explicit engine's (see executor.REDUCTIONS); None: the default one."""
    if reduction is None:
        reduction = limits.reduction if limits is not None and limits.reduction is not None else DEFAULT_REDUCTION
    if reduction not in REDUCTIONS:
        raise UsageError(f"--reduction {reduction}: unknown (known: {', '.join(REDUCTIONS)})")
    engine, _, mode = engine.partition(":")
    if engine not in ENGINES:
        raise UsageError(f"--engine {engine}: unknown engine (known: {', '.join(ENGINES)})")
    if engine != "explicit":
        from rmapcheck.engines.z3ev.both import check_with_z3

        return check_with_z3(program, memory_model, engine, mode or "events", limits or Limits(), progress)
    # the static analysis, the search and the replays make many objects that hold no cycle
    with cycle_collector_paused():
        return _check_explicit(program, memory_model, limits or Limits(), progress, reduction)


def _check_explicit(program: ir.Program, memory_model: str, limits: Limits, progress, reduction: str) -> RunResult:
    search = Search(program, limits, memory_for(program, memory_model), progress, reduction=reduction)
    result = search.run()
    result.stats.reduction = reduction
    attach_traces(program, result, memory_model, reduction, search.ex)
    return result  # the search's states go with it, before the cycle collector looks again


def attach_traces(program: ir.Program, result: RunResult, memory_model: str, reduction: str = "none",
                  searched: Executor | None = None) -> None:
    """Replay every violation's path, so each verdict carries a trace people can read. A path
    a reduced search found is first expanded: every visible step is a step of the trace.
    searched: the executor of the search that found the paths (its memory model object and
    compiled code are reused: only the flags differ)."""
    todo = [r for r in result.results.values() if r.verdict == VIOLATED and r.path is not None]
    if not todo:
        return  # no executor to build
    mem = searched.mem if searched is not None else memory_for(program, memory_model)
    ex = Executor(program, mem, like=searched)
    reduced = Executor(program, mem, reduction=reduction, like=ex) if reduction != "none" else None
    for r in todo:
        if reduced is not None:
            expanded = expand(reduced, r.path)
            r.path = trim(ex, r.path, expanded, r.name)
            r.path.folded = {k for k in getattr(expanded, "folded", ()) if k < len(r.path.labels)}
            # persistent sets may order steps the violation does not need first: drop those too
            r.path = shorten(ex, r.path, r.name, r.message if reduction == "persistent" else None)
        r.trace = replay(ex, r.path, r.name, r.message)
        if r.path.kind == "state" and r.name == ir.P_DEADLOCK:
            r.trace.final = r.message
        elif r.name == ir.P_LOCKORDER:
            r.trace.final = "lock-order cycle: " + "; ".join(
                f"{e.thread} holds {e.src} ({e.held_as}, {e.hold_func}() {e.hold_line}) and "
                f"takes {e.dst} ({e.how}, {e.take_func}() {e.take_line})"
                for e in r.detail
            )
        else:
            r.trace.final = f"{r.name} violated: {r.message}"


def check_file(path: str, defines: dict | None = None, memory_model: str = "sc", engine: str = "explicit",
           limits: Limits | None = None, faults: int | None = None, progress=None) -> RunResult:
    program = load_for(path, memory_model, defines, faults)
    return check_program(program, memory_model, engine, limits, progress)


def load_for(path: str, memory_model: str, defines: dict | None = None, faults: int | None = None,
         program: ir.Program | None = None) -> ir.Program:
    """The model with its `@defines` for this memory model applied (a -D of the same name wins).

    program: the model already loaded with these defines, returned as it is when the memory
    model has no @defines of its own (no second load)."""
    if program is None:
        program = load_model(path, defines or {}, faults)
    extra = {k: v for k, v in program.meta.mm_defines.get(memory_model, {}).items() if k not in (defines or {})}
    if extra:
        program = load_model(path, {**extra, **(defines or {})}, faults)
    return program
