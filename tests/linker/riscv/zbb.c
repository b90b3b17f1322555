// Zbb / XTheadCondMov / atomics from C (builtins).
#include <stdint.h>

uint64_t bits(uint64_t a, uint64_t b, uint32_t c) {
    uint64_t r = (uint64_t)__builtin_clzll(a | 1) + (uint64_t)__builtin_ctzll(b | 1) + (uint64_t)__builtin_popcountll(a);
    r += (uint64_t)__builtin_clz(c | 1) + (uint64_t)__builtin_ctz(c | 1) + (uint64_t)__builtin_popcount(c);
    r ^= __builtin_bswap64(a) + (a & ~b) + (a | ~b) + ~(a ^ b);
    r += (a << (b & 63)) | (a >> ((64 - b) & 63));
    r += (a >> 13) | (a << 51);
    r += (uint32_t)((c << 7) | (c >> 25));
    r += (int64_t)(int8_t)a + (int64_t)(int16_t)b + (uint16_t)c;
    return r;
}

void minmax(int64_t a, int64_t b, uint64_t c, uint64_t d, int64_t *out) {
    out[0] = a < b ? a : b;
    out[1] = a > b ? a : b;
    out[2] = (int64_t)(c < d ? c : d);
    out[3] = (int64_t)(c > d ? c : d);
}

int64_t select(int64_t a, int64_t b, int64_t c) { return c ? a : b; }
int64_t select2(int64_t a, int64_t b, int64_t c) { return c == 0 ? a : b; }

int64_t atomics(int64_t *p, int32_t *q, int64_t v) {
    int64_t r = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_xor(p, v, __ATOMIC_ACQUIRE);
    r += __atomic_fetch_and(p, v, __ATOMIC_RELEASE);
    r += __atomic_fetch_or(p, v, __ATOMIC_RELAXED);
    r += __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);
    r += __atomic_fetch_min(p, v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_max(p, v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_min((uint64_t *)p, (uint64_t)v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_max((uint64_t *)p, (uint64_t)v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_add(q, (int32_t)v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_sub(q, 3, __ATOMIC_SEQ_CST);
    int64_t expected = 5;
    r += __atomic_compare_exchange_n(p, &expected, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    int32_t e32 = 7;
    r += __atomic_compare_exchange_n(q, &e32, (int32_t)v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    r += __atomic_load_n(p, __ATOMIC_ACQUIRE);
    return r;
}
