"""commit and reveal: deadlines at -1/0/+1, binding to sender, deposits, replacement."""
import os

from brownie import accounts, web3

from forecast_market.protocol import Phase, Status

from market_helpers import Player, at, deadlines, edges, expect, reverts, totals

DEPOSIT = 10**16


def test_commit_stores_a_sealed_submission_and_emits(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    tx = p.commit()
    ev = tx.events["Committed"]
    # the event carries exactly what is stored and checked: the first 24 bytes of the commitment
    assert dict(ev) == {"id": cid, "participant": p.account, "seal": web3.to_hex(p.commitment[:24]), "order": 1}
    s = market.submission(cid, p.account)
    assert s["status"] == Status.COMMITTED and s["order"] == 1
    assert s["seal"] == web3.to_hex(p.commitment[:24])
    assert market.competition(cid)["participants"] == 1


@edges(("submissionEnd", -1, None), ("submissionEnd", 0, "SubmissionClosed"), ("submissionEnd", 1, "SubmissionClosed"))
def test_commit_closes_at_the_submission_deadline(market, create, players, deadline, offset, error):
    cid = create()
    p = players(cid, 1)[0]
    t = market.competition(cid)[deadline]
    at(t + offset)
    with expect(error, cid, t):
        p.commit()


def test_commit_without_the_deposit_reverts(market, create, players):
    cid = create(deposit=DEPOSIT)
    with reverts("WrongDeposit", DEPOSIT, 0):
        players(cid, 1)[0].commit()


def test_commit_with_the_deposit_escrows_it(market, create, players):
    cid = create(deposit=DEPOSIT)
    before = totals(market)[0]
    players(cid, 1)[0].commit(value=DEPOSIT)
    assert totals(market)[0] - before == DEPOSIT


def test_replacing_a_commitment_keeps_one_live_and_takes_no_new_deposit(market, create, players):
    cid = create(deposit=DEPOSIT)
    p, q = players(cid, 2)
    p.commit(value=DEPOSIT)
    q.commit(value=DEPOSIT)
    old = p.commitment
    p.salt = os.urandom(32)
    with reverts("WrongDeposit", 0, DEPOSIT):
        p.commit(value=DEPOSIT)
    tx = p.commit()
    assert tx.events["Committed"]["order"] == 3  # a replacement is a later commitment
    s = market.submission(cid, p.account)
    assert s["seal"] == web3.to_hex(p.commitment[:24]) and s["seal"] != web3.to_hex(old[:24])
    assert market.competition(cid)["participants"] == 2


def test_reveal_checks_the_commitment_and_keeps_the_deposit_until_settlement(market, create, players):
    cid = create(deposit=DEPOSIT)
    p = players(cid, 1)[0]
    p.commit(value=DEPOSIT)
    escrow = totals(market)
    sub, _, _ = deadlines(market, cid)
    at(sub)
    tx = p.reveal()
    ev = tx.events["Revealed"]  # the only record of the model: clients read the CID and digest here
    assert dict(ev) == {"id": cid, "participant": p.account, "modelCid": p.cid, "modelSha256": web3.to_hex(p.sha)}
    assert "Credited" not in tx.events
    s = market.submission(cid, p.account)
    assert s["status"] == Status.REVEALED and s["seal"] == "0x" + "00" * 24
    assert market.balanceOf(p.account) == 0
    assert totals(market) == escrow  # the deposit stays in escrow
    assert market.competition(cid)["revealCount"] == 1


@edges(("submissionEnd", -1, "RevealNotOpen"),
       ("revealEnd", -1, None), ("revealEnd", 0, "RevealClosed"), ("revealEnd", 1, "RevealClosed"))
def test_reveal_opens_at_the_submission_deadline_and_closes_at_the_reveal_deadline(
        market, competition_in, deadline, offset, error):
    cid, (p,) = competition_in(Phase.SUBMISSION, n=1)
    t = market.competition(cid)[deadline]
    at(t + offset)
    with expect(error, cid, t):
        p.reveal()


def test_reveal_with_wrong_salt_reverts(competition_in):
    cid, (p,) = competition_in(Phase.REVEAL, n=1)
    p.salt = os.urandom(32)
    with reverts("CommitmentMismatch", cid, p.account):
        p.reveal()


def test_reveal_of_a_different_model_reverts(competition_in):
    cid, (p,) = competition_in(Phase.REVEAL, n=1)
    p.sha = web3.keccak(text="another model")
    with reverts("CommitmentMismatch", cid, p.account):
        p.reveal()


def test_reveal_of_a_replaced_commitment_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    first_salt = p.salt
    p.salt = os.urandom(32)
    p.commit()
    at(deadlines(market, cid)[0])
    p.salt = first_salt
    with reverts("CommitmentMismatch", cid, p.account):
        p.reveal()


def test_commitment_replayed_from_another_account_cannot_be_revealed(market, create, players):
    cid = create()
    victim, thief = players(cid, 2)
    victim.commit()
    market.commit(cid, victim.commitment, {"from": thief.account})  # copies the sealed bytes
    at(deadlines(market, cid)[0])
    victim.reveal()
    # Even knowing the victim's CID, digest and salt after the reveal, the thief cannot open it.
    with reverts("CommitmentMismatch", cid, thief.account):
        market.reveal(cid, victim.cid, victim.sha, victim.salt, {"from": thief.account})


def test_commitment_is_bound_to_the_competition(market, create, players):
    a, b = create(), create()
    p = players(a, 1)[0]
    market.commit(b, p.commitment, {"from": p.account})  # commitment computed for competition a
    at(deadlines(market, b)[0])
    with reverts("CommitmentMismatch", b, p.account):
        market.reveal(b, p.cid, p.sha, p.salt, {"from": p.account})


def test_double_reveal_reverts(competition_in):
    cid, (p,) = competition_in(Phase.REVEAL, n=1)
    p.reveal()
    with reverts("AlreadyRevealed", cid, p.account):
        p.reveal()


def test_reveal_without_commitment_reverts(competition_in, players):
    cid, _ = competition_in(Phase.REVEAL, n=0)
    p = players(cid, 1)[0]
    with reverts("NoCommitment", cid, p.account):
        p.reveal()


def test_commit_after_settlement_reverts(market, organizer, create, players):
    cid = create()
    market.cancel(cid, {"from": organizer})
    with reverts("AlreadySettled", cid):
        players(cid, 1)[0].commit()


def test_commit_order_counts_across_participants(market, create):
    cid = create()
    orders = [Player(market, accounts[i], cid, i).commit().events["Committed"]["order"] for i in range(1, 5)]
    assert orders == [1, 2, 3, 4]
