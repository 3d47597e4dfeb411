/*
 * @title   srcu_read_unlock() without smp_mb__after_srcu_read_unlock() (near miss)
 * @description The near miss of after_srcu_read_unlock.c: srcu_read_unlock() alone is
 *   not a barrier for accesses after it, so under ra both loads can miss both stores.
 * @thread  reader
 * @thread  updater
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra not-both-missed violated
 * @expect  ra * holds
 */
struct srcu_struct ss;
int x, y;
int r0 = -1, r1 = -1;

void reader(void)
{
	int idx = srcu_read_lock(&ss);

	WRITE_ONCE(x, 1);
	srcu_read_unlock(&ss, idx);
	WRITE_ONCE(r0, READ_ONCE(y));
}

void updater(void)
{
	WRITE_ONCE(y, 1);
	smp_mb();
	WRITE_ONCE(r1, READ_ONCE(x));
	assert_property("not-both-missed", !(READ_ONCE(r1) == 0 && READ_ONCE(r0) == 0));
}
