/* Code the linker once refused or mislinked (tests/test_linker.py::test_linker_edge_cases):
 * a noreturn call or __builtin_unreachable as a function's last instruction (its section's end is a target),
 * LLVM's machine outliner at -Oz (calls with t0 as the link register), .byte/.2byte label differences
 * (R_RISCV_ADD8/SUB8 and ADD16/SUB16 pairs), and PVM_MIN_STACK_SIZE. */
#include "guest.h"

typedef unsigned long long u64;

PVM_MIN_STACK_SIZE(200 * 1024 + 1);

__attribute__((noreturn, noinline)) static void die(void) { __builtin_trap(); }

long noret(long x) {
    if (x > 100) die();
    return x * 3;
}

long unreach(long x) {
    if (x < 1000) return x + 1;
    __builtin_unreachable();
}

u64 g[4];
__attribute__((noinline)) u64 f1(u64 a, u64 b) { g[0] = a * 3 + b; g[1] = a ^ b; g[2] = a - b; g[3] = b << 3; return a + 1; }
__attribute__((noinline)) u64 f2(u64 a, u64 b) { g[0] = a * 3 + b; g[1] = a ^ b; g[2] = a - b; g[3] = b << 3; return a + 2; }
__attribute__((noinline)) u64 f3(u64 a, u64 b) { g[0] = a * 3 + b; g[1] = a ^ b; g[2] = a - b; g[3] = b << 3; return a + 3; }

long outlined(long x) {
    u64 r = f1(x, 2);
    r = r * 1000 + f2(3, x);
    r = r * 1000 + f3(x, x);
    return (long)(r + g[0] + g[1] + g[2] + g[3]);
}

unsigned long da = 1, db = 2;
__asm__(".pushsection .data.diffs,\"aw\",@progbits\n"
        ".globl diff8\ndiff8:\n.byte db - da\n"
        ".globl diff16\ndiff16:\n.2byte db - da\n"
        ".popsection\n");
extern const signed char diff8;
extern const short diff16;

long diffs(long x) { return (diff8 == (char *)&db - (char *)&da) * 2 + (diff16 == (char *)&db - (char *)&da) + x; }

__attribute__((noinline)) static long big(long n) {
    volatile unsigned char buf[128 * 1024];
    for (long i = 0; i < (long)sizeof buf; i += 4096) buf[i] = (unsigned char)(i / 4096 + n);
    long s = 0;
    for (long i = 0; i < (long)sizeof buf; i += 4096) s += buf[i];
    return s;
}

long bigstack(long n) { return big(n); }
