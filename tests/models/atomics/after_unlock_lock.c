/*
 * @title   smp_mb__after_unlock_lock(): an unlock and a lock become a full barrier
 * @description Store buffering across an unlock of one lock and a lock of another:
 *   with the barrier after the lock, the store before the unlock and the load after
 *   the lock are ordered (LKMM: po-unlock-lock-po followed by After-unlock-lock is a
 *   strong fence), so both loads cannot miss both stores.
 *   NEAR_MISS=1, without the barrier: an unlock followed by a lock of another lock orders
 *   stores for other CPUs, but not a store before it with a load after it (LKMM), so
 *   under ra both loads can miss both stores.
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
spinlock_t a, b;
int x, y;
int r0 = -1, r1 = -1;

void cpu0(void)
{
	spin_lock(&a);
	WRITE_ONCE(x, 1);
	spin_unlock(&a);
	spin_lock(&b);
#if !NEAR_MISS
	smp_mb__after_unlock_lock();
#endif
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
