/*
 * @title   smp_mb__after_spinlock(): a lock acquisition as a full barrier
 * @description Store buffering where one side's store comes before a spin_lock() and its
 *   load after smp_mb__after_spinlock(): LKMM orders the accesses before the lock with
 *   those after the barrier, so both loads cannot miss both stores.
 *   NEAR_MISS=1, without the barrier: spin_lock() alone is an acquire, so the store before
 *   it may be seen after the load that follows it: under ra both loads can miss both
 *   stores.
 * @config  NEAR_MISS=1
 * @thread  cpu0
 * @thread  cpu1
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 * @expect  sc NEAR_MISS=1 * holds
 * @expect  ra NEAR_MISS=1 not-both-missed violated
 * @expect  ra NEAR_MISS=1 * holds
 */
#define NEAR_MISS 0
spinlock_t l;
int x, y;
int r0 = -1, r1 = -1;

void cpu0(void)
{
	WRITE_ONCE(x, 1);
	spin_lock(&l);
#if !NEAR_MISS
	smp_mb__after_spinlock();
#endif
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
