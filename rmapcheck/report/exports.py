"""check's --trace-format exports: ITF JSON traces and DOT graphs of every violation."""

from __future__ import annotations

from rmapcheck.errors import UsageError


def trace_exports(program, res, args) -> str:
    """--trace-format json (ITF) or dot, for every violation (or --property's).

    JSON is one document: the ITF trace of --property, else an array of every violation's
    (--format jsonl: one ITF document per line). DOT is one graph per file: on stdout when
    there is one violation (or --property), else a file per graph in --dot-dir DIR, with the
    state graph of a small model."""
    from rmapcheck.properties.verdict import VIOLATED
    from rmapcheck.report.dot import execution_dot, state_graph, state_graph_dot
    from rmapcheck.report.execution import build_execution
    from rmapcheck.report.itf import dumps_itf, itf_trace

    wanted = [r for r in res.results.values() if r.verdict == VIOLATED and (args.property is None or r.name == args.property)]
    chosen = [r for r in wanted if r.path is not None and r.trace is not None]
    weak = [r for r in wanted if r.execution is not None]  # tso, lkmm: an execution graph, no interleaving
    if args.format in ("json", "jsonl") and args.trace_format != "json":
        raise UsageError(f"--format {args.format} goes with --trace-format json (ITF) only")
    if args.trace_format == "json":
        if weak and not chosen:
            raise UsageError(f"--trace-format json: an ITF trace is a sequence of states, and a {res.memory_model} "
                             "witness is an execution graph: use --format json (it holds the graph) or "
                             "--trace-format dot")
        docs = [itf_trace(build_execution(program, r, res.memory_model), args.model) for r in chosen]
        if args.format == "jsonl":
            return "".join(dumps_itf(d, compact=True) for d in docs)
        if args.property is not None and len(docs) == 1:
            return dumps_itf(docs[0])
        import json

        return json.dumps(docs, indent=2) + "\n"
    from rmapcheck.report.weak_witness import weak_dot

    graphs = [(r.name, execution_dot(build_execution(program, r, res.memory_model), f"{r.name} execution"))
              for r in chosen]
    graphs += [(r.name, weak_dot(r.execution, f"{r.name} execution")) for r in weak]
    if args.dot_dir is not None and not weak:  # the state graph of a small model, with the violations' paths in it
        g = state_graph(program, res.memory_model, [(r.name, r.path) for r in chosen])
        if g is not None:
            graphs.append(("state-graph", state_graph_dot(g, "state graph")))
    if args.dot_dir is None:
        if len(graphs) > 1:
            raise UsageError(f"{len(graphs)} graphs ({', '.join(n for n, _ in graphs)}): a DOT file holds one; "
                             "give --dot-dir DIR for a file per graph, or --property NAME")
        return "".join(text for _, text in graphs)
    return write_dot_dir(args.dot_dir, graphs)


def write_dot_dir(directory: str, graphs: list) -> str:
    """Each graph in DIR/NAME.dot; an existing file is never overwritten. Returns the list written."""
    from pathlib import Path

    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise UsageError(f"--dot-dir {directory}: exists and is not a directory")
    clash = [f"{name}.dot" for name, _ in graphs if (d / f"{name}.dot").exists()]
    if clash:
        raise UsageError(f"--dot-dir {directory}: {', '.join(clash)} exist already: refusing to overwrite them")
    d.mkdir(parents=True, exist_ok=True)
    for name, text in graphs:
        (d / f"{name}.dot").write_text(text)
    return "".join(f"{d / name}.dot\n" for name, _ in graphs)
