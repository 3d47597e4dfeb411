/*
 * @title  load buffering: each thread reads, then writes what the other reads (LB)
 * @description reader0 reads x, then writes y = 1; reader1 reads y, then writes x = y + 1
 *   (a data dependency). reader0 reading x == 2 means reader1 read reader0's y = 1, stored
 *   after reader0's own read: a cycle of po and rf that sc and x86-TSO forbid. LKMM allows
 *   it (LB+poonceonce+dataonceonce: one side's data dependency alone does not order it);
 *   smp_load_acquire in reader0 (-D ACQUIRE=1) forbids it.
 * @memory-models sc
 * @thread reader0
 * @thread reader1
 * @expect sc * holds
 */
int x;
int y;

void reader0(void)
{
#if ACQUIRE
	int r0 = smp_load_acquire(&x);
#else
	int r0 = READ_ONCE(x);
#endif
	WRITE_ONCE(y, 1);
	assert_property("no-load-buffering", r0 != 2);
}

void reader1(void)
{
	int r1 = READ_ONCE(y);
	WRITE_ONCE(x, r1 + 1);
}
