/*
 * @title  Linux 6.19: a vCPU or an aging notifier holding a replaced memslot reads its NULL arrays
 * @source commit 1e76a3ce0d3c ("KVM: cleanup allocation of rmaps and page tracking data"), 5.16
 * @source commit 4e4d30cb9b87 ("KVM: Resync only arch fields when slots_arch_lock gets reacquired"), 5.17
 * @source Linux 6.19 release (arch/x86/kvm/mmu/mmu.c, mmu/page_track.c, x86.c, virt/kvm/kvm_main.c)
 * @description The 5.17+ memslot machinery of 10_5.17.c with what 6.19 adds: the first shadow
 *   root's allocator fills the rmaps AND the write-tracking arrays of every slot of the active
 *   sets, the TDP fault path reads the write-tracking array of the slot it looked up first, and
 *   the aging notifiers walk the rmaps locklessly behind READ_ONCE(indirect_shadow_pages).
 *   A reader that looked up `old` before a DELETE, MOVE or FLAGS_ONLY swapped it out sees the
 *   allocator's publication (the flag, or the shadow page count) while `old`'s arrays stay NULL:
 *   both readers oops (NULL-based loads, at any gfn index). FIX selects a candidate fix.
 * @param NR_AS address spaces (x86: 2, normal and SMM)
 * @param NR_SLOTS memslots in use in address space 0 at boot (1 or 2); one more id is free, for CREATE
 * @param NPAGES pages per slot (2: a gfn index past the first page exists)
 * @param GFN_INDEX the readers' gfn, as an index into slot 0 (0: its first page)
 * @param WRITER_CHANGE -1 (default): any of the four changes; 0 to 3: only CREATE, DELETE, MOVE or FLAGS_ONLY
 * @param AGING_6_13 1: the aging path of 5.17 to 6.13 (acquire of the flag, iterator walk that ends at a NULL rmap head) instead of 6.19's
 * @param FIX 0: 6.19 as released; 1: NULL checks that answer "not tracked" and skip; 2: NULL checks that answer "tracked" and skip; 3: the allocator also fills the inactive sets; 4: the readers resolve the slot again after the flag's acquire (recommended)
 * @param READERS what vcpu.1 runs: 1 the write fault, 2 the aging notifier, 3 (default) the aging notifier, then the write fault
 * @param FIELD_READS 1 (the ra runs): the writer reads only old's range and flags, one field a step; 0 (sc): the whole struct in one step
 * @thread kvm_set_user_memory_region
 * @thread vcpu x2
 * @faults 1
 * @invariant active-arrays active_slots_have_arrays
 * @memory-models sc ra
 * @config sc GFN_INDEX=1
 * @config sc AGING_6_13=1
 * @config sc AGING_6_13=1 GFN_INDEX=1
 * @config sc FIX=1
 * @config sc FIX=2
 * @config sc FIX=3
 * @config FIX=4
 * @config sc FIX=4 GFN_INDEX=1
 * @config sc FIX=4 FIELD_READS=1
 * @config ra GFN_INDEX=1
 * @config ra FIX=4 GFN_INDEX=1
 * @defines ra FIELD_READS=1
 * @expect sc write-track-null-deref violated
 * @expect sc aging-null-deref violated
 * @expect sc * holds
 * @expect sc AGING_6_13=1 aging-null-skip violated
 * @expect sc AGING_6_13=1 aging-null-deref holds
 * @expect sc FIX=1 tracked-gfn-writable violated
 * @expect sc FIX=1 aging-null-skip violated
 * @expect sc FIX=1 * holds
 * @expect sc FIX=2 aging-null-skip violated
 * @expect sc FIX=2 * holds
 * @expect sc FIX=3 no-leak violated
 * @expect sc FIX=3 no-use-after-free violated
 * @expect sc FIX=3 assertions violated
 * @expect sc FIX=3 * holds
 * @expect sc FIX=4 * holds
 * @expect sc FIX=4 GFN_INDEX=1 * holds
 * @expect ra write-track-null-deref violated
 * @expect ra aging-null-deref violated
 * @expect ra no-data-race violated
 * @expect ra * holds
 * @expect ra FIX=4 * holds
 * @expect sc FIX=4 FIELD_READS=1 * holds
 * @expect ra FIX=4 GFN_INDEX=1 * holds
 * @expect ra GFN_INDEX=1 no-data-race violated
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso * holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm aging-null-deref violated
 * @expect lkmm * holds
 * UNDER lkmm (z3 events; CREATE in one address space, one slot, where sc holds everything):
 *   aging-null-deref is violated by another shape than OPEN (a)'s stale slot. The vCPU stores
 *   the rmap pointer, then (after the flag's release, an unlock and a lock) increments
 *   indirect_shadow_pages with a plain ++; kvm_age_gfn reads the count with READ_ONCE, 1, and
 *   then the rmap pointer, NULL: message passing with neither a release nor an acquire (and a
 *   data race on the count). x86 hardware cannot do it (tso holds); docs/memory-model.md says
 *   what a compiler may do.
 */

/*
 * The design: vcpu.0 takes the first nested launch, KVM_RUN (srcu read side) ->
 * mmu_alloc_shadow_roots -> mmu_first_shadow_root_alloc (mmu.c), which fills the rmaps
 * (memslot_rmap_alloc, x86.c: skips levels already there, frees the slot's rmaps on failure)
 * and the write tracking (kvm_page_track_write_tracking_alloc, page_track.c: allocates if
 * missing, never frees) of every slot of the ACTIVE set of each address space, a failure
 * keeping what was allocated, then smp_store_release(shadow_root_allocated). The root then
 * goes through account_shadowed. vcpu.1 runs the readers (include/kvm_619_readers.h), the
 * writer thread kvm_set_memslot (include/kvm_619_writer.h); the environment is
 * include/kvm_619_env.h.
 *
 * WHY NOTHING SERIALISES THE READER AND THE ALLOCATOR: both hold only the srcu read side; the
 * allocator takes slots_arch_lock, which no reader takes and which the writer drops before
 * synchronize_srcu; mmu_lock is not held by the fault's tracking check nor by 6.19's aging walk;
 * mn_active_invalidate_count only stalls the swap while invalidations run, and aging is not an
 * invalidation.
 */

#define NR_AS 2
#define NR_SLOTS 1
#define NPAGES 2
#define GFN_INDEX 0
#define WRITER_CHANGE -1
#define AGING_6_13 0
#define FIX 0
#define FIELD_READS 0
#define READERS 3

#include "include/kvm_619_env.h"

/* ---------------------------------------------------------- the allocator */

/* One object's arrays, filled in a private copy and written back in one step (slots_arch_lock held). */
static int fill_slot(struct kvm_memory_slot *slot)
{
	struct kvm_memory_slot cur;
	int r;

	cur = *slot;
	r = memslot_rmap_alloc(&cur);
	if (!r)
		r = kvm_page_track_write_tracking_alloc(&cur);
	slot->arch = cur.arch;
	return r;
}

static int mmu_first_shadow_root_alloc(struct kvm *kvm)
{
	struct kvm_memslots *all[NR_AS];
	struct kvm_memslots set;
	struct kvm_memory_slot *slot;
	int r = 0, i, j, k;

	if (kvm_shadow_root_allocated(kvm))
		return 0;
	mutex_lock(&kvm->slots_arch_lock);
	if (kvm_shadow_root_allocated(kvm))
		goto out_unlock;
	/* "if (kvm_memslots_have_rmaps(kvm) && kvm_page_track_write_tracking_enabled(kvm))": both
	 * are the flag just read clear under the lock, so the loop runs */
	memcpy(&all, &kvm->memslots, sizeof(all));	/* __kvm_memslots(kvm, i), under slots_arch_lock */
	for (i = 0; i < NR_AS; i++) {
		set = *all[i];
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++) {
			slot = set.slots[j];
			if (slot) {
				r = fill_slot(slot);
				if (r)
					goto out_unlock;	/* partial allocations are kept on purpose */
			}
#if FIX == 3
			/* fix (b): the same for the object of the inactive set */
			k = all[i] == &memslot_sets[i][0] ? 1 : 0;
			slot = memslot_sets[i][k].slots[j];
			if (slot) {
				r = fill_slot(slot);
				if (r)
					goto out_unlock;
			}
#endif
		}
	}
	smp_store_release(&kvm->arch.shadow_root_allocated, true);
out_unlock:
	mutex_unlock(&kvm->slots_arch_lock);
	return r;
}

/* account_shadowed for the new shadow root (mmu_lock held): count it, then write-track its gfn
 * in the slot of the active set (__kvm_write_track_add_gfn -> update_gfn_write_track). */
static void account_shadowed(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	unsigned short *track;

	spin_lock(&kvm->mmu_lock);
	kvm->arch.indirect_shadow_pages++;
	smp_mb();
	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	slot = slots->slots[0];
	if (slot && kvm_page_track_write_tracking_enabled(kvm)) {	/* KVM_BUG_ON otherwise */
		track = slot->arch.gfn_write_track;
#if FIX == 4
		WRITE_ONCE(track[GFN_INDEX], track[GFN_INDEX] + 1);	/* races with the lockless READ_ONCE */
#else
		track[GFN_INDEX] += 1;
#endif
	}
	spin_unlock(&kvm->mmu_lock);
}

/* ------------------------------------------------------------ the readers */

#if FIX == 4
/* fix (c): the gfn's slot looked up again, after the flag's acquire (__gfn_to_memslot of the
 * memslots srcu_dereference gives now) */
static struct kvm_memory_slot *resolve_again(struct kvm *kvm)
{
	struct kvm_memslots *slots;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	return slots->slots[0];
}
#endif

#include "include/kvm_619_readers.h"

void vcpu(int id)
{
	int idx;

	idx = srcu_read_lock(&kvm.srcu);		/* KVM_RUN */
	if (id == 0) {
		if (!mmu_first_shadow_root_alloc(&kvm))	/* mmu_alloc_shadow_roots */
			account_shadowed(&kvm);
	} else {
		if (READERS & 2)
			kvm_age_gfn(&kvm);		/* host reclaim in this task */
		if (READERS & 1)
			tdp_write_fault(&kvm);
	}
	srcu_read_unlock(&kvm.srcu, idx);
}

/* ------------------------------------------------------------- the writer */

#define COMMIT_FREES_ONLY 1	/* its commit hook: kvm_commit_memory_region(old, change) */
#include "include/kvm_sets_writer.h"
#include "include/kvm_619_writer.h"

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm active-arrays unsupported
 * @expect lkmm no-data-race unsupported
 * @expect tso active-arrays unsupported
 */
