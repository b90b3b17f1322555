/* Our own word-at-a-time memset/memcpy (bench.h) over 16 KiB buffers: one unit = one memset and one memcpy
 * of 12-16 KiB (14 KiB on average) each, at varying offsets: source and destination are equally misaligned
 * (0-7 bytes), so the copy runs a byte head, 8-byte words, then a byte tail. Stresses 64-bit loads and stores. */
#include "bench.h"

#define SIZE 16384

static u8 src[SIZE + 64], dst[SIZE + 64];

i64 bench(i64 n) {
    u64 checksum = 0;
    for (i64 i = 0; i < n; i++) {
        usize off_s = (usize)(i * 7) & 31, off_d = (off_s + 8 * ((usize)i & 3)) & 31;
        usize len = SIZE - ((usize)(i * 977) & 4095);
        b_memset(src + off_s, (int)(i & 0xff) + 1, len);
        src[off_s + ((usize)i & 1023)] = (u8)(i >> 3); /* something memset did not write */
        b_memcpy(dst + off_d, src + off_s, len);
        checksum = checksum * 1099511628211ull + dst[off_d + ((usize)i & 1023)] + dst[off_d + len - 1] + len;
    }
    return (i64)checksum;
}
