#!/usr/bin/env python3
"""Benchmark `rmapcheck litmus` on the litmus tests, in one process, per memory model.

    python benchmarks/litmus.py                    # tests/litmus/*.litmus, lkmm and ra
    python benchmarks/litmus.py --memory-model lkmm --memory-model tso FILE...
    python benchmarks/litmus.py --memory-model lkmm --engine axiomatic --engine z3   # side by side
    python benchmarks/litmus.py --json

Every test is run `--repeat` times (default 5) in this one process, as `rmapcheck litmus
tests/litmus/*.litmus` runs them (parsing, translation, loading, enumeration or search, and
judging included; Python start-up and imports not); a test's time is the median of its
runs, wall-clock and CPU time of this process (steadier on a loaded machine). The summary
gives the median, mean and maximum over tests, and the candidate
executions (lkmm, sc, tso) or states (ra) per test. herd7 takes about 10 ms per test.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench(files: list, mm: str, repeat: int, engine: str | None = None) -> list:
    from rmapcheck.litmus import engine_for, run_litmus

    engine = engine_for(mm, engine)
    rows = []
    for f in files:
        times, cpu, r = [], [], None
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            r = run_litmus(str(f), mm, engine=engine)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rows.append({"test": Path(f).stem, "memory model": mm, "engine": engine, "result": r.result,
                     "expected": r.expected,
                     "explored": r.explored, "ms": statistics.median(times) * 1000,
                     "cpu ms": statistics.median(cpu) * 1000})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--memory-model", action="append", dest="mms")
    ap.add_argument("--engine", action="append", dest="engines", choices=["axiomatic", "z3", "explicit"],
                    help="repeatable: each memory model under each engine that implements it "
                         "(default: the model's own engine)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    files = args.files or sorted((ROOT / "tests" / "litmus").glob("*.litmus"))
    mms = args.mms or ["lkmm", "ra"]
    from rmapcheck.litmus import ENGINES

    runs = [(mm, e) for mm in mms for e in (args.engines or [None]) if e is None or mm in ENGINES[e]]
    rows = []
    for mm, e in runs:
        rows += bench(files, mm, args.repeat, e)
    summary = {}
    for key in dict.fromkeys((r["memory model"], r["engine"]) for r in rows):
        mine = [r for r in rows if (r["memory model"], r["engine"]) == key]
        ms = [r["ms"] for r in mine]
        cpu = [r["cpu ms"] for r in mine]
        summary[" ".join(key)] = {"tests": len(ms), "median ms": statistics.median(ms),
                                  "mean ms": statistics.mean(ms), "max ms": max(ms),
                                  "median CPU ms": statistics.median(cpu),
                                  "agree": sum(r["result"] == r["expected"] for r in mine)}
    if args.json:
        json.dump({"machine": platform.platform(), "rows": rows, "summary": summary}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    from tabulate import tabulate

    print(tabulate([[r["test"], r["memory model"], r["engine"], r["result"], r["explored"], f"{r['ms']:.1f}",
                     f"{r['cpu ms']:.1f}"] for r in rows],
                   headers=["test", "memory model", "engine", "result", "executions/states/solver calls",
                            "ms (median)", "CPU ms"]))
    print()
    print(tabulate([[mm, s["tests"], s["agree"], f"{s['median ms']:.1f}", f"{s['median CPU ms']:.1f}",
                     f"{s['mean ms']:.1f}", f"{s['max ms']:.1f}"] for mm, s in summary.items()],
                   headers=["memory model, engine", "tests", "agree with Result:", "median ms", "median CPU ms",
                            "mean ms", "max ms"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
