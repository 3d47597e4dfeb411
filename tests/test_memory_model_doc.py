"""docs/memory-model.md: its ```console blocks (weak counterexamples as `check` prints them)
are run, and their output must match the text. Regenerate after an intended change with

    RMAPCHECK_REGEN=1 python -m pytest -q tests/test_memory_model_doc.py

and review the diff: the prose around each block must still be true."""

from __future__ import annotations

import re

from test_reports_tutorial import ROOT, check_console_blocks, normalise as _normalise

_Z3_TIME = re.compile(r"z3: \d+(?:\.\d+)? s")


def normalise(text: str) -> str:
    return _Z3_TIME.sub("z3: <time>", _normalise(text))


def test_memory_model_doc_commands_print_what_the_text_says():
    check_console_blocks(ROOT / "docs" / "memory-model.md", 2, normalise)
