"""`rmapcheck verify`: every bundled model against its declared expectations."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path as FsPath

from rmapcheck.engines.explicit.search import Limits
from rmapcheck.errors import InternalError, ModelError, RmapcheckError, UsageError
from rmapcheck.frontend import load_model
from rmapcheck.gcpause import cycle_collector_paused
from rmapcheck.ir.nodes import meta_runs_with_config
from rmapcheck.properties.verdict import INCOMPLETE, UNKNOWN, UNSUPPORTED, VIOLATED, RunResult
from rmapcheck.report.tables import fmt_defines
from rmapcheck.runner import check_program

OK, MISMATCH, INCOMPLETE_ROW, MISSING, ERROR = "ok", "MISMATCH", "INCOMPLETE", "NO EXPECTATION", "ERROR"
INTERNAL = "INTERNAL ERROR"  # a run rmapcheck itself failed (exit 4): the other runs still run


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
    detail: str = ""  # an ERROR row: the load error; an INTERNAL ERROR row: the internal error


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


def expectation(program, memory_model: str, prop: str, config: dict | None = None) -> str | None:
    """The expected verdict of prop in the run (memory model, @config defines; {} or None: default).

    An @expect naming the run's config wins over one for the memory model alone; within
    each, a named property wins over '*'."""
    config = config or {}
    mine = [e for e in program.meta.expectations if e.memory_model == memory_model]
    for pool in ([e for e in mine if e.config is not None and e.config == config],
                 [e for e in mine if e.config is None]):
        for want in (prop, "*"):
            hit = [e for e in pool if e.prop == want]
            if hit:
                return hit[-1].verdict
    return None


def display_name(path: str) -> str:
    d = bundled_models_dir()
    try:
        if d is not None:
            return str(FsPath(path).resolve().relative_to(d.parent))
    except ValueError:
        pass
    return path


@cycle_collector_paused()  # the front end's objects hold no cycle either (a quarter of a load's CPU)
def run_one(path: str, mm: str, cfg: dict, engine: str, limits: Limits | None, own: dict | None = None,
            program=None, progress=None):
    """One run: its result, and the expected verdict of each of its properties (in a worker with -j)."""
    if program is None:
        program = load_model(path, cfg)
    res = check_program(program, mm, "z3" if mm in WEAK else engine, limits, progress)  # only z3 has tso, lkmm
    # own: the run's @config defines (its expectations may name them)
    return res, [expectation(program, mm, r.name, own) for r in res.results.values()]


@dataclass
class PlannedRun:
    """One run of a verify: a model under one memory model and configuration. A model that
    does not load is planned as one run with its error: one failing case, not the end."""

    index: int
    path: str
    memory_model: str
    cfg: dict
    own: dict | None = None  # the @config's own defines ({}: the default configuration), which @expect may name
    base: object = None  # the model loaded without defines (None if it failed to load)
    error: str = ""  # the load error, rendered with its file:line:col

    @property
    def label(self) -> str:
        mm = f" [{self.memory_model}{', ' + fmt_defines(self.cfg) if self.cfg else ''}]" if self.memory_model else ""
        return display_name(self.path) + mm


@dataclass
class RunOutcome:
    """A finished run: its rows (one per property, or one ERROR or INTERNAL ERROR row), its
    result, its seconds."""

    run: PlannedRun
    rows: list
    result: RunResult | None = None
    error: str = ""

    @property
    def error_line(self) -> str:
        """The load error's first line, after the run's label unless it names the file itself."""
        first = self.error.splitlines()[0] if self.error else ""
        if not first.startswith(display_name(self.run.path) + ":"):
            return f"{self.run.label}: {first}"
        run = self.run
        return first + (f" (under {run.memory_model}{', ' + fmt_defines(run.cfg) if run.cfg else ''})"
                        if run.memory_model else "")

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.rows}
        for s in (INTERNAL, ERROR, MISMATCH, MISSING, INCOMPLETE_ROW):
            if s in statuses:
                return s
        return OK


WEAK = ("tso", "lkmm")  # verify runs them (the @configs naming them) only when asked, with z3


@cycle_collector_paused()
def plan_runs(paths: list[str], memory_models: list[str] | None = None,
              configs: list[str] | None = None) -> list[PlannedRun]:
    """Every run to make, in order. configs: only the runs of these configurations ('default',
    or a @config's defines as 'NAME=VALUE ...')."""
    plan: list[PlannedRun] = []
    for path in collect_models(paths):
        try:
            base = load_model(path)
        except ModelError as e:
            plan.append(PlannedRun(len(plan), path, "", {}, {}, None, e.render()))
            continue
        weak = tuple(m for m in WEAK if m in (memory_models or ()))
        for mm, cfg, own in meta_runs_with_config(base.meta, weak):  # each memory model's configs, with its @defines
            if memory_models and mm not in memory_models:
                continue
            if configs and (fmt_defines(own) or "default") not in configs:
                continue
            plan.append(PlannedRun(len(plan), path, mm, cfg, own, base))
    if not plan and (memory_models or configs):
        # nothing checked must not read as a pass in CI
        if not configs:
            raise UsageError(f"no run selected: no model given declares memory model {' or '.join(memory_models)} "
                             "(@memory-models in its header; tso and lkmm: a @config naming them)")
        under = f" under memory model {' or '.join(memory_models)}" if memory_models else ""
        raise UsageError(f"no run selected: no model given has configuration {' or '.join(configs)}{under} "
                         "('default', or a @config of its header as the table shows it)")
    return plan


def _outcome(run: PlannedRun, res: RunResult | None, exps, error: str = "") -> RunOutcome:
    if error:
        row = VerifyRow(display_name(run.path), run.memory_model, fmt_defines(run.cfg) or "default",
                        "(load)", "-", "error", 0, 0.0, ERROR, detail=error)
        return RunOutcome(run, [row], None, error)
    rows = []
    for r, exp in zip(res.results.values(), exps):
        if exp is None:
            status = MISSING
        elif r.verdict == UNSUPPORTED == exp:  # acknowledged: the model says this engine cannot decide it
            status = OK
        elif r.verdict in (INCOMPLETE, UNKNOWN, UNSUPPORTED):
            status = INCOMPLETE_ROW
        else:
            status = OK if r.verdict == exp else MISMATCH
        rows.append(VerifyRow(
            display_name(run.path), run.memory_model, fmt_defines(run.cfg) or "default", r.name, exp or "-",
            r.verdict, res.stats.states, res.stats.seconds, status, z3_cell(res, r.name),
            detail=r.message if r.verdict == UNSUPPORTED else "",
        ))
    return RunOutcome(run, rows, res)


def internal_message(e: BaseException) -> str:
    """An internal error's one line, as `rmapcheck check` would print it."""
    if isinstance(e, InternalError):
        return f"internal error: {e}"
    return f"internal error: {type(e).__name__}: {e} (please report this)"


# what ends the whole verify as it ends `check`: bad usage (exit 2), a model nested too deeply
# for the front end (exit 2), an interrupt; any other exception is one run's internal error
FATAL = (RmapcheckError, RecursionError, KeyboardInterrupt)


def _internal(run: PlannedRun, e: BaseException) -> RunOutcome:
    """A run rmapcheck failed on (a witness that does not replay, a bug): one INTERNAL ERROR row
    with the message; it hides no other run's result (verify exits 4, the most severe)."""
    msg = internal_message(e)
    row = VerifyRow(display_name(run.path), run.memory_model, fmt_defines(run.cfg) or "default",
                    "(run)", "-", "internal error", 0, 0.0, INTERNAL, detail=msg)
    return RunOutcome(run, [row], None, msg)


def iter_verify(plan: list[PlannedRun], engine: str = "explicit", limits: Limits | None = None, jobs: int = 1,
                progress_factory=None):
    """Yield a RunOutcome per run as it finishes: in plan order with jobs 1, else in the order
    the worker processes (rmapcheck.jobs) finish them, the heaviest started first.
    progress_factory(label) gives a run's progress callback (jobs 1 only: workers print
    whole lines of their own, or nothing if it is None)."""
    todo = [r for r in plan if not r.error]
    for run in plan:
        if run.error:
            yield _outcome(run, None, None, run.error)
    if jobs > 1 and len(todo) > 1:
        from rmapcheck.jobs import imap_pool, weight

        tasks = [((r.path, r.memory_model, r.cfg, engine, limits, r.own, None), weight(r.base, r.memory_model, r.cfg),
                  r.label if progress_factory else "") for r in todo]
        for k, kind, value in imap_pool(run_one, tasks, jobs):
            if kind == "ok":
                yield _outcome(todo[k], *value)
            elif kind == "model":
                yield _outcome(todo[k], None, None, value.render())
            elif isinstance(value, FATAL):
                raise value
            else:
                yield _internal(todo[k], value)
        return
    for run in todo:
        try:
            res, exps = run_one(run.path, run.memory_model, run.cfg, engine, limits, run.own,
                                None if run.cfg else run.base,
                                progress_factory(run.label) if progress_factory else None)
        except ModelError as e:  # a @config the model does not load with
            yield _outcome(run, None, None, e.render())
            continue
        except FATAL:
            raise
        except Exception as e:  # noqa: BLE001 - an internal error ends this run only
            yield _internal(run, e)
            continue
        yield _outcome(run, res, exps)


def verify(paths: list[str], engine: str = "explicit", limits: Limits | None = None,
           memory_models: list[str] | None = None, progress_factory=None, jobs: int = 1,
           configs: list[str] | None = None):
    """Run every model under each memory model and configuration it declares; compare verdicts.

    Returns (rows, results) in plan order, whatever jobs is (a model that does not load gives
    one ERROR row and no result)."""
    outcomes = sorted(iter_verify(plan_runs(paths, memory_models, configs), engine, limits, jobs, progress_factory),
                      key=lambda o: o.run.index)
    return [row for o in outcomes for row in o.rows], [o.result for o in outcomes if o.result is not None]


def z3_cell(res: RunResult, prop: str) -> str:
    """Under --engine both, z3's own verdict on prop: 'violated (N steps)', 'holds', or the
    undecided verdict; a reader sees which rows z3 confirmed."""
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
    return r.verdict


# the worst first: an internal error (4), a model that does not load (2), a verdict not as
# expected (1), a run a limit stopped (3), every expectation met (0)
EXIT_OF_STATUS = {INTERNAL: 4, ERROR: 2, MISMATCH: 1, MISSING: 1, INCOMPLETE_ROW: 3, OK: 0}
SEVERITY = (4, 2, 1, 3, 0)


def worst(codes) -> int:
    codes = set(codes)
    return next((c for c in SEVERITY if c in codes), 0)


def exit_code(rows: list[VerifyRow]) -> int:
    return worst(EXIT_OF_STATUS[r.status] for r in rows)
