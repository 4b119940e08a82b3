"""Fixtures for the contract tests: a deployed ForecastMarket on anvil, accounts, and factories
for competitions and participants. Every test starts from the same chain (fn_isolation)."""
import pytest
from brownie import ForecastMarket, accounts, chain

from market_helpers import DAY, REWARD, Player, sealed_test_set


@pytest.fixture(scope="module")
def market():
    return ForecastMarket.deploy({"from": accounts[0]})


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def organizer():
    return accounts[0]


@pytest.fixture
def params():
    """Factory for CompetitionParams (a tuple in ABI order) with sensible defaults."""

    def make(
        start=None,
        submission=3 * DAY,
        reveal=DAY,
        evaluation=DAY,
        prize_bps=(10_000,),
        deposit=0,
        min_score=10**12,
        higher=False,
        data_cid="QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
        target="co2",
        seq=52,
        horizon=1,
        metric=0,
        commitment=None,
    ):
        now = start if start is not None else chain.time()
        sub_end = now + submission
        return (
            data_cid,
            target,
            seq,
            horizon,
            metric,
            higher,
            min_score,
            sub_end,
            sub_end + reveal,
            sub_end + reveal + evaluation,
            list(prize_bps),
            deposit,
            commitment if commitment is not None else sealed_test_set(),
        )

    return make


@pytest.fixture
def create(market, organizer, params):
    """Create a competition; returns its id."""

    def make(reward=REWARD, sender=None, **kw):
        tx = market.createCompetition(params(**kw), {"from": sender or organizer, "value": reward})
        return tx.return_value

    return make


@pytest.fixture
def players(market):
    def make(comp_id, n=3, first=1):
        return [Player(market, accounts[first + i], comp_id, first + i) for i in range(n)]

    return make


