"""Executable memory, the VM context block and the native entry trampoline for the JIT.

Code is written into an anonymous mapping that is readable+writable, then switched to
readable+executable with mprotect before it ever runs (never both). Generated code reaches
guest state only through the context block (r13) and guest memory only after a bounds check.

Each context comes with its own argument-less native entry (`Context.enter`): ctypes charges about
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
    """What generated code sees at r13. Offsets are part of the code generator's contract."""

    _fields_ = [
        ("regs", ctypes.c_uint64 * 13),  # 0
        ("gas", ctypes.c_int64),  # 104
        ("exit_pc", ctypes.c_uint64),  # 112: on entry, the native address to start at; on exit, the pc
        ("exit_arg", ctypes.c_uint64),  # 120
        ("low_ptr", ctypes.c_uint64),  # 128: host address of guest 0x10000 (ro + rw)
        ("stack_ptr", ctypes.c_uint64),  # 136: host address of the stack region's lowest byte
        ("jump_table_ptr", ctypes.c_uint64),  # 144: native addresses, indexed by jump-table slot
        ("module_entry", ctypes.c_uint64),  # 152: the module's entry stub (JitProgram.entry)
        ("rsp_base", ctypes.c_uint64),  # 160: rsp when the entry stub ran (native call frames lie below it)
        ("rsp_limit", ctypes.c_uint64),  # 168: rsp_base - 8 * NATIVE_CALL_DEPTH
    ]


REGS, GAS, EXIT_PC, EXIT_ARG, LOW_PTR, STACK_PTR, JUMP_TABLE_PTR, MODULE_ENTRY = 0, 104, 112, 120, 128, 136, 144, 152
RSP_BASE, RSP_LIMIT = 160, 168
TARGET = EXIT_PC
assert VmContext.gas.offset == GAS and VmContext.module_entry.offset == MODULE_ENTRY
assert VmContext.rsp_limit.offset == RSP_LIMIT
# Guest calls become native calls (8 bytes of the host stack each) up to this depth, so the CPU's return predictor
# sees guest returns; deeper calls are plain jumps. Every exit resets rsp to rsp_base.
NATIVE_CALL_DEPTH = 256
# Callee-saved registers the entry pushes and every exit pops (in reverse), in this order.
SAVED = (3, 5, 12, 13, 14, 15)  # rbx, rbp, r12, r13, r14, r15

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


_ENTER = ctypes.CFUNCTYPE(ctypes.c_int64)


class Context:
    """A VmContext and its entry `enter() -> exit code`, which saves the callee-saved registers,
    points r13 at the context and jumps to its module's entry stub (which continues at TARGET)."""

    __slots__ = ("ctx", "address", "enter", "view", "_batch")

    def __init__(self, ctx: VmContext, enter: Callable[[], int], batch: object) -> None:
        self.ctx, self.address, self.enter, self._batch = ctx, ctypes.addressof(ctx), enter, batch
        self.view = memoryview(ctx).cast("B")  # the context's bytes, for struct pack/unpack


_BATCH = 64
_free: list[Context] = []


def _trampoline(ctx_address: int) -> bytes:
    from .x86 import R13, Assembler, Imm, Mem

    a = Assembler()
    for r in SAVED:
        a.push(r)
    a.mov(R13, Imm(ctx_address))
    a.jmp(Mem(R13, MODULE_ENTRY))
    return a.finish()


def acquire_context() -> Context:
    """A context from the pool; contexts and their entries are made 64 at a time (one code page)."""
    if not _free:
        contexts = (VmContext * _BATCH)()
        size = 32
        entries = [_trampoline(ctypes.addressof(c)) for c in contexts]
        assert all(len(e) <= size for e in entries)  # at most 27 bytes: 6 pushes, a movabs, a jmp [r13 + disp32]
        code = b"".join(e.ljust(size, b"\xcc") for e in entries)
        exe = ExecutableCode(code)
        batch = (contexts, exe)
        _free.extend(Context(c, _ENTER(exe.address + i * size), batch) for i, c in enumerate(contexts))
    return _free.pop()


def release_context(context: Context) -> None:
    ctypes.memset(context.address, 0, ctypes.sizeof(VmContext))
    _free.append(context)
