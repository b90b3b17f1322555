# GOT-indirect addresses for tests/test_linker_oracles.py: with `.option pic`, `la rd, sym` is
# `auipc rd, %got_pcrel_hi(sym); ld rd, %pcrel_lo(1b)(rd)` (R_RISCV_GOT_HI20 + R_RISCV_PCREL_LO12_I): rd receives
# the *address* of sym (the content of its GOT slot), exactly as `lla` would give. clang emits this form for
# -fpic accesses to symbols that are not known to be local (e.g. extern declarations resolved by ld -r).
# Expected results are in the test (GOT_CHECKS).

    .option pic
    .section .data.got_word,"aw",@progbits
    .globl got_word
    .p2align 3
got_word:
    .quad 0x1122334455667788

    .text
    .globl got_fn
    .type got_fn,@function
got_fn:
    addi a0, a0, 9
    ret

# case: got_data_load
# la (GOT) then ld through it: 0x1122334455667788
    .section .text.got_data_load,"ax",@progbits
    .globl got_data_load
    .type got_data_load,@function
got_data_load:
    la a1, got_word
    ld a0, 0(a1)
    ret

# case: got_same_address
# la (GOT) and lla (PCREL) of the same symbol must agree: returns la - lla = 0
    .section .text.got_same_address,"ax",@progbits
    .globl got_same_address
    .type got_same_address,@function
got_same_address:
    la a0, got_word
    lla a1, got_word
    sub a0, a0, a1
    ret

# case: got_call
# a function's address through the GOT, called: a0 + 9
    .section .text.got_call,"ax",@progbits
    .globl got_call
    .type got_call,@function
got_call:
    la a1, got_fn
    jr a1
