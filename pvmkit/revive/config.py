"""Runtime parameters: chain constants, deposit prices and the weight schedule.

Defaults follow revive's own test runtime (revive-runner: ED 1000, DepositPerByte 1,
DepositPerItem 2, CodeHashLockupDepositPercent 0%, chain id 420420420) and the Dec-2024 benchmark weights quoted in
reference/revive.md §4.1. Every number is a field, so tests and users can pick their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Weight(NamedTuple):
    """pallet weight: ref_time in picoseconds, proof_size in bytes. (A NamedTuple, not a frozen dataclass: several are
    made per call, and a frozen dataclass takes three times as long to build.)"""

    ref_time: int = 0
    proof_size: int = 0

    def __add__(self, other: Weight) -> Weight:  # type: ignore[override]
        return Weight(self.ref_time + other.ref_time, self.proof_size + other.proof_size)


@dataclass(frozen=True)
class Schedule:
    """Weights charged by the host. `cost(name, n)` = base + per_byte·n (ref_time) and proof_size."""

    ref_time_per_fuel: int = 1_000
    host_fn_base: int = 168_973
    costs: dict[str, tuple[int, int, int]] = field(
        default_factory=lambda: {
            # name: (ref_time base, ref_time per byte/unit, proof_size)
            "address": (359_000, 0, 0), "caller": (373_000, 0, 0), "origin": (373_000, 0, 0),
            "balance": (5_858_000, 0, 2_552), "balance_of": (5_858_000, 0, 2_552),
            "value_transferred": (344_000, 0, 0), "block_number": (355_000, 0, 0), "now": (350_000, 0, 0),
            "block_hash": (3_785_000, 0, 0), "block_author": (350_000, 0, 0),
            "chain_id": (300_000 + 150 * 32, 0, 0),  # the pallet charges it as CopyToContract(32) (write_fixed_...)
            "base_fee": (350_000, 0, 0), "gas_price": (350_000, 0, 0), "gas_limit": (350_000, 0, 0),
            "ref_time_left": (350_000, 0, 0), "code_hash": (7_000_000, 0, 2_400), "code_size": (7_000_000, 0, 2_400),
            "call_data_size": (300_000, 0, 0), "call_data_load": (350_000, 0, 0), "call_data_copy": (219_823, 150, 0),
            "return_data_size": (300_000, 0, 0), "copy_to_contract": (300_000, 150, 0),
            "seal_return": (492_148, 236, 0), "hash_keccak_256": (3_361_333, 3_648, 0),
            "hash_sha2_256": (1_000_000, 1_000, 0), "hash_blake2_256": (1_000_000, 1_000, 0),
            "hash_blake2_128": (1_000_000, 1_000, 0),
            "deposit_event": (4_275_643, 978, 0), "deposit_event_topic": (197_045, 0, 0),
            "get_storage": (9_415_872, 1_304, 247), "set_storage": (9_774_592, 532, 247),
            "clear_storage": (9_774_592, 504, 247), "contains_storage": (9_415_872, 0, 247),
            "transient_storage": (500_000, 100, 0),
            "get_immutable_data": (1_000_000, 100, 0), "set_immutable_data": (1_000_000, 100, 0),
            "call": (42_866_040, 0, 4_757), "call_transfer_surcharge": (2_467_746, 0, 0),
            "delegate_call": (40_000_000, 0, 4_757), "instantiate": (115_250_696, 4_136, 4_796),
            "precompile": (1_000_000, 0, 0), "ecdsa_to_eth_address": (20_000_000, 0, 0),
            "terminate": (100_000_000, 0, 5_000), "weight_to_fee": (1_000_000, 0, 0),
            "minimum_balance": (300_000, 0, 0), "own_code_hash": (400_000, 0, 0), "is_contract": (5_000_000, 0, 2_400),
            "caller_is_origin": (300_000, 0, 0), "weight_left": (300_000, 0, 0),
        }
    )  # fmt: skip
    precompile_ref_time_per_gas: int = 25_000
    """Ethereum gas of a precompile → ref_time (40 M gas per second, revive.md §6)."""

    def cost(self, name: str, n: int = 0) -> Weight:
        return Weight(*self.cost_parts(name, n))

    def cost_parts(self, name: str, n: int = 0) -> tuple[int, int]:
        """(ref_time, proof_size) of `cost`, for charging without building a Weight (host functions' hot path)."""
        base, per, proof = self.costs[name]
        return base + per * n, proof


@dataclass(frozen=True)
class RuntimeConfig:
    """Chain constants the host exposes to contracts, plus deposit prices and limits."""

    chain_id: int = 420_420_420
    existential_deposit: int = 1_000
    deposit_per_byte: int = 1
    deposit_per_item: int = 2
    contract_info_bytes: int = 125
    """Encoded size of a contract's `ContractInfo`, priced into its base deposit: in the 2503-era pallet a trie id
    (a 32-byte BoundedVec: 33), the code hash (32), storage bytes and items (4 + 4), three u128 deposits (48) and the
    immutable data's length (4)."""
    code_info_bytes: int = 66
    """`CodeInfo::max_encoded_len()`, priced into the upload deposit with the blob: in the 2503-era pallet the owner
    (32), the deposit and refcount as compact u128 and u64 (17 + 9 at most), the code length and behaviour version
    (4 + 4)."""
    code_hash_lockup_percent: int = 0
    """Share of the code deposit locked in each contract's base deposit (`CodeHashLockupDepositPercent`: 0% in
    revive-runner at resolc 0.3.0, crates/runner/src/runtime.rs; 30% in the pallet's own test runtime)."""
    gas_price: int = 1_000
    base_fee: int = 0
    block_ref_time_limit: int = 2_000_000_000_000
    """`gas_limit()` in the 2503-era pallet: the block's max ref_time (2 s, as revive-runner)."""
    max_code_size: int = 1024 * 1024
    block_author: bytes = bytes([0xFF] * 20)
    schedule: Schedule = field(default_factory=Schedule)

    def deposit(self, items: int, bytes_: int) -> int:
        return items * self.deposit_per_item + bytes_ * self.deposit_per_byte
