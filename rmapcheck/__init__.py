"""rmapcheck: a model checker for "allocate lazily, publish behind a flag" in KVM.

Pipeline: frontend (model text -> IR) -> ir -> engines (explicit-state, z3)
-> properties and verdicts -> report (tables, traces, exports).
"""

__version__ = "0.1.0"
