#!/usr/bin/env python3
"""Benchmark `rmapcheck necessity` on the bundled models, as a user runs it.

    python benchmarks/necessity.py                          # every models/*.c, sc
    python benchmarks/necessity.py models/07_v5_5.14.c -j 1
    python benchmarks/necessity.py --memory-model sc --memory-model ra --timeout 600

Each model is one `rmapcheck necessity --format json` in a fresh process (its variants in
its worker processes, -j), with a wall-clock limit: wall seconds, CPU seconds (the process
and its workers), the peak resident memory of the largest of them, whether it completed
(exit 0: every variant answered; 3: some variant was cut by a limit, "incomplete"; killed:
the wall-clock limit), and the answer: variants that break a property, that break nothing,
and that are incomplete.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(model: Path, memory_models: list[str], jobs: int | None, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "rmapcheck", "necessity", "--format", "json", str(model)]
    cmd += [f"--memory-model={m}" for m in memory_models] + ([f"-j{jobs}"] if jobs else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    # the child's own session: a limit kills it and its workers together
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        killed = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        killed = True
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row = {"model": str(model.resolve().relative_to(ROOT)) if model.resolve().is_relative_to(ROOT) else model.name,
           "memory_models": memory_models, "wall_seconds": round(wall, 1),
           "cpu_seconds": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1),
           # the largest process of the tree: the command or one of its workers
           "peak_mb": round(after.ru_maxrss / 1024), "exit_code": None if killed else p.returncode,
           "completed": not killed and p.returncode == 0}
    if killed:
        row["answer"] = f"killed after {timeout:.0f} s"
        return row
    try:
        doc = json.loads(out)
    except ValueError:
        row["answer"] = f"no answer (exit {p.returncode})"
        return row
    els = doc["elements"]
    row["variants"] = len(els)
    row["break"] = sum(1 for e in els if e["breaks"])
    row["nothing_breaks"] = sum(1 for e in els if e["summary"] == "nothing breaks")
    row["incomplete"] = sum(1 for e in els if not e["breaks"] and e["incomplete"])
    row["answer"] = (f"{row['break']} break, {row['nothing_breaks']} nothing, {row['incomplete']} incomplete"
                     f" of {len(els)}")
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", metavar="MODEL", help="default: the bundled models/*.c")
    ap.add_argument("--memory-model", action="append", dest="memory_models", choices=["sc", "ra"],
                    help="repeatable (default: sc)")
    ap.add_argument("-j", "--jobs", type=int, help="necessity's -j (default: its own, the CPUs available)")
    ap.add_argument("--timeout", type=float, default=300, help="wall seconds per model (default 300)")
    ap.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    args = ap.parse_args(argv)
    models = [Path(p) for p in args.paths] or sorted((ROOT / "models").glob("*.c"))
    rows = []
    for m in models:
        row = measure(m, args.memory_models or ["sc"], args.jobs, args.timeout)
        rows.append(row)
        if not args.json:
            sys.stderr.write(f"{row['model']}: {row['wall_seconds']} s, {row['peak_mb']} MiB, {row['answer']}\n")
    env = {"cpus_available": len(os.sched_getaffinity(0)), "load_average": [round(x, 1) for x in os.getloadavg()],
           "jobs": args.jobs or len(os.sched_getaffinity(0))}
    if args.json:
        json.dump({"environment": env, "runs": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from tabulate import tabulate

    body = [[r["model"], ",".join(r["memory_models"]), f"{r['wall_seconds']:.1f}", f"{r['cpu_seconds']:.1f}",
             r["peak_mb"], "yes" if r["completed"] else "no", r["answer"]] for r in rows]
    sys.stdout.write(tabulate(body, headers=["model", "mm", "wall s", "CPU s", "peak MiB", "completed", "variants"],
                              tablefmt="github", disable_numparse=True) + "\n")
    sys.stdout.write(f"\n-j{env['jobs']} on {env['cpus_available']} CPUs; load average {env['load_average'][0]} at "
                     "the end (CPU s is steadier than wall s on a shared machine).\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
