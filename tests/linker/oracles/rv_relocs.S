# Addresses for tests/test_linker_oracles.py: auipc/lui pairs and data relocations. PC-relative pairs
# (R_RISCV_PCREL_HI20 + PCREL_LO12_I/S, the forms -fpic code uses), absolute pairs (R_RISCV_HI20 + LO12_I/S, what
# non-PIC code uses), data pointers (R_RISCV_64, R_RISCV_32, ADD/SUB pairs) and .rodata / .data / .bss.
# Each "# case: NAME" chunk is one exported function (section .text.NAME) plus its data; expected results are in
# the test (RELOC_CHECKS).

    .section .rodata.r_ro,"a",@progbits
    .p2align 3
r_ro:
    .quad 0x1122334455667788
    .quad 0x99aabbccddeeff00
    .quad 0x0123456789abcdef

# case: rel_lla_ro
# lla (auipc + addi, PCREL) to .rodata, then ld
    .section .text.rel_lla_ro,"ax",@progbits
    .globl rel_lla_ro
    .type rel_lla_ro,@function
rel_lla_ro:
    lla a0, r_ro
    ld a0, 0(a0)
    ret

# case: rel_lla_addend
# lla with an addend (r_ro + 8) and a negative load offset from past the end (r_ro + 24 - 8)
    .section .text.rel_lla_addend,"ax",@progbits
    .globl rel_lla_addend
    .type rel_lla_addend,@function
rel_lla_addend:
    lla a0, r_ro + 8
    ld a0, 0(a0)
    lla a1, r_ro + 24
    ld a1, -8(a1)
    ret

# case: rel_pcrel_load
# a load completing the PCREL pair itself (ld a0, %pcrel_lo(1b)(a0)), with an addend in the HI20 part
    .section .text.rel_pcrel_load,"ax",@progbits
    .globl rel_pcrel_load
    .type rel_pcrel_load,@function
rel_pcrel_load:
1:
    auipc a0, %pcrel_hi(r_ro + 16)
    ld a0, %pcrel_lo(1b)(a0)
    ret

# case: rel_pcrel_two_uses
# one auipc, two LO12 users of different widths (lwu and lb): returns (lwu r_ro, lb r_ro + 0)
    .section .text.rel_pcrel_two_uses,"ax",@progbits
    .globl rel_pcrel_two_uses
    .type rel_pcrel_two_uses,@function
rel_pcrel_two_uses:
1:
    auipc a2, %pcrel_hi(r_ro)
    lwu a0, %pcrel_lo(1b)(a2)
    lb a1, %pcrel_lo(1b)(a2)
    ret

# case: rel_pcrel_store
# PCREL store and load back: stores a0 into r_rw1 (sd with PCREL_LO12_S), then reads it with a PCREL ld
    .section .text.rel_pcrel_store,"ax",@progbits
    .globl rel_pcrel_store
    .type rel_pcrel_store,@function
rel_pcrel_store:
1:
    auipc a1, %pcrel_hi(r_rw1)
    sd a0, %pcrel_lo(1b)(a1)
2:
    auipc a2, %pcrel_hi(r_rw1)
    ld a0, %pcrel_lo(2b)(a2)
    ret
    .section .data.r_rw1,"aw",@progbits
    .p2align 3
r_rw1:
    .quad 0x5555555555555555

# case: rel_pcrel_store_zero
# PCREL stores of x0 of every width into r_rw2 (8 bytes of 0xff): sb at +0, sh at +2, sw at +4 -> 0x00000000_0000ff00
# and sd of x0 at +8 over 0xffff... -> 0; returns (word at +0, word at +8)
    .section .text.rel_pcrel_store_zero,"ax",@progbits
    .globl rel_pcrel_store_zero
    .type rel_pcrel_store_zero,@function
rel_pcrel_store_zero:
    lla a2, r_rw2
    li a3, -1
    sd a3, 0(a2)
    sd a3, 8(a2)
1:
    auipc a1, %pcrel_hi(r_rw2)
    sb zero, %pcrel_lo(1b)(a1)
2:
    auipc a1, %pcrel_hi(r_rw2 + 2)
    sh zero, %pcrel_lo(2b)(a1)
3:
    auipc a1, %pcrel_hi(r_rw2 + 4)
    sw zero, %pcrel_lo(3b)(a1)
4:
    auipc a1, %pcrel_hi(r_rw2 + 8)
    sd zero, %pcrel_lo(4b)(a1)
    ld a0, 0(a2)
    ld a1, 8(a2)
    ret
    .section .data.r_rw2,"aw",@progbits
    .p2align 3
r_rw2:
    .zero 16

# case: rel_abs_addi
# absolute address (lui %hi + addi %lo), then ld: r_ro + 16
    .section .text.rel_abs_addi,"ax",@progbits
    .globl rel_abs_addi
    .type rel_abs_addi,@function
rel_abs_addi:
    lui a0, %hi(r_ro + 16)
    addi a0, a0, %lo(r_ro + 16)
    ld a0, 0(a0)
    ret

# case: rel_abs_load
# absolute loads completing the pair (lw/lbu a0, %lo(sym)(a0)): (lw r_ro + 4, lbu r_ro + 7)
    .section .text.rel_abs_load,"ax",@progbits
    .globl rel_abs_load
    .type rel_abs_load,@function
rel_abs_load:
    lui a1, %hi(r_ro + 4)
    lw a0, %lo(r_ro + 4)(a1)
    lui a2, %hi(r_ro + 7)
    lbu a1, %lo(r_ro + 7)(a2)
    ret

# case: rel_abs_store
# absolute stores (sw/sh with %lo) of a0 into r_rw3 = 0xaaaa...; returns the 8 bytes after: sw at +0, sh at +4
    .section .text.rel_abs_store,"ax",@progbits
    .globl rel_abs_store
    .type rel_abs_store,@function
rel_abs_store:
    lui a1, %hi(r_rw3)
    sw a0, %lo(r_rw3)(a1)
    lui a1, %hi(r_rw3 + 4)
    sh a0, %lo(r_rw3 + 4)(a1)
    lla a1, r_rw3
    ld a0, 0(a1)
    ret
    .section .data.r_rw3,"aw",@progbits
    .p2align 3
r_rw3:
    .quad 0xaaaaaaaaaaaaaaaa

# case: rel_bss
# .bss starts zeroed; add a0 into a bss word and return the new value (so repeated calls accumulate)
    .section .text.rel_bss,"ax",@progbits
    .globl rel_bss
    .type rel_bss,@function
rel_bss:
    lla a1, r_bss
    ld a2, 8(a1)
    add a2, a2, a0
    sd a2, 8(a1)
    mv a0, a2
    ret
    .section .bss.r_bss,"aw",@nobits
    .p2align 3
r_bss:
    .zero 64

# case: rel_data_ptr
# data holding pointers to data: .quad r_ro + 8 (R_RISCV_64 with addend), .word r_ro (R_RISCV_32) and
# .quad r_mark - r_ro (a cross-section label difference: R_RISCV_ADD64/SUB64), used to reach r_mark (0x5a);
# returns (*(u64 *)p64, *(u64 *)(u64)p32 + *(u8 *)(r_ro + diff))
    .section .text.rel_data_ptr,"ax",@progbits
    .globl rel_data_ptr
    .type rel_data_ptr,@function
rel_data_ptr:
    lla a2, r_ptrs
    ld a0, 0(a2)
    ld a0, 0(a0)
    lwu a1, 8(a2)
    ld a1, 0(a1)
    ld a3, 16(a2)
    lla a4, r_ro
    add a4, a4, a3
    lbu a3, 0(a4)
    add a1, a1, a3
    ret
    .section .data.rel.r_ptrs,"aw",@progbits
    .p2align 3
r_ptrs:
    .quad r_ro + 8
    .word r_ro
    .word 0
    .quad r_mark - r_ro
    .section .rodata.r_mark,"a",@progbits
r_mark:
    .byte 0x5a

# case: rel_rw_ptr
# a pointer in .data to another .data object, written through: *r_wp = a0, then read r_rw4
    .section .text.rel_rw_ptr,"ax",@progbits
    .globl rel_rw_ptr
    .type rel_rw_ptr,@function
rel_rw_ptr:
    lla a1, r_wp
    ld a1, 0(a1)
    sd a0, 0(a1)
    lla a2, r_rw4
    ld a0, 0(a2)
    ret
    .section .data.r_wp,"aw",@progbits
    .p2align 3
r_wp:
    .quad r_rw4
    .section .data.r_rw4,"aw",@progbits
    .p2align 3
r_rw4:
    .quad 7
