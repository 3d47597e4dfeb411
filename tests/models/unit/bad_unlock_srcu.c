/*
 * @title  srcu_read_unlock outside any read section
 * @memory-models sc
 * @thread t
 * @expect sc no-bad-unlock violated
 * @expect sc * holds
 */
struct srcu_struct srcu;
int x;

void t(void)
{
	int idx = srcu_read_lock(&srcu);
	WRITE_ONCE(x, 1);
	srcu_read_unlock(&srcu, idx);
	srcu_read_unlock(&srcu, idx);
}
