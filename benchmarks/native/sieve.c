/* Native baseline for the `sieve` benchmark program (benchmarks/programs.py: sieve).
 *
 * The same algorithm as the PVM program: a byte array flags[0..n) (zeroed, as fresh PVM rw data is);
 * for i = 2..n-1: if flags[i] == 0, count it and set flags[j] = 1 for j = i*i, i*i+i, ... < n.
 * n and the repeat count come from argv and the count is printed. The array is cleared before each
 * repetition, outside the timed region; only the sieve loop is timed (clock_gettime(CLOCK_MONOTONIC)).
 *
 * usage: sieve N REPS   ->   prints "result=<primes below N> reps=<REPS> seconds=<total sieve time>"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((noinline)) static uint64_t sieve(uint8_t *flags, uint64_t n) {
    uint64_t count = 0;
    for (uint64_t i = 2; i < n; i++) {
        if (flags[i] != 0) {
            continue; /* composite */
        }
        count++;
        for (uint64_t j = i * i; j < n; j += i) {
            flags[j] = 1;
        }
    }
    return count;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s N REPS\n", argv[0]);
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 10);
    long reps = strtol(argv[2], NULL, 10);
    uint8_t *flags = malloc(n ? n : 1);
    if (flags == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint64_t result = 0, check = 0;
    double seconds = 0.0;
    for (long r = 0; r < reps; r++) {
        memset(flags, 0, n);
        double start = now();
        result = sieve(flags, n);
        seconds += now() - start;
        check ^= result + (uint64_t)r;
    }
    printf("result=%llu reps=%ld seconds=%.9f check=%llu\n", (unsigned long long)result, reps, seconds,
           (unsigned long long)check);
    free(flags);
    return 0;
}
