"""Disassembler: a program blob as polkavm-style text that `asm.assemble` turns back into the same program.

Everything the assembler needs is in the output: `%isa`, memory sizes, ro/rw data, imports, exports,
the jump table (as labels), and every instruction in the text form of `asm.FORMS`. Instructions
whose bytes are not exactly the canonical encoding (padding, over-long immediates, clamped registers,
gaps in the bitmask, a truncated last instruction, an undefined opcode other than the one `invalid`
assembles to) are written as `%raw <hex>` with the decoded text in a comment, so the code bytes, and
with them every offset and jump-target validity, come back identical.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from .asm import encode, format_instruction, quote_symbol
from .blob import ProgramBlob
from .isa import INVALID, TERMINATORS, Kind
from .program import Code, Instruction

__all__ = ["disassemble"]

_IDENT = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")
_GENERATED = re.compile(r"L\d+")
T = TypeVar("T")
_TARGET_INDEX = {Kind.OFFSET: 0, Kind.REG_IMM_OFFSET: 2, Kind.REG_REG_OFFSET: 2}


def _target_of(inst: Instruction) -> int | None:
    if inst.name == INVALID:
        return None
    index = _TARGET_INDEX.get(inst.kind)
    return None if index is None else inst.args[index]


def _chunks(data: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _show(symbol: bytes) -> str:
    """A symbol for a comment: plain when printable ASCII, else quoted with escapes (never a line break)."""
    text = symbol.decode("ascii", "replace")
    return text if text.isprintable() and text.isascii() and "\ufffd" not in text else quote_symbol(symbol)


def _pretty_exports(blob: ProgramBlob, starts: set[int]) -> bool:
    """Can every export be a `pub @name:` line (identifier names, in pc order, at instruction starts)?"""
    names = [e.symbol.decode("ascii", "replace") for e in blob.exports]
    pcs = [e.pc for e in blob.exports]
    return (
        all(_IDENT.fullmatch(n) and not _GENERATED.fullmatch(n) for n in names)
        and len(set(names)) == len(names)
        and all(pc in starts for pc in pcs)
        and pcs == sorted(pcs)
    )


def disassemble(blob: ProgramBlob, *, show_gas: bool = True, annotate: Callable[[int], list[str]] | None = None) -> str:
    """Render `blob` as assembly text; `assemble(disassemble(blob))` gives an equivalent program. `annotate(pc)` gives
    comment lines to show under each instruction (`pvmkit disasm --native`: its x86-64 code)."""
    isa = blob.isa
    code: Code = blob.code_view()
    size = len(code)
    linear = list(code.instructions())
    real = [i for i in linear if i.pc < size and code.is_instruction_start(i.pc)]
    starts = {i.pc for i in real}

    # Which instructions must be written byte for byte to keep the layout.
    raw: dict[int, bytes] = {}
    for inst in real:
        original = code.code[inst.pc : code.next_instruction_start(inst.pc)]
        if encode(isa, inst.name, inst.args, inst.pc) != original:
            raw[inst.pc] = original

    pretty = _pretty_exports(blob, starts)
    export_names: dict[int, list[str]] = {}
    if pretty:
        for e in blob.exports:
            export_names.setdefault(e.pc, []).append(e.symbol.decode("ascii"))

    # Positions that get a label: valid jump targets, referenced starts, exports.
    labelled = {i.pc for i in real if code.is_jump_target_valid(i.pc)}
    for inst in real:
        t = _target_of(inst)
        if t is not None and t in starts and inst.pc not in raw:
            labelled.add(t)
    labelled |= {t for t in blob.jump_table if t in starts}
    labelled |= {e.pc for e in blob.exports if e.pc in starts}

    def label(pc: int) -> str:
        return export_names[pc][0] if pc in export_names else f"L{pc}"

    def target(pc: int) -> str:
        return "@" + label(pc) if pc in labelled else str(pc)

    def target_or_number(pc: int) -> str:
        return "@" + label(pc) if pc in starts else str(pc)

    # Linear basic blocks (for the gas annotation).
    block_start: set[int] = set()
    previous_terminates = True
    for inst in linear:
        is_real = inst.pc < size and code.is_instruction_start(inst.pc)
        if is_real and previous_terminates:
            block_start.add(inst.pc)
        previous_terminates = inst.name in TERMINATORS

    out: list[str] = []
    head = out.append
    head("// pvmkit disassembly")
    head(f"// isa: {isa.name} (blob version {isa.blob_version}, {'64' if isa.is_64_bit else '32'}-bit)")
    head(f"// code: {size} bytes, {len(real)} instructions, {len(block_start)} basic blocks")
    head(f"// memory: ro_data_size={blob.ro_data_size} rw_data_size={blob.rw_data_size} stack_size={blob.stack_size}")
    head(f"// data: ro_data {len(blob.ro_data)} bytes, rw_data {len(blob.rw_data)} bytes")
    head(f"// imports: {len(blob.imports)}")
    for index, symbol in enumerate(blob.imports):
        head(f"//   #{index}: {'<malformed>' if symbol is None else _show(symbol)}")
    head(f"// exports: {len(blob.exports)}")
    for e in blob.exports:
        head(f"//   pc {e.pc}: {_show(e.symbol)}")
    head(f"// jump table: {len(blob.jump_table)} entries")
    if blob.debug_strings or blob.debug_line_programs or blob.debug_line_program_ranges or blob.unknown_sections:
        head("// debug info / unknown optional sections: present, not reproduced")
    if raw:
        head(f"// {len(raw)} instruction(s) with a non-canonical encoding are written as %raw")
    head(f"%isa = {isa.name}")
    head(f"%ro_data_size = {blob.ro_data_size}")
    head(f"%rw_data_size = {blob.rw_data_size}")
    head(f"%stack_size = {blob.stack_size}")
    for name, data in (("ro_data", blob.ro_data), ("rw_data", blob.rw_data)):
        for n, chunk in enumerate(_chunks(data, 32)):
            head(f"%{name} {'+=' if n else '='} {bytes(chunk).hex()}")
    for index, symbol in enumerate(blob.imports):
        head(f"%import {index} {quote_symbol(symbol or b'')}")
    if not pretty:
        for e in blob.exports:
            head(f"%export {target_or_number(e.pc)} {quote_symbol(e.symbol)}")
    entries = [target_or_number(t) for t in blob.jump_table]
    for n, group in enumerate(_chunks(entries, 16)):
        head(f"%jump_table {'+=' if n else '='} {', '.join(group)}")
    minimal = max(1, (max(blob.jump_table).bit_length() + 7) // 8) if blob.jump_table else 0
    if blob.jump_table_entry_size > minimal:
        head(f"%jump_table_entry_size = {blob.jump_table_entry_size}")

    width = len(str(max(size, 1)))
    for inst in linear:
        pc = inst.pc
        if pc >= size or not code.is_instruction_start(pc):
            if pc == 0:  # the bitmask does not start at 0: keep the leading bytes as they are
                head("")
                head(f"{pc:>{width}}:     %bytes {code.code[: inst.next_pc].hex()}  // not instruction starts")
            else:
                where = "end of code" if pc >= size else "gap in the bitmask"
                head(f"// {pc:>{width}}: implicit trap ({where})")
            continue
        if pc in block_start:
            head("")
        gas = f"  // gas: {len(code.block(pc))}" if show_gas and pc in block_start else ""
        valid = code.is_jump_target_valid(pc)
        if pc in labelled:
            suffix = "" if valid else " %no_fallthrough"
            for name in export_names.get(pc, []):
                head(f"pub @{name}:{suffix}{gas}")
                gas = ""
            if pc not in export_names:
                head(f"@{label(pc)}:{suffix}{gas}")
                gas = ""
        elif gas:
            head(f"//{gas[4:]} (block is not a jump target)")
        text = format_instruction(isa, inst.name, inst.args, target)
        note = ""
        if inst.name == "ecalli":
            index = inst.args[0] & 0xFFFFFFFF
            symbol = blob.imports[index] if index < len(blob.imports) else None
            note = f"import #{index}: {_show(symbol)}" if symbol is not None else "unknown import"
        elif inst.name == INVALID:
            note = f"opcode {code.code[pc]}"
        if pc in raw:
            note = f"{text}{'  ' + note if note else ''} (non-canonical encoding)"
            text = f"%raw {raw[pc].hex()}"
        head(f"{pc:>{width}}:     {text}" + (f"  // {note}" if note else ""))
        if annotate is not None:
            out += [f"{'':>{width}}      //   {line}" for line in annotate(pc)]
    return "\n".join(out) + "\n"
