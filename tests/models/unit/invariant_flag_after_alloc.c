/*
 * @title  the flag is published after every rmap is allocated: the invariant holds
 * @memory-models sc
 * @thread vcpu
 * @faults 1
 * @invariant rmaps-invariant flag_implies_rmaps
 * @expect sc * holds
 */
#define NR_SLOTS 2
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
	for (i = 0; i < NR_SLOTS; i++) {
		rmap[i] = kvcalloc(1, sizeof(int), GFP_KERNEL);
		if (!rmap[i])
			return;
	}
	smp_store_release(&have_rmaps, true);
}
