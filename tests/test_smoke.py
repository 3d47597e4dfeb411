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


def test_readme_example_is_the_tested_model_and_its_claims_hold():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    model = (MODELS / "readme_example.c").read_text()
    assert "```c\n" + model + "```" in readme
    r = run("check", str(MODELS / "readme_example.c"), "--trace-format", "diagram")
    assert r.returncode == 1
    assert "rmaps-present      violated" in r.stdout
    assert "  // allocation of int fails (NULL)" in r.stdout
    assert "kvm.rmap -> NULL" in r.stdout
    assert run("verify", str(MODELS / "readme_example.c")).returncode == 0
