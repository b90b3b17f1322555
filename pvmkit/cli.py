"""The `pvmkit` command line: assemble, disassemble, run programs and test vectors, benchmark."""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import click

from .files import read_input
from .pvm.blob import ProgramBlob, ProgramBlobError
from .pvm.interpreter import Interrupt, InterruptKind, Module, ModuleConfig, ModuleError, count_instructions
from .pvm.isa import BY_NAME, REG_INDEX, REG_NAMES
from .spec import run_spec_command

BACKENDS = ("auto", "interpreter", "jit", "crosscheck")
M64 = (1 << 64) - 1


def _read_blob(path: Path) -> ProgramBlob:
    try:
        raw = read_input(path)
    except OSError as e:
        raise click.ClickException(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return ProgramBlob.parse(raw)
    except ProgramBlobError as e:
        raise click.ClickException(f"{path}: {e}") from None


def _write(path: Path, data: bytes | str | Iterable[str], inputs: Iterable[Path] = ()) -> None:
    """Write an output file (text given whole or in pieces); an unwritable path is a one-line error, not a
    traceback, and so is one that is one of the command's `inputs` (found in review: `asm s.s -o s.s` replaced the
    source with its blob), however it is named."""
    for given in inputs:
        if _same_file(path, given):
            raise click.ClickException(f"{path}: the output would replace the input {given}: write it elsewhere")
    try:
        if isinstance(data, str):
            path.write_text(data)
        elif isinstance(data, bytes):
            path.write_bytes(data)
        else:
            with path.open("w") as f:
                for text in _joined(data):
                    f.write(text)
    except OSError as e:
        raise click.ClickException(f"cannot write {path}: {e.strerror or e}") from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether two existing paths are one file (symlinks and hard links included)."""
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _joined(pieces: Iterable[str], n: int = 4096) -> Iterator[str]:
    """Text pieces (lines) joined n at a time: one write or echo per batch rather than per line."""
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= n:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def _module(blob: ProgramBlob, backend: str, path: Path, **config: object) -> Module:
    if backend not in BACKENDS:
        raise click.BadParameter(f"unknown backend {backend!r}", param_hint="--backend")
    try:
        return Module(blob, ModuleConfig(backend=backend, **config))  # type: ignore[arg-type]
    except ModuleError as e:
        raise _refused(e, path) from None


def _refused(e: ModuleError, path: object) -> click.ClickException:
    """A module the backend refused, in the command line's terms, naming its file (as a blob's parse errors do)."""
    return click.ClickException(f"{path}: {_cli_terms(str(e))}")


def _cli_terms(message: str) -> str:
    """`message` naming the command line's option rather than ModuleConfig's field."""
    return message.replace("ModuleConfig.max_memory", "raise it with --max-memory")


def _max_memory_option(help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--max-memory MIB: ModuleConfig.max_memory for the command (256 MiB, its default)."""
    return click.option("--max-memory", "max_memory", type=click.IntRange(1, 1 << 32), default=256,
                        show_default=True, metavar="MIB", help=help)  # fmt: skip


# What the options say they take (found in review: int() took 1_000, 0b1 and other scripts' digits too).
_INT = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|[0-9]+)\Z", re.ASCII)


def _parse_int(text: str, what: str) -> int:
    digits = text.strip()
    if not _INT.match(digits):
        raise click.BadParameter(f"{text!r} is not an integer (decimal, or 0x… hex)", param_hint=what)
    return int(digits, 16 if "x" in digits.lower() else 10)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pvmkit")
def main() -> None:
    """pvmkit: PolkaVM (PVM) and the pallet-revive contract runtime, in Python."""
    forced = os.environ.get("PVMKIT_BACKEND")
    if forced and forced not in BACKENDS:  # (found in review: run-spec and demo raised deep inside with a traceback)
        raise click.UsageError(f"PVMKIT_BACKEND={forced!r} is not a backend (choose one of {', '.join(BACKENDS)})")


@main.command()
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the .polkavm blob.",
)
@click.option(
    "--isa",
    type=click.Choice(sorted(BY_NAME)),
    default="revive_v1",
    show_default=True,
    help="Instruction set (sets the blob's version byte); a %isa line in SOURCE says the same.",
)
@click.pass_context
def asm(ctx: click.Context, source: Path, output: Path, isa: str) -> None:
    """Assemble polkavm textual assembly (SOURCE) into a .polkavm blob."""
    from .pvm.asm import AsmError, assemble

    try:
        text = read_input(source, text=True)
    except (OSError, UnicodeDecodeError) as e:
        raise click.ClickException(f"cannot read {source}: {getattr(e, 'strerror', None) or e}") from None
    try:
        blob = assemble(text, BY_NAME[isa])
    except AsmError as e:
        raise click.ClickException(f"{source}: {e}") from None
    given = ctx.get_parameter_source("isa") is not click.core.ParameterSource.DEFAULT
    if given and blob.isa is not BY_NAME[isa]:  # (found in review: the %isa line silently won)
        raise click.UsageError(f"--isa {isa} and the %isa line in {source} ({blob.isa.name}) disagree: give one")
    _write(output, blob.write(), [source])
    click.echo(f"wrote {output} ({len(blob.code)} bytes of code, {len(blob.exports)} exports)")


@main.command()
@click.argument("blob_path", metavar="FILE.polkavm", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--no-gas", is_flag=True, help="Omit the per-block gas annotations.")
@click.option(
    "--native",
    is_flag=True,
    help="Show under each instruction the x86-64 code the JIT compiles it to (mnemonics need capstone, else bytes).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file.")
def disasm(blob_path: Path, no_gas: bool, native: bool, output: Path | None) -> None:
    """Disassemble a .polkavm blob: header, memory, imports, exports, instructions with pcs and block gas.

    The output re-assembles with `pvmkit asm` into an equivalent program (the native code is in comments).
    """
    from .pvm.disasm import disassembly

    blob = _read_blob(blob_path)
    _check_room_to_disassemble(blob_path, blob)
    annotate = None
    trailer: list[str] = []
    if native:
        from .pvm.interpreter import JIT_MAX_INSTRUCTIONS
        from .pvm.jit.listing import has_mnemonics, native_listing

        if count_instructions(blob.bitmask) > JIT_MAX_INSTRUCTIONS:  # (the JIT refuses it, and listing it would
            # take gigabytes: found in review)
            raise click.ClickException(f"{blob_path}: the JIT compiles at most {JIT_MAX_INSTRUCTIONS:,} instructions")
        # (listing allocates no guest memory: no limit on what the program's memory map asks for)
        listing = native_listing(_module(blob, "interpreter", blob_path, max_memory=1 << 40))
        annotate = listing.lines
        trailer.append(
            f"// native: {len(listing.code):,} bytes of x86-64, {listing.out_of_line:,} of them out of line (stubs,"
            f" dispatch); {listing.native_instructions:,} of {listing.instructions:,} instructions translated natively"
            f", the rest run by the interpreter{'' if has_mnemonics() else '; install capstone for mnemonics'}\n"
        )
    lines = itertools.chain(disassembly(blob, show_gas=not no_gas, annotate=annotate), trailer)  # (never held whole)
    if output:
        _write(output, lines, [blob_path])
    else:
        for text in _joined(lines):
            click.echo(text, nl=False)


# What disassembling holds per instruction (its decoded form, its bytes, the listing laid out again to check that the
# text re-assembles to the same offsets): ~250 bytes measured, for a blob of 1M one-byte instructions.
DISASM_BYTES_PER_INSTRUCTION = 300


def _check_room_to_disassemble(blob_path: Path, blob: ProgramBlob) -> None:
    """A clear error rather than the kernel's OOM killer (found in review: 32 MiB of code would need ~7.5 GB)."""
    count = count_instructions(blob.bitmask)
    needed = count * DISASM_BYTES_PER_INSTRUCTION
    try:
        with open("/proc/meminfo") as f:
            available = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return  # (not Linux: nothing to compare with)
    if needed > available:
        raise click.ClickException(f"{blob_path}: disassembling {count:,} instructions needs about"
                                   f" {needed >> 20:,} MiB; {available >> 20:,} MiB are available")  # fmt: skip


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(BACKENDS + ("step",)),
    default="auto",
    show_default=True,
    help="Backend to execute with ('step' single-steps the interpreter).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only print failures and the summary.")
@_max_memory_option("Host memory a vector's mapped pages may use, in MiB.")
def vectors(paths: tuple[Path, ...], backend: str, quiet: bool, max_memory: int) -> None:
    """Run PVM test vectors (JAM JSON v0.4 schema) from files or folders.

    Prints a line per vector (with -q only the failures, each with its first difference), then `N passed, M failed`;
    exits 1 if any failed.
    """
    from .pvm.vectors import VectorError, collect, load_vector, run_vector

    try:
        files = collect(list(paths))
    except VectorError as e:
        raise click.ClickException(str(e)) from None
    passed = failed = 0
    for f in files:
        try:
            result = run_vector(load_vector(f), backend=backend, path=str(f), max_memory=max_memory << 20)
        except VectorError as e:
            click.echo(f"FAIL {f}: {_cli_terms(str(e).removeprefix(f'{f}: '))}")  # (its path once)
            failed += 1
            continue
        except ModuleError as e:  # the backend refuses the program (unknown, the JIT unavailable or over its limit)
            raise _refused(e, f) from None
        if result.ok:
            passed += 1
            if not quiet:
                click.echo(f"ok   {result.name}")
        else:
            failed += 1
            click.echo(f"FAIL {result.name} ({f}): {_cli_terms(result.failures[0])}")
    if not files:
        click.echo(f"no vector files (*.json) in {', '.join(map(str, paths))}")
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not files else 0)


def _parse_reg(text: str) -> tuple[int, int]:
    name, sep, value = text.partition("=")
    if not sep or name.strip() not in REG_INDEX:
        raise click.BadParameter(
            f"{text!r}: expected NAME=VALUE with NAME one of {', '.join(REG_NAMES)} (or r0..r12)", param_hint="--reg"
        )
    number = _parse_int(value.strip(), "--reg")
    if not -(1 << 63) <= number <= M64:  # a u64, or an i64 (found in review: larger values were cut to 64 bits)
        raise click.BadParameter(f"{text!r}: the value does not fit in 64 bits", param_hint="--reg")
    return REG_INDEX[name.strip()], number & M64


@main.command()
@click.argument("blob_path", metavar="FILE.polkavm", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--export", "export", default=None, help="Export to call (default: the first export, else pc 0).")
@click.option("--pc", "entry_pc", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Start at this code offset instead of an export.")  # fmt: skip
@click.option("--gas", default="1000000000", show_default=True, metavar="INT",
              help="Gas limit (1 per instruction; decimal or 0x hex).")  # fmt: skip
@click.option("--reg", "regs", multiple=True, metavar="NAME=VALUE", help="Set a register before running (repeatable).")
@click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: status, pc, regs, gas_used.")
@click.option("--trace", is_flag=True, help="Print every executed instruction (pc, text, gas left).")
@_max_memory_option("Host memory the guest may use, in MiB (its data, heap and stack).")
def run(
    blob_path: Path,
    export: str | None,
    entry_pc: int | None,
    gas: str,
    regs: tuple[str, ...],
    backend: str,
    as_json: bool,
    trace: bool,
    max_memory: int,
) -> None:
    """Run an export of a .polkavm program with no host functions (an ecalli stops it and is reported).

    Exits with status 0 when the program returned to the host, and 3 when it stopped otherwise (trap, out of gas,
    segfault or a host call), so scripts can tell that from a bad file or argument (1 and 2)."""
    from .pvm.asm import instruction_at

    if export is not None and entry_pc is not None:  # (found in review: --pc silently won)
        raise click.UsageError("--export and --pc both say where to start: give one")
    if trace and as_json:  # (found in review: the trace was silently dropped)
        raise click.UsageError("--trace prints text: it cannot go with --json")
    blob = _read_blob(blob_path)
    gas_limit = _parse_int(gas, "--gas")
    if not 0 <= gas_limit < 1 << 63:  # the VM's gas is an i64
        raise click.BadParameter(f"must be between 0 and {(1 << 63) - 1}", param_hint="--gas")
    module = _module(blob, backend, blob_path, step_tracing=trace, max_memory=max_memory << 20)
    inst = module.instantiate()
    if entry_pc is not None:
        target: str | int = entry_pc
    elif export is not None:
        try:  # (the name's bytes as given, which need not be UTF-8: found in review)
            target = blob.export(os.fsencode(export)).pc
        except KeyError as e:
            raise click.ClickException(str(e.args[0])) from None
    else:
        target = blob.exports[0].pc if blob.exports else 0
    inst.prepare_call(target)
    for text in regs:
        index, value = _parse_reg(text)
        inst.regs[index] = value
    # (Ctrl-C stops native code too: it runs its gas in slices, jit/instance.py)
    inst.gas = gas_limit
    code = module.code
    pending: tuple[int, str] | None = None  # the instruction a STEP announced, shown once it has run
    while True:
        intr = inst.run()
        # Shown with the gas left after it ran, unless it did not: out of gas at its block's check (found in review:
        # the trace ended with an instruction that never ran, and a block's first line showed the gas before its
        # charge, the others after it).
        if pending is not None and not (intr.kind is InterruptKind.NOT_ENOUGH_GAS and intr.pc == pending[0]):
            click.echo(f"  {pending[0]:>6}: {pending[1]:<40} gas left {inst.gas}")
        pending = None
        if intr.kind is not InterruptKind.STEP:
            break
        if not as_json:
            pending = (intr.pc, instruction_at(code, intr.pc))  # (one: the rest of the block was quadratic, review)
    _report(blob, intr, list(inst.regs), gas_limit - inst.gas, as_json)
    if intr.kind is not InterruptKind.FINISHED:  # (found in review: a trap exited 0)
        raise click.exceptions.Exit(3)


def _report(blob: ProgramBlob, intr: Interrupt, regs: list[int], gas_used: int, as_json: bool) -> None:
    from .pvm.disasm import show_symbol

    status = intr.kind.value
    extra: dict[str, object] = {}
    name = None
    if intr.kind is InterruptKind.ECALLI:
        assert intr.ecalli is not None
        name = blob.imports[intr.ecalli] if intr.ecalli < len(blob.imports) else None
        extra = {"ecalli": intr.ecalli, "import": name.decode("utf-8", "replace") if name else None}
    if intr.kind is InterruptKind.SEGFAULT:
        extra = {"address": intr.address}
    if as_json:
        click.echo(json.dumps({"status": status, "pc": intr.pc, "regs": regs, "gas_used": gas_used, **extra}))
        return
    line = f"status: {status}"
    if "ecalli" in extra:  # (the name as disasm shows it: a blob's import name could print lines of its own)
        line += f" (ecalli {extra['ecalli']}" + (f" = {show_symbol(name)})" if name else ")")
    click.echo(line)
    click.echo(f"pc: {intr.pc}")
    for i, value in enumerate(regs):
        click.echo(f"  {REG_NAMES[i]:>2} = {value:#018x} ({value})")
    click.echo(f"gas used: {gas_used}")


@main.command()
@click.argument("elf_path", metavar="IN.elf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--isa", type=click.Choice(["revive_v1", "latest64"]), default="revive_v1", show_default=True)
@click.option("--export", "exports", multiple=True, metavar="NAME", help="Export this function (repeatable).")
@click.option("--stack-size", default=64 * 1024, show_default=True, type=click.IntRange(0, 0xFFFFFFFF),
              help="Stack size in bytes, at least (PVM_MIN_STACK_SIZE in the program can ask for more).")
@click.option("--emit-asm", type=click.Path(path_type=Path, dir_okay=False), help="Also write the PVM assembly.")
@click.option("--strip", is_flag=True, help="Accepted for polkatool compatibility (no debug info is emitted).")
def link(elf_path: Path, output: Path, isa: str, exports: tuple[str, ...], stack_size: int, emit_asm: Path | None,
         strip: bool) -> None:  # fmt: skip
    """Link a RISC-V ELF (rv64emac + zbb + xtheadcondmov, lp64e, with relocations) into a .polkavm blob."""
    from .linker.elf import LinkError
    from .linker.translate import link_elf

    try:
        data = read_input(elf_path)
    except OSError as e:
        raise click.ClickException(f"cannot read {elf_path}: {e.strerror or e}") from None
    try:
        linked = link_elf(data, isa=isa, exports=list(exports) or None, stack_size=stack_size)
    except LinkError as e:
        raise click.ClickException(f"{elf_path}: {e}") from None
    if emit_asm and (emit_asm.resolve() == output.resolve() or _same_file(emit_asm, output)):  # (found in review:
        # the assembly replaced the blob, a hard link to it too)
        raise click.ClickException(f"--emit-asm {emit_asm} and -o {output} are one file: give two")
    _write(output, linked.blob.write(), [elf_path])
    if emit_asm:
        _write(emit_asm, linked.assembly, [elf_path])
    names = ", ".join(e.name for e in linked.blob.exports) or "none"
    click.echo(f"wrote {output} ({len(linked.blob.code)} bytes of code; exports: {names})")


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("-O", "opt", default="s", show_default=True, type=click.Choice(["0", "1", "2", "3", "s", "z"]))
@click.option("--export", "exports", multiple=True, metavar="NAME", help="Export this function (repeatable).")
@click.option("--isa", type=click.Choice(["revive_v1", "latest64"]), default="revive_v1", show_default=True)
@click.option("-D", "defines", multiple=True, metavar="NAME[=VALUE]", help="Define a macro (repeatable).")
@click.option("-I", "includes", multiple=True, metavar="DIR", type=click.Path(path_type=Path, file_okay=False),
              help="Add an include folder (repeatable).")  # fmt: skip
@click.option("--cflag", "cflags", multiple=True, metavar="FLAG", help="Pass a flag to clang-19 as is (repeatable).")
@click.option("--stack-size", default=64 * 1024, show_default=True, type=click.IntRange(0, 0xFFFFFFFF),
              help="Stack bytes (at least; PVM_MIN_STACK_SIZE in the program may ask for more).")  # fmt: skip
def cc(sources: tuple[Path, ...], output: Path, opt: str, exports: tuple[str, ...], isa: str, defines: tuple[str, ...],
       includes: tuple[Path, ...], cflags: tuple[str, ...], stack_size: int) -> None:  # fmt: skip
    """Compile C (or LLVM IR: .ll, .bc) with clang-19 for rv64emac+zbb+xtheadcondmov (lp64e) and link the result into
    a .polkavm blob."""
    import shutil
    import subprocess
    import tempfile

    from .linker.elf import LinkError
    from .linker.translate import link_elf

    clang, lld = shutil.which("clang-19"), shutil.which("ld.lld-19")
    if not clang or not lld:
        raise click.ClickException("clang-19 and ld.lld-19 are needed: apt-get install clang-19 lld-19")
    include = Path(__file__).parent / "linker"
    target = ["--target=riscv64-unknown-elf", "-march=rv64emac_zbb_xtheadcondmov", "-mabi=lp64e", "-fpic", "-fno-plt",
              f"-O{opt}", "-ffunction-sections", "-fdata-sections"]  # fmt: skip
    c_flags = [*target, "-fvisibility=hidden", "-fno-builtin", f"-I{include}", *(f"-D{d}" for d in defines),
               *(f"-I{i.absolute()}" for i in includes), *cflags]  # fmt: skip
    ir_flags = [*target, "-Wno-override-module", *cflags]  # (the IR's triple gives way to ours; its ABI may not)
    abi_hint = ("PVM code needs the lp64e ABI: emit the IR with clang --target=riscv64 -march=rv64emac -mabi=lp64e "
                "-emit-llvm, or leave out the target-abi module flag")  # fmt: skip
    for src in sources:  # (found in review: a FIFO hung, a path starting with '-' was read as an option)
        if not src.is_file():
            raise click.ClickException(f"{src}: not a regular file (a FIFO, device or socket)")
    with tempfile.TemporaryDirectory() as tmp:
        objects = []
        for i, src in enumerate(sources):
            obj = Path(tmp) / f"{i}.o"
            ir = src.suffix in (".ll", ".bc")  # (anything else is C, whatever its suffix)
            if src.suffix == ".ll":  # (LLVM would stop with "error in backend" and a stack dump instead)
                abi = re.search(r'!"target-abi",\s*!"([^"]*)"', src.read_text(errors="replace"))
                if abi and abi[1] != "lp64e":
                    raise click.ClickException(f"{src}: its target-abi module flag is {abi[1]}; {abi_hint}")
            command = [clang, *(ir_flags if ir else c_flags), "-c", "-x", "ir" if ir else "c", str(src.absolute()),
                       "-o", str(obj)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace")
            if done.returncode or not obj.is_file():
                if ir and "target-abi module flag" in done.stderr:  # (a .bc: its flag is not read here)
                    raise click.ClickException(f"{src}: built for another ABI than lp64e; {abi_hint}")
                if ir and "error in backend:" in done.stderr:  # (IR for another target, say: found in review)
                    reason = done.stderr.split("error in backend:", 1)[1].splitlines()[0].strip()
                    raise click.ClickException(f"{src}: LLVM cannot build this IR for PVM ({reason}); {abi_hint}")
                raise click.ClickException(f"clang-19 failed on {src}:\n{done.stderr.strip()}")
            objects.append(str(obj))
        combined = Path(tmp) / "combined.o"
        command = [lld, "--emit-relocs", "-r", *objects, "-o", str(combined)]
        done = subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace")
        if done.returncode:
            raise click.ClickException(f"ld.lld-19 failed:\n{done.stderr.strip()}")
        try:
            linked = link_elf(combined.read_bytes(), isa=isa, exports=list(exports) or None, stack_size=stack_size)
        except LinkError as e:
            raise click.ClickException(f"{', '.join(map(str, sources))}: {e}") from None
    _write(output, linked.blob.write(), sources)
    names = ", ".join(e.name for e in linked.blob.exports) or "none"
    click.echo(f"wrote {output} ({len(linked.blob.code)} bytes of code; exports: {names})")


@main.command()
@click.option(
    "--transfers", default=1000, show_default=True, type=click.IntRange(0), help="Extra transfers to time at the end."
)
def demo(transfers: int) -> None:
    """Deploy a resolc-compiled ERC-20 and make transfers, showing events, reverts and balances."""
    from .demo import run_demo

    run_demo(transfers)


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Run the benchmarks: `python -m benchmarks` with the same options (--quick, --program c, ...: see
    `pvmkit bench --help`); results also go to BENCHMARKS.md."""
    # The benchmarks live beside the package in a source checkout, not in it: found from the current directory or the
    # checkout this package was installed from (an installed `pvmkit` script has neither on sys.path: found in review).
    for root in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (root / "benchmarks" / "__main__.py").is_file():
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            break
    try:
        from benchmarks.__main__ import main as bench_main  # type: ignore[import-not-found]
    except ImportError:
        raise click.ClickException("benchmarks/ not found: run from a pvmkit source checkout") from None
    sys.exit(bench_main(list(args)))  # (every option is theirs, --help too: found in review, --program was refused)


main.add_command(run_spec_command, "run-spec")


def _register_optional_commands() -> None:
    from .revive.compiler import compile_command

    main.add_command(compile_command, "compile")


_register_optional_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
