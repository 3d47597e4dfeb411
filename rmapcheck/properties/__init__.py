"""Property definitions and verdicts, shared by every engine."""
