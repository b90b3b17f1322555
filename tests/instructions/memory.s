# Loads and stores: widths, sign/zero extension, little-endian byte order, unaligned accesses, address
# arithmetic (base + sign-extended offset, truncated to 32 bits) and the standard memory map:
#   no ro data:  rw data at 0x20000;  ro data of <= 64 KiB: ro at 0x10000, rw at 0x30000
#   region sizes round up to 4 KiB pages; stack ends at 0xfffe0000; everything else traps.

## case: load_u8 zero-extends
## post: a0 = 0x80, gas = 2
%rw_data_size = 4096
%rw_data = 80
    a0 = u8 [0x20000]
    ret

## case: load_u8 of 0x7f
## post: a0 = 0x7f
%rw_data_size = 4096
%rw_data = 7f
    a0 = u8 [0x20000]
    ret

## case: load_i8 sign-extends
## post: a0 = 0xffffffffffffff80, gas = 2
%rw_data_size = 4096
%rw_data = 80
    a0 = i8 [0x20000]
    ret

## case: load_i8 of 0x7f
## post: a0 = 0x7f
%rw_data_size = 4096
%rw_data = 7f
    a0 = i8 [0x20000]
    ret

## case: load_u16 little-endian zero-extends
## post: a0 = 0x8001, gas = 2
%rw_data_size = 4096
%rw_data = 01 80
    a0 = u16 [0x20000]
    ret

## case: load_i16 sign-extends
## post: a0 = 0xffffffffffff8001, gas = 2
%rw_data_size = 4096
%rw_data = 01 80
    a0 = i16 [0x20000]
    ret

## case: load_i16 positive
## post: a0 = 0x7fff
%rw_data_size = 4096
%rw_data = ff 7f
    a0 = i16 [0x20000]
    ret

## case: load_u32 zero-extends
## post: a0 = 0xf2345678, gas = 2
%rw_data_size = 4096
%rw_data = 78 56 34 f2
    a0 = u32 [0x20000]
    ret

## case: load_i32 sign-extends
## post: a0 = 0xfffffffff2345678, gas = 2
%rw_data_size = 4096
%rw_data = 78 56 34 f2
    a0 = i32 [0x20000]
    ret

## case: load_i32 positive
## post: a0 = 0x7fffffff
%rw_data_size = 4096
%rw_data = ff ff ff 7f
    a0 = i32 [0x20000]
    ret

## case: load_u64
## post: a0 = 0x8807060504030201, gas = 2
%rw_data_size = 4096
%rw_data = 01 02 03 04 05 06 07 88
    a0 = u64 [0x20000]
    ret

## case: load_u32 unaligned
## post: a0 = 0x44332211
%rw_data_size = 4096
%rw_data = 00 11 22 33 44 55
    a0 = u32 [0x20001]
    ret

## case: load_u64 unaligned
## post: a0 = 0x0807060504030201
%rw_data_size = 4096
%rw_data = 00 00 00 01 02 03 04 05 06 07 08 09
    a0 = u64 [0x20003]
    ret

## case: load_u16 unaligned
## post: a0 = 0xbbaa
%rw_data_size = 4096
%rw_data = 00 aa bb cc
    a0 = u16 [0x20001]
    ret

## case: load_u32 past the initial data reads zeros
## pre: a0 = 0x5555
## post: a0 = 0
%rw_data_size = 4096
%rw_data = ff
    a0 = u32 [0x20001]
    ret

## case: rw size rounds up to a page
## pre: a0 = 0x5555
## post: a0 = 0
%rw_data_size = 1
    a0 = u8 [0x20fff]
    ret

## case: load_u64 of the last 8 bytes of rw data
## pre: [0x20ff8] = 01 02 03 04 05 06 07 08
## post: a0 = 0x0807060504030201
%rw_data_size = 4096
    a0 = u64 [0x20ff8]
    ret

## case: load_u16 crossing the end of rw data traps
## only: standard
## pre: a0 = 7
## post: status = trap, pc = 0, gas = 2
%rw_data_size = 4096
    a0 = u16 [0x20fff]
    ret

## case: load_u64 crossing the end of rw data traps
## only: standard
## post: status = trap, pc = 0, gas = 2
%rw_data_size = 4096
    a0 = u64 [0x20ff9]
    ret

## case: load_u8 just past rw data traps
## only: standard
## post: status = trap, pc = 0, gas = 2
%rw_data_size = 4096
    a0 = u8 [0x21000]
    ret

## case: load_u8 just below rw data traps
## only: standard
## post: status = trap, pc = 0
%rw_data_size = 4096
    a0 = u8 [0x1ffff]
    ret

## case: load_u8 below 0x10000 traps
## only: standard
## post: status = trap, pc = 0
%rw_data_size = 4096
    a0 = u8 [0xffff]
    ret

## case: load_u8 of address 0 traps
# (also a trap, not a page fault, with dynamic paging: pages below 16 KiB always trap)
## post: status = trap, pc = 0
    a0 = u8 [0]
    ret

## case: load_u32 from ro data
## post: a0 = 0x44332211, gas = 2
%ro_data = 11 22 33 44
    a0 = u32 [0x10000]
    ret

## case: rw data moves to 0x30000 after ro data
## post: a0 = 0x11, a1 = 0xaa, gas = 3
%ro_data = 11
%rw_data_size = 4096
%rw_data = aa
    a0 = u8 [0x10000]
    a1 = u8 [0x30000]
    ret

## case: ro size rounds up to a page
## post: a0 = 0
%ro_data_size = 4
%ro_data = 11 22 33 44
    a0 = u32 [0x10ffc]
    ret

## case: load crossing the end of ro data traps
## only: standard
## post: status = trap, pc = 0
%ro_data_size = 4
%ro_data = 11 22 33 44
    a0 = u32 [0x10ffd]
    ret

## case: load from the guard between ro and rw data traps
## only: standard
## post: status = trap, pc = 0
%ro_data = 11
%rw_data_size = 4096
    a0 = u8 [0x20000]
    ret

## case: store and load back on the stack
## pre: a0 = 0x1122334455667788
## post: a1 = 0x1122334455667788, [0xfffdfff8] = 88 77 66 55 44 33 22 11, gas = 3
%stack_size = 4096
    u64 [sp + -8] = a0
    a1 = u64 [sp + -8]
    ret

## case: lowest stack byte is accessible
## pre: [0xfffdf000] = 5a
## post: a0 = 0x5a
%stack_size = 4096
    a0 = u8 [0xfffdf000]
    ret

## case: stack size rounds up to a page
## post: a0 = 0
%stack_size = 1
    a0 = u8 [0xfffdf000]
    ret

## case: load just below the stack traps
## only: standard
## post: status = trap, pc = 0
%stack_size = 4096
    a0 = u8 [0xfffdefff]
    ret

## case: load at the stack top traps
## only: standard
## post: status = trap, pc = 0
%stack_size = 4096
    a0 = u8 [sp]
    ret

## case: load_indirect_u8 with offset
## pre: a0 = 0x20000
## post: a2 = 0xff, gas = 2
%rw_data_size = 4096
%rw_data = 00 ff
    a2 = u8 [a0 + 1]
    ret

## case: load_indirect_i8
## pre: a0 = 0x20000
## post: a2 = 0xfffffffffffffffe, gas = 2
%rw_data_size = 4096
%rw_data = fe
    a2 = i8 [a0]
    ret

## case: load_indirect_u16
## pre: a0 = 0x20000
## post: a2 = 0x9234, gas = 2
%rw_data_size = 4096
%rw_data = 00 00 34 92
    a2 = u16 [a0 + 2]
    ret

## case: load_indirect_i16
## pre: a0 = 0x20000
## post: a2 = 0xffffffffffff9234, gas = 2
%rw_data_size = 4096
%rw_data = 00 00 34 92
    a2 = i16 [a0 + 2]
    ret

## case: load_indirect_u32 negative offset
## pre: a0 = 0x20004
## post: a2 = 0x84030201, gas = 2
%rw_data_size = 4096
%rw_data = 01 02 03 84
    a2 = u32 [a0 + -4]
    ret

## case: load_indirect_i32
## pre: a0 = 0x20004
## post: a2 = 0xffffffff84030201, gas = 2
%rw_data_size = 4096
%rw_data = 01 02 03 84
    a2 = i32 [a0 + -4]
    ret

## case: load_indirect_i32 positive
## pre: a0 = 0x20000
## post: a2 = 0x7f030201
%rw_data_size = 4096
%rw_data = 01 02 03 7f
    a2 = i32 [a0]
    ret

## case: load_indirect_u64
## pre: a0 = 0x20000
## post: a2 = 0xf0debc9a78563412, gas = 2
%rw_data_size = 4096
%rw_data = 00 00 00 00 00 00 00 00 12 34 56 78 9a bc de f0
    a2 = u64 [a0 + 8]
    ret

## case: load_indirect_u64 unaligned
## pre: a0 = 0x20001
## post: a2 = 0x0807060504030201
%rw_data_size = 4096
%rw_data = 00 01 02 03 04 05 06 07 08
    a2 = u64 [a0]
    ret

## case: load_indirect base plus negative offset
## pre: a0 = 0x20010
## post: a2 = 0x77
%rw_data_size = 4096
%rw_data = 77
    a2 = u8 [a0 + -16]
    ret

## case: load_indirect address drops the upper word of the base
## pre: a0 = 0xffffffff00020000
## post: a2 = 0x77
%rw_data_size = 4096
%rw_data = 77
    a2 = u8 [a0]
    ret

## case: load_indirect address wraps past 2^32
## pre: a0 = 0xffffffff
## post: a2 = 0x77
%rw_data_size = 4096
%rw_data = 77
    a2 = u8 [a0 + 0x20001]
    ret

## case: load_indirect address wraps with a negative offset
## pre: a0 = 0x100020001
## post: a2 = 0x77
%rw_data_size = 4096
%rw_data = 77
    a2 = u8 [a0 + -1]
    ret

## case: load_indirect into its base register
## pre: a0 = 0x20000
## post: a0 = 0x04030201
%rw_data_size = 4096
%rw_data = 01 02 03 04
    a0 = u32 [a0]
    ret

## case: load_indirect crossing the end of rw data traps
## only: standard
## pre: a0 = 0x20000
## post: status = trap, pc = 0, gas = 2
%rw_data_size = 4096
    a2 = u32 [a0 + 0xffd]
    ret

## case: load_indirect_i16 crossing the end of rw data traps
## only: standard
## pre: a0 = 0x21000
## post: status = trap, pc = 0
%rw_data_size = 4096
    a2 = i16 [a0 + -1]
    ret

## case: load_indirect wrapping below zero traps
## only: standard
## pre: a0 = 0x20000
## post: status = trap, pc = 0
%rw_data_size = 4096
    a2 = i8 [a0 + -0x20001]
    ret

## case: store_u8 truncates the register
## pre: a0 = 0x1234
## post: [0x20000] = 34 00, gas = 2
%rw_data_size = 4096
    u8 [0x20000] = a0
    ret

## case: store_u16 truncates the register
## pre: a0 = 0xdeadbeefcafebabe
## post: [0x20000] = be ba 11, gas = 2
%rw_data_size = 4096
%rw_data = 11 11 11
    u16 [0x20000] = a0
    ret

## case: store_u32 little-endian
## pre: a0 = 0x12345678
## post: [0x20000] = 78 56 34 12 00, gas = 2
%rw_data_size = 4096
    u32 [0x20000] = a0
    ret

## case: store_u64 little-endian
## pre: a0 = 0x0102030405060708
## post: [0x20000] = 08 07 06 05 04 03 02 01 00, gas = 2
%rw_data_size = 4096
    u64 [0x20000] = a0
    ret

## case: store_u32 unaligned
## pre: a0 = 0xa1b2c3d4
## post: [0x20000] = ee d4 c3 b2 a1 ee
%rw_data_size = 4096
%rw_data = ee ee ee ee ee ee
    u32 [0x20001] = a0
    ret

## case: store_u64 to the last 8 bytes of rw data
## pre: a0 = 0xffffffffffffffff
## post: [0x20ff8] = ff ff ff ff ff ff ff ff
%rw_data_size = 4096
    u64 [0x20ff8] = a0
    ret

## case: store_imm_u8 truncates the immediate
## post: [0x20000] = ff 22, gas = 2
%rw_data_size = 4096
%rw_data = 00 22
    u8 [0x20000] = 0x1ff
    ret

## case: store_imm_u16 truncates the immediate
## post: [0x20000] = 45 23 22, gas = 2
%rw_data_size = 4096
%rw_data = 00 00 22
    u16 [0x20000] = 0x12345
    ret

## case: store_imm_u32 of -1
## post: [0x20000] = ff ff ff ff 00, gas = 2
%rw_data_size = 4096
    u32 [0x20000] = -1
    ret

## case: store_imm_u64 sign-extends -2
## post: [0x20000] = fe ff ff ff ff ff ff ff, gas = 2
%rw_data_size = 4096
    u64 [0x20000] = -2
    ret

## case: store_imm_u64 sign-extends INT32_MIN
## post: [0x20000] = 00 00 00 80 ff ff ff ff
%rw_data_size = 4096
    u64 [0x20000] = 0x80000000
    ret

## case: store_imm_u64 positive clears the upper word
## post: [0x20000] = ff ff ff 7f 00 00 00 00
%rw_data_size = 4096
%rw_data = ee ee ee ee ee ee ee ee
    u64 [0x20000] = 0x7fffffff
    ret

## case: store_imm_u8 unaligned at the end of rw data
## post: [0x20ffe] = 00 2a
%rw_data_size = 4096
    u8 [0x20fff] = 42
    ret

## case: store_indirect_u8
## pre: a0 = 0x20000, a1 = 0xabcd
## post: [0x20000] = 00 cd 00, gas = 2
%rw_data_size = 4096
    u8 [a0 + 1] = a1
    ret

## case: store_indirect_u16 negative offset
## pre: a0 = 0x20004, a1 = 0x11223344
## post: [0x20000] = 00 00 44 33 00, gas = 2
%rw_data_size = 4096
    u16 [a0 + -2] = a1
    ret

## case: store_indirect_u32 unaligned
## pre: a0 = 0x20003, a1 = 0xfedcba9876543210
## post: [0x20000] = 00 00 00 10 32 54 76 00, gas = 2
%rw_data_size = 4096
    u32 [a0] = a1
    ret

## case: store_indirect_u64
## pre: a0 = 0x20000, a1 = 0x8000000000000001
## post: [0x20008] = 01 00 00 00 00 00 00 80, gas = 2
%rw_data_size = 4096
    u64 [a0 + 8] = a1
    ret

## case: store_indirect address drops the upper word of the base
## pre: a0 = 0xffffffff00020010, a1 = 0x99
## post: [0x20000] = 99
%rw_data_size = 4096
    u8 [a0 + -16] = a1
    ret

## case: store_indirect address wraps past 2^32
## pre: a0 = 0xfffffff0, a1 = 0x4321
## post: [0x20000] = 21 43
%rw_data_size = 4096
    u16 [a0 + 0x20010] = a1
    ret

## case: store_indirect of the base register itself
## pre: a0 = 0x20000
## post: [0x20000] = 00 00 02 00 00 00 00 00
%rw_data_size = 4096
    u64 [a0] = a0
    ret

## case: store_imm_indirect_u8
## pre: a0 = 0x20000
## post: [0x20000] = 00 05 00, gas = 2
%rw_data_size = 4096
    u8 [a0 + 1] = 5
    ret

## case: store_imm_indirect_u8 truncates the immediate
## pre: a0 = 0x20000
## post: [0x20000] = ff 00
%rw_data_size = 4096
    u8 [a0] = 0x1ff
    ret

## case: store_imm_indirect_u16
## pre: a0 = 0x20000
## post: [0x20000] = 00 00 ff ff 00, gas = 2
%rw_data_size = 4096
    u16 [a0 + 2] = -1
    ret

## case: store_imm_indirect_u32 negative offset
## pre: a0 = 0x20008
## post: [0x20004] = 78 56 34 12, gas = 2
%rw_data_size = 4096
    u32 [a0 + -4] = 0x12345678
    ret

## case: store_imm_indirect_u64 of -1
## pre: a0 = 0x20000
## post: [0x20000] = ff ff ff ff ff ff ff ff 00, gas = 2
%rw_data_size = 4096
    u64 [a0] = -1
    ret

## case: store_imm_indirect_u64 sign-extends INT32_MIN
## pre: a0 = 0x20000
## post: [0x20008] = 00 00 00 80 ff ff ff ff
%rw_data_size = 4096
    u64 [a0 + 8] = 0x80000000
    ret

## case: store_imm_indirect_u32 address wraps
## pre: a0 = 0xffffffff00020004
## post: [0x20000] = 01 00 00 00
%rw_data_size = 4096
    u32 [a0 + -4] = 1
    ret

## case: store to ro data traps
## only: standard
## pre: a0 = 0x99
## post: status = trap, pc = 0, [0x10000] = 11, gas = 2
%ro_data = 11
    u8 [0x10000] = a0
    ret

## case: store_imm to ro data traps
## only: standard
## post: status = trap, pc = 0, [0x10000] = 11 22
%ro_data = 11 22
%rw_data_size = 4096
    u16 [0x10000] = 0
    ret

## case: store_indirect to ro data traps
## only: standard
## pre: a0 = 0x10000
## post: status = trap, pc = 0, [0x10000] = 11
%ro_data = 11
    u8 [a0] = a0
    ret

## case: store crossing the end of rw data traps and writes nothing
## only: standard
## pre: a0 = 0x11223344, [0x20ffe] = aa bb
## post: status = trap, pc = 0, [0x20ffe] = aa bb, gas = 2
%rw_data_size = 4096
    u32 [0x20ffe] = a0
    ret

## case: store_imm_indirect_u64 crossing the end of rw data traps
## only: standard
## pre: a0 = 0x20ff9
## post: status = trap, pc = 0, [0x20ff9] = 00 00 00 00 00 00 00
%rw_data_size = 4096
    u64 [a0] = -1
    ret

## case: store past rw data traps
## only: standard
## post: status = trap, pc = 0
%rw_data_size = 4096
    u8 [0x21000] = 1
    ret

## case: store in the guard below rw data traps
## only: standard
## pre: a0 = 0x20000
## post: status = trap, pc = 0
%rw_data_size = 4096
    u32 [a0 + -4] = a0
    ret

## case: store at the stack top traps
## only: standard
## post: status = trap, pc = 0
%stack_size = 4096
    u8 [sp] = a0
    ret

## case: store wrapping past 2^32 traps
## only: standard
## pre: a0 = 0xffffffff, a1 = 0xffff
## post: status = trap, pc = 0
%rw_data_size = 4096
    u16 [a0] = a1
    ret

## case: a memory trap mid-block keeps earlier effects
## only: standard
## post: status = trap, pc = @fault, a0 = 0x11, [0x20000] = 11, gas = 5
%rw_data_size = 4096
    u8 [0x20000] = 0x11
    a0 = u8 [0x20000]
pub @fault: %no_fallthrough
    a1 = u8 [0x21000]
    a2 = 5
    ret

## case: store then load in one block
## pre: a0 = 0x20100, a1 = 0x8899aabbccddeeff
## post: a2 = 0xffffffffccddeeff, a3 = 0xeeff, a4 = 0xffffffffffffffff, [0x20100] = ff ee dd cc bb aa 99 88, gas = 5
%rw_data_size = 4096
    u64 [a0] = a1
    a2 = i32 [a0]
    a3 = u16 [a0]
    a4 = i8 [a0]
    ret

## case: store_u16 to the stack
## pre: a0 = 0xabcd
## post: [0xfffdfffe] = cd ab, gas = 2
%stack_size = 4096
    u16 [0xfffdfffe] = a0
    ret

## case: store_u16 crossing the end of rw data traps
## only: standard
## pre: a0 = 0xabcd
## post: status = trap, pc = 0, [0x20fff] = 00
%rw_data_size = 4096
    u16 [0x20fff] = a0
    ret

## case: store_u8 to the top byte of the stack
## pre: a0 = 0x1ee
## post: [0xfffdfffe] = 00 ee
%stack_size = 4096
    u8 [0xfffdffff] = a0
    ret

## case: store_u64 crossing the end of rw data traps
## only: standard
## pre: a0 = 0xffffffffffffffff
## post: status = trap, pc = 0, [0x20ffc] = 00 00 00 00
%rw_data_size = 4096
    u64 [0x20ffc] = a0
    ret

## case: store_imm_u32 unaligned
## post: [0x20000] = 00 78 56 34 12 00
%rw_data_size = 4096
    u32 [0x20001] = 0x12345678
    ret

## case: store_imm_u32 to the stack
## post: [0xfffdfffc] = 00 00 00 80
%stack_size = 4096
    u32 [0xfffdfffc] = 0x80000000
    ret

## case: store_imm_u16 crossing the end of rw data traps
## only: standard
## post: status = trap, pc = 0, [0x20fff] = 00
%rw_data_size = 4096
    u16 [0x20fff] = 1
    ret

## case: store_imm_indirect_u16 truncates the immediate
## pre: a0 = 0x20000
## post: [0x20000] = 00 45 23 00
%rw_data_size = 4096
    u16 [a0 + 1] = 0x12345
    ret

## case: store_imm_indirect_u16 to ro data traps
## only: standard
## pre: a0 = 0x10000
## post: status = trap, pc = 0, [0x10000] = 11 22
%ro_data = 11 22
    u16 [a0] = 0
    ret

## case: store_imm_indirect_u8 on the stack
## post: [0xfffdfffe] = 00 ff
%stack_size = 4096
    u8 [sp + -1] = -1
    ret

## case: store_imm_indirect_u32 crossing the end of rw data traps
## only: standard
## pre: a0 = 0x20ffd
## post: status = trap, pc = 0, [0x20ffd] = 00 00 00
%rw_data_size = 4096
    u32 [a0] = -1
    ret

## case: store_indirect_u32 to ro data traps
## only: standard
## pre: a0 = 0x10000, a1 = 0xffffffff
## post: status = trap, pc = 0, [0x10000] = 11 22 33 44
%ro_data = 11 22 33 44
    u32 [a0] = a1
    ret

## case: store_indirect_u8 at the top byte of the stack
## pre: a0 = 0xfedcba9876543210
## post: [0xfffdffff] = 10
%stack_size = 4096
    u8 [sp + -1] = a0
    ret

## case: load_i8 from ro data
## post: a0 = 0xffffffffffffffff
%ro_data = 00 ff
    a0 = i8 [0x10001]
    ret

## case: load_i16 unaligned from the stack
## pre: [0xfffdfff0] = 00 fe ff 00
## post: a0 = 0xfffffffffffffffe
%stack_size = 4096
    a0 = i16 [0xfffdfff1]
    ret

## case: load_i32 unaligned
## post: a0 = 0xffffffff80402010
%rw_data_size = 4096
%rw_data = 00 10 20 40 80
    a0 = i32 [0x20001]
    ret

## case: load_indirect_i16 positive
## pre: a0 = 0x20000
## post: a2 = 0x7ffe
%rw_data_size = 4096
%rw_data = fe 7f
    a2 = i16 [a0]
    ret

## case: load_indirect_u16 from the stack
## pre: [0xfffdfffe] = 34 f2
## post: a2 = 0xf234
%stack_size = 4096
    a2 = u16 [sp + -2]
    ret

## case: load_indirect_i8 positive
## pre: a0 = 0x20002
## post: a2 = 0x7f
%rw_data_size = 4096
%rw_data = 00 00 7f
    a2 = i8 [a0]
    ret

## case: load_indirect_u8 from ro data
## pre: a0 = 0x10004
## post: a2 = 0x80
%ro_data = 00 00 00 80 80
    a2 = u8 [a0]
    ret
