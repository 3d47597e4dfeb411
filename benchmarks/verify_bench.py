#!/usr/bin/env python3
"""What `rmapcheck verify` costs, side by side: the default reduction, --reduction none, and
(with --previous REV) the design of an earlier commit, measured in the same way on this machine.

    python benchmarks/verify_bench.py                     # default reduction and none
    python benchmarks/verify_bench.py --previous 8e76a55  # and the engine as it was at 8e76a55
    python benchmarks/verify_bench.py --no-none -j 1      # the default only, one worker
    python benchmarks/verify_bench.py models/12_mutant_lock_across_sync.c   # some models only

Each column is one `rmapcheck verify --format json` in a fresh process, as a user runs it
(-j: the CPUs available unless given). Columns: runs; states (every run's, summed); states/s
(states over the searches' own seconds, summed over runs: the engine's speed); states per
CPU second (states over the whole verify's CPU time: start-up, loading, search, traces and
the workers' imports included); peak MiB (the largest resident memory of any one process of
the verify: a worker's, which holds one run's states at a time); wall and CPU seconds of the
whole verify; the exit code (0: every verdict as expected). The previous design runs from a
`git archive` of REV with its own models/ (so its states are its own configurations'); wall
seconds depend on the load, which is printed: compare CPU seconds on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(tree: Path, flags: list[str], paths: list[str]) -> dict:
    """One `rmapcheck verify --format json` of the bundled models of tree (a checkout), or of
    paths (relative to the repository: taken in tree)."""
    cmd = [sys.executable, "-m", "rmapcheck", "verify", "--format", "json", *flags, *paths]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        doc = json.loads(r.stdout)
    except json.JSONDecodeError:
        err = (r.stderr or r.stdout).strip().splitlines()
        return {"error": err[-1] if err else f"exit {r.returncode}"}
    results = doc.get("results", [])
    states = sum(x["stats"]["states"] for x in results)
    search = sum(x["stats"]["seconds"] for x in results)
    return {
        "runs": len(results), "states": states, "states_per_s": round(states / max(search, 1e-9)),
        "states_per_cpu_s": round(states / max(cpu, 1e-9)),
        "peak_mib": round(max([x["stats"]["peak_mb"] for x in results] + [after.ru_maxrss / 1024.0])),
        "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "exit_code": doc.get("exit_code", r.returncode),
        "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1),
    }


def checkout(rev: str, into: str) -> Path:
    """The tree of commit rev (its rmapcheck/ and models/), unpacked into a temporary directory."""
    arch = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=arch, check=True)
    return Path(into)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", metavar="MODEL|DIR",
                    help="models, relative to the repository's top (default: the bundled models/)")
    ap.add_argument("--previous", metavar="REV", help="also measure the engine of this commit (its own models)")
    ap.add_argument("--no-none", action="store_true", help="do not measure --reduction none")
    ap.add_argument("-j", "--jobs", type=int, help="verify's -j (default: its own, the CPUs available)")
    ap.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    args = ap.parse_args(argv)
    flags = [f"-j{args.jobs}"] if args.jobs else []
    columns: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        plan = [("default reduction", ROOT, flags)]
        if not args.no_none:
            plan.append(("--reduction none", ROOT, flags + ["--reduction", "none"]))
        if args.previous:
            plan.append((f"previous ({args.previous})", checkout(args.previous, tmp), flags))
        for name, tree, fl in plan:
            sys.stderr.write(f"measuring {name}...\n")
            columns.append((name, measure(tree, fl, args.paths)))
    if args.json:
        json.dump({name: m for name, m in columns}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from tabulate import tabulate

    keys = ["runs", "states", "states_per_s", "states_per_cpu_s", "peak_mib", "wall_seconds", "cpu_seconds",
            "exit_code", "load_before", "load_after"]
    labels = ["runs", "states", "states/s (search)", "states per CPU s (whole verify)", "peak MiB (one process)",
              "wall s", "CPU s", "exit code", "load average before", "load average after"]
    body = [[label] + [m.get(k, m.get("error", "")) for _, m in columns] for k, label in zip(keys, labels)]
    sys.stdout.write(tabulate(body, headers=["rmapcheck verify"] + [n for n, _ in columns], tablefmt="github",
                              disable_numparse=True, colalign=("left",) + ("right",) * len(columns)) + "\n")
    sys.stdout.write(f"\n{os.cpu_count()} CPUs, {len(os.sched_getaffinity(0))} available; "
                     f"verify {' '.join(flags + args.paths) or '(every bundled model, its default -j)'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
