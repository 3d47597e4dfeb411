/*
 * @title  an allocation only a dead local points to leaks at once
 * @description The thread never uses p again: in the state after the allocation p is
 *   dead (a dead local is no root), so the object is unreachable while the thread still
 *   has a step to run.
 * @memory-models sc
 * @thread t
 * @expect sc no-leak violated
 * @expect sc * holds
 */
int x;

void t(void)
{
	int *p = kzalloc(sizeof(int), GFP_KERNEL);
	WRITE_ONCE(x, 1);
}
