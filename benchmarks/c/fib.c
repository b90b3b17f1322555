/* Recursive Fibonacci: one unit = fib(20), i.e. 21,891 calls. Stresses calls, returns and the stack.
 * `depth` is volatile so that no compiler can evaluate fib(20) once and reuse it. */
#include "bench.h"

static volatile i64 depth = 20;

static __attribute__((noinline)) i64 fib(i64 k) { return k < 2 ? k : fib(k - 1) + fib(k - 2); }

i64 bench(i64 n) {
    u64 checksum = 0;
    for (i64 i = 0; i < n; i++) {
        checksum = checksum * 3 + (u64)fib(depth);
    }
    return (i64)checksum;
}
