/* Oracle kernel for tests/test_linker_oracles.py: one function, `checksum(seed)`, that mixes a few small
 * kernels (64/32-bit arithmetic, division, bit tricks, loops over local and global arrays, recursion, a dense
 * switch, a function-pointer table, byte/half/word loads and stores).  The same source is compiled twice:
 * by clang-19 to an object linked by pvmkit's linker, and (through entry.c) to LLVM IR linked by resolc's
 * embedded polkavm-linker.  Own code, no libc, no floating point. */
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;

#define NOINLINE __attribute__((noinline))

static const unsigned char sbox[16] = {0xc, 0x5, 0x6, 0xb, 0x9, 0x0, 0xa, 0xd, 0x3, 0xe, 0xf, 0x8, 0x4, 0x7, 0x1, 0x2};
static const short wave[8] = {-32768, -1234, -1, 0, 1, 4321, 32767, -77};
static u64 state[8] = {1, 2, 3, 5, 8, 13, 21, 34};
static unsigned char scratch[64];

static NOINLINE u64 mix64(u64 x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdul;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ul;
    return x ^ (x >> 33);
}

static NOINLINE i64 arith(i64 a, i64 b) {
    i64 r = (a + b) * (a - b) + (a ^ ~b) - (a | 0x7f) + (b & -256);
    r += (a << 7) - (b >> 3) + (i64)((u64)a >> 11);
    r += (u64)a < (u64)b ? 17 : -5;
    r += a < b ? 3 : 9;
    u64 hi = (u64)(((unsigned __int128)(u64)a * (u64)b) >> 64);
    i64 shi = (i64)(((__int128)a * b) >> 64);
    return r ^ (i64)hi ^ (shi << 1);
}

static NOINLINE i64 divs(i64 a, i64 b) {
    i64 r = 0;
    if (b != 0 && !(a == (i64)(1ul << 63) && b == -1)) r += a / b + a % b * 7;
    if (b != 0) r += (i64)((u64)a / (u64)b) - (i64)((u64)a % (u64)b);
    i32 x = (i32)a, y = (i32)(b >> 3);
    if (y != 0 && !(x == (i32)0x80000000u && y == -1)) r += x / y - x % y;
    if (y != 0) r += (i64)((u32)x / (u32)y + (u32)x % (u32)y);
    return r;
}

static NOINLINE u64 bits(u64 x) {
    u64 r = (u64)__builtin_popcountll(x) | (u64)__builtin_clzll(x | 1) << 8 | (u64)__builtin_ctzll(x | 1ul << 63) << 16;
    u32 w = (u32)(x >> 17);
    r += (u64)__builtin_popcount(w) << 24 | (u64)__builtin_clz(w | 1) << 32 | (u64)__builtin_ctz(w | 1u << 31) << 40;
    r ^= __builtin_bswap64(x);
    r += (x << 13 | x >> 51) ^ (u64)((u32)x >> 5 | (u32)x << 27);
    r += (u64)(i64)(signed char)x + (u64)(i64)(short)(x >> 8) + (u64)(unsigned short)(x >> 24) + (u64)(i64)(i32)x;
    return r;
}

static NOINLINE u64 word_ops(u64 a, u64 b) {
    u32 x = (u32)a, y = (u32)b;
    i32 sx = (i32)a;
    u64 r = (u64)(i64)(i32)(x + y) + (u64)(i64)(i32)(x - y) + (u64)(i64)(i32)(x * y);
    r ^= (u64)(i64)(i32)(x << (y & 31)) + (u64)(i64)(i32)(x >> (y & 31)) + (u64)(i64)(sx >> (y & 31));
    r += (u64)(x >> 7) + (u64)(i64)(sx >> 9);
    return r;
}

static NOINLINE u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static NOINLINE i64 gcd(i64 a, i64 b) { return b == 0 ? a : gcd(b, a % b); }

static NOINLINE i64 dense_switch(u64 k, i64 v) {
    switch (k & 15) {
    case 0: return v + 1;
    case 1: return v * 3;
    case 2: return v ^ 0x5555;
    case 3: return v - 1000;
    case 4: return v << 2;
    case 5: return v >> 1;
    case 6: return ~v;
    case 7: return -v;
    case 8: return v | 0x100;
    case 9: return v & 0xff00ff;
    case 10: return v * v;
    case 11: return v / 3;
    case 12: return v % 11;
    default: return v + (i64)k;
    }
}

static u64 op_add(u64 a, u64 b) { return a + b; }
static u64 op_xor(u64 a, u64 b) { return a ^ b; }
static u64 op_rot(u64 a, u64 b) { b &= 63; return a << b | a >> ((64 - b) & 63); }
static u64 op_mul(u64 a, u64 b) { return a * (b | 1); }
static u64 op_max(u64 a, u64 b) { return (i64)a > (i64)b ? a : b; }
static u64 (*const ops[5])(u64, u64) = {op_add, op_xor, op_rot, op_mul, op_max};

static NOINLINE u64 memory(u64 seed) {
    for (int i = 0; i < 64; i++) scratch[i] = (unsigned char)(seed >> (i & 56)) ^ sbox[i & 15];
    unsigned short *h = (unsigned short *)(void *)scratch;
    u32 *w = (u32 *)(void *)scratch;
    u64 *d = (u64 *)(void *)scratch;
    h[3] += 0x8001;
    w[5] ^= 0x80000000u;
    d[6] = d[1] + d[2];
    u64 r = 0;
    for (int i = 0; i < 64; i++) r = r * 31 + (u64)(i64)(signed char)scratch[i];
    for (int i = 0; i < 32; i++) r += (u64)(i64)(short)h[i] * (u64)(i + 1);
    for (int i = 0; i < 16; i++) r ^= (u64)(i64)(i32)w[i] + w[i];
    for (int i = 0; i < 8; i++) r += d[i] >> i;
    for (int i = 0; i < 8; i++) r += (u64)(i64)wave[i] * (u64)(i + 3);
    return r;
}

static NOINLINE u64 sort_and_hash(u64 seed) {
    i64 a[12];
    for (int i = 0; i < 12; i++) a[i] = (i64)mix64(seed + (u64)i) >> (i * 3);
    for (int i = 1; i < 12; i++) {
        i64 v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
    u64 h = 14695981039346656037ul;
    for (int i = 0; i < 12; i++) h = (h ^ (u64)a[i]) * 1099511628211ul;
    return h;
}

u64 checksum(u64 seed) {
    u64 acc = mix64(seed);
    for (int round = 0; round < 6; round++) {
        u64 x = mix64(acc + (u64)round);
        acc ^= (u64)arith((i64)x, (i64)(acc >> round));
        acc += (u64)divs((i64)x, (i64)(acc >> (round * 9)) | 1);
        acc ^= bits(x);
        acc += word_ops(x, acc);
        acc += (u64)dense_switch(x >> 7, (i64)acc);
        acc = ops[(x >> 3) % 5](acc, x);
        state[round & 7] += acc;
        acc += state[(round + 3) & 7];
    }
    acc += fib(10 + (seed & 7));
    acc ^= (u64)gcd((i64)(seed % 100000) * 6 + 12, 1836311903);
    acc += memory(acc);
    acc ^= sort_and_hash(acc);
    return acc;
}
