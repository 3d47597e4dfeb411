"""Differential: ra allows every sc execution, so every property sc finds violated is violated
under ra too, on every unit, regression and weak test model and in every configuration a model
runs under both memory models (the KVM models: tests/test_kvm_models.py, which shares their
runs), and on the 525 generated programs (tests/gen/programs.py).

A violation sc finds and ra misses is an engine bug (the ra leak scan once missed a leak made by
a thread's last step, and a leak only an old message pointed to when the execution ended in a
deadlock: generated seeds 109 and 403), never a property of the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen.programs import program
from rmapcheck.engines.explicit.search import Limits
from rmapcheck.frontend.load import load_model_text
from rmapcheck.runner import check_file, check_program
from model_runs import model_runs

MODELS = Path(__file__).parent / "models"
SMALL = sorted((MODELS / "unit").glob("*.c")) + sorted((MODELS / "regress").glob("*.c")) + sorted(
    (MODELS / "weak").glob("*.c"))
# runs that end in an engine limit decide nothing (long_local_loop.c is there to hit one)
LIMITED = {"long_local_loop.c"}


def sc_violations_missed_by_ra(path: str, defines: dict | None = None) -> set:
    sc = check_file(path, defines, memory_model="sc")
    assert sc.stats.complete, sc.stats.limit
    violated = {p for p, r in sc.results.items() if r.verdict == "violated"}
    if not violated:
        return set()  # nothing to find under ra
    ra = check_file(path, defines, memory_model="ra")
    assert ra.stats.complete, ra.stats.limit
    return {p for p in violated if ra.results[p].verdict != "violated"}


@pytest.mark.parametrize("run", model_runs([p for p in SMALL if p.name not in LIMITED]), ids=str)
def test_every_sc_violation_is_an_ra_violation(run):
    assert sc_violations_missed_by_ra(str(run.path), run.config) == set()


@pytest.mark.parametrize("start", range(0, 525, 75))
def test_every_sc_violation_is_an_ra_violation_on_generated_programs(start):
    missed, compared = [], 0
    for seed in range(start, start + 75):
        prog = load_model_text(f"generated_{seed}.c", program(seed), {})
        sc, ra = (check_program(prog, mm, limits=Limits(max_states=20_000)) for mm in ("sc", "ra"))
        if not (sc.stats.complete and ra.stats.complete):
            continue
        compared += 1
        missed += [(seed, p) for p, r in sc.results.items() if r.verdict == "violated"
                   and ra.results[p].verdict != "violated"]
    assert not missed
    assert compared >= 70
