"""`pvmkit demo`: a resolc-compiled ERC-20 deployed and used on an in-memory pallet-revive.

Uses the blob and ABI shipped in `pvmkit/data/` (built from tests/contracts/ERC20.sol by
tests/contracts/build.py), so it runs without node or resolc.
"""

from __future__ import annotations

import textwrap
import time
from importlib import resources

import click

from .contract import ContractRevert
from .env import ALICE, BOB, CHARLIE, Env
from .pvm.interpreter import JIT_NEVER
from .revive.compiler import CompiledContract, load_artifact

NAMES = {ALICE: "Alice", BOB: "Bob", CHARLIE: "Charlie"}


def demo_contract() -> CompiledContract:
    return load_artifact(resources.files("pvmkit") / "data", "ERC20")


def _who(address: str) -> str:
    return NAMES.get(address, address)


def run_demo(transfers: int = 1000) -> None:
    echo = click.echo
    env = Env()
    for address, name in NAMES.items():
        env.label(address, name)
    erc20 = demo_contract()
    echo(f"ERC-20 blob: {len(erc20.blob):,} bytes of PVM (resolc 0.3.0), code hash 0x{erc20.code_hash.hex()}")
    token = env.deploy_contract(erc20, "pvmkit Demo Token", "DEMO", 1_000_000)
    deployed = env.last_result
    echo(f"deployed {token.name()} ({token.symbol()}) at {token.address}")
    echo(f"  weight ref_time={deployed.weight.ref_time:,} ps proof_size={deployed.weight.proof_size:,} B, "
         f"storage deposit {deployed.storage_deposit:,}")  # fmt: skip

    def transfer(sender: str, to: str, amount: int) -> None:
        label = f"transfer {_who(sender)} → {_who(to)} {amount:,}"
        try:
            with env.prank(sender):
                token.transfer(to, amount)
        except ContractRevert as e:
            echo(f"{label}: reverted with {e.reason}")
            if env.tracing:
                echo(textwrap.indent(env.format_trace(), "  "))
            return
        result = env.last_result
        for log in token.decode_logs(result.logs):
            args = ", ".join(f"{k}={_who(v) if isinstance(v, str) else v}" for k, v in log.args.items())
            echo(f"{label}: ok, event {log.event}({args}), gas {result.gas_used:,}")

    transfer(ALICE, BOB, 250_000)
    transfer(BOB, CHARLIE, 100_000)
    env.tracing = True  # (this one reverts: its call trace shows where)
    transfer(CHARLIE, ALICE, 1_000_000)
    env.tracing = False
    with env.anchor():
        transfer(BOB, CHARLIE, 150_000)
        echo(f"  inside anchor(): Charlie holds {token.balanceOf(CHARLIE):,}")
    echo(f"  after anchor(): Charlie holds {token.balanceOf(CHARLIE):,} again")
    for who in (ALICE, BOB, CHARLIE):
        echo(f"balance of {_who(who):<8} {token.balanceOf(who):>10,}")
    if not transfers:  # (nothing to time: found in review, "0 more transfers in 0.00 s")
        return
    start = time.perf_counter()
    for _ in range(transfers):
        token.transfer(BOB, 1)
    elapsed = time.perf_counter() - start
    module = env.chain.module(erc20.code_hash)
    how = {"jit": "JIT-compiled"}.get(module.backend, module.backend)
    if module.tiered:  # backend auto
        if module.jit_budget >= JIT_NEVER:  # (also when it compiled, but no space could be mapped for the code)
            how = "interpreted (the JIT was unavailable: no address space for its memory)"
        elif getattr(module, "_jit", None) is None:
            how = (f"interpreted so far ({module.interpreted:,} of {module.jit_budget:,} instructions before it is "
                   "JIT-compiled)")
        elif module.interpreted:  # the first calls were interpreted, until the module was worth compiling
            how = f"interpreted for the first {module.interpreted:,} instructions, then JIT-compiled"
        else:  # (contracts: compiled for the constructor's instance)
            how = "JIT-compiled when deployed"
    echo(
        f"{transfers:,} more transfers in {elapsed:.2f} s ({transfers / elapsed:,.0f} calls/s through the Python API; "
        f"{how})"
    )
