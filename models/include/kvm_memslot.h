/*
 * The kernel environment every KVM model shares: its parameters, the memslot and rmap
 * structures, the rmap helpers of each posting, and the change userspace asks for.
 * Included by kvm_arrays.h (5.14-5.16: by-value memslot arrays) and kvm_sets.h (5.17+:
 * memslot objects in two sets); a design includes one of those, not this file.
 *
 * PROPERTIES the harnesses name
 *   rmaps-present     the rmap vcpu.0 walks in its shadow fault is allocated.
 *   active-rmaps      invariant: while the flag is true, every used slot of every installed
 *                     array (set) has all its rmap levels.
 *   stale-slot-rmaps  OPEN (a): the rmap the aging notifier walks is allocated.
 *   commit-rmaps      OPEN (b): the rmap the FLAGS_ONLY commit hook walks (kvm_mmu_slot_apply_
 *                     flags -> kvm_mmu_slot_remove_write_access / kvm_mmu_zap_collapsible_sptes)
 *                     is allocated. That walk starts at the slot's base_gfn: with a NULL
 *                     array it ends at once, a silent skip, not a dereference.
 *   A walk of a NULL rmap array is, depending on the walker and the gfn, a NULL-based
 *   dereference or a walk that silently skips the slot (sptes left unprotected / unaged): the
 *   iterator walks of 5.14 to 6.13 stop at a NULL head (the slot's first gfn) and dereference
 *   past it; the models here have one-page slots, so they show the skip. models/17_6.19.c has
 *   slots of two pages and says which (docs/findings.md).
 *
 * ABSTRACTIONS
 *   - Slot ids are array indices (the kernel keeps the array sorted by gfn; order is
 *     irrelevant). One page per slot; KVM_NR_PAGE_SIZES rmap levels.
 *   - Not modelled: mmu_lock (it guards rmap contents, never the rmap pointers or the flag),
 *     lpage_info and page tracking (allocated beside the rmaps, not read by these paths), dirty
 *     bitmaps, the memslot generation, shadow-page zapping (it walks the shadow-page list).
 *   - slots_lock is left out: only the writer thread would take it.
 */
#pragma once

/*
 * @param NR_AS address spaces (x86: 2, normal and SMM)
 * @param NR_SLOTS memslots in use in address space 0 (the writer's) at boot (1 to 3); one more id is free, for CREATE
 * @param NR_SMM_SLOTS memslots in use in address space 1 (SMM) at boot (1 to 3)
 * @param NR_VCPUS vCPU threads (2 or 3)
 * @param NR_RUNS KVM_RUN calls per vCPU: a vCPU whose KVM_RUN failed runs it again (default 1; 2 = literal retry)
 * @param KVM_NR_PAGE_SIZES rmap levels per slot (the kernel has 3)
 * @param WRITER_CHANGE -1 (default): the writer's change is any of the four; 0 to 3: only KVM_MR_CREATE, DELETE, MOVE or FLAGS_ONLY
 */
#define NR_AS 2
#define NR_SLOTS 2
#define NR_SMM_SLOTS 1
#define NR_VCPUS 2
#define NR_RUNS 1
#define WRITER_CHANGE -1
#define KVM_NR_PAGE_SIZES 1
#define KVM_MEM_SLOTS_NUM (NR_SLOTS + 1)

#define KVM_MR_CREATE 0
#define KVM_MR_DELETE 1
#define KVM_MR_MOVE 2
#define KVM_MR_FLAGS_ONLY 3

#define KVM_MEM_LOG_DIRTY_PAGES 1
#define KVM_MEMSLOT_INVALID 2

struct kvm_rmap_head {
	unsigned long val;
};

struct kvm_arch_memory_slot {
	struct kvm_rmap_head *rmap[KVM_NR_PAGE_SIZES];
};

struct kvm_memory_slot {
	unsigned long base_gfn;
	unsigned long npages;
	u32 flags;
	struct kvm_arch_memory_slot arch;
};

/* memslot_rmap_free: free every level of the slot and clear the pointers (kvfree(NULL) is a no-op). */
static void memslot_rmap_free(struct kvm_memory_slot *slot)
{
	int i;

	for (i = 0; i < KVM_NR_PAGE_SIZES; i++) {
		if (slot->arch.rmap[i]) {
			kvfree(slot->arch.rmap[i]);
			slot->arch.rmap[i] = NULL;
		}
	}
}

/*
 * alloc_memslot_rmap (v2 7/7 and v3): every level; a failure frees this slot's levels. v2 passes
 * its alloc_memslot_rmaps flag in (plain read by the caller) and skips a slot whose first level
 * is allocated (DESIGN_SEED_V2).
 */
#if DESIGN_SEED_V2
static int alloc_memslot_rmap(struct kvm_memory_slot *slot, bool alloc_memslot_rmaps)
#else
static int alloc_memslot_rmap(struct kvm_memory_slot *slot)
#endif
{
	int i;

#if DESIGN_SEED_V2
	if (!alloc_memslot_rmaps)
		return 0;
	if (slot->arch.rmap[0])
		return 0;
#endif
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++) {
		slot->arch.rmap[i] = kvcalloc(slot->npages, sizeof(struct kvm_rmap_head), GFP_KERNEL_ACCOUNT);
		if (!slot->arch.rmap[i]) {
			memslot_rmap_free(slot);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * memslot_rmap_alloc (v4 on): WARN if a level is already allocated (v4, 5.14); after fa13843d1565
 * (5.15 on, SKIP_ALLOCATED_LEVELS) a level kept by an earlier, partly failed call is skipped.
 * A failure frees all levels of this slot.
 */
static int memslot_rmap_alloc(struct kvm_memory_slot *slot)
{
	int i;

	for (i = 0; i < KVM_NR_PAGE_SIZES; i++) {
#if SKIP_ALLOCATED_LEVELS
		if (slot->arch.rmap[i])
			continue;
#else
		WARN_ON(slot->arch.rmap[i]);
#endif
		slot->arch.rmap[i] = kvcalloc(slot->npages, sizeof(struct kvm_rmap_head), GFP_KERNEL_ACCOUNT);
		if (!slot->arch.rmap[i]) {
			memslot_rmap_free(slot);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * The change userspace asks for (KVM_MR_CREATE of the free entry, or KVM_MR_DELETE, KVM_MR_MOVE
 * or KVM_MR_FLAGS_ONLY of slot 0): any of them, or only WRITER_CHANGE if it is set. It is chosen
 * right after the writer's first read of the array pointer, which does not depend on it: the runs
 * then share that step.
 */
static int userspace_request(void)
{
#if WRITER_CHANGE >= 0
	return WRITER_CHANGE;
#else
	return __VERIFIER_nondet_bool() * 2 + __VERIFIER_nondet_bool();
#endif
}
