/*
 * @title  the flag is set before the rmaps are allocated (v2 order): the global invariant fails
 * @description rmaps-invariant is evaluated in every state: once the flag is set, every
 *   slot has its rmap. Setting the flag first breaks it between the two stores, even with
 *   no reader in the model.
 *   FIX=1: the flag is published after every rmap is allocated (and not at all if an
 *   allocation fails): the invariant holds.
 * @config FIX=1
 * @memory-models sc
 * @thread vcpu
 * @faults 1
 * @invariant rmaps-invariant flag_implies_rmaps
 * @expect sc rmaps-invariant violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define NR_SLOTS 2
#define FIX 0
int *rmap[NR_SLOTS];
bool have_rmaps;

bool flag_implies_rmaps(void)
{
	int i;
	if (!have_rmaps)
		return true;
	for (i = 0; i < NR_SLOTS; i++)
		if (!rmap[i])
			return false;
	return true;
}

void vcpu(void)
{
	int i;
#if FIX
	for (i = 0; i < NR_SLOTS; i++) {
		rmap[i] = kvcalloc(1, sizeof(int), GFP_KERNEL);
		if (!rmap[i])
			return;
	}
	smp_store_release(&have_rmaps, true);
#else
	WRITE_ONCE(have_rmaps, true);
	for (i = 0; i < NR_SLOTS; i++)
		rmap[i] = kvcalloc(1, sizeof(int), GFP_KERNEL);
#endif
}
