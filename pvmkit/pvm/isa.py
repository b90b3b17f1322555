"""PVM instruction sets as data: opcode numbers, operand kinds and control-flow flags.

Every backend (interpreter, assembler, disassembler, JIT) reads these tables; nothing else
hard-codes an opcode number. Facts from polkavm's `define_all_instructions!` and
`define_instruction_set!` (polkavm-common 0.35, program.rs).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property


class Kind(enum.Enum):
    """Operand layout of an instruction (polkavm's `read_args_*`)."""

    ARGLESS = "argless"
    IMM = "imm"
    OFFSET = "offset"
    IMM_IMM = "imm_imm"
    REG_IMM = "reg_imm"
    REG_IMM64 = "reg_imm64"
    REG_IMM_IMM = "reg_imm_imm"
    REG_IMM_OFFSET = "reg_imm_offset"
    REG_REG = "reg_reg"
    REG_REG_IMM = "reg_reg_imm"
    REG_REG_OFFSET = "reg_reg_offset"
    REG_REG_REG = "reg_reg_reg"
    REG_REG_IMM_IMM = "reg_reg_imm_imm"


_KINDS: dict[Kind, str] = {
    Kind.ARGLESS: "trap fallthrough memset unlikely",
    Kind.REG_IMM: "jump_indirect load_imm load_u8 load_i8 load_u16 load_i16 load_i32 load_u32 load_u64 "
    "store_u8 store_u16 store_u32 store_u64",
    Kind.REG_IMM_OFFSET: "load_imm_and_jump branch_eq_imm branch_not_eq_imm branch_less_unsigned_imm "
    "branch_less_signed_imm branch_greater_or_equal_unsigned_imm branch_greater_or_equal_signed_imm "
    "branch_less_or_equal_signed_imm branch_less_or_equal_unsigned_imm branch_greater_signed_imm "
    "branch_greater_unsigned_imm",
    Kind.REG_IMM_IMM: "store_imm_indirect_u8 store_imm_indirect_u16 store_imm_indirect_u32 store_imm_indirect_u64",
    Kind.REG_REG_IMM: "store_indirect_u8 store_indirect_u16 store_indirect_u32 store_indirect_u64 "
    "load_indirect_u8 load_indirect_i8 load_indirect_u16 load_indirect_i16 load_indirect_i32 load_indirect_u32 "
    "load_indirect_u64 add_imm_32 add_imm_64 and_imm xor_imm or_imm mul_imm_32 mul_imm_64 "
    "set_less_than_unsigned_imm set_less_than_signed_imm shift_logical_left_imm_32 shift_logical_left_imm_64 "
    "shift_logical_right_imm_32 shift_logical_right_imm_64 shift_arithmetic_right_imm_32 "
    "shift_arithmetic_right_imm_64 negate_and_add_imm_32 negate_and_add_imm_64 set_greater_than_unsigned_imm "
    "set_greater_than_signed_imm shift_logical_right_imm_alt_32 shift_logical_right_imm_alt_64 "
    "shift_arithmetic_right_imm_alt_32 shift_arithmetic_right_imm_alt_64 shift_logical_left_imm_alt_32 "
    "shift_logical_left_imm_alt_64 cmov_if_zero_imm cmov_if_not_zero_imm rotate_right_imm_32 "
    "rotate_right_imm_alt_32 rotate_right_imm_64 rotate_right_imm_alt_64",
    Kind.REG_REG_OFFSET: "branch_eq branch_not_eq branch_less_unsigned branch_less_signed "
    "branch_greater_or_equal_unsigned branch_greater_or_equal_signed",
    Kind.REG_REG_REG: "add_32 add_64 sub_32 sub_64 and xor or mul_32 mul_64 mul_upper_signed_signed "
    "mul_upper_unsigned_unsigned mul_upper_signed_unsigned set_less_than_unsigned set_less_than_signed "
    "shift_logical_left_32 shift_logical_left_64 shift_logical_right_32 shift_logical_right_64 "
    "shift_arithmetic_right_32 shift_arithmetic_right_64 div_unsigned_32 div_unsigned_64 div_signed_32 "
    "div_signed_64 rem_unsigned_32 rem_unsigned_64 rem_signed_32 rem_signed_64 cmov_if_zero cmov_if_not_zero "
    "and_inverted or_inverted xnor maximum maximum_unsigned minimum minimum_unsigned rotate_left_32 "
    "rotate_left_64 rotate_right_32 rotate_right_64",
    Kind.OFFSET: "jump",
    Kind.IMM: "ecalli",
    Kind.IMM_IMM: "store_imm_u8 store_imm_u16 store_imm_u32 store_imm_u64",
    Kind.REG_REG: "move_reg sbrk count_leading_zero_bits_32 count_leading_zero_bits_64 count_trailing_zero_bits_32 "
    "count_trailing_zero_bits_64 count_set_bits_32 count_set_bits_64 sign_extend_8 sign_extend_16 "
    "zero_extend_16 reverse_byte",
    Kind.REG_REG_IMM_IMM: "load_imm_and_jump_indirect",
    Kind.REG_IMM64: "load_imm64",
}

KIND: dict[str, Kind] = {name: kind for kind, names in _KINDS.items() for name in names.split()}
"""Mnemonic → operand kind, for every instruction any ISA knows."""

INVALID = "invalid"
"""Name of the pseudo-instruction that an unknown opcode, a gap or the end of code decodes to (it traps)."""

BRANCHES = frozenset(n for n in KIND if n.startswith("branch_"))
TERMINATORS = frozenset(
    {"trap", "fallthrough", "jump", "jump_indirect", "load_imm_and_jump", "load_imm_and_jump_indirect", INVALID}
    | BRANCHES
)
"""Instructions that end a basic block (`Opcode::starts_new_basic_block`; `invalid` counts as `trap`)."""

NO_FALLTHROUGH = frozenset(
    {"trap", "jump", "jump_indirect", "load_imm_and_jump", "load_imm_and_jump_indirect", INVALID}
)
"""Instructions after which execution never continues at the next pc (`!can_fallthrough()`)."""

MEMORY_BASE = {n: 0 if n.startswith("store_imm_indirect_") else 1 for n in KIND
               if n.startswith(("load_indirect_", "store_indirect_", "store_imm_indirect_"))}  # fmt: skip
"""Indirect memory instructions → the operand index of their base register."""
MEMORY_OFFSET = {n: 1 if n.startswith("store_imm_indirect_") else 2 for n in MEMORY_BASE}
"""Indirect memory instructions → the operand index of their offset immediate."""

WRITES_FIRST = frozenset(n for n, k in KIND.items()
                         if k in (Kind.REG_REG, Kind.REG_REG_IMM, Kind.REG_REG_REG, Kind.REG_IMM, Kind.REG_IMM64)
                         and not n.startswith(("store_", "jump")))  # fmt: skip
"""Instructions that write their first operand register and go on to the next instruction."""

# Register ABI names, index = the 4-bit register field (values 13..15 clamp to a5).
REG_NAMES = ("ra", "sp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5")
REG_INDEX = {name: i for i, name in enumerate(REG_NAMES)} | {f"r{i}": i for i in range(13)}


@dataclass(frozen=True)
class InstructionSet:
    """One instruction set: which opcode byte means which instruction."""

    name: str
    blob_version: int
    is_64_bit: bool
    opcodes: dict[int, str] = field(repr=False)

    @cached_property
    def by_name(self) -> dict[str, int]:
        return {n: o for o, n in self.opcodes.items()}

    def name_of(self, opcode: int) -> str:
        """Mnemonic for an opcode byte, `invalid` when this ISA does not define it."""
        return self.opcodes.get(opcode, INVALID)

    def opcode_of(self, name: str) -> int:
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(f"instruction {name!r} does not exist in the {self.name} instruction set") from None

    def __contains__(self, name: object) -> bool:
        return name in self.opcodes.values()


_REVIVE_V1 = {
    0: "trap", 1: "fallthrough", 10: "ecalli", 20: "load_imm64",
    30: "store_imm_u8", 31: "store_imm_u16", 32: "store_imm_u32", 33: "store_imm_u64",
    40: "jump", 50: "jump_indirect", 51: "load_imm", 52: "load_u8", 53: "load_i8", 54: "load_u16", 55: "load_i16",
    56: "load_u32", 57: "load_i32", 58: "load_u64", 59: "store_u8", 60: "store_u16", 61: "store_u32", 62: "store_u64",
    70: "store_imm_indirect_u8", 71: "store_imm_indirect_u16", 72: "store_imm_indirect_u32",
    73: "store_imm_indirect_u64",
    80: "load_imm_and_jump", 81: "branch_eq_imm", 82: "branch_not_eq_imm", 83: "branch_less_unsigned_imm",
    84: "branch_less_or_equal_unsigned_imm", 85: "branch_greater_or_equal_unsigned_imm",
    86: "branch_greater_unsigned_imm", 87: "branch_less_signed_imm", 88: "branch_less_or_equal_signed_imm",
    89: "branch_greater_or_equal_signed_imm", 90: "branch_greater_signed_imm",
    100: "move_reg", 102: "count_set_bits_64", 103: "count_set_bits_32", 104: "count_leading_zero_bits_64",
    105: "count_leading_zero_bits_32", 106: "count_trailing_zero_bits_64", 107: "count_trailing_zero_bits_32",
    108: "sign_extend_8", 109: "sign_extend_16", 110: "zero_extend_16", 111: "reverse_byte",
    120: "store_indirect_u8", 121: "store_indirect_u16", 122: "store_indirect_u32", 123: "store_indirect_u64",
    124: "load_indirect_u8", 125: "load_indirect_i8", 126: "load_indirect_u16", 127: "load_indirect_i16",
    128: "load_indirect_u32", 129: "load_indirect_i32", 130: "load_indirect_u64",
    131: "add_imm_32", 132: "and_imm", 133: "xor_imm", 134: "or_imm", 135: "mul_imm_32",
    136: "set_less_than_unsigned_imm", 137: "set_less_than_signed_imm", 138: "shift_logical_left_imm_32",
    139: "shift_logical_right_imm_32", 140: "shift_arithmetic_right_imm_32", 141: "negate_and_add_imm_32",
    142: "set_greater_than_unsigned_imm", 143: "set_greater_than_signed_imm", 144: "shift_logical_left_imm_alt_32",
    145: "shift_logical_right_imm_alt_32", 146: "shift_arithmetic_right_imm_alt_32", 147: "cmov_if_zero_imm",
    148: "cmov_if_not_zero_imm", 149: "add_imm_64", 150: "mul_imm_64", 151: "shift_logical_left_imm_64",
    152: "shift_logical_right_imm_64", 153: "shift_arithmetic_right_imm_64", 154: "negate_and_add_imm_64",
    155: "shift_logical_left_imm_alt_64", 156: "shift_logical_right_imm_alt_64",
    157: "shift_arithmetic_right_imm_alt_64", 158: "rotate_right_imm_64", 159: "rotate_right_imm_alt_64",
    160: "rotate_right_imm_32", 161: "rotate_right_imm_alt_32",
    170: "branch_eq", 171: "branch_not_eq", 172: "branch_less_unsigned", 173: "branch_less_signed",
    174: "branch_greater_or_equal_unsigned", 175: "branch_greater_or_equal_signed",
    180: "load_imm_and_jump_indirect",
    190: "add_32", 191: "sub_32", 192: "mul_32", 193: "div_unsigned_32", 194: "div_signed_32",
    195: "rem_unsigned_32", 196: "rem_signed_32", 197: "shift_logical_left_32", 198: "shift_logical_right_32",
    199: "shift_arithmetic_right_32", 200: "add_64", 201: "sub_64", 202: "mul_64", 203: "div_unsigned_64",
    204: "div_signed_64", 205: "rem_unsigned_64", 206: "rem_signed_64", 207: "shift_logical_left_64",
    208: "shift_logical_right_64", 209: "shift_arithmetic_right_64", 210: "and", 211: "xor", 212: "or",
    213: "mul_upper_signed_signed", 214: "mul_upper_unsigned_unsigned", 215: "mul_upper_signed_unsigned",
    216: "set_less_than_unsigned", 217: "set_less_than_signed", 218: "cmov_if_zero", 219: "cmov_if_not_zero",
    220: "rotate_left_64", 221: "rotate_left_32", 222: "rotate_right_64", 223: "rotate_right_32",
    224: "and_inverted", 225: "or_inverted", 226: "xnor", 227: "maximum", 228: "maximum_unsigned",
    229: "minimum", 230: "minimum_unsigned",
}  # fmt: skip

# Latest64 = ReviveV1 plus memset, unlikely and sbrk.
_LATEST64 = _REVIVE_V1 | {2: "memset", 3: "unlikely", 101: "sbrk"}

# JamV1 = ReviveV1 with `unlikely` at 2 and the bit-manipulation group 102..111 moved down by one.
_JAM_V1 = {o: n for o, n in _REVIVE_V1.items() if not 102 <= o <= 111} | {2: "unlikely"}
_JAM_V1 |= {o - 1: _REVIVE_V1[o] for o in range(102, 112)}

# Latest32 has no 64-bit-only instructions.
_ONLY_64 = {
    "load_imm64", "store_imm_u64", "load_u32", "load_u64", "store_u64", "store_imm_indirect_u64",
    "store_indirect_u64", "load_indirect_u32", "load_indirect_u64", "count_set_bits_64",
    "count_leading_zero_bits_64", "count_trailing_zero_bits_64",
}  # fmt: skip
_LATEST32 = {o: n for o, n in _LATEST64.items() if not (n.endswith("_64") or n in _ONLY_64)}

REVIVE_V1 = InstructionSet("revive_v1", 0, True, _REVIVE_V1)
LATEST32 = InstructionSet("latest32", 1, False, _LATEST32)
LATEST64 = InstructionSet("latest64", 2, True, _LATEST64)
JAM_V1 = InstructionSet("jam_v1", 3, True, _JAM_V1)

BY_VERSION: dict[int, InstructionSet] = {s.blob_version: s for s in (REVIVE_V1, LATEST32, LATEST64, JAM_V1)}
BY_NAME: dict[str, InstructionSet] = {s.name: s for s in BY_VERSION.values()}


def _check_tables() -> None:
    for isa, expected in ((REVIVE_V1, 138), (LATEST32, 106), (LATEST64, 141), (JAM_V1, 139)):
        assert len(isa.opcodes) == expected, (isa.name, len(isa.opcodes))
        assert all(n in KIND for n in isa.opcodes.values()), isa.name


_check_tables()
