/*
 * @title  store buffering: each thread writes its flag, then reads the other's (SB)
 * @description Dekker's handshake without a fence: writer0 sets x and reads y, writer1 sets
 *   y and reads x. Under sc one of them sees the other's store. x86-TSO (a store waits in
 *   the store buffer while the loads after it go to memory) and LKMM let both read 0; an
 *   smp_mb() between the store and the load (-D FENCE=1) forbids it everywhere.
 *   writer0 reports what it read in out0 (1: y was 0, 2: y was 1); writer1, having read
 *   x == 0, asserts that writer0 did not read y == 0.
 * @memory-models sc
 * @thread writer0
 * @thread writer1
 * @expect sc * holds
 */
int x;
int y;
int out0;

void writer0(void)
{
	WRITE_ONCE(x, 1);
#if FENCE
	smp_mb();
#endif
	int r0 = READ_ONCE(y);
	WRITE_ONCE(out0, r0 + 1);
}

void writer1(void)
{
	WRITE_ONCE(y, 1);
#if FENCE
	smp_mb();
#endif
	int r1 = READ_ONCE(x);
	if (!r1)
		assert_property("one-sees-the-other", READ_ONCE(out0) != 1);
}
