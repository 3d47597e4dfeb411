/*
 * @title   an unlock and a lock without smp_mb__after_unlock_lock() (near miss)
 * @description The near miss of after_unlock_lock.c: an unlock followed by a lock of
 *   another lock orders stores for other CPUs, but not a store before it with a
 *   load after it (LKMM), so under ra both loads can miss both stores.
 * @thread  cpu0
 * @thread  cpu1
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra not-both-missed violated
 * @expect  ra * holds
 */
spinlock_t a, b;
int x, y;
int r0 = -1, r1 = -1;

void cpu0(void)
{
	spin_lock(&a);
	WRITE_ONCE(x, 1);
	spin_unlock(&a);
	spin_lock(&b);
	WRITE_ONCE(r0, READ_ONCE(y));
	spin_unlock(&b);
}

void cpu1(void)
{
	WRITE_ONCE(y, 1);
	smp_mb();
	WRITE_ONCE(r1, READ_ONCE(x));
	assert_property("not-both-missed", !(READ_ONCE(r1) == 0 && READ_ONCE(r0) == 0));
}
