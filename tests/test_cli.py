"""The `pvmkit` command line's handling of odd inputs and long runs (each found in a review of the CLI)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pvmkit.cli import main
from pvmkit.pvm.asm import assemble
from pvmkit.pvm.blob import Export, ProgramBlob
from pvmkit.pvm.isa import REVIVE_V1
from pvmkit.pvm.jit import is_supported

ROOT = Path(__file__).resolve().parent.parent

PROGRAMS = {
    "sum": "pub @main:\n a1 = a0\n a0 = 0\n@loop:\n a0 = a0 + a1\n a1 = a1 - 1\n jump @loop if a1 != 0\n ret\n",
    "fault": "%rw_data_size = 4096\npub @main:\n a1 = 0x20ffc\n u64 [a1] = a0\n ret\n",
    "host": "pub @main:\n a0 = a0 + 7\n ecalli 3\n ret\n",
}


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    out = CliRunner().invoke(main, list(args), env=env)
    return out.exit_code, out.output


@pytest.mark.parametrize("backend", ["jit", "crosscheck"])
def test_run_gives_native_code_gas_in_slices_with_the_result_of_one_run(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Native code runs its gas a slice at a time (so that Ctrl-C is seen); running out is resumable at the block, so
    any slice gives what one run gives, gas used included, also traced and out of gas, as the interpreter does."""
    if not is_supported():
        pytest.skip("no JIT here")
    from pvmkit.pvm.jit import instance

    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)
    for name, text in PROGRAMS.items():
        path = tmp_path / f"{name}.polkavm"
        path.write_bytes(assemble(text).write())
        for extra in (["--json"], ["--json", "--gas", "50"], ["--trace"], ["--gas", "12"]):
            outs = [_invoke("run", str(path), "--reg", "a0=100", "--backend", "interpreter", *extra)]
            for size in (1 << 62, 7, 1):
                monkeypatch.setattr(instance, "GAS_SLICE", size)
                outs.append(_invoke("run", str(path), "--reg", "a0=100", "--backend", backend, *extra))
            assert outs[0] == outs[1] == outs[2] == outs[3], (name, extra, outs)
    monkeypatch.setattr(instance, "GAS_SLICE", 3)
    code, text = _invoke("run", str(tmp_path / "sum.polkavm"), "--reg", "a0=100", "--backend", backend, "--json")
    result = json.loads(text)
    assert (code, result["status"], result["regs"][7], result["gas_used"]) == (0, "finished", 5050, 3 + 3 * 100 + 1)


_LOOP_API = """
import sys
from pvmkit.pvm.asm import assemble
from pvmkit.pvm.interpreter import Module, ModuleConfig
inst = Module(assemble(sys.argv[1]), ModuleConfig(backend="jit")).instantiate()
inst.prepare_call(0)
inst.gas = 10**18
print("running", flush=True)
try:
    inst.run()
except KeyboardInterrupt:
    try:
        inst.run()
    except RuntimeError as e:
        print("stopped; run again:", e, flush=True)
    raise
"""
_LOOP_ENV = """
import sys
from pvmkit import Env
from pvmkit.pvm.asm import assemble
env = Env(backend="jit")
address = env.deploy(assemble("pub @deploy:\\n ret\\npub @call:\\n" + sys.argv[1].split(":", 1)[1]).write())
print("running", flush=True)
env.call(address, gas=2**62)
"""


@pytest.mark.skipif(not is_supported(), reason="the JIT cannot run here")
@pytest.mark.parametrize("how", ["cli run", "vectors", "Instance.run", "Env.call"])
def test_ctrl_c_stops_a_native_run(tmp_path: Path, how: str) -> None:
    """An endless loop with all the gas there is: Ctrl-C stopped the interpreter, but native code ran on (found in
    review: still running after SIGINT, killed with SIGKILL: first through `run`, then, once `run` gave its gas in
    slices, through vectors, the Python API and contracts, which now all get native code's slices)."""
    loop = "pub @main:\n@loop:\n a0 = a0 + 1\n jump @loop\n"
    path = tmp_path / "loop.polkavm"
    path.write_bytes(assemble(loop).write())
    env = {k: v for k, v in os.environ.items() if k != "PVMKIT_BACKEND"}
    if how == "cli run":
        command = [sys.executable, "-m", "pvmkit.cli", "run", str(path), "--backend", "jit", "--gas", str(2**63 - 1)]
    elif how == "vectors":  # (a JAM code blob: no jump table, 5 bytes of code: a0 = a0 + 1; jump back; bitmask)
        vector = {"name": "loop", "initial-regs": [0] * 13, "initial-pc": 0, "initial-gas": 2**63 - 1,
                  "program": [0, 0, 5, 149, 119, 1, 40, 253, 9], "expected-status": "halt"}  # fmt: skip
        (tmp_path / "loop.json").write_text(json.dumps(vector))
        command = [sys.executable, "-m", "pvmkit.cli", "vectors", str(tmp_path / "loop.json"), "--backend", "jit"]
    else:
        command = [sys.executable, "-c", _LOOP_API if how == "Instance.run" else _LOOP_ENV, loop]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.5)  # (imports, compile, then the loop)
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    if how in ("cli run", "vectors"):
        assert proc.returncode == 1 and "Aborted!" in err, err
    else:
        assert proc.returncode != 0 and "KeyboardInterrupt" in err, err
    if how == "Instance.run":  # (and it refuses to go on from an unknown place)
        assert "stopped; run again: nothing to run" in out, out


def test_disasm_native_of_no_code_too_many_instructions_and_much_memory(tmp_path: Path) -> None:
    """--native listed nothing for a program without instructions (a zip of unequal lengths), compiled programs the
    JIT refuses (gigabytes for big ones), and refused a 512 MiB stack naming an option it does not have."""
    empty = tmp_path / "empty.polkavm"
    empty.write_bytes(assemble("").write())
    code, text = _invoke("disasm", "--native", str(empty))
    assert code == 0 and "0 of 0 instructions translated natively" in text
    big = tmp_path / "big.polkavm"
    n = (1 << 19) + 1
    fallthrough = bytes((REVIVE_V1.opcode_of("fallthrough"),))
    big.write_bytes(ProgramBlob(code=fallthrough * n, bitmask=b"\xff" * (n // 8) + b"\x01").write())
    code, text = _invoke("disasm", "--native", str(big))
    assert code == 1 and text.strip().endswith("the JIT compiles at most 524,288 instructions"), text
    stack = tmp_path / "stack.polkavm"
    stack.write_bytes(assemble("%stack_size = 0x20000000\npub @main:\n trap\n").write())
    code, text = _invoke("disasm", "--native", str(stack))
    assert code == 0 and "pub @main:" in text


def test_disasm_pins_jumps_in_few_layouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """300 jumps laid out a byte longer than the assembler would (a 3-byte jump +128, which is a 2-byte +127 once it
    saves its byte): written as %raw, in one layout rather than one per jump (found in review: 46 s for 800)."""
    from pvmkit.pvm import disasm

    jump = REVIVE_V1.opcode_of("jump")
    lines = ["pub @main:"]
    for _ in range(300):
        lines += [f"%raw {bytes([jump, 0x80, 0]).hex()}", *["a0 = 0x123456789abcdef0"] * 12, *["fallthrough"] * 5]
    blob = assemble("\n".join([*lines, "trap", ""]))
    layouts = []
    original = disasm._layout
    monkeypatch.setattr(disasm, "_layout", lambda state: layouts.append(1) or original(state))
    text = "".join(disasm.disassembly(blob))
    assert len(layouts) <= 1 and text.count("(kept as is: the assembler would lay it out shorter)") == 300
    assert assemble(text).write() == blob.write()


def test_odd_names_backend_settings_and_isa_conflicts(tmp_path: Path) -> None:
    """A non-UTF-8 export name (a traceback), PVMKIT_BACKEND naming no backend (run-spec and demo raised deep
    inside), an import name with line breaks (it printed report lines of its own), --isa against a %isa line (the
    line silently won)."""
    blob = assemble("pub @main:\n a0 = 7\n ecalli 0\n trap\n")
    odd = ProgramBlob(code=blob.code, bitmask=blob.bitmask, exports=(Export(0, b"\xff"),),
                      imports=(b"x\nstatus: finished\npc: 0",))  # fmt: skip
    path = tmp_path / "odd.polkavm"
    path.write_bytes(odd.write())
    code, text = _invoke("run", str(path), "--export", os.fsdecode(b"\xff"), "--backend", "interpreter")
    assert code == 3 and text.splitlines()[0] == 'status: ecalli (ecalli 0 = "x\\x0astatus: finished\\x0apc: 0")', text
    assert "status: finished" not in text.splitlines()[1:]
    code, text = _invoke("run", str(path), "--export", os.fsdecode(b"\xfe"))
    assert code == 1 and "no export named" in text
    for command in (["run-spec", str(ROOT / "tests" / "specs")], ["demo", "--transfers", "0"]):
        code, text = _invoke(*command, env={"PVMKIT_BACKEND": "bogus"})
        assert code == 2 and "PVMKIT_BACKEND='bogus' is not a backend" in text, (command, text)
    source = tmp_path / "i.s"
    source.write_text("%isa = latest64\npub @main:\n trap\n")
    code, text = _invoke("asm", "--isa", "jam_v1", str(source), "-o", str(tmp_path / "i.polkavm"))
    assert code == 2 and "--isa jam_v1 and the %isa line" in text
    assert _invoke("asm", "--isa", "latest64", str(source), "-o", str(tmp_path / "i.polkavm"))[0] == 0
    assert _invoke("asm", str(source), "-o", str(tmp_path / "i.polkavm"))[0] == 0


@pytest.mark.skipif(shutil.which("clang-19") is None, reason="clang-19 is not installed")
def test_cc_takes_sources_as_files_of_c(tmp_path: Path) -> None:
    """A source named like an option was read as one, a .md file was skipped as a linker input (the error named a
    temporary file), a FIFO hung (found in review)."""
    text = "#include <stdint.h>\n#include \"guest.h\"\nstatic uint64_t f(uint64_t x) { return x + 1; }\n" \
           "PVM_EXPORT(uint64_t, f, uint64_t)\n"  # fmt: skip
    (tmp_path / "-Dx.c").write_text(text)
    (tmp_path / "notes.md").write_text(text)
    os.mkfifo(tmp_path / "pipe.c")
    out = str(tmp_path / "o.polkavm")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert _invoke("cc", "./-Dx.c", "-o", out)[0] == 0
        assert _invoke("cc", "notes.md", "-o", out)[0] == 0  # (C, whatever its suffix)
        code, message = _invoke("cc", "pipe.c", "-o", out)
        assert code == 1 and "not a regular file" in message
    finally:
        os.chdir(cwd)


@pytest.mark.skipif(shutil.which("clang-19") is None, reason="clang-19 is not installed")
def test_cc_passes_defines_include_folders_flags_and_the_stack_size(tmp_path: Path) -> None:
    """-D, -I, --cflag and --stack-size, as a C build needs them (asked for by a C-user audit helper)."""
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "step.h").write_text("#define STEP 3\n")
    (tmp_path / "p.c").write_text('#include <stdint.h>\n#include "guest.h"\n#include "step.h"\n'
                                  "static uint64_t f(uint64_t x) { return x * SCALE + STEP; }\n"
                                  "PVM_EXPORT(uint64_t, f, uint64_t)\n")  # fmt: skip
    out = tmp_path / "p.polkavm"
    code, text = _invoke("cc", str(tmp_path / "p.c"), "-o", str(out), "-D", "SCALE=7", "-I", str(tmp_path / "inc"),
                         "--cflag", "-fno-unroll-loops", "--stack-size", "131072")  # fmt: skip
    assert code == 0, text
    blob = ProgramBlob.parse(out.read_bytes())
    assert blob.stack_size == 131072
    from pvmkit import Module

    assert Module(blob).instantiate().call("f", 5, gas=1000) == 5 * 7 + 3
    code, text = _invoke("cc", str(tmp_path / "p.c"), "-o", str(out))  # (no SCALE, no include folder)
    assert code == 1 and "clang-19 failed" in text


_SUMSQ_IR = """
@table = global [4 x i64] [i64 1, i64 2, i64 3, i64 4]
@counter = global i64 0

define i64 @sq(i64 %x) {
  %r = mul i64 %x, %x
  ret i64 %r
}

define i64 @sumsq(i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %acc = phi i64 [0, %entry], [%acc2, %loop]
  %idx = and i64 %i, 3
  %p = getelementptr [4 x i64], ptr @table, i64 0, i64 %idx
  %v = load i64, ptr %p
  %s = call i64 @sq(i64 %v)
  %acc2 = add i64 %acc, %s
  %next = add i64 %i, 1
  %done = icmp eq i64 %next, %n
  br i1 %done, label %exit, label %loop
exit:
  %c = load i64, ptr @counter
  %c2 = add i64 %c, 1
  store i64 %c2, ptr @counter
  %res = add i64 %acc2, %c2
  ret i64 %res
}
"""


@pytest.mark.skipif(shutil.which("clang-19") is None, reason="clang-19 is not installed")
@pytest.mark.parametrize("opt", ["0", "2"])
def test_cc_takes_llvm_ir(tmp_path: Path, opt: str) -> None:
    """LLVM IR (.ll text, .bc bitcode) links as C does, the way resolc's output does: hand-written IR with a loop, a
    call, a table it reads and a global it writes, with sums computed by hand."""
    (tmp_path / "sumsq.ll").write_text(_SUMSQ_IR)
    out = tmp_path / "sumsq.polkavm"
    code, text = _invoke("cc", str(tmp_path / "sumsq.ll"), "--export", "sumsq", "-O", opt, "-o", str(out))
    assert code == 0, text
    from pvmkit import Module, ModuleConfig

    for backend in ("interpreter", "jit") if is_supported() else ("interpreter",):
        inst = Module(out.read_bytes(), ModuleConfig(backend=backend)).instantiate()
        # squares of 1, 2, 3, 4, 1, 2, 3, 4, 1, 2 = 65, plus the counter: 1 on the first call, 2 on the second
        assert inst.call("sumsq", 10, gas=10_000) == 66
        assert inst.call("sumsq", 4, gas=10_000) == 1 + 4 + 9 + 16 + 2
    c_source = tmp_path / "f.c"
    c_source.write_text("long f(long a, long b) { return a * 7 - b; }\n")
    bitcode = tmp_path / "f.bc"
    clang = ["clang-19", "--target=riscv64", "-march=rv64emac", "-c", "-emit-llvm", str(c_source)]
    subprocess.run([*clang, "-mabi=lp64e", "-o", str(bitcode)], check=True)
    code, text = _invoke("cc", str(bitcode), "--export", "f", "-o", str(out))
    assert code == 0, text
    assert Module(out.read_bytes()).instantiate().call("f", 6, 2, gas=1000) == 40


@pytest.mark.skipif(shutil.which("clang-19") is None, reason="clang-19 is not installed")
def test_cc_names_llvm_ir_built_for_another_abi(tmp_path: Path) -> None:
    """IR for lp64 (RISC-V's usual ABI, with registers RV64E lacks) stopped LLVM with "error in backend" and a stack
    dump; now the file and the ABI it needs are named, for text and bitcode alike."""
    c_source = tmp_path / "f.c"
    c_source.write_text("long f(long a) { return a; }\n")
    for suffix in ("ll", "bc"):
        ir = tmp_path / f"f.{suffix}"
        kind = "-S" if suffix == "ll" else "-c"
        subprocess.run(["clang-19", "--target=riscv64", kind, "-emit-llvm", str(c_source), "-o", str(ir)], check=True)
        code, text = _invoke("cc", str(ir), "--export", "f", "-o", str(tmp_path / "f.polkavm"))
        assert code == 1 and f"f.{suffix}" in text and "lp64e" in text and "Stack dump" not in text, text
    x86 = tmp_path / "x86.ll"  # (IR for the host's target: LLVM's backend stops, said in one line)
    subprocess.run(["clang-19", "-S", "-emit-llvm", str(c_source), "-o", str(x86)], check=True)
    code, text = _invoke("cc", str(x86), "--export", "f", "-o", str(tmp_path / "f.polkavm"))
    assert code == 1 and "LLVM cannot build this IR for PVM" in text and "Stack dump" not in text, text


def test_bench_passes_every_option_to_the_benchmarks() -> None:
    """`pvmkit bench` is `python -m benchmarks`: its options (--program c, --help) were refused (found in review)."""
    code, text = _invoke("bench", "--program", "c", "--list")
    assert code == 0 and "wasmtime-fuel" in text
    code, text = _invoke("bench", "--help")
    assert code == 0 and "--program {" in text


def test_run_trace_decodes_a_long_block_once(tmp_path: Path, decoded_lengths: list[int]) -> None:
    """--trace printed each step from the rest of its block, decoded at every pc: 8,000 instructions took 50 s (found
    in review)."""
    n = 2_000
    path = tmp_path / "long.polkavm"
    path.write_bytes(assemble("pub @main:\n" + " a0 = a0 + 1\n" * n + " trap\n").write())
    code, text = _invoke("run", str(path), "--trace", "--backend", "interpreter")
    assert code == 3 and text.count(": a0 = a0 + 0x1 ") == n
    assert sum(decoded_lengths) <= 5 * n, sum(decoded_lengths)  # (quadratic: ~n * n / 2)


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_run_trace_shows_what_ran_with_the_gas_left_after_it(tmp_path: Path, backend: str) -> None:
    """--trace lists the instructions that ran, each with the gas left once it had (found in review: a block out of
    gas still showed its first instruction, and a block's first line showed the gas before its charge)."""
    if backend == "jit" and not is_supported():
        pytest.skip("no JIT here")
    path = tmp_path / "oog.polkavm"
    path.write_bytes(assemble("pub @main:\n a1 = 1\n fallthrough\n@b:\n a0 = a0 + a1\n a0 = a0 + a1\n trap\n").write())
    code, text = _invoke("run", str(path), "--trace", "--gas", "3", "--backend", backend)
    lines = [line.split() for line in text.splitlines() if line.startswith("  ") and ":" in line.split()[0]]
    assert code == 3 and "status: not_enough_gas" in text
    assert [(w[0], w[-1]) for w in lines] == [("0:", "1"), ("3:", "1")]  # (the block of 2 charged; @b's 3 were not)
    code, text = _invoke("run", str(path), "--trace", "--gas", "10", "--backend", backend)
    lines = [line.split() for line in text.splitlines() if line.startswith("  ") and ":" in line.split()[0]]
    assert [(w[0], w[-1]) for w in lines] == [("0:", "8"), ("3:", "8"), ("4:", "5"), ("7:", "5"), ("10:", "5")]


def test_asm_reads_a_source_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Found in review: a source an editor saved with a UTF-8 BOM failed with "unexpected character '\\ufeff'"."""
    source = tmp_path / "bom.s"
    source.write_bytes(b"\xef\xbb\xbf" + PROGRAMS["sum"].encode())
    code, text = _invoke("asm", str(source), "-o", str(tmp_path / "bom.polkavm"))
    assert code == 0, text
    assert (tmp_path / "bom.polkavm").read_bytes() == assemble(PROGRAMS["sum"]).write()


def test_disasm_says_when_a_blob_needs_more_memory_than_there_is(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: disassembling holds ~250 bytes per instruction, so the largest code (32 MiB) would need
    ~7.5 GB and meet the OOM killer; it is refused up front, saying how much it needs (here: made to need 1 TiB per
    instruction)."""
    from pvmkit import cli

    if not Path("/proc/meminfo").exists():
        pytest.skip("no /proc/meminfo: nothing to compare with")
    path = tmp_path / "sum.polkavm"
    path.write_bytes(assemble(PROGRAMS["sum"]).write())
    assert _invoke("disasm", str(path))[0] == 0
    monkeypatch.setattr(cli, "DISASM_BYTES_PER_INSTRUCTION", 1 << 40)
    code, text = _invoke("disasm", str(path))
    assert code == 1 and "disassembling 7 instructions needs about 7,340,032 MiB" in text, text
    assert "Traceback" not in text


def test_outputs_never_replace_inputs_and_huge_inputs_are_refused_early(tmp_path: Path) -> None:
    """Found in review: `asm s.s -o s.s` replaced the source with its blob (so did disasm, link and cc, and link's
    --emit-asm the blob); a 3 GB file took 3 GB to be told its magic bytes were wrong; a folder of specs with an
    unreadable one gave a traceback; a 50 MB line of bad assembly became a 200 MB error message."""
    source = tmp_path / "s.s"
    source.write_text("pub @main:\n    trap\n")
    code, text = _invoke("asm", str(source), "-o", str(source))
    assert code == 1 and "would replace the input" in text and source.read_text().startswith("pub @main")
    blob = tmp_path / "b.polkavm"
    assert _invoke("asm", str(source), "-o", str(blob))[0] == 0
    alias = tmp_path / "alias.polkavm"
    alias.symlink_to(blob)
    code, text = _invoke("disasm", str(blob), "-o", str(alias))
    assert code == 1 and "would replace the input" in text and blob.read_bytes().startswith(b"PVM\0")
    huge = tmp_path / "huge.polkavm"
    with huge.open("wb") as f:  # (sparse: no disk taken)
        f.truncate(300 << 20)
    code, text = _invoke("disasm", str(huge))
    assert code == 1 and "larger than 268,435,456 bytes" in text
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "big.json").symlink_to(huge)  # (too big to be a spec: left out, as a build artifact would be)
    code, text = _invoke("run-spec", str(specs))
    assert code == 1 and "no specs found" in text, text
    if Path("/proc/self/clear_refs").exists():  # (a file that cannot be read, even by root)
        (specs / "unreadable.json").symlink_to("/proc/self/clear_refs")
        code, text = _invoke("run-spec", str(specs))
        assert code == 1 and "ERROR" in text and "unreadable.json" in text and "Traceback" not in text, text
    (tmp_path / "bad.s").write_text("pub @main:\n" + "\0" * 100_000 + "\n")
    code, text = _invoke("asm", str(tmp_path / "bad.s"), "-o", str(tmp_path / "bad.polkavm"))
    assert code == 1 and "line 2" in text and "(100,000 characters)" in text and len(text) < 400, text[:400]
    code, text = _invoke("run", str(blob), "--reg", "a0=1_000")
    assert code == 2 and "not an integer" in text


@pytest.mark.skipif(shutil.which("clang-19") is None, reason="clang-19 is not installed")
def test_cc_reports_errors_in_files_whose_names_are_not_utf8(tmp_path: Path) -> None:
    """clang names the file as its bytes are: reading that as UTF-8 raised UnicodeDecodeError (found in review)."""
    name = os.fsdecode(b"bad\xe9.c")
    (tmp_path / name).write_text("int f( {\n")
    code, text = _invoke("cc", str(tmp_path / name), "-o", str(tmp_path / "x.polkavm"), "--export", "f")
    assert code == 1 and "clang-19 failed" in text and "error" in text


@pytest.mark.skipif(shutil.which("clang-19") is None, reason="clang-19 is not installed")
def test_link_refuses_an_assembly_output_that_is_the_blob(tmp_path: Path) -> None:
    """--emit-asm naming the -o file, or a hard link to it, wrote the assembly over the blob (found in review)."""
    (tmp_path / "f.c").write_text("long f(long a) { return a + 1; }\n")
    obj = tmp_path / "f.o"
    subprocess.run(["clang-19", "--target=riscv64", "-march=rv64emac", "-mabi=lp64e", "-fpic", "-c",
                    str(tmp_path / "f.c"), "-o", str(obj)], check=True)  # fmt: skip
    blob = tmp_path / "f.polkavm"
    assert _invoke("link", str(obj), "-o", str(blob), "--export", "f")[0] == 0
    os.link(blob, tmp_path / "again.polkavm")
    for asm in (blob, tmp_path / "again.polkavm"):
        code, text = _invoke("link", str(obj), "-o", str(blob), "--export", "f", "--emit-asm", str(asm))
        assert code == 1 and "are one file" in text and blob.read_bytes().startswith(b"PVM\0"), text
