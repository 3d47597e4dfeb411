/*
 * @title   smp_mb__after_spinlock(): a lock acquisition as a full barrier
 * @description Store buffering where one side's store comes before a spin_lock() and its
 *   load after smp_mb__after_spinlock(): LKMM orders the accesses before the lock with
 *   those after the barrier, so both loads cannot miss both stores.
 * @thread  cpu0
 * @thread  cpu1
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 */
spinlock_t l;
int x, y;
int r0 = -1, r1 = -1;

void cpu0(void)
{
	WRITE_ONCE(x, 1);
	spin_lock(&l);
	smp_mb__after_spinlock();
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
