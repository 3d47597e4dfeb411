"""The IR of each construct of the model language (issue 2).

Structural checks look at the IR where its shape is the contract (the step kind and memory
order of each primitive, visible vs local steps, cell layout); everything about control flow
and values is checked by behaviour: the model is run through the explicit-state engine and
an assertion about the outcome must hold, while its negation must be violated (so no check
can pass vacuously).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from rmapcheck.engines.explicit import explore
from rmapcheck.frontend.load import load_model_text
from rmapcheck.ir import nodes as ir
from rmapcheck.ir.printer import print_program

HEADER = "/*\n * @title test\n * @thread main\n */\n"


def load(src: str, defines: dict | None = None, faults: int | None = None) -> ir.Program:
    return load_model_text("model.c", textwrap.dedent(src), defines or {}, faults)


def verdicts(src: str, defines: dict | None = None) -> dict:
    res = explore(load(src, defines))
    return {name: r.verdict for name, r in res.results.items()}


def single(globals_: str, body: str) -> str:
    """A one-thread model. The thread starts with a shared store, so every later step runs
    inside a scheduled transition (see the report: violations in a thread's leading local
    steps are not reported by the engine)."""
    return HEADER + "int __start;\n" + textwrap.dedent(globals_) + "\nvoid main(void)\n{\n\t__start = 1;\n" + \
        textwrap.dedent(body) + "\n}\n"


def assert_value(globals_: str, body: str, expr: str, expected) -> None:
    """After body, expr == expected holds on every path, and expr != expected is violated."""
    good = verdicts(single(globals_, body + f"\n\tassert(({expr}) == ({expected}));"))
    assert good["assertions"] == "holds", f"{expr} != {expected}"
    bad = verdicts(single(globals_, body + f"\n\tassert(({expr}) != ({expected}));"))
    assert bad["assertions"] == "violated"


def code_of(p: ir.Program, thread: str = "main") -> list:
    return next(t for t in p.threads if t.name == thread).code


def kinds(code, cls) -> list:
    return [i for i in code if isinstance(i, cls)]


# ----------------------------------------------------------------------------------------
# Globals, locals and types


def test_globals_are_flattened_to_named_cells_with_initial_values():
    p = load(HEADER + """
        struct slot { int *rmap[3]; int npages; };
        struct slots { struct slot s[2]; int used; };
        int counter = 7;
        bool flag = true;
        bool big_flag = 7;
        struct slots arr = { .s = { { .npages = 4 }, [1] = { .npages = 5 } }, .used = 2 };
        int *ptr = &counter;
        struct slot *sp = &arr.s[1];
        void main(void) { }
    """)
    names = [c.name for c in p.global_cells]
    assert names[:3] == ["counter", "flag", "big_flag"]
    assert "arr.s[0].rmap[2]" in names and "arr.s[1].npages" in names and "arr.used" in names
    off, width = p.globals_by_name["arr"]
    assert width == 2 * 4 + 1
    init = dict(zip(names, p.global_init))
    assert init["counter"] == 7 and init["flag"] == 1 and init["big_flag"] == 1
    assert init["arr.s[0].npages"] == 4 and init["arr.s[1].npages"] == 5 and init["arr.used"] == 2
    assert init["arr.s[0].rmap[0]"] == 0
    assert init["ptr"] == (ir.GLOBAL, p.globals_by_name["counter"][0])
    assert init["sp"] == (ir.GLOBAL, off + 4)
    assert [c.is_pointer for c in p.global_cells[off:off + 4]] == [True, True, True, False]


def test_global_accesses_are_visible_steps_and_local_ones_are_not():
    p = load(single("int g;", "int x = 1; x = x + 1; g = x; x = g;"))
    code = code_of(p)
    stores = [i for i in kinds(code, ir.Store) if i.what == "g"]
    loads = [i for i in kinds(code, ir.Load) if i.what == "g"]
    assert len(stores) == 1 and len(loads) == 1
    assert stores[0].visible and loads[0].visible
    assert stores[0].order == ir.PLAIN and loads[0].order == ir.PLAIN
    assert all(not i.visible for i in kinds(code, ir.Assign))
    # every step carries its model source line
    assert all(i.loc.line > 0 for i in code)
    assert {i.func for i in code} == {"main"}


def test_locals_are_zeroed_at_declaration_and_scoped():
    assert_value("int r;", """
        int i;
        for (i = 0; i < 2; i++) {
            int acc;
            acc = acc + 5;
            r = acc;
        }
    """, "r", 5)
    assert_value("int x = 5; int r;", """
        int x = 1;
        { int x = 2; r = x; }
        r = r * 10 + x;
    """, "r", 21)


def test_bool_conversion_and_int_arithmetic():
    assert_value("bool b; int r;", "b = 5; r = b;", "r", 1)
    assert_value("int *p; bool b; int r;", "p = &__start; b = p; r = b;", "r", 1)
    assert_value("bool b; int r;", "b |= 6; r = b * 10; b = 0; b += 3; r += b;", "r", 11)
    assert_value("int r; bool yes(void) { return 42; }", "r = yes();", "r", 1)
    assert_value("int r;", "r = (7 / 2) * 100 + (-7 / 2) * 10 + (7 % 3);", "r", 300 - 30 + 1)
    assert_value("int r;", "r = (1 << 4) | (0x10 >> 2) | (6 & 3) ^ 1;", "r", 16 | 4 | (2 ^ 1))
    assert_value("int r; int a = 3;", "r = a > 2 ? a * 2 : -1; r += 4; r -= 1; r *= 2;", "r", 18)
    assert_value("int r;", "r = 'a' + '\\n' + 0x1f + 017 + 10UL;", "r", 97 + 10 + 31 + 15 + 10)


def test_pointers_address_of_and_dereference():
    assert_value("int g; int *p;", "p = &g; *p = 3; *p += 1;", "g", 4)
    assert_value("int g; int r;", "int *q = &g; int **qq = &q; **qq = 9; r = *q;", "r", 9)
    assert_value("int r;", "int loc = 1; int *q = &loc; *q = 6; r = loc;", "r", 6)


def test_a_declared_name_is_in_scope_in_its_own_initialiser():
    # the kernel idiom: p = kzalloc(sizeof(*p), GFP_KERNEL)
    assert_value("struct pair { int a; int b; }; struct pair *g; int r;", """
        struct pair *p = kzalloc(sizeof(*p), GFP_KERNEL);
        int *arr = kvcalloc(3, sizeof(*arr), GFP_KERNEL);
        p->b = 5;
        arr[2] = 6;
        r = p->b * 10 + arr[2] + (bool)p * 100;
        g = p;
        kvfree(arr);
    """, "r", 156)


def test_kernel_declarations_read_as_written():
    # sparse annotations, const locals used as sizes, lockdep conditions: as in the kernel
    src = single("""
        struct slots { int *rmap[2]; };
        struct kvm { struct mutex slots_lock; struct srcu_struct srcu; struct slots __rcu *memslots; int x; };
        struct slots s0;
        struct kvm kvm = { .memslots = &s0 };
        static __always_inline struct slots *get(struct kvm *k)
        {
            return srcu_dereference_check(k->memslots, &k->srcu, lockdep_is_held(&k->slots_lock) || k->x);
        }
    """, """
        const int sz = sizeof(*s0.rmap[0]);
        struct slots *s = get(&kvm);
        s->rmap[1] = kvcalloc(4, sz, GFP_KERNEL);
        s->rmap[1][3] = sz;
    """)
    code = code_of(load(src))
    # the lockdep condition is not evaluated: the only load of kvm is the pointer itself
    loads = [i for i in kinds(code, ir.Load) if i.what.startswith("k->")]
    assert [i.what for i in loads] == ["k->memslots"] and loads[0].order == ir.DEREF
    assert kinds(code, ir.Alloc)[0].count == ir.Const(4)
    assert verdicts(src)["no-out-of-bounds"] == "holds"


def test_null_dereference_is_reported():
    v = verdicts(single("int *p; int r;", "r = *p;"))
    assert v["no-null-deref"] == "violated"


# ----------------------------------------------------------------------------------------
# Structs, arrays, & -> . []

STRUCTS = """
    struct slot { int *rmap[3]; int npages; };
    struct memslots { struct slot s[3]; int nr; };
    struct kvm { struct memslots *active; struct memslots arr; bool flag; };
    struct kvm kvm;
    int data[4];
"""


def test_struct_fields_and_nested_arrays():
    assert_value(STRUCTS, "kvm.arr.nr = 2; kvm.arr.s[1].npages = 7;", "kvm.arr.s[1].npages + kvm.arr.nr", 9)


def test_pointer_to_struct_arrow_and_star_dot():
    assert_value(STRUCTS, """
        struct memslots *m = &kvm.arr;
        kvm.active = m;
        kvm.active->s[2].npages = 3;
        (*m).nr = 4;
        m->s[0].rmap[1] = &data[2];
        *m->s[0].rmap[1] = 5;
    """, "kvm.arr.s[2].npages * 100 + kvm.arr.nr * 10 + data[2]", 345)


def test_pointers_to_array_elements_and_arithmetic():
    assert_value(STRUCTS, """
        int *p = &data[1];
        *p = 7;
        p++;
        *p = 8;
        p = data + 3;
        *p = 9;
        p -= 2;
        data[0] = p[0] * 100 + p[1] * 10 + p[2];
    """, "data[0]", 789)
    assert_value(STRUCTS, """
        struct slot *sl = &kvm.arr.s[0];
        sl++;
        sl->npages = 6;
        sl = &kvm.arr.s[2];
        sl[-1].npages += 1;
    """, "kvm.arr.s[1].npages", 7)


def test_arrays_of_structs_with_variable_index():
    assert_value(STRUCTS, """
        int i;
        for (i = 0; i < 3; i++)
            kvm.arr.s[i].npages = i * 2 + 1;
    """, "kvm.arr.s[0].npages + kvm.arr.s[1].npages * 10 + kvm.arr.s[2].npages * 100", 1 + 30 + 500)


def test_variable_index_is_bounds_checked_at_run_time():
    src = single(STRUCTS, "int i = 4; data[i] = 1;")
    code = code_of(load(src))
    assert any(a.prop == ir.P_BOUNDS for a in kinds(code, ir.Assert))
    assert verdicts(src)["no-out-of-bounds"] == "violated"
    assert verdicts(single(STRUCTS, "int i = 4; data[i - 1] = 1;"))["no-out-of-bounds"] == "holds"


def test_two_dimensional_arrays():
    assert_value("int a[2][3]; int r;", """
        int i, j;
        for (i = 0; i < 2; i++)
            for (j = 0; j < 3; j++)
                a[i][j] = i * 10 + j;
        int (*row)[3] = a;
        r = a[1][2] * 100 + row[1][0];
    """, "r", 1210)


def test_ternary_takes_the_pointer_type_of_either_arm():
    assert_value("int g; int *p; int *q;", """
        p = g ? NULL : &g;
        q = g ? &g : NULL;
        *p = 4;
    """, "g * 10 + (q == NULL)", 41)


def test_local_structs_and_arrays():
    assert_value("int r;", """
        struct pt { int x; int y[2]; } a = { .x = 1, .y = { 2, 3 } };
        int arr[3] = { 4, 5 };
        struct pt *p = &a;
        p->y[1] += arr[1];
        r = a.x * 100 + a.y[1] * 10 + arr[2];
    """, "r", 180)


def test_typedefs_enums_and_sizeof():
    assert_value("""
        typedef struct pair { int a; int b; } pair_t;
        enum mode { CREATE, MOVE = 5, DELETE };
        pair_t g[2];
        int r;
    """, "r = sizeof(pair_t) * 100 + sizeof(g) * 10 + DELETE; r += sizeof(int) - sizeof g[0].a;", "r", 246)


# ----------------------------------------------------------------------------------------
# Functions (inlined)


def test_functions_parameters_by_value_and_return_values():
    assert_value("""
        int calls;
        int twice(int x) { calls++; x = x * 2; return x; }
        int add(int a, int b) { return a + b; }
    """, """
        int v = 5;
        int r = add(twice(v), twice(1));
        calls = calls * 1000 + r * 10 + v;
    """, "calls", 2000 + 120 + 5)


def test_struct_parameters_are_copies_and_struct_returns():
    assert_value("""
        struct pair { int a; int b; };
        struct pair g = { 1, 2 };
        void bump(struct pair p) { p.a = 100; g.b = p.a + p.b; }
        struct pair make(int x) { struct pair p; p.a = x; p.b = x + 1; return p; }
    """, """
        struct pair q;
        bump(g);
        q = make(7);
        g.a = g.a * 1000 + g.b * 10 + q.b + make(1).a;
    """, "g.a", 1000 + 1020 + 8 + 1)


def test_inlined_function_steps_are_attributed_to_their_function():
    p = load(single("int g; void setg(int v) { g = v; }", "setg(1); setg(2);"))
    stores = [i for i in kinds(code_of(p), ir.Store) if i.what == "g"]
    assert [s.func for s in stores] == ["setg", "setg"]
    # each inlined call gets its own locals
    assert sum(1 for c in next(t for t in p.threads).local_cells if c.name == "setg:v") == 2


def test_early_return_from_nested_loops_and_void_return():
    assert_value("""
        int r;
        int find(int want) {
            int i, j;
            for (i = 0; i < 3; i++)
                for (j = 0; j < 3; j++)
                    if (i * 3 + j == want)
                        return i * 10 + j;
            return -1;
        }
        void setr(int v) { if (v < 0) return; r = v; }
    """, "setr(find(5)); setr(find(42));", "r", 12)


def test_return_from_the_entry_function_ends_the_thread():
    src = HEADER + "int g;\nvoid main(void) { g = 1; if (g) return; g = 2; }\n"
    p = load(src)
    assert isinstance(code_of(p)[-1], ir.End)
    v = verdicts(src.replace("g = 2; }", "g = 2; assert(0); }"))
    assert v["assertions"] == "holds"


# ----------------------------------------------------------------------------------------
# Control flow


def test_if_else_chains():
    assert_value("int r;", """
        int i;
        for (i = 0; i < 4; i++) {
            if (i == 0) r += 1;
            else if (i == 1) r += 10;
            else { if (i == 2) r += 100; else r += 1000; }
        }
    """, "r", 1111)


def test_for_while_do_with_c_semantics():
    assert_value("int r;", """
        int i = 10, n = 0;
        for (;;) { if (++n == 3) break; }
        while (i < 10) r = 99;
        do { r += 1; } while (0);
        do r += 10; while (++i < 12);
        for (int k = 0; k < 3; k++) r += 100;
        r += n * 1000;
    """, "r", 3000 + 300 + 20 + 1)


def test_break_leaves_only_the_innermost_loop():
    # The seed's review sketch: a failure in the inner slot loop of address space 0 breaks
    # out of that loop only; the outer loop goes on and overwrites r.
    src = single("""
        #define NR_AS 2
        #define NR_SLOTS 2
        int attempts;
        bool flag;
        int alloc(int as, int i) { attempts++; return (as == 0 && i == 0) ? -12 : 0; }
    """, """
        int as, i, r = 0;
        for (as = 0; as < NR_AS; as++) {
            for (i = 0; i < NR_SLOTS; i++) {
                r = alloc(as, i);
                if (r)
                    break;
            }
        }
        if (!r)
            flag = true;
    """)
    ok = src.replace("flag = true;", "flag = true;\n\tassert(flag && attempts == 3 && as == 2);")
    assert verdicts(ok)["assertions"] == "holds"
    assert verdicts(src.replace("flag = true;", "flag = true;\n\tassert(!flag);"))["assertions"] == "violated"


def test_break_and_continue_in_every_loop_kind():
    assert_value("int r;", """
        int i, j;
        for (i = 0; i < 3; i++) {
            j = 0;
            while (1) {
                j++;
                if (j == 2) continue;
                if (j > 3) break;
                r += 1;
            }
            do {
                if (i == 1) continue;   /* goes to the condition, which is false */
                r += 100;
            } while (0);
        }
    """, "r", 3 * 2 + 2 * 100)
    # continue in a do-while re-tests the condition
    assert_value("int r;", "int i = 0; do { i++; if (i < 3) continue; r += 1; } while (i < 5);", "r", 3)


def test_goto_forward_backward_and_error_unwinding():
    assert_value("""
        struct mutex lock;
        int r;
        int step(int fail) {
            int err = 0;
            mutex_lock(&lock);
            if (fail) { err = -12; goto out_unlock; }
            r += 1;
        out_unlock:
            mutex_unlock(&lock);
            return err;
        }
    """, """
        int n = 0;
    again:
        n++;
        if (step(n == 2) == 0 && n < 3)
            goto again;
        r = r * 10 + n;
    """, "r", 12)


def test_labels_are_per_inlined_call():
    assert_value("int r; void f(void) { goto out; r = 100; out: r++; }", "f(); f();", "r", 2)


def test_switch_fallthrough_default_break_and_continue():
    assert_value("int r;", """
        int i;
        for (i = 0; i < 5; i++) {
            switch (i) {
            case 0:
                r += 1;
            case 1:
                r += 10;
                break;
            case 2:
                continue;
            default:
                r += 100;
            }
            r += 1000;
        }
    """, "r", 4000 + 200 + 20 + 1)
    assert_value("int r;", "switch (3) { case 1: r = 1; break; } r += 5;", "r", 5)


def test_short_circuit_evaluation():
    assert_value("""
        int *p;
        int calls;
        int f(void) { calls++; return 1; }
    """, """
        int x;
        if (p && *p) calls = 100;
        if (p != NULL && *p == 3) calls = 100;
        x = 0 && f();
        x = 1 || f();
        x = (calls == 0) && f();
        x = x ? f() : 7;
        x = !x ? 7 : f() + f();
    """, "calls", 4)


def test_allocation_inside_a_short_circuit_condition():
    src = single("int *p; int g;", """
        if (g == 0 && !(p = kzalloc(sizeof(int), GFP_KERNEL)))
            return;
        g = p != NULL ? 1 : (p = kzalloc(sizeof(int), GFP_KERNEL)) != NULL;
        kfree(p);
    """)
    p = load(src)
    # each allocation is one site (lowering an operand twice must not leave phantom sites)
    assert len(p.sites) == 2
    assert sorted(i.site for i in kinds(code_of(p), ir.Alloc)) == [0, 1]
    v = verdicts(src.replace("@thread main", "@thread main\n * @faults 1"))
    assert v["no-leak"] == "holds" and v["no-null-deref"] == "holds"


def test_comma_operator_and_increments():
    assert_value("int g; int r;", "int a = 1, b; b = (a++, a++, a); r = b * 10 + a; g = r++ + ++r;",
                 "g * 100 + r", (33 + 35) * 100 + 35)


# ----------------------------------------------------------------------------------------
# By-value copies: struct assignment, memcpy, memset


def test_struct_assignment_copies_by_value():
    assert_value(STRUCTS, """
        struct memslots copy;
        kvm.arr.s[0].npages = 1;
        copy = kvm.arr;                 /* copy made ... */
        kvm.arr.s[0].npages = 2;        /* ... before this write: must not see it */
        kvm.arr.s[1] = copy.s[0];
        copy.nr = 9;                    /* writing the copy leaves the original alone */
    """, "copy.s[0].npages * 100 + kvm.arr.s[0].npages * 10 + kvm.arr.s[1].npages + kvm.arr.nr", 121)


def test_struct_copy_through_pointers_and_between_globals():
    assert_value(STRUCTS + "struct memslots other;", """
        kvm.active = &kvm.arr;
        kvm.arr.nr = 5;
        other = *kvm.active;
        kvm.arr.nr = 6;
        *kvm.active = other;
    """, "kvm.arr.nr * 10 + other.nr", 55)


def test_lost_update_through_a_stale_copy():
    # The heart of bugs B4/B8/B9: duplicate, write to the old array, install the copy.
    src = single(STRUCTS + "int rmap0;", """
        struct memslots copy;
        copy = kvm.arr;
        kvm.arr.s[0].rmap[0] = &rmap0;
        kvm.arr = copy;
        assert_property("rmaps-present", kvm.arr.s[0].rmap[0] != NULL);
    """)
    v = verdicts(src)
    assert v["rmaps-present"] == "violated"


def test_memcpy_and_memset_are_by_value_copies():
    assert_value(STRUCTS + "struct memslots other; int copyd[4];", """
        struct memslots loc;
        kvm.arr.nr = 3;
        memcpy(&loc, &kvm.arr, sizeof(loc));
        kvm.arr.nr = 4;
        memcpy(&other, &loc, sizeof(struct memslots));
        loc.nr = 8;
        data[2] = 7;
        memcpy(copyd, data, sizeof(data));
        data[2] = 1;
        memset(&kvm.arr, 0, sizeof(kvm.arr));
        memset(&loc.s[0], 0, sizeof(loc.s[0]));
    """, "other.nr * 1000 + kvm.arr.nr * 100 + copyd[2] * 10 + loc.nr", 3078)


def test_struct_copy_is_one_multi_cell_access():
    p = load(single(STRUCTS, "struct memslots c; c = kvm.arr; kvm.arr = c;"))
    code = code_of(p)
    width = 3 * 4 + 1
    assert any(i.width == width for i in kinds(code, ir.Load))
    assert any(len(i.values) == width for i in kinds(code, ir.Store))


# ----------------------------------------------------------------------------------------
# Kernel primitives: step kind and memory order

PRIM_GLOBALS = """
    struct kvm {
        struct mutex slots_lock;
        spinlock_t mmu_lock;
        struct srcu_struct srcu;
        int *memslots;
        bool flag;
        int x;
    };
    struct kvm kvm;
"""

PRIMITIVES = [
    # (statement, IR class, attributes the step must have)
    ("mutex_lock(&kvm.slots_lock);", ir.Lock, {"kind": "mutex", "what": "kvm.slots_lock"}),
    ("mutex_unlock(&kvm.slots_lock);", ir.Unlock, {"kind": "mutex"}),
    ("spin_lock(&kvm.mmu_lock);", ir.Lock, {"kind": "spin", "what": "kvm.mmu_lock"}),
    ("spin_unlock(&kvm.mmu_lock);", ir.Unlock, {"kind": "spin"}),
    ("idx = srcu_read_lock(&kvm.srcu);", ir.SrcuReadLock, {"what": "kvm.srcu"}),
    ("srcu_read_unlock(&kvm.srcu, idx);", ir.SrcuReadUnlock, {"what": "kvm.srcu"}),
    ("synchronize_srcu(&kvm.srcu);", ir.SrcuSync, {"what": "kvm.srcu"}),
    ("synchronize_srcu_expedited(&kvm.srcu);", ir.SrcuSync, {}),
    ("rcu_assign_pointer(kvm.memslots, p);", ir.Store, {"order": ir.ASSIGN, "what": "kvm.memslots"}),
    ("p = srcu_dereference(kvm.memslots, &kvm.srcu);", ir.Load, {"order": ir.DEREF, "what": "kvm.memslots"}),
    ("p = srcu_dereference_check(kvm.memslots, &kvm.srcu, 1);", ir.Load, {"order": ir.DEREF}),
    ("p = rcu_dereference(kvm.memslots);", ir.Load, {"order": ir.DEREF}),
    ("p = rcu_dereference_protected(kvm.memslots, lockdep_is_held(&kvm.slots_lock));", ir.Load,
     {"order": ir.PLAIN}),
    ("p = rcu_access_pointer(kvm.memslots);", ir.Load, {"order": ir.ONCE}),
    ("v = READ_ONCE(kvm.x);", ir.Load, {"order": ir.ONCE, "what": "kvm.x"}),
    ("WRITE_ONCE(kvm.x, 1);", ir.Store, {"order": ir.ONCE, "what": "kvm.x"}),
    ("smp_store_release(&kvm.flag, true);", ir.Store, {"order": ir.RELEASE, "what": "kvm.flag"}),
    ("v = smp_load_acquire(&kvm.flag);", ir.Load, {"order": ir.ACQUIRE, "what": "kvm.flag"}),
    ("kvm.x = 2;", ir.Store, {"order": ir.PLAIN, "what": "kvm.x"}),
    ("v = kvm.x;", ir.Load, {"order": ir.PLAIN, "what": "kvm.x"}),
    ("smp_mb();", ir.Fence, {"kind": "mb"}),
    ("smp_wmb();", ir.Fence, {"kind": "wmb"}),
    ("smp_rmb();", ir.Fence, {"kind": "rmb"}),
    ("p = kvcalloc(3, sizeof(*p), GFP_KERNEL_ACCOUNT);", ir.Alloc, {"elem_cells": 1, "type_name": "int"}),
    ("p = kcalloc(3, sizeof(int), GFP_KERNEL);", ir.Alloc, {"type_name": "int"}),
    ("p = kvmalloc_array(3, sizeof(int), GFP_KERNEL);", ir.Alloc, {}),
    ("p = kzalloc(sizeof(int), GFP_KERNEL);", ir.Alloc, {"count": ir.Const(1)}),
    ("p = kvzalloc(4 * sizeof(*p), GFP_KERNEL);", ir.Alloc, {"count": ir.Const(4)}),
    ("p = kmalloc(sizeof(int), GFP_KERNEL);", ir.Alloc, {}),
    ("p = kvmalloc(sizeof(int), GFP_KERNEL);", ir.Alloc, {}),
    ("p = vzalloc(2 * sizeof(int));", ir.Alloc, {"count": ir.Const(2)}),
    ("p = vmalloc(sizeof(int));", ir.Alloc, {}),
    ("kvfree(p);", ir.Free, {"what": "p"}),
    ("kfree(p);", ir.Free, {}),
    ("vfree(p);", ir.Free, {}),
    ("WARN_ON(v == 1);", ir.Warn, {}),
    ("WARN_ON_ONCE(v == 1);", ir.Warn, {}),
    ("WARN(v == 1, \"msg\");", ir.Warn, {}),
    ("BUG_ON(v == 1);", ir.Assert, {"prop": ir.P_ASSERT}),
    ("assert(v == 0);", ir.Assert, {"prop": ir.P_ASSERT}),
    ("__VERIFIER_assert(v == 0);", ir.Assert, {"prop": ir.P_ASSERT}),
    ("assert_property(\"rmaps-present\", v == 0);", ir.Assert, {"prop": "rmaps-present"}),
    ("reach_error();", ir.Assert, {"cond": ir.Const(0)}),
    ("v = __VERIFIER_nondet_int();", ir.Nondet, {"lo": 0, "hi": 3}),
    ("v = __VERIFIER_nondet_uint();", ir.Nondet, {"lo": 0, "hi": 3}),
    ("v = __VERIFIER_nondet_bool();", ir.Nondet, {"lo": 0, "hi": 1}),
    ("__VERIFIER_assume(v == 0);", ir.Assume, {}),
]


def prim_model(stmt: str) -> str:
    return ("/*\n * @thread main\n * @nondet 0..3\n */\n" + PRIM_GLOBALS +
            "void main(void)\n{\n\tint idx = 0, v = 0;\n\tint *p = NULL;\n\t" + stmt + "\n}\n")


@pytest.mark.parametrize("stmt,cls,attrs", PRIMITIVES, ids=[p[0].split("(")[0].split("= ")[-1] for p in PRIMITIVES])
def test_primitive_lowers_to_its_step_kind_and_order(stmt, cls, attrs):
    src = prim_model(stmt)
    p = load(src)
    line = src.split("\n").index("\t" + stmt) + 1
    steps = [i for i in code_of(p) if i.loc.line == line and isinstance(i, cls)]
    assert len(steps) == 1, [type(i).__name__ for i in code_of(p) if i.loc.line == line]
    step = steps[0]
    for k, v in attrs.items():
        assert getattr(step, k) == v, (k, getattr(step, k))
    shared = (ir.Lock, ir.Unlock, ir.SrcuReadLock, ir.SrcuReadUnlock, ir.SrcuSync, ir.Store, ir.Load,
              ir.Fence, ir.Alloc, ir.Free)
    assert step.visible == isinstance(step, shared)
    assert step.func == "main"
    assert "line " in print_program(p)


def test_warn_on_reports_continues_and_returns_its_condition():
    src = single("int r;", "int w = WARN_ON(r == 0); if (WARN_ON_ONCE(r == 5)) r = 100; r = w + 1;")
    v = verdicts(src.replace("r = w + 1;", "r = w + 1;\n\tassert(r == 2);"))
    assert v["no-warn"] == "violated"
    assert v["assertions"] == "holds"
    assert verdicts(single("int r;", "WARN_ON(r != 0);"))["no-warn"] == "holds"


def test_kernel_helpers_likely_unlikely_array_size_and_bug():
    assert_value("int a[4]; struct q { int b[3]; } g;", """
        int i;
        for (i = 0; i < ARRAY_SIZE(g.b); i++)
            if (unlikely(i == 2) || !likely(i != 0))
                a[i] = ARRAY_SIZE(a);
    """, "a[0] * 100 + a[1] * 10 + a[2]", 404)
    assert verdicts(single("int g;", "if (!g) BUG();"))["assertions"] == "violated"


def test_bug_on_and_assert_stop_the_path():
    assert verdicts(single("int r;", "BUG_ON(r == 0);"))["assertions"] == "violated"
    assert verdicts(single("int r;", "BUG_ON(r != 0);"))["assertions"] == "holds"
    v = verdicts(single("int r;", "assert_property(\"my-prop\", r == 1);"))
    assert v["my-prop"] == "violated" and v["assertions"] == "holds"


def test_allocation_may_fail_within_the_fault_budget():
    body = "int *p = kvcalloc(2, sizeof(int), GFP_KERNEL); if (!p) return; p[1] = 3; kvfree(p);"
    src = single("int r;", body)
    assert verdicts(src)["no-null-deref"] == "holds"
    unchecked = single("int r;", "int *p = kzalloc(sizeof(int), GFP_KERNEL); *p = 1; kfree(p);")
    assert verdicts(unchecked)["no-null-deref"] == "holds"  # no fault budget: never fails
    with_faults = unchecked.replace("@thread main", "@thread main\n * @faults 1")
    assert verdicts(with_faults)["no-null-deref"] == "violated"
    assert explore(load(unchecked, faults=1)).results["no-null-deref"].verdict == "violated"


def test_free_leak_and_double_free_are_checked():
    assert verdicts(single("int *g;", "g = kzalloc(sizeof(int), GFP_KERNEL); g = NULL;"))["no-leak"] == "violated"
    v = verdicts(single("int *g;", "int *p = kzalloc(sizeof(int), GFP_KERNEL); kfree(p); kfree(p);"))
    assert v["no-double-free"] == "violated"


def test_locks_block_and_deadlock_is_found():
    src = """
        /*
         * @thread a
         * @thread b
         */
        struct mutex m1, m2;
        void a(void) { mutex_lock(&m1); mutex_lock(&m2); mutex_unlock(&m2); mutex_unlock(&m1); }
        void b(void) { mutex_lock(&m2); mutex_lock(&m1); mutex_unlock(&m1); mutex_unlock(&m2); }
    """
    v = verdicts(src)
    assert v["no-deadlock"] == "violated" and v["lock-order"] == "violated"
    fixed = src.replace("mutex_lock(&m2); mutex_lock(&m1); mutex_unlock(&m1); mutex_unlock(&m2);",
                        "mutex_lock(&m1); mutex_lock(&m2); mutex_unlock(&m2); mutex_unlock(&m1);")
    assert verdicts(fixed)["no-deadlock"] == "holds"


def test_synchronize_srcu_waits_for_readers():
    src = """
        /*
         * @thread writer
         * @thread reader
         */
        struct srcu_struct srcu;
        int obj;
        int *ptr = &obj;
        bool freed;
        void writer(void) { rcu_assign_pointer(ptr, NULL); synchronize_srcu(&srcu); freed = true; }
        void reader(void)
        {
            int idx = srcu_read_lock(&srcu);
            int *p = srcu_dereference(ptr, &srcu);
            if (p)
                assert(!READ_ONCE(freed));
            srcu_read_unlock(&srcu, idx);
        }
    """
    assert verdicts(src)["assertions"] == "holds"
    assert verdicts(src.replace("synchronize_srcu(&srcu); ", ""))["assertions"] == "violated"


# ----------------------------------------------------------------------------------------
# Nondeterminism, threads, metadata, preprocessing


def test_nondeterminism_explores_every_choice():
    src = """
        /*
         * @thread writer
         * @nondet 0..3
         */
        enum { CREATE, MOVE, DELETE, FLAGS_ONLY };
        int seen[4];
        void writer(void)
        {
            int op = __VERIFIER_nondet_int();
            __VERIFIER_assume(op != MOVE);
            seen[op] = 1;
            assert_property("not-delete", op != DELETE);
            assert_property("never-move", op != MOVE);
            assert_property("bool-range", __VERIFIER_nondet_bool() <= 1);
        }
    """
    v = verdicts(src)
    assert v["not-delete"] == "violated"
    assert v["never-move"] == "holds"  # pruned by __VERIFIER_assume
    assert v["bool-range"] == "holds"
    nd = kinds(code_of(load(src), "writer"), ir.Nondet)
    assert [(n.lo, n.hi) for n in nd] == [(0, 3), (0, 1)]


def test_threads_instances_and_instance_number():
    src = """
        /*
         * @thread writer
         * @thread vcpu x2
         */
        int hits[2];
        int total;
        void writer(void) { total = 10; }
        void vcpu(int id) { hits[id] = id + 1; total = total + 1; }
    """
    p = load(src)
    assert [(t.name, t.instances) for t in p.threads] == [("writer", 1), ("vcpu", 2)]
    vcpu = p.threads[1]
    assert vcpu.param_cell is not None and vcpu.local_cells[vcpu.param_cell].name == "vcpu:id"
    # instance numbers are 0 and 1; the unlocked increment loses updates
    ok = src.replace("total = total + 1; }", "total = total + 1; assert(hits[id] == id + 1); }")
    assert verdicts(ok)["assertions"] == "holds"
    bad = src.replace("total = total + 1; }", "total = total + 1; assert(hits[id] == 1); }")
    assert verdicts(bad)["assertions"] == "violated"


def test_lost_update_between_two_thread_instances():
    src = """
        /*
         * @thread inc x2
         */
        int n;
        int done;
        void inc(int id) { int t = n; n = t + 1; done = done + 1; if (done == 2) assert(n == 2); }
    """
    assert verdicts(src)["assertions"] == "violated"
    locked = src.replace("int n;", "int n; struct mutex m;").replace(
        "{ int t", "{ mutex_lock(&m); int t").replace("assert(n == 2); }", "assert(n == 2); mutex_unlock(&m); }")
    assert verdicts(locked)["assertions"] == "holds"


def test_metadata_header_is_parsed():
    p = load("""
        /*
         * @title   v5 as merged in Linux 5.14
         * @source  commit d501f747ef5c ("KVM: x86/mmu: Lazily allocate memslot rmaps")
         * @source  Message-ID 20210511171610.170160-8-bgardon@google.com
         * @description The allocator
         *   and the memslot writer.
         * @param   NR_SLOTS number of slots
         * @thread  writer
         * @thread  vcpu x2
         * @faults  1
         * @nondet  0..3
         * @memory-models sc, ra
         * @expect  sc rmaps-present violated
         * @expect  sc * holds
         * @expect  ra * holds
         * @invariant flag-implies-rmaps check
         * @config  NR_SLOTS=3
         */
        #define NR_SLOTS 2
        int a[NR_SLOTS];
        bool check(void) { return a[0] == 0; }
        void writer(void) { assert_property("rmaps-present", a[0] == 0); }
        void vcpu(int id) { }
    """)
    m = p.meta
    assert m.title == "v5 as merged in Linux 5.14"
    assert len(m.sources) == 2 and "d501f747ef5c" in m.sources[0]
    assert m.description == "The allocator and the memslot writer."
    assert m.params == {"NR_SLOTS": "number of slots"}
    assert m.faults == 1 and m.nondet_range == (0, 3)
    assert m.memory_models == ["sc", "ra"]
    assert [(e.memory_model, e.prop, e.verdict) for e in m.expectations] == [
        ("sc", "rmaps-present", "violated"), ("sc", "*", "holds"), ("ra", "*", "holds")]
    assert m.expectations[0].loc.line == 14
    assert m.configs == [{"NR_SLOTS": 3}]
    assert [(i.prop, i.func) for i in p.invariants] == [("flag-implies-rmaps", "check")]
    assert "flag-implies-rmaps" in p.properties and "rmaps-present" in p.properties
    assert p.defines == {"NR_SLOTS": 2}


def test_per_memory_model_configs_and_defines():
    """@config MM ...: a configuration for that memory model only; @defines MM ...: defines of
    every run under it. verify's runs are meta_runs."""
    from rmapcheck.errors import ModelError
    from rmapcheck.ir.nodes import meta_runs

    p = load("""
        /*
         * @thread  main
         * @memory-models sc ra
         * @config  sc NR_SLOTS=3
         * @config  NR_VCPUS=3
         * @defines ra NR_SLOTS=1 FINE=1
         * @expect  sc * holds
         * @expect  ra * holds
         */
        #define NR_SLOTS 2
        #define NR_VCPUS 2
        #define FINE 0
        void main(void) { }
    """)
    m = p.meta
    assert m.configs == [{"NR_SLOTS": 3}, {"NR_VCPUS": 3}] and m.config_mms == ["sc", None]
    assert m.mm_defines == {"ra": {"NR_SLOTS": 1, "FINE": 1}}
    assert meta_runs(m) == [
        ("sc", {}), ("sc", {"NR_SLOTS": 3}), ("sc", {"NR_VCPUS": 3}),
        ("ra", {"NR_SLOTS": 1, "FINE": 1}), ("ra", {"NR_SLOTS": 1, "FINE": 1, "NR_VCPUS": 3}),
    ]
    with pytest.raises(ModelError, match="@defines takes a memory model"):
        load(HEADER.replace(" */", " * @defines NR_SLOTS=1\n */") + "#define NR_SLOTS 2\nvoid main(void) { }\n")
    with pytest.raises(ModelError, match="@defines NOPE=...: the model has no #define NOPE"):
        load(HEADER.replace(" */", " * @defines ra NOPE=1\n */") + "void main(void) { }\n")



def test_a_weak_config_without_pairs_is_the_default_configuration():
    """'@config tso' alone: tso's run of the default configuration, which only `verify
    --memory-model tso` makes; '@config sc' alone declares nothing (sc runs the default anyway)."""
    from rmapcheck.errors import ModelError
    from rmapcheck.ir.nodes import meta_runs_with_config

    p = load("""
        /*
         * @thread  main
         * @config  tso
         * @config  lkmm NR_SLOTS=1
         * @expect  sc * holds
         */
        #define NR_SLOTS 2
        void main(void) { }
    """)
    assert p.meta.configs == [{}, {"NR_SLOTS": 1}] and p.meta.config_mms == ["tso", "lkmm"]
    assert meta_runs_with_config(p.meta) == [("sc", {}, {})]  # the default verify: no weak run
    assert meta_runs_with_config(p.meta, ("tso", "lkmm")) == [
        ("sc", {}, {}), ("tso", {}, {}), ("lkmm", {"NR_SLOTS": 1}, {"NR_SLOTS": 1})]
    for mm in ("sc", "ra", ""):
        with pytest.raises(ModelError, match="@config takes NAME=VALUE pairs"):
            load(HEADER.replace(" */", f" * @config {mm}\n */") + "void main(void) { }\n")

def test_kernel_doc_comments_are_not_header_keys():
    p = load(HEADER + """
        /**
         * alloc_rmaps - allocate the rmaps of every slot
         * @kvm: the VM
         * @npages: pages per slot
         *
         * Return: 0 or -ENOMEM.
         */
        void main(void) { }
    """)
    assert p.meta.title == "test" and [t.name for t in p.threads] == ["main"]


def test_invariant_is_evaluated_in_every_state():
    src = """
        /*
         * @thread main
         * @invariant small check
         */
        int x;
        bool check(void) { return x < 2; }
        void main(void) { x = 1; x = 2; x = 0; }
    """
    assert verdicts(src)["small"] == "violated"
    assert verdicts(src.replace("x = 2;", ""))["small"] == "holds"


def test_defines_overrides_and_conditional_compilation():
    src = HEADER + """
        #define NR_SLOTS 2
        #define BIG (NR_SLOTS * 4 + 1)
        #ifdef WITH_EXTRA
        int extra;
        #endif
        #if NR_SLOTS > 2
        int many;
        #elif defined(NR_SLOTS)
        int few;
        #else
        int none;
        #endif
        int slots[NR_SLOTS];
        int big[BIG];
        void main(void) { }
    """
    p = load(src)
    assert p.defines == {"NR_SLOTS": 2, "BIG": 9}
    assert set(p.globals_by_name) == {"few", "slots", "big"}
    assert p.globals_by_name["slots"][1] == 2
    p3 = load(src, {"NR_SLOTS": 3, "WITH_EXTRA": 1})
    assert set(p3.globals_by_name) == {"extra", "many", "slots", "big"}
    assert p3.globals_by_name["big"][1] == 13 and p3.defines["NR_SLOTS"] == 3


def test_comments_and_directives_keep_line_numbers():
    src = HEADER + textwrap.dedent("""\
        /* a
         * multi-line comment */
        #define N 1
        // a line comment with 'quote
        int g; /* trailing */ int h;
        #if 0
        int hidden;
        #endif
        void main(void)
        {
        \tg = N;   /* line 15 */
        \th = "a//b" == 0 ? 1 : 2;
        }
    """)
    src = src.replace('"a//b" == 0 ? 1 : 2', "2")
    p = load(src)
    store = next(i for i in kinds(code_of(p), ir.Store) if i.what == "g")
    assert store.loc.line == 15 and store.text.startswith("g = N;")
    assert store.loc.col == 2


def test_printer_shows_globals_threads_steps_and_lines():
    src = prim_model("mutex_lock(&kvm.slots_lock); smp_store_release(&kvm.flag, true); "
                     "mutex_unlock(&kvm.slots_lock);")
    line = next(n for n, text in enumerate(src.split("\n"), 1) if "mutex_lock" in text)
    p = load(src)
    out = print_program(p)
    assert "globals (" in out and "kvm.flag" in out
    assert "thread main" in out
    assert "mutex_lock &G[0]    // kvm.slots_lock" in out
    assert "store.release" in out and "// kvm.flag" in out
    assert f"line {line}" in out
    # visible steps are starred
    assert any(line.lstrip().startswith("*") and "mutex_lock" in line for line in out.splitlines())


def test_printer_shows_the_header_sites_instances_and_pointer_initialisers():
    src = (Path(__file__).parent / "models" / "toy_copy_lost.c").read_text()
    out = print_program(load(src))
    assert "// toy" in out and "// expect sc * holds" in out and "// fault budget: 1" in out
    assert "G[10] kvm.active = &arr0 (&G[0])" in out
    assert "site0 int in alloc_rmap() line 21" in out
    assert "thread reader x2" in out and "instance number in %reader:id" in out
    assert "alloc site0 int[" in out and "(may fail)" in out


def test_language_reference_examples_load_and_give_their_expected_verdicts():
    doc = (Path(__file__).parent.parent / "docs" / "language.md").read_text()
    models = [b for b in re.findall(r"```c\n(.*?)```", doc, re.S) if b.startswith("/*")]
    assert len(models) >= 8
    for text in models:
        p = load_model_text("language.md", text, {})
        assert p.meta.expectations, p.meta.title
        got = {name: r.verdict for name, r in explore(p).results.items()}
        for prop, verdict in got.items():
            exp = [e.verdict for e in p.meta.expectations if e.memory_model == "sc" and e.prop == prop]
            exp = exp or [e.verdict for e in p.meta.expectations if e.memory_model == "sc" and e.prop == "*"]
            assert verdict == exp[-1], (p.meta.title, prop, verdict)
