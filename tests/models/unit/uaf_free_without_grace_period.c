/*
 * @title  the old array is freed right after the new one is installed: use after free
 * @description The reader may still hold the old array inside its srcu read section;
 *   freeing it without synchronize_srcu lets the reader touch freed memory.
 *   FIX=1: the old array is freed after synchronize_srcu, and no reader can touch it.
 * @config FIX=1
 * @memory-models sc
 * @thread writer
 * @thread reader
 * @expect sc no-use-after-free violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define FIX 0
struct slots { int npages; };
struct kvm { struct srcu_struct srcu; struct slots *active; };
struct kvm kvm;

static void replace(void)
{
	struct slots *old, *new;
	new = kzalloc(sizeof(struct slots), GFP_KERNEL);
	old = kvm.active;
	rcu_assign_pointer(kvm.active, new);
#if FIX
	synchronize_srcu(&kvm.srcu);
#endif
	kfree(old);
}

void writer(void)
{
	replace();
	replace();
}

void reader(void)
{
	int idx = srcu_read_lock(&kvm.srcu);
	struct slots *s = srcu_dereference(kvm.active, &kvm.srcu);
	if (s)
		WRITE_ONCE(s->npages, 1);
	srcu_read_unlock(&kvm.srcu, idx);
}
