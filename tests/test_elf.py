"""ELF reader of the linker (pvmkit/linker/elf.py) and the C guest header (pvmkit/linker/guest.h).

Guests from tests/linker/elf/ are built with clang-19 / ld.lld-19 (reference/toolchain.md §2) in several variants and
every parsed section, symbol and relocation is checked against ``llvm-readelf-19 -S -s -r`` and against pyelftools.
The committed ``guest.o``/``guest.elf`` seeds serve the clang-free checks, the error tests and the hypothesis fuzzer.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvmkit.linker.elf import (
    RELOCATION_TYPES,
    SHF_ALLOC,
    SHT_NOBITS,
    SHT_PROGBITS,
    ElfObject,
    IntervalMap,
    LinkError,
    Section,
    Symbol,
    _export_symbol,
    _symbols_at,
    address_map,
    read_elf,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "linker" / "elf"
HEADER_DIR = ROOT / "pvmkit" / "linker"

CLANG, LLD, READELF = (shutil.which(tool) for tool in ("clang-19", "ld.lld-19", "llvm-readelf-19"))
needs_toolchain = pytest.mark.skipif(
    not (CLANG and LLD and READELF),
    reason="clang-19, ld.lld-19 and llvm-readelf-19 are needed to build the guests (apt-get install clang-19 lld-19"
    " llvm-19)",
)

TARGET = ["--target=riscv64-unknown-elf", "-march=rv64emac_zbb_xtheadcondmov", "-mabi=lp64e"]
CFLAGS = TARGET + ["-Os", "-ffunction-sections", "-fdata-sections", f"-I{HEADER_DIR}", "-Wall", "-Wextra", "-Werror"]
PIC = ["-fpic", "-fno-plt", "-fvisibility=hidden"]
SHARED = "-shared -z notext --emit-relocs --unique --apply-dynamic-relocs --no-allow-shlib-undefined -Bsymbolic".split()

# name -> (source, extra compiler flags, link mode: None (the object itself), "r", "shared", "exec", "plain" (-shared
# alone), "nounique"/"noapply" (SHARED without --unique/--apply-dynamic-relocs))
VARIANTS: dict[str, tuple[str, list[str], str | None]] = {
    "guest.o": ("guest.c", PIC, None),
    "guest.r.o": ("guest.c", PIC, "r"),
    "guest.elf": ("guest.c", PIC, "shared"),
    "guest.exe": ("guest.c", PIC, "exec"),
    "nopic.o": ("guest.c", ["-fno-pic", "-mcmodel=medlow"], None),
    "nopic.exe": ("guest.c", ["-fno-pic", "-mcmodel=medlow"], "exec"),
    "got.o": ("guest.c", ["-fpic", "-fno-plt"], None),
    "got.elf": ("guest.c", ["-fpic", "-fno-plt"], "shared"),
    "debug.o": ("guest.c", PIC + ["-g", "-fasynchronous-unwind-tables", "-falign-functions=16"], None),
    "debug.elf": ("guest.c", PIC + ["-g", "-fasynchronous-unwind-tables", "-falign-functions=16"], "shared"),
    "O0.o": ("guest.c", PIC + ["-O0", "-fno-function-sections"], None),
    "indexed.o": ("indexed.c", PIC, None),
    "indexed.elf": ("indexed.c", PIC, "shared"),
    "relocs.o": ("relocs.s", [], None),
    "nounique.elf": ("guest.c", PIC, "nounique"),  # one merged .text
    # Rejected: -shared without --emit-relocs, and without --apply-dynamic-relocs (lld then emits the relocations
    # that became dynamic as zeroed R_RISCV_NONE entries).
    "norelocs.elf": ("guest.c", PIC, "plain"),
    "noapply.elf": ("guest.c", PIC, "noapply"),
}
REJECTED = ("norelocs.elf", "noapply.elf")
GUESTS = [name for name, (source, _, _) in VARIANTS.items() if source == "guest.c" and name not in REJECTED]
PARSEABLE = [name for name in VARIANTS if name not in REJECTED]


def run(*cmd: object) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not (CLANG and LLD and READELF):
        pytest.skip("clang-19, ld.lld-19 and llvm-readelf-19 are needed to build the guests")
    out = tmp_path_factory.mktemp("elf")
    paths: dict[str, Path] = {}
    for name, (source, flags, link) in VARIANTS.items():
        obj = out / (name.split(".")[0] + ".obj")
        if source.endswith(".s"):
            run(CLANG, *TARGET, "-c", FIXTURES / source, "-o", obj)
        else:
            run(CLANG, *CFLAGS, *flags, "-c", FIXTURES / source, "-o", obj)
        path = out / name
        if link is None:
            shutil.copy(obj, path)
        elif link == "r":
            run(LLD, "--emit-relocs", "-r", obj, "-o", path)
        elif link == "shared":
            run(LLD, *SHARED, obj, "-o", path)
        elif link == "exec":
            run(LLD, "--emit-relocs", "-z", "notext", "-e", "0", obj, "-o", path)
        elif link in ("nounique", "noapply"):
            dropped = "--unique" if link == "nounique" else "--apply-dynamic-relocs"
            run(LLD, *[flag for flag in SHARED if flag != dropped], obj, "-o", path)
        else:
            run(LLD, "-shared", "-z", "notext", obj, "-o", path)
        paths[name] = path
    return paths


# --- llvm-readelf-19 text ---------------------------------------------------------------------------------------

_SECTION_RE = re.compile(
    r"^\s*\[\s*(\d+)\]\s+(?:(\S+)\s+)?(\S+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+"
    r"(?:([A-Za-z]+)\s+)?(\d+)\s+(\d+)\s+(\d+)$"
)
_SYMBOL_RE = re.compile(r"^\s*(\d+): ([0-9a-f]{16}) +(\S+) (\S+) +(\S+) +(\S+) +(\S+) (.*)$")
_RELOC_RE = re.compile(
    r"^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(R_RISCV_\w+)\s+(?:([0-9a-f]{16}) (.*) ([+-]) ([0-9a-f]+)|(-?[0-9a-f]+))$"
)
_SHT = {"NULL": 0, "PROGBITS": 1, "SYMTAB": 2, "STRTAB": 3, "RELA": 4, "HASH": 5, "DYNAMIC": 6, "NOTE": 7,
        "NOBITS": 8, "DYNSYM": 11, "GNU_HASH": 0x6FFFFFF6, "RISCV_ATTRIBUTES": 0x70000003}  # fmt: skip


def readelf(path: Path) -> tuple[list[tuple], dict[str, list[tuple]], list[tuple[str, list[tuple]]]]:
    text = run(READELF, "-S", "-s", "-r", "--wide", path)
    sections: list[tuple] = []
    symbols: dict[str, list[tuple]] = {}
    relocations: list[tuple[str, list[tuple]]] = []
    table: list | None = None
    mode = ""
    for line in text.splitlines():
        if m := re.match(r"^Symbol table '(.*)' contains \d+ entries:", line):
            table, mode = symbols.setdefault(m[1], []), "symbols"
        elif m := re.match(r"^Relocation section '(.*)' at offset 0x[0-9a-f]+ contains \d+ entries:", line):
            table, mode = [], "relocations"
            relocations.append((m[1], table))
        elif m := _SECTION_RE.match(line):
            idx, name, typ, addr, _off, size, _es, flg, lk, inf, _al = m.groups()
            sections.append((int(idx), name or "", typ, int(addr, 16), int(size, 16), flg or "", int(lk), int(inf)))
        elif (m := _SYMBOL_RE.match(line)) and mode == "symbols":
            num, value, size, typ, bind, _vis, ndx, name = m.groups()
            table.append((int(num), int(value, 16), int(size, 0), typ.lower(), bind.lower(), ndx, name))
        elif (m := _RELOC_RE.match(line)) and mode == "relocations":
            offset, _info, typ, symvalue, symname, sign, addend, bare = m.groups()
            if symvalue is None:
                table.append((int(offset, 16), typ, None, None, int(bare, 16)))
            else:
                value = int(addend, 16) * (-1 if sign == "-" else 1)
                table.append((int(offset, 16), typ, symname, int(symvalue, 16), value))
    return sections, symbols, relocations


def raw_offset(elf: ElfObject, section: int, offset: int) -> int:
    return offset if elf.is_rel else elf.sections[section].address + offset


def load(path: Path) -> ElfObject:
    return read_elf(path.read_bytes())


# --- comparisons with llvm-readelf ------------------------------------------------------------------------------


@needs_toolchain
@pytest.mark.parametrize("name", PARSEABLE)
def test_sections_match_readelf(built: dict[str, Path], name: str) -> None:
    elf = load(built[name])
    expected, _, _ = readelf(built[name])
    assert [s.index for s in elf.sections] == [e[0] for e in expected]
    for sec, (_idx, ename, etype, addr, size, flg, lk, inf) in zip(elf.sections, expected, strict=True):
        assert (sec.name, sec.address, sec.size, sec.link, sec.info) == (ename, addr, size, lk, inf), sec.name
        if etype in _SHT:
            assert sec.type == _SHT[etype], sec.name
        for letter, bit in (("W", 1), ("A", 2), ("X", 4)):
            assert (letter in flg) == bool(sec.flags & bit), (sec.name, flg)
        if sec.type != 8:  # NOBITS
            assert len(sec.data) == sec.size


@needs_toolchain
@pytest.mark.parametrize("name", PARSEABLE)
def test_symbols_match_readelf(built: dict[str, Path], name: str) -> None:
    elf = load(built[name])
    _, tables, _ = readelf(built[name])
    expected = tables[".symtab"][1:]  # entry 0 is the null symbol, which read_elf leaves out
    assert len(elf.symbols) == len(expected)
    for sym, (num, value, size, kind, binding, ndx, ename) in zip(elf.symbols, expected, strict=True):
        assert (sym.index, sym.name, sym.value, sym.size, sym.kind, sym.binding) == (
            num, ename, value, size, kind, binding)  # fmt: skip
        if ndx.isdigit():
            assert sym.section == int(ndx), sym.name
            assert sym.offset == sym.value - (0 if elf.is_rel else elf.sections[sym.section].address)
        else:
            assert sym.section is None and ndx in ("UND", "ABS", "COM"), sym.name


@needs_toolchain
@pytest.mark.parametrize("name", PARSEABLE)
def test_relocations_match_readelf(built: dict[str, Path], name: str) -> None:
    elf = load(built[name])
    _, _, tables = readelf(built[name])
    rela_sections = [s for s in elf.sections if s.type == 4]
    assert [s.name for s in rela_sections] == [t[0] for t in tables]
    for rsec, (_, expected) in zip(rela_sections, tables, strict=True):
        mine = [r for r in elf.relocations if r.rela_section == rsec.index]
        got = []
        for r in mine:
            symbol = r.symbol
            where = raw_offset(elf, r.section, r.offset)
            if symbol is None:
                got.append((where, r.type, None, None, r.addend))
            else:
                got.append((where, r.type, symbol.name, symbol.value, r.addend))
            assert RELOCATION_TYPES[r.type_id] == r.type
            assert r.dynamic == (rsec.info == 0)
            if not r.dynamic:
                assert r.section == rsec.info
        assert got == expected, rsec.name


# --- comparisons with pyelftools -------------------------------------------------------------------------------
# A second, independent reader: the committed seeds are checked on every run (no clang needed), the built variants
# whenever the toolchain is there. read_elf is our own struct parser (it must turn any malformed input into a
# LinkError naming the place, which pyelftools does not promise), so pyelftools serves as its oracle.


def elftools_view(data: bytes) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(sections, symbols, relocations) as pyelftools reads them, in read_elf's terms."""
    import io

    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection

    f = ELFFile(io.BytesIO(data))
    sections, symbols, relocations = [], [], []
    for i, sec in enumerate(f.iter_sections()):
        h = sec.header
        body = b"" if h.sh_type == "SHT_NOBITS" else sec.data()
        sections.append((i, sec.name, h.sh_addr, h.sh_size, h.sh_flags, h.sh_link, h.sh_info, h.sh_addralign, body))
    symtab = f.get_section_by_name(".symtab")
    for i, sym in enumerate(symtab.iter_symbols() if symtab else ()):
        if i:
            shndx = sym.entry.st_shndx
            name = sym.name
            if not name and sym.entry.st_info.type == "STT_SECTION":  # named after their section, as readelf does
                name = f.get_section(shndx).name
            symbols.append((i, name, sym.entry.st_value, sym.entry.st_size, shndx if isinstance(shndx, int) else None))
    for sec in f.iter_sections():
        if isinstance(sec, RelocationSection):
            table = f.get_section(sec.header.sh_link)
            for rel in sec.iter_relocations():
                sym = table.get_symbol(rel.entry.r_info_sym) if rel.entry.r_info_sym else None
                name = None if sym is None else sym.name or f.get_section(sym.entry.st_shndx).name
                relocations.append((sec.name, rel.entry.r_offset, rel.entry.r_info_type, rel.entry.r_addend, name))
    return sections, symbols, relocations


def assert_agrees_with_pyelftools(data: bytes) -> None:
    elf = read_elf(data)
    sections, symbols, relocations = elftools_view(data)
    mine = [(s.index, s.name, s.address, s.size, s.flags, s.link, s.info, s.align, s.data) for s in elf.sections]
    assert mine == sections
    assert [(s.index, s.name, s.value, s.size, s.section) for s in elf.symbols] == [
        (i, n, v, sz, shndx if shndx else None) for i, n, v, sz, shndx in symbols]  # fmt: skip
    got = [(elf.sections[r.rela_section].name, raw_offset(elf, r.section, r.offset), r.type_id, r.addend,
            r.symbol.name if r.symbol is not None else None) for r in elf.relocations]  # fmt: skip
    assert sorted(got, key=repr) == sorted(relocations, key=repr)


@pytest.mark.parametrize("name", ["guest.o", "guest.elf"])
def test_committed_seeds_agree_with_pyelftools(name: str) -> None:
    assert_agrees_with_pyelftools((FIXTURES / name).read_bytes())


@needs_toolchain
@pytest.mark.parametrize("name", PARSEABLE)
def test_variants_agree_with_pyelftools(built: dict[str, Path], name: str) -> None:
    assert_agrees_with_pyelftools(built[name].read_bytes())


# --- relocation coverage ----------------------------------------------------------------------------------------

EXPECTED_TYPES = {
    "guest.o": {"R_RISCV_64", "R_RISCV_BRANCH", "R_RISCV_CALL_PLT", "R_RISCV_PCREL_HI20", "R_RISCV_PCREL_LO12_I",
                "R_RISCV_PCREL_LO12_S", "R_RISCV_RELAX", "R_RISCV_RVC_BRANCH", "R_RISCV_RVC_JUMP", "R_RISCV_ADD32",
                "R_RISCV_SUB32"},
    "guest.elf": {"R_RISCV_64", "R_RISCV_JAL", "R_RISCV_RELATIVE", "R_RISCV_PCREL_HI20", "R_RISCV_PCREL_LO12_I",
                  "R_RISCV_PCREL_LO12_S", "R_RISCV_RVC_JUMP", "R_RISCV_RVC_BRANCH", "R_RISCV_BRANCH"},
    "guest.exe": {"R_RISCV_64", "R_RISCV_JAL", "R_RISCV_PCREL_HI20"},
    "nopic.o": {"R_RISCV_HI20", "R_RISCV_LO12_I", "R_RISCV_LO12_S", "R_RISCV_32", "R_RISCV_64", "R_RISCV_CALL_PLT"},
    "nopic.exe": {"R_RISCV_HI20", "R_RISCV_LO12_I", "R_RISCV_LO12_S", "R_RISCV_32", "R_RISCV_JAL"},
    "got.o": {"R_RISCV_GOT_HI20", "R_RISCV_PCREL_LO12_I"},
    "got.elf": {"R_RISCV_GOT_HI20", "R_RISCV_RELATIVE"},
    "debug.o": {"R_RISCV_ALIGN", "R_RISCV_ADD16", "R_RISCV_SUB16", "R_RISCV_ADD32", "R_RISCV_SUB32", "R_RISCV_32",
                "R_RISCV_SET_ULEB128", "R_RISCV_SUB_ULEB128", "R_RISCV_32_PCREL"},
    "debug.elf": {"R_RISCV_NONE", "R_RISCV_ALIGN", "R_RISCV_RELATIVE"},
}  # fmt: skip


@needs_toolchain
@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_relocation_types_emitted_by_clang_and_lld(built: dict[str, Path], name: str) -> None:
    types = {r.type for r in load(built[name]).relocations}
    assert EXPECTED_TYPES[name] <= types
    if name.endswith((".elf", ".exe")):
        assert "R_RISCV_CALL_PLT" not in types  # lld relaxes calls to JAL


@needs_toolchain
def test_every_psabi_relocation_number(built: dict[str, Path]) -> None:
    elf = load(built["relocs.o"])
    assert len(RELOCATION_TYPES) == 58
    assert [r.type_id for r in elf.relocations] == sorted(RELOCATION_TYPES)
    target = elf.symbol_by_name("target")[0]
    for i, r in enumerate(elf.relocations):
        assert (r.type, r.offset, r.addend, r.symbol) == (RELOCATION_TYPES[r.type_id], 8 * i, i, target)
        assert elf.target(r) == (target.section, i)


@needs_toolchain
@pytest.mark.parametrize("name", ["guest.elf", "got.elf", "indexed.elf"])
def test_dynamic_relocations_agree_with_emitted_ones(built: dict[str, Path], name: str) -> None:
    # Each absolute R_RISCV_64 kept by --emit-relocs has an R_RISCV_RELATIVE twin in .rela.dyn at the same place
    # whose addend is the target address, and --apply-dynamic-relocs stored that address in the section.
    elf = load(built[name])
    relative = {(r.section, r.offset): r for r in elf.relocations if r.type == "R_RISCV_RELATIVE"}
    assert relative and all(r.dynamic and r.symbol is None for r in relative.values())
    absolute = [r for r in elf.relocations if r.type == "R_RISCV_64" and not r.dynamic]
    twins = {(r.section, r.offset) for r in absolute}
    assert twins <= set(relative)
    assert {elf.sections[s].name for s, _ in set(relative) - twins} <= {".got"}  # GOT slots have no static twin
    for r in absolute:
        section, offset = elf.target(r)
        address = elf.sections[section].address + offset
        assert relative[(r.section, r.offset)].addend == address
        assert elf.relocations_at(r.section, r.offset)[0] is r  # static relocations come first
        data = elf.sections[r.section].data
        assert int.from_bytes(data[r.offset : r.offset + 8], "little") == address


@needs_toolchain
@pytest.mark.parametrize("name", ["guest.o", "guest.elf", "guest.exe"])
def test_function_pointer_table(built: dict[str, Path], name: str) -> None:
    elf = load(built[name])
    ops = elf.symbol_by_name("ops")[0]
    table = [r for r in elf.relocations if r.section == ops.section and not r.dynamic]
    assert [r.type for r in table] == ["R_RISCV_64"] * 3
    assert [r.offset - ops.offset for r in table] == [0, 8, 16]
    for r, fn in zip(table, ("op_add", "op_sub", "op_mul"), strict=True):
        sym = elf.symbol_by_name(fn)[0]
        assert elf.target(r) == (sym.section, sym.offset)
        assert elf.sections[sym.section].kind == "text"
    assert elf.sections[ops.section].kind == "ro"  # .data.rel.ro


# --- sections, imports, exports ---------------------------------------------------------------------------------


@needs_toolchain
@pytest.mark.parametrize("name", GUESTS)
def test_section_kinds(built: dict[str, Path], name: str) -> None:
    elf = load(built[name])
    kind_of = {sym.name: elf.sections[sym.section].kind for sym in elf.symbols if sym.section is not None}
    assert kind_of["counter"] == "rw"
    assert kind_of["scratch"] == "bss"
    assert kind_of["greeting"] == "ro"
    assert kind_of["entry"] == kind_of["fib"] == kind_of["host_add"] == "text"
    assert {s.kind for s in elf.section_by_name(".polkavm_metadata")} == {"metadata"}
    assert {s.kind for s in elf.section_by_name(".polkavm_exports")} == {"metadata"}
    for s in elf.sections:
        if s.type == 4 or not s.is_alloc:
            assert s.kind in ("other", "metadata") or s.name.startswith((".text", ".data", ".bss", ".rodata"))


IMPORTS = {b"host_add": (2, 1), b"host_log": (2, 0)}
EXPORTS = {b"entry": (2, 1), b"sum_loop": (0, 0), b"dispatch": (1, 1), b"walk": (1, 1)}


def check_guest_imports_exports(elf: ElfObject) -> None:
    assert sorted(i.name for i in elf.imports) == sorted(IMPORTS)
    for imp in elf.imports:
        meta = imp.metadata
        assert (meta.version, meta.flags, meta.symbol, meta.index, imp.index) == (1, 0, imp.name, None, None)
        assert (meta.input_regs, meta.output_regs) == IMPORTS[imp.name]
        assert elf.sections[meta.section].name == ".polkavm_metadata"
        stub = elf.sections[imp.stub_section]
        assert stub.kind == "text"
        assert stub.data[imp.stub_offset : imp.stub_offset + 4] == b"\x0b\x00\x00\x00"
        assert stub.data[imp.stub_offset + 12 : imp.stub_offset + 14] == b"\x82\x80"  # c.ret
        if elf.is_rel:
            assert stub.name == ".text.polkavm_import." + imp.name.decode()
        fn = elf.symbol_by_name(imp.name.decode())[0]
        assert (fn.section, fn.offset) == (imp.stub_section, imp.stub_offset)
        pointer = elf.relocations_at(imp.stub_section, imp.stub_offset + 4)[0]
        assert pointer.type == "R_RISCV_64" and elf.target(pointer) == (meta.section, meta.offset)
    assert [e.name for e in elf.exports] == list(EXPORTS)
    for exp in elf.exports:
        meta = exp.metadata
        assert (meta.version, meta.flags, meta.symbol, meta.index) == (1, 0, exp.name, None)
        assert (meta.input_regs, meta.output_regs) == EXPORTS[exp.name]
        assert (exp.symbol.name, exp.symbol.kind) == (exp.name.decode(), "func")
        assert (exp.symbol.section, exp.symbol.offset) == (exp.section, exp.offset)
        assert elf.sections[exp.section].kind == "text"


@pytest.mark.parametrize("name", ["guest.o", "guest.elf"])
def test_committed_seeds_imports_and_exports(name: str) -> None:
    check_guest_imports_exports(load(FIXTURES / name))


@needs_toolchain
@pytest.mark.parametrize("name", GUESTS)
def test_imports_and_exports(built: dict[str, Path], name: str) -> None:
    check_guest_imports_exports(load(built[name]))


def test_metadata_and_export_record_bytes() -> None:
    # The byte layout guest.h emits (polkavm ExternMetadataV1 and the .polkavm_exports record), read raw.
    elf = load(FIXTURES / "guest.o")
    (meta_section,) = elf.section_by_name(".polkavm_metadata")
    host_add = next(i for i in elf.imports if i.name == b"host_add").metadata
    record = meta_section.data[host_add.offset : host_add.offset + 19]
    assert record == b"\x01" + struct.pack("<II", 0, 8) + bytes(8) + b"\x02\x01"
    ptr = elf.relocations_at(meta_section.index, host_add.offset + 9)[0]
    section, offset = elf.target(ptr)
    assert elf.sections[section].data[offset : offset + 8] == b"host_add"
    (exports,) = elf.section_by_name(".polkavm_exports")
    assert (exports.type, exports.flags & 0x200002) == (7, 0x200002)  # SHT_NOTE, SHF_GNU_RETAIN | SHF_ALLOC
    assert len(exports.data) == 17 * len(EXPORTS)
    assert exports.data[::17] == b"\x01" * len(EXPORTS)
    offsets = sorted(r.offset for r in elf.relocations if r.section == exports.index)
    assert offsets == sorted(17 * i + k for i in range(len(EXPORTS)) for k in (1, 9))


@needs_toolchain
@pytest.mark.parametrize("name", ["indexed.o", "indexed.elf"])
def test_indexed_imports_and_min_stack_size(built: dict[str, Path], name: str) -> None:
    elf = load(built[name])
    got = {i.name: (i.metadata.version, i.index, i.metadata.input_regs, i.metadata.output_regs) for i in elf.imports}
    assert got == {b"storage_get": (2, 7, 3, 1), b"storage_set": (2, 0, 4, 0), b"six_args": (1, None, 6, 1)}
    assert [(e.name, e.metadata.input_regs, e.metadata.output_regs) for e in elf.exports] == [(b"wide", 1, 2)]
    assert elf.min_stack_size == 32768


# --- guest.h ----------------------------------------------------------------------------------------------------


@needs_toolchain
@pytest.mark.parametrize("std", ["-std=c11", "-std=gnu17", "-std=c2x"])
def test_guest_header_is_warning_free(tmp_path: Path, std: str) -> None:
    for source in ("guest.c", "indexed.c"):
        out = tmp_path / (source + ".o")
        run(CLANG, *CFLAGS, *PIC, std, "-Wpointer-arith", "-c", FIXTURES / source, "-o", out)
        assert load(out).exports


@needs_toolchain
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("static int f(int a) { return a; }\nPVM_EXPORT(int, f, long)", "prototype of 'f' does not match"),
        ("struct big { char x[9]; };\nPVM_IMPORT(int, g, struct big)", "must fit in one register"),
        ("PVM_IMPORT(int, g, int, int, int, int, int, int, int)", "at most 6 arguments"),
        ("PVM_IMPORT(unsigned __int128 *, g)\nPVM_IMPORT(char, h, char)\nstruct s { long a, b, c; };\n"
         "PVM_IMPORT(struct s, k)", "return at most 2 registers"),
    ],
)  # fmt: skip
def test_guest_header_rejects_bad_signatures(tmp_path: Path, body: str, message: str) -> None:
    source = tmp_path / "bad.c"
    source.write_text(f'#include "guest.h"\n{body}\n')
    cmd = [CLANG, *CFLAGS, *PIC, "-c", source, "-o", tmp_path / "bad.o"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode != 0 and message in proc.stderr


# --- rejections -------------------------------------------------------------------------------------------------


def patched(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value) :]


def section_file_offset(data: bytes, index: int) -> tuple[int, int]:
    """(offset of the section header, sh_offset) from the raw ELF64 header."""
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    header = shoff + 64 * index
    return header, struct.unpack_from("<Q", data, header + 24)[0]


SEED_O = FIXTURES / "guest.o"
SEED_ELF = FIXTURES / "guest.elf"


@pytest.mark.parametrize(
    ("at", "value", "message"),
    [
        (4, b"\x01", "32-bit"),
        (4, b"\x07", "ELF class 7"),
        (5, b"\x02", "big-endian"),
        (7, b"\x09", "OS/ABI"),
        (16, b"\x04\x00", "ET_CORE"),
        (18, struct.pack("<H", 62), "e_machine is 62"),
        (0x28, bytes(8), "no section headers"),
        (0x3A, b"\x28\x00", "section header size 40"),
    ],
)
def test_rejects_bad_headers(at: int, value: bytes, message: str) -> None:
    with pytest.raises(LinkError, match=message):
        read_elf(patched(SEED_O.read_bytes(), at, value))


def test_rejects_non_elf_and_truncated() -> None:
    with pytest.raises(LinkError, match="shorter than an ELF64 header"):
        read_elf(b"\x7fELF")
    with pytest.raises(LinkError, match="bad magic"):
        read_elf(b"MZ" + bytes(100))
    data = SEED_O.read_bytes()
    with pytest.raises(LinkError, match="beyond the end of the file"):
        read_elf(data[: len(data) - 10])


def first_rela(elf: ElfObject, name: str) -> Section:
    return next(s for s in elf.sections if s.type == 4 and s.name == name)


def test_rejects_unknown_relocation_type() -> None:
    data = SEED_O.read_bytes()
    elf = read_elf(data)
    rela = first_rela(elf, ".rela.text.entry")
    _, body = section_file_offset(data, rela.index)
    r_offset = struct.unpack_from("<Q", data, body)[0]
    with pytest.raises(LinkError, match=rf"unknown RISC-V relocation type 200 at offset {r_offset:#x}"):
        read_elf(patched(data, body + 8, struct.pack("<I", 200)))
    with pytest.raises(LinkError, match="relocation type 191"):  # R_RISCV_VENDOR is not supported
        read_elf(patched(data, body + 8, struct.pack("<I", 191)))


def test_rejects_bad_relocation_sections() -> None:
    data = SEED_O.read_bytes()
    elf = read_elf(data)
    rela = first_rela(elf, ".rela.text.entry")
    header, body = section_file_offset(data, rela.index)
    with pytest.raises(LinkError, match="SHT_REL "):
        read_elf(patched(data, header + 4, struct.pack("<I", 9)))
    with pytest.raises(LinkError, match="refers to symbol #4096"):
        read_elf(patched(data, body + 12, struct.pack("<I", 4096)))
    with pytest.raises(LinkError, match="is outside section '.text.entry'"):
        read_elf(patched(data, body, struct.pack("<Q", 0x10000)))
    with pytest.raises(LinkError, match="applies to no section"):
        read_elf(patched(data, header + 44, struct.pack("<I", 0)))


def test_rejects_linked_elf_without_emit_relocs_relocations() -> None:
    data = SEED_ELF.read_bytes()
    elf = read_elf(data)
    for sec in elf.sections:  # turn every emitted (non-dynamic) relocation section into an empty one
        if sec.type == 4 and sec.info:
            header, _ = section_file_offset(data, sec.index)
            data = patched(data, header + 32, bytes(8))
    with pytest.raises(LinkError, match="--emit-relocs"):
        read_elf(data)


@needs_toolchain
def test_rejects_real_links_without_emit_relocs_or_apply_dynamic_relocs(built: dict[str, Path]) -> None:
    with pytest.raises(LinkError, match=r"ET_DYN\) carries no static relocations: link it with --emit-relocs"):
        load(built["norelocs.elf"])
    with pytest.raises(LinkError, match=r"import metadata pointer at .text\+0x[0-9a-f]+ has no relocation .*--apply"):
        load(built["noapply.elf"])


def metadata_file_offset(data: bytes, elf: ElfObject, name: bytes) -> int:
    meta = next(i.metadata for i in elf.imports + [e for e in elf.exports] if i.name == name)  # type: ignore[attr-defined]
    return section_file_offset(data, meta.section)[1] + meta.offset


@pytest.mark.parametrize("seed", [SEED_O, SEED_ELF])
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (0, b"\x03", "unsupported extern metadata version 3"),
        (1, b"\x01", "unsupported flags 0x1"),
        (5, struct.pack("<I", 0x1000), "symbol name .* is out of bounds"),
        (17, b"\x0a", "too many input registers"),
        (18, b"\x03", "too many output registers"),
    ],
)
def test_rejects_malformed_metadata(seed: Path, field: int, value: bytes, message: str) -> None:
    data = seed.read_bytes()
    elf = read_elf(data)
    for name in (b"host_add", b"entry"):  # an import's and an export's metadata
        at = metadata_file_offset(data, elf, name)
        with pytest.raises(LinkError, match=message):
            read_elf(patched(data, at + field, value))


def test_rejects_malformed_export_records_and_stubs() -> None:
    data = SEED_O.read_bytes()
    elf = read_elf(data)
    (exports,) = elf.section_by_name(".polkavm_exports")
    _, body = section_file_offset(data, exports.index)
    with pytest.raises(LinkError, match=r"unsupported export record version 2 at .polkavm_exports\+0x11"):
        read_elf(patched(data, body + 17, b"\x02"))
    header, body = section_file_offset(data, exports.index)
    grown = patched(data, header + 32, struct.pack("<Q", len(exports.data) + 1))  # one more byte: a version
    with pytest.raises(LinkError, match=r"truncated export record at .polkavm_exports\+0x44"):
        read_elf(patched(grown, body + len(exports.data), b"\x01"))
    # The import stub's metadata pointer relocation turned into R_RISCV_32 / R_RISCV_NONE.
    stub_rela = first_rela(elf, ".rela.text.polkavm_import.host_add")
    _, body = section_file_offset(data, stub_rela.index)
    with pytest.raises(LinkError, match=r"import metadata pointer at .* unexpected relocation R_RISCV_32"):
        read_elf(patched(data, body + 8, struct.pack("<I", 1)))
    with pytest.raises(LinkError, match=r"import metadata pointer at .text.polkavm_import.host_add\+0x4 has no"):
        read_elf(patched(data, body + 8, struct.pack("<I", 0)))
    # The metadata symbol pointer relocation removed (moved one byte).
    (metadata,) = elf.section_by_name(".polkavm_metadata")
    rela = next(s for s in elf.sections if s.type == 4 and s.info == metadata.index)
    _, body = section_file_offset(data, rela.index)
    with pytest.raises(LinkError, match="extern metadata symbol pointer at .polkavm_metadata\\+0x9 has no relocation"):
        read_elf(patched(data, body, struct.pack("<Q", 10)))


# --- fuzzing ----------------------------------------------------------------------------------------------------

SEEDS = [SEED_O.read_bytes(), SEED_ELF.read_bytes()]


def interesting_offsets(data: bytes) -> list[int]:
    """Offsets of the fields read_elf trusts: ELF header, section headers, symbols, relocations, metadata."""
    spots = list(range(64))
    shoff, shnum = struct.unpack_from("<Q", data, 0x28)[0], struct.unpack_from("<H", data, 0x3C)[0]
    spots += range(shoff, min(len(data), shoff + 64 * shnum))
    elf = read_elf(data)
    for sec in elf.sections:
        if sec.type in (2, 4) or sec.name.startswith(".polkavm") or sec.name.startswith(".text.polkavm_import"):
            _, body = section_file_offset(data, sec.index)
            spots += range(body, min(len(data), body + len(sec.data)))
    return spots


SPOTS = [interesting_offsets(seed) for seed in SEEDS]
VALUES = st.one_of(
    st.sampled_from([0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000]),
    st.integers(0, 2**64 - 1),
    st.integers(0, 0x4000),
)


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    which = draw(st.integers(0, len(SEEDS) - 1))
    data = bytearray(SEEDS[which])
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["field", "field", "byte", "truncate", "insert"]))
        if how == "field":
            at = draw(st.sampled_from(SPOTS[which]))
            width = draw(st.sampled_from([1, 2, 4, 8]))
            value = draw(VALUES) & ((1 << (8 * width)) - 1)
            data[at : at + width] = value.to_bytes(width, "little")[: max(0, len(data) - at)]
        elif how == "byte":
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= draw(st.integers(1, 255))
        elif how == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        else:
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        if not data:
            break
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_seed())
def test_fuzz_only_link_errors_escape(data: bytes) -> None:
    try:
        elf = read_elf(data)
    except LinkError as exc:
        message = str(exc)
        assert "\n" not in message
        assert not message.startswith("malformed ELF file ("), message  # the safety net should stay unused
        return
    # Whatever parses must be self-consistent.
    for r in elf.relocations:
        assert 0 <= r.section < len(elf.sections) and 0 <= r.offset <= elf.sections[r.section].size
    for imp in elf.imports:
        assert elf.sections[imp.stub_section].data[imp.stub_offset : imp.stub_offset + 4] == b"\x0b\x00\x00\x00"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_seed())
def test_fuzz_linking_mutated_objects_gives_a_blob_or_a_link_error(data: bytes) -> None:
    """The whole linker (reader, layout, translation, encoding), not just the reader: a LinkError or a valid blob."""
    from pvmkit.linker.translate import link_elf
    from pvmkit.pvm.blob import ProgramBlob

    try:
        linked = link_elf(data)
    except LinkError as exc:
        assert "\n" not in str(exc)
        return
    assert ProgramBlob.parse(linked.blob.write()).code == linked.blob.code


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256).map(lambda tail: b"\x7fELF\x02\x01\x01\x00" + tail))
def test_fuzz_random_headers(data: bytes) -> None:
    try:
        read_elf(data)
    except LinkError as exc:
        assert not str(exc).startswith("malformed ELF file ("), str(exc)


_RANGES = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12), st.integers(0, 5)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(_RANGES, st.lists(st.integers(-2, 60), min_size=1, max_size=20))
def test_interval_map_answers_as_a_scan_of_every_range_would(ranges: list, addresses: list[int]) -> None:
    """IntervalMap (the sweep behind section lookups, built once: a scan per lookup was quadratic) against the
    obvious scan: the best-ranked range holding the address, overlapping and empty ranges included."""
    items = [(start, start + size, (rank, k), k) for k, (start, size, rank) in enumerate(ranges)]
    found = IntervalMap(items)
    for address in addresses:
        holding = [item for item in items if item[0] <= address < item[1]]
        assert found.find(address) == (min(holding, key=lambda i: i[2])[3] if holding else None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12), st.booleans()), max_size=10),
       st.lists(st.integers(0, 60), min_size=1, max_size=10))  # fmt: skip
def test_dynamic_relocations_find_their_section_as_before(shapes: list, addresses: list[int]) -> None:
    """address_map keeps the walk it replaced: a section with contents before SHT_NOBITS, then the one that starts
    last (then the higher index)."""
    sections = [Section(f"s{i}", i, start, b"", size, SHF_ALLOC, "rw", SHT_NOBITS if nobits else SHT_PROGBITS)
                for i, (start, size, nobits) in enumerate(shapes)]  # fmt: skip
    by_address = address_map(sections)
    ordered = sorted((s for s in sections if s.size), key=lambda s: (s.address, s.index))
    for address in addresses:
        fallback = expected = None
        for s in reversed([s for s in ordered if s.address <= address]):
            if address < s.address + s.size:
                if s.type != SHT_NOBITS:
                    expected = s
                    break
                fallback = fallback or s
        assert by_address.find(address) is (expected or fallback)


_KINDS = st.sampled_from(["func", "notype", "object", "section", "file"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "f", "g", "h"]), _KINDS, st.sampled_from(["local", "global", "weak"]),
                          st.integers(0, 2)), max_size=8),
       st.sampled_from(["", "f", "g", "zz"]), st.integers(0, 2))  # fmt: skip
def test_an_export_names_the_symbol_the_ranking_picks(symbols: list, export: str, offset: int) -> None:
    """The per-location index _export_symbol now reads picks what ranking every symbol there picked: a function, then
    a global, then one named like the export, then a named one (the first where those tie)."""
    syms = [Symbol(name, 1, off, 0, kind, binding, i, 1, off) for i, (name, kind, binding, off) in enumerate(symbols)]
    text = Section(".text", 1, 0, bytes(16), 16, SHF_ALLOC, "text")
    elf = ElfObject([Section("", 0, 0, b"", 0, 0, "other"), text], syms, [], [], [], True)
    picked = _export_symbol(elf, 1, offset, export.encode(), _symbols_at(elf))
    rank = {"func": 0, "notype": 1}
    candidates = [s for s in syms if s.offset == offset and s.kind not in ("section", "file")]
    if candidates:
        key = lambda s: (rank.get(s.kind, 2), s.binding == "local", s.name != export, not s.name)  # noqa: E731
        assert picked is min(candidates, key=key)
    else:
        assert (picked.name, picked.kind, picked.index, picked.offset) == (export, "notype", -1, offset)
