"""herd7 C litmus tests: parser, translation, errors, verdicts, CLI and docs/conformance.md."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rmapcheck.cli import main
from rmapcheck.errors import ModelError
from rmapcheck.frontend.litmus import eval_prop, load_litmus, parse_litmus, prop_text
from rmapcheck.litmus import herd_block, run_litmus

ROOT = Path(__file__).resolve().parents[1]
LITMUS = ROOT / "tests" / "litmus"

MP = """\
C MP+test

(* Result: Never *)

{}

P0(int *x, int *y)
{
	WRITE_ONCE(*x, 1);
	smp_store_release(y, 1);
}

P1(int *x, int *y)
{
	int r0;
	int r1;

	r0 = smp_load_acquire(y);
	r1 = READ_ONCE(*x);
}

exists (1:r0=1 /\\ 1:r1=0)
"""


def lit(tmp_path, text: str, name: str = "t.litmus") -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def run(path, mm="ra"):
    return run_litmus(str(path), mm)


# -- parsing and translation ---------------------------------------------------------------------

def test_parse_message_passing(tmp_path):
    t, prog = load_litmus(lit(tmp_path, MP))
    assert t.name == "MP+test"
    assert t.expected == "Never"
    assert [p.name for p in t.procs] == ["P0", "P1"]
    assert set(t.procs[1].registers) == {"r0", "r1"}
    assert list(t.locations) == ["x", "y"]
    assert t.quantifier == "exists"
    assert prop_text(t.cond) == "1:r0=1 /\\ 1:r1=0"
    assert t.primitives() == ["WRITE_ONCE", "smp_store_release", "smp_load_acquire", "READ_ONCE"]
    assert {"x", "y", "P1_r0", "P1_r1"} <= set(prog.globals_by_name)


def test_translation_keeps_body_lines():
    t = parse_litmus("t.litmus", MP)
    gen = t.model_text.split("\n")
    src = MP.split("\n")
    # the body lines stay where they were, parameters rewritten to the globals
    assert gen[8] == "\tWRITE_ONCE( x, 1);" and src[8] == "\tWRITE_ONCE(*x, 1);"
    assert gen[9] == "\tsmp_store_release(&y, 1);"
    assert "@thread P0" in t.model_text and "@thread P1" in t.model_text


def test_init_block_types_values_and_addresses(tmp_path):
    p = lit(tmp_path, """\
        C init
        "a quoted doc string"
        {
            x=1;
            int y = -2;
            int *p=&x;
            q=y;
            z = 0x10;
        }
        P0(int *x, int *y, int **p, int **q, int *z)
        {
            int *a;
            int b;

            a = READ_ONCE(*p);
            b = READ_ONCE(*a);
        }
        exists (0:a=x /\\ 0:b=1 /\\ x=1 /\\ y=-2 /\\ q=y /\\ z=16)
        """)
    t, prog = load_litmus(p)
    assert t.doc == "a quoted doc string"
    assert (t.locations["p"].base, t.locations["p"].ptr) == ("int", 1)
    assert (t.locations["q"].base, t.locations["q"].ptr) == ("int", 1)
    r = run(p)
    assert r.word == "Always" and (r.positive, r.negative) == (1, 0)


def test_empty_init_and_parameter_only_locations(tmp_path):
    p = lit(tmp_path, """\
        C empty
        {}
        P0(int *x) { WRITE_ONCE(*x, 3); }
        forall (x=3)
        """)
    r = run(p)
    assert r.word == "Always" and r.validation == "Ok"


@pytest.mark.parametrize("cond,word", [
    ("exists (0:r0=1 \\/ 0:r0=2)", "Always"),
    ("exists (~(0:r0=1))", "Sometimes"),
    ("exists (0:r0!=1 /\\ x=2)", "Sometimes"),
    ("exists (P0:r0=2 => x=2)", "Always"),
    ("exists 0:r0=2 /\\ x=1", "Never"),
    ("~exists (0:r0=3)", "Never"),
    ("forall (x=2 \\/ x=1)", "Always"),
    ("exists (true)", "Always"),
])
def test_condition_grammar(tmp_path, cond, word):
    p = lit(tmp_path, f"""\
        C cond
        {{ x=1; }}
        P0(int *x)
        {{
            int r0;
            r0 = READ_ONCE(*x);
        }}
        P1(int *x) {{ WRITE_ONCE(*x, 2); }}
        {cond}
        """)
    assert run(p, "sc").word == word


def test_not_exists_and_forall_validation(tmp_path):
    base = """\
        C q
        {}
        P0(int *x) { WRITE_ONCE(*x, 1); }
        P1(int *x)
        {
            int r0;
            r0 = READ_ONCE(*x);
        }
        """
    r = run(lit(tmp_path, base + "~exists (1:r0=1)\n"), "sc")
    assert (r.word, r.validation, r.positive, r.negative) == ("Sometimes", "No", 1, 1)
    block = herd_block(r)
    assert "Positive: 1 Negative: 1" in block and "Observation q Sometimes 1 1" in block
    r = run(lit(tmp_path, base + "forall (1:r0=0 \\/ 1:r0=1)\n"), "sc")
    assert (r.word, r.validation) == ("Always", "Ok")


def test_filter_and_locations(tmp_path):
    p = lit(tmp_path, """\
        C filt
        {}
        P0(int *x, int *y)
        {
            WRITE_ONCE(*x, 1);
            WRITE_ONCE(*y, 1);
        }
        P1(int *x, int *y)
        {
            int r0;
            int r1;
            r0 = READ_ONCE(*y);
            r1 = READ_ONCE(*x);
        }
        locations [x; y; 1:r1]
        filter (1:r0=1)
        exists (1:r1=0)
        """)
    t, _ = load_litmus(p)
    assert [k for k in t.keys()] == [("loc", "x"), ("loc", "y"), ("reg", 1, "r1"), ("reg", 1, "r0")]
    r = run(p, "sc")
    # only the states with 1:r0=1 count; under sc they all have 1:r1=1
    assert (r.word, r.positive, r.negative) == ("Never", 0, 1)
    r = run(p, "ra")
    assert (r.word, r.positive, r.negative) == ("Sometimes", 1, 1)


def test_result_comment_forms(tmp_path):
    t = parse_litmus("a.litmus", MP.replace("(* Result: Never *)", "(*\n * Result: Sometimes DATARACE\n *)"))
    assert t.expected == "Sometimes DATARACE"
    t = parse_litmus("a.litmus", MP.replace("(* Result: Never *)", "// Result: Always"))
    assert t.expected == "Always"
    t = parse_litmus("a.litmus", MP.replace("(* Result: Never *)", ""))
    assert t.expected is None


def test_eval_prop_addresses():
    p = ("and", ("atom", ("reg", 0, "r"), "=", ("addr", "x"), 0), ("not", ("atom", ("loc", "y"), "=", 1, 0)))
    assert eval_prop(p, {("reg", 0, "r"): ("addr", "x"), ("loc", "y"): 0})
    assert not eval_prop(p, {("reg", 0, "r"): ("addr", "y"), ("loc", "y"): 0})


def test_rcu_and_srcu_translation(tmp_path):
    p = lit(tmp_path, """\
        C rcu
        {}
        P0(int *a, int *b, struct srcu_struct *ss)
        {
            int r0;
            int r1;
            int idx;

            rcu_read_lock();
            r0 = READ_ONCE(*a);
            rcu_read_unlock();
            idx = srcu_read_lock(ss);
            r1 = READ_ONCE(*b);
            srcu_read_unlock(ss, idx);
        }
        P1(int *a, int *b, struct srcu_struct *ss)
        {
            WRITE_ONCE(*a, 1);
            synchronize_rcu();
            WRITE_ONCE(*b, 1);
            synchronize_srcu(ss);
        }
        exists (0:r0=0 /\\ 0:r1=1)
        """)
    t, prog = load_litmus(p)
    assert t.rcu_global == "rcu" and "srcu_read_lock(&rcu)" in t.model_text
    assert "srcu_read_lock(&ss)" in t.model_text
    assert run(p).word == "Sometimes"  # two independent grace periods do not order a and b


def test_spinlock_helpers(tmp_path):
    p = lit(tmp_path, """\
        C sil
        {}
        P0(spinlock_t *lk)
        {
            int r0;
            spin_lock(lk);
            smp_mb__after_spinlock();
            r0 = spin_is_locked(lk);
            spin_unlock(lk);
        }
        forall (0:r0=1)
        """)
    t, _ = load_litmus(p)
    # spin_is_locked() is rewritten; smp_mb__after_spinlock() is the model language's own
    assert "(READ_ONCE((&lk)->__owner) != 0)" in t.model_text and "smp_mb__after_spinlock();" in t.model_text
    assert run(p).word == "Always"


# -- acceptance checks of issue 5 (under ra) ------------------------------------------------------

@pytest.mark.parametrize("name,word", [
    ("MP+pooncerelease+poacquireonce", "Never"),
    ("MP+poonceonces", "Sometimes"),
    ("SB+fencembonceonces", "Never"),
    ("SB+poonceonces", "Sometimes"),
])
def test_acceptance_under_ra(name, word):
    r = run(LITMUS / f"{name}.litmus", "ra")
    assert r.result == word
    assert r.status == "ok"


def test_initialiser_reads_an_array_parameter_like_a_statement(tmp_path):
    """`int r0 = *a;` of an array parameter is its cell 0, as `r0 = *a;` is (the initialiser
    used to miss the array rule and fail with 'cannot dereference a non-pointer')."""
    body = "P1(int *a, int *x) {{ {} int r1 = READ_ONCE(*x); }}"
    words = []
    for read in ("int r0 = *a;", "int r0; r0 = *a;"):
        path = lit(tmp_path, f"""\
            C arr-init
            {{ int a[2] = {{0, 0}}; int x = 0; }}
            P0(int *a, int *x) {{ a[0] = 1; smp_store_release(x, 1); }}
            {body.format(read)}
            exists (1:r0=0 /\\ 1:r1=1)
            """)
        words.append(run(path, "sc").word)
    assert words == ["Sometimes", "Sometimes"]


def test_sc_is_sequentially_consistent():
    assert run(LITMUS / "MP+poonceonces.litmus", "sc").word == "Never"
    assert run(LITMUS / "SB+poonceonces.litmus", "sc").word == "Never"


def test_data_race_is_reported():
    r = run(LITMUS / "MP+poplainonce+poonceplain.litmus", "ra")
    assert r.result == "Sometimes DATARACE" and "data race on data" in r.race_message
    assert run(LITMUS / "MP+poplainrelease+poacquireplain.litmus", "ra").result == "Never"


def test_every_recorded_test_states_the_recorded_result():
    from rmapcheck.report.conformance import NOT_COVERED, RECORDED

    names = set()
    for path in LITMUS.glob("*.litmus"):
        t = parse_litmus(str(path), path.read_text())
        assert path.stem == t.name
        assert t.expected is not None, path
        names.add(t.name)
        if t.name in RECORDED:
            assert t.expected == RECORDED[t.name], path
    assert set(RECORDED) - set(NOT_COVERED) <= names


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,where,msg", [
    ("X86 foo\n{}\n", "1:1", "only C litmus tests"),
    ("C t\n{}\nP0(int *x) { atomic_inc(x); }\nexists (x=1)\n", "3:25", "expected a pointer to atomic_t"),
    ("C t\n{}\nP0(int *x) {\n  int r;\n  r = spin_trylock(x);\n}\nexists (x=1)\n", "5:7",
     "'spin_trylock' is a kernel primitive rmapcheck does not model: a lock attempt that may fail"),
    ("C t\n{}\nP0(int *x) { smp_mb__before_atomic(); WRITE_ONCE(*x, 1); }\nexists (x=1)\n", "3:39",
     "must come right before an atomic read-modify-write"),
    ("C t\n{}\nP0(int *x) { foo(x); }\nexists (x=1)\n", "3:14", "unknown primitive 'foo'"),
    ("C t\n{}\nP0(int *x) { smp_load_aquire(x); }\nexists (x=1)\n", "3:14",
     "did you mean 'smp_load_acquire'?"),
    ("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (y=1)\n", "4:9", "unknown location 'y'"),
    ("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (0:r9=1)\n", "4:11", "P0 has no register 'r9'"),
    ("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (3:r0=1)\n", "4:9", "there is no process P3"),
    ("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\n", "4:1", "no final condition"),
    ("C t\n{}\nP1(int *x) { WRITE_ONCE(*x, 1); }\nexists (x=1)\n", "3:1", "expected P0"),
    ("C t\n{}\nP0(int x) { }\nexists (x=1)\n", "3:4", "must be a pointer"),
    ("C t\n{ int *x; }\nP0(int *x) { }\nexists (x=1)\n", "3:9", "must be a pointer to it"),
    ("C t\n{ float v; }\nP0(int *x) { }\nexists (x=1)\n", "2:3", "unsupported type 'float'"),
    ("C t\n{}\nP0(int *x) {\n  WRITE_ONCE(*x, );\n}\nexists (x=1)\n", "4:18", "before ')'"),
    ("C t\n{}\nP0(int *x) {\n  int r0;\n  r0 = READ_ONCE(*x);\n  return;\n}\nexists (x=1)\n", "6:3",
     "'return' is not supported"),
    ("C t\n(* Result: Maybe *)\n{}\nP0(int *x) { }\nexists (x=1)\n", "2:12", "unknown result 'Maybe'"),
    ("C t\n(* unterminated\n{}\n", "2:1", "unterminated (* comment"),
    ("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1);\nexists (x=1)\n", "3:12", "no matching '}'"),
    ("C t\n{}\nP0(int *x) { }\nexists (x=1) junk\n", "4:14", "after the final condition"),
    ("C t\n{ 0:r0=1; 0:r0=2; }\nP0(int *x) { }\nexists (x=1)\n", "2:13", "two initial values"),
    ("C t\n{ 3:r0=1; }\nP0(int *x) { }\nexists (x=1)\n", "2:3", "there is no process P3"),
    ("C t\n{ int a[2]; }\nP0(int *a) { }\nexists (a=1)\n", "4:10", "'a' is an array"),
])
def test_errors_point_at_the_litmus_file(tmp_path, text, where, msg):
    p = lit(tmp_path, text)
    with pytest.raises(ModelError) as ei:
        load_litmus(p)
    rendered = ei.value.render()
    assert rendered.startswith(f"{p}:{where}: error: "), rendered
    assert msg in rendered


def test_error_column_after_a_rewrite_on_the_same_line(tmp_path):
    # 'y' is rewritten to '&y' before the error: the column is still the litmus file's
    p = lit(tmp_path, "C t\n{}\nP0(int *x, int *y) {\n  smp_store_release(y, 1); WRITE_ONCE(*x, *bad);\n}\n"
                      "exists (x=1)\n")
    with pytest.raises(ModelError) as ei:
        load_litmus(p)
    assert ei.value.loc.line == 4 and ei.value.loc.col == 44  # 'bad': an implicit int register
    assert ei.value.source_line == "  smp_store_release(y, 1); WRITE_ONCE(*x, *bad);"


# -- command line -----------------------------------------------------------------------------------

def test_cli_table_and_exit_codes(tmp_path, capsys):
    good = lit(tmp_path, MP, "good.litmus")
    bad = lit(tmp_path, MP.replace("Result: Never", "Result: Sometimes"), "bad.litmus")
    assert main(["litmus", good]) == 0
    out = capsys.readouterr().out
    assert re.search(r"MP\+test\s+lkmm\s+Never\s+0\s+3\s+Never\s+ok", out)
    assert main(["litmus", good, bad]) == 1
    out = capsys.readouterr().out
    assert "expected 'Sometimes', got 'Never' under lkmm" in out
    assert main(["litmus", "--memory-model", "ra", good]) == 0
    assert main(["litmus", "--memory-model", "sc", "--states", good]) == 0
    out = capsys.readouterr().out
    assert "Observation MP+test Never 0 3" in out and "Positive: 0 Negative: 3" in out


def test_cli_bad_file_exits_2_without_traceback(tmp_path):
    good = lit(tmp_path, MP, "good.litmus")
    broken = lit(tmp_path, "C t\n{}\nP0(int *x) { xchgg(x, 1); }\nexists (x=1)\n", "broken.litmus")
    r = subprocess.run([sys.executable, "-m", "rmapcheck", "litmus", good, broken, str(tmp_path / "none.litmus")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert f"{broken}:3:14: error: unknown primitive 'xchgg'" in r.stderr
    assert "none.litmus: no such file" in r.stderr
    assert "Traceback" not in r.stderr
    assert "MP+test" in r.stdout  # the good file still ran


# -- docs/conformance.md -------------------------------------------------------------------------------

def test_conformance_doc_is_up_to_date():
    from rmapcheck.report.conformance import generate

    def norm(s: str) -> str:
        return re.sub(r"Run time: .*", "Run time: -", s)

    doc = (ROOT / "docs" / "conformance.md").read_text()
    assert norm(generate(LITMUS)) == norm(doc), (
        "docs/conformance.md is stale: python -m rmapcheck.report.conformance > docs/conformance.md")


def test_body_comments_and_deadlock(tmp_path):
    p = lit(tmp_path, """\
        C dl
        {}
        P0(spinlock_t *l, int *x)
        {
            /* @thread not-a-header-key */
            spin_lock(l);
            spin_lock(l); // @expect sc * holds
            WRITE_ONCE(*x, 1);
        }
        exists (x=1)
        """)
    r = run(p)
    assert (r.word, r.positive, r.negative) == ("DEADLOCK", 0, 0)
    assert "Observation dl Never 0 0" in herd_block(r)


def test_race_trace_quotes_the_litmus_lines(capsys):
    assert main(["litmus", "--states", str(LITMUS / "MP+poplainonce+poonceplain.litmus")]) == 0
    out = capsys.readouterr().out
    assert "Flag data-race" in out
    assert "*data = 1;" in out and "d = *data;" in out  # the litmus text, not the translation
    assert "DATARACE: data race on data" in out
