/* Native driver for the C benchmark suite: `prog N [REPS]` calls bench(N) REPS times (default 1), timing
 * only the call with clock_gettime(CLOCK_MONOTONIC), and prints the checksum and the fastest call's time:
 *   checksum=<bench(N) as a signed 64-bit integer> seconds=<best> reps=<REPS>
 * Built with gcc -O2 as its own translation unit, so bench(N) cannot be inlined or folded into main. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long long bench(long long n);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s N [REPS]\n", argv[0]);
        return 2;
    }
    long long n = strtoll(argv[1], NULL, 10);
    long reps = argc == 3 ? strtol(argv[2], NULL, 10) : 1;
    long long checksum = 0;
    double best = -1.0;
    for (long r = 0; r < reps; r++) {
        double start = now();
        long long result = bench(n);
        double seconds = now() - start;
        if (r > 0 && result != checksum) {
            fprintf(stderr, "bench(%lld) gave %lld, then %lld\n", n, checksum, result);
            return 1;
        }
        checksum = result;
        if (best < 0 || seconds < best) {
            best = seconds;
        }
    }
    printf("checksum=%lld seconds=%.9f reps=%ld\n", checksum, best, reps);
    return 0;
}
