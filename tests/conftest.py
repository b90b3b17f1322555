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
    import json

    from pvmkit.revive.compiler import CompiledContract
    from pvmkit.revive.primitives import keccak256

    blob = (CONTRACTS / f"{name}.polkavm").read_bytes()
    abi = json.loads((CONTRACTS / f"{name}.abi.json").read_text())
    evm_hex = CONTRACTS / f"{name}.evm.hex"
    evm = bytes.fromhex(evm_hex.read_text().strip().removeprefix("0x")) if evm_hex.exists() else None
    return CompiledContract(name=name, source=f"{name}.sol", blob=blob, abi=abi, code_hash=keccak256(blob),
                            factory_deps={}, evm_bytecode=evm)  # fmt: skip
