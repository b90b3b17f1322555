"""RISC-V decoder for the PolkaVM linker (reference/polkavm.md §6.1 and §6.3).

Decodes what clang-19 emits for ``-march=rv64emac_zbb_xtheadcondmov -mabi=lp64e``: RV64I, M, A, C, Zbb and
XTheadCondMov, plus the PolkaVM custom-0 instructions of §6.2 and the MIPS-style ``ccmov`` that polkavm-linker also
accepts. Only registers x0..x15 exist (RV64E); any other register is a :class:`RiscvDecodeError`.

Compressed instructions are expanded to their 32-bit equivalent (``c.li rd, imm`` is ``addi rd, x0, imm``, ``c.j``
is ``jal x0, off``, ...) and keep ``size == 2``. Immediates are sign-extended; branch and jump offsets are relative to
the instruction's own address; ``lui``/``auipc`` carry the value they add, i.e. ``sext32(imm20 << 12)``.

Mnemonics are llvm-objdump's ``-M no-aliases`` names of the (expanded) instruction, without the ``.aq``/``.rl``/
``.aqrl`` suffixes of atomics (those are in ``extra``: bit 1 = aq, bit 0 = rl). Additional mnemonics, not printed by
llvm-objdump:

* ``pvm.ecalli`` (the word ``0x0000000b`` that starts an import call site, followed by a pointer-sized slot that
  :func:`decode_all` knows nothing about), ``pvm.sbrk rd, rs1``, ``pvm.memset``, ``pvm.heap_base rd``;
* ``mips.ccmov rd, rs1, rs2, rs3``: ``rd = rs1 if rs2 != 0 else rs3``;
* ``unimp`` for ``c.unimp`` (0x0000) and for ``0xc0001073`` (``csrrw x0, cycle, x0``). No other CSR access decodes.

``fence``/``fence.tso`` keep the 12-bit ``fm:pred:succ`` field in ``extra``.

Decoding only looks at integer fields (a table dispatch on the opcode bits); results are cached per instruction word,
since an instruction's :class:`RvInst` depends on nothing but its bits.
"""

from __future__ import annotations

import gc
import sys
from array import array
from dataclasses import dataclass
from typing import NoReturn

__all__ = ["RiscvDecodeError", "RvInst", "decode", "decode_all"]


@dataclass(frozen=True, slots=True)
class RvInst:
    """One decoded (and, if compressed, expanded) RISC-V instruction."""

    mnemonic: str
    rd: int | None
    rs1: int | None
    rs2: int | None
    imm: int | None
    size: int
    rs3: int | None = None
    extra: int | None = None


class RiscvDecodeError(ValueError):
    """An unknown, reserved or illegal encoding, or a register that RV64E does not have."""


class _Illegal(Exception):
    """Internal: why a word does not decode; the public functions add the address and the raw bits."""


_CACHE_LIMIT = 1 << 16
_cache16: dict[int, RvInst] = {}
_cache32: dict[int, RvInst] = {}


def _bad_reg(*regs: int) -> NoReturn:
    for reg in regs:
        if reg > 15:
            raise _Illegal(f"register x{reg} does not exist in RV64E (only x0..x15)")
    raise AssertionError("no bad register")  # pragma: no cover


# --------------------------------------------------------------------------------------------------------------------
# 32-bit instructions: one handler per major opcode (bits 6..0).

_LOADS = ("lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", None)
_STORES = ("sb", "sh", "sw", "sd", None, None, None, None)
_BRANCHES = ("beq", "bne", None, None, "blt", "bge", "bltu", "bgeu")
_OP_IMM = ("addi", None, "slti", "sltiu", "xori", None, "ori", "andi")
_UNARY_IMM = {
    0x600: "clz", 0x601: "ctz", 0x602: "cpop", 0x604: "sext.b", 0x605: "sext.h", 0x287: "orc.b", 0x6B8: "rev8",
}  # fmt: skip
_UNARY_IMM_W = {0x600: "clzw", 0x601: "ctzw", 0x602: "cpopw"}


def _funct(funct7: int, funct3: int) -> int:
    return funct7 << 3 | funct3


_OP = {
    _funct(0x00, 0): "add", _funct(0x00, 1): "sll", _funct(0x00, 2): "slt", _funct(0x00, 3): "sltu",
    _funct(0x00, 4): "xor", _funct(0x00, 5): "srl", _funct(0x00, 6): "or", _funct(0x00, 7): "and",
    _funct(0x20, 0): "sub", _funct(0x20, 5): "sra",
    _funct(0x20, 4): "xnor", _funct(0x20, 6): "orn", _funct(0x20, 7): "andn",
    _funct(0x01, 0): "mul", _funct(0x01, 1): "mulh", _funct(0x01, 2): "mulhsu", _funct(0x01, 3): "mulhu",
    _funct(0x01, 4): "div", _funct(0x01, 5): "divu", _funct(0x01, 6): "rem", _funct(0x01, 7): "remu",
    _funct(0x05, 4): "min", _funct(0x05, 5): "minu", _funct(0x05, 6): "max", _funct(0x05, 7): "maxu",
    _funct(0x30, 1): "rol", _funct(0x30, 5): "ror",
}  # fmt: skip
_OP_32 = {
    _funct(0x00, 0): "addw", _funct(0x00, 1): "sllw", _funct(0x00, 5): "srlw",
    _funct(0x20, 0): "subw", _funct(0x20, 5): "sraw",
    _funct(0x01, 0): "mulw", _funct(0x01, 4): "divw", _funct(0x01, 5): "divuw", _funct(0x01, 6): "remw",
    _funct(0x01, 7): "remuw",
    _funct(0x30, 1): "rolw", _funct(0x30, 5): "rorw",
}  # fmt: skip
_ZEXT_H = _funct(0x04, 4)  # OP-32, rs2 = 0
_AMOS = {
    0x00: "amoadd", 0x01: "amoswap", 0x02: "lr", 0x03: "sc", 0x04: "amoxor", 0x08: "amoor", 0x0C: "amoand",
    0x10: "amomin", 0x14: "amomax", 0x18: "amominu", 0x1C: "amomaxu",
}  # fmt: skip
_AMO_NAMES = {(funct5, f3): f"{name}.{'w' if f3 == 2 else 'd'}" for funct5, name in _AMOS.items() for f3 in (2, 3)}

_ECALL = RvInst("ecall", None, None, None, None, 4)
_EBREAK = RvInst("ebreak", None, None, None, None, 4)
_UNIMP32 = RvInst("unimp", None, None, None, None, 4)
_FENCE_I = RvInst("fence.i", None, None, None, None, 4)
_PVM_ECALLI = RvInst("pvm.ecalli", None, None, None, None, 4)
_PVM_MEMSET = RvInst("pvm.memset", None, None, None, None, 4)


def _load(w: int) -> RvInst:
    name = _LOADS[(w >> 12) & 7]
    if name is None:
        raise _Illegal("reserved LOAD width")
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    if (rd | rs1) > 15:
        _bad_reg(rd, rs1)
    return RvInst(name, rd, rs1, None, ((w >> 20) ^ 0x800) - 0x800, 4)


def _store(w: int) -> RvInst:
    name = _STORES[(w >> 12) & 7]
    if name is None:
        raise _Illegal("reserved STORE width")
    rs1 = (w >> 15) & 31
    rs2 = (w >> 20) & 31
    if (rs1 | rs2) > 15:
        _bad_reg(rs1, rs2)
    imm = ((((w >> 20) & 0xFE0) | ((w >> 7) & 0x1F)) ^ 0x800) - 0x800
    return RvInst(name, None, rs1, rs2, imm, 4)


def _branch(w: int) -> RvInst:
    name = _BRANCHES[(w >> 12) & 7]
    if name is None:
        raise _Illegal("reserved BRANCH condition")
    rs1 = (w >> 15) & 31
    rs2 = (w >> 20) & 31
    if (rs1 | rs2) > 15:
        _bad_reg(rs1, rs2)
    imm = ((w >> 19) & 0x1000) | ((w << 4) & 0x800) | ((w >> 20) & 0x7E0) | ((w >> 7) & 0x1E)
    return RvInst(name, None, rs1, rs2, (imm ^ 0x1000) - 0x1000, 4)


def _jal(w: int) -> RvInst:
    rd = (w >> 7) & 31
    if rd > 15:
        _bad_reg(rd)
    imm = ((w >> 11) & 0x100000) | (w & 0xFF000) | ((w >> 9) & 0x800) | ((w >> 20) & 0x7FE)
    return RvInst("jal", rd, None, None, (imm ^ 0x100000) - 0x100000, 4)


def _jalr(w: int) -> RvInst:
    if w & 0x7000:
        raise _Illegal("JALR with funct3 != 0")
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    if (rd | rs1) > 15:
        _bad_reg(rd, rs1)
    return RvInst("jalr", rd, rs1, None, ((w >> 20) ^ 0x800) - 0x800, 4)


def _lui(w: int) -> RvInst:
    rd = (w >> 7) & 31
    if rd > 15:
        _bad_reg(rd)
    return RvInst("lui", rd, None, None, ((w & 0xFFFFF000) ^ 0x80000000) - 0x80000000, 4)


def _auipc(w: int) -> RvInst:
    rd = (w >> 7) & 31
    if rd > 15:
        _bad_reg(rd)
    return RvInst("auipc", rd, None, None, ((w & 0xFFFFF000) ^ 0x80000000) - 0x80000000, 4)


def _op_imm(w: int) -> RvInst:
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    if (rd | rs1) > 15:
        _bad_reg(rd, rs1)
    f3 = (w >> 12) & 7
    name = _OP_IMM[f3]
    if name is not None:
        return RvInst(name, rd, rs1, None, ((w >> 20) ^ 0x800) - 0x800, 4)
    funct6 = w >> 26
    if f3 == 1:
        if funct6 == 0:
            return RvInst("slli", rd, rs1, None, (w >> 20) & 63, 4)
        name = _UNARY_IMM.get(w >> 20)
        if name is not None and name != "orc.b" and name != "rev8":
            return RvInst(name, rd, rs1, None, None, 4)
    else:  # f3 == 5
        if funct6 == 0:
            return RvInst("srli", rd, rs1, None, (w >> 20) & 63, 4)
        if funct6 == 0x10:
            return RvInst("srai", rd, rs1, None, (w >> 20) & 63, 4)
        if funct6 == 0x18:
            return RvInst("rori", rd, rs1, None, (w >> 20) & 63, 4)
        name = _UNARY_IMM.get(w >> 20)
        if name == "orc.b" or name == "rev8":
            return RvInst(name, rd, rs1, None, None, 4)
    raise _Illegal("unknown OP-IMM shift/unary encoding")


def _op_imm_32(w: int) -> RvInst:
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    if (rd | rs1) > 15:
        _bad_reg(rd, rs1)
    f3 = (w >> 12) & 7
    funct7 = w >> 25
    if f3 == 0:
        return RvInst("addiw", rd, rs1, None, ((w >> 20) ^ 0x800) - 0x800, 4)
    if f3 == 1:
        if funct7 == 0:
            return RvInst("slliw", rd, rs1, None, (w >> 20) & 31, 4)
        name = _UNARY_IMM_W.get(w >> 20)
        if name is not None:
            return RvInst(name, rd, rs1, None, None, 4)
    elif f3 == 5:
        if funct7 == 0:
            return RvInst("srliw", rd, rs1, None, (w >> 20) & 31, 4)
        if funct7 == 0x20:
            return RvInst("sraiw", rd, rs1, None, (w >> 20) & 31, 4)
        if funct7 == 0x30:
            return RvInst("roriw", rd, rs1, None, (w >> 20) & 31, 4)
    raise _Illegal("unknown OP-IMM-32 encoding")


def _op(w: int) -> RvInst:
    name = _OP.get((w >> 22) & 0x3F8 | (w >> 12) & 7)
    if name is None:
        raise _Illegal("unknown OP funct7/funct3")
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    rs2 = (w >> 20) & 31
    if (rd | rs1 | rs2) > 15:
        _bad_reg(rd, rs1, rs2)
    return RvInst(name, rd, rs1, rs2, None, 4)


def _op_32(w: int) -> RvInst:
    key = (w >> 22) & 0x3F8 | (w >> 12) & 7
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    rs2 = (w >> 20) & 31
    name = _OP_32.get(key)
    if name is None:
        if key == _ZEXT_H and rs2 == 0:
            if (rd | rs1) > 15:
                _bad_reg(rd, rs1)
            return RvInst("zext.h", rd, rs1, None, None, 4)
        raise _Illegal("unknown OP-32 funct7/funct3")
    if (rd | rs1 | rs2) > 15:
        _bad_reg(rd, rs1, rs2)
    return RvInst(name, rd, rs1, rs2, None, 4)


def _amo(w: int) -> RvInst:
    name = _AMO_NAMES.get((w >> 27, (w >> 12) & 7))
    if name is None:
        raise _Illegal("unknown AMO funct5/width")
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    rs2 = (w >> 20) & 31
    if (rd | rs1 | rs2) > 15:
        _bad_reg(rd, rs1, rs2)
    if name[1] == "r":  # lr.w / lr.d
        if rs2:
            raise _Illegal("LR with rs2 != 0")
        return RvInst(name, rd, rs1, None, None, 4, None, (w >> 25) & 3)
    return RvInst(name, rd, rs1, rs2, None, 4, None, (w >> 25) & 3)


def _misc_mem(w: int) -> RvInst:
    if w & 0xFEF80 == 0:  # rd = rs1 = 0, funct3 0 or 1
        if w & 0x1000 == 0:
            fields = w >> 20
            if fields >> 8 == 0:
                return RvInst("fence", None, None, None, None, 4, None, fields)
            if fields == 0x833:
                return RvInst("fence.tso", None, None, None, None, 4, None, fields)
        elif w == 0x0000100F:
            return _FENCE_I
    raise _Illegal("unknown MISC-MEM encoding")


def _system(w: int) -> RvInst:
    if w == 0x00000073:
        return _ECALL
    if w == 0x00100073:
        return _EBREAK
    if w == 0xC0001073:
        return _UNIMP32
    raise _Illegal("unsupported SYSTEM instruction (only ecall, ebreak and unimp)")


def _custom_0(w: int) -> RvInst:
    rd = (w >> 7) & 31
    rs1 = (w >> 15) & 31
    rs2 = (w >> 20) & 31
    f3 = (w >> 12) & 7
    funct7 = w >> 25
    if f3 == 3 and funct7 & 3 == 3:  # MIPS-style cmov (rs3 in bits 31..27)
        rs3 = w >> 27
        if (rd | rs1 | rs2 | rs3) > 15:
            _bad_reg(rd, rs1, rs2, rs3)
        return RvInst("mips.ccmov", rd, rs1, rs2, None, 4, rs3)
    if f3 == 1 and (funct7 == 0x20 or funct7 == 0x21):
        if (rd | rs1 | rs2) > 15:
            _bad_reg(rd, rs1, rs2)
        return RvInst("th.mveqz" if funct7 == 0x20 else "th.mvnez", rd, rs1, rs2, None, 4)
    if w == 0x0000000B:
        return _PVM_ECALLI
    if w == 0x0000200B:
        return _PVM_MEMSET
    if funct7 == 0 and rs2 == 0:
        if f3 == 1:
            if (rd | rs1) > 15:
                _bad_reg(rd, rs1)
            return RvInst("pvm.sbrk", rd, rs1, None, None, 4)
        if f3 == 3 and rs1 == 0:
            if rd > 15:
                _bad_reg(rd)
            return RvInst("pvm.heap_base", rd, None, None, None, 4)
    raise _Illegal("unknown custom-0 instruction")


def _no_opcode(w: int) -> RvInst:
    raise _Illegal("unsupported major opcode")


def _floating_point(w: int) -> RvInst:
    raise _Illegal("a floating-point instruction (PVM has no FPU: compile with -march=rv64emac -mabi=lp64e, whose "
                   "float and double arithmetic calls compiler-rt's soft-float helpers, which you then link in)")


def _longer(w: int) -> RvInst:
    raise _Illegal("instruction longer than 32 bits")


_HANDLERS32 = [_longer if opcode & 0x1F == 0x1F else _no_opcode for opcode in range(128)]
for _opcode, _handler in {
    0x03: _load, 0x0B: _custom_0, 0x0F: _misc_mem, 0x13: _op_imm, 0x17: _auipc, 0x1B: _op_imm_32, 0x23: _store,
    0x2F: _amo, 0x33: _op, 0x37: _lui, 0x3B: _op_32, 0x63: _branch, 0x67: _jalr, 0x6F: _jal, 0x73: _system,
}.items():  # fmt: skip
    _HANDLERS32[_opcode] = _handler
for _opcode in (0x07, 0x27, 0x43, 0x47, 0x4B, 0x4F, 0x53):  # LOAD-FP, STORE-FP, the fused multiply-adds and OP-FP
    _HANDLERS32[_opcode] = _floating_point
_HANDLERS32 = tuple(_HANDLERS32)


# --------------------------------------------------------------------------------------------------------------------
# 16-bit instructions: one handler per (quadrant, funct3); each returns the expanded instruction with size 2.

_UNIMP16 = RvInst("unimp", None, None, None, None, 2)
_EBREAK16 = RvInst("ebreak", None, None, None, None, 2)


def _ci_imm(h: int) -> int:
    return ((((h >> 7) & 0x20) | ((h >> 2) & 0x1F)) ^ 0x20) - 0x20


def _c_addi4spn(h: int) -> RvInst:
    imm = ((h >> 7) & 0x30) | ((h >> 1) & 0x3C0) | ((h >> 4) & 4) | ((h >> 2) & 8)
    if imm == 0:
        if h == 0:
            return _UNIMP16
        raise _Illegal("c.addi4spn with a zero immediate")
    return RvInst("addi", ((h >> 2) & 7) + 8, 2, None, imm, 2)


def _c_lw(h: int) -> RvInst:
    imm = ((h >> 7) & 0x38) | ((h >> 4) & 4) | ((h << 1) & 0x40)
    return RvInst("lw", ((h >> 2) & 7) + 8, ((h >> 7) & 7) + 8, None, imm, 2)


def _c_ld(h: int) -> RvInst:
    imm = ((h >> 7) & 0x38) | ((h << 1) & 0xC0)
    return RvInst("ld", ((h >> 2) & 7) + 8, ((h >> 7) & 7) + 8, None, imm, 2)


def _c_sw(h: int) -> RvInst:
    imm = ((h >> 7) & 0x38) | ((h >> 4) & 4) | ((h << 1) & 0x40)
    return RvInst("sw", None, ((h >> 7) & 7) + 8, ((h >> 2) & 7) + 8, imm, 2)


def _c_sd(h: int) -> RvInst:
    imm = ((h >> 7) & 0x38) | ((h << 1) & 0xC0)
    return RvInst("sd", None, ((h >> 7) & 7) + 8, ((h >> 2) & 7) + 8, imm, 2)


def _c_addi(h: int) -> RvInst:  # c.addi / c.nop (and their HINT forms)
    rd = (h >> 7) & 31
    if rd > 15:
        _bad_reg(rd)
    return RvInst("addi", rd, rd, None, _ci_imm(h), 2)


def _c_addiw(h: int) -> RvInst:
    rd = (h >> 7) & 31
    if rd == 0:
        raise _Illegal("c.addiw with rd = x0")
    if rd > 15:
        _bad_reg(rd)
    return RvInst("addiw", rd, rd, None, _ci_imm(h), 2)


def _c_li(h: int) -> RvInst:
    rd = (h >> 7) & 31
    if rd > 15:
        _bad_reg(rd)
    return RvInst("addi", rd, 0, None, _ci_imm(h), 2)


def _c_lui(h: int) -> RvInst:  # c.lui / c.addi16sp
    rd = (h >> 7) & 31
    if rd == 2:
        imm = ((h >> 3) & 0x200) | ((h >> 2) & 0x10) | ((h << 1) & 0x40) | ((h << 4) & 0x180) | ((h << 3) & 0x20)
        if imm == 0:
            raise _Illegal("c.addi16sp with a zero immediate")
        return RvInst("addi", 2, 2, None, (imm ^ 0x200) - 0x200, 2)
    if rd > 15:
        _bad_reg(rd)
    # nzimm = 0 is reserved by the spec, but llvm-objdump-19 decodes it (as `c.lui rd, 0x0`), and so do we.
    return RvInst("lui", rd, None, None, _ci_imm(h) << 12, 2)


_C_ALU = ("sub", "xor", "or", "and", "subw", "addw", None, None)


def _c_misc_alu(h: int) -> RvInst:
    rd = ((h >> 7) & 7) + 8
    kind = (h >> 10) & 3
    if kind == 0:
        return RvInst("srli", rd, rd, None, ((h >> 7) & 0x20) | ((h >> 2) & 0x1F), 2)
    if kind == 1:
        return RvInst("srai", rd, rd, None, ((h >> 7) & 0x20) | ((h >> 2) & 0x1F), 2)
    if kind == 2:
        return RvInst("andi", rd, rd, None, _ci_imm(h), 2)
    name = _C_ALU[((h >> 10) & 4) | ((h >> 5) & 3)]
    if name is None:
        raise _Illegal("reserved compressed ALU encoding")
    return RvInst(name, rd, rd, ((h >> 2) & 7) + 8, None, 2)


def _c_j(h: int) -> RvInst:
    # offset[11|4|9:8|10|6|7|3:1|5] in bits 12..2
    imm = ((h >> 1) & 0xB40) | ((h >> 7) & 0x10) | ((h << 2) & 0x400) | ((h << 1) & 0x80) | ((h >> 2) & 0xE)
    imm |= (h << 3) & 0x20
    return RvInst("jal", 0, None, None, (imm ^ 0x800) - 0x800, 2)


def _cb_offset(h: int) -> int:
    imm = ((h >> 4) & 0x100) | ((h >> 7) & 0x18) | ((h << 1) & 0xC0) | ((h >> 2) & 6) | ((h << 3) & 0x20)
    return (imm ^ 0x100) - 0x100


def _c_beqz(h: int) -> RvInst:
    return RvInst("beq", None, ((h >> 7) & 7) + 8, 0, _cb_offset(h), 2)


def _c_bnez(h: int) -> RvInst:
    return RvInst("bne", None, ((h >> 7) & 7) + 8, 0, _cb_offset(h), 2)


def _c_slli(h: int) -> RvInst:
    rd = (h >> 7) & 31
    if rd > 15:
        _bad_reg(rd)
    return RvInst("slli", rd, rd, None, ((h >> 7) & 0x20) | ((h >> 2) & 0x1F), 2)


def _c_lwsp(h: int) -> RvInst:
    rd = (h >> 7) & 31
    if rd == 0:
        raise _Illegal("c.lwsp with rd = x0")
    if rd > 15:
        _bad_reg(rd)
    return RvInst("lw", rd, 2, None, ((h >> 7) & 0x20) | ((h >> 2) & 0x1C) | ((h << 4) & 0xC0), 2)


def _c_ldsp(h: int) -> RvInst:
    rd = (h >> 7) & 31
    if rd == 0:
        raise _Illegal("c.ldsp with rd = x0")
    if rd > 15:
        _bad_reg(rd)
    return RvInst("ld", rd, 2, None, ((h >> 7) & 0x20) | ((h >> 2) & 0x18) | ((h << 4) & 0x1C0), 2)


def _c_jr_mv_add(h: int) -> RvInst:
    rs1 = (h >> 7) & 31
    rs2 = (h >> 2) & 31
    if (rs1 | rs2) > 15:
        _bad_reg(rs1, rs2)
    if h & 0x1000 == 0:
        if rs2 == 0:
            if rs1 == 0:
                raise _Illegal("c.jr with rs1 = x0")
            return RvInst("jalr", 0, rs1, None, 0, 2)
        return RvInst("add", rs1, 0, rs2, None, 2)  # c.mv
    if rs2 == 0:
        if rs1 == 0:
            return _EBREAK16
        return RvInst("jalr", 1, rs1, None, 0, 2)  # c.jalr
    return RvInst("add", rs1, rs1, rs2, None, 2)


def _c_swsp(h: int) -> RvInst:
    rs2 = (h >> 2) & 31
    if rs2 > 15:
        _bad_reg(rs2)
    return RvInst("sw", None, 2, rs2, ((h >> 7) & 0x3C) | ((h >> 1) & 0xC0), 2)


def _c_sdsp(h: int) -> RvInst:
    rs2 = (h >> 2) & 31
    if rs2 > 15:
        _bad_reg(rs2)
    return RvInst("sd", None, 2, rs2, ((h >> 7) & 0x38) | ((h >> 1) & 0x1C0), 2)


def _c_reserved(h: int) -> RvInst:
    raise _Illegal("unsupported compressed instruction (Zcb or reserved)")


def _c_float(h: int) -> RvInst:
    return _floating_point(h)


# Index: quadrant << 3 | funct3 (quadrant 3 is never looked up).
_HANDLERS16 = (
    _c_addi4spn, _c_float, _c_lw, _c_ld, _c_reserved, _c_float, _c_sw, _c_sd,  # (c.fld, c.fsd)
    _c_addi, _c_addiw, _c_li, _c_lui, _c_misc_alu, _c_j, _c_beqz, _c_bnez,
    _c_slli, _c_float, _c_lwsp, _c_ldsp, _c_jr_mv_add, _c_float, _c_swsp, _c_sdsp,  # (c.fldsp, c.fsdsp)
)  # fmt: skip


# --------------------------------------------------------------------------------------------------------------------
# Public API.


def _error(address: int, raw: str, reason: str) -> RiscvDecodeError:
    return RiscvDecodeError(f"cannot decode RISC-V instruction at 0x{address:x} (raw {raw}): {reason}")


def _miss16(h: int, address: int) -> RvInst:
    try:
        inst = _HANDLERS16[(h & 3) << 3 | h >> 13](h)
    except _Illegal as exc:
        raise _error(address, f"0x{h:04x}", str(exc)) from None
    if len(_cache16) >= _CACHE_LIMIT:
        _cache16.clear()
    _cache16[h] = inst
    return inst


def _miss32(w: int, address: int) -> RvInst:
    try:
        inst = _HANDLERS32[w & 0x7F](w)
    except _Illegal as exc:
        raise _error(address, f"0x{w:08x}", str(exc)) from None
    if len(_cache32) >= _CACHE_LIMIT:
        _cache32.clear()
    _cache32[w] = inst
    return inst


def decode(data: bytes, offset: int = 0, address: int = 0) -> RvInst:
    """Decode the one instruction at ``data[offset:]``; ``address`` (of that instruction) is only used in errors."""
    if offset < 0 or offset + 2 > len(data):
        raise _error(address, data[offset : offset + 2].hex() or "<none>", "truncated instruction")
    h = data[offset] | data[offset + 1] << 8
    if h & 3 != 3:
        return _cache16.get(h) or _miss16(h, address)
    if offset + 4 > len(data):
        raise _error(address, f"0x{h:04x}", "truncated 32-bit instruction")
    w = h | data[offset + 2] << 16 | data[offset + 3] << 24
    return _cache32.get(w) or _miss32(w, address)


def decode_all(data: bytes, address: int = 0) -> list[tuple[int, RvInst]]:
    """Linear sweep over ``data`` (a code section loaded at ``address``): ``[(address, inst), ...]``.

    Raises :class:`RiscvDecodeError` at the first word that does not decode (including a truncated last one).
    """
    size = len(data)
    halves = array("H", bytes(data[: size & ~1]))
    if sys.byteorder == "big":  # pragma: no cover
        halves.byteswap()
    count = len(halves)
    out: list[tuple[int, RvInst]] = []
    append = out.append
    get16 = _cache16.get
    get32 = _cache32.get
    i = 0
    addr = address
    # The sweep allocates one tuple per instruction and no reference cycles; pausing the cyclic GC (which would
    # otherwise rescan the growing list again and again) doubles its speed.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        while i < count:
            h = halves[i]
            if h & 3 != 3:
                append((addr, get16(h) or _miss16(h, addr)))
                i += 1
                addr += 2
            else:
                w = h | halves[i + 1] << 16  # IndexError: a 32-bit instruction cut off by the end of the data
                append((addr, get32(w) or _miss32(w, addr)))
                i += 2
                addr += 4
    except IndexError:
        if i + 1 < count:  # pragma: no cover - not ours
            raise
        raise _error(addr, f"0x{halves[i]:04x}", "truncated 32-bit instruction") from None
    finally:
        if gc_was_enabled:
            gc.enable()
    if size & 1:
        raise _error(addr, data[size - 1 :].hex(), "truncated instruction (odd section size)")
    return out
