/*
 * @title  slots_arch_lock held across synchronize_srcu: ABBA with a vCPU in srcu (B7)
 * @description The vCPU holds the srcu read side and waits for slots_arch_lock; the writer
 *   holds slots_arch_lock and waits in synchronize_srcu for the vCPU's read section.
 *   FIX=1, the fix: slots_arch_lock is released before synchronize_srcu.
 * @config FIX=1
 * @memory-models sc
 * @thread writer
 * @thread vcpu
 * @expect sc no-deadlock violated
 * @expect sc lock-order violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define FIX 0
struct kvm { struct mutex slots_arch_lock; struct srcu_struct srcu; int gen; int rmaps; };
struct kvm kvm;

void writer(void)
{
	mutex_lock(&kvm.slots_arch_lock);
	WRITE_ONCE(kvm.gen, 1);
#if FIX
	mutex_unlock(&kvm.slots_arch_lock);
	synchronize_srcu(&kvm.srcu);
#else
	synchronize_srcu(&kvm.srcu);
	mutex_unlock(&kvm.slots_arch_lock);
#endif
}

void vcpu(void)
{
	int idx = srcu_read_lock(&kvm.srcu);
	mutex_lock(&kvm.slots_arch_lock);
	WRITE_ONCE(kvm.rmaps, 1);
	mutex_unlock(&kvm.slots_arch_lock);
	srcu_read_unlock(&kvm.srcu, idx);
}
