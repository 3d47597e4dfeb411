/*
 * @title  every unlock matches a lock taken on the same path (out: label on the locked side)
 * @memory-models sc
 * @thread t x2
 * @faults 1
 * @expect sc * holds
 */
struct mutex lock;
struct srcu_struct srcu;
int *p;

void t(int id)
{
	int idx;
	int *q = kzalloc(sizeof(int), GFP_KERNEL);
	if (!q)
		return;
	idx = srcu_read_lock(&srcu);
	mutex_lock(&lock);
	if (p)
		goto out_unlock;
	p = q;
	q = NULL;
out_unlock:
	mutex_unlock(&lock);
	srcu_read_unlock(&srcu, idx);
	kfree(q);
}
