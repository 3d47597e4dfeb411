/*
 * @title  a read section that ended before synchronize_srcu, and a reduction that must keep it so
 * @description reader's section writes started and x and ends; updater saw started == 1
 *   before its grace period, so under sc the grace period waits for the section (or it is
 *   over) and x == 1 after it: seen holds. Under ra a section that ended before the grace
 *   period started passes it no view (docs/memory-model.md, the RCU+sync+read shape: a known
 *   false alarm against LKMM), so updater may read x == 0: seen is violated, in the order where
 *   the section ends first. other reads z, which makes reader's store of z a visible step that
 *   updater's steps do not touch: a persistent set of updater's synchronize_srcu alone once
 *   postponed the section's end past the grace period's start (larger views only) and said
 *   holds under ra where --reduction none says violated; the end now reads the srcu domain in
 *   a thread's future (footprint.py), so tests/test_reduction.py finds the same verdict.
 *   Under lkmm and tso (z3, tests/test_z3_weak.py) seen holds, as LKMM's rcu axiom says; the
 *   event engine once said violated there: its prefix stopped reader inside the section while
 *   the grace period completed (a section a prefix leaves open now begins after it).
 * @memory-models sc ra
 * @thread reader
 * @thread updater
 * @thread other
 * @expect sc * holds
 * @expect ra seen violated
 * @expect ra * holds
 */
struct srcu_struct srcu;
int started;
int x;
int z;

void reader(void)
{
	int idx = srcu_read_lock(&srcu);
	WRITE_ONCE(started, 1);
	WRITE_ONCE(x, 1);
	WRITE_ONCE(z, 1);
	srcu_read_unlock(&srcu, idx);
}

void updater(void)
{
	int s, r;

	s = READ_ONCE(started);
	synchronize_srcu(&srcu);
	r = READ_ONCE(x);
	assert_property("seen", !(s == 1 && r == 0));
}

void other(void)
{
	int v = READ_ONCE(z);
}
