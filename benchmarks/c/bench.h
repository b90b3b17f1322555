/* Shared by the C benchmark suite (the .c files next to it, run by `python -m benchmarks --program c`).
 *
 * Every program defines `i64 bench(i64 n)`: n units of a fixed amount of work, returning a checksum that
 * depends on all of it. No libc and no headers: the same source is built by gcc -O2 (x86-64, with
 * driver.c), by clang-19 for wasm32 (run in wasmtime) and by clang-19 for RISC-V, linked into a PolkaVM blob
 * by pvmkit's own linker. `long` is 32 bits on wasm32, so the interface is `long long` (= `long` on the two
 * 64-bit targets) and the checksum is the same 64-bit value everywhere.
 */
#ifndef PVMKIT_BENCH_H_
#define PVMKIT_BENCH_H_

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;
typedef __SIZE_TYPE__ usize;
typedef __UINTPTR_TYPE__ uptr;
/* A 64-bit word that may alias any other object (for word-at-a-time memset/memcpy over byte buffers). */
typedef u64 __attribute__((may_alias)) word;

i64 bench(i64 n);

/* The compilers must not see through these (they are called with run-time sizes) nor replace their loops
 * with libc calls: every target builds with -fno-builtin, gcc also with -fno-tree-loop-distribute-patterns. */
static inline __attribute__((always_inline)) void *b_memset(void *dst, int c, usize n) {
    u8 *d = dst;
    u64 pattern = 0x0101010101010101ull * (u8)c;
    while (n && ((uptr)d & 7)) {
        *d++ = (u8)c;
        n--;
    }
    for (; n >= 8; n -= 8, d += 8) {
        *(word *)d = pattern;
    }
    while (n--) {
        *d++ = (u8)c;
    }
    return dst;
}

static inline __attribute__((always_inline)) void *b_memcpy(void *dst, const void *src, usize n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n && ((uptr)d & 7)) {
        *d++ = *s++;
        n--;
    }
    if (((uptr)s & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            *(word *)d = *(const word *)s;
        }
    }
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

#endif /* PVMKIT_BENCH_H_ */
