/*
 * @title  the fixed retry skips the levels already allocated (fa13843d1565 shape)
 * @memory-models sc
 * @thread vcpu
 * @faults 1
 * @expect sc * holds
 */
#define LEVELS 2
int *rmap[LEVELS];

static int alloc_rmaps(void)
{
	int i;
	for (i = 0; i < LEVELS; i++) {
		if (rmap[i])
			continue;
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
