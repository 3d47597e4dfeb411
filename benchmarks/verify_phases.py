#!/usr/bin/env python3
"""Where `rmapcheck verify`'s CPU goes outside its searches.

    python benchmarks/verify_phases.py                 # every bundled model, sc and ra runs
    python benchmarks/verify_phases.py models/17_6.19.c

The plan and every run in one process, as `rmapcheck verify -j 1` makes them, each phase
timed with time.process_time() around the function that makes it:

- plan: plan_runs (every model loaded once, without defines);
- load: the front end of each run with @config defines (load_model in run_one);
- analysis: Search.__init__ (the executor: compiled code, and under a reduction the static
  footprints and the movers);
- search: Search.run;
- traces: attach_traces (expanding, trimming, shortening and replaying every violation);
- rest: the remainder of check_program (the memory model object, freeing the search's
  states when it ends);
- collect: the cycle collector's explicit collections (rmapcheck.gcpause, after each run);
- other: the remainder (verify's own bookkeeping: expectations, rows).

CPU seconds are the figures to compare on a shared machine (the load average is printed).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rmapcheck import runner, verify  # noqa: E402
from rmapcheck.engines.explicit import search as search_mod  # noqa: E402

PHASES = ("plan", "load", "analysis", "search", "traces", "rest", "collect", "other")


def timed(spent: dict, phase: str, fn):
    def wrapper(*args, **kwargs):
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[phase] += time.process_time() - t0

    return wrapper


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="models or directories (default: the bundled models)")
    args = ap.parse_args()
    spent = dict.fromkeys(PHASES + ("check",), 0.0)
    verify.load_model = timed(spent, "load", verify.load_model)
    verify.check_program = timed(spent, "check", verify.check_program)
    runner.attach_traces = timed(spent, "traces", runner.attach_traces)
    search_mod.Search.__init__ = timed(spent, "analysis", search_mod.Search.__init__)
    search_mod.Search.run = timed(spent, "search", search_mod.Search.run)
    gc.collect = timed(spent, "collect", gc.collect)
    load0 = os.getloadavg()[0]
    t0 = time.process_time()
    plan = verify.plan_runs(args.paths or [str(verify.bundled_models_dir())], ["sc", "ra"])
    spent["plan"] = time.process_time() - t0
    spent["load"] = 0.0
    searched = 0.0
    for outcome in verify.iter_verify(plan):
        if outcome.result is not None:
            searched += outcome.result.stats.seconds
    total = time.process_time() - t0
    spent["rest"] = spent.pop("check") - spent["analysis"] - spent["search"] - spent["traces"]
    spent["other"] = total - sum(spent[p] for p in PHASES if p != "other")
    print(f"{len(plan)} runs, load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print("| phase | CPU s | share |")
    print("|-------|------:|------:|")
    for phase in PHASES:
        print(f"| {phase} | {spent[phase]:.1f} | {100 * spent[phase] / total:.0f} % |")
    outside = total - spent["search"]
    print(f"| total | {total:.1f} | 100 % |")
    print(f"outside the searches: {outside:.1f} CPU s ({100 * outside / total:.0f} %); "
          f"the searches' own seconds (wall) add up to {searched:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
