/*
 * THE HARNESS of the by-value memslot arrays (the postings, 5.14 to 5.16): the VM, its readers
 * and its writer. A design (01 to 09) defines its `struct kvm_arch` (the flag), sets the
 * switches below, includes this file, and defines its allocator and flag accessors.
 *
 *   kvm_set_user_memory_region  one KVM_SET_USER_MEMORY_REGION ioctl on slot 0 of address space
 *                  0: CREATE (of the free entry), DELETE, MOVE or FLAGS_ONLY (dirty logging
 *                  toggled), chosen nondeterministically.
 *   vcpu.0         KVM_RUN: srcu read section, the allocator (mmu_alloc_shadow_roots), then,
 *                  if it returned 0, a shadow page fault on slot 0 (FAULT_SLOT if the design
 *                  sets it) of address space 0 (rmap_add walks the slot's rmaps). It reads the
 *                  flag (in the allocator) BEFORE it fetches the array: the vCPU shadow paths
 *                  and kvm_zap_gfn_range use that order.
 *   vcpu.1         KVM_RUN: srcu read section; with AGING_NOTIFIER an aging MMU notifier call
 *                  runs in this task first (host page reclaim while the vCPU faults in guest
 *                  memory), then the allocator. The notifier fetches the array, then reads the
 *                  flag (in kvm_age_gfn), then walks the slot of the array it fetched (OPEN (a)).
 *                  Running it in a vCPU task saves a thread: it writes nothing.
 *   The second vCPU's KVM_RUN also stands for a retried KVM_RUN: the allocator sees the same
 *   state whichever vCPU calls it next (NR_RUNS=2 gives the literal retry on the same vCPU).
 *   Memslots: NR_SLOTS in address space 0, NR_SMM_SLOTS in address space 1, plus one free entry
 *   per array.
 *
 * SWITCHES a design sets before including this file (an unset one is 0)
 *   DESIGN_SEED_V2, DESIGN_REVIEW_SKETCH, DESIGN_MEMSLOTS_HAVE_RMAPS (v3 to 5.15), else 5.16:
 *                  whose allocator the vCPUs call and which flag the invariant and hooks read.
 *   RMAP_HELPER_V3 prepare allocates with v3's alloc_memslot_rmap, not memslot_rmap_alloc.
 *   WRITER_SERIES  the writer of the series (v2 6/7 = v3 4/8 = v4 4/7): no unlock on two
 *                  failure paths (B1). WRITER_5_14: the writer of 5.14/5.15 (b10a038e84d1):
 *                  `old` is the caller's by-value snapshot taken without slots_arch_lock (B4);
 *                  SNAPSHOT_UNDER_ARCH_LOCK retakes it under the lock. Neither: 5.16's writer
 *                  (bda44d844758: `old` and `new.arch` from the private copy, under the lock).
 *   AGING_NOTIFIER vcpu.1 runs the aging notifier (OPEN (a)).
 *   COMMIT_RMAPS_CHECK  the FLAGS_ONLY commit hook walks `new`'s rmaps (OPEN (b)).
 *   MUTANT_NO_ARCH_LOCK, MUTANT_LOCK_ACROSS_SYNC, MUTANT_NO_REFRESH: 5.16's writer mutated.
 *
 * ABSTRACTIONS
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
#pragma once
#include "kvm_memslot.h"

/* @param WRITE_BACK_POINTERS 1 (the ra runs): the allocator stores into the installed array only the rmap pointers it changed, one store each, as the kernel writes them in place; 0 (sc): the whole array in one step (see ABSTRACTIONS) */
#define WRITE_BACK_POINTERS 0
#if FAULT_ON_LAST_SLOT
/* @param FAULT_SLOT the slot of address space 0 that vcpu.0 faults on */
#define FAULT_SLOT (NR_SLOTS - 1)
#endif

struct kvm_memslots {
	struct kvm_memory_slot memslots[KVM_MEM_SLOTS_NUM];
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

/* TDP MMU on: the flag starts false. */
struct kvm kvm = {
	.memslots = { &boot_memslots[0],
#if NR_AS >= 2
		      &boot_memslots[1],
#endif
	},
};

/* ------------------------------------------------------------------ helpers */

/* kvfree of a whole array; a boot array (a global here) is cleared instead. */
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

/*
 * WRITE_BACK_POINTERS=1 (the ra runs): the allocator read the installed array into a local copy
 * (`was`), allocated into the copy (`now`), and stores into the installed array only the rmap
 * pointers it changed, one store per pointer, as the kernel's allocator writes them in place.
 * WRITE_BACK_POINTERS=0 (sc): `*slots = cur`, the whole array in one step (see ABSTRACTIONS).
 */
static void write_back_rmaps(struct kvm_memslots *slots, struct kvm_memslots *was, struct kvm_memslots *now)
{
	int j, l;

	for (j = 0; j < KVM_MEM_SLOTS_NUM; j++)
		for (l = 0; l < KVM_NR_PAGE_SIZES; l++)
			if (now->memslots[j].arch.rmap[l] != was->memslots[j].arch.rmap[l])
				slots->memslots[j].arch.rmap[l] = now->memslots[j].arch.rmap[l];
}

/* ------------------------------------------------------------ the readers */

/* A shadow page fault on slot 0 (FAULT_SLOT) of address space 0: rmap_add walks the slot's rmaps. */
static void shadow_page_fault(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot slot;
	int i;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
#ifdef FAULT_SLOT
	slot = slots->memslots[FAULT_SLOT];	/* see SLOT READS */
#else
	slot = slots->memslots[0];	/* see SLOT READS */
#endif
	if (!slot.npages || (slot.flags & KVM_MEMSLOT_INVALID))
		return;			/* no slot, or one being deleted/moved: the fault retries */
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
		assert_property("rmaps-present", slot.arch.rmap[i] != NULL);
}

/*
 * An aging MMU notifier (clear_young / clear_flush_young / test_young): __kvm_handle_hva_range
 * fetches the array, finds the slot overlapping the hva range and passes a pointer INTO THAT
 * ARRAY to kvm_age_gfn, which reads the flag and only then walks the slot's rmaps. It runs in
 * vcpu.1's task inside KVM_RUN, so its own srcu_read_lock nests in KVM_RUN's and is left out.
 * The slot's range never changes in an installed array, so it is read with the rmap pointer.
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

#include "kvm_vcpu.h"

/* ------------------------------------------------------------- the writer */

/*
 * install_new_memslots: the private copy becomes the array's contents, rcu_assign_pointer,
 * slots_arch_lock dropped, then synchronize_srcu (waits for every srcu reader that may still use
 * the previous array). MUTANT_LOCK_ACROSS_SYNC (B7): the lock is dropped only after the wait.
 */
static void install_new_memslots(struct kvm *kvm, int as_id, struct kvm_memslots *slots,
				 struct kvm_memslots *copy)
{
	*slots = *copy;
	rcu_assign_pointer(kvm->memslots[as_id], slots);
#if MUTANT_LOCK_ACROSS_SYNC
	synchronize_srcu_expedited(&kvm->srcu);
	mutex_unlock(&kvm->slots_arch_lock);
#else
	mutex_unlock(&kvm->slots_arch_lock);
	synchronize_srcu_expedited(&kvm->srcu);
#endif
}

/* x86 prepare: CREATE/MOVE get empty arch data, then rmaps iff the flag is set (under the lock). */
static int kvm_arch_prepare_memory_region(struct kvm *kvm, struct kvm_memory_slot *new, int change)
{
	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		memset(&new->arch, 0, sizeof(struct kvm_arch_memory_slot));
#if DESIGN_SEED_V2
		return alloc_memslot_rmap(new, kvm->arch.alloc_memslot_rmaps);
#elif DESIGN_REVIEW_SKETCH
		if (kvm->arch.needs_memslots_rmaps)
			return alloc_memslot_rmap(new);
#elif RMAP_HELPER_V3
		if (kvm_memslots_have_rmaps(kvm))
			return alloc_memslot_rmap(new);
#else
		if (kvm_memslots_have_rmaps(kvm))
			return memslot_rmap_alloc(new);
#endif
	}
	return 0;
}

/*
 * x86 commit (no slots_arch_lock, no srcu): with COMMIT_RMAPS_CHECK, kvm_mmu_slot_apply_flags
 * walks the rmaps of the stack copy `new` after reading the flag, for a FLAGS_ONLY change of
 * dirty logging; MOVE frees the rmaps of `old`. The kernel's walk starts at new.base_gfn, so a
 * NULL array there is skipped, not dereferenced (09_5.16.c, OPEN (b)).
 */
static void kvm_arch_commit_memory_region(struct kvm *kvm, struct kvm_memory_slot *old,
					  struct kvm_memory_slot *new, int change)
{
#if COMMIT_RMAPS_CHECK
	int i;

#if DESIGN_SEED_V2
	if (change == KVM_MR_FLAGS_ONLY && kvm->arch.shadow_mmu_active)
#else
	if (change == KVM_MR_FLAGS_ONLY && kvm_memslots_have_rmaps(kvm))
#endif
		for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
			assert_property("commit-rmaps", new->arch.rmap[i] != NULL);
#endif
	if (change == KVM_MR_MOVE)
		memslot_rmap_free(old);
}

#if WRITER_SERIES || WRITER_5_14
/*
 * kvm_set_memslot of the series (WRITER_SERIES, B1: two failure paths return with
 * slots_arch_lock held) and of 5.14/5.15 (b10a038e84d1). `active` is the installed array of
 * as_id; `old` the caller's snapshot, `new` its stack copy.
 */
static int kvm_set_memslot(struct kvm *kvm, struct kvm_memslots *active, struct kvm_memory_slot *old,
			   struct kvm_memory_slot *new, int as_id, int id, int change)
{
	struct kvm_memslots copy;
	struct kvm_memslots *slots, *prev;
	int r;

	/* 1. held from before the array is copied until the copy is installed */
	mutex_lock(&kvm->slots_arch_lock);

	/* 2. kvm_dup_memslots: a new array holding a by-value copy of the installed one */
	slots = kvzalloc(sizeof(struct kvm_memslots), GFP_KERNEL_ACCOUNT);
#if WRITER_SERIES
	if (!slots)
		return -ENOMEM;			/* B1: slots_arch_lock still held */
#else
	if (!slots) {
		mutex_unlock(&kvm->slots_arch_lock);
		return -ENOMEM;
	}
#endif
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

#if SNAPSHOT_UNDER_ARCH_LOCK
	/* bda44d844758 on this allocator: `old` and `new.arch` again, from the up-to-date private
	 * copy, under the lock (CREATE: the free entry, all zero); DELETE then frees this `old` */
	*old = copy.memslots[id];
	old->flags &= ~KVM_MEMSLOT_INVALID;
	new->arch = old->arch;
#endif

	/* 5. prepare */
	r = kvm_arch_prepare_memory_region(kvm, new, change);
	if (r)
		goto out_slots;

	/* 6. update_memslots: DELETE drops the entry, the others write `new` by value */
	if (change == KVM_MR_DELETE)
		memset(&copy.memslots[id], 0, sizeof(struct kvm_memory_slot));
	else
		copy.memslots[id] = *new;

	/* 7. install, 8. commit on the stack copies, 9. free the previous array */
	install_new_memslots(kvm, as_id, slots, &copy);
	kvm_arch_commit_memory_region(kvm, old, new, change);
	kvfree_memslots(active);
	return 0;

out_slots:
	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		/* reinstall the refreshed copy without INVALID (drops the lock) */
		copy.memslots[id].flags &= ~KVM_MEMSLOT_INVALID;
		install_new_memslots(kvm, as_id, slots, &copy);
		kvfree_memslots(active);
	} else {
#if !WRITER_SERIES
		mutex_unlock(&kvm->slots_arch_lock);
#endif
		kvfree(slots);			/* B1 (series): slots_arch_lock still held */
	}
	return r;
}

/*
 * __kvm_set_memory_region (slots_lock held). B4: `old` is a by-value snapshot of the slot taken
 * WITHOUT slots_arch_lock, and `new.arch` is a copy of the snapshot's (CREATE: zeroed).
 */
static int __kvm_set_memory_region(struct kvm *kvm)
{
	struct kvm_memory_slot old, new;
	struct kvm_memslots *active;
	int as_id = 0;
	int change, id;
	int r;

	active = kvm->memslots[as_id];
	change = userspace_request();
	id = change == KVM_MR_CREATE ? NR_SLOTS : 0;
	old = active->memslots[id];

	if (change == KVM_MR_DELETE) {
		/* kvm_delete_memslot: an empty `new`; on success free the SNAPSHOT's arrays */
		memset(&new, 0, sizeof(struct kvm_memory_slot));
		r = kvm_set_memslot(kvm, active, &old, &new, as_id, id, change);
		if (!r)
			memslot_rmap_free(&old);
		return r;
	}

	new = old;
	new.npages = 1;
	if (change == KVM_MR_CREATE) {
		new.base_gfn = NR_SLOTS;
		memset(&new.arch, 0, sizeof(struct kvm_arch_memory_slot));
	}
	if (change == KVM_MR_MOVE)
		new.base_gfn = old.base_gfn + NR_SLOTS + 1;
	if (change == KVM_MR_FLAGS_ONLY)
		new.flags = old.flags ^ KVM_MEM_LOG_DIRTY_PAGES;

	return kvm_set_memslot(kvm, active, &old, &new, as_id, id, change);
}
#else
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
#if !MUTANT_NO_ARCH_LOCK
	mutex_lock(&kvm->slots_arch_lock);
#endif

	/* 2. kvm_dup_memslots: a new array holding a by-value copy of the installed one */
	slots = kvzalloc(sizeof(struct kvm_memslots), GFP_KERNEL_ACCOUNT);
#if MUTANT_NO_ARCH_LOCK
	if (!slots)
		return -ENOMEM;
#else
	if (!slots) {
		mutex_unlock(&kvm->slots_arch_lock);
		return -ENOMEM;
	}
#endif
	copy = *active;
#if MUTANT_NO_ARCH_LOCK
	/* MUTATION (B8): slots_arch_lock is taken only now, after the array was copied */
	mutex_lock(&kvm->slots_arch_lock);
#endif

	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		/* 3. install the copy with the slot INVALID (drops the lock, waits for readers);
		 *    the previous array becomes the scratch copy */
		copy.memslots[id].flags |= KVM_MEMSLOT_INVALID;
		install_new_memslots(kvm, as_id, slots, &copy);
		prev = active;
		active = slots;
		slots = prev;
		/* kvm_arch_flush_shadow_memslot: zaps shadow pages, no rmap pointer changes */
		/* 4. retake the lock; refresh the whole copy: vCPUs may have allocated meanwhile
		 *    (MUTANT_NO_REFRESH, B9: the copy is NOT refreshed from the INVALID array) */
		mutex_lock(&kvm->slots_arch_lock);
#if !MUTANT_NO_REFRESH
		copy = *active;
#endif
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
#endif

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

#if DESIGN_SEED_V2
	if (!kvm.arch.shadow_mmu_active)
#elif DESIGN_REVIEW_SKETCH
	if (!kvm.arch.needs_memslots_rmaps)
#elif DESIGN_MEMSLOTS_HAVE_RMAPS
	if (!kvm.arch.memslots_have_rmaps)
#else
	if (!kvm.arch.shadow_root_allocated)
#endif
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
