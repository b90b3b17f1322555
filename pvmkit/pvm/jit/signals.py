"""The SIGSEGV handler that turns a guest memory fault in generated code into an exit.

Native code accesses guest memory without bounds checks: inaccessible guest pages are PROT_NONE (see space.py), so a
bad access faults. The handler is a few instructions of our own machine code, installed with sigaction: when the
faulting instruction lies in a registered module's code, it resumes that module's fault stub with rax = the faulting
instruction's address and rdx = the fault address (both scratch registers in generated code), and the stub exits to
Python. Any other SIGSEGV reinstates the disposition that was there before ours (faulthandler's, say, or the
default) and returns, so the fault recurs there: crashes elsewhere in the process still crash as they would have.
"""

from __future__ import annotations

import ctypes
import threading

from .runtime import ExecutableCode, _libc

SIGSEGV = 11
SA_SIGINFO, SA_ONSTACK, SA_RESTART = 0x4, 0x08000000, 0x10000000
# Offsets in the kernel's ucontext_t (x86-64): gregs start at 40, in the order r8..r15, rdi, rsi, rbp, rbx, rdx, rax,
# rcx, rsp, rip; si_addr lies at 16 in siginfo_t.
_RDX, _RAX, _RIP, _SI_ADDR = 40 + 12 * 8, 40 + 13 * 8, 40 + 16 * 8, 16


class _SigAction(ctypes.Structure):
    """glibc's struct sigaction on x86-64."""

    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_uint64 * 16), ("flags", ctypes.c_int),
                ("restorer", ctypes.c_void_p)]  # fmt: skip


_libc.sigaction.argtypes = (ctypes.c_int, ctypes.POINTER(_SigAction), ctypes.POINTER(_SigAction))
_libc.sigaction.restype = ctypes.c_int

_lock = threading.Lock()
# The handler reads the table through _cell: [count, (code start, code end, fault stub) * count]. A new table is built
# whole and then published with one aligned 8-byte store, so a handler running meanwhile sees the old or the new one.
_cell = ctypes.c_uint64(0)
# The disposition before ours, as the kernel's struct sigaction (handler, flags, restorer, mask) for rt_sigaction.
_previous = (ctypes.c_uint64 * 4)()
_entries: dict[int, tuple[int, int, int]] = {}  # code start -> (code end, fault stub, registration number)
_dead: list[tuple[int, int]] = []  # (code start, registration number) of code that is gone, for the next _publish
_registered = 0
_tables: list[object] = []  # the published table and the few before it (a handler may still be reading one)
_handler: ExecutableCode | None = None


def _code() -> bytes:
    from .x86 import AE, R8, R9, R10, RAX, RCX, RDX, RSI, Assembler, B, E, Imm, Mem

    a = Assembler()
    loop, nxt, chain = a.label(), a.label(), a.label()
    a.mov(RAX, Mem(RDX, _RIP))
    a.mov(R8, Imm(ctypes.addressof(_cell)))
    a.mov(R8, Mem(R8, 0))
    a.mov(RCX, Mem(R8, 0))
    a.add(R8, Imm(8))
    a.bind(loop)
    a.test(RCX, RCX)
    a.jcc(E, chain)
    a.cmp(RAX, Mem(R8, 0))
    a.jcc(B, nxt)
    a.cmp(RAX, Mem(R8, 8))
    a.jcc(AE, nxt)
    a.mov(R9, Mem(R8, 16))
    a.mov(Mem(RDX, _RIP), R9)  # resume at the module's fault stub
    a.mov(Mem(RDX, _RAX), RAX)  # with rax = where the fault happened
    a.mov(R9, Mem(RSI, _SI_ADDR))
    a.mov(Mem(RDX, _RDX), R9)  # and rdx = the address it touched
    a.ret()
    a.bind(nxt)
    a.add(R8, Imm(24))
    a.sub(RCX, Imm(1))
    a.jmp(loop)
    a.bind(chain)  # not ours: reinstate the previous disposition and return, so the fault recurs and goes there
    a.mov(RSI, Imm(ctypes.addressof(_previous)))
    a.xor(RDX, RDX, w=32)
    a.mov(R10, Imm(8), w=32)
    a.mov(RAX, Imm(13), w=32)  # rt_sigaction(signal in edi, previous, NULL, 8)
    a.code += b"\x0f\x05"  # syscall
    a.ret()
    return a.finish()


_current = _SigAction()
_current_ref = ctypes.byref(_current)


def install() -> None:
    """Install the handler (once per process, and again if another handler replaced it since)."""
    ours = _handler
    if ours is not None and _libc.sigaction(SIGSEGV, None, _current_ref) == 0 and _current.handler == ours.address:
        return  # (the common case: one system call, no lock)
    _install()


def _install() -> None:
    global _handler
    with _lock:
        current = _SigAction()
        if _libc.sigaction(SIGSEGV, None, ctypes.byref(current)) != 0:
            raise OSError(ctypes.get_errno(), "sigaction(SIGSEGV) failed")
        if _handler is not None and current.handler == _handler.address:
            return
        if _handler is None:
            _publish()
            _handler = ExecutableCode(_code())
        _previous[:] = (current.handler or 0, current.flags & 0xFFFFFFFF, current.restorer or 0, current.mask[0])
        new = _SigAction()
        new.handler = _handler.address
        new.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART
        if _libc.sigaction(SIGSEGV, ctypes.byref(new), None) != 0:
            raise OSError(ctypes.get_errno(), "sigaction(SIGSEGV) failed")


def register(start: int, end: int, stub: int) -> int:
    """Faults in native code at [start, end) resume at `stub`; returns the number unregister() takes."""
    global _registered
    with _lock:
        _registered += 1
        _entries[start] = (end, stub, _registered)
        _publish()
        return _registered


def unregister(start: int, number: int) -> None:
    """Forget registration `number` of the code at `start`, whose mapping is about to go (and its addresses may be
    reused). Called from finalizers, even inside _publish: it only notes it, for the next _publish."""
    _dead.append((start, number))


def _publish() -> None:
    while _dead:
        start, number = _dead.pop()
        if _entries.get(start, (0, 0, 0))[2] == number:
            del _entries[start]
    entries = list(_entries.items())
    table = (ctypes.c_uint64 * (1 + 3 * len(entries)))(len(entries))
    for i, (start, (end, stub, _)) in enumerate(entries):
        table[1 + 3 * i : 4 + 3 * i] = (start, end, stub)
    _cell.value = ctypes.addressof(table)
    _tables.append(table)
    del _tables[:-4]
