/*
 * @title  two threads take A,B and B,A but can never overlap: cycle reported, no deadlock
 * @description The second thread starts only after the first has finished (it assumes the
 *   first thread's done flag), so the explored configuration never deadlocks; the
 *   lock-order graph still has the cycle a -> b -> a.
 * @memory-models sc
 * @thread first
 * @thread second
 * @expect sc lock-order violated
 * @expect sc * holds
 */
struct mutex a;
struct mutex b;
int done;

void first(void)
{
	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
	WRITE_ONCE(done, 1);
}

void second(void)
{
	__VERIFIER_assume(READ_ONCE(done));
	mutex_lock(&b);
	mutex_lock(&a);
	mutex_unlock(&a);
	mutex_unlock(&b);
}
