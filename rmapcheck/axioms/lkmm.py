"""The Linux kernel memory model (LKMM), as axioms over one execution graph.

Written after tools/memory-model in the Linux tree (read in linux 6.19: linux-kernel.bell,
linux-kernel.cat, lock.cat); every definition below carries the name the .cat files give
it, in the same order, so the two can be read side by side. What differs is how the events
are made, not the axioms:

* locks (lock.cat): spin_lock is an LKR/LKW read-modify-write pair on the lock word, reading
  "unlocked" (0) and writing "locked" (1), spin_unlock an UL write of 0, spin_is_locked an
  RL/RU read. lock.cat builds co and rf of lock events by hand; here they are chosen like any
  other cell's, and the values (an LKR reads 0) plus coherence and atomicity give the same
  executions: LKR reads from the co-previous UL or initial write of its LKW.
* srcu_read_lock/srcu_read_unlock/synchronize_srcu are events on their srcu_struct; the
  read-side sections (srcu-rscs) are matched by nesting per srcu_struct, as rcu-rscs are.
* dependencies (addr, data, ctrl) are syntactic, as herd7's: from a read to every event
  whose address, value or (for ctrl) execution is computed from the value read.
"""

from __future__ import annotations

from rmapcheck.axioms.base import Axiom, Base, Flag, atomicity, coherence, run_checks
from rmapcheck.axioms.graph import PREFIX_END, ExecutionGraph
from rmapcheck.axioms.relation import acyclic, cross, empty, fencerel, irreflexive
from rmapcheck.axioms.verdict import Judgement


class _Sets:
    """linux-kernel.bell and lock.cat: the event classes (per skeleton)."""

    def __init__(self, b):
        t = b.tagged
        M, R, W = b.M, b.R, b.W
        self.LKR, self.LKW, self.UL = t("LKR"), t("LKW"), t("UL")
        self.RL, self.RU = t("RL"), t("RU")
        self.LF = self.RL  # lock.cat: "Treat RL as a kind of LF"
        self.RMW = t("rmw")  # events of atomic read-modify-write operations
        failed_rmw = self.RMW - (b.rmw.domain | b.rmw.range)  # FailedRMW = RMW \ (domain(rmw) | range(rmw))
        self.Noreturn = t("noreturn") - W  # Noreturn = NORETURN \ W
        # Acquire = ACQUIRE \ W \ FailedRMW (| LKR, lock.cat); Release likewise (| UL)
        self.Acquire = ((t("acquire") - W) - failed_rmw) | self.LKR
        self.Release = ((t("release") - R) - failed_rmw) | self.UL
        # Mb = MB \ FailedRMW: smp_mb() fences and fully ordered RMWs
        self.Mb = (t("smp_mb") | (t("mb") & M)) - failed_rmw
        self.Wmb, self.Rmb = t("smp_wmb"), t("smp_rmb")
        self.Barrier = t("barrier")
        self.Rcu_lock, self.Rcu_unlock, self.Sync_rcu = t("rcu_read_lock"), t("rcu_read_unlock"), t("synchronize_rcu")
        self.Srcu_lock, self.Srcu_unlock = t("srcu_read_lock"), t("srcu_read_unlock")
        self.Sync_srcu = t("synchronize_srcu")
        self.Prefix_end = t(PREFIX_END)  # virtual srcu_read_unlocks (axioms/graph.py)
        self.Before_atomic, self.After_atomic = t("smp_mb__before_atomic"), t("smp_mb__after_atomic")
        self.After_spinlock = t("smp_mb__after_spinlock")
        self.After_unlock_lock = t("smp_mb__after_unlock_lock")
        # Plain = M \ Marked: the accesses made without READ_ONCE/WRITE_ONCE or a primitive
        self.Plain = t("plain") & M
        self.Marked = ~self.Plain


class _Static:
    """Everything of linux-kernel.cat that depends on the code alone (not on rf or co)."""

    def __init__(self, b, S: _Sets):
        po, M, W = b.po, b.M, b.W
        self.po = po
        # Release Acquire
        self.acq_po = [S.Acquire] @ po @ [M]
        self.po_rel = [M] @ po @ [S.Release]
        # Fences
        self.R4rmb = b.R - S.Noreturn
        self.rmb = [self.R4rmb] @ fencerel(po, S.Rmb) @ [self.R4rmb]
        self.wmb = [W] @ fencerel(po, S.Wmb) @ [W]
        self.mb_static = (([M] @ fencerel(po, S.Mb) @ [M])
                          | ([M] @ po @ [S.Mb & b.R])
                          | ([S.Mb & W] @ po @ [M])
                          | ([M] @ fencerel(po, S.Before_atomic) @ [S.RMW] @ po.opt @ [M])
                          | ([M] @ po.opt @ [S.RMW] @ fencerel(po, S.After_atomic) @ [M])
                          | ([M] @ po.opt @ [S.LKW] @ fencerel(po, S.After_spinlock) @ [M]))
        self.gp = po @ [S.Sync_rcu | S.Sync_srcu] @ po.opt
        self.rcu_rscs = b.rcu_rscs
        self.srcu_rscs = b.srcu_rscs & b.loc
        # linux-kernel.bell: dependencies, before carry-dep (which needs rfi) extends them
        self.addr0, self.data0, self.ctrl0 = b.addr0, b.data0, b.ctrl0
        self.has_plain = bool(S.Plain)
        self.has_rcu = bool(self.rcu_rscs) or bool(self.srcu_rscs)
        self.has_gp = bool(S.Sync_rcu | S.Sync_srcu)


def _setup(b):
    S = b.static("lkmm-sets", lambda: _Sets(b))
    T = b.static("lkmm-static", lambda: _Static(b, S))
    return S, T


def judge(g: ExecutionGraph, races: bool = True) -> Judgement:
    """Does LKMM allow execution g? And which of its flags does g raise (data-race)?"""
    return run_checks(checks(Base(g), races))


def checks(b, races: bool = True):
    """linux-kernel.cat's axioms and flags over a base (concrete or symbolic: axioms/base.py),
    in the file's order."""
    S, T = _setup(b)
    po, rf, co, fr = b.po, b.rf, b.co, b.fr
    int_, ext, loc, id_ = b.int, b.ext, b.loc, b.id
    M, R, W, IW = b.M, b.R, b.W, b.IW
    Marked, Plain = S.Marked, S.Plain
    rfe, rfi, coe, fre = b.rfe, b.rfi, b.coe, b.fre

    # -- Fundamental coherence ordering ------------------------------------------------------
    # coherence: acyclic po-loc | com
    yield Axiom("coherence", coherence(b))
    # atomic: empty rmw & (fre ; coe)   (rmw includes lock.cat's lk-rmw)
    yield Axiom("atomic", atomicity(b))

    # -- Basic relations needing rf ------------------------------------------------------------
    # po-unlock-lock-po = po ; [UL] ; (po|rf) ; [LKR] ; po
    po_unlock_lock_po = po @ [S.UL] @ (po | rf) @ [S.LKR] @ po
    mb = T.mb_static
    if S.After_unlock_lock:
        mb = mb | ([M] @ po_unlock_lock_po @ [S.After_unlock_lock] @ po @ [M])
    strong_fence = mb | T.gp
    nonrw_fence = strong_fence | T.po_rel | T.acq_po
    fence = nonrw_fence | T.wmb | T.rmb

    # linux-kernel.bell: carry-dep = (data ; [~ Srcu-unlock] ; rfi)*, and addr, ctrl, data through it
    carried = T.data0 @ [~S.Srcu_unlock] @ rfi
    if carried:
        carry_dep = carried.star
        addr, ctrl, data = carry_dep @ T.addr0, carry_dep @ T.ctrl0, carry_dep @ T.data0
    else:  # carry-dep is the identity: nothing flows through memory inside a thread
        addr, ctrl, data = T.addr0, T.ctrl0, T.data0

    # -- Preserved Program Order ----------------------------------------------------------------
    dep = addr | data
    rwdep = (dep | ctrl) @ [W]
    overwrite = co | fr
    to_w = rwdep | (overwrite & int_) | (addr @ [Plain] @ T.wmb)
    to_r = (addr @ [R]) | (dep @ [Marked] @ rfi)
    ppo = to_r | to_w | (fence & int_) | (po_unlock_lock_po & int_)

    # -- Propagation: ordering from release operations and strong fences -----------------------
    def A_cumul(r):
        return (rfe @ [Marked]).opt @ r

    rmw_sequence = (rf @ b.rmw).star
    cumul_fence = [Marked] @ (A_cumul(strong_fence | T.po_rel) | T.wmb | po_unlock_lock_po) @ [Marked] @ rmw_sequence
    prop = [Marked] @ (overwrite & ext).opt @ cumul_fence.star @ [Marked] @ rfe.opt @ [Marked]

    # -- Happens Before ------------------------------------------------------------------------
    hb = [Marked] @ (ppo | rfe | ((prop - id_) & int_)) @ [Marked]
    yield Axiom("happens-before", acyclic(hb))

    # -- Write and fence propagation ordering --------------------------------------------------
    pb = prop @ strong_fence @ hb.star @ [Marked]
    yield Axiom("propagation", acyclic(pb))

    # -- RCU -----------------------------------------------------------------------------------
    if T.has_rcu or T.has_gp:
        rcu_fence = _rcu_fence(b, S, T, hb, pb, prop)
        # rb = prop ; rcu-fence ; hb* ; pb* ; [Marked];  irreflexive rb as rcu
        rb = prop @ rcu_fence @ hb.star @ pb.star @ [Marked]
        yield Axiom("rcu", irreflexive(rb))
        fence = fence | rcu_fence
        strong_fence = strong_fence | rcu_fence
    else:
        rb = b.empty_rel()

    if races and T.has_plain:
        yield from _plain(b, S, T, hb, pb, rb, prop, cumul_fence, rmw_sequence, fence, strong_fence,
                          nonrw_fence, addr)


def _rcu_fence(b, S: _Sets, T: _Static, hb, pb, prop):
    """rcu-fence = po ; rcu-order ; po?, with rcu-order the least fixed point of its definition."""
    po, loc = b.po, b.loc
    rcu_gp = b.ident(S.Sync_rcu)  # rcu-gp = [Sync-rcu]
    srcu_gp = b.ident(S.Sync_srcu)  # srcu-gp = [Sync-srcu]
    rcu_rscsi = T.rcu_rscs.inv
    srcu_rscsi = T.srcu_rscs.inv
    # rcu-link = po? ; hb* ; pb* ; prop ; po
    rcu_link = po.opt @ hb.star @ pb.star @ prop @ po
    # let rec rcu-order = ...
    start = (rcu_gp | srcu_gp
             | (rcu_gp @ rcu_link @ rcu_rscsi)
             | ((srcu_gp @ rcu_link @ srcu_rscsi) & loc)
             | (rcu_rscsi @ rcu_link @ rcu_gp)
             | ((srcu_rscsi @ rcu_link @ srcu_gp) & loc)
             # not linux-kernel.cat's: a section an execution prefix leaves open began after
             # every grace period of its srcu_struct that the prefix completes (it did not wait
             # for the section); a complete execution has no such section (axioms/graph.py)
             | ((cross(S.Sync_srcu, S.Prefix_end) @ srcu_rscsi) & loc))

    def step(order):
        return (order
                | (rcu_gp @ rcu_link @ order @ rcu_link @ rcu_rscsi)
                | ((srcu_gp @ rcu_link @ order @ rcu_link @ srcu_rscsi) & loc)
                | (rcu_rscsi @ rcu_link @ order @ rcu_link @ rcu_gp)
                | ((srcu_rscsi @ rcu_link @ order @ rcu_link @ srcu_gp) & loc)
                | (order @ rcu_link @ order))

    order = b.lfp(step, start)
    return po @ order @ po.opt


def _plain(b, S, T, hb, pb, rb, prop, cumul_fence, rmw_sequence, fence, strong_fence,
           nonrw_fence, addr):
    """The plain-access section: the plain-coherence axiom and the data-race flag."""
    po, rf, co, fr, ext = b.po, b.rf, b.co, b.fr, b.ext
    M, W, IW = b.M, b.W, b.IW
    Marked, Plain = S.Marked, S.Plain
    rfe = b.rfe
    # Executes-before and visibility
    xbstar = (hb | pb | rb).star
    vis = cumul_fence.star @ rfe.opt @ [Marked] @ ((strong_fence @ [Marked] @ xbstar) | (xbstar & b.int))
    # Boundaries for lifetimes of plain accesses
    rmb_rel = fencerel(po, S.Rmb)
    w_pre_bounded = [Marked] @ (addr | fence).opt
    r_pre_bounded = [Marked] @ (addr | nonrw_fence | ([T.R4rmb] @ rmb_rel @ [~S.Noreturn])).opt
    w_post_bounded = fence.opt @ [Marked] @ rmw_sequence
    r_post_bounded = (nonrw_fence | ([~S.Noreturn] @ rmb_rel @ [T.R4rmb])).opt @ [Marked]
    # Visibility and executes-before for plain accesses
    ww_vis = fence | (strong_fence @ xbstar @ w_pre_bounded) | (w_post_bounded @ vis @ w_pre_bounded)
    wr_vis = fence | (strong_fence @ xbstar @ r_pre_bounded) | (w_post_bounded @ vis @ r_pre_bounded)
    rw_xbstar = fence | (r_post_bounded @ xbstar @ w_pre_bounded)
    b.named.update({"rw-xbstar": rw_xbstar, "ww-vis": ww_vis, "wr-vis": wr_vis})  # for lifetimes
    # Potential races: pre-race = ext & ((Plain * M) | ((M \ IW) * Plain))
    pre_race = ext & (cross(Plain, M) | cross(M - IW, Plain))
    # Coherence requirements for plain accesses
    wr_incoh = pre_race & rf & rw_xbstar.inv
    rw_incoh = pre_race & fr & wr_vis.inv
    ww_incoh = pre_race & co & ww_vis.inv
    yield Axiom("plain-coherence", empty(wr_incoh | rw_incoh | ww_incoh))
    # Actual races
    ww_nonrace = ww_vis & (cross(Marked, W) | rw_xbstar) & (cross(W, Marked) | wr_vis)
    ww_race = (pre_race & co) - ww_nonrace
    wr_race = ((pre_race & (co.opt @ rf)) - wr_vis) - rw_xbstar.inv
    rw_race = (pre_race & fr) - rw_xbstar
    yield Flag("data-race", ww_race | wr_race | rw_race)


__all__ = ["checks", "judge"]
