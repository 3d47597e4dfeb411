/*
 * @title  the same increments under a mutex: the assertion holds
 * @memory-models sc
 * @thread inc x2
 * @thread check
 * @expect sc * holds
 */
struct mutex lock;
int count;
int done[2];

void inc(int id)
{
	int v;
	mutex_lock(&lock);
	v = count;
	count = v + 1;
	mutex_unlock(&lock);
	WRITE_ONCE(done[id], 1);
}

void check(void)
{
	__VERIFIER_assume(READ_ONCE(done[0]) && READ_ONCE(done[1]));
	assert(READ_ONCE(count) == 2);
}
