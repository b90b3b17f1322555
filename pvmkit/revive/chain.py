"""The pallet-level API: upload code, instantiate and call contracts as transactions.

`Chain` owns the world state, the block context and the compiled-module cache. Each top-level
call or instantiate is one transaction: the origin's nonce is bumped, a `Stack` runs it, storage
deposits are settled between the origin and the contracts, and on failure everything but the
nonce bump is rolled back. Results carry output, logs, weight and deposit like `bare_call`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import itemgetter

from ..pvm.blob import ProgramBlob, ProgramBlobError
from ..pvm.interpreter import Module, ModuleConfig, load_module, remember
from ..pvm.isa import INVALID, REVIVE_V1, TERMINATORS
from ..pvm.memory import MemoryMap
from ..pvm.shortcuts import (
    ANSWER_BYTES,
    MAX_SHORTCUTS,
    PER_BYTE,
    TABLE_KINDS,
    EventBuffer,
    Shortcut,
    ShortcutKind,
    ShortcutTable,
)
from .config import RuntimeConfig, Weight
from .exec import Frame, MockedReturn, Stack
from .primitives import (
    BASELINE_MEMORY_LIMIT,
    BASIC_BLOCK_SIZE,
    BLOB_BYTES,
    INTERPRETER_CACHE_BYTES,
    PURGABLE_MEMORY_LIMIT,
    REVERT,
    SENTINEL,
    U64_MAX,
    CodeError,
    ExecError,
    PalletError,
    keccak256,
)
from .state import Address, CodeInfo, ContractInfo, Event, Hash, RawEvents, State, _new_tuple, decoded
from .syscalls import SHORTCUT_KINDS, SHORTCUTS, SYSCALLS, Code, answers_function
from .trace import CallTrace, TracingStack

E = PalletError
GENESIS_HASH = bytes([0x45] * 32)
"""Block 0's hash in revive's test runtime (frame_system's default genesis hash), which its specs assert."""
_VALIDATED: dict[tuple[bytes, int], ProgramBlob] = {}  # (code hash, max code size) → the blob that passed
_VALIDATED_LOCK = threading.Lock()  # (held to change it: lookups need none)
DEFAULT_GAS_LIMIT = Weight(100_000_000_000_000, 3 * 1024 * 1024 * 1024)  # revive-runner's GAS_LIMIT
_EVERYTHING = (U64_MAX, U64_MAX)  # a transaction's first frame may use all the transaction has
_FIRST = itemgetter(0)  # (_settle's sort key: an address, or whether a change is a charge)


@dataclass(slots=True, init=False)
class CallResult:
    """Outcome of a top-level call or instantiate (`ContractResult` of `bare_call`)."""

    success: bool
    output: bytes
    reverted: bool
    error: PalletError | None
    error_detail: str
    _logs: list[Event | RawEvents]  # (`logs`: decoded when first read)
    weight: Weight
    gas_used: int
    """`weight.ref_time` in PVM fuel units (one fuel = one instruction of the naive cost model), rounded up: `gas=` this
    much is enough for the same call (found in review: rounded down, it ran out by a fraction of a fuel)."""
    storage_deposit: int
    address: Address | None
    trace: CallTrace | None
    """What each call of the transaction did, when the chain traces (`Chain.tracing`); else None."""
    inner_error: tuple[PalletError, str] | None
    """The last nested call that failed (error and detail), whose caller went on with a return code: what a revert
    without a reason often bubbles up from (MaxCallDepthReached, a callee's OutOfGas); None if none did (found in
    review: the first could be one the contract had handled)."""

    def __init__(self, success: bool, output: bytes = b"", reverted: bool = False, error: PalletError | None = None,
                 error_detail: str = "", logs: list[Event | RawEvents] | None = None, weight: Weight | None = None,
                 gas_used: int = 0, storage_deposit: int = 0, address: Address | None = None,
                 trace: CallTrace | None = None) -> None:  # fmt: skip
        # (written rather than generated, with the defaults: the field behind `logs` is `_logs`, and `logs=` is what
        # callers pass)
        self.success = success
        self.output = output
        self.reverted = reverted
        self.error = error
        self.error_detail = error_detail
        self._logs = [] if logs is None else logs
        self.weight = Weight() if weight is None else weight
        self.gas_used = gas_used
        self.storage_deposit = storage_deposit
        self.address = address
        self.trace = trace
        self.inner_error = None

    @property
    def logs(self) -> list[Event]:
        """The events it emitted, in order (none when it failed)."""
        logs = self._logs
        if logs:
            logs = self._logs = decoded(logs)  # type: ignore[assignment]
        return logs  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:  # (on `logs`: events decoded or not are the same events)
        if type(other) is not CallResult:
            return NotImplemented
        return self.logs == other.logs and all(getattr(self, f) == getattr(other, f) for f in _COMPARED)

    def __repr__(self) -> str:
        state = "success" if self.success else ("reverted" if self.reverted else f"error {self.error_name}")
        return f"CallResult({state}, output=0x{self.output.hex()}, logs={len(self.logs)}, gas_used={self.gas_used})"

    @property
    def error_name(self) -> str | None:
        return self.error.value if self.error else None


_COMPARED = tuple(f.name for f in fields(CallResult) if f.name not in ("_logs", "trace"))


# Contracts under backend 'auto' of up to this many bytes of code are compiled when first instantiated: a contract's
# first call already costs the interpreter more (its blocks compiled to Python) than the JIT's compile. ERC-20 (21 KB)
# in a fresh process, deploy + 0 / 1 / 10 / 100 / 1,000 transfers: 32 / 34 / 36 / 51 / 197 ms compiled at once,
# 32 / 50 / 67 / 114 / 266 interpreted first (ModuleConfig.jit_after), 29 / 50 / 64 / 159 / 551 interpreted only
# (with Python's bytecode cache; without it, importing the JIT costs ~30 ms more). Bigger code is interpreted first:
# a 585 KB program that runs a few instructions took 2 s to deploy compiled at once, 0.25 s interpreted (review).
CONTRACT_JIT_AT_ONCE = 128 << 10


def _import_names(module: Module) -> list[str]:
    """The code's import symbols by ecalli number (an unnamed one as "")."""
    return [s.decode("utf-8", "replace") if s is not None else "" for s in module.blob.imports]


class Chain:
    """An in-memory pallet-revive: state, block context, uploaded code and compiled modules."""

    def __init__(self, config: RuntimeConfig | None = None, module_config: ModuleConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        self.module_config = module_config or ModuleConfig(jit_at_once=CONTRACT_JIT_AT_ONCE)
        self.state = State()
        self.block_number = 1
        self.timestamp = 1  # seconds, as contracts see block.timestamp
        self.block_author = self.config.block_author
        self.block_hashes: dict[int, bytes] = {}
        self._modules: dict[Hash, Module] = {}
        self._code: dict[Hash, Code] = {}
        # The running transaction's contracts whose accounted deposit changed, by identity (one terminated and made
        # again at its address is another): (address, ContractInfo, what it had accounted before the transaction
        # changed it), which _settle moves between the origin and their hold.
        self._touched: dict[int, tuple[Address, ContractInfo, int]] = {}
        # Contracts this transaction terminated, whose balances move when it ends: (address, info, beneficiary, refund).
        self._terminated: list[tuple[Address, ContractInfo, Address, int]] = []
        # Where deposit_event answered natively puts events until the host takes them, before it runs anything else:
        # frame after frame, nested ones too, can use the one buffer.
        self.event_buffer = EventBuffer()
        self.tracing = False  # whether results carry a CallTrace of their calls (`CallResult.trace`)
        # Calls answered without running code (mock_call), by address: (input prefix, value or None, the answer).
        self.mocks: dict[Address, list[tuple[bytes, int | None, MockedReturn]]] = {}
        # Given the input of each call to address.CONSOLE_ADDRESS (console.log) the transaction made, reverted or not,
        # in order, once it is over (console_calls holds them meanwhile); None: nobody listens.
        self.on_console: Callable[[bytes], None] | None = None
        self.console_calls: list[bytes] = []

    # Block context.
    def block_hash(self, number: int) -> bytes:
        """Hash of block `number` if it is one of the 256 before the current one, else zero (EVM BLOCKHASH)."""
        if not self.block_number - 256 <= number < self.block_number:
            return bytes(32)
        if number in self.block_hashes:
            return self.block_hashes[number]
        if number == 0:
            return GENESIS_HASH
        return keccak256(b"pvmkit block " + number.to_bytes(32, "big"))

    def next_block(self, count: int = 1, seconds: int = 6) -> None:
        self.block_number += count
        self.timestamp += seconds * count

    # Balances.
    def set_balance(self, address: Address, free: int) -> None:
        if free < 0:
            raise ValueError("balance must be ≥ 0")
        self.state.set_free(address, free)

    def balance(self, address: Address) -> int:
        return self.state.free(address)

    # Code.
    def validate_code(self, blob: bytes, code_hash: Hash | None = None) -> ProgramBlob:
        """The pallet's upload checks (`limits::code::enforce`); raises CodeError naming the rule broken.
        Blobs that passed are remembered per process (with their decoded code, which module() hands on): a test
        suite's fresh Envs upload the same code again. `code_hash`: keccak256(blob), if the caller has it."""
        key = (code_hash or keccak256(blob), self.config.max_code_size)
        program = _VALIDATED.get(key)
        if program is None:
            program = remember(_VALIDATED, _VALIDATED_LOCK, 256, key, self._validate(blob))
        return program

    def _validate(self, blob: bytes) -> ProgramBlob:
        if len(blob) > min(self.config.max_code_size, BLOB_BYTES):
            raise CodeError(E.BlobTooLarge, f"blob of {len(blob)} bytes exceeds {self.config.max_code_size}")
        try:
            program = ProgramBlob.parse(blob)
        except ProgramBlobError as e:
            raise CodeError(E.CodeRejected, str(e)) from None
        if program.isa is not REVIVE_V1:
            raise CodeError(E.CodeRejected, f"the blob is {program.isa.name}; pallet-revive needs revive_v1")
        for i, symbol in enumerate(program.imports):
            name = symbol.decode("utf-8", "replace") if symbol is not None else None
            if name not in SYSCALLS:  # (limits::code::enforce: CodeRejected; InvalidSyscall is for a run's ecalli)
                raise CodeError(E.CodeRejected, f"import #{i} {name!r} is not a host function")
        code = program.code_view()
        block_len = blocks = 0
        pcs, forms, _ = code.decoded()  # decoded once: the module running this code (and its JIT) reuses it
        for pc, (name, args) in zip(pcs, forms, strict=True):
            if name == INVALID:
                raise CodeError(E.InvalidInstruction, f"invalid instruction at pc {pc}")
            if name == "ecalli" and args[0] & 0xFFFFFFFF == SENTINEL:
                raise CodeError(E.InvalidInstruction, f"ecalli {SENTINEL:#x} at pc {pc}")
            block_len += 1
            if block_len > BASIC_BLOCK_SIZE:
                raise CodeError(E.BasicBlockTooLarge, f"a basic block at pc {pc} exceeds {BASIC_BLOCK_SIZE}")
            if name in TERMINATORS:
                block_len = 0
                blocks += 1
        try:
            mm = MemoryMap.build(ro_data_size=program.ro_data_size, rw_data_size=program.rw_data_size,
                                 stack_size=program.stack_size)  # fmt: skip
        except ValueError as e:
            raise CodeError(E.StaticMemoryTooLarge, str(e)) from None
        # polkavm's estimate_interpreter_memory_usage (bounded cache): 24 bytes per cached instruction or block, 4 per
        # code byte. This is what bounds a contract's instructions (below 2^19, which the JIT compiles), not BLOB_BYTES.
        purgeable = min(INTERPRETER_CACHE_BYTES, 24 * (len(pcs) + blocks)) + 4 * (len(program.code) + 1)
        if purgeable > PURGABLE_MEMORY_LIMIT:
            raise CodeError(E.StaticMemoryTooLarge, f"the interpreter would hold {purgeable} bytes for this code "
                                                    f"(limit {PURGABLE_MEMORY_LIMIT})")  # fmt: skip
        baseline = (program.sections_length() + mm.ro_data_size - len(program.ro_data) + mm.rw_data_size
                    - len(program.rw_data) + (mm.stack_address_high - mm.stack_address_low))  # fmt: skip
        if baseline > BASELINE_MEMORY_LIMIT:
            raise CodeError(E.StaticMemoryTooLarge, f"the code's baseline memory is {baseline} bytes "
                                                    f"(limit {BASELINE_MEMORY_LIMIT})")  # fmt: skip
        return program

    def upload_code(self, origin: Address, blob: bytes, deposit_limit: int | None = None) -> Hash:
        """Validate and store `blob` (keyed by keccak256), charging the upload deposit to `origin`, at most
        `deposit_limit` (None: no limit) or StorageDepositLimitExhausted (the pallet's `upload_code`)."""
        code_hash = keccak256(blob)
        if code_hash in self.state.codes:
            return code_hash
        self.validate_code(blob, code_hash)
        deposit = self.upload_deposit(blob)
        if deposit_limit is not None and deposit > deposit_limit:
            raise CodeError(E.StorageDepositLimitExhausted, f"uploading needs a deposit of {deposit}, over the limit "
                                                            f"of {deposit_limit}")  # fmt: skip
        free = self.state.free(origin)
        if free - deposit < self.config.existential_deposit:
            raise CodeError(E.StorageDepositNotEnoughFunds, f"uploading needs a deposit of {deposit}, have {free}")
        self.state.set_free(origin, free - deposit)
        acct = self.state.ensure_account(origin)
        self.state.set_held(origin, acct.held + deposit)
        self.state.add_code(code_hash, CodeInfo(blob, origin, deposit))
        return code_hash

    def remove_code(self, origin: Address, code_hash: Hash) -> int:
        """The pallet's `remove_code` (ContractBlob::remove): code no contract uses goes, and its upload deposit goes
        back from held to free on its owner, who alone may remove it; returns that deposit. CodeNotFound, CodeInUse,
        then BadOrigin, in the pallet's order."""
        info = self.state.codes.get(code_hash)
        if info is None:
            raise CodeError(E.CodeNotFound, f"no uploaded code with hash 0x{code_hash.hex()}")
        if info.refcount:
            raise CodeError(E.CodeInUse, f"{info.refcount} contract(s) use code 0x{code_hash.hex()}")
        if info.owner != origin:
            raise CodeError(E.BadOrigin, f"only its uploader, 0x{info.owner.hex()}, may remove code "
                                         f"0x{code_hash.hex()}")  # fmt: skip
        self.state.remove_code(code_hash)
        self._modules.pop(code_hash, None)
        acct = self.state.ensure_account(origin)
        released = min(info.deposit, acct.held)  # (the pallet releases BestEffort)
        self.state.set_held(origin, acct.held - released)
        self.state.set_free(origin, self.state.free(origin) + released)
        return released

    def upload_deposit(self, blob: bytes) -> int:
        """The storage deposit uploading `blob` takes: two items (the code and its CodeInfo) and their bytes."""
        return self.config.deposit(2, len(blob) + self.config.code_info_bytes)

    def module(self, code_hash: Hash) -> Module:
        """The compiled module for uploaded code, built once per code hash."""
        module = self._modules.get(code_hash)
        if module is None:
            raw = self.state.codes[code_hash].blob
            parsed = _VALIDATED.get((code_hash, self.config.max_code_size))
            module = self._modules[code_hash] = load_module(raw, self.module_config, parsed)
        return module

    def code(self, code_hash: Hash) -> Code:
        """The module for uploaded code with its handlers and shortcuts (what each frame running it needs), once per
        code hash. (The handlers are those registered when it is first run.)"""
        code = self._code.get(code_hash)
        if code is None:
            module = self.module(code_hash)
            plan = self.shortcut_plan(module)
            table, answers = (plan[0], answers_function(plan[1])) if plan is not None else (None, None)
            exports = {}
            for name in ("call", "deploy"):
                with contextlib.suppress(KeyError):
                    exports[name] = module.export_pc(name)
            code = self._code[code_hash] = Code(module, [SYSCALLS.get(n) for n in _import_names(module)], table,
                                                answers, exports)  # fmt: skip
        return code

    def shortcut_plan(self, module: Module) -> tuple[ShortcutTable, tuple[str, ...]] | None:
        """The imports of the code the JIT may answer natively (syscalls.SHORTCUTS), each with its host function's fixed
        weight plus the base every host call costs, and the host functions whose answers a frame gives, in the table's
        order; None when it imports none. (The schedule's costs are read here, once per code: a schedule does not
        change.)"""
        schedule = self.config.schedule
        names = _import_names(module)
        calls, room = {}, ANSWER_BYTES
        for i, name in enumerate(names[:MAX_SHORTCUTS]):
            if SHORTCUTS.get(name, False) is not SYSCALLS.get(name):  # (none, or a handler replaced since)
                continue
            kind, length = SHORTCUT_KINDS[name]
            if kind in TABLE_KINDS:  # (the key's old value is what TABLE_* charge per byte; TABLE_SET writes 32 bytes)
                base, per_written, per_held, proof, proof_per_held = schedule.storage[name]
                written = 32 * per_written if kind is ShortcutKind.TABLE_SET else 0
                shortcut = Shortcut(kind, schedule.host_fn_base + base + written, proof, per_held, proof_per_held)
            else:
                base, per_byte, proof = schedule.costs[name]
                per_topic, topic_proof = schedule.costs["deposit_event_topic"][::2] if kind is ShortcutKind.EVENT \
                    else (0, 0)  # fmt: skip
                if topic_proof:  # (an EVENT takes no proof size per topic)
                    continue
                shortcut = Shortcut(kind, schedule.host_fn_base + base, proof,
                                    per_byte if kind in PER_BYTE else length, per_topic)  # fmt: skip
            # (a schedule of costs past u64 is left to the handlers; code may import one function many times, and the
            # answers must fit)
            if shortcut.problem() is None and shortcut.answer_size <= room:
                room -= shortcut.answer_size
                calls[i] = shortcut
        if not calls:
            return None
        table = ShortcutTable(calls)
        return table, tuple(names[i] for i in table.numbers)

    # Deposits.
    def base_deposit(self, contract: ContractInfo, code_deposit: int) -> int:
        """A contract's own deposit (storage.rs update_base_deposit): its info record, and its immutable data as a
        second item, plus a share of the code deposit rounded up (Percent::mul_ceil)."""
        immutable = len(contract.immutable_data or b"")
        items = 2 if immutable else 1
        return self.config.deposit(items, self.config.contract_info_bytes + immutable) + (
            -(-code_deposit * self.config.code_hash_lockup_percent // 100)
        )

    def deposit_delta(self, account: Address, contract: ContractInfo) -> int:
        """Deposit change since it was last accounted for this contract (storage items/bytes + base)."""
        config = self.config  # (config.deposit written out: every frame that keeps its changes comes here)
        required = (contract.base_deposit + contract.storage_items * config.deposit_per_item
                    + contract.storage_bytes * config.deposit_per_byte)  # fmt: skip
        accounted = contract.deposit_accounted
        if required != accounted:  # (unchanged: nothing to settle)
            if id(contract) not in self._touched:  # (the entry holds the contract: its id is not reused meanwhile)
                self._touched[id(contract)] = (account, contract, accounted)
            self.state.set_contract_field(contract, "deposit_accounted", required)
        return required - accounted

    def _settle(self, origin: Address) -> None:
        """Move what each touched contract's accounted deposit changed by in this transaction between the origin's free
        balance and the contract's hold. (Its change, not accounted minus held: the hold may also have a deposit for
        code the contract uploaded, which is not the storage's. A transaction that changed no contract's storage size,
        a token transfer say, touched none: it is not called.) Refunds go first, then charges, each in address order,
        as the pallet's storage meter does (execute_postponed_deposits): an origin may pay with what it gets back."""
        state = self.state
        changes = []
        for account, info, before in sorted(self._touched.values(), key=_FIRST):
            if state.contracts.get(account) is info:  # (else gone: terminated, or its instantiation reverted)
                diff = info.deposit_accounted - before
                if diff:
                    changes.append((diff > 0, account, diff))
        for _, account, diff in sorted(changes, key=_FIRST):  # (refunds first; sorted() keeps address order)
            acct = state.ensure_account(account)
            free = state.free(origin)
            if diff > 0 and free - diff < self.config.existential_deposit:
                ed = self.config.existential_deposit  # (found in review: "has 1000, needs 34" read as a contradiction)
                hint = ("; the origin, which pays the deposits, is a contract: an impersonated one signs only where "
                        "nothing else is given as tx.origin" if origin in state.contracts else "")  # (found in review)
                raise ExecError(E.StorageDepositNotEnoughFunds, detail=f"origin has {free} of which it must keep {ed} "
                                f"(the existential deposit), deposit needs {diff}{hint}")  # fmt: skip
            state.set_free(origin, free - diff)
            state.set_held(account, acct.held + diff)

    def terminate(self, frame: Frame, beneficiary: Address) -> None:
        """Remove the frame's contract (2503-era `terminate`): its record and code reference go now, its balances when
        the transaction ends (_release_terminated). The frame's deposit is a refund of what the contract's record had
        accounted before it (storage/meter.rs `terminate`: Refund(info.total_deposit())), in place of the changes the
        frame made, which are never charged."""
        state, account = self.state, frame.account
        contract = state.contracts[account]
        refund = contract.deposit_accounted
        self.deposit_delta(account, contract)  # (accounted as it stands: the frame's end finds no change to charge)
        frame.deposit.amount -= refund
        self._terminated.append((account, contract, beneficiary, refund))
        state.change_refcount(contract.code_hash, -1)
        state.remove_contract(account)

    def _release_terminated(self, origin: Address) -> None:
        """The balances of the contracts this transaction terminated, as the storage meter moves them at its end
        (ReservingExt::charge for a Terminated contract): the refund from the contract's hold back to the origin (at
        most what it holds: BestEffort), then all its free balance to the beneficiary, which reaps the account if
        nothing is left on hold (its nonce goes, code_hash sees no account). The pallet fails the transaction with
        StorageDepositNotEnoughFunds if a move fails (here: the beneficiary's balance overflowing)."""
        state = self.state
        for account, contract, beneficiary, refund in self._terminated:
            if state.contracts.get(account) is contract:
                continue  # (its frame, or one around it, reverted: it was never terminated)
            held = state.ensure_account(account).held
            back = min(refund, held)
            if back:
                state.set_held(account, held - back)
                state.set_free(origin, state.free(origin) + back)
            free = state.free(account)
            if beneficiary == account:  # fungible::Mutate::transfer to itself is Ok and moves nothing (found in
                continue  # review: the balance went, and the account with it): the account keeps its balance
            if (state.free(beneficiary) + free) >> 256:
                raise ExecError(E.StorageDepositNotEnoughFunds,
                                detail=f"the balance of {beneficiary.hex()} would overflow")  # fmt: skip
            state.set_free(account, 0)
            state.set_free(beneficiary, state.free(beneficiary) + free)
            if back == held:  # (nothing left on hold either: the account is reaped)
                state.remove_account(account)

    def mock_call(self, address: Address, data: bytes, output: bytes, value: int | None = None,
                  revert: bool = False) -> None:  # fmt: skip
        """Answer calls to `address` whose input starts with `data` (with `value`, if not None) with `output`, or a
        revert with it, without running code or moving value (foundry's vm.mockCall, vm.mockCallRevert). The mock
        with the longest matching `data` answers; one for the same `data` and `value` replaces the last."""
        mocks = [m for m in self.mocks.get(address, []) if (m[0], m[1]) != (data, value)]
        mocks.append((bytes(data), value, MockedReturn(REVERT if revert else 0, bytes(output))))
        self.mocks[address] = mocks

    # Transactions.
    def transaction(self, origin: Address, gas_limit: Weight | None, deposit_limit: int | None, target: bytes,
                    value: int, data: bytes, read_only: bool = False, deploy: bool = False,
                    salt: bytes | None = None, sender: Address | None = None) -> CallResult:  # fmt: skip
        """A call of the contract at `target`, or with `deploy` an instantiation of the code whose hash it is, as one
        transaction from `origin`: what call() and instantiate() do, with every argument positional (Env.call's way in,
        a function less per call). `sender`: the first frame's caller (its msg.sender, whose value it sends), where
        not the origin, which signs, pays the deposits and stays tx.origin (foundry's prank(sender, origin))."""
        state = self.state
        start = state.checkpoint()
        self._touched.clear()
        self._terminated.clear()
        try:
            bumped = origin not in state.contracts  # a signed transaction bumps the nonce pre-dispatch; a contract as
            if bumped:  # the origin (impersonated: it cannot sign) keeps its CREATE nonce, as in evm.py
                state.bump_nonce(origin)
            checkpoint = state.checkpoint()
            first_event = len(state.events)
            stack = (TracingStack if self.tracing else Stack)(self, origin, gas_limit or DEFAULT_GAS_LIMIT,
                                                                deposit_limit)
            stack.origin_bumped = bumped
            if sender is not None:
                stack.sender = sender
            address = None
            try:
                if deploy:
                    address, out = stack.instantiate(target, value, data, salt, weight=_EVERYTHING, deposit_limit=None)
                else:
                    out = stack.call(target, value, data, weight=_EVERYTHING, deposit_limit=None, read_only=read_only)
                if not out.flags & REVERT:
                    deposit = stack.tx_deposit  # (its limit enforced, and _settle's no-op skipped, without a call each)
                    if deposit.limit is not None and deposit.amount > deposit.limit:
                        raise ExecError(E.StorageDepositLimitExhausted, "callee")
                    if self._terminated:  # (refunds, which the pallet makes before any charge)
                        self._release_terminated(origin)
                    if self._touched:
                        self._settle(origin)
            except ExecError as e:
                state.revert_to(checkpoint)
                root = stack.root if self.tracing else None  # type: ignore[attr-defined]
                if root is not None and root.success:  # (an error once its calls were done, settling deposits say, is
                    root.error, root.error_detail = e.error, e.detail  # the transaction's: found in review)
                used = stack.tx_weight.used
                result = CallResult(False, error=e.error, error_detail=e.detail, weight=used,
                                    gas_used=-(-used.ref_time // self.config.schedule.ref_time_per_fuel))  # fmt: skip
            else:
                reverted = bool(out.flags & REVERT)
                if reverted:
                    state.revert_to(checkpoint)
                meter = stack.tx_weight
                used = _new_tuple(Weight, (meter.used_ref, meter.used_proof))  # (WeightMeter.used, written out)
                result = CallResult(not reverted, out.data, reverted, None, "", state.events[first_event:], used,
                                    -(-used.ref_time // self.config.schedule.ref_time_per_fuel),
                                    0 if reverted else stack.tx_deposit.amount, address)  # fmt: skip
            if self.tracing:
                result.trace = stack.root  # type: ignore[attr-defined]
            if stack.inner_error is not None:
                result.inner_error = (stack.inner_error.error, stack.inner_error.detail)
        except BaseException:  # interrupted (Ctrl-C) anywhere, or a bug: none of it stays, not even the nonce bump
            state.revert_to(start)
            self.console_calls = []  # (nor its console lines: a listener's error would hide this one)
            raise
        finally:
            state.end_transaction()  # (transient storage goes too)
        if self.console_calls:  # (once the transaction is over: a listener may use the chain, found in review)
            self._deliver_console()
        return result

    def _deliver_console(self) -> None:
        calls, self.console_calls = self.console_calls, []
        if self.on_console is not None:
            for data in calls:
                self.on_console(data)

    def instantiate(
        self,
        origin: Address,
        code_hash: Hash,
        data: bytes = b"",
        *,
        value: int = 0,
        salt: bytes | None = None,
        gas_limit: Weight | None = None,
        deposit_limit: int | None = None,
        sender: Address | None = None,
    ) -> CallResult:
        """Instantiate uploaded code (`bare_instantiate`); `result.address` is the new contract. (`sender`: see
        transaction.)"""
        if salt is not None and len(salt) != 32:
            raise ValueError(f"salt must be 32 bytes, got {len(salt)}")
        return self.transaction(origin, gas_limit, deposit_limit, code_hash, value, data, deploy=True, salt=salt,
                                sender=sender)  # fmt: skip

    def call(
        self,
        origin: Address,
        dest: Address,
        data: bytes = b"",
        *,
        value: int = 0,
        gas_limit: Weight | None = None,
        deposit_limit: int | None = None,
        read_only: bool = False,
        sender: Address | None = None,
    ) -> CallResult:
        """Call `dest` as a transaction from `origin` (`bare_call`). (`sender`: see transaction.)"""
        return self.transaction(origin, gas_limit, deposit_limit, dest, value, data, read_only, sender=sender)
