"""Executable memory, the VM context block and the native entry trampoline for the JIT.

Code is written into an anonymous mapping that is readable+writable, then switched to
readable+executable with mprotect before it ever runs (never both). Generated code reaches
guest state through the context block below r13 and guest memory through the GS base, which the entry points at
guest address 0 (space.py).

Each context comes with its own argument-less native entry (`space.Space.enter`): ctypes charges about
90 ns per argument, a host-call round trip enters native code once, and the entry's only inputs
(the context's address, the module's entry stub, the target) can live in or be baked next to it.
"""

from __future__ import annotations

import ctypes
import mmap
import platform
from collections.abc import Callable
from functools import cache

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4


class VmContext(ctypes.Structure):
    """The guest state generated code reaches at negative offsets from r13, which points at guest address 0 (the
    context lies in the first page of the reservation, BELOW bytes under guest memory: space.py). Offsets are part of
    the code generator's contract."""

    _fields_ = [
        ("module_entry", ctypes.c_uint64),  # the module's entry stub (JitProgram.entry)
        ("rsp_base", ctypes.c_uint64),  # rsp when the entry stub ran (native call frames lie below it)
        ("rsp_limit", ctypes.c_uint64),  # rsp_base - 8 * NATIVE_CALL_DEPTH
        ("regs", ctypes.c_uint64 * 13),
        ("gas", ctypes.c_int64),
        ("exit_pc", ctypes.c_uint64),  # on entry, the native address to start at; on exit, the pc
        ("exit_arg", ctypes.c_uint64),
    ]


# The reservation holds BELOW bytes below guest memory: one page for the context, then nothing accessible up to r13,
# as past the 4 GiB (space.GUARD): a guest store through [r13 + zero-extended base + displacement] whose address
# wraps past 0 or 2^32 lands there and faults (the interpreter then runs it, wrapped), whatever its displacement
# within NEAR (JitCompiler.memory; stores with farther displacements use gs:[base32 + displacement], which wraps).
BELOW = 1 << 20
NEAR = 1 << 19
# The context lies at [r13 - CONTEXT, r13 - CONTEXT + sizeof), in the middle of its page: the guest stack's top frames
# sit at the end of their pages, and loads there waited on stores to the context's slots at the same page offset (4K
# aliasing: the bytecode VM benchmark ran 1.7x slower when the context ended its page).
CONTEXT = BELOW - 2048
STATE = VmContext.regs.offset  # where the registers, gas, exit_pc and exit_arg start (packed together by the instance)
MODULE_ENTRY, RSP_BASE, RSP_LIMIT, REGS, GAS, EXIT_PC, EXIT_ARG = (
    getattr(VmContext, f).offset - CONTEXT
    for f in ("module_entry", "rsp_base", "rsp_limit", "regs", "gas", "exit_pc", "exit_arg")
)
TARGET = EXIT_PC
assert GAS == REGS + 104 and EXIT_PC == GAS + 8 and EXIT_ARG < 0

# Host-call shortcuts (pvm/shortcuts.py) in the first half of the context page, [r13 - BELOW, r13 - CONTEXT), in words:
# a header, MAX_SHORTCUTS slots of 4 words (kind | its answer's offset or cost per item << 32, cost, budget cost,
# length) and the answers. SC_COUNT is 0 whenever no serve() with shortcuts runs (the stub then always says no).
SHORTCUTS = BELOW  # below r13: the context page's first half
(SC_REMAINDER, SC_BUDGET, SC_COUNT, SC_LOGGED, SC_EVENTS_USED, SC_HALTED, SC_BUFFER, SC_BUFFER_LEN, SC_UNIT, SC_LO1,
 SC_HI1, SC_LO2, SC_HI2, SC_KECCAK, SC_TABLE, SC_MASK, SC_LOG, SC_EVENTS) = (
    -SHORTCUTS + 8 * i for i in range(18))  # fmt: skip
# (the first six are Shortcuts.state while serve() runs, the buffer's two follow them: what changes per run, in one
# pack; SC_TABLE is the WordCache's entries (0: none), SC_LOG its log
# (0: no TABLE_SET), SC_EVENTS the EventBuffer's bytes (0: none))
SC_HEADER = 256  # the header's bytes
SC_SLOTS = -SHORTCUTS + SC_HEADER  # slot k at SC_SLOTS + 32 * k
SC_DATA = SC_HEADER + 32 * 40  # where BYTES data starts, from the start of the area (1536; up to 2048: 512 bytes)
SC_WORDS = 256  # the area's size in u64 words
# Guest calls become native calls (8 bytes of the host stack each) up to this depth, so the CPU's return predictor
# sees guest returns; deeper calls are plain jumps. Every exit resets rsp to rsp_base.
NATIVE_CALL_DEPTH = 256
GAS_SLICE = 10**8  # gas native code runs on at a time (0.01-0.1 s), the rest held back: how soon Ctrl-C is seen
# Callee-saved registers the entry pushes, and pops (in reverse) when the module's epilogue returns to it.
SAVED = (3, 5, 12, 13, 14, 15)  # rbx, rbp, r12, r13, r14, r15

# Exit codes returned in eax by the native code. EXIT_FAULT: a guest memory access faulted (signals.py), EXIT_PC holds
# the faulting instruction's native address and EXIT_ARG the host address it touched. EXIT_SIGNALS: the entry found
# another SIGSEGV handler installed than ours and ran nothing (signals.py).
EXIT_FINISHED, EXIT_TRAP, EXIT_ECALLI, EXIT_OUT_OF_GAS, EXIT_FALLBACK, EXIT_FAULT, EXIT_SIGNALS = 0, 1, 2, 3, 4, 5, 6


class JitUnavailable(RuntimeError):
    """The JIT cannot run here (not x86-64 Linux, or the CPU lacks an instruction the code needs)."""


@cache
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


REQUIRED_FLAGS = ("popcnt", "abm", "bmi1", "bmi2", "sse4_1")  # popcnt, lzcnt, tzcnt, shlx/shrx/sarx; ptest


def check_supported(reserve: bool = True) -> None:
    """Raise JitUnavailable naming what is missing. `reserve`: also whether a guest address space can be reserved
    (~9 ms the first time: 'auto' leaves it to its first compile, which then falls back to interpreting)."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise JitUnavailable(f"the JIT needs x86-64 Linux (this is {platform.system()} {platform.machine()})")
    missing = [f for f in REQUIRED_FLAGS if f not in cpu_flags()]
    if missing:
        raise JitUnavailable(f"the CPU lacks {', '.join(missing)}")
    if not _can_execute():
        raise JitUnavailable("this process may not map memory executable (a W^X policy: systemd's "
                             "MemoryDenyWriteExecute, SELinux deny_execmem, PR_SET_MDWE)")  # fmt: skip
    if reserve and not _can_reserve():
        raise JitUnavailable("the JIT needs 4 GiB of address space per instance, and this process cannot reserve it "
                             "(ulimit -v?)")  # fmt: skip


@cache
def _can_execute() -> bool:
    """Whether this process may make a page it wrote executable, as ExecutableCode does (found in review: under a W^X
    policy 'auto' chose the JIT and the first compile raised)."""
    try:
        ExecutableCode(b"\xc3")  # ret
    except JitUnavailable:
        return False
    return True


@cache
def _can_reserve() -> bool:
    """Whether a guest address space (space.py) can be reserved here: an address-space limit may forbid even one."""
    from . import space

    try:
        space.acquire()  # (kept in the pool for the first instance)
    except JitUnavailable:
        return False
    return True


@cache
def fsgsbase() -> bool:
    """Whether this thread may run rdgsbase/wrgsbase (the kernel sets HWCAP2_FSGSBASE, Linux 5.9 and later); else
    space.py's entries set the GS base with arch_prctl, two system calls more per entry."""
    _libc.getauxval.argtypes = (ctypes.c_ulong,)
    _libc.getauxval.restype = ctypes.c_ulong
    return bool(_libc.getauxval(_AT_HWCAP2) & _HWCAP2_FSGSBASE)


def is_supported(reserve: bool = True) -> bool:
    try:
        check_supported(reserve)
    except JitUnavailable:
        return False
    return True


_libc = ctypes.CDLL(None, use_errno=True)
_AT_HWCAP2, _HWCAP2_FSGSBASE = 26, 2
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_libc.mprotect.restype = ctypes.c_int
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_MAP_PRIVATE, _MAP_ANONYMOUS, _MAP_FIXED, _MAP_NORESERVE = 0x02, 0x20, 0x10, 0x4000


def reserve(size: int, at: int | None = None) -> int | None:
    """An inaccessible, uncommitted mapping of `size` bytes (address space only): anywhere, or replacing whatever is
    mapped at `at`. Its address, or None when the address space is exhausted."""
    flags = _MAP_PRIVATE | _MAP_ANONYMOUS | _MAP_NORESERVE | (_MAP_FIXED if at is not None else 0)
    address = _libc.mmap(at, size, 0, flags, -1, 0)
    return None if address is None or address == ctypes.c_void_p(-1).value else address


class ExecutableCode:
    """A block of machine code, mapped read+execute. `address` is where byte 0 lives."""

    def __init__(self, code: bytes, tail: Callable[[int], bytes] | None = None) -> None:
        """`tail(address)`, given where the code lands, gives the bytes that end it (a table of native addresses),
        written before the mapping turns executable."""
        size = max(mmap.PAGESIZE, (len(code) + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE)
        self._map = mmap.mmap(-1, size, prot=PROT_READ | PROT_WRITE)
        self._map.write(code)
        self._anchor = ctypes.c_char.from_buffer(self._map)  # pins the mapping; the map is never closed
        self.address = ctypes.addressof(self._anchor)
        if tail is not None:
            end = tail(self.address)
            self._map[len(code) - len(end) : len(code)] = end
        self.size = size
        if _libc.mprotect(self.address, size, PROT_READ | PROT_EXEC) != 0:
            raise JitUnavailable(f"cannot map code executable: mprotect(PROT_READ|PROT_EXEC) failed with errno "
                                 f"{ctypes.get_errno()} (a W^X policy?)")  # fmt: skip
