"""The bundled models, rebuilt on shared headers (#include), check exactly as they did before.

tests/baseline/models_verify.json.gz is `rmapcheck verify --format json --traces --config default
--config NR_SLOTS=3` of models/01 to 16 as they were before the rewrite (one self-contained file
each), with positions and timings removed (tests/baseline_norm.py). Every run of that baseline must come out the same
now: its verdicts, expectations, state and transition counts, depth, and every counterexample
step (thread, function, statement, values, notes). Runs added since (a design variant's own
@config) are not in the baseline and are not compared here. The ra runs of 02 and 11 to 16, then
those of 01 and 03 to 10, were re-recorded when their ra configuration became sc's (two address
spaces; two slots, and three with NR_SLOTS=3) instead of one address space and one slot: those
runs are no longer made.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from baseline_norm import normalise

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "baseline" / "models_verify.json.gz"


def _key(run: dict) -> tuple:
    return run["model"], run["memory_model"], tuple(sorted(run["defines"].items()))


def test_every_model_checks_as_before_the_rewrite():
    base = json.loads(gzip.decompress(BASELINE.read_bytes()))
    # the runs of the baseline: its models, in the default configuration and NR_SLOTS=3 (the
    # variants and models added since are not in it)
    models = sorted({f"models/{run['model']}" for run in base["runs"]})
    # --reduction none: the baseline was recorded before the explicit engine reduced anything
    r = subprocess.run([sys.executable, "-m", "rmapcheck", "verify", "--format", "json", "--traces", "-j", "2",
                        "--reduction", "none", "--config", "default", "--config", "NR_SLOTS=3", *models],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    now = normalise(json.loads(r.stdout))
    base_runs = {_key(run): run for run in base["runs"]}
    now_runs = {}
    for run in now["runs"]:
        # the headers #define switches the old files did not have: compare the old parameters
        old = next((k for k in base_runs if k[:2] == (run["model"], run["memory_model"])
                    and all(run["defines"].get(n) == v for n, v in k[2])), None)
        if old is not None and old not in now_runs:
            now_runs[old] = dict(run, defines=dict(old[2]))
    missing = sorted(set(base_runs) - set(now_runs))
    assert not missing, f"runs of the baseline that verify no longer makes: {missing}"
    for key, want in base_runs.items():
        got = now_runs[key]
        for field in ("states", "transitions", "depth", "complete"):
            assert got[field] == want[field], (key, field, got[field], want[field])
        assert got["properties"] == want["properties"], key
    rows = {(r["model"], r["memory_model"], r["config"], r["prop"]): r for r in now["rows"]}
    for row in base["rows"]:
        assert rows[(row["model"], row["memory_model"], row["config"], row["prop"])] == row
