"""Breadth-first search: shortest counterexamples, full coverage, honest limits."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

from rmapcheck.engines.explicit.executor import Executor, LocalStepLimit
from rmapcheck.gcpause import cycle_collector_paused
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.lockorder import EdgeWitness, LockGraph
from rmapcheck.properties.verdict import (
    HOLDS, INCOMPLETE, VIOLATED, Path, PropertyResult, RunResult, RunStats,
)


POLL_WORK = 256  # states expanded plus transitions run between two looks at the limits


@dataclass
class Limits:
    max_states: int | None = None
    max_depth: int | None = None
    timeout: float | None = None  # seconds
    max_memory: float | None = None  # MiB of resident memory
    reduction: str | None = None  # the explicit engine's reduction (executor.REDUCTIONS); None: the default


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / (1024 * 1024)
    except OSError:  # pragma: no cover - not Linux
        return peak_mb()


class _Found:
    """The best candidate so far for one property: shortest, then fewest context switches."""

    __slots__ = ("length", "cs", "path", "msg", "final")

    def __init__(self, length, cs, path, msg, final):
        self.length, self.cs, self.path, self.msg, self.final = length, cs, path, msg, final


class Search:
    def __init__(self, program: ir.Program, limits: Limits, memory=None, progress=None, on_final=None,
                 reduction: str = "none"):
        self.p = program
        self.on_final = on_final  # called with the global cell values of every distinct final state
        self.ex = Executor(program, memory, canonical_sources=True, reduction=reduction)
        self.limits = limits
        self.progress = progress
        self.props = list(program.properties)
        if getattr(self.ex.mem, "extra_properties", None):
            self.props += [x for x in self.ex.mem.extra_properties if x not in self.props]
        self.found: dict[str, _Found] = {}
        self.final: set[str] = set()
        self.states: list = []
        self.parent: list = []  # (parent sid, label) or (-1, init index)
        self.depth: list[int] = []
        self.cs: list[int] = []
        self.last: list[int] = []
        # states reached by equally short paths with as few switches but another last thread:
        # sid -> {last tid: (parent sid, label)}; a step by one of them costs no switch
        self.ties: dict[int, dict] = {}
        self.visited: dict = {}
        self.locks = LockGraph()
        self.transitions = 0
        self.cut = None  # a limit that cut some paths short (the search went on with the others)

    # -- bookkeeping -------------------------------------------------------------------
    def path_to(self, sid: int, want: int | None = None) -> tuple[int, list]:
        """The path to sid; with want, one that ends with a step of that thread if it is as good."""
        labels = []
        while True:
            psid, label = self.parent[sid]
            if want is not None and self.last[sid] != want and want in self.ties.get(sid, ()):
                psid, label = self.ties[sid][want]
            if psid < 0:
                return label, labels[::-1]
            labels.append(label)
            want = label[0]
            sid = psid

    def candidate(self, prop: str, length: int, cs: int, sid: int, label, msg: str, final: str = "") -> None:
        if prop in self.final or prop not in self.props:
            return
        cur = self.found.get(prop)
        if cur is not None and (cur.length, cur.cs) <= (length, cs):
            return
        init, labels = self.path_to(sid, label[0] if label is not None else None)
        if label is not None:
            labels = labels + [label]
        self.found[prop] = _Found(length, cs, Path(init, labels, "step" if label is not None else "state"), msg, final)

    def add_state(self, state, parent, depth: int, cs: int, last: int, known: bool = False) -> int:
        """A new state; known: it is in self.visited already (put there by the caller)."""
        sid = len(self.states)
        if not known:
            self.visited[state] = sid
        self.states.append(state)
        self.parent.append(parent)
        self.depth.append(depth)
        self.cs.append(cs)
        self.last.append(last)
        for ev in self.invariant_events(state):
            self.candidate(ev.prop, depth, cs, sid, None, ev.msg)
        return sid

    # -- the search ----------------------------------------------------------------------
    def run(self) -> RunResult:
        """Explore (see explore()). Python's cycle collector is off meanwhile: a search makes
        millions of tuples (states) that can hold no cycle, and each collection would walk
        them again (20 % of an ra search's CPU); the few cycles a search leaves (exceptions'
        tracebacks: about 13,000 objects on a 50,000-state run) are collected after it
        (rmapcheck.gcpause)."""
        races = self.ex.mem.report_races  # the run may turn it off: the memory object is reused after it
        try:
            with cycle_collector_paused():
                return self._run()
        finally:
            if self.ex.mem.report_races != races:
                self.ex.mem.report_races = races

    def _run(self) -> RunResult:
        t0 = time.monotonic()
        lim = self.limits
        ex = self.ex
        visited = self.visited
        state_events = ex.mem.state_events  # None: the memory model checks no whole-state property
        # where no thread can move: leaks the steps' scans leave to the end (None: they do not)
        final_leaks = getattr(ex.mem, "final_leaks", None)
        limit_hit = None
        truncated = False
        frontier: list[int] = []
        try:
            inits = ex.initial_states()
        except LocalStepLimit:
            inits, ex.init_violations, self.cut = [], [], "local-step-limit"
        for labels, evs in ex.init_violations:
            # a thread fails before its first shared access: the path is its leading steps
            for ev in evs:
                if ev.prop in self.props and ev.prop not in self.found:
                    self.found[ev.prop] = _Found(len(labels), 0, Path(-1, labels, "step"), ev.msg, "")
        for k, (st, evs) in enumerate(inits):
            if st in self.visited:
                continue
            sid = self.add_state(st, (-1, k), 0, 0, -1)
            for ev in evs:
                self.candidate(ev.prop, 0, 0, sid, None, ev.msg)
            frontier.append(sid)
        next_report = t0 + 1.0
        # the clock, the memory and the progress line are looked at after every POLL_WORK units
        # of work (a state expanded or a transition run), not only at round state counts
        expanded = 0
        next_poll = 0
        level = 0
        while frontier and limit_hit is None:
            nxt: list[int] = []
            for sid in frontier:
                if lim.max_states is not None and len(self.states) >= lim.max_states:
                    limit_hit = "max-states"
                    break
                expanded += 1
                if expanded + self.transitions >= next_poll:
                    next_poll = expanded + self.transitions + POLL_WORK
                    now = time.monotonic()
                    if lim.timeout is not None and now - t0 > lim.timeout:
                        limit_hit = "timeout"
                        break
                    if lim.max_memory is not None and current_mb() > lim.max_memory:
                        limit_hit = "max-memory"
                        break
                    if self.progress and now >= next_report:
                        self.progress(len(self.states), level, now - t0)
                        next_report = now + 1.0
                state = self.states[sid]
                d, cs, last = self.depth[sid], self.cs[sid], self.last[sid]
                if state_events is not None:
                    for ev in state_events(state, ex):
                        self.candidate(ev.prop, d, cs, sid, None, ev.msg)
                enabled = []
                for t, th in enumerate(state[2]):
                    if th[0] < 0:
                        continue
                    if th[2]:
                        for e in ex.lock_edges(state, t):
                            self._edge(sid, t, e)
                    if ex.enabled(state, t):
                        enabled.append(t)
                if not enabled:
                    for obj in final_leaks(state) if final_leaks is not None else ():
                        site = self.p.sites[state[1][obj].site]
                        self.candidate(ir.P_LEAK, d, cs, sid, None,
                                       f"{site.type_name} allocated at {site.loc.where} ({site.func}) is "
                                       "unreachable once no thread can move")
                    if self.on_final is not None and all(th[0] < 0 for th in state[2]):
                        self.on_final(ex.mem.final_values(state), sid)
                    if any(th[0] >= 0 for th in state[2]):
                        self.candidate(ir.P_DEADLOCK, d, cs, sid, None, "no thread can move",
                                       self.describe_blocked(state))
                    continue
                if lim.max_depth is not None and d >= lim.max_depth:
                    truncated = True
                    continue
                computed = {}
                if ex.persistent and len(enabled) > 1:
                    enabled, computed = self.persistent(state, enabled, d, last)
                for t in enabled:
                    ncs = cs + (0 if last in (-1, t) or t in self.ties.get(sid, ()) else 1)
                    outs = computed.get(t)
                    if outs is None:
                        outs = self.outcomes(state, t)
                    for ch, out in outs:
                        self.transitions += 1
                        for ev in out.events:
                            self.candidate(ev.prop, d + 1, ncs, sid, (t, ch), ev.msg)
                        ns = out.state
                        if ns is None:
                            continue
                        nsid = visited.setdefault(ns, len(self.states))  # one hash of the state
                        if nsid == len(self.states):
                            nxt.append(self.add_state(ns, (sid, (t, ch)), d + 1, ncs, t, True))
                        elif self.depth[nsid] == d + 1 and ncs < self.cs[nsid]:
                            self.parent[nsid] = (sid, (t, ch))
                            self.cs[nsid] = ncs
                            self.last[nsid] = t
                            self.ties.pop(nsid, None)
                            for ev in self.invariant_events(ns):
                                self.candidate(ev.prop, d + 1, ncs, nsid, None, ev.msg)
                        elif self.depth[nsid] == d + 1 and ncs == self.cs[nsid] and t != self.last[nsid]:
                            self.ties.setdefault(nsid, {}).setdefault(t, (sid, (t, ch)))
            self.final.update(self.found)
            if ir.P_RACE in self.final:
                ex.mem.report_races = False  # stop building messages nobody will read
            if self.on_final is None and all(p in self.final for p in self.props):
                break
            frontier = nxt
            level += 1
        if truncated and limit_hit is None:
            limit_hit = "max-depth"
        if limit_hit is None:
            limit_hit = self.cut
        seconds = time.monotonic() - t0
        stats = RunStats(
            states=len(self.states),
            transitions=self.transitions,
            depth=max(self.depth) if self.depth else 0,
            seconds=seconds,
            peak_mb=peak_mb(),
            complete=limit_hit is None,
            limit=limit_hit,
        )
        return RunResult(self.p.path, self.ex.mem.name, "explicit", dict(self.p.defines), self.verdicts(stats), stats)

    def outcomes(self, state, t: int, deps: bool = False) -> list:
        """Thread t's transitions from state (deps: with their dependents, which only the
        choice of a persistent set reads)."""
        try:
            return list(self.ex.transitions(state, t, deps=deps))
        except LocalStepLimit:
            self.cut = "local-step-limit"
            return []

    def persistent(self, state, enabled: list, d: int, last: int = -1) -> tuple[list, dict]:
        """The threads to expand at a state of depth d under the "persistent" reduction.

        For each enabled thread in turn, the smallest set of threads closed under "may not
        commute with a transition of" (executor.Outcome.dependents) that holds it, and, for a
        thread of the set that cannot move now, under "may enable" (Movers.enablers). The
        smallest such set, counted in its threads that can move (of two as small, one with the
        thread that made the last step: fewer context switches), if it is not every enabled
        thread and none of its transitions
        leads to a state of depth d or less (the breadth-first cycle proviso: every cycle of
        the reduced graph then has a fully expanded state), is expanded alone; else every
        enabled thread. Returns (threads, {thread: its outcomes}), the outcomes computed."""
        computed = {t: self.outcomes(state, t, True) for t in enabled}
        dep = {}
        for t, outs in computed.items():
            m = 0 if outs else -1
            for _, out in outs:
                if out.state is None:
                    # the transition ends the execution (a violation, or an assumption that
                    # fails): it commutes with nothing, since what the others could do first
                    # is never reached after it (tests/models/unit/assume_ends_path.c)
                    m = -1
                    break
                m |= out.dependents
            dep[t] = m
        en = 0
        for t in enabled:
            en |= 1 << t
        blocked = {}  # a thread that cannot move now: the threads that may enable it
        best = None
        for t in enabled:
            p, todo = 1 << t, [t]
            while todo:
                u = todo.pop()
                m = dep.get(u)
                if m is None:
                    m = blocked.get(u)
                    if m is None:
                        m = blocked[u] = self.ex.movers.enablers(state, u)
                if m == -1:
                    p = -1  # every thread
                    break
                new = m & ~p
                p |= new
                todo += [v for v in range(len(state[2])) if new >> v & 1]
            if p != -1 and p & en != en:
                p &= en
                key = (bin(p).count("1"), not (last >= 0 and p >> last & 1))
                if best is None or key < best_key:
                    best, best_key = p, key
        if best is None:
            return enabled, computed
        chosen = [t for t in enabled if best >> t & 1]
        depth, visited = self.depth, self.visited
        for t in chosen:
            for _, out in computed[t]:
                if out.state is not None:
                    sid = visited.get(out.state)
                    if sid is not None and depth[sid] <= d:
                        return enabled, computed
        return chosen, computed

    def invariant_events(self, state) -> list:
        if not self.ex.inv:
            return []
        try:
            return self.ex.check_invariants(state)
        except LocalStepLimit:
            self.cut = "local-step-limit"
            return []

    def _edge(self, sid: int, tid: int, e) -> None:
        w = self.edge_witness(sid, tid, e)
        if w is not None:
            self.locks.add(w)

    def edge_witness(self, sid: int, tid: int, e) -> EdgeWitness | None:
        """The lock-order edge an executor lock edge stands for (None: an srcu section and a lock
        of the same name, which is no order)."""
        kind, held, hold_pc, target_kind, target, take_pc = e
        code = self.ex.code_of(tid)
        src, dst = self.lock_name(held), self.lock_name(target)
        if kind == "s" and target_kind == "lock" and src == dst:
            return None
        hold, take = code[hold_pc], code[take_pc]
        return EdgeWitness(
            src, dst, self.ex.threads[tid].name, hold.loc.where, hold.func, take.loc.where, take.func,
            "synchronize_srcu" if target_kind == "sync" else f"{take.kind}_lock",
            "srcu read section" if kind == "s" else "lock", sid,
        )

    def lock_name(self, a) -> str:
        if a.__class__ is tuple and a[0] == ir.GLOBAL and 0 <= a[1] < len(self.p.global_cells):
            return self.p.global_cells[a[1]].name.rsplit(".__", 1)[0]
        if a.__class__ is tuple and a[0] >= 0:
            return f"heap lock +{a[1]}"
        return str(a)

    def describe_blocked(self, state) -> str:
        out = []
        for t, th in enumerate(state[2]):
            if th[0] < 0:
                continue
            i = self.ex.code_of(t)[th[0]]
            name = self.ex.threads[t].name
            if isinstance(i, ir.Lock):
                owner = self.ex.mem.lock_owner(state, i, t, th)
                who = ""
                if owner is not None:
                    ended = state[2][owner][0] < 0  # a lock leak: no one will ever release it
                    who = f", held by {self.ex.threads[owner].name}" + (", which ended holding it" if ended else "")
                out.append(f"{name} waits for {i.what} at {i.loc.where}{who}")
            elif isinstance(i, ir.SrcuSync) and th[3] is not None:
                readers = ", ".join(self.ex.threads[u].name for u in sorted(th[3][1]))
                out.append(f"{name} waits in synchronize_srcu({i.what}) at {i.loc.where} for {readers}")
            else:
                out.append(f"{name} is at {i.loc.where}")
        return "; ".join(out)

    def verdicts(self, stats: RunStats) -> dict:
        res: dict[str, PropertyResult] = {}
        for prop in self.props:
            if prop == ir.P_LOCKORDER:
                res[prop] = self.lock_order_verdict(stats)
                continue
            f = self.found.get(prop)
            if f is not None:
                res[prop] = PropertyResult(prop, VIOLATED, f.msg, f.path)
                if f.final:
                    res[prop].message = f"{f.msg}: {f.final}"
            elif stats.complete:
                res[prop] = PropertyResult(prop, HOLDS)
            else:
                res[prop] = PropertyResult(prop, INCOMPLETE, f"stopped by {stats.limit}")
        return res

    def lock_order_verdict(self, stats: RunStats) -> PropertyResult:
        cycles = self.locks.cycles()
        if cycles:
            cyc = cycles[0]
            names = " -> ".join([e.src for e in cyc] + [cyc[0].src])
            pr = PropertyResult(ir.P_LOCKORDER, VIOLATED, f"lock-order cycle {names}", detail=cyc)
            init, labels = self.path_to(cyc[0].sid)
            pr.path = Path(init, labels, "state")
            return pr
        if stats.complete:
            return PropertyResult(ir.P_LOCKORDER, HOLDS)
        return PropertyResult(ir.P_LOCKORDER, INCOMPLETE, f"stopped by {stats.limit}")


def explore(program: ir.Program, limits: Limits | None = None, memory=None, progress=None,
            on_final=None, reduction: str = "none") -> RunResult:
    """Explore every interleaving of the program (within limits) and return its verdicts.

    ``on_final(values, sid)`` is called once per distinct final state (every thread
    ended), with the final value of every global cell (litmus tests use this).
    """
    return Search(program, limits or Limits(), memory, progress, on_final, reduction).run()
