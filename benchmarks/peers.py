"""Engines under test: pvmkit's interpreter and JIT (in process) and two peer VMs (in subprocesses).

Peers are installed on demand into `benchmarks/.peers/` (gitignored), from PyPI and npm only:

* tsrkit-pvm 0.2.1 (pure-Python `Interpreter` and Cython `CyInterpreter`) in a Python 3.12 venv,
  because its wheel requires Python >=3.12,<3.13;
* @fluffylabs/anan-as 1.2.0 (AssemblyScript → wasm; `release` and `release-mini` builds) under Node.

Each peer runs in a small driver (`benchmarks/drivers/`) that times only the execution call, so
process start-up, module loading and program decoding are not counted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .programs import RESULT_REG, Workload

HERE = Path(__file__).resolve().parent
PEERS_DIR = HERE / ".peers"
DRIVERS_DIR = HERE / "drivers"

TSRKIT_VENV = PEERS_DIR / "tsrkit-venv"
TSRKIT_PACKAGES = ("tsrkit-pvm==0.2.1", "tsrkit-asm==0.1.0")
TSRKIT_VERSION = "0.2.1"
PY312_ENV = "PVMKIT_BENCH_PYTHON312"

ANAN_DIR = PEERS_DIR / "anan"
ANAN_PACKAGE = "@fluffylabs/anan-as"
ANAN_VERSION = "1.2.0"
ANAN_DIST = ANAN_DIR / "node_modules" / "@fluffylabs" / "anan-as" / "dist" / "build"

GAS = 10**12
"""Initial gas for every engine: far above any run here and below 2^63 (anan-as and Cython use i64)."""

MAX_RUNS = 10_000

Log = Callable[[str], None]


class PeerUnavailable(RuntimeError):
    """A peer (or its prerequisite) is missing or failed to install; the message says what to do."""


@dataclass
class RunResult:
    """Outcome of running one workload on one engine, possibly several times back to back."""

    engine: str
    status: str  # "halt", "trap", "out-of-gas", ... of the last run
    result: int  # value of a0 after the last run
    gas_used: int  # per run
    runs: int
    seconds: float  # execution time summed over all runs

    @property
    def instructions(self) -> int:
        return self.gas_used * self.runs

    @property
    def rate(self) -> float:
        """PVM instructions per second."""
        return self.instructions / self.seconds if self.seconds > 0 else 0.0

    def problems(self, workload: Workload) -> list[str]:
        """Differences from the expected outcome (empty when the run was correct)."""
        out = []
        if self.status != "halt":
            out.append(f"status {self.status}, expected halt")
        if self.result != workload.expected_result:
            out.append(f"a0 = {self.result}, expected {workload.expected_result}")
        if self.gas_used != workload.instructions:
            out.append(f"gas used {self.gas_used}, expected {workload.instructions}")
        return out


def _run(cmd: list[str], *, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- installers


def find_python312() -> Path | None:
    """A Python 3.12 interpreter: $PVMKIT_BENCH_PYTHON312, pyenv's 3.12.x, or python3.12 on PATH."""
    candidates: list[Path] = []
    if os.environ.get(PY312_ENV):
        candidates.append(Path(os.environ[PY312_ENV]))
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            root = Path(_run([pyenv, "root"], timeout=30).stdout.strip())
            candidates += sorted((root / "versions").glob("3.12*/bin/python3"), reverse=True)
        except (OSError, subprocess.SubprocessError):
            pass
    which = shutil.which("python3.12")
    if which:
        candidates.append(Path(which))
    for cand in candidates:
        if cand.exists():
            probe = _run([str(cand), "-c", "import sys, venv; print(sys.version_info[:2] == (3, 12))"], timeout=30)
            if probe.stdout.strip() == "True":
                return cand
    return None


def tsrkit_python() -> Path:
    return TSRKIT_VENV / "bin" / "python"


def tsrkit_installed() -> bool:
    py = tsrkit_python()
    if not py.exists():
        return False
    probe = _run(
        [str(py), "-c", "import importlib.metadata as m, tsrkit_pvm; print(m.version('tsrkit-pvm'))"], timeout=120
    )
    return probe.returncode == 0 and probe.stdout.strip() == TSRKIT_VERSION


def install_tsrkit(log: Log = print) -> Path:
    """Create `.peers/tsrkit-venv` with tsrkit-pvm (idempotent); returns its Python."""
    if tsrkit_installed():
        return tsrkit_python()
    base = find_python312()
    if base is None:
        raise PeerUnavailable(
            "tsrkit-pvm needs Python 3.12 (its wheel says Requires-Python >=3.12,<3.13) and none was found. "
            f"Install one (e.g. `pyenv install 3.12`) or point ${PY312_ENV} at a python3.12 binary."
        )
    log(f"installing {' '.join(TSRKIT_PACKAGES)} into {TSRKIT_VENV} (Python {base}) ...")
    if TSRKIT_VENV.exists():
        shutil.rmtree(TSRKIT_VENV)
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    made = _run([str(base), "-m", "venv", str(TSRKIT_VENV)], timeout=300)
    if made.returncode != 0:
        raise PeerUnavailable(f"`{base} -m venv` failed:\n{_tail(made.stderr)}")
    pip = _run([str(tsrkit_python()), "-m", "pip", "install", "-q", *TSRKIT_PACKAGES], timeout=900)
    if pip.returncode != 0 or not tsrkit_installed():
        raise PeerUnavailable(f"pip install of {' '.join(TSRKIT_PACKAGES)} failed:\n{_tail(pip.stderr + pip.stdout)}")
    log("tsrkit-pvm installed")
    return tsrkit_python()


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise PeerUnavailable(
            "anan-as needs Node.js (>= 18) and `node` is not on PATH (Debian: apt-get install nodejs)"
        )
    version = _run([node, "--version"], timeout=30).stdout.strip()
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < 18:
        raise PeerUnavailable(f"anan-as needs Node.js >= 18 (it uses top-level await); found {version or 'unknown'}")
    return node


def anan_installed() -> bool:
    manifest = ANAN_DIR / "node_modules" / "@fluffylabs" / "anan-as" / "package.json"
    if not manifest.exists() or not (ANAN_DIST / "release.js").exists():
        return False
    return json.loads(manifest.read_text()).get("version") == ANAN_VERSION


def install_anan(log: Log = print) -> Path:
    """npm-install @fluffylabs/anan-as into `.peers/anan` (idempotent); returns its dist/build folder."""
    node_binary()
    if anan_installed():
        return ANAN_DIST
    npm = shutil.which("npm")
    if npm is None:
        raise PeerUnavailable("anan-as is installed with npm, and `npm` is not on PATH (Debian: apt-get install npm)")
    log(f"installing {ANAN_PACKAGE}@{ANAN_VERSION} into {ANAN_DIR} ...")
    ANAN_DIR.mkdir(parents=True, exist_ok=True)
    manifest = ANAN_DIR / "package.json"
    if not manifest.exists():
        manifest.write_text(json.dumps({"name": "pvmkit-bench-peers", "private": True, "version": "0.0.0"}) + "\n")
    done = _run(
        [npm, "install", "--no-audit", "--no-fund", f"{ANAN_PACKAGE}@{ANAN_VERSION}"], cwd=ANAN_DIR, timeout=600
    )
    if done.returncode != 0 or not anan_installed():
        raise PeerUnavailable(f"npm install {ANAN_PACKAGE}@{ANAN_VERSION} failed:\n{_tail(done.stderr + done.stdout)}")
    log("anan-as installed")
    return ANAN_DIST


def install_peers(log: Log = print) -> dict[str, str | None]:
    """Install both peers; returns {peer: None if ready, else the reason it is unavailable}."""
    out: dict[str, str | None] = {}
    for name, installer in (("tsrkit", install_tsrkit), ("anan", install_anan)):
        try:
            installer(log)
            out[name] = None
        except (PeerUnavailable, OSError, subprocess.SubprocessError) as e:
            out[name] = str(e)
    return out


# --------------------------------------------------------------------------- engines


class Engine:
    """One VM configuration. `prepare` raises PeerUnavailable; `run` repeats until `target_seconds`."""

    name = ""
    description = ""
    is_reference = False
    big = False
    """Runs the large-N workloads (the JIT and the native baseline) instead of the interpreters' ones."""

    def prepare(self, log: Log, install: bool) -> None:
        """Make sure the engine can run (installing it if allowed)."""

    def run(self, workload: Workload, target_seconds: float) -> RunResult:
        raise NotImplementedError


class PvmkitInterpreter(Engine):
    """pvmkit.pvm.interpreter, in this process. Times `inst.run()` only."""

    name = "pvmkit-interpreter"
    description = 'pvmkit.pvm.interpreter (this repo), in process: `ModuleConfig(backend="interpreter")`'
    is_reference = True
    backend = "interpreter"

    def prepare(self, log: Log, install: bool) -> None:
        try:
            from pvmkit.pvm import interpreter  # noqa: F401
        except Exception as e:  # an interpreter under construction may fail with anything
            raise PeerUnavailable(f"cannot import pvmkit.pvm.interpreter ({type(e).__name__}: {e})") from None

    def run(self, workload: Workload, target_seconds: float) -> RunResult:
        from pvmkit.pvm.interpreter import Module, ModuleConfig

        module = Module(workload.blob, ModuleConfig(backend=self.backend))
        if module.backend != self.backend:
            raise PeerUnavailable(f"ModuleConfig(backend={self.backend!r}) gave the {module.backend} backend")
        seconds = 0.0
        runs = 0
        status, result, used = "none", 0, 0
        while runs == 0 or (seconds < target_seconds and runs < MAX_RUNS):
            inst = module.instantiate()  # not timed (nor is the JIT's compile, on the first one)
            inst.set_next_program_counter(0)
            inst.gas = GAS
            inst.regs[0] = 0xFFFF0000
            start = time.perf_counter()
            interrupt = inst.run()
            seconds += time.perf_counter() - start
            runs += 1
            kind = getattr(interrupt, "kind", interrupt)
            status = _normalise_status(str(getattr(kind, "name", kind)))
            result = int(inst.regs[RESULT_REG])
            used = GAS - int(inst.gas)
        return RunResult(self.name, status, result, used, runs, seconds)


class PvmkitJit(PvmkitInterpreter):
    """pvmkit's x86-64 JIT (`ModuleConfig(backend="jit")`), in this process, on the large-N workloads."""

    name = "pvmkit-jit"
    description = (
        'pvmkit.pvm.jit (this repo), in process: `ModuleConfig(backend="jit")`; native code compiled on the '
        "first `instantiate()` (not timed)"
    )
    is_reference = False
    backend = "jit"
    big = True

    def prepare(self, log: Log, install: bool) -> None:
        super().prepare(log, install)
        try:
            from pvmkit.pvm.jit import check_supported

            check_supported()
        except Exception as e:
            raise PeerUnavailable(f"the JIT is unavailable here ({type(e).__name__}: {e})") from None


class _SubprocessEngine(Engine):
    """An engine driven by a script that reads a JSON job on stdin and prints a JSON result line."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def job(self, workload: Workload, target_seconds: float) -> dict:
        return {
            "program": workload.payload.hex(),
            "pc": 0,
            "gas": GAS,
            "regs": [0] * 13,
            "write_pages": workload.rw_pages,
            "target_seconds": target_seconds,
            "max_runs": MAX_RUNS,
        }

    def run(self, workload: Workload, target_seconds: float) -> RunResult:
        job = json.dumps(self.job(workload, target_seconds))
        timeout = 300 + 20 * target_seconds
        proc = subprocess.run(self.command(), input=job, capture_output=True, text=True, timeout=timeout)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(
                f"{self.name} driver failed (exit {proc.returncode}):\n{_tail(proc.stderr + proc.stdout)}"
            )
        out = json.loads(lines[-1])
        regs = [int(r) for r in out["regs"]]
        return RunResult(
            engine=self.name,
            status=_normalise_status(str(out["status"])),
            result=regs[RESULT_REG] if regs else -1,
            gas_used=GAS - int(out["gas_left"]),
            runs=int(out["runs"]),
            seconds=float(out["seconds"]),
        )


class TsrkitEngine(_SubprocessEngine):
    """tsrkit-pvm 0.2.1 under Python 3.12: `Interpreter` (pure Python) or `CyInterpreter` (Cython)."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.name = f"tsrkit-{flavour}"
        kind = "Cython CyInterpreter" if flavour == "cython" else "pure-Python Interpreter"
        self.description = f"tsrkit-pvm {TSRKIT_VERSION} {kind} (Python 3.12 subprocess)"

    def prepare(self, log: Log, install: bool) -> None:
        if install:
            install_tsrkit(log)
        elif not tsrkit_installed():
            raise PeerUnavailable(f"tsrkit-pvm is not installed in {TSRKIT_VENV} (run without --no-install)")

    def command(self) -> list[str]:
        return [str(tsrkit_python()), str(DRIVERS_DIR / "tsrkit_driver.py")]

    def job(self, workload: Workload, target_seconds: float) -> dict:
        return {**super().job(workload, target_seconds), "engine": self.flavour}


class AnanEngine(_SubprocessEngine):
    """anan-as 1.2.0 (AssemblyScript compiled to wasm) under Node, `release` or `release-mini` build."""

    def __init__(self, build: str) -> None:
        self.build = build
        self.name = f"anan-{build}"
        self.description = f"anan-as {ANAN_VERSION} `{build}` wasm build (Node subprocess)"

    def prepare(self, log: Log, install: bool) -> None:
        if install:
            install_anan(log)
        elif not anan_installed():
            raise PeerUnavailable(f"anan-as is not installed in {ANAN_DIR} (run without --no-install)")
        node = _run([node_binary(), "--version"], timeout=30).stdout.strip()
        self.description = f"anan-as {ANAN_VERSION} `{self.build}` wasm build (Node {node} subprocess)"

    def command(self) -> list[str]:
        return [node_binary(), str(DRIVERS_DIR / "anan_driver.mjs"), str(ANAN_DIST / f"{self.build}.js")]


def _normalise_status(raw: str) -> str:
    """Map each engine's halt/trap spelling onto one vocabulary."""
    text = raw.lower().rsplit(".", 1)[-1]
    table = {
        "finished": "halt",
        "halt": "halt",
        "0": "halt",
        "trap": "trap",
        "panic": "trap",
        "1": "trap",
        "2": "page-fault",
        "3": "host",
        "4": "out-of-gas",
        "notenoughgas": "out-of-gas",
        "not_enough_gas": "out-of-gas",
        "out_of_gas": "out-of-gas",
    }
    return table.get(text, text)


def all_engines() -> list[Engine]:
    """Every engine, reference (pvmkit) first."""
    from .jit import GccNative

    return [
        PvmkitInterpreter(),
        PvmkitJit(),
        GccNative(),
        TsrkitEngine("python"),
        TsrkitEngine("cython"),
        AnanEngine("release"),
        AnanEngine("release-mini"),
    ]


if __name__ == "__main__":  # `python -m benchmarks.peers`: install the peers only
    problems = install_peers()
    for peer, reason in problems.items():
        print(f"{peer}: {'ready' if reason is None else 'UNAVAILABLE: ' + reason}")
    sys.exit(1 if any(problems.values()) else 0)
