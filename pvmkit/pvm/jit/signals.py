"""The SIGSEGV handler that turns a guest memory fault in generated code into an exit.

Native code accesses guest memory without bounds checks: inaccessible guest pages are PROT_NONE (see space.py), so a
bad access faults. The handler is a few instructions of our own machine code, installed with sigaction: when a fault
(si_code > 0: not a kill()) hits a registered module's code, it resumes that module's fault stub with rax = the
faulting instruction's address and rdx = the fault address (both scratch registers in generated code), and the stub
exits to Python.

Any other SIGSEGV goes where it would have gone without us: to the handler installed before ours (faulthandler's,
say), called with the same arguments, or to the default action (kill()ed signals stay ignored under SIG_IGN). When the
previous handler raised SIGSEGV again (faulthandler does, after restoring the handler it replaced) or did not fix the
fault (the same instruction faults at the same address again), the default action is restored, so the process dies
once instead of looping.

Another handler installed after ours would see guest faults first: every native entry (space.py's trampolines) asks
the kernel which handler is installed (one system call, ~0.2 us) and exits with EXIT_SIGNALS when it is not ours, so
that the instance reinstalls it (install) and enters again. One installed by another thread while native code runs
gets the next guest fault: faulthandler puts ours back and raises SIGSEGV again, and ours returns from a SIGSEGV that a
thread running generated code (its GS base is not 0) sent itself, so the guest's access faults again, now to us
(after faulthandler's report on stderr). A handler that does not put ours back still takes the process down, and so
may faulthandler's report of all threads, which CPython does not make safe against threads exiting meanwhile
(gh-116008): that crash is in faulthandler's own handler, before ours is called again.
"""

from __future__ import annotations

import ctypes
import mmap
import threading
import time

from . import runtime as rt
from .runtime import ExecutableCode, _libc

SIGSEGV = 11
SA_SIGINFO, SA_ONSTACK, SA_RESTART = 0x4, 0x08000000, 0x10000000
# Offsets in the kernel's ucontext_t (x86-64): gregs start at 40, in the order r8..r15, rdi, rsi, rbp, rbx, rdx, rax,
# rcx, rsp, rip; si_code lies at 8 and si_addr at 16 in siginfo_t.
_RDX, _RAX, _RIP, _SI_CODE, _SI_ADDR = 40 + 12 * 8, 40 + 13 * 8, 40 + 16 * 8, 8, 16
_SI_PID = 16  # (of a sent signal)
_SI_TKILL = -6  # si_code of a signal a thread sent itself (raise)
_SYS_GETPID, _SYS_ARCH_PRCTL, _ARCH_GET_GS = 39, 158, 0x1004


class _SigAction(ctypes.Structure):
    """glibc's struct sigaction on x86-64."""

    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_uint64 * 16), ("flags", ctypes.c_int),
                ("restorer", ctypes.c_void_p)]  # fmt: skip


_libc.sigaction.argtypes = (ctypes.c_int, ctypes.POINTER(_SigAction), ctypes.POINTER(_SigAction))
_libc.sigaction.restype = ctypes.c_int

_lock = threading.Lock()
# The handler reads the table through _cell: [count, (code start, code end, fault stub) * capacity]. A registration
# writes its entry past the count, then the count (one aligned 8-byte store); when the table is full, or holds too much
# dead code, a new one is built whole and published the same way (in _cell), so a handler running meanwhile sees the
# old or the new entries, never half of one. Either way a registration costs O(1) amortized, and so does an
# unregistration (dead entries go in batches): one table per registration made N modules cost O(N^2).
_cell = ctypes.c_uint64(0)
_previous = ctypes.c_uint64(0)  # the handler before ours (0 or 1: SIG_DFL or SIG_IGN)
_last = (ctypes.c_uint64 * 2)()  # rip and address of the last fault passed to it (the same again: it did not fix it)
_default = (ctypes.c_uint64 * 4)()  # the kernel's struct sigaction for SIG_DFL (handler, flags, restorer, mask)
_entries: dict[int, tuple[int, int, int]] = {}  # code start -> (code end, fault stub, registration number)
# (code start, registration number, its mapping) of code that is gone: its entry stays in the table until a rebuild
# (never executed, it never faults) and its mapping stays mapped until then, so that no other code takes its addresses.
_dead: list[tuple[int, int, object]] = []
_registered = 0
_capacity = 0  # entries the published table has room for
# Tables replaced by a newer one, with when: freed only after a while, as a handler may still be reading one.
_retired: list[tuple[float, object]] = []
_table: object = None
_handler: ExecutableCode | None = None


def _code() -> bytes:
    from .x86 import AE, LE, NE, R8, R9, R10, RAX, RCX, RDI, RDX, RSI, RSP, A, Assembler, B, E, G, Imm, Mem

    a = Assembler()
    loop, nxt, chain, default, done = a.label(), a.label(), a.label(), a.label(), a.label()
    previous, record, call = a.label(), a.label(), a.label()
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
    a.bind(chain)  # not ours (rdi, rsi and rdx still hold our arguments)
    # A thread running generated code (its GS base is not 0: space.py's entries set it) that sent itself SIGSEGV: a
    # handler installed over ours by another thread meanwhile got the guest's fault, and re-raised it after putting
    # ours back (faulthandler does). Returning makes the guest's instruction fault again, and now we get it.
    sent = a.label()
    a.cmp(Mem(RSI, _SI_CODE), Imm(_SI_TKILL), w=32)
    a.jcc(NE, sent)
    a.mov(RAX, Imm(_SYS_GETPID), w=32)
    a.syscall()  # (keeps rdi, rsi, rdx)
    a.cmp(Mem(RSI, _SI_PID), RAX, w=32)
    a.jcc(NE, sent)
    if rt.fsgsbase():
        a.rdgsbase(RAX)
    else:  # arch_prctl(ARCH_GET_GS, a stack slot)
        a.push(RDI)
        a.push(RSI)
        a.xor(RAX, RAX, w=32)
        a.push(RAX)  # (0 if arch_prctl fails: then the signal is not taken for ours)
        a.mov(RSI, RSP)
        a.mov(RDI, Imm(_ARCH_GET_GS), w=32)
        a.mov(RAX, Imm(_SYS_ARCH_PRCTL), w=32)
        a.syscall()
        a.pop(RAX)
        a.pop(RSI)
        a.pop(RDI)
    a.test(RAX, RAX)
    a.jcc(E, sent)
    a.ret()
    a.bind(sent)
    a.mov(RAX, Imm(ctypes.addressof(_previous)))
    a.mov(RAX, Mem(RAX, 0))
    a.cmp(RAX, Imm(1))
    a.jcc(A, previous)
    a.jcc(B, default)  # SIG_DFL
    a.cmp(Mem(RSI, _SI_CODE), Imm(0), w=32)  # SIG_IGN: a kill()ed SIGSEGV stays ignored; a fault cannot be
    a.jcc(G, default)
    a.ret()
    a.bind(previous)
    a.cmp(Mem(RSI, _SI_CODE), Imm(0), w=32)
    a.jcc(LE, call)  # a sent signal does not recur
    a.mov(R8, Mem(RDX, _RIP))
    a.mov(R9, Mem(RSI, _SI_ADDR))
    a.mov(RCX, Imm(ctypes.addressof(_last)))
    a.cmp(R8, Mem(RCX, 0))
    a.jcc(NE, record)
    a.cmp(R9, Mem(RCX, 8))
    a.jcc(E, default)  # the fault it was given last time, again: it did not fix it (and would loop)
    a.bind(record)
    a.mov(Mem(RCX, 0), R8)
    a.mov(Mem(RCX, 8), R9)
    a.bind(call)
    a.sub(RSP, Imm(8))  # (rsp was 8 mod 16 on entry: aligned for the call; the slot is rt_sigpending's buffer after)
    a.call(RAX)
    a.mov(RDI, RSP)
    a.mov(RSI, Imm(8), w=32)
    a.mov(RAX, Imm(127), w=32)  # rt_sigpending(rsp, 8)
    a.syscall()
    a.mov(RAX, Mem(RSP, 0))
    a.add(RSP, Imm(8))
    a.test(RAX, Imm(1 << (SIGSEGV - 1)))
    a.jcc(E, done)
    # It raised SIGSEGV again (pending while we run), as faulthandler does: the default action gets it when we return.
    a.mov(RDI, Imm(SIGSEGV), w=32)
    a.mov(RSI, Imm(ctypes.addressof(_default)))
    a.xor(RDX, RDX, w=32)
    a.mov(R10, Imm(8), w=32)
    a.mov(RAX, Imm(13), w=32)  # rt_sigaction(SIGSEGV, SIG_DFL, NULL, 8)
    a.syscall()
    a.bind(done)
    a.ret()
    # The default action: rt_sigaction(signal, SIG_DFL, NULL, 8), then tgkill(getpid(), gettid(), signal), which stays
    # pending until this handler returns (a kill()ed SIGSEGV would not recur by itself); syscall keeps rdi, r8, r9.
    a.bind(default)
    a.mov(RSI, Imm(ctypes.addressof(_default)))
    a.xor(RDX, RDX, w=32)
    a.mov(R10, Imm(8), w=32)
    a.mov(RAX, Imm(13), w=32)
    a.syscall()
    a.mov(R8, RDI, w=32)
    a.mov(RAX, Imm(39), w=32)
    a.syscall()
    a.mov(R9, RAX)
    a.mov(RAX, Imm(186), w=32)
    a.syscall()
    a.mov(RDI, R9, w=32)
    a.mov(RSI, RAX, w=32)
    a.mov(RDX, R8, w=32)
    a.mov(RAX, Imm(234), w=32)
    a.syscall()
    a.ret()
    return a.finish()




def handler_address() -> int:
    """Where the handler's code lives (made on first use; the native entries compare the installed handler with it)."""
    global _handler
    if _handler is not None:  # (without the lock: space.acquire asks on every instance)
        return _handler.address
    with _locked():
        if _handler is None:
            _publish()
            _handler = ExecutableCode(_code())
        return _handler.address


def install() -> None:
    """Install the handler (again if another handler replaced it since: that one becomes the previous handler)."""
    ours = handler_address()
    with _locked():
        current = _SigAction()
        if _libc.sigaction(SIGSEGV, None, ctypes.byref(current)) != 0:
            raise OSError(ctypes.get_errno(), "sigaction(SIGSEGV) failed")
        if current.handler == ours:
            return
        _previous.value = current.handler or 0
        _last[:] = (0, 0)
        new = _SigAction()
        new.handler = ours
        new.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART
        if _libc.sigaction(SIGSEGV, ctypes.byref(new), None) != 0:
            raise OSError(ctypes.get_errno(), "sigaction(SIGSEGV) failed")


def register(start: int, end: int, stub: int) -> int:
    """Faults in native code at [start, end) resume at `stub`; returns the number unregister() takes."""
    global _registered
    with _locked():
        _registered += 1
        _entries[start] = (end, stub, _registered)
        table = _table
        count = table[0] if table is not None else 0  # type: ignore[index]
        if count < _capacity:  # (no dead entry has this start: the dead code's addresses stay reserved, see unregister)
            table[1 + 3 * count : 4 + 3 * count] = (start, end, stub)  # type: ignore[index]
            table[0] = count + 1  # type: ignore[index]  # (after the entry: a handler sees both or neither)
        else:
            _publish()
        return _registered


def unregister(start: int, number: int, mapping: mmap.mmap | None) -> None:
    """Forget registration `number` of the code at `start`, whose `mapping` is kept until the entry leaves the table
    (dead entries leave in batches: _publish), so that no other code takes its addresses meanwhile; its pages are
    replaced at once by an inaccessible reservation, so dead code holds no memory (found in review: 16 dead modules of
    a hostile program held 500 MiB). Called from finalizers, which may run while this or another thread holds the
    lock (inside register(), say): then whoever holds it publishes when releasing it (see _locked)."""
    if mapping is not None:  # (code that no longer runs: nothing reads these pages)
        rt.reserve(len(mapping), at=start)
    _dead.append((start, number, mapping))
    if _rebuild_due() and _lock.acquire(blocking=False):
        _release_lock()


def _rebuild_due() -> bool:
    """Whether dead entries are a quarter of the table (and more than a few): then it is rebuilt without them. N
    unregistrations then rebuild O(log N) times, and dead code holds at most a third as much memory as live code."""
    return len(_dead) > 16 and 4 * len(_dead) >= len(_entries)


class _locked:
    """`with _locked():` holds _lock; on leaving, dead code leaves the published table if a rebuild is due."""

    def __enter__(self) -> None:
        _lock.acquire()

    def __exit__(self, *_: object) -> None:
        _release_lock()


def _release_lock() -> None:
    """Release _lock, first publishing a table without dead code if a rebuild is due (_rebuild_due); a finalizer that
    appends after our check finds the lock free (or held by someone who checks again)."""
    while True:
        try:
            if _rebuild_due():
                _publish()
        finally:
            _lock.release()
        if not _rebuild_due() or not _lock.acquire(blocking=False):
            return


def _publish() -> None:
    """Build the table anew, without dead entries and with room for as many entries again, and publish it. Nothing
    changes until the new table exists (found in review: a MemoryError there left the state inconsistent)."""
    global _table, _capacity
    dead = _dead[:]
    gone = {start for start, number, _ in dead if _entries.get(start, (0, 0, 0))[2] == number}
    flat = [len(_entries) - len(gone)]
    for start, (end, stub, _) in _entries.items():
        if start not in gone:
            flat += (start, end, stub)
    capacity = max(16, 2 * flat[0])
    table = (ctypes.c_uint64 * (1 + 3 * capacity))(*flat)
    del _dead[: len(dead)]  # (finalizers may append meanwhile: they wait for the next rebuild)
    for start in gone:
        del _entries[start]
    _capacity = capacity
    _cell.value = ctypes.addressof(table)
    now = time.monotonic()
    if _table is not None:
        _retired.append((now, _table))
    _table = table
    while _retired and now - _retired[0][0] > 10:  # a handler reads the table for microseconds, not seconds
        del _retired[0]
    dead.clear()  # (their mappings may go now: no table a handler may start reading has them)
