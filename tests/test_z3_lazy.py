"""Lazy axioms (engines/z3ev/lazy.py): a weak model's expensive axioms asserted only when a
candidate execution needs them. The verdicts must be those of the model with every axiom
asserted up front, and a candidate the full judge rejects must make the solver assert the
axiom it fails and solve again."""

from __future__ import annotations

import glob
import os

import pytest
import z3

from gen.programs import program
from rmapcheck.engines.z3ev import weak
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.engines.z3ev.lazy import LazyAxioms
from rmapcheck.engines.z3ev.properties import violation
from rmapcheck.engines.z3ev.unroll import Program
from rmapcheck.errors import InternalError
from rmapcheck.frontend import load_model
from rmapcheck.frontend.load import load_model_text
from rmapcheck.properties.verdict import HOLDS

HERE = os.path.dirname(__file__)
UNIT = os.path.join(HERE, "models", "unit")
GRACE = os.path.join(UNIT, "srcu_grace_period.c")
MODELS = sorted(glob.glob(os.path.join(HERE, "models", "weak", "*.c"))
                + [os.path.join(UNIT, n) for n in ("srcu_grace_period.c", "srcu_section_ended_before_gp.c",
                                                   "srcu_abba_deadlock.c", "uaf_free_without_grace_period.c",
                                                   "lock_leak_srcu_section.c")])
# a sample of test_z3_generated.py's programs, with seeds whose lkmm runs were seen to refine
# (plain-coherence: 285, 445; rcu: 350)
GENERATED = sorted(set(range(0, 525, 15)) | {350, 445})


def verdicts(prog, mm: str, lazy: bool) -> dict:
    """The verdicts (a violation's witness may differ: z3 is free to pick another execution)."""
    return {k: r.verdict for k, r in check_events(prog, memory_model=mm, lazy=lazy).results.items()}


@pytest.mark.parametrize("mm", ["lkmm", "tso"])
@pytest.mark.parametrize("path", MODELS, ids=os.path.basename)
def test_lazy_axioms_give_the_eager_verdicts_on_the_weak_models(path, mm):
    assert verdicts(load_model(path, {}), mm, True) == verdicts(load_model(path, {}), mm, False)


@pytest.mark.parametrize("mm", ["lkmm", "tso"])
def test_lazy_axioms_give_the_eager_verdicts_on_generated_programs(mm):
    differ = []
    for seed in GENERATED:
        text = program(seed)
        lazy = verdicts(load_model_text(f"generated_{seed}.c", text, {}), mm, True)
        eager = verdicts(load_model_text(f"generated_{seed}.c", text, {}), mm, False)
        if lazy != eager:
            differ.append((seed, {k: (v, eager[k]) for k, v in lazy.items() if eager[k] != v}))
    assert not differ, differ


MP_PLAIN = (os.path.join(HERE, "models", "weak", "mp_plain.c"), {})


@pytest.mark.parametrize("path,defines,mm,prop,axiom", [
    # the reader that began its section before the grace period cannot see it end: lkmm's rb,
    # tso's axioms/gp.py
    (GRACE, {}, "lkmm", "gp-waits-for-earlier-readers", "rcu"),
    (GRACE, {}, "tso", "gp-waits-for-earlier-readers", "rcu"),
    # message passing of plain data through a release and an acquire: plain accesses are in
    # no hb or pb edge, plain-coherence forbids the stale read
    (*MP_PLAIN, "lkmm", "data-published", "plain-coherence"),
], ids=["lkmm-rcu", "tso-rcu", "lkmm-plain-coherence"])
def test_a_candidate_a_lazy_axiom_forbids_is_refined_away(path, defines, mm, prop, axiom):
    """Without the axiom there is a violation, which the full judge rejects naming it; the
    lazy run asserts it and proves the property."""
    enc = weak.WeakEncoding(Program(load_model(path, defines)), mm, lazy=True)
    assert axiom not in enc.lazy.asserted
    s = z3.Solver(ctx=enc.ctx)
    s.add(*enc.facts, enc.lazy.formula(), violation(enc, prop))
    assert s.check() == z3.sat  # the eager axioms alone allow the violation
    assert enc.first_failing(s.model()) == axiom
    res = check_events(load_model(path, defines), memory_model=mm, lazy=True)
    assert res.results[prop].verdict == HOLDS
    assert axiom in res.z3_stats["axioms_asserted"]


def test_an_axiom_asserted_and_still_failed_is_an_internal_error():
    """Once asserted, an axiom a candidate fails means the encoding and the judge disagree."""
    enc = weak.WeakEncoding(Program(load_model(GRACE, {})), "lkmm", lazy=True)
    lazy: LazyAxioms = enc.lazy
    lazy.require("rcu")
    assert "rcu" in lazy.asserted
    with pytest.raises(InternalError):
        lazy.require("rcu")
    with pytest.raises(InternalError):
        lazy.require("no-such-axiom")

