# Control flow, host interaction and gas: trap, invalid, fallthrough, ecalli, jump, jump_indirect (ret),
# load_imm_and_jump, load_imm_and_jump_indirect, invalid jump targets, and gas charged per basic block
# on entry (one unit per instruction, the naive cost model).
# `pub @label: %no_fallthrough` only names a pc (for `pc = @label`) without starting a new block.

## case: ret returns to the host
## post: status = finished, gas = 1
    ret

## case: trap traps at its own pc
## post: status = trap, pc = 0, gas = 1
    trap

## case: trap after other instructions of its block
## post: status = trap, pc = @t, a0 = 5, gas = 2
    a0 = 5
pub @t: %no_fallthrough
    trap

## case: invalid traps at its own pc
## post: status = trap, pc = 0, gas = 1
    invalid

## case: invalid ends its block
## post: status = trap, pc = @bad, a0 = 1, gas = 2
    a0 = 1
pub @bad: %no_fallthrough
    invalid
    a0 = 2
    ret

## case: implicit trap after the last instruction
## post: status = trap, pc = @end, a0 = 1, gas = 2
    a0 = 1
pub @end: %no_fallthrough

## case: fallthrough continues at the next instruction
## post: a0 = 1, a1 = 2, gas = 4
    a0 = 1
    fallthrough
    a1 = 2
    ret

## case: a label after a plain instruction gets an implicit fallthrough
## post: a0 = 1, a1 = 2, gas = 4
    a0 = 1
@next:
    a1 = 2
    ret

## case: a chain of fallthroughs charges every block
## post: gas = 4
    fallthrough
    fallthrough
    fallthrough
    ret

## case: fallthrough at the end of the code traps
# (Only the status is checked: polkavm's interpreter reports the fallthrough's pc with 2 gas used, the JAM
# vectors the end of the code with 3; see inst_fallthrough.)
## post: status = trap, a0 = 1
    a0 = 1
    fallthrough

## case: ecalli interrupts and resumes at the next instruction
## pre: a0 = 1
## post: status = ecalli 7, pc = @e, a0 = 2, gas = 4
## set: a0 = 100
## post: status = finished, a0 = 110, gas = 0
    a0 = a0 + 1
pub @e: %no_fallthrough
    ecalli 7
    a0 = a0 + 10
    ret

## case: ecalli with the largest number
## post: status = ecalli 4294967295, pc = 0, gas = 2
## post: status = finished, gas = 0
    ecalli 4294967295
    ret

## case: ecalli 0
## post: status = ecalli 0, pc = 0, gas = 2
## post: gas = 0
    ecalli 0
    ret

## case: two ecallis in a row
## post: status = ecalli 1, pc = 0, gas = 3
## post: status = ecalli 2, pc = @second, gas = 0
## post: gas = 0
    ecalli 1
pub @second: %no_fallthrough
    ecalli 2
    ret

## case: ecalli resumes without charging again even with no gas left
## pre: gas = 2
## post: status = ecalli 3, pc = 0, gas = 2
## post: status = finished, gas = 0
    ecalli 3
    ret

## case: gas set by the host during an ecalli applies to the next block
## pre: gas = 3
## post: status = ecalli 5, pc = 0, gas = 2
## set: gas = 0
## post: status = not_enough_gas, pc = @next, gas = 0
## set: gas = 2
## post: a0 = 1, gas = 2
    ecalli 5
    fallthrough
pub @next:
    a0 = 1
    ret

## case: ecalli sees registers written before it and the host's writes after
## pre: a0 = 3
## post: status = ecalli 1, pc = @e, a1 = 4, gas = 4
## set: a0 = 0x1000, a1 = 0
## post: a2 = 0x1000
    a1 = a0 + 1
pub @e: %no_fallthrough
    ecalli 1
    a2 = a0 + a1
    ret

## case: not enough gas for the first block stops before it runs
## pre: gas = 1
## post: status = not_enough_gas, pc = 0, gas = 0
## set: gas = 2
## post: a0 = 1, gas = 2
    a0 = 1
    ret

## case: exactly enough gas
## pre: gas = 2
## post: a0 = 1, gas = 2
    a0 = 1
    ret

## case: zero gas
## pre: gas = 0
## post: status = not_enough_gas, pc = 0, gas = 0
    ret

## case: negative gas
## pre: gas = -1
## post: status = not_enough_gas, pc = 0, gas = 0
    ret

## case: the second block runs out of gas after the first block's effects
## pre: gas = 3
## post: status = not_enough_gas, pc = @b, a0 = 1, gas = 2
## set: gas = 3
## post: a1 = 2, a2 = 3, gas = 3
    a0 = 1
    jump @b
    trap
pub @b:
    a1 = 2
    a2 = 3
    ret

## case: gas counts only the blocks that run
## pre: a0 = 1
## post: a1 = 1, a2 = 1, gas = 4
    a2 = 1
    jump @skip if a0 == 1
    a1 = 2
    a1 = 3
    a1 = 4
    ret
@skip:
    a1 = 1
    ret

## case: entering in the middle of a block charges the whole block
## entry: @mid
## post: a1 = 2, gas = 3
    a0 = 1
pub @mid: %no_fallthrough
    a1 = 2
    ret

## case: entering in the middle of a block needs gas for the whole block
## entry: @mid
## pre: gas = 2
## post: status = not_enough_gas, gas = 0
## set: gas = 3
## post: a1 = 2, gas = 3
    a0 = 1
pub @mid: %no_fallthrough
    a1 = 2
    ret

## case: jump forward
## post: a0 = 1, gas = 3
    jump @x
    a0 = 2
    ret
@x:
    a0 = 1
    ret

## case: jump backward
## post: a0 = 2, gas = 5
    jump @fwd
@back:
    a0 = a0 + 1
    ret
@fwd:
    a0 = 1
    jump @back

## case: jump to itself runs until the gas is gone
## pre: gas = 5
## post: status = not_enough_gas, pc = 0, gas = 5
pub @main:
    jump @main

## case: jump into the middle of an instruction traps at the jump
## post: status = trap, pc = 0, gas = 1
    jump 1
    ret

## case: jump to an instruction inside a block traps at the jump
## post: status = trap, pc = 0, gas = 1
    jump @mid
    a0 = 1
pub @mid: %no_fallthrough
    a1 = 2
    ret

## case: jump past the end of the code traps
## post: status = trap, pc = 0, gas = 1
    jump 1000

## case: jump to the instruction after an invalid opcode traps
## post: status = trap, pc = 0, gas = 1
    jump @after
    invalid
pub @after: %no_fallthrough
    ret

## case: jump after other instructions to an invalid target
## post: status = trap, pc = @j, a0 = 1, gas = 2
    a0 = 1
pub @j: %no_fallthrough
    jump 1000

## case: branch with an invalid target traps even when not taken
## pre: a0 = 0
## post: status = trap, pc = 0, gas = 1
    jump 1000 if a0 == 1
    ret

## case: branch with an invalid target traps when taken
## pre: a0 = 1
## post: status = trap, pc = 0, gas = 1
    jump 1000 if a0 == 1
    ret

## case: branch_eq to a mid-block target traps when taken
## pre: a0 = 1, a1 = 1
## post: status = trap, pc = 0, gas = 1
    jump @mid if a0 == a1
    a2 = 1
pub @mid: %no_fallthrough
    ret

## case: branch_eq to a mid-block target traps when not taken
## pre: a0 = 1, a1 = 2
## post: status = trap, pc = 0, gas = 1
    jump @mid if a0 == a1
    a2 = 1
pub @mid: %no_fallthrough
    ret

## case: branch as the last instruction traps even when taken
## pre: a0 = 5
## post: status = trap, pc = 0, gas = 1
pub @main:
    jump @main if a0 == 5

## case: branch as the last instruction traps when not taken
## pre: a0 = 4
## post: status = trap, pc = @b, a1 = 1, gas = 2
    a1 = 1
pub @b: %no_fallthrough
    jump @b if a0 >=u 5

## case: branch_less_unsigned_imm into an instruction traps
## pre: a0 = 100
## post: status = trap, pc = 0, gas = 1
    jump 1 if a0 <u 5
    ret

## case: branch_greater_or_equal_signed after an invalid opcode traps
## pre: a0 = 1, a1 = 2
## post: status = trap, pc = 0, gas = 1
    jump @after if a0 >=s a1
    invalid
pub @after: %no_fallthrough
    ret

## case: jump_indirect through the jump table first entry
## pre: a0 = 2
## post: a1 = 1, gas = 3
%jump_table = @a, @b
    jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect through the jump table second entry
## pre: a0 = 4
## post: a1 = 2, gas = 3
%jump_table = @a, @b
    jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect with an offset
## pre: a0 = 2
## post: a1 = 2, gas = 3
%jump_table = @a, @b
    jump [a0 + 2]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect with a negative offset
## pre: a0 = 6
## post: a1 = 2, gas = 3
%jump_table = @a, @b
    jump [a0 + -2]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect drops the upper word of the address
## pre: a0 = 0x100000004
## post: a1 = 2, gas = 3
%jump_table = @a, @b
    jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect to address 0 traps
## pre: a0 = 0
## post: status = trap, pc = 0, gas = 1
%jump_table = @a, @b
    jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect to an odd address traps
## pre: a0 = 3
## post: status = trap, pc = 0, gas = 1
%jump_table = @a, @b
    jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect past the end of the jump table traps
## pre: a0 = 6
## post: status = trap, pc = 0, gas = 1
%jump_table = @a, @b
    jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: jump_indirect with an empty jump table traps
## pre: a0 = 2
## post: status = trap, pc = 0, gas = 1
    jump [a0]
    ret

## case: jump_indirect to the return address finishes
## pre: a0 = 0xffff0000
## post: status = finished, gas = 1
%jump_table = @a
    jump [a0]
@a:
    a1 = 1
    ret

## case: jump_indirect to the return address ignores the upper word
## pre: a0 = 0xffffffffffff0000
## post: status = finished, gas = 1
    jump [a0]

## case: jump_indirect offset wraps to the return address
## pre: a0 = 0
## post: status = finished, gas = 1
    jump [a0 + -0x10000]

## case: jump_indirect next to the return address traps
## pre: a0 = 0xffff0002
## post: status = trap, pc = 0, gas = 1
    jump [a0]

## case: jump_indirect to a jump table entry inside a block traps
## pre: a0 = 2
## post: status = trap, pc = 0, gas = 1
%jump_table = @mid
    jump [a0]
    a1 = 1
pub @mid: %no_fallthrough
    a1 = 2
    ret

## case: jump_indirect to a label address loaded with load_imm
## post: a0 = 4, a1 = 2, gas = 4
%jump_table = @a, @b
    a0 = @b
    jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: ret jumps through ra like any dynamic jump
## pre: ra = 2, s0 = 0xffff0000
## post: a0 = 1, gas = 3
%jump_table = @done
    ret
@done:
    a0 = 1
    jump [s0]

## case: ret with a zero low word in ra traps
## pre: ra = 0x8000000000000000
## post: status = trap, pc = 0, gas = 1
    ret

## case: load_imm_and_jump call and return through the jump table
## post: s0 = 0xffff0000, a0 = 41, a1 = 42, gas = 7
%jump_table = @back
pub @main:
    s0 = ra
    ra = 2, jump @f
@back:
    a1 = a0 + 1
    ra = s0
    ret
@f:
    a0 = 41
    ret

## case: load_imm_and_jump writes the register before checking the target
## post: status = trap, pc = 0, ra = 77, gas = 1
    ra = 77, jump 1000

## case: load_imm_and_jump to a mid-block target traps with the register written
## post: status = trap, pc = 0, a0 = 0xfffffffffffffffb, gas = 1
    a0 = -5, jump @mid
    a1 = 1
pub @mid: %no_fallthrough
    ret

## case: load_imm_and_jump sign-extends the immediate
## post: a0 = 0xffffffff80000000, gas = 2
    a0 = -2147483648, jump @x
    trap
@x:
    ret

## case: load_imm_and_jump_indirect through the jump table
## pre: a0 = 2
## post: a1 = 1, a3 = 123, gas = 3
%jump_table = @a, @b
    a3 = 123, jump [a0]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: load_imm_and_jump_indirect with an offset
## pre: a0 = 0
## post: a1 = 2, a3 = 0xffffffffffffffff, gas = 3
%jump_table = @a, @b
    a3 = -1, jump [a0 + 4]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: load_imm_and_jump_indirect with one register reads the old address
## pre: a0 = 4
## post: a0 = 99, a1 = 2, gas = 3
%jump_table = @a, @b
    tmp = a0, a0 = 99, jump [tmp]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: load_imm_and_jump_indirect with one register and an offset
## pre: a0 = 2
## post: a0 = 7, a1 = 2, gas = 3
%jump_table = @a, @b
    tmp = a0, a0 = 7, jump [tmp + 2]
@a:
    a1 = 1
    ret
@b:
    a1 = 2
    ret

## case: load_imm_and_jump_indirect writes the register before a bad address traps
## pre: a0 = 3
## post: status = trap, pc = 0, a3 = 5, gas = 1
%jump_table = @a
    a3 = 5, jump [a0]
@a:
    ret

## case: load_imm_and_jump_indirect to the return address finishes
## pre: a0 = 0xffff0000
## post: status = finished, a3 = 7, gas = 1
    a3 = 7, jump [a0]

## case: load_imm_and_jump_indirect call through ra
## post: s0 = 0xffff0000, a0 = 2, a1 = 9, gas = 7
%jump_table = @f, @back
pub @main:
    s0 = ra
    a0 = @f
    ra = 4, jump [a0]
@back:
    ra = s0
    ret
@f:
    a1 = 9
    ret

## case: a trap after resuming from an ecalli reports its own pc
## post: status = ecalli 1, pc = 0, gas = 3
## post: status = trap, pc = @load, gas = 0
    ecalli 1
pub @load: %no_fallthrough
    a0 = u8 [0]
    ret

## case: ecalli in a loop interrupts on every iteration
## pre: a0 = 2
## post: status = ecalli 9, pc = @e, a0 = 1, gas = 3
## post: status = ecalli 9, pc = @e, a0 = 0, gas = 3
## post: status = finished, gas = 1
pub @loop:
    a0 = a0 - 1
pub @e: %no_fallthrough
    ecalli 9
    jump @loop if a0 != 0
    ret

## case: a long block is charged once on entry
## pre: gas = 16
## post: status = not_enough_gas, pc = 0, gas = 0
## set: gas = 17
## post: a0 = 16, gas = 17
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    a0 = a0 + 1
    ret

## case: a gap of more than 24 bytes after an instruction is an implicit trap at pc + 25
# load_imm's 4-byte immediate is read from the gap (01 00 00 00); the next instruction start is too far.
## post: status = trap, pc = 25, a0 = 1, gas = 2
    a0 = 1
%bytes 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    ret

## case: fallthrough into a gap of more than 24 bytes traps inside the gap
## post: status = trap, pc = 25, gas = 2
    fallthrough
%bytes 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    ret

## case: jump_indirect to a jump table entry past the code traps
## pre: a0 = 2
## post: status = trap, pc = 0, gas = 1
%jump_table = 1000
    jump [a0]
    ret

## case: jump_indirect back to its own block loops until the gas is gone
## pre: a0 = 2, gas = 7
## post: status = not_enough_gas, pc = 0, a1 = 3, gas = 6
%jump_table = @main
pub @main:
    a1 = a1 + 1
    jump [a0]
