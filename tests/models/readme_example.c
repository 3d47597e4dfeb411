/* @thread vcpu x2
 * @thread reader
 * @faults 1
 * @expect sc rmaps-present violated
 * @expect sc * holds */
struct kvm { struct mutex lock; bool flag; int *rmap; } kvm;
void vcpu(void) {
	if (smp_load_acquire(&kvm.flag))
		return;                                 /* fast path */
	mutex_lock(&kvm.lock);
	if (!kvm.flag) {
		kvm.rmap = kvcalloc(1, sizeof(int), GFP_KERNEL);
		smp_store_release(&kvm.flag, true);     /* even if kvcalloc failed */
	}
	mutex_unlock(&kvm.lock);
}
void reader(void) {
	if (smp_load_acquire(&kvm.flag))
		assert_property("rmaps-present", kvm.rmap != NULL);
}
