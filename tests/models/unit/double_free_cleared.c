/*
 * @title  the error path clears the pointer it frees: the caller frees NULL, a no-op
 * @memory-models sc
 * @thread t
 * @faults 1
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
		a = NULL;
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
