/*
 * @title  an error path frees an array its caller frees again
 * @memory-models sc
 * @thread t
 * @faults 1
 * @expect sc no-double-free violated
 * @expect sc * holds
 */
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
