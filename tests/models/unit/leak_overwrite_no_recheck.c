/*
 * @title  no re-check under the lock: two vCPUs both allocate, the second overwrites (B2)
 * @description Both vCPUs pass the acquire fast path before either publishes; the one
 *   that takes the lock second allocates again and overwrites the first rmap: a leak.
 *   FIX=1: the re-check under the lock; the second vCPU sees the flag and allocates
 *   nothing.
 * @config FIX=1
 * @memory-models sc
 * @thread vcpu x2
 * @expect sc no-leak violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define FIX 0
struct mutex slots_arch_lock;
int *rmap;
bool have_rmaps;

void vcpu(int id)
{
	if (smp_load_acquire(&have_rmaps))
		return;
	mutex_lock(&slots_arch_lock);
#if FIX
	if (have_rmaps)
		goto out_unlock;
#endif
	rmap = kvcalloc(1, sizeof(int), GFP_KERNEL);
	smp_store_release(&have_rmaps, true);
#if FIX
out_unlock:
#endif
	mutex_unlock(&slots_arch_lock);
}
