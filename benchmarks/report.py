"""Result table (terminal and Markdown) and the generated BENCHMARKS.md."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .erc20 import Erc20Report, Split
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
        return [w.program, row.engine, "—", "—", "—", "—", "—", f"skipped: {row.skipped}"]
    r = row.result
    base = ref.get(w.program)
    ratio = f"{r.rate / base:.3f}×" if base and row.ok else "n/a"
    check = "ok" if row.ok else "WRONG: " + "; ".join(row.problems)
    return [
        w.program,
        row.engine,
        f"{r.instructions:,}",
        str(r.runs),
        f"{r.seconds:.3f}",
        f"{r.rate / 1e6:.3f}",
        ratio,
        check,
    ]


HEADERS = ["program", "engine", "instructions", "runs", "seconds", "M instr/s", "vs pvmkit", "check"]


def text_table(rows: list[Row]) -> str:
    """Fixed-width table for the terminal."""
    ref = _reference_rates(rows)
    body = [_cells(r, ref) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(HEADERS)] if body else []
    numeric = {2, 3, 4, 5, 6}

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
    out = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 5 + ["---"]) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r, ref)) + " |" for r in rows]
    return "\n".join(out)


def summary(rows: list[Row]) -> list[str]:
    """One sentence per (program, peer): how pvmkit compares."""
    ref = _reference_rates(rows)
    lines = []
    for row in rows:
        base = ref.get(row.workload.program)
        if row.engine == REFERENCE or not base or not row.ok or row.result is None:
            continue
        ratio = base / row.result.rate
        if ratio >= 1:
            lines.append(f"{row.workload.program}: {REFERENCE} is {ratio:.2f}× as fast as {row.engine}")
        else:
            lines.append(f"{row.workload.program}: {row.engine} is {1 / ratio:.2f}× as fast as {REFERENCE}")
    return lines


def write_markdown(
    rows: list[Row],
    facts: dict[str, str],
    engines: dict[str, str],
    command: str,
    path: Path = BENCHMARKS_MD,
    erc20: Erc20Report | None = None,
) -> None:
    """(Re)write BENCHMARKS.md with this run's results."""
    workloads: dict[str, Workload] = {}
    for r in rows:
        workloads.setdefault(r.workload.program, r.workload)
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
            for w in workloads.values()
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
        "",
        *(
            ["## Results: PVM interpreters", "", markdown_table(rows), "", *(f"- {line}" for line in summary(rows)), ""]
            if rows
            else []
        ),
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
        "`execute`, anan-as's `pvmResume`): process start-up, module loading and program decoding are excluded.",
        "- `vs pvmkit` = engine rate / pvmkit-interpreter rate (above 1 means the peer is faster).",
        *(ERC20_METHOD if erc20 else []),
        "",
    ]
    path.write_text("\n".join(parts))


# --------------------------------------------------------------------------- ERC-20 section

ERC20_HEADERS = ["engine", "calls", "seconds", "calls/s", "best chunk calls/s", "µs/call (best)", "vs pvmkit", "check"]

ERC20_METHOD = [
    "- ERC-20: every engine deploys the token, makes one untimed warm-up transfer to a third account (pvmkit "
    "compiles the call path's blocks there), then the timed transfers of 1 token to bob through its Python API; "
    "`check` reads balanceOf(bob) afterwards. The timed transfers run in 10 equal chunks, and the in-process "
    "engines (pvmkit-abi, pvmkit-raw, pyrevm) take turns chunk by chunk, in rotating order, so that load from "
    "other processes falls on all of them alike (py-evm runs afterwards in its own process). `calls/s` is over "
    "all chunks, `best chunk calls/s` is the fastest chunk's (the least disturbed by other work on the machine), "
    "and `vs pvmkit` = best-chunk calls/s / pvmkit-abi's best-chunk calls/s (pvmkit-raw's when pvmkit-abi was "
    "not run). py-evm runs fewer calls because it is slow; each of its transfers is a signed transaction mined "
    "into its own block.",
    "- The time split comes from a second, instrumented pass in which `Instance.run` and `Host.run` are wrapped "
    "with `time.perf_counter` accumulators (no profiler); the headline calls/s are from the uninstrumented pass. "
    "PVM instructions are the gas each `Instance.run` consumed (pvmkit charges one per instruction of each "
    "basic block it enters); `CallResult.gas_used` is larger because it is ref_time / ref_time_per_fuel and so "
    "includes the host functions' weights.",
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
    return lines


def _split_lines(splits: list[Split], report: Erc20Report) -> tuple[list[str], list[list[str]]]:
    """(column headers, rows) of the pvmkit time split, one column per path."""
    rates = {r.engine: r.result.rate for r in report.rows if r.result is not None}
    heads = {"abi": "ABI path (`token.transfer`)", "raw": "raw path (`env.call`)"}
    uninstrumented = {"abi": rates.get("pvmkit-abi"), "raw": rates.get("pvmkit-raw")}  # overall, not best chunk

    def us(seconds: float, s: Split) -> str:
        return f"{seconds / s.calls * 1e6:,.0f} µs ({seconds / s.total:.1%})"

    rows = [
        ["total per transfer (instrumented)"] + [f"{s.total / s.calls * 1e6:,.0f} µs" for s in splits],
        ["VM: inside `Instance.run`"] + [us(s.vm, s) for s in splits],
        ["host: inside `Host.run`, minus VM"] + [us(s.host_only, s) for s in splits],
        ["API/ABI/state: total minus `Host.run`"] + [us(s.outside, s) for s in splits],
        ["PVM instructions per transfer"] + [f"{s.instructions / s.calls:,.0f}" for s in splits],
        ["`Instance.run` calls per transfer (host calls + 1)"] + [f"{s.vm_runs / s.calls:,.1f}" for s in splits],
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
    d = report.deploy
    if d is None:
        return []

    def ms(x: float) -> str:
        return f"{x * 1e3:,.1f}"

    return [
        ["first deploy in this process, fresh `Env` (upload, validate, Module, constructor)", ms(d.first),
         ms(d.first_compile), str(d.first_blocks)],
        ["first transfer in that Env (call-path blocks compiled)", ms(d.first_call), ms(d.first_call_compile),
         str(d.first_call_blocks)],
        ["a later transfer in that Env (steady state)", ms(d.steady_call), "0.0", "0"],
        ["second deploy of the same code in the same Env (Module cached)", ms(d.same_env), ms(d.same_env_compile),
         str(d.same_env_blocks)],
        ["deploy in a second fresh `Env` (modules are cached per process)", ms(d.second_env), ms(d.second_env_compile),
         str(d.second_env_blocks)],
    ]  # fmt: skip


DEPLOY_HEADERS = ["pvmkit deploy", "ms", "of which block compile ms", "blocks compiled"]


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
        parts.append(f"pyrevm {report.pyrevm_gas:,} EVM gas")
    if report.pyevm_gas:
        parts.append(f"py-evm {report.pyevm_gas:,} EVM gas (intrinsic 21,000 included)")
    return ["Cost of one steady-state transfer as each engine reports it: " + "; ".join(parts) + "."] if parts else []


def erc20_text(report: Erc20Report) -> str:
    lines = _fixed_table(ERC20_HEADERS, _erc20_cells(report), "lrrrrrrl")
    if report.splits:
        heads, rows = _split_lines(report.splits, report)
        lines += ["", *_fixed_table(heads, rows, "l" + "r" * len(report.splits))]
    if report.deploy:
        lines += ["", *_fixed_table(DEPLOY_HEADERS, _deploy_rows(report), "lrrr")]
    elif report.deploy_error:
        lines += ["", f"deploy timing failed: {report.deploy_error}"]
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
    if report.deploy:
        parts += ["### Deploy and the module cache", "", *_md_table(DEPLOY_HEADERS, _deploy_rows(report), "lrrr"), ""]
        parts += [
            "- Compiled `Module`s (with their compiled blocks) are cached per process by blob hash and config "
            "(`pvm.interpreter.load_module`): a second `Env` deploying the same code reuses them, so only the "
            "first deploy in a process pays for block compilation.",
            "",
        ]
    elif report.deploy_error:
        parts += [f"Deploy timing failed: {report.deploy_error}", ""]
    return parts
