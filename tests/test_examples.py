"""The examples in examples/ run and say what they claim (so they cannot rot)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pvmkit.cli import main
from pvmkit.pvm.jit import is_supported

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_host_calls_example_agrees_on_every_backend() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PVMKIT_BACKEND"}  # it names its backends itself
    out = subprocess.run([sys.executable, str(EXAMPLES / "host_calls.py")], capture_output=True, text=True,
                         timeout=300, check=True, env=env).stdout.splitlines()  # fmt: skip
    assert [line.split()[0] for line in out] == ["interpreter"] + (["jit"] if is_supported() else []), out
    assert all("sum(1..100000) = 5000050000, 500,198 gas, 97 host calls" in line for line in out), out


def test_token_example_tests_pass() -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "test_token.py")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=EXAMPLES.parent)
    assert run.returncode == 0 and "5 passed" in run.stdout, run.stdout + run.stderr


def test_sum_example_assembles_and_runs(tmp_path: Path) -> None:
    blob = tmp_path / "sum.polkavm"
    assert CliRunner().invoke(main, ["asm", str(EXAMPLES / "sum.s"), "-o", str(blob)]).exit_code == 0
    out = CliRunner().invoke(main, ["run", str(blob), "--reg", "a0=100", "--json"])
    assert out.exit_code == 0 and '"status": "finished"' in out.output and "5050" in out.output, out.output
