/*
 * @title  toy
 * @thread writer
 * @thread reader x2
 * @faults 1
 * @expect sc * holds
 */
#define NR 2
struct slot { int *rmap[3]; int npages; };
struct slots { struct slot s[NR]; };
struct kvm { struct mutex lock; struct srcu_struct srcu; struct slots *active; bool flag; };
struct slots arr0 = { .s = { { .npages = 1 }, { .npages = 1 } } };
struct kvm kvm = { .active = &arr0 };

static int alloc_rmap(struct slot *slot)
{
	int i;
	for (i = 0; i < 3; i++) {
		if (slot->rmap[i])
			continue;
		slot->rmap[i] = kvcalloc(slot->npages, sizeof(*slot->rmap[i]), GFP_KERNEL);
		if (!slot->rmap[i])
			return -ENOMEM;
	}
	return 0;
}

void writer(void)
{
	int i, r = 0;
	struct slots copy;
	mutex_lock(&kvm.lock);
	copy = *kvm.active;
	for (i = 0; i < NR; i++) {
		r = alloc_rmap(&copy.s[i]);
		if (r)
			break;
	}
	if (!r)
		smp_store_release(&kvm.flag, true);
	mutex_unlock(&kvm.lock);
}

void reader(int id)
{
	int idx = srcu_read_lock(&kvm.srcu);
	struct slots *s = srcu_dereference(kvm.active, &kvm.srcu);
	if (smp_load_acquire(&kvm.flag) && id == 0)
		assert_property("rmaps-present", s->s[0].rmap[0] != NULL);
	srcu_read_unlock(&kvm.srcu, idx);
}
