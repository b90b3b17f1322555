"""Host-call shortcuts (pvm/shortcuts.py): what the JIT answers natively against a reference written in Python.

The reference runs on the interpreter: its on_ecalli does what a shortcut promises when every condition holds, and
otherwise what the host does. The JIT gets the shortcuts and a host that only does the latter. Everything must agree:
the host calls that reach Python (with registers, gas and the shared state), memory, registers, gas, the remainder and
the budget."""

from __future__ import annotations

from collections.abc import MutableSequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvmkit.env import BOB
from pvmkit.pvm.blob import ProgramBlob
from pvmkit.pvm.interpreter import Instance, Interrupt, Module, ModuleConfig
from pvmkit.pvm.isa import REVIVE_V1
from pvmkit.pvm.jit import is_supported
from pvmkit.pvm.program import assemble_code
from pvmkit.pvm.shortcuts import Shortcut, ShortcutKind, Shortcuts, ShortcutTable
from pvmkit.revive.primitives import keccak256

pytestmark = pytest.mark.skipif(not is_supported(), reason="the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")


@pytest.fixture(autouse=True)
def _named_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about what the JIT itself does: PVMKIT_BACKEND (crosscheck too, whose instances answer every
    host call in Python) must not replace the backends they name."""
    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)


U64 = 1 << 64
RW, RW_SIZE = 0x20000, 0x1000  # rw data: 4 KiB (what shortcuts may write: rw data as first mapped, and the stack)
STACK_LOW, STACK_HIGH = 0xFFFDF000, 0xFFFE0000
V, B, W, K = ShortcutKind.VALUE, ShortcutKind.BYTES, ShortcutKind.WORD, ShortcutKind.KECCAK

_POINTERS = st.sampled_from([RW, RW + 8, RW + RW_SIZE - 32, RW + RW_SIZE - 20, RW + RW_SIZE - 19,
                             RW + RW_SIZE - 31, RW + RW_SIZE, RW - 1, RW - 20, STACK_LOW, STACK_HIGH - 32,
                             STACK_HIGH - 20, STACK_HIGH - 19, STACK_HIGH, STACK_LOW - 4, 0x10000, 0, 0xFFFFFFFF,
                             0xFFFFFFF0])  # fmt: skip
_OFFSETS = st.one_of(st.integers(0, 80), st.integers(0, 80), st.sampled_from([0xFFFFFFE0, 0xFFFFFFFF, 2**32 + 1]))


def _blob(steps: list[tuple[int, ...]]) -> ProgramBlob:
    """For each (a0, a1, n) or (a0, a1, n, a2): set a0, a1 (and a2), 64-bit values, ecalli n; then trap."""
    insts: list[tuple[str, tuple]] = []
    for a0, a1, n, *a2 in steps:
        insts += [("load_imm64", (7, a0)), ("load_imm64", (8, a1)), *(("load_imm64", (9, v)) for v in a2),
                  ("ecalli", (n,))]  # fmt: skip
    code, bitmask = assemble_code(REVIVE_V1, [*insts, ("trap", ())])
    return ProgramBlob(code=code, bitmask=bitmask, rw_data_size=RW_SIZE, rw_data=bytes(range(256)) * 2,
                       stack_size=STACK_HIGH - STACK_LOW)  # fmt: skip


def _writable(address: int, length: int) -> bool:
    end = address + length
    return (RW <= address and end <= RW + RW_SIZE) or (STACK_LOW <= address and end <= STACK_HIGH)


def _applies(shortcut: Shortcut, r: MutableSequence[int], gas: int, sc: Shortcuts, answer: object) -> bool:
    """Whether the shortcut answers this call (shortcuts.py's conditions), as Python sees them."""
    remainder, budget, on = sc.state
    if not on or sc.unit < 2:
        return False
    a0, a1 = r[7] & 0xFFFFFFFF, r[8] & 0xFFFFFFFF
    if shortcut.kind is ShortcutKind.BYTES and not _writable(a0, len(answer)):  # type: ignore[arg-type]
        return False
    if shortcut.kind is ShortcutKind.WORD and not (a1 + 32 <= len(sc.buffer) and _writable(a0, 32)):
        return False
    if shortcut.kind is ShortcutKind.KECCAK and not (_writable(a0, a1) and _writable(r[9] & 0xFFFFFFFF, 32)):
        return False
    left = gas * sc.unit + remainder
    return left < U64 and left >= _cost(shortcut, r) and budget >= shortcut.budget_cost


def _cost(shortcut: Shortcut, r: MutableSequence[int]) -> int:
    """What a shortcut costs in sub-units: KECCAK's grows with its input's length (a1)."""
    if shortcut.kind is not ShortcutKind.KECCAK:
        return shortcut.cost
    return shortcut.cost + shortcut.length * (r[8] & 0xFFFFFFFF)  # (past 2^64 it never fits: left < 2^64)


def _host(calls: list, sc: Shortcuts) -> object:
    """What the host does with a call that reaches it: records it, changes a0 and the remainder, takes 2 gas."""

    def on_ecalli(n: int, r: MutableSequence[int], gas: int) -> int:
        remainder, budget, on = sc.state
        calls.append((n, list(r[:13]), gas, [remainder, budget, on != 0]))
        r[7] = (r[7] * 5 + n) % U64
        sc.state[0] = (sc.state[0] + 7) % sc.unit if sc.unit else 0
        return gas - 2

    return on_ecalli


def _run(backend: str, blob: ProgramBlob, table: ShortcutTable, answers: dict[int, object], unit: int,
         remainder: int, budget: int, buffer: bytes, gas: int) -> tuple:  # fmt: skip
    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = gas
    sc = Shortcuts(table, unit, [remainder, budget, 1], [answers[n] for n in table.numbers], buffer)
    calls: list = []
    host = _host(calls, sc)
    if backend == "jit":
        intr = inst.serve(host, sc)  # type: ignore[arg-type]
    else:
        intr = inst.serve(_reference(inst, table, answers, sc, host))  # type: ignore[arg-type]
    return calls, _outcome(inst, intr), list(sc.state)


def _reference(inst: Instance, table: ShortcutTable, answers: dict[int, object], sc: Shortcuts, host: object) -> object:
    def on_ecalli(n: int, r: MutableSequence[int], gas: int) -> int:
        shortcut = table.calls.get(n)
        if shortcut is None or not _applies(shortcut, r, gas, sc, answers.get(n)):
            return host(n, r, gas)  # type: ignore[operator]
        left = gas * sc.unit + sc.state[0] - _cost(shortcut, r)
        sc.state[1] -= shortcut.budget_cost
        a0, a1 = r[7] & 0xFFFFFFFF, r[8] & 0xFFFFFFFF
        if shortcut.kind is ShortcutKind.VALUE:
            r[7] = answers[n]  # type: ignore[assignment]
        elif shortcut.kind is ShortcutKind.BYTES:
            inst.write_memory(a0, answers[n])  # type: ignore[arg-type]
        elif shortcut.kind is ShortcutKind.KECCAK:
            inst.write_memory(r[9] & 0xFFFFFFFF, keccak256(inst.read_memory(a0, a1)))
        else:
            inst.write_memory(a0, sc.buffer[a1 : a1 + 32][::-1])
        gas, sc.state[0] = divmod(left, sc.unit)
        return gas

    return on_ecalli


def _outcome(inst: Instance, intr: Interrupt) -> tuple:
    return intr.kind, intr.pc, list(inst.regs), inst.gas, inst.memory.contents()


_KINDS = st.sampled_from([(V, 0), (B, 20), (B, 32), (W, 0), (K, 0), (K, 7), (K, 2**32 - 1)])
_COSTS = st.one_of(st.integers(0, 50), st.integers(0, 5000), st.sampled_from([U64 - 1, 2**63, 10**12]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), numbers=st.lists(st.integers(0, 45), min_size=1, max_size=6, unique=True),
       unit=st.sampled_from([2, 3, 1000, 7919, 2**40]), remainder=st.integers(0, 3000),
       budget=st.one_of(st.integers(0, 100), st.just(U64 - 1)), gas=st.integers(0, 400),
       buffer=st.one_of(st.binary(max_size=40), st.binary(min_size=60, max_size=100)))  # fmt: skip
def test_shortcuts_answer_as_the_python_reference(data, numbers, unit, remainder, budget, gas, buffer) -> None:
    calls: dict[int, Shortcut] = {}
    answers: dict[int, object] = {}
    for n in numbers:
        if n >= 40:  # (numbers past MAX_SHORTCUTS have none: their ecalli always reaches the host)
            continue
        kind, length = data.draw(_KINDS)
        calls[n] = Shortcut(kind, data.draw(_COSTS), data.draw(st.integers(0, 30)), length)
        if kind is V:
            answers[n] = data.draw(st.integers(0, U64 - 1))
        elif kind is B:
            answers[n] = data.draw(st.binary(min_size=length, max_size=length))
    pointers = st.one_of(_POINTERS, _POINTERS, _POINTERS, st.integers(0, U64 - 1))  # (mostly near the edges)
    steps = data.draw(st.lists(st.tuples(pointers, _OFFSETS, st.sampled_from(numbers), pointers), min_size=1,
                               max_size=12))  # fmt: skip
    table = ShortcutTable(calls)
    blob = _blob(steps)
    m = Module(blob).memory_map
    assert (m.rw_data_address, m.rw_data_size, m.stack_address_low, m.stack_address_high) == (RW, RW_SIZE, STACK_LOW,
                                                                                               STACK_HIGH)  # fmt: skip
    args = (blob, table, answers, unit, remainder % unit, budget, buffer, gas)
    assert _run("jit", *args) == _run("interpreter", *args)


@pytest.mark.parametrize("kind", ["word", "bytes20", "bytes32", "value"])
@pytest.mark.parametrize("pointer", [RW, RW + RW_SIZE - 32, RW + RW_SIZE - 31, RW + RW_SIZE - 20, RW + RW_SIZE - 19,
                                     STACK_LOW, STACK_HIGH - 32, STACK_HIGH - 31, RW - 1, 0xFFFFFFFF])  # fmt: skip
@pytest.mark.parametrize("offset", [0, 28, 29, 0xFFFFFFFF])
@pytest.mark.parametrize("spare", [0, -1])  # gas exactly enough, one sub-unit short
def test_each_kind_at_its_edges(kind: str, pointer: int, offset: int, spare: int) -> None:
    """Every kind at the edges of what it may write, of the call data (60 bytes: a word at 28 fits, at 29 does not)
    and of the gas: natively exactly when the reference says so, with the same results."""
    shortcut, answer = {"word": (Shortcut(W, 5000), None), "bytes20": (Shortcut(B, 5000, 0, 20), bytes(range(20))),
                        "bytes32": (Shortcut(B, 5000, 0, 32), bytes(range(32))),
                        "value": (Shortcut(V, 5000), 2**64 - 3)}[kind]  # fmt: skip
    table = ShortcutTable({3: shortcut})
    answers = {3: answer} if answer is not None else {}
    buffer = bytes(range(100, 160))
    unit, remainder = 1000, 400
    gas = 4 + (5 if spare == 0 else 4)  # the block (4 instructions); 5 × 1000 + 400 covers 5000, 4 × 1000 + 400 not
    args = (_blob([(pointer, offset, 3)]), table, answers, unit, remainder, 0, buffer, gas)
    jit, reference = _run("jit", *args), _run("interpreter", *args)
    assert jit == reference
    fits = {"word": offset + 32 <= 60 and _writable(pointer, 32), "bytes20": _writable(pointer, 20),
            "bytes32": _writable(pointer, 32), "value": True}[kind]  # fmt: skip
    native = fits and spare == 0
    assert (jit[0] == []) == native  # (answered natively: the host never saw it)
    if native:
        assert jit[2][0] == 400 and jit[1][3] == 0  # 5,400 - 5,000: no gas and 400 left over


@pytest.mark.parametrize("length", [0, 1, 32, 64, 135, 136, 137, 300])
@pytest.mark.parametrize("source", ["rw", "rw-end", "past-rw", "stack-end", "ro"])
@pytest.mark.parametrize("target", [RW + RW_SIZE - 32, RW + RW_SIZE - 31, STACK_HIGH - 32, STACK_HIGH - 31])
@pytest.mark.parametrize("spare", [0, -1])  # sub-units: exactly enough, one short
def test_keccak_at_its_edges(length: int, source: str, target: int, spare: int) -> None:
    """KECCAK (pycryptodome's C keccak, called from native code): inputs of every block boundary's length, wholly
    inside rw data or the stack or not, outputs at the regions' ends, and gas for exactly its cost (base + per byte ×
    length) or one sub-unit less: natively exactly when the reference says so, with the same hash and gas."""
    from pvmkit.pvm.jit.instance import keccak_oneshot

    if not keccak_oneshot():  # (every hash would go to the host: nothing native to test)
        pytest.skip("this pycryptodome has no keccak_oneshot for native code to call")
    start = {"rw": RW, "rw-end": RW + RW_SIZE - length, "past-rw": RW + RW_SIZE - length + 1,
             "stack-end": STACK_HIGH - length, "ro": 0x10000}[source]  # fmt: skip
    table = ShortcutTable({5: Shortcut(K, 900, 0, 3)})
    cost = 900 + 3 * length
    unit = 1000
    after, remainder = divmod(cost + spare, unit)  # what is left at the ecalli: the cost, or one sub-unit less
    gas = 5 + after  # (the block: 3 loads, the ecalli, the trap)
    args = (_blob([(start, length, 5, target)]), table, {}, unit, remainder, 0, b"", gas)
    jit, reference = _run("jit", *args), _run("interpreter", *args)
    assert jit == reference
    native = spare == 0 and source in ("rw", "rw-end", "stack-end") and _writable(start, length) and \
        _writable(target, 32)
    assert (jit[0] == []) == native


def test_shortcuts_run_natively_and_stop_when_the_host_says_so() -> None:
    """The shortcuts answer without reaching the host at all (so the test above compares something), and a host that
    sets `on` to 0 gets every later call."""
    blob = _blob([(RW, 0, 1), (RW, 0, 2), (RW, 0, 3), (RW, 0, 1)])
    table = ShortcutTable({1: Shortcut(V, 10), 2: Shortcut(B, 10, 0, 20)})
    inst = Module(blob, ModuleConfig(backend="jit")).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 1000
    sc = Shortcuts(table, 1000, [0, 0, 1], [77, b"x" * 20], b"")
    seen = []

    def host(n: int, r: MutableSequence[int], gas: int) -> int:
        seen.append((n, r[7]))
        sc.state[2] = 0  # (the answers no longer hold)
        return gas

    inst.serve(host, sc)
    assert seen == [(3, RW), (1, RW)]  # 1 and 2 answered natively (3 has no shortcut); after it, 1 reaches the host
    assert inst.read_memory(RW, 20) == b"x" * 20


def test_malformed_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="20 or 32"):
        ShortcutTable({0: Shortcut(B, 1, 0, 16)})
    with pytest.raises(ValueError, match="0..39"):
        ShortcutTable({40: Shortcut(V, 1)})
    with pytest.raises(ValueError, match="u64"):
        ShortcutTable({0: Shortcut(V, U64)})
    with pytest.raises(ValueError, match="u64"):
        ShortcutTable({0: Shortcut(K, 1, 0, U64)})
    with pytest.raises(ValueError, match="room"):
        ShortcutTable({n: Shortcut(B, 1, 0, 32) for n in range(21)})


# ERC-20 transfer(bob, 7), encoded.
_TRANSFER = keccak256(b"transfer(address,uint256)")[:4] + bytes(12) + BOB + (7).to_bytes(32, "big")


def _transfers(backend: str, gas_limits: list[int]) -> list[tuple]:
    """ERC-20 transfers (each in an anchor) at each gas limit: what the contract host reports."""
    from pvmkit.env import Env

    from .conftest import load_contract

    env = Env(backend=backend)
    token = env.deploy_contract(load_contract("ERC20"), "T", "T", 1000)
    data = _TRANSFER
    out = []
    for gas in gas_limits:
        with env.anchor():
            r = env.call(token.address, data, gas=gas)
            out.append((r.success, r.error, r.output, r.weight, r.gas_used, r.logs, r.storage_deposit))
    with env.anchor():  # a call whose call data is too short for its last word: that call_data_load is the host's
        r = env.call(token.address, data[:-5])
        out.append((r.success, r.error, r.output, r.weight, r.gas_used))
    return out


def test_the_contract_host_gives_the_same_results_with_shortcuts() -> None:
    """pallet-revive's host on the JIT (call data, caller and value answered natively) and on the interpreter (every
    host call in Python): the same outcome, weight and fuel for an ERC-20 transfer at every gas limit from none to
    enough, so that running out lands before, inside and after each shortcut."""
    used = _transfers("interpreter", [10**9])[0][4]
    limits = list(range(0, used + 2000, 7))  # (storage reads charge a whole value first: success takes more than used)
    jit = _transfers("jit", limits)
    assert jit == _transfers("interpreter", limits)
    assert jit[0][0] is False and jit[-2][0] is True  # (from out of gas to success)


def test_code_importing_one_function_many_times_runs_as_on_the_interpreter() -> None:
    """Found in review: code importing value_transferred 21 times had 21 answers of 32 bytes, more than the room for
    them, and every call of it raised on the JIT. The plan now gives shortcuts while their answers fit."""
    from pvmkit.env import Env
    from pvmkit.pvm.asm import assemble

    names = ["value_transferred"] * 21 + ["seal_return"]
    imports = "".join(f'%import {i} "{n}"\n' for i, n in enumerate(names))
    header = "%rw_data_size = 16384\n%stack_size = 4096\n" + imports
    code = (f"pub @deploy:\n    ret\n    trap\npub @call:\n    a0 = {RW:#x}\n    ecalli 20\n    a0 = {RW + 32:#x}\n"
            f"    ecalli 0\n    a0 = 0\n    a1 = {RW:#x}\n    a2 = 64\n    ecalli 21\n    trap\n")  # fmt: skip
    blob = assemble(header + code).write()
    results = []
    for backend in ("interpreter", "jit"):
        env = Env(backend=backend)
        r = env.call(env.deploy(blob), b"", value=5)
        results.append((r.success, r.error, r.output, r.weight))
    assert results[0] == results[1] and results[0][2] == (5).to_bytes(32, "little") * 2


def test_the_buffer_is_the_one_serve_started_with() -> None:
    """Native code reads the buffer from where it was when serve() started: a host that replaces `shortcuts.buffer`
    meanwhile (and drops the only other reference) must not leave it reading freed memory. The instance holds it."""
    import gc

    blob = _blob([(RW, 0, 3), (RW, 0, 4), (RW + 32, 0, 3)])
    table = ShortcutTable({3: Shortcut(W, 1)})
    inst = Module(blob, ModuleConfig(backend="jit")).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 1000
    sc = Shortcuts(table, 1000, [0, 0, 1], [], bytes(range(200, 240)))

    def host(n: int, r: MutableSequence[int], gas: int) -> int:
        sc.buffer = b"\0" * 40  # (the old one's last reference outside the instance)
        gc.collect()
        return gas

    inst.serve(host, sc)
    word = bytes(range(200, 232))[::-1]
    assert inst.read_memory(RW, 32) == word and inst.read_memory(RW + 32, 32) == word
    assert inst._sc_buffer == b""  # (let go once serve() ended)


@pytest.mark.parametrize("per_byte", [2**32, 2**63])
def test_a_schedule_with_costs_past_u32_runs_as_on_the_interpreter(per_byte: int) -> None:
    """Found in review: a keccak cost per byte of 2^32 made the shortcut table refuse it and every call raise on the
    JIT. Any u64 is a valid cost (the native code multiplies in 64 bits and checks the carry); past u64 the host's
    handler charges it."""
    import dataclasses

    from pvmkit.env import DeployError, Env
    from pvmkit.revive.config import RuntimeConfig, Schedule

    from .conftest import load_contract

    costs = dict(Schedule().costs)
    costs["hash_keccak_256"] = (costs["hash_keccak_256"][0], per_byte, costs["hash_keccak_256"][2])
    config = RuntimeConfig(schedule=dataclasses.replace(Schedule(), costs=costs))
    results = []
    for backend in ("interpreter", "jit"):
        env = Env(backend=backend, config=config)
        try:
            token = env.deploy_contract(load_contract("ERC20"), "T", "T", 1000)
        except DeployError as e:  # (2^63 per byte: the constructor's hashes cannot be paid for, on both)
            results.append(str(e))
            continue
        deployed = env.last_result
        r = env.call(token.address, _TRANSFER)
        results.append((deployed.success, deployed.weight, r.success, r.error, r.weight))
    assert results[0] == results[1]
