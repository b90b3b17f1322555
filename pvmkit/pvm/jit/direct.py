"""The commonest instructions' x86-64 code computed straight from their operands, when every guest register they name
lives in a host register: the same bytes as their emitter (emitters.py) gives through the assembler, without building
a template. A resolc contract's first compile built ~580 templates at ~8 us each, most of them for these families;
an encoder here costs about a microsecond. Anything else (a register in the context, a family not here, dynamic
paging) returns None and takes the template path. tests/test_jit_direct.py holds each family to its emitter's bytes
for every host register combination.

An encoder takes `where` (JitCompiler.where: each guest register's host register, or 16 + its number when it lives
in the context) and the instruction's operands.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from ..isa import KIND
from .emitters import ACCESSES

Direct = Callable[[tuple[int, ...], tuple[int, ...]], "bytes | None"]

_U32 = struct.Struct("<I").pack
_U64 = struct.Struct("<Q").pack
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_GS32 = b"\x65\x67"  # gs segment, 32-bit addressing: a guest memory access (compiler.JitCompiler.memory)
# A REX prefix with W/R/B bits r (and 0x40, which alone only selects spl..dil for byte registers), or none.
_REX = (b"", *(bytes((0x40 | r,)) for r in range(1, 16)))
_REXW = tuple(bytes((0x48 | r,)) for r in range(8))  # REX.W with R (4) and B (1)


def _mem(reg: int, base: int) -> bytes:
    """ModRM (and SIB for r12) of [base + disp32] with ModRM.reg = reg: memory templates are built with a disp32."""
    if base & 7 == 4:
        return bytes((0x84 | (reg & 7) << 3, 0x24))
    return bytes((0x80 | (reg & 7) << 3 | base & 7,))


def _rr(reg: int, rm: int) -> bytes:
    """ModRM of a register-register operation."""
    return bytes((0xC0 | (reg & 7) << 3 | rm & 7,))


def _op64(opcode: bytes, reg: int, rm: int) -> bytes:
    """A 64-bit register-register operation (REX.W, opcode, ModRM)."""
    return _REXW[(reg & 8) >> 1 | rm >> 3] + opcode + bytes((0xC0 | (reg & 7) << 3 | rm & 7,))


# Loads: (REX.W or 0, opcode) per family, as x86.Assembler.load encodes them.
_LOADS = {"u64": (8, b"\x8b"), "u32": (0, b"\x8b"), "i32": (8, b"\x63"), "u16": (0, b"\x0f\xb7"),
          "i16": (8, b"\x0f\xbf"), "u8": (0, b"\x0f\xb6"), "i8": (8, b"\x0f\xbe")}  # fmt: skip


def _load(w: int, opcode: bytes) -> Direct:
    def load(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        d, b = where[args[0]], where[args[1]]
        if d > 15 or b > 15:
            return None
        return _GS32 + _REX[w | (d & 8) >> 1 | b >> 3] + opcode + _mem(d, b) + _U32(args[2] & _M32)

    return load


def _absolute(reg: int, address: int) -> tuple[bytes, int, bytes]:
    """(segment prefix, REX.B, ModRM onwards) of an absolute guest address as JitCompiler.memory addresses it:
    [r13 + address] below 2^31 (disp8 when it fits), else gs:[disp32]."""
    r = (reg & 7) << 3
    address &= _M32
    if address < 128:
        return b"", 1, bytes((0x45 | r, address))
    if address < 1 << 31:
        return b"", 1, bytes((0x85 | r,)) + _U32(address)
    return _GS32, 0, bytes((0x04 | r, 0x25)) + _U32(address)


def _load_absolute(w: int, opcode: bytes) -> Direct:
    def load(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        d = where[args[0]]
        if d > 15:
            return None
        segment, b, tail = _absolute(d, args[1])
        return segment + _REX[w | (d & 8) >> 1 | b] + opcode + tail

    return load


def _store_absolute(size: int) -> Direct:
    w = 8 if size == 8 else 0
    pfx = b"\x66" if size == 2 else b""
    opcode = b"\x88" if size == 1 else b"\x89"

    def store(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        s = where[args[0]]
        if s > 15:
            return None
        segment, b, tail = _absolute(s, args[1])
        rex = w | (s & 8) >> 1 | b
        prefix = b"\x40" if size == 1 and not rex and 4 <= s <= 7 else _REX[rex]
        return segment + pfx + prefix + opcode + tail

    return store


def _store(size: int) -> Direct:
    w = 8 if size == 8 else 0
    pfx = b"\x66" if size == 2 else b""
    opcode = b"\x88" if size == 1 else b"\x89"

    def store(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        s, b = where[args[0]], where[args[1]]
        if s > 15 or b > 15:
            return None
        rex = w | (s & 8) >> 1 | b >> 3
        # (spl..dil need a REX prefix, if an empty one)
        prefix = b"\x40" if size == 1 and not rex and 4 <= s <= 7 else _REX[rex]
        return _GS32 + pfx + prefix + opcode + _mem(s, b) + _U32(args[2] & _M32)

    return store


def _immediate(size: int) -> Callable[[int], bytes]:
    """A store's immediate, as many bytes as it stores (an 8-byte store's 4, sign-extended by the CPU)."""
    if size == 1:
        return lambda v: bytes((v & 0xFF,))
    if size == 2:
        return lambda v: (v & 0xFFFF).to_bytes(2, "little")
    return lambda v: _U32(v & _M32)


def _store_imm(size: int) -> Direct:
    w = 8 if size == 8 else 0
    pfx = b"\x66" if size == 2 else b""
    opcode = b"\xc6" if size == 1 else b"\xc7"
    pack = _immediate(size)

    def store_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        b = where[args[0]]
        if b > 15:
            return None
        return _GS32 + pfx + _REX[w | b >> 3] + opcode + _mem(0, b) + _U32(args[1] & _M32) + pack(args[2])

    return store_imm


def _store_imm_absolute(size: int) -> Direct:
    w = 8 if size == 8 else 0
    pfx = b"\x66" if size == 2 else b""
    opcode = b"\xc6" if size == 1 else b"\xc7"
    pack = _immediate(size)

    def store_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        segment, b, tail = _absolute(0, args[0])
        return segment + pfx + _REX[w | b] + opcode + tail + pack(args[1])

    return store_imm


# Group-1 ALU operations: the "op r/m64, r64" opcode and the /digit of "op r/m64, imm32".
_ALU = {"add": (b"\x01", 0), "or": (b"\x09", 1), "and": (b"\x21", 4), "sub": (b"\x29", 5), "xor": (b"\x31", 6)}
_MOV = b"\x89"


def _alu3_64(op: str) -> Direct:
    opcode = _ALU[op][0]
    commutative = op != "sub"

    def alu3(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        d, x, y = args
        dst, left, right = where[d], where[x], where[y]
        if dst > 15 or left > 15 or right > 15:
            return None
        if d == y and commutative:
            left, right, x = right, left, y
        if d == x:
            return _op64(opcode, right, dst)
        if d != y:
            return _op64(_MOV, left, dst) + _op64(opcode, right, dst)
        return _op64(_MOV, left, 0) + _op64(opcode, right, 0) + _op64(_MOV, 0, dst)  # (through rax)

    return alu3


def _alu3_32(op: str) -> Direct:
    opcode = _ALU[op][0]

    def alu3(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        dst, left, right = where[args[0]], where[args[1]], where[args[2]]
        if dst > 15 or left > 15 or right > 15:
            return None
        # mov eax, x; op eax, y; movsxd d, eax
        return (_REX[(left & 8) >> 1] + _MOV + _rr(left, 0) + _REX[(right & 8) >> 1] + opcode + _rr(right, 0)
                + _REXW[(dst & 8) >> 1] + b"\x63" + _rr(dst, 0))  # fmt: skip

    return alu3


def _add_imm_64(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
    dst, src = where[args[0]], where[args[1]]
    if dst > 15 or src > 15:
        return None
    return _REXW[(dst & 8) >> 1 | src >> 3] + b"\x8d" + _mem(dst, src) + _U32(args[2] & _M32)  # lea d, [s + imm32]


def _add_imm_32(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
    dst, src = where[args[0]], where[args[1]]
    if dst > 15 or src > 15:
        return None
    lea = _REX[src >> 3] + b"\x8d" + _mem(0, src) + _U32(args[2] & _M32)  # lea eax, [s + imm32]
    return lea + _REXW[(dst & 8) >> 1] + b"\x63" + _rr(dst, 0)  # movsxd d, eax


def _alu_imm(op: str) -> Direct:
    digit = _ALU[op][1]

    def alu_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        d, s, imm = args
        dst, src = where[d], where[s]
        if dst > 15 or src > 15:
            return None
        code = _REXW[dst >> 3] + b"\x81" + _rr(digit, dst) + _U32(imm & _M32)  # op d, imm32
        return code if d == s else _op64(_MOV, src, dst) + code

    return alu_imm


_SHIFTS = {"shift_logical_left": 4, "shift_logical_right": 5, "shift_arithmetic_right": 7, "rotate_left": 0,
           "rotate_right": 1}  # fmt: skip


def _shift_imm_64(digit: int) -> Direct:
    def shift(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        d, s, value = args
        dst, src = where[d], where[s]
        if dst > 15 or src > 15:
            return None
        count = value & 63
        code = _op64(_MOV, src, dst) if d != s else b""
        if count == 1:
            return code + _REXW[dst >> 3] + b"\xd1" + _rr(digit, dst)
        if count:
            return code + _REXW[dst >> 3] + b"\xc1" + _rr(digit, dst) + bytes((count,))
        return code

    return shift


def _move_reg(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
    d, s = args
    dst, src = where[d], where[s]
    if dst > 15 or src > 15:
        return None
    return _op64(_MOV, src, dst) if d != s else b""


def _load_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
    dst = where[args[0]]
    if dst > 15:
        return None
    value = args[1] & _M32
    if value < 1 << 31:  # mov r32, imm32 (zero-extends)
        return _REX[dst >> 3] + bytes((0xB8 | dst & 7,)) + _U32(value)
    return _REXW[dst >> 3] + b"\xc7" + _rr(0, dst) + _U32(value)  # mov r/m64, simm32


def _mov_imm64(reg: int, value: int) -> bytes:
    """`mov reg, imm` as x86.Assembler.mov picks its encoding for a 64-bit value."""
    value &= _M64
    if value <= _M32:
        return _REX[reg >> 3] + bytes((0xB8 | reg & 7,)) + _U32(value)
    if value >= 0xFFFFFFFF80000000:
        return _REXW[reg >> 3] + b"\xc7" + _rr(0, reg) + _U32(value & _M32)
    return _REXW[reg >> 3] + bytes((0xB8 | reg & 7,)) + _U64(value)


def _load_imm64(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
    dst = where[args[0]]
    if dst > 15:
        return None
    return _mov_imm64(dst, args[1])


# Comparisons: setcc's condition code, and whether the second operand is an immediate.
_SETS = {"set_less_than_unsigned": (2, False), "set_less_than_signed": (12, False),
         "set_less_than_unsigned_imm": (2, True), "set_less_than_signed_imm": (12, True),
         "set_greater_than_unsigned_imm": (7, True), "set_greater_than_signed_imm": (15, True)}  # fmt: skip


def _set(cc: int, imm: bool) -> Direct:
    tail = bytes((0x0F, 0x90 | cc, 0xC0))  # setcc al

    def set_cmp(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        d, x, y = args
        dst, left = where[d], where[x]
        if dst > 15 or left > 15:
            return None
        if imm:
            code = _REXW[left >> 3] + b"\x81" + _rr(7, left) + _U32(y & _M32)  # cmp x, imm32
        else:
            right = where[y]
            if right > 15:
                return None
            code = _op64(b"\x39", right, left)  # cmp x, y
        return code + tail + _REX[(dst & 8) >> 1] + b"\x0f\xb6" + _rr(dst, 0)  # movzx d, al

    return set_cmp


def _cmov(cc: int, imm: bool) -> Direct:
    opcode = bytes((0x0F, 0x40 | cc))

    def cmov(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
        d, s, c = args
        dst, cond = where[d], where[c] if not imm else where[s]
        if dst > 15 or cond > 15:
            return None
        if imm:  # d, cond, value: mov rcx, value first
            code = _mov_imm64(1, c)
            src = 1
        else:
            src = where[s]
            if src > 15:
                return None
            code = b""
        return code + _REXW[cond >> 3] + b"\x83" + _rr(7, cond) + b"\x00" + _op64(opcode, dst, src)  # cmp c, 0; cmov

    return cmov


def _reverse_byte(where: tuple[int, ...], args: tuple[int, ...]) -> bytes | None:
    dst, src = where[args[0]], where[args[1]]
    if dst > 15 or src > 15:
        return None
    return _op64(_MOV, src, 0) + b"\x48\x0f\xc8" + _op64(_MOV, 0, dst)  # mov rax, s; bswap rax; mov d, rax


def _table() -> dict[str, Direct]:
    table: dict[str, Direct] = {}
    for suffix, (w, opcode) in _LOADS.items():
        table["load_indirect_" + suffix] = _load(w, opcode)
        table["load_" + suffix] = _load_absolute(w, opcode)
    for size, suffix in ((1, "u8"), (2, "u16"), (4, "u32"), (8, "u64")):
        table["store_indirect_" + suffix] = _store(size)
        table["store_imm_indirect_" + suffix] = _store_imm(size)
        table["store_" + suffix] = _store_absolute(size)
        table["store_imm_" + suffix] = _store_imm_absolute(size)
    for name, op in (("add_64", "add"), ("sub_64", "sub"), ("and", "and"), ("xor", "xor"), ("or", "or")):
        table[name] = _alu3_64(op)
    table["add_32"], table["sub_32"] = _alu3_32("add"), _alu3_32("sub")
    table["add_imm_64"], table["add_imm_32"] = _add_imm_64, _add_imm_32
    for op in ("and", "xor", "or"):
        table[op + "_imm"] = _alu_imm(op)
    for base, digit in _SHIFTS.items():
        table[base + "_imm_64"] = _shift_imm_64(digit)
    table["move_reg"], table["reverse_byte"] = _move_reg, _reverse_byte
    table["load_imm"], table["load_imm64"] = _load_imm, _load_imm64
    for name, (cc, imm) in _SETS.items():
        table[name] = _set(cc, imm)
    for name, cc in (("cmov_if_zero", 4), ("cmov_if_not_zero", 5)):
        table[name], table[name + "_imm"] = _cmov(cc, False), _cmov(cc, True)
    return {name: f for name, f in table.items() if name in KIND}  # (ReviveV1 has no rotate_left_imm_64)


# name → its encoder, for memory accesses too (static paging) and without them (dynamic paging: they leave native code).
DIRECT: dict[str, Direct] = _table()
DIRECT_DYNAMIC = {name: f for name, f in DIRECT.items() if name not in ACCESSES}
