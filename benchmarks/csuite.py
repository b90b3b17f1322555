"""The C benchmark suite: the same freestanding C programs run natively, as wasm and as PVM, in one run.

Each program in `benchmarks/c/` defines `i64 bench(i64 n)`: n units of a fixed amount of work and a 64-bit
checksum of it (`bench.h`; no libc). Every program is built four ways into `benchmarks/.peers/c/`:

* native: `gcc -O2` (plus -fno-builtin -fno-tree-loop-distribute-patterns, so that gcc keeps the programs' own
  memset/memcpy loops instead of calling glibc's) with `c/driver.c`, a `main` that times only `bench(n)` with
  clock_gettime; it is the reference for every checksum and ratio;
* native with clang-19 -O2 (x86-64), the compiler of the two builds below, the same way;
* wasm32: `clang-19 --target=wasm32 -O2 -fno-builtin -nostdlib -Wl,--no-entry -Wl,--export=bench`, run in the
  wasmtime Python package (Cranelift);
* PVM: clang-19 with the flags of `pvmkit cc` (pvmkit/cli.py) → `ld.lld-19 -r --emit-relocs` →
  `pvmkit.linker.translate.link_elf(exports=["bench"])`, run on `Module(..., ModuleConfig(backend="interpreter"))`
  and `ModuleConfig(backend="jit")`.

Every engine first runs `bench(check_n)` and must return native's checksum; then n is calibrated per engine so
that one call takes about the target time, and the best of a few calls at that n is kept (its checksum is
checked against native's at the same n); once every engine has run, each is timed again and keeps its best.
Execution is reported per unit of work (time / n), so engines that run different n are comparable, next to the
compile time of each engine (compilation is never in the execution time). A program that fails to build or
link gives failed rows with the exact error, never an exception.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .peers import HERE, PEERS_DIR, Log, PeerUnavailable, _run, _tail

C_DIR = HERE / "c"
C_BIN = PEERS_DIR / "c"
GAS = 10**15
MAX_N = 1 << 40  # calibration gives up here: bench(n) that fast was folded by the compiler

NATIVE = "gcc-O2"
CLANG = "clang-O2"
WASM = "wasmtime"
WASM_FUEL = "wasmtime-fuel"  # the same with fuel metering: each call pays for counting its work, as PVM gas does
INTERPRETER = "pvmkit-interpreter"
JIT = "pvmkit-jit"
ENGINES = (NATIVE, CLANG, WASM, WASM_FUEL, INTERPRETER, JIT)

GCC_FLAGS = ("-O2", "-fno-builtin", "-fno-tree-loop-distribute-patterns")
CLANG_FLAGS = ("-O2", "-fno-builtin")  # clang-19 for x86-64: the same compiler as the wasm and PVM builds
WASM_FLAGS = ("--target=wasm32", "-O2", "-fno-builtin", "-nostdlib", "-Wl,--no-entry", "-Wl,--export=bench")
# The flags of `pvmkit cc -O2` (pvmkit/cli.py), so that this is exactly pvmkit's own C toolchain.
PVM_FLAGS = (
    "--target=riscv64-unknown-elf", "-march=rv64emac_zbb_xtheadcondmov", "-mabi=lp64e", "-fpic", "-fno-plt", "-O2",
    "-ffunction-sections", "-fdata-sections", "-fvisibility=hidden", "-fno-builtin",
)  # fmt: skip


@dataclass(frozen=True)
class CProgram:
    name: str
    source: str
    unit: str  # what one unit of n is
    stresses: str
    check_n: int  # small n every engine runs first (the interpreter takes ~0.1 s)
    wasm_differs: str = ""  # why the wasm build does other work than the 64-bit ones (its wasmtime ratios then say so)


PROGRAMS = [
    CProgram("sieve", "sieve.c", "one sieve of 32,768 numbers", "byte loads/stores, short inner loops", 2),
    CProgram("keccak", "keccak.c", "one keccak-f[1600] permutation", "64-bit xor/rotate/and-not, spills, "
             "lookup tables in read-only data", 20),
    CProgram("memops", "memops.c", "one memset + memcpy of ~14 KiB", "own word-at-a-time memset/memcpy, "
             "unaligned heads and tails", 20),
    CProgram("bytecode-vm", "interp.c", "one bytecode loop iteration (16 ops)", "switch dispatch (indirect jumps), "
             "bytecode in read-only data, operand stack in memory", 500),
    CProgram("fib", "fib.c", "fib(20) = 21,891 recursive calls", "calls, returns, stack traffic", 2),
    CProgram("mul128", "mul128.c", "one xorshift64* step + 64×64→128 mul-accumulate", "64-bit multiplies, "
             "mul-high, carries", 2000, "wasm32 has no 64×64→128 multiply: it takes four 32-bit products (the same "
             "code built natively with clang-19 runs ~1.3× slower than with mul-high)"),
]  # fmt: skip
BY_NAME = {p.name: p for p in PROGRAMS}


@dataclass
class CRow:
    """One (program, engine) measurement, or why there is none."""

    program: str
    engine: str
    n: int = 0
    seconds: float = 0.0  # best timed call at n
    calls: int = 0
    checksum: int | None = None
    build_seconds: float | None = None  # C source → artifact (gcc / clang+wasm-ld / clang+lld+link_elf)
    link_seconds: float | None = None  # of which pvmkit's link_elf
    compile_seconds: float | None = None  # artifact → runnable (wasmtime.Module, JitCompiler.compile(), ...)
    code_bytes: int | None = None  # x86-64 .text, wasm module, PVM code section
    native_bytes: int | None = None  # the JIT's x86-64 code
    native_share: float | None = None  # JitProgram.native_instructions / instructions
    fallbacks: float | None = None  # JIT exits to the interpreter per unit (in the check run)
    fallback_kinds: dict[str, int] = field(default_factory=dict)  # instruction (and memory region) → count
    error: str | None = None  # skipped or failed: why
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems and self.calls > 0

    @property
    def per_unit(self) -> float:
        return self.seconds / self.n if self.n else 0.0


@dataclass
class CReport:
    rows: list[CRow] = field(default_factory=list)
    programs: list[CProgram] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # the whole section, and why
    tools: dict[str, str] = field(default_factory=dict)
    target: float = 0.0
    reps: int = 0

    def row(self, program: str, engine: str) -> CRow | None:
        return next((r for r in self.rows if r.program == program and r.engine == engine), None)

    @property
    def wrong(self) -> bool:
        return any(r.problems for r in self.rows)


def _signed(x: int) -> int:
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >> 63 else x


def _first_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}".strip().splitlines()[0]


def _nice(x: float) -> int:
    """x rounded up to two significant digits (at least 1), so that the n in the report read well."""
    if x <= 1:
        return 1
    scale = 10 ** max(0, int(math.log10(x)) - 1)
    return int(math.ceil(x / scale) * scale)


def calibrate(run: Callable[[int], float], n: int, target: float, seconds: float | None = None) -> int:
    """An n at which `run(n)` (seconds) takes about `target`, starting from n (whose time may be known)."""
    t = run(n) if seconds is None else seconds
    while t < target / 5:
        if n >= MAX_N:
            raise RuntimeError(f"bench({n:,}) took {t:.2g} s: no measurable time (did the compiler fold the loop?)")
        n = min(MAX_N, max(n + 1, _nice(n * min(50.0, target / 2 / max(t, 1e-7)))))
        t = run(n)
    return min(MAX_N, _nice(n * target / max(t, 1e-9)))


def _text_bytes(obj: bytes) -> int | None:
    """Total size of the executable sections of an ELF64 little-endian object (x86-64 gcc output)."""
    if obj[:4] != b"\x7fELF" or obj[4] != 2:
        return None
    (shoff,) = struct.unpack_from("<Q", obj, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", obj, 0x3A)
    total = 0
    for i in range(shnum):
        _, sh_type, flags, _, _, size = struct.unpack_from("<IIQQQQ", obj, shoff + i * shentsize)
        if sh_type == 1 and flags & 0x4:  # SHT_PROGBITS, SHF_EXECINSTR
            total += size
    return total


# --------------------------------------------------------------------------- tools


def find_tools(install: bool, log: Log) -> dict[str, str]:
    """Paths of gcc, clang-19, ld.lld-19 and wasm-ld, and the wasmtime version; PeerUnavailable if one is missing."""
    from .jit import ensure_wasmtime

    tools = {}
    missing = []
    for tool, hint in (("gcc", "gcc"), ("clang-19", "clang-19"), ("ld.lld-19", "lld-19")):
        path = shutil.which(tool)
        if path is None:
            missing.append(f"{tool} (Debian: apt-get install {hint})")
        else:
            tools[tool] = path
    wasm_ld = shutil.which("wasm-ld-19") or shutil.which("wasm-ld")
    if wasm_ld is None:
        missing.append("wasm-ld-19 (Debian: apt-get install lld-19)")
    if missing:
        raise PeerUnavailable("not on PATH: " + ", ".join(missing))
    try:
        tools["wasmtime"] = ensure_wasmtime(log, install)
    except (PeerUnavailable, OSError, subprocess.SubprocessError) as e:
        raise PeerUnavailable(f"wasmtime: {str(e).splitlines()[0]}") from None
    return tools


def tool_versions(tools: dict[str, str]) -> dict[str, str]:
    out = {}
    for tool in ("gcc", "clang-19"):
        try:
            first = _run([tools[tool], "--version"], timeout=30).stdout.splitlines()[0].strip()
        except (OSError, subprocess.SubprocessError, IndexError):
            first = tool
        out[tool] = first
    out["wasmtime"] = f"wasmtime {tools['wasmtime']} (Python package)"
    return out


def _compile(cmd: list[str], what: str) -> float:
    start = time.perf_counter()
    done = _run(cmd, timeout=300)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines[-1:] or [f"exit {done.returncode}"]
        raise RuntimeError(f"{what} failed: {' | '.join(errors[:3])}")
    return seconds


# --------------------------------------------------------------------------- native


class Native:
    """bench.c compiled to x86-64 by `compiler` (gcc or clang-19), linked with driver.c; run as a subprocess."""

    def __init__(self, program: CProgram, tools: dict[str, str], work: Path, compiler: str = "gcc") -> None:
        source = C_DIR / program.source
        flags = GCC_FLAGS if compiler == "gcc" else CLANG_FLAGS
        obj = work / f"{program.name}.{compiler}.o"
        self.binary = C_BIN / f"{program.name}-{compiler}"
        self.build_seconds = _compile([tools[compiler], *flags, "-c", str(source), "-o", str(obj)],
                                      f"{compiler} {' '.join(flags)} {source.name}")  # fmt: skip
        C_BIN.mkdir(parents=True, exist_ok=True)
        _compile([tools["gcc"], "-O2", "-o", str(self.binary), str(C_DIR / "driver.c"), str(obj)], "gcc driver.c")
        self.code_bytes = _text_bytes(obj.read_bytes())
        self.known: dict[int, int] = {}

    def call(self, n: int, reps: int = 1) -> tuple[float, int]:
        """(best seconds of `reps` calls of bench(n), checksum), from one run of the driver."""
        proc = subprocess.run([str(self.binary), str(n), str(reps)], capture_output=True, text=True, timeout=900)
        fields = dict(part.split("=", 1) for part in proc.stdout.split() if "=" in part)
        if proc.returncode != 0 or "seconds" not in fields:
            tail = _tail(proc.stderr, 3)
            raise RuntimeError(f"{self.binary.name} {n} {reps} failed (exit {proc.returncode}): {tail}")
        checksum = int(fields["checksum"])
        self.known[n] = checksum
        return float(fields["seconds"]), checksum

    def checksum(self, n: int) -> int:
        if n not in self.known:
            self.call(n)
        return self.known[n]


# --------------------------------------------------------------------------- wasm


class Wasm:
    """The program as wasm32 in wasmtime; with `fuel`, compiled with fuel metering (`Config.consume_fuel`) and given
    all the fuel it can take before each call."""

    FUEL = (1 << 63) - 1

    def __init__(self, program: CProgram, tools: dict[str, str], work: Path, compile_reps: int,
                 fuel: bool = False) -> None:  # fmt: skip
        import wasmtime

        out = work / f"{program.name}.wasm"
        self.build_seconds = _compile([tools["clang-19"], *WASM_FLAGS, "-o", str(out), str(C_DIR / program.source)],
                                      f"clang-19 --target=wasm32 {program.source}")  # fmt: skip
        wasm = out.read_bytes()
        self.code_bytes = len(wasm)
        best = math.inf
        module = None
        self.fuel = fuel
        for _ in range(compile_reps):
            config = wasmtime.Config()  # (an Engine takes its Config over)
            config.consume_fuel = fuel
            engine = wasmtime.Engine(config)  # fresh: no compiled-module cache
            start = time.perf_counter()
            module = wasmtime.Module(engine, wasm)
            best = min(best, time.perf_counter() - start)
            self.store = wasmtime.Store(engine)
        assert module is not None
        self.compile_seconds = best
        instance = wasmtime.Instance(self.store, module, [])
        self.bench = instance.exports(self.store)["bench"]

    def call(self, n: int) -> tuple[float, int]:
        if self.fuel:
            self.store.set_fuel(self.FUEL)
        start = time.perf_counter()
        result = self.bench(self.store, n)
        return time.perf_counter() - start, _signed(int(result))


# --------------------------------------------------------------------------- PVM


def build_pvm(program: CProgram, tools: dict[str, str], work: Path) -> tuple[bytes, float, float]:
    """(blob bytes, seconds of clang + lld, seconds of link_elf): what `pvmkit cc X.c --export bench -O2` does."""
    from pvmkit.linker.translate import link_elf

    include = Path(link_elf.__code__.co_filename).parent
    obj, combined = work / f"{program.name}.rv.o", work / f"{program.name}.rv.combined.o"
    seconds = _compile([tools["clang-19"], *PVM_FLAGS, f"-I{include}", "-c", str(C_DIR / program.source), "-o",
                        str(obj)], f"clang-19 (pvmkit cc flags) {program.source}")  # fmt: skip
    seconds += _compile([tools["ld.lld-19"], "--emit-relocs", "-r", str(obj), "-o", str(combined)], "ld.lld-19 -r")
    elf = combined.read_bytes()
    start = time.perf_counter()
    linked = link_elf(elf, exports=["bench"])  # LinkError propagates: the caller reports it
    link = time.perf_counter() - start
    return linked.blob.write(), seconds + link, link


class Pvm:
    def __init__(self, blob_bytes: bytes, backend: str) -> None:
        from pvmkit.pvm.blob import ProgramBlob
        from pvmkit.pvm.interpreter import Module, ModuleConfig

        self.blob = ProgramBlob.parse(blob_bytes)
        self.backend = backend
        start = time.perf_counter()
        self.module = Module(self.blob, ModuleConfig(backend=backend))
        self.load_seconds = time.perf_counter() - start
        if self.module.backend != backend:
            raise PeerUnavailable(f"ModuleConfig(backend={backend!r}) gave the {self.module.backend} backend")
        self.code_bytes = len(self.module.code)

    def call(self, n: int, fallbacks: Counter[str] | None = None) -> tuple[float, int]:
        """(seconds of `inst.run()`, checksum) for bench(n) on a fresh instance; with `fallbacks`, also counts the
        instructions the JIT hands to the interpreter (by kind, see `_fallback_kind`) in that untimed run."""
        from pvmkit.pvm.interpreter import InterruptKind

        inst = self.module.instantiate()  # the JIT compiles the module on the first one (not timed)
        inst.prepare_call("bench", n)
        inst.gas = GAS
        if fallbacks is not None and hasattr(inst, "_fallback"):
            original = inst._fallback

            def counting(pc: int) -> int | None:
                fallbacks[self._fallback_kind(inst, pc)] += 1
                return original(pc)

            inst._fallback = counting  # observed on this instance only (a diagnostic run, not timed)
        start = time.perf_counter()
        interrupt = inst.run()
        seconds = time.perf_counter() - start
        if interrupt.kind is not InterruptKind.FINISHED:
            raise RuntimeError(f"bench({n}) ended with {interrupt}, expected finished")
        return seconds, _signed(int(inst.regs[7]))

    def _fallback_kind(self, inst: object, pc: int) -> str:
        """`name` or `name (<region> data)` of the instruction at pc, the region from the guest registers."""
        try:
            decoded = self.module.code.decode(pc)[0]
            name, args = decoded.name, decoded.args
            if not name.startswith(("load_", "store_")):
                return name
            if name.startswith(("load_indirect_", "store_indirect_", "store_imm_indirect_")):
                base, offset = (args[0], args[1]) if name.startswith("store_imm_indirect_") else (args[1], args[2])
                regs = struct.unpack_from("<13Q", inst._ctx_bytes, 0)  # type: ignore[attr-defined]
                address = (regs[base] + offset) & 0xFFFFFFFF
            else:
                address = (args[0] if name.startswith("store_imm_") else args[1]) & 0xFFFFFFFF
            m = self.module.memory_map
            regions = (
                ("ro data", m.ro_data_address, m.ro_data_size),
                ("rw data", m.rw_data_address, m.rw_data_size),
                ("stack", m.stack_address_low, m.stack_address_high - m.stack_address_low),
                ("aux data", m.aux_data_address, m.aux_data_size),
            )
            where = next((r for r, lo, size in regions if lo <= address < lo + size), "unmapped or heap")
            return f"{name} ({where})"
        except Exception:  # a diagnostic only: pvmkit's internals may change
            return "unknown"

    def compile_blocks(self) -> float:
        """Seconds to compile every basic block to Python up front (the interpreter otherwise does it lazily, on
        a block's first execution; `Module.entry` is that lazily filled pc → function cache)."""
        entry = getattr(self.module, "entry", None)
        if entry is None or not hasattr(self.module.code, "valid_targets"):
            first = self.call(1)[0]  # another interpreter: estimate from a first and a second run
            return max(0.0, first - self.call(1)[0])
        start = time.perf_counter()
        for pc in sorted(self.module.code.valid_targets()):
            entry[pc]
        return time.perf_counter() - start

    def jit_compile(self, reps: int) -> tuple[float, int, float]:
        """Best of `reps` `JitCompiler(Module(blob, interpreter config)).compile()`; (s, native bytes, native share)."""
        from pvmkit.pvm.interpreter import Module, ModuleConfig
        from pvmkit.pvm.jit.compiler import JitCompiler

        best, program = math.inf, None
        for _ in range(reps):
            module = Module(self.blob, ModuleConfig(backend="interpreter"))  # fresh: decoding is cached per Module
            start = time.perf_counter()
            program = JitCompiler(module).compile()
            best = min(best, time.perf_counter() - start)
        assert program is not None
        total = sum(1 for _ in self.module.code.instructions())
        return best, len(program.code), program.native_instructions / total if total else 0.0


# --------------------------------------------------------------------------- the run


def _measure(
    row: CRow,
    call: Callable[[int], tuple[float, int]],
    program: CProgram,
    native: Native,
    target: float,
    reps: int,
    check: tuple[float, int] | None = None,
) -> None:
    """Check run at check_n, calibration, then the best of `reps` calls at the calibrated n; fills `row`."""
    seconds, checksum = check if check is not None else call(program.check_n)
    expected = native.checksum(program.check_n)
    if checksum != expected:
        row.problems.append(f"bench({program.check_n}) = {checksum}, native {expected}")
        return
    n = calibrate(lambda k: call(k)[0], program.check_n, target, seconds)
    best, results = _best(call, n, reps)
    row.n, row.seconds, row.calls = n, best, reps
    row.checksum = results.pop() if len(results) == 1 else None
    expected = native.checksum(n)
    if row.checksum != expected:
        got = row.checksum if row.checksum is not None else "different values"
        row.problems.append(f"bench({n}) = {got}, native {expected}")


def run_program(program: CProgram, engines: set[str], tools: dict[str, str], target: float, reps: int,
                compile_reps: int, log: Log) -> list[CRow]:  # fmt: skip
    rows = {e: CRow(program.name, e) for e in ENGINES if e == NATIVE or e in engines}
    # How to time each engine again at its calibrated n, (best seconds, checksums): a second round after all
    # engines ran (see below).
    again: dict[str, Callable[[], tuple[float, set[int]]]] = {}
    log(f"== C: {program.name} (unit: {program.unit})")
    C_BIN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=C_BIN) as tmp:
        work = Path(tmp)
        try:
            native = Native(program, tools, work)
        except Exception as err:
            reason = _first_line(err)
            log(f"   {NATIVE}: FAILED {reason}")
            for row in rows.values():
                row.error = f"failed: native build: {reason}" if row.engine != NATIVE else f"failed: {reason}"
            return list(rows.values())

        # gcc -O2: the reference (its checksums are what every other engine must give)
        row = rows[NATIVE]
        row.build_seconds, row.compile_seconds, row.code_bytes = native.build_seconds, 0.0, native.code_bytes
        try:
            row.n = calibrate(lambda k: native.call(k)[0], program.check_n, target)
            row.seconds, row.checksum = native.call(row.n, reps)
            row.calls = reps
            again[NATIVE] = lambda: _one_checksum(native.call(rows[NATIVE].n, reps))
        except Exception as err:
            row.error = f"failed: {_first_line(err)}"

        if CLANG in rows:
            row = rows[CLANG]
            try:
                other = Native(program, tools, work, "clang-19")
                row.build_seconds, row.compile_seconds, row.code_bytes = other.build_seconds, 0.0, other.code_bytes
                _measure(row, other.call, program, native, target, 1)
                if row.ok:  # best of `reps` calls inside one driver run, as for gcc
                    row.seconds, _ = other.call(row.n, reps)
                    row.calls = reps
                    again[CLANG] = lambda: _one_checksum(other.call(rows[CLANG].n, reps))
            except Exception as err:
                row.error = f"failed: {_first_line(err)}"

        for engine, fuel in ((WASM, False), (WASM_FUEL, True)):
            if engine not in rows:
                continue
            row = rows[engine]
            try:
                wasm = Wasm(program, tools, work, compile_reps, fuel)
                row.build_seconds, row.compile_seconds, row.code_bytes = (
                    wasm.build_seconds, wasm.compile_seconds, wasm.code_bytes,
                )  # fmt: skip
                _measure(row, wasm.call, program, native, target, reps)
                again[engine] = lambda wasm=wasm, row=row: _best(wasm.call, row.n, reps)
            except Exception as err:
                row.error = f"failed: {_first_line(err)}"

        if INTERPRETER in rows or JIT in rows:
            try:
                blob, build, link = build_pvm(program, tools, work)
            except Exception as err:  # LinkError and clang errors: reported, never raised
                blob, reason = None, _first_line(err)
                for e in (INTERPRETER, JIT):
                    if e in rows:
                        rows[e].error = f"failed: {reason}"
            if blob is not None:
                for engine, backend in ((INTERPRETER, "interpreter"), (JIT, "jit")):
                    if engine not in rows:
                        continue
                    row = rows[engine]
                    row.build_seconds, row.link_seconds = build, link
                    try:
                        pvm = _run_pvm(row, blob, backend, program, native, target, reps, compile_reps)
                        again[engine] = lambda pvm=pvm, row=row: _best(pvm.call, row.n, reps)
                    except Exception as err:
                        row.error = f"failed: {_first_line(err)}"
        # This machine's speed drifts by up to 2x for seconds at a time (shared vCPUs), and each engine's calls
        # above ran back to back: a second round, after every engine has run, keeps each engine's best of both.
        for engine, measure in again.items():
            row = rows[engine]
            if row.ok and row.calls:
                try:
                    seconds, checksums = measure()
                except Exception as err:  # the first round's timing stands; the failure is reported with it
                    row.problems.append(f"second timing round failed: {_first_line(err)}")
                    continue
                if checksums != {row.checksum}:
                    row.problems.append(f"second round: bench({row.n}) gave {sorted(checksums)}, first {row.checksum}")
                row.seconds = min(row.seconds, seconds)
                row.calls += reps
    out = list(rows.values())
    base = rows[NATIVE].per_unit if rows[NATIVE].ok else 0.0
    for row in out:
        if row.error:
            log(f"   {row.engine:20} {row.error}")
            continue
        ratio = f"{row.per_unit / base:8.2f}× native" if base else ""
        verdict = "ok" if not row.problems else "WRONG: " + "; ".join(row.problems)
        per = f"{row.per_unit * 1e9:12,.1f} ns/unit (n = {row.n:,})" if row.calls else "not timed"
        log(f"   {row.engine:20} {per} {ratio}  {verdict}")
    return out


def _one_checksum(timed: tuple[float, int]) -> tuple[float, set[int]]:
    return timed[0], {timed[1]}


def _best(call: Callable[[int], tuple[float, int]], n: int, reps: int) -> tuple[float, set[int]]:
    """(best seconds, checksums) of `reps` calls of bench(n)."""
    runs = [call(n) for _ in range(reps)]
    return min(t for t, _ in runs), {c for _, c in runs}


def _run_pvm(row: CRow, blob: bytes, backend: str, program: CProgram, native: Native, target: float, reps: int,
             compile_reps: int) -> Pvm:  # fmt: skip
    pvm = Pvm(blob, backend)
    row.code_bytes = pvm.code_bytes
    check = None
    if backend == "jit":
        row.compile_seconds, row.native_bytes, row.native_share = pvm.jit_compile(compile_reps)
        pvm.call(1)  # compiles this module's native code (not timed)
        kinds: Counter[str] = Counter()
        pvm.call(program.check_n, kinds)
        row.fallbacks = sum(kinds.values()) / program.check_n
        row.fallback_kinds = dict(kinds.most_common())
        check = pvm.call(program.check_n)  # the counted run is not timed
    else:
        row.compile_seconds = pvm.load_seconds + pvm.compile_blocks()

    _measure(row, pvm.call, program, native, target, reps, check)
    return pvm


def run_suite(programs: list[CProgram], engines: set[str], target: float, reps: int, compile_reps: int,
              install: bool, log: Log) -> CReport:  # fmt: skip
    report = CReport(programs=programs, target=target, reps=reps)
    try:
        tools = find_tools(install, log)
    except PeerUnavailable as err:
        report.skipped = f"C suite skipped: {err}"
        log(f"== C suite: SKIPPED ({err})")
        return report
    report.tools = tool_versions(tools)
    try:
        from pvmkit.pvm.jit import check_supported

        check_supported()
    except Exception as err:
        if JIT in engines:
            report.notes.append(f"pvmkit-jit unavailable here: {_first_line(err)}")
            engines = engines - {JIT}
    for program in programs:
        report.rows += run_program(program, engines, tools, target, reps, compile_reps, log)
    return report
