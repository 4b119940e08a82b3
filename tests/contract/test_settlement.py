"""finalize, refunds, the challenge period, the fallback, deposits held to settlement, claims,
and where every wei goes."""
import pytest
from brownie import accounts

from forecast_market.protocol import CHALLENGE_PERIOD_S, CreditReason, Phase, Status, failure_score

from market_helpers import REWARD, at, credits, deadlines, edges, expect, reverts, totals

DEPOSIT = 10**16
FAILED = failure_score(False)  # the tests' metric is lower-is-better


# ------------------------------------------------------------------------------------- finalized

def test_finalize_splits_the_reward_exactly_across_three_winners(market, organizer, competition_in):
    reward = 10**18 + 7  # not divisible: rounding dust must go somewhere, not vanish
    cid, (a, b, c, d) = competition_in(Phase.EVALUATION, scores=[40, 10, 30, 20],
                                       reward=reward, prize_bps=(5000, 3000, 2000))
    tx = market.finalize(cid, {"from": organizer})
    assert dict(tx.events["Finalized"]) == {"id": cid, "winners": 3, "pool": reward}
    second, third = reward * 3000 // 10_000, reward * 2000 // 10_000
    first = reward - second - third  # rank 1 takes the dust
    assert credits(tx) == [(d.account, cid, second, CreditReason.PRIZE), (c.account, cid, third, CreditReason.PRIZE),
                           (b.account, cid, first, CreditReason.PRIZE)]
    assert market.balanceOf(a.account) == 0
    assert market.balanceOf(organizer) == 0
    assert totals(market) == (0, reward)


@pytest.mark.parametrize("qualifying, split", [
    (2, (5000, 3000, 2000)),
    (1, (5000, 3000, 2000)),
    (1, (6000, 4000)),
], ids=["2-of-3-ranks", "1-of-3-ranks", "1-of-2-ranks"])
def test_shares_of_unfilled_ranks_go_to_the_winners_pro_rata_never_to_the_organizer(
        market, organizer, competition_in, qualifying, split):
    reward = 10**18 + 1
    scores = [10, 20, 30][:qualifying] + [5000] * (3 - qualifying)  # the rest miss the minimum (100)
    cid, ps = competition_in(Phase.EVALUATION, scores=scores, min_score=100, prize_bps=split, reward=reward)
    tx = market.finalize(cid, {"from": organizer})
    assert tx.events["Finalized"]["winners"] == qualifying
    filled = sum(split[:qualifying])
    prizes = [reward * bps // filled for bps in split[1:qualifying]]
    expected = [(p.account, cid, prize, CreditReason.PRIZE) for p, prize in zip(ps[1:qualifying], prizes, strict=True)]
    assert credits(tx) == expected + [(ps[0].account, cid, reward - sum(prizes), CreditReason.PRIZE)]
    assert market.balanceOf(organizer) == 0
    assert totals(market) == (0, reward)


def test_finalize_with_zero_submissions_refunds_at_once(market, organizer, create):
    cid = create()
    rev = deadlines(market, cid)[1]
    at(rev)
    tx = market.finalize(cid, {"from": accounts[4]})
    assert dict(tx.events["Refunded"]) == {"id": cid, "organizer": organizer, "amount": REWARD, "refundableAt": rev}
    assert credits(tx) == [(organizer, cid, REWARD, CreditReason.REFUND)]
    assert market.balanceOf(organizer) == REWARD
    with reverts("NoRefundPending", cid):
        market.claimRefund(cid, {"from": organizer})


def test_finalize_before_every_revealed_submission_is_scored_reverts(market, organizer, competition_in):
    cid, (a, b) = competition_in(Phase.EVALUATION, n=2)
    market.postScores(cid, [a.account], [1], {"from": organizer})
    with reverts("ScoringIncomplete", cid, 1, 2):
        market.finalize(cid, {"from": organizer})


def test_anyone_can_finalize_once_every_revealed_submission_is_scored(market, organizer, competition_in):
    cid, (a,) = competition_in(Phase.EVALUATION, scores=[1])
    market.finalize(cid, {"from": a.account})  # an organizer cannot withhold a finished ranking
    assert market.balanceOf(a.account) == REWARD


def test_finalize_by_anyone_before_scoring_is_complete_reverts(market, organizer, competition_in):
    other, (p, q) = competition_in(Phase.EVALUATION, n=2, first=3)
    market.postScores(other, [p.account], [5], {"from": organizer})
    with reverts("ScoringIncomplete", other, 1, 2):
        market.finalize(other, {"from": q.account})


def test_settling_after_the_deadline_with_complete_scoring_pays_the_ranking(market, organizer, competition_in):
    cid, (a, b) = competition_in(Phase.EVALUATION, scores=[9, 4], prize_bps=(10_000,))
    at(deadlines(market, cid)[2])  # the organizer scored everything but never finalized
    tx = market.settleWithoutEvaluation(cid, {"from": a.account})
    assert "Finalized" in tx.events and "SettledWithoutEvaluation" not in tx.events
    assert credits(tx) == [(b.account, cid, REWARD, CreditReason.PRIZE)]
    assert market.balanceOf(b.account) == REWARD and market.balanceOf(a.account) == 0
    assert market.phase(cid) == Phase.FINALIZED


def test_finalize_before_the_reveal_deadline_reverts(market, organizer, create):
    cid = create()
    rev = deadlines(market, cid)[1]
    at(rev - 1)
    with reverts("EvaluationNotOpen", cid, rev):
        market.finalize(cid, {"from": organizer})


def test_finalize_at_the_evaluation_deadline_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, scores=[1])
    ev = deadlines(market, cid)[2]
    at(ev)
    with reverts("EvaluationClosed", cid, ev):
        market.finalize(cid, {"from": organizer})


def test_finalize_twice_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, scores=[1])
    market.finalize(cid, {"from": organizer})
    with reverts("AlreadySettled", cid):
        market.finalize(cid, {"from": organizer})


def test_nothing_changes_after_settlement(market, organizer, competition_in):
    cid, (a, b) = competition_in(Phase.EVALUATION, scores=[1, 2], reveal={0})
    market.finalize(cid, {"from": organizer})
    with reverts("AlreadySettled", cid):
        market.postScores(cid, [b.account], [0], {"from": organizer})
    with reverts("AlreadySettled", cid):
        b.reveal()
    with reverts("AlreadySettled", cid):
        market.settleWithoutEvaluation(cid, {"from": b.account})


# ------------------------------------------------------------------------------------- deposits

def test_winners_get_prize_and_deposit_at_finalize_and_forfeited_deposits_join_the_pool(
        market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, scores=[5, 6, 7], reveal={0}, deposit=DEPOSIT)
    # a revealed and wins the reward plus b's and c's forfeited deposits, and gets its own back.
    tx = market.finalize(cid, {"from": organizer})
    assert dict(tx.events["Finalized"]) == {"id": cid, "winners": 1, "pool": REWARD + 2 * DEPOSIT}
    assert credits(tx) == [(a.account, cid, REWARD + 3 * DEPOSIT, CreditReason.PRIZE)]
    assert market.submission(cid, a.account)["status"] == Status.CLAIMED  # nothing more to claim
    for p in (a, b, c):
        with reverts("NothingToClaim", cid, p.account):
            market.claim(cid, p.account, {"from": p.account})
    assert market.balanceOf(b.account) == 0 and market.balanceOf(c.account) == 0
    assert totals(market) == (0, REWARD + 3 * DEPOSIT)


def test_scored_entries_that_did_not_win_claim_their_deposits(market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, scores=[5, 6, 7], deposit=DEPOSIT, prize_bps=(10_000,))
    market.finalize(cid, {"from": organizer})
    assert totals(market) == (2 * DEPOSIT, REWARD + DEPOSIT)  # b's and c's deposits wait for their claims
    tx = market.claim(cid, b.account, {"from": accounts[8]})  # anyone may claim for b; b is credited
    assert credits(tx) == [(b.account, cid, DEPOSIT, CreditReason.DEPOSIT)]
    assert market.submission(cid, b.account)["status"] == Status.CLAIMED
    with reverts("NothingToClaim", cid, b.account):
        market.claim(cid, b.account, {"from": b.account})
    before = c.account.balance()
    tx = market.claimAndWithdraw(cid, {"from": c.account})  # claim and receive in one transaction
    assert credits(tx) == [(c.account, cid, DEPOSIT, CreditReason.DEPOSIT)]
    assert dict(tx.events["Withdrawn"]) == {"account": c.account, "to": c.account, "amount": DEPOSIT}
    assert c.account.balance() - before == DEPOSIT  # gas price is 0 on the local chain
    assert market.balanceOf(c.account) == 0
    with reverts("NothingToClaim", cid, c.account):
        market.claimAndWithdraw(cid, {"from": c.account})
    assert totals(market) == (0, REWARD + 2 * DEPOSIT)


def test_five_sybil_entries_that_fail_lose_their_deposits(market, organizer, competition_in):
    # F3: one honest entry and five junk entries from one person, who hoped for 5/6 of the reward.
    cid, (honest, *sybils) = competition_in(Phase.EVALUATION, n=6, deposit=DEPOSIT)
    market.postScores(cid, [honest.account] + [s.account for s in sybils], [50] + [FAILED] * 5, {"from": organizer})
    assert market.competition(cid)["failedCount"] == 5
    tx = market.finalize(cid, {"from": organizer})
    assert tx.events["Finalized"]["pool"] == REWARD + 5 * DEPOSIT
    assert credits(tx) == [(honest.account, cid, REWARD + 6 * DEPOSIT, CreditReason.PRIZE)]
    for s in sybils:
        assert market.submission(cid, s.account)["status"] == Status.FAILED
        with reverts("NothingToClaim", cid, s.account):
            market.claimAndWithdraw(cid, {"from": s.account})
    assert totals(market) == (0, REWARD + 6 * DEPOSIT)


def test_claim_before_settlement_reverts(market, competition_in):
    cid, (a,) = competition_in(Phase.EVALUATION, scores=[1])
    with reverts("NotSettled", cid):
        market.claim(cid, a.account, {"from": a.account})
    with reverts("NotSettled", cid):
        market.claimAndWithdraw(cid, {"from": a.account})


def test_claim_in_an_unknown_competition_reverts(market):
    with reverts("UnknownCompetition", 9):
        market.claim(9, accounts[1], {"from": accounts[1]})


def test_claim_with_no_deposit_has_nothing_to_claim(market, organizer, competition_in):
    cid, (a, b) = competition_in(Phase.EVALUATION, scores=[1, 2])
    market.finalize(cid, {"from": organizer})
    with reverts("NothingToClaim", cid, b.account):
        market.claim(cid, b.account, {"from": b.account})


def test_claim_for_an_address_that_never_committed_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, scores=[1], deposit=DEPOSIT)
    market.finalize(cid, {"from": organizer})
    with reverts("NothingToClaim", cid, accounts[7]):
        market.claim(cid, accounts[7], {"from": accounts[7]})


# ------------------------------------------------------------------------------------- refunded

def test_nobody_meeting_the_minimum_refunds_the_organizer_only_after_the_challenge_period(
        market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, scores=[500, 600, 0], reveal={0, 1}, min_score=100,
                                    deposit=DEPOSIT)
    ev = deadlines(market, cid)[2]
    tx = market.finalize(cid, {"from": organizer})
    refund = REWARD + DEPOSIT  # the reward and c's forfeited deposit (c never revealed)
    assert dict(tx.events["Refunded"]) == {"id": cid, "organizer": organizer, "amount": refund,
                                           "refundableAt": ev + CHALLENGE_PERIOD_S}
    assert credits(tx) == []  # escrowed through the challenge period
    assert market.competition(cid)["refundPending"]
    assert market.phase(cid) == Phase.REFUNDED
    for p in (a, b):  # scored entries get their deposits back
        assert credits(market.claim(cid, p.account, {"from": p.account})) == [(p.account, cid, DEPOSIT, CreditReason.DEPOSIT)]
    with reverts("NothingToClaim", cid, c.account):
        market.claim(cid, c.account, {"from": c.account})
    assert totals(market) == (refund, 2 * DEPOSIT)


@edges(("refundableAt", -1, "RefundNotYetClaimable"), ("refundableAt", 0, None), ("refundableAt", 1, None))
def test_the_refund_is_claimable_from_evaluation_end_plus_the_challenge_period(
        market, organizer, competition_in, deadline, offset, error):
    cid, _ = competition_in(Phase.EVALUATION, scores=[500], min_score=100)
    market.finalize(cid, {"from": organizer})
    refundable_at = deadlines(market, cid)[2] + CHALLENGE_PERIOD_S
    at(refundable_at + offset)
    with expect(error, cid, refundable_at):
        tx = market.claimRefund(cid, {"from": accounts[6]})  # anyone may; the organizer is credited
    if error is None:
        assert credits(tx) == [(organizer, cid, REWARD, CreditReason.REFUND)]
        assert not market.competition(cid)["refundPending"]
        assert totals(market) == (0, REWARD)
        with reverts("NoRefundPending", cid):
            market.claimRefund(cid, {"from": organizer})


def test_organizer_posting_failures_for_everyone_gets_no_immediate_refund(market, organizer, competition_in):
    # F1: the organizer calls every model broken, hoping to take the pool (or at least its reward) back.
    cid, (a, b, c) = competition_in(Phase.EVALUATION, scores=[FAILED, FAILED, 0], reveal={0, 1},
                                    min_score=100, deposit=DEPOSIT)
    tx = market.finalize(cid, {"from": organizer})
    ev = deadlines(market, cid)[2]
    # the refund holds only the never-revealed deposit (c's), not the failed entries' deposits
    assert tx.events["Refunded"]["amount"] == REWARD + DEPOSIT
    assert tx.events["Refunded"]["refundableAt"] == ev + CHALLENGE_PERIOD_S
    for p in (a, b):  # declaring failures never profits the organizer: the failed get their deposits back
        assert market.submission(cid, p.account)["status"] == Status.FAILED
        assert credits(market.claim(cid, p.account, {"from": p.account})) == [(p.account, cid, DEPOSIT, CreditReason.DEPOSIT)]
    at(ev + CHALLENGE_PERIOD_S - 1)
    with reverts("RefundNotYetClaimable", cid, ev + CHALLENGE_PERIOD_S):
        market.claimRefund(cid, {"from": organizer})
    at(ev + CHALLENGE_PERIOD_S)
    market.claimRefund(cid, {"from": organizer})
    assert market.balanceOf(organizer) == REWARD + DEPOSIT
    assert totals(market) == (0, REWARD + 3 * DEPOSIT)


def test_claim_refund_of_a_competition_not_refunded_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, scores=[1])
    with reverts("NoRefundPending", cid):
        market.claimRefund(cid, {"from": organizer})
    market.finalize(cid, {"from": organizer})
    at(deadlines(market, cid)[2] + CHALLENGE_PERIOD_S)
    with reverts("NoRefundPending", cid):
        market.claimRefund(cid, {"from": organizer})


def test_settling_a_scored_competition_nobody_won_keeps_the_refund_pending(market, organizer, competition_in):
    cid, (a,) = competition_in(Phase.EVALUATION, scores=[500], min_score=100, deposit=DEPOSIT)
    ev = deadlines(market, cid)[2]
    at(ev)
    tx = market.settleWithoutEvaluation(cid, {"from": a.account})
    assert tx.events["Refunded"]["refundableAt"] == ev + CHALLENGE_PERIOD_S
    assert credits(tx) == []
    assert market.phase(cid) == Phase.REFUNDED


def test_settle_without_reveals_refunds_the_organizer_at_once(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EXPIRED, n=2, reveal=False, deposit=DEPOSIT)
    tx = market.settleWithoutEvaluation(cid, {"from": accounts[5]})
    assert tx.events["Refunded"]["amount"] == REWARD + 2 * DEPOSIT  # both deposits forfeited
    assert tx.events["Refunded"]["refundableAt"] == tx.timestamp
    assert credits(tx) == [(organizer, cid, REWARD + 2 * DEPOSIT, CreditReason.REFUND)]
    assert market.phase(cid) == Phase.REFUNDED


def test_zero_submissions_never_lock_funds(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[2] + 1)
    market.settleWithoutEvaluation(cid, {"from": accounts[3]})
    market.withdraw({"from": organizer})
    assert totals(market) == (0, 0)
    assert market.balance() == 0


# ------------------------------------------------------------------------------------- fallback

def test_organizer_vanishing_pays_the_revealed_participants(market, organizer, competition_in):
    reward = 10**18 + 1  # odd: the dust goes to the organizer, nothing is stuck
    cid, (a, b, c) = competition_in(Phase.REVEAL, reveal={0, 1}, reward=reward, deposit=DEPOSIT)
    ev = deadlines(market, cid)[2]
    at(ev - 1)
    with reverts("EvaluationStillOpen", cid, ev):
        market.settleWithoutEvaluation(cid, {"from": c.account})
    at(ev)
    tx = market.settleWithoutEvaluation(cid, {"from": c.account})
    pool = reward + DEPOSIT  # c's deposit is forfeited
    assert dict(tx.events["SettledWithoutEvaluation"]) == {"id": cid, "eligible": 2, "pool": pool}
    assert credits(tx) == [(organizer, cid, pool % 2, CreditReason.FALLBACK_REMAINDER)]
    assert credits(market.claim(cid, a.account, {"from": a.account})) == [(a.account, cid, pool // 2 + DEPOSIT, CreditReason.FALLBACK_SHARE)]
    market.claim(cid, b.account, {"from": c.account})  # anyone may claim for b; b is paid
    with reverts("NothingToClaim", cid, c.account):
        market.claim(cid, c.account, {"from": c.account})
    with reverts("NothingToClaim", cid, a.account):
        market.claim(cid, a.account, {"from": a.account})
    assert market.balanceOf(a.account) == pool // 2 + DEPOSIT
    assert market.balanceOf(b.account) == pool // 2 + DEPOSIT
    assert market.balanceOf(organizer) == pool % 2
    assert totals(market) == (0, reward + 3 * DEPOSIT)
    assert market.phase(cid) == Phase.FALLBACK


def test_organizer_withholding_one_score_pays_only_the_revealed_entries_not_failed(
        market, organizer, competition_in):
    # F1: the organizer posts some failures, one real score, withholds the last score and vanishes.
    cid, (a, b, c, d, e) = competition_in(Phase.EVALUATION, n=5, reveal={0, 1, 2, 3}, deposit=DEPOSIT)
    market.postScores(cid, [a.account, b.account, c.account], [FAILED, 40, FAILED], {"from": organizer})
    at(deadlines(market, cid)[2])
    tx = market.settleWithoutEvaluation(cid, {"from": e.account})
    pool = REWARD + 3 * DEPOSIT  # a's and c's (failed) and e's (never revealed) deposits
    assert dict(tx.events["SettledWithoutEvaluation"]) == {"id": cid, "eligible": 2, "pool": pool}
    for p in (b, d):  # the scored and the unscored entry share the pool
        assert credits(market.claim(cid, p.account, {"from": p.account})) == [(p.account, cid, pool // 2 + DEPOSIT, CreditReason.FALLBACK_SHARE)]
    for p in (a, c, e):
        with reverts("NothingToClaim", cid, p.account):
            market.claim(cid, p.account, {"from": p.account})
    assert market.balanceOf(organizer) == 0  # pool is even: no dust
    assert totals(market) == (0, REWARD + 5 * DEPOSIT)


def test_failed_sybils_share_nothing_in_the_fallback(market, organizer, competition_in):
    # F3 in the fallback: five failed entries forfeit their deposits to the one entry left unscored.
    cid, (honest, *sybils) = competition_in(Phase.EVALUATION, n=6, deposit=DEPOSIT)
    market.postScores(cid, [s.account for s in sybils], [FAILED] * 5, {"from": organizer})
    at(deadlines(market, cid)[2])
    market.settleWithoutEvaluation(cid, {"from": honest.account})
    tx = market.claimAndWithdraw(cid, {"from": honest.account})
    assert credits(tx) == [(honest.account, cid, REWARD + 6 * DEPOSIT, CreditReason.FALLBACK_SHARE)]
    for s in sybils:
        with reverts("NothingToClaim", cid, s.account):
            market.claim(cid, s.account, {"from": s.account})
    assert totals(market) == (0, 0)
