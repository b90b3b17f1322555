"""The x86-64 code the JIT compiles a program to, per PVM instruction, for `pvmkit disasm --native`.

Compiling needs no x86-64 host (only running does), so this works anywhere. Mnemonics come from capstone when it is
installed (a test dependency); otherwise each instruction's code is shown as bytes.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from ..interpreter import Module


@dataclass
class NativeListing:
    """A compiled program's code by pc: from where the pc is entered (its block's gas check, at a block start) to where
    the next instruction's code begins."""

    code: bytes
    spans: dict[int, tuple[int, int]]  # pc → [start, end) offsets of its code
    out_of_line: int  # bytes after the instructions' code: out-of-gas and trap stubs, dispatch, the fault stub
    native_instructions: int  # translated natively (the rest exit to the interpreter, one instruction at a time)
    instructions: int
    loops: dict[int, tuple[int, int]]  # a one-block loop's head pc → [start, end) of its unrolled code (out of line)
    dispatches: dict[int, tuple[int, bool]]  # a jump's pc → the dispatch it copies, merged? (JitCompiler.copied)
    fused: frozenset[int] = frozenset()  # pcs whose code also does the next instruction's (JitCompiler.fused)

    def lines(self, pc: int) -> list[str]:
        """The code of the instruction at `pc`: one line per x86-64 instruction (per 16 bytes without capstone), each
        with its offset from the start of the module's code. At the head of an unrolled loop, its unrolled code
        follows (the head's `jge` goes there when gas covers a round)."""
        span = self.spans.get(pc)
        out = [] if span is None else render(self.code[span[0] : span[1]], span[0])
        if pc in self.fused:
            out.insert(0, "with the next instruction (an add) in one instruction:")
        if span is not None and span[0] >= len(self.code) - self.out_of_line:
            out.insert(0, "fused into the code of the instruction before; entered here (from the host), out of line:")
        if pc in self.dispatches:
            target, merged = self.dispatches[pc]
            paid = "this block's gas check pays for it" if merged else "each block checks its gas"
            out.insert(0, f"the dispatch at pc {target}, copied here ({paid}):")
        loop = self.loops.get(pc)
        if loop is not None:
            out.append(f"the loop unrolled, out of line ({loop[1] - loop[0]} bytes):")
            out += render(self.code[loop[0] : loop[1]], loop[0])
        return out


def native_listing(module: Module) -> NativeListing:
    """Compile `module` as the JIT does (with its configuration: dynamic paging, say) and map its code by pc."""
    from .compiler import JitCompiler

    compiler = JitCompiler(module)
    program = compiler.compile()
    resumes = compiler.uncharged_stubs  # (the second instructions of fused pairs start out of line)
    # A block that paid for its dispatch copy has its entries in its twin (JitCompiler.merge_jump): its code inline.
    inline = {**program.uncharged, **compiler.merged_inline}
    starts = sorted((program.charged.get(pc, offset), pc) for pc, offset in inline.items()
                    if pc not in resumes and offset < program.inline_end)  # fmt: skip
    ends = [start for start, _ in starts[1:]] + [program.inline_end] * bool(starts)  # (no code: no spans)
    spans = {pc: (start, end) for (start, pc), end in zip(starts, ends, strict=True)}
    spans.update(resumes)
    twin = sorted(compiler.unmerged_at.values())
    for pc in resumes.keys() & compiler.unmerged_at.keys():  # (the host enters the block's twin there, not the stub)
        start = compiler.unmerged_at[pc]
        spans[pc] = (start, twin[bisect_right(twin, start)])
    pcs = module.code.decoded()[0]
    fused = frozenset(pcs[bisect_right(pcs, pc) - 2] for pc in resumes)  # (the instruction before each)
    return NativeListing(program.code, spans, len(program.code) - program.inline_end, program.native_instructions,
                         len(spans), program.loops, compiler.copied, fused)  # fmt: skip


def has_mnemonics() -> bool:
    try:
        import capstone  # noqa: F401
    except ImportError:
        return False
    return True


def render(code: bytes, offset: int) -> list[str]:
    """`code` (which starts at `offset`) as x86-64 assembly lines, or as hex bytes when capstone is missing."""
    try:
        import capstone
    except ImportError:
        return [f"{offset + i:06x}  {code[i : i + 16].hex(' ')}" for i in range(0, len(code), 16)]
    out = []
    end = offset
    for insn in capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64).disasm(code, offset):
        out.append(f"{insn.address:06x}  {insn.mnemonic} {insn.op_str}".rstrip())
        end = insn.address + insn.size
    if end < offset + len(code):  # bytes capstone could not decode (not expected): shown as they are
        out.append(f"{end:06x}  {code[end - offset :].hex(' ')}")
    return out
