/*
 * THE HARNESS of Linux 5.17 and later: memslot objects shared by an active and an inactive set.
 * A design (10) defines its `struct kvm_arch` (the flag), includes this file, and defines its
 * allocator (mmu_first_shadow_root_alloc) and flag accessors.
 *   kvm_set_user_memory_region  as in include/kvm_arrays.h: one CREATE (of the free id), DELETE,
 *                  MOVE or FLAGS_ONLY on slot 0 of address space 0, with the writer of 5.17+.
 *   vcpu.0         KVM_RUN: srcu read section, the allocator, then a shadow page fault on slot 0
 *                  of address space 0 (flag first, then the slot found through the active set).
 *   vcpu.1         KVM_RUN; with AGING_NOTIFIER an aging MMU notifier runs in this task first.
 *
 * ABSTRACTIONS (besides those of include/kvm_memslot.h)
 *   - A set is an array of object pointers indexed by slot id; it stands for the id hash and the
 *     gfn and hva trees, whose nodes each object carries twice (one per set).
 *   - The inactive set is only read and written by the writer (slots_lock), so its updates are
 *     plain stores; kvm->memslots[as] says which set is active.
 *   - install waits in kvm_swap_active_memslots for mn_active_invalidate_count == 0 with
 *     slots_arch_lock held; no invalidation notifier is modelled, so that wait always passes.
 *   - The boot slot objects are globals; kfree of one clears it (as kvfree_memslots does for
 *     the boot arrays of include/kvm_arrays.h).
 *   - Each object is read in one step by the allocator and its arch data written back in one
 *     step (all under slots_arch_lock; see READS UNDER slots_arch_lock in include/kvm_arrays.h).
 *   - Write-tracking arrays are not modelled (10_5.17.c says why; models/17_6.19.c has them).
 * MEMORY MODELS: ra runs with the writer reading only the fields of `old` it uses (FIELD_READS=1),
 *   in sc's configuration (15, 16) or, where that still costs too much (10: 58,548 ra states in
 *   sc's, benchmarks/results/ra_in_sc_configs.md), with one address space and one slot. B6, the
 *   only kind of bug ra adds (a reader that sees the flag but not the rmap stores before it),
 *   needs one slot, one allocation and one reader; the bugs that need more slots or both
 *   address spaces do not need weak memory: the sc runs check them.
 */
#pragma once
#include "kvm_memslot.h"

/* @param FIELD_READS 1 (the ra runs): __kvm_set_memory_region reads only old's range and flags, one field a step, as the kernel does; 0 (sc): the whole struct in one step, arch included (sc cannot tell the difference; under ra reading old->arch would race with the allocator, which the kernel does not) */
#define FIELD_READS 0

struct kvm_memslots {
	struct kvm_memory_slot *slots[KVM_MEM_SLOTS_NUM];
};

struct kvm {
	struct mutex slots_arch_lock;
	struct srcu_struct srcu;
	struct kvm_memslots *memslots[NR_AS];
	struct kvm_arch arch;
};

/* kvm_create_vm + the boot-time KVM_SET_USER_MEMORY_REGION calls: NR_SLOTS one-page slots in
 * address space 0, NR_SMM_SLOTS in address space 1. */
struct kvm_memory_slot boot_slots[NR_AS][3] = {
	{ { .base_gfn = 0, .npages = 1 },
#if NR_SLOTS >= 2
	  { .base_gfn = 1, .npages = 1 },
#endif
#if NR_SLOTS >= 3
	  { .base_gfn = 2, .npages = 1 },
#endif
	},
#if NR_AS >= 2
	{ { .base_gfn = 0, .npages = 1 },
#if NR_SMM_SLOTS >= 2
	  { .base_gfn = 1, .npages = 1 },
#endif
#if NR_SMM_SLOTS >= 3
	  { .base_gfn = 2, .npages = 1 },
#endif
	},
#endif
};

/* kvm->__memslots[as][0..1]: both sets hold the same objects. */
struct kvm_memslots memslot_sets[NR_AS][2] = {
	{ { .slots = { &boot_slots[0][0],
#if NR_SLOTS >= 2
		       &boot_slots[0][1],
#endif
#if NR_SLOTS >= 3
		       &boot_slots[0][2],
#endif
	  } },
	  { .slots = { &boot_slots[0][0],
#if NR_SLOTS >= 2
		       &boot_slots[0][1],
#endif
#if NR_SLOTS >= 3
		       &boot_slots[0][2],
#endif
	  } } },
#if NR_AS >= 2
	{ { .slots = { &boot_slots[1][0],
#if NR_SMM_SLOTS >= 2
		       &boot_slots[1][1],
#endif
#if NR_SMM_SLOTS >= 3
		       &boot_slots[1][2],
#endif
	  } },
	  { .slots = { &boot_slots[1][0],
#if NR_SMM_SLOTS >= 2
		       &boot_slots[1][1],
#endif
#if NR_SMM_SLOTS >= 3
		       &boot_slots[1][2],
#endif
	  } } },
#endif
};

struct kvm kvm = {
	.memslots = { &memslot_sets[0][0],
#if NR_AS >= 2
		      &memslot_sets[1][0],
#endif
	},
};

/* ------------------------------------------------------------------ helpers */

static void kfree_memslot(struct kvm_memory_slot *slot)
{
	int i, j;
	bool boot = false;

	for (i = 0; i < NR_AS; i++)
		for (j = 0; j < 3; j++)
			if (slot == &boot_slots[i][j])
				boot = true;
	if (boot)
		memset(slot, 0, sizeof(struct kvm_memory_slot));
	else
		kfree(slot);
}

/* ------------------------------------------------------------ the readers */

/* A shadow page fault on slot 0 of address space 0 (the slot found through the active set). */
static void shadow_page_fault(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	struct kvm_memory_slot cur;
	int i;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	slot = slots->slots[0];
	if (!slot)
		return;
	cur = *slot;
	if (cur.flags & KVM_MEMSLOT_INVALID)
		return;
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
		assert_property("rmaps-present", cur.arch.rmap[i] != NULL);
}

/*
 * An aging MMU notifier (5.17+): __kvm_handle_hva_range fetches the set, finds the slot object
 * through its hva tree, and kvm_age_gfn reads the flag, then walks that object's rmaps. Aging
 * does not bump mn_active_invalidate_count. It runs in vcpu.1's task.
 */
static void kvm_mmu_notifier_clear_young(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	struct kvm_memory_slot cur;
	int i;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	slot = slots->slots[0];
	if (!slot)
		return;
	if (kvm_memslots_have_rmaps(kvm)) {
		cur = *slot;
		for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
			assert_property("stale-slot-rmaps", cur.arch.rmap[i] != NULL);
	}
}

#include "kvm_vcpu.h"

/* ------------------------------------------------------------- the writer */

#include "kvm_sets_writer.h"

/* x86 prepare: CREATE/MOVE empty arch data + rmaps iff the flag; FLAGS_ONLY takes old's arch. */
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
		new->arch = cur.arch;
	} else if (change == KVM_MR_FLAGS_ONLY) {
		new->arch = old->arch;		/* under slots_arch_lock (537a17b31493) */
	}
	return r;
}

/* commit: kvm_mmu_slot_apply_flags on the LIVE `new`; MOVE frees old's arrays; then the frees. */
static void kvm_commit_memory_region(struct kvm *kvm, struct kvm_memory_slot *old,
				     struct kvm_memory_slot *new, int change)
{
	struct kvm_memory_slot cur;
	int i;

	if (change == KVM_MR_FLAGS_ONLY && kvm_memslots_have_rmaps(kvm)) {
		cur = *new;
		for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
			assert_property("commit-rmaps", cur.arch.rmap[i] != NULL);
	}
	if (change == KVM_MR_MOVE || change == KVM_MR_DELETE)
		memslot_rmap_free(old);		/* kvm_arch_free_memslot / kvm_free_memslot */
	if (change != KVM_MR_CREATE)
		kfree_memslot(old);
}

/* kvm_set_memory_region (slots_lock held). `old` is a pointer; its arch is read under the lock. */
static int __kvm_set_memory_region(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *old, *new;
	struct kvm_memory_slot tmp;
	int as_id = 0;
	int change, id;
	int inactive, r;

	slots = kvm->memslots[as_id];
	change = userspace_request();
	id = change == KVM_MR_CREATE ? NR_SLOTS : 0;
	inactive = slots == &memslot_sets[as_id][0] ? 1 : 0;
	old = slots->slots[id];

	if (change == KVM_MR_DELETE)
		return kvm_set_memslot(kvm, old, NULL, as_id, id, inactive, change);

	new = kzalloc(sizeof(struct kvm_memory_slot), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	memset(&tmp, 0, sizeof(struct kvm_memory_slot));
	if (old) {
#if FIELD_READS
		tmp.base_gfn = old->base_gfn;	/* what the kernel reads of old here: never its arch */
		tmp.npages = old->npages;
		tmp.flags = old->flags;
#else
		tmp = *old;		/* range and flags only; arch is set in prepare */
#endif
	}
	memset(&tmp.arch, 0, sizeof(struct kvm_arch_memory_slot));
	tmp.npages = 1;
	if (change == KVM_MR_CREATE)
		tmp.base_gfn = NR_SLOTS;
	if (change == KVM_MR_MOVE)
		tmp.base_gfn = tmp.base_gfn + NR_SLOTS + 1;
	if (change == KVM_MR_FLAGS_ONLY)
		tmp.flags = tmp.flags ^ KVM_MEM_LOG_DIRTY_PAGES;
	*new = tmp;

	r = kvm_set_memslot(kvm, old, new, as_id, id, inactive, change);
	if (r)
		kfree(new);
	return r;
}

void kvm_set_user_memory_region(void)
{
	__kvm_set_memory_region(&kvm);
}

/* ---------------------------------------------------------------- invariant */

bool active_slots_have_rmaps(void)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	int i, j, l;

	if (!kvm.arch.shadow_root_allocated)
		return true;
	for (i = 0; i < NR_AS; i++) {
		slots = kvm.memslots[i];
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++) {
			slot = slots->slots[j];
			if (!slot)
				continue;
			for (l = 0; l < KVM_NR_PAGE_SIZES; l++)
				if (slot->npages && !slot->arch.rmap[l])
					return false;
		}
	}
	return true;
}
