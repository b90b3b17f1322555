# Every RV64C instruction form (integer, RV64E registers), written with explicit c.* mnemonics.
    .option rvc
    .option norelax
    .text
    .globl all_rvc
all_rvc:
back:
    c.addi4spn x8, x2, 4
    c.addi4spn x15, x2, 1020
    c.lw x8, 0(x15)
    c.lw x15, 124(x8)
    c.ld x9, 0(x14)
    c.ld x14, 248(x9)
    c.sw x10, 4(x13)
    c.sw x13, 124(x10)
    c.sd x11, 8(x12)
    c.sd x12, 248(x11)
    c.nop
    c.addi x1, -32
    c.addi x15, 31
    c.addiw x2, -1
    c.addiw x14, 31
    c.li x3, -32
    c.li x13, 31
    c.li x0, 5
    c.addi16sp x2, -512
    c.addi16sp x2, 496
    c.addi16sp x2, 16
    c.lui x1, 1
    c.lui x15, 0x1f
    c.lui x4, 0xfffe0
    c.lui x5, 0xfffff
    c.srli x8, 1
    c.srli x15, 63
    c.srli x9, 32
    c.srai x10, 1
    c.srai x14, 63
    c.andi x11, -32
    c.andi x13, 31
    c.sub x8, x15
    c.xor x9, x14
    c.or x10, x13
    c.and x11, x12
    c.subw x12, x11
    c.addw x15, x8
    c.j back
    c.j fwd
    c.beqz x8, back
    c.bnez x15, fwd
    c.slli x1, 1
    c.slli x15, 63
    c.slli x7, 32
    c.lwsp x1, 0(x2)
    c.lwsp x15, 252(x2)
    c.ldsp x2, 0(x2)
    c.ldsp x14, 504(x2)
    c.jr x1
    c.jr x15
    c.mv x1, x15
    c.mv x15, x1
    c.ebreak
    c.jalr x5
    c.add x6, x7
    c.add x2, x2
    c.swsp x1, 0(x2)
    c.swsp x15, 252(x2)
    c.sdsp x3, 0(x2)
    c.sdsp x14, 504(x2)
    c.unimp
fwd:
    c.beqz x9, 254
    c.bnez x10, -256
    c.j 2046
    c.j -2048
    c.jr x1
