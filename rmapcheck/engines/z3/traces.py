"""From a z3 model to the explicit engine's Path, and a check that the path really violates.

A satisfying assignment gives, per step, the scheduled thread and the values of the
choice variables; the block outcome whose guard the model makes true says which of them
the step used, in order: that is the label (tid, choices) the explicit executor takes.
The path is then re-run through the explicit executor (the reference semantics): if it
does not replay, or does not show the violation, that is an internal error, never a
verdict.
"""

from __future__ import annotations

import z3

from rmapcheck.engines.explicit.executor import Executor
from rmapcheck.engines.explicit.replay import walk
from rmapcheck.errors import InternalError
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.verdict import Path


def _true(model, f) -> bool:
    if isinstance(f, bool):
        return f
    return z3.is_true(model.eval(f, model_completion=True))


def _int(model, v) -> int:
    if isinstance(v, int):
        return v
    return model.eval(v, model_completion=True).as_long()


def labels_from_model(sysm, model, steps: list, last_any: bool = False) -> list:
    """steps: per step (state, subst pairs for pre/ch/sched, sched var). Returns [(tid, choices)]."""
    labels = []
    for n, (st, pairs, sched) in enumerate(steps):
        tid = _int(model, sched)
        pc = _int(model, st.pc[tid])
        outs = sysm.blocks[tid].get(pc)
        if outs is None:
            raise InternalError(f"z3 trace step {n + 1}: thread {tid} rests at pc {pc}, which has no block")
        found = None
        for o in outs:
            if o.kind not in ("rest", "end") and not (last_any and n == len(steps) - 1 and o.kind == "stop"):
                continue
            g = z3.substitute(o.guard, pairs) if not isinstance(o.guard, bool) else o.guard
            if _true(model, g):
                found = o
                break
        if found is None:
            raise InternalError(f"z3 trace step {n + 1}: no path of thread {sysm.names[tid]} from pc {pc} matches the model")
        choices = []
        for var, kind, lo in found.choices:
            choices.append(_int(model, z3.substitute(var, pairs)))
        labels.append((tid, tuple(choices)))
    return labels


class Checker:
    """Re-runs paths through the explicit executor and says what they show."""

    def __init__(self, program: ir.Program):
        from rmapcheck.engines.explicit.search import Limits, Search

        self.p = program
        self.search = Search(program, Limits())  # for lock-order edges and deadlock descriptions
        self.ex: Executor = self.search.ex
        self.inits = self.ex.initial_states()

    def run(self, init: int, labels: list):
        """(final state or None, events of the last step or of the initial state).

        init -1: the labels are the threads' leading local steps from the very first state
        (a violation before a thread's first shared step), as in Executor.initial_states."""
        leading = init == -1
        if leading:
            state, evs = self.ex.initial_state(), []
        elif not 0 <= init < len(self.inits):
            return None, None, "no such initial state"
        else:
            state, evs = self.inits[init]
        events = list(evs)
        try:
            for _, _, out in walk(self.ex, state, labels, leading):
                events, state = out.events, out.state
        except InternalError as e:
            return None, None, str(e)
        return state, events, ""

    def shows(self, init: int, labels: list, prop: str, kind: str):
        """The message of the violation the path shows, or None."""
        state, events, err = self.run(init, labels)
        if err:
            return None
        if kind == "step" or (kind == "state" and not labels and prop != ir.P_DEADLOCK):
            for ev in events or []:
                if ev.prop == prop:
                    return ev.msg
            if kind == "step":
                return None
        if state is None:
            return None
        if prop == ir.P_DEADLOCK:
            if not any(self.ex.enabled(state, t) for t in range(len(self.ex.threads))) and any(
                    th[0] >= 0 for th in state[2]):
                return "no thread can move: " + self.search.describe_blocked(state)
            return None
        for ev in self.ex.check_invariants(state):
            if ev.prop == prop:
                return ev.msg
        return None

    def edge_witness(self, init: int, labels: list, src: str, dst: str):
        state, _, err = self.run(init, labels)
        if err or state is None:
            return None
        for t in range(len(self.ex.threads)):
            for e in self.ex.lock_edges(state, t):
                w = self.search.edge_witness(-1, t, e)
                if w is not None and (w.src, w.dst) == (src, dst):
                    return w
        return None

    def confirm(self, labels: list, prop: str, kind: str, what: str = "z3", leading: bool = False):
        """Find the initial state the labels start from; (Path, message) or InternalError."""
        for k in ([-1] if leading else range(len(self.inits))):
            msg = self.shows(k, labels, prop, kind)
            if msg is not None:
                return Path(k, list(labels), kind), msg
        raise InternalError(f"{what} trace for {prop} does not replay through the explicit executor "
                            f"(labels {labels})")

    def confirm_edge(self, labels: list, src: str, dst: str, what: str = "z3"):
        for k in range(len(self.inits)):
            w = self.edge_witness(k, labels, src, dst)
            if w is not None:
                return Path(k, list(labels), "state"), w
        raise InternalError(f"{what} witness of the lock-order edge {src} -> {dst} does not replay "
                            f"(labels {labels})")
