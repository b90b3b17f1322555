// Plain integer C: loops, calls, loads/stores of every width, multiply/divide, shifts, comparisons.
#include <stdint.h>

extern int64_t external_function(int64_t, int64_t);

int64_t arith(int64_t a, int64_t b, uint64_t c, uint64_t d) {
    int64_t r = a * b + (a / (b | 1)) - (a % (b | 1));
    r ^= (int64_t)((c / (d | 1)) + (c % (d | 1)));
    r += (int64_t)(((__int128)a * b) >> 64);
    r += (int64_t)(((unsigned __int128)c * d) >> 64);
    r += (int64_t)(((__int128)a * (unsigned __int128)d) >> 64);
    r += (a < b) + (c < d) + (a << (b & 63)) + (int64_t)(c >> (d & 63)) + (a >> (c & 63));
    return r;
}

int32_t arith32(int32_t a, int32_t b, uint32_t c, uint32_t d) {
    int32_t r = a * b + a / (b | 1) - a % (b | 1);
    r += (int32_t)(c / (d | 1) + c % (d | 1));
    r += (a << (b & 31)) + (int32_t)(c >> (d & 31)) + (a >> (c & 31)) + (a - b);
    return r;
}

int64_t loads(const int8_t *p8, const uint8_t *u8, const int16_t *p16, const uint16_t *u16, const int32_t *p32,
              const uint32_t *u32) {
    int64_t s = 0;
    for (int i = 0; i < 100; i++) {
        s += p8[i] + u8[i] + p16[i] + u16[i] + p32[i] + (int64_t)u32[i];
    }
    return s;
}

void stores(int8_t *p8, int16_t *p16, int32_t *p32, int64_t *p64, int64_t v) {
    for (int i = 0; i < 37; i++) {
        p8[i * 3] = (int8_t)v;
        p16[i * 5] = (int16_t)v;
        p32[i * 7] = (int32_t)v;
        p64[i * 11] = v + i;
    }
}

static int64_t table[64];

int64_t fib(int64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int64_t calls(int64_t a, int64_t b) {
    table[a & 63] = external_function(a, b) + fib(b);
    return table[b & 63];
}

int64_t big_constants(int64_t a) {
    return a * 0x123456789abcdefLL + 0x7fffffff + (a & 0xfff00000) + (a | -0x800);
}

uint64_t branches(uint64_t a, uint64_t b, int64_t c, int64_t d) {
    uint64_t r = 0;
    if (a >= b) r += 1;
    if (c >= d) r += 2;
    if (a == b) r += 3;
    if (c != 0) r += 4;
    if ((int64_t)a > 5) r += 5;
    if (b < 1000) r *= 7;
    return r;
}

int64_t switcher(int64_t x) {
    switch (x) {
    case 0: return 10;
    case 1: return fib(x);
    case 2: return 33;
    case 3: return x * 9;
    case 4: return 1234567;
    case 5: return -7;
    default: return 0;
    }
}
