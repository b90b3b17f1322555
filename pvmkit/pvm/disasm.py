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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from .asm import AsmError, LabelRef, _Item, _layout, _State, encode, format_instruction, quote_symbol
from .blob import ProgramBlob, encode_imports
from .isa import INVALID, KIND, TERMINATORS, InstructionSet, Kind
from .program import Code

__all__ = ["disassemble", "disassembly"]

_IDENT = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")
_GENERATED = re.compile(r"L\d+")
T = TypeVar("T")
_TARGET_INDEX = {Kind.OFFSET: 0, Kind.REG_IMM_OFFSET: 2, Kind.REG_REG_OFFSET: 2}


def _target_index(name: str) -> int | None:
    """Which operand of instruction `name` is a jump target (None: it has none)."""
    return None if name == INVALID else _TARGET_INDEX.get(KIND[name])


def _target_of(name: str, args: tuple[int, ...]) -> int | None:
    index = _target_index(name)
    return None if index is None else args[index]


def _pinned(isa: InstructionSet, listing: list[tuple[int, tuple[str, tuple[int, ...]], bytes]], raw: dict[int, bytes],
            is_start: Callable[[int], bool], leading: bytes) -> dict[int, bytes]:  # fmt: skip
    """The jumps to write as %raw so that assembling the listing gives back this layout. The assembler's layout
    (asm._layout) starts every jump at its smallest size and grows them until their offsets fit, i.e. takes the
    smallest layout that fits; a program may be laid out larger and still be canonical everywhere (a 3-byte jump +128
    is a 2-byte jump +127 once it saves its byte: found in review, every pc after it moved). The listing is laid out
    by that same function (targets that are instruction starts as labels, which move with the code, others as
    numbers), the first jump that comes out another size is pinned to its bytes, and it runs again until none does.
    `leading`: the bytes before the first instruction (a %bytes item).

    A jump the assembler would lay out shorter even if nothing else moved is pinned before any layout runs (found in
    review: pinning one jump per layout took 46 s for 800 of them); layouts then pin only what that leaves."""
    pinned = {pc: original for pc, (name, args), original in listing
              if pc not in raw and _shorter_alone(isa, name, args, pc, original, is_start)}  # fmt: skip
    starts = [pc for pc, _, _ in listing]
    while True:
        # (only jumps change size: without one left to lay out, the layout is the listing's. Labels only for the
        # targets named: a listing of 600,000 instructions held ~800 bytes each, found in review)
        if not any(pc not in raw and pc not in pinned and _target_index(name) is not None
                   for pc, (name, _), _ in listing):  # fmt: skip
            return pinned
        state = _State(isa)
        if leading:
            state.items.append(_Item("", [], 0, leading, False))
        targets = set()
        for pc, (name, args), _ in listing:
            fixed = raw.get(pc) or pinned.get(pc)
            index = None if fixed is not None else _target_index(name)
            if index is not None and is_start(args[index]):
                targets.add(args[index])
                args = args[:index] + (LabelRef(f"L{args[index]}"),) + args[index + 1 :]  # type: ignore[assignment]
            state.items.append(_Item(name, list(args), 0, fixed))
        for i, (pc, _, _) in enumerate(listing):
            if pc in targets:
                state.labels[f"L{pc}"] = (i + bool(leading), 0)
        try:
            _, bitmask, _ = _layout(state)
        except AsmError:  # (a layout that does not converge: the text would not assemble either way)
            return pinned
        laid = [pc for pc in range(len(bitmask) * 8) if bitmask[pc >> 3] >> (pc & 7) & 1]
        moved = next((j for j, (a, b) in enumerate(zip(laid, starts, strict=False)) if a != b), None)
        if moved is None and len(laid) == len(starts):
            return pinned
        # The instruction before the first that moved came out another size: a jump (nothing else changes size).
        j = (len(starts) if moved is None else moved) - 1
        pc, _, original = listing[j]
        if pc in pinned or pc in raw:
            return pinned  # (cannot happen: a fixed item keeps its size)
        pinned[pc] = original


def _shorter_alone(isa: InstructionSet, name: str, args: tuple[int, ...], pc: int, original: bytes,
                   is_start: Callable[[int], bool]) -> bool:  # fmt: skip
    """Whether the assembler, laying out this jump with everything else where it is, would make it shorter than
    `original`: from its smallest size, as asm._layout starts, it grows it until its offset fits, and a target after
    it that is an instruction start (a label) moves with its size."""
    index = _target_index(name)
    if index is None:
        return False
    target = args[index]
    moves = is_start(target) and target > pc

    def size(at: int) -> int:
        return len(encode(isa, name, [*args[:index], at, *args[index + 1 :]], pc))

    try:
        laid = size(pc)  # (every target at distance 0)
        for _ in range(8):
            grown = size(target - len(original) + laid if moves else target)
            if grown <= laid:
                break
            laid = grown
    except AsmError:
        return False
    return laid < len(original)


def _chunks(data: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def show_symbol(symbol: bytes) -> str:
    """A symbol for a comment: plain when printable ASCII, else quoted with escapes (never a line break)."""
    text = symbol.decode("ascii", "replace")
    return text if text.isprintable() and text.isascii() and "\ufffd" not in text else quote_symbol(symbol)


def _pretty_exports(blob: ProgramBlob, is_start: Callable[[int], bool]) -> bool:
    """Can every export be a `pub @name:` line (identifier names, in pc order, at instruction starts)?"""
    names = [e.symbol.decode("ascii", "replace") for e in blob.exports]
    pcs = [e.pc for e in blob.exports]
    return (
        all(_IDENT.fullmatch(n) and not _GENERATED.fullmatch(n) for n in names)
        and len(set(names)) == len(names)
        and all(is_start(pc) for pc in pcs)
        and pcs == sorted(pcs)
    )


def disassemble(blob: ProgramBlob, *, show_gas: bool = True, annotate: Callable[[int], list[str]] | None = None) -> str:
    """Render `blob` as assembly text; `assemble(disassemble(blob))` gives an equivalent program. `annotate(pc)` gives
    comment lines to show under each instruction (`pvmkit disasm --native`: its x86-64 code)."""
    return "".join(disassembly(blob, show_gas=show_gas, annotate=annotate))


def _block_lengths(forms: list[tuple[str, tuple[int, ...]]]) -> list[int]:
    """For each position of the decoded listing, the length of the block `Code.block()` reads from there: up to and
    including the first terminator (an implicit or explicit trap too), from one pass backwards."""
    lengths = [0] * len(forms)
    run = 0
    for i in range(len(forms) - 1, -1, -1):
        run = 1 if forms[i][0] in TERMINATORS else run + 1  # (INVALID is one)
        lengths[i] = run
    return lengths


def disassembly(blob: ProgramBlob, *, show_gas: bool = True, annotate: Callable[[int], list[str]] | None = None
                ) -> Iterator[str]:  # fmt: skip
    """disassemble() a piece at a time (lines ending in a newline), so that a big program's text is never held whole
    (`pvmkit disasm` writes it as it comes: a 1 MiB program of one-byte blocks is ~50 MB of text). Per-pc facts are
    kept as flags over the code rather than sets (sets of a million pcs took ~50 MB each)."""
    isa = blob.isa
    code: Code = blob.code_view()
    size = len(code)
    bitmask = code.bitmask
    pcs, forms, ends = code.decoded()

    def is_start(pc: int) -> bool:
        return 0 <= pc < size and (bitmask[pc >> 3] >> (pc & 7)) & 1 == 1

    # The listing's real instructions (a position past the end or off the bitmask is an implicit trap).
    real = [k for k, pc in enumerate(pcs) if pc < size and (bitmask[pc >> 3] >> (pc & 7)) & 1]
    valid = code.valid_targets()

    # Which instructions must be written byte for byte to keep the layout: non-canonical encodings, and jumps the
    # assembler would lay out otherwise (_pinned).
    raw: dict[int, bytes] = {}
    originals: list[bytes] = []
    for j, k in enumerate(real):
        pc = pcs[k]
        original = code.code[pc : pcs[real[j + 1]] if j + 1 < len(real) else size]
        originals.append(original)
        name, args = forms[k]
        if encode(isa, name, args, pc) != original:
            raw[pc] = original
    leading = code.code[: pcs[real[0]]] if real else b""  # (the %bytes the listing starts with, if any)
    pinned = _pinned(isa, [(pcs[k], forms[k], original) for k, original in zip(real, originals, strict=True)], raw,
                     is_start, leading)  # fmt: skip
    raw.update(pinned)

    pretty = _pretty_exports(blob, is_start)
    export_names: dict[int, list[str]] = {}
    if pretty:
        for e in blob.exports:
            export_names.setdefault(e.pc, []).append(e.symbol.decode("ascii"))

    # Positions that get a label: valid jump targets, referenced starts, exports.
    labelled = bytearray(size)
    for pc in valid:
        labelled[pc] = 1
    for k in real:
        t = _target_of(*forms[k])
        if t is not None and is_start(t) and pcs[k] not in raw:
            labelled[t] = 1
    for t in (*blob.jump_table, *(e.pc for e in blob.exports)):
        if is_start(t):
            labelled[t] = 1

    def label(pc: int) -> str:
        return export_names[pc][0] if pc in export_names else f"L{pc}"

    def target(pc: int) -> str:
        return "@" + label(pc) if 0 <= pc < size and labelled[pc] else str(pc)

    def target_or_number(pc: int) -> str:
        return "@" + label(pc) if is_start(pc) else str(pc)

    # Linear basic blocks (for the gas annotation): a real instruction after a terminator (or first).
    block_start = bytearray(size)
    previous_terminates = True
    for pc, form in zip(pcs, forms, strict=True):
        if previous_terminates and pc < size and (bitmask[pc >> 3] >> (pc & 7)) & 1:
            block_start[pc] = 1
        previous_terminates = form[0] in TERMINATORS
    gas_of = _block_lengths(forms) if show_gas else []

    yield "// pvmkit disassembly\n"
    yield f"// isa: {isa.name} (blob version {isa.blob_version}, {'64' if isa.is_64_bit else '32'}-bit)\n"
    yield f"// code: {size} bytes, {len(real)} instructions, {block_start.count(1)} basic blocks\n"
    yield f"// memory: ro_data_size={blob.ro_data_size} rw_data_size={blob.rw_data_size} stack_size={blob.stack_size}\n"
    yield f"// data: ro_data {len(blob.ro_data)} bytes, rw_data {len(blob.rw_data)} bytes\n"
    yield f"// imports: {len(blob.imports)}\n"
    for index, symbol in enumerate(blob.imports):
        yield f"//   #{index}: {'<malformed>' if symbol is None else show_symbol(symbol)}\n"
    yield f"// exports: {len(blob.exports)}\n"
    for e in blob.exports:
        yield f"//   pc {e.pc}: {show_symbol(e.symbol)}\n"
    yield f"// jump table: {len(blob.jump_table)} entries\n"
    if blob.debug_strings or blob.debug_line_programs or blob.debug_line_program_ranges or blob.unknown_sections:
        yield "// debug info / unknown optional sections: present, not reproduced\n"
    if raw:
        yield (f"// {len(raw)} instruction(s) written as %raw: encoded otherwise than the assembler would, or laid out"
               " larger than it would\n")  # fmt: skip
    yield f"%isa = {isa.name}\n"
    yield f"%ro_data_size = {blob.ro_data_size}\n"
    yield f"%rw_data_size = {blob.rw_data_size}\n"
    yield f"%stack_size = {blob.stack_size}\n"
    for name, data in (("ro_data", blob.ro_data), ("rw_data", blob.rw_data)):
        for n, chunk in enumerate(_chunks(data, 32)):
            yield f"%{name} {'+=' if n else '='} {bytes(chunk).hex()}\n"
    raw_imports = blob._imports_raw
    if raw_imports is not None and (None in blob.imports or raw_imports != encode_imports(blob.imports)):
        # (as the blob has them: a symbol-less import, or offsets the writer would not make, found in review)
        offsets, symbols = (part.hex() or "-" for part in raw_imports)
        yield f"// imports: {', '.join('(none)' if s is None else show_symbol(s) for s in blob.imports)}\n"
        yield f"%imports_raw = {offsets} {symbols}\n"
    else:
        for index, symbol in enumerate(blob.imports):
            yield f"%import {index} {quote_symbol(symbol or b'')}\n"
    if not pretty:
        for e in blob.exports:
            yield f"%export {target_or_number(e.pc)} {quote_symbol(e.symbol)}\n"
    # Sixteen entries a line, each line's text made as it is written (found in review: the whole table's strings at
    # once took 1.4 GB for a 16M-entry table).
    for n, group in enumerate(_chunks(blob.jump_table, 16)):
        yield f"%jump_table {'+=' if n else '='} {', '.join(map(target_or_number, group))}\n"
    minimal = max(1, (max(blob.jump_table).bit_length() + 7) // 8) if blob.jump_table else 0
    if blob.jump_table_entry_size > minimal:
        yield f"%jump_table_entry_size = {blob.jump_table_entry_size}\n"

    width = len(str(max(size, 1)))
    for k, pc in enumerate(pcs):
        name, args = forms[k]
        if pc >= size or not (bitmask[pc >> 3] >> (pc & 7)) & 1:
            if pc == 0:  # the bitmask does not start at 0: keep the leading bytes as they are
                yield "\n"
                yield f"{pc:>{width}}:     %bytes {code.code[: ends[k]].hex()}  // not instruction starts\n"
            else:
                where = "end of code" if pc >= size else "gap in the bitmask"
                yield f"// {pc:>{width}}: implicit trap ({where})\n"
            continue
        lines: list[str] = []
        starts_block = block_start[pc]
        if starts_block:
            lines.append("")
        gas = f"  // gas: {gas_of[k]}" if show_gas and starts_block else ""
        if labelled[pc]:
            suffix = "" if pc in valid else " %no_fallthrough"
            for export in export_names.get(pc, []):
                lines.append(f"pub @{export}:{suffix}{gas}")
                gas = ""
            if pc not in export_names:
                lines.append(f"@{label(pc)}:{suffix}{gas}")
                gas = ""
        elif gas:
            lines.append(f"//{gas[4:]} (block is not a jump target)")
        text = format_instruction(isa, name, args, target)
        note = ""
        if name == "ecalli":
            index = args[0] & 0xFFFFFFFF
            symbol = blob.imports[index] if index < len(blob.imports) else None
            note = f"import #{index}: {show_symbol(symbol)}" if symbol is not None else "unknown import"
        elif name == INVALID:
            note = f"opcode {code.code[pc]}"
        if pc in raw:
            why = "kept as is: the assembler would lay it out shorter" if pc in pinned else "non-canonical encoding"
            note = f"{text}{'  ' + note if note else ''} ({why})"
            text = f"%raw {raw[pc].hex()}"
        lines.append(f"{pc:>{width}}:     {text}" + (f"  // {note}" if note else ""))
        if annotate is not None:
            lines += [f"{'':>{width}}      //   {line}" for line in annotate(pc)]
        yield "\n".join(lines) + "\n"
