"""Shared test fixtures: where the read-only shared/ reference material lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VECTORS = SHARED / "vectors" / "pvm" / "programs"


def vector_files() -> list[Path]:
    return sorted(VECTORS.glob("*.json")) if VECTORS.is_dir() else []


CONTRACTS = ROOT / "tests" / "contracts" / "build"


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
