"""Deploy the solc-built ERC-20 on py-evm and time `transfer` transactions; print a JSON result line.

Runs in `benchmarks/.peers/pyevm-venv` (py-evm, eth-keys, eth-abi), so the project's own
dependencies stay untouched. Set-up follows reference/toolchain.md §6: a `MiningChain` at the
latest mainnet VM from genesis, proof of work disabled, post-merge genesis (difficulty 0, zero
nonce), and signed legacy transactions. Each transfer is applied and then a block is mined, as a
client would (without mining, `receipt.gas_used` is cumulative and the block keeps growing).

Input (JSON on stdin): {"creation_code": hex of solc's creation bytecode, "constructor_args":
hex of the ABI-encoded (name, symbol, supply), "to": hex of the transfer recipient,
"warmup_to": hex of the recipient of one untimed transfer made first (optional), "transfers": int,
"chunks": [int] (optional: time the transfers in chunks of these sizes, summing to `transfers`)}.
Output (stdout, one JSON object): vm, deploy_seconds, transfers, seconds (transfers only,
signing and mining included), chunks ([calls, seconds] each), balance (balanceOf(to) afterwards),
gas_used of the last transfer.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    job = json.load(sys.stdin)
    from eth import constants
    from eth.chains.base import MiningChain
    from eth.tools.builder.chain import build, disable_pow_check, genesis, latest_mainnet_at
    from eth_abi import encode
    from eth_hash.auto import keccak
    from eth_keys import keys

    key = keys.PrivateKey(b"\x01" * 32)
    sender = key.public_key.to_canonical_address()
    gas_limit = 30_000_000
    chain = build(
        MiningChain,
        latest_mainnet_at(0),
        disable_pow_check(),
        genesis(
            params={"gas_limit": gas_limit, "difficulty": 0, "nonce": b"\0" * 8},
            state={sender: {"balance": 10**30, "nonce": 0, "code": b"", "storage": {}}},
        ),
    )
    vm_name = type(chain.get_vm()).__name__
    nonce = 0

    def send(to: bytes, data: bytes):
        nonce_now = nonce
        vm = chain.get_vm()
        tx = vm.create_unsigned_transaction(
            nonce=nonce_now, gas_price=10**9, gas=5_000_000, to=to, value=0, data=data
        ).as_signed_transaction(key)
        _block, receipt, computation = chain.apply_transaction(tx)
        chain.mine_block()
        if computation.is_error:
            raise RuntimeError(f"transaction failed: {computation.error!r}")
        return receipt, computation

    code = bytes.fromhex(job["creation_code"]) + bytes.fromhex(job["constructor_args"])
    start = time.perf_counter()
    _receipt, computation = send(constants.CREATE_CONTRACT_ADDRESS, code)
    deploy_seconds = time.perf_counter() - start
    nonce += 1
    token = computation.msg.storage_address

    to = bytes.fromhex(job["to"])
    selector = keccak(b"transfer(address,uint256)")[:4]
    if job.get("warmup_to"):  # untimed, like every engine's warm-up transfer
        send(token, selector + encode(["address", "uint256"], ["0x" + job["warmup_to"], 1]))
        nonce += 1
    receipt = None
    chunks = []
    for n in job.get("chunks") or [int(job["transfers"])]:
        start = time.perf_counter()
        for _ in range(n):
            receipt, _computation = send(token, selector + encode(["address", "uint256"], ["0x" + to.hex(), 1]))
            nonce += 1
        chunks.append((n, time.perf_counter() - start))
    seconds = sum(t for _, t in chunks)

    # balanceOf(to), read from storage: `balanceOf` is the mapping at slot 3 (see ERC20.sol), so the
    # value lives at keccak(pad32(to) ++ pad32(3)). (`get_transaction_result` re-validates the nonce
    # against a fresh state and rejects our signed read, so the slot is read directly.)
    slot = int.from_bytes(keccak(bytes(12) + to + (3).to_bytes(32, "big")), "big")
    balance = chain.get_vm().state.get_storage(token, slot)
    print(
        json.dumps(
            {
                "vm": vm_name,
                "deploy_seconds": deploy_seconds,
                "transfers": sum(n for n, _ in chunks),
                "seconds": seconds,
                "chunks": chunks,
                "balance": int(balance),
                "gas_used": int(receipt.gas_used) if receipt is not None else 0,
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the harness turns this into a "skipped" row
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
