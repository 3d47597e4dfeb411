/*
 * @title  retry after a partial allocation failure hits WARN_ON and overwrites (B3 shape)
 * @description The first attempt allocates rmap[0], fails on rmap[1] and keeps the partial
 *   allocation; the retry warns on rmap[0] already set and overwrites it (a leak).
 *   FIX=1 (the fa13843d1565 shape): the retry skips the levels already allocated.
 * @config FIX=1
 * @memory-models sc
 * @thread vcpu
 * @faults 1
 * @expect sc no-warn violated
 * @expect sc no-leak violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define LEVELS 2
#define FIX 0
int *rmap[LEVELS];

static int alloc_rmaps(void)
{
	int i;
	for (i = 0; i < LEVELS; i++) {
#if FIX
		if (rmap[i])
			continue;
#endif
		WARN_ON(rmap[i]);
		rmap[i] = kvcalloc(1, sizeof(int), GFP_KERNEL);
		if (!rmap[i])
			return -ENOMEM;
	}
	return 0;
}

void vcpu(void)
{
	if (alloc_rmaps())
		alloc_rmaps();
}
