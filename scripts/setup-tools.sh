#!/bin/sh
# Install the Solidity -> PolkaVM toolchain pvmkit uses: @parity/resolc 0.3.0 (+ solc 0.8.30) from npm, into
# ${PVMKIT_CACHE:-~/.cache/pvmkit}/resolc-0.3.0. Needs node >= 18 and npm. Only needed to (re)compile contracts,
# e.g. `python tests/contracts/build.py`; the tests read the committed artifacts in tests/contracts/build/.
set -eu
cd "$(dirname "$0")/.."
python -c 'from pvmkit.revive.compiler import ensure_resolc; print("resolc installed in", ensure_resolc())'
