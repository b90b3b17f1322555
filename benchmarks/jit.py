"""Measurements for pvmkit's x86-64 JIT beyond the execution rows: a gcc -O2 baseline, compile speed
(next to wasmtime's) and the host-call round trip.

* `GccNative` (engine `gcc-O2`): `benchmarks/native/{alu_loop,sieve}.c`, the same algorithms as the PVM
  programs, built with `gcc -O2` into `benchmarks/.peers/native/` on demand and run as a subprocess that
  times only the compute (clock_gettime around the loop; N comes from argv, the result is printed);
* compile speed: `JitCompiler(module).compile()` on every blob in `tests/contracts/build/`, and wasmtime
  (Cranelift) compiling wasm modules: clang-19-compiled C (`native/wasm_corpus.c`), a generated module of
  small functions, and anan-as's `release.wasm` when that peer is installed;
* the round trip: a PVM loop of `ecalli 0` driven from Python (`inst.run()` returns ECALLI, run again).
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .peers import ANAN_DIST, HERE, PEERS_DIR, Engine, Log, PeerUnavailable, RunResult, _run, _tail
from .programs import Workload

NATIVE_SRC = HERE / "native"
NATIVE_BIN = PEERS_DIR / "native"
CONTRACTS = HERE.parent / "tests" / "contracts" / "build"
GCC_FLAGS = ("-O2",)
WASM_FLAGS = ("--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-Wl,--export-all", "-Wl,--allow-undefined")
WASMTIME_VERSION = "50.0.1"  # installed when wasmtime is missing; any installed version is used as it is
NATIVE_SOURCES = {"alu-loop": "alu_loop.c", "sieve": "sieve.c"}
GENERATED_FUNCTIONS = 2000
MAX_REPS = 100_000


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()[:12]


def _tool_version(tool: str) -> str:
    try:
        out = _run([tool, "--version"], timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.splitlines()[0].strip() if out else ""


# --------------------------------------------------------------------------- gcc -O2 baseline


def gcc_binary() -> str:
    gcc = shutil.which("gcc")
    if gcc is None:
        raise PeerUnavailable("gcc is not on PATH (Debian: apt-get install gcc); the native baseline is skipped")
    return gcc


def _cached_build(command: list[str], source: Path, out: Path, failure: Callable[[Any], str]) -> Path:
    """Run `command -o OUT SOURCE` unless `out` (named by a hash of its inputs) exists; the result appears
    atomically. A failed build raises PeerUnavailable with `failure(completed_process)`."""
    if not out.exists():
        NATIVE_BIN.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        done = _run([*command, "-o", str(tmp), str(source)], timeout=300)
        if done.returncode != 0:
            raise PeerUnavailable(failure(done))
        tmp.replace(out)
    return out


def build_native(program: str) -> Path:
    """`benchmarks/.peers/native/<program>-<hash>`, compiled with gcc -O2 unless it is already there."""
    gcc = gcc_binary()
    source = NATIVE_SRC / NATIVE_SOURCES[program]
    binary = NATIVE_BIN / f"{source.stem}-{_digest(source.read_bytes(), _tool_version(gcc), *GCC_FLAGS)}"
    return _cached_build([gcc, *GCC_FLAGS], source, binary, lambda done: (
        f"gcc {' '.join(GCC_FLAGS)} {source.name} failed:\n{_tail(done.stderr + done.stdout)}"))


def run_native(binary: Path, n: int, reps: int) -> tuple[int, int, float]:
    """(result, reps, seconds of compute summed over the reps) from one run of a native benchmark."""
    proc = subprocess.run([str(binary), str(n), str(reps)], capture_output=True, text=True, timeout=600)
    fields = dict(re.findall(r"(\w+)=(\S+)", proc.stdout))
    if proc.returncode != 0 or "seconds" not in fields:
        raise RuntimeError(f"{binary.name} {n} {reps} failed (exit {proc.returncode}): {_tail(proc.stderr, 3)}")
    return int(fields["result"]), int(fields["reps"]), float(fields["seconds"])


class GccNative(Engine):
    """The same algorithm in C, `gcc -O2`, timed inside the process around the compute only."""

    name = "gcc-O2"
    description = (
        "benchmarks/native/*.c (same algorithms), gcc -O2, subprocess timing only the compute (clock_gettime); "
        "its instructions are the PVM program's, i.e. equivalent work, and only its result is checked"
    )
    big = True

    def prepare(self, log: Log, install: bool) -> None:
        gcc = gcc_binary()
        self.description = self.description.replace("gcc -O2", f"{_tool_version(gcc) or 'gcc'} -O2", 1)
        for program in NATIVE_SOURCES:
            build_native(program)

    def run(self, workload: Workload, target_seconds: float) -> RunResult:
        binary = build_native(workload.program)
        result, reps, seconds = run_native(binary, workload.param, 1)
        if seconds < target_seconds:  # calibrated: enough repetitions to reach about the target time
            reps = min(MAX_REPS, max(1, math.ceil(target_seconds / max(seconds, 1e-6))))
            result, reps, seconds = run_native(binary, workload.param, reps)
        return RunResult(self.name, "halt", result, workload.instructions, reps, seconds)


def iterations(workload: Workload) -> int:
    """What `ns/iteration` divides by: loop iterations for alu-loop, numbers sieved (N) for sieve."""
    return workload.param


# --------------------------------------------------------------------------- compile speed


ERC20 = "ERC20.polkavm"  # the blob whose compile is also timed in parts (CompileStat.phases)


@dataclass
class CompileStat:
    """JitCompiler on one blob (best of `reps`)."""

    name: str
    blob_bytes: int
    code_bytes: int  # the PVM code section
    instructions: int
    native_instructions: int
    native_bytes: int
    seconds: float  # best of reps, cold: an empty template library
    warm_seconds: float  # best of reps, the template library holding the other blobs' templates
    reps: int
    # Where the time goes (ERC-20 only), cold then warm: (decode s, allocate s, the rest s, templates built).
    phases: tuple[tuple[float, float, float, int], ...] = ()

    @property
    def rate(self) -> float:
        """Bytes of PVM code per second (cold)."""
        return self.code_bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def warm_rate(self) -> float:
        return self.code_bytes / self.warm_seconds if self.warm_seconds > 0 else 0.0


@dataclass
class WasmStat:
    """wasmtime compiling one module: single-threaded and with its default parallel compilation (best of reps)."""

    name: str
    description: str
    wasm_bytes: int
    functions: int
    seconds: float  # parallel_compilation = False
    parallel_seconds: float
    reps: int

    @property
    def rate(self) -> float:
        return self.wasm_bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def parallel_rate(self) -> float:
        return self.wasm_bytes / self.parallel_seconds if self.parallel_seconds > 0 else 0.0


@dataclass
class CompileReport:
    blobs: list[CompileStat] = field(default_factory=list)
    wasm: list[WasmStat] = field(default_factory=list)
    wasmtime_version: str = ""
    jit_error: str | None = None
    wasm_notes: list[str] = field(default_factory=list)  # modules skipped and why

    @property
    def total(self) -> CompileStat | None:
        if len(self.blobs) <= 1:
            return self.blobs[0] if self.blobs else None
        b = self.blobs

        def s(attr: str) -> int:
            return sum(getattr(x, attr) for x in b)

        return CompileStat(
            f"all {len(b)} blobs", s("blob_bytes"), s("code_bytes"), s("instructions"), s("native_instructions"),
            s("native_bytes"), sum(x.seconds for x in b), sum(x.warm_seconds for x in b), min(x.reps for x in b),
        )  # fmt: skip

    def erc20(self) -> CompileStat | None:
        return next((x for x in self.blobs if x.name == ERC20), None)


def measure_jit_compile(paths: list[Path], reps: int) -> list[CompileStat]:
    """Best-of-reps `JitCompiler(module).compile()` per blob; each rep gets a fresh Module (decoding included).

    Twice: cold, with the process-wide template library (compiler.TEMPLATES) and decoded instructions
    (program.DECODED) emptied first, as a process's first compile; and warm, with them holding what the *other* blobs
    put there (never this blob's own), as in a test session that has compiled other contracts."""
    from pvmkit.pvm.blob import ProgramBlob
    from pvmkit.pvm.interpreter import Module, ModuleConfig
    from pvmkit.pvm.jit.compiler import TEMPLATES, JitCompiler
    from pvmkit.pvm.program import DECODED

    def fill(templates: dict, decoded: dict) -> None:
        TEMPLATES.clear()
        TEMPLATES.update(templates)
        DECODED.clear()
        DECODED.update({isa: dict(entries) for isa, entries in decoded.items()})

    config = ModuleConfig(backend="interpreter")
    clock = time.perf_counter
    raws = {path: path.read_bytes() for path in paths}
    own = {}
    for path, raw in raws.items():  # what each blob alone puts into the library and the decoded instructions
        fill({}, {})
        JitCompiler(Module(ProgramBlob.parse(raw), config)).compile()
        own[path] = (dict(TEMPLATES), {isa: dict(entries) for isa, entries in DECODED.items()})
    out = []
    for path, raw in raws.items():
        others: tuple[dict, dict] = ({}, {})
        for other in paths:
            if other != path:
                others[0].update(own[other][0])
                for isa, entries in own[other][1].items():
                    others[1].setdefault(isa, {}).update(entries)
        seconds = []  # cold, then warm
        program = None
        for library in (({}, {}), others):
            best = math.inf
            for _ in range(reps):
                fill(*library)
                blob = ProgramBlob.parse(raw)  # fresh: a blob's Code keeps what it decodes
                module = Module(blob, config)
                start = clock()
                program = JitCompiler(module).compile()
                best = min(best, clock() - start)
            seconds.append(best)
        assert program is not None
        module = Module(ProgramBlob.parse(raw), config)
        count = sum(1 for _ in module.code.instructions())
        phases = () if path.name != ERC20 else tuple(_phases(raw, lib, reps, fill) for lib in (({}, {}), others))
        out.append(CompileStat(path.name, len(raw), len(module.code), count, program.native_instructions,
                               len(program.code), *seconds, reps, phases))  # fmt: skip
    fill({}, {})
    return out


def _phases(raw: bytes, library: tuple[dict, dict], reps: int,
            fill: Callable[[dict, dict], None]) -> tuple[float, float, float, int]:  # fmt: skip
    """One compile in parts, best of reps each: decoding (`Code.decoded()` on a fresh module), register allocation, and
    the rest (`compile()` on the decoded module, minus its allocation): emission, stubs and fixups; and how many
    templates the compile added to the library."""
    from pvmkit.pvm.blob import ProgramBlob
    from pvmkit.pvm.interpreter import Module, ModuleConfig
    from pvmkit.pvm.jit.compiler import TEMPLATES, JitCompiler, allocate

    clock = time.perf_counter
    best = [math.inf, math.inf, math.inf]
    built = 0
    for _ in range(reps):
        fill(*library)
        module = Module(ProgramBlob.parse(raw), ModuleConfig(backend="interpreter"))
        start = clock()
        pcs, forms, _ = module.code.decoded()
        decoded = clock()
        allocate(pcs, forms)
        allocated = clock()
        before = len(TEMPLATES)
        JitCompiler(module).compile()
        done = clock()
        built = len(TEMPLATES) - before
        for i, t in enumerate((decoded - start, allocated - decoded, done - allocated - (allocated - decoded))):
            best[i] = min(best[i], t)
    return best[0], best[1], best[2], built


def wasmtime_version() -> str | None:
    import importlib.metadata as md

    try:
        return md.version("wasmtime")
    except md.PackageNotFoundError:
        return None


def ensure_wasmtime(log: Log, install: bool) -> str:
    version = wasmtime_version()
    if version is None:
        if not install:
            raise PeerUnavailable("the wasmtime Python package is not installed (run without --no-install)")
        log(f"installing wasmtime=={WASMTIME_VERSION} into {sys.prefix} ...")
        pip = _run([sys.executable, "-m", "pip", "install", "-q", f"wasmtime=={WASMTIME_VERSION}"], timeout=900)
        version = wasmtime_version()
        if pip.returncode != 0 or version is None:
            raise PeerUnavailable(f"pip install wasmtime=={WASMTIME_VERSION} failed: {_tail(pip.stderr, 3)}")
    return version


def find_clang() -> str | None:
    """clang-19 (or a newer clang-NN, or plain clang) that can link wasm32 (needs wasm-ld: apt-get install lld-19)."""
    names = ["clang-19", *(f"clang-{v}" for v in range(25, 19, -1)), "clang"]
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def clang_corpus(log: Log) -> tuple[bytes, str]:
    """native/wasm_corpus.c compiled to wasm32 by clang (cached in .peers/native); raises PeerUnavailable."""
    clang = find_clang()
    if clang is None:
        raise PeerUnavailable("no clang on PATH (Debian: apt-get install clang-19 lld-19)")
    source = NATIVE_SRC / "wasm_corpus.c"
    version = _tool_version(clang)
    out = NATIVE_BIN / f"wasm_corpus-{_digest(source.read_bytes(), version, *WASM_FLAGS)}.wasm"
    _cached_build([clang, *WASM_FLAGS], source, out,
                  lambda done: f"{Path(clang).name} could not build wasm32: {_tail(done.stderr, 2)}")
    flags = " ".join(WASM_FLAGS)
    short = re.sub(r"\s*\(.*$", "", version) or Path(clang).name
    return out.read_bytes(), f"benchmarks/native/wasm_corpus.c, `{Path(clang).name} {flags}` ({short})"


def generated_wat(functions: int = GENERATED_FUNCTIONS) -> str:
    """A module of `functions` small functions (arithmetic, a loop, memory, branches), deterministic."""
    parts = ['(module (memory (export "memory") 1)']
    for i in range(functions):
        k = i * 2654435761 % 1000 + 1
        parts.append(
            f'(func (export "f{i}") (param $a i32) (param $b i64) (result i64) (local $i i32) (local $acc i64)'
            f" (local.set $acc (i64.mul (local.get $b) (i64.const {k})))"
            f" (block $done (loop $top"
            f" (br_if $done (i32.ge_u (local.get $i) (local.get $a)))"
            f" (local.set $acc (i64.xor (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i)))"
            f" (i64.shr_u (local.get $acc) (i64.const {k % 63 + 1}))))"
            f" (i64.store (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 0xfff8)) (local.get $acc))"
            f" (local.set $i (i32.add (local.get $i) (i32.const 1)))"
            f" (br $top)))"
            f" (if (result i64) (i64.gt_u (local.get $acc) (i64.const {k * 1000}))"
            f" (then (i64.sub (local.get $acc) (i64.load (i32.const {k * 8 % 4096}))))"
            f" (else (i64.rotl (local.get $acc) (i64.const {k % 64})))))"
        )
    parts.append(")")
    return "\n".join(parts)


def wasm_modules(log: Log, quick: bool) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    """(name, description, wasm bytes) of each module to compile, and notes on the ones skipped."""
    import wasmtime

    modules: list[tuple[str, str, bytes]] = []
    notes: list[str] = []
    try:
        wasm, how = clang_corpus(log)
        modules.append(("clang C corpus", how, wasm))
    except PeerUnavailable as e:
        notes.append(f"clang C corpus skipped: {e}")
        log(f"   SKIP clang C corpus: {e}")
    wat = generated_wat(GENERATED_FUNCTIONS // 4 if quick else GENERATED_FUNCTIONS)
    count = wat.count("(func ")
    modules.append((f"generated, {count:,} functions", f"{count:,} small generated functions (WAT, wasmtime.wat2wasm)",
                    wasmtime.wat2wasm(wat)))  # fmt: skip
    anan = ANAN_DIST / "release.wasm"
    if anan.exists() and not quick:
        modules.append(("anan-as release.wasm", "anan-as 1.2.0's AssemblyScript PVM interpreter (real-world wasm)",
                        anan.read_bytes()))  # fmt: skip
    elif not anan.exists():
        notes.append("anan-as release.wasm skipped: the anan peer is not installed")
    return modules, notes


def measure_wasmtime(modules: list[tuple[str, str, bytes]], reps: int) -> list[WasmStat]:
    """Best-of-reps `wasmtime.Module(engine, wasm)` with a fresh Engine each time (no compilation cache)."""
    import wasmtime

    clock = time.perf_counter
    out = []
    for name, description, wasm in modules:
        best = {False: math.inf, True: math.inf}
        functions = 0
        for parallel in (False, True):
            for _ in range(reps):
                config = wasmtime.Config()
                config.parallel_compilation = parallel
                engine = wasmtime.Engine(config)
                start = clock()
                module = wasmtime.Module(engine, wasm)
                best[parallel] = min(best[parallel], clock() - start)
                functions = sum(1 for e in module.exports if isinstance(e.type, wasmtime.FuncType))
        out.append(WasmStat(name, description, len(wasm), functions, best[False], best[True], reps))
    return out


def run_compile(jit: bool, wasm: bool, quick: bool, reps: int, install: bool, log: Log) -> CompileReport:
    report = CompileReport()
    log(f"== compile speed (best of {reps})")
    if jit:
        try:
            from pvmkit.pvm.jit import check_supported

            check_supported()  # the compiler itself is portable, but this section is about the JIT in use
            paths = sorted(CONTRACTS.glob("*.polkavm"))
            if quick:
                paths = [p for p in paths if p.name == "ERC20.polkavm"]
            if not paths:
                raise PeerUnavailable(f"no .polkavm blobs in {CONTRACTS}")
            report.blobs = measure_jit_compile(paths, reps)
            for s in [report.erc20(), report.total] if len(report.blobs) > 1 else [report.total]:
                if s is not None:
                    log(f"   pvmkit-jit {s.name:20} {s.code_bytes / 1e3:8.1f} KB in {s.seconds * 1e3:8.1f} ms = "
                        f"{s.rate / 1e3:8.1f} KB/s cold, {s.warm_seconds * 1e3:6.1f} ms = {s.warm_rate / 1e3:6.1f} "
                        f"KB/s warm, native {s.native_instructions / s.instructions:.1%}, "
                        f"x{s.native_bytes / s.code_bytes:.1f} bytes")  # fmt: skip
        except Exception as err:
            report.jit_error = f"{type(err).__name__}: {err}".splitlines()[0]
            log(f"   pvmkit-jit compile: FAILED {report.jit_error}")
    if wasm:
        try:
            report.wasmtime_version = ensure_wasmtime(log, install)
            modules, report.wasm_notes = wasm_modules(log, quick)
            report.wasm = measure_wasmtime(modules, reps)
            for w in report.wasm:
                log(f"   wasmtime {w.name:26} {w.wasm_bytes / 1e3:8.1f} KB in {w.seconds * 1e3:8.1f} ms = "
                    f"{w.rate / 1e6:6.3f} MB/s (parallel {w.parallel_rate / 1e6:6.3f} MB/s)")  # fmt: skip
        except (PeerUnavailable, OSError, subprocess.SubprocessError, ImportError) as err:
            report.wasm_notes.append(f"wasmtime skipped: {str(err).splitlines()[0]}")
            log(f"   SKIP wasmtime: {err}")
    return report


# --------------------------------------------------------------------------- host-call round trip


@dataclass
class RoundTrip:
    backend: str
    calls: int
    seconds: float
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None
    via: str = "run"  # "run": each host call answered by calling inst.run() again; "serve": by inst.serve's handler

    @property
    def us(self) -> float:
        return self.seconds / self.calls * 1e6 if self.calls else 0.0


def host_call_program(n: int | str) -> str:
    return f"pub @main:\n    a1 = {n}\n@loop:\n    ecalli 0\n    a1 = a1 - 1\n    jump @loop if a1 != 0\n    ret\n"


def measure_round_trip(backend: str, n: int, via: str = "run") -> RoundTrip:
    """`n` host calls from a PVM loop, each answered by calling `inst.run()` again, or (via "serve") by the handler
    `inst.serve` calls, as the contract host does; µs per round trip."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.interpreter import InterruptKind, Module, ModuleConfig

    module = Module(assemble(host_call_program(n)), ModuleConfig(backend=backend))
    if module.backend != backend:
        raise PeerUnavailable(f"ModuleConfig(backend={backend!r}) gave the {module.backend} backend")
    inst = module.instantiate()
    inst.prepare_call("main")
    inst.gas = gas = 10**12
    ecalli = InterruptKind.ECALLI
    run = inst.run
    calls = 0
    clock = time.perf_counter
    if via == "serve":
        counted = [0]

        def answer(number: int, regs: object, left: int) -> int:
            counted[0] += 1
            return left

        start = clock()
        interrupt = inst.serve(answer)
        calls = counted[0]
    else:
        start = clock()
        interrupt = run()
        while interrupt.kind is ecalli:
            calls += 1
            interrupt = run()
    seconds = clock() - start
    problems = []
    if interrupt.kind is not InterruptKind.FINISHED:
        problems.append(f"ended with {interrupt}, expected finished")
    if calls != n:
        problems.append(f"{calls} host calls, expected {n}")
    used = gas - inst.gas
    if used != 3 * n + 3:  # a1 = n, fallthrough, 3 per iteration, ret
        problems.append(f"gas used {used}, expected {3 * n + 3}")
    return RoundTrip(backend, calls, seconds, problems, via=via)
