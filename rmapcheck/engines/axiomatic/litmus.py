"""A litmus test judged by axioms: every candidate execution, herd7's verdict words.

The test's registers are private cells (the translation copies each register the
condition names to a global at the end of its thread: no other thread touches it, so it is
not an event); RCU's global srcu_struct is told apart from SRCU's, so that rcu_read_lock()
and synchronize_rcu() are LKMM's Rcu-lock and Sync-rcu events.
"""

from __future__ import annotations

import time

from rmapcheck.engines.axiomatic.run import enumerate_executions


def run_axiomatic(test, program, memory_model: str, result_cls, value_of, engine: str = "axiomatic"):
    """Judge a loaded litmus test; result_cls is litmus.LitmusResult, value_of turns a cell's
    value into what the condition compares with. engine: axiomatic (every candidate execution
    enumerated and judged) or z3 (the allowed final states solved for, z3litmus.py)."""
    from rmapcheck.frontend.litmus import eval_prop, key_cell
    from rmapcheck.litmus import verdict_word

    keys = test.keys()
    where = {}
    for k in keys:
        where[k] = key_cell(test, program, k)
    private = [program.globals_by_name[g][0] for g in test.reg_globals.values()]
    rcu = [program.globals_by_name[test.rcu_global][0]] if test.rcu_global else []
    names = {off: n for n, (off, _w) in program.globals_by_name.items() if n in test.locations}
    t0 = time.monotonic()
    if engine == "z3":
        from rmapcheck.engines.axiomatic.z3litmus import enumerate_states

        def keep(state: dict) -> bool:
            env = {k: value_of(state[where[k]], names) for k in keys}
            return test.filter is None or eval_prop(test.filter, env)

        en = enumerate_states(program, memory_model, private, rcu, [where[k] for k in keys], keep)
    else:
        en = enumerate_executions(program, memory_model, private, rcu)
    out = result_cls(test, memory_model, "", explored=en.candidates, program=program)
    seen: dict = {}
    race = None
    for a in en.allowed:
        env = {}
        for k in keys:
            cell = where[k]
            v = a.private.get(cell, a.memory.get(cell, program.global_init[cell]))
            env[k] = value_of(v, names)
        if test.filter is not None and not eval_prop(test.filter, env):
            continue
        t = tuple(env[k] for k in keys)
        if t not in seen:
            seen[t] = (env, a)
        if "data-race" in a.flags and race is None:
            race = (env, a)
    for env, a in seen.values():
        sat = eval_prop(test.cond, env)
        out.states.append((env, sat))
        out.positive += sat
        out.negative += not sat
    out.executions = [a for _, a in seen.values()]
    if race is not None:
        out.race = True
        out.race_message = race_text(program, race[1])
        out.race_execution = race[1]
    for f in en.faults:
        out.notes.append(f"a fault in an allowed execution: {f}")
    out.seconds = time.monotonic() - t0
    out.limit = en.incomplete
    out.word = verdict_word(out)
    return out


def _access(program, e) -> str:
    who = program.threads[e.tid].name if e.tid >= 0 else "init"
    what = ("plain " if "plain" in e.tags else "marked ") + ("write" if e.kind == "W" else "read")
    text = program.line(e.line).strip() if e.line else ""
    return f"{who}'s {what} `{text}` (line {e.line})" if text else f"{who}'s {what}"


def race_text(program, allowed) -> str:
    """The first racing pair of an execution, in the words of the litmus file."""
    ev = allowed.graph.events
    a, b = sorted(allowed.races[0])
    cell = program.global_cells[ev[a].addr].name
    return f"data race on {cell}: {_access(program, ev[a])} and {_access(program, ev[b])}"


def execution_text(program, allowed) -> str:
    """An execution's events per thread, in program order, with rf sources: a race's context."""
    ev = allowed.graph.events
    src = {r: w for w, r in allowed.graph.rf}
    lines = []
    for tid, th in enumerate(program.threads):
        lines.append(f"{th.name}:")
        for e in ev:
            if e.tid != tid:
                continue
            text = program.line(e.line).strip() if e.line else ""
            rf = ""
            if e.eid in src:
                w = ev[src[e.eid]]
                rf = "  rf from " + ("init" if w.tid < 0 else f"{program.threads[w.tid].name} line {w.line}")
            lines.append(f"  {e.line:>4}  {text:<34.34} {e.label}{rf}")
    return "\n".join(lines) + "\n"


__all__ = ["run_axiomatic", "race_text", "execution_text"]
