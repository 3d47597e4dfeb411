"""A counterexample as an execution: its states and its events, for the exports.

The trace of a violation (``PropertyResult.trace``, built by the explicit engine's
replay) is what people read; the exports need more structure: the value of every
variable after every step (the ITF states), and every shared access as an event
with the write it read from (the execution graph). Both are derived here from
the same ``Path`` the trace was replayed from, through the same executor and the
same heap names, and checked step by step against the trace, so that every
format shows one and the same counterexample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rmapcheck.engines.explicit.executor import Executor
from rmapcheck.engines.explicit.replay import _Names
from rmapcheck.errors import InternalError, where_text
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import PropertyResult, Trace

# Event kinds, as herd7 names them where it has a name.
READ, WRITE, LOCK, UNLOCK = "R", "W", "L", "U"
SRCU_LOCK, SRCU_UNLOCK, SRCU_SYNC, SRCU_GP = "Rcu-lock", "Rcu-unlock", "Sync-srcu", "GP-end"
ALLOC, ALLOC_FAIL, FREE, FENCE, NONDET = "Alloc", "Alloc-fail", "Free", "F", "Nondet"


@dataclass
class Event:
    eid: int
    step: int  # index of the trace step (0-based)
    tid: int
    thread: str
    kind: str
    target: str  # cell name (first cell of a multi-cell access), lock or srcu name
    cells: list = field(default_factory=list)  # [(cell name, value text)] of a read or write
    order: str = ""  # memory order of a load or store
    line: int = 0
    func: str = ""
    text: str = ""
    file: str = ""  # the #included file of line; "" for the model itself
    missed: list = field(default_factory=list)  # ra: [(thread, where, value)] newer writes a read missed
    waits_for: list = field(default_factory=list)  # srcu: the reader threads a grace period waits for
    co_before: list = field(default_factory=list)  # ra: [(thread, where, value)] older writes this one precedes

    def label(self) -> str:
        """``W[release] kvm.flag=1``, herd7 style."""
        if self.kind in (READ, WRITE):
            tag = "" if self.order in ("", ir.PLAIN) else f"[{self.order}]"
            if len(self.cells) == 1:
                return f"{self.kind}{tag} {self.cells[0][0]}={self.cells[0][1]}"
            vals = ",".join(v for _, v in self.cells[:4]) + (",..." if len(self.cells) > 4 else "")
            return f"{self.kind}{tag} {self.target}{{{vals}}}"
        if self.kind in (ALLOC, FREE):
            return f"{self.kind} {self.target}"
        if self.kind == SRCU_SYNC and self.waits_for:
            return f"{self.kind} {self.target} (waits)"
        return f"{self.kind} {self.target}".strip()


@dataclass
class Execution:
    program: ir.Program
    memory_model: str
    trace: Trace
    threads: list  # thread names, by tid
    states: list  # one dict per state: variable -> value (JSON-ready), initial state first
    actions: list  # per state after the first: the step that led to it (dict)
    events: list  # list[Event], in execution order
    rf: list = field(default_factory=list)  # (write eid or None for the initial value, read eid, cell)
    co: dict = field(default_factory=dict)  # cell -> [write eids] in coherence order
    lock_edges: list = field(default_factory=list)  # (unlock eid, next lock eid, lock name)
    srcu_edges: list = field(default_factory=list)  # (reader's srcu unlock eid, grace-period end eid, srcu name)
    complete: bool = True  # False: the last step stopped the path (the violation happened inside it)
    variables: list = field(default_factory=list)  # the ITF variable names, in order


def _lock_name(names: _Names, a, tid: int) -> str:
    return names.cell(a, tid).rsplit(".__", 1)[0] if isinstance(a, tuple) else str(a)


def build_execution(program: ir.Program, result: PropertyResult, memory_model: str = "sc") -> Execution:
    """Re-run the violation's path, recording states and events; check it against the trace."""
    from rmapcheck.runner import memory_for

    if result.path is None or result.trace is None:
        raise InternalError(f"{result.name}: no counterexample to export")
    mem = memory_for(program, memory_model)
    ex = Executor(program, mem)
    names = _Names(ex)
    inits = ex.initial_states()
    if not 0 <= result.path.init < len(inits):
        raise InternalError("trace starts from an initial state that does not exist")
    state = inits[result.path.init][0]
    latest = (lambda v: v[-1][0]) if mem.name == "ra" else (lambda v: v)
    threads = [t.name for t in ex.threads]
    states = [_snapshot(ex, names, state, latest)]
    actions: list = []
    events: list[Event] = []
    complete = True
    steps = result.trace.steps
    if len(result.path.labels) != len(steps):
        raise InternalError("the path and its trace differ in length")
    for n, (tid, choices) in enumerate(result.path.labels):
        log: list = []
        out = ex.run(state, tid, tuple(choices), log)
        if steps[n].tid != tid:
            raise InternalError(f"step {n + 1}: the trace and the path name different threads")
        writes = _events(ex, names, n, tid, log, events)
        step = steps[n]
        actions.append({"step": n + 1, "thread": threads[tid], "line": step.line, "func": step.func,
                        "text": step.text.strip(), "ops": list(step.ops), **({"note": step.note} if step.note else {})})
        names.renumber(out.remap)
        if out.state is None:
            # the violation stopped the step: the last state is the previous one with its writes applied
            complete = False
            last = _copy(states[-1])
            for cell, value in writes:
                _assign(last, cell, value)
            thr = last.get("rmapcheck::threads", {}).get(threads[tid])
            if isinstance(thr, dict):
                thr["line"] = step.line
                thr["func"] = step.func
            states.append(last)
            break
        state = out.state
        states.append(_snapshot(ex, names, state, latest))
    exe = Execution(program, memory_model, result.trace, threads, states, actions, events, complete=complete)
    exe.variables = list(states[0].keys())
    _relations(exe)
    return exe


# -- states -------------------------------------------------------------------------------------


_PATH = re.compile(r"\.|\[(\d+)\]")


def _split(name: str) -> list:
    """``kvm.memslots[0].npages`` -> ['kvm', 'memslots', 0, 'npages']."""
    out: list = []
    pos = 0
    for m in _PATH.finditer(name):
        if m.start() > pos:
            out.append(name[pos:m.start()])
        if m.group(1) is not None:
            out.append(int(m.group(1)))
        pos = m.end()
    if pos < len(name):
        out.append(name[pos:])
    return out


def _assign(root: dict, name: str, value) -> None:
    """Set the value of cell ``name`` in a nested record/list structure."""
    parts = _split(name)
    if not parts:
        return
    if parts[-1] in ("__owner", "__srcu", "__locked"):
        parts = parts[:-1]
    node = root
    for k, key in enumerate(parts[:-1]):
        nxt_is_index = isinstance(parts[k + 1], int)
        if isinstance(node, list):
            while len(node) <= key:
                node.append(None)
            if not isinstance(node[key], (dict, list)):
                node[key] = [] if nxt_is_index else {}
            node = node[key]
        else:
            if not isinstance(node.get(key), (dict, list)):
                node[key] = [] if nxt_is_index else {}
            node = node[key]
    last = parts[-1]
    if isinstance(node, list) and isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    elif isinstance(node, dict):
        node[str(last)] = value


def _copy(v):
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _value(names: _Names, v, cell: ir.Cell | None):
    """A cell's value for ITF: an integer, or a pointer as text (``&arr0``, ``NULL``)."""
    if v.__class__ is tuple:
        return names.value(v, True, cell.pointee if cell else "")
    if cell is not None and cell.is_pointer:
        return "NULL" if v == 0 else str(v)
    if isinstance(v, int) and abs(v) >= 2 ** 53:
        return {"#bigint": str(v)}
    return v


def _snapshot(ex: Executor, names: _Names, state, latest) -> dict:
    p = ex.p
    G, H, T = state[0], state[1], state[2]
    out: dict = {}
    for k, cell in enumerate(p.global_cells):
        v = latest(G[k])
        if cell.name.endswith(".__owner"):
            v = ex.threads[v - 1].name if isinstance(v, int) and 0 < v <= len(ex.threads) else None
            _assign(out, cell.name, v if v is not None else "unlocked")
            continue
        if cell.name.endswith(".__srcu"):
            _assign(out, cell.name, "srcu")
            continue
        _assign(out, cell.name, _value(names, v, cell))
    heap: dict = {}
    for hid, obj in enumerate(H):
        name = names.heap.get(hid, f"heap{hid}")
        site = p.sites[obj.site] if 0 <= obj.site < len(p.sites) else None
        vals = [latest(c) for c in obj.cells]
        heap[name] = {
            "type": site.type_name if site else "?",
            "freed": not obj.alive,
            "cells": [names.value(v) if v.__class__ is tuple else v for v in vals],
        }
    out["rmapcheck::heap"] = heap
    thr: dict = {}
    for tid, th in enumerate(T):
        pc, _, held, waiting = th
        ti = ex.threads[tid]
        code = ti.ir.code
        instr = code[pc] if 0 <= pc < len(code) else None
        holds = []
        for kind, a, _pc in held:
            holds.append(("srcu read section " if kind == "s" else "") + _lock_name(names, a, tid))
        thr[ti.name] = {
            "done": pc < 0,
            "line": instr.loc.line if instr is not None else 0,
            "file": instr.loc.file if instr is not None else "",
            "func": instr.func if instr is not None else "",
            "holds": holds,
            "waiting": bool(waiting),
        }
    out["rmapcheck::threads"] = thr
    out["rmapcheck::faults_left"] = state[3]
    return out


# -- events -------------------------------------------------------------------------------------------


def _events(ex: Executor, names: _Names, step: int, tid: int, log: list, events: list) -> list:
    """Append the step's events; return the (cell, value) writes to shared memory it made."""
    code = ex.threads[tid].ir.code
    cells = ex.threads[tid].ir.local_cells
    own = ir.LOCAL_BASE - tid
    thread = ex.threads[tid].name
    cur = None
    writes: list = []
    pending_missed: dict = {}
    pending_co: dict = {}
    open_sync: Event | None = None

    def new(kind: str, target: str, **kw) -> Event:
        e = Event(len(events), step, tid, thread, kind, target,
                  line=cur.loc.line if cur is not None else 0,
                  file=cur.loc.incl_file if cur is not None else "",
                  func=cur.func if cur is not None else "",
                  text=cur.text.strip() if cur is not None else "", **kw)
        events.append(e)
        return e

    for kind, a, b in log:
        if kind == "step":
            cur = code[a]
            continue
        if kind in ("read", "write"):
            if a.__class__ is tuple and a[0] == own:
                continue  # the thread's own locals
            vals = []
            for k, v in enumerate(b):
                addr = (a[0], a[1] + k)
                name = names.cell(addr, tid)
                cell = None
                if a[0] == ir.GLOBAL and 0 <= addr[1] < len(ex.p.global_cells):
                    cell = ex.p.global_cells[addr[1]]
                elif isinstance(cur, ir.Load) and len(b) == 1 and cur.dst < len(cells):
                    cell = cells[cur.dst]
                shown = _value(names, v, cell)
                vals.append((name, shown if isinstance(shown, str) else str(shown)))
                if kind == "write":
                    writes.append((name, shown))
            order = getattr(cur, "order", ir.PLAIN) if isinstance(cur, (ir.Load, ir.Store, ir.Rmw)) else ir.PLAIN
            e = new(READ if kind == "read" else WRITE, vals[0][0] if vals else "", cells=vals, order=order)
            pend = pending_missed if kind == "read" else pending_co
            for k in range(len(b)):
                (e.missed if kind == "read" else e.co_before).extend(pend.pop((a[0], a[1] + k), []))
            continue
        if kind == "ra_read":
            value, missed = b
            pending_missed[a] = [(who, line, names.value(v)) for who, line, v in missed]
            continue
        if kind == "ra_write":
            value, later = b
            pending_co[a] = [(who, line, names.value(v)) for who, line, v in later]
            continue
        if kind == "lock":
            new(LOCK, _lock_name(names, a, tid))
        elif kind == "unlock":
            new(UNLOCK, _lock_name(names, a, tid))
        elif kind == "alloc":
            names.born(b, a)
            new(ALLOC, names.heap[b])
        elif kind == "alloc_fail":
            new(ALLOC_FAIL, a)
        elif kind == "free":
            new(FREE, "NULL" if a == 0 else names.value(a))
        elif kind == "srcu_read_lock":
            new(SRCU_LOCK, a)
        elif kind == "srcu_read_unlock":
            new(SRCU_UNLOCK, a)
        elif kind == "srcu_wait":
            open_sync = new(SRCU_SYNC, a, waits_for=[ex.threads[u].name for u in b])
        elif kind == "srcu_sync":
            if open_sync is None:
                new(SRCU_SYNC, a)
            new(SRCU_GP, a)
        elif kind == "fence":
            new(FENCE, f"smp_{a}")
        elif kind == "nondet":
            new(NONDET, str(b))
    return writes


def _relations(exe: Execution) -> None:
    """Reads-from, coherence, lock and srcu edges over the events."""
    last_write: dict = {}  # cell -> [(eid, value)] in execution order
    for e in exe.events:
        if e.kind == WRITE:
            for cell, val in e.cells:
                co = exe.co.setdefault(cell, [])
                # ra: a write may enter coherence order before writes made earlier in the interleaving
                at = len(co)
                for who, line, v in e.co_before:
                    for k, w in enumerate(co):
                        ev = exe.events[w]
                        if ev.thread == who and where_text(ev.line, ev.file) == line and k < at:
                            at = k
                co.insert(at, e.eid)
                last_write.setdefault(cell, []).append((e.eid, val))
        elif e.kind == READ:
            seen = set()
            for cell, val in e.cells:
                src = None
                hist = last_write.get(cell, [])
                if hist and (not e.missed or hist[-1][1] == val):
                    src = hist[-1][0]
                if e.missed:  # ra: read an older write with this value, before the ones it missed
                    cands = [w for w, v in hist if v == val]
                    src = cands[-1] if cands else None
                if (src, cell) not in seen:
                    seen.add((src, cell))
                    exe.rf.append((src, e.eid, cell))
    # a lock is acquired from the previous unlock of the same lock
    last_unlock: dict = {}
    for e in exe.events:
        if e.kind == UNLOCK:
            last_unlock[e.target] = e.eid
        elif e.kind == LOCK and e.target in last_unlock:
            exe.lock_edges.append((last_unlock.pop(e.target), e.eid, e.target))
    # a grace period ends after the read sections it waited for
    for e in exe.events:
        if e.kind != SRCU_SYNC or not e.waits_for:
            continue
        gp_end = next((g.eid for g in exe.events[e.eid + 1:] if g.kind == SRCU_GP and g.tid == e.tid), None)
        for reader in e.waits_for:
            unl = next((u.eid for u in exe.events[e.eid + 1:] if u.kind == SRCU_UNLOCK and u.thread == reader
                        and u.target == e.target), None)
            if unl is not None:
                exe.srcu_edges.append((unl, gp_end if gp_end is not None else e.eid, e.target))
