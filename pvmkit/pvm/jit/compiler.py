"""Single-pass PVM → x86-64 translation.

One linear walk over the decoded program emits native code for each instruction. Guest registers
and gas live in the context block at r13 (`runtime.VmContext`), so every instruction boundary is
a valid native entry point: the interpreter can take over any single instruction (an EXIT_FALLBACK
naming its pc) and native code resumes right after it. Instructions this compiler does not
translate, memory accesses outside rw, stack and (for loads) ro data, and anything needing the host exit
that way, which keeps the JIT exactly as correct as the interpreter while coverage grows.

Scratch registers: rax, rcx, rdx, r8, r9 (all caller-saved; generated code calls nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import semantics as sem
from ..isa import INVALID, KIND, TERMINATORS, Kind
from ..memory import LOW_BASE
from ..program import RETURN_TO_HOST, Instruction
from . import runtime as rt
from .x86 import (
    AE,
    BE,
    GE,
    LE,
    NE,
    NZ,
    R8,
    R12,
    R13,
    R14,
    R15,
    RAX,
    RBP,
    RBX,
    RCX,
    RDX,
    A,
    Assembler,
    B,
    E,
    G,
    Imm,
    L,
    Label,
    Mem,
    S,
    Z,
)

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
CTX = R13


_REGS = tuple(Mem(CTX, rt.REGS + 8 * i) for i in range(13))
_GAS = Mem(CTX, rt.GAS)
_EXIT_PC = Mem(CTX, rt.EXIT_PC)
_EXIT_ARG = Mem(CTX, rt.EXIT_ARG)
_JUMP_TABLE = Mem(CTX, rt.JUMP_TABLE_PTR)


def reg(i: int) -> Mem:
    return _REGS[i]


_BRANCH_CC = {
    "eq": E, "not_eq": NE, "less_unsigned": B, "less_signed": L, "greater_or_equal_unsigned": AE,
    "greater_or_equal_signed": GE, "less_or_equal_unsigned": BE, "less_or_equal_signed": LE,
    "greater_unsigned": A, "greater_signed": G,
}  # fmt: skip


@dataclass
class JitProgram:
    """Native code for one module plus where each pc starts in it."""

    code: bytes
    entry: int  # offset of the entry stub, which continues at the context's TARGET
    charged: dict[int, int]  # pc → offset of its gas check (basic-block starts)
    uncharged: dict[int, int]  # pc → offset of the instruction itself
    jump_table: list[int | None]  # per slot: pc of a valid target, else None
    native_instructions: int  # how many PVM instructions were translated natively (the rest fall back)


class JitCompiler:
    """Translates a whole module in one pass (`compile()`); see the module docstring for the design."""

    def __init__(self, module: object) -> None:
        self.module = module
        self.code = module.code  # type: ignore[attr-defined]
        self.dynamic = module.config.dynamic_paging  # type: ignore[attr-defined]
        mm = module.memory_map  # type: ignore[attr-defined]
        self.rw = (mm.rw_data_address, mm.rw_data_size)
        self.stack = (mm.stack_address_low, mm.stack_address_high - mm.stack_address_low)
        self.a = Assembler()
        self.epilogue = self.a.label()
        self.charged_labels: dict[int, Label] = {}
        self.stubs: list[Callable[[], None]] = []
        self.native = 0
        # (name, args) → (code, pc patch offsets, native?) for instructions whose code depends only on those.
        self.templates: dict[tuple, tuple[bytes, list[int], bool]] = {}
        self.template: list[int] | None = None
        ro = (mm.ro_data_address, mm.ro_data_size)  # lies in the same host buffer as rw (`low`), below it
        self.regions = [
            (lo, ln, ptr, Mem(RAX, _s32(-lo)), Mem(CTX, ptr), writable)
            for (lo, ln), ptr, writable in ((self.rw, rt.LOW_PTR, True), (self.stack, rt.STACK_PTR, True),
                                            (ro, rt.LOW_PTR, False))
            if 0 < ln <= 0x7FFFFFFF
        ]  # fmt: skip

    def charged(self, pc: int) -> Label:
        label = self.charged_labels.get(pc)
        if label is None:
            label = self.charged_labels[pc] = self.a.label()
        return label

    # Exits.
    def exit(self, code: int, pc: int, arg: int | None = None) -> None:
        a = self.a
        a.mov(_EXIT_PC, Imm(pc))
        if self.template is not None:  # a template holds no outside references: its pc is patched per use
            self.template.append(a.offset() - 4)
        if arg is not None:
            a.mov(RAX, Imm(arg))
            a.mov(_EXIT_ARG, RAX)
        a.mov(RAX, Imm(code), w=32)
        if self.template is not None:
            self.epilogue_code(a)
        else:
            a.jmp(self.epilogue)

    @staticmethod
    def epilogue_code(a: Assembler) -> None:
        for r in (R15, R14, R13, R12, RBP, RBX):
            a.pop(r)
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
        a, code = self.a, self.code
        entry = a.offset()  # reached from runtime.Context.enter with r13 set and the callee-saved registers pushed
        a.jmp(Mem(CTX, rt.TARGET))
        charged: dict[int, int] = {}
        uncharged: dict[int, int] = {}
        valid = self.valid = code.valid_targets()
        patch_at, cost = -1, 0
        for inst in code.instructions():
            pc = inst.pc
            if pc in valid:
                a.bind(self.charged(pc))
                charged[pc] = a.offset()
                patch_at, cost = self.gas_check(pc), 0
            uncharged[pc] = a.offset()
            self.instruction(inst)
            cost += 1
            if inst.name in TERMINATORS and patch_at >= 0:
                # The block's cost is known only at its end (polkavm's emit_weight): patch the imm32 in place.
                a.code[patch_at : patch_at + 4] = cost.to_bytes(4, "little")
                patch_at = -1
        # Falling off the last instruction (only possible after a non-terminator) is the implicit trap.
        self.exit(rt.EXIT_TRAP, len(code.code))
        for place in self.stubs:
            place()
        a.bind(self.epilogue)
        self.epilogue_code(a)
        # Targets that never got a block (invalid ones are never jumped to natively) still need binding.
        for pc, label in self.charged_labels.items():
            if pc not in charged:
                a.bind(label)
                self.exit(rt.EXIT_TRAP, pc)
        table = [t if t in valid else None for t in code.jump_table]
        return JitProgram(a.finish(), entry, charged, uncharged, table, self.native)

    def gas_check(self, pc: int) -> int:
        """`sub qword [gas], imm32; js out_of_gas`; returns where the imm32 (the block cost) is patched."""
        a = self.a
        a.sub(_GAS, Imm(0x7FFFFFFF))  # forces the imm32 form; the real cost is patched in at the block's end
        patch_at = a.offset() - 4
        code = a.code

        def out_of_gas() -> None:
            a.add(_GAS, Imm(int.from_bytes(code[patch_at : patch_at + 4], "little")))
            self.exit(rt.EXIT_OUT_OF_GAS, pc)

        a.jcc(S, self.stub(out_of_gas))
        return patch_at

    def instruction(self, inst: Instruction) -> None:
        name = inst.name
        if name == INVALID or name == "trap":
            self.exit(rt.EXIT_TRAP, inst.pc)
            return
        emit = _EMITTERS.get(name)
        if emit is None:
            self.fallback(inst.pc)
            return
        if name in _CONTROL:
            if emit(self, inst):
                self.native += 1
            else:
                self.fallback(inst.pc)
            return
        # Position-independent instructions are encoded once per (name, operands) and then copied:
        # the template is built in a scratch assembler (internal labels resolved, exits with an inline
        # epilogue), so a repeat costs a byte copy plus patching the pc of its fallback exit.
        key = (name, inst.args)
        template = self.templates.get(key)
        if template is None:
            main, self.a, self.template = self.a, Assembler(), []
            try:
                ok = emit(self, inst)
                if not ok:
                    self.fallback(0)
                template = self.templates[key] = (self.a.finish(), self.template, ok)
            finally:
                self.a, self.template = main, None
        code, holes, ok = template
        out = self.a.code
        start = len(out)
        out += code
        if holes:
            pc_bytes = inst.pc.to_bytes(4, "little")
            for hole in holes:
                out[start + hole : start + hole + 4] = pc_bytes
        if ok:
            self.native += 1

    # Operand helpers.
    def load_reg(self, dst: int, i: int, w: int = 64) -> None:
        self.a.mov(dst, reg(i), w=w)

    def store_result(self, src: int, d: int, w: int) -> None:
        """Write a result register to guest register d; 32-bit results are sign-extended first."""
        if w == 32:
            self.a.movsxd(src, src)
        self.a.mov(reg(d), src)

    def jump_to(self, target: int, pc: int) -> None:
        if target in self.valid:
            self.a.jmp(self.charged(target))
        else:
            self.exit(rt.EXIT_TRAP, pc)

    def address(self, inst: Instruction) -> tuple[int | None, int]:
        """(base register or None, offset) of a memory instruction."""
        name, args = inst.name, inst.args
        if name.startswith(("load_indirect_", "store_indirect_")):
            return args[1], args[2]
        if name.startswith("store_imm_indirect_"):
            return args[0], args[1]
        if name.startswith("store_imm_"):
            return None, args[0]
        return None, args[1]  # load_* / store_* with an absolute address

    def memory(self, inst: Instruction, size: int, access: Callable[[Mem], None]) -> bool:
        """Compute the guest address, bounds-check it against rw and stack, and run `access` on the host address.

        Loads may also read ro data. Anything else (aux data, the heap, faults) falls back to the interpreter.
        """
        if self.dynamic:
            return False
        a = self.a
        base, offset = self.address(inst)
        loads = inst.name.startswith("load")
        # A region whose host displacement does not fit x86's signed 32 bits (layouts beyond 2 GiB) is left to
        # the interpreter rather than encoded.
        regions = [r for r in self.regions if r[1] >= size and (loads or r[5])
                   and (r[2] != rt.LOW_PTR or r[0] - LOW_BASE + r[1] < 1 << 31)]  # fmt: skip
        if base is None:
            address = offset & M32
            for lo, ln, ptr, _, ptr_mem, _ in regions:
                if lo <= address <= lo + ln - size:
                    a.mov(RDX, ptr_mem)
                    access(Mem(RDX, address - (LOW_BASE if ptr == rt.LOW_PTR else lo)))
                    return True
            return False
        if not regions:
            return False
        a.mov(RAX, reg(base), w=32)
        if offset & M32:
            a.add(RAX, Imm(_s32(offset)), w=32)
        done, slow = a.label(), a.label()
        for i, (lo, ln, ptr, lea_mem, ptr_mem, _) in enumerate(regions):
            nxt = slow if i == len(regions) - 1 else a.label()
            a.lea(RCX, lea_mem, w=32)
            a.cmp(RCX, Imm(ln - size), w=32)
            a.jcc(A, nxt)
            a.mov(RDX, ptr_mem)
            access(Mem(RDX, lo - LOW_BASE if ptr == rt.LOW_PTR else 0, index=RCX))
            a.jmp(done)
            if nxt is not slow:
                a.bind(nxt)
        a.bind(slow)
        self.fallback(inst.pc)
        a.bind(done)
        return True


def _s32(x: int) -> int:
    x &= M32
    return x - (1 << 32) if x >> 31 else x


def _imm64(x: int) -> int:
    return x & M64


# Instructions whose code refers to other blocks, stubs or the shared epilogue: emitted directly, never templated.
_CONTROL = frozenset(
    {"jump", "load_imm_and_jump", "fallthrough", "jump_indirect", "load_imm_and_jump_indirect", "ecalli"}
    | {n for n in KIND if n.startswith("branch_")}
)

# Emitters: each returns True when it translated the instruction natively.
Emitter = Callable[[JitCompiler, Instruction], bool]
_EMITTERS: dict[str, Emitter] = {}


def emits(*names: str) -> Callable[[Emitter], Emitter]:
    def register(fn: Emitter) -> Emitter:
        for n in names:
            _EMITTERS[n] = fn
        return fn

    return register


_SIMPLE = {"add": "add", "sub": "sub", "and": "and_", "xor": "xor", "or": "or_"}


def _width(name: str) -> int:
    return 32 if name.endswith("_32") else 64


@emits("add_32", "add_64", "sub_32", "sub_64", "and", "xor", "or")
def _alu3(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    w = _width(inst.name)
    op = _SIMPLE[inst.name.removesuffix("_32").removesuffix("_64")]
    c.load_reg(RAX, x, w)
    getattr(c.a, op)(RAX, reg(y), w=w)
    c.store_result(RAX, d, w)
    return True


@emits("add_imm_32", "add_imm_64", "and_imm", "xor_imm", "or_imm")
def _alu_imm(c: JitCompiler, inst: Instruction) -> bool:
    d, s, imm = inst.args
    w = _width(inst.name)
    op = _SIMPLE[inst.name.split("_imm")[0]]
    c.load_reg(RAX, s, w)
    getattr(c.a, op)(RAX, Imm(_s32(imm)), w=w)
    c.store_result(RAX, d, w)
    return True


@emits("mul_32", "mul_64")
def _mul(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    w = _width(inst.name)
    c.load_reg(RAX, x, w)
    c.a.imul(RAX, reg(y), w=w)
    c.store_result(RAX, d, w)
    return True


@emits("mul_imm_32", "mul_imm_64")
def _mul_imm(c: JitCompiler, inst: Instruction) -> bool:
    d, s, imm = inst.args
    w = _width(inst.name)
    c.a.imul_imm(RAX, reg(s), _s32(imm), w=w)
    c.store_result(RAX, d, w)
    return True


@emits("negate_and_add_imm_32", "negate_and_add_imm_64")
def _neg_add(c: JitCompiler, inst: Instruction) -> bool:
    d, s, imm = inst.args
    w = _width(inst.name)
    c.a.mov(RAX, Imm(imm & (M32 if w == 32 else M64)), w=w)
    c.a.sub(RAX, reg(s), w=w)
    c.store_result(RAX, d, w)
    return True


_SHIFT = {"shift_logical_left": "shl", "shift_logical_right": "shr", "shift_arithmetic_right": "sar",
          "rotate_left": "rol", "rotate_right": "ror"}  # fmt: skip


def _shift_kind(name: str) -> tuple[str, bool, bool]:
    """(x86 op, immediate form, alt form) for shift/rotate names."""
    base = name.removesuffix("_32").removesuffix("_64")
    alt = base.endswith("_imm_alt")
    imm = base.endswith("_imm") or alt
    return _SHIFT[base.removesuffix("_alt").removesuffix("_imm")], imm, alt


@emits(*(n for n in KIND if n.startswith(("shift_", "rotate_"))))
def _shift(c: JitCompiler, inst: Instruction) -> bool:
    op, imm, alt = _shift_kind(inst.name)
    w = _width(inst.name)
    a = c.a
    if not imm:  # d = x OP (y & mask): x86 masks the count to 5/6 bits like PVM
        d, x, y = inst.args
        c.load_reg(RAX, x, w)
        a.mov(RCX, reg(y), w=32)
        getattr(a, op)(RAX, None, w=w)
    elif alt:  # d = imm OP (s & mask)
        d, s, value = inst.args
        a.mov(RAX, Imm(value & (M32 if w == 32 else M64)), w=w)
        a.mov(RCX, reg(s), w=32)
        getattr(a, op)(RAX, None, w=w)
    else:  # d = s OP (imm & mask)
        d, s, value = inst.args
        c.load_reg(RAX, s, w)
        count = value & (31 if w == 32 else 63)
        if count:
            getattr(a, op)(RAX, count, w=w)
    c.store_result(RAX, d, w)
    return True


@emits("set_less_than_unsigned", "set_less_than_signed", "set_less_than_unsigned_imm", "set_less_than_signed_imm",
       "set_greater_than_unsigned_imm", "set_greater_than_signed_imm")  # fmt: skip
def _set_cmp(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    a = c.a
    c.load_reg(RAX, x)
    a.cmp(RAX, Imm(_s32(y)) if inst.name.endswith("_imm") else reg(y))
    signed = "_signed" in inst.name
    cc = (G if signed else A) if "greater" in inst.name else (L if signed else B)
    a.setcc(cc, RAX)
    a.movzx8(RAX, RAX)
    a.mov(reg(d), RAX)
    return True


@emits("cmov_if_zero", "cmov_if_not_zero", "cmov_if_zero_imm", "cmov_if_not_zero_imm")
def _cmov(c: JitCompiler, inst: Instruction) -> bool:
    a = c.a
    if inst.name.endswith("_imm"):
        d, cond, value = inst.args
        a.mov(RCX, Imm(_imm64(value)))
    else:
        d, s, cond = inst.args
        a.mov(RCX, reg(s))
    a.mov(RDX, reg(d))
    a.mov(RAX, reg(cond))
    a.test(RAX, RAX)
    a.cmov(Z if "not_zero" not in inst.name else NZ, RDX, RCX)
    a.mov(reg(d), RDX)
    return True


@emits("and_inverted", "or_inverted", "xnor")
def _inverted(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    a = c.a
    if inst.name == "xnor":
        c.load_reg(RAX, x)
        a.xor(RAX, reg(y))
    else:
        c.load_reg(RAX, y)
        a.not_(RAX)
        (a.and_ if inst.name == "and_inverted" else a.or_)(RAX, reg(x))
    if inst.name == "xnor":
        a.not_(RAX)
    a.mov(reg(d), RAX)
    return True


@emits("maximum", "maximum_unsigned", "minimum", "minimum_unsigned")
def _minmax(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    a = c.a
    c.load_reg(RAX, x)
    c.load_reg(RCX, y)
    a.cmp(RAX, RCX)
    cc = {"maximum": L, "maximum_unsigned": B, "minimum": G, "minimum_unsigned": A}[inst.name]
    a.cmov(cc, RAX, RCX)
    a.mov(reg(d), RAX)
    return True


@emits("mul_upper_unsigned_unsigned", "mul_upper_signed_signed", "mul_upper_signed_unsigned")
def _mulh(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    a = c.a
    c.load_reg(RAX, x)
    if inst.name == "mul_upper_signed_signed":
        a.imul1(reg(y))
    else:
        a.mov(RCX, RAX)
        a.mul(reg(y))
        if inst.name == "mul_upper_signed_unsigned":  # umulh(a, b) - (a < 0 ? b : 0)
            a.sar(RCX, 63)
            a.and_(RCX, reg(y))
            a.sub(RDX, RCX)
    a.mov(reg(d), RDX)
    return True


@emits("div_unsigned_32", "div_unsigned_64", "rem_unsigned_32", "rem_unsigned_64",
       "div_signed_32", "div_signed_64", "rem_signed_32", "rem_signed_64")  # fmt: skip
def _divrem(c: JitCompiler, inst: Instruction) -> bool:
    """Guards keep x86 from faulting: x/0 and MIN/-1 take PVM's defined results instead of trapping the host."""
    d, x, y = inst.args
    a = c.a
    w = _width(inst.name)
    rem = inst.name.startswith("rem")
    signed = "_signed" in inst.name
    done, zero = a.label(), a.label()
    c.load_reg(RCX, y, w)
    a.test(RCX, RCX, w=w)
    a.jcc(E, zero)
    c.load_reg(RAX, x, w)
    if signed:
        normal = a.label()
        a.cmp(RCX, Imm(-1), w=w)
        a.jcc(NE, normal)
        if rem:  # x % -1 = 0 (also MIN % -1)
            a.mov(RAX, Imm(0), w=32)
        else:  # x / -1 = -x, wrapping (MIN / -1 = MIN)
            a.neg(RAX, w=w)
            if w == 32:
                a.movsxd(RAX, RAX)
        a.mov(reg(d), RAX)
        a.jmp(done)
        a.bind(normal)
        (a.cqo if w == 64 else a.cdq)()
        a.idiv(RCX, w=w)
    else:
        a.mov(RDX, Imm(0), w=32)
        a.div(RCX, w=w)
    c.store_result(RDX if rem else RAX, d, w)
    a.jmp(done)
    a.bind(zero)  # division by zero: quotient all ones, remainder = dividend
    if rem:
        c.load_reg(RAX, x, w)
        c.store_result(RAX, d, w)
    else:
        a.mov(reg(d), Imm(-1))
    a.bind(done)
    return True


@emits("count_set_bits_32", "count_set_bits_64", "count_leading_zero_bits_32", "count_leading_zero_bits_64",
       "count_trailing_zero_bits_32", "count_trailing_zero_bits_64")  # fmt: skip
def _count(c: JitCompiler, inst: Instruction) -> bool:
    d, s = inst.args
    op = {"count_set_bits": "popcnt", "count_leading_zero_bits": "lzcnt", "count_trailing_zero_bits": "tzcnt"}
    w = _width(inst.name)
    getattr(c.a, op[inst.name.rsplit("_", 1)[0]])(RAX, reg(s), w=w)
    c.a.mov(reg(d), RAX)
    return True


@emits("sign_extend_8", "sign_extend_16", "zero_extend_16", "reverse_byte", "move_reg")
def _unary(c: JitCompiler, inst: Instruction) -> bool:
    d, s = inst.args
    a = c.a
    if inst.name == "reverse_byte":
        c.load_reg(RAX, s)
        a.bswap(RAX)
    elif inst.name == "move_reg":
        c.load_reg(RAX, s)
    else:
        size = 1 if inst.name.endswith("_8") else 2
        a.load(RAX, reg(s), size, inst.name.startswith("sign"))
    a.mov(reg(d), RAX)
    return True


@emits("load_imm", "load_imm64")
def _load_imm(c: JitCompiler, inst: Instruction) -> bool:
    d, value = inst.args
    if inst.name == "load_imm":
        c.a.mov(reg(d), Imm(_s32(value)))  # mov qword [m], simm32 sign-extends like PVM
    else:
        c.a.mov(RAX, Imm(value))
        c.a.mov(reg(d), RAX)
    return True


@emits("unlikely")
def _nop(c: JitCompiler, inst: Instruction) -> bool:
    return True


@emits(*(n for n in KIND if n.startswith("load_") and (n.startswith("load_indirect_") or KIND[n] is Kind.REG_IMM)
         and n not in ("load_imm",)))  # fmt: skip
def _load(c: JitCompiler, inst: Instruction) -> bool:
    size, signed = sem.load_width(inst.name)
    dst = inst.args[0]

    def access(m: Mem) -> None:
        c.a.load(R8, m, size, signed)
        c.a.mov(reg(dst), R8)

    return c.memory(inst, size, access)


@emits(*(n for n in KIND if n.startswith("store_")))
def _store(c: JitCompiler, inst: Instruction) -> bool:
    size = sem.store_width(inst.name)
    name, args = inst.name, inst.args
    if name.startswith("store_imm_indirect_"):
        value: int | None = args[2]
    elif name.startswith("store_imm_"):
        value = args[1]
    else:
        value = None
        c.a.mov(R8, reg(args[0]))  # the source register, loaded before the address uses rax/rcx/rdx

    # Immediates are truncated to the store width (8-byte stores sign-extend the 32-bit immediate).
    imm = None if value is None else (_s32(value) if size == 8 else value & ((1 << (8 * size)) - 1))

    def access(m: Mem) -> None:
        c.a.store(m, R8 if imm is None else Imm(imm), size)

    return c.memory(inst, size, access)


@emits(*(n for n in KIND if n.startswith("branch_")))
def _branch(c: JitCompiler, inst: Instruction) -> bool:
    x, y, target = inst.args
    fall = inst.next_pc
    if not (target in c.valid and fall in c.valid):
        c.exit(rt.EXIT_TRAP, inst.pc)
        return True
    a = c.a
    c.load_reg(RAX, x)
    a.cmp(RAX, Imm(_s32(y)) if inst.name.endswith("_imm") else reg(y))
    a.jcc(_BRANCH_CC[inst.name.removeprefix("branch_").removesuffix("_imm")], c.charged(target))
    a.jmp(c.charged(fall))
    return True


@emits("jump", "load_imm_and_jump")
def _jump(c: JitCompiler, inst: Instruction) -> bool:
    if inst.name == "load_imm_and_jump":
        c.a.mov(reg(inst.args[0]), Imm(_s32(inst.args[1])))
    c.jump_to(inst.args[-1], inst.pc)
    return True


@emits("fallthrough")
def _fallthrough(c: JitCompiler, inst: Instruction) -> bool:
    if inst.next_pc not in c.valid:
        return False  # falling into an implicit trap: the interpreter's rule applies
    c.a.jmp(c.charged(inst.next_pc))
    return True


@emits("jump_indirect", "load_imm_and_jump_indirect")
def _jump_indirect(c: JitCompiler, inst: Instruction) -> bool:
    a, pc = c.a, inst.pc
    if inst.name == "jump_indirect":
        base, offset = inst.args
    else:
        ra, base, value, offset = inst.args
    a.mov(RAX, reg(base), w=32)
    if offset & M32:
        a.add(RAX, Imm(_s32(offset)), w=32)
    if inst.name == "load_imm_and_jump_indirect":
        a.mov(reg(ra), Imm(_s32(value)))  # after the address is computed: correct when ra == base
    trap = c.stub(lambda: c.exit(rt.EXIT_TRAP, pc))
    finished = c.stub(lambda: c.exit(rt.EXIT_FINISHED, pc))
    a.cmp(RAX, Imm(_s32(RETURN_TO_HOST)), w=32)
    a.jcc(E, finished)
    a.test(RAX, Imm(1), w=32)
    a.jcc(NE, trap)
    a.sub(RAX, Imm(2), w=32)  # address 0 wraps to a huge slot number and fails the bound below
    a.shr(RAX, 1, w=32)
    a.cmp(RAX, Imm(len(c.code.jump_table)), w=32)
    a.jcc(AE, trap)
    a.mov(RDX, _JUMP_TABLE)
    a.mov(RDX, Mem(RDX, 0, index=RAX, scale=8))
    a.test(RDX, RDX)
    a.jcc(E, trap)
    a.jmp(RDX)
    return True


@emits("ecalli")
def _ecalli(c: JitCompiler, inst: Instruction) -> bool:
    c.exit(rt.EXIT_ECALLI, inst.pc, inst.args[0] & M32)
    return True
