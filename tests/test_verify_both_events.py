"""`rmapcheck verify --engine both` with the event engine (no depth, no time option) on a
representative subset of the bundled models' sc runs, as CI runs it.

Every row is as expected (exit 0), and z3's own column agrees with the explicit engine on
every property: the same decided verdict, or 'unsupported' for a property the event engine
does not encode. A holding property is `holds` from z3 only when its unwinding check passed,
so every 'holds' here is a complete proof. The subset: models/04 (the slowest proofs before
the encoding was made faster: every property of the fixed sketch but three holds), models/12
(a deadlock and a lock-order cycle), models/14 (violations whose shortest explicit traces are
20 and more transitions), models/17 (the 6.19 design and its aging notifier). The full run of
the 42 sc runs is measured in benchmarks/results/z3events.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
SUBSET = ["04_review_sketch_fixed.c", "12_mutant_lock_across_sync.c", "14_mutant_flag_before_alloc.c",
          "17_6.19.c"]


def test_verify_engine_both_agrees_on_a_subset_of_the_bundled_models():
    r = subprocess.run([sys.executable, "-m", "rmapcheck", "verify", "--engine", "both", "--memory-model", "sc",
                        "--config", "default", "--format", "json", *[f"models/{m}" for m in SUBSET]],
                       capture_output=True, text=True, cwd=ROOT, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rows = json.loads(r.stdout)["rows"]
    assert {Path(row["model"]).name for row in rows} == set(SUBSET)
    unsupported = decided = violated = 0
    for row in rows:
        assert row["status"] == "ok", row
        z3 = row["z3"]
        if z3 == "unsupported":
            unsupported += 1
            continue
        assert z3.split(" (")[0] == row["got"], row
        decided += 1
        violated += z3.startswith("violated (")
    assert decided > 3 * unsupported and violated >= 6
