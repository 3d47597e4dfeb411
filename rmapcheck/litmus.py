"""Run herd7 C litmus tests: every final state, the condition, herd7's verdict words.

    rmapcheck litmus tests/litmus/*.litmus [--memory-model lkmm|sc|tso|ra]

Under lkmm (the default), sc and tso every candidate execution is enumerated and judged
by the memory model's axioms (rmapcheck/axioms, engines/axiomatic), as herd7 does; under
ra the explicit engine explores the interleavings of its operational release/acquire
model, which has no promises and so misses load buffering (docs/memory-model.md).

For each test: the distinct final states the engine reaches (restricted to what
the test shows: its `locations`, `filter` and condition), those the `filter`
keeps, and how many satisfy the condition's proposition ("Positive") and how
many do not ("Negative"). The verdict is herd7's: `Never` (no state satisfies
it), `Always` (every state does), `Sometimes`; `DEADLOCK` when no execution
ends at all; followed by `DATARACE` when the memory model finds a data race
(LKMM's definition: `lkmm` evaluates linux-kernel.cat's data-race flag, `ra` its own
operational check; `sc` and `tso` do not check races). A test's `Result:` comment, where
present, is compared with that.

Positive and Negative count distinct final states, not executions as herd7
does; the verdict word is the same either way.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

from rmapcheck.errors import ModelError, RmapcheckError
from rmapcheck.ir import nodes as ir

DEFAULT_MEMORY_MODEL = "lkmm"
# Judged by axioms over every candidate execution (rmapcheck/axioms); `ra` is the explicit
# engine's operational release/acquire model.
AXIOMATIC = ("lkmm", "sc", "tso")
MEMORY_MODELS = AXIOMATIC + ("ra",)
# The engines of `rmapcheck litmus` and the memory models each implements: axiomatic
# enumerates the candidate executions and judges each; z3 solves for the executions with
# the same axioms as constraints (engines/axiomatic/z3litmus.py); explicit explores
# interleavings. The first engine listed for a model is its default.
ENGINES = {"axiomatic": AXIOMATIC, "z3": AXIOMATIC, "explicit": ("ra", "sc")}


def engine_for(memory_model: str, engine: str | None) -> str:
    """The engine that runs memory_model (UsageError when the engine does not implement it)."""
    from rmapcheck.errors import UsageError

    if engine is None:
        return "axiomatic" if memory_model in AXIOMATIC else "explicit"
    if memory_model not in ENGINES[engine]:
        raise UsageError(f"the {engine} engine does not implement memory model '{memory_model}' "
                         f"(it implements: {', '.join(ENGINES[engine])})")
    return engine
# Properties whose violation cuts executions short (their final states are missing).
_IGNORED = (ir.P_RACE, ir.P_DEADLOCK, ir.P_LOCKORDER)


@dataclass
class LitmusResult:
    test: object  # frontend.litmus.LitmusTest
    memory_model: str
    word: str  # Never | Sometimes | Always | DEADLOCK | incomplete
    race: bool = False
    race_message: str = ""
    positive: int = 0
    negative: int = 0
    states: list = field(default_factory=list)  # [(env dict, satisfies)], the filtered final states
    explored: int = 0  # states the engine explored
    seconds: float = 0.0
    notes: list = field(default_factory=list)  # other violated properties
    limit: str | None = None
    run: object = None  # the engine's RunResult (verdicts, paths)
    program: object = None
    executions: list = field(default_factory=list)  # axiomatic: one allowed execution per final state
    race_execution: object = None  # axiomatic: an allowed execution with a data race

    @property
    def name(self) -> str:
        return self.test.name

    @property
    def result(self) -> str:
        """herd7's words: 'Sometimes', 'Never DATARACE', ..."""
        return self.word + (" DATARACE" if self.race else "")

    @property
    def expected(self) -> str | None:
        return self.test.expected

    @property
    def status(self) -> str:
        """ok, MISMATCH, known limitation (rmapcheck/litmus_known.py), incomplete or - (no Result:)."""
        if self.limit is not None:
            return "incomplete"
        if self.expected is None:
            return "-"
        if self.expected == self.result:
            return "ok"
        return "known limitation" if self.limitation is not None else "MISMATCH"

    @property
    def limitation(self) -> str | None:
        """Why the result differs from the Result: line, when that is a documented limitation."""
        from rmapcheck.litmus_known import known_limitation

        return known_limitation(self.memory_model, self.name, self.expected, self.result)

    @property
    def validation(self) -> str:
        """herd7's Ok/No: does the final condition (with its quantifier) hold?"""
        q = self.test.quantifier
        ok = self.positive > 0 if q == "exists" else self.positive == 0 if q == "~exists" else self.negative == 0
        return "Ok" if ok else "No"


def _value(v, names: dict):
    if v.__class__ is tuple and len(v) == 2 and v[0] == ir.GLOBAL:
        return ("addr", names.get(v[1], f"global+{v[1]}"))
    return v


def _show(v) -> str:
    return v[1] if isinstance(v, tuple) else str(v)


def state_text(test, env: dict) -> str:
    from rmapcheck.frontend.litmus import key_text

    return " ".join(f"{key_text(k)}={_show(env[k])};" for k in test.keys())


def run_program(test, program, memory_model: str = DEFAULT_MEMORY_MODEL, limits=None,
                engine: str | None = None) -> LitmusResult:
    """Explore a loaded litmus program and judge its final states."""
    engine = engine_for(memory_model, engine)
    if engine != "explicit":
        from rmapcheck.engines.axiomatic.litmus import run_axiomatic

        return run_axiomatic(test, program, memory_model, LitmusResult, _value, engine)
    return _explore(test, program, memory_model, limits)


def _explore(test, program, memory_model: str, limits=None) -> LitmusResult:
    """The explicit engine's answer (ra; sc for the differential tests)."""
    from rmapcheck.engines.explicit.search import explore
    from rmapcheck.frontend.litmus import eval_prop, key_cell
    from rmapcheck.properties.verdict import VIOLATED
    from rmapcheck.runner import memory_for

    keys = test.keys()
    where = {}
    for k in keys:
        where[k] = key_cell(test, program, k)
    names = {off: n for n, (off, _w) in program.globals_by_name.items() if n in test.locations}
    seen: dict = {}

    def on_final(values, sid) -> None:
        env = tuple(_value(values[where[k]], names) for k in keys)
        seen.setdefault(env, None)

    t0 = time.monotonic()
    res = explore(program, limits, memory_for(program, memory_model), None, on_final)
    seconds = time.monotonic() - t0
    out = LitmusResult(test, memory_model, "", explored=res.stats.states, seconds=seconds, run=res,
                       program=program)
    for env_t in seen:
        env = dict(zip(keys, env_t))
        if test.filter is not None and not eval_prop(test.filter, env):
            continue
        sat = eval_prop(test.cond, env)
        out.states.append((env, sat))
        if sat:
            out.positive += 1
        else:
            out.negative += 1
    race = res.results.get(ir.P_RACE)
    if race is not None and race.verdict == VIOLATED:
        out.race, out.race_message = True, race.message
    for name, r in res.results.items():
        if name not in _IGNORED and r.verdict == VIOLATED:
            out.notes.append(f"{name} violated: {r.message}")
    if not res.stats.complete:
        out.limit = res.stats.limit
    out.word = verdict_word(out)
    return out


def verdict_word(r: LitmusResult) -> str:
    """herd7's word for the final states found: Never, Sometimes, Always; DEADLOCK when no
    execution ends; incomplete when a limit cut the search."""
    if r.limit is not None:
        return "incomplete"
    if r.positive + r.negative == 0:
        return "DEADLOCK"
    if r.positive == 0:
        return "Never"
    return "Always" if r.negative == 0 else "Sometimes"


def run_litmus(path: str, memory_model: str = DEFAULT_MEMORY_MODEL, limits=None, text: str | None = None,
               engine: str | None = None) -> LitmusResult:
    """Parse, translate, explore and judge one litmus test."""
    from rmapcheck.frontend.litmus import load_litmus

    engine_for(memory_model, engine)  # a bad combination is a usage error before any file is read
    test, program = load_litmus(path, text)
    return run_program(test, program, memory_model, limits, engine)


# -- output -------------------------------------------------------------------------------------

def results_table(results: list) -> str:
    from tabulate import tabulate

    rows = [[r.name, r.memory_model, r.result, r.positive, r.negative, r.expected or "-", r.status,
             r.explored, f"{r.seconds:.2f}"] for r in results]
    return tabulate(rows, headers=["test", "memory model", "result", "positive", "negative", "expected",
                                   "ok", "states", "seconds"], tablefmt="simple") + "\n"


def herd_block(r: LitmusResult) -> str:
    """herd7's report of one test: its final states, Ok/No, witnesses, observation."""
    from rmapcheck.frontend.litmus import prop_text

    t = r.test
    kind = "Required" if t.quantifier == "forall" else "Allowed"
    lines = [f"Test {t.name} {kind}", f"States {len(r.states)}"]
    for env, sat in sorted(r.states, key=lambda s: state_text(t, s[0])):
        lines.append(state_text(t, env) + ("  <- satisfies the condition" if sat else ""))
    lines.append(r.validation)
    lines.append("Witnesses")
    pos, neg = (r.negative, r.positive) if t.quantifier == "~exists" else (r.positive, r.negative)
    lines.append(f"Positive: {pos} Negative: {neg}")
    if r.race:
        lines.append("Flag data-race")
    cond = prop_text(t.cond)
    lines.append(f"Condition {t.quantifier} ({cond})")
    word = "Never" if r.word == "DEADLOCK" else r.word  # herd7 says 'Never 0 0'; the kernel reads DEADLOCK
    lines.append(f"Observation {t.name} {word} {r.positive} {r.negative}")
    return "\n".join(lines) + "\n"


def race_trace(r: LitmusResult) -> str:
    """The data race a test has: under ra the steps and the race diagram, under an axiomatic
    model the events of an execution that has it."""
    if r.race_execution is not None:
        from rmapcheck.engines.axiomatic.litmus import execution_text

        return execution_text(r.program, r.race_execution)
    from rmapcheck.report.diagram import render_diagram
    from rmapcheck.report.steps import render_steps
    from rmapcheck.runner import attach_traces

    attach_traces(r.program, r.run, r.memory_model)
    pr = r.run.results.get(ir.P_RACE)
    if pr is None or pr.trace is None:
        return ""
    return render_steps(pr.trace) + "\n" + render_diagram(pr.trace)


def dot_text(r: LitmusResult) -> str:
    """DOT graphs of the executions a test's condition is about, as herd7 -show prop draws them:
    one per final state that satisfies the condition (every final state's when none does)."""
    from rmapcheck.report.graph_dot import graph_dot

    pairs = list(zip(r.states, r.executions))
    chosen = [(env, sat, a) for (env, sat), a in pairs if sat] or [(env, sat, a) for (env, sat), a in pairs]
    names = [th.name for th in r.program.threads]
    cell = r.program.global_cells
    out = []
    for k, (env, sat, a) in enumerate(chosen):
        title = (f"{r.name} under {r.memory_model}: {state_text(r.test, env)}"
                 f"{' (satisfies the condition)' if sat else ''}")
        out.append(graph_dot(a.graph, names, lambda c: cell[c].name, title, f"{r.name}_{k}"))
    return "".join(out)


def write_dot(directory: str, results: list, err) -> int:
    """Write DIR/TEST.dot for every result; 0, or 2 when the directory cannot be used."""
    import os

    if os.path.exists(directory) and not os.path.isdir(directory):
        err.write(f"rmapcheck: error: --dot {directory}: exists and is not a directory\n")
        return 2
    os.makedirs(directory, exist_ok=True)
    for r in results:
        with open(os.path.join(directory, f"{r.name}.dot"), "w") as f:
            f.write(dot_text(r))
    return 0


def exit_code(results: list, errors: int) -> int:
    if errors:
        return 2
    if any(r.status == "MISMATCH" for r in results):
        return 1
    if any(r.status == "incomplete" for r in results):
        return 3
    return 0


def run_cli(files: list, memory_model: str = DEFAULT_MEMORY_MODEL, limits=None, states: bool = False,
            out=None, err=None, dot: str | None = None, engine: str | None = None) -> int:
    """`rmapcheck litmus FILE...`: a table of results; exit 1 on a Result: mismatch, 2 on a bad file."""
    from rmapcheck.progress import CurrentStdout, Progress

    out = out or CurrentStdout()  # late: on a terminal the progress line redirects stdout for a while
    err = err or sys.stderr
    try:
        engine = engine_for(memory_model, engine)
    except RmapcheckError as e:
        err.write(f"rmapcheck: error: {e}\n")
        return 2
    if dot is not None and memory_model not in AXIOMATIC:
        err.write(f"rmapcheck: error: --dot draws execution graphs of the axiomatic models "
                  f"({', '.join(AXIOMATIC)}), not of {memory_model}\n")
        return 2
    results: list = []
    errors = 0
    with Progress("litmus", [1.0] * len(files), unit="tests") as bar:
        for k, path in enumerate(files):
            bar.started(os.path.basename(path))
            before = len(results)
            errors += _run_one(path, memory_model, limits, states, results, out, err, engine)
            bar.finished(k, results[-1].explored if len(results) > before else 0)
    if dot is not None and write_dot(dot, results, err):
        return 2
    if results:
        out.write(results_table(results))
    return _report(results, errors, out)


def _run_one(path, memory_model, limits, states, results, out, err, engine=None) -> int:
    """Run one litmus file into results (its states and race trace with --states); 1 if the
    file could not be read, else 0."""
    try:
        r = run_litmus(path, memory_model, limits, engine=engine)
    except ModelError as e:
        err.write(e.render() + "\n")
        return 1
    except RmapcheckError as e:
        err.write(f"rmapcheck: error: {e}\n")
        return 1
    results.append(r)
    if states:
        out.write(herd_block(r) + "\n")
        if r.race:
            out.write(race_trace(r) + "\n")
    return 0


def _report(results: list, errors: int, out) -> int:
    """After the table: each data race, note, known limitation, mismatch and cut run; the exit code."""
    for r in results:
        if r.race:
            out.write(f"\n{r.name}: DATARACE: {r.race_message}\n")
        for note in r.notes:
            out.write(f"\n{r.name}: note: {note} (executions stopped there have no final state)\n")
        if r.status == "known limitation":
            import textwrap

            head = (f"{r.name}: known limitation of {r.memory_model} (expected '{r.expected}', got "
                    f"'{r.result}'; rmapcheck/litmus_known.py):")
            out.write("\n" + textwrap.fill(head, 80) + "\n" + textwrap.fill(r.limitation, 80, initial_indent="  ",
                                                                            subsequent_indent="  ") + "\n")
        if r.status == "MISMATCH":
            loc = r.test.expected_loc
            out.write(f"\n{loc}: {r.name}: expected '{r.expected}', got '{r.result}' under {r.memory_model}\n")
        if r.limit is not None:
            out.write(f"\n{r.name}: incomplete: stopped by {r.limit}\n")
    return exit_code(results, errors)


__all__ = ["LitmusResult", "run_litmus", "run_program", "run_cli", "results_table", "herd_block", "exit_code"]
