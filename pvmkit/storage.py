"""A contract's state variables by name (titanoboa's `contract._storage`), read from its storage through the storage
layout solc gives with the build (resolc keeps Solidity's slots): value types come back decoded, and mappings, arrays
and structs as views that read the slots they need when indexed. Nothing is cached: a view reads the storage as it is
when asked. Value types, bytes and strings can be written the same way (foundry's vm.store or `deal`, by name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Protocol

from .revive.address import parse_address, to_checksum
from .revive.primitives import keccak256


class Slots(Protocol):
    """A contract's storage by slot, each 32-byte word as a big-endian int."""

    def read(self, slot: int) -> int: ...

    def write(self, slot: int, word: int) -> None: ...

_ARRAY_LENGTH = re.compile(r"\)(\d+)_storage$")


class StorageView:
    """The state variables of one contract: `view.name` reads one (AttributeError names the ones there are). Its own
    state is in name-mangled slots, so that no state variable (OpenZeppelin's `_name`, say) meets it."""

    __slots__ = ("__slots", "__types", "__vars", "__label")

    def __init__(self, slots: Slots, layout: dict, name: str = "contract") -> None:
        self.__slots, self.__types, self.__label = slots, layout.get("types") or {}, name
        self.__vars = {var["label"]: var for var in layout.get("storage", [])}

    def __getattr__(self, name: str) -> Any:
        return _at(self.__slots, self.__types, *self.__place(name))

    def __setattr__(self, name: str, value: Any) -> None:
        """`view.name = value` writes a state variable of a value type, bytes or string (as vm.store, via the slots'
        writer); a mapping, array or struct is written through its items or members."""
        if name.startswith("_StorageView__"):
            object.__setattr__(self, name, value)
            return
        _put(self.__slots, self.__types, *self.__place(name), value)

    def __place(self, name: str) -> tuple[str, int, int]:
        """(type, slot, offset) of state variable `name`; AttributeError naming the ones there are."""
        var = self.__vars.get(name)
        if var is None:
            raise AttributeError(f"{self.__label} has no state variable {name!r} (it has: "
                                 f"{', '.join(self.__vars) or 'none'})")  # fmt: skip
        return var["type"], int(var["slot"]), int(var["offset"])

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__vars))

    def __repr__(self) -> str:
        return f"<storage of {self.__label}: {', '.join(self.__vars) or 'no state variables'}>"

    def _asdict(self) -> dict[str, Any]:
        """Every state variable: values, and views of mappings (which cannot be listed), arrays as lists, structs as
        dicts."""
        return {name: _plain(self.__getattr__(name)) for name in self.__vars}


class MappingView:
    """A mapping: `view[key]` reads the value (or a view of it) at key's slot, keccak256(key ‖ slot)."""

    def __init__(self, slots: Slots, types: dict, type_id: str, slot: int) -> None:
        self._slots, self._types, self._type, self.slot = slots, types, types[type_id], slot

    def __getitem__(self, key: Any) -> Any:
        return _at(self._slots, self._types, self._type["value"], self._where(key), 0)

    def __setitem__(self, key: Any, value: Any) -> None:
        """Write the value at `key` (a value type, bytes or string: foundry's `deal` of a token balance, say)."""
        _put(self._slots, self._types, self._type["value"], self._where(key), 0, value)

    def _where(self, key: Any) -> int:
        key_id = self._type["key"]
        return int.from_bytes(keccak256(_key(key_id, self._types[key_id], key) + self.slot.to_bytes(32, "big")), "big")

    def __repr__(self) -> str:
        return f"<{self._type['label']} at slot {self.slot:#x}>"


class ArrayView:
    """A fixed or dynamic array: len(), indexing (negative too), iteration; equal to a list of the same values."""

    def __init__(self, slots: Slots, types: dict, base: str, first: int, length: int, label: str) -> None:
        self._slots, self._types, self._base, self._first, self._length = slots, types, base, first, length
        self._label = label
        size = int(types[base]["numberOfBytes"])
        # (solc packs elements of at most 16 bytes into a slot; larger ones take whole slots, as many as they need)
        self._per_slot, self._span = (32 // size, 1) if size <= 16 else (1, -(-size // 32))

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Any:
        return _at(self._slots, self._types, self._base, *self._where(index))

    def __setitem__(self, index: int, value: Any) -> None:
        """Write an element in place (its length stays: a value type, bytes or string)."""
        _put(self._slots, self._types, self._base, *self._where(index), value)

    def _where(self, index: int) -> tuple[int, int]:
        """(slot, offset) of element `index`."""
        if type(index) is not int:
            raise TypeError(f"{self._label} indices are ints, not {type(index).__name__}")
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(f"index out of range for {self._label} of length {self._length}")
        size = int(self._types[self._base]["numberOfBytes"])
        return self._first + index // self._per_slot * self._span, index % self._per_slot * size if size <= 16 else 0

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self._length))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArrayView | list | tuple):
            return [_plain(v) for v in self] == [_plain(v) for v in other]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = [_plain(self[i]) for i in range(min(self._length, 8))]
        return f"<{self._label}: {shown}{' ...' if self._length > 8 else ''} (length {self._length})>"


class StructView:
    """A struct: its members as attributes (its own state name-mangled, as StorageView's); `_asdict()` reads them
    all."""

    __slots__ = ("__slots", "__types", "__type", "__slot", "__members")

    def __init__(self, slots: Slots, types: dict, type_id: str, slot: int) -> None:
        self.__slots, self.__types, self.__type, self.__slot = slots, types, types[type_id], slot
        self.__members = {m["label"]: m for m in self.__type["members"]}

    def __getattr__(self, name: str) -> Any:
        return _at(self.__slots, self.__types, *self.__place(name))

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_StructView__"):
            object.__setattr__(self, name, value)
            return
        _put(self.__slots, self.__types, *self.__place(name), value)

    def __place(self, name: str) -> tuple[str, int, int]:
        """(type, slot, offset) of member `name`; AttributeError naming the ones there are."""
        member = self.__members.get(name)
        if member is None:
            raise AttributeError(f"{self.__type['label']} has no member {name!r} (it has: "
                                 f"{', '.join(self.__members)})")  # fmt: skip
        return member["type"], self.__slot + int(member["slot"]), int(member["offset"])

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__members))

    def _asdict(self) -> dict[str, Any]:
        return {name: _plain(self.__getattr__(name)) for name in self.__members}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return self._asdict() == other
        if isinstance(other, StructView):
            return self._asdict() == other._asdict()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self.__type['label']} {self._asdict()}>"


def _plain(value: Any) -> Any:
    """Arrays as lists and structs as dicts, all the way down (mappings stay views: their keys are not known)."""
    if isinstance(value, ArrayView):
        return [_plain(v) for v in value]
    if isinstance(value, StructView):
        return value._asdict()
    return value


def _at(slots: Slots, types: dict, type_id: str, slot: int, offset: int) -> Any:
    """The value (or view) of type `type_id` at `slot`, `offset` bytes from its low end."""
    t = types[type_id]
    encoding = t["encoding"]
    if encoding == "mapping":
        return MappingView(slots, types, type_id, slot)
    if encoding == "dynamic_array":
        first = int.from_bytes(keccak256(slot.to_bytes(32, "big")), "big")
        return ArrayView(slots, types, t["base"], first, slots.read(slot), t["label"])
    if encoding == "bytes":
        return _long_or_short(slots, slot, t["label"] == "string")
    if "members" in t:
        return StructView(slots, types, type_id, slot)
    if "base" in t:  # a fixed-size array, its length in the type's id ("t_array(t_uint16)5_storage")
        length = _ARRAY_LENGTH.search(type_id)
        if length is None:
            raise ValueError(f"cannot tell the length of {t['label']} from {type_id!r}")
        return ArrayView(slots, types, t["base"], slot, int(length[1]), t["label"])
    size = int(t["numberOfBytes"])
    return _value(type_id, slots.read(slot) >> 8 * offset & (1 << 8 * size) - 1, size)


def _value(type_id: str, raw: int, size: int) -> Any:
    """A value type's word, by solc's type id (its label is a user-defined type's own name)."""
    if type_id == "t_bool":
        return raw != 0
    if type_id.startswith(("t_address", "t_contract(")):
        return to_checksum(raw.to_bytes(20, "big"))
    if type_id.startswith("t_int"):
        return raw - (1 << 8 * size) if raw >> (8 * size - 1) else raw
    if type_id.startswith("t_bytes"):  # bytesN (the dynamic bytes is encoded otherwise)
        return raw.to_bytes(size, "big")
    # uintN, enums (their index), and user-defined value types, whose underlying type the layout does not give (an
    # `int16` one comes back as its unsigned word: wrap it)
    return raw


def _put(slots: Slots, types: dict, type_id: str, slot: int, offset: int, value: Any) -> None:
    """Write `value` as type `type_id` at `slot`, `offset` bytes from its low end: a value type into its bytes of the
    word (the rest of a packed slot kept), bytes and string as solc lays them out (_long_or_short)."""
    t = types[type_id]
    encoding = t["encoding"]
    if encoding == "bytes":
        text = t["label"] == "string"
        if not isinstance(value, str if text else bytes | bytearray):
            raise TypeError(f"a {t['label']} is {'a str' if text else 'bytes'}, not {type(value).__name__}")
        data = value.encode() if isinstance(value, str) else bytes(value)
        if len(data) < 32:
            slots.write(slot, int.from_bytes(data.ljust(31, b"\0"), "big") << 8 | len(data) * 2)
            return
        slots.write(slot, len(data) * 2 + 1)
        first = int.from_bytes(keccak256(slot.to_bytes(32, "big")), "big")
        for i in range(0, len(data), 32):
            slots.write(first + i // 32, int.from_bytes(data[i : i + 32].ljust(32, b"\0"), "big"))
        return
    if encoding != "inplace" or "members" in t or "base" in t:
        raise TypeError(f"a {t['label']} is written through its items or members, not as a whole")
    size = int(t["numberOfBytes"])
    word = int.from_bytes(_key(type_id, t, value), "big")
    if type_id.startswith("t_bytes"):  # (bytesN sit in the low bytes of their place, not left-aligned as a key)
        word >>= 8 * (32 - size)
    mask = (1 << 8 * size) - 1
    old = slots.read(slot) if size < 32 else 0
    slots.write(slot, old & ~(mask << 8 * offset) | (word & mask) << 8 * offset)


def _long_or_short(slots: Slots, slot: int, text: bool) -> bytes | str:
    """`bytes` or `string`: up to 31 bytes in the slot itself (length × 2 in its low byte), longer ones from
    keccak256(slot) on (the slot holds length × 2 + 1)."""
    word = slots.read(slot)
    if word & 1:
        length = (word - 1) // 2
        first = int.from_bytes(keccak256(slot.to_bytes(32, "big")), "big")
        data = b"".join(slots.read(first + i).to_bytes(32, "big") for i in range(-(-length // 32)))[:length]
    else:
        data = word.to_bytes(32, "big")[: (word & 0xFF) // 2]
    return data.decode("utf-8", errors="replace") if text else data


def _key(type_id: str, t: dict, key: Any) -> bytes:
    """A mapping key as solc hashes it: value types as 32-byte words (bytesN padded on the right), strings and bytes
    as their bytes; by solc's type id, as _value."""
    label = t["label"]
    if type_id.startswith("t_string"):
        if not isinstance(key, str):
            raise TypeError(f"a string key is a str, not {type(key).__name__}")
        return key.encode()
    if t["encoding"] == "bytes":
        if not isinstance(key, bytes | bytearray):
            raise TypeError(f"a bytes key is bytes, not {type(key).__name__}")
        return bytes(key)
    if type_id.startswith(("t_address", "t_contract(")):
        return parse_address(getattr(key, "address", key)).rjust(32, b"\0")
    if type_id == "t_bool":
        if not isinstance(key, bool):
            raise TypeError(f"a bool key is a bool, not {type(key).__name__}")
        return int(key).to_bytes(32, "big")
    size = int(t["numberOfBytes"])
    if type_id.startswith("t_bytes"):
        data = bytes.fromhex(key.removeprefix("0x")) if isinstance(key, str) else key
        if not isinstance(data, bytes | bytearray) or len(data) != size:
            raise TypeError(f"a {label} key is {size} bytes")
        return bytes(data).ljust(32, b"\0")
    if not isinstance(key, int) or isinstance(key, bool):
        raise TypeError(f"a {label} key is an int, not {type(key).__name__}")
    if type_id.startswith("t_int"):
        if not -(1 << 8 * size - 1) <= key < 1 << 8 * size - 1:
            raise ValueError(f"{key} is not a {label}")
        return (key % (1 << 256)).to_bytes(32, "big")
    if not 0 <= key < 1 << 8 * size:
        raise ValueError(f"{key} is not a {label}")
    return key.to_bytes(32, "big")  # uintN, enums, user-defined value types (as their unsigned word)
