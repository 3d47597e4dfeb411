"""The static footprints the "movers" reduction reads (rmapcheck/engines/explicit/footprint.py):
what each thread may still access is an over-approximation, which the reduction's soundness
rests on, and precise enough to tell a global lock-protected counter from the flag beside it."""

from __future__ import annotations

from rmapcheck.engines.explicit.footprint import (
    ANY, UNGUARDED, Footprints, PointsTo, R, W, index_bounds, step_accesses,
)
from rmapcheck.engines.explicit.search import Limits
from rmapcheck.frontend.load import load_model_text
from rmapcheck.ir import nodes as ir
from rmapcheck.runner import check_program

MODEL = """/*
 * @title footprint
 * @thread a
 * @thread b
 */
struct obj { struct obj *next; int v; };
struct mutex l;
int arr[4];
int counter;
int flag;
int *wild;
struct obj *shared;

void a(void)
{
	int i;
	struct obj *o;

	for (i = 0; i < 4; i++)
		arr[i] = i;
	mutex_lock(&l);
	counter = counter + 1;
	mutex_unlock(&l);
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (o) {
		o->v = 1;
		shared = o;
	}
	WRITE_ONCE(flag, 1);
}

void b(void)
{
	struct obj *p;
	int *q = wild;

	mutex_lock(&l);
	counter = counter + 1;
	mutex_unlock(&l);
	p = shared;
	if (p)
		p->v = 2;
	if (q)
		q[READ_ONCE(flag)] = 3;
}
"""


def program():
    return load_model_text("footprint.c", MODEL, {})


def cell(p, name: str) -> int:
    return p.globals_by_name[name][0]


def entries(fut, region) -> dict:
    return fut.cells.get(region, {})


def test_a_bounded_index_names_each_cell_and_a_pointer_index_any():
    p = program()
    fp = Footprints(p, "sc")
    a = fp.future[id(p.threads[0].code)][0]
    arr = cell(p, "arr")
    writes = {o for o, (rs, ws, _) in entries(a, ir.GLOBAL).items() if ws}
    assert {arr + k for k in range(4)} <= writes and ANY not in writes
    # b writes through a pointer loaded from `wild`, to which no address is ever stored: it
    # can only be NULL (a fault, no access), so it names no cell
    b = fp.future[id(p.threads[1].code)][0]
    assert ANY not in entries(b, ir.GLOBAL)


def test_heap_accesses_name_the_allocation_site():
    p = program()
    fp = Footprints(p, "sc")
    b = fp.future[id(p.threads[1].code)][0]
    site = 0
    assert p.sites[site].type_name == "struct obj"
    assert W in {m for o, (rs, ws, _) in entries(b, site).items() for m in ((W,) if ws else ())}


def test_the_counter_is_guarded_by_the_lock_and_the_flag_is_not():
    p = program()
    fp = Footprints(p, "sc")
    b = fp.future[id(p.threads[1].code)][0]
    lock = cell(p, "l")
    counter = cell(p, "counter")
    assert not b.conflicts(ir.GLOBAL, counter, W, frozenset({lock}))
    assert b.conflicts(ir.GLOBAL, counter, W, frozenset())
    assert b.conflicts(ir.GLOBAL, cell(p, "flag"), W, frozenset({lock}))
    # reads of the flag do not conflict with reads
    assert not b.conflicts(ir.GLOBAL, cell(p, "flag"), R, UNGUARDED)


def test_a_write_of_the_value_the_cell_holds_commutes_with_a_read():
    p = program()
    fp = Footprints(p, "sc")
    a = fp.future[id(p.threads[0].code)][0]
    flag = cell(p, "flag")
    assert a.conflicts(ir.GLOBAL, flag, R, UNGUARDED, 0)
    assert not a.conflicts(ir.GLOBAL, flag, R, UNGUARDED, 1)


def test_points_to_follows_pointers_through_memory():
    p = program()
    pt = PointsTo(p)
    assert (0, 0) in pt.cells[(ir.GLOBAL, cell(p, "shared"))]


def test_index_bounds_forget_an_index_written_after_its_check():
    code = [
        ir.Assert(None, "f", "", cond=ir.Bin("&&", ir.Bin(">=", ir.LocalRef(0), ir.Const(0)),
                                            ir.Bin("<", ir.LocalRef(0), ir.Const(3))), prop=ir.P_BOUNDS),
        ir.Load(None, "f", "", dst=1, addr=ir.PtrAdd(ir.GlobalAddr(0), ir.LocalRef(0), 1), width=1, order=ir.PLAIN),
        ir.Assign(None, "f", "", dst=0, expr=ir.Const(7)),
        ir.Load(None, "f", "", dst=1, addr=ir.PtrAdd(ir.GlobalAddr(0), ir.LocalRef(0), 1), width=1, order=ir.PLAIN),
        ir.End(None, "f", ""),
    ]
    b = index_bounds(code)
    assert b[1] == {ir.LocalRef(0): 3}
    assert b[3] == {}


def test_movers_fold_the_locked_counter():
    """The reduction's point: fewer states than `private` on the lock-protected counter, and
    the same verdicts as `none`."""
    p = program()
    runs = {red: check_program(p, "sc", limits=Limits(reduction=red)) for red in ("none", "private", "movers")}
    verdicts = {red: {k: v.verdict for k, v in r.results.items()} for red, r in runs.items()}
    assert verdicts["movers"] == verdicts["none"] == verdicts["private"]
    assert runs["movers"].stats.states < runs["private"].stats.states < runs["none"].stats.states


SRCU_MODEL = """/*
 * @title srcu reader and grace period
 * @thread reader x2
 * @thread updater
 */
struct srcu_struct ss;
int *gp;
int cell;

void reader(int id)
{
	int idx;
	int *p;

	idx = srcu_read_lock(&ss);
	p = srcu_dereference(gp, &ss);
	if (p)
		assert(*p == 1);
	srcu_read_unlock(&ss, idx);
}

void updater(void)
{
	cell = 1;
	rcu_assign_pointer(gp, &cell);
	synchronize_srcu(&ss);
	rcu_assign_pointer(gp, NULL);
	synchronize_srcu(&ss);
	cell = 0;
}
"""


def _runs(text: str, mm: str, reductions=("none", "movers", "persistent")) -> dict:
    p = load_model_text("t.c", text, {})
    return {red: check_program(p, mm, limits=Limits(reduction=red)) for red in reductions}


def _verdicts(run) -> dict:
    return {k: v.verdict for k, v in run.results.items()}


def test_srcu_read_unlock_footprint():
    """The end of a read section moves before synchronize_srcu (executor REDUCTIONS: under sc
    the two orders reach one state, under ra the section ended first leaves the waiter a
    smaller view, which allows every step the larger one does): under sc it has no footprint;
    under ra it reads the srcu domain in a thread's future (a persistent set must not postpone
    it past the grace period's start: a simulation has a direction), while the step itself
    stays a left mover (its concrete accesses are none)."""
    p = load_model_text("t.c", SRCU_MODEL, {})
    code = p.threads[0].code
    unlock = next(pc for pc, i in enumerate(code) if isinstance(i, ir.SrcuReadUnlock))
    fp = Footprints(p, "sc")
    L = fp.pt.locals_of[id(code)]
    assert step_accesses(code[unlock], fp.pt.at(code, unlock), L, "sc") == []
    fp = Footprints(p, "ra")
    L = fp.pt.locals_of[id(code)]
    assert [(r, m) for r, _, m, _ in step_accesses(code[unlock], fp.pt.at(code, unlock), L, "ra")] == [
        (("srcu", ir.GLOBAL), R)]
    from rmapcheck.engines.explicit.executor import Ctx, Executor
    from rmapcheck.runner import memory_for

    ex = Executor(p, memory_for(p, "ra"), reduction="movers")
    c = Ctx(ex.initial_state(), 0, (), None)
    assert ex.movers.accesses(c.G, c.H, c.T, 0, c.L, code[unlock]) == []


def test_srcu_unlock_mover_keeps_the_verdicts_and_saves_states():
    for mm in ("sc", "ra"):
        runs = _runs(SRCU_MODEL, mm)
        assert _verdicts(runs["movers"]) == _verdicts(runs["none"]) == _verdicts(runs["persistent"]), mm
    runs = _runs(SRCU_MODEL, "sc")
    assert runs["persistent"].stats.states <= runs["movers"].stats.states < runs["none"].stats.states


SAME_VALUE_MODEL = """/*
 * @title a store of the value a cell holds
 * @thread a
 * @thread b
 * @invariant inv check
 */
int x;
int y;

void a(void)
{
	x = 0;
	x = 0;
	y = 1;
}

void b(void)
{
	int v;

	v = x;
	assert(v == 0);
}

bool check(void)
{
	return x == 0;
}
"""


def test_a_store_of_the_value_held_is_a_read_of_it():
    """Under sc, `x = 0` when x is 0 changes nothing: it moves over b's read and the invariant
    does not see it; under ra it adds a message, and stays a write."""
    from rmapcheck.engines.explicit.executor import Ctx, Executor
    from rmapcheck.runner import memory_for

    p = load_model_text("t.c", SAME_VALUE_MODEL, {})
    for mm, mode in (("sc", R), ("ra", W)):
        ex = Executor(p, memory_for(p, mm), reduction="movers")
        st = ex.initial_state()
        c = Ctx(st, 0, (), None)
        store = ex.code_of(0)[0]
        assert isinstance(store, ir.Store)
        acc = ex.movers.accesses(c.G, c.H, c.T, 0, c.L, store)
        assert [x[2] for x in acc if x[0] == ir.GLOBAL] == [mode], mm
    for mm in ("sc", "ra"):
        runs = _runs(SAME_VALUE_MODEL, mm)
        assert _verdicts(runs["movers"]) == _verdicts(runs["none"]) == _verdicts(runs["persistent"]), mm


PAIRS_MODEL = """/*
 * @title two pairs of threads, each pair racing on its own cell
 * @thread a
 * @thread b
 * @thread c
 * @thread d
 */
int x;
int y;

void a(void) { x = 1; x = 2; }
void b(void) { int v; v = x; v = x; }
void c(void) { y = 1; y = 2; }
void d(void) { int v; v = y; v = y; assert(v != 1 || v == 1); }
"""


def test_persistent_sets_interleave_independent_pairs_apart():
    """a and b race on x, c and d on y: no step is a mover, but a persistent set holds one pair,
    so the two pairs are not interleaved with each other (same verdicts, fewer states)."""
    for mm in ("sc", "ra"):
        runs = _runs(PAIRS_MODEL, mm)
        assert _verdicts(runs["persistent"]) == _verdicts(runs["none"]) == _verdicts(runs["movers"]), mm
        assert runs["persistent"].stats.states < runs["movers"].stats.states, mm


LOCKED_MODEL = """/*
 * @title work behind a lock, a reader that waits
 * @thread holder
 * @thread other
 * @thread updater
 */
struct mutex l;
struct mutex m;
struct srcu_struct ss;
int data;
int side;
int stolen;

void holder(void)
{
	int v;

	mutex_lock(&l);
	v = data;
	data = v + 1;
	mutex_unlock(&l);
	mutex_lock(&m);
	side = 1;
	mutex_unlock(&m);
}

void other(void)
{
	int idx;

	idx = srcu_read_lock(&ss);
	WRITE_ONCE(side, 2);
	mutex_lock(&l);
	data = 5;
	mutex_unlock(&l);
	srcu_read_unlock(&ss, idx);
}

void updater(void)
{
	synchronize_srcu(&ss);
	WRITE_ONCE(stolen, 1);
	mutex_lock(&m);
	side = 3;
	mutex_unlock(&m);
}
"""


def test_a_held_lock_is_a_barrier_in_the_others_futures():
    """While one thread holds l, another cannot get past its own mutex_lock(&l): its future up
    to there is what may interfere (the write of data behind it is not), unless some step
    writes l's cell other than by locking it (then it is no barrier)."""
    p = load_model_text("t.c", LOCKED_MODEL, {})
    fp = Footprints(p, "sc")
    code = p.threads[1].code
    l, data, side = cell(p, "l"), cell(p, "data"), cell(p, "side")
    start = fp.future[id(code)][0]
    assert start.conflicts(ir.GLOBAL, data, R, UNGUARDED)
    cut = fp.futures_with(code, frozenset({l}))[0]
    assert not cut.conflicts(ir.GLOBAL, data, R, UNGUARDED)
    assert cut.conflicts(ir.GLOBAL, side, R, UNGUARDED)  # the write before the lock stays
    assert fp.futures_with(code, frozenset({cell(p, "m")}))[0] is start  # other never takes m
    # a cast lets a plain store write the mutex's cell: l is no barrier then
    q = load_model_text("t.c", LOCKED_MODEL.replace("WRITE_ONCE(stolen, 1);", "*(int *)&l = 0;"), {})
    fq = Footprints(q, "sc")
    qc = q.threads[1].code
    assert fq.futures_with(qc, frozenset({cell(q, "l")}))[0].conflicts(ir.GLOBAL, cell(q, "data"), R, UNGUARDED)


def test_a_blocked_thread_brings_in_the_threads_that_may_enable_it():
    """Movers.enablers: a thread waiting in synchronize_srcu is enabled by the readers it
    waits for; one waiting for a mutex by whoever may still take or free it. Persistent sets
    built with them keep every verdict of `none`, with fewer states."""
    from rmapcheck.engines.explicit.executor import Executor
    from rmapcheck.runner import memory_for

    p = load_model_text("t.c", LOCKED_MODEL, {})
    def step(st, t):
        (_, out), = step_ex.transitions(st, t)  # one visible step (no reduction)
        return out.state

    for mm in ("sc", "ra"):
        ex = Executor(p, memory_for(p, mm), reduction="persistent")
        step_ex = Executor(p, memory_for(p, mm))
        st = ex.initial_state()
        # run other into its read section, then updater into synchronize_srcu: it waits for other
        while not any(isinstance(i, ir.SrcuReadLock) for i in ex.code_of(1)[:st[2][1][0]]):
            st = step(st, 1)
        while ex.enabled(st, 2):
            st = step(st, 2)
        assert isinstance(ex.code_of(2)[st[2][2][0]], ir.SrcuSync), mm
        assert ex.movers.enablers(st, 2) == 1 << 1, mm
        # holder takes l; other, on its way to l, waits for it: holder may unlock it
        st = ex.initial_state()
        while not st[2][0][2]:
            st = step(st, 0)
        while ex.enabled(st, 1):
            st = step(st, 1)
        assert isinstance(ex.code_of(1)[st[2][1][0]], ir.Lock), mm
        assert ex.movers.enablers(st, 1) == 1 << 0, mm
        runs = _runs(LOCKED_MODEL, mm)
        assert _verdicts(runs["persistent"]) == _verdicts(runs["none"]), mm
        assert runs["persistent"].stats.states < runs["none"].stats.states, mm
