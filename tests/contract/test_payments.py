"""Pull payments: withdraw, withdrawTo, claimAndWithdraw; contracts that refuse payments; the
reentrancy guard and the checks-effects-interactions order, each tested on its own."""
import pytest
from brownie import ReentrantParticipant, RevertingParticipant, StateProbe, accounts, web3

from forecast_market.protocol import ZERO32, Status

from market_helpers import REWARD, TEST_CID, TEST_SALT, Player, at, deadlines, reverts, totals

DEPOSIT = 10**16
GUARD_ERROR = web3.keccak(text="ReentrancyGuardReentrantCall()")[:4]


def _contract_player(market, contract, cid, n):
    """A Player whose commitment is bound to `contract`, which sends it (from accounts[n])."""
    p = Player(market, contract, cid, n)
    p.commit = lambda value=0: contract.commit(cid, p.commitment, {"from": accounts[n], "value": value})
    p.reveal = lambda: contract.reveal(cid, p.cid, p.sha, p.salt, {"from": accounts[n]})
    return p


def _run(market, organizer, games):
    """Play competitions created beforehand, side by side, to finalization.

    `games` is a list of `(id, [(player, score), ...])`; every player commits with the deposit,
    reveals and is scored."""
    for cid, entries in games:
        deposit = market.competition(cid)["entryDeposit"]
        for p, _ in entries:
            p.commit(value=deposit)
    at(max(deadlines(market, cid)[0] for cid, _ in games))
    for _, entries in games:
        for p, _ in entries:
            p.reveal()
    at(max(deadlines(market, cid)[1] for cid, _ in games))
    for cid, entries in games:
        market.revealTestSet(cid, TEST_CID, ZERO32, 0, TEST_SALT, {"from": organizer})
        market.postScores(cid, [p.account for p, _ in entries], [s for _, s in entries], {"from": organizer})
        market.finalize(cid, {"from": organizer})


def _winner_and_claimant(market, organizer, create, contract, n=6):
    """`contract` wins competition A (credited REWARD + DEPOSIT) and is a scored non-winner in B
    (a DEPOSIT to claim). Returns (A, B)."""
    a, b = create(deposit=DEPOSIT), create(deposit=DEPOSIT)
    rival = Player(market, accounts[2], b, 2)
    _run(market, organizer, [(a, [(_contract_player(market, contract, a, n), 1)]),
                             (b, [(rival, 1), (_contract_player(market, contract, b, n), 5)])])
    assert market.balanceOf(contract) == REWARD + DEPOSIT
    assert market.submission(b, contract)["status"] == Status.SCORED
    return a, b


# ------------------------------------------------------------------------------------- withdraw

def test_withdraw_pays_and_zeroes_the_balance(market, organizer, create):
    cid = create()
    market.cancel(cid, {"from": organizer})
    before = organizer.balance()
    tx = market.withdraw({"from": organizer})
    assert dict(tx.events["Withdrawn"]) == {"account": organizer, "to": organizer, "amount": REWARD}
    assert organizer.balance() - before == REWARD  # gas price is 0 on the local chain
    assert market.balanceOf(organizer) == 0
    assert totals(market) == (0, 0)
    with reverts("NothingToWithdraw", organizer):
        market.withdraw({"from": organizer})


def test_withdraw_to_pays_another_address(market, organizer, create):
    cid = create()
    market.cancel(cid, {"from": organizer})
    to = accounts[8]
    before = to.balance()
    tx = market.withdrawTo(to, {"from": organizer})
    assert dict(tx.events["Withdrawn"]) == {"account": organizer, "to": to, "amount": REWARD}
    assert to.balance() - before == REWARD
    assert market.balanceOf(organizer) == 0
    with reverts("NothingToWithdraw", organizer):
        market.withdrawTo(to, {"from": organizer})


def test_withdraw_to_the_zero_address_reverts(market, organizer, create):
    market.cancel(create(), {"from": organizer})
    with reverts("WithdrawToZeroAddress"):
        market.withdrawTo("0x" + "00" * 20, {"from": organizer})
    assert market.balanceOf(organizer) == REWARD


def test_a_winner_that_cannot_receive_ether_withdraws_to_another_address(market, organizer, create):
    blocker = RevertingParticipant.deploy(market, {"from": accounts[7]})
    cid = create()
    _run(market, organizer, [(cid, [(_contract_player(market, blocker, cid, 7), 1)])])
    with reverts("TransferFailed", blocker):
        blocker.withdraw({"from": accounts[7]})
    assert market.balanceOf(blocker) == REWARD  # still owed, not lost
    before = accounts[7].balance()
    tx = blocker.withdrawTo(accounts[7], {"from": accounts[7]})
    assert dict(tx.events["Withdrawn"]) == {"account": blocker, "to": accounts[7], "amount": REWARD}
    assert accounts[7].balance() - before == REWARD
    assert totals(market) == (0, 0)


def test_winner_that_reverts_on_receive_blocks_nobody_else(market, organizer, create, players):
    blocker = RevertingParticipant.deploy(market, {"from": accounts[7]})
    cid = create(prize_bps=(6000, 4000))
    q = players(cid, 1)[0]
    _run(market, organizer, [(cid, [(_contract_player(market, blocker, cid, 7), 1), (q, 2)])])
    with reverts("TransferFailed", blocker):
        blocker.withdraw({"from": accounts[7]})
    assert market.balanceOf(blocker) == REWARD * 6 // 10  # still owed, not lost
    before = q.account.balance()
    market.withdraw({"from": q.account})
    assert q.account.balance() - before == REWARD * 4 // 10


def test_a_claim_refused_by_the_receiver_is_kept(market, organizer, create, players):
    blocker = RevertingParticipant.deploy(market, {"from": accounts[7]})
    cid = create(deposit=DEPOSIT)
    q = players(cid, 1)[0]
    _run(market, organizer, [(cid, [(q, 1), (_contract_player(market, blocker, cid, 7), 2)])])
    with reverts("TransferFailed", blocker, DEPOSIT):
        blocker.claimAndWithdraw(cid, {"from": accounts[7]})
    assert market.submission(cid, blocker)["status"] == Status.SCORED  # nothing changed
    market.claim(cid, blocker, {"from": accounts[7]})  # credit it instead, then withdraw elsewhere
    blocker.withdrawTo(accounts[7], {"from": accounts[7]})
    assert totals(market) == (0, REWARD + DEPOSIT)  # q's prize and deposit, not yet withdrawn


# ------------------------------------------------------------------------------------- reentrancy guard

def test_reentrant_winner_is_paid_once(market, organizer, create):
    attacker = ReentrantParticipant.deploy(market, {"from": accounts[6]})  # re-enters withdraw()
    cid = create(reward=REWARD)
    other = create(reward=REWARD)  # funds the attacker would like to drain
    _run(market, organizer, [(cid, [(_contract_player(market, attacker, cid, 6), 1)])])
    attacker.withdraw({"from": accounts[6]})
    assert attacker.balance() == REWARD
    assert attacker.reentries() >= 1 and not attacker.reentrySucceeded()
    assert bytes(attacker.reentryError()) == GUARD_ERROR  # stopped by the guard (and would find nothing: CEI)
    assert totals(market) == (REWARD, 0)
    assert market.balance() == REWARD  # the other competition's reward is untouched
    assert market.competition(other)["reward"] == REWARD


@pytest.mark.parametrize("outer, inner", [
    ("claimAndWithdraw", "withdraw"),
    ("claimAndWithdraw", "withdrawTo"),
    ("withdraw", "claimAndWithdraw"),
    ("withdrawTo", "claimAndWithdraw"),
])
def test_the_guard_stops_a_reentry_that_would_otherwise_succeed(market, organizer, create, outer, inner):
    # The attacker is owed both a balance (A) and a claim (B), so the inner call is one it could
    # legitimately make on its own: only the reentrancy guard stops it during the outer payment.
    attacker = ReentrantParticipant.deploy(market, {"from": accounts[6]})
    a, b = _winner_and_claimant(market, organizer, create, attacker)
    calls = {"withdraw": (market.withdraw, ()), "withdrawTo": (market.withdrawTo, (attacker,)),
             "claimAndWithdraw": (market.claimAndWithdraw, (b,))}
    fn, args = calls[inner]
    attacker.setReentry(fn.encode_input(*args), {"from": accounts[6]})
    fn, args = {"withdraw": (attacker.withdraw, ()), "withdrawTo": (attacker.withdrawTo, (attacker,)),
                "claimAndWithdraw": (attacker.claimAndWithdraw, (b,))}[outer]
    fn(*args, {"from": accounts[6]})
    assert attacker.reentries() == 1 and not attacker.reentrySucceeded()
    assert bytes(attacker.reentryError()) == GUARD_ERROR
    if outer == "claimAndWithdraw":  # the claim was paid; the balance is still owed
        assert attacker.balance() == DEPOSIT and market.balanceOf(attacker) == REWARD + DEPOSIT
        assert totals(market) == (0, 2 * REWARD + 2 * DEPOSIT)  # the attacker's and the rival's credits
    else:  # the balance was paid; the claim is still open
        assert attacker.balance() == REWARD + DEPOSIT and market.balanceOf(attacker) == 0
        assert market.submission(b, attacker)["status"] == Status.SCORED
        assert totals(market) == (DEPOSIT, REWARD + DEPOSIT)


# ------------------------------------------------------------------------------------- call order

@pytest.mark.parametrize("how", ["withdraw", "withdrawTo"])
def test_withdraw_zeroes_the_balance_before_the_transfer(market, organizer, create, how):
    probe = StateProbe.deploy(market, {"from": accounts[6]})
    cid = create()
    _run(market, organizer, [(cid, [(_contract_player(market, probe, cid, 6), 1)])])
    assert market.balanceOf(probe) == REWARD
    if how == "withdraw":
        probe.withdraw({"from": accounts[6]})
    else:
        probe.withdrawTo(probe, {"from": accounts[6]})
    # read from the receive hook, during the transfer: the books were already updated
    assert probe.probed()
    assert (probe.seenBalance(), probe.seenEscrowed(), probe.seenOwed()) == (0, 0, 0)
    assert probe.balance() == REWARD


def test_claim_and_withdraw_marks_the_claim_before_the_transfer(market, organizer, create, players):
    probe = StateProbe.deploy(market, {"from": accounts[6]})
    cid = create(deposit=DEPOSIT)
    q = players(cid, 1)[0]
    _run(market, organizer, [(cid, [(q, 1), (_contract_player(market, probe, cid, 6), 2)])])
    probe.setProbeId(cid, {"from": accounts[6]})
    assert totals(market) == (DEPOSIT, REWARD + DEPOSIT)
    probe.claimAndWithdraw(cid, {"from": accounts[6]})
    assert probe.probed()
    assert probe.seenStatus() == Status.CLAIMED
    assert (probe.seenEscrowed(), probe.seenOwed(), probe.seenBalance()) == (0, REWARD + DEPOSIT, 0)
    assert probe.balance() == DEPOSIT
