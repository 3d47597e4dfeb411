/*
 * @title   a lock acquisition without smp_mb__after_spinlock() (near miss)
 * @description The near miss of after_spinlock.c: spin_lock() alone is an acquire, so
 *   the store before it may be seen after the load that follows it: under ra both loads
 *   can miss both stores.
 * @thread  cpu0
 * @thread  cpu1
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra not-both-missed violated
 * @expect  ra * holds
 */
spinlock_t l;
int x, y;
int r0 = -1, r1 = -1;

void cpu0(void)
{
	WRITE_ONCE(x, 1);
	spin_lock(&l);
	WRITE_ONCE(r0, READ_ONCE(y));
	spin_unlock(&l);
}

void cpu1(void)
{
	WRITE_ONCE(y, 1);
	smp_mb();
	WRITE_ONCE(r1, READ_ONCE(x));
	assert_property("not-both-missed", !(READ_ONCE(r1) == 0 && READ_ONCE(r0) == 0));
}
