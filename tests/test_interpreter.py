"""Interpreter semantics beyond single instructions: gas, host calls, memory map, jumps, paging, stepping."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvmkit.pvm.blob import Export, ProgramBlob
from pvmkit.pvm.interpreter import InterruptKind, Module, ModuleConfig
from pvmkit.pvm.isa import LATEST64, REVIVE_V1, InstructionSet
from pvmkit.pvm.memory import MemoryMap
from pvmkit.pvm.program import Code, assemble_code

RA, SP, T0, A0, A1, A2 = 0, 1, 2, 7, 8, 9
HOST = 0xFFFF0000
K = InterruptKind


def L(n: int) -> str:
    """Placeholder for 'the pc of instruction n' inside args."""
    return f"@{n}"


def assemble(insts, isa: InstructionSet = REVIVE_V1) -> tuple[bytes, bytes, list[int]]:
    """Assemble (name, args) pairs whose args may use L(n); iterates until offsets are stable."""
    pcs = [0] * len(insts)
    while True:
        resolved = [(n, tuple(pcs[int(a[1:])] if isinstance(a, str) else a for a in args)) for n, args in insts]
        code, bitmask = assemble_code(isa, resolved)
        new = [i.pc for i in Code(isa, code, bitmask).instructions() if i.pc < len(code)][: len(insts)]
        if new == pcs:
            return code, bitmask, pcs
        pcs = new


def build(insts, *, isa: InstructionSet = REVIVE_V1, jump_table=(), config=None, **kw) -> tuple[Module, list[int]]:
    """Module from (name, args) pairs; returns it and the pc of each instruction. jump_table may use L(n)."""
    code, bitmask, pcs = assemble(insts, isa)
    table = tuple(pcs[int(t[1:])] if isinstance(t, str) else t for t in jump_table)
    blob = ProgramBlob(isa=isa, code=code, bitmask=bitmask, jump_table=table, **kw)
    return Module(blob, config), pcs


def start(module: Module, gas: int = 10_000, pc: int = 0, **regs: int):
    inst = module.instantiate()
    inst.prepare_call(pc)
    for name, value in regs.items():
        inst.regs[{"a0": A0, "a1": A1, "a2": A2, "t0": T0, "ra": RA, "sp": SP}[name]] = value
    inst.gas = gas
    return inst


RET = ("jump_indirect", (RA, 0))


def test_block_gas_is_charged_on_entry_and_not_enough_gas_is_resumable() -> None:
    m, _ = build([("load_imm", (A0, 1)), ("add_imm_64", (A0, A0, 1)), RET])
    inst = start(m, gas=2)
    intr = inst.run()
    assert intr.kind is K.NOT_ENOUGH_GAS and intr.pc == 0
    assert inst.gas == 2 and inst.regs[A0] == 0  # nothing ran, gas unchanged
    inst.gas = 3
    assert inst.run().kind is K.FINISHED
    assert inst.gas == 0 and inst.regs[A0] == 2


def test_gas_runs_out_inside_a_self_loop_at_the_loop_start() -> None:
    # a1 = 10; loop: a0 += 1; a1 -= 1; branch a1 != 0 -> loop; ret
    m, pcs = build([("load_imm", (A1, 10)), ("fallthrough", ()), ("add_imm_64", (A0, A0, 1)),
                    ("add_imm_64", (A1, A1, -1)), ("branch_not_eq_imm", (A1, 0, L(2))), RET])  # fmt: skip
    inst = start(m, gas=2 + 3 * 4 + 2)
    intr = inst.run()
    assert intr.kind is K.NOT_ENOUGH_GAS and intr.pc == pcs[2]
    assert inst.regs[A0] == 4 and inst.regs[A1] == 6 and inst.gas == 2
    inst.gas += 100
    assert inst.run().kind is K.FINISHED
    assert inst.regs[A0] == 10 and inst.gas == 2 + 100 - 6 * 3 - 1


def test_ecalli_resumes_at_the_next_instruction_without_recharging() -> None:
    m, pcs = build([("load_imm", (A0, 1)), ("ecalli", (5,)), ("add_imm_64", (A0, A0, 1)), RET])
    inst = start(m, gas=100)
    intr = inst.run()
    assert intr.kind is K.ECALLI and intr.ecalli == 5 and intr.pc == pcs[1]
    assert inst.gas == 96 and inst.next_program_counter == pcs[2]
    inst.regs[A0] = 41
    assert inst.run().kind is K.FINISHED
    assert inst.regs[A0] == 42 and inst.gas == 96


def test_entering_mid_block_charges_the_whole_block() -> None:
    m, pcs = build([("load_imm", (A0, 1)), ("load_imm", (A1, 2)), ("load_imm", (A2, 3)), RET])
    inst = start(m, gas=100, pc=pcs[2])
    assert inst.run().kind is K.FINISHED
    assert inst.gas == 96 and (inst.regs[A0], inst.regs[A2]) == (0, 3)
    # Not enough for the whole block: refused before anything runs.
    inst = start(m, gas=3, pc=pcs[2])
    assert inst.run().kind is K.NOT_ENOUGH_GAS and inst.regs[A2] == 0 and inst.gas == 3


def test_run_rules() -> None:
    m, _ = build([RET])
    inst = m.instantiate()
    with pytest.raises(RuntimeError, match="nothing to run"):
        inst.run()
    inst.prepare_call(0)
    inst.gas = -1
    assert inst.run().kind is K.NOT_ENOUGH_GAS


def test_prepare_call_sets_sp_ra_and_arguments() -> None:
    m, _ = build([RET], stack_size=4096)
    inst = m.instantiate()
    inst.prepare_call(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
    assert inst.regs[RA] == HOST and inst.regs[SP] == 0xFFFE0000
    assert [inst.regs[i] for i in (7, 8, 9, 10, 11, 12, 2, 3, 4)] == list(range(1, 10))
    with pytest.raises(ValueError, match="too many"):
        inst.prepare_call(0, *range(10))


def test_memory_map_matches_polkavm_abi_example() -> None:
    mm = MemoryMap.build(page_size=0x4000, ro_data_size=1, rw_data_size=1, stack_size=1)
    assert (mm.ro_data_address, mm.ro_data_size) == (0x10000, 0x4000)
    assert mm.rw_data_address == 0x30000
    assert (mm.stack_address_low, mm.stack_address_high) == (0xFFFDC000, 0xFFFE0000)
    assert mm.heap_base == 0x30001
    with pytest.raises(ValueError, match="page size"):
        MemoryMap.build(page_size=0x3000)
    with pytest.raises(ValueError, match="maximum memory size"):
        MemoryMap.build(rw_data_size=0xFFFF0000)


RW = 0x20000  # rw data address when there is no ro data


def test_standard_memory_regions_and_traps() -> None:
    m, pcs = build(
        [("load_u32", (A0, RW)), ("store_indirect_u64", (A0, SP, -8)), ("load_indirect_i8", (A1, SP, -8)),
         ("store_u8", (A0, RW + 4095)), ("load_u32", (A2, RW + 4094)), RET],
        rw_data_size=4096, rw_data=(0x80FF).to_bytes(4, "little"), stack_size=4096,
    )  # fmt: skip
    inst = start(m)
    intr = inst.run()
    # The last u32 load crosses the end of rw data: a trap at that instruction.
    assert intr.kind is K.TRAP and intr.pc == pcs[4]
    assert inst.regs[A0] == 0x80FF and inst.regs[A1] == 2**64 - 1
    assert inst.read_memory(0xFFFE0000 - 8, 8) == (0x80FF).to_bytes(8, "little")
    assert inst.read_memory(RW + 4095, 1) == b"\xff"


@pytest.mark.parametrize(
    ("name", "address"),
    [("store_u8", 0x10000), ("load_u8", 0xFFFF), ("load_u8", 0x11000), ("load_u8", 0x2FFFF), ("load_u8", 0x31000),
     ("load_u16", 0x30FFF), ("store_u16", 0xFFFFFFFF), ("load_u64", 0xFFFE0000 - 4), ("store_u8", 0xFFFF0000)],
)  # fmt: skip
def test_inaccessible_addresses_trap(name: str, address: int) -> None:
    args = (A0, address - (1 << 32) if address >= 1 << 31 else address)
    m, _ = build([(name, args), RET], ro_data_size=16, ro_data=b"x" * 16, rw_data_size=16, stack_size=4096)
    assert m.memory_map.rw_data_address == 0x30000  # ro data, then a 64 KiB guard
    inst = start(m)
    intr = inst.run()
    assert intr.kind is K.TRAP and intr.pc == 0


def test_read_only_data_is_readable_but_not_writable() -> None:
    m, _ = build([("load_u8", (A0, 0x10001)), ("store_u8", (A0, 0x10001)), RET], ro_data_size=2, ro_data=b"\1\2")
    inst = start(m)
    assert inst.run().kind is K.TRAP and inst.regs[A0] == 2
    assert inst.read_memory(0x10001, 1) == b"\2"


def test_dynamic_jumps_through_the_jump_table() -> None:
    prog = [("jump_indirect", (A0, 0)), ("trap", ()), ("load_imm", (A1, 7)), RET, ("load_imm", (A1, 9)), RET]
    # Entry 2 points into the middle of a block (not a jump target).
    m, _ = build(prog, jump_table=(L(2), L(4), L(3)))
    cases = [(2, K.FINISHED, 7), (4, K.FINISHED, 9), (HOST, K.FINISHED, 0), (0, K.TRAP, 0), (3, K.TRAP, 0),
             (8, K.TRAP, 0), (6, K.TRAP, 0), (2 + (1 << 32), K.FINISHED, 7)]  # fmt: skip
    for address, kind, a1 in cases:
        inst = start(m, a0=address % (1 << 64))
        intr = inst.run()
        assert (intr.kind, inst.regs[A1]) == (kind, a1), address
        if kind is K.TRAP:
            assert intr.pc == 0


def test_load_imm_and_jump_indirect_computes_the_address_before_writing_ra() -> None:
    # ra == base: the jump goes to the old a0 (table entry 0), then a0 = 123 is visible there.
    prog = [("load_imm_and_jump_indirect", (A0, A0, 123, 0)), ("trap", ()), ("add_imm_64", (A1, A0, 1)), RET]
    m, _ = build(prog, jump_table=(L(2),))
    inst = start(m, a0=2)
    assert inst.run().kind is K.FINISHED
    assert (inst.regs[A0], inst.regs[A1]) == (123, 124)


def test_branch_with_an_invalid_target_traps_even_when_not_taken() -> None:
    m, _ = build([("branch_eq_imm", (A0, 1, 1)), RET])
    inst = start(m)
    intr = inst.run()
    assert intr.kind is K.TRAP and intr.pc == 0


def test_load_imm_and_jump_writes_before_the_target_check() -> None:
    m, _ = build([("load_imm_and_jump", (RA, 77, 1)), RET])
    inst = start(m)
    assert inst.run().kind is K.TRAP and inst.regs[RA] == 77


def test_dynamic_paging_faults_are_resumable_and_low_pages_trap() -> None:
    m, _ = build([("store_u32", (A0, 0x20FFE)), RET], config=ModuleConfig(dynamic_paging=True))
    inst = m.instantiate()
    inst.set_next_program_counter(0)
    inst.regs[A0] = 0x11223344
    inst.regs[RA] = HOST
    inst.gas = 100
    inst.map_memory(0x20000, 0x1000, writable=True)
    intr = inst.run()
    assert intr.kind is K.SEGFAULT and intr.address == 0x21000 and intr.pc == 0 and inst.gas == 98
    assert inst.read_memory(0x20FFE, 2) == b"\0\0"  # nothing partially written
    inst.map_memory(0x21000, 0x1000, writable=False)
    intr = inst.run()
    assert intr.kind is K.SEGFAULT and intr.is_write_protected
    inst.map_memory(0x21000, 0x1000, writable=True)
    assert inst.run().kind is K.FINISHED and inst.gas == 98
    assert inst.read_memory(0x20FFE, 4) == (0x11223344).to_bytes(4, "little")

    low = Module(ProgramBlob(code=bytes([52, 7, 0x10]), bitmask=b"\1"), ModuleConfig(dynamic_paging=True))
    inst = low.instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 10
    assert inst.run().kind is K.TRAP


def test_step_tracing_reports_every_instruction_before_it_runs() -> None:
    prog = [("load_imm", (A1, 2)), ("fallthrough", ()), ("add_imm_64", (A1, A1, -1)),
            ("branch_not_eq_imm", (A1, 0, L(2))), RET]  # fmt: skip
    code, bitmask, pcs = assemble(prog)
    blob = ProgramBlob(code=code, bitmask=bitmask)
    m = Module(blob, ModuleConfig(step_tracing=True))
    inst = start(m, gas=100)
    seen = []
    while (intr := inst.run()).kind is K.STEP:
        seen.append(intr.pc)
    assert intr.kind is K.FINISHED
    assert seen == [pcs[0], pcs[1], pcs[2], pcs[3], pcs[2], pcs[3], pcs[4]]
    assert inst.gas == 100 - 2 - 2 * 2 - 1


def test_latest64_memset_and_sbrk() -> None:
    prog = [("load_imm", (A0, RW)), ("load_imm", (A1, 0xAB)), ("load_imm", (A2, 5)), ("memset", ()),
            ("load_imm", (T0, 8192)), ("sbrk", (A1, T0)), ("store_u8", (A0, RW + 4096 + 10)), RET]  # fmt: skip
    m, _ = build(prog, isa=LATEST64, rw_data_size=4096)
    inst = start(m, gas=1000)
    assert inst.run().kind is K.FINISHED
    assert inst.read_memory(RW, 6) == b"\xab" * 5 + b"\0"
    assert inst.regs[A0] == RW + 5 and inst.regs[A2] == 0
    assert inst.regs[A1] == RW + 4096 + 8192  # heap top after growing by 8 KiB
    assert inst.gas == 1000 - 8 - 5


_OPCODES = sorted(REVIVE_V1.opcodes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code=st.lists(st.one_of(st.sampled_from(_OPCODES), st.integers(0, 255)), min_size=1, max_size=60),
    mask=st.lists(st.booleans(), min_size=60, max_size=60),
    regs=st.lists(st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2, 4, 0x20000, HOST, 2**63])),
                  min_size=13, max_size=13),
    gas=st.integers(0, 400),
)  # fmt: skip
def test_fuzz_block_mode_equals_single_step_mode(code, mask, regs, gas) -> None:
    """Random byte programs: block and single-step mode, each with blocks compiled at once, in tier 0 only and
    compiled on their second run (loops switch tiers mid-run), agree on status, pc, registers, gas and memory."""
    bitmask = bytearray((len(code) + 7) // 8)
    for i in range(len(code)):
        if i == 0 or mask[i]:
            bitmask[i >> 3] |= 1 << (i & 7)
    blob = ProgramBlob(code=bytes(code), bitmask=bytes(bitmask), jump_table=(0, 1, 2, 3),
                       rw_data_size=64, stack_size=64, rw_data=bytes(range(64)))  # fmt: skip
    outcomes = []
    for step, after in itertools.product((False, True), (1, 2, 1 << 62)):
        inst = Module(blob, ModuleConfig(step_tracing=step, compile_after=after)).instantiate()
        inst.set_next_program_counter(0)
        for i, v in enumerate(regs):
            inst.regs[i] = v
        inst.gas = gas
        for _ in range(2000):
            intr = inst.run()
            if intr.kind is K.ECALLI:
                continue
            if intr.kind is not K.STEP:
                break
        outcomes.append(
            (intr.kind, intr.pc, list(inst.regs), inst.gas, inst.memory.contents())
        )
    assert all(o == outcomes[0] for o in outcomes[1:])


def test_dynamic_paging_accesses_near_the_top_of_the_address_space() -> None:
    """polkavm checks the first page, then traps when the access end passes 2^32 (even exactly at it)."""
    m, _ = build([("load_u16", (A0, -1)), RET], config=ModuleConfig(dynamic_paging=True))
    inst = m.instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 10
    intr = inst.run()
    assert intr.kind is K.SEGFAULT and intr.address == 0xFFFFF000
    m, _ = build([("load_u16", (A0, -2)), RET], config=ModuleConfig(dynamic_paging=True))
    inst = m.instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 10
    inst.map_memory(0xFFFFF000, 0x1000)
    assert inst.run().kind is K.TRAP


def test_cli_gas_outside_the_i64_range_is_a_usage_error(tmp_path) -> None:
    """Gas is an i64 (Instance.gas refuses more); the CLI checks --gas against the same range: a one-line
    error, exit status 2, no traceback."""
    from click.testing import CliRunner

    from pvmkit.cli import main
    from pvmkit.pvm.asm import assemble

    path = tmp_path / "p.polkavm"
    path.write_bytes(assemble("pub @main:\n    a0 = 1\n    ret\n").write())
    for bad in (str(2**63), "-1"):
        out = CliRunner().invoke(main, ["run", str(path), "--backend", "interpreter", "--gas", bad])
        assert out.exit_code == 2 and "Traceback" not in out.output, out.output
        assert "Invalid value for --gas: must be between 0 and 9223372036854775807" in out.output
    out = CliRunner().invoke(main, ["run", str(path), "--backend", "interpreter", "--gas", str(2**63 - 1)])
    assert out.exception is None and "gas used: 2" in out.output, out.output
    for pc in ("-5", str(2**32), "99999999999999999999"):  # a code offset is a u32 (found in review: accepted)
        out = CliRunner().invoke(main, ["run", str(path), "--backend", "interpreter", "--pc", pc])
        assert out.exit_code == 2 and "Invalid value for '--pc'" in out.output, out.output
    for value in (str(2**64), "0xffffffffffffffffff", str(-(2**63) - 1)):  # registers are 64-bit (review: cut)
        out = CliRunner().invoke(main, ["run", str(path), "--backend", "interpreter", "--reg", f"a0={value}"])
        assert out.exit_code == 2 and "does not fit in 64 bits" in out.output, out.output
    out = CliRunner().invoke(main, ["run", str(path), "--backend", "interpreter", "--reg", "a1=-1", "--json"])
    assert out.exit_code == 0 and str(2**64 - 1) in out.output, out.output
    # Options that contradict each other (found in review: one was silently ignored).
    for extra, message in ((["--export", "main", "--pc", "0"], "--export and --pc both say where to start"),
                           (["--trace", "--json"], "--trace prints text: it cannot go with --json")):  # fmt: skip
        out = CliRunner().invoke(main, ["run", str(path), *extra])
        assert out.exit_code == 2 and message in out.output and "Traceback" not in out.output, out.output


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
@pytest.mark.usefixtures("backends_as_named")
def test_resuming_at_the_implicit_trap_charges_its_gas(backend: str) -> None:
    """A fallthrough into the end of the code runs the implicit trap, which costs 1 gas; out of gas there, the
    retry charges it too (found in review: the retry trapped for free, so a run split by out-of-gas differed
    from a single run)."""
    from pvmkit.pvm.jit import is_supported

    if backend == "jit" and not is_supported():
        pytest.skip("the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")
    from pvmkit.pvm.asm import assemble as assemble_text

    blob = assemble_text("pub @main:\n    a1 = 1\n    fallthrough\n")
    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    inst.set_next_program_counter(0)
    inst.gas = 2  # the block (a1 = 1; fallthrough), then nothing left for the trap
    intr = inst.run()
    assert intr.kind is K.NOT_ENOUGH_GAS and intr.pc == len(blob.code) and inst.gas == 0 and inst.regs[A1] == 1
    assert inst.run().kind is K.NOT_ENOUGH_GAS and inst.gas == 0  # still nothing: resumable again
    inst.gas = 5
    intr = inst.run()
    assert intr.kind is K.TRAP and intr.pc == len(blob.code) and inst.gas == 4
    single = Module(blob, ModuleConfig(backend=backend)).instantiate()
    single.set_next_program_counter(0)
    single.gas = 7
    assert single.run().kind is K.TRAP and single.gas == 4  # the same 3 gas in one run


@pytest.mark.parametrize("backend", ["interpreter", "jit", "crosscheck"])
@pytest.mark.usefixtures("backends_as_named")
def test_the_host_starting_where_no_instruction_starts_traps_charging_nothing(backend: str) -> None:
    """polkavm's run() resolves a pc the host set (prepare_call, set_next_program_counter, a handler moving the guest)
    and, finding no instruction there, traps at once with the gas untouched (found in review: pvmkit charged the
    implicit trap's 1 gas, and with none left said NOT_ENOUGH_GAS)."""
    from pvmkit.pvm.jit import is_supported

    if backend != "interpreter" and not is_supported():
        pytest.skip("the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")
    from pvmkit.pvm.asm import assemble as assemble_text

    blob = assemble_text("pub @main:\n    a0 = 1\n    ecalli 0\n    a1 = 2\n    trap\n")
    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    for pc in (1, len(blob.code), 1000):  # inside `a0 = 1`; just past the code; far past it
        for gas in (100, 0):
            inst.prepare_call(pc)
            inst.gas = gas
            intr = inst.run()
            assert (intr.kind, intr.pc, inst.gas, inst.program_counter) == (K.TRAP, pc, gas, pc)
            # polkavm keeps the pc it could not resolve as the next one: running again traps again (review)
            assert inst.next_program_counter == pc and inst.run() == intr and inst.gas == gas
    inst.set_next_program_counter(1)
    inst.gas = 0
    assert inst.run().kind is K.TRAP and inst.gas == 0

    def move(number: int, regs: object, gas: int) -> int:  # the handler moves the guest into an instruction
        inst.set_next_program_counter(1)
        return gas

    inst.prepare_call(0)
    inst.gas = 10
    intr = inst.serve(move)
    assert (intr.kind, intr.pc) == (K.TRAP, 1) and inst.gas == 10 - 4  # (the one block: ecalli ends none)


_ACCESSES = ["load_indirect_u8", "load_indirect_i16", "load_indirect_u32", "load_indirect_u64", "store_indirect_u8",
             "store_indirect_u16", "store_indirect_u32", "store_indirect_u64", "store_imm_indirect_u32",
             "store_imm_indirect_u64"]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edge=st.integers(0, 8),
    delta=st.integers(-40, 40),
    body=st.lists(st.tuples(st.sampled_from(_ACCESSES + ["add_imm_64", "xor"]), st.integers(-24, 24),
                            st.sampled_from([7, 8, 9])), min_size=2, max_size=8),  # fmt: skip
    step=st.booleans(),
)
def test_fuzz_grouped_accesses_near_region_edges(edge: int, delta: int, body: list, step: bool) -> None:
    """Compiled blocks check a run of accesses through one unchanged base register once (_emit_group): near the
    edges of rw data, the stack, read-only data and 2^32, with the base written mid-run, they must fault, trap and
    write exactly as per-access checks do (tier 0 and single steps have no groups)."""
    insts: list = []
    for name, off, reg in body:
        if name == "add_imm_64":
            insts.append((name, (reg, reg, off)))  # writes reg (the base, when reg is 8)
        elif name == "xor":
            insts.append((name, (reg, reg, 10)))
        elif name.startswith("store_imm_indirect"):
            insts.append((name, (8, off, 0x1122334455667788 & 0xFFFFFFFF)))
        else:
            insts.append((name, (reg if reg != 8 else 9, 8, off)))
    insts.append(("trap", ()))
    code, bitmask, _ = assemble(insts)
    blob = ProgramBlob(code=code, bitmask=bitmask, ro_data_size=4096, ro_data=bytes(range(256)) * 16,
                       rw_data_size=8192, rw_data=bytes(range(255, -1, -1)) * 32, stack_size=65536)  # fmt: skip
    mm = Module(blob).memory_map
    rw, ro = mm.rw_data_address, mm.ro_data_address
    edges = [ro, ro + mm.ro_data_size, rw, rw + 4096, rw + mm.rw_data_size, mm.stack_address_low,
             mm.stack_address_high, 0, 0xFFFFFFF8]  # fmt: skip
    outcomes = []
    for config in (ModuleConfig(compile_after=1, step_tracing=step), ModuleConfig(compile_after=1 << 62)):
        inst = Module(blob, config).instantiate()
        inst.set_next_program_counter(0)
        inst.regs[8] = (edges[edge] + delta) & 0xFFFFFFFF
        inst.regs[7], inst.regs[9], inst.regs[10] = 0x0102030405060708, 0xA0B0C0D0E0F0, 0x55
        inst.gas = 1000
        for _ in range(100):
            intr = inst.run()
            if intr.kind is not K.STEP:
                break
        outcomes.append((intr.kind, intr.pc, intr.address, list(inst.regs), inst.gas,
                         inst.memory.contents()))  # fmt: skip
    assert outcomes[0] == outcomes[1]


_MEMSET_CONFIGS = [ModuleConfig(compile_after=1), ModuleConfig(compile_after=1 << 62), ModuleConfig(step_tracing=True),
                   ModuleConfig(backend="auto", jit_after=1)]  # fmt: skip


@pytest.mark.parametrize("config", _MEMSET_CONFIGS)
def test_memset_that_faults_leaves_a0_and_a2_at_the_first_byte_not_written(
    config: ModuleConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Latest64 memset updates a0/a2 in place (polkavm): a fault part-way leaves them at the faulting byte, as
    running out of gas does. Found in review: a fault left them unchanged, so auto's gas slices (each an
    out-of-gas stop) changed them."""
    from pvmkit.pvm.asm import assemble as assemble_text
    from pvmkit.pvm.jit import instance as ji

    monkeypatch.setattr(ji, "TIER_SLICE", 1000)
    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    blob = assemble_text("%stack_size = 8192\npub @main:\n    [a0..a0 + a2] = u8 a1\n    trap\n", LATEST64)
    m = Module(blob, config)
    inst = m.instantiate()
    inst.set_next_program_counter(0)
    inst.regs[A0], inst.regs[A1], inst.regs[A2] = m.memory_map.stack_address_low, 0x5A, 8192 + 16
    inst.gas = 10**6
    while (intr := inst.run()).kind is K.STEP:
        pass
    assert intr.kind is K.TRAP and intr.pc == 0
    assert inst.regs[A0] == m.memory_map.stack_address_high and inst.regs[A2] == 16  # the byte past the stack
    # the block (memset, trap) costs 2 on entry, then one gas per byte written
    assert inst.gas == 10**6 - 2 - 8192 and bytes(inst.memory.stack) == b"\x5a" * 8192


def test_memory_past_max_memory_is_refused_before_anything_is_allocated(tmp_path) -> None:
    """A blob's header can declare ~4 GiB of rw data or stack; guest memory is host memory here, so a module
    needing more than ModuleConfig.max_memory is refused with an error naming the sizes (before this, one
    instance allocated and zeroed 3.5 GiB in 6 s). The CLI says so in one line and lets --max-memory raise it."""
    from click.testing import CliRunner

    from pvmkit.cli import main
    from pvmkit.pvm.interpreter import ModuleError

    for sizes in ({"rw_data_size": 0xE0000000}, {"stack_size": 0xE0000000}, {"ro_data_size": 0xE0000000}):
        blob = ProgramBlob(code=b"\0", bitmask=b"\1", **sizes)
        with pytest.raises(ModuleError, match=r"over the limit of 268435456 bytes \(256 MiB"):
            Module(blob, ModuleConfig())
        Module(blob, ModuleConfig(dynamic_paging=True))  # dynamic paging maps pages one by one: no limit needed
    blob = ProgramBlob(code=b"\0", bitmask=b"\1", rw_data_size=3 << 20)
    with pytest.raises(ModuleError, match=r"needs 3211264 host bytes \(ro data 0, rw data 3145728, stack 0"):
        Module(blob, ModuleConfig(max_memory=3 << 20))  # 3 MiB of rw data + the 64 KiB guard of the low buffer
    assert Module(blob, ModuleConfig(max_memory=4 << 20)).instantiate().memory.rw_end == 0x10000 + (3 << 20) + 0x10000
    path = tmp_path / "big.polkavm"
    path.write_bytes(ProgramBlob(code=b"\0", bitmask=b"\1", rw_data_size=8 << 20).write())
    out = CliRunner().invoke(main, ["run", str(path), "--backend", "interpreter", "--max-memory", "4"])
    assert out.exit_code == 1 and "Traceback" not in out.output, out.output
    assert "over the limit of 4194304 bytes (4 MiB, raise it with --max-memory)" in out.output
    assert out.output.startswith(f"Error: {path}: ")  # (named, as parse errors name it: found in review)
    out = CliRunner().invoke(main, ["run", str(path), "--backend", "interpreter", "--max-memory", "16"])
    assert out.exit_code == 3 and "status: trap" in out.output, out.output


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
@pytest.mark.usefixtures("backends_as_named")
def test_sbrk_fails_past_max_memory_and_the_heap_stays_usable(backend: str) -> None:
    """Latest64 sbrk may grow the heap to ~4 GiB of guest address space; past the host's max_memory it fails
    (returns 0, the heap unchanged) instead of asking the host for the memory, and later smaller requests work."""
    from pvmkit.pvm.jit import is_supported

    if backend == "jit" and not is_supported():
        pytest.skip("the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")
    prog = [("sbrk", (A1, A0)), ("sbrk", (A2, T0)), ("store_imm_indirect_u8", (A2, -1, 7)),
            ("load_indirect_u8", (A0, A2, -1)), RET]  # fmt: skip
    m, _ = build(prog, isa=LATEST64, rw_data_size=4096, config=ModuleConfig(backend=backend, max_memory=1 << 20))
    inst = start(m, gas=100, a0=0xF0000000, t0=0x8000)
    assert inst.run().kind is K.FINISHED
    assert inst.regs[A1] == 0  # refused: 3.75 GiB
    top = RW + 4096 + 0x8000
    assert inst.regs[A2] == top and inst.regs[A0] == 7 and inst.read_memory(top - 1, 1) == b"\7"
    assert inst.memory.rw_end == top  # grew by the 32 KiB asked for, not more
    m, _ = build([("sbrk", (A1, A0)), ("sbrk", (A2, T0)), RET], isa=LATEST64, rw_data_size=4096,
                 config=ModuleConfig(backend=backend, max_memory=1 << 20))  # fmt: skip
    inst = start(m, gas=100, a0=(1 << 20) - (RW + 4096 - 0x10000), t0=1)  # the first fills the limit exactly
    assert inst.run().kind is K.FINISHED and inst.regs[A1] == 0x10000 + (1 << 20) and inst.regs[A2] == 0


def test_a_heap_top_past_2_gib_comes_back_sign_extended() -> None:
    """polkavm's interpreter writes sbrk's new heap top sign-extended from 32 bits (found in review: zero-extended).
    On the JIT, whose reservation makes a 2 GiB ro region cheap (the interpreter would allocate it)."""
    from pvmkit.pvm.asm import assemble as assemble_text
    from pvmkit.pvm.jit import is_supported

    if not is_supported():
        pytest.skip("the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")
    blob = assemble_text("%isa = latest64\n%ro_data_size = 0x7FFD0000\npub @main:\n    a0 = sbrk a1\n    trap\n")
    module = Module(blob, ModuleConfig(backend="jit", max_memory=3 << 30))
    assert module.memory_map.heap_base == 0x7FFF0000
    inst = module.instantiate()
    inst.prepare_call("main", 0, 0x20000)
    inst.gas = 100
    assert inst.run().kind is K.TRAP and inst.regs[A0] == 0xFFFFFFFF80010000


def test_dynamic_pages_past_the_top_wrap_to_the_bottom() -> None:
    """Mapping a range that runs past 2^32 maps (and makes writable) the pages it wraps to, as guest addresses
    wrap; no stray page numbers beyond 32 bits (found in review: the wrapped pages were mapped read-only)."""
    from pvmkit.pvm.memory import DynamicMemory

    mem = DynamicMemory()
    mem.map_range(0xFFFFE000, 0x4000, True)
    assert sorted(mem.pages) == sorted(mem.writable) == [0, 1, 0xFFFFE, 0xFFFFF]
    assert mem.write_checked(0x1000, b"ok")  # the wrapped page is writable
    mem.unmap_range(0xFFFFF000, 0x2000)
    assert sorted(mem.pages) == sorted(mem.writable) == [1, 0xFFFFE]


_HOST_MODULE = build([RET], ro_data_size=16, ro_data=b"r" * 16, rw_data_size=4096, rw_data=b"w" * 8, stack_size=8192)[0]


def _edges(lo: int, hi: int) -> list[int]:
    return [lo - 2, lo - 1, lo, lo + 1, hi - 2, hi - 1, hi, hi + 1]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        sorted({a for lo, hi in ((0x10000, 0x11000), (0x30000, 0x31000), (0xFFFE0000 - 8192, 0xFFFE0000))
                for a in _edges(lo, hi)})  # fmt: skip
    ),
    st.integers(0, 5),
)
def test_host_memory_access_is_exactly_the_regions(address: int, length: int) -> None:
    """The host's reads and guest-permission writes reach a range iff one region holds all of it: ro data and
    rw data for reads, rw data and the stack for both; the spans in between (and a range straddling a region's
    end) are refused whole."""
    m = _HOST_MODULE.memory_map  # (its sizes are whole pages: the 16 bytes of ro data are readable as 4 KiB)
    assert (m.ro_data_address, m.ro_data_size, m.rw_data_address, m.rw_data_size, m.stack_address_high) == (
        0x10000, 0x1000, 0x30000, 0x1000, 0xFFFE0000)  # fmt: skip
    mem = _HOST_MODULE.instantiate().memory
    end = address + length

    def within(lo: int, hi: int) -> bool:
        return lo <= address and end <= hi

    writable = length == 0 or within(0x30000, 0x31000) or within(0xFFFE0000 - 8192, 0xFFFE0000)
    readable = writable or within(0x10000, 0x11000)
    data = bytes(range(1, length + 1))
    assert mem.write_checked(address, data) is writable
    if readable:
        ro = bytes(b"r" * 16 + bytes(0x1000 - 16))[address - 0x10000 : end - 0x10000] if address >= 0x10000 else b""
        assert mem.read(address, length) == (data if writable else ro)
    else:
        with pytest.raises(ValueError, match="not readable"):
            mem.read(address, length)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([0, 0x1000, 0x3000, 0xFFFFF000]), st.booleans()), max_size=4),
    st.sampled_from([0, 0xFFF, 0x1000, 0x2FFE, 0xFFFFFFF0, 0xFFFFEFFF]),
    st.integers(0, 0x3001),
)
def test_dynamic_memory_access_checks_cover_every_page_of_the_range(pages, address, length) -> None:
    """is_readable / is_writable (page by page) against a byte-by-byte model, across page ends and 2^32."""
    from pvmkit.pvm.memory import DynamicMemory

    mem = DynamicMemory(0x1000, 1 << 20)
    for page, writable in pages:
        mem.map_range(page, 0x1000, writable)
    touched = {((address + i) & 0xFFFFFFFF) >> 12 for i in range(length)}
    assert mem.is_readable(address, length) == touched.issubset(mem.pages)
    assert mem.is_writable(address, length) == touched.issubset(mem.writable)


def test_block_caches_are_bounded_and_refill_with_the_same_results(monkeypatch) -> None:
    """A program of many one-instruction blocks (found in review: the interpreter kept ~2 KB per block it ran, with
    no bound) keeps at most BLOCK_CACHE_LIMIT entries per cache; blocks dropped from them are rebuilt and give the
    same results. 300 blocks `a0 += 1` run 5 rounds (tier 0 and compiled, through several emptyings at a limit of
    64): a0 = 1,500; gas = 5 * 300 blocks of 2 + 5 loop ends of 2 + the final ret."""
    from pvmkit.pvm import interpreter, program

    monkeypatch.setattr(program, "BLOCK_CACHE_LIMIT", 64)
    monkeypatch.setattr(interpreter, "BLOCK_CACHE_LIMIT", 64)
    body = [("add_imm_64", (A0, A0, 1)), ("fallthrough", ())] * 300
    m, _ = build([*body, ("add_imm_64", (A1, A1, -1)), ("branch_not_eq_imm", (A1, 0, L(0))), RET],
                 config=ModuleConfig(compile_after=2))  # fmt: skip
    inst = start(m, gas=100_000, a1=5, ra=HOST)
    assert inst.run().kind is K.FINISHED
    assert inst.regs[A0] == 1_500 and inst.regs[A1] == 0
    assert inst.gas == 100_000 - (5 * 300 * 2 + 5 * 2 + 1)
    for cache in (m.entry, m.resume, m._block_cost, m.code._blocks):
        assert len(cache) <= 64


def test_cli_inputs_that_are_not_regular_files_are_one_line_errors(tmp_path) -> None:
    """Found in review: a FIFO given as an input blocked every command forever."""
    import os

    from click.testing import CliRunner

    from pvmkit.cli import main

    fifo = tmp_path / "p.polkavm"
    os.mkfifo(fifo)
    for args in (["run", str(fifo)], ["disasm", str(fifo)], ["asm", str(fifo), "-o", str(tmp_path / "o")],
                 ["link", str(fifo), "-o", str(tmp_path / "o")]):  # fmt: skip
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 1 and "not a regular file (a FIFO, device or socket)" in out.output, (args, out.output)


def test_the_module_cache_evicts_safely_from_two_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two threads loading past the cache's size (one Env per thread is allowed): both picked the same oldest key to
    evict, and the second pop raised KeyError (found in review)."""
    from pvmkit.pvm import interpreter
    from pvmkit.pvm.asm import assemble

    from .conftest import race

    monkeypatch.setattr(interpreter, "MODULE_CACHE_SIZE", 2)
    monkeypatch.setattr(interpreter, "_MODULE_CACHE", {})
    blobs = [assemble(f"pub @main:\n    a0 = {i}\n    trap\n").write() for i in range(600)]
    config = interpreter.ModuleConfig(backend="interpreter")

    def load(part: int) -> None:
        for raw in blobs[part::2]:
            assert interpreter.load_module(raw, config).blob.code

    assert race(load) == [] and len(interpreter._MODULE_CACHE) <= 2


def test_a_long_block_is_decoded_once_not_once_per_segment(decoded_lengths: list[int]) -> None:
    """A block of 20,000 instructions runs in segments of max_segment_instructions; each segment decoded the rest of
    the block, quadratic in its length (found in review: 2^19 instructions interpreted in 120 s, 3 s now)."""
    from pvmkit.pvm.asm import assemble

    n = 20_000
    inst = Module(assemble("pub @main:\n" + " a0 = a0 + 1\n" * n + " trap\n"),
                  ModuleConfig(backend="interpreter")).instantiate()  # fmt: skip
    inst.prepare_call(0)
    inst.gas = 10**6
    assert inst.run().kind is K.TRAP and inst.regs[7] == n
    assert sum(decoded_lengths) <= 3 * n, sum(decoded_lengths)


def test_registers_and_arguments_take_u64_or_i64_values_only() -> None:
    """2**64 + 5 became 5 silently (found in review); -1 is the i64 it says (all ones)."""
    from pvmkit.pvm.asm import assemble

    inst = Module(assemble("pub @main:\n trap\n"), ModuleConfig(backend="interpreter")).instantiate()
    inst.prepare_call("main", -1, (1 << 64) - 1, -(1 << 63))
    assert list(inst.regs)[7:10] == [(1 << 64) - 1, (1 << 64) - 1, 1 << 63]
    for bad in ((1 << 64) + 5, -(1 << 63) - 1):
        with pytest.raises(ValueError, match="fits neither a u64 nor an i64"):
            inst.prepare_call("main", bad)
        with pytest.raises(ValueError, match="register 3"):
            inst.regs[3] = bad
    with pytest.raises(TypeError, match="argument 1 takes an int"):
        inst.prepare_call("main", 1, 2.0)
    inst.regs[3] = -2
    assert inst.regs[3] == (1 << 64) - 2


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
@pytest.mark.usefixtures("backends_as_named")
def test_registers_take_names_and_slices(backend: str) -> None:
    """regs["a0"], regs[7:9] and regs[0:2] = [...] as a sequence does (found in review: a slice or a name raised a
    bare comparison TypeError); other keys are named."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.jit import is_supported

    if backend == "jit" and not is_supported():
        pytest.skip("the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")
    inst = Module(assemble("pub @main:\n a0 = a0 + a1\n trap\n"), ModuleConfig(backend=backend)).instantiate()
    inst.prepare_call("main", 5, 6)
    assert inst.regs[7:9] == [5, 6] and inst.regs["a0"] == 5 and inst.regs["r8"] == 6 and inst.regs[-6] == 5
    inst.regs["a1"] = 10
    inst.regs[0:2] = [1, 2]
    assert inst.regs[:3] == [1, 2, 0] and inst.regs[::6] == [1, 0, 0]
    inst.gas = 10
    assert inst.run().kind is K.TRAP and inst.regs["a0"] == 15
    with pytest.raises(IndexError, match="no register named 'x0'"):
        inst.regs["x0"]
    with pytest.raises(TypeError, match="indexed by int, name or slice"):
        inst.regs[1.0]  # type: ignore[index]
    with pytest.raises(ValueError, match="3 values for 2 registers"):
        inst.regs[0:2] = [1, 2, 3]
    with pytest.raises(ValueError, match="register 1"):
        inst.regs[0:2] = [1, -1 << 70]
    assert inst.regs[:2] == [1, 2]  # (checked before any is written)


def test_an_unknown_backend_from_the_environment_is_named_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.interpreter import ModuleError

    monkeypatch.setenv("PVMKIT_BACKEND", "bogus")
    with pytest.raises(ModuleError, match="unknown backend PVMKIT_BACKEND='bogus'"):
        Module(assemble("pub @main:\n trap\n"), ModuleConfig())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"bitmask": b""}, "bitmask has 0 bytes"),
        ({"code": "abc"}, "code must be bytes"),
        ({"stack_size": -4096}, "stack_size must be an int"),
        ({"rw_data_size": 1 << 40}, "rw_data_size must be an int"),
        ({"jump_table": (-2,)}, "jump_table entries"),
        ({"jump_table": (1 << 40,)}, "jump_table entries"),
        ({"exports": (Export(-1, b"main"),)}, "at pc -1, outside"),
    ],
)
def test_a_hand_built_blob_with_impossible_fields_is_refused_by_name(fields: dict, message: str) -> None:
    """What ProgramBlob.parse guarantees, checked for a blob built in Python (found in review: IndexError, "negative
    count", an mprotect failure or a pc of -1 in a trap, each on both backends)."""
    from pvmkit.pvm.interpreter import ModuleError

    base = ProgramBlob(code=bytes([1]) * 9, bitmask=b"\xff\x01", stack_size=4096)
    for backend in ("interpreter", "auto"):
        with pytest.raises(ModuleError, match=message):
            Module(dataclasses.replace(base, **fields), ModuleConfig(backend=backend))


def _embedder_backends() -> list[str]:
    from pvmkit.pvm.jit import is_supported

    return ["interpreter", "crosscheck", "jit"] if is_supported() else ["interpreter"]


@pytest.mark.parametrize("backend", _embedder_backends())
def test_the_embedding_api_refuses_misuse_alike_on_every_backend(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: read_memory with a negative length read the JIT's guard pages (SIGSEGV) and 135 KB of
    ro data, gap and rw data on the interpreter; write_memory(addr, 3) wrote three zeros; a serve() handler's
    `regs[7] = -1` made the interpreter compute with -1; a handler could run, prepare or reset the instance on the
    interpreter only; `inst.regs = [...]` replaced the view; pcs of -1 or 2^32 were taken."""
    from pvmkit.pvm.asm import assemble

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    blob = assemble("%ro_data_size = 16\n%ro_data = 0102\n%rw_data_size = 16\npub @main:\n    ecalli 0\n"
                    "    a0 = a0 >> 60\n    ret\n")  # fmt: skip
    module = Module(blob, ModuleConfig(backend=backend))
    inst = module.instantiate()
    ro = module.memory_map.ro_data_address
    for length in (-1, 1 << 32, 1.0):
        with pytest.raises(ValueError, match="memory length"):
            inst.read_memory(ro, length)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="runs past 2\\^32"):
        inst.read_memory(0xFFFFFFFF, 2)
    assert inst.read_memory(ro, 2) == b"\1\2"
    with pytest.raises(TypeError, match="takes bytes, not int"):
        inst.write_memory(module.memory_map.rw_data_address, 3)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        inst.regs = [5] * 13  # type: ignore[misc]
    for pc in (-1, 1 << 32, True):
        with pytest.raises(ValueError, match="program counter"):
            inst.prepare_call(pc)
        with pytest.raises(ValueError, match="program counter"):
            inst.set_next_program_counter(pc)

    def run_with(handler) -> object:  # type: ignore[no-untyped-def]
        inst.prepare_call("main")
        inst.gas = 100
        return inst.serve(handler)

    def negative(number: int, regs: list, gas: int) -> int:
        regs[7] = -1
        return gas

    def a_float(number: int, regs: list, gas: int) -> int:  # (found in review: the JIT raised memoryview's TypeError)
        regs[7] = 5.0
        return gas

    for bad in (negative, a_float):
        with pytest.raises(ValueError, match="a serve\\(\\) handler set"):
            run_with(bad)
    for what, call in (("run", lambda: inst.run()), ("prepare_call", lambda: inst.prepare_call("main")),
                       ("reset_memory", lambda: inst.reset_memory())):  # fmt: skip
        def reenter(number: int, regs: list, gas: int, call=call) -> int:
            call()
            return gas

        with pytest.raises(RuntimeError, match=f"{what}.* while this instance runs"):
            run_with(reenter)
    assert run_with(lambda n, regs, gas: gas).kind is InterruptKind.FINISHED  # (still usable)


def test_crosscheck_checks_serve_and_a_handlers_bad_register_is_a_value_error_on_every_path(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Found in review of this change: serve() stepped past CrosscheckInstance's override (contract frames went
    unchecked), and a tiered ('auto') instance let a handler's -1 through while interpreted and raised struct's
    error once native."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.jit import is_supported

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    blob = assemble("pub @main:\n    a0 = 1\n@l:\n    ecalli 5\n    a0 = a0 + 1\n    jump @l if a0 != 0\n    ret\n")
    if is_supported():
        inst = Module(blob, ModuleConfig(backend="crosscheck")).instantiate()
        runs = []
        shadow_run = inst.shadow.run
        inst.shadow.run = lambda: runs.append(1) or shadow_run()  # type: ignore[method-assign]
        inst.prepare_call("main")
        inst.gas = 50
        assert inst.serve(lambda n, regs, gas: gas).kind is InterruptKind.NOT_ENOUGH_GAS and len(runs) > 5

    def negative(number: int, regs: list, gas: int) -> int:
        regs[7] = -1
        return gas

    configs = [{"backend": "interpreter"}]
    if is_supported():
        configs += [{"backend": "auto", "jit_after": 10**6}, {"backend": "auto"}, {"backend": "jit"}]
    for config in configs:
        inst = Module(blob, ModuleConfig(**config)).instantiate()
        inst.prepare_call("main")
        inst.gas = 50
        with pytest.raises(ValueError):
            inst.serve(negative)


def test_an_interpreted_run_interrupted_mid_block_cannot_go_on_with_stale_registers(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Found in review: after Ctrl-C the interpreter kept its next pc while compiled blocks had kept registers in
    locals: run() went on at the block with stale registers. Now it refuses until a call is prepared, as the JIT."""
    from pvmkit.pvm.asm import assemble

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)  # (the interpreter's compiled blocks are what it tests)

    module = Module(assemble("pub @main:\n    a0 = a0 + 1\n    ret\n"), ModuleConfig(backend="interpreter"))
    inst = module.instantiate()
    inst.prepare_call("main")
    inst.gas = 100

    def interrupted(*_: object) -> int:
        raise KeyboardInterrupt

    module.entry[0] = interrupted
    with pytest.raises(KeyboardInterrupt):
        inst.run()
    assert inst.next_program_counter is None
    with pytest.raises(RuntimeError, match="nothing to run"):
        inst.run()


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
@pytest.mark.usefixtures("backends_as_named")
def test_gas_is_an_int_from_the_setter_and_from_a_handler(backend: str) -> None:
    """As arguments and registers are (found in review: int() made 1.9 gas 1, "12" 12, and a handler could return
    "50"); an int-like with __index__ is taken."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.jit import is_supported

    if backend == "jit" and not is_supported():
        pytest.skip("the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")

    class Fuel:
        def __index__(self) -> int:
            return 42

    blob = assemble('%import 0 "h"\npub @main:\n ecalli 0\n trap\n')
    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    for bad in (1.9, "12", b"7", True, None):
        with pytest.raises(TypeError, match="gas is an int"):
            inst.gas = bad  # type: ignore[assignment]
    inst.gas = Fuel()  # type: ignore[assignment]
    assert inst.gas == 42
    inst.prepare_call("main")
    inst.gas = 10
    with pytest.raises(TypeError, match="gas is an int, not str"):
        inst.serve(lambda number, regs, gas: "50")  # type: ignore[arg-type, return-value]


def test_a_module_takes_a_blobs_bytes_too() -> None:
    """Module(raw) as polkavm's Module::new and wasmtime's Module take bytes (found in review: AttributeError)."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.blob import ProgramBlobError

    raw = assemble("pub @main:\n a0 = 7\n trap\n").write()
    inst = Module(raw).instantiate()
    inst.prepare_call("main")
    inst.gas = 10
    assert inst.run().kind is K.TRAP and inst.regs["a0"] == 7
    assert Module(bytearray(raw)).blob == Module(memoryview(raw)).blob
    with pytest.raises(ProgramBlobError):
        Module(b"PVM\0garbage")
    with pytest.raises(TypeError, match="ProgramBlob or a blob's bytes, not str"):
        Module("x.polkavm")  # type: ignore[arg-type]


def test_module_config_host_sbrk_and_a_segfault_without_address_are_checked_or_shown() -> None:
    """Found in review: max_segment_instructions=0 failed with IndexError at run() (interpreter only), aux_data_size=-1
    was taken as 0, a host sbrk(-5) made heap_size -5, and str() of a SEGFAULT without an address raised."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.interpreter import Interrupt, ModuleError

    for field, value in (("max_segment_instructions", 0), ("aux_data_size", -1), ("compile_after", 1.5)):
        with pytest.raises(ModuleError, match=f"ModuleConfig.{field} must be an int"):
            ModuleConfig(**{field: value})
    inst = Module(assemble("%isa = latest64\npub @main:\n    ret\n"), ModuleConfig()).instantiate()
    with pytest.raises(ValueError, match="sbrk takes a size"):
        inst.memory.sbrk(-5)
    assert inst.memory.heap_size == 0
    assert str(Interrupt(InterruptKind.SEGFAULT)) == "segfault"
    assert str(Interrupt(InterruptKind.SEGFAULT, 7, address=0x20000)) == "segfault on page 0x20000 at pc 7"


@pytest.mark.parametrize("backend", _embedder_backends())
def test_a_recycled_instance_refuses_every_use_until_handed_out_again(backend: str, monkeypatch) -> None:
    """Found in review: a reference kept after recycle() ran the instance that instantiate() had since handed to
    another caller (the two then shared registers and memory)."""
    from pvmkit.pvm.asm import assemble

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    module = Module(assemble("%rw_data_size = 16\npub @main:\n    a0 = a0 + 1\n    ret\n"),
                    ModuleConfig(backend=backend))  # fmt: skip
    kept = module.instantiate()
    kept.recycle()
    rw = module.memory_map.rw_data_address
    for what, call in (("run", kept.run), ("prepare_call", lambda: kept.prepare_call("main")),
                       ("serve", lambda: kept.serve(lambda n, r, g: g)), ("reset_memory", kept.reset_memory),
                       ("read_memory", lambda: kept.read_memory(rw, 1)),
                       ("write_memory", lambda: kept.write_memory(rw, b"x"))):  # fmt: skip
        with pytest.raises(RuntimeError, match=f"{what}.* on a recycled instance"):
            call()
    with pytest.raises(RuntimeError, match="set_next_program_counter.* on a recycled instance"):
        kept.set_next_program_counter(0)
    kept.gas, kept.regs[7] = 12345, 5  # (what a kept reference changes does not reach the next owner)
    kept.recycle()  # (again: nothing)
    owner = module.instantiate()
    if owner is kept:
        assert (owner.gas, owner.regs[7], owner.next_program_counter, owner.program_counter) == (0, 0, None, None)
    assert (owner is kept) == (backend != "crosscheck")  # (crosscheck instances are never pooled)
    owner.prepare_call("main", 41)
    owner.gas = 10
    assert owner.run().kind is InterruptKind.FINISHED and owner.regs[7] == 42


@pytest.mark.parametrize("backend", _embedder_backends())
def test_program_counter_follows_polkavm(backend: str, monkeypatch) -> None:
    """polkavm's program_counter(): None once a call is prepared or the pc moved by the host, and after a return to
    the host; the trapping or interrupted instruction otherwise; with step tracing, the instruction about to run."""
    from pvmkit.pvm.asm import assemble

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    blob = assemble("pub @main:\n    ecalli 3\n    a0 = a0 + 1\n    ret\npub @bad:\n    trap\n")
    module = Module(blob, ModuleConfig(backend=backend))
    inst = module.instantiate()
    inst.prepare_call("main")
    inst.gas = 100
    assert inst.program_counter is None
    assert inst.run().kind is InterruptKind.ECALLI and inst.program_counter == 0
    finished = inst.run()
    assert finished.kind is InterruptKind.FINISHED and finished.pc == 5 and inst.program_counter is None
    inst.prepare_call("bad")
    assert inst.run().kind is InterruptKind.TRAP and inst.program_counter == 7
    inst.set_next_program_counter(0)
    assert inst.program_counter is None
    if backend == "interpreter":
        stepping = Module(blob, ModuleConfig(backend=backend, step_tracing=True)).instantiate()
        stepping.prepare_call("main")
        stepping.gas = 100
        steps = []
        while (intr := stepping.run()).kind is InterruptKind.STEP:
            steps.append((intr.pc, stepping.program_counter))
        assert steps == [(0, 0)] and intr.kind is InterruptKind.ECALLI and stepping.program_counter == 0
        while (intr := stepping.run()).kind is InterruptKind.STEP:
            steps.append((intr.pc, stepping.program_counter))
        assert steps == [(0, 0), (2, 2), (5, 5)] and intr.kind is InterruptKind.FINISHED
        assert stepping.program_counter is None


@pytest.mark.parametrize("backend", _embedder_backends())
def test_dynamic_paging_host_access_follows_polkavm(backend: str, monkeypatch) -> None:
    """polkavm's read_memory/write_memory refuse addresses below 0x10000 and write only writable pages, even where the
    host mapped pages the guest may read (found in review: pvmkit read and wrote them)."""
    from pvmkit.pvm.asm import assemble

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    blob = assemble("pub @main:\n    a0 = u32 [0x4000]\n    a1 = u8 [0x20000]\n    ret\n")
    inst = Module(blob, ModuleConfig(backend=backend, dynamic_paging=True)).instantiate()
    inst.map_memory(0x4000, 4096)
    inst.map_memory(0x20000, 4096, writable=False)
    for call in (lambda: inst.read_memory(0xFFFF, 2), lambda: inst.write_memory(0x4000, b"x")):
        with pytest.raises(ValueError, match="below 0x10000"):
            call()
    with pytest.raises(ValueError, match="0x20000..0x20001 is not mapped writable"):
        inst.write_memory(0x20000, b"x")
    inst.map_memory(0x20000, 4096, writable=True)  # (remapping keeps the contents: fill it, then protect it)
    inst.write_memory(0x20000, b"\x2a")
    inst.map_memory(0x20000, 4096, writable=False)
    inst.prepare_call("main")
    inst.gas = 100
    assert inst.run().kind is InterruptKind.FINISHED and (inst.regs[7], inst.regs[8]) == (0, 42)
    assert inst.read_memory(0x20000, 1) == b"\x2a"


@pytest.mark.parametrize("backend", _embedder_backends())
def test_a_handler_that_moves_the_guest_and_raises_leaves_no_current_instruction(backend: str, monkeypatch) -> None:
    """Found in review: on the JIT, a serve() handler's set_next_program_counter followed by an exception left
    program_counter at the ecalli, where set_next_program_counter leaves it None (as polkavm's)."""
    from pvmkit.pvm.asm import assemble

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    inst = Module(assemble("pub @main:\n    ecalli 0\n    ret\npub @other:\n    trap\n"),
                  ModuleConfig(backend=backend)).instantiate()  # fmt: skip

    def moves(number: int, regs: list, gas: int) -> int:
        inst.set_next_program_counter(3)
        raise KeyError("the handler's own error")

    inst.prepare_call("main")
    inst.gas = 100
    with pytest.raises(KeyError):
        inst.serve(moves)
    assert inst.program_counter is None and inst.next_program_counter == 3
    assert inst.run().kind is InterruptKind.TRAP and inst.program_counter == 3


def test_a_tiered_instance_still_interpreted_refuses_a_handlers_reentry(monkeypatch) -> None:
    """Found in review: an 'auto' instance not yet compiled called serve()'s handler between runs with the instance
    idle, so the handler could recycle it (retiring it mid-call), run it, prepare or reset it."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.jit import is_supported

    if not is_supported():
        pytest.skip("no JIT here: 'auto' is the interpreter")
    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    module = Module(assemble("pub @main:\n    ecalli 1\n    a0 = a0 + 1\n    ret\n"),
                    ModuleConfig(backend="auto", jit_at_once=0, jit_after=10**6))  # fmt: skip
    inst = module.instantiate()
    assert not inst.native
    for what, call in (("run", lambda: inst.run()), ("prepare_call", lambda: inst.prepare_call("main")),
                       ("reset_memory", lambda: inst.reset_memory())):  # fmt: skip
        def reenter(number: int, regs: list, gas: int, call=call) -> int:
            call()
            return gas

        inst.prepare_call("main")
        inst.gas = 100
        with pytest.raises(RuntimeError, match=f"{what}.* while this instance runs"):
            inst.serve(reenter)

    def recycles(number: int, regs: list, gas: int) -> int:
        inst.recycle()  # (from a handler: nothing)
        return gas

    inst.prepare_call("main", 41)
    inst.gas = 100
    assert inst.serve(recycles).kind is InterruptKind.FINISHED and inst.regs[7] == 42 and module._spare == []


def test_aux_data_is_accessible_in_whole_pages(monkeypatch) -> None:
    """polkavm's accessible aux size is the memory map's, rounded up to a page: 100 bytes of aux data give the host
    and the guest the whole first page (found in review: pvmkit stopped at byte 100)."""
    from pvmkit.pvm.asm import assemble

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    blob = assemble("pub @main:\n    a0 = u8 [0xFFFE0FFF]\n    a1 = u8 [0xFFFE1000]\n    ret\n")
    for backend in _embedder_backends():
        inst = Module(blob, ModuleConfig(backend=backend, aux_data_size=100)).instantiate()
        inst.write_memory(0xFFFE0000 + 100, b"ab")
        inst.write_memory(0xFFFE0FFF, b"\x2a")
        with pytest.raises(ValueError, match="is not writable"):
            inst.write_memory(0xFFFE0FFF, b"\x2a\x2a")
        inst.prepare_call("main")
        inst.gas = 100
        intr = inst.run()
        second = inst.module.code.decoded()[0][1]  # (the load past the page)
        assert intr.kind is InterruptKind.TRAP and intr.pc == second and inst.regs[7] == 42, backend


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
@pytest.mark.usefixtures("backends_as_named")
def test_call_returns_a0_or_raises_a_trap_saying_where(backend: str) -> None:
    """Instance.call (wasmtime's Func call) prepares, runs and answers host calls, and returns a0; a guest that does
    not return raises Trap with the interrupt and the instruction at its pc. Module.exports/imports list the blob's,
    and Instance.sbrk/heap_size are polkavm's RawInstance ones (asked for by a PVM-user audit helper)."""
    from pvmkit import Trap
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.jit import is_supported

    if backend == "jit" and not is_supported():
        pytest.skip("the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")
    module = Module(assemble('%import 0 "log"\n%isa = latest64\n%rw_data_size = 16\npub @add:\n    a0 = a0 + a1\n'
                             '    ret\npub @boom:\n    a0 = u32 [0x10]\n    ret\npub @host:\n    ecalli 0\n    ret\n'
                             'pub @spin:\n    jump @spin\n'), ModuleConfig(backend=backend))  # fmt: skip
    assert [(e.symbol, e.pc) for e in module.exports] == [(b"add", 0), (b"boom", 5), (b"host", 10), (b"spin", 13)]
    assert module.imports == (b"log",)
    inst = module.instantiate()
    assert inst.call("add", 2, 3, gas=100) == 5 and inst.gas == 98
    assert inst.call(0, 7, 8) == 15  # (by pc, with the gas left)
    with pytest.raises(Trap, match=r"'boom' did not return: trap at pc 5: a0 = u32 \[0x10\]") as e:
        inst.call("boom", gas=100)
    assert (e.value.kind, e.value.pc, e.value.interrupt.kind) == (K.TRAP, 5, K.TRAP)
    with pytest.raises(Trap, match="ecalli 0 at pc 10 with no handler .*import 'log'"):
        inst.call("host", gas=100)
    calls = []
    assert inst.call("host", 4, gas=100, on_ecalli=lambda n, r, g: calls.append(n) or r.__setitem__(7, 9) or g) == 9
    with pytest.raises(Trap, match="not_enough_gas at pc 13") as e:
        inst.call("spin", gas=1000)
    assert e.value.kind is K.NOT_ENOUGH_GAS and calls == [0]
    top = inst.sbrk(10)
    assert inst.heap_size == 10 and top == module.memory_map.heap_base + 10
