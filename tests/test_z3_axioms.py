"""The memory models as z3 constraints (axioms/symbolic.py, symexec.py) and the litmus tests
through z3 (engines/axiomatic/z3litmus.py): the symbolic algebra against the concrete one,
every litmus test's answer through z3 against the concrete enumeration and the kernel's
recorded results, and witnesses the concrete judge must reject."""

import random
from pathlib import Path

import pytest
import z3

from rmapcheck.axioms.formula import Formulas
from rmapcheck.axioms.relation import EventSet, Rel
from rmapcheck.axioms.symbolic import SRel, SSet, Universe
from rmapcheck.errors import InternalError
from rmapcheck.litmus import run_litmus
from rmapcheck.report.conformance import RECORDED

ROOT = Path(__file__).resolve().parents[1]
LITMUS = sorted((ROOT / "tests" / "litmus").glob("*.litmus"))


# -- the symbolic algebra, against relation.py under every assignment tried ---------------------

def _random_pair(rng, n, F, atoms, p):
    """A symbolic relation and, per assignment of the atoms, its concrete value."""
    pairs = {}
    for a in range(n):
        for b in range(n):
            x = rng.random()
            if x < p / 2:
                pairs[(a, b)] = True
            elif x < p:
                pairs[(a, b)] = atoms[rng.randrange(len(atoms))]
    return pairs


def _concrete(n, pairs, val):
    return Rel.of(n, [ab for ab, f in pairs.items() if f is True or val[f]])


@pytest.mark.parametrize("seed", range(25))
def test_symbolic_algebra_matches_the_concrete_one(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 7)
    F = Formulas()
    names = [z3.Bool(f"a{k}") for k in range(4)]
    atoms = [F.atom(b) for b in names]
    u = Universe(F, [True] * n)
    rp, sp = _random_pair(rng, n, F, atoms, 0.3), _random_pair(rng, n, F, atoms, 0.3)
    r, s = SRel.of(u, rp), SRel.of(u, sp)
    mask = rng.getrandbits(n)
    S = SSet(u, {i: True for i in range(n) if mask >> i & 1})
    exprs = {
        "plus": (lambda x, y, m: x.plus),
        "star": (lambda x, y, m: x.star),
        "seq": (lambda x, y, m: x @ y),
        "diff": (lambda x, y, m: x - y),
        "inv-and": (lambda x, y, m: x.inv & y),
        "restrict": (lambda x, y, m: [m] @ (x | y).plus @ [m]),
        "cross": (lambda x, y, m: (x.domain.cross(y.range)) - (m.cross(~m))),
    }
    for k in range(6):
        val = {a: rng.random() < 0.5 for a in atoms}
        assumption = [b if val[a] else z3.Not(b) for a, b in zip(atoms, names)]
        cr, cs = _concrete(n, rp, val), _concrete(n, sp, val)
        cm = EventSet(n, mask)
        for name, fn in exprs.items():
            want = set(fn(cr, cs, cm).pairs())
            sym = fn(r, s, S)
            solver = z3.Solver()
            solver.add(*assumption)
            assert solver.check() == z3.sat
            m = solver.model()
            got = {ab for ab, f in sym.pairs().items() if z3.is_true(m.eval(F.z3(f), model_completion=True))}
            assert got == want, (seed, name)
        for pred in ("acyclic", "irreflexive", "empty"):
            want = getattr(cr | cs, pred)()
            solver = z3.Solver()
            solver.add(*assumption)
            solver.add(F.z3(getattr(r | s, pred)()))
            assert (solver.check() == z3.sat) == want, (seed, pred)


# -- litmus tests: z3 against the enumeration and the recorded results --------------------------

def _states(r):
    return sorted(tuple(sorted(map(str, env.items()))) + (sat,) for env, sat in r.states)


@pytest.mark.parametrize("path", LITMUS, ids=lambda p: p.stem)
def test_z3_gives_the_enumerations_answer_and_the_recorded_one(path):
    for mm in ("lkmm", "sc", "tso"):
        z = run_litmus(str(path), mm, engine="z3")
        c = run_litmus(str(path), mm)
        assert z.result == c.result, f"{path.name} under {mm}: z3 {z.result}, enumeration {c.result}"
        assert _states(z) == _states(c), f"{path.name} under {mm}: the final states differ"
        assert z.limit == c.limit
        if mm == "lkmm":
            assert z.result == z.expected
            if path.stem in RECORDED:
                assert z.result == RECORDED[path.stem]


def test_a_witness_the_concrete_axioms_forbid_is_an_internal_error(monkeypatch):
    """z3 given no axioms at all (every coherent execution allowed) finds a witness that the
    concrete LKMM judge forbids: reported as an internal error, never as a verdict."""
    import rmapcheck.engines.axiomatic.z3litmus as Z

    def nothing(b, races=True):
        return iter(())

    monkeypatch.setattr(Z, "checks_of", lambda mm: nothing)
    with pytest.raises(InternalError, match="forbidden by the concrete lkmm axioms"):
        run_litmus(str(ROOT / "tests/litmus/MP+pooncerelease+poacquireonce.litmus"), "lkmm", engine="z3")


def test_a_corrupted_witness_is_rejected(monkeypatch):
    """A witness whose rf is corrupted (a read given a second write) is not an execution graph."""
    import rmapcheck.engines.axiomatic.z3litmus as Z

    real = Z.LitmusEncoding.witness

    def corrupt(self, m):
        g, combo, where = real(self, m)
        reads = [e.eid for e in g.events if e.kind == "R"]
        writes = [e.eid for e in g.events if e.kind == "IW"]
        g.rf = list(g.rf) + [(writes[0], reads[0])]
        return g, combo, where

    monkeypatch.setattr(Z.LitmusEncoding, "witness", corrupt)
    with pytest.raises(InternalError, match="not an execution graph"):
        run_litmus(str(ROOT / "tests/litmus/MP+poonceonces.litmus"), "lkmm", engine="z3")


def test_an_engine_asked_for_a_model_it_lacks_exits_2_naming_its_models(tmp_path, capsys):
    from rmapcheck.cli import main

    f = str(ROOT / "tests/litmus/MP+poonceonces.litmus")
    assert main(["litmus", "--engine", "z3", "--memory-model", "ra", f]) == 2
    err = capsys.readouterr().err
    assert "z3 engine does not implement memory model 'ra'" in err and "lkmm, sc, tso" in err
    assert main(["litmus", "--engine", "explicit", "--memory-model", "lkmm", f]) == 2
    assert "implements: ra, sc" in capsys.readouterr().err
    assert main(["litmus", "--engine", "z3", f]) == 0
    assert "MP+poonceonces" in capsys.readouterr().out


def test_a_fault_in_an_allowed_execution_is_noted_as_by_the_enumeration(tmp_path):
    f = tmp_path / "null.litmus"
    f.write_text("C null\n{\n\tint x;\n\tint *p;\n}\n\nP0(int **p, int *x)\n{\n\tWRITE_ONCE(*x, 1);\n"
                 "\tsmp_store_release(p, x);\n}\n\nP1(int **p, int *x)\n{\n\tint *r0;\n\tint r1;\n"
                 "\tr0 = READ_ONCE(*p);\n\tr1 = READ_ONCE(*r0);\n}\n\nexists (1:r1=0)\n")
    z, c = run_litmus(str(f), "lkmm", engine="z3"), run_litmus(str(f), "lkmm")
    assert z.result == c.result == "Sometimes"
    assert z.notes == c.notes and "dereferences NULL" in z.notes[0]


def _mp(addr_x, addr_y, eq=None, release=False):
    """Message passing over the interface an event engine feeds (symexec.py): symbolic
    addresses (z3 terms equal to two cells), rf and co left to SymbolicExecution."""
    from rmapcheck.axioms.symexec import SymbolicExecution, SymEvent

    once = frozenset(("once",))
    wtag = frozenset(("release",)) if release else once
    rtag = frozenset(("acquire",)) if release else once
    ev = [SymEvent(0, -1, "IW", frozenset(("IW",)), True, 0, 0, "init x"),
          SymEvent(1, -1, "IW", frozenset(("IW",)), True, 1, 0, "init y"),
          SymEvent(2, 0, "W", once, True, addr_x, 1, "W x=1"),
          SymEvent(3, 0, "W", wtag, True, addr_y, 1, "W y=1"),
          SymEvent(4, 1, "R", rtag, True, addr_y, 1, "R y=1"),
          SymEvent(5, 1, "R", once, True, addr_x, 0, "R x=0")]
    return SymbolicExecution(ev, [(2, 3), (4, 5)], eq=eq)


@pytest.mark.parametrize("mm,release,allowed", [("lkmm", False, True), ("lkmm", True, False),
                                                ("tso", False, False), ("sc", False, False)])
def test_the_interface_an_event_engine_feeds(mm, release, allowed):
    """Symbolic addresses, guards and rf/co made by SymbolicExecution; each model's verdict on
    MP (r1=1, r2=0), and a witness turned back into a graph the concrete judge allows."""
    from rmapcheck.axioms import judge
    from rmapcheck.engines.axiomatic.z3litmus import checks_of

    ax, ay = z3.Int("ax"), z3.Int("ay")
    x = _mp(ax, ay, release=release)
    consistent, _ = x.encode(checks_of(mm))
    s = z3.Solver()
    s.add(*x.facts)
    s.add(consistent, ax == 0, ay == 1)
    assert (s.check() == z3.sat) == allowed
    if allowed:
        g, _ = x.graph(s.model())
        assert judge(mm, g).consistent
        assert sorted(e.label for e in g.events) == sorted(e.label for e in x.events)
    s = z3.Solver()
    s.add(*x.facts)
    s.add(consistent, ax == ay)  # one cell: R x=0 after R y=1 breaks coherence in every model
    assert s.check() == z3.unsat


def _symbolic_of(g):
    """A concrete graph as a symbolic execution with its rf and co fixed (constants)."""
    from rmapcheck.axioms.symexec import SymbolicExecution, SymEvent

    s = g.skel
    ev = [SymEvent(e.eid, e.tid, e.kind, e.tags, True, e.addr, e.value, e.label) for e in s.events]
    rf_set, co = set(g.rf), g.co_rel
    rf = {(w.eid, r.eid): z3.BoolVal((w.eid, r.eid) in rf_set) for r in s.events if r.kind == "R"
          for w in s.events if w.is_write and w.addr == r.addr}
    co_pairs = {(a.eid, b.eid): z3.BoolVal((a.eid, b.eid) in co) for a in s.events for b in s.events
                if a is not b and a.is_write and b.is_write and a.addr == b.addr}
    return SymbolicExecution(ev, s.po, s.addr, s.data, s.ctrl, s.rmw, s.rcu_rscs, s.srcu_rscs, rf=rf, co=co_pairs)


@pytest.mark.parametrize("name", [p.stem for p in LITMUS])
def test_every_candidate_is_judged_alike_by_both_back_ends(name):
    """Forbidden candidates included: the symbolic axioms of one fixed graph are satisfiable
    exactly when the concrete judge allows it, and raise data-race exactly when it does (up to
    40 candidates of every test, 10 per combination of paths)."""
    from itertools import islice, product

    from rmapcheck.axioms import judge
    from rmapcheck.engines.axiomatic.candidates import candidates, skeleton
    from rmapcheck.engines.axiomatic.run import _values_available
    from rmapcheck.engines.axiomatic.paths import Context, thread_paths
    from rmapcheck.engines.axiomatic.z3litmus import checks_of
    from rmapcheck.frontend.litmus import load_litmus

    test, program = load_litmus(str(ROOT / "tests" / "litmus" / f"{name}.litmus"))
    private = [program.globals_by_name[g][0] for g in test.reg_globals.values()]
    rcu = [program.globals_by_name[test.rcu_global][0]] if test.rcu_global else []
    ctx = Context(program, private, rcu)
    paths = thread_paths(program, ctx)
    seen = {"allowed": 0, "forbidden": 0}  # (candidates breaking coherence are not enumerated)
    viable = (c for c in product(*paths.per_thread) if _values_available(c, ctx))
    graphs = [g for combo in islice(viable, 300)
              for g in islice(candidates(skeleton(list(combo), ctx.init)), 10)]
    for g in graphs[:40]:
        for mm in ("lkmm", "tso", "sc"):
            want = judge(mm, g)
            x = _symbolic_of(g)
            consistent, flags = x.encode(checks_of(mm))
            s = z3.Solver()
            s.add(*x.facts)
            s.add(consistent)
            assert (s.check() == z3.sat) == want.consistent, (name, mm, g.rf, g.co, want)
            seen["allowed" if want.consistent else "forbidden"] += 1
            if want.consistent and "data-race" in flags:
                s.add(flags["data-race"][0])
                assert (s.check() == z3.sat) == ("data-race" in want.flags), (name, mm)
    assert seen["allowed"] + seen["forbidden"], name
