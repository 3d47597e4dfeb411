"""The event engine on every bundled model's sc configurations: where its time goes.

One run per (model, sc configuration), as `rmapcheck verify --engine both` makes them, in a
pool of worker processes (-j, the longest first when --order names a previous result).
Per run: the seconds of the unrolling and encoding, of each property's query, in total,
and each verdict against the model's @expect (which the explicit engine's verdicts equal:
tests/test_kvm_models.py). A z3 verdict that is decided and differs is a MISMATCH; one
that is not decided where the model expects a decided verdict is listed too.

    python benchmarks/z3events.py -j 2 --json out.json [models/...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(path: str, cfg: dict, own: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    from rmapcheck.engines.z3ev.engine import check_events
    from rmapcheck.frontend import load_model
    from rmapcheck.verify import expectation

    program = load_model(path, cfg)
    t0, c0 = time.monotonic(), time.process_time()
    res = check_events(program)
    seconds, cpu = time.monotonic() - t0, time.process_time() - c0
    st = res.z3_stats
    verdicts = {n: r.verdict for n, r in res.results.items()}
    expected = {n: expectation(program, "sc", n, own) for n in res.results}
    return {"model": Path(path).name, "config": " ".join(f"{k}={v}" for k, v in sorted(own.items())) or "default",
            "seconds": round(seconds, 2), "cpu": round(cpu, 2), "build": st.get("build_seconds"), "queries": st.get("query_seconds", {}),
            "steps": st.get("steps"), "events": st.get("events"), "verdicts": verdicts, "expected": expected}


def problems(row: dict) -> list[str]:
    out = []
    for n, v in row["verdicts"].items():
        e = row["expected"].get(n)
        if v in ("holds", "violated") and e in ("holds", "violated") and v != e:
            out.append(f"MISMATCH {n}: z3 {v}, expected {e}")
        elif v not in ("holds", "violated", "unsupported") and e in ("holds", "violated"):
            out.append(f"undecided {n}: {v}")
    return out


def table(doc: dict) -> str:
    out = ["| model | configuration | s | CPU s | build s | slowest query (s) |", "|---|---|---|---|---|---|"]
    for r in doc["rows"]:
        q, s = max(r["queries"].items(), key=lambda kv: kv[1]) if r["queries"] else ("-", 0)
        out.append(f"| {r['model']} | {r['config']} | {r['seconds']:.1f} | {r.get('cpu', '-')} | {r['build']} | {q} ({s}) |")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "models")])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--json", help="write every row here")
    ap.add_argument("--order", help="a previous --json: start the runs that took longest there first")
    ap.add_argument("--only", help="a substring of the model names to run")
    ap.add_argument("--table", help="print a previous --json as a markdown table (per run: wall, build, "
                    "slowest query) and exit")
    args = ap.parse_args()
    if args.table:
        sys.stdout.write(table(json.loads(Path(args.table).read_text())))
        return 0
    sys.path.insert(0, str(ROOT))
    from rmapcheck.verify import plan_runs

    plan = [r for r in plan_runs(args.paths, ["sc"]) if not r.error]
    if args.only:
        plan = [r for r in plan if args.only in Path(r.path).name]
    if args.order:
        prev = {(r["model"], r["config"]): r["seconds"] for r in json.loads(Path(args.order).read_text())["rows"]}
        key = lambda r: -prev.get((Path(r.path).name, " ".join(f"{k}={v}" for k, v in sorted(r.own.items()))
                                   or "default"), 1e9)  # noqa: E731
        plan.sort(key=key)
    t0 = time.monotonic()
    rows = []
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futs = [pool.submit(one, r.path, r.cfg, r.own) for r in plan]
        for f in futs:
            row = f.result()
            rows.append(row)
            slow = sorted(row["queries"].items(), key=lambda kv: -kv[1])[:3]
            sys.stderr.write(f"{row['model']} [{row['config']}]: {row['seconds']} s ({row['cpu']} s CPU), build {row['build']} s, "
                             f"slowest {slow} {' '.join(problems(row))}\n")
    wall = time.monotonic() - t0
    total = sum(r["seconds"] for r in rows)
    cpu = sum(r["cpu"] for r in rows)
    bad = [p for r in rows for p in problems(r)]
    sys.stdout.write(f"{len(rows)} runs, wall {wall:.1f} s with -j {args.jobs}, sum of runs {total:.1f} s ({cpu:.1f} s CPU), "
                     f"{len(bad)} problems\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"wall": round(wall, 1), "jobs": args.jobs, "load": os.getloadavg()[0],
                                               "rows": rows}, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
