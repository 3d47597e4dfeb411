/*
 * @title  The review's sketch of the allocator, literally: r = alloc(...); break;
 * @source seed review: Re: [PATCH v2 7/7] KVM: x86/mmu: Lazily allocate memslot rmaps (Sean Christopherson, 2021-05-04; Message-ID YJGqzZ/8CS8mSx2c@google.com, inferred)
 * @source Message-ID 20210429211833.3361994-8-bgardon@google.com ([PATCH v2 7/7] KVM: x86/mmu: Lazily allocate memslot rmaps)
 * @description The reviewer's proposal: plain fast-path read of the flag, slots_arch_lock, for each
 *   address space allocate the rmaps of each slot, then store-release the flag if r == 0, else free
 *   every rmap; unlock. As written in the email the inner loop body is `r = alloc(...); break;`
 *   with no `if (r)`: only the first slot of each address space is allocated, and the flag is
 *   published. B5: active-rmaps and rmaps-present are violated (the last boot slot of address space
 *   0 has no rmaps while the flag is true). The sketch also has no re-check under the lock, and its
 *   allocator is pure (it allocates over what a slot has): a second vCPU that read the flag false
 *   before the first published allocates again over the published rmaps (no-leak). No allocation
 *   failure is needed for any of this (@faults 0); 03 and 04 check the sketch's failure path.
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
 * @faults 0
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config sc NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1 NR_AS=1 NR_SLOTS=1
 * @expect sc rmaps-present violated
 * @expect sc active-rmaps violated
 * @expect sc no-leak violated
 * @expect sc * holds
 * @expect ra active-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra no-leak violated
 * @expect ra rmaps-present violated
 * @expect ra * holds
 * MEMORY MODELS: sc in the default configuration and NR_SLOTS=3; ra (its defines line) with one
 *   address space and one slot, and the allocator's write-back narrowed to the rmap pointers it
 *   changed (WRITE_BACK_POINTERS=1). ra lets every load read any message its view allows, which
 *   multiplies the states; B6, the only kind of bug ra adds (a reader that sees the flag but not
 *   the rmap stores before it), needs one slot, one allocation and one reader, and the bugs that
 *   need more slots or both address spaces do not need weak memory: the sc runs check them.
 */

/*
 * THE HARNESS (02 to 04): the allocator is the review's sketch; everything else is fixed so
 * that only the allocator is judged.
 *   kvm_set_user_memory_region  one CREATE/DELETE/MOVE/FLAGS_ONLY on slot 0 of address space 0
 *                  (CREATE: the free entry), nondeterministically, with the WRITER OF 5.16
 *                  (b10a038e84d1 + bda44d844758: `old` and `new.arch` taken from the private copy
 *                  under slots_arch_lock, all unlocks present), so B1 and B4 cannot mask the
 *                  allocator. Its prepare allocates rmaps iff needs_memslots_rmaps (plain read,
 *                  under the lock), as the review asks. The commit hook's dirty-logging rmap walk
 *                  (OPEN (b)) is left out, and there is no MMU notifier (OPEN (a)): both are
 *                  questions about the writer and the readers, settled in 07 to 10.
 *   vcpu.0, vcpu.1  KVM_RUN: srcu read section, the allocator; vcpu.0 then takes a shadow fault
 *                  on slot FAULT_SLOT = NR_SLOTS - 1 of address space 0 (the last boot slot: the
 *                  one the sketches leave without rmaps). Reader order: flag (the allocator's
 *                  fast path, plain) first, then the array (vCPU shadow paths).
 * PROPERTIES: rmaps-present (the rmap vcpu.0 walks is allocated), active-rmaps (invariant:
 *   while the flag is true every used slot of every installed array has its rmaps).
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
#define FAULT_SLOT (NR_SLOTS - 1)

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
	bool needs_memslots_rmaps;
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

/* needs_memslots_rmaps (the reviewer's name) starts false: TDP MMU on. */
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

/* the reviewer's flag accessor is a plain read; the allocator publishes with a release store */

/*
 * alloc_memslot_rmap made "a pure allocator" as the review asks: allocate every level, no check
 * of the flag or of what the slot already has. A failure frees this slot's levels.
 */
static int alloc_memslot_rmap(struct kvm_memory_slot *slot)
{
	int i;

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

/* kvm_free_rmaps: "destroy the rmaps on failure": every slot of every address space. */
static void kvm_free_rmaps(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memslots *all[NR_AS];
	struct kvm_memslots cur;
#if WRITE_BACK_POINTERS
	struct kvm_memslots was;
#endif
	int i, j;

	memcpy(&all, &kvm->memslots, sizeof(all));	/* see READS UNDER slots_arch_lock */
	for (i = 0; i < NR_AS; i++) {
		slots = all[i];
		cur = *slots;
#if WRITE_BACK_POINTERS
		was = cur;
#endif
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++)
			memslot_rmap_free(&cur.memslots[j]);
#if WRITE_BACK_POINTERS
		write_back_rmaps(slots, &was, &cur);
#else
		*slots = cur;
#endif
	}
}

/* ---------------------------------------------------------- the allocator */

/*
 * kvm_activate_rmaps, as the review sketches it (the loop body exactly as written in the email).
 * Called by mmu_alloc_shadow_roots, inside the vCPU's srcu section.
 */
static int kvm_activate_rmaps(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memslots *all[NR_AS];
	struct kvm_memslots cur;
#if WRITE_BACK_POINTERS
	struct kvm_memslots was;
#endif
	int r = 0, i, j;

	if (kvm->arch.needs_memslots_rmaps)
		return 0;

	mutex_lock(&kvm->slots_arch_lock);

	memcpy(&all, &kvm->memslots, sizeof(all));	/* see READS UNDER slots_arch_lock */
	for (i = 0; i < NR_AS; i++) {
		slots = all[i];
		cur = *slots;
#if WRITE_BACK_POINTERS
		was = cur;
#endif
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++) {	/* kvm_for_each_memslot */
			if (!cur.memslots[j].npages)
				continue;
			r = alloc_memslot_rmap(&cur.memslots[j]);
			break;			/* as written: leaves after the first slot, whatever r is */
		}
#if WRITE_BACK_POINTERS
		write_back_rmaps(slots, &was, &cur);
#else
		*slots = cur;
#endif
	}
out:
	if (!r)
		smp_store_release(&kvm->arch.needs_memslots_rmaps, true);
	else
		kvm_free_rmaps(kvm);
	mutex_unlock(&kvm->slots_arch_lock);
	return r;
}

/* ------------------------------------------------------------ the reader */

/*
 * A shadow page fault on slot FAULT_SLOT of address space 0: find the slot in the current array,
 * rmap_add walks its rmaps. (vcpu.0 reads the flag first, in the allocator's fast path)
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
		r = kvm_activate_rmaps(&kvm);		/* mmu_alloc_shadow_roots */
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

/* x86 prepare: CREATE/MOVE get empty arch data, then the rmaps if the flag is set. */
static int kvm_arch_prepare_memory_region(struct kvm *kvm, struct kvm_memory_slot *new, int change)
{
	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		memset(&new->arch, 0, sizeof(struct kvm_arch_memory_slot));
		if (kvm->arch.needs_memslots_rmaps)
			return alloc_memslot_rmap(new);
	}
	return 0;
}

/* x86 commit: MOVE frees the rmaps of `old` (the dirty-logging rmap walk is left out: see above). */
static void kvm_arch_commit_memory_region(struct kvm *kvm, struct kvm_memory_slot *old,
					  struct kvm_memory_slot *new, int change)
{
	if (change == KVM_MR_MOVE)
		memslot_rmap_free(old);
}

/* kvm_set_memslot of 5.16 (b10a038e84d1 + bda44d844758). */
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
		/* 4. retake the lock; refresh the whole copy: vCPUs may have allocated meanwhile */
		mutex_lock(&kvm->slots_arch_lock);
		copy = *active;
	}

	/* 5. `old` and `new.arch` from the private copy, under the lock (bda44d844758) */
	old = copy.memslots[id];
	old.flags &= ~KVM_MEMSLOT_INVALID;
	new->arch = old.arch;

	/* 6. prepare */
	r = kvm_arch_prepare_memory_region(kvm, new, change);
	if (r)
		goto out_slots;

	/* 7. update, 8. install, 9. commit, 10. DELETE frees `old`, 11. free the previous array */
	if (change == KVM_MR_DELETE)
		memset(&copy.memslots[id], 0, sizeof(struct kvm_memory_slot));
	else
		copy.memslots[id] = *new;
	install_new_memslots(kvm, as_id, slots, &copy);
	kvm_arch_commit_memory_region(kvm, &old, new, change);
	if (change == KVM_MR_DELETE)
		memslot_rmap_free(&old);
	kvfree_memslots(active);
	return 0;

out_slots:
	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		copy.memslots[id].flags &= ~KVM_MEMSLOT_INVALID;
		install_new_memslots(kvm, as_id, slots, &copy);
		kvfree_memslots(active);
	} else {
		mutex_unlock(&kvm->slots_arch_lock);
		kvfree(slots);
	}
	return r;
}

/* __kvm_set_memory_region after bda44d844758: no arch data here. */
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

	if (!kvm.arch.needs_memslots_rmaps)
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
