/*
 * @title  the re-check under the lock: the second vCPU sees the flag and allocates nothing
 * @memory-models sc
 * @thread vcpu x2
 * @expect sc * holds
 */
struct mutex slots_arch_lock;
int *rmap;
bool have_rmaps;

void vcpu(int id)
{
	if (smp_load_acquire(&have_rmaps))
		return;
	mutex_lock(&slots_arch_lock);
	if (have_rmaps)
		goto out_unlock;
	rmap = kvcalloc(1, sizeof(int), GFP_KERNEL);
	smp_store_release(&have_rmaps, true);
out_unlock:
	mutex_unlock(&slots_arch_lock);
}
