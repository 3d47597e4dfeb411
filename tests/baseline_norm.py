"""The part of `verify --format json --traces` that a rewrite of models/ must not change.

Verdicts, state/transition counts, depths and every counterexample step (thread, function,
statement, values, notes), with positions (line numbers, file names) and timings removed.
"""

from __future__ import annotations

import re

_POS = [
    (re.compile(r"\b[\w./-]+\.[ch]:\d+"), "@"),  # an included file's position: kvm.h:12
    (re.compile(r"\blines? \d+(-\d+)?"), "@"),  # a position in the model: line 12
]


def scrub(text: str) -> str:
    for rx, rep in _POS:
        text = rx.sub(rep, text)
    return text


def _step(st: dict) -> dict:
    return {
        "tid": st["tid"], "thread": st["thread"], "func": st["func"], "text": st["text"],
        "op": scrub(st["op"]), "ops": [scrub(o) for o in st["ops"]],
        "locals": [loc[1] for loc in st["locals_"]], "note": scrub(st["note"]),
    }


def normalise(doc: dict) -> dict:
    runs = []
    for res in doc["results"]:
        s = res["stats"]
        props = []
        for p in res["properties"]:
            q = {"name": p["name"], "verdict": p["verdict"], "message": scrub(p["message"] or "")}
            if "trace" in p:
                q["final"] = scrub(p["trace"]["final"])
                q["steps"] = [_step(st) for st in p["trace"]["steps"]]
            props.append(q)
        runs.append({
            "model": res["model"].split("/")[-1], "memory_model": res["memory_model"],
            "defines": {k: v for k, v in res["defines"].items()},
            "states": s["states"], "transitions": s["transitions"], "depth": s["depth"],
            "complete": s["complete"], "properties": props,
        })
    rows = [{k: r[k] for k in ("model", "memory_model", "config", "prop", "expected", "got", "status")}
            for r in doc["rows"]]
    for r in rows:
        r["model"] = r["model"].split("/")[-1]
    return {"exit_code": doc["exit_code"], "rows": rows, "runs": runs}
