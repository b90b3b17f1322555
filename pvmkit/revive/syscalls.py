"""pallet-revive's host functions, dispatched by import name (revive.md §1.4, 2503-era `runtime.rs`).

`Host.run()` drives one frame's PVM instance: it syncs PVM gas (fuel) with the frame's weight meter
around every host call, charges each function's weight, reads arguments from a0..a5 (u32 = low
32 bits, packed u64 = hi<<32|lo), and writes results to a0. Any bad guest pointer is `OutOfBounds`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, MutableSequence
from typing import TYPE_CHECKING, NamedTuple

from ..pvm.interpreter import Instance, InterruptKind, Module
from ..pvm.program import Code as ProgramCode
from ..pvm.shortcuts import (
    EVENT_DATA,
    EVENT_TOPICS,
    HALT_DATA,
    HALT_FLAGS,
    TABLE_ABSENT,
    TABLE_CHECKED,
    ShortcutKind,
    Shortcuts,
    ShortcutTable,
    WordCache,
)
from .primitives import (
    ALL_CALL_FLAGS,
    EMPTY_CODE_HASH,
    IMMUTABLE_BYTES,
    NUM_EVENT_TOPICS,
    PAYLOAD_BYTES,
    REVERT,
    SENTINEL,
    STORAGE_KEY_BYTES,
    TRANSIENT,
    U256_MAX,
    CallFlags,
    ExecError,
    PalletError,
    ReturnCode,
    keccak256,
)
from .state import Event, StorageKey, _new_tuple

if TYPE_CHECKING:
    from .config import RuntimeConfig, Schedule
    from .exec import Frame, Stack, WeightMeter

E = PalletError
M32 = 0xFFFFFFFF
M64 = (1 << 64) - 1

Regs = MutableSequence[int]
"""A handler's view of the guest registers (a0 = 7): the interpreter's list, or the JIT context's words."""
Handler = Callable[["Host", Regs], "int | None"]
SYSCALLS: dict[str, Handler] = {}
"""Every host function pvmkit provides, by import symbol. Uploads importing anything else are rejected."""
RESOLC_0_3_0_IMPORTS = frozenset(
    "address balance balance_of base_fee block_author block_hash block_number call call_data_copy call_data_load "
    "call_data_size caller chain_id code_hash code_size delegate_call deposit_event gas_limit gas_price "
    "get_immutable_data get_storage hash_keccak_256 instantiate now origin ref_time_left return_data_copy "
    "return_data_size seal_return set_immutable_data set_storage value_transferred".split()
)


def syscall(name: str, *, mutating: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if mutating:

            def guarded(h: Host, r: Regs) -> int | None:
                if h.frame.read_only:
                    raise ExecError(E.StateChangeDenied, detail=f"{name} in a read-only call")
                return fn(h, r)

            SYSCALLS[name] = guarded
        else:
            SYSCALLS[name] = fn
        return fn

    return register


class _Return(Exception):
    """`seal_return` (or termination): stop the frame with these flags and data."""

    def __init__(self, flags: int, data: bytes) -> None:
        self.flags = flags
        self.data = data


class Code(NamedTuple):
    """What running uploaded code takes besides the module, worked out once per code hash (Chain.code): the handler
    of each import (by ecalli number) and the shortcuts the JIT may answer (Chain.shortcut_plan), with the function
    giving their answers in the table's order (a u256 already as bytes, answers_function), and the pcs of its `call`
    and `deploy` exports (those it has)."""

    module: Module
    handlers: list[Handler | None]
    table: ShortcutTable | None
    answers: Callable[[Host], list[int | bytes]] | None
    exports: dict[str, int]


_ANSWERS: dict[tuple[str, ...], Callable[[Host], list[int | bytes]]] = {}


def answers_function(names: tuple[str, ...]) -> Callable[[Host], list[int | bytes]]:
    """One function giving these getters' answers as the shortcuts take them (a u256 as its 32 bytes), from the
    getters' own expressions (GETTERS), written out and exec'd once per set of names: every frame calls it, and one
    function costs a call's flow less than one per answer."""
    found = _ANSWERS.get(names)
    if found is None:
        items = [f"({GETTERS[n][1]} & U256_MAX).to_bytes(32, 'little')" if GETTERS[n][0] == "u256" else GETTERS[n][1]
                 for n in names]  # fmt: skip
        namespace = dict(globals())
        exec(f"def answers(h):\n    return [{', '.join(items)}]\n", namespace)  # noqa: S102 - GETTERS' own source
        found = _ANSWERS[names] = namespace["answers"]
    return found


class Host:
    """Runs one frame's code and serves its host calls; one lives while its frame's code runs (Host.run)."""

    stack: Stack
    frame: Frame
    code: Code
    module: Module
    config: RuntimeConfig
    schedule: Schedule
    _costs: dict[str, tuple[int, int, int]]
    _meter: WeightMeter  # (a frame keeps its meter; callees get their own and are absorbed after)
    inst: Instance
    shortcuts: Shortcuts | None  # what the JIT answers natively
    _rest: int  # the frame's weight beyond the instance's gas × ref_time_per_fuel (run, _on_ecalli)

    @classmethod
    def run(cls, stack: Stack, frame: Frame) -> ExecReturn:
        """Run the frame's code (its `call` or `deploy` export) to completion, serving its host calls. Errors raised
        meanwhile are the callee's, whatever raised them. (The Host is made here rather than by an __init__: each
        function a contract call's flow goes through costs it ~1.5%.)"""
        code = stack.chain.code(frame.code_hash)  # type: ignore[arg-type]
        self = object.__new__(cls)
        self.stack = stack
        self.frame = frame
        self.code = code
        self.module = code.module
        self.config = stack.config
        self.schedule = stack.config.schedule
        self._costs = self.schedule.costs
        self._meter = frame.weight
        self.shortcuts = None
        self._rest = 0
        inst = self.inst = code.module.instantiate()
        try:
            frame = self.frame
            pc = self.code.exports.get(frame.entry)
            if pc is None:
                raise ExecError(E.CodeRejected, detail=f"the code has no `{frame.entry}` export")
            meter = frame.weight
            per_fuel = self.schedule.ref_time_per_fuel
            # What is left of the frame's weight is fuel (the instance's gas, an i64) × ref_time_per_fuel + `_rest`:
            # the fuel the guest uses is charged as weight at each host call and at the end.
            left = meter.limit_ref - meter.used_ref
            fuel = min(left // per_fuel, I64_MAX)
            rest = self._rest = left - fuel * per_fuel
            sc = cache = None
            code = self.code
            table = code.table
            if inst.answers_shortcuts and table is not None:
                # This frame's shortcuts, with the answers of the getters the JIT may answer natively. (Written out,
                # as run_frame's steps are: each function a call's flow goes through costs it ~1.5%.)
                if table.tables and frame.contract is not None:
                    cache = frame.contract.cache
                    if cache is None:
                        cache = frame.contract.cache = WordCache()
                    if len(cache.index) >= cache.capacity >> 1:  # (prepare() has nothing to do before)
                        cache.prepare()
                # The call data and 32 zero bytes: a word read at up to its end is call_data_load's right-padded word
                # natively too (a call without arguments reads one at 0). No input (forwarded away): every read goes
                # to the handler.
                data = frame.input
                sc = self.shortcuts = Shortcuts(
                    table, per_fuel, [rest, meter.limit_proof - meter.used_proof, 1, 0, 0, 0],
                    code.answers(self) if code.answers is not None else [], b"" if data is None else data + _PADDING,
                    cache, not frame.read_only, self.stack.chain.event_buffer)  # fmt: skip
                if cache is not None:
                    cache.users += 1  # (its entries must not move while native code has their address)
            try:
                intr = inst.start(pc, fuel, self._on_ecalli, sc)
            except _Return as ret:
                return ExecReturn(ret.flags, ret.data)
            finally:
                if sc is not None:
                    if cache is not None:
                        cache.users -= 1
                    if sc.state[3] or sc.state[4]:
                        self._take(sc)
            if sc is not None:
                rest = sc.state[0]
                if not sc.table.budget_free:  # (shortcuts may charge proof size too)
                    meter.used_proof = meter.limit_proof - sc.state[1]
            else:
                rest = self._rest
            meter.used_ref = meter.limit_ref - rest - inst.gas * per_fuel
            kind = intr.kind
            if kind is _FINISHED:
                return NOTHING
            if kind is _ECALLI:  # seal_return, answered natively (a HALT shortcut): charged, its data checked readable
                r = inst._r
                return _new_tuple(ExecReturn, (r[7] & M32, inst.memory.read(r[8] & M32, r[9] & M32)))
            if kind is InterruptKind.NOT_ENOUGH_GAS:
                raise ExecError(E.OutOfGas, detail=f"at pc {intr.pc}")
            if kind is InterruptKind.TRAP:
                raise ExecError(E.ContractTrapped, detail=f"PVM trap at pc {intr.pc}{_trap_hint(inst)}")
            raise ExecError(E.ExecutionFailed, detail=str(intr))
        except ExecError as e:
            e.origin = "callee"
            raise
        finally:
            inst.recycle()  # (no handler keeps the instance or a view of its memory)

    def _on_ecalli(self, index: int, r: Regs, gas: int) -> int:
        """A host call the VM hands over (serve's on_ecalli): charge the fuel used since the last as weight, then the
        call itself and run its handler; the fuel the guest goes on with."""
        meter, per_fuel, sc = self._meter, self.schedule.ref_time_per_fuel, self.shortcuts
        if sc is not None:  # (what shortcuts charged and wrote natively)
            state = sc.state
            if state[3] or state[4]:
                self._take(sc)
            self._rest = state[0]
            if not sc.table.budget_free:
                meter.used_proof = meter.limit_proof - state[1]
        used = meter.limit_ref - self._rest - gas * per_fuel
        meter.used_ref = used
        handlers = self.code.handlers
        handler = handlers[index] if index < len(handlers) else None
        if handler is None:
            raise ExecError(E.InvalidSyscall, detail=f"ecalli {index} names no known import")
        host_fn = self.schedule.host_fn_base
        if used + host_fn > meter.limit_ref:  # (meter.charge_parts(host_fn, 0), inlined)
            raise ExecError(E.OutOfGas)
        meter.used_ref = used + host_fn
        result = handler(self, r)
        if result is not None:
            r[7] = result & M64
        left = meter.limit_ref - meter.used_ref
        fuel = left // per_fuel
        if fuel > I64_MAX:
            fuel = I64_MAX
        rest = self._rest = left - fuel * per_fuel
        if sc is not None:
            state[0] = rest
            if not sc.table.budget_free:
                state[1] = meter.limit_proof - meter.used_proof
        return fuel

    def _take(self, sc: Shortcuts) -> None:
        """Apply what shortcuts wrote natively, in order, before the host looks at its state again: storage writes
        (TABLE_SET, into the cache already) to the contract's storage, and the events (EVENT) to the state's."""
        state, frame, counts = self.stack.state, self.frame, sc.state
        try:
            if counts[3]:
                state.set_words(frame.contract, sc.cache.logged(counts[3]))  # type: ignore[arg-type, union-attr]
                counts[3] = 0
            if counts[4]:
                state.emit_records(frame.account, sc.events.view[: counts[4]].tobytes())  # type: ignore[union-attr]
                counts[4] = 0
        except BaseException:  # (interrupted: writes may be in the cache and not the storage, which it must not hold)
            if sc.cache is not None:
                sc.cache.forget()
            counts[3] = counts[4] = 0  # (the call is failing: what was not taken goes with it)
            raise

    # Guest memory.
    def read(self, ptr: int, length: int) -> bytes:
        try:
            return self.inst.memory.read(ptr, length)
        except ValueError:
            raise ExecError(E.OutOfBounds, detail=f"cannot read {length} bytes at {ptr:#x}") from None

    def write(self, ptr: int, data: bytes) -> None:
        if not data:
            return
        if not self.inst.memory.write_checked(ptr, data):
            raise ExecError(E.OutOfBounds, detail=f"cannot write {len(data)} bytes at {ptr:#x}")

    def read_u256(self, ptr: int) -> int:
        return int.from_bytes(self.read(ptr, 32), "little")

    def write_u256(self, ptr: int, value: int) -> None:
        self.write(ptr, _u256(value))

    def write_output(self, out_ptr: int, out_len_ptr: int, data: bytes, allow_skip: bool, charged: bool = False
                     ) -> None:  # fmt: skip
        """The out_len_ptr protocol: copy min(capacity, len) bytes and store the count (SENTINEL skips). `charged`: the
        host function's weight covers the copy (the pallet's already_charged: storage reads)."""
        if allow_skip and out_ptr == SENTINEL:
            return
        capacity = int.from_bytes(self.read(out_len_ptr, 4), "little")
        n = min(capacity, len(data))
        if not charged:
            self.charge("copy_to_contract", n)
        self.write(out_ptr, data[:n])
        self.write(out_len_ptr, n.to_bytes(4, "little"))

    def charge(self, name: str, n: int = 0) -> None:
        """Charge host function `name`'s weight for n units (`Schedule.cost_parts` inlined: a transfer charges ~20
        times)."""
        base, per, proof = self._costs[name]
        m = self._meter
        ref = m.used_ref + base + per * n
        if ref > m.limit_ref or m.used_proof + proof > m.limit_proof:  # (m.charge_parts, inlined)
            raise ExecError(E.OutOfGas)
        m.used_ref = ref
        m.used_proof += proof

    def charge_each(self, name: str, times: int) -> None:
        """Charge host function `name`'s base weight `times` times at once (a deposit_event's topics)."""
        base, _, proof = self._costs[name]
        m = self._meter
        if m.used_ref + base * times > m.limit_ref or m.used_proof + proof * times > m.limit_proof:
            raise ExecError(E.OutOfGas)
        m.used_ref += base * times
        m.used_proof += proof * times

    def charge_storage(self, name: str, written: int, held: int) -> None:
        """Charge storage function `name` (Schedule.storage) for `written` new bytes and a value of `held` bytes."""
        base, per_written, per_held, proof, proof_per_held = self.schedule.storage[name]
        m = self._meter
        ref = m.used_ref + base + per_written * written + per_held * held
        proof_size = m.used_proof + proof + proof_per_held * held
        if ref > m.limit_ref or proof_size > m.limit_proof:
            raise ExecError(E.OutOfGas)
        m.used_ref, m.used_proof = ref, proof_size

    def adjust_storage(self, name: str, charged: int, held: int) -> None:
        """Give back what charge_storage(name, _, charged) took over a value of `held` bytes, in both dimensions (the
        pallet's adjust_gas gives back a Weight)."""
        _, _, per_held, _, proof_per_held = self.schedule.storage[name]
        self._meter.used_ref -= per_held * (charged - held)
        self._meter.used_proof -= proof_per_held * (charged - held)

    def storage_key(self, key_ptr: int, key_len: int) -> StorageKey:
        if key_len == SENTINEL:
            return (True, self.read(key_ptr, 32))
        if key_len > STORAGE_KEY_BYTES:
            raise ExecError(E.DecodingFailed, detail=f"storage key of {key_len} bytes (max {STORAGE_KEY_BYTES})")
        return (False, self.read(key_ptr, key_len))

    @property
    def caller(self) -> bytes:
        return self.frame.caller


I64_MAX = (1 << 63) - 1
_PADDING = bytes(32)
_FINISHED, _ECALLI = InterruptKind.FINISHED, InterruptKind.ECALLI  # (an enum member's lookup costs ~60 ns)


def _trap_hint(inst: Instance) -> str:
    """What a trap most likely was, when the registers say: a stack pointer below the stack is a stack overflow
    (resolc 0.3.0 code lowers sp in some loops without restoring it), which "trap at pc N" alone never suggests."""
    sp = inst._r[1] & M32
    low = inst.module.memory_map.stack_address_low
    if sp < low:
        return f" (stack overflow: sp {sp:#x} is below the stack, which starts at {low:#x})"
    pc = inst.program_counter
    heap = _heap_checks(inst.module.code).get(pc) if pc is not None else None
    if heap is not None:
        return (f" (a memory offset past the {heap:,}-byte heap: resolc's allocator traps here; compile with a larger "
                "heap_size)")  # fmt: skip
    return ""


@functools.lru_cache(maxsize=64)
def _heap_checks(code: ProgramCode) -> dict[int, int]:
    """The `trap`s that resolc's allocator jumps to when memory would pass its heap (`jump @trap if size >u HEAP`),
    with the heap's size: a trap there is the heap running out (found in review: said as any trap). Decoded once
    per code, when one of its frames first traps."""
    checks, pc, end = {}, 0, len(code)
    while pc < end:
        inst, _ = code.decode(pc)
        if inst.name == "branch_greater_unsigned_imm" and inst.args[1] >= 1024 and inst.args[2] < end:
            checks[inst.args[2]] = inst.args[1]
        pc = inst.next_pc
    return {target: size for target, size in checks.items() if code.decode(target)[0].name == "trap"}


def _u256(value: int) -> bytes:
    """A U256 as the guest reads it: 32 bytes, little-endian."""
    return (value & U256_MAX).to_bytes(32, "little")


def _hi_lo(x: int) -> tuple[int, int]:
    return (x >> 32) & M32, x & M32


def _reducible(h: Host, address: bytes) -> int:
    """Balance a contract can see: free minus the existential deposit (the pallet's reducible balance)."""
    return max(h.stack.state.free(address) - h.config.existential_deposit, 0)


# Context getters.
GETTERS: dict[str, tuple[str, str]] = {}
"""Context getters by import symbol: (kind, the expression of their value over the Host `h`); their handlers evaluate
it, and answers_function gives the same values to the JIT."""


def _getter(name: str, kind: str, expression: str) -> None:
    """Register a context getter: `bytes` written at a0, a `u256` written little-endian at a0, or a0 = `u64`."""
    value: Callable[[Host], object] = eval(f"lambda h: {expression}")  # noqa: S307 - the table's own source

    def u64(h: Host, r: Regs) -> int:
        h.charge(name)
        return value(h)  # type: ignore[return-value]

    def u256(h: Host, r: Regs) -> None:
        h.charge(name)
        h.write_u256(r[7] & M32, value(h))  # type: ignore[arg-type]

    def raw(h: Host, r: Regs) -> None:
        h.charge(name)
        h.write(r[7] & M32, value(h))  # type: ignore[arg-type]

    GETTERS[name] = (kind, expression)
    SYSCALLS[name] = {"u64": u64, "u256": u256, "bytes": raw}[kind]


for _name, _kind, _expression in (
    ("call_data_size", "u64", "len(h.frame.input or b'')"),  # (0 once forward_input moved the input away)
    ("address", "bytes", "h.frame.account"),
    ("caller", "bytes", "h.frame.caller"),
    ("origin", "bytes", "h.stack.origin"),
    ("block_author", "bytes", "h.stack.chain.block_author"),
    ("balance", "u256", "_reducible(h, h.frame.account)"),
    ("value_transferred", "u256", "h.frame.value"),
    ("block_number", "u256", "h.stack.chain.block_number"),
    ("now", "u256", "h.stack.chain.timestamp"),
    ("chain_id", "u256", "h.config.chain_id"),
    ("base_fee", "u256", "h.config.base_fee"),
    ("minimum_balance", "u256", "h.config.existential_deposit"),
    ("gas_price", "u64", "h.config.gas_price"),
    ("gas_limit", "u64", "h.config.block_ref_time_limit"),
    ("ref_time_left", "u64", "h.frame.weight.ref_left"),
):
    _getter(_name, _kind, _expression)


@syscall("balance_of")
def _balance_of(h: Host, r: Regs) -> None:
    h.charge("balance_of")
    address = h.read(r[7] & M32, 20)
    h.write_u256(r[8] & M32, _reducible(h, address))


@syscall("block_hash")
def _block_hash(h: Host, r: Regs) -> None:
    h.charge("block_hash")
    number = h.read_u256(r[7] & M32)
    h.write(r[8] & M32, h.stack.chain.block_hash(number))


@syscall("weight_left")
def _weight_left(h: Host, r: Regs) -> None:
    h.charge("weight_left")
    w = h.frame.weight
    # SCALE-encoded Weight: two compact u64; written with the out_len protocol.
    h.write_output(r[7] & M32, r[8] & M32, _compact(w.ref_left) + _compact(w.proof_left), False)


@syscall("code_hash")
def _code_hash(h: Host, r: Regs) -> None:
    h.charge("code_hash")
    address = h.read(r[7] & M32, 20)
    contract = h.stack.contract_at(address)
    if contract is not None:
        value = contract.code_hash
    else:
        value = EMPTY_CODE_HASH if h.stack.state.exists(address) else bytes(32)
    h.write(r[8] & M32, value)


@syscall("own_code_hash")
def _own_code_hash(h: Host, r: Regs) -> None:
    h.charge("own_code_hash")
    h.write(r[7] & M32, h.frame.contract.code_hash if h.frame.contract else bytes(32))


@syscall("code_size")
def _code_size(h: Host, r: Regs) -> int:
    h.charge("code_size")
    address = h.read(r[7] & M32, 20)
    contract = h.stack.contract_at(address)
    return len(h.stack.state.codes[contract.code_hash].blob) if contract else 0


@syscall("is_contract")
def _is_contract(h: Host, r: Regs) -> int:
    h.charge("is_contract")
    return int(h.stack.contract_at(h.read(r[7] & M32, 20)) is not None)


@syscall("caller_is_origin")
def _caller_is_origin(h: Host, r: Regs) -> int:
    h.charge("caller_is_origin")
    return int(h.caller == h.stack.origin)


@syscall("caller_is_root")
def _caller_is_root(h: Host, r: Regs) -> int:
    h.charge("caller_is_origin")
    return 0  # pvmkit origins are always signed accounts


# Call data and return data.
@syscall("call_data_copy")
def _call_data_copy(h: Host, r: Regs) -> None:
    out_ptr, out_len, offset = r[7] & M32, r[8] & M32, r[9] & M32
    h.charge("call_data_copy", out_len)
    data = h.frame.input
    if data is None:
        raise ExecError(E.InputForwarded)
    if not h.inst.memory.is_writable(out_ptr, out_len):  # before out_len bytes of padding are built (up to 4 GiB)
        raise ExecError(E.OutOfBounds, detail=f"cannot write {out_len} bytes at {out_ptr:#x}")
    chunk = data[offset : offset + out_len] if offset < len(data) else b""
    h.write(out_ptr, chunk + bytes(out_len - len(chunk)))


@syscall("call_data_load")
def _call_data_load(h: Host, r: Regs) -> None:
    h.charge("call_data_load")
    data = h.frame.input
    if data is None:
        raise ExecError(E.InputForwarded)
    offset = r[8] & M32
    word = bytes(32)
    if offset < len(data):
        chunk = data[offset : offset + 32]
        word = (chunk + bytes(32 - len(chunk)))[::-1]  # the word lands as a little-endian U256
    h.write(r[7] & M32, word)


@syscall("return_data_size")
def _return_data_size(h: Host, r: Regs) -> int:
    h.charge("return_data_size")
    return len(h.frame.last_output.data)


@syscall("return_data_copy")
def _return_data_copy(h: Host, r: Regs) -> None:
    out_ptr, out_len_ptr, offset = r[7] & M32, r[8] & M32, r[9] & M32
    data = h.frame.last_output.data
    if offset > len(data):
        raise ExecError(E.OutOfBounds, detail=f"return data offset {offset} > length {len(data)}")
    h.write_output(out_ptr, out_len_ptr, data[offset:], False)


@syscall("seal_return")
def _seal_return(h: Host, r: Regs) -> None:
    flags, ptr, length = r[7] & M32, r[8] & M32, r[9] & M32
    h.charge("seal_return", length)
    if length > 128 * 1024:
        raise ExecError(E.ReturnDataTooLarge)
    data = h.read(ptr, length)  # the pallet reads the data before it parses the flags
    if flags & ~REVERT:
        raise ExecError(E.InvalidCallFlags, detail=f"return flags {flags:#x}")
    raise _Return(flags, data)


@syscall("consume_all_gas")
def _consume_all_gas(h: Host, r: Regs) -> None:
    meter = h.frame.weight
    meter.used_ref = meter.limit_ref
    raise _Return(REVERT, b"")


# Hashing.
def _hash(h: Host, r: Regs, cost: str, fn: Callable[[bytes], bytes]) -> None:
    length = r[8] & M32
    h.charge(cost, length)
    h.write(r[9] & M32, fn(h.read(r[7] & M32, length)))


@syscall("hash_keccak_256")
def _hash_keccak_256(h: Host, r: Regs) -> None:
    _hash(h, r, "hash_keccak_256", keccak256)


@syscall("hash_sha2_256")
def _hash_sha2_256(h: Host, r: Regs) -> None:
    _hash(h, r, "hash_sha2_256", lambda d: hashlib.sha256(d).digest())


@syscall("hash_blake2_256")
def _hash_blake2_256(h: Host, r: Regs) -> None:
    _hash(h, r, "hash_blake2_256", lambda d: hashlib.blake2b(d, digest_size=32).digest())


@syscall("hash_blake2_128")
def _hash_blake2_128(h: Host, r: Regs) -> None:
    _hash(h, r, "hash_blake2_128", lambda d: hashlib.blake2b(d, digest_size=16).digest())


@syscall("ecdsa_to_eth_address")
def _ecdsa_to_eth_address(h: Host, r: Regs) -> int:
    from coincurve import PublicKey

    h.charge("ecdsa_to_eth_address")
    key = h.read(r[7] & M32, 33)
    try:
        uncompressed = PublicKey(key).format(compressed=False)
    except ValueError:
        return ReturnCode.ECDSA_RECOVERY_FAILED
    h.write(r[8] & M32, keccak256(uncompressed[1:])[12:])
    return ReturnCode.SUCCESS


# Storage.
def _storage_flags(flags: int) -> bool:
    if flags & ~TRANSIENT:
        raise ExecError(E.InvalidStorageFlags, detail=f"storage flags {flags:#x}")
    return bool(flags & TRANSIENT)


# The weight each storage function charges, for persistent and for transient storage (the pallet prices each apart:
# found in review, transient storage had one price for all, and take was priced as a read).
_STORAGE_COSTS = {
    "get": ("get_storage", "transient_get"), "take": ("take_storage", "transient_take"),
    "set": ("set_storage", "transient_set"), "clear": ("clear_storage", "transient_clear"),
    "contains": ("contains_storage", "transient_contains"),
}  # fmt: skip


def _read_charged(h: Host, transient: bool, key_ptr: int, key_len: int, op: str = "get"
                  ) -> tuple[StorageKey, bytes | None]:  # fmt: skip
    """(The key, the slot's value), in the pallet's order: charged for a full value, then the key read from guest
    memory, then charged for what was read instead (adjust_gas). `op`: "get" or "take" (priced as a write)."""
    cost = _STORAGE_COSTS[op][transient]
    h.charge_storage(cost, 0, PAYLOAD_BYTES)
    key = h.storage_key(key_ptr, key_len)
    value = _read_slot(h, transient, key)
    h.adjust_storage(cost, PAYLOAD_BYTES, len(value or b""))
    return key, value


def _read_slot(h: Host, transient: bool, key: StorageKey) -> bytes | None:
    if transient:
        return h.stack.state.transient.get((h.frame.account, key))
    contract = h.frame.contract
    return contract.storage.get(key) if contract else None


def _write_slot(h: Host, transient: bool, key: StorageKey, value: bytes | None) -> bytes | None:
    if transient:
        return h.stack.write_transient(h.frame.account, key, value)
    contract = h.frame.contract
    if contract is None:
        raise ExecError(E.ContractNotFound, detail="no contract storage in this frame")
    return h.stack.state.set_storage(contract, key, value)


@syscall("get_storage")
def _get_storage(h: Host, r: Regs) -> int:
    transient = _storage_flags(r[7] & M32)
    key, value = _read_charged(h, transient, r[8] & M32, r[9] & M32)
    if key[0] and not transient and (contract := h.frame.contract) is not None and contract.cache is not None:
        contract.cache.put(key[1], value)  # (the next read of it is native)
    if value is None:
        return ReturnCode.KEY_NOT_FOUND
    h.write_output(r[10] & M32, r[11] & M32, value, False, charged=True)
    return ReturnCode.SUCCESS


@syscall("get_storage_or_zero")
def _get_storage_or_zero(h: Host, r: Regs) -> None:
    transient = _storage_flags(r[7] & M32)
    value = _read_charged(h, transient, r[8] & M32, SENTINEL)[1] or b""
    h.write(r[9] & M32, (value + bytes(32))[:32])


@syscall("contains_storage")
def _contains_storage(h: Host, r: Regs) -> int:
    # As runtime.rs: ContainsStorage for the largest value, adjusted to the stored length (found in review: a flat
    # charge).
    transient = _storage_flags(r[7] & M32)
    cost = _STORAGE_COSTS["contains"][transient]
    h.charge_storage(cost, 0, PAYLOAD_BYTES)
    value = _read_slot(h, transient, h.storage_key(r[8] & M32, r[9] & M32))
    h.adjust_storage(cost, PAYLOAD_BYTES, len(value or b""))
    return SENTINEL if value is None else len(value)


def _set(h: Host, flags: int, key_ptr: int, key_len: int, value_ptr: int | None, value_len: int) -> int:
    """set_storage (a value at `value_ptr`) or clear_storage (None), in the pallet's order: the flags; the charge for
    the new bytes and a full old value (a huge length runs out of gas here); the value's size; the key and the value
    read from guest memory; the charge adjusted to the old value's real length. Returns the old length, or SENTINEL
    if there was none."""
    transient = _storage_flags(flags)
    cost = _STORAGE_COSTS["set" if value_ptr is not None else "clear"][transient]
    h.charge_storage(cost, value_len, PAYLOAD_BYTES)
    if value_len > PAYLOAD_BYTES:
        raise ExecError(E.ValueTooLarge, detail=f"storage value of {value_len} bytes (max {PAYLOAD_BYTES})")
    key = h.storage_key(key_ptr, key_len)
    value = None if value_ptr is None else h.read(value_ptr, value_len)
    old = _write_slot(h, transient, key, value)
    h.adjust_storage(cost, PAYLOAD_BYTES, len(old or b""))
    return SENTINEL if old is None else len(old)


@syscall("set_storage", mutating=True)
def _set_storage(h: Host, r: Regs) -> int:
    return _set(h, r[7] & M32, r[8] & M32, r[9] & M32, r[10] & M32, r[11] & M32)


@syscall("set_storage_or_clear", mutating=True)
def _set_storage_or_clear(h: Host, r: Regs) -> int:
    value_ptr = r[9] & M32
    if not any(h.read(value_ptr, 32)):  # (a word of zeros clears: charged as clear_storage)
        return _set(h, r[7] & M32, r[8] & M32, SENTINEL, None, 0)
    return _set(h, r[7] & M32, r[8] & M32, SENTINEL, value_ptr, 32)


@syscall("clear_storage", mutating=True)
def _clear_storage(h: Host, r: Regs) -> int:
    return _set(h, r[7] & M32, r[8] & M32, r[9] & M32, None, 0)


@syscall("take_storage", mutating=True)
def _take_storage(h: Host, r: Regs) -> int:
    transient = _storage_flags(r[7] & M32)
    key, value = _read_charged(h, transient, r[8] & M32, r[9] & M32, "take")
    if value is None:
        return ReturnCode.KEY_NOT_FOUND
    _write_slot(h, transient, key, None)
    h.write_output(r[10] & M32, r[11] & M32, value, False, charged=True)
    return ReturnCode.SUCCESS


# Immutables and events.
@syscall("set_immutable_data")
def _set_immutable_data(h: Host, r: Regs) -> None:
    ptr, length = r[7] & M32, r[8] & M32
    if length > IMMUTABLE_BYTES:
        raise ExecError(E.OutOfBounds, detail=f"immutable data of {length} bytes (max {IMMUTABLE_BYTES})")
    h.charge("set_immutable_data", length)
    data = h.read(ptr, length)
    frame = h.frame
    if frame.entry != "deploy" or not data or frame.contract is None:
        raise ExecError(E.InvalidImmutableAccess, detail="immutable data can only be set in the constructor, and not "
                                                         "empty")  # (set again, it replaces: so does the pallet's)
    h.stack.state.set_contract_field(frame.contract, "immutable_data", data)


@syscall("get_immutable_data")
def _get_immutable_data(h: Host, r: Regs) -> None:
    # The pallet's order (runtime.rs): charge for the most immutable data there can be, read it (or fail), charge for
    # its real length, and copy it out with that charge covering the copy (found in review: charged before the
    # checks, and the copy charged again as CopyToContract).
    h.charge_storage("get_immutable_data", 0, IMMUTABLE_BYTES)
    frame = h.frame
    if frame.entry == "deploy":
        raise ExecError(E.InvalidImmutableAccess, detail="immutable data cannot be read in the constructor")
    owner = frame.delegate_callee or frame.account
    contract = h.stack.state.contracts.get(owner)
    data = contract.immutable_data if contract else None
    if data is None:
        raise ExecError(E.InvalidImmutableAccess, detail="this contract has no immutable data (its constructor set "
                        "none, or its code was put there without running one, and given none)")  # fmt: skip
    h.adjust_storage("get_immutable_data", IMMUTABLE_BYTES, len(data))
    h.write_output(r[7] & M32, r[8] & M32, data, False, charged=True)


@syscall("deposit_event", mutating=True)
def _deposit_event(h: Host, r: Regs) -> None:
    topics_ptr, num_topics, data_ptr, data_len = r[7] & M32, r[8] & M32, r[9] & M32, r[10] & M32
    # The pallet charges DepositEvent{num_topic, len} before it checks either (found in review: a huge count ran
    # into TooManyTopics here, out of gas there, which a caller sees as another return code).
    h.charge("deposit_event", data_len)
    h.charge_each("deposit_event_topic", num_topics)
    if num_topics > NUM_EVENT_TOPICS:
        raise ExecError(E.TooManyTopics, detail=f"{num_topics} topics (max {NUM_EVENT_TOPICS})")
    if data_len > PAYLOAD_BYTES:
        raise ExecError(E.ValueTooLarge, detail=f"event data of {data_len} bytes (max {PAYLOAD_BYTES})")
    raw = h.read(topics_ptr, 32 * num_topics) if num_topics else b""
    topics = tuple(raw[i : i + 32] for i in range(0, len(raw), 32))
    h.stack.state.emit(Event(h.frame.account, topics, h.read(data_ptr, data_len)))


# Calls.
def _deposit_limit(h: Host, ptr: int | None) -> int | None:
    """The U256 limit at `ptr` (U256::MAX = inherit); None from the newer ABIs, which pass no deposit limit."""
    if ptr is None:
        return None
    value = h.read_u256(ptr)
    return None if value == U256_MAX else value


def _return_code(h: Host, e: ExecError) -> int:
    """Map a failed sub-call to the caller's return code, or re-raise to trap the caller (the last is kept as the
    transaction's inner error, which a revert without a reason may come from)."""
    if e.error is E.TransferFailed:
        code = ReturnCode.TRANSFER_FAILED
    elif e.error is E.DuplicateContract:
        code = ReturnCode.DUPLICATE_CONTRACT_ADDRESS
    elif e.origin != "callee":
        raise e
    elif e.error in (E.OutOfGas, E.StorageDepositLimitExhausted):
        code = ReturnCode.OUT_OF_RESOURCES
    else:
        code = ReturnCode.CALLEE_TRAPPED
    h.stack.inner_error = e
    return code


def _input_for(h: Host, flags: int, ptr: int, length: int) -> bytes:
    """A call's input: the caller's own (cloned or forwarded, at no charge: CallInputCloned is seal_call's input slope,
    none in the 2503-era weights) or read from guest memory (CopyFromContract(len), seal_return's weight). Found in
    review: both were charged as call_data_copy."""
    if flags & CallFlags.CLONE_INPUT or flags & CallFlags.FORWARD_INPUT:
        data = h.frame.input
        if data is None:
            raise ExecError(E.InputForwarded)
        if not flags & CallFlags.CLONE_INPUT:
            h.frame.input = None
            if h.shortcuts is not None:  # (their call data answers no longer hold)
                h.shortcuts.state[2] = 0
        return data
    h.charge("seal_return", length)
    return h.read(ptr, length)


def _finish_call(h: Host, flags: int, out: ExecReturn, out_ptr: int, out_len_ptr: int) -> int:
    if flags & CallFlags.TAIL_CALL:
        raise _Return(out.flags, out.data)
    h.write_output(out_ptr, out_len_ptr, out.data, True)
    return ReturnCode.CALLEE_REVERTED if out.reverted else ReturnCode.SUCCESS


def do_call(
    h: Host, flags: int, callee_ptr: int, ref_time: int, proof: int, deposit_ptr: int | None, value_ptr: int | None,
    in_ptr: int, in_len: int, out_ptr: int, out_len_ptr: int,
) -> int:  # fmt: skip
    """`call` / `delegate_call` (value_ptr None) after argument unpacking."""
    delegate = value_ptr is None
    if flags & ~ALL_CALL_FLAGS:  # (CallFlags::from_bits, before anything is charged)
        raise ExecError(E.InvalidCallFlags, detail=f"call flags {flags:#x}")
    h.charge("delegate_call" if delegate else "call")
    callee = h.read(callee_ptr, 20)
    deposit_limit = _deposit_limit(h, deposit_ptr)
    input_data = _input_for(h, flags, in_ptr, in_len)
    # The value and a delegate call's flags come after the input, as in runtime.rs's call() (found in review: checked
    # first, a call breaking two rules trapped with another error, after other charges).
    if delegate and flags & (CallFlags.ALLOW_REENTRY | CallFlags.READ_ONLY):
        raise ExecError(E.InvalidCallFlags, detail=f"call flags {flags:#x}")
    value = 0 if delegate else h.read_u256(value_ptr)  # type: ignore[arg-type]
    stack = h.stack
    try:
        if delegate:
            out = stack.delegate_call(callee, input_data, weight=(ref_time, proof), deposit_limit=deposit_limit)
        else:
            if value and (flags & CallFlags.READ_ONLY or h.frame.read_only):
                raise ExecError(E.StateChangeDenied, detail="value transfer in a read-only call")
            if value:
                h.charge("call_transfer_surcharge")
            out = stack.call(
                callee, value, input_data, weight=(ref_time, proof), deposit_limit=deposit_limit,
                read_only=bool(flags & CallFlags.READ_ONLY), allow_reentry=bool(flags & CallFlags.ALLOW_REENTRY),
            )  # fmt: skip
    except ExecError as e:
        code = _return_code(h, e)
        h.write(out_len_ptr, bytes(4))  # no output (2025 runtime.rs `call`: unwritable traps the caller)
        return code
    return _finish_call(h, flags, out, out_ptr, out_len_ptr)


@syscall("call")
def _call(h: Host, r: Regs) -> int:
    flags, callee_ptr = _hi_lo(r[7])
    deposit_ptr, value_ptr = _hi_lo(r[10])
    in_len, in_ptr = _hi_lo(r[11])
    out_len_ptr, out_ptr = _hi_lo(r[12])
    return do_call(h, flags, callee_ptr, r[8], r[9], deposit_ptr, value_ptr, in_ptr, in_len, out_ptr, out_len_ptr)


@syscall("delegate_call")
def _delegate_call(h: Host, r: Regs) -> int:
    flags, address_ptr = _hi_lo(r[7])
    in_len, in_ptr = _hi_lo(r[11])
    out_len_ptr, out_ptr = _hi_lo(r[12])
    return do_call(h, flags, address_ptr, r[8], r[9], r[10] & M32, None, in_ptr, in_len, out_ptr, out_len_ptr)


@syscall("call_evm")
def _call_evm(h: Host, r: Regs) -> int:
    # Newer ABI: (u32 flags, u32 callee, u32 value_ptr, u64 gas, u64 input, u64 output); gas u64::MAX = no limit.
    in_len, in_ptr = _hi_lo(r[11])
    out_len_ptr, out_ptr = _hi_lo(r[12])
    gas = r[10]
    ref = M64 if gas == M64 else gas * h.config.schedule.ref_time_per_fuel
    return do_call(h, r[7] & M32, r[8] & M32, ref, M64, None, r[9] & M32, in_ptr, in_len, out_ptr, out_len_ptr)


@syscall("delegate_call_evm")
def _delegate_call_evm(h: Host, r: Regs) -> int:
    in_len, in_ptr = _hi_lo(r[10])
    out_len_ptr, out_ptr = _hi_lo(r[11])
    gas = r[9]
    ref = M64 if gas == M64 else gas * h.config.schedule.ref_time_per_fuel
    return do_call(h, r[7] & M32, r[8] & M32, ref, M64, None, None, in_ptr, in_len, out_ptr, out_len_ptr)


@syscall("instantiate", mutating=True)
def _instantiate(h: Host, r: Regs) -> int:
    ref_time, proof = r[7], r[8]
    deposit_ptr, value_ptr = _hi_lo(r[9])
    input_len, code_hash_ptr = _hi_lo(r[10])
    out_len_ptr, out_ptr = _hi_lo(r[11])
    address_ptr, salt_ptr = _hi_lo(r[12])
    if code_hash_ptr + 32 > M32 or input_len < 32:
        raise ExecError(E.OutOfBounds, detail="instantiate input must start with a 32-byte code hash")
    h.charge("instantiate", input_len - 32)
    code_hash = h.read(code_hash_ptr, 32)
    deposit_limit = _deposit_limit(h, deposit_ptr)
    value = h.read_u256(value_ptr)
    input_data = h.read(code_hash_ptr + 32, input_len - 32)
    salt = None if salt_ptr == SENTINEL else h.read(salt_ptr, 32)
    try:
        address, out = h.stack.instantiate(
            code_hash, value, input_data, salt, weight=(ref_time, proof), deposit_limit=deposit_limit
        )
    except ExecError as e:
        return _return_code(h, e)
    if not out.reverted and address_ptr != SENTINEL:
        h.write(address_ptr, address)
    h.write_output(out_ptr, out_len_ptr, out.data, True)
    return ReturnCode.CALLEE_REVERTED if out.reverted else ReturnCode.SUCCESS


@syscall("terminate", mutating=True)
def _terminate(h: Host, r: Regs) -> None:
    h.charge("terminate")
    beneficiary = h.read(r[7] & M32, 20)
    frame, stack = h.frame, h.stack
    if frame.entry == "deploy":
        raise ExecError(E.TerminatedInConstructor)
    if sum(f.account == frame.account for f in stack.frames) > 1:
        raise ExecError(E.TerminatedWhileReentrant)
    stack.chain.terminate(frame, beneficiary)
    raise _Return(0, b"")


@syscall("weight_to_fee")
def _weight_to_fee(h: Host, r: Regs) -> None:
    h.charge("weight_to_fee")
    fee = (r[7] // h.config.schedule.ref_time_per_fuel) * h.config.gas_price
    h.write_u256(r[9] & M32, fee)


def _compact(value: int) -> bytes:
    """SCALE compact encoding of an unsigned integer."""
    if value < 1 << 6:
        return bytes([value << 2])
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    raw = value.to_bytes((value.bit_length() + 7) // 8, "little")
    return bytes([((len(raw) - 4) << 2) | 3]) + raw


# The host functions a JIT may answer natively (Host.run's shortcuts): the handlers they stand for, so that a replaced
# handler is called instead.
SHORTCUT_KINDS: dict[str, tuple[ShortcutKind, int]] = {
    "call_data_load": (ShortcutKind.WORD, 0),  # (a word past the end of the call data + 32 zeros is the handler's)
    "call_data_size": (ShortcutKind.VALUE, 0),
    "caller": (ShortcutKind.BYTES, 20),
    "value_transferred": (ShortcutKind.BYTES, 32),
    "address": (ShortcutKind.BYTES, 20),
    "origin": (ShortcutKind.BYTES, 20),
    "hash_keccak_256": (ShortcutKind.KECCAK, 0),  # (its cost per byte comes from the schedule: Chain.shortcut_plan)
    "get_storage": (ShortcutKind.TABLE_GET, 0),  # (from the contract's WordCache, ContractInfo.cache)
    "set_storage": (ShortcutKind.TABLE_SET, 0),
    "deposit_event": (ShortcutKind.EVENT, 0),  # (into the chain's EventBuffer; the cost per topic from the schedule)
    "seal_return": (ShortcutKind.HALT, 0),
}
# These shortcuts are pallet-revive's host functions: the same codes and limits.
assert TABLE_ABSENT == ReturnCode.KEY_NOT_FOUND and TABLE_CHECKED == PAYLOAD_BYTES
assert (EVENT_TOPICS, EVENT_DATA, HALT_FLAGS, HALT_DATA) == (NUM_EVENT_TOPICS, PAYLOAD_BYTES, REVERT, 128 * 1024)
SHORTCUTS: dict[str, Handler] = {name: SYSCALLS[name] for name in SHORTCUT_KINDS}

# Last: exec imports this module's Host at its end too, so either may be imported first.
from .exec import NOTHING, ExecReturn  # noqa: E402
