"""Replay a path through the executor, recording what each step read and wrote.

Every engine's counterexample ends here: a z3 trace is turned into a path and
replayed too, so a trace that does not replay is caught as an internal error.
"""

from __future__ import annotations

import re

from collections.abc import Iterator

from rmapcheck.engines.explicit.executor import Executor
from rmapcheck.errors import InternalError
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import Path, Trace, TraceStep


class _Names:
    """Stable names for heap objects across renumbering: ``kvm_rmap_head#2``."""

    def __init__(self, ex: Executor):
        self.ex = ex
        self.heap: dict[int, str] = {}
        self.count = 0

    def born(self, hid: int, type_name: str) -> None:
        self.count += 1
        short = type_name.replace("struct ", "").replace(" ", "")
        self.heap[hid] = f"{short}#{self.count}"

    def renumber(self, remap: dict) -> None:
        if remap:
            self.heap = {remap[k]: v for k, v in self.heap.items() if k in remap}

    def cell(self, a, tid: int) -> str:
        p = self.ex.p
        base, off = a
        if base == ir.GLOBAL:
            return p.global_cells[off].name if 0 <= off < len(p.global_cells) else f"global+{off}"
        if base >= 0:
            return f"{self.heap.get(base, f'heap{base}')}[{off}]"
        t = ir.LOCAL_BASE - base
        cells = self.ex.threads[t].ir.local_cells if 0 <= t < len(self.ex.threads) else []
        return cells[off].name.split(":", 1)[-1] if 0 <= off < len(cells) else f"local+{off}"

    def value(self, v, is_ptr: bool | None = None, pointee: str = "") -> str:
        if v.__class__ is tuple:
            base, off = v
            if base >= 0:
                name = self.heap.get(base, f"heap{base}")
                return f"&{name}" if off == 0 else f"&{name}[{off}]"
            if base == ir.GLOBAL:
                objs = self.ex.p.global_objects.get(off, [])
                typed = [n for n, t in objs if t == pointee]
                if typed or objs:
                    return "&" + (typed[-1] if typed else objs[0][0])
            return "&" + self.cell(v, 0)
        if v == 0 and is_ptr:
            return "NULL"
        return str(v)


def expand(ex: Executor, path: Path) -> Path:
    """The path a reduced search found, as the unreduced executor runs it: each step that the
    reduction ran inside the transition before it becomes its own transition again (with the
    choices it made), so a trace lists every visible step. ex: the executor with the reduction."""
    if not ex.fold or path.init == -1:  # leading runs are never reduced
        return path
    inits = ex.initial_states()
    if not 0 <= path.init < len(inits):
        raise InternalError(f"trace starts from initial state {path.init}, which does not exist")
    labels = []
    folded = set()
    runs = walk(ex, inits[path.init][0], path.labels, False, logs=True)
    for (_, choices), (tid, log, _) in zip(path.labels, runs):
        choices = tuple(choices)
        cuts = [0] + [ci for kind, _, ci in log if kind == "fold"] + [len(choices)]
        folded.update(range(len(labels) + 1, len(labels) + len(cuts) - 1))
        labels += [(tid, choices[a:b]) for a, b in zip(cuts, cuts[1:])]
    out = Path(path.init, labels, path.kind)
    out.folded = folded  # which steps the reduction ran inside the one before (see shorten)
    return out


def _shows(ex: Executor, state_before, out, prop: str, kind: str, msg: str | None = None) -> bool:
    """Does the last step of a path (outcome out, from state_before) show the violation (with
    message msg, if given)?"""
    def hit(events) -> bool:
        return any(ev.prop == prop and (msg is None or ev.msg == msg) for ev in events)

    if kind == "step":
        return hit(out.events)
    st = out.state
    if st is None:
        return False
    if prop == ir.P_RACE:
        return ex.mem.state_events is not None and hit(ex.mem.state_events(st, ex))
    if prop == ir.P_DEADLOCK:
        return (any(th[0] >= 0 for th in st[2])
                and not any(th[0] >= 0 and ex.enabled(st, t) for t, th in enumerate(st[2])))
    return hit(ex.check_invariants(st))


def shorten(ex: Executor, path: Path, prop: str, msg: str | None = None) -> Path:
    """Leave out the steps the reduction ran inside the step before them that the violation
    does not need (an unlock run early, say), latest first, as long as the rest still replays
    in the unreduced executor ex and ends in the same violation: the trace a person reads has
    no step that does not matter to it. Lock-order cycles keep their path (edges, not ends).
    With msg (the violation's message), also every step of a thread, then a thread's first
    step, where the rest still ends in that same message (a persistent set may order a step
    the violation does not need before the ones it needs); deadlocks keep those steps."""
    folded = sorted(getattr(path, "folded", ()), reverse=True)
    if prop == ir.P_LOCKORDER or path.init == -1:
        return path
    if prop == ir.P_DEADLOCK:
        msg = None
    if not folded and msg is None:
        return path
    inits = ex.initial_states()
    labels = list(path.labels)

    def replays(cand: list) -> bool:
        try:
            state, last = inits[path.init][0], None
            for _, _, out in walk(ex, state, cand, False):
                last, state_before = out, state
                state = out.state
            return last is not None and _shows(ex, state_before, last, prop, path.kind, msg)
        except InternalError:
            return False

    for k in folded:
        if k < len(labels) and replays(labels[:k] + labels[k + 1:]):
            labels = labels[:k] + labels[k + 1:]
    if msg is not None:
        for first_only in (False, True):
            for tid in sorted({t for t, _ in labels[:-1]}):
                mine = [k for k, (t, _) in enumerate(labels[:-1]) if t == tid]
                if not mine:
                    continue
                gone = set(mine[:1] if first_only else mine)
                cand = [lab for k, lab in enumerate(labels) if k not in gone]
                if replays(cand):
                    labels = cand
    return Path(path.init, labels, path.kind)


def trim(ex: Executor, path: Path, expanded: Path, prop: str) -> Path:
    """An expanded path ends with the steps the reduction ran after the one that mattered:
    cut them off where the violation already shows. A step violation: at the first of the last
    transition's steps whose events name the property. A state violation of an invariant or a
    race between two pending accesses: at the first state of the last transition where it is
    seen (the steps run later touch private objects only, which neither can see); a deadlock or
    a lock-order edge needs the whole transition. ex: the unreduced executor."""
    extra = len(expanded.labels) - len(path.labels)
    if extra <= 0 or (expanded.kind == "state" and prop in (ir.P_DEADLOCK, ir.P_LOCKORDER)):
        return expanded
    inits = ex.initial_states()
    first = len(expanded.labels) - 1 - extra  # the last transition's first step
    for n, (_, _, out) in enumerate(walk(ex, inits[expanded.init][0], expanded.labels, False)):
        if n < first:
            continue
        if expanded.kind == "step":
            hit = any(ev.prop == prop for ev in out.events) or out.state is None
        elif prop == ir.P_RACE:
            hit = ex.mem.state_events is not None and any(ev.prop == prop for ev in ex.mem.state_events(out.state, ex))
        else:
            hit = any(ev.prop == prop for ev in ex.check_invariants(out.state))
        if hit:
            return Path(expanded.init, expanded.labels[:n + 1], expanded.kind)
    return expanded


def replay(ex: Executor, path: Path, prop: str = "", message: str = "") -> Trace:
    leading = path.init == -1  # the labels are the threads' leading local steps (see initial_states)
    if leading:
        state = ex.initial_state()
    else:
        inits = ex.initial_states()
        if not 0 <= path.init < len(inits):
            raise InternalError(f"trace starts from initial state {path.init}, which does not exist")
        state = inits[path.init][0]
    names = _Names(ex)
    steps: list[TraceStep] = []
    for tid, log, out in walk(ex, state, path.labels, leading, logs=True):
        steps.append(_step(ex, names, tid, log, out))
        names.renumber(out.remap)
    return Trace(prop, message, steps)


def walk(ex: Executor, state, labels, leading: bool, logs: bool = False) -> Iterator[tuple[int, list | None, object]]:
    """Run the labels from state: (tid, the step's log or None, the executor's outcome) per step.

    A label that cannot run here, or a path that goes on after its end, is an InternalError:
    paths come from the engines, so either is a bug in rmapcheck."""
    for n, (tid, choices) in enumerate(labels):
        if not 0 <= tid < len(ex.threads) or not (leading or ex.enabled(state, tid)):
            raise InternalError(f"trace step {n + 1}: thread {tid} cannot move here")
        log: list | None = [] if logs else None
        try:
            out = ex.run(state, tid, tuple(choices), log, leading)
        except Exception as e:  # NeedChoice: the label lacks a choice
            raise InternalError(f"trace step {n + 1} does not replay: {e!r}") from None
        yield tid, log, out
        if out.state is None:
            if n != len(labels) - 1:
                raise InternalError(f"trace step {n + 1} ends the path but the trace goes on")
            return
        state = out.state


_CONDITION = re.compile(r"\s*(?:\}\s*)?(?:else\s+)?(?:if|while|for|switch)\s*\(")


def _shown_as_local(instr) -> bool:
    """Whether a local instruction is a line of the step list: not a declaration's scope
    bookkeeping (Kill), and a condition only where it is evaluated (its Branch), not where a
    call in it is set up or its temporaries are dropped."""
    if isinstance(instr, ir.Kill):
        return False
    return isinstance(instr, ir.Branch) or not _CONDITION.match(instr.text or "")


def _step(ex: Executor, names: _Names, tid: int, log: list, out) -> TraceStep:
    ti = ex.threads[tid]
    code = ti.ir.code
    cells = ti.ir.local_cells
    first = None
    ops: list[str] = []
    shared_ops: list[str] = []
    locals_: list[tuple[int, str, str]] = []
    cur = None
    for kind, a, b in log:
        if kind == "step":
            cur = code[a]
            if first is None:
                first = cur
            elif ((cur.loc.line, cur.loc.file) != (first.loc.line, first.loc.file)
                  and (not locals_ or locals_[-1][::2] != (cur.loc.line, cur.loc.incl_file))
                  and _shown_as_local(cur)):
                locals_.append((cur.loc.line, cur.text, cur.loc.incl_file))
            continue
        text = _op(names, tid, cur, kind, a, b, cells)
        ops.append(text)
        if not (kind in ("read", "write") and a[0] == ir.LOCAL_BASE - tid):
            shared_ops.append(text)
    notes = [ev.msg for ev in out.events]
    line = first.loc.line if first else 0
    return TraceStep(
        tid=tid,
        thread=ti.name,
        line=line,
        func=first.func if first else "",
        text=first.text if first else "",
        op=shared_ops[0] if shared_ops else (ops[0] if ops else ""),
        ops=ops,
        shared_ops=shared_ops,
        locals_=locals_,
        shared=bool(shared_ops) or bool(notes),
        note="; ".join(notes),
        file=first.loc.incl_file if first else "",
    )


def _op(names: _Names, tid: int, instr, kind: str, a, b, cells) -> str:
    what = getattr(instr, "what", "") if instr is not None else ""
    if kind in ("read", "write"):
        name = names.cell(a, tid)
        is_ptr, pointee = None, ""
        if isinstance(instr, ir.Load) and len(b) == 1 and instr.dst < len(cells):
            is_ptr, pointee = cells[instr.dst].is_pointer, cells[instr.dst].pointee
        elif len(b) == 1 and a[0] == ir.GLOBAL and 0 <= a[1] < len(names.ex.p.global_cells):
            gc = names.ex.p.global_cells[a[1]]
            is_ptr, pointee = gc.is_pointer, gc.pointee
        if len(b) == 1:
            val = names.value(b[0], is_ptr, pointee)
        else:
            val = "{" + ", ".join(names.value(v) for v in b[:6]) + (", ..." if len(b) > 6 else "") + "}"
        order = getattr(instr, "order", ir.PLAIN)
        tag = "" if order == ir.PLAIN else f" ({order})"
        label = what if what and what.replace(" ", "") != name else name
        where = f" [{name}]" if label != name else ""
        arrow = "->" if kind == "read" else "="
        return f"{kind} {label}{where} {arrow} {val}{tag}"
    if kind == "lock":
        return f"lock {names.cell(a, tid).rsplit('.__', 1)[0]}"
    if kind == "unlock":
        return f"unlock {names.cell(a, tid).rsplit('.__', 1)[0]}"
    if kind == "alloc":
        names.born(b, a)
        return f"allocate {names.heap[b]}"
    if kind == "alloc_fail":
        return f"allocation of {a} fails (NULL)"
    if kind == "free":
        return "free NULL (no-op)" if a == 0 else f"free {names.value(a)}"
    if kind == "srcu_read_lock":
        return f"srcu_read_lock {a}"
    if kind == "srcu_read_unlock":
        return f"srcu_read_unlock {a}"
    if kind == "srcu_wait":
        readers = ", ".join(names.ex.threads[u].name for u in b)
        return f"synchronize_srcu {a}: waits for {readers}"
    if kind == "srcu_sync":
        return f"synchronize_srcu {a}: grace period over"
    if kind == "ra_read":
        value, missed = b
        seen = ", ".join(f"{names.value(v)} written at {line} by {who}" for who, line, v in missed)
        return f"weak memory: {names.cell(a, tid)} reads the older {names.value(value)}, missing {seen}"
    if kind == "ra_write":
        value, later = b
        before = ", ".join(f"{names.value(v)} ({line}, {who})" for who, line, v in later)
        return f"weak memory: this write of {names.cell(a, tid)} is ordered before {before}"
    if kind == "nondet":
        return f"nondet -> {b}"
    if kind == "fence":
        return f"smp_{a}"
    return kind
