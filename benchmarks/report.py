"""Result table (terminal and Markdown) and the generated BENCHMARKS.md."""

from __future__ import annotations

import datetime
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pvmkit.pvm.interpreter import COMPILED_WEIGHT, ModuleConfig
from pvmkit.revive.chain import CONTRACT_JIT_AT_ONCE

from . import csuite
from .erc20 import DeployTiming, Erc20Report, Split
from .jit import CompileReport, RoundTrip, host_call_program
from .peers import RunResult
from .programs import Workload

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
REFERENCE = "pvmkit-interpreter"


@dataclass
class Row:
    """One (program, engine) cell of the table: a measurement, or why there is none."""

    workload: Workload
    engine: str
    result: RunResult | None = None
    skipped: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.problems


def machine_facts() -> dict[str, str]:
    """Machine, CPU, interpreter versions and date, for the report header."""
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip().lower(), value.strip())
    except OSError:
        pass
    cpu = info.get("model name", platform.processor() or "unknown")
    detail = [f"family {info['cpu family']} model {info['model']}"] if "cpu family" in info and "model" in info else []
    if "cpu mhz" in info:
        detail.append(f"{float(info['cpu mhz']):.0f} MHz")
    detail.append(f"{os.cpu_count()} logical CPUs")
    facts = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine (uname -m)": platform.machine(),
        "CPU (/proc/cpuinfo)": f"{cpu} ({', '.join(detail)})",
        "OS": f"{platform.system()} {platform.release()}",
        "Python (pvmkit)": f"{platform.python_implementation()} {platform.python_version()}",
    }
    commit = _git("rev-parse", "--short", "HEAD")
    if commit:
        dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--", "pvmkit") else ""
        facts["pvmkit commit"] = commit + dirty
    return facts


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _reference_rates(rows: list[Row]) -> dict[str, float]:
    return {r.workload.program: r.result.rate for r in rows if r.engine == REFERENCE and r.ok and r.result}


def _cells(row: Row, ref: dict[str, float]) -> list[str]:
    w = row.workload
    if row.result is None:
        return [w.program, f"{w.param:,}", row.engine, "—", "—", "—", "—", "—", f"skipped: {row.skipped}"]
    r = row.result
    base = ref.get(w.program)
    ratio = f"{r.rate / base:.3f}×" if base and row.ok else "n/a"
    check = "ok" if row.ok else "WRONG: " + "; ".join(row.problems)
    return [
        w.program,
        f"{w.param:,}",
        row.engine,
        f"{r.instructions:,}",
        str(r.runs),
        f"{r.seconds:.3f}",
        f"{r.rate / 1e6:.3f}",
        ratio,
        check,
    ]


HEADERS = ["program", "N", "engine", "instructions", "runs", "seconds", "M instr/s", "vs pvmkit", "check"]


def text_table(rows: list[Row]) -> str:
    """Fixed-width table for the terminal."""
    ref = _reference_rates(rows)
    body = [_cells(r, ref) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(HEADERS)] if body else []
    numeric = {1, 3, 4, 5, 6, 7}

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [fmt(HEADERS), "  ".join("-" * w for w in widths)]
    last = None
    for row, cells in zip(rows, body, strict=True):
        if last is not None and row.workload.program != last:
            lines.append("")
        last = row.workload.program
        lines.append(fmt(cells))
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    ref = _reference_rates(rows)
    out = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join(["---", "---:", "---"] + ["---:"] * 5 + ["---"]) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r, ref)) + " |" for r in rows]
    return "\n".join(out)


def summary(rows: list[Row]) -> list[str]:
    """One sentence per (program, peer): how pvmkit compares."""
    ref = _reference_rates(rows)
    ref_n = {r.workload.program: r.workload.param for r in rows if r.engine == REFERENCE}
    lines = []
    for row in rows:
        base = ref.get(row.workload.program)
        if row.engine == REFERENCE or not base or not row.ok or row.result is None:
            continue
        ratio = base / row.result.rate
        program = row.workload.program
        engine = (
            row.engine if row.workload.param == ref_n.get(program) else f"{row.engine} (N = {row.workload.param:,})"
        )
        if ratio >= 1:
            lines.append(f"{program}: {REFERENCE} is {ratio:.2f}× as fast as {engine}")
        else:
            lines.append(f"{program}: {engine} is {1 / ratio:.2f}× as fast as {REFERENCE}")
    return lines


def write_markdown(
    rows: list[Row],
    facts: dict[str, str],
    engines: dict[str, str],
    command: str,
    path: Path = BENCHMARKS_MD,
    erc20: Erc20Report | None = None,
    compile_report: CompileReport | None = None,
    round_trips: list[RoundTrip] | None = None,
    c_report: csuite.CReport | None = None,
) -> None:
    """(Re)write BENCHMARKS.md with this run's results."""
    workloads: dict[tuple[str, int], Workload] = {}
    for r in rows:
        workloads.setdefault((r.workload.program, r.workload.param), r.workload)
    ordered = sorted(workloads.values(), key=lambda w: (w.program, w.param))
    native = native_cells(rows)
    parts = [
        "# Benchmarks",
        "",
        f"Generated by `{command}` — do not edit by hand; re-run it to refresh. "
        "All engines below were measured in the same run, on the same machine.",
        "",
        "## Machine",
        "",
        *(f"- **{k}**: {v}" for k, v in facts.items()),
        "",
        "## Engines",
        "",
        *(f"- **{name}**: {desc}" for name, desc in engines.items()),
        "",
        "## Programs",
        "",
        *(
            f"- **{w.program}** (N = {w.param:,}): {w.description}; {w.instructions:,} PVM instructions per run, "
            f"expected a0 = {w.expected_result}"
            for w in ordered
        ),
        *(
            [
                f"- **erc20**: resolc 0.3.0 `tests/contracts/build/ERC20.polkavm` (solc 0.8.30 `ERC20.evm.hex` for the "
                f'EVMs), constructor `("T", "T", 10**24)`; {erc20.transfers:,} `transfer(bob, 1)` calls '
                f"({erc20.pyevm_transfers:,} on py-evm), expected balanceOf(bob) = number of transfers"
            ]
            if erc20
            else []
        ),
        *(
            [
                f"- **host-call**: `{' / '.join(line.strip() for line in host_call_program('N').splitlines())}` "
                "(polkavm assembly, `pvmkit.pvm.asm.assemble`), driven from Python"
            ]  # fmt: skip
            if round_trips
            else []
        ),
        "",
        *(
            [
                "## Results: PVM execution",
                "",
                "The interpreters run the small N. pvmkit-jit and the gcc -O2 baseline run larger N, where one run "
                "takes milliseconds to a few tenths of a second (`seconds` / `runs`), so that per-call overhead does "
                "not count; the sieve at two sizes, one that mostly fits in the caches and one (32 MiB of flags) "
                "that does not. Every engine repeats its runs until the target time has accumulated.",
                "",
                markdown_table(rows),
                "",
                *(f"- {line}" for line in summary(rows)),
                "",
            ]
            if rows
            else []
        ),
        *(
            [
                "### The JIT next to gcc -O2",
                "",
                *_md_table(NATIVE_HEADERS, native, "lrrrrrrl"),
                "",
                *(f"- {line}" for line in native_summary(rows)),
                "",
            ]  # fmt: skip
            if native
            else []
        ),
        *(c_markdown(c_report) if c_report else []),
        *(compile_markdown(compile_report) if compile_report else []),
        *(round_trip_markdown(round_trips) if round_trips else []),
        *(erc20_markdown(erc20) if erc20 else []),
        "## Method",
        "",
        "- The interpreter programs are built with pvmkit's own encoder (`benchmarks/programs.py`); the peers receive "
        "the same code as a GP program (polkavm's section-6 payload), with the byte array mapped writable at 0x20000 "
        "as in polkavm's standard memory map.",
        "- Gas is 1 per instruction in every engine, so instructions = gas used. Each run's gas, final a0 and halt "
        "status are checked against a Python model of the program (`check` column).",
        "- Each engine runs the same program back to back until about the target time has accumulated (at least "
        "once); `runs` says how many times. Only the execution call is timed (`inst.run()`, tsrkit's "
        "`execute`, anan-as's `pvmResume`): process start-up, module loading and program decoding are excluded "
        "(so is the JIT's compilation, done by the first `instantiate()`).",
        "- `vs pvmkit` = engine rate / pvmkit-interpreter rate (above 1 means the peer is faster).",
        *(NATIVE_METHOD if native else []),
        *(C_METHOD if c_report and not c_report.skipped else []),
        *(COMPILE_METHOD if compile_report else []),
        *(ROUND_TRIP_METHOD if round_trips else []),
        *(ERC20_METHOD if erc20 else []),
        "",
    ]
    path.write_text("\n".join(parts))


# --------------------------------------------------------------------------- the JIT next to gcc -O2

NATIVE = "gcc-O2"
JIT = "pvmkit-jit"
NATIVE_HEADERS = [
    "program", "N", "pvmkit-jit ms/run", "gcc -O2 ms/run", "pvmkit-jit ns/iter", "gcc -O2 ns/iter", "JIT / gcc time",
    "check",
]  # fmt: skip
NATIVE_METHOD = [
    "- gcc-O2: `benchmarks/native/alu_loop.c` and `sieve.c` are the same algorithms as the PVM programs (64-bit "
    "sum loop; byte-array sieve with the same counting), built with `gcc -O2` into `benchmarks/.peers/native/` and "
    "run as a subprocess. N and the repeat count come from argv and the result is printed (and checked against the "
    "same model), so gcc can neither fold the loop nor drop it; the program times only the compute with "
    "`clock_gettime(CLOCK_MONOTONIC)` (the array is cleared before each repetition, outside the timed region, "
    "as the PVM's rw data is zeroed by `instantiate()`). Its `instructions` are the PVM program's, i.e. equivalent "
    "work. `ns/iter` is per loop iteration for alu-loop and per number sieved (run time / N) for sieve; "
    "`JIT / gcc time` = pvmkit-jit time per run / gcc -O2 time per run at the same N (1 would be native speed).",
]


def _per_run(row: Row) -> float | None:
    return row.result.seconds / row.result.runs if row.ok and row.result and row.result.runs else None


def _native_pairs(rows: list[Row]) -> list[tuple[Workload, Row | None, Row]]:
    jit = {(r.workload.program, r.workload.param): r for r in rows if r.engine == JIT}
    return [(r.workload, jit.get((r.workload.program, r.workload.param)), r) for r in rows if r.engine == NATIVE]


def native_cells(rows: list[Row]) -> list[list[str]]:
    out = []
    for w, jit, gcc in _native_pairs(rows):
        g = _per_run(gcc)
        j = _per_run(jit) if jit else None
        if g is None:
            reason = gcc.skipped or "; ".join(gcc.problems)
            out.append([w.program, f"{w.param:,}", "—", "—", "—", "—", "—", f"gcc: {reason}"])
            continue
        check = "ok" if j is not None else f"pvmkit-jit: {(jit.skipped or 'WRONG') if jit else 'not run'}"
        out.append([
            w.program,
            f"{w.param:,}",
            f"{j * 1e3:,.2f}" if j is not None else "—",
            f"{g * 1e3:,.2f}",
            f"{j / w.param * 1e9:.3f}" if j is not None else "—",
            f"{g / w.param * 1e9:.3f}",
            f"{j / g:.2f}×" if j is not None else "—",
            check,
        ])  # fmt: skip
    return out


def native_summary(rows: list[Row]) -> list[str]:
    lines = []
    for w, jit, gcc in _native_pairs(rows):
        g, j = _per_run(gcc), (_per_run(jit) if jit else None)
        if g is None or j is None:
            continue
        goal = " (goal: within 3×)" if w.program == "sieve" else ""
        lines.append(f"{w.program} (N = {w.param:,}): pvmkit-jit takes {j / g:.2f}× gcc -O2's time{goal}")
    return lines


def native_text(rows: list[Row]) -> str:
    cells = native_cells(rows)
    if not cells:
        return ""
    lines = ["The JIT next to gcc -O2 (same N)", *_fixed_table(NATIVE_HEADERS, cells, "lrrrrrrl")]
    return "\n".join([*lines, "", *native_summary(rows)])


# --------------------------------------------------------------------------- compile speed

COMPILE_HEADERS = [
    "pvmkit-jit compiles", "PVM code KB", "instructions", "translated natively", "native code KB",
    "native bytes per PVM byte", "compile ms (cold)", "KB/s (cold)", "compile ms (warm)", "KB/s (warm)",
]  # fmt: skip
WASM_HEADERS = [
    "wasmtime compiles", "wasm KB", "exported functions", "ms (1 thread)", "MB/s (1 thread)", "ms (parallel)",
    "MB/s (parallel)", "wasmtime / pvmkit-jit speed",
]  # fmt: skip
COMPILE_METHOD = [
    "- Compile speed: `JitCompiler(module).compile()` (decoding included: each repetition gets a fresh "
    '`Module(blob, ModuleConfig(backend="interpreter"))`, built and parsed outside the timing) on every blob in '
    "`tests/contracts/build/`, best of the repetitions per blob; KB/s = total PVM code bytes (the blobs' code "
    "sections) / the sum of the best times. Cold: the process-wide template library (`compiler.TEMPLATES`, "
    "templates keyed by where their registers live, shared by every compile) and decoded instructions "
    "(`program.DECODED`) are emptied before each repetition, as for a process's first compile; warm: they hold what "
    "the *other* blobs put there, never the blob's own, as in a session that has compiled other contracts. "
    "`translated natively` = "
    "`JitProgram.native_instructions` / all instructions (the rest run in the interpreter, one instruction at a "
    "time). wasmtime: "
    "`wasmtime.Module(engine, wasm)` (Cranelift, parse + validate + compile, no compilation cache) with a fresh "
    "`Engine` per repetition, best of the repetitions, once with `parallel_compilation = False` (one thread, like "
    "pvmkit's compiler) and once with its default parallel compilation (on this machine's CPUs, so it depends on "
    "how busy the others are). `wasmtime / pvmkit-jit speed` compares the one-thread MB/s with pvmkit-jit's over "
    "all blobs. 1 KB = 1,000 bytes.",
]


def _compile_cells(report: CompileReport) -> list[list[str]]:
    out = []
    rows = [report.erc20(), report.total] if len(report.blobs) > 1 else [report.total]
    for s in rows:
        if s is None:
            continue
        out.append([
            s.name,
            f"{s.code_bytes / 1e3:,.1f}",
            f"{s.instructions:,}",
            f"{s.native_instructions / s.instructions:.2%}" if s.instructions else "—",
            f"{s.native_bytes / 1e3:,.1f}",
            f"{s.native_bytes / s.code_bytes:.1f}" if s.code_bytes else "—",
            f"{s.seconds * 1e3:,.1f}",
            f"{s.rate / 1e3:,.1f}",
            f"{s.warm_seconds * 1e3:,.1f}",
            f"{s.warm_rate / 1e3:,.1f}",
        ])  # fmt: skip
    return out


def _wasm_cells(report: CompileReport) -> list[list[str]]:
    total = report.total
    base = total.rate if total else 0.0
    return [
        [
            w.name,
            f"{w.wasm_bytes / 1e3:,.1f}",
            f"{w.functions:,}",
            f"{w.seconds * 1e3:,.1f}",
            f"{w.rate / 1e6:.3f}",
            f"{w.parallel_seconds * 1e3:,.1f}",
            f"{w.parallel_rate / 1e6:.3f}",
            f"{w.rate / base:.1f}×" if base else "—",
        ]
        for w in report.wasm
    ]


def compile_summary(report: CompileReport) -> list[str]:
    lines = []
    total = report.total
    if total is not None:
        rates = [b.rate for b in report.blobs]
        spread = f"; {min(rates) / 1e3:,.0f}–{max(rates) / 1e3:,.0f} KB/s per blob" if len(rates) > 1 else ""
        lines.append(
            f"pvmkit-jit compiles {total.rate / 1e6:.3f} MB/s of PVM code cold ({total.rate / 1e3:,.0f} KB/s over "
            f"{total.name}{spread}) and {total.warm_rate / 1e6:.3f} MB/s warm; the target is ≥ 1 MB/s, "
            f"{'met' if total.rate >= 1e6 else f'{1e6 / total.rate:.1f}× away cold'}"
        )
        erc = report.erc20()
        if erc is not None:
            lines.append(f"ERC20.polkavm: {erc.code_bytes / 1e3:.1f} KB of code compiles in {erc.seconds * 1e3:.0f} ms "
                         f"cold, {erc.warm_seconds * 1e3:.0f} ms warm")  # fmt: skip
            if len(erc.phases) == 2:
                parts = [f"{label}: decoding {d * 1e3:.1f} ms, register allocation {a * 1e3:.1f} ms, emission, stubs "
                         f"and fixups {rest * 1e3:.1f} ms ({built:,} templates built)"
                         for label, (d, a, rest, built) in zip(("cold", "warm"), erc.phases, strict=True)]  # fmt: skip
                per = erc.seconds / erc.instructions * 1e6
                lines.append(f"where ERC20.polkavm's compile time goes ({erc.instructions:,} instructions, "
                             f"{per:.1f} µs each cold; best of {erc.reps} per part): " + "; ".join(parts))  # fmt: skip
    for w in report.wasm:
        if total is not None and total.rate:
            lines.append(f"wasmtime {report.wasmtime_version} on {w.name}: {w.rate / 1e6:.3f} MB/s on one thread, "
                         f"{w.rate / total.rate:.1f}× pvmkit-jit's speed ({w.description})")  # fmt: skip
    if report.jit_error:
        lines.append(f"pvmkit-jit compile failed: {report.jit_error}")
    lines += report.wasm_notes
    return lines


def compile_text(report: CompileReport) -> str:
    lines = ["Compile speed"]
    if report.blobs:
        lines += _fixed_table(COMPILE_HEADERS, _compile_cells(report), "lrrrrrrrrr")
    if report.wasm:
        lines += ["", *_fixed_table(WASM_HEADERS, _wasm_cells(report), "lrrrrrrr")]
    return "\n".join([*lines, "", *compile_summary(report)])


def compile_markdown(report: CompileReport) -> list[str]:
    reps = report.blobs[0].reps if report.blobs else report.wasm[0].reps if report.wasm else 0
    parts = ["## Compile speed: pvmkit's JIT and wasmtime", "", f"Best of {reps} per blob or module.", ""]
    if report.blobs:
        parts += [*_md_table(COMPILE_HEADERS, _compile_cells(report), "lrrrrrrrrr"), ""]
    if report.wasm:
        parts += [*_md_table(WASM_HEADERS, _wasm_cells(report), "lrrrrrrr"), ""]
    return [*parts, *(f"- {line}" for line in compile_summary(report)), ""]


# --------------------------------------------------------------------------- host-call round trip

ROUND_TRIP_HEADERS = ["backend", "answered by", "host calls", "seconds", "µs per round trip", "target ≤ 2 µs",
                      "check"]  # fmt: skip
ROUND_TRIP_METHOD = [
    "- Host-call round trip: the `host-call` program runs N `ecalli 0`; Python answers each either by calling "
    "`inst.run()` again (`run`), or in the handler `inst.serve(handler)` calls (`serve`, what the contract host "
    "does; the JIT calls it from inside its native loop), doing nothing else, so µs per round trip = total time / N, "
    "and includes the 3 PVM instructions of one loop iteration. The check is N host calls, a clean finish and "
    "3N + 3 gas.",
]


def _round_trip_cells(trips: list[RoundTrip]) -> list[list[str]]:
    out = []
    for t in trips:
        if t.skipped:
            out.append([f"pvmkit-{t.backend}", f"`{t.via}`", "—", "—", "—", "—", f"skipped: {t.skipped}"])
            continue
        out.append([
            f"pvmkit-{t.backend}", f"`{t.via}`", f"{t.calls:,}", f"{t.seconds:.3f}", f"{t.us:.2f}",
            "yes" if t.us <= 2 else "no", "ok" if not t.problems else "WRONG: " + "; ".join(t.problems),
        ])  # fmt: skip
    return out


def round_trip_text(trips: list[RoundTrip]) -> str:
    return "\n".join(["Host-call round trip", *_fixed_table(ROUND_TRIP_HEADERS, _round_trip_cells(trips), "llrrrll")])


def round_trip_markdown(trips: list[RoundTrip]) -> list[str]:
    return ["## Host-call round trip", "", *_md_table(ROUND_TRIP_HEADERS, _round_trip_cells(trips), "llrrrll"), ""]


# --------------------------------------------------------------------------- ERC-20 section

ERC20_HEADERS = ["engine", "calls", "seconds", "calls/s", "best chunk calls/s", "µs/call (best)", "vs pvmkit", "check"]

ERC20_METHOD = [
    "- ERC-20: every engine deploys the token, makes one untimed warm-up transfer to a third account (pvmkit's "
    "interpreter runs the call path's blocks there in tier 0, compiling each on its 16th run; the JIT compiled "
    'the whole module at deploy), then the timed transfers of 1 token to bob through its Python API; `check` '
    'reads balanceOf(bob) afterwards. pvmkit-abi and pvmkit-raw run on `Env(backend="interpreter")`, '
    'pvmkit-jit-abi and pvmkit-jit-raw on `Env(backend="jit")`. The timed transfers run in 10 equal chunks, and '
    'the in-process engines (the four pvmkit ones and the three pyrevm ones) take turns chunk by chunk, in '
    'rotating order, so that load from other processes falls on all of them alike (py-evm runs afterwards in its '
    "own process). `calls/s` is over all chunks, `best chunk calls/s` is the fastest chunk's (the least "
    "disturbed by other work on the machine), and `vs pvmkit` = best-chunk calls/s / pvmkit-abi's best-chunk "
    "calls/s (pvmkit-raw's when pvmkit-abi was not run). py-evm runs fewer calls because it is slow; each of its "
    'transfers is a signed transaction mined into its own block. pyrevm runs three ways: with eth-abi encoding '
    "each call (as a pyrevm script would), pyrevm-direct with the one-word encoding and decoding pvmkit's "
    '`Contract` generates for `transfer(address,uint256)` (the like-for-like peer of pvmkit-jit-abi: eth-abi '
    'alone takes ~15 µs a call, more than revm), and pyrevm-raw with the calldata encoded once.',
    "- The time split comes from a second, instrumented pass per pvmkit engine in which the VM "
    "(`Instance.start`, which enters a frame's code and hands each host call to the host; `JitInstance.start` for "
    "the JIT), the host-call handler it is given and `Host.run` are wrapped with `time.perf_counter` accumulators (no "
    "profiler); the headline calls/s are from the uninstrumented pass. PVM instructions are the gas the guest "
    "consumed (pvmkit charges one per instruction of each basic block it enters; on the JIT, counted over 20 more "
    "transfers with the host calls it answers natively turned off, as their fuel comes out of the same gas); "
    "`CallResult.gas_used` is larger because it is ref_time / ref_time_per_fuel and so includes the host functions' "
    "weights.",
]


def _erc20_cells(report: Erc20Report) -> list[list[str]]:
    ref = (report.reference() or ("", 0.0))[1]
    out = []
    for row in report.rows:
        if row.result is None:
            out.append([row.engine, "—", "—", "—", "—", "—", "—", f"skipped: {row.skipped}"])
            continue
        r = row.result
        problems = r.problems()
        ratio = f"{r.best_rate / ref:.3f}×" if ref and not problems else "n/a"
        out.append([
            row.engine,
            f"{r.calls:,}",
            f"{r.seconds:.3f}",
            f"{r.rate:,.1f}",
            f"{r.best_rate:,.1f}",
            f"{1e6 / r.best_rate:,.1f}" if r.best_rate else "—",
            ratio,
            "ok" if not problems else "WRONG: " + "; ".join(problems),
        ])  # fmt: skip
    return out


def erc20_summary(report: Erc20Report) -> list[str]:
    reference = report.reference()
    if reference is None:
        return []
    name, ref = reference
    lines = []
    for row in report.rows:
        if row.engine == name or not row.ok or row.result is None:
            continue
        ratio = row.result.best_rate / ref
        if ratio >= 1:
            lines.append(f"erc20: {row.engine} makes {ratio:.2f}× as many calls/s as {name}")
        else:
            lines.append(f"erc20: {name} makes {1 / ratio:.2f}× as many calls/s as {row.engine}")
    # The goal (the JIT against pyrevm), like for like: both encoding and decoding with the same one-word code, and
    # both with calldata encoded once (not against pyrevm with eth-abi, whose ~15 µs per call would decide it).
    rates = {row.engine: row.result.best_rate for row in report.rows if row.ok and row.result is not None}
    for ours, theirs in (("pvmkit-jit-abi", "pyrevm-direct"), ("pvmkit-jit-raw", "pyrevm-raw")):
        if ours in rates and theirs in rates:
            ratio = rates[ours] / rates[theirs]
            met = "met" if ratio > 1 else "not met"
            lines.append(f"erc20: {ours} makes {ratio:.2f}× as many calls/s as {theirs} (goal > 1×: {met})")
    return lines


def _split_lines(splits: list[Split], report: Erc20Report) -> tuple[list[str], list[list[str]]]:
    """(column headers, rows) of the pvmkit time split, one column per path."""
    rates = {r.engine: r.result.rate for r in report.rows if r.result is not None}
    heads = {
        "abi": "interpreter, ABI path (`token.transfer`)",
        "raw": "interpreter, raw path (`env.call`)",
        "jit-abi": "JIT, ABI path",
        "jit-raw": "JIT, raw path",
    }
    uninstrumented = {s.path: rates.get("pvmkit-" + s.path) for s in splits}  # overall, not best chunk

    def us(seconds: float, s: Split) -> str:
        return f"{seconds / s.calls * 1e6:,.0f} µs ({seconds / s.total:.1%})"

    rows = [
        ["total per transfer (instrumented)"] + [f"{s.total / s.calls * 1e6:,.0f} µs" for s in splits],
        ["VM: inside `Instance.start` minus its host calls"] + [us(s.vm, s) for s in splits],
        ["host: inside `Host.run`, minus VM"] + [us(s.host_only, s) for s in splits],
        ["API/ABI/state: total minus `Host.run`"] + [us(s.outside, s) for s in splits],
        ["PVM instructions per transfer"] + [f"{s.instructions / s.calls:,.0f}" for s in splits],
        ["VM runs per transfer (host calls + 1)"] + [f"{s.vm_runs / s.calls:,.1f}" for s in splits],
        ["VM speed (instructions / VM time)"] + [f"{s.vm_rate / 1e6:.2f} M instr/s" for s in splits],
        ["calls/s instrumented (uninstrumented)"]
        + [
            f"{s.calls / s.total:,.0f} ({uninstrumented[s.path]:,.0f})" if uninstrumented.get(s.path)
            else f"{s.calls / s.total:,.0f}"
            for s in splits
        ],
    ]  # fmt: skip
    return ["pvmkit, per transfer", *(heads.get(s.path, s.path) for s in splits)], rows


def _deploy_rows(report: Erc20Report) -> list[list[str]]:
    d, j = report.deploy, report.jit_deploy
    if d is None and j is None:
        return []

    def ms(x: float) -> str:
        return f"{x * 1e3:,.1f}"

    def cells(t: DeployTiming | None, key: str, n_blocks: bool) -> list[str]:
        if t is None:
            return ["—"] * (3 if n_blocks else 2)
        if key == "steady_call":
            out = [ms(t.steady_call), "0.0", "0"]
        else:
            out = [ms(getattr(t, key)), ms(getattr(t, key + "_compile")), str(getattr(t, key + "_blocks"))]
        return out if n_blocks else out[:2]

    labels = [
        ("first", "first deploy in this process, fresh `Env` (upload, validate, Module, constructor)"),
        ("first_call", "first transfer in that Env (interpreter: call-path blocks in tier 0)"),
        ("steady_call", "a later transfer in that Env (steady state)"),
        ("same_env", "second deploy of the same code in the same Env (Module cached)"),
        ("second_env", "deploy in a second fresh `Env` (modules are cached per process)"),
    ]
    a = report.auto_deploy
    return [[label, *cells(d, key, True), *cells(j, key, False), *cells(a, key, False)[:1]] for key, label in labels]


DEPLOY_HEADERS = [
    "pvmkit deploy", "interpreter ms", "of which block compile ms", "blocks compiled", "JIT ms",
    "of which compile ms (native + fallback)", "auto ms",
]  # fmt: skip
DEPLOY_ALIGN = "lrrrrrr"


def _md_table(headers: list[str], rows: list[list[str]], align: str) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def _fixed_table(headers: list[str], rows: list[list[str]], align: str) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align, strict=True)
        ).rstrip()

    return [fmt(headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]


def _fuel_line(report: Erc20Report) -> list[str]:
    parts = []
    if report.pvmkit_fuel:
        parts.append(f"pvmkit `CallResult.gas_used` {report.pvmkit_fuel:,} fuel (ref_time / ref_time_per_fuel)")
    if report.pyrevm_gas:
        parts.append(f"pyrevm {report.pyrevm_gas:,} EVM gas (lower than a transaction's: `message_call` never "
                     "commits its journal, so the slots stay warm from call to call)")
    if report.pyevm_gas:
        parts.append(f"py-evm {report.pyevm_gas:,} EVM gas (intrinsic 21,000 included)")
    return ["Cost of one steady-state transfer as each engine reports it: " + "; ".join(parts) + "."] if parts else []


def erc20_text(report: Erc20Report) -> str:
    lines = _fixed_table(ERC20_HEADERS, _erc20_cells(report), "lrrrrrrl")
    if report.splits:
        heads, rows = _split_lines(report.splits, report)
        lines += ["", *_fixed_table(heads, rows, "l" + "r" * len(report.splits))]
    if report.deploy or report.jit_deploy:
        lines += ["", *_fixed_table(DEPLOY_HEADERS, _deploy_rows(report), DEPLOY_ALIGN)]
    for which, error in (
        ("interpreter", report.deploy_error),
        ("JIT", report.jit_deploy_error),
        ("auto", report.auto_deploy_error),
    ):
        if error:
            lines += ["", f"deploy timing ({which}) failed: {error}"]
    fuel = _fuel_line(report)
    if fuel:
        lines += ["", *fuel]
    return "\n".join(lines)


def erc20_markdown(report: Erc20Report) -> list[str]:
    parts = ["## ERC-20 transfers", "", *_md_table(ERC20_HEADERS, _erc20_cells(report), "lrrrrrrl"), ""]
    parts += [f"- {line}" for line in erc20_summary(report)]
    parts += [f"- {row.engine}: {row.result.note}" for row in report.rows if row.result is not None and row.result.note]
    parts += [f"- {line}" for line in _fuel_line(report)]
    parts.append("")
    if report.splits:
        heads, rows = _split_lines(report.splits, report)
        parts += ["### Where pvmkit's time goes", "", *_md_table(heads, rows, "l" + "r" * len(report.splits)), ""]
    if report.deploy or report.jit_deploy:
        parts += ["### Deploy and the module cache", ""]
        parts += [*_md_table(DEPLOY_HEADERS, _deploy_rows(report), DEPLOY_ALIGN), ""]
        parts += [
            "- Compiled `Module`s (with their compiled blocks, or the JIT's native code) are cached per process by "
            "blob hash and config (`pvm.interpreter.load_module`): a second `Env` deploying the same code reuses "
            "them, so only the first deploy in a process pays for compilation. The interpreter runs a basic block "
            "in tier 0 (prebuilt per-instruction closures) for its first 15 runs and compiles it to Python on the "
            "16th; the JIT compiles the whole module to x86-64 on its first `instantiate()` (`CompiledModule`), "
            "plus single-instruction interpreter segments for any instruction it hands back. `auto` (the default "
            f"backend) JIT-compiles a contract of up to {CONTRACT_JIT_AT_ONCE >> 10} KiB of code on its first "
            "`instantiate()` (`Env`, `Chain`), and interprets other modules until they have run "
            f"{ModuleConfig().jit_after} instructions per byte of code (a block compiled to Python counting "
            f"{COMPILED_WEIGHT} per instruction), then JIT-compiles them. "
            "Each timing is one run, taken after a full garbage collection (as in a new process).",
            "",
        ]
    for which, error in (
        ("interpreter", report.deploy_error),
        ("JIT", report.jit_deploy_error),
        ("auto", report.auto_deploy_error),
    ):
        if error:
            parts += [f"Deploy timing ({which}) failed: {error}", ""]
    return parts


# --------------------------------------------------------------------------- C programs: native, wasm and PVM

C_ENGINES = [csuite.NATIVE, csuite.CLANG, csuite.WASM, csuite.WASM_FUEL, csuite.INTERPRETER, csuite.JIT]
C_PIVOT_HEADERS = [
    "program", "unit", "gcc -O2", "clang-19 -O2", "wasmtime", "wasmtime + fuel", "pvmkit-interpreter", "pvmkit-jit",
    "JIT / gcc", "JIT / wasmtime", "JIT / wasmtime + fuel", "check",
]  # fmt: skip
C_PIVOT_ALIGN = "llrrrrrrrrrl"
C_DETAIL_HEADERS = [
    "program", "engine", "n", "best call s", "time per unit", "× gcc -O2", "build ms", "compile ms", "code bytes",
    "JIT: native code, fallbacks", "check",
]  # fmt: skip
C_DETAIL_ALIGN = "llrrrrrrrll"


def _dur(seconds: float) -> str:
    """A duration with about three significant digits and a unit that suits it: 5.33 ns, 87.5 µs, 366 µs."""
    value, unit = seconds * 1e9, "ns"
    for bigger in ("µs", "ms", "s"):
        if value < 999.5:
            break
        value, unit = value / 1e3, bigger
    return f"{value:.0f} {unit}" if value >= 99.95 else f"{value:.3g} {unit}"


def _c_check(row: csuite.CRow) -> str:
    if row.error:
        return row.error
    return "ok" if not row.problems else "WRONG: " + "; ".join(row.problems)


def _c_base(report: csuite.CReport, program: str, engine: str = csuite.NATIVE) -> float:
    row = report.row(program, engine)
    return row.per_unit if row is not None and row.ok else 0.0


def _c_pivot_cells(report: csuite.CReport) -> list[list[str]]:
    out = []
    for p in report.programs:
        base, wasm = _c_base(report, p.name), _c_base(report, p.name, csuite.WASM)
        cells = [p.name, p.unit]
        for engine in C_ENGINES:
            row = report.row(p.name, engine)
            if row is None:
                cells.append("not run")
            elif not row.ok:
                cells.append("failed" if row.error else "WRONG")
            else:
                ratio = f" ({_x(row.per_unit / base)})" if base and engine != csuite.NATIVE else ""
                cells.append(_dur(row.per_unit) + ratio)
        jit, fuel = _c_base(report, p.name, csuite.JIT), _c_base(report, p.name, csuite.WASM_FUEL)
        cells.append(f"{_x(jit / base)}" if jit and base else "—")
        cells.append(f"{_x(jit / wasm)}" if jit and wasm else "—")
        cells.append(f"{_x(jit / fuel)}" if jit and fuel else "—")
        failed = [r.engine for r in report.rows if r.program == p.name and r.error and r.error.startswith("failed")]
        wrong = [r.engine for r in report.rows if r.program == p.name and r.problems]
        bad = ([f"failed: {', '.join(failed)}"] if failed else []) + ([f"WRONG: {', '.join(wrong)}"] if wrong else [])
        cells.append("; ".join(bad) if bad else "ok")
        out.append(cells)
    return out


def _c_detail_cells(report: csuite.CReport) -> list[list[str]]:
    out = []
    for row in report.rows:
        base = _c_base(report, row.program)
        build = "—"
        if row.build_seconds is not None:
            build = f"{row.build_seconds * 1e3:,.0f}"
            if row.link_seconds is not None:
                build += f" (link_elf {row.link_seconds * 1e3:,.0f})"
        compile_ms = "—" if row.compile_seconds is None else (
            "AOT" if row.engine in (csuite.NATIVE, csuite.CLANG) else f"{row.compile_seconds * 1e3:,.2f}"
        )  # fmt: skip
        jit = "—"
        if row.native_share is not None:
            jit = f"{row.native_bytes or 0:,} B, {row.native_share:.0%} of instrs"
            if row.fallbacks is not None:
                jit += f", {_num(row.fallbacks)} fallbacks/unit"
        timed = row.calls > 0 and row.error is None
        out.append([
            row.program,
            row.engine,
            f"{row.n:,}" if timed else "—",
            f"{row.seconds:.3f}" if timed else "—",
            _dur(row.per_unit) if timed else "—",
            f"{_x(row.per_unit / base)}" if timed and base else "—",
            build,
            compile_ms,
            f"{row.code_bytes:,}" if row.code_bytes is not None else "—",
            jit,
            _c_check(row),
        ])  # fmt: skip
    return out


def _x(ratio: float) -> str:
    """A ratio with about three significant digits: 0.263×, 4.19×, 38.5×, 1,767×."""
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    return f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.3f}×"


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else 0.0


def c_summary(report: csuite.CReport) -> list[str]:
    if report.skipped:
        return [report.skipped]
    lines = []
    jit_gcc, jit_wasm, jit_clang, jit_fuel = [], [], [], []
    for p in report.programs:
        base = _c_base(report, p.name)
        jit, wasm, clang, fuel = (_c_base(report, p.name, e) for e in (csuite.JIT, csuite.WASM, csuite.CLANG,
                                                                      csuite.WASM_FUEL))  # fmt: skip
        interp = _c_base(report, p.name, csuite.INTERPRETER)
        if not base:
            continue
        parts = []
        if jit:
            jit_gcc.append(jit / base)
            met = "met" if jit <= 2 * base else "not met"
            parts.append(f"pvmkit-jit takes {_x(jit / base)} gcc -O2's time (goal ≤ 2×: {met})")
            if clang:
                jit_clang.append(jit / clang)
                parts.append(f"{_x(jit / clang)} clang-19 -O2's")
            if wasm and p.wasm_differs:  # (not like for like: no goal, and left out of the geometric mean)
                parts.append(f"{_x(jit / wasm)} wasmtime's (not like for like: {p.wasm_differs})")
            elif wasm:
                jit_wasm.append(jit / wasm)
                parts.append(f"{_x(jit / wasm)} wasmtime's (goal < 1×: {'met' if jit < wasm else 'not met'})")
            if fuel and not p.wasm_differs:
                jit_fuel.append(jit / fuel)
                parts.append(f"{_x(jit / fuel)} metered wasmtime's (fuel)")
        if wasm or fuel:
            parts.append(", ".join(([f"wasmtime {_x(wasm / base)} gcc's"] if wasm else [])
                                   + ([f"wasmtime with fuel {_x(fuel / base)} gcc's"] if fuel else [])))
        if interp:
            parts.append(f"pvmkit-interpreter {_x(interp / base)} gcc's" + (f", {_x(interp / jit)} the JIT's"
                                                                             if jit else ""))  # fmt: skip
        if parts:
            lines.append(f"{p.name}: " + "; ".join(parts))
    if jit_gcc:
        lines.append(f"geometric mean over {len(jit_gcc)} programs: pvmkit-jit {_x(_geomean(jit_gcc))} gcc -O2's time"
                     + (f", {_x(_geomean(jit_clang))} clang-19 -O2's" if jit_clang else ""))  # fmt: skip
    if jit_wasm:
        differ = [p.name for p in report.programs if p.wasm_differs]
        lines.append(f"geometric mean over the {len(jit_wasm)} programs that do the same work on wasm32"
                     + (f" (all but {', '.join(differ)})" if differ else "") + f": pvmkit-jit {_x(_geomean(jit_wasm))}"
                     " wasmtime's" + (f", {_x(_geomean(jit_fuel))} metered wasmtime's (fuel)" if jit_fuel else ""))
    slow = {r.program for r in report.rows if r.engine == csuite.JIT and r.fallbacks and r.fallbacks >= 0.5}
    if slow and len(slow) < len(report.programs):
        ratios = {e: [] for e in (csuite.NATIVE, csuite.CLANG, csuite.WASM, csuite.WASM_FUEL)}
        for p in report.programs:
            jit = _c_base(report, p.name, csuite.JIT)
            for engine, values in ratios.items():
                other = _c_base(report, p.name, engine)
                like = not (p.wasm_differs and engine in (csuite.WASM, csuite.WASM_FUEL))
                if p.name not in slow and jit and other and like:
                    values.append(jit / other)
        names = {csuite.NATIVE: "gcc -O2's time", csuite.CLANG: "clang-19 -O2's", csuite.WASM: "wasmtime's",
                 csuite.WASM_FUEL: "metered wasmtime's (fuel)"}
        parts = [f"{_x(_geomean(v))} {names[e]}" for e, v in ratios.items() if v]
        if parts:
            lines.append(f"geometric mean without {', '.join(sorted(slow))} (hot loops that leave native code): "
                         f"pvmkit-jit {', '.join(parts)}")  # fmt: skip
    for row in report.rows:
        if row.engine == csuite.JIT and row.fallbacks and row.fallbacks >= 0.5:
            total = sum(row.fallback_kinds.values())
            kinds = ", ".join(f"{kind} {count / total:.0%}" for kind, count in list(row.fallback_kinds.items())[:4])
            lines.append(f"{row.program}: pvmkit-jit handed {_num(row.fallbacks)} instructions per unit to the "
                         f"interpreter, one at a time (single-instruction fallbacks): {kinds}")  # fmt: skip
    failed = [r for r in report.rows if r.error and r.error.startswith("failed")]
    lines += [f"{r.program} on {r.engine}: {r.error}" for r in failed]
    return lines + report.notes


def c_text(report: csuite.CReport) -> str:
    if report.skipped:
        return report.skipped
    lines = ["C programs: time per unit of work (× gcc -O2's)"]
    lines += _fixed_table(C_PIVOT_HEADERS, _c_pivot_cells(report), C_PIVOT_ALIGN)
    lines += ["", *_fixed_table(C_DETAIL_HEADERS, _c_detail_cells(report), C_DETAIL_ALIGN)]
    return "\n".join([*lines, "", *c_summary(report)])


def c_markdown(report: csuite.CReport) -> list[str]:
    parts = ["## C programs: native, wasm and PVM", ""]
    if report.skipped:
        return [*parts, report.skipped, ""]
    parts += [
        "Our own freestanding C (`benchmarks/c/`, no libc), each `bench(n)` doing n units of work and returning a "
        "checksum that every engine must reproduce. Each engine runs its own n, calibrated so that one call takes "
        f"about {report.target:.2g} s, and the best of {report.reps} calls is kept, then of {report.reps} more once "
        "every engine has run (the machine's speed drifts for seconds at a time); the tables give time per unit "
        "(call time / n), so rows with different n compare directly. Tools: "
        + "; ".join(f"{v}" for v in report.tools.values())
        + ".",
        "",
        *(
            f"- **{p.name}** (`{p.source}`): unit = {p.unit}; stresses {p.stresses}; check n = {p.check_n:,}"
            for p in report.programs
        ),  # fmt: skip
        "",
        *_md_table(C_PIVOT_HEADERS, _c_pivot_cells(report), C_PIVOT_ALIGN),
        "",
        *_md_table(C_DETAIL_HEADERS, _c_detail_cells(report), C_DETAIL_ALIGN),
        "",
        *(f"- {line}" for line in c_summary(report)),
        "",
    ]
    return parts


C_METHOD = [
    "- C programs: each `benchmarks/c/*.c` is built four ways (the wasm one twice, with and without fuel metering). "
    "**gcc-O2**: `gcc -O2 -fno-builtin -fno-tree-loop-distribute-patterns` (the last two keep gcc from replacing the "
    "programs' own memset/memcpy loops with glibc calls), linked with `c/driver.c`, which calls `bench(n)` in a "
    "subprocess and times only that call with `clock_gettime(CLOCK_MONOTONIC)`; it is the reference for every checksum "
    "and ratio. **clang-O2**: the same with `clang-19 -O2 -fno-builtin` for x86-64 (the compiler the wasm and PVM "
    "builds use). **wasmtime**: `clang-19 --target=wasm32 -O2 -fno-builtin -nostdlib -Wl,--no-entry -Wl,--export=bench`"
    " (no libc, no `--allow-undefined`), `wasmtime.Module` with a fresh `Engine` (compile, best of the compile "
    "repetitions), then `bench(store, n)` on one instance, timed around the call. **wasmtime-fuel**: the same module "
    "compiled with `Config.consume_fuel` (wasmtime counts the work it runs, as PVM charges gas per block; the store "
    "gets 2^63 - 1 fuel before each call): the like-for-like peer of a metered VM, next to the unmetered goal. "
    "**pvmkit-interpreter / pvmkit-jit**: clang-19 with the flags of `pvmkit cc -O2` (rv64emac + zbb + xtheadcondmov, "
    'lp64e), `ld.lld-19 -r --emit-relocs`, `link_elf(exports=["bench"])`; each call is a fresh `module.instantiate()`, '
    '`prepare_call("bench", n)`, gas 10^15, and only `inst.run()` is timed; the result is a0.',
    "- `build ms`: C source → artifact (compiler processes; for PVM clang + lld + pvmkit's `link_elf`, which is "
    "also shown on its own). `compile ms`: artifact → runnable: wasmtime's `Module()`; for pvmkit-jit "
    '`JitCompiler(Module(blob, ModuleConfig(backend="interpreter"))).compile()` (best of the repetitions); for '
    "the interpreter `Module()` plus compiling every basic block to Python up front (`module.entry[pc]` for each "
    "valid jump target; it otherwise happens lazily, on a block's first execution). `code bytes`: x86-64 "
    "`.text` of the object file, the wasm module, the PVM code section. The JIT's fallbacks are counted in a "
    "separate, untimed `bench(check n)` run by wrapping that instance's `_fallback` (the instructions it hands "
    "to the interpreter one at a time).",
    "- Native builds target baseline x86-64 (no `-march`, so SSE2 but no AVX: `-march=native` made clang's sieve "
    "1.6× and memops 1.18× faster and its keccak ~1.3× slower, gcc's unchanged); wasmtime compiles for this CPU's "
    "features, and pvmkit's JIT needs and uses BMI1, BMI2, LZCNT and POPCNT. gcc -O2 is a weak baseline on keccak "
    "(2.6× clang-19's time), so JIT / gcc flatters the JIT there; the clang-19 column is the like-for-like native "
    "compiler (the wasm and PVM builds use it too).",
    "- n is calibrated per engine (starting from `check n`, growing until a call takes at least a fifth of the "
    "target, then scaled to the target and rounded to two significant digits). Every engine's result at "
    "`check n` and at its own n must equal gcc-O2's at the same n (`check`). wasm32 has no 64×64→128 multiply, so "
    "`mul128.c` computes the high half from 32-bit products there (clang would otherwise call compiler-rt's "
    "`__multi3`); `long` is 32 bits on wasm32, so the interface is `long long` (= `long` on the 64-bit targets).",
]
