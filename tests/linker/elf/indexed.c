/* Test guest for tests/test_elf.py: metadata v2 imports (PVM_IMPORT_WITH_INDEX), a v1 import with six arguments,
 * an export with a 2-register result, and .polkavm_min_stack_size. Only for the ELF reader: polkavm-linker would reject
 * the mix of indexed and unindexed imports ("import without a specified index"). */
#include <stdint.h>

#include "guest.h"

PVM_IMPORT_WITH_INDEX(7, uint32_t, storage_get, const void *, uint32_t, void *)
PVM_IMPORT_WITH_INDEX(0, void, storage_set, const void *, uint32_t, const void *, uint32_t)
PVM_IMPORT(int64_t, six_args, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)
PVM_MIN_STACK_SIZE(16384)
PVM_MIN_STACK_SIZE(32768)

static uint8_t buffer[32];

static unsigned __int128 wide(uint64_t key) {
    storage_set(&key, 8, buffer, storage_get(&key, 8, buffer));
    return (unsigned __int128)six_args((int64_t)key, 1, 2, 3, 4, 5) << 64 | buffer[0];
}
PVM_EXPORT(unsigned __int128, wide, uint64_t)
