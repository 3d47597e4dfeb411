/*
 * @title   lockdep_assert_held: every caller of the helper holds the lock
 * @thread  worker x2
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 */
struct kvm { struct mutex slots_lock; int nr; };
struct kvm kvm;

static void bump_locked(struct kvm *k)
{
	lockdep_assert_held(&k->slots_lock);
	k->nr = k->nr + 1;
}

void worker(int id)
{
	mutex_lock(&kvm.slots_lock);
	bump_locked(&kvm);
	mutex_unlock(&kvm.slots_lock);
}
