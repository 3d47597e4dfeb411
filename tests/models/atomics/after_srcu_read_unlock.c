/*
 * @title   smp_mb__after_srcu_read_unlock(): the end of a read section as a full barrier
 * @description Store buffering between a reader that leaves its SRCU read section and
 *   an updater: with the barrier right after srcu_read_unlock(), the reader's store
 *   in the section and its load after it are ordered (LKMM), so both loads cannot
 *   miss both stores.
 *   NEAR_MISS=1, without the barrier: srcu_read_unlock() alone is not a barrier for
 *   accesses after it, so under ra both loads can miss both stores.
 * @config  NEAR_MISS=1
 * @thread  reader
 * @thread  updater
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 * @expect  sc NEAR_MISS=1 * holds
 * @expect  ra NEAR_MISS=1 not-both-missed violated
 * @expect  ra NEAR_MISS=1 * holds
 */
#define NEAR_MISS 0
struct srcu_struct ss;
int x, y;
int r0 = -1, r1 = -1;

void reader(void)
{
	int idx = srcu_read_lock(&ss);

	WRITE_ONCE(x, 1);
	srcu_read_unlock(&ss, idx);
#if !NEAR_MISS
	smp_mb__after_srcu_read_unlock();
#endif
	WRITE_ONCE(r0, READ_ONCE(y));
}

void updater(void)
{
	WRITE_ONCE(y, 1);
	smp_mb();
	WRITE_ONCE(r1, READ_ONCE(x));
	assert_property("not-both-missed", !(READ_ONCE(r1) == 0 && READ_ONCE(r0) == 0));
}
