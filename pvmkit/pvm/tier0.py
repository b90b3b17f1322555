"""Tier 0 of the interpreter: a block's first executions, without compiling the block.

Compiling a block into a Python function costs ~0.3-0.5 ms (CPython's compile() is the bulk of it), which is
what a contract's first deploy and call used to spend: most blocks run only a few times. Tier 0 runs a block
as a list of per-instruction closures instead. Their code comes from the same `semantics` expressions as the
compiled blocks, but with operands as closure variables, so it is compiled once per instruction form per
process and then only bound; the interpreter compiles a block once it has run `ModuleConfig.compile_after`
times (interpreter.Module._compile). A tier-0 segment is the same segment, with the same entry protocol and
return codes, as the function it stands in for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import semantics as sem
from .isa import INVALID, KIND, Kind
from .memory import LOW_BASE
from .program import Instruction

if TYPE_CHECKING:
    from .interpreter import Module

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
Op = Callable[..., "int | None"]  # (r, lo, st, mem) → a segment exit code, or None to go on

_FACTORIES: dict[tuple, Callable[..., Op]] = {}
_NS: dict[str, object] = {}


def _factory(key: tuple, params: str, body: list[str]) -> Callable[..., Op]:
    """`make(*params) -> op`, compiled once per key (an instruction form) per process."""
    make = _FACTORIES.get(key)
    if make is None:
        if not _NS:
            from .interpreter import _memset, _runtime_namespace, _sbrk

            _NS.update(_runtime_namespace(), _sbrk=_sbrk, _memset=_memset)
        lines = "".join(f"        {line}\n" for line in body)
        source = f"def _make({params}):\n    def op(r, lo, st, mem):\n{lines}    return op\n"
        ns = dict(_NS)
        exec(compile(source, f"<pvm tier0 {key[0]}>", "exec"), ns)  # noqa: S102 - generated from the ISA tables
        make = _FACTORIES[key] = ns["_make"]  # type: ignore[assignment]
    return make


class _Builder:
    """Per-instruction closures for one module (its memory map, jump table and return codes)."""

    def __init__(self, module: Module) -> None:
        from . import interpreter as it

        self.m = module
        self.code = module.code
        self.codes = it._TRAP, it._ECALLI, it._OOG, it._CONTINUE
        self.dynamic = module.config.dynamic_paging
        mm = module.memory_map
        self.rw = (mm.rw_data_address, mm.rw_data_address + mm.rw_data_size)
        self.stack = (mm.stack_address_low, mm.stack_address_high)

    def trap(self, pc: int) -> Op:
        return _factory(("trap",), "pc, TRAP", ["r[14] = pc", "return TRAP"])(pc, self.codes[0])

    def op(self, inst: Instruction) -> Op | None:
        name, args, pc = inst.name, inst.args, inst.pc
        if name == INVALID or name == "trap":
            return self.trap(pc)
        kind = KIND[name]
        if name in sem.ALU3:
            return _factory((name,), "d, a, b", [f"r[d] = {sem.ALU3[name]('r[a]', 'r[b]')}"])(*args)
        if name in sem.ALU_IMM:
            d, s, imm = args
            return _factory((name,), "d, s, i", [f"r[d] = {sem.ALU_IMM[name]('r[s]', 'i')}"])(d, s, imm & M64)
        if name == "sbrk":
            return _factory((name,), "d, s", ["r[d] = _sbrk(mem, r[s])"])(*args)
        if name in sem.ALU2:
            return _factory((name,), "d, s", [f"r[d] = {sem.ALU2[name]('r[s]')}"])(*args)
        if name in sem.CMOV:
            op = sem.CMOV[name]
            if kind is Kind.REG_REG_REG:
                return _factory((name,), "d, v, c", [f"if r[c] {op} 0: r[d] = r[v]"])(*args)
            d, c, value = args
            return _factory((name, "imm"), "d, c, v", [f"if r[c] {op} 0: r[d] = v"])(d, c, value & M64)
        if name in ("load_imm", "load_imm64"):
            return _factory(("load_imm",), "d, v", ["r[d] = v"])(args[0], args[1] & M64)
        if name.startswith("load_") and not name.startswith("load_imm_and_jump"):
            if kind is Kind.REG_IMM:
                return self.load(name, args[0], None, args[1] & M32, pc)
            return self.load(name, args[0], args[1], args[2] & M64, pc)
        if name.startswith("store_imm_indirect_"):
            base, off, value = args
            return self.store(name, None, value, base, off & M64, pc)
        if name.startswith("store_indirect_"):
            src, base, off = args
            return self.store(name, src, 0, base, off & M64, pc)
        if name.startswith("store_imm_"):
            return self.store(name, None, args[1], None, args[0] & M32, pc)
        if name.startswith("store_"):
            return self.store(name, args[0], 0, None, args[1] & M32, pc)
        if name in ("fallthrough", "jump", "load_imm_and_jump"):
            return self.jump(inst)
        if name.startswith("branch_"):
            return self.branch(inst)
        if name in ("jump_indirect", "load_imm_and_jump_indirect"):
            # The address is read before ra is written (ra may be the base register).
            dispatch = ["t = JT.get(x)", "if t is None: t = miss(x)", "if t < 0: r[14] = pc", "return t"]
            table = (self.m._jt, self.m._jump_table_miss)
            if name == "jump_indirect":
                make = _factory((name,), "b, o, pc, JT, miss", ["x = (r[b] + o) & 0xFFFFFFFF", *dispatch])
                return make(args[0], args[1] & M64, pc, *table)
            ra, base, value, off = args
            body = ["x = (r[b] + o) & 0xFFFFFFFF", "r[ra] = v", *dispatch]
            make = _factory((name,), "ra, b, v, o, pc, JT, miss", body)
            return make(ra, base, value & M64, off & M64, pc, *table)
        if name == "ecalli":
            return _factory((name,), "pc, n, nxt, ECALLI", ["r[14] = pc; r[15] = n; r[16] = nxt", "return ECALLI"])(
                pc, args[0] & M32, inst.next_pc, self.codes[1]
            )
        if name == "memset":
            return _factory((name,), "pc", ["m = _memset(r, mem, pc)", "if m: return m"])(pc)
        if name == "unlikely":
            return None
        raise AssertionError(name)  # pragma: no cover - every ISA instruction is handled above

    def jump(self, inst: Instruction) -> Op:
        """jump, load_imm_and_jump and fallthrough, with the interpreter's rules for invalid targets."""
        name, args, pc = inst.name, inst.args, inst.pc
        target = inst.next_pc if name == "fallthrough" else args[-1]
        code = self.code
        if code.is_jump_target_valid(target):
            if name == "load_imm_and_jump":
                return _factory((name,), "d, v, t", ["r[d] = v", "return t"])(args[0], args[1] & M64, target)
            return _factory(("jump",), "t", ["return t"])(target)
        if name == "fallthrough" and not code.is_instruction_start(target):
            # Falling into the implicit trap runs it as a one-instruction block (see _SegmentCompiler._emit).
            body = ["if r[13] < 1: r[14] = t; r[16] = -1; return OOG", "r[13] -= 1", "r[14] = t", "return TRAP"]
            return _factory(("implicit_trap",), "t, OOG, TRAP", body)(target, self.codes[2], self.codes[0])
        if name == "load_imm_and_jump":  # the register is written before the trap, as compiled blocks do
            body = ["r[d] = v; r[14] = pc", "return TRAP"]
            return _factory((name, "trap"), "d, v, pc, TRAP", body)(args[0], args[1] & M64, pc, self.codes[0])
        return self.trap(pc)

    def branch(self, inst: Instruction) -> Op:
        name, args = inst.name, inst.args
        taken, fall = args[2], inst.next_pc
        if not (self.code.is_jump_target_valid(taken) and self.code.is_jump_target_valid(fall)):
            return self.trap(inst.pc)
        imm = name.endswith("_imm")
        cond = sem.branch_condition(name)("r[a]", "b" if imm else "r[b]")
        make = _factory((name,), "a, b, t, f", [f"return t if {cond} else f"])
        return make(args[0], args[1] & M64 if imm else args[1], taken, fall)

    def regions(self, size: int) -> tuple[int, int, int, int, int]:
        """(rw low, rw high, stack low, stack high, stack base) for an access of `size` bytes at x: inline when
        low <= x <= high; a region smaller than the access gets an empty range, as _SegmentCompiler._access."""
        (rl, rh), (sl, sh) = self.rw, self.stack
        rw = (rl, rh - size) if rh - rl >= size else (1, 0)
        stack = (sl, sh - size) if sh - sl >= size else (1, 0)
        return rw[0], rw[1], stack[0], stack[1], sl

    def load(self, name: str, d: int, base: int | None, off: int, pc: int) -> Op:
        size, signed = sem.load_width(name)
        address = "o" if base is None else "(r[b] + o) & 0xFFFFFFFF"
        slow = f"r[d] = mem.load(x, {size}, {signed}, pc)"
        if self.dynamic:
            return _factory((name, base is None, "dyn"), "d, b, o, pc", [f"x = {address}", slow])(d, base, off, pc)
        read = sem.buffer_load
        body = [f"x = {address}", f"if rl <= x <= rh: r[d] = {read('lo', f'x - {LOW_BASE}', size, signed)}",
                f"elif sl <= x <= sh: r[d] = {read('st', 'x - sb', size, signed)}", f"else: {slow}"]  # fmt: skip
        make = _factory((name, base is None), "d, b, o, pc, rl, rh, sl, sh, sb", body)
        return make(d, base, off, pc, *self.regions(size))

    def store(self, name: str, src: int | None, value: int, base: int | None, off: int, pc: int) -> Op:
        size = sem.store_width(name)
        mask = (1 << (8 * size)) - 1
        address = "o" if base is None else "(r[b] + o) & 0xFFFFFFFF"
        v = "v" if src is None else f"r[s] & {mask}"
        key = (name, base is None, src is None)
        slow = f"mem.store(x, {size}, {v}, pc)"
        if self.dynamic:
            make = _factory((*key, "dyn"), "s, v, b, o, pc", [f"x = {address}", slow])
            return make(src, value & mask, base, off, pc)
        write = sem.buffer_store
        body = [f"x = {address}", f"if rl <= x <= rh: {write('lo', f'x - {LOW_BASE}', size, v)}",
                f"elif sl <= x <= sh: {write('st', 'x - sb', size, v)}", f"else: {slow}"]  # fmt: skip
        make = _factory(key, "s, v, b, o, pc, rl, rh, sl, sh, sb", body)
        return make(src, value & mask, base, off, pc, *self.regions(size))


def segment(module: Module, entry: int, cost: int, insts: list[Instruction], ends: bool, runs: int,
            promote: Callable[[], Callable[..., int]]) -> Callable[..., int]:  # fmt: skip
    """The tier-0 function of a segment (`insts`, entered at `entry`, charging `cost` gas on entry; `ends`: whether
    its last instruction ends it, else it continues uncharged at the next one, like a cut segment). Its `runs`-th
    call hands over to `promote()`, which compiles the segment and puts it in the module's cache instead."""
    from .interpreter import _fault
    from .memory import GuestFault

    builder = module._tier0  # type: ignore[attr-defined]
    ops = [op for inst in insts if (op := builder.op(inst)) is not None]
    trap, _, oog, cont = builder.codes
    if not ends:
        ops.append(_factory(("continue",), "nxt, CONTINUE", ["r[16] = nxt", "return CONTINUE"])(insts[-1].next_pc,
                                                                                                  cont))  # fmt: skip

    left = runs

    def run(r: list, lo: object, st: object, mem: object) -> int:
        nonlocal left
        left -= 1
        if not left:
            return promote()(r, lo, st, mem)
        if cost:
            g = r[13] - cost
            if g < 0:
                r[14] = entry
                r[16] = -1
                return oog
            r[13] = g
        try:
            for op in ops:
                code = op(r, lo, st, mem)
                if code is not None:
                    return code
        except GuestFault as e:
            return _fault(r, e)
        r[14] = insts[-1].pc  # pragma: no cover - every segment's last op returns
        return trap

    return run
