"""Parameterised inductive invariants (proofs/), checked by z3, tied to the models.

load_proof(path) parses and type-checks a proof file; check_proof(proof) runs initiation,
consecution and safety checks; check_model(proof) explores the proof's model and checks the
abstraction of every clause and transition. docs/proofs.md describes the language.
"""

from importlib import import_module

# the names load on first use: `rmapcheck prove`'s argument parser is built for every command,
# and importing z3 for it cost each `rmapcheck` start (a usage error included) about 0.25 s
_HOME = {"load_proof": "parser", "parse_proof": "parser", "check_proof": "solver", "check_model": "conformance"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(f"rmapcheck.proofs.{_HOME[name]}"), name)
    raise AttributeError(f"module 'rmapcheck.proofs' has no attribute {name!r}")


__all__ = ["load_proof", "parse_proof", "check_proof", "check_model"]
