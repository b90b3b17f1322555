"""`python -m benchmarks`: PVM interpreter speed of pvmkit next to peer VMs, measured in one run.

Examples:
    python -m benchmarks                      # all engines, writes BENCHMARKS.md
    python -m benchmarks --quick              # smoke run: small sizes, short timings, no BENCHMARKS.md
    python -m benchmarks --only interpreter   # just pvmkit's interpreter
    python -m benchmarks --only anan,tsrkit-cython --program sieve
    python -m benchmarks --install-only       # install the peers into benchmarks/.peers and stop
"""

from __future__ import annotations

import argparse
import shlex
import sys

from . import peers
from .peers import Engine, PeerUnavailable
from .programs import BUILDERS, KNOWN_PRIME_COUNTS, Workload
from .report import BENCHMARKS_MD, Row, machine_facts, summary, text_table, write_markdown

FULL = {"alu-loop": 200_000, "sieve": 100_000, "seconds": 1.5}
QUICK = {"alu-loop": 20_000, "sieve": 10_000, "seconds": 0.1}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes and ~0.1 s per engine (smoke test)")
    p.add_argument(
        "--only",
        metavar="ENGINES",
        help="comma-separated engine names or substrings (e.g. interpreter, tsrkit, anan-release-mini)",
    )
    p.add_argument("--program", choices=sorted(BUILDERS), action="append", help="run only this program (repeatable)")
    p.add_argument("--seconds", type=float, help="target execution time per (program, engine)")
    p.add_argument("--alu-n", type=int, help="ALU loop iterations per run")
    p.add_argument("--sieve-n", type=int, help="sieve bound: count primes below this")
    p.add_argument("--no-install", action="store_true", help="do not install missing peers; skip them")
    p.add_argument("--install-only", action="store_true", help="install the peers into benchmarks/.peers and exit")
    write = p.add_mutually_exclusive_group()
    write.add_argument("--write", action="store_true", help="write BENCHMARKS.md even for a quick or partial run")
    write.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md")
    p.add_argument("--list", action="store_true", help="list the engines and exit")
    return p.parse_args(argv)


def select_engines(only: str | None) -> list[Engine]:
    engines = peers.all_engines()
    if not only:
        return engines
    tokens = [t.strip() for t in only.split(",") if t.strip()]
    chosen = [e for e in engines if any(t == e.name or t in e.name for t in tokens)]
    unknown = [t for t in tokens if not any(t == e.name or t in e.name for e in engines)]
    if unknown:
        names = ", ".join(e.name for e in engines)
        raise SystemExit(f"unknown engine(s): {', '.join(unknown)} (known: {names})")
    return chosen


def build_workloads(args: argparse.Namespace) -> list[Workload]:
    sizes = QUICK if args.quick else FULL
    params = {"alu-loop": args.alu_n or sizes["alu-loop"], "sieve": args.sieve_n or sizes["sieve"]}
    out = []
    for name in args.program or list(BUILDERS):
        w = BUILDERS[name](params[name])
        if name == "sieve" and w.param in KNOWN_PRIME_COUNTS:
            assert w.expected_result == KNOWN_PRIME_COUNTS[w.param], "sieve model disagrees with known prime counts"
        out.append(w)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.install_only:
        status = peers.install_peers(log)
        for peer, reason in status.items():
            log(f"{peer}: {'ready' if reason is None else 'UNAVAILABLE: ' + reason}")
        return 1 if any(status.values()) else 0
    engines = select_engines(args.only)
    if args.list:
        for e in peers.all_engines():
            print(f"{e.name:20} {e.description}")
        return 0
    seconds = args.seconds if args.seconds is not None else (QUICK if args.quick else FULL)["seconds"]
    workloads = build_workloads(args)

    ready: list[Engine] = []
    skipped: dict[str, str] = {}
    for e in engines:
        try:
            e.prepare(log, install=not args.no_install)
            ready.append(e)
        except (PeerUnavailable, OSError) as err:
            skipped[e.name] = str(err).splitlines()[0]
            log(f"SKIP {e.name}: {err}")

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

    print()
    print(text_table(rows))
    lines = summary(rows)
    if lines:
        print()
        print("\n".join(lines))

    full_run = not args.quick and not args.only and not args.program
    if args.write or (full_run and not args.no_write):
        command = " ".join(["python -m benchmarks", shlex.join(sys.argv[1:] if argv is None else argv)]).strip()
        write_markdown(rows, machine_facts(), {e.name: e.description for e in engines}, command)
        log(f"wrote {BENCHMARKS_MD}")
    elif full_run:
        log("BENCHMARKS.md not written (--no-write)")
    wrong = [r for r in rows if r.result is not None and r.problems]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
