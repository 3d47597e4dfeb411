"""End-to-end smoke test: a tiny model through the whole pipeline."""

import subprocess
import sys
from pathlib import Path

MODELS = Path(__file__).parent / "models"


def run(*args):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], capture_output=True, text=True)


def test_toy_model_violates_rmaps_present_and_leaks():
    r = run("check", str(MODELS / "toy_copy_lost.c"))
    assert r.returncode == 1, r.stderr
    assert "rmaps-present      violated" in r.stdout
    assert "no-leak            violated" in r.stdout
    assert "no-deadlock        holds" in r.stdout
    assert "Traceback" not in r.stderr
