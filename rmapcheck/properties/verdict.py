"""Verdicts, counterexamples and run statistics: what every engine returns."""

from __future__ import annotations

from dataclasses import dataclass, field

HOLDS = "holds"
VIOLATED = "violated"
INCOMPLETE = "incomplete"  # a limit cut the run before the property was decided
UNKNOWN = "unknown"  # an engine could not decide (z3 gave up)
UNSUPPORTED = "unsupported"  # the engine does not encode this property (the message says why)
ERROR = "error"


@dataclass
class Path:
    """How to reach a violation: an initial state and the transition labels after it."""

    init: int
    labels: list  # list[(tid, choices)]
    kind: str  # "step": the last transition violates; "state": the last state violates


@dataclass
class TraceStep:
    tid: int
    thread: str
    line: int
    func: str
    text: str  # the model's source line
    op: str  # what the visible step does: "read kvm.flag -> 1", "mutex_lock(kvm.lock)"
    ops: list = field(default_factory=list)  # every access of the transition, in order
    shared_ops: list = field(default_factory=list)  # the accesses other threads can see
    locals_: list = field(default_factory=list)  # (line, text, file) of the local steps that followed
    shared: bool = True  # does the step matter for a race diagram?
    note: str = ""  # events: WARN fired, allocation failed, assertion failed
    file: str = ""  # the #included file the line is in; "" for the model itself


@dataclass
class Trace:
    prop: str
    message: str
    steps: list  # list[TraceStep]
    final: str = ""  # what is wrong in the last state (deadlock: who waits for what)


@dataclass
class PropertyResult:
    name: str
    verdict: str
    message: str = ""
    path: Path | None = None
    trace: Trace | None = None
    detail: list = field(default_factory=list)  # lock-order: the edges of the cycle
    execution: object = None  # a weak witness (tso, lkmm): report.weak_witness.WeakExecution


@dataclass
class RunStats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    peak_mb: float = 0.0
    complete: bool = False
    limit: str | None = None  # which limit stopped the run, if any
    reduction: str = "none"  # the explicit engine's reduction (counterexamples: shortest in its graph)

    @property
    def states_per_s(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else float(self.states)


@dataclass
class RunResult:
    model: str
    memory_model: str
    engine: str
    defines: dict
    results: dict  # name -> PropertyResult, in the program's property order
    stats: RunStats

    def violated(self) -> list:
        return [r for r in self.results.values() if r.verdict == VIOLATED]

    def incomplete(self) -> bool:
        return any(r.verdict in (INCOMPLETE, UNKNOWN, UNSUPPORTED) for r in self.results.values())
