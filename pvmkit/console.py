"""console.log for contracts: calls to forge-std's and hardhat's console.sol decoded into the lines foundry prints.

console.sol's functions are view calls to a fixed address that has no code, so on chain they do nothing (the pallet
runs a call to an account without code as a success that returns nothing); pvmkit's host reports each one to
`Chain.on_console` as it happens, and `Env` prints the line this module makes of it (`Env(console_log=...)`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import cache

from eth_abi.exceptions import DecodingError

from .contract import abi_decode
from .revive.address import CONSOLE_ADDRESS, to_checksum
from .revive.primitives import keccak256

__all__ = ["CONSOLE_ADDRESS", "console_line"]

# The parameter types of console.sol's overloads: log(T) and logT(T) for these, log with two to four of the first
# four, and logBytes1..32. forge-std spells the integers uint256/int256, hardhat's original console.sol uint/int
# (other selectors, the same words).
_SINGLE = ("uint256", "int256", "string", "bool", "address", "bytes")
_COMBINED = ("uint256", "string", "bool", "address")


@cache
def _selectors() -> dict[bytes, tuple[str, ...]]:
    """selector → parameter types, for every overload in either spelling."""
    signatures: list[tuple[str, tuple[str, ...]]] = [("log", ())]
    signatures += [(name, (t,)) for t in _SINGLE for name in ("log", "log" + t.removesuffix("256").capitalize())]
    signatures += [(f"logBytes{n}", (f"bytes{n}",)) for n in range(1, 33)]
    for count in (2, 3, 4):
        signatures += [("log", types) for types in itertools.product(_COMBINED, repeat=count)]
    out: dict[bytes, tuple[str, ...]] = {}
    for name, types in signatures:
        for spelled in (types, tuple(t.removesuffix("256") if t in ("uint256", "int256") else t for t in types)):
            out[keccak256(f"{name}({','.join(spelled)})".encode())[:4]] = types
    return out


def _text(kind: str, value: object) -> str:
    if kind == "bool":
        return "true" if value else "false"
    if kind == "address":
        return to_checksum(bytes.fromhex(str(value)[2:]))
    if kind == "string":
        return str(value)
    if kind.startswith("bytes"):
        return "0x" + bytes(value).hex()  # type: ignore[arg-type]
    return str(value)


_SPECIFIER = re.compile(r"%([sdiox%])")


def _formatted(first: str, rest: Sequence[tuple[str, object]]) -> str:
    """foundry's format-string rule: %s, %d, %i, %o and %x in the first string take the next arguments in turn (%% is
    a %), a specifier left without one stays as it is, and the arguments left over follow, separated by spaces."""
    pending = list(rest)

    def substitute(m: re.Match[str]) -> str:
        spec = m.group(1)
        if spec == "%":
            return "%"
        if not pending:
            return m.group(0)
        kind, value = pending.pop(0)
        if spec in "di" and kind in ("uint256", "int256"):
            return str(value)
        if spec == "x" and kind in ("uint256", "int256"):
            return hex(int(value))  # type: ignore[call-overload]
        return _text(kind, value)

    line = _SPECIFIER.sub(substitute, first)
    return " ".join([line, *(_text(kind, value) for kind, value in pending)])


def console_line(data: bytes) -> str | None:
    """The line foundry prints for a call to the console address with this input; None if it is no console.sol call
    (an unknown selector, or arguments that do not decode)."""
    types = _selectors().get(bytes(data[:4]))
    if types is None:
        return None
    try:
        values = abi_decode(types, bytes(data[4:]))
    except (DecodingError, ValueError, OverflowError):
        return None
    args = list(zip(types, values, strict=True))
    if len(args) > 1 and types[0] == "string":
        return _formatted(_text("string", values[0]), args[1:])
    return " ".join(_text(kind, value) for kind, value in args)
