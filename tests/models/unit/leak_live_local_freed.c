/*
 * @title  an allocation a live local points to is no leak: it is freed later
 * @description The same thread as leak_dead_local.c, but p is freed after the store, so
 *   p is live (a root) in every state until the free.
 * @memory-models sc
 * @thread t
 * @expect sc * holds
 */
int x;

void t(void)
{
	int *p = kzalloc(sizeof(int), GFP_KERNEL);
	WRITE_ONCE(x, 1);
	kfree(p);
}
