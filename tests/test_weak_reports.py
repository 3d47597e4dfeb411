"""explain, report --html and verify --traces under tso and lkmm: a weak violation shows its step
list (where the execution departs from sc), its race diagram and, in the HTML report, its
execution graph in DOT; necessity, which needs the explicit engine, refuses them with exit 2."""

from __future__ import annotations

import re

from cli_inprocess import run_cli
from test_verify_weak_unsupported import MP as MP_LKMM

MP = "tests/models/weak/mp_relaxed.c"
HANDOFF = "tests/models/weak/free_handoff.c"


def flat(text: str) -> str:
    """The text with its wrapping undone (steps wrap at 80 columns)."""
    return " ".join(text.split())


def test_explain_under_lkmm_shows_the_weak_witness():
    r = run_cli("explain", "--memory-model", "lkmm", MP)
    assert r.returncode == 3, r.stdout + r.stderr  # no-data-race: unsupported under lkmm
    assert "Properties under lkmm (the z3 event engine):" in r.stdout
    assert re.search(r"data-published +violated", r.stdout)
    assert "--- data-published violated under lkmm" in r.stdout
    assert "CPU0 (writer)" in r.stdout  # the race diagram
    assert "weak memory: data reads the older 0, missing 1 written at line 16 by writer" in flat(r.stdout)


def test_explain_under_tso_and_sc_together():
    r = run_cli("explain", "--memory-model", "sc", "--memory-model", "tso", MP)
    assert "Properties under sc (" in r.stdout and "Properties under tso (the z3 event engine):" in r.stdout
    assert "violated under" not in r.stdout  # MP is forbidden by both


def test_explain_a_use_after_free_under_lkmm():
    r = run_cli("explain", "--memory-model", "lkmm", HANDOFF)
    assert "--- no-use-after-free violated under lkmm" in r.stdout
    assert "LKMM does not order it before the free" in flat(r.stdout)
    assert "(an execution lkmm allows, in which lkmm does not order the access before the free)" in flat(r.stdout)


def test_report_html_under_lkmm_has_the_steps_and_the_execution_graph(tmp_path):
    out = tmp_path / "site"
    r = run_cli("report", "--html", out, "--memory-model", "lkmm", MP)
    assert r.returncode == 3, r.stderr  # no-data-race: unsupported under lkmm
    page = next(p for p in out.iterdir() if "mp_relaxed" in p.name).read_text()
    assert "data-published violated under lkmm" in page
    assert "execution graph (lkmm; DOT" in page and "digraph" in page and "label=rf" in page
    assert "missed 1 written at line 16 by writer" in flat(page)  # the race diagram's weak read


def test_report_html_sc_runs_have_no_execution_graph(tmp_path):
    out = tmp_path / "site"
    run_cli("report", "--html", out, "tests/models/unit/assert_lost_increment.c")
    page = next(p for p in out.iterdir() if "assert_lost_increment" in p.name).read_text()
    assert "violated under sc" in page and "execution graph" not in page


def test_verify_traces_under_lkmm(tmp_path):
    model = tmp_path / "mp.c"
    model.write_text(MP_LKMM % "")  # with a @config lkmm and its @expect lines
    for jobs in ("1", "2"):
        r = run_cli("verify", "--memory-model", "lkmm", "--traces", "-j", jobs, model)
        assert r.returncode == 3, r.stdout  # its unsupported properties are not acknowledged
        assert "[lkmm] data-published" in r.stdout
        assert "weak memory: data reads the older 0" in flat(r.stdout) and "CPU0 (writer)" in r.stdout
        out = re.sub(r"\d+\.\d+ s\b", "<s>", r.stdout)
        assert out == first if jobs == "2" else True  # the output does not depend on -j
        first = out


def test_necessity_refuses_weak_models():
    r = run_cli("necessity", "--memory-model", "lkmm", MP)
    assert r.returncode == 2
    assert "necessity runs the explicit engine" in r.stderr and "check --engine z3 --memory-model lkmm" in r.stderr
