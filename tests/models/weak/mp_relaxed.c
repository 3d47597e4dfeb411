/*
 * @title  message passing with a relaxed flag: WRITE_ONCE / READ_ONCE (B6 in miniature)
 * @description The writer fills data and publishes flag with WRITE_ONCE; the reader reads flag
 *   with READ_ONCE and then data. Under sc and x86-TSO (stores stay in order, loads stay in
 *   order) a reader that sees the flag sees the data; LKMM orders neither pair.
 * @memory-models sc
 * @thread writer
 * @thread reader
 * @expect sc * holds
 */
int data;
int flag;

void writer(void)
{
	WRITE_ONCE(data, 1);
#if RELEASE
	smp_store_release(&flag, 1);
#else
	WRITE_ONCE(flag, 1);
#endif
}

void reader(void)
{
#if ACQUIRE
	int f = smp_load_acquire(&flag);
#else
	int f = READ_ONCE(flag);
#endif
	if (f)
		assert_property("data-published", READ_ONCE(data) == 1);
}
