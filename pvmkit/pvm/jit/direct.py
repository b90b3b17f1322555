"""The commonest instructions' x86-64 code computed straight from their operands: the same bytes as their emitter
(emitters.py) gives through the assembler and a template, without building the template. A resolc contract's first
compile built ~580 templates at ~8 us each, nearly all for these families; an encoder here costs about a microsecond.
Families not here, and memory accesses under dynamic paging (DIRECT_DYNAMIC), take the template path.
tests/test_jit_direct.py holds every encoder to its emitter's bytes for every placement of its registers.

An encoder takes `where` (JitCompiler.where: each guest register's host register, or 16 + its number when it lives
in the context) and the instruction's operands. Where an emitter works through rax (a result for a context slot),
so does its encoder, in the same order.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from ..isa import KIND
from . import runtime as rt
from .emitters import ACCESSES

Direct = Callable[[tuple[int, ...], tuple[int, ...]], bytes]

_U32 = struct.Struct("<I").pack
_U64 = struct.Struct("<Q").pack
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_GS32 = b"\x65\x67"  # gs segment, 32-bit addressing: a guest memory access (compiler.JitCompiler.memory)
# A REX prefix with W/R/B bits r (and 0x40, which alone only selects spl..dil for byte registers), or none.
_REX = (b"", *(bytes((0x40 | r,)) for r in range(1, 16)))
_REXW = tuple(bytes((0x48 | r,)) for r in range(8))  # REX.W with R (4) and B (1)
# A context slot, [r13 + disp32] (JitCompiler's _SLOTS: all of them too far from r13 for a disp8): its displacement.
_SLOT = tuple(struct.pack("<i", rt.REGS + 8 * i) for i in range(13))
assert all(not -128 <= rt.REGS + 8 * i < 128 for i in range(13))
_MOV = 0x89  # mov r/m, r (its load form, mov r, r/m, is 0x8B: _from adds 2)
RAX, RCX, RDX = 0, 1, 2


def short(value: int) -> bool:
    """Whether a 32-bit operand (an offset or immediate, as decoded) fits a sign-extended imm8/disp8, the encoding
    x86.Assembler picks then: compiler.instruction() keys such instructions' templates by the value, without a hole."""
    value &= _M32
    return value < 0x80 or value >= 0xFFFFFF80


def _mem(reg: int, base: int, disp: int) -> bytes:
    """ModRM (SIB for r12) and displacement of [base + disp], as x86.Assembler encodes it: none for 0 (but from
    rbp/r13), a disp8 when it fits, else a disp32. On AMD's Zen 4 the short forms ran fib 10% faster: shorter code."""
    r = (reg & 7) << 3
    sib = b"\x24" if base & 7 == 4 else b""
    disp &= _M32
    if disp == 0 and base & 7 != 5:
        return bytes((r | base & 7,)) + sib
    if disp < 0x80 or disp >= 0xFFFFFF80:
        return bytes((0x40 | r | base & 7,)) + sib + bytes((disp & 0xFF,))
    return bytes((0x80 | r | base & 7,)) + sib + _U32(disp)


def _rr(reg: int, rm: int) -> bytes:
    """ModRM of a register-register operation."""
    return bytes((0xC0 | (reg & 7) << 3 | rm & 7,))


def _op(w: int, opcode: bytes, reg: int, rm: int) -> bytes:
    """An operation on `rm`, a host register or a context slot (16 + its guest register), with ModRM.reg = reg and
    REX.W if w (8)."""
    if rm <= 15:
        return _REX[w | (reg & 8) >> 1 | rm >> 3] + opcode + bytes((0xC0 | (reg & 7) << 3 | rm & 7,))
    return _REX[w | (reg & 8) >> 1 | 1] + opcode + bytes((0x85 | (reg & 7) << 3,)) + _SLOT[rm - 16]


def _from(w: int, opcode: int, reg: int, src: int) -> bytes:
    """`reg op= src` for an "op r/m, r" opcode (add 01, or 09, ..., mov 89) and a source in a host register or a
    context slot (where x86 has the "op r, r/m" form, opcode + 2)."""
    if src <= 15:
        return _REX[w | (src & 8) >> 1 | reg >> 3] + bytes((opcode, 0xC0 | (src & 7) << 3 | reg & 7))
    return _REX[w | (reg & 8) >> 1 | 1] + bytes((opcode + 2, 0x85 | (reg & 7) << 3)) + _SLOT[src - 16]


def _to(dst: int, reg: int) -> bytes:
    """mov dst, reg (64 bits) for a destination in a host register or a context slot."""
    return _op(8, b"\x89", reg, dst)


# Loads: (REX.W or 0, opcode) per family, as x86.Assembler.load encodes them.
_LOADS = {"u64": (8, b"\x8b"), "u32": (0, b"\x8b"), "i32": (8, b"\x63"), "u16": (0, b"\x0f\xb7"),
          "i16": (8, b"\x0f\xbf"), "u8": (0, b"\x0f\xb6"), "i8": (8, b"\x0f\xbe")}  # fmt: skip


def _base(b: int) -> tuple[bytes, int]:
    """(code, register) that address an indirect access from base register b: a context slot through ecx."""
    return (b"", b) if b <= 15 else (_op(0, b"\x8b", RCX, b), RCX)


def _load(w: int, opcode: bytes) -> Direct:
    def load(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        d, b = where[args[0]], where[args[1]]
        if d <= 15 and b <= 15:
            return _GS32 + _REX[w | (d & 8) >> 1 | b >> 3] + opcode + _mem(d, b, args[2])
        code, b = _base(b)
        t = d if d <= 15 else RAX  # a result for a context slot through rax
        code += _GS32 + _REX[w | (t & 8) >> 1 | b >> 3] + opcode + _mem(t, b, args[2])
        return code if d <= 15 else code + _to(d, RAX)

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
    def load(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        d = where[args[0]]
        t = d if d <= 15 else RAX
        segment, b, tail = _absolute(t, args[1])
        code = segment + _REX[w | (t & 8) >> 1 | b] + opcode + tail
        return code if d <= 15 else code + _to(d, RAX)

    return load


def _store_shape(size: int, immediate: bool) -> tuple[int, bytes, bytes]:
    """(REX.W or 0, operand-size prefix, opcode) of a `size`-byte store of a register or an immediate."""
    return 8 if size == 8 else 0, b"\x66" if size == 2 else b"", bytes(((0xC6 if immediate else 0x88) + (size > 1),))


def _rex_of_store(rex: int, size: int, source: int) -> bytes:
    """The REX prefix of a store from `source`; a byte store from spl..dil needs one even when empty."""
    return b"\x40" if size == 1 and not rex and 4 <= source <= 7 else _REX[rex]


def _store_absolute(size: int) -> Direct:
    w, pfx, opcode = _store_shape(size, False)

    def store(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        s = where[args[0]]
        code = b""
        if s > 15:  # the value through rax
            code, s = _op(8, b"\x8b", RAX, s), RAX
        segment, b, tail = _absolute(s, args[1])
        return code + segment + pfx + _rex_of_store(w | (s & 8) >> 1 | b, size, s) + opcode + tail

    return store


def near(base: int, offset: int) -> bool:
    """compiler.near_store: whether a store at `offset` from guest register `base` goes through [r13 + rcx + offset]."""
    offset &= _M32
    return base != 1 and (offset <= rt.NEAR or offset >= (1 << 32) - rt.NEAR)


def near_base(b: int) -> bytes:
    """mov ecx, base32: a near store's base, zero-extended (JitCompiler.memory)."""
    return _op(0, b"\x89", b, RCX) if b <= 15 else _op(0, b"\x8b", RCX, b)


def _near_mem(reg: int, disp: int) -> bytes:
    """ModRM, SIB and displacement of [r13 + rcx*1 + disp] (a disp8 when it fits; r13 always takes one)."""
    if short(disp):
        return bytes((0x44 | (reg & 7) << 3, 0x0D, disp & 0xFF))
    return bytes((0x84 | (reg & 7) << 3, 0x0D)) + _U32(disp & _M32)


def _store(size: int) -> Direct:
    w, pfx, opcode = _store_shape(size, False)

    def store(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        if near(args[1], args[2]):  # [r13 + rcx + disp32]: the base through ecx, then the value through rax
            code = near_base(where[args[1]])
            s = where[args[0]]
            if s > 15:
                code, s = code + _op(8, b"\x8b", RAX, s), RAX
            prefix = _rex_of_store(w | (s & 8) >> 1 | 1, size, s)
            return code + pfx + prefix + opcode + _near_mem(s, args[2])
        code, b = _base(where[args[1]])  # the base through ecx, then the value through rax
        s = where[args[0]]
        if s > 15:
            code, s = code + _op(8, b"\x8b", RAX, s), RAX
        prefix = _rex_of_store(w | (s & 8) >> 1 | b >> 3, size, s)
        return code + _GS32 + pfx + prefix + opcode + _mem(s, b, args[2])

    return store


def _immediate(size: int) -> Callable[[int], bytes]:
    """A store's immediate, as many bytes as it stores (an 8-byte store's 4, sign-extended by the CPU)."""
    if size == 1:
        return lambda v: bytes((v & 0xFF,))
    if size == 2:
        return lambda v: (v & 0xFFFF).to_bytes(2, "little")
    return lambda v: _U32(v & _M32)


def _store_imm(size: int) -> Direct:
    w, pfx, opcode = _store_shape(size, True)
    pack = _immediate(size)

    def store_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        if near(args[0], args[1]):
            return near_base(where[args[0]]) + pfx + _REX[w | 1] + opcode + _near_mem(0, args[1]) + pack(args[2])
        code, b = _base(where[args[0]])
        return code + _GS32 + pfx + _REX[w | b >> 3] + opcode + _mem(0, b, args[1]) + pack(args[2])

    return store_imm


def _store_imm_absolute(size: int) -> Direct:
    w, pfx, opcode = _store_shape(size, True)
    pack = _immediate(size)

    def store_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        segment, b, tail = _absolute(0, args[0])
        return segment + pfx + _REX[w | b] + opcode + tail + pack(args[1])

    return store_imm


# Group-1 ALU operations: the "op r/m, r" opcode and the /digit of "op r/m, imm32".
_ALU = {"add": (0x01, 0), "or": (0x09, 1), "and": (0x21, 4), "sub": (0x29, 5), "xor": (0x31, 6)}


def lea_scaled(dst: int, base: int | None, index: int, scale: int = 0) -> bytes:
    """lea dst, [base + index << scale], or [index << scale + 0] without a base (None)."""
    if base is None:
        rex = 0x48 | (dst & 8) >> 1 | (index & 8) >> 2
        return bytes((rex, 0x8D, 0x04 | (dst & 7) << 3, scale << 6 | (index & 7) << 3 | 5)) + bytes(4)
    rex = 0x48 | (dst & 8) >> 1 | (index & 8) >> 2 | base >> 3
    sib = scale << 6 | (index & 7) << 3 | base & 7
    if base & 7 == 5:  # rbp/r13 as a base: ModRM mod 01 and a disp8 of 0
        return bytes((rex, 0x8D, 0x44 | (dst & 7) << 3, sib, 0))
    return bytes((rex, 0x8D, 0x04 | (dst & 7) << 3, sib))


def _imm_op(digit: int, reg: int, imm: int) -> bytes:
    """A group-1 operation /digit on host register `reg` with an immediate, past any REX: 83 /digit ib when it fits,
    81 /digit id otherwise."""
    if short(imm):
        return b"\x83" + _rr(digit, reg) + bytes((imm & 0xFF,))
    return b"\x81" + _rr(digit, reg) + _U32(imm & _M32)


def _alu3_64(op: str) -> Direct:
    opcode = _ALU[op][0]
    commutative = op != "sub"
    lea = op == "add"  # d = x + y as lea when neither is d

    def alu3(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        d, x, y = args
        dst, left, right = where[d], where[x], where[y]
        if dst <= 15:  # in place: d op= y, or d = x; d op= y
            if d == y and commutative:
                left, right, x = right, left, y
            if lea and d != x and d != y and left <= 15 and right <= 15:
                return lea_scaled(dst, right, left) if left & 7 == 5 else lea_scaled(dst, left, right)
            if d == x:
                return _from(8, opcode, dst, right)
            if d != y:
                return _from(8, _MOV, dst, left) + _from(8, opcode, dst, right)
        return _from(8, _MOV, RAX, left) + _from(8, opcode, RAX, right) + _to(dst, RAX)

    return alu3


def _store_result_32(dst: int) -> bytes:
    """movsxd of eax into dst (into rax first for a context slot), as JitCompiler.store_result does."""
    if dst <= 15:
        return _REXW[(dst & 8) >> 1] + b"\x63" + _rr(dst, RAX)
    return b"\x48\x63\xc0" + _to(dst, RAX)


def _alu3_32(op: str) -> Direct:
    opcode = _ALU[op][0]

    def alu3(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        # mov eax, x; op eax, y; movsxd d, eax
        return (_from(0, _MOV, RAX, where[args[1]]) + _from(0, opcode, RAX, where[args[2]])
                + _store_result_32(where[args[0]]))  # fmt: skip

    return alu3


def _alu_imm(op: str) -> Direct:
    """add_imm_64 (a lea while the source is a host register), and_imm, or_imm, xor_imm."""
    digit = _ALU[op][1]
    accumulator = bytes((0x48, digit << 3 | 5))  # op rax, imm32 (x86's short form, which the assembler picks for rax)

    def alu_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        d, s, imm = args
        dst, src = where[d], where[s]
        if op == "add" and src <= 15:  # lea computes s + imm without touching flags or needing d == s
            lea = _REXW[((dst if dst <= 15 else RAX) & 8) >> 1 | src >> 3] + b"\x8d"
            if dst <= 15:
                return lea + _mem(dst, src, imm)
            return lea + _mem(RAX, src, imm) + _to(dst, RAX)
        if dst <= 15:
            code = _REXW[dst >> 3] + _imm_op(digit, dst, imm)  # op d, imm
            return code if d == s else _from(8, _MOV, dst, src) + code
        code = b"\x48" + _imm_op(digit, RAX, imm) if short(imm) else accumulator + _U32(imm & _M32)
        return _from(8, _MOV, RAX, src) + code + _to(dst, RAX)

    return alu_imm


def _add_imm_32(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
    src = where[args[1]]
    if src <= 15:
        code = _REX[src >> 3] + b"\x8d" + _mem(RAX, src, args[2])  # lea eax, [s + imm]
    else:
        add = _imm_op(0, RAX, args[2]) if short(args[2]) else b"\x05" + _U32(args[2] & _M32)
        code = _op(0, b"\x8b", RAX, src) + add  # mov eax, s; add eax, imm
    return code + _store_result_32(where[args[0]])


_SHIFTS = {"shift_logical_left": 4, "shift_logical_right": 5, "shift_arithmetic_right": 7, "rotate_left": 0,
           "rotate_right": 1}  # fmt: skip


def _shift_imm_64(digit: int) -> Direct:
    def shift(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        d, s, value = args
        dst, src = where[d], where[s]
        count = value & 63
        if d != s and count and dst <= 15 and src <= 15:  # one instruction (as the emitter)
            if digit <= 1:  # rotate right, or left by 64 - count: rorx dst, src, imm8
                c1 = (0 if dst & 8 else 0x80) | 0x40 | (0 if src & 8 else 0x20) | 3
                return bytes((0xC4, c1, 0xFB, 0xF0, 0xC0 | (dst & 7) << 3 | src & 7, count if digit else 64 - count))
            if digit == 4 and count == 1:
                return lea_scaled(dst, src, src)
            if digit == 4 and count <= 3:
                return lea_scaled(dst, None, src, count)
        t = dst if dst <= 15 else RAX
        code = _from(8, _MOV, t, src) if d != s or dst > 15 else b""
        if count == 1:
            code += _REXW[t >> 3] + b"\xd1" + _rr(digit, t)
        elif count:
            code += _REXW[t >> 3] + b"\xc1" + _rr(digit, t) + bytes((count,))
        return code if dst <= 15 else code + _to(dst, RAX)

    return shift


def _move_reg(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
    d, s = args
    dst, src = where[d], where[s]
    if dst <= 15:
        return _from(8, _MOV, dst, src) if d != s else b""
    if src <= 15:
        return _to(dst, src)
    return _op(8, b"\x8b", RAX, src) + _to(dst, RAX)  # (even when d = s)


def load_imm(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
    """`load_imm d, value`, which a call (load_imm_and_jump) also starts with."""
    dst = where[args[0]]
    value = args[1] & _M32
    if dst > 15:
        return _op(8, b"\xc7", 0, dst) + _U32(value)  # mov qword [slot], simm32
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


def _load_imm64(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
    dst = where[args[0]]
    if dst <= 15:
        return _mov_imm64(dst, args[1])
    return _mov_imm64(RAX, args[1]) + _to(dst, RAX)


def _cmp_places(left: int, right: int) -> bytes:
    """cmp left, right (guest registers' places) as emitters._compare picks it: through rax when both are slots."""
    if right <= 15:
        return _op(8, b"\x39", right, left)
    if left > 15:
        return _op(8, b"\x8b", RAX, left) + _op(8, b"\x3b", RAX, right)
    return _op(8, b"\x3b", left, right)


def compare(where: tuple[int, ...], x: int, y: int, immediate: bool) -> bytes:
    """emitters._compare's code for a branch: cmp x, y (guest registers), or cmp x, imm (an imm8 when it fits)."""
    left = where[x]
    if not immediate:
        return _cmp_places(left, where[y])
    y &= _M32
    if y < 0x80 or y >= 0xFFFFFF80:
        return _op(8, b"\x83", 7, left) + bytes((y & 0xFF,))
    return _op(8, b"\x81", 7, left) + _U32(y)


# Comparisons: setcc's condition code, and whether the second operand is an immediate.
_SETS = {"set_less_than_unsigned": (2, False), "set_less_than_signed": (12, False),
         "set_less_than_unsigned_imm": (2, True), "set_less_than_signed_imm": (12, True),
         "set_greater_than_unsigned_imm": (7, True), "set_greater_than_signed_imm": (15, True)}  # fmt: skip


def _set(cc: int, imm: bool) -> Direct:
    setcc = bytes((0x0F, 0x90 | cc, 0xC0))  # setcc al

    def set_cmp(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        d, x, y = args
        dst = where[d]
        if imm:
            code = compare(where, x, y, True)
        else:
            code = _cmp_places(where[x], where[y])
        if dst <= 15:
            return code + setcc + _REX[(dst & 8) >> 1] + b"\x0f\xb6" + _rr(dst, RAX)  # movzx d, al
        return code + setcc + b"\x0f\xb6\xc0" + _to(dst, RAX)  # movzx eax, al

    return set_cmp


def _cmov(cc: int, imm: bool) -> Direct:
    opcode = bytes((0x0F, 0x40 | cc))

    def cmov(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
        if imm:  # d, cond, value: the value in rcx first
            d, c, value = args
            code, src = _mov_imm64(RCX, value), RCX
        else:
            d, s, c = args
            code, src = b"", where[s]
        dst = where[d]
        code += _op(8, b"\x83", 7, where[c]) + b"\x00"  # cmp c, 0
        if dst <= 15:
            return code + _op(8, opcode, dst, src)
        # through rdx: mov rdx, d; cmov rdx, s; mov d, rdx
        return code + _op(8, b"\x8b", RDX, dst) + _op(8, opcode, RDX, src) + _to(dst, RDX)

    return cmov


def _reverse_byte(where: tuple[int, ...], args: tuple[int, ...]) -> bytes:
    # mov rax, s; bswap rax; mov d, rax
    return _from(8, _MOV, RAX, where[args[1]]) + b"\x48\x0f\xc8" + _to(where[args[0]], RAX)


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
    table["add_imm_64"], table["add_imm_32"] = _alu_imm("add"), _add_imm_32
    for op in ("and", "xor", "or"):
        table[op + "_imm"] = _alu_imm(op)
    for base, digit in _SHIFTS.items():
        table[base + "_imm_64"] = _shift_imm_64(digit)
    table["move_reg"], table["reverse_byte"] = _move_reg, _reverse_byte
    table["load_imm"], table["load_imm64"] = load_imm, _load_imm64
    for name, (cc, imm) in _SETS.items():
        table[name] = _set(cc, imm)
    for name, cc in (("cmov_if_zero", 4), ("cmov_if_not_zero", 5)):
        table[name], table[name + "_imm"] = _cmov(cc, False), _cmov(cc, True)
    return {name: f for name, f in table.items() if name in KIND}  # (ReviveV1 has no rotate_left_imm_64)


# name → its encoder, for memory accesses too (static paging) and without them (dynamic paging: they leave native code).
DIRECT: dict[str, Direct] = _table()
DIRECT_DYNAMIC = {name: f for name, f in DIRECT.items() if name not in ACCESSES}
