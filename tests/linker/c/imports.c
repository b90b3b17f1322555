#include "guest.h"
PVM_IMPORT(long, host_add, long, long);
PVM_IMPORT(void, host_log, long);
long compute(long x) {
    long s = 0;
    for (long i = 0; i < x; i++) s = host_add(s, i);
    host_log(s);
    return s * 2;
}
PVM_EXPORT(long, compute, long);
