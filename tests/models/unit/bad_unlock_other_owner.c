/*
 * @title  a thread unlocks a mutex that another thread holds
 * @memory-models sc
 * @thread owner
 * @thread other
 * @expect sc no-bad-unlock violated
 * @expect sc * holds
 */
struct mutex lock;
int x;

void owner(void)
{
	mutex_lock(&lock);
	WRITE_ONCE(x, 1);
	mutex_unlock(&lock);
}

void other(void)
{
	__VERIFIER_assume(READ_ONCE(x) == 1);
	mutex_unlock(&lock);
}
