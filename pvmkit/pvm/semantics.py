"""What every PVM instruction does, defined once (reference/polkavm.md §2.3).

Registers hold unsigned 64-bit Python ints. Each entry builds a Python expression from operand
expressions: a register operand is a local-variable name (str), an immediate is an int already
sign-extended and reduced to its unsigned 64-bit form. Backends turn these expressions into code
(the interpreter compiles them into per-block Python functions); `evaluate` runs one directly,
which is what the reference step function and the tests use.
"""

from __future__ import annotations

from collections.abc import Callable

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
Operand = str | int
Expr = Callable[..., str]


def s64(x: Operand) -> str:
    """Signed view of a u64 operand."""
    if isinstance(x, int):
        return str(x - (1 << 64) if x >> 63 else x)
    return f"(({x} ^ 0x8000000000000000) - 0x8000000000000000)"


def s32(x: Operand) -> str:
    """Signed view of the low 32 bits."""
    if isinstance(x, int):
        v = x & M32
        return str(v - (1 << 32) if v >> 31 else v)
    return f"((({x} & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000)"


def u32(x: Operand) -> str:
    return str(x & M32) if isinstance(x, int) else f"({x} & 0xFFFFFFFF)"


def sx32(expr: str) -> str:
    """Sign-extend the low 32 bits of an expression to a u64 (the result rule of every `_32` op).

    Adding 2^31, masking and adding 2^64 - 2^31 maps the low word to its sign-extended u64 in three ops.
    """
    return f"(((({expr}) + 0x80000000) & 0xFFFFFFFF) + 0xFFFFFFFF80000000) & 0xFFFFFFFFFFFFFFFF"


def amount(x: Operand, mask: int) -> str:
    return str(x & mask) if isinstance(x, int) else f"({x} & {mask})"


def _rotr64(v: Operand, n: Operand) -> str:
    k = amount(n, 63)
    return f"((({v} >> {k}) | ({v} << ((64 - {k}) & 63))) & {M64})"


def _rotr32(v: str, n: Operand) -> str:
    k = amount(n, 31)
    return sx32(f"({v} >> {k}) | ({v} << ((32 - {k}) & 31))")


def _rotl32(v: str, n: Operand) -> str:
    k = amount(n, 31)
    return sx32(f"({v} << {k}) | ({v} >> ((32 - {k}) & 31))")


# Three-register ALU ops: d = f(a, b) with a = reg2, b = reg3 (reg_reg_reg is `reg1 = reg2 OP reg3`).
ALU3: dict[str, Expr] = {
    "add_32": lambda a, b: sx32(f"{a} + {b}"),
    "sub_32": lambda a, b: sx32(f"{a} - {b}"),
    "mul_32": lambda a, b: sx32(f"{u32(a)} * {u32(b)}"),
    "div_unsigned_32": lambda a, b: f"_div_u32({a}, {b})",
    "div_signed_32": lambda a, b: f"_div_s32({a}, {b})",
    "rem_unsigned_32": lambda a, b: f"_rem_u32({a}, {b})",
    "rem_signed_32": lambda a, b: f"_rem_s32({a}, {b})",
    "shift_logical_left_32": lambda a, b: sx32(f"{u32(a)} << {amount(b, 31)}"),
    "shift_logical_right_32": lambda a, b: sx32(f"{u32(a)} >> {amount(b, 31)}"),
    "shift_arithmetic_right_32": lambda a, b: f"(({s32(a)} >> {amount(b, 31)}) & {M64})",
    "add_64": lambda a, b: f"(({a} + {b}) & {M64})",
    "sub_64": lambda a, b: f"(({a} - {b}) & {M64})",
    "mul_64": lambda a, b: f"(({a} * {b}) & {M64})",
    "div_unsigned_64": lambda a, b: f"({a} // {b} if {b} else {M64})",
    "div_signed_64": lambda a, b: f"_div_s64({a}, {b})",
    "rem_unsigned_64": lambda a, b: f"({a} % {b} if {b} else {a})",
    "rem_signed_64": lambda a, b: f"_rem_s64({a}, {b})",
    "shift_logical_left_64": lambda a, b: f"(({a} << {amount(b, 63)}) & {M64})",
    "shift_logical_right_64": lambda a, b: f"({a} >> {amount(b, 63)})",
    "shift_arithmetic_right_64": lambda a, b: f"(({s64(a)} >> {amount(b, 63)}) & {M64})",
    "and": lambda a, b: f"({a} & {b})",
    "xor": lambda a, b: f"({a} ^ {b})",
    "or": lambda a, b: f"({a} | {b})",
    "mul_upper_signed_signed": lambda a, b: f"((({s64(a)} * {s64(b)}) >> 64) & {M64})",
    "mul_upper_unsigned_unsigned": lambda a, b: f"(({a} * {b}) >> 64)",
    "mul_upper_signed_unsigned": lambda a, b: f"((({s64(a)} * {b}) >> 64) & {M64})",
    "set_less_than_unsigned": lambda a, b: f"(1 if {a} < {b} else 0)",
    "set_less_than_signed": lambda a, b: f"(1 if {s64(a)} < {s64(b)} else 0)",
    "and_inverted": lambda a, b: f"({a} & ({b} ^ {M64}))",
    "or_inverted": lambda a, b: f"({a} | ({b} ^ {M64}))",
    "xnor": lambda a, b: f"({a} ^ {b} ^ {M64})",
    "maximum": lambda a, b: f"({a} if {s64(a)} >= {s64(b)} else {b})",
    "maximum_unsigned": lambda a, b: f"({a} if {a} >= {b} else {b})",
    "minimum": lambda a, b: f"({a} if {s64(a)} <= {s64(b)} else {b})",
    "minimum_unsigned": lambda a, b: f"({a} if {a} <= {b} else {b})",
    "rotate_left_64": lambda a, b: _rotr64(a, f"(64 - {amount(b, 63)})" if isinstance(b, str) else (64 - (b & 63))),
    "rotate_left_32": lambda a, b: _rotl32(u32(a), b),
    "rotate_right_64": lambda a, b: _rotr64(a, b),
    "rotate_right_32": lambda a, b: _rotr32(u32(a), b),
}

# Register-immediate ALU ops (reg_reg_imm): d = f(s, imm); `imm` is the u64 form of the sign-extended immediate.
# "alt" ops swap roles: the immediate is the value and the register the shift amount.
ALU_IMM: dict[str, Expr] = {
    "add_imm_32": lambda s, i: sx32(f"{s} + {i}"),
    "and_imm": ALU3["and"],
    "xor_imm": ALU3["xor"],
    "or_imm": ALU3["or"],
    "mul_imm_32": lambda s, i: sx32(f"{u32(s)} * {u32(i)}"),
    "set_less_than_unsigned_imm": ALU3["set_less_than_unsigned"],
    "set_less_than_signed_imm": ALU3["set_less_than_signed"],
    "shift_logical_left_imm_32": ALU3["shift_logical_left_32"],
    "shift_logical_right_imm_32": ALU3["shift_logical_right_32"],
    "shift_arithmetic_right_imm_32": ALU3["shift_arithmetic_right_32"],
    "negate_and_add_imm_32": lambda s, i: sx32(f"{i} - {s}"),
    "set_greater_than_unsigned_imm": lambda s, i: f"(1 if {s} > {i} else 0)",
    "set_greater_than_signed_imm": lambda s, i: f"(1 if {s64(s)} > {s64(i)} else 0)",
    "shift_logical_left_imm_alt_32": lambda s, i: sx32(f"{u32(i)} << {amount(s, 31)}"),
    "shift_logical_right_imm_alt_32": lambda s, i: sx32(f"{u32(i)} >> {amount(s, 31)}"),
    "shift_arithmetic_right_imm_alt_32": lambda s, i: f"(({s32(i)} >> {amount(s, 31)}) & {M64})",
    "add_imm_64": ALU3["add_64"],
    "mul_imm_64": ALU3["mul_64"],
    "shift_logical_left_imm_64": ALU3["shift_logical_left_64"],
    "shift_logical_right_imm_64": ALU3["shift_logical_right_64"],
    "shift_arithmetic_right_imm_64": ALU3["shift_arithmetic_right_64"],
    "negate_and_add_imm_64": lambda s, i: f"(({i} - {s}) & {M64})",
    "shift_logical_left_imm_alt_64": lambda s, i: f"(({i} << {amount(s, 63)}) & {M64})",
    "shift_logical_right_imm_alt_64": lambda s, i: f"({i} >> {amount(s, 63)})",
    "shift_arithmetic_right_imm_alt_64": lambda s, i: f"(({s64(i)} >> {amount(s, 63)}) & {M64})",
    "rotate_right_imm_64": lambda s, i: _rotr64(s, i),
    "rotate_right_imm_alt_64": lambda s, i: _rotr64(i, s),
    "rotate_right_imm_32": lambda s, i: _rotr32(u32(s), i),
    "rotate_right_imm_alt_32": lambda s, i: _rotr32(u32(i), s),
}

# Two-register ops (reg_reg): d = f(s).
ALU2: dict[str, Expr] = {
    "move_reg": lambda s: s,
    "count_set_bits_64": lambda s: f"{s}.bit_count()",
    "count_set_bits_32": lambda s: f"{u32(s)}.bit_count()",
    "count_leading_zero_bits_64": lambda s: f"(64 - {s}.bit_length())",
    "count_leading_zero_bits_32": lambda s: f"(32 - {u32(s)}.bit_length())",
    "count_trailing_zero_bits_64": lambda s: f"((({s} & -{s}).bit_length() - 1) if {s} else 64)",
    "count_trailing_zero_bits_32": lambda s: f"((({s} & -{s}).bit_length() - 1) if {u32(s)} else 32)",
    "sign_extend_8": lambda s: f"(((({s} & 0xFF) ^ 0x80) - 0x80) & {M64})",
    "sign_extend_16": lambda s: f"(((({s} & 0xFFFF) ^ 0x8000) - 0x8000) & {M64})",
    "zero_extend_16": lambda s: f"({s} & 0xFFFF)",
    "reverse_byte": lambda s: f"int.from_bytes({s}.to_bytes(8, 'little'), 'big')",
}

# Conditional moves: (d, value, condition) with the condition tested on the full 64 bits.
CMOV: dict[str, str] = {"cmov_if_zero": "==", "cmov_if_not_zero": "!=",
                        "cmov_if_zero_imm": "==", "cmov_if_not_zero_imm": "!="}  # fmt: skip

# Branch conditions: taken when f(a, b) is true (a = reg1, b = reg2 or the immediate).
BRANCH: dict[str, Expr] = {
    "eq": lambda a, b: f"{a} == {b}",
    "not_eq": lambda a, b: f"{a} != {b}",
    "less_unsigned": lambda a, b: f"{a} < {b}",
    "less_signed": lambda a, b: f"{s64(a)} < {s64(b)}",
    "greater_or_equal_unsigned": lambda a, b: f"{a} >= {b}",
    "greater_or_equal_signed": lambda a, b: f"{s64(a)} >= {s64(b)}",
    "less_or_equal_unsigned": lambda a, b: f"{a} <= {b}",
    "less_or_equal_signed": lambda a, b: f"{s64(a)} <= {s64(b)}",
    "greater_unsigned": lambda a, b: f"{a} > {b}",
    "greater_signed": lambda a, b: f"{s64(a)} > {s64(b)}",
}


def branch_condition(name: str) -> Expr:
    """Condition builder for `branch_<cond>` and `branch_<cond>_imm`."""
    cond = name.removeprefix("branch_").removesuffix("_imm")
    return BRANCH[cond]


_LOAD_SUFFIX = {"u8": (1, False), "i8": (1, True), "u16": (2, False), "i16": (2, True),
                "u32": (4, False), "i32": (4, True), "u64": (8, False)}  # fmt: skip


def load_width(name: str) -> tuple[int, bool]:
    """(bytes, signed) for load_* / load_indirect_*."""
    return _LOAD_SUFFIX[name.rsplit("_", 1)[1]]


def store_width(name: str) -> int:
    """Bytes written by store_* / store_imm_* / store_indirect_* / store_imm_indirect_*."""
    return _LOAD_SUFFIX[name.rsplit("_", 1)[1]][0]


def buffer_load(buf: str, index: str, size: int, signed: bool) -> str:
    """Expression reading a `size`-byte value at `buf[index]` as a u64 register value (`_ld*`: interpreter runtime)."""
    if size == 1 and not signed:
        return f"{buf}[{index}]"
    read = f"_ld{size}{'s' if signed else 'u'}({buf}, {index})[0]"
    return f"{read} & {M64}" if signed else read


def buffer_store(buf: str, index: str, size: int, value: str) -> str:
    """Statement writing `value` (already masked to `size` bytes) at `buf[index]` (`_st*`: interpreter runtime)."""
    return f"{buf}[{index}] = {value}" if size == 1 else f"_st{size}({buf}, {index}, {value})"


def access_width(name: str) -> int:
    """Bytes a load or store instruction accesses."""
    return _LOAD_SUFFIX[name.rsplit("_", 1)[1]][0]


def i32(x: int) -> int:
    """The low 32 bits of an int as a signed value (an immediate or offset as the hardware adds it)."""
    x &= M32
    return x - (1 << 32) if x >> 31 else x


def _div_u32(a: int, b: int) -> int:
    a &= M32
    b &= M32
    return ((((a // b) + 0x80000000) & M32) + 0xFFFFFFFF80000000) & M64 if b else M64


def _rem_u32(a: int, b: int) -> int:
    a &= M32
    b &= M32
    r = a % b if b else a
    return (((r + 0x80000000) & M32) + 0xFFFFFFFF80000000) & M64


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _signed_div_rem(a: int, b: int, bits: int, rem: bool) -> int:
    """RISC-V signed div/rem: x/0 = -1 and x%0 = x; MIN/-1 = MIN and MIN%-1 = 0; truncating; result → u64."""
    sign = 1 << (bits - 1)
    mask = (1 << bits) - 1
    a = ((a & mask) ^ sign) - sign
    b = ((b & mask) ^ sign) - sign
    if b == 0:
        return (a if rem else -1) & M64
    if a == -sign and b == -1:
        return 0 if rem else a & M64
    q = _trunc_div(a, b)
    return (a - b * q if rem else q) & M64


def _div_s32(a: int, b: int) -> int:
    return _signed_div_rem(a, b, 32, False)


def _rem_s32(a: int, b: int) -> int:
    return _signed_div_rem(a, b, 32, True)


def _div_s64(a: int, b: int) -> int:
    return _signed_div_rem(a, b, 64, False)


def _rem_s64(a: int, b: int) -> int:
    return _signed_div_rem(a, b, 64, True)


RUNTIME: dict[str, object] = {
    "_div_u32": _div_u32, "_rem_u32": _rem_u32, "_div_s32": _div_s32, "_rem_s32": _rem_s32,
    "_div_s64": _div_s64, "_rem_s64": _rem_s64,
}  # fmt: skip
"""Helpers that generated expressions call by name."""


def evaluate(name: str, *operands: int) -> int:
    """Evaluate a register-only ALU instruction on concrete u64 values (tests and reference use)."""
    for table in (ALU3, ALU_IMM, ALU2):
        if name in table:
            names = ("a", "b")[: len(operands)]
            expr = table[name](*names)
            return eval(expr, dict(RUNTIME), dict(zip(names, operands, strict=True)))  # noqa: S307
    raise KeyError(f"{name} is not an ALU instruction")
