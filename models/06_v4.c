/*
 * @title  v4: re-check under slots_arch_lock, but that path returns without unlocking
 * @source Message-ID 20210511171610.170160-8-bgardon@google.com ([PATCH v4 7/7] KVM: x86/mmu: Lazily allocate memslot rmaps)
 * @source Message-ID YJrTs6LlHFWSdGc7@google.com (review of v4 7/7: the re-check path keeps the lock)
 * @source Message-ID YJrZKkW9Cb9t+fU5@google.com (review of v4 4/7: missing unlocks in kvm_set_memslot)
 * @description The allocator gains the re-check under the lock, but returns 0 from it with the lock
 *   held. B1 on the re-check path: a vCPU that read the flag false and took the lock after another
 *   vCPU published leaves KVM_RUN holding slots_arch_lock (no-lock-leak) and the writer then waits
 *   forever (no-deadlock); the writer's own B1 paths are still there. memslot_rmap_alloc WARNs and
 *   allocates over a level already allocated: B3 (a call after a partial failure: no-warn, no-leak).
 *   B4 (rmaps-present, active-rmaps, no-leak) and OPEN (b) (commit-rmaps) as in v2/v3.
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 1
 * @invariant active-rmaps active_slots_have_rmaps
 * @memory-models sc ra
 * @config NR_SLOTS=3
 * @defines ra WRITE_BACK_POINTERS=1
 * @expect sc no-lock-leak violated
 * @expect sc no-deadlock violated
 * @expect sc no-warn violated
 * @expect sc no-leak violated
 * @expect sc rmaps-present violated
 * @expect sc active-rmaps violated
 * @expect sc commit-rmaps violated
 * @expect sc * holds
 * @expect ra active-rmaps violated
 * @expect ra commit-rmaps violated
 * @expect ra no-data-race violated
 * @expect ra no-deadlock violated
 * @expect ra no-leak violated
 * @expect ra no-lock-leak violated
 * @expect ra no-warn violated
 * @expect ra rmaps-present violated
 * @expect ra * holds
 * @config tso
 * @config tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect tso active-rmaps unsupported
 * @expect tso commit-rmaps violated
 * @expect tso no-deadlock violated
 * @expect tso no-leak violated
 * @expect tso no-lock-leak violated
 * @expect tso no-warn violated
 * @expect tso rmaps-present violated
 * @expect tso * holds
 * @expect tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0 active-rmaps unsupported
 * @expect tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0 commit-rmaps holds
 * @expect tso NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0 rmaps-present holds
 * UNDER tso (x86-TSO, the z3 event engine): sc's verdict for every property tso decides
 *   (docs/memory-model.md: x86 reorders only a store before a later load of another cell).
 * @config lkmm NR_AS=1 NR_SLOTS=1 WRITER_CHANGE=0
 * @expect lkmm no-deadlock violated
 * @expect lkmm no-leak violated
 * @expect lkmm no-lock-leak violated
 * @expect lkmm no-warn violated
 * @expect lkmm * holds
 * UNDER lkmm (z3 events; one address space, one slot): sc's verdicts (docs/memory-model.md).
 * THE HARNESS: the series as posted, writer included (WRITER_SERIES: snapshot `old` and
 * `new.arch` holding slots_lock only (B4), kvm_set_memslot without the unlocks b10a038e84d1 added
 * (B1), commit hook walking the stack copy `new` (OPEN (b))). No MMU notifier: OPEN (a) is
 * settled in 07 to 10. vcpu.0 faults on slot FAULT_SLOT = 0 of address space 0.
 * THE DESIGN: 07_v5_5.14.c's allocator as v4 posted it (POSTING_V4: the re-check under the
 * lock returns without unlocking, B1) and memslot_rmap_alloc's WARN (v4 6/7).
 */
#define WRITER_SERIES 1
#define AGING_NOTIFIER 0
#define FAULT_SLOT 0
#define POSTING_V4 1
#include "07_v5_5.14.c"

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm active-rmaps unsupported
 * @expect lkmm no-data-race unsupported
 */
