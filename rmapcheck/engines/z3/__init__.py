"""The z3 engine: bounded model checking and unbounded proofs over the same IR and properties."""

from rmapcheck.engines.z3.engine import MODES, check_z3

__all__ = ["check_z3", "MODES"]
