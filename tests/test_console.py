"""console.log (pvmkit/console.py): calls to console.sol's address become the lines foundry prints, given once their
transaction is over, and change nothing else. ConsoleUser (tests/contracts/Console.sol) logs through its own
console.sol-like library, with forge-std's and hardhat's selectors."""

from __future__ import annotations

import pytest
from eth_abi import encode

from pvmkit import Env
from pvmkit.console import CONSOLE_ADDRESS, UNDECODABLE, console_line
from pvmkit.contract import ContractRevert
from pvmkit.revive.address import to_checksum
from pvmkit.revive.primitives import keccak256
from tests.conftest import load_contract

ALICE = to_checksum(bytes([1] * 20))
NOT_A_LOG = keccak256(b"notALog(uint256)")[:4]
# What ConsoleUser.work(42) logs, in order: foundry's format rules, both integer spellings and both bytes32 forms of
# the selectors, a string that is not UTF-8 (0xFF 0x41) with the replacement character, and a selector console.sol
# does not have.
WORK_42 = [
    "x is now 42",
    "hex 0x2a, dec %d, % and %s",  # (%x takes 42; %d and %s have nothing left, %% is a %)
    f"from {ALICE} ok=true",
    "-5",
    "0x" + "00" * 29 + "abcdef",
    "0x" + "00" * 29 + "abcdef",
    "neg 0x" + "f" * 62 + "9c, %e",  # (an int256 under %x: two's complement)
    "4.2 ETH",  # (%18e: 42 * 10^17 / 10^18)
    "\ufffdA",
    f"console.log: no console.sol function has selector 0x{NOT_A_LOG.hex()} (input "
    f"0x{(NOT_A_LOG + encode(['uint256'], [1])).hex()})",
]


def _call(signature: str, types: list[str], values: list) -> bytes:
    return keccak256(signature.encode())[:4] + encode(types, values)


def _log(form: str, *args: tuple[str, object]) -> str | None:
    """console_line of log(string, ...) with `form` and the (type, value) arguments."""
    types = ["string", *(t for t, _ in args)]
    return console_line(_call(f"log({','.join(types)})", types, [form, *(v for _, v in args)]))


def test_console_sol_calls_become_foundrys_lines() -> None:
    """The lines of foundry's console_format (crates/common/fmt/src/console.rs and its unit tests), worked by hand."""
    assert console_line(_call("log()", [], [])) == ""
    assert console_line(_call("log(uint256)", ["uint256"], [7])) == "7"
    assert console_line(_call("log(uint)", ["uint256"], [7])) == "7"  # hardhat's first spelling
    assert console_line(_call("logInt(int256)", ["int256"], [-3])) == "-3"
    assert console_line(_call("log(bool,address)", ["bool", "address"], [False, bytes(20)])) == "false 0x" + "0" * 40
    assert console_line(_call("log(bytes2)", ["bytes2"], [b"\x01\x02"])) == "0x0102"  # forge-std's
    assert console_line(_call("logBytes2(bytes2)", ["bytes2"], [b"\x01\x02"])) == "0x0102"  # hardhat's first
    assert console_line(_call("log(bytes)", ["bytes"], [b""])) == "0x"
    assert _log("a=%s b=%d", ("string", "x"), ("uint256", 5)) == "a=x b=5"
    assert _log("%s", ("uint256", 1), ("uint256", 2)) == "1 2"  # (arguments left over follow)
    assert _log("", ("uint256", 5)) == "5"  # (no space after an empty format)
    assert _log("100%% done") == "100% done" and _log("50% %q %5x") == "50% %q %5x"  # (a lone string is a format too)
    assert _log("%e", ("uint256", 100)) == "1e2" and _log("%e", ("uint256", 123456)) == "1.23456e5"
    assert _log("%e", ("uint256", 0)) == "0e0" and _log("%18e ETH", ("uint256", 10**18)) == "1 ETH"
    assert _log("%2e", ("uint256", 12345)) == "123.45" and _log("%3e", ("uint256", 5)) == "0.005"
    assert _log("%e|%2e", ("uint256", 2500), ("uint256", 0)) == "2.5e3|0"
    assert _log("%x %x", ("uint256", 255), ("uint256", 0)) == "0xff 0x"  # (leading zeros dropped: 0 is "0x")
    assert _log("%o %o %o", ("string", "foo"), ("bool", True), ("uint256", 3)) == "'foo' 'true' 3"
    assert _log("%d %i %x", ("string", "a"), ("string", "b"), ("string", "c")) == "NaN NaN NaN"
    assert _log("%e", ("string", "a")) == "NaN"
    assert _log("%d %i %x", ("bool", True), ("bool", False), ("bool", True)) == "1 NaN NaN"
    zero = "0x" + "0" * 40
    assert _log("%s %x %o", *[("address", bytes(20))] * 3) == f"{zero} {zero} '{zero}'"
    assert _log("%d", ("address", bytes(20))) == "NaN"
    assert [_log(form, ("int256", v)) for form, v in (("%d", -100), ("%e", -1500), ("%s", -1))] == ["-100", "-1.5e3",
                                                                                                    "-1"]  # fmt: skip
    assert _log("%18e", ("int256", -(10**18) // 2)) == "-0.5"
    assert _log("%s %s %s", ("uint256", 1)) == "1 %s %s"  # (specifiers left over stay)
    assert console_line(_call("log(uint256)", ["uint256"], [1])[:20]) is UNDECODABLE  # (truncated arguments)
    assert console_line(b"\x00\x01\x02\x03") is None and console_line(b"") is None


def test_a_contracts_console_log_lines_arrive_after_its_call_and_change_nothing() -> None:
    contract = load_contract("ConsoleUser")
    results = []
    lines: list[str] = []
    for listener in (lines.append, None):
        env = Env(console_log=listener, tracing=True)
        user = env.deploy_contract(contract)
        result = env.call(user.address, keccak256(b"work(uint256)")[:4] + encode(["uint256"], [42]))
        results.append((result.success, result.output, result.gas_used, result.weight, result.storage_deposit,
                        user.x()))  # fmt: skip
        trace = env.format_trace(result)  # (the trace names console calls whether or not anyone listens)
    assert results[0] == results[1] and results[0][:2] == (True, (43).to_bytes(32, "big"))
    assert lines == WORK_42
    assert "console::log('x is now 42') [staticcall]" in trace and trace.count("console::log(") == 9
    assert f"{to_checksum(CONSOLE_ADDRESS)}::0x" in trace  # (the unknown selector: a plain call to no code)


def test_a_reverted_calls_console_lines_are_still_given() -> None:
    """As foundry prints the logs of a failing test: the line was logged before the revert undid the state."""
    lines: list[str] = []
    env = Env(console_log=lines.append)
    user = env.deploy_contract(load_contract("ConsoleUser"))
    with pytest.raises(ContractRevert, match="no"):
        user.fails(9)
    assert lines == ["about to fail 9"] and user.x() == 0


def test_the_lines_come_once_the_transaction_is_over_so_a_listener_may_use_the_env() -> None:
    """A listener that reads state or sends a transaction sees the call's outcome and cannot disturb it (found in
    review: run in the middle of the call, it broke the transaction around it)."""
    seen: list[tuple[str, int]] = []
    env = Env()
    user = env.deploy_contract(load_contract("ConsoleUser"))
    sink = env.generate_address(balance=10_000)

    def listener(line: str) -> None:
        seen.append((line, user.x()))
        env.call(sink, value=1)  # (a transaction of its own)

    env.console_log = listener
    with pytest.raises(ContractRevert, match="no"):
        user.fails(9)
    assert seen == [("about to fail 9", 0)] and user.x() == 0 and env.get_balance(sink) == 10_001
    user.work(5)
    assert seen[1] == ("x is now 5", 5) and len(seen) == 1 + len(WORK_42)
    assert env.get_balance(sink) == 10_000 + len(seen)
    with pytest.raises(TypeError, match="console_log takes a function"):
        env.console_log = "yes"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="console_log takes a function"):
        Env(console_log=1)  # type: ignore[arg-type]


def test_console_lines_print_by_default_and_can_be_turned_off(capsys: pytest.CaptureFixture[str]) -> None:
    env = Env()
    user = env.deploy_contract(load_contract("ConsoleUser"))
    user.work(1)
    assert capsys.readouterr().out.splitlines()[0] == "x is now 1"
    env.console_log = None
    user.work(2)
    assert capsys.readouterr().out == ""


def test_console_calls_run_as_on_the_evm() -> None:
    """The pallet, like the EVM, runs a call to an account without code as a success with no output: the contract's
    own results match pyrevm's."""
    from pvmkit.evm import EvmEnv

    pytest.importorskip("pyrevm", reason="pyrevm (the EVM oracle) is a test extra")
    contract = load_contract("ConsoleUser")
    evm = EvmEnv()
    evm.set_balance(ALICE, 10**20)
    ok, address, _ = evm.deploy(ALICE, contract.evm_bytecode)
    assert ok and address is not None
    data = keccak256(b"work(uint256)")[:4] + encode(["uint256"], [42])
    env = Env(console_log=None)
    user = env.deploy_contract(contract)
    result = env.call(user.address, data)
    assert (result.success, result.output) == evm.call(ALICE, address, data)[:2] == (True, encode(["uint256"], [43]))


def test_only_a_plain_or_static_call_to_no_code_is_named_console_log_in_a_trace() -> None:
    """What Env.console_log was given: not a delegate call there, nor a mocked or failed call, nor code put at the
    address; a value sent along shows (found in review: each of these was named console::log)."""
    from pvmkit.revive.primitives import PalletError
    from pvmkit.revive.trace import CallTrace
    from pvmkit.traces import Names, render

    names = Names({}, {}, lambda address: None)
    data = keccak256(b"log(uint256)")[:4] + encode(["uint256"], [7])

    def head(**changes: object) -> str:
        node = CallTrace("staticcall", bytes(20), CONSOLE_ADDRESS, None, None, 0, data, 0)
        for name, value in changes.items():
            setattr(node, name, value)
        return render(node, names).splitlines()[0]

    assert head() == "[0] console::log('7') [staticcall]"
    assert head(kind="call", value=5) == "[0] console::log{value: 5}('7')"
    for changes in ({"kind": "delegatecall", "address": bytes(20), "code_address": CONSOLE_ADDRESS},
                    {"mocked": True}, {"code_hash": bytes(32)}, {"error": PalletError.OutOfGas}):  # fmt: skip
        assert "console::log" not in head(**changes), changes


def test_an_interrupted_transaction_gives_no_lines_and_the_next_only_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction that does not finish (Ctrl-C, a bug) leaves nothing, its console lines neither: a listener's
    error must not hide the interrupt."""
    from pvmkit.revive import chain as chain_module

    lines: list[str] = []
    env = Env(console_log=lines.append)
    user = env.deploy_contract(load_contract("ConsoleUser"))
    call = chain_module.Stack.call

    def interrupted(self: object, *args: object, **kwargs: object) -> object:
        call(self, *args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(chain_module.Stack, "call", interrupted)
    with pytest.raises(KeyboardInterrupt):
        user.work(3)
    monkeypatch.undo()
    assert lines == [] and user.x() == 0
    user.work(4)
    assert lines[0] == "x is now 4" and len(lines) == len(WORK_42)
