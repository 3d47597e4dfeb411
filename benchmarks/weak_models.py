#!/usr/bin/env python3
"""The bundled models under a weak memory model (lkmm, tso) in sc's configuration: the z3
event engine on each model's default defines (what `rmapcheck check --engine z3
--memory-model MM MODEL` runs), one fresh process per model, cut at --timeout seconds wall.

    python benchmarks/weak_models.py models/16_mutant_flag_relaxed_load.c models/02_*.c
    python benchmarks/weak_models.py --memory-model tso --timeout 900 models/*.c
    python benchmarks/weak_models.py --from results.jsonl     # the table of runs already made
    python benchmarks/weak_models.py --lazy models/15_*.c    # lazy axioms (engines/z3ev/lazy.py)

Per model: events, CPU seconds of the check (unrolling, encoding, queries: not the front
end), peak memory of its process, and each property's verdict beside the model's `@expect sc`
verdict for the same configuration (what the explicit engine checks in `rmapcheck verify`):
the properties where the two differ, and the ones the weak model leaves unsupported. A run is measured on a shared machine: compare CPU
seconds, and say the load (printed before and after each run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def one(path: str, mm: str, lazy: bool = False) -> dict:
    """The run, in this process (the worker)."""
    from rmapcheck.engines.explicit.search import peak_mb
    from rmapcheck.engines.z3ev.engine import check_events
    from rmapcheck.frontend import load_model
    from rmapcheck.verify import expectation

    program = load_model(path, {})
    c0 = time.process_time()
    res = check_events(program, memory_model=mm, lazy=lazy)
    verdicts = {k: [r.verdict, expectation(program, "sc", k)] for k, r in res.results.items()}
    return {"model": os.path.basename(path), "memory_model": mm, "cpu": round(time.process_time() - c0, 1),
            "events": res.z3_stats.get("events"), "build_seconds": res.z3_stats.get("build_seconds"),
            "query_seconds": res.z3_stats.get("query_seconds"), "peak_mb": round(peak_mb()),
            "axioms_asserted": res.z3_stats.get("axioms_asserted"),
            "verdicts": verdicts}


def run(path: str, mm: str, timeout: float, lazy: bool = False) -> dict:
    load0 = os.getloadavg()[0]
    t0 = time.monotonic()
    cmd = [sys.executable, __file__, "--worker", "--memory-model", mm, path] + (["--lazy"] if lazy else [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out = json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr.strip().splitlines()[-1:]}
    except subprocess.TimeoutExpired:
        out = {"error": f"not finished in {timeout:.0f} s wall"}
    out.setdefault("model", os.path.basename(path))
    out["wall"] = round(time.monotonic() - t0, 1)
    out["load"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
    return out


def row(o: dict) -> str:
    if "error" in o:
        return f"| {o['model']} | | {o['error']} ({o['wall']} s wall, load {o['load'][0]}-{o['load'][1]}) | | | |"
    v = o["verdicts"]
    bad = sorted(k for k, (got, sc) in v.items() if got == "violated")
    differ = sorted(f"{k} ({got}; sc {sc})" for k, (got, sc) in v.items()
                    if got in ("holds", "violated") and sc is not None and got != sc)
    unsup = sorted(k for k, (got, _) in v.items() if got not in ("holds", "violated"))
    return (f"| {o['model']} | {o['events']} | {o['cpu']} s CPU, {o['wall']} s wall, {o['peak_mb']} MB, "
            f"load {o['load'][0]}-{o['load'][1]} | {', '.join(bad) or 'none'} | "
            f"{'; '.join(differ) or 'none'} | {', '.join(unsup) or 'none'} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--memory-model", default="lkmm", choices=("lkmm", "tso"))
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds wall per model")
    ap.add_argument("--jsonl", help="append each run's JSON line to this file")
    ap.add_argument("--from", dest="src", help="print the table of the JSON lines in this file")
    ap.add_argument("--lazy", action="store_true", help="lazy axioms (engines/z3ev/lazy.py)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(one(a.models[0], a.memory_model, a.lazy)))
        return 0
    print(f"| model | events | cost | violated | differs from sc's verdict | not decided ({a.memory_model}) |")
    print("| --- | --- | --- | --- | --- | --- |")
    if a.src:
        with open(a.src) as f:
            for line in f:
                print(row(json.loads(line)))
        return 0
    for path in a.models:
        o = run(path, a.memory_model, a.timeout, a.lazy)
        if a.jsonl:
            with open(a.jsonl, "a") as f:
                f.write(json.dumps(o) + "\n")
        print(row(o), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
