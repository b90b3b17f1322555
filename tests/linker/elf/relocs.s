# Every relocation type of LLVM 19 RISCV.def, one per 8 bytes, via .reloc (tests/test_elf.py).
.text
.globl target
.type target,@function
target:
  .reloc target+0, R_RISCV_NONE, target+0
  .reloc target+8, R_RISCV_32, target+1
  .reloc target+16, R_RISCV_64, target+2
  .reloc target+24, R_RISCV_RELATIVE, target+3
  .reloc target+32, R_RISCV_COPY, target+4
  .reloc target+40, R_RISCV_JUMP_SLOT, target+5
  .reloc target+48, R_RISCV_TLS_DTPMOD32, target+6
  .reloc target+56, R_RISCV_TLS_DTPMOD64, target+7
  .reloc target+64, R_RISCV_TLS_DTPREL32, target+8
  .reloc target+72, R_RISCV_TLS_DTPREL64, target+9
  .reloc target+80, R_RISCV_TLS_TPREL32, target+10
  .reloc target+88, R_RISCV_TLS_TPREL64, target+11
  .reloc target+96, R_RISCV_TLSDESC, target+12
  .reloc target+104, R_RISCV_BRANCH, target+13
  .reloc target+112, R_RISCV_JAL, target+14
  .reloc target+120, R_RISCV_CALL, target+15
  .reloc target+128, R_RISCV_CALL_PLT, target+16
  .reloc target+136, R_RISCV_GOT_HI20, target+17
  .reloc target+144, R_RISCV_TLS_GOT_HI20, target+18
  .reloc target+152, R_RISCV_TLS_GD_HI20, target+19
  .reloc target+160, R_RISCV_PCREL_HI20, target+20
  .reloc target+168, R_RISCV_PCREL_LO12_I, target+21
  .reloc target+176, R_RISCV_PCREL_LO12_S, target+22
  .reloc target+184, R_RISCV_HI20, target+23
  .reloc target+192, R_RISCV_LO12_I, target+24
  .reloc target+200, R_RISCV_LO12_S, target+25
  .reloc target+208, R_RISCV_TPREL_HI20, target+26
  .reloc target+216, R_RISCV_TPREL_LO12_I, target+27
  .reloc target+224, R_RISCV_TPREL_LO12_S, target+28
  .reloc target+232, R_RISCV_TPREL_ADD, target+29
  .reloc target+240, R_RISCV_ADD8, target+30
  .reloc target+248, R_RISCV_ADD16, target+31
  .reloc target+256, R_RISCV_ADD32, target+32
  .reloc target+264, R_RISCV_ADD64, target+33
  .reloc target+272, R_RISCV_SUB8, target+34
  .reloc target+280, R_RISCV_SUB16, target+35
  .reloc target+288, R_RISCV_SUB32, target+36
  .reloc target+296, R_RISCV_SUB64, target+37
  .reloc target+304, R_RISCV_GOT32_PCREL, target+38
  .reloc target+312, R_RISCV_ALIGN, target+39
  .reloc target+320, R_RISCV_RVC_BRANCH, target+40
  .reloc target+328, R_RISCV_RVC_JUMP, target+41
  .reloc target+336, R_RISCV_RVC_LUI, target+42
  .reloc target+344, R_RISCV_RELAX, target+43
  .reloc target+352, R_RISCV_SUB6, target+44
  .reloc target+360, R_RISCV_SET6, target+45
  .reloc target+368, R_RISCV_SET8, target+46
  .reloc target+376, R_RISCV_SET16, target+47
  .reloc target+384, R_RISCV_SET32, target+48
  .reloc target+392, R_RISCV_32_PCREL, target+49
  .reloc target+400, R_RISCV_IRELATIVE, target+50
  .reloc target+408, R_RISCV_PLT32, target+51
  .reloc target+416, R_RISCV_SET_ULEB128, target+52
  .reloc target+424, R_RISCV_SUB_ULEB128, target+53
  .reloc target+432, R_RISCV_TLSDESC_HI20, target+54
  .reloc target+440, R_RISCV_TLSDESC_LOAD_LO12, target+55
  .reloc target+448, R_RISCV_TLSDESC_ADD_LO12, target+56
  .reloc target+456, R_RISCV_TLSDESC_CALL, target+57
  .zero 472
