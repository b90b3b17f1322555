"""The JIT's Instance: native code plus single-instruction interpreter fallbacks on the same state."""

from __future__ import annotations

import ctypes
import struct
import weakref
from bisect import bisect_right
from dataclasses import replace
from functools import cache as _once

from ..interpreter import (
    _CONTINUE,
    _I64_MAX,
    _OOG,
    HOST_ENTRY,
    JIT_NEVER,
    SPARE_BYTES,
    Instance,
    Interrupt,
    InterruptKind,
    Module,
    OnEcalli,
    StandardMemory,
    _check_registers,
)
from ..shortcuts import PER_ITEM, Shortcuts, ShortcutTable
from . import cache, signals, space
from . import runtime as rt
from .runtime import check_supported

_REGS = struct.Struct("<13Q")
_STATE_IN = struct.Struct("<13QqQ")  # registers, gas and the entry target (Space.view starts at VmContext.regs)
_STATE_OUT = struct.Struct("<13QqQQ")  # ... followed by exit_pc and exit_arg
_GAS_TARGET = struct.Struct("<qQ")  # the gas and entry target after the registers (start)
_EXIT_FALLBACK, _EXIT_ECALLI, _EXIT_FAULT = rt.EXIT_FALLBACK, rt.EXIT_ECALLI, rt.EXIT_FAULT
_EXIT_SIGNALS = rt.EXIT_SIGNALS
GAS_SLICE = rt.GAS_SLICE
_ECALLI = InterruptKind.ECALLI  # (an enum member's lookup costs ~60 ns)


class CompiledModule:
    """A module's native code, mapped executable, with its native jump table and fallback interpreter."""

    def __init__(self, module: Module) -> None:
        from .compiler import JitCompiler

        check_supported()
        program, entry_key = None, None
        if cache.enabled():  # (asked once: the environment may change while it compiles, found in review)
            entry_key = cache.key(module.blob.write(), repr(replace(module.config, backend="jit")))
            program = cache.load(entry_key)
        if program is None:
            program = JitCompiler(module).compile()
            if entry_key is not None:
                cache.store(entry_key, program)
        self.program = program
        self.exe = rt.ExecutableCode(program.code, self._native_table)
        base = self.exe.address
        # Guest memory faults in this code resume at its fault stub; once the code is gone, its entry leaves the
        # handler's table with the next batch, and the mapping (kept by the finalizer) only then.
        number = signals.register(base, base + len(program.code), base + program.fault)
        weakref.finalize(self.exe, signals.unregister, base, number, self.exe._map)
        self._sites: tuple[list[int], list[int], list[int]] | None = None
        self.entry = base + program.entry
        self.charged = {pc: base + off for pc, off in program.charged.items()}
        self.uncharged = {pc: base + off for pc, off in program.uncharged.items()}
        # Single-instruction interpreter segments for the instructions the JIT hands back.
        self.fallback = Module(module.blob, replace(module.config, step_tracing=True, backend="interpreter"))
        self.code = module.code
        self.after_ecalli: dict[int, int] = {}  # ecalli pc -> native address of what follows it (serve)
        self.space_key = space.layout_key(module.memory_map, module.blob.ro_data)

    def _native_table(self, base: int) -> bytes:
        """The native jump table that ends the code (JitProgram.jump_table) for code at `base`: each slot's target
        block, or the bad-target stub; slot 0 stands for address 0, which is never a valid target."""
        program = self.program
        bad = base + program.bad_target
        charged = program.charged
        table = [bad] + [base + charged[t] if t is not None and t in charged else bad for t in program.jump_table]
        return struct.pack(f"<{len(table)}Q", *table)

    def faulting_pc(self, native: int) -> tuple[int, int, tuple[tuple[int, int], ...]]:
        """The pc of the guest memory access whose native code lies at `native` (it faulted), and for a fault in copied
        code (JitProgram.copies), the gas to give back (in an unrolled loop's copy, what the copies after it were
        charged) and what to add to registers stepped once per round to make them the guest's."""
        if self._sites is None:
            pairs = sorted((off, pc) for pc, off in self.program.uncharged.items())
            self._sites = ([off for off, _ in pairs], [pc for _, pc in pairs], [u[0] for u in self.program.copies])
        offsets, pcs, copies = self._sites
        offset = native - self.exe.address
        refund = 0
        i = bisect_right(copies, offset) - 1
        if i >= 0 and self.program.copies[i][1] >= 0:
            _, pc, refund, behind = self.program.copies[i]
        else:
            behind = ()
            i = bisect_right(offsets, offset) - 1
            pc = pcs[i] if i >= 0 else -1
        from .emitters import ACCESSES  # (here: importing the code generator at startup costs `auto` ~10 ms)

        inst = self.code.decode(pc)[0] if pc >= 0 else None
        if inst is None or inst.name not in ACCESSES:
            raise RuntimeError(f"JIT internal error: native code faulted at {native:#x}, not at a guest memory access")
        return pc, refund, behind


def compiled(module: Module) -> CompiledModule:
    """The module's native code, compiled on first use and kept with the module (once per process)."""
    jit = getattr(module, "_jit", None)
    if jit is None:
        jit = module._jit = CompiledModule(module)  # type: ignore[attr-defined]
    return jit


# An interpreted run() of a tiered module gives the interpreter at most this much gas at a time, so that a long
# run can move to native code when the module becomes hot (at a block boundary: out of gas is resumable).
TIER_SLICE = 1 << 14


class JitInstance(Instance):
    """An Instance whose `run()` executes native code (see the package docstring).

    A tiered module (backend 'auto') is interpreted until its instances have run `Module.jit_budget`
    instructions; then it is compiled, and each instance moves to native code at its next block boundary
    with the same registers, gas and memory."""

    answers_shortcuts = True

    def __init__(self, module: Module) -> None:
        self._jit: CompiledModule | None = None
        self._lease: space.Lease | None = None
        self._idle = [True]  # empty while run() or reset_memory() runs (see run)
        self._sc_buffer = b""  # what the shortcuts' WORD answers read while serve() runs (_native)
        self.fallbacks = 0  # instructions handed to the interpreter so far (coverage gaps show up here)
        if not module.tiered or module.interpreted >= module.jit_budget or getattr(module, "_jit", None):
            try:
                self._jit = compiled(module)  # before Instance.__init__, whose reset_memory() then maps a space
            except rt.JitUnavailable:  # ('auto' checked only the CPU: no address space for a space, say)
                if not module.tiered:
                    raise
                module.jit_budget = JIT_NEVER
        try:
            super().__init__(module)
        except rt.JitUnavailable:  # no address space left for a space (ulimit -v): 'auto' interprets instead
            if not module.tiered:
                raise
            self._jit = None
            super().__init__(module)

    @property
    def native(self) -> bool:
        """Whether run() executes native code (else this instance of a tiered module is still interpreted)."""
        return self._jit is not None

    def _go_native(self) -> None:
        """Move an interpreted instance (of a tiered module) to native code, its memory into a space."""
        self._jit = compiled(self.module)
        interpreted = self.memory
        try:
            self._new_space()
        except rt.JitUnavailable:
            self._jit, self.memory = None, interpreted
            raise
        if isinstance(interpreted, StandardMemory) and isinstance(self.memory, StandardMemory):
            self.memory.load_from(interpreted)  # type: ignore[attr-defined]
        elif interpreted is not self.memory:
            self.memory = interpreted  # dynamic paging: memory stays with the interpreter's pages

    def _new_space(self) -> None:
        """Take a space (fresh memory, or only a context for dynamic paging) and point the context at the module."""
        m, jit = self.module, self._jit
        assert jit is not None
        if m.config.dynamic_paging:
            self._lease = lease = space.acquire()
            super().reset_memory()
        else:
            self._lease = lease = space.acquire(jit.space_key)
            try:
                self.memory = space.MappedMemory(lease, jit.space_key, m.memory_map, m.blob.ro_data, m.blob.rw_data,
                                                 m.config.max_memory)  # fmt: skip
            except OSError as e:  # mprotect failing (vm.max_map_count, say): as unavailable as no address space
                raise rt.JitUnavailable(f"cannot map guest memory for a JIT instance: {e}") from None
        where = lease.space
        self._ctx = ctx = where.ctx
        self._enter = where.enter
        # Registers cross the Python/native boundary as one struct pack/unpack over the context's bytes
        # (ctypes array slicing converts element by element and costs several times more).
        self._ctx_bytes = where.view
        self._words = where.words  # the same bytes as 16 u64 (registers, gas, exit pc and arg): serve's register view
        self._shortcuts = where.shortcuts
        self._sc_bytes = where.shortcuts.cast("B")
        # What _put_fixed wrote last that stays from frame to frame: (table, unit, cache, its address and mask,
        # event buffer, writes), or None (the slots and the fixed header words are written again).
        self._sc_fixed: tuple | None = None
        ctx.module_entry = jit.entry

    def _run_interpreted(self) -> Interrupt | None:
        """Interpreter runs in slices of TIER_SLICE gas, counting toward the module's JIT budget; the slices are
        invisible: gas, pc and the interrupt returned are those of one run with the whole budget. None: the module
        was compiled meanwhile and the run goes on in native code."""
        m, r = self.module, self._r
        while True:
            budget = r[13]
            sliced = budget > TIER_SLICE
            if sliced:
                r[13] = TIER_SLICE
            interrupt = Instance.run(self)
            used = (TIER_SLICE if sliced else budget) - r[13]
            m.interpreted += used
            if sliced:
                r[13] = budget - used
            if m.interpreted >= m.jit_budget:
                try:
                    self._go_native()
                except rt.JitUnavailable:  # no address space left (ulimit -v): this module stays interpreted
                    m.jit_budget = JIT_NEVER
                else:
                    if sliced and interrupt.kind is InterruptKind.NOT_ENOUGH_GAS:
                        return None  # (run() goes on natively)
                    return interrupt
            if not (sliced and interrupt.kind is InterruptKind.NOT_ENOUGH_GAS):
                return interrupt
            if not used:  # a block costs more than a slice: give it everything
                return Instance.run(self)

    def prepare_call(self, export: str | int, *args: int) -> None:
        # Not from a host-call handler while native code serves (found in review: the registers it set were then
        # overwritten with the guest's): set_next_program_counter moves the guest; prepare_call once serve() returns.
        if not self._idle:
            if self._recycled:
                raise self._refusal("prepare_call()")
            raise RuntimeError("prepare_call while this instance runs (from a serve() handler, or another thread): "
                               "call it once run()/serve() returns, or move the guest with set_next_program_counter")
        super().prepare_call(export, *args)

    def recycle(self) -> None:
        # Held from here until _revive, as run() holds it: nothing else runs, resets or recycles it meanwhile (found
        # in review: taken and put back, it let another thread's run() in before the reset).
        try:
            self._idle.pop()
        except IndexError:  # running (from a serve() handler, or on another thread) or recycled already: nothing
            return
        Instance.recycle(self)

    def _revive(self) -> None:
        Instance._revive(self)
        self._idle.append(True)

    def reset_memory(self) -> None:
        # Not while run() runs (on another thread): its fallbacks would use the new space's context while its native
        # code goes on in the old one (found in review). Taken like run() takes it, so neither can slip in between.
        try:
            self._idle.pop()
        except IndexError:
            raise self._refusal("reset_memory()") from None
        try:
            if self._jit is None:
                super().reset_memory()
            else:
                self._lease = None
                self._new_space()
        finally:
            self._idle.append(True)

    def _reset_memory_in_place(self) -> bool:
        if self._jit is None:  # (interpreted: unless the module became native meanwhile, as a new instance would be)
            return getattr(self.module, "_jit", None) is None and super()._reset_memory_in_place()
        mem, m = self.memory, self.module
        if type(mem) is not space.MappedMemory:
            return False
        # The usual case in one native call (its clearing plan: MappedMemory.cleared); else the space's way, for
        # regions that add up to at most SPARE_BYTES.
        if not mem.cleared(m.blob.rw_data) and (
                mem.space.writable_bytes() > SPARE_BYTES or not mem.reset(m.blob.rw_data)):  # fmt: skip
            return False
        self.fallbacks = 0
        return True

    def run(self) -> Interrupt:
        interrupt = self._run(None)
        assert interrupt is not None
        return interrupt

    def serve(self, on_ecalli: OnEcalli, shortcuts: Shortcuts | None = None) -> Interrupt:
        # Native code answers host calls inside _run's loop: the registers stay in the context (the handler gets a
        # view of them) and the guest resumes at the native address after the ecalli, saving the pack/unpack of the
        # state, the Interrupt and the lookups of a run() per host call (ERC-20: 15 per transfer). Shortcuts are
        # answered without leaving native code at all (compiler.shortcut_code).
        if shortcuts is not None:
            shortcuts.state[5] = 0  # (a HALT of an earlier serve() is over: only this run's may end it)
        return self._served(self._run(on_ecalli, shortcuts), on_ecalli, shortcuts)

    def _served(self, interrupt: Interrupt | None, on_ecalli: OnEcalli, shortcuts: Shortcuts | None) -> Interrupt:
        """serve() from a first run's interrupt on (None: its state is in _r again, as after run() and the handler)."""
        r = self._r
        while True:
            if interrupt is not None:
                if interrupt.kind is not _ECALLI or (shortcuts is not None and shortcuts.state[5]):
                    return interrupt
                # (still interpreted, or no native resume address) The handler holds the instance as native code's
                # would: it may not run, prepare, reset or recycle it (found in review: a tiered instance let it).
                try:
                    self._idle.pop()
                except IndexError:
                    raise self._refusal("serve()") from None
                try:
                    self.gas = on_ecalli(interrupt.ecalli, r, r[13])
                finally:
                    self._idle.append(True)
                _check_registers(r)
            interrupt = self._run(on_ecalli, shortcuts)

    def _run(self, on_ecalli: OnEcalli | None, sc: Shortcuts | None = None) -> Interrupt | None:
        # One run at a time: two threads in native code would share the context, its saved stack pointer among
        # it, and one would return on the other's stack (found in review: SIGSEGV). (A list's pop() is atomic.)
        try:
            self._idle.pop()
        except IndexError:
            raise self._refusal("run()/serve()") from None
        try:
            if self._next is None:
                raise RuntimeError("nothing to run: call prepare_call() or set_next_program_counter() first")
            jit = self._jit
            if jit is None:
                interrupt = self._run_interpreted()
                if interrupt is not None:
                    return interrupt
                jit = self._jit
                assert jit is not None
            r = self._r
            if r[13] < 0:  # (polkavm's run() refuses it up front: program_counter stays as it was)
                return Interrupt(InterruptKind.NOT_ENOUGH_GAS, self._next[0])
            pc, charged = self._next
            if charged is HOST_ENTRY and not self.module.enterable(pc):
                return self._entry_trap(pc)
            target = jit.charged.get(pc) if charged else jit.uncharged.get(pc)
            if target is None:
                start = self.module.code.find_start_of_basic_block(pc) if charged else None
                if start is None and charged:  # the implicit trap, 1 gas (see interpreter._trap_at)
                    if r[13] < 1:
                        self.program_counter = None  # (no block starts there: as the interpreter)
                        return Interrupt(InterruptKind.NOT_ENOUGH_GAS, pc)
                    r[13] -= 1
                if start is None or pc not in jit.uncharged:
                    r[14] = pc
                    return self._interrupt(-2)
                cost = self.module.block_cost(start)
                if r[13] < cost:  # (entered mid-block: polkavm leaves program_counter unset, as the interpreter)
                    self.program_counter = None
                    self._next = (pc, True)  # (a retry, as the interpreter's: the pc was found enterable)
                    return Interrupt(InterruptKind.NOT_ENOUGH_GAS, pc)
                r[13] -= cost
                target = jit.uncharged[pc]
            # Explicit indexing: unpacking a slice into pack_into's arguments costs ~40% more.
            try:
                _STATE_IN.pack_into(self._ctx_bytes, 0, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                                    r[10], r[11], r[12], r[13], target)  # fmt: skip
            except struct.error:  # (found in review: a handler's -1 escaped as struct's "argument out of range")
                _check_registers(r)
                raise
            return self._native(jit, on_ecalli, sc)
        finally:
            self._idle.append(True)

    def start(self, pc: int, gas: int, on_ecalli: OnEcalli, shortcuts: Shortcuts | None = None) -> Interrupt:
        # A fresh entry with native code there: the module's call registers go into the context as they are, with no
        # prepare_call, gas setter or serve() between (a contract's way into every frame).
        jit = self._jit
        target = jit.charged.get(pc) if jit is not None else None
        if target is None or type(gas) is not int or not 0 <= gas <= _I64_MAX:
            return super().start(pc, gas, on_ecalli, shortcuts)
        try:
            self._idle.pop()
        except IndexError:
            raise self._refusal("run()/serve()") from None
        try:
            self._next = (pc, True)
            self._step_delivered = False
            self.program_counter = None
            ctx_bytes = self._ctx_bytes
            ctx_bytes[: _REGS.size] = self.module.call_state
            _GAS_TARGET.pack_into(ctx_bytes, _REGS.size, gas, target)
            if shortcuts is not None:
                shortcuts.state[5] = 0
            interrupt = self._native(jit, on_ecalli, shortcuts)
        finally:
            self._idle.append(True)
        if interrupt is not None and (interrupt.kind is not _ECALLI or (shortcuts is not None and shortcuts.state[5])):
            return interrupt  # (_served's first step: a run that ended, or a HALT)
        return self._served(interrupt, on_ecalli, shortcuts)

    def _native(self, jit: CompiledModule, on_ecalli: OnEcalli | None, sc: Shortcuts | None) -> Interrupt | None:
        """_run's native part, entering at the state the context holds: run, serve host calls, take the state back."""
        r, ctx, ctx_bytes, regs = self._r, self._ctx, self._ctx_bytes, self._regs
        enter, words, after = self._enter, self._words, jit.after_ecalli
        if sc is not None:
            # `sc` into the context's shortcut area (runtime.SC_*) for native code, with `sc.state` a view of its
            # remainder and budget there; off when there is no host or its unit is not one the native arithmetic takes.
            # (Written out here: each function a contract call's flow goes through costs it ~1.5%.)
            area, table, state = self._shortcuts, sc.table, sc.state
            area[2] = 0
            if on_ecalli is None or not (2 <= sc.unit < _U64 and state[2] and table.calls):
                sc = None
            else:
                cache, records = sc.cache, sc.events
                # (every input of the fixed words: the objects themselves too, held here so that no other cache or
                # buffer can take their addresses while this instance may still compare them)
                fixed = (table, sc.unit, cache, cache.address if cache is not None else 0,
                         cache.mask if cache is not None else 0, records, sc.writes)  # fmt: skip
                if fixed != self._sc_fixed:
                    self._put_fixed(sc, fixed)
                buffer = sc.buffer
                if type(buffer) is not bytes:
                    buffer = sc.buffer = bytes(buffer)
                self._sc_buffer = buffer  # (native code reads it until serve() ends, whatever the host does with it)
                raw = self._sc_bytes
                _STATE_BUFFER.pack_into(raw, 0, state[0], state[1], 0, state[3], state[4], state[5],
                                        id(buffer) + _BYTES_DATA, len(buffer))  # fmt: skip
                table.answers.pack_into(raw, rt.SC_DATA, *sc.answers)
                sc.state = area[0:6]
                area[2] = table.count
        # Native code gets at most GAS_SLICE gas at a time, the rest held back here: running out of a slice exits
        # at the block's start with the gas unchanged (resumable), so a run in slices is the run in one, and Python
        # sees a Ctrl-C between slices (found in review: a loop with 10^18 gas could only be killed). Host calls and
        # the interpreter's fallbacks see all of it.
        reserve, piece = 0, GAS_SLICE
        if words[13] > piece:
            reserve, words[13] = words[13] - piece, piece
        settled = False  # (an exception raised with the state as run() leaves it: from a host call)
        try:
            while True:
                code = enter()
                if code == _EXIT_ECALLI and on_ecalli is not None:
                    if sc is not None and sc.state[5]:  # a HALT shortcut ended the run (charged already)
                        break
                    pc = words[14]
                    target = after.get(pc)
                    if target is None and (target := self._after_ecalli(pc, words[15])) is None:
                        break  # (run()'s way: the interrupt, then the resume finds no native code there)
                    before = self._next  # (set_next_program_counter in the handler replaces it)
                    try:
                        # inst.regs is the context's registers while the handler runs, live as on the interpreter
                        # (found in review: a handler read stale ones there, and what it wrote was lost)
                        regs._r = words
                        try:
                            gas = on_ecalli(words[15], words, words[13] + reserve)
                        finally:
                            regs._r = r
                    except BaseException as e:
                        words[13] += reserve
                        self._unpack_ecalli(before)
                        settled = True
                        if isinstance(e, TypeError | ValueError) and str(e).startswith("memoryview: invalid"):
                            raise ValueError("a serve() handler set a register to something other than an int in "
                                             f"0..2^64-1 (the register view refused it: {e})") from e  # (as run())
                        raise
                    if type(gas) is not int or not 0 <= gas <= _I64_MAX:
                        words[13] += reserve
                        self._unpack_ecalli(before)
                        settled = True
                        self.gas = gas  # (negative: not enough gas at the resume, which the next _run reports)
                        return None
                    if self._next is not before:  # the handler moved the guest: run() goes on there, as interpreted
                        self._unpack_ecalli(before)
                        self.gas = gas
                        return None
                    if gas > piece:
                        reserve, gas = gas - piece, piece
                    else:
                        reserve = 0
                    words[13] = gas
                    words[14] = target
                    continue
                if code == rt.EXIT_OUT_OF_GAS and reserve:  # the slice ran out at block words[14]: the next one
                    more = min(reserve, piece)
                    reserve -= more
                    words[13] += more
                    words[14] = jit.charged[words[14]]
                    continue
                if code == _EXIT_FAULT:  # a guest memory access faulted: the interpreter runs it (and traps, say)
                    code = _EXIT_FALLBACK
                    ctx.exit_pc, refund, behind = jit.faulting_pc(ctx.exit_pc)
                    ctx.gas += refund
                    for reg, d in behind:  # (not `r`: that is the state list, unpacked into below)
                        ctx.regs[reg] = (ctx.regs[reg] + d) & 0xFFFFFFFFFFFFFFFF
                elif code == _EXIT_SIGNALS:  # another SIGSEGV handler was installed over ours (nothing ran)
                    signals.install()
                    continue
                elif code != _EXIT_FALLBACK:
                    break
                ctx.gas += reserve  # (the interpreter charges the instruction's block from all of it)
                reserve = 0
                result = self._fallback(ctx.exit_pc)
                if result is None or result < 0:
                    return self._finish_fallback(result)
                reserve = ctx.gas - piece if ctx.gas > piece else 0
                ctx.gas -= reserve
                ctx.exit_pc = result
        except BaseException:
            # A Ctrl-C, seen by Python once native code returned (between slices, or host calls), leaves the guest
            # somewhere this loop does not track (the context may hold an exit or the next entry): nothing to run
            # until a new start (prepare_call, set_next_program_counter).
            if not settled:
                self._next = None
            raise
        finally:
            if sc is not None:  # (no shortcuts for a run() without them; the state back in a list of its own)
                area = self._shortcuts
                sc.state = state = area[0:6].tolist()
                if state[2]:  # (`on`: 1 where native code had the count, else 0 already)
                    state[2] = 1
                    area[2] = 0
                self._sc_buffer = b""
        r[:16] = _STATE_OUT.unpack_from(ctx_bytes, 0)  # registers, gas, pc, ecalli number
        r[13] += reserve
        exit_pc = r[14]
        if code == _EXIT_ECALLI:  # the hot path: a host call
            self.program_counter = exit_pc
            interrupt, self._next = self.module.ecalli_exit(exit_pc, r[15])
            return interrupt
        if code == rt.EXIT_FINISHED:
            return self._interrupt(-1)
        if code == rt.EXIT_TRAP:
            return self._interrupt(-2)
        if code == rt.EXIT_OUT_OF_GAS:
            r[16] = -1
            return self._interrupt(_OOG)
        raise AssertionError(f"unknown JIT exit code {code}")

    def _put_fixed(self, sc: Shortcuts, fixed: tuple) -> None:
        """Write the words of the shortcut area that stay the same from frame to frame (the slots, once per table)."""
        raw, table, words, records = self._sc_bytes, sc.table, sc.cache, sc.events
        if self._sc_fixed is None or self._sc_fixed[0] is not table:
            slots = table.native
            if slots is None:
                slots = table.native = _native_table(table)
            raw[rt.SC_HEADER : rt.SC_DATA] = slots
        m = self.module.memory_map
        _FIXED.pack_into(raw, rt.SC_UNIT + rt.SHORTCUTS, sc.unit, m.rw_data_address,
                         m.rw_data_address + m.rw_data_size, m.stack_address_low, m.stack_address_high)  # fmt: skip
        _TABLES.pack_into(raw, rt.SC_KECCAK + rt.SHORTCUTS, keccak_oneshot(), words.address if words else 0,
                          words.mask if words else 0, words.log_address if words and sc.writes else 0,
                          records.address if records is not None and sc.writes else 0)  # fmt: skip
        self._sc_fixed = fixed

    def _after_ecalli(self, pc: int, number: int) -> int | None:
        """The native address where the guest resumes after the ecalli at `pc` (cached), None if it has none."""
        jit = self._jit
        assert jit is not None
        target = jit.uncharged.get(self.module.ecalli_exit(pc, number)[1][0])
        if target is not None:
            jit.after_ecalli[pc] = target
        return target

    def _unpack_ecalli(self, before: object = None) -> None:
        """The state as run() leaves it after a host call, from the context (serve's handler raised, say); where the
        guest goes on stays where the handler moved it, if it did (`before`: the instance's next pc until then)."""
        r = self._r
        moved = self._next if before is not None and self._next is not before else None
        r[:16] = _STATE_OUT.unpack_from(self._ctx_bytes, 0)
        self.program_counter = r[14]
        _, self._next = self.module.ecalli_exit(r[14], r[15])
        if moved is not None:  # (as set_next_program_counter leaves it: found in review)
            self._next, self.program_counter = moved, None

    def _fallback(self, pc: int) -> int | None:
        """Run the instruction at `pc` in the interpreter; the native address to continue at, or None/-code."""
        r, ctx, jit = self._r, self._ctx, self._jit
        assert jit is not None
        self.fallbacks += 1
        r[:13] = _REGS.unpack_from(self._ctx_bytes, 0)
        r[13] = ctx.gas
        mem = self.memory
        lo = mem._low if isinstance(mem, StandardMemory) else None
        st = mem.stack if isinstance(mem, StandardMemory) else None
        code = jit.fallback.resume[pc](r, lo, st, mem)
        if code == _CONTINUE:
            nxt = jit.uncharged.get(r[16])
        elif code >= 0:
            nxt = jit.charged.get(code)
        else:
            self._pending = code
            return -1
        if nxt is None:  # not an instruction the JIT laid out: let the interpreter report it
            self._pending = -2
            r[14] = code if code >= 0 else r[16]
            return -1
        _REGS.pack_into(self._ctx_bytes, 0, *r[:13])
        ctx.gas = r[13]
        return nxt

    def _finish_fallback(self, _: int | None) -> Interrupt:
        return self._interrupt(self._pending)


def _native_table(table: ShortcutTable) -> bytes:
    """A ShortcutTable's slots as the context holds them: kind | its answer's offset (or its per_item) << 32, costs,
    length."""
    slots = bytearray(rt.SC_DATA - rt.SC_HEADER)
    for number, (kind, cost, budget_cost, length, per_item) in table.calls.items():
        high = per_item if kind in PER_ITEM else rt.SC_DATA + table.offsets.get(number, 0)
        _SLOT.pack_into(slots, 32 * number, int(kind) | high << 32, cost, budget_cost, length)
    return bytes(slots)


@_once
def keccak_oneshot() -> int:
    """The address of pycryptodome's C `keccak_oneshot(in, in_len, out, out_len, capacity, rounds, padding)`, which
    KECCAK shortcuts call from native code; 0 (they leave every hash to the host) where it cannot be found."""
    try:
        import importlib.machinery
        from pathlib import Path

        from Crypto.Hash import keccak

        folder = Path(keccak.__file__).parent
        found = [folder / f"_keccak{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES]
        lib = ctypes.CDLL(str(next(path for path in found if path.exists())))
        function = lib.keccak_oneshot
        function.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                             ctypes.c_uint8, ctypes.c_uint8)  # fmt: skip
        probe = ctypes.create_string_buffer(32)  # (the one-shot must exist and agree with the Python one)
        if function(b"abc", 3, probe, 32, 64, 24, 1) != 0 or probe.raw != keccak.new(digest_bits=256,
                                                                                    data=b"abc").digest():
            return 0
        return ctypes.cast(function, ctypes.c_void_p).value or 0
    except Exception:  # (whatever goes wrong finding it: the hashes go to the host)
        return 0


# Where a bytes object's contents are: id() + this (a c_char_p costs 0.7 us; the offset is the same for every bytes).
_probe = b"where are my bytes"
_BYTES_DATA = ctypes.cast(ctypes.c_char_p(_probe), ctypes.c_void_p).value - id(_probe)  # type: ignore[operator]
_U64 = 1 << 64
_SLOT = struct.Struct("<4Q")
_STATE_BUFFER = struct.Struct("<8Q")  # the shortcut area's words SC_REMAINDER..SC_HALTED, SC_BUFFER, SC_BUFFER_LEN
assert rt.SC_BUFFER == rt.SC_REMAINDER + 48 and rt.SC_BUFFER_LEN == rt.SC_BUFFER + 8
_FIXED = struct.Struct("<5Q")  # SC_UNIT..SC_HI2
_TABLES = struct.Struct("<5Q")  # SC_KECCAK..SC_EVENTS


class CrosscheckError(AssertionError):
    """The JIT and the interpreter disagreed; the message names the first difference."""


class CrosscheckInstance(Instance):
    """Runs every `run()` on the interpreter (the reference, whose results are returned) and on the JIT
    from the same state, and raises CrosscheckError at the first difference in interrupt, pc, registers,
    gas or memory (polkavm's `Config::set_crosscheck`)."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.shadow = JitInstance(module)

    def _reset_memory_in_place(self) -> bool:
        return False  # (not worth it: crosscheck is for testing; its shadow is never reset)

    def _advance(self) -> Interrupt:
        # (run()'s and serve()'s step: found in review, overriding run() alone left serve() and start(), every
        # contract frame, unchecked)
        shadow = self.shadow
        shadow._r[:] = self._r
        shadow._next = self._next
        _copy_memory(self.memory, shadow.memory)
        expected = super()._advance()
        got = shadow.run()
        where = f"after run() at pc {expected.pc}"
        if got != expected:  # kind, pc, ecalli number, fault address
            raise CrosscheckError(f"{where}: interpreter {expected}, JIT {got}")
        for i in range(13):
            if self._r[i] != shadow._r[i]:
                raise CrosscheckError(f"{where}: register {i} is {self._r[i]:#x}, JIT has {shadow._r[i]:#x}")
        if self.gas != shadow.gas:
            raise CrosscheckError(f"{where}: gas {self.gas}, JIT has {shadow.gas}")
        if self._next != shadow._next:
            raise CrosscheckError(f"{where}: next pc {self._next}, JIT has {shadow._next}")
        if self.program_counter != shadow.program_counter:
            raise CrosscheckError(f"{where}: program_counter {self.program_counter}, JIT has {shadow.program_counter}")
        _compare_memory(self.memory, shadow.memory, where)
        return expected


def _copy_memory(source: object, target: object) -> None:
    if isinstance(source, StandardMemory):
        if isinstance(target, space.MappedMemory):
            target.load_from(source)
        else:  # the shadow is still interpreted (a tiered module not yet hot)
            target._low[:] = source._low  # type: ignore[attr-defined]
            target.stack[:] = source.stack  # type: ignore[attr-defined]
            target.rw_end, target.heap_size = source.rw_end, source.heap_size  # type: ignore[attr-defined]
    else:
        target.pages = {k: bytearray(v) for k, v in source.pages.items()}  # type: ignore[attr-defined]
        target.writable = set(source.writable)  # type: ignore[attr-defined]


def _compare_memory(a: object, b: object, where: str) -> None:
    if isinstance(a, StandardMemory):
        ours, theirs = a.contents(), b.contents()  # type: ignore[attr-defined]
        for name, x in ours.items():
            y = theirs[name]
            if x != y:
                first = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
                raise CrosscheckError(f"{where}: {name} memory differs at byte {first}")
    elif a.pages != b.pages:  # type: ignore[attr-defined]
        raise CrosscheckError(f"{where}: mapped pages differ")
