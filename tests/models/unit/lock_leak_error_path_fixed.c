/*
 * @title  the allocation error path unlocks before returning (v5 shape)
 * @memory-models sc
 * @thread vcpu x2
 * @faults 1
 * @expect sc * holds
 */
struct mutex slots_arch_lock;
int *rmap;
bool have_rmaps;

static int alloc_rmaps(void)
{
	int *p;
	if (smp_load_acquire(&have_rmaps))
		return 0;
	mutex_lock(&slots_arch_lock);
	if (have_rmaps) {
		mutex_unlock(&slots_arch_lock);
		return 0;
	}
	p = kvcalloc(1, sizeof(int), GFP_KERNEL);
	if (!p) {
		mutex_unlock(&slots_arch_lock);
		return -ENOMEM;
	}
	rmap = p;
	smp_store_release(&have_rmaps, true);
	mutex_unlock(&slots_arch_lock);
	return 0;
}

void vcpu(int id)
{
	alloc_rmaps();
}
