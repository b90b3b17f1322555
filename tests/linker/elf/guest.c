/* Test guest for tests/test_elf.py: 2 imports and 4 exports through pvmkit/linker/guest.h, .data/.rodata/.bss,
 * a function-pointer table (R_RISCV_64 / R_RISCV_RELATIVE), global accesses (PCREL_HI20/LO12, or HI20/LO12 without
 * -fpic, GOT_HI20 without -fvisibility=hidden), calls (CALL_PLT, JAL after linking), a switch jump table
 * (ADD32/SUB32 label differences) and a compressible null test (RVC_BRANCH). */
#include <stdint.h>

#include "guest.h"

PVM_IMPORT(uint64_t, host_add, uint64_t, uint64_t)
PVM_IMPORT(void, host_log, const char *, uint32_t)

static int32_t counter = 5;
static const char greeting[] = "hello, pvm";
static uint64_t scratch[16];
uint64_t shared_value = 7;

static uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
static uint64_t op_sub(uint64_t a, uint64_t b) { return a - b; }
static uint64_t op_mul(uint64_t a, uint64_t b) { return a * b; }
static uint64_t (*const ops[3])(uint64_t, uint64_t) = {op_add, op_sub, op_mul};

__attribute__((noinline)) static uint64_t fib(uint64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint64_t entry(uint64_t which, uint64_t x) {
    counter += 1;
    scratch[x & 15] = which;
    host_log(greeting, sizeof(greeting) - 1);
    return host_add(ops[which % 3](x, (uint64_t)counter), fib(x & 7));
}
PVM_EXPORT(uint64_t, entry, uint64_t, uint64_t)

static void sum_loop(void) {
    uint64_t s = 0;
    for (int i = 0; i < 16; i++) s += scratch[i];
    counter = (int32_t)s;
}
PVM_EXPORT(void, sum_loop)

static uint64_t classify(uint64_t x) {
    switch (x) {
    case 0: return 11;
    case 1: return shared_value;
    case 2: return 3 * x + 1;
    case 3: return x ^ 0x55;
    case 4: return fib(x);
    case 5: return x << 7;
    case 6: return (uint64_t)counter;
    default: return 0;
    }
}

static uint64_t dispatch(uint64_t x) {
    if (x == 0) return 1;
    return classify(x) + shared_value;
}
PVM_EXPORT(uint64_t, dispatch, uint64_t)

struct node {
    struct node *next;
    uint64_t value;
};
static struct node nodes[3] = {{&nodes[1], 1}, {&nodes[2], 2}, {0, 3}};

static uint64_t walk(uint64_t start) {
    uint64_t total = 0;
    for (struct node *p = &nodes[start % 3]; p; p = p->next) total += p->value;
    return total;
}
PVM_EXPORT(uint64_t, walk, uint64_t)
