"""Benchmark programs, assembled with pvmkit's own encoder, plus their expected results.

Every program is self-contained: it sets `ra` to the return-to-host address itself, needs no
initial registers, and ends with `jump_indirect ra, 0` (a clean halt in polkavm and in GP).
Its result is left in `a0`. The instruction count (= gas used, 1 per instruction) is computed
here by a Python model of the program, so every engine's gas use can be checked against it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pvmkit.pvm.blob import ProgramBlob
from pvmkit.pvm.isa import REVIVE_V1
from pvmkit.pvm.program import RETURN_TO_HOST, assemble_code, encode_instruction

# Register indices (ra sp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5).
RA, SP, T0, T1, T2, S0, S1, A0, A1 = range(9)

PAGE_SIZE = 0x1000
RW_DATA_ADDRESS = 0x20000
"""Where polkavm's standard memory map puts rw data when ro_data_size is 0 (reference §3.1)."""

RESULT_REG = A0
MASK64 = (1 << 64) - 1
_RA_IMM = RETURN_TO_HOST - (1 << 32)  # load_imm sign-extends; jump_indirect only uses the low 32 bits

Asm = list[tuple[str, Sequence[int]]]


@dataclass(frozen=True)
class Workload:
    """One benchmark program instance: the blob, its expected result and its exact instruction count."""

    program: str
    param: int
    blob: ProgramBlob
    expected_result: int
    instructions: int
    description: str

    @property
    def payload(self) -> bytes:
        """GP "deblob" program (polkavm section 6): what tsrkit-pvm and anan-as take."""
        return self.blob.code_and_jump_table()

    @property
    def rw_pages(self) -> list[int]:
        """4 KiB page numbers a peer must map writable at the standard rw-data address."""
        first = RW_DATA_ADDRESS // PAGE_SIZE
        return list(range(first, first + (self.blob.rw_data_size + PAGE_SIZE - 1) // PAGE_SIZE))


class _Assembler:
    """Tiny label-aware assembler over `encode_instruction`.

    Arguments may be label names (str); offsets are laid out again until every label settles,
    since an immediate's encoded length depends on the distance it spans.
    """

    def __init__(self) -> None:
        self.items: list[tuple[str, tuple[int | str, ...]]] = []
        self.labels: dict[str, int] = {}  # label -> index of the instruction it names

    def label(self, name: str) -> None:
        self.labels[name] = len(self.items)

    def emit(self, name: str, *args: int | str) -> None:
        self.items.append((name, args))

    def code(self) -> tuple[bytes, bytes]:
        offsets = [0] * (len(self.items) + 1)
        for _ in range(16):
            resolved = self._resolve(offsets)
            new = [0]
            for name, args in resolved:
                new.append(new[-1] + len(encode_instruction(REVIVE_V1, name, args, new[-1])))
            if new == offsets:
                return assemble_code(REVIVE_V1, resolved)
            offsets = new
        raise AssertionError("label layout did not converge")

    def _resolve(self, offsets: list[int]) -> Asm:
        return [
            (name, tuple(offsets[self.labels[a]] if isinstance(a, str) else a for a in args))
            for name, args in self.items
        ]


def alu_loop(n: int) -> Workload:
    """`sum += i; i -= 1; loop while i != 0` for i = n..1: 3 instructions per iteration, 64-bit ops."""
    if not 1 <= n < 1 << 31:
        raise ValueError("n must be in [1, 2^31)")
    asm = _Assembler()
    asm.emit("load_imm", RA, _RA_IMM)
    asm.emit("load_imm", A0, 0)
    asm.emit("load_imm", A1, n)
    asm.emit("fallthrough")  # makes `loop` the start of a basic block (a valid branch target)
    asm.label("loop")
    asm.emit("add_64", A0, A0, A1)
    asm.emit("add_imm_64", A1, A1, -1)
    asm.emit("branch_not_eq_imm", A1, 0, "loop")
    asm.emit("jump_indirect", RA, 0)
    code, bitmask = asm.code()
    blob = ProgramBlob(code=code, bitmask=bitmask, stack_size=PAGE_SIZE)
    return Workload(
        program="alu-loop",
        param=n,
        blob=blob,
        expected_result=(n * (n + 1) // 2) & MASK64,
        instructions=4 + 3 * n + 1,
        description=f"sum of 1..{n} (add_64, add_imm_64, branch_not_eq_imm)",
    )


def sieve(n: int) -> Workload:
    """Sieve of Eratosthenes over a byte array at 0x20000; counts the primes below n into a0."""
    if not 3 <= n <= 1 << 26:
        raise ValueError("n must be in [3, 2^26]")
    asm = _Assembler()
    asm.emit("load_imm", RA, _RA_IMM)
    asm.emit("load_imm", S0, RW_DATA_ADDRESS)  # base of flags[]; flags[i] != 0 means composite
    asm.emit("load_imm", A1, n)
    asm.emit("load_imm", A0, 0)  # prime count
    asm.emit("load_imm", T0, 2)  # i = 2
    asm.emit("fallthrough")
    asm.label("outer")
    asm.emit("add_64", T1, S0, T0)
    asm.emit("load_indirect_u8", T2, T1, 0)
    asm.emit("branch_not_eq_imm", T2, 0, "next")  # flags[i] set: composite
    asm.emit("add_imm_64", A0, A0, 1)
    asm.emit("mul_64", T1, T0, T0)  # j = i * i
    asm.emit("branch_greater_or_equal_unsigned", T1, A1, "next")
    asm.label("inner")
    asm.emit("add_64", T2, S0, T1)
    asm.emit("store_imm_indirect_u8", T2, 0, 1)  # flags[j] = 1
    asm.emit("add_64", T1, T1, T0)  # j += i
    asm.emit("branch_less_unsigned", T1, A1, "inner")
    asm.label("next")
    asm.emit("add_imm_64", T0, T0, 1)
    asm.emit("branch_less_unsigned", T0, A1, "outer")
    asm.emit("jump_indirect", RA, 0)
    code, bitmask = asm.code()
    blob = ProgramBlob(code=code, bitmask=bitmask, rw_data_size=n, stack_size=PAGE_SIZE)
    primes, instructions = sieve_model(n)
    return Workload(
        program="sieve",
        param=n,
        blob=blob,
        expected_result=primes,
        instructions=instructions,
        description=f"primes below {n} (byte array, load_indirect_u8/store_imm_indirect_u8)",
    )


def sieve_model(n: int) -> tuple[int, int]:
    """(prime count below n, PVM instructions the sieve program executes) computed in Python.

    Per candidate i in [2, n): 5 instructions (outer head + i += 1 / branch); per prime, 3 more; per
    flags[j] = 1 store, 4 (the inner loop). Only primes below sqrt(n) mark anything, so the loop stops
    there and the primes are counted from the flags afterwards (fast enough for the JIT's large N).
    """
    flags = bytearray(n)
    stores = 0
    i = 2
    while i * i < n:
        if not flags[i]:
            hits = len(range(i * i, n, i))
            flags[i * i :: i] = b"\x01" * hits
            stores += hits
        i += 1
    count = flags.count(0, 2)
    instructions = 6 + 1 + 5 * (n - 2) + 3 * count + 4 * stores  # prologue + final jump_indirect + loops
    return count, instructions


KNOWN_PRIME_COUNTS = {10: 4, 100: 25, 1000: 168, 10_000: 1229, 100_000: 9592, 1_000_000: 78498}

BUILDERS: dict[str, Callable[[int], Workload]] = {"alu-loop": alu_loop, "sieve": sieve}
