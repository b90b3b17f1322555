"""Result table (terminal and Markdown) and the generated BENCHMARKS.md."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

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
        "",
        "## Results",
        "",
        markdown_table(rows),
        "",
        *(f"- {line}" for line in summary(rows)),
        "",
        "## Method",
        "",
        "- Both programs are built with pvmkit's own encoder (`benchmarks/programs.py`); the peers receive the same "
        "code as a GP program (polkavm's section-6 payload), with the byte array mapped writable at 0x20000 as in "
        "polkavm's standard memory map.",
        "- Gas is 1 per instruction in every engine, so instructions = gas used. Each run's gas, final a0 and halt "
        "status are checked against a Python model of the program (`check` column).",
        "- Each engine runs the same program back to back until about the target time has accumulated (at least "
        "once); `runs` says how many times. Only the execution call is timed (`inst.run()`, tsrkit's "
        "`execute`, anan-as's `pvmResume`): process start-up, module loading and program decoding are excluded.",
        "- `vs pvmkit` = engine rate / pvmkit-interpreter rate (above 1 means the peer is faster).",
        "",
    ]
    path.write_text("\n".join(parts))
