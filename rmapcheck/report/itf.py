"""`--trace-format json`: a counterexample in the Informal Trace Format (ITF) of the TLA+ tools.

ITF (Apalache ADR-015) is a JSON object ``{"#meta", "vars", "states"}``: ``vars`` names the
variables every state defines, ``states`` is the sequence of states, each a JSON object from
variable name to value. Here the variables are the model's globals (structs as records, arrays
as lists, pointers as text such as ``&arr1`` or ``NULL``, locks as the name of their owner or
``unlocked``), plus three of rmapcheck's own, named with a ``rmapcheck::`` prefix as Quint names
its ``mbt::`` variables: the heap objects, each thread's position and held locks, and the
allocation failures left. Each state's ``#meta`` says which step led to it.
"""

from __future__ import annotations

import json

from rmapcheck.report.execution import Execution

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


def itf_trace(exe: Execution, model: str = "") -> dict:
    tr = exe.trace
    states = []
    for k, st in enumerate(exe.states):
        meta: dict = {"index": k}
        if k == 0:
            meta["action"] = "init"
        else:
            meta["action"] = exe.actions[k - 1]
        if k == len(exe.states) - 1:
            meta["violation"] = tr.final or f"{tr.prop} violated"
        states.append({"#meta": meta, **st})
    return {
        "#meta": {
            "format": "ITF",
            "format-description": FORMAT_DESCRIPTION,
            "source": model or exe.program.path,
            "description": f"rmapcheck counterexample: {tr.prop} violated ({tr.message})",
            "property": tr.prop,
            "memory-model": exe.memory_model,
            "threads": list(exe.threads),
            "status": "violated",
        },
        "vars": list(exe.variables),
        "states": states,
    }


def dumps_itf(doc: dict, compact: bool = False) -> str:
    if compact:
        return json.dumps(doc, separators=(",", ":")) + "\n"
    return json.dumps(doc, indent=2) + "\n"
