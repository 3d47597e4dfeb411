/*
 * @title  the old array is freed right after the new one is installed: use after free
 * @description The reader may still hold the old array inside its srcu read section;
 *   freeing it without synchronize_srcu lets the reader touch freed memory.
 * @memory-models sc
 * @thread writer
 * @thread reader
 * @expect sc no-use-after-free violated
 * @expect sc * holds
 */
struct slots { int npages; };
struct kvm { struct srcu_struct srcu; struct slots *active; };
struct kvm kvm;

static void replace(void)
{
	struct slots *old, *new;
	new = kzalloc(sizeof(struct slots), GFP_KERNEL);
	old = kvm.active;
	rcu_assign_pointer(kvm.active, new);
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
