"""x86-TSO (Owens, Sarkar, Sewell 2009; herd's x86tso.cat) as axioms: the hardware KVM x86 runs on.

Every store waits in its CPU's FIFO store buffer before it reaches memory, so a later load
may be satisfied before an earlier store to another cell is visible (store -> load
reordering), and a CPU reads its own buffered store early (rfi is not global order).
Everything else is ordered.

    acyclic po-loc | com                         as uniproc
    empty rmw & (fre ; coe)                      as atomic
    let ppo = po \\ (W * R)                       (program order but store -> load)
    let mfence = fencerel(smp_mb | synchronize_rcu | synchronize_srcu)
    let implied = po ; [LOCKED] | [LOCKED] ; po  (locked instructions are full fences)
    acyclic ppo | mfence | implied | rfe | co | fr  as tso

How the kernel's primitives map to x86 (arch/x86): smp_mb() is a locked operation or MFENCE;
every atomic read-modify-write and spin_lock (a LOCK-prefixed cmpxchg) is LOCKED;
smp_wmb(), smp_rmb(), smp_store_release(), smp_load_acquire() and spin_unlock() are plain
moves and compiler barriers, which TSO already orders. The RCU grace-period guarantee is
added as in axioms/gp.py.
"""

from __future__ import annotations

from rmapcheck.axioms.base import Axiom, Base, atomicity, coherence, run_checks
from rmapcheck.axioms.graph import ExecutionGraph
from rmapcheck.axioms.gp import grace_periods
from rmapcheck.axioms.relation import acyclic, cross, fencerel
from rmapcheck.axioms.verdict import Judgement


def checks(b, races: bool = True):
    """x86-TSO's axioms over a base (concrete or symbolic: axioms/base.py)."""
    yield Axiom("uniproc", coherence(b))
    yield Axiom("atomic", atomicity(b))
    M, po = b.M, b.po
    ppo = ([M] @ po @ [M]) - cross(b.W, b.R)
    mfence = [M] @ fencerel(po, b.tagged("smp_mb", "synchronize_rcu", "synchronize_srcu")) @ [M]
    locked = b.tagged("rmw", "LKR", "LKW") & M
    implied = ([M] @ po @ [locked]) | ([locked] @ po @ [M])
    ghb = ppo | mfence | implied | b.rfe | b.co | b.fr | b.extra
    yield Axiom("tso", acyclic(ghb))
    yield Axiom("rcu", grace_periods(b, ghb))


def judge(g: ExecutionGraph, races: bool = True) -> Judgement:
    return run_checks(checks(Base(g), races))


__all__ = ["checks", "judge"]
