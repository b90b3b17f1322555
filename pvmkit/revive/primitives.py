"""Constants, flags, errors and return codes of pallet-revive's contract interface (revive.md §1.3, §4.4)."""

from __future__ import annotations

import enum

from Crypto.Hash import keccak as _keccak

SENTINEL = 0xFFFFFFFF
U64_MAX = (1 << 64) - 1
U256_MAX = (1 << 256) - 1
CALL_STACK_DEPTH = 25
STORAGE_KEY_BYTES = 128
PAYLOAD_BYTES = 416
IMMUTABLE_BYTES = 4096
CALLDATA_BYTES = 128 * 1024
TRANSIENT_STORAGE_BYTES = 4 * 1024
NUM_EVENT_TOPICS = 4
BLOB_BYTES = 1024 * 1024
BASIC_BLOCK_SIZE = 1000
# limits::code: what polkavm's interpreter may hold for a code (its compiled-block cache, bounded, plus a 4-byte flat
# map entry per code byte) and for a whole contract's life (the blob's sections and its memory).
INTERPRETER_CACHE_BYTES = 1024 * 1024
PURGABLE_MEMORY_LIMIT = INTERPRETER_CACHE_BYTES + 2 * 1024 * 1024
BASELINE_MEMORY_LIMIT = BLOB_BYTES + 512 * 1024
EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
ZERO_ADDRESS = bytes(20)


_KECCAK_CACHE: dict[bytes, bytes] = {}


def keccak256(data: bytes) -> bytes:
    """Keccak-256, memoized for short inputs: contracts hash the same storage keys (mapping slots, event
    signatures) over and over, and pycryptodome's per-call setup costs several microseconds."""
    if len(data) > 128:
        return _keccak.new(digest_bits=256, data=data).digest()
    data = bytes(data)
    digest = _KECCAK_CACHE.get(data)
    if digest is None:
        if len(_KECCAK_CACHE) >= 65536:
            _KECCAK_CACHE.clear()
        digest = _KECCAK_CACHE[data] = _keccak.new(digest_bits=256, data=data).digest()
    return digest


class CallFlags(enum.IntFlag):
    FORWARD_INPUT = 0x01
    CLONE_INPUT = 0x02
    TAIL_CALL = 0x04
    ALLOW_REENTRY = 0x08
    READ_ONLY = 0x10


ALL_CALL_FLAGS = 0x1F
REVERT = 0x1  # ReturnFlags::REVERT
TRANSIENT = 0x1  # StorageFlags::TRANSIENT


class ReturnCode(enum.IntEnum):
    """`ReturnErrorCode` as the packed-ABI uapi numbers it (what resolc 0.3.0 blobs see in a0)."""

    SUCCESS = 0
    CALLEE_TRAPPED = 1
    CALLEE_REVERTED = 2
    KEY_NOT_FOUND = 3
    TRANSFER_FAILED = 4
    OUT_OF_RESOURCES = 5
    ECDSA_RECOVERY_FAILED = 7
    SR25519_VERIFY_FAILED = 8
    DUPLICATE_CONTRACT_ADDRESS = 11


class PalletError(enum.Enum):
    """The pallet's `Error` variants that contract execution can produce (names as on chain)."""

    InvalidCallFlags = "InvalidCallFlags"
    OutOfGas = "OutOfGas"
    TransferFailed = "TransferFailed"
    MaxCallDepthReached = "MaxCallDepthReached"
    ContractNotFound = "ContractNotFound"
    CodeNotFound = "CodeNotFound"
    OutOfBounds = "OutOfBounds"
    DecodingFailed = "DecodingFailed"
    ContractTrapped = "ContractTrapped"
    ValueTooLarge = "ValueTooLarge"
    TerminatedWhileReentrant = "TerminatedWhileReentrant"
    InputForwarded = "InputForwarded"
    TooManyTopics = "TooManyTopics"
    DuplicateContract = "DuplicateContract"
    TerminatedInConstructor = "TerminatedInConstructor"
    ReentranceDenied = "ReentranceDenied"
    StateChangeDenied = "StateChangeDenied"
    StorageDepositNotEnoughFunds = "StorageDepositNotEnoughFunds"
    StorageDepositLimitExhausted = "StorageDepositLimitExhausted"
    CodeInUse = "CodeInUse"
    ContractReverted = "ContractReverted"
    CodeRejected = "CodeRejected"
    BlobTooLarge = "BlobTooLarge"
    StaticMemoryTooLarge = "StaticMemoryTooLarge"
    BasicBlockTooLarge = "BasicBlockTooLarge"
    InvalidInstruction = "InvalidInstruction"
    OutOfTransientStorage = "OutOfTransientStorage"
    InvalidSyscall = "InvalidSyscall"
    InvalidStorageFlags = "InvalidStorageFlags"
    ExecutionFailed = "ExecutionFailed"
    InvalidImmutableAccess = "InvalidImmutableAccess"
    CallDataTooLarge = "CallDataTooLarge"
    ReturnDataTooLarge = "ReturnDataTooLarge"
    BalanceConversionFailed = "BalanceConversionFailed"
    RootNotAllowed = "RootNotAllowed"
    BadOrigin = "BadOrigin"  # (a DispatchError, not the pallet's own: remove_code by another account than the owner)


class ExecError(Exception):
    """A failed frame: the pallet error and whether it arose in the caller's frame or inside the callee."""

    address: bytes | None = None  # the address an instantiation computed, when it failed there (DuplicateContract)

    def __init__(self, error: PalletError, origin: str = "caller", detail: str = "") -> None:
        self.error = error
        self.origin = origin
        self.detail = detail
        super().__init__(f"{error.value}{': ' + detail if detail else ''}")


class CodeError(ValueError):
    """Code upload rejected (`limits::code::enforce`): the pallet error plus a human-readable reason."""

    def __init__(self, error: PalletError, detail: str) -> None:
        self.error = error
        self.detail = detail
        super().__init__(f"{error.value}: {detail}")
