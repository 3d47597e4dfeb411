/*
 * @title  an index past a heap array (kvcalloc of npages entries): out of bounds
 * @memory-models sc
 * @thread t
 * @expect sc no-out-of-bounds violated
 * @expect sc * holds
 */
int npages = 2;
int *rmap;

void t(void)
{
	int n = READ_ONCE(npages);
	int *p = kvcalloc(n, sizeof(int), GFP_KERNEL);
	p[n] = 1;
	rmap = p;
}
