"""models/17_6.19.c, the 6.19 race and its candidate fixes: the verdicts `rmapcheck verify`
finds in every configuration the header declares, and what each verdict means in kernel terms
(an oops or a silent skip, per gfn index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmapcheck.verify import verify

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "17_6.19.c"

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no 6.19 model")


@pytest.fixture(scope="module")
def rows():
    got, _ = verify([str(MODEL)], jobs=2)
    return got


def violated(rows, mm: str, config: str) -> set[str]:
    mine = [r for r in rows if r.memory_model == mm and r.config == config]
    assert mine, (mm, config)
    return {r.prop for r in mine if r.got == "violated"}


def test_every_run_meets_its_expectations(rows):
    assert rows and all(r.status == "ok" for r in rows), [r for r in rows if r.status != "ok"]


def test_6_19_oopses_at_every_gfn_index(rows):
    """6.19: the write-tracking read and the lockless aging walk load through the NULL array of
    the replaced slot at the slot's first page and past it: a dereference, never a skip."""
    for cfg in ("default", "GFN_INDEX=1"):
        v = violated(rows, "sc", cfg)
        assert {"write-track-null-deref", "aging-null-deref"} <= v and "aging-null-skip" not in v, cfg


def test_aging_before_6_19_skips_at_index_0_and_oopses_past_it(rows):
    assert "aging-null-skip" in violated(rows, "sc", "AGING_6_13=1")
    assert "aging-null-deref" not in violated(rows, "sc", "AGING_6_13=1")
    past = violated(rows, "sc", "AGING_6_13=1 GFN_INDEX=1")
    assert "aging-null-deref" in past and "aging-null-skip" not in past


def test_fixes(rows):
    # (a) NULL checks answering "not tracked": no oops, but a tracked gfn is reported untracked
    assert violated(rows, "sc", "FIX=1") == {"tracked-gfn-writable", "aging-null-skip"}
    # (a) NULL checks answering "tracked": only the aging walk's silent skip is left
    assert violated(rows, "sc", "FIX=2") == {"aging-null-skip"}
    # (b) the allocator also fills the inactive set: the copy-back and kfree(old) leak, and the
    # allocator reads objects the writer frees after dropping slots_arch_lock
    assert {"no-leak", "no-use-after-free"} <= violated(rows, "sc", "FIX=3")
    assert "write-track-null-deref" not in violated(rows, "sc", "FIX=3")
    # (c) the readers resolve the slot again after the flag's acquire: everything holds
    # under ra also in sc's two address spaces (FIELD_READS=1: the writer reads old's fields as the
    # kernel does; the whole-struct copy of FIELD_READS=0 is an sc-only shortcut that races on arch)
    for mm, cfg in (("sc", "FIX=4"), ("sc", "FIX=4 GFN_INDEX=1"), ("sc", "FIELD_READS=1 FIX=4"),
                    ("ra", "FIELD_READS=1 FIX=4"), ("ra", "FIELD_READS=1 FIX=4 GFN_INDEX=1")):
        assert violated(rows, mm, cfg) == set(), (mm, cfg)


def test_ra_finds_what_sc_finds_in_the_ra_configuration(rows):
    """A differential check: every property violated under sc is violated under ra too (ra
    allows every sc execution), here in the ra runs' own configuration."""
    from rmapcheck.runner import check_file

    sc = check_file(str(MODEL), {"FIELD_READS": 1}, "sc")
    sc_bad = {n for n, r in sc.results.items() if r.verdict == "violated"}
    assert sc_bad and sc_bad <= violated(rows, "ra", "FIELD_READS=1")


# ------------------------------------------------------------------ docs/findings.md

DOC = ROOT / "docs" / "findings.md"


def test_findings_traces_are_the_tools_output():
    """Every race diagram in docs/findings.md is what rmapcheck prints for the run its marker
    names (python -m rmapcheck.report.tracedoc docs/findings.md regenerates them)."""
    from rmapcheck.report.tracedoc import blocks, regenerate

    text = DOC.read_text()
    runs = blocks(text)
    assert len(runs) >= 8 and all(r.model == "models/17_6.19.c" for r in runs)
    assert regenerate(text, ROOT) == text, "docs/findings.md drifted: python -m rmapcheck.report.tracedoc docs/findings.md"


def test_tracedoc_refuses_a_block_whose_race_is_gone(tmp_path):
    from rmapcheck.errors import UsageError
    from rmapcheck.report.tracedoc import regenerate

    doc = "<!-- rmapcheck: tests/models/readme_example.c sc {} -->\n```\nold\n```\n"
    new = regenerate(doc.format("rmaps-present"), ROOT)
    assert "old" not in new and "smp_store_release(&kvm.flag, true);" in new
    with pytest.raises(UsageError, match="no-deadlock is holds, not violated"):
        regenerate(doc.format("no-deadlock"), ROOT)
    with pytest.raises(UsageError, match="-D takes NAME=INTEGER"):
        regenerate(doc.replace("sc {}", "sc -D X=y {}").format("rmaps-present"), ROOT)


def test_the_proof_fails_for_6_19_as_released_and_holds_with_the_fix():
    """The recommended fix's proof is not vacuous: the same proof with 6.19's reader (slot first,
    then the flag) fails at the flag check, and --check-model finds the clause false in
    reachable states of the model; with the fix it is proved and the model conforms."""
    from rmapcheck.cli import main
    from rmapcheck.proofs import check_model, load_proof

    bad = ROOT / "tests" / "proofs" / "17_6.19_as_released.proof"
    good = ROOT / "proofs" / "17_6.19_reresolve.proof"
    assert main(["prove", str(bad)]) == 0 and main(["prove", str(bad), "--ignore-expect"]) == 1
    assert [(x.clause, x.transition) for x in load_proof(str(bad)).expects] == [("held_arrays", "r_check_flag")]
    conf = check_model(load_proof(str(bad)))
    assert conf.ok and conf.complete and conf.buggy
    assert {f.what for f in conf.violations} >= {"held_arrays", "reader_finds_arrays"}
    assert main(["prove", str(good), "--check-model"]) == 0
