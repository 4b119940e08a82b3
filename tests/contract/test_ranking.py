"""revealTestSet, postScores, ranking and ties."""
import os

from market_helpers import TEST_CID, TEST_SALT, at, deadlines, reverts


def _revealed(market, create, players, n=3, **kw):
    cid = create(**kw)
    ps = players(cid, n)
    for p in ps:
        p.commit()
    sub, rev, _ = deadlines(market, cid)
    at(sub)
    for p in ps:
        p.reveal()
    return cid, ps


def _scoring_open(market, organizer, cid):
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    at(deadlines(market, cid)[1])


def test_reveal_test_set_checks_the_commitment_and_stores_the_cid(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[0])
    tx = market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    assert tx.events["TestSetRevealed"]["testCid"] == TEST_CID
    c = market.competition(cid)
    assert c["testRevealed"] and c["testCid"] == TEST_CID


def test_reveal_test_set_before_the_submission_deadline_reverts(market, organizer, create):
    cid = create()
    sub = deadlines(market, cid)[0]
    at(sub - 1)
    with reverts("RevealNotOpen", cid, sub):
        market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})


def test_reveal_test_set_with_wrong_salt_reverts(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[0])
    with reverts("TestSetMismatch", cid):
        market.revealTestSet(cid, TEST_CID, os.urandom(32), {"from": organizer})


def test_reveal_test_set_with_another_cid_reverts(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[0])
    with reverts("TestSetMismatch", cid):
        market.revealTestSet(cid, "QmSomethingElse", TEST_SALT, {"from": organizer})


def test_reveal_test_set_by_someone_else_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    at(deadlines(market, cid)[0])
    with reverts("NotOrganizer", cid, p.account):
        market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": p.account})


def test_reveal_test_set_after_the_evaluation_deadline_reverts(market, organizer, create):
    cid = create()
    ev = deadlines(market, cid)[2]
    at(ev)
    with reverts("EvaluationClosed", cid, ev):
        market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})


def test_reveal_test_set_twice_reverts(market, organizer, create):
    cid = create()
    at(deadlines(market, cid)[0])
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    with reverts("TestSetAlreadyRevealed", cid):
        market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})


def test_post_scores_ranks_best_first_lower_is_better(market, organizer, create, players):
    cid, (a, b, c) = _revealed(market, create, players, prize_bps=(5000, 3000, 2000))
    _scoring_open(market, organizer, cid)
    tx = market.postScores(cid, [a.account, b.account, c.account], [300, 100, 200], {"from": organizer})
    assert len(tx.events["ScorePosted"]) == 3
    ranks = market.ranking(cid)
    assert [r["participant"] for r in ranks] == [b.account, c.account, a.account]
    assert [r["score"] for r in ranks] == [100, 200, 300]
    assert market.submission(cid, a.account)["status"] == 3


def test_post_scores_ranks_best_first_higher_is_better(market, organizer, create, players):
    cid, (a, b, c) = _revealed(market, create, players, prize_bps=(5000, 3000, 2000), higher=True, min_score=0)
    _scoring_open(market, organizer, cid)
    market.postScores(cid, [a.account, b.account, c.account], [300, 100, 200], {"from": organizer})
    assert [r["score"] for r in market.ranking(cid)] == [300, 200, 100]


def test_ranking_keeps_only_the_top_k(market, organizer, create, players):
    cid, ps = _revealed(market, create, players, n=5, prize_bps=(7000, 3000))
    _scoring_open(market, organizer, cid)
    market.postScores(cid, [p.account for p in ps[:2]], [50, 40], {"from": organizer})
    market.postScores(cid, [p.account for p in ps[2:]], [45, 10, 60], {"from": organizer})
    assert [r["score"] for r in market.ranking(cid)] == [10, 40]
    assert market.competition(cid)["scoredCount"] == 5


def test_tie_goes_to_the_earlier_commitment(market, organizer, create, players):
    cid, (a, b, c) = _revealed(market, create, players, prize_bps=(10_000,))
    _scoring_open(market, organizer, cid)
    # Posted in reverse order: b and c tie with a; a committed first.
    market.postScores(cid, [c.account, b.account, a.account], [7, 7, 7], {"from": organizer})
    assert market.ranking(cid)[0]["participant"] == a.account


def test_scores_missing_the_minimum_are_not_ranked(market, organizer, create, players):
    cid, (a, b, _) = _revealed(market, create, players, min_score=100)
    _scoring_open(market, organizer, cid)
    market.postScores(cid, [a.account, b.account], [100, 101], {"from": organizer})
    assert [r["participant"] for r in market.ranking(cid)] == [a.account]  # meets it exactly


def test_post_scores_before_the_reveal_deadline_reverts(market, organizer, create, players):
    cid, (a, _, _) = _revealed(market, create, players)
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    rev = deadlines(market, cid)[1]
    at(rev - 1)
    with reverts("EvaluationNotOpen", cid, rev):
        market.postScores(cid, [a.account], [1], {"from": organizer})


def test_post_scores_at_the_evaluation_deadline_reverts(market, organizer, create, players):
    cid, (a, _, _) = _revealed(market, create, players)
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    ev = deadlines(market, cid)[2]
    at(ev)
    with reverts("EvaluationClosed", cid, ev):
        market.postScores(cid, [a.account], [1], {"from": organizer})


def test_post_scores_one_second_before_the_evaluation_deadline_succeeds(market, organizer, create, players):
    cid, (a, _, _) = _revealed(market, create, players)
    market.revealTestSet(cid, TEST_CID, TEST_SALT, {"from": organizer})
    at(deadlines(market, cid)[2] - 1)
    market.postScores(cid, [a.account], [1], {"from": organizer})


def test_post_scores_before_the_test_set_is_revealed_reverts(market, organizer, create, players):
    cid, (a, _, _) = _revealed(market, create, players)
    at(deadlines(market, cid)[1])
    with reverts("TestSetNotRevealed", cid):
        market.postScores(cid, [a.account], [1], {"from": organizer})


def test_post_scores_by_someone_else_reverts(market, organizer, create, players):
    cid, (a, _, _) = _revealed(market, create, players)
    _scoring_open(market, organizer, cid)
    with reverts("NotOrganizer", cid, a.account):
        market.postScores(cid, [a.account], [1], {"from": a.account})


def test_scoring_an_unrevealed_submission_reverts(market, organizer, create, players):
    cid = create()
    a, b = players(cid, 2)
    a.commit()
    b.commit()
    at(deadlines(market, cid)[0])
    a.reveal()
    _scoring_open(market, organizer, cid)
    with reverts("NotRevealed", cid, b.account):
        market.postScores(cid, [b.account], [1], {"from": organizer})


def test_scoring_twice_reverts(market, organizer, create, players):
    cid, (a, _, _) = _revealed(market, create, players)
    _scoring_open(market, organizer, cid)
    market.postScores(cid, [a.account], [1], {"from": organizer})
    with reverts("AlreadyScored", cid, a.account):
        market.postScores(cid, [a.account], [2], {"from": organizer})


def test_scoring_the_same_submission_twice_in_one_batch_reverts(market, organizer, create, players):
    cid, (a, _, _) = _revealed(market, create, players)
    _scoring_open(market, organizer, cid)
    with reverts("AlreadyScored", cid, a.account):
        market.postScores(cid, [a.account, a.account], [1, 2], {"from": organizer})


def test_post_scores_with_mismatched_lengths_reverts(market, organizer, create, players):
    cid, (a, b, _) = _revealed(market, create, players)
    _scoring_open(market, organizer, cid)
    with reverts("LengthMismatch", 2, 1):
        market.postScores(cid, [a.account, b.account], [1], {"from": organizer})
