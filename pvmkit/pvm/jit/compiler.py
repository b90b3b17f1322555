"""Single-pass PVM → x86-64 translation.

One linear walk over the decoded program emits native code for each instruction. The 10 guest
registers the program uses most live in host registers (`HOST_REGS`) and gas in r15, the other three in the
context block below r13 (`runtime.VmContext`). r13 and the GS base point at guest address 0 of the instance's
4 GiB reservation (space.py), so a memory access is one instruction on gs:[reg32 + offset], unchecked: inaccessible
pages fault, and signals.py turns the fault into an exit at that instruction. The module's entry stub loads the mapped
registers from the context and every exit stores them back, so at every exit the context holds the whole guest
state and every instruction boundary is a valid native entry point: the interpreter can take over
any single instruction (an EXIT_FALLBACK naming its pc) and native code resumes right after it.
Instructions this compiler does not translate, faulting memory accesses (traps, aux data) and anything
needing the host exit that way, which keeps the JIT exactly as correct as the interpreter.

One-block loops also get an unrolled copy (JitCompiler.unrolled_loop): several iterations under one gas check, with
registers that only step by a constant stepped once per round, and no branches between the copies when a check at
the round's start shows none would leave. Gas, faults and early exits stay exactly the interpreter's. A jump to a
switch's dispatch (a few blocks ending in an indirect jump) becomes a copy of the dispatch (JitCompiler.dispatch_copy),
which the jumping block's gas check pays for where it can, gas staying exact (JitCompiler.merge_jump).

Guest calls (a jump that loads the next instruction's jump-table address into a register) are native calls and
`ret` (jump_indirect ra, 0) a native ret, so the CPU's return predictor follows guest returns: the landing after a
call checks that the guest really returned there, a return with no call's frame left pops the entry's bottom frame
(base_return, which goes through the jump table), the native depth is bounded, and every exit resets rsp.

Scratch registers: rax, rcx, rdx (generated code calls nothing outside itself). What each instruction but control
flow compiles to is in emitters.py; branches, jumps, calls and ecalli are emitted here, with the pass they steer.
The commonest families' code is computed straight from their operands (direct.py, the emitters' bytes exactly); the
rest is built once per template (instruction()) and copied.
"""

from __future__ import annotations

import gc
import struct
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .. import semantics as sem
from ..isa import BRANCHES, INVALID, KIND, MEMORY_BASE, MEMORY_OFFSET, TERMINATORS, WRITES_FIRST, Kind
from ..program import RETURN_TO_HOST, Instruction
from ..shortcuts import (
    _MIX,
    ABSENT,
    EVENT_BUFFER,
    EVENT_DATA,
    EVENT_TOPICS,
    HALT_DATA,
    HALT_FLAGS,
    LOG_CAPACITY,
    MAX_SHORTCUTS,
    PRESENT,
    TABLE_ABSENT,
    TABLE_CHECKED,
    ShortcutKind,
)
from . import runtime as rt
from .direct import DIRECT, DIRECT_DYNAMIC, compare, lea_scaled, load_imm, near_base, short
from .emitters import ACCESSES, EMITTERS, Emitter, _compare, emits
from .x86 import (
    AE,
    BE,
    GE,
    LE,
    NE,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    RAX,
    RBP,
    RBX,
    RCX,
    RDI,
    RDX,
    RSI,
    RSP,
    A,
    Assembler,
    B,
    E,
    G,
    Imm,
    L,
    Label,
    Mem,
    O,
    S,
)  # fmt: skip

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
CTX = R13


_SLOTS = tuple(Mem(CTX, rt.REGS + 8 * i) for i in range(13))


STORES = frozenset(name for name in KIND if name.startswith("store_"))
LOADS = frozenset(name for name in KIND if name.startswith("load_") and name in ACCESSES)


def near_store(base: int, offset: int) -> bool:
    """Whether a store at `offset` from guest register `base` goes through [r13 + rcx + offset], rcx the base
    zero-extended (JitCompiler.memory), rather than gs:[base32 + offset] like loads. On Intel (Xeon, family 6 model 167)
    a store through a segment issues at half the rate (the memset+memcpy benchmark ran 1.6x faster), but a load through
    gs from where a store through [r13 + rcx] went waits ~5 cycles more: memory renaming, which gives a reload of what
    was just stored no latency, pairs only loads and stores addressed alike. So stack stores (through sp), whose
    reloads are spills coming back, keep gs. Only offsets within runtime.NEAR: an address that wraps past 0 or 2^32
    then lands in the inaccessible megabyte around guest memory (space.py)."""
    return base != 1 and -rt.NEAR <= sem.i32(offset & M32) <= rt.NEAR


def _sc(offset: int) -> Mem:
    """A word of the shortcuts' header (runtime.SC_*)."""
    return Mem(CTX, offset)


def SC_SLOT(disp: int) -> Mem:  # noqa: N802
    """The shortcut slot's word at `disp`, rcx = 32 × the ecalli's number."""
    return Mem(CTX, rt.SC_SLOTS + disp, RCX)
_GAS = Mem(CTX, rt.GAS)
_EXIT_PC = Mem(CTX, rt.EXIT_PC)
_EXIT_ARG = Mem(CTX, rt.EXIT_ARG)
_RSP_BASE = Mem(CTX, rt.RSP_BASE)
_RSP_LIMIT = Mem(CTX, rt.RSP_LIMIT)

# Host registers that hold guest registers: everything but rsp, the context (r13) and the scratch registers.
# Gas lives in r15 while native code runs: a block's `sub r15, cost` would otherwise be a read-modify-write of
# memory on every block, a store-to-load chain through the whole run.
GAS = R15
HOST_REGS = (RBX, RBP, RSI, RDI, R8, R9, R10, R11, R12, R14)
# How many leading operands of each kind are registers.
_REG_OPERANDS = {Kind.REG_IMM: 1, Kind.REG_IMM64: 1, Kind.REG_IMM_IMM: 1, Kind.REG_IMM_OFFSET: 1, Kind.REG_REG: 2,
                 Kind.REG_REG_IMM: 2, Kind.REG_REG_OFFSET: 2, Kind.REG_REG_IMM_IMM: 2, Kind.REG_REG_REG: 3}  # fmt: skip
_REG_COUNT = {name: _REG_OPERANDS.get(kind, 0) for name, kind in KIND.items()} | {INVALID: 0}
_BACKWARD_CANDIDATES = BRANCHES | {"jump"}
_CONTINUES = (frozenset(KIND) - TERMINATORS) | BRANCHES | {"fallthrough"}  # ... on to the next instruction (or not)
# RISC-V's link registers (x1 and x5; a jump through one is a return to its return-address predictor): ra, and t0, which
# LLVM's outliner calls through.
_LINK_REGISTERS = frozenset({0, 2})
_MARKS = _BACKWARD_CANDIDATES | {"load_imm_and_jump"}


def allocate(pcs: list[int], forms: list[tuple[str, tuple[int, ...]]], jumps: list[int] | None = None
             ) -> tuple[int | Mem, ...]:  # fmt: skip
    """Where each guest register lives (`Code.decoded()` lists): the most used ones get host registers. A use counts
    16 times more for each backward branch or jump that spans it (a loop), found with one prefix sum over instruction
    indices. `jumps`: the indices of the jumps, branches and calls (_jumps), if the caller has them."""
    n_forms = len(forms)
    depth = [0] * (n_forms + 1)
    backward = _BACKWARD_CANDIDATES
    for i in _jumps(forms) if jumps is None else jumps:
        if forms[i][0] not in backward:
            continue
        target = forms[i][1][-1]
        start = bisect_left(pcs, target, 0, n_forms)  # pcs ascend
        if start <= i and pcs[start] == target:
            depth[start] += 1
            depth[i + 1] -= 1
    uses = [0] * 13
    count = _REG_COUNT
    level = 0
    weight = 1
    for i, (name, args) in enumerate(forms):
        if depth[i]:
            level += depth[i]
            weight = 16 ** min(level, 4)
        n = count[name]  # (0 to 3: unrolled, which costs less than a slice and a loop per instruction)
        if n:
            uses[args[0]] += weight
            if n > 1:
                uses[args[1]] += weight
                if n > 2:
                    uses[args[2]] += weight
    ranked = sorted(range(13), key=lambda i: (-uses[i], i))
    where: list[int | Mem] = list(_SLOTS)
    for guest, host in zip(ranked, HOST_REGS, strict=False):
        where[guest] = host
    return tuple(where)


# Code whose placement the CPU notices starts on a HEAD_ALIGN boundary: one-block loops (a block whose last instruction
# branches back to its start) and call targets. The ALU loop straddling a 32-byte boundary ran at half speed (moved
# by 5 bytes: 9 -> 4.7 G instr/s); the C programs' times moved by up to 30% with the bytes before them (8 paddings of
# the whole module: memops 3.45-4.57 ms, sieve 3.24-3.73, fib 1.10-1.26), a loop that spans two 64-byte windows of
# the op cache being the slow case. With these heads on 64-byte boundaries the spread is under 3%.
HEAD_ALIGN = 64
# Loops of several blocks are aligned too when short and without calls: the sieve (an inner loop of two blocks) took
# 60 us rather than 70 aligned. One with a call in it was not helped: fib, whose loop holds its recursive call, went
# from 21 to 24 us aligned (its layout moved). Fib stays the layout-sensitive one: its function moved by 0..63 bytes
# of NOPs after its aligned head (NOPs it then runs on every call) took 18.5 to 28.3 us, neighbouring shifts often 6 us
# apart, with no rule in where its branches, call and return fell; the head at 0 takes ~20 us.
ALIGNED_LOOP_MAX = 64  # instructions from head to back edge (also what bounds the scan for calls)
PADDING_BUDGET = 4096  # bytes of alignment a program may add, at least (see JitCompiler._compile)


def _jumps(forms: list[tuple[str, tuple[int, ...]]]) -> list[int]:
    """Indices of the jumps and branches (backward ones may close loops) and calls with a target."""
    marks = _MARKS
    return [i for i, form in enumerate(forms) if form[0] in marks]


def _is_call(form: tuple[str, tuple[int, ...]]) -> bool:
    """A call: ra loaded with its return address and a jump, direct or indirect."""
    return (form[0] == "load_imm_and_jump" or form[0] == "load_imm_and_jump_indirect") and form[1][0] == 0


def _aligned_heads(pcs: list[int], forms: list[tuple[str, tuple[int, ...]]], ends: list[int],
                   valid: frozenset[int], jumps: list[int]) -> tuple[set[int], dict[int, int]]:  # fmt: skip
    """Starts of one-block loops (a block that ends by branching or jumping to its start), of loops of several blocks
    with at most ALIGNED_LOOP_MAX instructions and no call, and targets of calls; and
    the one-block loops to unroll (see JitCompiler.unrolled_loop), start → cost: those that end in a conditional
    branch, continue into a block, have at most UNROLL_MAX instructions and only ones that may be templates."""
    heads = set()
    unroll: dict[int, int] = {}
    n_forms = len(forms)
    # A jump back to the start of its own block: no block starts after the target and up to the jump. Looked up in the
    # sorted starts (a scan of the instructions between made N jumps far back cost O(N^2): found in review).
    starts = sorted(valid)
    n_starts = len(starts)
    for k in jumps:
        name, args = forms[k]
        target = args[-1]
        if name == "load_imm_and_jump":
            if args[0] == 0:  # ra = return address: a call
                heads.add(target)
            continue
        if target not in valid or target > pcs[k]:
            continue
        after = bisect_right(starts, target)
        first = bisect_left(pcs, target, 0, n_forms)
        if after < n_starts and starts[after] <= pcs[k]:  # a loop of several blocks
            if k - first < ALIGNED_LOOP_MAX and not any(_is_call(form) for form in forms[first:k]):
                heads.add(target)
            continue
        heads.add(target)
        if (name in BRANCHES and k - first < UNROLL_MAX and ends[k] in valid
                and all(form[0] in _UNROLLABLE for form in forms[first:k])):  # fmt: skip
            unroll[target] = k - first + 1
    return heads, unroll


# One-block loops are also emitted a second time, out of line, unrolled (unroll_times) under one gas check (see
# JitCompiler.unrolled_loop): the loop's gas check and its taken branch then come once per round. A memset's loop of
# 4 instructions ran 35% faster without its gas check; the C memops program took 1.52 ms with its loops (4 and 6
# instructions) unrolled 16 times, 1.66 ms with the second 8 times; the ALU loop (3) ran at 9.6 G instructions/s 16
# times, 9.1 G 8 times. More copies cost compile time for less: ERC-20's loops (6, 6, 7) take +0.5 ms at 16.
UNROLL_MAX = 16
# A jump to a switch's dispatch (a few blocks ending in an indirect jump) copies them, up to this many instructions
# (dispatch_copy): the C bytecode interpreter benchmark took 1.64 ms before, 1.15 ms after.
DISPATCH_COPY_MAX = 16
# A block of at most this many instructions that ends in a jump to a dispatch it copies also pays for the copy's blocks
# in its own gas check (JitCompiler.merge_jump): the bytecode interpreter then checks gas once per operation, not three
# times.
MERGE_MAX = 32
COPY_BUDGET = 4096  # instructions all copies of a program may add, at least (see JitCompiler._compile)


def unroll_times(cost: int) -> int:
    """How many copies of a one-block loop of `cost` instructions a round has."""
    return 16 if cost <= 6 else 8 if cost <= 8 else 4


_BRANCH_CC = {
    "eq": E, "not_eq": NE, "less_unsigned": B, "less_signed": L, "greater_or_equal_unsigned": AE,
    "greater_or_equal_signed": GE, "less_or_equal_unsigned": BE, "less_or_equal_signed": LE,
    "greater_unsigned": A, "greater_signed": G,
}  # fmt: skip
_CC_OF = {name: _BRANCH_CC[name.removeprefix("branch_").removesuffix("_imm")] for name in BRANCHES}  # branch → cc
_BRANCHES_IMM = frozenset(name for name in BRANCHES if name.endswith("_imm"))


class Piece(NamedTuple):
    """Encoded code of a template and what placing it patches."""

    code: bytes
    pcs: list[int]  # imm32 fields that get the instruction's pc (its exits)
    exits: list[int]  # rel32 fields of jumps to the epilogue
    hole: int  # the imm32/disp32 field that gets the memory offset or immediate the template was built without, or -1
    patch: int  # what placing it takes: _COPY (nothing to patch), _HOLE (only the hole: most memory accesses and
    # immediates) or _PLACE (place())


_COPY, _HOLE, _PLACE = 0, 1, 2


def _piece(code: bytes, pcs: list[int], exits: list[int], hole: int) -> Piece:
    patch = _PLACE if pcs or exits else _HOLE if hole >= 0 else _COPY
    return Piece(code, pcs, exits, hole, patch)


def _with_operand(inst: Instruction, at: int, value: int) -> Instruction:
    """`inst` with operand `at` replaced (a template's sentinel)."""
    args = inst[2]
    return tuple.__new__(Instruction, (inst[0], inst[1], args[:at] + (value,) + args[at + 1 :], inst[3]))


def _stepped(body: list, branch: tuple[str, tuple[int, ...]]) -> dict[int, int]:
    """Registers an unrolled loop may step once per round (JitCompiler.unrolled_loop), with their steps: stepped by
    one add_imm_64 to itself in the block, and otherwise only read, as a memory access's base or by the branch."""
    no = 1 << 40  # stepped twice, or by more than 16 steps can add up to in 32 bits: not this one
    steps: dict[int, int] = {}
    for _, _, (op, args), _ in body:
        if op == "add_imm_64" and args[0] == args[1]:
            step = sem.i32(args[2])
            steps[args[0]] = step if args[0] not in steps and -(1 << 26) < step < 1 << 26 else no
    for _, _, (op, args), _ in body:
        base = MEMORY_BASE.get(op)
        for at, r in enumerate(args[: _REG_COUNT[op]]):
            if r in steps and at != base and not (op == "add_imm_64" and args[0] == args[1]):
                del steps[r]
    return {r: step for r, step in steps.items() if step != no}


@dataclass(slots=True)
class _Loop:
    """A one-block loop being unrolled (JitCompiler.loop_head, loop_end, unrolled_loop)."""

    pc: int
    cost: int  # instructions in its block
    times: int  # copies per round (unroll_times)
    last: int  # index of its branch in the decoded lists
    unrolled: Label  # the unrolled copy
    single: Label  # the loop's own gas check
    jump_at: int = -1  # end of loop_head's jump to the unrolled copy
    copyable: bool = True
    # each instruction's code, pc, form and next pc, but the branch's
    body: list[tuple[bytes, int, tuple[str, tuple[int, ...]], int]] = field(default_factory=list)
    branch: tuple[str, tuple[int, ...]] = ("", ())
    next_pc: int = -1


_NOP6 = b"\x66\x0f\x1f\x44\x00\x00"
# Condition codes for the comparison with its operands swapped (cmp a, b vs cmp b, a), and the signed ones.
_SWAPPED = {B: A, AE: BE, BE: AE, A: B, L: G, GE: LE, LE: GE, G: L, NE: NE, E: E}
_SIGNED_CC = frozenset({L, GE, LE, G})
_BELOW_CC = frozenset({B, BE, L, LE})


@dataclass
class JitProgram:
    """Native code for one module plus where each pc starts in it."""

    code: bytes
    entry: int  # offset of the entry stub, which continues at the context's TARGET
    bad_target: int  # offset of the stub that traps an indirect jump to an invalid jump-table slot
    charged: dict[int, int]  # pc → offset of its gas check (basic-block starts)
    uncharged: dict[int, int]  # pc → offset of the instruction itself
    jump_table: list[int | None]  # per slot: pc of a valid target, else None (its native table ends `code`)
    native_instructions: int  # how many PVM instructions were translated natively (the rest fall back)
    fault: int  # offset of the stub a faulting guest memory access resumes at (signals.py: rax, rdx say where)
    inline_end: int  # where the instructions' code ends and the out-of-line code (stubs, dispatch) begins
    # Instructions of copied code (JitCompiler.unrolled_loop, JitCompiler.dispatch_copy), ascending: (offset, pc, gas
    # to give back if it faults there, (register, how far its value is behind) pairs), each up to the next; pc -1 ends
    # a copy.
    copies: list[tuple[int, int, int, tuple[tuple[int, int], ...]]]
    loops: dict[int, tuple[int, int]]  # an unrolled loop's head pc → [start, end) of its unrolled code
    shortcuts: int = -1  # offset of the host-call shortcuts' code (JitCompiler.shortcut_code), -1 if no ecalli calls it

    @property
    def table_at(self) -> int:
        """Offset of the native jump table, which ends the code: 8 bytes per slot, slot 0 for address 0."""
        return len(self.code) - 8 * (len(self.jump_table) + 1)


class JitCompiler:
    """Translates a whole module in one pass (`compile()`); see the module docstring for the design."""

    def __init__(self, module: object) -> None:
        self.module = module
        self.code = module.code  # type: ignore[attr-defined]
        self.dynamic = module.config.dynamic_paging  # type: ignore[attr-defined]
        self.direct = DIRECT_DYNAMIC if self.dynamic else DIRECT  # families encoded without templates (direct.py)
        self.a = Assembler()
        self.epilogue = self.a.label()  # bound before the first instruction: jumps to it are patched in place
        self.epilogue_at = -1
        self.scratch = Assembler()  # where templates are built
        self.template_epilogue = Label()  # never bound: a template's exits jump to it, patched where it is placed
        self.dispatch = self.a.label()  # an indirect jump through the table: eax = guest address, ecx = its pc
        self.base_return = self.a.label()  # the same, for a `ret` that finds the entry's bottom frame
        self.native_table = self.a.label()  # the native jump table (JitProgram.jump_table)
        self.bad_target = self.a.label()  # an invalid table slot: traps at the pc in ecx
        self.shortcuts = self.a.label()  # host-call shortcuts (shortcut_code), called by each ecalli
        self.near = False  # while a store's template is built: whether its offset is within runtime.NEAR (memory())
        self.shortcut_sites = 0
        self.charged_labels: dict[int, Label] = {}
        self.charged_at: dict[int, int] = {}  # JitProgram.charged, while it is filled
        # Out-of-line code placed after all instructions (traps, out of gas, deep calls).
        self.stubs: list[Callable[[], None]] = []
        self.rcx_holds: int | None = None  # (unrolled_copy)
        self.uncharged_stubs: dict[int, tuple[int, int]] = {}  # pc → its out-of-line code, [start, end) (resume_stub)
        self.gas_stubs: list[tuple[int, int]] = []  # (gas_check's patch_at, pc) per block: out_of_gas_stubs()
        self.native = 0
        # Template key → (Piece, translated natively?), or False for an immediate
        # template that could not be built (see instruction()).
        self.templates: dict[tuple, Template] = {}
        # While a template is built: where its exits store their pc (patched per use), else None.
        self.template: list[int] | None = None
        # Indirect memory templates leave their offset out of the key: they are built with OFFSET_SENTINEL (which
        # gives the access a 32-bit displacement) and record its position here.
        self.template_disps: list[int] | None = None
        self.copies: list[tuple[int, int, int, tuple[tuple[int, int], ...]]] = []  # JitProgram.copies
        self.loops: dict[int, tuple[int, int]] = {}  # JitProgram.loops
        self.regs: tuple[int | Mem, ...] = _SLOTS
        self.where: tuple[int, ...] = tuple(range(16, 29))  # see _compile
        self.profile = (self.code.isa.name, self.dynamic)
        self.decoded: tuple[list[int], list[tuple[str, tuple[int, ...]]], list[int]] = ([], [], [])
        self.dispatches: dict[int, tuple[int, int] | None] = {}  # target pc → its dispatch_chain
        self.copy_budget = 0  # instructions that unrolled loops and dispatch copies may still add (see _compile)
        # While a dispatch copy a block paid for is emitted (merge_jump): the gas an exit or a branch taken out of it
        # gives back (the copy's blocks it skips).
        self.refund = 0
        self.exiting: set[int] = set()  # pcs whose template may exit: no block with one pays ahead (merge_jump)
        self.uncharged_at: dict[int, int] = {}  # JitProgram.uncharged, while it is filled
        self.refund_stubs: dict[tuple[int, int], Label] = {}
        # gas_check's patch_at of such a block → (what the copy costs, [where its unmerged twin's code starts]).
        self.merged: dict[int, tuple[int, list[int]]] = {}
        self.unmerged_at: dict[int, int] = {}  # its pcs → their offsets in the twin: their uncharged entries
        self.merged_inline: dict[int, int] = {}  # ... and their offsets inline (for the listing)
        self.copied: dict[int, tuple[int, bool]] = {}  # a jump's pc → the dispatch it copies, merged? (for the listing)

    def charged(self, pc: int) -> Label:
        """The label of block `pc`'s gas check, made when first jumped to (bound already if the block is emitted)."""
        label = self.charged_labels.get(pc)
        if label is None:
            label = self.charged_labels[pc] = Label()
            label.pos = self.charged_at.get(pc, -1)
        return label

    # Exits.
    def exit(self, code: int, pc: int, arg: int | None = None) -> None:
        a = self.a
        if self.refund and self.template is None:  # (in a dispatch copy its block paid for: see merge_jump)
            a.add(GAS, Imm(self.refund))
        if self.template is None and pc < 1 << 31 and (arg is None or 0 <= arg <= M32):
            # The encoder's bytes, written directly (host calls, traps and out of gas are the commonest exits): mov
            # qword [r13 + EXIT_PC], imm32; (mov eax, arg; mov [r13 + EXIT_ARG], rax;) mov eax, code; jmp epilogue.
            out = a.code
            out += _MOV_EXIT_PC + pc.to_bytes(4, "little")
            if arg is not None:
                out += b"\xb8" + arg.to_bytes(4, "little") + _STORE_EXIT_ARG
            out += b"\xb8" + code.to_bytes(4, "little") + b"\xe9"
            out += (self.epilogue_at - len(out) - 4).to_bytes(4, "little", signed=True)
            return
        a.mov(_EXIT_PC, Imm(pc))
        if self.template is not None:  # a template holds no outside references: its pc is patched per use
            self.template.append(a.offset() - 4)
        if arg is not None:
            a.mov(RAX, Imm(arg))
            a.mov(_EXIT_ARG, RAX)
        a.mov(RAX, Imm(code), w=32)
        a.jmp(self.epilogue)  # in a template, piece() turns this into a jump patched per use

    def epilogue_code(self) -> None:
        """Store the mapped guest registers into the context and return to space.Space.enter's trampoline."""
        a = self.a
        for i, where in enumerate(self.regs):
            if type(where) is int:
                a.mov(_SLOTS[i], where)
        a.mov(_GAS, GAS)
        a.mov(RSP, _RSP_BASE)  # drops the native call frames of guest calls (see _jump)
        a.ret()

    def stub(self, emit: Callable[[], None]) -> Label:
        """An out-of-line code path (trap, fallback, out of gas), emitted after all instructions."""
        label = self.a.label()

        def place() -> None:
            self.a.bind(label)
            emit()

        self.stubs.append(place)
        return label

    def fallback(self, pc: int) -> None:
        self.exit(rt.EXIT_FALLBACK, pc)

    # The pass.
    def compile(self) -> JitProgram:
        # The cyclic GC is paused meanwhile: a compile allocates ~60k tuples, lists and closures that live until it
        # ends (or for good, in the template library), and the collector scanned them ~90 times per ERC-20 compile,
        # 10-150 ms on top of ~100 ms (its cycles, the stub closures, are collected after it as before).
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._compile()
        finally:
            if enabled:
                gc.enable()

    def _compile(self) -> JitProgram:
        a, code = self.a, self.code
        pcs, forms, ends = self.decoded = code.decoded()
        # Copies (unrolled loops, dispatch copies) emit at most as many instructions again as the program has, or
        # COPY_BUDGET if that is more: a program made of jumps to one dispatch, or of tiny loops, must not make 16 or
        # 32 times the code (compile time and code size stay linear in the program's size).
        self.copy_budget = max(len(forms), COPY_BUDGET)
        jumps = _jumps(forms)
        self.regs = allocate(pcs, forms, jumps)
        # Where each guest register lives as an int, for template keys: its host register, or 16 + its number when it
        # stays in the context (a Mem would be hashed and compared by dataclass methods written in Python).
        self.where = tuple(w if type(w) is int else 16 + i for i, w in enumerate(self.regs))
        entry = a.offset()  # reached from space.Space.enter with r13 set and the callee-saved registers pushed
        a.mov(_RSP_BASE, RSP)
        a.lea(RAX, Mem(RSP, -8 * rt.NATIVE_CALL_DEPTH))
        a.mov(_RSP_LIMIT, RAX)
        a.lea_label(RAX, self.base_return)  # the bottom frame: a `ret` with no native call to return from lands there
        a.push(RAX)
        for i, where in enumerate(self.regs):
            if type(where) is int:
                a.mov(where, _SLOTS[i])
        a.mov(GAS, _GAS)
        a.jmp(Mem(CTX, rt.TARGET))
        a.bind(self.epilogue)
        self.epilogue_code()
        self.epilogue_at = self.epilogue.pos
        charged: dict[int, int] = self.charged_at
        uncharged: dict[int, int] = {}
        self.uncharged_at = uncharged
        labels = self.charged_labels
        valid = self.valid = code.valid_targets()
        heads, unroll = _aligned_heads(pcs, forms, ends, valid, jumps)
        if self.dynamic:
            unroll = {}  # (memory accesses leave native code)
        # Alignment may add at most as many bytes of padding as the program has bytes of code, or PADDING_BUDGET if
        # that is more (found in review: a program of one-byte loops, each aligned, made 89 bytes of native code per
        # byte).
        padding = max(len(code.code), PADDING_BUDGET)
        patch_at, cost = -1, 0
        out, instruction = a.code, self.instruction  # (the hot loop)
        # An instruction whose code does not depend on where it is comes out the same wherever the same (name,
        # operands) appear: about half the instructions of a resolc contract repeat one before them, and a repeat is
        # copied from `done` (instruction() says which may). Code.decoded() gives equal forms one shared object, so
        # the lookup mostly ends at an identity check.
        done: dict[tuple[str, tuple[int, ...]], bytes | bytearray] = {}
        repeated = 0  # copied or encoded directly (all translated natively)
        directs, where = self.direct, self.where
        terminators = TERMINATORS
        loop: _Loop | None = None  # the loop to unroll whose block is being emitted
        fuse_next, after_pair = False, 0  # (the instruction after a fused pair's first, and where the pair's code ends)
        for k, form in enumerate(forms):
            pc = pcs[k]
            if pc in valid:
                if pc in heads and padding > 0:
                    padding -= -len(out) % HEAD_ALIGN
                    a.align(HEAD_ALIGN)
                label = labels.get(pc)  # (the blocks no jump has named yet get a label only when one does)
                if label is not None:
                    label.pos = len(out)
                charged[pc] = len(out)
                # (an unrolled loop has its copies twice: with their branches and without)
                if pc in unroll and self.spend_copies(2 * unroll_times(unroll[pc]) * unroll[pc]):
                    loop = self.loop_head(pc, unroll[pc], k)
                patch_at, cost = self.gas_check(pc), 0
            if fuse_next:  # the second of a fused pair (fused()): its code came with the first's
                fuse_next = False
                cost += 1
                self.resume_stub(pc, k, after_pair)
                if loop is not None:
                    loop.body.append((b"", pc, form, ends[k]))
                continue
            start = uncharged[pc] = len(out)
            cost += 1
            if form[0] == _SHL_IMM_64 and (pair := self.fused(k)) is not None:
                out += pair
                fuse_next = True
                after_pair = len(out)
                self.native += 2
                if loop is not None:
                    loop.body.append((pair, pc, form, ends[k]))
                continue
            same = done.get(form)
            if same is None:
                direct = directs.get(form[0])  # (direct.py: no template, no call to instruction(), no slice of `out`)
                if direct is not None:
                    same = done[form] = direct(where, form[1])
            if same is not None:
                out += same
                repeated += 1
                if loop is None:
                    continue
                copied = True
            else:
                copied = instruction(pc, form[0], form[1], ends[k])
                if copied:
                    done[form] = out[start:]  # (a bytearray: one copy, where bytes() of the slice made two)
                elif form[0] in terminators and patch_at >= 0:
                    # The block's cost is known only at its end (polkavm's emit_weight): patch the imm32 in place.
                    _PACK_U32(out, patch_at, cost)
                    patch_at = -1
            if loop is not None:
                if k < loop.last:
                    loop.body.append((bytes(out[start:]), pc, form, ends[k]))
                    loop.copyable &= copied
                else:
                    self.loop_end(loop, form, pc, ends[k])
                    loop = None
        self.native += repeated
        # Falling off the last instruction (only possible after a non-terminator) is the implicit trap.
        self.exit(rt.EXIT_TRAP, len(code.code))
        inline_end = len(out)
        for patch_at, (paid, _) in self.merged.items():  # (merge_jump) the block's check pays for its copy too
            _PACK_U32(out, patch_at, int.from_bytes(out[patch_at : patch_at + 4], "little") + paid)
        for stub in self.stubs:
            stub()
        for pc, (start, _) in self.uncharged_stubs.items():
            uncharged[pc] = start
        for pc, start in self.unmerged_at.items():  # (entered from the host: the twin, see merge_jump)
            if pc in uncharged and pc not in self.uncharged_stubs:
                self.merged_inline[pc] = uncharged[pc]
            uncharged[pc] = start
        self.out_of_gas_stubs()
        # Targets that never got a block (invalid ones are never jumped to natively) still need binding.
        for pc, label in self.charged_labels.items():
            if pc not in charged:
                a.bind(label)
                self.exit(rt.EXIT_TRAP, pc)
        a.bind(self.dispatch)
        self.table_jump()
        # A guest return with no native frame of a guest call left (entered mid-call, or deeper than
        # NATIVE_CALL_DEPTH): through the table, the bottom frame pushed again. Every `ret` then needs no check that
        # a frame is there: fib ran 5% faster than with `cmp rsp, [r13 + RSP_BASE]; jae` before each.
        a.bind(self.base_return)
        a.lea_label(RDX, self.base_return)
        a.push(RDX)
        self.table_jump()
        shortcuts = -1
        if self.shortcut_sites:
            a.bind(self.shortcuts)
            shortcuts = a.offset()
            self.shortcut_code()
        # Entered from table_jump (or an invalid table slot) with the jump's pc in ecx and the rotated address in
        # eax: a return to the host is not in the table either, so it is told apart here, off the hot path.
        a.bind(self.bad_target)
        bad_target = a.offset()
        finished = a.label()
        a.cmp(RAX, Imm(_RETURN_TO_HOST_SLOT), w=32)
        a.jcc(E, finished, short=True)
        a.mov(_EXIT_PC, RCX)
        a.mov(RAX, Imm(rt.EXIT_TRAP), w=32)
        a.jmp(self.epilogue)
        a.bind(finished)
        a.mov(_EXIT_PC, RCX)
        a.mov(RAX, Imm(rt.EXIT_FINISHED), w=32)
        a.jmp(self.epilogue)
        fault = a.offset()
        a.mov(_EXIT_PC, RAX)
        a.mov(_EXIT_ARG, RDX)
        a.mov(RAX, Imm(rt.EXIT_FAULT), w=32)
        a.jmp(self.epilogue)
        table = [t if t in valid else None for t in code.jump_table]
        # The native jump table ends the code, zeros until CompiledModule maps it: read-only with the code, one per
        # module, reached RIP-relative (table_jump).
        a.align(8)
        a.bind(self.native_table)
        a.code += bytes(8 * (len(table) + 1))
        return JitProgram(a.finish(), entry, bad_target, charged, uncharged, table, self.native, fault, inline_end,
                          self.copies, self.loops, shortcuts)  # fmt: skip

    def shortcut_code(self) -> None:
        """Host calls answered natively (pvm/shortcuts.py), called from each ecalli with eax = its number: eax = 0 when
        answered (the guest goes on after the ecalli), else 1 and nothing changed (the ecalli exits as usual). Every
        check comes before the first change. Uses rax, rcx and rdx (KECCAK saves what else its C call may change);
        guest memory is read and written only where a check has found rw data (as first mapped) or the stack, and
        the host buffer read only within its length."""
        a = self.a
        a0, a1, a2, a3, a4 = self.regs[7:12]
        slow, value, copy, word, keccak = a.label(), a.label(), a.label(), a.label(), a.label()
        table_get, table_set, event, halt = a.label(), a.label(), a.label(), a.label()
        slot = SC_SLOT  # [r13 + rcx + disp]: the slot's words, rcx = 32 * number
        a.cmp(RAX, _sc(rt.SC_COUNT), w=32)
        a.jcc(AE, slow)
        a.shl(RAX, 5, w=32)
        a.mov(RCX, RAX, w=32)
        a.mov(RAX, slot(0), w=32)  # the kind
        a.cmp(RAX, Imm(ShortcutKind.VALUE), w=32)
        a.jcc(E, value)
        a.cmp(RAX, Imm(ShortcutKind.BYTES), w=32)
        a.jcc(E, copy)
        a.cmp(RAX, Imm(ShortcutKind.WORD), w=32)
        a.jcc(E, word)
        a.cmp(RAX, Imm(ShortcutKind.KECCAK), w=32)
        a.jcc(E, keccak)
        a.cmp(RAX, Imm(ShortcutKind.TABLE_GET), w=32)
        a.jcc(E, table_get)
        a.cmp(RAX, Imm(ShortcutKind.TABLE_SET), w=32)
        a.jcc(E, table_set)
        a.cmp(RAX, Imm(ShortcutKind.EVENT), w=32)
        a.jcc(E, event)
        a.cmp(RAX, Imm(ShortcutKind.HALT), w=32)
        a.jcc(E, halt)
        a.bind(slow)
        a.mov(RAX, Imm(1), w=32)
        a.ret()
        unpriced = a.label()  # the slow path with a price priced() pushed still on the native stack: dropped first
        a.bind(unpriced)
        a.add(RSP, Imm(8))
        a.jmp(slow)

        slot_cost = slot(8)

        def charge(cost: Mem | int = slot_cost, fail: Label = slow, need: int | None = None, budget: bool = True
                   ) -> None:  # fmt: skip
            """Take `cost` (the slot's, by default) from gas × unit + remainder and, with `budget`, the slot's budget
            cost from the budget, or go to `fail` with nothing changed; then gas, remainder = divmod(what is left,
            unit). With `need` (a register, at least `cost`), that much must be left. Keeps rcx."""
            a.mov(RAX, GAS)
            a.mul(_sc(rt.SC_UNIT))  # rdx:rax (CF: past 64 bits)
            a.jcc(B, fail)
            a.add(RAX, _sc(rt.SC_REMAINDER))
            a.jcc(B, fail)
            if need is not None:
                a.cmp(RAX, need)
                a.jcc(B, fail)
            a.sub(RAX, cost)
            a.jcc(B, fail)
            if budget:
                a.mov(RDX, _sc(rt.SC_BUDGET))
                a.sub(RDX, slot(16))
                a.jcc(B, fail)
                a.mov(_sc(rt.SC_BUDGET), RDX)
            a.xor(RDX, RDX, w=32)
            a.div(_sc(rt.SC_UNIT))
            a.mov(GAS, RAX)
            a.mov(_sc(rt.SC_REMAINDER), RDX)

        def writable(fail: Label = slow) -> None:
            """Is guest [rax, rdx) wholly in rw data or the stack? Else `fail`."""
            second, ok = a.label(), a.label()
            a.cmp(RAX, _sc(rt.SC_LO1))
            a.jcc(B, second, short=True)
            a.cmp(RDX, _sc(rt.SC_HI1))
            a.jcc(BE, ok, short=True)
            a.bind(second)
            a.cmp(RAX, _sc(rt.SC_LO2))
            a.jcc(B, fail)
            a.cmp(RDX, _sc(rt.SC_HI2))
            a.jcc(A, fail)
            a.bind(ok)

        def priced(count: int | Mem, per: Mem) -> None:
            """Push `cost` + `per` × `count` (a u32 in a guest register); to `slow` (nothing pushed) past 2^64."""
            a.mov(RAX, count, w=32)
            a.mul(per)
            a.jcc(B, slow)
            a.add(RAX, slot(8))
            a.jcc(B, slow)
            a.push(RAX)

        def pay(count: int | Mem, per: Mem) -> None:
            """charge() `cost` + `per` × `count` (priced), or go to `slow` with nothing changed."""
            priced(count, per)
            charge(Mem(RSP, 0), unpriced)
            a.add(RSP, Imm(8))

        a.bind(value)
        charge()
        a.mov(RDX, slot(4), w=32)  # where the answer is, from the area's start
        a.mov(RAX, Mem(CTX, -rt.SHORTCUTS, RDX))
        a.mov(a0, RAX)
        a.xor(RAX, RAX, w=32)
        a.ret()

        a.bind(copy)
        a.mov(RAX, a0, w=32)
        a.mov(RDX, slot(24), w=32)  # the length
        a.add(RDX, RAX)
        writable()
        charge()
        a.mov(RDX, slot(4), w=32)  # where the data is, from the area's start
        a.mov(RCX, slot(24), w=32)
        a.lea(RDX, Mem(CTX, -rt.SHORTCUTS, RDX))
        a.mov(RAX, a0, w=32)
        twenty = a.label()
        a.cmp(RCX, Imm(20), w=32)
        a.jcc(E, twenty)
        for k in range(0, 32, 8):
            a.mov(RCX, Mem(RDX, k))
            a.mov(Mem(RAX, k, gs=True), RCX)
        a.xor(RAX, RAX, w=32)
        a.ret()
        a.bind(twenty)
        for k in (0, 8):
            a.mov(RCX, Mem(RDX, k))
            a.mov(Mem(RAX, k, gs=True), RCX)
        a.mov(RCX, Mem(RDX, 16), w=32)
        a.mov(Mem(RAX, 16, gs=True), RCX, w=32)
        a.xor(RAX, RAX, w=32)
        a.ret()

        a.bind(keccak)  # keccak-256 of [a0, a0 + a1) to [a2, a2 + 32), by pycryptodome's keccak_oneshot
        a.mov(RAX, a0, w=32)
        a.mov(RDX, a1, w=32)
        a.add(RDX, RAX)
        writable()
        a.mov(RAX, a2, w=32)
        a.lea(RDX, Mem(RAX, 32))
        writable()
        a.cmp(_sc(rt.SC_KECCAK), Imm(0))
        a.jcc(E, slow)
        pay(a1, slot(24))
        # keccak_oneshot(in, in_len, out, 32, capacity 64, 24 rounds, padding 0x01): the SysV ABI, with the guest
        # registers it may clobber saved and rbx (callee-saved) keeping the stack pointer; it uses no GS.
        a.mov(RAX, a0, w=32)
        a.mov(RCX, a1, w=32)
        a.mov(RDX, a2, w=32)
        for reg in (RSI, RDI, R8, R9, R10, R11, RBX):
            a.push(reg)
        a.mov(RBX, RSP)
        a.and_(RSP, Imm(-16))
        a.sub(RSP, Imm(16))
        a.mov(Mem(RSP, 0), Imm(1))
        a.lea(RDI, Mem(CTX, 0, RAX))
        a.mov(RSI, RCX, w=32)
        a.lea(RDX, Mem(CTX, 0, RDX))
        a.mov(RCX, Imm(32), w=32)
        a.mov(R8, Imm(64), w=32)
        a.mov(R9, Imm(24), w=32)
        a.call(_sc(rt.SC_KECCAK))
        a.mov(RSP, RBX)
        for reg in (RBX, R11, R10, R9, R8, RDI, RSI):
            a.pop(reg)
        a.xor(RAX, RAX, w=32)
        a.ret()

        # TABLE_GET and TABLE_SET: the arguments' checks with rax, rdx only (guest registers may be any host registers,
        # or in memory), the pointers they need later on the native stack, then rbx, rsi, rdi saved for the lookup.
        saved = (RSI, RDI, RBX)
        for kind, label in ((ShortcutKind.TABLE_GET, table_get), (ShortcutKind.TABLE_SET, table_set)):
            getting = kind is ShortcutKind.TABLE_GET
            a.bind(label)
            a.cmp(_sc(rt.SC_TABLE), Imm(0))
            a.jcc(E, slow)
            a.mov(RAX, a0, w=32)  # flags: 0
            a.test(RAX, RAX, w=32)
            a.jcc(NE, slow)
            a.mov(RAX, a2, w=32)  # the key's length: u32::MAX (a 32-byte key)
            a.cmp(RAX, Imm(-1), w=32)
            a.jcc(NE, slow)
            if getting:
                a.mov(RAX, a4, w=32)  # the capacity at a4 (a u32, rewritten with the length)
                a.lea(RDX, Mem(RAX, 4))
                writable()
                a.cmp(Mem(RAX, 0, gs=True), Imm(32), w=32)
                a.jcc(B, slow)
            else:
                a.mov(RAX, a4, w=32)  # the value's length: 32
                a.cmp(RAX, Imm(32), w=32)
                a.jcc(NE, slow)
                a.cmp(_sc(rt.SC_LOG), Imm(0))
                a.jcc(E, slow)
                a.cmp(_sc(rt.SC_LOGGED), Imm(LOG_CAPACITY))
                a.jcc(AE, slow)
            a.mov(RAX, a3, w=32)  # the value (out, or in)
            a.lea(RDX, Mem(RAX, 32))
            writable()
            a.push(RAX)
            a.mov(RAX, a1, w=32)  # the key
            a.lea(RDX, Mem(RAX, 32))
            dropped, failed = a.label(), a.label()
            writable(dropped)
            for reg in saved:
                a.push(reg)
            # The key's entry: rdx = hash & mask, then linear probing up to the key (rdi = its entry) or an empty
            # entry (no entry: the host's). The cache is at most half full, so an empty entry ends every probe.
            probe, other, found = a.label(), a.label(), a.label()
            a.mov(RDX, Mem(RAX, 0, gs=True))
            for k in (8, 16, 24):
                a.xor(RDX, Mem(RAX, k, gs=True))
            a.mov(RBX, RDX)  # (the high half folded in: Solidity's slots differ in their last bytes, the top of w3)
            a.shr(RBX, 32)
            a.xor(RDX, RBX)
            a.mov(RBX, Imm(_MIX))
            a.imul(RDX, RBX)
            a.shr(RDX, 32)
            a.and_(RDX, _sc(rt.SC_MASK), w=32)
            a.mov(RSI, _sc(rt.SC_TABLE))
            a.bind(probe)
            a.lea(RDI, Mem(RDX, 0, RDX, 8))
            a.lea(RDI, Mem(RSI, 0, RDI, 8))  # 72 × index
            a.cmp(Mem(RDI, 64), Imm(0))
            a.jcc(E, failed)
            for k in (0, 8, 16, 24):
                a.mov(RBX, Mem(RAX, k, gs=True))
                a.cmp(RBX, Mem(RDI, k))
                a.jcc(NE, other)
            a.jmp(found)
            a.bind(other)
            a.add(RDX, Imm(1), w=32)
            a.and_(RDX, _sc(rt.SC_MASK), w=32)
            a.jmp(probe)
            a.bind(found)
            known = a.label()
            a.cmp(Mem(RDI, 64), Imm(PRESENT))
            a.jcc(E, known, short=True)
            a.cmp(Mem(RDI, 64), Imm(ABSENT))
            a.jcc(NE, failed)  # (a value of another length: the host's)
            a.bind(known)
            if not getting:  # the log entry, counted once the write is done
                a.mov(RAX, _sc(rt.SC_LOG))
                a.mov(RBX, _sc(rt.SC_LOGGED))
                a.mov(Mem(RAX, 0, RBX, 4), RDX, w=32)
            # Its budget, with rax and rdx: `budget_cost` + per_item × TABLE_CHECKED must be left, and `budget_cost` +
            # per_item × the held value's bytes (0 or 32) is taken, the budget left pushed until the gas is taken too.
            # (per_item is a u32: the products cannot carry, only the need's add.)
            unbudgeted, empty = a.label(), a.label()
            a.mov(RAX, slot(4), w=32)  # per_item
            a.imul_imm(RAX, RAX, TABLE_CHECKED)
            a.add(RAX, slot(16))
            a.jcc(B, failed)
            a.mov(RDX, _sc(rt.SC_BUDGET))
            a.cmp(RDX, RAX)
            a.jcc(B, failed)
            a.xor(RAX, RAX, w=32)
            a.cmp(Mem(RDI, 64), Imm(PRESENT))
            a.jcc(NE, empty, short=True)
            a.mov(RAX, slot(4), w=32)
            a.shl(RAX, 5)
            a.bind(empty)
            a.add(RAX, slot(16))
            a.sub(RDX, RAX)
            a.push(RDX)
            # Its cost: rbx = what must be left, `cost` + per byte × TABLE_CHECKED (past 2^64: the host's); rsi = what
            # is taken, `cost` + per byte × the held value's bytes (at most rbx).
            a.xor(RSI, RSI, w=32)
            a.mov(RAX, Imm(32), w=32)
            a.cmp(Mem(RDI, 64), Imm(PRESENT))
            a.cmov(E, RSI, RAX)
            a.imul(RSI, slot(24))
            a.mov(RAX, slot(24))
            a.mov(RDX, Imm(TABLE_CHECKED), w=32)
            a.mul(RDX)
            a.jcc(B, unbudgeted)
            a.add(RAX, slot(8))
            a.jcc(B, unbudgeted)
            a.mov(RBX, RAX)
            a.add(RSI, slot(8))
            charge(RSI, unbudgeted, need=RBX, budget=False)
            a.pop(RDX)
            a.mov(_sc(rt.SC_BUDGET), RDX)
            # Done checking: answer.
            a.mov(RAX, Mem(RSP, 24))  # the value's guest address
            a.mov(RBX, Mem(RDI, 64))
            if getting:
                absent = a.label()
                a.mov(RDX, Imm(TABLE_ABSENT), w=32)
                a.cmp(RBX, Imm(PRESENT))
                a.jcc(NE, absent)
                for k in (0, 8, 16, 24):
                    a.mov(RDX, Mem(RDI, 32 + k))
                    a.mov(Mem(RAX, k, gs=True), RDX)
                a.xor(RDX, RDX, w=32)
                a.bind(absent)
            else:
                for k in (0, 8, 16, 24):
                    a.mov(RDX, Mem(RAX, k, gs=True))
                    a.mov(Mem(RDI, 32 + k), RDX)
                a.mov(Mem(RDI, 64), Imm(PRESENT))
                a.add(_sc(rt.SC_LOGGED), Imm(1))
                a.mov(RDX, Imm(32), w=32)
                a.cmp(RBX, Imm(PRESENT))
                a.mov(RAX, Imm(0xFFFFFFFF), w=32)
                a.cmov(NE, RDX, RAX)
            for reg in reversed(saved):
                a.pop(reg)
            a.add(RSP, Imm(8))
            if getting:  # the length over the capacity, after the pops (a4 may be one of them); not for no value
                written = a.label()
                a.test(RDX, RDX, w=32)
                a.jcc(NE, written)
                a.mov(RAX, a4, w=32)
                a.mov(Mem(RAX, 0, gs=True), Imm(32), w=32)
                a.bind(written)
            a.mov(a0, RDX)
            a.xor(RAX, RAX, w=32)
            a.ret()
            a.bind(unbudgeted)
            a.add(RSP, Imm(8))
            a.bind(failed)
            for reg in reversed(saved):
                a.pop(reg)
            a.bind(dropped)
            a.add(RSP, Imm(8))
            a.jmp(slow)

        # EVENT: a1 topics at a0, a3 bytes of data at a2, as one record (EventBuffer) at SC_EVENTS + SC_EVENTS_USED.
        a.bind(event)
        a.cmp(_sc(rt.SC_EVENTS), Imm(0))
        a.jcc(E, slow)
        a.mov(RAX, a1, w=32)
        a.cmp(RAX, Imm(EVENT_TOPICS), w=32)
        a.jcc(A, slow)
        a.mov(RAX, a3, w=32)
        a.cmp(RAX, Imm(EVENT_DATA), w=32)
        a.jcc(A, slow)
        for count, pointer, shift in ((a1, a0, 5), (a3, a2, 0)):  # (what is read: none, or in rw data or the stack)
            nothing = a.label()
            a.mov(RDX, count, w=32)
            a.test(RDX, RDX, w=32)
            a.jcc(E, nothing)
            if shift:
                a.shl(RDX, shift, w=32)
            a.mov(RAX, pointer, w=32)
            a.add(RDX, RAX)
            writable()
            a.bind(nothing)
        a.mov(RAX, a3, w=32)  # the record's size: 8 + 32 × topics + the data padded to 8 bytes, if there is room
        a.add(RAX, Imm(7), w=32)
        a.and_(RAX, Imm(-8), w=32)
        a.mov(RDX, a1, w=32)
        a.shl(RDX, 5, w=32)
        a.add(RAX, RDX, w=32)
        a.add(RAX, Imm(8), w=32)
        a.add(RAX, _sc(rt.SC_EVENTS_USED))
        a.cmp(RAX, Imm(EVENT_BUFFER))
        a.jcc(A, slow)
        priced(a3, slot(24))  # + the cost per topic (a u32: no carry past 2^64 from 4 of them but the add's)
        a.mov(RAX, slot(4), w=32)
        a.mov(RDX, a1, w=32)
        a.imul(RAX, RDX)
        a.add(Mem(RSP, 0), RAX)
        a.jcc(B, unpriced)
        charge(Mem(RSP, 0), unpriced)
        a.add(RSP, Imm(8))
        for arg in (a0, a2, a1, a3):  # [rsp + 40]: the topics' address, 32: the data's, 24: topics, 16: the length
            a.mov(RAX, arg, w=32)
            a.push(RAX)
        a.push(RSI)
        a.push(RDI)
        a.mov(RDI, _sc(rt.SC_EVENTS))
        a.add(RDI, _sc(rt.SC_EVENTS_USED))
        a.mov(RAX, Mem(RSP, 24))
        a.mov(Mem(RDI, 0), RAX, w=32)
        a.mov(RAX, Mem(RSP, 16))
        a.mov(Mem(RDI, 4), RAX, w=32)
        a.add(RDI, Imm(8))
        for count, source, shift in ((24, 40, 5), (16, 32, 0)):  # guest memory, from r13
            a.mov(RCX, Mem(RSP, count))
            if shift:
                a.shl(RCX, shift, w=32)
            a.mov(RSI, Mem(RSP, source))
            a.add(RSI, CTX)
            a.rep_movsb()
        a.mov(RAX, Mem(RSP, 16))
        a.add(RAX, Imm(7))
        a.and_(RAX, Imm(-8))
        a.mov(RDX, Mem(RSP, 24))
        a.shl(RDX, 5)
        a.add(RAX, RDX)
        a.add(RAX, Imm(8))
        a.add(_sc(rt.SC_EVENTS_USED), RAX)
        a.pop(RDI)
        a.pop(RSI)
        a.add(RSP, Imm(32))
        a.xor(RAX, RAX, w=32)
        a.ret()

        # HALT: flags a0, a2 bytes at a1; charged, SC_HALTED = 1, and eax = 1: the ecalli exits as usual and the
        # instance ends the run there (JitInstance._run).
        a.bind(halt)
        a.mov(RAX, a0, w=32)
        a.test(RAX, Imm(~HALT_FLAGS & M32), w=32)
        a.jcc(NE, slow)
        a.mov(RDX, a2, w=32)
        a.cmp(RDX, Imm(HALT_DATA), w=32)
        a.jcc(A, slow)
        nothing = a.label()
        a.test(RDX, RDX, w=32)
        a.jcc(E, nothing)
        a.mov(RAX, a1, w=32)
        a.add(RDX, RAX)
        writable()
        a.bind(nothing)
        pay(a2, slot(24))
        a.mov(_sc(rt.SC_HALTED), Imm(1))
        a.mov(RAX, Imm(1), w=32)
        a.ret()

        a.bind(word)
        a.mov(RAX, a1, w=32)
        a.add(RAX, Imm(32))
        a.cmp(RAX, _sc(rt.SC_BUFFER_LEN))
        a.jcc(A, slow)
        a.mov(RAX, a0, w=32)
        a.lea(RDX, Mem(RAX, 32))
        writable()
        charge()
        a.mov(RAX, a1, w=32)
        a.add(RAX, _sc(rt.SC_BUFFER))
        a.mov(RCX, a0, w=32)
        for k in range(0, 32, 8):  # the big-endian word, little-endian
            a.mov(RDX, Mem(RAX, 24 - k))
            a.bswap(RDX)
            a.mov(Mem(RCX, k, gs=True), RDX)
        a.xor(RAX, RAX, w=32)
        a.ret()

    def spend_copies(self, instructions: int) -> bool:
        """Whether copies (an unrolled loop, a dispatch copy) of this many instructions fit in what is left of the
        program's copy budget, which they then use up."""
        if instructions > self.copy_budget:
            return False
        self.copy_budget -= instructions
        return True

    def dispatch_chain(self, target: int) -> tuple[int, int] | None:
        """The instructions [start, end) (indices into Code.decoded()) a jump to `target` copies rather than jumps to
        (dispatch_copy), or None: from `target`, at most DISPATCH_COPY_MAX instructions whose blocks end in branches or
        fall-throughs, the last block ending in an indirect jump that is no return (through no link register)."""
        chain = self.dispatches.get(target, 0)
        if chain != 0:
            return chain  # type: ignore[return-value]
        pcs, forms, ends = self.decoded
        start = bisect_left(pcs, target)
        chain = None
        for k in range(start, min(start + DISPATCH_COPY_MAX, len(forms))):
            name, args = forms[k]
            if name in _CONTINUES:
                if name in TERMINATORS and ends[k] not in self.valid:
                    break  # a branch or fall-through to no valid target traps: the block after it is no block
                continue
            if name == "jump_indirect" and args[0] not in _LINK_REGISTERS:
                chain = (start, k + 1)
            break
        self.dispatches[target] = chain
        return chain

    def dispatch_copy(self, start: int, end: int, merged: bool = False) -> None:
        """Instructions [start, end) in place of a jump to the first: each block still checks its gas, and a fault says
        its pc (JitProgram.copies). A switch's indirect jump copied into each case that jumps back to it predicts
        far better than one jump shared by all (threaded code); it saves a taken jump per case too.

        `merged`: the jumping block paid for the copy (merge_jump), so its blocks check nothing; a fault, or a branch
        taken out of the copy, gives back what the blocks not reached were charged."""
        pcs, forms, ends = self.decoded
        out, sites, valid = self.a.code, self.copies, self.valid
        native = self.native  # (instructions emitted again here are not more instructions translated)
        patch_at = cost = 0
        fused = False
        left = end - start  # (merged: what the blocks from here on were charged)
        for k in range(start, end):
            pc = pcs[k]
            if pc in valid:
                if merged:
                    k_next = k + 1
                    while k_next < end and pcs[k_next] not in valid:
                        k_next += 1
                    left -= k_next - k
                    self.refund = left  # (this block's own cost is due once it is entered)
                else:
                    if cost:
                        _PACK_U32(out, patch_at, cost)
                    patch_at, cost = self.gas_check(pc), 0
            cost += 1
            sites.append((len(out), pc, self.refund, ()))
            name, args = forms[k]
            if fused:  # the second of a fused pair: no code of its own (a fault cannot happen in either)
                fused = False
                continue
            if name == _SHL_IMM_64 and k + 1 < end and (pair := self.fused(k)) is not None:
                out += pair
                fused = True
                continue
            self.instruction(pc, name, args, ends[k])
        if not merged:
            _PACK_U32(out, patch_at, cost)
        self.refund = 0
        sites.append((len(out), -1, 0, ()))
        self.native = native

    def merge_jump(self, pc: int, chain: tuple[int, int]) -> bool:
        """Whether the jump at `pc` copies `chain` (dispatch_chain) in the merged way, which it then emits: its block's
        gas check also pays for the copy's blocks, so the copy checks nothing. Only where no instruction of the block
        or the copy leaves native code but by a memory fault (JitProgram.copies gives the gas paid ahead back then) or
        a fallback (exit() gives it back), and the copy's branches lead to valid blocks (a taken one gives back what
        it skips). Decided at the jump, so the pass spends nothing on other blocks: the block's code is already out.

        Gas stays exact (Sync): with less than the sum, the check's stub gives the copy's cost back and runs the
        block's unmerged twin (out of line: the block, then the copy with its checks), or exits out of gas when the
        block's own cost is not there either. The twin also holds the block's uncharged entries (the host resuming
        mid-block, after a fault say): the block's own gas is paid then, the copy's is not."""
        pcs, forms, ends = self.decoded
        valid = self.valid
        j = bisect_left(pcs, pc)
        k = j
        while pcs[k] not in valid:
            k -= 1
        if self.dynamic or j - k >= MERGE_MAX or not all(form[0] in _MERGEABLE for form in forms[k:j]):
            return False
        if self.exiting and any(p in self.exiting for p in pcs[k:j]):
            return False
        start, end = chain
        for name, args in forms[start : end - 1]:
            if name not in _MERGEABLE and name != "fallthrough" and not (name in BRANCHES and args[-1] in valid):
                return False
        patch_at, block = self.gas_stubs[-1]  # (the block's: nothing in it checks gas)
        if block != pcs[k] or not self.spend_copies(2 * (end - start) + j - k):
            return False
        cost = end - start
        twin: list[int] = [-1]
        self.merged[patch_at] = (cost, twin)
        uncharged = self.uncharged_at
        for i in range(k, j):  # a fault in the block gives back what the copy was charged (the second of a fused pair
            at = uncharged.get(pcs[i])  # has no code of its own, nor a fault)
            if at is not None:
                self.copies.append((at, pcs[i], cost, ()))
        self.copied[pc] = (forms[j][1][0], True)
        self.dispatch_copy(start, end, merged=True)

        def place() -> None:
            out = self.a.code
            native = self.native
            # A fault in the twin finds its pc among the uncharged entries (faulting_pc) only after a copy's end.
            assert not self.copies or self.copies[-1][1] == -1, "JIT internal error: a twin inside a copy's sites"
            twin[0] = len(out)
            for i in range(k, j):
                self.unmerged_at[pcs[i]] = len(out)
                name, args = forms[i]
                direct = self.direct.get(name)
                if direct is not None:
                    out += direct(self.where, args)
                else:
                    self.instruction(pcs[i], name, args, ends[i])
            self.unmerged_at[pc] = len(out)
            self.dispatch_copy(start, end)
            self.native = native

        self.stubs.append(place)
        return True

    def refunding(self, target: int) -> Label:
        """Where a branch taken out of a merged dispatch copy goes: give back self.refund, then block `target`."""
        key = (target, self.refund)
        label = self.refund_stubs.get(key)
        if label is None:
            refund = self.refund

            def emit() -> None:
                self.a.add(GAS, Imm(refund))
                self.a.jmp(self.charged(target))

            label = self.refund_stubs[key] = self.stub(emit)
        return label

    def fused(self, k: int) -> bytes | None:
        """The code of instructions k and k+1 as one, when they are `d = s << 1..3; d = d + t` (or t + d), d and t
        different and all three in host registers, in one block: lea d, [t + s << k], where they took shl + add (or
        lea + add). RISC-V's address arithmetic (an index scaled, then a base added) comes as this pair; the C bytecode
        interpreter's dispatch and operand stack have five of them."""
        pcs, forms, _ = self.decoded
        d, s, shift = forms[k][1]
        if not 1 <= shift <= 3 or k + 1 >= len(forms) or pcs[k + 1] in self.valid:
            return None
        name, args = forms[k + 1]
        if name != "add_64" or args[0] != d:
            return None
        t = args[2] if args[1] == d else args[1] if args[2] == d else d
        where = self.where
        dst, src, base = where[d], where[s], where[t]
        if t == d or dst > 15 or src > 15 or base > 15:
            return None
        return lea_scaled(dst, base, src, shift)

    def resume_stub(self, pc: int, k: int, after: int) -> None:
        """Where the second instruction of a fused pair (at `pc`, index k) starts when native code is entered there
        (set_next_program_counter into the middle of a block): out of line, the add alone, then the code after the
        pair."""
        name, args = self.decoded[1][k]
        end = self.decoded[2][k]

        def place() -> None:
            start = len(self.a.code)
            native = self.native
            self.instruction(pc, name, args, end)  # (its direct encoder, or its template where there is none)
            self.native = native  # (counted with the pair)
            back = Label()
            back.pos = after
            self.a.jmp(back)
            self.uncharged_stubs[pc] = (start, len(self.a.code))

        self.stubs.append(place)

    def loop_head(self, pc: int, cost: int, k: int) -> _Loop:
        """Before an unrollable loop's gas check: go to its unrolled copy when gas covers a round's iterations (a jump
        that loop_end turns into a NOP if the block's code turns out not to be copyable)."""
        a = self.a
        loop = _Loop(pc, cost, unroll_times(cost), k + cost - 1, Label(), Label())
        a.cmp(GAS, Imm(loop.times * cost))
        a.jcc(GE, loop.unrolled)
        loop.jump_at = len(a.code)
        a.bind(loop.single)
        return loop

    def loop_end(self, loop: _Loop, form: tuple[str, tuple[int, ...]], pc: int, next_pc: int) -> None:
        if not loop.copyable:
            a = self.a
            a._fixups = [f for f in a._fixups if f[0] is not loop.unrolled]
            a.code[loop.jump_at - 6 : loop.jump_at] = _NOP6
            return
        loop.branch = form
        loop.next_pc = next_pc
        self.stubs.append(lambda: self.unrolled_loop(loop))

    def unrolled_loop(self, loop: _Loop) -> None:
        """The loop's block `times` times under one gas check of `times` times its cost. Gas stays exact: leaving after
        copy k gives back what copies k+1.. were charged, a fault in copy k gives that back too (JitProgram.copies),
        and with less gas than a round needs, the loop's own code runs, one checked iteration at a time.

        A register the block only steps by a constant and otherwise uses as an address base or in the branch (a
        pointer or a count, see _stepped) is stepped once per round, in the last copy: the copies before address from
        it with their offsets moved and compare its value plus their steps, so they do not wait on each other. Leaving
        early steps it by what was skipped, and a fault says how far its register is behind (JitProgram.copies).
        When the branch compares such a register with one the block never writes (or an immediate), a check at the
        round's start (trip_guard) can show that none of the copies before the last leaves: then they run without
        their branches."""
        a = self.a
        native = self.native  # (instructions emitted again here are not more instructions translated)
        a.align(HEAD_ALIGN)
        a.bind(loop.unrolled)
        start = len(a.code)
        times = loop.times
        total = times * loop.cost
        short, checked = Label(), Label()
        a.sub(GAS, Imm(total))
        a.jcc(S, short)
        name, (x, y, _) = loop.branch
        cc = _CC_OF[name]
        right: int | Imm = Imm(sem.i32(y)) if name.endswith("_imm") else y
        after = self.charged(loop.next_pc)
        steps = _stepped(loop.body, loop.branch)
        self.rcx_holds = None  # the guest register whose low 32 bits rcx holds (unrolled_copy): none at a label
        if self.trip_guard(loop, steps, checked):
            for copy in range(1, times + 1):
                self.unrolled_copy(loop, copy, steps)
            self.copies.append((len(a.code), -1, 0, ()))  # the branch (it cannot fault)
            _compare(self, x, right)
            a.jcc(cc, loop.unrolled)
            a.jmp(after)
            a.bind(checked)
            self.rcx_holds = None
        leave = []
        for copy in range(1, times + 1):
            behind = self.unrolled_copy(loop, copy, steps)
            self.copies.append((len(a.code), -1, 0, ()))
            self.compare_ahead(x, behind.get(x, 0), right if type(right) is Imm else (right, behind.get(right, 0)))
            if copy < times:
                exit_label = Label()
                a.jcc(cc ^ 1, exit_label)
                leave.append((exit_label, (times - copy) * loop.cost, behind))
            else:
                a.jcc(cc, loop.unrolled)
        a.jmp(after)
        for exit_label, refund, behind in leave:
            a.bind(exit_label)
            for r, d in behind.items():
                if d:
                    self.instruction(loop.pc, "add_imm_64", (r, r, d), loop.pc)
            a.add(GAS, Imm(refund))
            a.jmp(after)
        a.bind(short)
        a.add(GAS, Imm(total))
        a.jmp(loop.single)
        self.loops[loop.pc] = (start, len(a.code))
        self.native = native

    def unrolled_copy(self, loop: _Loop, copy: int, steps: dict[int, int]) -> dict[int, int]:
        """The block's instructions (not its branch) as copy `copy` of unrolled_loop's round, with their sites;
        returns how far each stepped register is behind after it (all 0 after the last copy, which steps them)."""
        out, sites, where = self.a.code, self.copies, self.where
        refund = (loop.times - copy) * loop.cost
        behind = {r: (copy - 1) * step for r, step in steps.items()}  # host value + this = the guest's
        for code, pc, (op, args), next_pc in loop.body:
            if op == "add_imm_64" and args[0] in steps:
                r = args[0]
                behind[r] += steps[r]
                if copy == loop.times:  # the round's last copy catches its register up
                    sites.append((len(out), pc, refund, ()))
                    self.instruction(pc, op, (r, r, behind[r]), next_pc)
                    behind[r] = 0
                    if r == self.rcx_holds:
                        self.rcx_holds = None
                continue
            start = len(out)
            sites.append((start, pc, refund, tuple((r, d) for r, d in behind.items() if d)))
            base = MEMORY_BASE.get(op)
            if base is not None and behind.get(args[base]):
                at = MEMORY_OFFSET[op]
                moved = args[:at] + (sem.i32((args[at] + behind[args[base]]) & M32),) + args[at + 1 :]
                self.instruction(pc, op, moved, next_pc)
            else:
                out += code
            # A store whose base goes through ecx (mov ecx, base32 first) leaves it there: a store after it through
            # the same base, with nothing between that touches rcx or the base, needs no mov of its own (a memset's
            # copies: 16 stores from one base, where the movs held stores to 1.4 per cycle rather than 2).
            if op in STORES and base is not None:
                prefix = near_base(where[args[base]])
                if out[start : start + len(prefix)] != prefix:
                    self.rcx_holds = None
                elif self.rcx_holds == args[base]:
                    del out[start : start + len(prefix)]
                else:
                    self.rcx_holds = args[base]
            elif op in LOADS:  # (through a host register, or at an absolute address: rcx is not touched)
                if args[0] == self.rcx_holds or (base is not None and where[args[base]] > 15):
                    self.rcx_holds = None
            elif op not in STORES:  # (absolute stores leave rcx alone too)
                self.rcx_holds = None
        return behind

    def trip_guard(self, loop: _Loop, steps: dict[int, int], checked: Label) -> bool:
        """Jump to `checked` unless the branch of every copy before the last will continue the loop; False (and no
        code) for a branch this cannot tell. One operand must be stepped (by s per iteration), the other an immediate
        or a register the block never writes, c: over copies 1..times-1 the stepped value goes from v + s to
        v + (times-1)s, monotonically unless that wraps (checked, unsigned or signed as the comparison), so an order
        holds at every copy when it holds at the end nearest c, and != when c lies outside both ends."""
        name, (x, y, _) = loop.branch
        imm = name.endswith("_imm")
        sx, sy = steps.get(x, 0), 0 if imm else steps.get(y, 0)
        if (sx == 0) == (sy == 0):
            return False
        stepped, step, other = (x, sx, y) if sx else (y, sy, x)
        written = {args[0] for _, _, (op, args), _ in loop.body if op in WRITES_FIRST}
        if not (imm and stepped == x) and other in written:
            return False
        cc = _CC_OF[name]
        if cc == E:
            return False
        if stepped != x:
            cc = _SWAPPED[cc]  # as `cmp stepped, c`
        a, regs = self.a, self.regs
        c: int | Mem | Imm = Imm(sem.i32(y)) if imm else regs[other]
        far = (loop.times - 1) * step
        v = regs[stepped]
        a.mov(RDX, v)
        if cc in _SIGNED_CC:
            a.add(RDX, Imm(far))
            a.jcc(O, checked)
        elif step > 0:
            a.add(RDX, Imm(far))
            a.jcc(B, checked)  # carry: v + far wrapped past 2^64
        else:
            a.sub(RDX, Imm(-far))
            a.jcc(B, checked)  # borrow: v + far wrapped below 0
        # v + s, the near end (no wrap, as v + far has none): needed for != and when it is the end that decides.
        if cc == NE or (step > 0) != (cc in _BELOW_CC):
            if type(v) is int:
                a.lea(RAX, Mem(v, step))
            else:
                a.mov(RAX, v)
                a.add(RAX, Imm(step))
        if cc == NE:
            low, high = (RAX, RDX) if step > 0 else (RDX, RAX)
            outside = Label()
            a.cmp(low, c)
            a.jcc(A, outside)  # c below the range
            a.cmp(high, c)
            a.jcc(AE, checked)  # c inside it
            a.bind(outside)
            return True
        # An order below c holds at every copy when it holds at the largest value, one above c at the smallest.
        a.cmp(RDX if (step > 0) == (cc in _BELOW_CC) else RAX, c)
        a.jcc(cc ^ 1, checked)
        return True

    def compare_ahead(self, x: int, dx: int, y: Imm | tuple[int, int]) -> None:
        """`cmp` guest register x plus dx with an immediate or guest register y[0] plus y[1] (rax, rdx: scratch)."""
        if not dx and (type(y) is Imm or not y[1]):
            _compare(self, x, y if type(y) is Imm else y[0])
            return
        a, regs = self.a, self.regs
        left: int | Mem = regs[x]
        if dx:
            if type(left) is not int:
                a.mov(RAX, left)
                left = RAX
            a.lea(RAX, Mem(left, dx))
            left = RAX
        right: int | Mem | Imm = y
        if type(y) is tuple:
            right = regs[y[0]]
            if y[1]:
                if type(right) is not int:
                    a.mov(RDX, right)
                    right = RDX
                a.lea(RDX, Mem(right, y[1]))
                right = RDX
        a.cmp(left, right)  # (with a delta, one side is rax or rdx: never two memory operands)

    def table_jump(self, call: int | None = None, rotated: bool = False) -> None:
        """Jump to the guest address in eax (`rotated`: already rotated right by one) through the native jump table
        (ecx = the jumping pc, for a trap). With `call` (the return address a guest call loaded), a native call while
        the native call depth allows (see _jump), landing right after it."""
        a = self.a
        # Slot = address / 2 in the native table, whose slot 0 (address 0) and invalid targets lead to the bad-target
        # stub; rotating right by one also turns odd addresses into slots >= 2^31, so one bound check covers both.
        # (ror eax, 1;) cmp eax, imm32 (the encoder's bytes, written directly); jae bad_target; lea rdx, [rip + table]
        # (the table in the code, mapped read-only with it: no writable array of code addresses anywhere, and no load of
        # its address, which measured no faster, that load being off the jump's critical path)
        out = a.code
        out += (b"\x3d" if rotated else b"\xd1\xc8\x3d") + (len(self.code.jump_table) + 1).to_bytes(4, "little")
        a.jcc(AE, self.bad_target)
        a.lea_label(RDX, self.native_table)
        slot = Mem(RDX, 0, index=RAX, scale=8)
        if call is None:
            out += b"\xff\x24\xc2"  # jmp [rdx + rax*8]
            return
        a.cmp(RSP, _RSP_LIMIT)
        a.jcc(BE, self.stub(lambda: self.a.jmp(slot)))  # too deep: a plain jump
        a.call(slot)
        self.landing(call)

    def return_site(self, inst: Instruction, value: int) -> bool:
        """Whether `value`, loaded into ra by a jump at `inst`, is the jump-table address of the instruction right
        after it (a call's return address). Only ra: a call through another link register (LLVM's outliner uses t0)
        returns with `jump [t0]`, through the table, which would never pop a native frame."""
        if inst.args[0] != 0:
            return False
        value &= M32
        slot = value >> 1
        table = self.code.jump_table
        return (not value & 1 and 1 <= slot <= len(table) and table[slot - 1] == inst.next_pc
                and inst.next_pc in self.valid)  # fmt: skip

    def landing(self, value: int) -> None:
        """Where a native `ret` comes back to after a call whose return address is `value`: the guest return's
        target (eax) must be that address, else it goes through the jump table; then the return site's block."""
        self.a.code += b"\x3d" + (value & M32).to_bytes(4, "little")  # cmp eax, imm32 (written directly: one per call)
        self.a.jcc(NE, self.dispatch)

    def gas_check(self, pc: int) -> int:
        """`sub r15, imm32; js <its stub>`; returns where the imm32 (the block cost) is patched. One per block, so its
        bytes (and its stub's) are written directly rather than through the encoder: 49 81 EF = sub r15, imm32;
        0F 88 = js rel32, whose rel32 (6 bytes after the cost) out_of_gas_stubs() fills in.

        Measured (fib and the C bytecode VM, the programs with the most blocks per instruction): a 13-byte NOP in
        place of every check ran them as fast as the checks do, and `sub` alone, `jl` (which fuses with the `sub`), an
        imm8 cost or no branch where an earlier block could have checked for both came within 3%. Only dropping the
        13 bytes altogether ran faster (12-13%): the shorter layout, not the work of metering."""
        code = self.a.code
        code += b"\x49\x81\xef\xff\xff\xff\x7f\x0f\x88\0\0\0\0"  # cost 0x7FFFFFFF: patched at the block's end
        patch_at = len(code) - 10
        self.gas_stubs.append((patch_at, pc))
        return patch_at

    def out_of_gas_stubs(self) -> None:
        """The stub each block's gas check jumps to: give the cost back (Sync gas: unchanged) and exit at the block.
        Written directly, as exit() would: add r15, imm8/imm32 (as the encoder would pick); mov qword [r13 + EXIT_PC],
        imm32; mov eax, EXIT_OUT_OF_GAS; jmp epilogue."""
        code, epilogue, merged = self.a.code, self.epilogue_at, self.merged
        for patch_at, pc in self.gas_stubs:
            _PACK_I32(code, patch_at + 6, len(code) - patch_at - 10)  # the gas check's js
            cost = int.from_bytes(code[patch_at : patch_at + 4], "little")
            if patch_at in merged:  # (merge_jump) the copy's cost back; with the block's own there: its twin
                copy, twin = merged[patch_at]
                cost -= copy
                code += _add_gas(copy)
                code += b"\x0f\x89" + (twin[0] - len(code) - 6).to_bytes(4, "little", signed=True)  # jns rel32
            code += _add_gas(cost)
            if pc >= 1 << 31:  # (no program is this long, but exit() knows the encoding)
                self.exit(rt.EXIT_OUT_OF_GAS, pc)
                continue
            code += _MOV_EXIT_PC + pc.to_bytes(4, "little") + _OUT_OF_GAS_EXIT
            code += (epilogue - len(code) - 4).to_bytes(4, "little", signed=True)

    def instruction(self, pc: int, name: str, args: tuple[int, ...], end: int) -> bool:
        """Emit the instruction at `pc` (its name, operands and next pc: the Instruction an emitter takes is made only
        when one runs); True when its code is native, has no exits and so is the same wherever it is placed (and the
        instruction is no terminator)."""
        direct = self.direct.get(name)
        if direct is not None:
            self.a.code += direct(self.where, args)
            self.native += 1
            return True
        route = _ROUTE.get(name)
        if route is None:  # a trap, or an instruction the interpreter runs
            if name == INVALID or name == "trap":
                self.exit(rt.EXIT_TRAP, pc)
            else:
                self.fallback(pc)
            return False
        emit, path, base, at = route
        if path == _CONTROL_PATH:
            if emit(self, tuple.__new__(Instruction, (pc, name, args, end))):
                self.native += 1
            else:
                self.fallback(pc)
            return False
        # Position-independent instructions are encoded once per (name, operands) and then copied: the
        # template is built in a scratch assembler (internal labels resolved), so a repeat costs byte copies
        # plus patching the pc of its exits and its jumps to the epilogue.
        operand = 0
        extra = None
        if path != _PLAIN_PATH and short(args[at]) and name != "load_imm":
            # An offset or immediate that fits 8 bits takes the short encodings (direct.short), which a template
            # with a hole cannot have: such a template is keyed by the value.
            path = _PLAIN_PATH
            if base is not None:
                base = None
                if name in STORES:  # (the store's form, which memory() picks again: for the process-wide key)
                    extra = near_store(args[MEMORY_BASE[name]], args[at])
        if path == _MEMORY_PATH:
            operand = args[at]
            if name in STORES:
                extra = self.near = near_store(args[MEMORY_BASE[name]], operand)  # (the store's form: see memory())
            key: tuple = (name, args[:at], args[at + 1 :], extra)
        elif path == _IMMEDIATE_PATH:  # try the template without the immediate (see immediate_template)
            key = (name, args)
            operand = args[at]
            imm_key = (name, args[:at], args[at + 1 :], operand & M32 >= 1 << 31)
            template = self.templates.get(imm_key)
            if template is None:
                shared = self.shared_key(name, args, at, imm_key[3])
                template = TEMPLATES.get(shared)
                if template is None:
                    inst = tuple.__new__(Instruction, (pc, name, args, end))
                    template = _keep(shared, self.immediate_template(emit, inst, at))
                self.templates[imm_key] = template
            if template is False:
                operand = 0
            else:
                key = imm_key
        else:
            key = (name, args, extra)
        template = self.templates.get(key)
        if template is None:
            shared = self.shared_key(name, args, -1 if base is None else at, extra)  # indirect accesses: offset patched
            template = TEMPLATES.get(shared)
            if template is None:
                built = tuple.__new__(Instruction, (pc, name, args, end))
                if base is not None:
                    built = _with_operand(built, at, OFFSET_SENTINEL)
                template = _keep(shared, self.build_template(emit, built, base is not None))
            self.templates[key] = template
        body, ok = template
        if ok:
            self.native += 1
        out = self.a.code
        patch = body.patch
        if patch == _COPY:
            out += body.code
            return ok
        if patch == _HOLE:
            at = len(out) + body.hole
            out += body.code
            _PACK_U32(out, at, operand & M32)
            return ok
        # A template that exits (one not translated exits to the interpreter) cannot give back what a block paid ahead
        # for its dispatch copy (merge_jump): where one is owed, the exit is made here, where it can.
        if body.exits:
            self.exiting.add(pc)
            if self.refund:
                self.fallback(pc)
                return False
        self.place(body, pc, operand)
        return False

    def shared_key(self, name: str, args: tuple[int, ...], at: int, extra: object) -> tuple:
        """The process-wide library's key for the template of `name args`: where its registers live rather than which
        guest registers they are, its other operands but the one at `at` (patched per use; -1: none), and `extra`
        (what else that template's code depends on)."""
        n = _REG_COUNT[name]  # register operands come first
        rest = args[n:at] + args[at + 1 :] if at >= 0 else args[n:]
        regs = self.where  # (by count: cheaper than a tuple of a map)
        where = (regs[args[0]],) if n == 1 else (regs[args[0]], regs[args[1]]) if n == 2 else \
            (regs[args[0]], regs[args[1]], regs[args[2]]) if n == 3 else ()
        return (self.profile, name, where, rest, at, extra)

    def immediate_template(self, emit: Emitter, inst: Instruction, at: int) -> Template:
        """A template for every immediate of inst's sign, built with a sentinel immediate whose 4 bytes mark where
        to patch the real one (its magnitude forces the 32-bit encodings); False when the sentinel does not show up
        exactly once in the code (then the immediate stays in the key)."""
        args = inst.args
        sentinel = _SENTINEL if args[at] & M32 < 1 << 31 else -_SENTINEL
        body, ok = self.build_template(emit, _with_operand(inst, at, sentinel), False)
        pattern = (sentinel & M32).to_bytes(4, "little")
        if body.code.count(pattern) != 1:
            return False
        hole = body.code.index(pattern)
        return _piece(body.code, body.pcs, body.exits, hole), ok

    def build_template(self, emit: Emitter, inst: Instruction, offset_holes: bool) -> tuple[Piece, bool]:
        main, epilogue = self.a, self.epilogue
        scratch = self.scratch  # (one Assembler per compile rather than per template)
        del scratch.code[:]
        self.a, self.template, self.epilogue = scratch, [], self.template_epilogue
        self.template_disps = [] if offset_holes else None
        try:
            ok = emit(self, inst)
            if not ok:
                self.fallback(0)
            return self.piece(), ok
        finally:
            self.a, self.template, self.template_disps = main, None, None
            self.epilogue = epilogue

    def piece(self) -> Piece:
        """The scratch assembler's code as a Piece: its jumps to the epilogue (unbound here) become positions to
        patch when it is placed."""
        a, disps, pcs = self.a, self.template_disps, self.template
        hole = disps[0] if disps else -1
        if not a._fixups and not pcs:  # (most templates: straight-line code, no exits, nothing for finish() to do)
            return _piece(bytes(a.code), [], [], hole)
        epilogue = self.epilogue
        exits = [pos for label, pos, _ in a._fixups if label is epilogue] if a._fixups else []
        if exits:
            a._fixups = [f for f in a._fixups if f[0] is not epilogue]
        return _piece(a.finish(), pcs or [], exits, hole)

    def place(self, piece: Piece, pc: int, operand: int) -> None:
        """Append `piece` with its pc, epilogue jumps and operand hole filled in."""
        a = self.a
        out = a.code
        start = len(out)
        out += piece.code
        for pos in piece.pcs:
            _PACK_U32(out, start + pos, pc)
        epilogue = self.epilogue_at
        for pos in piece.exits:
            pos += start
            _PACK_I32(out, pos, epilogue - pos - 4)
        if piece.hole >= 0:
            _PACK_U32(out, start + piece.hole, operand & M32)

    # Operand helpers: a guest register is a host register (int) or a context slot (Mem).
    def load_reg(self, dst: int, i: int, w: int = 64) -> None:
        self.a.mov(dst, self.regs[i], w=w)

    def store_result(self, src: int, d: int, w: int) -> None:
        """Write a result register to guest register d; 32-bit results are sign-extended first."""
        where = self.regs[d]
        if w == 32:
            if type(where) is int:
                self.a.movsxd(where, src)
                return
            self.a.movsxd(src, src)
        self.a.mov(where, src)

    def jump_to(self, target: int, pc: int) -> None:
        if target in self.valid:
            self.a.jmp(self.charged(target))
        else:
            self.exit(rt.EXIT_TRAP, pc)

    def address(self, inst: Instruction) -> tuple[int | None, int]:
        """(base register or None, offset) of a memory instruction."""
        name, args = inst.name, inst.args
        base = MEMORY_BASE.get(name)
        if base is not None:
            return args[base], args[MEMORY_OFFSET[name]]
        return None, args[0 if name.startswith("store_imm_") else 1]  # an absolute address

    def memory(self, inst: Instruction, size: int, access: Callable[[Mem], None]) -> bool:
        """Run `access` on the guest address's operand: gs:[base32 + offset] with 32-bit addressing, so the address
        wraps at 2^32 exactly like the guest's address arithmetic, and the GS base (guest address 0, set by
        space.py's entry) is added to it; absolute addresses below 2^31 are r13 + address.

        No bounds check: inaccessible guest pages fault, and the fault becomes an exit at this instruction, which the
        interpreter then runs (signals.py). A fault happens before the access changes anything, so the guest state is
        that before the instruction. `access` may use rax.
        """
        if self.dynamic:
            return False
        base, offset = self.address(inst)
        if base is None:
            address = offset & M32
            access(Mem(CTX, address) if address < 1 << 31 else Mem(None, sem.i32(address), gs=True))
            return True
        where = self.regs[base]
        disps = self.template_disps
        if inst.name in STORES and (self.near if disps is not None else near_store(base, offset)):
            # A store through rcx, the base zero-extended (see near_store).
            self.a.mov(RCX, where, w=32)
            start = len(self.a.code)
            access(Mem(CTX, sem.i32(offset), RCX))
        else:
            if type(where) is not int:
                self.a.mov(RCX, where, w=32)
                where = RCX
            start = len(self.a.code)
            access(Mem(where, sem.i32(offset), gs=True))
        if disps is not None:  # built with OFFSET_SENTINEL, a disp32 that comes before any immediate: patched per use
            disps.append(self.a.code.index(_OFFSET_BYTES, start))
        return True




# RETURN_TO_HOST rotated right by one, as table_jump leaves a guest address in eax.
_RETURN_TO_HOST_SLOT = (RETURN_TO_HOST >> 1) | (RETURN_TO_HOST & 1) << 31

# ALU instructions whose immediate (operand index) is patched into a shared template, and the sentinel marking it.
_IMMEDIATE = {name: 2 for name in ("add_imm_32", "add_imm_64", "and_imm", "xor_imm", "or_imm", "mul_imm_32",
              "mul_imm_64", "set_less_than_unsigned_imm", "set_less_than_signed_imm", "set_greater_than_unsigned_imm",
              "set_greater_than_signed_imm", "negate_and_add_imm_32", "negate_and_add_imm_64")}  # fmt: skip
_IMMEDIATE["load_imm"] = 1
_SENTINEL = 0x7EDCBA98
_MOV_EXIT_PC = b"\x49\xc7\x85" + rt.EXIT_PC.to_bytes(4, "little", signed=True)  # mov qword [r13 + disp32], imm32
_OUT_OF_GAS_EXIT = b"\xb8" + rt.EXIT_OUT_OF_GAS.to_bytes(4, "little") + b"\xe9"  # mov eax, imm32; jmp rel32
_CMP_RSP_LIMIT = b"\x49\x3b\xa5" + rt.RSP_LIMIT.to_bytes(4, "little", signed=True)  # cmp rsp, [r13 + disp32]
_STORE_EXIT_ARG = b"\x49\x89\x85" + rt.EXIT_ARG.to_bytes(4, "little", signed=True)  # mov [r13 + disp32], rax
_SHL_IMM_64 = "shift_logical_left_imm_64"  # (the first of a pair JitCompiler.fused() may make one)
OFFSET_SENTINEL = 0x40000000  # an indirect access's offset while its template is built: forces a disp32
_OFFSET_BYTES = OFFSET_SENTINEL.to_bytes(4, "little")

# Templates shared by every compile in the process (see JitCompiler.shared_key): programs allocate registers alike,
# so about two thirds of the templates one resolc contract needs were already built for another. Bounded, as
# every entry stays for the life of the process.
Template = tuple[Piece, bool] | bool
TEMPLATES: dict[tuple, Template] = {}
TEMPLATES_LIMIT = 50_000  # about 40 MiB (a resolc contract needs ~1,000 templates)
_PACK_U32 = struct.Struct("<I").pack_into
_PACK_I32 = struct.Struct("<i").pack_into
def _add_gas(n: int) -> bytes:
    """add r15, n: imm8 or imm32, as the encoder would pick."""
    return b"\x49\x83\xc7" + bytes((n,)) if n < 128 else b"\x49\x81\xc7" + n.to_bytes(4, "little")


def _keep(key: tuple, template: Template) -> Template:
    """A newly built template, kept in the library under `key` (see JitCompiler.shared_key) while there is room."""
    if len(TEMPLATES) < TEMPLATES_LIMIT:
        TEMPLATES[key] = template
    return template



# Instructions whose code refers to other blocks or out-of-line stubs: emitted directly, never templated.
_CONTROL = frozenset(
    {"jump", "load_imm_and_jump", "fallthrough", "jump_indirect", "load_imm_and_jump_indirect", "ecalli"}
    | BRANCHES
)





@emits(*BRANCHES)
def _branch(c: JitCompiler, inst: Instruction) -> bool:
    x, y, target = inst.args
    fall = inst.next_pc
    if not (target in c.valid and fall in c.valid):
        c.exit(rt.EXIT_TRAP, inst.pc)
        return True
    a = c.a
    a.code += compare(c.where, x, y, inst.name in _BRANCHES_IMM)
    a.jcc(_CC_OF[inst.name], c.refunding(target) if c.refund else c.charged(target))
    return True  # the next instruction starts a block and its code follows right here


@emits("jump", "load_imm_and_jump")
def _jump(c: JitCompiler, inst: Instruction) -> bool:
    """A call (its return address is the next instruction's) becomes a native call while the native call depth
    allows, so the CPU predicts the guest's return (see _jump_indirect); the target still checks its gas."""
    target = inst.args[-1]
    if inst.name == "load_imm_and_jump":
        value = inst.args[1]
        c.a.code += load_imm(c.where, inst.args[:2])  # ra = value
        if target in c.valid and c.return_site(inst, value):
            a, label = c.a, c.charged(target)
            a.code += _CMP_RSP_LIMIT  # cmp rsp, [r13 + RSP_LIMIT] (the encoder's bytes, written directly)
            a.jcc(BE, label)  # too deep: a plain jump
            a.call(label)
            c.landing(value)
            return True
    if inst.name == "jump" and target in c.valid:
        chain = c.dispatch_chain(target)
        if chain is not None and c.merge_jump(inst.pc, chain):
            return True
        if chain is not None and c.spend_copies(chain[1] - chain[0]):
            c.copied[inst.pc] = (target, False)
            c.dispatch_copy(*chain)
            return True
    c.jump_to(target, inst.pc)
    return True


@emits("fallthrough")
def _fallthrough(c: JitCompiler, inst: Instruction) -> bool:
    if inst.next_pc not in c.valid:
        return False  # falling into an implicit trap: the interpreter's rule applies
    return True  # the next block's code follows right here


@emits("jump_indirect", "load_imm_and_jump_indirect")
def _jump_indirect(c: JitCompiler, inst: Instruction) -> bool:
    a, pc = c.a, inst.pc
    if inst.name == "jump_indirect":
        base, offset = inst.args
    else:
        ra, base, value, offset = inst.args
    where = c.regs[base]
    ret = inst.name == "jump_indirect" and base == 0 and offset == 0
    # The address rotated right by one as table_jump wants it, in one instruction (rorx) where no offset is added: the
    # C bytecode VM, whose every operation ends in a switch's `jump [a4]`, ran 8% faster than with lea and ror.
    rotated = not ret and not offset & M32
    if rotated:
        a.rorx(RAX, where, 1, w=32)
    elif type(where) is int:
        a.lea(RAX, Mem(where, sem.i32(offset)), w=32)
    else:
        a.mov(RAX, where, w=32)
        if offset & M32:
            a.add(RAX, Imm(sem.i32(offset)), w=32)
    if inst.name == "load_imm_and_jump_indirect":
        a.mov(c.regs[ra], Imm(sem.i32(value)))  # after the address is computed: correct when ra == base
    a.mov(RCX, Imm(pc), w=32)  # for the bad-target stub: its trap, or a return to the host, exits at this pc
    if ret:  # `ret` in the RISC-V ABI: return through the native frame _jump left, or the bottom one (base_return)
        a.ret()  # lands after the call (see landing()), which checks eax
        return True
    if inst.name == "jump_indirect":
        c.table_jump(rotated=rotated)
        return True
    c.table_jump(value if c.return_site(inst, value) else None, rotated)  # an indirect call, or a plain indirect jump
    return True


@emits("ecalli")
def _ecalli(c: JitCompiler, inst: Instruction) -> bool:
    number = inst.args[0] & M32
    if c.dynamic or number >= MAX_SHORTCUTS:  # (shortcuts write guest memory natively)
        c.exit(rt.EXIT_ECALLI, inst.pc, number)
        return True
    # A shortcut may answer it natively (shortcut_code); else it exits as usual, from out of line.
    a, pc = c.a, inst.pc
    c.shortcut_sites += 1
    a.mov(RAX, Imm(number), w=32)
    a.call(c.shortcuts)
    a.test(RAX, RAX, w=32)
    a.jcc(NE, c.stub(lambda: c.exit(rt.EXIT_ECALLI, pc, number)))
    return True


# name → (emitter, path, base operand, patched operand) for instruction(): one lookup routes an instruction.
_CONTROL_PATH, _MEMORY_PATH, _IMMEDIATE_PATH, _PLAIN_PATH = range(4)
_ROUTE: dict[str, tuple[Emitter, int, int | None, int]] = {
    name: (emit, _CONTROL_PATH, None, -1) if name in _CONTROL
    else (emit, _MEMORY_PATH, MEMORY_BASE[name], MEMORY_OFFSET[name]) if name in MEMORY_BASE
    else (emit, _IMMEDIATE_PATH, None, _IMMEDIATE[name]) if name in _IMMEDIATE
    else (emit, _PLAIN_PATH, None, -1)
    for name, emit in EMITTERS.items()
    if name != "trap"
}  # fmt: skip
# Instructions a loop may be unrolled over (_aligned_heads): ones that may be templates, copied wherever they go.
_UNROLLABLE = frozenset(name for name, route in _ROUTE.items() if route[1] != _CONTROL_PATH)
# Instructions that leave native code only by a memory fault (merge_jump): every ALU and memory instruction.
_MERGEABLE = _UNROLLABLE | (frozenset(DIRECT) - _CONTROL)
