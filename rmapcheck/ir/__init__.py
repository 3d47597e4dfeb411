"""The engine-neutral intermediate representation (see nodes.py)."""

from rmapcheck.ir.nodes import *  # noqa: F401,F403
