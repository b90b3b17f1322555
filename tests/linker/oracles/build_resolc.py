"""Rebuild the resolc-linked oracle blob: `python tests/linker/oracles/build_resolc.py [--out DIR]`.

tests/test_linker_oracles.py compares pvmkit's RISC-V → PVM linker with the real upstream polkavm-linker (0.24.0,
embedded in resolc 0.3.0's wasm build). This script produces the upstream side:

1. clang-19 compiles `entry.c` (which includes `kernel.c` and `pvmkit/linker/guest.h`) to LLVM IR for
   rv64emac_zbb / lp64e, `-fpic -Os -fvisibility=hidden`, with `-Xclang -disable-llvm-passes`: the IR is clang's
   front-end output only, so resolc's own LLVM 18 does all optimisation and code generation (optimised LLVM-19 IR
   carries syntax LLVM 18 cannot parse: `trunc nuw`, `range(...)` attributes);
2. the LLVM-19-only function attributes (target-features/target-cpu/tune-cpu) are stripped, as in
   shared/reference/toolchain.md §1;
3. `build_resolc.js` runs resolc's wasm (`--llvm-ir -O3 --bin --asm`) on it in node, in memory;
4. the blob is written to `entry.resolc.polkavm`, resolc's disassembly to `entry.resolc.pvmasm`, and a manifest
   (`entry.resolc.json`: source hashes, tool versions, flags) that the test uses to detect a stale blob.

Needs clang-19, node and resolc 0.3.0 (installed into the pvmkit cache by `pvmkit.revive.compiler.ensure_resolc`).
A resolc compile of this guest takes 10-20 s. The test itself never runs this unless PVMKIT_TEST_RESOLC=1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
GUEST_H_DIR = ROOT / "pvmkit" / "linker"
SOURCES = ("kernel.c", "entry.c")
BLOB = "entry.resolc.polkavm"
ASM = "entry.resolc.pvmasm"
MANIFEST = "entry.resolc.json"
CLANG_FLAGS = ["--target=riscv64-unknown-elf", "-march=rv64emac_zbb", "-mabi=lp64e", "-fpic", "-Os",
               "-fvisibility=hidden", "-Xclang", "-disable-llvm-passes", "-S", "-emit-llvm"]  # fmt: skip
RESOLC_FLAGS = ["-O3", "--asm"]
_LLVM19_ATTRS = re.compile(r'"(?:target-features|target-cpu|tune-cpu)"="[^"]*"')


def source_hashes() -> dict[str, str]:
    return {name: hashlib.sha256((HERE / name).read_bytes()).hexdigest() for name in SOURCES}


def resolc_package() -> Path:
    sys.path.insert(0, str(ROOT))
    from pvmkit.revive.compiler import ensure_resolc

    return ensure_resolc() / "node_modules" / "@parity" / "resolc"


def clang_version(clang: str) -> str:
    return subprocess.run([clang, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]


def build(out_dir: Path = HERE) -> Path:
    """Compile entry.c through resolc into `out_dir` (blob, disassembly, manifest); returns the blob's path."""
    clang = shutil.which("clang-19")
    node = shutil.which("node")
    if clang is None or node is None:
        raise RuntimeError("needs clang-19 (apt install clang-19) and node")
    package = resolc_package()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ll = Path(tmp) / "entry.ll"
        cmd = [clang, *CLANG_FLAGS, f"-I{GUEST_H_DIR}", str(HERE / "entry.c"), "-o", str(ll)]
        subprocess.run(cmd, check=True)
        ll.write_text(_LLVM19_ATTRS.sub("", ll.read_text()))
        res = Path(tmp) / "out"
        run = subprocess.run([node, str(HERE / "build_resolc.js"), str(package), str(ll), str(res), *RESOLC_FLAGS],
                             capture_output=True, text=True)  # fmt: skip
        if run.returncode != 0:
            raise RuntimeError(f"resolc failed:\n{run.stdout}\n{run.stderr}")
        blob = (res / "entry.ll.pvm").read_bytes()
        (out_dir / BLOB).write_bytes(blob)
        (out_dir / ASM).write_text((res / "entry.ll.pvmasm").read_text())
    version = json.loads((package / "package.json").read_text())["version"]
    manifest = {
        "sources": source_hashes(),
        "blob_sha256": hashlib.sha256(blob).hexdigest(),
        "blob_size": len(blob),
        "resolc": version,
        "clang": clang_version(clang),
        "clang_flags": CLANG_FLAGS,
        "resolc_flags": ["--llvm-ir", "--bin", *RESOLC_FLAGS],
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return out_dir / BLOB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: next to this script)")
    args = parser.parse_args()
    path = build(args.out)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
