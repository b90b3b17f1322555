"""The .polkavm container: varints, section rules, round trips, positioned errors, fuzzing."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvmkit.pvm.blob import Export, ProgramBlob, ProgramBlobError, read_varint, write_varint
from pvmkit.pvm.isa import JAM_V1, LATEST32, LATEST64, REVIVE_V1
from pvmkit.pvm.program import assemble_code

# The verified worked example from reference/polkavm.md §1.5 (polkavm's example-hello-world, Latest32).
HELLO = bytes.fromhex(
    "50564d00015d00000000000000"
    "0104 0000a000"
    "0415 0100000000" + b"get_third_number".hex() + ""
    "050e 01000b"
    + b"add_numbers".hex()
    + "0620 000019 8311f87a10047a15be78050abe5707811004811583110832 00 4999940000".replace(" ", "").replace("\n", "")
)


def test_hello_world_example_parses_as_documented() -> None:
    blob = ProgramBlob.parse(HELLO)
    assert blob.isa is LATEST32
    assert (blob.ro_data_size, blob.rw_data_size, blob.stack_size) == (0, 0, 0x2000)
    assert blob.imports == (b"get_third_number",)
    assert blob.exports == (Export(0, b"add_numbers"),)
    assert len(blob.code) == 25 and blob.bitmask == bytes.fromhex("49999400")
    names = [i.name for i in blob.code_view().instructions()]
    assert names == ["add_imm_32", "store_indirect_u32", "store_indirect_u32", "add_32", "ecalli", "add_32",
                     "load_indirect_i32", "load_indirect_i32", "add_imm_32", "jump_indirect"]  # fmt: skip
    assert blob.write() == HELLO


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, "00"), (0x7F, "7f"), (0x80, "8080"), (8192, "a000"), (0x3FFF, "bfff"), (0x4000, "c00040"),
     (0x1FFFFF, "dfffff"), (0x200000, "e0000020"), (0xFFFFFFF, "efffffff"), (0x10000000, "f000000010"),
     (0xFFFFFFFF, "f0ffffffff")],
)  # fmt: skip
def test_varint_encoding_thresholds(value: int, encoded: str) -> None:
    assert write_varint(value).hex() == encoded
    assert read_varint(bytes.fromhex(encoded), 0) == (value, len(encoded) // 2)


def test_varint_five_byte_quirk_ors_low_nibble_into_bits_0_to_3() -> None:
    # polkavm: for L=4, wrapping_shl(32) shifts by zero, so 0xF3's nibble lands in the low bits.
    assert read_varint(bytes.fromhex("f310000000"), 0)[0] == 0x10 | 0x3
    with pytest.raises(ValueError):
        read_varint(b"\xf8\0\0\0\0\0", 0)


@given(st.integers(0, 2**32 - 1))
def test_varint_round_trip(value: int) -> None:
    assert read_varint(write_varint(value), 0) == (value, len(write_varint(value)))


def _sample_blob(isa=REVIVE_V1) -> ProgramBlob:
    code, bitmask = assemble_code(
        isa,
        [("load_imm", (7, 5)), ("ecalli", (1,)), ("jump_indirect", (0, 0)), ("trap", ()), ("add_32", (7, 7, 8)),
         ("jump", (11,))],
    )  # fmt: skip
    return ProgramBlob(
        isa=isa, ro_data_size=5, rw_data_size=100, stack_size=4096, ro_data=b"hello", rw_data=b"\x01\x02",
        imports=(b"foo", b"call_data_size"), exports=(Export(0, b"call"), Export(11, b"deploy")),
        jump_table=(11, 10), code=code, bitmask=bitmask, debug_strings=b"\x03abc",
        unknown_sections=((200, b"opaque"),),
    )  # fmt: skip


@pytest.mark.parametrize("isa", [REVIVE_V1, LATEST32, LATEST64, JAM_V1])
def test_round_trip_parse_write_parse(isa) -> None:
    blob = _sample_blob(isa)
    raw = blob.write()
    assert raw[4] == isa.blob_version
    parsed = ProgramBlob.parse(raw)
    assert parsed.write() == raw
    assert ProgramBlob.parse(parsed.write()) == parsed
    assert parsed.imports == blob.imports and parsed.exports == blob.exports
    assert parsed.jump_table == (11, 10) and parsed.jump_table_entry_size == 1
    assert parsed.unknown_sections == ((200, b"opaque"),)
    assert ProgramBlob.blob_length(raw + b"appended ctor data") == len(raw)


def _error(raw: bytes) -> ProgramBlobError:
    with pytest.raises(ProgramBlobError) as info:
        ProgramBlob.parse(raw)
    return info.value


def test_errors_name_section_and_offset() -> None:
    good = _sample_blob().write()
    assert "magic" in str(_error(b"XVM\0" + good[4:]))
    e = _error(good[:4] + b"\x07" + good[5:])
    assert "unsupported blob version 7" in str(e) and e.offset == 4
    e = _error(good + b"\0")
    assert "blob length" in str(e) and e.offset == 5
    truncated = good[:20]
    truncated = truncated[:5] + len(truncated).to_bytes(8, "little") + truncated[13:]
    e = _error(truncated)
    assert "unexpected end" in str(e)
    # The bitmask padding bits must be zero.
    blob = _sample_blob()
    bad = blob.with_code(blob.code, blob.bitmask[:-1] + bytes([blob.bitmask[-1] | 0x80]))
    e = _error(bad.write())
    assert e.section == "code and jump table" and "padded" in str(e)


def test_section_order_is_enforced() -> None:
    raw = bytearray(_sample_blob().write())
    # Replace the end-of-file byte with an unknown non-optional section id.
    raw[-1] = 9
    raw += b"\0"
    raw[5:13] = len(raw).to_bytes(8, "little")
    e = _error(bytes(raw))
    assert "unexpected section 9" in str(e) and e.offset == len(raw) - 2


def test_payload_larger_than_declared_size_is_rejected() -> None:
    blob = ProgramBlob(ro_data_size=2, ro_data=b"abc", code=b"\0", bitmask=b"\1")
    assert "read-only data" in str(_error(blob.write()))


def test_missing_code_section_is_rejected() -> None:
    raw = bytearray(b"PVM\0\0" + bytes(8) + b"\0")
    raw[5:13] = len(raw).to_bytes(8, "little")
    assert "no code" in str(_error(bytes(raw)))


def test_jump_table_entry_size_above_4_is_rejected() -> None:
    payload = bytes([1, 5, 1]) + bytes(5) + b"\0\1"
    with pytest.raises(ProgramBlobError, match="entry size 5"):
        ProgramBlob.from_code_and_jump_table(payload)


def test_jump_table_widths_read_little_endian() -> None:
    for size in range(1, 5):
        payload = bytes([1, size, 1]) + (0x01020304 & ((1 << (8 * size)) - 1)).to_bytes(size, "little") + b"\0\1"
        assert ProgramBlob.from_code_and_jump_table(payload).jump_table == (0x01020304 & ((1 << (8 * size)) - 1),)
    # Entry size 0 means an empty table whatever the count says.
    assert ProgramBlob.from_code_and_jump_table(bytes([3, 0, 1, 0, 1])).jump_table == ()


def test_writer_picks_width_for_largest_entry() -> None:
    blob = ProgramBlob(jump_table=(0x100,), code=b"\0", bitmask=b"\1")
    assert ProgramBlob.parse(blob.write()).jump_table == (0x100,)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_only_raise_program_blob_error(data: bytes) -> None:
    for raw in (data, b"PVM\0\0" + len(data + bytes(13)).to_bytes(8, "little") + data):
        try:
            ProgramBlob.parse(raw)
        except ProgramBlobError:
            pass


@settings(max_examples=600, deadline=None)
@given(st.data())
def test_fuzz_mutated_valid_blob(data: st.DataObject) -> None:
    raw = bytearray(_sample_blob().write())
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw[5:13] = len(raw).to_bytes(8, "little")
    start = time.perf_counter()
    try:
        blob = ProgramBlob.parse(bytes(raw))
    except ProgramBlobError as e:
        assert e.section and e.offset >= 0
    else:
        # Whatever parses must write back and re-parse to the same program.
        assert ProgramBlob.parse(blob.write()) == blob
        list(blob.code_view().instructions())
    assert time.perf_counter() - start < 1.0


def test_huge_declared_sizes_do_not_allocate() -> None:
    # A section claiming 4 GiB must fail fast on the missing bytes, not try to allocate them.
    raw = bytearray(b"PVM\0\0" + bytes(8) + b"\x02" + write_varint(0xFFFFFFF0) + b"ab")
    raw[5:13] = len(raw).to_bytes(8, "little")
    e = _error(bytes(raw))
    assert e.section == "ro data" and "unexpected end" in str(e)
    payload = write_varint(16 * 1024 * 1024) + b"\4" + write_varint(10) + b"x"
    with pytest.raises(ProgramBlobError, match="jump table"):
        ProgramBlob.from_code_and_jump_table(payload)
