"""The SIGSEGV handler that turns a guest memory fault in generated code into an exit.

Native code accesses guest memory without bounds checks: inaccessible guest pages are PROT_NONE (see space.py), so a
bad access faults. The handler is a few instructions of our own machine code, installed with sigaction: when a fault
(si_code > 0: not a kill()) hits a registered module's code, it resumes that module's fault stub with rax = the
faulting instruction's address and rdx = the fault address (both scratch registers in generated code), and the stub
exits to Python. Any other SIGSEGV is passed to the handler installed before ours (faulthandler's, say), called with
the same arguments; a second foreign fault while that runs, or no previous handler, restores the default action and
returns, so the fault recurs and kills the process as it would have. Crashes elsewhere still crash.

Another SIGSEGV handler installed after ours would see guest faults first (and report them as crashes): instances
reinstall ours when they are created, and before every run when Python's view of SIGSEGV (faulthandler, signal)
changed since (`seen`); handlers installed by native code between runs are not noticed.
"""

from __future__ import annotations

import _signal
import ctypes
import faulthandler
import threading
import time

from .runtime import ExecutableCode, _libc

SIGSEGV = 11
SA_SIGINFO, SA_ONSTACK, SA_RESTART = 0x4, 0x08000000, 0x10000000
# Offsets in the kernel's ucontext_t (x86-64): gregs start at 40, in the order r8..r15, rdi, rsi, rbp, rbx, rdx, rax,
# rcx, rsp, rip; si_code lies at 8 and si_addr at 16 in siginfo_t.
_RDX, _RAX, _RIP, _SI_CODE, _SI_ADDR = 40 + 12 * 8, 40 + 13 * 8, 40 + 16 * 8, 8, 16
_SYSCALL = b"\x0f\x05"


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
_previous = ctypes.c_uint64(0)  # the handler before ours (0 or 1: SIG_DFL or SIG_IGN)
_chaining = ctypes.c_uint64(0)  # set while the previous handler runs (and after, if it raised): not passed on again
_default = (ctypes.c_uint64 * 4)()  # the kernel's struct sigaction for SIG_DFL (handler, flags, restorer, mask)
_entries: dict[int, tuple[int, int, int]] = {}  # code start -> (code end, fault stub, registration number)
_dead: list[tuple[int, int]] = []  # (code start, registration number) of code that is gone, for the next _publish
_registered = 0
# Tables replaced by a newer one, with when: freed only after a while, as a handler may still be reading one.
_retired: list[tuple[float, object]] = []
_table: object = None
_handler: ExecutableCode | None = None
# Python's view of SIGSEGV when ours was last checked: faulthandler.is_enabled() and _signal.getsignal(SIGSEGV) (the
# enum-making signal.getsignal costs 10x more); instances compare them by identity before every run (~0.1 us, where
# asking the kernel costs a system call, ~1 us).
seen: list = [None, None]
python_view = (faulthandler.is_enabled, _signal.getsignal)


def _code() -> bytes:
    from .x86 import AE, BE, LE, NE, R8, R9, R10, RAX, RCX, RDI, RDX, RSI, RSP, Assembler, B, E, Imm, Mem

    a = Assembler()
    loop, nxt, chain, default, done = a.label(), a.label(), a.label(), a.label(), a.label()
    a.cmp(Mem(RSI, _SI_CODE), Imm(0), w=32)
    a.jcc(LE, chain)  # sent by kill() or tgkill(), not a fault
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
    a.bind(chain)  # not ours: call the previous handler with our arguments (rdi, rsi, rdx untouched)
    a.mov(R8, Imm(ctypes.addressof(_chaining)))
    a.cmp(Mem(R8, 0), Imm(0))
    a.jcc(NE, default)  # a fault inside it (or a handler that raises the signal again): no loop
    a.mov(RAX, Imm(ctypes.addressof(_previous)))
    a.mov(RAX, Mem(RAX, 0))
    a.cmp(RAX, Imm(1))
    a.jcc(BE, default)
    a.mov(Mem(R8, 0), Imm(1))
    a.sub(RSP, Imm(8))  # (rsp was 8 mod 16 on entry: aligned for the call; the slot is rt_sigpending's buffer after)
    a.call(RAX)
    # If it raised SIGSEGV again (pending: blocked while we run), as faulthandler does after restoring the handler it
    # replaced, which may be ours, it wants the default action: _chaining stays set, so that delivery takes the
    # default path instead of calling it again (a loop). Else it returned (it recovered, say): later faults are
    # passed on again.
    a.mov(RDI, RSP)
    a.mov(RSI, Imm(8), w=32)
    a.mov(RAX, Imm(127), w=32)  # rt_sigpending(rsp, 8)
    a.code += _SYSCALL
    a.mov(RAX, Mem(RSP, 0))
    a.add(RSP, Imm(8))
    a.test(RAX, Imm(1 << (SIGSEGV - 1)))
    a.jcc(NE, done)
    a.mov(R8, Imm(ctypes.addressof(_chaining)))
    a.mov(Mem(R8, 0), Imm(0))
    a.bind(done)
    a.ret()
    # The default action: rt_sigaction(signal, SIG_DFL, NULL, 8), then tgkill(getpid(), gettid(), signal), which stays
    # pending until this handler returns (a kill()ed SIGSEGV would not recur by itself); syscall keeps rdi, r8, r9.
    a.bind(default)
    a.mov(RSI, Imm(ctypes.addressof(_default)))
    a.xor(RDX, RDX, w=32)
    a.mov(R10, Imm(8), w=32)
    a.mov(RAX, Imm(13), w=32)
    a.code += _SYSCALL
    a.mov(R8, RDI, w=32)
    a.mov(RAX, Imm(39), w=32)
    a.code += _SYSCALL
    a.mov(R9, RAX)
    a.mov(RAX, Imm(186), w=32)
    a.code += _SYSCALL
    a.mov(RDI, R9, w=32)
    a.mov(RSI, RAX, w=32)
    a.mov(RDX, R8, w=32)
    a.mov(RAX, Imm(234), w=32)
    a.code += _SYSCALL
    a.ret()
    return a.finish()


_current = _SigAction()
_current_ref = ctypes.byref(_current)


def install() -> None:
    """Install the handler (once per process, and again if another handler replaced it since)."""
    seen[:] = faulthandler.is_enabled(), _signal.getsignal(SIGSEGV)
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
        _previous.value = current.handler or 0
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
    reused). Called from finalizers, which may run inside register() on this thread: then it is left to the next
    _publish rather than waiting for the lock."""
    _dead.append((start, number))
    if _lock.acquire(blocking=False):
        try:
            _publish()
        finally:
            _lock.release()


def _publish() -> None:
    global _table
    while _dead:
        start, number = _dead.pop()
        if _entries.get(start, (0, 0, 0))[2] == number:
            del _entries[start]
    entries = list(_entries.items())
    table = (ctypes.c_uint64 * (1 + 3 * len(entries)))(len(entries))
    for i, (start, (end, stub, _)) in enumerate(entries):
        table[1 + 3 * i : 4 + 3 * i] = (start, end, stub)
    _cell.value = ctypes.addressof(table)
    now = time.monotonic()
    if _table is not None:
        _retired.append((now, _table))
    _table = table
    while _retired and now - _retired[0][0] > 10:  # a handler reads the table for microseconds, not seconds
        del _retired[0]
