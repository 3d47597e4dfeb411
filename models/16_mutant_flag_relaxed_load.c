/*
 * @title  Mutant of 5.17: the flag read with READ_ONCE instead of smp_load_acquire (B6)
 * @source commit 1e76a3ce0d3c ("KVM: cleanup allocation of rmaps and page tracking data")
 * @source commit 4e4d30cb9b87 ("KVM: Resync only arch fields when slots_arch_lock gets reacquired")
 * @source tools/memory-model (LKMM): message passing needs a release store paired with an acquire load
 * @description kvm_shadow_root_allocated() reads shadow_root_allocated with a relaxed load
 *   (READ_ONCE; FLAG_PLAIN=1: a plain load); the allocator still publishes it with
 *   smp_store_release. A relaxed load that reads the release store does not take its view: the
 *   vCPU whose fast path reads the flag true may read the slot's rmap pointer as it was before the
 *   allocator wrote it (NULL) and walk it; the FLAGS_ONLY commit hook may do the same with `new`.
 *   Every property holds under sc; under ra rmaps-present, commit-rmaps and no-data-race are
 *   violated.
 * @param NR_AS address spaces (x86: 2, normal and SMM)
 * @param NR_SLOTS memslots in use in address space 0 (the writer's) at boot (1 to 3); one more id is free, for CREATE
 * @param NR_SMM_SLOTS memslots in use in address space 1 (SMM) at boot (1 to 3)
 * @param NR_VCPUS vCPU threads (2 or 3)
 * @param NR_RUNS KVM_RUN calls per vCPU: a vCPU whose KVM_RUN failed runs it again (default 1; 2 = literal retry)
 * @param KVM_NR_PAGE_SIZES rmap levels per slot (the kernel has 3)
 * @param WRITER_CHANGE -1 (default): the writer's change is any of the four; 0 to 3: only KVM_MR_CREATE, DELETE, MOVE or FLAGS_ONLY
 * @param FIELD_READS 1 (the ra runs): __kvm_set_memory_region reads only old's range and flags (see 10); 0 (sc): the whole struct in one step
 * @param FLAG_PLAIN 1: a plain load of the flag (then the load also races with the allocator's store); 0 (default): READ_ONCE
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 0
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @defines ra FIELD_READS=1 NR_AS=1 NR_SLOTS=1
 * @expect sc * holds
 * @expect ra commit-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra rmaps-present violated
 * @expect ra * holds
 */

/*
 * THE HARNESS (15 and 16): 10 (Linux 5.17, where every property of the allocator and the writer
 * holds under both memory models) with ONE change, marked MUTATION, to the flag's
 * release/acquire pairing (B6 in the brief). As in 11 to 14, the aging MMU notifier of OPEN (a)
 * is left out (10 settles it), so that every property holds under sc: under sc a release store
 * and a plain one, an acquire load and a plain one, are the same step.
 *   kvm_set_user_memory_region  one CREATE/DELETE/MOVE/FLAGS_ONLY on slot 0 of address space 0
 *                  (CREATE: the free id), nondeterministically; the writer of 5.17.
 *   vcpu.0, vcpu.1  KVM_RUN: srcu read section, mmu_first_shadow_root_alloc; vcpu.0 then takes a
 *                  shadow fault on slot 0 of address space 0 (flag first, then the slot).
 * PROPERTIES: rmaps-present (the rmap vcpu.0 walks is allocated), commit-rmaps (the rmap the
 *   FLAGS_ONLY commit hook walks is allocated), active-rmaps (invariant, on the newest value of
 *   every cell: while the flag is true every used slot of every installed set has its rmaps),
 *   no-data-race (ra only).
 * MEMORY MODELS: sc in the default configuration; ra with one address space and one slot (the
 *   ra defines line; see 10): the B6 trace needs one slot, one allocation and one reader.
 * ABSTRACTIONS: as in 10.
 */

#define NR_AS 2
#define NR_SLOTS 2
#define NR_SMM_SLOTS 1
#define NR_VCPUS 2
#define NR_RUNS 1
#define WRITER_CHANGE -1
#define FIELD_READS 0
#define FLAG_PLAIN 0
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
	struct kvm_memory_slot *slots[KVM_MEM_SLOTS_NUM];
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

/* kvm_create_vm + the boot-time KVM_SET_USER_MEMORY_REGION calls: NR_SLOTS one-page slots in
 * address space 0, NR_SMM_SLOTS in address space 1. */
struct kvm_memory_slot boot_slots[NR_AS][3] = {
	{ { .base_gfn = 0, .npages = 1 },
#if NR_SLOTS >= 2
	  { .base_gfn = 1, .npages = 1 },
#endif
#if NR_SLOTS >= 3
	  { .base_gfn = 2, .npages = 1 },
#endif
	},
#if NR_AS >= 2
	{ { .base_gfn = 0, .npages = 1 },
#if NR_SMM_SLOTS >= 2
	  { .base_gfn = 1, .npages = 1 },
#endif
#if NR_SMM_SLOTS >= 3
	  { .base_gfn = 2, .npages = 1 },
#endif
	},
#endif
};

/* kvm->__memslots[as][0..1]: both sets hold the same objects. */
struct kvm_memslots memslot_sets[NR_AS][2] = {
	{ { .slots = { &boot_slots[0][0],
#if NR_SLOTS >= 2
		       &boot_slots[0][1],
#endif
#if NR_SLOTS >= 3
		       &boot_slots[0][2],
#endif
	  } },
	  { .slots = { &boot_slots[0][0],
#if NR_SLOTS >= 2
		       &boot_slots[0][1],
#endif
#if NR_SLOTS >= 3
		       &boot_slots[0][2],
#endif
	  } } },
#if NR_AS >= 2
	{ { .slots = { &boot_slots[1][0],
#if NR_SMM_SLOTS >= 2
		       &boot_slots[1][1],
#endif
#if NR_SMM_SLOTS >= 3
		       &boot_slots[1][2],
#endif
	  } },
	  { .slots = { &boot_slots[1][0],
#if NR_SMM_SLOTS >= 2
		       &boot_slots[1][1],
#endif
#if NR_SMM_SLOTS >= 3
		       &boot_slots[1][2],
#endif
	  } } },
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

/* MUTATION: the flag is read with a relaxed load, not smp_load_acquire: nothing orders the
 * caller's later reads of rmap pointers after it */
static bool kvm_shadow_root_allocated(struct kvm *kvm)
{
#if FLAG_PLAIN
	return kvm->arch.shadow_root_allocated;
#else
	return READ_ONCE(kvm->arch.shadow_root_allocated);
#endif
}

/* "!tdp_mmu_enabled || kvm_shadow_root_allocated(kvm)"; the TDP MMU is on here. */
static bool kvm_memslots_have_rmaps(struct kvm *kvm)
{
	return kvm_shadow_root_allocated(kvm);
}

static void kfree_memslot(struct kvm_memory_slot *slot)
{
	int i, j;
	bool boot = false;

	for (i = 0; i < NR_AS; i++)
		for (j = 0; j < 3; j++)
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

/* memslot_rmap_alloc (fa13843d1565 on): skip levels already allocated; a failure frees the slot's. */
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
	smp_store_release(&kvm->arch.shadow_root_allocated, true);
out_unlock:
	mutex_unlock(&kvm->slots_arch_lock);
	return r;
}

/* ------------------------------------------------------------ the readers */

/* A shadow page fault on slot 0 of address space 0 (the slot found through the active set). */
static void shadow_page_fault(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	struct kvm_memory_slot cur;
	int i;

	slots = srcu_dereference(kvm->memslots[0], &kvm->srcu);
	slot = slots->slots[0];
	if (!slot)
		return;
	cur = *slot;
	if (cur.flags & KVM_MEMSLOT_INVALID)
		return;
	for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
		assert_property("rmaps-present", cur.arch.rmap[i] != NULL);
}

void vcpu(int id)
{
	int run, idx, r;

	if (id >= NR_VCPUS)
		return;
	for (run = 0; run < NR_RUNS; run++) {
		idx = srcu_read_lock(&kvm.srcu);		/* KVM_RUN */
		r = mmu_first_shadow_root_alloc(&kvm);		/* mmu_alloc_shadow_roots */
		if (!r && id == 0)
			shadow_page_fault(&kvm);
		srcu_read_unlock(&kvm.srcu, idx);
		if (!r)
			break;
	}
}

/* ------------------------------------------------------------- the writer */

/*
 * kvm_swap_active_memslots: the inactive set becomes the active one (rcu_assign_pointer), then
 * slots_arch_lock is dropped and synchronize_srcu waits for readers of the previous set.
 * Returns the index of the set that is now inactive.
 */
static int kvm_swap_active_memslots(struct kvm *kvm, int as_id, int inactive)
{
	rcu_assign_pointer(kvm->memslots[as_id], &memslot_sets[as_id][inactive]);
	mutex_unlock(&kvm->slots_arch_lock);
	synchronize_srcu_expedited(&kvm->srcu);
	return 1 - inactive;
}

/*
 * kvm_activate_memslot(old, new): swap, then make the same replacement in the set that is now
 * inactive, so that both sets agree again.
 */
static int kvm_activate_memslot(struct kvm *kvm, int as_id, int inactive, int id,
				struct kvm_memory_slot *new)
{
	inactive = kvm_swap_active_memslots(kvm, as_id, inactive);
	memslot_sets[as_id][inactive].slots[id] = new;
	return inactive;
}

/* x86 prepare: CREATE/MOVE empty arch data + rmaps iff the flag; FLAGS_ONLY takes old's arch. */
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
		new->arch = cur.arch;
	} else if (change == KVM_MR_FLAGS_ONLY) {
		new->arch = old->arch;		/* under slots_arch_lock (537a17b31493) */
	}
	return r;
}

/* commit: kvm_mmu_slot_apply_flags on the LIVE `new`; MOVE frees old's arrays; then the frees. */
static void kvm_commit_memory_region(struct kvm *kvm, struct kvm_memory_slot *old,
				     struct kvm_memory_slot *new, int change)
{
	struct kvm_memory_slot cur;
	int i;

	if (change == KVM_MR_FLAGS_ONLY && kvm_memslots_have_rmaps(kvm)) {
		cur = *new;
		for (i = 0; i < KVM_NR_PAGE_SIZES; i++)
			assert_property("commit-rmaps", cur.arch.rmap[i] != NULL);
	}
	if (change == KVM_MR_MOVE || change == KVM_MR_DELETE)
		memslot_rmap_free(old);		/* kvm_arch_free_memslot / kvm_free_memslot */
	if (change != KVM_MR_CREATE)
		kfree_memslot(old);
}

/* kvm_set_memslot (5.17+). `inactive` is the index of the inactive set of as_id. */
static int kvm_set_memslot(struct kvm *kvm, struct kvm_memory_slot *old, struct kvm_memory_slot *new,
			   int as_id, int id, int inactive, int change)
{
	struct kvm_memory_slot *invalid_slot;
	struct kvm_memory_slot tmp;
	int r;

	mutex_lock(&kvm->slots_arch_lock);

	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		invalid_slot = kzalloc(sizeof(struct kvm_memory_slot), GFP_KERNEL_ACCOUNT);
		if (!invalid_slot) {
			mutex_unlock(&kvm->slots_arch_lock);
			return -ENOMEM;
		}
		/* kvm_invalidate_memslot: a copy of old (arch included, read under the lock), INVALID,
		 * in place of old in the inactive set; swap it in (drops the lock) */
		tmp = *old;
		tmp.flags |= KVM_MEMSLOT_INVALID;
		*invalid_slot = tmp;
		memslot_sets[as_id][inactive].slots[id] = invalid_slot;
		inactive = kvm_swap_active_memslots(kvm, as_id, inactive);
		/* kvm_arch_flush_shadow_memslot(old): zaps shadow pages, no rmap pointer changes */
		mutex_lock(&kvm->slots_arch_lock);
		/* 4e4d30cb9b87: copy the arch data the allocator may have written meanwhile */
		old->arch = invalid_slot->arch;
	}

	r = kvm_arch_prepare_memory_region(kvm, old, new, change);
	if (r) {
		if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
			/* kvm_activate_memslot(invalid_slot, old): swap back to the set that still holds
			 * old (drops the lock), then put old back in place of invalid_slot in the other */
			kvm_activate_memslot(kvm, as_id, inactive, id, old);
			kfree(invalid_slot);
		} else {
			mutex_unlock(&kvm->slots_arch_lock);
		}
		return r;
	}

	/* kvm_{create,delete,move,update_flags}_memslot: replace in the inactive set, swap, then
	 * the same in the other set */
	memslot_sets[as_id][inactive].slots[id] = new;
	kvm_activate_memslot(kvm, as_id, inactive, id, new);
	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE)
		kfree(invalid_slot);		/* the struct only: its arrays now belong to old */

	/* no slots_arch_lock: arch changes after the swap land directly in the live `new` */
	kvm_commit_memory_region(kvm, old, new, change);
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

/* kvm_set_memory_region (slots_lock held). `old` is a pointer; its arch is read under the lock. */
static int __kvm_set_memory_region(struct kvm *kvm)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *old, *new;
	struct kvm_memory_slot tmp;
	int as_id = 0;
	int change, id;
	int inactive, r;

	slots = kvm->memslots[as_id];
	change = userspace_request();
	id = change == KVM_MR_CREATE ? NR_SLOTS : 0;
	inactive = slots == &memslot_sets[as_id][0] ? 1 : 0;
	old = slots->slots[id];

	if (change == KVM_MR_DELETE)
		return kvm_set_memslot(kvm, old, NULL, as_id, id, inactive, change);

	new = kzalloc(sizeof(struct kvm_memory_slot), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	memset(&tmp, 0, sizeof(struct kvm_memory_slot));
	if (old) {
#if FIELD_READS
		tmp.base_gfn = old->base_gfn;	/* what the kernel reads of old here: never its arch */
		tmp.npages = old->npages;
		tmp.flags = old->flags;
#else
		tmp = *old;		/* range and flags only; arch is set in prepare */
#endif
	}
	memset(&tmp.arch, 0, sizeof(struct kvm_arch_memory_slot));
	tmp.npages = 1;
	if (change == KVM_MR_CREATE)
		tmp.base_gfn = NR_SLOTS;
	if (change == KVM_MR_MOVE)
		tmp.base_gfn = tmp.base_gfn + NR_SLOTS + 1;
	if (change == KVM_MR_FLAGS_ONLY)
		tmp.flags = tmp.flags ^ KVM_MEM_LOG_DIRTY_PAGES;
	*new = tmp;

	r = kvm_set_memslot(kvm, old, new, as_id, id, inactive, change);
	if (r)
		kfree(new);
	return r;
}

void kvm_set_user_memory_region(void)
{
	__kvm_set_memory_region(&kvm);
}

/* ---------------------------------------------------------------- invariant */

bool active_slots_have_rmaps(void)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *slot;
	int i, j, l;

	if (!kvm.arch.shadow_root_allocated)
		return true;
	for (i = 0; i < NR_AS; i++) {
		slots = kvm.memslots[i];
		for (j = 0; j < KVM_MEM_SLOTS_NUM; j++) {
			slot = slots->slots[j];
			if (!slot)
				continue;
			for (l = 0; l < KVM_NR_PAGE_SIZES; l++)
				if (slot->npages && !slot->arch.rmap[l])
					return false;
		}
	}
	return true;
}
