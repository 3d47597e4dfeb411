/*
 * @title  Mutant of 5.16: slots_arch_lock held across synchronize_srcu (B7)
 * @source commit b10a038e84d1 ("KVM: mmu: Add slots_arch_lock for memslot arch fields")
 * @source commit 1e76a3ce0d3c ("KVM: cleanup allocation of rmaps and page tracking data")
 * @source commit bda44d844758 ("KVM: Ensure local memslot copies operate on up-to-date arch-specific data")
 * @source Message-ID 20210518173414.450044-5-bgardon@google.com (the rule: release before synchronize_srcu)
 * @description install_new_memslots drops slots_arch_lock after synchronize_srcu instead of before.
 *   B7: a vCPU in its srcu read section waits for slots_arch_lock in the allocator while the writer
 *   holds it and waits in synchronize_srcu for that read section (no-deadlock; lock-order: an
 *   srcu read section -> slots_arch_lock edge and a slots_arch_lock -> synchronize_srcu edge).
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 0
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1
 * @expect sc no-deadlock violated
 * @expect sc lock-order violated
 * @expect sc * holds
 * @expect ra lock-order violated
 * @expect ra no-data-race violated
 * @expect ra no-deadlock violated
 * @expect ra * holds
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso lock-order violated
 * @expect tso no-deadlock unsupported
 * @expect tso * holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm lock-order violated
 * @expect lkmm no-deadlock unsupported
 * @expect lkmm * holds
 * UNDER lkmm (z3 events; one address space, one slot): sc's verdicts (docs/memory-model.md).
 * THE MUTANT: 09_5.16.c (Linux 5.16, where every property of the allocator and the writer
 * holds) with ONE change, MUTANT_LOCK_ACROSS_SYNC
 * (marked MUTATION in install_new_memslots in include/kvm_arrays.h).
 * To keep its verdicts down to its own bug, the two readers of the OPEN questions are left out
 * (AGING_NOTIFIER=0, COMMIT_RMAPS_CHECK=0; 09 settles them), vcpu.0 faults on the last boot
 * slot, and no allocation fails (@faults 0: 09 checks the failure paths of the same code).
 */
#define AGING_NOTIFIER 0
#define COMMIT_RMAPS_CHECK 0
#define FAULT_ON_LAST_SLOT 1
#define MUTANT_LOCK_ACROSS_SYNC 1
#include "09_5.16.c"

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm active-rmaps unsupported
 * @expect lkmm no-data-race unsupported
 * @expect lkmm no-leak unsupported
 * @expect tso active-rmaps unsupported
 * @expect tso no-leak unsupported
 */
