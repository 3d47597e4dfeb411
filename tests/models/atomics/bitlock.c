/*
 * @title   a bit spinlock: test_and_set_bit_lock() and clear_bit_unlock()
 * @description Bit 0 of a word is a lock (as in the kernel's bit_spin_lock): taking it is
 *   an acquire, dropping it a release, so the critical sections are ordered and the
 *   counter loses no update.
 * @thread  worker x2
 * @thread  checker
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 */
unsigned long word;
int count;
atomic_t done;

void worker(int id)
{
	if (test_and_set_bit_lock(0, &word))
		return;                 /* busy: give up (a bounded model of the spin) */
	WRITE_ONCE(count, READ_ONCE(count) + 1);
	clear_bit_unlock(0, &word);
	atomic_inc_return_release(&done);
}

void checker(void)
{
	int n = atomic_read_acquire(&done);

	assert_property("count-matches", READ_ONCE(count) >= n);
}
