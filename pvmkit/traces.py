"""Call traces as text, the way foundry prints them: each call with its contract's name, decoded arguments, gas used
(fuel), the events it emitted and how it ended, nested under its caller.

    [108822] Caller::callSetX(Callee, 5)
    └─ [59511] Callee::setX(5)
       ├─ emit XChanged(old: 0, new: 5)
       └─ ← [Return] 0

Names and ABIs come from `Names` (an Env knows the contracts it deployed, was handed, or compiled); what it does not
know is shown raw (addresses, selectors, hex), never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .console import UNDECODABLE, console_line
from .contract import (
    _UNDECODABLE,
    _checksummed,
    _split_tuple,
    _type,
    abi_decode,
    decode_revert,
    event_values,
    signature,
)
from .revive.address import CONSOLE_ADDRESS, to_checksum
from .revive.primitives import keccak256
from .revive.state import Address, Event, Hash
from .revive.trace import CallTrace

Known = tuple[str, list[dict]]  # a contract's name and ABI


@dataclass(frozen=True)
class Names:
    """What a trace's addresses and code are: contracts by address (deployed or handed over), else by their code's
    hash (compiled: a factory's children), whose code `code_of` finds for an address."""

    by_address: Mapping[Address, Known]
    by_code: Mapping[Hash, Known]
    code_of: Callable[[Address], Hash | None]

    def of(self, address: Address | None, code_hash: Hash | None = None) -> Known | None:
        """By address, else by code; a label (a name without an ABI) keeps the ABI of the code (found in review)."""
        known = self.by_address.get(address) if address is not None else None
        if known is None or not known[1]:
            if code_hash is None and address is not None:
                code_hash = self.code_of(address)
            by_code = self.by_code.get(code_hash) if code_hash is not None else None
            if by_code is not None:
                known = (known[0], by_code[1]) if known is not None else by_code
        return known

    def everything(self) -> Iterator[Known]:
        yield from self.by_address.values()
        yield from self.by_code.values()


PRECOMPILES = {1: "ecrecover", 2: "sha256", 3: "ripemd160", 4: "identity", 5: "modexp", 6: "ecAdd", 7: "ecMul",
               8: "ecPairing", 9: "blake2f"}  # fmt: skip
HEX_SHOWN = 64  # bytes of a value shown in hex before it is cut short


def render(trace: CallTrace, names: Names, errors: Sequence[dict] = ()) -> str:
    """`trace` as an indented tree, one line per call, event and outcome. `errors`: error ABI items to decode reverts
    with besides the reverting contract's own (a callee's custom error bubbles up as is)."""
    lines: list[str] = []
    _call(trace, names, list(errors), "", "", lines)
    return "\n".join(lines)


def _call(node: CallTrace, names: Names, errors: list[dict], lead: str, rest: str, lines: list[str]) -> None:
    """`node`'s line (after `lead`), then its events, calls and outcome (after `rest`, the indentation under it)."""
    known = names.of(node.code_address or node.address, node.code_hash)
    abi = known[1] if known else []
    lines.append(f"{lead}[{node.gas_used}] {_head(node, known, names)}")
    entries = node.entries()
    for item in entries:
        if type(item) is CallTrace:
            _call(item, names, errors, rest + "├─ ", rest + "│  ", lines)
        else:
            lines.append(f"{rest}├─ emit {_event(item, names)}")  # type: ignore[arg-type]
    lines.append(f"{rest}└─ ← {_outcome(node, abi, errors, names)}")


def _head(node: CallTrace, known: Known | None, names: Names) -> str:
    """What was called: `Name::function{value: v}(args)`, `→ new Name@address(args)` or a precompile's name."""
    value = f"{{value: {node.value}}}" if node.value else ""
    if node.kind.startswith("create"):
        where = to_checksum(node.address) if node.address is not None else "(no address)"
        name = known[0] if known else "<unknown code>"
        ctor = next((i for i in known[1] if i.get("type") == "constructor"), None) if known else None
        args = _arguments(ctor, node.input, names) if ctor is not None else _hex(node.input) if node.input else ""
        salted = " [create2]" if node.kind == "create2" else ""
        return f"→ new {name}@{where}{value}({args}){salted}"
    suffix = f" [{node.kind}]" if node.kind in ("staticcall", "delegatecall") else ""
    ran = node.code_address or node.address  # (a delegate call's precompile is its code address)
    if node.precompile and ran is not None:
        return f"PRECOMPILES::{PRECOMPILES.get(ran[-1], 'precompile')}{value}({_hex(node.input)}){suffix}"
    if (ran == CONSOLE_ADDRESS and node.kind in ("call", "staticcall") and node.code_hash is None and not node.mocked
            and node.error is None and (line := console_line(node.input)) not in (None, UNDECODABLE)):
        return f"console::log{value}({line!r}){suffix}"  # (what Env.console_log was given; not code put there)
    target = _label(ran, names)
    if node.mocked:
        suffix += " [mocked]"
    elif node.code_hash is None and not node.precompile and node.error is None:  # (an error may come before its code)
        suffix += " [no code]"
    selector, data = node.input[:4], node.input[4:]
    function = _function(known[1], selector) if known and len(node.input) >= 4 else None
    if function is not None:
        return f"{target}::{function['name']}{value}({_arguments(function, data, names)}){suffix}"
    # What Solidity runs without a matching selector, as foundry names it: receive() for no input where the ABI has
    # one (found in review: shown as fallback), else fallback with the whole input.
    kinds = {entry.get("type") for entry in known[1]} if known else set()
    if not node.input and "receive" in kinds:
        return f"{target}::receive{value}(){suffix}"
    if len(node.input) < 4 or "fallback" in kinds:
        return f"{target}::fallback{value}({_hex(node.input) if node.input else ''}){suffix}"
    return f"{target}::0x{selector.hex()}{value}({_hex(data) if data else ''}){suffix}"


def _outcome(node: CallTrace, abi: list[dict], errors: list[dict], names: Names) -> str:
    if node.error is not None:
        return f"[{node.error.value}]{' ' + node.error_detail if node.error_detail else ''}"
    if node.reverted:
        return f"[Revert] {decode_revert(node.output, [*abi, *errors])[0]}"
    if not node.output:
        return "[Stop]"
    function = _function(abi, node.input[:4]) if len(node.input) >= 4 and not node.kind.startswith("create") else None
    if function is not None and function.get("outputs"):
        types = [_type(p) for p in function["outputs"]]
        try:
            values = abi_decode(types, node.output)
        except _UNDECODABLE:
            pass
        else:
            return "[Return] " + ", ".join(_value(t, v, names) for t, v in zip(types, values, strict=True))
    return f"[Return] {_hex(node.output)}"


def _function(abi: list[dict], selector: bytes) -> dict | None:
    for item in abi:
        if item.get("type", "function") == "function" and keccak256(signature(item).encode())[:4] == selector:
            return item
    return None


def _arguments(item: dict, data: bytes, names: Names) -> str:
    """A function's or constructor's arguments, decoded, comma-separated; the raw bytes if they do not decode. (A
    library function's storage parameter is passed as the slot it points at: a uint256.)"""
    types = [t if not t.endswith(" storage") else "uint256" for t in (_type(p) for p in item.get("inputs", []))]
    if not types:
        return "" if not data else _hex(data)
    try:
        values = abi_decode(types, data)
    except _UNDECODABLE:
        return _hex(data)
    return ", ".join(_value(t, v, names) for t, v in zip(types, values, strict=True))


def _event(log: Event, names: Names) -> str:
    """An event decoded with its emitter's ABI (else any known contract's event with its topic 0), else raw."""
    topic0 = log.topics[0] if log.topics else None
    known = names.of(log.address)
    candidates = [known] if known else []
    candidates += [k for k in names.everything() if k is not known]
    for _, abi in candidates:
        items = [i for i in abi if i.get("type") == "event" and not i.get("anonymous")
                 and keccak256(signature(i).encode()) == topic0]  # fmt: skip
        if items:
            try:
                item, values = event_values(log, items)
            except ValueError:
                continue
            shown = ", ".join(f"{name}: {_hex(v) if hashed else _value(t, v, names)}"  # (a hash: its topic)
                              for name, t, v, hashed in values)  # fmt: skip
            return f"{item['name']}({shown})"
    topics = ", ".join("0x" + t.hex() for t in log.topics)
    return f"<unknown event> topics: [{topics}], data: {_hex(log.data)}"


def _value(t: str, value: Any, names: Names) -> str:
    """One decoded value: a known contract's address by its name, bytes in hex, strings quoted, arrays and tuples
    nested."""
    if t == "address":
        return _label(bytes.fromhex(_checksummed(t, value)[2:]), names)
    if t.endswith("]"):
        inner = t[: t.rindex("[")]
        return "[" + ", ".join(_value(inner, v, names) for v in value) + "]"
    if t.startswith("("):
        return "(" + ", ".join(_value(c, v, names) for c, v in zip(_split_tuple(t), value, strict=True)) + ")"
    if isinstance(value, bytes):
        return _hex(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _label(address: Address | None, names: Names) -> str:
    """A contract the Env deployed, was handed or labelled by its name; one known only by its code (a factory's
    child) by its code's name and its address, so that two children differ (found in review: shown alike)."""
    if address is None:
        return "(no address)"
    known = names.of(address)
    if known is None:
        return to_checksum(address)
    return known[0] if address in names.by_address else f"{known[0]}@{to_checksum(address)}"


def _hex(data: bytes) -> str:
    if len(data) <= HEX_SHOWN:
        return "0x" + data.hex()
    return f"0x{data[:HEX_SHOWN].hex()}… ({len(data)} bytes)"
