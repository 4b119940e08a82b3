"""revealTestSet, postScores, ranking and ties."""
import os

import pytest

from forecast_market.protocol import ZERO32, Phase, Status, failure_score

from market_helpers import TEST_CID, TEST_SALT, at, deadlines, edges, expect, reverts


def test_reveal_test_set_checks_the_commitment_and_stores_the_cid(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[1])
    tx = market.revealTestSet(cid, TEST_CID, ZERO32, 0, TEST_SALT, {"from": organizer})
    assert dict(tx.events["TestSetRevealed"]) == {"id": cid, "testCid": TEST_CID}
    c = market.competition(cid)
    assert c["testRevealed"] and c["testCid"] == TEST_CID


@edges(("submissionEnd", -1, "TestSetRevealNotOpen"),
       ("submissionEnd", 0, "TestSetRevealNotOpen"),  # during the reveal window: participants could still choose
       ("revealEnd", -1, "TestSetRevealNotOpen"), ("revealEnd", 0, None), ("revealEnd", 1, None),
       ("evaluationEnd", -1, None), ("evaluationEnd", 0, "EvaluationClosed"))
def test_reveal_test_set_opens_at_the_reveal_deadline_and_closes_at_the_evaluation_deadline(
        market, organizer, create, deadline, offset, error):
    cid = create()
    t = market.competition(cid)[deadline] + offset
    at(t)
    # too early, the error says when it opens: at the reveal deadline
    bound = market.competition(cid)["revealEnd" if error == "TestSetRevealNotOpen" else deadline]
    with expect(error, cid, bound):
        market.revealTestSet(cid, TEST_CID, ZERO32, 0, TEST_SALT, {"from": organizer})


def test_reveal_test_set_with_wrong_salt_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, n=0, test_set=False)
    with reverts("TestSetMismatch", cid):
        market.revealTestSet(cid, TEST_CID, ZERO32, 0, os.urandom(32), {"from": organizer})


def test_reveal_test_set_with_another_cid_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, n=0, test_set=False)
    with reverts("TestSetMismatch", cid):
        market.revealTestSet(cid, "QmSomethingElse", ZERO32, 0, TEST_SALT, {"from": organizer})


def test_reveal_test_set_by_someone_else_reverts(market, competition_in, players):
    cid, _ = competition_in(Phase.EVALUATION, n=0, test_set=False)
    p = players(cid, 1)[0]
    with reverts("NotOrganizer", cid, p.account):
        market.revealTestSet(cid, TEST_CID, ZERO32, 0, TEST_SALT, {"from": p.account})


def test_reveal_test_set_twice_reverts(market, organizer, competition_in):
    cid, _ = competition_in(Phase.EVALUATION, n=0)
    with reverts("TestSetAlreadyRevealed", cid):
        market.revealTestSet(cid, TEST_CID, ZERO32, 0, TEST_SALT, {"from": organizer})


def test_post_scores_ranks_best_first_lower_is_better(market, organizer, competition_in):
    cid, (a, b, c) = competition_in(Phase.EVALUATION, prize_bps=(5000, 3000, 2000))
    tx = market.postScores(cid, [a.account, b.account, c.account], [300, 100, 200], {"from": organizer})
    assert [dict(ev) for ev in tx.events["ScorePosted"]] == [
        {"id": cid, "participant": p.account, "score": score} for p, score in ((a, 300), (b, 100), (c, 200))]
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


def test_post_scores_before_the_reveal_deadline_reverts(market, organizer, competition_in):
    cid, (a, _, _) = competition_in(Phase.REVEAL, reveal=True)
    rev = market.competition(cid)["revealEnd"]
    at(rev - 1)
    with reverts("EvaluationNotOpen", cid, rev):
        market.postScores(cid, [a.account], [1], {"from": organizer})


@edges(("evaluationEnd", -1, None), ("evaluationEnd", 0, "EvaluationClosed"))
def test_post_scores_closes_at_the_evaluation_deadline(market, organizer, competition_in, deadline, offset, error):
    cid, (a, _, _) = competition_in(Phase.EVALUATION)
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


def test_a_fourth_and_fifth_qualifying_entry_shift_the_top_three(market, organizer, competition_in):
    cid, ps = competition_in(Phase.EVALUATION, n=6, prize_bps=(5000, 3000, 2000))
    a, b, c, d, e, f = (p.account for p in ps)

    def post(who, score):
        market.postScores(cid, [who], [score], {"from": organizer})
        return [(r["participant"], r["score"]) for r in market.ranking(cid)]

    assert post(a, 30) == [(a, 30)]
    assert post(b, 10) == [(b, 10), (a, 30)]
    assert post(c, 20) == [(b, 10), (c, 20), (a, 30)]
    assert post(d, 40) == [(b, 10), (c, 20), (a, 30)]  # a 4th qualifying entry, worse than all: left out
    assert post(e, 5) == [(e, 5), (b, 10), (c, 20)]  # a 5th, best of all: everyone shifts down, a drops out
    assert post(f, 15) == [(e, 5), (b, 10), (f, 15)]  # into the middle: c drops out
    assert market.competition(cid)["winnerCount"] == 3


def test_a_qualifying_entry_tying_the_last_rank_stays_out(market, organizer, competition_in):
    cid, ps = competition_in(Phase.EVALUATION, n=4, prize_bps=(5000, 3000, 2000))
    market.postScores(cid, [p.account for p in ps], [1, 2, 3, 3], {"from": organizer})
    assert [r["participant"] for r in market.ranking(cid)] == [p.account for p in ps[:3]]  # tie: earlier commit


@pytest.mark.parametrize("higher", [False, True], ids=["lower-is-better", "higher-is-better"])
def test_a_failure_is_marked_failed_counted_and_never_ranked_whatever_the_minimum(
        market, organizer, competition_in, higher):
    worst = failure_score(higher)
    # the loosest possible minimum: by the >= / <= rule even the failure score would meet it
    cid, (a, b, c) = competition_in(Phase.EVALUATION, higher=higher, min_score=worst)
    tx = market.postScores(cid, [a.account, b.account], [worst, 7], {"from": organizer})
    assert [ev["score"] for ev in tx.events["ScorePosted"]] == [worst, 7]
    assert market.submission(cid, a.account)["status"] == Status.FAILED
    assert market.submission(cid, b.account)["status"] == Status.SCORED
    comp = market.competition(cid)
    assert (comp["failedCount"], comp["scoredCount"]) == (1, 2)
    assert [r["participant"] for r in market.ranking(cid)] == [b.account]
    with reverts("AlreadyScored", cid, a.account):
        market.postScores(cid, [a.account], [1], {"from": organizer})
    # the other end of int64 is a real score (the best one), not a failure
    market.postScores(cid, [c.account], [-worst - 1], {"from": organizer})
    assert market.submission(cid, c.account)["status"] == Status.SCORED
    assert market.competition(cid)["failedCount"] == 1
