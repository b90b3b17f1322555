"""Guest memory: polkavm's standard memory map (traps) and a dynamic-paging mode (page faults).

Standard mode keeps two host buffers, `low` = [0x10000, end of rw/heap) and `stack` (the methods and generated
code use `_low`, which the JIT's MappedMemory keeps while refusing `low`), so the
interpreter's generated code can index them directly after an inline range check; everything
else (ro data, aux data, the heap past the initial rw size, faults) goes through the slow paths here.
"""

from __future__ import annotations

import struct
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
ADDRESS_SPACE_BOTTOM = 0x10000
ADDRESS_SPACE_TOP = 0xFFFF0000
MAX_PAGE_SIZE = 0x10000
MIN_PAGE_SIZE = 0x1000
LOW_BASE = ADDRESS_SPACE_BOTTOM


class MemoryMapError(ValueError):
    """The program's memory sizes do not fit the 32-bit address space."""


def _align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


@dataclass(frozen=True)
class MemoryMap:
    """Addresses of every region (polkavm's `MemoryMapBuilder::build`)."""

    page_size: int
    ro_data_address: int
    ro_data_size: int
    rw_data_address: int
    rw_data_size: int
    stack_address_low: int
    stack_address_high: int
    aux_data_address: int
    aux_data_size: int
    heap_base: int
    max_heap_size: int

    @classmethod
    def build(
        cls,
        *,
        page_size: int = 0x1000,
        ro_data_size: int = 0,
        rw_data_size: int = 0,
        stack_size: int = 0,
        aux_data_size: int = 0,
    ) -> MemoryMap:
        if page_size < MIN_PAGE_SIZE or page_size > MAX_PAGE_SIZE or page_size & (page_size - 1):
            raise MemoryMapError(f"invalid page size {page_size:#x}: must be a power of two in [4 KiB, 64 KiB]")
        ro_space = _align(ro_data_size, MAX_PAGE_SIZE)
        rw_space = _align(rw_data_size, MAX_PAGE_SIZE)
        stack_space = _align(stack_size, MAX_PAGE_SIZE)
        aux_space = _align(aux_data_size, MAX_PAGE_SIZE)
        low = ADDRESS_SPACE_BOTTOM + ro_space + MAX_PAGE_SIZE
        rw_address = low
        heap_base = low + rw_data_size
        low += rw_space
        heap_slack = low - heap_base
        low += MAX_PAGE_SIZE
        high = ADDRESS_SPACE_TOP - aux_space
        aux_address = high
        high -= MAX_PAGE_SIZE
        stack_high = high
        high -= stack_space
        if low > high:
            raise MemoryMapError(
                f"maximum memory size exceeded (ro={ro_data_size}, rw={rw_data_size}, stack={stack_size}, "
                f"aux={aux_data_size} bytes)"
            )
        stack_pages = _align(stack_size, page_size)
        return cls(
            page_size=page_size,
            ro_data_address=ADDRESS_SPACE_BOTTOM,
            ro_data_size=_align(ro_data_size, page_size),
            rw_data_address=rw_address,
            rw_data_size=_align(rw_data_size, page_size),
            stack_address_low=stack_high - stack_pages,
            stack_address_high=stack_high,
            aux_data_address=aux_address,
            aux_data_size=_align(aux_data_size, page_size),
            heap_base=heap_base,
            max_heap_size=high - low + heap_slack,
        )


class GuestFault(Exception):
    """Raised inside generated code when an access cannot complete; the interpreter turns it into an interrupt."""

    __slots__ = ("kind", "pc", "address", "is_write_protected")

    def __init__(self, kind: str, pc: int, address: int = 0, is_write_protected: bool = False) -> None:
        self.kind = kind  # "trap" or "segfault"
        self.pc = pc
        self.address = address
        self.is_write_protected = is_write_protected


_FORMATS = {(1, False): "<B", (1, True): "<b", (2, False): "<H", (2, True): "<h", (4, False): "<I", (4, True): "<i",
            (8, False): "<Q", (8, True): "<q"}  # fmt: skip
_UNPACK = {k: struct.Struct(v).unpack_from for k, v in _FORMATS.items()}


def _zeros(n: int) -> bytes:
    """n zero bytes: a recycled instance's regions are cleared by copying these, kept up to 1 MiB (a module's sizes
    repeat; larger ones are made each time rather than held for good)."""
    return _small_zeros(n) if n <= 1 << 20 else bytes(n)


@lru_cache(maxsize=16)
def _small_zeros(n: int) -> bytes:
    return bytes(n)


class StandardMemory:
    """polkavm's default memory: fixed regions, any bad access traps. `low` and `stack` are read by generated code."""

    def __init__(self, memory_map: MemoryMap, ro_data: bytes, rw_data: bytes, limit: int = 1 << 64) -> None:
        self.map = memory_map
        self.limit = limit  # host bytes the buffers may grow to (sbrk fails past it)
        self.ro_end = memory_map.ro_data_address + memory_map.ro_data_size
        self.rw_end = memory_map.rw_data_address + memory_map.rw_data_size
        self.heap_size = 0
        self.low = self._low = bytearray(self.rw_end - LOW_BASE)  # (_low: what the methods use, see MappedMemory)
        self._low[: len(ro_data)] = ro_data
        rw_off = memory_map.rw_data_address - LOW_BASE
        self._low[rw_off : rw_off + len(rw_data)] = rw_data
        self.stack = bytearray(memory_map.stack_address_high - memory_map.stack_address_low)
        self.aux = bytearray(memory_map.aux_data_size)  # all of it accessible: whole pages, as polkavm's

    def reset(self, rw_data: bytes) -> bool:
        """Back to the contents and size of a new StandardMemory of the same map (Instance.recycle); False when it
        cannot be, changing nothing."""
        m, low = self.map, self._low
        base_end = m.rw_data_address + m.rw_data_size
        if self.rw_end != base_end:
            del low[base_end - LOW_BASE :]
            self.rw_end = base_end
        self.heap_size = 0
        rw_off = m.rw_data_address - LOW_BASE
        low[rw_off:] = rw_data + _zeros(len(low) - rw_off - len(rw_data))
        self.stack[:] = _zeros(len(self.stack))
        if self.aux:
            self.aux[:] = _zeros(len(self.aux))
        return True

    def contents(self) -> dict[str, bytes]:
        """Every accessible region's bytes (ro data, rw data with the heap, stack, aux data): what to compare."""
        m = self.map
        return {"ro": bytes(self._low[: self.ro_end - LOW_BASE]),
                "rw": bytes(self._low[m.rw_data_address - LOW_BASE : self.rw_end - LOW_BASE]),
                "stack": bytes(self.stack), "aux": bytes(self.aux)}  # fmt: skip

    @staticmethod
    def host_bytes(memory_map: MemoryMap) -> int:
        """Host bytes a fresh instance's buffers take: `low` up to the end of rw data, the stack and aux data."""
        m = memory_map
        rw_end = m.rw_data_address + m.rw_data_size
        return rw_end - LOW_BASE + m.stack_address_high - m.stack_address_low + m.aux_data_size

    def _locate(self, address: int, size: int, write: bool) -> tuple[bytearray, int] | None:
        """The buffer and offset holding [address, address+size), or None if that range is not accessible."""
        m = self.map
        end = address + size
        if m.rw_data_address <= address and end <= self.rw_end:
            return self._low, address - LOW_BASE
        if m.stack_address_low <= address and end <= m.stack_address_high:
            return self.stack, address - m.stack_address_low
        if write:
            return None
        if m.ro_data_address <= address and end <= self.ro_end:
            return self._low, address - LOW_BASE
        return self._aux_at(address, end)

    def _aux_at(self, address: int, end: int) -> tuple[bytearray, int] | None:
        m = self.map
        if m.aux_data_address <= address and end <= m.aux_data_address + m.aux_data_size:
            return self.aux, address - m.aux_data_address
        return None

    def load(self, address: int, size: int, signed: bool, pc: int) -> int:
        """Slow-path load; the result is an unsigned 64-bit register value."""
        loc = self._locate(address, size, False)
        if loc is None:
            raise GuestFault("trap", pc, address)
        return _UNPACK[size, signed](loc[0], loc[1])[0] & M64

    def store(self, address: int, size: int, value: int, pc: int) -> None:
        loc = self._locate(address, size, True)
        if loc is None:
            raise GuestFault("trap", pc, address)
        buf, off = loc
        buf[off : off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def read(self, address: int, length: int) -> bytes:
        """Host-side read; raises ValueError naming the range when it is not readable."""
        if length == 0:
            return b""
        m = self.map
        end = address + length
        # The stack and rw data are where a host's pointers point: checked inline (the rest through _locate).
        if m.stack_address_low <= address and end <= m.stack_address_high:
            start = address - m.stack_address_low
            return bytes(self.stack[start : start + length])
        if m.rw_data_address <= address and end <= self.rw_end:
            start = address - LOW_BASE
            return bytes(self._low[start : start + length])
        loc = self._locate(address, length, False)
        if loc is None:
            raise ValueError(f"memory range {address:#x}..{address + length:#x} is not readable")
        return bytes(loc[0][loc[1] : loc[1] + length])

    def write(self, address: int, data: bytes) -> None:
        """Host-side write: rw data, the heap, the stack and accessible aux data; not ro data (polkavm's API refuses
        it too: its pages are read-only natively)."""
        if data and not self._write(address, data, False):
            raise ValueError(f"memory range {address:#x}..{address + len(data):#x} is not writable")

    def write_checked(self, address: int, data: bytes) -> bool:
        """A guest-permission write (rw data and stack only): False, writing nothing, when not writable."""
        m = self.map
        end = address + len(data)
        if m.stack_address_low <= address and end <= m.stack_address_high:  # (inline, as in read)
            start = address - m.stack_address_low
            self.stack[start : start + len(data)] = data
            return True
        if m.rw_data_address <= address and end <= self.rw_end:
            start = address - LOW_BASE
            self._low[start : start + len(data)] = data
            return True
        return not data or self._write(address, data, True)  # (nothing to write is allowed anywhere, as is_writable)

    def _write(self, address: int, data: bytes, guest: bool) -> bool:
        loc = self._locate(address, len(data), True)
        if loc is None and not guest:  # (the host may also write aux data)
            loc = self._aux_at(address, address + len(data))
        if loc is None:
            return False
        loc[0][loc[1] : loc[1] + len(data)] = data
        return True

    def is_readable(self, address: int, length: int) -> bool:
        return length == 0 or self._locate(address, length, False) is not None

    def is_writable(self, address: int, length: int) -> bool:
        return length == 0 or self._locate(address, length, True) is not None

    def sbrk(self, size: int) -> int | None:
        """Grow the heap by `size` bytes; returns the new heap top or None (polkavm's `sbrk`)."""
        if size.__class__ is not int or size < 0:  # (a u32 in polkavm: found in review, -5 made heap_size -5)
            raise ValueError(f"sbrk takes a size in bytes (an int >= 0), not {size!r}")
        new_heap = self.heap_size + size
        if new_heap > 0xFFFFFFFF or new_heap > self.map.max_heap_size:
            return None
        top = self.map.heap_base + new_heap
        if top > self.rw_end:
            rw_end = _align(top, self.map.page_size)
            if rw_end - LOW_BASE + len(self.stack) + len(self.aux) > self.limit:
                return None  # the host's limit (ModuleConfig.max_memory), not the guest's address space
            self._grow(rw_end)
        self.heap_size = new_heap
        return top

    def _grow(self, rw_end: int) -> None:
        """Extend the heap (zeroed) up to rw_end."""
        self._low.extend(bytes(rw_end - self.rw_end))
        self.rw_end = rw_end


class DynamicMemory:
    """Sparse, explicitly mapped pages (polkavm's dynamic paging, as the JAM test vectors use).

    An access to an unmapped page, or a write to a read-only page, raises a segfault the host can
    resolve by mapping the page and running again; pages below 16 KiB always trap.
    """

    def __init__(self, page_size: int = 0x1000, limit: int = 1 << 64) -> None:
        self.page_size = page_size
        self.shift = page_size.bit_length() - 1
        self.pages: dict[int, bytearray] = {}
        self.writable: set[int] = set()
        self.limit = limit  # host bytes the mapped pages may take (ModuleConfig.max_memory)

    def map_range(self, address: int, length: int, writable: bool) -> None:
        """Map (zeroed) pages covering [address, address+length); ValueError past the host's limit."""
        if length <= 0:
            return
        first = address >> self.shift
        last = (address + length - 1) >> self.shift
        new = last - first + 1
        if new * self.page_size <= self.limit:  # (else surely too many: not worth counting the mapped ones)
            new = sum(1 for page in range(first, last + 1) if page & (M32 >> self.shift) not in self.pages)
        if (len(self.pages) + new) * self.page_size > self.limit:
            raise ValueError(
                f"mapping {length:#x} bytes at {address:#x} would hold {(len(self.pages) + new) * self.page_size} "
                f"bytes of guest pages, over the limit of {self.limit} (ModuleConfig.max_memory)"
            )
        for page in range(first, last + 1):
            page &= M32 >> self.shift  # a range past 2^32 wraps to the bottom, as guest addresses do
            self.pages.setdefault(page, bytearray(self.page_size))
            if writable:
                self.writable.add(page)
            else:
                self.writable.discard(page)

    def unmap_range(self, address: int, length: int) -> None:
        for page in range(address >> self.shift, ((address + length - 1) >> self.shift) + 1):
            page &= M32 >> self.shift
            self.pages.pop(page, None)
            self.writable.discard(page)

    def _check(self, address: int, size: int, write: bool, pc: int) -> None:
        """Fault on the first page, then (like polkavm) trap if the access end overflows u32, then the last page."""
        self._check_page(address >> self.shift, write, pc)
        if address + size > 1 << 32:
            raise GuestFault("trap", pc, address)
        self._check_page((address + size - 1) >> self.shift, write, pc)

    def _check_page(self, page: int, write: bool, pc: int) -> None:
        if page not in self.pages or (write and page not in self.writable):
            page_address = page << self.shift
            if page_address < 16 * 1024:
                raise GuestFault("trap", pc, page_address)
            raise GuestFault("segfault", pc, page_address, page in self.pages)

    def _bytes(self, address: int, size: int) -> bytearray:
        shift, mask = self.shift, self.page_size - 1
        page = self.pages[address >> shift]
        off = address & mask
        if off + size <= self.page_size:
            return page[off : off + size]
        out = bytearray()
        for i in range(size):
            a = (address + i) & M32
            out.append(self.pages[a >> shift][a & mask])
        return out

    def load(self, address: int, size: int, signed: bool, pc: int) -> int:
        self._check(address, size, False, pc)
        return int.from_bytes(self._bytes(address, size), "little", signed=signed) & M64

    def store(self, address: int, size: int, value: int, pc: int) -> None:
        self._check(address, size, True, pc)
        self._put(address, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

    def _put(self, address: int, data: bytes) -> None:
        shift, mask = self.shift, self.page_size - 1
        for i, b in enumerate(data):
            a = (address + i) & M32
            self.pages[a >> shift][a & mask] = b

    def read(self, address: int, length: int) -> bytes:
        if not self.is_readable(address, length):
            raise ValueError(f"memory range {address:#x}..{address + length:#x} is not mapped")
        return bytes(self._bytes(address, length)) if length else b""

    def write(self, address: int, data: bytes) -> None:
        """Host-side write: writable pages only, as polkavm's (map a page writable to fill it, then read-only)."""
        if not self.is_writable(address, len(data)):
            raise ValueError(f"memory range {address:#x}..{address + len(data):#x} is not mapped writable")
        self._put(address, data)

    def is_readable(self, address: int, length: int) -> bool:
        return self._covered(address, length, self.pages)

    def is_writable(self, address: int, length: int) -> bool:
        return self._covered(address, length, self.writable)

    def _covered(self, address: int, length: int, pages: Container[int]) -> bool:
        """Whether every page of [address, address + length) (wrapping at 2^32) is in `pages`: checked page by page,
        not byte by byte (a host call may name up to 4 GiB)."""
        if length <= 0:
            return True
        first = address >> self.shift
        wrap = M32 >> self.shift
        count = min(((address + length - 1) >> self.shift) - first + 1, wrap + 1)
        return all((first + i) & wrap in pages for i in range(count))

    def write_checked(self, address: int, data: bytes) -> bool:
        """A guest-permission write (writable pages only): False, writing nothing, when not writable."""
        if not self.is_writable(address, len(data)):
            return False
        self._put(address, data)
        return True

    def sbrk(self, size: int) -> int | None:
        return None
