/*
 * @title  Linux 5.17 and later: memslot objects shared by an active and an inactive set
 * @source commit 4e4d30cb9b87 ("KVM: Resync only arch fields when slots_arch_lock gets reacquired")
 * @source commit 537a17b31493 ("KVM: Let/force architectures to deal with arch specific memslot data")
 * @source Message-ID 20211104002531.1176691-6-seanjc@google.com (4e4d30cb9b87, v5.5 05/30 of the memslot series)
 * @source Message-ID 67dea5f11bbcfd71e3da5986f11e87f5dd4013f9.1638817639.git.maciej.szmigiero@oracle.com (537a17b31493)
 * @source commit 1e76a3ce0d3c ("KVM: cleanup allocation of rmaps and page tracking data")
 * @description Each memslot is its own object; each address space has two sets (active and
 *   inactive) that share every unchanged object, and the allocator writes rmap pointers into
 *   the objects of the active set, so both sets see them. kvm_set_memslot: DELETE/MOVE put a
 *   copy of `old` marked INVALID (`invalid_slot`) in the inactive set and swap it in (the swap
 *   drops slots_arch_lock before synchronize_srcu), retake the lock, and copy the arch data the
 *   allocator may have written into `invalid_slot` back into `old`; prepare (CREATE/MOVE: rmaps
 *   iff the flag, FLAGS_ONLY: `new->arch` copied from `old` under the lock); replace `old` by
 *   `new` in the inactive set, swap, then bring the other set up to date; commit on the LIVE
 *   `new`; MOVE frees old's arrays, DELETE frees `old`, MOVE/FLAGS_ONLY kfree the old struct.
 *   Allocator: mmu_first_shadow_root_alloc as in 5.16. B3 and B4 gone; OPEN (b) closed (the
 *   commit hook walks the object the allocator writes). OPEN (a): violated for FLAGS_ONLY, MOVE
 *   and DELETE: an aging notifier that found `old` through the set it fetched before the swap
 *   reads the flag after the allocator filled `new` (or `invalid_slot`) and walks `old`'s NULL
 *   rmaps; CREATE and unchanged slots are safe (same objects).
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 1
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @defines ra FIELD_READS=1
 * @expect sc stale-slot-rmaps violated
 * @expect sc * holds
 * @expect ra stale-slot-rmaps violated
 * @expect ra * holds
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=3
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=3
 * @expect lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=3 stale-slot-rmaps violated
 * @expect lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=3 rmaps-present violated
 * @expect lkmm * holds
 * @expect tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=3 stale-slot-rmaps violated
 * @expect tso * holds
 * THE OPEN QUESTIONS, as this model settles them
 *   (a) stale-slot-rmaps, VIOLATED for DELETE, MOVE and FLAGS_ONLY, holds for CREATE: an aging
 *       notifier (clear_flush_young / clear_young / test_young -> __kvm_handle_hva_range ->
 *       kvm_age_gfn) finds slot 0's object `old` through the set it fetched; the writer replaces
 *       `old` (by invalid_slot for DELETE/MOVE, by `new` for FLAGS_ONLY) and swaps the sets, then
 *       waits in synchronize_srcu for the notifier; a vCPU's first shadow root fills the object
 *       that is in the active set now and publishes the flag; the notifier reads the flag true
 *       and walks `old`, whose rmaps are NULL (DELETE/MOVE copy them back into `old` only after
 *       retaking slots_arch_lock, which waits for that synchronize_srcu). CREATE and the slots a
 *       change does not touch are the same objects in both sets: safe. Assumes: the notifier's
 *       range covers the slot, and aging notifiers do not take part in
 *       mn_active_invalidate_count (invalidations do, and cannot straddle a swap).
 *   (b) commit-rmaps, HOLDS: kvm_mmu_slot_apply_flags walks the live `new`, the object the
 *       allocator fills once `new` is in the active set; the flag's acquire orders those stores
 *       before the walk.
 * WEAK MEMORY (`rmapcheck verify --memory-model lkmm|tso`, the z3 event engine; docs/memory-model.md)
 *   One address space and one slot (sc's configurations take 20 minutes and more a property
 *   under lkmm). CREATE of the free id (WRITER_CHANGE=0: one allocation, one reader, no slot
 *   replaced): every property holds under lkmm and tso, where the mutants 15 and 16 violate
 *   rmaps-present under lkmm: the flag's release/acquire is what keeps B6 away. FLAGS_ONLY
 *   (WRITER_CHANGE=3): stale-slot-rmaps is (a), as under sc; rmaps-present is violated under
 *   lkmm only, in an execution LKMM flags as a data race: the fault reads `new`'s rmap pointer
 *   through slots->slots[0], a plain load two address dependencies from srcu_dereference, which
 *   LKMM does not order (the kernel's id_to_memslot and search_memslots walk the set the same
 *   way, relying on dependency ordering through plain pointer loads); the flag is not involved.
 * The mutants 15 and 16 include this file with MUTANT_RELAXED_STORE or MUTANT_RELAXED_LOAD.
 * WRITE-TRACKING ARRAYS (gfn_track, filled by the same allocator since 1e76a3ce0d3c) are left out,
 * as in 09: no reader of this model reads them, and the rmaps already show every interleaving
 * of the allocator with the memslot writer. models/17_6.19.c adds them with their reader (the
 * TDP fault's kvm_gfn_is_write_tracked) and slots of two pages (docs/findings.md).
 */

#define SKIP_ALLOCATED_LEVELS 1		/* fa13843d1565 */
#ifndef AGING_NOTIFIER
#define AGING_NOTIFIER 1
#endif

struct kvm_arch {
	bool shadow_root_allocated;
};

#include "include/kvm_sets.h"

static bool kvm_shadow_root_allocated(struct kvm *kvm)
{
#if MUTANT_RELAXED_LOAD && FLAG_PLAIN
	return kvm->arch.shadow_root_allocated;		/* MUTATION (16) */
#elif MUTANT_RELAXED_LOAD
	return READ_ONCE(kvm->arch.shadow_root_allocated);	/* MUTATION (16) */
#else
	return smp_load_acquire(&kvm->arch.shadow_root_allocated);
#endif
}

/* "!tdp_mmu_enabled || kvm_shadow_root_allocated(kvm)"; the TDP MMU is on here. */
static bool kvm_memslots_have_rmaps(struct kvm *kvm)
{
	return kvm_shadow_root_allocated(kvm);
}

/* ---------------------------------------------------------- the allocator */

/*
 * mmu_first_shadow_root_alloc: as in 09, but the slots it fills are the objects of the active
 * set. Each object is read in one step and its arch data written back in one step (all under
 * slots_arch_lock; see READS UNDER slots_arch_lock in 07).
 */
static int mmu_first_shadow_root_alloc(struct kvm *kvm)
{
	struct kvm_memslots *all[NR_AS];
	struct kvm_memslots *slots;
	struct kvm_memslots set;
	struct kvm_memory_slot *slot;
	struct kvm_memory_slot cur;
	int r = 0, i, j;

	if (kvm_shadow_root_allocated(kvm))
		return 0;
	mutex_lock(&kvm->slots_arch_lock);
	if (kvm_shadow_root_allocated(kvm))
		goto out_unlock;
	memcpy(&all, &kvm->memslots, sizeof(all));	/* see READS UNDER slots_arch_lock in 07 */
	for (i = 0; i < NR_AS; i++) {
		slots = all[i];
		set = *slots;
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++) {
			slot = set.slots[j];
			if (!slot)
				continue;
			cur = *slot;
			r = memslot_rmap_alloc(&cur);
			slot->arch = cur.arch;
			if (r)
				goto out_unlock;	/* partial allocations are kept on purpose */
		}
	}
#if MUTANT_RELAXED_STORE && FLAG_PLAIN
	kvm->arch.shadow_root_allocated = true;		/* MUTATION (15) */
#elif MUTANT_RELAXED_STORE
	WRITE_ONCE(kvm->arch.shadow_root_allocated, true);	/* MUTATION (15) */
#else
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
