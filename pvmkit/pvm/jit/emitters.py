"""What the JIT compiles each PVM instruction to, but for control flow: one emitter per family of instructions,
registered by name (`emits`). An emitter appends the x86-64 code of one instruction to `c.a` (JitCompiler's assembler)
and returns True when it translated it natively (False: the interpreter runs it). compiler.JitCompiler.instruction()
runs an emitter once per template, code that does not depend on where it is placed and is copied wherever the
instruction appears; branches, jumps, calls and ecalli, which steer the pass itself, are emitted in compiler.py.
direct.py gives the commonest families' code without a template, and must give exactly these emitters' bytes
(tests/test_jit_direct.py): a change here is a change there.

Guest registers are `c.regs[i]`: a host register (int) or a context slot (Mem); rax, rcx and rdx are scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import semantics as sem
from ..isa import KIND, Kind
from ..program import Instruction
from .x86 import NE, NZ, RAX, RCX, RDX, A, B, E, G, Imm, L, Mem, Z

if TYPE_CHECKING:
    from .compiler import JitCompiler

M32 = sem.M32
M64 = sem.M64

ACCESSES = frozenset(n for n in KIND if n.startswith(("load_", "store_")) and not n.startswith("load_imm"))

# Emitters: each returns True when it translated the instruction natively.
Emitter = Callable[["JitCompiler", Instruction], bool]
EMITTERS: dict[str, Emitter] = {}


def emits(*names: str) -> Callable[[Emitter], Emitter]:
    def register(fn: Emitter) -> Emitter:
        for n in names:
            EMITTERS[n] = fn
        return fn

    return register


def _imm64(x: int) -> int:
    return x & M64


_SIMPLE = {"add": "add", "sub": "sub", "and": "and_", "xor": "xor", "or": "or_"}
_COMMUTATIVE = frozenset({"add", "and_", "xor", "or_"})


def _width(name: str) -> int:
    return 32 if name.endswith("_32") else 64


@emits("add_32", "add_64", "sub_32", "sub_64", "and", "xor", "or")
def _alu3(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    w = _width(inst.name)
    op = _SIMPLE[inst.name.removesuffix("_32").removesuffix("_64")]
    a, regs = c.a, c.regs
    dst = regs[d]
    if w == 64 and type(dst) is int:  # in place: d op= y, or d = x; d op= y
        if d == y and op in _COMMUTATIVE:
            x, y = y, x
        left, right = regs[x], regs[y]
        if op == "add" and d != x and d != y and type(left) is int and type(right) is int:
            if left & 7 == 5:  # (rbp as the base takes a disp8: as the index it does not)
                left, right = right, left
            a.lea(dst, Mem(left, 0, index=right))  # d = x + y in one instruction, where mov + add took two
            return True
        if d == x:
            getattr(a, op)(dst, regs[y])
            return True
        if d != y:
            a.mov(dst, regs[x])
            getattr(a, op)(dst, regs[y])
            return True
    c.load_reg(RAX, x, w)
    getattr(a, op)(RAX, regs[y], w=w)
    c.store_result(RAX, d, w)
    return True


@emits("add_imm_32", "add_imm_64", "and_imm", "xor_imm", "or_imm")
def _alu_imm(c: JitCompiler, inst: Instruction) -> bool:
    d, s, imm = inst.args
    w = _width(inst.name)
    op = _SIMPLE[inst.name.split("_imm")[0]]
    a, regs = c.a, c.regs
    dst, src = regs[d], regs[s]
    if op == "add" and type(src) is int:  # lea computes s + imm without touching flags or needing d == s
        if w == 64 and type(dst) is int:
            a.lea(dst, Mem(src, sem.i32(imm)))
            return True
        a.lea(RAX, Mem(src, sem.i32(imm)), w=w)
        c.store_result(RAX, d, w)
        return True
    if w == 64 and type(dst) is int:
        if d != s:
            a.mov(dst, src)
        getattr(a, op)(dst, Imm(sem.i32(imm)))
        return True
    c.load_reg(RAX, s, w)
    getattr(a, op)(RAX, Imm(sem.i32(imm)), w=w)
    c.store_result(RAX, d, w)
    return True


@emits("mul_32", "mul_64")
def _mul(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    w = _width(inst.name)
    dst = c.regs[d]
    if w == 64 and type(dst) is int:
        if d == y:  # the product commutes: d = d * x
            x, y = y, x
        elif d != x:
            c.a.mov(dst, c.regs[x])
        c.a.imul(dst, c.regs[y])
        return True
    c.load_reg(RAX, x, w)
    c.a.imul(RAX, c.regs[y], w=w)
    c.store_result(RAX, d, w)
    return True


@emits("mul_imm_32", "mul_imm_64")
def _mul_imm(c: JitCompiler, inst: Instruction) -> bool:
    d, s, imm = inst.args
    w = _width(inst.name)
    dst = c.regs[d]
    if w == 64 and type(dst) is int:
        c.a.imul_imm(dst, c.regs[s], sem.i32(imm))
        return True
    c.a.imul_imm(RAX, c.regs[s], sem.i32(imm), w=w)
    c.store_result(RAX, d, w)
    return True


@emits("negate_and_add_imm_32", "negate_and_add_imm_64")
def _neg_add(c: JitCompiler, inst: Instruction) -> bool:
    d, s, imm = inst.args
    w = _width(inst.name)
    c.a.mov(RAX, Imm(imm & (M32 if w == 32 else M64)), w=w)
    c.a.sub(RAX, c.regs[s], w=w)
    c.store_result(RAX, d, w)
    return True


_SHIFT = {"shift_logical_left": "shl", "shift_logical_right": "shr", "shift_arithmetic_right": "sar",
          "rotate_left": "rol", "rotate_right": "ror"}  # fmt: skip


_BMI2_SHIFT = {"shl": "shlx", "shr": "shrx", "sar": "sarx"}


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
    a, regs = c.a, c.regs
    if not imm or alt:  # d = x OP (y & mask), or alt: d = imm OP (s & mask); x86 masks counts like PVM
        if alt:
            d, y, value = inst.args
            a.mov(RAX, Imm(value & (M32 if w == 32 else M64)), w=w)
            shifted: int | Mem = RAX
        else:
            d, x, y = inst.args
            shifted = regs[x]
        count = regs[y]
        bmi2 = _BMI2_SHIFT.get(op)
        if bmi2 is not None:  # shlx/shrx/sarx: any source and result register, no rcx, no flags
            if type(count) is not int:
                a.mov(RCX, count, w=32)
                count = RCX
            dst = regs[d]
            if w == 64 and type(dst) is int:
                getattr(a, bmi2)(dst, shifted, count)
                return True
            getattr(a, bmi2)(RAX, shifted, count, w=w)
        else:
            dst = regs[d]
            if w == 64 and type(dst) is int:  # the count into ecx first (d may be y), then in place: no rax
                a.mov(RCX, count, w=32)
                if dst != shifted:
                    a.mov(dst, shifted)
                getattr(a, op)(dst, None)
                return True
            if shifted != RAX:
                a.mov(RAX, shifted, w=w)
            a.mov(RCX, count, w=32)
            getattr(a, op)(RAX, None, w=w)
    else:  # d = s OP (imm & mask)
        d, s, value = inst.args
        count = value & (31 if w == 32 else 63)
        dst = regs[d]
        if w == 64 and type(dst) is int:
            src = regs[s]
            if d != s and count and type(src) is int:  # one instruction where mov + the shift took two
                if op == "ror" or op == "rol":
                    a.rorx(dst, src, count if op == "ror" else 64 - count)
                    return True
                if op == "shl" and count == 1:
                    a.lea(dst, Mem(src, 0, index=src))
                    return True
                if op == "shl" and count <= 3:
                    a.lea(dst, Mem(None, 0, index=src, scale=1 << count))
                    return True
            if d != s:
                a.mov(dst, src)
            if count:
                getattr(a, op)(dst, count)
            return True
        c.load_reg(RAX, s, w)
        if count:
            getattr(a, op)(RAX, count, w=w)
    c.store_result(RAX, d, w)
    return True


def _compare(c: JitCompiler, x: int, y: int | Imm) -> None:
    """`cmp x, y` for a guest register x and a guest register or immediate y."""
    a, regs = c.a, c.regs
    left, right = regs[x], y if type(y) is Imm else regs[y]
    if type(left) is not int and type(right) is Mem:
        a.mov(RAX, left)
        left = RAX
    a.cmp(left, right)


@emits("set_less_than_unsigned", "set_less_than_signed", "set_less_than_unsigned_imm", "set_less_than_signed_imm",
       "set_greater_than_unsigned_imm", "set_greater_than_signed_imm")  # fmt: skip
def _set_cmp(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    a = c.a
    _compare(c, x, Imm(sem.i32(y)) if inst.name.endswith("_imm") else y)
    signed = "_signed" in inst.name
    cc = (G if signed else A) if "greater" in inst.name else (L if signed else B)
    a.setcc(cc, RAX)
    dst = c.regs[d]
    if type(dst) is int:
        a.movzx8(dst, RAX)
    else:
        a.movzx8(RAX, RAX)
        a.mov(dst, RAX)
    return True


@emits("cmov_if_zero", "cmov_if_not_zero", "cmov_if_zero_imm", "cmov_if_not_zero_imm")
def _cmov(c: JitCompiler, inst: Instruction) -> bool:
    a, regs = c.a, c.regs
    if inst.name.endswith("_imm"):
        d, cond, value = inst.args
        a.mov(RCX, Imm(_imm64(value)))
        src: int | Mem = RCX
    else:
        d, s, cond = inst.args
        src = regs[s]
    a.cmp(regs[cond], Imm(0))
    cc = Z if "not_zero" not in inst.name else NZ
    dst = regs[d]
    if type(dst) is int:
        a.cmov(cc, dst, src)
    else:
        a.mov(RDX, dst)
        a.cmov(cc, RDX, src)
        a.mov(dst, RDX)
    return True


@emits("and_inverted", "or_inverted", "xnor")
def _inverted(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    a, regs = c.a, c.regs
    if inst.name == "and_inverted":  # BMI1's andn: d = ~y & x in one instruction
        inverted = regs[y]
        if type(inverted) is not int:
            a.mov(RAX, inverted)
            inverted = RAX
        dst = regs[d]
        a.andn(dst if type(dst) is int else RAX, inverted, regs[x])
        if type(dst) is not int:
            a.mov(dst, RAX)
        return True
    if inst.name == "xnor":
        c.load_reg(RAX, x)
        a.xor(RAX, regs[y])
    else:
        c.load_reg(RAX, y)
        a.not_(RAX)
        (a.and_ if inst.name == "and_inverted" else a.or_)(RAX, regs[x])
    if inst.name == "xnor":
        a.not_(RAX)
    a.mov(regs[d], RAX)
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
    a.mov(c.regs[d], RAX)
    return True


@emits("mul_upper_unsigned_unsigned", "mul_upper_signed_signed", "mul_upper_signed_unsigned")
def _mulh(c: JitCompiler, inst: Instruction) -> bool:
    d, x, y = inst.args
    a, regs = c.a, c.regs
    c.load_reg(RAX, x)
    if inst.name == "mul_upper_signed_signed":
        a.imul1(regs[y])
    else:
        a.mov(RCX, RAX)
        a.mul(regs[y])
        if inst.name == "mul_upper_signed_unsigned":  # umulh(a, b) - (a < 0 ? b : 0)
            a.sar(RCX, 63)
            a.and_(RCX, regs[y])
            a.sub(RDX, RCX)
    a.mov(regs[d], RDX)
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
        a.mov(c.regs[d], RAX)
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
        a.mov(c.regs[d], Imm(-1))
    a.bind(done)
    return True


@emits("count_set_bits_32", "count_set_bits_64", "count_leading_zero_bits_32", "count_leading_zero_bits_64",
       "count_trailing_zero_bits_32", "count_trailing_zero_bits_64")  # fmt: skip
def _count(c: JitCompiler, inst: Instruction) -> bool:
    d, s = inst.args
    op = {"count_set_bits": "popcnt", "count_leading_zero_bits": "lzcnt", "count_trailing_zero_bits": "tzcnt"}
    w = _width(inst.name)
    getattr(c.a, op[inst.name.rsplit("_", 1)[0]])(RAX, c.regs[s], w=w)
    c.a.mov(c.regs[d], RAX)
    return True


@emits("sign_extend_8", "sign_extend_16", "zero_extend_16", "reverse_byte", "move_reg")
def _unary(c: JitCompiler, inst: Instruction) -> bool:
    d, s = inst.args
    a, regs = c.a, c.regs
    dst, src = regs[d], regs[s]
    if inst.name == "move_reg":
        if type(dst) is int or type(src) is int:
            if d != s:
                a.mov(dst, src)
            return True
        a.mov(RAX, src)
    elif inst.name == "reverse_byte":
        c.load_reg(RAX, s)
        a.bswap(RAX)
    else:
        size = 1 if inst.name.endswith("_8") else 2
        a.load(RAX, src, size, inst.name.startswith("sign"))
    a.mov(dst, RAX)
    return True


@emits("load_imm", "load_imm64")
def _load_imm(c: JitCompiler, inst: Instruction) -> bool:
    d, value = inst.args
    dst = c.regs[d]
    if inst.name == "load_imm":
        c.a.mov(dst, Imm(sem.i32(value)))  # mov r/m64, simm32 sign-extends like PVM
    elif type(dst) is int:
        c.a.mov(dst, Imm(value))
    else:
        c.a.mov(RAX, Imm(value))
        c.a.mov(dst, RAX)
    return True


@emits("unlikely")
def _nop(c: JitCompiler, inst: Instruction) -> bool:
    return True


@emits(*(n for n in KIND if n.startswith("load_") and (n.startswith("load_indirect_") or KIND[n] is Kind.REG_IMM)
         and n not in ("load_imm",)))  # fmt: skip
def _load(c: JitCompiler, inst: Instruction) -> bool:
    size, signed = sem.load_width(inst.name)
    dst = c.regs[inst.args[0]]

    def access(m: Mem) -> None:
        if type(dst) is int:
            c.a.load(dst, m, size, signed)
        else:
            c.a.load(RAX, m, size, signed)
            c.a.mov(dst, RAX)

    return c.memory(inst, size, access)


@emits(*(n for n in KIND if n.startswith("store_")))
def _store(c: JitCompiler, inst: Instruction) -> bool:
    size = sem.store_width(inst.name)
    name, args = inst.name, inst.args
    source: int | Mem | None = None
    if name.startswith("store_imm_indirect_"):
        value: int | None = args[2]
    elif name.startswith("store_imm_"):
        value = args[1]
    else:
        value = None
        source = c.regs[args[0]]

    # Immediates are truncated to the store width (8-byte stores sign-extend the 32-bit immediate).
    imm = None if value is None else (sem.i32(value) if size == 8 else value & ((1 << (8 * size)) - 1))

    def access(m: Mem) -> None:
        if imm is not None:
            c.a.store(m, Imm(imm), size)
        elif type(source) is int:
            c.a.store(m, source, size)
        else:
            c.a.mov(RAX, source)
            c.a.store(m, RAX, size)

    return c.memory(inst, size, access)
