"""JSON documents of results and traces (`--format json`)."""

from __future__ import annotations

import json
from dataclasses import asdict


def result_doc(res) -> dict:
    s = res.stats
    props = []
    for r in res.results.values():
        d = {"name": r.name, "verdict": r.verdict, "message": r.message}
        if r.trace is not None:
            d["trace"] = {
                "final": r.trace.final,
                "steps": [asdict(st) for st in r.trace.steps],
            }
        if r.execution is not None:  # a weak witness: its execution graph
            d["execution"] = r.execution.doc()
        if r.detail:
            d["cycle"] = [asdict(e) for e in r.detail]
        props.append(d)
    return {
        "model": res.model,
        "engine": res.engine,
        "memory_model": res.memory_model,
        "defines": res.defines,
        "stats": {
            "states": s.states, "transitions": s.transitions, "depth": s.depth,
            "seconds": round(s.seconds, 3), "states_per_s": round(s.states_per_s, 1),
            "peak_mb": round(s.peak_mb, 1), "complete": s.complete, "limit": s.limit,
        },
        "properties": props,
        **({"z3": _z3_stats(res.z3_stats)} if getattr(res, "z3_stats", None) else {}),
    }


def _z3_stats(st: dict) -> dict:
    """The event engine's own figures (--engine z3 or both): seconds, CPU seconds, unrolling and
    encoding seconds, each query's seconds, steps and events (benchmarks read them)."""
    keys = ("seconds", "cpu_seconds", "build_seconds", "query_seconds", "unwind", "steps", "events")
    return {k: st[k] for k in keys if k in st}


def dumps(doc) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
