# Conditional branches. Every case: branch to @yes (a2 = 1) or fall through (a2 = 2); 3 gas either way.
# Register forms compare a0 with a1; immediate forms compare a0 with the sign-extended immediate.

## case: branch_eq 0x5 == 0x5 taken
## pre: a0 = 0x5, a1 = 0x5
## post: a2 = 1, gas = 3
    jump @yes if a0 == a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq 0x5 == 0x100000005 not taken
## pre: a0 = 0x5, a1 = 0x100000005
## post: a2 = 2, gas = 3
    jump @yes if a0 == a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq 0xffffffffffffffff == 0xffffffffffffffff taken
## pre: a0 = 0xffffffffffffffff, a1 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 == a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_not_eq 0x5 != 0x5 not taken
## pre: a0 = 0x5, a1 = 0x5
## post: a2 = 2, gas = 3
    jump @yes if a0 != a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_not_eq 0x0 != 0x8000000000000000 taken
## pre: a0 = 0x0, a1 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 != a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_not_eq 0xffffffff != 0xffffffffffffffff taken
## pre: a0 = 0xffffffff, a1 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 != a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned 0x1 <u 0xffffffffffffffff taken
## pre: a0 = 0x1, a1 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 <u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned 0xffffffffffffffff <u 0x1 not taken
## pre: a0 = 0xffffffffffffffff, a1 = 0x1
## post: a2 = 2, gas = 3
    jump @yes if a0 <u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned 0x5 <u 0x5 not taken
## pre: a0 = 0x5, a1 = 0x5
## post: a2 = 2, gas = 3
    jump @yes if a0 <u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned 0x7fffffffffffffff <u 0x8000000000000000 taken
## pre: a0 = 0x7fffffffffffffff, a1 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 <u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed 0xffffffffffffffff <s 0x1 taken
## pre: a0 = 0xffffffffffffffff, a1 = 0x1
## post: a2 = 1, gas = 3
    jump @yes if a0 <s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed 0x1 <s 0xffffffffffffffff not taken
## pre: a0 = 0x1, a1 = 0xffffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 <s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed 0x8000000000000000 <s 0x7fffffffffffffff taken
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 <s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed 0x5 <s 0x5 not taken
## pre: a0 = 0x5, a1 = 0x5
## post: a2 = 2, gas = 3
    jump @yes if a0 <s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed 0xffffffff <s 0x0 not taken
## pre: a0 = 0xffffffff, a1 = 0x0
## post: a2 = 2, gas = 3
    jump @yes if a0 <s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned 0x5 >=u 0x5 taken
## pre: a0 = 0x5, a1 = 0x5
## post: a2 = 1, gas = 3
    jump @yes if a0 >=u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned 0x1 >=u 0xffffffffffffffff not taken
## pre: a0 = 0x1, a1 = 0xffffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 >=u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned 0x8000000000000000 >=u 0x7fffffffffffffff taken
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 >=u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned 0x0 >=u 0x1 not taken
## pre: a0 = 0x0, a1 = 0x1
## post: a2 = 2, gas = 3
    jump @yes if a0 >=u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed 0x5 >=s 0x5 taken
## pre: a0 = 0x5, a1 = 0x5
## post: a2 = 1, gas = 3
    jump @yes if a0 >=s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed 0xffffffffffffffff >=s 0x1 not taken
## pre: a0 = 0xffffffffffffffff, a1 = 0x1
## post: a2 = 2, gas = 3
    jump @yes if a0 >=s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed 0x7fffffffffffffff >=s 0x8000000000000000 taken
## pre: a0 = 0x7fffffffffffffff, a1 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 >=s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed 0x8000000000000000 >=s 0x7fffffffffffffff not taken
## pre: a0 = 0x8000000000000000, a1 = 0x7fffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 >=s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias >u of branch_less_unsigned 0x8000000000000000 >u 0x1 taken
## pre: a0 = 0x8000000000000000, a1 = 0x1
## post: a2 = 1, gas = 3
    jump @yes if a0 >u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias >u of branch_less_unsigned 0x1 >u 0x8000000000000000 not taken
## pre: a0 = 0x1, a1 = 0x8000000000000000
## post: a2 = 2, gas = 3
    jump @yes if a0 >u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias <=u of branch_greater_or_equal_unsigned 0x1 <=u 0xffffffffffffffff taken
## pre: a0 = 0x1, a1 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 <=u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias <=u of branch_greater_or_equal_unsigned 0xffffffffffffffff <=u 0x1 not taken
## pre: a0 = 0xffffffffffffffff, a1 = 0x1
## post: a2 = 2, gas = 3
    jump @yes if a0 <=u a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias >s of branch_less_signed 0x1 >s 0xffffffffffffffff taken
## pre: a0 = 0x1, a1 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 >s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias >s of branch_less_signed 0xffffffffffffffff >s 0x1 not taken
## pre: a0 = 0xffffffffffffffff, a1 = 0x1
## post: a2 = 2, gas = 3
    jump @yes if a0 >s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias <=s of branch_greater_or_equal_signed 0xffffffffffffffff <=s 0x0 taken
## pre: a0 = 0xffffffffffffffff, a1 = 0x0
## post: a2 = 1, gas = 3
    jump @yes if a0 <=s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: alias <=s of branch_greater_or_equal_signed 0x0 <=s 0xffffffffffffffff not taken
## pre: a0 = 0x0, a1 = 0xffffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 <=s a1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq_imm 0xffffffffffffffff == -1 taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 == -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq_imm 0xffffffff == -1 not taken
## pre: a0 = 0xffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 == -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq_imm 0x4d2 == 1234 taken
## pre: a0 = 0x4d2
## post: a2 = 1, gas = 3
    jump @yes if a0 == 1234
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq_imm 0x4d3 == 1234 not taken
## pre: a0 = 0x4d3
## post: a2 = 2, gas = 3
    jump @yes if a0 == 1234
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq_imm 0x0 == 0 taken
## pre: a0 = 0x0
## post: a2 = 1, gas = 3
    jump @yes if a0 == 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq_imm 0x100000000 == 0 not taken
## pre: a0 = 0x100000000
## post: a2 = 2, gas = 3
    jump @yes if a0 == 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_not_eq_imm 0xffffffff != -1 taken
## pre: a0 = 0xffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 != -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_not_eq_imm 0xffffffffffffffff != -1 not taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 != -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_not_eq_imm 0x7 != 7 not taken
## pre: a0 = 0x7
## post: a2 = 2, gas = 3
    jump @yes if a0 != 7
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_not_eq_imm 0x8 != 7 taken
## pre: a0 = 0x8
## post: a2 = 1, gas = 3
    jump @yes if a0 != 7
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned_imm 0x5 <u 6 taken
## pre: a0 = 0x5
## post: a2 = 1, gas = 3
    jump @yes if a0 <u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned_imm 0x6 <u 6 not taken
## pre: a0 = 0x6
## post: a2 = 2, gas = 3
    jump @yes if a0 <u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned_imm 0x8000000000000000 <u 6 not taken
## pre: a0 = 0x8000000000000000
## post: a2 = 2, gas = 3
    jump @yes if a0 <u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned_imm 0xfffffffffffffffe <u -1 taken
## pre: a0 = 0xfffffffffffffffe
## post: a2 = 1, gas = 3
    jump @yes if a0 <u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned_imm 0xffffffffffffffff <u -1 not taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 <u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_unsigned_imm 0xffffffff <u -1 taken
## pre: a0 = 0xffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 <u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_unsigned_imm 0x6 <=u 6 taken
## pre: a0 = 0x6
## post: a2 = 1, gas = 3
    jump @yes if a0 <=u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_unsigned_imm 0x7 <=u 6 not taken
## pre: a0 = 0x7
## post: a2 = 2, gas = 3
    jump @yes if a0 <=u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_unsigned_imm 0x0 <=u 6 taken
## pre: a0 = 0x0
## post: a2 = 1, gas = 3
    jump @yes if a0 <=u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_unsigned_imm 0xffffffffffffffff <=u -1 taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 <=u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_unsigned_imm 0x80000000 <=u 0x7fffffff not taken
## pre: a0 = 0x80000000
## post: a2 = 2, gas = 3
    jump @yes if a0 <=u 0x7fffffff
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned_imm 0x6 >=u 6 taken
## pre: a0 = 0x6
## post: a2 = 1, gas = 3
    jump @yes if a0 >=u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned_imm 0x5 >=u 6 not taken
## pre: a0 = 0x5
## post: a2 = 2, gas = 3
    jump @yes if a0 >=u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned_imm 0x8000000000000000 >=u 0x7fffffff taken
## pre: a0 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 >=u 0x7fffffff
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned_imm 0xffffffff >=u -1 not taken
## pre: a0 = 0xffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 >=u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_unsigned_imm 0xffffffffffffffff >=u -1 taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 >=u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_unsigned_imm 0x7 >u 6 taken
## pre: a0 = 0x7
## post: a2 = 1, gas = 3
    jump @yes if a0 >u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_unsigned_imm 0x6 >u 6 not taken
## pre: a0 = 0x6
## post: a2 = 2, gas = 3
    jump @yes if a0 >u 6
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_unsigned_imm 0xffffffffffffffff >u -2 taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 >u -2
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_unsigned_imm 0xffffffffffffffff >u -1 not taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 >u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_unsigned_imm 0x0 >u -1 not taken
## pre: a0 = 0x0
## post: a2 = 2, gas = 3
    jump @yes if a0 >u -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_unsigned_imm 0x8000000000000000 >u 0 taken
## pre: a0 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 >u 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed_imm 0xfffffffffffffffe <s -1 taken
## pre: a0 = 0xfffffffffffffffe
## post: a2 = 1, gas = 3
    jump @yes if a0 <s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed_imm 0x0 <s -1 not taken
## pre: a0 = 0x0
## post: a2 = 2, gas = 3
    jump @yes if a0 <s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed_imm 0x8000000000000000 <s 0 taken
## pre: a0 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 <s 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed_imm 0x7fffffffffffffff <s 0 not taken
## pre: a0 = 0x7fffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 <s 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed_imm 0xffffffff <s 0 not taken
## pre: a0 = 0xffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 <s 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_signed_imm 0xffffffffffffffff <=s -1 taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 <=s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_signed_imm 0x0 <=s -1 not taken
## pre: a0 = 0x0
## post: a2 = 2, gas = 3
    jump @yes if a0 <=s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_signed_imm 0x8000000000000000 <=s -2147483648 taken
## pre: a0 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 <=s -2147483648
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_signed_imm 0xffffffff80000000 <=s -2147483648 taken
## pre: a0 = 0xffffffff80000000
## post: a2 = 1, gas = 3
    jump @yes if a0 <=s -2147483648
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_or_equal_signed_imm 0xffffffff80000001 <=s -2147483648 not taken
## pre: a0 = 0xffffffff80000001
## post: a2 = 2, gas = 3
    jump @yes if a0 <=s -2147483648
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed_imm 0x0 >=s -1 taken
## pre: a0 = 0x0
## post: a2 = 1, gas = 3
    jump @yes if a0 >=s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed_imm 0xfffffffffffffffe >=s -1 not taken
## pre: a0 = 0xfffffffffffffffe
## post: a2 = 2, gas = 3
    jump @yes if a0 >=s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed_imm 0xffffffffffffffff >=s -1 taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 >=s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed_imm 0x7fffffffffffffff >=s 0x7fffffff taken
## pre: a0 = 0x7fffffffffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 >=s 0x7fffffff
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed_imm 0x7ffffffe >=s 0x7fffffff not taken
## pre: a0 = 0x7ffffffe
## post: a2 = 2, gas = 3
    jump @yes if a0 >=s 0x7fffffff
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_or_equal_signed_imm 0x8000000000000000 >=s 0 not taken
## pre: a0 = 0x8000000000000000
## post: a2 = 2, gas = 3
    jump @yes if a0 >=s 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_signed_imm 0x0 >s -1 taken
## pre: a0 = 0x0
## post: a2 = 1, gas = 3
    jump @yes if a0 >s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_signed_imm 0xffffffffffffffff >s -1 not taken
## pre: a0 = 0xffffffffffffffff
## post: a2 = 2, gas = 3
    jump @yes if a0 >s -1
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_signed_imm 0xffffffff >s 0 taken
## pre: a0 = 0xffffffff
## post: a2 = 1, gas = 3
    jump @yes if a0 >s 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_signed_imm 0x8000000000000000 >s 0 not taken
## pre: a0 = 0x8000000000000000
## post: a2 = 2, gas = 3
    jump @yes if a0 >s 0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_signed_imm 0x8000000000000000 >s -2147483648 not taken
## pre: a0 = 0x8000000000000000
## post: a2 = 2, gas = 3
    jump @yes if a0 >s -2147483648
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_greater_signed_imm 0xffffffff80000001 >s -2147483648 taken
## pre: a0 = 0xffffffff80000001
## post: a2 = 1, gas = 3
    jump @yes if a0 >s -2147483648
    a2 = 2
    ret
@yes:
    a2 = 1
    ret
## case: branch_greater_unsigned_imm written as imm <u reg
## pre: a0 = 6
## post: a2 = 1, gas = 3
    jump @yes if 5 <u a0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed_imm written as imm >s reg
## pre: a0 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if -1 >s a0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_eq of a register with itself
## pre: a0 = 0x8000000000000000
## post: a2 = 1, gas = 3
    jump @yes if a0 == a0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: branch_less_signed of a register with itself
## pre: a0 = 0x8000000000000000
## post: a2 = 2, gas = 3
    jump @yes if a0 <s a0
    a2 = 2
    ret
@yes:
    a2 = 1
    ret

## case: backward branch loop counts down
## pre: a0 = 3
## post: a0 = 0, a1 = 3, gas = 12
pub @main:
    a1 = 0
@loop:
    a1 = a1 + 1
    a0 = a0 - 1
    jump @loop if a0 != 0
    ret

## case: branch to the next instruction either way
## pre: a0 = 1
## post: a2 = 7, gas = 3
    jump @next if a0 == 1
@next:
    a2 = 7
    ret

## case: branch_less_unsigned loop until a register passes another
## pre: a0 = 0, a1 = 5
## post: a0 = 6, gas = 7
@loop:
    a0 = a0 + 2
    jump @loop if a0 <u a1
    ret

## case: branch_greater_or_equal_signed loop over negative numbers
## pre: a0 = 0xfffffffffffffffd, a1 = 0
## post: a0 = 1, a2 = 4, gas = 13
@loop:
    a0 = a0 + 1
    a2 = a2 + 1
    jump @loop if a1 >=s a0
    ret

## case: branch_not_eq_imm runs out of gas in a loop at the loop head
## pre: gas = 10
## post: status = not_enough_gas, pc = @loop, a0 = 3, gas = 9
## set: gas = 100
## post: status = not_enough_gas, pc = @loop, a0 = 36, gas = 99
pub @loop:
    a0 = a0 + 1
    a1 = a1 + 0
    jump @loop if a0 != 0
    ret
