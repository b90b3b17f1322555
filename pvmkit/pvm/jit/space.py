"""Guest address spaces for native code: a 4 GiB (+2 MiB) reservation per instance, guest memory at its addresses.

Native code finds guest address x at r13 + x, x a zero-extended 32-bit value. Each native entry sets the thread's
GS base to r13, so a load is one instruction, gs:[reg32 + offset] with 32-bit addressing (the address wraps at 2^32
like the guest's address arithmetic); a store is mov ecx, reg32 and [r13 + rcx + offset] (on Intel a store through a
segment base issues at half the rate: the memset+memcpy benchmark ran 1.6x faster), whose address does not wrap but
lands, when the guest's would, in the inaccessible megabyte on either side of guest memory (offsets within
runtime.NEAR; farther ones use gs). No access is bounds-checked: the reservation is inaccessible (PROT_NONE) except
the context page and the program's regions (ro data read-only, rw data, heap and stack read-write), an access anywhere
else faults, and signals.py turns that fault into an exit at the faulting instruction, which the interpreter then runs
(and traps, or reads aux data, which is never mapped natively). No guest access reaches the context page, a megabyte
below guest memory, nor past the guard that ends the reservation. The thread's own GS base is put back before the
entry returns (nothing in CPython uses GS, but a library may).

Spaces are pooled per layout (memory map and ro data): a returned space keeps its mappings and ro data, and only its
writable regions are zeroed.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import threading
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING

from ..memory import LOW_BASE, MemoryMap, StandardMemory
from . import runtime as rt
from . import signals
from .runtime import PROT_READ, PROT_WRITE, ExecutableCode, JitUnavailable, _libc

if TYPE_CHECKING:
    from .x86 import Assembler

MEMORY = rt.BELOW  # below guest memory: the context page (the VmContext at r13 - runtime.CONTEXT), then nothing
PAGE_BELOW = 4096  # the context page, at the start of the reservation
SIGNALS = rt.BELOW - 3072  # in it at r13 - SIGNALS: where the entry reads the installed SIGSEGV handler (32 bytes)
GUARD = rt.BELOW  # past the 4 GiB, inaccessible: stores within runtime.NEAR of it, and an 8-byte access at 0xFFFFFFFF
SIZE = MEMORY + (1 << 32) + GUARD
# A near store (compiler.near_store) reaches at most NEAR + 8 bytes past either end of guest memory: inaccessible there.
assert rt.NEAR + 8 <= GUARD and rt.NEAR + 8 <= MEMORY - PAGE_BELOW
_MADV_DONTNEED = 4

_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
_libc.mincore.restype = ctypes.c_int
_libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_libc.madvise.restype = ctypes.c_int
_ENTER = ctypes.CFUNCTYPE(ctypes.c_int64)
_ARRAYS: dict[int, type[ctypes.Array]] = {}  # size → c_char * size
_SYS_RT_SIGACTION, _SYS_ARCH_PRCTL = 13, 158
_ENTRY_SIZE = 192  # bytes per entry trampoline (_reserve)
_ARCH_SET_GS, _ARCH_GET_GS = 0x1001, 0x1004


def _check(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what} failed")


class Space:
    """A reservation: guest memory at `guest` (where r13 points), its VmContext `ctx` below, and its argument-less
    native entry `enter() -> exit code` (saves callee-saved registers, sets r13, checks that the SIGSEGV handler is
    ours, jumps to the module's entry stub)."""

    __slots__ = ("address", "guest", "ctx", "view", "words", "shortcuts", "enter", "key", "regions", "_entry_code")

    def __init__(self, address: int, enter: Callable[[], int], entry_code: object) -> None:
        self.address = address
        self.guest = address + MEMORY
        self.ctx = rt.VmContext.from_address(self.guest - rt.CONTEXT)
        self.view = memoryview(self.ctx).cast("B")[rt.STATE :]  # registers, gas, exit pc and arg: struct pack/unpack
        self.words = self.view.cast("Q")  # ... and as 16 u64
        area = (ctypes.c_char * (rt.SC_WORDS * 8)).from_address(self.guest - rt.SHORTCUTS)
        self.shortcuts = memoryview(area).cast("B").cast("Q")  # host-call shortcuts (runtime.SC_*), as u64 words
        self.enter = enter
        self._entry_code = entry_code
        self.key: int | None = None  # the layout mapped now (layout_key), None for nothing
        self.regions: list[tuple[int, int]] = []  # mapped writable (guest address, size): zeroed on release

    def protect(self, address: int, size: int, prot: int) -> None:
        if size:
            _check(_libc.mprotect(self.guest + address, size, prot), f"mprotect of guest {address:#x}+{size:#x}")

    def buffer(self, address: int, size: int, owner: object) -> memoryview:
        """A writable view of guest [address, address + size) that keeps `owner` (the Lease) alive."""
        array_type = _ARRAYS.get(size)
        if array_type is None:  # (`c_char * size` costs a third of this method; a module's sizes repeat)
            array_type = ctypes.c_char * size
            if len(_ARRAYS) < 1024:
                _ARRAYS[size] = array_type
        array = array_type.from_address(self.guest + address)
        array._owner = owner  # type: ignore[attr-defined]
        return memoryview(array).cast("B")

    def scrub(self, context: bool = True) -> None:
        """Zero the writable regions (and the context, unless the same instance goes on with it), keeping their
        mappings.

        The pages the guest touched are cleared in place, so the next instance finds them resident: giving them back
        (MADV_DONTNEED) made each fault in again during the next run (ERC-20: 10% more per call; the 4 MiB sieve
        benchmark: 25% more). Pages never touched stay unallocated: a big region is cleared where mincore() says
        pages are resident (clearing it whole kept 120 MiB resident for a program that touched one page)."""
        for address, size in self.regions:
            start = self.guest + address
            if size <= _CLEAR_WHOLE:
                ctypes.memset(start, 0, size)
                continue
            pages = (size + _PAGE - 1) // _PAGE
            resident = (ctypes.c_ubyte * pages)()
            _check(_libc.mincore(start, size, resident), "mincore")
            flags = bytes(resident).translate(_LOW_BIT)
            for run in _RESIDENT.finditer(flags):
                ctypes.memset(start + run.start() * _PAGE, 0, min(run.end() * _PAGE, size) - run.start() * _PAGE)
            # The others were never touched (nothing to do) or were swapped out, holding what the guest wrote: they
            # are dropped, so that the next reader finds zeros (found in review; one call per run of them).
            for run in _ABSENT.finditer(flags):
                at = start + run.start() * _PAGE
                _check(_libc.madvise(at, min(run.end() * _PAGE, size) - run.start() * _PAGE, _MADV_DONTNEED), "madvise")
        if context:
            ctypes.memset(self.address, 0, PAGE_BELOW)

    def writable_bytes(self) -> int:
        return sum(map(_SIZE, self.regions))

    def unmap(self) -> None:
        """Back to nothing mapped but the context (zeroed too)."""
        _check(_libc.madvise(self.guest, SIZE - MEMORY, _MADV_DONTNEED), "madvise")
        _check(_libc.mprotect(self.guest, SIZE - MEMORY, 0), "mprotect")
        ctypes.memset(self.address, 0, PAGE_BELOW)
        self.key, self.regions = None, []


# Reentrant: a Lease collected by the cyclic GC while this thread holds the lock (allocating in acquire, say) releases
# its space from inside the locked section.
_lock = threading.RLock()
_free: dict[int | None, list[Space]] = {}
_layouts: dict[tuple[MemoryMap, bytes], int] = {}
_MAPPING = -1  # Space.key while MappedMemory maps it: a failure part-way leaves it to be unmapped by the next user
_BATCH = 16  # spaces made at once: their entries share one code page
_POOLED = 64  # spaces kept per layout; more are unmapped and kept for any layout
_POOLED_BYTES = 256 << 20  # ... and fewer for big layouts: at most this much cleared, resident memory per layout
_CLEAR_WHOLE = 256 << 10  # a region up to this size is cleared whole (cheaper than asking which pages to clear)
_PAGE = 4096
_SIZE = itemgetter(1)  # a region's size
_RESIDENT = re.compile(rb"\x01+")  # runs of resident pages in mincore()'s vector (bit 0 of each byte)
_ABSENT = re.compile(rb"\x00+")
_LOW_BIT = bytes(i & 1 for i in range(256))
reserved = 0  # spaces made so far (each is 4 GiB of address space, kept for the life of the process)


def _reserve(handler: int) -> list[Space]:
    """_BATCH new spaces, each with its native entry; `handler`: the address of our SIGSEGV handler, which the entries
    check is still the installed one."""
    from .x86 import NE, R10, R13, RAX, RBX, RCX, RDI, RDX, RSI, RSP, Assembler, Imm, Mem  # (first needed here)

    global reserved
    spaces = []
    addresses = []
    for _ in range(_BATCH):  # as many as the address space allows (ulimit -v), at least one
        address = rt.reserve(SIZE)
        if address is None:
            break
        if _libc.mprotect(address, PAGE_BELOW, PROT_READ | PROT_WRITE) != 0:
            _libc.munmap(address, SIZE)
            break
        addresses.append(address)
    if not addresses:
        raise JitUnavailable(f"cannot reserve {SIZE >> 20} MiB of address space for a JIT instance (mmap failed)")
    size = _ENTRY_SIZE
    entries = []
    for address in addresses:
        a = Assembler()
        for r in rt.SAVED:
            a.push(r)
        a.mov(R13, Imm(address + MEMORY))
        # Is our SIGSEGV handler still the installed one? rt_sigaction(SIGSEGV, NULL, r13 - SIGNALS, 8); else run
        # nothing and exit (rcx, r11: clobbered by syscall, like rdi, rsi, rdx, r10, rax: free at a call).
        a.mov(RDI, Imm(signals.SIGSEGV), w=32)
        a.xor(RSI, RSI, w=32)
        a.lea(RDX, Mem(R13, -SIGNALS))
        a.mov(R10, Imm(8), w=32)
        a.mov(RAX, Imm(_SYS_RT_SIGACTION), w=32)
        a.syscall()
        a.mov(RCX, Imm(handler))
        a.cmp(RCX, Mem(R13, -SIGNALS))
        displaced = a.label()
        a.jcc(NE, displaced)
        # The GS base becomes guest address 0 while native code runs (compiler.py's memory accesses go through it)
        # and gets its old value back on the way out: nothing in a CPython process uses GS, but a library may.
        if rt.fsgsbase():
            a.rdgsbase(RAX)
            a.push(RAX)
            a.wrgsbase(R13)
        else:  # arch_prctl(ARCH_GET_GS, rsp) into the slot it leaves on the stack, then arch_prctl(ARCH_SET_GS, r13)
            a.push(RAX)
            _arch_prctl(a, _ARCH_GET_GS, RSP)
            _arch_prctl(a, _ARCH_SET_GS, R13)
        a.call(Mem(R13, rt.MODULE_ENTRY))  # the module's epilogue returns here, exit code in eax
        a.pop(RCX)
        if rt.fsgsbase():
            a.wrgsbase(RCX)
        else:
            a.mov(RBX, RAX, w=32)
            _arch_prctl(a, _ARCH_SET_GS, RCX)
            a.mov(RAX, RBX, w=32)
        for r in reversed(rt.SAVED):
            a.pop(r)
        a.ret()
        a.bind(displaced)
        for r in reversed(rt.SAVED):
            a.pop(r)
        a.mov(RAX, Imm(rt.EXIT_SIGNALS), w=32)
        a.ret()
        entry = a.finish()
        assert len(entry) <= size
        entries.append(entry.ljust(size, b"\xcc"))
    code = ExecutableCode(b"".join(entries))
    for i, address in enumerate(addresses):
        spaces.append(Space(address, _ENTER(code.address + i * size), code))
    reserved += len(spaces)
    return spaces


_CLEAR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_clear: Callable[[int], None] | None = None


_BLOCK = 256  # the clearer zeroes a region's blocks of this many bytes that are not all zeros


def clearer() -> Callable[[int], None]:
    """The native `clear(plan)`: `plan` is the address of u64 words n, then n × (address, size) to zero, then
    (destination, source, size) to copy. One call does what would take n + 1 ctypes calls of memset and memmove
    (~0.35 us each, more in a contract call's flow).

    A region is read in blocks of 256 bytes (16-byte aligned: its address must be), and only a block that is not all
    zeros is written: a contract touches a few of the ~100 KiB of stack and heap a resolc program has, and reading
    the rest costs about two thirds of writing it (0.8-1.3 instead of 1.6-1.7 us in a loop). The bytes after the last
    whole block are zeroed as they are."""
    global _clear
    if _clear is None:
        from .x86 import R8, R9, RAX, RCX, RDI, RDX, RSI, Assembler, E, Imm, Mem

        a = Assembler()
        a.mov(R8, RDI)
        a.mov(R9, Mem(R8, 0))
        a.add(R8, Imm(8))
        a.pxor(1, 1)  # xmm1: zeros
        loop, copy, blocks, tail, clean = a.label(), a.label(), a.label(), a.label(), a.label()
        a.bind(loop)
        a.test(R9, R9)
        a.jcc(E, copy)
        a.mov(RDI, Mem(R8, 0))
        a.mov(RCX, Mem(R8, 8))
        a.add(R8, Imm(16))
        a.sub(R9, Imm(1))
        a.mov(RDX, RCX)
        a.shr(RDX, _BLOCK.bit_length() - 1)  # whole blocks
        a.and_(RCX, Imm(_BLOCK - 1), w=32)  # then these bytes
        a.bind(blocks)
        a.test(RDX, RDX)
        a.jcc(E, tail)
        # OR the block into xmm0 through four accumulators (xmm0, xmm2-4: one chain of 16 would take 16 cycles)
        accumulators = (0, 2, 3, 4)
        for i, offset in enumerate(range(0, _BLOCK, 16)):
            (a.movdqa if i < 4 else a.por)(accumulators[i % 4], Mem(RDI, offset))
        a.por(0, 2)
        a.por(3, 4)
        a.por(0, 3)
        a.ptest(0, 0)
        a.jcc(E, clean)
        for offset in range(0, _BLOCK, 16):
            a.movdqa(Mem(RDI, offset), 1)
        a.bind(clean)
        a.add(RDI, Imm(_BLOCK))
        a.sub(RDX, Imm(1))
        a.jmp(blocks)
        a.bind(tail)
        a.xor(RAX, RAX, w=32)
        a.rep_stosb()
        a.jmp(loop)
        a.bind(copy)
        a.mov(RDI, Mem(R8, 0))
        a.mov(RSI, Mem(R8, 8))
        a.mov(RCX, Mem(R8, 16))
        a.rep_movsb()
        a.ret()
        code = ExecutableCode(a.finish())
        function = _CLEAR(code.address)
        function._code = code  # type: ignore[attr-defined]  # (kept mapped as long as the function lives)
        _clear = function
    return _clear


def _arch_prctl(a: Assembler, code: int, arg: int) -> None:
    """arch_prctl(code, arg register) (clobbers rax, rcx, rdx, rsi, rdi, r11)."""
    from .x86 import RAX, RDI, RSI, Imm

    a.mov(RSI, arg)
    a.mov(RDI, Imm(code), w=32)
    a.mov(RAX, Imm(_SYS_ARCH_PRCTL), w=32)
    a.syscall()


class Lease:
    """One instance's hold on a Space: the space goes back to the pool when nothing refers to the lease, that is when
    the instance and every view of its memory are gone."""

    __slots__ = ("space", "__weakref__")

    def __init__(self, space: Space) -> None:
        self.space = space

    def __del__(self) -> None:
        try:
            _release(self.space)
        except (TypeError, AttributeError):  # the interpreter is shutting down (module globals are None)
            pass


def layout_key(memory_map: MemoryMap, ro_data: bytes) -> int:
    """A small number naming what a pooled space keeps mapped (the memory map and ro data), computed once per module.
    By the ro data's hash, not the data: a long-lived host meets many programs and must not keep each one's ro data."""
    digest = hashlib.blake2b(ro_data, digest_size=32).digest()
    with _lock:
        return _layouts.setdefault((memory_map, digest), len(_layouts))


def acquire(key: int | None = None) -> Lease:
    """A space from the pool: one last mapped for `key` if there is one, else one with nothing mapped, else one
    mapped for another layout (remapped by MappedMemory: layouts come and go, reservations are reused)."""
    # Asked before taking _lock: no thread may wait for signals' lock while holding the pool's, as a thread holding
    # signals' lock may be waiting for the pool's (the cyclic GC releasing a Lease while it allocates there).
    handler = signals.handler_address()
    with _lock:
        free = _free.get(key) or _free.get(None) or next((v for v in _free.values() if v), None)
        if free is None:  # (extended, not replaced: the GC may release a space into it meanwhile)
            free = _free.setdefault(None, [])
            try:
                free.extend(_reserve(handler))
            except JitUnavailable:  # no address space left: modules' recycled instances give theirs back first
                from ..interpreter import drop_spare_instances

                drop_spare_instances()
                free = _free.get(key) or _free.get(None) or next((v for v in _free.values() if v), None)
                if free is None:
                    raise
        space = free.pop()
    return Lease(space)


def _room(space: Space) -> bool:
    """Whether the pool keeps another space of this layout mapped: at most _POOLED, holding at most _POOLED_BYTES of
    cleared memory (but always one)."""
    pooled = len(_free.get(space.key, ()))
    return pooled < _POOLED and (not pooled or (pooled + 1) * space.writable_bytes() <= _POOLED_BYTES)


def _release(space: Space) -> None:
    try:
        if space.key == _MAPPING or space.key is not None and not _room(space):
            space.unmap()
        else:
            space.scrub()
    except OSError:
        return  # a space that cannot be cleaned is dropped (leaked), never reused dirty
    with _lock:
        _free.setdefault(space.key, []).append(space)


class MappedMemory(StandardMemory):
    """StandardMemory living in a Space: its buffers are views of the reservation rather than bytearrays.

    Its `_low` spans [0x10000, end of rw data and heap) like StandardMemory's, but the pages between ro data and rw data
    are inaccessible here, and reading them from Python would be a SIGSEGV: the public `low` is refused with an error
    naming what to use instead (read(), write(), contents())."""

    @property
    def low(self) -> bytearray:  # type: ignore[override]
        raise AttributeError(
            "JIT memory has no `low` buffer: it lives at its guest addresses, with inaccessible pages between ro and "
            "rw data; use read(address, length), write(address, data) or contents()"
        )

    def __init__(self, lease: Lease, key: int, memory_map: MemoryMap, ro_data: bytes, rw_data: bytes,
                 limit: int = 1 << 64) -> None:  # fmt: skip
        space = lease.space
        self.lease, self.space = lease, space
        self.map = m = memory_map
        self.limit = limit
        self.ro_end = m.ro_data_address + m.ro_data_size
        self.rw_end = m.rw_data_address + m.rw_data_size
        self.heap_size = 0
        if space.key != key:
            if space.key is not None:
                space.unmap()
            space.key = _MAPPING
            self._put_ro(m.ro_data_address, ro_data)
            stack_size = m.stack_address_high - m.stack_address_low
            space.protect(m.rw_data_address, m.rw_data_size, PROT_READ | PROT_WRITE)
            space.protect(m.stack_address_low, stack_size, PROT_READ | PROT_WRITE)
            space.regions = [(m.rw_data_address, m.rw_data_size), (m.stack_address_low, stack_size)]
            space.key = key
        elif space.regions[0][1] != m.rw_data_size:  # the last user grew the heap: those pages go (zeroed already)
            space.protect(self.rw_end, m.rw_data_address + space.regions[0][1] - self.rw_end, 0)
            space.regions[0] = (m.rw_data_address, m.rw_data_size)
        if rw_data:
            ctypes.memmove(space.guest + m.rw_data_address, rw_data, len(rw_data))
        self._low = space.buffer(LOW_BASE, self.rw_end - LOW_BASE, lease)
        self.stack = space.buffer(m.stack_address_low, m.stack_address_high - m.stack_address_low, lease)
        self.aux = bytearray(m.aux_data_size)  # never mapped natively: its accesses fault and the interpreter runs them
        # reset() in one native call (clearer) while the heap has not grown: the regions (each small enough to clear
        # whole) zeroed, the rw data copied in again. `plan`: the address of its words (0: none).
        self.plan, self._plan_data, self._clear = 0, rw_data, clearer()
        self.base_end = self.rw_end  # (rw data without a grown heap: where the plan's first region ends)
        if all(size <= _CLEAR_WHOLE and (space.guest + address) % 16 == 0 for address, size in space.regions):
            words = [len(space.regions)]
            for address, size in space.regions:
                words += (space.guest + address, size)
            words += (space.guest + m.rw_data_address, ctypes.cast(ctypes.c_char_p(rw_data), ctypes.c_void_p).value
                      or 0, len(rw_data))  # fmt: skip
            self._plan_words = (ctypes.c_uint64 * len(words))(*words)
            self.plan = ctypes.addressof(self._plan_words)

    def cleared(self, rw_data: bytes) -> bool:
        """reset() in one native call where the clearing plan covers it (the heap has not grown, no aux data); False,
        changing nothing, where it does not."""
        if self.plan and rw_data is self._plan_data and self.rw_end == self.base_end and not self.aux:
            self._clear(self.plan)
            self.heap_size = 0
            return True
        return False

    def reset(self, rw_data: bytes) -> bool:
        """Back to a new MappedMemory's contents in the same space (Instance.recycle, where cleared() did not do it);
        False when clearing failed: then the space goes back to the pool, which reloads or drops it."""
        space, m = self.space, self.map
        try:
            space.scrub(context=False)
            base_end = m.rw_data_address + m.rw_data_size
            if self.rw_end != base_end:  # the heap grew: its pages go (zeroed already), as for the space's next user
                space.protect(base_end, self.rw_end - base_end, 0)
                space.regions[0] = (m.rw_data_address, m.rw_data_size)
                self.rw_end = base_end
                self._low = space.buffer(LOW_BASE, base_end - LOW_BASE, self.lease)
        except OSError:
            return False
        if rw_data:
            ctypes.memmove(space.guest + m.rw_data_address, rw_data, len(rw_data))
        self.heap_size = 0
        if self.aux:
            self.aux = bytearray(len(self.aux))
        return True

    def load_from(self, source: StandardMemory) -> None:
        """Take `source`'s contents (same memory map): rw data, heap, stack and aux data (not ro data: no one writes
        it)."""
        m = self.map
        if source.rw_end != self.rw_end:
            self._grow(source.rw_end)
        self.heap_size = source.heap_size
        self._low[m.rw_data_address - LOW_BASE :] = source.read(m.rw_data_address, self.rw_end - m.rw_data_address)
        self.stack[:] = source.stack
        self.aux[:] = source.aux

    def _put_ro(self, address: int, data: bytes) -> None:
        """Copy into ro data, whose pages are read-only natively: writable only meanwhile."""
        m, space = self.map, self.space
        space.protect(m.ro_data_address, m.ro_data_size, PROT_READ | PROT_WRITE)
        try:
            ctypes.memmove(space.guest + address, bytes(data), len(data))
        finally:
            space.protect(m.ro_data_address, m.ro_data_size, PROT_READ)

    def _grow(self, rw_end: int) -> None:
        """Map the heap up to rw_end read-write (zeroed when the space is returned, like rw data); or, below the
        current end (load_from a smaller heap), clear the pages past rw_end and make them inaccessible again."""
        m, space = self.map, self.space
        if rw_end > self.rw_end:
            space.protect(self.rw_end, rw_end - self.rw_end, PROT_READ | PROT_WRITE)
        else:
            ctypes.memset(space.guest + rw_end, 0, self.rw_end - rw_end)
            space.protect(rw_end, self.rw_end - rw_end, 0)
        space.regions[0] = (m.rw_data_address, rw_end - m.rw_data_address)
        self.rw_end = rw_end
        self._low = space.buffer(LOW_BASE, rw_end - LOW_BASE, self.lease)
