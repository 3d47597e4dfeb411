"""The KVM models in models/: the verdict of every property, and the essential steps of every
violation's counterexample.

Each model runs once per configuration for the whole module (a cache), so the verdict tests and
the trace tests share the runs. The verdicts are checked in the default and the NR_SLOTS=3
configurations.

A trace test names the steps that make the bug what it is, in order: which thread, in which
function, on which source line (a substring of it), reading or writing what (a substring of the
step's operation) and, for the last step, the event (WARN, assertion, leak). Steps in between
are free, so a test fails only when the mechanism of the counterexample changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rmapcheck.frontend import load_model
from rmapcheck.runner import check_file

MODELS = Path(__file__).resolve().parent.parent / "models"

W = "kvm_set_user_memory_region"  # the writer thread
V = "vcpu"  # either vCPU thread: vcpu.0 or vcpu.1

BUILTIN = [
    "assertions", "no-warn", "no-null-deref", "no-use-after-free", "no-double-free",
    "no-out-of-bounds", "no-leak", "no-deadlock", "no-lock-leak", "no-bad-unlock", "lock-order",
]

# model -> (its model-named properties, the properties it violates under sc); all others hold
TABLE = {
    "01_seed_v2.c": (
        ["rmaps-present", "active-rmaps", "commit-rmaps"],
        {"no-lock-leak", "no-deadlock", "rmaps-present", "active-rmaps", "no-leak", "commit-rmaps"},
    ),
    "02_review_sketch_literal.c": (
        ["rmaps-present", "active-rmaps"],
        {"rmaps-present", "active-rmaps", "no-leak"},
    ),
    "03_review_sketch_inner_break.c": (
        ["rmaps-present", "active-rmaps"],
        {"rmaps-present", "active-rmaps", "no-leak"},
    ),
    # The table expects every property to hold; the faithful sketch has no re-check
    # under the lock (B2). With -D RECHECK=1 every property holds (test below).
    "04_review_sketch_fixed.c": (
        ["rmaps-present", "active-rmaps"],
        {"rmaps-present", "active-rmaps", "no-leak"},
    ),
    "05_v3.c": (
        ["rmaps-present", "active-rmaps", "commit-rmaps"],
        {"no-leak", "no-lock-leak", "no-deadlock", "rmaps-present", "active-rmaps", "commit-rmaps"},
    ),
    "06_v4.c": (
        ["rmaps-present", "active-rmaps", "commit-rmaps"],
        {"no-lock-leak", "no-deadlock", "no-warn", "no-leak", "rmaps-present", "active-rmaps",
         "commit-rmaps"},
    ),
    "07_v5_5.14.c": (
        ["rmaps-present", "active-rmaps", "commit-rmaps", "stale-slot-rmaps"],
        {"rmaps-present", "active-rmaps", "no-warn", "no-leak", "stale-slot-rmaps", "commit-rmaps"},
    ),
    "08_5.15.c": (
        ["rmaps-present", "active-rmaps", "commit-rmaps", "stale-slot-rmaps"],
        {"rmaps-present", "active-rmaps", "no-leak", "stale-slot-rmaps", "commit-rmaps"},
    ),
    "09_5.16.c": (
        ["rmaps-present", "active-rmaps", "commit-rmaps", "stale-slot-rmaps"],
        {"stale-slot-rmaps", "commit-rmaps"},
    ),
    "10_5.17.c": (
        ["rmaps-present", "active-rmaps", "commit-rmaps", "stale-slot-rmaps"],
        {"stale-slot-rmaps"},
    ),
    "11_mutant_no_arch_lock.c": (
        ["rmaps-present", "active-rmaps"],
        {"active-rmaps", "rmaps-present", "no-leak"},
    ),
    "12_mutant_lock_across_sync.c": (
        ["rmaps-present", "active-rmaps"],
        {"no-deadlock", "lock-order"},
    ),
    "13_mutant_no_refresh.c": (
        ["rmaps-present", "active-rmaps"],
        {"active-rmaps", "rmaps-present", "no-leak"},
    ),
    "14_mutant_flag_before_alloc.c": (
        ["rmaps-present", "active-rmaps"],
        {"active-rmaps", "rmaps-present"},
    ),
    # B6: the flag's release/acquire pairing weakened; invisible under sc
    "15_mutant_flag_relaxed_store.c": (["rmaps-present", "active-rmaps", "commit-rmaps"], set()),
    "16_mutant_flag_relaxed_load.c": (["rmaps-present", "active-rmaps", "commit-rmaps"], set()),
}

# model -> the properties it violates under ra, in the configuration its header gives for ra
# (@defines ra: the narrowed accesses, in sc's two address spaces and two slots); all others hold
RA_TABLE = {
    "01_seed_v2.c": {"active-rmaps", "commit-rmaps", "no-data-race", "no-deadlock", "no-leak",
                     "no-lock-leak", "rmaps-present"},
    "02_review_sketch_literal.c": {"active-rmaps", "no-data-race", "no-leak", "rmaps-present"},
    "03_review_sketch_inner_break.c": {"active-rmaps", "no-data-race", "no-leak", "rmaps-present"},
    "04_review_sketch_fixed.c": {"active-rmaps", "no-data-race", "no-leak", "rmaps-present"},
    "05_v3.c": {"active-rmaps", "commit-rmaps", "no-data-race", "no-deadlock", "no-leak", "no-lock-leak",
                "rmaps-present"},
    "06_v4.c": {"active-rmaps", "commit-rmaps", "no-data-race", "no-deadlock", "no-leak", "no-lock-leak",
                "no-warn", "rmaps-present"},
    "07_v5_5.14.c": {"active-rmaps", "commit-rmaps", "no-data-race", "no-leak", "no-warn", "rmaps-present",
                     "stale-slot-rmaps"},
    "08_5.15.c": {"active-rmaps", "commit-rmaps", "no-data-race", "no-leak", "rmaps-present",
                  "stale-slot-rmaps"},
    "09_5.16.c": {"commit-rmaps", "no-data-race", "stale-slot-rmaps"},
    "10_5.17.c": {"stale-slot-rmaps"},
    "11_mutant_no_arch_lock.c": {"active-rmaps", "no-data-race", "no-leak", "rmaps-present"},
    "12_mutant_lock_across_sync.c": {"lock-order", "no-data-race", "no-deadlock"},
    # B9 needs a second slot in the writer's address space: ra finds it in sc's configuration
    "13_mutant_no_refresh.c": {"active-rmaps", "no-data-race", "no-leak", "rmaps-present"},
    "14_mutant_flag_before_alloc.c": {"active-rmaps", "no-data-race", "rmaps-present"},
    "15_mutant_flag_relaxed_store.c": {"commit-rmaps", "no-data-race", "rmaps-present"},
    "16_mutant_flag_relaxed_load.c": {"commit-rmaps", "no-data-race", "rmaps-present"},
}

_RUNS: dict = {}


def run(model: str, faults: int | None = None, reduction: str | None = None, **defines):
    """check_file, once per (model, faults, reduction, defines) for the whole module."""
    from rmapcheck.engines.explicit.search import Limits

    key = (model, faults, reduction, tuple(sorted(defines.items())))
    if key not in _RUNS:
        _RUNS[key] = check_file(str(MODELS / model), defines, faults=faults, limits=Limits(reduction=reduction))
    return _RUNS[key]


def result(model: str, prop: str, faults: int | None = None, reduction: str | None = None, **defines):
    res = run(model, faults, reduction, **defines)
    assert res.stats.complete, f"{model}: the run was cut by {res.stats.limit}"
    return res.results[prop]


_RA_RUNS: dict = {}


def run_ra(model: str, **defines):
    """check_file under ra (the model's @defines for ra applied), once per (model, defines)."""
    key = (model, tuple(sorted(defines.items())))
    if key not in _RA_RUNS:
        _RA_RUNS[key] = check_file(str(MODELS / model), defines, memory_model="ra")
    return _RA_RUNS[key]


def ra_result(model: str, prop: str, **defines):
    res = run_ra(model, **defines)
    assert res.stats.complete, f"{model} (ra): the run was cut by {res.stats.limit}"
    return res.results[prop]


# ---------------------------------------------------------------------------------- verdicts

CONFIGS = [{}, {"NR_SLOTS": 3}]


def _verdict_cases():
    for model, (named, _) in TABLE.items():
        for cfg in CONFIGS:
            for prop in BUILTIN + named:
                label = "-".join(f"{k}={v}" for k, v in cfg.items()) or "default"
                yield pytest.param(model, cfg, prop, id=f"{model}-{label}-{prop}")


@pytest.mark.parametrize("model,cfg,prop", list(_verdict_cases()))
def test_verdict(model, cfg, prop):
    want = "violated" if prop in TABLE[model][1] else "holds"
    r = result(model, prop, **cfg)
    assert r.verdict == want, f"{model} {cfg or ''} {prop}: {r.verdict} ({r.message})"


@pytest.mark.parametrize("model", sorted(RA_TABLE))
def test_every_sc_violation_is_an_ra_violation(model):
    """ra allows every sc execution: in the configuration both run (the model's ra one), what
    sc finds violated, ra finds violated too (the ra run is the one the ra verdicts use)."""
    ra_defines = load_model(str(MODELS / model)).meta.mm_defines.get("ra", {})
    sc = run(model, **ra_defines)
    ra = run_ra(model)
    assert sc.stats.complete and ra.stats.complete
    assert ra.defines == sc.defines
    missed = {p for p, r in sc.results.items() if r.verdict == "violated" and ra.results[p].verdict != "violated"}
    assert missed == set(), f"{model}: sc violates {sorted(missed)}, ra does not"


@pytest.mark.parametrize("mm", ["sc", "ra"])
@pytest.mark.parametrize("model", sorted(TABLE))
def test_reduction_changes_no_verdict(model, mm):
    """The runs above use the default reduction; `--reduction none` gives the same verdicts
    (sc: the default configuration; ra: the model's ra one)."""
    from rmapcheck.engines.explicit.search import Limits

    reduced = run(model) if mm == "sc" else run_ra(model)
    full = run(model, reduction="none") if mm == "sc" else check_file(
        str(MODELS / model), memory_model=mm, limits=Limits(reduction="none"))
    assert reduced.stats.complete and full.stats.complete
    assert {p: r.verdict for p, r in reduced.results.items()} == {p: r.verdict for p, r in full.results.items()}
    assert reduced.stats.states <= full.stats.states


@pytest.mark.parametrize("model", sorted(TABLE))
def test_header_expectations_match_the_table(model):
    """The @expect lines of each model say the same as this table (rmapcheck verify reads them)."""
    program = load_model(str(MODELS / model))
    named, violated = TABLE[model]
    assert set(program.properties) == set(BUILTIN + named)
    exact = {e.prop: e.verdict for e in program.meta.expectations
             if e.memory_model == "sc" and e.prop != "*" and e.config is None}
    default = [e.verdict for e in program.meta.expectations
               if e.memory_model == "sc" and e.prop == "*" and e.config is None]
    assert default == ["holds"]
    assert {p for p, v in exact.items() if v == "violated"} == violated
    assert {p for p, v in exact.items() if v == "holds"} == set()
    if not model.startswith(("15_", "16_")):  # the B6 mutants: sc in the default configuration only
        assert {"NR_SLOTS": 3} in program.meta.configs
        # under both memory models: ra runs sc's configurations
        assert program.meta.config_mms[program.meta.configs.index({"NR_SLOTS": 3})] is None


def test_every_model_has_at_least_two_vcpus_and_one_writer():
    for model in TABLE:
        program = load_model(str(MODELS / model))
        threads = {t.name: t.instances for t in program.threads}
        assert threads.get(W) == 1, model
        assert threads.get("vcpu", 0) >= 2 and program.defines["NR_VCPUS"] >= 2, model
        assert program.defines["NR_AS"] == 2 and program.defines["NR_SLOTS"] == 2, model


# ------------------------------------------------------------------------------------- traces


def S(thread, func, text=None, op=None, note=None):
    """One essential step: every given field must occur in the trace step."""
    return {"thread": thread, "func": func, "text": text, "op": op, "note": note}


def _matches(step, pat) -> bool:
    if not step.thread.startswith(pat["thread"]) or step.func != pat["func"]:
        return False
    for field, attr in (("text", "text"), ("op", "op"), ("note", "note")):
        want = pat[field]
        if want is not None and want not in getattr(step, attr):
            return False
    return True


def _show(trace) -> str:
    return "\n".join(
        f"  {i:3} {s.thread:28} {s.func}:{s.line}  {s.text}  | {s.op}  | {s.note}"
        for i, s in enumerate(trace.steps, 1)
    )


def expect_steps(r, *pats):
    """The trace of r has steps matching pats, in this order; returns their indices."""
    assert r.verdict == "violated" and r.trace is not None, f"{r.name}: {r.verdict}"
    steps = r.trace.steps
    found, i = [], 0
    for pat in pats:
        while i < len(steps) and not _matches(steps[i], pat):
            i += 1
        assert i < len(steps), f"{r.name}: no step {pat} after step {found[-1] + 1 if found else 0}:\n{_show(r.trace)}"
        found.append(i)
        i += 1
    return found


def thread_of(r, index) -> str:
    return r.trace.steps[index].thread


# Steps that recur. Slot 0 of address space 0 as the snapshot reads it: {base_gfn, npages,
# flags, rmap[0]}; "{0, 1, 0, 0}" is the boot slot without rmaps. "{0, 1, 1, 0" is slot 0 with
# dirty logging toggled (FLAGS_ONLY) and no rmap.
SNAPSHOT_NO_RMAPS = S(W, "__kvm_set_memory_region", "old = active->memslots[id];", "-> {0, 1, 0, 0}")
W_LOCK = S(W, "kvm_set_memslot", "mutex_lock(&kvm->slots_arch_lock);")
W_DUP_WITH_RMAPS = S(W, "kvm_set_memslot", "copy = *active;", "&kvm_rmap_head#")
W_INSTALL_FLAGS_ONLY_NO_RMAP = S(W, "install_new_memslots", "*slots = *copy;", "= {0, 1, 1, 0, ")
W_ASSIGN = S(W, "install_new_memslots", "rcu_assign_pointer(kvm->memslots[as_id], slots);")
W_DUP_FAILS = S(W, "kvm_set_memslot", "slots = kvzalloc(", "allocation of struct kvm_memslots fails")
FAULT_NULL = S("vcpu.0", "shadow_page_fault", "slot = slots->memslots[", note="assertion failed")


def release(func, flag):
    return S(V, func, f"smp_store_release(&kvm->arch.{flag}, true);", "= 1 (release)")


def fast_path_false(func, flag):
    return S(V, func, flag, "-> 0")


# ---- 01: the seed v2


def test_01_b1_dup_failure_returns_holding_slots_arch_lock():
    r = result("01_seed_v2.c", "no-lock-leak")
    i_lock, i_fail = expect_steps(r, W_LOCK, W_DUP_FAILS)
    assert "thread ends holding lock kvm.slots_arch_lock" in r.trace.steps[i_fail].note
    assert not any(s.thread == W and "mutex_unlock" in s.text for s in r.trace.steps[i_lock:])


def test_01_b1_then_deadlock():
    r = result("01_seed_v2.c", "no-deadlock")
    expect_steps(r, W_LOCK, W_DUP_FAILS, S(V, "vcpu", "srcu_read_lock"))
    assert "waits for kvm->slots_arch_lock" in r.trace.final
    assert "held by kvm_set_user_memory_region" in r.trace.final


def test_01_b4_flags_only_installs_the_stale_snapshot():
    """B4 in the seed's writer: snapshot without slots_arch_lock, the allocator fills the slot and
    sets shadow_mmu_active (plain), FLAGS_ONLY installs the snapshot's NULL rmap, vcpu.0 walks it."""
    r = result("01_seed_v2.c", "rmaps-present")
    expect_steps(
        r,
        SNAPSHOT_NO_RMAPS,
        S(V, "alloc_all_memslots_rmaps", "kvm->arch.alloc_memslot_rmaps = true;", "= 1"),
        W_LOCK,
        W_DUP_WITH_RMAPS,
        W_INSTALL_FLAGS_ONLY_NO_RMAP,
        W_ASSIGN,
        S(V, "activate_shadow_mmu", "kvm->arch.shadow_mmu_active = true;", "= 1"),
        FAULT_NULL,
    )
    r = result("01_seed_v2.c", "active-rmaps")
    idx = expect_steps(r, SNAPSHOT_NO_RMAPS, S(V, "activate_shadow_mmu", "shadow_mmu_active = true"),
                       W_INSTALL_FLAGS_ONLY_NO_RMAP, W_ASSIGN)
    assert idx[-1] == len(r.trace.steps) - 1  # the invariant breaks at the install


def test_01_b4_leak_of_the_rmaps_allocated_after_the_snapshot():
    """The snapshot has no rmaps; the allocator fills the slot in the array the writer will copy
    and install over (here a DELETE: the snapshot's npages 0, NULL rmap); the array with the
    rmaps is freed and they are lost."""
    r = result("01_seed_v2.c", "no-leak")
    expect_steps(
        r,
        SNAPSHOT_NO_RMAPS,
        S(V, "alloc_all_memslots_rmaps", "*slots = cur;", "&kvm_rmap_head#"),
        W_DUP_WITH_RMAPS,
        S(W, "install_new_memslots", "*slots = *copy;", "= {0, 0, 0, 0, "),
        S(W, "kvfree_memslots", note="no longer reachable"),
    )


def test_01_open_b_commit_hook_walks_the_stack_copy():
    # the unreduced shortest: the default search's shortest commit-rmaps counterexample in its
    # reduced graph is B4's stale snapshot (the installed slot has no rmap either)
    r = result("01_seed_v2.c", "commit-rmaps", reduction="none")
    expect_steps(
        r,
        W_INSTALL_FLAGS_ONLY_NO_RMAP,
        W_ASSIGN,
        S(W, "install_new_memslots", "synchronize_srcu_expedited"),
        S(V, "alloc_all_memslots_rmaps", "*slots = cur;", "[kvm_memslots#1[0]] = {0, 1, 1, &kvm_rmap_head#"),
        S(V, "activate_shadow_mmu", "shadow_mmu_active = true"),
        S(W, "kvm_arch_commit_memory_region", "kvm->arch.shadow_mmu_active", "-> 1", "assertion failed"),
    )


# ---- 02 to 04: the review's sketch


def test_02_b5_literal_break_publishes_after_one_slot_per_address_space():
    r = result("02_review_sketch_literal.c", "rmaps-present")
    idx = expect_steps(
        r,
        S("vcpu.0", "kvm_activate_rmaps", "cur = *slots;", "[boot_memslots[0]"),
        S("vcpu.0", "kvm_activate_rmaps", "*slots = cur;", "= {0, 1, 0, &kvm_rmap_head#1, 1, 1"),
        S("vcpu.0", "kvm_activate_rmaps", "cur = *slots;", "[boot_memslots[1]"),
        release("kvm_activate_rmaps", "needs_memslots_rmaps"),
        S("vcpu.0", "shadow_page_fault", "slot = slots->memslots[FAULT_SLOT];",
          "[boot_memslots[0].memslots[1].base_gfn] -> {1, 1, 0, 0}", "assertion failed"),
    )
    allocs = [s for s in r.trace.steps[: idx[3]] if "allocate kvm_rmap_head" in s.op]
    assert len(allocs) == 2  # one slot per address space, no failure: the `break;` as written
    assert not any("fails" in s.op for s in r.trace.steps)
    r = result("02_review_sketch_literal.c", "active-rmaps")
    idx = expect_steps(r, release("kvm_activate_rmaps", "needs_memslots_rmaps"))
    assert idx[0] == len(r.trace.steps) - 1


def test_02_b2_second_vcpu_allocates_over_the_published_rmaps():
    r = result("02_review_sketch_literal.c", "no-leak")
    idx = expect_steps(
        r,
        fast_path_false("kvm_activate_rmaps", "needs_memslots_rmaps"),
        fast_path_false("kvm_activate_rmaps", "needs_memslots_rmaps"),
        release("kvm_activate_rmaps", "needs_memslots_rmaps"),
        S(V, "kvm_activate_rmaps", "mutex_lock"),
        S(V, "kvm_activate_rmaps", "*slots = cur;", note="no longer reachable"),
    )
    assert thread_of(r, idx[0]) != thread_of(r, idx[1])
    assert thread_of(r, idx[3]) != thread_of(r, idx[2])


def test_03_b5_failure_in_as0_then_success_in_as1_publishes():
    for prop in ("active-rmaps", "rmaps-present"):
        r = result("03_review_sketch_inner_break.c", prop)
        idx = expect_steps(
            r,
            S("vcpu.0", "kvm_activate_rmaps", "cur = *slots;", "[boot_memslots[0]"),
            S("vcpu.0", "alloc_memslot_rmap", "kvcalloc", "fails"),
            S("vcpu.0", "kvm_activate_rmaps", "cur = *slots;", "[boot_memslots[1]"),
            S("vcpu.0", "alloc_memslot_rmap", "kvcalloc", "allocate kvm_rmap_head"),
            release("kvm_activate_rmaps", "needs_memslots_rmaps"),
        )
        if prop == "rmaps-present":
            expect_steps(r, release("kvm_activate_rmaps", "needs_memslots_rmaps"),
                         S("vcpu.0", "shadow_page_fault", "slot = slots->memslots[FAULT_SLOT];", "-> {1, 1, 0, 0}",
                           "assertion failed"))
        else:
            assert idx[-1] == len(r.trace.steps) - 1


def test_03_b2_a_failing_redundant_pass_loses_the_published_rmaps():
    # the unreduced graph's shortest leak (the default reduction finds a successful second pass)
    r = result("03_review_sketch_inner_break.c", "no-leak", reduction="none")
    idx = expect_steps(
        r,
        fast_path_false("kvm_activate_rmaps", "needs_memslots_rmaps"),
        fast_path_false("kvm_activate_rmaps", "needs_memslots_rmaps"),
        release("kvm_activate_rmaps", "needs_memslots_rmaps"),
        S(V, "kvm_activate_rmaps", "cur = *slots;", "&kvm_rmap_head#1"),
        S(V, "alloc_memslot_rmap", "kvcalloc", "fails"),
        S(V, "kvm_activate_rmaps", "*slots = cur;", note="no longer reachable"),
    )
    assert thread_of(r, idx[3]) != thread_of(r, idx[2])


def test_04_deviation_no_recheck_lets_a_second_pass_free_published_rmaps():
    """04 (the sketch with its loops repaired) still lacks the re-check under the lock: the
    second vCPU's pass runs after the flag was published, and its failure frees rmaps while the
    flag stays true."""
    r = result("04_review_sketch_fixed.c", "active-rmaps", reduction="none")  # the unreduced shortest
    idx = expect_steps(
        r,
        fast_path_false("kvm_activate_rmaps", "needs_memslots_rmaps"),
        fast_path_false("kvm_activate_rmaps", "needs_memslots_rmaps"),
        release("kvm_activate_rmaps", "needs_memslots_rmaps"),
        S(V, "kvm_activate_rmaps", "mutex_lock"),
        S(V, "kvm_activate_rmaps", "cur = *slots;", "&kvm_rmap_head#1"),
        S(V, "alloc_memslot_rmap", "kvcalloc", "fails"),
        S(V, "kvm_activate_rmaps", "*slots = cur;", "= {0, 1, 0, 0, "),
    )
    assert thread_of(r, idx[0]) != thread_of(r, idx[1])
    assert thread_of(r, idx[3]) != thread_of(r, idx[2])  # the second pass is the other vCPU's
    r = result("04_review_sketch_fixed.c", "no-leak")
    expect_steps(r, release("kvm_activate_rmaps", "needs_memslots_rmaps"),
                 S(V, "kvm_activate_rmaps", "*slots = cur;", note="no longer reachable"))


@pytest.mark.parametrize("defines", [{"RECHECK": 1}, {"NR_VCPUS": 1}], ids=["recheck", "one-vcpu"])
def test_04_with_the_recheck_or_one_vcpu_every_property_holds(defines):
    res = run("04_review_sketch_fixed.c", **defines)
    assert res.stats.complete
    assert {n: r.verdict for n, r in res.results.items() if r.verdict != "holds"} == {}


# ---- 05 and 06: v3 and v4


def test_05_b2_both_vcpus_pass_the_fast_path_and_the_second_allocates_again():
    """Without allocation failures the only leak left is B2 itself."""
    r = result("05_v3.c", "no-leak", faults=0)
    idx = expect_steps(
        r,
        fast_path_false("kvm_memslots_have_rmaps", "memslots_have_rmaps"),
        fast_path_false("kvm_memslots_have_rmaps", "memslots_have_rmaps"),
        release("alloc_all_memslots_rmaps", "memslots_have_rmaps"),
        S(V, "alloc_all_memslots_rmaps", "mutex_lock"),
        S(V, "alloc_all_memslots_rmaps", "memcpy(&all"),  # no re-check between lock and loop
        S(V, "alloc_all_memslots_rmaps", "*slots = cur;", note="no longer reachable"),
    )
    assert thread_of(r, idx[0]) != thread_of(r, idx[1])
    second = thread_of(r, idx[3])
    assert second != thread_of(r, idx[2])
    # v3 has no re-check: between its lock and its loop the second vCPU reads no flag
    assert not any(s.thread == second and "memslots_have_rmaps" in s.op for s in r.trace.steps[idx[3]:idx[4]])


def test_05_leak_after_partial_failure_without_warn():
    r = result("05_v3.c", "no-leak")
    idx = expect_steps(
        r,
        S(V, "alloc_all_memslots_rmaps", "*slots = cur;", "&kvm_rmap_head#1"),  # kept
        S(V, "alloc_memslot_rmap", "kvcalloc", "fails"),
        S(V, "alloc_all_memslots_rmaps", "mutex_unlock"),
        S(V, "alloc_all_memslots_rmaps", "cur = *slots;", "&kvm_rmap_head#1"),
        S(V, "alloc_all_memslots_rmaps", "*slots = cur;", note="no longer reachable"),
    )
    assert thread_of(r, idx[3]) != thread_of(r, idx[0])


@pytest.mark.parametrize("model", ["05_v3.c", "06_v4.c"])
def test_05_06_b1_and_b4_as_in_the_seed(model):
    r = result(model, "no-lock-leak")
    expect_steps(r, W_LOCK, S(W, "kvm_set_memslot", "slots = kvzalloc(", "fails", "thread ends holding lock"))
    r = result(model, "rmaps-present")
    expect_steps(r, SNAPSHOT_NO_RMAPS, release("alloc_all_memslots_rmaps", "memslots_have_rmaps"), W_LOCK,
                 W_DUP_WITH_RMAPS, W_INSTALL_FLAGS_ONLY_NO_RMAP, W_ASSIGN, FAULT_NULL)


def test_06_b1_recheck_path_returns_holding_the_lock():
    """With no allocation failures the writer's own B1 paths are closed: the lock leak is v4's."""
    r = result("06_v4.c", "no-lock-leak", faults=0)
    idx = expect_steps(
        r,
        fast_path_false("kvm_memslots_have_rmaps", "memslots_have_rmaps"),
        release("alloc_all_memslots_rmaps", "memslots_have_rmaps"),
        S(V, "alloc_all_memslots_rmaps", "mutex_unlock"),
        S(V, "alloc_all_memslots_rmaps", "mutex_lock(&kvm->slots_arch_lock);"),
        S(V, "kvm_memslots_have_rmaps", "smp_load_acquire", "-> 1"),
        S(V, "vcpu", "srcu_read_unlock", note="thread ends holding lock kvm.slots_arch_lock"),
    )
    assert len({thread_of(r, i) for i in idx[3:]}) == 1
    assert thread_of(r, idx[3]) != thread_of(r, idx[1])
    r = result("06_v4.c", "no-deadlock", faults=0)
    assert "kvm_set_user_memory_region waits for kvm->slots_arch_lock" in r.trace.final
    assert "held by vcpu." in r.trace.final


@pytest.mark.parametrize("model,func", [("06_v4.c", "memslot_rmap_alloc"), ("07_v5_5.14.c", "memslot_rmap_alloc")])
def test_06_07_b3_warn_and_overwrite_after_a_partial_failure(model, func):
    alloc = "alloc_all_memslots_rmaps"
    r = result(model, "no-warn")
    idx = expect_steps(
        r,
        S(V, func, "kvcalloc", "allocate kvm_rmap_head#1"),
        S(V, alloc, "*slots = cur;", "&kvm_rmap_head#1"),  # the slot done before is kept
        S(V, func, "kvcalloc", "fails"),
        S(V, alloc, "mutex_unlock"),
        S(V, alloc, "cur = *slots;", "&kvm_rmap_head#1", "WARN_ON fired"),
    )
    assert thread_of(r, idx[4]) != thread_of(r, idx[1])  # the next call, by the other vCPU
    r = result(model, "no-leak")
    expect_steps(r, S(V, func, "kvcalloc", "fails"), S(V, alloc, "cur = *slots;", note="WARN_ON fired"),
                 S(V, alloc, "*slots = cur;", note="no longer reachable"))


def test_07_b3_on_a_retried_kvm_run_of_the_same_vcpu():
    """NR_RUNS=2 with one vCPU: the literal retry (a second KVM_RUN after -ENOMEM)."""
    r = result("07_v5_5.14.c", "no-warn", NR_VCPUS=1, NR_RUNS=2)
    expect_steps(
        r,
        S("vcpu.0", "memslot_rmap_alloc", "kvcalloc", "fails"),
        S("vcpu.0", "vcpu", "srcu_read_unlock"),
        S("vcpu.0", "vcpu", "srcu_read_lock"),
        S("vcpu.0", "alloc_all_memslots_rmaps", "cur = *slots;", "&kvm_rmap_head#1", "WARN_ON fired"),
    )


@pytest.mark.parametrize("model", ["08_5.15.c", "09_5.16.c"])
def test_08_09_a_retried_kvm_run_reuses_the_kept_levels(model):
    res = run(model, NR_VCPUS=1, NR_RUNS=2)
    assert res.results["no-warn"].verdict == "holds"
    assert res.results["active-rmaps"].verdict == ("violated" if model == "08_5.15.c" else "holds")


# ---- 07 and 08: B4, the stale snapshot

@pytest.mark.parametrize("model", ["07_v5_5.14.c", "08_5.15.c"])
def test_07_08_b4_snapshot_flag_stale_install_null_rmap(model):
    """The issue's four essential steps: the snapshot, the allocator's store of the flag, the
    install of the stale slot, the reader's NULL rmap (and the writer's lock after the flag)."""
    r = result(model, "rmaps-present")
    expect_steps(
        r,
        SNAPSHOT_NO_RMAPS,
        release("alloc_all_memslots_rmaps", "memslots_have_rmaps"),
        W_LOCK,
        W_DUP_WITH_RMAPS,  # the duplicate has the rmaps ...
        W_INSTALL_FLAGS_ONLY_NO_RMAP,  # ... the stale `new` overwrites them with NULL
        W_ASSIGN,
        S("vcpu.0", "shadow_page_fault", "slots = srcu_dereference(", "-> &kvm_memslots#"),
        S("vcpu.0", "shadow_page_fault", "slot = slots->memslots[0];", "-> {0, 1, 1, 0}", "assertion failed"),
    )
    r = result(model, "active-rmaps")
    idx = expect_steps(r, SNAPSHOT_NO_RMAPS, release("alloc_all_memslots_rmaps", "memslots_have_rmaps"), W_LOCK,
                       W_INSTALL_FLAGS_ONLY_NO_RMAP, W_ASSIGN)
    assert idx[-1] == len(r.trace.steps) - 1


def test_08_leak_is_b4_not_b3():
    r = result("08_5.15.c", "no-leak")
    expect_steps(r, SNAPSHOT_NO_RMAPS, W_DUP_WITH_RMAPS, S(W, "install_new_memslots", "*slots = *copy;", "= {0, 0, 0, 0, "),
                 S(W, "kvfree_memslots", note="no longer reachable"))
    assert not any("WARN" in s.note for s in r.trace.steps)



def test_08_with_the_snapshot_under_slots_arch_lock_only_open_a_and_b_remain():
    """The configuration proofs/08_5.15_allocator.proof follows: the 5.15 allocator with a writer
    that takes its snapshot under slots_arch_lock (bda44d844758) has 5.16's verdicts: B3 and B4 are
    gone (no leak, no NULL rmap, the flag's invariant holds); only OPEN (a) and (b) are left."""
    res = run("08_5.15.c", SNAPSHOT_UNDER_ARCH_LOCK=1)
    assert res.stats.complete
    assert {n for n, r in res.results.items() if r.verdict != "holds"} == {"commit-rmaps", "stale-slot-rmaps"}
    assert {n: r.verdict for n, r in run("09_5.16.c").results.items() if r.verdict != "holds"} == \
        {n: r.verdict for n, r in res.results.items() if r.verdict != "holds"}


# ---- OPEN (a) and (b)

@pytest.mark.parametrize("model", ["07_v5_5.14.c", "08_5.15.c", "09_5.16.c"])
def test_open_a_by_value_arrays_notifier_walks_the_array_it_fetched(model):
    flag = "shadow_root_allocated" if model == "09_5.16.c" else "memslots_have_rmaps"
    alloc = "mmu_first_shadow_root_alloc" if model == "09_5.16.c" else "alloc_all_memslots_rmaps"
    r = result(model, "stale-slot-rmaps", reduction="none")  # the default's shortest here is B4's
    idx = expect_steps(
        r,
        S("vcpu.1", "kvm_mmu_notifier_clear_young", "srcu_dereference", "-> &boot_memslots[0]"),
        W_ASSIGN,
        S("vcpu.0", alloc, "memcpy(&all", "{&kvm_memslots#"),  # the allocator fills the NEW array
        release(alloc, flag),
        S("vcpu.1", "kvm_" + ("shadow_root_allocated" if model == "09_5.16.c" else "memslots_have_rmaps"),
          "smp_load_acquire", "-> 1"),
        S("vcpu.1", "kvm_mmu_notifier_clear_young", "slot = slots->memslots[0];",
          "[boot_memslots[0].memslots[0].base_gfn] -> {0, 1, 0, 0}", "assertion failed"),
    )
    assert thread_of(r, idx[3]) == "vcpu.0"


def test_open_a_5_17_only_the_replaced_object_is_stale():
    # the unreduced shortest: in the default's reduced graph the reader fetches the old array
    # before the swap but reads the slot pointer from it after (same race, other order)
    r = result("10_5.17.c", "stale-slot-rmaps", reduction="none")
    idx = expect_steps(
        r,
        S("vcpu.1", "kvm_mmu_notifier_clear_young", "slot = slots->slots[0];", "-> &boot_slots[0][0]"),
        S(W, "kvm_swap_active_memslots", "rcu_assign_pointer", "= &memslot_sets[0][1]"),
        S("vcpu.0", "mmu_first_shadow_root_alloc", "slot->arch = cur.arch;", "[kvm_memory_slot#"),
        release("mmu_first_shadow_root_alloc", "shadow_root_allocated"),
        S("vcpu.1", "kvm_shadow_root_allocated", "smp_load_acquire", "-> 1"),
        S("vcpu.1", "kvm_mmu_notifier_clear_young", "cur = *slot;", "[boot_slots[0][0].base_gfn] -> {0, 1, 0, 0}",
          "assertion failed"),
    )
    # the allocator wrote the object that replaced `old` (invalid_slot or new), not `old`
    assert not any("[boot_slots[0][0]" in s.op for s in r.trace.steps[idx[1]:idx[4]] if s.thread == "vcpu.0")


@pytest.mark.parametrize("model", ["07_v5_5.14.c", "08_5.15.c", "09_5.16.c"])
def test_open_b_commit_hook_walks_the_stack_copy_not_the_installed_slot(model):
    flag = "shadow_root_allocated" if model == "09_5.16.c" else "memslots_have_rmaps"
    alloc = "mmu_first_shadow_root_alloc" if model == "09_5.16.c" else "alloc_all_memslots_rmaps"
    r = result(model, "commit-rmaps", reduction="none")  # the default's shortest here is B4's
    expect_steps(
        r,
        W_INSTALL_FLAGS_ONLY_NO_RMAP,
        W_ASSIGN,
        S(W, "install_new_memslots", "synchronize_srcu_expedited"),
        S(V, alloc, "*slots = cur;", "[kvm_memslots#1[0]] = {0, 1, 1, &kvm_rmap_head#"),  # installed slot filled
        release(alloc, flag),
        S(W, "kvm_" + ("shadow_root_allocated" if model == "09_5.16.c" else "memslots_have_rmaps"),
          "smp_load_acquire", "-> 1", "assertion failed"),
    )


# ---- which change types reach what (WRITER_CHANGE: 0 CREATE, 1 DELETE, 2 MOVE, 3 FLAGS_ONLY)

PER_CHANGE = {
    # B4 needs FLAGS_ONLY to install a stale NULL rmap; DELETE/MOVE leak the stale snapshot's.
    "08_5.15.c": {"rmaps-present": {3}, "no-leak": {1, 2, 3}, "stale-slot-rmaps": {0, 1, 2, 3},
                  "commit-rmaps": {3}},
    # OPEN (a) with by-value arrays: every change (CREATE too); OPEN (b): FLAGS_ONLY only.
    "09_5.16.c": {"rmaps-present": set(), "no-leak": set(), "stale-slot-rmaps": {0, 1, 2, 3},
                  "commit-rmaps": {3}},
    # OPEN (a) with shared objects: only the changes that replace slot 0's object; (b) closed.
    "10_5.17.c": {"rmaps-present": set(), "no-leak": set(), "stale-slot-rmaps": {1, 2, 3},
                  "commit-rmaps": set()},
}


@pytest.mark.parametrize("model,change", [(m, c) for m in PER_CHANGE for c in range(4)])
def test_per_change_type(model, change):
    res = run(model, WRITER_CHANGE=change)
    assert res.stats.complete
    for prop, changes in PER_CHANGE[model].items():
        want = "violated" if change in changes else "holds"
        assert res.results[prop].verdict == want, (model, change, prop)


# ---- the mutants


def test_11_b8_copy_made_before_slots_arch_lock():
    for prop in ("active-rmaps", "rmaps-present"):
        r = result("11_mutant_no_arch_lock.c", prop)
        idx = expect_steps(
            r,
            S(W, "kvm_set_memslot", "copy = *active;", "-> {0, 1, 0, 0, "),  # no rmaps, no lock held
            release("mmu_first_shadow_root_alloc", "shadow_root_allocated"),
            W_LOCK,
            S(W, "install_new_memslots", "*slots = *copy;"),
            W_ASSIGN,
        )
        assert not any(s.thread == W and "mutex_lock" in s.text for s in r.trace.steps[: idx[0]])
        if prop == "rmaps-present":
            expect_steps(r, W_ASSIGN, S("vcpu.0", "shadow_page_fault", "slot = slots->memslots[FAULT_SLOT];",
                                        "-> {1, 1, 0, 0}", "assertion failed"))
    r = result("11_mutant_no_arch_lock.c", "no-leak")
    expect_steps(r, S(W, "kvm_set_memslot", "copy = *active;"), release("mmu_first_shadow_root_alloc",
                 "shadow_root_allocated"), W_ASSIGN, S(W, "install_new_memslots", note="no longer reachable"))


def test_12_b7_lock_held_across_synchronize_srcu():
    r = result("12_mutant_lock_across_sync.c", "no-deadlock")
    expect_steps(r, W_LOCK, W_ASSIGN, S(V, "vcpu", "srcu_read_lock"),
                 S(W, "install_new_memslots", "synchronize_srcu_expedited", "waits for vcpu"))
    assert "kvm_set_user_memory_region waits in synchronize_srcu" in r.trace.final
    assert "waits for kvm->slots_arch_lock" in r.trace.final and "held by kvm_set_user_memory_region" in r.trace.final
    r = result("12_mutant_lock_across_sync.c", "lock-order")
    assert "holds kvm.slots_arch_lock" in r.trace.final and "takes kvm.srcu (synchronize_srcu" in r.trace.final
    assert "holds kvm.srcu" in r.trace.final and "takes kvm.slots_arch_lock" in r.trace.final


def test_13_b9_no_refresh_after_relocking():
    r = result("13_mutant_no_refresh.c", "rmaps-present")
    idx = expect_steps(
        r,
        S(W, "install_new_memslots", "*slots = *copy;", "= {0, 1, 2, 0, "),  # the INVALID copy
        W_ASSIGN,
        S(W, "install_new_memslots", "mutex_unlock"),
        S(V, "mmu_first_shadow_root_alloc", "*slots = cur;", "[kvm_memslots#1[0]]"),  # fills the INVALID array
        release("mmu_first_shadow_root_alloc", "shadow_root_allocated"),
        W_LOCK,
        S(W, "install_new_memslots", "*slots = *copy;"),
        W_ASSIGN,
        S("vcpu.0", "shadow_page_fault", "slot = slots->memslots[FAULT_SLOT];", "-> {1, 1, 0, 0}", "assertion failed"),
    )
    between = r.trace.steps[idx[5] + 1: idx[6]]
    assert not any(s.thread == W and "copy = *active;" in s.text for s in between)  # the missing refresh
    r = result("13_mutant_no_refresh.c", "no-leak")
    expect_steps(r, release("mmu_first_shadow_root_alloc", "shadow_root_allocated"), W_LOCK,
                 S(W, "kvfree_memslots", "kvfree(slots);", note="no longer reachable"))


def test_14_flag_published_before_the_allocation_loop():
    r = result("14_mutant_flag_before_alloc.c", "active-rmaps")
    idx = expect_steps(r, S(V, "mmu_first_shadow_root_alloc", "mutex_lock"),
                       release("mmu_first_shadow_root_alloc", "shadow_root_allocated"))
    assert idx[-1] == len(r.trace.steps) - 1
    assert not any("allocate kvm_rmap_head" in s.op for s in r.trace.steps)
    r = result("14_mutant_flag_before_alloc.c", "rmaps-present")
    idx = expect_steps(
        r,
        release("mmu_first_shadow_root_alloc", "shadow_root_allocated"),
        S("vcpu.0", "kvm_shadow_root_allocated", "smp_load_acquire", "-> 1"),
        S("vcpu.0", "shadow_page_fault", "slot = slots->memslots[FAULT_SLOT];", note="assertion failed"),
    )
    assert thread_of(r, idx[0]) == "vcpu.1"


# ------------------------------------------------------------------------ ra: release/acquire


@pytest.mark.parametrize("model", sorted(RA_TABLE))
def test_ra_verdicts(model):
    """Every property under ra, in the model's ra configuration (what rmapcheck verify runs)."""
    res = run_ra(model)
    assert res.stats.complete, f"{model} (ra): the run was cut by {res.stats.limit}"
    got = {name for name, r in res.results.items() if r.verdict == "violated"}
    assert got == RA_TABLE[model], f"{model} (ra): violated {sorted(got)}"
    assert all(r.verdict == "holds" for name, r in res.results.items() if name not in got)


@pytest.mark.parametrize("model", sorted(RA_TABLE))
def test_ra_header_expectations_match_the_table(model):
    program = load_model(str(MODELS / model))
    assert program.meta.memory_models == ["sc", "ra"]
    exact = {e.prop: e.verdict for e in program.meta.expectations
             if e.memory_model == "ra" and e.prop != "*" and e.config is None}
    default = [e.verdict for e in program.meta.expectations
               if e.memory_model == "ra" and e.prop == "*" and e.config is None]
    assert default == ["holds"]
    assert {p for p, v in exact.items() if v == "violated"} == RA_TABLE[model]
    extra = program.meta.mm_defines["ra"]
    assert "NR_AS" not in extra and "NR_SLOTS" not in extra  # sc's configuration
    narrowed = "FIELD_READS" if model.startswith(("10_", "15_", "16_")) else "WRITE_BACK_POINTERS"
    assert extra[narrowed] == 1 and program.defines[narrowed] == 0  # sc keeps the one-step accesses


def test_designs_that_hold_under_sc_hold_under_ra():
    """Whatever holds under sc holds under ra, except B6 (the flag mutants) and the data races."""
    for model, (_, sc_violated) in TABLE.items():
        new = RA_TABLE[model] - sc_violated - {"no-data-race"}
        if model.startswith(("15_", "16_")):
            assert new == {"rmaps-present", "commit-rmaps"}, model
        else:
            assert new == set(), f"{model}: violated under ra only: {sorted(new)}"


def test_ra_5_17_is_race_free():
    assert ra_result("10_5.17.c", "no-data-race").verdict == "holds"


FLAG_TRUE_ACQUIRE = S("vcpu.0", "kvm_shadow_root_allocated", "smp_load_acquire", "-> 1")
FLAG_TRUE_ONCE = S("vcpu.0", "kvm_shadow_root_allocated", "READ_ONCE", "-> 1")
RMAP_STORE = S(V, "mmu_first_shadow_root_alloc", "slot->arch = cur.arch;")
# the fault reads the slot and misses the allocator's store of its rmap pointer (NULL)
FAULT_MISSES_RMAP = S("vcpu.0", "shadow_page_fault", "cur = *slot;", "missing &kvm_rmap_head#",
                      note="assertion failed")


@pytest.mark.parametrize("model,store,load", [
    ("15_mutant_flag_relaxed_store.c", "WRITE_ONCE(", FLAG_TRUE_ACQUIRE),
    ("16_mutant_flag_relaxed_load.c", "smp_store_release(", FLAG_TRUE_ONCE),
])
def test_15_16_b6_reader_sees_the_flag_but_not_the_rmap(model, store, load):
    r = ra_result(model, "rmaps-present")
    idx = expect_steps(r, RMAP_STORE, S(V, "mmu_first_shadow_root_alloc", store), load, FAULT_MISSES_RMAP)
    assert thread_of(r, idx[0]) == thread_of(r, idx[1]) == "vcpu.1"
    step = r.trace.steps[idx[-1]]
    assert "arch.rmap[0] reads the older 0, missing" in step.op  # the rmap pointer as it was: NULL
    assert "data race on boot_slots[0][0].arch.rmap[0]" in step.note
    race = ra_result(model, "no-data-race")
    assert "arch.rmap[0]" in race.message and "plain read" in race.message and "(vcpu.1)" in race.message
    # the FLAGS_ONLY commit hook: flag true, then the live `new` without its rmap pointer
    r = ra_result(model, "commit-rmaps")
    expect_steps(r, RMAP_STORE, S(V, "mmu_first_shadow_root_alloc", store),
                 S(W, "kvm_shadow_root_allocated", None, "-> 1"),
                 S(W, "kvm_commit_memory_region", "cur = *new;", "missing &kvm_rmap_head#", note="assertion failed"))


def test_15_16_with_plain_flag_accesses_the_flag_itself_races():
    for model in ("15_mutant_flag_relaxed_store.c", "16_mutant_flag_relaxed_load.c"):
        res = run_ra(model, FLAG_PLAIN=1)
        assert res.results["rmaps-present"].verdict == "violated", model
        assert "kvm.arch.shadow_root_allocated" in res.results["no-data-race"].message, model


def test_02_04_b6_the_review_sketch_fast_path_reads_the_flag_plain():
    """The reviewer's fast path `if (flag) return;` is a plain read racing with the release store."""
    # in sc's configuration the race reported first may be the writer's snapshot copy's: all races
    for model in ("02_review_sketch_literal.c", "03_review_sketch_inner_break.c", "04_review_sketch_fixed.c"):
        flag = [m for m in all_races(model) if "kvm.arch.needs_memslots_rmaps" in m]
        assert any("plain read" in m and "release write" in m for m in flag), (model, flag)


def test_5_14_to_5_16_snapshot_copy_races_with_the_allocator():
    """A finding of ra: __kvm_set_memory_region's by-value copy of the slot (before slots_arch_lock)
    reads arch.rmap[] while a vCPU's allocator stores it (a data race in LKMM's terms; the copy's
    arch is B4's stale snapshot in 5.14/5.15 and is overwritten under the lock in 5.16)."""
    for model in ("07_v5_5.14.c", "08_5.15.c", "09_5.16.c"):
        r = ra_result(model, "no-data-race")
        assert "boot_memslots[0].memslots[0].arch.rmap[0]" in r.message, r.message
        assert "(kvm_set_user_memory_region)" in r.message and "(vcpu." in r.message, r.message


def all_races(model: str) -> set:
    """Every data race the model's ra run meets (rmapcheck reports the first one only)."""
    from rmapcheck.engines.explicit.memory_ra import RAMemory
    from rmapcheck.engines.explicit.search import Limits, Search
    from rmapcheck.ir import nodes as ir
    from rmapcheck.runner import load_for

    class KeepReporting(RAMemory):
        report_races = property(lambda self: True, lambda self, value: None)

    races = set()

    class Collect(Search):
        def candidate(self, prop, *args, **kw):
            if prop == ir.P_RACE:
                races.add(args[4] if len(args) > 4 else kw.get("msg"))
            return super().candidate(prop, *args, **kw)

    program = load_for(str(MODELS / model), "ra")
    res = Collect(program, Limits(), KeepReporting(program)).run()
    assert res.stats.complete
    return races


def test_01_b6_the_seed_plain_flag_races():
    """The seed's shadow_mmu_active: plain store by the vCPU, plain read by the commit hook.
    (The race rmapcheck reports first is the snapshot copy's, a shorter trace: this collects all.)"""
    races = all_races("01_seed_v2.c")
    flag = [m for m in races if "kvm.arch.shadow_mmu_active" in m]
    assert any("kvm_set_user_memory_region" in m and "plain" in m for m in flag), sorted(races)


# ---------------------------------------------------------------------------- docs/models.md

def test_models_doc_is_generated_from_current_results():
    """docs/models.md is the generator's output for the current models (same runs as above)."""
    from rmapcheck.report.modelsdoc import render

    from rmapcheck.runner import load_for

    entries = [(m, load_model(str(MODELS / m)), run(m), load_for(str(MODELS / m), "ra"), run_ra(m))
               for m in sorted(p.name for p in MODELS.glob("*.c"))]  # as the generator: every model
    doc = (MODELS.parent / "docs" / "models.md").read_text()
    assert doc == render(entries), "docs/models.md is stale: python -m rmapcheck.report.modelsdoc > docs/models.md"
