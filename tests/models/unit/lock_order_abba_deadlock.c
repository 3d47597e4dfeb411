/*
 * @title  two threads take A,B and B,A concurrently: a lock-order cycle and a deadlock
 * @memory-models sc
 * @thread first
 * @thread second
 * @expect sc lock-order violated
 * @expect sc no-deadlock violated
 * @expect sc * holds
 */
struct mutex a;
struct mutex b;

void first(void)
{
	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
}

void second(void)
{
	mutex_lock(&b);
	mutex_lock(&a);
	mutex_unlock(&a);
	mutex_unlock(&b);
}
