/*
 * @title   a bit lock tested and then set in two steps (near miss)
 * @description The near miss of bitlock.c: test_bit() then set_bit() is not one
 *   atomic step, so both workers can find the bit clear and an update is lost.
 * @thread  worker x2
 * @thread  checker
 * @memory-models sc ra
 * @expect  sc count-matches violated
 * @expect  sc * holds
 * @expect  ra count-matches violated
 * @expect  ra * holds
 */
unsigned long word;
int count;
atomic_t done;

void worker(int id)
{
	if (test_bit(0, &word))
		return;
	set_bit(0, &word);
	WRITE_ONCE(count, READ_ONCE(count) + 1);
	clear_bit_unlock(0, &word);
	atomic_inc_return_release(&done);
}

void checker(void)
{
	int n = atomic_read_acquire(&done);

	assert_property("count-matches", READ_ONCE(count) >= n);
}
