"""Host-call shortcuts (pvm/shortcuts.py): what the JIT answers natively against a reference written in Python.

The reference runs on the interpreter: its on_ecalli does what a shortcut promises when every condition holds, and
otherwise what the host does. The JIT gets the shortcuts and a host that only does the latter. Everything must agree:
the host calls that reach Python (with registers, gas and the shared state), memory, registers, gas, the remainder and
the budget."""

from __future__ import annotations

import ctypes
import struct
from collections.abc import MutableSequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvmkit.env import Env
from pvmkit.pvm.blob import ProgramBlob
from pvmkit.pvm.interpreter import Instance, Interrupt, InterruptKind, Module, ModuleConfig
from pvmkit.pvm.isa import REVIVE_V1
from pvmkit.pvm.jit import is_supported
from pvmkit.pvm.program import assemble_code
from pvmkit.pvm.shortcuts import Shortcut, ShortcutKind, Shortcuts, ShortcutTable
from pvmkit.revive.primitives import keccak256
from tests.conftest import BOB

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
    remainder, budget, on, *_ = sc.state
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


def _host(calls: list, sc: Shortcuts, *counted: int) -> object:
    """What the host does with a call that reaches it: records it (and the state's entries `counted`, such as the
    writes or event bytes not yet taken), changes a0 and the remainder, takes 2 gas."""

    def on_ecalli(n: int, r: MutableSequence[int], gas: int) -> int:
        remainder, budget, on, *_ = sc.state
        calls.append((n, list(r[:13]), gas, [remainder, budget, on != 0, *(sc.state[i] for i in counted)]))
        r[7] = (r[7] * 5 + n) % U64
        sc.state[0] = (sc.state[0] + 7) % sc.unit if sc.unit else 0
        return gas - 2

    return on_ecalli


def _run(backend: str, blob: ProgramBlob, table: ShortcutTable, answers: dict[int, object], unit: int,
         remainder: int, budget: int, buffer: bytes, gas: int) -> tuple:  # fmt: skip
    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = gas
    sc = Shortcuts(table, unit, [remainder, budget, 1, 0, 0, 0], [answers[n] for n in table.numbers], buffer)
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
    sc = Shortcuts(table, 1000, [0, 0, 1, 0, 0, 0], [77, b"x" * 20], b"")
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
    with env.anchor():  # a call whose call data is too short for its last word (zero-padded, natively too)
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


def _storage_session(backend: str, ops: list[tuple]) -> tuple[list[tuple], dict]:
    """Run `ops` on the Storage contract: (function, args, gas or None, how: "tx", "anchor" to roll it back, or
    "python" with its shortcuts off, so that every storage call goes through the handlers); return what each call
    reported and the contract's storage at the end. On the JIT, also check that the storage cache holds what the
    storage does for every key it has, after every call and whenever a host call reaches Python (where no native
    write may be pending)."""
    from pvmkit.env import Env
    from pvmkit.pvm.shortcuts import ABSENT, OTHER, PRESENT
    from pvmkit.revive import syscalls
    from pvmkit.revive.address import parse_address

    from .conftest import load_contract

    env = Env(backend=backend)
    store = env.deploy_contract(load_contract("Storage"))
    contract = env.chain.state.contracts[parse_address(store.address)]
    code_hash = contract.code_hash

    def coherent() -> None:
        cache = contract.cache
        if cache is not None:
            for key in cache.index:
                value = contract.storage.get((True, key))
                state = ABSENT if value is None else PRESENT if len(value) == 32 else OTHER
                assert cache.get(key)[0] == state and (state != PRESENT or cache.get(key)[1] == value)

    def checking(handler: syscalls.Handler) -> syscalls.Handler:
        def check(h: syscalls.Host, r: syscalls.Regs) -> int | None:
            assert h.shortcuts is None or h.shortcuts.state[3] == 0  # (taken before the handler runs)
            coherent()
            return handler(h, r)

        return check

    # (only handlers without shortcuts: replacing one with a shortcut would turn the shortcut off)
    saved = dict(syscalls.SYSCALLS)
    for name, handler in saved.items():
        if name not in syscalls.SHORTCUTS:
            syscalls.SYSCALLS[name] = checking(handler)
    env.chain._code.clear()  # (the deploy above made the code's handler table: again, with these)
    out = []
    try:
        for name, args, gas, how in ops:
            data = getattr(store, name).encode(*args)
            if how == "anchor":
                with env.anchor():
                    r = env.call(store.address, data, gas=gas)
            elif how == "python":
                code = env.chain.code(code_hash)
                env.chain._code[code_hash] = code._replace(table=None, answers=())
                try:
                    r = env.call(store.address, data, gas=gas)
                finally:
                    env.chain._code[code_hash] = code
            else:
                r = env.call(store.address, data, gas=gas)
            out.append((name, r.success, r.error, r.output, r.weight, r.storage_deposit))
            coherent()
    finally:
        syscalls.SYSCALLS.update(saved)
    return out, dict(contract.storage)


_KEYS = [0, 1, 2, 3, 2**256 - 1, int.from_bytes(bytes(range(32)), "big")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(
    st.sampled_from([("setA", 1), ("setB", 1), ("increment", 0), ("setMap", 2), ("clear", 1), ("rawStore", 2),
                     ("rawLoad", 1), ("setAThenRevert", 1), ("trySetAThenRevert", 1), ("getMany", 0), ("push", 1),
                     ("pop", 0), ("tstoreThenSelfRead", 2), ("tstore", 2), ("tload", 1)]),
    st.lists(st.sampled_from(_KEYS), min_size=2, max_size=2),
    st.sampled_from([None, None, None, 9_000, 12_000, 15_000, 18_000, 21_000, 22_000, 60_000]),
    st.sampled_from(["tx", "tx", "anchor", "python"])),
    min_size=1, max_size=25))  # fmt: skip
def test_storage_through_the_cache_matches_the_interpreter(ops: list[tuple]) -> None:
    """Reads and writes of storage answered natively from the contract's cache (and applied to the storage after),
    with writes rolled back by reverts (a failed call, a reverted callee in the same contract, an anchor), calls
    running out of gas between a native write and the end, calls whose storage goes through the handlers, and
    transient storage at keys that, byte-reversed (as resolc passes them), are the persistent ones: the same
    results, weights, deposits and storage as on the interpreter, and the cache equal to the storage throughout."""
    calls = []
    for (name, arity), args, gas, how in ops:
        keyed = {"rawStore": 2, "rawLoad": 1, "tstoreThenSelfRead": 1, "tstore": 1, "tload": 1}.get(name, 0)
        values = [a.to_bytes(32, "big") if i < keyed else a for i, a in enumerate(args[:arity])]
        if name in ("tstoreThenSelfRead", "tstore", "tload"):  # (resolc reverses transient keys: these meet rawStore's)
            values[0] = values[0][::-1]
        calls.append((name, values, gas, how))
    jit = _storage_session("jit", calls)
    assert jit == _storage_session("interpreter", calls)


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
    sc = Shortcuts(table, 1000, [0, 0, 1, 0, 0, 0], [], bytes(range(200, 240)))

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


# TABLE_GET and TABLE_SET (pallet-revive's get_storage and set_storage) from a WordCache.
TG, TS = ShortcutKind.TABLE_GET, ShortcutKind.TABLE_SET
SENT = 0xFFFFFFFF
KEYS_AT, VALUES_AT, CAPACITY_AT = RW + 0x100, RW + 0x400, RW + 0x700  # in rw data, as _table_blob lays it out
_WORD = st.binary(min_size=32, max_size=32)


def _keys(first: bytes, others: list[bytes]) -> list[bytes]:
    """Eight keys: `first`, its words in other orders (the same hash: probes that pass entries of other keys) and
    `others`."""
    w = [first[i : i + 8] for i in range(0, 32, 8)]
    return [first, w[1] + w[0] + w[2] + w[3], w[3] + w[2] + w[1] + w[0], *others][:8]


def _table_blob(steps: list[tuple[int, ...]], keys: list[bytes], values: list[bytes], stack_size: int = STACK_HIGH -
                STACK_LOW, filler: list[int] = ()) -> ProgramBlob:  # type: ignore[assignment]  # fmt: skip
    """For each (n, a0, a1, a2, a3, a4): those registers, ecalli n; then trap. rw data holds the keys at KEYS_AT, the
    values at VALUES_AT and capacities (u32: 32, 31, 64, 0) at CAPACITY_AT. First, a load into each register of
    `filler`: the JIT gives host registers to the most used, so these move a0..a4 to others, or to memory."""
    insts: list[tuple[str, tuple]] = [("load_imm", (reg, 0)) for reg in filler]
    for n, *regs in steps:
        insts += [*(("load_imm64", (7 + i, v)) for i, v in enumerate(regs)), ("ecalli", (n,))]
    code, bitmask = assemble_code(REVIVE_V1, [*insts, ("trap", ())])
    rw = bytearray(0x800)
    for i, k in enumerate(keys):
        rw[0x100 + 32 * i : 0x120 + 32 * i] = k
    for i, v in enumerate(values):
        rw[0x400 + 32 * i : 0x420 + 32 * i] = v
    for i, c in enumerate((32, 31, 64, 0)):
        rw[0x700 + 4 * i : 0x704 + 4 * i] = c.to_bytes(4, "little")
    return ProgramBlob(code=code, bitmask=bitmask, rw_data_size=RW_SIZE, rw_data=bytes(rw), stack_size=stack_size)


def _table_reference(inst: Instance, table: ShortcutTable, sc: Shortcuts, model: dict[bytes, tuple[int, bytes]],
                     log: list[bytes], host: object) -> object:  # fmt: skip
    """What TABLE_GET and TABLE_SET promise (shortcuts.py), on a dict for the cache: done when every condition holds,
    else the host's."""
    from pvmkit.pvm.shortcuts import ABSENT, LOG_CAPACITY, PRESENT, TABLE_ABSENT, TABLE_CHECKED

    def on_ecalli(n: int, r: MutableSequence[int], gas: int) -> int:
        shortcut = table.calls.get(n)
        if shortcut is None or not _table_applies(shortcut, r, gas):
            return host(n, r, gas)  # type: ignore[operator]
        key = inst.read_memory(r[8] & SENT, 32)
        state, value = model[key]
        held = 32 if state == PRESENT else 0
        left = gas * sc.unit + sc.state[0] - shortcut.cost - shortcut.length * held
        sc.state[1] -= shortcut.budget_cost + shortcut.per_item * held
        if shortcut.kind is TG:
            r[7] = 0 if state == PRESENT else TABLE_ABSENT
            if state == PRESENT:
                inst.write_memory(r[10] & SENT, value)
                inst.write_memory(r[11] & SENT, (32).to_bytes(4, "little"))
        else:
            model[key] = (PRESENT, inst.read_memory(r[10] & SENT, 32))
            log.append(key)
            sc.state[3] += 1
            r[7] = 32 if state == PRESENT else SENT
        gas, sc.state[0] = divmod(left, sc.unit)
        return gas

    def _table_applies(shortcut: Shortcut, r: MutableSequence[int], gas: int) -> bool:
        remainder, budget, on, logged, *_ = sc.state
        a0, a1, a2, a3, a4 = (x & SENT for x in r[7:12])
        if not on or sc.cache is None or a0 != 0 or a2 != SENT or not (_writable(a1, 32) and _writable(a3, 32)):
            return False
        if shortcut.kind is TG:
            if not _writable(a4, 4) or int.from_bytes(inst.read_memory(a4, 4), "little") < 32:
                return False
        elif not sc.writes or a4 != 32 or logged >= LOG_CAPACITY:
            return False
        if model.get(inst.read_memory(a1, 32), (0, b""))[0] not in (PRESENT, ABSENT):
            return False
        need, left = shortcut.cost + shortcut.length * TABLE_CHECKED, gas * sc.unit + remainder
        budget_need = shortcut.budget_cost + shortcut.per_item * TABLE_CHECKED
        return need < U64 and left < U64 and left >= need and budget_need < U64 and budget >= budget_need

    return on_ecalli


def _table_run(backend: str, blob: ProgramBlob, table: ShortcutTable, entries: list[tuple[bytes, bytes | None]],
               capacity: int, writes: bool, unit: int, remainder: int, budget: int, gas: int, keys: list[bytes]
               ) -> tuple:  # fmt: skip
    """Run with a WordCache given `entries` (put in order) on the JIT, or the reference on the interpreter: the calls
    the host got, the outcome, the state, and then what the cache holds for each key and which keys were logged."""
    from pvmkit.pvm.shortcuts import WordCache

    cache = WordCache(capacity)
    for key, value in entries:
        cache.put(key, value)
    model = {k: e for k in keys if (e := cache.get(k)) is not None}
    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = gas
    sc = Shortcuts(table, unit, [remainder, budget, 1, 0, 0, 0], [], b"", cache, writes)
    calls: list = []
    host = _host(calls, sc, 3)  # (and the writes not yet taken)

    log: list[bytes] = []
    if backend == "jit":
        intr = inst.serve(host, sc)  # type: ignore[arg-type]
        logged = [k for k, _ in cache.logged(sc.state[3])]
        held = [cache.get(k) for k in keys]
        assert all(cache.get(k) == (1, v) for k, v in cache.logged(sc.state[3]))
    else:
        intr = inst.serve(_table_reference(inst, table, sc, model, log, host))  # type: ignore[arg-type]
        logged, held = log, [model.get(k) for k in keys]
    return calls, _outcome(inst, intr), list(sc.state), held, logged


# Loads that make other registers the most used (see _table_blob): none, random ones, or enough that three of a0..a4
# (those not in the drawn pair) live in memory.
_FILLER = st.one_of(st.just([]), st.lists(st.sampled_from(range(13)), max_size=80),
                    st.lists(st.sampled_from(range(7, 12)), min_size=2, max_size=2, unique=True).map(
                        lambda kept: [r for r in (0, 1, 2, 3, 4, 5, 6, 12, *kept) for _ in range(30)]))  # fmt: skip
_ODD_POINTERS = [RW + RW_SIZE - 32, RW + RW_SIZE - 31, STACK_HIGH - 32, STACK_HIGH - 31, RW - 1, 0xFFFFFFF0,
                 2**32 + VALUES_AT]  # (at the regions' ends, across them, or a valid one's low half)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), first=_WORD, others=st.lists(_WORD, min_size=5, max_size=5), capacity=st.sampled_from([16, 64]),
       writes=st.sampled_from([True, True, False]), unit=st.sampled_from([2, 1000, 1000, 1000, 2**40]),
       remainder=st.integers(0, 3000),
       budget=st.one_of(st.integers(0, 100), st.integers(400, 2500), st.just(U64 - 1)),
       gas=st.one_of(st.integers(0, 600), st.integers(10**4, 10**7)))  # fmt: skip
def test_table_shortcuts_answer_as_the_python_reference(data, first, others, capacity, writes, unit, remainder,
                                                        budget, gas) -> None:  # fmt: skip
    """get_storage and set_storage from a WordCache: keys with a 32-byte value, none, a value of another length, or no
    entry (some with the same hash, so probes pass other keys), at pointers inside and across the regions' edges,
    flags and lengths right or not, capacities, read-only runs, gas and budget around each cost: the JIT answers
    natively exactly what the reference does, with the same memory, registers, gas, cache and log."""
    keys = _keys(first, others)
    values = data.draw(st.lists(_WORD, min_size=8, max_size=8))
    # Half the examples keep to what the shortcuts answer (so that most calls are native), bar a few odd ones.
    friendly = data.draw(st.sampled_from([True, True, False]))
    odd_values = [b"", b"x" * 31] if not friendly else []
    entries = [(k, data.draw(st.sampled_from([None, v, v, v, *odd_values]))) for k, v in zip(keys, values, strict=True)
               if data.draw(st.sampled_from([True] * 9 + [False]))]  # fmt: skip
    per_byte = st.sampled_from([0, 1, 3, 7, 7, 2**50, 2**55] if not friendly else [0, 1, 7])
    costs = st.one_of(st.integers(0, 50), st.integers(0, 5000), st.integers(0, 5000), st.sampled_from([U64 - 1, 2**63]))
    if friendly:
        costs, unit, gas, budget = st.integers(0, 5000), 1000, gas + 10**5, U64 - 1
    per_item = st.sampled_from([0, 0, 1, 5, 2**32 - 1])  # (the budget per byte held)
    table = ShortcutTable({n: Shortcut(kind, data.draw(costs), data.draw(st.integers(0, 30)), data.draw(per_byte),
                                       data.draw(per_item)) for n, kind in ((2, TG), (3, TS))})
    odd = 1 if friendly else 4  # (in how many draws of 10 a pointer, flag or length is odd)
    key_at = st.sampled_from([KEYS_AT + 32 * i for i in range(8)] * (10 - odd) + _ODD_POINTERS * odd)
    value_at = st.sampled_from([VALUES_AT + 32 * i for i in range(8)] * (10 - odd) + _ODD_POINTERS * odd)
    capacity_at = st.sampled_from([CAPACITY_AT, CAPACITY_AT + 8] * (10 - odd)  # (capacities 32 and 64)
                                  + [CAPACITY_AT + 4, CAPACITY_AT + 12, RW + RW_SIZE - 3] * odd)  # (31, 0, the end)
    flags = st.sampled_from([0] * (10 - odd) + [1, 2**32] * odd)
    key_length = st.sampled_from([SENT] * (10 - odd) + [32, 2**32 + SENT] * odd)
    value_length = st.sampled_from([32] * (10 - odd) + [31, 2**32 + 32] * odd)
    step = st.one_of(
        st.tuples(st.just(2), flags, key_at, key_length, value_at, capacity_at),
        st.tuples(st.just(3), flags, key_at, key_length, value_at, value_length),
        st.tuples(st.just(4), flags, key_at, key_length, value_at, capacity_at),  # (no shortcut: the host's)
    )
    steps = data.draw(st.lists(step, min_size=3, max_size=12))
    blob = _table_blob(steps, keys, values, filler=data.draw(_FILLER))
    args = (blob, table, entries, capacity, writes, unit, remainder % unit, budget, gas, keys)
    assert _table_run("jit", *args) == _table_run("interpreter", *args)


def test_table_shortcuts_run_natively_until_the_log_is_full() -> None:
    """A read and a write of a cached key never reach the host, with the costs a reference computes by hand; the 65th
    write in a row does (the log holds 64), and so does a key without an entry."""
    from pvmkit.pvm.shortcuts import WordCache

    keys, values = [bytes([i]) * 32 for i in range(8)], [bytes([100 + i]) * 32 for i in range(8)]
    cache = WordCache()
    cache.put(keys[0], values[0])
    cache.put(keys[1], None)
    steps = [(2, 0, KEYS_AT, SENT, VALUES_AT + 32 * 7, CAPACITY_AT), (2, 0, KEYS_AT + 32, SENT, VALUES_AT, CAPACITY_AT)]
    steps += [(3, 0, KEYS_AT + 32, SENT, VALUES_AT + 32 * 2, 32)] * 65
    steps += [(2, 0, KEYS_AT + 64, SENT, VALUES_AT, CAPACITY_AT)]
    blob = _table_blob(steps, keys, values)
    table = ShortcutTable({2: Shortcut(TG, 100, 5, 2, 1), 3: Shortcut(TS, 200, 6, 3, 1)})
    inst = Module(blob, ModuleConfig(backend="jit")).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 10**6
    sc = Shortcuts(table, 10, [0, 10**6, 1, 0, 0, 0], [], b"", cache, True)
    calls: list = []
    inst.serve(lambda n, r, gas: calls.append((n, sc.state[3], r[7])) or gas, sc)
    assert [(n, logged) for n, logged, _ in calls] == [(3, 64), (2, 64)]
    assert inst.read_memory(VALUES_AT + 32 * 7, 32) == values[0]  # the first read: the value, 32 at the capacity
    assert inst.read_memory(CAPACITY_AT, 4) == (32).to_bytes(4, "little")
    # Gas: the reads, 100 + 2 × 32 (a value held) and 100 (none); the first write 200 (over no value), 63 more at
    # 200 + 3 × 32. The budget likewise, with 1 per byte held.
    used = (100 + 64) + 100 + 200 + 63 * (200 + 96)
    instructions = len(steps) * 6 + 1  # (5 loads and the ecalli each, 1 gas each; the trap)
    assert (10**6 - inst.gas) * 10 - sc.state[0] == used + instructions * 10
    assert sc.state[1] == 10**6 - (5 + 32) - 5 - 6 - 63 * (6 + 32)
    assert cache.get(keys[1]) == (1, values[2]) and [k for k, _ in cache.logged(64)] == [keys[1]] * 64


@pytest.mark.parametrize("kind", [TG, TS])
@pytest.mark.parametrize("present", [True, False])
@pytest.mark.parametrize("edge", ["gas", "budget"])
@pytest.mark.parametrize("spare", [0, -1])  # exactly what is checked, one short
def test_table_kinds_at_their_gas_and_budget_edges(kind: ShortcutKind, present: bool, edge: str, spare: int) -> None:
    """What a TABLE call checks is more than it takes (gas and budget for the largest value the key may hold, 416
    bytes, as pallet-revive charges before it knows): with exactly that left it runs natively and takes cost + per byte
    × the bytes the key held, and budget_cost + per_item × those bytes; one sub-unit or budget unit less and the host
    gets it."""
    from pvmkit.pvm.shortcuts import TABLE_CHECKED

    keys, values = [bytes([7]) * 32] * 8, [bytes([9]) * 32] * 8
    n = 2 if kind is TG else 3
    blob = _table_blob([(n, 0, KEYS_AT, SENT, VALUES_AT + 32, CAPACITY_AT if kind is TG else 32)], keys, values)
    table = ShortcutTable({n: Shortcut(kind, 5000, 3, 11, 2)})
    unit = 1000
    after, remainder = divmod(5000 + 11 * TABLE_CHECKED + (spare if edge == "gas" else 0), unit)
    gas = 7 + after  # (the block: 5 loads, the ecalli and the trap)
    budget = 3 + 2 * TABLE_CHECKED + (spare if edge == "budget" else 0)
    entries = [(keys[0], values[0] if present else None)]
    args = (blob, table, entries, 64, True, unit, remainder, budget, gas, keys[:1])
    jit, reference = _table_run("jit", *args), _table_run("interpreter", *args)
    assert jit == reference
    assert (jit[0] == []) == (spare == 0)
    if spare == 0:
        held = 32 if present else 0
        left = 5000 + 11 * TABLE_CHECKED - (5000 + 11 * held)
        assert jit[2][:2] == [left % unit, budget - (3 + 2 * held)] and jit[1][3] == left // unit


@settings(max_examples=100, deadline=None)
@given(ops=st.lists(st.one_of(
    st.tuples(st.just("put"), st.integers(0, 40), st.sampled_from(["none", "word", "short"])),
    st.tuples(st.just("prepare"), st.booleans(), st.just(""))), max_size=120))  # fmt: skip
def test_the_word_cache_holds_what_it_was_given(ops: list[tuple]) -> None:
    """WordCache against a dict: every key with an entry holds what it was last given; it takes keys while under half
    full, grows in prepare() only with no run using it (keeping every entry), and at its largest starts again empty."""
    from pvmkit.pvm.shortcuts import ABSENT, OTHER, PRESENT, WordCache

    cache = WordCache(capacity=8, max_capacity=32)
    given_: dict[bytes, tuple[int, bytes]] = {}
    for op, arg, how in ops:
        if op == "put":
            key = keccak256(bytes([arg]))[:16] * 2 if arg % 3 else bytes([arg]) * 32  # (some with the same hash)
            value = {"none": None, "word": keccak256(bytes([arg, len(given_)])), "short": b"s"}[how]
            had = key in cache.index
            full = 2 * (len(cache.index) + 1) > cache.capacity
            cache.put(key, value)
            assert (key in cache.index) == (had or not full)
            given_[key] = (ABSENT, bytes(32)) if value is None else (PRESENT, value) if how == "word" else (OTHER,
                                                                                                           bytes(32))
        else:
            cache.users = int(arg)
            before, capacity = dict(cache.index), cache.capacity
            address = cache.address
            cache.prepare()
            if arg or 2 * (len(before) + 1) <= capacity:
                assert cache.capacity == capacity and cache.index == before and cache.address == address
            elif capacity < 32:
                assert cache.capacity == 2 * capacity and set(cache.index) == set(before)
            else:
                assert cache.index == {} and cache.capacity == 32
            cache.users = 0
        for key in cache.index:
            state, value = cache.get(key)  # type: ignore[misc]
            assert state == given_[key][0] and (state != PRESENT or value == given_[key][1])
        assert len(set(cache.index.values())) == len(cache.index) <= cache.capacity // 2


def test_a_cache_that_grows_between_calls_answers_as_the_interpreter() -> None:
    """A list pushed 60 times writes 61 keys: the cache turns keys away at half full and grows before later calls.
    Reading every item back gives what the interpreter gives, mostly natively."""
    from pvmkit.env import Env
    from pvmkit.revive.address import parse_address

    from .conftest import load_contract

    results = []
    for backend in ("jit", "interpreter"):
        env = Env(backend=backend)
        store = env.deploy_contract(load_contract("Storage"))
        pushed = [store.push(i * 7) for i in range(60)]
        items = [store.list(i) for i in range(60)]
        contract = env.chain.state.contracts[parse_address(store.address)]
        results.append((pushed, items, dict(contract.storage)))
        if backend == "jit":
            assert contract.cache is not None and contract.cache.capacity >= 128
    assert results[0] == results[1] and results[0][1] == [i * 7 for i in range(60)]


# EVENT (deposit_event) into an EventBuffer, and HALT (seal_return), which ends the run.
EV, HA = ShortcutKind.EVENT, ShortcutKind.HALT


class _Halted(Exception):
    """The reference's HALT: the run ends at the ecalli."""


def _event_reference(inst: Instance, table: ShortcutTable, sc: Shortcuts, records: list, host: object) -> object:
    """What EVENT and HALT promise (shortcuts.py): done when every condition holds, else the host's."""
    from pvmkit.pvm.shortcuts import EVENT_BUFFER, EVENT_DATA, EVENT_TOPICS, HALT_DATA

    m = inst.module.memory_map

    def _writable(address: int, length: int) -> bool:  # (this program's regions: its stack may be bigger)
        end = address + length
        return (m.rw_data_address <= address and end <= m.rw_data_address + m.rw_data_size) or (
            m.stack_address_low <= address and end <= m.stack_address_high)

    def on_ecalli(n: int, r: MutableSequence[int], gas: int) -> int:
        shortcut = table.calls.get(n)
        remainder, budget, on, _, used, _ = sc.state
        a0, a1, a2, a3 = (x & SENT for x in r[7:11])
        left = gas * sc.unit + remainder
        if shortcut is not None and shortcut.kind is EV:
            size = 8 + 32 * a1 + (a3 + 7) // 8 * 8
            cost = shortcut.cost + shortcut.length * a3 + shortcut.per_item * a1
            applies = (on and sc.events is not None and sc.writes and a1 <= EVENT_TOPICS and a3 <= EVENT_DATA
                       and (a1 == 0 or _writable(a0, 32 * a1)) and (a3 == 0 or _writable(a2, a3))
                       and used + size <= EVENT_BUFFER)  # fmt: skip
        elif shortcut is not None and shortcut.kind is HA:
            cost = shortcut.cost + shortcut.length * a2
            applies = on and a0 & ~1 == 0 and a2 <= HALT_DATA and (a2 == 0 or _writable(a1, a2))
        else:
            applies = False
        if not (applies and cost < U64 and left < U64 and left >= cost and budget >= shortcut.budget_cost):
            return host(n, r, gas)  # type: ignore[operator]
        sc.state[1] -= shortcut.budget_cost
        gas, sc.state[0] = divmod(left - cost, sc.unit)
        if shortcut.kind is HA:
            sc.state[5] = 1
            inst.gas = gas
            raise _Halted
        records.append((tuple(inst.read_memory(a0 + 32 * i, 32) for i in range(a1)), inst.read_memory(a2, a3)))
        sc.state[4] += size
        return gas

    return on_ecalli


def _event_run(backend: str, blob: ProgramBlob, table: ShortcutTable, writes: bool, unit: int, remainder: int,
               budget: int, gas: int, used: int) -> tuple:  # fmt: skip
    """Run with an EventBuffer `used` bytes full (the JIT) or the reference (the interpreter): the calls the host got,
    the outcome, the state, and the records emitted."""
    from pvmkit.pvm.shortcuts import EventBuffer

    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = gas
    events = EventBuffer()
    if used:  # one record (no topics) that fills them
        ctypes.memmove(events.address, struct.pack("<II", 0, used - 8), 8)
    sc = Shortcuts(table, unit, [remainder, budget, 1, 0, used, 0], [], b"", None, writes, events)
    calls: list = []
    host = _host(calls, sc, 4)  # (and the event bytes not yet taken)

    if backend == "jit":
        intr = inst.serve(host, sc)  # type: ignore[arg-type]
        records = events.records(sc.state[4])[used and 1 :]  # (the first record fills what was `used`)
        outcome = _outcome(inst, intr)
    else:
        records = []
        try:
            outcome = _outcome(inst, inst.serve(_event_reference(inst, table, sc, records, host)))  # type: ignore[arg-type]
        except _Halted:
            outcome = (InterruptKind.ECALLI, inst.program_counter, list(inst.regs), inst.gas, inst.memory.contents())
    return calls, outcome, list(sc.state), records


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), writes=st.sampled_from([True, True, False]), unit=st.sampled_from([2, 1000, 1000, 2**40]),
       remainder=st.integers(0, 3000), budget=st.one_of(st.integers(0, 100), st.just(U64 - 1)),
       gas=st.one_of(st.integers(0, 600), st.integers(10**4, 10**7)),
       used=st.sampled_from([0, 0, 0, 8, 3000, 4096 - 552, 4096 - 544, 4096 - 8]))  # fmt: skip
def test_event_and_halt_shortcuts_answer_as_the_python_reference(data, writes, unit, remainder, budget, gas,
                                                                 used) -> None:  # fmt: skip
    """deposit_event (0..5 topics, 0..417 bytes of data) and seal_return (flags, lengths up to past 128 KiB) at
    pointers inside and across the regions' edges, with the event buffer nearly full or not, read-only runs, gas and
    budget around each cost: the JIT answers natively exactly what the reference does (and a seal_return answered
    natively ends the run at the ecalli), with the same records, memory, registers and gas."""
    friendly = data.draw(st.sampled_from([True, True, False]))
    per = st.sampled_from([0, 1, 978] if friendly else [0, 978, 2**50, 2**62])
    costs = st.integers(0, 5000) if friendly else st.one_of(st.integers(0, 5000), st.sampled_from([U64 - 1, 2**63]))
    table = ShortcutTable({2: Shortcut(EV, data.draw(costs), data.draw(st.integers(0, 30)), data.draw(per),
                                       data.draw(st.sampled_from([0, 197_045, 2**32 - 1]))),
                           3: Shortcut(HA, data.draw(costs), data.draw(st.integers(0, 30)), data.draw(per))})
    odd = 1 if friendly else 4
    pointer = st.sampled_from([RW, RW + 0x123, RW + 0x800, STACK_LOW + 64] * (10 - odd) + _ODD_POINTERS * odd)
    topics = st.sampled_from([0, 1, 2, 3, 4] * (10 - odd) + [5, 2**32 + 1] * odd)
    length = st.sampled_from([0, 1, 7, 8, 32, 100, 416] * (10 - odd) + [417, 2**32 + 3] * odd)
    halt_length = st.sampled_from([0, 5, 32, 0x800] * (10 - odd) + [128 * 1024, 128 * 1024 + 1] * odd)
    flags = st.sampled_from([0, 1] * (10 - odd) + [2, 2**32 + 1] * odd)
    kinds = (st.tuples(st.just(2), pointer, topics, pointer, length, st.just(0)),
             st.tuples(st.just(4), pointer, topics, pointer, length, st.just(0)),  # (the host's)
             st.tuples(st.just(3), flags, pointer, halt_length, st.just(0), st.just(0)))
    step = st.sampled_from([0, 0, 0, 0, 1, 2]).flatmap(lambda k: kinds[k])  # (a HALT ends the run: fewer of them)
    steps = data.draw(st.lists(step, min_size=1, max_size=8))
    blob = _table_blob(steps, [keccak256(bytes([i])) for i in range(8)], [keccak256(bytes([9, i])) for i in range(8)],
                       filler=data.draw(_FILLER))
    if friendly:
        unit, gas, budget = 1000, gas + 10**6, U64 - 1
    args = (blob, table, writes, unit, remainder % unit, budget, gas, used)
    assert _event_run("jit", *args) == _event_run("interpreter", *args)


@pytest.mark.parametrize("what", ["event-0-0", "event-4-416", "event-1-7", "halt-0", "halt-32", "halt-revert"])
@pytest.mark.parametrize("spare", [0, -1])  # sub-units: exactly its cost, one short
def test_event_and_halt_at_their_gas_edges(what: str, spare: int) -> None:
    """EVENT costs `cost` + per byte × the data + per topic × the topics, HALT `cost` + per byte × the data: with
    exactly that left they run natively (a record with those topics and data; the run ended at the ecalli, SC_HALTED
    set), one sub-unit less and the host gets them."""
    kind, *sizes = what.split("-")
    unit = 1000
    if kind == "event":
        topics, length = int(sizes[0]), int(sizes[1])
        step, cost = (2, RW + 0x100, topics, STACK_HIGH - length, length, 0), 4000 + 978 * length + 197 * topics
        table = ShortcutTable({2: Shortcut(EV, 4000, 3, 978, 197)})
    else:
        flags, length = (1, 32) if sizes[0] == "revert" else (0, int(sizes[0]))
        step, cost = (3, flags, STACK_HIGH - 32, length, 0, 0), 4000 + 236 * length
        table = ShortcutTable({3: Shortcut(HA, 4000, 3, 236)})
    after, remainder = divmod(cost + spare, unit)
    keys = [keccak256(bytes([i])) for i in range(8)]
    args = (_table_blob([step], keys, keys), table, True, unit, remainder, 3, 7 + after, 0)
    jit, reference = _event_run("jit", *args), _event_run("interpreter", *args)
    assert jit == reference
    assert (jit[0] == []) == (spare == 0)
    if spare == 0:
        assert jit[2][:2] == [0, 0] and jit[1][3] == 0  # (all of it taken, the budget too)
        if kind == "event":
            assert jit[3] == [(tuple(keys[i] for i in range(topics)), b"\0" * length)]
        else:
            assert jit[1][0] is InterruptKind.ECALLI and jit[2][5] == 1 and jit[3] == []


@pytest.mark.parametrize(("what", "native"), [(("event", 4, 416, 0), True), (("event", 4, 417, 0), False),
                                              (("event", 5, 0, 0), False), (("event", 4, 416, 4096 - 552), True),
                                              (("event", 4, 408, 4096 - 544), True),
                                              (("event", 4, 409, 4096 - 544), False),
                                              (("event-cost", 3, 0, 0), True), (("event-cost", 4, 0, 0), False),
                                              (("halt", 128 * 1024, 0), True),
                                              (("halt", 128 * 1024 + 1, 0), False), (("halt", 8, 1), True),
                                              (("halt", 8, 2**32 + 1), True), (("halt", 8, 2), False),
                                              (("halt", 8, 3), False)])  # fmt: skip
def test_event_and_halt_at_their_limits(what: tuple, native: bool) -> None:
    """At most 4 topics, 416 bytes of data and the room left in the buffer (a record is 8 + 32 × topics + the data
    padded to 8 bytes); a cost that fits u64 (cost 2^64 - 4 and 1 per topic: 3 topics do, 4 do not, whatever the
    wrapped sum); at most 128 KiB returned (from a stack that big), with flags 0 or 1 (in the low half): natively up
    to each limit, then the host's."""
    stack = 256 * 1024
    if what[0] == "event":
        _, topics, length, used = what
        step, table = (2, RW, topics, RW, length, 0), ShortcutTable({2: Shortcut(EV, 10, 0, 1, 1)})
    elif what[0] == "event-cost":
        _, topics, length, used = what
        step, table = (2, RW, topics, RW, length, 0), ShortcutTable({2: Shortcut(EV, U64 - 4, 0, 1, 1)})
    else:
        used, (_, length, flags) = 0, what
        step, table = (3, flags, STACK_HIGH - stack, length, 0, 0), ShortcutTable({3: Shortcut(HA, 10, 0, 1)})
    keys = [keccak256(bytes([i])) for i in range(8)]
    blob = _table_blob([step], keys, keys, stack)
    assert Module(blob).memory_map.stack_address_low == STACK_HIGH - stack
    # (for the cost's edge, 2^64 - 1 sub-units left at the ecalli: gas × 2^40 + 2^40 - 1, after the block's 7 gas)
    unit, remainder, gas = (1000, 0, 10**6) if what[0] != "event-cost" else (2**40, 2**40 - 1, 2**24 - 1 + 7)
    args = (blob, table, True, unit, remainder, 0, gas, used)
    jit = _event_run("jit", *args)
    assert jit == _event_run("interpreter", *args)
    assert (jit[0] == []) == native


def _events_session(backend: str) -> list[tuple]:
    from pvmkit.env import Env

    from .conftest import load_contract

    env = Env(backend=backend)
    ev = env.deploy_contract(load_contract("Events"))
    raw = [ev.emitRaw.encode([bytes([t]) * 32 for t in range(n)], (bytes(range(256)) * 2)[:length])
           for n in range(6) for length in (0, 1, 31, 33, 416, 417)]  # fmt: skip
    calls = [ev.emitMany.encode(200), ev.emitThenRevert.encode(5), ev.emitFour.encode(1, 2, b"c" * 32, "four"),
             ev.emitAnon0.encode(9), *raw]
    out = []
    for data in calls:
        r = env.call(ev.address, data)
        out.append((r.success, r.error, r.output, r.weight, r.logs))
    return out


def test_events_emitted_natively_match_the_interpreter() -> None:
    """200 events in one call (the event buffer fills and is taken again and again), an event then a revert, every
    topic count (5: refused) with data from none to one byte past the limit: the same logs, in order, the same
    outputs and weights as on the interpreter."""
    jit = _events_session("jit")
    assert jit == _events_session("interpreter")
    assert len(jit[0][4]) == 200 and [log.topics[1] for log in jit[0][4]] == [i.to_bytes(32, "big") for i in
                                                                               range(200)]  # fmt: skip
    assert sum(1 for r in jit if r[0]) > 20 and sum(1 for r in jit if not r[0]) >= 7


def test_a_handler_sees_the_native_writes_made_before_it() -> None:
    """A key read (so cached), written natively, then asked about by a host call that reaches Python
    (contains_storage): the handler sees the write (what native code wrote is taken before any handler runs), on the
    JIT as on the interpreter, and the key's value after the call is the written one."""
    from pvmkit.env import Env
    from pvmkit.pvm.asm import assemble

    names = ["get_storage", "set_storage", "contains_storage", "seal_return"]
    imports = "".join(f'%import {i} "{n}"\n' for i, n in enumerate(names))
    key, value, capacity, out = RW, RW + 32, RW + 64, RW + 96
    lines = [f"u64 [{value:#x}] = 7", f"u32 [{capacity:#x}] = 32",
             "a0 = 0", f"a1 = {key:#x}", "a2 = 0xffffffff", f"a3 = {out:#x}", f"a4 = {capacity:#x}", "ecalli 0",
             "a0 = 0", f"a1 = {key:#x}", "a2 = 0xffffffff", f"a3 = {value:#x}", "a4 = 32", "ecalli 1",
             "a0 = 0", f"a1 = {key:#x}", "a2 = 0xffffffff", "ecalli 2", f"u64 [{out:#x}] = a0",
             "a0 = 0", f"a1 = {out:#x}", "a2 = 8", "ecalli 3", "trap"]  # fmt: skip
    code = "pub @deploy:\n    ret\n    trap\npub @call:\n" + "".join(f"    {line}\n" for line in lines)
    blob = assemble("%rw_data_size = 4096\n%stack_size = 4096\n" + imports + code).write()
    results = []
    for backend in ("interpreter", "jit"):
        env = Env(backend=backend)
        address = env.deploy(blob)
        first = env.call(address, b"")  # (the key is not cached yet: its read reaches Python, which caches it)
        second = env.call(address, b"")  # (read and written natively)
        results.append([(r.success, r.output, r.weight) for r in (first, second)])
    assert results[0] == results[1] and results[0][0][1] == (32).to_bytes(8, "little")


def test_a_cache_does_not_move_while_an_outer_frame_uses_it() -> None:
    """Caller -> Callee -> Caller (reentry): while the outer Caller frame waits in its call, its cache is filled to
    the brim, so the inner frame's start would grow it; it must not move (native code of the outer frame holds its
    address), and both frames' storage still comes out as on the interpreter."""
    from pvmkit.env import Env
    from pvmkit.revive import syscalls
    from pvmkit.revive.address import parse_address

    from .conftest import load_contract

    results = []
    for backend in ("interpreter", "jit"):
        env = Env(backend=backend)
        callee = env.deploy_contract(load_contract("Callee"))
        caller = env.deploy_contract(load_contract("Caller"))
        contract = env.chain.state.contracts[parse_address(caller.address)]
        caller.startReentry(callee, 1)  # (the cache made, its keys cached)
        moved = []
        call = syscalls.SYSCALLS["call"]

        def crowding(h: syscalls.Host, r: syscalls.Regs, call: syscalls.Handler = call, contract: object = contract,
                     moved: list = moved) -> int | None:  # fmt: skip
            cache = contract.cache
            if cache is None or h.frame.contract is not contract:
                return call(h, r)
            address, i = cache.address, 0
            while 2 * (len(cache.index) + 1) <= cache.capacity:  # (dummy keys up to where it turns keys away)
                cache.put(keccak256(b"filler%d" % i), None)
                i += 1
            try:
                return call(h, r)
            finally:
                moved.append(cache.address != address)

        syscalls.SYSCALLS["call"] = crowding  # (not monkeypatch.undo(): that would undo the fixture's delenv too)
        env.chain._code.clear()
        try:
            out = caller.startReentry(callee, 5)
        finally:
            syscalls.SYSCALLS["call"] = call
        results.append((out, caller.reentered(), dict(contract.storage)))
        assert moved == ([False] if backend == "jit" else [])
    assert results[0] == results[1] and results[0][:2] == (11, 2)


def test_a_warm_erc20_transfer_never_reaches_python() -> None:
    """On the JIT, a transfer between accounts whose balances were read before runs without a single host call
    reaching Python (its reads, writes, hashes, event and return are native); a transfer to a new account reaches it
    once, for the read that caches the new balance's key. Views too, those without arguments included (their selector
    is a word read at offset 0 of 4 bytes of call data, zero-padded)."""
    from pvmkit.env import Env
    from tests.conftest import ALICE

    from .conftest import load_contract

    env = Env(backend="jit")
    token = env.deploy_contract(load_contract("ERC20"), "T", "T", 1000)  # (from ALICE, who holds them all)
    token.transfer(BOB, 1)
    reached = _count_handlers(env, token.address)
    token.transfer(BOB, 2)
    assert reached == []
    carol = bytes(range(1, 21))
    token.transfer(carol, 3)
    assert reached == ["_get_storage"]
    assert token.balanceOf(BOB) == 3 and token.balanceOf(carol) == 3 and token.balanceOf(ALICE) == 994
    assert token.totalSupply() == 1000 and token.decimals() == 18 and token.allowance(ALICE, BOB) == 0
    assert reached == ["_get_storage", "_get_storage"]  # (the allowance's key, read for the first time)


def test_consecutive_slots_spread_over_the_cache() -> None:
    """Solidity's keys: plain slots 0, 1, 2, ... and array items keccak(p) + i differ only in their last bytes (the
    top of the key's last little-endian word). They must still start their probes all over the table: 6,000 of them
    in 16,384 entries probe at most a few entries past their start (found in review: the hash once ignored those
    bytes, so 8,000 array items took 5x as long as without the cache)."""
    from pvmkit.pvm.shortcuts import WordCache

    cache = WordCache(capacity=1 << 14, max_capacity=1 << 14)
    base = int.from_bytes(keccak256((6).to_bytes(32, "big")), "big")
    keys = [(base + i).to_bytes(32, "big") for i in range(3000)] + [i.to_bytes(32, "big") for i in range(3000)]
    for key in keys:
        cache.put(key, key)
    assert len(cache.index) == 6000
    assert max((i - cache.home(key)) & cache.mask for key, i in cache.index.items()) <= 16
    assert len({cache.home(key) for key in keys}) > 4000


def test_an_interrupt_while_native_writes_are_taken_leaves_the_cache_holding_nothing_wrong() -> None:
    """Ctrl-C while the host takes a run's native writes: the transaction is undone, and the cache, which held the
    writes the storage never got, forgets everything; the next transfer runs as if nothing happened."""
    from pvmkit.env import Env
    from pvmkit.revive.address import parse_address
    from pvmkit.revive.state import State
    from tests.conftest import ALICE

    from .conftest import load_contract

    env = Env(backend="jit")
    token = env.deploy_contract(load_contract("ERC20"), "T", "T", 1000)
    token.transfer(BOB, 1)
    contract = env.chain.state.contracts[parse_address(token.address)]

    def interrupted(self: State, info: object, words: list) -> None:
        raise KeyboardInterrupt

    set_words = State.set_words
    State.set_words = interrupted  # type: ignore[method-assign]  # (monkeypatch.undo() would undo the fixture too)
    try:
        with pytest.raises(KeyboardInterrupt):
            token.transfer(BOB, 5)
    finally:
        State.set_words = set_words  # type: ignore[method-assign]
    assert contract.cache is not None and contract.cache.index == {}
    assert token.balanceOf(BOB) == 1 and token.balanceOf(ALICE) == 999
    token.transfer(BOB, 5)
    assert token.balanceOf(BOB) == 6 and token.balanceOf(ALICE) == 994


def test_serve_goes_on_after_a_halt_when_asked() -> None:
    """A HALT ends serve() at its ecalli with state[5] = 1; serving again with the same shortcuts goes on after it
    (the flag back to 0 while it runs), to the next HALT."""
    blob = _table_blob([(3, 0, RW, 8, 0, 0), (3, 1, RW + 8, 4, 0, 0)], [bytes(32)] * 8, [bytes(32)] * 8)
    table = ShortcutTable({3: Shortcut(HA, 10, 0, 1)})
    inst = Module(blob, ModuleConfig(backend="jit")).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 1000
    sc = Shortcuts(table, 10, [0, 0, 1, 0, 0, 0], [], b"")
    calls: list = []
    host = lambda n, r, gas: calls.append(n) or gas  # noqa: E731
    first = inst.serve(host, sc)
    assert first.kind is InterruptKind.ECALLI and sc.state[5] == 1 and inst.regs[9] == 8
    second = inst.serve(host, sc)
    assert second.kind is InterruptKind.ECALLI and second.pc > first.pc and sc.state[5] == 1 and inst.regs[7] == 1
    assert inst.serve(host, sc).kind is InterruptKind.TRAP and sc.state[5] == 0 and calls == []


@pytest.mark.parametrize(("flags", "pointer", "length", "rw_size"), [
    (0x3_00000000, 0x1_00020000, 0x2_00000008, 0x1000),  # junk in every high half: flags 0, 8 bytes at RW
    (0x1_00000001, 0x20010, 0x20, 0x1000),  # a revert
    (0, 0x20000, 0x10001, 0x21000), (0, 0x20000, 0x20000, 0x21000),  # past 64 KiB, and the most there is
    (0, 0x20000, 0x20001, 0x21000),  # one byte past the most: ReturnDataTooLarge
    (2, 0x20000, 8, 0x1000),  # unknown flags: InvalidCallFlags
])  # fmt: skip
def test_seal_return_answered_natively_gives_what_the_interpreter_gives(flags: int, pointer: int, length: int,
                                                                         rw_size: int) -> None:  # fmt: skip
    """seal_return with junk in its registers' high halves, reverting, returning up to 128 KiB or one byte more, or
    with flags it may not have: the same outcome, output and weight on the JIT (natively where it can) and on the
    interpreter."""
    from pvmkit.env import Env
    from pvmkit.pvm.asm import assemble

    code = (f"pub @deploy:\n    ret\n    trap\npub @call:\n    a0 = 0x1122334455667788\n    u64 [0x20000] = a0\n"
            f"    a0 = {flags:#x}\n    a1 = {pointer:#x}\n    a2 = {length:#x}\n    ecalli 0\n    trap\n")  # fmt: skip
    blob = assemble(f'%rw_data_size = {rw_size}\n%stack_size = 4096\n%import 0 "seal_return"\n' + code).write()
    results = []
    for backend in ("interpreter", "jit"):
        env = Env(backend=backend)
        r = env.call(env.deploy(blob), b"")
        results.append((r.success, r.reverted, r.error, r.output, r.weight))
    assert results[0] == results[1]
    if length & 0xFFFFFFFF == 8 and flags & 0xFFFFFFFF == 0:
        assert results[0][:2] == (True, False) and results[0][3] == (0x1122334455667788).to_bytes(8, "little")


def test_a_schedule_whose_topics_cost_proof_size_leaves_events_to_the_host() -> None:
    """EVENT takes no proof size per topic: with a schedule where deposit_event_topic costs some, the plan gives
    deposit_event no shortcut, and the JIT's weight (proof size included) is the interpreter's."""
    import dataclasses

    from pvmkit.env import Env
    from pvmkit.revive.config import RuntimeConfig, Schedule

    from .conftest import load_contract

    costs = dict(Schedule().costs)
    costs["deposit_event_topic"] = (costs["deposit_event_topic"][0], 0, 1000)
    config = RuntimeConfig(schedule=dataclasses.replace(Schedule(), costs=costs))
    results = []
    for backend in ("interpreter", "jit"):
        env = Env(backend=backend, config=config)
        token = env.deploy_contract(load_contract("ERC20"), "T", "T", 1000)
        r = env.call(token.address, _TRANSFER)
        results.append((r.success, r.weight, r.logs))
    assert results[0] == results[1] and results[0][1].proof_size >= 3000


def test_shortcuts_answer_natively_after_reset_memory() -> None:
    """reset_memory() gives the instance a new space, whose shortcut header must be written again."""
    table = ShortcutTable({1: Shortcut(ShortcutKind.VALUE, 10)})
    inst = Module(_blob([(RW, 0, 1), (RW, 0, 3)]), ModuleConfig(backend="jit")).instantiate()
    for round_ in range(2):
        if round_:
            inst.reset_memory()
        inst.set_next_program_counter(0)
        inst.gas = 1000
        seen: list[int] = []
        sc = Shortcuts(table, 1000, [0, 0, 1, 0, 0, 0], [77 + round_], b"")

        def host(n: int, r: MutableSequence[int], gas: int, seen: list[int] = seen) -> int:
            seen.append(n)
            return gas

        inst.serve(host, sc)
        assert seen == [3]


def _count_handlers(env: Env, address: str) -> list[str]:
    """The names of the handlers on_ecalli reaches from now on for the contract at `address` (shortcuts stay on)."""
    from pvmkit.revive.address import parse_address

    code_hash = env.chain.state.contracts[parse_address(address)].code_hash
    code = env.chain.code(code_hash)
    reached: list[str] = []
    env.chain._code[code_hash] = code._replace(handlers=[
        None if h is None else (lambda h_, r, h=h: reached.append(h.__name__) or h(h_, r)) for h in code.handlers
    ])  # fmt: skip
    return reached


@pytest.mark.parametrize("offset, native", [(0, True), (9, True), (10, True), (11, False), (42, False),
                                            (0xFFFFFFE0, False), (0xFFFFFFFF, False), (1 << 32, True)])  # fmt: skip
@pytest.mark.parametrize("inp", [b"", bytes(range(1, 11))])
def test_call_data_load_up_to_the_end_of_the_call_data_is_native(inp: bytes, offset: int, native: bool) -> None:
    """The shortcuts' buffer is the call data and 32 zero bytes: a word at an offset up to len(input) inclusive is
    answered natively, zero-padded as the handler pads it; past that the handler answers (zeros too)."""
    from pvmkit.env import Env

    from .test_syscalls import RES, build, ret
    from .test_syscalls import sys as call

    env = Env(backend="jit")
    address = env.deploy(build(call("call_data_load", RES, offset) + ret(RES, 32), {RES: b"\xaa" * 32}))
    reached = _count_handlers(env, address)
    at = offset & 0xFFFFFFFF
    word = inp[at : at + 32]
    result = env.call(address, inp)
    assert result.output == (word + bytes(32 - len(word)))[::-1]
    assert reached == ([] if native and at <= len(inp) else ["_call_data_load"])
    interpreted = Env(backend="interpreter")
    again = interpreted.call(interpreted.deploy(build(call("call_data_load", RES, offset) + ret(RES, 32),
                                                      {RES: b"\xaa" * 32})), inp)  # fmt: skip
    assert (again.output, again.weight, again.gas_used) == (result.output, result.weight, result.gas_used)


def test_the_shortcut_header_follows_the_caches_mask() -> None:
    """The header's fixed words are written again when the WordCache's mask changes at the same address (a grown
    cache whose new entries landed where an older, smaller buffer was)."""
    from pvmkit.pvm import jit
    from pvmkit.pvm.jit import runtime as rt
    from pvmkit.pvm.shortcuts import WordCache

    table = ShortcutTable({1: Shortcut(ShortcutKind.TABLE_GET, 10, 0, 1)})
    inst = Module(_blob([(RW, 0, 3)]), ModuleConfig(backend="jit")).instantiate()
    cache = WordCache(64)
    masks = []
    for mask in (63, 31):
        cache.mask, cache.capacity = mask, mask + 1  # (the same buffer, as a smaller cache at its address)
        inst.set_next_program_counter(0)
        inst.gas = 1000
        inst.serve(lambda n, r, gas: gas, Shortcuts(table, 1000, [0, 0, 1, 0, 0, 0], [], b"", cache))
        masks.append(jit.instance._TABLES.unpack_from(inst._sc_bytes, rt.SC_KECCAK + rt.SHORTCUTS)[2])
    assert masks == [63, 31]
