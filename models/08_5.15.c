/*
 * @title  Linux 5.15: 5.14 plus fa13843d1565 (a retried allocation reuses the levels it finds)
 * @source commit b10a038e84d1 ("KVM: mmu: Add slots_arch_lock for memslot arch fields")
 * @source commit d501f747ef5c ("KVM: x86/mmu: Lazily allocate memslot rmaps")
 * @source commit fa13843d1565 ("KVM: X86: fix lazy allocation of rmaps")
 * @source Message-ID 20211015170507.136732-1-pbonzini@redhat.com (fa13843d1565 as posted)
 * @source commit 52ac8b358b0c (install_new_memslots waits for MMU-notifier invalidations; see below)
 * @description 07 with one change: memslot_rmap_alloc skips a level that is already allocated
 *   instead of WARNing and allocating over it, so an allocator call after a partial failure
 *   reuses what the failed call kept (B3 gone). The writer still snapshots `old` and copies
 *   `new.arch` before taking slots_arch_lock (bda44d844758 is not applied), so B4 remains:
 *   FLAGS_ONLY installs the snapshot's NULL rmaps while the flag is true, and DELETE/MOVE leak the
 *   rmaps allocated after the snapshot. OPEN (a): violated for aging notifiers (52ac8b358b0c makes
 *   install_new_memslots wait until no invalidate_range_start/end is in flight, which keeps
 *   invalidations from straddling an install, but aging notifiers do not take part; no
 *   invalidation notifier is modelled, so that wait always passes and is left out). OPEN (b):
 *   violated, as in 07. -D SNAPSHOT_UNDER_ARCH_LOCK=1 pairs this allocator with a writer without
 *   B4 (proofs/08_5.15_allocator.proof is about that configuration). Under ra it keeps
 *   sc's verdicts plus no-data-race: the first by-value snapshot, taken without
 *   slots_arch_lock and overwritten later, still races with the allocator's rmap stores.
 * @param SNAPSHOT_UNDER_ARCH_LOCK 1: bda44d844758's fix on this allocator: kvm_set_memslot takes `old` and `new.arch` again from its private copy, under slots_arch_lock, after the copy (DELETE/MOVE: after the refresh); the stale snapshot is overwritten before use (B4 gone; default 0)
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 1
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @config SNAPSHOT_UNDER_ARCH_LOCK=1
 * @defines ra WRITE_BACK_POINTERS=1
 * @expect sc rmaps-present violated
 * @expect sc active-rmaps violated
 * @expect sc no-leak violated
 * @expect sc stale-slot-rmaps violated
 * @expect sc commit-rmaps violated
 * @expect sc * holds
 * @expect sc SNAPSHOT_UNDER_ARCH_LOCK=1 commit-rmaps violated
 * @expect sc SNAPSHOT_UNDER_ARCH_LOCK=1 stale-slot-rmaps violated
 * @expect sc SNAPSHOT_UNDER_ARCH_LOCK=1 * holds
 * @expect ra active-rmaps violated
 * @expect ra commit-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra no-leak violated
 * @expect ra rmaps-present violated
 * @expect ra stale-slot-rmaps violated
 * @expect ra * holds
 * @expect ra SNAPSHOT_UNDER_ARCH_LOCK=1 commit-rmaps violated
 * @expect ra SNAPSHOT_UNDER_ARCH_LOCK=1 no-data-race violated
 * @expect ra SNAPSHOT_UNDER_ARCH_LOCK=1 stale-slot-rmaps violated
 * @expect ra SNAPSHOT_UNDER_ARCH_LOCK=1 * holds
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso stale-slot-rmaps violated
 * @expect tso * holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm stale-slot-rmaps violated
 * @expect lkmm * holds
 * UNDER lkmm (z3 events; one address space, one slot): sc's verdicts (docs/memory-model.md).
 * THE DESIGN: 07_v5_5.14.c with fa13843d1565 (SKIP_ALLOCATED_LEVELS in memslot_rmap_alloc).
 */
#define SKIP_ALLOCATED_LEVELS 1
#define SNAPSHOT_UNDER_ARCH_LOCK 0
#include "07_v5_5.14.c"

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm active-rmaps unsupported
 * @expect lkmm no-data-race unsupported
 * @expect tso active-rmaps unsupported
 */
