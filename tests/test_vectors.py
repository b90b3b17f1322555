"""The 201 public JAM v0.4 PVM test vectors (shared/vectors/pvm/programs), on every backend."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pvmkit.cli import main
from pvmkit.pvm.jit import is_supported
from pvmkit.pvm.vectors import load_vector, run_vector

from .conftest import VECTORS, vector_files

FILES = vector_files()
needs_vectors = pytest.mark.skipif(not FILES, reason=f"shared vectors not found at {VECTORS}")


@needs_vectors
def test_all_201_vectors_are_present() -> None:
    assert len(FILES) == 201


# The interpreter runs a block in tier 0 first and compiles it on its 16th run (ModuleConfig.compile_after): each
# vector also runs with every block compiled at once, and in tier 0 only.
_TIERS = {"interpreter": None, "compiled": 1, "tier0": 1 << 62}


_NATIVE = pytest.mark.skipif(not is_supported(), reason="the JIT needs x86-64 Linux with BMI1/BMI2/LZCNT/POPCNT")


@needs_vectors
@pytest.mark.parametrize("backend", ["interpreter", "compiled", "tier0", "step", pytest.param("jit", marks=_NATIVE),
                                     pytest.param("crosscheck", marks=_NATIVE)])  # fmt: skip
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
@pytest.mark.usefixtures("backends_as_named")
def test_vector(path, backend: str) -> None:
    compile_after = _TIERS.get(backend)
    backend = backend if backend in ("step", "jit", "crosscheck") else "interpreter"
    result = run_vector(load_vector(path), backend=backend, path=str(path), compile_after=compile_after)
    assert result.ok, result.failures


@needs_vectors
@_NATIVE
@pytest.mark.usefixtures("backends_as_named")
def test_cli_vectors_on_the_jit() -> None:
    """`pvmkit vectors --backend jit` passes all 201 (the issue's own check), every one of them natively compiled."""
    from pvmkit.pvm.jit.instance import CompiledModule

    compiled = []
    original = CompiledModule.__init__

    def counting(self, module) -> None:  # type: ignore[no-untyped-def]
        compiled.append(module)
        original(self, module)

    CompiledModule.__init__ = counting  # type: ignore[method-assign]
    try:
        out = CliRunner().invoke(main, ["vectors", "-q", "--backend", "jit", str(VECTORS)])
    finally:
        CompiledModule.__init__ = original  # type: ignore[method-assign]
    assert out.exit_code == 0 and out.output.strip().splitlines()[-1] == "201 passed, 0 failed", out.output
    assert len(compiled) >= 201


@needs_vectors
def test_cli_vectors_summary_and_exit_status(tmp_path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["vectors", "-q", str(VECTORS)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip().splitlines()[-1] == "201 passed, 0 failed"
    # A vector whose expectation is wrong fails with its first difference and exit status 1.
    bad = tmp_path / "bad.json"
    bad.write_text((VECTORS / "inst_add_32.json").read_text().replace('"expected-gas": 9998', '"expected-gas": 1'))
    out = runner.invoke(main, ["vectors", str(bad)])
    assert out.exit_code == 1
    assert "gas: expected 1, got 9998" in out.output and out.output.strip().endswith("0 passed, 1 failed")


def test_cli_vectors_reports_unreadable_files(tmp_path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    out = CliRunner().invoke(main, ["vectors", str(junk), str(tmp_path / "missing.json")])
    assert out.exit_code != 0 and "missing.json" in out.output and "Traceback" not in out.output
    out = CliRunner().invoke(main, ["vectors", str(junk)])
    assert out.exit_code == 1 and "cannot read vector" in out.output
    # JSON that json.loads gives up on with other errors than JSONDecodeError: too deep, an int over 4,300 digits.
    for text in ("[" * 100_000 + "]" * 100_000, '{"initial-gas": ' + "9" * 5_000 + "}"):
        junk.write_text(text)
        out = CliRunner().invoke(main, ["vectors", str(junk)])
        assert out.exit_code == 1 and "cannot read vector" in out.output, out.output
        assert out.exception is None or isinstance(out.exception, SystemExit), out.exception


def test_cli_vectors_names_an_empty_folder_and_a_vector_without_a_name(tmp_path) -> None:
    """Found in review: an empty folder printed only `0 passed, 0 failed` (exit 1, no reason), and a vector whose
    name is not a string failed under an empty name."""
    out = CliRunner().invoke(main, ["vectors", str(tmp_path)])
    assert out.exit_code == 1 and f"no vector files (*.json) in {tmp_path}" in out.output
    bad = tmp_path / "bad.json"
    bad.write_text((VECTORS / "inst_add_32.json").read_text().replace('"expected-gas": 9998', '"expected-gas": 1')
                   .replace('"name": "inst_add_32"', '"name": 5'))  # fmt: skip
    out = CliRunner().invoke(main, ["vectors", str(bad)])
    assert out.exit_code == 1 and f"FAIL {bad} ({bad}): gas: expected 1, got 9998" in out.output, out.output


def test_cli_vectors_reports_a_backend_that_cannot_load_programs(tmp_path) -> None:
    """Found in review: a ModuleError (an unknown PVMKIT_BACKEND; the JIT unable to reserve its address space) went
    up as a traceback, where `run` and `disasm` print one line."""
    vector = tmp_path / "v.json"
    vector.write_text('{"name": "t", "initial-regs": [0,0,0,0,0,0,0,0,0,0,0,0,0], "initial-pc": 0, "initial-gas": 100,'
                      ' "program": [0, 0, 3, 51, 135, 5, 1], "expected-status": "panic", "initial-page-map": []}')
    out = CliRunner().invoke(main, ["vectors", str(vector)], env={"PVMKIT_BACKEND": "bogus"})
    assert out.exit_code == 2 and "PVMKIT_BACKEND='bogus' is not a backend" in out.output, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    # Over --max-memory: the failure names the option (it named ModuleConfig's field: found in review).
    vector.write_text(vector.read_text().replace('"initial-page-map": []', '"initial-page-map": [{"address": 131072, '
                                                 '"length": 8388608, "is-writable": true}]'))  # fmt: skip
    out = CliRunner().invoke(main, ["vectors", str(vector), "--max-memory", "1"])
    assert out.exit_code == 1 and "over the limit of 1048576 (raise it with --max-memory)" in out.output, out.output


def test_malformed_and_hostile_vectors_fail_with_one_line_each(tmp_path) -> None:
    """Fields of the wrong type or range, and a page map of ~4 GiB (which made the host map a million zeroed
    pages, 4.4 GB, found in review), each give one failure line; the CLI prints FAIL lines, never a traceback."""
    import json

    good = {"name": "ok", "initial-regs": [0] * 13, "initial-pc": 0, "initial-gas": 10, "program": [0, 0, 1, 0, 1],
            "initial-page-map": [{"address": 0x20000, "length": 0x1000, "is-writable": True}],
            "initial-memory": [{"address": 0x20000, "contents": [1, 2]}], "expected-status": "panic",
            "expected-regs": [0] * 13, "expected-pc": 0, "expected-gas": 9,
            "expected-memory": [{"address": 0x20000, "contents": [1, 2]}]}  # fmt: skip
    assert run_vector(good).ok, run_vector(good).failures
    bad: dict[str, object] = {
        "initial-page-map": [{"address": 0x10000, "is-writable": True}],  # no length
        "initial-gas": "x",
        "initial-regs": [0] * 14,
        "initial-pc": "0",
        "expected-regs": ["0"] * 13,
        "expected-pc": -1,
        "expected-memory": [{"address": "0x20000", "contents": [1]}],
        "expected-gas": 2**70,
        "initial-memory": [{"address": 0x20000, "contents": [1000]}],
        "expected-status": "exploded",
    }
    for key, value in bad.items():
        result = run_vector({**good, key: value})
        assert len(result.failures) == 1 and result.failures[0].startswith("malformed vector: "), (key, result)
        assert key in result.failures[0], (key, result.failures)
    for regs in ([0] * 12, [0] * 14, []):  # only a full set is compared (found in review: fewer passed)
        result = run_vector({**good, "expected-regs": regs})
        assert result.failures == ["malformed vector: expected-regs must be 13 unsigned 64-bit integers"], regs
    unmapped = run_vector({**good, "initial-memory": [{"address": 0x50000, "contents": [1]}]})
    assert unmapped.failures and "cannot set up the initial memory" in unmapped.failures[0]
    huge = run_vector({**good, "initial-page-map": [{"address": 0x10000, "length": 0xFFFF0000, "is-writable": True}]})
    assert len(huge.failures) == 1 and "over the limit of 268435456" in huge.failures[0]
    big = {**good, "initial-page-map": [{"address": 0x20000, "length": 512 << 20, "is-writable": True}]}
    assert "over the limit" in run_vector(big).failures[0]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({**big, "initial-page-map": [{"address": 0x20000, "length": 8 << 20,
                                                             "is-writable": True}]}))  # fmt: skip
    out = CliRunner().invoke(main, ["vectors", "--max-memory", "4", str(path)])
    assert out.exit_code == 1 and "over the limit of 4194304" in out.output, out.output
    out = CliRunner().invoke(main, ["vectors", "--max-memory", "16", str(path)])
    assert out.exit_code == 0 and "1 passed" in out.output, out.output
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**good, "initial-gas": "x"}))
    out = CliRunner().invoke(main, ["vectors", str(path)])
    assert out.exit_code == 1 and "Traceback" not in out.output and "FAIL" in out.output, out.output


def test_read_only_pages_are_filled_and_the_last_overlapping_entry_wins() -> None:
    """The host writes only writable pages (as polkavm's API), so a read-only page's initial memory is written while
    it is mapped writable, then protected: the guest reads it and its store faults. Where page-map entries overlap,
    the last one's protection holds, as mapping them in order would give."""
    from pvmkit.pvm.asm import assemble
    from pvmkit.pvm.interpreter import Module

    blob = assemble("%isa = jam_v1\npub @main:\n    a1 = u8 [0x20000]\n    u8 [0x20000] = 7\n    trap\n")
    program = list(blob.code_and_jump_table())
    _, store, trap = Module(blob).code.decoded()[0]
    ro = {"address": 0x20000, "length": 0x1000, "is-writable": False}
    rw = {**ro, "is-writable": True}
    base = {"name": "ro", "initial-regs": [0] * 13, "initial-pc": 0, "initial-gas": 100, "program": program,
            "initial-memory": [{"address": 0x20000, "contents": [42]}], "expected-regs": [0] * 8 + [42] + [0] * 4}
    faulted = {**base, "initial-page-map": [rw, ro], "expected-status": "page-fault",
               "expected-page-fault-address": 0x20000, "expected-pc": store}
    stored = {**base, "initial-page-map": [ro, rw], "expected-status": "panic", "expected-pc": trap,
              "expected-memory": [{"address": 0x20000, "contents": [7]}]}
    for backend in ("interpreter", "jit") if is_supported() else ("interpreter",):
        for vector in (faulted, stored):
            assert run_vector(vector, backend=backend).failures == [], (backend, vector["initial-page-map"])
