/*
 * @title  two threads allocate in either order: heap numbering must not split states
 * @description Each thread is at one of 5 points (before the allocation, before each of
 *   its three shared steps, ended): 25 states. Numbering heap objects by allocation order
 *   instead of canonically would count the 9 states where both objects are alive twice.
 * @memory-models sc
 * @thread worker x2
 * @expect sc * holds
 */
int *slot[2];

void worker(int id)
{
	int *p = kzalloc(sizeof(int), GFP_KERNEL);
	WRITE_ONCE(slot[id], p);
	WRITE_ONCE(slot[id], NULL);
	kfree(p);
}
