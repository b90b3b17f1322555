/* Native baseline for the `alu-loop` benchmark program (benchmarks/programs.py: alu_loop).
 *
 * The same algorithm as the PVM program: sum += i; i -= 1; loop while i != 0, for i = n..1, in 64-bit
 * registers. n and the repeat count come from argv and every result is printed, so the compiler can
 * neither fold the loop into n(n+1)/2 at compile time nor drop it. Only the loop is timed
 * (clock_gettime(CLOCK_MONOTONIC) around each repetition).
 *
 * usage: alu_loop N REPS   ->   prints "result=<sum> reps=<REPS> seconds=<total loop time>"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* noinline: one copy of the loop, called with a run-time n, as the PVM program runs it. */
__attribute__((noinline)) static uint64_t alu_loop(uint64_t n) {
    uint64_t sum = 0;
    for (uint64_t i = n; i != 0; i--) {
        sum += i;
    }
    return sum;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s N REPS\n", argv[0]);
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 10);
    long reps = strtol(argv[2], NULL, 10);
    uint64_t result = 0, check = 0;
    double seconds = 0.0;
    for (long r = 0; r < reps; r++) {
        double start = now();
        result = alu_loop(n);
        seconds += now() - start;
        check ^= result + (uint64_t)r; /* every repetition's result is used */
    }
    printf("result=%llu reps=%ld seconds=%.9f check=%llu\n", (unsigned long long)result, reps, seconds,
           (unsigned long long)check);
    return 0;
}
