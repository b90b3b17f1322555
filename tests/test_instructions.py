"""Instruction tests written in polkavm's textual assembly, with hand-computed expectations.

The cases live in `tests/instructions/*.s`. Each file holds many cases; a case is the source
lines from its `## case:` header up to the next one, and is assembled on its own. Lines starting
with `##` are headers (the assembler sees them as comments):

    ## case: add_32 wraps and sign-extends        starts a case (the name must be unique per file)
    ## entry: @label                             where to start (default: export `main`, else pc 0)
    ## only: standard                            skip the dynamic-paging run (the case relies on
                                                 traps of the standard memory map)
    ## pre: a0 = 0x7fffffff, [0x20000] = 01 02, gas = 100
                                                 host actions before the first run(); `set:` is the
                                                 same, before a later run()
    ## post: a2 = 0xffffffff80000000, status = finished, gas = 2
                                                 one run() and what it must produce

Items are comma-separated `key = value`:
  * a register name (`a0`, `sp`, `r7`, ...) = a number (negative numbers wrap to 64 bits);
  * `[address]` = hex bytes (spaces allowed): memory contents;
  * `gas` = N: in pre/set the gas to give (default 10000); in post the gas used by this run();
  * `status` = finished | trap | not_enough_gas | ecalli N (post only; default finished);
  * `pc` = N or @label (post only): the pc the interrupt reports; a label must be `pub`.

Registers are checked strictly: after each run every register that a post line does not name
must still hold its value from before the run. Every case runs with `ModuleConfig()`, with
`ModuleConfig(step_tracing=True)` (stepping until a non-step interrupt), with blocks cut into
two-instruction segments (`max_segment_instructions=2`) and, unless `only: standard`, with
`ModuleConfig(dynamic_paging=True)` with the standard regions mapped by the host; each of the last
three with blocks compiled at once and in tier 0 only (`compile_after`), and on the JIT.

The expected values are worked out by hand from the instruction semantics (reference/polkavm.md
§2.3, §3, §4), never by running pvmkit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pvmkit.pvm.asm import assemble
from pvmkit.pvm.blob import ProgramBlob
from pvmkit.pvm.interpreter import Instance, Interrupt, InterruptKind, Module, ModuleConfig
from pvmkit.pvm.isa import REG_INDEX, REG_NAMES, REVIVE_V1
from pvmkit.pvm.jit import is_supported as is_jit_supported

CASES_DIR = Path(__file__).resolve().parent / "instructions"
M64 = (1 << 64) - 1
DEFAULT_GAS = 10_000
MAX_STEPS = 100_000

TIER0 = 1 << 62  # compile_after: never compile, tier 0 only
CONFIGS = {
    # Blocks run in tier 0 first and are compiled on their 16th run (so loops switch tiers mid-run).
    "block": ModuleConfig(),
    "compiled": ModuleConfig(compile_after=1),
    "tier0": ModuleConfig(compile_after=TIER0),
    "step": ModuleConfig(step_tracing=True),
    "dynamic": ModuleConfig(dynamic_paging=True, compile_after=1),
    "dynamic-tier0": ModuleConfig(dynamic_paging=True, compile_after=TIER0),
    # Blocks cut into segments of at most 2 instructions: exercises resuming mid-block without recharging.
    "split": ModuleConfig(max_segment_instructions=2, compile_after=1),
    "split-tier0": ModuleConfig(max_segment_instructions=2, compile_after=TIER0),
    **({"jit": ModuleConfig(backend="jit"), "jit-dynamic": ModuleConfig(backend="jit", dynamic_paging=True)}
       if is_jit_supported() else {}),
}
STATUSES = {"finished": InterruptKind.FINISHED, "trap": InterruptKind.TRAP, "ecalli": InterruptKind.ECALLI,
            "not_enough_gas": InterruptKind.NOT_ENOUGH_GAS}  # fmt: skip

_HEADER = re.compile(r"^\s*##\s*([a-z]+)\s*:\s*(.*?)\s*$")
_MEM_KEY = re.compile(r"^\[\s*([^\]]+?)\s*\]$")


class CaseError(ValueError):
    pass


@dataclass
class Phase:
    """Host actions, then one run() with its expected outcome."""

    actions: list[tuple[str, object, object]] = field(default_factory=list)
    expect: dict[str, object] = field(default_factory=dict)
    regs: dict[int, int] = field(default_factory=dict)
    memory: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass
class Case:
    path: Path
    line: int
    name: str
    source: str
    entry: str | None = None
    standard_only: bool = False
    phases: list[Phase] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.path.stem + ":" + re.sub(r"\s+", "_", self.name)

    def where(self) -> str:
        return f"{self.path.name}:{self.line} ({self.name})"


def _number(text: str, what: str) -> int:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        raise CaseError(f"{what}: expected a number, got {text!r}") from None


def _hex_bytes(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(re.sub(r"[\s_]", "", text))
    except ValueError:
        raise CaseError(f"{what}: expected hex bytes, got {text!r}") from None


def _items(text: str) -> list[tuple[str, str]]:
    out = []
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise CaseError(f"expected 'key = value', got {item.strip()!r}")
        out.append((key.strip(), value.strip()))
    return out


def _parse_action(key: str, value: str) -> tuple[str, object, object]:
    if key in REG_INDEX:
        return ("reg", REG_INDEX[key], _number(value, key) & M64)
    if m := _MEM_KEY.match(key):
        return ("mem", _number(m.group(1), "address"), _hex_bytes(value, key))
    if key == "gas":
        return ("gas", None, _number(value, key))
    raise CaseError(f"unknown pre/set item {key!r}")


def _parse_post(phase: Phase, key: str, value: str) -> None:
    if key in REG_INDEX:
        phase.regs[REG_INDEX[key]] = _number(value, key) & M64
    elif m := _MEM_KEY.match(key):
        phase.memory.append((_number(m.group(1), "address"), _hex_bytes(value, key)))
    elif key == "gas":
        phase.expect["gas"] = _number(value, key)
    elif key == "pc":
        phase.expect["pc"] = value if value.startswith("@") else _number(value, key)
    elif key == "status":
        words = value.split()
        if not words or words[0] not in STATUSES or (words[0] == "ecalli") != (len(words) == 2) or len(words) > 2:
            raise CaseError(f"bad status {value!r}")
        phase.expect["status"] = STATUSES[words[0]]
        if words[0] == "ecalli":
            phase.expect["ecalli"] = _number(words[1], "ecalli number")
    else:
        raise CaseError(f"unknown post item {key!r}")


def parse_file(path: Path) -> list[Case]:
    lines = path.read_text().split("\n")
    cases: list[Case] = []
    case: Case | None = None
    body: list[str] = []
    pending: list[tuple[str, object, object]] = []

    def finish() -> None:
        if case is None:
            return
        if pending:
            raise CaseError(f"{case.where()}: pre/set items after the last post line")
        if not case.phases:
            raise CaseError(f"{case.where()}: no post line")
        # Blank out everything outside the case so assembler line numbers match the file.
        case.source = "\n" * case.line + "\n".join(body)
        cases.append(case)

    for lineno, line in enumerate(lines, 1):
        m = _HEADER.match(line)
        if m is None:
            if case is not None:
                body.append(line)
            elif line.strip() and not line.strip().startswith(("#", "//", ";")):
                raise CaseError(f"{path.name}:{lineno}: text before the first '## case:'")
            continue
        key, value = m.groups()
        if case is not None:
            body.append("")
        try:
            if key == "case":
                finish()
                case, body, pending = Case(path, lineno, value, ""), [], []
                continue
            if case is None:
                raise CaseError("header before the first '## case:'")
            if key in ("pre", "set"):
                if (key == "pre") != (not case.phases):
                    raise CaseError("use 'pre:' before the first post line and 'set:' between post lines")
                pending += [_parse_action(k, v) for k, v in _items(value)]
            elif key == "post":
                phase = Phase(actions=pending)
                pending = []
                for k, v in _items(value):
                    _parse_post(phase, k, v)
                phase.expect.setdefault("status", InterruptKind.FINISHED)
                case.phases.append(phase)
            elif key == "entry":
                case.entry = value
            elif key == "only":
                if value != "standard":
                    raise CaseError(f"unknown 'only: {value}'")
                case.standard_only = True
            else:
                raise CaseError(f"unknown header '## {key}:'")
        except CaseError as e:
            raise CaseError(f"{path.name}:{lineno}: {e}") from None
    finish()
    names = [c.name for c in cases]
    for c in cases:
        if names.count(c.name) > 1:
            raise CaseError(f"{c.where()}: duplicate case name")
    return cases


def parse_all() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.s")):
        cases += parse_file(path)
    return cases


CASES = parse_all()
_BLOBS: dict[str, ProgramBlob] = {}


def blob_of(case: Case) -> ProgramBlob:
    if case.id not in _BLOBS:
        _BLOBS[case.id] = assemble(case.source)
    return _BLOBS[case.id]


def _label_pc(blob: ProgramBlob, label: str, case: Case) -> int:
    try:
        return blob.export(label.lstrip("@")).pc
    except KeyError:
        raise CaseError(f"{case.where()}: label {label} is not a `pub` label") from None


def _entry_pc(blob: ProgramBlob, case: Case) -> int:
    if case.entry is not None:
        return _label_pc(blob, case.entry, case)
    return next((e.pc for e in blob.exports if e.symbol == b"main"), 0)


def _map_standard_regions(inst: Instance, blob: ProgramBlob) -> None:
    """Dynamic paging: map the regions the standard memory map would have, with the blob's data."""
    mm = inst.module.memory_map
    for address, size, writable, data in (
        (mm.ro_data_address, mm.ro_data_size, False, blob.ro_data),
        (mm.rw_data_address, mm.rw_data_size, True, blob.rw_data),
        (mm.stack_address_low, mm.stack_address_high - mm.stack_address_low, True, b""),
    ):
        if size:
            inst.map_memory(address, size, True)  # (filled while writable: the host writes only writable pages)
            inst.write_memory(address, data)
            inst.map_memory(address, size, writable)


def _run(inst: Instance) -> tuple[Interrupt, int]:
    """run(), stepping through STEP interrupts; returns the interrupt and how many steps were seen."""
    steps = 0
    while (intr := inst.run()).kind is InterruptKind.STEP:
        steps += 1
        assert steps < MAX_STEPS, "runaway program"
    return intr, steps


def _fmt(value: int) -> str:
    return f"{value:#x}"


def run_case(case: Case, config_name: str) -> None:
    blob = blob_of(case)
    config = CONFIGS[config_name]
    inst = Module(blob, config).instantiate()
    if config.dynamic_paging:
        _map_standard_regions(inst, blob)
    inst.prepare_call(_entry_pc(blob, case))
    inst.gas = DEFAULT_GAS
    for n, phase in enumerate(case.phases, 1):
        where = f"{case.where()}, run {n} [{config_name}]"
        for what, key, value in phase.actions:
            if what == "reg":
                inst.regs[key] = value  # type: ignore[index]
            elif what == "mem":
                inst.write_memory(key, value)  # type: ignore[arg-type]
            else:
                inst.gas = value  # type: ignore[assignment]
        before = list(inst.regs)
        gas_before = inst.gas
        intr, steps = _run(inst)
        if config.step_tracing and gas_before >= 0:
            assert steps > 0, f"{where}: step tracing reported no steps"

        expect = phase.expect
        assert intr.kind is expect["status"], f"{where}: status {intr} (expected {expect['status'].value})"
        if "ecalli" in expect:
            assert intr.ecalli == expect["ecalli"], f"{where}: ecalli {intr.ecalli}"
        if "pc" in expect:
            pc = expect["pc"]
            want = _label_pc(blob, pc, case) if isinstance(pc, str) else pc
            assert intr.pc == want, f"{where}: interrupt pc {intr.pc} (expected {want} = {pc})"

        wanted = [phase.regs.get(i, v) for i, v in enumerate(before)]
        got = list(inst.regs)
        diff = [
            f"{REG_NAMES[i]} = {_fmt(g)} (expected {_fmt(w)})"
            for i, (g, w) in enumerate(zip(got, wanted, strict=True))
            if g != w
        ]
        assert not diff, f"{where}: " + ", ".join(diff)
        for address, data in phase.memory:
            actual = inst.read_memory(address, len(data))
            assert actual == data, f"{where}: [{address:#x}] = {actual.hex(' ')} (expected {data.hex(' ')})"
        if "gas" in expect:
            used = gas_before - inst.gas
            assert used == expect["gas"], f"{where}: gas used {used} (expected {expect['gas']})"


def configs_for(case: Case) -> list[str]:
    return [name for name in CONFIGS if not ("dynamic" in name and case.standard_only)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.usefixtures("backends_as_named")
def test_case(case: Case) -> None:
    """One case under every configuration (the failure message names the configuration; PVMKIT_BACKEND, which would
    put every configuration on one backend, is cleared)."""
    for config in configs_for(case):
        run_case(case, config)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 300
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_revive_opcode_has_cases() -> None:
    """Every ReviveV1 instruction is decoded from at least three cases, so a missing opcode fails the suite."""
    uses: dict[str, int] = dict.fromkeys(REVIVE_V1.opcodes.values(), 0)
    for case in CASES:
        names = {i.name for i in blob_of(case).code_view().instructions()}
        for name in names & uses.keys():
            uses[name] += 1
    missing = sorted(n for n, count in uses.items() if count < 3)
    assert not missing, f"opcodes with fewer than three cases: {missing}"
    assert len(uses) == 138
