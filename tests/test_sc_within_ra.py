"""Differential: ra allows every sc execution, so every property sc finds violated is violated
under ra too, on every unit and regression model and in every configuration a model runs under
both memory models (the KVM models: tests/test_kvm_models.py, which shares their runs).

A violation sc finds and ra misses is an engine bug (the ra leak scan once missed a leak made by
a thread's last step), never a property of the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmapcheck.runner import check_file
from model_runs import model_runs

MODELS = Path(__file__).parent / "models"
SMALL = sorted((MODELS / "unit").glob("*.c")) + sorted((MODELS / "regress").glob("*.c"))
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
