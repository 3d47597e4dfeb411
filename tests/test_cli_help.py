"""`--help`: every argument of every command says what it is for, every command shows examples
that parse and name files that exist, and shell completion answers."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

from rmapcheck.cli import EXAMPLES, build_parser

ROOT = Path(__file__).resolve().parent.parent


def commands() -> dict:
    ap = build_parser()
    sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def test_every_argument_has_help_and_every_command_examples():
    missing = [(name, a.option_strings or a.dest) for name, p in commands().items() for a in p._actions
               if not a.help and not isinstance(a, argparse._HelpAction)]
    assert missing == []
    assert set(EXAMPLES) == set(commands())
    for name, p in commands().items():
        assert "examples:" in p.format_help(), name


def test_examples_parse_and_name_existing_files():
    ap = build_parser()
    for name, examples in EXAMPLES.items():
        for ex in examples:
            words = shlex.split(ex.split("#")[0].split(">")[0])
            assert words[:2] == ["rmapcheck", name]
            ap.parse_args(words[1:])  # a usage error would exit 2
            for w in words[2:]:
                if w == "my_patch.c":  # what `new` writes
                    continue
                if w.endswith((".c", ".proof")) or w in ("models",) or w.startswith("tests/litmus/MP"):
                    assert (ROOT / w).exists(), (ex, w)


def test_shell_completion_answers(tmp_path):
    """What bash asks argcomplete for `rmapcheck ver<TAB>` and `rmapcheck check --trace-f<TAB>`
    (the protocol of register-python-argcomplete's shell function)."""
    def complete(line: str) -> list[str]:
        out = tmp_path / "completions"
        env = dict(os.environ, _ARGCOMPLETE="1", _ARGCOMPLETE_IFS="\n", COMP_LINE=line, COMP_POINT=str(len(line)),
                   _ARGCOMPLETE_STDOUT_FILENAME=str(out), ARGCOMPLETE_USE_TEMPFILES="1")
        r = subprocess.run([sys.executable, "-m", "rmapcheck"], env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        return sorted(w.strip() for w in out.read_text().split("\n") if w.strip())

    assert complete("rmapcheck ver") == ["verify"]
    assert complete("rmapcheck check --trace-f") == ["--trace-format"]
