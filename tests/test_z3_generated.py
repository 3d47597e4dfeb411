"""The z3 event engine against the explicit engine on the generated programs
(tests/gen/programs.py: threads, mutexes, release/acquire, allocation that may fail, free,
srcu with grace-period assertions, an invariant), and the memory models against each other.

Under sc the two engines must give every property the same verdict (the explicit engine is
the independent check of the event encoding). sc, tso and lkmm are nested: every sc
execution is a tso execution, and every tso execution is an lkmm one for these programs'
primitives, so what one of them violates the next must violate too (a property a model
leaves `unsupported` is not compared)."""

from __future__ import annotations

import pytest

from gen.programs import program
from rmapcheck.engines.explicit.search import Limits
from rmapcheck.frontend.load import load_model_text
from rmapcheck.properties.verdict import HOLDS, VIOLATED
from rmapcheck.runner import check_program

SEEDS = range(525)
BATCH = 25
MAX_STATES = 20_000
NESTED = ("sc", "tso", "lkmm")


def decided(res) -> dict:
    return {k: r.verdict for k, r in res.results.items() if r.verdict in (HOLDS, VIOLATED)}


@pytest.mark.parametrize("start", range(SEEDS.start, SEEDS.stop, BATCH))
def test_generated_programs_z3_against_explicit_and_nested_models(start):
    problems, compared, too_big = [], 0, []
    for seed in range(start, start + BATCH):
        prog = load_model_text(f"generated_{seed}.c", program(seed), {})
        explicit = check_program(prog, "sc", limits=Limits(max_states=MAX_STATES))
        if not explicit.stats.complete:
            too_big.append(seed)
            continue
        z3 = {mm: decided(check_program(prog, mm, engine="z3")) for mm in NESTED}
        for prop, v in decided(explicit).items():
            if prop in z3["sc"]:
                compared += 1
                if z3["sc"][prop] != v:
                    problems.append(f"seed {seed} {prop}: explicit {v}, z3 sc {z3['sc'][prop]}")
        for strong, weak in zip(NESTED, NESTED[1:]):
            for prop, v in z3[strong].items():
                if v == VIOLATED and z3[weak].get(prop) == HOLDS:
                    problems.append(f"seed {seed} {prop}: {strong} violated, {weak} holds")
    assert not problems, problems
    assert len(too_big) <= 1, too_big
    assert compared >= 10 * (BATCH - len(too_big))  # the properties are compared, not skipped
