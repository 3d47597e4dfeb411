"""The z3 engine beside the explicit engine on the bundled models (`benchmarks/run.py --z3`).

Per model, under sc, in its default configuration, three fresh processes: the explicit
search (states, seconds, each violation's shortest trace), z3 bounded model checking
(the depth it reached, its seconds, each violation's trace length) and z3's unbounded
proof (seconds, how many properties it proved). Each z3 run has its own timeout
(--bmc-timeout, --prove-timeout); a run that hits it reports what it had.
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
    from rmapcheck.properties.verdict import VIOLATED

    program = load_model(path)
    t0 = time.monotonic()
    if engine == "explicit":
        from rmapcheck.engines.explicit.search import explore

        res = explore(program, Limits(timeout=timeout))
    else:
        from rmapcheck.engines.z3 import check_z3

        res = check_z3(program, engine, Limits(timeout=timeout))
    s = res.stats
    print(json.dumps({
        "seconds": round(time.monotonic() - t0, 1), "states": s.states, "depth": s.depth,
        "complete": s.complete, "limit": s.limit,
        "props": {n: [r.verdict, len(r.path.labels) if r.verdict == VIOLATED and r.path is not None else None]
                  for n, r in res.results.items()},
    }))


def run(path: Path, engine: str, timeout: float | None) -> dict:
    cmd = [sys.executable, __file__, path.as_posix(), engine, str(timeout or 0)]
    hard = None if not timeout else timeout * 2 + 120
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=hard)
    except subprocess.TimeoutExpired:
        return {"error": "killed: no answer in time"}
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        err = (r.stderr or r.stdout).strip().splitlines()
        return {"error": (err[-1] if err else f"exit {r.returncode}").replace(str(ROOT) + os.sep, "")}
    return json.loads(lines[-1])


def model_row(path: Path, args) -> dict:
    ex = run(path, "explicit", args.timeout)
    bmc = run(path, "bmc", args.bmc_timeout)
    prove = run(path, "prove", args.prove_timeout)
    return {"model": path.name, "explicit": ex, "bmc": bmc, "prove": prove}


def summarize(row: dict) -> list:
    ex, bmc, pr = row["explicit"], row["bmc"], row["prove"]
    out = [row["model"]]
    if "error" in ex:
        out += ["error", ""]
    else:
        out += [f"{ex['states']}" + ("" if ex["complete"] else " (incomplete)"), f"{ex['seconds']:.1f}"]
    if "error" in bmc:
        out += ["error", ""]
    else:
        out += [f"{bmc['depth']}" + (" (complete)" if bmc["complete"] else ""), f"{bmc['seconds']:.1f}"]
    viol = []
    if "error" not in ex:
        for name, (v, n) in ex["props"].items():
            if v != "violated":
                continue
            z = bmc.get("props", {}).get(name, [None, None])
            viol.append(f"{name} {n}/{z[1] if z[0] == 'violated' else '-'}")
    found = sum(1 for s in viol if not s.endswith("/-"))
    out.append(f"{found}/{len(viol)}")
    if "error" in pr:
        out += ["error", ""]
    else:
        held = [n for n, (v, _) in ex.get("props", {}).items() if v == "holds"]
        proved = sum(1 for n in held if pr["props"].get(n, [None])[0] == "holds")
        out += [f"{pr['seconds']:.1f}", f"{proved}/{len(held)}"]
    out.append(", ".join(viol))
    return out


COLUMNS = ["model", "explicit states", "explicit s", "BMC depth", "BMC s", "violations found",
           "prove s", "holds proved", "violation: explicit length / z3 BMC length"]


def main(paths: list[Path], args) -> int:
    from tabulate import tabulate

    jobs = max(1, args.jobs or 1)
    with ThreadPoolExecutor(jobs) as pool:
        futs = [pool.submit(model_row, p, args) for p in paths]
        rows = []
        for f in futs:
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
        sys.stdout.write(f"\nsc, default configuration; BMC timeout {args.bmc_timeout} s, prove timeout "
                         f"{args.prove_timeout} s per model (each includes building the encoding).\n")
    return 1 if any("error" in r[k] for r in rows for k in ("explicit", "bmc", "prove")) else 0


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], float(sys.argv[3]) or None)
