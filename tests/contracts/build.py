"""Rebuild the committed test-contract artifacts: `python tests/contracts/build.py [--no-cache]`.

Compiles every `tests/contracts/*.sol` in one resolc 0.3.0 run (and solc 0.8.30 for the EVM side) and writes, into
`tests/contracts/build/`:

* `<Name>.polkavm`   the PVM blob (resolc, `-Oz`)
* `<Name>.abi.json`  the ABI
* `<Name>.evm.hex`   solc's EVM creation bytecode as hex (settings: `pvmkit.revive.compiler.EVM_SETTINGS`)
* `<Name>.storage.json`  solc's storage layout (Contract._storage), for contracts with state variables
* `<Name>.libs.json` the libraries it was linked to (load_artifact deploys them with it)
* `<Name>.deps.json` the contracts it creates (load_artifact carries them)
* `manifest.json`    name -> source, code hash, factory deps, sizes, imports; plus compiler versions, settings and
                     the sha256 of every source (tests/test_compiler.py fails when the artifacts are stale)

Tests never compile; they read these files. Needs node + npm the first time (resolc is installed into the cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "build"
sys.path.insert(0, str(HERE.parent.parent))

from pvmkit.pvm.blob import ProgramBlob  # noqa: E402
from pvmkit.revive.compiler import (  # noqa: E402
    EVM_SETTINGS,
    CompilerError,
    children_listing,
    compile_solidity,
    libraries_listing,
    unique_contracts,
)

OPTIMIZER = "z"


def build(*, cache: bool = True) -> dict:
    files = sorted(HERE.glob("*.sol"))
    started = time.monotonic()
    contracts = unique_contracts(compile_solidity(files, evm=True, optimizer=OPTIMIZER, cache=cache))
    elapsed = time.monotonic() - started
    names = [c.name for c in contracts]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f"contract names must be unique across tests/contracts/*.sol: {', '.join(dupes)}")
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        if old.name.endswith((".polkavm", ".abi.json", ".evm.hex", ".storage.json", ".libs.json", ".deps.json")) or (
                old.name == "manifest.json"):  # fmt: skip
            old.unlink()
    entries = {}
    for c in contracts:
        (OUT / f"{c.name}.polkavm").write_bytes(c.blob)
        (OUT / f"{c.name}.abi.json").write_text(json.dumps(c.abi, indent=2) + "\n")
        if c.evm_bytecode is not None:
            (OUT / f"{c.name}.evm.hex").write_text(c.evm_bytecode.hex() + "\n")
        if c.storage_layout and c.storage_layout.get("storage"):
            (OUT / f"{c.name}.storage.json").write_text(json.dumps(c.storage_layout, indent=1) + "\n")
        if c.libraries:
            (OUT / f"{c.name}.libs.json").write_text(json.dumps(libraries_listing(c), indent=1) + "\n")
        if c.factory_deps:  # (as `pvmkit compile` writes them: load_artifact carries the children)
            (OUT / f"{c.name}.deps.json").write_text(json.dumps(children_listing(c), indent=1) + "\n")
        blob = ProgramBlob.parse(c.blob)
        entries[c.name] = {
            "source": c.source,
            "code_hash": "0x" + c.code_hash.hex(),
            "factory_deps": {"0x" + h.hex(): dep for h, dep in sorted(c.factory_deps.items())},
            "libraries": [library.qualified_name for library in c.libraries],
            "size": len(c.blob),
            "evm_size": len(c.evm_bytecode) if c.evm_bytecode is not None else None,
            "imports": sorted(i.decode() for i in blob.imports if i is not None),
            "exports": [e.name for e in blob.exports],
        }
    first = contracts[0]
    manifest = {
        "resolc_version": first.resolc_version,
        "solc_version": first.solc_version,
        "resolc_optimizer": OPTIMIZER,
        "evm_settings": EVM_SETTINGS,
        "sources": {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files},
        "contracts": dict(sorted(entries.items())),
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"compiled {len(files)} files, {len(contracts)} contracts in {elapsed:.1f} s -> {OUT}")
    for name, e in manifest["contracts"].items():
        print(f"  {name:<16} {e['source']:<16} {e['size']:>7,} B  {len(e['imports']):>2} imports  {e['code_hash']}")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-cache", action="store_true", help="recompile even if the build cache has the result")
    args = parser.parse_args(argv)
    try:
        build(cache=not args.no_cache)
    except CompilerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
