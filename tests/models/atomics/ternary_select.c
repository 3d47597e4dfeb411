/*
 * @title   the conditional operator picks the published slot
 * @description A reader picks one of two slots with ?: from an acquired index; the
 *   slot the writer published before the release is always initialised.
 * @thread  writer
 * @thread  reader
 * @memory-models sc ra
 * @expect  sc * holds
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
	int v = smp_load_acquire(&active) ? READ_ONCE(slot[1]) : 7;

	assert_property("slot-ready", v == 7);
}
