# 64-bit three-register ALU ops: full 64-bit wrapping arithmetic.

## case: add_64 small
## pre: a0 = 2, a1 = 3
## post: a2 = 5, gas = 2
    a2 = a0 + a1
    ret

## case: add_64 wraps at 2^64
## pre: a0 = 0xffffffffffffffff, a1 = 1
## post: a2 = 0
    a2 = a0 + a1
    ret

## case: add_64 signed overflow
## pre: a0 = 0x7fffffffffffffff, a1 = 1
## post: a2 = 0x8000000000000000
    a2 = a0 + a1
    ret

## case: add_64 carries into the upper word
## pre: a0 = 0xffffffff, a1 = 1
## post: a2 = 0x100000000
    a2 = a0 + a1
    ret

## case: sub_64 0 - 1
## pre: a0 = 0, a1 = 1
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = a0 - a1
    ret

## case: sub_64 INT64_MIN - 1
## pre: a0 = 0x8000000000000000, a1 = 1
## post: a2 = 0x7fffffffffffffff
    a2 = a0 - a1
    ret

## case: sub_64 borrows from the upper word
## pre: a0 = 0x100000000, a1 = 1
## post: a2 = 0xffffffff
    a2 = a0 - a1
    ret

## case: sub_64 dst is the second source
## pre: a0 = 10, a1 = 3
## post: a1 = 7
    a1 = a0 - a1
    ret

## case: mul_64 2^32 squared wraps to 0
## pre: a0 = 0x100000000, a1 = 0x100000000
## post: a2 = 0, gas = 2
    a2 = a0 * a1
    ret

## case: mul_64 -1 * -1
## pre: a0 = 0xffffffffffffffff, a1 = 0xffffffffffffffff
## post: a2 = 1
    a2 = a0 * a1
    ret

## case: mul_64 no 32-bit truncation
## pre: a0 = 0xffffffff, a1 = 0xffffffff
## post: a2 = 0xfffffffe00000001
    a2 = a0 * a1
    ret

## case: mul_64 -3 * 5
## pre: a0 = 0xfffffffffffffffd, a1 = 5
## post: a2 = 0xfffffffffffffff1
    a2 = a0 * a1
    ret

## case: mul_64 0x123456789 * 16
## pre: a0 = 0x123456789, a1 = 16
## post: a2 = 0x1234567890
    a2 = a0 * a1
    ret

## case: div_unsigned_64 small
## pre: a0 = 100, a1 = 7
## post: a2 = 14, gas = 2
    a2 = a0 /u a1
    ret

## case: div_unsigned_64 by zero
## pre: a0 = 0x1234, a1 = 0
## post: a2 = 0xffffffffffffffff
    a2 = a0 /u a1
    ret

## case: div_unsigned_64 max / 2
## pre: a0 = 0xffffffffffffffff, a1 = 2
## post: a2 = 0x7fffffffffffffff
    a2 = a0 /u a1
    ret

## case: div_unsigned_64 is unsigned
## pre: a0 = 0x8000000000000000, a1 = 0xffffffffffffffff
## post: a2 = 0
    a2 = a0 /u a1
    ret

## case: div_unsigned_64 uses the upper words
## pre: a0 = 0x500000000, a1 = 0x100000000
## post: a2 = 5
    a2 = a0 /u a1
    ret

## case: div_signed_64 -7 / 2
## pre: a0 = 0xfffffffffffffff9, a1 = 2
## post: a2 = 0xfffffffffffffffd, gas = 2
    a2 = a0 /s a1
    ret

## case: div_signed_64 7 / -2
## pre: a0 = 7, a1 = 0xfffffffffffffffe
## post: a2 = 0xfffffffffffffffd
    a2 = a0 /s a1
    ret

## case: div_signed_64 INT64_MIN / -1
## pre: a0 = 0x8000000000000000, a1 = 0xffffffffffffffff
## post: a2 = 0x8000000000000000
    a2 = a0 /s a1
    ret

## case: div_signed_64 by zero
## pre: a0 = 0x8000000000000000, a1 = 0
## post: a2 = 0xffffffffffffffff
    a2 = a0 /s a1
    ret

## case: div_signed_64 INT64_MIN / 2
## pre: a0 = 0x8000000000000000, a1 = 2
## post: a2 = 0xc000000000000000
    a2 = a0 /s a1
    ret

## case: div_signed_64 0xffffffff is positive
## pre: a0 = 0xffffffff, a1 = 0xffffffffffffffff
## post: a2 = 0xffffffff00000001
    a2 = a0 /s a1
    ret

## case: rem_unsigned_64 small
## pre: a0 = 100, a1 = 7
## post: a2 = 2, gas = 2
    a2 = a0 %u a1
    ret

## case: rem_unsigned_64 by zero returns the dividend
## pre: a0 = 0x8000000000000005, a1 = 0
## post: a2 = 0x8000000000000005
    a2 = a0 %u a1
    ret

## case: rem_unsigned_64 max % 2^32
## pre: a0 = 0xffffffffffffffff, a1 = 0x100000000
## post: a2 = 0xffffffff
    a2 = a0 %u a1
    ret

## case: rem_unsigned_64 is unsigned
## pre: a0 = 0xfffffffffffffff9, a1 = 2
## post: a2 = 1
    a2 = a0 %u a1
    ret

## case: rem_signed_64 -7 % 2
## pre: a0 = 0xfffffffffffffff9, a1 = 2
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = a0 %s a1
    ret

## case: rem_signed_64 7 % -2
## pre: a0 = 7, a1 = 0xfffffffffffffffe
## post: a2 = 1
    a2 = a0 %s a1
    ret

## case: rem_signed_64 INT64_MIN % -1
## pre: a0 = 0x8000000000000000, a1 = 0xffffffffffffffff
## post: a2 = 0
    a2 = a0 %s a1
    ret

## case: rem_signed_64 by zero returns the dividend
## pre: a0 = 0xfffffffffffffff9, a1 = 0
## post: a2 = 0xfffffffffffffff9
    a2 = a0 %s a1
    ret

## case: rem_signed_64 INT64_MIN % 3 keeps the dividend's sign
## pre: a0 = 0x8000000000000000, a1 = 3
## post: a2 = 0xfffffffffffffffe
    a2 = a0 %s a1
    ret

## case: shl_64 1 << 63
## pre: a0 = 1, a1 = 63
## post: a2 = 0x8000000000000000, gas = 2
    a2 = a0 << a1
    ret

## case: shl_64 amount 64 is masked to 0
## pre: a0 = 1, a1 = 64
## post: a2 = 1
    a2 = a0 << a1
    ret

## case: shl_64 amount 65 is masked to 1
## pre: a0 = 1, a1 = 65
## post: a2 = 2
    a2 = a0 << a1
    ret

## case: shl_64 by 32 keeps the bits
## pre: a0 = 0xffffffff, a1 = 32
## post: a2 = 0xffffffff00000000
    a2 = a0 << a1
    ret

## case: shl_64 amount with high bits
## pre: a0 = 1, a1 = 0xffffffffffffffc1
## post: a2 = 2
    a2 = a0 << a1
    ret

## case: shr_64 INT64_MIN >> 63
## pre: a0 = 0x8000000000000000, a1 = 63
## post: a2 = 1, gas = 2
    a2 = a0 >> a1
    ret

## case: shr_64 amount 64 is masked to 0
## pre: a0 = 0x8000000000000000, a1 = 64
## post: a2 = 0x8000000000000000
    a2 = a0 >> a1
    ret

## case: shr_64 max >> 32
## pre: a0 = 0xffffffffffffffff, a1 = 32
## post: a2 = 0xffffffff
    a2 = a0 >> a1
    ret

## case: shr_64 amount 127 is masked to 63
## pre: a0 = 0xffffffffffffffff, a1 = 127
## post: a2 = 1
    a2 = a0 >> a1
    ret

## case: sar_64 INT64_MIN >>a 63
## pre: a0 = 0x8000000000000000, a1 = 63
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = a0 >>a a1
    ret

## case: sar_64 INT64_MIN >>a 1
## pre: a0 = 0x8000000000000000, a1 = 1
## post: a2 = 0xc000000000000000
    a2 = a0 >>a a1
    ret

## case: sar_64 positive
## pre: a0 = 0x7fffffffffffffff, a1 = 62
## post: a2 = 1
    a2 = a0 >>a a1
    ret

## case: sar_64 amount 64 is masked to 0
## pre: a0 = 0x8000000000000000, a1 = 64
## post: a2 = 0x8000000000000000
    a2 = a0 >>a a1
    ret

## case: sar_64 sign comes from bit 63
## pre: a0 = 0x00000000ffffffff, a1 = 4
## post: a2 = 0x0fffffff
    a2 = a0 >>a a1
    ret

## case: sar_64 upper word negative
## pre: a0 = 0xffffffff00000000, a1 = 32
## post: a2 = 0xffffffffffffffff
    a2 = a0 >>a a1
    ret

## case: rotl_64 0x8000000000000001 <<r 1
## pre: a0 = 0x8000000000000001, a1 = 1
## post: a2 = 3, gas = 2
    a2 = a0 <<r a1
    ret

## case: rotl_64 by 0
## pre: a0 = 0x0123456789abcdef, a1 = 0
## post: a2 = 0x0123456789abcdef
    a2 = a0 <<r a1
    ret

## case: rotl_64 amount 64 is masked to 0
## pre: a0 = 0x0123456789abcdef, a1 = 64
## post: a2 = 0x0123456789abcdef
    a2 = a0 <<r a1
    ret

## case: rotl_64 by 4
## pre: a0 = 0x0123456789abcdef, a1 = 4
## post: a2 = 0x123456789abcdef0
    a2 = a0 <<r a1
    ret

## case: rotl_64 by 63
## pre: a0 = 0x0123456789abcdef, a1 = 63
## post: a2 = 0x8091a2b3c4d5e6f7
    a2 = a0 <<r a1
    ret

## case: rotl_64 1 by 63
## pre: a0 = 1, a1 = 63
## post: a2 = 0x8000000000000000
    a2 = a0 <<r a1
    ret

## case: rotr_64 1 >>r 1
## pre: a0 = 1, a1 = 1
## post: a2 = 0x8000000000000000, gas = 2
    a2 = a0 >>r a1
    ret

## case: rotr_64 by 4
## pre: a0 = 0x0123456789abcdef, a1 = 4
## post: a2 = 0xf0123456789abcde
    a2 = a0 >>r a1
    ret

## case: rotr_64 by 0
## pre: a0 = 0x0123456789abcdef, a1 = 0
## post: a2 = 0x0123456789abcdef
    a2 = a0 >>r a1
    ret

## case: rotr_64 amount 64 is masked to 0
## pre: a0 = 0x0123456789abcdef, a1 = 64
## post: a2 = 0x0123456789abcdef
    a2 = a0 >>r a1
    ret

## case: rotr_64 by 63
## pre: a0 = 0x0123456789abcdef, a1 = 63
## post: a2 = 0x02468acf13579bde
    a2 = a0 >>r a1
    ret

## case: rotr_64 by 32 swaps the words
## pre: a0 = 0xffffffff00000000, a1 = 32
## post: a2 = 0x00000000ffffffff
    a2 = a0 >>r a1
    ret

## case: and
## pre: a0 = 0xff00ff00ff00ff00, a1 = 0x0ff00ff00ff00ff0
## post: a2 = 0x0f000f000f000f00, gas = 2
    a2 = a0 & a1
    ret

## case: and with zero
## pre: a0 = 0xffffffffffffffff, a1 = 0
## post: a2 = 0
    a2 = a0 & a1
    ret

## case: xor
## pre: a0 = 0xff00ff00ff00ff00, a1 = 0x0ff00ff00ff00ff0
## post: a2 = 0xf0f0f0f0f0f0f0f0, gas = 2
    a2 = a0 ^ a1
    ret

## case: xor with itself
## pre: a0 = 0x123456789abcdef0
## post: a0 = 0
    a0 = a0 ^ a0
    ret

## case: or
## pre: a0 = 0xff00ff00ff00ff00, a1 = 0x0ff00ff00ff00ff0
## post: a2 = 0xfff0fff0fff0fff0, gas = 2
    a2 = a0 | a1
    ret

## case: or upper and lower words
## pre: a0 = 0x8000000000000000, a1 = 1
## post: a2 = 0x8000000000000001
    a2 = a0 | a1
    ret

## case: and_inverted
## pre: a0 = 0xff00ff00ff00ff00, a1 = 0x0ff00ff00ff00ff0
## post: a2 = 0xf000f000f000f000, gas = 2
    a2 = a0 & ~a1
    ret

## case: and_inverted with zero mask
## pre: a0 = 0x8000000000000001, a1 = 0
## post: a2 = 0x8000000000000001
    a2 = a0 & ~a1
    ret

## case: and_inverted with itself
## pre: a0 = 0xffffffffffffffff
## post: a2 = 0
    a2 = a0 & ~a0
    ret

## case: or_inverted
## pre: a0 = 0xff00ff00ff00ff00, a1 = 0x0ff00ff00ff00ff0
## post: a2 = 0xff0fff0fff0fff0f, gas = 2
    a2 = a0 | ~a1
    ret

## case: or_inverted of zeros
## pre: a0 = 0, a1 = 0
## post: a2 = 0xffffffffffffffff
    a2 = a0 | ~a1
    ret

## case: or_inverted with all-ones mask
## pre: a0 = 0x1234, a1 = 0xffffffffffffffff
## post: a2 = 0x1234
    a2 = a0 | ~a1
    ret

## case: xnor
## pre: a0 = 0xff00ff00ff00ff00, a1 = 0x0ff00ff00ff00ff0
## post: a2 = 0x0f0f0f0f0f0f0f0f, gas = 2
    a2 = ~(a0 ^ a1)
    ret

## case: xnor of equal values
## pre: a0 = 0x8000000000000001, a1 = 0x8000000000000001
## post: a2 = 0xffffffffffffffff
    a2 = ~(a0 ^ a1)
    ret

## case: xnor with zero is not
## pre: a0 = 0xffffffff00000000, a1 = 0
## post: a2 = 0x00000000ffffffff
    a2 = ~(a0 ^ a1)
    ret

## case: and keeps only the common high bit
## pre: a0 = 0x8000000000000000, a1 = 0xffffffffffffffff
## post: a2 = 0x8000000000000000
    a2 = a0 & a1
    ret

## case: or with itself
## pre: a0 = 0x8000000000000001
## post: a2 = 0x8000000000000001
    a2 = a0 | a0
    ret

## case: xor of the two words
## pre: a0 = 0xffffffff, a1 = 0xffffffff00000000
## post: a2 = 0xffffffffffffffff
    a2 = a0 ^ a1
    ret

## case: div_unsigned_64 0 by zero
## pre: a0 = 0, a1 = 0
## post: a2 = 0xffffffffffffffff
    a2 = a0 /u a1
    ret

## case: rem_unsigned_64 0 by zero
## pre: a0 = 0, a1 = 0, a2 = 9
## post: a2 = 0
    a2 = a0 %u a1
    ret

## case: rem_signed_64 INT64_MIN by zero
## pre: a0 = 0x8000000000000000, a1 = 0
## post: a2 = 0x8000000000000000
    a2 = a0 %s a1
    ret

## case: div_signed_64 by one
## pre: a0 = 0x8000000000000000, a1 = 1
## post: a2 = 0x8000000000000000
    a2 = a0 /s a1
    ret
