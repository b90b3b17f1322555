"""The contract API's ABI handling (pvmkit/contract.py) against eth-abi, the reference: the direct path for one-word
types, data eth-abi cannot decode, events, overloads and hand-written ABIs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from pvmkit.contract import _checksummed, _decode_words, _encode_words, _prepare, _word_type
from pvmkit.revive.primitives import keccak256

TYPES = ["address", "bool", "uint8", "uint32", "uint64", "uint160", "uint256", "int8", "int16", "int64", "int256"]


def _value(t: str) -> st.SearchStrategy[Any]:
    kind, bits = _word_type(t)  # type: ignore[misc]
    wrong = st.sampled_from([None, "x", 1.5, b"\x01" * 19, "0x" + "ab" * 19, True, -1, 2**256])
    if kind == "address":
        raw = st.binary(min_size=20, max_size=20)
        good: st.SearchStrategy[Any] = st.one_of(raw, raw.map(lambda b: "0x" + b.hex()))
    elif kind == "bool":
        good = st.booleans()
    elif kind == "uint":
        good = st.one_of(st.integers(0, 2**bits - 1), st.sampled_from([0, 2**bits - 1, 2**bits, -1]))
    else:
        edge = [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1, 2 ** (bits - 1), -(2 ** (bits - 1)) - 1]
        good = st.one_of(st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1), st.sampled_from(edge))
    return st.one_of(good, good, wrong)


@st.composite
def _calls(draw: st.DrawFn) -> tuple[list[str], list[Any]]:
    types = draw(st.lists(st.sampled_from(TYPES), max_size=4))
    return types, [draw(_value(t)) for t in types]


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - which error type each side raises is compared by kind only
        return "error", type(e).__name__


@settings(max_examples=600, deadline=None)
@given(_calls())
def test_direct_encoding_accepts_and_refuses_what_eth_abi_does(call: tuple[list[str], list[Any]]) -> None:
    types, args = call
    words = [_word_type(t) for t in types]
    fast = _outcome(lambda: _encode_words(words, args))  # type: ignore[arg-type]
    slow = _outcome(lambda: abi_encode(types, _prepare(types, args)))
    assert fast[0] == slow[0], (types, args, fast, slow)
    if fast[0] == "ok":
        assert fast[1] == slow[1]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(TYPES), min_size=1, max_size=4), st.data())
def test_direct_decoding_agrees_with_eth_abi_or_defers_to_it(types: list[str], data: st.DataObject) -> None:
    words = [_word_type(t) for t in types]
    chunks = []
    for kind, bits in words:  # type: ignore[misc]
        clean = data.draw(st.integers(0, 2**bits - 1))
        if kind == "int":
            clean = (clean - 2 ** (bits - 1)) % 2**256  # sign-extended to 256 bits
        dirty = data.draw(st.integers(0, 2**256 - 1))
        chunks.append(data.draw(st.sampled_from([clean, clean, dirty, 0, 1])).to_bytes(32, "big"))
    raw = b"".join(chunks)[: data.draw(st.sampled_from([32 * len(types), 32 * len(types) - 1, 32 * len(types) + 5]))]
    fast = _decode_words(words, raw)  # type: ignore[arg-type]
    slow = _outcome(lambda: tuple(_checksummed(t, v) for t, v in zip(types, abi_decode(types, raw), strict=True)))
    if fast is not None:
        assert slow == ("ok", fast)
    # None: the caller falls back to eth-abi, so its result (or error) stands


def test_transfer_through_the_direct_path_returns_a_bool() -> None:
    from pvmkit.env import Env
    from tests.conftest import ALICE, BOB

    from .conftest import load_contract

    env = Env()
    token = env.deploy_contract(load_contract("ERC20"), "T", "T", 10**24)
    assert token.transfer(BOB, 5) is True
    assert token.balanceOf(BOB) == 5 and token.balanceOf(ALICE) == 10**24 - 5


def test_handles_share_the_compiled_direct_functions_and_each_calls_its_own_contract() -> None:
    """The direct functions are compiled once per shape of function, not per handle (found in review: exec'ing them
    for every deploy_contract or at() cost ~1 ms a handle); each handle's still calls its own address."""
    from pvmkit.contract import _DIRECT_MAKERS
    from pvmkit.env import Env
    from tests.conftest import BOB

    from .conftest import load_contract

    env = Env()
    erc20 = load_contract("ERC20")
    one = env.deploy_contract(erc20, "T", "T", 100)
    shapes = len(_DIRECT_MAKERS)
    two, again = env.deploy_contract(erc20, "U", "U", 50), env.at(one.address, erc20)
    assert len(_DIRECT_MAKERS) == shapes and shapes > 0
    assert two.transfer(BOB, 5) is True and again.transfer(BOB, 7) is True
    assert (one.balanceOf(BOB), two.balanceOf(BOB), again.balanceOf(BOB)) == (7, 5, 7)
    assert (one.name(), two.name()) == ("T", "U")


def test_contract_functions_named_like_its_attributes_do_not_shadow_them() -> None:
    from pvmkit.contract import Contract, ContractFunction
    from pvmkit.env import Env

    env = Env()
    abi = [{"type": "function", "name": n, "inputs": [], "outputs": [], "stateMutability": "view"}
           for n in ("address", "abi", "get_logs", "_env", "_functions", "transfer")]  # fmt: skip
    c = Contract(env, "0x" + "11" * 20, abi)
    assert c.address == "0x" + "11" * 20 and c.abi == abi and c._env is env
    assert callable(c.get_logs) and not isinstance(c.get_logs, ContractFunction)
    assert isinstance(c.transfer, ContractFunction) and isinstance(getattr(c, "address()"), ContractFunction)
    assert isinstance(c._functions, dict)


class _ScriptedEnv:
    """An Env stand-in for ContractFunction: records what each call sends and answers with a set CallResult."""

    def __init__(self) -> None:
        self.known_errors: dict[str, dict] = {}
        self.sent: list[tuple[str, bytes]] = []
        self.result: Any = None
        self.code = b"\x00"

    def call(self, to: str, data: bytes, **options: Any) -> Any:
        assert options in ({}, {"value": 0, "sender": None, "gas": None}), options
        self.sent.append(("call", data))
        return self.result

    def dry_call(self, to: str, data: bytes, **options: Any) -> Any:
        assert options in ({}, {"value": 0, "sender": None, "gas": None}), options
        self.sent.append(("dry_call", data))
        return self.result

    def get_code(self, address: str) -> bytes:
        return self.code

    def is_contract(self, address: str | bytes) -> bool:
        return bool(self.code)

    @property
    def contracts(self) -> Any:
        env = self

        class Contracts:  # (the chain's dict in a real Env: here whether the scripted code is there)
            def __contains__(self, address: bytes) -> bool:
                return bool(env.code)

        return Contracts()


def _word_output(data: st.DataObject, t: str) -> bytes:
    kind, bits = _word_type(t)  # type: ignore[misc]
    clean = data.draw(st.integers(0, 2**bits - 1))
    if kind == "int":
        clean = (clean - 2 ** (bits - 1)) % 2**256
    # Just past each end of the type's range too: a word the general path refuses.
    edges = [2 ** (bits - 1), -(2 ** (bits - 1)) - 1] if kind == "int" else [2 if kind == "bool" else 2**bits]
    choices = [clean, clean, data.draw(st.integers(0, 2**256 - 1)), 0, 1, 2**256 - 1, *(e % 2**256 for e in edges)]
    return data.draw(st.sampled_from(choices)).to_bytes(32, "big")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TYPES), max_size=3), st.lists(st.sampled_from(TYPES), max_size=3), st.booleans(),
       st.data())  # fmt: skip
def test_direct_calls_send_return_and_raise_what_the_general_path_does(
    inputs: list[str], outputs: list[str], view: bool, data: st.DataObject
) -> None:
    """The function written for one-word signatures (contract._direct) against ContractFunction's general path on
    the same arguments and output: the same calldata sent (or the same error before sending), the same result or
    error; and one of the address strings is parsed before, as a program's usually are."""
    from pvmkit.contract import Contract, ContractRevert
    from pvmkit.revive.address import parse_address
    from pvmkit.revive.chain import CallResult

    env = _ScriptedEnv()
    item = {"type": "function", "name": "f", "stateMutability": "view" if view else "nonpayable",
            "inputs": [{"name": f"x{i}", "type": t} for i, t in enumerate(inputs)],
            "outputs": [{"name": "", "type": t} for t in outputs]}  # fmt: skip
    fn = Contract(env, "0x" + "22" * 20, [item]).f  # type: ignore[arg-type]
    assert fn._direct is not None
    args = tuple(data.draw(_value(t)) for t in inputs)
    for a in args:
        if isinstance(a, str) and data.draw(st.booleans()):
            _outcome(lambda a=a: parse_address(a))
    output = b"".join(_word_output(data, t) for t in outputs)
    output = output[: data.draw(st.sampled_from([len(output), max(len(output) - 1, 0), 0]))]
    env.result = CallResult(True, output + data.draw(st.sampled_from([b"", b"\x01" * 5])))
    if data.draw(st.integers(0, 5)) == 0:
        env.result = CallResult(False, output, reverted=True)
    env.code = data.draw(st.sampled_from([b"\x00", b""]))

    def run(call: Any) -> tuple[tuple[str, Any], list[tuple[str, bytes]]]:
        env.sent.clear()
        try:
            outcome: tuple[str, Any] = ("ok", call())
        except ContractRevert as e:
            outcome = ("revert", e.reason)
        except Exception as e:  # noqa: BLE001 - the error's type and message are compared
            outcome = ("error", f"{type(e).__name__}: {e}")
        return outcome, list(env.sent)

    direct = run(lambda: fn(*args))
    general = run(lambda: fn._run(args, {}, 0, None, None, None))
    assert direct == general, (inputs, outputs, args, output.hex())
    if direct[0][0] == "ok":
        assert type(direct[0][1]) is type(general[0][1])


def test_direct_calls_are_made_only_for_one_word_signatures_and_plain_options() -> None:
    from pvmkit.contract import Contract

    env = _ScriptedEnv()
    word = {"type": "function", "name": "f", "stateMutability": "nonpayable", "outputs": [{"name": "", "type": "bool"}],
            "inputs": [{"name": "x", "type": "uint8"}]}  # fmt: skip
    wide = {**word, "name": "g", "inputs": [{"name": "x", "type": "string"}]}
    twice = [{**word, "name": "h"}, {**word, "name": "h", "inputs": []}]
    c = Contract(env, "0x" + "22" * 20, [word, wide, *twice])  # type: ignore[arg-type]
    assert c.f._direct is not None and c.g._direct is None and c.h._direct is None
    taken: list[tuple] = []
    c.f._direct = taken.append  # (returns None)
    assert c.f(5, value=0, sender=None, gas=None) is None and taken == [(5,)]
    for options in ({"value": False}, {"value": 0.0}, {"gas": 10}, {"sender": "0x" + "33" * 20}, {"x": 5}):
        args = () if "x" in options else (5,)
        try:
            c.f(*args, **options)
        except Exception:  # noqa: BLE001, S110 - the general path checks these; only which path ran matters here
            pass
    assert taken == [(5,)], taken


def test_direct_results_at_the_ends_of_each_type_are_the_general_paths() -> None:
    """Every one-word result type with words just inside and just outside its range (and one byte short): the
    direct path decodes or refuses each as the general path does."""
    from pvmkit.contract import Contract
    from pvmkit.revive.chain import CallResult

    for t in TYPES:
        kind, bits = _word_type(t)  # type: ignore[misc]
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if kind == "int" else (0, 2 if kind == "bool" else 2**bits)
        env = _ScriptedEnv()
        item = {"type": "function", "name": "f", "stateMutability": "view", "inputs": [],
                "outputs": [{"name": "", "type": t}]}  # fmt: skip
        fn = Contract(env, "0x" + "22" * 20, [item]).f  # type: ignore[arg-type]
        for value in (low - 1, low, low + 1, high - 1, high, high + 1, 2**255, 2**256 - 1):
            word = (value % 2**256).to_bytes(32, "big")
            for output in (word, word[:31]):
                env.result = CallResult(True, output)
                direct = _outcome(fn)
                general = _outcome(lambda f=fn: f._run((), {}, 0, None, None, None))
                assert direct == general and type(direct[1]) is type(general[1]), (t, value, output.hex())


def test_direct_calls_with_a_wrong_count_or_stray_keywords_fail_as_the_general_path_does() -> None:
    """The written function knows only its arity and no keywords: anything else must raise the general TypeError."""
    from pvmkit.contract import Contract
    from pvmkit.revive.chain import CallResult

    env = _ScriptedEnv()
    env.result = CallResult(True, (5).to_bytes(32, "big"))
    out = [{"name": "", "type": "uint256"}]
    none = {"type": "function", "name": "f", "stateMutability": "view", "inputs": [], "outputs": out}
    two = {"type": "function", "name": "g", "stateMutability": "nonpayable", "outputs": out,
           "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}]}  # fmt: skip
    c = Contract(env, "0x" + "22" * 20, [none, two])  # type: ignore[arg-type]
    to = "0x" + "33" * 20
    calls = {"f(1)": lambda: c.f(1), "f(x=1)": lambda: c.f(x=1), "g(to)": lambda: c.g(to),
             "g(to, 1, 2)": lambda: c.g(to, 1, 2), "g(to, 1, extra=2)": lambda: c.g(to, 1, extra=2),
             "g(amount=1)": lambda: c.g(amount=1)}  # fmt: skip
    for shown, call in calls.items():
        with pytest.raises(TypeError):
            call()
        assert env.sent == [], shown
    assert c.f() == 5 and c.g(to, 1) == 5 and c.g(to=to, amount=1) == 5


def test_checksums_are_eip55s_whether_remembered_or_not() -> None:
    """to_checksum remembers the addresses it did (found in review: ~7 us each, for every address a result gives):
    the EIP-55 examples come out the same the first time, again, from a bytearray, and after the memory is cleared."""
    from pvmkit.revive import address as module

    examples = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]  # fmt: skip
    for text in examples:
        raw = bytes.fromhex(text[2:])
        assert module.to_checksum(raw) == module.to_checksum(raw) == module.to_checksum(bytearray(raw)) == text
    for n in range(5000):  # (more than it keeps: it starts again)
        module.to_checksum(n.to_bytes(20, "big"))
    assert len(module._CHECKSUMS) <= 4096 and module.to_checksum(bytes.fromhex(examples[0][2:])) == examples[0]


def test_direct_address_results_are_their_eip55_checksums() -> None:
    """The other direct-path tests only decode addresses like 0x00..01 and 0xff..ff: check real ones against EIP-55."""
    from pvmkit.contract import Contract
    from pvmkit.revive.chain import CallResult

    examples = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]  # fmt: skip
    env = _ScriptedEnv()
    item = {"type": "function", "name": "f", "stateMutability": "view", "inputs": [],
            "outputs": [{"name": "", "type": "address"}, {"name": "", "type": "uint8"}]}  # fmt: skip
    fn = Contract(env, "0x" + "22" * 20, [item]).f  # type: ignore[arg-type]
    for i, address in enumerate(examples):
        env.result = CallResult(True, bytes(12) + bytes.fromhex(address[2:]) + i.to_bytes(32, "big"))
        assert fn() == (address, i)


def test_plain_arguments_take_the_written_function_not_the_general_path() -> None:
    """Plain arguments must take the written function (the differential tests pass if all goes the general way)."""
    from pvmkit.contract import Contract
    from pvmkit.revive.address import parse_address
    from pvmkit.revive.chain import CallResult

    env = _ScriptedEnv()
    item = {"type": "function", "name": "f", "stateMutability": "nonpayable", "outputs": [{"name": "", "type": "bool"}],
            "inputs": [{"name": "", "type": t} for t in ("address", "bool", "uint8", "int16")]}  # fmt: skip
    fn = Contract(env, "0x" + "22" * 20, [item]).f  # type: ignore[arg-type]
    to = "0x" + "33" * 20
    parse_address(to)
    env.result = CallResult(True, (1).to_bytes(32, "big"))
    expected = keccak256(b"f(address,bool,uint8,int16)")[:4] + abi_encode(["address", "bool", "uint8", "int16"],
                                                                          [to, True, 255, -2])  # fmt: skip

    def general(*args: Any) -> Any:
        raise AssertionError("the general path ran")

    fn._run = general  # type: ignore[method-assign]
    fn._outcome = general  # type: ignore[method-assign]
    assert fn(to, True, 255, -2) is True and env.sent == [("call", expected)]


def test_a_contract_whose_address_is_set_again_calls_the_new_address() -> None:
    """The written function must read `contract.address` per call (the scripted env of the other tests ignores it)."""
    from pvmkit.env import Env
    from pvmkit.revive.address import parse_address, to_checksum
    from tests.conftest import ALICE, BOB

    from .conftest import load_contract

    env = Env()
    first = env.deploy_contract(load_contract("ERC20"), "A", "A", 100)
    second = env.deploy_contract(load_contract("ERC20"), "B", "B", 200)
    alice, bob = to_checksum(ALICE), to_checksum(BOB)
    parse_address(alice), parse_address(bob)
    handle = env.at(first.address, first)
    assert handle.balanceOf(alice) == 100
    handle.address = second.address
    assert handle.balanceOf(alice) == 200 and handle.transfer(bob, 5) is True
    assert (second.balanceOf(bob), first.balanceOf(bob)) == (5, 0)


def _mirror(env: Any, revert: bool) -> Any:
    """A contract whose m(bytes) returns (or reverts with) the bytes it is given: any output a test wants, as
    `env.at` with an ABI that says what m returns."""
    from pvmkit.contract import Contract

    from .test_syscalls import SCRATCH, build, keep, ret, sys

    body = (sys("call_data_size") + "    a0 = a0 - 68\n" + keep(SCRATCH)  # (selector, offset and length words)
            + sys("call_data_copy", SCRATCH + 8, f"u64 [{SCRATCH:#x}]", 68)
            + ret(SCRATCH + 8, f"u64 [{SCRATCH:#x}]", 1 if revert else 0))  # fmt: skip
    address = env.deploy(build(body))
    abi = [{"type": "function", "name": "m", "stateMutability": "view", "inputs": [{"name": "b", "type": "bytes"}],
            "outputs": [{"name": "", "type": "string"}]}]  # fmt: skip
    return Contract(env, address, abi)


def _string(length: int, data: bytes) -> bytes:
    return abi_encode(["uint256", "uint256"], [32, length]) + data.ljust(32, b"\0")


UNDECODABLE = [_string(2**256 - 1, b"ab"), _string(2**64, b""), _string(33, b"ab")]  # lengths past the data
UNDECODABLE_IDS = ["length-2^256-1", "length-2^64", "length-past-the-end"]


@pytest.mark.parametrize("payload", UNDECODABLE, ids=UNDECODABLE_IDS)
def test_return_data_eth_abi_cannot_decode_is_a_value_error_naming_the_function(payload: bytes) -> None:
    """Found in review: a string that is no UTF-8, or a length word too large to slice with, escaped as a raw
    UnicodeDecodeError or OverflowError (eth-abi raises those, not DecodingErrors)."""
    from pvmkit.env import Env

    with pytest.raises(ValueError, match=r"m\(bytes\) returned undecodable data 0x"):
        _mirror(Env(), revert=False).m(payload)


@pytest.mark.parametrize("payload", UNDECODABLE, ids=UNDECODABLE_IDS)
def test_a_revert_reason_eth_abi_cannot_decode_is_still_a_contract_revert(payload: bytes) -> None:
    """An Error(string) revert whose string does not decode is a ContractRevert with its data shown, which
    env.reverts() catches (it escaped as a UnicodeDecodeError or OverflowError: found in review)."""
    from pvmkit.contract import ERROR_SELECTOR, ContractRevert
    from pvmkit.env import Env

    env = Env()
    mirror = _mirror(env, revert=True)
    with pytest.raises(ContractRevert, match="reverted with data 0x08c379a0"):
        mirror.m(ERROR_SELECTOR + payload)
    with env.reverts():
        mirror.m(ERROR_SELECTOR + payload)


def test_events_keep_every_value_of_unnamed_parameters_and_their_order() -> None:
    """solc names an event's parameters "" unless the source names them: they are arg<i> (found in review: all
    went under one key "", the last value overwriting the others)."""
    from pvmkit.contract import Contract
    from pvmkit.env import Env
    from pvmkit.revive.address import parse_address
    from pvmkit.revive.state import Event

    inputs = [{"name": "", "type": "uint256", "indexed": False}, {"name": "", "type": "uint256", "indexed": True},
              {"type": "string", "indexed": False}]  # fmt: skip
    abi = [{"type": "event", "name": "Pair", "anonymous": False, "inputs": inputs}]
    address = "0x" + "11" * 20
    log = Event(parse_address(address), (keccak256(b"Pair(uint256,uint256,string)"), (2).to_bytes(32, "big")),
                abi_encode(["uint256", "string"], [1, "three"]))  # fmt: skip
    (decoded,) = Contract(Env(), address, abi).decode_logs([log])
    assert list(decoded.args.items()) == [("arg0", 1), ("arg1", 2), ("arg2", "three")]


def test_a_log_eth_abi_cannot_decode_is_a_value_error_naming_the_event() -> None:
    from pvmkit.contract import Contract
    from pvmkit.env import Env
    from pvmkit.revive.address import parse_address
    from pvmkit.revive.state import Event

    abi = [{"type": "event", "name": "E", "inputs": [{"name": "ok", "type": "bool", "indexed": True},
                                                     {"name": "s", "type": "string", "indexed": False}]}]  # fmt: skip
    address = "0x" + "11" * 20
    topic = keccak256(b"E(bool,string)")
    contract = Contract(Env(), address, abi)
    for topics, data in (((topic, (2).to_bytes(32, "big")), abi_encode(["string"], ["x"])),  # a bool of 2
                         ((topic, (1).to_bytes(32, "big")), _string(2**64, b""))):  # fmt: skip
        with pytest.raises(ValueError, match=r"E\(bool,string\) log .* does not decode"):
            contract.decode_logs([Event(parse_address(address), topics, data)])


def test_strings_that_are_not_utf8_decode_as_foundry_shows_them() -> None:
    """Solidity's string(bytes) may hold any bytes: an ABI string that is not UTF-8 has U+FFFD for its bad bytes in
    a result, a revert reason and an event (found in review: the event was left out of get_logs, the function
    raised, the revert showed only its data)."""
    from pvmkit.contract import ERROR_SELECTOR, Contract, ContractRevert
    from pvmkit.env import Env
    from pvmkit.revive.address import parse_address
    from pvmkit.revive.state import Event

    env = Env()
    bad = _string(3, b"\xffA\xfe")
    assert _mirror(env, revert=False).m(bad) == "\ufffdA\ufffd"  # (m returns its input, as a string)
    with pytest.raises(ContractRevert, match="^\ufffdA\ufffd$"):
        _mirror(env, revert=True).m(ERROR_SELECTOR + bad)
    abi = [{"type": "event", "name": "S", "inputs": [{"name": "s", "type": "string", "indexed": False}]}]
    address = "0x" + "11" * 20
    (log,) = Contract(env, address, abi).decode_logs([Event(parse_address(address), (keccak256(b"S(string)"),), bad)])
    assert log.args == {"s": "\ufffdA\ufffd"}


def test_two_events_of_one_signature_indexed_differently_decode_each_by_its_topics() -> None:
    from pvmkit.contract import Contract
    from pvmkit.env import Env
    from pvmkit.revive.address import parse_address
    from pvmkit.revive.state import Event

    indexed = {"type": "event", "name": "T", "inputs": [{"name": "v", "type": "uint256", "indexed": True}]}
    plain = {"type": "event", "name": "T", "inputs": [{"name": "v", "type": "uint256", "indexed": False}]}
    address = "0x" + "11" * 20
    topic, word = keccak256(b"T(uint256)"), (7).to_bytes(32, "big")
    logs = [Event(parse_address(address), (topic, word), b""), Event(parse_address(address), (topic,), word)]
    for abi in ([indexed, plain], [plain, indexed]):
        assert [d.args for d in Contract(Env(), address, abi).decode_logs(logs)] == [{"v": 7}, {"v": 7}]


def test_an_address_picks_the_address_overload_over_bytes32() -> None:
    """set("0x…") is set(address), as _pick promises, though its 20 bytes also fit bytes32 (found in review: the
    call failed as ambiguous)."""
    from pvmkit.contract import Contract, signature
    from pvmkit.env import Env

    abi = [{"type": "function", "name": "set", "inputs": [{"name": "x", "type": t}], "outputs": []}
           for t in ("uint256", "address", "bytes32")]  # fmt: skip
    fn = Contract(Env(), "0x" + "11" * 20, abi).set
    for value in ("0x" + "02" * 20, b"\x02" * 20):
        assert signature(fn._pick((value,)).item) == "set(address)"
    assert signature(fn._pick(("0x" + "02" * 32,)).item) == "set(bytes32)"
    assert signature(fn._pick((5,)).item) == "set(uint256)"


def test_hand_written_abis_with_short_type_names_or_missing_fields() -> None:
    """Found in review: f(uint) got the selector of the text as written (a function that does not exist), a tuple
    without components passed the ABI check and failed at the call with a KeyError."""
    from pvmkit.contract import Contract, check_abi
    from pvmkit.env import Env

    abi = [{"type": "function", "name": "f", "inputs": [{"type": "uint"}, {"type": "int[2]"}], "outputs": []}]
    contract = Contract(Env(), "0x" + "11" * 20, abi)
    assert contract.f.encode(1, [2, -3])[:4] == keccak256(b"f(uint256,int256[2])")[:4]
    with pytest.raises(ValueError, match="must be a list of parameters with a type"):
        check_abi([{"type": "function", "name": "g", "inputs": [{"type": "tuple"}]}])
    # A type string that is no ABI type is refused with the ABI, not at the first call (found in review: the call
    # raised eth-abi's own errors, after a transaction had been sent).
    for bad, field in (("unit256", "outputs"), ("uint256[", "inputs"), ("bytes33", "inputs")):
        with pytest.raises(ValueError, match=f"g\\): {field} parameter 'x' has type '{re.escape(bad)}'"):
            check_abi([{"type": "function", "name": "g", field: [{"name": "x", "type": bad}]}])


def test_keywords_go_in_each_overloads_own_order() -> None:
    """h(a=1, b=2) with h(string b, uint8 a) and h(uint8 a, uint8 b): only the second takes two small ints, and it
    gets a=1, b=2 (found in review: the arguments were put in the first overload's name order for every candidate,
    and h(uint8,uint8) was sent (2, 1))."""
    from pvmkit.contract import Contract
    from pvmkit.revive.chain import CallResult

    abi = [{"type": "function", "name": "h", "inputs": [{"name": n, "type": t} for n, t in params], "outputs": []}
           for params in ((("b", "string"), ("a", "uint8")), (("a", "uint8"), ("b", "uint8")))]  # fmt: skip
    env = _ScriptedEnv()
    env.result = CallResult(True)
    h = Contract(env, "0x" + "11" * 20, abi).h  # type: ignore[arg-type]
    want = keccak256(b"h(uint8,uint8)")[:4] + abi_encode(["uint8", "uint8"], [1, 2])
    for kwargs in ({"a": 1, "b": 2}, {"b": 2, "a": 1}):
        h(**kwargs)
        assert env.sent[-1] == ("call", want)
    h(1, b=2)  # one by position: h(uint8 a, ...) is the overload whose rest is named b
    assert env.sent[-1] == ("call", want)
    h(b="x", a=3)
    assert env.sent[-1] == ("call", keccak256(b"h(string,uint8)")[:4] + abi_encode(["string", "uint8"], ["x", 3]))


def test_addresses_and_hex_inside_arrays_and_tuples_and_exact_bytes_n() -> None:
    """Contracts, hex strings and 20 bytes stand for addresses, and 0x-hex for bytes, inside arrays and tuples too;
    a bytesN of another length is refused rather than padded (found in review)."""
    from pvmkit.contract import Contract
    from pvmkit.env import Env

    def fn(*types: str) -> Any:
        abi = [{"type": "function", "name": "f", "outputs": [],
                "inputs": [{"name": f"p{i}", "type": t} if t[0] != "(" else
                           {"name": f"p{i}", "type": "tuple" + t[t.rindex(")") + 1 :],
                            "components": [{"name": f"c{k}", "type": c} for k, c in enumerate(t[1 : t.rindex(")")]
                                                                                             .split(","))]}
                           for i, t in enumerate(types)]}]  # fmt: skip
        return Contract(Env(), "0x" + "11" * 20, abi).f

    other = Contract(Env(), "0x" + "ab" * 20, [])
    a, b = b"\x22" * 20, bytes.fromhex("ab" * 20)
    assert fn("address[]").encode([other, "0x" + "22" * 20, a])[4:] == abi_encode(["address[]"], [[b, a, a]])
    got = fn("(uint256,address,bytes32)").encode((1, other, "0x" + "33" * 32))[4:]
    assert got == abi_encode(["(uint256,address,bytes32)"], [(1, b, b"\x33" * 32)])
    got = fn("(address,bytes)[]").encode([(other, "0x0102"), ("0x" + "22" * 20, b"")])[4:]
    assert got == abi_encode(["(address,bytes)[]"], [[(b, b"\x01\x02"), (a, b"")]])
    with pytest.raises(TypeError, match="bytes4 takes exactly 4 bytes, got 2"):
        fn("bytes4").encode(b"\x01\x02")
    with pytest.raises(TypeError, match="bytes32 takes exactly 32 bytes, got 20"):
        fn("bytes32[2]").encode([bytes(32), a])
    assert fn("bytes4").encode("0x01020304")[4:] == abi_encode(["bytes4"], [b"\x01\x02\x03\x04"])


def test_structs_may_be_dicts_by_component_name() -> None:
    """As web3 and ethers take them: a struct argument as a dict of its components, also nested and in arrays, in
    any key order, encodes as the tuple in the ABI's order; missing or unknown keys are a TypeError naming them."""
    from pvmkit.contract import Contract
    from pvmkit.env import Env

    inner = {"name": "inner", "type": "tuple", "components": [{"name": "who", "type": "address"},
                                                              {"name": "tag", "type": "bytes2"}]}  # fmt: skip
    order = {"name": "order", "type": "tuple[]", "components": [{"name": "amount", "type": "uint256"}, inner]}
    abi = [{"type": "function", "name": "f", "outputs": [], "inputs": [order, {"name": "n", "type": "uint8"}]}]
    f = Contract(Env(), "0x" + "11" * 20, abi).f
    a = b"\x22" * 20
    want = abi_encode(["(uint256,(address,bytes2))[]", "uint8"], [[(5, (a, b"\x01\x02")), (6, (a, b"\x03\x04"))], 7])
    dicts = [{"inner": {"tag": "0x0102", "who": "0x" + "22" * 20}, "amount": 5},
             {"amount": 6, "inner": (a, b"\x03\x04")}]  # fmt: skip
    assert f.encode(dicts, 7)[4:] == want
    with pytest.raises(TypeError, match=r"struct \(amount, inner\) as a dict .*: missing inner; not components: 'x'"):
        f.encode([{"amount": 5, "x": 1}], 7)
    unnamed = {"name": "p", "type": "tuple", "components": [{"name": "", "type": "uint8"}, {"type": "bool"}]}
    g = Contract(Env(), "0x" + "11" * 20, [{"type": "function", "name": "g", "outputs": [], "inputs": [unnamed]}]).g
    with pytest.raises(TypeError, match=r"unnamed components \(2\) cannot be a dict: pass a tuple"):
        g.encode({"": 1})
    assert g.encode((1, True))[4:] == abi_encode(["(uint8,bool)"], [(1, True)])


def test_mixed_case_addresses_must_carry_their_checksum() -> None:
    """EIP-55: a mixed-case address is a checksum, and one that does not match is a typo (web3 refuses it; found in
    review: it was taken); all-lower and all-upper hex carry none."""
    from pvmkit.revive.address import parse_address, to_checksum

    raw = bytes.fromhex("ab" * 20)
    good = to_checksum(raw)
    assert good == "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"  # (EIP-55 of it, computed independently: eth-utils)
    for text in (good, good.lower(), "0x" + good[2:].upper(), good[2:]):
        assert parse_address(text) == raw
    typo = "0x" + good[2].swapcase() + good[3:]
    with pytest.raises(ValueError, match=f"invalid EIP-55 checksum .*it would be {good}"):
        parse_address(typo)


def test_a_mistyped_address_is_not_sent_to_another_overload() -> None:
    """f(address) beside f(bytes) or f(string): a mixed-case address with a wrong checksum raised in encoding
    f(address), so the other overload took the text (found in review); the typo is the error."""
    from pvmkit.contract import Contract
    from pvmkit.env import Env
    from pvmkit.revive.address import ChecksumError, to_checksum

    good = to_checksum(bytes.fromhex("ab" * 20))
    typo = "0x" + good[2].swapcase() + good[3:]
    for other in ("bytes", "string"):
        abi = [{"type": "function", "name": "f", "inputs": [{"name": "x", "type": t}], "outputs": []}
               for t in ("address", other)]  # fmt: skip
        fn = Contract(Env(), "0x" + "11" * 20, abi).f
        assert fn.encode(good)[:4] == keccak256(b"f(address)")[:4]
        with pytest.raises(ChecksumError, match="invalid EIP-55 checksum"):
            fn.encode(typo)
