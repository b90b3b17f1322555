"""Testing a resolc-compiled ERC-20 with pvmkit, pytest style: `python -m pytest examples/test_token.py`.

The blob and ABI ship with pvmkit (pvmkit/data, built from tests/contracts/ERC20.sol by resolc 0.3.0). With node
installed, `Env().compile("MyToken.sol")["MyToken"]` gives the same kind of object for your own source.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pvmkit import ALICE, BOB, CHARLIE, Contract, ContractRevert, Env
from pvmkit.demo import demo_contract


@pytest.fixture(scope="module")
def env() -> Env:
    return Env()  # a private chain; Alice, Bob and Charlie are funded and Alice sends by default


@pytest.fixture(scope="module")
def token(env: Env) -> Contract:
    return env.deploy_contract(demo_contract(), "Example Token", "EXT", 1_000)


@pytest.fixture(autouse=True)
def isolated(env: Env, token: Contract) -> Iterator[None]:
    with env.anchor():  # whatever a test does is rolled back after it: each starts from the deployment
        yield


def test_deployment(token: Contract) -> None:
    assert (token.name(), token.symbol(), token.totalSupply()) == ("Example Token", "EXT", 1_000)
    assert token.balanceOf(ALICE) == 1_000


def test_transfer_moves_tokens_and_emits_transfer(env: Env, token: Contract) -> None:
    assert token.transfer(BOB, 250) is True
    [log] = token.decode_logs(env.last_result.logs)  # the last call's result (views are calls too)
    assert log.event == "Transfer" and log.args == {"from": ALICE, "to": BOB, "value": 250}
    assert (token.balanceOf(ALICE), token.balanceOf(BOB)) == (750, 250)


def test_overdraft_reverts_with_the_custom_error(token: Contract) -> None:
    with pytest.raises(ContractRevert) as revert:
        token.transfer(BOB, 1_001)
    assert "InsufficientBalance" in revert.value.reason
    assert token.balanceOf(BOB) == 0


def test_allowances_with_prank(env: Env, token: Contract) -> None:
    token.approve(BOB, 100)
    with env.prank(BOB):  # calls in this block come from Bob
        token.transferFrom(ALICE, CHARLIE, 60)
        with pytest.raises(ContractRevert):
            token.transferFrom(ALICE, CHARLIE, 41)
    assert token.allowance(ALICE, BOB) == 40 and token.balanceOf(CHARLIE) == 60


def test_each_test_starts_from_the_deployment(token: Contract) -> None:
    assert token.balanceOf(BOB) == 0 and token.balanceOf(CHARLIE) == 0
