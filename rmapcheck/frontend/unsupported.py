"""Kernel primitives the model language knows of but does not model, and why.

A model (or litmus test) that calls one gets this reason instead of the message
for a typo, so that nobody writes a stand-in that adds ordering the kernel does
not have. Any other unknown name gets the closest known names.
"""

from __future__ import annotations

import difflib

_TRYLOCK = ("a lock attempt that may fail is not modelled: write the lock, or choose the failure "
            "with __VERIFIER_nondet_bool() and skip the critical section")
_RWLOCK = "reader-writer locks are not modelled: a mutex or spinlock_t gives the writer's exclusion"
_RCU_FLAVOUR = "only the plain RCU flavour is modelled (rcu_read_lock/rcu_read_unlock, synchronize_rcu)"
_NONATOMIC_BIT = ("the non-atomic bit operations are plain read-modify-writes: write the read and the store "
                  "(x = READ_ONCE(w); WRITE_ONCE(w, x | bit)) so that their race is visible")

KNOWN_UNSUPPORTED = {
    "smp_store_mb": "not modelled: write WRITE_ONCE() followed by smp_mb()",
    "smp_load_mb": "not modelled: write smp_mb() followed by READ_ONCE()",
    "spin_trylock": _TRYLOCK,
    "mutex_trylock": _TRYLOCK,
    "mutex_lock_interruptible": "a lock attempt a signal can interrupt is not modelled: write mutex_lock()",
    "mutex_lock_killable": "a lock attempt a signal can interrupt is not modelled: write mutex_lock()",
    "spin_unlock_wait": "not modelled (it is gone from the kernel: take and release the lock)",
    "spin_lock_irqsave": "interrupts are not modelled: write spin_lock()",
    "spin_unlock_irqrestore": "interrupts are not modelled: write spin_unlock()",
    "spin_lock_irq": "interrupts are not modelled: write spin_lock()",
    "spin_unlock_irq": "interrupts are not modelled: write spin_unlock()",
    "spin_lock_bh": "softirqs are not modelled: write spin_lock()",
    "spin_unlock_bh": "softirqs are not modelled: write spin_unlock()",
    "read_lock": _RWLOCK, "read_unlock": _RWLOCK, "write_lock": _RWLOCK, "write_unlock": _RWLOCK,
    "down_read": _RWLOCK, "up_read": _RWLOCK, "down_write": _RWLOCK, "up_write": _RWLOCK,
    "call_rcu": "asynchronous callbacks are not modelled: write synchronize_rcu() and then the callback's body",
    "kfree_rcu": "asynchronous callbacks are not modelled: write synchronize_rcu() and then kfree()",
    "call_srcu": "asynchronous callbacks are not modelled: write synchronize_srcu() and then the callback's body",
    "rcu_barrier": "asynchronous callbacks are not modelled, so there is nothing to wait for",
    "srcu_barrier": "asynchronous callbacks are not modelled, so there is nothing to wait for",
    "rcu_read_lock_bh": _RCU_FLAVOUR, "rcu_read_unlock_bh": _RCU_FLAVOUR,
    "rcu_read_lock_sched": _RCU_FLAVOUR, "rcu_read_unlock_sched": _RCU_FLAVOUR,
    "synchronize_rcu_tasks": _RCU_FLAVOUR,
    "smp_cond_load_acquire": "a spinning load is not modelled: loop on smp_load_acquire() with a bound",
    "smp_cond_load_relaxed": "a spinning load is not modelled: loop on READ_ONCE() with a bound",
    "atomic_dec_if_positive": "not modelled: write it with atomic_try_cmpxchg() in a bounded loop",
    "atomic_dec_unless_positive": "not modelled: write it with atomic_try_cmpxchg() in a bounded loop",
    "atomic_inc_unless_negative": "not modelled: write it with atomic_try_cmpxchg() in a bounded loop",
    "__set_bit": _NONATOMIC_BIT, "__clear_bit": _NONATOMIC_BIT, "__test_and_set_bit": _NONATOMIC_BIT,
    "__test_and_clear_bit": _NONATOMIC_BIT,
    "wait_event": "sleeping and wake-ups are not modelled: assume the condition with __VERIFIER_assume()",
    "wake_up": "sleeping and wake-ups are not modelled",
    "schedule": "the scheduler is not modelled: every interleaving is explored anyway",
    "cond_resched": "the scheduler is not modelled: every interleaving is explored anyway",
    "local_irq_save": "interrupts are not modelled",
    "local_irq_restore": "interrupts are not modelled",
    "preempt_disable": "preemption is not modelled: every interleaving is explored anyway",
    "preempt_enable": "preemption is not modelled: every interleaving is explored anyway",
    "percpu_ref_get": "per-CPU reference counts are not modelled: use an atomic_t",
    "percpu_ref_put": "per-CPU reference counts are not modelled: use an atomic_t",
    "refcount_inc": "refcount_t is not modelled: use atomic_inc() on an atomic_t (refcount_t adds saturation)",
    "refcount_dec_and_test": "refcount_t is not modelled: use atomic_dec_and_test() on an atomic_t",
    "kref_get": "kref is not modelled: use atomic_inc() on an atomic_t",
    "kref_put": "kref is not modelled: use atomic_dec_and_test() on an atomic_t and call the release",
}


def unsupported_message(name: str) -> str | None:
    why = KNOWN_UNSUPPORTED.get(name)
    if why is None:
        return None
    return f"'{name}' is a kernel primitive rmapcheck does not model: {why}"


def did_you_mean(name: str, known) -> str:
    """' (did you mean 'x' or 'y'?)' for the closest known names, or ''."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=3, cutoff=0.75)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


__all__ = ["KNOWN_UNSUPPORTED", "unsupported_message", "did_you_mean"]
