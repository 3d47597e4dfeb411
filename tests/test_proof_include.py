"""#include, #define and #if in proof files (rmapcheck/proofs/source.py): the bundled variants
share one proof text, and every mistake in a directive is a positioned error (exit 2)."""

from __future__ import annotations

import pytest

from rmapcheck.cli import main
from rmapcheck.proofs.parser import load_proof
from rmapcheck.proofs.source import read_source

BODY = """sort s
relation p(s)
init none: forall x: s. ~p(x)
transition t(x: s)
  p(x) := true
#if STRICT
# nothing is p (false: t makes one)
invariant strict: forall x: s. ~p(x)
#else
# trivially
invariant loose: true
#endif
safety ok: true
"""


def _write(tmp_path, name, text):
    f = tmp_path / name
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)
    return str(f)


def test_if_and_define_choose_the_branch(tmp_path):
    _write(tmp_path, "include/body.proofh", BODY)
    strict = load_proof(_write(tmp_path, "a.proof", '#define STRICT 1\nproof "a"\n#include "body.proofh"\n'))
    loose = load_proof(_write(tmp_path, "b.proof", 'proof "b"\n#include "body.proofh"\n'))
    assert [f.name for f in strict.invariants] == ["strict"]
    assert [f.name for f in loose.invariants] == ["loose"]


def test_included_lines_keep_their_file_and_line(tmp_path):
    _write(tmp_path, "body.proofh", BODY)
    p = _write(tmp_path, "a.proof", '# a comment\nproof "a"\n#include "body.proofh"\n')
    src = read_source(p, open(p).read())
    inv = load_proof(p).invariants[0]
    assert src.where(inv.line) == "body.proofh:11"  # loose: STRICT is not defined
    assert src.where(2) == "line 2"


def test_a_comment_with_a_space_is_not_a_directive(tmp_path):
    p = _write(tmp_path, "a.proof", '# if this were a directive it would be an error\n#  include nothing\n'
                                    'proof "a"\nsort s\nsafety ok: true\n')
    assert load_proof(p).title == "a"


@pytest.mark.parametrize("text,where,msg", [
    ('proof "a"\n#include "nowhere.proofh"\n', "a.proof:2:1", "no such file"),
    ('proof "a"\n#endif\n', "a.proof:2:1", "#endif without #if"),
    ('proof "a"\n#else\n', "a.proof:2:1", "#else without #if"),
    ('proof "a"\n#if X\n', "a.proof:2:1", "#if without #endif"),
    ('#define X x + 1\nproof "a"\n', "a.proof:1:1", "#define NAME N"),
    ('#if X > 1\n#endif\nproof "a"\n', "a.proof:1:1", "#if NAME"),
    ('#include body.proofh\nproof "a"\n', "a.proof:1:1", '#include "file.proofh"'),
    ('proof "a"\n#include "a.proof"\n', "a.proof:2:1", "includes itself"),
])
def test_bad_directive_is_a_positioned_error(tmp_path, capsys, text, where, msg):
    p = _write(tmp_path, "a.proof", text)
    assert main(["prove", p]) == 2
    err = capsys.readouterr().err
    assert f"{where}: error:" in err and msg in err
    assert "Traceback" not in err


def test_error_in_an_included_file_names_it_and_the_include(tmp_path, capsys):
    _write(tmp_path, "body.proofh", "sort s\nrelation p(s\n")
    p = _write(tmp_path, "a.proof", 'proof "a"\n#include "body.proofh"\n')
    assert main(["prove", p]) == 2
    err = capsys.readouterr().err
    assert "In file included from " in err and "a.proof:2" in err
    assert "body.proofh:3:1: error:" in err or "body.proofh:2:" in err


def test_bundled_variants_share_their_text():
    """The mutants' proofs are 09_5.16's with one switch: they include it, they do not copy it."""
    for name in ("09_5.16", "11_mutant_no_arch_lock", "13_mutant_no_refresh"):
        src = read_source(f"proofs/{name}.proof", open(f"proofs/{name}.proof").read())
        assert any(f.endswith("09_5.16.proofh") for f, _ in src.origin)
        assert len(open(f"proofs/{name}.proof").read().splitlines()) < 30
