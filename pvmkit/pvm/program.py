"""Decoded view of PVM code: instruction boundaries, operands, basic blocks and jump targets.

Implements polkavm's decoding rules (reference/polkavm.md §2.2): the bitmask gives instruction
starts, skip is clamped to 24, argument bytes past the end of code read as zero, register fields
clamp to a5, immediates are sign-extended little-endian "simple varints", and a gap or the end of
code after a fall-through instruction decodes as an implicit `invalid` (trap).
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from .isa import INVALID, KIND, NO_FALLTHROUGH, TERMINATORS, InstructionSet, Kind

BITMASK_MAX = 24
RETURN_TO_HOST = 0xFFFF0000
JUMP_TABLE_ALIGNMENT = 2


class Instruction(NamedTuple):
    """One decoded instruction. `args` are in the order of the operand kind (see `isa.Kind`)."""

    pc: int
    name: str
    args: tuple[int, ...]
    next_pc: int

    @property
    def kind(self) -> Kind:
        return Kind.ARGLESS if self.name == INVALID else KIND[self.name]


def _sext(value: int, nbytes: int) -> int:
    """Sign-extend an n-byte little-endian immediate to a Python int in the i32 range."""
    if nbytes == 0:
        return 0
    bits = 8 * nbytes
    return value - (1 << bits) if value >> (bits - 1) else value


# (name, operands) by ISA and instruction bytes (see Code._name_args), shared by every Code in the process: resolc
# contracts share most of their instructions (`u64 [sp + 8] = s0`, ...), and half of ERC-20's decoding was misses.
# Bounded, as entries stay for the life of the process.
DECODED: dict[str, dict[bytes, tuple[str, tuple[int, ...]]]] = {}
DECODED_LIMIT = 100_000
# Per-block caches of a program (Code.block(), the interpreter's block functions and costs) are emptied when they reach
# this many entries and refilled on demand: a resolc contract has a few thousand blocks (a 1 MiB one ~40,000, not all
# run), but a hostile one of a million one-instruction blocks made the interpreter keep ~2 KB each (found in review:
# 424 MiB for 200,000; now at most ~70 MB per module).
BLOCK_CACHE_LIMIT = 1 << 15
# Code.decoded(): every instruction's pc, (name, operands) and next pc.
Decoded = tuple[list[int], list[tuple[str, tuple[int, ...]]], list[int]]


class Code:
    """Code bytes + bitmask + jump table of one program, with polkavm's decoding rules.

    Pure data and queries: nothing here executes. Shared by the interpreter, the assembler's
    round trip, the disassembler and the JIT.
    """

    def __init__(self, isa: InstructionSet, code: bytes, bitmask: bytes, jump_table: Sequence[int] = ()) -> None:
        self.isa = isa
        self.code = bytes(code)
        self.bitmask = bytes(bitmask)
        self.jump_table = tuple(jump_table)
        self._names = [isa.name_of(op) for op in range(256)]
        self._rules = _rules(isa.name, self._names)
        self._decoded = DECODED.setdefault(isa.name, {})  # see _name_args
        self._relative = DECODED.setdefault(isa.name + " relative", {})  # see _decode_new
        self._blocks: dict[int, list[Instruction]] = {}  # see block()
        self._listing: list[Instruction] | None = None  # see listing()
        self._decoded_all: Decoded | None = None  # see decoded()
        self._index: dict[int, int] | None = None  # pc → position in decoded()
        self._ends_block = [n != INVALID and n in TERMINATORS for n in self._names]  # per opcode

    def __len__(self) -> int:
        return len(self.code)

    def is_instruction_start(self, pc: int) -> bool:
        return 0 <= pc < len(self.code) and (self.bitmask[pc >> 3] >> (pc & 7)) & 1 == 1

    def _skip(self, pc: int) -> tuple[int, bool]:
        """Distance to the next instruction start, clamped; and whether the next position is an implicit invalid."""
        code_len = len(self.code)
        bitmask = self.bitmask
        offset = pc + 1
        limit = min(pc + 1 + BITMASK_MAX, code_len)
        while offset < limit and not (bitmask[offset >> 3] >> (offset & 7)) & 1:
            offset += 1
        if offset >= code_len:
            return code_len - pc - 1 if code_len > pc else 0, True
        if (bitmask[offset >> 3] >> (offset & 7)) & 1:
            return offset - pc - 1, False
        return BITMASK_MAX, True

    def decode(self, pc: int) -> tuple[Instruction, bool]:
        """Decode the instruction at `pc` (which must be < len(code)).

        Returns the instruction and whether an implicit `invalid` follows it (a gap of more than
        24 bytes, or the end of code after an instruction that can fall through).
        """
        code = self.code
        skip, next_invalid = self._skip(pc)
        opcode = code[pc]
        name = self._names[opcode]
        next_pc = pc + skip + 1
        if next_invalid and next_pc >= len(code) and name in NO_FALLTHROUGH:
            next_invalid = False
        return Instruction(pc, name, self._args(name, pc, skip), next_pc), next_invalid

    def _args(self, name: str, pc: int, skip: int) -> tuple[int, ...]:
        """Operands of the instruction at `pc`: decoding may read up to 16 bytes past the opcode, zeros past the end."""
        chunk = self.code[pc + 1 : pc + 17]
        if len(chunk) < 16:
            chunk = chunk + bytes(16 - len(chunk))
        return _DECODER_BY_NAME[name](chunk, pc, skip)

    def listing(self) -> list[Instruction]:
        """`instructions()` from pc 0 as a list, decoded once per Code (validation and blocks share it)."""
        if self._listing is None:
            pcs, forms, ends = self.decoded()
            new, cls = tuple.__new__, Instruction
            self._listing = [new(cls, (pcs[k], *forms[k], ends[k])) for k in range(len(forms))]
        return self._listing

    def decoded(self) -> Decoded:
        """`instructions()` from pc 0 as three lists, without building Instruction tuples, once per Code: the pcs,
        each instruction's (name, operands) and its next_pc. An instruction that does not depend on its pc has the
        same (name, operands) object as every other with its encoding (see _name_args), so a caller can do its work
        once per distinct instruction (the JIT does)."""
        if self._decoded_all is None:
            self._decoded_all = self._decode_all()
        return self._decoded_all

    def _decode_all(self) -> Decoded:
        """decoded(), faster than through instructions(): instruction starts come from one pass over the bitmask (a
        table of set bits per byte) instead of a bit-by-bit scan per instruction. Anything but the common case (the
        next start is near and not the end of code) is left to instructions() from that pc."""
        code = self.code
        code_len = len(code)
        pcs: list[int] = []
        forms: list[tuple[str, tuple[int, ...]]] = []
        ends: list[int] = []
        resume = 0
        if code_len and self.is_instruction_start(0):
            starts = self._starts()
            starts = starts[: bisect.bisect_left(starts, code_len)]  # (the bitmask's padding bits may be set)
            lengths = list(map(operator.sub, starts[1:], starts))
            n = len(lengths)  # the last instruction is left to instructions(): the end of code follows it
            if n and max(lengths) > BITMASK_MAX + 1:
                n = next(k for k, length in enumerate(lengths) if length > BITMASK_MAX + 1)
            pcs, ends = starts[:n], starts[1 : n + 1]
            get, decode = self._decoded.get, self._decode_new
            # (a comprehension rather than a loop: no append() per instruction)
            forms = [get(key := code[a:b]) or decode(a, b - a - 1, key) for a, b in zip(pcs, ends, strict=True)]
            resume = starts[n]
        for inst in self.instructions(resume):
            pcs.append(inst.pc)
            forms.append((inst.name, inst.args))
            ends.append(inst.next_pc)
        return pcs, forms, ends

    def _name_args(self, pc: int, skip: int) -> tuple[str, tuple[int, ...]]:
        """(name, operands) of the instruction at `pc`, which ends before the end of code. Instructions whose decoding
        reads only their own bytes and does not depend on their pc are decoded once per process and encoding
        (DECODED): most repeat, e.g. `u64 [sp + 8] = s0`."""
        key = self.code[pc : pc + 1 + skip]
        return self._decoded.get(key) or self._decode_new(pc, skip, key)

    def _decode_new(self, pc: int, skip: int, key: bytes) -> tuple[str, tuple[int, ...]]:
        """_name_args for an instruction not in DECODED: decoded, and kept under its bytes (`key`) when its operands
        come from them alone (see _own_bytes) while there is room. Jumps and branches are kept apart, with their
        target as an offset modulo 2^32, and get their pc added per use."""
        name, read, relative, decoder = self._rules[key[0]]
        own = len(key) > read if read >= 0 else _own_bytes(name, key)  # (inlined for operands without a nibble)
        if relative:
            args = self._relative.get(key)
            if args is None:
                if not own:
                    return name, self._args(name, pc, skip)
                args = decoder(key[1:], pc, skip)
                if len(self._relative) < DECODED_LIMIT:
                    self._relative[key] = (*args[:-1], (args[-1] - pc) & 0xFFFFFFFF)
                return name, args
            return name, (*args[:-1], (pc + args[-1]) & 0xFFFFFFFF)
        if not own:
            return name, self._args(name, pc, skip)
        found = (name, decoder(key[1:], pc, skip))  # (its own bytes hold all decoding reads)
        if len(self._decoded) < DECODED_LIMIT:
            self._decoded[key] = found
        return found

    def instructions(self, start: int = 0) -> Iterator[Instruction]:
        """All instructions from `start` to the end, in order, with implicit traps where polkavm has them."""
        if start == 0 and self._listing is not None:
            yield from self._listing
            return
        code_len = len(self.code)
        pc = start
        if pc < code_len and not self.is_instruction_start(pc):
            nxt = self.next_instruction_start(pc)
            yield Instruction(pc, INVALID, (), nxt)
            pc = nxt
        bitmask, name_args = self.bitmask, self._name_args
        while pc < code_len:
            # Fast path: the next instruction start is near and not the end (decoded through the cache).
            nxt = pc + 1  # _skip inlined (it would cost this loop ~15%)
            while nxt < code_len and not (bitmask[nxt >> 3] >> (nxt & 7)) & 1:
                nxt += 1
            skip = nxt - pc - 1
            if nxt < code_len and skip <= BITMASK_MAX:
                yield Instruction(pc, *name_args(pc, skip), nxt)
                pc = nxt
                continue
            inst, next_invalid = self.decode(pc)
            yield inst
            pc = inst.next_pc
            if next_invalid:
                if inst.name in NO_FALLTHROUGH and pc < code_len:
                    pc = self.next_instruction_start(pc)
                    continue
                nxt = self.next_instruction_start(pc) if pc < code_len else pc + 1
                yield Instruction(pc, INVALID, (), nxt)
                pc = nxt

    def next_instruction_start(self, pc: int) -> int:
        """First instruction start strictly after `pc`, or len(code)."""
        code_len = len(self.code)
        bitmask = self.bitmask
        pc += 1
        while pc < code_len and not (bitmask[pc >> 3] >> (pc & 7)) & 1:
            pc += 1
        return min(pc, code_len)

    def block(self, pc: int, limit: int | None = None) -> list[Instruction]:
        """Instructions executed from `pc` up to and including the block terminator (`instructions_bounded_at`), or
        the first `limit` of them (not cached: the interpreter's segments of a long block each decoded the rest of the
        block, quadratic in its length, found in review).

        A position that is not an instruction start (or is past the end) is a lone `invalid`.
        """
        found = self._blocks.get(pc)
        if found is not None:
            return found
        out: list[Instruction] = []
        if pc >= len(self.code) or not self.is_instruction_start(pc):
            out.append(Instruction(pc, INVALID, (), pc + 1))
        else:
            if self._decoded_all is not None:  # the whole program was decoded already: walk that
                pcs, forms, ends = self._decoded_all
                if self._index is None:
                    self._index = {at: i for i, at in enumerate(pcs)}
                new, cls = tuple.__new__, Instruction
                insts: Iterable[Instruction] = (
                    new(cls, (pcs[i], *forms[i], ends[i])) for i in range(self._index[pc], len(forms))
                )
            else:
                insts = self.instructions(pc)  # the linear decoder's cache makes repeated forms cheap
            for inst in insts:
                if inst.name == INVALID:  # an implicit trap: a one-byte invalid, as polkavm's bounded iterator
                    out.append(Instruction(inst.pc, INVALID, (), inst.pc + 1))
                    break
                out.append(inst)
                if inst.name in TERMINATORS:
                    break
                if len(out) == limit:
                    return out
        if len(self._blocks) >= BLOCK_CACHE_LIMIT:
            self._blocks.clear()
        self._blocks[pc] = out
        return out

    def _previous_skip(self, offset: int) -> int | None:
        """polkavm's `get_previous_instruction_skip`: distance back to the previous start within 25 bytes."""
        bitmask = self.bitmask
        byte = offset >> 3
        mask = bitmask[byte] << 24
        if offset >= 8:
            mask |= bitmask[byte - 1] << 16
        if offset >= 16:
            mask |= bitmask[byte - 2] << 8
        if offset >= 24:
            mask |= bitmask[byte - 3]
        mask = ((mask << (8 - (offset & 7))) & 0xFFFFFFFF) >> 1
        skip = (32 - mask.bit_length()) - 1
        return None if skip > BITMASK_MAX else skip

    def valid_targets(self) -> frozenset[int]:
        """Every pc `is_jump_target_valid` accepts, from one pass over the instruction starts (cheaper than asking
        pc by pc)."""
        targets = getattr(self, "_valid_targets", None)
        if targets is None:
            code, ends = self.code, self._ends_block
            code_len = len(code)
            starts = self._starts()
            out = [0] if starts and starts[0] == 0 and code_len else []
            # A start is a target when the instruction right before it ends a block and _previous_skip sees it:
            # within 25 bytes, but within 24 when the target is a multiple of 8 (polkavm reads 32 bitmask bits
            # ending with the target's byte, so the fourth byte back is out of its reach then).
            out += [
                pc
                for prev, pc in itertools.pairwise(starts)
                if pc < code_len and ends[code[prev]] and (pc - prev <= BITMASK_MAX or pc & 7 and pc - prev == 25)
            ]
            targets = self._valid_targets = frozenset(out)
        return targets

    def _starts(self) -> list[int]:
        """Every set bit of the bitmask, in order (one table lookup per byte), computed once."""
        starts = getattr(self, "_start_list", None)
        if starts is None:
            starts = self._start_list = [i * 8 + p for i, b in enumerate(self.bitmask) if b for p in _BITS[b]]
        return starts

    def is_jump_target_valid(self, pc: int) -> bool:
        """Only the first instruction of a basic block may be jumped to."""
        if not self.is_instruction_start(pc):
            return False
        if pc == 0:
            return True
        skip = self._previous_skip(pc)
        if skip is None:
            return False
        previous = self._names[self.code[pc - skip - 1]]
        # After an unknown opcode nothing is a target (while find_start_of_basic_block treats it as a trap).
        return previous != INVALID and previous in TERMINATORS

    def find_start_of_basic_block(self, pc: int) -> int | None:
        """The start of the basic block containing `pc` (polkavm's `find_start_of_basic_block`)."""
        if not self.is_instruction_start(pc):
            return None
        while pc != 0:
            skip = self._previous_skip(pc)
            if skip is None:
                return None
            previous = pc - skip - 1
            if self._names[self.code[previous]] in TERMINATORS:
                return pc
            pc = previous
        return 0

    def jump_table_target(self, address: int) -> int | None:
        """Code offset for a dynamic jump address `(index + 1) * 2`, or None if out of the table."""
        if address == 0 or address & 1:
            return None
        index = (address >> 1) - 1
        if index >= len(self.jump_table):
            return None
        return self.jump_table[index]


# Operand bytes decoding reads whatever the skip (fixed fields), by kind; the length nibble of a first immediate
# (REG_IMM_IMM, IMM_IMM, REG_REG_IMM_IMM, REG_IMM_OFFSET) adds to it.
_FIXED_READ = {Kind.ARGLESS: 0, Kind.IMM: 0, Kind.OFFSET: 0, Kind.REG_IMM: 1, Kind.REG_REG_IMM: 1, Kind.REG_REG: 1,
               Kind.REG_REG_OFFSET: 1, Kind.REG_REG_REG: 2, Kind.REG_IMM_IMM: 1, Kind.IMM_IMM: 1,
               Kind.REG_IMM_OFFSET: 1, Kind.REG_REG_IMM_IMM: 2, Kind.REG_IMM64: 9}  # fmt: skip
_READS = {name: _FIXED_READ[kind] for name, kind in KIND.items()}
_NIBBLE = {Kind.REG_IMM_IMM: (1, 4), Kind.IMM_IMM: (1, 0), Kind.REG_REG_IMM_IMM: (2, 0), Kind.REG_IMM_OFFSET: (1, 4)}
_NIBBLE_AT = {name: _NIBBLE[kind] for name, kind in KIND.items() if kind in _NIBBLE}  # (byte, shift) of the nibble
_PLAIN_READS = {name: read for name, read in _READS.items() if name not in _NIBBLE_AT}
_TARGET_LAST = (Kind.OFFSET, Kind.REG_REG_OFFSET, Kind.REG_IMM_OFFSET)  # a target (pc + offset modulo 2^32)
_RELATIVE = frozenset(name for name, kind in KIND.items() if kind in _TARGET_LAST)


# Per opcode: (name, bytes its decoding reads or -1, a jump or branch?, operand decoder): see _rules.
_Rule = tuple[str, int, bool, Callable[[bytes, int, int], tuple[int, ...]]]
_RULES: dict[str, list[_Rule]] = {}


def _rules(isa: str, names: list[str]) -> list[_Rule]:
    """Per opcode, what Code._decode_new asks of it, once per ISA: (name, bytes its decoding reads, or -1 if a length
    nibble adds to them (_own_bytes), a jump or branch?, operand decoder)."""
    found = _RULES.get(isa)
    if found is None:
        found = _RULES[isa] = [(n, _PLAIN_READS.get(n, -1), n in _RELATIVE, _DECODER_BY_NAME[n]) for n in names]
    return found


def _own_bytes(name: str, key: bytes) -> bool:
    """Whether the operands of the instruction `key` (its bytes, opcode first) come from those bytes alone, not from
    bytes after it (a short encoding makes polkavm read into the next instruction), so that every instruction with
    these bytes decodes alike (but for a target's pc: see _decode_new)."""
    read = _READS.get(name)
    if read is None:
        return False
    at = _NIBBLE_AT.get(name)
    if at is not None and len(key) > at[0]:
        read += min(4, key[at[0]] >> at[1] & 7)
    return len(key) > read


_BITS = [tuple(i for i in range(8) if b >> i & 1) for b in range(256)]  # set bit positions of each byte value


# The decoders below inline _reg and _imm through these tables: a decode that misses Code._decoded runs one of them,
# ~3,500 times for a resolc contract. _R[nibble] clamps a register field; _N4[n + 8] clamps an immediate length to
# 0..4; an n-byte immediate v is negative when v >= _SIGN[n] (never for n = 0), and is then v - _WRAP[n].
_R = tuple(nibble if nibble < 12 else 12 for nibble in range(16))
_N4 = tuple(min(4, max(n, 0)) for n in range(-8, 32))
_SIGN = (1, *(1 << (8 * n - 1) for n in range(1, 5)))
_WRAP = tuple(1 << (8 * n) for n in range(5))
_FROM = int.from_bytes


def _d_regs3(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    b1 = chunk[0]
    return (_R[chunk[1] & 15], _R[b1 & 15], _R[b1 >> 4])


def _d_reg_reg_imm(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    b1 = chunk[0]
    n = _N4[skip + 7]
    v = _FROM(chunk[1 : 1 + n], "little")
    return (_R[b1 & 15], _R[b1 >> 4], v - _WRAP[n] if v >= _SIGN[n] else v)


def _d_reg_imm(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    n = _N4[skip + 7]
    v = _FROM(chunk[1 : 1 + n], "little")
    return (_R[chunk[0] & 15], v - _WRAP[n] if v >= _SIGN[n] else v)


def _d_reg_imm_imm(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    b1 = chunk[0]
    l1 = _N4[((b1 >> 4) & 7) + 8]
    n = _N4[skip - l1 + 7]
    v1 = _FROM(chunk[1 : 1 + l1], "little")
    v2 = _FROM(chunk[1 + l1 : 1 + l1 + n], "little")
    return (_R[b1 & 15], v1 - _WRAP[l1] if v1 >= _SIGN[l1] else v1, v2 - _WRAP[n] if v2 >= _SIGN[n] else v2)


def _d_reg_imm_offset(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    b1 = chunk[0]
    l1 = _N4[((b1 >> 4) & 7) + 8]
    n = _N4[skip - l1 + 7]
    v1 = _FROM(chunk[1 : 1 + l1], "little")
    v2 = _FROM(chunk[1 + l1 : 1 + l1 + n], "little")
    offset = v2 - _WRAP[n] if v2 >= _SIGN[n] else v2
    return (_R[b1 & 15], v1 - _WRAP[l1] if v1 >= _SIGN[l1] else v1, (pc + offset) & 0xFFFFFFFF)


def _d_reg_reg_offset(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    b1 = chunk[0]
    n = _N4[skip + 7]
    v = _FROM(chunk[1 : 1 + n], "little")
    return (_R[b1 & 15], _R[b1 >> 4], (pc + (v - _WRAP[n] if v >= _SIGN[n] else v)) & 0xFFFFFFFF)


def _d_reg_reg(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    b1 = chunk[0]
    return (_R[b1 & 15], _R[b1 >> 4])


def _d_imm(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    n = _N4[skip + 8]
    v = _FROM(chunk[:n], "little")
    return (v - _WRAP[n] if v >= _SIGN[n] else v,)


def _d_offset(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    n = _N4[skip + 8]
    v = _FROM(chunk[:n], "little")
    return ((pc + (v - _WRAP[n] if v >= _SIGN[n] else v)) & 0xFFFFFFFF,)


def _d_imm_imm(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    l1 = _N4[(chunk[0] & 7) + 8]
    n = _N4[skip - l1 + 7]
    v1 = _FROM(chunk[1 : 1 + l1], "little")
    v2 = _FROM(chunk[1 + l1 : 1 + l1 + n], "little")
    return (v1 - _WRAP[l1] if v1 >= _SIGN[l1] else v1, v2 - _WRAP[n] if v2 >= _SIGN[n] else v2)


def _d_reg_reg_imm_imm(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    b1 = chunk[0]
    l1 = _N4[(chunk[1] & 7) + 8]
    n = _N4[skip - l1 + 6]
    v1 = _FROM(chunk[2 : 2 + l1], "little")
    v2 = _FROM(chunk[2 + l1 : 2 + l1 + n], "little")
    imm1, imm2 = v1 - _WRAP[l1] if v1 >= _SIGN[l1] else v1, v2 - _WRAP[n] if v2 >= _SIGN[n] else v2
    return (_R[b1 & 15], _R[b1 >> 4], imm1, imm2)


def _d_reg_imm64(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    return (_R[chunk[0] & 15], _FROM(chunk[1:9], "little"))


def _d_none(chunk: bytes, pc: int, skip: int) -> tuple[int, ...]:
    return ()


# Operand decoder per operand kind (polkavm's rules: lengths clamped by the skip, registers above 12 read as 12).
_DECODERS = {Kind.ARGLESS: _d_none, Kind.REG_REG_REG: _d_regs3, Kind.REG_REG_IMM: _d_reg_reg_imm,
             Kind.REG_IMM: _d_reg_imm, Kind.REG_IMM_IMM: _d_reg_imm_imm, Kind.REG_IMM_OFFSET: _d_reg_imm_offset,
             Kind.REG_REG_OFFSET: _d_reg_reg_offset, Kind.REG_REG: _d_reg_reg, Kind.IMM: _d_imm,
             Kind.OFFSET: _d_offset, Kind.IMM_IMM: _d_imm_imm, Kind.REG_REG_IMM_IMM: _d_reg_reg_imm_imm,
             Kind.REG_IMM64: _d_reg_imm64}  # fmt: skip
_DECODER_BY_NAME = {name: _DECODERS[kind] for name, kind in KIND.items()}
_DECODER_BY_NAME[INVALID] = _d_none


def encode_imm(value: int) -> bytes:
    """Minimal little-endian encoding of an i32/u32 immediate that decodes back to the same 32-bit value."""
    value &= 0xFFFFFFFF
    signed = value - (1 << 32) if value >> 31 else value
    for n in range(5):
        if _sext(value & ((1 << (8 * n)) - 1), n) == signed:
            return (value & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
    raise AssertionError(value)


def encode_instruction(isa: InstructionSet, name: str, args: Sequence[int], pc: int = 0) -> bytes:
    """Encode one instruction (opcode + argument bytes) as polkavm's writer does.

    Offsets (jump/branch targets) are absolute code offsets and become pc-relative here.
    """
    kind = KIND[name]
    out = bytes([isa.opcode_of(name)])
    if kind is Kind.ARGLESS:
        return out
    if kind is Kind.IMM:
        return out + encode_imm(args[0])
    if kind is Kind.OFFSET:
        return out + encode_imm(args[0] - pc)
    if kind is Kind.IMM_IMM:
        i1, i2 = encode_imm(args[0]), encode_imm(args[1])
        return out + bytes([len(i1)]) + i1 + i2
    if kind is Kind.REG_IMM:
        return out + bytes([args[0]]) + encode_imm(args[1])
    if kind is Kind.REG_IMM64:
        return out + bytes([args[0]]) + (args[1] & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    if kind is Kind.REG_IMM_IMM or kind is Kind.REG_IMM_OFFSET:
        i1 = encode_imm(args[1])
        i2 = encode_imm(args[2] - pc if kind is Kind.REG_IMM_OFFSET else args[2])
        return out + bytes([args[0] | len(i1) << 4]) + i1 + i2
    if kind is Kind.REG_REG:
        return out + bytes([args[0] | args[1] << 4])
    if kind is Kind.REG_REG_IMM:
        return out + bytes([args[0] | args[1] << 4]) + encode_imm(args[2])
    if kind is Kind.REG_REG_OFFSET:
        return out + bytes([args[0] | args[1] << 4]) + encode_imm(args[2] - pc)
    if kind is Kind.REG_REG_REG:
        return out + bytes([args[1] | args[2] << 4, args[0]])
    if kind is Kind.REG_REG_IMM_IMM:
        i1, i2 = encode_imm(args[2]), encode_imm(args[3])
        return out + bytes([args[0] | args[1] << 4, len(i1)]) + i1 + i2
    raise AssertionError(kind)


def assemble_code(isa: InstructionSet, instructions: Sequence[tuple[str, Sequence[int]]]) -> tuple[bytes, bytes]:
    """Lay out (name, args) pairs back to back; returns (code, bitmask). Offsets in args are absolute."""
    code = bytearray()
    starts = []
    for name, args in instructions:
        starts.append(len(code))
        code += encode_instruction(isa, name, args, len(code))
    bitmask = bytearray((len(code) + 7) // 8)
    for s in starts:
        bitmask[s >> 3] |= 1 << (s & 7)
    return bytes(code), bytes(bitmask)
