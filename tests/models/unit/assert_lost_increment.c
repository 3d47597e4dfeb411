/*
 * @title  two unlocked increments can lose one: BUG_ON(count != 2) fires
 * @memory-models sc
 * @thread inc x2
 * @thread check
 * @expect sc assertions violated
 * @expect sc * holds
 */
int count;
int done[2];

void inc(int id)
{
	int v = READ_ONCE(count);
	WRITE_ONCE(count, v + 1);
	WRITE_ONCE(done[id], 1);
}

void check(void)
{
	__VERIFIER_assume(READ_ONCE(done[0]) && READ_ONCE(done[1]));
	BUG_ON(READ_ONCE(count) != 2);
}
