"""Heap lifetimes under a memory model of axioms (tso, lkmm; sc too, for the differential test):
no-use-after-free and no-double-free as relations between events.

A free is no event of LKMM or x86-TSO. Here `kfree(p)` becomes one: a plain write (as KASAN
and KCSAN treat kfree: an access that conflicts with every access to the object) placed in its
thread's program order, with an address dependency from the reads `p` comes from, and a cell of
its own, so that it is in no rf or co edge and changes no execution the model allows. It happens
when its step does and frees a heap object (offset 0).

**Use after free**: an access a (a read or write event) to object o and a free f of o, both in
the execution, where a is not ordered before f:

* sc and tso: f may come first in the model's global order, i.e. the execution stays consistent
  with the edge f -> a added to that order (sc: po | com; tso: ppo | mfence | implied | rfe | co
  | fr; both with the grace-period axiom, axioms/gp.py). Under sc that is exactly "some
  interleaving performs the free before the access" (the explicit engine's use after free: a
  step of a freed object); under tso, "the free's stores can reach memory before the access
  is performed".
* lkmm: a and f in one thread: a is po-after f. In two threads: a is not ordered before f the
  way LKMM orders an access before a plain write that does not race with it (linux-kernel.cat's
  plain-access section): `rw-xbstar` for a read; `ww-vis`, `wr-vis` and, for a plain write,
  `rw-xbstar` for a write. So a use after free under lkmm is an access the free follows in no
  order LKMM guarantees: it races with the free (LKMM gives such an execution no defined
  outcome, and KCSAN reports it), or comes after it.

**Double free**: two frees of one object in the execution (any threads, any order: both cannot
be ordered first), or a free of a pointer that is not an object's start (the site unroll.py
makes, as under sc).

**Leak**: a complete execution (every thread ended) whose final memory (each cell's co-last
write, or its initial value) leaves an allocated object no free freed unreachable from the
pointer globals: leak.py's scan, read at the end (FinalMemory). A leak is permanent, so under
sc this is the explicit engine's verdict wherever an execution can end.

Soundness of `holds`. Executions are prefixes (weak.py): an access to a freed object does not
stop its thread here (the explicit engine stops it), which only adds executions. Every pair
of a complete execution is in a prefix (the po-prefixes up to both events); under sc and tso the
edge f -> a keeps a prefix consistent when it keeps the complete execution consistent (the
axioms survive restriction, weak.py), and under lkmm the ordering relations of a prefix are
contained in those of the complete execution, so a pair unordered there is unordered in the
prefix. A violation is a prefix with such a pair; under lkmm the ordering a complete execution
might add through events outside the prefix is not credited (the same limit as every weak
violation here: a prefix the model allows).

Every witness is a concrete execution graph with the free events in it, judged by the concrete
axioms (rmapcheck.axioms, no z3): allowed, and for a use after free, the pair unordered there
too (sc, tso: the graph with the edge f -> a added is allowed; lkmm: the relations computed
concretely do not order a before f). Anything else is an internal error (exit 4).
"""

from __future__ import annotations

import z3

from rmapcheck.axioms.base import Base
from rmapcheck.axioms.relation import Rel
from rmapcheck.axioms.symbolic import SRel
from rmapcheck.engines.z3ev import values as V
from rmapcheck.engines.z3ev.execution import _base_is, _off0
from rmapcheck.engines.z3ev.leak import threads
from rmapcheck.engines.z3ev.unroll import Event, Site, Unsupported
from rmapcheck.engines.z3ev.weak import WeakWitness, check_weak_graph
from rmapcheck.engines.z3ev.values import AND, NOT, OR, B
from rmapcheck.errors import InternalError
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.liveness import live_in

FREE_EID = 1 << 40  # free events' ids: beyond every event the unrolling makes


class Lifetimes:
    """The free events of an encoding and the queries over them (built once, when asked)."""

    def __init__(self, enc):
        self.enc = enc
        P = enc.prog
        self.frees: list = []
        for k, (sid, p, _, _) in enumerate(P.frees):
            s = P.steps[sid]
            if s.tid >= P.nthreads:
                continue
            ok = OR(*[AND(_base_is(p, j), _off0(p)) for j in enc.heap_ids(p)])
            guard = AND(s.guard, ok)
            if guard is False:
                continue
            text = getattr(s.instr, "text", "") or f"free({getattr(s.instr, 'what', '')})"
            self.frees.append(Event(FREE_EID + k, s.tid, sid, "W", frozenset(("plain", "free")), guard, p, 0,
                                    s.instr.loc, text))
        self.accesses = [e for e in enc.events if e.kind in ("R", "W")]
        self._sym = None
        self.picks: dict = {}  # (access eid, free eid) -> the z3 Bool that picks the pair
        self.df_picks: dict = {}  # (free eid, free eid) -> likewise

    # -- the graph with the free events --------------------------------------------------------
    def sym(self):
        """The graph with the free events: under lkmm the encoding's own (weak.py's
        free_events), else a second graph for the queries' extra edges."""
        if self._sym is None:
            enc = self.enc
            if all(f.eid in enc.idx for f in self.frees):
                self._sym, self.idx = enc.sym, enc.idx
                return self._sym
            keep = enc.idx, enc.iw_of
            self._sym = enc.symbolic(tuple(self.frees), F=enc.sym.F)
            self.idx = enc.idx
            enc.idx, enc.iw_of = keep
        return self._sym

    def same_object(self, a, f):
        """a's address is in the object f frees (a z3 Bool or a Python bool)."""
        enc = self.enc
        common = sorted(set(enc.heap_ids(a.addr)) & set(enc.heap_ids(f.addr)))
        return OR(*[AND(_base_is(a.addr, j), _base_is(f.addr, j)) for j in common])

    # -- the queries ---------------------------------------------------------------------------
    def use_after_free(self):
        """A z3 Bool: some access is not ordered before a free of its object (module docstring);
        None when no pair can be."""
        enc = self.enc
        pairs = []
        for f in self.frees:
            for a in self.accesses:
                same = self.same_object(a, f)
                if same is not False:
                    pairs.append((a, f, AND(enc.executed(a), enc.executed(f), same)))
        if not pairs:
            return None
        sym = self.sym()
        F = sym.F
        ix = self.idx
        if enc.memory_model in ("sc", "tso"):
            from rmapcheck.engines.z3ev.weak import axioms_of

            conds, extra = [], {}
            for a, f, both in pairs:
                v = z3.Bool(f"uaf_{a.eid}_{f.eid - FREE_EID}", self.enc.ctx)
                self.picks[(a.eid, f.eid)] = v
                conds.append(z3.Implies(v, B(both)))
                extra[(ix[f.eid], ix[a.eid])] = F.atom(v)
            model = axioms_of(enc.memory_model)

            def checks(b, races=True):
                b.extra = SRel.of(b.u, extra)
                yield from model(b, races)

            consistent, _ = sym.encode(checks, races=True)
            return z3.And(consistent, *conds, z3.Or(*self.picks.values()))
        return self._lkmm_unordered(pairs)

    def _lkmm_unordered(self, pairs):
        """The pairs no LKMM relation orders, over the encoding's own build of the relations
        (weak.py's free_events put the frees in its graph). Sharing its closures is exact when
        they are least pre-fixed points (symbolic.py) that the query, too, uses only
        negatively (under `not ordered`): a model of axioms and query with closures bigger than
        r+ stays one with r+ itself. Otherwise (polarity, or no shared graph) the relations are
        made again, with Warshall's closures if need be."""
        from rmapcheck.engines.z3ev.weak import axioms_of

        sym = self.sym()
        F = sym.F
        if sym is self.enc.sym:
            self.enc.relations()
            terms, body = self._lkmm_terms(pairs, sym.last_base)
            if sym.closure_used == "exact" or F.polarity_ok([body]):
                return self._lkmm_query(terms, body, [])
        for closure in ("least", "exact"):
            sym.u.closure = closure
            mark = len(F.side)
            b = sym.base()
            for _ in axioms_of("lkmm")(b, True):
                pass
            terms, body = self._lkmm_terms(pairs, b)
            if closure == "exact" or F.polarity_ok([body]):
                break
            del F.side[mark:]
        return self._lkmm_query(terms, body, F.side[mark:])

    def _lkmm_terms(self, pairs, b):
        """[(pick, formula: the pair happens unordered)] and their disjunction, over base b."""
        sym, ix = self.sym(), self.idx
        F = sym.F
        po = set(sym.po_pairs)
        terms = []
        for a, f, both in pairs:
            v = z3.Bool(f"uaf_{a.eid}_{f.eid - FREE_EID}", self.enc.ctx)
            self.picks[(a.eid, f.eid)] = v
            if a.tid == f.tid:  # one thread: program order
                un = (ix[a.eid], ix[f.eid]) not in po
            else:
                un = F.not_(ordered_lkmm(b.named, ix[a.eid], ix[f.eid], a.kind == "R",
                                         "plain" in sym.events[ix[a.eid]].tags, F.and_))
            terms.append((v, F.and_(F.atom(B(both)), un)))
        return terms, F.any_(F.and_(F.atom(v), t) for v, t in terms)

    def _lkmm_query(self, terms, body, side):
        F = self.sym().F
        q = F.z3(F.all_([body] + side))
        return z3.And(q, *[z3.Implies(v, F.z3(t)) for v, t in terms], z3.Or(*[v for v, _ in terms]))

    def double_free(self):
        """A z3 Bool: two frees of one object happen (None when no two frees can)."""
        enc = self.enc
        out = []
        for k, f in enumerate(self.frees):
            for g in self.frees[k + 1:]:
                same = self.same_object(f, g)
                if same is False:
                    continue
                v = z3.Bool(f"dfree_{f.eid - FREE_EID}_{g.eid - FREE_EID}", self.enc.ctx)
                self.df_picks[(f.eid, g.eid)] = v
                out.append(z3.And(v, B(AND(enc.executed(f), enc.executed(g), same))))
        return z3.Or(*out) if out else None

    def pair(self, m: z3.ModelRef, prop: str):
        """The (access or free, free) pair a z3 model picks; None if it picks none."""
        by = {e.eid: e for e in self.accesses + self.frees}
        picks = self.picks if prop == ir.P_UAF else self.df_picks
        for (a, f), v in sorted(picks.items()):
            if z3.is_true(m.eval(v, model_completion=True)):
                return by[a], by[f]
        return None


def lifetimes(enc) -> Lifetimes:
    if getattr(enc, "_lifetimes", None) is None:
        enc._lifetimes = Lifetimes(enc)
    return enc._lifetimes


def query(enc, prop: str, solver: z3.Solver | None = None):
    """The violation query of a property this module decides under enc's memory model. For
    no-leak, solver (holding the encoding's facts) first rules out an execution that ends
    waiting in synchronize_srcu for good (may_hang): Unsupported if it cannot. no-deadlock's
    query is the deadlock of lock waits; the caller asks may_hang once that is unsatisfiable."""
    lt = lifetimes(enc)
    if prop == ir.P_UAF:
        return lt.use_after_free()
    if prop == ir.P_LEAK:
        if not enc.nobj:
            return None  # nothing is allocated: no end, however it comes, has a leak
        if solver is None and srcu_hang(enc) is not None:
            raise Unsupported("no-leak with synchronize_srcu needs the hang check (no solver given)")
        if solver is not None and may_hang(enc, solver):
            raise Unsupported(f"{HANG}, whose final memory is not decided")
        return final_leak(enc)
    if prop == ir.P_DEADLOCK:
        from rmapcheck.engines.z3ev.properties import deadlock

        return deadlock(enc)
    from rmapcheck.engines.z3ev.properties import violation

    parts = [q for q in (lt.double_free(), violation(enc, prop)) if q is not None]
    return z3.Or(*parts) if parts else None


WEAK_ENDS = (ir.P_UAF, ir.P_DFREE, ir.P_LEAK, ir.P_DEADLOCK)  # what this module decides under tso/lkmm


def witness_of(prop: str):
    return {ir.P_LEAK: LeakWitness, ir.P_DEADLOCK: DeadlockWitness}.get(prop, LifetimeWitness)


class LifetimeWitness(WeakWitness):
    """A use after free or a double free: the pair, its graph with the free events, judged."""

    def __init__(self, enc, model: z3.ModelRef, prop: str):
        self.lt = lifetimes(enc)
        self.enc, self.m, self.prop = enc, model, prop
        self.P = enc.prog
        self.T = self.num(enc.T)
        self.pair_ = self.lt.pair(model, prop)
        if self.pair_ is None:
            if prop == ir.P_UAF:
                raise InternalError("z3 found a use after free but picked no pair")
            self.site = self.find_site()  # a free of an invalid pointer: the site unroll.py made
        else:
            a, f = self.pair_
            self.site = Site(prop, a.tid, True, 0, self.describe(a, f), False, a.loc, a.step)
            mm = enc.memory_model
            if prop == ir.P_UAF and a.tid != f.tid:  # the steps' order is one of many: say what fails
                self.why = (f"an execution {mm} allows, in which {mm} does not order the access before the free"
                            if mm == "lkmm" else f"{mm}'s global order can put the free before the access")
        self.message = self.site.msg
        live = sorted(enc.events + self.lt.frees, key=lambda e: (e.step, e.eid))
        self.graph_events = live  # the order of the graph's events (report/weak_witness.py)

    def describe(self, a, f) -> str:
        P = self.P
        names = [t.name for t in P.p.threads for _ in range(t.instances)]
        where = f"line {f.loc.line}" if f.loc else "a free"
        by = f"{names[f.tid]}'s {f.label.strip()} ({where})"
        if self.prop == ir.P_DFREE:
            first = f"{names[a.tid]}'s {a.label.strip()} (line {a.loc.line if a.loc else '?'})"
            return f"double free: the object is freed by {first} and by {by}"
        acc = next((x for x in P.accesses if x.sid == a.step), None)
        what = f"{'writing' if a.kind == 'W' else 'reading'} {acc.what if acc else a.label}"
        at = f" (line {a.loc.line})" if a.loc else ""
        mm = self.enc.memory_model
        if mm == "lkmm" and a.tid != f.tid:
            return f"use after free: {what}{at} races with {by}: LKMM does not order it before the free"
        return f"use after free: {what}{at} can come after {by} in {mm}'s order"

    def graph(self, extra: tuple = ()):
        """WeakWitness.graph, with the dependencies of the graph that has the free events."""
        enc = self.enc
        sym = self.lt.sym()
        keep = enc.sym, enc.idx
        enc.sym, enc.idx = sym, self.lt.idx
        try:
            return super().graph(extra)
        finally:
            enc.sym, enc.idx = keep

    def check_graph(self):
        """The graph with the free events, judged; then the pair re-checked on it, concretely."""
        g = self.graph(tuple(self.lt.frees))
        j = check_weak_graph(self.enc.memory_model, g)
        self.races = j.races
        if self.pair_ is not None:
            self.check_pair(g)
        return g

    def check_pair(self, g) -> None:
        a, f = self.pair_
        ids = {e.eid: k for k, e in enumerate(x for x in self.graph_events if self.true(self.enc.executed(x)))}
        n_iw = sum(1 for e in g.events if e.kind == "IW")
        if a.eid not in ids or f.eid not in ids:
            raise InternalError(f"z3 witness: the {self.prop} pair is not in the execution")
        ga, gf = g.events[n_iw + ids[a.eid]], g.events[n_iw + ids[f.eid]]
        obj = self.value(f.addr)
        if not (isinstance(obj, tuple) and obj[0] >= 0):
            raise InternalError(f"z3 witness: the free's pointer {obj} is no heap object")
        other = self.value(a.addr)
        if not (isinstance(other, tuple) and other[0] == obj[0]):
            raise InternalError(f"z3 witness: {other} is not in the object freed ({obj})")
        if self.prop == ir.P_DFREE:
            return
        if unordered(self.enc.memory_model, g, ga, gf):
            return
        raise InternalError(f"z3 witness: the access is ordered before the free under {self.enc.memory_model}")


def unordered(memory_model: str, g, a, f) -> bool:
    """The concrete side of the use-after-free definition (module docstring), on graph g."""
    from rmapcheck.axioms.base import run_checks
    from rmapcheck.engines.z3ev.weak import checks_of

    b = Base(g)
    if memory_model in ("sc", "tso"):
        b.extra = Rel.of(b.n, [(f.eid, a.eid)])
        return run_checks(checks_of(memory_model)(b, True)).consistent
    if a.tid == f.tid:
        return not (b.po.rows[a.eid] >> f.eid & 1)
    for _ in checks_of("lkmm")(b, True):
        pass
    return not ordered_lkmm(b.named, a.eid, f.eid, a.kind == "R", "plain" in a.tags, lambda x, y: x and y)


def ordered_lkmm(named: dict, a: int, f: int, is_read: bool, plain: bool, and_):
    """Is access a ordered before the free f (another thread's plain write) by LKMM's plain-access
    relations (named: lkmm.py's b.named, concrete Rel or symbolic SRel)? The complement of
    linux-kernel.cat's rw-race (a read) or ww-race (a write) for the pair with a first."""

    def has(name):
        r = named[name]
        if isinstance(r, Rel):
            return bool(r.rows[a] >> f & 1)
        return r.rows.get(a, {}).get(f, False)

    if is_read:
        return has("rw-xbstar")
    both = and_(has("ww-vis"), has("wr-vis"))
    return and_(both, has("rw-xbstar")) if plain else both


# -- no-leak: the final memory ------------------------------------------------------------------


class FinalMemory:
    """An encoding as leak.py reads it, at the end of a complete weak execution: an observer
    read returns its cell's co-last write (the final memory), and an object is alive when no
    free of it happened. Everything else is the encoding's own."""

    def __init__(self, enc):
        self._enc = enc
        self._lt = lifetimes(enc)

    def __getattr__(self, name):
        return getattr(self._enc, name)

    def read(self, r) -> list:
        enc = self._enc
        out, choices = [], []
        ws = enc.candidates(r)
        here = {w.eid: AND(enc.executed(w), V.eq(w.addr, r.addr)) for w in ws}
        for w in ws:
            v = z3.Bool(f"final_{w.eid}_{r.eid}", enc.ctx)
            later = OR(*[AND(here[w2.eid], enc.rank[w2.eid] > enc.rank[w.eid]) for w2 in ws if w2 is not w])
            out.append(z3.Implies(v, B(AND(here[w.eid], V.eq(w.value, r.value), NOT(later)))))
            choices.append((w.eid, v))
        v0 = z3.Bool(f"final_init_{r.eid}", enc.ctx)
        out.append(z3.Implies(v0, B(AND(V.eq(r.value, enc.initial(r.addr)), NOT(OR(*here.values()))))))
        choices.append((None, v0))
        out.append(z3.PbEq([(v, 1) for _, v in choices], 1))
        return out  # (not in enc.rf: an observer read is no event of the execution graph)

    def alive(self, j: int, t, but=None):
        enc = self._enc
        return NOT(OR(*[AND(enc.executed(f), _base_is(f.addr, j)) for f in self._lt.frees]))


def final_leak(enc):
    """A z3 Bool: an execution that has ended (every thread ended, or waits for good at a lock
    held in the final memory: properties.deadlock's weak deadlock) whose final memory has an
    object alive and unreachable from the roots (leak.py's definition, read at the end: a
    waiting thread's live pointer locals are roots). Only such an end has a final memory (a
    thread that goes on may still read a co-earlier pointer); an end waiting in
    synchronize_srcu is ruled out first (query, may_hang)."""
    from rmapcheck.engines.z3ev.leak import leak
    from rmapcheck.engines.z3ev.properties import _stopped_at, waits_for_good

    P = enc.prog
    stuck = {s.sid: waits_for_good(enc, s) for s in P.steps if s.kind == "lock" and s.tid < P.nthreads}
    return leak(FinalMemory(enc), lambda s: stuck.get(s.sid, False), _stopped_at(P, enc.T))


HANG = "an execution may end with a thread waiting in synchronize_srcu for a reader that never leaves its section"


def may_hang(enc, solver: z3.Solver) -> bool:
    """Can an execution end with a thread waiting in synchronize_srcu for good (srcu_hang
    satisfiable, or z3 undecided)? solver holds the encoding's facts. False is a proof (for the
    unrolled executions: `holds` still needs the unwinding check): no-deadlock and no-leak may
    then read every end as one of lock waits. Asked by no-leak and no-deadlock alike: the
    answer is one of the encoding (solver only holds its facts), so it is solved once per run."""
    memo = getattr(enc, "_may_hang", None)
    if memo is not None:
        return memo
    hang = srcu_hang(enc)
    if hang is None:
        enc._may_hang = False
        return False
    solver.push()
    solver.add(hang)
    r = solver.check()
    solver.pop()
    enc._may_hang = r != z3.unsat
    return enc._may_hang


def srcu_hang(enc):
    """A z3 Bool over-approximating an execution that ends with a thread waiting in
    synchronize_srcu for good (None: the program has no synchronize_srcu): every thread has
    ended, waits for good at a lock, or waits to begin a synchronize_srcu (its grace-period
    event, at the sync_start step, stands for the whole grace period: in a prefix it has
    completed), one of them does the latter, and some thread that will not move again holds an
    srcu read section (maybe the waiter itself; a thread that ended holding one is a
    no-lock-leak site). The domains are not compared, nor whether the section began before
    the grace period: a weak execution does not say (no order of LKMM or x86-TSO ranks the
    grace period's start against a section's srcu_read_lock).

    Why unsatisfiable is a proof (`holds` of no-deadlock, no-leak's final memory). Take an
    execution E of the program under the memory model that cannot go on, in which a thread W
    waits in synchronize_srcu for good. Then E satisfies the query:
    * The prefix: every event of E but W's from its synchronize_srcu on. It is po-prefix-closed
      per thread and rf-closed (W's grace period is a fence, no write), so it is consistent
      (the axioms survive restriction: weak.py) and the encoding has it, with T after W's last
      step and before its sync_start: W is `_at` its sync_start. W's waiting grace period is
      not in it. A section the prefix leaves open (its PREFIX_END virtual unlock, weak.py) is
      one that never ends in E, so it began after every grace period of its domain that
      completed in E (else that one would wait for it forever): what gp.py and lkmm.py ask.
    * Every other thread has ended, or waits for good (only a lock or a grace period can make a
      thread wait; every other step can be taken): in synchronize_srcu (as W), or at a lock
      nothing will release, so the lock word's coherence-last write is a lock (LKW), which is
      waits_for_good's condition. No thread has failed: a failure ends the execution there
      (no stopping site at T; a stopped thread is neither ended nor waiting).
    * A grace period waits only for read sections of its domain that began before it, and for
      good only for one that never ends: the thread inside it never moves again, so it is one
      of the threads above, at its wait step with an srcu section held (`held` > 0, the
      `reader` term), or ended holding one (the no-lock-leak site "thread ends holding srcu
      read section", made whatever properties are checked).
    So every execution that ends in synchronize_srcu is in the query; when it is
    unsatisfiable, every execution that cannot go on is one of lock waits: properties.deadlock
    (no-deadlock) and final_leak (no-leak) read every end there is."""
    from rmapcheck.engines.z3ev.properties import _at, _stopped_at, waits_for_good

    P, T = enc.prog, enc.T
    mine = [s for s in P.steps if s.tid < P.nthreads]
    if not any(s.kind == "sync_start" for s in mine):
        return None
    wait = {s.sid: waits_for_good(enc, s) if s.kind == "lock" else _at(s, T)
            for s in mine if s.kind in ("lock", "sync_start")}
    threads = []
    for tid in range(P.nthreads):
        here = [AND(g, t <= T) for t2, g, t in P.ends if t2 == tid]
        here += [w for sid, w in wait.items() if P.steps[sid].tid == tid]
        threads.append(OR(*here))
    in_sync = [w for sid, w in wait.items() if P.steps[sid].kind == "sync_start"]
    reader = [AND(w, NOT(n <= 0)) for sid, w in wait.items()
              for (kind, _), n in P.steps[sid].info["held"].items() if kind == "s"]
    reader += [AND(s.cond, s.time <= T) for s in P.sites
               if s.prop == ir.P_LOCKLEAK and "srcu read section" in s.msg and s.cond is not False]
    return B(AND(*threads, OR(*in_sync), OR(*reader), NOT(_stopped_at(P, T))))


class EndWitness(LifetimeWitness):
    """A violation seen at the end of a prefix (a leak, a deadlock): no pair; its site and
    message are made by check_graph, from the judged graph."""

    why_text = ""

    def __init__(self, enc, model: z3.ModelRef, prop: str):
        self.lt = lifetimes(enc)
        self.enc, self.m, self.prop = enc, model, prop
        self.P = enc.prog
        self.T = self.num(enc.T)
        self.graph_events = sorted(enc.events + self.lt.frees, key=lambda e: (e.step, e.eid))
        self.message = ""
        self.why = self.why_text.format(mm=enc.memory_model)
        self.names = [t.name for t in self.P.p.threads for _ in range(t.instances)]

    def lock_waits(self, final: dict) -> list:
        """(tid, lock step) of every thread that has not ended: each must wait at a lock whose
        word is held in the final memory (else the prefix is no end: an internal error)."""
        P = self.P
        waits = []
        for tid in range(P.nthreads):
            if any(t == tid and self.true(gd) and self.num(t2) <= self.T for t, gd, t2 in P.ends):
                continue
            at = [s for s in P.steps if s.tid == tid and self.true(s.guard)
                  and self.num(s.info["before"]) <= self.T < self.num(s.clock)]
            if len(at) != 1 or at[0].kind != "lock" or final.get(self.value(at[0].addr), 0) == 0:
                raise InternalError(f"z3 witness: thread {self.names[tid]} is neither ended nor waiting for a held lock")
            waits.append((tid, at[0]))
        return waits


class LeakWitness(EndWitness):
    """A leak at the end of a weak execution: its graph (with the free events), judged, and the
    leak found again concretely in the judge's final memory (graph.final_values: co-last writes)."""

    why_text = ("every thread has ended or waits for good at a held lock; the final memory is each "
                "cell's coherence-last write under {mm}")

    def check_graph(self):
        g = self.graph(tuple(self.lt.frees))
        j = check_weak_graph(self.enc.memory_model, g)
        self.races = j.races
        leaked = self.find_leaks(g)
        if not leaked:
            raise InternalError("z3 witness: no object is leaked in the final memory of its execution")
        o = self.P.objs[leaked[0]]
        loc = self.P.steps[o.sid].instr.loc
        self.site = Site(self.prop, o.tid, True, 0, f"leak: {o.type_name} allocated at line {loc.line} is "
                         "unreachable in the final memory", False, loc, o.sid)
        self.message = self.site.msg
        return g

    def find_leaks(self, g) -> list:
        """The objects allocated, not freed and unreachable in g's final memory from the pointer
        globals and the live pointer locals (and held heap locks) of the threads that wait for
        good at a lock (no z3 formula: the model's executed steps and the graph)."""
        P, p = self.P, self.P.p
        final = {a: v for a, v in g.final_values().items() if isinstance(a, tuple) and a[0] != "free"}
        roots = []
        for tid, s in self.lock_waits(g.final_values()):
            th = threads(P)[tid][1]
            live = live_in(th.code, th.escaped)[s.pc]
            roots += [self.value(s.info["locals"][k]) for k, c in enumerate(th.local_cells)
                      if c.is_pointer and live >> k & 1]
            roots += [key for (_, key), n in s.info["held"].items() if key[0] >= 0 and (n if isinstance(n, int) else self.num(n)) > 0]
        objs = [o for o in P.objs if self.true(P.steps[o.sid].guard) and self.num(P.steps[o.sid].clock) <= self.T
                and not self.true(o.fail)]
        freed = {e.addr[1] for e in g.events if "free" in e.tags}
        freed = {self.value(f.addr)[0] for f in self.lt.frees if f.eid in freed}
        init = p.global_init

        def cell(a):
            return final[a] if a in final else init[a[1]] if 0 <= a[1] < len(init) else 0

        todo = [cell((ir.GLOBAL, k)) for k, c in enumerate(p.global_cells) if c.is_pointer] + roots
        seen: set = set()
        while todo:
            v = todo.pop()
            if not (isinstance(v, tuple) and v[0] >= 0) or v[0] in seen or v[0] in freed:
                continue
            seen.add(v[0])
            if p.sites[P.objs[v[0]].site].has_pointers:
                todo += [val for a, val in sorted(final.items()) if a[0] == v[0]]
        return [o.oid for o in objs if o.oid not in freed and o.oid not in seen]


# -- no-deadlock: the end of a prefix (properties.deadlock's weak definition) --------------------


class DeadlockWitness(EndWitness):
    """A prefix in which every thread has ended or waits at a lock whose word is locked in the
    final memory: its graph, judged, and those waits found again in the judge's final memory."""

    why_text = "no thread can take another step: each lock it waits for is held in {mm}'s final memory"

    def check_graph(self):
        g = self.graph(tuple(self.lt.frees))
        j = check_weak_graph(self.enc.memory_model, g)
        self.races = j.races
        P, names = self.P, self.names
        waits = self.lock_waits(g.final_values())
        if not waits:
            raise InternalError("z3 witness: a deadlock in which every thread has ended")
        tid, s = waits[0]
        self.site = Site(self.prop, tid, True, 0, "deadlock: " + "; ".join(
            f"{names[t]} waits at {x.instr.text.strip()} (line {x.instr.loc.line})" for t, x in waits)
            + ("; every other thread has ended" if len(waits) < P.nthreads else ""), False, s.instr.loc, s.sid)
        self.message = self.site.msg
        return g
