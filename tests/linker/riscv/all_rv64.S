# Every 32-bit instruction the decoder supports (RV64I, M, A, Zbb, XTheadCondMov), without compression.
# Only x0..x15 (RV64E). Branch/jump targets are local labels with relaxation off, so offsets are resolved.
    .option norvc
    .option norelax
    .text
    .globl all_rv64
all_rv64:
back:
    lui x1, 0
    lui x15, 0xfffff
    lui x8, 0x80000
    lui x9, 0x7ffff
    auipc x10, 0
    auipc x11, 0xfffff
    auipc x12, 0x80000
    jal x0, back
    jal x1, fwd
    jal x5, 0x7fffe
    jal x5, -0x80000
    jalr x0, 0(x1)
    jalr x1, -2048(x15)
    jalr x2, 2047(x14)
    beq x1, x2, back
    bne x3, x4, fwd
    blt x5, x6, back
    bge x7, x8, fwd
    bltu x9, x10, back
    bgeu x11, x12, fwd
    beq x0, x0, 4094
    bne x13, x14, -4096
    lb x1, -2048(x2)
    lh x3, 2047(x4)
    lw x5, 0(x6)
    ld x7, -1(x8)
    lbu x9, 1(x10)
    lhu x11, 100(x12)
    lwu x13, -100(x14)
    sb x15, -2048(x1)
    sh x2, 2047(x3)
    sw x4, -1(x5)
    sd x6, 8(x7)
fwd:
    addi x1, x2, -2048
    addi x0, x0, 0
    addi x15, x15, 2047
    slti x3, x4, -1
    sltiu x5, x6, 1
    xori x7, x8, -1
    ori x9, x10, 0x555
    andi x11, x12, -0x800
    slli x13, x14, 0
    slli x13, x14, 63
    slli x13, x14, 32
    srli x15, x1, 31
    srli x15, x1, 63
    srai x2, x3, 1
    srai x2, x3, 63
    add x1, x2, x3
    sub x4, x5, x6
    sll x7, x8, x9
    slt x10, x11, x12
    sltu x13, x14, x15
    xor x1, x2, x3
    srl x4, x5, x6
    sra x7, x8, x9
    or x10, x11, x12
    and x13, x14, x15
    fence iorw, iorw
    fence rw, w
    fence i, o
    fence.tso
    fence.i
    ecall
    ebreak
    unimp
    addiw x1, x2, -2048
    addiw x3, x4, 2047
    slliw x5, x6, 31
    srliw x7, x8, 0
    sraiw x9, x10, 31
    addw x11, x12, x13
    subw x14, x15, x1
    sllw x2, x3, x4
    srlw x5, x6, x7
    sraw x8, x9, x10
    mul x1, x2, x3
    mulh x4, x5, x6
    mulhsu x7, x8, x9
    mulhu x10, x11, x12
    div x13, x14, x15
    divu x1, x2, x3
    rem x4, x5, x6
    remu x7, x8, x9
    mulw x10, x11, x12
    divw x13, x14, x15
    divuw x1, x2, x3
    remw x4, x5, x6
    remuw x7, x8, x9
    lr.w x1, (x2)
    lr.w.aq x1, (x2)
    lr.d.aqrl x3, (x4)
    sc.w x5, x6, (x7)
    sc.d.rl x8, x9, (x10)
    amoswap.w x1, x2, (x3)
    amoswap.d.aq x1, x2, (x3)
    amoadd.w.rl x4, x5, (x6)
    amoadd.d.aqrl x4, x5, (x6)
    amoxor.w x7, x8, (x9)
    amoxor.d x7, x8, (x9)
    amoand.w x10, x11, (x12)
    amoand.d x10, x11, (x12)
    amoor.w x13, x14, (x15)
    amoor.d x13, x14, (x15)
    amomin.w x1, x2, (x3)
    amomin.d x1, x2, (x3)
    amomax.w x4, x5, (x6)
    amomax.d x4, x5, (x6)
    amominu.w x7, x8, (x9)
    amominu.d x7, x8, (x9)
    amomaxu.w x10, x11, (x12)
    amomaxu.d.aqrl x10, x11, (x12)
    andn x1, x2, x3
    orn x4, x5, x6
    xnor x7, x8, x9
    clz x10, x11
    ctz x12, x13
    cpop x14, x15
    clzw x1, x2
    ctzw x3, x4
    cpopw x5, x6
    max x7, x8, x9
    maxu x10, x11, x12
    min x13, x14, x15
    minu x1, x2, x3
    sext.b x4, x5
    sext.h x6, x7
    zext.h x8, x9
    rol x10, x11, x12
    rolw x13, x14, x15
    ror x1, x2, x3
    rori x4, x5, 0
    rori x4, x5, 63
    roriw x6, x7, 31
    rorw x8, x9, x10
    orc.b x11, x12
    rev8 x13, x14
    th.mveqz x1, x2, x3
    th.mvnez x15, x14, x13
    ret
