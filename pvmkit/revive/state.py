"""World state of the pallet-revive emulation: accounts, contracts, code, storage, events.

Every mutation goes through a method that records how to undo it in a journal, so any span of
changes can be rolled back: a reverted or trapped frame (with everything it called), or an
`Env.anchor()` block. `checkpoint()`/`revert_to()` are the only transaction primitives.
An undo record is a tuple (function, *arguments), not a closure: a closure and its cells cost a
contract call's flow several times as much, and a token transfer writes three records. Each is
journaled before its change is made, and puts back what was there absolutely, so that an interrupt
(Ctrl-C) between the two leaves nothing that a revert does not undo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..pvm.shortcuts import WordCache, decode_records

Address = bytes  # 20 bytes
Hash = bytes  # 32 bytes
StorageKey = tuple[bool, bytes]  # (is_fixed_32_byte_key, raw key bytes): fixed and variable keys never collide
Undo = tuple[Any, ...]  # a journal record: (function, *arguments)


@dataclass
class Account:
    """Balances in the chain's native unit. `held` is the storage deposit reserved on a contract."""

    free: int = 0
    held: int = 0
    nonce: int = 0


@dataclass
class ContractInfo:
    """What makes an account a contract (pallet `ContractInfo` + `ImmutableDataOf`)."""

    code_hash: Hash
    storage: dict[StorageKey, bytes] = field(default_factory=dict)
    immutable_data: bytes | None = None
    storage_bytes: int = 0
    storage_items: int = 0
    base_deposit: int = 0
    deposit_accounted: int = 0
    # What the JIT's storage shortcuts read and write (the host makes it; set_storage keeps it equal to `storage`).
    cache: WordCache | None = field(default=None, repr=False, compare=False)


@dataclass
class CodeInfo:
    """An uploaded blob (pallet `PristineCode` + `CodeInfo`)."""

    blob: bytes
    owner: Address
    deposit: int
    refcount: int = 0


class Event(NamedTuple):
    """A `ContractEmitted` event (an Ethereum log). (A NamedTuple: a transfer makes one, and a frozen dataclass took
    ~1 us to build.)"""

    address: Address
    topics: tuple[bytes, ...]
    data: bytes


class RawEvents(NamedTuple):
    """Events that native code emitted, still as its records (EventBuffer): read as Events through `decoded`. (Most
    results' logs are never read, and decoding them when taken cost a token transfer ~5%.)"""

    address: Address
    records: bytes


def decoded(events: list[Event | RawEvents]) -> list[Event]:
    """`events` with each RawEvents in it decoded in place, in order (the list itself when it holds none)."""
    if all(type(e) is not RawEvents for e in events):
        return events  # type: ignore[return-value]
    out: list[Event] = []
    for e in events:
        if type(e) is RawEvents:
            out.extend(Event(e.address, topics, data) for topics, data in decode_records(e.records))
        else:
            out.append(e)  # type: ignore[arg-type]
    return out


_new_tuple = tuple.__new__  # builds a NamedTuple without its __new__, a Python function (~0.3 us in a call's flow)


class State:
    """Journaled world state. Reads are plain dict lookups; writes go through the methods below."""

    def __init__(self) -> None:
        self.accounts: dict[Address, Account] = {}
        self.contracts: dict[Address, ContractInfo] = {}
        self.codes: dict[Hash, CodeInfo] = {}
        self.transient: dict[tuple[Address, StorageKey], bytes] = {}
        self.events: list[Event | RawEvents] = []  # the running transaction's (end_transaction drops them)
        self._journal: list[Undo] = []
        self._holds = 0  # open `hold()` checkpoints: the journal is kept while any exists

    # Transactions.
    def checkpoint(self) -> int:
        return len(self._journal)

    def hold(self) -> int:
        """A checkpoint that stays valid across transactions until `release()` (Env.anchor)."""
        self._holds += 1
        return len(self._journal)

    def release(self) -> None:
        self._holds -= 1

    def end_transaction(self) -> None:
        """A transaction is over: its transient storage goes (clear_transient), its events too (its result has them:
        kept, every event of the chain's life stayed in memory, and the garbage collector went through them all), and
        without an open hold nothing can roll back into it, so its undo records go (the journal would otherwise grow
        with every write for the life of the chain)."""
        if self.transient:
            self.clear_transient()
        if self.events:
            self.events = []  # (a new list: the undo records of a held journal change the one they were made for)
        if not self._holds:
            self._journal.clear()

    def revert_to(self, checkpoint: int) -> None:
        journal = self._journal
        while len(journal) > checkpoint:
            undo = journal[-1]
            undo[0](*undo[1:])
            journal.pop()  # (after: an interrupt in between leaves a record that undoes the same again)

    def _record(self, *undo: Any) -> None:
        """Journal (function, *arguments): calling it undoes the change just made."""
        self._journal.append(undo)

    def forget_journal(self) -> None:
        """Drop undo history (the state stays); used when nothing can roll back past this point."""
        self._journal.clear()

    # Accounts.
    def account(self, address: Address) -> Account | None:
        return self.accounts.get(address)

    def exists(self, address: Address) -> bool:
        """Whether the account exists as frame_system counts it (a provider: a balance): a record that only holds a
        nonce (set_nonce) or a zero balance does not (found in review: it let a transfer skip the new account's ED)."""
        acct = self.accounts.get(address)
        return acct is not None and (acct.free > 0 or acct.held > 0)

    def ensure_account(self, address: Address) -> Account:
        acct = self.accounts.get(address)
        if acct is None:
            self._record(self.accounts.pop, address, None)
            acct = self.accounts[address] = Account()
        return acct

    def remove_account(self, address: Address) -> None:
        """The account is gone (reaped: no balance left, as a terminated contract's account is)."""
        self._record(self.accounts.__setitem__, address, self.accounts[address])
        del self.accounts[address]

    def set_free(self, address: Address, value: int) -> None:
        acct = self.ensure_account(address)
        self._record(setattr, acct, "free", acct.free)
        acct.free = value

    def set_held(self, address: Address, value: int) -> None:
        acct = self.ensure_account(address)
        self._record(setattr, acct, "held", acct.held)
        acct.held = value

    def set_nonce(self, address: Address, value: int) -> None:
        acct = self.ensure_account(address)
        self._record(setattr, acct, "nonce", acct.nonce)
        acct.nonce = value

    def bump_nonce(self, address: Address) -> None:
        """set_nonce(address, nonce(address) + 1), as every transaction does."""
        acct = self.accounts.get(address) or self.ensure_account(address)
        old = acct.nonce
        self._journal.append((setattr, acct, "nonce", old))  # (_record's work: a call less per transaction)
        acct.nonce = old + 1

    def free(self, address: Address) -> int:
        acct = self.accounts.get(address)
        return acct.free if acct else 0

    def nonce(self, address: Address) -> int:
        acct = self.accounts.get(address)
        return acct.nonce if acct else 0

    # Code.
    def add_code(self, code_hash: Hash, info: CodeInfo) -> None:
        self._record(self.codes.pop, code_hash, None)
        self.codes[code_hash] = info

    def remove_code(self, code_hash: Hash) -> CodeInfo:
        info = self.codes.pop(code_hash)
        self._record(self.codes.__setitem__, code_hash, info)
        return info

    def change_refcount(self, code_hash: Hash, delta: int) -> None:
        info = self.codes[code_hash]
        self._record(setattr, info, "refcount", info.refcount)
        info.refcount += delta

    # Contracts.
    def add_contract(self, address: Address, info: ContractInfo) -> None:
        self._record(self.contracts.pop, address, None)
        self.contracts[address] = info

    def remove_contract(self, address: Address) -> None:
        self._record(self.contracts.__setitem__, address, self.contracts[address])
        del self.contracts[address]

    def set_contract_field(self, info: ContractInfo, name: str, value: object) -> None:
        self._record(setattr, info, name, getattr(info, name))
        setattr(info, name, value)

    def set_storage(self, info: ContractInfo, key: StorageKey, value: bytes | None) -> bytes | None:
        """Write (or delete with None) a persistent slot; returns the old value. Tracks bytes/items for deposits, and
        keeps the contract's cache equal."""
        storage = info.storage
        old = storage.get(key)
        self._record(_undo_slots, info, ((key, old),), info.storage_items, info.storage_bytes)
        if key[0] and info.cache is not None:
            info.cache.put(key[1], value)
        if value is None:
            storage.pop(key, None)
        else:
            storage[key] = value
        info.storage_bytes += (len(value) if value is not None else 0) - (len(old) if old is not None else 0)
        info.storage_items += (value is not None) - (old is not None)
        return old

    def set_words(self, info: ContractInfo, words: list[tuple[bytes, bytes]]) -> None:
        """set_storage(info, (True, key), value) for each (key, value) in order, with one undo record, for what native
        code wrote (32-byte keys and values) and has put in the contract's cache already (a transfer writes two). The
        undo record comes first and restores absolutely what was written before it runs, so an interrupt (Ctrl-C)
        anywhere leaves nothing it cannot undo."""
        storage = info.storage
        olds: list[tuple[StorageKey, bytes | None]] = []  # (each entry added before its write)
        self._journal.append((_undo_slots, info, olds, info.storage_items, info.storage_bytes))  # (_record's)
        added = 0  # (new slots, counted into the info once: its attributes cost a call's flow more than locals)
        for key, value in words:
            k = (True, key)
            old = storage.get(k)
            olds.append((k, old))
            storage[k] = value
            if old is None:
                added += 1
            elif len(old) != 32:
                info.storage_bytes += 32 - len(old)
        if added:
            info.storage_items += added
            info.storage_bytes += 32 * added

    def set_transient(self, address: Address, key: StorageKey, value: bytes | None) -> bytes | None:
        k = (address, key)
        old = self.transient.get(k)
        self._record(_undo_transient, self, k, old)
        if value is None:
            self.transient.pop(k, None)
        else:
            self.transient[k] = value
        return old

    def clear_transient(self) -> None:
        """End of a transaction: transient storage is gone (journaled, so anchors restore it too)."""
        old = self.transient
        if not old:  # (most transactions write none: nothing to clear or to journal)
            return
        self._record(setattr, self, "transient", old)
        self.transient = {}

    def emit(self, event: Event) -> None:
        log = self.events  # (the list it is now: end_transaction makes another)
        self._record(_truncate, log, len(log))
        log.append(event)

    def emit_records(self, address: Address, records: bytes) -> None:
        """Events native code emitted, as EventBuffer records (decoded when read: `decoded`), with an undo record."""
        log = self.events
        self._journal.append((_truncate, log, len(log)))  # (_record's)
        log.append(_new_tuple(RawEvents, (address, records)))


def _undo_slots(info: ContractInfo, olds: Sequence[tuple[StorageKey, bytes | None]], items: int, size: int) -> None:
    """set_storage's and set_words' undo: each slot's old value, last written first, and the sizes as they were."""
    storage, cache = info.storage, info.cache  # (the cache it has now: it may be younger than the write)
    for k, old in reversed(olds):
        if old is None:
            storage.pop(k, None)
        else:
            storage[k] = old
        if k[0] and cache is not None:
            cache.put(k[1], old)
    info.storage_items, info.storage_bytes = items, size


def _undo_transient(state: State, k: tuple[Address, StorageKey], old: bytes | None) -> None:
    if old is None:
        state.transient.pop(k, None)  # (the dict it is now: clear_transient may have made another)
    else:
        state.transient[k] = old


def _truncate(log: list[Event], count: int) -> None:
    del log[count:]
