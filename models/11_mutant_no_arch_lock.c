/*
 * @title  Mutant of 5.16: slots_arch_lock taken only after the array is duplicated (B8)
 * @source commit b10a038e84d1 ("KVM: mmu: Add slots_arch_lock for memslot arch fields")
 * @source commit 1e76a3ce0d3c ("KVM: cleanup allocation of rmaps and page tracking data")
 * @source commit bda44d844758 ("KVM: Ensure local memslot copies operate on up-to-date arch-specific data")
 * @source Message-ID YJrZKkW9Cb9t+fU5@google.com (the rule: hold the lock from the copy until the install)
 * @description kvm_set_memslot duplicates the installed array before it takes slots_arch_lock, so the
 *   lock no longer covers duplication..install. B8: a vCPU allocates into the installed array and
 *   publishes between the writer's copy and its install; the writer then installs its copy, whose
 *   slots have no rmaps, while the flag is true (active-rmaps, rmaps-present), and the rmaps the vCPU
 *   allocated are dropped with the previous array (no-leak).
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 0
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1
 * @expect sc active-rmaps violated
 * @expect sc rmaps-present violated
 * @expect sc no-leak violated
 * @expect sc * holds
 * @expect ra active-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra no-leak violated
 * @expect ra rmaps-present violated
 * @expect ra * holds
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso active-rmaps unsupported
 * @expect tso no-leak violated
 * @expect tso rmaps-present violated
 * @expect tso * holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm active-rmaps unsupported
 * @expect lkmm no-leak violated
 * @expect lkmm rmaps-present violated
 * @expect lkmm * holds
 * UNDER lkmm (z3 events; one address space, one slot): sc's verdicts (docs/memory-model.md).
 * THE MUTANT: 09_5.16.c (Linux 5.16, where every property of the allocator and the writer
 * holds) with ONE change, MUTANT_NO_ARCH_LOCK
 * (marked MUTATION in kvm_set_memslot in include/kvm_arrays.h).
 * To keep its verdicts down to its own bug, the two readers of the OPEN questions are left out
 * (AGING_NOTIFIER=0, COMMIT_RMAPS_CHECK=0; 09 settles them), vcpu.0 faults on the last boot
 * slot, and no allocation fails (@faults 0: 09 checks the failure paths of the same code).
 */
#define AGING_NOTIFIER 0
#define COMMIT_RMAPS_CHECK 0
#define FAULT_ON_LAST_SLOT 1
#define MUTANT_NO_ARCH_LOCK 1
#include "09_5.16.c"

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm no-data-race unsupported
 */
