/*
 * @title   the conditional operator with a relaxed index load (near miss)
 * @description The near miss of ternary_select.c: the index is read with READ_ONCE(),
 *   so under ra the slot may still read 0.
 * @thread  writer
 * @thread  reader
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra slot-ready violated
 * @expect  ra * holds
 */
int slot[2];
int active;

void writer(void)
{
	WRITE_ONCE(slot[1], 7);
	smp_store_release(&active, 1);
}

void reader(void)
{
	int v = READ_ONCE(active) ? READ_ONCE(slot[1]) : 7;

	assert_property("slot-ready", v == 7);
}
