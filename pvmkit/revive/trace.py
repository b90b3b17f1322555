"""Call traces: what each frame of a transaction did, its calls and events in order (foundry's `-vvvv` tree).

A traced transaction runs on TracingStack, a Stack that records its frames; an untraced one runs on Stack itself, so
tracing costs nothing unless asked for (`Chain.tracing`, `Env(tracing=True)`). Rendering with names and decoded
arguments needs ABIs, which the chain does not have: `pvmkit.traces` does that for an Env.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .exec import ExecReturn, Frame, Host, MockedReturn, Stack
from .primitives import ExecError, PalletError
from .state import Address, Event, Hash, RawEvents, decoded


@dataclass(eq=False)
class CallTrace:
    """One call, delegate call, instantiation or precompile call of a transaction, and what it did."""

    kind: str  # "call", "staticcall", "delegatecall", "create" or "create2"
    caller: Address
    address: Address | None  # whose account it ran as (the new contract's for a create; None: a create that failed)
    code_address: Address | None  # a delegate call's: the account whose code ran
    code_hash: Hash | None  # the code that ran (a create that failed before its frame: the code it was given); None:
    # none did (an account without code, a precompile, an error before the frame)
    value: int
    input: bytes
    depth: int  # 0: the transaction's own call
    precompile: bool = False
    mocked: bool = False  # answered by Chain.mock_call, without code
    output: bytes = b""
    reverted: bool = False
    error: PalletError | None = None
    error_detail: str = ""
    gas_used: int = 0  # fuel, its calls' included, rounded up (CallResult.gas_used's unit)
    storage_deposit: int = 0  # what it and its calls charged (negative: refunded), if its changes were kept
    items: list[CallTrace | Event | RawEvents] = field(default_factory=list)  # its events and calls, in order
    _cursor: int = field(default=0, repr=False)  # (while it runs: the state's events taken into `items` so far)

    @property
    def success(self) -> bool:
        return not self.reverted and self.error is None

    @property
    def calls(self) -> list[CallTrace]:
        return [item for item in self.items if type(item) is CallTrace]

    @property
    def events(self) -> list[Event]:
        """The events it emitted itself (those of a frame that reverted included: they happened, then went)."""
        return decoded([item for item in self.items if type(item) is not CallTrace])

    def entries(self) -> list[CallTrace | Event]:
        """Its calls and events in the order they happened, events decoded."""
        out: list[CallTrace | Event] = []
        for item in self.items:
            if type(item) is RawEvents:
                out.extend(decoded([item]))
            else:
                out.append(item)  # type: ignore[arg-type]
        return out

    def walk(self) -> Iterator[CallTrace]:
        """This call and every call under it, depth first, in the order they started."""
        yield self
        for call in self.calls:
            yield from call.walk()

    def failure(self) -> CallTrace | None:
        """Where a failed call's failure came from: the innermost call whose revert data its caller reverted with as
        its own (what Solidity does with a failed call's), following the last call each made; a call that failed with
        an error (a trap) is its own failure, but one out of gas after its last call ran out of gas too points there,
        at the call that took the gas (found in review: a looping callee's caller was blamed). None when this call
        succeeded. (A caller that caught a failed call and then reverted with the same data, say none, is taken to
        have passed it on.)"""
        if self.success:
            return None
        node = self
        while True:
            calls = node.calls
            last = calls[-1] if calls else None
            if last is None or last.success:
                break
            if node.error is None:
                if last.output != node.output:
                    break
            elif not (node.error is PalletError.OutOfGas and last.error is PalletError.OutOfGas):
                break
            node = last
        return node


_NO_CODE: tuple[str, Address | None] = ("call", None)


class TracingStack(Stack):
    """A Stack that records each frame (and each call that ran no code) as a CallTrace: `root` once it is done."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.root: CallTrace | None = None
        self._open: list[CallTrace] = []
        self._pending: tuple[str, Address | None] | None = None  # the next frame's kind and code address

    def call(self, dest: Address, value: int, input_data: bytes, **options: Any) -> ExecReturn:
        kind = "staticcall" if options.get("read_only") else "call"
        return self._step(kind, dest, None, value, input_data, lambda: super(TracingStack, self).call(
            dest, value, input_data, **options))  # fmt: skip

    def delegate_call(self, code_address: Address, input_data: bytes, **options: Any) -> ExecReturn:
        top = self.frames[-1]
        return self._step("delegatecall", top.account, code_address, top.value, input_data,
                          lambda: super(TracingStack, self).delegate_call(code_address, input_data, **options))

    def instantiate(self, code_hash: Hash, value: int, input_data: bytes, salt: bytes | None,
                    **options: Any) -> tuple[Address, ExecReturn]:  # fmt: skip
        return self._step("create" if salt is None else "create2", None, None, value, input_data,
                          lambda: super(TracingStack, self).instantiate(code_hash, value, input_data, salt, **options),
                          code_hash)

    def _step(self, kind: str, dest: Address | None, code_address: Address | None, value: int, input_data: bytes,
              step: Callable[[], Any], code_hash: Hash | None = None) -> Any:  # fmt: skip
        """Run a call, delegate call or instantiation; one that ran no frame (an account without code, or an error
        before its frame) is recorded here, as a call without code."""
        open_before = len(self._open)
        recorded = self._recorded
        self._pending = (kind, code_address)
        try:
            out = step()
        except ExecError as e:
            if self._recorded == recorded:
                node = self._leaf(kind, dest or e.address, code_address, value, input_data, open_before, code_hash)
                node.error, node.error_detail = e.error, e.detail
            raise
        finally:
            self._pending = None
        if self._recorded == recorded:
            node = self._leaf(kind, dest, code_address, value, input_data, open_before)
            if type(out) is MockedReturn:
                node.mocked, node.output, node.reverted = True, out.data, out.reverted
        return out

    _recorded = 0  # frames recorded so far (how _step tells whether its call ran one)

    def _leaf(self, kind: str, dest: Address | None, code_address: Address | None, value: int, input_data: bytes,
              depth: int, code_hash: Hash | None = None) -> CallTrace:  # fmt: skip
        caller = self.frames[-1].account if self.frames else self.sender
        if kind == "delegatecall":
            caller = self.frames[-1].caller
        node = CallTrace(kind, caller, dest, code_address, code_hash, value, input_data, depth)
        self._attach(node)
        return node

    def run_frame(self, frame: Frame, body: Callable[[Frame], ExecReturn] | None = None,
                  before: Callable[[Frame], None] | None = None) -> ExecReturn:  # fmt: skip
        kind, code_address = self._pending or _NO_CODE
        self._pending = None
        self._recorded += 1
        node = CallTrace(kind, frame.caller, frame.account, code_address, frame.code_hash, frame.value,
                         frame.input or b"", len(self._open), precompile=frame.code_hash is None)  # fmt: skip
        self._attach(node)
        node._cursor = len(self.state.events)
        self._open.append(node)

        def traced(f: Frame) -> ExecReturn:
            try:
                if body is not None:
                    return body(f)
                if before is not None:
                    before(f)
                return Host.run(self, f)
            finally:  # (its events, before a revert takes them back)
                self._take_events(node)

        try:
            result = super().run_frame(frame, traced)
        except ExecError as e:
            node.error, node.error_detail = e.error, e.detail
            raise
        else:
            node.output, node.reverted = result.data, result.reverted
            if not node.reverted:
                node.storage_deposit = frame.deposit.amount
            return result
        finally:
            self._open.pop()
            node.gas_used = -(-frame.weight.used_ref // self.config.schedule.ref_time_per_fuel)
            if self._open:  # (the caller's events go on from here: what this call kept is its own)
                self._open[-1]._cursor = len(self.state.events)

    def _attach(self, node: CallTrace) -> None:
        if self._open:
            parent = self._open[-1]
            self._take_events(parent)
            parent.items.append(node)
        elif self.root is None:
            self.root = node

    def _take_events(self, node: CallTrace) -> None:
        events = self.state.events
        if len(events) > node._cursor:
            node.items.extend(events[node._cursor :])
            node._cursor = len(events)
