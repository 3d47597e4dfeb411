#!/usr/bin/env python3
"""What `rmapcheck verify --engine both` (or `--engine z3`) costs, per model, and whether z3
decided every cell the explicit engine decides.

One `rmapcheck verify --engine ENGINE --format jsonl` in a fresh process, as a user runs it
(-j: the CPUs available unless given); its wall and CPU seconds (this process's children:
the verify and its workers) and the load average before and after. Per model, from the runs'
JSON lines: the runs (sc and ra), the explicit engine's seconds (its search and traces), the
event engine's seconds and CPU seconds (sc runs only: z3 implements no ra), of which
unrolling and encoding, the z3 cells (one per property of an sc run) decided (holds, or
violated with a witness that replayed), and each row not as expected. A run is measured on
a shared machine: compare CPU seconds, and say the load.

    python benchmarks/z3verify.py -j 2                       # every bundled model, --engine both
    python benchmarks/z3verify.py --engine z3 --memory-model sc models/04_review_sketch_fixed.c
    python benchmarks/z3verify.py --queries models/17_6.19.c # and the slowest z3 queries
    python benchmarks/z3verify.py --from run.jsonl           # the table of a verify already run

(It replaces z3bench.py, the explicit and event engines side by side in default
configurations, and z3events.py, the event engine's time per query: both are columns here.)
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
DECIDED = ("holds", "violated")


def measure(flags: list[str], paths: list[str]) -> tuple[list[dict], dict]:
    """The verify's JSON lines, and its wall and CPU seconds, exit code and load."""
    cmd = [sys.executable, "-m", "rmapcheck", "verify", "--format", "jsonl", *flags, *paths]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    docs = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    whole = {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "exit_code": r.returncode,
             "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}
    if r.returncode not in (0, 1, 3, 4) and not docs:
        whole["error"] = (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
    return docs, whole


def per_model(docs: list[dict]) -> list[dict]:
    """One row per model: runs, seconds, z3 cells decided, rows not as expected."""
    models: dict = {}
    for d in docs:
        if "rows" not in d:
            continue
        rows = d["rows"]
        m = models.setdefault(rows[0]["model"], {"model": rows[0]["model"], "sc": 0, "ra": 0, "explicit_s": 0.0,
                                                 "z3_s": 0.0, "z3_cpu_s": 0.0, "z3_build_s": 0.0, "cells": 0,
                                                 "decided": 0, "undecided": [], "not_ok": [], "queries": {}})
        mm = d.get("memory_model") or "-"
        m[mm] = m.get(mm, 0) + 1
        cfg = rows[0].get("config", "default")
        if d.get("status") != "ok":
            m["not_ok"] += [f"[{mm} {cfg}] {r['prop']}: {r['status']}" for r in rows if r["status"] != "ok"]
        res = d.get("result")
        if res is None:
            continue
        z = res.get("z3")
        if res["engine"].startswith("z3"):  # --engine z3: the run is z3's
            m["z3_s"] += res["stats"]["seconds"]
        else:
            m["explicit_s"] += res["stats"]["seconds"]
            if z:
                m["z3_s"] += z.get("seconds", 0.0)
        if not z:
            continue
        m["z3_cpu_s"] += z.get("cpu_seconds", 0.0)
        m["z3_build_s"] += z.get("build_seconds") or 0.0
        for q, s in (z.get("query_seconds") or {}).items():
            m["queries"][f"{q} [{cfg}]"] = s
        for r in rows:
            cell = r.get("z3") or r["got"]
            if r["got"] not in DECIDED and not res["engine"].startswith("z3"):
                continue  # the explicit engine did not decide it either
            m["cells"] += 1
            if cell.split(" ")[0] in DECIDED:
                m["decided"] += 1
            else:
                m["undecided"].append(f"[{cfg}] {r['prop']}: {cell}")
    return list(models.values())


def table(rows: list[dict], queries: int) -> str:
    from tabulate import tabulate

    body = [[r["model"], f"{r.get('sc', 0)} + {r.get('ra', 0)}", f"{r['explicit_s']:.1f}", f"{r['z3_s']:.1f}",
             f"{r['z3_cpu_s']:.1f}", f"{r['z3_build_s']:.1f}", f"{r['decided']}/{r['cells']}",
             "; ".join(r["not_ok"] + r["undecided"]) or "-"] for r in rows]
    tot = [sum(r[k] for r in rows) for k in ("explicit_s", "z3_s", "z3_cpu_s", "z3_build_s", "decided", "cells")]
    body.append(["all", f"{sum(r.get('sc', 0) for r in rows)} + {sum(r.get('ra', 0) for r in rows)}",
                 *(f"{x:.1f}" for x in tot[:4]), f"{tot[4]}/{tot[5]}", ""])
    out = tabulate(body, headers=["model", "runs (sc + ra)", "explicit s", "z3 s", "z3 CPU s", "of which encoding s",
                                  "z3 cells decided", "not as expected / undecided"], tablefmt="github",
                   disable_numparse=True) + "\n"
    if queries:
        slow = sorted(((s, f"{r['model']} {q}") for r in rows for q, s in r["queries"].items()), reverse=True)
        out += "\nslowest z3 queries (s):\n" + "".join(f"  {s:7.2f}  {name}\n" for s, name in slow[:queries])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", metavar="MODEL|DIR", help="default: the bundled models/")
    ap.add_argument("--engine", choices=("both", "z3"), default="both")
    ap.add_argument("--memory-model", action="append", dest="memory_models", help="verify's (repeatable)")
    ap.add_argument("--config", action="append", dest="configs", help="verify's (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, help="verify's -j (default: its own, the CPUs available)")
    ap.add_argument("--timeout", type=float, help="verify's --timeout: per run (a z3 query past it: incomplete)")
    ap.add_argument("--queries", type=int, default=0, metavar="N", help="also list the N slowest z3 queries")
    ap.add_argument("--from", dest="source", metavar="JSONL",
                    help="read a `verify --format jsonl` already run instead of running one")
    ap.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    args = ap.parse_args(argv)
    if args.source:
        docs = [json.loads(ln) for ln in Path(args.source).read_text().splitlines() if ln.startswith("{")]
        whole = {"from": args.source}
    else:
        flags = ["--engine", args.engine] + (["-j", str(args.jobs)] if args.jobs else [])
        flags += [f for mm in args.memory_models or () for f in ("--memory-model", mm)]
        flags += [f for c in args.configs or () for f in ("--config", c)]
        flags += ["--timeout", str(args.timeout)] if args.timeout else []
        docs, whole = measure(flags, [str(Path(p).resolve()) for p in args.paths])
    rows = per_model(docs)
    exit_doc = next((d for d in docs if "exit_code" in d and "rows" not in d), {})
    whole["verify_exit_code"] = exit_doc.get("exit_code")
    if args.json:
        json.dump({"whole": whole, "models": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(table(rows, args.queries))
        sys.stdout.write("\n" + ", ".join(f"{k} {v}" for k, v in whole.items()) + f"; {os.cpu_count()} CPUs\n")
    bad = any(r["not_ok"] or r["undecided"] for r in rows) or "error" in whole
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
