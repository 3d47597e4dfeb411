/*
 * @title   a bit lock dropped with a relaxed clear_bit() (near miss)
 * @description The near miss of bitlock.c: clear_bit() is relaxed, so under ra the next
 *   holder may read the counter without the previous increment (LKMM: clear_bit has
 *   no release ordering). Under sc the bit still excludes.
 * @thread  worker x2
 * @thread  checker
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra count-matches violated
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
	clear_bit(0, &word);
	atomic_inc_return_release(&done);
}

void checker(void)
{
	int n = atomic_read_acquire(&done);

	assert_property("count-matches", READ_ONCE(count) >= n);
}
