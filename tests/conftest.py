"""Shared test fixtures: where the read-only shared/ reference material lives."""

from __future__ import annotations

from pathlib import Path

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
