"""Decoding rules of reference/polkavm.md §2.2, checked on hand-made byte sequences."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pvmkit.pvm.isa import INVALID, JAM_V1, KIND, LATEST64, REVIVE_V1, Kind
from pvmkit.pvm.program import Code, Instruction, encode_imm, encode_instruction

TRAP, FALLTHROUGH, LOAD_IMM, ADD_32, JUMP = 0, 1, 51, 190, 40


def bits(*starts: int, length: int) -> bytes:
    out = bytearray((length + 7) // 8)
    for s in starts:
        out[s >> 3] |= 1 << (s & 7)
    return bytes(out)


def test_reg_reg_reg_operand_order_from_the_jam_vector() -> None:
    # inst_add_32: `190 0x87 9` is `i32 a2 = a0 + a1`: b1 = s1 | s2 << 4, b2 = d.
    code = Code(REVIVE_V1, bytes([190, 0x87, 9]), bits(0, length=3))
    inst, _ = code.decode(0)
    assert inst == Instruction(0, "add_32", (9, 7, 8), 3)


def test_register_fields_13_to_15_clamp_to_a5() -> None:
    code = Code(REVIVE_V1, bytes([100, 0xFD]), bits(0, length=2))  # move_reg d=13, s=15
    assert code.decode(0)[0].args == (12, 12)


def test_immediates_are_sign_extended_by_their_length() -> None:
    for raw, value in [(b"", 0), (b"\x7f", 127), (b"\x80", -128), (b"\xff\x7f", 0x7FFF), (b"\x00\x80", -0x8000),
                       (b"\x00\x00\x80", -0x800000), (b"\xff\xff\xff\xff", -1)]:  # fmt: skip
        code = Code(REVIVE_V1, bytes([LOAD_IMM, 7]) + raw, bits(0, length=2 + len(raw)))
        assert code.decode(0)[0].args == (7, value), raw


def test_bytes_past_the_end_read_as_zero_and_imm_length_is_clamped_to_4() -> None:
    # load_imm64 at the very end: the missing 8 immediate bytes read as zero.
    code = Code(REVIVE_V1, bytes([20, 7, 0xAA]), bits(0, length=3))
    assert code.decode(0)[0].args == (7, 0xAA)
    # A reg_imm with 6 argument bytes uses only 4 of them.
    code = Code(REVIVE_V1, bytes([LOAD_IMM, 7, 1, 2, 3, 4, 5, 6]), bits(0, length=8))
    assert code.decode(0)[0].args == (7, 0x04030201)


def test_skip_is_clamped_to_24_and_the_gap_is_an_implicit_trap() -> None:
    length = 40
    code = Code(REVIVE_V1, bytes([LOAD_IMM, 7]) + bytes(length - 2), bits(0, 38, length=length))
    insts = list(code.instructions())
    assert [(i.pc, i.name) for i in insts] == [(0, "load_imm"), (25, "invalid"), (38, "trap")]
    assert insts[0].next_pc == 25
    assert insts[1] == Instruction(25, "invalid", (), 38)
    assert code.block(0)[-1].name == "invalid"


def test_implicit_trap_after_last_fallthrough_instruction_only() -> None:
    code = Code(REVIVE_V1, bytes([LOAD_IMM, 7, 1]), bits(0, length=3))
    assert [i.name for i in code.instructions()] == ["load_imm", "invalid"]
    code = Code(REVIVE_V1, bytes([TRAP]), bits(0, length=1))
    assert [i.name for i in code.instructions()] == ["trap"]


def test_unknown_opcode_is_invalid_and_differs_per_isa() -> None:
    for isa, name in ((REVIVE_V1, "invalid"), (LATEST64, "sbrk"), (JAM_V1, "count_set_bits_64")):
        code = Code(isa, bytes([101, 0x87]), bits(0, length=2))
        assert code.decode(0)[0].name == name
    assert Code(REVIVE_V1, bytes([2]), bits(0, length=1)).decode(0)[0].name == "invalid"


def test_jump_target_validity() -> None:
    # load_imm; load_imm: the second is not a block start. trap; load_imm: it is.
    assert not Code(REVIVE_V1, bytes([LOAD_IMM, LOAD_IMM]), bits(0, 1, length=2)).is_jump_target_valid(1)
    assert Code(REVIVE_V1, bytes([TRAP, LOAD_IMM]), bits(0, 1, length=2)).is_jump_target_valid(1)
    assert Code(REVIVE_V1, bytes([LOAD_IMM]), bits(0, length=1)).is_jump_target_valid(0)
    # Not an instruction start, or after an invalid opcode: not a target.
    assert not Code(REVIVE_V1, bytes([TRAP, 0]), bits(0, length=2)).is_jump_target_valid(1)
    assert not Code(REVIVE_V1, bytes([255, LOAD_IMM]), bits(0, 1, length=2)).is_jump_target_valid(1)
    # A previous instruction more than 25 bytes back does not count.
    long = Code(REVIVE_V1, bytes([TRAP]) + bytes(26), bits(0, 26, length=27))
    assert not long.is_jump_target_valid(26)
    assert Code(REVIVE_V1, bytes([TRAP]) + bytes(25), bits(0, 25, length=26)).is_jump_target_valid(25)


def test_find_start_of_basic_block() -> None:
    code = Code(REVIVE_V1, bytes([TRAP, LOAD_IMM, 7, ADD_32, 0x87, 9, TRAP]), bits(0, 1, 3, 6, length=7))
    assert [code.find_start_of_basic_block(pc) for pc in (0, 1, 3, 6)] == [0, 1, 1, 1]
    assert code.find_start_of_basic_block(2) is None


def test_offsets_are_relative_to_the_instruction_and_wrap() -> None:
    code = Code(REVIVE_V1, bytes([TRAP, JUMP, 0xFF]), bits(0, 1, length=3))
    assert code.decode(1)[0].args == (0,)
    code = Code(REVIVE_V1, bytes([JUMP, 0xFF]), bits(0, length=2))
    assert code.decode(0)[0].args == (0xFFFFFFFF,)


def test_encode_imm_is_minimal() -> None:
    assert [len(encode_imm(v)) for v in (0, 1, 0x7F, 0x80, -1, -128, -129, 0x7FFF, 0x8000, 0x7FFFFFFF, -(2**31))] == [
        0, 1, 1, 2, 1, 1, 2, 2, 3, 4, 4]  # fmt: skip
    assert encode_imm(0xFFFFFF80) == b"\x80"


def _args_for(kind: Kind, draw) -> tuple[int, ...]:
    reg = st.integers(0, 12)
    imm = st.integers(-(2**31), 2**31 - 1)
    target = st.integers(0, 200)
    shapes = {
        Kind.ARGLESS: (), Kind.IMM: (imm,), Kind.OFFSET: (target,), Kind.IMM_IMM: (imm, imm),
        Kind.REG_IMM: (reg, imm), Kind.REG_IMM64: (reg, st.integers(0, 2**64 - 1)),
        Kind.REG_IMM_IMM: (reg, imm, imm), Kind.REG_IMM_OFFSET: (reg, imm, target), Kind.REG_REG: (reg, reg),
        Kind.REG_REG_IMM: (reg, reg, imm), Kind.REG_REG_OFFSET: (reg, reg, target),
        Kind.REG_REG_REG: (reg, reg, reg), Kind.REG_REG_IMM_IMM: (reg, reg, imm, imm),
    }  # fmt: skip
    return tuple(draw(s) for s in shapes[kind])


@given(st.data())
def test_encode_decode_round_trip_for_every_instruction(data: st.DataObject) -> None:
    isa = data.draw(st.sampled_from([REVIVE_V1, LATEST64, JAM_V1]))
    name = data.draw(st.sampled_from(sorted(isa.opcodes.values())))
    args = _args_for(KIND[name], data.draw)
    pc = data.draw(st.integers(0, 50))
    raw = encode_instruction(isa, name, args, pc)
    code = Code(isa, bytes(pc) + raw, bits(pc, length=pc + len(raw)))
    inst, _ = code.decode(pc)
    assert inst.name == name and inst.next_pc == pc + len(raw)
    expected = tuple(a & 0xFFFFFFFF if KIND[name] in (Kind.OFFSET,) else a for a in args)
    assert inst.args == expected


@given(st.binary(min_size=1, max_size=150), st.floats(0.02, 0.9), st.randoms(use_true_random=False))
def test_valid_targets_equals_asking_pc_by_pc(code: bytes, density: float, rnd) -> None:
    bitmask = bytearray((len(code) + 7) // 8)
    for i in range(len(code)):
        if rnd.random() < density:
            bitmask[i >> 3] |= 1 << (i & 7)
    c = Code(REVIVE_V1, code, bytes(bitmask))
    assert c.valid_targets() == {pc for pc in range(len(code)) if c.is_jump_target_valid(pc)}


def _reference_instructions(c: Code) -> list[Instruction]:
    """instructions() spelled out with decode() at every step (no decode cache, no fast path)."""
    from pvmkit.pvm.isa import NO_FALLTHROUGH

    out, pc, n = [], 0, len(c.code)
    if n and not c.is_instruction_start(0):
        out.append(Instruction(0, INVALID, (), c.next_instruction_start(0)))
        pc = out[-1].next_pc
    while pc < n:
        inst, next_invalid = c.decode(pc)
        out.append(inst)
        pc = inst.next_pc
        if next_invalid:
            if inst.name in NO_FALLTHROUGH and pc < n:
                pc = c.next_instruction_start(pc)
                continue
            nxt = c.next_instruction_start(pc) if pc < n else pc + 1
            out.append(Instruction(pc, INVALID, (), nxt))
            pc = nxt
    return out


@given(st.lists(st.one_of(st.sampled_from(sorted(REVIVE_V1.opcodes)), st.integers(0, 255)), min_size=1, max_size=200),
       st.floats(0.02, 0.9), st.randoms(use_true_random=False))  # fmt: skip
def test_linear_decoding_equals_decoding_pc_by_pc(code: list[int], density: float, rnd) -> None:
    """The linear pass's fast path and decode cache (repeated byte strings decode once) change nothing."""
    raw = bytes(code) * 2  # repeats, so the cache is hit, at other pcs (branch offsets must not be cached)
    bitmask = bytearray((len(raw) + 7) // 8)
    for i in range(len(raw)):
        if rnd.random() < density or i == 0:
            bitmask[i >> 3] |= 1 << (i & 7)
    c = Code(REVIVE_V1, raw, bytes(bitmask))
    reference = _reference_instructions(c)
    assert list(c.instructions()) == reference
    assert list(c.instructions()) == reference  # a second pass runs from the cache
    fresh = Code(REVIVE_V1, raw, bytes(bitmask), ())
    assert fresh.listing() == reference  # the whole-program decoder (bitmask table, tuples), with a cold cache
    assert list(fresh.instructions()) == reference and all(type(i) is Instruction for i in fresh.listing())
    pcs, forms, ends = Code(REVIVE_V1, raw, bytes(bitmask), ()).decoded()  # the lists the JIT and validation use
    assert [(pc, *form, end) for pc, form, end in zip(pcs, forms, ends, strict=True)] == reference
    for start in {i.pc for i in reference if i.name != INVALID}:  # blocks cut from the listing
        assert fresh.block(start) == Code(REVIVE_V1, raw, bytes(bitmask)).block(start)


@given(
    st.lists(st.tuples(st.sampled_from([TRAP, FALLTHROUGH, LOAD_IMM, JUMP, 255]), st.integers(1, 27)), max_size=12),
    st.booleans(),
)
def test_valid_targets_are_exactly_the_pcs_is_jump_target_valid_accepts(insts, pad_bit) -> None:
    """The JIT's set of block starts (one pass) and the interpreter's question per pc agree, for instructions up
    to 27 bytes long (past the 25 polkavm looks back), whichever byte of the bitmask the target starts."""
    code, starts = bytearray(), []
    for opcode, length in insts:
        starts.append(len(code))
        code += bytes([opcode]) + bytes(length - 1)
    bitmask = bytearray(bits(*starts, length=len(code)))
    if pad_bit and len(code) % 8:  # a start past the end of code (a parsed blob refuses it; Code must not care)
        bitmask[-1] |= 1 << (len(code) % 8)
    view = Code(REVIVE_V1, bytes(code), bytes(bitmask))
    assert view.valid_targets() == {pc for pc in range(len(bitmask) * 8) if view.is_jump_target_valid(pc)}


def test_a_previous_instruction_25_bytes_back_is_seen_only_from_an_unaligned_target() -> None:
    """polkavm's get_previous_instruction_skip reads the target's bitmask byte and the three before it: from a
    target at a multiple of 8 the start 25 bytes back is out of reach, so the target is not a block start."""
    aligned = Code(REVIVE_V1, bytes(7) + bytes([TRAP]) + bytes(24) + bytes([LOAD_IMM]), bits(7, 32, length=33))
    assert not aligned.is_jump_target_valid(32) and 32 not in aligned.valid_targets()
    unaligned = Code(REVIVE_V1, bytes(6) + bytes([TRAP]) + bytes(24) + bytes([LOAD_IMM]), bits(6, 31, length=32))
    assert unaligned.is_jump_target_valid(31) and 31 in unaligned.valid_targets()
    near = Code(REVIVE_V1, bytes(8) + bytes([TRAP]) + bytes(23) + bytes([LOAD_IMM]), bits(8, 32, length=33))
    assert near.is_jump_target_valid(32) and 32 in near.valid_targets()


@st.composite
def _related_programs(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """Programs that share most of their bytes, so that they share cache keys: one program, then copies cut short
    (instructions that read past the end), given other trailing bytes, or with one bitmask bit flipped (another
    skip for the same bytes)."""
    code = draw(st.binary(min_size=1, max_size=48))
    mask = draw(st.binary(min_size=6, max_size=6))
    out = [(code, mask)]
    starts = [i for i in range(len(code)) if mask[i >> 3] >> (i & 7) & 1] or [0]
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):  # just past an instruction start: the same bytes with another skip
            bit = min(draw(st.sampled_from(starts)) + draw(st.integers(1, 6)), 47)
        else:
            bit = draw(st.integers(0, 47))
        flipped = bytearray(mask)
        flipped[bit >> 3] ^= 1 << (bit & 7)
        out.append((code[: draw(st.integers(1, len(code)))] + draw(st.binary(max_size=4)), bytes(flipped)))
    return out


@given(programs=_related_programs(), isa=st.sampled_from([REVIVE_V1, LATEST64, JAM_V1]))
def test_decoded_instructions_shared_across_programs_change_nothing(programs, isa) -> None:
    """program.DECODED caches (name, operands) by instruction bytes for the whole process: each program must decode
    as it does with an empty cache, whatever the other programs (ending anywhere, any ISA) put there first."""
    from pvmkit.pvm.program import DECODED

    def listing(code: bytes, mask: bytes) -> list[Instruction]:
        return list(Code(isa, code, mask[: (len(code) + 7) // 8] + bytes(8)).listing())

    saved = {k: dict(v) for k, v in DECODED.items()}
    try:
        alone = []
        for code, mask in programs:
            DECODED.clear()
            alone.append(listing(code, mask))
        DECODED.clear()
        for other in (REVIVE_V1, LATEST64, JAM_V1):  # the same bytes under every ISA first
            for code, mask in programs:
                Code(other, code, mask[: (len(code) + 7) // 8] + bytes(8)).listing()
        assert [listing(code, mask) for code, mask in programs] == alone
    finally:
        DECODED.clear()
        DECODED.update(saved)


def test_the_same_bytes_under_another_skip_decode_apart() -> None:
    """store_imm_indirect's second immediate is as long as the skip leaves it, so the same six bytes are (7, 5, 0)
    with a skip of 2 and (7, 5, 0x080706) with one of 5, whichever of the two is decoded (and cached) first."""
    from pvmkit.pvm.program import DECODED

    body = bytes([REVIVE_V1.opcode_of("store_imm_indirect_u32"), 0x17, 0x05, 0x06, 0x07, 0x08, TRAP])
    expected = {2: (7, 5, 0), 5: (7, 5, 0x080706)}
    saved = {k: dict(v) for k, v in DECODED.items()}
    try:
        for order in ((2, 5), (5, 2)):
            DECODED.clear()
            for skip in order:
                bitmask = bytes([1 | 1 << (skip + 1), 0])
                assert Code(REVIVE_V1, body, bitmask).listing()[0].args == expected[skip], (order, skip)
    finally:
        DECODED.clear()
        DECODED.update(saved)


def test_cached_decoding_equals_decoding_each_instruction_afresh() -> None:
    """The process-wide cache keeps an instruction under its bytes only when its operands come from those bytes
    alone (program._own_bytes: fixed fields, plus the length nibble of a first immediate). Every opcode, with every
    skip up to 10 and operand bytes that make long and short immediates and high register fields, appears twice,
    followed by different bytes, so a short encoding that reads into the next instruction decodes differently; each
    must equal decode(), which never uses the cache (found in review: the tests let wrong read widths through)."""
    for isa in (REVIVE_V1, JAM_V1):
        fallthrough, trap = (next(op for op in range(256) if isa.name_of(op) == n) for n in ("fallthrough", "trap"))
        for op in sorted(op for op in range(256) if isa.name_of(op) in KIND):
            for skip in range(11):
                for pattern in ((0x00,), (0x14,), (0x31,), (0x44,), (0xFF,), (0x4F,), (0x00, 0x07)):
                    inst = bytes([op, *(pattern * skip)[:skip]])
                    code = inst + bytes([fallthrough, *[0] * 10]) + inst + bytes([trap, *[0xFF] * 10, trap])
                    starts = [0, len(inst), len(inst) + 11, 2 * len(inst) + 11, 2 * len(inst) + 22]
                    bitmask = bytearray((len(code) + 7) // 8)
                    for pc in starts:
                        bitmask[pc >> 3] |= 1 << (pc & 7)
                    c = Code(isa, code, bytes(bitmask))
                    for listed in c.listing()[:4]:  # (then the last trap and the implicit one at the end of code)
                        assert listed == c.decode(listed.pc)[0], (isa.name, code.hex())
