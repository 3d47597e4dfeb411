"""docs/tutorial.md: every command in it is run, and its output must match the text.

Each ```console block holds one `$ rmapcheck ...` command and the output it prints; run times
(seconds, states/s, peak memory) are the only parts allowed to differ. After an intended change
(a model or a rendering), regenerate the outputs with

    RMAPCHECK_REGEN=1 python -m pytest -q tests/test_reports_tutorial.py

and review the diff of docs/tutorial.md: the prose around each block must still be true.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from cli_inprocess import run_cli

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "tutorial.md"
REGEN = os.environ.get("RMAPCHECK_REGEN") == "1"
BLOCK = re.compile(r"```console\n\$ (rmapcheck [^\n]*)\n(.*?)```", re.S)
_TIMES = re.compile(r"\d+(?:\.\d+)? s, \d+ states/s, peak \d+ MiB")


def normalise(text: str) -> str:
    return _TIMES.sub("<time>", text).rstrip("\n")


def run(command: str) -> str:
    return run_cli(*shlex.split(command)[1:]).stdout


def test_tutorial_commands_print_what_the_text_says():
    check_console_blocks(DOC, 8)


def check_console_blocks(doc: Path, least: int, normalise=normalise) -> None:
    """Run every ```console block's command of doc; its output must be the block's text (up
    to what normalise hides); RMAPCHECK_REGEN=1 writes the outputs into doc instead."""
    text = doc.read_text()
    blocks = list(BLOCK.finditer(text))
    assert len(blocks) >= least
    models = {m for b in blocks for m in re.findall(r"(?<![\w/])models/\S+\.c", b.group(1))}
    missing = [m for m in sorted(models) if not (ROOT / m).exists()]
    if missing:
        pytest.skip(f"the KVM models are not all in models/ ({', '.join(missing)})")
    new, pos, bad = [], 0, []
    for b in blocks:
        got = run(b.group(1))
        assert got.strip(), b.group(1)
        assert "/work/" not in got and "/tmp/" not in got
        new.append(text[pos:b.start(2)] + got.rstrip("\n") + "\n")
        pos = b.end(2)
        if normalise(got) != normalise(b.group(2)):
            bad.append(b.group(1))
    if REGEN:
        doc.write_text("".join(new) + text[pos:])
        return
    assert not bad, f"outputs differ (RMAPCHECK_REGEN=1 regenerates them): {bad}"
