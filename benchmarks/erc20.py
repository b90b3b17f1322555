"""The `erc20` program: a real resolc-compiled ERC-20, deployed and driven through each engine's Python API.

Engines (all measured in the same run):

* pvmkit-abi: `Env(backend="interpreter").deploy_contract(...)`, then `token.transfer(bob, 1)` — the ABI
  layer (eth-abi encoding, output decoding, ContractRevert on failure) on top of a pallet-revive transaction;
* pvmkit-raw: `env.call(token.address, calldata)` with calldata encoded once up front (no ABI work);
* pvmkit-jit-abi, pvmkit-jit-raw: the same two on `Env(backend="jit")` (the x86-64 JIT);
* pyrevm 0.3.7 (Rust revm), in process: `evm.message_call(alice, token, calldata=...)` with eth-abi
  encoding of each call, on solc 0.8.30's EVM bytecode of the same source; pyrevm-direct: encoded and
  decoded by the one-word code pvmkit's Contract runs (the like-for-like peer of pvmkit-abi); pyrevm-raw:
  the calldata encoded once (as pvmkit-raw);
* py-evm 0.12.1b1 (pure Python), in a subprocess from `benchmarks/.peers/pyevm-venv`: signed
  transactions, one block mined per transfer (`drivers/pyevm_driver.py`).

Every engine first makes one untimed warm-up transfer to CHARLIE (pvmkit compiles the blocks of
the call path there), then N timed transfers of 1 token to BOB; the `check` is balanceOf(BOB) == N.
The N transfers run in CHUNKS chunks; the in-process engines take turns chunk by chunk (rotating
who goes first), so load from other processes on the machine falls on all of them alike.

For pvmkit, a second, instrumented pass splits the time: `Instance.start` minus the host calls it
answers (the PVM, with the round trips to Python; `JitInstance.start` for the JIT), `Host.run` minus
that (host functions, weight metering, frame set-up) and the rest (transaction, state and, for the ABI
path, eth-abi). It wraps `start`, its host-call handler and `Host.run` with `time.perf_counter`
accumulators in this process only, and counts PVM instructions as the gas the guest consumed (on the JIT
over a few more transfers without the host calls it answers natively, pvm/shortcuts.py, whose fuel it also takes).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .peers import DRIVERS_DIR, PEERS_DIR, Log, PeerUnavailable, _run, _tail

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = REPO_ROOT / "tests" / "contracts" / "build"
CONSTRUCTOR_ARGS = ("T", "T", 10**24)
CONSTRUCTOR_TYPES = ["string", "string", "uint256"]

PYREVM_VERSION = "0.3.7"
PYEVM_VERSION = "0.12.1b1"
PYEVM_VENV = PEERS_DIR / "pyevm-venv"
PYEVM_PACKAGES = (f"py-evm=={PYEVM_VERSION}", "eth-keys", "eth-abi")

ALICE = bytes([1] * 20)
BOB = bytes([2] * 20)
CHARLIE = bytes([3] * 20)
REFERENCE = "pvmkit-abi"
CHUNKS = 10
"""The timed transfers run in this many equal chunks; the best chunk's rate is reported next to the overall rate,
since the overall one also measures whatever else the (2-core) machine was doing."""
FALLBACK_REFERENCE = "pvmkit-raw"  # the `vs pvmkit` base when pvmkit-abi was not run


def load_contract(name: str) -> Any:
    """A committed resolc 0.3.0 artifact from tests/contracts/build."""
    from pvmkit.revive.compiler import load_artifact

    return load_artifact(CONTRACTS, name)


def _checksum(address: bytes) -> str:
    from pvmkit.revive.address import to_checksum

    return to_checksum(address)


def _transfer_calldata(to: bytes, amount: int) -> bytes:
    from eth_abi import encode

    from pvmkit.revive.primitives import keccak256

    return keccak256(b"transfer(address,uint256)")[:4] + encode(["address", "uint256"], [_checksum(to), amount])


# --------------------------------------------------------------------------- results


@dataclass
class Erc20Result:
    """N timed transfers on one engine."""

    engine: str
    calls: int
    seconds: float
    balance: int  # balanceOf(BOB) afterwards
    note: str = ""
    chunks: list[tuple[int, float]] = field(default_factory=list)  # (calls, seconds) of each timed chunk

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0

    @property
    def best_rate(self) -> float:
        """Calls/s of the fastest chunk (the overall rate when there are no chunks)."""
        rates = [n / t for n, t in self.chunks if t > 0]
        return max(rates) if rates else self.rate

    def problems(self) -> list[str]:
        return [] if self.balance == self.calls else [f"balanceOf(bob) = {self.balance}, expected {self.calls}"]


@dataclass
class Erc20Row:
    engine: str
    result: Erc20Result | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.result.problems()


@dataclass
class Split:
    """Where one pass of pvmkit transfers spent its time (instrumented run)."""

    path: str  # "abi", "raw", "jit-abi" or "jit-raw"
    calls: int = 0
    total: float = 0.0
    vm: float = 0.0  # inside Instance.start minus its host calls (JitInstance.start for the JIT)
    host: float = 0.0  # inside the outermost Host.run, VM included
    vm_runs: int = 0  # host calls + 1 per frame
    instructions: int = 0  # gas the guest consumed: 1 per instruction of each block entered
    _depth: int = 0

    @property
    def host_only(self) -> float:
        return self.host - self.vm

    @property
    def outside(self) -> float:
        return self.total - self.host

    @property
    def vm_rate(self) -> float:
        return self.instructions / self.vm if self.vm > 0 else 0.0


@dataclass
class DeployTiming:
    """Deploy costs in pvmkit: a fresh Env compiles the blocks it runs; the same Chain reuses its Module."""

    first: float = 0.0  # first deploy in this process, fresh Env (upload, validate, Module, constructor's blocks)
    first_compile: float = 0.0  # of which Module._compile (generating and exec-ing block source)
    first_blocks: int = 0
    first_call: float = 0.0  # the first transfer in that Env (the interpreter runs the call path in tier 0)
    first_call_compile: float = 0.0
    first_call_blocks: int = 0
    second_env: float = 0.0  # the same deploy in a second, fresh Env (modules are cached per process)
    second_env_compile: float = 0.0
    second_env_blocks: int = 0
    same_env: float = 0.0  # a second deploy of the same code in the first Env (module cache hit)
    same_env_compile: float = 0.0
    same_env_blocks: int = 0
    steady_call: float = 0.0  # a later transfer in the first Env, for comparison


@dataclass
class Erc20Report:
    transfers: int
    pyevm_transfers: int
    rows: list[Erc20Row] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)
    deploy: DeployTiming | None = None  # interpreter
    deploy_error: str | None = None
    jit_deploy: DeployTiming | None = None
    jit_deploy_error: str | None = None
    auto_deploy: DeployTiming | None = None  # backend auto: a contract is JIT-compiled on its first instance
    auto_deploy_error: str | None = None
    pyrevm_gas: int = 0
    pyevm_gas: int = 0
    pvmkit_fuel: int = 0  # CallResult.gas_used of a steady-state transfer (ref_time / ref_time_per_fuel)

    def reference(self) -> tuple[str, float] | None:
        """(engine, best-chunk calls/s) that `vs pvmkit` divides by: pvmkit-abi, else pvmkit-raw."""
        for name in (REFERENCE, FALLBACK_REFERENCE):
            for r in self.rows:
                if r.engine == name and r.ok and r.result is not None:
                    return name, r.result.best_rate
        return None

    @property
    def wrong(self) -> bool:
        return any(r.result is not None and r.result.problems() for r in self.rows)


# --------------------------------------------------------------------------- instrumentation


def vm_class(backend: str) -> type:
    """The class whose `start` is the VM for a backend (JitInstance overrides Instance.start, and calls it only for
    an entry without native code)."""
    if backend == "jit":
        from pvmkit.pvm.jit.instance import JitInstance

        return JitInstance
    from pvmkit.pvm.interpreter import Instance

    return Instance


@contextmanager
def instrumented(split: Split, backend: str = "interpreter") -> Iterator[None]:
    """Wrap the VM's start (how Host.run runs a frame; and the host-call handler it is given) and Host.run with
    perf_counter accumulators (this process only), then restore them."""
    from pvmkit.revive.syscalls import Host

    Instance = vm_class(backend)
    inst_start, host_run = Instance.start, Host.__dict__["run"]  # (a classmethod: the Host it runs is made there)
    run = host_run.__func__
    clock = time.perf_counter

    def timed_start(self: Any, pc: int, gas: int, on_ecalli: Any, shortcuts: Any = None) -> Any:
        given = [gas]  # the gas the guest last went on with
        inside = [0.0]  # time in host calls (a nested frame's start is counted by its own wrapper)

        def timed_host_call(number: int, r: Any, gas: int) -> int:
            split.instructions += given[0] - gas
            split.vm_runs += 1
            given[0] = gas
            start = clock()
            try:
                given[0] = on_ecalli(number, r, gas)
            finally:
                inside[0] += clock() - start
            return given[0]

        start = clock()
        try:
            return inst_start(self, pc, gas, timed_host_call, shortcuts)
        finally:
            split.vm += clock() - start - inside[0]
            split.vm_runs += 1
            split.instructions += given[0] - self.gas

    def timed_host_run(cls: type[Host], stack: Any, frame: Any) -> Any:
        split._depth += 1
        start = clock()
        try:
            return run(cls, stack, frame)
        finally:
            split._depth -= 1
            if split._depth == 0:  # a nested frame's time is already inside its caller's Host.run
                split.host += clock() - start

    Instance.start = timed_start  # type: ignore[method-assign]
    Host.run = classmethod(timed_host_run)  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        Instance.start = inst_start  # type: ignore[method-assign]
        Host.run = host_run  # type: ignore[method-assign]


@contextmanager
def compile_counter(acc: list[float], backend: str = "interpreter") -> Iterator[None]:
    """acc = [seconds compiling, units compiled] while active: Module._compile (blocks compiled to Python) for the
    interpreter; for the JIT, CompiledModule.__init__ (a whole module to native code; the unit counted) plus the
    interpreter segments it falls back to (Module._compile outside it)."""
    from pvmkit.pvm.interpreter import Module

    original = Module._compile
    clock = time.perf_counter
    depth = [0]

    def timed(self: Module, *args: Any) -> Any:
        if depth[0]:
            return original(self, *args)
        start = clock()
        try:
            return original(self, *args)
        finally:
            acc[0] += clock() - start
            acc[1] += backend != "jit"

    Module._compile = timed  # type: ignore[method-assign]
    jit_init = None
    if backend == "jit":
        from pvmkit.pvm.jit.instance import CompiledModule

        jit_init = CompiledModule.__init__

        def timed_jit(self: Any, module: Module) -> None:
            depth[0] += 1
            start = clock()
            try:
                jit_init(self, module)
            finally:
                depth[0] -= 1
                acc[0] += clock() - start
                acc[1] += 1

        CompiledModule.__init__ = timed_jit  # type: ignore[method-assign]
    try:
        yield
    finally:
        Module._compile = original  # type: ignore[method-assign]
        if jit_init is not None:
            CompiledModule.__init__ = jit_init  # type: ignore[method-assign]


# --------------------------------------------------------------------------- engines


def chunk_sizes(total: int, chunks: int = CHUNKS) -> list[int]:
    """`total` split into at most `chunks` near-equal positive parts."""
    k = max(1, min(chunks, total))
    return [total // k + (1 if i < total % k else 0) for i in range(k)]


@dataclass
class Session:
    """A deployed, warmed-up token on an in-process engine: `transfer(n)` sends n transfers of 1 to BOB."""

    transfer: Callable[[int], None]
    balance: Callable[[], int]  # balanceOf(BOB)
    chunks: list[tuple[int, float]] = field(default_factory=list)


class Erc20Engine:
    name = ""
    description = ""
    in_process = True  # in-process engines are timed interleaved, chunk by chunk

    def prepare(self, log: Log, install: bool) -> None:
        """Make sure the engine can run (installing it if allowed); raises PeerUnavailable."""

    def session(self) -> Session:
        """Deploy the token and make the warm-up transfer (in-process engines)."""
        raise NotImplementedError

    def result(self, session: Session) -> Erc20Result:
        seconds = sum(t for _, t in session.chunks)
        calls = sum(n for n, _ in session.chunks)
        return Erc20Result(self.name, calls, seconds, session.balance(), chunks=list(session.chunks))

    def run(self, transfers: int) -> Erc20Result:
        """N timed transfers on their own (not interleaved with other engines)."""
        s = self.session()
        for n in chunk_sizes(transfers):
            start = time.perf_counter()
            s.transfer(n)
            s.chunks.append((n, time.perf_counter() - start))
        return self.result(s)


def run_interleaved(engines: list[Erc20Engine], transfers: int, log: Log) -> dict[str, Erc20Result | str]:
    """Time the engines' chunks round-robin (rotating who goes first), so load from other processes on the
    machine falls on all of them alike. Returns {engine: result, or the reason it failed}."""
    out: dict[str, Erc20Result | str] = {}
    sessions: dict[str, tuple[Erc20Engine, Session]] = {}
    for e in engines:
        try:
            sessions[e.name] = (e, e.session())
        except Exception as err:
            out[e.name] = f"{type(err).__name__}: {err}".splitlines()[0]
    clock = time.perf_counter
    for i, n in enumerate(chunk_sizes(transfers)):
        names = list(sessions)
        k = i % len(names) if names else 0
        for name in names[k:] + names[:k]:
            engine, s = sessions[name]
            try:
                start = clock()
                s.transfer(n)
                s.chunks.append((n, clock() - start))
            except Exception as err:
                out[name] = f"{type(err).__name__}: {err}".splitlines()[0]
                del sessions[name]
    for name, (engine, s) in sessions.items():
        try:
            out[name] = engine.result(s)
        except Exception as err:
            out[name] = f"{type(err).__name__}: {err}".splitlines()[0]
    return out


def _pvmkit_token(backend: str) -> tuple[Any, Any]:
    from pvmkit.env import Env

    env = Env(backend=backend)
    token = env.deploy_contract(load_contract("ERC20"), *CONSTRUCTOR_ARGS)
    token.transfer(_checksum(CHARLIE), 1)  # warm-up: the call path's first run (tier 0, or native code)
    return env, token


BACKEND_LABEL = {"interpreter": "", "jit": "jit-"}


class PvmkitAbi(Erc20Engine):
    kind = "abi"
    what = "`token.transfer(bob, 1)`: ABI encode + transaction + decode"

    def __init__(self, backend: str = "interpreter") -> None:
        self.backend = backend
        self.path = BACKEND_LABEL[backend] + self.kind
        self.name = "pvmkit-" + self.path
        self.description = f'pvmkit.env `Env(backend="{backend}")` {self.what} (this repo), in process'

    def prepare(self, log: Log, install: bool) -> None:
        try:
            import pvmkit.env  # noqa: F401
        except Exception as e:
            raise PeerUnavailable(f"cannot import pvmkit.env ({type(e).__name__}: {e})") from None
        if not (CONTRACTS / "ERC20.polkavm").exists():
            raise PeerUnavailable(f"{CONTRACTS / 'ERC20.polkavm'} is missing")
        if self.backend == "jit":
            from pvmkit.pvm.jit import is_supported

            if not is_supported():
                raise PeerUnavailable("the JIT is not supported on this machine")

    def session(self) -> Session:
        _env, token = _pvmkit_token(self.backend)
        bob = _checksum(BOB)
        transfer = token.transfer

        def body(n: int) -> None:
            for _ in range(n):
                transfer(bob, 1)

        return Session(body, lambda: token.balanceOf(bob))

    def split(self, transfers: int) -> Split:
        """The same loop, instrumented (a fresh token, run on its own). On the JIT the gas the guest consumed also
        pays for the host calls it answers natively (pvm/shortcuts.py): its instructions are counted again over a few
        transfers with those off."""
        s = self.session()
        split = Split(self.path, transfers)
        with instrumented(split, self.backend):
            start = time.perf_counter()
            s.transfer(transfers)
            split.total = time.perf_counter() - start
        if self.backend == "jit":
            from pvmkit.pvm.jit.instance import JitInstance

            probe, n = Split(self.path, 0), 20
            JitInstance.answers_shortcuts = False
            try:
                with instrumented(probe, self.backend):
                    s.transfer(n)
            finally:
                JitInstance.answers_shortcuts = True
            split.instructions = probe.instructions * transfers // n
        return split


class PvmkitRaw(PvmkitAbi):
    kind = "raw"
    what = "`env.call(token.address, calldata)` with pre-encoded calldata (no ABI work)"

    def session(self) -> Session:
        env, token = _pvmkit_token(self.backend)
        data = _transfer_calldata(BOB, 1)
        address = token.address
        call = env.call

        def body(n: int) -> None:
            for _ in range(n):
                if not call(address, data).success:
                    raise RuntimeError(f"transfer failed: {env.last_result!r}")

        return Session(body, lambda: token.balanceOf(_checksum(BOB)))


def pyrevm_version() -> str | None:
    import importlib.metadata as md

    try:
        return md.version("pyrevm")
    except md.PackageNotFoundError:
        return None


class Pyrevm(Erc20Engine):
    name = "pyrevm"
    description = f"pyrevm {PYREVM_VERSION} (Rust revm) `evm.message_call` + eth-abi encoding, solc 0.8.30 bytecode"
    gas_used = 0
    raw = False  # pre-encoded calldata (PyrevmRaw)
    direct = False  # encoded and decoded as pvmkit's Contract does for one-word types (PyrevmDirect)

    def prepare(self, log: Log, install: bool) -> None:
        if pyrevm_version() != PYREVM_VERSION:
            if not install:
                raise PeerUnavailable(f"pyrevm {PYREVM_VERSION} is not installed (run without --no-install)")
            log(f"installing pyrevm=={PYREVM_VERSION} into {sys.prefix} (a test dependency) ...")
            pip = _run([sys.executable, "-m", "pip", "install", "-q", f"pyrevm=={PYREVM_VERSION}"], timeout=900)
            if pip.returncode != 0 or pyrevm_version() != PYREVM_VERSION:
                raise PeerUnavailable(f"pip install pyrevm=={PYREVM_VERSION} failed: {_tail(pip.stderr, 3)}")
        if not (CONTRACTS / "ERC20.evm.hex").exists():
            raise PeerUnavailable(f"{CONTRACTS / 'ERC20.evm.hex'} is missing")

    def session(self) -> Session:
        from eth_abi import decode, encode
        from pyrevm import EVM

        from pvmkit.revive.address import parse_address
        from pvmkit.revive.primitives import keccak256

        code = load_contract("ERC20").evm_bytecode
        alice, bob = _checksum(ALICE), _checksum(BOB)
        evm = EVM()
        evm.set_balance(alice, 10**30)
        token = evm.deploy(alice, code + encode(CONSTRUCTOR_TYPES, list(CONSTRUCTOR_ARGS)))
        selector = keccak256(b"transfer(address,uint256)")[:4]
        evm.message_call(alice, token, calldata=selector + encode(["address", "uint256"], [_checksum(CHARLIE), 1]))
        message_call = evm.message_call

        calldata = selector + encode(["address", "uint256"], [bob, 1])
        parsed = {bob: parse_address(bob)}.get  # (pvmkit's Contract keeps the addresses it has parsed likewise)
        zeros, high = bytes(12), 1 << 256

        def transfer(to: str, amount: int) -> bool:
            """What pvmkit's Contract runs for `transfer(bob, 1)` (contract._direct): check, encode, call, decode."""
            if (word := parsed(to) if to.__class__ is str else None) is None or amount.__class__ is not int \
                    or not 0 <= amount < high:  # fmt: skip
                raise TypeError("not a one-word call")
            out = message_call(alice, token, calldata=selector + zeros + word + amount.to_bytes(32, "big"))
            if len(out) < 32 or (value := int.from_bytes(out[:32], "big")) > 1:
                raise RuntimeError(f"transfer returned {bytes(out).hex()}")
            return value == 1

        def body(n: int) -> None:
            if self.raw:
                for _ in range(n):
                    message_call(alice, token, calldata=calldata)
            elif self.direct:
                for _ in range(n):
                    transfer(bob, 1)
            else:
                for _ in range(n):
                    message_call(alice, token, calldata=selector + encode(["address", "uint256"], [bob, 1]))
            self.gas_used = int(evm.result.gas_used)

        def balance() -> int:
            out = evm.message_call(
                alice, token, calldata=keccak256(b"balanceOf(address)")[:4] + encode(["address"], [bob])
            )
            return int(decode(["uint256"], bytes(out))[0])

        return Session(body, balance)


class PyrevmDirect(Pyrevm):
    """pyrevm with each call encoded and its result decoded by the same one-word code pvmkit's Contract runs for
    `token.transfer(bob, 1)` (found in review: against eth-abi's ~15 µs per call, pvmkit-jit-abi looked faster than
    pyrevm, while revm's call itself takes ~8 µs): the like-for-like peer of pvmkit-jit-abi."""

    name = "pyrevm-direct"
    description = (f"pyrevm {PYREVM_VERSION} (Rust revm) `evm.message_call`, encoded and decoded as pvmkit's Contract "
                   "does for one-word types")  # fmt: skip
    direct = True


class PyrevmRaw(Pyrevm):
    """pyrevm with the calldata encoded once, as pvmkit-jit-raw: what revm itself costs per call from Python."""

    name = "pyrevm-raw"
    description = f"pyrevm {PYREVM_VERSION} (Rust revm) `evm.message_call` with pre-encoded calldata (no ABI work)"
    raw = True


def pyevm_python() -> Path:
    return PYEVM_VENV / "bin" / "python"


def pyevm_installed() -> bool:
    py = pyevm_python()
    if not py.exists():
        return False
    probe = _run([str(py), "-c", "import importlib.metadata as m, eth, eth_keys, eth_abi; print(m.version('py-evm'))"],
                 timeout=120)  # fmt: skip
    return probe.returncode == 0 and probe.stdout.strip() == PYEVM_VERSION


def install_pyevm(log: Log = print) -> Path:
    """Create `.peers/pyevm-venv` (this Python) with py-evm, eth-keys and eth-abi (idempotent); returns its Python."""
    if pyevm_installed():
        return pyevm_python()
    import shutil

    log(f"installing {' '.join(PYEVM_PACKAGES)} into {PYEVM_VENV} ...")
    if PYEVM_VENV.exists():
        shutil.rmtree(PYEVM_VENV)
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    made = _run([sys.executable, "-m", "venv", str(PYEVM_VENV)], timeout=300)
    if made.returncode != 0:
        raise PeerUnavailable(f"`{sys.executable} -m venv` failed: {_tail(made.stderr, 3)}")
    pip = _run([str(pyevm_python()), "-m", "pip", "install", "-q", *PYEVM_PACKAGES], timeout=900)
    if pip.returncode != 0 or not pyevm_installed():
        raise PeerUnavailable(f"pip install of {' '.join(PYEVM_PACKAGES)} failed: {_tail(pip.stderr + pip.stdout, 3)}")
    log("py-evm installed")
    return pyevm_python()


class PyEvm(Erc20Engine):
    name = "py-evm"
    description = (
        f"py-evm {PYEVM_VERSION} (pure Python) signed transactions, one block mined per transfer, "
        "solc 0.8.30 bytecode (subprocess, benchmarks/.peers/pyevm-venv)"
    )
    gas_used = 0
    in_process = False

    def prepare(self, log: Log, install: bool) -> None:
        if install:
            install_pyevm(log)
        elif not pyevm_installed():
            raise PeerUnavailable(f"py-evm is not installed in {PYEVM_VENV} (run without --no-install)")

    def run(self, transfers: int) -> Erc20Result:
        from eth_abi import encode

        job = {
            "creation_code": load_contract("ERC20").evm_bytecode.hex(),
            "constructor_args": encode(CONSTRUCTOR_TYPES, list(CONSTRUCTOR_ARGS)).hex(),
            "to": BOB.hex(),
            "warmup_to": CHARLIE.hex(),
            "transfers": transfers,
            "chunks": chunk_sizes(transfers),
        }
        cmd = [str(pyevm_python()), str(DRIVERS_DIR / "pyevm_driver.py")]
        proc = subprocess.run(cmd, input=json.dumps(job), capture_output=True, text=True, timeout=600 + transfers)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        out = json.loads(lines[-1]) if lines else {}
        if proc.returncode != 0 or "error" in out or not out:
            reason = out.get("error") or _tail(proc.stderr + proc.stdout, 3)
            raise RuntimeError(f"py-evm driver failed (exit {proc.returncode}): {reason}")
        self.gas_used = int(out["gas_used"])
        note = f"{out['vm']}, 1 block mined per transfer; deploy {out['deploy_seconds'] * 1e3:.0f} ms"
        chunks = [(int(n), float(t)) for n, t in out.get("chunks", [])]
        return Erc20Result(
            self.name, int(out["transfers"]), float(out["seconds"]), int(out["balance"]), note, chunks=chunks
        )


def all_engines() -> list[Erc20Engine]:
    return [PvmkitAbi(), PvmkitRaw(), PvmkitAbi("jit"), PvmkitRaw("jit"), Pyrevm(), PyrevmDirect(), PyrevmRaw(),
            PyEvm()]


# --------------------------------------------------------------------------- the program


def measure_deploy(backend: str = "interpreter") -> DeployTiming:
    """Deploy timings in pvmkit, with the time spent compiling (see `compile_counter`)."""
    from pvmkit.env import Env
    from pvmkit.revive import chain

    chain._VALIDATED.clear()  # each backend's "first deploy" validates (and decodes) the blob as a new process would
    # A new process has no garbage to collect: without this, the other programs' leftovers (the compile benchmark's
    # template libraries, say) made a full collection land in one of these single-shot timings (+30 ms).
    gc.collect()

    compiled = load_contract("ERC20")
    bob, charlie = _checksum(BOB), _checksum(CHARLIE)
    d = DeployTiming()
    clock = time.perf_counter

    acc = [0.0, 0]
    with compile_counter(acc, backend):
        env = Env(backend=backend)
        start = clock()
        token = env.deploy_contract(compiled, *CONSTRUCTOR_ARGS)
        d.first = clock() - start
    d.first_compile, d.first_blocks = acc
    acc = [0.0, 0]
    with compile_counter(acc, backend):
        start = clock()
        token.transfer(charlie, 1)
        d.first_call = clock() - start
    d.first_call_compile, d.first_call_blocks = acc
    token.transfer(bob, 1)
    start = clock()
    token.transfer(bob, 1)
    d.steady_call = clock() - start
    acc = [0.0, 0]
    with compile_counter(acc, backend):
        start = clock()
        env.deploy_contract(compiled, *CONSTRUCTOR_ARGS)
        d.same_env = clock() - start
    d.same_env_compile, d.same_env_blocks = acc
    acc = [0.0, 0]
    with compile_counter(acc, backend):
        env2 = Env(backend=backend)
        start = clock()
        env2.deploy_contract(compiled, *CONSTRUCTOR_ARGS)
        d.second_env = clock() - start
    d.second_env_compile, d.second_env_blocks = acc
    return d


def run_program(engines: list[Erc20Engine], transfers: int, pyevm_transfers: int, install: bool, log: Log,
                split: bool = True) -> Erc20Report:  # fmt: skip
    """Deploy timings, then each engine's N transfers, then pvmkit's instrumented split."""
    report = Erc20Report(transfers, pyevm_transfers)
    names = {e.name for e in engines}
    log(f"== erc20 ({transfers:,} transfers; py-evm {pyevm_transfers:,})")
    ready: list[Erc20Engine] = []
    for e in engines:
        try:
            e.prepare(log, install)
            ready.append(e)
        except (PeerUnavailable, OSError, subprocess.SubprocessError) as err:
            reason = str(err).splitlines()[0]
            log(f"   SKIP {e.name}: {reason}")
            report.rows.append(Erc20Row(e.name, skipped=reason))
    backends = {e.backend for e in ready if isinstance(e, PvmkitAbi)}
    pvmkit_ready = bool(backends)
    for backend in ("interpreter", "jit", "auto"):
        if (backend if backend != "auto" else "jit") not in backends:
            continue
        attr = {"interpreter": "deploy", "jit": "jit_deploy", "auto": "auto_deploy"}[backend]
        try:
            d = measure_deploy(backend)
            setattr(report, attr, d)
            log(f"   deploy ({backend}): fresh Env {d.first * 1e3:.1f} ms (compile {d.first_compile * 1e3:.1f} ms), "
                f"second Env {d.second_env * 1e3:.1f} ms, same Env {d.same_env * 1e3:.1f} ms")  # fmt: skip
        except Exception as err:
            error = f"{type(err).__name__}: {err}".splitlines()[0]
            setattr(report, attr + "_error", error)
            log(f"   deploy timing ({backend}) FAILED: {error}")
    outcomes = run_interleaved([e for e in ready if e.in_process], transfers, log)
    for e in ready:
        if not e.in_process:
            try:
                outcomes[e.name] = e.run(pyevm_transfers if isinstance(e, PyEvm) else transfers)
            except Exception as err:  # one broken engine must not hide the others' numbers
                outcomes[e.name] = f"{type(err).__name__}: {err}".splitlines()[0]
    for e in ready:
        result = outcomes[e.name]
        if isinstance(result, str):
            log(f"   {e.name}: FAILED {result}")
            report.rows.append(Erc20Row(e.name, skipped="failed: " + result))
            continue
        report.rows.append(Erc20Row(e.name, result=result))
        if isinstance(e, Pyrevm | PyEvm):
            setattr(report, "pyrevm_gas" if isinstance(e, Pyrevm) else "pyevm_gas", e.gas_used)
        problems = result.problems()
        verdict = "ok" if not problems else "WRONG: " + "; ".join(problems)
        log(
            f"   {e.name:12} {result.rate:10,.1f} calls/s, best chunk {result.best_rate:10,.1f}  "
            f"({result.calls} calls, {result.seconds:.3f} s)  {verdict}"
        )
    order = {e.name: i for i, e in enumerate(engines)}
    report.rows.sort(key=lambda r: order.get(r.engine, len(order)))
    if split:
        for e in ready:
            if isinstance(e, PvmkitAbi) and e.name in names:
                try:
                    s = e.split(transfers)
                    report.splits.append(s)
                    log(f"   split {s.path}: VM {s.vm / s.total:.0%}, host {s.host_only / s.total:.0%}, "
                        f"outside {s.outside / s.total:.0%}; {s.instructions / s.calls:,.0f} instr/transfer, "
                        f"VM {s.vm_rate / 1e6:.2f} M instr/s")  # fmt: skip
                except Exception as err:
                    log(f"   split {e.name}: FAILED {type(err).__name__}: {err}")
    if pvmkit_ready:
        try:
            from pvmkit.env import Env  # one more transfer, for the fuel figure pallet-revive would report

            env = Env(backend=next(iter(sorted(backends))))  # the fuel is the same on both backends
            token = env.deploy_contract(load_contract("ERC20"), *CONSTRUCTOR_ARGS)
            token.transfer(_checksum(CHARLIE), 1)
            token.transfer(_checksum(BOB), 1)
            token.transfer(_checksum(BOB), 1)
            report.pvmkit_fuel = env.last_result.gas_used
        except Exception as err:
            log(f"   fuel probe FAILED: {type(err).__name__}: {err}")
    return report
