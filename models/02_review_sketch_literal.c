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
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 0
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1
 * @expect sc rmaps-present violated
 * @expect sc active-rmaps violated
 * @expect sc no-leak violated
 * @expect sc * holds
 * @expect ra active-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra no-leak violated
 * @expect ra rmaps-present violated
 * @expect ra * holds
 * @config tso
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso active-rmaps unsupported
 * @expect tso no-leak violated
 * @expect tso rmaps-present violated
 * @expect tso * holds
 * @expect tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0 rmaps-present holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm active-rmaps unsupported
 * @expect lkmm no-leak violated
 * @expect lkmm rmaps-present violated
 * @expect lkmm * holds
 * UNDER lkmm (the z3 event engine, one address space and one slot): rmaps-present is violated
 *   where sc holds it there: B6, as under ra. The fast path's plain read of
 *   needs_memslots_rmaps reads another vCPU's smp_store_release true, but a plain read pairs
 *   with no release: the fault then reads the slot's rmap pointer NULL (docs/memory-model.md).
 * THE HARNESS (02 to 04): the allocator is the review's sketch; everything else is fixed so
 * that only the allocator is judged: the WRITER OF 5.16 (b10a038e84d1 + bda44d844758, all
 * unlocks present), so B1 and B4 cannot mask the allocator; its prepare allocates rmaps iff
 * needs_memslots_rmaps (plain read, under the lock), as the review asks. The commit hook's
 * rmap walk (OPEN (b)) and the MMU notifier (OPEN (a)) are left out: they are questions about
 * the writer and the readers, settled in 07 to 10. vcpu.0 faults on slot FAULT_SLOT =
 * NR_SLOTS - 1 (the last boot slot: the one the sketches leave without rmaps).
 * 03_review_sketch_inner_break.c and 04_review_sketch_fixed.c include this file with the
 * sketch's loop repaired (SKETCH_INNER_BREAK, SKETCH_FIXED).
 */

#define DESIGN_REVIEW_SKETCH 1
#define FAULT_ON_LAST_SLOT 1

/* needs_memslots_rmaps (the reviewer's name) starts false: TDP MMU on. The reviewer's flag
 * accessor is a plain read; the allocator publishes with a release store. */
struct kvm_arch {
	bool needs_memslots_rmaps;
};

#include "include/kvm_arrays.h"

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

/*
 * kvm_activate_rmaps, the review's sketch: plain fast path, lock, every slot of each address
 * space, publish on success or free everything on failure, unlock. As written, the loop body is
 * `r = alloc(...); break;`; SKETCH_INNER_BREAK: `if (r) break;`; SKETCH_FIXED: a failure leaves
 * both loops. RECHECK (04 only): the re-check under the lock that v4 added.
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
#if RECHECK
	/* not in the review: the re-check under the lock that v4 added */
	if (kvm->arch.needs_memslots_rmaps) {
		mutex_unlock(&kvm->slots_arch_lock);
		return 0;
	}
#endif

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
#if SKETCH_FIXED
			if (r) {
#if WRITE_BACK_POINTERS
				write_back_rmaps(slots, &was, &cur);
#else
				*slots = cur;
#endif
				goto out;	/* leaves both loops; out: frees every rmap */
			}
#elif SKETCH_INNER_BREAK
			if (r)
				break;		/* leaves the slot loop only */
#else
			break;			/* as written: leaves after the first slot, whatever r is */
#endif
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

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm no-data-race unsupported
 */
