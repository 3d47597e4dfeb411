/*
 * @title  The seed: [PATCH v2 7/7] lazily allocate memslot rmaps, as posted
 * @source Message-ID 20210429211833.3361994-8-bgardon@google.com ([PATCH v2 7/7] KVM: x86/mmu: Lazily allocate memslot rmaps)
 * @source Message-ID 20210429211833.3361994-7-bgardon@google.com ([PATCH v2 6/7] KVM: Add slots_arch_lock)
 * @source Message-ID 20210429211833.3361994-2-bgardon@google.com ([PATCH v2 1/7] Track if shadow MMU active)
 * @source Message-ID 20210429211833.3361994-3-bgardon@google.com ([PATCH v2 2/7] Skip rmap operations if shadow MMU inactive)
 * @source Message-ID YJrZKkW9Cb9t+fU5@google.com (review of v4 4/7, the same code: missing unlocks)
 * @description Two flags: alloc_memslot_rmaps ("new slots must get rmaps"), set with a plain store under
 *   slots_arch_lock BEFORE the allocation loop and read (plain) by slot creation, and
 *   shadow_mmu_active, set with a plain store after the allocator returns 0 and read (plain) by
 *   every rmap reader. The allocator has no fast path, skips a slot whose first level is allocated,
 *   and stops at the first error. The writer is v2 6/7's kvm_set_memslot. B1: a failed duplication
 *   of the array, or a failed prepare of a CREATE, returns with slots_arch_lock held (no-lock-leak),
 *   and the next vCPU to allocate waits for it forever (no-deadlock). The stale snapshot of B4 is
 *   already there (rmaps-present, active-rmaps, no-leak), and so is OPEN (b) (commit-rmaps). No WARN,
 *   and no B3: a retry skips the slots kept by a failed call.
 * @param NR_AS address spaces (x86: 2, normal and SMM)
 * @param NR_SLOTS memslots in use in address space 0 (the writer's) at boot (1 to 3); each array has one more, free, entry for CREATE
 * @param NR_SMM_SLOTS memslots in use in address space 1 (SMM) at boot (1 to 3)
 * @param NR_VCPUS vCPU threads (2 or 3)
 * @param NR_RUNS KVM_RUN calls per vCPU: a vCPU whose KVM_RUN failed runs it again (default 1; 2 = literal retry)
 * @param KVM_NR_PAGE_SIZES rmap levels per slot (the kernel has 3)
 * @param WRITER_CHANGE -1 (default): the writer's change is any of the four; 0 to 3: only KVM_MR_CREATE, DELETE, MOVE or FLAGS_ONLY
 * @param WRITE_BACK_POINTERS 1 (the ra runs): the allocator stores into the installed array only the rmap pointers it changed, one store each, as the kernel writes them in place; 0 (sc): the whole array in one step (see ABSTRACTIONS)
 * @param FAULT_SLOT the slot of address space 0 that vcpu.0 faults on
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 1
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config sc NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1 NR_AS=1 NR_SLOTS=1
 * @expect sc no-lock-leak violated
 * @expect sc no-deadlock violated
 * @expect sc rmaps-present violated
 * @expect sc active-rmaps violated
 * @expect sc no-leak violated
 * @expect sc commit-rmaps violated
 * @expect sc * holds
 * @expect ra active-rmaps violated
 * @expect ra commit-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra no-deadlock violated
 * @expect ra no-leak violated
 * @expect ra no-lock-leak violated
 * @expect ra rmaps-present violated
 * @expect ra * holds
 * MEMORY MODELS: sc in the default configuration and NR_SLOTS=3; ra (its defines line) with one
 *   address space and one slot, and the allocator's write-back narrowed to the rmap pointers it
 *   changed (WRITE_BACK_POINTERS=1); bugs that need more slots are sc bugs (the sc runs). Under ra,
 *   B6: shadow_mmu_active is stored plain by a vCPU and read plain by the commit hook, a data race
 *   (no-data-race shows the shorter race first: the writer's unlocked `old = *tmp` copy reading
 *   the rmap pointer a vCPU stores, as in 5.14 to 5.16; tests/test_kvm_models.py checks both).
 */

/*
 * THE HARNESS (01, 05, 06): the series as posted, writer included.
 *   kvm_set_user_memory_region  one CREATE/DELETE/MOVE/FLAGS_ONLY on slot 0 of address space 0
 *                  (CREATE: the free entry), nondeterministically, with the writer of the series
 *                  (v2 6/7 = v3 4/8 = v4 4/7): snapshot `old` and `new.arch` holding slots_lock
 *                  only (B4), kvm_set_memslot without the unlocks b10a038e84d1 added (B1), commit
 *                  hook walking the stack copy `new` (OPEN (b), property commit-rmaps).
 *   vcpu.0, vcpu.1  KVM_RUN: srcu read section and the allocator; if it returned 0, vcpu.0 then
 *                  takes a shadow fault on slot FAULT_SLOT = 0 of address space 0 (it fetches the
 *                  array after the allocator saw, or set, the flag).
 *   No MMU notifier: OPEN (a) is settled in 07 to 10 (by-value arrays behave the same here).
 * PROPERTIES: rmaps-present (the rmap vcpu.0 walks is allocated), active-rmaps (invariant: while
 *   the readers' flag is true every used slot of every installed array has its rmaps),
 *   commit-rmaps (the rmap the FLAGS_ONLY commit hook walks is allocated).
 * ABSTRACTIONS: as in 07 (one page per slot, no mmu_lock, no lpage_info/page tracking, array
 *   read and written back in one step under slots_arch_lock (under ra only the rmap pointers
 *   the allocator changed are written back, WRITE_BACK_POINTERS=1), private copy in a local, boot
 *   arrays cleared instead of freed).
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
#define FAULT_SLOT 0

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
	bool shadow_mmu_active;
	bool alloc_memslot_rmaps;
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

/* TDP MMU on: both flags start false. */
struct kvm kvm = {
	.memslots = { &boot_memslots[0],
#if NR_AS >= 2
		      &boot_memslots[1],
#endif
	},
};

/* ------------------------------------------------------------------ helpers */

/* kvfree of a whole array; a boot array (a global here) is cleared instead (see 07). */
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

/* free every level of the slot and clear the pointers (kvfree(NULL) is a no-op) */
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
 * alloc_memslot_rmap of v2 7/7: nothing unless alloc_memslot_rmaps is set (plain read; passed in
 * by the caller), nothing if the slot's first level is already allocated; otherwise every level.
 * A failure frees this slot's levels.
 */
static int alloc_memslot_rmap(struct kvm_memory_slot *slot, bool alloc_memslot_rmaps)
{
	int i;

	if (!alloc_memslot_rmaps)
		return 0;
	if (slot->arch.rmap[0])
		return 0;
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++) {
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
 * alloc_all_memslots_rmaps of v2 7/7: no fast path; lock; alloc_memslot_rmaps = true (plain,
 * BEFORE allocating); every slot of each address space, stopping at the first error (slots done
 * before keep their rmaps); unlock.
 */
static int alloc_all_memslots_rmaps(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memslots *all[NR_AS];
	struct kvm_memslots cur;
#if WRITE_BACK_POINTERS
	struct kvm_memslots was;
#endif
	int r = 0, i, j;

	mutex_lock(&kvm->slots_arch_lock);
	kvm->arch.alloc_memslot_rmaps = true;
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
			/* the helper's read of alloc_memslot_rmaps sees the true stored above */
			r = alloc_memslot_rmap(&cur.memslots[j], true);
			if (r)
				break;
		}
#if WRITE_BACK_POINTERS
		write_back_rmaps(slots, &was, &cur);
#else
		*slots = cur;
#endif
		if (r)
			break;
	}
	mutex_unlock(&kvm->slots_arch_lock);
	return r;
}

/* activate_shadow_mmu, called by mmu_alloc_shadow_roots on EVERY shadow root allocation. */
static int activate_shadow_mmu(struct kvm *kvm)
{
	int r;

	r = alloc_all_memslots_rmaps(kvm);
	if (r)
		return r;
	kvm->arch.shadow_mmu_active = true;	/* plain store, after the unlock */
	return 0;
}

/* ------------------------------------------------------------ the reader */

/*
 * A shadow page fault on slot FAULT_SLOT of address space 0: find the slot in the current array,
 * rmap_add walks its rmaps. (vcpu.0's allocator returned 0, after it set shadow_mmu_active)
 */
static void shadow_page_fault(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot slot;
	int i;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	slot = slots->memslots[FAULT_SLOT];	/* see SLOT READS in 07 */
	if (!slot.npages || (slot.flags & KVM_MEMSLOT_INVALID))
		return;			/* no slot, or one being deleted/moved: the fault retries */
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
		assert_property("rmaps-present", slot.arch.rmap[i] != NULL);
}

void vcpu(int id)
{
	int run, idx, r;

	if (id >= NR_VCPUS)
		return;
	for (run = 0; run < NR_RUNS; run++) {
		idx = srcu_read_lock(&kvm.srcu);		/* KVM_RUN */
		r = activate_shadow_mmu(&kvm);		/* mmu_alloc_shadow_roots */
		if (!r && id == 0)
			shadow_page_fault(&kvm);
		srcu_read_unlock(&kvm.srcu, idx);
		if (!r)
			break;				/* -ENOMEM: userspace may run it again */
	}
}

/* ------------------------------------------------------------- the writer */

/* install_new_memslots: the copy becomes the array's contents, rcu_assign_pointer, drop
 * slots_arch_lock, synchronize_srcu. */
static void install_new_memslots(struct kvm *kvm, int as_id, struct kvm_memslots *slots,
				 struct kvm_memslots *copy)
{
	*slots = *copy;
	rcu_assign_pointer(kvm->memslots[as_id], slots);
	mutex_unlock(&kvm->slots_arch_lock);
	synchronize_srcu_expedited(&kvm->srcu);
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

/* x86 prepare: CREATE/MOVE get empty arch data, then the rmaps if the flag says so. */
static int kvm_arch_prepare_memory_region(struct kvm *kvm, struct kvm_memory_slot *new, int change)
{
	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		memset(&new->arch, 0, sizeof(struct kvm_arch_memory_slot));
		return alloc_memslot_rmap(new, kvm->arch.alloc_memslot_rmaps);
	}
	return 0;
}

/*
 * x86 commit (no slots_arch_lock, no srcu): for a FLAGS_ONLY change of dirty logging,
 * kvm_mmu_slot_apply_flags walks the rmaps of the stack copy `new`
 * if shadow_mmu_active (plain read) is true; MOVE frees the rmaps of `old`.
 */
static void kvm_arch_commit_memory_region(struct kvm *kvm, struct kvm_memory_slot *old,
					  struct kvm_memory_slot *new, int change)
{
	int i;

	if (change == KVM_MR_FLAGS_ONLY && kvm->arch.shadow_mmu_active)
		for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
			assert_property("commit-rmaps", new->arch.rmap[i] != NULL);
	if (change == KVM_MR_MOVE)
		memslot_rmap_free(old);
}

/*
 * kvm_set_memslot as posted in v2 6/7 (unchanged in v3 4/8 and v4 4/7). B1: the duplication
 * failure and the prepare failure of CREATE/FLAGS_ONLY return with slots_arch_lock held.
 */
static int kvm_set_memslot(struct kvm *kvm, struct kvm_memslots *active, struct kvm_memory_slot *old,
			   struct kvm_memory_slot *new, int as_id, int id, int change)
{
	struct kvm_memslots copy;
	struct kvm_memslots *slots, *prev;
	int r;

	/* 1. released in install_new_memslots */
	mutex_lock(&kvm->slots_arch_lock);

	/* 2. kvm_dup_memslots */
	slots = kvzalloc(sizeof(struct kvm_memslots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		return -ENOMEM;			/* B1: slots_arch_lock still held */
	copy = *active;

	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		/* 3. INVALID copy installed (drops the lock), retake the lock, refresh the copy */
		copy.memslots[id].flags |= KVM_MEMSLOT_INVALID;
		install_new_memslots(kvm, as_id, slots, &copy);
		prev = active;
		active = slots;
		slots = prev;
		mutex_lock(&kvm->slots_arch_lock);
		copy = *active;
	}

	/* 4. prepare */
	r = kvm_arch_prepare_memory_region(kvm, new, change);
	if (r)
		goto out_slots;

	/* 5. update, install, commit, free the previous array */
	if (change == KVM_MR_DELETE)
		memset(&copy.memslots[id], 0, sizeof(struct kvm_memory_slot));
	else
		copy.memslots[id] = *new;
	install_new_memslots(kvm, as_id, slots, &copy);
	kvm_arch_commit_memory_region(kvm, old, new, change);
	kvfree_memslots(active);
	return 0;

out_slots:
	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		copy.memslots[id].flags &= ~KVM_MEMSLOT_INVALID;
		install_new_memslots(kvm, as_id, slots, &copy);
		kvfree_memslots(active);
	} else {
		kvfree(slots);			/* B1: slots_arch_lock still held */
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

	if (!kvm.arch.shadow_mmu_active)
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
