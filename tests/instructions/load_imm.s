# load_imm (an i32 immediate sign-extended to 64 bits) and load_imm64 (a full 64-bit immediate).

## case: load_imm small
## post: a0 = 5, gas = 2
    a0 = 5
    ret

## case: load_imm -1 sign-extends
## post: a0 = 0xffffffffffffffff, gas = 2
    a0 = -1
    ret

## case: load_imm INT32_MAX
## post: a0 = 0x7fffffff
    a0 = 0x7fffffff
    ret

## case: load_imm INT32_MIN sign-extends
## post: a0 = 0xffffffff80000000
    a0 = 0xffffffff80000000
    ret

## case: load_imm 0 overwrites
## pre: a0 = 0x1234
## post: a0 = 0
    a0 = 0
    ret

## case: load_imm at every immediate length boundary
## post: a0 = 0xffffffffffffff80, a1 = 0x80, a2 = 0x8000, a3 = 0xffffffffffff7fff, a4 = 0x800000, a5 = 0xffffffffff7fffff, gas = 7
    a0 = -128
    a1 = 128
    a2 = 0x8000
    a3 = -32769
    a4 = 0x800000
    a5 = -8388609
    ret

## case: load_imm into sp
## post: sp = 0x20000, gas = 2
    sp = 0x20000
    ret

## case: load_imm of -65536 into ra still returns to the host
## post: ra = 0xffffffffffff0000, gas = 2
    ra = -65536
    ret

## case: load_imm64 full value
## post: a0 = 0xdeadbeefdeadbeef, gas = 2
    a0 = 0xdeadbeefdeadbeef
    ret

## case: load_imm64 of 0x80000000 is not sign-extended
## post: a0 = 0x80000000, gas = 2
    a0 = 0x80000000
    ret

## case: load_imm64 of 0xffffffff
## pre: a0 = 0xffffffffffffffff
## post: a0 = 0xffffffff
    a0 = 0xffffffff
    ret

## case: load_imm64 small value
## pre: a0 = 0x1234567890
## post: a0 = 5
    load_imm64 a0, 0x5
    ret

## case: load_imm64 all ones
## post: a5 = 0xffffffffffffffff
    load_imm64 a5, 0xffffffffffffffff
    ret

## case: load_imm64 of the high bit
## post: t0 = 0x8000000000000000
    t0 = 0x8000000000000000
    ret

## case: load_imm64 into ra with the return address in the low word
## post: ra = 0x12345678ffff0000, gas = 2
    ra = 0x12345678ffff0000
    ret

## case: load_imm64 into ra with a zero low word traps on ret
## post: status = trap, pc = @r, ra = 0x100000000, gas = 2
    ra = 0x100000000
pub @r: %no_fallthrough
    ret

## case: load_imm64 immediate bytes past the end of the code read as zero
# opcode 20 = load_imm64, register a0, only two of the eight immediate bytes present; then the implicit trap.
## post: status = trap, pc = 4, a0 = 0x0201, gas = 2
%raw 14 07 01 02

## case: register fields 13 to 15 mean a5
# add_64 (200): b1 = s1 | s2 << 4 = a0 | 15 << 4, b2 = destination 13
## pre: a0 = 5, a5 = 0x100
## post: a5 = 0x105, gas = 2
%raw c8 f7 0d
    ret

## case: register field 15 as the destination of add_imm_64
# add_imm_64 (149): b1 = d | s << 4 with d = 15, s = a0; immediate 5
## pre: a0 = 1
## post: a5 = 6, gas = 2
%raw 95 7f 05
    ret

## case: a non-minimal immediate encoding decodes the same
# load_imm (51) a0 with the 4-byte immediate ff ff ff ff
## post: a0 = 0xffffffffffffffff, gas = 2
%raw 33 07 ff ff ff ff
    ret

## case: a short immediate is sign-extended from its length
# load_imm (51) a0 with the 2-byte immediate 0x80ff
## post: a0 = 0xffffffffffff80ff
%raw 33 07 ff 80
    ret
