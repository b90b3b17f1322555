/* Prime sieve over a byte array: one unit = one full sieve of Eratosthenes over 32,768 numbers.
 * Stresses byte loads/stores and short data-dependent loops. */
#include "bench.h"

#define SIZE 32768

static u8 composite[SIZE];

i64 bench(i64 n) {
    u64 checksum = 0;
    for (i64 round = 0; round < n; round++) {
        b_memset(composite, 0, SIZE);
        u64 count = 0, last = 0;
        for (u64 i = 2; i < SIZE; i++) {
            if (composite[i]) {
                continue;
            }
            count++;
            last = i;
            for (u64 j = i * i; j < SIZE; j += i) {
                composite[j] = 1;
            }
        }
        checksum = checksum * 31 + count + last + (u64)round;
    }
    return (i64)checksum;
}
