"""revealTestSet, postScores, ranking and ties."""
import os

from forecast_market.protocol import Phase, Status

from market_helpers import TEST_CID, TEST_SALT, at, deadlines, edges, expect, reverts


def test_reveal_test_set_checks_the_commitment_and_stores_the_cid(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[0])
    tx = market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    assert tx.events["TestSetRevealed"]["testCid"] == TEST_CID
    c = market.competition(cid)
    assert c["testRevealed"] and c["testCid"] == TEST_CID


@edges(("submissionEnd", -1, "RevealNotOpen"), ("evaluationEnd", 0, "EvaluationClosed"))
def test_reveal_test_set_outside_its_window_reverts(
        market, organizer, create, deadline, offset, error):
    cid = create()
    t = market.competition(cid)[deadline]
    at(t + offset)
    with expect(error, cid, t):
        market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})


def test_reveal_test_set_with_wrong_salt_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.REVEAL, n=0)
    with reverts("TestSetMismatch", cid):
        market.revealTestSet(cid, TEST_CID, os.urandom(32), {"from": organizer})


def test_reveal_test_set_with_another_cid_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.REVEAL, n=0)
    with reverts("TestSetMismatch", cid):
        market.revealTestSet(cid, "QmSomethingElse", TEST_SALT, {"from": organizer})


def test_reveal_test_set_by_someone_else_reverts(market, competition_in, players):
    cid, _ = competition_in(Phase.REVEAL, n=0)
    p = players(cid, 1)[0]
    with reverts("NotOrganizer", cid, p.account):
        market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": p.account})


def test_reveal_test_set_twice_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.REVEAL, n=0)
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    with reverts("TestSetAlreadyRevealed", cid):
        market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})


def test_post_scores_ranks_best_first_lower_is_better(market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, prize_bps=(5000, 3000, 2000))
    tx = market.postScores(cid, [a.account, b.account, c.account], [300, 100, 200], {"from": organizer})
    assert len(tx.events["ScorePosted"]) == 3
    ranks = market.ranking(cid)
    assert [r["participant"] for r in ranks] == [b.account, c.account, a.account]
    assert [r["score"] for r in ranks] == [100, 200, 300]
    assert market.submission(cid, a.account)["status"] == Status.SCORED


def test_post_scores_ranks_best_first_higher_is_better(market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, prize_bps=(5000, 3000, 2000), higher=True, min_score=0)
    market.postScores(cid, [a.account, b.account, c.account], [300, 100, 200], {"from": organizer})
    assert [r["score"] for r in market.ranking(cid)] == [300, 200, 100]


def test_ranking_keeps_only_the_top_k(market, organizer, competition_in):
    cid, ps = competition_in(Phase.EVALUATION, n=5, prize_bps=(7000, 3000))
    market.postScores(cid, [p.account for p in ps[:2]], [50, 40], {"from": organizer})
    market.postScores(cid, [p.account for p in ps[2:]], [45, 10, 60], {"from": organizer})
    assert [r["score"] for r in market.ranking(cid)] == [10, 40]
    assert market.competition(cid)["scoredCount"] == 5


def test_tie_goes_to_the_earlier_commitment(market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, prize_bps=(10_000,))
    # Posted in reverse order: b and c tie with a; a committed first.
    market.postScores(cid, [c.account, b.account, a.account], [7, 7, 7], {"from": organizer})
    assert market.ranking(cid)[0]["participant"] == a.account


def test_scores_missing_the_minimum_are_not_ranked(market, organizer, competition_in):
    cid, (a, b, _) = competition_in(Phase.EVALUATION, min_score=100)
    market.postScores(cid, [a.account, b.account], [100, 101], {"from": organizer})
    assert [r["participant"] for r in market.ranking(cid)] == [a.account]  # meets it exactly


@edges(("revealEnd", -1, "EvaluationNotOpen"), ("evaluationEnd", -1, None), ("evaluationEnd", 0, "EvaluationClosed"))
def test_post_scores_opens_at_the_reveal_deadline_and_closes_at_the_evaluation_deadline(
        market, organizer, competition_in, deadline, offset, error):
    cid, (a, _, _) = competition_in(Phase.REVEAL, reveal=True, test_set=True)
    t = market.competition(cid)[deadline]
    at(t + offset)
    with expect(error, cid, t):
        market.postScores(cid, [a.account], [1], {"from": organizer})


def test_post_scores_before_the_test_set_is_revealed_reverts(market, organizer, competition_in):
    cid, (a, _, _) = competition_in(Phase.EVALUATION, test_set=False)
    with reverts("TestSetNotRevealed", cid):
        market.postScores(cid, [a.account], [1], {"from": organizer})


def test_post_scores_by_someone_else_reverts(market, organizer, competition_in):
    cid, (a, _, _) = competition_in(Phase.EVALUATION)
    with reverts("NotOrganizer", cid, a.account):
        market.postScores(cid, [a.account], [1], {"from": a.account})


def test_scoring_an_unrevealed_submission_reverts(market, organizer, competition_in):
    cid, (a, b) = competition_in(Phase.EVALUATION, n=2, reveal={0})
    with reverts("NotRevealed", cid, b.account):
        market.postScores(cid, [b.account], [1], {"from": organizer})


def test_scoring_twice_reverts(market, organizer, competition_in):
    cid, (a, _, _) = competition_in(Phase.EVALUATION)
    market.postScores(cid, [a.account], [1], {"from": organizer})
    with reverts("AlreadyScored", cid, a.account):
        market.postScores(cid, [a.account], [2], {"from": organizer})


def test_scoring_the_same_submission_twice_in_one_batch_reverts(market, organizer, competition_in):
    cid, (a, _, _) = competition_in(Phase.EVALUATION)
    with reverts("AlreadyScored", cid, a.account):
        market.postScores(cid, [a.account, a.account], [1, 2], {"from": organizer})


def test_post_scores_with_mismatched_lengths_reverts(market, organizer, competition_in):
    cid, (a, b, _) = competition_in(Phase.EVALUATION)
    with reverts("LengthMismatch", 2, 1):
        market.postScores(cid, [a.account, b.account], [1], {"from": organizer})
