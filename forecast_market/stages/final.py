"""Stage 5, anyone: collect what is owed. After the evaluation deadline of a competition the
organizer did not finish, settle it without evaluation and claim the fallback share; then
withdraw the caller's balance (pull payment).
"""
from __future__ import annotations

from ..chain import competition, submission_status, transact
from ..protocol import Phase, Status


def settle(market, account, comp_id: int | None = None) -> int:
    """Returns the wei withdrawn (0 when nothing was owed)."""
    from brownie import web3

    if comp_id is not None:
        comp = competition(market, comp_id)
        if comp["phase"] == Phase.EXPIRED:
            transact(market.settleWithoutEvaluation, comp_id, sender=account)
            print(f"competition {comp_id} settled without evaluation")
            comp = competition(market, comp_id)
        status = submission_status(market, comp_id, account.address)
        if comp["phase"] == Phase.FALLBACK and status in (Status.REVEALED, Status.SCORED):
            transact(market.claimFallbackShare, comp_id, account.address, sender=account)
    owed = int(market.balanceOf(account.address))
    if owed:
        transact(market.withdraw, sender=account)
        print(f"{account.address} withdrew {web3.from_wei(owed, 'ether')} ETH")
    else:
        print(f"{account.address}: nothing to withdraw")
    return owed
