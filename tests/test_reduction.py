"""The explicit engine's reduction changes no verdict (`--reduction none` against the default).

Every unit and regression model under sc and ra, at least 500 generated programs (tests/gen/programs.py:
threads, mutexes, release/acquire, allocation that may fail, free, srcu, assertions, an
invariant) under sc and ra, and the KVM models (tests/test_kvm_models.py compares its own runs,
made with the default reduction, against `none`). A reduced counterexample is expanded into
the unreduced steps, so each violation's trace must replay in the unreduced executor (the
replay raises InternalError otherwise) and end in the same violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen.programs import program
from rmapcheck.engines.explicit.executor import DEFAULT_REDUCTION, REDUCTIONS
from rmapcheck.engines.explicit.search import Limits
from rmapcheck.frontend.load import load_model_text
from rmapcheck.runner import check_file, check_program
from model_runs import model_runs

MODELS = Path(__file__).parent / "models"
SMALL = (sorted((MODELS / "unit").glob("*.c")) + sorted((MODELS / "regress").glob("*.c"))
         + sorted((MODELS / "atomics").glob("*.c"))
         + [MODELS / "readme_example.c", MODELS / "toy_copy_lost.c"])  # not the z3_* ones: z3 sized
# a model too slow under one memory model runs there with a smaller parameter (ROUNDS=4 under ra:
# about 15 s per run; ROUNDS=2: 6k states, 2 s); long_local_loop.c ends in the engine's local-step
# limit by design: both runs must say incomplete
SMALLER = {("limits_counter_grid.c", "ra"): {"ROUNDS": 2}}
SEEDS = range(525)
BATCH = 25
MAX_STATES = 20_000
REDUCED = [r for r in REDUCTIONS if r != "none"]  # every reduction, each compared with none


def verdicts(res) -> dict:
    return {name: r.verdict for name, r in res.results.items()}


def same_verdicts(reduced, full) -> list:
    """Differences between a reduced and an unreduced run (verdicts, and each violation's trace
    ending in the violation it was found for)."""
    out = []
    if verdicts(reduced) != verdicts(full):
        diff = {k: (v, verdicts(full)[k]) for k, v in verdicts(reduced).items() if verdicts(full)[k] != v}
        out.append(f"verdicts differ (reduced, none): {diff}")
    for name, r in reduced.results.items():
        if r.verdict == "violated" and r.path is not None and r.path.init != -1:
            assert r.trace is not None, name
            # the expanded path is a path of the unreduced graph: no shorter than the shortest
            if full.results[name].path is not None and name != "lock-order":
                if len(r.path.labels) < len(full.results[name].path.labels):
                    out.append(f"{name}: expanded trace shorter than the unreduced shortest")
    return out


def test_default_reduction_is_not_none():
    assert DEFAULT_REDUCTION != "none"


@pytest.mark.parametrize("mm", ["sc", "ra"])
@pytest.mark.parametrize("run", model_runs(SMALL), ids=str)  # every @config too: a fixed variant is one
def test_small_models_same_verdicts(run, mm):
    path = run.path
    defines = {**run.config, **SMALLER.get((path.name, mm), {})}
    reduced = check_file(str(path), defines, memory_model=mm)
    none = check_file(str(path), defines, memory_model=mm, limits=Limits(reduction="none"))
    assert reduced.stats.reduction == DEFAULT_REDUCTION and none.stats.reduction == "none"
    assert same_verdicts(reduced, none) == []
    for red in REDUCED:
        if red != DEFAULT_REDUCTION:
            other = check_file(str(path), defines, memory_model=mm, limits=Limits(reduction=red))
            assert same_verdicts(other, none) == [], red


@pytest.mark.parametrize("start", range(SEEDS.start, SEEDS.stop, BATCH))
def test_generated_programs_same_verdicts(start):
    """BATCH generated programs per test, under sc and ra, with and without the reduction.
    A program whose unreduced run passes MAX_STATES is left out (it decides nothing); at
    most one per batch may be, so that 21 x 24 >= 500 programs are compared."""
    problems = []
    states = dict.fromkeys(REDUCTIONS, 0)
    too_big = []
    for seed in range(start, start + BATCH):
        prog = load_model_text(f"generated_{seed}.c", program(seed), {})
        runs = {}
        for mm in ("sc", "ra"):
            for red in states:
                runs[mm, red] = check_program(prog, mm, limits=Limits(max_states=MAX_STATES, reduction=red))
        if not all(res.stats.complete for (mm, red), res in runs.items() if red == "none"):
            too_big.append(seed)
            continue
        for (mm, red), res in runs.items():
            assert res.stats.complete, (seed, mm, red, res.stats.limit)
            states[red] += res.stats.states
        for mm in ("sc", "ra"):
            for red in REDUCED:
                for p in same_verdicts(runs[mm, red], runs[mm, "none"]):
                    problems.append(f"seed {seed} {mm} {red}: {p}")
    assert not problems, problems
    assert len(too_big) <= 1, too_big
    assert states["persistent"] <= states["movers"] <= states["private"] <= states["none"]
