"""RISC-V ELF reader for the PolkaVM linker (reference/polkavm.md §6.1–§6.2, reference/toolchain.md §2).

:func:`read_elf` parses a little-endian ELF64 ``EM_RISCV`` file (``ET_REL`` objects, or ``ET_EXEC``/``ET_DYN`` links
made with ``--emit-relocs``) into plain dataclasses: sections classified the way polkavm-linker classifies them,
symbols, every ``SHT_RELA`` relocation with its symbol resolved, and the PolkaVM imports and exports.

Import call site (polkavm-linker ``parse_code_section``): the instruction word ``0x0000000b`` (custom-0, funct3 0,
all registers zero) followed by an 8-byte slot that carries an ``R_RISCV_64`` relocation to the import's metadata
(polkavm-derive's Rust form, ``auipc zero, %pcrel_hi(META); .4byte 0``, carries ``R_RISCV_PCREL_HI20`` instead and
is accepted too). Metadata records (``.polkavm_metadata``, ``#[repr(C, packed)]``)::

    +0  u8  version (1 or 2)   +1  u32 flags (0)   +5  u32 symbol_length   +9  u64 symbol pointer (R_RISCV_64)
    +17 u8  input_regs (<= 9)  +18 u8  output_regs (<= 2)
    v2: +19 u8 has_index       +20 u32 index

Exports (``.polkavm_exports``): back-to-back records ``u8 version = 1, u64 metadata pointer, u64 function pointer``,
each pointer read through its ``R_RISCV_64`` relocation (``R_RISCV_PCREL_HI20`` in polkavm-derive's Rust form).
Values stored in the pointer slots are ignored, exactly as polkavm-linker does.

Offsets: a :class:`Relocation`'s ``offset`` is always relative to the start of its ``section`` (for linked files
``r_offset`` is a virtual address and is converted; ``.rela.dyn`` entries are mapped to the section containing
them). :class:`Symbol` keeps the raw ``st_value`` in ``value`` and the section-relative value in ``offset``. Every
problem is a :class:`LinkError` with a one-line message.
"""

from __future__ import annotations

import bisect
import heapq
import struct
from dataclasses import dataclass, field

__all__ = [
    "RELOCATION_TYPES",
    "ElfObject",
    "Export",
    "ExternMetadata",
    "Import",
    "LinkError",
    "Relocation",
    "Section",
    "Symbol",
    "read_elf",
]


class LinkError(ValueError):
    """A malformed or unsupported input, with a one-line message naming the section/symbol/address/relocation."""


# --- ELF constants ---------------------------------------------------------------------------------------------

ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
_ET_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
EM_RISCV = 243

SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_HASH, SHT_DYNAMIC, SHT_NOTE, SHT_NOBITS, SHT_REL = range(
    10
)
SHT_DYNSYM = 11
SHT_SYMTAB_SHNDX = 18
SHT_GNU_HASH = 0x6FFFFFF6

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4

SHN_UNDEF, SHN_LORESERVE, SHN_ABS, SHN_COMMON, SHN_XINDEX = 0, 0xFF00, 0xFFF1, 0xFFF2, 0xFFFF

_SYMBOL_KINDS = {0: "notype", 1: "object", 2: "func", 3: "section", 4: "file", 5: "common", 6: "tls", 10: "ifunc"}
_SYMBOL_BINDINGS = {0: "local", 1: "global", 2: "weak", 10: "unique"}

# RISC-V psABI relocation numbers (identical to LLVM 19's ELFRelocs/RISCV.def). 13-15, 42, 47-50 and 66-190 are
# reserved; 191 (R_RISCV_VENDOR) and 192-255 (non-standard) are not supported.
RELOCATION_TYPES: dict[int, str] = {
    0: "R_RISCV_NONE", 1: "R_RISCV_32", 2: "R_RISCV_64", 3: "R_RISCV_RELATIVE", 4: "R_RISCV_COPY",
    5: "R_RISCV_JUMP_SLOT", 6: "R_RISCV_TLS_DTPMOD32", 7: "R_RISCV_TLS_DTPMOD64", 8: "R_RISCV_TLS_DTPREL32",
    9: "R_RISCV_TLS_DTPREL64", 10: "R_RISCV_TLS_TPREL32", 11: "R_RISCV_TLS_TPREL64", 12: "R_RISCV_TLSDESC",
    16: "R_RISCV_BRANCH", 17: "R_RISCV_JAL", 18: "R_RISCV_CALL", 19: "R_RISCV_CALL_PLT", 20: "R_RISCV_GOT_HI20",
    21: "R_RISCV_TLS_GOT_HI20", 22: "R_RISCV_TLS_GD_HI20", 23: "R_RISCV_PCREL_HI20", 24: "R_RISCV_PCREL_LO12_I",
    25: "R_RISCV_PCREL_LO12_S", 26: "R_RISCV_HI20", 27: "R_RISCV_LO12_I", 28: "R_RISCV_LO12_S",
    29: "R_RISCV_TPREL_HI20", 30: "R_RISCV_TPREL_LO12_I", 31: "R_RISCV_TPREL_LO12_S", 32: "R_RISCV_TPREL_ADD",
    33: "R_RISCV_ADD8", 34: "R_RISCV_ADD16", 35: "R_RISCV_ADD32", 36: "R_RISCV_ADD64", 37: "R_RISCV_SUB8",
    38: "R_RISCV_SUB16", 39: "R_RISCV_SUB32", 40: "R_RISCV_SUB64", 41: "R_RISCV_GOT32_PCREL", 43: "R_RISCV_ALIGN",
    44: "R_RISCV_RVC_BRANCH", 45: "R_RISCV_RVC_JUMP", 46: "R_RISCV_RVC_LUI", 51: "R_RISCV_RELAX", 52: "R_RISCV_SUB6",
    53: "R_RISCV_SET6", 54: "R_RISCV_SET8", 55: "R_RISCV_SET16", 56: "R_RISCV_SET32", 57: "R_RISCV_32_PCREL",
    58: "R_RISCV_IRELATIVE", 59: "R_RISCV_PLT32", 60: "R_RISCV_SET_ULEB128", 61: "R_RISCV_SUB_ULEB128",
    62: "R_RISCV_TLSDESC_HI20", 63: "R_RISCV_TLSDESC_LOAD_LO12", 64: "R_RISCV_TLSDESC_ADD_LO12",
    65: "R_RISCV_TLSDESC_CALL",
}  # fmt: skip

# Bytes each relocation type patches (0: a marker or variable-length field), used to bounds-check r_offset.
_RELOCATION_WIDTH: dict[str, int] = {
    "R_RISCV_32": 4, "R_RISCV_64": 8, "R_RISCV_RELATIVE": 8, "R_RISCV_JUMP_SLOT": 8, "R_RISCV_TLS_DTPMOD32": 4,
    "R_RISCV_TLS_DTPMOD64": 8, "R_RISCV_TLS_DTPREL32": 4, "R_RISCV_TLS_DTPREL64": 8, "R_RISCV_TLS_TPREL32": 4,
    "R_RISCV_TLS_TPREL64": 8, "R_RISCV_BRANCH": 4, "R_RISCV_JAL": 4, "R_RISCV_CALL": 8, "R_RISCV_CALL_PLT": 8,
    "R_RISCV_GOT_HI20": 4, "R_RISCV_TLS_GOT_HI20": 4, "R_RISCV_TLS_GD_HI20": 4, "R_RISCV_PCREL_HI20": 4,
    "R_RISCV_PCREL_LO12_I": 4, "R_RISCV_PCREL_LO12_S": 4, "R_RISCV_HI20": 4, "R_RISCV_LO12_I": 4,
    "R_RISCV_LO12_S": 4, "R_RISCV_TPREL_HI20": 4, "R_RISCV_TPREL_LO12_I": 4, "R_RISCV_TPREL_LO12_S": 4,
    "R_RISCV_ADD8": 1, "R_RISCV_ADD16": 2, "R_RISCV_ADD32": 4, "R_RISCV_ADD64": 8, "R_RISCV_SUB8": 1,
    "R_RISCV_SUB16": 2, "R_RISCV_SUB32": 4, "R_RISCV_SUB64": 8, "R_RISCV_GOT32_PCREL": 4, "R_RISCV_RVC_BRANCH": 2,
    "R_RISCV_RVC_JUMP": 2, "R_RISCV_RVC_LUI": 2, "R_RISCV_SUB6": 1, "R_RISCV_SET6": 1, "R_RISCV_SET8": 1,
    "R_RISCV_SET16": 2, "R_RISCV_SET32": 4, "R_RISCV_32_PCREL": 4, "R_RISCV_IRELATIVE": 8, "R_RISCV_PLT32": 4,
    "R_RISCV_SET_ULEB128": 1, "R_RISCV_SUB_ULEB128": 1, "R_RISCV_TLSDESC_HI20": 4, "R_RISCV_TLSDESC_LOAD_LO12": 4,
    "R_RISCV_TLSDESC_ADD_LO12": 4, "R_RISCV_TLSDESC_CALL": 4,
}  # fmt: skip

# PolkaVM limits (polkavm-common program.rs: Reg::MAXIMUM_INPUT_REGS / MAXIMUM_OUTPUT_REGS).
MAXIMUM_INPUT_REGS = 9
MAXIMUM_OUTPUT_REGS = 2
ECALLI = 0x0000000B  # custom-0 opcode 0b0001011, funct3 FUNC3_ECALLI = 0, rd = rs1 = rs2 = x0
POINTER_SIZE = 8


# --- data model ------------------------------------------------------------------------------------------------


@dataclass
class Section:
    """One section header. ``index`` is the ELF section index; ``data`` is empty for SHT_NOBITS."""

    name: str
    index: int
    address: int
    data: bytes
    size: int
    flags: int
    kind: str  # "text" | "ro" | "rw" | "bss" | "metadata" | "other"
    type: int = SHT_PROGBITS
    align: int = 1
    link: int = 0
    info: int = 0

    @property
    def is_alloc(self) -> bool:
        return bool(self.flags & SHF_ALLOC)

    @property
    def is_writable(self) -> bool:
        return bool(self.flags & SHF_WRITE)

    @property
    def is_executable(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)


@dataclass
class Symbol:
    """A symbol table entry. ``section`` is None for undefined, absolute and common symbols (see ``shndx``)."""

    name: str
    section: int | None
    value: int  # raw st_value (an address in linked files, a section offset in ET_REL)
    size: int
    kind: str  # "notype" | "object" | "func" | "section" | "file" | "common" | "tls" | "ifunc" | "type<N>"
    binding: str  # "local" | "global" | "weak" | "unique" | "bind<N>"
    index: int = 0  # index in its symbol table (-1: synthesized for an export without a symbol)
    shndx: int = 0  # raw st_shndx
    offset: int = 0  # value relative to the start of `section` (== value in ET_REL files)
    visibility: int = 0  # st_other & 3: 0 default, 1 internal, 2 hidden, 3 protected


@dataclass
class Relocation:
    """One RELA entry applied to ``section`` at ``offset`` (relative to the section start)."""

    section: int
    offset: int
    type: str  # "R_RISCV_64", ...
    symbol: Symbol | None
    addend: int
    type_id: int = 0
    rela_section: int = 0  # index of the SHT_RELA section holding it
    dynamic: bool = False  # from a relocation section not tied to one section (.rela.dyn)


@dataclass
class ExternMetadata:
    """A parsed ``.polkavm_metadata`` record (ExternMetadataV1/V2)."""

    version: int
    flags: int
    symbol: bytes
    input_regs: int
    output_regs: int
    index: int | None  # v2 with has_index != 0
    section: int  # where the record is
    offset: int


@dataclass
class Import:
    """One import call site: the ECALLI word at ``stub_section``+``stub_offset`` and its metadata."""

    name: bytes
    stub_section: int
    stub_offset: int
    metadata: ExternMetadata
    index: int | None


@dataclass
class Export:
    """One ``.polkavm_exports`` record: the function it points at (``section``+``offset``) and its metadata."""

    name: bytes
    symbol: Symbol
    metadata: ExternMetadata
    section: int = 0
    offset: int = 0


@dataclass
class ElfObject:
    sections: list[Section]
    symbols: list[Symbol]
    relocations: list[Relocation]
    imports: list[Import]
    exports: list[Export]
    is_rel: bool
    elf_type: int = ET_REL
    e_flags: int = 0
    entry: int = 0
    min_stack_size: int | None = None  # maximum of the .polkavm_min_stack_size u32 values, if any
    _by_location: dict[tuple[int, int], list[Relocation]] = field(default_factory=dict, repr=False, compare=False)

    def section_by_name(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def symbol_by_name(self, name: str) -> list[Symbol]:
        return [s for s in self.symbols if s.name == name]

    def relocations_at(self, section: int, offset: int) -> list[Relocation]:
        """Relocations applied at exactly ``section``+``offset`` (static ones before ``.rela.dyn`` ones)."""
        if not self._by_location and self.relocations:
            for r in self.relocations:
                self._by_location.setdefault((r.section, r.offset), []).append(r)
            for rels in self._by_location.values():
                rels.sort(key=lambda r: r.dynamic)
        return self._by_location.get((section, offset), [])

    def target(self, relocation: Relocation) -> tuple[int, int]:
        """(section, offset) that ``symbol + addend`` designates; LinkError when it is not in a section."""
        return _resolve(self.sections, relocation)


# --- low-level reading -----------------------------------------------------------------------------------------


def _u8(data: bytes, at: int) -> int:
    return data[at]


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _cstring(table: bytes, at: int, what: str) -> str:
    if not 0 <= at < len(table):
        if at == len(table) == 0:
            return ""
        raise LinkError(f"{what}: name offset {at:#x} is outside its string table ({len(table)} bytes)")
    end = table.find(b"\0", at)
    if end < 0:
        raise LinkError(f"{what}: name at offset {at:#x} is not NUL-terminated")
    return table[at:end].decode("utf-8", errors="replace")


_EHDR = struct.Struct("<HHIQQQIHHHHHH")  # e_type .. e_shstrndx (after the 16-byte e_ident)
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")


def _read_header(data: bytes) -> tuple[int, int, int, int, int, int, int]:
    if len(data) < 64:
        raise LinkError(f"not an ELF file: {len(data)} bytes is shorter than an ELF64 header")
    if data[:4] != b"\x7fELF":
        raise LinkError(f"not an ELF file: bad magic {data[:4].hex()}")
    if data[4] == 1:
        raise LinkError("32-bit ELF (ELFCLASS32) is not supported: PolkaVM's ReviveV1 target needs RV64 (ELFCLASS64)")
    if data[4] != 2:
        raise LinkError(f"unknown ELF class {data[4]} (expected ELFCLASS64)")
    if data[5] == 2:
        raise LinkError("big-endian ELF (ELFDATA2MSB) is not supported: RISC-V is little-endian")
    if data[5] != 1:
        raise LinkError(f"unknown ELF data encoding {data[5]} (expected ELFDATA2LSB)")
    if data[6] != 1:
        raise LinkError(f"unsupported ELF version {data[6]} in e_ident")
    if data[7] not in (0, 3):  # polkavm-linker: System V or GNU ABI only
        raise LinkError(f"unsupported OS/ABI {data[7]} (expected System V (0) or GNU (3))")
    (e_type, e_machine, _version, e_entry, _phoff, e_shoff, e_flags, _ehsize, _phentsize, _phnum, e_shentsize,
     e_shnum, e_shstrndx) = _EHDR.unpack_from(data, 16)  # fmt: skip
    if e_type not in (ET_REL, ET_EXEC, ET_DYN):
        name = _ET_NAMES.get(e_type, str(e_type))
        raise LinkError(f"unsupported ELF type {name} (expected ET_REL, ET_EXEC or ET_DYN)")
    if e_machine != EM_RISCV:
        raise LinkError(f"not a RISC-V ELF: e_machine is {e_machine} (expected EM_RISCV = {EM_RISCV})")
    if e_shoff == 0:
        raise LinkError("ELF file has no section headers")
    if e_shentsize != _SHDR.size:
        raise LinkError(f"unexpected section header size {e_shentsize} (expected {_SHDR.size})")
    return e_type, e_entry, e_shoff, e_flags, e_shnum, e_shstrndx, e_shentsize


def _read_section_headers(data: bytes, e_shoff: int, e_shnum: int, e_shstrndx: int) -> tuple[list[tuple], int]:
    def header(i: int) -> tuple:
        at = e_shoff + i * _SHDR.size
        if at + _SHDR.size > len(data):
            raise LinkError(f"section header #{i} at file offset {at:#x} is beyond the end of the file")
        return _SHDR.unpack_from(data, at)

    first = header(0)
    count = e_shnum if e_shnum != 0 else first[5]  # e_shnum == 0: the real count is section 0's sh_size
    if e_shstrndx == SHN_XINDEX:
        e_shstrndx = first[6]
    if count > (len(data) - e_shoff) // _SHDR.size + 1:
        raise LinkError(f"{count} section headers at file offset {e_shoff:#x} do not fit in the file")
    headers = [first] + [header(i) for i in range(1, count)]
    if not 0 < e_shstrndx < count:
        raise LinkError(f"section name string table index {e_shstrndx} is out of range ({count} sections)")
    return headers, e_shstrndx


def _section_bytes(data: bytes, index: int, hdr: tuple) -> bytes:
    sh_type, sh_offset, sh_size = hdr[1], hdr[4], hdr[5]
    if sh_type in (SHT_NOBITS, SHT_NULL):
        return b""
    if sh_offset + sh_size > len(data):
        raise LinkError(
            f"section #{index}: contents at file offset {sh_offset:#x}+{sh_size:#x} extend beyond the file"
            f" ({len(data):#x} bytes)"
        )
    return data[sh_offset : sh_offset + sh_size]


def _classify(name: str, sh_type: int, flags: int) -> str:
    """polkavm-linker's section classification (program_from_elf_internal)."""
    alloc, writable, exe = bool(flags & SHF_ALLOC), bool(flags & SHF_WRITE), bool(flags & SHF_EXECINSTR)
    if (
        name == ".rodata"
        or name.startswith((".rodata.", ".srodata.", ".data.rel.ro."))
        or name in (".data.rel.ro", ".got", ".got.plt", ".relro_padding")
    ):
        if name == ".rodata" and writable:
            raise LinkError(f"section '{name}' is expected to be read-only, yet it is writable")
        return "ro"
    if name in (".data", ".sdata") or name.startswith((".data.", ".sdata.")):
        if not writable:
            raise LinkError(f"section '{name}' is expected to be writable, yet it is read-only")
        return "rw"
    if name in (".bss", ".sbss") or name.startswith((".bss.", ".sbss.")):
        if not writable:
            raise LinkError(f"section '{name}' is expected to be writable, yet it is read-only")
        return "bss"
    if name == ".text" or name.startswith(".text.") or (alloc and exe):
        if writable:
            raise LinkError(f"section '{name}' is expected to be read-only, yet it is writable")
        return "text"
    if name in (".polkavm_metadata", ".polkavm_exports", ".polkavm_min_stack_size"):
        return "metadata"
    if name in (".eh_frame", ".dynsym", ".dynstr", ".dynamic") or not alloc:
        return "other"
    if sh_type in (SHT_HASH, SHT_GNU_HASH, SHT_DYNSYM, SHT_STRTAB, SHT_RELA):
        return "other"
    if sh_type == SHT_PROGBITS:
        return "rw" if writable else "ro"
    if sh_type == SHT_NOBITS and writable:
        return "bss"
    return "other"  # an allocated section polkavm-linker does not know: only an error if something reaches it


def _read_symbols(
    data: bytes, sections: list[Section], headers: list[tuple], table: int, is_rel: bool
) -> list[Symbol | None]:
    """All entries of symbol table ``table`` (entry 0 is None)."""
    sec = sections[table]
    hdr = headers[table]
    entsize = hdr[9]
    if entsize != _SYM.size:
        raise LinkError(f"symbol table '{sec.name}' has entry size {entsize} (expected {_SYM.size})")
    if len(sec.data) % _SYM.size:
        raise LinkError(f"symbol table '{sec.name}' size {len(sec.data)} is not a multiple of {_SYM.size}")
    link = hdr[6]
    if not 0 < link < len(sections) or sections[link].type != SHT_STRTAB:
        raise LinkError(f"symbol table '{sec.name}' links to section #{link}, which is not a string table")
    strtab = sections[link].data
    # More than 0xff00 sections: real section indices live in an SHT_SYMTAB_SHNDX table (one u32 per symbol).
    xindex = next((s.data for s in sections if s.type == SHT_SYMTAB_SHNDX and s.link == table), None)
    out: list[Symbol | None] = [None]
    for i in range(1, len(sec.data) // _SYM.size):
        st_name, st_info, st_other, st_shndx, st_value, st_size = _SYM.unpack_from(sec.data, i * _SYM.size)
        name = _cstring(strtab, st_name, f"symbol #{i} of '{sec.name}'")
        kind = _SYMBOL_KINDS.get(st_info & 0xF, f"type{st_info & 0xF}")
        if kind == "section" and not name and 0 < st_shndx < len(sections):
            name = sections[st_shndx].name  # as llvm-readelf shows section symbols
        binding = _SYMBOL_BINDINGS.get(st_info >> 4, f"bind{st_info >> 4}")
        section: int | None = None
        offset = 0
        extended = st_shndx == SHN_XINDEX
        if extended:
            if xindex is None or 4 * i + 4 > len(xindex):
                raise LinkError(f"symbol '{name}' has an extended section index (SHN_XINDEX) but no SYMTAB_SHNDX entry")
            st_shndx = _u32(xindex, 4 * i)
        if st_shndx != SHN_UNDEF and (extended or st_shndx < SHN_LORESERVE):
            if st_shndx >= len(sections):
                raise LinkError(f"symbol '{name}' refers to section #{st_shndx}, which does not exist")
            section = st_shndx
            target = sections[section]
            offset = st_value if is_rel else st_value - target.address
            # polkavm-linker: a sized symbol must lie inside its section (zero-sized ones may dangle at the end).
            if st_size and kind != "tls" and not 0 <= offset <= offset + st_size <= target.size:
                raise LinkError(
                    f"symbol '{name}' at {st_value:#x}..{st_value + st_size:#x} lies outside its section"
                    f" '{target.name}' ({target.address:#x}..{target.address + target.size:#x})"
                )
        out.append(Symbol(name, section, st_value, st_size, kind, binding, i, st_shndx, offset, st_other & 3))
    return out


class IntervalMap:
    """Which of a set of address ranges [start, end) holds an address, the best-ranked one where several overlap,
    answered by bisection: built in O(n log n) by a sweep over the ranges' ends, so that a file of many sections
    (hostile ones overlapping, or an address in none of them) costs no scan per lookup (found in review: linking took
    seconds per megabyte, quadratically)."""

    def __init__(self, ranges: list[tuple[int, int, tuple, object]]) -> None:
        """`ranges`: (start, end, rank, value); the lowest rank wins an address that several hold."""
        events = sorted({a for start, end, _, _ in ranges for a in (start, end)})
        by_start = sorted(ranges, key=lambda r: r[0])
        heap: list[tuple[tuple, int, int, object]] = []  # (rank, tie-break, end, value) of the ranges begun
        self.starts: list[int] = []
        self.values: list[object] = []  # the winner from starts[i] up to the next start (None: no range)
        k = 0
        for at in events:
            while k < len(by_start) and by_start[k][0] <= at:
                start, end, rank, value = by_start[k]
                if end > start:
                    heapq.heappush(heap, (rank, k, end, value))
                k += 1
            while heap and heap[0][2] <= at:  # (ended: dropped once it is the best one left)
                heapq.heappop(heap)
            value = heap[0][3] if heap else None
            if not self.values or self.values[-1] is not value:  # (the last boundary ends them all: None)
                self.starts.append(at)
                self.values.append(value)

    def find(self, address: int) -> object:
        i = bisect.bisect_right(self.starts, address) - 1
        return self.values[i] if i >= 0 else None


def address_map(sections: list[Section]) -> IntervalMap:
    """Allocated, non-empty sections by address, for mapping ``.rela.dyn`` offsets (virtual addresses): one with
    contents before an SHT_NOBITS one, then the one that starts last (ties: the higher index)."""
    return IntervalMap([(s.address, s.address + s.size, (s.type == SHT_NOBITS, -s.address, -s.index), s)
                        for s in sections if s.is_alloc and s.size])  # fmt: skip


def _where(sections: list[Section], section: int, offset: int) -> str:
    name = sections[section].name if 0 <= section < len(sections) else f"#{section}"
    return f"{name}+{offset:#x}"


def _resolve(sections: list[Section], r: Relocation) -> tuple[int, int]:
    sym = r.symbol
    where = _where(sections, r.section, r.offset)
    if sym is None:
        raise LinkError(f"{r.type} at {where} has no symbol")
    if sym.section is None:
        what = "undefined" if sym.shndx == SHN_UNDEF else "absolute" if sym.shndx == SHN_ABS else "sectionless"
        raise LinkError(f"{r.type} at {where} refers to {what} symbol '{sym.name}'")
    target = sections[sym.section]
    offset = sym.offset + r.addend
    if not 0 <= offset <= target.size:
        raise LinkError(
            f"{r.type} at {where} points outside section '{target.name}' ('{sym.name}'{r.addend:+#x},"
            f" section size {target.size:#x})"
        )
    return sym.section, offset


# --- relocations -----------------------------------------------------------------------------------------------


def _read_relocations(
    data: bytes, sections: list[Section], headers: list[tuple], is_rel: bool, symtabs: dict[int, list]
) -> list[Relocation]:
    out: list[Relocation] = []
    by_address: IntervalMap | None = None
    for rsec in sections:
        if rsec.type == SHT_REL:
            raise LinkError(f"relocation section '{rsec.name}' is SHT_REL (implicit addends); RISC-V uses SHT_RELA")
        if rsec.type != SHT_RELA:
            continue
        hdr = headers[rsec.index]
        if hdr[9] != _RELA.size:
            raise LinkError(f"relocation section '{rsec.name}' has entry size {hdr[9]} (expected {_RELA.size})")
        if len(rsec.data) % _RELA.size:
            raise LinkError(f"relocation section '{rsec.name}' size {len(rsec.data)} is not a multiple of 24")
        link, info = rsec.link, rsec.info
        if link == 0:
            symbols: list = [None]
        else:
            if not 0 < link < len(sections) or sections[link].type not in (SHT_SYMTAB, SHT_DYNSYM):
                raise LinkError(f"relocation section '{rsec.name}' links to section #{link}, not a symbol table")
            if link not in symtabs:
                symtabs[link] = _read_symbols(data, sections, headers, link, is_rel)
            symbols = symtabs[link]
        dynamic = info == 0
        if dynamic and is_rel:
            raise LinkError(f"relocation section '{rsec.name}' in a relocatable object applies to no section")
        if not dynamic:
            if not 0 < info < len(sections):
                raise LinkError(f"relocation section '{rsec.name}' applies to section #{info}, which does not exist")
            target = sections[info]
            if target.type == SHT_NOBITS:
                raise LinkError(f"relocation section '{rsec.name}' applies to SHT_NOBITS section '{target.name}'")
        for i in range(len(rsec.data) // _RELA.size):
            r_offset, r_info, r_addend = _RELA.unpack_from(rsec.data, i * _RELA.size)
            type_id, sym_index = r_info & 0xFFFFFFFF, r_info >> 32
            type_name = RELOCATION_TYPES.get(type_id)
            if type_name is None:
                why = " (lld's gp-relative relaxation, --relax-gp: PVM has no gp register, link without it)" \
                    if type_id in (256, 257) else ""  # fmt: skip
                raise LinkError(f"unknown RISC-V relocation type {type_id} at offset {r_offset:#x} in "
                                f"'{rsec.name}'{why}")  # fmt: skip
            if sym_index >= len(symbols):
                raise LinkError(
                    f"{type_name} at offset {r_offset:#x} in '{rsec.name}' refers to symbol #{sym_index}, which"
                    f" does not exist"
                )
            if dynamic:
                by_address = by_address or address_map(sections)
                found = by_address.find(r_offset)
                if found is None:
                    raise LinkError(f"{type_name} in '{rsec.name}' at address {r_offset:#x} is in no section")
                target = found
            offset = r_offset if is_rel else r_offset - target.address
            width = _RELOCATION_WIDTH.get(type_name, 0)
            if type_id == 0 and sym_index == 0 and not 0 <= offset <= target.size:
                continue  # all-zero entries lld leaves without --apply-dynamic-relocs (r_offset 0): no information
            if offset < 0 or offset + width > target.size:
                raise LinkError(
                    f"{type_name} in '{rsec.name}' at offset {r_offset:#x} is outside section '{target.name}'"
                    f" (size {target.size:#x})"
                )
            out.append(
                Relocation(target.index, offset, type_name, symbols[sym_index], r_addend, type_id, rsec.index, dynamic)
            )
    return out


# --- PolkaVM metadata ------------------------------------------------------------------------------------------


_MARKERS = ("R_RISCV_NONE", "R_RISCV_RELAX")


def _pointer_target(elf: ElfObject, section: int, offset: int, what: str, allow_pcrel: bool) -> tuple[int, int]:
    """Target of the pointer slot at section+offset, read through its (static) relocation."""
    accepted = ("R_RISCV_64", "R_RISCV_PCREL_HI20") if allow_pcrel else ("R_RISCV_64",)
    # polkavm-linker ignores R_RISCV_NONE (GNU ld's ALIGN/RELAX leftovers) and R_RISCV_RELAX markers.
    rels = [r for r in elf.relocations_at(section, offset) if not r.dynamic and r.type not in _MARKERS]
    if not rels:
        raise LinkError(
            f"{what} at {_where(elf.sections, section, offset)} has no relocation (link with --emit-relocs"
            f" --apply-dynamic-relocs)"
        )
    r = rels[0]
    if r.type not in accepted:
        raise LinkError(f"{what} at {_where(elf.sections, section, offset)} has unexpected relocation {r.type}")
    return elf.target(r)


def _parse_metadata(elf: ElfObject, section: int, offset: int) -> ExternMetadata:
    """polkavm-linker ``parse_extern_metadata_impl``."""
    sec = elf.sections[section]
    where = _where(elf.sections, section, offset)
    data = sec.data
    if sec.type == SHT_NOBITS:
        raise LinkError(f"extern metadata at {where} is in SHT_NOBITS section '{sec.name}'")
    if offset >= len(data):
        raise LinkError(f"extern metadata at {where} is beyond the end of section '{sec.name}'")
    version = data[offset]
    if version not in (1, 2):
        raise LinkError(f"unsupported extern metadata version {version} at {where} (expected 1 or 2)")
    size = 19 if version == 1 else 24
    if offset + size > len(data):
        raise LinkError(f"truncated extern metadata v{version} at {where} ({size} bytes needed)")
    flags = _u32(data, offset + 1)
    symbol_length = _u32(data, offset + 5)
    sym_section, sym_offset = _pointer_target(elf, section, offset + 9, "extern metadata symbol pointer", False)
    target = elf.sections[sym_section]
    if sym_offset + symbol_length > len(target.data):
        raise LinkError(
            f"extern metadata at {where}: symbol name {_where(elf.sections, sym_section, sym_offset)}"
            f" ({symbol_length} bytes) is out of bounds"
        )
    symbol = target.data[sym_offset : sym_offset + symbol_length]
    input_regs = _u8(data, offset + 17)
    output_regs = _u8(data, offset + 18)
    if input_regs > MAXIMUM_INPUT_REGS:
        raise LinkError(f"extern metadata {symbol!r} at {where}: too many input registers ({input_regs} > 9)")
    if output_regs > MAXIMUM_OUTPUT_REGS:
        raise LinkError(f"extern metadata {symbol!r} at {where}: too many output registers ({output_regs} > 2)")
    index = None
    if version == 2 and data[offset + 19]:
        index = _u32(data, offset + 20)
    if flags != 0:
        raise LinkError(f"extern metadata {symbol!r} at {where}: unsupported flags {flags:#x} (must be 0)")
    return ExternMetadata(version, flags, symbol, input_regs, output_regs, index, section, offset)


def _find_imports(elf: ElfObject) -> list[Import]:
    """Walk every code section instruction by instruction, like polkavm-linker's ``parse_code_section``."""
    imports: list[Import] = []
    for sec in elf.sections:
        if sec.kind != "text" or sec.type == SHT_NOBITS:
            continue
        data = sec.data
        if len(data) % 2:
            raise LinkError(f"size of code section '{sec.name}' ({len(data)} bytes) is not a multiple of 2")
        at = 0
        while at + 2 <= len(data):
            if data[at] & 3 != 3:
                at += 2
                continue
            if at + 4 > len(data):
                break  # a truncated 32-bit instruction: the instruction decoder reports it
            if _u32(data, at) != ECALLI:
                at += 4
                continue
            if at + 4 + POINTER_SIZE > len(data):
                raise LinkError(f"truncated import stub (ECALLI) at {_where(elf.sections, sec.index, at)}")
            slot = at + 4
            meta_section, meta_offset = _pointer_target(elf, sec.index, slot, "import metadata pointer", True)
            metadata = _parse_metadata(elf, meta_section, meta_offset)
            imports.append(Import(metadata.symbol, sec.index, at, metadata, metadata.index))
            at = slot + POINTER_SIZE
    return imports


_KIND_RANK = {"func": 0, "notype": 1}


def _symbols_at(elf: ElfObject) -> dict[tuple[int, int], tuple[dict[str, Symbol], Symbol]]:
    """For each (section, offset) holding named symbols, what _export_symbol picks from: the ones of the best kind and
    binding (a function, then a global one) by name, and the one it takes when none has the export's name (a named
    one first). Built once for all export records: ranking every symbol per record was quadratic (found in review)."""
    groups: dict[tuple[int, int], list[Symbol]] = {}
    for sym in elf.symbols:
        if sym.section is not None and sym.kind not in ("section", "file"):
            groups.setdefault((sym.section, sym.offset), []).append(sym)
    out: dict[tuple[int, int], tuple[dict[str, Symbol], Symbol]] = {}
    for at, syms in groups.items():
        best = min((_KIND_RANK.get(s.kind, 2), s.binding == "local") for s in syms)
        first = [s for s in syms if (_KIND_RANK.get(s.kind, 2), s.binding == "local") == best]
        by_name: dict[str, Symbol] = {}
        for sym in first:
            by_name.setdefault(sym.name, sym)
        out[at] = by_name, next((s for s in first if s.name), first[0])
    return out


def _export_symbol(elf: ElfObject, section: int, offset: int, name: bytes,
                   symbols_at: dict[tuple[int, int], tuple[dict[str, Symbol], Symbol]]) -> Symbol:  # fmt: skip
    """The symbol an export record's function pointer names: a function before other kinds, a global before a local,
    then one named like the export, then a named one; a nameless local one when no symbol is there."""
    text = name.decode("utf-8", errors="replace")
    found = symbols_at.get((section, offset))
    if found is not None:
        return found[0].get(text) or found[1]
    sec = elf.sections[section]
    value = offset if elf.is_rel else sec.address + offset
    return Symbol(text, section, value, 0, "notype", "local", -1, section, offset)


def _find_exports(elf: ElfObject) -> list[Export]:
    """polkavm-linker ``extract_exports``: records ``u8 version = 1, ptr metadata, ptr function``."""
    exports: list[Export] = []
    symbols_at: dict[tuple[int, int], tuple[dict[str, Symbol], Symbol]] | None = None
    for sec in elf.sections:
        if sec.name != ".polkavm_exports":
            continue
        data = sec.data
        at = 0
        while at < len(data):
            version = data[at]
            if version != 1:
                raise LinkError(
                    f"unsupported export record version {version} at {_where(elf.sections, sec.index, at)} (expected 1)"
                )
            if at + 1 + 2 * POINTER_SIZE > len(data):
                raise LinkError(f"truncated export record at {_where(elf.sections, sec.index, at)}")
            meta = _pointer_target(elf, sec.index, at + 1, "export metadata pointer", True)
            func_section, func_offset = _pointer_target(
                elf, sec.index, at + 1 + POINTER_SIZE, "export function pointer", True
            )
            metadata = _parse_metadata(elf, *meta)
            if elf.sections[func_section].kind != "text":
                raise LinkError(
                    f"export {metadata.symbol!r} points at {_where(elf.sections, func_section, func_offset)},"
                    f" which is not code"
                )
            if symbols_at is None:
                symbols_at = _symbols_at(elf)
            symbol = _export_symbol(elf, func_section, func_offset, metadata.symbol, symbols_at)
            exports.append(Export(metadata.symbol, symbol, metadata, func_section, func_offset))
            at += 1 + 2 * POINTER_SIZE
    return exports


def _min_stack_size(sections: list[Section]) -> int | None:
    values: list[int] = []
    for sec in sections:
        if sec.name == ".polkavm_min_stack_size":
            if len(sec.data) % 4:
                raise LinkError(f"section '{sec.name}' size {len(sec.data)} is not a multiple of 4")
            values += [_u32(sec.data, i) for i in range(0, len(sec.data), 4)]
    return max(values) if values else None


# --- entry point -----------------------------------------------------------------------------------------------


def read_elf(data: bytes) -> ElfObject:
    """Parse a RISC-V ELF64 file; every problem is a LinkError."""
    data = bytes(data)
    try:
        return _read_elf(data)
    except LinkError:
        raise
    except (struct.error, IndexError, OverflowError) as exc:  # a safety net: the checks above should catch it first
        raise LinkError(f"malformed ELF file ({type(exc).__name__}: {exc})") from exc


def _read_elf(data: bytes) -> ElfObject:
    e_type, e_entry, e_shoff, e_flags, e_shnum, e_shstrndx, _ = _read_header(data)
    is_rel = e_type == ET_REL
    headers, shstrndx = _read_section_headers(data, e_shoff, e_shnum, e_shstrndx)
    shstr_hdr = headers[shstrndx]
    if shstr_hdr[1] != SHT_STRTAB:
        raise LinkError(f"section name string table (section #{shstrndx}) is not SHT_STRTAB")
    shstrtab = _section_bytes(data, shstrndx, shstr_hdr)

    sections: list[Section] = []
    for i, hdr in enumerate(headers):
        sh_name, sh_type, sh_flags, sh_addr, _off, sh_size, sh_link, sh_info, sh_addralign, _entsize = hdr
        name = _cstring(shstrtab, sh_name, f"section #{i}") if i else ""
        contents = _section_bytes(data, i, hdr) if i else b""
        kind = _classify(name, sh_type, sh_flags) if i else "other"
        sections.append(Section(name, i, sh_addr, contents, sh_size, sh_flags, kind, sh_type, sh_addralign, sh_link,
                                sh_info))  # fmt: skip
    for sec in sections:
        if sec.kind == "text" and sec.type == SHT_NOBITS:
            raise LinkError(f"code section '{sec.name}' is SHT_NOBITS")

    symtabs: dict[int, list] = {}
    primary = next((s.index for s in sections if s.type == SHT_SYMTAB), None)
    if primary is None:
        primary = next((s.index for s in sections if s.type == SHT_DYNSYM), None)
    symbols: list[Symbol] = []
    if primary is not None:
        symtabs[primary] = _read_symbols(data, sections, headers, primary, is_rel)
        symbols = [s for s in symtabs[primary] if s is not None]

    relocations = _read_relocations(data, sections, headers, is_rel, symtabs)
    if not is_rel and not any(not r.dynamic for r in relocations):
        if any(s.kind == "text" and s.size for s in sections):
            raise LinkError(
                f"linked ELF ({_ET_NAMES[e_type]}) carries no static relocations: link it with --emit-relocs"
            )

    elf = ElfObject(sections, symbols, relocations, [], [], is_rel, e_type, e_flags, e_entry)
    elf.imports = _find_imports(elf)
    elf.exports = _find_exports(elf)
    elf.min_stack_size = _min_stack_size(sections)
    return elf
