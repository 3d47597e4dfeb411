"""`rmapcheck verify --engine both`: the explicit engine and z3 on the same models, in one table.

The last test is what CI runs for the z3 engine: every bundled model's default sc
configuration under both engines. A property the engines decide differently is a MISMATCH
row (exit 1); the 'z3' column says what z3 itself found within its budget.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rmapcheck.report import ci
from rmapcheck.verify import verify
from test_z3_engine import z3_claims_holds

ROOT = Path(__file__).parent.parent
UNIT = ROOT / "tests" / "models" / "unit"
KVM = ROOT / "models"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], capture_output=True, text=True, cwd=ROOT)


def test_the_z3_column_says_what_z3_found():
    r = cli("verify", "--engine", "both", "--mode", "bmc", "--timeout", "120", "--format", "json",
            str(UNIT / "srcu_abba_deadlock.c"), str(UNIT / "lock_leak_error_path_fixed.c"))
    assert r.returncode == 0, r.stdout + r.stderr
    z3 = {(Path(row["model"]).name, row["prop"]): row["z3"] for row in json.loads(r.stdout)["rows"]}
    assert z3[("srcu_abba_deadlock.c", "no-deadlock")] == "violated (4 steps)"
    assert z3[("srcu_abba_deadlock.c", "lock-order")] == "violated (2 steps)"
    assert z3[("srcu_abba_deadlock.c", "no-leak")] == "holds"
    assert z3[("lock_leak_error_path_fixed.c", "no-lock-leak")] == "holds"
    text = cli("verify", "--engine", "both", "--mode", "bmc", "--timeout", "120", "--format", "table",
               str(UNIT / "srcu_abba_deadlock.c"))
    header = text.stdout.splitlines()[0].split()
    assert header[:8] == ["model", "memory", "model", "config", "property", "expected", "got", "z3"]


def test_the_explicit_engine_alone_has_no_z3_column():
    r = cli("verify", str(UNIT / "srcu_abba_deadlock.c"), "--format", "json")
    assert r.returncode == 0
    assert {row["z3"] for row in json.loads(r.stdout)["rows"]} == {""}
    assert " z3 " not in cli("verify", "--format", "table", str(UNIT / "srcu_abba_deadlock.c")).stdout.splitlines()[0]


def test_an_undecided_z3_shows_its_depth():
    r = cli("verify", "--engine", "both", "--mode", "bmc", "--max-depth", "2", "--format", "json",
            str(UNIT / "srcu_abba_fixed.c"))
    rows = json.loads(r.stdout)["rows"]
    # --max-depth bounds both engines: the explicit engine is cut too (incomplete, exit 3)
    assert r.returncode == 3
    assert {row["z3"] for row in rows} == {"incomplete (depth 2)"}


def test_a_disagreement_is_a_mismatch_row(monkeypatch):
    z3_claims_holds(monkeypatch, "no-deadlock")
    rows, results = verify([str(UNIT / "srcu_abba_deadlock.c")], "both:bmc")
    bad = [r for r in rows if r.status != "ok"]
    assert [(r.prop, r.got, r.z3, r.status) for r in bad] == [("no-deadlock", "error", "holds", "MISMATCH")]
    tap = ci.render(rows, "tap", results)
    failure = tap.split("not ok ")[1]
    assert "no-deadlock" in failure.splitlines()[0] and '  z3: "holds"' in failure


def test_config_selects_runs():
    model = str(KVM / "14_mutant_flag_before_alloc.c")
    rows, _ = verify([model], memory_models=["sc"], configs=["NR_SLOTS=3"])
    assert {r.config for r in rows} == {"NR_SLOTS=3"}
    rows, _ = verify([model], memory_models=["sc"], configs=["default"])
    assert {r.config for r in rows} == {"default"}
    r = cli("verify", "--config", "NR_SLOTS=9", model)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == ("rmapcheck: error: no run selected: no model given has configuration NR_SLOTS=9 "
                                "('default', or a @config of its header as the table shows it)")


@pytest.mark.skipif(not KVM.is_dir(), reason="no bundled models")
def test_ci_verifies_the_bundled_models_with_both_engines():
    """CI's z3 job: every bundled model, default sc configuration, both engines, z3 BMC to
    depth 5 (a depth, not a time: the same z3 column on any machine). The explicit engine
    decides every row as expected; z3 never contradicts it, confirms the lock leaks of
    models/01, 05, 06 (4 steps) and the early flag of models/14 (active-rmaps, 5 steps) at the
    explicit engine's lengths, and says 'incomplete (depth 5)' for every other row."""
    r = cli("verify", "--engine", "both", "--mode", "bmc", "--bmc-depth", "5", "--memory-model", "sc",
            "--config", "default", "--format", "json", "models")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rows = json.loads(r.stdout)["rows"]
    assert {row["model"] for row in rows} == {f"models/{p.name}" for p in KVM.glob("*.c")}
    assert all(row["status"] == "ok" and row["z3"] for row in rows)
    z3 = {(row["model"], row["prop"]): row["z3"] for row in rows}
    for m in ("01_seed_v2.c", "05_v3.c", "06_v4.c"):
        assert z3[(f"models/{m}", "no-lock-leak")] == "violated (4 steps)"
    assert z3[("models/14_mutant_flag_before_alloc.c", "active-rmaps")] == "violated (5 steps)"
    found = {k for k, v in z3.items() if v.startswith("violated")}
    assert len(found) == 4 and all(z3[k] == "incomplete (depth 5)" for k in z3 if k not in found)
