"""An EVM oracle for differential tests: a thin wrapper over pyrevm (optional dependency).

`EvmEnv` has the shape of `Env` where differential runs need it: deploy and call solc-compiled EVM bytecode,
read balances and storage. Every deploy and call is a committed transaction from `sender`; reverts and halts
come back as `success=False` instead of raising:

    evm = EvmEnv()
    evm.set_balance(ALICE, 10**30)
    ok, address, _ = evm.deploy(ALICE, creation_bytecode, constructor_args)
    ok, output, logs = evm.call(ALICE, address, calldata)

Install pyrevm with `pip install pvmkit[evm]`; importing this module works without it, creating an `EvmEnv`
raises RuntimeError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .revive.address import parse_address, to_checksum

INSTALL_HINT = "pyrevm is not installed: pip install pyrevm==0.3.7 (or, in a pvmkit checkout, pip install -e '.[evm]')"
DEFAULT_GAS = 1_000_000_000
"""Gas of a deploy or call when none is given: far beyond any block, small enough that an endless loop ends."""

EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
_REVERT_RE = re.compile(r"Revert\s*\{[^}]*output:\s*0x([0-9a-fA-F]*)")


@dataclass(frozen=True)
class EvmLog:
    """A log (event): emitter, topics and data, as raw bytes."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


def _pyrevm() -> Any:
    try:
        import pyrevm
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None
    return pyrevm


def available() -> bool:
    """True when pyrevm can be imported."""
    try:
        _pyrevm()
    except RuntimeError:
        return False
    return True


def revert_output(message: str) -> bytes | None:
    """The revert data in pyrevm's `Revert { gas_used, output: 0x… }` error text, None for any other error."""
    match = _REVERT_RE.search(message)
    return bytes.fromhex(match.group(1)) if match else None


def _hex_address(address: str | bytes) -> str:
    return to_checksum(parse_address(address))


class EvmEnv:
    """A revm chain (Cancun rules) with pvmkit's block context: chain id 420420420, block 1, timestamp 1."""

    def __init__(
        self,
        *,
        chain_id: int = 420_420_420,
        block_number: int = 1,
        timestamp: int = 1,
        coinbase: bytes = bytes([0xFF] * 20),
        spec_id: str = "CANCUN",
        gas: int = DEFAULT_GAS,
    ) -> None:
        pyrevm = _pyrevm()
        env = pyrevm.Env(
            cfg=pyrevm.CfgEnv(chain_id=chain_id),
            block=pyrevm.BlockEnv(number=block_number, timestamp=timestamp, coinbase=_hex_address(coinbase)),
        )
        self._pyrevm = pyrevm
        self.evm = pyrevm.EVM(env=env, spec_id=spec_id)
        self.gas = gas
        self.last_error: str = ""
        """pyrevm's message for the last failed deploy or call (revert, halt or invalid transaction)."""
        self._block = (block_number, timestamp, _hex_address(coinbase))
        self._snapshots: list[tuple[int, Any]] = []  # (id, pyrevm's journal checkpoint), oldest first
        self._next_snapshot = 0

    # Block context and snapshots, as Env's (found in review: a stateful comparison had to reach into pyrevm).
    @property
    def block_number(self) -> int:
        return self._block[0]

    @block_number.setter
    def block_number(self, number: int) -> None:
        self._set_block(number, self._block[1])

    @property
    def timestamp(self) -> int:
        """Seconds, as contracts see block.timestamp."""
        return self._block[1]

    @timestamp.setter
    def timestamp(self, seconds: int) -> None:
        self._set_block(self._block[0], seconds)

    def mine(self, blocks: int = 1, seconds_per_block: int = 6) -> None:
        """Advance the block number and timestamp, as Env.mine."""
        self._set_block(self._block[0] + blocks, self._block[1] + blocks * seconds_per_block)

    def _set_block(self, number: int, timestamp: int) -> None:
        coinbase = self._block[2]
        self.evm.set_block_env(self._pyrevm.BlockEnv(number=int(number), timestamp=int(timestamp), coinbase=coinbase))
        self._block = (int(number), int(timestamp), coinbase)

    def snapshot(self) -> int:
        """Remember the state and block; an id for revert_to() (Env.snapshot's)."""
        snapshot_id, self._next_snapshot = self._next_snapshot, self._next_snapshot + 1
        self._snapshots.append((snapshot_id, (self.evm.snapshot(), self._block)))
        return snapshot_id

    def revert_to(self, snapshot_id: int, *, keep: bool = True) -> None:
        """Roll back to snapshot `snapshot_id`: as Env.revert_to, it stays valid unless `keep=False`; later ones go."""
        at = next((i for i in range(len(self._snapshots) - 1, -1, -1) if self._snapshots[i][0] == snapshot_id), None)
        if at is None or type(snapshot_id) is not int:
            raise ValueError(f"no snapshot {snapshot_id!r} to revert to")
        checkpoint, block = self._snapshots[at][1]
        del self._snapshots[at:]
        self.evm.revert(checkpoint)
        self._set_block(block[0], block[1])
        if keep:
            self._snapshots.append((snapshot_id, (self.evm.snapshot(), block)))

    # Accounts.
    def balance(self, address: str | bytes) -> int:
        return int(self.evm.get_balance(_hex_address(address)))

    def set_balance(self, address: str | bytes, value: int) -> None:
        self.evm.set_balance(_hex_address(address), int(value))

    def nonce(self, address: str | bytes) -> int:
        return int(self.evm.basic(_hex_address(address)).nonce)

    def code(self, address: str | bytes) -> bytes:
        return bytes(self.evm.get_code(_hex_address(address)) or b"")

    def storage(self, address: str | bytes, slot: int | bytes) -> bytes:
        """The 32-byte big-endian value of storage slot `slot` (int or 32 bytes)."""
        index = int.from_bytes(slot, "big") if isinstance(slot, (bytes, bytearray)) else int(slot)
        return int(self.evm.storage(_hex_address(address), index)).to_bytes(32, "big")

    def storage_slots(self, address: str | bytes) -> set[bytes]:
        """The slots the EVM holds for `address` (32-byte keys), read from revm's journaled state as pyrevm 0.3.7
        prints it (it has no call for this); empty if that text cannot be read."""
        text = self.evm.journal_str
        at = text.find(f"{_hex_address(address).lower()}: Account {{")
        start = text.find("storage: {", at) if at >= 0 else -1
        if start < 0:
            return set()
        depth, end = 0, start + len("storage: ")
        while end < len(text):  # (to the brace closing the storage map)
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        return {int(k).to_bytes(32, "big") for k in re.findall(r"(?:\{|, )(\d+): StorageSlot", text[start:end])}

    def bump_nonce(self, address: str | bytes) -> None:
        """One more nonce bump for an externally owned account: how a comparison mirrors pallet-revive's second bump of
        a top-level deployer's nonce, so that both sides' next CREATE address agrees."""
        self._bump_nonce(_hex_address(address))

    def _bump_nonce(self, sender: str) -> None:
        """A transaction bumps its sender's nonce; pyrevm's message_call does not (its deploy does)."""
        info = self.evm.basic(sender)
        if info.code_hash not in (None, EMPTY_CODE_HASH):
            return  # a contract as sender (impersonated): leave its CREATE nonce alone
        balance = self.evm.get_balance(sender)
        self.evm.insert_account_info(sender, self._pyrevm.AccountInfo(nonce=info.nonce + 1))
        self.evm.set_balance(sender, balance)  # insert_account_info resets the balance

    def _end_transaction(self, sender: str | None) -> None:
        """Transient storage lives for one transaction (EIP-1153); pyrevm keeps it until told otherwise."""
        self.evm.reset_transient_storage()
        if sender is not None:
            self._bump_nonce(sender)

    def _logs(self) -> list[EvmLog]:
        result = self.evm.result
        out = []
        for log in result.logs if result is not None else []:
            topics, data = log.data
            out.append(EvmLog(parse_address(log.address), tuple(bytes(t) for t in topics), bytes(data)))
        return out

    # Transactions.
    def deploy(
        self, sender: str | bytes, bytecode: bytes, data: bytes = b"", value: int = 0, *, gas: int | None = None
    ) -> tuple[bool, bytes | None, bytes]:
        """Run creation code (+ constructor args); (success, new address or None, revert data or b"")."""
        self.last_error = ""
        try:
            address = self.evm.deploy(_hex_address(sender), bytes(bytecode) + bytes(data), value=int(value),
                                      gas=self.gas if gas is None else gas)  # fmt: skip
        except RuntimeError as e:
            self.last_error = str(e)
            self._end_transaction(None)
            return False, None, revert_output(str(e)) or b""
        self._end_transaction(None)
        return True, parse_address(address), b""

    def deploy_libraries(self, compiled: Any) -> None:
        """Deploy the libraries a compiled contract and the contracts it creates were linked to (their `libraries`:
        the EVM bytecode calls them at the same addresses as the blobs), where there is no code yet, each by its
        deployer's first CREATE as on an Env."""
        from .revive.compiler import linked_libraries

        for library in linked_libraries(compiled):
            if self.code(library.address):  # (solc gives no runtime code to compare with: Env checks the blob's)
                continue
            code = library.contract.evm_bytecode
            if code is None:
                raise ValueError(f"library {library.qualified_name} has no EVM bytecode (compiled with evm=False?)")
            if self.nonce(library.deployer) != 0:
                raise ValueError(f"library {library.qualified_name}'s deployer has created something already: it "
                                 f"can no longer create the library at 0x{library.address.hex()}")  # fmt: skip
            ok, address, _ = self.deploy(library.deployer, code)
            if not ok or address != library.address:
                raise RuntimeError(f"deploying library {library.qualified_name} failed: {self.last_error or address}")

    def call(
        self, sender: str | bytes, to: str | bytes, data: bytes = b"", value: int = 0, *, gas: int | None = None
    ) -> tuple[bool, bytes, list[EvmLog]]:
        """A call transaction; (success, return or revert data, logs). Halts give (False, b"", [])."""
        caller = _hex_address(sender)
        self.last_error = ""
        try:
            output = self.evm.message_call(caller, _hex_address(to), bytes(data), value=int(value),
                                             gas=self.gas if gas is None else gas)
        except RuntimeError as e:
            self.last_error = str(e)
            if "Transaction(" not in str(e):  # an invalid transaction never started: no nonce bump
                self._end_transaction(caller)
            return False, revert_output(str(e)) or b"", []
        logs = self._logs()
        self._end_transaction(caller)
        return True, bytes(output), logs

    def deploy_logs(self) -> list[EvmLog]:
        """Logs of the last successful deploy."""
        return self._logs()


__all__ = ["INSTALL_HINT", "EvmEnv", "EvmLog", "available", "revert_output"]
