#!/usr/bin/env python3
"""Benchmark the explicit-state engine on the bundled models.

    python benchmarks/run.py                      # every models/*.c, every config
    python benchmarks/run.py models/07_v5_5.14.c  # some models (files or directories)
    python benchmarks/run.py --json               # machine-readable output
    python benchmarks/run.py --versus none        # each run beside the unreduced one
    python benchmarks/run.py models/10_5.17.c --memory-model sc -D NR_VCPUS=3 -D KVM_NR_PAGE_SIZES=3 --verdicts

Each run (one model, one configuration: the default and each @config line, one memory
model) happens in a fresh Python process, so the peak resident memory reported is that
run's own (it includes the interpreter and rmapcheck's imports, about 40 MiB). Seconds
and states/s are the search's own, without start-up and without trace replay; CPU s is
the run's CPU time (user + system, search and trace replay), steadier than seconds on a
loaded machine. Last, `rmapcheck verify` on the same models, as a user runs it (default
-j: the CPUs available), with its wall time and CPU time (--no-verify: not).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rmapcheck.engines.explicit.executor import REDUCTIONS  # noqa: E402
COLUMNS = ["model", "config", "memory model", "states", "transitions", "seconds", "CPU s", "states/s", "peak MiB"]


def collect(paths: list[str]) -> list[Path]:
    if not paths:
        paths = [str(ROOT / "models")]
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(path.glob("*.c"))
            if not found:
                sys.exit(f"benchmarks/run.py: {p}: no model files (*.c)")
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            sys.exit(f"benchmarks/run.py: {p}: no such file or directory")
    return out


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def fmt_config(cfg: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(cfg.items())) or "default"


def runs_of(path: Path, memory_models: list[str] | None, defines: dict | None = None,
            configs: list[str] | None = None) -> list[tuple[str, dict]]:
    """(memory model, config) of every run a model declares; loaded in a child, as the runs are.
    configs: only these (as the table shows them: 'default', 'NR_SLOTS=3'); defines (-D): set in
    every run, over the configuration's own; runs made the same by them are run once."""
    r = subprocess.run([sys.executable, __file__, "--child-list", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        err = (r.stderr or r.stdout).strip().splitlines()
        raise RuntimeError((err[-1] if err else "load failed").replace(str(ROOT) + os.sep, ""))
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    out: list = []
    for mm, cfg in doc["runs"]:
        if configs and fmt_config(cfg) not in configs:
            continue
        run = (mm, {**cfg, **(defines or {})})
        if (not memory_models or mm in memory_models) and run not in out:
            out.append(run)
    return out


def define(text: str) -> tuple[str, int]:
    name, eq, value = text.partition("=")
    try:
        if not eq or not name.isidentifier():
            raise ValueError
        return name, int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"-D {text}: expected NAME=INTEGER") from None


def run_one(path: Path, mm: str, cfg: dict, args) -> dict:
    cmd = [sys.executable, __file__, "--child-run", str(path), "--child-mm", mm, "--child-config", json.dumps(cfg)]
    if args.timeout:
        cmd += ["--timeout", str(args.timeout)]
    if args.max_states:
        cmd += ["--max-states", str(args.max_states)]
    if args.reduction:
        cmd += ["--reduction", args.reduction]
    row = {"model": display(path), "config": fmt_config(cfg), "memory_model": mm}
    hard = None if not args.timeout else args.timeout * 3 + 120
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=hard)
    except subprocess.TimeoutExpired:
        return {**row, "error": "killed: no answer in time"}
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        err = (r.stderr or r.stdout).strip().splitlines()
        return {**row, "error": (err[-1] if err else f"exit {r.returncode}").replace(str(ROOT) + os.sep, "")}
    return {**row, **json.loads(lines[-1])}


# -- the child side -----------------------------------------------------------------------------------


def child_list(path: str) -> None:
    sys.path.insert(0, str(ROOT))
    from rmapcheck.frontend import load_model

    from rmapcheck.ir.nodes import meta_runs

    meta = load_model(path).meta
    print(json.dumps({"memory_models": list(meta.memory_models), "runs": meta_runs(meta)}))


def child_run(path: str, mm: str, cfg: dict, timeout: float | None, max_states: int | None,
              reduction: str | None = None) -> None:
    sys.path.insert(0, str(ROOT))
    from rmapcheck.engines.explicit.search import Limits
    from rmapcheck.frontend import load_model
    from rmapcheck.properties.verdict import VIOLATED
    from rmapcheck.runner import check_program

    program = load_model(path, cfg)
    cpu0 = time.process_time()
    res = check_program(program, mm, limits=Limits(max_states=max_states, timeout=timeout, reduction=reduction))
    cpu = time.process_time() - cpu0
    s = res.stats
    print(json.dumps({
        "states": s.states, "transitions": s.transitions, "depth": s.depth,
        "seconds": round(s.seconds, 3), "cpu_seconds": round(cpu, 3), "states_per_s": round(s.states_per_s),
        "peak_mb": round(s.peak_mb, 1), "complete": s.complete, "limit": s.limit,
        "violated": [r.name for r in res.results.values() if r.verdict == VIOLATED], "reduction": s.reduction,
    }))


# -- main -----------------------------------------------------------------------------------------------


def table(rows: list[dict], verdicts: bool = False) -> str:
    """verdicts: a last column with the properties violated (an incomplete run claims none)."""
    from tabulate import tabulate

    body = []
    for r in rows:
        if "error" in r:
            body.append([r["model"], r["config"], r["memory_model"], "error: " + r["error"], "", "", "", "", ""]
                        + ([""] if verdicts else []))
            continue
        note = "" if r["complete"] else f" (incomplete: {r['limit']})"
        body.append([
            r["model"], r["config"], r["memory_model"], f"{r['states']}{note}", r["transitions"],
            f"{r['seconds']:.2f}", f"{r['cpu_seconds']:.2f}", r["states_per_s"], f"{r['peak_mb']:.0f}",
        ] + ([_verdicts(r)] if verdicts else []))
    return tabulate(body, headers=COLUMNS + (["violated"] if verdicts else []), tablefmt="github",
                    disable_numparse=True, colalign=("left", "left", "left") + ("right",) * 6
                    + (("left",) if verdicts else ()))


def _verdicts(r: dict) -> str:
    found = ", ".join(r["violated"])
    if r["complete"]:
        return found or "none (every property holds)"
    return f"{found or 'none found'}; the others unknown (incomplete)"


def versus_table(rows: list[dict], versus: str) -> str:
    """Each run's states and seconds beside those of the same run with the --versus reduction."""
    from tabulate import tabulate

    body, tot = [], [0, 0, 0.0, 0.0]
    for r in rows:
        v = r.get("versus")
        if not v or v.get("error") or "error" in r:
            continue
        body.append([r["model"], r["config"], r["memory_model"], r["states"], v["states"],
                     f"{v['states'] / max(r['states'], 1):.2f}", f"{r['seconds']:.2f}", f"{v['seconds']:.2f}"])
        tot = [tot[0] + r["states"], tot[1] + v["states"], tot[2] + r["seconds"], tot[3] + v["seconds"]]
    body.append(["total", "", "", tot[0], tot[1], f"{tot[1] / max(tot[0], 1):.2f}", f"{tot[2]:.2f}", f"{tot[3]:.2f}"])
    red = rows[0].get("reduction", "default") if rows else "default"
    return tabulate(body, headers=["model", "config", "memory model", f"states ({red})", f"states ({versus})", "x",
                                   f"seconds ({red})", f"seconds ({versus})"],
                    tablefmt="github", disable_numparse=True, colalign=("left", "left", "left") + ("right",) * 5)


def time_verify(paths: list[str], jobs: int | None, memory_models: list[str] | None,
                reduction: str | None = None) -> dict:
    """`rmapcheck verify` on paths (none: the bundled models), timed as a whole: wall and CPU seconds
    (its own and its workers'), and its exit status."""
    flags = [f"--memory-model={m}" for m in memory_models or []] + ([f"-j{jobs}"] if jobs else [])
    flags += [f"--reduction={reduction}"] if reduction else []
    cmd = [sys.executable, "-m", "rmapcheck", "verify", *(str(Path(p).resolve()) for p in paths), *flags]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = (r.stdout.strip().splitlines() or [""])[-1]
    return {"command": " ".join(["rmapcheck verify", *(display(Path(p)) for p in paths), *flags]),
            "jobs": jobs or len(os.sched_getaffinity(0)),
            "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "exit_code": r.returncode, "summary": last}


def ra_cost(rows: list[dict], extra: list[dict]) -> str:
    """The cost of ra over sc: each ra run beside sc in the SAME configuration (the ra one)."""
    from tabulate import tabulate

    sc = {(r["model"], r["config"]): r for r in rows + extra if r["memory_model"] == "sc" and "error" not in r}
    body = []
    for r in rows:
        s = sc.get((r["model"], r["config"]))
        if r["memory_model"] != "ra" or "error" in r or s is None:
            continue
        body.append([r["model"], r["config"], s["states"], r["states"], f"{r['states'] / max(s['states'], 1):.2f}",
                     f"{s['seconds']:.2f}", f"{r['seconds']:.2f}", f"{r['seconds'] / max(s['seconds'], 1e-9):.2f}"])
    if not body:
        return ""
    return tabulate(body, headers=["model", "config", "sc states", "ra states", "x", "sc seconds", "ra seconds", "x"],
                    tablefmt="github", disable_numparse=True, colalign=("left", "left") + ("right",) * 6)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", metavar="MODEL|DIR", help="default: the bundled models/")
    ap.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    ap.add_argument("--memory-model", action="append", dest="memory_models", choices=["sc", "ra"],
                    help="only this memory model (repeatable; default: those each model declares)")
    ap.add_argument("--timeout", type=float, help="per run: stop the search after SECONDS (incomplete)")
    ap.add_argument("--max-states", type=int, help="per run: stop the search after N states (incomplete)")
    ap.add_argument("-D", dest="defines", action="append", default=[], type=define, metavar="NAME=VALUE",
                    help="set the model's #define NAME in every run, over each configuration's own (repeatable)")
    ap.add_argument("--config", action="append", dest="configs", metavar="default|NAME=VALUE ...",
                    help="only the runs of this configuration, as the table's config column names it before "
                         "-D (repeatable)")
    ap.add_argument("--verdicts", action="store_true", help="a column with the properties each run found violated")
    ap.add_argument("--reduction", choices=list(REDUCTIONS),
                    help="per run: the explicit engine's reduction (default: rmapcheck's default)")
    ap.add_argument("--versus", choices=list(REDUCTIONS), metavar="REDUCTION",
                    help="also run each configuration (and verify) with this reduction, and print its states "
                         "and seconds beside the others (--versus none: what the reduction saves)")
    ap.add_argument("--z3", action="store_true",
                    help="the z3 event engine beside the explicit one instead (verify --engine both, sc, default "
                         "configurations): seconds, z3 cells decided, rows not as expected; see benchmarks/z3verify.py")
    ap.add_argument("--z3-timeout", type=float, default=None, help="with --z3: per run (default: none)")
    ap.add_argument("--jobs", type=int, default=1, help="with --z3: verify's -j (default 1)")
    ap.add_argument("--no-verify", action="store_true", help="do not time `rmapcheck verify` at the end")
    ap.add_argument("--verify-jobs", type=int, metavar="N",
                    help="time `rmapcheck verify -jN` (default: its own default, the CPUs available)")
    ap.add_argument("--child-list", help=argparse.SUPPRESS)
    ap.add_argument("--child-run", help=argparse.SUPPRESS)
    ap.add_argument("--child-mm", help=argparse.SUPPRESS)
    ap.add_argument("--child-config", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_list or args.child_run:
        try:
            if args.child_list:
                child_list(args.child_list)
            else:
                child_run(args.child_run, args.child_mm, json.loads(args.child_config), args.timeout, args.max_states,
                          args.reduction)
        except Exception as e:  # one line for the parent's table
            sys.stderr.write(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}\n")
            return 2
        return 0

    if args.z3:
        import z3verify

        return z3verify.main(["--memory-model", "sc", "--config", "default", "-j", str(args.jobs)]
                             + (["--timeout", str(args.z3_timeout)] if args.z3_timeout else [])
                             + ["--json"] * bool(args.json) + [str(p) for p in collect(args.paths)])

    rows = []
    for path in collect(args.paths):
        try:
            runs = runs_of(path, args.memory_models, dict(args.defines), args.configs)
        except RuntimeError as e:
            rows.append({"model": display(path), "config": "-", "memory_model": "-", "error": str(e)})
            continue
        for mm, cfg in runs:
            row = run_one(path, mm, cfg, args)
            if args.versus and "error" not in row:
                other = run_one(path, mm, cfg, argparse.Namespace(**{**vars(args), "reduction": args.versus}))
                row["versus"] = {k: other.get(k) for k in ("states", "seconds", "cpu_seconds", "reduction", "error")}
            rows.append(row)
            if not args.json:
                sys.stderr.write(f"{row['model']} [{row['config']}, {mm}]: "
                                 f"{row.get('states', row.get('error'))} states, {row.get('seconds', '-')} s\n")
    # the cost of ra over sc: sc again in each ra run's configuration, where no sc run had it
    extra = []
    if not args.memory_models or set(args.memory_models) == {"sc", "ra"}:
        have = {(r["model"], r["config"]) for r in rows if r["memory_model"] == "sc"}
        for path in collect(args.paths):
            for mm, cfg in runs_of(path, None, dict(args.defines), args.configs) if path.exists() else []:
                if mm == "ra" and (display(path), fmt_config(cfg)) not in have:
                    row = run_one(path, "sc", cfg, args)
                    extra.append(row)
                    have.add((display(path), fmt_config(cfg)))
                    if not args.json:
                        sys.stderr.write(f"{row['model']} [{row['config']}, sc, for the ra comparison]: "
                                         f"{row.get('states', row.get('error'))} states, {row.get('seconds', '-')} s\n")
    env = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
           "cpus_available": len(os.sched_getaffinity(0)), "load_average": [round(x, 1) for x in os.getloadavg()]}
    verify = None
    if not args.no_verify:
        if not args.json:
            sys.stderr.write("timing rmapcheck verify...\n")
        verify = time_verify(args.paths, args.verify_jobs, args.memory_models)
        if args.versus:
            verify["versus"] = time_verify(args.paths, args.verify_jobs, args.memory_models, args.versus)
    if args.json:
        json.dump({"environment": env, "runs": rows, "sc_in_ra_configs": extra, "verify": verify}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(table(rows, args.verdicts) + "\n")
        if args.versus:
            sys.stdout.write("\n" + versus_table(rows, args.versus) + "\n")
        cost = ra_cost(rows, extra)
        if cost:
            sys.stdout.write("\nThe cost of ra over sc, in the same configuration (each model's ra configuration):\n\n")
            sys.stdout.write(cost + "\n")
        sys.stdout.write(f"\nPython {env['python']} on {env['machine']}, {env['cpus']} CPUs; "
                         "one fresh process per run; peak MiB includes the interpreter (about 40 MiB); "
                         f"load average {env['load_average'][0]} at the end.\n")
        if verify is not None:
            for v in [verify] + ([verify["versus"]] if "versus" in verify else []):
                sys.stdout.write(f"\n{v['command']} (-j{v['jobs']}): {v['wall_seconds']:.1f} s wall, "
                                 f"{v['cpu_seconds']:.1f} s CPU, exit {v['exit_code']} ({v['summary']})\n")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
