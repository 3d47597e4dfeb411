/*
 * @title  message passing of plain data through a release and an acquire
 * @description The writer fills data with a plain store and publishes flag with
 *   smp_store_release; the reader reads flag with smp_load_acquire and then data with a
 *   plain load. Every memory model forbids the stale read. Under LKMM it is the
 *   plain-coherence axiom that forbids it (hb and pb relate marked accesses only), which
 *   tests/test_z3_lazy.py uses: a candidate only that axiom rejects.
 * @memory-models sc
 * @thread writer
 * @thread reader
 * @expect sc * holds
 */
int data;
int flag;

void writer(void)
{
	data = 1;
	smp_store_release(&flag, 1);
}

void reader(void)
{
	int f = smp_load_acquire(&flag);
	if (f)
		assert_property("data-published", data == 1);
}
