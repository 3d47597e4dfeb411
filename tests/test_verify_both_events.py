"""`rmapcheck verify --engine both --memory-model sc` with the event engine (no depth, no time
option) on every bundled model and every `sc` configuration, as a user runs it: issue 16's
acceptance, in CI.

Every row is as expected (exit 0), and z3's own column agrees with the explicit engine on
every property of every run: the same verdict, each decided (none 'unsupported': every
property of an `sc` run is encoded). A holding property is `holds` from z3 only when its
unwinding check passed, so every 'holds' here is a complete proof; a violation's witness was
judged and replayed through the explicit executor before it was reported. The whole run
(`ra` too, whose runs are explicit only) is measured in docs/engines.md (benchmarks/z3verify.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
MODELS = sorted(p.name for p in (ROOT / "models").glob("*.c"))


def test_verify_engine_both_agrees_on_every_bundled_sc_run():
    r = subprocess.run([sys.executable, "-m", "rmapcheck", "verify", "--engine", "both", "--memory-model", "sc",
                        "--format", "json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=3000)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rows = json.loads(r.stdout)["rows"]
    assert {Path(row["model"]).name for row in rows} == set(MODELS)
    runs = {(row["model"], row["config"]) for row in rows}
    assert {row["memory_model"] for row in rows} == {"sc"}
    violated = 0
    for row in rows:
        assert row["status"] == "ok", row
        z3 = row["z3"]
        assert z3 != "unsupported", row
        assert z3.split(" (")[0] == row["got"], row
        violated += z3.startswith("violated (")
    assert len(rows) >= 500 and len(runs) >= 40 and violated >= 50, (len(rows), len(runs), violated)
