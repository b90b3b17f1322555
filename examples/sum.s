// Sum of 1..a0, returned in a0. Run: pvmkit asm examples/sum.s -o sum.polkavm && pvmkit run sum.polkavm --reg a0=100
%stack_size = 4096

pub @sum:
    a1 = a0
    a0 = 0
@loop:
    a0 = a0 + a1
    a1 = a1 - 1
    jump @loop if a1 != 0
    ret
