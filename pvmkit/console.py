"""console.log for contracts: calls to forge-std's and hardhat's console.sol decoded into the lines foundry prints.

console.sol's functions are view calls to a fixed address that has no code, so on chain they do nothing (the pallet
runs a call to an account without code as a success that returns nothing); pvmkit's host reports each one to
`Chain.on_console` as it happens, and `Env` prints the line this module makes of it (`Env(console_log=...)`).
The formatting is foundry's (crates/common/fmt/src/console.rs, which follows hardhat): a first string argument is a
format string (%s %d %i %o %x %e %<n>e, %% for a %), whose specifiers take the other arguments in turn; arguments left
over follow, separated by spaces, and specifiers left over stay as they are.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from functools import cache

from eth_abi.exceptions import DecodingError

from .contract import abi_decode
from .revive.address import CONSOLE_ADDRESS, to_checksum
from .revive.primitives import keccak256

__all__ = ["CONSOLE_ADDRESS", "UNDECODABLE", "console_line"]

# The parameter types of console.sol's overloads: log(T) and logT(T) for these, log with two to four of the first
# four, log(bytesN) and logBytesN(bytesN), and log(string,int256). forge-std and today's hardhat spell the integers
# uint256/int256, hardhat's first console.sol uint/int (other selectors, the same values).
_SINGLE = ("uint256", "int256", "string", "bool", "address", "bytes")
_COMBINED = ("uint256", "string", "bool", "address")
UNDECODABLE = "undecodable"  # console_line's answer for a console.sol function whose arguments do not decode


@cache
def _selectors() -> dict[bytes, tuple[str, ...]]:
    """selector → parameter types, for every overload in either spelling."""
    signatures: list[tuple[str, tuple[str, ...]]] = [("log", ()), ("log", ("string", "int256"))]
    signatures += [(name, (t,)) for t in _SINGLE for name in ("log", "log" + t.removesuffix("256").capitalize())]
    signatures += [(name, (f"bytes{n}",)) for n in range(1, 33) for name in ("log", f"logBytes{n}")]
    for count in (2, 3, 4):
        signatures += [("log", types) for types in itertools.product(_COMBINED, repeat=count)]
    out: dict[bytes, tuple[str, ...]] = {}
    for name, types in signatures:
        for spelled in (types, tuple(t.removesuffix("256") if t in ("uint256", "int256") else t for t in types)):
            out[keccak256(f"{name}({','.join(spelled)})".encode())[:4]] = types
    return out


def _exponential(value: int, precision: int | None) -> str:
    """%e (precision None: one digit before the point, then `e` and the exponent) and %<n>e (value / 10^n, no
    exponent), trailing zeros of the fraction dropped, as foundry writes them."""
    sign, amount = ("-", -value) if value < 0 else ("", value)
    digits = len(str(amount)) - 1 if precision is None else precision
    integer, fraction = divmod(amount, 10**digits)
    decimals = str(fraction).rjust(digits, "0").rstrip("0")
    text = f"{sign}{integer}" + (f".{decimals}" if decimals else "")
    return f"{text}e{digits}" if precision is None else text


def _value(kind: str, value: object, spec: str = "s") -> str:
    """One argument under one specifier: s (as it reads), o (quoted, but numbers), d and i (numbers; a bool is 1 or
    0 under d), x (hex: numbers, and addresses and bytes as they read), e; NaN where the kind has no such form."""
    if kind in ("uint256", "int256"):
        number = int(value)  # type: ignore[call-overload]
        if spec == "x":  # (two's complement for a negative int256, leading zeros dropped: 0 is "0x")
            return "0x" + format(number % (1 << 256), "x").lstrip("0")
        if spec[-1] == "e":
            return _exponential(number, int(spec[:-1]) if len(spec) > 1 else None)
        return str(number)
    if kind == "bool":
        text = "true" if value else "false"
        return text if spec == "s" else f"'{text}'" if spec == "o" else str(int(bool(value))) if spec == "d" else "NaN"
    if kind == "address":
        text = to_checksum(bytes.fromhex(str(value)[2:]))
    elif kind == "string":
        text = str(value)
    else:  # bytes, bytesN
        text = "0x" + bytes(value).hex()  # type: ignore[call-overload]
    if spec == "s" or (spec == "x" and kind != "string"):
        return text
    return f"'{text}'" if spec == "o" else "NaN"


_PIECE = re.compile(r"%(%|[sdiox]|e|\d+e)?")


def _pieces(form: str) -> Iterator[tuple[str, str | None]]:
    """The format string as (literal text, None) and (spec, spec) pieces: %% is a literal %, and a % that starts no
    specifier stays in the text."""
    at = 0
    for m in _PIECE.finditer(form):
        spec = m.group(1)
        if spec is None:  # (a lone %: text)
            continue
        yield form[at : m.start()], None
        if spec == "%":
            yield "%", None
        else:
            yield "", spec
        at = m.end()
    yield form[at:], None


def _formatted(form: str, args: Sequence[tuple[str, object]]) -> str:
    """foundry's console_format: `form` (a first string argument, or "" when the first is none) takes the arguments
    in turn; those left over follow, separated by spaces (no space first after an empty form)."""
    pending = iter(args)
    out: list[str] = []
    for text, spec in _pieces(form):
        if spec is None:
            out.append(text)
            continue
        arg = next(pending, None)
        out.append(f"%{spec}" if arg is None else _value(arg[0], arg[1], spec))
    line = "".join(out)
    rest = [_value(kind, value) for kind, value in pending]
    return " ".join([line, *rest]) if form else " ".join(rest)


def console_line(data: bytes) -> str | None:
    """The line foundry prints for a call to the console address with this input; None if no console.sol function has
    its selector, UNDECODABLE if one has but the arguments do not decode as its."""
    types = _selectors().get(bytes(data[:4]))
    if types is None:
        return None
    try:
        values = abi_decode(types, bytes(data[4:]))
    except (DecodingError, ValueError, OverflowError):
        return UNDECODABLE
    args = list(zip(types, values, strict=True))
    if args and types[0] == "string":
        return _formatted(str(values[0]), args[1:])
    return _formatted("", args)
