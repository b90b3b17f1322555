"""A small, fast x86-64 machine-code encoder for the single-pass JIT.

Every encoding method appends bytes straight to :attr:`Assembler.code`; there is no
intermediate representation and no text.  Registers are plain ints ``0..15`` (RAX..R15),
memory operands are :class:`Mem`, immediates are wrapped in :class:`Imm` (because a bare int
already means "register").  Operand widths are given in bits (64 or 32); as on the hardware,
32-bit writes to a register zero-extend into the upper half.

Register numbers are not range-checked (speed); anything else that cannot be encoded
(an out-of-range immediate or displacement, RSP as an index, an unsupported width, two
memory operands) raises :class:`ValueError`.

Jumps to :class:`Label` s use rel32 unless the label is already bound (a backward jump) and
the distance fits in rel8, or ``short=True`` is requested; rel32/rel8 fields of forward jumps
are patched by :meth:`Assembler.finish`.
"""

from __future__ import annotations

import struct

__all__ = [
    "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
    "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
    "O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE", "LE", "G",
    "C", "NC", "Z", "NZ", "invert",
    "Imm", "Mem", "Label", "Assembler",
]  # fmt: skip

RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 = range(16)
O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G = range(16)
C, NC, Z, NZ = B, AE, E, NE


def invert(cc: int) -> int:
    """The opposite condition (x86 condition codes come in pairs differing in bit 0)."""
    return cc ^ 1


class Mem:
    """``[base + index*scale + disp]``.

    ``base`` may be None (then the address is ``index*scale + disp32``, or the absolute
    ``disp32`` when ``index`` is None too).  ``disp`` is a signed 32-bit int.  ``index`` must not
    be RSP.  ``scale`` is ignored without an index.  With ``gs``, the registers' low halves and disp add up modulo
    2^32 and the thread's GS base is added to that (how the JIT reaches guest memory).

    A value: never changed once made. (A plain class rather than a frozen dataclass, whose __init__ sets each field
    through object.__setattr__: making one is half the cost, and a template makes one per memory access.)
    """

    __slots__ = ("base", "disp", "index", "scale", "gs")

    def __init__(self, base: int | None, disp: int = 0, index: int | None = None, scale: int = 1,
                 gs: bool = False) -> None:  # fmt: skip
        self.base = base
        self.disp = disp
        self.index = index
        self.scale = scale
        self.gs = gs  # gs:[...] with 32-bit addressing (65 67): the address modulo 2^32, plus the GS base

    def _fields(self) -> tuple:
        return (self.base, self.disp, self.index, self.scale, self.gs)

    def __eq__(self, other: object) -> bool:
        return type(other) is Mem and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"Mem(base={self.base}, disp={self.disp}, index={self.index}, scale={self.scale}, gs={self.gs})"


class Imm:
    """An immediate operand (bare ints are registers)."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is Imm and other.value == self.value

    def __hash__(self) -> int:
        return hash((Imm, self.value))

    def __repr__(self) -> str:
        return f"Imm({self.value:#x})"


class Label:
    """A code position; created by :meth:`Assembler.label`, bound once by :meth:`Assembler.bind`."""

    __slots__ = ("pos",)

    def __init__(self) -> None:
        self.pos = -1  # -1 while unbound

    @property
    def bound(self) -> bool:
        return self.pos >= 0

    def __repr__(self) -> str:
        return f"Label({self.pos if self.pos >= 0 else 'unbound'})"


_pack_i32 = struct.Struct("<i").pack
_pack_into_i32 = struct.Struct("<i").pack_into
_pack_u32 = struct.Struct("<I").pack
_pack_u64 = struct.Struct("<Q").pack
_pack_u16 = struct.Struct("<H").pack

_GS32 = b"\x65\x67"  # GS segment override, 32-bit address size (Mem.gs)
_SS = {1: 0x00, 2: 0x40, 4: 0x80, 8: 0xC0}  # SIB scale field, pre-shifted
_I32_MIN = -0x80000000
_I32_MAX = 0x7FFFFFFF

# Recommended multi-byte NOPs (Intel SDM, NOP instruction), index = length.
_NOPS = (
    b"",
    b"\x90",
    b"\x66\x90",
    b"\x0f\x1f\x00",
    b"\x0f\x1f\x40\x00",
    b"\x0f\x1f\x44\x00\x00",
    b"\x66\x0f\x1f\x44\x00\x00",
    b"\x0f\x1f\x80\x00\x00\x00\x00",
    b"\x0f\x1f\x84\x00\x00\x00\x00\x00",
    b"\x66\x0f\x1f\x84\x00\x00\x00\x00\x00",
)

# ALU group-1 opcodes: (op r/m, r), (op r, r/m); /digit for the 0x81/0x83 forms is the index.
_ALU_MR = tuple(bytes((i * 8 + 1,)) for i in range(8))
_ALU_RM = tuple(bytes((i * 8 + 3,)) for i in range(8))
_ADD, _OR, _AND, _SUB, _XOR, _CMP = 0, 1, 4, 5, 6, 7

_OP_89 = b"\x89"
_OP_8B = b"\x8b"
_OP_88 = b"\x88"
_OP_C7 = b"\xc7"
_OP_C6 = b"\xc6"
_OP_8D = b"\x8d"
_OP_63 = b"\x63"
_OP_83 = b"\x83"
_OP_81 = b"\x81"
_OP_85 = b"\x85"
_OP_F7 = b"\xf7"
_OP_C1 = b"\xc1"
_OP_D1 = b"\xd1"
_OP_D3 = b"\xd3"
_OP_FF = b"\xff"
_OP_6B = b"\x6b"
_OP_69 = b"\x69"
_OP_0FAF = b"\x0f\xaf"
_OP_0FB6 = b"\x0f\xb6"
_OP_0FB7 = b"\x0f\xb7"
_OP_0FBE = b"\x0f\xbe"
_OP_0FBF = b"\x0f\xbf"
_OP_0FB8 = b"\x0f\xb8"
_OP_0FBC = b"\x0f\xbc"
_OP_0FBD = b"\x0f\xbd"
_OP_CMOV = tuple(bytes((0x0F, 0x40 + cc)) for cc in range(16))
_OP_SETCC = tuple(bytes((0x0F, 0x90 + cc)) for cc in range(16))


def _bad_width(w: int) -> int:
    raise ValueError(f"unsupported operand width {w!r} (64 or 32)")


def _imm32(v: int, w: int) -> int:
    """Normalise an immediate to the signed 32-bit value that gets encoded (sign-extended to ``w``).

    Values may be given signed or as their unsigned ``w``-bit pattern.
    """
    if _I32_MIN <= v <= _I32_MAX:
        return v
    if w == 32:
        if 0x80000000 <= v <= 0xFFFFFFFF:
            return v - 0x100000000
    elif 0xFFFFFFFF80000000 <= v <= 0xFFFFFFFFFFFFFFFF:  # the unsigned spelling of a negative simm32
        return v - 0x10000000000000000
    raise ValueError(f"immediate {v:#x} is not encodable as a sign-extended 32-bit value (w={w})")


def _mem_tail(reg: int, m: Mem) -> tuple[int, bytes]:
    """(REX R/X/B bits, ModRM+SIB+disp bytes) for a memory operand with ModRM.reg = ``reg``."""
    base = m.base
    index = m.index
    disp = m.disp
    r = (reg & 7) << 3
    rex = (reg & 8) >> 1
    if index is None:
        if base is None:  # absolute [disp32]: SIB with no base and no index
            if not _I32_MIN <= disp <= _I32_MAX:
                raise ValueError(f"displacement {disp:#x} does not fit in 32 bits")
            return rex, bytes((r | 4, 0x25)) + _pack_i32(disp)
        rex |= base >> 3
        b = base & 7
        if b == 4:  # rsp/r12 need a SIB byte
            if disp == 0:
                return rex, bytes((r | 4, 0x24))
            if -128 <= disp <= 127:
                return rex, bytes((0x44 | r, 0x24, disp & 0xFF))
            if not _I32_MIN <= disp <= _I32_MAX:
                raise ValueError(f"displacement {disp:#x} does not fit in 32 bits")
            return rex, bytes((0x84 | r, 0x24)) + _pack_i32(disp)
        if disp == 0 and b != 5:  # rbp/r13 with mod=00 would mean rip/disp32
            return rex, bytes((r | b,))
        if -128 <= disp <= 127:
            return rex, bytes((0x40 | r | b, disp & 0xFF))
        if not _I32_MIN <= disp <= _I32_MAX:
            raise ValueError(f"displacement {disp:#x} does not fit in 32 bits")
        return rex, bytes((0x80 | r | b,)) + _pack_i32(disp)
    if index == 4:
        raise ValueError("rsp cannot be an index register")
    ss = _SS.get(m.scale)
    if ss is None:
        raise ValueError(f"scale must be 1, 2, 4 or 8, not {m.scale!r}")
    rex |= (index & 8) >> 2
    sib = ss | (index & 7) << 3
    if base is None:  # [index*scale + disp32]
        if not _I32_MIN <= disp <= _I32_MAX:
            raise ValueError(f"displacement {disp:#x} does not fit in 32 bits")
        return rex, bytes((r | 4, sib | 5)) + _pack_i32(disp)
    rex |= base >> 3
    sib |= base & 7
    if disp == 0 and (base & 7) != 5:
        return rex, bytes((r | 4, sib))
    if -128 <= disp <= 127:
        return rex, bytes((0x44 | r, sib, disp & 0xFF))
    if not _I32_MIN <= disp <= _I32_MAX:
        raise ValueError(f"displacement {disp:#x} does not fit in 32 bits")
    return rex, bytes((0x84 | r, sib)) + _pack_i32(disp)


class Assembler:
    """Appends x86-64 machine code to :attr:`code`."""

    __slots__ = ("code", "_fixups", "short_backward")

    def __init__(self, short_backward: bool = True) -> None:
        self.code = bytearray()
        # (label, position of the rel field, size of the rel field: 1 or 4); the rel field is
        # always the last thing in its instruction, so it is relative to position + size.
        self._fixups: list[tuple[Label, int, int]] = []
        #: use rel8 for jumps to already-bound labels when the distance fits
        self.short_backward = short_backward

    # ---------------------------------------------------------------- labels & output

    def label(self) -> Label:
        return Label()

    def bind(self, label: Label) -> None:
        if label.pos >= 0:
            raise ValueError(f"{label!r} is already bound")
        label.pos = len(self.code)

    def offset(self) -> int:
        return len(self.code)

    def finish(self) -> bytes:
        code = self.code
        for label, pos, size in self._fixups:
            target = label.pos
            if target < 0:
                raise ValueError(f"unbound label referenced at offset {pos:#x}")
            rel = target - (pos + size)
            if size == 4:
                _pack_into_i32(code, pos, rel)
            else:
                if not -128 <= rel <= 127:
                    raise ValueError(f"short jump at offset {pos - 1:#x} out of rel8 range ({rel})")
                code[pos] = rel & 0xFF
        self._fixups.clear()
        return bytes(code)

    # ---------------------------------------------------------------- core encoders

    def _op(self, rex: int, opc: bytes, reg: int, rm: int | Mem) -> None:
        """[REX] opcode ModRM [SIB] [disp]; ``rex`` holds W (8) and/or the force bit (0x40)."""
        code = self.code
        if type(rm) is int:
            rex |= (reg & 8) >> 1 | rm >> 3
            if rex:
                code.append(0x40 | rex)
            code += opc
            code.append(0xC0 | (reg & 7) << 3 | rm & 7)
            return
        if type(rm) is not Mem:
            raise TypeError(f"expected a register or Mem, not {rm!r}")
        if rm.gs:
            code += _GS32
        base = rm.base
        disp = rm.disp
        if rm.index is None and base is not None and -128 <= disp <= 127:
            # fast path for the common [base + disp8] (direct appends, no temporaries)
            rex |= (reg & 8) >> 1 | base >> 3
            if rex:
                code.append(0x40 | rex)
            code += opc
            b = base & 7
            if disp == 0 and b != 5:  # rbp/r13 with mod=00 would mean rip/disp32
                code.append((reg & 7) << 3 | b)
                if b == 4:  # rsp/r12 need a SIB byte
                    code.append(0x24)
            else:
                code.append(0x40 | (reg & 7) << 3 | b)
                if b == 4:
                    code.append(0x24)
                code.append(disp & 0xFF)
            return
        rx, tail = _mem_tail(reg, rm)
        rex |= rx
        if rex:
            code.append(0x40 | rex)
        code += opc
        code += tail

    def _op_pfx(self, pfx: int, rex: int, opc: bytes, reg: int, rm: int | Mem) -> None:
        """Like :meth:`_op` with a legacy prefix byte (66/F2/F3) before the REX prefix."""
        if type(rm) is int:
            rex |= (reg & 8) >> 1 | rm >> 3
            tail = bytes((0xC0 | (reg & 7) << 3 | rm & 7,))
        elif type(rm) is Mem:
            rx, tail = _mem_tail(reg, rm)
            rex |= rx
            if rm.gs:
                self.code += _GS32
        else:
            raise TypeError(f"expected a register or Mem, not {rm!r}")
        code = self.code
        code.append(pfx)
        if rex:
            code.append(0x40 | rex)
        code += opc
        code += tail

    def _vex_0f38(self, pp: int, w: int, opc: int, reg: int, vvvv: int, rm: int | Mem, mmmmm: int = 2) -> None:
        """Three-byte VEX (C4), map 0F38 (or 0F3A: mmmmm 3), L=0."""
        code = self.code
        if type(rm) is int:
            rx = (reg & 8) >> 1 | rm >> 3
            tail = bytes((0xC0 | (reg & 7) << 3 | rm & 7,))
        elif type(rm) is Mem:
            rx, tail = _mem_tail(reg, rm)
            if rm.gs:
                code += _GS32
        else:
            raise TypeError(f"expected a register or Mem, not {rm!r}")
        # byte 1: ~R ~X ~B m-mmmm(00010); byte 2: W ~vvvv L pp
        code += bytes((0xC4, ((~rx & 7) << 5) | mmmmm, (0x80 if w == 64 else 0) | ((~vvvv & 15) << 3) | pp, opc))
        code += tail

    def _alu(self, ext: int, dst: int | Mem, src: int | Mem | Imm, w: int) -> None:
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        ts = type(src)
        if ts is int:
            self._op(rex, _ALU_MR[ext], src, dst)
        elif ts is Imm:
            v = src.value
            if not -128 <= v <= 127:
                v = _imm32(v, w)
            if -128 <= v <= 127:
                self._op(rex, _OP_83, ext, dst)
                self.code.append(v & 0xFF)
            elif type(dst) is int and dst == 0:  # short form: op eax/rax, imm32
                code = self.code
                if rex:
                    code.append(0x48)
                code.append(ext << 3 | 5)
                code += _pack_i32(v)
            else:
                self._op(rex, _OP_81, ext, dst)
                self.code += _pack_i32(v)
        elif ts is Mem:
            if type(dst) is not int:
                raise ValueError("x86 has no memory-to-memory ALU form")
            self._op(rex, _ALU_RM[ext], dst, src)
        else:
            raise TypeError(f"bad source operand {src!r}")

    # ---------------------------------------------------------------- moves

    def mov(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        ts = type(src)
        if ts is int:
            self._op(rex, _OP_89, src, dst)
        elif ts is Mem:
            if type(dst) is not int:
                raise ValueError("x86 has no memory-to-memory mov")
            self._op(rex, _OP_8B, dst, src)
        elif ts is Imm:
            v = src.value
            if type(dst) is int:
                code = self.code
                if w == 64:
                    if v > 0x7FFFFFFFFFFFFFFF:  # unsigned spelling of a negative value
                        if v > 0xFFFFFFFFFFFFFFFF:
                            raise ValueError(f"immediate {v:#x} does not fit in 64 bits")
                        v -= 0x10000000000000000
                    if 0 <= v <= 0xFFFFFFFF:  # mov r32, imm32 zero-extends
                        if dst >= 8:
                            code.append(0x41)
                        code.append(0xB8 | dst & 7)
                        code += _pack_u32(v)
                    elif _I32_MIN <= v < 0:  # mov r/m64, simm32
                        self._op(8, _OP_C7, 0, dst)
                        code += _pack_i32(v)
                    elif -0x8000000000000000 <= v:  # movabs r64, imm64
                        code.append(0x48 | dst >> 3)
                        code.append(0xB8 | dst & 7)
                        code += _pack_u64(v & 0xFFFFFFFFFFFFFFFF)
                    else:
                        raise ValueError(f"immediate {v:#x} does not fit in 64 bits")
                else:
                    if not _I32_MIN <= v <= 0xFFFFFFFF:
                        raise ValueError(f"immediate {v:#x} does not fit in 32 bits")
                    if dst >= 8:
                        code.append(0x41)
                    code.append(0xB8 | dst & 7)
                    code += _pack_u32(v & 0xFFFFFFFF)
            else:
                v = _imm32(v, w)
                self._op(rex, _OP_C7, 0, dst)
                self.code += _pack_i32(v)
        else:
            raise TypeError(f"bad source operand {src!r}")

    def store(self, dst: Mem, src: int | Imm, size: int) -> None:
        """``mov byte/word/dword/qword [dst], src`` (low part of a register, or an immediate)."""
        if type(dst) is not Mem:
            raise TypeError(f"store destination must be Mem, not {dst!r}")
        code = self.code
        if type(src) is int:
            if size == 8:
                self._op(8, _OP_89, src, dst)
            elif size == 4:
                self._op(0, _OP_89, src, dst)
            elif size == 2:
                self._op_pfx(0x66, 0, _OP_89, src, dst)
            elif size == 1:
                # spl/bpl/sil/dil need a (possibly empty) REX prefix, else they mean ah/ch/dh/bh
                self._op(0x40 if 4 <= src <= 7 else 0, _OP_88, src, dst)
            else:
                raise ValueError(f"store size must be 1, 2, 4 or 8, not {size!r}")
        elif type(src) is Imm:
            v = src.value
            if size == 8:
                v = _imm32(v, 64)
                self._op(8, _OP_C7, 0, dst)
                code += _pack_i32(v)
            elif size == 4:
                v = _imm32(v, 32)
                self._op(0, _OP_C7, 0, dst)
                code += _pack_i32(v)
            elif size == 2:
                if not -0x8000 <= v <= 0xFFFF:
                    raise ValueError(f"immediate {v:#x} does not fit in 16 bits")
                self._op_pfx(0x66, 0, _OP_C7, 0, dst)
                code += _pack_u16(v & 0xFFFF)
            elif size == 1:
                if not -0x80 <= v <= 0xFF:
                    raise ValueError(f"immediate {v:#x} does not fit in 8 bits")
                self._op(0, _OP_C6, 0, dst)
                code.append(v & 0xFF)
            else:
                raise ValueError(f"store size must be 1, 2, 4 or 8, not {size!r}")
        else:
            raise TypeError(f"bad store source {src!r}")

    def load(self, dst: int, src: Mem | int, size: int, signed: bool) -> None:
        """Load ``size`` bytes (of memory or the low part of a register) into a 64-bit register, zero- or
        sign-extending."""
        if type(src) is int:
            if size == 1 and not signed and 4 <= src <= 7:  # spl/bpl/sil/dil need a REX prefix
                self._op(0x40, _OP_0FB6, dst, src)
                return
        elif type(src) is not Mem:
            raise TypeError(f"load source must be Mem or a register, not {src!r}")
        if size == 8:
            self._op(8, _OP_8B, dst, src)
        elif size == 4:
            if signed:
                self._op(8, _OP_63, dst, src)  # movsxd r64, m32
            else:
                self._op(0, _OP_8B, dst, src)  # mov r32, m32 (zero-extends)
        elif size == 2:
            if signed:
                self._op(8, _OP_0FBF, dst, src)  # movsx r64, m16
            else:
                self._op(0, _OP_0FB7, dst, src)  # movzx r32, m16
        elif size == 1:
            if signed:
                self._op(8, _OP_0FBE, dst, src)  # movsx r64, m8
            else:
                self._op(0, _OP_0FB6, dst, src)  # movzx r32, m8
        else:
            raise ValueError(f"load size must be 1, 2, 4 or 8, not {size!r}")

    def lea(self, dst: int, src: Mem, w: int = 64) -> None:
        if type(src) is not Mem:
            raise TypeError(f"lea source must be Mem, not {src!r}")
        if src.gs:
            raise ValueError("lea computes an offset and ignores segments: a gs operand would lose its base")
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_8D, dst, src)

    def lea_label(self, dst: int, label: Label) -> None:
        """``lea dst, [rip + label]`` (rel32, patched by :meth:`finish`)."""
        code = self.code
        code.append(0x48 | (dst & 8) >> 1)
        code.append(0x8D)
        code.append(0x05 | (dst & 7) << 3)
        self._fixups.append((label, len(code), 4))
        code += b"\0\0\0\0"

    def movsxd(self, dst: int, src: int | Mem) -> None:
        self._op(8, _OP_63, dst, src)

    def movzx8(self, dst: int, src8: int) -> None:
        """``movzx r32, r8`` (spl/bpl/sil/dil get a REX prefix)."""
        self._op(0x40 if 4 <= src8 <= 7 else 0, _OP_0FB6, dst, src8)

    def cmov(self, cc: int, dst: int, src: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_CMOV[cc], dst, src)

    def setcc(self, cc: int, dst: int) -> None:
        self._op(0x40 if 4 <= dst <= 7 else 0, _OP_SETCC[cc], 0, dst)

    def cqo(self) -> None:
        self.code += b"\x48\x99"

    def cdq(self) -> None:
        self.code.append(0x99)

    def bswap(self, reg: int, w: int = 64) -> None:
        rex = (8 if w == 64 else 0 if w == 32 else _bad_width(w)) | reg >> 3
        code = self.code
        if rex:
            code.append(0x40 | rex)
        code.append(0x0F)
        code.append(0xC8 | reg & 7)

    # ---------------------------------------------------------------- ALU

    def add(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        self._alu(_ADD, dst, src, w)

    def or_(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        self._alu(_OR, dst, src, w)

    def and_(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        self._alu(_AND, dst, src, w)

    def sub(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        self._alu(_SUB, dst, src, w)

    def xor(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        self._alu(_XOR, dst, src, w)

    def cmp(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        self._alu(_CMP, dst, src, w)

    def test(self, dst: int | Mem, src: int | Mem | Imm, w: int = 64) -> None:
        """``test`` (commutative: a Mem operand is always encoded as the r/m operand)."""
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        ts = type(src)
        if ts is int:
            self._op(rex, _OP_85, src, dst)
        elif ts is Mem:
            if type(dst) is not int:
                raise ValueError("x86 has no memory-to-memory test")
            self._op(rex, _OP_85, dst, src)
        elif ts is Imm:
            v = _imm32(src.value, w)
            if type(dst) is int and dst == 0:
                code = self.code
                if rex:
                    code.append(0x48)
                code.append(0xA9)
                code += _pack_i32(v)
            else:
                self._op(rex, _OP_F7, 0, dst)
                self.code += _pack_i32(v)
        else:
            raise TypeError(f"bad source operand {src!r}")

    def imul(self, dst: int, src: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_0FAF, dst, src)

    def imul_imm(self, dst: int, src: int | Mem, imm: int | Imm, w: int = 64) -> None:
        if type(imm) is Imm:
            imm = imm.value
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        v = _imm32(imm, w)
        if -128 <= v <= 127:
            self._op(rex, _OP_6B, dst, src)
            self.code.append(v & 0xFF)
        else:
            self._op(rex, _OP_69, dst, src)
            self.code += _pack_i32(v)

    def mul(self, src: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_F7, 4, src)

    def imul1(self, src: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_F7, 5, src)

    def div(self, src: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_F7, 6, src)

    def idiv(self, src: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_F7, 7, src)

    def neg(self, dst: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_F7, 3, dst)

    def not_(self, dst: int | Mem, w: int = 64) -> None:
        self._op(8 if w == 64 else 0 if w == 32 else _bad_width(w), _OP_F7, 2, dst)

    def _shift(self, ext: int, dst: int | Mem, count: int | None, w: int) -> None:
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        if count is None:
            self._op(rex, _OP_D3, ext, dst)
        elif count == 1:
            self._op(rex, _OP_D1, ext, dst)
        elif 0 <= count <= 255:
            self._op(rex, _OP_C1, ext, dst)
            self.code.append(count)
        else:
            raise ValueError(f"shift count {count!r} is not an imm8")

    def rol(self, dst: int | Mem, count: int | None, w: int = 64) -> None:
        self._shift(0, dst, count, w)

    def ror(self, dst: int | Mem, count: int | None, w: int = 64) -> None:
        self._shift(1, dst, count, w)

    def shl(self, dst: int | Mem, count: int | None, w: int = 64) -> None:
        self._shift(4, dst, count, w)

    def shr(self, dst: int | Mem, count: int | None, w: int = 64) -> None:
        self._shift(5, dst, count, w)

    def sar(self, dst: int | Mem, count: int | None, w: int = 64) -> None:
        self._shift(7, dst, count, w)

    def andn(self, dst: int, inverted: int, src: int | Mem, w: int = 64) -> None:
        """``andn dst, inverted, src``: dst = ~inverted & src (BMI1)."""
        if w != 64 and w != 32:
            _bad_width(w)
        self._vex_0f38(0, w, 0xF2, dst, inverted, src)

    def shlx(self, dst: int, src: int | Mem, count: int, w: int = 64) -> None:
        if w != 64 and w != 32:
            _bad_width(w)
        self._vex_0f38(1, w, 0xF7, dst, count, src)

    def sarx(self, dst: int, src: int | Mem, count: int, w: int = 64) -> None:
        if w != 64 and w != 32:
            _bad_width(w)
        self._vex_0f38(2, w, 0xF7, dst, count, src)

    def shrx(self, dst: int, src: int | Mem, count: int, w: int = 64) -> None:
        if w != 64 and w != 32:
            _bad_width(w)
        self._vex_0f38(3, w, 0xF7, dst, count, src)

    def rorx(self, dst: int, src: int | Mem, count: int, w: int = 64) -> None:
        """``rorx dst, src, imm8`` (BMI2): a rotate right into any register, flags untouched."""
        if w != 64 and w != 32:
            _bad_width(w)
        self._vex_0f38(3, w, 0xF0, dst, 0, src, mmmmm=3)
        self.code.append(count & (63 if w == 64 else 31))

    def popcnt(self, dst: int, src: int | Mem, w: int = 64) -> None:
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        self._op_pfx(0xF3, rex, _OP_0FB8, dst, src)

    def tzcnt(self, dst: int, src: int | Mem, w: int = 64) -> None:
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        self._op_pfx(0xF3, rex, _OP_0FBC, dst, src)

    def lzcnt(self, dst: int, src: int | Mem, w: int = 64) -> None:
        rex = 8 if w == 64 else 0 if w == 32 else _bad_width(w)
        self._op_pfx(0xF3, rex, _OP_0FBD, dst, src)

    # ---------------------------------------------------------------- control flow

    def jmp(self, target: Label | int | Mem, short: bool = False) -> None:
        """``jmp label`` (rel8 when bound and in range, or when ``short``), ``jmp r64``, ``jmp [mem]``."""
        if type(target) is Label:
            code = self.code
            pos = target.pos
            if pos >= 0 and (short or self.short_backward):
                rel = pos - (len(code) + 2)
                if rel >= -128:
                    code.append(0xEB)
                    code.append(rel & 0xFF)
                    return
                if short:
                    raise ValueError(f"short jump out of rel8 range ({rel})")
            if short:
                code.append(0xEB)
                self._fixups.append((target, len(code), 1))
                code.append(0)
            else:
                code.append(0xE9)
                self._fixups.append((target, len(code), 4))
                code += b"\0\0\0\0"
        else:
            self._op(0, _OP_FF, 4, target)

    def jcc(self, cc: int, target: Label, short: bool = False) -> None:
        """``jcc label`` (rel8 when bound and in range, or when ``short``; else rel32)."""
        code = self.code
        pos = target.pos
        if pos >= 0 and (short or self.short_backward):
            rel = pos - (len(code) + 2)
            if rel >= -128:
                code.append(0x70 | cc)
                code.append(rel & 0xFF)
                return
            if short:
                raise ValueError(f"short jump out of rel8 range ({rel})")
        if short:
            code.append(0x70 | cc)
            self._fixups.append((target, len(code), 1))
            code.append(0)
        else:
            code.append(0x0F)
            code.append(0x80 | cc)
            self._fixups.append((target, len(code), 4))
            code += b"\0\0\0\0"

    def call(self, target: int | Mem | Label) -> None:
        """``call r64`` / ``call qword [mem]`` / ``call rel32`` to a label."""
        if type(target) is Label:
            code = self.code
            code.append(0xE8)
            self._fixups.append((target, len(code), 4))
            code += b"\0\0\0\0"
        else:
            self._op(0, _OP_FF, 2, target)

    def ret(self) -> None:
        self.code.append(0xC3)

    # SSE on xmm registers (numbered 0-15, as the general ones): what space.clearer's scan needs. Memory operands of
    # movdqa, por and pxor must be 16-byte aligned (an unaligned one faults).
    def movdqa(self, dst: int | Mem, src: int | Mem) -> None:
        """16 bytes: xmm <- xmm/m128 (66 0F 6F), or m128 <- xmm (66 0F 7F)."""
        if type(dst) is Mem:
            self._op_pfx(0x66, 0, b"\x0f\x7f", src, dst)  # type: ignore[arg-type]
        else:
            self._op_pfx(0x66, 0, b"\x0f\x6f", dst, src)

    def por(self, dst: int, src: int | Mem) -> None:
        self._op_pfx(0x66, 0, b"\x0f\xeb", dst, src)

    def pxor(self, dst: int, src: int | Mem) -> None:
        self._op_pfx(0x66, 0, b"\x0f\xef", dst, src)

    def ptest(self, a: int, b: int | Mem) -> None:
        """ZF = (a AND b) is all zeros (SSE4.1: 66 0F 38 17)."""
        self._op_pfx(0x66, 0, b"\x0f\x38\x17", a, b)

    def rep_movsb(self) -> None:
        """Copy rcx bytes from [rsi] to [rdi] (forwards: the direction flag is clear, as the ABI has it)."""
        self.code += b"\xf3\xa4"

    def rep_stosb(self) -> None:
        """Store al at rcx bytes from [rdi] (forwards)."""
        self.code += b"\xf3\xaa"

    def push(self, reg: int) -> None:
        if reg >= 8:
            self.code.append(0x41)
        self.code.append(0x50 | reg & 7)

    def pop(self, reg: int) -> None:
        if reg >= 8:
            self.code.append(0x41)
        self.code.append(0x58 | reg & 7)

    def rdgsbase(self, reg: int) -> None:
        """``rdgsbase r64`` (needs the kernel to allow it: HWCAP2_FSGSBASE)."""
        self.code += bytes((0xF3, 0x48 | reg >> 3, 0x0F, 0xAE, 0xC8 | reg & 7))

    def wrgsbase(self, reg: int) -> None:
        """``wrgsbase r64``."""
        self.code += bytes((0xF3, 0x48 | reg >> 3, 0x0F, 0xAE, 0xD8 | reg & 7))

    def syscall(self) -> None:
        self.code += b"\x0f\x05"

    def ud2(self) -> None:
        self.code += b"\x0f\x0b"

    def int3(self) -> None:
        self.code.append(0xCC)

    def nop(self, n: int = 1) -> None:
        """``n`` bytes of NOPs, using multi-byte NOPs (at most 9 bytes each)."""
        code = self.code
        while n > 9:
            code += _NOPS[9]
            n -= 9
        code += _NOPS[n]

    def align(self, n: int) -> None:
        """Pad with NOPs up to a multiple of ``n`` (a power of two)."""
        if n <= 0 or n & (n - 1):
            raise ValueError(f"alignment must be a power of two, not {n!r}")
        self.nop(-len(self.code) & (n - 1))
