/* entry.c as a pallet-revive contract for pvmkit's own linker: resolc's runtime is what turns `__entry` into the
 * `call` and `deploy` exports of entry.resolc.polkavm; here guest.h's PVM_EXPORT does the same, so that both blobs
 * can be deployed and called alike. */
#include "entry.c"

static void __attribute__((noinline)) call(void) { __entry(0); }
static void __attribute__((noinline)) deploy(void) { __entry(1); }
PVM_EXPORT(void, call)
PVM_EXPORT(void, deploy)
