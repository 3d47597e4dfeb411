"""`rmapcheck check` as a reviewer reads it: a short header, the verdicts with whole messages,
each counterexample; --width, --max-trace-steps."""

from __future__ import annotations

import re
from pathlib import Path

from cli_inprocess import run_cli

ROOT = Path(__file__).resolve().parent.parent
UNIT = "tests/models/unit"


def check(*args: str) -> tuple[int, str]:
    r = run_cli("check", *args)
    return r.returncode, r.stdout


def test_header_names_only_the_defines_given():
    code, out = check(f"{UNIT}/srcu_abba_deadlock.c")
    assert code == 1
    assert out.splitlines()[0] == f"{UNIT}/srcu_abba_deadlock.c: engine explicit, memory model sc"
    code, out = check(f"{UNIT}/lost_update_array_copy.c", "-D", "NR_SLOTS=2")
    head = " ".join(out.split("property")[0].split())
    assert head == (f"{UNIT}/lost_update_array_copy.c: engine explicit, memory model sc; defines other than "
                    "the model's: NR_SLOTS=2")


def test_whole_messages_wrapped_and_80_columns():
    code, out = check(f"{UNIT}/srcu_abba_deadlock.c")
    assert max(len(ln) for ln in out.splitlines()) <= 80
    table = out.split("\n\n")[0]
    text = " ".join(table.split())
    # the deadlock's whole message, wrapped in the detail column, nothing cut with '...'
    assert ("no thread can move: writer waits in synchronize_srcu(kvm.srcu) at line 27 for vcpu; vcpu waits "
            "for kvm.slots_arch_lock at line 35, held by writer") in text
    assert "..." not in table
    code, wide = check(f"{UNIT}/srcu_abba_deadlock.c", "--width", "120")
    assert max(len(ln) for ln in wide.splitlines()) > 80 and len(wide.splitlines()) < len(out.splitlines())


def test_max_trace_steps_shows_the_elision():
    code, full = check(f"{UNIT}/lost_update_array_copy.c", "--trace-format", "steps", "--reduction", "none")
    steps = re.findall(r"^ +(\d+)  \S", full, re.M)
    assert len(steps) == 16
    code, short = check(f"{UNIT}/lost_update_array_copy.c", "--trace-format", "steps", "--max-trace-steps", "4", "--reduction", "none")
    shown = [int(n) for n in re.findall(r"^ +(\d+)  \S", short, re.M)]
    assert shown == [1, 2, 15, 16]  # the first and the last, where it goes wrong
    assert "  ... 12 steps left out (--max-trace-steps) ..." in short.splitlines()
    code, diagram = check(f"{UNIT}/lost_update_array_copy.c", "--trace-format", "diagram", "--max-trace-steps", "4", "--reduction", "none")
    assert any("steps left out (--max-trace-steps)" in ln for ln in diagram.splitlines())
