"""Fixtures for the contract tests: a deployed ForecastMarket on anvil, accounts, and factories
for competitions and participants. Every test starts from the same chain (fn_isolation)."""
import pytest
from brownie import ForecastMarket, accounts, chain

from forecast_market.chain import mine_at
from forecast_market.protocol import ZERO32, CompetitionParams, Phase, test_set_commitment

from market_helpers import DAY, REWARD, TEST_CID, TEST_SALT, Player, deadlines


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
    """Factory for `CompetitionParams` with sensible defaults; `.as_tuple()` is what
    `createCompetition` takes. The windows are lengths in seconds from `start` (default: now)."""

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
    ) -> CompetitionParams:
        return CompetitionParams.starting(
            start if start is not None else chain.time(),
            submission_s=submission, reveal_s=reveal, evaluation_s=evaluation,
            dataCid=data_cid, target=target, sequenceLength=seq, horizon=horizon, metric=metric,
            higherIsBetter=higher, minScore=min_score, prizeBps=tuple(prize_bps), entryDeposit=deposit,
            testCommitment=commitment if commitment is not None else test_set_commitment(TEST_CID, TEST_SALT),
        )

    return make


@pytest.fixture
def create(market, organizer, params):
    """Create a competition (keywords as for `params`); returns its id."""

    def make(reward=REWARD, sender=None, **kw):
        tx = market.createCompetition(params(**kw).as_tuple(), {"from": sender or organizer, "value": reward})
        return tx.return_value

    return make


@pytest.fixture
def players(market):
    def make(comp_id, n=3, first=1):
        return [Player(market, accounts[first + i], comp_id, first + i) for i in range(n)]

    return make


@pytest.fixture
def competition_in(market, organizer, create, players):
    """Factory: a new competition brought to the start of `phase`; returns `(id, players)`.

    `phase` is one the clock moves through: SUBMISSION, REVEAL, EVALUATION or EXPIRED.
    - `n` players (accounts `first`, `first + 1`, ...) commit, each paying the entry deposit;
    - from REVEAL on, the clock is at `submissionEnd`; `reveal` says who has revealed: True for
      everyone, False for nobody, or the players' indexes (default: nobody in REVEAL, everyone
      later);
    - from EVALUATION on, the clock is at `revealEnd`; `test_set` says whether the organizer has
      revealed the test set (default: yes; it cannot be revealed earlier), and `scores` (one per
      player, so `n` defaults to their number) are posted for those who revealed;
    - in EXPIRED, the clock is at `evaluationEnd`.
    Each move of the clock mines a block at the deadline, so `market.phase(id)` reads `phase`
    and later transactions run just after it. Other keywords go to `create`.
    """
    clock_phases = (Phase.SUBMISSION, Phase.REVEAL, Phase.EVALUATION, Phase.EXPIRED)

    def make(phase, n=None, *, first=1, reveal=None, test_set=None, scores=None, **kw):
        if phase not in clock_phases:
            raise ValueError(f"competition_in brings a competition to one of {[p.name for p in clock_phases]}, "
                             f"not {phase!r}; settle it in the test")
        if phase == Phase.SUBMISSION and reveal:
            raise ValueError("nothing is revealed in SUBMISSION")
        if phase < Phase.EVALUATION and test_set:
            raise ValueError("the test set can be revealed only from EVALUATION (revealEnd) on")
        if scores is not None and phase < Phase.EVALUATION:
            raise ValueError("scores are posted from EVALUATION on")
        n = n if n is not None else (len(scores) if scores is not None else 3)
        later = phase > Phase.REVEAL
        reveal = later if reveal is None else reveal
        test_set = later if test_set is None else test_set

        cid = create(**kw)
        ps = players(cid, n, first)
        for p in ps:
            p.commit(value=kw.get("deposit", 0))
        sub, rev, ev = deadlines(market, cid)
        shown = [p for i, p in enumerate(ps) if (reveal if isinstance(reveal, bool) else i in reveal)]
        if phase >= Phase.REVEAL:
            mine_at(sub)
            for p in shown:
                p.reveal()
        if phase >= Phase.EVALUATION:
            mine_at(rev)
            if test_set:
                market.revealTestSet(cid, TEST_CID, ZERO32, 0, TEST_SALT, {"from": kw.get("sender") or organizer})
            if scores is not None and shown:
                market.postScores(cid, [p.account for p in shown], [scores[ps.index(p)] for p in shown],
                                  {"from": kw.get("sender") or organizer})
        if phase == Phase.EXPIRED:
            mine_at(ev)
        assert market.phase(cid) == phase
        return cid, ps

    return make
