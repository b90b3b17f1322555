/* resolc oracle guest: `__entry` (resolc's runtime exports it as `call` and `deploy`) runs checksum() on a fixed
 * list of seeds and returns the results, 8 bytes little-endian each, through the host's `seal_return`:
 * `call` returns checksum(seed), `deploy` checksum(seed + 1).  (is_deploy must be used: when `call` and `deploy`
 * do the same thing, resolc 0.3.0's polkavm-linker 0.24.0 panics with "inconsistent reachability after
 * optimization".)  Rebuilt by build_resolc.py; the seeds must match SEEDS in tests/test_linker_oracles.py. */
#include "kernel.c"
#include "guest.h"

PVM_IMPORT(void, seal_return, u32, u32, u32)

static const u64 seeds[] = {0, 1, 2, 42, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0x0123456789abcdef};
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))
static u64 results[NSEEDS];

void __entry(_Bool is_deploy) {
    for (unsigned i = 0; i < NSEEDS; i++) results[i] = checksum(seeds[i] + is_deploy);
    seal_return(0, (u32)(u64)results, (u32)sizeof(results));
}
