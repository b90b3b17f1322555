"""The x86-64 encoder (pvmkit.pvm.jit.x86), checked against capstone as the decoding oracle.

Every encoding must decode to exactly one instruction, using all of its bytes, with the expected
mnemonic and operands (registers and memory operands compared as text, immediates numerically).
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvmkit.pvm.jit import x86
from pvmkit.pvm.jit.x86 import (
    R12,
    R13,
    RAX,
    RBP,
    RCX,
    RDX,
    RSP,
    Assembler,
    Imm,
    Label,
    Mem,
)

capstone = pytest.importorskip("capstone", reason="capstone (the x86 decoding oracle) is not installed")
_MD = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)

R64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"] + [f"r{i}" for i in range(8, 16)]
R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] + [f"r{i}d" for i in range(8, 16)]
R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"] + [f"r{i}w" for i in range(8, 16)]
R8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"] + [f"r{i}b" for i in range(8, 16)]
RNAME = {64: R64, 32: R32, 16: R16, 8: R8}
PTR = {64: "qword ptr ", 32: "dword ptr ", 16: "word ptr ", 8: "byte ptr ", 0: ""}
CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
M64 = (1 << 64) - 1
REGS = range(16)
WIDTHS = (64, 32)

DISPS = [0, 1, -1, 8, 127, 128, -128, -129, 0x7FFF, 0x12345, -0x12345, 0x7FFFFFFF, -0x80000000]
IMM_EDGES = [
    0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
    0x7FFFFFFF, 0x80000000, -0x80000000, -0x80000001, 0xFFFFFFFF, 0x100000000,
    0x7FFFFFFFFFFFFFFF, -0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF80000000, 0x123456789ABCDEF0,
]  # fmt: skip


# ------------------------------------------------------------------------------------------ helpers


def _mems() -> list[Mem]:
    """Every base (incl. rsp/rbp/r12/r13 and none) × index/scale options × displacement classes."""
    out = []
    for base in [None, *REGS]:
        for disp in DISPS:
            if base is not None:
                out.append(Mem(base, disp))
            for index, scale in [(RCX, 1), (R12, 2), (RBP, 4), (R13, 8), (x86.R15, 1), (RAX, 8)]:
                out.append(Mem(base, disp, index, scale))
        out.append(Mem(None, -16))
    return out


ALL_MEMS = _mems()
SOME_MEMS = [m for i, m in enumerate(ALL_MEMS) if i % 7 == 0] + [Mem(b, d) for b in (RSP, RBP, R12, R13) for d in DISPS]


def mem_text(m: Mem, bits: int) -> str:
    parts = []
    if m.base is not None:
        parts.append(R64[m.base])
    if m.index is not None:
        parts.append(R64[m.index] + (f"*{m.scale}" if m.scale != 1 else ""))
    inner = " + ".join(parts)
    d = m.disp
    if not parts:
        inner = str(d & M64)
    elif d > 0:
        inner += f" + {d}"
    elif d < 0:
        inner += f" - {-d}"
    return f"{PTR[bits]}[{inner}]"


def _norm(text: str) -> str:
    """Capstone prints numbers as decimal or hex depending on size; make them all decimal."""
    return re.sub(r"\b0x[0-9a-f]+\b|\b\d+\b", lambda mo: str(int(mo.group(0), 0)), text)


def decode_one(code: bytes):
    insns = list(_MD.disasm(code, 0))
    assert len(insns) == 1, f"{code.hex()} decodes to {[(i.mnemonic, i.op_str) for i in insns]}"
    assert insns[0].size == len(code), f"{code.hex()}: capstone used {insns[0].size} of {len(code)} bytes"
    return insns[0]


def check(meth: str, args: tuple, mnemonic: str, ops: list, immw: int = 64, size: int | None = None) -> bytes:
    """Run ``Assembler().meth(*args)``; its code must decode to ``mnemonic ops``.

    ``ops`` items: str (a register or memory operand, compared as text) or int (an immediate,
    compared modulo 2**immw).
    """
    a = Assembler()
    getattr(a, meth)(*args)
    code = a.finish()
    insn = decode_one(code)
    assert insn.mnemonic == mnemonic, f"{code.hex()}: {insn.mnemonic} {insn.op_str!r}, expected {mnemonic} {ops}"
    got = [p for p in insn.op_str.split(", ") if p] if insn.op_str else []
    assert len(got) == len(ops), f"{code.hex()}: {insn.mnemonic} {insn.op_str!r}, expected {ops}"
    mask = (1 << immw) - 1
    for g, want in zip(got, ops, strict=True):
        if isinstance(want, int):
            assert re.fullmatch(r"-?(0x[0-9a-f]+|\d+)", g), f"{code.hex()}: {insn.op_str!r} operand {g!r} not imm"
            assert int(g, 0) & mask == want & mask, f"{code.hex()}: {insn.op_str!r}, expected imm {want:#x}"
        else:
            assert _norm(g) == _norm(want), f"{code.hex()}: {insn.mnemonic} {insn.op_str!r}, expected {ops}"
    if size is not None:
        assert len(code) == size, f"{code.hex()}: expected {size} bytes"
    return code


def rejects(meth: str, *args) -> None:
    """``meth(*args)`` raises ValueError and emits nothing."""
    a = Assembler()
    with pytest.raises(ValueError):
        getattr(a, meth)(*args)
    assert a.code == b""


def mem_len(m: Mem) -> int:
    """ModRM + SIB + displacement bytes the encoder should pick (shortest form)."""
    n = 1
    if m.index is not None or m.base is None or (m.base & 7) == 4:
        n += 1
    if m.base is None:
        return n + 4
    if m.disp == 0 and (m.base & 7) != 5:
        return n
    return n + (1 if -128 <= m.disp <= 127 else 4)


def rm_len(x: int | Mem) -> int:
    return mem_len(x) if isinstance(x, Mem) else 1


def needs_rex(*regs_or_mems) -> bool:
    for x in regs_or_mems:
        if isinstance(x, Mem):
            if (x.base or 0) >= 8 or (x.index or 0) >= 8:
                return True
        elif x >= 8:
            return True
    return False


def rm_text(x: int | Mem, bits: int) -> str:
    return mem_text(x, bits) if isinstance(x, Mem) else RNAME[bits][x]


regs = st.integers(0, 15)
widths = st.sampled_from(WIDTHS)
mems = st.builds(
    Mem,
    base=st.one_of(st.none(), regs, regs),
    disp=st.one_of(st.sampled_from(DISPS), st.integers(-(2**31), 2**31 - 1)),
    index=st.one_of(st.none(), st.integers(0, 15).filter(lambda r: r != RSP)),
    scale=st.sampled_from([1, 2, 4, 8]),
)
rms = st.one_of(regs, mems)
imm32s = st.one_of(st.sampled_from([v for v in IMM_EDGES if -(2**31) <= v < 2**31]), st.integers(-(2**31), 2**31 - 1))


# ------------------------------------------------------------------------------------------ memory operands


def test_every_addressing_mode_with_mov_load():
    n = 0
    for m in ALL_MEMS:
        for dst in (RAX, RBP, RSP, R12, R13, x86.R15):
            for w in WIDTHS:
                rex = w == 64 or needs_rex(dst, m)
                check("mov", (dst, m, w), "mov", [RNAME[w][dst], mem_text(m, w)], size=rex + 1 + mem_len(m))
                n += 1
    assert n > 10000


def test_every_addressing_mode_with_lea():
    for m in ALL_MEMS:
        for dst in (RAX, R13):
            check("lea", (dst, m), "lea", [R64[dst], mem_text(m, 0)])
            check("lea", (dst, m, 32), "lea", [R32[dst], mem_text(m, 0)])


def test_bad_memory_operands():
    a = Assembler()
    with pytest.raises(ValueError):
        a.mov(RAX, Mem(RAX, 0, RSP))
    with pytest.raises(ValueError):
        a.mov(RAX, Mem(RAX, 0, RCX, 3))
    for disp in (2**31, -(2**31) - 1):
        for m in (Mem(RAX, disp), Mem(RSP, disp), Mem(None, disp), Mem(RAX, disp, RCX), Mem(None, disp, RCX)):
            with pytest.raises(ValueError):
                a.mov(RAX, m)
    with pytest.raises(ValueError):
        a.mov(Mem(RAX), Mem(RCX))
    with pytest.raises(ValueError):
        a.add(Mem(RAX), Mem(RCX))
    with pytest.raises(ValueError):
        a.mov(RAX, RCX, 16)
    with pytest.raises(TypeError):
        a.mov(RAX, "rcx")
    assert a.code == b""


def test_errors_emit_nothing():
    bad = Mem(RAX, 0, RSP)
    far = Mem(RAX, 2**31)
    for m in (bad, far):
        rejects("popcnt", RAX, m)
        rejects("lzcnt", RAX, m)
        rejects("tzcnt", RAX, m)
        rejects("shlx", RAX, m, RCX)
        rejects("store", m, RCX, 2)
        rejects("store", m, Imm(1), 2)
        rejects("store", m, RCX, 1)
        rejects("add", m, Imm(1))
        rejects("add", RAX, m)
        rejects("jmp", m)
        rejects("call", m)
        rejects("lea", RAX, m)
        rejects("load", RAX, m, 2, True)
    for meth, args in [
        ("add", (RAX, RCX)),
        ("mov", (RAX, Imm(1))),
        ("shl", (RAX, 1)),
        ("shrx", (RAX, RCX, RDX)),
        ("popcnt", (RAX, RCX)),
        ("cmov", (x86.E, RAX, RCX)),
        ("neg", (RAX,)),
        ("bswap", (RAX,)),
    ]:
        rejects(meth, *args, 16)
    rejects("mov", Mem(RAX), Imm(2**32))
    rejects("store", Mem(RAX), Imm(2**32), 8)
    rejects("store", Mem(RAX), Imm(2**32), 4)
    rejects("store", Mem(RAX), Imm(256), 1)
    rejects("store", Mem(RAX), Imm(-129), 1)
    rejects("store", Mem(RAX), Imm(0x10000), 2)


# ------------------------------------------------------------------------------------------ moves


def test_mov_reg_reg_and_mem():
    for w in WIDTHS:
        for d in REGS:
            for s in REGS:
                check("mov", (d, s, w), "mov", [RNAME[w][d], RNAME[w][s]])
        for m in SOME_MEMS:
            for r in REGS:
                check("mov", (m, r, w), "mov", [mem_text(m, w), RNAME[w][r]])
                check("mov", (r, m, w), "mov", [RNAME[w][r], mem_text(m, w)])


def test_mov_reg_imm_picks_shortest_form():
    for r in REGS:
        for v in IMM_EDGES:
            s = v - 2**64 if v >= 2**63 else v
            rex = r >= 8
            if 0 <= s <= 0xFFFFFFFF:
                check("mov", (r, Imm(v)), "mov", [R32[r], s], 32, size=5 + rex)
            elif -(2**31) <= s < 0:
                check("mov", (r, Imm(v)), "mov", [R64[r], s], 64, size=7)
            else:
                check("mov", (r, Imm(v)), "movabs", [R64[r], s], 64, size=10)
            if -(2**31) <= v <= 0xFFFFFFFF:
                check("mov", (r, Imm(v), 32), "mov", [R32[r], v], 32, size=5 + rex)
            else:
                rejects("mov", r, Imm(v), 32)
    for v in (2**64, -(2**63) - 1):
        rejects("mov", RAX, Imm(v))


def test_mov_mem_imm():
    for m in SOME_MEMS:
        for v in IMM_EDGES:
            if -(2**31) <= v < 2**31 or 2**64 - 2**31 <= v < 2**64:
                check("mov", (m, Imm(v)), "mov", [mem_text(m, 64), v], 64)
            else:
                rejects("mov", m, Imm(v))
            if -(2**31) <= v < 2**32:
                check("mov", (m, Imm(v), 32), "mov", [mem_text(m, 32), v], 32)
            else:
                rejects("mov", m, Imm(v), 32)


def test_store():
    for size in (1, 2, 4, 8):
        bits = size * 8
        for m in SOME_MEMS:
            for r in REGS:
                rex = size == 8 or needs_rex(r, m) or (size == 1 and 4 <= r <= 7)  # spl..dil need a REX
                code = check("store", (m, r, size), "mov", [mem_text(m, bits), RNAME[bits][r]],
                             size=(size == 2) + rex + 1 + mem_len(m))  # fmt: skip
                assert (code[0] == 0x66) == (size == 2)
            lo, hi = (-(2**31), 2**31 - 1) if size == 8 else (-(2 ** (bits - 1)), 2**bits - 1)
            for v in IMM_EDGES:
                if lo <= v <= hi:
                    check("store", (m, Imm(v), size), "mov", [mem_text(m, bits), v], bits)
                elif not (size == 8 and 2**64 - 2**31 <= v < 2**64):
                    rejects("store", m, Imm(v), size)
    rejects("store", Mem(RAX), RCX, 3)


def test_load():
    for s in REGS:  # from the low part of a register
        for r in REGS:
            check("load", (r, s, 8, False), "mov", [R64[r], R64[s]])
            check("load", (r, s, 4, False), "mov", [R32[r], R32[s]])
            check("load", (r, s, 4, True), "movsxd", [R64[r], R32[s]])
            check("load", (r, s, 2, False), "movzx", [R32[r], RNAME[16][s]])
            check("load", (r, s, 2, True), "movsx", [R64[r], RNAME[16][s]])
            check("load", (r, s, 1, False), "movzx", [R32[r], RNAME[8][s]])
            check("load", (r, s, 1, True), "movsx", [R64[r], RNAME[8][s]])
    for m in SOME_MEMS:
        for r in REGS:
            check("load", (r, m, 8, False), "mov", [R64[r], mem_text(m, 64)])
            check("load", (r, m, 8, True), "mov", [R64[r], mem_text(m, 64)])
            check("load", (r, m, 4, False), "mov", [R32[r], mem_text(m, 32)])
            check("load", (r, m, 4, True), "movsxd", [R64[r], mem_text(m, 32)])
            check("load", (r, m, 2, False), "movzx", [R32[r], mem_text(m, 16)])
            check("load", (r, m, 2, True), "movsx", [R64[r], mem_text(m, 16)])
            check("load", (r, m, 1, False), "movzx", [R32[r], mem_text(m, 8)])
            check("load", (r, m, 1, True), "movsx", [R64[r], mem_text(m, 8)])


def gs_text(m: Mem, bits: int) -> str:
    """How capstone shows a Mem with gs: 32-bit register names (the address is computed modulo 2^32)."""
    inner = R32[m.base] if m.base is not None else ""
    d = m.disp
    if m.base is None:
        inner = str(d & M64)  # capstone shows a no-base disp32 sign-extended; the CPU zero-extends it (test_jit)
    elif d > 0:
        inner += f" + {d}"
    elif d < 0:
        inner += f" - {-d}"
    return f"{PTR[bits]}gs:[{inner}]"


GS_MEMS = [Mem(b, d, gs=True) for b in REGS for d in DISPS] + [Mem(None, d, gs=True) for d in (0, 0x7FFFFFFF, -4)]


def test_gs_operands_with_32_bit_addressing():
    """The JIT's guest accesses (compiler.memory): prefixes 65 67 before everything else, then the usual encoding."""
    for m in GS_MEMS:
        plain = Mem(m.base, m.disp)
        for r in (RAX, RBP, R12, x86.R15):
            for size, bits in ((8, 64), (4, 32), (2, 16), (1, 8)):
                code = check("store", (m, r, size), "mov", [gs_text(m, bits), RNAME[bits][r]])
                a = Assembler()
                a.store(plain, r, size)
                assert code == b"\x65\x67" + a.code  # legacy prefixes first: 66 and REX follow them
            check("load", (r, m, 8, False), "mov", [R64[r], gs_text(m, 64)])
            check("load", (r, m, 4, True), "movsxd", [R64[r], gs_text(m, 32)])
            check("load", (r, m, 2, True), "movsx", [R64[r], gs_text(m, 16)])
            check("load", (r, m, 1, False), "movzx", [R32[r], gs_text(m, 8)])
        check("store", (m, Imm(-2), 8), "mov", [gs_text(m, 64), -2])
        check("store", (m, Imm(0xBEEF), 2), "mov", [gs_text(m, 16), 0xBEEF], 16)
        check("add", (RCX, m), "add", [R64[RCX], gs_text(m, 64)])
        check("shlx", (RDX, m, RCX), "shlx", [R64[RDX], gs_text(m, 64), R64[RCX]])  # VEX: 65 67 before C4
    rejects("lea", RAX, Mem(RAX, 8, gs=True))  # lea ignores segments: the base would be silently lost


def test_andn():
    for d in (RAX, RBP, R12, x86.R15):
        for v in REGS:
            for src in (RCX, R13, Mem(RBP, 8), Mem(R12, -0x800), Mem(RAX, 0x40, gs=True)):
                for w in WIDTHS:
                    ops = [RNAME[w][d], RNAME[w][v], src if type(src) is int else None]
                    text = RNAME[w][src] if type(src) is int else (gs_text(src, w) if src.gs else mem_text(src, w))
                    check("andn", (d, v, src, w), "andn", [*ops[:2], text])


def test_gs_base_instructions():
    for r in REGS:
        check("rdgsbase", (r,), "rdgsbase", [R64[r]])
        check("wrgsbase", (r,), "wrgsbase", [R64[r]])


def test_movsxd_movzx8_setcc_cmov():
    for d in REGS:
        for s in REGS:
            check("movsxd", (d, s), "movsxd", [R64[d], R32[s]])
            check("movzx8", (d, s), "movzx", [R32[d], R8[s]])
            for w in WIDTHS:
                for cc in range(16):
                    check("cmov", (cc, d, s, w), "cmov" + CC[cc], [RNAME[w][d], RNAME[w][s]])
        for m in SOME_MEMS[::5]:
            check("movsxd", (d, m), "movsxd", [R64[d], mem_text(m, 32)])
            check("cmov", (x86.NE, d, m), "cmovne", [R64[d], mem_text(m, 64)])
            check("cmov", (x86.L, d, m, 32), "cmovl", [R32[d], mem_text(m, 32)])
        for cc in range(16):
            code = check("setcc", (cc, d), "set" + CC[cc], [R8[d]])
            assert len(code) == 3 + (d >= 4)


def test_condition_code_aliases():
    assert (x86.C, x86.NC, x86.Z, x86.NZ) == (x86.B, x86.AE, x86.E, x86.NE)
    for cc in range(16):
        assert x86.invert(x86.invert(cc)) == cc != x86.invert(cc)
    assert x86.invert(x86.L) == x86.GE and x86.invert(x86.A) == x86.BE


# ------------------------------------------------------------------------------------------ ALU

ALU = [("add", "add"), ("sub", "sub"), ("and_", "and"), ("or_", "or"), ("xor", "xor"), ("cmp", "cmp")]


@pytest.mark.parametrize(("meth", "mn"), ALU)
def test_alu_reg_reg_mem(meth, mn):
    for w in WIDTHS:
        for d in REGS:
            for s in REGS:
                check(meth, (d, s, w), mn, [RNAME[w][d], RNAME[w][s]])
        for m in SOME_MEMS[::3]:
            for r in (RAX, RSP, RBP, x86.RDI, R12, x86.R15):
                check(meth, (r, m, w), mn, [RNAME[w][r], mem_text(m, w)])
                check(meth, (m, r, w), mn, [mem_text(m, w), RNAME[w][r]])


@pytest.mark.parametrize(("meth", "mn"), ALU)
def test_alu_imm(meth, mn):
    for w in WIDTHS:
        for dst in [*REGS, *SOME_MEMS[::9]]:
            for v in IMM_EDGES:
                s = v
                if w == 32 and 2**31 <= v < 2**32:
                    s = v - 2**32
                if w == 64 and 2**64 - 2**31 <= v < 2**64:
                    s = v - 2**64
                if not -(2**31) <= s < 2**31:
                    rejects(meth, dst, Imm(v), w)
                    continue
                code = check(meth, (dst, Imm(v), w), mn, [rm_text(dst, w), s], w)
                rex = w == 64 or needs_rex(dst)
                if -128 <= s <= 127:
                    assert code[rex] == 0x83 and len(code) == rex + 2 + rm_len(dst)
                elif dst == RAX and not isinstance(dst, Mem):
                    assert len(code) == rex + 5  # the short `op eax/rax, imm32` form
                else:
                    assert code[rex] == 0x81


def test_test():
    for w in WIDTHS:
        for d in REGS:
            for s in REGS:
                check("test", (d, s, w), "test", [RNAME[w][d], RNAME[w][s]])
            for v in (1, 0x7F, 0x80, -1, 0x7FFFFFFF, -(2**31)):
                check("test", (d, Imm(v), w), "test", [RNAME[w][d], v], w)
        for m in SOME_MEMS[::4]:
            check("test", (m, RDX, w), "test", [mem_text(m, w), RNAME[w][RDX]])
            check("test", (x86.R9, m, w), "test", [mem_text(m, w), RNAME[w][x86.R9]])
            check("test", (m, Imm(0x1234), w), "test", [mem_text(m, w), 0x1234], w)
    rejects("test", RAX, Imm(2**32))


def test_imul():
    for w in WIDTHS:
        for d in REGS:
            for s in REGS:
                check("imul", (d, s, w), "imul", [RNAME[w][d], RNAME[w][s]])
                for v in (0, 1, -1, 127, 128, -128, -129, 0x7FFFFFFF, -(2**31)):
                    code = check("imul_imm", (d, s, v, w), "imul", [RNAME[w][d], RNAME[w][s], v], w)
                    rex = w == 64 or needs_rex(d, s)
                    assert code[rex] == (0x6B if -128 <= v <= 127 else 0x69)
            check("imul_imm", (d, RCX, Imm(5), w), "imul", [RNAME[w][d], RNAME[w][RCX], 5], w)
        for m in SOME_MEMS[::4]:
            check("imul", (R13, m, w), "imul", [RNAME[w][R13], mem_text(m, w)])
            check("imul_imm", (RDX, m, 1000, w), "imul", [RNAME[w][RDX], mem_text(m, w), 1000], w)
    rejects("imul_imm", RAX, RAX, 2**31)


@pytest.mark.parametrize(
    ("meth", "mn"),
    [("mul", "mul"), ("imul1", "imul"), ("div", "div"), ("idiv", "idiv"), ("neg", "neg"), ("not_", "not")],
)
def test_unary(meth, mn):
    for w in WIDTHS:
        for x in [*REGS, *SOME_MEMS[::3]]:
            check(meth, (x, w), mn, [rm_text(x, w)])


@pytest.mark.parametrize("meth", ["shl", "shr", "sar", "rol", "ror"])
def test_shifts(meth):
    for w in WIDTHS:
        for x in [*REGS, *SOME_MEMS[::5]]:
            t = rm_text(x, w)
            check(meth, (x, None, w), meth, [t, "cl"])
            code1 = check(meth, (x, 1, w), meth, [t, 1])
            for n in (0, 2, 31, 63, 255):
                code = check(meth, (x, n, w), meth, [t, n], 8)
                assert len(code) == len(code1) + 1
    rejects("shl", RAX, 256)


@pytest.mark.parametrize("meth", ["shlx", "shrx", "sarx"])
def test_bmi2_shifts(meth):
    for w in WIDTHS:
        for d in REGS:
            for s in REGS:
                for c in (RAX, RCX, RSP, R12, x86.R15):
                    check(meth, (d, s, c, w), meth, [RNAME[w][d], RNAME[w][s], RNAME[w][c]])
        for m in SOME_MEMS[::3]:
            for d in (RAX, x86.R9):
                for c in (RCX, R13):  # VEX3 (3 bytes), the opcode, then the operand's shortest form
                    check(meth, (d, m, c, w), meth, [RNAME[w][d], mem_text(m, w), RNAME[w][c]], size=4 + mem_len(m))


def test_rorx():
    for w in WIDTHS:
        for d in REGS:
            for s in REGS:
                for n in (1, 31, 63):
                    check("rorx", (d, s, n, w), "rorx", [RNAME[w][d], RNAME[w][s], n & (w - 1)], size=6)
        for m in SOME_MEMS[::3]:  # VEX3 (3 bytes), the opcode, the operand's shortest form, the count
            check("rorx", (RAX, m, 5, w), "rorx", [RNAME[w][RAX], mem_text(m, w), 5], size=5 + mem_len(m))


@pytest.mark.parametrize("meth", ["popcnt", "lzcnt", "tzcnt"])
def test_bit_counts(meth):
    for w in WIDTHS:
        for d in REGS:
            for s in REGS:
                code = check(meth, (d, s, w), meth, [RNAME[w][d], RNAME[w][s]])
                assert code[0] == 0xF3
        for m in SOME_MEMS[::3]:  # F3, REX (r12), 0F xx, then the operand's shortest form
            check(meth, (R12, m, w), meth, [RNAME[w][R12], mem_text(m, w)], size=(w == 16) + 4 + mem_len(m))


def test_bswap_cqo_cdq_and_simple():
    for w in WIDTHS:
        for r in REGS:
            check("bswap", (r, w), "bswap", [RNAME[w][r]])
    check("cqo", (), "cqo", [])
    check("cdq", (), "cdq", [])
    check("ret", (), "ret", [])
    check("ud2", (), "ud2", [])
    check("int3", (), "int3", [])
    check("syscall", (), "syscall", [], size=2)
    check("nop", (), "nop", [], size=1)
    for r in REGS:
        check("push", (r,), "push", [R64[r]])
        check("pop", (r,), "pop", [R64[r]])


def test_sse_moves_ors_and_tests():
    """movdqa/por/pxor/ptest (the clearer's scan) on every xmm register and addressing mode, against capstone."""
    xmm = [f"xmm{i}" for i in range(16)]
    for d in REGS:
        for s in REGS:
            for meth in ("movdqa", "por", "pxor", "ptest"):
                check(meth, (d, s), meth, [xmm[d], xmm[s]])
    for m in SOME_MEMS:
        text = mem_text(m, 0).replace("[", "xmmword ptr [", 1)
        for r in (0, 1, 9, 15):
            for meth in ("movdqa", "por", "pxor", "ptest"):
                size = 1 + needs_rex(r, m) + 2 + (meth == "ptest") + mem_len(m)  # 66, REX, 0F xx (38), operand
                check(meth, (r, m), meth, [xmm[r], text], size=size)
            check("movdqa", (m, r), "movdqa", [text, xmm[r]])


def test_nop_and_align():
    for n in range(1, 10):
        a = Assembler()
        a.nop(n)
        insn = decode_one(a.finish())
        assert insn.mnemonic == "nop"
    for start in range(40):
        for align in (1, 2, 4, 8, 16, 32):
            a = Assembler()
            a.nop(start)
            a.align(align)
            code = a.finish()
            assert len(code) % align == 0 and 0 <= len(code) - start < align
            assert all(i.mnemonic == "nop" for i in _MD.disasm(code, 0))
            assert sum(i.size for i in _MD.disasm(code, 0)) == len(code)
    rejects("align", 3)


def test_indirect_jmp_call():
    for r in REGS:
        check("jmp", (r,), "jmp", [R64[r]])
        check("call", (r,), "call", [R64[r]])
    for m in SOME_MEMS:
        check("jmp", (m,), "jmp", [mem_text(m, 64)])
        check("call", (m,), "call", [mem_text(m, 64)])


# ------------------------------------------------------------------------------------------ hypothesis


@settings(max_examples=400, deadline=None)
@given(op=st.sampled_from(ALU), d=rms, s=regs, w=widths, flip=st.booleans())
def test_random_alu(op, d, s, w, flip):
    meth, mn = op
    if flip and isinstance(d, Mem):
        check(meth, (s, d, w), mn, [RNAME[w][s], mem_text(d, w)])
    else:
        check(meth, (d, s, w), mn, [rm_text(d, w), RNAME[w][s]])


@settings(max_examples=400, deadline=None)
@given(op=st.sampled_from(ALU), d=rms, v=imm32s, w=widths)
def test_random_alu_imm(op, d, v, w):
    meth, mn = op
    check(meth, (d, Imm(v), w), mn, [rm_text(d, w), v], w)


@settings(max_examples=400, deadline=None)
@given(m=mems, r=regs, size=st.sampled_from([1, 2, 4, 8]), signed=st.booleans())
def test_random_load_store(m, r, size, signed):
    bits = size * 8
    check("store", (m, r, size), "mov", [mem_text(m, bits), RNAME[bits][r]])
    if size == 8:
        check("load", (r, m, size, signed), "mov", [R64[r], mem_text(m, bits)])
    elif size == 4:
        check("load", (r, m, size, signed), "movsxd" if signed else "mov",
              [R64[r] if signed else R32[r], mem_text(m, bits)])  # fmt: skip
    else:
        check("load", (r, m, size, signed), "movsx" if signed else "movzx",
              [R64[r] if signed else R32[r], mem_text(m, bits)])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(m=mems, r=regs, w=widths, c=regs, meth=st.sampled_from(["shlx", "shrx", "sarx", "lzcnt", "imul", "lea"]))
def test_random_reg_mem(m, r, w, c, meth):
    if meth in ("shlx", "shrx", "sarx"):
        check(meth, (r, m, c, w), meth, [RNAME[w][r], mem_text(m, w), RNAME[w][c]])
    elif meth == "lea":
        check("lea", (r, m, w), "lea", [RNAME[w][r], mem_text(m, 0)])
    else:
        check(meth, (r, m, w), meth, [RNAME[w][r], mem_text(m, w)])


@settings(max_examples=300, deadline=None)
@given(r=regs, v=st.one_of(st.sampled_from(IMM_EDGES), st.integers(-(2**63), 2**64 - 1)))
def test_random_mov_imm(r, v):
    a = Assembler()
    a.mov(r, Imm(v))
    insn = decode_one(a.finish())
    assert insn.mnemonic in ("mov", "movabs")
    reg, imm = insn.op_str.split(", ")
    assert reg in (R64[r], R32[r])
    assert int(imm, 0) & M64 == v & M64  # capstone shows the 64-bit result for `mov r64, simm32`
    assert (reg == R32[r]) == (0 <= v < 2**32)


# ------------------------------------------------------------------------------------------ labels


def _jump_targets(code: bytes) -> list[tuple[int, str, int]]:
    """(address, mnemonic, target) of each rel jump/call/lea-rip in ``code``."""
    out = []
    total = 0
    for i in _MD.disasm(code, 0):
        total += i.size
        if i.mnemonic.startswith("j") or i.mnemonic == "call":
            out.append((i.address, i.mnemonic, int(i.op_str, 0)))
        elif i.mnemonic == "lea":
            mo = re.fullmatch(r"\w+, \[rip(?: ([+-]) (0x[0-9a-f]+|\d+))?\]", i.op_str)
            assert mo, i.op_str
            disp = int(mo.group(2), 0) * (1 if mo.group(1) == "+" else -1) if mo.group(2) else 0
            out.append((i.address, "lea", i.address + i.size + disp))
    assert total == len(code), "code does not decode completely"
    return out


def test_forward_and_backward_labels():
    a = Assembler()
    top = a.label()
    a.bind(top)
    fwd = a.label()
    a.jmp(fwd)  # forward: rel32
    a.jcc(x86.NE, fwd)
    a.call(fwd)
    a.lea_label(R13, fwd)
    a.nop(50)
    a.jcc(x86.E, top)  # backward, in rel8 range
    a.jmp(top)
    a.nop(200)
    a.jmp(top)  # backward, needs rel32
    a.jcc(x86.G, top)
    a.bind(fwd)
    a.ret()
    code = a.finish()
    jumps = _jump_targets(code)
    assert [(m, t) for _, m, t in jumps] == [
        ("jmp", fwd.pos), ("jne", fwd.pos), ("call", fwd.pos), ("lea", fwd.pos),
        ("je", 0), ("jmp", 0), ("jmp", 0), ("jg", 0),
    ]  # fmt: skip
    # the near backward jumps use the 2-byte forms, the far ones rel32
    ops = [code[addr] for addr, _, _ in jumps]
    assert ops == [0xE9, 0x0F, 0xE8, 0x4C, 0x74, 0xEB, 0xE9, 0x0F]
    assert code[jumps[7][0] + 1] == 0x8F


def test_every_condition_code_in_both_jump_sizes():
    """jcc rel32 (forward, unbound) and rel8 (backward, near) for all 16 condition codes, as the Intel manual numbers
    them."""
    names = ["jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja", "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"]
    for cc, name in enumerate(names):
        a = Assembler()
        top = a.label()
        a.bind(top)
        far = a.label()
        a.jcc(cc, far)
        a.jcc(cc, top)
        a.bind(far)
        assert [(i.mnemonic, i.size) for i in _MD.disasm(a.finish(), 0)] == [(name, 6), (name, 2)], name


def test_lea_label_into_every_register():
    for r in REGS:
        a = Assembler()
        label = a.label()
        a.lea_label(r, label)
        a.bind(label)
        insn = decode_one(a.finish())
        assert (insn.mnemonic, insn.op_str) == ("lea", f"{R64[r]}, [rip]"), r


def test_short_forward_jumps_and_range_errors():
    a = Assembler()
    lab = a.label()
    a.jmp(lab, short=True)
    a.jcc(x86.B, lab, short=True)
    a.nop(100)
    a.bind(lab)
    code = a.finish()
    assert [(m, t) for _, m, t in _jump_targets(code)] == [("jmp", 104), ("jb", 104)]
    assert len(code) == 104

    a = Assembler()
    lab = a.label()
    a.jcc(x86.B, lab, short=True)
    a.nop(200)
    a.bind(lab)
    with pytest.raises(ValueError):
        a.finish()

    a = Assembler()
    lab = a.label()
    a.bind(lab)
    a.nop(200)
    with pytest.raises(ValueError):
        a.jmp(lab, short=True)


def test_no_short_backward_option():
    a = Assembler(short_backward=False)
    lab = a.label()
    a.bind(lab)
    a.jmp(lab)
    a.jcc(x86.E, lab)
    code = a.finish()
    assert len(code) == 11
    assert [(m, t) for _, m, t in _jump_targets(code)] == [("jmp", 0), ("je", 0)]


def test_unbound_and_rebound_labels():
    a = Assembler()
    lab = a.label()
    assert isinstance(lab, Label) and not lab.bound
    a.jmp(lab)
    with pytest.raises(ValueError):
        a.finish()
    a.bind(lab)
    with pytest.raises(ValueError):
        a.bind(lab)
    assert a.offset() == 5
    assert a.finish() == b"\xe9\x00\x00\x00\x00"


@settings(max_examples=150, deadline=None)
@given(
    prog=st.lists(
        st.tuples(st.sampled_from(["jmp", "jcc", "call", "lea", "bind", "pad"]), st.integers(0, 7), st.integers(0, 15),
                  st.integers(0, 300)),
        min_size=1, max_size=40,
    )
)  # fmt: skip
def test_random_label_programs(prog):
    a = Assembler()
    labels = [a.label() for _ in range(8)]
    expected = []  # (mnemonic, label)
    for kind, li, cc, pad in prog:
        lab = labels[li]
        if kind == "bind":
            if not lab.bound:
                a.bind(lab)
        elif kind == "pad":
            a.nop(pad)
        elif kind == "jmp":
            a.jmp(lab)
            expected.append(("jmp", lab))
        elif kind == "jcc":
            a.jcc(cc, lab)
            expected.append(("j" + CC[cc], lab))
        elif kind == "call":
            a.call(lab)
            expected.append(("call", lab))
        else:
            a.lea_label(cc, lab)
            expected.append(("lea", lab))
    for lab in labels:
        if not lab.bound:
            a.bind(lab)
    a.int3()  # so labels bound at the very end still point at an instruction
    code = a.finish()
    got = _jump_targets(code)
    assert [(m, t) for _, m, t in got] == [(m, lab.pos) for m, lab in expected]


# ------------------------------------------------------------------------------------------ speed


def test_encoding_throughput_report(capsys):
    """Prints the encoding rate for a JIT-like instruction mix (speed is the benchmarks' business, so only the code it
    encodes is checked: capstone must read the mix back)."""
    mem = Mem(R13, 0x40)
    gmem = Mem(x86.R14, 0x10, RAX, 1)
    n = 0
    t0 = time.perf_counter()
    for _ in range(2000):
        a = Assembler()
        lab = a.label()
        a.bind(lab)
        a.mov(RAX, mem)
        a.mov(RCX, Mem(R13, 0x48))
        a.add(RAX, RCX, 32)
        a.movsxd(RAX, RAX)
        a.mov(mem, RAX)
        a.sub(Mem(R13, 8), Imm(3))
        a.jcc(x86.S, lab)
        a.load(RDX, gmem, 4, True)
        a.store(gmem, RDX, 2)
        a.mov(RAX, Imm(0x12345678))
        a.cmp(RAX, Imm(1000))
        a.jcc(x86.AE, lab)
        a.shl(RAX, 3)
        a.jmp(lab)
        a.finish()
        n += 14
    rate = n / (time.perf_counter() - t0)
    with capsys.disabled():
        print(f"\nx86 encoder: {rate:,.0f} instructions/s ({1e6 / rate:.2f} µs each)")
    a = Assembler()  # the last repetition again, decoded
    lab = a.label()
    a.bind(lab)
    for emit in (lambda: a.mov(RAX, mem), lambda: a.mov(RCX, Mem(R13, 0x48)), lambda: a.add(RAX, RCX, 32),
                 lambda: a.movsxd(RAX, RAX), lambda: a.mov(mem, RAX), lambda: a.sub(Mem(R13, 8), Imm(3)),
                 lambda: a.jcc(x86.S, lab), lambda: a.load(RDX, gmem, 4, True), lambda: a.store(gmem, RDX, 2),
                 lambda: a.mov(RAX, Imm(0x12345678)), lambda: a.cmp(RAX, Imm(1000)), lambda: a.jcc(x86.AE, lab),
                 lambda: a.shl(RAX, 3), lambda: a.jmp(lab)):  # fmt: skip
        emit()
    assert [f"{i.mnemonic} {i.op_str}" for i in _MD.disasm(a.finish(), 0)] == [
        "mov rax, qword ptr [r13 + 0x40]", "mov rcx, qword ptr [r13 + 0x48]", "add eax, ecx", "movsxd rax, eax",
        "mov qword ptr [r13 + 0x40], rax", "sub qword ptr [r13 + 8], 3", "js 0",
        "movsxd rdx, dword ptr [r14 + rax + 0x10]", "mov word ptr [r14 + rax + 0x10], dx", "mov eax, 0x12345678",
        "cmp rax, 0x3e8", "jae 0", "shl rax, 3", "jmp 0"]  # fmt: skip
