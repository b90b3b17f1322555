"""Host calls native code may answer by itself (`Instance.serve(on_ecalli, shortcuts)`).

A host whose gas has a finer unit than the VM's (pallet-revive's weight: `unit` ref-time per unit of fuel) and a
second budget (proof size) can hand the JIT simple host calls together with their answers: a value for a0, bytes to
copy to the guest pointer in a0, or the 32-byte big-endian word of `buffer` at the offset in a1, byte-swapped to a0's
pointer (call data), or the keccak-256 of guest memory (pycryptodome's C keccak, called from native code). Native code
then charges `cost` sub-units and `budget_cost` budget and answers without leaving, which saves the round trip to
Python and the handler.

A shortcut runs only when everything it needs holds: its pointers lie wholly in rw data (as first mapped) or the
stack, its word wholly in `buffer`, and gas × unit + remainder covers `cost` and the budget covers `budget_cost`. Else
the host call goes to `on_ecalli` as without shortcuts, nothing changed, and the host's handler answers it (and fails
it as it must). After a shortcut, what is left is gas × unit + remainder again, with gas, remainder = divmod(left,
unit). Backends without native code (the interpreter) answer every host call through `on_ecalli`.

What is static (which calls, their kinds and costs) is a ShortcutTable, built once per program and host; what changes
per run (the answers, the remainder and budget) is a Shortcuts.
"""

from __future__ import annotations

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


BYTES_LENGTHS = (20, 32)  # what a BYTES shortcut may copy (the native code has a path for each)
MAX_SHORTCUTS = 40  # ecalli numbers 0..39 may have one
ANSWER_BYTES = 640  # room for the answers of one run


class Shortcut(NamedTuple):
    kind: ShortcutKind
    cost: int  # sub-units of gas (u64)
    budget_cost: int = 0  # (u64)
    length: int = 0  # BYTES: 20 or 32; KECCAK: its cost per input byte (a u64)

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
        if self.kind == ShortcutKind.KECCAK and not 0 <= self.length < 1 << 64:
            return f"KECCAK's cost per byte is a u64, not {self.length}"
        return None


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
        self.budget_free = not any(c.budget_cost for c in self.calls.values())  # (the budget never changes natively)


@dataclass(slots=True)
class Shortcuts:
    """One run's shortcuts: the table, the answers (per `table.numbers`: VALUE's u64, BYTES' bytes) and the state
    shared with the host, [remainder, budget, on]: read the first two in on_ecalli and after serve() (native code
    changes them) and set them before on_ecalli returns the gas; set `on` to 0 when the answers stop holding, which
    ends the shortcuts for the rest of the run (write nothing else there: while serve() runs, `on` is the backend's).
    While serve() runs `state` may be a view of the JIT's context: keep reaching it through `shortcuts.state`."""

    table: ShortcutTable
    unit: int  # sub-units per unit of gas (at least 2 for shortcuts to run)
    state: MutableSequence[int]  # [remainder (sub-units left beyond gas × unit), budget left, on (0 or not)]
    answers: Sequence[int | bytes] = ()
    buffer: bytes = b""  # what WORD shortcuts read (the table, answers and buffer are read when serve() starts)
