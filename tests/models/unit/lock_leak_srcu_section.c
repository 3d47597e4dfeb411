/*
 * @title  an early return leaves the srcu read section open
 * @memory-models sc
 * @thread reader
 * @expect sc no-lock-leak violated
 * @expect sc * holds
 */
struct srcu_struct srcu;
int *rmap;

void reader(void)
{
	int idx = srcu_read_lock(&srcu);
	if (!READ_ONCE(rmap))
		return;
	srcu_read_unlock(&srcu, idx);
}
