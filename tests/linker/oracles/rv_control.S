# Control transfer for tests/test_linker_oracles.py: jal/jalr in all their forms (call, tail, j, jr, ret,
# register calls), function pointers in code and in data, jump tables, loops, recursion.
# Each "# case: NAME" chunk is one exported function (section .text.NAME) plus its data; the text before the first
# chunk is shared by all of them. Expected results are in the test (CONTROL_CHECKS).

    .text
    .p2align 1
    .type add3,@function           # a0 + 3 (a local helper: calls to it must return correctly)
add3:
    addi a0, a0, 3
    ret
    .size add3, .-add3

    .type dbl,@function            # a0 * 2
dbl:
    slli a0, a0, 1
    ret
    .size dbl, .-dbl

    .type neg,@function            # -a0
neg:
    neg a0, a0
    ret
    .size neg, .-neg

# case: ctl_call
# call (auipc ra + jalr ra with R_RISCV_CALL_PLT) twice, then jal ra (R_RISCV_JAL): (a0 + 6) * 2
    .section .text.ctl_call,"ax",@progbits
    .globl ctl_call
    .type ctl_call,@function
ctl_call:
    addi sp, sp, -16
    sd ra, 8(sp)
    call add3
    call add3
    jal ra, dbl
    ld ra, 8(sp)
    addi sp, sp, 16
    ret
    .size ctl_call, .-ctl_call

# case: ctl_call_norvc
# the same without compressed instructions (32-bit jal, jalr x0, ra; 32-bit sd/ld on sp): (a0 + 3) * 2
    .section .text.ctl_call_norvc,"ax",@progbits
    .globl ctl_call_norvc
    .type ctl_call_norvc,@function
    .option push
    .option norvc
ctl_call_norvc:
    addi sp, sp, -16
    sd ra, 8(sp)
    jal ra, add3
    call dbl
    ld ra, 8(sp)
    addi sp, sp, 16
    jalr zero, 0(ra)
    .option pop
    .size ctl_call_norvc, .-ctl_call_norvc

# case: ctl_tail
# tail (auipc t1 + jalr x0 with R_RISCV_CALL_PLT): a0 + 100 + 3
    .section .text.ctl_tail,"ax",@progbits
    .globl ctl_tail
    .type ctl_tail,@function
ctl_tail:
    addi a0, a0, 100
    tail add3
    .size ctl_tail, .-ctl_tail

# case: ctl_j
# j forwards over code that must not run, then back (jal x0 / c.j, R_RISCV_RVC_JUMP / R_RISCV_JAL): a0 + 7
    .section .text.ctl_j,"ax",@progbits
    .globl ctl_j
    .type ctl_j,@function
ctl_j:
    j 2f
1:
    addi a0, a0, 4
    ret
2:
    addi a0, a0, 3
    .option push
    .option norvc
    jal zero, 1b
    .option pop
    unimp
    .size ctl_j, .-ctl_j

# case: ctl_fnptr
# address of a function (lla: PCREL_HI20/LO12_I to code) called through a register (jalr ra, 0(a1)): -a0
    .section .text.ctl_fnptr,"ax",@progbits
    .globl ctl_fnptr
    .type ctl_fnptr,@function
ctl_fnptr:
    addi sp, sp, -16
    sd ra, 8(sp)
    lla a1, neg
    .option push
    .option norvc
    jalr ra, 0(a1)
    .option pop
    ld ra, 8(sp)
    addi sp, sp, 16
    ret
    .size ctl_fnptr, .-ctl_fnptr

# case: ctl_fnptr_c
# the compressed forms: c.jalr through t0, then c.jr (tail through a register): dbl(add3(a0))
    .section .text.ctl_fnptr_c,"ax",@progbits
    .globl ctl_fnptr_c
    .type ctl_fnptr_c,@function
ctl_fnptr_c:
    addi sp, sp, -16
    sd ra, 8(sp)
    lla t0, add3
    c.jalr t0
    ld ra, 8(sp)
    addi sp, sp, 16
    lla a5, dbl
    c.jr a5
    .size ctl_fnptr_c, .-ctl_fnptr_c

# case: ctl_fnptr_table
# a function-pointer table in data (R_RISCV_64 to code), indexed by a1 (0 add3, 1 dbl, 2 neg)
    .section .text.ctl_fnptr_table,"ax",@progbits
    .globl ctl_fnptr_table
    .type ctl_fnptr_table,@function
ctl_fnptr_table:
    addi sp, sp, -16
    sd ra, 8(sp)
    lla a2, fn_table
    slli a1, a1, 3
    add a2, a2, a1
    ld a2, 0(a2)
    jalr a2
    ld ra, 8(sp)
    addi sp, sp, 16
    ret
    .size ctl_fnptr_table, .-ctl_fnptr_table
    .section .data.rel.ro.fn_table,"aw",@progbits
    .p2align 3
fn_table:
    .quad add3
    .quad dbl
    .quad neg

# case: ctl_fnptr_same
# the same function's address through lla and through a data pointer (R_RISCV_64) must be one value, and the
# addresses of two functions must differ: returns 0 when all holds, 1 if an address is 0, 2 if they are equal
    .section .text.ctl_fnptr_same,"ax",@progbits
    .globl ctl_fnptr_same
    .type ctl_fnptr_same,@function
ctl_fnptr_same:
    lla a0, dbl
    lla a1, dbl_ptr
    ld a2, 0(a1)
    lla a3, neg
    xor a2, a2, a0
    seqz a4, a0
    or a2, a2, a4
    bne a0, a3, 1f
    ori a2, a2, 2
1:
    mv a0, a2
    ret
    .size ctl_fnptr_same, .-ctl_fnptr_same
    .section .data.rel.ro.dbl_ptr,"aw",@progbits
    .p2align 3
dbl_ptr:
    .quad dbl

# case: ctl_fnptr_mid
# a pointer into the middle of a function (lla dbl + 2: dbl's `ret`), called: a0 unchanged
    .section .text.ctl_fnptr_mid,"ax",@progbits
    .globl ctl_fnptr_mid
    .type ctl_fnptr_mid,@function
ctl_fnptr_mid:
    addi sp, sp, -16
    sd ra, 8(sp)
    lla a1, dbl + 2
    jalr a1
    ld ra, 8(sp)
    addi sp, sp, 16
    ret
    .size ctl_fnptr_mid, .-ctl_fnptr_mid

# case: ctl_jump_table
# a clang-style jump table: .word case - table (R_RISCV_ADD32/SUB32), added back to the table's address;
# a0 in 0..3 selects a0 * 11 + 5 via four cases, anything else falls to -1
    .section .text.ctl_jump_table,"ax",@progbits
    .globl ctl_jump_table
    .type ctl_jump_table,@function
ctl_jump_table:
    li a1, 3
    bltu a1, a0, 9f
    slli a0, a0, 2
    lla a1, .Ljt
    add a0, a0, a1
    lw a0, 0(a0)
    add a0, a0, a1
    jr a0
.Lc0:
    li a0, 5
    ret
.Lc1:
    li a0, 16
    ret
.Lc2:
    li a0, 27
    ret
.Lc3:
    li a0, 38
    ret
9:
    li a0, -1
    ret
    .size ctl_jump_table, .-ctl_jump_table
    .section .rodata.ctl_jump_table,"a",@progbits
    .p2align 2
.Ljt:
    .word .Lc0 - .Ljt
    .word .Lc1 - .Ljt
    .word .Lc2 - .Ljt
    .word .Lc3 - .Ljt

# case: ctl_loop
# sum of 1..a0 with a backward bnez (c.bnez) and a forward beqz for a0 = 0
    .section .text.ctl_loop,"ax",@progbits
    .globl ctl_loop
    .type ctl_loop,@function
ctl_loop:
    li a1, 0
    beqz a0, 2f
1:
    add a1, a1, a0
    addi a0, a0, -1
    bnez a0, 1b
2:
    mv a0, a1
    ret
    .size ctl_loop, .-ctl_loop

# case: ctl_loop_bltu
# count up from 0 while i <u a0 with a backward bltu on registers outside the compressed set (t0, t1): a0
    .section .text.ctl_loop_bltu,"ax",@progbits
    .globl ctl_loop_bltu
    .type ctl_loop_bltu,@function
ctl_loop_bltu:
    li t0, 0
    mv t1, a0
    beqz t1, 2f
1:
    addi t0, t0, 1
    bltu t0, t1, 1b
2:
    mv a0, t0
    ret
    .size ctl_loop_bltu, .-ctl_loop_bltu

# case: ctl_fact
# recursive factorial (call to itself, ra and s0 saved on the stack), 64-bit wrap-around
    .section .text.ctl_fact,"ax",@progbits
    .globl ctl_fact
    .type ctl_fact,@function
ctl_fact:
    li a1, 2
    bltu a0, a1, 1f
    addi sp, sp, -16
    sd ra, 8(sp)
    sd s0, 0(sp)
    mv s0, a0
    addi a0, a0, -1
    call ctl_fact
    mul a0, a0, s0
    ld ra, 8(sp)
    ld s0, 0(sp)
    addi sp, sp, 16
    ret
1:
    li a0, 1
    ret
    .size ctl_fact, .-ctl_fact

# case: ctl_fib
# doubly recursive Fibonacci through jal ra (R_RISCV_JAL), locals on the stack
    .section .text.ctl_fib,"ax",@progbits
    .globl ctl_fib
    .type ctl_fib,@function
ctl_fib:
    li a1, 2
    bltu a0, a1, 1f
    addi sp, sp, -32
    sd ra, 24(sp)
    sd s0, 16(sp)
    sd s1, 8(sp)
    mv s0, a0
    addi a0, a0, -1
    jal ctl_fib
    mv s1, a0
    addi a0, s0, -2
    jal ctl_fib
    add a0, a0, s1
    ld ra, 24(sp)
    ld s0, 16(sp)
    ld s1, 8(sp)
    addi sp, sp, 32
1:
    ret
    .size ctl_fib, .-ctl_fib

# case: ctl_ret_t
# a0 is preserved across a call that clobbers only a1; returns via jalr x0, 0(ra) after restoring ra
    .section .text.ctl_ret_t,"ax",@progbits
    .globl ctl_ret_t
    .type ctl_ret_t,@function
ctl_ret_t:
    addi sp, sp, -16
    sd ra, 0(sp)
    sd a0, 8(sp)
    li a0, 40
    call add3
    ld a1, 8(sp)
    add a0, a0, a1
    ld ra, 0(sp)
    addi sp, sp, 16
    ret
    .size ctl_ret_t, .-ctl_ret_t

# case: ctl_ebreak
# ebreak traps
    .section .text.ctl_ebreak,"ax",@progbits
    .globl ctl_ebreak
    .type ctl_ebreak,@function
    .option push
    .option norvc
ctl_ebreak:
    ebreak
    ret
    .option pop
    .size ctl_ebreak, .-ctl_ebreak

# case: ctl_c_ebreak
# c.ebreak traps
    .section .text.ctl_c_ebreak,"ax",@progbits
    .globl ctl_c_ebreak
    .type ctl_c_ebreak,@function
ctl_c_ebreak:
    c.ebreak
    ret
    .size ctl_c_ebreak, .-ctl_c_ebreak

# case: ctl_unimp
# unimp (c.unimp, 0x0000) traps
    .section .text.ctl_unimp,"ax",@progbits
    .globl ctl_unimp
    .type ctl_unimp,@function
ctl_unimp:
    bnez a0, 1f
    unimp
1:
    ret
    .size ctl_unimp, .-ctl_unimp

# case: ctl_fence
# fences are no-ops for a single hart: a0 + 1
    .section .text.ctl_fence,"ax",@progbits
    .globl ctl_fence
    .type ctl_fence,@function
ctl_fence:
    fence
    fence rw, rw
    fence.tso
    addi a0, a0, 1
    ret
    .size ctl_fence, .-ctl_fence
