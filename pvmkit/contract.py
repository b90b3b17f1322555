"""ABI-aware contract objects: `token.transfer(bob, 10)` encodes, calls and decodes (eth-abi).

Reverts raise `ContractRevert` with the reason decoded: `Error(string)`, `Panic(uint256)` (with
Solidity's panic names) or a custom error from the ABI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from eth_abi import encode as abi_encode
from eth_abi.codec import ABICodec
from eth_abi.decoding import StringDecoder
from eth_abi.exceptions import DecodingError, EncodingError
from eth_abi.registry import registry as _ABI_TYPES

from .revive.address import _PARSED, ChecksumError, parse_address, to_checksum
from .revive.chain import CallResult
from .revive.primitives import keccak256
from .revive.state import Event
from .storage import StorageView

if TYPE_CHECKING:
    from .env import Env

PANIC_CODES = {
    0x00: "generic panic", 0x01: "assert(false)", 0x11: "arithmetic overflow or underflow", 0x12: "division by zero",
    0x21: "invalid enum value", 0x22: "invalid storage byte array", 0x31: "pop() on an empty array",
    0x32: "array index out of bounds", 0x41: "out of memory", 0x51: "call to an uninitialized function pointer",
}  # fmt: skip
ERROR_SELECTOR = bytes.fromhex("08c379a0")
Err = TypeVar("Err", bound=Exception)
PANIC_SELECTOR = bytes.fromhex("4e487b71")


# Types whose short spelling a hand-written ABI may use, and the canonical name selectors are computed from (found
# in review: f(uint) hashed as written called a function that does not exist).
_ALIASES = re.compile(r"^(uint|int|ufixed|fixed)(?=\[|$)")
_ALIAS_SIZE = {"uint": "uint256", "int": "int256", "ufixed": "ufixed128x18", "fixed": "fixed128x18"}
# What eth-abi raises for data it cannot decode: its DecodingErrors, but also a string that is no UTF-8 and a length
# word too large to slice with (found in review: those escaped as raw exceptions, a revert among them).
_UNDECODABLE = (DecodingError, UnicodeDecodeError, OverflowError)


def _lenient_codec() -> ABICodec:
    """eth-abi's codec, but an ABI string that is not UTF-8 decodes with U+FFFD for its bad bytes, as foundry shows it:
    Solidity's string(bytes) may hold any bytes (found in review: an event with one was left out of get_logs, an error
    with one lost its name, a function returning one raised)."""
    types = _ABI_TYPES.copy()
    types.unregister_decoder("string")
    types.register_decoder("string", StringDecoder(handle_string_errors="replace"), label="string")
    return ABICodec(types)


abi_decode = _lenient_codec().decode


def _type(param: dict) -> str:
    """Canonical ABI type of a parameter, expanding tuples and short spellings (uint is uint256)."""
    t = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + t[5:]
    return _ALIASES.sub(lambda m: _ALIAS_SIZE[m.group(1)], t)


def check_abi(abi: object) -> list[dict]:
    """`abi` as a list of ABI items, or ValueError/TypeError saying which item is malformed and how (rather than a
    KeyError or AttributeError from deep inside a call later)."""
    if isinstance(abi, (str, bytes)) or not isinstance(abi, Iterable):
        raise TypeError(f"an ABI is a list of items (dicts), got {type(abi).__name__}")
    items = list(abi)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise TypeError(f"ABI item #{i} is a {type(item).__name__}, not a dict")
        kind = item.get("type", "function")
        if kind in ("function", "event", "error") and not isinstance(item.get("name"), str):
            raise ValueError(f"ABI item #{i} ({kind}) has no name")
        for field in ("inputs", "outputs"):
            params = item.get(field, [])
            if not isinstance(params, list) or not all(_param_ok(p) for p in params):
                raise ValueError(f"ABI item #{i} ({item.get('name', kind)}): {field} must be a list of parameters "
                                 f"with a type, got {params!r}")  # fmt: skip
            for k, p in enumerate(params):  # (found in review: 'unit256' failed at the call, after the transaction)
                t = _type(p)
                if not _ABI_TYPES.has_encoder(t):
                    raise ValueError(f"ABI item #{i} ({item.get('name', kind)}): {field} parameter "
                                     f"{p.get('name') or k!r} has type {t!r}, which is no ABI type")  # fmt: skip
    return items


def _param_ok(param: object) -> bool:
    if not isinstance(param, dict) or not isinstance(param.get("type"), str):
        return False
    components = param.get("components")
    return not param["type"].startswith("tuple") or isinstance(components, list) and all(map(_param_ok, components))


def _names(params: list[dict]) -> list[str]:
    """Parameters' names, `arg<i>` for unnamed ones (solc names an event's or error's parameters "" if the source
    does not)."""
    return [p.get("name") or f"arg{i}" for i, p in enumerate(params)]


def _canonical(sig: str) -> str:
    """A signature as signature() writes it: no spaces, short type names expanded (`f(uint)` is `f(uint256)`)."""
    name, _, rest = sig.replace(" ", "").partition("(")
    types = re.split(r"([(),])", rest)
    return name + "(" + "".join(_ALIASES.sub(lambda m: _ALIAS_SIZE[m.group(1)], t) for t in types)


def signature(item: dict) -> str:
    return f"{item['name']}({','.join(_type(p) for p in item.get('inputs', []))})"


def signature_item(text: str) -> dict:
    """signature()'s inverse: an ABI-shaped function for a signature as solc hashes it (`append(uint256[] storage,
    uint256)`, a library's function its ABI leaves out): the same selector, its storage parameters decoded as the
    slots they are (traces' _arguments)."""
    name, _, rest = text.partition("(")
    types, depth, start = [], 0, 0
    for i, ch in enumerate(rest[:-1]):  # (split at the commas outside a tuple's or a mapping's parentheses)
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            types.append(rest[start:i])
            start = i + 1
    if rest[:-1]:
        types.append(rest[start:-1])
    return {"type": "function", "name": name, "inputs": [{"name": "", "type": t} for t in types], "outputs": [],
            "stateMutability": "nonpayable"}


class ContractRevert(Exception):
    """A call reverted (or failed); `reason` is the decoded revert reason, `result` the raw CallResult, `name` the
    error's name ("Error", "Panic", a custom error's or the pallet error's; None when undecodable or empty) and
    `args_decoded` its arguments."""

    def __init__(self, reason: str, result: CallResult, *, name: str | None = None, args: tuple = ()) -> None:
        self.reason = reason
        self.result = result
        self.name = name
        self.args_decoded = args
        super().__init__(reason)


def learn_errors(known: dict[str, dict], abi: list[dict]) -> None:
    """Add `abi`'s custom errors to `known` (by signature, the first kept): an Env decodes them wherever they bubble
    up."""
    for item in abi:
        if item.get("type") == "error":
            known.setdefault(signature(item), item)


def with_trace(error: Err, result: CallResult, env: Env) -> Err:
    """`error`, with the call trace of `result` as a note when it has one (pytest shows notes). A trace that cannot be
    rendered says so, rather than raise in place of the error."""
    inner = result.inner_error
    if inner is not None and result.error is None and not result.output:  # (a revert without a reason)
        error.add_note(f"the last nested call to fail in it failed with {inner[0].value}"
                       f"{': ' + inner[1] if inner[1] else ''} (a revert without a reason often bubbles up from one)")
    if result.trace is not None and env.tracing:  # (not for a gas report's own tracing: found in review)
        try:
            error.add_note("call trace:\n" + env.format_trace(result))
        except Exception as e:  # noqa: BLE001 - the error being raised matters more than its trace
            error.add_note(f"call trace: cannot be rendered ({type(e).__name__}: {e})")
    return error


def decode_revert(output: bytes, abi: Sequence[dict] = ()) -> tuple[str, str | None, tuple]:
    """(human-readable reason, error name, decoded args) for revert data."""
    if output[:4] == ERROR_SELECTOR:
        try:
            (message,) = abi_decode(["string"], output[4:])
            return message, "Error", (message,)
        except _UNDECODABLE:
            pass
    if output[:4] == PANIC_SELECTOR:
        try:
            (code,) = abi_decode(["uint256"], output[4:])
            return f"Panic(0x{code:02x}): {PANIC_CODES.get(code, 'unknown panic code')}", "Panic", (code,)
        except _UNDECODABLE:
            pass
    for item in abi:
        if item.get("type") == "error" and keccak256(signature(item).encode())[:4] == output[:4]:
            types = [_type(p) for p in item.get("inputs", [])]
            try:
                args = tuple(_checksummed(t, v) for t, v in zip(types, abi_decode(types, output[4:]), strict=True))
            except _UNDECODABLE:
                continue
            names = _names(item.get("inputs", []))
            shown = ", ".join(f"{n}={a!r}" for n, a in zip(names, args, strict=True))
            return f"{item['name']}({shown})", item["name"], args
    if not output:
        return "reverted without a reason", None, ()
    return f"reverted with data 0x{output.hex()}", None, ()


@dataclass(frozen=True)
class DecodedLog:
    """An event decoded against the ABI: `event` name and `args` by parameter name."""

    address: str
    event: str
    args: dict[str, Any]


def _looks_like_address(value: object) -> bool:
    """20 bytes, their 0x-hex, or a Contract: what set(address) takes and set(bytes32) would only pad."""
    if isinstance(value, str):
        return len(value) == 42 and value[:2] in ("0x", "0X")
    if isinstance(value, (bytes, bytearray)):
        return len(value) == 20
    return isinstance(value, Contract)


def _prepare(types: list[str], args: Sequence[Any], params: Sequence[dict] | None = None) -> list[Any]:
    """Accept any-case hex strings, 20 bytes or Contracts for addresses, 0x-hex for bytes and, given the ABI's
    `params`, dicts by component name for structs, as users write them, also inside arrays and tuples (found in
    review: only top-level arguments were converted)."""
    return [_prepared(t, a, p) for t, a, p in zip(types, args, params or [None] * len(types), strict=True)]


def _prepared(t: str, a: Any, param: dict | None = None) -> Any:
    """One argument of type `t` (ABI parameter `param`, if known) as eth-abi takes it; a bytesN of another length is a
    TypeError (eth-abi pads a short one with zeros on the right: 20 address bytes as a bytes32 are not Solidity's
    bytes32(uint256(uint160(a))))."""
    if t == "address":
        return a if isinstance(a, int) else parse_address(a)  # the 20 raw bytes, no checksum round trip
    if t.endswith("]"):
        inner = t[: t.rindex("[")]
        return [_prepared(inner, v, param) for v in a] if isinstance(a, (list, tuple)) else a
    if t.startswith("("):
        parts = _split_tuple(t)
        components = param.get("components") if param is not None else None
        if isinstance(a, Mapping) and components is not None:
            a = _by_name(a, components)
        if isinstance(a, (list, tuple)) and len(a) == len(parts):
            params = components or [None] * len(parts)
            return tuple(_prepared(c, v, p) for c, v, p in zip(parts, a, params, strict=True))
        return a
    if t.startswith("bytes"):
        if isinstance(a, str) and a.startswith("0x"):
            a = bytes.fromhex(a[2:])
        if t != "bytes" and isinstance(a, (bytes, bytearray)) and len(a) != int(t[5:]):
            raise TypeError(f"a {t} takes exactly {t[5:]} bytes, got {len(a)} (pad it as Solidity would: on the right "
                            f"for text, on the left for a number)")  # fmt: skip
    return a


def _by_name(value: Mapping, components: list[dict]) -> tuple:
    """A struct given as a dict (as web3 and ethers take them): its values in the components' order."""
    names = [c.get("name", "") for c in components]
    if "" in names:
        raise TypeError(f"a struct with unnamed components ({len(names)}) cannot be a dict: pass a tuple")
    if set(value) != set(names):
        missing = [n for n in names if n not in value]
        extra = [repr(k) for k in value if k not in names]
        raise TypeError(f"a struct ({', '.join(names)}) as a dict needs exactly its components' names"
                        + (f": missing {', '.join(missing)}" if missing else "")
                        + (f"; not components: {', '.join(extra)}" if extra else ""))  # fmt: skip
    return tuple(value[n] for n in names)


def _word_type(t: str) -> tuple[str, int] | None:
    """("address"|"bool"|"uint"|"int", bits) for the one-word static types most calls use, else None."""
    if t in ("address", "bool"):
        return t, 160 if t == "address" else 8
    for kind in ("uint", "int"):
        if t.startswith(kind) and t[len(kind) :].isdigit():
            bits = int(t[len(kind) :])
            return (kind, bits) if 8 <= bits <= 256 and bits % 8 == 0 else None
    return None


def _encode_words(words: list[tuple[str, int]], args: Sequence[Any]) -> bytes:
    """ABI encoding of one-word arguments without eth-abi (its per-call cost dominates a token transfer's API
    time); the same values are accepted and refused (tests/test_abi.py compares the two)."""
    out = []
    for (kind, bits), a in zip(words, args, strict=True):
        if kind == "address":
            out.append(bytes(12) + parse_address(a))
            continue
        if kind == "bool":
            if type(a) is not bool:
                raise TypeError(f"bool expected, got {a!r}")
            out.append(bytes(31) + (b"\x01" if a else b"\x00"))
            continue
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"{kind}{bits} expected an integer, got {a!r}")
        low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if kind == "int" else (0, 1 << bits)
        if not low <= a < high:
            raise ValueError(f"{a} does not fit {kind}{bits}")
        out.append((a & ((1 << 256) - 1)).to_bytes(32, "big"))
    return b"".join(out)


def _decode_words(words: list[tuple[str, int]], data: bytes) -> tuple | None:
    """One-word results without eth-abi; None for anything unusual (short data, dirty padding), which eth-abi
    then decodes or rejects with its own message."""
    if len(data) < 32 * len(words):
        return None
    out: list[Any] = []
    for i, (kind, bits) in enumerate(words):
        value = int.from_bytes(data[32 * i : 32 * i + 32], "big")
        if kind == "int":
            if value >> 255:
                value -= 1 << 256
            if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
                return None
        elif value >> bits or (kind == "bool" and value > 1):
            return None
        out.append(to_checksum(value.to_bytes(20, "big")) if kind == "address" else bool(value) if kind == "bool"
                   else value)  # fmt: skip
    return tuple(out)


@dataclass(frozen=True)
class _Overload:
    """An ABI function item with its selector and types worked out once."""

    item: dict
    selector: bytes
    inputs: list[str]
    outputs: list[str]
    view: bool
    input_words: list[tuple[str, int]] | None = None  # when every input is a one-word type (_word_type)
    output_words: list[tuple[str, int]] | None = None


_NO_VALUE = 0  # ContractFunction.__call__'s default value, compared by identity

_WORD_IN = {  # one argument's check (a plain type, in range) and its 32-byte word, for _direct
    "address": ("(w{i} := parsed(a{i}) if a{i}.__class__ is str else None) is None", "Z12 + w{i}"),
    "bool": ("a{i}.__class__ is not bool", "(TRUE if a{i} else FALSE)"),
    "uint": ("a{i}.__class__ is not int or not 0 <= a{i} < {high}", "a{i}.to_bytes(32, 'big')"),
    "int": ("a{i}.__class__ is not int or not {low} <= a{i} < {high}", "(a{i} & M256).to_bytes(32, 'big')"),
}
_WORD_OUT = {  # one result word's value, and when it is not one _decode_words would accept
    "address": ("int.from_bytes(out[{at}:{end}], 'big')", "v{i} >> 160", "checksum(out[{at} + 12:{end}])"),
    "bool": ("int.from_bytes(out[{at}:{end}], 'big')", "v{i} > 1", "v{i} == 1"),
    "uint": ("int.from_bytes(out[{at}:{end}], 'big')", "v{i} >> {bits}", "v{i}"),
    "int": ("int.from_bytes(out[{at}:{end}], 'big', signed=True)", "not {low} <= v{i} < {high}", "v{i}"),
}


def _direct(function: ContractFunction, overload: _Overload) -> Callable[[tuple], Any] | None:
    """A function written for this overload's one-word inputs and outputs (its source exec'd, as dataclasses writes
    __init__): it checks, encodes, sends and decodes in a few dozen bytecodes where the general path takes ~300 (a
    token transfer's ABI work was a sixth of its time). Anything unusual goes the general way, which has the same
    results and errors: a value not plainly of its type or out of range, an address string not parsed before, a
    revert, output that is short or out of range."""
    if overload.input_words is None or overload.output_words is None:
        return None
    # (The maker of such functions is compiled once per shape, its per-contract values closed over: exec'ing the
    # source for every handle made each Contract cost ~1 ms, found in review.)
    key = (tuple(overload.input_words), tuple(overload.output_words), overload.view)
    make = _DIRECT_MAKERS.get(key)
    if make is None:
        make = _DIRECT_MAKERS[key] = _direct_maker(*key)
    env = function.contract._env
    return make(function.contract, env, overload.selector, parse_address(function.contract.address), env.contracts,
                lambda args: function._run(args, {}, 0, None, None, None),
                lambda result: function._outcome(overload, result))  # fmt: skip


def _direct_maker(input_words: tuple, output_words: tuple, view: bool) -> Callable[..., Callable[[tuple], Any]]:
    """_direct's source for one shape of function, compiled: a maker of the function from the contract's values."""
    names = [f"a{i}" for i in range(len(input_words))]
    checks, words, lines = [], [], []
    for i, (kind, bits) in enumerate(input_words):
        low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if kind == "int" else (0, 1 << bits)
        check, word = _WORD_IN[kind]
        checks.append(check.format(i=i, low=low, high=high))
        words.append(word.format(i=i))
    n = len(output_words)
    unpack = f"    {', '.join(names)}, = args\n" if names else ""
    checked = f"    if {' or '.join(checks)}:\n        return general(args)\n" if checks else ""
    send = "env.dry_call" if view else "env.call"
    for i, (kind, bits) in enumerate(output_words):
        low, high = -(1 << (bits - 1)), 1 << (bits - 1)
        value, bad, result = (part.format(i=i, at=32 * i, end=32 * i + 32, bits=bits, low=low, high=high)
                              for part in _WORD_OUT[kind])  # fmt: skip
        lines += [f"        v{i} = {value}", f"        if {bad}:", "            return finish(result)"]
        if result != f"v{i}":
            lines.append(f"        v{i} = {result}")
    returned = "None" if n == 0 else "v0" if n == 1 else f"({', '.join(f'v{i}' for i in range(n))},)"
    # No code at the address: the general way says so (a function without outputs would return None from nothing).
    checked += "    if ADDRESS not in contracts:\n        return general(args)\n"
    source = ("def make(contract, env, SELECTOR, ADDRESS, contracts, general, finish):\n"
              f" def direct(args):\n{unpack}{checked}"
              f"    result = {send}(contract.address, {' + '.join(['SELECTOR', *words])})\n"
              f"    if result.success and len(out := result.output) >= {32 * n}:\n"
              + "".join(line + "\n" for line in lines) + f"        return {returned}\n"
              "    return finish(result)\n"
              " return direct\n")  # fmt: skip
    namespace = {"parsed": _PARSED.get, "Z12": bytes(12), "TRUE": bytes(31) + b"\x01", "FALSE": bytes(32),
                 "M256": (1 << 256) - 1, "checksum": to_checksum}  # fmt: skip
    exec(source, namespace)  # noqa: S102 - source built above from this shape's types only
    return namespace["make"]


class _ContractSlots:
    """A contract's storage words for _storage: read as they are now, written as Env.set_storage writes (vm.store)."""

    def __init__(self, env: Env, address: str) -> None:
        self._env, self._address = env, address

    def read(self, slot: int) -> int:
        return int.from_bytes(self._env.get_storage(self._address, slot.to_bytes(32, "big")), "big")

    def write(self, slot: int, word: int) -> None:
        self._env.set_storage(self._address, slot.to_bytes(32, "big"), word.to_bytes(32, "big"))


# (input words, output words, view) → the compiled maker of _direct's functions for that shape.
_DIRECT_MAKERS: dict[tuple, Callable[..., Callable[[tuple], Any]]] = {}


class ContractFunction:
    """One ABI function bound to a deployed contract; overloads are resolved by argument count, then by which one
    the values encode for, and `fn["name(types)"]` picks one outright."""

    def __init__(self, contract: Contract, items: list[dict]) -> None:
        self.contract = contract
        self.items = items
        self._overloads = []
        for i in items:
            inputs, outputs = [_type(p) for p in i.get("inputs", [])], [_type(p) for p in i.get("outputs", [])]
            words_in, words_out = [_word_type(t) for t in inputs], [_word_type(t) for t in outputs]
            self._overloads.append(_Overload(
                i, keccak256(signature(i).encode())[:4], inputs, outputs, i.get("stateMutability") in ("view", "pure"),
                None if None in words_in else words_in, None if None in words_out else words_out))  # type: ignore[arg-type]  # fmt: skip
        only = self._overloads[0]
        self._arity = len(only.inputs)
        self._direct = _direct(self, only) if len(items) == 1 else None

    def _pick(self, args: tuple) -> _Overload:
        """The overload for positional `args` (see _choose)."""
        return self._choose([(o, args) for o in self._overloads])[0]

    def _choose(self, candidates: list[tuple[_Overload, tuple]]) -> tuple[_Overload, tuple]:
        """The overload, and its arguments, among candidate pairs (each overload with the arguments in its order): by
        their count, then, among overloads of the same length, the one the values encode for (set(5) is
        set(uint256), set("0x…") is set(address)); fn["set(uint256)"] names one outright."""
        matches = [(o, a) for o, a in candidates if len(o.inputs) == len(a)]
        if len(matches) > 1:
            fitting = []
            for o, a in matches:
                try:
                    self._encode(o, a)
                except TypeError:
                    continue
                fitting.append((o, a))
            matches = fitting
        if len(matches) > 1:  # (20 bytes, or their hex, fit address and bytes32 alike: they are an address)
            def addresses(pair: tuple[_Overload, tuple]) -> int:
                types, values = pair[0].inputs, pair[1]
                return sum(t == "address" and _looks_like_address(v) for t, v in zip(types, values, strict=True))

            best = max(map(addresses, matches))
            matches = [pair for pair in matches if addresses(pair) == best]
        if len(matches) != 1:
            count = len(candidates[0][1])
            sigs = ", ".join(signature(i) for i in self.items)
            how = f"; pick one with {self.items[0]['name']}[\"<signature>\"]" if len(self.items) > 1 else ""
            if len(self.items) == 1:
                raise TypeError(f"{sigs} takes {len(self._overloads[0].inputs)} arguments, got {count}")
            raise TypeError(f"{self.items[0]['name']} takes one of: {sigs}; got {count} arguments that fit "
                            f"{len(matches)} of them{how}")  # fmt: skip
        return matches[0]

    def __getitem__(self, sig: str) -> ContractFunction:
        """The overload with this signature, e.g. `contract.set["set(uint256)"]`."""
        wanted = _canonical(sig)
        items = [i for i in self.items if signature(i) == wanted]
        if not items:
            raise KeyError(f"{sig!r} is not one of {', '.join(signature(i) for i in self.items)}")
        return ContractFunction(self.contract, items)

    def encode(self, *args: Any) -> bytes:
        return self._encode(self._pick(args), args)

    @staticmethod
    def _encode(overload: _Overload, args: tuple) -> bytes:
        try:
            if overload.input_words is not None:
                return overload.selector + _encode_words(overload.input_words, args)
            return overload.selector + abi_encode(overload.inputs,
                                                  _prepare(overload.inputs, args, overload.item.get("inputs")))
        except ChecksumError:  # (a typo in an address: not a reason to pick another overload, found in review)
            raise
        except (EncodingError, TypeError, ValueError) as e:
            raise TypeError(f"cannot encode arguments for {signature(overload.item)}: {e}") from None

    def __call__(self, *args: Any, value: int = 0, sender: str | bytes | None = None, gas: int | None = None,
                 **kwargs: Any) -> Any:  # fmt: skip
        """Call it: a view or pure function as a dry run (nothing persists), anything else as a transaction.
        Arguments go by position or by their ABI names (`transfer(to=bob, amount=5)`)."""
        direct = self._direct  # (`value is _NO_VALUE`: exactly the int 0 default; False or 0.0 go the checking way)
        if direct is not None and value is _NO_VALUE and sender is None and gas is None and not kwargs \
                and len(args) == self._arity:  # fmt: skip
            return direct(args)
        return self._run(args, kwargs, value, sender, gas, None)

    def call(self, *args: Any, value: int = 0, sender: str | bytes | None = None, gas: int | None = None,
             **kwargs: Any) -> Any:  # fmt: skip
        """Dry-run it whatever its mutability (what would it return?); nothing persists."""
        return self._run(args, kwargs, value, sender, gas, True)

    def transact(self, *args: Any, value: int = 0, sender: str | bytes | None = None, gas: int | None = None,
                 **kwargs: Any) -> Any:  # fmt: skip
        """Send it as a transaction whatever its mutability (a view too: its logs and gas are then recorded)."""
        return self._run(args, kwargs, value, sender, gas, False)

    def _by_name(self, args: tuple, kwargs: dict[str, Any]) -> list[tuple[_Overload, tuple]]:
        """The overloads whose input names fit `kwargs` (after `args` by position), each with the arguments put in
        its own order (found in review: h(string b, uint8 a) and h(uint8 a, uint8 b) got one order for both, and
        h(a=1, b=2) called h(uint8,uint8) with the values swapped)."""
        fits = [o for o in self._overloads if len(o.inputs) == len(args) + len(kwargs)
                and set(kwargs) == {p.get("name") for p in o.item.get("inputs", [])[len(args) :]}]  # fmt: skip
        if not fits:
            sigs = ", ".join(f"{i['name']}({', '.join(p.get('name') or '?' for p in i.get('inputs', []))})"
                             for i in self.items)  # fmt: skip
            raise TypeError(f"no overload takes {', '.join(kwargs)} by name: {sigs}")
        return [(o, (*args, *(kwargs[p.get("name")] for p in o.item.get("inputs", [])[len(args) :]))) for o in fits]

    def _clash(self, value: int, sender: object, gas: object) -> str:
        """A note for errors when a call option (value, sender, gas) was given and an ABI input has that name: the
        option took it (pass that argument by position)."""
        given = [n for n, v in (("value", value), ("sender", sender), ("gas", gas)) if v not in (0, None)]
        inputs = {p.get("name") for i in self.items for p in i.get("inputs", [])}
        clashing = [n for n in given if n in inputs]
        if not clashing:
            return ""
        return f" ({', '.join(clashing)}= is a call option, not the ABI argument of that name: pass that by position)"

    def _run(self, args: tuple, kwargs: dict[str, Any], value: int, sender: str | bytes | None, gas: int | None,
             dry: bool | None) -> Any:  # fmt: skip
        only = self._overloads[0]
        if not kwargs and len(self._overloads) == 1 and len(args) == len(only.inputs):
            overload = only  # (what _pick gives, without its work: most calls are these)
        else:
            try:
                candidates = self._by_name(args, kwargs) if kwargs else [(o, args) for o in self._overloads]
                overload, args = self._choose(candidates)
            except TypeError as e:  # (the note is worked out only for an error: it costs more than the encoding)
                hint = self._clash(value, sender, gas)
                if not hint:
                    raise
                # (the clash first: it is the cause, where the rest names what is left; found in an audit with
                # OpenZeppelin v5, whose ERC-20 amounts are called `value`)
                raise TypeError(f"{hint.strip(' ()')}; so: {e}") from None
        data = self._encode(overload, args)
        env = self.contract._env
        if not env.is_contract(self.contract.address):  # (as Solidity's calls check)
            raise ValueError(f"no contract at {self.contract.address} to call {signature(overload.item)} on")
        if overload.view if dry is None else dry:
            result = env.dry_call(self.contract.address, data, value=value, sender=sender, gas=gas)
        else:
            result = env.call(self.contract.address, data, value=value, sender=sender, gas=gas)
        return self._outcome(overload, result)

    def _outcome(self, overload: _Overload, result: CallResult) -> Any:
        """The call's decoded return value, or the error for a revert or for output that does not decode."""
        item, env = overload.item, self.contract._env
        if not result.success:
            raise self.contract.revert_error(result)
        outputs = overload.outputs
        if not outputs:
            return None
        if not result.output and not env.get_code(self.contract.address):  # (it terminated itself, say)
            raise ValueError(f"no contract at {self.contract.address}: {signature(item)} returned nothing")
        decoded = _decode_words(overload.output_words, result.output) if overload.output_words is not None else None
        if decoded is None:  # not only one-word types, or unusual data: eth-abi decodes or rejects it
            try:
                raw = abi_decode(outputs, result.output)
            except _UNDECODABLE as e:
                raise ValueError(f"{signature(item)} returned undecodable data 0x{result.output.hex()}: {e}") from None
            decoded = tuple(_checksummed(t, v) for t, v in zip(outputs, raw, strict=True))
        return decoded[0] if len(decoded) == 1 else decoded


class Contract:
    """A deployed contract with its ABI: functions become methods, logs and reverts are decoded.

    Only `address`, `abi`, `get_logs`, `decode_logs` and `revert_error` are public attributes, so ABI
    functions such as an ERC-20's `name()` are not shadowed (an ABI function with one of those names is
    reached with its signature: `getattr(c, "get_logs()")`).
    """

    def __init__(self, env: Env, address: str, abi: Sequence[dict], name: str = "Contract",
                 storage_layout: dict | None = None) -> None:  # fmt: skip
        self._env = env
        self.address = address
        self.abi = check_abi(abi)
        self._name = name
        self._layout = storage_layout
        by_name: dict[str, list[dict]] = {}
        for item in self.abi:
            if item.get("type") == "function":
                by_name.setdefault(item["name"], []).append(item)
        self._functions = {n: ContractFunction(self, items) for n, items in by_name.items()}
        self._events = event_items(self.abi)
        learn_errors(env.known_errors, self.abi)
        # Functions whose names nothing else here has are attributes too, found without __getattr__.
        for name, function in self._functions.items():
            if name not in self.__dict__ and not hasattr(type(self), name):
                self.__dict__[name] = function

    def __getattr__(self, name: str) -> ContractFunction:
        functions = self.__dict__.get("_functions", {})
        if name in functions:
            return functions[name]
        if "(" in name and name.split("(")[0] in functions:  # getattr(contract, "set(uint256)")
            try:
                return functions[name.split("(")[0]][name]
            except KeyError:
                pass
        raise AttributeError(f"{self.__dict__.get('_name', 'contract')} has no function {name!r}")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._functions))

    @property
    def _storage(self) -> StorageView:
        """Its state variables by name, read from its storage now (titanoboa's `_storage`): `token._storage.balanceOf[
        bob]`, `c._storage.items[0].owner`; value types, bytes and strings written too (`...balanceOf[bob] = 10**18`,
        foundry's deal; as Env.set_storage writes). Needs the build's storage layout, which env.compile() and
        load_artifact() (from pvmkit compile's Name.storage.json) give."""
        if self._layout is None:
            raise ValueError(f"{self._name} has no storage layout: deploy or at() it with a contract from "
                             "env.compile() or load_artifact() (pvmkit compile -o writes Name.storage.json)")
        return StorageView(_ContractSlots(self._env, self.address), self._layout, self._name)

    def __repr__(self) -> str:
        return f"<{self._name} at {self.address}>"

    def __eq__(self, other: object) -> bool:
        """Handles of one contract (its address in one Env) are equal, whatever ABI each was made with."""
        if not isinstance(other, Contract):
            return NotImplemented
        return self._env is other._env and self.address == other.address

    def __hash__(self) -> int:
        return hash(self.address)

    def revert_error(self, result: CallResult) -> ContractRevert:
        """What a failed call of this contract raises: its own errors decode first (Env.revert_of), with the trace."""
        return with_trace(self._env.revert_of(result, self.abi), result, self._env)

    def get_logs(self) -> list[DecodedLog]:
        """This contract's events in the Env's last transaction (view calls do not count), decoded."""
        last = self._env.last_tx
        return self._decoded(last.logs, skip=True) if last is not None else []

    def decode_logs(self, logs: Sequence[Event]) -> list[DecodedLog]:
        """Decode this contract's events among `logs` (others' are skipped); one of its events' topic 0 with other
        topics or data than its ABI says is a ValueError naming what does not fit (get_logs leaves it out)."""
        if isinstance(logs, CallResult):
            logs = logs.logs
        bad = next((log for log in logs if not isinstance(log, Event)), None)
        if bad is not None:
            raise TypeError(f"decode_logs takes a result's logs (result.logs), not {type(bad).__name__} items")
        return self._decoded(logs, skip=False)

    def _decoded(self, logs: Sequence[Event], skip: bool) -> list[DecodedLog]:
        me, events = parse_address(self.address), self._events
        mine = [log for log in logs if log.address == me and log.topics and log.topics[0] in events]
        if not skip:
            return [decode_event(log, events[log.topics[0]], self.address) for log in mine]
        decoded = (try_decode_event(log, events[log.topics[0]], self.address) for log in mine)
        return [d for d in decoded if d is not None]


def event_items(abi: list[dict]) -> dict[bytes, list[dict]]:
    """An ABI's events by topic 0; two may share one (the same signature, indexed differently). Anonymous events
    have no topic to recognise them by."""
    events: dict[bytes, list[dict]] = {}
    for i in abi:
        if i.get("type") == "event" and not i.get("anonymous"):
            events.setdefault(keccak256(signature(i).encode()), []).append(i)
    return events


def decode_event(log: Event, items: list[dict], address: str) -> DecodedLog:
    """`log` decoded as one of the event ABI items sharing its topic 0 (the one whose indexed parameters it has)."""
    item, values = event_values(log, items)
    return DecodedLog(address, item["name"], {name: value for name, _, value, _ in values})


def try_decode_event(log: Event, items: list[dict], address: str) -> DecodedLog | None:
    """decode_event, or None for a log those items do not describe (other topics or data than they say: emitted by
    code the emitter delegated to, say), which the lists of decoded logs leave out (found in review: it failed them
    all)."""
    try:
        return decode_event(log, items, address)
    except ValueError:
        return None


def event_values(log: Event, items: list[dict]) -> tuple[dict, list[tuple[str, str, Any, bool]]]:
    """The event item `log` decodes as, and its parameters in order: (name, type, value, hashed), where a hashed one
    is an indexed parameter of a type stored as its keccak hash (the topic: a string, bytes, an array or a struct)."""
    item = next((i for i in items if len(log.topics) == 1 + sum(bool(p.get("indexed")) for p in i["inputs"])),
                items[0])  # fmt: skip
    inputs = item["inputs"]
    names = _names(inputs)
    indexed = [k for k, p in enumerate(inputs) if p.get("indexed")]
    plain = [k for k, p in enumerate(inputs) if not p.get("indexed")]
    if len(log.topics) != 1 + len(indexed):
        raise ValueError(f"{signature(item)} log has {len(log.topics) - 1} indexed topics, not {len(indexed)}")
    types = [_type(p) for p in inputs]
    values: list[Any] = [None] * len(inputs)
    try:
        for k, topic in zip(indexed, log.topics[1:], strict=True):
            values[k] = _checksummed(types[k], abi_decode([types[k]], topic)[0]) if _is_static_word(types[k]) else topic
        decoded = abi_decode([types[k] for k in plain], log.data) if plain else ()
    except _UNDECODABLE as e:
        raise ValueError(f"{signature(item)} log (topics {[t.hex() for t in log.topics[1:]]}, data "
                         f"0x{log.data.hex()}) does not decode: {e}") from None  # fmt: skip
    for k, value in zip(plain, decoded, strict=True):
        values[k] = _checksummed(types[k], value)
    hashed = [k in indexed and not _is_static_word(types[k]) for k in range(len(inputs))]
    return item, list(zip(names, types, values, hashed, strict=True))


def _checksummed(t: str, value: Any) -> Any:
    """Addresses come back as EIP-55 strings (as `Env.deploy` returns them), also inside arrays and tuples."""
    if t == "address":
        return to_checksum(parse_address(value))
    if t.endswith("]"):
        inner = t[: t.rindex("[")]
        return type(value)(_checksummed(inner, v) for v in value)
    if t.startswith("("):
        return tuple(_checksummed(c, v) for c, v in zip(_split_tuple(t), value, strict=True))
    return value


def _split_tuple(t: str) -> list[str]:
    """Component types of a tuple type string such as '(uint256,(address,bool)[])'."""
    parts, depth, start = [], 0, 1
    for i, ch in enumerate(t[1 : t.rindex(")")], start=1):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(t[start:i])
            start = i + 1
    parts.append(t[start : t.rindex(")")])
    return [p for p in parts if p]


def _is_static_word(t: str) -> bool:
    """Indexed values of these types are stored in the topic itself; others are stored as their keccak hash."""
    if "[" in t or t.startswith("("):
        return False
    return t in ("address", "bool") or t.startswith(("uint", "int")) or (t.startswith("bytes") and t != "bytes")
