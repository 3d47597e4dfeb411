"""Where a weak (lkmm, tso) run of the z3 event engine spends its time: build against solve,
and which definitions of the memory model make the formula.

    python benchmarks/weak_cost.py models/15_mutant_flag_relaxed_store.c            # sc's configuration
    python benchmarks/weak_cost.py models/10_5.17.c -D NR_AS=1 -D NR_SLOTS=1 --build-only
    python benchmarks/weak_cost.py ... --no-trace                                     # the run alone
    python benchmarks/weak_cost.py ... --json out.json

Prints, for one run: the seconds (wall and this process's CPU) of the unrolling, of the
encoding before the memory model (rf choices, co ranks, heap, value sets), of the memory
model's relations (axioms/symexec.py over axioms/<model>.py) and of their conversion to z3;
the formula nodes (axioms/formula.py's DAG) and z3 terms; then, per line of the model's
definitions (axioms/lkmm.py, tso.py), the formula nodes that line made and its seconds, the
largest first, with the may-pairs (and the pairs not constant) of the relation it names; then
each query's seconds (what `rmapcheck check --memory-model ...` asks) unless --build-only.

The per-line figures come from a line tracer on the model's file, which slows the build (the
seconds printed for the memory model are the traced ones; the untraced build is the run's
build_seconds, printed first when the queries run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from rmapcheck.axioms.symbolic import SRel
from rmapcheck.engines.z3ev import weak
from rmapcheck.engines.z3ev.unroll import DEFAULT_UNWIND, Program
from rmapcheck.frontend import load_model


def _defines(items) -> dict:
    out = {}
    for x in items or ():
        k, _, v = x.partition("=")
        out[k] = int(v) if v.lstrip("-").isdigit() else v
    return out


class LineCost:
    """Formula nodes and CPU seconds per line of the memory model's file (sys.settrace): each
    interval between two trace events of the file goes to the line that was running (a called
    function of the same file has its own lines; relation.py's are counted in the caller's)."""

    def __init__(self, path: str):
        self.path = path
        self.cost: dict = {}  # (function, line) -> [nodes, seconds]
        self.rels: dict = {}  # (function, line) -> (name, pairs, symbolic pairs)
        self.F = None
        self.cur = None  # (key, nodes, time) of the running line

    def local(self, frame, event, arg):
        if self.F is None:
            self.F = getattr(frame.f_locals.get("b"), "fm", None)
            if self.F is None:
                return self.local
        n, now = len(self.F.nodes), time.process_time()
        if self.cur is not None:
            key, n0, t0 = self.cur
            c = self.cost.setdefault(key, [0, 0.0])
            c[0] += n - n0
            c[1] += now - t0
            if event != "call" and key[0] == frame.f_code.co_name:
                self.note(frame, key)
        if event == "return":
            up = frame.f_back
            self.cur = (((up.f_code.co_name, up.f_lineno), n, now)
                        if up is not None and up.f_code.co_filename == self.path else None)
        else:
            self.cur = ((frame.f_code.co_name, frame.f_lineno), n, now)
        return self.local

    def note(self, frame, key):
        """The relation a line assigned: the local (or self attribute) its left-hand side names."""
        import linecache

        text = linecache.getline(frame.f_code.co_filename, key[1]).strip()
        if "=" not in text or text.startswith(("#", "yield", "if", "return", "def")):
            return
        name = text.split("=")[0].strip().split(",")[0].strip()
        if name.startswith("self."):
            val = getattr(frame.f_locals.get("self"), name[5:], None)
        else:
            val = frame.f_locals.get(name)
        if isinstance(val, SRel):
            pairs = [v for row in val.rows.values() for v in row.values()]
            self.rels[key] = (name, len(pairs), sum(1 for v in pairs if v is not True))

    def tracer(self, frame, event, arg):
        if frame.f_code.co_filename == self.path:
            return self.local(frame, event, arg)
        return None


def run(path: str, defines: dict, mm: str, unwind: int, build_only: bool, top: int, trace: bool = True) -> dict:
    out: dict = {"model": os.path.basename(path), "defines": defines, "memory_model": mm}
    if not trace:
        return _queries(out, path, defines, mm, unwind)
    program = load_model(path, defines)
    c0, t0 = time.process_time(), time.monotonic()
    prog = Program(program, unwind)
    out["unroll_cpu"] = round(time.process_time() - c0, 2)
    out["events"], out["steps"] = len(prog.events), len(prog.steps)

    import importlib

    mod = importlib.import_module(f"rmapcheck.axioms.{mm}")
    lc = LineCost(mod.__file__)
    times: dict = {}
    orig_symbolic = weak.WeakEncoding.symbolic

    def symbolic(self):
        c = time.process_time()
        sx = orig_symbolic(self)
        times["pre_model_cpu"] = round(c - times["enc0"], 2)
        orig_encode = sx.encode

        def encode(*a, **k):
            c1 = time.process_time()
            sys.settrace(lc.tracer)
            try:
                got = orig_encode(*a, **k)
            finally:
                sys.settrace(None)
            times["model_cpu_traced"] = round(time.process_time() - c1, 2)
            return got

        sx.encode = encode
        return sx

    weak.WeakEncoding.symbolic = symbolic
    try:
        times["enc0"] = time.process_time()
        enc = weak.WeakEncoding(prog, mm)
    finally:
        weak.WeakEncoding.symbolic = orig_symbolic
    out["build_cpu_traced"] = round(time.process_time() - c0, 2)
    out["pre_model_cpu"] = times["pre_model_cpu"]
    out["model_cpu_traced"] = times["model_cpu_traced"]
    F = enc.sym.F
    out["formula_nodes"] = len(F.nodes)
    out["z3_terms_converted"] = len(F._z3)
    out["closure"] = getattr(enc.sym, "closure_used", None)
    rows = sorted(lc.cost.items(), key=lambda kv: -kv[1][0])
    out["lines"] = [{"function": k[0], "line": k[1], "nodes": v[0], "cpu": round(v[1], 2),
                     "relation": lc.rels.get(k, (None, 0, 0))[0], "pairs": lc.rels.get(k, (None, 0, 0))[1],
                     "symbolic_pairs": lc.rels.get(k, (None, 0, 0))[2]} for k, v in rows[:top]]
    if not build_only:
        del enc, prog, F, lc
        _queries(out, path, defines, mm, unwind)
    return out


def _queries(out: dict, path: str, defines: dict, mm: str, unwind: int) -> dict:
    """The run as `check` makes it (untraced): its CPU, build and query seconds, verdicts."""
    from rmapcheck.engines.z3ev.engine import check_events

    c1 = time.process_time()
    res = check_events(load_model(path, defines), unwind=unwind, memory_model=mm)
    out["run_cpu"] = round(time.process_time() - c1, 2)
    out["run_build_seconds"] = res.z3_stats["build_seconds"]
    out["query_seconds"] = res.z3_stats["query_seconds"]
    out["verdicts"] = {k: r.verdict for k, r in res.results.items()}
    return out


def show(o: dict) -> None:
    size = f"{o['events']} events, {o['steps']} steps" if "events" in o else "untraced"
    print(f"{o['model']} {o['defines']} {o['memory_model']}: {size}")
    if "lines" not in o:
        _show_run(o)
        return
    print(f"  unroll {o['unroll_cpu']} s CPU; encoding before the model {o['pre_model_cpu']} s; "
          f"model relations (traced) {o['model_cpu_traced']} s; {o['formula_nodes']:,} formula nodes, "
          f"{o['z3_terms_converted']:,} z3 terms; closures: {o['closure']}")
    print("  nodes      cpu  line  function        relation (pairs / not constant)")
    for x in o["lines"]:
        rel = f"{x['relation']} ({x['pairs']:,} / {x['symbolic_pairs']:,})" if x["relation"] else ""
        print(f"  {x['nodes']:>9,} {x['cpu']:>6} {x['line']:>5}  {x['function']:<15} {rel}")
    _show_run(o)


def _show_run(o: dict) -> None:
    if "query_seconds" in o:
        print(f"  untraced run: {o['run_cpu']} s CPU, build {o['run_build_seconds']} s wall; queries (s): "
              f"{o['query_seconds']}")
        print(f"  verdicts: { {k: v for k, v in o['verdicts'].items() if v != 'unsupported'} }")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("-D", action="append", dest="defines", metavar="NAME=VALUE")
    ap.add_argument("--memory-model", default="lkmm", choices=weak.MODELS)
    ap.add_argument("--unwind", type=int, default=DEFAULT_UNWIND)
    ap.add_argument("--build-only", action="store_true", help="no queries")
    ap.add_argument("--no-trace", action="store_true", help="only the untraced run and its queries")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    o = run(a.model, _defines(a.defines), a.memory_model, a.unwind, a.build_only, a.top, not a.no_trace)
    show(o)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(o, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
