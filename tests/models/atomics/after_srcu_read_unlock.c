/*
 * @title   smp_mb__after_srcu_read_unlock(): the end of a read section as a full barrier
 * @description Store buffering between a reader that leaves its SRCU read section and
 *   an updater: with the barrier right after srcu_read_unlock(), the reader's store
 *   in the section and its load after it are ordered (LKMM), so both loads cannot
 *   miss both stores.
 * @thread  reader
 * @thread  updater
 * @memory-models sc ra
 * @expect  sc * holds
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
	smp_mb__after_srcu_read_unlock();
	WRITE_ONCE(r0, READ_ONCE(y));
}

void updater(void)
{
	WRITE_ONCE(y, 1);
	smp_mb();
	WRITE_ONCE(r1, READ_ONCE(x));
	assert_property("not-both-missed", !(READ_ONCE(r1) == 0 && READ_ONCE(r0) == 0));
}
