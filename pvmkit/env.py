"""`Env`: deploy and call PVM contracts from Python, in the style of titanoboa.

env = Env()
token = env.deploy_contract(compiled["ERC20"], "Token", "TKN", 10**24)
token.transfer(bob, 10)
with env.anchor():            # everything inside is rolled back afterwards
    with env.prank(bob):      # calls come from bob
        token.transfer(alice, 1)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import UNDECODABLE, console_line
from .contract import (
    Contract,
    ContractRevert,
    DecodedLog,
    check_abi,
    decode_revert,
    event_items,
    learn_errors,
    signature_item,
    try_decode_event,
    with_trace,
)
from .gasreport import GasReport
from .pvm.blob import ProgramBlob
from .pvm.interpreter import BACKENDS, ModuleConfig, ModuleError
from .revive.address import parse_address, to_checksum
from .revive.chain import CONTRACT_JIT_AT_ONCE, CallResult, Chain
from .revive.config import RuntimeConfig, Weight
from .revive.primitives import IMMUTABLE_BYTES, CodeError, PalletError, keccak256

if TYPE_CHECKING:
    from .traces import Names

# Three funded accounts, as checksum addresses: the form every address a call, event or _storage gives back takes,
# so that `token.owner() == BOB` holds (found in review: raw bytes here compared unequal to every result).
ALICE = to_checksum(bytes([1] * 20))
BOB = to_checksum(bytes([2] * 20))
CHARLIE = to_checksum(bytes([3] * 20))
DEFAULT_BALANCE = 10**30


class DeployError(Exception):
    """A deployment failed or its constructor reverted; `reason`, `name` and `args_decoded` are decoded like
    ContractRevert's (`name` is the custom error's, "Error", "Panic", or the pallet error's)."""

    def __init__(self, reason: str, result: CallResult | None = None, *, name: str | None = None,
                 args: tuple = ()) -> None:  # fmt: skip
        self.reason = reason
        self.result = result
        self.name = name
        self.args_decoded = args
        super().__init__(reason)


def _hex_bytes(name: str, value: bytes | str) -> bytes:
    """Bytes, or a 0x-hex string as users paste them (calldata, salts); TypeError for anything else (bytes(7) would
    quietly be seven zero bytes)."""
    if isinstance(value, str):
        try:
            return bytes.fromhex(value.removeprefix("0x").removeprefix("0X"))
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not hex") from None
    return _bytes(name, value)


def _bytes(name: str, value: object) -> bytes:
    """A bytes-like value as bytes, else TypeError naming `name`."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    return bytes(value)


Addressish = str | bytes | Any  # (also anything with an `.address`, such as a Contract)
U256_LIMIT = 1 << 256
U64_LIMIT = 1 << 64  # block numbers and timestamps (the chain's are u64 at most)


def _whole(name: str, value: object, limit: int = U256_LIMIT) -> int:
    """`value` as a non-negative int below `limit` (a U256 unless said otherwise), else TypeError/ValueError naming
    `name`: a negative, fractional or oversized amount must not reach the chain half-applied."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not 0 <= value < limit:
        raise ValueError(f"{name} must be in 0..{limit - 1}, got {value}")
    return value


_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # the curve's order


def _private_key(key: object) -> bytes:
    """A secp256k1 private key (an int in 1..n-1) as its 32 bytes, else TypeError/ValueError."""
    if not isinstance(key, int) or isinstance(key, bool):
        raise TypeError(f"a private key is an int, got {type(key).__name__}")
    if not 0 < key < _SECP256K1_N:
        raise ValueError("a private key is in 1..n-1 (n the secp256k1 order)")
    return key.to_bytes(32, "big")


def _expected(error: ContractRevert | DeployError, reason: str | None, args: tuple) -> None:
    """reverts()' check of the revert it saw: the reason (or error name) and the decoded arguments asked for."""
    if reason is not None and reason not in error.reason and reason != error.name:
        raise AssertionError(f"reverted with {error.reason!r}, not {reason!r}") from error
    if args and not _same(tuple(error.args_decoded), args):
        raise AssertionError(f"reverted with {error.reason!r}: arguments {tuple(error.args_decoded)!r}, not "
                             f"{_shown(args)!r}") from error  # fmt: skip


def _same(decoded: object, expected: object) -> bool:
    """Whether a decoded error argument is `expected`, an address given any way a call takes one (checksummed or
    not, 20 bytes, a Contract; found in review: only the checksummed string matched), inside tuples and arrays too."""
    if decoded == expected:
        return True
    if isinstance(decoded, str) and len(decoded) == 42 and decoded.startswith("0x"):  # (addresses decode so)
        try:
            return parse_address(decoded) == parse_address(getattr(expected, "address", expected))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    if isinstance(decoded, (tuple, list)) and isinstance(expected, (tuple, list)) and len(decoded) == len(expected):
        return all(map(_same, decoded, expected))
    return False


def _shown(expected: object) -> object:
    """An expected error argument as decoded ones read (addresses checksummed), for a message that compares them."""
    address = getattr(expected, "address", expected)
    if isinstance(address, (bytes, bytearray)) and len(address) == 20 or isinstance(address, str) and len(
            address) == 42 and address[:2] in ("0x", "0X"):  # fmt: skip
        try:
            return to_checksum(parse_address(address))  # type: ignore[arg-type]
        except ValueError:
            return expected
    if isinstance(expected, (tuple, list)):
        return type(expected)(map(_shown, expected))
    return expected


def _word(name: str, value: bytes | int) -> bytes:
    """A storage key or value: an int as a big-endian uint256 (a Solidity slot number), or exactly 32 bytes."""
    word = _whole(name, value).to_bytes(32, "big") if isinstance(value, int) else _bytes(name, value)
    if len(word) != 32:
        raise ValueError(f"a {name} is 32 bytes, got {len(word)}")
    return word


class Env:
    """A private pallet-revive chain with funded accounts, snapshots and impersonation. One thread at a time: its
    state, and the buffers the JIT's native host calls share with it, are not locked (one Env per thread)."""

    def __init__(
        self,
        *,
        config: RuntimeConfig | None = None,
        backend: str = "auto",
        accounts: Sequence[Addressish] = (ALICE, BOB, CHARLIE),
        balance: int = DEFAULT_BALANCE,
        tracing: bool = False,
        console_log: Callable[[str], object] | None = print,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r} (choose one of {', '.join(BACKENDS)})")
        if config is not None and not isinstance(config, RuntimeConfig):
            raise TypeError(f"config is a pvmkit.revive.config.RuntimeConfig, not {type(config).__name__}")
        if isinstance(accounts, (str, bytes, bytearray)):
            raise TypeError(f"accounts must be a sequence of addresses, got {type(accounts).__name__}")
        accounts = [parse_address(account) for account in accounts]
        balance = _whole("balance", balance)
        self.chain = Chain(config, ModuleConfig(backend=backend, jit_at_once=CONTRACT_JIT_AT_ONCE))
        for account in accounts:
            self.chain.set_balance(account, balance)
        self._eoa: bytes = accounts[0] if accounts else parse_address(ALICE)  # the default sender (eoa)
        self.origin: bytes | None = None  # tx.origin where not the sender (prank(..., origin=...)): it signs and pays
        self.last_result: CallResult | None = None
        self.last_tx: CallResult | None = None  # the last call or deploy that was not a dry run (for get_logs)
        # The same, but never put back by anchor() or revert_to(): what reverts() asks of the transactions in its block.
        self._latest_tx: CallResult | None = None
        self._dry = 0
        self._labels = 0
        # Error ABI items of every contract this Env has deployed or been handed (at()), by signature: a revert
        # bubbled up from a nested call carries the callee's custom error, which the caller's ABI may not declare.
        self.known_errors: dict[str, dict] = {}
        # Blobs of everything env.compile built, by code hash: a factory's children (its factory_deps) are uploaded
        # with it by deploy_contract, as they would be on chain with the factory's own upload.
        self._compiled: dict[bytes, Any] = {}  # code hash → CompiledContract
        # A transaction's default gas (fuel): a block's weight, as on chain (pass gas=... for more or less). The
        # chain API's own default is revive-runner's GAS_LIMIT, 10^14 ps of ref_time (~1.4·10^9 fuel), where a
        # contract stuck in a loop runs for minutes.
        self.gas_limit = self.chain.config.block_ref_time_limit // self.chain.config.schedule.ref_time_per_fuel
        self._default_gas: tuple[object, Weight] = (None, Weight())  # (gas_limit, its Weight): _gas
        # Names and ABIs for call traces: contracts by address (deployed or handed to at()), and by code hash (compiled
        # or deployed: a factory's children are known by their code).
        self._known: dict[bytes, tuple[str, list[dict]]] = {}
        self._code_names: dict[bytes, tuple[str, list[dict]]] = {}
        self._reports: list[GasReport] = []  # gas_report()s open
        self._snapshots: list[tuple[int, tuple]] = []  # (id, what revert_to() restores) of the valid, oldest first
        self._next_snapshot = 0  # (ids are never given twice: one that was dropped is refused, not another's)
        self._anchored: list[int] = []  # per anchor() open, innermost last: how many snapshots there were before it
        # The chain's contracts by raw address (read-only: is_contract, and a contract call's check, look here).
        self.contracts = self.chain.state.contracts
        self.tracing = tracing
        self.console_log = console_log
        self.chain.on_console = self._console

    @property
    def console_log(self) -> Callable[[str], object] | None:
        """Where console.log's lines go (forge-std's or hardhat's console.sol, in contracts): each line, once its
        transaction is over, reverted or not; `print` by default, None to drop them."""
        return self._console_log

    @console_log.setter
    def console_log(self, listener: Callable[[str], object] | None) -> None:
        if listener is not None and not callable(listener):
            raise TypeError(f"console_log takes a function of a line (print, list.append) or None, not "
                            f"{type(listener).__name__}")  # fmt: skip
        self._console_log = listener

    def _console(self, data: bytes) -> None:
        if self._console_log is None:
            return
        line = console_line(data)
        if line is None:
            line = f"console.log: no console.sol function has selector 0x{data[:4].hex()} (input 0x{data.hex()})"
        elif line is UNDECODABLE:
            line = f"console.log: the arguments of console.sol function 0x{data[:4].hex()} do not decode (input " \
                   f"0x{data.hex()})"
        self._console_log(line)

    @property
    def eoa(self) -> str:
        """The default sender (boa's env.eoa): a prank's address inside prank(), else the first account."""
        return to_checksum(self._eoa)

    @eoa.setter
    def eoa(self, address: Addressish) -> None:
        self._eoa = parse_address(address)

    @property
    def tracing(self) -> bool:
        """Whether calls and deployments record a call trace (`result.trace`, `format_trace`), which a failure then
        shows too (a note on ContractRevert and DeployError). Off by default: tracing costs a few µs per frame. (An
        open gas_report() traces the calls too, for itself, whatever this says.)"""
        return self._tracing

    @tracing.setter
    def tracing(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"tracing must be True or False, got {value!r}")
        self._tracing = value
        self.chain.tracing = value or bool(self._reports)

    def label(self, address: Addressish, name: str) -> None:
        """Show `address` as `name` in call traces (foundry's vm.label); a contract keeps its ABI."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"a label is a non-empty str, got {name!r}")
        account = parse_address(address)
        self._known[account] = (name, self._known.get(account, ("", []))[1])

    def format_trace(self, result: CallResult | None = None) -> str:
        """The call trace of `result` (by default the last call's) as text: each call with its contract's name, decoded
        arguments, gas used, events and outcome, nested as foundry prints them."""
        from .traces import render

        result = self.last_result if result is None else result
        if result is not None and not isinstance(result, CallResult):
            raise TypeError(f"format_trace takes a CallResult (a call's or a deploy's), not {type(result).__name__}")
        if result is None or result.trace is None:
            raise ValueError("no call trace: set env.tracing = True before the call")
        return render(result.trace, self._names(), list(self.known_errors.values()))

    def _names(self) -> Names:
        """What the Env knows of addresses and code now, for traces, get_logs and gas reports."""
        from .traces import Names

        contracts = self.contracts

        def code_of(address: bytes) -> bytes | None:
            contract = contracts.get(address)
            return contract.code_hash if contract is not None else None

        return Names(self._known, self._code_names, code_of)

    # Accounts.
    def generate_address(self, label: str | None = None, *, balance: int = 0) -> str:
        """A fresh address, deterministic per Env; `label` names it in call traces; `balance` funds it (set_balance:
        the existential deposit included), enough to pay the storage deposits of transactions it sends under prank."""
        balance = _whole("balance", balance)  # (before anything changes, found in review)
        self._labels += 1  # (the count always goes into it: a label alone gave the same address twice)
        address = to_checksum(keccak256(f"pvmkit account {self._labels} {label or ''}".encode())[12:])
        return self._fresh(address, label, balance)

    def _fresh(self, address: str, label: str | None, balance: int) -> str:
        """A generated account, named and funded as asked."""
        if label:
            self.label(address, label)
        if balance:
            self.set_balance(address, balance)
        return address

    def generate_account(self, label: str | None = None, *, balance: int = 0) -> tuple[str, int]:
        """(address, private key) of a fresh secp256k1 key, deterministic per Env (foundry's makeAddrAndKey): for
        contracts that check signatures (ecrecover, permits); `label` and `balance` as generate_address's."""
        balance = _whole("balance", balance)
        self._labels += 1
        key = int.from_bytes(keccak256(f"pvmkit key {self._labels} {label or ''}".encode()), "big") % (_SECP256K1_N - 1)
        return self._fresh(self.address_of(key + 1), label, balance), key + 1

    @staticmethod
    def address_of(private_key: int) -> str:
        """The account address of a secp256k1 private key (foundry's vm.addr)."""
        from coincurve import PrivateKey

        public = PrivateKey(_private_key(private_key)).public_key.format(compressed=False)
        return to_checksum(keccak256(public[1:])[12:])

    @staticmethod
    def sign(private_key: int, digest: bytes) -> tuple[int, bytes, bytes]:
        """(v, r, s) of the key's signature of a 32-byte digest, v 27 or 28 and s low (foundry's vm.sign): what
        ecrecover(digest, v, r, s) takes back to the key's address."""
        from coincurve import PrivateKey

        if not isinstance(digest, bytes | bytearray) or len(digest) != 32:
            raise ValueError(f"sign() takes a 32-byte digest (hash the message first), got {digest!r:.80}")
        signature = PrivateKey(_private_key(private_key)).sign_recoverable(bytes(digest), hasher=None)
        return 27 + signature[64], signature[:32], signature[32:64]

    def get_balance(self, address: Addressish) -> int:
        """The account's free balance, its existential deposit (1,000 by default) included: what Solidity's
        `address(x).balance` shows is this minus the ED (pallet-revive's reducible balance)."""
        return self.chain.balance(parse_address(address))

    def set_balance(self, address: Addressish, value: int) -> None:
        """Set the account's free balance, the existential deposit included (foundry's vm.deal, but what a contract
        sees as `address(x).balance` is `value` minus the ED)."""
        self.chain.set_balance(parse_address(address), _whole("balance", value))

    def get_nonce(self, address: Addressish) -> int:
        """The account's nonce: its transactions (a deploy counts twice, see the README), or for a contract the
        contracts it created (from 0, as pallet-revive 0.5.0; RuntimeConfig.contract_nonce)."""
        return self.chain.state.nonce(parse_address(address))

    def set_nonce(self, address: Addressish, value: int) -> None:
        """Set the account's nonce (foundry's vm.setNonce): the next CREATE address follows from it."""
        self.chain.state.set_nonce(parse_address(address), _whole("nonce", value, U64_LIMIT))

    def get_storage(self, address: Addressish, key: bytes | int) -> bytes:
        """The 32-byte value at a fixed 32-byte key (an EVM slot); zeros if unset."""
        key = _word("storage key", key)
        contract = self.chain.state.contracts.get(parse_address(address))
        if contract is None:
            return bytes(32)
        value = contract.storage.get((True, bytes(key)), b"")
        return (bytes(32 - len(value)) + value)[-32:] if len(value) <= 32 else value

    def set_storage(self, address: Addressish, key: bytes | int, value: bytes | int | None) -> None:
        """Write a 32-byte value at a fixed 32-byte key (an EVM slot; foundry's vm.store) as a transaction would
        (zeros too: resolc 0.3.0 keeps a zeroed slot; None deletes it): the contract's storage deposit grows or
        shrinks to match (its held balance with it), so no later transaction pays or gets back this write's deposit.
        anchor() rolls it back."""
        account = parse_address(address)
        contract = self.chain.state.contracts.get(account)
        if contract is None:
            raise ValueError(f"no contract at {to_checksum(account)} to set storage of")
        key = _word("storage key", key)
        state = self.chain.state
        state.set_storage(contract, (True, key), None if value is None else _word("storage value", value))
        diff = self.chain.deposit_delta(account, contract)
        state.set_held(account, state.account(account).held + diff)  # type: ignore[union-attr]

    def is_contract(self, address: Addressish) -> bool:
        """Whether a contract lives at `address` (calls to one that does not fail before sending anything)."""
        return parse_address(address) in self.contracts

    def etch(self, address: Addressish, code: Any, *, immutable_data: bytes | str | None = None) -> Contract | str:
        """Put `code` (a blob, or a compiled contract) at `address` without running a constructor (foundry's vm.etch):
        a new contract with no storage, or an existing contract's code replaced, its storage and balance kept (as the
        pallet's root-only set_code), a compiled contract's libraries deployed as deploy_contract deploys them. The
        code is uploaded as env.upload does, from the sender; a new contract account gets the existential deposit if it
        has less, from nowhere (as set_balance). An anchor undoes it all. Returns a Contract for a compiled contract
        (its ABI known at the address), else the checksum address.

        Immutables live beside the code on this chain (what resolc's constructor stores: get_immutable_data reads
        another instance's): `immutable_data` becomes the contract's; without it a new contract has none (reading
        one fails with InvalidImmutableAccess) and an existing one keeps its own, as set_code keeps them."""
        from .revive.precompiles import PRECOMPILE_ADDRESSES
        from .revive.state import ContractInfo

        raw = parse_address(address)
        if raw in PRECOMPILE_ADDRESSES:
            raise ValueError(f"{to_checksum(raw)} is a precompile's address: calls to it never reach code")
        blob = code if isinstance(code, bytes | bytearray) else getattr(code, "blob", None)
        if not isinstance(blob, bytes | bytearray):
            raise TypeError(f"etch takes a blob or a compiled contract, got {type(code).__name__}")
        if immutable_data is not None:
            immutable_data = _hex_bytes("immutable_data", immutable_data)
            if not immutable_data or len(immutable_data) > IMMUTABLE_BYTES:  # (set_immutable_data's bounds)
                raise ValueError(f"immutable_data is 1 to {IMMUTABLE_BYTES} bytes, not {len(immutable_data)}")
        self._deploy_libraries(code)  # (its calls into them would find empty accounts otherwise)
        code_hash = self.upload(bytes(blob))
        state = self.chain.state
        contract = state.contracts.get(raw)
        if contract is None:
            ed = self.chain.config.existential_deposit
            if state.free(raw) < ed:
                state.set_free(raw, ed)
            if self.chain.config.contract_nonce and not state.nonce(raw):
                state.set_nonce(raw, self.chain.config.contract_nonce)
            state.change_refcount(code_hash, 1)
            state.add_contract(raw, ContractInfo(code_hash))
        elif contract.code_hash != code_hash:
            state.change_refcount(contract.code_hash, -1)
            state.change_refcount(code_hash, 1)
            state.set_contract_field(contract, "code_hash", code_hash)
        if immutable_data is not None:
            state.set_contract_field(state.contracts[raw], "immutable_data", immutable_data)
        if hasattr(code, "abi"):
            self._know_code(code, code_hash)
            return self.at(raw, code, getattr(code, "name", None))
        return to_checksum(raw)

    def get_immutable_data(self, address: Addressish) -> bytes:
        """The immutable data of the contract at `address` (what its constructor stored), empty if it has none."""
        contract = self.chain.state.contracts.get(parse_address(address))
        return (contract.immutable_data or b"") if contract else b""

    def get_code(self, address: Addressish) -> bytes:
        """The PVM blob of the contract at `address`, empty for an account without code."""
        contract = self.chain.state.contracts.get(parse_address(address))
        return self.chain.state.codes[contract.code_hash].blob if contract else b""

    # Snapshots and impersonation.
    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        """Roll back every change made inside the block: state (storage, balances, nonces, code), block number and
        time, the last result, and the Env's names for addresses (labels, contracts deployed or handed to at(): a
        later contract at the same address is not named after a rolled-back one) and its generate_address() count.
        What it learnt about code (compiled contracts, their ABIs and errors) stays: it is still true."""
        saved = self._saved()
        taken = len(self._snapshots)
        self._anchored.append(taken)
        try:
            yield
        finally:
            self._anchored.pop()
            self._drop_snapshots(taken)  # (taken inside: what they would restore is rolled back now)
            self._restore_all(saved)

    def snapshot(self) -> int:
        """Remember the Env as it is (what anchor() restores, but the sender: pranks are left alone, as foundry's);
        returns an id for revert_to() (foundry's vm.snapshotState, hardhat's evm_snapshot). A snapshot holds the
        state's undo records until it is dropped."""
        snapshot_id, self._next_snapshot = self._next_snapshot, self._next_snapshot + 1
        self._snapshots.append((snapshot_id, self._saved()))
        return snapshot_id

    def revert_to(self, snapshot_id: int, *, keep: bool = True) -> None:
        """Roll the Env back to snapshot `snapshot_id`, which stays valid, so a fixture may revert to it after each
        test (foundry's vm.revertToState), unless `keep=False` (vm.revertToStateAndDelete: the pattern of a snapshot
        per test, which otherwise leaves one behind each time); snapshots taken after it are dropped, as are those an
        anchor() took."""
        at = self._snapshot_at(snapshot_id, "revert to")
        if at is None:
            raise ValueError(f"no snapshot {snapshot_id!r} to revert to (one goes when an earlier one is reverted to, "
                             "when deleted, and with the anchor() it was taken in)")  # fmt: skip
        self._drop_snapshots(at + 1)
        sender = self._eoa
        self._restore_all(self._snapshots.pop()[1])
        self._eoa = sender  # (a prank's, or not: as it is now)
        if keep:
            self._snapshots.append((snapshot_id, self._saved()))  # (the same Env again, held anew)

    def delete_snapshot(self, snapshot_id: int) -> bool:
        """Forget snapshot `snapshot_id` without reverting (foundry's vm.deleteStateSnapshot): its hold on the state's
        undo records goes; False if there was no such snapshot."""
        at = self._snapshot_at(snapshot_id, "delete")
        if at is None:
            return False
        del self._snapshots[at]
        self.chain.state.release()
        return True

    def _snapshot_at(self, snapshot_id: int, what: str) -> int | None:
        """Where snapshot `snapshot_id` is among the valid ones (looked for from the newest: the usual case), None if
        it is not one; refused if an open anchor() was not there when it was taken."""
        if type(snapshot_id) is not int:  # (True and 1.0 are == 1: found in review)
            raise TypeError(f"a snapshot id is the int snapshot() gave, not {snapshot_id!r}")
        snapshots = self._snapshots
        at = next((i for i in range(len(snapshots) - 1, -1, -1) if snapshots[i][0] == snapshot_id), None)
        if at is not None and self._anchored and at < self._anchored[-1]:  # (the anchor's rollback would undo it)
            raise ValueError(f"snapshot {snapshot_id} was taken outside the anchor() this runs in: {what} it once "
                             "the anchor is over")  # fmt: skip
        return at

    def _drop_snapshots(self, keep: int) -> None:
        while len(self._snapshots) > keep:
            self._snapshots.pop()
            self.chain.state.release()

    def _saved(self) -> tuple:
        """What anchor() and revert_to() restore (_restore), with a hold on the state's journal."""
        return (*self._hold(), dict(self._known), self._labels, self.last_result)

    def _hold(self) -> tuple:
        """What anchor() restores, and a hold on the state's journal."""
        chain = self.chain
        return (chain.state.hold(), chain.block_number, chain.timestamp, dict(chain.block_hashes), self._eoa,
                self.last_tx)  # fmt: skip

    def _restore(self, saved: tuple) -> None:
        chain = self.chain
        chain.state.revert_to(saved[0])
        chain.state.release()
        _, chain.block_number, chain.timestamp, chain.block_hashes, self._eoa, self.last_tx = saved[:6]

    def _restore_all(self, saved: tuple) -> None:
        """_restore, and the Env's names and last result (_saved's), copied: a snapshot may be restored again."""
        self._restore(saved)
        self.chain.block_hashes, self._known = dict(saved[3]), dict(saved[6])
        self._labels, self.last_result = saved[7:]

    def mock_call(self, address: Addressish, data: bytes | str, returns: bytes | str = b"", *, value: int | None = None,
                  revert: bool = False) -> None:  # fmt: skip
        """Calls to `address` whose input starts with `data` (a selector mocks a whole function; calldata one call)
        return `returns`, or revert with it, without running its code or moving value (foundry's vm.mockCall and
        vm.mockCallRevert). With `value`, only calls that carry it. The longest matching `data` answers; mocking the
        same `data` again replaces it. Mocks stay until clear_mocked_calls(): anchors and snapshots keep them. Solidity
        checks that a callee has code first (extcodesize) where it expects a result: etch() code there to mock an
        address without any. Delegate calls run the real code."""
        data, returns = _hex_bytes("data", data), _hex_bytes("returns", returns)
        if value is not None:
            value = _whole("value", value)
        self.chain.mock_call(parse_address(getattr(address, "address", address)), data, returns, value, revert)

    def clear_mocked_calls(self) -> None:
        """Drop every mock_call() (vm.clearMockedCalls)."""
        self.chain.mocks.clear()

    @contextlib.contextmanager
    def prank(self, address: Addressish, origin: Addressish | None = None) -> Iterator[None]:
        """Make `address` the default sender inside the block; with `origin`, transactions there are signed by
        `origin` (tx.origin, which pays their deposits and whose nonce they bump) and sent by `address` (msg.sender,
        whose value they send), as foundry's prank(sender, origin)."""
        old = self._eoa, self.origin
        self._eoa = parse_address(address)
        self.origin = None if origin is None else parse_address(origin)
        try:
            yield
        finally:
            self._eoa, self.origin = old

    @contextlib.contextmanager
    def reverts(self, reason: str | None = None, *args: Any) -> Iterator[None]:
        """Assert that the block reverts or fails (boa.reverts / vm.expectRevert): a ContractRevert or DeployError,
        whose reason contains `reason` or whose error name is `reason`, if given; and with `args`, whose decoded
        arguments are those (`reverts("InsufficientBalance", 100, 1000)`, `reverts("Panic", 0x11)`). A block that
        raises nothing but whose last transaction failed (env.call returns its result) reverted too (revert_of)."""
        if reason is not None and not isinstance(reason, str):
            raise TypeError(f"reverts() takes the reason as a str, got {type(reason).__name__} {reason!r}")
        if args and reason is None:
            raise TypeError("reverts() takes arguments only after an error name")
        before = self._latest_tx
        try:
            yield
        except (ContractRevert, DeployError) as e:
            _expected(e, reason, args)
            return
        last = self._latest_tx
        if last is not None and last is not before and not last.success:
            # The block's last transaction failed without raising (env.call returns its result, as boa's raw_call):
            # that is the revert (found in review: "did not revert" was said of a call that had).
            _expected(self.revert_of(last), reason, args)
            return
        raise AssertionError(f"did not revert{f' (expected {reason!r})' if reason is not None else ''}")

    def revert_of(self, result: CallResult, abi: Sequence[dict] = ()) -> ContractRevert:
        """A failed result as the ContractRevert a contract's call raises: the pallet's error, or the revert decoded
        with `abi`'s errors first, then every error ABI this Env knows (a callee's error bubbles up as it is)."""
        if not isinstance(result, CallResult) or result.success:
            raise ValueError(f"revert_of takes a failed CallResult, not {result!r}")
        reason, name, args, pallet = self._failure(result, abi)
        return ContractRevert(f"call failed with {reason}" if pallet else reason, result, name=name, args=args)

    def _failure(self, result: CallResult, abi: Sequence[dict]) -> tuple[str, str | None, tuple, bool]:
        """(reason, error name, its arguments, whether the pallet failed it rather than the code) of a failed result:
        the pallet's error with its detail, or the revert data decoded with `abi`, then every error the Env knows."""
        if result.error is not None:
            detail = f": {result.error_detail}" if result.error_detail else ""  # (found in review: a bare ": ")
            return f"{result.error.value}{detail}", result.error.value, (), True
        return (*decode_revert(result.output, [*abi, *self.known_errors.values()]), False)

    def _sender(self, sender: Addressish | None) -> bytes:
        return self._eoa if sender is None else parse_address(sender)

    def _payer(self, sender: Addressish | None) -> bytes:
        """Who signs a transaction from `sender` (None: the default one) and pays for it: a prank's origin, if any."""
        return self.origin if sender is None and self.origin is not None else self._sender(sender)

    # Deploying and calling.
    def upload(self, code: bytes, *, sender: Addressish | None = None) -> bytes:
        """Upload a blob; returns its code hash (keccak256). Needed before factories can create it."""
        code = _bytes("code", code)
        if code[:1] in (b"\x60", b"\x61"):  # (solc's creation code begins with PUSH1 or PUSH2, 0x80 or the address
            # of its immutables: found in review; a blob begins with b"PVM\0")
            raise DeployError("this is EVM bytecode (solc's), not a PolkaVM blob: deploy the compiled contract's "
                              "`.blob`, or pass it to deploy_contract", name=PalletError.CodeRejected.value)
        try:
            return self.chain.upload_code(self._payer(sender), code)
        except CodeError as e:  # (the pallet's error, as a failed deploy names it: not always the code's fault)
            what = "cannot upload the code" if e.error is PalletError.StorageDepositNotEnoughFunds else "code rejected"
            raise DeployError(f"{what}: {e}", name=e.error.value) from None

    def remove_code(self, code_hash: bytes | str, *, sender: Addressish | None = None) -> int:
        """Remove uploaded code no contract uses (the pallet's `remove_code`, by its uploader); returns the upload
        deposit given back. A CodeError (ValueError) names the pallet's refusal: CodeNotFound, CodeInUse, BadOrigin."""
        code_hash = _hex_bytes("code_hash", code_hash)
        if len(code_hash) != 32:
            raise ValueError(f"a code hash is 32 bytes, not {len(code_hash)}")
        return self.chain.remove_code(self._payer(sender), code_hash)

    def deploy(
        self,
        code: bytes,
        data: bytes | str = b"",
        *,
        value: int = 0,
        sender: Addressish | None = None,
        salt: bytes | str | None = None,
        gas: int | None = None,
        abi: Sequence[dict] = (),
    ) -> str:
        """Upload and instantiate; returns the checksum address. Bytes after the blob are constructor input too."""
        code, data, abi = _bytes("code", code), _hex_bytes("data", data), check_abi(abi)
        length = ProgramBlob.blob_length(code)
        if length is not None and length < len(code):
            code, data = code[:length], code[length:] + data
        value = _whole("value", value)
        gas_limit = self._gas(gas)
        salt = None if salt is None else _hex_bytes("salt", salt)
        if salt is not None and len(salt) != 32:
            raise ValueError(f"salt must be 32 bytes, got {len(salt)}")
        new = keccak256(code) not in self.chain.state.codes
        deployer, origin = self._sender(sender), self._payer(sender)
        code_hash = self.upload(code, sender=origin)
        try:
            result = self.chain.instantiate(origin, code_hash, data, value=value, salt=salt, gas_limit=gas_limit,
                                            sender=deployer)  # fmt: skip
            if new and result.success:  # instantiate_with_code's storage_deposit counts the upload's (found in review)
                result.storage_deposit += self.chain.state.codes[code_hash].deposit
        except ModuleError as e:  # the backend cannot run this code (the JIT's size limit, say): no contract was made
            if new:
                self.chain.remove_code(origin, code_hash)
            raise DeployError(f"code rejected by the {self.chain.module_config.backend} backend: {e}") from None
        if new and not result.success:  # instantiate_with_code is one extrinsic: a failed one uploads nothing either
            self.chain.remove_code(origin, code_hash)
        self._record(result)
        if self._reports and result.success and result.address is not None:
            for report in self._reports:
                report.record(result.address, b"deploy", result.gas_used, result.trace)
        if not result.success or result.address is None:
            reason, name, args, pallet = self._failure(result, abi)
            what = f"deploy failed with {reason}" if pallet else f"constructor reverted: {reason}"
            raise with_trace(DeployError(what, result, name=name, args=args), result, self)
        return to_checksum(result.address)

    def deploy_contract(self, compiled: Any, *args: Any, value: int = 0, sender: Addressish | None = None,
                        salt: bytes | None = None, deps: Sequence[Any] = (),
                        gas: int | None = None) -> Contract:  # fmt: skip
        """Deploy a `CompiledContract` (blob + ABI), ABI-encoding constructor args; returns a Contract. The contracts
        it creates are uploaded, and the libraries it and they were linked to deployed, first."""
        from eth_abi import encode as abi_encode
        from eth_abi.exceptions import EncodingError

        from .contract import _prepare, _type

        if isinstance(compiled, dict) and compiled and all(hasattr(c, "abi") for c in compiled.values()):
            names = ", ".join(repr(n) for n in compiled)
            raise TypeError(f"deploy_contract takes one compiled contract: env.compile() gave them by name, pick "
                            f"one of {names} (compiled[name])")  # fmt: skip
        if not (hasattr(compiled, "abi") and hasattr(compiled, "blob")):
            raise TypeError(f"deploy_contract takes a compiled contract (env.compile(...)[name], load_artifact()), got "
                            f"{type(compiled).__name__}: deploy a bare blob with env.deploy(blob, data)")  # fmt: skip
        ctor = next((i for i in check_abi(compiled.abi) if i.get("type") == "constructor"), {"inputs": []})
        types = [_type(p) for p in ctor.get("inputs", [])]
        if len(types) != len(args):
            raise TypeError(f"{compiled.name}'s constructor takes {len(types)} arguments, got {len(args)}")
        try:
            data = abi_encode(types, _prepare(types, args, ctor.get("inputs"))) if types else b""
        except (EncodingError, TypeError, ValueError) as e:  # as ContractFunction reports a call's bad arguments
            what = f"{compiled.name}'s constructor arguments ({', '.join(types)})"
            raise TypeError(f"cannot encode {what}: {e}") from None
        for dep in deps:  # compiled contracts, or bare blobs
            self.upload(dep if isinstance(dep, (bytes, bytearray)) else dep.blob, sender=sender)
            if hasattr(dep, "abi"):
                self._know_code(dep)
                self._deploy_libraries(dep)
        # The factory_deps env.compile built, or the contract carries (load_artifact), and theirs in turn (a child may
        # create grandchildren).
        carried, pending = {}, list(getattr(compiled, "dependencies", ()))
        while pending:
            child = pending.pop()
            carried[child.code_hash] = child
            pending.extend(child.dependencies)
        names = dict(getattr(compiled, "factory_deps", {}))  # code hash -> "File.sol:Child", grandchildren's too
        pending, seen = list(names), set()
        while pending:
            code_hash = pending.pop()
            child = self._compiled.get(code_hash) or carried.get(code_hash)
            if child is None and code_hash not in self.chain.state.codes:
                raise DeployError(f"{compiled.name} creates {names[code_hash]} (code 0x{code_hash.hex()}), whose code "
                                  "this Env does not have: pass deps=[...] with it, or env.upload(its blob) first")
            if child is None or code_hash in seen:
                continue
            seen.add(code_hash)
            self.upload(child.blob, sender=sender)  # (code already uploaded is left as it is)
            self._deploy_libraries(child)  # (a child the contract creates calls them as the contract would)
            self._know_code(child, code_hash)
            pending.extend(child.factory_deps)
            names.update(child.factory_deps)
        self._deploy_libraries(compiled)
        # (known by its code before it runs: a trace of its deployment names its constructor's arguments)
        self._know_code(compiled)
        address = self.deploy(compiled.blob, data, value=value, sender=sender, salt=salt, gas=gas, abi=compiled.abi)
        return self.at(address, compiled)

    def _deploy_libraries(self, compiled: Any) -> None:
        """Deploy the libraries `compiled` and the contracts it creates were linked to (linked_libraries) where they
        are not yet: each by its own deployer's first CREATE, which the Env funds for the deposits (foundry deploys
        them from the sender; their addresses are fixed at compile time here, so they cannot follow its nonce). Not
        the user's transactions: last_tx and gas reports do not see them (found in review)."""
        from .revive.compiler import linked_libraries

        state = self.chain.state
        for library in linked_libraries(compiled):
            where = f"{compiled.name} calls library {library.qualified_name} at {to_checksum(library.address)}"
            held = state.contracts.get(library.address)
            if held is not None:
                if held.code_hash != library.contract.code_hash:
                    raise DeployError(f"{where}, where other code is deployed")
                continue
            if state.nonce(library.deployer) != 0:
                raise DeployError(f"{where}, which its deployer {to_checksum(library.deployer)} can no longer create: "
                                  "its nonce is not 0")  # fmt: skip
            self.chain.set_balance(library.deployer, max(self.chain.balance(library.deployer), DEFAULT_BALANCE))
            self._know_code(library.contract, library.contract.code_hash)
            saved, self._reports = (self.last_result, self.last_tx, self._latest_tx, self._reports), []
            try:
                address = self.deploy(library.contract.blob, sender=to_checksum(library.deployer),
                                      abi=library.contract.abi)  # fmt: skip
            except DeployError as e:
                raise DeployError(f"{where}, whose deployment failed: {e}", e.result, name=e.name,
                                  args=e.args_decoded) from None  # fmt: skip
            finally:
                self.last_result, self.last_tx, self._latest_tx, self._reports = saved
            if parse_address(address) != library.address:  # (its deployer's nonce was 0: not expected)
                raise DeployError(f"{where}, but its deployer created it at {address}")

    def at(self, address: Addressish, abi: Sequence[dict] | Any, name: str | None = None) -> Contract:
        """A Contract handle for an existing address; `abi` is an ABI list or a compiled contract (its `.abi`, and its
        storage layout)."""
        layout = None
        if isinstance(abi, Contract):
            name, abi, layout = name or abi._name, abi.abi, abi._layout
        elif hasattr(abi, "abi"):  # a compiled contract
            own = getattr(abi, "name", None)
            layout = getattr(abi, "storage_layout", None)
            name, abi = name or (own if isinstance(own, str) else None), abi.abi
        return self._named(Contract(self, to_checksum(parse_address(address)), abi, name or "Contract", layout))

    def get_logs(self, result: CallResult | None = None) -> list[DecodedLog]:
        """Every event of the last transaction (or of `result`) that the Env can decode, in the order they were
        emitted, whichever contract emitted it: a factory's children and callees too, by the ABI it knows for the
        address or its code now (not a contract an anchor rolled back; Contract.get_logs keeps to one contract; the
        raw logs are `result.logs`). An event a known address's ABI does not have, one a library or an implementation
        emitted through a delegate call as that address, say, is decoded by any ABI the Env knows that has it."""
        result = self.last_tx if result is None else result
        if result is None:
            return []
        if not isinstance(result, CallResult):
            raise TypeError(f"get_logs takes a CallResult (env.call's), not {type(result).__name__}")
        decoded, by_abi, names = [], {}, self._names()
        anywhere: dict[bytes, list[dict]] | None = None  # every known ABI's events, made when first needed
        for log in result.logs:
            if not log.topics:
                continue
            named = names.of(log.address)
            if named is None:  # (an emitter the Env knows nothing of, or one an anchor rolled back: left out)
                continue
            abi = named[1]
            events = by_abi.get(id(abi))
            if events is None:
                events = by_abi[id(abi)] = event_items(abi)
            items = events.get(log.topics[0])
            if items is not None and (event := try_decode_event(log, items, to_checksum(log.address))) is not None:
                decoded.append(event)  # (else another known ABI may have it, or it is left out)
                continue
            if anywhere is None:
                anywhere = {}
                for _, abi in (*self._known.values(), *self._code_names.values()):
                    for topic, found in event_items(abi).items():
                        listed = anywhere.setdefault(topic, [])
                        listed.extend(item for item in found if item not in listed)
            items = anywhere.get(log.topics[0])
            if items is not None and (event := try_decode_event(log, items, to_checksum(log.address))) is not None:
                decoded.append(event)  # (the same signature, indexed otherwise: not this one's)
        return decoded

    def _abi_of(self, address: bytes) -> tuple[str, list[dict]] | None:
        """The name and ABI the Env knows for `address`: its own (deployed, at(), a label), else its code's."""
        return self._names().of(address)

    @contextlib.contextmanager
    def gas_report(self) -> Iterator[GasReport]:
        """Collect the gas of every call and deployment inside the block, per contract function (foundry's
        --gas-report), the calls and creates contracts made included (the block's calls are traced for that, which
        makes them slower; env.tracing is unchanged): `print(report)` gives calls, min, mean, median and max;
        `report.rows` the numbers."""
        report = GasReport(self._abi_of)
        self._reports.append(report)
        self.chain.tracing = True  # (for the report: env.tracing stays what the user set, found in review)
        try:
            yield report
        finally:
            self._reports.remove(report)
            self.chain.tracing = self._tracing or bool(self._reports)

    def _know_code(self, compiled: Any, code_hash: bytes | None = None) -> None:
        """Code this Env was given (a compiled contract: built, a dependency, deployed; `code_hash` that of its blob,
        if known): traces name it wherever it runs, and its custom errors decode wherever they bubble up (found in
        review: a factory child's did not, unless at() named it). A library's functions its ABI leaves out
        (CompiledContract.signatures) are named in traces and gas reports as functions of the ABI kept for its code."""
        abi = check_abi(compiled.abi)
        learn_errors(self.known_errors, abi)
        signatures = getattr(compiled, "signatures", ())
        self._code_names[code_hash or keccak256(compiled.blob)] = (
            getattr(compiled, "name", "Contract"), abi + [signature_item(s) for s in signatures] if signatures else abi)

    def _named(self, contract: Contract) -> Contract:
        """`contract`, its name and ABI now known for call traces."""
        self._known[parse_address(contract.address)] = (contract._name, contract.abi)
        return contract

    def call(
        self, to: Addressish, data: bytes | str = b"", *, value: int = 0, sender: Addressish | None = None,
        gas: int | None = None,
    ) -> CallResult:  # fmt: skip
        """Send a transaction; never raises for reverts: inspect `.success`, `.output`, `.logs`."""
        origin, dest = self._eoa if sender is None else self._sender(sender), parse_address(to)
        # (data and value checked only when not already in their final form, as in the usual call: bytes, no value)
        if type(data) is not bytes:
            data = _hex_bytes("data", data)
        if type(value) is not int or value:
            value = _whole("value", value)
        # (_gas's usual case and _record written out: each function a call's flow goes through costs it ~1.5%)
        default = self._default_gas
        weight = default[1] if gas is None and default[0] == self.gas_limit else self._gas(gas)
        if self.origin is None or sender is not None:
            result = self.chain.transaction(origin, weight, None, dest, value, data)
        else:  # (pranked: `origin` sends, self.origin signs)
            result = self.chain.transaction(self.origin, weight, None, dest, value, data, False, False, None, origin)
        self.last_result = result
        if not self._dry:
            self.last_tx = self._latest_tx = result
        if self._reports:
            for report in self._reports:
                report.record(dest, data[:4], result.gas_used, result.trace)
        return result

    def _record(self, result: CallResult) -> None:
        """The result is the last one; and the last transaction's, unless inside a dry run."""
        self.last_result = result
        if not self._dry:
            self.last_tx = self._latest_tx = result

    def dry_call(
        self, to: Addressish, data: bytes | str = b"", *, value: int = 0, sender: Addressish | None = None,
        gas: int | None = None,
    ) -> CallResult:  # fmt: skip
        """Run a call and roll all its effects back (what view functions use)."""
        saved = self._hold()  # (anchor()'s work without its generator: a view function's call is mostly overhead)
        self._dry += 1
        try:
            return self.call(to, data, value=value, sender=sender, gas=gas)
        finally:
            self._dry -= 1
            self._restore(saved)

    def _gas(self, gas: int | None) -> Weight:
        if gas is None and self._default_gas[0] == self.gas_limit:  # (the same Weight call after call)
            return self._default_gas[1]
        # (env.gas_limit is a plain attribute, read on every call: checked here, when it changes, at no cost per call)
        fuel = _whole("gas_limit", self.gas_limit, 1 << 63) if gas is None else _whole("gas", gas, 1 << 63)
        weight = Weight(fuel * self.chain.config.schedule.ref_time_per_fuel, 3 * 1024**3)
        if gas is None:
            self._default_gas = (fuel, weight)
        return weight

    # Blocks.
    def mine(self, blocks: int = 1, seconds_per_block: int = 6) -> None:
        """Advance the chain by `blocks` blocks, `seconds_per_block` apart (boa's time_travel, foundry's roll and
        warp together): block.number and block.timestamp move, and each block passed gets a hash."""
        blocks, seconds = _whole("blocks", blocks, U64_LIMIT), _whole("seconds_per_block", seconds_per_block, U64_LIMIT)
        _whole("the block number after mining", self.chain.block_number + blocks, U64_LIMIT)
        _whole("the timestamp after mining", self.chain.timestamp + blocks * seconds, U64_LIMIT)
        self.chain.next_block(blocks, seconds)

    @property
    def block_number(self) -> int:
        return self.chain.block_number

    @block_number.setter
    def block_number(self, value: int) -> None:
        self.chain.block_number = _whole("block_number", value, U64_LIMIT)

    @property
    def timestamp(self) -> int:
        return self.chain.timestamp

    @timestamp.setter
    def timestamp(self, value: int) -> None:
        self.chain.timestamp = _whole("timestamp", value, U64_LIMIT)

    # Compiler.
    def compile(self, source: str | Path | list[str | Path] | dict[str, str], *, heap_size: int | None = None,
                stack_size: int | None = None, optimizer: str = "z", evm: bool = True,
                remappings: Sequence[str] | None = None) -> dict[str, Any]:  # fmt: skip
        """Compile Solidity (a file, files, source text or {unit name: text}) with resolc 0.3.0 (installed on first
        use); returns CompiledContract by name. `heap_size`: Solidity's memory in bytes (resolc's default 64 KiB traps
        beyond); `optimizer`: resolc's level (0 1 2 3 s z); `evm=False` skips solc's EVM build (faster; no
        `evm_bytecode`, so no differential comparison); `remappings`: foundry's `prefix=target` lines
        (`@openzeppelin/=lib/openzeppelin-contracts/`, targets from the current folder; by default those of
        ./remappings.txt, if there is one)."""
        from .revive.compiler import compile_solidity

        compiled = compile_solidity(source, heap_size=heap_size, stack_size=stack_size, optimizer=optimizer,
                                    evm=evm, remappings=remappings)  # fmt: skip
        for c in compiled.values():
            self._compiled[c.code_hash] = c
            self._know_code(c, c.code_hash)
        return compiled


__all__ = ["ALICE", "BOB", "CHARLIE", "ContractRevert", "DeployError", "Env"]
