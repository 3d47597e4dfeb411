/*
 * The two readers of models/17_6.19.c (Linux 6.19), run by vcpu.1 inside KVM_RUN under the
 * srcu read side; FIX (defined by the design file, with resolve_again for FIX 4) selects the
 * candidate fix each reader carries.
 *   - host reclaim ages the vCPU's memory in this task: __kvm_handle_hva_range (kvm_main.c)
 *     finds slot 0 in the set it dereferences, kvm_age_gfn (mmu.c) checks
 *     kvm_may_have_shadow_mmu_sptes() = !tdp_mmu_enabled || READ_ONCE(indirect_shadow_pages)
 *     (no acquire; the TDP MMU is on here) and kvm_rmap_age_gfn_range reads the rmap head of
 *     the gfn (kvm_rmap_lock_readonly): a NULL array oopses at every index. Aging notifiers
 *     never touch mn_active_invalidate_count (5.15 to 6.19). AGING_6_13=1: kvm_age_gfn of 5.17
 *     to 6.13.7 checks kvm_memslots_have_rmaps() (acquire) and walks with the rmap iterator,
 *     which stops when gfn_to_rmap() is NULL: a silent skip at index 0, an oops past it.
 *   - a write fault on a present mapping: kvm_mmu_do_page_fault (mmu_internal.h) sets
 *     fault.slot = kvm_vcpu_gfn_to_memslot(); kvm_tdp_mmu_page_fault ->
 *     page_fault_handle_page_track -> kvm_gfn_is_write_tracked (page_track.c;
 *     kvm_slot_page_track_is_active before 6.6): kvm_page_track_write_tracking_enabled(), then
 *     READ_ONCE(slot->arch.gfn_write_track[index]) with no NULL check and no mmu_lock.
 *
 * PROPERTIES: write-track-null-deref and aging-null-deref: a load through a NULL array (the
 * kernel oopses); aging-null-skip: a walk that ended silently on a NULL array (the slot's
 * accessed bits are not looked at); tracked-gfn-writable: a fault answered "not tracked" from
 * a NULL array while the gfn is tracked in the slot object now active.
 */
#pragma once

/* slot 0 of address space 0, through the set srcu_dereference gives now, or NULL */
static struct kvm_memory_slot *lookup_slot0(struct kvm *kvm)
{
	struct kvm_memslots *slots;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	return slots->slots[0];
}

/* the gfn is write-tracked in the object the active set has for it now */
static bool gfn_tracked_now(void)
{
	struct kvm_memory_slot *slot = lookup_slot0(&kvm);
	unsigned short *track;

	if (!slot)
		return false;
	track = slot->arch.gfn_write_track;
	return track && track[GFN_INDEX];
}

/* kvm_gfn_is_write_tracked(kvm, fault.slot, gfn) */
static bool kvm_gfn_is_write_tracked(struct kvm *kvm, struct kvm_memory_slot *slot)
{
	unsigned short *track;

	if (!slot)
		return false;
	if (!kvm_page_track_write_tracking_enabled(kvm))
		return false;
#if FIX == 4
	slot = resolve_again(kvm);	/* fix (c) */
	if (!slot)
		return false;
#endif
	track = slot->arch.gfn_write_track;
#if FIX == 1 || FIX == 2
	if (!track) {
#if FIX == 1
		assert_property("tracked-gfn-writable", !gfn_tracked_now());
		return false;
#else
		return true;	/* the fault goes to the write-protection path (emulation) */
#endif
	}
#endif
	assert_property("write-track-null-deref", track != NULL);
	return READ_ONCE(track[GFN_INDEX]) != 0;
}

/* kvm_tdp_mmu_page_fault's first step for a write fault on a present mapping of slot 0 */
static void tdp_write_fault(struct kvm *kvm)
{
	struct kvm_memory_slot *slot = lookup_slot0(kvm);	/* kvm_mmu_do_page_fault: fault.slot */

	if (kvm_gfn_is_write_tracked(kvm, slot))
		return;		/* RET_PF_WRITE_PROTECTED */
}

/* kvm_age_gfn(kvm, range) with range->slot = slot 0 and range->start at GFN_INDEX */
static void kvm_age_gfn(struct kvm *kvm)
{
	struct kvm_memory_slot *slot = lookup_slot0(kvm);	/* __kvm_handle_hva_range */
	struct kvm_rmap_head *rmap;

	if (!slot)
		return;
#if AGING_6_13 || FIX == 4
	if (!kvm_memslots_have_rmaps(kvm))
		return;
#else
	if (!READ_ONCE(kvm->arch.indirect_shadow_pages))	/* kvm_may_have_shadow_mmu_sptes */
		return;
#endif
#if FIX == 4
	slot = resolve_again(kvm);	/* fix (c) */
	if (!slot)
		return;
#endif
	rmap = slot->arch.rmap[0];
#if AGING_6_13 || FIX == 1 || FIX == 2
	if (!rmap && (GFN_INDEX == 0 || FIX)) {
		/* 5.17-6.13: gfn_to_rmap() is NULL at the slot's first gfn: the iterator ends */
		assert_property("aging-null-skip", false);
		return;
	}
#endif
	assert_property("aging-null-deref", rmap != NULL);
	READ_ONCE(rmap[GFN_INDEX].val);		/* kvm_rmap_lock_readonly / for_each_rmap_spte */
}
