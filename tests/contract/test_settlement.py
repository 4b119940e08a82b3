"""finalize, refunds, fallback, deposits, and where every wei goes."""
from brownie import ReentrantParticipant, RevertingParticipant, accounts

from forecast_market.protocol import Phase

from market_helpers import REWARD, TEST_CID, TEST_SALT, Player, at, deadlines, reverts, totals

DEPOSIT = 10**16


def test_finalize_splits_the_reward_exactly_across_three_winners(market, organizer, competition_in):
    reward = 10**18 + 7  # not divisible: rounding dust must go somewhere, not vanish
    cid, (a, b, c, d) = competition_in(Phase.EVALUATION, scores=[40, 10, 30, 20],
                                       reward=reward, prize_bps=(5000, 3000, 2000))
    tx = market.finalize(cid, {"from": organizer})
    assert tx.events["Finalized"]["winners"] == 3
    got = [market.balanceOf(p.account) for p in (b, d, c, a)]
    assert got[1] == reward * 3000 // 10_000 and got[2] == reward * 2000 // 10_000
    assert got[3] == 0
    assert sum(got) == reward
    assert market.balanceOf(organizer) == 0
    assert totals(market) == (0, reward)


def test_finalize_with_fewer_winners_than_prizes_returns_unawarded_shares(market, organizer, competition_in):
    cid, (a, b) = competition_in(Phase.EVALUATION, scores=[10, 2000], min_score=100, prize_bps=(5000, 3000, 2000))
    market.finalize(cid, {"from": organizer})
    assert market.balanceOf(a.account) == REWARD // 2
    assert market.balanceOf(b.account) == 0
    assert market.balanceOf(organizer) == REWARD // 2
    assert market.phase(cid) == Phase.FINALIZED


def test_finalize_when_nobody_meets_the_minimum_refunds(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, scores=[500, 600], min_score=100)
    tx = market.finalize(cid, {"from": organizer})
    assert tx.events["Refunded"]["amount"] == REWARD
    assert market.balanceOf(organizer) == REWARD
    assert market.phase(cid) == Phase.REFUNDED


def test_finalize_with_zero_submissions_refunds(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[1])
    market.finalize(cid, {"from": organizer})
    assert market.balanceOf(organizer) == REWARD


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


def test_forfeited_deposits_reach_the_prize_pool(market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, scores=[5, 6, 7], reveal={0}, deposit=DEPOSIT)
    # a revealed (deposit back) and wins the reward plus b's and c's forfeited deposits.
    tx = market.finalize(cid, {"from": organizer})
    assert tx.events["Finalized"]["pool"] == REWARD + 2 * DEPOSIT
    assert market.balanceOf(a.account) == DEPOSIT + REWARD + 2 * DEPOSIT
    assert market.balanceOf(b.account) == 0 and market.balanceOf(c.account) == 0
    assert totals(market) == (0, REWARD + 3 * DEPOSIT)


def test_refund_includes_forfeited_deposits(market, organizer, create, players):
    cid = create(deposit=DEPOSIT)
    for p in players(cid, 2):
        p.commit(value=DEPOSIT)
    at(deadlines(market, cid)[1])
    market.finalize(cid, {"from": organizer})  # nobody revealed: nothing to score
    assert market.balanceOf(organizer) == REWARD + 2 * DEPOSIT


def test_organizer_vanishing_pays_the_revealed_participants(market, organizer, competition_in):
    reward = 10**18 + 1  # odd: the dust goes to the organizer, nothing is stuck
    cid, (a, b, c) = competition_in(Phase.REVEAL, reveal={0, 1}, reward=reward, deposit=DEPOSIT)
    ev = deadlines(market, cid)[2]
    at(ev - 1)
    with reverts("EvaluationStillOpen", cid, ev):
        market.settleWithoutEvaluation(cid, {"from": c.account})
    at(ev)
    tx = market.settleWithoutEvaluation(cid, {"from": c.account})
    pool = reward + DEPOSIT
    assert tx.events["SettledWithoutEvaluation"]["pool"] == pool
    market.claimFallbackShare(cid, a.account, {"from": a.account})
    market.claimFallbackShare(cid, b.account, {"from": c.account})  # anyone may claim for b; b is paid
    with reverts("NothingToClaim", cid, c.account):
        market.claimFallbackShare(cid, c.account, {"from": c.account})
    with reverts("NothingToClaim", cid, a.account):
        market.claimFallbackShare(cid, a.account, {"from": a.account})
    assert market.balanceOf(a.account) == DEPOSIT + pool // 2
    assert market.balanceOf(b.account) == DEPOSIT + pool // 2
    assert market.balanceOf(organizer) == pool % 2
    assert totals(market) == (0, reward + 3 * DEPOSIT)
    assert market.phase(cid) == Phase.FALLBACK


def test_claim_before_fallback_reverts(market, create):
    cid = create()
    with reverts("NotFallback", cid):
        market.claimFallbackShare(cid, accounts[1], {"from": accounts[1]})


def test_settle_without_reveals_refunds_the_organizer(market, organizer, create, players):
    cid = create()
    players(cid, 1)[0].commit()
    at(deadlines(market, cid)[2])
    market.settleWithoutEvaluation(cid, {"from": accounts[5]})
    assert market.balanceOf(organizer) == REWARD
    assert market.phase(cid) == Phase.REFUNDED


def test_zero_submissions_never_lock_funds(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[2] + 1)
    market.settleWithoutEvaluation(cid, {"from": accounts[3]})
    market.withdraw({"from": organizer})
    assert totals(market) == (0, 0)
    assert market.balance() == 0


def test_withdraw_pays_and_zeroes_the_balance(market, organizer, create):
    cid = create()
    market.cancel(cid, {"from": organizer})
    before = organizer.balance()
    tx = market.withdraw({"from": organizer})
    assert tx.events["Withdrawn"]["amount"] == REWARD
    assert organizer.balance() - before == REWARD  # gas price is 0 on the local chain
    assert market.balanceOf(organizer) == 0
    with reverts("NothingToWithdraw", organizer):
        market.withdraw({"from": organizer})


def _contract_player(market, attacker, cid, n):
    p = Player(market, attacker, cid, n)  # the commitment is bound to the attacker contract, which sends it
    p.commit = lambda value=0: attacker.commit(cid, p.commitment, {"from": accounts[n], "value": value})
    p.reveal = lambda: attacker.reveal(cid, p.cid, p.sha, p.salt, {"from": accounts[n]})
    return p


def test_reentrant_winner_is_paid_once(market, organizer, create):
    attacker = ReentrantParticipant.deploy(market, {"from": accounts[6]})
    cid = create(reward=REWARD)
    other = create(reward=REWARD)  # funds the attacker would like to drain
    p = _contract_player(market, attacker, cid, 6)
    p.commit()
    at(deadlines(market, cid)[0])
    p.reveal()
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    at(deadlines(market, cid)[1])
    market.postScores(cid, [attacker], [1], {"from": organizer})
    market.finalize(cid, {"from": organizer})
    attacker.withdraw({"from": accounts[6]})
    assert attacker.balance() == REWARD
    assert attacker.reentries() >= 1 and not attacker.reentrySucceeded()
    assert totals(market) == (REWARD, 0)
    assert market.balance() == REWARD  # the other competition's reward is untouched
    assert market.competition(other)["reward"] == REWARD


def test_winner_that_reverts_on_receive_blocks_nobody_else(market, organizer, create, players):
    blocker = RevertingParticipant.deploy(market, {"from": accounts[7]})
    cid = create(prize_bps=(6000, 4000))
    p = _contract_player(market, blocker, cid, 7)
    q = players(cid, 1)[0]
    p.commit()
    q.commit()
    at(deadlines(market, cid)[0])
    p.reveal()
    q.reveal()
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    at(deadlines(market, cid)[1])
    market.postScores(cid, [blocker, q.account], [1, 2], {"from": organizer})
    market.finalize(cid, {"from": organizer})
    with reverts("TransferFailed", blocker):
        blocker.withdraw({"from": accounts[7]})
    assert market.balanceOf(blocker) == REWARD * 6 // 10  # still owed, not lost
    before = q.account.balance()
    market.withdraw({"from": q.account})
    assert q.account.balance() - before == REWARD * 4 // 10
