/* 64-bit multiply-heavy code: one unit = one xorshift64* step whose output is multiplied 64x64->128 by a
 * constant and the two halves mul-accumulated into a 128-bit sum. wasm32 has no 64x64->128 multiply (clang
 * would call compiler-rt's __multi3), so there the high half is computed from 32-bit partial products. */
#include "bench.h"

static inline u64 mul_hi(u64 a, u64 b) {
#if defined(__SIZEOF_INT128__) && !defined(__wasm__)
    return (u64)(((unsigned __int128)a * b) >> 64);
#else
    u64 a_lo = (u32)a, a_hi = a >> 32, b_lo = (u32)b, b_hi = b >> 32;
    u64 lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    u64 cross = (lo_lo >> 32) + (u32)hi_lo + lo_hi;
    return (hi_lo >> 32) + (cross >> 32) + hi_hi;
#endif
}

i64 bench(i64 n) {
    u64 x = 0x853c49e6748fea9bull, sum_lo = 0, sum_hi = 0;
    for (i64 i = 0; i < n; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        u64 r = x * 0x2545f4914f6cdd1dull;
        u64 lo = r * 0x9e3779b97f4a7c15ull, hi = mul_hi(r, 0x9e3779b97f4a7c15ull);
        u64 before = sum_lo;
        sum_lo += lo;
        sum_hi += hi + (sum_lo < before);
    }
    return (i64)(sum_lo ^ (sum_hi * 0xff51afd7ed558ccdull) ^ x);
}
