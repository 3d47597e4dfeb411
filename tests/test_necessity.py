"""`rmapcheck necessity`: each synchronisation element removed or weakened in turn.

On tests/models/reports/lazy_alloc_design.c (a design that holds under sc and ra) every
element has a known answer; the KVM models get the same check when they exist.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cli_inprocess import run_cli
from rmapcheck.cli import main
from rmapcheck.errors import ModelError
from rmapcheck.frontend import load_model
from rmapcheck.frontend.load import load_model_text
from rmapcheck.ir import nodes as ir
from rmapcheck.necessity import find_elements, mutate, necessity
from rmapcheck.runner import check_program

ROOT = Path(__file__).resolve().parent.parent
DESIGN = "tests/models/reports/lazy_alloc_design.c"


def cli(*args):
    r = run_cli(*args)
    return r.returncode, r.stdout, r.stderr


def _run(**kw):
    digest = hashlib.sha256((ROOT / DESIGN).read_bytes()).hexdigest()
    baseline, outcomes = necessity(str(ROOT / DESIGN), **kw)
    # the model file is never touched
    assert hashlib.sha256((ROOT / DESIGN).read_bytes()).hexdigest() == digest
    return baseline, {(o.element.kind, o.element.line): o for o in outcomes}


@pytest.fixture(scope="module")
def design():
    """--all: each variant explored to the end under both memory models: every property that breaks."""
    return _run(every=True)


@pytest.fixture(scope="module")
def first_break():
    """The default: sc, then ra if nothing broke under sc; each run stops at its first break."""
    return _run()


def breaks(o) -> set:
    return {(p, mm) for p, mm, _ in o.breaks}


def test_the_design_holds(design):
    baseline, _ = design
    assert set(baseline) == {"sc", "ra"}
    for res in baseline.values():
        assert all(r.verdict == "holds" for r in res.results.values())


def test_elements_found_on_the_ir(design):
    _, by = design
    assert sorted(by) == [
        ("acquire", 26), ("acquire", 56), ("declared", 11), ("error-unlock", 31), ("error-unlock", 37),
        ("lock", 28), ("release", 41), ("srcu-section", 48),
    ]
    assert by[("lock", 28)].element.change == "lock and its unlocks (line 31, 37, 42) removed"
    assert by[("declared", 11)].element.define == "NO_RECHECK"


def test_what_each_removal_breaks(design):
    _, by = design
    # no lock: two vCPUs allocate, one pointer is overwritten
    assert ("no-leak", "sc") in breaks(by[("lock", 28)])
    # the re-check under the lock (declared, left out with -D NO_RECHECK=1): same leak
    assert ("no-leak", "sc") in breaks(by[("declared", 11)])
    # the unlock on the allocation-failure path: the lock is leaked, the other vCPU deadlocks
    assert {("no-lock-leak", "sc"), ("no-deadlock", "sc")} <= breaks(by[("error-unlock", 37)])
    # the unlock on the re-check path
    assert ("no-lock-leak", "sc") in breaks(by[("error-unlock", 31)])
    # release and acquire matter under weak memory only
    for key in (("release", 41), ("acquire", 56)):
        b = breaks(by[key])
        assert ("rmaps-present", "ra") in b and not any(mm == "sc" for _, mm in b), key
    # the fast path's acquire only races (its reader re-checks under the lock)
    assert breaks(by[("acquire", 26)]) == {("no-data-race", "ra")}
    # the vCPU's srcu read section protects nothing in this model
    o = by[("srcu-section", 48)]
    assert o.breaks == [] and o.summary == "nothing breaks" and o.trace is None


def test_each_break_comes_with_its_shortest_trace(design):
    _, by = design
    for o in by.values():
        if o.breaks:
            assert o.trace is not None
            assert len(o.trace.steps) == min(n for _, _, n in o.breaks)
            assert (o.trace_prop, o.trace_mm) in breaks(o)


def test_first_break_agrees_with_the_full_runs(design, first_break):
    """Stopping at the first break changes no answer: the same elements break, under the first
    memory model (sc before ra) where the full runs see them break, with a counterexample as
    short as the full runs' shortest there; and each property it names breaks in the full run."""
    _, full = design
    _, first = first_break
    assert sorted(full) == sorted(first)
    for key, f in full.items():
        o = first[key]
        assert bool(o.breaks) == bool(f.breaks), key
        if not f.breaks:
            assert o.summary == "nothing breaks" and not o.incomplete
            continue
        mm = "sc" if any(m == "sc" for _, m, _ in f.breaks) else "ra"
        assert {m for _, m, _ in o.breaks} == {mm}, key
        assert breaks(o) <= breaks(f), key
        shortest = min(n for _, m, n in f.breaks if m == mm)
        assert len(o.trace.steps) == shortest and o.trace_mm == mm, key
    # the unlock on the failure path: the leaked lock shows first (6 steps), the deadlock later
    assert breaks(first[("error-unlock", 37)]) == {("no-lock-leak", "sc")}


def test_necessity_in_workers_says_the_same(first_break):
    """-j 2 (each variant in a worker process) gives the same answers and traces as -j 1."""
    _, first = first_break
    _, par = _run(jobs=2)
    for key, o in first.items():
        p = par[key]
        assert (p.breaks, p.incomplete, p.trace_prop, p.trace_mm) == (o.breaks, o.incomplete, o.trace_prop,
                                                                      o.trace_mm), key
        assert (p.trace is None) == (o.trace is None)
        if o.trace is not None:
            assert p.trace.steps == o.trace.steps


def test_mutations_are_on_a_copy():
    program = load_model(str(ROOT / DESIGN))
    before = [list(th.code) for th in program.threads]
    for el in find_elements(program):
        if el.define:
            continue
        new = mutate(program, el)
        assert new is not program
        for t, pc, how in el.sites:
            if how == "remove":
                assert isinstance(new.threads[t].code[pc], ir.Jump)
            else:
                assert new.threads[t].code[pc].order == ir.PLAIN
    assert [list(th.code) for th in program.threads] == before
    assert all(r.verdict == "holds" for r in check_program(program, "sc").results.values())


def test_cli_table_and_json():
    code, out, err = cli("necessity", DESIGN, "--all")
    assert code == 0, err
    assert "nothing breaks" in out and "RECHECK: the re-check of the flag under the lock" in out
    assert "== " in out and "CPU0 (" in out  # the shortest traces follow the table
    assert "/work/" not in out
    code, out, _ = cli("necessity", DESIGN, "--format", "json", "--memory-model", "sc")
    doc = json.loads(out)
    assert set(doc["baseline"]) == {"sc"}
    rows = {(e["kind"], e["line"]): e for e in doc["elements"]}
    assert rows[("srcu-section", 48)]["summary"] == "nothing breaks"
    assert rows[("release", 41)]["summary"] == "nothing breaks"  # under sc alone
    assert rows[("lock", 28)]["shortest"]["property"] == "no-leak"


def test_unit_model_lock_around_the_copy():
    code, out, _ = cli("necessity", "tests/models/unit/lost_update_array_copy.c", "-D", "FIX=1", "--no-traces")
    assert code == 0
    assert "line 33: mutex_lock(" in out and "-> lock and its unlocks (line" in out
    assert max(len(ln) for ln in out.splitlines()) <= 80
    # removing the writer's lock around duplicate..install loses the rmap (B8)
    doc = json.loads(cli("necessity", "tests/models/unit/lost_update_array_copy.c", "-D", "FIX=1",
                         "--format", "json")[1])
    rows = {(e["kind"], e["line"]): e for e in doc["elements"]}
    assert "rmaps-present [sc]" in rows[("lock", 33)]["summary"]
    assert rows[("synchronize_srcu", 40)]["summary"] == "nothing breaks"


def test_element_header_key():
    src = ("/*\n * @thread main\n * @element FAST the fast path\n * @expect sc * holds\n */\n"
           "int x;\nvoid main(void) {\n#ifndef NO_FAST\n WRITE_ONCE(x, 1);\n#endif\n}\n")
    p = load_model_text("m.c", src, {})
    assert p.meta.elements == [("FAST", "the fast path", 3)]
    with pytest.raises(ModelError, match="@element takes a name and a description"):
        load_model_text("m.c", src.replace("FAST the fast path", "FAST"), {})


def test_declared_element_without_its_ifndef_is_an_error(tmp_path):
    src = ("/*\n * @thread main\n * @element GHOST a guard the code does not have\n * @expect sc * holds\n */\n"
           "int x;\nvoid main(void) { WRITE_ONCE(x, 1); }\n")
    p = tmp_path / "ghost.c"
    p.write_text(src)
    code, out, _ = cli("necessity", str(p))
    assert code == 2
    assert "error: element 1 (GHOST): the model has no #ifndef NO_GHOST" in out


KVM = sorted((ROOT / "models").glob("*.c")) if (ROOT / "models").is_dir() else []


def _kvm_model(version: str):
    for p in KVM:
        head = p.read_text()[:3000]
        if version in p.name or f"Linux {version}" in head:
            return p
    return None


@pytest.mark.skipif(_kvm_model("5.16") is None and _kvm_model("5.17") is None, reason="no 5.16/5.17 KVM model yet")
def test_kvm_design_necessity():
    """On the 5.16 model (one slot, sc, a few elements, to stay fast): removing synchronize_srcu
    breaks a property; an acquire load made plain breaks nothing under sc, and says so."""
    p = _kvm_model("5.16") or _kvm_model("5.17")
    defines = {"NR_SLOTS": 1}
    program = load_model(str(p), defines)
    elements = find_elements(program)
    kinds = {e.kind for e in elements}
    assert {"lock", "error-unlock", "acquire", "release", "synchronize_srcu", "srcu-section"} <= kinds
    sync = next(e for e in elements if e.kind == "synchronize_srcu")
    acq = next(e for e in elements if e.kind == "acquire")
    baseline, outcomes = necessity(str(p), defines, ["sc"], only=[str(sync.line), str(acq.line)])
    by = {(o.element.kind, o.element.line): o for o in outcomes}
    o = by[("synchronize_srcu", sync.line)]
    assert o.breaks and o.trace is not None and o.trace.steps
    assert by[("acquire", acq.line)].summary == "nothing breaks"
