"""commit and reveal: deadlines at -1/0/+1, binding to sender, deposits, replacement."""
import os

from brownie import accounts, web3

from market_helpers import Player, at, deadlines, reverts, totals

DEPOSIT = 10**16


def test_commit_stores_a_sealed_submission_and_emits(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    tx = p.commit()
    ev = tx.events["Committed"]
    assert ev["participant"] == p.account and ev["order"] == 1
    assert ev["commitment"] == web3.to_hex(p.commitment)
    s = market.submission(cid, p.account)
    assert s["status"] == 1 and s["order"] == 1
    assert s["seal"] == web3.to_hex(p.commitment[:24])
    assert market.competition(cid)["participants"] == 1


def test_commit_one_second_before_the_deadline_succeeds(market, create, players):
    cid = create()
    sub, _, _ = deadlines(market, cid)
    at(sub - 1)
    players(cid, 1)[0].commit()


def test_commit_at_the_deadline_reverts(market, create, players):
    cid = create()
    sub, _, _ = deadlines(market, cid)
    p = players(cid, 1)[0]
    at(sub)
    with reverts("SubmissionClosed", cid, sub):
        p.commit()


def test_commit_after_the_deadline_reverts(market, create, players):
    cid = create()
    sub, _, _ = deadlines(market, cid)
    p = players(cid, 1)[0]
    at(sub + 1)
    with reverts("SubmissionClosed", cid, sub):
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


def test_reveal_checks_the_commitment_and_returns_the_deposit(market, create, players):
    cid = create(deposit=DEPOSIT)
    p = players(cid, 1)[0]
    p.commit(value=DEPOSIT)
    sub, _, _ = deadlines(market, cid)
    at(sub)
    tx = p.reveal()
    ev = tx.events["Revealed"]
    assert ev["modelCid"] == p.cid and ev["modelSha256"] == web3.to_hex(p.sha)
    assert market.modelDigest(cid, p.account) == web3.to_hex(p.sha)
    s = market.submission(cid, p.account)
    assert s["status"] == 2 and s["seal"] == "0x" + "00" * 24
    assert market.balanceOf(p.account) == DEPOSIT
    assert market.competition(cid)["revealCount"] == 1


def test_reveal_one_second_before_the_submission_deadline_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    sub, _, _ = deadlines(market, cid)
    at(sub - 1)
    with reverts("RevealNotOpen", cid, sub):
        p.reveal()


def test_reveal_one_second_before_the_reveal_deadline_succeeds(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    _, rev, _ = deadlines(market, cid)
    at(rev - 1)
    p.reveal()


def test_reveal_at_the_reveal_deadline_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    _, rev, _ = deadlines(market, cid)
    at(rev)
    with reverts("RevealClosed", cid, rev):
        p.reveal()


def test_reveal_after_the_reveal_deadline_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    _, rev, _ = deadlines(market, cid)
    at(rev + 1)
    with reverts("RevealClosed", cid, rev):
        p.reveal()


def test_reveal_with_wrong_salt_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    at(deadlines(market, cid)[0])
    p.salt = os.urandom(32)
    with reverts("CommitmentMismatch", cid, p.account):
        p.reveal()


def test_reveal_of_a_different_model_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    at(deadlines(market, cid)[0])
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


def test_double_reveal_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    p.commit()
    at(deadlines(market, cid)[0])
    p.reveal()
    with reverts("AlreadyRevealed", cid, p.account):
        p.reveal()


def test_reveal_without_commitment_reverts(market, create, players):
    cid = create()
    p = players(cid, 1)[0]
    at(deadlines(market, cid)[0])
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
