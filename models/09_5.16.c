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
 * @param NR_AS address spaces (x86: 2, normal and SMM)
 * @param NR_SLOTS memslots in use in address space 0 (the writer's) at boot (1 to 3); each array has one more, free, entry for CREATE
 * @param NR_SMM_SLOTS memslots in use in address space 1 (SMM) at boot (1 to 3)
 * @param NR_VCPUS vCPU threads (2 or 3)
 * @param NR_RUNS KVM_RUN calls per vCPU: a vCPU whose KVM_RUN failed runs it again (default 1; 2 = literal retry)
 * @param KVM_NR_PAGE_SIZES rmap levels per slot (the kernel has 3)
 * @param WRITER_CHANGE -1 (default): the writer's change is any of the four; 0 to 3: only KVM_MR_CREATE, DELETE, MOVE or FLAGS_ONLY
 * @param WRITE_BACK_POINTERS 1 (the ra runs): the allocator stores into the installed array only the rmap pointers it changed, one store each, as the kernel writes them in place; 0 (sc): the whole array in one step (see ABSTRACTIONS)
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 1
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config sc NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1 NR_AS=1 NR_SLOTS=1
 * @expect sc stale-slot-rmaps violated
 * @expect sc commit-rmaps violated
 * @expect sc * holds
 * @expect ra commit-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra stale-slot-rmaps violated
 * @expect ra * holds
 * MEMORY MODELS: sc in the default configuration and NR_SLOTS=3; ra (its defines line) with one
 *   address space and one slot, and the allocator's write-back narrowed to the rmap pointers it
 *   changed (WRITE_BACK_POINTERS=1). ra lets every load read any message its view allows, which
 *   multiplies the states; B6, the only kind of bug ra adds (a reader that sees the flag but not
 *   the rmap stores before it), needs one slot, one allocation and one reader, and the bugs that
 *   need more slots or both address spaces do not need weak memory: the sc runs check them.
 */

/*
 * THE HARNESS: the same as 07_v5_5.14.c (repeated here so that this file reads alone)
 *   kvm_set_user_memory_region  one KVM_SET_USER_MEMORY_REGION ioctl on slot 0 of address space
 *                  0: CREATE (of the free entry), DELETE, MOVE or FLAGS_ONLY (dirty logging
 *                  toggled), chosen nondeterministically. slots_lock is left out: only this
 *                  thread would take it.
 *   vcpu.0         KVM_RUN: srcu read section, the allocator (mmu_alloc_shadow_roots), then,
 *                  if it returned 0, a shadow page fault on slot 0 of address space 0 (rmap_add
 *                  walks the slot's rmaps). It reads the flag (in the allocator) BEFORE it
 *                  fetches the array: the vCPU shadow paths and kvm_zap_gfn_range use that order.
 *   vcpu.1         KVM_RUN: srcu read section; an aging MMU notifier call runs in this task
 *                  (host page reclaim while the vCPU faults in guest memory), then the allocator.
 *                  The notifier fetches the array, then reads the flag (in kvm_age_gfn), then
 *                  walks the slot of the array it fetched (OPEN (a)). Running it in a vCPU task
 *                  saves a thread: it writes nothing, and vcpu.0 runs the same allocator.
 *   The second vCPU's KVM_RUN also stands for a retried KVM_RUN: the allocator sees the same
 *   state whichever vCPU calls it next (NR_RUNS=2 gives the literal retry on the same vCPU).
 *   Memslots: NR_SLOTS in address space 0, NR_SMM_SLOTS in address space 1, plus one free entry
 *   per array; one page each.
 *
 * PROPERTIES named here
 *   rmaps-present     the rmap vcpu.0 walks in its shadow fault is allocated.
 *   active-rmaps      invariant: while the flag is true, every used slot of every installed
 *                     array has all its rmap levels.
 *   stale-slot-rmaps  OPEN (a): the rmap the aging notifier walks is allocated.
 *   commit-rmaps      OPEN (b): the rmap the FLAGS_ONLY commit hook walks (kvm_mmu_slot_apply_
 *                     flags -> kvm_mmu_slot_remove_write_access / kvm_mmu_zap_collapsible_sptes,
 *                     on the writer's stack copy `new`) is allocated.
 *   A walk of a NULL rmap array is, depending on the walker and the gfn, a NULL-based
 *   dereference or a walk that silently skips the slot (sptes left unprotected / unaged).
 *
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
 *       -> kvm_mmu_slot_remove_write_access (logging on) or kvm_mmu_zap_collapsible_sptes
 *       (logging off) reads the flag true and walks the rmaps of the writer's stack copy `new`,
 *       which the allocator never wrote. Assumes: apply_flags is handed the stack copy (as in
 *       5.14 to 5.16), and walks after the flag check. The sptes the vCPU created through the
 *       installed slot's rmaps are then not write-protected (or not collapsed).
 *
 * ABSTRACTIONS
 *   - Slot ids are array indices (the kernel keeps the array sorted by gfn; order is irrelevant).
 *     KVM_NR_PAGE_SIZES rmap levels.
 *   - Not modelled: mmu_lock (it guards rmap contents, never the rmap pointers or the flag),
 *     lpage_info and page tracking (allocated beside the rmaps, not read by these paths), dirty
 *     bitmaps, the memslot generation, shadow-page zapping (it walks the shadow-page list).
 *   - READS UNDER slots_arch_lock: the allocator reads the array pointers of all address spaces
 *     in one step, and the whole array of an address space in one step, and writes the array back
 *     in one step after allocating into it. Arrays are installed only under slots_arch_lock, every
 *     other writer of an installed array's rmap pointers holds it too, and every reader of them
 *     that does not hold it reads the flag (acquire) before them, and the flag is stored after
 *     the write-back; so nobody can tell the difference under sc. The write-back stands for the
 *     kernel's stores of the rmap pointers it allocates (in place, one per level and slot); under
 *     ra a store of the whole array would also write base_gfn, npages and flags, which the kernel's
 *     allocator never writes, and would race with every unlocked reader of them. So the ra runs
 *     (WRITE_BACK_POINTERS=1) store only the rmap pointers the allocator changed, one store each.
 *   - SLOT READS: a reader reads a slot's range together with its rmap pointers, at the point
 *     where the kernel reads the rmap pointers. The range of a slot in an installed array never
 *     changes, so this is the kernel's outcome.
 *   - The writer builds its private copy of the array in a local and stores it into the
 *     kvzalloc'd array just before rcu_assign_pointer: nobody else can see the array before.
 *     It reads kvm->memslots[as] once: it is the only thread that changes it.
 *   - The boot arrays are globals (the kernel allocates them in kvm_create_vm); "freeing" one
 *     clears it, which drops its rmap pointers exactly as kvfree would.
 */

#define NR_AS 2
#define NR_SLOTS 2
#define NR_SMM_SLOTS 1
#define NR_VCPUS 2
#define NR_RUNS 1
#define WRITER_CHANGE -1
#define WRITE_BACK_POINTERS 0
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

struct kvm_memslots {
	struct kvm_memory_slot memslots[KVM_MEM_SLOTS_NUM];
};

struct kvm_arch {
	bool shadow_root_allocated;
};

struct kvm {
	struct mutex slots_arch_lock;
	struct srcu_struct srcu;
	struct kvm_memslots *memslots[NR_AS];
	struct kvm_arch arch;
};

/* kvm_create_vm: NR_SLOTS one-page slots in address space 0, NR_SMM_SLOTS in address space 1;
 * the last entry of each array is free; no rmaps yet. */
struct kvm_memslots boot_memslots[NR_AS] = {
	{ .memslots = { { .base_gfn = 0, .npages = 1 },
#if NR_SLOTS >= 2
			{ .base_gfn = 1, .npages = 1 },
#endif
#if NR_SLOTS >= 3
			{ .base_gfn = 2, .npages = 1 },
#endif
	} },
#if NR_AS >= 2
	{ .memslots = { { .base_gfn = 0, .npages = 1 },
#if NR_SMM_SLOTS >= 2
			{ .base_gfn = 1, .npages = 1 },
#endif
#if NR_SMM_SLOTS >= 3
			{ .base_gfn = 2, .npages = 1 },
#endif
	} },
#endif
};

/* TDP MMU on: the flag starts false; the first shadow root sets it. */
struct kvm kvm = {
	.memslots = { &boot_memslots[0],
#if NR_AS >= 2
		      &boot_memslots[1],
#endif
	},
};

/* ------------------------------------------------------------------ helpers */

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

static void kvfree_memslots(struct kvm_memslots *slots)
{
	int i;
	bool boot = false;

	for (i = 0; i < NR_AS; i++)
		if (slots == &boot_memslots[i])
			boot = true;
	if (boot)
		memset(slots, 0, sizeof(struct kvm_memslots));
	else
		kvfree(slots);
}

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
 * memslot_rmap_alloc after fa13843d1565: a level that is already allocated (kept by an earlier,
 * partly failed call) is skipped. A failure still frees all levels of this slot.
 */
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

/* ---------------------------------------------------------- the allocator */

/*
 * WRITE_BACK_POINTERS=1 (the ra runs): the allocator read the installed array into a local copy
 * (`was`), allocated into the copy (`now`), and stores into the installed array only the rmap
 * pointers it changed, one store per pointer, as the kernel's allocator writes them in place.
 * WRITE_BACK_POINTERS=0 (sc): `*slots = cur`, the whole array in one step (see the header).
 */
static void write_back_rmaps(struct kvm_memslots *slots, struct kvm_memslots *was, struct kvm_memslots *now)
{
	int j, l;

	for (j = 0; j < KVM_MEM_SLOTS_NUM; j++)
		for (l = 0; l < KVM_NR_PAGE_SIZES; l++)
			if (now->memslots[j].arch.rmap[l] != was->memslots[j].arch.rmap[l])
				slots->memslots[j].arch.rmap[l] = now->memslots[j].arch.rmap[l];
}

/*
 * mmu_first_shadow_root_alloc (1e76a3ce0d3c), called by mmu_alloc_shadow_roots inside the vCPU's
 * srcu section. It also allocates the write-tracking arrays (gfn_track) of every slot, with the
 * same skip-if-present and keep-on-failure rules; they are not modelled (no reader here uses them).
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
	smp_store_release(&kvm->arch.shadow_root_allocated, true);
out_unlock:
	mutex_unlock(&kvm->slots_arch_lock);
	return r;
}

/* ------------------------------------------------------------ the readers */

/* A shadow page fault on slot 0 of address space 0: find the slot, rmap_add walks its rmaps. */
static void shadow_page_fault(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot slot;
	int i;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	slot = slots->memslots[0];	/* see SLOT READS */
	if (!slot.npages || (slot.flags & KVM_MEMSLOT_INVALID))
		return;			/* no slot, or one being deleted/moved: the fault retries */
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
		assert_property("rmaps-present", slot.arch.rmap[i] != NULL);
}

/*
 * An aging MMU notifier in 5.14 (clear_young / clear_flush_young / test_young):
 * __kvm_handle_hva_range fetches the array, finds the slot overlapping the hva range and passes
 * a pointer INTO THAT ARRAY to kvm_age_gfn, which reads the flag and only then walks the slot's
 * rmaps. It runs here in vcpu.1's task inside KVM_RUN (host page reclaim during a guest page
 * fault), so its own srcu_read_lock nests in KVM_RUN's and is left out. The slot's range never
 * changes in an installed array, so it is read together with the rmap pointer, after the flag.
 */
static void kvm_mmu_notifier_clear_young(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot slot;
	int i;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	if (kvm_memslots_have_rmaps(kvm)) {
		slot = slots->memslots[0];
		if (slot.npages)
			for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
				assert_property("stale-slot-rmaps", slot.arch.rmap[i] != NULL);
	}
}

void vcpu(int id)
{
	int run, idx, r;

	if (id >= NR_VCPUS)
		return;
	for (run = 0; run < NR_RUNS; run++) {
		idx = srcu_read_lock(&kvm.srcu);		/* KVM_RUN */
		if (id == 1 && run == 0)
			kvm_mmu_notifier_clear_young(&kvm);	/* host reclaim in this task */
		r = mmu_first_shadow_root_alloc(&kvm);		/* mmu_alloc_shadow_roots */
		if (!r && id == 0)
			shadow_page_fault(&kvm);
		srcu_read_unlock(&kvm.srcu, idx);
		if (!r)
			break;				/* -ENOMEM: userspace may run it again */
	}
}

/* ------------------------------------------------------------- the writer */

/*
 * install_new_memslots: the private copy becomes the array's contents, rcu_assign_pointer,
 * slots_arch_lock dropped, then synchronize_srcu (waits for every srcu reader that may still use
 * the previous array).
 */
static void install_new_memslots(struct kvm *kvm, int as_id, struct kvm_memslots *slots,
				 struct kvm_memslots *copy)
{
	*slots = *copy;
	rcu_assign_pointer(kvm->memslots[as_id], slots);
	mutex_unlock(&kvm->slots_arch_lock);
	synchronize_srcu_expedited(&kvm->srcu);
}

/* x86 prepare: CREATE/MOVE get empty arch data and rmaps iff the flag is set (read under the lock). */
static int kvm_arch_prepare_memory_region(struct kvm *kvm, struct kvm_memory_slot *new, int change)
{
	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		memset(&new->arch, 0, sizeof(struct kvm_arch_memory_slot));
		if (kvm_memslots_have_rmaps(kvm))
			return memslot_rmap_alloc(new);
	}
	return 0;
}

/*
 * x86 commit (no slots_arch_lock, no srcu): kvm_mmu_slot_apply_flags walks the rmaps of the
 * stack copy `new` after reading the flag, for a FLAGS_ONLY change of dirty logging; MOVE frees
 * the rmaps of `old`.
 */
static void kvm_arch_commit_memory_region(struct kvm *kvm, struct kvm_memory_slot *old,
					  struct kvm_memory_slot *new, int change)
{
	int i;

	if (change == KVM_MR_FLAGS_ONLY && kvm_memslots_have_rmaps(kvm))
		for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
			assert_property("commit-rmaps", new->arch.rmap[i] != NULL);
	if (change == KVM_MR_MOVE)
		memslot_rmap_free(old);
}

/*
 * kvm_set_memslot after bda44d844758. `active` is the installed array of as_id; `new` is the
 * caller's stack copy, with the new range and flags but no arch data yet.
 */
static int kvm_set_memslot(struct kvm *kvm, struct kvm_memslots *active, struct kvm_memory_slot *new,
			   int as_id, int id, int change)
{
	struct kvm_memslots copy;
	struct kvm_memslots *slots, *prev;
	struct kvm_memory_slot old;
	int r;

	/* 1. held from before the array is copied until the copy is installed */
	mutex_lock(&kvm->slots_arch_lock);

	/* 2. kvm_dup_memslots: a new array holding a by-value copy of the installed one */
	slots = kvzalloc(sizeof(struct kvm_memslots), GFP_KERNEL_ACCOUNT);
	if (!slots) {
		mutex_unlock(&kvm->slots_arch_lock);
		return -ENOMEM;
	}
	copy = *active;

	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		/* 3. install the copy with the slot INVALID (drops the lock, waits for readers);
		 *    the previous array becomes the scratch copy */
		copy.memslots[id].flags |= KVM_MEMSLOT_INVALID;
		install_new_memslots(kvm, as_id, slots, &copy);
		prev = active;
		active = slots;
		slots = prev;
		/* kvm_arch_flush_shadow_memslot: zaps shadow pages, no rmap pointer changes */
		/* 4. retake the lock; refresh the whole copy: vCPUs may have allocated meanwhile */
		mutex_lock(&kvm->slots_arch_lock);
		copy = *active;
	}

	/* 5. bda44d844758: `old` and `new.arch` from the up-to-date private copy, under the lock
	 *    (CREATE: the free entry, all zero) */
	old = copy.memslots[id];
	old.flags &= ~KVM_MEMSLOT_INVALID;
	new->arch = old.arch;

	/* 6. prepare */
	r = kvm_arch_prepare_memory_region(kvm, new, change);
	if (r)
		goto out_slots;

	/* 7. update_memslots: DELETE drops the entry, the others write `new` by value */
	if (change == KVM_MR_DELETE)
		memset(&copy.memslots[id], 0, sizeof(struct kvm_memory_slot));
	else
		copy.memslots[id] = *new;

	/* 8. install, 9. commit on `old` and the stack copy `new`, 10. DELETE frees `old`,
	 *    11. free the previous array */
	install_new_memslots(kvm, as_id, slots, &copy);
	kvm_arch_commit_memory_region(kvm, &old, new, change);
	if (change == KVM_MR_DELETE)
		memslot_rmap_free(&old);	/* kvm_free_memslot */
	kvfree_memslots(active);
	return 0;

out_slots:
	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		/* reinstall the refreshed copy without INVALID (drops the lock) */
		copy.memslots[id].flags &= ~KVM_MEMSLOT_INVALID;
		install_new_memslots(kvm, as_id, slots, &copy);
		kvfree_memslots(active);
	} else {
		mutex_unlock(&kvm->slots_arch_lock);
		kvfree(slots);
	}
	return r;
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

/*
 * __kvm_set_memory_region (slots_lock held), after bda44d844758: it reads the slot only to
 * decide the kind of change and fill the new range; arch data are left to kvm_set_memslot.
 */
static int __kvm_set_memory_region(struct kvm *kvm)
{
	struct kvm_memory_slot new;
	struct kvm_memslots *active;
	int as_id = 0;
	int change, id;

	active = kvm->memslots[as_id];
	change = userspace_request();
	id = change == KVM_MR_CREATE ? NR_SLOTS : 0;
	new = active->memslots[id];
	memset(&new.arch, 0, sizeof(struct kvm_arch_memory_slot));
	if (change == KVM_MR_DELETE) {
		memset(&new, 0, sizeof(struct kvm_memory_slot));	/* kvm_delete_memslot */
		return kvm_set_memslot(kvm, active, &new, as_id, id, change);
	}
	new.npages = 1;
	if (change == KVM_MR_CREATE)
		new.base_gfn = NR_SLOTS;
	if (change == KVM_MR_MOVE)
		new.base_gfn = new.base_gfn + NR_SLOTS + 1;
	if (change == KVM_MR_FLAGS_ONLY)
		new.flags = new.flags ^ KVM_MEM_LOG_DIRTY_PAGES;
	return kvm_set_memslot(kvm, active, &new, as_id, id, change);
}

/* KVM_SET_USER_MEMORY_REGION: userspace asks for one CREATE, DELETE, MOVE or FLAGS_ONLY. */
void kvm_set_user_memory_region(void)
{
	__kvm_set_memory_region(&kvm);
}

/* ---------------------------------------------------------------- invariant */

bool active_slots_have_rmaps(void)
{
	struct kvm_memslots *slots;
	int i, j, l;

	if (!kvm.arch.shadow_root_allocated)
		return true;
	for (i = 0; i < NR_AS; i++) {
		slots = kvm.memslots[i];
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++)
			for (l = 0; l < KVM_NR_PAGE_SIZES; l++)
				if (slots->memslots[j].npages && !slots->memslots[j].arch.rmap[l])
					return false;
	}
	return true;
}
