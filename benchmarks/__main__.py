"""`python -m benchmarks`: pvmkit's PVM interpreter and JIT and ERC-20 contract calls next to peers, in one run.

Examples:
    python -m benchmarks                      # all programs and engines, writes BENCHMARKS.md
    python -m benchmarks --quick              # smoke run: small sizes, short timings, no BENCHMARKS.md
    python -m benchmarks --only interpreter   # just pvmkit's interpreter
    python -m benchmarks --only jit,gcc       # the JIT (execution, compile, host calls, ERC-20) and gcc -O2
    python -m benchmarks --only anan,tsrkit-cython --program sieve
    python -m benchmarks --program erc20      # only the ERC-20 transfers (pvmkit, pyrevm, py-evm)
    python -m benchmarks --program compile    # JIT compile speed next to wasmtime's
    python -m benchmarks --program c          # C programs: gcc/clang native vs wasmtime vs pvmkit interpreter/JIT
    python -m benchmarks --program c --c-program keccak --c-program fib --only jit,wasmtime
    python -m benchmarks --program c --only jit,wasmtime,fuel  # ... and wasmtime with fuel metering
    python -m benchmarks --install-only       # install the peers into benchmarks/.peers and stop
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from . import csuite, erc20, jit, peers
from .peers import Engine, PeerUnavailable
from .programs import BUILDERS, KNOWN_PRIME_COUNTS, Workload
from .report import (
    BENCHMARKS_MD,
    Row,
    c_text,
    compile_text,
    erc20_summary,
    erc20_text,
    machine_facts,
    native_text,
    round_trip_text,
    summary,
    text_table,
    write_markdown,
)

FULL = {
    "alu-loop": 200_000, "sieve": 100_000, "seconds": 1.5, "transfers": 2_000, "pyevm-transfers": 100,
    # The JIT and gcc -O2 run larger N: ~3 G instr/s on alu-loop (1.2 G instructions, ~0.4 s a run); the sieve at a
    # mostly cache-resident 4 M (~35 ms a run, repeated) and at 32 Mi (~0.45 s a run, memory-bound).
    "jit-alu-loop": 400_000_000, "jit-sieve": [4_000_000, 1 << 25], "host-calls": 200_000, "compile-reps": 3,
    # C suite: n calibrated per engine so that one bench(n) call takes about this long; best of c-reps calls.
    "c-seconds": 0.4, "c-reps": 3,
}  # fmt: skip
QUICK = {
    "alu-loop": 20_000, "sieve": 10_000, "seconds": 0.1, "transfers": 200, "pyevm-transfers": 20,
    "jit-alu-loop": 20_000_000, "jit-sieve": [1_000_000], "host-calls": 20_000, "compile-reps": 1,
    "c-seconds": 0.03, "c-reps": 1,
}  # fmt: skip
ERC20 = "erc20"
COMPILE = "compile"
HOST_CALL = "host-call"
C_SUITE = "c"
PROGRAMS = [*BUILDERS, COMPILE, HOST_CALL, C_SUITE, ERC20]
WASMTIME = "wasmtime"
EXTRA_ENGINES = {
    WASMTIME: "wasmtime (Cranelift): compiling wasm modules next to pvmkit-jit's compile speed, and running the C "
    "programs (--program c) built for wasm32",
    csuite.CLANG: "clang-19 -O2 for x86-64, native, on the C programs only (--program c)",
    csuite.WASM_FUEL: "wasmtime (Cranelift) with fuel metering (`Config.consume_fuel`), on the C programs only "
    "(--program c): metered like PVM's gas",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes and ~0.1 s per engine (smoke test)")
    p.add_argument(
        "--only",
        metavar="ENGINES",
        help="comma-separated engine names or substrings (e.g. interpreter, tsrkit, anan-release-mini, pyrevm)",
    )
    p.add_argument("--program", choices=sorted(PROGRAMS), action="append", help="run only this program (repeatable)")
    p.add_argument("--seconds", type=float, help="target execution time per (program, engine)")
    p.add_argument("--alu-n", type=int, help="ALU loop iterations per run")
    p.add_argument("--sieve-n", type=int, help="sieve bound: count primes below this")
    p.add_argument("--jit-alu-n", type=int, help="ALU loop iterations for pvmkit-jit and gcc-O2 (default 400M)")
    p.add_argument("--jit-sieve-n", type=int, action="append", help="sieve bound for pvmkit-jit and gcc-O2 "
                   "(repeatable; default 4,000,000 and 33,554,432)")  # fmt: skip
    p.add_argument("--host-calls", type=int, help="ecalli round trips per backend (default 200,000)")
    p.add_argument("--compile-reps", type=int, help="compile-speed repetitions, best taken (default 3; --quick 1)")
    p.add_argument("--c-program", choices=list(csuite.BY_NAME), action="append",
                   help="with --program c: run only this C program (repeatable; default all)")  # fmt: skip
    p.add_argument("--c-seconds", type=float, help="C suite: target time of one bench(n) call (default 0.4 s)")
    p.add_argument("--c-reps", type=int, help="C suite: timed calls per engine, best taken (default 3; --quick 1)")
    p.add_argument("--transfers", type=int, help="ERC-20 transfers per engine (default 2000; --quick 200)")
    p.add_argument("--pyevm-transfers", type=int, help="ERC-20 transfers on py-evm (default 100; --quick 20)")
    p.add_argument("--no-install", action="store_true", help="do not install missing peers; skip them")
    p.add_argument("--install-only", action="store_true", help="install the peers into benchmarks/.peers and exit")
    write = p.add_mutually_exclusive_group()
    write.add_argument("--write", action="store_true", help="write BENCHMARKS.md even for a quick or partial run")
    write.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    p.add_argument("--list", action="store_true", help="list the engines and exit")
    return p.parse_args(argv)


def select_engines(only: str | None) -> tuple[list[Engine], list[erc20.Erc20Engine], set[str]]:
    """(PVM engines, ERC-20 engines, other names such as wasmtime) named by --only (all when it is not given)."""
    engines = peers.all_engines()
    contract_engines = erc20.all_engines()
    if not only:
        return engines, contract_engines, set(EXTRA_ENGINES)
    tokens = [t.strip() for t in only.split(",") if t.strip()]
    names = [e.name for e in engines] + [e.name for e in contract_engines] + list(EXTRA_ENGINES)
    unknown = [t for t in tokens if not any(t == n or t in n for n in names)]
    if unknown:
        raise SystemExit(f"unknown engine(s): {', '.join(unknown)} (known: {', '.join(names)})")

    def picked(name: str) -> bool:  # (an extra engine's own name picks only it: wasmtime is not wasmtime-fuel)
        return any(t == name or t in name and t not in EXTRA_ENGINES for t in tokens)

    return (
        [e for e in engines if picked(e.name)],
        [e for e in contract_engines if picked(e.name)],
        {n for n in EXTRA_ENGINES if picked(n)},
    )


def build_workloads(args: argparse.Namespace, big: bool = False) -> dict[str, list[Workload]]:
    """{program: workloads} for the interpreters, or (big) the larger N that pvmkit-jit and gcc-O2 run."""
    sizes = QUICK if args.quick else FULL
    if big:
        params = {
            "alu-loop": [args.jit_alu_n or sizes["jit-alu-loop"]],
            "sieve": args.jit_sieve_n or sizes["jit-sieve"],
        }
    else:
        params = {"alu-loop": [args.alu_n or sizes["alu-loop"]], "sieve": [args.sieve_n or sizes["sieve"]]}
    out: dict[str, list[Workload]] = {}
    for name in args.program or list(BUILDERS):
        if name not in BUILDERS:
            continue
        for n in params[name]:
            w = BUILDERS[name](n)
            if name == "sieve" and w.param in KNOWN_PRIME_COUNTS:
                assert w.expected_result == KNOWN_PRIME_COUNTS[w.param], "sieve model disagrees with known counts"
            out.setdefault(name, []).append(w)
    return out


def run_rows(workloads: list[Workload], engines: list[Engine], skipped: dict[str, str], seconds: float) -> list[Row]:
    rows: list[Row] = []
    for w in workloads:
        log(f"== {w.program} (N = {w.param:,}, {w.instructions:,} instructions per run)")
        for e in engines:
            if e.name in skipped:
                rows.append(Row(w, e.name, skipped=skipped[e.name]))
                continue
            try:
                result = e.run(w, seconds)
            except Exception as err:  # one broken engine must not hide the others' numbers
                reason = f"{type(err).__name__}: {err}"
                log(f"   {e.name}: FAILED {reason}")
                rows.append(Row(w, e.name, skipped="failed: " + reason.splitlines()[0]))
                continue
            problems = result.problems(w)
            rows.append(Row(w, e.name, result=result, problems=problems))
            verdict = "ok" if not problems else "WRONG: " + "; ".join(problems)
            log(
                f"   {e.name:20} {result.rate / 1e6:9.3f} M instr/s  "
                f"({result.runs} runs, {result.seconds:.3f} s)  {verdict}"
            )
    return rows


def _loadavg() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.install_only:
        status = peers.install_peers(log)
        try:
            erc20.install_pyevm(log)
            status["py-evm"] = None
        except (PeerUnavailable, OSError) as e:
            status["py-evm"] = str(e)
        for peer, reason in status.items():
            log(f"{peer}: {'ready' if reason is None else 'UNAVAILABLE: ' + reason}")
        return 1 if any(status.values()) else 0
    engines, contract_engines, extras = select_engines(args.only)
    if args.list:
        for e in [*peers.all_engines(), *erc20.all_engines()]:
            print(f"{e.name:20} {e.description}")
        for name, description in EXTRA_ENGINES.items():
            print(f"{name:20} {description}")
        return 0
    if os.environ.pop("PVMKIT_BACKEND", None):
        log("ignoring PVMKIT_BACKEND: every pvmkit row names its backend explicitly")
    sizes = QUICK if args.quick else FULL
    seconds = args.seconds if args.seconds is not None else sizes["seconds"]
    load_before = _loadavg()
    programs = args.program or PROGRAMS
    small_engines = [e for e in engines if not e.big]
    big_engines = [e for e in engines if e.big]
    small = build_workloads(args) if small_engines else {}
    big = build_workloads(args, big=True) if big_engines else {}
    runnable = [e for e in engines if (big if e.big else small)]
    if HOST_CALL in programs:  # the round trip needs pvmkit's engines prepared, whatever the programs
        runnable += [e for e in engines if isinstance(e, peers.PvmkitInterpreter) and e not in runnable]

    skipped: dict[str, str] = {}
    for e in runnable:
        try:
            e.prepare(log, install=not args.no_install)
        except (PeerUnavailable, OSError) as err:
            skipped[e.name] = str(err).splitlines()[0]
            log(f"SKIP {e.name}: {err}")

    rows: list[Row] = []
    for program in BUILDERS:
        rows += run_rows(small.get(program, []), small_engines, skipped, seconds)
        rows += run_rows(big.get(program, []), big_engines, skipped, seconds)

    compile_report = None
    names = {e.name for e in engines}
    if COMPILE in programs and ("pvmkit-jit" in names or WASMTIME in extras):
        compile_report = jit.run_compile(
            "pvmkit-jit" in names and "pvmkit-jit" not in skipped,
            WASMTIME in extras,
            args.quick,
            args.compile_reps or sizes["compile-reps"],
            install=not args.no_install,
            log=log,
        )

    round_trips: list[jit.RoundTrip] = []
    if HOST_CALL in programs:
        n = args.host_calls or sizes["host-calls"]
        for e in engines:
            if not isinstance(e, peers.PvmkitInterpreter):
                continue
            if e.name in skipped:
                round_trips.append(jit.RoundTrip(e.backend, 0, 0.0, skipped=skipped[e.name]))
                continue
            if not round_trips:
                log(f"== host-call round trip ({n:,} ecalli per backend)")
            for via in ("run", "serve"):
                try:
                    t = jit.measure_round_trip(e.backend, n, via)
                except Exception as err:
                    failed = f"failed: {type(err).__name__}: {err}".splitlines()[0]
                    t = jit.RoundTrip(e.backend, 0, 0.0, skipped=failed, via=via)
                round_trips.append(t)
                log(f"   {e.name:20} {via:5} {t.us:6.2f} µs per round trip  {'; '.join(t.problems) or 'ok'}")

    c_report = None
    if C_SUITE in programs:
        names = {e.name for e in engines} | extras
        chosen = {e for e in csuite.ENGINES if e in names}
        if chosen:
            c_report = csuite.run_suite(
                [csuite.BY_NAME[name] for name in args.c_program] if args.c_program else csuite.PROGRAMS,
                chosen,
                args.c_seconds or sizes["c-seconds"],
                args.c_reps or sizes["c-reps"],
                args.compile_reps or sizes["compile-reps"],
                install=not args.no_install,
                log=log,
            )
        else:
            log(f"== C suite: no C engine matches --only {args.only} (they are: {', '.join(csuite.ENGINES)})")

    contracts = None
    if ERC20 in programs:
        if contract_engines:
            contracts = erc20.run_program(
                contract_engines,
                args.transfers or sizes["transfers"],
                args.pyevm_transfers or sizes["pyevm-transfers"],
                install=not args.no_install,
                log=log,
            )
        else:
            log(f"== erc20: no ERC-20 engine matches --only {args.only} (they are: "
                f"{', '.join(e.name for e in erc20.all_engines())})")  # fmt: skip

    if rows:
        print()
        print(text_table(rows))
        lines = summary(rows)
        if lines:
            print()
            print("\n".join(lines))
        native = native_text(rows)
        if native:
            print()
            print(native)
    if compile_report is not None:
        print()
        print(compile_text(compile_report))
    if round_trips:
        print()
        print(round_trip_text(round_trips))
    if c_report is not None:
        print()
        print(c_text(c_report))
    if contracts is not None:
        print()
        print(f"ERC-20 transfers ({contracts.transfers:,} per engine, {contracts.pyevm_transfers:,} on py-evm)")
        print(erc20_text(contracts))
        lines = erc20_summary(contracts)
        if lines:
            print()
            print("\n".join(lines))

    full_run = not args.quick and not args.only and not args.program
    if args.write or (full_run and not args.no_write):
        command = " ".join(["python -m benchmarks", shlex.join(sys.argv[1:] if argv is None else argv)]).strip()
        described = {e.name: e.description for e in engines}
        if compile_report is not None and compile_report.wasm:
            described[WASMTIME] = (
                f"wasmtime {compile_report.wasmtime_version} (Python package, Cranelift), compile only"
            )
        if contracts is not None:
            described.update({e.name: e.description for e in contract_engines})
        facts = machine_facts()
        facts["load average (1 min) at start / end"] = f"{load_before} / {_loadavg()} (other work shares these CPUs)"
        if c_report is not None and not c_report.skipped:
            described.setdefault(csuite.CLANG, EXTRA_ENGINES[csuite.CLANG])
            described.setdefault(csuite.WASM_FUEL, EXTRA_ENGINES[csuite.WASM_FUEL])
            what = "compile speed and the C programs" if compile_report and compile_report.wasm else "the C programs"
            described[WASMTIME] = f"{c_report.tools.get('wasmtime', 'wasmtime')}, Cranelift: {what}"
        write_markdown(rows, facts, described, command, erc20=contracts, compile_report=compile_report,
                       round_trips=round_trips, c_report=c_report)  # fmt: skip
        log(f"wrote {BENCHMARKS_MD}")
    elif full_run:
        log("BENCHMARKS.md not written (--no-write)")
    wrong = [r for r in rows if r.result is not None and r.problems] + [t for t in round_trips if t.problems]
    c_wrong = c_report is not None and c_report.wrong
    return 1 if wrong or c_wrong or (contracts is not None and contracts.wrong) else 0


if __name__ == "__main__":
    sys.exit(main())
