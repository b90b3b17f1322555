"""Textual PVM assembly: one format table for both directions, and the assembler.

The instruction syntax is polkavm's (the `InstructionFormatter` text that `polkatool` prints and
`polkavm-common`'s assembler reads back): `i32 a2 = a0 + a1`, `a0 = u8 [a1 + 0x4]`,
`jump @loop if a0 <u a1`, `ra = 2, jump @f`, `ret`, `ecalli 3`, labels `@name:` and exported labels
`pub @name:`, `%ro_data_size = N` style directives.

`FORMS` maps every mnemonic to its text forms. The disassembler renders with the first form whose
`when` holds; the assembler accepts every form (plus aliases and a generic `mnemonic op, op, ...`
spelling), so the two directions cannot drift apart.

Extensions to polkavm's syntax, needed for a lossless round trip of any blob:
  %isa = revive_v1|latest32|latest64|jam_v1   (polkavm has this one too)
  %ro_data = <hex>, %ro_data += <hex>         (and the same for rw_data; `=` is polkavm's)
  %import <index> "<symbol>"                  imports, by index
  %imports_raw = <offsets hex> <symbols hex>  an imports section as it is (offsets the writer would not make,
                                              or that name no symbol); `-` for no bytes
  %export <@label|pc> "<symbol>"              an export whose name is not a plain identifier
  %jump_table = @l1, @l2, 17                  jump table entries (labels or absolute offsets); `+=` appends
  %jump_table_entry_size = N                  force a wider jump table entry encoding
  %raw <hex>                                  one instruction with these exact bytes (non-canonical encodings)
  %bytes <hex>                                code bytes that are not instruction starts
  invalid                                     an opcode byte this ISA does not define (traps, but unlike
                                              `trap` it is not a defined instruction)
  load_imm64 a0, 0x5                          the generic `mnemonic operands` form works for every instruction
  `123:` at the start of a line (a pc, as printed by the disassembler) is ignored.
Comments start with `//`, `;` or `#`. Numeric jump targets are absolute code offsets.

As in polkavm, a label starts a basic block: after an instruction that does not end one, a
`fallthrough` is inserted first unless the label line ends in `%no_fallthrough`; `a0 = @label`
loads the label's jump-table address `(index + 1) * 2` (appending the label to the table if needed).
Unlike polkavm, a label names the exact position of the next instruction (not the enclosing block).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

from .blob import MAX_IMPORTS, Export, ProgramBlob, decode_imports
from .isa import BY_NAME, INVALID, KIND, REG_INDEX, REG_NAMES, REVIVE_V1, TERMINATORS, InstructionSet, Kind
from .program import BITMASK_MAX, JUMP_TABLE_ALIGNMENT, Code, encode_imm, encode_instruction

__all__ = [
    "FORMS",
    "AsmError",
    "Form",
    "assemble",
    "encode",
    "format_instruction",
    "invalid_opcode",
    "parse_instruction",
]

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1


def _cut(text: str) -> str:
    """A token as it is written (a number, a label), shortened as _q shortens quoted text."""
    return text if len(text) <= 60 else f"{text[:60]}... ({len(text):,} characters)"


def _q(text: str) -> str:
    """Source text quoted in an error, at most 60 characters of it (found in review: a 50 MB line was quoted whole,
    ~4x its size again in memory, into a "one-line" message)."""
    return repr(text) if len(text) <= 60 else f"{text[:60]!r}... ({len(text):,} characters)"


class AsmError(ValueError):
    """Assembly failed; `line` is the 1-based source line (0 when not tied to a line)."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


# --------------------------------------------------------------------------------------------------
# The format table
# --------------------------------------------------------------------------------------------------

Args = Sequence[int]


def _always(_: Args) -> bool:
    return True


def _never(_: Args) -> bool:
    return False


@dataclass(frozen=True)
class Form:
    """One text form of an instruction.

    Slots are `{<type><arg index>}`: r register, x immediate (polkavm's `format_imm`: hex, sign-extended
    to 64 bits on 64-bit ISAs), d signed decimal, u unsigned decimal, m negated decimal (`a0 = a1 - 4`),
    v load_imm value, w load_imm64 value that does not fit load_imm, q any u64, t jump target.
    `when` picks the form when formatting (`_never` = accepted when parsing only); `fixed` supplies the
    arguments the form does not spell out; `distinct` names two register args that must differ.
    """

    template: str
    when: Callable[[Args], bool] = _always
    fixed: tuple[tuple[int, int], ...] = ()
    distinct: tuple[int, int] | None = None


_NARGS = {
    Kind.ARGLESS: 0, Kind.IMM: 1, Kind.OFFSET: 1, Kind.IMM_IMM: 2, Kind.REG_IMM: 2, Kind.REG_IMM64: 2,
    Kind.REG_IMM_IMM: 3, Kind.REG_IMM_OFFSET: 3, Kind.REG_REG: 2, Kind.REG_REG_IMM: 3, Kind.REG_REG_OFFSET: 3,
    Kind.REG_REG_REG: 3, Kind.REG_REG_IMM_IMM: 4,
}  # fmt: skip

# Slot types of the generic `mnemonic a, b, c` spelling, per operand kind.
_GENERIC_SLOTS = {
    Kind.ARGLESS: "", Kind.IMM: "x", Kind.OFFSET: "t", Kind.IMM_IMM: "xx", Kind.REG_IMM: "rx", Kind.REG_IMM64: "rq",
    Kind.REG_IMM_IMM: "rxx", Kind.REG_IMM_OFFSET: "rxt", Kind.REG_REG: "rr", Kind.REG_REG_IMM: "rrx",
    Kind.REG_REG_OFFSET: "rrt", Kind.REG_REG_REG: "rrr", Kind.REG_REG_IMM_IMM: "rrxx",
}  # fmt: skip

_TARGET_INDEX = {Kind.OFFSET: 0, Kind.REG_IMM_OFFSET: 2, Kind.REG_REG_OFFSET: 2}

_CONDITIONS = {
    "eq": "==", "not_eq": "!=", "less_unsigned": "<u", "less_signed": "<s", "less_or_equal_unsigned": "<=u",
    "less_or_equal_signed": "<=s", "greater_or_equal_unsigned": ">=u", "greater_or_equal_signed": ">=s",
    "greater_unsigned": ">u", "greater_signed": ">s",
}  # fmt: skip
_MIRROR = {"==": "==", "!=": "!=", "<u": ">u", ">u": "<u", "<s": ">s", ">s": "<s",
           "<=u": ">=u", ">=u": "<=u", "<=s": ">=s", ">=s": "<=s"}  # fmt: skip


def _fits_load_imm(value: int) -> bool:
    """A load_imm64 value that load_imm can produce (an i32 sign-extended to 64 bits)."""
    value &= M64
    return value < 1 << 31 or value >= (1 << 64) - (1 << 31)


def _build_forms() -> dict[str, tuple[Form, ...]]:
    """The single table of text forms (facts from polkavm's `InstructionFormatter`)."""
    table: dict[str, list[Form]] = {}

    def add(name: str, template: str, when: Callable[[Args], bool] = _always, **kw: object) -> None:
        table.setdefault(name, []).append(Form(template, when, **kw))  # type: ignore[arg-type]

    def alias(name: str, template: str, **kw: object) -> None:
        add(name, template, _never, **kw)

    for name in ("trap", "fallthrough", "unlikely", INVALID):
        add(name, name)
    add("memset", "[a0..a0 + a2] = u8 a1")
    add("ecalli", "ecalli {u0}")
    add("jump", "jump {t0}")

    # Three-register ALU ops; `_32` variants carry the `i32 ` marker on 64-bit ISAs.
    for base, op in (
        ("add", "+"), ("sub", "-"), ("mul", "*"), ("div_unsigned", "/u"), ("div_signed", "/s"),
        ("rem_unsigned", "%u"), ("rem_signed", "%s"), ("shift_logical_left", "<<"), ("shift_logical_right", ">>"),
        ("shift_arithmetic_right", ">>a"), ("rotate_left", "<<r"), ("rotate_right", ">>r"),
    ):  # fmt: skip
        add(base + "_32", "i32 {r0} = {r1} " + op + " {r2}")
        add(base + "_64", "{r0} = {r1} " + op + " {r2}")
    for name, op in (
        ("and", "&"), ("xor", "^"), ("or", "|"), ("mul_upper_signed_signed", "mulh"),
        ("mul_upper_unsigned_unsigned", "mulhu"), ("mul_upper_signed_unsigned", "mulhsu"),
        ("set_less_than_unsigned", "<u"), ("set_less_than_signed", "<s"),
    ):  # fmt: skip
        add(name, "{r0} = {r1} " + op + " {r2}")
    alias("set_less_than_unsigned", "{r0} = {r2} >u {r1}")
    alias("set_less_than_signed", "{r0} = {r2} >s {r1}")
    add("and_inverted", "{r0} = {r1} & ~{r2}")
    add("or_inverted", "{r0} = {r1} | ~{r2}")
    add("xnor", "{r0} = ~({r1} ^ {r2})")
    for name, fn in (
        ("maximum", "maxs"),
        ("maximum_unsigned", "maxu"),
        ("minimum", "mins"),
        ("minimum_unsigned", "minu"),
    ):
        add(name, "{r0} = " + fn + "({r1}, {r2})")
    add("cmov_if_zero", "{r0} = {r1} if {r2} == 0")
    add("cmov_if_not_zero", "{r0} = {r1} if {r2} != 0")

    # Register + immediate ALU ops.
    for suffix, prefix in (("_32", "i32 "), ("_64", "")):
        add("add_imm" + suffix, prefix + "{r0} = {r1} - {m2}", lambda a: -4096 < a[2] < 0)
        add("add_imm" + suffix, prefix + "{r0} = {r1} + {x2}")
        alias("add_imm" + suffix, prefix + "{r0} = {x2} + {r1}")
        add("mul_imm" + suffix, prefix + "{r0} = {r1} * {x2}")
        alias("mul_imm" + suffix, prefix + "{r0} = {x2} * {r1}")
        add("negate_and_add_imm" + suffix, prefix + "{r0} = -{r1}", lambda a: a[2] == 0, fixed=((2, 0),))
        add("negate_and_add_imm" + suffix, prefix + "{r0} = {x2} - {r1}")
        for base, op in (
            ("shift_logical_left", "<<"), ("shift_logical_right", ">>"), ("shift_arithmetic_right", ">>a"),
            ("rotate_right", ">>r"),
        ):  # fmt: skip
            add(base + "_imm" + suffix, prefix + "{r0} = {r1} " + op + " {x2}")
            add(base + "_imm_alt" + suffix, prefix + "{r0} = {x2} " + op + " {r1}")
    for name, op in (("and_imm", "&"), ("xor_imm", "^"), ("or_imm", "|")):
        add(name, "{r0} = {r1} " + op + " {x2}")
        alias(name, "{r0} = {x2} " + op + " {r1}")
    for name, op in (
        ("set_less_than_unsigned_imm", "<u"), ("set_less_than_signed_imm", "<s"),
        ("set_greater_than_unsigned_imm", ">u"), ("set_greater_than_signed_imm", ">s"),
    ):  # fmt: skip
        add(name, "{r0} = {r1} " + op + " {x2}")
        alias(name, "{r0} = {x2} " + _MIRROR[op] + " {r1}")
    add("cmov_if_zero_imm", "{r0} = {x2} if {r1} == 0")
    add("cmov_if_not_zero_imm", "{r0} = {x2} if {r1} != 0")

    # Memory.
    for width in ("u8", "i8", "u16", "i16", "u32", "i32", "u64"):
        add("load_" + width, "{r0} = " + width + " [{x1}]")
        add("load_indirect_" + width, "{r0} = " + width + " [{r1} + {x2}]", lambda a: a[2] != 0)
        add("load_indirect_" + width, "{r0} = " + width + " [{r1}]", fixed=((2, 0),))
    for width in ("u8", "u16", "u32", "u64"):
        add("store_" + width, width + " [{x1}] = {r0}")
        add("store_imm_" + width, width + " [{x0}] = {x1}")
        add("store_indirect_" + width, width + " [{r1} + {x2}] = {r0}", lambda a: a[2] != 0)
        add("store_indirect_" + width, width + " [{r1}] = {r0}", fixed=((2, 0),))
        add("store_imm_indirect_" + width, width + " [{r0} + {d1}] = {x2}")
        alias("store_imm_indirect_" + width, width + " [{r0}] = {x2}", fixed=((1, 0),))

    # Register moves and bit manipulation.
    add("move_reg", "{r0} = {r1}")
    alias("move_reg", "nop", fixed=((0, 0), (1, 0)))
    add("sbrk", "{r0} = sbrk {r1}")
    for base, op in (
        ("count_leading_zero_bits", "clz"),
        ("count_trailing_zero_bits", "ctz"),
        ("count_set_bits", "cpop"),
    ):
        add(base + "_32", "i32 {r0} = " + op + " {r1}")
        add(base + "_64", "{r0} = " + op + " {r1}")
    for name, op in (("sign_extend_8", "sext8"), ("sign_extend_16", "sext16"), ("zero_extend_16", "zext16"),
                     ("reverse_byte", "reverse")):  # fmt: skip
        add(name, "{r0} = " + op + " {r1}")
    add("load_imm", "{r0} = {v1}")
    add("load_imm64", "{r0} = {w1}", lambda a: not _fits_load_imm(a[1]))
    add("load_imm64", "load_imm64 {r0}, {q1}")

    # Control flow.
    add("jump_indirect", "ret", lambda a: a[0] == 0 and a[1] == 0, fixed=((0, 0), (1, 0)))
    add("jump_indirect", "jump [{r0}]", lambda a: a[1] == 0, fixed=((1, 0),))
    add("jump_indirect", "jump [{r0} + {x1}]")
    add("load_imm_and_jump", "{r0} = {d1}, jump {t2}")
    lij = "load_imm_and_jump_indirect"
    add(lij, "{r0} = {d2}, jump [{r1}]", lambda a: a[0] != a[1] and a[3] == 0, fixed=((3, 0),), distinct=(0, 1))
    add(lij, "{r0} = {d2}, jump [{r1} + {x3}]", lambda a: a[0] != a[1], distinct=(0, 1))
    add(lij, "tmp = {r1}, {r0} = {d2}, jump [tmp]", lambda a: a[3] == 0, fixed=((3, 0),))
    add(lij, "tmp = {r1}, {r0} = {d2}, jump [tmp + {x3}]")
    for cond, op in _CONDITIONS.items():
        add(f"branch_{cond}_imm", "jump {t2} if {r0} " + op + " {d1}")
        alias(f"branch_{cond}_imm", "jump {t2} if {d1} " + _MIRROR[op] + " {r0}")
        if cond in ("eq", "not_eq", "less_unsigned", "less_signed", "greater_or_equal_unsigned",
                    "greater_or_equal_signed"):  # fmt: skip
            add(f"branch_{cond}", "jump {t2} if {r0} " + op + " {r1}")
            alias(f"branch_{cond}", "jump {t2} if {r1} " + _MIRROR[op] + " {r0}")

    # The generic spelling, accepted for everything.
    for name, kind in KIND.items():
        slots = ", ".join(f"{{{s}{i}}}" for i, s in enumerate(_GENERIC_SLOTS[kind]))
        template = f"{name} {slots}" if slots else name
        if all(f.template != template for f in table.get(name, ())):
            alias(name, template)

    missing = set(KIND) - set(table)
    assert not missing, missing
    return {name: tuple(forms) for name, forms in table.items()}


FORMS: dict[str, tuple[Form, ...]] = _build_forms()
"""Mnemonic → its text forms; the first form whose `when` holds is the one the disassembler prints."""


# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------

_SLOT_RE = re.compile(r"\{([a-z])(\d)\}")


def _format_imm(value: int, is_64_bit: bool) -> str:
    """polkavm's `format_imm`: 0, else hex of the i32 sign-extended to 64 bits (or as u32 on 32-bit ISAs)."""
    if value == 0:
        return "0"
    return f"0x{value & (M64 if is_64_bit else M32):x}"


def instruction_at(code: Code, pc: int) -> str:
    """The text of the instruction starting at `pc` (one decoded: what a trace or a trap names)."""
    decoded = code.block(pc, 1)[0]
    return format_instruction(code.isa, decoded.name, decoded.args)


def format_instruction(isa: InstructionSet, name: str, args: Args, target: Callable[[int], str] | None = None) -> str:
    """Text of one instruction; `target` renders jump targets (default: the absolute offset)."""
    forms = FORMS[name]
    form = next(f for f in forms if f.when is not _never and f.when(args))
    render_target = target or str

    def slot(match: re.Match[str]) -> str:
        kind, value = match.group(1), args[int(match.group(2))]
        if kind == "r":
            return REG_NAMES[value]
        if kind in "xv":
            return _format_imm(value, isa.is_64_bit)
        if kind == "d":
            return str(value)
        if kind == "u":
            return str(value & M32)
        if kind == "m":
            return str(-value)
        if kind in "wq":
            return f"0x{value & M64:x}"
        if kind == "t":
            return render_target(value)
        raise AssertionError(kind)

    text = _SLOT_RE.sub(slot, form.template)
    if not isa.is_64_bit and text.startswith("i32 "):
        text = text[4:]
    return text


def invalid_opcode(isa: InstructionSet) -> int:
    """The byte `invalid` assembles to: the highest opcode the ISA leaves undefined."""
    return max(b for b in range(256) if b not in isa.opcodes)


def encode(isa: InstructionSet, name: str, args: Args, pc: int = 0) -> bytes:
    """Canonical encoding of one instruction, `invalid` included (targets are absolute)."""
    if name == INVALID:
        return bytes([invalid_opcode(isa)])
    return encode_instruction(isa, name, args, pc)


# --------------------------------------------------------------------------------------------------
# Tokenizing and matching one instruction
# --------------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<slot>\{[a-z]\d\})|(?P<label>@[A-Za-z0-9_.$]+)"
    r"|(?P<num>0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[!-/:-?\[-^`|~]))"
)
_VALUE_KEYS = ("R", "V", ")", "]")


@dataclass(frozen=True)
class _Tok:
    key: str  # skeleton key: "R" register, "V" number/label/value slot, else the literal text
    kind: str  # slot | label | num | word | punct
    text: str
    value: int = 0


class _TokenError(Exception):
    pass


def _tokenize(text: str) -> list[_Tok]:
    """Split a line into tokens; a `-` that cannot be binary is folded into the number after it."""
    out: list[_Tok] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise _TokenError(f"unexpected character {text[pos:].lstrip()[:1]!r}")
        pos = m.end()
        kind = m.lastgroup
        assert kind is not None
        tok = m.group(kind)
        if kind == "slot":
            out.append(_Tok("R" if tok[1] == "r" else "V", kind, tok))
        elif kind == "label":
            out.append(_Tok("V", kind, tok[1:]))
        elif kind == "num":
            digits = tok.replace("_", "")
            try:
                value = int(digits, 0) if digits[:2].lower() in ("0x", "0b") else int(digits, 10)
            except ValueError:
                raise _TokenError(f"bad number {_q(tok)}") from None
            if (
                out
                and out[-1].text == "-"
                and out[-1].kind == "punct"
                and (len(out) < 2 or out[-2].key not in _VALUE_KEYS)
            ):
                out.pop()
                out.append(_Tok("V", kind, "-" + tok, -value))
            else:
                out.append(_Tok("V", kind, tok, value))
        elif kind == "word":
            if tok in REG_INDEX:
                out.append(_Tok("R", kind, tok, REG_INDEX[tok]))
            else:
                out.append(_Tok(tok, kind, tok))
        else:
            out.append(_Tok(tok, kind, tok))
    return out


@dataclass(frozen=True)
class LabelRef:
    """A jump target given as `@name` (resolved after layout)."""

    name: str
    line: int = 0


@dataclass(frozen=True)
class TableRef:
    """`a0 = @name`: the jump-table address of a label (polkavm's load-label-address)."""

    name: str
    line: int = 0


Operand = int | LabelRef | TableRef


class _SlotError(Exception):
    pass


def _to_i32(value: int) -> int | None:
    """Accept an i32, a u32, or an i32 sign-extended to 64 bits (how polkavm prints them)."""
    if -(1 << 31) <= value <= M32:
        return value - (1 << 32) if value >= 1 << 31 else value
    if (1 << 64) - (1 << 31) <= value <= M64:
        return value - (1 << 64)
    return None


def _convert(slot: str, tok: _Tok, isa: InstructionSet, line: int) -> Operand:
    """Check and convert one operand token for a slot type (see `Form`)."""
    if slot == "r":
        return tok.value
    if tok.kind == "label":
        if slot == "t":
            return LabelRef(tok.text, line)
        if slot == "v":
            return TableRef(tok.text, line)
        raise _SlotError(f"expected a number, got label @{_cut(tok.text)}")
    value = tok.value
    if slot in "xdu":
        imm = _to_i32(value)
        if imm is None:
            raise _SlotError(f"immediate {_cut(tok.text)} does not fit in 32 bits")
        return imm
    if slot == "m":
        imm = _to_i32(-value)
        if imm is None or (value > 0 and imm > 0):
            raise _SlotError(f"immediate -({_cut(tok.text)}) does not fit in 32 bits")
        return imm
    if slot == "v":
        if not isa.is_64_bit:
            imm = _to_i32(value)
        else:
            imm = _to_i32(value) if -(1 << 63) <= value <= M64 and _fits_load_imm(value) else None
        if imm is None:
            raise _SlotError(f"immediate {_cut(tok.text)} does not fit in a sign-extended 32-bit load_imm")
        return imm
    if slot in "wq":
        if not -(1 << 63) <= value <= M64:
            raise _SlotError(f"immediate {_cut(tok.text)} does not fit in 64 bits")
        if slot == "w" and _fits_load_imm(value):
            raise _SlotError("use load_imm for values that fit in a sign-extended 32-bit immediate")
        return value & M64
    if slot == "t":
        if not 0 <= value <= M32:
            raise _SlotError(f"jump target {_cut(tok.text)} is not a 32-bit code offset")
        return value
    raise AssertionError(slot)


@dataclass(frozen=True)
class _Pattern:
    name: str
    form: Form
    nargs: int
    matchers: tuple[tuple[str, int | str], ...]  # ("slot", "x0") | ("reg", idx) | ("num", value) | ("lit", text)


def _compile(name: str, form: Form, template: str) -> tuple[tuple[str, ...], _Pattern]:
    tokens = _tokenize(template)
    matchers: list[tuple[str, int | str]] = []
    for tok in tokens:
        if tok.kind == "slot":
            matchers.append(("slot", tok.text[1:3]))
        elif tok.kind == "word" and tok.key == "R":
            matchers.append(("reg", tok.value))
        elif tok.kind == "num":
            matchers.append(("num", tok.value))
        else:
            matchers.append(("lit", tok.text))
    nargs = 0 if name == INVALID else _NARGS[KIND[name]]
    return tuple(t.key for t in tokens), _Pattern(name, form, nargs, tuple(matchers))


@cache
def _index(isa_name: str | None) -> dict[tuple[str, ...], list[_Pattern]]:
    """Skeleton → candidate patterns, for one ISA (None: every instruction of every ISA, for error messages)."""
    isa = BY_NAME[isa_name] if isa_name else None
    index: dict[tuple[str, ...], list[_Pattern]] = {}
    for name, forms in FORMS.items():
        if isa is not None and name != INVALID and name not in isa:
            continue
        for form in forms:
            templates = [form.template]
            if form.template.startswith("i32 ") and (isa is None or not isa.is_64_bit):
                templates.append(form.template[4:])
            for template in templates:
                key, pattern = _compile(name, form, template)
                index.setdefault(key, []).append(pattern)
    return index


@cache
def _keywords() -> frozenset[str]:
    return frozenset(k for key in _index(None) for k in key if k[:1].isalpha() and k not in ("R", "V"))


def _bind(pattern: _Pattern, tokens: list[_Tok], isa: InstructionSet, line: int) -> list[Operand] | None:
    args: list[Operand | None] = [None] * pattern.nargs
    for (what, data), tok in zip(pattern.matchers, tokens, strict=True):
        if what == "slot":
            assert isinstance(data, str)
            args[int(data[1])] = _convert(data[0], tok, isa, line)
        elif what == "reg" and tok.value != data:
            return None
        elif what == "num" and (tok.kind != "num" or tok.value != data):
            return None
    for i, value in pattern.form.fixed:
        args[i] = value
    if pattern.form.distinct is not None:
        a, b = pattern.form.distinct
        if args[a] == args[b]:
            raise _SlotError(
                f"'{REG_NAMES[args[a]]} = ..., jump [{REG_NAMES[args[a]]}]' is ambiguous; "  # type: ignore[index]
                "write 'tmp = base, ra = value, jump [tmp + offset]'"
            )
    assert all(a is not None for a in args)
    return args  # type: ignore[return-value]


def _parse(text: str, isa: InstructionSet, line: int) -> tuple[str, list[Operand]]:
    try:
        tokens = _tokenize(text)
    except _TokenError as e:
        raise AsmError(line, f"{e} in {_q(text)}") from None
    key = tuple(t.key for t in tokens)
    first_error: str | None = None
    candidates = _index(isa.name).get(key, ())
    for pattern in candidates:
        try:
            args = _bind(pattern, tokens, isa, line)
        except _SlotError as e:
            first_error = first_error or str(e)
            continue
        if args is not None:
            return pattern.name, args
    if first_error:
        raise AsmError(line, f"{first_error} in {_q(text)}")
    if candidates:  # the shape is right, a fixed register or number is not (found in review: said "not available")
        forms = " or ".join(sorted({f"'{p.form.template}' ({p.name})" for p in candidates}))
        raise AsmError(line, f"{_q(text)} does not match {forms}: a fixed register or number differs")
    for pattern in _index(None).get(key, ()):
        raise AsmError(line, f"instruction '{pattern.name}' is not available in the {isa.name} instruction set")
    for tok in tokens:
        if tok.kind == "word" and tok.key != "R" and tok.text not in _keywords():
            if re.fullmatch(r"[a-z]+[0-9]+", tok.text):
                raise AsmError(line, f"unknown register {_q(tok.text)} in {_q(text)}")
            raise AsmError(line, f"unknown instruction or keyword {_q(tok.text)} in {_q(text)}")
    raise AsmError(line, f"cannot parse instruction {_q(text)}")


def parse_instruction(text: str, isa: InstructionSet = REVIVE_V1) -> tuple[str, tuple[Operand, ...]]:
    """Parse one instruction line (no labels resolved) into (mnemonic, args)."""
    name, args = _parse(text.strip(), isa, 0)
    return name, tuple(args)


# --------------------------------------------------------------------------------------------------
# The assembler
# --------------------------------------------------------------------------------------------------

_PC_PREFIX = re.compile(r"^\s*\d+\s*:\s*")
_LABEL_DEF = re.compile(r"^(pub\s+)?@([A-Za-z0-9_.$]+)\s*:\s*(%no_fallthrough)?$")
_DIRECTIVE = re.compile(r"^%([a-z_0-9]+)\b\s*(.*)$")
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _strip_comment(line: str) -> str:
    """Cut `//`, `;` and `#` comments, except inside double-quoted strings."""
    if '"' not in line:  # the common case, and a long hex data line, without a character loop
        cut = min((i for i in (line.find("//"), line.find(";"), line.find("#")) if i >= 0), default=-1)
        return line if cut < 0 else line[:cut]
    quoted = False
    i = 0
    while i < len(line):
        c = line[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c in ";#" or line.startswith("//", i):
            return line[:i]
        i += 1
    return line


_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"0": b"\0"}


def _unescape(raw: str) -> bytes:
    def repl(m: re.Match[bytes]) -> bytes:
        s = m.group(1)
        if s[:1] == b"x" and len(s) == 3:
            return bytes([int(s[1:], 16)])
        if s in b'\\"':
            return s
        if s not in _ESCAPES:  # (found in review: "\q" and "\xzz" became "q" and "xzz")
            known = r'\n \t \r \0 \\ \" \xHH'
            raise ValueError(f"unknown escape \\{s.decode('utf-8', 'replace')} (known: {known})")
        return _ESCAPES[s]

    return _ESCAPE.sub(repl, raw.encode("utf-8"))


def quote_symbol(symbol: bytes) -> str:
    """A symbol as a double-quoted string that `%import`/`%export` read back byte for byte."""
    out = []
    for b in symbol:
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'


@dataclass(slots=True)
class _Item:
    """One instruction (or `%bytes` blob) in source order. (Slots: disasm lays out a listing of every instruction.)"""

    name: str
    args: list[Operand]
    line: int
    raw: bytes | None = None
    start: bool = True


@dataclass
class _State:
    isa: InstructionSet
    items: list[_Item] = field(default_factory=list)
    labels: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (item index, line)
    sizes: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(("ro", "rw", "stack")))
    size_lines: dict[str, int] = field(default_factory=dict)
    data: dict[str, bytearray] = field(default_factory=lambda: {"ro": bytearray(), "rw": bytearray()})
    imports: dict[int, tuple[bytes, int]] = field(default_factory=dict)
    imports_raw: tuple[bytes, bytes, int] | None = None  # (offsets, symbols, line)
    exports: list[tuple[Operand, bytes, int]] = field(default_factory=list)
    jump_table: list[Operand] = field(default_factory=list)
    jump_table_set: bool = False
    jump_table_entry_size: int = 0
    at_block_start: bool = True


def _int(text: str, line: int, what: str, limit: int = M32) -> int:
    try:
        digits = text.replace("_", "")
        value = int(digits, 10) if digits.isdigit() else int(digits, 0)  # (007 as in an instruction's operands)
    except ValueError:
        raise AsmError(line, f"{what}: expected a number, got {_q(text)}") from None
    if not 0 <= value <= limit:  # (the text, not the int: one of over 4,300 digits cannot be made a str)
        raise AsmError(line, f"{what}: {_q(text)} is out of range (0..{limit})")
    return value


def _hex(text: str, line: int, what: str) -> bytes:
    digits = re.sub(r"[\s_]", "", text)
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise AsmError(line, f"{what}: expected hex bytes, got {_q(text.strip())}") from None


def _target(text: str, line: int, what: str) -> Operand:
    text = text.strip()
    if re.fullmatch(r"@[A-Za-z0-9_.$]+", text):
        return LabelRef(text[1:], line)
    return _int(text, line, what)


def _symbol(text: str, line: int, what: str) -> bytes:
    text = text.strip()
    if text.startswith('"'):
        m = _QUOTED.fullmatch(text)
        if m is None:
            raise AsmError(line, f"{what}: bad or unterminated string {_q(text)}")
        try:
            return _unescape(m.group(1))
        except ValueError as e:
            raise AsmError(line, f"{what}: {e} in {_q(text)}") from None
    if not text or any(c.isspace() for c in text):
        raise AsmError(line, f"{what}: expected a symbol name, got {_q(text)}")
    return text.encode("utf-8")


def _directive(state: _State, name: str, rest: str, line: int) -> None:
    """Apply one `%name ...` line."""
    assign = re.match(r"^(\+?=)\s*(.*)$", rest)
    op, value = (assign.group(1), assign.group(2)) if assign else ("", rest)
    if name == "isa":
        if op != "=" or value.strip() not in BY_NAME:
            raise AsmError(line, f"%isa: expected one of {', '.join(BY_NAME)}, got {_q(value.strip())}")
        if state.items:
            raise AsmError(line, "%isa must come before the first instruction")
        state.isa = BY_NAME[value.strip()]
    elif name in ("ro_data_size", "rw_data_size", "stack_size"):
        if op != "=":
            raise AsmError(line, f"%{name}: expected '%{name} = N'")
        state.sizes[name.split("_")[0]] = _int(value.strip(), line, f"%{name}")
        state.size_lines[name.split("_")[0]] = line
    elif name in ("ro_data", "rw_data"):
        if op not in ("=", "+="):
            raise AsmError(line, f"%{name}: expected '%{name} = <hex>' or '%{name} += <hex>'")
        buf = state.data[name[:2]]
        if op == "=":
            buf.clear()
        buf += _hex(value, line, f"%{name}")
    elif name == "import":
        parts = value.strip().split(None, 1)
        if len(parts) != 2:
            raise AsmError(line, "%import: expected '%import <index> \"<symbol>\"'")
        index = _int(parts[0], line, "%import index", 1023)
        if index in state.imports:
            raise AsmError(line, f"%import: index {index} is already defined (line {state.imports[index][1]})")
        state.imports[index] = (_symbol(parts[1], line, "%import"), line)
    elif name == "imports_raw":
        parts = value.split()
        if op != "=" or len(parts) != 2:
            raise AsmError(line, "%imports_raw: expected '%imports_raw = <offsets hex> <symbols hex>' (- for none)")
        offsets, symbols = (b"" if p == "-" else _hex(p, line, "%imports_raw") for p in parts)
        if len(offsets) % 4 or len(offsets) // 4 > MAX_IMPORTS:
            raise AsmError(line, f"%imports_raw: the offsets are u32s, at most {MAX_IMPORTS} of them")
        state.imports_raw = (offsets, symbols, line)
    elif name == "export":
        parts = value.strip().split(None, 1)
        if len(parts) != 2:
            raise AsmError(line, "%export: expected '%export <@label|pc> \"<symbol>\"'")
        state.exports.append((_target(parts[0], line, "%export"), _symbol(parts[1], line, "%export"), line))
    elif name == "jump_table":
        if op not in ("=", "+="):
            raise AsmError(line, "%jump_table: expected '%jump_table = @a, @b, ...'")
        if op == "=" and state.jump_table_set:
            raise AsmError(line, "%jump_table is already set; use '%jump_table += ...' to append")
        state.jump_table_set = True
        state.jump_table += [_target(t, line, "%jump_table") for t in value.split(",") if t.strip()]
    elif name == "jump_table_entry_size":
        if op != "=":
            raise AsmError(line, "%jump_table_entry_size: expected '%jump_table_entry_size = N'")
        state.jump_table_entry_size = _int(value.strip(), line, "%jump_table_entry_size", 4)
    elif name in ("raw", "bytes"):
        data = _hex(value, line, f"%{name}")
        if not data:
            raise AsmError(line, f"%{name}: no bytes given")
        if name == "raw":
            state.items.append(_Item("", [], line, data, True))
            state.at_block_start = _starts_block_after(state.isa.name_of(data[0])) and len(data) <= BITMASK_MAX + 1
        else:
            state.items.append(_Item("", [], line, data, False))
            state.at_block_start = False
    else:
        raise AsmError(line, f"unknown directive %{name}")


def _starts_block_after(name: str) -> bool:
    """Is the next instruction a valid jump target? (Not after an undefined opcode, as in polkavm.)"""
    return name in TERMINATORS and name != INVALID


def _encode_item(isa: InstructionSet, item: _Item, pc: int, positions: dict[str, int]) -> bytes:
    """Encode one item at `pc`, with labels at `positions`."""
    if item.raw is not None:
        return item.raw
    args = [positions[a.name] if isinstance(a, LabelRef) else a for a in item.args]
    return encode(isa, item.name, args, pc)  # type: ignore[arg-type]


def _pad(isa: InstructionSet, item: _Item, pc: int, positions: dict[str, int], size: int) -> bytes:
    """Encode an offset instruction with its (last) offset immediate widened to reach `size` bytes."""
    enc = _encode_item(isa, item, pc, positions)
    extra = size - len(enc)
    if extra <= 0:
        return enc
    target = item.args[_TARGET_INDEX[KIND[item.name]]]
    rel = ((positions[target.name] if isinstance(target, LabelRef) else target) - pc) & M32  # type: ignore[operator]
    rel = rel - (1 << 32) if rel >> 31 else rel
    length = len(encode_imm(rel))
    assert length + extra <= 4
    return enc[: len(enc) - length] + (rel & ((1 << (8 * (length + extra))) - 1)).to_bytes(length + extra, "little")


class _Sizes:
    """Item sizes with prefix sums (a Fenwick tree): where an item starts, after any item has grown."""

    def __init__(self, sizes: list[int]) -> None:
        self.n = len(sizes)
        self.tree = [0] * (self.n + 1)
        for i, size in enumerate(sizes):
            self.add(i, size)

    def add(self, i: int, delta: int) -> None:
        i += 1
        while i <= self.n:
            self.tree[i] += delta
            i += i & -i

    def start(self, i: int) -> int:
        total = 0
        while i > 0:
            total += self.tree[i]
            i -= i & -i
        return total


class _Positions(dict):
    """Label → its current offset, looked up when an encoding asks for it."""

    def __init__(self, labels: dict[str, tuple[int, int]], sizes: _Sizes) -> None:
        super().__init__()
        self.labels, self.sizes = labels, sizes

    def __missing__(self, name: str) -> int:
        return self.sizes.start(self.labels[name][0])


def _grow_until_stable(state: _State, encoded: list[bytes], dynamic: list[int]) -> None:
    """Numeric targets can make sizes oscillate, so after 32 rounds sizes only grow; each item is re-encoded at the
    offsets its predecessors have now (sweeping forwards, then backwards), so a chain of jumps each spanning the next
    grows in one sweep rather than one link per round (found in review: 300 links did not converge in 256 rounds).
    Growth is bounded (an offset takes at most 4 bytes), so this ends."""
    isa, items = state.isa, state.items
    sizes = _Sizes([len(e) for e in encoded])
    for sweep in range(4 * len(dynamic) + 2):
        changed = False
        for i in dynamic if sweep % 2 == 0 else reversed(dynamic):
            pc, positions = sizes.start(i), _Positions(state.labels, sizes)
            needed = len(_encode_item(isa, items[i], pc, positions))
            enc = _pad(isa, items[i], pc, positions, max(needed, len(encoded[i])))
            if len(enc) != len(encoded[i]):
                sizes.add(i, len(enc) - len(encoded[i]))
                changed = True
            encoded[i] = enc
        if not changed:
            return
    raise AsmError(0, "instruction layout did not converge")  # pragma: no cover - growth is bounded


def _layout(state: _State) -> tuple[bytes, bytes, dict[str, int]]:
    """Place every item; offsets have variable length, so iterate until the sizes are stable."""
    isa, items = state.isa, state.items
    for item in items:
        for a in item.args:
            if isinstance(a, LabelRef) and a.name not in state.labels:
                raise AsmError(a.line, f"unknown label @{a.name}")
    dynamic = [
        i for i, it in enumerate(items) if it.raw is None and it.name != INVALID and KIND[it.name] in _TARGET_INDEX
    ]
    is_dynamic = set(dynamic)
    zero = dict.fromkeys(state.labels, 0)
    encoded = [b"" if i in is_dynamic else _encode_item(isa, it, 0, zero) for i, it in enumerate(items)]
    for i in dynamic:  # smallest possible: every target at distance 0
        it = items[i]
        t = _TARGET_INDEX[KIND[it.name]]
        encoded[i] = encode(isa, it.name, [0 if k == t else a for k, a in enumerate(it.args)], 0)  # type: ignore[misc]
    def placed() -> tuple[list[int], dict[str, int]]:
        offsets = [0]
        for enc in encoded:
            offsets.append(offsets[-1] + len(enc))
        return offsets, {name: offsets[idx] for name, (idx, _) in state.labels.items()}

    for _ in range(32):  # sizes may shrink as well as grow here
        offsets, positions = placed()
        changed = False
        for i in dynamic:
            enc = _encode_item(isa, items[i], offsets[i], positions)
            if len(enc) != len(encoded[i]):
                changed = True
            encoded[i] = enc
        if not changed:
            break
    else:
        _grow_until_stable(state, encoded, dynamic)
        offsets, positions = placed()
    code = b"".join(encoded)
    bitmask = bytearray((len(code) + 7) // 8)
    for it, pc in zip(items, offsets, strict=False):
        if it.start:
            bitmask[pc >> 3] |= 1 << (pc & 7)
    return code, bytes(bitmask), positions


def assemble(text: str, isa: InstructionSet = REVIVE_V1) -> ProgramBlob:
    """Assemble polkavm-style text into a program blob (a `%isa` directive overrides `isa`)."""
    state = _State(isa)
    for lineno, source in enumerate(text.split("\n"), 1):
        line = _PC_PREFIX.sub("", _strip_comment(source).strip(), count=1).strip()
        if not line:
            continue
        if line.startswith("%"):
            m = _DIRECTIVE.match(line)
            if m is None:
                raise AsmError(lineno, f"cannot parse directive {_q(line)}")
            _directive(state, m.group(1), m.group(2), lineno)
            continue
        m = _LABEL_DEF.match(line)
        if m is not None:
            is_export, label, no_fallthrough = m.groups()
            if label in state.labels:
                raise AsmError(lineno, f"duplicate label @{label} (first defined on line {state.labels[label][1]})")
            if not state.at_block_start and not no_fallthrough:
                # Like polkavm: a label starts a basic block, so fall into it explicitly.
                state.items.append(_Item("fallthrough", [], lineno))
                state.at_block_start = True
            state.labels[label] = (len(state.items), lineno)
            if is_export:
                state.exports.append((LabelRef(label, lineno), label.encode(), lineno))
            continue
        if line.startswith("@") or line.startswith("pub"):
            raise AsmError(lineno, f"bad label definition {_q(line)} (expected '@name:' or 'pub @name:')")
        name, args = _parse(line, state.isa, lineno)
        state.items.append(_Item(name, args, lineno))
        state.at_block_start = _starts_block_after(name)

    # `a0 = @label` loads the label's jump-table address; reuse an existing entry or append one.
    for item in state.items:
        for k, a in enumerate(item.args):
            if isinstance(a, TableRef):
                if a.name not in state.labels:
                    raise AsmError(a.line, f"unknown label @{a.name}")
                ref = LabelRef(a.name)
                names = [e.name if isinstance(e, LabelRef) else None for e in state.jump_table]
                index = names.index(a.name) if a.name in names else len(state.jump_table)
                if index == len(state.jump_table):
                    state.jump_table.append(ref)
                item.args[k] = (index + 1) * JUMP_TABLE_ALIGNMENT

    code, bitmask, positions = _layout(state)

    def resolve(t: Operand, line: int) -> int:
        if isinstance(t, LabelRef):
            if t.name not in positions:
                raise AsmError(t.line or line, f"unknown label @{t.name}")
            return positions[t.name]
        assert isinstance(t, int)
        return t

    imports: list[bytes | None] = []
    if state.imports_raw is not None and state.imports:
        raise AsmError(state.imports_raw[2], "%imports_raw and %import lines: give the imports one way")
    for index in range(len(state.imports)):
        if index not in state.imports:
            first = min(i for i in state.imports if i > index)
            raise AsmError(state.imports[first][1], f"%import: index {index} is missing (imports must be 0..n-1)")
        imports.append(state.imports[index][0])
    data = {k: bytes(v) for k, v in state.data.items()}
    sizes: dict[str, int] = {}
    for key in ("ro", "rw", "stack"):
        declared = state.sizes[key]
        length = len(data.get(key, b""))
        if declared is not None and declared < length:
            raise AsmError(
                state.size_lines[key], f"%{key}_data is {length} bytes, larger than %{key}_data_size = {declared}"
            )
        sizes[key] = length if declared is None else declared
    jump_table = tuple(resolve(t, 0) for t in state.jump_table)
    # Store the entry size the writer will use, so that parse(write(blob)) == blob.
    entry_size = max(1, (max(jump_table).bit_length() + 7) // 8) if jump_table else 0
    raw: dict[str, object] = {}
    if state.imports_raw is not None:
        offsets, symbols, _ = state.imports_raw
        imports = list(decode_imports(offsets, symbols))
        raw["_imports_raw"] = (offsets, symbols)
    return ProgramBlob(
        **raw,  # type: ignore[arg-type]
        isa=state.isa,
        ro_data_size=sizes["ro"],
        rw_data_size=sizes["rw"],
        stack_size=sizes["stack"],
        ro_data=data["ro"],
        rw_data=data["rw"],
        imports=tuple(imports),
        exports=tuple(Export(resolve(t, line), sym) for t, sym, line in state.exports),
        jump_table=jump_table,
        jump_table_entry_size=max(entry_size, state.jump_table_entry_size),
        code=code,
        bitmask=bitmask,
    )
