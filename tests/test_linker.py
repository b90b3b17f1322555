"""The RISC-V → PVM linker on our own C corpus: same results as the same C compiled natively by gcc.

tests/linker/c/corpus.c is compiled twice: natively with gcc -O2 (a small driver calls each function
and prints the result) and with clang-19 for rv64emac+zbb+xtheadcondmov, linked by `pvmkit link`'s
linker into a PVM blob and run on the interpreter and on the JIT. Every result must agree.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pvmkit.linker.elf import LinkError
from pvmkit.linker.translate import link_elf
from pvmkit.pvm.interpreter import InterruptKind, Module, ModuleConfig
from pvmkit.pvm.jit import is_supported

HERE = Path(__file__).parent / "linker" / "c"
CLANG = shutil.which("clang-19")
GCC = shutil.which("gcc")
pytestmark = pytest.mark.skipif(not (CLANG and GCC), reason="needs clang-19 (apt install clang-19 lld-19) and gcc")

CLANG_FLAGS = ["--target=riscv64-unknown-elf", "-march=rv64emac_zbb_xtheadcondmov", "-mabi=lp64e", "-fpic",
               "-fno-plt", "-ffunction-sections", "-fdata-sections", "-fvisibility=hidden", "-fno-builtin"]  # fmt: skip
M64 = (1 << 64) - 1
I64_MIN = -(1 << 63)

CALLS: list[tuple[str, int, int]] = [
    ("arith", 5, 3), ("arith", -1000, 77), ("arith", 123456789, -987), ("mul64", 2**40 + 3, 2**30 + 7),
    ("mul64", M64, M64), ("mul64", 0, 5), ("div64", 100, 7), ("div64", -100, 7), ("div64", 100, -7), ("div64", 5, 0),
    ("div64", I64_MIN + 1, -1), ("udiv64", M64, 3), ("udiv64", 10, 0), ("udiv64", 2**63, 2**62 + 1),
    ("div32", 100, -7), ("div32", -2**31, -1), ("div32", -2**31, 3), ("div32", 7, 0), ("bits", 0, 0),
    ("bits", M64, 0), ("bits", 0x00F0_0000_0000_1000, 0), ("rotate", 0x0123456789ABCDEF, 8),
    ("rotate", 0x0123456789ABCDEF, 0), ("rotate", 1, 63), ("minmax", -5, 3), ("minmax", 7, -2), ("minmax", -1, -1),
    ("sext", 0x12345678_9ABC_DEF0 - 2**64, 0), ("sext", 0x7F80_FF00, 0), ("fib", 0, 0), ("fib", 1, 0),
    ("fib", 15, 0), ("fact", 10, 0), ("fact", 20, 0), ("sw", -1, 0), ("sw", 0, 0), ("sw", 4, 0), ("sw", 8, 0),
    ("sw", 9, 0), ("sw", 2**40, 0), ("fnptr", 0, 10), ("fnptr", 1, 10), ("fnptr", 2, 10), ("fnptr", 5, -3),
    ("globals", 1, 0), ("globals", 7, 0), ("globals", -3, 0), ("strings", 0, 0), ("strings", 12345, 0),
    ("memops", 0, 0), ("memops", 17, 0), ("memops", 255, 0), ("structs", 3, 0), ("structs", -9, 0),
    ("sieve", 100, 0), ("sieve", 10000, 0),
    ("atomics", 3, 9), ("atomics", -5, 2**40 + 3), ("atomics", 2**31 + 5, -1), ("amominmax", 50, 200),
    ("amominmax", -3, 2**63 + 9), ("amominmax", 2**32 - 1, 2**31), ("amominmax", 7, -9),
]  # fmt: skip
EXPORTS = sorted({name for name, _, _ in CALLS})

DRIVER = (
    r"""
#include <stdio.h>
#include <string.h>
"""
    + "".join(f"long {n}(long, long);\n" for n in EXPORTS)
    + r"""
int main(void) {
    char name[64]; long a, b;
    while (scanf("%63s %ld %ld", name, &a, &b) == 3) {
        long r = 0;
"""
    + "".join(f'        if (!strcmp(name, "{n}")) r = {n}(a, b);\n' for n in EXPORTS)
    + r"""
        printf("%ld\n", r);
    }
    return 0;
}
"""
)


def _signed(x: int) -> int:
    x &= M64
    return x - (1 << 64) if x >> 63 else x


@pytest.fixture(scope="module")
def native_results(tmp_path_factory: pytest.TempPathFactory) -> list[int]:
    work = tmp_path_factory.mktemp("native")
    (work / "driver.c").write_text(DRIVER)
    exe = work / "corpus"
    subprocess.run([GCC, "-O2", "-w", "-o", str(exe), str(HERE / "corpus.c"), str(work / "driver.c")], check=True)
    stdin = "".join(f"{n} {_signed(a)} {_signed(b)}\n" for n, a, b in CALLS)
    out = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True).stdout.split()
    return [int(v) for v in out]


def _link(tmp_path: Path, opt: str) -> bytes:
    obj = tmp_path / f"corpus{opt}.o"
    subprocess.run([CLANG, *CLANG_FLAGS, opt, "-c", str(HERE / "corpus.c"), "-o", str(obj)], check=True)
    return link_elf(obj.read_bytes(), exports=EXPORTS).blob.write()


@pytest.mark.parametrize("opt", ["-Os", "-O2", "-O1"])
@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_linked_corpus_matches_native(native_results: list[int], tmp_path: Path, opt: str, backend: str) -> None:
    if backend == "jit" and not is_supported():
        pytest.skip("the JIT is not supported here")
    raw = _link(tmp_path, opt)
    inst = Module.from_bytes(raw, ModuleConfig(backend=backend)).instantiate()
    for (name, a, b), expected in zip(CALLS, native_results, strict=True):
        inst.prepare_call(name, a & M64, b & M64)  # one instance, like the one native process: globals persist
        inst.gas = 10**9
        intr = inst.run()
        assert intr.kind is InterruptKind.FINISHED, f"{name}({a}, {b}) at {opt}: {intr}"
        got = _signed(inst.regs[7])
        assert got == expected, f"{name}({a}, {b}) at {opt}: pvm {got}, native {expected}"


def test_unsupported_input_is_a_clear_link_error() -> None:
    with pytest.raises(LinkError):
        link_elf(b"\x7fELF" + bytes(60))
    with pytest.raises(LinkError):
        link_elf(b"not an elf at all")


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_host_imports_and_exports_through_guest_h(tmp_path: Path, backend: str) -> None:
    """PVM_IMPORT stubs become ecalli with polkavm's numbering (sorted by name); PVM_EXPORT names the entry."""
    if backend == "jit" and not is_supported():
        pytest.skip("the JIT is not supported here")
    obj = tmp_path / "imports.o"
    include = Path(__file__).parent.parent / "pvmkit" / "linker"
    subprocess.run([CLANG, *CLANG_FLAGS, "-Os", f"-I{include}", "-c", str(HERE / "imports.c"), "-o", str(obj)],
                   check=True)  # fmt: skip
    blob = link_elf(obj.read_bytes()).blob
    assert blob.imports == (b"host_add", b"host_log")
    assert [e.name for e in blob.exports] == ["compute"]
    inst = Module(blob, ModuleConfig(backend=backend)).instantiate()
    inst.prepare_call("compute", 5)
    inst.gas = 10**6
    logged = []
    while (intr := inst.run()).kind is InterruptKind.ECALLI:
        if blob.imports[intr.ecalli] == b"host_add":
            inst.regs[7] = inst.regs[7] + inst.regs[8]
        else:
            logged.append(inst.regs[7])
    assert intr.kind is InterruptKind.FINISHED
    assert (inst.regs[7], logged) == (20, [10])  # 0+1+2+3+4 through the host, logged, then doubled


def _call(inst: object, name: str, *args: int) -> tuple[int, list[bytes]]:
    """Run one export of the tests/linker/elf guest; the host adds for host_add and records host_log strings."""
    blob = inst.module.blob  # type: ignore[attr-defined]
    inst.prepare_call(name, *args)  # type: ignore[attr-defined]
    inst.gas = 10**7  # type: ignore[attr-defined]
    logged = []
    while (intr := inst.run()).kind is InterruptKind.ECALLI:  # type: ignore[attr-defined]
        regs = inst.regs  # type: ignore[attr-defined]
        if blob.imports[intr.ecalli] == b"host_add":
            regs[7] = (regs[7] + regs[8]) & (2**64 - 1)
        else:
            logged.append(inst.read_memory(regs[7], regs[8]))  # type: ignore[attr-defined]
    assert intr.kind is InterruptKind.FINISHED, f"{name}{args}: {intr}"
    return inst.regs[7], logged  # type: ignore[attr-defined]


@pytest.mark.parametrize("fixture", ["guest.o", "guest.elf"])
@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_relocatable_and_shared_link_inputs_run_alike(fixture: str, backend: str) -> None:
    """The committed guest (an object, and the same code after ld.lld -shared --emit-relocs) runs the C semantics.

    Expected values are worked out by hand from tests/linker/elf/guest.c; no clang needed."""
    if backend == "jit" and not is_supported():
        pytest.skip("the JIT is not supported here")
    blob = link_elf((Path(__file__).parent / "linker" / "elf" / fixture).read_bytes()).blob
    assert blob.imports == (b"host_add", b"host_log")
    assert sorted(e.name for e in blob.exports) == ["dispatch", "entry", "sum_loop", "walk"]
    # Import/export names are referenced only by metadata, so (as in polkavm) they are not loaded.
    assert b"hello, pvm" in blob.ro_data and b"host_add" not in blob.ro_data and b"dispatch" not in blob.ro_data
    module = Module(blob, ModuleConfig(backend=backend))
    # entry(which, x): counter 5 -> 6, host_add(ops[which % 3](x, 6), fib(x & 7)); function-pointer table.
    assert _call(module.instantiate(), "entry", 0, 10) == (16 + 1, [b"hello, pvm"])
    assert _call(module.instantiate(), "entry", 2, 5)[0] == 30 + 5
    assert _call(module.instantiate(), "entry", 4, 7)[0] == (7 - 6) + 13
    # dispatch: a switch jump table (ADD32/SUB32 label differences) plus shared_value = 7.
    expected = {0: 1, 1: 14, 2: 14, 3: 0x56 + 7, 4: 3 + 7, 5: 640 + 7, 6: 5 + 7, 9: 7, 2**40: 7}
    inst = module.instantiate()
    assert {x: _call(inst, "dispatch", x)[0] for x in expected} == expected
    # walk: a linked list of pointers in .data (R_RISCV_64 / RELATIVE data relocations).
    assert [_call(inst, "walk", s)[0] for s in range(4)] == [6, 5, 3, 6]
    # State persists across calls into one instance: scratch[1] = 3 in .bss, then sum_loop stores it in counter.
    _call(inst, "entry", 3, 1)
    _call(inst, "sum_loop")
    assert _call(inst, "dispatch", 6)[0] == 3 + 7


def test_code_and_data_nothing_reaches_are_left_out(tmp_path: Path) -> None:
    """Section garbage collection from the exports: an uncalled function, its data and an import only it calls
    are gone; a function reached only through a pointer in data stays (and runs)."""
    src, obj = tmp_path / "gc.c", tmp_path / "gc.o"
    src.write_text(
        '#include "guest.h"\n'
        "PVM_IMPORT(long, host_used, long);\nPVM_IMPORT(long, host_unused, long);\n"
        "static const long unused_table[4] = {0x5a5a5a5, 2, 3, 4};\n"
        "__attribute__((noinline)) long unused(long x) { return host_unused(x) * 0x1234567 + unused_table[x & 3]; }\n"
        "__attribute__((noinline)) static long via_pointer(long x) { return x * 0x7654321; }\n"
        "long (*table[1])(long) = {via_pointer};\n"
        "long entry(long x) { return host_used(table[0](x)); }\nPVM_EXPORT(long, entry, long);\n"
    )
    include = Path(__file__).parent.parent / "pvmkit" / "linker"
    subprocess.run([CLANG, *CLANG_FLAGS, "-O2", f"-I{include}", "-c", str(src), "-o", str(obj)], check=True)
    linked = link_elf(obj.read_bytes())
    assert linked.blob.imports == (b"host_used",)
    assert "0x7654000" in linked.assembly and "0x1234000" not in linked.assembly  # lui halves of the constants
    assert "jump [" in linked.assembly or "jump_indirect" in linked.assembly  # through the table, not folded
    assert (0x5A5A5A5).to_bytes(8, "little") not in linked.blob.ro_data
    inst = Module(linked.blob).instantiate()
    inst.prepare_call("entry", 3)
    inst.gas = 10**6
    assert inst.run().kind is InterruptKind.ECALLI
    assert inst.regs[7] == 3 * 0x7654321
    inst.regs[7] += 1
    assert inst.run().kind is InterruptKind.FINISHED and inst.regs[7] == 3 * 0x7654321 + 1


def test_thread_local_storage_is_named_in_the_error(tmp_path: Path) -> None:
    """Where the exports reach it; code nothing reaches may use it, as it may use anything else unsupported (found
    in review: refused wherever it was). A program without exports is refused: it has nothing to link."""
    src, obj = tmp_path / "tls.c", tmp_path / "tls.o"
    src.write_text("_Thread_local long tv = 3;\nlong f(long x) { tv += x; return tv; }\nlong g(long x) { return x; }\n")
    subprocess.run([CLANG, *CLANG_FLAGS, "-O2", "-c", str(src), "-o", str(obj)], check=True)
    with pytest.raises(LinkError, match=r"thread-local storage is not supported \(R_RISCV_\w+ against 'tv'\) at"):
        link_elf(obj.read_bytes(), exports=["f"])
    inst = Module(link_elf(obj.read_bytes(), exports=["g"]).blob).instantiate()
    inst.prepare_call("g", 41)
    inst.gas = 100
    assert inst.run().kind is InterruptKind.FINISHED and inst.regs[7] == 41
    with pytest.raises(LinkError, match="the program has no exports, so nothing to link: mark its entry points"):
        link_elf(obj.read_bytes())


@pytest.mark.parametrize("link", ["ra", "zero"])
def test_a_jalr_with_an_offset_is_refused(tmp_path: Path, link: str) -> None:
    """polkavm-linker refuses a non-zero jalr offset: a code address is a jump-table entry on PVM, and an offset into
    a function has none (found in review: `jalr ra, 4(f)` became a jump two entries on, into another function)."""
    rd = "ra" if link == "ra" else "zero"
    obj = _compile(tmp_path, "jalr", "long f0(long x) { return x + 1; }\n"
                   "long run(long (*f)(long), long n) {\n"
                   '  register long a0 __asm__("a0") = n;\n'
                   f'  __asm__ volatile("jalr {rd}, 4(%1)" : "+r"(a0) : "r"(f) : "ra");\n'
                   "  return a0; }\n")  # fmt: skip
    with pytest.raises(LinkError, match=r"jalr with a non-zero offset \(4\).*polkavm-linker refuses it too"):
        link_elf(obj.read_bytes(), exports=["run"])


def test_floating_point_and_128_bit_helpers_are_named_as_what_they_are(tmp_path: Path) -> None:
    """A C developer sees why: PVM has no FPU, and clang calls compiler-rt for soft float and 128-bit division (found
    in review: an undefined `__floatundidf`, or an unsupported major opcode, said nothing of either)."""
    soft = _compile(tmp_path, "soft", "double half(unsigned long x) { return x / 2.0; }\n"
                    "unsigned long f(unsigned long x) { return (unsigned long)half(x); }\n")  # fmt: skip
    with pytest.raises(LinkError, match=r"undefined symbol '__\w+' \(compiler-rt's soft-float helper: PVM has no FPU"):
        link_elf(soft.read_bytes(), exports=["f"])
    wide = _compile(tmp_path, "wide", "typedef unsigned __int128 u128;\nu128 d(u128 a, u128 b) { return a / b; }\n"
                    "unsigned long f(unsigned long x) { return (unsigned long)d(x, 3); }\n", "-fno-inline")  # fmt: skip
    with pytest.raises(LinkError, match=r"undefined symbol '__udivti3' \(compiler-rt's 128-bit integer helper"):
        link_elf(wide.read_bytes(), exports=["f"])
    for word in (".word 0x02007053", ".2byte 0x2000"):  # fadd.d ft0, ft0, ft0; c.fld ft0, 0(s0)
        hard = _compile(tmp_path, "hard", f'long f(long x) {{ __asm__ volatile("{word}"); return x; }}\n')
        with pytest.raises(LinkError, match=r"a floating-point instruction \(PVM has no FPU: compile with -march="):
            link_elf(hard.read_bytes(), exports=["f"])


def test_link_elf_refuses_a_string_of_exports_and_a_bad_stack_size() -> None:
    """Found in review: exports="bench" linked the exports b, e, n, c, h, and a negative stack size was accepted."""
    data = (Path(__file__).parent / "linker" / "elf" / "guest.o").read_bytes()
    with pytest.raises(LinkError, match="exports is a list of names, got the string 'bench'"):
        link_elf(data, exports="bench")  # type: ignore[arg-type]
    for bad in (-5, 2**32, 1.5):
        with pytest.raises(LinkError, match="stack_size must be an int in 0..2\\^32-1"):
            link_elf(data, stack_size=bad)  # type: ignore[arg-type]


def test_cli_link_errors_are_one_line(tmp_path: Path) -> None:
    """Bad input files, unknown exports and unwritable outputs: a message and exit status 1, no traceback."""
    from click.testing import CliRunner

    from pvmkit.cli import main

    guest = str(Path(__file__).parent / "linker" / "elf" / "guest.o")
    junk = tmp_path / "junk.o"
    junk.write_bytes(b"\x7fELF" + bytes(100))
    cases = [
        (["link", str(junk), "-o", str(tmp_path / "a.polkavm")], "junk.o"),
        (["link", guest, "-o", str(tmp_path / "no" / "dir" / "a.polkavm")], "cannot write"),
        (["link", guest, "-o", str(tmp_path / "a.polkavm"), "--export", "nosuch"], "no function with that name"),
    ]
    for args, message in cases:
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 1, out.output
        assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
        assert message in out.output and "Traceback" not in out.output
    out = CliRunner().invoke(main, ["link", guest, "-o", str(tmp_path / "ok.polkavm")])
    assert out.exit_code == 0 and (tmp_path / "ok.polkavm").stat().st_size > 0


def test_a_huge_bss_links_without_building_it_and_runs_only_within_max_memory() -> None:
    """An ELF of a few KB can declare gigabytes of .bss: the linker used to build the whole zeroed image (24 GB of
    host memory and an OOM kill for 3.75 GiB, found in review). Zeroed space is now only declared in the blob
    (.bss is placed after the data sections), and running such a blob is refused by ModuleConfig.max_memory
    unless raised, while the program's data and code are unchanged."""
    import struct
    import tracemalloc

    from pvmkit.pvm.interpreter import ModuleError

    data = bytearray((Path(__file__).parent / "linker" / "elf" / "guest.o").read_bytes())
    shoff, shentsize, shnum = struct.unpack_from("<Q", data, 0x28)[0], *struct.unpack_from("<HH", data, 0x3A)
    names_at = struct.unpack_from("<Q", data, shoff + shentsize * struct.unpack_from("<H", data, 0x3E)[0] + 24)[0]
    for i in range(shnum):
        header = shoff + shentsize * i
        name_offset = struct.unpack_from("<I", data, header)[0]
        name = data[names_at + name_offset : data.index(b"\0", names_at + name_offset)]
        if name == b".bss.scratch":
            struct.pack_into("<Q", data, header + 32, 0xF0000000)
            break
    else:
        raise AssertionError("guest.o has no .bss.scratch")
    normal = link_elf((Path(__file__).parent / "linker" / "elf" / "guest.o").read_bytes()).blob
    tracemalloc.start()
    try:
        blob = link_elf(bytes(data)).blob
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20  # bytes allocated while linking: far below 3.75 GiB
    assert blob.rw_data_size >= 0xF0000000 and len(blob.rw_data) <= len(normal.rw_data) + 64
    assert blob.exports == normal.exports and blob.imports == normal.imports
    with pytest.raises(ModuleError, match="over the limit"):
        Module(blob, ModuleConfig())


@pytest.mark.parametrize("opt", ["-O0", "-O2", "-Oz"])
@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_linker_edge_cases(tmp_path: Path, opt: str, backend: str) -> None:
    """tests/linker/c/edges.c (found by review): each export's result, computed here by hand."""
    if backend == "jit" and not is_supported():
        pytest.skip("the JIT is not supported here")
    obj = tmp_path / "edges.o"
    include = Path(__file__).parent.parent / "pvmkit" / "linker"
    subprocess.run([CLANG, *CLANG_FLAGS, opt, f"-I{include}", "-c", str(HERE / "edges.c"), "-o", str(obj)], check=True)
    linked = link_elf(obj.read_bytes(), exports=["noret", "unreach", "outlined", "diffs", "bigstack"])
    assert linked.blob.stack_size == 204 * 1024  # PVM_MIN_STACK_SIZE(200 KiB + 1), rounded up to 4 KiB
    if opt == "-Oz":
        assert "t0 = " in linked.assembly and "jump [t0]" in linked.assembly  # the outliner's call and return
    inst = Module(linked.blob, ModuleConfig(backend=backend)).instantiate()

    def call(name: str, arg: int) -> tuple[InterruptKind, int]:
        inst.prepare_call(name, arg)
        inst.gas = 10**7
        kind = inst.run().kind
        return kind, _signed(inst.regs[7])

    r = ((5 + 1) * 1000 + (3 + 2)) * 1000 + (5 + 3)  # f1(5, 2), f2(3, 5), f3(5, 5): a + 1, a + 2, a + 3
    assert call("outlined", 5) == (InterruptKind.FINISHED, r + (5 * 3 + 5) + (5 ^ 5) + (5 - 5) + (5 << 3))
    assert call("noret", 5) == (InterruptKind.FINISHED, 15)
    assert call("noret", 500)[0] is InterruptKind.TRAP
    assert call("unreach", 41) == (InterruptKind.FINISHED, 42)
    assert call("diffs", 100) == (InterruptKind.FINISHED, 103)
    assert call("bigstack", 7) == (InterruptKind.FINISHED, sum(range(7, 7 + 32)))


def test_common_and_weak_undefined_symbols_are_named_as_such(tmp_path: Path) -> None:
    for source, flag, message in (
        ("int big[4];\nlong f(long i) { big[i & 3] += i; return big[0]; }\n", "-fcommon",
         "against common symbol 'big' (a tentative definition: compile with -fno-common)"),
        ("extern long maybe(long) __attribute__((weak));\nlong f(long i) { return maybe ? maybe(i) : -1; }\n", "-O2",
         "against undefined weak symbol 'maybe'"),
    ):  # fmt: skip
        src, obj = tmp_path / "s.c", tmp_path / "s.o"
        src.write_text(source)
        subprocess.run([CLANG, *CLANG_FLAGS, "-O2", flag, "-c", str(src), "-o", str(obj)], check=True)
        with pytest.raises(LinkError, match=re.escape(message)):
            link_elf(obj.read_bytes(), exports=["f"])


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_calls_the_assembler_resolved_without_relocations(tmp_path: Path, backend: str) -> None:
    """-mno-relax without function sections: `auipc t1, 0; jr 8(t1)` and `auipc ra, 0; jalr -18(ra)` to a static
    function carry no relocation; the pair's pc-relative target is the callee."""
    if backend == "jit" and not is_supported():
        pytest.skip("the JIT is not supported here")
    obj = _compile_unrelaxed(tmp_path, "norelax", "-O1",
                             "static __attribute__((noinline)) long sq(long x) { return x * x + 1; }\n"
                             "__attribute__((noinline)) long tail(long x) { return sq(x + 1); }\n"
                             "long f(long x) { return sq(x) + tail(x) * 3; }\n")  # fmt: skip
    inst = Module(link_elf(obj.read_bytes(), exports=["f"]).blob, ModuleConfig(backend=backend)).instantiate()
    inst.prepare_call("f", 4)
    inst.gas = 10**6
    assert inst.run().kind is InterruptKind.FINISHED and inst.regs[7] == (4 * 4 + 1) + (5 * 5 + 1) * 3


def _compile_unrelaxed(tmp_path: Path, name: str, opt: str, source: str) -> Path:
    """`source` built with -mno-relax and no function or data sections: calls and addresses within one section that
    the assembler resolved itself, with no relocation."""
    src, obj = tmp_path / f"{name}.c", tmp_path / f"{name}.o"
    src.write_text(source)
    flags = [f for f in CLANG_FLAGS if f not in ("-ffunction-sections", "-fdata-sections")]
    subprocess.run([CLANG, *flags, "-mno-relax", opt, "-c", str(src), "-o", str(obj)], check=True)
    return obj


def _compile(tmp_path: Path, name: str, source: str, *flags: str) -> Path:
    src, obj = tmp_path / f"{name}.c", tmp_path / f"{name}.o"
    src.write_text(source)
    include = Path(__file__).parent.parent / "pvmkit" / "linker"
    subprocess.run([CLANG, *CLANG_FLAGS, "-O2", f"-I{include}", *flags, "-c", str(src), "-o", str(obj)], check=True)
    return obj


def _merged(tmp_path: Path, *objects: Path) -> bytes:
    """`ld.lld -r` of several translation units into one relocatable object, as `pvmkit link` takes them."""
    lld = shutil.which("ld.lld-19")
    if lld is None:
        pytest.skip("needs ld.lld-19 (apt install lld-19)")
    out = tmp_path / "merged.o"
    subprocess.run([lld, "--emit-relocs", "-r", *map(str, objects), "-o", str(out)], check=True)
    return out.read_bytes()


def test_indexed_imports_keep_their_numbers(tmp_path: Path) -> None:
    """Found in review: PVM_IMPORT_WITH_INDEX's index was parsed and ignored (the imports were numbered by name).
    polkavm-linker makes the index the ecalli number, and gives every lower number nobody takes a nameless entry."""
    obj = _compile(tmp_path, "idx", '#include "guest.h"\n'
                   "PVM_IMPORT_WITH_INDEX(7, long, host_b, long)\nPVM_IMPORT_WITH_INDEX(3, long, host_a, long)\n"
                   "long entry(long x) { return host_a(x) * 10 + host_b(x); }\nPVM_EXPORT(long, entry, long)\n")
    blob = link_elf(obj.read_bytes()).blob
    assert blob.imports == (b"", b"", b"", b"host_a", b"", b"", b"", b"host_b")
    inst = Module(blob, ModuleConfig(backend="interpreter")).instantiate()
    inst.prepare_call("entry", 4)
    inst.gas = 10**6
    numbers = []
    while (intr := inst.run()).kind is InterruptKind.ECALLI:
        numbers.append(intr.ecalli)
        inst.regs[7] = intr.ecalli  # host_a answers 3, host_b 7
    assert intr.kind is InterruptKind.FINISHED and sorted(numbers) == [3, 7] and inst.regs[7] == 37


def test_imports_must_all_have_an_index_or_none(tmp_path: Path) -> None:
    obj = _compile(tmp_path, "mixed", '#include "guest.h"\n'
                   "PVM_IMPORT_WITH_INDEX(1, long, host_b, long)\nPVM_IMPORT(long, host_a, long)\n"
                   "long entry(long x) { return host_a(x) + host_b(x); }\nPVM_EXPORT(long, entry, long)\n")
    with pytest.raises(LinkError, match="import without a specified index: 'host_a'"):
        link_elf(obj.read_bytes())


def test_one_import_from_two_translation_units_is_one_import(tmp_path: Path) -> None:
    """Found in review: each translation unit's stub of host_z became an import of its own (host_z twice, with two
    numbers). polkavm-linker merges the stubs of one symbol, and refuses two different prototypes for it."""
    a = _compile(tmp_path, "a", '#include "guest.h"\nPVM_IMPORT(long, host_z, long)\nPVM_IMPORT(long, host_y, long)\n'
                 "long fa(long x) { return host_z(x) + host_y(x); }\n")
    b = _compile(tmp_path, "b", '#include "guest.h"\nPVM_IMPORT(long, host_z, long)\nlong fa(long x);\n'
                 "long entry(long x) { return host_z(x) * 3 + fa(x); }\nPVM_EXPORT(long, entry, long)\n")
    linked = link_elf(_merged(tmp_path, a, b))
    assert linked.blob.imports == (b"host_y", b"host_z")
    assert sorted(re.findall(r"ecalli (\d+)", linked.assembly)) == ["0", "1", "1"]
    c = _compile(tmp_path, "c", '#include "guest.h"\nPVM_IMPORT(long, host_z, long, long)\n'
                 "long fc(long x) { return host_z(x, x); }\nPVM_EXPORT(long, fc, long)\n")
    with pytest.raises(LinkError, match="same symbol yet different prototype: 'host_z'"):
        link_elf(_merged(tmp_path, b, c))


def test_an_export_need_not_be_a_function_symbol(tmp_path: Path) -> None:
    """Found in review: a global label without `.type @function` (hand-written assembly) exported with --export left
    its label undefined ("unknown label @L0"). It links, and the function falling into it runs on through it."""
    src, obj = tmp_path / "labels.S", tmp_path / "labels.o"
    src.write_text("    .text\n    .globl f\nf:\n    addi a0, a0, 1\n    .globl g\ng:\n    addi a0, a0, 2\n    ret\n")
    subprocess.run([CLANG, "--target=riscv64-unknown-elf", "-march=rv64emac_zbb_xtheadcondmov", "-mabi=lp64e", "-c",
                    str(src), "-o", str(obj)], check=True)  # fmt: skip
    blob = link_elf(obj.read_bytes(), exports=["f", "g"]).blob
    inst = Module(blob, ModuleConfig(backend="interpreter")).instantiate()
    for name, expected in (("f", 8), ("g", 7)):
        inst.prepare_call(name, 5)
        inst.gas = 1000
        assert inst.run().kind is InterruptKind.FINISHED and inst.regs[7] == expected


def test_every_file_the_package_reads_is_installed_with_it() -> None:
    """A non-editable install left out linker/guest.h, so `pvmkit cc` could not compile the README's example (found in
    review): every file of the package that is not Python matches the package-data globs of pyproject.toml."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["pvmkit"]
    package = root / "pvmkit"
    installed = {p for pattern in patterns for p in package.glob(pattern)}
    others = {p for p in package.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    assert others and others <= installed, sorted(map(str, others - installed))


@pytest.mark.parametrize("backend", ["interpreter", "jit"])
def test_review_cases_a_zero_store_conditional_an_unrelocated_address_and_an_empty_data_section(
        tmp_path: Path, backend: str) -> None:  # fmt: skip
    """Found in review: `sc.d rd, zero, (rs1)` (a compare-and-swap storing 0: releasing a lock) was refused; so was
    `auipc t, 0; addi rd, t, lo` taking a static function's address in its own section (-mno-relax, no function
    sections), which polkavm's linker loads as that address; and an SHT_NOBITS section named .data.* placed before a
    section with contents was written out as zeros (16 MB of them here)."""
    if backend == "jit" and not is_supported():
        pytest.skip("the JIT is not supported here")

    def run(blob: object, name: str, *args: int) -> int:
        inst = Module(blob, ModuleConfig(backend=backend)).instantiate()  # type: ignore[arg-type]
        inst.prepare_call(name, *args)
        inst.gas = 10**6
        assert inst.run().kind is InterruptKind.FINISHED
        return inst.regs[7]

    cas = _compile(tmp_path, "cas", "static long lock = 1;\nlong unlock(long expected) {\n"
                   "    return __atomic_compare_exchange_n(&lock, &expected, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)"
                   " * 10 + lock;\n}\n")  # fmt: skip
    blob = link_elf(cas.read_bytes(), exports=["unlock"]).blob
    assert run(blob, "unlock", 1) == 10 and run(blob, "unlock", 7) == 1  # (swapped, lock 0; else lock stays 1)

    obj = _compile_unrelaxed(tmp_path, "fp", "-O2",
                             "static long sq(long x) { return x * x; }\nstatic long inc(long x) { return x + 1; }\n"
                             "__attribute__((noinline)) static long apply(long (*f)(long), long x) { return f(x); }\n"
                             "long f(long x, long y) { return apply(y ? sq : inc, x); }\n")  # fmt: skip
    blob = link_elf(obj.read_bytes(), exports=["f"]).blob
    assert run(blob, "f", 5, 1) == 25 and run(blob, "f", 5, 0) == 6

    asm, obj = tmp_path / "hole.s", tmp_path / "hole.o"
    asm.write_text("    .section .text.f,\"ax\",@progbits\n    .globl f\nf:\n"
                   "1:  auipc a0, %pcrel_hi(small)\n    addi a0, a0, %pcrel_lo(1b)\n"
                   "2:  auipc a1, %pcrel_hi(hole)\n    addi a1, a1, %pcrel_lo(2b)\n    ld a0, 0(a0)\n    ret\n"
                   "    .section .data.hole,\"aw\",@nobits\nhole: .zero 0x1000000\n"
                   "    .section .data.small,\"aw\",@progbits\nsmall: .quad 42\n")  # fmt: skip
    subprocess.run([CLANG, *CLANG_FLAGS[:3], "-c", str(asm), "-o", str(obj)], check=True)
    blob = link_elf(obj.read_bytes(), exports=["f"]).blob
    assert len(blob.write()) < 4096 and blob.rw_data_size >= 0x1000008  # (not 16 MB of zeros)
    assert run(blob, "f") == 42


def test_an_address_that_cannot_be_encoded_is_named_by_its_elf_location(tmp_path: Path) -> None:
    """Found in review: the error named a line of the linker's generated assembly, not the ELF section and offset."""
    asm, obj = tmp_path / "addend.s", tmp_path / "addend.o"
    asm.write_text("    .section .text.f,\"ax\",@progbits\n    .globl f\nf:\n"
                   "1:  auipc a0, %pcrel_hi(small+0x100000000)\n    ld a0, %pcrel_lo(1b)(a0)\n    ret\n"
                   "    .section .data.small,\"aw\",@progbits\nsmall: .quad 42\n")  # fmt: skip
    subprocess.run([CLANG, *CLANG_FLAGS[:3], "-c", str(asm), "-o", str(obj)], check=True)
    with pytest.raises(LinkError, match=r"cannot be encoded at \.text\.f\+0x4: immediate 0x100020000 does not fit"):
        link_elf(obj.read_bytes(), exports=["f"])
