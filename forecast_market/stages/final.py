"""Stage 5, anyone: collect what is owed.

After the evaluation deadline of a competition the organizer did not finish, settle it without
evaluation; a bonded competition whose challenge window has closed is finalized. Then claim what this account is owed in that competition (its deposit back, a
fallback share; for the organizer, a refund once the challenge period is over), and withdraw
the account's whole balance (pull payments).
"""
from __future__ import annotations

from ..chain import competition, now, transact
from ..protocol import CHALLENGE_PERIOD_S, CreditReason, Phase

SETTLED = (Phase.FINALIZED, Phase.REFUNDED, Phase.FALLBACK)


def _owed_by_claim(fn, *args, sender) -> bool:
    """Whether ``fn(*args)`` would succeed now (a dry run): the contract decides what is owed."""
    from brownie.exceptions import VirtualMachineError
    from web3.exceptions import ContractCustomError

    try:
        fn.call(*args, {"from": sender})
    except (VirtualMachineError, ContractCustomError):  # the latter on live networks
        return False
    return True


def credited(tx) -> str:
    """What a transaction's ``Credited`` events gave, with why: ``"0.1 ETH (deposit)"``; ``""`` for none."""
    from brownie import web3

    events = getattr(tx, "events", None)
    parts = []
    for ev in events["Credited"] if events is not None and "Credited" in events else []:
        reason = CreditReason(int(ev["reason"])).name.lower().replace("_", " ")
        parts.append(f"{web3.from_wei(int(ev['amount']), 'ether')} ETH ({reason})")
    return ", ".join(parts)


def _claim(market, account, comp: dict) -> None:
    comp_id = comp["id"]
    if comp["phase"] not in SETTLED:
        return
    if _owed_by_claim(market.claim, comp_id, account.address, sender=account):
        tx = transact(market.claim, comp_id, account.address, sender=account)
        what = credited(tx)
        print(f"{account.address} claimed what competition {comp_id} owed it" + (f": {what}" if what else ""))
    if comp["phase"] == Phase.REFUNDED and account.address == comp["organizer"]:
        if _owed_by_claim(market.claimRefund, comp_id, sender=account):
            tx = transact(market.claimRefund, comp_id, sender=account)
            what = credited(tx)
            print(f"competition {comp_id}: the organizer's refund is credited" + (f": {what}" if what else ""))
        elif (refundable_at := comp["evaluationEnd"] + CHALLENGE_PERIOD_S) > now():
            print(f"competition {comp_id}: nobody met the minimum; the refund can be claimed from "
                  f"{refundable_at}, once the scores stood through the challenge period")


def _finalize_due(comp: dict) -> bool:
    """A bonded competition, fully scored, whose challenge window has closed with no dispute open."""
    return (comp["phase"] == Phase.EVALUATION and comp["bonded"] and comp["challengeEnd"] > 0
            and now() >= comp["challengeEnd"] and comp["openDisputes"] == 0)


def settle(market, account, comp_id: int | None = None) -> int:
    """Settle (if due), claim (if owed) and withdraw; returns the wei withdrawn (0 when nothing was owed)."""
    from brownie import web3

    if comp_id is not None:
        comp = competition(market, comp_id)
        if comp["phase"] == Phase.EXPIRED:
            transact(market.settleWithoutEvaluation, comp_id, sender=account)
            comp = competition(market, comp_id)
            print(f"competition {comp_id} " + ("finalized: its challenge window has closed"
                                                if comp["bonded"] and comp["phase"] == Phase.FINALIZED
                                                else "settled without evaluation"))
        elif _finalize_due(comp):
            transact(market.finalize, comp_id, sender=account)
            print(f"competition {comp_id} finalized: its challenge window has closed")
            comp = competition(market, comp_id)
        _claim(market, account, comp)
    owed = int(market.balanceOf(account.address))
    if owed:
        transact(market.withdraw, sender=account)
        print(f"{account.address} withdrew {web3.from_wei(owed, 'ether')} ETH")
    else:
        print(f"{account.address}: nothing to withdraw")
    return owed
