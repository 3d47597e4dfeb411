/*
 * The kernel environment of models/17_6.19.c (Linux 6.19): the memslot objects with their two
 * arch arrays (rmaps and write tracking), the two memslot sets of each address space, the
 * x86 flag shadow_root_allocated and the shadow page count, and the array helpers the
 * allocator, the writer and the readers share. The design file defines NR_AS, NR_SLOTS,
 * NPAGES and GFN_INDEX before including it.
 *
 * WHERE IT WAS READ (6.19): x86.c (memslot_rmap_alloc, memslot_rmap_free,
 * kvm_arch_free_memslot), mmu/page_track.c (__kvm_page_track_write_tracking_alloc,
 * kvm_page_track_write_tracking_enabled), mmu.h (kvm_shadow_root_allocated,
 * kvm_memslots_have_rmaps). External write tracking (KVMGT) is off here:
 * kvm_external_write_tracking_enabled() is false (CONFIG_KVM_EXTERNAL_WRITE_TRACKING=n, or =y
 * with no user registered in 6.19).
 *
 * ABSTRACTIONS (besides those of include/kvm_sets.h): one rmap level; a slot has NPAGES pages;
 * the boot slots of address space 0 are NPAGES apart; one id beyond NR_SLOTS is free, for CREATE.
 */
#pragma once

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
