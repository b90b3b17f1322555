/* Test corpus for the RISC-V -> PVM linker. Every exported function takes and returns 64-bit
 * integers so the same calls can be made natively and in pvmkit. Own code, no libc. */
typedef unsigned long u64;
typedef long i64;

static void *my_memset(void *d, int c, u64 n) { unsigned char *p = d; while (n--) *p++ = (unsigned char)c; return d; }
static void *my_memcpy(void *d, const void *s, u64 n) { unsigned char *p = d; const unsigned char *q = s; while (n--) *p++ = *q++; return d; }

i64 arith(i64 a, i64 b) { return (a + b) * (a - b) + (a ^ b) - (a | 7) + (b & 0xff) + (a << 3) - (b >> 2); }
u64 mul64(u64 a, u64 b) { return a * b + (u64)(((unsigned __int128)a * b) >> 64); }
i64 div64(i64 a, i64 b) { if (b == 0) return 0; return a / b + a % b * 3; }
u64 udiv64(u64 a, u64 b) { if (b == 0) return 0; return a / b + a % b; }
i64 div32(i64 a, i64 b) { int x = (int)a, y = (int)b; if (y == 0 || (x == -2147483647 - 1 && y == -1)) return 0; return x / y + x % y; }
u64 bits(u64 x) { return (u64)__builtin_popcountll(x) + ((u64)__builtin_clzll(x | 1) << 8) + ((u64)__builtin_ctzll(x | 0x8000000000000000ul) << 16); }
u64 rotate(u64 x, u64 n) { n &= 63; return (x >> n) | (x << ((64 - n) & 63)); }
i64 minmax(i64 a, i64 b) { i64 lo = a < b ? a : b; i64 hi = a > b ? a : b; u64 ua = (u64)a, ub = (u64)b; return lo * 3 + hi + (i64)(ua < ub ? ua : ub); }
i64 sext(i64 x) { return (i64)(signed char)x + (i64)(short)(x >> 8) + (i64)(int)(x >> 16); }
i64 fib(i64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
i64 fact(i64 n) { i64 r = 1; while (n > 1) r *= n--; return r; }

i64 sw(i64 x) {
    switch (x) {
    case 0: return 11; case 1: return 23; case 2: return 37; case 3: return 41; case 4: return 59;
    case 5: return 61; case 6: return 73; case 7: return 89; case 8: return 97; default: return -1;
    }
}

static i64 add1(i64 x) { return x + 1; }
static i64 dbl(i64 x) { return x * 2; }
static i64 neg(i64 x) { return -x; }
static i64 (*const ops[3])(i64) = {add1, dbl, neg};
i64 fnptr(i64 which, i64 x) { return ops[(u64)which % 3](x); }

static i64 counter;
static i64 table[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
i64 globals(i64 x) { counter += x; table[x & 15] += counter; i64 s = 0; for (int i = 0; i < 16; i++) s += table[i] * i; return s + counter; }

static const char text[] = "the quick brown fox jumps over the lazy dog";
i64 strings(i64 k) { u64 h = 14695981039346656037ul; for (const char *p = text; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ul + (u64)k; return (i64)h; }

static unsigned char buf_a[256], buf_b[256];
i64 memops(i64 n) { n &= 255; my_memset(buf_a, (int)n, 256); for (int i = 0; i < 256; i++) buf_a[i] ^= (unsigned char)i; my_memcpy(buf_b, buf_a, (u64)n); i64 s = 0; for (int i = 0; i < 256; i++) s = s * 31 + buf_b[i]; return s; }

struct point { i64 x, y; int tag; char name[3]; };
static struct point pts[4];
i64 structs(i64 k) { for (int i = 0; i < 4; i++) { pts[i].x = k + i; pts[i].y = k * i; pts[i].tag = i * 7; pts[i].name[i % 3] = (char)('a' + i); } i64 s = 0; for (int i = 0; i < 4; i++) s += pts[i].x * pts[i].y + pts[i].tag + pts[i].name[0] + pts[i].name[1] * 2 + pts[i].name[2] * 3; return s; }

i64 sieve(i64 n) { static unsigned char comp[10000]; if (n > 10000) n = 10000; my_memset(comp, 0, (u64)n); i64 c = 0; for (i64 i = 2; i < n; i++) { if (!comp[i]) { c++; for (i64 j = i * i; j < n; j += i) comp[j] = 1; } } return c; }

#ifndef __clang__
/* gcc has no __atomic_fetch_min/max builtins (clang lowers them to amomin/amomax); same semantics via CAS. */
#define __atomic_fetch_min(p, v, o) ({ __typeof__(*(p)) o_ = *(p), v_ = (v); \
    while (!__atomic_compare_exchange_n((p), &o_, o_ < v_ ? o_ : v_, 0, (o), (o))) {} o_; })
#define __atomic_fetch_max(p, v, o) ({ __typeof__(*(p)) o_ = *(p), v_ = (v); \
    while (!__atomic_compare_exchange_n((p), &o_, o_ > v_ ? o_ : v_, 0, (o), (o))) {} o_; })
#endif

static i64 a64 = 5;
static int a32 = -7;
static unsigned int u32v = 0x80000001u;
i64 atomics(i64 a, i64 b) {
    i64 s = __atomic_fetch_add(&a64, a, __ATOMIC_SEQ_CST);
    s = s * 3 + __atomic_fetch_xor(&a64, b, __ATOMIC_RELAXED);
    s = s * 3 + __atomic_fetch_and(&a64, a | 0xff, __ATOMIC_ACQUIRE);
    s = s * 3 + __atomic_fetch_or(&a64, b << 3, __ATOMIC_RELEASE);
    s = s * 3 + __atomic_exchange_n(&a64, a ^ b, __ATOMIC_ACQ_REL);
    s = s * 3 + __atomic_fetch_add(&a32, (int)a, __ATOMIC_SEQ_CST);
    s = s * 3 + __atomic_fetch_sub(&a32, (int)b, __ATOMIC_SEQ_CST);
    s = s * 3 + __atomic_fetch_xor(&u32v, (unsigned int)b, __ATOMIC_SEQ_CST);
    i64 expected = a64;
    s = s * 3 + __atomic_compare_exchange_n(&a64, &expected, b, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    int e32 = 12345;
    s = s * 3 + __atomic_compare_exchange_n(&a32, &e32, (int)a, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) + e32;
    __atomic_store_n(&u32v, (unsigned int)(a * b), __ATOMIC_SEQ_CST);
    return s * 7 + a64 + a32 + __atomic_load_n(&u32v, __ATOMIC_SEQ_CST);
}
i64 amominmax(i64 a, i64 b) {
    static i64 m64 = 100; static int m32 = -100; static unsigned long mu = 1000; static unsigned int mu32 = 7;
    i64 s = 0, old;
    old = m64; while (!__atomic_compare_exchange_n(&m64, &old, old < a ? old : a, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {}
    s += old;
    s = s * 5 + __atomic_fetch_max(&m64, b, __ATOMIC_SEQ_CST) + __atomic_fetch_min(&m32, (int)a, __ATOMIC_SEQ_CST);
    s = s * 5 + __atomic_fetch_max(&m32, (int)b, __ATOMIC_SEQ_CST) + (i64)__atomic_fetch_min(&mu, (u64)a, __ATOMIC_SEQ_CST);
    s = s * 5 + (i64)__atomic_fetch_max(&mu, (u64)b, __ATOMIC_SEQ_CST) + __atomic_fetch_min(&mu32, (unsigned int)a, __ATOMIC_SEQ_CST);
    s = s * 5 + __atomic_fetch_max(&mu32, (unsigned int)b, __ATOMIC_SEQ_CST);
    return s + m64 + m32 + (i64)mu + mu32;
}
