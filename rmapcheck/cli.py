# PYTHON_ARGCOMPLETE_OK
"""Command line: check, verify, ir, litmus, explain, necessity, report. Exit codes as TLC and CI expect:

0 every expectation met (check: every property holds); 1 a verdict differs from
its expectation (check: a property is violated); 2 bad input or usage;
3 a run was incomplete (a limit stopped it); 4 internal error.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from rmapcheck import __version__
from rmapcheck.engines.explicit.executor import REDUCTIONS
from rmapcheck.errors import InternalError, ModelError, RmapcheckError, UsageError

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as every other bad input
        self.print_usage(sys.stderr)
        sys.stderr.write(f"rmapcheck: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


MODEL_HELP = "the model file (kernel C with an rmapcheck header: docs/language.md)"
DEFINE_HELP = "give the model's #define NAME the value VALUE (repeatable), for example -D NR_SLOTS=3"

# an example per command, shown at the end of its --help
EXAMPLES = {
    "check": ["rmapcheck check tests/models/readme_example.c",
              "rmapcheck check models/10_5.17.c -D NR_SLOTS=1 --property rmaps-present --trace-format diagram",
              "rmapcheck check models/14_mutant_flag_before_alloc.c --trace-format dot --dot-dir graphs"],
    "verify": ["rmapcheck verify                      # every bundled model",
               "rmapcheck verify --format junit models > verify.xml",
               "rmapcheck verify --memory-model sc --config default -j 2 models/05_v3.c"],
    "ir": ["rmapcheck ir tests/models/readme_example.c"],
    "new": ["rmapcheck new my_patch.c --from models/10_5.17.c"],
    "explain": ["rmapcheck explain tests/models/unit/lost_update_array_copy.c"],
    "necessity": ["rmapcheck necessity models/10_5.17.c -D NR_SLOTS=1 --only acquire,release"],
    "report": ["rmapcheck report --html site models"],
    "litmus": ["rmapcheck litmus tests/litmus/*.litmus",
               "rmapcheck litmus --memory-model ra --states tests/litmus/MP+poonceonces.litmus"],
    "prove": ["rmapcheck prove", "rmapcheck prove --verbose proofs/09_5.16.proof",
              "rmapcheck prove --check-model -j 2"],
}


def _with_examples(ap: argparse.ArgumentParser) -> None:
    """Each command's --help ends with its examples."""
    for action in ap._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, p in action.choices.items():
                if name in EXAMPLES:
                    p.formatter_class = argparse.RawDescriptionHelpFormatter
                    p.epilog = "examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES[name])


def _define(text: str) -> tuple[str, int]:
    m = re.fullmatch(r"([A-Za-z_]\w*)=(-?(?:0[xX][0-9a-fA-F]+|\d+))", text)
    if not m:
        raise UsageError(f"-D {text}: expected NAME=INTEGER, for example -D NR_SLOTS=3")
    return m.group(1), int(m.group(2), 0)


def _positive(kind):
    def conv(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if v <= 0:
            raise argparse.ArgumentTypeError(f"'{text}' must be positive")
        return v

    return conv


def _nonneg(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must not be negative")
    return v


def _add_include(p: argparse.ArgumentParser) -> None:
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR",
                   help="#include looks here after the including file's directory and models/ (repeatable)")


def _add_limits(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits (hitting one gives the verdict 'incomplete', exit 3)")
    g.add_argument("--max-states", type=_positive(int), metavar="N", help="stop a run after N distinct states")
    g.add_argument("--max-depth", type=_positive(int), metavar="N",
                   help="explore no path longer than N transitions")
    g.add_argument("--timeout", type=_positive(float), metavar="SECONDS", help="stop a run after SECONDS seconds")
    g.add_argument("--max-memory", type=_positive(float), metavar="MiB",
                   help="stop a run when the process uses more than MiB mebibytes")
    p.add_argument("--reduction", choices=list(REDUCTIONS), default=None,
                   help="explicit engine: persistent (default) explores the movers' transitions in "
                        "persistent sets; private runs an allocation and an access to an object no other "
                        "thread can reach inside the step before it; movers also a step no other thread can "
                        "interfere with (an access guarded by a lock the thread holds, an unlock, a fence); "
                        "none schedules every visible step (counterexamples are shortest in the graph explored)")


def _add_engine(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["explicit", "z3", "both"], default="explicit",
                   help="the engine (default: explicit); both: explicit and z3, exit 1 if they disagree")
    p.add_argument("--mode", choices=["events", "prove", "bmc"], default="events",
                   help="z3: events, the one z3 engine (each thread unrolled to --unwind, executions as "
                        "events chosen by z3); bmc and prove named the interleaving encoding, which was "
                        "removed (they exit 2 saying what replaces them)")
    p.add_argument("--unwind", type=_positive(int), metavar="N",
                   help="z3 events: unroll every loop N times (default: 12); a run that needs more says "
                        "'incomplete (unwind N)'")
    # removed with the interleaving encoding: still parsed, so that a script using them gets
    # the message saying what replaces them (exit 2), not argparse's 'unrecognized arguments'
    p.add_argument("--bmc-depth", metavar="N", help=argparse.SUPPRESS)
    p.add_argument("--show-invariant", action="store_true", help=argparse.SUPPRESS)


def _add_trace_layout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--width", type=_positive(int), default=80, metavar="N",
                   help="the columns of the step lists, race diagrams and tables (default: 80, which a "
                        "quoted email keeps; names are never split)")
    p.add_argument("--max-trace-steps", type=_positive(int), metavar="N",
                   help="show at most N steps of each counterexample: its first and last, with a line "
                        "saying how many were left out")


def _engine(args) -> str:
    from rmapcheck.engines.z3ev.both import removed

    if args.mode != "events":
        raise removed(f"--mode {args.mode}")
    if args.bmc_depth is not None:
        raise removed("--bmc-depth")
    if args.show_invariant:
        raise removed("--show-invariant")
    if getattr(args, "unwind", None) is not None and args.engine == "explicit":
        raise UsageError("--unwind bounds the loops of z3's event engine: it needs --engine z3 or both")
    return args.engine if args.engine == "explicit" else f"{args.engine}:{args.mode}"


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="rmapcheck", description="Model checker for lazily allocated, flag-published KVM rmaps.")
    ap.add_argument("--version", action="version", version=f"rmapcheck {__version__}")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="check one model: every property, with counterexamples")
    _add_include(c)
    c.add_argument("model", help=MODEL_HELP)
    c.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE", help=DEFINE_HELP)
    c.add_argument("--memory-model", choices=["sc", "ra", "tso", "lkmm"], default="sc",
                   help="sc: sequential consistency; ra: release/acquire weak memory (explicit engine); tso, lkmm: "
                        "x86-TSO and the Linux kernel memory model (--engine z3; see docs/memory-model.md)")
    c.add_argument("--faults", type=_nonneg, metavar="N", help="allocation-failure budget (overrides @faults)")
    c.add_argument("--format", choices=["text", "json", "jsonl"], default="text",
                   help="text (default); json: the verdicts, statistics and traces as one document; jsonl "
                        "with --trace-format json: one ITF document per line")
    c.add_argument("--trace-format", choices=["both", "steps", "diagram", "none", "json", "dot"], default="both",
                   help="how counterexamples are shown: step list and/or race diagram (text); json: the "
                        "Informal Trace Format (ITF) of the TLA+ tools, one document (--property's trace, "
                        "else an array of every violation's); dot: Graphviz execution graphs, and the "
                        "state graph of a small model, one graph per file (see --dot-dir)")
    c.add_argument("--dot-dir", metavar="DIR",
                   help="--trace-format dot: write each graph to DIR/NAME.dot (NAME: the property, and "
                        "state-graph for a small model); without it the one violation's graph (or "
                        "--property's) goes to stdout")
    c.add_argument("--property", metavar="NAME", help="show only this property's counterexample")
    _add_trace_layout(c)
    _add_engine(c)
    _add_limits(c)

    v = sub.add_parser("verify", help="check models against their declared expected verdicts")
    _add_include(v)
    v.add_argument("paths", nargs="*", metavar="MODEL|DIR", help="default: the bundled models/")
    v.add_argument("--format", choices=["text", "table", "json", "jsonl", "tap", "junit"], default="text",
                   help="text: a line per run as it finishes, then a summary; table: a row per verdict; "
                        "json: one document at the end; jsonl: a JSON object per run as it finishes, then "
                        "one with the exit code; tap: TAP 13 as kselftests print it; junit: JUnit XML "
                        "(tap, junit and jsonl are written as the runs finish)")
    v.add_argument("-v", "--verbose", action="store_true", help="the same as --format table")
    v.add_argument("--memory-model", choices=["sc", "ra", "tso", "lkmm"], action="append", dest="memory_models",
                   help="only this memory model (repeatable); tso and lkmm (never run by default): the "
                        "@configs naming them, with the z3 engine")
    v.add_argument("--config", action="append", dest="configs", metavar="default|NAME=VALUE",
                   help="only this configuration: 'default', or a @config as the table shows it "
                        "(repeatable)")
    v.add_argument("--traces", action="store_true", help="print the trace of every violation")
    _add_trace_layout(v)
    v.add_argument("-j", "--jobs", type=_positive(int), metavar="N",
                   help="run N models (model, memory model, config) at once, in worker processes "
                        "(default: the number of CPUs available); the output does not depend on N")
    _add_engine(v)
    _add_limits(v)

    i = sub.add_parser("ir", help="print a model's intermediate representation")
    _add_include(i)
    i.add_argument("model", help=MODEL_HELP)
    i.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE", help=DEFINE_HELP)

    nw = sub.add_parser("new", help="start a model of your patch: a design file with an era's harness and "
                                    "a copy of its design functions")
    nw.add_argument("design", metavar="DESIGN.c", help="the file to write (never overwritten)")
    nw.add_argument("--from", dest="source", metavar="MODEL", default=None,
                    help="the design to start from (default: the bundled models/10_5.17.c, Linux 5.17 and later)")
    _add_include(nw)

    ex = sub.add_parser("explain", help="a model's header, threads, verdicts, and each violation in words")
    _add_include(ex)
    ex.add_argument("model", help=MODEL_HELP)
    ex.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE", help=DEFINE_HELP)
    ex.add_argument("--memory-model", choices=["sc", "ra", "tso", "lkmm"], action="append", dest="memory_models",
                    help="only this memory model (repeatable; default: the model's own); tso, lkmm: with the "
                         "z3 event engine, in the configuration -D gives")
    _add_limits(ex)

    ne = sub.add_parser("necessity", help="remove or weaken each synchronisation element in turn: what breaks?")
    _add_include(ne)
    ne.add_argument("model", help=MODEL_HELP)
    ne.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE", help=DEFINE_HELP)
    ne.add_argument("--memory-model", choices=["sc", "ra", "tso", "lkmm"], action="append", dest="memory_models",
                    help="only this memory model (repeatable; default: the model's own); sc and ra only: "
                         "necessity runs the explicit engine")
    ne.add_argument("--format", choices=["text", "json"], default="text",
                    help="text: the table and the shortest traces (default); json: one document")
    ne.add_argument("--no-traces", action="store_true", help="the table only, without the shortest traces")
    ne.add_argument("--only", metavar="KIND|LINE,...",
                    help="only these elements: kinds (lock, error-unlock, release, acquire, srcu-section, "
                         "synchronize_srcu, fence, declared) or source lines")
    ne.add_argument("--all", action="store_true", dest="every",
                    help="explore each variant to the end and list every property that breaks (default: "
                         "stop at the first, with its shortest counterexample)")
    ne.add_argument("-j", "--jobs", type=_positive(int), metavar="N",
                    help="check N variants at once, in worker processes (default: the number of CPUs "
                         "available); the output does not depend on N")
    _add_limits(ne)

    rp = sub.add_parser("report", help="write a static HTML site: every model, its verdicts, each trace as a stepper")
    _add_include(rp)
    rp.add_argument("paths", nargs="*", metavar="MODEL|DIR", help="default: the bundled models/")
    rp.add_argument("--html", required=True, metavar="DIR",
                    help="output directory (new, empty, or an earlier report; anything else is refused)")
    rp.add_argument("--memory-model", choices=["sc", "ra", "tso", "lkmm"], action="append", dest="memory_models",
                    help="only this memory model (repeatable; default: each model's own); tso, lkmm: with the "
                         "z3 event engine, in the configuration -D gives")
    rp.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="override a #define parameter of every model given")
    _add_limits(rp)

    lt = sub.add_parser("litmus", help="run herd7 C litmus tests (the kernel's tools/memory-model format)")
    lt.add_argument("files", nargs="+", metavar="FILE", help="a herd7 C litmus test (.litmus), or several")
    lt.add_argument("--memory-model", choices=["lkmm", "sc", "tso", "ra"], default="lkmm",
                    help="lkmm, sc, tso: every candidate execution judged by the model's axioms "
                         "(docs/memory-model.md); ra: the explicit engine's operational release/acquire "
                         "model (no load buffering). Default: lkmm")
    lt.add_argument("--engine", choices=["axiomatic", "z3", "explicit"], default=None,
                    help="axiomatic (default for lkmm, sc, tso): every candidate execution enumerated and "
                         "judged; z3: the executions solved for, with the same axioms as constraints; "
                         "explicit (default for ra; also sc): interleavings explored")
    lt.add_argument("--states", action="store_true",
                    help="print every test's final states, as herd7 does, and the trace of a data race")
    lt.add_argument("--dot", metavar="DIR",
                    help="write DIR/TEST.dot: the execution graphs (po, rf, co, fr, dependencies) of the "
                         "final states that satisfy the condition, as herd7 draws them (axiomatic models)")
    _add_limits(lt)
    from rmapcheck.proofs.cli import add_prove_parser  # rmapcheck prove: proofs/ (docs/proofs.md)

    add_prove_parser(sub, _positive(float), _positive(int))
    _with_examples(ap)
    return ap


def _limits(args):
    from rmapcheck.engines.explicit.search import Limits

    lim = Limits(args.max_states, args.max_depth, args.timeout, args.max_memory,
                 reduction=getattr(args, "reduction", None))
    lim.unwind = getattr(args, "unwind", None)  # z3 events: the loop bound (not a field: search.py is not ours)
    return lim


def cmd_check(args) -> int:
    from rmapcheck.progress import Progress
    from rmapcheck.properties.verdict import VIOLATED
    from rmapcheck.report.diagram import render_diagram
    from rmapcheck.report.json_out import dumps, result_doc
    from rmapcheck.report.steps import render_steps
    from rmapcheck.report.tables import check_table
    from rmapcheck.runner import check_program, load_for

    if args.format == "jsonl" and args.trace_format != "json":
        raise UsageError("--format jsonl goes with --trace-format json (ITF) only")
    if args.dot_dir is not None and args.trace_format != "dot":
        raise UsageError("--dot-dir goes with --trace-format dot")
    defines = dict(_define(d) for d in args.defines)
    program = load_for(args.model, args.memory_model, defines, args.faults)  # with the model's @defines for it
    if args.property is not None and args.property not in program.properties:
        raise UsageError(f"--property {args.property}: {args.model} has no such property"
                         f"{_did_you_mean(args.property, program.properties)} "
                         f"(its properties: {', '.join(program.properties)})")
    with Progress("check", [1.0], unit="run") as bar:
        res = check_program(program, args.memory_model, _engine(args), _limits(args),
                            bar.run_callback(f"{args.model} [{args.memory_model}]"))
    if args.trace_format in ("json", "dot"):
        from rmapcheck.report.exports import trace_exports

        sys.stdout.write(trace_exports(program, res, args))
    elif args.format == "json":
        sys.stdout.write(dumps(result_doc(res)))
    else:
        overrides = {**program.meta.mm_defines.get(args.memory_model, {}), **defines}
        out = [check_table(res, overrides, args.width)]
        if args.engine != "explicit":
            from rmapcheck.engines.z3ev.both import report_extra

            out[0] += report_extra(res)
        for r in res.results.values():
            if r.verdict != VIOLATED or r.trace is None or args.trace_format == "none":
                continue
            if args.property is not None and r.name != args.property:
                continue
            out.append("")
            if args.trace_format in ("both", "steps"):
                out.append(render_steps(r.trace, width=args.width, max_steps=args.max_trace_steps))
            if args.trace_format in ("both", "diagram"):
                out.append(render_diagram(r.trace, width=args.width, max_steps=args.max_trace_steps))
        sys.stdout.write("\n".join(out))
    if res.violated() or any(r.verdict == "error" for r in res.results.values()):
        return EXIT_VIOLATED
    if res.incomplete():
        return EXIT_INCOMPLETE
    return EXIT_OK


def _did_you_mean(name: str, known) -> str:
    """', did you mean X?' for a misspelt name (difflib), else ''."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]}?" if close else ""


def cmd_verify(args) -> int:
    """Each run's line (or TAP test lines, or JUnit suite) as it finishes, then the summary."""
    from rmapcheck.jobs import default_jobs, weight
    from rmapcheck.progress import CurrentStdout, Progress
    from rmapcheck.report.verify_stream import verify_stream
    from rmapcheck.verify import exit_code, iter_verify, plan_runs

    fmt = "table" if args.verbose and args.format == "text" else args.format
    jobs = args.jobs or default_jobs()
    plan = plan_runs(args.paths, args.memory_models, args.configs)
    for run in plan:
        if run.error:  # on stderr too, with its source line: the message of any bad input
            sys.stderr.write(run.error + "\n")
    outcomes = []
    weights = [weight(r.base, r.memory_model, r.cfg) if r.base is not None else 0.0 for r in plan]
    with Progress("verify", weights) as bar:
        stream = verify_stream(fmt, CurrentStdout())  # on a terminal, the progress line redirects stdout
        factory = None if jobs > 1 else bar.run_callback
        for outcome in iter_verify(plan, _engine(args), _limits(args), jobs, factory):
            if outcome.error and not outcome.run.error:  # a @config that does not load
                sys.stderr.write(outcome.error + "\n")
            outcomes.append(outcome)
            bar.finished(outcome.run.index, outcome.result.stats.states if outcome.result else 0)
            stream.run(outcome, len(outcomes), len(plan))
    outcomes.sort(key=lambda o: o.run.index)
    code = exit_code([row for o in outcomes for row in o.rows])
    stream.close(outcomes, code, (args.width, args.max_trace_steps) if args.traces else None)
    return code


def cmd_explain(args) -> int:
    from rmapcheck.report.explain import explain

    defines = dict(_define(d) for d in args.defines)
    text, code = explain(args.model, defines, args.memory_models, _limits(args))
    sys.stdout.write(text)
    return code


def cmd_necessity(args) -> int:
    import json

    from rmapcheck.necessity import json_doc, necessity, render

    defines = dict(_define(d) for d in args.defines)
    weak = [m for m in args.memory_models or () if m in ("tso", "lkmm")]
    if weak:
        raise UsageError(f"necessity --memory-model {weak[0]}: necessity runs the explicit engine, which has sc "
                         f"and ra; under {weak[0]} weaken the element by hand and run "
                         f"rmapcheck check --engine z3 --memory-model {weak[0]}")
    only = [x.strip() for x in args.only.split(",") if x.strip()] if args.only else None
    from rmapcheck.progress import Progress

    from rmapcheck.jobs import default_jobs

    with Progress("necessity", [], unit="variants") as bar:
        baseline, outcomes = necessity(args.model, defines, args.memory_models, _limits(args), bar, only=only,
                                       jobs=args.jobs or default_jobs(), every=args.every)
    if args.format == "json":
        sys.stdout.write(json.dumps(json_doc(args.model, baseline, outcomes), indent=2) + "\n")
    else:
        sys.stdout.write(render(args.model, baseline, outcomes, traces=not args.no_traces, every=args.every))
    if any(o.error for o in outcomes):
        return EXIT_USAGE
    if any(o.incomplete for o in outcomes) or any(res.incomplete() for res in baseline.values()):
        return EXIT_INCOMPLETE
    return EXIT_OK


def cmd_report(args) -> int:
    from rmapcheck.progress import Progress
    from rmapcheck.report.html import build_report

    defines = dict(_define(d) for d in args.defines)
    with Progress("report", [], unit="models") as bar:
        return build_report(args.paths, args.html, args.memory_models, _limits(args), bar, defines)


def cmd_ir(args) -> int:
    from rmapcheck.frontend import load_model
    from rmapcheck.ir.printer import print_program

    defines = dict(_define(d) for d in args.defines)
    sys.stdout.write(print_program(load_model(args.model, defines)))
    return EXIT_OK


def cmd_new(args) -> int:
    from rmapcheck.newdesign import new_design
    from rmapcheck.verify import bundled_models_dir

    src = args.source
    if src is None:
        d = bundled_models_dir()
        if d is None:
            raise UsageError("no --from given and no bundled models/ directory found")
        src = str(d / "10_5.17.c")
    sys.stdout.write(new_design(args.design, src))
    return EXIT_OK


def cmd_litmus(args) -> int:
    from rmapcheck.litmus import run_cli

    return run_cli(args.files, args.memory_model, _limits(args), args.states, sys.stdout, sys.stderr, args.dot,
                   args.engine)


def cmd_prove(args) -> int:
    from rmapcheck.proofs.cli import cmd_prove as prove

    return prove(args)


def _set_include_dirs(dirs: list[str]) -> None:
    import os

    from rmapcheck.frontend.load import INCLUDE_ENV

    for d in dirs:
        if not os.path.isdir(d):
            raise UsageError(f"-I {d}: no such directory")
    if dirs:
        os.environ[INCLUDE_ENV] = os.pathsep.join(os.path.abspath(d) for d in dirs)
    else:
        os.environ.pop(INCLUDE_ENV, None)


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # shell completion: eval "$(register-python-argcomplete rmapcheck)"
        import argcomplete

        argcomplete.autocomplete(ap)
    args = ap.parse_args(argv)
    if args.cmd is None:
        ap.print_help(sys.stderr)
        return EXIT_USAGE
    handler = {"new": cmd_new, "check": cmd_check, "verify": cmd_verify, "ir": cmd_ir, "litmus": cmd_litmus,
               "explain": cmd_explain, "necessity": cmd_necessity, "report": cmd_report, "prove": cmd_prove}[args.cmd]
    try:
        _set_include_dirs(getattr(args, "include_dirs", []))
        return handler(args)
    except ModelError as e:
        sys.stderr.write(e.render() + "\n")
        return EXIT_USAGE
    except RmapcheckError as e:
        sys.stderr.write(f"rmapcheck: error: {e}\n")
        return EXIT_USAGE
    except InternalError as e:
        sys.stderr.write(f"rmapcheck: internal error: {e}\n")
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        sys.stderr.write("rmapcheck: interrupted\n")
        return 130
    except RecursionError:
        sys.stderr.write("rmapcheck: error: the model is nested too deeply\n")
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug in rmapcheck: say so plainly, without a traceback
        sys.stderr.write(f"rmapcheck: internal error: {type(e).__name__}: {e} (please report this)\n")
        return EXIT_INTERNAL
