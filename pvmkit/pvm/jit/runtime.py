"""Executable memory, the VM context block and the native entry trampoline for the JIT.

Code is written into an anonymous mapping that is readable+writable, then switched to
readable+executable with mprotect before it ever runs (never both). Generated code reaches
guest state only through the context block (r13) and guest memory only after a bounds check.
"""

from __future__ import annotations

import ctypes
import mmap
import platform
from functools import cache

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4


class VmContext(ctypes.Structure):
    """What generated code sees at r13. Offsets are part of the code generator's contract."""

    _fields_ = [
        ("regs", ctypes.c_uint64 * 13),  # 0
        ("gas", ctypes.c_int64),  # 104
        ("exit_pc", ctypes.c_uint64),  # 112
        ("exit_arg", ctypes.c_uint64),  # 120
        ("low_ptr", ctypes.c_uint64),  # 128: host address of guest 0x10000 (ro + rw)
        ("stack_ptr", ctypes.c_uint64),  # 136: host address of the stack region's lowest byte
        ("jump_table_ptr", ctypes.c_uint64),  # 144: native addresses, indexed by jump-table slot
    ]


REGS, GAS, EXIT_PC, EXIT_ARG, LOW_PTR, STACK_PTR, JUMP_TABLE_PTR = 0, 104, 112, 120, 128, 136, 144
assert VmContext.gas.offset == GAS and VmContext.jump_table_ptr.offset == JUMP_TABLE_PTR

# Exit codes returned in eax by the native code.
EXIT_FINISHED, EXIT_TRAP, EXIT_ECALLI, EXIT_OUT_OF_GAS, EXIT_FALLBACK = 0, 1, 2, 3, 4


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


REQUIRED_FLAGS = ("popcnt", "abm", "bmi1", "bmi2")  # popcnt, lzcnt, tzcnt, shlx/shrx/sarx


def check_supported() -> None:
    """Raise JitUnavailable naming what is missing."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise JitUnavailable(f"the JIT needs x86-64 Linux (this is {platform.system()} {platform.machine()})")
    missing = [f for f in REQUIRED_FLAGS if f not in cpu_flags()]
    if missing:
        raise JitUnavailable(f"the CPU lacks {', '.join(missing)}")


def is_supported() -> bool:
    try:
        check_supported()
    except JitUnavailable:
        return False
    return True


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_libc.mprotect.restype = ctypes.c_int


class ExecutableCode:
    """A block of machine code, mapped read+execute. `address` is where byte 0 lives."""

    def __init__(self, code: bytes) -> None:
        size = max(mmap.PAGESIZE, (len(code) + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE)
        self._map = mmap.mmap(-1, size, prot=PROT_READ | PROT_WRITE)
        self._map.write(code)
        self._anchor = ctypes.c_char.from_buffer(self._map)  # pins the mapping; the map is never closed
        self.address = ctypes.addressof(self._anchor)
        self.size = size
        if _libc.mprotect(self.address, size, PROT_READ | PROT_EXEC) != 0:
            raise OSError(ctypes.get_errno(), "mprotect(PROT_READ|PROT_EXEC) failed")


ENTRY_SIGNATURE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)
