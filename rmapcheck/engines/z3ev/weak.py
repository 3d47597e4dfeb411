"""Weak memory (x86-TSO, LKMM) in the event engine: rf and co chosen free of the clocks, the
memory model's axioms (rmapcheck/axioms, the text the concrete judge runs) compiled to z3
through axioms/symexec.py.

What changes from sequential consistency (execution.py):

* rf: a read reads from any executed write to its cell whose value it returns, or from the
  initial value (the global's initialiser, 0 in a fresh heap object); no clock order.
* co: an integer co-rank per write; two executed writes to one cell have different ranks
  (a total order per cell), the initial value is rank 0 (before every write).
* initial writes: one IW event per distinct read address (reads with the same address term
  share one). An IW has no incoming edge in any relation (no po, no rf or co into it), so
  it only starts paths: splitting the one initial write of a cell into copies, each with the
  rf edges of its own reads and the co edges to every write of the cell, changes no cycle,
  no irreflexive pair, no empty check and no race flag (IW is neither Plain nor in M \\ IW).
* dependencies (LKMM's addr, data, ctrl before carry-dep): from a read to a po-later event
  whose address (addr), written value (data) or path condition (ctrl) contains the read's
  value variables. In an address or value term the condition of an If (a merge of paths,
  a comparison) is not followed: herd counts a branch as ctrl, which the path condition
  already carries, and a dependency left out only allows more executions.
* the clocks stay, as a prefix selector only: a step happens when its guard holds and its
  clock is at most the horizon T, so the executed steps of each thread are a po-prefix of
  its path; nothing else constrains a clock (no read waits for a clock).

What a violation means: a set of events that is po-prefix-closed per thread, rf-closed (every
executed read reads from an executed write or the initial value), consistent under the
memory model's axioms, in which a thread's failing site is reached (the site's step is at
T). Why that is sound for `holds`: every violation in a complete execution of the program
shows in such a prefix (take every event up to the failing step of its thread and every
event of the other threads), and the axioms survive restriction to a po- and rf-closed
subset: every relation of sc.py, tso.py and lkmm.py is built from po, rf, co, fr, the
dependencies, rmw and static event sets by union, intersection, composition, closure,
inverse and difference with static sets, so on the subset it is contained in the full
execution's relation restricted to it, and acyclic, irreflexive and empty checks of a
smaller relation still hold. (A fence between two prefix events is in the prefix: po-prefix.)

Locks (lock.cat): a lock is its LKR/LKW read-modify-write on the lock word that must read 0
(unlocked) and writes the owner, an unlock a UL write of 0; coherence and atomicity give
lock.cat's mutual exclusion (an LKR reads from the co-previous UL or the initial write of
its LKW), and LKR/UL are acquire/release for LKMM. A thread blocked on a lock is a prefix
that ends before its lock step.

SRCU: synchronize_srcu is LKMM's Sync-srcu fence event (a strong fence; under tso a full
fence). Read-side critical sections are paired per path (WeakEncoding.sections): each outer
srcu_read_lock with the first outer srcu_read_unlock of its srcu_struct after it that
happens, or, when the prefix ends inside the section, with a virtual unlock at the end of
the thread (tagged PREFIX_END: such a section began after every grace period of its domain
that the prefix completes). The pairs are LKMM's srcu-rscs (rcu-order) and the sections of
tso's grace-period axiom (axioms/gp.py) alike.

The heap: a free is no event of LKMM or TSO; lifetime.py makes it one (a plain write of the
object) and decides no-use-after-free and no-double-free over it, and no-leak over the final
memory (co-last values) of complete executions (its docstring has the definitions). An access to a freed object does not stop its thread (more executions: sound).
Allocation failures are free choices within the fault budget (@faults), as under sc.

no-deadlock is decided for waits at locks (properties.deadlock); where an execution may end
waiting in synchronize_srcu for good (lifetime.srcu_hang, an over-approximation) and no
deadlock of lock waits exists, it is `unsupported`. lock-order is decided from one thread's program order in
a consistent prefix per edge (weak_edges.py). Not decided under a weak model (verdict
`unsupported`, never `holds`): @invariants (predicates over a global state, which a weak
execution does not have), and no-data-race under lkmm (LKMM's data-race flag over a prefix
needs the executions that complete it: not encoded yet; docs/memory-model.md says why).

The unwinding check is the same as under sc (engine.py): no execution, of any memory model,
needs more loop iterations than unrolled, else the verdict is `incomplete`.

Every witness is turned into a concrete execution graph and judged by the memory model's
concrete axioms (rmapcheck.axioms, no z3); a graph they reject is an internal error (exit 4).
"""

from __future__ import annotations

from contextlib import contextmanager
from itertools import takewhile

import z3

from rmapcheck.axioms import judge
from rmapcheck.axioms.base import Axiom
from rmapcheck.axioms.formula import Formulas
from rmapcheck.axioms.graph import PREFIX_END, Event as GEvent, ExecutionGraph, GraphError, Skeleton
from rmapcheck.axioms.symexec import SymbolicExecution, SymEvent
from rmapcheck.engines.z3ev import values as V
from rmapcheck.engines.z3ev.execution import Encoding
from rmapcheck.engines.z3ev.values import AND, NOT, B
from rmapcheck.engines.z3ev.witness import ModelReader
from rmapcheck.errors import InternalError
from rmapcheck.ir import nodes as ir

MODELS = ("tso", "lkmm")

UNSUPPORTED = {
    ir.P_RACE: "LKMM's data-race flag is one of complete executions and needs its closures exactly where "
               "negated: not encoded for programs (rmapcheck litmus decides it)",
}
INVARIANT = "an @invariant is a predicate over a global state, which a weak execution does not have"


def checks_of(memory_model: str):
    if memory_model == "sc":  # the weak encoding under sc: lifetime.py's differential test
        from rmapcheck.axioms.sc import checks
    elif memory_model == "tso":
        from rmapcheck.axioms.tso import checks
    elif memory_model == "lkmm":
        from rmapcheck.axioms.lkmm import checks
    else:
        raise ValueError(memory_model)
    return checks


def axioms_of(memory_model: str):
    """The model's axioms without its flags: lkmm's plain-coherence axiom is kept (it is an
    axiom, computed with races=True), its data-race flag is not built (no-data-race is not
    decided here, and its negated closures would force the exact, slower closure encoding)."""
    checks = checks_of(memory_model)

    def axioms(b, races=True):
        return takewhile(lambda c: isinstance(c, Axiom), checks(b, races))

    return axioms


def unsupported(program: ir.Program) -> dict:
    """property -> why a weak model leaves it undecided."""
    out = dict(UNSUPPORTED)
    for inv in program.invariants:
        out[inv.prop] = INVARIANT
    return out


class WeakEncoding(Encoding):
    """execution.Encoding with rf and co free of the clocks and a memory model's axioms."""

    clock_order = False  # the clocks select a prefix only (under the sc axioms too)

    def __init__(self, prog, memory_model: str, lazy: bool = False):
        """lazy: the model's expensive axioms wait for a candidate that needs them (lazy.py;
        the engine's solver is then lazy.RefiningSolver over self.lazy)."""
        self.memory_model = memory_model
        self.lazy = lazy
        self.rank: dict = {}
        prog.observer_sites = []  # invariants are not evaluated (unsupported), nor their own faults
        super().__init__(prog)

    # -- the interface (execution.py's) ------------------------------------------------------
    def co(self, w1, w2):
        return AND(self.executed(w1), self.executed(w2), V.eq(w1.addr, w2.addr), self.rank[w1.eid] < self.rank[w2.eid])

    # -- building --------------------------------------------------------------------------
    def build(self) -> None:
        P = self.prog
        self.events = [e for e in P.events if e.tid < P.nthreads]
        for w in self._writes:
            self.rank[w.eid] = r = z3.Int(f"co{w.eid}", self.ctx)
            self.facts.append(r >= 1)
        for e in self.events:
            if e.kind == "R":
                self.facts += self.read(e)
        self.facts += self.lock_reads()
        self.facts += self.heap(P.accesses)
        self.facts += self.budget_and_stops()
        self.facts += self.distinct_ranks()
        self._values: dict = {}  # the value sets are final: each address term's values computed once
        with self.values_memo():
            self.sym = self.symbolic(self.free_events())
            self.facts += self.sym.facts
            if self.lazy:
                from rmapcheck.engines.z3ev.lazy import LazyAxioms

                self.lazy = LazyAxioms(self.sym, checks_of(self.memory_model), self.memory_model,
                                       self.values_memo)
                self.lazy.start()  # asserted by lazy.RefiningSolver, the engine's solver
                return
            consistent, _ = self.sym.encode(axioms_of(self.memory_model), races=True)
        self.facts.append(consistent)

    @contextmanager
    def values_memo(self):
        V.MEMO[0] = self._values
        try:
            yield
        finally:
            V.MEMO[0] = None

    def relations(self) -> None:
        """Every relation of the memory model built (lifetime.py reads the named ones)."""
        if self.lazy:
            self.lazy.build_all()

    def first_failing(self, model: z3.ModelRef):
        """The first axiom of the memory model that the execution of a z3 model fails (None
        if the model allows it): lazy.RefiningSolver's judge, the concrete one."""
        g = CandidateGraph(self, model).graph()
        try:
            j = judge(self.memory_model, g, races=True)
        except GraphError as e:
            raise InternalError(f"z3 witness is not an execution graph: {e}") from None
        return None if j.consistent else j.failed

    def free_events(self) -> tuple:
        """lkmm: lifetime.py's free events, in the one graph every query shares, so that
        no-use-after-free reads its ordering relations from this build instead of making LKMM's
        relations a second time. A free is a plain write to a cell of its own (in no rf, co or
        po-loc edge, no closure's base: every closure of lkmm.py is over [Marked] events or rfi),
        so it adds pairs only to relations that end at it (fence, ppo, the -vis relations),
        never to an axiom's: the executions allowed are the same (lifetime.py's docstring).
        sc and tso add an edge to their axioms per pair instead: their own build."""
        if self.memory_model != "lkmm" or not self.prog.frees:
            return ()
        from rmapcheck.engines.z3ev.lifetime import lifetimes

        return tuple(lifetimes(self).frees)

    def read(self, r) -> list:
        """rf of one read: any executed write to its cell with its value, or the initial value."""
        out, choices = [], []
        for w in self.candidates(r):
            v = z3.Bool(f"rf_{w.eid}_{r.eid}", self.ctx)
            out.append(z3.Implies(v, B(AND(self.executed(w), V.eq(w.addr, r.addr), V.eq(w.value, r.value)))))
            choices.append((w.eid, v))
        v0 = z3.Bool(f"rf_init_{r.eid}", self.ctx)
        out.append(z3.Implies(v0, B(V.eq(r.value, self.initial(r.addr)))))
        choices.append((None, v0))
        vs = [v for _, v in choices]
        out.append(z3.If(B(self.executed(r)), z3.PbEq([(v, 1) for v in vs], 1), z3.Not(z3.Or(*vs))))
        self.rf[r.eid] = choices
        return out

    def distinct_ranks(self) -> list:
        out = []
        ws = [w for w in self._writes if w.tid < self.prog.nthreads]
        for k, a in enumerate(ws):
            for b in ws[k + 1:]:
                if not V.may_equal(a.addr, b.addr):
                    continue
                both = AND(self.executed(a), self.executed(b), V.eq(a.addr, b.addr))
                if both is not False:
                    out.append(z3.Implies(B(both), self.rank[a.eid] != self.rank[b.eid]))
        return out

    def alive(self, j: int, t, but=None):
        return True  # no lifetime under a weak model (the module docstring)

    # -- the symbolic execution graph ----------------------------------------------------------
    def symbolic(self, extra: tuple = (), F=None) -> SymbolicExecution:
        """IW events (one per distinct read address) then the threads' events, for symexec.
        extra: events of no step's event list (lifetime.py's frees), po-after their step's
        events, with no address in the graph (their addr is only a dependency source)."""
        P = self.prog
        sym: list = []
        events = self.events + list(extra)
        extra_of: dict = {}
        for e in extra:
            extra_of.setdefault(e.step, []).append(e.eid)
        self.iw_of: dict = {}  # read eid -> IW index
        iw_by_addr: dict = {}
        for e in self.events:
            if e.kind != "R":
                continue
            k = _addr_key(e.addr)
            if k not in iw_by_addr:
                iw_by_addr[k] = len(sym)
                sym.append(SymEvent(len(sym), -1, "IW", frozenset(("IW",)), True, e.addr, self.initial(e.addr),
                                    "init"))
            self.iw_of[e.eid] = iw_by_addr[k]
        self.idx: dict = {}  # program eid -> symbolic index
        for e in events:
            self.idx[e.eid] = len(sym)
            sym.append(SymEvent(len(sym), e.tid, e.kind, self.tags(e), self.executed(e),
                                None if e.eid in extra_of.get(e.step, ()) else e.addr, e.value, e.label,
                                e.loc.line if e.loc else 0))
        ix = self.idx
        po, rmw = [], []
        last: dict = {}
        for s in P.steps:
            if s.tid >= P.nthreads:
                continue
            for eid in s.events + extra_of.get(s.sid, []):
                if s.tid in last:
                    po.append((last[s.tid], ix[eid]))
                last[s.tid] = ix[eid]
            pair = s.info.get("rmw")
            if pair is not None:
                rmw.append((ix[pair[0]], ix[pair[1]]))
            elif s.kind == "lock":
                rmw.append((ix[s.events[0]], ix[s.events[1]]))
        addr, data, ctrl = self.dependencies(events)
        rscs, when = self.sections(sym, po, last)
        rf = {}
        for r, opts in self.rf.items():
            for w, b in opts:
                rf[(self.iw_of[r] if w is None else ix[w], ix[r])] = b
        back = {i: eid for eid, i in ix.items()}

        def co(a: int, b: int):
            return B(self.co(P.events[back[a]], P.events[back[b]]))

        def eq(a, b):
            return V.eq(a, b) if V.may_equal(a, b) else False

        return SymbolicExecution(sym, po, addr, data, ctrl, rmw, (), rscs, rf=rf, co=co, eq=eq, rscs_when=when,
                                 F=F or Formulas(self.ctx))

    def sections(self, sym: list, po: list, last: dict) -> tuple:
        """srcu-rscs: each outer srcu_read_lock with the first outer srcu_read_unlock of the
        same srcu_struct after it on its thread's path that happens, or, when none happens (the
        prefix ends inside the section), with a virtual unlock at the end of the thread (an F
        event after every event of it). Why the virtual unlock is sound: the section's real
        unlock in a complete execution is po-after every prefix event of its thread and in no
        rf or co, so every relation the virtual one is in, the real one is in too. It is tagged
        PREFIX_END: a section the prefix leaves open has not ended, so no synchronize_srcu the
        prefix completes waited for it, and it must have begun after that grace period began
        (axioms/gp.py and lkmm.py's rcu-order say so); without that, a prefix could stop a
        reader inside its section while the grace period it started before completes, an
        execution no completion has (tests/models/unit/srcu_section_ended_before_gp.c)."""
        P, ix = self.prog, self.idx
        ops: dict = {}
        for sid, kind, key, outer in P.srcu:
            if kind in ("lock", "unlock"):
                s = P.steps[sid]
                ops.setdefault((s.tid, key), []).append((sid, kind, outer, P.events[s.events[0]]))
        rscs, when = [], {}
        for (tid, key), xs in sorted(ops.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            xs.sort(key=lambda x: x[0])
            end = len(sym)
            sym.append(SymEvent(end, tid, "F", frozenset(("srcu_read_unlock", PREFIX_END)), True, key, None,
                                "srcu_read_unlock (end of the prefix)"))
            if tid in last:
                po.append((last[tid], end))
            last[tid] = end
            for k, (_, kind, louter, lk) in enumerate(xs):
                if kind != "lock":
                    continue
                none_before = []
                for _, kind2, uouter, un in xs[k + 1:]:
                    if kind2 != "unlock":
                        continue
                    closes = AND(uouter, self.executed(un))
                    rscs.append((ix[lk.eid], ix[un.eid]))
                    when[rscs[-1]] = B(AND(louter, closes, *none_before))
                    none_before.append(NOT(closes))
                rscs.append((ix[lk.eid], end))
                when[rscs[-1]] = B(AND(louter, self.executed(lk), *none_before))
        return rscs, when

    def tags(self, e) -> frozenset:
        """The herd tags of an event: an rmw's events also carry 'rmw' (and its read 'noreturn'
        when the operation returns nothing), as linux-kernel.def's."""
        s = self.prog.steps[e.step]
        if s.kind != "rmw":
            return e.tags
        extra = {"rmw"}
        if e.kind == "R" and getattr(s.instr, "result", None) == "none":
            extra.add("noreturn")
        return e.tags | extra

    def dependencies(self, events=None) -> tuple:
        """(addr, data, ctrl) pairs of symbolic indices, syntactic as herd's (module docstring)."""
        events = self.events if events is None else events
        owner: dict = {}
        for e in self.events:
            if e.kind == "R" and not V.is_concrete(e.value):
                for t in (e.value.base, e.value.off):
                    owner[t.decl().name()] = e.eid
        memo_data: dict = {}
        memo_all: dict = {}
        addr, data, ctrl = set(), set(), set()
        ix = self.idx
        for e in events:
            i = ix[e.eid]
            if e.addr is not None and not V.is_concrete(e.addr):
                for r in _reads(e.addr, owner, memo_data, False):
                    addr.add((ix[r], i))
            if e.kind == "W" and e.value is not None and not V.is_concrete(e.value):
                for r in _reads(e.value, owner, memo_data, False):
                    data.add((ix[r], i))
            if e.guard is not True and e.guard is not False:
                for r in _term_reads(e.guard, owner, memo_all, True):
                    ctrl.add((ix[r], i))
        own = {ix[e.eid] for e in events}
        return tuple(sorted((a, b) for a, b in s if a != b and a in own) for s in (addr, data, ctrl))


def _addr_key(a):
    if V.is_concrete(a):
        return ("c", a)
    return ("s", a.base.get_id(), a.off.get_id())


def _reads(v, owner, memo, conds) -> set:
    out = set()
    for t in (v.base, v.off):
        out |= _term_reads(t, owner, memo, conds)
    return out


def _term_reads(t, owner: dict, memo: dict, conds: bool) -> set:
    """The reads whose value variables occur in t (an If's condition only when conds)."""
    k = t.get_id()
    got = memo.get(k)
    if got is not None:
        return got
    out: set = set()
    if z3.is_app(t):
        d = t.decl()
        if d.kind() == z3.Z3_OP_UNINTERPRETED and t.num_args() == 0:
            r = owner.get(d.name())
            if r is not None:
                out.add(r)
        else:
            args = range(t.num_args())
            if d.kind() == z3.Z3_OP_ITE and not conds:
                args = (1, 2)
            for j in args:
                out |= _term_reads(t.arg(j), owner, memo, conds)
    memo[k] = frozenset(out)
    return memo[k]


class WeakWitness(ModelReader):
    """A weak execution from a z3 model: its site, its concrete graph, the concrete judge."""

    def __init__(self, enc: WeakEncoding, model: z3.ModelRef, prop: str):
        self.enc, self.m, self.prop = enc, model, prop
        self.P = enc.prog
        self.T = self.num(enc.T)
        self.site = self.find_site()
        self.message = self.site.msg

    def path(self):
        """No path: a weak execution need not be an interleaving the explicit engine replays."""
        return None

    def find_site(self):
        for s in self.P.sites:
            if s.prop == self.prop and self.true(s.cond) and self.num(s.time) == self.T:
                return s
        raise InternalError(f"z3 found a violation of {self.prop} but no site of it holds in the model")

    def graph(self, extra: tuple = ()) -> ExecutionGraph:
        """The executed events with their values, po in unrolling order, rf from the rf
        choices, co by co-rank, one IW per cell (what herd7 draws). extra: as symbolic()'s,
        each a write to a cell of its own, ("free", eid), in no co or rf edge."""
        enc = self.enc
        P = self.P
        events_in = sorted(enc.events + list(extra), key=lambda e: (e.step, e.eid)) if extra else enc.events
        own = {e.eid for e in extra}
        live = [e for e in events_in if self.true(enc.executed(e))]
        events: list = []
        cells: dict = {}
        init = self.P.p.global_init

        def iw(a):
            if a not in cells:
                v = init[a[1]] if a.__class__ is tuple and a[0] == ir.GLOBAL and 0 <= a[1] < len(init) else 0
                cells[a] = len(events)
                events.append(GEvent(len(events), -1, "IW", a, v, frozenset(("IW",)), f"init {a}"))
            return cells[a]

        for e in live:
            if e.kind != "F" and e.eid not in own:
                iw(self.value(e.addr))
        ids: dict = {}
        po, rmw = [], []
        last: dict = {}
        writes: dict = {}
        for e in live:
            a = ("free", e.eid) if e.eid in own else self.value(e.addr) if e.addr is not None else None
            val = self.value(e.value) if e.value is not None else None
            g = GEvent(len(events), e.tid, e.kind, a, val, enc.tags(e), e.label, e.loc.line if e.loc else 0)
            ids[e.eid] = g.eid
            events.append(g)
            if e.tid in last:
                po.append((last[e.tid], g.eid))
            last[e.tid] = g.eid
            if e.kind == "W" and e.eid not in own:
                writes.setdefault(a, []).append(e)
        for s in P.steps:
            pair = s.info.get("rmw") or (tuple(s.events) if s.kind == "lock" else None)
            if pair is not None and pair[0] in ids and pair[1] in ids:
                rmw.append((ids[pair[0]], ids[pair[1]]))
        rf = []
        for e in live:
            if e.kind != "R":
                continue
            src = [w for w, v in enc.rf[e.eid] if self.true(v)]
            if len(src) != 1:
                raise InternalError(f"z3 witness: read {e.eid} reads from {len(src)} writes")
            w = src[0]
            if w is None:
                rf.append((iw(events[ids[e.eid]].addr), ids[e.eid]))
            elif w in ids:
                rf.append((ids[w], ids[e.eid]))
            else:
                raise InternalError(f"z3 witness: read {e.eid} reads from a write that did not happen")
        co = []
        for a, ws in writes.items():
            ws = sorted(ws, key=lambda w: self.num(enc.rank[w.eid]))
            chain = [cells[a]] + [ids[w.eid] for w in ws]
            co += list(zip(chain, chain[1:]))
        sx = enc.sym
        back = {i: eid for eid, i in enc.idx.items()}

        def keep(pairs):
            return [(ids[back[a]], ids[back[b]]) for a, b in pairs
                    if a in back and b in back and back[a] in ids and back[b] in ids]

        rscs = self.sections(events, po, last)
        skel = Skeleton(events, po, keep(sx.addr), keep(sx.data), keep(sx.ctrl), rmw, srcu_rscs=rscs)
        return ExecutionGraph(skel, rf, co)

    @staticmethod
    def sections(events: list, po: list, last: dict) -> list:
        """srcu-rscs of the concrete graph, by nesting per thread and srcu_struct; a section
        still open at the end of its thread's prefix closes at a virtual unlock there."""
        stacks: dict = {}
        out = []
        for e in list(events):
            if "srcu_read_lock" in e.tags:
                stacks.setdefault((e.tid, e.addr), []).append(e.eid)
            elif "srcu_read_unlock" in e.tags:
                st = stacks.get((e.tid, e.addr))
                if st:
                    lk = st.pop()
                    if not st:
                        out.append((lk, e.eid))
        for (tid, a), st in sorted(stacks.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            if not st:
                continue
            end = GEvent(len(events), tid, "F", a, None, frozenset(("srcu_read_unlock", PREFIX_END)),
                         "srcu_read_unlock (end of the prefix)")
            events.append(end)
            po.append((last[tid], end.eid))
            last[tid] = end.eid
            out.append((st[0], end.eid))
        return out

    def check_graph(self) -> ExecutionGraph:
        """The graph, judged; the message says when LKMM flags a data race in it."""
        g = self.graph()
        j = check_weak_graph(self.enc.memory_model, g)
        self.races = j.races
        if j.races:
            self.message += race_note(g, j.races)
        return g


class CandidateGraph(WeakWitness):
    """The execution graph of a z3 model, without a property's site (lazy.py's candidates)."""

    def __init__(self, enc: WeakEncoding, model: z3.ModelRef):
        self.enc, self.m, self.P = enc, model, enc.prog


def race_note(g: ExecutionGraph, races) -> str:
    """What the message adds when the witness raises LKMM's data-race flag: LKMM gives a racy
    execution no defined outcome, so the violation may be one only the race permits (e.g.
    tests/models/weak/publish_chain.c: a plain load two address dependencies from the marked
    one). The first racing pair (by source line) is named, and how many more there are."""
    ev = g.skel.events

    def show(e):
        return f"line {e.line} {e.label}" if e.line else e.label

    pairs = sorted({tuple(sorted((ev[a], ev[b]), key=lambda e: (e.line, e.eid))) for a, b in races},
                   key=lambda p: (p[0].line, p[1].line, p[0].eid, p[1].eid))
    a, b = pairs[0]
    more = f" and {len(pairs) - 1} more" if len(pairs) > 1 else ""
    return f" (in an execution with an LKMM data race: {show(a)} / {show(b)}{more})"


def check_weak_graph(memory_model: str, g: ExecutionGraph):
    """The independent check of a weak witness: a well-formed graph the concrete axioms allow.
    Returns the judgement (its flags: LKMM's data-race pairs)."""
    try:
        j = judge(memory_model, g, races=True)
    except GraphError as e:
        raise InternalError(f"z3 witness is not an execution graph: {e}") from None
    if not j.consistent:
        raise InternalError(f"z3 witness is not allowed by {memory_model} (axiom {j.failed} fails)")
    return j


__all__ = ["MODELS", "UNSUPPORTED", "WeakEncoding", "WeakWitness", "check_weak_graph", "unsupported"]
