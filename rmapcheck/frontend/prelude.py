"""Declarations every model sees: kernel types and constants (no code)."""

PRELUDE = """\
typedef _Bool bool;
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned int gfp_t;
typedef unsigned long long gfn_t;
typedef unsigned long long gpa_t;
typedef unsigned long hva_t;
struct mutex { int __owner; };
typedef struct spinlock { int __owner; } spinlock_t;
struct srcu_struct { int __srcu; };
typedef struct __atomic { int counter; } atomic_t;
typedef struct __atomic64 { s64 counter; } atomic64_t;
typedef struct __atomic_long { long counter; } atomic_long_t;
"""

# Struct names of the synchronisation primitives (one cell each).
PRIMITIVE_STRUCTS = {"mutex": "mutex", "spinlock": "spin", "srcu_struct": "srcu"}

# Named constants every model may use; a model's #define of the same name wins.
CONSTANTS = {
    "NULL": 0,
    "true": 1,
    "false": 0,
    "GFP_KERNEL": 0,
    "GFP_KERNEL_ACCOUNT": 0,
    "GFP_ATOMIC": 0,
    "__GFP_ZERO": 0,
    "ENOMEM": 12,
    "EINVAL": 22,
    "EEXIST": 17,
    "EFAULT": 14,
    "EIO": 5,
    "EAGAIN": 11,
    "EBUSY": 16,
}
