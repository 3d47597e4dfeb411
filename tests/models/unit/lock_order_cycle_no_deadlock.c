/*
 * @title  A->B in one run, B->A in another: a lock-order cycle that never deadlocks here
 * @description One thread takes the two mutexes in an order chosen nondeterministically;
 *   a single thread cannot deadlock with itself, but lockdep-style checking reports the
 *   inversion, as it would for two threads taking the two orders.
 * @memory-models sc
 * @thread t
 * @expect sc lock-order violated
 * @expect sc * holds
 */
struct mutex a;
struct mutex b;
int x;

void t(void)
{
	int order = __VERIFIER_nondet_bool();
	if (order) {
		mutex_lock(&a);
		mutex_lock(&b);
	} else {
		mutex_lock(&b);
		mutex_lock(&a);
	}
	WRITE_ONCE(x, order);
	mutex_unlock(&a);
	mutex_unlock(&b);
}
