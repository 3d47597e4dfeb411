"""The explicit-state engine against unit models with known answers.

Every model in tests/models/unit/ declares its answer with @expect lines, and the table
VIOLATED below repeats it, so that a header edit cannot silently change what is tested.
Traces are compared as text, in both renderings, with golden files in tests/golden/;
regenerate them after an intended change with

    RMAPCHECK_REGEN=1 python -m pytest -q tests/test_engine.py

and review the diff. Speed is measured in benchmarks/, never here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rmapcheck.engines.explicit.executor import Executor
from rmapcheck.engines.explicit.search import Limits
from rmapcheck.frontend import load_model
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import HOLDS, INCOMPLETE, VIOLATED
from rmapcheck.report.diagram import render_diagram
from rmapcheck.report.steps import render_steps
from rmapcheck.runner import check_program
from rmapcheck.verify import expectation
from model_runs import model_run, model_runs

ROOT = Path(__file__).resolve().parent.parent
UNIT = "tests/models/unit"  # relative to ROOT: the CLI runs from ROOT, so reports show this
GOLDEN = ROOT / "tests" / "golden"
REGEN = os.environ.get("RMAPCHECK_REGEN") == "1"

# run (a model, then its @config as verify names it) -> the properties it violates; every other
# property holds. A fixed variant is a @config of the buggy model (FIX=1), not a copy of it.
VIOLATED_PROPS = {
    "alloc_fail_budget": {"never-fails"},
    "assert_locked_increment": set(),
    "assume_ends_path": {"reached"},
    "assert_lost_increment": {"assertions"},
    "bad_unlock_balanced": set(),
    "bad_unlock_not_held": {"no-bad-unlock"},
    "bad_unlock_other_owner": {"no-bad-unlock"},
    "bad_unlock_srcu": {"no-bad-unlock"},
    "break_inner_loop": {"rmaps-present"},
    "break_inner_loop FIX=1": set(),
    "cs_fewest_switches": {"saw-y"},
    "double_free_error_path FIX=1": set(),
    "double_free_error_path": {"no-double-free"},
    "heap_symmetry": set(),
    "invariant_flag_before_alloc FIX=1": set(),
    "invariant_flag_before_alloc": {"rmaps-invariant"},
    "leak_blocked_holder": {"no-lock-leak", "no-deadlock"},
    "leak_dead_local": {"no-leak"},
    "leak_freed_parent": {"no-leak"},
    "leak_live_local_freed": set(),
    "leak_overwrite_no_recheck": {"no-leak"},
    "leak_overwrite_no_recheck FIX=1": set(),
    "leak_unlinked_chain": {"no-leak"},
    "leak_unlinked_chain_freed": set(),
    "limits_counter_grid": set(),
    "lock_leak_error_path": {"no-lock-leak", "no-deadlock"},
    "lock_leak_error_path FIX=1": set(),
    "lock_leak_srcu_section": {"no-lock-leak"},
    "lock_order_abba_deadlock": {"lock-order", "no-deadlock"},
    "lock_order_consistent": set(),
    "lock_order_cycle_no_deadlock": {"lock-order"},
    "lock_order_serialized_threads": {"lock-order"},
    "lost_update_array_copy": {"rmaps-present"},
    "lost_update_array_copy FIX=1": set(),
    "null_deref_checked_alloc": set(),
    "null_deref_unchecked_alloc": {"no-null-deref"},
    "oob_heap_index": {"no-out-of-bounds"},
    "oob_off_by_one FIX=1": set(),
    "oob_off_by_one": {"no-out-of-bounds"},
    "srcu_abba_deadlock": {"no-deadlock", "lock-order"},
    "srcu_abba_deadlock FIX=1": set(),
    "srcu_section_ended_before_gp": set(),  # under sc: the ra verdict is in its header
    "srcu_grace_period": {"gp-ignores-later-readers"},
    "uaf_free_without_grace_period FIX=1": set(),
    "uaf_free_without_grace_period": {"no-use-after-free"},
    "warn_retry_after_partial": {"no-warn", "no-leak"},
    "warn_retry_after_partial FIX=1": set(),
}

# Every property, both ways: (a model violating it, a model where it holds although a
# careless version of the same code violates it).
BOTH_WAYS = {
    "assertions": ("assert_lost_increment", "assert_locked_increment"),
    "no-warn": ("warn_retry_after_partial", "warn_retry_after_partial FIX=1"),
    "no-null-deref": ("null_deref_unchecked_alloc", "null_deref_checked_alloc"),
    "no-use-after-free": ("uaf_free_without_grace_period", "uaf_free_without_grace_period FIX=1"),
    "no-double-free": ("double_free_error_path", "double_free_error_path FIX=1"),
    "no-out-of-bounds": ("oob_off_by_one", "oob_off_by_one FIX=1"),
    "no-leak": ("leak_overwrite_no_recheck", "leak_overwrite_no_recheck FIX=1"),
    "no-deadlock": ("srcu_abba_deadlock", "srcu_abba_deadlock FIX=1"),
    "no-lock-leak": ("lock_leak_error_path", "lock_leak_error_path FIX=1"),
    "no-bad-unlock": ("bad_unlock_not_held", "bad_unlock_balanced"),
    "lock-order": ("lock_order_abba_deadlock", "lock_order_consistent"),
    # named properties: with assert_property, and as an @invariant
    "rmaps-present": ("lost_update_array_copy", "lost_update_array_copy FIX=1"),
    "rmaps-invariant": ("invariant_flag_before_alloc", "invariant_flag_before_alloc FIX=1"),
}

MODELS = sorted(VIOLATED_PROPS)


def model_path(name: str) -> str:
    return str(model_run(ROOT / UNIT, name).path)


_CACHE: dict = {}


def run_model(name: str, **kw):
    """The checked result of a unit model (cached: each model runs once per session)."""
    key = (name, tuple(sorted(kw.items())))
    if key not in _CACHE:
        faults = kw.pop("faults", None)
        run = model_run(ROOT / UNIT, name)
        program = load_model(str(run.path), {**run.config, **kw.pop("defines", {})}, faults)
        _CACHE[key] = (program, check_program(program, "sc", limits=Limits(**kw)))
    return _CACHE[key]


def cli(*args, seed: str | None = None, timeout: float = 120):
    env = dict(os.environ)
    if seed is not None:
        env["PYTHONHASHSEED"] = seed
    return subprocess.run(
        [sys.executable, "-m", "rmapcheck", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=timeout,
    )


# -- the unit models and their verdicts ---------------------------------------------------------


def test_every_unit_model_is_listed():
    on_disk = sorted(r.name for r in model_runs(sorted((ROOT / UNIT).glob("*.c"))))
    assert on_disk == MODELS


@pytest.mark.parametrize("name", MODELS)
def test_verdicts(name):
    program, res = run_model(name)
    assert res.stats.complete, res.stats.limit
    got = {p for p, r in res.results.items() if r.verdict == VIOLATED}
    assert got == VIOLATED_PROPS[name]
    for p, r in res.results.items():
        assert r.verdict in (HOLDS, VIOLATED)
        # the model's own header says the same thing as the table above
        assert expectation(program, "sc", p, model_run(ROOT / UNIT, name).config) == r.verdict, p
        if r.verdict == VIOLATED:
            assert r.trace is not None and r.trace.steps, p


@pytest.mark.parametrize("prop", sorted(BOTH_WAYS))
def test_every_property_both_ways(prop):
    bad, good = BOTH_WAYS[prop]
    assert run_model(bad)[1].results[prop].verdict == VIOLATED
    assert run_model(good)[1].results[prop].verdict == HOLDS


def test_builtin_properties_are_all_covered():
    assert set(ir.BUILTIN_PROPERTIES) - {ir.P_RACE} <= set(BOTH_WAYS)


def test_verify_cli_on_unit_models():
    r = cli("verify", UNIT)
    assert r.returncode == 0, r.stdout + r.stderr
    runs = [ln.split() for ln in r.stdout.splitlines() if ln.startswith("[")]  # a line per run
    assert runs and all(ln[1] == "ok" for ln in runs)
    assert {ln[2] for ln in runs} == {f"{UNIT}/{m.split()[0]}.c" for m in MODELS}
    # a run per model, @config and memory model its header declares (@memory-models sc ra: two)
    declared = {m: re.search(r"@memory-models (.*)", (ROOT / UNIT / f"{m.split()[0]}.c").read_text()) for m in MODELS}
    assert len(runs) == sum(len(d.group(1).split()) if d else 1 for d in declared.values())
    r = cli("verify", UNIT, "--format", "table")  # a row per verdict
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith(UNIT)]
    assert rows and all(ln.split()[-1] == "ok" for ln in rows)
    assert {ln.split()[0] for ln in rows} == {f"{UNIT}/{m.split()[0]}.c" for m in MODELS}


def test_check_cli_exit_codes():
    assert cli("check", f"{UNIT}/lock_order_consistent.c").returncode == 0
    r = cli("check", f"{UNIT}/srcu_abba_deadlock.c")
    assert r.returncode == 1
    assert re.search(r"^no-deadlock\s+violated", r.stdout, re.M)
    assert re.search(r"^lock-order\s+violated", r.stdout, re.M)
    assert cli("check", f"{UNIT}/no_such_model.c").returncode == 2


# -- particular semantics ---------------------------------------------------------------------------


def test_lock_order_cycle_without_deadlock():
    for name in ("lock_order_cycle_no_deadlock", "lock_order_serialized_threads"):
        res = run_model(name)[1]
        assert res.results["lock-order"].verdict == VIOLATED
        assert res.results["no-deadlock"].verdict == HOLDS
        cyc = res.results["lock-order"].detail
        assert sorted((e.src, e.dst) for e in cyc) == [("a", "b"), ("b", "a")]
    final = run_model("lock_order_serialized_threads")[1].results["lock-order"].trace.final
    assert "first holds a" in final and "second holds b" in final


def test_srcu_mutex_abba_cycle_names_both_paths():
    res = run_model("srcu_abba_deadlock")[1]
    final = res.results["lock-order"].trace.final
    assert "writer holds kvm.slots_arch_lock" in final and "synchronize_srcu" in final
    assert "vcpu holds kvm.srcu (srcu read section" in final
    dl = res.results["no-deadlock"].trace.final
    assert "writer waits in synchronize_srcu(kvm.srcu)" in dl and "held by writer" in dl


def test_fault_budget_override():
    assert run_model("alloc_fail_budget")[1].results["at-most-one-failure"].verdict == HOLDS
    two = run_model("alloc_fail_budget", faults=2)[1]
    assert two.results["at-most-one-failure"].verdict == VIOLATED
    none = run_model("alloc_fail_budget", faults=0)[1]
    assert none.results["never-fails"].verdict == HOLDS


def test_heap_numbering_is_canonical():
    # 5 points per thread, 25 states; allocation-order numbering would give 34 (no reduction:
    # `private` runs each allocation with the step before it, 16 states)
    assert run_model("heap_symmetry", reduction="none")[1].stats.states == 25
    assert run_model("heap_symmetry", reduction="private")[1].stats.states == 16


# -- golden traces ------------------------------------------------------------------------------------


def render_result(name: str, res) -> str:
    out = [f"# {UNIT}/{name}.c [{res.memory_model}]"]
    for r in res.results.values():
        out.append(f"{r.name:<28} {r.verdict:<10} {r.message}".rstrip())
    text = "\n".join(out) + "\n"
    for r in res.results.values():
        if r.trace is None:
            continue
        text += f"\n== {r.name}: step list\n" + render_steps(r.trace)
        text += f"\n== {r.name}: race diagram\n" + render_diagram(r.trace)
    return text.replace(str(ROOT) + os.sep, "")


@pytest.mark.parametrize("name", [m for m in MODELS if VIOLATED_PROPS[m]])
def test_golden_traces(name):
    text = render_result(name, run_model(name)[1])
    assert "/work/" not in text and "/tmp/" not in text and str(ROOT) not in text
    path = GOLDEN / f"{name}.txt"
    if REGEN:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}: run with RMAPCHECK_REGEN=1"
    assert text == path.read_text(), f"{path.name} differs (RMAPCHECK_REGEN=1 regenerates it)"


def split_names(rendered: str, trace) -> list[str]:
    """The words of rendered that are in none of the trace's own texts: pieces of a name that
    a wrap cut in two (the renderer's own words and numbers aside)."""
    material = [trace.prop, trace.message, trace.final]
    for s in trace.steps:
        material += [s.thread, s.func, s.text, s.file, *s.ops, s.note, *(loc[1] for loc in s.locals_)]
    words = set(re.findall(r"\w+", " ".join(m for m in material if m)))
    words |= {"Counterexample", "for", "CPU", "is", "steps", "left", "out", "max", "trace"}
    return [w for w in re.findall(r"\w+", rendered) if w not in words and not re.fullmatch(r"CPU\d+|\d+", w)]


@pytest.mark.parametrize("name", [m for m in MODELS if VIOLATED_PROPS[m]])
def test_golden_traces_fit_80_columns_and_split_no_name(name):
    """Every trace of the golden set, as step list and race diagram at --width 80: no line over
    80 columns, no identifier cut in two (every word shown is a word of the trace)."""
    for r in run_model(name)[1].results.values():
        if r.trace is None:
            continue
        for text in (render_steps(r.trace, width=80), render_diagram(r.trace, width=80)):
            assert max(len(ln) for ln in text.splitlines()) <= 80, (name, r.name, text)
            assert split_names(text, r.trace) == [], (name, r.name, text)


def test_three_threads_keep_their_names_and_split_none():
    """A three-thread diagram too narrow for 'CPUk (name)' headers: a legend with the full names."""
    import dataclasses

    res = run_model("srcu_grace_period")[1]
    trace = res.results["gp-ignores-later-readers"].trace
    long = {"writer": "synchronize_srcu_writer", "early": "reader_before_the_grace_period",
            "late": "reader_after_the_grace_period"}
    trace = dataclasses.replace(trace, steps=[dataclasses.replace(s, thread=long[s.thread]) for s in trace.steps])
    text = render_diagram(trace, width=72)
    assert max(len(ln) for ln in text.splitlines()) <= 72
    assert split_names(text, trace) == []
    names = sorted({s.thread for s in trace.steps})
    assert len(names) == 3
    for name in names:
        assert re.search(rf"CPU\d is {re.escape(name)}\b", " ".join(text.split())), (name, text)


def test_golden_files_have_no_machine_paths():
    for p in GOLDEN.glob("*.txt"):
        text = p.read_text()
        assert "/work/" not in text and "/tmp/" not in text and "/home/" not in text, p.name


def test_traces_identical_across_runs():
    for name in ("lost_update_array_copy", "srcu_abba_deadlock", "warn_retry_after_partial"):
        program = load_model(model_path(name))
        a = render_result(name, check_program(program, "sc"))
        b = render_result(name, check_program(load_model(model_path(name)), "sc"))
        assert a == b


def _normalise(out: str) -> str:
    """Drop what legitimately varies between runs: timings and the column widths they set."""
    lines = []
    for ln in out.splitlines():
        if ln.startswith(UNIT):  # a verify table row: drop the seconds column
            parts = ln.split()
            ln = " ".join(parts[:-2] + parts[-1:])
        lines.append(re.sub(r" +", " ", ln))
    return "\n".join(lines)


def test_traces_identical_across_hash_seeds():
    outs = {}
    for seed in ("0", "1", "12345"):
        r = cli("verify", UNIT, "--traces", "--format", "table", seed=seed)
        assert r.returncode == 0, r.stderr
        outs[seed] = _normalise(r.stdout)
    assert outs["0"] == outs["1"] == outs["12345"]
    # and the CLI shows exactly the traces of the golden files
    for name in MODELS:
        for r in run_model(name)[1].results.values():
            if r.trace is not None:
                assert _normalise(render_steps(r.trace)) in outs["0"], (name, r.name)
                assert _normalise(render_diagram(r.trace)) in outs["0"], (name, r.name)


# -- shortest counterexamples, fewest context switches --------------------------------------------------


def reference_best(program, prop: str, max_len: int = 40):
    """(length, context switches) of the best counterexample, by an independent search.

    Layered BFS over (state, last thread), without the engine's bookkeeping: the first
    layer where the property is violated gives the shortest length, and the minimum of
    the switches over that layer's violations the fewest context switches among them.
    """
    ex = Executor(program)
    layer: dict = {}
    best = None
    for st, evs in ex.initial_states():
        if any(e.prop == prop for e in evs) or any(e.prop == prop for e in ex.check_invariants(st)):
            return (0, 0)
        layer.setdefault((st, -1), 0)
    seen = set(layer)
    for length in range(max_len + 1):
        nxt: dict = {}
        viol = None
        for (st, last), cs in layer.items():
            enabled = [t for t in range(len(ex.threads)) if ex.enabled(st, t)]
            if not enabled:
                if prop == ir.P_DEADLOCK and any(th[0] >= 0 for th in st[2]):
                    best = cs if best is None else min(best, cs)
                continue
            for t in enabled:
                ncs = cs + (0 if last in (-1, t) else 1)
                for _, out in ex.transitions(st, t):
                    if any(e.prop == prop for e in out.events) or (
                        out.state is not None and any(e.prop == prop for e in ex.check_invariants(out.state))
                    ):
                        viol = ncs if viol is None else min(viol, ncs)
                        continue
                    key = (out.state, t)
                    if out.state is None or key in seen:
                        continue
                    nxt[key] = min(nxt.get(key, ncs), ncs)
        if best is not None:  # a deadlocked state of this layer
            return (length, best)
        if viol is not None:  # a violating step out of this layer
            return (length + 1, viol)
        seen.update(nxt)
        layer = nxt
        if not layer:
            return None
    return None


def trace_shape(trace) -> tuple[int, int]:
    tids = [s.tid for s in trace.steps]
    return len(tids), sum(1 for a, b in zip(tids, tids[1:]) if a != b)


SHORTEST_CASES = [
    (m, p) for m in MODELS for p in sorted(VIOLATED_PROPS[m]) if p != ir.P_LOCKORDER and m != "srcu_grace_period"
] + [("srcu_grace_period", "gp-ignores-later-readers")]


# The search's own bookkeeping (shortest, then fewest switches) is judged on the unreduced
# graph, where the reference search can reproduce it. The default reduction's counterexamples
# are shortest in the graph it explores, which the reference cannot rebuild: they are
# executions of the model (replayed unreduced) no shorter than the reference's, and the output
# says they are shortest in the reduced graph (test_reduced_counterexample_says_so).


@pytest.mark.parametrize("name,prop", SHORTEST_CASES)
def test_counterexample_is_shortest(name, prop):
    program, res = run_model(name, reduction="none")
    length, _ = trace_shape(res.results[prop].trace)
    ref = reference_best(program, prop)
    assert ref is not None
    assert length == ref[0]
    reduced, _ = trace_shape(run_model(name)[1].results[prop].trace)
    assert reduced >= ref[0]


@pytest.mark.parametrize("name,prop", SHORTEST_CASES)
def test_fewest_context_switches_among_shortest(name, prop):
    program, res = run_model(name, reduction="none")
    assert trace_shape(res.results[prop].trace) == reference_best(program, prop)


def test_reduced_counterexample_says_so():
    """check's output says which reduction ran and that its counterexamples are shortest in
    the graph it explored (with none, nothing is said: they are shortest outright)."""
    r = cli("check", f"{UNIT}/cs_fewest_switches.c")
    assert "reduction persistent: counterexamples are shortest in the reduced state graph" in r.stdout
    r = cli("check", f"{UNIT}/cs_fewest_switches.c", "--reduction", "none")
    assert "reduced state graph" not in r.stdout


def test_fewest_context_switches_built_case():
    # a b a (two switches) and b a a (one) are both shortest: the engine must show b a a
    trace = run_model("cs_fewest_switches", reduction="none")[1].results["saw-y"].trace
    assert [s.thread for s in trace.steps] == ["b", "a", "a"]
    # the deadlock: vcpu enters srcu, then the writer runs to synchronize_srcu (one switch)
    trace = run_model("srcu_abba_deadlock", reduction="none")[1].results["no-deadlock"].trace
    assert [s.thread for s in trace.steps] == ["vcpu", "writer", "writer", "writer"]


# -- limits: incomplete, never holds ---------------------------------------------------------------------


def _verdicts(stdout: str) -> dict:
    out = {}
    for ln in stdout.splitlines():
        parts = ln.split()
        if len(parts) >= 2 and parts[1] in (HOLDS, VIOLATED, INCOMPLETE):
            out[parts[0]] = parts[1]
    return out


@pytest.mark.parametrize("limit", [["--max-states", "10"], ["--max-depth", "5"]])
def test_limit_gives_incomplete_exit_3(limit):
    r = cli("check", f"{UNIT}/limits_counter_grid.c", *limit)
    assert r.returncode == 3, r.stdout + r.stderr
    v = _verdicts(r.stdout)
    assert v and set(v.values()) == {INCOMPLETE}
    assert "INCOMPLETE" in r.stdout


def test_timeout_gives_incomplete_exit_3():
    # ROUNDS=10 takes several seconds in full; the timeout stops it long before
    r = cli("check", f"{UNIT}/limits_counter_grid.c", "-D", "ROUNDS=10", "--timeout", "0.3")
    assert r.returncode == 3, r.stdout + r.stderr
    v = _verdicts(r.stdout)
    assert v and HOLDS not in v.values()
    assert "INCOMPLETE (timeout)" in r.stdout


def test_verify_with_max_states_is_incomplete():
    r = cli("verify", f"{UNIT}/limits_counter_grid.c", "--max-states", "50", "--verbose")
    assert r.returncode == 3, r.stdout + r.stderr
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.startswith(UNIT)]
    assert rows and all(row[5] == INCOMPLETE and row[-1] == "INCOMPLETE" for row in rows)


@pytest.mark.parametrize("kw", [{"max_states": 30}, {"max_depth": 4}])
def test_limits_in_process_never_hold(kw):
    res = run_model("limits_counter_grid", **kw)[1]
    assert not res.stats.complete
    assert all(r.verdict == INCOMPLETE for r in res.results.values())


def test_limit_keeps_violations_found_before_it():
    # the WARN fires on step 9, the leak on step 11 (unreduced): a depth limit of 9 finds only the first
    res = run_model("warn_retry_after_partial", max_depth=9, reduction="none")[1]
    assert not res.stats.complete
    assert res.results["no-warn"].verdict == VIOLATED
    assert res.results["no-leak"].verdict == INCOMPLETE
    assert res.results["no-deadlock"].verdict == INCOMPLETE


# -- JSON ------------------------------------------------------------------------------------------------


def test_check_json():
    r = cli("check", f"{UNIT}/warn_retry_after_partial.c", "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    program = load_model(model_path("warn_retry_after_partial"))
    assert [p["name"] for p in doc["properties"]] == list(program.properties)
    verdicts = {p["name"]: p["verdict"] for p in doc["properties"]}
    assert {p for p, v in verdicts.items() if v == VIOLATED} == {"no-warn", "no-leak"}
    for p in doc["properties"]:
        if p["verdict"] == VIOLATED:
            steps = p["trace"]["steps"]
            assert steps and {"thread", "line", "text", "ops"} <= set(steps[0])
    for key in ("states", "transitions", "depth", "seconds", "states_per_s", "peak_mb", "complete"):
        assert key in doc["stats"]
    assert doc["memory_model"] == "sc" and doc["stats"]["complete"] is True


def test_verify_json():
    r = cli("verify", f"{UNIT}/srcu_abba_deadlock.c", f"{UNIT}/lock_order_consistent.c", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["exit_code"] == 0
    assert len(doc["results"]) == 3  # srcu_abba_deadlock.c and its FIX=1, lock_order_consistent.c
    for res in doc["results"]:
        names = {p["name"] for p in res["properties"]}
        assert set(ir.BUILTIN_PROPERTIES) - {ir.P_RACE} <= names
    assert all(row["status"] == "ok" for row in doc["rows"])
