/*
 * @title  the fix: slots_arch_lock is released before synchronize_srcu
 * @memory-models sc
 * @thread writer
 * @thread vcpu
 * @expect sc * holds
 */
struct kvm { struct mutex slots_arch_lock; struct srcu_struct srcu; int gen; int rmaps; };
struct kvm kvm;

void writer(void)
{
	mutex_lock(&kvm.slots_arch_lock);
	WRITE_ONCE(kvm.gen, 1);
	mutex_unlock(&kvm.slots_arch_lock);
	synchronize_srcu(&kvm.srcu);
}

void vcpu(void)
{
	int idx = srcu_read_lock(&kvm.srcu);
	mutex_lock(&kvm.slots_arch_lock);
	WRITE_ONCE(kvm.rmaps, 1);
	mutex_unlock(&kvm.slots_arch_lock);
	srcu_read_unlock(&kvm.srcu, idx);
}
