"""z3 over events: each thread unrolled, executions chosen by z3 (issue 16)."""
