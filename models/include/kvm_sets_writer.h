/*
 * The writer of the memslot sets (5.17 on; virt/kvm/kvm_main.c): kvm_swap_active_memslots,
 * kvm_activate_memslot and kvm_set_memslot. Included by include/kvm_sets.h and by
 * 17_6.19.c, whose commit hook only frees (COMMIT_FREES_ONLY: kvm_commit_memory_region(old,
 * change)). Each includer defines memslot_sets, kvm_arch_prepare_memory_region and
 * kvm_commit_memory_region.
 */
#pragma once

/*
 * kvm_swap_active_memslots: the inactive set becomes the active one (rcu_assign_pointer), then
 * slots_arch_lock is dropped and synchronize_srcu waits for readers of the previous set.
 * Returns the index of the set that is now inactive.
 */
static int kvm_swap_active_memslots(struct kvm *kvm, int as_id, int inactive)
{
	rcu_assign_pointer(kvm->memslots[as_id], &memslot_sets[as_id][inactive]);
	mutex_unlock(&kvm->slots_arch_lock);
	synchronize_srcu_expedited(&kvm->srcu);
	return 1 - inactive;
}

/*
 * kvm_activate_memslot(old, new): swap, then make the same replacement in the set that is now
 * inactive, so that both sets agree again.
 */
static int kvm_activate_memslot(struct kvm *kvm, int as_id, int inactive, int id,
				struct kvm_memory_slot *new)
{
	inactive = kvm_swap_active_memslots(kvm, as_id, inactive);
	memslot_sets[as_id][inactive].slots[id] = new;
	return inactive;
}

/* kvm_set_memslot (5.17+). `inactive` is the index of the inactive set of as_id. */
static int kvm_set_memslot(struct kvm *kvm, struct kvm_memory_slot *old, struct kvm_memory_slot *new,
			   int as_id, int id, int inactive, int change)
{
	struct kvm_memory_slot *invalid_slot;
	struct kvm_memory_slot tmp;
	int r;

	mutex_lock(&kvm->slots_arch_lock);

	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		invalid_slot = kzalloc(sizeof(struct kvm_memory_slot), GFP_KERNEL_ACCOUNT);
		if (!invalid_slot) {
			mutex_unlock(&kvm->slots_arch_lock);
			return -ENOMEM;
		}
		/* kvm_invalidate_memslot: a copy of old (arch included, read under the lock), INVALID,
		 * in place of old in the inactive set; swap it in (drops the lock) */
		tmp = *old;
		tmp.flags |= KVM_MEMSLOT_INVALID;
		*invalid_slot = tmp;
		memslot_sets[as_id][inactive].slots[id] = invalid_slot;
		inactive = kvm_swap_active_memslots(kvm, as_id, inactive);
		/* kvm_arch_flush_shadow_memslot(old): zaps shadow pages, no rmap pointer changes */
		mutex_lock(&kvm->slots_arch_lock);
		/* 4e4d30cb9b87: copy the arch data the allocator may have written meanwhile */
		old->arch = invalid_slot->arch;
	}

	r = kvm_arch_prepare_memory_region(kvm, old, new, change);
	if (r) {
		if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
			/* kvm_activate_memslot(invalid_slot, old): swap back to the set that still holds
			 * old (drops the lock), then put old back in place of invalid_slot in the other */
			kvm_activate_memslot(kvm, as_id, inactive, id, old);
			kfree(invalid_slot);
		} else {
			mutex_unlock(&kvm->slots_arch_lock);
		}
		return r;
	}

	/* kvm_{create,delete,move,update_flags}_memslot: replace in the inactive set, swap, then
	 * the same in the other set */
	memslot_sets[as_id][inactive].slots[id] = new;
	kvm_activate_memslot(kvm, as_id, inactive, id, new);
	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE)
		kfree(invalid_slot);		/* the struct only: its arrays now belong to old */

	/* no slots_arch_lock: arch changes after the swap land directly in the live `new` */
#if COMMIT_FREES_ONLY
	kvm_commit_memory_region(old, change);
#else
	kvm_commit_memory_region(kvm, old, new, change);
#endif
	return 0;
}
