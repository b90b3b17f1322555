"""The contract API's direct ABI path for one-word types (pvmkit/contract.py) against eth-abi, the reference."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from pvmkit.contract import _checksummed, _decode_words, _encode_words, _prepare, _word_type

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
    from pvmkit.env import ALICE, BOB, Env

    from .conftest import load_contract

    env = Env()
    token = env.deploy_contract(load_contract("ERC20"), "T", "T", 10**24)
    assert token.transfer(BOB, 5) is True
    assert token.balanceOf(BOB) == 5 and token.balanceOf(ALICE) == 10**24 - 5


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
