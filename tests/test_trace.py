"""Call traces (pvmkit.revive.trace, pvmkit.traces): the tree each transaction records when tracing is on, checked
against what the test contracts' Solidity does, and against the same transactions run untraced."""

from __future__ import annotations

import re

import pytest

from pvmkit import ContractRevert, DeployError, Env
from pvmkit.revive.address import parse_address, to_checksum
from pvmkit.revive.primitives import PalletError
from pvmkit.revive.primitives import keccak256 as keccak
from pvmkit.revive.trace import CallTrace
from tests.conftest import BOB

from .conftest import load_contract


@pytest.fixture(scope="module")
def built() -> dict:
    return {n: load_contract(n) for n in ("Callee", "Caller", "Factory", "Child", "Events", "ERC20", "Errors", "Value")}


def _env(built: dict, tracing: bool = True) -> tuple[Env, dict]:
    env = Env(tracing=tracing)
    c = {n: env.deploy_contract(built[n]) for n in ("Callee", "Caller", "Events", "Errors")}
    c["Factory"] = env.deploy_contract(built["Factory"], deps=[built["Child"]])
    c["ERC20"] = env.deploy_contract(built["ERC20"], "T", "T", 10**24)
    return env, c


def _shape(node: CallTrace) -> tuple:
    """(kind, callee, outcome, [calls]) with addresses as given: what the Solidity says each call does."""
    outcome = node.error.value if node.error else "revert" if node.reverted else "ok"
    return (node.kind, node.address, outcome, [_shape(c) for c in node.calls])


def _address(contract: object) -> bytes:
    return bytes.fromhex(contract.address[2:])  # type: ignore[attr-defined]


def _gas_free(text: str) -> str:
    return re.sub(r"\[\d+\]", "[N]", text)


def test_nested_call_tree_events_and_text(built: dict) -> None:
    env, c = _env(built)
    caller, callee = c["Caller"], c["Callee"]
    assert caller.callSetX(callee, 5) == 0
    result = env.last_result
    trace = result.trace
    assert _shape(trace) == ("call", _address(caller), "ok", [("call", _address(callee), "ok", [])])
    assert trace.depth == 0 and trace.calls[0].depth == 1
    assert trace.caller == parse_address(env.eoa) and trace.calls[0].caller == _address(caller)
    # The root's gas is the transaction's, and a call's includes its callee's.
    assert trace.gas_used == result.gas_used > trace.calls[0].gas_used > 0
    # Callee.setX emits Called(msg.sender, msg.value, v): the callee's event, not the caller's.
    assert trace.events == [] and trace.calls[0].events == result.logs and len(result.logs) == 1
    assert _gas_free(env.format_trace()) == (
        "[N] Caller::callSetX(Callee, 5)\n"
        "├─ [N] Callee::setX(5)\n"
        "│  ├─ emit Called(from: Caller, value: 0, x: 5)\n"
        "│  └─ ← [Return] 0\n"
        "└─ ← [Return] 0"
    )


def test_kinds_delegate_static_precompile_and_accounts_without_code(built: dict) -> None:
    env, c = _env(built)
    caller, callee = c["Caller"], c["Callee"]
    caller.delegateSetX(callee, 9)
    (inner,) = env.last_result.trace.calls
    # A delegate call runs Callee's code as Caller, for Caller's caller.
    assert (inner.kind, inner.address, inner.code_address, inner.caller) == (
        "delegatecall", _address(caller), _address(callee), parse_address(env.eoa))
    assert "Callee::setX(9) [delegatecall]" in env.format_trace()
    caller.staticGetX(callee)  # a view: a dry run, traced all the same
    assert [n.kind for n in env.last_result.trace.walk()] == ["call", "staticcall"]
    caller.callSha256(b"abc")
    (sha,) = env.last_result.trace.calls
    assert sha.precompile and sha.address == bytes(19) + b"\x02" and sha.input == b"abc"
    assert sha.output.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2
    assert "PRECOMPILES::sha256(0x616263)" in env.format_trace()
    # A delegate call to a precompile runs it in the delegating frame's context (found in review: traced as a call
    # from Caller, at the precompile's address, without the caller's value or [delegatecall]).
    env.set_balance(env.eoa, 10**21)
    assert caller.rawDelegateCall(bytes(19) + b"\x02", b"abc", value=7) == (True, sha.output)
    (dsha,) = env.last_result.trace.calls
    assert (dsha.kind, dsha.address, dsha.code_address, dsha.caller, dsha.value, dsha.precompile) == (
        "delegatecall", _address(caller), bytes(19) + b"\x02", parse_address(env.eoa), 7, True)
    assert "PRECOMPILES::sha256{value: 7}(0x616263) [delegatecall]" in env.format_trace()  # (value: the frame's)
    nobody = env.generate_address()
    env.set_balance(caller, 10**20)
    caller.rawCall(nobody, 5, b"\x01\x02")
    (leaf,) = env.last_result.trace.calls
    assert leaf.code_hash is None and not leaf.precompile and leaf.success and leaf.value == 5
    assert f"{nobody}::fallback{{value: 5}}(0x0102) [no code]" in env.format_trace()


def test_creates_are_named_by_their_code(built: dict) -> None:
    env, c = _env(built)
    factory = c["Factory"]
    child = factory.create2(4, b"\x01" * 32, value=10)
    trace = env.last_result.trace
    (create,) = trace.calls
    assert (create.kind, create.address, create.value) == ("create2", bytes.fromhex(child[2:]), 10)
    text = env.format_trace()
    # The child's constructor arguments are decoded with Child's ABI (a dependency deploy_contract uploaded), and the
    # event comes after the create that it reports.
    assert f"→ new Child@{child}{{value: 10}}(4) [create2]" in text
    # (a child, known by its code only, by its name and address: two children differ, found in review)
    assert text.index("→ new Child") < text.index(f"emit Created(child: Child@{child}, value: 4")
    assert [type(i).__name__ for i in trace.entries()] == ["CallTrace", "Event"]


def test_failure_points_at_the_frame_it_came_from(built: dict) -> None:
    env, c = _env(built)
    caller, callee, factory = c["Caller"], c["Callee"], c["Factory"]
    with pytest.raises(ContractRevert) as info:
        caller.bubbleCustom(callee, 7)
    trace = info.value.result.trace
    assert trace.failure() is trace.calls[0] and trace.calls[0].reverted
    assert "call trace:" in info.value.__notes__[0] and "Callee::revertWithCustom(7)" in info.value.__notes__[0]
    # Caught by try/catch: the transaction succeeds, the child's revert stays in the tree.
    assert factory.tryCreate(13)[0] is False
    trace = env.last_result.trace
    assert trace.failure() is None and trace.calls[0].reverted and not trace.calls[0].success
    assert "└─ ← [Revert] Child: unlucky" in env.format_trace()
    # A staticcall into a write fails in the callee with the pallet's error, which the caller catches.
    assert caller.tryStaticWrite(callee, 2) is False
    (denied,) = env.last_result.trace.calls
    assert denied.error is PalletError.StateChangeDenied and denied.kind == "staticcall"
    # A constructor that reverts: DeployError carries the trace too.
    with pytest.raises(DeployError) as dinfo:
        env.deploy_contract(built["Child"], 13)
    assert dinfo.value.result.trace.kind == "create" and "Child: unlucky" in dinfo.value.__notes__[0]


def test_out_of_gas_keeps_the_events_that_went(built: dict) -> None:
    env, c = _env(built)
    events = c["Events"]
    events.emitMany(10)
    full = env.last_result.gas_used
    assert len(env.last_result.trace.events) == 10 == len(env.last_result.logs)
    with pytest.raises(ContractRevert):
        events.emitMany(10, gas=full * 6 // 10)
    result = env.last_result
    assert result.error is PalletError.OutOfGas and result.logs == []
    # The trace shows what the call did before it ran out: some of its events, in order.
    emitted = result.trace.events
    assert 0 < len(emitted) < 10
    assert [int.from_bytes(e.topics[1], "big") for e in emitted] == list(range(len(emitted)))
    assert result.trace.gas_used == result.gas_used


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_tracing_changes_no_result(built: dict, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same transactions traced and untraced give equal results, state and gas (and on the JIT, whose native code
    emits ERC-20's events and writes its storage itself, the trace still has them)."""
    if backend == "jit":
        pytest.importorskip("pvmkit.pvm.jit")
    monkeypatch.setenv("PVMKIT_BACKEND", backend)
    runs = []
    for tracing in (False, True):
        env, c = _env(built, tracing)
        caller, callee, token, factory = c["Caller"], c["Callee"], c["ERC20"], c["Factory"]
        calls = [
            (caller, "callSetX", (callee, 3), 5), (caller, "startReentry", (callee, 2), 0),
            (token, "transfer", (BOB, 7), 0), (caller, "tryDivide", (callee, 1, 0), 0),
            (caller, "bubbleDivide", (callee, 1, 0), 0), (factory, "create", (8,), 9),
            (factory, "create2Twice", (1, b"\x02" * 32), 0), (caller, "tryRevertString", (callee, "no"), 0),
            (token, "transfer", (BOB, 10**30), 0), (caller, "callEcho", (callee, b"x" * 99), 10**31),
        ]  # fmt: skip
        results = []
        for contract, name, args, value in calls:
            data = getattr(contract, name).encode(*args)
            results.append(env.call(contract.address, data, value=value))
        assert all((r.trace is not None) == tracing for r in results)
        state = env.chain.state
        runs.append((results, token.balanceOf(BOB), {a: state.free(a) for a in state.contracts}, callee.getX()))
        if tracing:
            transfer = results[2].trace
            assert transfer.events == results[2].logs and len(transfer.events) == 1
            assert "emit Transfer(from: " in env.format_trace(results[2])
    assert runs[0] == runs[1]


def test_tracing_switch_and_errors(built: dict) -> None:
    env = Env()
    assert env.tracing is False
    callee = env.deploy_contract(built["Callee"])
    callee.setX(1)
    assert env.last_result.trace is None
    with pytest.raises(ValueError, match="env.tracing = True"):
        env.format_trace()
    with pytest.raises(TypeError, match="tracing"):
        env.tracing = 1  # type: ignore[assignment]
    env.tracing = True
    callee.setX(2)
    assert env.last_result.trace is not None and env.format_trace().startswith("[")
    # Labels name accounts (and rename contracts, which keep their ABI) wherever they appear.
    caller = env.deploy_contract(built["Caller"])
    env.label(BOB, "Bob")
    env.label(callee, "Target")
    caller.rawCall(BOB, 0, b"")
    assert "├─ [0] Bob::fallback() [no code]" in env.format_trace()
    caller.callSetX(callee, 3)
    assert "├─ [" in env.format_trace() and "] Target::setX(3)" in env.format_trace()
    with pytest.raises(TypeError, match="label"):
        env.label(BOB, "")


def test_unknown_contracts_and_data_are_shown_raw(built: dict) -> None:
    env = Env(tracing=True)
    address = env.deploy(built["Callee"].blob)  # no ABI, code it was never given by name: raw
    res = env.call(address, bytes.fromhex("deadbeef") + bytes(40))
    assert not res.success
    text = env.format_trace(res)
    assert text.startswith(f"[{res.gas_used}] {address}::0xdeadbeef(0x{bytes(40).hex()})")
    assert text.endswith("└─ ← [Revert] reverted without a reason")
    # The same code deployed by name is known by it, wherever it was deployed.
    env.deploy_contract(built["Callee"])
    assert env.format_trace(res).startswith(f"[{res.gas_used}] Callee@{address}::0xdeadbeef(")


def test_a_transaction_failing_after_its_calls_shows_on_its_trace(built: dict) -> None:
    """Every frame succeeded, then the origin could not pay the storage deposit: the trace said success (found in
    review); the transaction's error is its first call's."""
    env, c = _env(built)
    token = c["ERC20"]
    poor = env.generate_address("Poor")
    token.transfer(poor, 100)
    env.set_balance(poor, 1010)  # (the ED is 1,000; Bob's new balance slot costs more than the 10 left)
    with pytest.raises(ContractRevert, match="StorageDepositNotEnoughFunds") as info:
        token.transfer(BOB, 1, sender=poor)
    trace = info.value.result.trace
    assert trace.error is PalletError.StorageDepositNotEnoughFunds and trace.failure() is trace
    assert info.value.__notes__[0].endswith("└─ ← [StorageDepositNotEnoughFunds] " + trace.error_detail)


def test_labels_keep_the_abi_of_code_and_failed_creates_keep_their_name(built: dict) -> None:
    """A label on a contract known by its code dropped its ABI; a create refused before its frame showed as
    `<unknown code>` (found in review), and a CREATE2 collision as `(no address)`: it names where it collided."""
    env, c = _env(built)
    factory = c["Factory"]
    child = factory.create(5)
    env.label(child, "Kid")
    factory.childValue(child)
    assert "Kid::value()" in env.format_trace() and "└─ ← [Return] 5" in env.format_trace()
    factory.create2Twice(1, b"\x02" * 32)
    text = env.format_trace()
    first = env.last_result.trace.calls[0].address
    collided = f"→ new Child@{to_checksum(first)}(1) [create2]"
    assert text.count(collided) == 2 and "← [DuplicateContract] a contract already exists" in text, text


def _render(node: CallTrace, abi: list[dict], address: bytes = b"\x11" * 20) -> str:
    from pvmkit.traces import Names, render

    return render(node, Names({address: ("C", abi)}, {}, lambda a: None))


def test_events_with_hashed_indexed_values_and_odd_abis_render() -> None:
    """An indexed struct's or array's topic is its hash: it rendered as the struct (a TypeError, which took the place
    of the ContractRevert it was a note of) or as 32 numbers; an ABI naming two parameters alike raised."""
    from eth_abi import encode

    from pvmkit.contract import ContractRevert, with_trace
    from pvmkit.revive.chain import CallResult
    from pvmkit.revive.state import Event

    me = b"\x11" * 20
    struct = {"name": "s", "type": "tuple", "indexed": True,
              "components": [{"name": "a", "type": "uint256"}, {"name": "b", "type": "address"}]}  # fmt: skip
    abi = [{"type": "event", "name": "T", "inputs": [struct]},
           {"type": "event", "name": "A", "inputs": [{"name": "xs", "type": "uint256[]", "indexed": True}]},
           {"type": "event", "name": "D",
            "inputs": [{"name": "x", "type": "uint256"}, {"name": "x", "type": "address"}]}]  # fmt: skip
    hashed = bytes(range(32))
    events = [Event(me, (keccak(b"T((uint256,address))"), hashed), b""),
              Event(me, (keccak(b"A(uint256[])"), hashed), b""),
              Event(me, (keccak(b"D(uint256,address)"),), encode(["uint256", "address"], [7, me]))]
    node = CallTrace("call", b"\x01" * 20, me, None, b"\x22" * 32, 0, b"", 0, items=list(events), reverted=True)
    text = _render(node, abi)
    assert text.splitlines()[1:4] == [f"├─ emit T(s: 0x{hashed.hex()})", f"├─ emit A(xs: 0x{hashed.hex()})",
                                      "├─ emit D(x: 7, x: C)"]  # fmt: skip
    # Whatever rendering does, a revert is raised as itself, its note saying when the trace cannot be shown.
    result = CallResult(False, reverted=True, trace=node)

    class Broken:
        tracing = True

        def format_trace(self, result: object) -> str:
            raise TypeError("boom")

    error = with_trace(ContractRevert("no", result), result, Broken())  # type: ignore[arg-type]
    assert error.__notes__ == ["call trace: cannot be rendered (TypeError: boom)"]


def test_failure_follows_revert_data_not_error_kinds() -> None:
    """A caller that caught its callee's trap and then trapped itself was blamed on the callee: errors of one kind
    compared equal (found in review). A trap is its own frame's; revert data passed on leads to where it came from."""
    def call(error: PalletError | None = None, output: bytes = b"", calls: tuple = (),
             reverted: bool = False) -> CallTrace:  # fmt: skip
        return CallTrace("call", bytes(20), bytes(20), None, bytes(32), 0, b"", 0, output=output, error=error,
                         reverted=reverted, items=list(calls))  # fmt: skip

    trapped = PalletError.ContractTrapped
    caught = call(trapped)
    root = call(trapped, calls=(caught,))
    assert root.failure() is root
    inner = call(reverted=True, output=b"why")
    middle = call(reverted=True, output=b"why", calls=(inner,))
    assert call(reverted=True, output=b"why", calls=(middle,)).failure() is inner
    assert call(reverted=True, output=b"other", calls=(middle,)).failure().output == b"other"
    assert call(reverted=True, calls=(call(trapped),)).failure().error is trapped  # (Solidity passes on empty data)
    assert call(calls=(caught,)).failure() is None


def test_the_readme_sample_is_what_format_trace_prints(built: dict) -> None:
    """README.md shows the trace of Caller.startReentry(callee, 2) in a fresh Env: it is this output, gas included
    (found in review: stale after gas_used began rounding up)."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    start = readme.index("] Caller::startReentry(Callee, 2)")
    sample = readme[readme.rindex("\n", 0, start) + 1 : readme.index("\n```", start)]
    env = Env(tracing=True)
    callee = env.deploy_contract(built["Callee"])
    caller = env.deploy_contract(built["Caller"])
    caller.startReentry(callee, 2)
    assert env.format_trace() == sample


def test_receive_and_fallback_are_named_as_foundry_names_them(built: dict) -> None:
    """Without a matching selector, Solidity runs receive() for empty input where the contract has one, else its
    fallback, which gets the whole input: the trace names which (found in review: empty input showed as fallback, and
    an unknown selector raw, though the ABI has both)."""
    env = Env(tracing=True)
    value = env.deploy_contract(built["Value"])
    assert env.call(value.address, value=5).success and value.receivedCount() == 1
    assert env.format_trace(env.last_tx).startswith(f"[{env.last_tx.gas_used}] Value::receive{{value: 5}}()")
    assert env.call(value.address, "0xdeadbeef01").success and value.fallbackCount() == 1
    assert env.format_trace(env.last_tx).startswith(f"[{env.last_tx.gas_used}] Value::fallback(0xdeadbeef01)")
    assert env.call(value.address, "0x01").success and value.fallbackCount() == 2
    assert env.format_trace(env.last_tx).startswith(f"[{env.last_tx.gas_used}] Value::fallback(0x01)")
    callee = env.deploy_contract(built["Callee"])  # (a receive() and no fallback: an unknown selector stays raw)
    assert not env.call(callee.address, "0xdeadbeef").success
    assert env.format_trace(env.last_tx).startswith(f"[{env.last_tx.gas_used}] Callee::0xdeadbeef()")


def test_failure_points_at_the_callee_that_took_all_the_gas(built: dict) -> None:
    """A callee in an endless loop takes all the gas (resolc passes no gas limit with a call), so its caller then
    runs out too: failure() is the callee, which ran out first (found in review: the caller was blamed)."""
    from eth_abi import encode

    from pvmkit.revive.primitives import PalletError, keccak256

    from .test_syscalls import build

    env = Env(tracing=True)
    caller = env.deploy_contract(built["Caller"])
    looping = env.deploy(build("@loop:\n    jump @loop\n"))
    data = keccak256(b"rawCall(address,uint256,bytes)")[:4] + encode(["address", "uint256", "bytes"], [looping, 0, b""])
    result = env.call(caller.address, data, gas=200_000)
    trace = result.trace
    (inner,) = trace.calls
    assert (result.error, trace.error, inner.error) == (PalletError.OutOfGas,) * 3
    assert trace.failure() is inner


def test_a_signature_a_library_abi_leaves_out_names_its_function() -> None:
    """solc hashes a library function with storage parameters by a signature no ABI item has: the item made for it
    has the same selector, tuple and mapping types kept whole."""
    from pvmkit.contract import signature, signature_item

    for text in ("append(uint256[] storage,uint256)", "f(mapping(uint256 => uint256) storage,(uint256,bool)[] storage,"
                 "uint8)", "g()"):  # fmt: skip
        item = signature_item(text)
        assert signature(item) == text and item["name"] == text.split("(")[0]
    assert len(signature_item("f(mapping(uint256 => uint256) storage,(uint256,bool)[] storage,uint8)")["inputs"]) == 3
