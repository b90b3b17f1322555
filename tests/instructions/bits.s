# mul_upper_*, comparisons, min/max, conditional moves, bit counting, extension, byte reversal, moves.

## case: mulh -1 * -1
## pre: a0 = 0xffffffffffffffff, a1 = 0xffffffffffffffff
## post: a2 = 0, gas = 2
    a2 = a0 mulh a1
    ret

## case: mulh -1 * 1
## pre: a0 = 0xffffffffffffffff, a1 = 1
## post: a2 = 0xffffffffffffffff
    a2 = a0 mulh a1
    ret

## case: mulh -2 * 3
## pre: a0 = 0xfffffffffffffffe, a1 = 3
## post: a2 = 0xffffffffffffffff
    a2 = a0 mulh a1
    ret

## case: mulh INT64_MIN squared
## pre: a0 = 0x8000000000000000, a1 = 0x8000000000000000
## post: a2 = 0x4000000000000000
    a2 = a0 mulh a1
    ret

## case: mulh INT64_MIN * INT64_MAX
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 0xc000000000000000
    a2 = a0 mulh a1
    ret

## case: mulh INT64_MAX squared
## pre: a0 = 0x7fffffffffffffff, a1 = 0x7fffffffffffffff
## post: a2 = 0x3fffffffffffffff
    a2 = a0 mulh a1
    ret

## case: mulh 2^32 squared
## pre: a0 = 0x100000000, a1 = 0x100000000
## post: a2 = 1
    a2 = a0 mulh a1
    ret

## case: mulhu max squared
## pre: a0 = 0xffffffffffffffff, a1 = 0xffffffffffffffff
## post: a2 = 0xfffffffffffffffe, gas = 2
    a2 = a0 mulhu a1
    ret

## case: mulhu max * 2
## pre: a0 = 0xffffffffffffffff, a1 = 2
## post: a2 = 1
    a2 = a0 mulhu a1
    ret

## case: mulhu 2^63 squared
## pre: a0 = 0x8000000000000000, a1 = 0x8000000000000000
## post: a2 = 0x4000000000000000
    a2 = a0 mulhu a1
    ret

## case: mulhu small product has no upper part
## pre: a0 = 0xffffffff, a1 = 0xffffffff
## post: a2 = 0
    a2 = a0 mulhu a1
    ret

## case: mulhsu -1 * max
## pre: a0 = 0xffffffffffffffff, a1 = 0xffffffffffffffff
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = a0 mulhsu a1
    ret

## case: mulhsu -1 * 1
## pre: a0 = 0xffffffffffffffff, a1 = 1
## post: a2 = 0xffffffffffffffff
    a2 = a0 mulhsu a1
    ret

## case: mulhsu 2 * max
## pre: a0 = 2, a1 = 0xffffffffffffffff
## post: a2 = 1
    a2 = a0 mulhsu a1
    ret

## case: mulhsu -2 * 2^63
## pre: a0 = 0xfffffffffffffffe, a1 = 0x8000000000000000
## post: a2 = 0xffffffffffffffff
    a2 = a0 mulhsu a1
    ret

## case: mulhsu INT64_MIN * max
## pre: a0 = 0x8000000000000000, a1 = 0xffffffffffffffff
## post: a2 = 0x8000000000000000
    a2 = a0 mulhsu a1
    ret

## case: mulhsu order matters
## pre: a0 = 2, a1 = 0xffffffffffffffff
## post: a2 = 0xffffffffffffffff
    a2 = a1 mulhsu a0
    ret

## case: mulhsu zero
## pre: a0 = 0, a1 = 0xffffffffffffffff
## post: a2 = 0
    a2 = a0 mulhsu a1
    ret

## case: set_lt_u true
## pre: a0 = 1, a1 = 2
## post: a2 = 1, gas = 2
    a2 = a0 <u a1
    ret

## case: set_lt_u false
## pre: a0 = 2, a1 = 1, a2 = 5
## post: a2 = 0
    a2 = a0 <u a1
    ret

## case: set_lt_u high bit is large
## pre: a0 = 0x8000000000000000, a1 = 1
## post: a2 = 0
    a2 = a0 <u a1
    ret

## case: set_lt_u equal
## pre: a0 = 5, a1 = 5, a2 = 1
## post: a2 = 0
    a2 = a0 <u a1
    ret

## case: set_lt_u 0 below max
## pre: a0 = 0, a1 = 0xffffffffffffffff
## post: a2 = 1
    a2 = a0 <u a1
    ret

## case: set_lt_u written as >u
## pre: a0 = 0, a1 = 0xffffffffffffffff
## post: a2 = 1
    a2 = a1 >u a0
    ret

## case: set_lt_s -1 < 0
## pre: a0 = 0xffffffffffffffff, a1 = 0
## post: a2 = 1, gas = 2
    a2 = a0 <s a1
    ret

## case: set_lt_s 0 < -1 false
## pre: a0 = 0, a1 = 0xffffffffffffffff
## post: a2 = 0
    a2 = a0 <s a1
    ret

## case: set_lt_s INT64_MIN < INT64_MAX
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 1
    a2 = a0 <s a1
    ret

## case: set_lt_s equal
## pre: a0 = 0x8000000000000000, a1 = 0x8000000000000000
## post: a2 = 0
    a2 = a0 <s a1
    ret

## case: set_lt_s 0xffffffff is positive
## pre: a0 = 0xffffffff, a1 = 0
## post: a2 = 0
    a2 = a0 <s a1
    ret

## case: set_lt_s written as >s
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 1
    a2 = a1 >s a0
    ret

## case: maximum signed
## pre: a0 = 0xffffffffffffffff, a1 = 1
## post: a2 = 1, gas = 2
    a2 = maxs(a0, a1)
    ret

## case: maximum signed extremes
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 0x7fffffffffffffff
    a2 = maxs(a0, a1)
    ret

## case: maximum two negatives
## pre: a0 = 0xfffffffffffffffb, a1 = 0xfffffffffffffffd
## post: a2 = 0xfffffffffffffffd
    a2 = maxs(a0, a1)
    ret

## case: maximum_unsigned
## pre: a0 = 0xffffffffffffffff, a1 = 1
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = maxu(a0, a1)
    ret

## case: maximum_unsigned extremes
## pre: a0 = 0x7fffffffffffffff, a1 = 0x8000000000000000
## post: a2 = 0x8000000000000000
    a2 = maxu(a0, a1)
    ret

## case: minimum signed
## pre: a0 = 0xffffffffffffffff, a1 = 1
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = mins(a0, a1)
    ret

## case: minimum signed extremes
## pre: a0 = 0, a1 = 0x8000000000000000
## post: a2 = 0x8000000000000000
    a2 = mins(a0, a1)
    ret

## case: minimum_unsigned
## pre: a0 = 0xffffffffffffffff, a1 = 1
## post: a2 = 1, gas = 2
    a2 = minu(a0, a1)
    ret

## case: minimum_unsigned extremes
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 0x7fffffffffffffff
    a2 = minu(a0, a1)
    ret

## case: minimum_unsigned equal in place
## pre: a0 = 42
## post: a0 = 42
    a0 = minu(a0, a0)
    ret

## case: cmov_if_zero moves when zero
## pre: a0 = 42, a1 = 0, a2 = 7
## post: a2 = 42, gas = 2
    a2 = a0 if a1 == 0
    ret

## case: cmov_if_zero keeps when not zero
## pre: a0 = 42, a1 = 1, a2 = 7
## post: gas = 2
    a2 = a0 if a1 == 0
    ret

## case: cmov_if_zero tests all 64 bits
## pre: a0 = 42, a1 = 0x100000000, a2 = 7
## post: a2 = 7
    a2 = a0 if a1 == 0
    ret

## case: cmov_if_zero condition is the destination and zero
## pre: a0 = 42, a2 = 0
## post: a2 = 42
    a2 = a0 if a2 == 0
    ret

## case: cmov_if_zero condition is the destination and not zero
## pre: a0 = 42, a2 = 5
## post: a2 = 5
    a2 = a0 if a2 == 0
    ret

## case: cmov_if_not_zero keeps when zero
## pre: a0 = 42, a1 = 0, a2 = 7
## post: a2 = 7, gas = 2
    a2 = a0 if a1 != 0
    ret

## case: cmov_if_not_zero moves on high bit
## pre: a0 = 42, a1 = 0x8000000000000000, a2 = 7
## post: a2 = 42
    a2 = a0 if a1 != 0
    ret

## case: cmov_if_not_zero condition is the destination
## pre: a0 = 42, a2 = 3
## post: a2 = 42
    a2 = a0 if a2 != 0
    ret

## case: cmov_if_not_zero condition is the source
## pre: a0 = 9, a2 = 3
## post: a2 = 9
    a2 = a0 if a0 != 0
    ret

## case: cmov_if_zero_imm moves a sign-extended immediate
## pre: a1 = 0, a2 = 7
## post: a2 = 0xffffffffffffffff, gas = 2
    a2 = -1 if a1 == 0
    ret

## case: cmov_if_zero_imm keeps when not zero
## pre: a1 = 0xffffffff00000000, a2 = 7
## post: a2 = 7
    a2 = -1 if a1 == 0
    ret

## case: cmov_if_zero_imm condition is the destination
## pre: a2 = 0
## post: a2 = 5
    a2 = 5 if a2 == 0
    ret

## case: cmov_if_not_zero_imm moves when not zero
## pre: a1 = 1, a2 = 7
## post: a2 = 0x7fffffff, gas = 2
    a2 = 0x7fffffff if a1 != 0
    ret

## case: cmov_if_not_zero_imm keeps when zero
## pre: a1 = 0, a2 = 7
## post: a2 = 7
    a2 = 0x7fffffff if a1 != 0
    ret

## case: cmov_if_not_zero_imm condition is the destination
## pre: a2 = 9
## post: a2 = 0xfffffffffffffffe
    a2 = -2 if a2 != 0
    ret

## case: cpop_64 of zero
## pre: a0 = 0, a2 = 5
## post: a2 = 0, gas = 2
    a2 = cpop a0
    ret

## case: cpop_64 of all ones
## pre: a0 = 0xffffffffffffffff
## post: a2 = 64
    a2 = cpop a0
    ret

## case: cpop_64 of both ends
## pre: a0 = 0x8000000000000001
## post: a2 = 2
    a2 = cpop a0
    ret

## case: cpop_64 of 0xf0f0
## pre: a0 = 0xf0f0
## post: a2 = 8
    a2 = cpop a0
    ret

## case: cpop_32 ignores the upper word
## pre: a0 = 0xffffffff00000000, a2 = 5
## post: a2 = 0, gas = 2
    i32 a2 = cpop a0
    ret

## case: cpop_32 of all ones
## pre: a0 = 0xffffffffffffffff
## post: a2 = 32
    i32 a2 = cpop a0
    ret

## case: cpop_32 of both ends
## pre: a0 = 0x80000001
## post: a2 = 2
    i32 a2 = cpop a0
    ret

## case: clz_64 of zero
## pre: a0 = 0
## post: a2 = 64, gas = 2
    a2 = clz a0
    ret

## case: clz_64 of one
## pre: a0 = 1
## post: a2 = 63
    a2 = clz a0
    ret

## case: clz_64 of the high bit
## pre: a0 = 0x8000000000000000, a2 = 9
## post: a2 = 0
    a2 = clz a0
    ret

## case: clz_64 of 0xffffffff
## pre: a0 = 0xffffffff
## post: a2 = 32
    a2 = clz a0
    ret

## case: clz_64 of all ones
## pre: a0 = 0xffffffffffffffff, a2 = 9
## post: a2 = 0
    a2 = clz a0
    ret

## case: clz_32 of zero
## pre: a0 = 0
## post: a2 = 32, gas = 2
    i32 a2 = clz a0
    ret

## case: clz_32 ignores the upper word
## pre: a0 = 0xffffffff00000000
## post: a2 = 32
    i32 a2 = clz a0
    ret

## case: clz_32 of one
## pre: a0 = 1
## post: a2 = 31
    i32 a2 = clz a0
    ret

## case: clz_32 of bit 31
## pre: a0 = 0x80000000, a2 = 9
## post: a2 = 0
    i32 a2 = clz a0
    ret

## case: clz_32 of 0xffff
## pre: a0 = 0x100000000ffff
## post: a2 = 16
    i32 a2 = clz a0
    ret

## case: ctz_64 of zero
## pre: a0 = 0
## post: a2 = 64, gas = 2
    a2 = ctz a0
    ret

## case: ctz_64 of one
## pre: a0 = 1, a2 = 9
## post: a2 = 0
    a2 = ctz a0
    ret

## case: ctz_64 of the high bit
## pre: a0 = 0x8000000000000000
## post: a2 = 63
    a2 = ctz a0
    ret

## case: ctz_64 of 2^32
## pre: a0 = 0x100000000
## post: a2 = 32
    a2 = ctz a0
    ret

## case: ctz_64 of all ones
## pre: a0 = 0xffffffffffffffff, a2 = 9
## post: a2 = 0
    a2 = ctz a0
    ret

## case: ctz_32 of zero
## pre: a0 = 0
## post: a2 = 32, gas = 2
    i32 a2 = ctz a0
    ret

## case: ctz_32 ignores the upper word
## pre: a0 = 0x100000000
## post: a2 = 32
    i32 a2 = ctz a0
    ret

## case: ctz_32 of bit 31
## pre: a0 = 0x80000000
## post: a2 = 31
    i32 a2 = ctz a0
    ret

## case: ctz_32 of all ones
## pre: a0 = 0xffffffff, a2 = 9
## post: a2 = 0
    i32 a2 = ctz a0
    ret

## case: ctz_32 of 8
## pre: a0 = 8
## post: a2 = 3
    i32 a2 = ctz a0
    ret

## case: sext8 negative
## pre: a0 = 0x80
## post: a2 = 0xffffffffffffff80, gas = 2
    a2 = sext8 a0
    ret

## case: sext8 positive
## pre: a0 = 0x7f
## post: a2 = 0x7f
    a2 = sext8 a0
    ret

## case: sext8 uses only the low byte
## pre: a0 = 0x123456789abcdeff
## post: a2 = 0xffffffffffffffff
    a2 = sext8 a0
    ret

## case: sext8 of 0x100
## pre: a0 = 0x100, a2 = 1
## post: a2 = 0
    a2 = sext8 a0
    ret

## case: sext16 negative
## pre: a0 = 0x8000
## post: a2 = 0xffffffffffff8000, gas = 2
    a2 = sext16 a0
    ret

## case: sext16 positive
## pre: a0 = 0x7fff
## post: a2 = 0x7fff
    a2 = sext16 a0
    ret

## case: sext16 uses only the low half-word
## pre: a0 = 0xffffffff00001234
## post: a2 = 0x1234
    a2 = sext16 a0
    ret

## case: sext16 of 0x1ffff
## pre: a0 = 0x1ffff
## post: a2 = 0xffffffffffffffff
    a2 = sext16 a0
    ret

## case: zext16 of a negative value
## pre: a0 = 0xffffffffffff8000
## post: a2 = 0x8000, gas = 2
    a2 = zext16 a0
    ret

## case: zext16 of 0x12345678
## pre: a0 = 0x12345678
## post: a2 = 0x5678
    a2 = zext16 a0
    ret

## case: zext16 in place
## pre: a0 = 0xffff0000
## post: a0 = 0
    a0 = zext16 a0
    ret

## case: reverse_byte
## pre: a0 = 0x0123456789abcdef
## post: a2 = 0xefcdab8967452301, gas = 2
    a2 = reverse a0
    ret

## case: reverse_byte of one byte
## pre: a0 = 0xff
## post: a2 = 0xff00000000000000
    a2 = reverse a0
    ret

## case: reverse_byte of zero
## pre: a0 = 0, a2 = 3
## post: a2 = 0
    a2 = reverse a0
    ret

## case: reverse_byte in place
## pre: a0 = 0x1122334455667788
## post: a0 = 0x8877665544332211
    a0 = reverse a0
    ret

## case: move_reg
## pre: a0 = 0xdeadbeefcafebabe
## post: a1 = 0xdeadbeefcafebabe, gas = 2
    a1 = a0
    ret

## case: move_reg from sp
## post: a5 = 0xfffe0000
    a5 = sp
    ret

## case: move_reg to ra then return
## pre: ra = 0, a0 = 0xffff0000
## post: ra = 0xffff0000, gas = 2
    ra = a0
    ret

## case: move_reg to itself
## pre: t2 = 5
## post: gas = 2
    t2 = t2
    ret

## case: move_reg chain through every register
## pre: sp = 1, t0 = 2, t1 = 3, t2 = 4, s0 = 5, s1 = 6, a0 = 7, a1 = 8, a2 = 9, a3 = 10, a4 = 11, a5 = 12
## post: ra = 0xffffffffffff0000, sp = 12, t0 = 1, t1 = 2, t2 = 3, s0 = 4, s1 = 5, a0 = 6, a1 = 7, a2 = 8, a3 = 9, a4 = 10, a5 = 11, gas = 15
    ra = a5
    a5 = a4
    a4 = a3
    a3 = a2
    a2 = a1
    a1 = a0
    a0 = s1
    s1 = s0
    s0 = t2
    t2 = t1
    t1 = t0
    t0 = sp
    sp = ra
    ra = -65536
    ret

## case: maximum_unsigned equal values
## pre: a0 = 0x8000000000000000, a1 = 0x8000000000000000
## post: a2 = 0x8000000000000000
    a2 = maxu(a0, a1)
    ret

## case: minimum two negatives
## pre: a0 = 0xfffffffffffffffb, a1 = 0xfffffffffffffffd
## post: a2 = 0xfffffffffffffffb
    a2 = mins(a0, a1)
    ret

## case: maximum into one of its sources
## pre: a0 = 3, a1 = 0x8000000000000000
## post: a1 = 3
    a1 = maxs(a0, a1)
    ret
