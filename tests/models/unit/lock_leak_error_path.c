/*
 * @title  the allocation error path returns without unlocking (B1 shape)
 * @description A vCPU whose allocation fails returns -ENOMEM still holding
 *   slots_arch_lock; the thread ends with the lock held and the other vCPU blocks on it
 *   for ever.
 *   FIX=1 (the v5 shape): the error path unlocks before returning.
 * @config FIX=1
 * @memory-models sc
 * @thread vcpu x2
 * @faults 1
 * @expect sc no-lock-leak violated
 * @expect sc no-deadlock violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define FIX 0
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
#if FIX
		mutex_unlock(&slots_arch_lock);
#endif
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
