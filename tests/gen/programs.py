"""Random small concurrent models for differential tests (a reduction changes no verdict).

Each program has two or three threads over a few globals, two mutexes, an srcu domain, a
release/acquire flag and a shared pointer to heap objects, and each thread runs a few random
statements: plain and marked accesses, locked sections, allocation (which may fail) and
publication, frees (so use after free and double free happen), srcu read sections and grace
periods (some with an assertion of what the grace period promises), fences, assertions and an
@invariant. Same seed, same program."""

from __future__ import annotations

import random

HEADER = """/*
 * @title generated {seed}
{threads} * @memory-models sc ra
 * @faults {faults}
 * @invariant inv-small small
 */
struct obj {{ struct obj *next; int v; }};
struct mutex l0;
struct mutex l1;
struct srcu_struct ss;
int g0;
int g1;
int flag;
struct obj *shared;
struct obj *spare;

bool small(void) {{ return g0 < {bound}; }}

"""


def _stmt(r: random.Random, depth: int, tid: int) -> list[str]:
    g = r.choice(["g0", "g1"])
    c = r.randint(0, 2)
    kinds = ["store", "load", "once", "flag_rel", "flag_acq", "alloc", "take", "read_obj", "read_obj",
             "free_spare", "take_free", "assert", "fence", "inc"]
    if depth < 2:
        kinds += ["locked", "locked", "srcu_read", "sync"]
    k = r.choice(kinds)
    if k == "store":
        return [f"{g} = {c};"]
    if k == "load":
        return [f"r = {g};"]
    if k == "once":
        return [f"WRITE_ONCE({g}, {c});"] if r.random() < 0.5 else [f"r = READ_ONCE({g});"]
    if k == "inc":
        return [f"{g} = {g} + 1;"]
    if k == "flag_rel":
        return [f"smp_store_release(&flag, {r.randint(1, 2)});"]
    if k == "flag_acq":
        return ["r = smp_load_acquire(&flag);", f"if (r) assert({r.choice(['g0', 'g1'])} != {c + 3});"]
    if k == "alloc":
        out = ["o = kzalloc(sizeof(*o), GFP_KERNEL);", "if (o) {", f"\to->v = {c};"]
        if r.random() < 0.5:
            out.append("\to->next = o;")
        out.append("\tshared = o;" if r.random() < 0.7 else "\trcu_assign_pointer(shared, o);")
        if r.random() < 0.3:
            out.append("\to = NULL;")
        out.append("}")
        return out
    if k == "take":
        return ["p = shared;", "shared = NULL;", "spare = p;"]
    if k == "read_obj":
        return ["p = srcu_dereference(shared, &ss);" if r.random() < 0.5 else "p = shared;",
                "if (p)", f"\tr = p->v;"]
    if k == "take_free":
        out = ["p = shared;", "shared = NULL;"]
        if r.random() < 0.5:
            out.append("synchronize_srcu(&ss);")
        return out + ["kfree(p);"]
    if k == "free_spare":
        return ["p = spare;", "spare = NULL;", "kfree(p);"]
    if k == "assert":
        return [f"assert_property(\"prop-{tid}\", {g} != {c + 2});"]
    if k == "fence":
        return [r.choice(["smp_mb();", "smp_wmb();", "smp_rmb();"])]
    if k == "locked":
        lk = r.choice(["l0", "l1"])
        body = []
        for _ in range(r.randint(1, 2)):
            body += _stmt(r, depth + 1, tid)
        return [f"mutex_lock(&{lk});"] + body + [f"mutex_unlock(&{lk});"]
    if k == "srcu_read":
        body = []
        for _ in range(r.randint(1, 2)):
            body += _stmt(r, depth + 1, tid)
        return ["idx = srcu_read_lock(&ss);"] + body + ["srcu_read_unlock(&ss, idx);"]
    if r.random() < 0.5:
        # what a grace period promises: a section seen to have begun before it has ended
        # after it, with every store it made (a reduction that reorders a section's end and
        # a grace period shows here)
        a, b = r.choice(["g0", "g1"]), r.choice(["g0", "g1"])
        return [f"r = READ_ONCE({a});", "synchronize_srcu(&ss);",
                f"assert_property(\"gp-{tid}\", !(r == {c} && READ_ONCE({b}) == 0));"]
    return ["synchronize_srcu(&ss);"]


def program(seed: int) -> str:
    """A random model; deterministic in seed."""
    r = random.Random(seed)
    n = r.choice([2, 2, 3])
    threads = "".join(f" * @thread t{k}\n" for k in range(n))
    text = HEADER.format(seed=seed, threads=threads, faults=r.choice([0, 1]), bound=r.randint(2, 4))
    for k in range(n):
        body = []
        for _ in range(r.randint(1, 3) if n == 3 else r.randint(2, 3)):
            body += _stmt(r, 0, k)
        decls = ["int r = 0;", "int idx = 0;", "struct obj *o = NULL;", "struct obj *p = NULL;"]
        text += f"void t{k}(void)\n{{\n" + "".join(f"\t{x}\n" for x in decls + body) + "}\n\n"
    return text
