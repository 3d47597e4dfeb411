"""Engine bugs found by review, each pinned by the smallest model that showed it."""

from pathlib import Path

from rmapcheck.runner import check_file

MODELS = Path(__file__).parent / "models" / "regress"


def test_violation_before_the_first_shared_access_is_reported_with_its_trace():
    # The thread fails in its leading local steps: no state is ever reached.
    r = check_file(str(MODELS / "leading_assert.c"))
    res = r.results["assertions"]
    assert res.verdict == "violated"
    assert [s.thread for s in res.trace.steps] == ["main"]
    assert "assert(x == 2)" in res.trace.steps[0].text


def test_out_of_range_shift_is_a_reported_fault_not_a_crash():
    r = check_file(str(MODELS / "negative_shift.c"))
    res = r.results["assertions"]
    assert res.verdict == "violated"
    assert "shift count -1 is out of range" in res.message


def test_freed_heap_objects_under_ra():
    # A freed object's cells must keep the memory model's representation (a crash under ra).
    from rmapcheck.verify import exit_code, verify

    rows, _ = verify([str(MODELS / "free_under_ra.c")])
    assert {r.memory_model for r in rows} == {"sc", "ra"}
    assert exit_code(rows) == 0, [r for r in rows if r.status != "ok"]


def test_timeout_is_polled_steadily(monkeypatch):
    # The clock was read only when the state count was a multiple of 1024 (or the transition
    # count of 4096): a timeout could be overrun by that much work. Now it is read every
    # POLL_WORK states expanded plus transitions run. A fake clock gains a second per reading.
    from rmapcheck.engines.explicit import search
    from rmapcheck.engines.explicit.search import POLL_WORK, Limits, explore
    from rmapcheck.frontend import load_model

    ticks = iter(range(10**6))
    monkeypatch.setattr(search.time, "monotonic", lambda: float(next(ticks)))
    program = load_model(str(Path(__file__).parent / "models" / "unit" / "limits_counter_grid.c"), {"ROUNDS": 10})
    res = explore(program, Limits(timeout=3.5))
    assert not res.stats.complete and res.stats.limit == "timeout"
    assert res.stats.states + res.stats.transitions <= 5 * POLL_WORK


def test_leak_made_by_the_last_step_under_ra():
    # RAMemory.canonicalize scanned reachability over every message before dropping the ones no
    # thread can read: the object's only reference was such a message, so ra said "holds"
    # where sc (whose executions ra all allows) says "violated".
    from rmapcheck.verify import exit_code, verify

    rows, _ = verify([str(MODELS / "leak_last_step_ra.c")])
    got = {(r.memory_model, r.prop): r.got for r in rows}
    assert got[("sc", "no-leak")] == got[("ra", "no-leak")] == "violated"
    assert exit_code(rows) == 0, [r for r in rows if r.status != "ok"]


def test_long_local_loop_is_incomplete_not_violated():
    # 200,000 local steps in one transition passed the executor's LOCAL_STEP_LIMIT, which was
    # reported as a failed assertion (exit 1). A limit of the engine makes the run incomplete.
    import subprocess
    import sys

    r = check_file(str(MODELS / "long_local_loop.c"))
    assert not r.stats.complete and r.stats.limit == "local-step-limit"
    assert {res.verdict for res in r.results.values()} == {"incomplete"}
    cli = subprocess.run([sys.executable, "-m", "rmapcheck", "check", str(MODELS / "long_local_loop.c")],
                         capture_output=True, text=True)
    assert cli.returncode == 3, cli.stdout + cli.stderr
    assert "violated" not in cli.stdout


def _transitions_by_restart(ex, state, tid: int) -> list:
    """Thread tid's transitions enumerated as before Executor.transitions took option 0 at an
    unfixed choice: each run stops at its first unfixed choice (NeedChoice) and is run again
    once per option, depth first."""
    from rmapcheck.engines.explicit.executor import NeedChoice

    out, stack = [], [()]
    while stack:
        ch = stack.pop()
        try:
            o = ex.run(state, tid, ch, None)
        except NeedChoice as nc:
            stack += [ch + (c,) for c in range(nc.n - 1, -1, -1)]
            continue
        out.append((ch, o.state, [(e.prop, e.msg) for e in o.events], o.dependents))
    return out


CHOICES_MODEL = """/*
 * @title two choices of three options in one transition
 * @nondet 0..2
 * @thread w
 * @thread r
 */
int x;
int y;

void w(void)
{
	WRITE_ONCE(y, 1);
	WRITE_ONCE(y, 2);
	WRITE_ONCE(x, 1);
}

void r(void)
{
	int v = READ_ONCE(y);
	int k = __VERIFIER_nondet_int();
	int u = READ_ONCE(x);
	assert(v != 2 || k != 1 || u == 1);
}
"""


def test_transitions_enumerate_choices_as_restarts_did():
    """Executor.transitions runs each choice's option 0 in the run that meets it and the other
    options after: the same (choices, outcome) list, in the same order, as stopping at each
    unfixed choice and running again. Checked on every state of a few searches that choose
    (ra reads, allocation failures, nondet), for every reduction that folds steps."""
    from rmapcheck.engines.explicit.search import Limits, Search
    from rmapcheck.frontend import load_model
    from rmapcheck.runner import memory_for

    from rmapcheck.frontend.load import load_model_text

    root = Path(__file__).parent / "models" / "unit"
    seen = 0
    for name, mm in (("alloc_fail_budget.c", "sc"), ("lost_update_array_copy.c", "ra"),
                     ("srcu_grace_period.c", "ra"), ("leak_overwrite_no_recheck.c", "ra"),
                     ("choices", "ra")):
        # "choices": a transition with two choices of three options each (a relaxed read of
        # one of three writes, then a nondet), so their order and their options' order show
        p = load_model_text("choices.c", CHOICES_MODEL, {}) if name == "choices" else load_model(str(root / name))
        for reduction in ("none", "persistent"):
            s = Search(p, Limits(max_states=3000), memory_for(p, mm), reduction=reduction)
            s.run()
            for state in s.states:
                for t, th in enumerate(state[2]):
                    if th[0] < 0 or not s.ex.enabled(state, t):
                        continue
                    now = [(ch, o.state, [(e.prop, e.msg) for e in o.events], o.dependents)
                           for ch, o in s.ex.transitions(state, t)]
                    assert now == _transitions_by_restart(s.ex, state, t), (name, mm, reduction)
                    seen += sum(1 for ch, *_ in now if ch)
    assert seen > 100  # transitions that made a choice
