"""Posted failures disputed on chain (docs/FRAUD_PROOFS.md, "Posted failures"): the weights availability
request and its publication, the reversed dispute (the claimant defends its sums, the organizer challenges
them or proves the model invalid), every outcome and its money, and the attacks on each."""
import numpy as np
import pytest
from brownie import DisputeGame, MaskingParticipant, accounts
from fraud_helpers import make_case
from test_disputes import CBOND, OBOND, REWARD

from forecast_market.chain import mine_at, now
from forecast_market.fraud import Evaluation, StepMachine, score_from_sums
from forecast_market.fraud.availability import (
    chunks,
    completion,
    model_from_leaves,
    publish,
    published_leaves,
)
from forecast_market.fraud.build import model_sums
from forecast_market.fraud.invalid import find_invalidity
from forecast_market.fraud.machine import WEIGHT_TYPES, data_tree, pack_int64, unit_key, unpack_int64
from forecast_market.fraud.merkle import StandardMerkleTree
from forecast_market.fraud.play import Stage, open_dispute, play, prove_invalid
from forecast_market.protocol import (
    CompetitionParams,
    CreditReason,
    Phase,
    Status,
    model_commitment,
    test_set_commitment,
)
from ml_models.intinfer import IntInferError

from market_helpers import DAY, reverts

TEST_CID, SALT = "QmFailedTestSet", b"\x06" * 32
FAIL = 2**63 - 1  # the failure score of a lower-is-better metric
COLUMNS = ("c0", "c1", "c2")


class Failed:
    """A bonded competition with accounts[1] revealed under ``leaves``' root, posted as failed unless ``post=False``."""

    def __init__(self, market, case, leaves=None, rows=None, horizon=None, post=True):
        self.market, self.case = market, case
        self.game = DisputeGame.at(market.disputeGame())
        self.organizer, self.participant = accounts[0], accounts[1]
        self.rows = case.rows if rows is None else rows
        self.leaves = case.model.leaves() if leaves is None else leaves
        self.root = StandardMerkleTree.of(self.leaves, WEIGHT_TYPES).root
        self.train = train = data_tree(self.rows[: case.train_rows])
        self.test = data_tree(self.rows[case.train_rows:], first_index=case.train_rows)
        params = CompetitionParams.starting(
            now(), submission_s=DAY, reveal_s=DAY, evaluation_s=3 * DAY, dataCid="QmTrain", target="c0",
            sequenceLength=case.model.net.sequence_length, horizon=horizon or case.model.horizon, metric=0,
            higherIsBetter=False, minScore=2**63 - 2, prizeBps=(10_000,), entryDeposit=0,
            testCommitment=test_set_commitment(TEST_CID, SALT, self.test.root, case.test_rows),
            trainRoot=train.root, trainRows=case.train_rows, organizerBond=OBOND, challengeBond=CBOND)
        self.id = market.createCompetition(params.as_tuple(), {"from": self.organizer, "value": REWARD + OBOND}).return_value
        sha, salt = b"\x78" * 32, b"\x0a" * 32
        market.commit(self.id, model_commitment("QmModel", sha, salt, self.participant.address, self.id, market.address,
                                                weights_root=self.root), {"from": self.participant})
        c = market.competition(self.id)
        mine_at(c["submissionEnd"])
        market.revealWithRoot(self.id, "QmModel", sha, self.root, salt, {"from": self.participant})
        mine_at(c["revealEnd"])
        market.revealTestSet(self.id, TEST_CID, self.test.root, case.test_rows, SALT, {"from": self.organizer})
        if post:
            self.post_failure()

    def post_failure(self):
        return self.market.postScores(self.id, [self.participant], [FAIL], {"from": self.organizer})

    def evaluation(self):
        model = model_from_leaves(self.leaves, COLUMNS)
        return Evaluation(StepMachine(model, self.rows, self.case.train_rows, self.case.test_rows))

    def open(self, claimant, ev, value=CBOND):
        f = ev.final()
        return self.market.openDispute(self.id, self.participant, f.sum_sq, f.sum_abs, {"from": claimant, "value": value})

    def dispute(self, claimant):
        return self.game.dispute(self.id, self.participant, claimant)

    def row(self, r):
        tree, local = (self.train, r) if r < self.case.train_rows else (self.test, r - self.case.train_rows)
        return [int(v) for v in self.rows[r]], tree.proof(local)

    def invalidity(self, horizon=None):
        return find_invalidity(self.leaves, self.rows, self.case.train_rows, self.case.test_rows,
                               horizon or self.case.model.horizon)


@pytest.fixture(scope="module")
def case():
    return make_case(cell="GRU", layers=2, units=4, dense=2, steps=3, features=2, train=10, test=3, seed=11)


def _credits(tx, reason):
    return [(e["account"], e["amount"]) for e in tx.events["Credited"] if e["reason"] == reason] if "Credited" in tx.events else []


def _with_unit(leaves, key, change):
    out = []
    for k, p in leaves:
        out.append((k, change(p) if k == key else p))
    return out


# ------------------------------------------------------------------ the reversed game
def test_a_valid_model_posted_as_failed_is_overturned_and_the_claimant_wins(market, case):
    s = Failed(market, case)
    claimant = s.participant
    assert s.game.failureDisputable(s.id, claimant)
    ev = s.evaluation()
    assert s.invalidity() is None
    true = score_from_sums(0, ev.final().sum_sq, ev.final().sum_abs, case.test_rows)
    tx = open_dispute(market, s.id, claimant, claimant, ev, CBOND)
    assert s.dispute(claimant)["failure"]
    # the claimant makes the defender's moves, the honest organizer the challenger's: the truth wins
    assert play(market, s.game, s.id, claimant, claimant, claimant, ev, ev, challenger_account=s.organizer) == Stage.NONE
    ended = market.events.get_sequence(from_block=tx.block_number, event_type="DisputeEnded")[-1]
    assert (ended.args["defenderWon"], ended.args["how"]) == (False, 0)
    assert market.submission(s.id, claimant)["status"] == Status.SCORED
    assert market.claimOf(s.id, claimant)["score"] == true
    assert market.claimOf(s.id, claimant)["claimant"] == claimant
    assert market.competition(s.id)["failedCount"] == 0
    assert [r["participant"] for r in market.ranking(s.id)] == [claimant]
    assert market.balanceOf(claimant) == OBOND  # the organizer's whole bond
    mine_at(market.competition(s.id)["challengeEnd"])
    fin = market.finalize(s.id, {"from": accounts[5]})
    assert "Finalized" in fin.events and "Refunded" not in fin.events
    assert _credits(fin, CreditReason.PRIZE) == [(claimant, REWARD)]
    market.claimBond(s.id, claimant)
    assert market.balanceOf(claimant) == OBOND + REWARD + CBOND
    escrowed, owed = market.totals()
    assert (escrowed, owed) == (0, OBOND + REWARD + CBOND)


def test_a_claim_with_wrong_sums_loses_its_bond_to_the_organizer(market, case):
    s = Failed(market, case)
    honest = s.evaluation()
    rows = s.rows.copy()
    rows[case.train_rows + 1, 0] += 2**24
    lying = Evaluation(StepMachine(honest.machine.model, rows, case.train_rows, case.test_rows))
    claimant = accounts[3]
    open_dispute(market, s.id, s.participant, claimant, lying, CBOND)
    play(market, s.game, s.id, s.participant, claimant, claimant, lying, honest, challenger_account=s.organizer)
    assert s.dispute(claimant)["stage"] == 0
    assert market.submission(s.id, s.participant)["status"] == Status.FAILED
    assert market.balanceOf(s.organizer) == CBOND


@pytest.mark.parametrize("who_stops", ["claimant", "organizer"])
def test_timeouts_lose_against_whoever_must_move(market, case, who_stops):
    s = Failed(market, case)
    ev = s.evaluation()
    claimant = accounts[4]
    s.open(claimant, ev)
    if who_stops == "organizer":
        f = ev.final()
        s.game.defend(s.id, s.participant, claimant, 0, 0, ev.meta_leaf(), {"from": claimant})
        assert bytes(s.dispute(claimant)["hiHash"]) == ev.hash_at(ev.machine.total)  # its own sums, whatever it sends
        assert f.sum_sq != 0
        with reverts("BadMove", 1):
            s.game.bisect(s.id, s.participant, claimant, ev.points(0, ev.machine.total), {"from": s.organizer})
        s.game.bisect(s.id, s.participant, claimant, ev.points(0, ev.machine.total), {"from": claimant})
        with reverts("BadMove", 1):
            s.game.choose(s.id, s.participant, claimant, 0, ev.points(0, ev.machine.total), {"from": claimant})
    else:
        with reverts("BadMove", 1):  # the organizer cannot defend a claim that is not its own
            s.game.defend(s.id, s.participant, claimant, 0, 0, ev.meta_leaf(), {"from": s.organizer})
    with reverts("DisputeNotExpired"):
        s.game.endDispute(s.id, s.participant, claimant, {"from": accounts[6]})
    mine_at(s.dispute(claimant)["deadline"])
    tx = s.game.endDispute(s.id, s.participant, claimant, {"from": accounts[6]})
    claimant_won = who_stops == "organizer"
    assert tx.events["DisputeEnded"]["defenderWon"] is not claimant_won
    status = market.submission(s.id, s.participant)["status"]
    assert status == (Status.SCORED if claimant_won else Status.FAILED)
    assert market.balanceOf(claimant if claimant_won else s.organizer) == (OBOND if claimant_won else CBOND)


def test_the_refund_waits_for_open_failure_disputes(market, case):
    s = Failed(market, case)
    ev = s.evaluation()
    s.open(accounts[4], ev)
    mine_at(market.competition(s.id)["evaluationEnd"] + 4 * DAY)
    assert now() > market.competition(s.id)["challengeEnd"]
    with reverts("ChallengePending"):
        market.settleWithoutEvaluation(s.id, {"from": accounts[5]})
    with reverts("ChallengePending"):
        market.finalize(s.id, {"from": accounts[5]})
    s.game.endDispute(s.id, s.participant, accounts[4], {"from": accounts[5]})  # the claimant never defended
    tx = market.finalize(s.id, {"from": accounts[5]})
    assert "Refunded" in tx.events and market.phase(s.id) == Phase.REFUNDED


# ------------------------------------------------------------------ invalid models
def _invalid_case(case, kind):
    """(leaves, rows, horizon) of a model the scorer refuses for reason ``kind``."""
    leaves, rows, horizon = case.model.leaves(), case.rows, None
    if kind == "meta":
        horizon = case.model.horizon + 1  # the model does not forecast the competition's horizon
    elif kind == "leaf":
        leaves = _with_unit(leaves, unit_key(1, 2), lambda p: p[:-8])
    elif kind == "bound":
        leaves = _with_unit(leaves, unit_key(0, 1), lambda p: pack_int64([*unpack_int64(p)[:-1], 2**61]))
    else:  # the meta leaf reads its second feature from a column the data rows do not have
        leaves = _with_unit(leaves, 0, lambda p: pack_int64([*unpack_int64(p)[:14], 99, *unpack_int64(p)[15:]]))
    return leaves, rows, horizon


def _planted(case):
    """The test rows with one row 20,000 standard deviations out: what a lying organizer plants so that
    every model reading it would be refused, if out-of-range inputs were refused rather than clamped."""
    rows = case.rows.copy()
    rows[case.train_rows, :] += 20_000 * 2**24
    return rows


@pytest.mark.parametrize("kind, code", [("meta", 0), ("leaf", 1), ("bound", 2), ("input", 3)])
def test_the_organizer_proves_an_invalid_model_and_wins_the_claimants_bond(market, case, kind, code):
    leaves, rows, horizon = _invalid_case(case, kind)
    s = Failed(market, case, leaves=leaves, rows=rows, horizon=horizon)
    proof = s.invalidity(horizon)
    assert proof is not None and proof[0] == code
    if kind == "bound":  # the scorer itself refuses the same model, for the same reason
        model = model_from_leaves(leaves, COLUMNS)
        with pytest.raises(IntInferError):
            model.net._prove_bounds()
    claimant = accounts[2]
    honest = Evaluation(case.machine())
    s.open(claimant, honest)
    if kind == "input":  # a missing column is proven by a public training row only, never by a test row
        w, t = case.test_rows - 1, case.model.net.sequence_length - 1
        end = case.train_rows + w - case.model.horizon
        assert end >= case.train_rows
        on_test = (*proof[:5], w, t, [s.row(end)] + ([s.row(end)] if case.model.delta else []))
        with reverts("BadMove", 3):
            s.game.proveInvalid(s.id, s.participant, claimant, on_test, {"from": s.organizer})
    prove_invalid(s.game, s.id, s.participant, claimant, s.organizer, proof)
    assert s.dispute(claimant)["stage"] == 0
    assert market.submission(s.id, s.participant)["status"] == Status.FAILED
    assert market.balanceOf(s.organizer) == CBOND


def _score(model, rows, case):
    from ml_models.intinfer import windows_at

    x = model.scaler.standardize(rows[:, list(model.columns)])
    ends = case.train_rows + np.arange(case.test_rows) - model.horizon
    return model.net.predict(windows_at(x, model.net.sequence_length, ends, delta=model.delta))


def test_a_valid_model_cannot_be_proven_invalid(market, case):
    s = Failed(market, case)
    claimant = accounts[2]
    s.open(claimant, s.evaluation())
    leaves, rows, horizon = _invalid_case(case, "bound")
    forged = find_invalidity(leaves, rows, case.train_rows, case.test_rows, case.model.horizon)
    with reverts("BadLeaf"):
        s.game.proveInvalid(s.id, s.participant, claimant, forged, {"from": s.organizer})
    proof = list(find_invalidity(*_invalid_case(case, "input")[:2], case.train_rows, case.test_rows, case.model.horizon))
    with reverts("BadLeaf"):  # the meta leaf that reads a missing column is not this model's
        s.game.proveInvalid(s.id, s.participant, claimant, tuple(proof), {"from": s.organizer})
    tree = StandardMerkleTree.of(s.leaves, WEIGHT_TYPES)
    proof[1], proof[2] = s.leaves[0][1], tree.proof(0)
    end = case.train_rows + proof[5] - case.model.horizon
    read = [end - case.model.net.sequence_length + 1 + proof[6], end]
    proof[7] = [s.row(r) for r in read]  # the true rows: every column there
    with reverts("BadMove", 3):
        s.game.proveInvalid(s.id, s.participant, claimant, tuple(proof), {"from": s.organizer})
    meta_only = (0, *proof[1:3], 0, [], 0, 0, [])
    with reverts("BadMove", 3):
        s.game.proveInvalid(s.id, s.participant, claimant, meta_only, {"from": s.organizer})


# ------------------------------------------------------------------ weights availability
def test_an_outlier_planted_in_the_test_set_fails_no_model(market, case):
    """A lying organizer plants a test row 20,000 standard deviations out, then posts the entry as failed.
    Inputs beyond the proven range are clamped, not refused, in the scorer, the step machine and the
    contract alike: nothing proves the model invalid, every step the contract runs over the planted row
    gives the Python hash, and the claimant overturns the failure."""
    rows = _planted(case)
    s = Failed(market, case, rows=rows)
    assert s.invalidity() is None
    model = model_from_leaves(s.leaves, COLUMNS)
    assert len(_score(model, rows, case)) == case.test_rows  # the vectorised scorer runs it too
    ev = s.evaluation()
    assert (ev.final().sum_sq, ev.final().sum_abs) == model_sums(model, rows, case.train_rows, case.test_rows)
    ctx = market.disputeContext(s.id, s.participant)
    roots = (ctx["weightsRoot"], ctx["trainRoot"], ctx["testRoot"], ctx["trainRows"], ctx["testRows"])
    for i in range(ev.machine.total):
        assert bytes(s.game.run(roots, ev.step_proof(i))[1]) == ev.hash_at(i + 1), f"step {i}"
    claimant = s.participant
    open_dispute(market, s.id, claimant, claimant, ev, CBOND)
    assert play(market, s.game, s.id, claimant, claimant, claimant, ev, ev, challenger_account=s.organizer) == Stage.NONE
    assert market.submission(s.id, claimant)["status"] == Status.SCORED
    assert market.balanceOf(claimant) == OBOND


def test_an_unanswered_request_makes_the_failure_undisputable(market, case):
    s = Failed(market, case, post=False)
    tx = s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    assert tx.events["WeightsRequested"]["deadline"] == now() + DAY
    assert s.game.weightsPending(s.id, s.participant)
    with reverts("WeightsPending", s.id, s.participant):
        s.post_failure()
    with reverts("BadMove", 5):  # once per entry
        s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    mine_at(s.game.weightsRequest(s.id, s.participant)["deadline"])
    with reverts("BadMove", 2):
        s.game.publishWeights(s.id, s.participant, [p for _, p in s.leaves[:2]], {"from": s.participant})
    s.post_failure()
    assert not s.game.failureDisputable(s.id, s.participant)
    with reverts("NotDisputable", s.id, s.participant):
        s.open(accounts[2], s.evaluation())
    with reverts("NotDisputable", s.id, s.participant):
        s.open(s.participant, s.evaluation())


def test_a_completed_publication_lets_the_organizer_score_from_chain_data(market, case):
    s = Failed(market, case, post=False)
    s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    txs = publish(s.game, s.id, s.participant, s.leaves)
    assert "WeightsAvailable" in txs[-1].events
    assert not s.game.weightsPending(s.id, s.participant) and s.game.failureDisputable(s.id, s.participant)
    leaves = published_leaves(s.game, s.id, s.participant.address)
    assert leaves == s.leaves
    model = model_from_leaves(leaves, COLUMNS)
    assert StandardMerkleTree.of(model.leaves(), WEIGHT_TYPES).root == s.root
    ev = Evaluation(StepMachine(model, s.rows, case.train_rows, case.test_rows))
    score = score_from_sums(0, ev.final().sum_sq, ev.final().sum_abs, case.test_rows)
    assert score == score_from_sums(0, *case.scorer_sums(), case.test_rows)
    market.postScores(s.id, [s.participant], [score], {"from": s.organizer})
    assert market.claimOf(s.id, s.participant)["score"] == score


def test_a_publication_can_span_several_transactions(market, case):
    s = Failed(market, case, post=False)
    s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    groups = chunks([p for _, p in s.leaves], limit=len(s.leaves[1][1]) * 2)
    assert len(groups) > 2
    for g in groups:
        tx = s.game.publishWeights(s.id, s.participant, g, {"from": s.participant})
        assert tx.events["WeightsPublished"]["count"] == len(g)
    s.game.completeWeights(s.id, s.participant, *completion(s.leaves), {"from": accounts[7]})
    assert s.game.weightsRequest(s.id, s.participant)["complete"]
    assert published_leaves(s.game, s.id, s.participant.address) == s.leaves


@pytest.mark.parametrize("attack", ["wrong leaf", "duplicate", "out of order", "extra leaf in tree", "too many"])
def test_publishing_anything_but_the_revealed_tree_never_completes(market, case, attack):
    leaves = case.model.leaves()
    committed = leaves + [(unit_key(0, 0), b"\x00" * 8)] if attack == "extra leaf in tree" else leaves
    s = Failed(market, case, leaves=committed, post=False)
    s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    sent = list(leaves)
    if attack == "wrong leaf":
        sent[2] = (sent[2][0], sent[2][1][:-8] + b"\x00" * 8)
    elif attack == "duplicate":
        sent[3] = sent[2]
    elif attack == "out of order":
        sent[2], sent[3] = sent[3], sent[2]
    payloads = [p for _, p in sent]
    if attack == "too many":
        with reverts("BadMove", 3):
            s.game.publishWeights(s.id, s.participant, payloads + [payloads[-1]], {"from": s.participant})
        return
    s.game.publishWeights(s.id, s.participant, payloads, {"from": s.participant})
    for args in (completion(sent), completion(leaves)):
        with reverts("BadMove", 3):
            s.game.completeWeights(s.id, s.participant, *args, {"from": s.participant})
    assert s.game.weightsPending(s.id, s.participant)


def test_bad_availability_and_failure_calls_fail_with_one_clear_error(market, case):
    s = Failed(market, case, post=False)
    with reverts("BadMove", 1):  # only the organizer requests
        s.game.requestWeights(s.id, s.participant, {"from": accounts[3]})
    with reverts("BadMove", 2):  # nothing requested
        s.game.publishWeights(s.id, s.participant, [s.leaves[0][1]], {"from": s.participant})
    s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    with reverts("BadMove", 1):  # only the participant publishes its weights
        s.game.publishWeights(s.id, s.participant, [s.leaves[0][1]], {"from": accounts[3]})
    with reverts("InvalidModelMeta", 4):
        s.game.publishWeights(s.id, s.participant, [pack_int64([1, 1, 9, 3, 2, 2, 3, 2, 1, 0, 5])],
                              {"from": s.participant})
    with reverts("BadMove", 3):  # nothing published yet
        s.game.completeWeights(s.id, s.participant, [], b"", {"from": s.participant})
    mine_at(s.game.weightsRequest(s.id, s.participant)["deadline"])
    s.post_failure()
    with reverts("BadMove", 5):  # a scored (or failed) entry cannot be requested
        s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    s2 = Failed(market, case)
    ev = s2.evaluation()
    with reverts("DisputeNotAllowed", s2.id, s2.participant, s2.organizer):
        s2.open(s2.organizer, ev)
    with reverts("WrongBond"):
        s2.open(accounts[3], ev, value=CBOND - 1)
    s2.open(accounts[3], ev)
    with reverts("BadMove", 0):  # no such dispute
        s2.game.proveInvalid(s2.id, s2.participant, accounts[4], s2.invalidity() or (0, b"", [], 0, [], 0, 0, []),
                             {"from": s2.organizer})


def test_proving_invalidity_is_only_for_failures_and_before_the_deadline(market, case):
    leaves, rows, horizon = _invalid_case(case, "bound")
    s = Failed(market, case, leaves=leaves)
    proof = s.invalidity()
    claimant = accounts[2]
    s.open(claimant, Evaluation(case.machine()))
    mine_at(s.dispute(claimant)["deadline"])
    with reverts("BadMove", 2):
        s.game.proveInvalid(s.id, s.participant, claimant, proof, {"from": s.organizer})


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_scorer_python_and_contract_agree_on_the_overflow_bound_at_its_edge(market, cell):
    """A unit leaf whose bound is 2**62 - 2**24 runs; one 2**24 more does not: in the scorer's
    proof, in the Python twin and in the contract, alike."""
    edge = make_case(cell=cell, layers=2, units=4, dense=0, steps=3, features=2, train=10, test=3, seed=3)
    key = unit_key(1, 0)
    leaves = edge.model.leaves()
    payload = unpack_int64(dict(leaves)[key])
    width, units = 4, 4
    g = {"LSTM": 4, "GRU": 3}[cell]
    at = g * (width + units)  # gate 0's bias (LSTM b, GRU the input bias): the bound is ONE (sum |w| + sum |u| + |b|)
    column = np.abs(payload[: width + (units if cell == "LSTM" else 0)]).sum()
    verdicts = []
    for extra in (0, 1):
        p = payload.copy()
        p[at] = 2**38 - 1 - int(column) + extra
        changed = _with_unit(leaves, key, lambda _, p=p: pack_int64(p))
        proof = find_invalidity(changed, edge.rows, edge.train_rows, edge.test_rows, edge.model.horizon)
        tree = StandardMerkleTree.of(changed, WEIGHT_TYPES)
        index = [k for k, _ in changed].index(key)
        mine = (2, changed[0][1], tree.proof(0), key, [(changed[index][1], tree.proof(index))], 0, 0, [])
        roots = (tree.root, b"\x00" * 32, b"\x00" * 32, edge.train_rows, edge.test_rows)
        try:
            model_from_leaves(changed, COLUMNS).net._prove_bounds()
            scorer = True
        except IntInferError:
            scorer = False
        verdicts.append((scorer, proof is None, not DisputeGame.at(market.disputeGame()).invalid(roots, mine)))
    assert verdicts == [(True, True, True), (False, False, False)]


def test_a_request_always_leaves_the_participant_a_full_day(market, case):
    s = Failed(market, case, post=False)
    end = market.competition(s.id)["evaluationEnd"]
    mine_at(end - DAY)
    with reverts("BadMove", 5):  # the period would end at or after the evaluation deadline
        s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    s.post_failure()
    assert s.game.failureDisputable(s.id, s.participant)


def test_a_scored_entry_cannot_be_requested(market, case):
    s = Failed(market, case, post=False)
    ev = s.evaluation()
    market.postScores(s.id, [s.participant], [score_from_sums(0, ev.final().sum_sq, ev.final().sum_abs, case.test_rows)],
                      {"from": s.organizer})
    with reverts("BadMove", 5):
        s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    assert not s.game.weightsPending(s.id, s.participant)


def _overflowing(case):
    """A crafted model whose forecasts leave int64 when mapped back to target units (a huge delta scale times
    an output near 64): the integer scorer refuses it, and no leaf proves that on chain."""
    meta = unpack_int64(dict(case.model.leaves())[0]).copy()
    meta[10] = 2**60
    leaves = [(0, pack_int64(meta))] + case.model.leaves()[1:]
    key, out = leaves[-1]
    leaves[-1] = (key, out[:-8] + pack_int64([2**30]))
    return leaves


def test_a_forecast_beyond_int64_is_scored_exactly_as_the_chain_does(case):
    """The scorer refuses the forecast-units overflow, which no leaf proves; the fraud tools compute it as the
    chain does (int256: exact), so its failure is not posted and its true, terrible score is."""
    from ml_models.intinfer import IntScaler

    leaves = _overflowing(case)
    assert find_invalidity(leaves, case.rows, case.train_rows, case.test_rows, case.model.horizon) is None
    model = model_from_leaves(leaves, COLUMNS)
    with pytest.raises(IntInferError, match="target units"):  # the int64 scorer itself
        IntScaler.to_target_units(model.scaler, np.asarray([2**30]), np.asarray([0]), delta=True)
    ev = Evaluation(StepMachine(model, case.rows, case.train_rows, case.test_rows))
    sums = model_sums(model, case.rows, case.train_rows, case.test_rows)
    assert (ev.final().sum_sq, ev.final().sum_abs) == sums and sums[1] >= 2**62
    assert 10**18 < score_from_sums(0, *sums, case.test_rows) < FAIL  # an RMSE of a trillion target units


def test_a_claimant_cannot_turn_an_overflowing_model_into_a_winner(market, case):
    """A hostile participant crafts the forecast-units overflow, gets failed, and claims a perfect score: the
    organizer answers with the exact step machine and the claim loses at the executed step."""
    s = Failed(market, case, leaves=_overflowing(case))
    truth = s.evaluation()
    rows = s.rows.copy()
    rows[case.train_rows:, 0] = 0  # the claimant's "evaluation": every target zero, its forecasts too
    fake = Evaluation(StepMachine(truth.machine.model, rows, case.train_rows, case.test_rows))
    assert fake.final().sum_sq < truth.final().sum_sq
    open_dispute(market, s.id, s.participant, s.participant, fake, CBOND)
    play(market, s.game, s.id, s.participant, s.participant, s.participant, fake, truth, challenger_account=s.organizer)
    assert market.submission(s.id, s.participant)["status"] == Status.FAILED
    assert market.balanceOf(s.organizer) == CBOND and market.ranking(s.id) == ()


def test_sums_too_large_for_the_score_formula_give_the_worst_score(market):
    """Sums of forecasts far beyond int64 (the chain computes them in int256) clamp like the scorer's, they do
    not revert: else an organizer could never defend the true score of such a model."""
    game = DisputeGame.at(market.disputeGame())
    for sum_sq in (2**214, 2**240, 2**256 - 1):
        assert game.scoreFromSums(0, 3, sum_sq, 0) == score_from_sums(0, sum_sq, 0, 3) == 2**63 - 2


# ------------------------------------------------------------------ attacks that must fail
@pytest.mark.parametrize("meta", [b"", b"\x01" * 80], ids=["empty", "short"])
def test_an_unproven_short_meta_leaf_proves_nothing(market, case, meta):
    """A lying organizer sends a meta leaf shorter than its fixed part, with no proof: it is no leaf of the
    model, so it shows nothing about it (the length was checked before the proof)."""
    s = Failed(market, case)
    claimant = accounts[2]
    s.open(claimant, s.evaluation())
    with reverts("BadMove", 3):
        s.game.proveInvalid(s.id, s.participant, claimant, (0, meta, [], 0, [], 0, 0, []), {"from": s.organizer})
    assert s.dispute(claimant)["stage"] == Stage.DEFENSE


@pytest.mark.parametrize("forgery, error", [
    ("unknown kind", ("BadMove", 3)), ("window past the test set", ("BadMove", 3)),
    ("time past the window", ("BadMove", 3)), ("bounded unit leaf", ("BadMove", 3)),
    ("right-length leaf", ("BadMove", 3)), ("leaf under another key", ("BadLeaf",)),
    ("key the model does not read", ("BadLeaf",)), ("dense leaves missing one", ("BadLeaf",)),
])
def test_a_valid_model_cannot_be_proven_invalid_by_a_forged_argument(market, case, forgery, error):
    """A lying organizer points proveInvalid at real leaves of a valid model, under the wrong key or kind, or at
    a window or time step no evaluation reads: each is refused, and the dispute goes on."""
    s = Failed(market, case)
    claimant = accounts[2]
    s.open(claimant, s.evaluation())
    tree = StandardMerkleTree.of(s.leaves, WEIGHT_TYPES)
    keys = [k for k, _ in s.leaves]
    leaf = [(s.leaves[keys.index(unit_key(1, 0))][1], tree.proof(keys.index(unit_key(1, 0))))]
    kind, key, leaves, window, t = {
        "unknown kind": (4, unit_key(1, 0), leaf, 0, 0),
        "window past the test set": (3, 0, [], case.test_rows, 0),
        "time past the window": (3, 0, [], 0, case.model.net.sequence_length),
        "bounded unit leaf": (2, unit_key(1, 0), leaf, 0, 0),
        "right-length leaf": (1, unit_key(1, 0), leaf, 0, 0),
        "leaf under another key": (1, unit_key(1, 1), leaf, 0, 0),
        "key the model does not read": (1, unit_key(2, 0), leaf, 0, 0),
        "dense leaves missing one": (2, 2 << 32, [(s.leaves[-2][1], tree.proof(len(keys) - 2))], 0, 0),
    }[forgery]
    with reverts(*error):
        s.game.proveInvalid(s.id, s.participant, claimant, (kind, s.leaves[0][1], tree.proof(0), key, leaves, window, t, []),
                            {"from": s.organizer})
    assert s.dispute(claimant)["stage"] == Stage.DEFENSE


def test_sybil_claims_on_one_failure_cost_nothing_but_their_own_bonds(market, case):
    """Several accounts dispute the same failure: the true claim wins the organizer's bond once; a false claim
    still open then is moot (its bond returned, nothing else moves), and no claim can be opened twice."""
    s = Failed(market, case)
    truth = s.evaluation()
    rows = s.rows.copy()
    rows[case.train_rows:, 0] += 2**24
    fake = Evaluation(StepMachine(truth.machine.model, rows, case.train_rows, case.test_rows))
    honest, sybil = accounts[3], accounts[4]
    s.open(sybil, fake)
    with reverts("DisputeExists"):
        s.open(sybil, fake)
    open_dispute(market, s.id, s.participant, honest, truth, CBOND)
    assert market.competition(s.id)["openDisputes"] == 2
    play(market, s.game, s.id, s.participant, honest, honest, truth, truth, challenger_account=s.organizer)
    assert market.submission(s.id, s.participant)["status"] == Status.SCORED
    tx = s.game.endDispute(s.id, s.participant, sybil, {"from": accounts[6]})  # moot at once
    assert tx.events["DisputeEnded"]["how"] == 2
    assert (market.balanceOf(honest), market.balanceOf(sybil), market.balanceOf(s.organizer)) == (OBOND, CBOND, 0)
    c = market.competition(s.id)
    assert (c["openDisputes"], c["failedCount"], c["organizerBond"]) == (0, 0, 0)
    escrowed, owed = market.totals()
    assert (escrowed, owed) == (REWARD + CBOND, OBOND + CBOND)  # the honest claimant's bond stays behind its score


def test_weights_published_through_a_contract_can_still_be_read(market, case):
    """A participant that is a contract (or an account with delegated code) publishes its weights through its own
    code, with the payloads masked in its transaction's input: the publication completes on chain, so the
    organizer must be able to read the payloads, else the withholding attack is back (an unreadable publication
    makes the failure disputable while the organizer cannot score or answer)."""
    s = Failed(market, case, post=False)
    sender = accounts[5]
    agent = MaskingParticipant.deploy({"from": sender})

    def via(fn, *args):
        data = bytes.fromhex(fn.encode_input(*args)[2:])
        return agent.forward(fn._address, bytes(b ^ 0x5A for b in data), 0x5A, {"from": sender})

    sha, salt = b"\x79" * 32, b"\x0b" * 32
    id2 = _bonded_like(market, s)  # s's trees and task, with the contract as its participant
    via(market.commit, id2, model_commitment("QmAgent", sha, salt, agent.address, id2, market.address, weights_root=s.root))
    c2 = market.competition(id2)
    mine_at(c2["submissionEnd"])
    via(market.revealWithRoot, id2, "QmAgent", sha, s.root, salt)
    mine_at(c2["revealEnd"])
    s.game.requestWeights(id2, agent.address, {"from": s.organizer})
    payloads = [p for _, p in s.leaves]
    half = len(payloads) // 2
    for group in (payloads[:half], payloads[half:]):
        via(s.game.publishWeights, id2, agent.address, group)
    s.game.completeWeights(id2, agent.address, *completion(s.leaves), {"from": accounts[7]})
    assert s.game.failureDisputable(id2, agent.address)
    assert published_leaves(s.game, id2, agent.address) == s.leaves


def _bonded_like(market, s):
    """A new bonded competition with the same data and task as ``s``'s, opening now."""
    case = s.case
    params = CompetitionParams.starting(
        now(), submission_s=DAY, reveal_s=DAY, evaluation_s=3 * DAY, dataCid="QmTrain", target="c0",
        sequenceLength=case.model.net.sequence_length, horizon=case.model.horizon, metric=0, higherIsBetter=False,
        minScore=2**63 - 2, prizeBps=(10_000,), entryDeposit=0,
        testCommitment=test_set_commitment(TEST_CID, SALT, s.test.root, case.test_rows), trainRoot=s.train.root,
        trainRows=case.train_rows, organizerBond=OBOND, challengeBond=CBOND)
    return market.createCompetition(params.as_tuple(), {"from": s.organizer, "value": REWARD + OBOND}).return_value


@pytest.mark.parametrize("field, value, reason", [(1, 7, 3), (0, 2, 1), (4, 5000, 6), (None, None, 10)],
                         ids=["unknown cell", "unknown version", "head beyond the covered size", "ragged length"])
def test_a_meta_the_publication_accepts_but_the_verifier_refuses_is_proven_invalid(market, case, field, value, reason):
    """The publication reads only layers, units and the head from the meta leaf (to count the leaves); a
    participant that publishes a meta the verifier refuses (even one whose length is not whole int64 values,
    which the organizer's tools must still read) completes, gets failed, and its claim loses to a kind 0 proof
    with that very meta."""
    meta = unpack_int64(dict(case.model.leaves())[0]).copy()
    if field is not None:
        meta[field] = value
    leaves = [(0, pack_int64(meta) + (b"\x01" if field is None else b""))] + case.model.leaves()[1:]
    s = Failed(market, case, leaves=leaves, post=False)
    s.game.requestWeights(s.id, s.participant, {"from": s.organizer})
    publish(s.game, s.id, s.participant, leaves)
    assert s.game.weightsRequest(s.id, s.participant)["complete"]
    assert published_leaves(s.game, s.id, s.participant.address) == leaves
    s.post_failure()
    proof = s.invalidity()
    assert proof is not None and proof[0] == 0
    with reverts("InvalidModelMeta", reason):  # the claimant cannot even defend
        s.game.describe((s.root, s.train.root, s.test.root, case.train_rows, case.test_rows), proof[1], proof[2],
                        case.model.horizon)
    s.open(s.participant, Evaluation(case.machine()))
    prove_invalid(s.game, s.id, s.participant, s.participant, s.organizer, proof)
    assert market.submission(s.id, s.participant)["status"] == Status.FAILED
    assert market.balanceOf(s.organizer) == CBOND


def test_a_fake_score_for_an_overflowing_model_is_overturned_with_the_exact_sums(market, case):
    """A colluding organizer posts a great score for its sybil's crafted forecast-units overflow: an honest
    challenger computes the true sums exactly (as `market challenge` does, fraud.build.model_sums) and wins."""
    s = Failed(market, case, leaves=_overflowing(case), post=False)
    truth = s.evaluation()
    m = truth.machine
    sums = model_sums(m.model, m.rows, m.train_rows, m.test_rows)
    assert sums == (truth.final().sum_sq, truth.final().sum_abs)
    rows = s.rows.copy()
    rows[case.train_rows:, 0] = 0
    liar = Evaluation(StepMachine(m.model, rows, case.train_rows, case.test_rows))
    market.postScores(s.id, [s.participant], [score_from_sums(0, liar.final().sum_sq, liar.final().sum_abs,
                                                              case.test_rows)], {"from": s.organizer})
    assert [r["participant"] for r in market.ranking(s.id)] == [s.participant]
    honest = accounts[3]
    open_dispute(market, s.id, s.participant, honest, truth, CBOND)
    play(market, s.game, s.id, s.participant, honest, s.organizer, liar, truth)
    assert market.claimOf(s.id, s.participant)["score"] == score_from_sums(0, *sums, case.test_rows)
    assert market.balanceOf(honest) == OBOND
