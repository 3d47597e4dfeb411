/*
 * @title   lockdep_assert_held: a fast path calls the helper without the lock
 * @description The near miss of lockdep_held.c: the second instance skips the lock,
 *   so the assertion fails.
 * @thread  worker x2
 * @memory-models sc ra
 * @expect  sc lockdep violated
 * @expect  sc * holds
 * @expect  ra lockdep violated
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
	if (id == 1) {
		bump_locked(&kvm);
		return;
	}
	mutex_lock(&kvm.slots_lock);
	bump_locked(&kvm);
	mutex_unlock(&kvm.slots_lock);
}
