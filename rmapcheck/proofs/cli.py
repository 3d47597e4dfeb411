"""``rmapcheck prove [PROOF|DIR ...]``: check proofs with z3, and optionally against their models."""

from __future__ import annotations

import json
import os
import sys
import time

from rmapcheck.errors import UsageError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
SUFFIX = ".proof"


def add_prove_parser(sub, positive_float, positive_int) -> None:
    p = sub.add_parser("prove", help="check the parameterised inductive invariants in proofs/ with z3")
    p.add_argument("paths", nargs="*", metavar="PROOF|DIR", help="proof files (.proof) or directories of them "
                   "(default: the bundled proofs/)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text: a line per proof (default); json: every check and counterexample, one document")
    p.add_argument("--check-model", action="store_true",
                   help="also explore each proof's model and check that every reachable state satisfies the "
                        "abstraction of every clause, and every step is one of the proof's transitions")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="a row per check (clause, transition, result, seconds), every counterexample to "
                        "induction, and which model steps realise each transition; by default a line per "
                        "proof and the counterexample to induction of each failing check")
    p.add_argument("--all-rows", action="store_true",
                   help="--verbose: also list the checks that hold because the transition does not touch the "
                        "clause")
    p.add_argument("--ignore-expect", action="store_true",
                   help="treat the failures a proof declares with 'expect fail' as failures")
    p.add_argument("--timeout", type=positive_float, default=20.0, metavar="SECONDS",
                   help="z3's time limit per check (default 20; a check that hits it is 'unknown', a failure)")
    p.add_argument("--max-states", type=positive_int, default=2_000_000, metavar="N",
                   help="--check-model: stop exploring a model after N states (incomplete: a failure)")
    p.add_argument("-j", "--jobs", type=positive_int, metavar="N",
                   help="--check-model: explore N models at once, in worker processes (default: the number "
                        "of CPUs available); the output does not depend on N")


def default_dir() -> str:
    if os.path.isdir("proofs"):
        return "proofs"
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.relpath(os.path.join(here, "proofs"))


def collect(paths: list) -> list:
    if not paths:
        paths = [default_dir()]
    out = []
    for p in paths:
        if os.path.isdir(p):
            out.extend(os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(SUFFIX))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or directory")
    if not out:
        raise UsageError(f"no proof files ({SUFFIX}) in {', '.join(paths)}")
    return out


def cmd_prove(args) -> int:
    from rmapcheck.progress import Progress
    from rmapcheck.proofs.parser import load_proof

    files = collect(args.paths)
    proofs = [load_proof(f) for f in files]  # every file parses before anything is checked
    confs = _conformance_in_workers(proofs, args) if args.check_model else [None] * len(proofs)
    with Progress("prove", [1.0] * len(proofs), unit="proofs") as bar:
        return _prove_all(args, proofs, confs, bar)


def _prove_all(args, proofs, confs, bar) -> int:
    from rmapcheck.proofs.conformance import check_model
    from rmapcheck.proofs.report import cti_doc, render_cti, summary, table
    from rmapcheck.proofs.solver import check_proof

    code = EXIT_OK
    docs = []
    all_checks = []
    blocks = []
    summaries = []
    for k, (pr, conf) in enumerate(zip(proofs, confs)):
        bar.started(pr.name)
        t0 = time.monotonic()
        checks = check_proof(pr, int(args.timeout * 1000), ignore_expect=args.ignore_expect)
        secs = time.monotonic() - t0
        all_checks.extend(checks)
        if any(not c.ok for c in checks):
            code = EXIT_FAIL
        summaries.append(summary(pr, checks, secs))
        for c in checks:
            if c.cti is not None:
                tag = " (expected: " + _expect_doc(pr, c) + ")" if c.expected_fail else ""
                blocks.append(f"== {pr.name}: {c.clause} / {c.transition}{tag}\n" + render_cti(pr, c.cti))
            elif c.result not in ("holds", "holds (unchanged)"):
                blocks.append(f"== {pr.name}: {c.clause} / {c.transition}: {c.result} {c.message}")
        doc = {
            "proof": pr.name,
            "file": pr.path,
            "title": pr.title,
            "model": pr.model,
            "ok": all(c.ok for c in checks),
            "seconds": round(secs, 3),
            "checks": [{
                "clause": c.clause, "transition": c.transition, "result": c.result,
                "expected_fail": c.expected_fail, "ok": c.ok, "seconds": round(c.seconds, 4),
                **({"message": c.message} if c.message else {}),
                **({"cti": cti_doc(pr, c.cti)} if c.cti is not None else {}),
            } for c in checks],
        }
        if args.check_model:
            if conf is None:
                conf = check_model(pr, max_states=args.max_states)
            doc["model_check"] = _conf_doc(conf)
            summaries.append(_conf_summary(conf))
            if not conf.skipped and args.verbose:
                summaries.extend(_coverage_lines(pr, conf))
            if not conf.skipped and not conf.ok:
                code = EXIT_FAIL
            if not conf.skipped and conf.failures:
                blocks.extend(_conf_blocks(pr, conf))
        docs.append(doc)
        bar.finished(k)
    if args.format == "json":
        sys.stdout.write(json.dumps({"exit_code": code, "proofs": docs}, indent=2) + "\n")
        return code
    out = [table(all_checks, args.all_rows), ""] if args.verbose else []
    for b in blocks:
        out.append(b)
        out.append("")
    out.extend(summaries)
    sys.stdout.write("\n".join(out) + "\n")
    return code


def _conformance_in_workers(proofs: list, args) -> list:
    """With more than one job: every proof's model check, in worker processes (None: in-process)."""
    from rmapcheck.jobs import default_jobs, run_pool
    from rmapcheck.proofs.conformance import check_model_file, resolve_model

    jobs = min(args.jobs or default_jobs(), len(proofs))
    if jobs <= 1:
        return [None] * len(proofs)

    def weight(pr) -> float:  # the larger models first
        path = resolve_model(pr)
        return float(os.path.getsize(path)) if path else 0.0

    return run_pool(check_model_file, [((pr.path, args.max_states), weight(pr), "") for pr in proofs], jobs)


def _expect_doc(pr, c) -> str:
    for x in pr.expects:
        if x.clause == c.clause and x.transition == c.transition:
            return x.doc or "declared with 'expect fail'"
    return "declared with 'expect fail'"


def _conf_summary(conf) -> str:
    if conf.skipped:
        return f"{conf.proof}: model check skipped: {conf.skipped}"
    state = "complete" if conf.complete else f"INCOMPLETE ({conf.limit})"
    verdict = "conforms" if conf.ok else "DOES NOT CONFORM"
    covered = len(conf.coverage)
    if conf.buggy:
        bad = ", ".join(f.what for f in conf.violations) or "none"
        checked = f"every step is a transition; false in reachable states (the bug, as expected): {bad}"
    else:
        checked = "every clause holds in every state, every step is a transition"
    return (f"{conf.proof}: model {conf.model} {verdict}: {conf.states} states ({state}), {conf.steps} steps, "
            f"{conf.abstract_states} abstract states; {checked}; "
            f"{covered} of {conf.transitions} transitions realised by model steps; {conf.seconds:.2f} s")


def _step_order(where: tuple) -> tuple:
    """Model lines first (an int), then lines of included files ('kvm_arrays.h:226'), each in order."""
    fn, line, text = where
    return (isinstance(line, str), str(line).zfill(12), fn, text)


def _coverage_lines(pr, conf) -> list:
    """Which model steps realise each transition (the comments' claims, checked)."""
    out = []
    w = max((len(t.name) for t in pr.transitions), default=0)
    for t in pr.transitions:
        steps = sorted(conf.coverage.get(t.name, ()), key=_step_order)
        if not steps:
            out.append(f"  {t.name.ljust(w)}  (no step of the model)")
            continue
        txt = " | ".join(f"{fn}:{ln} {text[:48]}" for fn, ln, text in steps[:4])
        more = f" | +{len(steps) - 4} more" if len(steps) > 4 else ""
        out.append(f"  {t.name.ljust(w)}  <- {txt}{more}")
    return out


def _conf_blocks(pr, conf) -> list:
    from rmapcheck.proofs.report import state_rows
    from rmapcheck.report.steps import render_steps

    out = []
    for f in conf.failures:
        tag = " (expected: the design is buggy)" if conf.buggy and f.kind == "clause" else ""
        lines = [f"== {pr.name}: model {conf.model}: {f.message}{tag}"]
        if f.pre is not None and f.post is not None:
            rows = [r for r in state_rows(pr, f.pre, f.post) if r[3]]
            w = max((len(r[0]) for r in rows), default=6)
            lines.append("  abstract state before and after the step (changed symbols):")
            for name, a, b, _ in rows:
                lines.append(f"  {name.ljust(w)}  {a}  ->  {b}")
        elif f.pre is not None:
            lines.append("  abstract state:")
            for name, a, _, _ in state_rows(pr, f.pre, None):
                lines.append(f"    {name} = {a}")
        if f.trace is not None:
            lines.append(render_steps(f.trace))
        out.append("\n".join(lines))
    return out


def _conf_doc(conf) -> dict:
    return {
        "model": conf.model,
        "skipped": conf.skipped or None,
        "ok": conf.ok,
        "buggy": conf.buggy,
        "violated_in_model": [f.what for f in conf.violations],
        "states": conf.states,
        "steps": conf.steps,
        "abstract_states": conf.abstract_states,
        "complete": conf.complete,
        "limit": conf.limit or None,
        "seconds": round(conf.seconds, 3),
        "coverage": {k: [{"thread": t, "line": ln, "text": tx} for t, ln, tx in sorted(v, key=_step_order)]
                     for k, v in conf.coverage.items()},
        "failures": [{"kind": f.kind, "what": f.what, "message": f.message,
                      "path": {"init": f.path.init, "steps": [list(x) for x in f.path.labels]}} for f in conf.failures],
    }
