"""Assembler / disassembler: text forms, encodings, labels, directives, and lossless round trips."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvmkit.pvm.asm import FORMS, AsmError, assemble, format_instruction, invalid_opcode, parse_instruction
from pvmkit.pvm.blob import Export, ProgramBlob
from pvmkit.pvm.disasm import disassemble
from pvmkit.pvm.isa import INVALID, JAM_V1, KIND, LATEST32, LATEST64, REVIVE_V1, InstructionSet, Kind
from pvmkit.pvm.program import assemble_code

ISAS = (REVIVE_V1, LATEST32, LATEST64, JAM_V1)
VECTORS = Path("/work/shared/vectors/pvm/programs")
TARGET_KINDS = {Kind.OFFSET: 0, Kind.REG_IMM_OFFSET: 2, Kind.REG_REG_OFFSET: 2}

EDGE_IMMS = (0, 1, -1, 5, 127, 128, -128, -129, -4095, -4096, 0x1234, 0x7FFFFFFF, -0x80000000)
EDGE_U64 = (0, 5, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 63, (1 << 64) - 1, 0xFFFFFFFF80000000, 0xDEADBEEFCAFEBABE)
EDGE_TARGETS = (0, 7, 1000, 0xFFFFFFFF)
REG_PAIRS = ((7, 8), (8, 8), (0, 12))


def sample_args(kind: Kind) -> Iterator[tuple[int, ...]]:
    """A spread of operands per kind: edge immediates, equal and distinct registers."""
    if kind is Kind.ARGLESS:
        yield ()
    elif kind is Kind.IMM:
        yield from ((i,) for i in EDGE_IMMS)
    elif kind is Kind.OFFSET:
        yield from ((t,) for t in EDGE_TARGETS)
    elif kind is Kind.IMM_IMM:
        yield from itertools.product(EDGE_IMMS[:6], EDGE_IMMS[4:])
    elif kind is Kind.REG_IMM:
        yield from ((r, i) for r in (0, 7, 12) for i in EDGE_IMMS)
    elif kind is Kind.REG_IMM64:
        yield from ((r, v) for r in (0, 9) for v in EDGE_U64)
    elif kind is Kind.REG_IMM_IMM:
        yield from ((7, a, b) for a, b in itertools.product(EDGE_IMMS[:7], EDGE_IMMS[5:]))
    elif kind is Kind.REG_IMM_OFFSET:
        yield from ((r, i, t) for r in (0, 7) for i in EDGE_IMMS for t in EDGE_TARGETS[1:3])
    elif kind is Kind.REG_REG:
        yield from REG_PAIRS
    elif kind is Kind.REG_REG_IMM:
        yield from ((a, b, i) for a, b in REG_PAIRS for i in EDGE_IMMS)
    elif kind is Kind.REG_REG_OFFSET:
        yield from ((a, b, t) for a, b in REG_PAIRS for t in EDGE_TARGETS)
    elif kind is Kind.REG_REG_REG:
        yield from ((7, 8, 9), (7, 7, 7), (12, 0, 1))
    elif kind is Kind.REG_REG_IMM_IMM:
        yield from ((a, b, i, j) for a, b in REG_PAIRS for i in EDGE_IMMS[:5] for j in EDGE_IMMS[3:])
    else:
        raise AssertionError(kind)


def first_args(name: str) -> tuple[int, ...]:
    """Representative operands; targets point past the code so they stay numeric in disassembly."""
    args = list(next(sample_args(KIND[name])))
    if KIND[name] in TARGET_KINDS:
        args[TARGET_KINDS[KIND[name]]] = 1000
    return tuple(args)


def decoded(blob: ProgramBlob) -> list[tuple[str, tuple[int, ...]]]:
    return [(i.name, i.args) for i in blob.code_view().instructions()]


def normalized(blob: ProgramBlob) -> dict[str, object]:
    """Everything that defines a program, with code offsets mapped to (instruction index) where they hit one."""
    code = blob.code_view()
    insts = list(code.instructions())
    index = {i.pc: n for n, i in enumerate(insts) if i.pc < len(code) and code.is_instruction_start(i.pc)}

    def where(pc: int) -> tuple[str, int]:
        return ("inst", index[pc]) if pc in index else ("offset", pc)

    listing = []
    for i in insts:
        args: list[object] = list(i.args)
        if i.name != INVALID and i.kind in TARGET_KINDS:
            args[TARGET_KINDS[i.kind]] = where(i.args[TARGET_KINDS[i.kind]])
        listing.append((i.name, tuple(args), code.is_jump_target_valid(i.pc)))
    return {
        "isa": blob.isa.name,
        "memory": (blob.ro_data_size, blob.rw_data_size, blob.stack_size),
        "data": (blob.ro_data, blob.rw_data),
        "imports": tuple(s or b"" for s in blob.imports),
        "exports": tuple((where(e.pc), e.symbol) for e in blob.exports),
        "jump_table": tuple(where(t) for t in blob.jump_table),
        "instructions": listing,
    }


def assert_round_trip(blob: ProgramBlob) -> ProgramBlob:
    text = disassemble(blob)
    again = assemble(text)
    assert normalized(again) == normalized(blob), text
    assert (again.code, again.bitmask) == (blob.code, blob.bitmask), text
    assert disassemble(again) == text
    return again


# -- every instruction: text ↔ instruction ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REVIVE_V1.opcodes.values()))
def test_revive_instruction_assembles_and_disassembles(name: str) -> None:
    args = first_args(name)
    text = format_instruction(REVIVE_V1, name, args)
    blob = assemble(text)
    assert decoded(blob)[0] == (name, args)
    listing = disassemble(blob).splitlines()
    lines = [line.split(":", 1)[1].split("//")[0].strip() for line in listing if line.lstrip().startswith("0:")]
    assert lines == [text]
    assert format_instruction(REVIVE_V1, *parse_instruction(text)) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("isa", ISAS, ids=lambda i: i.name)
def test_every_form_parses_back_exactly(isa: InstructionSet) -> None:
    """format → parse is the identity for every instruction and many operand values (no ambiguous forms)."""
    count = 0
    for name in isa.opcodes.values():
        for args in sample_args(KIND[name]):
            text = format_instruction(isa, name, args)
            assert parse_instruction(text, isa) == (name, args), text
            count += 1
    assert count > 1000


def test_aliases_and_upstream_spellings() -> None:
    cases = {
        "a2 = 9 >>r a0": ("rotate_right_imm_alt_64", (9, 7, 9)),
        "i32 a2 = 9 >>r a0": ("rotate_right_imm_alt_32", (9, 7, 9)),
        "a0 = a1 - 5": ("add_imm_64", (7, 8, -5)),
        "a0 = 5 + a1": ("add_imm_64", (7, 8, 5)),
        "i32 a0 = -a1": ("negate_and_add_imm_32", (7, 8, 0)),
        "a0 = a1 >u a2": ("set_less_than_unsigned", (7, 9, 8)),
        "a0 = 5 <u a1": ("set_greater_than_unsigned_imm", (7, 8, 5)),
        "jump 12 if a0 >u a1": ("branch_less_unsigned", (8, 7, 12)),
        "jump 12 if a0 <=s a1": ("branch_greater_or_equal_signed", (8, 7, 12)),
        "jump 12 if 3 <u a1": ("branch_greater_unsigned_imm", (8, 3, 12)),
        "jump 12 if a0 == -5": ("branch_eq_imm", (7, -5, 12)),
        "a0 = u16 [a1 ]": ("load_indirect_u16", (7, 8, 0)),
        "u8 [a0] = 0x5": ("store_imm_indirect_u8", (7, 0, 5)),
        "u32 [a0 + -4] = a1": ("store_indirect_u32", (8, 7, -4)),
        "a0 = 0xffffffffffffffff": ("load_imm", (7, -1)),
        "a0 = -1": ("load_imm", (7, -1)),
        "a0 = 0x80000000": ("load_imm64", (7, 0x80000000)),
        "load_imm64 a0, 5": ("load_imm64", (7, 5)),
        "ra = 2, jump [a1 + 0]": ("load_imm_and_jump_indirect", (0, 8, 2, 0)),
        "tmp = a0, a0 = 1, jump [tmp]": ("load_imm_and_jump_indirect", (7, 7, 1, 0)),
        "ret": ("jump_indirect", (0, 0)),
        "jump [a0]": ("jump_indirect", (7, 0)),
        "nop": ("move_reg", (0, 0)),
        "add_64 a0, r8, s1": ("add_64", (7, 8, 6)),
        "a0 = a1 mulhsu a2": ("mul_upper_signed_unsigned", (7, 8, 9)),
        "ecalli 0xffffffff": ("ecalli", (-1,)),
    }
    for text, expected in cases.items():
        assert parse_instruction(text) == expected, text


@pytest.mark.parametrize(
    ("name", "args", "text"),
    [
        ("add_32", (9, 7, 8), "i32 a2 = a0 + a1"),
        ("and_inverted", (7, 8, 9), "a0 = a1 & ~a2"),
        ("or_inverted", (7, 8, 9), "a0 = a1 | ~a2"),
        ("add_imm_64", (1, 1, -16), "sp = sp - 16"),
        ("add_imm_64", (1, 1, -4096), "sp = sp + 0xfffffffffffff000"),
        ("negate_and_add_imm_64", (7, 8, 0), "a0 = -a1"),
        ("load_imm", (7, -1), "a0 = 0xffffffffffffffff"),
        ("load_imm64", (7, 0xDEADBEEF), "a0 = 0xdeadbeef"),
        ("load_imm64", (7, 5), "load_imm64 a0, 0x5"),
        ("store_imm_indirect_u32", (7, -4, -1), "u32 [a0 + -4] = 0xffffffffffffffff"),
        ("store_indirect_u8", (10, 7, 2), "u8 [a0 + 0x2] = a3"),
        ("load_u8", (7, 0x20000), "a0 = u8 [0x20000]"),
        ("branch_eq_imm", (7, 1234, 17), "jump 17 if a0 == 1234"),
        ("load_imm_and_jump", (0, 123, 17), "ra = 123, jump 17"),
        ("load_imm_and_jump_indirect", (0, 8, 2, 0), "ra = 2, jump [a1]"),
        ("load_imm_and_jump_indirect", (7, 7, -1, 4), "tmp = a0, a0 = -1, jump [tmp + 0x4]"),
        ("jump_indirect", (0, 0), "ret"),
        ("jump_indirect", (7, 4), "jump [a0 + 0x4]"),
        ("cmov_if_not_zero_imm", (7, 8, 5), "a0 = 0x5 if a1 != 0"),
        ("ecalli", (-1,), "ecalli 4294967295"),
        ("rotate_right_imm_alt_64", (9, 7, 9), "a2 = 0x9 >>r a0"),
    ],
)
def test_upstream_text(name: str, args: tuple[int, ...], text: str) -> None:
    """Exact strings of polkavm's InstructionFormatter (default options, 64-bit)."""
    assert format_instruction(REVIVE_V1, name, args) == text
    assert parse_instruction(text) == (name, args)


def test_32_bit_isa_forms() -> None:
    assert format_instruction(LATEST32, "add_32", (9, 7, 8)) == "a2 = a0 + a1"
    assert parse_instruction("a2 = a0 + a1", LATEST32) == ("add_32", (9, 7, 8))
    assert parse_instruction("i32 a2 = a0 + a1", LATEST32) == ("add_32", (9, 7, 8))
    assert format_instruction(LATEST32, "load_imm", (7, -1)) == "a0 = 0xffffffff"
    assert parse_instruction("a0 = 0xffffffff", LATEST32) == ("load_imm", (7, -1))


def test_latest_only_instructions() -> None:
    blob = assemble("%isa = latest64\n[a0..a0 + a2] = u8 a1\na0 = sbrk a1\nunlikely\ntrap")
    assert blob.isa is LATEST64
    assert [n for n, _ in decoded(blob)] == ["memset", "sbrk", "unlikely", "trap"]
    assert decoded(assemble("unlikely", JAM_V1))[0][0] == "unlikely"


# -- hand-checked encodings --------------------------------------------------------------------


def test_jam_vector_add_32_encoding() -> None:
    blob = assemble("i32 a2 = a0 + a1")
    assert list(blob.code) == [190, 0x87, 9]
    assert list(blob.code_and_jump_table()) == [0, 0, 3, 190, 135, 9, 1]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a0 = 0x1234", [51, 7, 0x34, 0x12]),
        ("ecalli 3", [10, 3]),
        ("ret", [50, 0]),
        ("trap", [0]),
        ("fallthrough", [1]),
        ("u8 [a0 + 2] = 0x5", [70, 0x17, 2, 5]),
        ("a0 = 0x100000000", [20, 7, 0, 0, 0, 0, 1, 0, 0, 0]),
        ("a0 = a1", [100, 0x87]),
        ("u32 [0x20000] = a3", [61, 10, 0, 0, 2]),
        ("a0 = u8 [0x20000]", [52, 7, 0, 0, 2]),
        ("ra = 2, jump [a1 + 0]", [180, 0x80, 1, 2]),
    ],
)
def test_encodings(text: str, code: list[int]) -> None:
    assert list(assemble(text).code) == code


def test_invalid_is_an_undefined_opcode() -> None:
    for isa in ISAS:
        blob = assemble("invalid\n@after: %no_fallthrough\ntrap", isa)
        assert blob.code[0] not in isa.opcodes
        assert blob.code[0] == invalid_opcode(isa)
        assert len(blob.code) == 2
        assert decoded(blob)[0] == (INVALID, ())
        assert not blob.code_view().is_jump_target_valid(1)  # nothing after an undefined opcode is a target
        # so a plain label there gets a fallthrough to become a valid target, like after any non-terminator
        blob = assemble("invalid\n@after:\ntrap", isa)
        assert [n for n, _ in decoded(blob)] == [INVALID, "fallthrough", "trap"]
        assert blob.code_view().is_jump_target_valid(2)


# -- labels, exports, directives ---------------------------------------------------------------


def test_forward_and_backward_labels() -> None:
    blob = assemble(
        """
        pub @main:
            a0 = 0
        @loop:
            a0 = a0 + 1
            jump @loop if a0 <u 10
            jump @done
            trap
        @done:
            ret
        """
    )
    insts = list(blob.code_view().instructions())
    by_name = {i.name: i for i in insts}
    assert insts[1].name == "fallthrough"  # a label after a non-terminator gets one, as in polkavm
    loop_pc = insts[2].pc
    assert by_name["branch_less_unsigned_imm"].args == (7, 10, loop_pc)
    assert by_name["jump"].args == (by_name["jump_indirect"].pc,)
    assert blob.exports == (Export(0, b"main"),)
    assert blob.code_view().is_jump_target_valid(loop_pc)


def test_no_fallthrough_and_numeric_targets() -> None:
    blob = assemble("a0 = 1\n@x: %no_fallthrough\na1 = 2\njump @x\njump 3")
    names = [n for n, _ in decoded(blob)]
    assert names[:3] == ["load_imm", "load_imm", "jump"]
    assert decoded(blob)[2][1] == (3,)
    assert decoded(blob)[3][1] == (3,)


def test_long_jumps_resolve_with_variable_size_offsets() -> None:
    body = "\n".join("a0 = 0x12345678" for _ in range(60))  # 6 bytes each: pushes offsets past 127
    blob = assemble(f"@top:\njump @bottom\n{body}\n@bottom:\njump @top if a0 == 0\ntrap")
    insts = list(blob.code_view().instructions())
    bottom = insts[[i.name for i in insts].index("fallthrough") + 1]
    jump, branch = insts[0], bottom
    assert branch.name == "branch_eq_imm"
    assert jump.args == (bottom.pc,) and bottom.pc > 300
    assert jump.next_pc == 3  # opcode + 2-byte offset
    assert branch.args == (7, 0, 0)
    assert blob.code_view().is_jump_target_valid(bottom.pc)


def test_directives() -> None:
    blob = assemble(
        """
        %ro_data_size = 4096
        %rw_data_size = 0x2000
        %stack_size = 512
        %ro_data = 01 02 03
        %ro_data += 04
        %rw_data = ff
        %import 1 "second"
        %import 0 first
        %jump_table = @b, @a
        %export @a "weird name\\x00"
        pub @a:
            a0 = @b          // loads the jump-table address of @b: (0 + 1) * 2
            a1 = @c          ; not in the table yet: appended
            ret
        @b:
            trap
        @c:                  # a third comment style
            trap
        """
    )
    assert (blob.ro_data_size, blob.rw_data_size, blob.stack_size) == (4096, 0x2000, 512)
    assert (blob.ro_data, blob.rw_data) == (b"\x01\x02\x03\x04", b"\xff")
    assert blob.imports == (b"first", b"second")
    pcs = {n: i.pc for n, i in zip(("a", "x", "r", "b", "c"), blob.code_view().instructions(), strict=False)}
    assert blob.jump_table == (pcs["b"], pcs["a"], pcs["c"])
    assert blob.exports == (Export(0, b"weird name\x00"), Export(0, b"a"))
    assert decoded(blob)[:2] == [("load_imm", (7, 2)), ("load_imm", (8, 6))]
    assert ProgramBlob.parse(blob.write()) == blob


def test_disassembly_header_and_annotations() -> None:
    blob = assemble(
        '%import 0 "print"\n%stack_size = 64\npub @main:\necalli 0\nret\n@other:\njump @main',
    )
    text = disassemble(blob)
    assert "// isa: revive_v1" in text
    assert "stack_size=64" in text
    assert "#0: print" in text
    assert "pc 0: main" in text
    assert "ecalli 0  // import #0: print" in text
    assert "pub @main:  // gas: 2" in text
    assert "jump @main" in text
    assert "gas" not in disassemble(blob, show_gas=False).split("%isa")[1]
    assert_round_trip(blob)


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.skipif(not VECTORS.is_dir(), reason="no JAM vector programs")
def test_vector_programs_round_trip() -> None:
    files = sorted(VECTORS.glob("*.json"))
    assert files
    for path in files:
        blob = ProgramBlob.from_code_and_jump_table(bytes(json.loads(path.read_text())["program"]))
        assert_round_trip(blob)


def test_non_canonical_code_round_trips_byte_for_byte() -> None:
    # load_imm with a 4-byte immediate 1 (canonical: 1 byte), a 30-byte gap, a truncated last instruction,
    # and a bitmask that does not start at 0.
    code = bytes([0xAA, 51, 7, 1, 0, 0, 0]) + bytes([0] * 30) + bytes([100, 0x87, 200])
    starts = [1, 7 + 30, 7 + 32]
    bitmask = bytearray((len(code) + 7) // 8)
    for s in starts:
        bitmask[s >> 3] |= 1 << (s & 7)
    blob = ProgramBlob(code=code, bitmask=bytes(bitmask), jump_table=(3, 38, 1000))
    text = disassemble(blob)
    assert "%raw" in text and "%bytes aa" in text
    assert_round_trip(blob)


def arg_strategy(kind: Kind, code_hint: int) -> st.SearchStrategy[tuple[int, ...]]:
    reg = st.integers(0, 12)
    imm = st.one_of(st.sampled_from(EDGE_IMMS), st.integers(-(1 << 31), (1 << 31) - 1))
    target = st.one_of(st.integers(0, code_hint), st.integers(0, 0xFFFFFFFF))
    parts = {
        Kind.ARGLESS: (), Kind.IMM: (imm,), Kind.OFFSET: (target,), Kind.IMM_IMM: (imm, imm),
        Kind.REG_IMM: (reg, imm), Kind.REG_IMM64: (reg, st.integers(0, (1 << 64) - 1)),
        Kind.REG_IMM_IMM: (reg, imm, imm), Kind.REG_IMM_OFFSET: (reg, imm, target), Kind.REG_REG: (reg, reg),
        Kind.REG_REG_IMM: (reg, reg, imm), Kind.REG_REG_OFFSET: (reg, reg, target),
        Kind.REG_REG_REG: (reg, reg, reg), Kind.REG_REG_IMM_IMM: (reg, reg, imm, imm),
    }[kind]  # fmt: skip
    return st.tuples(*parts)


@st.composite
def programs(draw: st.DrawFn) -> ProgramBlob:
    isa = draw(st.sampled_from(ISAS))
    names = sorted(isa.opcodes.values())
    count = draw(st.integers(1, 25))
    insts = []
    for _ in range(count):
        name = draw(st.sampled_from(names))
        insts.append((name, draw(arg_strategy(KIND[name], 6 * count))))
    code, bitmask = assemble_code(isa, insts)
    offsets = st.integers(0, len(code) + 2)
    ro = draw(st.binary(max_size=40))
    return ProgramBlob(
        isa=isa,
        ro_data_size=len(ro) + draw(st.integers(0, 4096)),
        rw_data_size=draw(st.integers(0, 1 << 20)),
        stack_size=draw(st.integers(0, 1 << 16)),
        ro_data=ro,
        imports=tuple(draw(st.lists(st.binary(max_size=6), max_size=3))),
        exports=tuple(draw(st.lists(st.builds(Export, offsets, st.binary(max_size=6)), max_size=3))),
        jump_table=tuple(draw(st.lists(offsets, max_size=5))),
        code=code,
        bitmask=bitmask,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_programs_round_trip(blob: ProgramBlob) -> None:
    again = assert_round_trip(blob)
    assert decoded(again) == decoded(blob)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ISAS), st.binary(min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_random_bytes_round_trip(isa: InstructionSet, code: bytes, rnd: object) -> None:
    bits = [rnd.random() < 0.4 for _ in range(len(code))]  # type: ignore[attr-defined]
    bitmask = bytearray((len(code) + 7) // 8)
    for pc, bit in enumerate(bits):
        if bit:
            bitmask[pc >> 3] |= 1 << (pc & 7)
    assert_round_trip(ProgramBlob(isa=isa, code=code, bitmask=bytes(bitmask)))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ISAS), st.data())
def test_random_pretty_exports(isa: InstructionSet, data: st.DataObject) -> None:
    names = data.draw(st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), unique=True, max_size=4))
    text = "\n".join(f"pub @{n}:\ntrap" for n in names) + "\ntrap"
    blob = assemble(text, isa)
    assert [e.symbol.decode() for e in blob.exports] == names
    assert "pub @" in disassemble(blob) or not names
    assert_round_trip(blob)


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("trap\nfrobnicate a0", 2, "unknown instruction or keyword 'frobnicate'"),
        ("trap\n\na0 = a9 + a1", 3, "unknown register 'a9'"),
        ("jump @nowhere", 1, "unknown label @nowhere"),
        ("trap\njump @x if a0 == 1\n", 2, "unknown label @x"),
        ("a0 = a1 + 0x100000000", 1, "does not fit in 32 bits"),
        ("a0 = 0x10000000000000000", 1, "does not fit"),
        ("@a:\ntrap\n@a:\ntrap", 3, "duplicate label @a"),
        ("%frob = 1", 1, "unknown directive %frob"),
        ("a0 = sbrk a1", 1, "not available in the revive_v1 instruction set"),
        ("trap\n%isa = latest64", 2, "%isa must come before"),
        ("%import 1 foo\ntrap", 1, "index 0 is missing"),
        ("%ro_data_size = 1\n%ro_data = 0102", 1, "larger than %ro_data_size"),
        ("%ro_data = 0g", 1, "expected hex bytes"),
        ("a0 = 1, jump [a0]", 1, "ambiguous"),
        ("a0 = a1 +", 1, "cannot parse instruction"),
        ("jump 0x100000000", 1, "not a 32-bit code offset"),
        ("a0 = a1 € a2", 1, "unexpected character"),
        ("@bad label:", 1, "bad label definition"),
        ("trap\na0 = a1 if a2 == 5", 2, "does not match '{r0} = {r1} if {r2} == 0' (cmov_if_zero)"),
        ('%import 0 "\\q"', 1, "unknown escape \\q"),
        ('%import 0 "\\xzz"', 1, "unknown escape \\x"),
    ],
)
def test_errors_have_line_numbers(text: str, line: int, fragment: str) -> None:
    with pytest.raises(AsmError) as info:
        assemble(text)
    assert info.value.line == line
    assert fragment in str(info.value), str(info.value)
    assert str(info.value).startswith(f"line {line}: ")


WORDS = [
    "a0", "a1", "ra", "r13", "=", "+", "-", "-5", "0x10", "0xffffffffffffffff", "@x", "@x:", "jump", "if", "==",
    "<u", ">>r", "[", "]", ",", "u8", "i32", "tmp", "pub", "%ro_data", "%import", "%jump_table", "%raw", "ret",
    "trap", "ecalli", "\"", "~(", ")", "maxs(", "99999999999999999999", "%no_fallthrough", "//", ":", "{r0}",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=7).map(" ".join), max_size=6).map("\n".join))
def test_garbage_only_raises_asm_error(text: str) -> None:
    try:
        assemble(text)
    except AsmError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_only_raises_asm_error(text: str) -> None:
    try:
        assemble(text)
    except AsmError:
        pass


def test_forms_table_covers_every_instruction() -> None:
    for isa in ISAS:
        assert set(isa.opcodes.values()) <= set(FORMS)
    assert INVALID in FORMS


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([REVIVE_V1, LATEST64]), st.binary(min_size=1, max_size=80), st.binary(min_size=1, max_size=11))
def test_block_gas_in_the_listing_is_what_code_block_reads(isa: InstructionSet, code: bytes, mask: bytes) -> None:
    """The disassembler counts each block's instructions in one pass over the listing; the `// gas: N` it writes
    above a block's first instruction must be what Code.block() reads from there (terminators, implicit traps at
    gaps and at the end)."""
    import re

    blob = ProgramBlob(isa=isa, code=code, bitmask=(mask + bytes(11))[: (len(code) + 7) // 8])
    c = blob.code_view()
    gas = None
    checked = 0
    for line in disassemble(blob).split("%jump_table", 1)[-1].splitlines():
        if (found := re.search(r"// gas: (\d+)", line)) is not None:
            gas = int(found[1])
        elif gas is not None and (at := re.match(r"\s*(\d+):", line)) is not None:
            assert gas == len(c.block(int(at[1]))), line
            gas, checked = None, checked + 1
    assert gas is None and checked == sum(line.count("// gas:") for line in disassemble(blob).splitlines()[1:])


def test_cli_disasm_streams_the_same_text_to_stdout_and_to_a_file(tmp_path: Path) -> None:
    """`pvmkit disasm` writes the disassembler's pieces in batches of 4,096 (never the whole text at once): over more
    than one batch (ERC-20: ~6,000 pieces), stdout and `-o FILE` must both be exactly disassemble()'s text; an
    unwritable `-o` is one line of error."""
    from click.testing import CliRunner

    from pvmkit.cli import main
    from pvmkit.pvm.disasm import disassembly
    from tests.conftest import CONTRACTS

    path = CONTRACTS / "ERC20.polkavm"
    want = disassemble(ProgramBlob.parse(path.read_bytes()))
    assert len(list(disassembly(ProgramBlob.parse(path.read_bytes())))) > 4096
    out = CliRunner().invoke(main, ["disasm", str(path)])
    assert out.exit_code == 0 and out.output == want
    target = tmp_path / "erc20.s"
    out = CliRunner().invoke(main, ["disasm", str(path), "-o", str(target)])
    assert out.exit_code == 0 and target.read_text() == want
    out = CliRunner().invoke(main, ["disasm", str(path), "-o", str(tmp_path / "missing" / "erc20.s")])
    assert out.exit_code == 1 and out.output.strip().splitlines()[-1].startswith("Error: cannot write")


def test_a_jump_laid_out_larger_than_the_assembler_would_comes_back_as_it_was() -> None:
    """Found in review: a 3-byte jump +128 over 125 one-byte instructions is canonical where it is, but the assembler
    takes the smallest layout, a 2-byte jump +127, so its disassembly came back one byte shorter (every pc after it
    moved, and a jump-table entry inside the old jump became valid). The disassembler keeps it as %raw."""
    from pvmkit.pvm.program import encode_instruction

    jump = encode_instruction(REVIVE_V1, "jump", (128,), 0)
    fallthrough, trap = (encode_instruction(REVIVE_V1, name, (), 0) for name in ("fallthrough", "trap"))
    code = jump + fallthrough * 125 + trap
    assert len(jump) == 3 and len(code) == 129
    bitmask = bytearray((len(code) + 7) // 8)
    for pc in [0, *range(3, 129)]:
        bitmask[pc >> 3] |= 1 << (pc & 7)
    blob = ProgramBlob.parse(ProgramBlob(code=code, bitmask=bytes(bitmask), jump_table=(2,),
                                         jump_table_entry_size=1).write())  # fmt: skip
    text = disassemble(blob)
    assert "%raw 288000  // jump @L128 (kept as is" in text
    again = assemble(text)
    assert (again.code, again.bitmask, again.jump_table) == (blob.code, blob.bitmask, blob.jump_table)


def test_jumps_the_assembler_grew_past_their_smallest_layout_round_trip() -> None:
    """Numeric targets can make the assembler's sizes oscillate, after which it only grows them: its own output may
    be larger than the smallest layout, which a disassembly must reproduce rather than re-derive (found in review:
    130 bytes came back as 128, and a `jump 2` that trapped then looped forever)."""
    source = "\n".join([
        "jump @l0", "jump 2", "trap", "a0 = a1 + a2", "%raw c8000000", "jump @l1", "trap", "ret", "@l1:",
        "ra = 0, jump @l0", "@l2:", "jump @l2", "jump @l0", "ret", "ra = -1, jump @l0", "jump @l0 if a0 == 5",
        "a0 = a1 + a2", "a0 = 0x123456789abcdef0", "u32 [a0 + 0x10] = a1", "a0 = a1 + a2", "jump 3", "jump @l2",
        "a0 = 0x12345", "u32 [a0 + 0x10] = a1", "jump @l0", "jump @l0", "ra = 0, jump @l1", "fallthrough",
        "%raw 0100", "jump @l0 if a0 <u -7", "jump @l2 if a0 <u -7", "ret", "fallthrough", "ret", "a0 = a1 + a2",
        "%raw 0100", "ra = 0, jump @l2", "%raw 00", "ra = 300, jump @l0", "jump @l0", "jump 3", "a2 = @l2",
        "ra = -1, jump @l0", "%raw 28ff", "ra = -1, jump @l1", "a0 = 0x12345", "jump @l0", "%raw 28ff", "%raw 00",
        "@l0:", "trap",
    ])  # fmt: skip
    blob = assemble(source)
    again = assemble(disassemble(blob))
    assert (again.code, again.bitmask, again.jump_table) == (blob.code, blob.bitmask, blob.jump_table)


def test_a_chain_of_jumps_each_grown_by_the_last_converges_and_round_trips() -> None:
    """Found in review: each backward jump spans the one before it and needs 2 offset bytes only once that one has
    grown, so growth crossed one link per round, and 300 links did not converge in 256 rounds (nor did the
    disassembly of such a blob re-assemble)."""
    filler = "\n".join(["a0 = a1 + a2"] * 21)  # 63 bytes
    lines = ["@M0:", filler, "jump @far"]
    for k in range(1, 301):
        lines += [f"@M{k}:", filler, f"jump @M{k - 1}"]
    blob = assemble("\n".join([*lines, "@far:", "trap"]))
    assert len(blob.code) == 301 * (63 + 3) + 1  # every jump at its one fixed point: 3 bytes
    again = assemble(disassemble(blob))
    assert (again.code, again.bitmask) == (blob.code, blob.bitmask)
    assert assemble("%stack_size = 007\ntrap").stack_size == 7  # (as `a0 = 007` reads it)


def test_disassembly_of_a_huge_jump_table_is_written_as_it_goes() -> None:
    """Found in review: a 16M-entry jump table's lines were all made before the first was written (1.4 GB). Each line
    is now made as it is written: the peak stays a few bytes per entry (the strings took ~60)."""
    import tracemalloc

    from pvmkit.pvm.disasm import disassembly

    n = 1 << 18
    blob = ProgramBlob(code=bytes([1]) * 16, bitmask=b"\xff\xff", jump_table=(5,) * n)
    tracemalloc.start()
    try:
        lines = sum(line.startswith("%jump_table") for line in disassembly(blob))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines == n // 16 and peak < 30 * n


def test_an_imports_section_the_writer_would_not_make_survives_disasm_and_asm() -> None:
    """Found in review: an import whose offset named no symbol came back as `%import 0 ""`, and the symbol bytes were
    lost. Such a section is written as it is (%imports_raw), so disasm then asm gives the same bytes."""
    from pvmkit.pvm.disasm import disassembly

    def blob(offsets: bytes, symbols: bytes) -> bytes:
        return ProgramBlob(code=bytes([0]), bitmask=b"\x01", _imports_raw=(offsets, symbols)).write()  # type: ignore[call-arg]

    u32 = lambda *xs: b"".join(x.to_bytes(4, "little") for x in xs)  # noqa: E731
    cases = [
        (u32(0x80000000, 4), b"abcdefgh"),  # the first import's offset points past the symbols
        (u32(1, 1), b"abc"),  # a byte no import names, then an empty import and "bc"
        (u32(3), b"abcdef"),  # bytes before the first symbol
    ]
    for offsets, symbols in cases:
        raw = blob(offsets, symbols)
        text = "".join(disassembly(ProgramBlob.parse(raw)))
        assert "%imports_raw = " in text
        assert assemble(text).write() == raw, (offsets, symbols)
    plain = ProgramBlob(code=bytes([0]), bitmask=b"\x01", imports=(b"seal_return",)).write()
    assert '%import 0 "seal_return"' in "".join(disassembly(ProgramBlob.parse(plain)))
    with pytest.raises(AsmError, match="one way"):
        assemble('%imports_raw = 00000000 61\n%import 0 "a"\n')
    with pytest.raises(AsmError, match="u32s"):
        assemble("%imports_raw = 000000 61\n")
