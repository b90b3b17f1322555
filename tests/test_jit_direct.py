"""The JIT's direct encoders (pvmkit/pvm/jit/direct.py) against the code their emitters give through the assembler and
a template: the same bytes, for every host register at every operand position, registers in context slots, aliased
operands, and operands that straddle each encoding's boundaries (disp8/disp32, imm8/imm32, signs, 2^31 for absolute
addresses). Whether those bytes compute what the interpreter does is the differential tests' job (test_jit.py,
test_differential.py)."""

from __future__ import annotations

import itertools

import pytest

from pvmkit.pvm import semantics as sem
from pvmkit.pvm.blob import ProgramBlob
from pvmkit.pvm.interpreter import Module, ModuleConfig
from pvmkit.pvm.isa import KIND, REVIVE_V1, Kind
from pvmkit.pvm.jit import runtime as rt
from pvmkit.pvm.jit.compiler import _REG_COUNT, _SLOTS, HOST_REGS, JitCompiler
from pvmkit.pvm.jit.direct import DIRECT, compare
from pvmkit.pvm.jit.emitters import _compare
from pvmkit.pvm.jit.x86 import Imm, Mem
from pvmkit.pvm.program import assemble_code

M64 = 2**64 - 1
# Immediates around every boundary an encoding depends on, as decoded operands are (sign-extended 32-bit values).
IMMEDIATES = (0, 1, 2, 3, -1, 63, 64, 127, 128, -128, -129, 255, 0x7FFF, -0x8000, 0xFFFF, 0x7FFFFFFF, -0x80000000,
              0x12345678, -0x12345678)  # fmt: skip
ADDRESSES = (0, 8, 127, 128, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFF800, 0xFFFFFFFF)
# Offsets of indirect accesses: the immediates and both ends of a near store's reach (runtime.NEAR).
OFFSETS = IMMEDIATES + (rt.NEAR, rt.NEAR + 1, -rt.NEAR, -rt.NEAR - 1)
WIDE = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
        0xFFFFFFFF7FFFFFFF, 0xFFFFFFFF80000000, M64)  # fmt: skip


def _compiler() -> JitCompiler:
    code, bitmask = assemble_code(REVIVE_V1, [("trap", ())])
    return JitCompiler(Module(ProgramBlob(code=code, bitmask=bitmask), ModuleConfig(backend="interpreter")))


def _placements() -> list[tuple[int | Mem, ...]]:
    """Five register allocations, each with three guest registers in the context: over all guest register
    combinations, every host register comes at every operand position, next to every other and to context slots."""
    out = []
    for shift in range(0, 13, 3):
        regs: list[int | Mem] = list(_SLOTS)
        for k, host in enumerate(HOST_REGS):
            regs[(k + shift) % 13] = host
        out.append(tuple(regs))
    return out


def _template_bytes(c: JitCompiler, name: str, args: tuple[int, ...]) -> bytes:
    """What instruction() emits without the direct encoders: the emitter's code, through a template."""
    c.direct = {}
    start = len(c.a.code)
    assert c.instruction(0, name, args, 1)
    return bytes(c.a.code[start:])


def _operands(name: str) -> list[tuple[int, ...]]:
    """Samples of the operands after the registers."""
    kind = KIND[name]
    if kind is Kind.REG_IMM64:
        return [(v,) for v in WIDE]
    if kind is Kind.IMM_IMM:  # store_imm_<size> address, value
        return [(address, v) for address in ADDRESSES for v in IMMEDIATES[::3]]
    if kind is Kind.REG_IMM:  # an absolute address, or load_imm's value
        return [(v,) for v in (IMMEDIATES if name == "load_imm" else ADDRESSES)]
    if kind is Kind.REG_IMM_IMM:  # store_imm_indirect: offset, value
        return list(itertools.product(OFFSETS[::2] + OFFSETS[1::2][-2:], IMMEDIATES[1::2]))
    if kind is Kind.REG_REG_IMM:  # (an indirect access's offset, or an ALU immediate)
        return [(v,) for v in OFFSETS]
    assert kind in (Kind.REG_REG, Kind.REG_REG_REG), kind
    return [()]


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_direct_encoders_give_the_emitters_bytes(name: str) -> None:
    """Every guest register combination under five allocations (_placements), with every operand sample."""
    c = _compiler()
    n = _REG_COUNT[name]
    slots = 0
    for regs in _placements():
        c.regs, c.templates = regs, {}  # (its templates are keyed for one allocation)
        c.where = tuple(w if type(w) is int else 16 + i for i, w in enumerate(regs))
        for guest in itertools.product(range(13), repeat=n):
            slots += any(c.where[r] > 15 for r in guest)
            for operands in _operands(name):
                args = guest + operands
                assert DIRECT[name](c.where, args) == _template_bytes(c, name, args), (name, args, c.where)
    assert slots or n == 0


def test_dynamic_paging_leaves_memory_accesses_to_the_interpreter() -> None:
    """Under dynamic paging the interpreter serves every memory access (its pages are not in the JIT's space), so no
    access may be encoded directly: each one of a program is left out of what ran natively, and only there."""
    insts = [("load_indirect_u32", (8, 7, 4)), ("store_indirect_u64", (8, 7, 8)),
             ("store_imm_indirect_u8", (7, 1, 5)), ("load_u64", (9, 0x20008)), ("store_imm_u32", (0x20010, 3)),
             ("add_64", (8, 8, 9)), ("trap", ())]  # fmt: skip
    code, bitmask = assemble_code(REVIVE_V1, insts)
    blob = ProgramBlob(code=code, bitmask=bitmask, rw_data_size=4096)

    def native(dynamic: bool) -> int:
        config = ModuleConfig(backend="interpreter", dynamic_paging=dynamic)
        return JitCompiler(Module(blob, config)).compile().native_instructions

    assert native(False) - native(True) == 5


def test_branch_comparisons_give_the_emitters_bytes() -> None:
    """direct.compare, which branches use, against emitters._compare through the assembler: both operands in every
    placement, and immediates on both sides of the imm8/imm32 boundary."""
    c = _compiler()
    for regs in _placements():
        c.regs = regs
        c.where = tuple(w if type(w) is int else 16 + i for i, w in enumerate(regs))
        for x in range(13):
            cases = [(y, False) for y in range(13)] + [(v & 0xFFFFFFFF, True) for v in IMMEDIATES]
            for y, immediate in cases:
                start = len(c.a.code)
                _compare(c, x, Imm(sem.i32(y)) if immediate else y)
                assert compare(c.where, x, y, immediate) == bytes(c.a.code[start:]), (x, y, immediate, c.where)


def test_whole_programs_compile_alike_with_and_without_direct_encoders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every contract (static and dynamic paging) gives the same native program with the direct encoders as with
    templates alone: code, block and instruction offsets, copies, unrolled loops, and what ran natively."""
    from pvmkit.pvm.jit import compiler
    from tests.conftest import CONTRACTS

    def programs() -> list:
        out = []
        for path in sorted(CONTRACTS.glob("*.polkavm")):
            blob = ProgramBlob.parse(path.read_bytes())
            for dynamic in (False, True):
                p = JitCompiler(Module(blob, ModuleConfig(backend="interpreter", dynamic_paging=dynamic))).compile()
                out.append((p.code, p.charged, p.uncharged, p.copies, p.loops, p.native_instructions))
        return out

    direct = programs()
    monkeypatch.setattr(compiler, "DIRECT", {})
    monkeypatch.setattr(compiler, "DIRECT_DYNAMIC", {})
    templates = programs()
    assert len(direct) >= 30 and direct == templates


def test_lea_scaled_is_the_assemblers_lea() -> None:
    """direct.lea_scaled (the fused pair's code, and d = x + y, d = s << 1..3) against Assembler.lea, for every host
    register as destination, base and index (rbp and r13 as a base take a disp8; r12 as a base, a SIB), each scale,
    and without a base."""
    from pvmkit.pvm.jit.direct import lea_scaled
    from pvmkit.pvm.jit.x86 import Assembler

    for dst, index, scale in itertools.product(range(16), range(16), range(4)):
        if index == 4:  # (rsp is no index)
            continue
        for base in (*range(16), None):
            a = Assembler()
            a.lea(dst, Mem(base, 0, index=index, scale=1 << scale))
            assert lea_scaled(dst, base, index, scale) == bytes(a.code), (dst, base, index, scale)
