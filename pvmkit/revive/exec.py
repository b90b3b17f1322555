"""The call stack: frames, weight and deposit meters, and call / delegate_call / instantiate.

Follows pallet-revive's `exec.rs` (`Stack`): each frame runs inside a state transaction that
commits only if it returned without REVERT; errors carry an origin (raised while setting up the
call in the caller's frame, or inside the callee) because the two are reported differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from . import precompiles
from .address import CONSOLE_ADDRESS, create1, create2
from .config import Weight
from .primitives import (
    CALL_STACK_DEPTH,
    CALLDATA_BYTES,
    REVERT,
    TRANSIENT_STORAGE_BYTES,
    ExecError,
    PalletError,
)
from .state import Address, ContractInfo, Hash, StorageKey, _new_tuple

if TYPE_CHECKING:
    from .chain import Chain

E = PalletError


class ExecReturn(NamedTuple):
    """What a frame returned: flags (bit 0 = revert) and output bytes. (A NamedTuple: cheaper to build than a frozen
    dataclass, and a frame makes several.)"""

    flags: int = 0
    data: bytes = b""

    @property
    def reverted(self) -> bool:
        return bool(self.flags & REVERT)


class MockedReturn(ExecReturn):
    """What a mocked call returned (Chain.mock_call): no code ran."""


def mocked(mocks: list[tuple[bytes, int | None, MockedReturn]], input_data: bytes, value: int) -> MockedReturn | None:
    """The answer of the mock whose input prefix is the longest that `input_data` starts with, and whose value, if it
    names one, is `value` (one that names it first among equally long ones): foundry's choice among an address's
    (its MockCallDataContext order since foundry#1619: "a more specific calldata precedes a msg.value match")."""
    best, rank = None, (-1, False)
    for prefix, wanted, answer in mocks:
        if input_data.startswith(prefix) and (wanted is None or wanted == value):
            if (len(prefix), wanted is not None) > rank:
                best, rank = answer, (len(prefix), wanted is not None)
    return best


NOTHING = ExecReturn()  # a frame's last_output before it calls anything, and a call that ran no code


class WeightMeter:
    """A frame's weight budget. Charging more than is left fails without charging (`GasMeter::charge`)."""

    __slots__ = ("limit_ref", "limit_proof", "used_ref", "used_proof")

    def __init__(self, limit: Weight) -> None:
        self.limit_ref = limit.ref_time
        self.limit_proof = limit.proof_size
        self.used_ref = 0
        self.used_proof = 0

    @property
    def ref_left(self) -> int:
        return self.limit_ref - self.used_ref

    @property
    def proof_left(self) -> int:
        return self.limit_proof - self.used_proof

    def charge(self, w: Weight) -> None:
        self.charge_parts(w.ref_time, w.proof_size)

    def charge_parts(self, ref_time: int, proof_size: int) -> None:
        """`charge` without building a Weight (host functions charge several times per call)."""
        if self.used_ref + ref_time > self.limit_ref or self.used_proof + proof_size > self.limit_proof:
            raise ExecError(E.OutOfGas)
        self.used_ref += ref_time
        self.used_proof += proof_size

    def nested(self, ref_time: int, proof_size: int) -> WeightMeter:
        """Child budget: the requested limit, capped by what is left (u64::MAX = everything left). (Built without
        __init__ and a Weight: every frame makes one.)"""
        child = _new_meter(WeightMeter)
        left = self.limit_ref - self.used_ref
        child.limit_ref = ref_time if ref_time < left else left
        left = self.limit_proof - self.used_proof
        child.limit_proof = proof_size if proof_size < left else left
        child.used_ref = child.used_proof = 0
        return child

    @property
    def used(self) -> Weight:
        return _new_tuple(Weight, (self.used_ref, self.used_proof))


_new_meter = object.__new__


class DepositMeter:
    """Net storage deposit a frame has caused (negative = refund) against its limit (None = unlimited)."""

    __slots__ = ("limit", "amount")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.amount = 0

    def nested(self, limit: int | None) -> DepositMeter:
        """Child limit = min(requested, what this frame has left); a limit of 0 is a hard zero. (Built without
        __init__, as WeightMeter.nested.)"""
        avail = None if self.limit is None else max(self.limit - self.amount, 0)  # (what it has left)
        child = _new_meter(DepositMeter)
        child.limit = avail if limit is None else limit if avail is None or limit < avail else avail
        child.amount = 0
        return child

    def charge(self, amount: int) -> None:
        self.amount += amount


@dataclass(eq=False, slots=True)
class Frame:
    """One activation on the call stack."""

    account: Address
    caller: Address  # (a delegate frame's is its delegating frame's caller)
    contract: ContractInfo | None
    code_hash: Hash | None
    entry: str  # "call" or "deploy"
    value: int
    input: bytes | None
    read_only: bool
    weight: WeightMeter
    deposit: DepositMeter
    delegate_callee: Address | None = None
    allows_reentry: bool = True
    last_output: ExecReturn = NOTHING
    transient: list[int] | None = None  # its transient storage meter, [limit, amount], once it writes


BALANCE_BITS = 128  # the runtime's Balance (u128): a value past it fails to convert (BalanceConversionFailed)


class Stack:
    """One transaction's call stack (a top-level call or instantiate and everything it calls)."""

    inner_error: ExecError | None = None  # the last failed call a caller went on from (syscalls._return_code)
    origin_bumped = True  # whether the transaction bumped its origin's nonce (not a contract's, as a prank's origin)

    def __init__(self, chain: Chain, origin: Address, weight_limit: Weight, deposit_limit: int | None) -> None:
        self.chain = chain
        self.state = chain.state
        self.config = chain.config
        self.origin = origin
        self.sender = origin  # the first frame's caller: the origin, unless a prank's sender (Env.prank(origin=...))
        self.frames: list[Frame] = []
        # Contracts whose constructor is running: the pallet writes ContractInfoOf only when that frame ends, so
        # until then calls, code_size and code_hash see an account without code (see contract_at).
        self.constructing: set[Address] = set()
        # Transient storage's memory meter (transient_storage.rs StorageMeter): [limit, amount] for the transaction,
        # then one per running frame that writes (Frame.transient); see write_transient.
        self.transient_tx = [TRANSIENT_STORAGE_BYTES, 0]
        # The transaction's meters act as the parent of the first frame (the pallet's TransactionMeter). (Built as
        # nested() builds its children, without __init__: a function less each in a call's flow.)
        self.tx_weight = weight = _new_meter(WeightMeter)
        weight.limit_ref, weight.limit_proof = weight_limit.ref_time, weight_limit.proof_size
        weight.used_ref = weight.used_proof = 0
        self.tx_deposit = deposit = _new_meter(DepositMeter)
        deposit.limit, deposit.amount = deposit_limit, 0

    # Context queries used by host functions.
    @property
    def top(self) -> Frame:
        return self.frames[-1]

    def contract_at(self, address: Address) -> ContractInfo | None:
        """The contract at `address` as other frames see it: None while its constructor runs ("we do not allow to
        call into a contract from its own constructor", exec.rs push_frame)."""
        if address in self.constructing:
            return None
        return self.state.contracts.get(address)

    def allows_reentry(self, account: Address) -> bool:
        return not any(f.account == account and not f.allows_reentry for f in self.frames)

    # Value transfers.
    def _origin_pays_ed(self, account: Address, error: PalletError, detail: str) -> None:
        """Move the existential deposit from the origin into `account` (Preserve: the origin keeps its own ED)."""
        state, ed = self.state, self.config.existential_deposit
        origin_free = state.free(self.origin)
        if origin_free - ed < ed:
            raise ExecError(error, detail=detail)
        state.set_free(self.origin, origin_free - ed)
        state.set_free(account, state.free(account) + ed)

    def transfer(self, sender: Address, dest: Address, value: int) -> None:
        """Move `value` keeping the sender above the existential deposit; a new `dest` gets the ED from the origin
        too (exec.rs `transfer`: a plain balance transfer, not a storage deposit; the origin unable to pay it is
        StorageDepositNotEnoughFunds, a caller-side error that traps a calling contract, the value transfer failing
        TransferFailed)."""
        if value == 0:
            return
        state = self.state
        ed = self.config.existential_deposit
        checkpoint = state.checkpoint()
        try:
            if not state.exists(dest):
                self._origin_pays_ed(dest, E.StorageDepositNotEnoughFunds, "origin cannot pay the ED of a new account")
            sender_free = state.free(sender)
            if sender_free - value < ed:
                raise ExecError(E.TransferFailed, detail=f"balance {sender_free} cannot send {value} and keep the ED")
            if (state.free(dest) + value) >> 256:  # (fungible's transfer fails with ArithmeticError::Overflow)
                raise ExecError(E.TransferFailed, detail=f"the balance of {dest.hex()} would overflow")
            state.set_free(sender, sender_free - value)
            state.set_free(dest, state.free(dest) + value)
        except ExecError:
            state.revert_to(checkpoint)
            raise

    # Frames.
    def _check_depth(self) -> None:
        if len(self.frames) > CALL_STACK_DEPTH:
            raise ExecError(E.MaxCallDepthReached)

    def run_frame(self, frame: Frame, body: Callable[[Frame], ExecReturn] | None = None,
                  before: Callable[[Frame], None] | None = None) -> ExecReturn:  # fmt: skip
        """Push `frame` and run `body` inside a state transaction (without a body: `before`, a value transfer say, then
        the frame's code); unless it reverted, charge its deposit changes and enforce its deposit limit, and commit.

        Weight is always absorbed by the parent; deposits only when the frame's changes persist.
        """
        # (_finalize's and _pop's steps written out rather than called: each function a contract call goes through
        # costs its flow ~1.5% whatever its size.)
        frames = self.frames
        parent = frames[-1] if frames else None
        if parent is not None:
            parent.last_output = NOTHING
            # A contract's changes not yet accounted were made by the frames below (a re-entered or delegating
            # contract's): its caller's, as the pallet charges each write to the frame making it. Else this frame
            # would pay for them against its own limit (found in review: a limit of 0 failed a callee writing none).
            if frame.contract is not None:
                pending = self.chain.deposit_delta(frame.account, frame.contract)
                if pending:
                    parent.deposit.amount += pending
        state = self.state
        checkpoint = state.checkpoint()
        frames.append(frame)
        kept = False
        try:
            if body is not None:
                result = body(frame)
            else:
                if before is not None:
                    before(frame)
                result = Host.run(self, frame)
            if not result.flags & REVERT:  # (not .reverted: a property call per frame adds up)
                deposit, contract = frame.deposit, frame.contract  # `frame_meter.finalize`
                if contract is not None:
                    deposit.amount += self.chain.deposit_delta(frame.account, contract)
                if deposit.limit is not None and deposit.amount > deposit.limit:
                    raise ExecError(E.StorageDepositLimitExhausted, "callee")
                kept = True
        except ExecError:
            state.revert_to(checkpoint)
            raise
        finally:
            frames.pop()
            meter, used = parent.weight if parent else self.tx_weight, frame.weight
            meter.used_ref += used.used_ref
            meter.used_proof += used.used_proof
            if kept:
                (parent.deposit if parent else self.tx_deposit).amount += frame.deposit.amount
                if frame.transient is not None and frame.transient[1]:  # (what it wrote stays: its caller used it too)
                    self._transient_meter(len(frames) - 1)[1] += frame.transient[1]
        if not kept:
            state.revert_to(checkpoint)
        if parent is not None:
            parent.last_output = result
        return result

    def write_transient(self, account: Address, key: StorageKey, value: bytes | None) -> bytes | None:
        """Write a transient slot; returns the old value. Like the pallet's TransientStorage::write, a write of a new
        value charges the frame's meter for the bytes it keeps alive: the value, the storage key (the account's 32
        bytes and the hashed key), a journal entry (48), and for a new slot the map entry (key again and 24); nothing
        is given back when a slot is overwritten or removed, and writing the value already there costs nothing."""
        old = self.state.transient.get((account, key))
        if old == value:
            return old
        if value is not None:
            key_len = 32 + (32 if key[0] else 16 + len(key[1]))  # blake2_256, or Blake2_128Concat of the raw key
            amount = len(value) + key_len + 48 + (key_len + 24 if old is None else 0)
            meter = self._transient_meter(len(self.frames) - 1)
            if meter[1] + amount > meter[0]:
                raise ExecError(E.OutOfTransientStorage)
            meter[1] += amount
        return self.state.set_transient(account, key, value)

    def _transient_meter(self, depth: int) -> list[int]:
        """[limit, amount] of transient storage for frames[depth] (-1: the transaction's), made when first needed (most
        frames write none): a frame may use 15/16 of what its caller had left when it was called (the first frame: all
        of the transaction's), which stays so while it runs."""
        if depth < 0:
            return self.transient_tx
        frame = self.frames[depth]
        if frame.transient is None:
            parent = self._transient_meter(depth - 1)
            free = parent[0] - parent[1]
            frame.transient = [free - free // 16 if depth else free, 0]
        return frame.transient

    def call(
        self,
        dest: Address,
        value: int,
        input_data: bytes,
        *,
        weight: tuple[int, int],
        deposit_limit: int | None,
        read_only: bool = False,
        allow_reentry: bool = True,
    ) -> ExecReturn:
        """A message call from the top frame (or from the origin when the stack is empty)."""
        caller = self.frames[-1] if self.frames else None
        if caller is not None:
            if not allow_reentry:
                caller.allows_reentry = False
            caller.last_output = NOTHING
        if value >> BALANCE_BITS and caller is not None:  # Ext::call converts a contract's U256 value to the
            # runtime's u128 Balance first: the caller's error, which traps it (found in review: reported as
            # TransferFailed, which the caller gets as a code). The host's own API takes any amount balances hold.
            raise ExecError(E.BalanceConversionFailed, detail=f"value {value} does not fit a u128 balance")
        try:
            is_read_only = read_only or (caller.read_only if caller else False)
            if caller is not None and not self.allows_reentry(dest):  # (no frame yet: nothing to deny)
                raise ExecError(E.ReentranceDenied)
            sender = caller.account if caller else self.sender
            # (_child_meters and contract_at written out: see run_frame)
            meter_w = (caller.weight if caller else self.tx_weight).nested(*weight)
            meter_d = (caller.deposit if caller else self.tx_deposit).nested(deposit_limit)
            if len(input_data) > CALLDATA_BYTES:
                raise ExecError(E.CallDataTooLarge)
            if caller is not None:
                self._check_depth()  # push_frame checks the depth before it knows whether dest has code
            mocks = self.chain.mocks
            if mocks and dest in mocks:  # (Chain.mock_call: answered without running anything, value not moved)
                answer = mocked(mocks[dest], input_data, value)
                if answer is not None:
                    if caller is not None:  # (its return data, as run_frame leaves a callee's)
                        caller.last_output = answer
                    return answer
            if dest in precompiles.PRECOMPILE_ADDRESSES:  # (is_precompile, for the bytes it has)
                frame = Frame(dest, sender, None, None, "call", value, input_data, is_read_only, meter_w, meter_d)
                return self._call_precompile(dest, frame, value)
            contract = None if dest in self.constructing else self.state.contracts.get(dest)
            if contract is None:
                if is_read_only and value:
                    raise ExecError(E.StateChangeDenied, detail="value transfer in a read-only call")
                if not is_read_only:
                    self.transfer(sender, dest, value)
                if dest == CONSOLE_ADDRESS and self.chain.on_console is not None:
                    self.chain.console_calls.append(input_data)  # (console.log: nothing else is different)
                return NOTHING
            frame = Frame(dest, sender, contract, contract.code_hash, "call", value, input_data, is_read_only, meter_w,
                          meter_d)  # fmt: skip

            return self.run_frame(frame, None, self._pay if value else None)
        finally:
            if caller is not None:
                caller.allows_reentry = True

    def delegate_call(
        self, code_address: Address, input_data: bytes, *, weight: tuple[int, int], deposit_limit: int | None
    ) -> ExecReturn:
        """Run the code at `code_address` in the top frame's context (account, storage, caller, value)."""
        caller = self.frames[-1]
        caller.last_output = NOTHING
        if len(input_data) > CALLDATA_BYTES:
            raise ExecError(E.CallDataTooLarge)
        self._check_depth()
        meter_w, meter_d = self._child_meters(caller, weight, deposit_limit)
        if code_address in precompiles.PRECOMPILE_ADDRESSES:  # (exec.rs new_frame) in this frame's context
            frame = Frame(caller.account, caller.caller, None, None, "call", caller.value, input_data, caller.read_only,
                          meter_w, meter_d, delegate_callee=code_address)  # fmt: skip
            return self._call_precompile(code_address, frame, 0)
        code_contract = self.contract_at(code_address)
        if code_contract is None:
            return NOTHING  # delegate-calls to non-contract accounts are a success
        frame = Frame(caller.account, caller.caller, caller.contract, code_contract.code_hash, "call", caller.value,
                      input_data, caller.read_only, meter_w, meter_d, delegate_callee=code_address)  # fmt: skip

        return self.run_frame(frame)

    def instantiate(
        self,
        code_hash: Hash,
        value: int,
        input_data: bytes,
        salt: bytes | None,
        *,
        weight: tuple[int, int],
        deposit_limit: int | None,
    ) -> tuple[Address, ExecReturn]:
        """Create a contract from uploaded code and run its `deploy` export."""
        caller = self.frames[-1] if self.frames else None
        if caller is not None:
            caller.last_output = NOTHING
        if value >> BALANCE_BITS and caller is not None:  # (Ext::instantiate's first step: a contract's U256 value
            # as the runtime's u128 Balance; the host's own API takes any amount its balances hold)
            raise ExecError(E.BalanceConversionFailed, detail=f"value {value} does not fit a u128 balance")
        code = self.state.codes.get(code_hash)
        if code is None:
            # resolc passes a create's first 32 bytes as the code hash: EVM creation code there (OpenZeppelin's
            # Clones, a minimal proxy: found in an audit) is no hash at all, which the bare error did not say.
            evm = " (EVM creation code, not a code hash: resolc cannot create contracts from EVM bytecode, as Clones " \
                "and other minimal proxies do)" if code_hash.startswith(b"\x3d\x60\x2d\x80") or b"\x60\x40\x52" in \
                code_hash[:8] else ""  # (EIP-1167's clone, or solc's free-memory-pointer store)
            raise ExecError(E.CodeNotFound, detail=f"no uploaded code with hash 0x{code_hash.hex()}{evm}")
        if len(input_data) > CALLDATA_BYTES:
            raise ExecError(E.CallDataTooLarge)
        self._check_depth()
        deployer = caller.account if caller else self.sender
        read_only = caller.read_only if caller else False
        if read_only:
            raise ExecError(E.StateChangeDenied, detail="instantiate in a read-only call")
        if salt is not None:
            address = create2(deployer, code.blob, input_data, salt)
        else:
            # (the transaction's own deploy: its origin's nonce was bumped already, unless the origin is a contract)
            nonce = self.state.nonce(deployer)
            bumped = caller is None and self.origin_bumped and deployer == self.origin
            address = create1(deployer, nonce - 1 if bumped else nonce)
        if address in self.state.contracts:
            duplicate = ExecError(E.DuplicateContract, detail=f"a contract already exists at 0x{address.hex()}")
            duplicate.address = address  # (for the trace: the create went there)
            raise duplicate
        meter_w, meter_d = self._child_meters(caller, weight, deposit_limit)
        contract = ContractInfo(code_hash)
        frame = Frame(address, deployer, contract, code_hash, "deploy", value, input_data, False, meter_w, meter_d)

        def body(f: Frame) -> ExecReturn:
            state = self.state
            # The origin pays the new contract's ED as a storage deposit, even into an account that already has a
            # balance (exec.rs run: record_charge(ED) and a Preserve transfer, whatever the account holds).
            self._origin_pays_ed(address, E.StorageDepositNotEnoughFunds, "origin cannot pay the new contract's ED")
            f.deposit.charge(self.config.existential_deposit)
            if self.config.contract_nonce:  # (0 in the 2503-era pallet, 1 from stable2506: RuntimeConfig)
                state.set_nonce(address, self.config.contract_nonce)
            # Every constructor frame bumps its deployer's nonce, the first one too: a top-level instantiate bumps the
            # origin's twice, once before dispatch (Chain.transaction) and once here (2503-era exec.rs `run`; later
            # versions skip this one for Ethereum transactions only).
            state.bump_nonce(deployer)
            state.change_refcount(code_hash, 1)
            state.add_contract(address, contract)
            self.transfer(deployer, address, value)
            self.constructing.add(address)
            try:
                out = Host.run(self, f)
            finally:
                self.constructing.discard(address)
            if not out.flags & REVERT:  # (run_frame charges the deposit changes, this included)
                base = self.chain.base_deposit(contract, code.deposit)
                state.set_contract_field(contract, "base_deposit", base)
            return out

        return address, self.run_frame(frame, body)

    # Helpers.
    def _child_meters(
        self, caller: Frame | None, weight: tuple[int, int], deposit_limit: int | None
    ) -> tuple[WeightMeter, DepositMeter]:
        parent_w = caller.weight if caller else self.tx_weight
        parent_d = caller.deposit if caller else self.tx_deposit
        return parent_w.nested(*weight), parent_d.nested(deposit_limit)

    def _pay(self, frame: Frame) -> None:
        """A call's value, from its caller to the callee, before its code runs (in its frame)."""
        if frame.read_only:
            raise ExecError(E.StateChangeDenied, detail="value transfer in a read-only call")
        self.transfer(frame.caller, frame.account, frame.value)

    def _call_precompile(self, dest: Address, frame: Frame, value: int) -> ExecReturn:
        """Run the precompile at `dest` as `frame` (a call's, or a delegate call's in its caller's context), moving
        `value` to it first (a delegate call moves none)."""
        data = frame.input or b""

        def body(f: Frame) -> ExecReturn:
            if value:
                if f.read_only:
                    raise ExecError(E.StateChangeDenied, detail="value transfer in a read-only call")
                self.transfer(f.caller, dest, value)
            gas = precompiles.precompile_gas(dest, data)
            cost = self.config.schedule.cost("precompile")
            ref = cost.ref_time + gas * self.config.schedule.precompile_ref_time_per_gas
            try:
                f.weight.charge(Weight(ref, cost.proof_size))
            except ExecError as e:
                e.origin = "callee"
                raise
            per_gas = self.config.schedule.precompile_ref_time_per_gas
            result = precompiles.run_precompile(dest, data, gas_limit=gas + f.weight.ref_left // per_gas)
            if not result.success:
                raise ExecError(E.ContractTrapped, "callee", f"precompile 0x{dest[-1]:02x} failed")
            return ExecReturn(0, result.output)

        return self.run_frame(frame, body)


# Last: syscalls imports this module's ExecReturn at its end too, so either may be imported first (and a call does not
# pay for an import statement in execute_contract, ~1 us).
from .syscalls import Host  # noqa: E402
