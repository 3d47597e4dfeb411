"""The event engine on bundled KVM models (sc, default configuration) against the explicit engine.

Each verdict the event engine decides equals the explicit engine's, and every property it
does not encode yet says 'unsupported'. The violations here need long interleavings (the
explicit engine's shortest traces run to 20 and more transitions), which the interleaving
encoding never reached; the event engine's witnesses are replayed by the explicit executor
before they are reported. All 17 models agree (docs/engines.md has the measured times);
three run here: models/11 and 14, and models/12, whose deadlock and lock-order cycle z3
finds too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rmapcheck.engines.explicit.search import explore
from rmapcheck.engines.z3ev.engine import check_events
from rmapcheck.engines.z3ev.properties import UNSUPPORTED
from rmapcheck.frontend import load_model
from rmapcheck.properties.verdict import UNSUPPORTED as V_UNSUPPORTED, VIOLATED

KVM = Path(__file__).parent.parent / "models"


@pytest.mark.parametrize("name", ["11_mutant_no_arch_lock.c", "12_mutant_lock_across_sync.c",
                                  "14_mutant_flag_before_alloc.c"])
def test_kvm_model_agrees_with_explicit(name):
    program = load_model(str(KVM / name), {})
    ex = explore(program)
    z = check_events(program)
    violated = 0
    for prop, e in ex.results.items():
        r = z.results[prop]
        if prop in UNSUPPORTED:
            assert r.verdict == V_UNSUPPORTED
            continue
        assert r.verdict == e.verdict, (prop, r.verdict, e.verdict, r.message)
        if r.verdict == VIOLATED:
            violated += 1
            assert r.path is not None and r.path.labels
    assert violated
