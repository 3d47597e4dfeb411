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
    }


def dumps(doc) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
