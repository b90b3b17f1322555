# 32-bit three-register ALU ops: compute on the low 32 bits, sign-extend the 32-bit result to 64.
# Harness syntax: see tests/test_instructions.py. Every case here is `op; ret` (one block, 2 gas).

## case: add_32 small
## pre: a0 = 2, a1 = 3
## post: a2 = 5, gas = 2
    i32 a2 = a0 + a1
    ret

## case: add_32 0x7fffffff + 1 sign-extends
## pre: a0 = 0x7fffffff, a1 = 1
## post: a2 = 0xffffffff80000000, gas = 2
    i32 a2 = a0 + a1
    ret

## case: add_32 0xffffffff + 1 wraps to 0
## pre: a0 = 0xffffffff, a1 = 1
## post: a2 = 0
    i32 a2 = a0 + a1
    ret

## case: add_32 ignores upper garbage
## pre: a0 = 0xdeadbeef00000001, a1 = 0x1234567800000002
## post: a2 = 3
    i32 a2 = a0 + a1
    ret

## case: add_32 -1 + -1
## pre: a0 = 0xffffffff, a1 = 0xffffffffffffffff
## post: a2 = 0xfffffffffffffffe
    i32 a2 = a0 + a1
    ret

## case: add_32 0x80000000 + 0x80000000
## pre: a0 = 0x80000000, a1 = 0x80000000
## post: a2 = 0
    i32 a2 = a0 + a1
    ret

## case: add_32 dst equals both sources
## pre: a0 = 0x40000000
## post: a0 = 0xffffffff80000000
    i32 a0 = a0 + a0
    ret

## case: sub_32 small
## pre: a0 = 5, a1 = 3
## post: a2 = 2, gas = 2
    i32 a2 = a0 - a1
    ret

## case: sub_32 0 - 1
## pre: a0 = 0, a1 = 1
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 - a1
    ret

## case: sub_32 0x80000000 - 1 is positive
## pre: a0 = 0x80000000, a1 = 1
## post: a2 = 0x7fffffff
    i32 a2 = a0 - a1
    ret

## case: sub_32 low half zero minus 1
## pre: a0 = 0x100000000, a1 = 1
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 - a1
    ret

## case: sub_32 ignores upper garbage
## pre: a0 = 0xffffffff00000003, a1 = 0x0000000100000005
## post: a2 = 0xfffffffffffffffe
    i32 a2 = a0 - a1
    ret

## case: sub_32 0x7fffffff - -1 overflows
## pre: a0 = 0x7fffffff, a1 = 0xffffffff
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 - a1
    ret

## case: sub_32 x - x
## pre: a0 = 0x1234567887654321
## post: a0 = 0
    i32 a0 = a0 - a0
    ret

## case: mul_32 small
## pre: a0 = 6, a1 = 7
## post: a2 = 42, gas = 2
    i32 a2 = a0 * a1
    ret

## case: mul_32 0x10000 squared truncates to 0
## pre: a0 = 0x10000, a1 = 0x10000
## post: a2 = 0
    i32 a2 = a0 * a1
    ret

## case: mul_32 -1 * -1
## pre: a0 = 0xffffffff, a1 = 0xffffffff
## post: a2 = 1
    i32 a2 = a0 * a1
    ret

## case: mul_32 0x7fffffff * 2 sign-extends
## pre: a0 = 0x7fffffff, a1 = 2
## post: a2 = 0xfffffffffffffffe
    i32 a2 = a0 * a1
    ret

## case: mul_32 ignores upper garbage
## pre: a0 = 0x0000000100000003, a1 = 0x0000000f00000005
## post: a2 = 15
    i32 a2 = a0 * a1
    ret

## case: mul_32 -3 * 5
## pre: a0 = 0xfffffffd, a1 = 5
## post: a2 = 0xfffffffffffffff1
    i32 a2 = a0 * a1
    ret

## case: mul_32 0x12345678 * 0x9abcdef0 low word
## pre: a0 = 0x12345678, a1 = 0x9abcdef0
## post: a2 = 0x242d2080
    i32 a2 = a0 * a1
    ret

## case: div_unsigned_32 small
## pre: a0 = 100, a1 = 7
## post: a2 = 14, gas = 2
    i32 a2 = a0 /u a1
    ret

## case: div_unsigned_32 by zero
## pre: a0 = 5, a1 = 0
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 /u a1
    ret

## case: div_unsigned_32 by zero in the low half only
## pre: a0 = 5, a1 = 0x100000000
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 /u a1
    ret

## case: div_unsigned_32 0 by zero
## pre: a0 = 0, a1 = 0
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 /u a1
    ret

## case: div_unsigned_32 0xffffffff / 1 sign-extends
## pre: a0 = 0xffffffff, a1 = 1
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 /u a1
    ret

## case: div_unsigned_32 is unsigned
## pre: a0 = 0xffffffff, a1 = 2
## post: a2 = 0x7fffffff
    i32 a2 = a0 /u a1
    ret

## case: div_unsigned_32 0xfffffffe / 0xffffffff
## pre: a0 = 0xfffffffe, a1 = 0xffffffff
## post: a2 = 0
    i32 a2 = a0 /u a1
    ret

## case: div_unsigned_32 ignores upper garbage
## pre: a0 = 0xffffffff00000064, a1 = 0x0000000a0000000a
## post: a2 = 10
    i32 a2 = a0 /u a1
    ret

## case: div_signed_32 -7 / 2 truncates
## pre: a0 = 0xfffffff9, a1 = 2
## post: a2 = 0xfffffffffffffffd, gas = 2
    i32 a2 = a0 /s a1
    ret

## case: div_signed_32 7 / -2
## pre: a0 = 7, a1 = 0xfffffffe
## post: a2 = 0xfffffffffffffffd
    i32 a2 = a0 /s a1
    ret

## case: div_signed_32 -7 / -2
## pre: a0 = 0xfffffff9, a1 = 0xfffffffe
## post: a2 = 3
    i32 a2 = a0 /s a1
    ret

## case: div_signed_32 INT_MIN / -1
## pre: a0 = 0x80000000, a1 = 0xffffffff
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 /s a1
    ret

## case: div_signed_32 INT_MIN / 1
## pre: a0 = 0x80000000, a1 = 1
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 /s a1
    ret

## case: div_signed_32 by zero
## pre: a0 = 0x1234, a1 = 0
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 /s a1
    ret

## case: div_signed_32 negative by zero
## pre: a0 = 0x80000000, a1 = 0xffffffff00000000
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 /s a1
    ret

## case: div_signed_32 ignores upper garbage
## pre: a0 = 0x00000001fffffff9, a1 = 0x0000000700000002
## post: a2 = 0xfffffffffffffffd
    i32 a2 = a0 /s a1
    ret

## case: rem_unsigned_32 small
## pre: a0 = 100, a1 = 7
## post: a2 = 2, gas = 2
    i32 a2 = a0 %u a1
    ret

## case: rem_unsigned_32 by zero returns the sign-extended dividend
## pre: a0 = 0x80000005, a1 = 0
## post: a2 = 0xffffffff80000005
    i32 a2 = a0 %u a1
    ret

## case: rem_unsigned_32 by zero drops upper garbage
## pre: a0 = 0x0000000100000007, a1 = 0xffffffff00000000
## post: a2 = 7
    i32 a2 = a0 %u a1
    ret

## case: rem_unsigned_32 0xffffffff % 16
## pre: a0 = 0xffffffff, a1 = 16
## post: a2 = 15
    i32 a2 = a0 %u a1
    ret

## case: rem_unsigned_32 0xfffffff5 % 0xffffffff
## pre: a0 = 0xfffffff5, a1 = 0xffffffff
## post: a2 = 0xfffffffffffffff5
    i32 a2 = a0 %u a1
    ret

## case: rem_signed_32 -7 % 2
## pre: a0 = 0xfffffff9, a1 = 2
## post: a2 = 0xffffffffffffffff, gas = 2
    i32 a2 = a0 %s a1
    ret

## case: rem_signed_32 7 % -2
## pre: a0 = 7, a1 = 0xfffffffe
## post: a2 = 1
    i32 a2 = a0 %s a1
    ret

## case: rem_signed_32 -7 % -2
## pre: a0 = 0xfffffff9, a1 = 0xfffffffe
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 %s a1
    ret

## case: rem_signed_32 INT_MIN % -1
## pre: a0 = 0x80000000, a1 = 0xffffffff
## post: a2 = 0
    i32 a2 = a0 %s a1
    ret

## case: rem_signed_32 by zero returns the dividend
## pre: a0 = 0xfffffff9, a1 = 0
## post: a2 = 0xfffffffffffffff9
    i32 a2 = a0 %s a1
    ret

## case: rem_signed_32 INT_MIN by zero
## pre: a0 = 0x80000000, a1 = 0
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 %s a1
    ret

## case: rem_signed_32 by zero drops upper garbage
## pre: a0 = 0x1234567800000009, a1 = 0x100000000
## post: a2 = 9
    i32 a2 = a0 %s a1
    ret

## case: shl_32 1 << 31 sign-extends
## pre: a0 = 1, a1 = 31
## post: a2 = 0xffffffff80000000, gas = 2
    i32 a2 = a0 << a1
    ret

## case: shl_32 amount 32 is masked to 0
## pre: a0 = 1, a1 = 32
## post: a2 = 1
    i32 a2 = a0 << a1
    ret

## case: shl_32 amount 33 is masked to 1
## pre: a0 = 1, a1 = 33
## post: a2 = 2
    i32 a2 = a0 << a1
    ret

## case: shl_32 bits shifted out of the low word are lost
## pre: a0 = 0x80000001, a1 = 1
## post: a2 = 2
    i32 a2 = a0 << a1
    ret

## case: shl_32 0xffffffff << 4
## pre: a0 = 0xffffffff, a1 = 4
## post: a2 = 0xfffffffffffffff0
    i32 a2 = a0 << a1
    ret

## case: shl_32 amount with upper garbage
## pre: a0 = 0xabcd00000001, a1 = 0xffffffffffffffe1
## post: a2 = 2
    i32 a2 = a0 << a1
    ret

## case: shr_32 0x80000000 >> 1
## pre: a0 = 0x80000000, a1 = 1
## post: a2 = 0x40000000, gas = 2
    i32 a2 = a0 >> a1
    ret

## case: shr_32 by 0 still sign-extends the result
## pre: a0 = 0x80000000, a1 = 0
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 >> a1
    ret

## case: shr_32 amount 32 is masked to 0
## pre: a0 = 0x80000000, a1 = 32
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 >> a1
    ret

## case: shr_32 0xffffffff >> 31
## pre: a0 = 0xffffffff, a1 = 31
## post: a2 = 1
    i32 a2 = a0 >> a1
    ret

## case: shr_32 amount 63 is masked to 31
## pre: a0 = 0xffffffff, a1 = 63
## post: a2 = 1
    i32 a2 = a0 >> a1
    ret

## case: shr_32 upper garbage is not shifted in
## pre: a0 = 0xffffffff00000010, a1 = 4
## post: a2 = 1
    i32 a2 = a0 >> a1
    ret

## case: sar_32 0x80000000 >>a 1
## pre: a0 = 0x80000000, a1 = 1
## post: a2 = 0xffffffffc0000000, gas = 2
    i32 a2 = a0 >>a a1
    ret

## case: sar_32 0x80000000 >>a 31
## pre: a0 = 0x80000000, a1 = 31
## post: a2 = 0xffffffffffffffff
    i32 a2 = a0 >>a a1
    ret

## case: sar_32 0x7fffffff >>a 30
## pre: a0 = 0x7fffffff, a1 = 30
## post: a2 = 1
    i32 a2 = a0 >>a a1
    ret

## case: sar_32 amount 32 is masked to 0
## pre: a0 = 0x40000000, a1 = 32
## post: a2 = 0x40000000
    i32 a2 = a0 >>a a1
    ret

## case: sar_32 amount 33 is masked to 1
## pre: a0 = 0x80000000, a1 = 33
## post: a2 = 0xffffffffc0000000
    i32 a2 = a0 >>a a1
    ret

## case: sar_32 sign comes from bit 31 not bit 63
## pre: a0 = 0xffffffff00000010, a1 = 2
## post: a2 = 4
    i32 a2 = a0 >>a a1
    ret

## case: sar_32 negative low word
## pre: a0 = 0x00000000fffffff0, a1 = 2
## post: a2 = 0xfffffffffffffffc
    i32 a2 = a0 >>a a1
    ret

## case: rotl_32 0x80000001 <<r 1
## pre: a0 = 0x80000001, a1 = 1
## post: a2 = 3, gas = 2
    i32 a2 = a0 <<r a1
    ret

## case: rotl_32 by 0
## pre: a0 = 0x12345678, a1 = 0
## post: a2 = 0x12345678
    i32 a2 = a0 <<r a1
    ret

## case: rotl_32 by 0 sign-extends
## pre: a0 = 0x87654321, a1 = 0
## post: a2 = 0xffffffff87654321
    i32 a2 = a0 <<r a1
    ret

## case: rotl_32 amount 32 is masked to 0
## pre: a0 = 0x12345678, a1 = 32
## post: a2 = 0x12345678
    i32 a2 = a0 <<r a1
    ret

## case: rotl_32 by 4
## pre: a0 = 0x87654321, a1 = 4
## post: a2 = 0x76543218
    i32 a2 = a0 <<r a1
    ret

## case: rotl_32 by 31
## pre: a0 = 0x12345678, a1 = 31
## post: a2 = 0x091a2b3c
    i32 a2 = a0 <<r a1
    ret

## case: rotl_32 1 by 31 sign-extends
## pre: a0 = 1, a1 = 31
## post: a2 = 0xffffffff80000000
    i32 a2 = a0 <<r a1
    ret

## case: rotl_32 ignores upper garbage
## pre: a0 = 0xffffffff00000001, a1 = 0x100000001
## post: a2 = 2
    i32 a2 = a0 <<r a1
    ret

## case: rotr_32 1 >>r 1
## pre: a0 = 1, a1 = 1
## post: a2 = 0xffffffff80000000, gas = 2
    i32 a2 = a0 >>r a1
    ret

## case: rotr_32 by 4
## pre: a0 = 0x12345678, a1 = 4
## post: a2 = 0xffffffff81234567
    i32 a2 = a0 >>r a1
    ret

## case: rotr_32 by 0 sign-extends
## pre: a0 = 0x87654321, a1 = 0
## post: a2 = 0xffffffff87654321
    i32 a2 = a0 >>r a1
    ret

## case: rotr_32 by 31
## pre: a0 = 0x12345678, a1 = 31
## post: a2 = 0x2468acf0
    i32 a2 = a0 >>r a1
    ret

## case: rotr_32 amount 36 is masked to 4
## pre: a0 = 0x12345678, a1 = 36
## post: a2 = 0xffffffff81234567
    i32 a2 = a0 >>r a1
    ret

## case: rotr_32 ignores upper garbage
## pre: a0 = 0xffffffff00000002, a1 = 1
## post: a2 = 1
    i32 a2 = a0 >>r a1
    ret
