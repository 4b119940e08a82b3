"""createCompetition and cancel: escrow, validation, events, views."""
from brownie import accounts, web3

from forecast_market.chain import mine_at, now
from forecast_market.protocol import MIN_WINDOW_S, Phase

from market_helpers import DAY, REWARD, at, deadlines, reverts, totals


def test_create_escrows_the_reward_and_stores_the_task(market, organizer, create):
    before = market.balance()
    cid = create(prize_bps=(6000, 4000), deposit=10**15, min_score=-5, higher=True, metric=4)
    assert cid == 1 and market.competitionCount() == 1
    assert market.balance() - before == REWARD
    c = market.competition(cid)
    assert c["organizer"] == organizer
    assert c["reward"] == REWARD
    assert c["entryDeposit"] == 10**15
    assert c["minScore"] == -5 and c["higherIsBetter"] and c["metric"] == 4
    assert c["prizeCount"] == 2 and list(c["prizeBps"]) == [6000, 4000, 0]
    assert c["target"] == "co2" and c["sequenceLength"] == 52 and c["horizon"] == 1
    assert market.phase(cid) == Phase.SUBMISSION
    assert totals(market) == (REWARD, 0)


def test_create_emits_created(market, organizer, params):
    p = params()
    tx = market.createCompetition(p.as_tuple(), {"from": organizer, "value": REWARD})
    ev = tx.events["CompetitionCreated"]
    assert ev["id"] == 1 and ev["organizer"] == organizer and ev["reward"] == REWARD
    assert ev["dataCid"] == p.dataCid and ev["submissionEnd"] == p.submissionEnd


def test_ids_are_sequential_and_independent(market, create):
    a, b = create(), create(reward=2 * REWARD)
    assert (a, b) == (1, 2)
    assert market.competition(b)["reward"] == 2 * REWARD


def test_create_without_reward_reverts(create):
    with reverts("EmptyReward"):
        create(reward=0)


def test_create_with_deadline_in_the_past_reverts(market, organizer, params):
    t = now() + 100
    p = params(start=t - 3 * DAY - 100)  # submissionEnd == t - 100 < now
    with reverts("InvalidDeadlines"):
        at(t)
        market.createCompetition(p.as_tuple(), {"from": organizer, "value": REWARD})


def test_create_with_submission_end_equal_to_now_reverts(market, organizer, params):
    t = now() + 100
    p = params(start=t, submission=0)
    with reverts("InvalidDeadlines"):
        at(t)
        market.createCompetition(p.as_tuple(), {"from": organizer, "value": REWARD})


def test_create_with_reveal_end_not_after_submission_end_reverts(create):
    with reverts("InvalidDeadlines"):
        create(reveal=0)


def test_create_with_a_reveal_window_under_an_hour_reverts(create):
    with reverts("InvalidDeadlines"):
        create(reveal=MIN_WINDOW_S - 1)
    create(reveal=MIN_WINDOW_S, evaluation=MIN_WINDOW_S)


def test_create_with_an_evaluation_window_under_an_hour_reverts(create):
    with reverts("InvalidDeadlines"):
        create(evaluation=MIN_WINDOW_S - 1)


def test_create_with_evaluation_end_not_after_reveal_end_reverts(create):
    with reverts("InvalidDeadlines"):
        create(evaluation=0)


def test_create_with_split_not_summing_to_10000_reverts(create):
    with reverts("InvalidPrizeSplit"):
        create(prize_bps=(5000, 4000))


def test_create_with_more_than_three_prizes_reverts(create):
    with reverts("InvalidPrizeSplit"):
        create(prize_bps=(4000, 3000, 2000, 1000))


def test_create_with_empty_prize_split_reverts(create):
    with reverts("InvalidPrizeSplit"):
        create(prize_bps=())


def test_create_with_zero_share_reverts(create):
    with reverts("InvalidPrizeSplit"):
        create(prize_bps=(10_000, 0))


def test_create_without_data_cid_reverts(create):
    with reverts("InvalidTask"):
        create(data_cid="")


def test_create_without_target_reverts(create):
    with reverts("InvalidTask"):
        create(target="")


def test_create_with_zero_window_or_horizon_reverts(create):
    with reverts("InvalidTask"):
        create(seq=0)
    with reverts("InvalidTask"):
        create(horizon=0)


def test_unknown_competition_views_revert_and_phase_is_none(market):
    assert market.phase(7) == Phase.NONE
    with reverts("UnknownCompetition", 7):
        market.competition(7)
    with reverts("UnknownCompetition", 7):
        market.ranking(7)


def test_commit_to_unknown_competition_reverts(market):
    with reverts("UnknownCompetition", 3):
        market.commit(3, b"\x01" * 32, {"from": accounts[1]})


def test_cancel_before_any_commitment_credits_the_organizer(market, organizer, create):
    cid = create()
    tx = market.cancel(cid, {"from": organizer})
    assert "CompetitionCancelled" in tx.events
    assert market.balanceOf(organizer) == REWARD
    assert market.phase(cid) == Phase.CANCELLED
    assert totals(market) == (0, REWARD)


def test_cancel_by_someone_else_reverts(market, create):
    cid = create()
    with reverts("NotOrganizer", cid, accounts[1]):
        market.cancel(cid, {"from": accounts[1]})


def test_cancel_after_a_commitment_reverts(market, organizer, create, players):
    cid = create()
    players(cid, 1)[0].commit()
    with reverts("HasCommitments", cid, 1):
        market.cancel(cid, {"from": organizer})


def test_cancel_twice_reverts(market, organizer, create):
    cid = create()
    market.cancel(cid, {"from": organizer})
    with reverts("AlreadySettled", cid):
        market.cancel(cid, {"from": organizer})


def test_phase_follows_the_clock(market, create):
    cid = create()
    sub, rev, ev = deadlines(market, cid)
    mine_at(sub - 1)
    assert market.phase(cid) == Phase.SUBMISSION
    mine_at(sub)
    assert market.phase(cid) == Phase.REVEAL
    mine_at(rev)
    assert market.phase(cid) == Phase.EVALUATION
    mine_at(ev)
    assert market.phase(cid) == Phase.EXPIRED


def test_commitment_helper_matches_the_client_formula(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    assert market.commitmentFor(p.cid, p.sha, p.salt, p.account, cid) == web3.to_hex(p.commitment)
    assert web3.keccak(b"") != p.commitment
