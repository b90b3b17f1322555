"""The benchmark harness's own machinery, not speed: the ERC-20 time split wraps what the contract host calls (a
change to Host.run once made it fail, and BENCHMARKS.md lost its split table without a failing test)."""

from __future__ import annotations

import pytest

from benchmarks.erc20 import BOB, CONSTRUCTOR_ARGS, Split, _transfer_calldata, instrumented, load_contract, vm_class
from pvmkit.env import Env
from pvmkit.pvm.jit import is_supported
from pvmkit.revive.syscalls import Host

BACKENDS = ["interpreter"] + (["jit"] if is_supported() else [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_erc20_time_split_counts_vm_and_host_time_and_puts_everything_back(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("PVMKIT_BACKEND", raising=False)  # (the backend named: its class is the one wrapped)
    env = Env(backend=backend)
    token = env.deploy_contract(load_contract("ERC20"), *CONSTRUCTOR_ARGS)
    data = _transfer_calldata(BOB, 1)
    env.call(token.address, data)
    run, start = Host.__dict__["run"], vm_class(backend).start
    one, two = Split(backend), Split(backend)
    with instrumented(one, backend):
        assert env.call(token.address, data).success
    with instrumented(two, backend):
        assert env.call(token.address, data).success and env.call(token.address, data).success
    assert 0 < one.vm < one.host and one.vm_runs >= 1
    assert two.instructions == 2 * one.instructions > 1_000  # (two like transfers: the same work twice)
    assert Host.__dict__["run"] is run and vm_class(backend).start is start
    assert env.call(token.address, data).success  # (the host runs frames as before)
