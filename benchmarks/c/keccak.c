/* keccak-f[1600]: one unit = one permutation (24 rounds) of a 25-lane state, fed back into itself.
 * Stresses 64-bit xor/rotate/and-not on more live values than there are registers (spills). */
#include "bench.h"

static const u64 round_constants[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
    0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
    0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};
static const u8 rotations[24] = {1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44};
static const u8 lanes[24] = {10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1};

static inline u64 rotl(u64 x, unsigned k) { return (x << k) | (x >> ((64 - k) & 63)); }

static void keccak_f1600(u64 *a) {
    u64 c[5];
    for (int r = 0; r < 24; r++) {
        for (int x = 0; x < 5; x++) {
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        }
        for (int x = 0; x < 5; x++) {
            u64 d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) {
                a[y + x] ^= d;
            }
        }
        u64 t = a[1];
        for (int i = 0; i < 24; i++) {
            int j = lanes[i];
            u64 next = a[j];
            a[j] = rotl(t, rotations[i]);
            t = next;
        }
        for (int y = 0; y < 25; y += 5) {
            for (int x = 0; x < 5; x++) {
                c[x] = a[y + x];
            }
            for (int x = 0; x < 5; x++) {
                a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
            }
        }
        a[0] ^= round_constants[r];
    }
}

i64 bench(i64 n) {
    u64 state[25];
    for (int i = 0; i < 25; i++) {
        state[i] = 0x9e3779b97f4a7c15ull * (u64)(i + 1);
    }
    u64 checksum = 0;
    for (i64 i = 0; i < n; i++) {
        state[0] ^= (u64)i; /* absorb the block counter */
        keccak_f1600(state);
        checksum += state[0] ^ state[24];
    }
    return (i64)checksum;
}
