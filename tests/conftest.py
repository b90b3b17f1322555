"""Shared test fixtures: where the read-only shared/ reference material lives."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VECTORS = SHARED / "vectors" / "pvm" / "programs"


def vector_files() -> list[Path]:
    return sorted(VECTORS.glob("*.json")) if VECTORS.is_dir() else []


CONTRACTS = ROOT / "tests" / "contracts" / "build"
# The Env's funded accounts as raw 20-byte addresses (pvmkit.env's ALICE, BOB and CHARLIE are their checksum strings),
# for tests that build calldata with them or hand them to the chain layer.
ALICE, BOB, CHARLIE = (bytes([n] * 20) for n in (1, 2, 3))


def load_contract(name: str):
    """A committed resolc 0.3.0 artifact (tests never compile; tests/contracts/build.py rebuilds them)."""
    from pvmkit.revive.compiler import load_artifact

    return load_artifact(CONTRACTS, name)


@pytest.fixture
def backends_as_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that compare backends by name (the JIT against the interpreter): PVMKIT_BACKEND forces one backend
    everywhere, which would make both sides the same. Kept only as crosscheck, which runs both and compares."""
    if os.environ.get("PVMKIT_BACKEND") != "crosscheck":
        monkeypatch.delenv("PVMKIT_BACKEND", raising=False)


@pytest.fixture
def decoded_lengths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every block (or part of one) Code.block decodes from here on: how tests see decoding work."""
    from pvmkit.pvm import program

    lengths: list[int] = []
    original = program.Code.block

    def counting(self: program.Code, pc: int, limit: int | None = None) -> list:
        out = original(self, pc, limit)
        lengths.append(len(out))
        return out

    monkeypatch.setattr(program.Code, "block", counting)
    return lengths


def race(work: Callable[[int], None], rounds: int = 1, before: Callable[[], None] = lambda: None) -> list[str]:
    """Run work(0) and work(1) on two threads at once, `rounds` times (`before` each round), switching threads as often
    as the interpreter can, and return what they raised (repr): races in process-wide state show up here."""
    errors: list[str] = []

    def guarded(part: int) -> None:
        try:
            work(part)
        except Exception as e:  # noqa: BLE001 - returned to the test
            errors.append(repr(e))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(rounds):
            before()
            threads = [threading.Thread(target=guarded, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(interval)
    return errors
