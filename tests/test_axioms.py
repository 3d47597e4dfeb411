"""The axioms (rmapcheck/axioms): relation algebra against networkx, well-formedness of
execution graphs, hand-built graphs each model must allow or forbid (corrupted graphs
included), and the litmus tests judged against the kernel's recorded LKMM results."""

import random
from pathlib import Path

import networkx as nx
import pytest

from rmapcheck.axioms import GraphError, judge
from rmapcheck.axioms.graph import Event, ExecutionGraph, Skeleton
from rmapcheck.axioms.relation import EventSet, Rel, acyclic, cross, find_cycle
from rmapcheck.frontend.litmus import load_litmus
from rmapcheck.litmus import run_litmus, run_program
from rmapcheck.report.conformance import RECORDED

ROOT = Path(__file__).resolve().parents[1]
LITMUS = sorted((ROOT / "tests" / "litmus").glob("*.litmus"))


# -- the relation algebra, checked against networkx ---------------------------------------------

def _random_rel(rng, n, p):
    return Rel.of(n, [(a, b) for a in range(n) for b in range(n) if rng.random() < p])


def _nx(r: Rel) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(r.n))
    g.add_edges_from(r.pairs())
    return g


@pytest.mark.parametrize("seed", range(30))
def test_algebra_matches_networkx(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    r, s = _random_rel(rng, n, 0.15), _random_rel(rng, n, 0.2)
    g = _nx(r)
    closure = {(a, b) for a in range(n) for s_ in g.successors(a) for b in {s_} | nx.descendants(g, s_)}
    assert set(r.plus.pairs()) == closure
    assert set(r.star.pairs()) == closure | {(a, a) for a in range(n)}
    assert acyclic(r) == nx.is_directed_acyclic_graph(g)
    seq = {(a, c) for a, b in r.pairs() for b2, c in s.pairs() if b == b2}
    assert set((r @ s).pairs()) == seq
    assert set(r.inv.pairs()) == {(b, a) for a, b in r.pairs()}
    m = EventSet(n, rng.getrandbits(n))
    assert set(([m] @ r @ [m]).pairs()) == {(a, b) for a, b in r.pairs() if a in m and b in m}
    assert set((r - s).pairs()) == set(r.pairs()) - set(s.pairs())
    assert set(cross(m, ~m).pairs()) == {(a, b) for a in m for b in range(n) if b not in m}
    cyc = find_cycle(r)
    assert bool(cyc) != acyclic(r)
    for a, b in zip(cyc, cyc[1:] + cyc[:1]):
        assert (a, b) in r


# -- hand-built execution graphs ------------------------------------------------------------------

def ev(eid, tid, kind, addr, value, *tags):
    return Event(eid, tid, kind, addr, value, frozenset(tags) or frozenset(("once",)))


def sb(fence: str | None):
    """Store buffering: P0: x=1; [fence]; r0=y   P1: y=1; [fence]; r1=x, both reads from init."""
    e = [ev(0, -1, "IW", "x", 0, "IW"), ev(1, -1, "IW", "y", 0, "IW"),
         ev(2, 0, "W", "x", 1), ev(3, 0, "R", "y", 0), ev(4, 1, "W", "y", 1), ev(5, 1, "R", "x", 0)]
    po = [(2, 3), (4, 5)]
    if fence:
        e += [ev(6, 0, "F", None, None, fence), ev(7, 1, "F", None, None, fence)]
        po = [(2, 6), (6, 3), (4, 7), (7, 5)]
    skel = Skeleton(e, po)
    return ExecutionGraph(skel, rf=[(1, 3), (0, 5)], co=[(0, 2), (1, 4)])


def mp(wtag: str, rtag: str):
    """Message passing: P0: x=1; y=1 (wtag)   P1: r0=y (rtag) reads 1; r1=x reads init."""
    e = [ev(0, -1, "IW", "x", 0, "IW"), ev(1, -1, "IW", "y", 0, "IW"),
         ev(2, 0, "W", "x", 1), ev(3, 0, "W", "y", 1, wtag), ev(4, 1, "R", "y", 1, rtag), ev(5, 1, "R", "x", 0)]
    skel = Skeleton(e, [(2, 3), (4, 5)])
    return ExecutionGraph(skel, rf=[(3, 4), (0, 5)], co=[(0, 2), (1, 3)])


def test_sb_allowed_except_under_sc_and_with_smp_mb():
    g = sb(None)
    assert judge("lkmm", g).consistent
    assert judge("tso", g).consistent  # the store buffer
    assert judge("sc", g).failed == "sc"
    g = sb("smp_mb")
    assert judge("lkmm", g).failed == "propagation"
    assert judge("tso", g).failed == "tso"


def test_mp_release_acquire_forbidden_once_allowed():
    assert judge("lkmm", mp("once", "once")).consistent
    assert judge("lkmm", mp("release", "acquire")).failed == "happens-before"
    assert judge("tso", mp("once", "once")).failed == "tso"  # TSO keeps W->W and R->R


def test_corrupted_graphs_are_rejected():
    g = sb(None)
    # rf from a write to another address
    bad = ExecutionGraph(g.skel, rf=[(1, 3), (1, 5)], co=g.co)
    with pytest.raises(GraphError, match="the write is to y, the read from x"):
        judge("lkmm", bad)
    # rf from a write of another value
    bad = ExecutionGraph(g.skel, rf=[(1, 3), (2, 5)], co=g.co)
    with pytest.raises(GraphError, match="returns 0, the write wrote 1"):
        judge("sc", bad)
    # a read that reads from no write
    bad = ExecutionGraph(g.skel, rf=[(1, 3)], co=g.co)
    with pytest.raises(GraphError, match="reads from 0 writes"):
        judge("tso", bad)
    # co not total: the initial write of x and the write x=1 unordered
    bad = ExecutionGraph(g.skel, rf=g.rf, co=[(1, 4)])
    with pytest.raises(GraphError, match="not total"):
        judge("lkmm", bad)
    # co with a write before the initial write
    bad = ExecutionGraph(g.skel, rf=g.rf, co=[(2, 0), (1, 4)])
    with pytest.raises(GraphError, match="before the initial write"):
        judge("lkmm", bad)
    # po across threads
    skel = Skeleton(g.skel.events, [(2, 3), (4, 5), (3, 4)])
    with pytest.raises(GraphError, match="different threads"):
        judge("lkmm", ExecutionGraph(skel, g.rf, g.co))


def test_coherence_cycle_is_forbidden_by_every_model():
    """CoRR: one thread reads x=1 then x=0 (init) while x=1 is co-after init: fr ; rf ; po-loc cycle."""
    e = [ev(0, -1, "IW", "x", 0, "IW"), ev(1, 0, "W", "x", 1), ev(2, 1, "R", "x", 1), ev(3, 1, "R", "x", 0)]
    g = ExecutionGraph(Skeleton(e, [(2, 3)]), rf=[(1, 2), (0, 3)], co=[(0, 1)])
    assert judge("lkmm", g).failed == "coherence"
    assert judge("tso", g).failed == "uniproc"
    assert judge("sc", g).failed == "sc"


def test_load_buffering_allowed_by_lkmm_not_with_dependencies():
    """LB: each read reads the other thread's later write; a data dependency on both sides forbids it."""
    def lb(dep: bool):
        e = [ev(0, -1, "IW", "x", 0, "IW"), ev(1, -1, "IW", "y", 0, "IW"),
             ev(2, 0, "R", "x", 1), ev(3, 0, "W", "y", 1), ev(4, 1, "R", "y", 1), ev(5, 1, "W", "x", 1)]
        data = [(2, 3), (4, 5)] if dep else []
        return ExecutionGraph(Skeleton(e, [(2, 3), (4, 5)], data=data), rf=[(5, 2), (3, 4)], co=[(0, 5), (1, 3)])

    assert judge("lkmm", lb(False)).consistent
    assert judge("lkmm", lb(True)).failed == "happens-before"
    assert not judge("tso", lb(False)).consistent


def test_atomicity_forbids_a_write_between_an_rmw_read_and_write():
    e = [ev(0, -1, "IW", "x", 0, "IW"), ev(1, 0, "R", "x", 0, "once", "rmw"), ev(2, 0, "W", "x", 1, "once", "rmw"),
         ev(3, 1, "W", "x", 5)]
    skel = Skeleton(e, [(1, 2)], rmw=[(1, 2)])
    g = ExecutionGraph(skel, rf=[(0, 1)], co=[(0, 3), (3, 2)])
    for mm in ("lkmm", "tso", "sc"):
        assert judge(mm, g).failed == "atomic"
    ok = ExecutionGraph(skel, rf=[(0, 1)], co=[(0, 2), (2, 3)])
    assert all(judge(mm, ok).consistent for mm in ("lkmm", "tso", "sc"))


def test_plain_race_flagged():
    e = [ev(0, -1, "IW", "x", 0, "IW"), ev(1, 0, "W", "x", 1, "plain"), ev(2, 1, "R", "x", 0, "plain")]
    g = ExecutionGraph(Skeleton(e, []), rf=[(0, 2)], co=[(0, 1)])
    j = judge("lkmm", g)
    assert j.consistent and j.flags == ("data-race",) and set(j.races) & {(1, 2), (2, 1)}


# -- litmus tests against the kernel's recorded results ------------------------------------------

@pytest.mark.parametrize("path", LITMUS, ids=lambda p: p.stem)
def test_lkmm_gives_the_recorded_result(path):
    r = run_litmus(str(path), "lkmm")
    assert r.result == r.expected, f"{path.name}: LKMM says {r.expected}, lkmm {r.result}"
    if path.stem in RECORDED:
        assert r.result == RECORDED[path.stem]


@pytest.mark.parametrize("path", LITMUS, ids=lambda p: p.stem)
def test_models_nest_and_sc_axioms_match_the_explicit_engine(path):
    """sc's final states are the explicit engine's (interleavings), and sc <= tso <= lkmm:
    every outcome a stronger model allows, a weaker one allows (x86 implements LKMM)."""
    import rmapcheck.litmus as L

    states = {}
    for mm in ("sc", "tso", "lkmm"):
        test, prog = load_litmus(str(path))
        states[mm] = {tuple(sorted(map(str, env.items()))) for env, _ in run_program(test, prog, mm).states}
    test, prog = load_litmus(str(path))
    explicit = L._explore(test, prog, "sc")
    assert states["sc"] == {tuple(sorted(map(str, env.items()))) for env, _ in explicit.states}
    assert states["sc"] <= states["tso"] <= states["lkmm"]


# -- the command line -----------------------------------------------------------------------------

def test_litmus_dot_draws_po_rf_co_fr(tmp_path, capsys):
    import shutil
    import subprocess

    from rmapcheck.cli import main

    sb = ROOT / "tests" / "litmus" / "SB+poonceonces.litmus"
    assert main(["litmus", "--dot", str(tmp_path / "g"), str(sb)]) == 0
    text = (tmp_path / "g" / "SB+poonceonces.dot").read_text()
    assert "satisfies the condition" in text
    for rel in ("po", "rf", "co", "fr"):
        assert f"[label={rel}" in text
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg", "-o", str(tmp_path / "g.svg"), str(tmp_path / "g" / "SB+poonceonces.dot")],
                       check=True)
    capsys.readouterr()
    assert main(["litmus", "--memory-model", "ra", "--dot", str(tmp_path / "h"), str(sb)]) == 2
    assert "--dot draws execution graphs of the axiomatic models" in capsys.readouterr().err


LB_HIDDEN = """\
C LB+hidden-ctrl
(* A write after an if is not control-dependent on the if's condition (LKMM's ctrl reaches only
   the arms), and the value it writes is a constant the branch chose: no dependency at all, so
   LKMM allows the load-buffering cycle, although the value 1 is written only when 1 was read. *)
{}
P0(int *x, int *y)
{
	int r1;
	int t;

	r1 = 1;
	t = READ_ONCE(*x);
	if (t == 0)
		r1 = 0;
	WRITE_ONCE(*y, r1);
}
P1(int *x, int *y)
{
	int r2;

	r2 = READ_ONCE(*y);
	WRITE_ONCE(*x, r2);
}
exists (1:r2=1)
"""


def test_ctrl_covers_the_arms_only_and_cycles_of_constants_are_found(tmp_path):
    p = tmp_path / "lb.litmus"
    p.write_text(LB_HIDDEN)
    assert run_litmus(str(p), "lkmm").result == "Sometimes"
    assert run_litmus(str(p), "sc").result == "Never"
    # the same write inside the if's arm is control-dependent: the cycle is gone
    p.write_text(LB_HIDDEN.replace("\tif (t == 0)\n\t\tr1 = 0;\n\tWRITE_ONCE(*y, r1);",
                                   "\tif (t != 0)\n\t\tWRITE_ONCE(*y, 1);"))
    assert run_litmus(str(p), "lkmm").result == "Never"


SRCU_OVERLAP = """\
C srcu-overlap
(* Two SRCU read-side sections of one srcu_struct that overlap without nesting: the first ends
   (its own index passed back) while the second is still open. No one section holds both reads,
   so the grace period may fall between them: LKMM allows r2=0 with r1=1. Matching the unlocks
   by nesting instead would make one section hold both reads and answer Never. *)
{}
P0(int *x, int *y, struct srcu_struct *s)
{
	int r1;
	int r2;
	int i1;
	int i2;

	i1 = srcu_read_lock(s);
	r2 = READ_ONCE(*y);
	i2 = srcu_read_lock(s);
	srcu_read_unlock(s, i1);
	r1 = READ_ONCE(*x);
	srcu_read_unlock(s, i2);
}
P1(int *x, int *y, struct srcu_struct *s)
{
	WRITE_ONCE(*y, 1);
	synchronize_srcu(s);
	WRITE_ONCE(*x, 1);
}
exists (0:r1=1 /\\ 0:r2=0)
"""


def test_srcu_sections_are_matched_by_their_index(tmp_path):
    p = tmp_path / "srcu.litmus"
    p.write_text(SRCU_OVERLAP)
    assert run_litmus(str(p), "lkmm").result == "Sometimes"
    # properly nested (the inner index first): one section holds both reads, the grace period
    # cannot fall between them
    p.write_text(SRCU_OVERLAP.replace("srcu_read_unlock(s, i1);\n\tr1 = READ_ONCE(*x);\n\tsrcu_read_unlock(s, i2);",
                                      "srcu_read_unlock(s, i2);\n\tr1 = READ_ONCE(*x);\n\tsrcu_read_unlock(s, i1);"))
    assert run_litmus(str(p), "lkmm").result == "Never"


ATOMIC_SB = """\
C SB+atomics
{}
P0(int *x, atomic_t *a)
{
	int r0;
	int t;

	WRITE_ONCE(*x, 1);
	t = atomic_add_return(1, a);
	r0 = READ_ONCE(*x);
}
P1(int *x, atomic_t *a)
{
	int r1;
	int u;

	u = atomic_add_return(1, a);
	r1 = READ_ONCE(*x);
}
exists (a=1)
"""


@pytest.mark.parametrize("variant,word", [
    ("atomic_add_return", "Never"),  # two increments, each atomic: the final value is 2
    ("atomic_add_return_relaxed", "Never"),  # atomicity does not depend on the ordering variant
])
def test_rmw_events_are_atomic(tmp_path, variant, word):
    p = tmp_path / "a.litmus"
    p.write_text(ATOMIC_SB.replace("atomic_add_return(", f"{variant}("))
    for mm in ("lkmm", "tso", "sc"):
        assert run_litmus(str(p), mm).result == word, mm


CMPXCHG_SB = """\
C SB+cmpxchg
{ int y = 5; }
P0(int *x, int *y)
{
	int r0;

	WRITE_ONCE(*x, 1);
	r0 = cmpxchg(y, 0, 1);
	r0 = READ_ONCE(*z);
}
P1(int *x, int *z)
{
	int r1;

	WRITE_ONCE(*z, 1);
	smp_mb();
	r1 = READ_ONCE(*x);
}
exists (0:r0=0 /\\ 1:r1=0)
"""


def test_failed_cmpxchg_orders_nothing_successful_one_is_a_full_fence(tmp_path):
    """cmpxchg is fully ordered when it writes; when it fails (y is 5, not 0) it is a relaxed read
    (linux-kernel.bell's FailedRMW), so store buffering stays possible."""
    p = tmp_path / "c.litmus"
    text = CMPXCHG_SB.replace("P0(int *x, int *y)", "P0(int *x, int *y, int *z)")
    p.write_text(text)
    assert run_litmus(str(p), "lkmm").result == "Sometimes"
    p.write_text(text.replace("{ int y = 5; }", "{ int y = 0; }"))
    assert run_litmus(str(p), "lkmm").result == "Never"


def test_the_axioms_are_independent_of_the_engines_and_z3():
    """The judge of executions computes on its own: importing it loads no engine and no z3."""
    import subprocess
    import sys

    code = ("import sys; import rmapcheck.axioms.lkmm, rmapcheck.axioms.sc, rmapcheck.axioms.tso; "
            "bad = [m for m in sys.modules if m == 'z3' or m.startswith(('z3.', 'rmapcheck.engines'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


LB_RMW = """\
C LB+ctrl-atomicinc+atomicread-data
{}
P0(int *x, atomic_t *y)
{
	int r0;

	r0 = READ_ONCE(*x);
	if (r0)
		atomic_inc(y);
}
P1(int *x, atomic_t *y)
{
	int r1;

	r1 = atomic_read(y);
	WRITE_ONCE(*x, r1);
}
exists (0:r0=1 /\\ 1:r1=1)
"""


def test_a_read_modify_write_in_an_if_arm_is_control_dependent(tmp_path):
    p = tmp_path / "lb.litmus"
    p.write_text(LB_RMW)
    assert run_litmus(str(p), "lkmm").result == "Never"  # ctrl ; rfe ; data ; rfe: an hb cycle
    p.write_text(LB_RMW.replace("\tif (r0)\n\t\tatomic_inc(y);", "\tatomic_inc(y);"))
    assert run_litmus(str(p), "lkmm").result == "Sometimes"  # no dependency: load buffering


# x86-TSO's answers for the plain shapes (Owens, Sarkar, Sewell, "A better x86 memory model:
# x86-TSO", and herd7's x86 results): only a store followed by a load of another cell may be
# reordered, so exactly the store-buffering shapes are observable.
X86_TSO = {
    "SB+poonceonces": "Sometimes",
    "SB+rfionceonce-poonceonces": "Sometimes",
    "R+poonceonces": "Sometimes",
    "SB+fencembonceonces": "Never",
    "R+fencembonceonces": "Never",
    "MP+poonceonces": "Never",
    "LB+poonceonces": "Never",
    "S+poonceonces": "Never",
    "2+2W+poonceonces": "Never",
    "WRC+poonceonces+Once": "Never",
    "ISA2+poonceonces": "Never",
    "IRIW+poonceonces+OnceOnce": "Never",
}


@pytest.mark.parametrize("name,word", sorted(X86_TSO.items()))
def test_tso_gives_x86_tso_results(name, word):
    assert run_litmus(str(ROOT / "tests" / "litmus" / f"{name}.litmus"), "tso").word == word
