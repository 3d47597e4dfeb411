/*
 * @title  an rmap pointer written into the old array after the by-value copy is lost (B8)
 * @description The writer duplicates the memslot array by value without slots_arch_lock;
 *   the vCPU allocates into the active (old) array and publishes the flag; the writer then
 *   installs its stale copy, which lacks the rmap: a reader sees the flag and a NULL rmap.
 *   FIX=1: the copy is made and installed under slots_arch_lock, and no rmap is lost.
 * @config FIX=1
 * @memory-models sc
 * @thread writer
 * @thread vcpu
 * @thread reader
 * @expect sc rmaps-present violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define NR_SLOTS 1
#define FIX 0
struct slot { int *rmap; int npages; };
struct slots { struct slot s[NR_SLOTS]; };
struct kvm {
	struct mutex slots_arch_lock;
	struct srcu_struct srcu;
	struct slots *active;
	bool have_rmaps;
};
struct slots arr0 = { .s = { { .npages = 1 } } };
struct slots arr1;
struct kvm kvm = { .active = &arr0 };

void writer(void)
{
#if FIX
	mutex_lock(&kvm.slots_arch_lock);
#endif
	arr1 = *kvm.active;
	rcu_assign_pointer(kvm.active, &arr1);
#if FIX
	mutex_unlock(&kvm.slots_arch_lock);
#endif
	synchronize_srcu(&kvm.srcu);
}

void vcpu(void)
{
	int i, idx = srcu_read_lock(&kvm.srcu);
	struct slots *s;
	mutex_lock(&kvm.slots_arch_lock);
	if (!kvm.have_rmaps) {
		s = srcu_dereference(kvm.active, &kvm.srcu);
		for (i = 0; i < NR_SLOTS; i++)
			s->s[i].rmap = kvcalloc(s->s[i].npages, sizeof(int), GFP_KERNEL);
		smp_store_release(&kvm.have_rmaps, true);
	}
	mutex_unlock(&kvm.slots_arch_lock);
	srcu_read_unlock(&kvm.srcu, idx);
}

/* The flag first, then the array (the other order is the brief's OPEN question (a)). */
void reader(void)
{
	int idx = srcu_read_lock(&kvm.srcu);
	struct slots *s;
	if (smp_load_acquire(&kvm.have_rmaps)) {
		s = srcu_dereference(kvm.active, &kvm.srcu);
		assert_property("rmaps-present", s->s[0].rmap != NULL);
	}
	srcu_read_unlock(&kvm.srcu, idx);
}
