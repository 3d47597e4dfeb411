"""Tables, counterexamples to induction, JSON."""

from __future__ import annotations

from rmapcheck.proofs.logic import Structure, fmt
from rmapcheck.proofs.solver import FAILS, FRAME, HOLDS, Check, CTI
from rmapcheck.proofs.syntax import BOOL, Proof


def value_text(proof: Proof, name: str, v) -> str:
    d = proof.symbols[name]
    if not d.arg_sorts:
        return fmt(v)
    if d.sort == BOOL:
        true = [k for k, x in sorted(v.items(), key=lambda kv: _order(kv[0])) if x]
        return "{" + ", ".join(_args(k) for k in true) + "}"
    return ", ".join(f"{_args(k)}: {fmt(x)}" for k, x in sorted(v.items(), key=lambda kv: _order(kv[0])))


def _order(key: tuple) -> tuple:
    return tuple((str(type(k)), str(k)) for k in key)


def _args(k: tuple) -> str:
    return fmt(k[0]) if len(k) == 1 else "(" + ", ".join(fmt(x) for x in k) + ")"


def state_rows(proof: Proof, pre: Structure, post: Structure | None) -> list[tuple[str, str, str, bool]]:
    rows = []
    for name in proof.symbols:
        a = value_text(proof, name, pre.interp[name])
        b = value_text(proof, name, post.interp[name]) if post is not None else ""
        rows.append((name, a, b, post is not None and pre.interp[name] != post.interp[name]))
    return rows


def _clause_text(proof: Proof, clause: str) -> str:
    for f in proof.invariants + proof.safety:
        if f.name == clause:
            return f"{f.kind} {f.name} ({proof.source.where(f.line)})"
    return clause


def render_cti(proof: Proof, c: CTI) -> str:
    head = {
        "initiation": f"an initial state violates {_clause_text(proof, c.clause)}",
        "consecution": f"{_clause_text(proof, c.clause)} is not preserved by transition "
                       f"{c.transition}({', '.join(f'{k} = {fmt(v)}' for k, v in c.params.items())})",
        "safety": f"the invariant holds but safety property {c.clause} does not",
    }[c.kind]
    tr = proof.transition(c.transition)
    out = [f"CTI: {head}"]
    if tr is not None and tr.doc:
        out.append(f"  transition {tr.name} ({proof.source.where(tr.line)}): {tr.doc}")
    sorts = "   ".join(f"{s} = {{{', '.join(els)}}}" for s, els in c.universe.items())
    out.append(f"  elements: {sorts}")
    if c.witness:
        out.append(f"  the clause fails for: {', '.join(c.witness)}")
    rows = state_rows(proof, c.pre, c.post)
    if c.post is None:
        w = max(len(r[0]) for r in rows)
        title = "initial state" if c.kind == "initiation" else "state"
        out.append(f"  {'symbol'.ljust(w)}  {title}")
        for name, a, _, _ in rows:
            out.append(f"  {name.ljust(w)}  {a}")
    else:
        w = max(len(r[0]) for r in rows)
        wa = max(max(len(r[1]) for r in rows), len("pre-state"))
        out.append(f"  {'symbol'.ljust(w)}  {'pre-state'.ljust(wa)}  post-state")
        for name, a, b, changed in rows:
            out.append(f"  {name.ljust(w)}  {a.ljust(wa)}  {b if changed else '(same)'}")
    return "\n".join(out)


def cti_doc(proof: Proof, c: CTI) -> dict:
    def st(s: Structure | None):
        if s is None:
            return None
        out = {}
        for name, v in s.interp.items():
            if isinstance(v, dict):
                out[name] = [{"args": [_j(x) for x in k], "value": _j(x)} for k, x in sorted(v.items(), key=lambda kv: _order(kv[0]))]
            else:
                out[name] = _j(v)
        return out

    return {
        "kind": c.kind,
        "clause": c.clause,
        "transition": c.transition,
        "params": {k: _j(v) for k, v in c.params.items()},
        "elements": c.universe,
        "fails_for": c.witness,
        "pre": st(c.pre),
        "post": st(c.post),
    }


def _j(v):
    return v if isinstance(v, (bool, int)) else str(v)


def result_word(c: Check) -> str:
    if c.expected_fail:
        return "fails (expected)" if c.result == FAILS else f"{c.result} (expected to fail)"
    return c.result


def table(checks: list[Check], all_rows: bool = False) -> str:
    rows = [c for c in checks if all_rows or c.result != FRAME or not c.ok]
    head = ("proof", "clause", "transition", "result", "seconds")
    body = [(c.proof, c.clause, c.transition, result_word(c), f"{c.seconds:.3f}") for c in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def summary(proof: Proof, checks: list[Check], seconds: float) -> str:
    frame = sum(1 for c in checks if c.result == FRAME)
    proved = sum(1 for c in checks if c.result == HOLDS)
    failed = [c for c in checks if c.result not in (HOLDS, FRAME)]
    unexpected = [c for c in checks if not c.ok]
    verdict = "proved" if not failed else ("fails as expected" if not unexpected else "FAILS")
    return (f"{proof.name}: {verdict}: {len(proof.invariants)} clauses x {len(proof.transitions)} transitions; "
            f"{proved} checks by z3, {frame} unchanged by the transition, {len(failed)} failing "
            f"({len(failed) - len(unexpected)} expected); {seconds:.2f} s")
