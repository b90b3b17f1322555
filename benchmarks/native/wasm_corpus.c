/* A wasm module for the compile-speed comparison with wasmtime (benchmarks/jit.py).
 *
 * Ordinary freestanding C of the kind contracts are made of (hashing, 256-bit arithmetic, byte
 * codecs, sorting and searching, a small bytecode interpreter), compiled by
 *   clang-19 --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-all
 * so that the wasm is real compiler output of a size comparable to the ERC-20 contract's PVM code.
 * Nothing here is ever run; only wasmtime's compile time of the resulting module is measured.
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char i8;
typedef short i16;
typedef int i32;
typedef long long i64;
typedef unsigned long usize;

/* -nostdlib: clang may still emit calls to these for loops it recognises. */
void *memcpy(void *dst, const void *src, usize n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, usize n) {
    u8 *d = dst;
    const u8 *s = src;
    if (d < s) {
        while (n--) {
            *d++ = *s++;
        }
    } else {
        while (n--) {
            d[n] = s[n];
        }
    }
    return dst;
}

void *memset(void *dst, int c, usize n) {
    u8 *d = dst;
    while (n--) {
        *d++ = (u8)c;
    }
    return dst;
}

int memcmp(const void *a, const void *b, usize n) {
    const u8 *x = a, *y = b;
    for (usize i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ Keccak-256 */

static const u64 KECCAK_RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
static const u32 KECCAK_ROT[25] = {0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14};

static u64 rotl64(u64 x, u32 n) { return n ? (x << n) | (x >> (64 - n)) : x; }

void keccak_f1600(u64 st[25]) {
    u64 c[5], d[5], b[25];
    for (int round = 0; round < 24; round++) {
        for (int x = 0; x < 5; x++) {
            c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
        }
        for (int x = 0; x < 5; x++) {
            d[x] = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
        }
        for (int i = 0; i < 25; i++) {
            st[i] ^= d[i % 5];
        }
        for (int x = 0; x < 5; x++) {
            for (int y = 0; y < 5; y++) {
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(st[x + 5 * y], KECCAK_ROT[x + 5 * y]);
            }
        }
        for (int x = 0; x < 5; x++) {
            for (int y = 0; y < 5; y++) {
                st[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
            }
        }
        st[0] ^= KECCAK_RC[round];
    }
}

void keccak256(const u8 *in, usize len, u8 out[32]) {
    u64 st[25];
    memset(st, 0, sizeof st);
    const usize rate = 136;
    while (len >= rate) {
        for (usize i = 0; i < rate / 8; i++) {
            u64 w = 0;
            for (int k = 7; k >= 0; k--) {
                w = (w << 8) | in[i * 8 + k];
            }
            st[i] ^= w;
        }
        keccak_f1600(st);
        in += rate;
        len -= rate;
    }
    u8 block[136];
    memset(block, 0, rate);
    memcpy(block, in, len);
    block[len] ^= 0x01;
    block[rate - 1] ^= 0x80;
    for (usize i = 0; i < rate / 8; i++) {
        u64 w = 0;
        for (int k = 7; k >= 0; k--) {
            w = (w << 8) | block[i * 8 + k];
        }
        st[i] ^= w;
    }
    keccak_f1600(st);
    for (int i = 0; i < 32; i++) {
        out[i] = (u8)(st[i / 8] >> (8 * (i % 8)));
    }
}

u32 function_selector(const char *signature) {
    usize n = 0;
    while (signature[n]) {
        n++;
    }
    u8 h[32];
    keccak256((const u8 *)signature, n, h);
    return ((u32)h[0] << 24) | ((u32)h[1] << 16) | ((u32)h[2] << 8) | h[3];
}

/* ------------------------------------------------------------------ SHA-256 */

static const u32 SHA_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static u32 rotr32(u32 x, u32 n) { return (x >> n) | (x << (32 - n)); }

void sha256_block(u32 h[8], const u8 *p) {
    u32 w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = ((u32)p[4 * i] << 24) | ((u32)p[4 * i + 1] << 16) | ((u32)p[4 * i + 2] << 8) | p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        u32 s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        u32 s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        u32 t1 = hh + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + ((e & f) ^ (~e & g)) + SHA_K[i] + w[i];
        u32 t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void sha256(const u8 *in, usize len, u8 out[32]) {
    u32 h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    usize total = len;
    while (len >= 64) {
        sha256_block(h, in);
        in += 64;
        len -= 64;
    }
    u8 block[128];
    memset(block, 0, sizeof block);
    memcpy(block, in, len);
    block[len] = 0x80;
    usize blocks = len + 9 > 64 ? 2 : 1;
    u64 bits = (u64)total * 8;
    for (int i = 0; i < 8; i++) {
        block[blocks * 64 - 1 - i] = (u8)(bits >> (8 * i));
    }
    for (usize i = 0; i < blocks; i++) {
        sha256_block(h, block + 64 * i);
    }
    for (int i = 0; i < 32; i++) {
        out[i] = (u8)(h[i / 4] >> (24 - 8 * (i % 4)));
    }
}

/* ------------------------------------------------------------------ 256-bit unsigned arithmetic (EVM words) */

typedef struct {
    u64 w[4]; /* little-endian limbs */
} u256;

u256 u256_from_u64(u64 x) {
    u256 r = {{x, 0, 0, 0}};
    return r;
}

int u256_is_zero(const u256 *a) { return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0; }

int u256_cmp(const u256 *a, const u256 *b) {
    for (int i = 3; i >= 0; i--) {
        if (a->w[i] != b->w[i]) {
            return a->w[i] < b->w[i] ? -1 : 1;
        }
    }
    return 0;
}

u256 u256_add(u256 a, u256 b, int *carry_out) {
    u256 r;
    u64 carry = 0;
    for (int i = 0; i < 4; i++) {
        u64 s = a.w[i] + carry;
        u64 c1 = s < carry;
        r.w[i] = s + b.w[i];
        carry = c1 | (r.w[i] < s);
    }
    if (carry_out) {
        *carry_out = (int)carry;
    }
    return r;
}

u256 u256_sub(u256 a, u256 b, int *borrow_out) {
    u256 r;
    u64 borrow = 0;
    for (int i = 0; i < 4; i++) {
        u64 d = a.w[i] - b.w[i];
        u64 b1 = a.w[i] < b.w[i];
        r.w[i] = d - borrow;
        borrow = b1 | (d < borrow);
    }
    if (borrow_out) {
        *borrow_out = (int)borrow;
    }
    return r;
}

static u64 mul64_hi(u64 a, u64 b, u64 *lo) {
    u64 a0 = (u32)a, a1 = a >> 32, b0 = (u32)b, b1 = b >> 32;
    u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    u64 mid = (p00 >> 32) + (u32)p01 + (u32)p10;
    *lo = (mid << 32) | (u32)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

u256 u256_mul(u256 a, u256 b) {
    u256 r = {{0, 0, 0, 0}};
    for (int i = 0; i < 4; i++) {
        u64 carry = 0;
        for (int j = 0; i + j < 4; j++) {
            u64 lo, hi = mul64_hi(a.w[i], b.w[j], &lo);
            u64 t = r.w[i + j] + lo;
            hi += t < lo;
            t += carry;
            hi += t < carry;
            r.w[i + j] = t;
            carry = hi;
        }
    }
    return r;
}

u256 u256_shl(u256 a, u32 n) {
    u256 r = {{0, 0, 0, 0}};
    if (n >= 256) {
        return r;
    }
    u32 limbs = n / 64, bits = n % 64;
    for (int i = 3; i >= (int)limbs; i--) {
        u64 v = a.w[i - limbs] << bits;
        if (bits && i - (int)limbs - 1 >= 0) {
            v |= a.w[i - limbs - 1] >> (64 - bits);
        }
        r.w[i] = v;
    }
    return r;
}

u256 u256_shr(u256 a, u32 n) {
    u256 r = {{0, 0, 0, 0}};
    if (n >= 256) {
        return r;
    }
    u32 limbs = n / 64, bits = n % 64;
    for (u32 i = 0; i + limbs < 4; i++) {
        u64 v = a.w[i + limbs] >> bits;
        if (bits && i + limbs + 1 < 4) {
            v |= a.w[i + limbs + 1] << (64 - bits);
        }
        r.w[i] = v;
    }
    return r;
}

u32 u256_bit_length(const u256 *a) {
    for (int i = 3; i >= 0; i--) {
        if (a->w[i]) {
            return (u32)(64 * i + 64 - __builtin_clzll(a->w[i]));
        }
    }
    return 0;
}

/* Shift-subtract long division: EVM DIV/MOD semantics (x / 0 = 0, x % 0 = 0). */
u256 u256_divmod(u256 a, u256 b, u256 *rem) {
    u256 q = {{0, 0, 0, 0}}, r = {{0, 0, 0, 0}};
    if (u256_is_zero(&b)) {
        if (rem) {
            *rem = r;
        }
        return q;
    }
    for (int i = (int)u256_bit_length(&a) - 1; i >= 0; i--) {
        r = u256_shl(r, 1);
        r.w[0] |= (a.w[i / 64] >> (i % 64)) & 1;
        if (u256_cmp(&r, &b) >= 0) {
            r = u256_sub(r, b, 0);
            q.w[i / 64] |= 1ULL << (i % 64);
        }
    }
    if (rem) {
        *rem = r;
    }
    return q;
}

u256 u256_addmod(u256 a, u256 b, u256 m) {
    u256 r;
    u256_divmod(a, m, &a);
    u256_divmod(b, m, &b);
    int carry;
    u256 s = u256_add(a, b, &carry);
    if (carry || u256_cmp(&s, &m) >= 0) {
        s = u256_sub(s, m, 0);
    }
    u256_divmod(s, m, &r);
    return r;
}

u256 u256_mulmod(u256 a, u256 b, u256 m) {
    u256 result = {{0, 0, 0, 0}};
    u256_divmod(a, m, &a);
    for (int i = (int)u256_bit_length(&b) - 1; i >= 0; i--) {
        result = u256_addmod(result, result, m);
        if ((b.w[i / 64] >> (i % 64)) & 1) {
            result = u256_addmod(result, a, m);
        }
    }
    return result;
}

u256 u256_exp(u256 base, u256 e) {
    u256 r = u256_from_u64(1);
    while (!u256_is_zero(&e)) {
        if (e.w[0] & 1) {
            r = u256_mul(r, base);
        }
        base = u256_mul(base, base);
        e = u256_shr(e, 1);
    }
    return r;
}

u256 u256_sdiv(u256 a, u256 b) {
    int na = (int)(a.w[3] >> 63), nb = (int)(b.w[3] >> 63);
    u256 zero = {{0, 0, 0, 0}};
    if (na) {
        a = u256_sub(zero, a, 0);
    }
    if (nb) {
        b = u256_sub(zero, b, 0);
    }
    u256 q = u256_divmod(a, b, 0);
    return na != nb ? u256_sub(zero, q, 0) : q;
}

u256 u256_signextend(u32 byte_index, u256 x) {
    if (byte_index >= 31) {
        return x;
    }
    u32 bit = byte_index * 8 + 7;
    int neg = (int)((x.w[bit / 64] >> (bit % 64)) & 1);
    for (u32 i = bit + 1; i < 256; i++) {
        if (neg) {
            x.w[i / 64] |= 1ULL << (i % 64);
        } else {
            x.w[i / 64] &= ~(1ULL << (i % 64));
        }
    }
    return x;
}

void u256_to_be(const u256 *a, u8 out[32]) {
    for (int i = 0; i < 32; i++) {
        out[31 - i] = (u8)(a->w[i / 8] >> (8 * (i % 8)));
    }
}

u256 u256_from_be(const u8 in[32]) {
    u256 r = {{0, 0, 0, 0}};
    for (int i = 0; i < 32; i++) {
        r.w[i / 8] |= (u64)in[31 - i] << (8 * (i % 8));
    }
    return r;
}

/* Decimal string of a u256; returns the length written (buffer must hold 79 bytes). */
usize u256_to_decimal(u256 a, char *out) {
    char tmp[80];
    usize n = 0;
    u256 ten = u256_from_u64(10);
    do {
        u256 r;
        a = u256_divmod(a, ten, &r);
        tmp[n++] = (char)('0' + r.w[0]);
    } while (!u256_is_zero(&a));
    for (usize i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    out[n] = 0;
    return n;
}

/* ------------------------------------------------------------------ ABI and byte codecs */

static const char HEX[] = "0123456789abcdef";

usize hex_encode(const u8 *in, usize len, char *out) {
    for (usize i = 0; i < len; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 15];
    }
    out[2 * len] = 0;
    return 2 * len;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

i64 hex_decode(const char *in, usize len, u8 *out) {
    if (len % 2) {
        return -1;
    }
    for (usize i = 0; i < len / 2; i++) {
        int hi = hex_digit(in[2 * i]), lo = hex_digit(in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (u8)(hi << 4 | lo);
    }
    return (i64)(len / 2);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

usize base64_encode(const u8 *in, usize len, char *out) {
    usize o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        u32 v = (u32)in[i] << 16 | (u32)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (i < len) {
        u32 v = (u32)in[i] << 16 | (i + 1 < len ? (u32)in[i + 1] << 8 : 0);
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? B64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

/* Number of UTF-8 code points, or -1 if the bytes are not valid UTF-8. */
i64 utf8_length(const u8 *s, usize len) {
    i64 count = 0;
    usize i = 0;
    while (i < len) {
        u8 c = s[i];
        usize n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > len) {
            return -1;
        }
        for (usize k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return -1;
            }
        }
        i += n;
        count++;
    }
    return count;
}

/* ABI: read a uint256 head word at `offset`, check it fits in 64 bits. */
i64 abi_read_u64(const u8 *data, usize len, usize offset, u64 *out) {
    if (offset + 32 > len) {
        return -1;
    }
    for (int i = 0; i < 24; i++) {
        if (data[offset + i]) {
            return -2;
        }
    }
    u64 v = 0;
    for (int i = 24; i < 32; i++) {
        v = v << 8 | data[offset + i];
    }
    *out = v;
    return 0;
}

/* ABI: a dynamic `bytes` argument: head holds the offset, the tail the length then the data. */
i64 abi_read_bytes(const u8 *data, usize len, usize head, const u8 **ptr, u64 *size) {
    u64 off, n;
    if (abi_read_u64(data, len, head, &off) || abi_read_u64(data, len, (usize)off, &n)) {
        return -1;
    }
    if (off + 32 + n > len) {
        return -1;
    }
    *ptr = data + off + 32;
    *size = n;
    return 0;
}

usize abi_encode_transfer(const u8 to[20], u256 amount, u8 *out) {
    u32 sel = 0xa9059cbb;
    out[0] = (u8)(sel >> 24), out[1] = (u8)(sel >> 16), out[2] = (u8)(sel >> 8), out[3] = (u8)sel;
    memset(out + 4, 0, 12);
    memcpy(out + 16, to, 20);
    u256_to_be(&amount, out + 36);
    return 68;
}

u32 crc32(const u8 *p, usize len) {
    u32 crc = 0xFFFFFFFFu;
    for (usize i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
        }
    }
    return ~crc;
}

u32 adler32(const u8 *p, usize len) {
    u32 a = 1, b = 0;
    for (usize i = 0; i < len; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

/* RLP length prefix of a byte string (Ethereum's encoding); returns the header size written. */
usize rlp_header(usize len, u8 first, u8 *out) {
    if (len == 1 && first < 0x80) {
        return 0;
    }
    if (len < 56) {
        out[0] = (u8)(0x80 + len);
        return 1;
    }
    u8 tmp[8];
    usize n = 0;
    while (len) {
        tmp[n++] = (u8)len;
        len >>= 8;
    }
    out[0] = (u8)(0xb7 + n);
    for (usize i = 0; i < n; i++) {
        out[1 + i] = tmp[n - 1 - i];
    }
    return 1 + n;
}

/* ------------------------------------------------------------------ typed array routines */

#define ARRAY_ROUTINES(T, NAME)                                                   \
    void NAME##_insertion_sort(T *a, usize n) {                                  \
        for (usize i = 1; i < n; i++) {                                          \
            T v = a[i];                                                          \
            usize j = i;                                                         \
            while (j > 0 && a[j - 1] > v) {                                      \
                a[j] = a[j - 1];                                                 \
                j--;                                                             \
            }                                                                    \
            a[j] = v;                                                            \
        }                                                                        \
    }                                                                            \
    static void NAME##_sift_down(T *a, usize start, usize end) {                 \
        usize root = start;                                                      \
        while (2 * root + 1 < end) {                                             \
            usize child = 2 * root + 1, best = root;                             \
            if (a[best] < a[child]) {                                            \
                best = child;                                                    \
            }                                                                    \
            if (child + 1 < end && a[best] < a[child + 1]) {                     \
                best = child + 1;                                                \
            }                                                                    \
            if (best == root) {                                                  \
                return;                                                          \
            }                                                                    \
            T t = a[root];                                                       \
            a[root] = a[best];                                                   \
            a[best] = t;                                                         \
            root = best;                                                         \
        }                                                                        \
    }                                                                            \
    void NAME##_heap_sort(T *a, usize n) {                                       \
        for (usize s = n / 2; s-- > 0;) {                                        \
            NAME##_sift_down(a, s, n);                                           \
        }                                                                        \
        for (usize end = n; end-- > 1;) {                                        \
            T t = a[0];                                                          \
            a[0] = a[end];                                                       \
            a[end] = t;                                                          \
            NAME##_sift_down(a, 0, end);                                         \
        }                                                                        \
    }                                                                            \
    void NAME##_quick_sort(T *a, usize n) {                                      \
        while (n > 16) {                                                         \
            T pivot = a[n / 2];                                                  \
            usize i = 0, j = n - 1;                                              \
            for (;;) {                                                           \
                while (a[i] < pivot) {                                           \
                    i++;                                                         \
                }                                                                \
                while (a[j] > pivot) {                                           \
                    j--;                                                         \
                }                                                                \
                if (i >= j) {                                                    \
                    break;                                                       \
                }                                                                \
                T t = a[i];                                                      \
                a[i] = a[j];                                                     \
                a[j] = t;                                                        \
                i++;                                                             \
                j--;                                                             \
            }                                                                    \
            NAME##_quick_sort(a, j + 1);                                         \
            a += j + 1;                                                          \
            n -= j + 1;                                                          \
        }                                                                        \
        NAME##_insertion_sort(a, n);                                             \
    }                                                                            \
    i64 NAME##_binary_search(const T *a, usize n, T key) {                       \
        usize lo = 0, hi = n;                                                    \
        while (lo < hi) {                                                        \
            usize mid = lo + (hi - lo) / 2;                                      \
            if (a[mid] < key) {                                                  \
                lo = mid + 1;                                                    \
            } else if (a[mid] > key) {                                           \
                hi = mid;                                                        \
            } else {                                                             \
                return (i64)mid;                                                 \
            }                                                                    \
        }                                                                        \
        return -1;                                                               \
    }                                                                            \
    T NAME##_sum(const T *a, usize n) {                                          \
        T s = 0;                                                                 \
        for (usize i = 0; i < n; i++) {                                          \
            s += a[i];                                                           \
        }                                                                        \
        return s;                                                                \
    }                                                                            \
    T NAME##_max(const T *a, usize n) {                                          \
        T m = a[0];                                                              \
        for (usize i = 1; i < n; i++) {                                          \
            m = a[i] > m ? a[i] : m;                                             \
        }                                                                        \
        return m;                                                                \
    }                                                                            \
    void NAME##_reverse(T *a, usize n) {                                         \
        for (usize i = 0; i < n / 2; i++) {                                      \
            T t = a[i];                                                          \
            a[i] = a[n - 1 - i];                                                 \
            a[n - 1 - i] = t;                                                    \
        }                                                                        \
    }                                                                            \
    void NAME##_rotate(T *a, usize n, usize k) {                                 \
        if (n == 0) {                                                            \
            return;                                                              \
        }                                                                        \
        k %= n;                                                                  \
        NAME##_reverse(a, k);                                                    \
        NAME##_reverse(a + k, n - k);                                            \
        NAME##_reverse(a, n);                                                    \
    }                                                                            \
    usize NAME##_unique(T *a, usize n) {                                         \
        if (n == 0) {                                                            \
            return 0;                                                            \
        }                                                                        \
        usize w = 1;                                                             \
        for (usize i = 1; i < n; i++) {                                          \
            if (a[i] != a[w - 1]) {                                              \
                a[w++] = a[i];                                                   \
            }                                                                    \
        }                                                                        \
        return w;                                                                \
    }                                                                            \
    void NAME##_prefix_sum(T *a, usize n) {                                      \
        for (usize i = 1; i < n; i++) {                                          \
            a[i] += a[i - 1];                                                    \
        }                                                                        \
    }                                                                            \
    usize NAME##_count_less(const T *a, usize n, T key) {                        \
        usize c = 0;                                                             \
        for (usize i = 0; i < n; i++) {                                          \
            c += a[i] < key;                                                     \
        }                                                                        \
        return c;                                                                \
    }

ARRAY_ROUTINES(u8, u8s)
ARRAY_ROUTINES(i8, i8s)
ARRAY_ROUTINES(u16, u16s)
ARRAY_ROUTINES(i16, i16s)
ARRAY_ROUTINES(u32, u32s)
ARRAY_ROUTINES(i32, i32s)
ARRAY_ROUTINES(u64, u64s)
ARRAY_ROUTINES(i64, i64s)

/* ------------------------------------------------------------------ the benchmark kernels */

u64 alu_loop(u64 n) {
    u64 sum = 0;
    for (u64 i = n; i != 0; i--) {
        sum += i;
    }
    return sum;
}

u64 sieve(u8 *flags, u64 n) {
    u64 count = 0;
    for (u64 i = 2; i < n; i++) {
        if (flags[i]) {
            continue;
        }
        count++;
        for (u64 j = i * i; j < n; j += i) {
            flags[j] = 1;
        }
    }
    return count;
}

/* ------------------------------------------------------------------ a tiny stack-machine interpreter */

enum { OP_HALT, OP_PUSH, OP_POP, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR,
       OP_LT, OP_GT, OP_EQ, OP_ISZERO, OP_DUP, OP_SWAP, OP_JUMP, OP_JUMPI, OP_LOAD, OP_STORE, OP_HASH };

i64 run_stack_machine(const u8 *code, usize len, u64 *memory, usize memory_words, u64 *result, u64 gas) {
    u64 stack[256];
    usize sp = 0, pc = 0;
    while (pc < len) {
        if (gas-- == 0) {
            return -3;
        }
        u8 op = code[pc++];
        u64 a, b;
        switch (op) {
        case OP_HALT:
            *result = sp ? stack[sp - 1] : 0;
            return 0;
        case OP_PUSH:
            if (pc + 8 > len || sp >= 256) {
                return -1;
            }
            a = 0;
            for (int i = 0; i < 8; i++) {
                a = a << 8 | code[pc + i];
            }
            pc += 8;
            stack[sp++] = a;
            break;
        case OP_POP:
            if (!sp) {
                return -2;
            }
            sp--;
            break;
        case OP_DUP:
            if (!sp || sp >= 256) {
                return -2;
            }
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case OP_SWAP:
            if (sp < 2) {
                return -2;
            }
            a = stack[sp - 1];
            stack[sp - 1] = stack[sp - 2];
            stack[sp - 2] = a;
            break;
        case OP_ISZERO:
            if (!sp) {
                return -2;
            }
            stack[sp - 1] = stack[sp - 1] == 0;
            break;
        case OP_JUMP:
            if (!sp) {
                return -2;
            }
            pc = (usize)stack[--sp];
            break;
        case OP_JUMPI:
            if (sp < 2) {
                return -2;
            }
            a = stack[--sp];
            b = stack[--sp];
            if (b) {
                pc = (usize)a;
            }
            break;
        case OP_LOAD:
            if (!sp || stack[sp - 1] >= memory_words) {
                return -2;
            }
            stack[sp - 1] = memory[stack[sp - 1]];
            break;
        case OP_STORE:
            if (sp < 2 || stack[sp - 1] >= memory_words) {
                return -2;
            }
            memory[stack[sp - 1]] = stack[sp - 2];
            sp -= 2;
            break;
        case OP_HASH: {
            if (!sp) {
                return -2;
            }
            u8 buf[8], h[32];
            for (int i = 0; i < 8; i++) {
                buf[i] = (u8)(stack[sp - 1] >> (8 * i));
            }
            keccak256(buf, 8, h);
            a = 0;
            for (int i = 0; i < 8; i++) {
                a = a << 8 | h[i];
            }
            stack[sp - 1] = a;
            break;
        }
        default:
            if (sp < 2) {
                return -2;
            }
            b = stack[--sp];
            a = stack[sp - 1];
            switch (op) {
            case OP_ADD: a += b; break;
            case OP_SUB: a -= b; break;
            case OP_MUL: a *= b; break;
            case OP_DIV: a = b ? a / b : 0; break;
            case OP_MOD: a = b ? a % b : 0; break;
            case OP_AND: a &= b; break;
            case OP_OR: a |= b; break;
            case OP_XOR: a ^= b; break;
            case OP_SHL: a = b < 64 ? a << b : 0; break;
            case OP_SHR: a = b < 64 ? a >> b : 0; break;
            case OP_LT: a = a < b; break;
            case OP_GT: a = a > b; break;
            case OP_EQ: a = a == b; break;
            default: return -4;
            }
            stack[sp - 1] = a;
        }
    }
    return -5;
}

/* ------------------------------------------------------------------ a fixed-size open-addressing map */

#define MAP_SLOTS 1024

typedef struct {
    u8 used[MAP_SLOTS];
    u256 keys[MAP_SLOTS];
    u256 values[MAP_SLOTS];
} storage_map;

static u32 map_slot(const u256 *key) {
    u8 be[32], h[32];
    u256_to_be(key, be);
    keccak256(be, 32, h);
    return ((u32)h[0] << 8 | h[1]) % MAP_SLOTS;
}

int map_put(storage_map *m, u256 key, u256 value) {
    u32 s = map_slot(&key);
    for (u32 probe = 0; probe < MAP_SLOTS; probe++, s = (s + 1) % MAP_SLOTS) {
        if (!m->used[s] || u256_cmp(&m->keys[s], &key) == 0) {
            m->used[s] = 1;
            m->keys[s] = key;
            m->values[s] = value;
            return 0;
        }
    }
    return -1;
}

u256 map_get(const storage_map *m, u256 key) {
    u32 s = map_slot(&key);
    for (u32 probe = 0; probe < MAP_SLOTS && m->used[s]; probe++, s = (s + 1) % MAP_SLOTS) {
        if (u256_cmp(&m->keys[s], &key) == 0) {
            return m->values[s];
        }
    }
    return u256_from_u64(0);
}

/* ERC-20 style transfer on the map: balances keyed by address (as a u256). */
int token_transfer(storage_map *balances, u256 from, u256 to, u256 amount) {
    u256 fb = map_get(balances, from);
    if (u256_cmp(&fb, &amount) < 0) {
        return -1;
    }
    int carry;
    u256 tb = map_get(balances, to);
    u256 nt = u256_add(tb, amount, &carry);
    if (carry) {
        return -2;
    }
    map_put(balances, from, u256_sub(fb, amount, 0));
    map_put(balances, to, nt);
    return 0;
}
