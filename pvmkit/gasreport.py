"""Gas per contract function over a stretch of a test (foundry's --gas-report): `with env.gas_report() as report:`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .contract import signature
from .revive.primitives import keccak256
from .revive.trace import CallTrace

Namer = Callable[[bytes], "tuple[str, list[dict]] | None"]  # an address → (contract name, ABI), if the Env knows it


@dataclass
class GasRow:
    """One contract function's calls: gas used in fuel (CallResult.gas_used), as foundry's report gives it."""

    contract: str
    function: str
    calls: int
    min: int
    mean: int
    median: int
    max: int


@dataclass
class GasReport:
    """What each call and deployment made while the report was open used, recorded with the name and ABI the Env
    knew for its address then (found in review: named when read, a contract an anchor had rolled back was unknown,
    or went under the name of a later one at its address)."""

    _name: Namer
    _records: list[tuple[bytes, tuple[str, list[dict]] | None, bytes, int]] = field(default_factory=list)

    def record(self, address: bytes, selector: bytes, gas: int, trace: CallTrace | None = None) -> None:
        """A transaction's own call or deployment, and with its `trace` the calls and deployments under it, as forge's
        report has every contract a test reached (found in an audit: a vault's token calls were missing)."""
        self._records.append((address, self._name(address), selector, gas))
        if trace is None:
            return
        for node in trace.walk():
            if node is trace:
                continue
            if node.kind.startswith("create"):
                if node.address is not None and node.success:
                    self._records.append((node.address, self._name(node.address), b"deploy", node.gas_used))
                continue
            # (a delegate call as the code's contract, whose ABI has the function; no code hash: no contract's code
            # ran, as for precompiles and mocked calls)
            address = node.code_address if node.kind == "delegatecall" else node.address
            if address is not None and node.code_hash is not None:
                self._records.append((address, self._name(address), node.input[:4], node.gas_used))

    @property
    def rows(self) -> list[GasRow]:
        """One row per contract and function (a deployment is function "(deploy)"; a selector the ABI does not know
        shows as its hex), ordered by contract, then function."""
        groups: dict[tuple[str, str], list[int]] = {}
        selectors: dict[int, dict[bytes, str]] = {}
        for address, named, selector, gas in self._records:
            contract, abi = named if named is not None else ("0x" + address.hex(), [])
            if selector == b"deploy":
                function = "(deploy)"
            else:
                table = selectors.get(id(abi))
                if table is None:
                    table = selectors[id(abi)] = {keccak256(signature(i).encode())[:4]: signature(i)
                                                  for i in abi if i.get("type") == "function"}  # fmt: skip
                function = table.get(selector) or ("0x" + selector.hex() if selector else "(no data)")
            groups.setdefault((contract, function), []).append(gas)
        rows = []
        for (contract, function), gases in sorted(groups.items()):
            ordered = sorted(gases)
            n = len(ordered)
            median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) // 2
            rows.append(GasRow(contract, function, n, ordered[0], sum(ordered) // n, median, ordered[-1]))
        return rows

    def __str__(self) -> str:
        header = ("contract", "function", "calls", "min", "mean", "median", "max")
        lines = [header] + [(r.contract, r.function, f"{r.calls:,}", f"{r.min:,}", f"{r.mean:,}", f"{r.median:,}",
                             f"{r.max:,}") for r in self.rows]  # fmt: skip
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        out = []
        for k, line in enumerate(lines):
            cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
            out.append("  ".join(cells).rstrip())
            if k == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out) + "\n(gas in fuel, CallResult.gas_used)"
