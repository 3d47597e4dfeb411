/*
 * @title  lazy allocation done right: fast path, re-check under the lock, publish
 * @description Two vCPUs allocate the rmap of one slot on first use, inside an srcu read
 *   section, as KVM's allocator does; a reader uses the rmap once the flag says it is
 *   there. The re-check under the lock is declared as an element (it is plain code the
 *   IR cannot tell from any other test), so that rmapcheck necessity can leave it out.
 * @memory-models sc ra
 * @thread vcpu x2
 * @thread reader
 * @faults 1
 * @element RECHECK the re-check of the flag under the lock
 * @expect sc * holds
 * @expect ra * holds
 */
struct kvm {
	struct mutex lock;
	struct srcu_struct srcu;
	bool flag;
	int *rmap;
} kvm;

static int alloc_rmaps(void)
{
	int *r;

	if (smp_load_acquire(&kvm.flag))
		return 0;
	mutex_lock(&kvm.lock);
#ifndef NO_RECHECK
	if (kvm.flag) {
		mutex_unlock(&kvm.lock);
		return 0;
	}
#endif
	r = kvcalloc(1, sizeof(int), GFP_KERNEL);
	if (!r) {
		mutex_unlock(&kvm.lock);
		return -ENOMEM;
	}
	kvm.rmap = r;
	smp_store_release(&kvm.flag, true);
	mutex_unlock(&kvm.lock);
	return 0;
}

void vcpu(void)
{
	int idx = srcu_read_lock(&kvm.srcu);

	alloc_rmaps();
	srcu_read_unlock(&kvm.srcu, idx);
}

void reader(void)
{
	if (smp_load_acquire(&kvm.flag))
		assert_property("rmaps-present", kvm.rmap != NULL);
}
