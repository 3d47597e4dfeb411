"""footprint.futures, built over the control flow's strongly connected components with shared
Future objects, says exactly what its definition says: a pc's future is the union of the own
accesses of every pc reachable from it (a path stopping at a lock of a barrier). The oracle
here computes that definition directly (reachability as bit masks to a fixpoint, then one
fresh Future per reachable set), on every unit model and every bundled model's configuration
under sc and ra, with and without barriers."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_runs import model_runs
from rmapcheck.engines.explicit.footprint import Footprints, Future, successors
from rmapcheck.frontend import load_model

ROOT = Path(__file__).resolve().parent.parent
# every unit model's configurations; each bundled model's default one (its @configs change
# constants and a few statements, not the shape of the control flow)
RUNS = model_runs(sorted((ROOT / "tests" / "models" / "unit").glob("*.c"))) + \
    [r for r in model_runs(sorted((ROOT / "models").glob("*.c"))) if not r.config]


def _oracle(code, own: list, barriers: frozenset, locks: list) -> list:
    n = len(code)
    succ = [() if barriers and locks[pc] in barriers else
            [s for s in successors(code, pc) if 0 <= s < n] for pc in range(n)]
    reach = [1 << pc for pc in range(n)]
    changed = True
    while changed:
        changed = False
        for pc in range(n):
            r = reach[pc]
            for s in succ[pc]:
                r |= reach[s]
            if r != reach[pc]:
                reach[pc], changed = r, True
    some = [q for q in range(n) if own[q].cells or own[q].alloc]
    built: dict = {}
    out = []
    for pc in range(n):
        f = built.get(reach[pc])
        if f is None:
            f = built[reach[pc]] = Future()
            for q in some:
                if reach[pc] >> q & 1:
                    f.merge(own[q])
        out.append(f)
    return out


def _norm(f: Future):
    return (f.alloc, sorted(
        (repr(r), repr(o), sorted(sorted(x) for x in rs), sorted(sorted(x) for x in ws), sorted(map(repr, vals)))
        for r, d in f.cells.items() for o, (rs, ws, vals) in d.items()))


@pytest.mark.parametrize("mm", ["sc", "ra"])
@pytest.mark.parametrize("run", RUNS, ids=str)
def test_futures_are_the_union_over_the_reachable_pcs(run, mm):
    p = load_model(str(run.path), run.config)
    fp = Footprints(p, mm)
    for th in p.threads:
        code, own, locks = fp._own[id(th.code)]
        held = sorted({o for o in locks if o is not None})
        cases = [frozenset()] + [frozenset([o]) for o in held] + ([frozenset(held)] if len(held) > 1 else [])
        for barriers in cases:
            got = fp.futures_with(code, barriers)
            assert len(got) == len(code)
            # futures_with may drop a lock that is no barrier (a plain store writes its cell)
            want = _oracle(code, own, barriers & fp._lock_only, locks)
            assert [_norm(f) for f in got] == [_norm(f) for f in want], (th.name, sorted(barriers))
