/*
 * @title   a bit spinlock: test_and_set_bit_lock() and clear_bit_unlock()
 * @description Bit 0 of a word is a lock (as in the kernel's bit_spin_lock): taking it is
 *   an acquire, dropping it a release, so the critical sections are ordered and the
 *   counter loses no update.
 *   NEAR_MISS=1: the bit is dropped with a relaxed clear_bit(), so under ra the next holder
 *   may read the counter without the previous increment (LKMM: clear_bit has no release
 *   ordering). Under sc the bit still excludes.
 * @config  NEAR_MISS=1
 * @thread  worker x2
 * @thread  checker
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 * @expect  sc NEAR_MISS=1 * holds
 * @expect  ra NEAR_MISS=1 count-matches violated
 * @expect  ra NEAR_MISS=1 * holds
 */
#define NEAR_MISS 0
unsigned long word;
int count;
atomic_t done;

void worker(int id)
{
	if (test_and_set_bit_lock(0, &word))
		return;                 /* busy: give up (a bounded model of the spin) */
	WRITE_ONCE(count, READ_ONCE(count) + 1);
#if NEAR_MISS
	clear_bit(0, &word);
#else
	clear_bit_unlock(0, &word);
#endif
	atomic_inc_return_release(&done);
}

void checker(void)
{
	int n = atomic_read_acquire(&done);

	assert_property("count-matches", READ_ONCE(count) >= n);
}
