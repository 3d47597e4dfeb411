"""The static footprints the "movers" reduction reads (rmapcheck/engines/explicit/footprint.py):
what each thread may still access is an over-approximation, which the reduction's soundness
rests on, and precise enough to tell a global lock-protected counter from the flag beside it."""

from __future__ import annotations

from rmapcheck.engines.explicit.footprint import ANY, UNGUARDED, Footprints, PointsTo, R, W, index_bounds
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
