/*
 * @title  Mutant of 5.16: the flag published before the allocation loop
 * @source commit b10a038e84d1 ("KVM: mmu: Add slots_arch_lock for memslot arch fields")
 * @source commit 1e76a3ce0d3c ("KVM: cleanup allocation of rmaps and page tracking data")
 * @source commit bda44d844758 ("KVM: Ensure local memslot copies operate on up-to-date arch-specific data")
 * @source Message-ID 20210429211833.3361994-8-bgardon@google.com (v2 set alloc_memslot_rmaps this early, for slot creation only)
 * @description mmu_first_shadow_root_alloc stores the flag (release) right after the re-check, before
 *   allocating. A vCPU whose fast path reads it true faults and walks a slot that has no rmaps yet
 *   (rmaps-present), and the invariant breaks as soon as the flag is stored (active-rmaps). (With an
 *   allocation failure, which this mutant leaves out, the flag would even stay true over the slots
 *   the failed call left without rmaps.)
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 0
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1
 * @expect sc active-rmaps violated
 * @expect sc rmaps-present violated
 * @expect sc * holds
 * @expect ra active-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra rmaps-present violated
 * @expect ra * holds
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso active-rmaps unsupported
 * @expect tso rmaps-present violated
 * @expect tso * holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm active-rmaps unsupported
 * @expect lkmm rmaps-present violated
 * @expect lkmm * holds
 * UNDER lkmm (z3 events; one address space, one slot): sc's verdicts (docs/memory-model.md).
 * THE MUTANT: 09_5.16.c (Linux 5.16, where every property of the allocator and the writer
 * holds) with ONE change, MUTANT_FLAG_BEFORE_ALLOC
 * (marked MUTATION in mmu_first_shadow_root_alloc in 09_5.16.c).
 * To keep its verdicts down to its own bug, the two readers of the OPEN questions are left out
 * (AGING_NOTIFIER=0, COMMIT_RMAPS_CHECK=0; 09 settles them), vcpu.0 faults on the last boot
 * slot, and no allocation fails (@faults 0: 09 checks the failure paths of the same code).
 */
#define AGING_NOTIFIER 0
#define COMMIT_RMAPS_CHECK 0
#define FAULT_ON_LAST_SLOT 1
#define MUTANT_FLAG_BEFORE_ALLOC 1
#include "09_5.16.c"

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm no-data-race unsupported
 */
