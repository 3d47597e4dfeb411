"""Parameterised inductive invariants (proofs/), checked by z3, tied to the models.

load_proof(path) parses and type-checks a proof file; check_proof(proof) runs initiation,
consecution and safety checks; check_model(proof) explores the proof's model and checks the
abstraction of every clause and transition. docs/proofs.md describes the language.
"""

from rmapcheck.proofs.conformance import check_model
from rmapcheck.proofs.parser import load_proof, parse_proof
from rmapcheck.proofs.solver import check_proof

__all__ = ["load_proof", "parse_proof", "check_proof", "check_model"]
