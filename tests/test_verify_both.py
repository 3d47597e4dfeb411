"""`rmapcheck verify --engine both`: the explicit engine and z3 on the same models, in one table.

The last test is what CI runs for the z3 engine: every bundled model's default sc
configuration under both engines. A property the engines decide differently is a MISMATCH
row (exit 1); the 'z3' column says what z3 (the event engine) itself found.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from rmapcheck.report import ci
from rmapcheck.verify import verify
from test_z3_engine import z3_claims_holds

ROOT = Path(__file__).parent.parent
UNIT = ROOT / "tests" / "models" / "unit"
KVM = ROOT / "models"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], capture_output=True, text=True, cwd=ROOT)


def test_the_z3_column_says_what_z3_found():
    r = cli("verify", "--engine", "both", "--format", "json",
            str(UNIT / "srcu_abba_deadlock.c"), str(UNIT / "lock_leak_error_path.c"))
    assert r.returncode == 0, r.stdout + r.stderr
    z3 = {(Path(row["model"]).name, row["config"], row["prop"]): row["z3"] for row in json.loads(r.stdout)["rows"]}
    assert re.fullmatch(r"violated \(\d+ steps\)", z3[("srcu_abba_deadlock.c", "default", "no-deadlock")])
    assert re.fullmatch(r"violated \(\d+ steps\)", z3[("srcu_abba_deadlock.c", "default", "lock-order")])
    assert z3[("srcu_abba_deadlock.c", "default", "no-leak")] == "holds"
    assert z3[("srcu_abba_deadlock.c", "FIX=1", "no-deadlock")] == "holds"
    assert re.fullmatch(r"violated \(\d+ steps\)", z3[("lock_leak_error_path.c", "default", "no-lock-leak")])
    assert z3[("lock_leak_error_path.c", "FIX=1", "no-lock-leak")] == "holds"
    text = cli("verify", "--engine", "both", "--format", "table", str(UNIT / "srcu_abba_deadlock.c"))
    header = text.stdout.splitlines()[0].split()
    assert header[:8] == ["model", "memory", "model", "config", "property", "expected", "got", "z3"]


def test_the_explicit_engine_alone_has_no_z3_column():
    r = cli("verify", str(UNIT / "srcu_abba_deadlock.c"), "--format", "json")
    assert r.returncode == 0
    assert {row["z3"] for row in json.loads(r.stdout)["rows"]} == {""}
    assert " z3 " not in cli("verify", "--format", "table", str(UNIT / "srcu_abba_deadlock.c")).stdout.splitlines()[0]


def test_an_undecided_z3_says_incomplete():
    """Loops unrolled once are not enough for this model: z3 proves nothing (its unwinding check
    fails), says 'incomplete' in its column, and the explicit engine still decides every row."""
    r = cli("verify", "--engine", "both", "--unwind", "1", "--format", "json", "--config", "FIX=1",
            str(UNIT / "break_inner_loop.c"))
    assert r.returncode == 0, r.stdout + r.stderr
    rows = json.loads(r.stdout)["rows"]
    assert {row["status"] for row in rows} == {"ok"}
    assert {row["z3"] for row in rows} == {"incomplete"}


def test_a_disagreement_is_a_mismatch_row(monkeypatch):
    z3_claims_holds(monkeypatch, "no-deadlock")
    rows, results = verify([str(UNIT / "srcu_abba_deadlock.c")], "both")
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


def test_ci_verifies_the_bundled_models_with_both_engines():
    """CI's z3 job: every bundled model, default sc configuration, both engines, no bound but
    the default unrolling. The explicit engine decides every row as expected; z3 never
    contradicts it and decides every row itself: each violation found (whatever its length),
    each holding property proved with the unwinding check passed."""
    r = cli("verify", "--engine", "both", "--memory-model", "sc", "--config", "default", "-j", "2",
            "--format", "json", "models")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rows = json.loads(r.stdout)["rows"]
    assert {row["model"] for row in rows} == {f"models/{p.name}" for p in KVM.glob("*.c")}
    assert all(row["status"] == "ok" for row in rows)
    undecided = [(row["model"], row["prop"], row["z3"]) for row in rows
                 if not (row["z3"] == "holds" or re.fullmatch(r"violated \(\d+ steps\)", row["z3"]))]
    assert not undecided, undecided
    assert all(row["z3"] == "holds" or row["got"] == "violated" for row in rows)
