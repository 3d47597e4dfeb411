/*
 * @title  Linux 5.16: shadow_root_allocated, mmu_first_shadow_root_alloc, snapshot under slots_arch_lock
 * @source commit fa13843d1565 ("KVM: X86: fix lazy allocation of rmaps")
 * @source commit 1e76a3ce0d3c ("KVM: cleanup allocation of rmaps and page tracking data")
 * @source commit bda44d844758 ("KVM: Ensure local memslot copies operate on up-to-date arch-specific data")
 * @source Message-ID 20211018175333.582417-1-pbonzini@redhat.com (1e76a3ce0d3c as posted)
 * @source Message-ID 20211018174746.890616-1-seanjc@google.com (fix squashed into 1e76a3ce0d3c)
 * @source Message-ID 20211104002531.1176691-2-seanjc@google.com (bda44d844758)
 * @description The flag is kvm->arch.shadow_root_allocated (acquire load; with the TDP MMU on,
 *   kvm_memslots_have_rmaps() is that flag). mmu_first_shadow_root_alloc: fast path, lock,
 *   re-check, then every used slot of both address spaces, skipping levels already allocated,
 *   keeping whatever was allocated when a later allocation fails; release store; unlock. The
 *   writer (bda44d844758) takes its `old` copy, and `new.arch` from it, from its private copy of
 *   the array AFTER (re)taking slots_arch_lock, and DELETE frees that fresh `old`. B3 and B4 are
 *   gone. OPEN (a): violated: an aging notifier that fetched the array before an install walks
 *   that array's NULL rmaps after the allocator filled the installed copy and published
 *   (by-value arrays: any change type, CREATE included). OPEN (b): violated: the FLAGS_ONLY commit
 *   hook still walks the writer's stack copy `new`, which the allocator never writes.
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 1
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1
 * @expect sc stale-slot-rmaps violated
 * @expect sc commit-rmaps violated
 * @expect sc * holds
 * @expect ra commit-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra stale-slot-rmaps violated
 * @expect ra * holds
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso stale-slot-rmaps violated
 * @expect tso * holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm stale-slot-rmaps violated
 * @expect lkmm * holds
 * UNDER lkmm (z3 events; one address space, one slot): sc's verdicts (docs/memory-model.md).
 * MEMORY MODELS: sc in the default configuration and NR_SLOTS=3; ra (its defines line) with one
 *   address space and one slot, and the allocator's write-back narrowed to the rmap pointers it
 *   changed (WRITE_BACK_POINTERS=1). ra lets every load read any message its view allows, which
 *   multiplies the states; B6, the only kind of bug ra adds (a reader that sees the flag but not
 *   the rmap stores before it), needs one slot, one allocation and one reader, and the bugs that
 *   need more slots or both address spaces do not need weak memory: the sc runs check them.
 * THE OPEN QUESTIONS, as this model settles them (traces: rmapcheck check, or the tests)
 *   (a) stale-slot-rmaps, VIOLATED, for every change type (every slot is copied by value): an
 *       aging notifier (mm's clear_flush_young / clear_young / test_young -> __kvm_handle_hva_range
 *       -> kvm_age_gfn / kvm_test_age_gfn) fetches memslots[0] under srcu; KVM_SET_USER_MEMORY_
 *       REGION installs a copy and waits in synchronize_srcu for that notifier; a vCPU's first
 *       shadow root allocation (a nested guest starting) fills the rmaps of the INSTALLED copy and
 *       publishes the flag; the notifier reads the flag true and walks the slot of the array it
 *       fetched, whose rmaps are NULL. Assumes: the notifier's range covers the slot, and aging
 *       notifiers do not take part in mn_active_invalidate_count (5.15+), which only keeps
 *       invalidate_range_start/end from straddling an install.
 *   (b) commit-rmaps, VIOLATED, for FLAGS_ONLY: the writer installs its copy (the flag still
 *       false, so `new` has no rmaps), drops slots_arch_lock; a vCPU's first shadow root fills the
 *       installed slot and publishes; kvm_arch_commit_memory_region -> kvm_mmu_slot_apply_flags
 *       reads the flag true and walks the rmaps of the writer's stack copy `new`, which the
 *       allocator never wrote. Assumes: apply_flags is handed the stack copy (as in 5.14 to 5.16),
 *       and walks after the flag check. What the kernel does then: kvm_mmu_slot_remove_write_access
 *       and kvm_mmu_zap_collapsible_sptes walk with slot_handle_level from the slot's base_gfn
 *       (5.14.2), where gfn_to_rmap() of the NULL array is NULL and slot_rmap_walk_okay() ends the
 *       walk: a silent skip, not a dereference (commit-rmaps says "the walk found no rmaps").
 *       What is skipped: the shadow-MMU sptes of that slot, which exist only from the allocator's
 *       publication on and were made through the installed slot, whose flags are already the new
 *       ones; so enabling dirty logging loses nothing the fault path did not already handle, and
 *       disabling it leaves those sptes uncollapsed (huge pages, a performance matter). Argued
 *       from the 5.14.2 walkers, not modelled.
 * The mutants 11 to 14 include this file with one MUTANT_ switch each; they drop the aging
 * notifier and the commit check (AGING_NOTIFIER=0, COMMIT_RMAPS_CHECK=0) to keep their state
 * spaces small, and fault on the last boot slot (FAULT_SLOT).
 */

#define DESIGN_SHADOW_ROOT_ALLOCATED 1
#define SKIP_ALLOCATED_LEVELS 1		/* fa13843d1565 */
#ifndef AGING_NOTIFIER
#define AGING_NOTIFIER 1
#define COMMIT_RMAPS_CHECK 1
#endif

struct kvm_arch {
	bool shadow_root_allocated;
};

#include "include/kvm_arrays.h"

/* kvm_shadow_root_allocated(): an acquire load, paired with the allocator's release store. */
static bool kvm_shadow_root_allocated(struct kvm *kvm)
{
	return smp_load_acquire(&kvm->arch.shadow_root_allocated);
}

/* mmu.h: "!tdp_mmu_enabled || kvm_shadow_root_allocated(kvm)"; the TDP MMU is on here. */
static bool kvm_memslots_have_rmaps(struct kvm *kvm)
{
	return kvm_shadow_root_allocated(kvm);
}

/*
 * mmu_first_shadow_root_alloc (1e76a3ce0d3c), called by mmu_alloc_shadow_roots inside the vCPU's
 * srcu section. It also allocates the write-tracking arrays (gfn_track) of every slot, with the
 * same skip-if-present and keep-on-failure rules; they are not modelled (no reader here uses them).
 * models/17_6.19.c models them with their reader, the TDP fault's write-tracking check
 * (kvm_slot_page_track_is_active before 6.6, kvm_gfn_is_write_tracked after), which reads the
 * array of the slot it looked up before the flag: there a replaced slot's NULL array is an oops.
 * MUTANT_FLAG_BEFORE_ALLOC (14): the flag is published before the allocation loop.
 */
static int mmu_first_shadow_root_alloc(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memslots *all[NR_AS];
	struct kvm_memslots cur;
#if WRITE_BACK_POINTERS
	struct kvm_memslots was;
#endif
	int r = 0, i, j;

	/* 1. fast path */
	if (kvm_shadow_root_allocated(kvm))
		return 0;

	/* 2. lock, 3. re-check */
	mutex_lock(&kvm->slots_arch_lock);
	if (kvm_shadow_root_allocated(kvm))
		goto out_unlock;

	/* 4. "nothing to allocate" short cut (rmaps and write tracking already on): with the TDP MMU
	 *    on both are the flag itself, just read false, so it is never taken here */
#if MUTANT_FLAG_BEFORE_ALLOC
	smp_store_release(&kvm->arch.shadow_root_allocated, true);	/* MUTATION */
#endif

	/* 5. every used slot of every address space, in the INSTALLED array */
	memcpy(&all, &kvm->memslots, sizeof(all));	/* see READS UNDER slots_arch_lock */
	for (i = 0; i < NR_AS; i++) {
		slots = all[i];
		cur = *slots;
#if WRITE_BACK_POINTERS
		was = cur;
#endif
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++) {
			if (!cur.memslots[j].npages)
				continue;
			r = memslot_rmap_alloc(&cur.memslots[j]);
			if (r)
				break;
		}
#if WRITE_BACK_POINTERS
		write_back_rmaps(slots, &was, &cur);
#else
		*slots = cur;
#endif
		if (r)
			goto out_unlock;	/* partial allocations are kept on purpose */
	}

	/* 6. publish */
#if !MUTANT_FLAG_BEFORE_ALLOC
	smp_store_release(&kvm->arch.shadow_root_allocated, true);
#endif
out_unlock:
	mutex_unlock(&kvm->slots_arch_lock);
	return r;
}

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm active-rmaps unsupported
 * @expect lkmm no-data-race unsupported
 * @expect tso active-rmaps unsupported
 */
