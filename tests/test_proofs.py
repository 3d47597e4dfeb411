"""proofs/: parameterised inductive invariants checked by z3, and their conformance to the models.

* every bundled proof passes (`rmapcheck prove` exits 0), fast;
* dropping any one clause of a correct design's invariant makes a check fail with a CTI
  (in-process; only the checks whose z3 proof used the clause are re-run: the others hold
  without it, since their unsat core is still assumed);
* the buggy designs fail with the same invariant, at the transitions of their bugs;
* each proof whose model exists conforms to it (every reachable state satisfies the
  abstraction of every clause, every model step is a transition of the proof);
* the conformance check itself catches a drifted model and a drifted abstraction (toy model);
* malformed proof files are positioned errors (exit 2), never tracebacks.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from rmapcheck.cli import main
from rmapcheck.errors import ModelError
from rmapcheck.proofs.conformance import check_model, check_model_file, resolve_model
from rmapcheck.proofs.parser import load_proof, parse_proof
from rmapcheck.proofs.solver import FAILS, check_proof

ROOT = Path(__file__).resolve().parent.parent
PROOFS = sorted((ROOT / "proofs").glob("*.proof"))
CORRECT = [p for p in PROOFS if not load_proof(str(p)).expects]
BUGGY = [p for p in PROOFS if load_proof(str(p)).expects]

# Buggy design -> the correct design whose invariant it must fail, and the transitions its
# CTIs must name (the steps of the bug).
BUG_OF = {
    "04_review_sketch_no_recheck": ("04_review_sketch_fixed", {"v_lock_arch"}),  # B2: no re-check under the lock
    "08_5.15": ("08_5.15_allocator", {"w_dup"}),  # B4: `old` snapshot taken before slots_arch_lock
    "11_mutant_no_arch_lock": ("09_5.16", {"w_dup"}),  # B8: the copy is made without the lock
    "13_mutant_no_refresh": ("09_5.16", {"w_relock"}),  # B9: the copy is not refreshed after re-locking
}


def ids(paths):
    return [p.stem for p in paths]


@functools.lru_cache(maxsize=None)
def proved(path):
    """Every check of a proof, each with the clauses z3 used to prove it (once per proof)."""
    return check_proof(load_proof(str(path)), cores=True)


@functools.lru_cache(maxsize=None)
def unexpected(path):
    """Every check of a (buggy) proof, its 'expect fail' declarations ignored (once per proof)."""
    return check_proof(load_proof(str(path)), ignore_expect=True)


# -- a toy model and its proof: the conformance machinery on something small -----------------

TOY_MODEL = r"""/* @thread writer
 * @thread vcpu x2
 * @faults 1
 */
#define NR_SLOTS 2
struct slot { int *rmap; };
struct slots { struct slot s[NR_SLOTS]; };
struct kvm { struct mutex lock; bool flag; struct slots *memslots; struct slots arr; } kvm = { .memslots = &kvm.arr };

void writer(void)
{
	struct slots *copy;

	mutex_lock(&kvm.lock);
	copy = kvzalloc(sizeof(*copy), GFP_KERNEL);
	if (copy) {
		memcpy(copy, kvm.memslots, sizeof(*copy));
		rcu_assign_pointer(kvm.memslots, copy);
	}
	mutex_unlock(&kvm.lock); /* w */
}

void vcpu(int id)
{
	int i;

	if (smp_load_acquire(&kvm.flag))
		return;
	mutex_lock(&kvm.lock);
	if (kvm.flag) {
		mutex_unlock(&kvm.lock); /* recheck */
		return;
	}
	for (i = 0; i < NR_SLOTS; i++) {
		if (!kvm.memslots->s[i].rmap) {
			kvm.memslots->s[i].rmap = kvcalloc(1, sizeof(int), GFP_KERNEL);
			if (!kvm.memslots->s[i].rmap)
				goto out;
		}
	}
	smp_store_release(&kvm.flag, true);
out:
	mutex_unlock(&kvm.lock); /* out */
}
"""

TOY_PROOF = r"""proof "toy: lazily allocated rmaps, one writer copying the array"
model "toy.c"

sort slot
sort vcpu
enum wphase = { w_idle, w_locked, w_copied, w_done }
enum vphase = { v_idle, v_locked, v_alloc, v_published, v_done }

relation flag
relation has(slot)
relation copy_has(slot)
individual wpc: wphase
relation v_lock(vcpu)
function vpc(vcpu): vphase

init ~flag
init wpc = w_idle
init forall v: vcpu. vpc(v) = v_idle & ~v_lock(v)

# mutex_lock in writer()
transition w_lock()
  require wpc = w_idle & forall v: vcpu. ~v_lock(v)
  wpc := w_locked

# kvzalloc and memcpy: the private copy (or the allocation fails)
transition w_copy(ok: bool)
  require wpc = w_locked
  copy_has(S) := ok & has(S)
  wpc := if ok then w_copied else w_done

# rcu_assign_pointer: install the copy
transition w_install()
  require wpc = w_copied
  has(S) := copy_has(S)
  copy_has(S) := false
  wpc := w_done

# the fast path
transition v_fast(v: vcpu)
  require vpc(v) = v_idle
  vpc(v) := if flag then v_done else v_idle

# mutex_lock in vcpu()
transition v_lock_it(v: vcpu)
  require vpc(v) = v_idle & wpc in {w_idle, w_done} & forall u: vcpu. ~v_lock(u)
  v_lock(v) := true
  vpc(v) := v_locked

# the re-check under the lock
transition v_recheck(v: vcpu)
  require vpc(v) = v_locked
  vpc(v) := if flag then v_done else v_alloc
  v_lock(v) := ~flag

# one slot's allocation
transition v_alloc(v: vcpu, s: slot, ok: bool)
  require vpc(v) = v_alloc & ~has(s)
  has(s) := ok
  vpc(v) := if ok then v_alloc else v_done
  v_lock(v) := ok

# smp_store_release
transition v_publish(v: vcpu)
  require vpc(v) = v_alloc & forall s: slot. has(s)
  flag := true
  vpc(v) := v_published

# mutex_unlock
transition v_unlock(v: vcpu)
  require vpc(v) = v_published
  v_lock(v) := false
  vpc(v) := v_done

safety flag_complete: flag -> forall s: slot. has(s)

# published only after every slot is allocated; the writer copies all or nothing
invariant flag_ok: flag -> forall s: slot. has(s)
# the copy is taken under the lock, when the flag cannot change
invariant copy_ok: flag & wpc = w_copied -> forall s: slot. copy_has(s)
# a vCPU holds the lock exactly in these phases
invariant vlock: forall v: vcpu. v_lock(v) <-> vpc(v) in {v_locked, v_alloc, v_published}
# the writer and a vCPU never hold the lock together
invariant wlock: forall v: vcpu. ~(v_lock(v) & wpc in {w_locked, w_copied})

abstract sort slot := i in 0..NR_SLOTS-1
abstract sort vcpu := thread vcpu
abstract flag := kvm.flag
abstract has(s) := kvm.memslots->s[s.i].rmap != NULL
abstract copy_has(s) := at(thread("writer"), "rcu_assign_pointer") && local(thread("writer"), "copy")->s[s.i].rmap != NULL
abstract wpc := ended(thread("writer")) || at(thread("writer"), "mutex_unlock(&kvm.lock); /* w */") ? w_done
              : at(thread("writer"), "rcu_assign_pointer") ? w_copied
              : holds(thread("writer"), kvm.lock) ? w_locked : w_idle
abstract v_lock(v) := holds(v, kvm.lock)
abstract vpc(v) := ended(v) ? v_done
                 : !holds(v, kvm.lock) ? v_idle
                 : at(v, "if (kvm.flag) {") || at(v, "/* recheck */") ? v_locked
                 : at(v, "/* out */") && kvm.flag ? v_published
                 : v_alloc
"""


def toy(tmp_path, model=TOY_MODEL, proof=TOY_PROOF):
    (tmp_path / "toy.c").write_text(model)
    (tmp_path / "toy.proof").write_text(proof)
    return tmp_path / "toy.proof"


def test_toy_proof_holds_and_its_model_conforms(tmp_path):
    pr = load_proof(str(toy(tmp_path)))
    assert all(c.ok for c in check_proof(pr))
    res = check_model(pr)
    assert res.ok, [f.message for f in res.failures]
    assert res.complete and res.states > 300
    # every transition is realised by the model line it abstracts
    lines = {t: {ln for _, ln, _ in v} for t, v in res.coverage.items()}
    src = TOY_MODEL.split("\n")
    line = {k: i for i, l in enumerate(src, 1) for k in ["smp_store_release", "rcu_assign_pointer", "memcpy"] if k in l}
    assert lines["v_publish"] == {line["smp_store_release"]}
    assert lines["w_install"] == {line["rcu_assign_pointer"]}
    assert line["memcpy"] in lines["w_copy"]
    assert set(lines) == {t.name for t in pr.transitions}


def test_a_drifted_model_fails_conformance_with_a_trace(tmp_path):
    # publish even when an allocation failed: the proof no longer describes the model
    bad = TOY_MODEL.replace("goto out;", "break;")
    pr = load_proof(str(toy(tmp_path, model=bad)))
    res = check_model(pr)
    assert not res.ok
    kinds = {(f.kind, f.what) for f in res.failures}
    assert ("clause", "flag_ok") in kinds and ("clause", "flag_complete") in kinds
    step = [f for f in res.failures if f.kind == "step"]
    assert step and "smp_store_release" in step[0].message
    assert all(f.trace is not None and f.trace.steps for f in res.failures)


def test_a_drifted_abstraction_fails_conformance(tmp_path):
    # the abstraction reads the wrong lock: the writer's phases no longer follow the model
    bad = TOY_PROOF.replace('holds(thread("writer"), kvm.lock) ? w_locked', 'kvm.flag ? w_locked')
    res = check_model(load_proof(str(toy(tmp_path, proof=bad))))
    assert not res.ok and any(f.kind == "step" and f.what.startswith("writer") for f in res.failures)


def test_check_model_cli_text_and_json(tmp_path, capsys):
    path = toy(tmp_path)
    assert main(["prove", str(path), "--check-model"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"toy: model .*toy\.c conforms: \d+ states \(complete\)", out)
    assert main(["prove", str(path), "--check-model", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    mc = doc["proofs"][0]["model_check"]
    assert mc["ok"] and mc["complete"] and "v_publish" in mc["coverage"]


def test_check_model_cli_orders_model_and_header_lines(capsys):
    """A design on the shared headers: its steps are realised at model lines (ints) and at lines of
    included files ('kvm_sets.h:40'); the report sorts both kinds without mixing them (this crashed)."""
    root = Path(__file__).resolve().parent.parent
    assert main(["prove", str(root / "proofs" / "09_5.16.proof"), "--check-model", "--format", "json"]) == 0
    mc = json.loads(capsys.readouterr().out)["proofs"][0]["model_check"]
    lines = [s["line"] for steps in mc["coverage"].values() for s in steps]
    assert mc["ok"] and any(isinstance(x, int) for x in lines) and any(isinstance(x, str) for x in lines)


def test_check_model_in_worker_processes_gives_the_same_output(tmp_path, capsys):
    toy(tmp_path)
    (tmp_path / "toy2.proof").write_text(TOY_PROOF.replace('"toy: ', '"toy2: '))

    def run(jobs):
        assert main(["prove", str(tmp_path), "--check-model", "-j", str(jobs), "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        for d in doc["proofs"]:
            d.pop("seconds")
            d["model_check"].pop("seconds")
            for c in d["checks"]:
                c.pop("seconds")
        return doc

    assert run(2) == run(1)
    # an error in a worker is the same positioned error (exit 2)
    (tmp_path / "toy2.proof").write_text(TOY_PROOF.replace("kvm.memslots->s[s.i].rmap", "kvm.memslots->s[s.i].nope"))
    assert main(["prove", str(tmp_path), "--check-model", "-j", "2"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"toy2\.proof:\d+:\d+: error: no cell .*nope", err) and "Traceback" not in err


def test_missing_model_is_skipped_not_failed(tmp_path, capsys):
    p = tmp_path / "x.proof"
    p.write_text(TOY_PROOF.replace('model "toy.c"', 'model "no_such_model.c"'))
    assert main(["prove", str(p), "--check-model"]) == 0
    assert "model check skipped: the model no_such_model.c does not exist" in capsys.readouterr().out


# -- the bundled proofs ------------------------------------------------------------------------------


def test_bundled_proofs_pass_quickly(capsys):
    import time

    t0 = time.monotonic()
    assert main(["prove", str(ROOT / "proofs")]) == 0
    assert time.monotonic() - t0 < 30
    out = capsys.readouterr().out
    # by default a line per proof, and the counterexamples to induction of the failing checks
    # (those of the buggy designs, expected): no row per check
    summaries = [ln for ln in out.splitlines() if re.match(r"^\S+: (proved|fails as expected|FAILS)", ln)]
    assert len(summaries) == len(PROOFS), out
    assert not out.startswith("proof")
    for p in PROOFS:
        assert re.search(rf"^{re.escape(p.stem)}: (proved|fails as expected):", out, re.M)
    assert main(["prove", str(ROOT / "proofs" / "09_5.16.proof"), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("proof") and len(out.splitlines()) > 20  # a row per check


@pytest.mark.parametrize("path", CORRECT, ids=ids(CORRECT))
def test_correct_design_is_proved(path):
    # (with the clauses behind assumption literals; test_bundled_proofs_pass_quickly proves
    # every proof without them)
    checks = proved(path)
    assert checks and all(c.ok and c.result != FAILS for c in checks)


@pytest.mark.parametrize("path", CORRECT, ids=ids(CORRECT))
def test_every_clause_is_needed(path):
    pr = load_proof(str(path))
    names = [c.name for c in pr.invariants]
    full = proved(path)
    assert all(c.core is not None for c in full)
    for name in names:
        # a check whose proof did not use `name` holds without it (its core is still assumed):
        # only the others can fail, and they are re-run without `name`
        suspects = {(c.clause, c.transition) for c in full if name in c.core}
        checks = check_proof(pr, only_clauses=set(names) - {name}, first_failure=True, only_checks=suspects)
        failing = [c for c in checks if c.result == FAILS]
        assert failing, f"{path.stem}: the invariant without '{name}' is still inductive"
        assert all(c.cti is not None for c in failing)


def test_dropping_a_clause_fails_only_checks_that_used_it(tmp_path):
    # the narrowing above misses nothing: without a clause, every check that fails is one whose
    # z3 proof used the clause (on the toy proof, running every check)
    path = toy(tmp_path)
    pr = load_proof(str(path))
    names = [c.name for c in pr.invariants]
    full = check_proof(pr, cores=True)
    assert all(c.ok for c in full)
    for name in names:
        everything = check_proof(pr, only_clauses=set(names) - {name})
        failing = {(c.clause, c.transition) for c in everything if c.result == FAILS}
        suspects = {(c.clause, c.transition) for c in full if name in c.core}
        assert failing and failing <= suspects, name


@pytest.mark.parametrize("path", BUGGY, ids=ids(BUGGY))
def test_buggy_design_fails_at_its_bug(path):
    pr = load_proof(str(path))
    checks = unexpected(path)
    failing = {(c.clause, c.transition) for c in checks if c.result == FAILS}
    assert failing == {(x.clause, x.transition) for x in pr.expects}
    for c in checks:
        if c.result == FAILS:
            assert c.cti is not None and c.cti.transition == c.transition
    fixed, bug_transitions = BUG_OF[path.stem]
    assert bug_transitions <= {t for _, t in failing}
    # the same invariant as the correct design's, clause by clause
    good = load_proof(str(ROOT / "proofs" / f"{fixed}.proof"))
    assert [(c.name, _text(good, c)) for c in good.invariants] == [(c.name, _text(pr, c)) for c in pr.invariants]
    # and the command line says so: exit 0 as declared, 1 when the declarations are ignored
    assert main(["prove", str(path)]) == 0
    assert main(["prove", str(path), "--ignore-expect"]) == 1


def _text(pr, clause) -> str:
    return pr.source.lines[clause.line - 1].strip()


def _transition_text(pr, tr) -> str:
    """The transition's declaration: its lines up to the next blank line."""
    out = []
    for line in pr.source.lines[tr.line - 1:]:
        if not line.strip():
            break
        out.append(line.rstrip())
    return "\n".join(out)


def test_5_15_allocator_proof_is_the_b4_proof_with_the_snapshot_under_the_lock():
    # the same model, the same invariant; the fix is the model parameter, and in the proof the
    # two steps that now take `old` and `new.arch` under the lock
    bug = load_proof(str(ROOT / "proofs" / "08_5.15.proof"))
    fixed = load_proof(str(ROOT / "proofs" / "08_5.15_allocator.proof"))
    assert bug.model == fixed.model == "models/08_5.15.c"
    assert dict(bug.defines) == {} and dict(fixed.defines) == {"SNAPSHOT_UNDER_ARCH_LOCK": 1}
    assert [t.name for t in bug.transitions] == [t.name for t in fixed.transitions]
    differ = {t.name for t in bug.transitions
              if _transition_text(bug, t) != _transition_text(fixed, fixed.transition(t.name))}
    assert differ == {"w_dup", "w_refresh"}
    assert not fixed.expects and {(x.clause, x.transition) for x in bug.expects} == {("copy_complete", "w_dup")}
    # B4's CTI: a FLAGS_ONLY writer whose `new` has no rmaps (the snapshot, stale) while the
    # slot has them and the flag is set
    cti = [c.cti for c in unexpected(ROOT / "proofs" / "08_5.15.proof") if c.result == FAILS]
    assert len(cti) == 1 and cti[0].transition == "w_dup"
    pre = cti[0].pre.interp
    assert pre["flag"] is True and pre["wchange"] == "flags_only" and pre["new_has"] is False
    assert pre["has"][(pre["wslot"],)] is True


def test_buggy_cti_is_readable_text_and_json(capsys):
    if not BUGGY:
        pytest.skip("no buggy design among the proofs")
    path = BUGGY[0]
    assert main(["prove", str(path)]) == 0
    out = capsys.readouterr().out
    assert "(expected: " in out  # the CTI of the failing check, shown by default
    assert main(["prove", str(path), "--verbose"]) == 0
    assert "fails (expected)" in capsys.readouterr().out  # its row in the table of every check
    assert re.search(r"CTI: invariant \w+ \((line \d+|\w+\.proofh:\d+)\) is not preserved by transition \w+\(", out)
    assert "pre-state" in out and "post-state" in out
    assert main(["prove", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    cti = [c["cti"] for c in doc["proofs"][0]["checks"] if "cti" in c]
    assert cti and {"pre", "post", "transition", "params", "elements"} <= set(cti[0])


@pytest.fixture(scope="module", autouse=True)
def conformance(request):
    """Each selected proof's model check, once per proof. With several CPUs they run in worker
    processes from the module's first test on, beside the z3 tests (the results are the same as
    in-process, the failures without their traces); the largest models first."""
    wanted = {item.callspec.params.get("path") for item in request.session.items
              if getattr(item, "originalname", "") == "test_proof_conforms_to_its_model" and hasattr(item, "callspec")}
    todo = []
    for p in PROOFS:
        pr = load_proof(str(p))
        model = resolve_model(pr)
        if p in wanted and model is not None and pr.abs_syms:
            todo.append((os.path.getsize(model), p))
    todo = [p for _, p in sorted(todo, key=lambda x: (-x[0], x[1].name))]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = min(len(todo), cpus, 4)
    if jobs <= 1:
        yield {p: _Lazy(p) for p in todo}
        return
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield {p: pool.submit(check_model_file, str(p)) for p in todo}


class _Lazy:
    def __init__(self, path):
        self.path, self.value = path, None

    def result(self):
        if self.value is None:
            self.value = check_model_file(str(self.path))
        return self.value


@pytest.mark.parametrize("path", PROOFS, ids=ids(PROOFS))
def test_proof_conforms_to_its_model(path, conformance):
    pr = load_proof(str(path))
    if resolve_model(pr) is None:
        pytest.skip(f"{pr.model} does not exist yet")
    if not pr.abs_syms:
        pytest.skip("the proof has no abstraction yet")
    res = conformance[path].result()
    assert res.ok, "\n".join(f.message for f in res.failures) or res.limit
    assert set(res.coverage) <= {t.name for t in pr.transitions}
    if pr.expects:  # a buggy design: the model shows the bug, the safety property is false there
        assert {f.what for f in res.violations} >= {p.name for p in pr.safety}
    else:
        assert not res.violations


def test_docs_explain_every_clause():
    doc = (ROOT / "docs" / "proofs.md").read_text()
    for p in PROOFS:
        assert f"| `{p.stem}` |" in doc, f"docs/proofs.md's table of proofs does not list {p.stem}"
        for c in load_proof(str(p)).invariants:
            assert f"`{c.name}`" in doc, f"docs/proofs.md does not explain {p.stem}'s clause {c.name}"


# -- errors ------------------------------------------------------------------------------------------

HEAD = "proof \"t\"\nsort s\nrelation r(s)\nsafety p: true\n"

BAD = [
    ("proof \"t\"\nsort s\nsort s\n", 3, "sort 's' is declared twice"),
    (HEAD + "# c\ninvariant i: r\n", 6, "'r' takes 1 argument(s), not 0"),
    (HEAD + "# c\ninvariant i: forall x: t. r(x)\n", 6, "unknown sort 't'"),
    (HEAD + "invariant i: forall x: s. r(x)\n", 5, "needs a comment saying why it holds"),
    (HEAD + "# c\ninvariant i: forall x: s. r(x) && r(x)\n", 6, "'&&' is C"),
    (HEAD + "transition t()\n  r(X) := r(X)\n  r(X) := true\n", 7, "'r' is updated twice"),
    (HEAD + "transition t(x: s)\n  q := true\n", 6, "cannot update 'q'"),
    (HEAD + "enum e = { a, b }\n# c\ninvariant i: forall x: s. r(x) = a\n", 7, "between sorts bool and e"),
    (HEAD + "expect fail nope at t\n", 5, "'nope' is not an invariant clause"),
    ("proof \"t\"\nsort s\n", 1, "states no 'safety' property"),
    (HEAD + "invariant i: @\n", 5, "unexpected character '@'"),
    (HEAD + "# c\ninvariant i: forall x: s. r(x\n", 6, "expected ')'"),
    (HEAD + "abstract sort s := thread\n", 5, "expected the model's thread function"),
    (HEAD + "abstract q := 1\n", 5, "'q' is not a relation"),
    (HEAD + "abstract r := 1\n", 5, "'r' takes 1 argument(s)"),
    ("proof \"t\"\nsort a\nsort b\nrelation r(a, b)\nsafety p: true\ntransition t()\n  r(X, Y) := r(X, Y)\n"
     "# c\ninvariant i1: forall x: a. exists y: b. r(x, y)\n# c\ninvariant i2: forall y: b. exists x: a. r(x, y)\n",
     9, "outside the decidable fragment"),
]


@pytest.mark.parametrize("text,line,msg", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_proof_is_a_positioned_error(tmp_path, capsys, text, line, msg):
    p = tmp_path / "bad.proof"
    p.write_text(text)
    assert main(["prove", str(p)]) == 2
    err = capsys.readouterr().err
    assert f"bad.proof:{line}:" in err and ": error: " in err and msg in err, err
    assert "Traceback" not in err


def test_bad_abstraction_is_a_positioned_error(tmp_path, capsys):
    p = toy(tmp_path, proof=TOY_PROOF.replace("kvm.memslots->s[s.i].rmap", "kvm.memslots->s[s.i].nope"))
    assert main(["prove", str(p), "--check-model"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"toy\.proof:\d+:\d+: error: no cell .*nope", err) and "Traceback" not in err


def test_missing_proof_file_is_a_usage_error(capsys):
    assert main(["prove", "no/such.proof"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_parse_keeps_docs_and_positions():
    pr = parse_proof("x.proof", TOY_PROOF)
    tr = pr.transition("w_install")
    assert tr.doc == "rcu_assign_pointer: install the copy" and tr.line > 1
    assert [c.name for c in pr.invariants] == ["flag_ok", "copy_ok", "vlock", "wlock"]
    assert all(c.doc for c in pr.invariants)
    with pytest.raises(ModelError):
        parse_proof("x.proof", TOY_PROOF.replace("sort vcpu", "sort flag"))


def test_at_names_a_line_by_its_function(tmp_path, capsys):
    """at(t, "text", "f"[, K]) picks f's own line: the same steps as the quoted-line form, and a
    text that f has on several lines asks for K."""
    same = TOY_PROOF.replace('at(thread("writer"), "mutex_unlock(&kvm.lock); /* w */")',
                             'at(thread("writer"), "mutex_unlock(&kvm.lock);", "writer")')
    assert same != TOY_PROOF
    p = toy(tmp_path, proof=same)
    assert main(["prove", str(p), "--check-model"]) == 0
    capsys.readouterr()
    amb = TOY_PROOF.replace('at(v, "/* recheck */")', 'at(v, "mutex_unlock(&kvm.lock);", "vcpu")')
    p = toy(tmp_path, proof=amb)
    assert main(["prove", str(p), "--check-model"]) == 2
    err = capsys.readouterr().err
    assert 'lines of vcpu() contain "mutex_unlock(&kvm.lock);"' in err and '"vcpu", K)' in err
    second = TOY_PROOF.replace('at(v, "/* recheck */")', 'at(v, "mutex_unlock(&kvm.lock);", "vcpu", 1)')
    p = toy(tmp_path, proof=second)
    assert main(["prove", str(p), "--check-model"]) == 0
    capsys.readouterr()
    nofn = TOY_PROOF.replace('at(v, "/* recheck */")', 'at(v, "/* recheck */", "writer")')
    p = toy(tmp_path, proof=nofn)
    assert main(["prove", str(p), "--check-model"]) == 2
    assert "runs no code of a function 'writer'" in capsys.readouterr().err
