"""Contract addresses (pallet-revive `address.rs`): CREATE1 and CREATE2 over the PVM blob."""

from __future__ import annotations

from .primitives import keccak256

# forge-std's and hardhat's console.sol call this address, which has no code: the chain also reports each call to it
# to Chain.on_console once the transaction is over (pvmkit.console makes a line of it), changing nothing else.
CONSOLE_ADDRESS = bytes.fromhex("000000000000000000636f6e736f6c652e6c6f67")


def _rlp_bytes(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < 0x80:
        return data
    if len(data) < 56:
        return bytes([0x80 + len(data)]) + data
    length = len(data).to_bytes((len(data).bit_length() + 7) // 8, "big")
    return bytes([0xB7 + len(length)]) + length + data


def _rlp_list(items: list[bytes]) -> bytes:
    payload = b"".join(items)
    if len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    length = len(payload).to_bytes((len(payload).bit_length() + 7) // 8, "big")
    return bytes([0xF7 + len(length)]) + length + payload


def create1(deployer: bytes, nonce: int) -> bytes:
    """keccak256(rlp([deployer, nonce]))[12:], as Ethereum's CREATE."""
    nonce_bytes = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big") if nonce else b""
    return keccak256(_rlp_list([_rlp_bytes(deployer), _rlp_bytes(nonce_bytes)]))[12:]


def create2(deployer: bytes, code: bytes, input_data: bytes, salt: bytes) -> bytes:
    """keccak256(0xff ‖ deployer ‖ salt ‖ keccak256(code ‖ input))[12:]; `code` is the PVM blob, not EVM init code."""
    return keccak256(b"\xff" + deployer + salt + keccak256(code + input_data))[12:]


def to_checksum(address: bytes) -> str:
    """EIP-55 mixed-case hex. (Remembered for the last few thousand addresses, as parse_address's: every address a
    result, an event or the EVM oracle gives goes through here, ~7 us each, found in review.)"""
    text = _CHECKSUMS.get(address) if address.__class__ is bytes else None
    if text is None:
        hexaddr = address.hex()
        digest = keccak256(hexaddr.encode()).hex()
        text = "0x" + "".join(c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(hexaddr))
        if len(_CHECKSUMS) >= 4096:
            _CHECKSUMS.clear()
        _CHECKSUMS[bytes(address)] = text
    return text


_CHECKSUMS: dict[bytes, str] = {}


class ChecksumError(ValueError):
    """A mixed-case address whose case is not its EIP-55 checksum: a typo, never another type's value."""


_PARSED: dict[str, bytes] = {}  # (every call parses its target's address again: a transfer twice, ~0.3 us each)


def parse_address(value: object) -> bytes:
    """20 raw bytes from a `0x…` string, bytes, or anything with an `.address` (a Contract); ValueError naming the
    input otherwise."""
    if value.__class__ is str:  # (the usual case, a call's target: one dict lookup before the type tests)
        raw = _PARSED.get(value)  # type: ignore[call-overload]
        if raw is not None:
            return raw
    if not isinstance(value, (str, bytes, bytearray)) and isinstance(getattr(value, "address", None), str):
        value = value.address  # type: ignore[attr-defined]
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 20:
            raise ValueError(f"an address is 20 bytes, got {len(value)}")
        return bytes(value)
    if isinstance(value, str):
        raw = _PARSED.get(value)
        if raw is not None:  # (a str subclass equal to a parsed str)
            return raw
        text = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a hex address") from None
        if len(raw) != 20:
            raise ValueError(f"{value!r} is not a 20-byte address")
        if text != text.lower() and text != text.upper() and to_checksum(raw)[2:] != text:  # (as web3 does: found in
            raise ChecksumError(f"{value!r} has an invalid EIP-55 checksum (a typo?): it would be {to_checksum(raw)}")
        if len(_PARSED) >= 4096:  # review, a mistyped mixed-case address was taken)
            _PARSED.clear()
        _PARSED[value] = raw
        return raw
    raise TypeError(f"expected an address (0x… string or 20 bytes), got {type(value).__name__}")
