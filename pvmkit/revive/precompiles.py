"""Ethereum precompiles 0x01–0x09 as pallet-revive exposes them to contracts.

Semantics follow Ethereum (Cancun/Prague; these nine are unchanged since Berlin) and were checked
differentially against revm: ecrecover, sha256, ripemd160, identity, modexp (EIP-198, gas EIP-2565),
bn128 add/mul/pairing (EIP-196/197, gas EIP-1108) and blake2f (EIP-152).

Gas is Ethereum gas. :func:`precompile_gas` is cheap (never proportional to claimed lengths or rounds)
so the host can compare it with the gas it has *before* any work; :func:`run_precompile` does the same
check against ``gas_limit`` and fails like an out-of-gas EVM call instead of working.

Bounding the work (pure Python is slow, and inputs can claim enormous sizes):

* modexp never allocates from the claimed lengths before the gas check; once the gas fits, every length
  is bounded by the gas (max(base_len, mod_len) <= 8*sqrt(3*gas)+8, exp_len <= 3*gas/8+32).
* without a ``gas_limit`` the call is capped at :data:`DEFAULT_GAS_CAP` gas (far above one block's gas).
* blake2f costs 1 gas per round but a round takes microseconds here, so more than ``max_blake2f_rounds``
  (default :data:`MAX_BLAKE2F_ROUNDS`) fails instead of running; pass ``None`` for exact semantics.
* bn128 and blake2f run in revm (Rust) when pyrevm is installed (:data:`NATIVE`): a pairing takes ~0.19 s per pair in
  py_ecc, ~300x its weight, which made a zk verifier's test (or a hostile contract: found in review) take minutes;
  revm's are the implementations pallet-revive's are checked against, and there the blake2f cap does not apply.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import coincurve
from Crypto.Hash import RIPEMD160, keccak

# Importing py_ecc raises the process's recursion limit to 100,000, so that deep recursion anywhere after it (json.loads
# of deeply nested input, say) overflows the C stack and kills the process instead of raising RecursionError. The
# limit is put back: what is used here (optimized_bn128) recurses at most ~256 deep (multiply, bit by bit).
_RECURSION_LIMIT = sys.getrecursionlimit()
from py_ecc import optimized_bn128 as bn  # noqa: E402

sys.setrecursionlimit(_RECURSION_LIMIT)

__all__ = [
    "DEFAULT_GAS_CAP",
    "MAX_BLAKE2F_ROUNDS",
    "PRECOMPILE_ADDRESSES",
    "PrecompileResult",
    "blake2f_compress",
    "is_precompile",
    "precompile_gas",
    "run_precompile",
]

DEFAULT_GAS_CAP = 100_000_000
"""Gas ceiling for one call when the host passes no ``gas_limit`` (keeps modexp's work bounded)."""

MAX_BLAKE2F_ROUNDS = 4_000_000
"""Default blake2f round cap; above it the call fails. A round takes ~6 us of pure Python here (18 us under load), so
the cap is 25-70 s of work, while the weight of 4 M gas is far less: a host that meters time should lower it."""


def _addr(n: int) -> bytes:
    """Builtin precompile address: 16 zero bytes then ``n`` as a 4-byte big-endian integer."""
    return n.to_bytes(20, "big")


ECRECOVER, SHA256, RIPEMD160_ADDR, IDENTITY, MODEXP = (_addr(i) for i in range(1, 6))
BN_ADD, BN_MUL, BN_PAIRING, BLAKE2F = (_addr(i) for i in range(6, 10))

PRECOMPILE_ADDRESSES: frozenset[bytes] = frozenset(_addr(i) for i in range(1, 10))


@dataclass(frozen=True)
class PrecompileResult:
    """Outcome of one precompile call.

    ``success=False`` is an EVM precompile failure: the caller loses all gas it forwarded and gets empty
    output. ``gas`` is always the nominal cost from :func:`precompile_gas` (on failure it may exceed what
    was available; the host charges everything it forwarded).
    """

    success: bool
    output: bytes
    gas: int


def is_precompile(address: bytes) -> bool:
    """True for the 20-byte addresses 0x00..01 through 0x00..09."""
    return bytes(address) in PRECOMPILE_ADDRESSES


def _words(n: int) -> int:
    return (n + 31) // 32


def _pad(data: bytes, size: int) -> bytes:
    """Right-pad (or cut) to ``size`` bytes: precompiles read missing input as zeros."""
    return data[:size].ljust(size, b"\0")


def _fail(gas: int) -> PrecompileResult:
    return PrecompileResult(False, b"", gas)


# ---------------------------------------------------------------------------------------------------
# 0x01 ecrecover


def _ecrecover(data: bytes) -> bytes:
    """Recover the signer address; bad v/r/s or a failed recovery is a *successful* empty result."""
    inp = _pad(data, 128)
    msg, v, sig = inp[:32], inp[32:64], inp[64:128]
    if any(v[:31]) or v[31] not in (27, 28):
        return b""
    try:
        # libsecp256k1 (as revm and sp_io use): r, s in [1, n); high s is accepted by recovery.
        pub = coincurve.PublicKey.from_signature_and_message(sig + bytes([v[31] - 27]), msg, hasher=None)
    except Exception:  # coincurve raises plain Exception/ValueError for invalid signatures
        return b""
    digest = keccak.new(digest_bits=256, data=pub.format(compressed=False)[1:]).digest()
    return b"\0" * 12 + digest[12:]


# ---------------------------------------------------------------------------------------------------
# 0x02 sha256, 0x03 ripemd160, 0x04 identity


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _ripemd160(data: bytes) -> bytes:
    """RIPEMD-160 left-padded to a 32-byte word (pycryptodome: OpenSSL 3 may lack ripemd160)."""
    return b"\0" * 12 + RIPEMD160.new(data).digest()


def _identity(data: bytes) -> bytes:
    return bytes(data)


# ---------------------------------------------------------------------------------------------------
# 0x05 modexp


def _modexp_header(data: bytes) -> tuple[int, int, int]:
    head = _pad(data, 96)
    return (int.from_bytes(head[:32], "big"), int.from_bytes(head[32:64], "big"), int.from_bytes(head[64:96], "big"))


def _read_padded_int(body: bytes, offset: int, length: int) -> int:
    """Big-endian integer of ``body[offset:offset+length]`` read with zero right-padding.

    Slicing clips huge indices, so only the bytes really present are copied; the shift is bounded by
    ``length``, which the caller has already bounded through the gas check.
    """
    chunk = body[offset : offset + length]
    return int.from_bytes(chunk, "big") << (8 * (length - len(chunk)))


def _modexp_gas(data: bytes) -> int:
    """EIP-2565 cost, exact (no u64 saturation): max(200, words(max(b,m))^2 * iterations // 3).

    The exponent head is its first min(32, exp_len) bytes. For exp_len > 32 with a zero head the
    iteration count is 8*(exp_len-32) as in EIP-198 / geth / revm (EIP-2565's Python gives one less).
    """
    base_len, exp_len, mod_len = _modexp_header(data)
    words = (max(base_len, mod_len) + 7) // 8
    complexity = words * words
    if complexity == 0:
        return 200
    head_len = min(32, exp_len)
    exp_head = _read_padded_int(data[96:], base_len, head_len)
    if exp_len <= 32:
        iterations = max(exp_head.bit_length() - 1, 0)
    else:
        iterations = 8 * (exp_len - 32) + max(exp_head.bit_length() - 1, 0)
    return max(200, complexity * max(iterations, 1) // 3)


def _modexp(data: bytes) -> bytes:
    """base**exp % mod, output exactly mod_len bytes (mod 0 gives zeros). Call only after the gas check."""
    base_len, exp_len, mod_len = _modexp_header(data)
    if mod_len == 0:
        return b""
    body = data[96:]
    modulus = _read_padded_int(body, base_len + exp_len, mod_len)
    if modulus <= 1:
        return bytes(mod_len)
    base = _read_padded_int(body, 0, base_len)
    exponent = _read_padded_int(body, base_len, exp_len)
    return pow(base, exponent, modulus).to_bytes(mod_len, "big")


# ---------------------------------------------------------------------------------------------------
# 0x06-0x08 alt_bn128


class _InvalidPoint(Exception):
    """An input coordinate is >= the field modulus, off the curve, or (G2) outside the r-subgroup."""


def _fq(word: bytes) -> int:
    value = int.from_bytes(word, "big")
    if value >= bn.field_modulus:
        raise _InvalidPoint
    return value


def _g1(word64: bytes) -> tuple:
    """Decode an EIP-196 G1 point; (0, 0) is the point at infinity. G1 has cofactor 1: no subgroup check."""
    x, y = _fq(word64[:32]), _fq(word64[32:64])
    if x == 0 and y == 0:
        return bn.Z1
    point = (bn.FQ(x), bn.FQ(y), bn.FQ.one())
    if not bn.is_on_curve(point, bn.b):
        raise _InvalidPoint
    return point


def _g2(word128: bytes) -> tuple:
    """Decode an EIP-197 G2 point: (x_imag, x_real, y_imag, y_real); all zero is infinity."""
    x_im, x_re, y_im, y_re = (_fq(word128[i : i + 32]) for i in range(0, 128, 32))
    if not (x_im or x_re or y_im or y_re):
        return bn.Z2
    point = (bn.FQ2([x_re, x_im]), bn.FQ2([y_re, y_im]), bn.FQ2.one())
    if not bn.is_on_curve(point, bn.b2):
        raise _InvalidPoint
    # The twist has a large cofactor; EIP-197 requires the point to lie in the order-r subgroup.
    if not bn.is_inf(bn.multiply(point, bn.curve_order)):
        raise _InvalidPoint
    return point


def _encode_g1(point: tuple) -> bytes:
    if bn.is_inf(point):
        return bytes(64)
    x, y = bn.normalize(point)
    return int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")


def _bn_add(data: bytes) -> bytes | None:
    inp = _pad(data, 128)
    try:
        p1, p2 = _g1(inp[:64]), _g1(inp[64:128])
    except _InvalidPoint:
        return None
    return _encode_g1(bn.add(p1, p2))


def _bn_mul(data: bytes) -> bytes | None:
    inp = _pad(data, 96)
    try:
        point = _g1(inp[:64])
    except _InvalidPoint:
        return None
    # Any 256-bit scalar is allowed; G1 has prime order r, so reducing mod r is exact.
    scalar = int.from_bytes(inp[64:96], "big") % bn.curve_order
    return _encode_g1(bn.multiply(point, scalar))


def _bn_pairing(data: bytes) -> bytes | None:
    """1 (as a 32-byte word) iff prod e(a_i, b_i) == 1; empty input is the empty product, i.e. 1."""
    if len(data) % 192:
        return None
    acc = bn.FQ12.one()
    try:
        for off in range(0, len(data), 192):
            a, b = _g1(data[off : off + 64]), _g2(data[off + 64 : off + 192])
            if not (bn.is_inf(a) or bn.is_inf(b)):
                acc = acc * bn.pairing(b, a, final_exponentiate=False)
    except _InvalidPoint:
        return None
    ok = acc == bn.FQ12.one() or bn.final_exponentiate(acc) == bn.FQ12.one()
    return (1 if ok else 0).to_bytes(32, "big")


# ---------------------------------------------------------------------------------------------------
# 0x09 blake2f

_MASK64 = (1 << 64) - 1
_BLAKE2B_IV = (
    0x6A09E667F3BCC908,
    0xBB67AE8584CAA73B,
    0x3C6EF372FE94F82B,
    0xA54FF53A5F1D36F1,
    0x510E527FADE682D1,
    0x9B05688C2B3E6C1F,
    0x1F83D9ABFB41BD6B,
    0x5BE0CD19137E2179,
)
_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
# The column and diagonal steps of one round: (a, b, c, d) indices into the work vector v.
_G_LANES = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15), (0, 5, 10, 15), (1, 6, 11, 12),
            (2, 7, 8, 13), (3, 4, 9, 14))  # fmt: skip


def blake2f_compress(rounds: int, h: list[int], m: list[int], t: tuple[int, int], final: bool) -> list[int]:
    """BLAKE2b compression function F (RFC 7693 §3.2) with a caller-chosen number of rounds (EIP-152).

    hashlib exposes only whole-hash BLAKE2b, not F with arbitrary rounds/state, hence this version.
    """
    v = list(h) + list(_BLAKE2B_IV)
    v[12] ^= t[0]
    v[13] ^= t[1]
    if final:
        v[14] ^= _MASK64
    mask = _MASK64
    # The message schedule repeats every 10 rounds: precompute the 16 words each round consumes.
    schedules = [tuple(m[i] for i in s) for s in _SIGMA]
    for r in range(rounds):
        s = schedules[r % 10]
        for k, (a, b, c, d) in enumerate(_G_LANES):
            x, y = s[2 * k], s[2 * k + 1]
            va, vb, vc, vd = v[a], v[b], v[c], v[d]
            va = (va + vb + x) & mask
            vd ^= va
            vd = (vd >> 32) | ((vd << 32) & mask)
            vc = (vc + vd) & mask
            vb ^= vc
            vb = (vb >> 24) | ((vb << 40) & mask)
            va = (va + vb + y) & mask
            vd ^= va
            vd = (vd >> 16) | ((vd << 48) & mask)
            vc = (vc + vd) & mask
            vb ^= vc
            vb = (vb >> 63) | ((vb << 1) & mask)
            v[a], v[b], v[c], v[d] = va, vb, vc, vd
    return [h[i] ^ v[i] ^ v[i + 8] for i in range(8)]


def _blake2f_gas(data: bytes) -> int:
    # A malformed input fails before any round is charged or run.
    return int.from_bytes(data[:4], "big") if len(data) == 213 else 0


def _blake2f(data: bytes) -> bytes | None:
    """EIP-152 input: rounds (u32 BE) | h (8 x u64 LE) | m (16 x u64 LE) | t (2 x u64 LE) | f (0 or 1)."""
    if len(data) != 213 or data[212] not in (0, 1):
        return None
    rounds = int.from_bytes(data[:4], "big")
    h = [int.from_bytes(data[4 + 8 * i : 12 + 8 * i], "little") for i in range(8)]
    m = [int.from_bytes(data[68 + 8 * i : 76 + 8 * i], "little") for i in range(16)]
    t = (int.from_bytes(data[196:204], "little"), int.from_bytes(data[204:212], "little"))
    out = blake2f_compress(rounds, h, m, t, data[212] == 1)
    return b"".join(w.to_bytes(8, "little") for w in out)


# ---------------------------------------------------------------------------------------------------
# revm (pyrevm), for the precompiles pure Python is too slow for


_REVM_CALLER = "0x" + "70766d6b6974" * 3 + "7076"  # ("pvmkit"...: any account; it only pays revm's gas)
_revm_evm: Any = None


def _revm() -> Any:
    """pyrevm's EVM that runs the precompile calls (its caller funded), made on first use; None without pyrevm."""
    global _revm_evm, NATIVE
    if _revm_evm is None:
        try:
            from pyrevm import EVM
        except ImportError:
            NATIVE = False
            return None
        _revm_evm = EVM()
        _revm_evm.set_balance(_REVM_CALLER, 1 << 200)
    return _revm_evm


def _run_in_revm(evm: Any, address: bytes, data: bytes, gas: int) -> bytes | None:
    """The precompile's output from revm, or None where it fails (revm halts with PrecompileError)."""
    # (its gas: the precompile's, a transaction's 21,000 and at most 16 a byte of calldata; revm checks the same cost)
    limit = gas + 21_000 + 16 * len(data)
    try:
        return bytes(evm.message_call(_REVM_CALLER, "0x" + address.hex(), calldata=data, gas=limit))
    except RuntimeError as e:
        if "PrecompileError" in str(e):
            return None
        raise


# dispatch


_GAS: dict[bytes, Callable[[bytes], int]] = {
    ECRECOVER: lambda d: 3000,
    SHA256: lambda d: 60 + 12 * _words(len(d)),
    RIPEMD160_ADDR: lambda d: 600 + 120 * _words(len(d)),
    IDENTITY: lambda d: 15 + 3 * _words(len(d)),
    MODEXP: _modexp_gas,
    BN_ADD: lambda d: 150,
    BN_MUL: lambda d: 6000,
    BN_PAIRING: lambda d: 45000 + 34000 * (len(d) // 192),
    BLAKE2F: _blake2f_gas,
}

# Each runner returns the output, or None for a precompile failure.
_RUN: dict[bytes, Callable[[bytes], bytes | None]] = {
    ECRECOVER: _ecrecover,
    SHA256: _sha256,
    RIPEMD160_ADDR: _ripemd160,
    IDENTITY: _identity,
    MODEXP: _modexp,
    BN_ADD: _bn_add,
    BN_MUL: _bn_mul,
    BN_PAIRING: _bn_pairing,
    BLAKE2F: _blake2f,
}


_IN_REVM = frozenset((BN_ADD, BN_MUL, BN_PAIRING, BLAKE2F))
NATIVE = importlib.util.find_spec("pyrevm") is not None
"""Whether bn128 and blake2f run in revm (pyrevm installed); set it False for the pure-Python ones."""


def _check_address(address: bytes) -> bytes:
    address = bytes(address)
    if address not in PRECOMPILE_ADDRESSES:
        raise ValueError(f"not a precompile address: 0x{address.hex()}")
    return address


def precompile_gas(address: bytes, data: bytes) -> int:
    """Ethereum gas the call costs, computed without doing (or allocating for) the work.

    Exact big-integer arithmetic: a modexp with absurd claimed lengths yields an absurd cost, which any
    real gas limit refuses. Raises ``ValueError`` for a non-precompile address.
    """
    return _GAS[_check_address(address)](bytes(data))


def run_precompile(
    address: bytes,
    data: bytes,
    *,
    gas_limit: int | None = None,
    max_blake2f_rounds: int | None = MAX_BLAKE2F_ROUNDS,
) -> PrecompileResult:
    """Run precompile ``address`` on ``data``.

    The cost is checked before any work: above ``gas_limit`` (or :data:`DEFAULT_GAS_CAP` when None) the
    call fails as out of gas. blake2f with more than ``max_blake2f_rounds`` rounds also fails (a
    deliberate wall-clock bound; None disables it). Raises ``ValueError`` for a non-precompile address.
    """
    address = _check_address(address)
    data = bytes(data)
    gas = _GAS[address](data)
    limit = DEFAULT_GAS_CAP if gas_limit is None else gas_limit
    if gas > limit:
        return _fail(gas)
    if address in _IN_REVM and NATIVE and (evm := _revm()) is not None:
        output = _run_in_revm(evm, address, data, gas)
        return _fail(gas) if output is None else PrecompileResult(True, output, gas)
    if address == BLAKE2F and max_blake2f_rounds is not None and gas > max_blake2f_rounds:
        return _fail(gas)
    output = _RUN[address](data)
    if output is None:
        return _fail(gas)
    return PrecompileResult(True, output, gas)
