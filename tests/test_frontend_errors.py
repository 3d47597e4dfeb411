"""Malformed models: every one exits 2 with `file:line:col: error:` and never a traceback.

Every case is run as the command `python -m rmapcheck check FILE`, each in its own process:

- all of them through one runner process that imports rmapcheck once and then forks a child
  per case, which runs the `rmapcheck` package as __main__ exactly as `python -m` does (its
  own exit status, stdout and stderr, an uncaught exception printed as a traceback);
- FRESH_CASES, one or two per category, also in a brand-new interpreter
  (`subprocess.run([python, "-m", "rmapcheck", "check", FILE])`).

(A fresh interpreter costs about 0.6 s of CPU, mostly imports; a forked child a few ms.
Running all cases fresh would take the suite over its time budget on two shared cores.)

A hypothesis test then mutates valid models and checks that the front end either loads the
mutant or rejects it with a ModelError/UsageError, never another exception; a few mutants
also go through the command line.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmapcheck.errors import ModelError, UsageError
from rmapcheck.frontend.load import load_model_text

HERE = Path(__file__).parent
HEADER = "/*\n * @title bad model\n * @thread main\n */\n"


@dataclass
class Case:
    name: str
    text: str | bytes | None  # None: the path is special (missing file, directory)
    line_of: str | None  # the expected line is the first one containing this text; None: no position
    message: str  # a regular expression the error message must match
    args: list = field(default_factory=list)
    kind: str = "file"  # "file", "missing", "directory"


def prog(body: str, globals_: str = "", header: str = HEADER) -> str:
    """A model whose thread runs body (dedented)."""
    return header + textwrap.dedent(globals_) + "void main(void)\n{\n" + textwrap.indent(
        textwrap.dedent(body).strip("\n"), "\t") + "\n}\n"


KVM = """
struct kvm { struct mutex lock; spinlock_t mmu_lock; struct srcu_struct srcu; int *rmap; int x; bool flag;
             atomic_t users; unsigned long bits; };
struct kvm kvm;
int arr[3];
"""

CASES = [
    # -- syntax errors ----------------------------------------------------------------------
    Case("missing-semicolon", prog("int x = 1\nx = 2;"), "x = 2;", r"syntax error before 'x'"),
    Case("invalid-expression", prog("int x;\nx = x + ;"), "x = x + ;", r"Invalid expression"),
    Case("unexpected-eof", HEADER + "void main(void)\n{\n\tint x = 0;\n", "int x = 0;", r"unexpected end of file"),
    Case("illegal-character", prog("int x = 1;\nx = x @ 2;"), "x = x @ 2;", r"Illegal character '@'"),
    Case("unmatched-quote", prog("int x = 'a;"), "int x = 'a;", r"Unmatched '"),
    Case("unbalanced-paren", prog("int x = 0;\nif (x {\n}"), "if (x {", r"syntax error before '{'"),
    Case("stray-brace", prog("int x = 0;") + "}\n", None, r"syntax error before '}'"),
    # -- unsupported constructs -----------------------------------------------------------------
    Case("union", HEADER + "union u { int a; int *p; };\nvoid main(void) { }\n", "union u", r"unions are not supported"),
    Case("function-pointer", prog("void (*fp)(void) = 0;"), "void (*fp)", r"function pointers are not supported"),
    Case("function-pointer-member", HEADER + "struct ops { int (*get)(int); };\nvoid main(void) { }\n",
         "struct ops", r"function pointers are not supported"),
    Case("function-as-value", prog("int v = helper;", "int helper(void) { return 1; }\n"), "int v = helper;",
         r"function pointers are not supported"),
    Case("recursion", prog("fact(3);", "int fact(int n)\n{\n\treturn n ? n * fact(n - 1) : 1;\n}\n"),
         "n * fact(n - 1)", r"recursive call of 'fact' is not supported"),
    Case("float-type", prog("float f;"), "float f;", r"floating point is not supported"),
    Case("double-literal", prog("int x = 1.5;"), "int x = 1.5;", r"floating point is not supported"),
    Case("variadic", prog("logit(1);", "void logit(int n, ...) { }\n"), "void logit", r"variadic functions are not supported"),
    Case("knr-parameters", prog("f(1);", "int f(a)\nint a;\n{\n\treturn a;\n}\n"), "int f(a)",
         r"old-style \(K&R\) parameter lists are not supported"),
    Case("include", HEADER + "#include <linux/kvm_host.h>\nvoid main(void) { }\n", "#include",
         r"#include <linux/kvm_host.h>: no such file \(looked in .*, models/\)"),
    Case("function-like-macro", HEADER + "#define MAX(a, b) ((a) > (b) ? (a) : (b))\nvoid main(void) { }\n",
         "#define MAX", r"function-like macro 'MAX' is not supported"),
    Case("anonymous-struct", HEADER + "struct { int a; } g;\nvoid main(void) { }\n", "struct { int a; }",
         r"anonymous structs are not supported"),
    Case("bit-field", HEADER + "struct s { int a : 3; };\nvoid main(void) { }\n", "int a : 3", r"bit-fields are not supported"),
    Case("string-literal", prog('int x = "abc" == 0;'), 'int x = "abc"', r"string literals are only allowed as property names"),
    Case("static-local", prog("static int count;"), "static int count;", r"static and extern locals are not supported"),
    Case("extern-global", HEADER + "extern int g;\nvoid main(void) { }\n", "extern int g;", r"extern declarations are not supported"),
    Case("compound-literal", prog("int x = ((struct kvm){ .x = 1 }).x;", KVM), "int x = ((struct kvm)",
         r"compound literals are not supported"),
    Case("statement-expression", prog("int x = ({ 1; });"), "int x = ({", r"unsupported expression"),
    Case("int-to-pointer-cast", prog("int *p = (int *)5;"), "int *p = (int *)5;", r"casting an integer to a pointer is not supported"),
    # a pointer stored through a cast into an int allocation was lost to the heap scan (KeyError, exit 4)
    Case("pointer-cast-into-int-object",
         prog("int *b = kzalloc(sizeof(int), GFP_KERNEL);\nstruct kvm **slot = (struct kvm **)b;\n*slot = &kvm;", KVM),
         "struct kvm **slot =", r"casting int \* to struct kvm \* \* is not supported: the types keep pointers"),
    Case("void-pointer-to-typed", prog("int *b = kzalloc(sizeof(int), GFP_KERNEL);\nvoid *v = b;\nstruct kvm **slot = v;", KVM),
         "struct kvm **slot = v;", r"converting void \* to struct kvm \* \* is not supported"),
    Case("pointer-ordering", prog("int b = kvm.rmap < kvm.rmap;", KVM), "int b = kvm.rmap <", r"operator '<' on pointers is not supported"),
    Case("array-without-size", prog("int a[] = { 1, 2 };"), "int a[] =", r"arrays need a size"),
    # -- unknown functions, argument count and type ----------------------------------------------------
    Case("unknown-primitive", prog("kvm_mmu_zap_all(&kvm);", KVM), "kvm_mmu_zap_all", r"unknown function 'kvm_mmu_zap_all'"),
    Case("misspelled-primitive", prog("int v = smp_load_aquire(&kvm.flag);", KVM), "smp_load_aquire",
         r"unknown function 'smp_load_aquire': .*; did you mean 'smp_load_acquire'\?$"),
    Case("misspelled-atomic", prog("atomic_inc_retrun(&kvm.users);", KVM), "atomic_inc_retrun",
         r"did you mean 'atomic_inc_return'"),
    Case("unsupported-primitive", prog("spin_trylock(&kvm.lock);", KVM), "spin_trylock",
         r"'spin_trylock' is a kernel primitive rmapcheck does not model: a lock attempt that may fail is not "
         r"modelled"),
    Case("unsupported-refcount", prog("refcount_inc(&kvm.users);", KVM), "refcount_inc",
         r"'refcount_inc' is a kernel primitive rmapcheck does not model: refcount_t is not modelled"),
    Case("atomic-on-int", prog("atomic_inc(&kvm.x);", KVM), "&kvm.x", r"expected a pointer to atomic_t, not int \*"),
    Case("cmpxchg-on-atomic", prog("int o = cmpxchg(&kvm.users, 0, 1);", KVM), "&kvm.users",
         r"needs the atomic_ operations"),
    Case("after-atomic-misplaced", prog("WRITE_ONCE(kvm.flag, 1);\nsmp_mb__after_atomic();", KVM),
         "smp_mb__after_atomic();", r"must come right after an atomic read-modify-write operation"),
    Case("before-atomic-misplaced", prog("smp_mb__before_atomic();\nWRITE_ONCE(kvm.flag, 1);", KVM),
         "WRITE_ONCE(kvm.flag, 1);", r"smp_mb__before_atomic\(\) must come right before"),
    Case("bit-out-of-range", prog("set_bit(64, &kvm.bits);", KVM), "64", r"bit number 64 is out of range"),
    Case("lockdep-assert-on-int", prog("lockdep_assert_held(&kvm.flag);", KVM), "&kvm.flag", r"expected a pointer to a lock"),
    Case("primitive-arg-count", prog("mutex_lock();", KVM), "mutex_lock();", r"mutex_lock\(\) takes 1 argument\(s\), 0 given"),
    Case("srcu-unlock-arg-count", prog("int idx = srcu_read_lock(&kvm.srcu);\nsrcu_read_unlock(&kvm.srcu);", KVM),
         "srcu_read_unlock(&kvm.srcu);", r"srcu_read_unlock\(\) takes 2 argument\(s\), 1 given"),
    Case("user-function-arg-count", prog("add(1);", "int add(int a, int b) { return a + b; }\n"), "add(1);",
         r"'add' takes 2 argument\(s\), 1 given"),
    Case("mutex-lock-on-int", prog("mutex_lock(&kvm.x);", KVM), "mutex_lock(&kvm.x);", r"expected a pointer to struct mutex, not int \*"),
    Case("spin-lock-on-mutex", prog("spin_lock(&kvm.lock);", KVM), "spin_lock(&kvm.lock);", r"expected a pointer to spinlock_t"),
    Case("store-release-non-pointer", prog("smp_store_release(kvm.flag, true);", KVM), "smp_store_release",
         r"expected a pointer, not bool"),
    Case("alloc-size", prog("int n = 4;\nkvm.rmap = kvcalloc(3, n, GFP_KERNEL);", KVM), "kvcalloc", r"allocation size must be sizeof\(T\)"),
    Case("memset-nonzero", prog("memset(&kvm, 1, sizeof(kvm));", KVM), "memset", r"memset is modelled with the value 0 only"),
    Case("memcpy-partial", prog("memcpy(&kvm, &kvm, 2);", KVM), "memcpy", r"partial copies are not modelled"),
    Case("nondet-without-range", prog("int v = __VERIFIER_nondet_int();"), "__VERIFIER_nondet_int",
         r"needs a finite range: declare '@nondet LO..HI'"),
    Case("bad-property-name", prog('assert_property("has space", 1);'), "assert_property", r"bad property name 'has space'"),
    # -- type errors ----------------------------------------------------------------------------
    Case("int-to-pointer", prog("int *p = kvm.x;", KVM), "int *p = kvm.x;", r"assigning an integer to a pointer"),
    Case("pointer-to-int", prog("int v = kvm.rmap;", KVM), "int v = kvm.rmap;", r"assigning a pointer to an integer"),
    Case("struct-as-scalar", prog("if (kvm)\n\treturn;", KVM), "if (kvm)", r"a struct \(struct kvm\) is used where a scalar is needed"),
    Case("incompatible-pointers", prog("struct kvm *k = &arr[0];", KVM), "struct kvm *k", r"incompatible pointer types"),
    Case("no-such-member", prog("kvm.nr_slots = 1;", KVM), "kvm.nr_slots", r"struct kvm has no member 'nr_slots'"),
    Case("dot-on-pointer", prog("struct kvm *k = &kvm;\nk.x = 1;", KVM), "k.x = 1;", r"'\.' needs a struct, not struct kvm \*"),
    Case("arrow-on-struct", prog("kvm->x = 1;", KVM), "kvm->x", r"'->' needs a pointer to a struct"),
    Case("deref-non-pointer", prog("int v = *kvm.x;", KVM), "int v = *kvm.x;", r"cannot dereference a non-pointer"),
    Case("array-assignment", prog("int b[3];\nb = arr;", KVM), "b = arr;", r"arrays cannot be assigned"),
    Case("struct-from-int", prog("struct kvm k;\nk = 3;", KVM), "k = 3;", r"cannot copy int into struct kvm"),
    Case("void-value", prog("int v = nothing();", "void nothing(void) { }\n"), "int v = nothing();", r"a void function's result is used"),
    Case("void-returns-value", prog("return 1;"), "return 1;", r"'main' returns void but a value is returned"),
    Case("missing-return-value", prog("f();", "int f(void)\n{\n\treturn;\n}\n"), "\treturn;", r"'f' must return a value"),
    Case("incomplete-struct", prog("struct nosuch s;"), "struct nosuch s;", r"incomplete type struct nosuch"),
    Case("sizeof-incomplete", prog("int n = sizeof(struct nosuch);"), "sizeof(struct nosuch)", r"sizeof of an incomplete type"),
    Case("ternary-type-mismatch", prog("int *p = kvm.x ? &kvm.x : 5;", KVM), "int *p = kvm.x ?",
         r"the two arms of '\?:' have different types"),
    Case("array-size-of-pointer", prog("int n = ARRAY_SIZE(kvm.rmap);", KVM), "ARRAY_SIZE", r"ARRAY_SIZE needs an array"),
    Case("nested-too-deeply", prog("int x = " + "+".join(["1"] * 2000) + ";"), "int x = 1+1", r"nested too deeply"),
    Case("parens-nested-too-deeply", prog("int x = " + "(" * 300 + "1" + ")" * 300 + ";"), "int x = (((",
         r"nested too deeply"),
    Case("assign-to-const", prog("const int n = 2;\nn = 3;"), "n = 3;", r"'n' is const: it cannot be assigned"),
    Case("srcu-dereference-without-srcu", prog("int *p = srcu_dereference(kvm.rmap, &kvm.lock);", KVM), "&kvm.lock",
         r"expected a pointer to struct srcu_struct"),
    Case("lockdep-on-int", prog("int *p = rcu_dereference_protected(kvm.rmap, lockdep_is_held(&kvm.x));", KVM),
         "lockdep_is_held", r"expected a pointer to a lock"),
    Case("define-as-global", HEADER + "#define NR_SLOTS 2\nint NR_SLOTS;\nvoid main(void) { }\n", "int NR_SLOTS;",
         r"'NR_SLOTS' is a #define constant: it cannot also be a global"),
    Case("define-as-parameter", HEADER + "#define n 2\nvoid f(int n) { }\nvoid main(void) { f(1); }\n", "void f(int n)",
         r"'n' is a #define constant: it cannot also be a parameter"),
    Case("array-too-large", HEADER + "int huge[4096][4096];\nvoid main(void) { }\n", "int huge",
         r"an array of 16777216 cells is too large for a model"),
    Case("too-many-instances", "/*\n * @thread main x1000\n */\nvoid main(void) { }\n", "@thread",
         r"at most 64 instances of a thread"),
    Case("inlining-explodes", HEADER + "int g;\nvoid f0(void) { g++; }\n" + "".join(
        f"void f{i}(void) {{ f{i - 1}(); f{i - 1}(); f{i - 1}(); f{i - 1}(); }}\n" for i in range(1, 9))
        + "void main(void)\n{\n\tf8();\n}\n", "void f0(void)", r"the inlined code is larger than 50000 steps"),
    Case("multi-char-constant", prog("int c = 'ab';"), "int c = 'ab';", r"unsupported character constant"),
    # -- names ----------------------------------------------------------------------------------
    Case("undeclared-variable", prog("count = 1;"), "count = 1;", r"'count' is not declared"),
    Case("declared-twice", prog("int x;\nint x; /* here */"), "/* here */", r"'x' is declared twice"),
    Case("function-defined-twice", HEADER + "void f(void) { }\nvoid f(void) { } /* here */\nvoid main(void) { }\n",
         "/* here */", r"function 'f' is defined twice"),
    Case("struct-defined-twice", HEADER + "struct s { int a; };\nstruct s { int b; };\nvoid main(void) { }\n",
         "struct s { int b; }", r"struct s is defined twice"),
    # -- control flow ---------------------------------------------------------------------------
    Case("break-outside-loop", prog("int x = 0;\nbreak;"), "break;", r"'break' outside a loop or switch"),
    Case("continue-outside-loop", prog("switch (1) { case 1: continue; }"), "continue;", r"'continue' outside a loop"),
    Case("undefined-label", prog("goto out;"), "goto out;", r"label 'out' used but not defined"),
    Case("duplicate-label", prog("out:\n;\nout: /* here */\n;"), "/* here */", r"label 'out' is defined twice"),
    Case("duplicate-case", prog("switch (1) {\ncase 1:\n\tbreak;\ncase 1: /* here */\n\tbreak;\n}"), "/* here */",
         r"duplicate case value 1"),
    Case("non-constant-case", prog("switch (1) {\ncase kvm.x:\n\tbreak;\n}", KVM), "case kvm.x:", r"integer constant expression"),
    # -- constants and bounds -------------------------------------------------------------------
    Case("constant-index-out-of-bounds", prog("arr[3] = 1;", KVM), "arr[3] = 1;", r"index 3 is out of bounds of arr\[3\]"),
    Case("negative-index", prog("arr[-1] = 1;", KVM), "arr[-1] = 1;", r"index -1 is out of bounds"),
    Case("zero-size-array", HEADER + "int a[0];\nvoid main(void) { }\n", "int a[0];", r"array size must be positive"),
    Case("division-by-zero-constant", HEADER + "#define N 4\nint a[N / 0];\nvoid main(void) { }\n", "int a[N / 0];",
         r"division by zero in a constant expression"),
    Case("bad-shift", HEADER + "#define N (1 << 99)\nvoid main(void) { }\n", "#define N", r"shift count 99 is out of range"),
    Case("initialiser-overflow", prog("int a[2] = { 1, 2, 3 };"), "int a[2] =", r"initialiser index 2 is out of bounds"),
    Case("bad-designator", HEADER + "struct s { int a; };\nstruct s g = { .b = 1 };\nvoid main(void) { }\n", ".b = 1",
         r"struct s has no member 'b'"),
    # -- threads and invariants -----------------------------------------------------------------
    Case("missing-thread-function", "/*\n * @thread writer\n */\nvoid main(void) { }\n", "@thread writer",
         r"thread function 'writer' is not defined"),
    Case("no-threads", "/* @title nothing runs */\nvoid main(void) { }\n", None, r"the model declares no threads"),
    Case("thread-pointer-parameter", "/*\n * @thread worker\n */\nvoid worker(int *p)\n{\n}\n", "void worker",
         r"takes at most one int parameter"),
    Case("invariant-writes", "/*\n * @thread main\n * @invariant inv check\n */\nint g;\n"
         "bool check(void)\n{\n\tg = 1;\n\treturn true;\n}\nvoid main(void) { }\n", "\tg = 1;", r"must only read memory"),
    # -- header ---------------------------------------------------------------------------------
    Case("unknown-header-key", "/*\n * @thread main\n * @fault 1\n */\nvoid main(void) { }\n", "@fault 1", r"unknown header key '@fault'"),
    Case("bad-faults", "/*\n * @thread main\n * @faults many\n */\nvoid main(void) { }\n", "@faults many", r"@faults takes a number"),
    Case("thread-count-zero", "/*\n * @thread main x0\n */\nvoid main(void) { }\n", "@thread main x0", r"at least one instance"),
    Case("bad-thread-syntax", "/*\n * @thread main(2)\n */\nvoid main(void) { }\n", "@thread", r"@thread takes a function name"),
    Case("unknown-property-in-expect", "/*\n * @thread main\n * @expect sc rmaps-present holds\n */\nvoid main(void) { }\n",
         "@expect", r"@expect names an unknown property 'rmaps-present'"),
    Case("bad-verdict", "/*\n * @thread main\n * @expect sc * fine\n */\nvoid main(void) { }\n", "@expect", r"unknown verdict 'fine'"),
    Case("bad-memory-model", "/*\n * @thread main\n * @expect pso * holds\n */\nvoid main(void) { }\n", "@expect",
         r"unknown memory model 'pso' \(known: sc, ra, tso, lkmm\)"),
    Case("conflicting-expect", "/*\n * @thread main\n * @expect sc * holds\n * @expect sc * violated\n */\nvoid main(void) { }\n",
         "* violated", r"contradicts line 3"),
    Case("bad-nondet-range", "/*\n * @thread main\n * @nondet 3..1\n */\nvoid main(void) { }\n", "@nondet", r"@nondet takes a range"),
    Case("param-without-define", "/*\n * @thread main\n * @param NR_SLOTS slots\n */\nvoid main(void) { }\n", "@param",
         r"@param NR_SLOTS: the model has no #define NR_SLOTS"),
    Case("config-unknown-name", "/*\n * @thread main\n * @config NR=2\n */\n#define N 1\nvoid main(void) { }\n", "@config",
         r"@config NR=\.\.\.: the model has no #define NR"),
    # -- preprocessor ---------------------------------------------------------------------------
    Case("unterminated-comment", HEADER + "int g;\n/* never closed\nvoid main(void) { }\n", "/* never closed", r"unterminated /\* comment"),
    Case("if-without-endif", HEADER + "#if 1\nvoid main(void) { }\n", "#if 1", r"#if without #endif"),
    Case("endif-without-if", HEADER + "void main(void) { }\n#endif\n", "#endif", r"#endif without #if"),
    Case("error-directive", HEADER + "#ifndef NR_SLOTS\n#error NR_SLOTS is required\n#endif\nvoid main(void) { }\n",
         "#error", r"#error NR_SLOTS is required"),
    Case("non-integer-define", HEADER + "#define NAME kvm_x86\nvoid main(void) { }\n", "#define NAME",
         r"'kvm_x86' is not an integer constant expression"),
    Case("unknown-directive", HEADER + "#frobnicate\nvoid main(void) { }\n", "#frobnicate", r"unknown preprocessor directive"),
    # -- -D -------------------------------------------------------------------------------------
    Case("define-unknown-name", HEADER + "#define NR_SLOTS 2\nvoid main(void) { }\n", None,
         r"-D NR_VCPUS: .* has no parameter NR_VCPUS \(its #defines: NR_SLOTS\)", ["-D", "NR_VCPUS=2"]),
    Case("define-not-integer", HEADER + "#define NR_SLOTS 2\nvoid main(void) { }\n", None,
         r"-D NR_SLOTS=two: expected NAME=INTEGER", ["-D", "NR_SLOTS=two"]),
    Case("define-makes-model-invalid", HEADER + "#define NR_SLOTS 2\nint slots[NR_SLOTS];\nvoid main(void) { }\n",
         "int slots[NR_SLOTS];", r"array size must be positive, not 0", ["-D", "NR_SLOTS=0"]),
    # -- files ----------------------------------------------------------------------------------
    Case("missing-file", None, None, r"no such file", kind="missing"),
    Case("directory", None, None, r"is a directory", kind="directory"),
    Case("not-utf8", (HEADER + "int g;\nvoid main(void) { g = 1; }  // caf\xe9\n").encode("latin-1"),
         "caf", r"the model is not valid UTF-8 text"),
]


# Also run in a brand-new interpreter: one or two of each category.
FRESH_CASES = {
    "missing-semicolon", "recursion", "mutex-lock-on-int", "incompatible-pointers",
    "unknown-property-in-expect", "unterminated-comment", "define-unknown-name", "not-utf8",
}


def _expected_line(case: Case) -> int | None:
    if case.line_of is None:
        return None
    text = case.text.decode("latin-1") if isinstance(case.text, bytes) else case.text
    idx = text.index(case.line_of)
    return text.count("\n", 0, idx) + 1


def _write_case(case: Case, d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    if case.kind == "missing":
        return d / "no_such_model.c"
    if case.kind == "directory":
        path = d / "a_directory.c"
        path.mkdir(exist_ok=True)
        return path
    path = d / "model.c"
    if isinstance(case.text, bytes):
        path.write_bytes(case.text)
    else:
        path.write_text(case.text)
    return path


def _run_cli(args: list[str]) -> subprocess.CompletedProcess:
    """`python -m rmapcheck ARGS` in a brand-new interpreter."""
    return subprocess.run([sys.executable, "-m", "rmapcheck", *args], capture_output=True, text=True, timeout=120)


# The runner: first runs the warm-up command lines in-process (output discarded), so that
# everything `rmapcheck check` imports lazily is imported once; then per job it forks a child
# that runs the package as __main__ with the job's argv, its stdout and stderr in files, and
# reports the child's exit status. Uncaught exceptions are printed as the interpreter does.
_FORK_RUNNER = r"""
import contextlib, io, json, os, runpy, sys, traceback
module = sys.argv[1]
spec = json.load(sys.stdin)
for argv in spec["warmup"]:
    sys.argv = [module, *argv]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit:
            pass
status = {}
for name, argv, out_path, err_path in spec["jobs"]:
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        for fd, path in ((1, out_path), (2, err_path)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        sys.argv = [module, *argv]
        code = 0
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    status[name] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
sys.stdout.write(json.dumps(status))
"""


def _run_forked(jobs: dict, root: Path, module: str = "rmapcheck", env: dict | None = None) -> dict:
    """{name: argv} -> {name: (exit status, stdout, stderr)}, one forked child per job."""
    specs = [(name, argv, str(root / f"{name}.out"), str(root / f"{name}.err")) for name, argv in jobs.items()]
    warmup = []
    if module == "rmapcheck":
        good = root / "warm_up_model.c"
        good.write_text(prog("int x = 1;"))
        warmup = [["check", str(good)], ["ir", str(good)]]
    r = subprocess.run([sys.executable, "-c", _FORK_RUNNER, module], input=json.dumps({"warmup": warmup, "jobs": specs}),
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    status = json.loads(r.stdout)
    return {name: (status[name], Path(o).read_text(), Path(e).read_text()) for name, _, o, e in specs}


@pytest.fixture(scope="module")
def case_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_models")
    return {case.name: str(_write_case(case, root / case.name)) for case in CASES}


@pytest.fixture(scope="module")
def forked_results(case_paths, tmp_path_factory):
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    root = tmp_path_factory.mktemp("forked")
    jobs = {case.name: ["check", case_paths[case.name], *case.args] for case in CASES}
    bad = root / "bad_for_ir.c"
    bad.write_text(prog("int x = 1\nx = 2;"))
    jobs["<ir>"] = ["ir", str(bad)]
    res = _run_forked(jobs, root)
    res["<ir>"] += (str(bad),)
    return res


@pytest.fixture(scope="module")
def fresh_results(case_paths):
    """The FRESH_CASES in brand-new interpreters, two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {c.name: pool.submit(_run_cli, ["check", case_paths[c.name], *c.args])
                   for c in CASES if c.name in FRESH_CASES}
        return {name: f.result() for name, f in futures.items()}


def test_there_are_many_distinct_cases():
    assert len(CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)
    files = [(c.text, tuple(c.args)) for c in CASES if c.text is not None]
    assert len(set(files)) == len(files)
    assert FRESH_CASES <= {c.name for c in CASES}


def check_result(case: Case, path: str, code: int, out: str, err: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out, err
    assert "internal error" not in err, err
    assert code == 2, (code, err)
    assert out == ""
    first = err.splitlines()[0] if err else ""
    line = _expected_line(case)
    if line is None:
        assert "error:" in first, err
        assert re.search(case.message, first), (case.message, first)
        return
    m = re.match(r"^(.*):(\d+):(\d+): error: (.*)$", first)
    assert m, err
    assert m.group(1) == path
    assert int(m.group(2)) == line, err
    assert re.search(case.message, m.group(4)), (case.message, m.group(4))
    lines = err.splitlines()
    if case.name != "not-utf8":
        # the offending line, then a caret under the column
        assert len(lines) >= 3, err
        src, caret = lines[1][2:], lines[2][2:]
        assert caret.strip() == "^"
        text = case.text if isinstance(case.text, str) else case.text.decode("latin-1")
        assert src == text.split("\n")[line - 1].expandtabs(1)
        assert int(m.group(3)) == len(caret)
        assert len(caret) <= len(src) + 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_model_exits_2_with_a_positioned_message(case, case_paths, forked_results):
    code, out, err = forked_results[case.name]
    check_result(case, case_paths[case.name], code, out, err)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in FRESH_CASES],
                         ids=[c.name for c in CASES if c.name in FRESH_CASES])
def test_malformed_model_in_a_fresh_interpreter(case, case_paths, fresh_results):
    r = fresh_results[case.name]
    check_result(case, case_paths[case.name], r.returncode, r.stdout, r.stderr)


def test_ir_command_reports_the_same_errors(forked_results):
    code, out, err, bad = forked_results["<ir>"]
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"{bad}:8:2: error: syntax error before 'x'")


def test_forked_runner_shows_exit_codes_and_tracebacks(tmp_path):
    """The forked runner stands in for `python -m` only if it shows what the interpreter
    would: exit statuses, output, and the traceback of an uncaught exception."""
    good = tmp_path / "good.c"
    good.write_text(prog("int x = 1;"))
    res = _run_forked({"ok": ["check", str(good)], "usage": ["check"]}, tmp_path)
    assert res["ok"][0] == 0 and "holds" in res["ok"][1]
    assert res["usage"][0] == 2 and "error:" in res["usage"][2]
    pkg = tmp_path / "crashy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text("import sys\nif sys.argv[1:] == ['boom']:\n    raise ValueError('boom')\n"
                                     "raise SystemExit(int(sys.argv[1]))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    res = _run_forked({"boom": ["boom"], "three": ["3"]}, tmp_path, module="crashy", env=env)
    assert res["boom"][0] == 1 and "Traceback" in res["boom"][2] and "ValueError: boom" in res["boom"][2]
    assert res["three"][0] == 3


# ----------------------------------------------------------------------------------------
# Mutation testing of the front end

SEEDS = [
    HERE / "models" / "toy_copy_lost.c",
]

SEED_TEXTS = [p.read_text() for p in SEEDS] + [
    prog("""
        int idx = srcu_read_lock(&kvm.srcu);
        int i, r = 0;
        struct kvm copy;
        mutex_lock(&kvm.lock);
        copy = kvm;
        for (i = 0; i < 3; i++) {
            if (arr[i])
                continue;
            arr[i] = i;
            switch (i) { case 1: r++; break; default: r--; }
            if (r > 5)
                goto out;
        }
        kvm.rmap = kvcalloc(2, sizeof(*kvm.rmap), GFP_KERNEL);
        if (!kvm.rmap)
            goto out;
        smp_store_release(&kvm.flag, true);
        WARN_ON(READ_ONCE(kvm.x) != 0);
    out:
        mutex_unlock(&kvm.lock);
        srcu_read_unlock(&kvm.srcu, idx);
    """, KVM + "#define N 2\nstruct pair { int a; int b[N]; };\nstruct pair pairs[N] = { { .a = 1 }, [1] = { 2, { 3, 4 } } };\n",
         "/*\n * @title mutation seed\n * @thread main x2\n * @faults 1\n * @nondet 0..2\n * @expect sc * holds\n */\n"),
]

SEED_TEXTS.append("""/*
 * @title third seed
 * @thread writer
 * @thread reader x2
 * @invariant small check
 * @memory-models sc
 * @param NR number of slots
 * @config NR=1
 * @expect sc * holds
 */
#define NR 2
#if NR > 1
#define BIG 1
#else
#define BIG 0
#endif
typedef struct slot { int *rmap; int n; } slot_t;
enum op { CREATE, DELETE = 3 };
struct arr { slot_t s[NR]; };
struct arr active, spare;
struct srcu_struct srcu;
int counter;

bool check(void) { return counter < 10; }

static slot_t make(int n)
{
	slot_t s;
	memset(&s, 0, sizeof(s));
	s.n = n;
	return s;
}

void writer(void)
{
	int i = 0;
	struct arr copy;
	memcpy(&copy, &active, sizeof(copy));
	while (i < NR) {
		copy.s[i] = make(i + BIG);
		do {
			i++;
		} while (i < 0);
	}
	rcu_assign_pointer(active.s[0].rmap, &counter);
	synchronize_srcu(&srcu);
	if (i > 1)
		active = copy;
	else
		active = spare;
}

void reader(int id)
{
	int idx = srcu_read_lock(&srcu);
	slot_t *s = &active.s[id % NR];
	if (READ_ONCE(s->n) == DELETE && id)
		WRITE_ONCE(counter, counter + 1);
	srcu_read_unlock(&srcu, idx);
}
""")

_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|\S")
_INSERTS = list("{}()[];,.*&!=<>+-/#@'\"\\x0 \n") + ["/*", "*/", "//", "->", "@thread", "@expect", "#if",
                                                     "struct", "int", "return", "goto", "break", "\xe9", "\t"]


@st.composite
def mutants(draw):
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(1, 3))):
        toks = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        if not toks:
            break
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "insert", "replace", "respell",
                                   "respell"]))
        i = draw(st.integers(0, len(toks) - 1))
        s, e = toks[i]
        if op == "delete":
            text = text[:s] + text[e:]
        elif op == "duplicate":
            text = text[:e] + " " + text[s:e] + text[e:]
        elif op == "swap":
            j = draw(st.integers(0, len(toks) - 1))
            (s, e), (s2, e2) = sorted([toks[i], toks[j]])
            if e <= s2:
                text = text[:s] + text[s2:e2] + text[e:s2] + text[s:e] + text[e2:]
        elif op == "truncate":
            text = text[:s]
        elif op == "insert":
            ins = draw(st.one_of(st.sampled_from(_INSERTS), st.text(min_size=1, max_size=3)))
            text = text[:s] + ins + text[s:]
        elif op == "respell":
            # another token of the same model: mostly still C, often a type or name error
            s2, e2 = toks[draw(st.integers(0, len(toks) - 1))]
            text = text[:s] + text[s2:e2] + text[e:]
        else:
            text = text[:s] + draw(st.sampled_from(_INSERTS)) + text[e:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutants())
def test_mutated_models_load_or_fail_cleanly(text):
    try:
        load_model_text("mutant.c", text, {})
    except (ModelError, UsageError) as e:
        if isinstance(e, ModelError):
            rendered = e.render()
            assert "error:" in rendered
            if e.loc is not None:
                assert e.loc.line >= 1 and e.loc.col >= 1


@settings(max_examples=60, deadline=None)
@given(text=mutants(), defines=st.dictionaries(st.sampled_from(["N", "NR", "x"]), st.integers(-3, 5), max_size=2))
def test_mutated_models_with_defines_and_faults(text, defines):
    try:
        load_model_text("mutant.c", text, defines, faults=1)
    except (ModelError, UsageError):
        pass


def test_cli_on_mutants_never_shows_a_traceback(tmp_path):
    rnd = random.Random(2)
    jobs, texts = {}, {}
    for k, seed in enumerate(SEED_TEXTS):
        toks = [(m.start(), m.end()) for m in _TOKEN.finditer(seed)]
        for j in range(3):
            s, e = toks[rnd.randrange(len(toks))]
            texts[f"m{k}{j}"] = seed[:s] + seed[e:]
        texts[f"m{k}t"] = seed[: len(seed) * 2 // 3]
    for name, text in texts.items():
        p = tmp_path / f"{name}.c"
        p.write_text(text)
        jobs[name] = ["check", "--max-states", "300", str(p)]
    results = _run_forked(jobs, tmp_path)
    fresh = _run_cli(jobs["m10"])
    results["fresh"] = (fresh.returncode, fresh.stdout, fresh.stderr)
    texts["fresh"] = texts["m10"]
    for name, (code, out, err) in results.items():
        assert "Traceback" not in err and "Traceback" not in out, (texts[name], err)
        assert code in (0, 1, 2, 3), (texts[name], code, err)
        if code == 2:
            path = re.escape(jobs["m10" if name == "fresh" else name][-1])
            assert re.match(rf"^({path}:\d+:\d+: error: |rmapcheck: error: |error: )", err), err
