/* A small stack-machine bytecode interpreter (switch dispatch) running a fixed program: one unit = one
 * iteration of the bytecode loop, 16 bytecode instructions. Stresses indirect jumps (the switch's jump
 * table), unpredictable-looking dispatch and a memory-resident operand stack. */
#include "bench.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, SHR, DUP, JNZ, HALT };

/* Instructions are (opcode, operand) pairs; variables: v0 = acc, v1 = i (the loop counter, set to n). */
static const i64 program[] = {
    PUSH, 1, STORE, 0,                                         /* acc = 1 */
    LOAD, 0, PUSH, 6364136223846793005ll, MUL, 0, LOAD, 1, ADD, 0, /* loop: acc * K + i */
    DUP, 0, PUSH, 29, SHR, 0, XOR, 0, STORE, 0,                /* acc = t ^ (t >> 29) */
    LOAD, 1, PUSH, 1, SUB, 0, DUP, 0, STORE, 1,                /* i = i - 1 */
    JNZ, 2,                                                    /* if i != 0: goto loop (pair 2) */
    LOAD, 0, HALT, 0,
};

static i64 run(const i64 *code, i64 *vars) {
    i64 stack[16];
    i64 sp = 0;
    u64 pc = 0;
    for (;;) {
        i64 op = code[2 * pc], arg = code[2 * pc + 1];
        pc++;
        switch (op) {
        case PUSH: stack[sp++] = arg; break;
        case LOAD: stack[sp++] = vars[arg]; break;
        case STORE: vars[arg] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] = (i64)((u64)stack[sp - 1] + (u64)stack[sp]); break;
        case SUB: sp--; stack[sp - 1] = (i64)((u64)stack[sp - 1] - (u64)stack[sp]); break;
        case MUL: sp--; stack[sp - 1] = (i64)((u64)stack[sp - 1] * (u64)stack[sp]); break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] = (i64)((u64)stack[sp - 1] >> (stack[sp] & 63)); break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case JNZ: if (stack[--sp] != 0) pc = (u64)arg; break;
        case HALT: return stack[sp - 1];
        default: return -1;
        }
    }
}

i64 bench(i64 n) {
    if (n < 1) {
        return 0;
    }
    i64 vars[2] = {0, n};
    return run(program, vars);
}
