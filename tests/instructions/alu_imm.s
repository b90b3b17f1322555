# Register + immediate ALU ops. Immediates are i32, sign-extended to 64 bits where they meet 64-bit values.
# `alt` forms swap the roles: the immediate is the value, the register is the shift/rotate amount.

## case: add_imm_32 small
## pre: a0 = 5
## post: a2 = 8, gas = 2
    i32 a2 = a0 + 3
    ret

## case: add_imm_32 0x7fffffff + 1 sign-extends
## pre: a0 = 0x7fffffff
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 + 1
    ret

## case: add_imm_32 ignores upper garbage
## pre: a0 = 0xffffffff00000010
## post: a2 = 0xf
    i32 a2 = a0 + -1
    ret

## case: add_imm_32 0 + -1
## pre: a0 = 0
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 + -1
    ret

## case: add_imm_32 0x80000000 - 1
## pre: a0 = 0x80000000
## post: a2 = 0x7fffffff
    i32 a2 = a0 - 1
    ret

## case: add_imm_32 large immediate
## pre: a0 = 0x7fffffff
## post: a2 = 0xfffffffffffffffe
    i32 a2 = a0 + 0x7fffffff
    ret

## case: add_imm_32 in place
## pre: a0 = 0x100000003
## post: a0 = 0xfffffffffffffffe
    i32 a0 = a0 - 5
    ret

## case: add_imm_64 negative immediate
## pre: a0 = 5
## post: a2 = 4, gas = 2
    a2 = a0 + -1
    ret

## case: add_imm_64 carries into the upper word
## pre: a0 = 0xffffffff
## post: a2 = 0x100000000
    a2 = a0 + 1
    ret

## case: add_imm_64 INT32_MIN immediate sign-extends
## pre: a0 = 0
## post: a2 = 0xffffffff80000000
    a2 = a0 + 0x80000000
    ret

## case: add_imm_64 signed overflow
## pre: a0 = 0x7fffffffffffffff
## post: a2 = 0x8000000000000000
    a2 = a0 + 1
    ret

## case: add_imm_64 stack pointer adjust
## post: sp = 0xfffdfff0
    sp = sp - 16
    ret

## case: add_imm_64 wraps below zero
## pre: a0 = 3
## post: a2 = 0xffffffffffffffff
    a2 = a0 - 4
    ret

## case: and_imm small
## pre: a0 = 0xffffffffffffffff
## post: a2 = 0x7f, gas = 2
    a2 = a0 & 0x7f
    ret

## case: and_imm negative immediate keeps the upper word
## pre: a0 = 0xffffffffffffffff
## post: a2 = 0xfffffffffffffff0
    a2 = a0 & -16
    ret

## case: and_imm 0xff00
## pre: a0 = 0x123456789
## post: a2 = 0x6700
    a2 = a0 & 0xff00
    ret

## case: and_imm 0x80000000 sign-extends
## pre: a0 = 0xffffffffffffffff
## post: a2 = 0xffffffff80000000
    a2 = a0 & 0x80000000
    ret

## case: xor_imm -1 is not
## pre: a0 = 0
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = a0 ^ -1
    ret

## case: xor_imm small
## pre: a0 = 0xff
## post: a2 = 0xf0
    a2 = a0 ^ 0xf
    ret

## case: xor_imm negative
## pre: a0 = 0x1234
## post: a2 = 0xffffffffffffedcb
    a2 = a0 ^ -1
    ret

## case: or_imm INT32_MIN sign-extends
## pre: a0 = 0
## post: a2 = 0xffffffff80000000, gas = 2
    a2 = a0 | 0x80000000
    ret

## case: or_imm small
## pre: a0 = 0x100
## post: a2 = 0x101
    a2 = a0 | 1
    ret

## case: or_imm keeps the upper word
## pre: a0 = 0x100000000
## post: a2 = 0x100000005
    a2 = a0 | 5
    ret

## case: mul_imm_32 small
## pre: a0 = 7
## post: a2 = 42, gas = 2
    i32 a2 = a0 * 6
    ret

## case: mul_imm_32 truncates to 32 bits
## pre: a0 = 0x10000
## post: a2 = 0
    i32 a2 = a0 * 0x10000
    ret

## case: mul_imm_32 sign-extends
## pre: a0 = 0x40000000
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 * 2
    ret

## case: mul_imm_32 ignores upper garbage
## pre: a0 = 0xabcdef00000003
## post: a2 = 0xfffffffffffffffd
    i32 a2 = a0 * -1
    ret

## case: mul_imm_64 by -1
## pre: a0 = 7
## post: a2 = 0xfffffffffffffff9, gas = 2
    a2 = a0 * -1
    ret

## case: mul_imm_64 keeps the upper word
## pre: a0 = 0x100000000
## post: a2 = 0x10000000000
    a2 = a0 * 0x100
    ret

## case: mul_imm_64 wraps
## pre: a0 = 0x8000000000000000
## post: a2 = 0
    a2 = a0 * 2
    ret

## case: mul_imm_64 0xffffffff * -1
## pre: a0 = 0xffffffff
## post: a2 = 0xffffffff00000001
    a2 = a0 * -1
    ret

## case: set_lt_u_imm true
## pre: a0 = 5
## post: a2 = 1, gas = 2
    a2 = a0 <u 6
    ret

## case: set_lt_u_imm equal is false
## pre: a0 = 6, a2 = 9
## post: a2 = 0
    a2 = a0 <u 6
    ret

## case: set_lt_u_imm -1 immediate is the maximum
## pre: a0 = 0xfffffffffffffffe
## post: a2 = 1
    a2 = a0 <u -1
    ret

## case: set_lt_u_imm 0xffffffff below sign-extended -1
## pre: a0 = 0xffffffff
## post: a2 = 1
    a2 = a0 <u -1
    ret

## case: set_lt_u_imm high bit set is large
## pre: a0 = 0x8000000000000000
## post: a2 = 0
    a2 = a0 <u 0x7fffffff
    ret

## case: set_lt_s_imm -1 < 0
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1, gas = 2
    a2 = a0 <s 0
    ret

## case: set_lt_s_imm 0 < -1 is false
## pre: a0 = 0, a2 = 7
## post: a2 = 0
    a2 = a0 <s -1
    ret

## case: set_lt_s_imm INT64_MIN < INT32_MIN
## pre: a0 = 0x8000000000000000
## post: a2 = 1
    a2 = a0 <s -0x80000000
    ret

## case: set_lt_s_imm 0xffffffff is positive
## pre: a0 = 0xffffffff
## post: a2 = 0
    a2 = a0 <s 0
    ret

## case: set_gt_u_imm true
## pre: a0 = 7
## post: a2 = 1, gas = 2
    a2 = a0 >u 6
    ret

## case: set_gt_u_imm equal is false
## pre: a0 = 6, a2 = 3
## post: a2 = 0
    a2 = a0 >u 6
    ret

## case: set_gt_u_imm max > -2
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1
    a2 = a0 >u -2
    ret

## case: set_gt_u_imm 0xffffffff is not above sign-extended -1
## pre: a0 = 0xffffffff
## post: a2 = 0
    a2 = a0 >u -1
    ret

## case: set_gt_u_imm high bit set is large
## pre: a0 = 0x8000000000000000
## post: a2 = 1
    a2 = a0 >u 5
    ret

## case: set_gt_u_imm written as imm <u reg
## pre: a0 = 6
## post: a2 = 1
    a2 = 5 <u a0
    ret

## case: set_gt_s_imm 0 > -1
## pre: a0 = 0
## post: a2 = 1, gas = 2
    a2 = a0 >s -1
    ret

## case: set_gt_s_imm -1 > 0 is false
## pre: a0 = 0xffffffffffffffff, a2 = 1
## post: a2 = 0
    a2 = a0 >s 0
    ret

## case: set_gt_s_imm INT64_MAX > INT32_MAX
## pre: a0 = 0x7fffffffffffffff
## post: a2 = 1
    a2 = a0 >s 0x7fffffff
    ret

## case: set_gt_s_imm INT64_MIN > -1 is false
## pre: a0 = 0x8000000000000000
## post: a2 = 0
    a2 = a0 >s -1
    ret

## case: set_gt_s_imm written as imm <s reg
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1
    a2 = -2 <s a0
    ret

## case: shl_imm_32 1 << 31 sign-extends
## pre: a0 = 1
## post: a2 = 0xffffffff80000000, gas = 2
    i32 a2 = a0 << 31
    ret

## case: shl_imm_32 amount 32 is masked to 0
## pre: a0 = 1
## post: a2 = 1
    i32 a2 = a0 << 32
    ret

## case: shl_imm_32 amount 33 is masked to 1
## pre: a0 = 1
## post: a2 = 2
    i32 a2 = a0 << 33
    ret

## case: shl_imm_32 amount -1 is masked to 31
## pre: a0 = 1
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 << -1
    ret

## case: shl_imm_32 by 4
## pre: a0 = 0x12345678
## post: a2 = 0x23456780
    i32 a2 = a0 << 4
    ret

## case: shl_imm_32 ignores upper garbage
## pre: a0 = 0xffffffff00000003
## post: a2 = 6
    i32 a2 = a0 << 1
    ret

## case: shr_imm_32 0x80000000 >> 31
## pre: a0 = 0x80000000
## post: a2 = 1, gas = 2
    i32 a2 = a0 >> 31
    ret

## case: shr_imm_32 by 0 sign-extends
## pre: a0 = 0x80000000
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 >> 0
    ret

## case: shr_imm_32 amount 32 is masked to 0
## pre: a0 = 0x80000000
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 >> 32
    ret

## case: shr_imm_32 upper garbage is not shifted in
## pre: a0 = 0xfffffffff0000000
## post: a2 = 0x0f000000
    i32 a2 = a0 >> 4
    ret

## case: shr_imm_32 amount 36 is masked to 4
## pre: a0 = 0xf0000000
## post: a2 = 0x0f000000
    i32 a2 = a0 >> 36
    ret

## case: sar_imm_32 negative
## pre: a0 = 0x80000000
## post: a2 = 0xfffffffff8000000, gas = 2
    i32 a2 = a0 >>a 4
    ret

## case: sar_imm_32 positive
## pre: a0 = 0x70000000
## post: a2 = 0x07000000
    i32 a2 = a0 >>a 4
    ret

## case: sar_imm_32 amount 63 is masked to 31
## pre: a0 = 0x80000000
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 >>a 63
    ret

## case: sar_imm_32 by 0 sign-extends
## pre: a0 = 0x80000000
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 >>a 0
    ret

## case: sar_imm_32 sign comes from bit 31
## pre: a0 = 0x8000000070000000
## post: a2 = 0x07000000
    i32 a2 = a0 >>a 4
    ret

## case: shl_imm_alt_32 1 << 31
## pre: a0 = 31
## post: a2 = 0xffffffff80000000, gas = 2
    i32 a2 = 1 << a0
    ret

## case: shl_imm_alt_32 amount 32 is masked to 0
## pre: a0 = 32
## post: a2 = 1
    i32 a2 = 1 << a0
    ret

## case: shl_imm_alt_32 amount with upper garbage
## pre: a0 = 0xffffffff00000002
## post: a2 = 20
    i32 a2 = 5 << a0
    ret

## case: shl_imm_alt_32 -65535 << 3
## pre: a0 = 3
## post: a2 = 0xfffffffffff80008
    i32 a2 = -65535 << a0
    ret

## case: shr_imm_alt_32 0x80000000 >> 31
## pre: a0 = 31
## post: a2 = 1, gas = 2
    i32 a2 = 0x80000000 >> a0
    ret

## case: shr_imm_alt_32 -1 is 0xffffffff here
## pre: a0 = 4
## post: a2 = 0x0fffffff
    i32 a2 = -1 >> a0
    ret

## case: shr_imm_alt_32 by 0 sign-extends
## pre: a0 = 0
## post: a2 = 0xffffffffffffffff
    i32 a2 = -1 >> a0
    ret

## case: shr_imm_alt_32 amount 36 is masked to 4
## pre: a0 = 36
## post: a2 = 0x0fffffff
    i32 a2 = -1 >> a0
    ret

## case: sar_imm_alt_32 -16 >>a 2
## pre: a0 = 2
## post: a2 = 0xfffffffffffffffc, gas = 2
    i32 a2 = -16 >>a a0
    ret

## case: sar_imm_alt_32 INT32_MIN >>a 31
## pre: a0 = 31
## post: a2 = 0xffffffffffffffff
    i32 a2 = 0x80000000 >>a a0
    ret

## case: sar_imm_alt_32 amount 33 is masked to 1
## pre: a0 = 33
## post: a2 = 0x3fffffff
    i32 a2 = 0x7fffffff >>a a0
    ret

## case: sar_imm_alt_32 positive
## pre: a0 = 0x100000003
## post: a2 = 8
    i32 a2 = 64 >>a a0
    ret

## case: shl_imm_64 1 << 63
## pre: a0 = 1
## post: a2 = 0x8000000000000000, gas = 2
    a2 = a0 << 63
    ret

## case: shl_imm_64 amount 64 is masked to 0
## pre: a0 = 1
## post: a2 = 1
    a2 = a0 << 64
    ret

## case: shl_imm_64 by 32 keeps the bits
## pre: a0 = 0xffffffff
## post: a2 = 0xffffffff00000000
    a2 = a0 << 32
    ret

## case: shl_imm_64 amount -1 is masked to 63
## pre: a0 = 1
## post: a2 = 0x8000000000000000
    a2 = a0 << -1
    ret

## case: shl_imm_64 amount 65 is masked to 1
## pre: a0 = 3
## post: a2 = 6
    a2 = a0 << 65
    ret

## case: shr_imm_64 INT64_MIN >> 63
## pre: a0 = 0x8000000000000000
## post: a2 = 1, gas = 2
    a2 = a0 >> 63
    ret

## case: shr_imm_64 amount 64 is masked to 0
## pre: a0 = 0x8000000000000000
## post: a2 = 0x8000000000000000
    a2 = a0 >> 64
    ret

## case: shr_imm_64 max >> 4
## pre: a0 = 0xffffffffffffffff
## post: a2 = 0x0fffffffffffffff
    a2 = a0 >> 4
    ret

## case: shr_imm_64 by 0
## pre: a0 = 0xfedcba9876543210
## post: a2 = 0xfedcba9876543210
    a2 = a0 >> 0
    ret

## case: sar_imm_64 INT64_MIN >>a 63
## pre: a0 = 0x8000000000000000
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = a0 >>a 63
    ret

## case: sar_imm_64 INT64_MIN >>a 4
## pre: a0 = 0x8000000000000000
## post: a2 = 0xf800000000000000
    a2 = a0 >>a 4
    ret

## case: sar_imm_64 positive
## pre: a0 = 0x7fffffffffffffff
## post: a2 = 7
    a2 = a0 >>a 60
    ret

## case: sar_imm_64 bit 31 is not the sign
## pre: a0 = 0xffffffff
## post: a2 = 0xffff
    a2 = a0 >>a 16
    ret

## case: sar_imm_64 amount 64 is masked to 0
## pre: a0 = 0x8000000000000000
## post: a2 = 0x8000000000000000
    a2 = a0 >>a 64
    ret

## case: shl_imm_alt_64 1 << 63
## pre: a0 = 63
## post: a2 = 0x8000000000000000, gas = 2
    a2 = 1 << a0
    ret

## case: shl_imm_alt_64 negative value is sign-extended first
## pre: a0 = 4
## post: a2 = 0xfffffffffffffff0
    a2 = -1 << a0
    ret

## case: shl_imm_alt_64 by 32
## pre: a0 = 32
## post: a2 = 0x7fffffff00000000
    a2 = 0x7fffffff << a0
    ret

## case: shl_imm_alt_64 amount 64 is masked to 0
## pre: a0 = 64
## post: a2 = 1
    a2 = 1 << a0
    ret

## case: shr_imm_alt_64 -1 >> 32
## pre: a0 = 32
## post: a2 = 0xffffffff, gas = 2
    a2 = -1 >> a0
    ret

## case: shr_imm_alt_64 -1 >> 63
## pre: a0 = 63
## post: a2 = 1
    a2 = -1 >> a0
    ret

## case: shr_imm_alt_64 INT32_MIN is sign-extended first
## pre: a0 = 31
## post: a2 = 0x1ffffffff
    a2 = 0x80000000 >> a0
    ret

## case: shr_imm_alt_64 amount 64 is masked to 0
## pre: a0 = 64
## post: a2 = 16
    a2 = 16 >> a0
    ret

## case: sar_imm_alt_64 -16 >>a 2
## pre: a0 = 2
## post: a2 = 0xfffffffffffffffc, gas = 2
    a2 = -16 >>a a0
    ret

## case: sar_imm_alt_64 INT32_MIN >>a 63
## pre: a0 = 63
## post: a2 = 0xffffffffffffffff
    a2 = 0x80000000 >>a a0
    ret

## case: sar_imm_alt_64 positive
## pre: a0 = 16
## post: a2 = 0x7fff
    a2 = 0x7fffffff >>a a0
    ret

## case: sar_imm_alt_64 amount 100 is masked to 36
## pre: a0 = 100
## post: a2 = 0xffffffffffffffff
    a2 = -1 >>a a0
    ret

## case: rotr_imm_64 1 >>r 1
## pre: a0 = 1
## post: a2 = 0x8000000000000000, gas = 2
    a2 = a0 >>r 1
    ret

## case: rotr_imm_64 by 4
## pre: a0 = 0x0123456789abcdef
## post: a2 = 0xf0123456789abcde
    a2 = a0 >>r 4
    ret

## case: rotr_imm_64 by 0
## pre: a0 = 0x0123456789abcdef
## post: a2 = 0x0123456789abcdef
    a2 = a0 >>r 0
    ret

## case: rotr_imm_64 amount 64 is masked to 0
## pre: a0 = 0x0123456789abcdef
## post: a2 = 0x0123456789abcdef
    a2 = a0 >>r 64
    ret

## case: rotr_imm_64 by 63
## pre: a0 = 0x0123456789abcdef
## post: a2 = 0x02468acf13579bde
    a2 = a0 >>r 63
    ret

## case: rotr_imm_alt_64 9 >>r 3
## pre: a0 = 3
## post: a2 = 0x2000000000000001, gas = 2
    a2 = 9 >>r a0
    ret

## case: rotr_imm_alt_64 -2 >>r 1
## pre: a0 = 1
## post: a2 = 0x7fffffffffffffff
    a2 = -2 >>r a0
    ret

## case: rotr_imm_alt_64 INT32_MIN is sign-extended first
## pre: a0 = 32
## post: a2 = 0x80000000ffffffff
    a2 = 0x80000000 >>r a0
    ret

## case: rotr_imm_alt_64 by 0
## pre: a0 = 0
## post: a2 = 1
    a2 = 1 >>r a0
    ret

## case: rotr_imm_alt_64 amount 65 is masked to 1
## pre: a0 = 65
## post: a2 = 0x8000000000000000
    a2 = 1 >>r a0
    ret

## case: rotr_imm_32 1 >>r 1
## pre: a0 = 1
## post: a2 = 0xffffffff80000000, gas = 2
    i32 a2 = a0 >>r 1
    ret

## case: rotr_imm_32 by 8
## pre: a0 = 0x12345678
## post: a2 = 0x78123456
    i32 a2 = a0 >>r 8
    ret

## case: rotr_imm_32 by 0 sign-extends
## pre: a0 = 0x80000000
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 >>r 0
    ret

## case: rotr_imm_32 amount 32 is masked to 0
## pre: a0 = 0x12345678
## post: a2 = 0x12345678
    i32 a2 = a0 >>r 32
    ret

## case: rotr_imm_32 by 31
## pre: a0 = 0x12345678
## post: a2 = 0x2468acf0
    i32 a2 = a0 >>r 31
    ret

## case: rotr_imm_32 ignores upper garbage
## pre: a0 = 0xffffffff00000002
## post: a2 = 1
    i32 a2 = a0 >>r 1
    ret

## case: rotr_imm_alt_32 1 >>r 1
## pre: a0 = 1
## post: a2 = 0xffffffff80000000, gas = 2
    i32 a2 = 1 >>r a0
    ret

## case: rotr_imm_alt_32 by 4
## pre: a0 = 4
## post: a2 = 0xffffffff81234567
    i32 a2 = 0x12345678 >>r a0
    ret

## case: rotr_imm_alt_32 -1 stays all ones
## pre: a0 = 5
## post: a2 = 0xffffffffffffffff
    i32 a2 = -1 >>r a0
    ret

## case: rotr_imm_alt_32 amount 36 is masked to 4
## pre: a0 = 36
## post: a2 = 0xffffffff81234567
    i32 a2 = 0x12345678 >>r a0
    ret

## case: rotr_imm_alt_32 by 0
## pre: a0 = 0xffffffff00000000
## post: a2 = 0x12345678
    i32 a2 = 0x12345678 >>r a0
    ret

## case: neg_add_imm_32 10 - 3
## pre: a0 = 3
## post: a2 = 7, gas = 2
    i32 a2 = 10 - a0
    ret

## case: neg_add_imm_32 negate 1
## pre: a0 = 1
## post: a2 = 0xffffffffffffffff
    i32 a2 = -a0
    ret

## case: neg_add_imm_32 negate INT32_MIN
## pre: a0 = 0x80000000
## post: a2 = 0xffffffff80000000
    i32 a2 = -a0
    ret

## case: neg_add_imm_32 ignores upper garbage
## pre: a0 = 0x7777777700000007
## post: a2 = 0xfffffffffffffffe
    i32 a2 = 5 - a0
    ret

## case: neg_add_imm_32 overflow
## pre: a0 = 0xffffffff
## post: a2 = 0xffffffff80000000
    i32 a2 = 0x7fffffff - a0
    ret

## case: neg_add_imm_64 10 - 3
## pre: a0 = 3
## post: a2 = 7, gas = 2
    a2 = 10 - a0
    ret

## case: neg_add_imm_64 negate 1
## pre: a0 = 1
## post: a2 = 0xffffffffffffffff
    a2 = -a0
    ret

## case: neg_add_imm_64 -1 - -1
## pre: a0 = 0xffffffffffffffff
## post: a2 = 0
    a2 = -1 - a0
    ret

## case: neg_add_imm_64 negate INT64_MIN
## pre: a0 = 0x8000000000000000
## post: a2 = 0x8000000000000000
    a2 = -a0
    ret

## case: neg_add_imm_64 borrows from the upper word
## pre: a0 = 0x100000000
## post: a2 = 0xffffffff00000005
    a2 = 5 - a0
    ret

## case: shr_imm_alt_32 amount with upper garbage
## pre: a0 = 0xffffffff00000001
## post: a2 = 0x40000000
    i32 a2 = 0x80000000 >> a0
    ret

## case: add_imm_32 of zero sign-extends the register
## pre: a0 = 0x00000000ffffffff
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 + 0
    ret

## case: and_imm with zero
## pre: a0 = 0xffffffffffffffff, a2 = 5
## post: a2 = 0
    a2 = a0 & 0
    ret
