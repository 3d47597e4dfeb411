"""The command line run in this process, from the repository root, as a subprocess would run it
(much faster than a subprocess: no interpreter start, no z3 import per call)."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args) -> SimpleNamespace:
    """main(args) with stdout and stderr captured: .returncode, .stdout, .stderr."""
    from rmapcheck.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(here)
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
