"""The z3 event engine beside the explicit engine on the bundled models (`benchmarks/run.py --z3`).

Per model, under sc, in its default configuration, two fresh processes: the explicit search
(states, seconds) and the event engine (seconds, of which unrolling and encoding; steps and
events). The table says how many of the explicit engine's violations z3 found, how many of
its holding properties z3 proved (unwinding check passed), and any property the two decided
differently. A z3 run has its own timeout (--z3-timeout, per query); a query that hits it is
'incomplete', never a verdict. (benchmarks/z3events.py, when present, breaks the event
engine's time down per property and configuration.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(path: str, engine: str, timeout: float | None) -> None:
    sys.path.insert(0, str(ROOT))
    import time

    from rmapcheck.engines.explicit.search import Limits
    from rmapcheck.frontend import load_model

    program = load_model(path)
    t0 = time.monotonic()
    if engine == "explicit":
        from rmapcheck.engines.explicit.search import explore

        res = explore(program, Limits(timeout=timeout))
        extra = {"states": res.stats.states, "complete": res.stats.complete}
    else:
        from rmapcheck.engines.z3ev.engine import check_events

        res = check_events(program, Limits(timeout=timeout))
        zs = res.z3_stats
        extra = {"build": zs.get("build_seconds"), "steps": zs.get("steps"), "events": zs.get("events")}
    print(json.dumps({"seconds": round(time.monotonic() - t0, 1), **extra,
                      "props": {n: r.verdict for n, r in res.results.items()}}))


def run(path: Path, engine: str, timeout: float | None) -> dict:
    cmd = [sys.executable, __file__, path.as_posix(), engine, str(timeout or 0)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except subprocess.TimeoutExpired:  # pragma: no cover
        return {"error": "killed: no answer in time"}
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        err = (r.stderr or r.stdout).strip().splitlines()
        return {"error": (err[-1] if err else f"exit {r.returncode}").replace(str(ROOT) + os.sep, "")}
    return json.loads(lines[-1])


def model_row(path: Path, args) -> dict:
    return {"model": path.name, "explicit": run(path, "explicit", args.timeout),
            "z3": run(path, "events", args.z3_timeout)}


def summarize(row: dict) -> list:
    ex, z = row["explicit"], row["z3"]
    out = [row["model"]]
    out += ["error", ""] if "error" in ex else [f"{ex['states']}" + ("" if ex["complete"] else " (incomplete)"),
                                                f"{ex['seconds']:.1f}"]
    if "error" in z:
        return out + ["error", "", "", "", z["error"]]
    out += [f"{z['seconds']:.1f}", f"{z['build']}"]
    exp = ex.get("props", {})
    viol = [n for n, v in exp.items() if v == "violated"]
    held = [n for n, v in exp.items() if v == "holds"]
    out.append(f"{sum(z['props'].get(n) == 'violated' for n in viol)}/{len(viol)}")
    out.append(f"{sum(z['props'].get(n) == 'holds' for n in held)}/{len(held)}")
    differ = [n for n, v in exp.items() if v in ("holds", "violated") and z["props"].get(n) in ("holds", "violated")
              and z["props"][n] != v]
    out.append(", ".join(differ) or "-")
    return out


COLUMNS = ["model", "explicit states", "explicit s", "z3 events s", "of which encoding s", "violations found",
           "holds proved", "decided differently"]


def main(paths: list[Path], args) -> int:
    from tabulate import tabulate

    jobs = max(1, args.jobs or 1)
    with ThreadPoolExecutor(jobs) as pool:
        rows = []
        for f in [pool.submit(model_row, p, args) for p in paths]:
            row = f.result()
            rows.append(row)
            if not args.json:
                sys.stderr.write(" | ".join(str(x) for x in summarize(row)) + "\n")
    if args.json:
        json.dump({"z3": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(tabulate([summarize(r) for r in rows], headers=COLUMNS, tablefmt="github",
                                  disable_numparse=True) + "\n")
        sys.stdout.write(f"\nsc, default configuration; z3 timeout per query: {args.z3_timeout or 'none'}.\n")
    bad = any("error" in r[k] for r in rows for k in ("explicit", "z3")) or any(
        summarize(r)[-1] not in ("-", "") for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], float(sys.argv[3]) or None)
