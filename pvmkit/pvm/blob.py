"""The `.polkavm` program container: parse, validate and write (reference/polkavm.md §1).

Parsing follows polkavm's `ProgramParts::from_bytes` + `ProgramBlob::from_parts` exactly (section
order, varint quirks, bitmask padding, jump-table widths). Every malformed input raises
`ProgramBlobError` naming the section and byte offset; sizes are bounded before anything is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .isa import BY_VERSION, REVIVE_V1, InstructionSet
from .program import Code

MAGIC = b"PVM\0"
HEADER_SIZE = 13

SECTION_MEMORY_CONFIG = 1
SECTION_RO_DATA = 2
SECTION_RW_DATA = 3
SECTION_IMPORTS = 4
SECTION_EXPORTS = 5
SECTION_CODE_AND_JUMP_TABLE = 6
SECTION_OPT_DEBUG_STRINGS = 128
SECTION_OPT_DEBUG_LINE_PROGRAMS = 129
SECTION_OPT_DEBUG_LINE_PROGRAM_RANGES = 130
SECTION_END_OF_FILE = 0

MAX_IMPORTS = 1024
MAX_JUMP_TABLE_ENTRIES = 16 * 1024 * 1024
MAX_CODE_SIZE = 32 * 1024 * 1024

SECTION_NAMES = {
    SECTION_MEMORY_CONFIG: "memory config",
    SECTION_RO_DATA: "ro data",
    SECTION_RW_DATA: "rw data",
    SECTION_IMPORTS: "imports",
    SECTION_EXPORTS: "exports",
    SECTION_CODE_AND_JUMP_TABLE: "code and jump table",
    SECTION_OPT_DEBUG_STRINGS: "debug strings",
    SECTION_OPT_DEBUG_LINE_PROGRAMS: "debug line programs",
    SECTION_OPT_DEBUG_LINE_PROGRAM_RANGES: "debug line program ranges",
    SECTION_END_OF_FILE: "end of file",
}


class ProgramBlobError(ValueError):
    """A `.polkavm` blob is malformed. `section` and `offset` say where (offset = byte index in the blob)."""

    def __init__(self, message: str, *, section: str = "header", offset: int = 0) -> None:
        self.section = section
        self.offset = offset
        self.reason = message
        super().__init__(f"invalid program blob: {message} (section: {section}, at byte offset {offset})")


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """polkavm's container varint (u32, ≤5 bytes). Returns (value, new position). Raises IndexError/ValueError."""
    b0 = data[pos]
    n = 0
    while n < 8 and b0 & (0x80 >> n):
        n += 1
    if n > 4:
        raise ValueError("invalid varint")
    if pos + 1 + n > len(data):
        raise IndexError("varint runs past the end")
    rest = int.from_bytes(data[pos + 1 : pos + 1 + n], "little")
    upper = b0 & (0xFF >> n)
    # L=4: Rust's wrapping_shl(32) shifts by 0, so the nibble lands in bits 0..3 (quirk kept on purpose).
    value = (upper << (8 * n) if n < 4 else upper) | rest
    return value & 0xFFFFFFFF, pos + 1 + n


def write_varint(value: int) -> bytes:
    if not 0 <= value < 1 << 32:
        raise ValueError(f"varint out of range: {value}")
    if value < 1 << 7:
        return bytes([value])
    if value < 1 << 14:
        return bytes([0x80 | value >> 8, value & 0xFF])
    if value < 1 << 21:
        return bytes([0xC0 | value >> 16]) + (value & 0xFFFF).to_bytes(2, "little")
    if value < 1 << 28:
        return bytes([0xE0 | value >> 24]) + (value & 0xFFFFFF).to_bytes(3, "little")
    return b"\xf0" + value.to_bytes(4, "little")


def decode_imports(offsets: bytes, symbols: bytes) -> tuple[bytes | None, ...]:
    """The imports an imports section's offsets (u32 each) and symbol bytes name; None for one whose offsets do not
    delimit a slice of the symbols (polkavm refuses to link it)."""
    count, imports = len(offsets) // 4, []
    for i in range(count):
        lo = int.from_bytes(offsets[4 * i : 4 * i + 4], "little")
        hi = int.from_bytes(offsets[4 * i + 4 : 4 * i + 8], "little") if i + 1 < count else len(symbols)
        imports.append(symbols[lo:hi] if lo <= hi <= len(symbols) else None)
    return tuple(imports)


def encode_imports(imports: tuple[bytes | None, ...]) -> tuple[bytes, bytes]:
    """The offsets and symbol bytes the writer makes for `imports` (None as an empty symbol)."""
    offsets, symbols = bytearray(), bytearray()
    for sym in imports:
        offsets += len(symbols).to_bytes(4, "little")
        symbols += sym or b""
    return bytes(offsets), bytes(symbols)


@dataclass(frozen=True)
class Export:
    """An exported entry point: where it starts and its name's bytes (a blob's names need not be UTF-8)."""

    pc: int
    symbol: bytes

    @property
    def name(self) -> str:
        return self.symbol.decode("utf-8", "replace")


@dataclass(frozen=True)
class ProgramBlob:
    """A parsed `.polkavm` program. `write()` serialises it back; parse(write(b)) == b."""

    isa: InstructionSet = REVIVE_V1
    ro_data_size: int = 0
    rw_data_size: int = 0
    stack_size: int = 0
    ro_data: bytes = b""
    rw_data: bytes = b""
    imports: tuple[bytes | None, ...] = ()
    exports: tuple[Export, ...] = ()
    jump_table: tuple[int, ...] = ()
    jump_table_entry_size: int = 0
    code: bytes = b""
    bitmask: bytes = b""
    debug_strings: bytes = b""
    debug_line_programs: bytes = b""
    debug_line_program_ranges: bytes = b""
    unknown_sections: tuple[tuple[int, bytes], ...] = field(default=())
    _imports_raw: tuple[bytes, bytes] | None = field(default=None, compare=False, repr=False)

    @property
    def is_64_bit(self) -> bool:
        return self.isa.is_64_bit

    def export(self, name: str | bytes) -> Export:
        """Find an export by name; raises KeyError listing the available ones."""
        symbol = name.encode() if isinstance(name, str) else name
        for e in self.exports:
            if e.symbol == symbol:
                return e
        names = ", ".join(e.name for e in self.exports) or "none"
        raise KeyError(f"no export named {symbol.decode('utf-8', 'replace')!r} (exports: {names})")

    def code_view(self) -> Code:
        """The decoded view of the code, made once per blob: everything that decodes it shares its caches."""
        code = self.__dict__.get("_code_view")
        if code is None:
            code = self.__dict__["_code_view"] = Code(self.isa, self.code, self.bitmask, self.jump_table)
        return code

    def sections_length(self) -> int:
        """polkavm's `calculate_blob_length`: the bytes of the sections' contents, without the header, section ids and
        lengths, the code section's own header or unknown sections (pallet-revive counts it in a code's baseline
        memory)."""
        if self._imports_raw is not None:
            imports = len(self._imports_raw[0]) + len(self._imports_raw[1])
        else:
            imports = sum(map(len, encode_imports(self.imports))) if self.imports else 0
        exports = self.__dict__.get("_exports_length")  # (as parsed: its varints need not be the shortest)
        if exports is None:
            exports = len(self._exports_payload()) if self.exports else 0
        table = len(self.jump_table) * self._table_entry_size()
        return (len(self.ro_data) + len(self.rw_data) + imports + exports + table + len(self.code) + len(self.bitmask)
                + len(self.debug_strings) + len(self.debug_line_programs) + len(self.debug_line_program_ranges))

    @staticmethod
    def blob_length(raw: bytes) -> int | None:
        """Declared total length (bytes 5..13), used to split a blob from data appended after it."""
        if len(raw) < HEADER_SIZE:
            return None
        return int.from_bytes(raw[5:13], "little")

    @classmethod
    def parse(cls, raw: bytes | bytearray | memoryview) -> ProgramBlob:
        return _Parser(bytes(raw)).parse()

    @classmethod
    def from_code_and_jump_table(cls, payload: bytes, isa: InstructionSet = REVIVE_V1) -> ProgramBlob:
        """Build a blob around a bare section-6 payload (the JAM/GP "program" format of the test vectors)."""
        fields = _parse_code_and_jump_table(bytes(payload), 0)
        return cls(isa=isa, **fields)

    def with_code(self, code: bytes, bitmask: bytes, jump_table: tuple[int, ...] | None = None) -> ProgramBlob:
        return replace(
            self, code=code, bitmask=bitmask, jump_table=self.jump_table if jump_table is None else jump_table
        )

    def _table_entry_size(self) -> int:
        """The jump table's entry size as written: the parsed one, widened to fit every entry."""
        size = self.jump_table_entry_size
        if self.jump_table:
            size = max(size, 1, (max(self.jump_table).bit_length() + 7) // 8)
        return size

    def _exports_payload(self) -> bytes:
        payload = bytearray(write_varint(len(self.exports)))
        for e in self.exports:
            payload += write_varint(e.pc) + write_varint(len(e.symbol)) + e.symbol
        return bytes(payload)

    def code_and_jump_table(self) -> bytes:
        size = self._table_entry_size()
        out = bytearray(write_varint(len(self.jump_table)))
        out.append(size)
        out += write_varint(len(self.code))
        for entry in self.jump_table:
            out += entry.to_bytes(size, "little")
        out += self.code
        out += self.bitmask
        return bytes(out)

    def write(self) -> bytes:
        """Serialise in polkavm's section order; sections that are empty are omitted as the writer does."""
        out = bytearray(MAGIC)
        out.append(self.isa.blob_version)
        out += bytes(8)

        def section(ident: int, payload: bytes) -> None:
            out.append(ident)
            out.extend(write_varint(len(payload)))
            out.extend(payload)

        if self.ro_data_size or self.rw_data_size or self.stack_size:
            section(
                SECTION_MEMORY_CONFIG,
                write_varint(self.ro_data_size) + write_varint(self.rw_data_size) + write_varint(self.stack_size),
            )
        if self.ro_data:
            section(SECTION_RO_DATA, self.ro_data)
        if self.rw_data:
            section(SECTION_RW_DATA, self.rw_data)
        if self._imports_raw is not None:
            offsets, symbols = self._imports_raw
            section(SECTION_IMPORTS, write_varint(len(offsets) // 4) + offsets + symbols)
        elif self.imports:
            offsets, symbols = encode_imports(self.imports)
            section(SECTION_IMPORTS, write_varint(len(self.imports)) + offsets + symbols)
        if self.exports:
            section(SECTION_EXPORTS, self._exports_payload())
        section(SECTION_CODE_AND_JUMP_TABLE, self.code_and_jump_table())
        if self.debug_strings:
            section(SECTION_OPT_DEBUG_STRINGS, self.debug_strings)
        if self.debug_line_programs:
            section(SECTION_OPT_DEBUG_LINE_PROGRAMS, self.debug_line_programs)
        if self.debug_line_program_ranges:
            section(SECTION_OPT_DEBUG_LINE_PROGRAM_RANGES, self.debug_line_program_ranges)
        for ident, payload in self.unknown_sections:
            section(ident, payload)
        out.append(SECTION_END_OF_FILE)
        out[5:13] = len(out).to_bytes(8, "little")
        return bytes(out)


def _parse_code_and_jump_table(data: bytes, base: int) -> dict:
    """Section 6 payload → fields. `base` is the payload's offset in the blob, for error positions."""
    name = SECTION_NAMES[SECTION_CODE_AND_JUMP_TABLE]

    def fail(msg: str, pos: int) -> ProgramBlobError:
        return ProgramBlobError(msg, section=name, offset=base + pos)

    if not data:
        raise fail("no code found", 0)
    pos = 0
    try:
        count, pos = read_varint(data, pos)
    except (IndexError, ValueError) as e:
        raise fail(f"bad jump table length: {e}", pos) from None
    if count > MAX_JUMP_TABLE_ENTRIES:
        raise fail("the jump table section is too long", 0)
    if pos >= len(data):
        raise fail("unexpected end of data (jump table entry size)", pos)
    entry_size = data[pos]
    pos += 1
    try:
        code_len, pos2 = read_varint(data, pos)
    except (IndexError, ValueError) as e:
        raise fail(f"bad code length: {e}", pos) from None
    if code_len > MAX_CODE_SIZE:
        raise fail("the code section is too long", pos)
    if entry_size > 4:
        raise fail(f"invalid jump table entry size {entry_size}", pos - 1)
    pos = pos2
    table_len = count * entry_size
    if pos + table_len > len(data):
        raise fail("unexpected end of data (jump table)", pos)
    table = data[pos : pos + table_len]
    jump_table = (
        tuple(int.from_bytes(table[i : i + entry_size], "little") for i in range(0, table_len, entry_size))
        if entry_size
        else ()
    )
    pos += table_len
    if pos + code_len > len(data):
        raise fail("unexpected end of data (code)", pos)
    code = data[pos : pos + code_len]
    pos += code_len
    bitmask = data[pos:]
    expected = (code_len + 7) // 8
    if len(bitmask) != expected:
        raise fail(f"the bitmask length ({len(bitmask)}) doesn't match the code length ({code_len} bytes)", pos)
    if code_len % 8:
        padding_bits = 8 - code_len % 8
        if bitmask[-1] >> (8 - padding_bits):
            raise fail("the bitmask is padded with non-zero bits", len(data) - 1)
    return dict(jump_table=jump_table, jump_table_entry_size=entry_size, code=code, bitmask=bitmask)


class _Parser:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0
        self.section = "header"

    def fail(self, msg: str, pos: int | None = None) -> ProgramBlobError:
        return ProgramBlobError(msg, section=self.section, offset=self.pos if pos is None else pos)

    def byte(self) -> int:
        if self.pos >= len(self.raw):
            raise self.fail("unexpected end of data")
        b = self.raw[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        start = self.pos
        try:
            value, self.pos = read_varint(self.raw, self.pos)
        except IndexError:
            raise self.fail("unexpected end of data in a varint", start) from None
        except ValueError:
            raise self.fail("invalid varint", start) from None
        return value

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.raw):
            raise self.fail(f"unexpected end of data (need {n} bytes, {len(self.raw) - self.pos} left)")
        out = self.raw[self.pos : self.pos + n]
        self.pos += n
        return out

    def section_bytes(self, current: int, expected: int) -> tuple[bytes, int]:
        if current != expected:
            return b"", current
        self.section = SECTION_NAMES[expected]
        length = self.varint()
        payload = self.take(length)
        return payload, self.byte()

    def parse(self) -> ProgramBlob:
        raw = self.raw
        if not raw.startswith(MAGIC):
            raise self.fail("blob doesn't start with the expected magic bytes b'PVM\\0'")
        self.pos = 4
        version = self.byte()
        isa = BY_VERSION.get(version)
        if isa is None:
            raise self.fail(f"unsupported blob version {version}", 4)
        declared = int.from_bytes(self.take(8), "little")
        if declared != len(raw):
            raise self.fail(f"blob size ({len(raw)}) doesn't match the blob length metadata ({declared})", 5)
        fields: dict = {"isa": isa}
        sec = self.byte()
        if sec == SECTION_MEMORY_CONFIG:
            self.section = SECTION_NAMES[sec]
            length = self.varint()
            start = self.pos
            fields["ro_data_size"] = self.varint()
            fields["rw_data_size"] = self.varint()
            fields["stack_size"] = self.varint()
            if start + length != self.pos:
                raise self.fail("the memory config section length doesn't match its contents", start)
            sec = self.byte()
        fields["ro_data"], sec = self.section_bytes(sec, SECTION_RO_DATA)
        fields["rw_data"], sec = self.section_bytes(sec, SECTION_RW_DATA)
        if sec == SECTION_IMPORTS:
            self.section = SECTION_NAMES[sec]
            length = self.varint()
            start = self.pos
            count = self.varint()
            if count > MAX_IMPORTS:
                raise self.fail(f"too many imports ({count} > {MAX_IMPORTS})", start)
            offsets = self.take(count * 4)
            remaining = length - (self.pos - start)
            if remaining < 0:
                raise self.fail("the imports section is invalid (offsets overrun its length)", start)
            symbols = self.take(remaining)
            fields["imports"] = decode_imports(offsets, symbols)
            fields["_imports_raw"] = (offsets, symbols)
            sec = self.byte()
        exports_raw, sec = self.section_bytes(sec, SECTION_EXPORTS)
        exports_start = self.pos - len(exports_raw) - 1
        code_raw, sec = self.section_bytes(sec, SECTION_CODE_AND_JUMP_TABLE)
        code_start = self.pos - len(code_raw) - 1
        fields["debug_strings"], sec = self.section_bytes(sec, SECTION_OPT_DEBUG_STRINGS)
        fields["debug_line_programs"], sec = self.section_bytes(sec, SECTION_OPT_DEBUG_LINE_PROGRAMS)
        fields["debug_line_program_ranges"], sec = self.section_bytes(sec, SECTION_OPT_DEBUG_LINE_PROGRAM_RANGES)
        unknown = []
        while sec & 0x80:
            self.section = f"unknown optional section {sec}"
            length = self.varint()
            unknown.append((sec, self.take(length)))
            sec = self.byte()
        fields["unknown_sections"] = tuple(unknown)
        if sec != SECTION_END_OF_FILE:
            self.section = f"section id {sec}"
            raise self.fail(
                f"unexpected section {sec} (sections must appear in the order 1..6, 128..130)", self.pos - 1
            )
        # Like polkavm, bytes between the end-of-file marker and the declared length are ignored.

        self.section = SECTION_NAMES[SECTION_RO_DATA]
        if len(fields["ro_data"]) > fields.get("ro_data_size", 0):
            raise self.fail("size of the read-only data payload exceeds the declared size", 13)
        self.section = SECTION_NAMES[SECTION_RW_DATA]
        if len(fields["rw_data"]) > fields.get("rw_data_size", 0):
            raise self.fail("size of the read-write data payload exceeds the declared size", 13)
        fields["exports"] = self._exports(exports_raw, exports_start)
        fields.update(_parse_code_and_jump_table(code_raw, code_start))
        blob = ProgramBlob(**fields)
        blob.__dict__["_exports_length"] = len(exports_raw)  # (sections_length)
        return blob

    def _exports(self, data: bytes, base: int) -> tuple[Export, ...]:
        if not data:
            return ()
        self.section = SECTION_NAMES[SECTION_EXPORTS]
        sub = _Parser(data)
        sub.section = self.section
        try:
            count = sub.varint()
            out = []
            for _ in range(count):
                pc = sub.varint()
                length = sub.varint()
                out.append(Export(pc, sub.take(length)))
        except ProgramBlobError as e:
            raise ProgramBlobError(e.reason, section=self.section, offset=base + e.offset) from None
        if sub.pos != len(data):
            raise ProgramBlobError("trailing bytes in the exports section", section=self.section, offset=base + sub.pos)
        return tuple(out)
