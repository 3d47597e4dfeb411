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
 * @defines ra FIELD_READS=1 NR_AS=1
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
 */

/*
 * WHAT IS MODELLED, AND WHERE IT WAS READ (Linux 6.19 unless a version is given)
 *   vcpu.0  the first nested launch: KVM_RUN (srcu read side) -> mmu_alloc_shadow_roots ->
 *           mmu_first_shadow_root_alloc (mmu.c): acquire fast path, slots_arch_lock, re-check,
 *           then for every slot of the ACTIVE set of each address space memslot_rmap_alloc (x86.c:
 *           skips levels already there, frees the slot's rmaps on failure) and
 *           kvm_page_track_write_tracking_alloc (page_track.c: allocates if missing, never frees),
 *           a failure keeping what was allocated; smp_store_release(shadow_root_allocated).
 *           The shadow root page then goes through account_shadowed (mmu.c, under mmu_lock):
 *           indirect_shadow_pages++ (plain), smp_mb(), the slot of the root's gfn looked up in
 *           the active set, __kvm_write_track_add_gfn -> update_gfn_write_track (plain +=).
 *           kvm_mmu_alloc_page_hash (6.17+) is left out: its readers run under mmu_lock.
 *   vcpu.1  an L1 vCPU, inside KVM_RUN:
 *           - host reclaim ages its memory in this task: __kvm_handle_hva_range (kvm_main.c)
 *             finds slot 0 in the set it dereferences, kvm_age_gfn (mmu.c) checks
 *             kvm_may_have_shadow_mmu_sptes() = !tdp_mmu_enabled || READ_ONCE(indirect_shadow_pages)
 *             (no acquire; the TDP MMU is on here) and kvm_rmap_age_gfn_range walks gfn_to_rmap()
 *             of each gfn and reads the head (kvm_rmap_lock_readonly): NULL array = oops at every
 *             index. Aging notifiers never touch mn_active_invalidate_count (5.15 to 6.19).
 *             AGING_6_13=1: kvm_age_gfn of 5.17 to 6.13.7 checks kvm_memslots_have_rmaps() (acquire)
 *             and walks with the rmap iterator, which stops when gfn_to_rmap() is NULL: a NULL
 *             array is a silent skip at index 0 and an oops past it.
 *           - a write fault on a present mapping: kvm_mmu_do_page_fault (mmu_internal.h) sets
 *             fault.slot = kvm_vcpu_gfn_to_memslot(); kvm_tdp_mmu_page_fault -> page_fault_handle_page_track
 *             -> kvm_gfn_is_write_tracked (page_track.c; kvm_slot_page_track_is_active before 6.6):
 *             kvm_page_track_write_tracking_enabled() (external tracking's acquire, or
 *             kvm_shadow_root_allocated()'s acquire, or !tdp_enabled), then
 *             READ_ONCE(slot->arch.gfn_write_track[index]) with no NULL check. No mmu_lock yet.
 *   writer  kvm_set_memslot (kvm_main.c) as in 10_5.17.c; prepare is kvm_alloc_memslot_metadata
 *           (x86.c): rmaps iff kvm_memslots_have_rmaps(), write tracking iff
 *           kvm_page_track_write_tracking_enabled(), both under slots_arch_lock; commit: DELETE
 *           kvm_free_memslot(old), MOVE kvm_arch_free_memslot(old) + kfree(old), FLAGS_ONLY kfree(old).
 *   External write tracking (KVMGT) is not enabled here: kvm_external_write_tracking_enabled()
 *   is false (CONFIG_KVM_EXTERNAL_WRITE_TRACKING=n, or =y with no user registered in 6.19).
 *
 * WHY NOTHING SERIALISES THE READER AND THE ALLOCATOR: both hold only the srcu read side; the
 * allocator takes slots_arch_lock, which no reader takes and which the writer drops before
 * synchronize_srcu; mmu_lock is not held by the fault's tracking check nor by 6.19's aging walk;
 * mn_active_invalidate_count only stalls the swap while invalidations run, and aging is not an
 * invalidation.
 *
 * PROPERTIES: write-track-null-deref and aging-null-deref: a load through a NULL array (the
 * kernel oopses); aging-null-skip: a walk that ended silently on a NULL array (no oops, the
 * slot's accessed bits are not looked at); tracked-gfn-writable: a fault answered "not tracked"
 * from a NULL array while the gfn is tracked in the slot object now active; active-arrays:
 * once the flag is set every slot object of every active set has both arrays.
 *
 * ABSTRACTIONS (besides those of 10_5.17.c): one rmap level; a slot has NPAGES pages; the boot
 * slots of address space 0 are NPAGES apart; the readers use one gfn of slot 0.
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
#define KVM_NR_PAGE_SIZES 1
#define KVM_MEM_SLOTS_NUM (NR_SLOTS + 1)

#define KVM_MR_CREATE 0
#define KVM_MR_DELETE 1
#define KVM_MR_MOVE 2
#define KVM_MR_FLAGS_ONLY 3

#define KVM_MEM_LOG_DIRTY_PAGES 1
#define KVM_MEMSLOT_INVALID 2

#if NR_SLOTS < 1 || NR_SLOTS > 2 || GFN_INDEX >= NPAGES
#error NR_SLOTS must be 1 or 2 and GFN_INDEX below NPAGES
#endif

struct kvm_rmap_head {
	unsigned long val;
};

struct kvm_arch_memory_slot {
	struct kvm_rmap_head *rmap[KVM_NR_PAGE_SIZES];
	unsigned short *gfn_write_track;
};

struct kvm_memory_slot {
	unsigned long base_gfn;
	unsigned long npages;
	u32 flags;
	struct kvm_arch_memory_slot arch;
};

struct kvm_memslots {
	struct kvm_memory_slot *slots[KVM_MEM_SLOTS_NUM];
};

struct kvm_arch {
	bool shadow_root_allocated;
	unsigned long indirect_shadow_pages;
};

struct kvm {
	struct mutex slots_arch_lock;
	struct srcu_struct srcu;
	spinlock_t mmu_lock;
	struct kvm_memslots *memslots[NR_AS];
	struct kvm_arch arch;
};

/* kvm_create_vm + the boot-time KVM_SET_USER_MEMORY_REGION calls: NR_SLOTS slots of NPAGES
 * pages in address space 0, one in address space 1 (SMM). */
struct kvm_memory_slot boot_slots[NR_AS][2] = {
	{ { .base_gfn = 0, .npages = NPAGES },
#if NR_SLOTS >= 2
	  { .base_gfn = NPAGES, .npages = NPAGES },
#endif
	},
#if NR_AS >= 2
	{ { .base_gfn = 0, .npages = NPAGES } },
#endif
};

/* kvm->__memslots[as][0..1]: both sets hold the same objects. */
struct kvm_memslots memslot_sets[NR_AS][2] = {
	{ { .slots = { &boot_slots[0][0],
#if NR_SLOTS >= 2
		       &boot_slots[0][1],
#endif
	  } },
	  { .slots = { &boot_slots[0][0],
#if NR_SLOTS >= 2
		       &boot_slots[0][1],
#endif
	  } } },
#if NR_AS >= 2
	{ { .slots = { &boot_slots[1][0] } }, { .slots = { &boot_slots[1][0] } } },
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

static bool kvm_shadow_root_allocated(struct kvm *kvm)
{
	return smp_load_acquire(&kvm->arch.shadow_root_allocated);
}

/* mmu.h: "!tdp_mmu_enabled || kvm_shadow_root_allocated(kvm)"; the TDP MMU is on here. */
static bool kvm_memslots_have_rmaps(struct kvm *kvm)
{
	return kvm_shadow_root_allocated(kvm);
}

/* page_track.c: external tracking (off here) || shadow root allocated || !tdp_enabled (on). */
static bool kvm_page_track_write_tracking_enabled(struct kvm *kvm)
{
	return kvm_shadow_root_allocated(kvm);
}

static void kfree_memslot(struct kvm_memory_slot *slot)
{
	int i, j;
	bool boot = false;

	for (i = 0; i < NR_AS; i++)
		for (j = 0; j < 2; j++)
			if (slot == &boot_slots[i][j])
				boot = true;
	if (boot)
		memset(slot, 0, sizeof(struct kvm_memory_slot));
	else
		kfree(slot);
}

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

/* kvm_arch_free_memslot: the rmaps, then kvm_page_track_free_memslot. */
static void kvm_arch_free_memslot(struct kvm_memory_slot *slot)
{
	memslot_rmap_free(slot);
	vfree(slot->arch.gfn_write_track);
	slot->arch.gfn_write_track = NULL;
}

/* memslot_rmap_alloc (x86.c): skip levels already allocated; a failure frees the slot's rmaps. */
static int memslot_rmap_alloc(struct kvm_memory_slot *slot)
{
	int i;

	for (i = 0; i < KVM_NR_PAGE_SIZES; i++) {
		if (slot->arch.rmap[i])
			continue;
		slot->arch.rmap[i] = kvcalloc(slot->npages, sizeof(struct kvm_rmap_head), GFP_KERNEL_ACCOUNT);
		if (!slot->arch.rmap[i]) {
			memslot_rmap_free(slot);
			return -ENOMEM;
		}
	}
	return 0;
}

/* __kvm_page_track_write_tracking_alloc (page_track.c): allocate if missing, never free. */
static int kvm_page_track_write_tracking_alloc(struct kvm_memory_slot *slot)
{
	if (!slot->arch.gfn_write_track)
		slot->arch.gfn_write_track = vzalloc(slot->npages * sizeof(unsigned short));
	return slot->arch.gfn_write_track ? 0 : -ENOMEM;
}

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

/* slot 0 of address space 0, through the set srcu_dereference gives now, or NULL */
static struct kvm_memory_slot *lookup_slot0(struct kvm *kvm)
{
	struct kvm_memslots *slots;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	return slots->slots[0];
}

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
