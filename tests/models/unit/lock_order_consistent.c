/*
 * @title  two threads take A then B: no cycle, no deadlock
 * @memory-models sc
 * @thread worker x2
 * @expect sc * holds
 */
struct mutex a;
struct mutex b;
int x;

void worker(int id)
{
	mutex_lock(&a);
	mutex_lock(&b);
	WRITE_ONCE(x, id);
	mutex_unlock(&b);
	mutex_unlock(&a);
}
