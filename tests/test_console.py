"""console.log (pvmkit/console.py): calls to console.sol's address become the lines foundry prints, as they run, and
change nothing else. ConsoleUser (tests/contracts/Console.sol) logs through its own console.sol-like library."""

from __future__ import annotations

import pytest
from eth_abi import encode

from pvmkit import Env
from pvmkit.console import CONSOLE_ADDRESS, console_line
from pvmkit.contract import ContractRevert
from pvmkit.revive.address import to_checksum
from pvmkit.revive.primitives import keccak256
from tests.conftest import load_contract

ALICE = to_checksum(bytes([1] * 20))
# What ConsoleUser.work(42) logs, in order: foundry's format rules, both integer spellings of the selectors, a
# string that is not UTF-8 (0xFF 0x41) with the replacement character, and a selector console.sol does not have.
WORK_42 = [
    "x is now 42",
    "hex 0x2a, dec %d, % and %s",  # (%x takes 42; %d and %s have nothing left, %% is a %)
    f"from {ALICE} ok=true",
    "-5",
    "0x" + "00" * 29 + "abcdef",
    "\ufffdA",
    "console.log: no console.sol function has selector 0x" + keccak256(b"notALog(uint256)")[:4].hex()
    + " (input 0x" + (keccak256(b"notALog(uint256)")[:4] + encode(["uint256"], [1])).hex() + ")",
]


def _call(signature: str, types: list[str], values: list) -> bytes:
    return keccak256(signature.encode())[:4] + encode(types, values)


def test_console_sol_calls_become_foundrys_lines() -> None:
    assert console_line(_call("log()", [], [])) == ""
    assert console_line(_call("log(uint256)", ["uint256"], [7])) == "7"
    assert console_line(_call("log(uint)", ["uint256"], [7])) == "7"  # hardhat's spelling
    assert console_line(_call("logInt(int256)", ["int256"], [-3])) == "-3"
    assert console_line(_call("log(bool,address)", ["bool", "address"], [False, bytes(20)])) == "false 0x" + "0" * 40
    assert console_line(_call("logBytes2(bytes2)", ["bytes2"], [b"\x01\x02"])) == "0x0102"
    assert console_line(_call("log(bytes)", ["bytes"], [b""])) == "0x"
    assert console_line(_call("log(string,string,uint256)", ["string", "string", "uint256"], ["a=%s b=%d", "x", 5])) \
        == "a=x b=5"
    assert console_line(_call("log(string,uint256,uint256)", ["string", "uint256", "uint256"], ["%s", 1, 2])) \
        == "1 2"  # (arguments left over follow)
    assert console_line(_call("log(string)", ["string"], ["100% %s"])) == "100% %s"  # (no arguments: as written)
    assert console_line(_call("log(uint256)", ["uint256"], [1])[:20]) is None  # (truncated arguments)
    assert console_line(b"\x00\x01\x02\x03") is None and console_line(b"") is None


def test_a_contracts_console_log_lines_arrive_as_it_runs_and_change_nothing() -> None:
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
    assert "console::log('x is now 42') [staticcall]" in trace and trace.count("console::log(") == 6
    assert f"{to_checksum(CONSOLE_ADDRESS)}::0x" in trace  # (the unknown selector: a plain call to no code)


def test_a_reverted_calls_console_lines_are_still_given() -> None:
    """As foundry prints the logs of a failing test: the line was logged before the revert undid the state."""
    lines: list[str] = []
    env = Env(console_log=lines.append)
    user = env.deploy_contract(load_contract("ConsoleUser"))
    with pytest.raises(ContractRevert, match="no"):
        user.fails(9)
    assert lines == ["about to fail 9"] and user.x() == 0


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
