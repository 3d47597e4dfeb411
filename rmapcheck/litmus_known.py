"""The documented known limitations of `rmapcheck litmus`: results that differ from LKMM's
for a reason that is understood, written down, and not a defect to hunt.

`rmapcheck litmus` reports such a result as `known limitation` (with the reason), not as
MISMATCH, and exits 0 when every other result matches its `Result:` line. Each entry is
for one memory model, one test name and one result: the same test giving any other result
is a MISMATCH again. docs/conformance.md shows the same explanations.

Under `lkmm` (the default: herd7's method, LKMM's axioms) there is none. `sc` and `tso` are
stronger than LKMM by design: an outcome that needs a reordering they forbid is `Never`
under them where LKMM says `Sometimes`, and they do not check data races (`sc_tso_limit`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    expected: str  # the Result: line (LKMM)
    got: str  # what the memory model answers
    why: str


_LOCK_FIX = (
    "To match, `ra` would make a lock acquisition a release fence for what LKMM's "
    "`po-unlock-lock-po` orders: at `spin_lock`, join into the thread's release view `rel` the view of "
    "the unlock message it reads (the previous holder's `cur` at `spin_unlock`) and the thread's own "
    "`cur` at its last `spin_unlock` of any lock. Making every `spin_lock` a full release fence "
    "would be too strong (a lock acquisition alone is only an acquire in LKMM). Not done, because "
    "even that join is stronger than LKMM: a view holds everything the thread has *seen*, its own "
    "writes and the writes it read, so the join would make `po-unlock-lock-po` A-cumulative, which "
    "LKMM's is not (it is in `cumul-fence` without `A-cumul`): a write the unlocking thread only read "
    "would become ordered for every observer, and `ra` could answer `Never` where LKMM says "
    "`Sometimes`. A view of the thread's own writes only, kept beside `cur`, would come closer; a false "
    "alarm is the safe side until then.")


KNOWN = {
    ("ra", "LB+poonceonces"): Known("Sometimes", "Never", (
        'Load buffering: each load must read the store that the other process makes *after* its own load.'
        ' `ra` is operational and has no promises (docs/memory-model.md): a load reads only stores that '
        'have already executed, so no execution closes this cycle. Class of programs affected: outcomes '
        "that need a load to see a store from later in another thread's program order with no dependency "
        'in between (LB shapes with ONCE or plain accesses). The KVM flag pattern is message passing (a '
        'reader missing a write that was made earlier), which `ra` explores fully; its bugs do not need a'
        ' load to read from the future.')),
    ("ra", "MP+polockonce+poacquiresilsil"): Known("Sometimes", "Never", (
        '`spin_is_locked()` is translated to a `READ_ONCE()` of the lock word. `ra` keeps only the latest'
        ' message of a lock word (a lock acquisition and a release replace it), so a load of the lock '
        'word always reads its current value: after seeing the store made inside the critical section it '
        'cannot still find the lock free from before the acquisition. LKMM allows that, because the '
        'acquisition is only an acquire: the store in the critical section can become visible before the '
        'lock word does. Class of programs affected: racy reads of a lock word (`spin_is_locked()`-style '
        'checks); the KVM models do not use them.')),
    ("ra", "ISA2+pooncelock+pooncelock+pombonce"): Known("Never", "Sometimes", (
        "In `ra` the lock carries P0's view to P1 (the unlock is a release store of the lock word, the "
        "lock an acquire of it), but P1's `WRITE_ONCE(*z, 1)` is a relaxed store whose message carries "
        "only P1's release-fence view, empty since P1 executes no `smp_wmb()`/`smp_mb()`; P2 reading z=1 "
        'therefore learns nothing about x. In LKMM the critical sections of one lock are ordered for '
        "every observer (`po-unlock-lock-po` is a cumul-fence), so P2's `smp_mb()` makes x visible. Class"
        ' of programs affected: a store after a lock acquisition read by a process that does not take the'
        ' lock, relying on the lock for ordering. A false alarm, never a missed bug. ' + _LOCK_FIX)),
    ("ra", "MP+unlocklockonceonce+fencermbonceonce"): Known("Never", "Sometimes", (
        'P0 separates its two stores by `spin_unlock(la); spin_lock(lb)`. In `ra` neither is a fence, so '
        "the second store is a relaxed message without P0's view of the first one, and P1's `smp_rmb()` "
        'has nothing to join. In LKMM an unlock followed in program order by a lock (`po-unlock-lock-po`)'
        ' orders the stores around it for every observer, like `smp_wmb()`. A false alarm, never a missed'
        ' bug. ' + _LOCK_FIX)),
    ("ra", "RCU+sync+read/reader-writes"): Known("Never", "Sometimes", (
        "The kernel's RCU+sync+read (the reader stores inside its critical section, the updater "
        "loads before and after `synchronize_rcu()`) is a false alarm under `ra`: `synchronize_rcu()` "
        "joins the views of the readers it waited for, but a read section that ended before the grace "
        "period started passes nothing, so the load after the grace period may miss a store the section "
        "made. LKMM's grace-period guarantee orders it. A false alarm, never a missed bug; the test of "
        "that name in tests/litmus has the other shape (the reader loads) and agrees.")),
}


def sc_tso_limit(memory_model: str, expected: str, got: str) -> str | None:
    """sc and tso forbid reorderings LKMM allows, and check no data race: by design."""
    if memory_model not in ("sc", "tso"):
        return None
    ew, _, eflag = expected.partition(" ")
    gw, _, gflag = got.partition(" ")
    if ew == gw and eflag and not gflag:
        return f"`{memory_model}` does not check data races (`lkmm` and `ra` do)"
    if ew in ("Sometimes", "Always") and gw == "Never" and not gflag:
        return (f"`{memory_model}` is stronger than LKMM by design: the outcome needs a reordering "
                f"`{memory_model}` forbids" + (" (and it checks no data race)" if eflag else ""))
    return None


def known_limitation(memory_model: str, name: str, expected: str | None, got: str) -> str | None:
    """The documented reason why this result differs from the expected one, or None."""
    if expected is None or expected == got:
        return None
    for (mm, key), k in KNOWN.items():
        if mm == memory_model and key.split("/")[0] == name and (k.expected, k.got) == (expected, got):
            return k.why
    return sc_tso_limit(memory_model, expected, got)


__all__ = ["KNOWN", "Known", "known_limitation", "sc_tso_limit"]
