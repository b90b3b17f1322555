"""revive-runner specs: declarative contract tests (revive's `crates/runner/src/specs.rs`), run on pvmkit.

A spec is a JSON object, in a `.json` file or in a comment of a `.sol` file that starts on a line beginning with
`/* runner.json` and ends on a line beginning with `*/` (a file may hold several; each is its own spec):

    {
      "differential": false,                    // also run on an EVM (pyrevm) and compare
      "balances": [["0101…01", 1000000000000]], // genesis (hex or Alice/Bob/Charlie); default: all 3 get 10^12
      "actions": [
        {"Upload": {"origin": "Alice", "code": {"Path": "Child.polkavm"}}},
        {"Instantiate": {"origin": "Alice", "value": 0, "code": {"Path": "Flipper.polkavm"}, "data": "", "salt": null}},
        {"Call": {"origin": "Bob", "dest": {"Instantiated": 0}, "value": 0, "data": "cde4efa9"}},
        {"VerifyCall": {"success": true, "output": "", "gas_consumed": null}},
        {"VerifyBalance": {"origin": {"Instantiated": 0}, "expected": 0}},
        {"VerifyStorage": {"contract": {"Instantiated": 0}, "key": "00…00", "expected": "00…01"}}
      ]
    }

As in revive: byte strings (`data`, `salt`, `output`, `key`, `expected`) are hex without `0x` (a `0x` prefix is
accepted too); `key`/`expected` are 32 bytes, big-endian as the contract stores them, `expected` defaults to zero
and an unset slot reads as zero. Addresses are `"Alice"` (0x01…01, the default origin), `"Bob"`, `"Charlie"`,
`{"Instantiated": n}` (the contract created by the n-th Instantiate-or-Call action: the index counts both kinds
and skips Uploads, revive's `results` list) or `{"AccountId": "0x…"}`. Code is `{"Path": file}` (relative to the
spec file), `{"Bytes": hex or [u8, …]}`, `{"Hash": "0x…"}` (already uploaded) or `{"Solidity": {"contract": N,
"path": file}}` (compiled with resolc 0.3.0; `path` defaults to the spec's own `.sol`; the contract's factory
dependencies are uploaded first). In a `.sol` spec an action without `code` compiles the contract named like the
file (or `--contract`). Every `Instantiate`/`Call` not followed by a `VerifyCall` gets an implicit
`{"success": true}` check (not in differential mode). `VerifyCall` checks the last Instantiate or Call;
`gas_consumed` is a `{"ref_time", "proof_size"}` weight or an integer compared with `ref_time`.
`VerifyBalance` reads the balance a contract sees (`address(x).balance`: free balance minus the existential
deposit, 0 if below; revive's `evm_balance`). pvmkit has one unit for balances and values (no NativeToEthRatio).
Where revive's runner changed over time, this follows its current one: 10^12 default endowments, unset storage
reads as zero, `evm_balance`; the runner of the resolc 0.3.0 era (v0.3.0 tag) endowed 10^9, required a
VerifyStorage slot to exist and compared `usable_balance` (which includes the existential deposit).

Differential mode (`"differential": true`) runs every Instantiate/Call on pyrevm too, with the solc creation code
(`Solidity` code, or a `Path` blob `X.polkavm` with a sibling `X.evm.hex`/`X.evm.bin`), and after each one
requires the two to agree on: success; output (calls; revert data of failed instantiations); logs (topics and
data, emitters mapped; two emitters neither side instantiated, a factory's children, are not compared); the
balance and the storage of every contract both sides instantiated (matched by `Instantiated` index; not by equal
address: a contract's nonce starts at 0 on the pallet and at 1 on the EVM, so their children's addresses differ).
Storage is compared at every slot either side ever held or a
`VerifyStorage` names; a balance or slot is compared (and counted) again only when either side changed, so a
lasting difference is reported once. EOA balances are not compared: on the pallet the origin pays storage
deposits and new accounts receive the existential deposit. Explicit Verify* actions check the pvmkit run.
Uploads do not exist on the EVM side and a salt is refused in differential mode (as in revive); unlike revive,
any origin may be used.

As the runner: an action without `storage_deposit_limit` gets DEPOSIT_LIMIT (10^11, the current runner's), Solidity
is compiled with resolc -O3 (`OptimizerSettings::cycles()`), and `Instantiated(n)` of a constructor that reverted is
its address (a call to it is a plain transfer).

Output of `pvmkit run-spec`: one `FAIL <spec>: action #i <kind>: <what> expected … got …` line per failed check,
`ERROR <spec>: …` for a spec that cannot be read or run, and a last line `N passed, M failed` (checks).
"""

from __future__ import annotations

import errno
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from . import safejson
from .files import read_input

SPEC_MARKER_BEGIN = "/* runner.json"
SPEC_MARKER_END = "*/"
GENESIS_BALANCE = 1_000_000_000_000
"""revive-runner's `Specs::default()` endowment of Alice, Bob and Charlie."""

ALICE = bytes([1] * 20)
BOB = bytes([2] * 20)
CHARLIE = bytes([3] * 20)
NAMED = {"Alice": ALICE, "Bob": BOB, "Charlie": CHARLIE}

ACTION_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # kind: (all fields, required fields)
    "Instantiate": ({"origin", "value", "gas_limit", "storage_deposit_limit", "code", "data", "salt"}, set()),
    "Upload": ({"origin", "code", "storage_deposit_limit"}, set()),
    "Call": ({"origin", "dest", "value", "gas_limit", "storage_deposit_limit", "data"}, {"dest"}),
    "VerifyCall": ({"success", "output", "gas_consumed"}, {"success"}),
    "VerifyBalance": ({"origin", "expected"}, {"origin", "expected"}),
    "VerifyStorage": ({"contract", "key", "expected"}, {"contract", "key"}),
}
PROOF_SIZE_DEFAULT = 3 * 1024 * 1024 * 1024


class SpecError(Exception):
    """A spec that cannot be read or run (bad JSON, unknown action, bad address, missing file…); one line."""


# --------------------------------------------------------------------------------------------------------------------
# The spec model


@dataclass(frozen=True)
class TestAddress:
    """revive's `TestAddress`: Alice/Bob/Charlie, `Instantiated(n)` or `AccountId(0x…)`."""

    kind: str
    index: int = 0
    account: bytes = b""

    __test__ = False  # not a pytest class

    def __str__(self) -> str:
        if self.kind == "Instantiated":
            return f"Instantiated({self.index})"
        if self.kind == "AccountId":
            return "0x" + self.account.hex()
        return self.kind


ALICE_ADDRESS = TestAddress("Alice")


@dataclass(frozen=True)
class Code:
    """revive's `Code`: `Bytes`, `Path`, `Hash` or `Solidity` (an empty `Bytes` means "this .sol's contract")."""

    kind: str
    data: bytes = b""
    path: Path | None = None
    contract: str = ""
    solc_optimizer: bool = True  #: Solidity: whether solc optimizes (the runner's `solc_optimizer`, default true)


@dataclass
class Action:
    index: int  #: position in the spec's `actions`
    kind: str
    origin: TestAddress = ALICE_ADDRESS
    dest: TestAddress | None = None  #: Call dest, VerifyStorage contract
    value: int = 0
    gas_limit: tuple[int, int] | None = None  #: (ref_time, proof_size)
    storage_deposit_limit: int | None = None
    code: Code | None = None
    data: bytes = b""
    salt: bytes | None = None
    success: bool = True
    output: bytes | None = None
    gas_consumed: int | tuple[int, int] | None = None
    expected: int | bytes = 0
    key: bytes = b""
    implicit: bool = False  #: the VerifyCall injected after an Instantiate/Call


@dataclass
class Spec:
    name: str
    base_dir: Path
    differential: bool
    balances: list[tuple[bytes, int]]
    actions: list[Action]
    source: Path | None = None  #: the .sol this spec came from
    contract: str | None = None  #: contract compiled for actions without code (.sol specs)

    def steps(self, differential: bool) -> list[Action]:
        """The actions to run: revive's `Specs::actions()` injects `VerifyCall{success: true}` after each
        Instantiate/Call not followed by a VerifyCall, except in differential mode."""
        out: list[Action] = []
        for i, action in enumerate(self.actions):
            out.append(action)
            following = self.actions[i + 1] if i + 1 < len(self.actions) else None
            if (action.kind in ("Instantiate", "Call") and not differential
                    and (following is None or following.kind != "VerifyCall")):  # fmt: skip
                out.append(Action(action.index, "VerifyCall", implicit=True))
        return out


# --------------------------------------------------------------------------------------------------------------------
# Parsing


def _hex(value: Any, what: str, length: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise SpecError(f"{what}: expected a hex string, got {json.dumps(value)}")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise SpecError(f"{what}: {value!r} is not hex") from None
    if length is not None and len(raw) != length:
        raise SpecError(f"{what}: expected {length} bytes, got {len(raw)}")
    return raw


def _uint(value: Any, what: str, bits: int = 256) -> int:
    """A non-negative integer of at most `bits` bits (balances and values are U256, weights u64), or a SpecError."""
    if isinstance(value, str):
        try:
            value = int(value, 0)
        except ValueError:
            raise SpecError(f"{what}: {value!r} is not an integer") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecError(f"{what}: expected a non-negative integer, got {json.dumps(value)}")
    if value >> bits:
        raise SpecError(f"{what}: {value} does not fit in {bits} bits")
    return value


def _weight(value: Any, what: str) -> tuple[int, int]:
    if isinstance(value, dict):
        unknown = set(value) - {"ref_time", "proof_size"}
        if unknown or "ref_time" not in value:
            raise SpecError(f'{what}: a weight is {{"ref_time": n, "proof_size": n}}, got {json.dumps(value)}')
        return _uint(value["ref_time"], f"{what} ref_time", 64), _uint(value.get("proof_size", PROOF_SIZE_DEFAULT),
                                                                       f"{what} proof_size", 64)  # fmt: skip
    return _uint(value, what, 64), PROOF_SIZE_DEFAULT


def parse_address(value: Any, what: str) -> TestAddress:
    """A `TestAddress` from its serde form; SpecError otherwise."""
    if isinstance(value, str) and value in NAMED:
        return TestAddress(value)
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Instantiated":
            if isinstance(inner, bool) or not isinstance(inner, int) or inner < 0:
                raise SpecError(f"{what}: Instantiated needs a call index ≥ 0, got {json.dumps(inner)}")
            return TestAddress("Instantiated", index=inner)
        if key == "AccountId":
            return TestAddress("AccountId", account=_hex(inner, f"{what} AccountId", 20))
    raise SpecError(
        f'{what}: bad address {json.dumps(value)} (use "Alice", "Bob", "Charlie", {{"Instantiated": n}} '
        f'or {{"AccountId": "0x…"}})'
    )


def _code(value: Any, what: str, base_dir: Path) -> Code:
    if not isinstance(value, dict) or len(value) != 1:
        raise SpecError(f"{what}: code must be one of {{Path | Bytes | Hash | Solidity: …}}, got {json.dumps(value)}")
    ((kind, inner),) = value.items()
    if kind == "Path":
        if not isinstance(inner, str) or not inner:
            raise SpecError(f"{what}: Path needs a file name, got {json.dumps(inner)}")
        return Code("Path", path=base_dir / inner)
    if kind == "Bytes":
        if isinstance(inner, list):
            if not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in inner):
                raise SpecError(f"{what}: Bytes must be a hex string or a list of bytes (0-255)")
            return Code("Bytes", data=bytes(inner))
        return Code("Bytes", data=_hex(inner, f"{what} Bytes"))
    if kind == "Hash":
        return Code("Hash", data=_hex(inner, f"{what} Hash", 32))
    if kind == "Solidity":
        if not isinstance(inner, dict) or not isinstance(inner.get("contract"), str):
            raise SpecError(f'{what}: Solidity needs {{"contract": name, "path": file}}, got {json.dumps(inner)}')
        unknown = set(inner) - {"contract", "path", "solc_optimizer", "pipeline", "libraries"}
        if unknown:
            raise SpecError(f"{what}: unknown Solidity field(s) {', '.join(sorted(unknown))}")
        if inner.get("libraries"):
            raise SpecError(f"{what}: Solidity libraries are not supported")
        path = inner.get("path")
        if path is not None and not isinstance(path, str):
            raise SpecError(f"{what}: Solidity path must be a string, got {json.dumps(path)}")
        optimize = inner.get("solc_optimizer", True)
        if not isinstance(optimize, bool):
            raise SpecError(f"{what}: solc_optimizer must be true or false, got {json.dumps(optimize)}")
        return Code("Solidity", path=base_dir / path if path else None, contract=inner["contract"],
                    solc_optimizer=optimize)  # fmt: skip
    if kind == "Yul":
        raise SpecError(f"{what}: Yul code is not supported (pvmkit compiles Solidity only)")
    raise SpecError(f"{what}: unknown code kind {kind!r} (expected Path, Bytes, Hash or Solidity)")


def _action(index: int, item: Any, base_dir: Path) -> Action:
    if not isinstance(item, dict) or len(item) != 1:
        raise SpecError(f'action #{index}: expected {{"Kind": {{…}}}}, got {json.dumps(item)[:80]}')
    ((kind, body),) = item.items()
    if kind not in ACTION_FIELDS:
        raise SpecError(f"action #{index}: unknown action {kind!r} (expected one of {', '.join(ACTION_FIELDS)})")
    what = f"action #{index} {kind}"
    if not isinstance(body, dict):
        raise SpecError(f"{what}: expected an object, got {json.dumps(body)[:80]}")
    allowed, required = ACTION_FIELDS[kind]
    unknown = set(body) - allowed
    if unknown:
        raise SpecError(
            f"{what}: unknown field(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})"
        )
    missing = required - set(body)
    if missing:
        raise SpecError(f"{what}: missing field(s) {', '.join(sorted(missing))}")
    a = Action(index, kind)
    present = {k: v for k, v in body.items() if v is not None}
    if "origin" in present:
        a.origin = parse_address(present["origin"], f"{what} origin")
    if "value" in present:
        a.value = _uint(present["value"], f"{what} value")
    if "gas_limit" in present:
        a.gas_limit = _weight(present["gas_limit"], f"{what} gas_limit")
    if "storage_deposit_limit" in present:
        a.storage_deposit_limit = _uint(present["storage_deposit_limit"], f"{what} storage_deposit_limit")
    if kind in ("Instantiate", "Upload"):
        a.code = _code(present["code"], f"{what} code", base_dir) if "code" in present else Code("Bytes")
    if "data" in present:
        a.data = _hex(present["data"], f"{what} data")
    if "salt" in present and present["salt"] != "":
        a.salt = _hex(present["salt"], f"{what} salt", 32)
    if kind == "Call":
        a.dest = parse_address(body["dest"], f"{what} dest")
    elif kind == "VerifyCall":
        if not isinstance(body["success"], bool):
            raise SpecError(f"{what}: success must be true or false, got {json.dumps(body['success'])}")
        a.success = body["success"]
        if "output" in present:
            a.output = _hex(present["output"], f"{what} output")
        if "gas_consumed" in present:
            gas = present["gas_consumed"]
            a.gas_consumed = _weight(gas, f"{what} gas_consumed") if isinstance(gas, dict) else _uint(gas, what, 64)
    elif kind == "VerifyBalance":
        a.expected = _uint(body["expected"], f"{what} expected")
    elif kind == "VerifyStorage":
        a.dest = parse_address(body["contract"], f"{what} contract")
        a.key = _hex(body["key"], f"{what} key", 32)
        a.expected = _hex(present["expected"], f"{what} expected", 32) if "expected" in present else bytes(32)
    return a


def parse_spec(obj: Any, *, name: str, base_dir: Path, source: Path | None = None, contract: str | None = None) -> Spec:
    """A `Spec` from parsed JSON (revive's `Specs`: `differential`, `balances`, `actions`)."""
    if not isinstance(obj, dict):
        raise SpecError(f"a spec is a JSON object, got {type(obj).__name__}")
    unknown = set(obj) - {"differential", "balances", "actions"}
    if unknown:
        raise SpecError(f"unknown top-level field(s) {', '.join(sorted(unknown))} (allowed: differential, balances, "
                        "actions)")  # fmt: skip
    differential = obj.get("differential", False)
    if not isinstance(differential, bool):
        raise SpecError(f"differential must be true or false, got {json.dumps(differential)}")
    balances: list[tuple[bytes, int]] = [(ALICE, GENESIS_BALANCE), (BOB, GENESIS_BALANCE), (CHARLIE, GENESIS_BALANCE)]
    if "balances" in obj:
        raw = obj["balances"]
        if not isinstance(raw, list):
            raise SpecError('balances must be a list of ["<address hex>", amount] pairs')
        balances = []
        for i, pair in enumerate(raw):
            if not isinstance(pair, list) or len(pair) != 2:
                raise SpecError(f'balances #{i}: expected ["<address hex>", amount], got {json.dumps(pair)}')
            who = NAMED.get(pair[0]) if isinstance(pair[0], str) else None
            balances.append((who or _hex(pair[0], f"balances #{i} address", 20), _uint(pair[1], f"balances #{i}")))
    actions = obj.get("actions", [])
    if not isinstance(actions, list):
        raise SpecError("actions must be a list")
    parsed = [_action(i, item, base_dir) for i, item in enumerate(actions)]
    return Spec(name, base_dir, differential, balances, parsed, source, contract)


def _json(text: str, line_offset: int = 0) -> Any:
    try:
        return safejson.loads(text)
    except json.JSONDecodeError as e:
        message = e.msg.removesuffix(" at")  # ("Invalid control character at": found in review, "at at line")
        raise SpecError(f"invalid JSON: {message} at line {e.lineno + line_offset} column {e.colno}") from None
    except ValueError as e:  # nested too deeply, or an integer past Python's digit limit
        raise SpecError(f"invalid JSON: {e}") from None


def load_specs(path: str | Path, *, contract: str | None = None, name: str | None = None) -> list[Spec]:
    """The specs of a `.json` file (one) or of a `.sol` file (one per `/* runner.json … */` comment)."""
    path = Path(path)
    name = name or str(path)
    try:
        text = read_input(path, text=True)
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    base_dir = path.parent
    if path.suffix != ".sol":
        return [parse_spec(_json(text), name=name, base_dir=base_dir)]
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if current is None:
            if line.startswith(SPEC_MARKER_BEGIN):
                current = []
                blocks.append((number, current))
        elif line.startswith(SPEC_MARKER_END):
            current = None
        else:
            current.append(line)
    if current is not None:
        raise SpecError(f"the runner.json comment opened on line {blocks[-1][0]} is never closed with '*/'")
    if not blocks:
        raise SpecError(f"{path} has no '/* runner.json … */' spec comment")
    contract = contract or path.stem
    specs, bad = [], []
    for i, (start, lines) in enumerate(blocks):
        label = name if len(blocks) == 1 else f"{name}[{i}]"
        try:
            try:
                obj = _json("\n".join(lines), start)
            except SpecError as first:  # the runner joins the lines with nothing between (found in review: a hex
                try:  # string may run on to the next line there)
                    obj = _json("".join(lines))
                except SpecError:
                    raise first from None
            specs.append(parse_spec(obj, name=label, base_dir=base_dir, source=path, contract=contract))
        except SpecError as e:
            bad.append(f"{label}: {e}" if len(blocks) > 1 else str(e))
    if bad:  # (the file's other specs still run: `valid`, found in review)
        error = SpecError("; ".join(bad))
        error.valid = specs  # type: ignore[attr-defined]
        raise error
    return specs


# --------------------------------------------------------------------------------------------------------------------
# Running


@dataclass
class SpecResult:
    name: str
    checks: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def passed(self) -> int:
        return self.checks - self.failed

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class _Resolved:
    blob: bytes | None = None
    code_hash: bytes | None = None
    deps: list[bytes] = field(default_factory=list)
    evm: bytes | None = None
    evm_missing: str = ""


@dataclass
class _Outcome:
    kind: str  # Instantiate | Call
    success: bool
    output: bytes
    address: bytes | None = None
    logs: list[tuple[bytes, tuple[bytes, ...], bytes]] = field(default_factory=list)
    detail: str = ""
    weight: tuple[int, int] = (0, 0)


class _Abort(Exception):
    """Stop running a spec (an address that names no contract, a rejected upload…), revive panics here."""


# The runner's storage deposit limit where an action sets none (`unwrap_or(DEPOSIT_LIMIT)`, found in review: pvmkit
# had none): the current runner's, as its 10^12 endowments (v0.3.0's was 10^7, with 10^9).
DEPOSIT_LIMIT = 100_000_000_000


def _limit(action: Action) -> int:
    return DEPOSIT_LIMIT if action.storage_deposit_limit is None else action.storage_deposit_limit


def _fmt_bool(value: bool) -> str:
    return "true" if value else "false"


def _hexs(data: bytes) -> str:
    return "0x" + data.hex()


class _Runner:
    def __init__(self, spec: Spec, differential: bool, compiled: dict[tuple[Path, bool], dict]) -> None:
        from .env import Env

        self.spec = spec
        self.differential = differential
        self.result = SpecResult(spec.name)
        self.compiled = compiled
        self.env = Env(accounts=(), console_log=None)  # (a report of its own: no lines in between)
        for account, amount in spec.balances:
            self.env.set_balance(account, amount)
        self.chain = self.env.chain
        self.pvm: list[_Outcome] = []
        self.evm_results: list[_Outcome] = []
        self.evm = None
        self.pairs: dict[bytes, bytes] = {}  # pvm contract -> evm contract
        self.labels: dict[bytes, str] = {}
        self.seen_keys: dict[bytes, set[bytes]] = {}
        self.compared: dict[tuple, tuple[str, str]] = {}
        if differential:
            from .evm import EvmEnv

            config = self.chain.config
            self.evm = EvmEnv(chain_id=config.chain_id, block_number=self.chain.block_number,
                              timestamp=self.chain.timestamp, coinbase=config.block_author)  # fmt: skip
            for account, amount in spec.balances:
                self.evm.set_balance(account, amount)

    # Reporting.
    def check(self, action: Action, ok: bool, what: str, expected: str, got: str) -> bool:
        self.result.checks += 1
        if not ok:
            kind = action.kind if not action.implicit else self.spec.actions[action.index].kind
            self.result.failures.append(
                f"FAIL {self.spec.name}: action #{action.index} {kind}: {what} expected {expected} got {got}"
            )
        return ok

    # Addresses.
    def resolve(self, address: TestAddress, evm: bool = False) -> bytes:
        if address.kind in NAMED:
            return NAMED[address.kind]
        if address.kind == "AccountId":
            return address.account
        results = self.evm_results if evm else self.pvm
        n = address.index
        side = "EVM " if evm else ""
        if n >= len(results):
            raise _Abort(f"{address}: there are only {len(results)} Instantiate/Call results so far")
        outcome = results[n]
        if outcome.kind != "Instantiate":
            raise _Abort(f"{address}: result #{n} is a Call, not an Instantiate")
        if outcome.address is None:
            raise _Abort(f"{address}: {side}instantiation #{n} failed")
        return outcome.address

    def label(self, address: bytes) -> str:
        return self.labels.get(address) or _hexs(address)

    # Code.
    def _compile(self, path: Path, solc_optimizer: bool = True) -> dict:
        from .revive.compiler import CompilerError, compile_solidity

        path = path.resolve()
        key = (path, solc_optimizer)
        if key not in self.compiled:
            if not path.is_file():
                raise SpecError(f"Solidity source {path} not found")
            try:
                self.compiled[key] = compile_solidity(path, solc_optimizer=solc_optimizer, optimizer="3")  # (-O3,
                # the runner's OptimizerSettings::cycles())
            except CompilerError as e:  # (its first lines: "compilation failed:" alone hid the cause, found in review)
                text = " ".join(line.strip() for line in str(e).splitlines()[:3] if line.strip())
                raise SpecError(f"compiling {path.name} failed: {text or e}") from None
        return self.compiled[key]

    def code(self, action: Action) -> _Resolved:
        code = action.code or Code("Bytes")
        what = f"action #{action.index} {action.kind}"
        if code.kind == "Bytes" and not code.data:
            if self.spec.source is None:
                raise SpecError(f"{what}: no code (give Path, Bytes, Hash or Solidity)")
            code = Code("Solidity", path=self.spec.source, contract=self.spec.contract or self.spec.source.stem)
        if code.kind == "Bytes":
            return _Resolved(blob=code.data, evm_missing="Bytes code has no EVM counterpart")
        if code.kind == "Hash":
            return _Resolved(code_hash=code.data, evm_missing="Hash code has no EVM counterpart")
        if code.kind == "Path":
            assert code.path is not None
            try:
                blob = read_input(code.path)
            except OSError as e:
                raise SpecError(f"{what}: cannot read {code.path}: {e.strerror or e}") from None
            resolved = _Resolved(blob=blob)
            stem = code.path.with_suffix("")
            for suffix in (".evm.hex", ".evm.bin"):
                sibling = stem.with_name(stem.name + suffix)
                if sibling.is_file():
                    try:
                        resolved.evm = bytes.fromhex(read_input(sibling, text=True).strip().removeprefix("0x"))
                    except OSError as e:
                        raise SpecError(f"{what}: cannot read {sibling}: {e.strerror or e}") from None
                    except ValueError:
                        raise SpecError(f"{what}: {sibling} is not hex") from None
                    break
            else:
                resolved.evm_missing = f"no {stem.name}.evm.hex next to {code.path.name}"
            return resolved
        # Solidity
        path = code.path or self.spec.source
        if path is None:
            raise SpecError(f"{what}: Solidity code needs a path outside a .sol spec")
        contracts = self._compile(path, code.solc_optimizer)
        contract = contracts.get(code.contract) or next(
            (c for c in contracts.values() if c.name == code.contract and Path(c.source).name == path.name), None
        )
        if contract is None:  # e.g. revive's flipper.sol holds `Flipper`
            folded = {c.name for c in contracts.values() if c.name.lower() == code.contract.lower()}
            contract = contracts.get(folded.pop()) if len(folded) == 1 else None
        if contract is None:
            names = sorted({c.name for c in contracts.values()})
            raise SpecError(f"{what}: no contract {code.contract!r} in {path.name} (has: {', '.join(names) or '-'})")
        from .revive.compiler import linked_libraries

        libraries = linked_libraries(contract)  # (its children's too: found in review)
        if libraries:  # (revive's runner has no such step either: its specs' contracts link nothing)
            names = ", ".join(library.qualified_name for library in libraries)
            raise SpecError(f"{what}: {contract.name} or a contract it creates calls the libraries {names}, which "
                            "run-spec does not deploy (Env.deploy_contract does)")  # fmt: skip
        deps: list[bytes] = []

        def collect(c: Any) -> None:
            for qualified in c.factory_deps.values():
                dep = contracts.get(qualified)
                if dep is not None and dep.blob not in deps:
                    collect(dep)
                    deps.append(dep.blob)

        collect(contract)
        return _Resolved(blob=contract.blob, deps=deps, evm=contract.evm_bytecode,
                         evm_missing="" if contract.evm_bytecode else "the compiler gave no EVM bytecode")  # fmt: skip

    def upload(self, origin: bytes, blob: bytes, deposit_limit: int | None = None) -> bytes:
        from .revive.primitives import CodeError

        try:
            return self.chain.upload_code(origin, blob, deposit_limit)
        except CodeError as e:
            raise _Abort(f"code upload failed: {e}") from None

    # Actions.
    def run(self) -> SpecResult:
        try:
            for action in self.spec.steps(self.differential):
                getattr(self, f"do_{action.kind}")(action)
        except _Abort as e:
            self.result.checks += 1
            self.result.failures.append(f"FAIL {self.spec.name}: action #{action.index} {action.kind}: {e}")
        except SpecError as e:  # (what ran before still counts: found in review, its failures went unreported)
            e.partial = self.result  # type: ignore[attr-defined]
            raise
        return self.result

    def do_Upload(self, action: Action) -> None:
        origin = self.resolve(action.origin)
        resolved = self.code(action)
        if resolved.blob is None:
            return  # revive skips uploading a Hash
        for dep in resolved.deps:
            self.upload(origin, dep)
        self.upload(origin, resolved.blob, _limit(action))  # (found in review: the limit was ignored)

    def _weight(self, action: Action) -> Any:
        from .revive.config import Weight

        return Weight(*action.gas_limit) if action.gas_limit else None

    def do_Instantiate(self, action: Action) -> None:
        from .pvm.blob import ProgramBlob
        from .revive.chain import CallResult
        from .revive.primitives import CodeError, keccak256

        origin = self.resolve(action.origin)
        resolved = self.code(action)
        if self.differential and resolved.evm is None:
            raise SpecError(f"action #{action.index} Instantiate: differential mode needs EVM bytecode: "
                            f"{resolved.evm_missing}")  # fmt: skip
        if self.differential and action.salt is not None:
            raise SpecError(f"action #{action.index} Instantiate: salt is not supported in differential mode")
        for dep in resolved.deps:
            self.upload(origin, dep)
        data = action.data
        result: CallResult | None = None
        code_hash = resolved.code_hash
        limit = _limit(action)
        if resolved.blob is not None:
            blob = resolved.blob
            length = ProgramBlob.blob_length(blob)
            if length is not None and length < len(blob):
                blob, data = blob[:length], blob[length:] + data
            # The code comes with the instantiation (the runner's Code::Upload): its deposit counts toward the limit,
            # the rest is the instantiation's (bare_instantiate's saturating_reduce; found in review: not counted).
            new = keccak256(blob) not in self.chain.state.codes
            try:
                code_hash = self.chain.upload_code(origin, blob, limit)
            except CodeError as e:
                result = CallResult(False, error=e.error, error_detail=e.detail)
            else:
                if new and limit is not None:
                    limit -= self.chain.upload_deposit(blob)
        if result is None:
            assert code_hash is not None
            result = self.chain.instantiate(origin, code_hash, data, value=action.value, salt=action.salt,
                                            gas_limit=self._weight(action), deposit_limit=limit)  # fmt: skip
        outcome = self._outcome("Instantiate", result)
        self.pvm.append(outcome)
        if outcome.address is not None:
            self.labels.setdefault(outcome.address, f"Instantiated({len(self.pvm) - 1})")
        if self.evm is not None:
            assert resolved.evm is not None
            gas = action.gas_limit[0] if action.gas_limit else None
            ok, address, output = self.evm.deploy(origin, resolved.evm, data, action.value, gas=gas)
            if result.success:  # the pallet bumped the deployer's nonce twice (pre-dispatch and in the constructor
                self.evm.bump_nonce(origin)  # frame), the EVM once: the next deploys' addresses agree (found in review)
            logs = [(log.address, log.topics, log.data) for log in self.evm.deploy_logs()] if ok else []
            self.evm_results.append(_Outcome("Instantiate", ok, output, address, logs, self._evm_detail(ok, output)))
            if ok and outcome.address is not None:
                assert address is not None
                self.pairs[outcome.address] = address
            self.compare(action)

    def do_Call(self, action: Action) -> None:
        assert action.dest is not None
        origin = self.resolve(action.origin)
        dest = self.resolve(action.dest)
        result = self.chain.call(origin, dest, action.data, value=action.value, gas_limit=self._weight(action),
                                 deposit_limit=_limit(action))  # fmt: skip
        self.pvm.append(self._outcome("Call", result))
        if self.evm is not None:
            evm_dest = self.resolve(action.dest, evm=True)
            gas = action.gas_limit[0] if action.gas_limit else None
            ok, output, logs = self.evm.call(origin, evm_dest, action.data, action.value, gas=gas)
            self.evm_results.append(_Outcome("Call", ok, output, None, [(g.address, g.topics, g.data) for g in logs],
                                             self._evm_detail(ok, output)))  # fmt: skip
            self.compare(action)

    def _evm_detail(self, ok: bool, output: bytes) -> str:
        from .contract import decode_revert

        assert self.evm is not None
        message = self.evm.last_error
        if ok:
            return ""
        if message.startswith("Revert"):
            return f"reverted: {decode_revert(output)[0]}"
        halt = re.match(r"Halt \{ reason: (\w+)", message)
        return f"halt {halt.group(1)}" if halt else message.splitlines()[0] if message else "failed"

    def _outcome(self, kind: str, result: Any) -> _Outcome:
        from .contract import decode_revert

        if result.success:
            detail = ""
        elif result.error is not None:
            detail = f"error {result.error.value}" + (f": {result.error_detail}" if result.error_detail else "")
        else:  # (with the custom errors of every contract compiled here: found in review, shown as raw bytes)
            errors = [item for contracts in self.compiled.values() for c in contracts.values() for item in c.abi
                      if item.get("type") == "error"]  # fmt: skip
            detail = f"reverted: {decode_revert(result.output, errors)[0]}"
        logs = [(e.address, tuple(e.topics), e.data) for e in result.logs] if result.success else []
        address = result.address if result.success or result.reverted else None  # (as the runner: a reverted
        # constructor's instantiation is Ok with its address, where a call to it is a plain transfer)
        weight = (result.weight.ref_time, result.weight.proof_size)
        return _Outcome(kind, result.success, result.output, address, logs, detail, weight)

    def do_VerifyCall(self, action: Action) -> None:
        if not self.pvm:
            raise _Abort("no Instantiate or Call to verify")
        last = self.pvm[-1]
        got = _fmt_bool(last.success) + (f" ({last.detail})" if last.detail else "")
        self.check(action, last.success == action.success, "success", _fmt_bool(action.success), got)
        if action.output is not None:
            self.check(action, last.output == action.output, "output", _hexs(action.output), _hexs(last.output))
        if action.gas_consumed is not None:
            if isinstance(action.gas_consumed, tuple):
                self.check(action, last.weight == action.gas_consumed, "gas_consumed",
                           "ref_time={} proof_size={}".format(*action.gas_consumed),
                           "ref_time={} proof_size={}".format(*last.weight))  # fmt: skip
            else:
                self.check(action, last.weight[0] == action.gas_consumed, "gas_consumed (ref_time)",
                           str(action.gas_consumed), str(last.weight[0]))  # fmt: skip

    def visible_balance(self, address: bytes) -> int:
        return max(self.chain.balance(address) - self.chain.config.existential_deposit, 0)

    def do_VerifyBalance(self, action: Action) -> None:
        address = self.resolve(action.origin)
        got = self.visible_balance(address)
        self.check(action, got == action.expected, f"balance of {action.origin}", str(action.expected), str(got))

    def do_VerifyStorage(self, action: Action) -> None:
        assert action.dest is not None
        address = self.resolve(action.dest)
        if address not in self.chain.state.contracts:
            where = "" if action.dest.kind == "AccountId" else f" (0x{address.hex()})"
            raise _Abort(f"{action.dest}{where} is not a contract")
        self.seen_keys.setdefault(address, set()).add(action.key)
        got = self.env.get_storage(address, action.key)
        assert isinstance(action.expected, bytes)
        if self.evm is not None and address in self.pairs:  # the EVM side must agree at this slot too
            what = f"differential storage of {self.label(address)} at {_hexs(action.key)}"
            evm_value = _hexs(self.evm.storage(self.pairs[address], action.key))
            self.compare_state(action, ("storage", address, action.key), what, evm_value, _hexs(got))
        self.check(action, got == action.expected, f"storage of {action.dest} at {_hexs(action.key)}",
                   _hexs(action.expected), _hexs(got))  # fmt: skip

    # Differential.
    def compare(self, action: Action) -> None:
        evm, pvm = self.evm_results[-1], self.pvm[-1]
        assert self.evm is not None

        def fmt(o: _Outcome) -> str:
            return _fmt_bool(o.success) + (f" ({o.detail})" if o.detail else "")

        self.check(action, evm.success == pvm.success, "differential success", f"{fmt(evm)} (evm)",
                   f"{fmt(pvm)} (pvm)")  # fmt: skip
        if action.kind == "Call" or not evm.success:
            self.check(action, evm.output == pvm.output, "differential output", f"{_hexs(evm.output)} (evm)",
                       f"{_hexs(pvm.output)} (pvm)")  # fmt: skip
        if evm.success and pvm.success:
            self.compare_logs(action, evm.logs, pvm.logs)
        # Only contracts paired by their Instantiate: a factory's children are not (found in review: a contract's
        # nonce starts at 0 on the pallet, 1 on the EVM, so a later child of the pallet's sits where the EVM's first
        # is, and pairing by address compared the two).
        for pvm_addr, evm_addr in self.pairs.items():
            name = self.label(pvm_addr)
            if pvm_addr not in self.chain.state.contracts:
                continue  # terminated
            balances = str(self.evm.balance(evm_addr)), str(self.visible_balance(pvm_addr))
            self.compare_state(action, ("balance", pvm_addr), f"differential balance of {name}", *balances)
            keys = self.seen_keys.setdefault(pvm_addr, set())
            keys.update(k for fixed, k in self.chain.state.contracts[pvm_addr].storage if fixed and len(k) == 32)
            keys.update(self.evm.storage_slots(evm_addr))  # (and the EVM's: found in review, as the runner's dump)
            for key in sorted(keys):
                expected, got = self.evm.storage(evm_addr, key), self.env.get_storage(pvm_addr, key)
                what = f"differential storage of {name} at {_hexs(key)}"
                self.compare_state(action, ("storage", pvm_addr, key), what, _hexs(expected), _hexs(got))

    def compare_state(self, action: Action, item: tuple, what: str, expected: str, got: str) -> None:
        """One balance or storage comparison, counted (and reported) only when either side changed since the
        last comparison of the same item: a lasting difference is reported once, by the action that caused it."""
        if self.compared.get(item) == (expected, got):
            return
        self.compared[item] = (expected, got)
        self.check(action, expected == got, what, f"{expected} (evm)", f"{got} (pvm)")

    def compare_logs(self, action: Action, evm_logs: list, pvm_logs: list) -> None:
        back = {v: k for k, v in self.pairs.items()}

        def fmt(log: tuple, mapped: bytes) -> str:
            topics = ",".join(_hexs(t) for t in log[1])
            return f"{self.label(mapped)} [{topics}] {_hexs(log[2])}"

        if len(evm_logs) != len(pvm_logs):
            self.check(action, False, "differential log count", f"{len(evm_logs)} (evm)", f"{len(pvm_logs)} (pvm)")
            return
        for i, (e, p) in enumerate(zip(evm_logs, pvm_logs, strict=True)):
            e_addr = back.get(e[0], e[0])
            if e[0] not in back and p[0] not in self.pairs:
                e_addr = p[0]  # (two unpaired emitters, a factory's children say: their addresses may differ)
            if (e_addr, e[1], e[2]) != (p[0], p[1], p[2]):
                self.check(action, False, f"differential log #{i}", f"{fmt(e, e_addr)} (evm)",
                           f"{fmt(p, p[0])} (pvm)")  # fmt: skip
                return
        self.check(action, True, "differential logs", "", "")


def run_spec(spec: Spec, *, differential: bool | None = None,
             compiled: dict[tuple[Path, bool], dict] | None = None) -> SpecResult:  # fmt: skip
    """Run one spec on a fresh chain; `differential` overrides the spec's flag. Raises SpecError for specs that
    cannot run (missing files, compile errors, differential without pyrevm or EVM bytecode)."""
    use_evm = spec.differential if differential is None else differential
    if use_evm:
        from .evm import INSTALL_HINT, available

        if not available():
            raise SpecError(INSTALL_HINT)
    return _Runner(spec, use_evm, {} if compiled is None else compiled).run()


def _may_be_spec(path: Path) -> bool:
    """Whether a file found in a folder is a spec: JSON with actions, or Solidity with a runner.json comment; one that
    cannot be read is listed, so that reading it says why (found in review: a traceback)."""
    try:
        text = read_input(path).decode(errors="replace")
    except OSError as e:  # (one too big to read is no spec: a build artifact, say)
        return e.errno != errno.EFBIG
    return '"actions"' in text if path.suffix == ".json" else SPEC_MARKER_BEGIN in text


def _collect(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            # (in a folder, only JSON with actions is a spec: an ABI or manifest beside them is not an error)
            found = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".sol") and p.is_file())
            out.extend(p for p in found if _may_be_spec(p))
        else:
            out.append(path)
    return out


@click.command("run-spec")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--contract", default=None, help="Contract compiled for code-less actions in .sol specs [file stem].")
@click.option("--differential/--no-differential", default=None,
              help="Force or skip the EVM (pyrevm) comparison [the spec's `differential`].")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Also print a line for every spec that passed.")
def run_spec_command(paths: tuple[Path, ...], contract: str | None, differential: bool | None, verbose: bool) -> None:
    """Run revive-runner specs (PATHS: .json files, .sol files with a /* runner.json */ comment, or folders).

    Prints one FAIL line per failed check and a last line "N passed, M failed"; exits 1 if any check failed
    or a spec could not be run.
    """
    passed = failed = errors = 0
    compiled: dict[tuple[Path, bool], dict] = {}
    collected = _collect(paths)
    if not collected:  # (a CI job pointed at the wrong folder must not pass: found in review)
        raise click.ClickException(f"no specs found in {', '.join(map(str, paths))} (.json specs, or .sol files with a"
                                   f" {SPEC_MARKER_BEGIN!r} comment)")  # fmt: skip
    for path in collected:
        try:
            specs = load_specs(path, contract=contract)
        except SpecError as e:  # (a .sol file's well-formed specs run all the same)
            click.echo(f"ERROR {path}: {e}")
            errors += 1
            specs = getattr(e, "valid", [])
        for spec in specs:
            error: SpecError | None = None
            try:
                result: SpecResult | None = run_spec(spec, differential=differential, compiled=compiled)
            except SpecError as e:  # (with what ran before the action that could not run, if any)
                error, result = e, getattr(e, "partial", None)
            if result is not None:
                for line in result.failures:
                    click.echo(line)
                if verbose and result.ok and error is None:
                    click.echo(f"ok {spec.name}: {result.checks} checks")
                passed += result.passed
                failed += result.failed
            if error is not None:
                click.echo(f"ERROR {spec.name}: {error}")
                errors += 1
    summary = f"{passed} passed, {failed} failed"
    if errors:
        summary += f", {errors} error{'s' if errors != 1 else ''}"
    click.echo(summary)
    if failed or errors:
        sys.exit(1)


__all__ = [
    "Action",
    "Code",
    "Spec",
    "SpecError",
    "SpecResult",
    "TestAddress",
    "load_specs",
    "parse_spec",
    "run_spec",
    "run_spec_command",
]
