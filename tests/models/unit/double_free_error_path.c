/*
 * @title  an error path frees an array its caller frees again
 * @description FIX=1: the error path clears the pointer it frees, so the caller frees
 *   NULL, a no-op.
 * @config FIX=1
 * @memory-models sc
 * @thread t
 * @faults 1
 * @expect sc no-double-free violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define FIX 0
int *a;
int *b;

static int alloc_both(void)
{
	a = kvcalloc(2, sizeof(int), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	b = kvcalloc(2, sizeof(int), GFP_KERNEL);
	if (!b) {
		kvfree(a);
#if FIX
		a = NULL;
#endif
		return -ENOMEM;
	}
	return 0;
}

void t(void)
{
	if (alloc_both()) {
		kvfree(a);
		kvfree(b);
		a = NULL;
		b = NULL;
	}
}
