/*
 * The memslot writer of models/17_6.19.c (Linux 6.19) and its invariant. kvm_set_memslot is
 * include/kvm_sets_writer.h's (as in 10_5.17.c), which the design file includes first; here
 * are 6.19's arch hooks: prepare is kvm_alloc_memslot_metadata (x86.c), rmaps iff
 * kvm_memslots_have_rmaps(), write tracking iff kvm_page_track_write_tracking_enabled(), both
 * under slots_arch_lock; commit: DELETE kvm_free_memslot(old), MOVE kvm_arch_free_memslot(old)
 * + kfree(old), FLAGS_ONLY kfree(old). The change is WRITER_CHANGE, or any of the four.
 *
 * INVARIANT active-arrays: once the flag is set every slot object of every active set has
 * both arrays.
 */
#pragma once

/* kvm_arch_prepare_memory_region: CREATE/MOVE kvm_alloc_memslot_metadata; FLAGS_ONLY old's arch */
static int kvm_arch_prepare_memory_region(struct kvm *kvm, struct kvm_memory_slot *old,
					  struct kvm_memory_slot *new, int change)
{
	struct kvm_memory_slot cur;
	int r = 0;

	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		cur = *new;
		memset(&cur.arch, 0, sizeof(struct kvm_arch_memory_slot));
		if (kvm_memslots_have_rmaps(kvm))
			r = memslot_rmap_alloc(&cur);
		if (!r && kvm_page_track_write_tracking_enabled(kvm)) {
			r = kvm_page_track_write_tracking_alloc(&cur);
			if (r)
				memslot_rmap_free(&cur);	/* out_free */
		}
		new->arch = cur.arch;
	} else if (change == KVM_MR_FLAGS_ONLY) {
		new->arch = old->arch;
	}
	return r;
}

/* kvm_commit_memory_region + kvm_arch_commit_memory_region: the frees */
static void kvm_commit_memory_region(struct kvm_memory_slot *old, int change)
{
	if (change == KVM_MR_MOVE || change == KVM_MR_DELETE)
		kvm_arch_free_memslot(old);
	if (change != KVM_MR_CREATE)
		kfree_memslot(old);
}


static int userspace_request(void)
{
#if WRITER_CHANGE >= 0
	return WRITER_CHANGE;
#else
	return __VERIFIER_nondet_bool() * 2 + __VERIFIER_nondet_bool();
#endif
}

/* __kvm_set_memory_region (slots_lock held), on slot 0 of address space 0 or the free id */
static int __kvm_set_memory_region(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *old, *new;
	struct kvm_memory_slot tmp;
	int change, id, inactive, r;

	slots = kvm->memslots[0];
	change = userspace_request();
	id = change == KVM_MR_CREATE ? NR_SLOTS : 0;
	inactive = slots == &memslot_sets[0][0] ? 1 : 0;
	old = slots->slots[id];

	if (change == KVM_MR_DELETE)
		return kvm_set_memslot(kvm, old, NULL, 0, id, inactive, change);

	new = kzalloc(sizeof(struct kvm_memory_slot), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	memset(&tmp, 0, sizeof(struct kvm_memory_slot));
	if (old) {
#if FIELD_READS
		tmp.base_gfn = old->base_gfn;
		tmp.flags = old->flags;
#else
		tmp = *old;
#endif
	}
	memset(&tmp.arch, 0, sizeof(struct kvm_arch_memory_slot));
	tmp.npages = NPAGES;
	if (change == KVM_MR_CREATE)
		tmp.base_gfn = NR_SLOTS * NPAGES;
	if (change == KVM_MR_MOVE)
		tmp.base_gfn = tmp.base_gfn + (NR_SLOTS + 1) * NPAGES;
	if (change == KVM_MR_FLAGS_ONLY)
		tmp.flags = tmp.flags ^ KVM_MEM_LOG_DIRTY_PAGES;
	*new = tmp;

	r = kvm_set_memslot(kvm, old, new, 0, id, inactive, change);
	if (r)
		kfree(new);
	return r;
}

void kvm_set_user_memory_region(void)
{
	__kvm_set_memory_region(&kvm);
}

/* ---------------------------------------------------------------- invariant */

bool active_slots_have_arrays(void)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	int i, j;

	if (!kvm.arch.shadow_root_allocated)
		return true;
	for (i = 0; i < NR_AS; i++) {
		slots = kvm.memslots[i];
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++) {
			slot = slots->slots[j];
			if (slot && slot->npages && (!slot->arch.rmap[0] || !slot->arch.gfn_write_track))
				return false;
		}
	}
	return true;
}
