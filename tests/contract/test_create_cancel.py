"""createCompetition and cancel: escrow, validation, events, views."""
import dataclasses

import pytest
from brownie import accounts, web3

from forecast_market.chain import mine_at, now
from forecast_market.protocol import MAX_WINDOW_S, MIN_WINDOW_S, ZERO32, CreditReason, Phase

from market_helpers import DAY, REWARD, Player, at, credits, deadlines, expect, reverts, totals


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
    assert dict(tx.events["CompetitionCreated"]) == {
        "id": 1, "organizer": organizer, "reward": REWARD, "dataCid": p.dataCid,
        "submissionEnd": p.submissionEnd, "revealEnd": p.revealEnd, "evaluationEnd": p.evaluationEnd}


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


WINDOWS = {"submission": 3 * DAY, "reveal": DAY, "evaluation": DAY}


@pytest.mark.parametrize("window", list(WINDOWS))
@pytest.mark.parametrize("offset, error", [(-1, None), (0, None), (1, "InvalidDeadlines")],
                         ids=["MAX_WINDOW-1-ok", "MAX_WINDOW+0-ok", "MAX_WINDOW+1-InvalidDeadlines"])
def test_each_window_is_at_most_max_window(market, organizer, params, window, offset, error):
    t = now() + 100
    p = params(start=t, **(WINDOWS | {window: MAX_WINDOW_S + offset}))
    at(t)
    with expect(error, p.submissionEnd, p.revealEnd, p.evaluationEnd, t):
        market.createCompetition(p.as_tuple(), {"from": organizer, "value": REWARD})


def test_an_evaluation_deadline_near_2_to_the_64_reverts_instead_of_locking_the_fallback(market, organizer, params):
    p = params()
    p = dataclasses.replace(p, evaluationEnd=2**64 - 1)
    with reverts("InvalidDeadlines", p.submissionEnd, p.revealEnd, 2**64 - 1):
        market.createCompetition(p.as_tuple(), {"from": organizer, "value": REWARD})
    q = dataclasses.replace(p, submissionEnd=2**64 - 1, revealEnd=2**64 - 1)  # no overflow panic either
    with reverts("InvalidDeadlines", 2**64 - 1, 2**64 - 1, 2**64 - 1):
        market.createCompetition(q.as_tuple(), {"from": organizer, "value": REWARD})


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
    assert dict(tx.events["CompetitionCancelled"]) == {"id": cid}
    assert credits(tx) == [(organizer, cid, REWARD, CreditReason.CANCELLATION)]
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


def test_a_free_commitment_blocks_cancel_but_the_organizer_is_refunded_when_reveals_close(
        market, organizer, create):
    cid = create()  # no deposit: a stranger can block cancel for free...
    Player(market, accounts[5], cid, 5).commit()
    with reverts("HasCommitments", cid, 1):
        market.cancel(cid, {"from": organizer})
    rev = deadlines(market, cid)[1]
    at(rev)  # ...but nobody revealed: finalize opens at revealEnd and refunds the organizer at once
    tx = market.finalize(cid, {"from": organizer})
    assert dict(tx.events["Refunded"]) == {"id": cid, "organizer": organizer, "amount": REWARD, "refundableAt": rev}
    assert credits(tx) == [(organizer, cid, REWARD, CreditReason.REFUND)]
    assert market.balanceOf(organizer) == REWARD


def test_a_blocking_commitment_costs_its_deposit(market, organizer, create):
    deposit = 10**16
    cid = create(deposit=deposit)
    Player(market, accounts[5], cid, 5).commit(value=deposit)
    at(deadlines(market, cid)[1])
    market.finalize(cid, {"from": organizer})
    assert market.balanceOf(organizer) == REWARD + deposit  # the griefer's deposit is forfeited
    assert market.balanceOf(accounts[5]) == 0


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
    assert market.commitmentFor(p.cid, p.sha, ZERO32, p.salt, p.account, cid) == web3.to_hex(p.commitment)
    assert web3.keccak(b"") != p.commitment
