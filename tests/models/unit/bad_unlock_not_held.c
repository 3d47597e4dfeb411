/*
 * @title  an error path unlocks a mutex it never took; a second thread unlocks an srcu
 *   section it never entered
 * @memory-models sc
 * @thread t
 * @faults 1
 * @expect sc no-bad-unlock violated
 * @expect sc * holds
 */
struct mutex lock;
int *p;

void t(void)
{
	int *q = kzalloc(sizeof(int), GFP_KERNEL);
	if (!q)
		goto out_unlock;
	mutex_lock(&lock);
	p = q;
out_unlock:
	mutex_unlock(&lock);
}
