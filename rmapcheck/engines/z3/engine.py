"""The z3 engine's entry point: bounded model checking or unbounded proof, and verdicts.

Bounds that the encoding picks (objects per allocation site, cells per object) are
checked, not trusted: reaching one is a *limit*, the bound is doubled and the run
restarts; a limit that cannot be lifted gives 'unknown' with its reason.
"""

from __future__ import annotations

import time

from rmapcheck.engines.explicit.search import Limits, peak_mb
from rmapcheck.engines.z3 import terms as T
from rmapcheck.engines.z3.bmc import BMC, LimitHit
from rmapcheck.engines.z3.symexec import EncodingError
from rmapcheck.engines.z3.system import BuildTimeout, System
from rmapcheck.engines.z3.traces import Checker
from rmapcheck.ir import nodes as ir
from rmapcheck.properties.lockorder import LockGraph
from rmapcheck.properties.verdict import (
    HOLDS, INCOMPLETE, UNKNOWN, VIOLATED, Path, PropertyResult, RunResult, RunStats,
)

MODES = ("bmc", "prove")
MAX_POOL = 64
MAX_CELLS = 256
BMC_WIDTHS = (16, 32)  # bit-vector widths BMC tries, narrowest first: an overflow is a limit that widens
HOUDINI_BMC_SECONDS = 60.0  # the inductive facts exclude most encoding limits from the per-depth queries


class Z3Run:
    """State shared by the modes: the program, the replay checker, what has been found."""

    def __init__(self, program: ir.Program, limits: Limits, progress=None):
        self.p = program
        self.limits = limits
        self.progress = progress
        self.t0 = time.monotonic()
        self.deadline = self.t0 + limits.timeout if limits.timeout else None
        self.checker = Checker(program)
        self.props = list(program.properties)
        self.found: dict = {}  # prop -> (Path, msg, length)
        self.edges: dict = {}  # (src, dst) -> (Path, EdgeWitness)
        self.pools: dict = {}
        self.max_cells: dict = {}
        self.z3stats: dict = {"conflicts": 0, "memory_mb": 0.0, "checks": 0}
        self.sysm = None
        self.width_index = 0

    def system(self) -> System:
        self.sysm = System(self.p, self.pools, self.max_cells, self.deadline)
        return self.sysm

    def lift(self, tags: list) -> bool:
        """Enlarge the bounds behind these limits; False when none can be lifted."""
        sysm = self.sysm
        ok = False
        for tag in tags:
            if not tag:
                return False
            kind, site = tag
            if kind == "width":
                if T.SORT.bv and self.width_index + 1 < len(BMC_WIDTHS):
                    self.width_index += 1
                    T.use_bitvectors(True, BMC_WIDTHS[self.width_index])
                    ok = True
                    continue
                return False
            pool, maxc, elem, sconst, _ = sysm.lay.sites[site]
            if kind == "pool" and pool < MAX_POOL:
                self.pools[site] = pool * 2
                ok = True
            elif kind == "size" and maxc < MAX_CELLS and sconst is None:
                self.max_cells[site] = maxc * 2
                ok = True
            else:
                return False
        return ok

    def init_violations(self, sysm) -> dict:
        """Violations in the threads' leading local steps: {prop: (Path, msg, length)}."""
        import z3

        out: dict = {}
        for prop, cond, t, _ in sysm.init_stop:
            if prop not in self.props or prop in out:
                continue
            sl = z3.Solver()
            sl.add(T.B(cond))
            if sl.check() != z3.sat:
                continue
            labels = sysm.init_labels(sl.model(), t, prop)
            if labels is None:
                continue
            path, msg = self.checker.confirm(labels, prop, "step", "z3", leading=True)
            out[prop] = (path, msg, len(labels))
        return out

    def add_stats(self, st: dict) -> None:
        self.z3stats["conflicts"] += int(st.get("conflicts", 0) or 0)
        mem = st.get("max memory", st.get("memory", 0.0)) or 0.0
        self.z3stats["memory_mb"] = max(self.z3stats["memory_mb"], float(mem))
        if st.get("limits"):
            self.z3stats["limits"] = st["limits"]

    # -- verdicts ----------------------------------------------------------------------------
    def results(self, undecided_verdict: str, reason: str, edges_complete: bool) -> dict:
        res = {}
        for prop in self.props:
            if prop == ir.P_LOCKORDER:
                res[prop] = self.lock_order(undecided_verdict, reason, edges_complete)
                continue
            f = self.found.get(prop)
            if f is not None:
                res[prop] = PropertyResult(prop, VIOLATED, f[1], f[0])
            else:
                res[prop] = PropertyResult(prop, undecided_verdict, "" if undecided_verdict == HOLDS else reason)
        return res

    def lock_order(self, undecided: str, reason: str, complete: bool) -> PropertyResult:
        g = LockGraph()
        for (src, dst), (path, w) in self.edges.items():
            g.add(w)
        cycles = g.cycles()
        if cycles:
            cyc = cycles[0]
            names = " -> ".join([e.src for e in cyc] + [cyc[0].src])
            pr = PropertyResult(ir.P_LOCKORDER, VIOLATED, f"lock-order cycle {names}", detail=cyc)
            pr.path = self.edges[(cyc[0].src, cyc[0].dst)][0]
            return pr
        if complete:
            return PropertyResult(ir.P_LOCKORDER, HOLDS)
        return PropertyResult(ir.P_LOCKORDER, undecided, reason)

    def result(self, mode: str, results: dict, depth: int, complete: bool, limit: str | None) -> RunResult:
        seconds = time.monotonic() - self.t0
        stats = RunStats(states=0, transitions=0, depth=depth, seconds=seconds, peak_mb=peak_mb(),
                         complete=complete, limit=limit)
        rr = RunResult(self.p.path, "sc", f"z3 {mode}", dict(self.p.defines), results, stats)
        self.z3stats["seconds"] = round(seconds, 3)
        rr.z3_stats = dict(self.z3stats)  # read by the CLI report
        return rr


def bmc_depth(limits: Limits) -> int | None:
    """BMC's depth bound: --max-depth (both engines) or --bmc-depth (z3 BMC only), the smaller."""
    bounds = [d for d in (limits.max_depth, limits.bmc_depth) if d is not None]
    return min(bounds) if bounds else None


def run_bmc(program: ir.Program, limits: Limits, progress=None) -> RunResult:
    # bit-blasting: much faster than integer arithmetic for unrolling; the narrowest width first
    T.use_bitvectors(True, BMC_WIDTHS[0])
    run = Z3Run(program, limits, progress)
    depth, complete, stopped = 0, False, None
    while True:
        try:
            sysm = run.system()
        except EncodingError as e:
            return run.result("bmc", run.results(UNKNOWN, f"z3 cannot encode the model: {e}", False), 0, False, "encoding")
        except T.Overflow as e:
            if run.lift([("width", None)]):
                continue
            return run.result("bmc", run.results(UNKNOWN, f"z3 cannot encode the model: {e}", False), 0, False, "encoding")
        except BuildTimeout:
            results = run.results(INCOMPLETE, "stopped by timeout (while building the encoding, depth 0)", False)
            return run.result("bmc", results, 0, False, "timeout")
        run.z3stats["width"] = T.SORT.W
        run.z3stats.pop("facts", None)  # of an earlier, narrower encoding

        def strengthen(sysm=sysm):
            # half of what is left of a --timeout at most: converged facts make every deeper query
            # cheaper, but under a short budget Houdini does not converge and depth matters more.
            # It starts at depth 6, when the KVM models have used 10-30 s of a 100 s budget and
            # need 16-56 s to converge (a third stopped models/01 and 02 short of it, one depth lower)
            houdini = HOUDINI_BMC_SECONDS if run.deadline is None else min(
                HOUDINI_BMC_SECONDS, max(1.0, (run.deadline - time.monotonic()) / 2))
            hd = time.monotonic() + houdini
            hs = sysm.houdini(hd if run.deadline is None else min(hd, run.deadline), collect=False)
            run.z3stats["facts"] = f"{hs.get('kept', 0)}/{hs.get('candidates', 0)}"

        b = BMC(sysm, run.checker, bmc_depth(limits), run.deadline, progress, strengthen)
        b.found = run.found
        b.edges = run.edges
        b.provisional = {p: v for p, v in run.init_violations(sysm).items() if p not in run.found}
        hit = None
        try:
            b.run(run.props)
        except LimitHit as e:
            hit = e
        run.found.update({p: v for p, v in b.provisional.items() if p not in run.found})
        run.add_stats(b.statistics())
        run.z3stats["checks"] += b.checks
        if hit is not None:
            if run.lift(hit.tags):
                continue
            depth, stopped = hit.depth, f"encoding limit at depth {hit.depth}: {hit.msg}"
            break
        depth, complete = b.depth, b.complete
        if not complete:
            stopped = "timeout" if b.stopped == "timeout" else "max-depth"
        break
    if complete:
        results = run.results(HOLDS, "", True)
        return run.result("bmc", results, depth, True, None)
    if stopped and stopped.startswith("encoding limit"):
        results = run.results(UNKNOWN, stopped, False)
        return run.result("bmc", results, depth, False, "encoding-limit")
    results = run.results(INCOMPLETE, f"stopped by {stopped} (bounded model checking to depth {depth})", False)
    return run.result("bmc", results, depth, False, stopped)


# Steps the z3 encoding does not have yet, and why it answers 'unknown' for them.
NOT_ENCODED = {
    ir.Rmw: "atomic read-modify-write steps (atomic_*, xchg, cmpxchg, bit operations) are not encoded for z3",
    ir.AssertHeld: "lockdep_assert_held() is not encoded for z3",
}


def not_encoded(program: ir.Program) -> str | None:
    """Why the z3 engine cannot check this program, or None."""
    for th in program.threads:
        for i in th.code:
            why = NOT_ENCODED.get(type(i))
            if why is not None:
                return f"{why} (line {i.loc.line}); use --engine explicit"
    return None


def check_z3(program: ir.Program, mode: str = "bmc", limits: Limits | None = None, progress=None) -> RunResult:
    limits = limits or Limits()
    why = not_encoded(program)
    if why is not None:
        run = Z3Run(program, limits, progress)
        return run.result(mode, run.results(UNKNOWN, why, False), 0, False, "unsupported")
    if mode == "bmc":
        return run_bmc(program, limits, progress)
    if mode == "prove":
        from rmapcheck.engines.z3.prove import run_prove

        return run_prove(program, limits, progress)
    raise ValueError(mode)


__all__ = ["check_z3", "MODES", "Path"]
