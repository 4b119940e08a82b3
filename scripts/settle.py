"""Stage 5, anyone: collect what is owed. After the evaluation deadline of a competition the
organizer did not finish, settle it without evaluation and claim the fallback share; then
withdraw the caller's balance (pull payment).

    brownie run scripts/settle.py main <competition id>
"""
from __future__ import annotations

from brownie import web3

from scripts.common import competition, get_account, get_market, transact


def settle(market, account, comp_id: int | None = None) -> int:
    """Returns the wei withdrawn (0 when nothing was owed)."""
    if comp_id is not None:
        comp = competition(market, comp_id)
        if comp["phase"] == "Expired":
            transact(market.settleWithoutEvaluation, comp_id, sender=account)
            print(f"competition {comp_id} settled without evaluation")
            comp = competition(market, comp_id)
        status = int(market.submission(comp_id, account.address)["status"])
        if comp["phase"] == "Fallback" and status in (2, 3):
            transact(market.claimFallbackShare, comp_id, account.address, sender=account)
    owed = int(market.balanceOf(account.address))
    if owed:
        transact(market.withdraw, sender=account)
        print(f"{account.address} withdrew {web3.from_wei(owed, 'ether')} ETH")
    else:
        print(f"{account.address}: nothing to withdraw")
    return owed


def main(comp_id: int = 1):
    return settle(get_market(), get_account(), int(comp_id))
