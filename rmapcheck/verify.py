"""`rmapcheck verify`: every bundled model against its declared expectations."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path as FsPath

from rmapcheck.engines.explicit.search import Limits
from rmapcheck.errors import UsageError
from rmapcheck.frontend import load_model
from rmapcheck.ir.nodes import meta_runs_with_config
from rmapcheck.properties.verdict import INCOMPLETE, UNKNOWN, VIOLATED, RunResult
from rmapcheck.report.tables import fmt_defines
from rmapcheck.runner import check_program

OK, MISMATCH, INCOMPLETE_ROW, MISSING = "ok", "MISMATCH", "INCOMPLETE", "NO EXPECTATION"


@dataclass
class VerifyRow:
    model: str
    memory_model: str
    config: str
    prop: str
    expected: str
    got: str
    states: int
    seconds: float
    status: str
    z3: str = ""  # --engine both: what z3 said of this property (z3_cell), else ""


def bundled_models_dir() -> FsPath | None:
    here = FsPath(__file__).resolve().parent.parent / "models"
    if here.is_dir():
        return here
    cwd = FsPath.cwd() / "models"
    return cwd if cwd.is_dir() else None


def collect_models(paths: list[str]) -> list[str]:
    if not paths:
        d = bundled_models_dir()
        if d is None:
            raise UsageError("no model given and no bundled models/ directory found")
        paths = [str(d)]
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(str(f) for f in FsPath(p).rglob("*.c"))
            if not found:
                raise UsageError(f"{p}: no model files (*.c) in this directory")
            out.extend(found)
        elif os.path.exists(p):
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or directory")
    return out


def expectation(program, memory_model: str, prop: str) -> str | None:
    exact = [e for e in program.meta.expectations if e.memory_model == memory_model and e.prop == prop]
    if exact:
        return exact[-1].verdict
    wild = [e for e in program.meta.expectations if e.memory_model == memory_model and e.prop == "*"]
    return wild[-1].verdict if wild else None


def display_name(path: str) -> str:
    d = bundled_models_dir()
    try:
        if d is not None:
            return str(FsPath(path).resolve().relative_to(d.parent))
    except ValueError:
        pass
    return path


def run_one(path: str, mm: str, cfg: dict, engine: str, limits: Limits | None, program=None, progress=None):
    """One run: its result, and the expected verdict of each of its properties (in a worker with -j)."""
    if program is None:
        program = load_model(path, cfg)
    res = check_program(program, mm, engine, limits, progress)
    return res, [expectation(program, mm, r.name) for r in res.results.values()]


def verify(paths: list[str], engine: str = "explicit", limits: Limits | None = None,
           memory_models: list[str] | None = None, progress_factory=None, jobs: int = 1,
           configs: list[str] | None = None):
    """Run every model under each memory model and configuration it declares; compare verdicts.

    configs: only the runs of these configurations ('default', or a @config's defines as
    'NAME=VALUE ...'). With jobs > 1 the runs go to that many worker processes
    (rmapcheck.jobs); rows and results come in the same order either way."""
    plan = []  # (path, memory model, config, the model loaded without defines)
    for path in collect_models(paths):
        base = load_model(path)
        for mm, cfg, own in meta_runs_with_config(base.meta):  # each memory model's configs, with its @defines
            if memory_models and mm not in memory_models:
                continue
            if configs and (fmt_defines(own) or "default") not in configs:
                continue
            plan.append((path, mm, cfg, base))
    if not plan and (memory_models or configs):
        # nothing checked must not read as a pass in CI
        if not configs:
            raise UsageError(f"no run selected: no model given declares memory model {' or '.join(memory_models)} "
                             "(@memory-models in its header)")
        under = f" under memory model {' or '.join(memory_models)}" if memory_models else ""
        raise UsageError(f"no run selected: no model given has configuration {' or '.join(configs)}{under} "
                         "('default', or a @config of its header as the table shows it)")
    if jobs > 1 and len(plan) > 1:
        from rmapcheck.jobs import run_pool, weight

        tasks = [((path, mm, cfg, engine, limits, None), weight(base, mm, cfg),
                  f"{display_name(path)} [{mm}, {fmt_defines(cfg) or 'default'}]" if progress_factory else "")
                 for path, mm, cfg, base in plan]
        outcomes = run_pool(run_one, tasks, jobs)
    else:
        outcomes = [run_one(path, mm, cfg, engine, limits, None if cfg else base,
                            progress_factory(display_name(path)) if progress_factory else None)
                    for path, mm, cfg, base in plan]
    rows: list[VerifyRow] = []
    results: list[RunResult] = []
    for (path, mm, cfg, _), (res, exps) in zip(plan, outcomes):
        results.append(res)
        for r, exp in zip(res.results.values(), exps):
            if exp is None:
                status = MISSING
            elif r.verdict in (INCOMPLETE, UNKNOWN):
                status = INCOMPLETE_ROW
            else:
                status = OK if r.verdict == exp else MISMATCH
            rows.append(VerifyRow(
                display_name(path), mm, fmt_defines(cfg) or "default", r.name, exp or "-",
                r.verdict, res.stats.states, res.stats.seconds, status, z3_cell(res, r.name),
            ))
    return rows, results


def z3_cell(res: RunResult, prop: str) -> str:
    """Under --engine both, z3's own verdict on prop: 'violated (N steps)', 'holds', or the
    undecided verdict with the depth BMC covered; a reader sees which rows z3 confirmed."""
    if not hasattr(res, "z3_result"):
        return ""
    z = res.z3_result
    if z is None:
        return "not run"
    r = z.results.get(prop)
    if r is None:
        return UNKNOWN
    if r.verdict == VIOLATED and r.path is not None:
        return f"{VIOLATED} ({len(r.path.labels)} steps)"
    if r.verdict in (INCOMPLETE, UNKNOWN) and z.engine == "z3 bmc":
        return f"{r.verdict} (depth {z.stats.depth})"
    return r.verdict


def exit_code(rows: list[VerifyRow]) -> int:
    if any(r.status in (MISMATCH, MISSING) for r in rows):
        return 1
    if any(r.status == INCOMPLETE_ROW for r in rows):
        return 3
    return 0
