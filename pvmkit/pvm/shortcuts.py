"""Host calls native code may answer by itself (`Instance.serve(on_ecalli, shortcuts)`).

A host whose gas has a finer unit than the VM's (pallet-revive's weight: `unit` ref-time per unit of fuel) and a
second budget (proof size) can hand the JIT simple host calls together with their answers: a value for a0, bytes to
copy to the guest pointer in a0, or the 32-byte big-endian word of `buffer` at the offset in a1, byte-swapped to a0's
pointer (call data), or the keccak-256 of guest memory (pycryptodome's C keccak, called from native code). Native code
then charges `cost` sub-units and `budget_cost` budget and answers without leaving, which saves the round trip to
Python and the handler.

The TABLE kinds answer pallet-revive's get_storage and set_storage for 32-byte keys and values from a WordCache, a
hash table in native memory that the host keeps equal to its storage for the keys it holds. Native writes go into the
cache and a log of what was written (`logged` in the state), which the host applies to its own storage at the next
host call that reaches it and when serve() ends, before it looks at the storage again.

A shortcut runs only when everything it needs holds: its pointers lie wholly in rw data (as first mapped) or the
stack, its word wholly in `buffer`, and gas × unit + remainder covers `cost` and the budget covers `budget_cost`. Else
the host call goes to `on_ecalli` as without shortcuts, nothing changed, and the host's handler answers it (and fails
it as it must). After a shortcut, what is left is gas × unit + remainder again, with gas, remainder = divmod(left,
unit). Backends without native code (the interpreter) answer every host call through `on_ecalli`.

What is static (which calls, their kinds and costs) is a ShortcutTable, built once per program and host; what changes
per run (the answers, the remainder and budget) is a Shortcuts.
"""

from __future__ import annotations

import ctypes
import enum
import struct
from collections.abc import MutableSequence, Sequence
from dataclasses import dataclass
from typing import NamedTuple


class ShortcutKind(enum.IntEnum):
    VALUE = 1  # a0 = the answer (a u64)
    BYTES = 2  # the answer (20 or 32 bytes) written at the guest pointer in a0
    WORD = 3  # buffer[a1 : a1 + 32], reversed, written at the guest pointer in a0 (no answer)
    KECCAK = 4  # keccak-256 of guest [a0, a0 + a1) written at the guest pointer in a2 (no answer); costs `cost` plus
    #             `length` per input byte
    # pallet-revive's storage calls with flags a0 = 0 and a 32-byte key at a1 (key length a2 = u32::MAX), answered from
    # the run's WordCache when it holds the key (else the host answers). Each takes `cost` plus `length` per byte of
    # the value the key held (0 or 32), and `budget_cost` plus `per_item` per such byte of the budget; what a held
    # value of TABLE_CHECKED bytes (the largest) would take must be left of both.
    TABLE_GET = 5  # out pointer a3, its capacity (a u32 of at least 32) at a4: the value and 32 written there, a0 = 0;
    #                for a key known to have no value, a0 = TABLE_ABSENT and nothing is written
    TABLE_SET = 6  # the 32-byte value at a3 (a4 = 32) stored: a0 = 32 if the key had a (32-byte) value, else u32::MAX
    # pallet-revive's deposit_event: a1 <= EVENT_TOPICS topics of 32 bytes at a0 and a3 <= EVENT_DATA bytes at a2,
    # copied into the run's EventBuffer as one record; costs `cost` + `length` per data byte + `per_item` per topic.
    EVENT = 7
    # pallet-revive's seal_return: flags a0 (0 or HALT_FLAGS), a2 <= HALT_DATA bytes at a1; costs `cost` + `length` per
    # byte, then ends the run: serve() returns the ecalli's interrupt with the registers as they were, and state[5] = 1.
    HALT = 8


TABLE_ABSENT = 3  # TABLE_GET's a0 for a key with no value (pallet-revive's KEY_NOT_FOUND)
TABLE_CHECKED = 416  # the held value TABLE_* check the gas and budget for (pallet-revive's largest value)
EVENT_TOPICS, EVENT_DATA = 4, 416  # the most an EVENT takes (pallet-revive's limits)
HALT_FLAGS, HALT_DATA = 1, 128 * 1024  # the flags a HALT may have (REVERT) and the most data it may return
BYTES_LENGTHS = (20, 32)  # what a BYTES shortcut may copy (the native code has a path for each)
MAX_SHORTCUTS = 40  # ecalli numbers 0..39 may have one
ANSWER_BYTES = 512  # room for the answers of one run


class Shortcut(NamedTuple):
    kind: ShortcutKind
    cost: int  # sub-units of gas (u64)
    budget_cost: int = 0  # (u64)
    length: int = 0  # BYTES: 20 or 32; KECCAK, TABLE_*, EVENT and HALT: the cost per byte (a u64)
    per_item: int = 0  # EVENT: the cost per topic; TABLE_*: the budget per byte of the held value (a u32)

    @property
    def answer_size(self) -> int:
        """Bytes its answer takes in the room for them (ANSWER_BYTES): VALUE's u64, BYTES' data, else none."""
        return 8 if self.kind == ShortcutKind.VALUE else self.length if self.kind == ShortcutKind.BYTES else 0

    def problem(self) -> str | None:
        """Why native code cannot do it, or None."""
        if self.kind not in ShortcutKind.__members__.values():
            return f"unknown kind {self.kind!r}"
        if not (0 <= self.cost < 1 << 64 and 0 <= self.budget_cost < 1 << 64):
            return "its costs are u64"
        if self.kind == ShortcutKind.BYTES and self.length not in BYTES_LENGTHS:
            return f"BYTES copies 20 or 32 bytes, not {self.length}"
        if self.kind in PER_BYTE and not 0 <= self.length < 1 << 64:
            return f"{self.kind.name}'s cost per byte is a u64, not {self.length}"
        if not 0 <= self.per_item < (1 << 32 if self.kind in PER_ITEM else 1):
            return f"a cost per item is a u32, and only for EVENT and TABLE_*, not {self.per_item}"
        return None


PER_BYTE = (ShortcutKind.KECCAK, ShortcutKind.TABLE_GET, ShortcutKind.TABLE_SET, ShortcutKind.EVENT, ShortcutKind.HALT)
PER_ITEM = (ShortcutKind.EVENT, ShortcutKind.TABLE_GET, ShortcutKind.TABLE_SET)
TABLE_KINDS = (ShortcutKind.TABLE_GET, ShortcutKind.TABLE_SET)


class ShortcutTable:
    """Which ecalli numbers have shortcuts and what they cost; `numbers` lists those that take an answer (VALUE and
    BYTES), in the order Shortcuts.answers gives them. ValueError for anything the native code cannot do."""

    def __init__(self, calls: dict[int, Shortcut]) -> None:
        self.calls = dict(calls)
        numbers, formats, offsets, at = [], ["<"], {}, 0
        for number, shortcut in sorted(self.calls.items()):
            if not 0 <= number < MAX_SHORTCUTS:
                raise ValueError(f"shortcut for ecalli {number}: only 0..{MAX_SHORTCUTS - 1} may have one")
            problem = shortcut.problem()
            if problem is not None:
                raise ValueError(f"shortcut for ecalli {number}: {problem}")
            size = shortcut.answer_size
            if not size:
                continue
            numbers.append(number)
            formats.append("Q" if shortcut.kind == ShortcutKind.VALUE else f"{size}s")
            offsets[number] = at
            at += size
        if at > ANSWER_BYTES:
            raise ValueError(f"the answers take {at} bytes, more than the {ANSWER_BYTES} there is room for")
        self.numbers = tuple(numbers)
        self.answers = struct.Struct("".join(formats))  # packs Shortcuts.answers
        self.offsets = offsets  # number → where its answer is, in what `answers` packs
        self.native: bytes | None = None  # the table as the JIT's context holds it (made by the JIT, once)
        # (the budget never changes natively)
        self.budget_free = not any(c.budget_cost or c.kind in TABLE_KINDS and c.per_item for c in self.calls.values())
        self.tables = any(c.kind in TABLE_KINDS for c in self.calls.values())
        self.count = max(self.calls, default=-1) + 1  # (ecalli numbers below it may have one)


@dataclass(slots=True)
class Shortcuts:
    """One run's shortcuts: the table, the answers (per `table.numbers`: VALUE's u64, BYTES' bytes) and the state
    shared with the host, [remainder, budget, on, logged, events, halted]: read the first two in on_ecalli and after
    serve() (native code changes them) and set them before on_ecalli returns the gas; take the writes and events the
    next two count first (and set them to 0); set `on` to 0 when the answers stop holding, which ends the shortcuts
    for the rest of the run (write nothing else there: while serve() runs, `on` is the backend's).
    While serve() runs `state` may be a view of the JIT's context: keep reaching it through `shortcuts.state`."""

    table: ShortcutTable
    unit: int  # sub-units per unit of gas (at least 2 for shortcuts to run)
    # [remainder (sub-units left beyond gas × unit), budget left, on (0 or not), logged (cache.log's entries written
    # natively and not yet taken by the host: set it to 0 once it has), events (the bytes of records in `events` not
    # yet taken: likewise), halted (1 once a HALT ended the run)]
    state: MutableSequence[int]
    answers: Sequence[int | bytes] = ()
    buffer: bytes = b""  # what WORD shortcuts read (the table, answers and buffer are read when serve() starts)
    cache: WordCache | None = None  # what TABLE shortcuts answer from (none: the host answers them)
    writes: bool = False  # whether TABLE_SET and EVENT may write (a read-only call: no)
    events: EventBuffer | None = None  # where EVENT records go (none: the host answers them)


_ENTRY = 72  # a WordCache entry: the key, the value, the state (u64)
EMPTY, PRESENT, ABSENT, OTHER = 0, 1, 2, 3  # an entry's state: unused, a 32-byte value, no value, another length
LOG_CAPACITY = 64  # native writes between two host calls that reach the host (more go to the host)
# The hash (native code does the same): x = w0 ^ w1 ^ w2 ^ w3 (the key as little-endian u64 words), x ^= x >> 32, then
# bits 32 and up of x × _MIX mod 2^64. (Without the fold, the top bits of w3, where consecutive Solidity slots differ,
# never reached the index: found in review, 8,000 array items took 5x as long as before the cache.)
_MIX = 0x9E3779B97F4A7C15
_WORDS = struct.Struct("<4Q")
_KEY_VALUE = struct.Struct("32s32s")
_STATE = struct.Struct("<Q")
M64 = (1 << 64) - 1


class WordCache:
    """32-byte keys and what they hold (a 32-byte value, none, or a value of another length) in native memory, for
    TABLE shortcuts: open addressing with linear probing, at most half full, entries never removed (a key's entry
    changes state instead), so a probe always ends at the key or at an empty entry. Only `put` changes it from Python;
    the buffer moves (grows, or is cleared when it cannot) only in `prepare`, while no run uses it."""

    def __init__(self, capacity: int = 64, max_capacity: int = 1 << 14) -> None:
        if not (2 <= capacity <= max_capacity <= 1 << 31 and not capacity & (capacity - 1)
                and not max_capacity & (max_capacity - 1)):  # fmt: skip
            raise ValueError(f"capacities are powers of two, 2 <= {capacity} <= {max_capacity} <= 2^31")
        self.max_capacity = max_capacity
        self.log = (ctypes.c_uint32 * LOG_CAPACITY)()  # indices of the entries written natively, in order
        self.log_address = ctypes.addressof(self.log)
        self._log = memoryview(self.log).cast("B").cast("I")  # (as ints: slicing the ctypes array is slower)
        self.users = 0  # runs that have its address (it must not move meanwhile)
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self.capacity, self.mask = capacity, capacity - 1
        self._buffer = (ctypes.c_char * (capacity * _ENTRY))()
        self.address = ctypes.addressof(self._buffer)
        self._view = memoryview(self._buffer).cast("B")
        self.index: dict[bytes, int] = {}  # key → its entry

    def put(self, key: bytes, value: bytes | None) -> None:
        """`key` holds `value` now (None: nothing). A key without an entry gets one while the cache is under half
        full (else it stays out: its calls go to the host)."""
        view, i = self._view, self.index.get(key)
        if i is None:
            if 2 * (len(self.index) + 1) > self.capacity:
                return
            i = self.home(key)
            while view[i * _ENTRY + 64]:  # (states fit the low byte)
                i = (i + 1) & self.mask
            self.index[key] = i
            view[i * _ENTRY : i * _ENTRY + 32] = key
        at = i * _ENTRY
        if value is None:
            state = ABSENT
        elif len(value) == 32:
            view[at + 32 : at + 64] = value
            state = PRESENT
        else:
            state = OTHER
        _STATE.pack_into(view, at + 64, state)

    def forget(self) -> None:
        """Hold no key (in place: runs that have the address keep a valid table, where every lookup misses)."""
        ctypes.memset(self.address, 0, self.capacity * _ENTRY)
        self.index.clear()

    def home(self, key: bytes) -> int:
        """Where a probe for `key` starts."""
        w0, w1, w2, w3 = _WORDS.unpack(key)
        x = w0 ^ w1 ^ w2 ^ w3
        return ((((x ^ x >> 32) * _MIX) & M64) >> 32) & self.mask

    def logged(self, count: int) -> list[tuple[bytes, bytes]]:
        """The first `count` native writes: (key, value), in order."""
        view, unpack, out = self._view, _KEY_VALUE.unpack_from, []
        for i in self._log[:count]:  # (a loop: a comprehension is a function call of its own)
            out.append(unpack(view, i * _ENTRY))
        return out

    def get(self, key: bytes) -> tuple[int, bytes] | None:
        """(state, value) of the key's entry, None without one."""
        i = self.index.get(key)
        if i is None:
            return None
        at = i * _ENTRY
        return _STATE.unpack_from(self._view, at + 64)[0], bytes(self._view[at + 32 : at + 64])

    def prepare(self) -> None:
        """Before a run: a cache that has turned keys away grows (or, at its largest, starts again empty). Only a
        cache at least half full (len(index) >= capacity // 2) has anything to do here."""
        if 2 * (len(self.index) + 1) <= self.capacity or self.users:
            return
        entries = [(key, self.get(key)) for key in self.index]
        if self.capacity >= self.max_capacity:
            self._allocate(self.capacity)
            return
        self._allocate(self.capacity * 2)
        for key, (state, value) in entries:  # type: ignore[misc]
            self.put(key, None if state == ABSENT else value if state == PRESENT else b"")


EVENT_BUFFER = 4096  # an EventBuffer's bytes: records of at most 8 + 4 × 32 + 416 bytes


class EventBuffer:
    """Where EVENT shortcuts put what they emit, for the host to take: records of (topics: u32, data length: u32,
    the topics, the data), each padded to 8 bytes."""

    def __init__(self) -> None:
        self._buffer = (ctypes.c_char * EVENT_BUFFER)()
        self.address = ctypes.addressof(self._buffer)
        self.view = memoryview(self._buffer).cast("B")  # (a host keeps a copy of the used bytes: decode_records)

    def records(self, used: int) -> list[tuple[tuple[bytes, ...], bytes]]:
        """(topics, data) of the records in the first `used` bytes, in order."""
        return decode_records(self.view[:used])


def decode_records(records: bytes | memoryview) -> list[tuple[tuple[bytes, ...], bytes]]:
    """(topics, data) of each record in `records` (an EventBuffer's used bytes), in order."""
    at, out, used = 0, [], len(records)
    while at < used:
        topics, length = _RECORD.unpack_from(records, at)
        at += 8 + 32 * topics
        out.append((_TOPICS[topics].unpack_from(records, at - 32 * topics), bytes(records[at : at + length])))
        at += (length + 7) // 8 * 8
    return out


_RECORD = struct.Struct("<II")
_TOPICS = [struct.Struct("32s" * n) for n in range(EVENT_TOPICS + 1)]  # (a record's topics as a tuple, in one call)
