"""Fraud proofs on chain (docs/FRAUD_PROOFS.md): a bonded competition, its challenge window, the
bisection game and the one step the contract re-executes; every outcome and its money."""
import numpy as np
import pytest
from brownie import DisputeGame, accounts
from fraud_helpers import make_case

from forecast_market.chain import advance_past, mine_at, now
from forecast_market.fraud import Evaluation, score_from_sums
from forecast_market.fraud.play import next_move, open_dispute, play
from forecast_market.protocol import (
    ZERO32,
    CompetitionParams,
    CreditReason,
    Phase,
    Status,
    model_commitment,
    test_set_commitment,
)

from market_helpers import DAY, reverts

ETHER = 10**18
REWARD, OBOND, CBOND = ETHER, ETHER // 2, ETHER // 10
TEST_CID, SALT = "QmDisputedTestSet", b"\x05" * 32
DEFENSE, BISECT, CHOOSE, STEP = 1, 2, 3, 4
PROVE_OVERHEAD = 250_000  # tools/fraud_bench.py adds this to each step's gas


class Setup:
    """A bonded competition with one revealed, scored participant (accounts[1])."""

    def __init__(self, market, case, posted_score=None, unscored=None):
        self.market, self.case = market, case
        self.game = DisputeGame.at(market.disputeGame())
        self.organizer, self.participant = accounts[0], accounts[1]
        self.honest = Evaluation(case.machine())
        ev = self.honest
        params = CompetitionParams.starting(
            now(), submission_s=DAY, reveal_s=DAY, evaluation_s=DAY, dataCid="QmTrain", target="c0",
            sequenceLength=case.model.net.sequence_length, horizon=case.model.horizon, metric=0, higherIsBetter=False,
            minScore=2**63 - 2, prizeBps=(10_000,), entryDeposit=0,
            testCommitment=test_set_commitment(TEST_CID, SALT, ev.test.root, case.test_rows),
            trainRoot=ev.train.root, trainRows=case.train_rows, organizerBond=OBOND, challengeBond=CBOND)
        tx = market.createCompetition(params.as_tuple(), {"from": self.organizer, "value": REWARD + OBOND})
        self.id = tx.return_value
        sha, salt = b"\x77" * 32, b"\x09" * 32
        root = ev.weights.root
        for who in [self.participant] + ([unscored] if unscored else []):
            market.commit(self.id, model_commitment("QmModel", sha, salt, who.address, self.id, market.address,
                                                    weights_root=root), {"from": who})
        c = market.competition(self.id)
        mine_at(c["submissionEnd"])
        for who in [self.participant] + ([unscored] if unscored else []):
            market.revealWithRoot(self.id, "QmModel", sha, root, salt, {"from": who})
        mine_at(c["revealEnd"])
        market.revealTestSet(self.id, TEST_CID, ev.test.root, case.test_rows, SALT, {"from": self.organizer})
        final = ev.final()
        self.true_score = score_from_sums(0, final.sum_sq, final.sum_abs, case.test_rows)
        self.posted = self.true_score if posted_score is None else posted_score
        market.postScores(self.id, [self.participant], [self.posted], {"from": self.organizer})

    def open(self, challenger, ev):
        f = ev.final()
        return self.market.openDispute(self.id, self.participant, f.sum_sq, f.sum_abs, {"from": challenger, "value": CBOND})

    def play(self, challenger, defender_ev, challenger_ev):
        open_dispute(self.market, self.id, self.participant, challenger, challenger_ev, CBOND)
        return play(self.market, self.game, self.id, self.participant, challenger, self.organizer, defender_ev,
                    challenger_ev)

    def dispute(self, challenger):
        return self.game.dispute(self.id, self.participant, challenger)

    def defend(self, challenger, ev, sender=None):
        f = ev.final()
        return self.game.defend(self.id, self.participant, challenger, f.sum_sq, f.sum_abs, ev.meta_leaf(),
                                {"from": sender or self.organizer})

    def bisect_to_one_step(self, challenger, defender_ev, challenger_ev, defender=None):
        """Both sides move (forecast_market.fraud.play) until one step is left; returns the dispute then."""
        args = (self.market, self.game, self.id, self.participant, challenger)
        for _ in range(64):
            for me, ev, is_defender in ((defender or self.organizer, defender_ev, True), (challenger, challenger_ev, False)):
                d = self.dispute(challenger)
                if d["stage"] == STEP:
                    return d
                next_move(*args, me, ev, defender=is_defender)
        raise AssertionError("the bisection did not end")

    def prove(self, challenger, ev, sender):
        d = self.dispute(challenger)
        return self.game.proveStep(self.id, self.participant, challenger, ev.step_proof(d["lo"]), {"from": sender})


def later(seconds):
    mine_at(now() + seconds)


def tampered(case, delta=1.0):
    """The same evaluation on test data with one target changed: what a lying organizer computes."""
    rows = case.rows.copy()
    rows[case.train_rows + 1, 0] += int(delta * 2**24)
    return Evaluation(type(case.machine())(case.model, rows, case.train_rows, case.test_rows))


@pytest.fixture(scope="module")
def case():
    return make_case(cell="LSTM", layers=2, units=4, dense=2, steps=3, features=2, train=10, test=3, seed=7)


def _credits(tx, reason):
    return [(e["account"], e["amount"]) for e in tx.events["Credited"] if e["reason"] == reason] if "Credited" in tx.events else []


def test_every_step_the_contract_runs_gives_the_python_hash(market, case):
    s = Setup(market, case)
    ev, game = s.honest, s.game
    ctx = market.disputeContext(s.id, s.participant)
    roots = (ctx["weightsRoot"], ctx["trainRoot"], ctx["testRoot"], ctx["trainRows"], ctx["testRows"])
    for i in range(ev.machine.total):
        pre, post = game.run(roots, ev.step_proof(i))
        assert bytes(pre) == ev.hash_at(i) and bytes(post) == ev.hash_at(i + 1), f"step {i}"


@pytest.mark.parametrize("cell, delta, dense, units", [("GRU", True, 0, 4), ("SimpleRNN", False, 3, 4), ("LSTM", False, 0, 4),
                                                      ("LSTM", True, 2, 40), ("GRU", False, 0, 48)])
def test_each_cell_and_head_agree_with_python(market, cell, delta, dense, units):
    case = make_case(cell=cell, layers=2, units=units, dense=dense, steps=2, features=3, columns=4, train=8, test=2,
                     delta=delta, horizon=1, seed=11)
    assert (case.machine().model.chunks > 1) == (units > 4)  # the wide cases split each layer into chunks
    s = Setup(market, case)
    ctx = market.disputeContext(s.id, s.participant)
    roots = (ctx["weightsRoot"], ctx["trainRoot"], ctx["testRoot"], ctx["trainRows"], ctx["testRows"])
    for i in range(s.honest.machine.total):
        assert bytes(s.game.run(roots, s.honest.step_proof(i))[1]) == s.honest.hash_at(i + 1), f"step {i}"


def test_a_wrong_score_is_overturned_and_the_challenger_wins_the_bond(market, case):
    liar = tampered(case)
    f = liar.final()
    # The organizer posted the score of its tampered evaluation: redo with that score.
    s = Setup(market, case, posted_score=score_from_sums(0, f.sum_sq, f.sum_abs, case.test_rows))
    assert s.posted != s.true_score
    challenger = accounts[2]
    s.open(challenger, s.honest)
    assert market.competition(s.id)["openDisputes"] == 1
    s.defend(challenger, liar)
    s.bisect_to_one_step(challenger, liar, s.honest)
    before = market.balanceOf(challenger)
    ctx = market.disputeContext(s.id, s.participant)
    proof = s.honest.step_proof(s.dispute(challenger)["lo"])
    run_gas = s.game.run.estimate_gas((ctx["weightsRoot"], ctx["trainRoot"], ctx["testRoot"], ctx["trainRows"],
                                       ctx["testRows"]), proof, {"from": challenger})
    tx = s.prove(challenger, s.honest, challenger)
    # tools/fraud_bench.py measures `run`; proveStep adds at most this (context, dispute, outcome, credits).
    assert tx.gas_used - run_gas <= PROVE_OVERHEAD
    assert tx.events["DisputeEnded"]["defenderWon"] is False
    assert tx.events["ScoreReplaced"]["newScore"] == s.true_score
    assert _credits(tx, CreditReason.DISPUTE_WON) == [(challenger, OBOND)]
    assert market.balanceOf(challenger) - before == OBOND
    claim = market.claimOf(s.id, s.participant)
    assert (claim["score"], claim["claimant"]) == (s.true_score, challenger)
    assert market.ranking(s.id)[0]["score"] == s.true_score
    # Settlement waits for the reopened window, then pays the corrected ranking; the organizer gets no bond back.
    with reverts("ChallengePending"):
        market.finalize(s.id, {"from": accounts[5]})
    later(3 * DAY + 1)
    tx = market.finalize(s.id, {"from": accounts[5]})
    assert _credits(tx, CreditReason.PRIZE) == [(s.participant, REWARD)]
    assert _credits(tx, CreditReason.BOND) == []
    tx = market.claimBond(s.id, s.participant, {"from": accounts[5]})
    assert _credits(tx, CreditReason.CHALLENGE_BOND) == [(challenger, CBOND)]
    escrowed, owed = market.totals()
    assert escrowed == 0 and owed == REWARD + OBOND + CBOND


def test_a_false_challenge_loses_its_bond_to_the_organizer(market, case):
    s = Setup(market, case)
    challenger, liar = accounts[3], tampered(case, delta=-2.0)
    s.open(challenger, liar)
    s.defend(challenger, s.honest)
    s.bisect_to_one_step(challenger, s.honest, liar)
    d = s.dispute(challenger)
    forged = list(s.honest.step_proof(d["lo"]))
    forged[1] += 1  # a pre-state that is not the agreed one
    with reverts("PreStateMismatch"):
        s.game.proveStep(s.id, s.participant, challenger, tuple(forged), {"from": challenger})
    tx = s.prove(challenger, s.honest, s.organizer)  # the organizer may run the step itself
    assert tx.events["DisputeEnded"]["defenderWon"] is True
    assert _credits(tx, CreditReason.CHALLENGE_BOND) == [(s.organizer, CBOND)]
    assert market.claimOf(s.id, s.participant)["score"] == s.true_score
    later(3 * DAY + 1)
    tx = market.finalize(s.id, {"from": accounts[5]})
    assert _credits(tx, CreditReason.BOND) == [(s.organizer, OBOND)]


def test_an_organizer_who_does_not_answer_loses(market, case):
    s = Setup(market, case, posted_score=123)
    challenger = accounts[2]
    s.open(challenger, s.honest)
    with reverts("DisputeNotExpired"):
        s.game.endDispute(s.id, s.participant, challenger, {"from": accounts[6]})
    later(DAY + 1)
    with reverts("BadMove", 2):
        s.defend(challenger, s.honest)
    tx = s.game.endDispute(s.id, s.participant, challenger, {"from": accounts[6]})
    assert tx.events["DisputeEnded"]["how"] == 1 and tx.events["DisputeEnded"]["defenderWon"] is False
    assert market.claimOf(s.id, s.participant)["score"] == s.true_score
    assert market.balanceOf(challenger) == OBOND


def test_a_challenger_who_stops_answering_loses(market, case):
    s = Setup(market, case)
    challenger = accounts[4]
    s.open(challenger, tampered(case))
    s.defend(challenger, s.honest)
    d = s.dispute(challenger)
    s.game.bisect(s.id, s.participant, challenger, s.honest.points(d["lo"], d["hi"]), {"from": s.organizer})
    assert s.dispute(challenger)["stage"] == CHOOSE
    later(DAY + 1)
    tx = s.game.endDispute(s.id, s.participant, challenger, {"from": accounts[6]})
    assert tx.events["DisputeEnded"]["defenderWon"] is True
    assert market.balanceOf(s.organizer) == CBOND


def test_settlement_waits_for_the_window_and_for_open_disputes(market, case):
    s = Setup(market, case)
    with reverts("ChallengePending"):
        market.finalize(s.id, {"from": accounts[5]})
    s.open(accounts[2], tampered(case))
    later(3 * DAY + 1)
    with reverts("ChallengePending"):
        market.finalize(s.id, {"from": accounts[5]})
    with reverts("ChallengeWindowClosed"):
        s.open(accounts[3], tampered(case))
    with reverts("ChallengePending"):
        market.settleWithoutEvaluation(s.id, {"from": accounts[5]})
    s.game.endDispute(s.id, s.participant, accounts[2], {"from": accounts[6]})  # the organizer never defended
    with reverts("ChallengePending"):  # the replaced score reopened the window
        market.finalize(s.id, {"from": accounts[5]})
    later(3 * DAY + 1)
    tx = market.finalize(s.id, {"from": accounts[5]})
    assert market.phase(s.id) == Phase.FINALIZED
    assert market.submission(s.id, s.participant)["status"] == Status.CLAIMED
    assert _credits(tx, CreditReason.BOND) == []  # lost to the challenger


def test_a_dispute_about_a_replaced_score_is_moot_and_returns_its_bond(market, case):
    s = Setup(market, case, posted_score=1)
    a, b = accounts[2], accounts[3]
    s.open(a, s.honest)
    s.open(b, tampered(case))
    later(DAY + 1)
    s.game.endDispute(s.id, s.participant, a, {"from": accounts[6]})  # organizer timed out: a's score stands
    tx = s.game.endDispute(s.id, s.participant, b, {"from": accounts[6]})
    assert tx.events["DisputeEnded"]["how"] == 2
    assert _credits(tx, CreditReason.CHALLENGE_BOND) == [(b, CBOND)]
    assert market.competition(s.id)["openDisputes"] == 0


def test_a_replacing_score_can_itself_be_disputed(market, case):
    s = Setup(market, case, posted_score=1)
    sybil, honest = accounts[2], accounts[3]
    wrong = tampered(case, delta=3.0)
    s.open(sybil, wrong)
    later(DAY + 1)
    s.game.endDispute(s.id, s.participant, sybil, {"from": accounts[6]})  # a colluding organizer lets it win
    assert market.claimOf(s.id, s.participant)["claimant"] == sybil
    s.open(honest, s.honest)
    with reverts("BadMove", 1):
        s.defend(honest, wrong)  # the defender is now the sybil, not the organizer
    s.defend(honest, wrong, sender=sybil)
    s.bisect_to_one_step(honest, wrong, s.honest, defender=sybil)
    tx = s.prove(honest, s.honest, honest)
    assert _credits(tx, CreditReason.DISPUTE_WON) == [(honest, CBOND)]
    assert market.claimOf(s.id, s.participant)["score"] == s.true_score


@pytest.mark.parametrize("cell", ["GRU", "SimpleRNN"])
def test_both_sides_played_automatically_the_truth_wins(market, cell):
    case = make_case(cell=cell, layers=2, units=4, dense=0, steps=2, features=2, train=9, test=3, seed=5)
    liar = tampered(case, delta=0.5)
    f = liar.final()
    s = Setup(market, case, posted_score=score_from_sums(0, f.sum_sq, f.sum_abs, case.test_rows))
    assert s.play(accounts[2], liar, s.honest) == 0  # a lying organizer against an honest challenger
    assert market.claimOf(s.id, s.participant)["score"] == s.true_score
    s2 = Setup(market, case)
    assert s2.play(accounts[3], s2.honest, tampered(case, delta=-0.5)) == 0  # an honest organizer, a false challenge
    assert market.claimOf(s2.id, s2.participant)["score"] == s2.true_score
    assert market.claimOf(s2.id, s2.participant)["claimant"] == "0x" + "00" * 20


def test_replacements_cannot_hold_the_window_open_for_ever(market, case):
    s = Setup(market, case)
    c = market.competition(s.id)
    assert c["challengeCap"] == c["challengeEnd"] + 9 * DAY
    claims = [tampered(case, delta=1.0), tampered(case, delta=2.0)]
    for r in range(12):  # two colluding accounts take turns replacing each other's score by timeouts
        who = accounts[2 + r % 2]
        if now() >= market.competition(s.id)["challengeEnd"]:
            break
        s.open(who, claims[r % 2])
        later(DAY + 1)
        s.game.endDispute(s.id, s.participant, who, {"from": accounts[6]})
    c = market.competition(s.id)
    assert c["challengeEnd"] == c["challengeCap"]
    advance_past(c["challengeCap"])
    with reverts("ChallengeWindowClosed"):
        s.open(accounts[4], s.honest)
    market.finalize(s.id, {"from": accounts[5]})


def test_no_dispute_can_hold_up_the_fallback(market, case):
    s = Setup(market, case, posted_score=1, unscored=accounts[7])  # the organizer never scores accounts[7]
    assert market.competition(s.id)["challengeEnd"] == 0
    s.open(accounts[2], s.honest)
    mine_at(market.competition(s.id)["evaluationEnd"])
    with reverts("ChallengeWindowClosed"):
        s.open(accounts[3], s.honest)
    with reverts("ChallengePending"):
        market.settleWithoutEvaluation(s.id, {"from": accounts[5]})
    later(DAY)
    s.game.endDispute(s.id, s.participant, accounts[2], {"from": accounts[6]})
    tx = market.settleWithoutEvaluation(s.id, {"from": accounts[5]})
    assert "SettledWithoutEvaluation" in tx.events and market.phase(s.id) == Phase.FALLBACK


def test_a_bonded_test_set_needs_rows(market, case):
    ev = Evaluation(case.machine())
    params = CompetitionParams.starting(
        now(), submission_s=DAY, reveal_s=DAY, evaluation_s=DAY, dataCid="QmTrain", target="c0", sequenceLength=3,
        horizon=2, metric=0, higherIsBetter=False, minScore=0, prizeBps=(10_000,),
        testCommitment=test_set_commitment(TEST_CID, SALT, ev.test.root, 0), trainRoot=ev.train.root, trainRows=10,
        organizerBond=OBOND, challengeBond=CBOND)
    cid = market.createCompetition(params.as_tuple(), {"from": accounts[0], "value": REWARD + OBOND}).return_value
    mine_at(market.competition(cid)["revealEnd"])
    with reverts("TestSetMismatch", cid):
        market.revealTestSet(cid, TEST_CID, ev.test.root, 0, SALT, {"from": accounts[0]})


def test_bad_dispute_calls_fail_with_one_clear_error(market, case):
    s = Setup(market, case)
    liar = tampered(case)
    f = liar.final()
    with reverts("WrongBond", CBOND, 1):
        market.openDispute(s.id, s.participant, f.sum_sq, f.sum_abs, {"from": accounts[2], "value": 1})
    with reverts("SameScore"):
        s.open(accounts[2], s.honest)
    with reverts("DisputeNotAllowed"):
        s.open(s.organizer, liar)
    with reverts("NotDisputable"):
        market.openDispute(s.id, accounts[8], f.sum_sq, f.sum_abs, {"from": accounts[2], "value": CBOND})
    s.open(accounts[2], liar)
    with reverts("DisputeExists"):
        s.open(accounts[2], liar)
    with reverts("BadMove", 1):
        s.defend(accounts[2], s.honest, sender=accounts[2])
    with reverts("SumsMismatch"):
        s.defend(accounts[2], liar)  # sums that do not give the posted score
    with reverts("NotDisputeGame"):
        market.resolveDispute(s.id, s.participant, accounts[2], False, 0, 0, 0, {"from": accounts[2]})
    with reverts("NotMarket"):
        s.game.open(s.id, s.participant, accounts[3], 0, 0, 0, False, {"from": accounts[3]})
    bad_meta = (s.honest.meta_leaf()[0], [b"\x00" * 32])
    with reverts("BadLeaf"):
        s.game.defend(s.id, s.participant, accounts[2], s.honest.final().sum_sq, s.honest.final().sum_abs, bad_meta,
                      {"from": s.organizer})


def test_bonded_creation_and_reveal_are_checked(market, params, organizer):
    p = params()
    for bad in ({"organizerBond": REWARD}, {"organizerBond": 1, "trainRows": 5},
                {"organizerBond": 1, "trainRoot": b"\x01" * 32, "trainRows": 5, "metric": 2, "challengeBond": 1}):
        fields = {**p.__dict__, **bad}
        with reverts("InvalidBondedParams"):
            market.createCompetition(CompetitionParams(**fields).as_tuple(), {"from": organizer, "value": REWARD})
    unbonded = market.createCompetition(p.as_tuple(), {"from": organizer, "value": REWARD}).return_value
    with reverts("NotBonded"):
        market.openDispute(unbonded, accounts[1], 0, 0, {"from": accounts[2]})
    assert market.competition(unbonded)["bonded"] is False


def test_a_bonded_reveal_needs_a_weights_root(market, case):
    ev = Evaluation(case.machine())
    params = CompetitionParams.starting(
        now(), submission_s=DAY, reveal_s=DAY, evaluation_s=DAY, dataCid="QmTrain", target="c0",
        sequenceLength=3, horizon=2, metric=1, higherIsBetter=False, minScore=0, prizeBps=(10_000,),
        testCommitment=test_set_commitment(TEST_CID, SALT, ev.test.root, 3), trainRoot=ev.train.root, trainRows=10,
        organizerBond=OBOND, challengeBond=CBOND)
    cid = market.createCompetition(params.as_tuple(), {"from": accounts[0], "value": REWARD + OBOND}).return_value
    assert market.competition(cid)["reward"] == REWARD
    sha, salt = b"\x01" * 32, b"\x02" * 32
    market.commit(cid, model_commitment("QmM", sha, salt, accounts[1].address, cid, market.address), {"from": accounts[1]})
    mine_at(market.competition(cid)["submissionEnd"])
    with reverts("MissingWeightsRoot", cid):
        market.reveal(cid, "QmM", sha, salt, {"from": accounts[1]})
    assert market.weightsRootOf(cid, accounts[1]) == "0x" + "00" * 32
    assert np.isfinite(0)
    assert ZERO32 == b"\x00" * 32
