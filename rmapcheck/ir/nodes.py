"""The IR: per thread, a flat control-flow graph of atomic steps.

Every function call is inlined, so a thread is one list of instructions and its
locals are one flat vector of scalar cells. Memory is a vector of scalar cells
too: structs and arrays are flattened at compile time, so a pointer is a pair
(base, offset) and every access names a cell range. This keeps the IR small
enough for z3 and fast enough for explicit search.

Values are Python ints; a pointer is a tuple ``(base, offset)`` where base is
GLOBAL (-1), a thread's locals (LOCAL_BASE - tid) or a heap object id (>= 0).
NULL is the int 0.

Instructions are *visible* (they touch memory other threads can see, or
synchronise) or *local*. An engine schedules threads only at visible
instructions; local ones run inside the transition that precedes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from rmapcheck.errors import SourceLoc

GLOBAL = -1
LOCAL_BASE = -2  # the locals of thread t live at base LOCAL_BASE - t


def local_base(tid: int) -> int:
    return LOCAL_BASE - tid


# ----------------------------------------------------------------------------
# Expressions: pure, over constants and the executing thread's locals.


@dataclass(frozen=True, slots=True)
class Const:
    value: int


@dataclass(frozen=True, slots=True)
class LocalRef:
    """The value of local cell ``off``."""

    off: int


@dataclass(frozen=True, slots=True)
class GlobalAddr:
    """A pointer to global cell ``off``."""

    off: int


@dataclass(frozen=True, slots=True)
class LocalAddr:
    """A pointer to local cell ``off`` of the executing thread."""

    off: int


@dataclass(frozen=True, slots=True)
class PtrAdd:
    """``ptr + index * scale`` in cells (array indexing, field offsets)."""

    ptr: "Expr"
    index: "Expr"
    scale: int


@dataclass(frozen=True, slots=True)
class Bin:
    op: str  # + - * / % << >> & | ^ == != < <= > >= && ||
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Un:
    op: str  # - ! ~
    arg: "Expr"


@dataclass(frozen=True, slots=True)
class Cond:
    cond: "Expr"
    then: "Expr"
    other: "Expr"


Expr = Union[Const, LocalRef, GlobalAddr, LocalAddr, PtrAdd, Bin, Un, Cond]


# ----------------------------------------------------------------------------
# Instructions.

# Memory orders of loads and stores, as the kernel names them.
PLAIN = "plain"
ONCE = "once"
ACQUIRE = "acquire"
RELEASE = "release"
DEREF = "deref"  # srcu_dereference / rcu_dereference: acquire-like for the pointer
ASSIGN = "assign"  # rcu_assign_pointer: a release store

# Names of the built-in properties (stable: tests, docs and expectations use them).
P_ASSERT = "assertions"
P_WARN = "no-warn"
P_NULL = "no-null-deref"
P_UAF = "no-use-after-free"
P_DFREE = "no-double-free"
P_LEAK = "no-leak"
P_DEADLOCK = "no-deadlock"
P_LOCKLEAK = "no-lock-leak"
P_BADUNLOCK = "no-bad-unlock"
P_LOCKORDER = "lock-order"
P_BOUNDS = "no-out-of-bounds"
P_RACE = "no-data-race"
P_LOCKDEP = "lockdep"  # lockdep_assert_held(): only in models that call it


@dataclass(slots=True)
class Instr:
    loc: SourceLoc
    func: str  # the source function the step belongs to (after inlining)
    text: str  # the statement, for traces

    visible = True  # class attribute: is this a scheduling point?


@dataclass(slots=True)
class Assign(Instr):
    dst: int
    expr: Expr
    visible = False


@dataclass(slots=True)
class Copy(Instr):
    """Local-to-local copy of ``width`` cells (struct assignment between locals)."""

    dst: int
    src: int
    width: int
    visible = False


@dataclass(slots=True)
class Kill(Instr):
    """Reset dead locals to 0 when a function returns (keeps states canonical)."""

    off: int
    width: int
    visible = False


@dataclass(slots=True)
class Load(Instr):
    dst: int
    addr: Expr
    width: int
    order: str  # PLAIN, ONCE, ACQUIRE, DEREF
    what: str = ""  # the lvalue as written in the model


@dataclass(slots=True)
class Store(Instr):
    addr: Expr
    values: tuple  # tuple[Expr, ...], one per cell
    order: str  # PLAIN, ONCE, RELEASE, ASSIGN
    what: str = ""


@dataclass(slots=True)
class Branch(Instr):
    cond: Expr
    target: int  # taken when cond is true
    other: int  # taken when cond is false
    visible = False


@dataclass(slots=True)
class Jump(Instr):
    target: int
    visible = False


@dataclass(slots=True)
class Lock(Instr):
    addr: Expr
    kind: str  # "mutex" or "spin"
    what: str = ""


@dataclass(slots=True)
class Unlock(Instr):
    addr: Expr
    kind: str
    what: str = ""


@dataclass(slots=True)
class SrcuReadLock(Instr):
    dst: int | None
    addr: Expr
    what: str = ""


@dataclass(slots=True)
class SrcuReadUnlock(Instr):
    addr: Expr
    what: str = ""
    index: Expr | None = None  # the srcu_read_lock() result passed back: which section ends (LKMM)


@dataclass(slots=True)
class SrcuSync(Instr):
    """synchronize_srcu: waits for every read section that began before it."""

    addr: Expr
    what: str = ""


@dataclass(slots=True)
class Alloc(Instr):
    """An allocation that may fail (NULL) while the fault budget lasts."""

    dst: int
    site: int
    count: Expr
    elem_cells: int
    type_name: str


@dataclass(slots=True)
class Free(Instr):
    ptr: Expr
    what: str = ""


@dataclass(slots=True)
class Assert(Instr):
    cond: Expr
    prop: str  # P_ASSERT or a model-declared property such as "rmaps-present"
    visible = False


@dataclass(slots=True)
class AssertHeld(Instr):
    """lockdep_assert_held(&lock): property ``prop`` fails unless this thread holds lock."""

    addr: Expr
    prop: str
    what: str = ""
    visible = False


@dataclass(slots=True)
class Warn(Instr):
    """WARN_ON(cond): reports when cond holds and execution goes on."""

    dst: int | None
    cond: Expr
    visible = False


@dataclass(slots=True)
class Assume(Instr):
    cond: Expr
    visible = False


@dataclass(slots=True)
class Nondet(Instr):
    dst: int
    lo: int
    hi: int  # inclusive
    visible = False


# Barriers that strengthen the step right next to them (the front end checks it is there):
# smp_mb() at their place for the explicit engine; their own LKMM meaning for the axioms.
MB_NEXT_TO = ("mb__before_atomic", "mb__after_atomic", "mb__after_unlock_lock", "mb__after_spinlock",
              "mb__after_srcu_read_unlock")


def fence_effect(kind: str) -> str:
    """What a fence does under an operational memory model: mb, wmb or rmb."""
    return "mb" if kind in MB_NEXT_TO else kind


@dataclass(slots=True)
class Fence(Instr):
    kind: str  # "mb", "wmb", "rmb", or one of MB_NEXT_TO (smp_<kind> is the kernel's name)


# Orderings of a read-modify-write step (LKMM's names: the suffix of the kernel primitive).
RELAXED = "relaxed"
MB = "mb"  # fully ordered: smp_mb() before and after (atomic_inc_return, xchg, cmpxchg)
RMW_ORDERS = (RELAXED, ACQUIRE, RELEASE, MB)
# Operations: the value written, from the old value v and the operand x.
RMW_OPS = ("xchg", "add", "sub", "and", "or", "xor", "andnot", "cmpxchg", "add_unless")
# Results returned to the thread: the old value, the new one, new == 0, new < 0, the
# tested bit (old & x != 0), whether the conditional write happened, or nothing.
RMW_RESULTS = ("old", "new", "zero", "negative", "bit", "done", "none")


@dataclass(slots=True)
class Rmw(Instr):
    """An atomic read-modify-write of one cell: read v, write op(v, x), in one step that no
    other write to the cell can come between (LKMM's rmw relation).

    ``cmpxchg`` writes x only when v == expected and ``add_unless`` adds x only when
    v != expected; when they do not write, the step is a plain marked read and has no
    ordering (LKMM: a failed cmpxchg is relaxed). ``order`` applies to the read (acquire),
    the write (release), or both with a full fence on each side (mb)."""

    dst: int | None  # local that receives the result, if used
    addr: Expr
    op: str  # one of RMW_OPS
    operand: Expr
    expected: Expr | None  # cmpxchg's old value, add_unless's "unless" value
    result: str  # one of RMW_RESULTS
    order: str  # one of RMW_ORDERS
    what: str = ""


@dataclass(slots=True)
class End(Instr):
    """The thread's entry function returned."""

    visible = False


# ----------------------------------------------------------------------------
# Program.


@dataclass
class Cell:
    """What a global or local cell is called, for traces: ``kvm.memslots[0].npages``."""

    name: str
    is_pointer: bool
    pointee: str = ""  # for a pointer cell: the type it points to ("struct kvm_memslots")


@dataclass
class Thread:
    name: str  # the entry function
    instances: int
    code: list  # list[Instr]; index = pc
    nlocals: int
    local_cells: list  # list[Cell]
    param_cell: int | None  # local that receives the instance number, if any
    escaped: frozenset = frozenset()  # locals whose address is taken


@dataclass
class AllocSite:
    loc: SourceLoc
    func: str
    type_name: str
    has_pointers: bool = True  # can the object's cells hold pointers? (False: skip it when scanning)


@dataclass
class Expectation:
    memory_model: str
    prop: str  # a property name, or "*" for every other property
    verdict: str  # "holds" or "violated"
    loc: SourceLoc
    config: dict | None = None  # NAME=V of the @config run it is for; None: every run of the memory model


@dataclass
class Meta:
    """The model's header: what it models and what it must show."""

    title: str = ""
    sources: list = field(default_factory=list)
    description: str = ""
    params: dict = field(default_factory=dict)  # name -> description
    memory_models: list = field(default_factory=lambda: ["sc"])
    expectations: list = field(default_factory=list)  # list[Expectation]
    configs: list = field(default_factory=list)  # list[dict[str, int]]
    config_mms: list = field(default_factory=list)  # per config: the memory model it is for, or None (all)
    mm_defines: dict = field(default_factory=dict)  # memory model -> defines of every run under it (@defines)
    faults: int = 0
    nondet_range: tuple | None = None
    elements: list = field(default_factory=list)  # [(NAME, description, line)]: @element, for necessity


def meta_runs(meta: Meta) -> list:
    """(memory model, defines) of every run `verify` makes: per memory model, the default
    configuration and each @config for it, each with that memory model's @defines."""
    return [(mm, defines) for mm, defines, _ in meta_runs_with_config(meta)]


def meta_runs_with_config(meta: Meta, weak: tuple = ()) -> list:
    """meta_runs, each with the @config it applies ({} for the default configuration).
    weak: memory models among tso and lkmm whose runs are wanted too: only the @configs
    that name them (the z3 event engine's runs; a model's sc configurations cost minutes to
    hours under lkmm, so each weak run is declared on its own)."""
    out = []
    mms = meta.config_mms or [None] * len(meta.configs)
    for mm in meta.memory_models:
        base = dict(meta.mm_defines.get(mm, {}))
        for cfg in [{}] + [c for c, m in zip(meta.configs, mms) if m in (None, mm)]:
            out.append((mm, {**base, **cfg}, cfg))
    for mm in weak:
        base = dict(meta.mm_defines.get(mm, {}))
        out += [(mm, {**base, **c}, c) for c, m in zip(meta.configs, mms) if m == mm]
    return out


@dataclass
class Invariant:
    prop: str
    func: str
    code: list  # evaluated atomically in every state; ends with Assert(prop)
    nlocals: int


@dataclass
class Program:
    path: str
    source_lines: list  # the model text, for traces and error carets
    meta: Meta
    defines: dict  # the #define constants, after -D overrides
    global_cells: list  # list[Cell]
    global_init: list  # initial value of every global cell
    globals_by_name: dict  # name -> (offset, width)
    threads: list  # list[Thread]
    sites: list  # list[AllocSite]
    invariants: list  # list[Invariant]
    properties: list  # every property name this program is checked for
    global_objects: dict = field(default_factory=dict)  # offset -> [(name, type)] of objects starting there
    files: dict = field(default_factory=dict)  # every file read (the model and what it #includes) -> its lines

    def line(self, n: int, file: str | None = None) -> str:
        lines = self.files.get(file, self.source_lines) if file else self.source_lines
        return lines[n - 1] if 0 < n <= len(lines) else ""


def is_scheduling_point(instr: Instr, memory_model: str = "sc") -> bool:
    """Does an engine have to let other threads run before this step?

    Every engine must use this one definition, so that their traces line up:
    a transition is one scheduling point followed by every step up to the next.
    """
    return instr.visible


BUILTIN_PROPERTIES = [
    P_ASSERT,
    P_WARN,
    P_NULL,
    P_UAF,
    P_DFREE,
    P_BOUNDS,
    P_LEAK,
    P_DEADLOCK,
    P_LOCKLEAK,
    P_BADUNLOCK,
    P_LOCKORDER,
]
