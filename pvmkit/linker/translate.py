"""RISC-V (RV64EMAC + Zbb + XTheadCondMov) → PVM translation and linking (reference/polkavm.md §6).

The linker reads a relocatable ELF (`elf.read_elf`), lays out read-only and read-write data the way
PVM's memory map places them, decodes every text section (`riscv.decode_all`), resolves each
relocation to a code label or a data address, and translates instruction by instruction into
polkavm assembly text, which `pvm.asm.assemble` turns into a blob (labels, the jump table and
data directives included). Anything it cannot translate raises LinkError naming the instruction,
its section and offset — it never produces a wrong blob silently.

Conventions (polkavm-linker's): RISC-V x0 folds into immediates, gp/tp are rejected, calls become
`load_imm_and_jump ra, <return address>, @target` with return sites in the jump table, returns
become `jump_indirect ra, 0`, and code addresses seen by the program are jump-table addresses.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..pvm.asm import AsmError, assemble, format_instruction, quote_symbol
from ..pvm.blob import MAX_IMPORTS, ProgramBlob
from ..pvm.isa import BY_NAME, NO_FALLTHROUGH, TERMINATORS, InstructionSet
from ..pvm.memory import MemoryMap, MemoryMapError
from ..pvm.semantics import evaluate
from .elf import SHN_ABS, SHN_COMMON, SHT_NOBITS, ElfObject, IntervalMap, LinkError, Relocation, read_elf
from .riscv import RiscvDecodeError, RvInst, decode_all

# RISC-V register number → PVM register index (polkavm's mapping; x0 handled separately).
REG = {1: 0, 2: 1, 5: 2, 6: 3, 7: 4, 8: 5, 9: 6, 10: 7, 11: 8, 12: 9, 13: 10, 14: 11, 15: 12}
RA, SP = 0, 1
M64 = (1 << 64) - 1

_R_TYPE = {
    "add": "add_64", "sub": "sub_64", "addw": "add_32", "subw": "sub_32", "sll": "shift_logical_left_64",
    "srl": "shift_logical_right_64", "sra": "shift_arithmetic_right_64", "sllw": "shift_logical_left_32",
    "srlw": "shift_logical_right_32", "sraw": "shift_arithmetic_right_32", "slt": "set_less_than_signed",
    "sltu": "set_less_than_unsigned", "xor": "xor", "or": "or", "and": "and", "mul": "mul_64", "mulw": "mul_32",
    "mulh": "mul_upper_signed_signed", "mulhu": "mul_upper_unsigned_unsigned", "mulhsu": "mul_upper_signed_unsigned",
    "div": "div_signed_64", "divu": "div_unsigned_64", "rem": "rem_signed_64", "remu": "rem_unsigned_64",
    "divw": "div_signed_32", "divuw": "div_unsigned_32", "remw": "rem_signed_32", "remuw": "rem_unsigned_32",
    "andn": "and_inverted", "orn": "or_inverted", "xnor": "xnor", "max": "maximum", "maxu": "maximum_unsigned",
    "min": "minimum", "minu": "minimum_unsigned", "rol": "rotate_left_64", "rolw": "rotate_left_32",
    "ror": "rotate_right_64", "rorw": "rotate_right_32",
}  # fmt: skip
_I_TYPE = {
    "addi": "add_imm_64", "addiw": "add_imm_32", "xori": "xor_imm", "ori": "or_imm", "andi": "and_imm",
    "slti": "set_less_than_signed_imm", "sltiu": "set_less_than_unsigned_imm",
    "slli": "shift_logical_left_imm_64", "srli": "shift_logical_right_imm_64", "srai": "shift_arithmetic_right_imm_64",
    "slliw": "shift_logical_left_imm_32", "srliw": "shift_logical_right_imm_32",
    "sraiw": "shift_arithmetic_right_imm_32", "rori": "rotate_right_imm_64", "roriw": "rotate_right_imm_32",
}  # fmt: skip
_UNARY = {
    "clz": "count_leading_zero_bits_64", "clzw": "count_leading_zero_bits_32", "ctz": "count_trailing_zero_bits_64",
    "ctzw": "count_trailing_zero_bits_32", "cpop": "count_set_bits_64", "cpopw": "count_set_bits_32",
    "sext.b": "sign_extend_8", "sext.h": "sign_extend_16", "zext.h": "zero_extend_16", "rev8": "reverse_byte",
}  # fmt: skip
_LOADS = {"lb": "i8", "lh": "i16", "lw": "i32", "ld": "u64", "lbu": "u8", "lhu": "u16", "lwu": "u32"}
_STORES = {"sb": "u8", "sh": "u16", "sw": "u32", "sd": "u64"}
_BRANCH = {"beq": ("eq", False), "bne": ("not_eq", False), "blt": ("less_signed", False),
           "bge": ("greater_or_equal_signed", False), "bltu": ("less_unsigned", False),
           "bgeu": ("greater_or_equal_unsigned", False)}  # fmt: skip
# With rs1 = x0 the comparison is against 0 with the operands swapped (0 < rs2 ⇔ rs2 > 0, …).
_SWAPPED_IMM = {"eq": "eq", "not_eq": "not_eq", "less_signed": "greater_signed",
                "greater_or_equal_signed": "less_or_equal_signed", "less_unsigned": "greater_unsigned",
                "greater_or_equal_unsigned": "less_or_equal_unsigned"}  # fmt: skip


@dataclass
class _Code:
    """One text section's decoded instructions and where labels are needed."""

    section: int
    insts: list[tuple[int, RvInst]]


@dataclass
class Linked:
    """The result: the blob plus the assembly text it was assembled from (for `--emit-asm`)."""

    blob: ProgramBlob
    assembly: str


@dataclass
class _Out:
    lines: list[str] = field(default_factory=list)
    last: str | None = None  # name of the last emitted instruction (for fall-through bookkeeping)
    where: list[tuple[int, int] | None] = field(default_factory=list)  # per line: the ELF location it translates
    at: tuple[int, int] | None = None


_CMOV = ("th.mveqz", "th.mvnez")
_REG_OF = {pvm: rv for rv, pvm in REG.items()}


def _constant(d: int, value: int) -> tuple[str, tuple]:
    """Load a compile-time constant: `load_imm` when it is a sign-extended 32-bit value, else `load_imm64`."""
    value &= M64
    signed = value - (1 << 64) if value >> 63 else value
    return ("load_imm", (d, signed)) if -(1 << 31) <= signed < (1 << 31) else ("load_imm64", (d, value))


def _needs_scratch(inst: RvInst) -> bool:
    """Whether translating `inst` may borrow registers through the spill slots."""
    m = inst.mnemonic
    return (m.startswith("amo") or m == "orc.b" or (m in _LOADS and inst.rd == 0) or (m[:3] == "lr." and not inst.rd)
            or (m in _R_TYPE and 0 in (inst.rs1, inst.rs2)))  # fmt: skip


def _where(r: Relocation) -> tuple[int, int]:
    return r.section, r.offset


class Linker:
    """Links one RISC-V ELF into a PVM program blob."""

    def __init__(self, elf: ElfObject, *, isa: InstructionSet, exports: list[str] | None, stack_size: int) -> None:
        self.elf = elf
        self.isa = isa
        self.wanted_exports = exports
        self.stack_size = stack_size
        self.relocs: dict[tuple[int, int], list[Relocation]] = {}
        for r in elf.relocations:
            if r.type not in ("R_RISCV_RELAX", "R_RISCV_NONE"):
                self.relocs.setdefault((r.section, r.offset), []).append(r)
        self.text = [s for s in elf.sections if s.kind == "text"]
        self.labels: dict[tuple[int, int], str] = {}
        self.jump_slots: dict[tuple[int, int], int] = {}  # code location → jump-table index
        self.data_address: dict[int, int] = {}  # section index → guest address
        self.needs_spill = False
        self.inst_starts: set[tuple[int, int]] = set()
        self.spill_address = 0
        self.live: set[int] = set()  # sections reachable from the exports (_live_sections)
        self._by_address: IntervalMap | None = None  # (section_at)

    # Helpers.
    def fail(self, what: str, section: int, offset: int) -> LinkError:
        name = self.elf.sections[section].name if 0 <= section < len(self.elf.sections) else f"#{section}"
        return LinkError(f"{what} at {name}+{offset:#x}")

    def label(self, loc: tuple[int, int]) -> str:
        lab = self.labels.get(loc)
        if lab is None:
            lab = self.labels[loc] = f"L{len(self.labels)}"
        return lab

    def slot(self, loc: tuple[int, int]) -> int:
        """Jump-table address (index + 1) * 2 for a code location (return sites, address-taken functions)."""
        index = self.jump_slots.get(loc)
        if index is None:
            index = self.jump_slots[loc] = len(self.jump_slots)
            self.label(loc)
        return (index + 1) * 2

    def target(self, r: Relocation) -> tuple[int, int]:
        """(section, offset) a relocation points at."""
        sym = r.symbol
        if sym is None or sym.section is None:
            if sym is not None and sym.shndx == SHN_COMMON:
                what = f"common symbol {sym.name!r} (a tentative definition: compile with -fno-common)"
            elif sym is not None and sym.shndx == SHN_ABS:
                what = f"absolute symbol {sym.name!r}"
            else:
                weak = "weak " if sym is not None and sym.binding == "weak" else ""
                what = f"undefined {weak}symbol {sym.name if sym else '?'!r}" + _runtime_helper(sym.name if sym else "")
            raise self.fail(f"relocation {r.type} against {what}", r.section, r.offset)
        return sym.section, sym.offset + r.addend

    def section_at(self, address: int) -> int | None:
        """The loadable section holding a link-time virtual address (R_RISCV_RELATIVE in linked ELFs), the first by
        index where several do."""
        if self._by_address is None:
            self._by_address = IntervalMap([(sec.address, sec.address + max(sec.size, 1), (sec.index,), sec.index)
                                            for sec in self.elf.sections if sec.kind in ("text", "ro", "rw", "bss")])
        return self._by_address.find(address)  # type: ignore[return-value]

    def address_to_loc(self, address: int, r: Relocation) -> tuple[int, int]:
        """(section, offset) of a link-time virtual address."""
        index = self.section_at(address)
        if index is None:
            raise self.fail(f"R_RISCV_RELATIVE to {address:#x}, which is in no loaded section", r.section, r.offset)
        return index, address - self.elf.sections[index].address

    def is_code(self, loc: tuple[int, int]) -> bool:
        return self.elf.sections[loc[0]].kind == "text"

    def value_of(self, loc: tuple[int, int], section: int, offset: int) -> int:
        """The address a program sees for a location: data → guest address, code → jump-table address."""
        if self.is_code(loc):
            if loc not in self.inst_starts:
                name = self.elf.sections[loc[0]].name
                raise self.fail(f"code address {name}+{loc[1]:#x} is not the start of an instruction", section, offset)
            return self.slot(loc)
        base = self.data_address.get(loc[0])
        if base is None:
            name = self.elf.sections[loc[0]].name
            raise self.fail(f"reference to section {name} which is not loaded", section, offset)
        return base + loc[1]

    def reloc(self, section: int, offset: int, *types: str) -> Relocation | None:
        for r in self.relocs.get((section, offset), []):
            if r.type in types:
                return r
        return None

    # Layout.
    def layout(self) -> tuple[int, int, bytearray, bytearray, int]:
        live = self.live
        # Sections without contents (SHT_NOBITS, whatever their name says) after those with: an ELF of a few KB can
        # declare gigabytes of them, which placed before a section with contents were written out as zeros (found
        # in review: 768 MB of .data.hole made an 805 MB blob).
        def ordered(kind: str) -> list:
            chosen = [s for s in self.elf.sections if s.kind == kind and s.index in live]
            return sorted(chosen, key=lambda s: s.type == SHT_NOBITS)

        ro = self.ro_sections = ordered("ro")
        self.rw_sections = ordered("rw")
        rw = self.rw_sections + [s for s in self.elf.sections if s.kind == "bss" and s.index in live]  # .bss last
        ro_size = self._place(ro, 0x10000)
        try:
            rw_base = MemoryMap.build(ro_data_size=ro_size, rw_data_size=1).rw_data_address
            rw_size = self._place(rw, rw_base)
            if self.needs_spill:
                # Two 8-byte slots after the data (polkavm's `.regspill`): atomics need scratch registers.
                rw_size = (rw_size + 7) // 8 * 8
                self.spill_address = rw_base + rw_size
                rw_size += 16
            # Validate the whole map before allocating images (a hostile section size must not exhaust memory).
            MemoryMap.build(ro_data_size=ro_size, rw_data_size=rw_size, stack_size=self.stack_size)
        except MemoryMapError as e:
            raise LinkError(f"the program's data does not fit in PVM memory: {e}") from None
        ro_image, rw_image = self._image(ro, 0x10000), self._image(self.rw_sections, rw_base)
        return ro_size, rw_size, ro_image, rw_image, rw_base

    def _live_sections(self) -> set[int]:
        """Sections reachable from the exports through relocations, what `ld --gc-sections` keeps (relocatable
        input cannot have been collected yet): functions nothing calls and data nothing uses are left out, and so
        are the import/export name strings that only ``.polkavm_metadata`` refers to, which polkavm does not load
        either. Text sections are granular with -ffunction-sections; a merged .text is kept whole."""
        edges: dict[int, set[int]] = {}
        for r in self.elf.relocations:
            dest = r.symbol.section if r.symbol is not None else None
            if r.type == "R_RISCV_RELATIVE":
                dest = self.section_at(r.addend)
            if dest is not None and self.elf.sections[dest].kind != "metadata":
                edges.setdefault(r.section, set()).add(dest)
        live = {loc[0] for _, loc in self._exports()}
        todo = list(live)
        while todo:
            for dest in edges.get(todo.pop(), ()):
                if dest not in live:
                    live.add(dest)
                    todo.append(dest)
        return live

    def _place(self, sections: list, base: int) -> int:
        size = 0
        for s in sections:
            # The section's own alignment (at least 16); bases are 64 KiB aligned, so offsets carry it.
            align = max(s.align, 16)
            if align > 0x10000:
                raise LinkError(f"section {s.name} asks for {align:#x}-byte alignment (at most 64 KiB is supported)")
            size = (size + align - 1) // align * align
            self.data_address[s.index] = base + size
            size += s.size
        return size

    def _image(self, sections: list, base: int) -> bytearray:
        """The initial contents of a data region up to its last byte that has contents: zeroed space (.bss, which
        an ELF of a few KB can declare gigabytes of) is left to the blob's declared size, not built here."""
        placed = [(self.data_address[s.index] - base, s.data) for s in sections if s.kind != "bss" and s.data]
        image = bytearray(max((start + len(data) for start, data in placed), default=0))
        for start, data in placed:
            image[start : start + len(data)] = data
        return image

    def relocate_data(self, image: bytearray, base: int, sections: list) -> None:
        """Apply relocations inside data: pointers (to data or functions) and label differences (jump tables)."""
        wanted = {s.index for s in sections}
        for (section, offset), rels in self.relocs.items():
            if section not in wanted:
                continue
            at = self.data_address[section] - base + offset
            size, value = self._data_value(rels)
            image[at : at + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def _data_value(self, rels: list[Relocation]) -> tuple[int, int]:
        """(width, value) for the relocations at one data location, computed from the final layout.

        Linked ELFs already hold link-time values there, so every form is recomputed from scratch rather than
        accumulated: ADDn/SUBn pairs (``.word a - b`` in jump tables) become value(a) - value(b)."""
        first = rels[0]
        pointer = next((r for r in rels if r.type in ("R_RISCV_64", "R_RISCV_32")), None)
        if pointer is not None:
            return (4 if pointer.type == "R_RISCV_32" else 8), self.value_of(self.target(pointer), *_where(pointer))
        if first.type == "R_RISCV_RELATIVE":
            # Only in linked ELFs: the addend is the target's link-time address.
            return 8, self.value_of(self.address_to_loc(first.addend, first), *_where(first))
        adds = [r for r in rels if r.type.startswith("R_RISCV_ADD")]
        subs = [r for r in rels if r.type.startswith("R_RISCV_SUB") and "ULEB" not in r.type]
        width_of = adds[0].type.removeprefix("R_RISCV_ADD") if adds else None  # "8", "16", "32" or "64"
        if len(adds) == 1 and len(subs) <= 1 and all(r.type.removeprefix("R_RISCV_SUB") == width_of for r in subs):
            width = {"R_RISCV_ADD8": 1, "R_RISCV_ADD16": 2, "R_RISCV_ADD32": 4, "R_RISCV_ADD64": 8}[adds[0].type]
            value = self.value_of(self.target(adds[0]), *_where(adds[0]))
            if subs:
                value -= self.value_of(self.target(subs[0]), *_where(subs[0]))
            return width, value
        kinds = ", ".join(r.type for r in rels)
        raise self.fail(f"unsupported data relocation {kinds}", first.section, first.offset)

    # Translation.
    def link(self) -> Linked:
        if not self._exports():  # (found in review: it wrote a blob of 0 bytes of code, and said nothing)
            raise LinkError("the program has no exports, so nothing to link: mark its entry points with PVM_EXPORT "
                            "(guest.h) or name them (pvmkit cc/link --export NAME, link_elf(exports=[...]))")
        self.live = self._live_sections()
        for r in self.elf.relocations:  # (only in what is linked, as other unsupported code: found in review)
            if r.section in self.live and ("TPREL" in r.type or "TLS" in r.type):
                what = f" against {r.symbol.name!r}" if r.symbol is not None else ""
                raise self.fail(f"thread-local storage is not supported ({r.type}{what})", r.section, r.offset)
        self.text = [s for s in self.text if s.index in self.live]
        self.import_table, number = self._number_imports()
        self.import_index = {(imp.stub_section, imp.stub_offset): number[imp.name] for imp in self.elf.imports
                             if imp.stub_section in self.live}  # fmt: skip
        stubs: dict[int, list[int]] = {}  # section → its import stubs' offsets (found in review: each section's
        for index, off in sorted(self.import_index):  # scan of every stub made linking quadratic in stubs)
            stubs.setdefault(index, []).append(off)
        codes = [_Code(s.index, self._decode(s, stubs.get(s.index, []))) for s in self.text]
        self.needs_spill = any(_needs_scratch(inst) for code in codes for _, inst in code.insts)
        self.inst_starts = {(code.section, at) for code in codes for at, _ in code.insts}
        # The instruction after each one, for the `auipc; jalr` calls an assembler resolved itself (no relocation).
        self.following = {(code.section, at): nxt for code in codes for (at, _), nxt in itertools.pairwise(code.insts)}
        # Like polkavm-linker, each code section ends in a trap: a call to a noreturn function (or a branch to
        # __builtin_unreachable) as its last instruction targets the section's end, which must be an instruction.
        section_end = {code.section: code.insts[-1][0] + code.insts[-1][1].size for code in codes if code.insts}
        ends = set(section_end.items())
        self.inst_starts |= ends
        ro_size, rw_size, ro_image, rw_image, rw_base = self.layout()
        self.relocate_data(ro_image, 0x10000, self.ro_sections)
        self.relocate_data(rw_image, rw_base, self.rw_sections)
        out = _Out()
        # Function starts and exports are labels; branch targets get theirs while translating.
        for sym in self.elf.symbols:
            if sym.kind == "func" and sym.section is not None and (sym.section, sym.offset) in self.inst_starts:
                self.label((sym.section, sym.offset))
        for name, loc in self._exports():  # (an export need not be a `func` symbol: an assembly label, say)
            if loc not in self.inst_starts:
                what = f"export {name.decode(errors='replace')!r} at {self.elf.sections[loc[0]].name}+{loc[1]:#x}"
                raise LinkError(f"{what} is not the start of an instruction")
            self.label(loc)
        body: list[tuple[tuple[int, int], list[tuple[str, tuple]]]] = []
        for code in codes:
            for offset, inst in code.insts:
                body.append(((code.section, offset), self.translate(code.section, offset, inst)))
            if code.insts:
                body.append(((code.section, section_end[code.section]), [("trap", ())]))
        for loc, insts in body:
            if loc in ends and loc not in self.labels and out.last in NO_FALLTHROUGH:
                continue  # an end nothing targets or falls into
            if loc in self.labels:
                if out.last is not None and out.last not in NO_FALLTHROUGH and out.last not in TERMINATORS:
                    self.emit(out, "fallthrough", ())
                out.lines.append(f"@{self.labels[loc]}:")
                out.where.append(loc)
                out.last = None
            out.at = loc
            for name, args in insts:
                self.emit(out, name, args)
        if out.last is not None and out.last not in NO_FALLTHROUGH:
            self.emit(out, "trap", ())
        return Linked(*self.finish(out, ro_size, rw_size, bytes(ro_image), bytes(rw_image).rstrip(b"\0")))

    def emit(self, out: _Out, name: str, args: tuple) -> None:
        text = format_instruction(self.isa, name, args, target=lambda t: f"@{t}" if isinstance(t, str) else str(t))
        out.lines.append("    " + text)
        out.where.append(out.at)
        out.last = name

    def finish(self, out: _Out, ro_size: int, rw_size: int, ro_data: bytes, rw_data: bytes) -> tuple[ProgramBlob, str]:
        head = [f"%ro_data_size = {ro_size}", f"%rw_data_size = {rw_size}", f"%stack_size = {self.stack_size}"]
        if ro_data:
            head.append(f"%ro_data = {ro_data.hex()}")
        if rw_data:
            head.append(f"%rw_data = {rw_data.hex()}")
        for i, name in enumerate(self.import_table):
            head.append(f"%import {i} {quote_symbol(name)}")
        slots = sorted(self.jump_slots.items(), key=lambda kv: kv[1])
        if slots:
            head.append("%jump_table = " + ", ".join(f"@{self.labels[loc]}" for loc, _ in slots))
        for name, loc in self._exports():
            head.append(f"%export @{self.label(loc)} {quote_symbol(name)}")
        for loc in self.labels:
            if loc not in self.inst_starts:
                name = self.elf.sections[loc[0]].name
                raise LinkError(f"a branch, call or code pointer targets {name}+{loc[1]:#x}, not an instruction")
        text = "\n".join(head + out.lines) + "\n"
        try:
            return assemble(text, self.isa), text
        except AsmError as e:  # e.g. an absolute address beyond 32 bits from a corrupt symbol or relocation
            at = e.line - 1 - len(head)  # (named by its ELF location, not the generated text's line: found in review)
            loc = out.where[at] if 0 <= at < len(out.where) else None
            where = f" at {self.elf.sections[loc[0]].name}+{loc[1]:#x}" if loc is not None else ""
            raise LinkError(f"the translated program cannot be encoded{where}: {e.reason}") from None

    def _number_imports(self) -> tuple[list[bytes], dict[bytes, int]]:
        """(the import table, each symbol's number), as polkavm-linker's check_imports_and_assign_indexes: the stubs
        of one symbol, from any number of translation units, are one import, and must agree on its prototype; when
        no import carries an index, the used ones (those live code calls) are numbered in symbol order; when one
        does, every one must, and the table has a nameless entry at each number below the largest that none takes."""
        imports = self.elf.imports
        prototype: dict[bytes, tuple] = {}
        for imp in imports:
            m = imp.metadata
            seen = prototype.setdefault(imp.name, (imp.index, m.input_regs, m.output_regs))
            if seen != (imp.index, m.input_regs, m.output_regs):
                raise LinkError(f"duplicate imports with the same symbol yet different prototype: {_text(imp.name)}")
        if not any(imp.index is not None for imp in imports):
            table = sorted({imp.name for imp in imports if imp.stub_section in self.live})
            return table, {name: i for i, name in enumerate(table)}
        by_index: dict[int, bytes] = {}
        for imp in imports:
            if imp.index is None:
                raise LinkError(f"import without a specified index: {_text(imp.name)} (polkavm-linker: if one import "
                                "has an index, all must)")  # fmt: skip
            other = by_index.setdefault(imp.index, imp.name)
            if other != imp.name:
                raise LinkError(f"duplicate imports with the same index yet different prototypes: {_text(other)},"
                                f" {_text(imp.name)} (index {imp.index})")  # fmt: skip
            if imp.index >= MAX_IMPORTS:
                raise LinkError(f"import {_text(imp.name)} has index {imp.index}: a program has at most {MAX_IMPORTS}"
                                " imports")  # fmt: skip
        table = [by_index.get(i, b"") for i in range(max(by_index) + 1)]
        return table, {name: i for i, name in by_index.items()}

    def _decode(self, sec, stubs: list[int]) -> list[tuple[int, RvInst]]:
        """Decode a text section, stepping over the metadata slot inside each import stub (`stubs`: their offsets in
        it, in order; data, not code)."""
        insts: list[tuple[int, RvInst]] = []
        start = 0
        try:
            for off in stubs:
                # C stub: the 0x0000000b word then an 8-byte pointer; Rust stub: `auipc zero, ...` then 4 zero bytes.
                slot = 8 if sec.data[off : off + 4] == b"\x0b\0\0\0" else 4
                insts += decode_all(sec.data[start : off + 4], start)
                start = off + 4 + slot
            insts += decode_all(sec.data[start:], start)
        except RiscvDecodeError as e:
            raise LinkError(f"{sec.name}: {e}") from None
        return insts

    def _exports(self) -> list[tuple[bytes, tuple[int, int]]]:
        out = [(e.name, (e.section, e.offset)) for e in self.elf.exports]
        if self.wanted_exports is not None:
            by_name = {s.name: s for s in self.elf.symbols if s.section is not None}
            for name in self.wanted_exports:
                sym = by_name.get(name)
                if sym is None or not self.is_code((sym.section, sym.offset)):
                    raise LinkError(f"--export {name}: no function with that name")
                if all(n != name.encode() for n, _ in out):
                    out.append((name.encode(), (sym.section, sym.offset)))
        return out

    def translate(self, section: int, offset: int, inst: RvInst) -> list[tuple[str, tuple]]:
        """PVM instructions for one RISC-V instruction (offset targets are label names)."""
        m = inst.mnemonic
        loc = (section, offset)
        if loc in self.import_index:
            return [("ecalli", (self.import_index[loc],))]  # the stub's own `ret` follows and returns

        def r(x: int | None) -> int:
            if x in (3, 4):
                raise self.fail(f"{m}: gp/tp (x{x}) are not available in PVM", section, offset)
            if x not in REG:
                raise self.fail(f"{m}: register x{x} has no PVM equivalent", section, offset)
            return REG[x]

        rd, rs1, rs2, imm = inst.rd, inst.rs1, inst.rs2, inst.imm
        if m in ("fence", "fence.i", "fence.tso"):
            return []  # single-threaded: ordering is a no-op
        if m.startswith(("amo", "lr.", "sc.")):
            return self.translate_atomic(m, rd, rs1, rs2, r)
        if m.startswith(("pvm.", "mips.")):
            return self._unsupported(m, loc)
        if rd == 0 and (m in _R_TYPE or m in _I_TYPE or m in _UNARY or m in _CMOV or m in ("lui", "auipc", "orc.b")):
            return []  # a result written to x0 is discarded (`nop` is addi x0, x0, 0)
        if rd == 0 and m in _LOADS:
            # The access still happens (and may fault): load into a borrowed register instead.
            return self.with_scratch([], lambda t: self.translate(section, offset, replace(inst, rd=_REG_OF[t])))
        if m == "lui":
            if self.reloc(section, offset, "R_RISCV_HI20") is not None:
                return []  # the paired LO12 instruction carries the full absolute address
            return [("load_imm", (r(rd), imm))]  # the decoder gives sext32(imm20 << 12)
        if m == "auipc":
            return self.translate_auipc(section, offset, inst)
        if m in _I_TYPE:
            pending = getattr(self, "pending_address", None)
            if pending is not None and pending[0] == (section, offset):
                self.pending_address = None
                _, upper, target = pending
                out = [("load_imm", (r(rd), self.value_of(target, section, offset)))]
                if upper != rd:  # the auipc's register, as polkavm's linker leaves it: the address less the offset
                    if target[1] >= 1 << 31:
                        raise self.fail("auipc without a relocation: its offset does not fit in 32 bits", section,
                                        offset)  # fmt: skip
                    out.append(("add_imm_64", (r(upper), r(rd), -target[1])))
                return out
            hi = self.reloc(section, offset, "R_RISCV_PCREL_LO12_I", "R_RISCV_LO12_I")
            if hi is not None:
                return [("load_imm", (r(rd), self.pcrel_value(hi)))] if m == "addi" else self._unsupported(m, loc)
            if rs1 == 0:
                return [_constant(r(rd), evaluate(_I_TYPE[m], 0, imm & M64))]
            if m == "addi" and imm == 0:
                return [("move_reg", (r(rd), r(rs1)))]
            return [(_I_TYPE[m], (r(rd), r(rs1), imm))]
        if m in _R_TYPE:
            return self.translate_r(m, rd, rs1, rs2, r, loc)
        if m in _UNARY:
            if rs1 == 0:
                return [_constant(r(rd), evaluate(_UNARY[m], 0))]
            return [(_UNARY[m], (r(rd), r(rs1)))]
        if m == "orc.b":
            return self.or_combine_bytes(r(rd), r(rs1)) if rs1 else [("load_imm", (r(rd), 0))]
        if m in _CMOV:  # rd = rs1 if rs2 == 0 (mveqz) / != 0 (mvnez)
            name = "cmov_if_zero" if m == "th.mveqz" else "cmov_if_not_zero"
            if rs2 == 0:
                if m == "th.mvnez":
                    return []
                return [("move_reg", (r(rd), r(rs1)))] if rs1 != 0 else [("load_imm", (r(rd), 0))]
            if rs1 == 0:
                return [(name + "_imm", (r(rd), r(rs2), 0))]
            return [(name, (r(rd), r(rs1), r(rs2)))]
        if m in _LOADS:
            width = _LOADS[m]
            lo = self.reloc(section, offset, "R_RISCV_PCREL_LO12_I", "R_RISCV_LO12_I")
            if lo is not None:
                if m == "ld" and self.pcrel_hi(lo).type == "R_RISCV_GOT_HI20":
                    # `la` under PIC reads the symbol's GOT slot, which holds its address: no GOT needed.
                    return [_constant(r(rd), self.pcrel_value(lo))]
                return [(f"load_{width}", (r(rd), self.pcrel_value(lo)))]
            if rs1 == 0:
                return [(f"load_{width}", (r(rd), imm))]
            return [(f"load_indirect_{width}", (r(rd), r(rs1), imm))]
        if m in _STORES:
            width = _STORES[m]
            lo = self.reloc(section, offset, "R_RISCV_PCREL_LO12_S", "R_RISCV_LO12_S")
            if lo is not None:
                address = self.pcrel_value(lo)
                if rs2 == 0:
                    return [(f"store_imm_{width}", (address, 0))]
                return [(f"store_{width}", (r(rs2), address))]
            if rs2 == 0:
                if rs1 == 0:
                    return [(f"store_imm_{width}", (imm, 0))]
                return [(f"store_imm_indirect_{width}", (r(rs1), imm, 0))]
            if rs1 == 0:
                return [(f"store_{width}", (r(rs2), imm))]
            return [(f"store_indirect_{width}", (r(rs2), r(rs1), imm))]
        if m in _BRANCH:
            return self.translate_branch(m, inst, r, section, offset)
        if m == "jal":
            rel = self.reloc(section, offset, "R_RISCV_JAL", "R_RISCV_RVC_JUMP")
            dest = self.target(rel) if rel is not None else (section, offset + imm)
            if rd == 0:
                return [("jump", (self.label(dest),))]
            # Any register may take the return address (LLVM's machine outliner calls with t0 at -Oz).
            return [("load_imm_and_jump", (r(rd), self.slot((section, offset + inst.size)), self.label(dest)))]
        if m == "jalr":
            call = getattr(self, "pending_call", None)
            if call is not None and call[1:] == (section, offset - 4):
                self.pending_call = None
                dest = call[0]
                if rd == 0:  # tail call
                    return [("jump", (self.label(dest),))]
                return [("load_imm_and_jump", (r(rd), self.slot((section, offset + inst.size)), self.label(dest)))]
            lo = self.reloc(section, offset, "R_RISCV_PCREL_LO12_I", "R_RISCV_LO12_I")
            if lo is not None:  # `auipc/lui t, %hi(f); jalr rd, %lo(f)(t)`: the pair names f directly
                dest = self.target(self.pcrel_hi(lo))
                if rd == 0:
                    return [("jump", (self.label(dest),))]
                return [("load_imm_and_jump", (r(rd), self.slot((section, offset + inst.size)), self.label(dest)))]
            if imm:  # (found in review: passed on, `jalr 4(f)` went two jump-table entries on, into another function)
                raise self.fail(f"jalr with a non-zero offset ({imm}): on PVM a code address is a jump-table entry, "
                                "and an offset into a function has none (polkavm-linker refuses it too)", *loc)
            if rd == 0:
                return [("jump_indirect", (RA if rs1 == 1 else r(rs1), 0))]
            # (the jump address is computed before the link register is written, so rd == rs1 works)
            return [("load_imm_and_jump_indirect", (r(rd), r(rs1), self.slot((section, offset + inst.size)), 0))]
        if m == "ebreak" or m == "unimp":
            return [("trap", ())]
        return self._unsupported(m, loc)

    def translate_atomic(self, m: str, rd: int | None, rs1: int | None, rs2: int | None, r) -> list:
        """A and Zaamo on a single-threaded VM: lr is a load, sc a store that always succeeds (rd = 0), and
        amo<op> rd, rs2, (rs1) is load/op/store through two borrowed scratch registers."""
        word = m.split(".")[1] == "w"
        load, store = ("i32", "u32") if word else ("u64", "u64")
        if m.startswith("lr."):
            if not rd:  # the load still happens (and may fault)
                return self.with_scratch([r(rs1)], lambda t: [(f"load_indirect_{load}", (t, r(rs1), 0))])
            return [(f"load_indirect_{load}", (r(rd), r(rs1), 0))]
        if m.startswith("sc."):  # (storing zero: releasing a lock, a pointer set to NULL; found in review)
            out: list = [(f"store_indirect_{store}", (r(rs2), r(rs1), 0)) if rs2
                         else (f"store_imm_indirect_{store}", (r(rs1), 0, 0))]  # fmt: skip
            return out + ([("load_imm", (r(rd), 0))] if rd else [])
        src = r(rs2) if rs2 else None
        op = m.split(".")[0][3:]

        def body(old: int, new: int) -> list:
            out: list = [(f"load_indirect_{load}", (old, r(rs1), 0))]
            if op == "swap":
                value = src
            else:
                # .w ops see rs2's low 32 bits; sign-extending both sides keeps signed and unsigned order and the
                # low 32 bits of add/and/or/xor, which is all that is stored.
                if src is None:
                    out.append(("load_imm", (new, 0)))
                elif word:
                    out.append(("add_imm_32", (new, src, 0)))
                else:
                    out.append(("move_reg", (new, src)))
                name = {"add": "add_64", "and": "and", "or": "or", "xor": "xor", "min": "minimum", "max": "maximum",
                        "minu": "minimum_unsigned", "maxu": "maximum_unsigned"}[op]  # fmt: skip
                out.append((name, (new, old, new)))
                value = new
            if value is None:
                out.append((f"store_imm_indirect_{store}", (r(rs1), 0, 0)))
            else:
                out.append((f"store_indirect_{store}", (value, r(rs1), 0)))
            if rd:
                out.append(("move_reg", (r(rd), old)))
            return out

        return self.with_scratch([r(x) for x in (rd, rs1, rs2) if x], body, count=2)

    def with_scratch(self, busy: list[int], body: Callable[..., list], count: int = 1) -> list:
        """`body(t, ...)` with `count` PVM registers not in `busy` borrowed: saved to the spill slots and restored
        (RV64E uses all 13 PVM registers, so polkavm's linker spills its scratch registers the same way)."""
        temps = [p for p in (2, 3, 4, 5, 6, 7, 8) if p not in busy][:count]
        save = [("store_u64", (t, self.spill_address + 8 * i)) for i, t in enumerate(temps)]
        restore = [("load_u64", (t, self.spill_address + 8 * i)) for i, t in reversed(list(enumerate(temps)))]
        return save + body(*temps) + restore

    def or_combine_bytes(self, d: int, s: int) -> list:
        """orc.b: every non-zero byte becomes 0xff. ((x & 0x7f..) + 0x7f..) | x sets each byte's top bit iff the
        byte is non-zero; isolating those bits, shifting them to bit 0 and multiplying by 0xff spreads them."""

        def body(t: int, u: int) -> list:
            return [("load_imm64", (t, 0x7F7F7F7F7F7F7F7F)), ("and", (u, s, t)), ("add_64", (u, u, t)),
                    ("or", (u, u, s)), ("load_imm64", (t, 0x8080808080808080)), ("and", (u, u, t)),
                    ("shift_logical_right_imm_64", (u, u, 7)), ("mul_imm_64", (u, u, 0xFF)),
                    ("move_reg", (d, u))]  # fmt: skip

        return self.with_scratch([d, s], body, count=2)

    def _unsupported(self, what: str, loc: tuple[int, int]) -> list:
        raise self.fail(f"unsupported instruction {what}", *loc)

    def translate_r(self, m: str, rd: int | None, rs1: int | None, rs2: int | None, r, loc) -> list:
        name = _R_TYPE[m]
        if rs1 != 0 and rs2 != 0:
            return [(name, (r(rd), r(rs1), r(rs2)))]
        d = r(rd)
        if rs1 == 0 and rs2 == 0:
            return [_constant(d, evaluate(name, 0, 0))]
        src = r(rs2 if rs1 == 0 else rs1)

        def with_zero() -> list:
            # The general case: x0 becomes a borrowed register holding 0.
            def use(t: int) -> list:
                return [("load_imm", (t, 0)), (name, (d, t, src) if rs1 == 0 else (d, src, t))]

            return self.with_scratch([d, src], use)

        if rs2 == 0:  # op(rs1, 0)
            if m in ("add", "sub", "or", "xor", "sll", "srl", "sra", "orn", "rol", "ror", "max", "maxu"):
                if m in ("max",):
                    return with_zero()
                return [("move_reg", (d, src))] if m not in ("orn",) else [("load_imm", (d, -1))]
            if m in ("addw", "subw", "sllw", "srlw", "sraw", "rolw", "rorw"):
                return [("add_imm_32", (d, src, 0))]
            if m in ("and", "mul", "mulw", "mulh", "mulhu", "mulhsu", "minu", "andn"):
                return [("load_imm", (d, 0))] if m != "andn" else [("move_reg", (d, src))]
            if m == "slt":
                return [("set_less_than_signed_imm", (d, src, 0))]
            if m == "sltu":
                return [("load_imm", (d, 0))]
            if m in ("div", "divu", "divw", "divuw"):
                return [("load_imm", (d, -1))]
            if m in ("rem", "remu"):
                return [("move_reg", (d, src))]
            if m in ("remw", "remuw"):
                return [("add_imm_32", (d, src, 0))]
            if m == "xnor":  # ~(x ^ 0)
                return [("xor_imm", (d, src, -1))]
            return with_zero()
        # op(0, rs2)
        if m in ("add", "or", "xor"):
            return [("move_reg", (d, src))]
        if m == "addw":
            return [("add_imm_32", (d, src, 0))]
        if m == "sub":
            return [("negate_and_add_imm_64", (d, src, 0))]
        if m == "subw":
            return [("negate_and_add_imm_32", (d, src, 0))]
        if m == "sltu":  # snez
            return [("set_greater_than_unsigned_imm", (d, src, 0))]
        if m == "slt":  # sgtz
            return [("set_greater_than_signed_imm", (d, src, 0))]
        if m in ("and", "mul", "mulw", "sll", "srl", "sra", "sllw", "srlw", "sraw", "mulh", "mulhu", "mulhsu",
                 "rem", "remu", "remw", "remuw", "andn", "rol", "ror", "rolw", "rorw", "minu"):  # fmt: skip
            return [("load_imm", (d, 0))]  # 0 op x is 0 for all of these (x % 0 is x = 0, too)
        if m in ("orn", "xnor"):  # 0 | ~x and ~(0 ^ x)
            return [("xor_imm", (d, src, -1))]
        if m == "maxu":
            return [("move_reg", (d, src))]
        return with_zero()

    def translate_branch(self, m: str, inst: RvInst, r, section: int, offset: int) -> list:
        cond, _ = _BRANCH[m]
        rel = self.reloc(section, offset, "R_RISCV_BRANCH", "R_RISCV_RVC_BRANCH")
        dest = self.target(rel) if rel is not None else (section, offset + inst.imm)
        taken = self.label(dest)
        self.label((section, offset + inst.size))  # the fall-through is a new block
        rs1, rs2 = inst.rs1, inst.rs2
        if rs1 == 0 and rs2 == 0:
            always = cond in ("eq", "greater_or_equal_signed", "greater_or_equal_unsigned")
            return [("jump", (taken,))] if always else []
        if rs2 == 0:
            return [(f"branch_{cond}_imm", (r(rs1), 0, taken))]
        if rs1 == 0:
            return [(f"branch_{_SWAPPED_IMM[cond]}_imm", (r(rs2), 0, taken))]
        return [(f"branch_{cond}", (r(rs1), r(rs2), taken))]

    def translate_auipc(self, section: int, offset: int, inst: RvInst) -> list:
        call = self.reloc(section, offset, "R_RISCV_CALL_PLT", "R_RISCV_CALL")
        if call is not None:
            self.pending_call = (self.target(call), section, offset)
            return []  # the paired jalr becomes the call
        if self.reloc(section, offset, "R_RISCV_PCREL_HI20", "R_RISCV_GOT_HI20") is not None:
            return []  # the paired LO12 instructions load the full address
        nxt = self.following.get((section, offset))
        if nxt is not None and nxt[1].mnemonic == "jalr" and nxt[1].rs1 == inst.rd and inst.rd:
            # `auipc t, hi; jalr rd, lo(t)` to a function in the same section (-mno-relax): pc-relative, like polkavm's
            # linker, so no relocation was needed; the jalr becomes the call (or the tail call).
            self.pending_call = ((section, offset + inst.imm + (nxt[1].imm or 0)), section, offset)
            return []
        if (nxt is not None and nxt[1].mnemonic == "addi" and nxt[1].rs1 == inst.rd and inst.rd
                and self.reloc(section, nxt[0], "R_RISCV_PCREL_LO12_I", "R_RISCV_LO12_I") is None):  # fmt: skip
            # `auipc t, hi; addi rd, t, lo`: a function taking an address in its own section (-mno-relax; found in
            # review), which polkavm's linker loads as that address (the addi becomes the load: translate_i).
            target = offset + inst.imm + (nxt[1].imm or 0)
            if not 0 <= target < self.elf.sections[section].size:
                raise self.fail(f"auipc without a relocation points outside its section (offset {target:#x})", section,
                                offset)  # fmt: skip
            if not nxt[1].rd:
                raise self.fail("auipc without a relocation, paired with an addi to the zero register", section, offset)
            self.pending_address = ((section, nxt[0]), inst.rd, (section, target))
            return []
        raise self.fail("auipc without a relocation (is the program compiled with relocations?)", section, offset)

    def pcrel_value(self, lo: Relocation) -> int:
        """Address a LO12 relocation completes: PCREL_LO12 names the auipc that carries the HI20; LO12 the data."""
        if lo.type in ("R_RISCV_LO12_I", "R_RISCV_LO12_S"):
            return self.value_of(self.target(lo), lo.section, lo.offset)
        return self.value_of(self.target(self.pcrel_hi(lo)), lo.section, lo.offset)

    def pcrel_hi(self, lo: Relocation) -> Relocation:
        """The HI20 relocation (PCREL, GOT or absolute) a LO12 relocation is paired with."""
        if lo.type in ("R_RISCV_LO12_I", "R_RISCV_LO12_S"):
            return lo
        hi_loc = self.target(lo)
        hi = self.reloc(hi_loc[0], hi_loc[1], "R_RISCV_PCREL_HI20", "R_RISCV_GOT_HI20", "R_RISCV_HI20")
        if hi is None:
            raise self.fail("PCREL_LO12 without its HI20 pair", lo.section, lo.offset)
        return hi


def _text(name: bytes) -> str:
    """A symbol's name as a message shows it: quoted text, not a bytes repr (found in review: "b'alpha'")."""
    return repr(name.decode("utf-8", "replace"))


# compiler-rt's helpers, which clang calls for what RV64EMAC has no instruction for: soft-float arithmetic and
# conversions, and 128-bit division, modulo and (at -Oz) shifts.
_SOFT_FLOAT = re.compile(r"__(add|sub|mul|div|neg|extend|trunc|fix|float|cmp|eq|ne|lt|le|gt|ge|unord|powi)[a-z]*"
                         r"[sdt]f[a-z]*\d?$")  # fmt: skip
_INT128 = re.compile(r"__(u?divti3|u?modti3|ashlti3|lshrti3|ashrti3|multi3|u?divmodti4)$")


def _runtime_helper(name: str) -> str:
    """Why an undefined symbol is missing, when it is a compiler runtime helper."""
    if _SOFT_FLOAT.match(name):
        return (" (compiler-rt's soft-float helper: PVM has no FPU, so float and double arithmetic calls these; link "
                "them in, compiled for rv64emac, or keep floating point out of the guest)")
    if _INT128.match(name):
        return " (compiler-rt's 128-bit integer helper: link it in, compiled for rv64emac, or avoid the operation)"
    return ""


def link_elf(data: bytes, *, isa: str = "revive_v1", exports: list[str] | None = None,
             stack_size: int = 64 * 1024) -> Linked:  # fmt: skip
    """Link a RISC-V ELF (bytes) into a PVM blob; raises LinkError for anything unsupported. `stack_size` is a
    minimum: a program asking for more with PVM_MIN_STACK_SIZE gets that."""
    if isa not in BY_NAME or not BY_NAME[isa].is_64_bit:
        raise LinkError(f"unsupported target ISA {isa!r} (revive_v1 or latest64)")
    if isinstance(exports, (str, bytes)):  # (a list of its letters otherwise: found in review)
        raise LinkError(f"exports is a list of names, got the string {exports!r}")
    if isinstance(stack_size, bool) or not isinstance(stack_size, int) or not 0 <= stack_size <= 0xFFFFFFFF:
        raise LinkError(f"stack_size must be an int in 0..2^32-1, got {stack_size!r}")
    elf = read_elf(data)
    # As polkavm-linker: the stack is the largest of the requested size and the program's PVM_MIN_STACK_SIZE values.
    stack_size = max(stack_size, -(-(elf.min_stack_size or 0) // 4096) * 4096)
    return Linker(elf, isa=BY_NAME[isa], exports=exports, stack_size=stack_size).link()


__all__ = ["Linked", "LinkError", "link_elf"]
