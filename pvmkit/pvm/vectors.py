"""Runs PVM test vectors in the JAM JSON v0.4 schema (the 201 in shared/vectors/pvm/programs).

A vector gives initial registers, pc, page map, memory and gas, and the expected status
(halt, panic, page-fault, out-of-gas), registers, pc, memory, gas and page-fault address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .. import safejson
from ..files import read_input
from .blob import ProgramBlob, ProgramBlobError
from .interpreter import Instance, InterruptKind, Module, ModuleConfig

_STATUS = {
    InterruptKind.FINISHED: "halt",
    InterruptKind.TRAP: "panic",
    InterruptKind.SEGFAULT: "page-fault",
    InterruptKind.NOT_ENOUGH_GAS: "out-of-gas",
    InterruptKind.ECALLI: "host",
}


@dataclass
class VectorResult:
    name: str
    path: str
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


class VectorError(ValueError):
    """A vector file is unreadable or not in the v0.4 schema."""


def load_vector(path: Path) -> dict:
    try:
        data = safejson.loads(read_input(path, text=True))
    except (OSError, UnicodeDecodeError, ValueError) as e:  # (ValueError: bad JSON, too deep, or a huge int)
        raise VectorError(f"{path}: cannot read vector: {getattr(e, 'strerror', None) or e}") from None
    required = ("initial-regs", "initial-pc", "initial-gas", "program", "expected-status")
    if not isinstance(data, dict) or any(k not in data for k in required):
        raise VectorError(f"{path}: not a v0.4 PVM test vector (needs keys {', '.join(required)})")
    return data


def run_vector(data: dict, *, backend: str = "interpreter", name: str = "", path: str = "",
               compile_after: int | None = None, max_memory: int | None = None) -> VectorResult:  # fmt: skip
    """Execute one vector and compare everything it specifies; the failure list is empty on success.
    `compile_after`, `max_memory`: the ModuleConfig fields (their defaults if None)."""
    given = data.get("name")
    name = given if isinstance(given, str) else name or path
    failures: list[str] = []
    problem = _schema_problem(data)
    if problem:
        return VectorResult(name, path, [f"malformed vector: {problem}"])
    try:
        blob = ProgramBlob.from_code_and_jump_table(bytes(data["program"]))
    except (ProgramBlobError, ValueError, TypeError) as e:
        return VectorResult(name, path, [f"program does not parse: {e}"])
    inst = _instantiate(blob, backend, compile_after, max_memory)
    try:
        # Pages are filled while writable (the host writes only writable pages, as polkavm's API), then protected.
        pages = data.get("initial-page-map", [])
        for page in pages:
            inst.map_memory(page["address"], page["length"], True)
        for chunk in data.get("initial-memory", []):
            inst.write_memory(chunk["address"], bytes(chunk["contents"]))
        for page in pages:  # (every entry again, in order: where entries overlap, the last one's protection wins)
            inst.map_memory(page["address"], page["length"], page["is-writable"])
    except ValueError as e:  # a page map past max_memory, or initial memory outside the mapped pages
        return VectorResult(name, path, [f"cannot set up the initial memory: {e}"])
    for i, value in enumerate(data["initial-regs"]):
        inst.regs[i] = value
    inst.gas = data["initial-gas"]
    inst.set_next_program_counter(data["initial-pc"])
    intr = inst.run()
    while intr.kind is InterruptKind.STEP:
        intr = inst.run()
    status = _STATUS[intr.kind]
    if status != data["expected-status"]:
        failures.append(f"status: expected {data['expected-status']}, got {status} ({intr})")
    if "expected-regs" in data:
        for i, (want, got) in enumerate(zip(data["expected-regs"], inst.regs, strict=False)):
            if want != got:
                failures.append(f"register {i}: expected {want:#x}, got {got:#x}")
    if "expected-pc" in data and intr.pc != data["expected-pc"]:
        failures.append(f"pc: expected {data['expected-pc']}, got {intr.pc}")
    if "expected-gas" in data and inst.gas != data["expected-gas"]:
        failures.append(f"gas: expected {data['expected-gas']}, got {inst.gas}")
    if data.get("expected-status") == "page-fault" and "expected-page-fault-address" in data:
        if intr.address != data["expected-page-fault-address"]:
            got = "none" if intr.address is None else f"{intr.address:#x}"
            failures.append(f"page-fault address: expected {data['expected-page-fault-address']:#x}, got {got}")
    for chunk in data.get("expected-memory", []):
        want = bytes(chunk["contents"])
        try:
            got_mem = inst.read_memory(chunk["address"], len(want))
        except ValueError as e:
            failures.append(f"memory at {chunk['address']:#x}: {e}")
            continue
        if got_mem != want:
            first = next(i for i in range(len(want)) if want[i] != got_mem[i])
            failures.append(
                f"memory at {chunk['address'] + first:#x}: expected {want[first]:#04x}, got {got_mem[first]:#04x}"
            )
    return VectorResult(name, path, failures)


_U32, _U64, _I64 = (0, 2**32 - 1), (0, 2**64 - 1), (-(2**63), 2**63 - 1)


def _schema_problem(data: dict) -> str | None:
    """What is wrong with a vector's fields (types and ranges), or None: run_vector relies on them."""

    def integer(value: object, bounds: tuple[int, int]) -> bool:
        return type(value) is int and bounds[0] <= value <= bounds[1]

    def chunks(key: str) -> str | None:
        for i, chunk in enumerate(data.get(key, [])):
            if not (isinstance(chunk, dict) and integer(chunk.get("address"), _U32)
                    and isinstance(chunk.get("contents"), list)
                    and all(integer(b, (0, 255)) for b in chunk["contents"])):  # fmt: skip
                return f"{key}[{i}] needs an address (u32) and contents (bytes 0..255)"
        return None

    regs = data["initial-regs"]
    if not (isinstance(regs, list) and len(regs) <= 13 and all(integer(v, _U64) for v in regs)):
        return "initial-regs must be at most 13 unsigned 64-bit integers"
    if not integer(data["initial-pc"], _U32):
        return "initial-pc must be an unsigned 32-bit integer"
    if not integer(data["initial-gas"], _I64):
        return "initial-gas must be a signed 64-bit integer"
    if not isinstance(data["program"], list):
        return "program must be a list of bytes"
    for key in ("initial-page-map", "initial-memory", "expected-memory"):
        if not isinstance(data.get(key, []), list):
            return f"{key} must be a list"
    for i, page in enumerate(data.get("initial-page-map", [])):
        if not (isinstance(page, dict) and integer(page.get("address"), _U32)
                and integer(page.get("length"), (0, 2**32)) and type(page.get("is-writable")) is bool):  # fmt: skip
            return f"initial-page-map[{i}] needs an address (u32), a length and is-writable (true/false)"
    problem = chunks("initial-memory") or chunks("expected-memory")
    if problem:
        return problem
    if data["expected-status"] not in _STATUS.values():
        return f"expected-status must be one of {', '.join(sorted(_STATUS.values()))}"
    expected = data.get("expected-regs", [0] * 13)
    if not (isinstance(expected, list) and len(expected) == 13 and all(integer(v, _U64) for v in expected)):
        return "expected-regs must be 13 unsigned 64-bit integers"
    for key, bounds in (("expected-pc", _U32), ("expected-gas", _I64),
                        ("expected-page-fault-address", _U32)):  # fmt: skip
        if key in data and not integer(data[key], bounds):
            return f"{key} must be an integer in [{bounds[0]}, {bounds[1]}]"
    return None


def _instantiate(blob: ProgramBlob, backend: str, compile_after: int | None, max_memory: int | None) -> Instance:
    """`backend`: 'interpreter', 'jit', 'auto' or 'step' (the interpreter, single-stepping)."""
    step = backend == "step"
    config = ModuleConfig(dynamic_paging=True, step_tracing=step, backend="interpreter" if step else backend)
    if compile_after is not None:
        config = replace(config, compile_after=compile_after)
    if max_memory is not None:
        config = replace(config, max_memory=max_memory)
    return Module(blob, config).instantiate()


def collect(paths: list[Path]) -> list[Path]:
    """Expand folders to their *.json files (sorted); missing paths raise VectorError."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(p.glob("*.json")))
        elif p.exists():
            out.append(p)
        else:
            raise VectorError(f"{p}: no such file or folder")
    return out
