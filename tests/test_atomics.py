"""The atomic operations of the model language, under sc and ra, both ways.

Atomicity: every read-modify-write primitive, applied by two threads at once, loses no
update (a checker that sees both threads done reads the final value both applied), and
the near miss that does the same with a separate read and write loses one, under both
memory models. Ordering: each form's LKMM ordering (relaxed, _acquire, _release, fully
ordered) decides a message-passing model under ra: the ordered forms hold, the relaxed
ones are violated (under sc every form holds: sc has no reordering to forbid).

The expected verdicts are derived from Documentation/atomic_t.txt and LKMM, not from
the tool's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rmapcheck.frontend import load_model
from rmapcheck.frontend.load import load_model_text
from rmapcheck.properties.verdict import HOLDS, VIOLATED
from rmapcheck.runner import check_program
from rmapcheck.verify import expectation
from model_runs import model_run, model_runs

MEMORY_MODELS = ("sc", "ra")


def verdict(text: str, mm: str, prop: str) -> str:
    program = load_model_text("atomics.c", text, {})
    res = check_program(program, mm)
    assert res.stats.complete
    assert res.results["assertions"].verdict == HOLDS, res.results["assertions"].message
    return res.results[prop].verdict


# -- atomicity ----------------------------------------------------------------------------------

ATOMICITY = """\
/*
 * @thread worker x2
 * @thread checker
 */
{decl}
atomic_t done;
long ret[2];

void worker(int id)
{{
	long r = 0;

	{call}
	WRITE_ONCE(ret[id], r);
	atomic_inc_return_release(&done);
}}

void checker(void)
{{
	if (atomic_read_acquire(&done) == 2)
		assert_property("no-lost-update", {check});
}}
"""

# kind: (declaration, the call (sets r where it returns something), the final check, the
# near miss: the same update with a separate read and write)
ATOMIC = "atomic_t v = ATOMIC_INIT({init});"
WORD = "unsigned long v = {init};"
KINDS = {
    "add": (0, "{f}(2, &v);", "atomic_read(&v) == 4", "atomic_set(&v, atomic_read(&v) + 2);"),
    "sub": (10, "{f}(2, &v);", "atomic_read(&v) == 6", "atomic_set(&v, atomic_read(&v) - 2);"),
    "inc": (0, "{f}(&v);", "atomic_read(&v) == 2", "atomic_set(&v, atomic_read(&v) + 1);"),
    "dec": (5, "{f}(&v);", "atomic_read(&v) == 3", "atomic_set(&v, atomic_read(&v) - 1);"),
    "or": (0, "{f}(1 << id, &v);", "atomic_read(&v) == 3", "atomic_set(&v, atomic_read(&v) | (1 << id));"),
    "and": (3, "{f}(~(1 << id), &v);", "atomic_read(&v) == 0", "atomic_set(&v, atomic_read(&v) & ~(1 << id));"),
    "xor": (0, "{f}(1 << id, &v);", "atomic_read(&v) == 3", "atomic_set(&v, atomic_read(&v) ^ (1 << id));"),
    "andnot": (3, "{f}(1 << id, &v);", "atomic_read(&v) == 0", "atomic_set(&v, atomic_read(&v) & ~(1 << id));"),
    # value-returning: r is what the primitive returns
    "add_return": (0, "r = {f}(2, &v);", "ret[0] + ret[1] == 6", "r = atomic_read(&v) + 2; atomic_set(&v, r);"),
    "sub_return": (10, "r = {f}(2, &v);", "ret[0] + ret[1] == 14", "r = atomic_read(&v) - 2; atomic_set(&v, r);"),
    "inc_return": (0, "r = {f}(&v);", "ret[0] + ret[1] == 3", "r = atomic_read(&v) + 1; atomic_set(&v, r);"),
    "dec_return": (2, "r = {f}(&v);", "ret[0] + ret[1] == 1", "r = atomic_read(&v) - 1; atomic_set(&v, r);"),
    "fetch_add": (0, "r = {f}(2, &v);", "ret[0] + ret[1] == 2", "r = atomic_read(&v); atomic_set(&v, r + 2);"),
    "fetch_sub": (10, "r = {f}(2, &v);", "ret[0] + ret[1] == 18", "r = atomic_read(&v); atomic_set(&v, r - 2);"),
    "fetch_inc": (0, "r = {f}(&v);", "ret[0] + ret[1] == 1", "r = atomic_read(&v); atomic_set(&v, r + 1);"),
    "fetch_dec": (2, "r = {f}(&v);", "ret[0] + ret[1] == 3", "r = atomic_read(&v); atomic_set(&v, r - 1);"),
    "fetch_or": (0, "r = {f}(1 << id, &v);", "ret[0] + ret[1] == 1 || ret[0] + ret[1] == 2",
                 "r = atomic_read(&v); atomic_set(&v, r | (1 << id));"),
    "fetch_and": (3, "r = {f}(~(1 << id), &v);", "atomic_read(&v) == 0 && ret[0] != ret[1]",
                  "r = atomic_read(&v); atomic_set(&v, r & ~(1 << id));"),
    "fetch_xor": (0, "r = {f}(1 << id, &v);", "atomic_read(&v) == 3 && ret[0] != ret[1]",
                  "r = atomic_read(&v); atomic_set(&v, r ^ (1 << id));"),
    "fetch_andnot": (3, "r = {f}(1 << id, &v);", "atomic_read(&v) == 0 && ret[0] != ret[1]",
                     "r = atomic_read(&v); atomic_set(&v, r & ~(1 << id));"),
    # exactly one of the two sees the counter reach zero / go negative
    "dec_and_test": (2, "r = {f}(&v);", "ret[0] + ret[1] == 1", "r = atomic_read(&v) - 1 == 0; atomic_set(&v, atomic_read(&v) - 1);"),
    "sub_and_test": (4, "r = {f}(2, &v);", "ret[0] + ret[1] == 1", "r = atomic_read(&v) - 2 == 0; atomic_set(&v, atomic_read(&v) - 2);"),
    "inc_and_test": (-2, "r = {f}(&v);", "ret[0] + ret[1] == 1", "r = atomic_read(&v) + 1 == 0; atomic_set(&v, atomic_read(&v) + 1);"),
    "add_negative": (1, "r = {f}(-1, &v);", "ret[0] + ret[1] == 1", "r = atomic_read(&v) - 1 < 0; atomic_set(&v, atomic_read(&v) - 1);"),
    # xchg / cmpxchg: each old value is returned to exactly one thread
    "xchg": (0, "r = {f}(&v, id + 1);", "ret[0] + ret[1] + atomic_read(&v) == 3 && ret[0] != ret[1]",
             "r = atomic_read(&v); atomic_set(&v, id + 1);"),
    "cmpxchg": (0, "r = {f}(&v, 0, id + 1);", "ret[0] + ret[1] == atomic_read(&v) && ret[0] != ret[1]",
                "r = atomic_read(&v); if (r == 0) atomic_set(&v, id + 1);"),
    "try_cmpxchg": (0, "int old = 0; r = {f}(&v, &old, id + 1);", "ret[0] + ret[1] == 1",
                    "r = atomic_read(&v) == 0; if (r) atomic_set(&v, id + 1);"),
    "add_unless": (0, "r = {f}(&v, 1, 5);", "atomic_read(&v) == 2", "if (atomic_read(&v) != 5) atomic_set(&v, atomic_read(&v) + 1);"),
    "fetch_add_unless": (0, "r = {f}(&v, 1, 5);", "ret[0] != ret[1]", "r = atomic_read(&v); if (r != 5) atomic_set(&v, r + 1);"),
    "inc_not_zero": (1, "r = {f}(&v);", "atomic_read(&v) == 3", "if (atomic_read(&v) != 0) atomic_set(&v, atomic_read(&v) + 1);"),
}
SUFFIXED = ("add_return", "sub_return", "inc_return", "dec_return", "fetch_add", "fetch_sub", "fetch_inc",
            "fetch_dec", "fetch_or", "fetch_and", "fetch_xor", "fetch_andnot", "add_negative", "xchg",
            "cmpxchg", "try_cmpxchg")
FAMILIES = ("atomic", "atomic64", "atomic_long")
TYPES = {"atomic": "atomic_t", "atomic64": "atomic64_t", "atomic_long": "atomic_long_t"}

# The plain (non-atomic_t) forms on a word, and the bit operations.
WORD_KINDS = {
    "xchg": (0, "r = {f}(&v, id + 1);", "ret[0] + ret[1] + READ_ONCE(v) == 3 && ret[0] != ret[1]",
             "r = READ_ONCE(v); WRITE_ONCE(v, id + 1);"),
    "cmpxchg": (0, "r = {f}(&v, 0, id + 1);", "ret[0] + ret[1] == READ_ONCE(v) && ret[0] != ret[1]",
                "r = READ_ONCE(v); if (r == 0) WRITE_ONCE(v, id + 1);"),
    "try_cmpxchg": (0, "unsigned long old = 0; r = {f}(&v, &old, id + 1);", "ret[0] + ret[1] == 1",
                    "r = READ_ONCE(v) == 0; if (r) WRITE_ONCE(v, id + 1);"),
}
_SET = "WRITE_ONCE(v, READ_ONCE(v) | (1 << id));"
_CLEAR = "WRITE_ONCE(v, READ_ONCE(v) & ~(1 << id));"
BITS = {
    "set_bit": (0, "{f}(id, &v);", "READ_ONCE(v) == 3", _SET),
    "clear_bit": (3, "{f}(id, &v);", "READ_ONCE(v) == 0", _CLEAR),
    "change_bit": (0, "{f}(id, &v);", "READ_ONCE(v) == 3", "WRITE_ONCE(v, READ_ONCE(v) ^ (1 << id));"),
    "test_and_set_bit": (0, "r = {f}(id, &v);", "READ_ONCE(v) == 3 && ret[0] + ret[1] == 0", _SET),
    "test_and_clear_bit": (3, "r = {f}(id, &v);", "READ_ONCE(v) == 0 && ret[0] + ret[1] == 2", _CLEAR),
    "test_and_change_bit": (0, "r = {f}(id, &v);", "READ_ONCE(v) == 3",
                            "WRITE_ONCE(v, READ_ONCE(v) ^ (1 << id));"),
    "test_and_set_bit_lock": (0, "r = {f}(id, &v);", "READ_ONCE(v) == 3", _SET),
    "clear_bit_unlock": (3, "{f}(id, &v);", "READ_ONCE(v) == 0", _CLEAR),
}


def _names() -> list:
    """(primitive, kind, family or None): every read-modify-write primitive."""
    out = []
    for fam in FAMILIES:
        for kind in KINDS:
            if kind in SUFFIXED:
                for sfx in ("", "_relaxed", "_acquire", "_release"):
                    out.append((f"{fam}_{kind}{sfx}", kind, fam))
            else:
                out.append((f"{fam}_{kind}", kind, fam))
    for kind in WORD_KINDS:
        for sfx in ("", "_relaxed", "_acquire", "_release"):
            out.append((f"{kind}{sfx}", kind, None))
    for kind in BITS:
        out.append((kind, kind, "bits"))
    return out


NAMES = _names()


def atomicity_model(name: str, kind: str, fam: str | None, near_miss: bool) -> str:
    if fam is None:
        init, call, check, miss = WORD_KINDS[kind]
        decl = WORD.format(init=init)
    elif fam == "bits":
        init, call, check, miss = BITS[kind]
        decl = WORD.format(init=init)
    else:
        init, call, check, miss = KINDS[kind]
        decl = f"{TYPES[fam]} v = ATOMIC_INIT({init});"
        if fam != "atomic":
            miss = miss.replace("atomic_", f"{fam}_")
            check = check.replace("atomic_", f"{fam}_")
    body = miss if near_miss else call.format(f=name)
    return ATOMICITY.format(decl=decl, call=body, check=check)


def test_every_family_is_covered():
    got = {n for n, _, _ in NAMES}
    for fam in FAMILIES:
        for op in ("add", "sub", "inc", "dec", "and", "or", "xor", "andnot"):
            assert f"{fam}_{op}" in got and f"{fam}_fetch_{op}_acquire" in got
        for op in ("add", "sub", "inc", "dec"):
            assert f"{fam}_{op}_return_release" in got
        assert {f"{fam}_dec_and_test", f"{fam}_cmpxchg_relaxed", f"{fam}_xchg"} <= got
    assert {"xchg", "cmpxchg", "test_and_set_bit", "clear_bit_unlock"} <= got


@pytest.mark.parametrize("mm", MEMORY_MODELS)
@pytest.mark.parametrize("name,kind,fam", NAMES, ids=[n for n, _, _ in NAMES])
def test_atomic_loses_no_update(name, kind, fam, mm):
    assert verdict(atomicity_model(name, kind, fam, False), mm, "no-lost-update") == HOLDS


NEAR_MISSES = sorted({(kind, fam if fam in (None, "bits") else "atomic") for _, kind, fam in NAMES},
                     key=lambda x: (x[0], str(x[1])))


@pytest.mark.parametrize("mm", MEMORY_MODELS)
@pytest.mark.parametrize("kind,fam", NEAR_MISSES, ids=[f"{k}-{f}" for k, f in NEAR_MISSES])
def test_separate_read_and_write_loses_an_update(kind, fam, mm):
    assert verdict(atomicity_model(kind, kind, fam, True), mm, "no-lost-update") == VIOLATED


# -- ordering -----------------------------------------------------------------------------------

MP = """\
/*
 * @thread writer
 * @thread reader
 */
int data;
{decl}

void writer(void)
{{
	long r = 0;

	WRITE_ONCE(data, 1);
	{publish}
}}

void reader(void)
{{
	long r = 0;

	{observe}
	if (r)
		assert_property("data-seen", READ_ONCE(data) == 1);
}}
"""

# Publishing flag = 1 with each writer form (r unused), observing it with each reader form.
PUBLISH = {
    "xchg": "{f}(&flag, 1);", "cmpxchg": "{f}(&flag, 0, 1);", "add_return": "{f}(1, &flag);",
    "inc_return": "{f}(&flag);", "fetch_add": "{f}(1, &flag);", "fetch_or": "{f}(1, &flag);",
    "fetch_inc": "{f}(&flag);",
}
OBSERVE = {
    "xchg": "r = {f}(&flag, 0);", "cmpxchg": "r = {f}(&flag, 1, 2);", "add_return": "r = {f}(0, &flag);",
    "fetch_add": "r = {f}(0, &flag);", "fetch_or": "r = {f}(0, &flag);", "fetch_and": "r = {f}(1, &flag);",
    "fetch_sub": "r = {f}(0, &flag);",
}
WRITER_ORDERED = {"": True, "_release": True, "_acquire": False, "_relaxed": False}
READER_ORDERED = {"": True, "_acquire": True, "_release": False, "_relaxed": False}
ORDERING = ([("publish", k, s) for k in PUBLISH for s in WRITER_ORDERED]
            + [("observe", k, s) for k in OBSERVE for s in READER_ORDERED])


def mp_model(side: str, kind: str, sfx: str) -> str:
    if side == "publish":
        publish = PUBLISH[kind].format(f=f"atomic_{kind}{sfx}")
        observe = "r = atomic_read_acquire(&flag);"
    else:
        publish = "atomic_set_release(&flag, 1);"
        observe = OBSERVE[kind].format(f=f"atomic_{kind}{sfx}")
    return MP.format(decl="atomic_t flag;", publish=publish, observe=observe)


@pytest.mark.parametrize("side,kind,sfx", ORDERING, ids=[f"{s}-{k}{x or '_mb'}" for s, k, x in ORDERING])
def test_lkmm_ordering_of_each_form(side, kind, sfx):
    text = mp_model(side, kind, sfx)
    ordered = (WRITER_ORDERED if side == "publish" else READER_ORDERED)[sfx]
    assert verdict(text, "ra", "data-seen") == (HOLDS if ordered else VIOLATED)
    assert verdict(text, "sc", "data-seen") == HOLDS


def test_failed_cmpxchg_orders_nothing():
    """LKMM: a cmpxchg that fails is a relaxed read, even the fully ordered form."""
    text = MP.format(decl="atomic_t flag;", publish="atomic_set_release(&flag, 1);",
                     observe="r = atomic_cmpxchg(&flag, 5, 6);")  # never succeeds: flag is 0 or 1
    assert verdict(text, "ra", "data-seen") == VIOLATED
    ok = MP.format(decl="atomic_t flag;", publish="atomic_set_release(&flag, 1);",
                   observe="r = atomic_cmpxchg(&flag, 5, 6); smp_mb__after_atomic();")
    assert verdict(ok, "ra", "data-seen") == HOLDS


@pytest.mark.parametrize("publish,ordered", [
    ("smp_mb__before_atomic(); atomic_inc(&flag);", True),
    ("atomic_inc(&flag);", False),
    ("atomic_inc(&flag); smp_mb__after_atomic();", False),  # orders what follows, not data
])
def test_mb_before_atomic(publish, ordered):
    text = MP.format(decl="atomic_t flag;", publish=publish, observe="r = atomic_read_acquire(&flag);")
    assert verdict(text, "ra", "data-seen") == (HOLDS if ordered else VIOLATED)
    assert verdict(text, "sc", "data-seen") == HOLDS


@pytest.mark.parametrize("observe,ordered", [
    ("r = atomic_inc_return_relaxed(&flag) > 1; smp_mb__after_atomic();", True),
    ("r = atomic_inc_return_relaxed(&flag) > 1;", False),
    ("r = atomic_read(&flag); smp_rmb();", True),
])
def test_mb_after_atomic(observe, ordered):
    text = MP.format(decl="atomic_t flag;", publish="atomic_set_release(&flag, 1);", observe=observe)
    assert verdict(text, "ra", "data-seen") == (HOLDS if ordered else VIOLATED)
    assert verdict(text, "sc", "data-seen") == HOLDS


def test_release_sequence_through_a_relaxed_rmw():
    """LKMM's rmw-sequence: a release store read by a relaxed RMW still publishes to an
    acquire that reads the RMW's value (cumul-fence ends with rmw-sequence)."""
    text = """\
/*
 * @thread writer
 * @thread bumper
 * @thread reader
 */
int data;
atomic_t flag;

void writer(void)
{
	WRITE_ONCE(data, 1);
	atomic_set_release(&flag, 1);
}

void bumper(void)
{
	atomic_inc(&flag);
}

void reader(void)
{
	if (atomic_read_acquire(&flag) == 2)
		assert_property("data-seen", READ_ONCE(data) == 1);
}
"""
    # flag == 2 was read: the bump read the release store's 1 (it comes right after it in
    # coherence order), so data=1 happens before the acquire.
    assert verdict(text, "ra", "data-seen") == HOLDS
    # near miss: the writer's publication is relaxed
    assert verdict(text.replace("atomic_set_release", "atomic_set"), "ra", "data-seen") == VIOLATED


# -- hand-written models: lockdep, RCU, bit locks, the barriers that go with atomics, ?: -------

MODELS = Path(__file__).parent / "models" / "atomics"
# run (a model, then its @config) -> memory model -> the properties it violates (every other one
# holds). Each near miss is the model above it with one thing changed (a separate model, or its
# NEAR_MISS=1 configuration); a barrier's near miss is violated under ra
# only, since sc has no reordering for the barrier to forbid.
HAND = {
    "lockdep_held": {"sc": set(), "ra": set()},
    "lockdep_unheld": {"sc": {"lockdep"}, "ra": {"lockdep"}},
    "rcu_sync_free": {"sc": set(), "ra": set()},
    "rcu_sync_free NEAR_MISS=1": {"sc": {"no-use-after-free"}, "ra": {"no-use-after-free"}},
    "bitlock": {"sc": set(), "ra": set()},
    "bitlock_test_then_set": {"sc": {"count-matches"}, "ra": {"count-matches"}},
    "bitlock NEAR_MISS=1": {"sc": set(), "ra": {"count-matches"}},
    "after_unlock_lock": {"sc": set(), "ra": set()},
    "after_unlock_lock NEAR_MISS=1": {"sc": set(), "ra": {"not-both-missed"}},
    "after_srcu_read_unlock": {"sc": set(), "ra": set()},
    "after_srcu_read_unlock NEAR_MISS=1": {"sc": set(), "ra": {"not-both-missed"}},
    "after_spinlock": {"sc": set(), "ra": set()},
    "after_spinlock NEAR_MISS=1": {"sc": set(), "ra": {"not-both-missed"}},
    "ternary_select": {"sc": set(), "ra": set()},
    "ternary_select_relaxed": {"sc": set(), "ra": {"slot-ready"}},
}


def test_every_hand_model_is_listed():
    assert sorted(r.name for r in model_runs(sorted(MODELS.glob("*.c")))) == sorted(HAND)


@pytest.mark.parametrize("mm", MEMORY_MODELS)
@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_models(name, mm):
    run = model_run(MODELS, name)
    program = load_model(str(run.path), run.config)
    res = check_program(program, mm)
    assert res.stats.complete
    got = {p for p, r in res.results.items() if r.verdict == VIOLATED}
    assert got == HAND[name][mm]
    for p, r in res.results.items():
        assert expectation(program, mm, p, run.config) == r.verdict, p  # the header says the same
        if r.verdict == VIOLATED:
            assert r.trace is not None and r.trace.steps, p


def test_sc_violations_are_ra_violations():
    """Differential: ra allows every sc execution, so what sc violates, ra violates."""
    for name, by_mm in HAND.items():
        assert by_mm["sc"] <= by_mm["ra"], name
