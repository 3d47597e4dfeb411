/*
 * The vCPU threads of every era: KVM_RUN's srcu read section, the aging notifier (vcpu.1, with
 * AGING_NOTIFIER), the first shadow root's allocator (the design's: which one, the DESIGN_
 * switch of include/kvm_arrays.h says; 5.16 on: mmu_first_shadow_root_alloc), then vcpu.0's
 * shadow page fault. A vCPU whose KVM_RUN failed (-ENOMEM) runs it again, NR_RUNS times.
 */
#pragma once

void vcpu(int id)
{
	int run, idx, r;

	if (id >= NR_VCPUS)
		return;
	for (run = 0; run < NR_RUNS; run++) {
		idx = srcu_read_lock(&kvm.srcu);		/* KVM_RUN */
#if AGING_NOTIFIER
		if (id == 1 && run == 0)
			kvm_mmu_notifier_clear_young(&kvm);	/* host reclaim in this task */
#endif
#if DESIGN_SEED_V2
		r = activate_shadow_mmu(&kvm);		/* mmu_alloc_shadow_roots */
#elif DESIGN_REVIEW_SKETCH
		r = kvm_activate_rmaps(&kvm);		/* mmu_alloc_shadow_roots */
#elif DESIGN_MEMSLOTS_HAVE_RMAPS
		r = alloc_all_memslots_rmaps(&kvm);		/* mmu_alloc_shadow_roots */
#else
		r = mmu_first_shadow_root_alloc(&kvm);		/* mmu_alloc_shadow_roots */
#endif
		if (!r && id == 0)
			shadow_page_fault(&kvm);
		srcu_read_unlock(&kvm.srcu, idx);
		if (!r)
			break;				/* -ENOMEM: userspace may run it again */
	}
}
