/*
 * @title  The review's sketch with `if (r) break;`: the break leaves only the slot loop
 * @source seed review: Re: [PATCH v2 7/7] KVM: x86/mmu: Lazily allocate memslot rmaps (Sean Christopherson, 2021-05-04; Message-ID YJGqzZ/8CS8mSx2c@google.com, inferred)
 * @source Message-ID 20210429211833.3361994-8-bgardon@google.com ([PATCH v2 7/7] KVM: x86/mmu: Lazily allocate memslot rmaps)
 * @description The sketch of 02 with the obvious repair of the loop body, `r = alloc(...); if (r)
 *   break;`. The break leaves only the inner (slot) loop: after a failure in address space 0 the
 *   loop goes on with address space 1, whose successful allocations overwrite r with 0, and the flag
 *   is published while the failed slot (and the ones after it) of address space 0 have no rmaps.
 *   B5: active-rmaps and rmaps-present violated (one allocation failure). As in 02, the missing
 *   re-check under the lock and the pure allocator also let a second vCPU allocate over the
 *   published rmaps (no-leak) or, if that fails, free them all while the flag stays true.
 * @thread kvm_set_user_memory_region
 * @thread vcpu x3
 * @faults 1
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
 * THE DESIGN: 02_review_sketch_literal.c (its header tells the harness) with the loop body
 * `r = alloc(...); if (r) break;` (SKETCH_INNER_BREAK).
 */
#define SKETCH_INNER_BREAK 1
#include "02_review_sketch_literal.c"

/*
 * What the z3 event engine leaves undecided under tso and lkmm (docs/memory-model.md, What
 * stays unsupported): acknowledged, so that verify --memory-model tso|lkmm exits 0. Here, at
 * the end, so that no line number of the model moves.
 * @expect lkmm no-data-race unsupported
 */
