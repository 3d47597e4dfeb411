"""`rmapcheck new`: a reviewer's design file from an era's design, edited, checked, traced."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLISH = "\tsmp_store_release(&kvm->arch.shadow_root_allocated, true);\n"


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], cwd=cwd, capture_output=True, text=True)


def test_new_design_edit_one_function_verdict_and_trace_into_design_and_harness(tmp_path):
    r = run("new", "patch.c", "--from", str(ROOT / "models" / "10_5.17.c"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    design = tmp_path / "patch.c"
    text = design.read_text()
    # the era's harness is included, the design's own functions are copied, its variants are not
    assert '#include "include/kvm_sets.h"' in text
    assert "static int mmu_first_shadow_root_alloc(struct kvm *kvm)" in text
    assert "MUTANT" not in text and "static int kvm_set_memslot" not in text
    assert text.count(PUBLISH) == 1
    # unchanged, it is 10_5.17.c: verify passes with the expectations it was given
    r = run("verify", "--memory-model", "sc", "--config", "default", "patch.c", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # the patch: publish the flag before the allocation loop (mutant 14's bug, on 5.17)
    text = text.replace(PUBLISH, "").replace("\tmemcpy(&all, &kvm->memslots", PUBLISH + "\tmemcpy(&all, &kvm->memslots", 1)
    design.write_text(text)
    r = run("verify", "--memory-model", "sc", "--config", "default", "patch.c", cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr  # the expectations of 10 no longer hold
    r = run("check", "--format", "json", "patch.c", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    props = {p["name"]: p for p in doc["properties"]}
    assert props["rmaps-present"]["verdict"] == "violated"
    steps = props["rmaps-present"]["trace"]["steps"]
    lines = text.split("\n")
    in_design = [s for s in steps if s["file"] == ""]
    in_harness = [s for s in steps if s["file"].endswith("kvm_sets.h")]
    assert in_design and in_harness
    # positions point at the right text in each file
    assert all(lines[s["line"] - 1].strip().startswith(s["text"][:20]) for s in in_design)
    harness = Path(ROOT / "models" / "include" / "kvm_sets.h").read_text().split("\n")
    assert all(harness[s["line"] - 1].strip().startswith(s["text"][:20]) for s in in_harness)
    assert any(s["func"] == "mmu_first_shadow_root_alloc" and "release" in s["op"] for s in in_design)
    assert any(s["func"] == "shadow_page_fault" for s in in_harness)
    # the text trace names the header for the harness's steps
    r = run("check", "--property", "rmaps-present", "--trace-format", "steps", "patch.c", cwd=tmp_path)
    assert "shadow_page_fault:kvm_sets.h:" in r.stdout and "mmu_first_shadow_root_alloc:" in r.stdout
    # the reviewer states the verdicts the patch has: verify passes again
    text = text.replace(" * @expect sc * holds", " * @expect sc rmaps-present violated\n"
                        " * @expect sc active-rmaps violated\n * @expect sc commit-rmaps violated\n"
                        " * @expect sc * holds", 1)
    design.write_text(text)
    r = run("verify", "--memory-model", "sc", "--config", "default", "patch.c", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_new_never_overwrites_and_needs_a_design(tmp_path):
    (tmp_path / "patch.c").write_text("keep me\n")
    r = run("new", "patch.c", cwd=tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr
    assert (tmp_path / "patch.c").read_text() == "keep me\n"
    (tmp_path / "plain.c").write_text("int x;\n")
    r = run("new", "other.c", "--from", "plain.c", cwd=tmp_path)
    assert r.returncode == 2 and "not a design" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "other.c").exists()
