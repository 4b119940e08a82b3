"""Helpers for the contract tests: a participant object whose commitment is built as clients
build it (`forecast_market.protocol`), custom-error matching, clock-edge parameters, and
block-time control."""
import contextlib
import os
import re

import brownie
import pytest
from brownie import web3

from forecast_market.chain import set_next_block_time
from forecast_market.protocol import CreditReason, model_commitment

DAY = 24 * 3600
REWARD = 10**18
TEST_CID = "QmTestSetBundle000000000000000000000000000000"
TEST_SALT = b"\x07" * 32


class Player:
    """A participant with a model (CID + sha256) and a salt, able to commit and reveal.

    `account` is whoever sends the transactions, so the commitment is bound to it: an account,
    or a contract that forwards the calls.
    """

    def __init__(self, market, account, comp_id, n):
        self.market, self.account, self.id = market, account, comp_id
        self.cid = f"QmModel{n:039d}"
        self.sha = web3.keccak(text=f"model-{n}")  # any 32 bytes stand for the bundle digest
        self.salt = os.urandom(32)

    @property
    def commitment(self):
        return model_commitment(self.cid, self.sha, self.salt, self.account, self.id, self.market.address)

    def commit(self, value=0):
        return self.market.commit(self.id, self.commitment, {"from": self.account, "value": value})

    def reveal(self):
        return self.market.reveal(self.id, self.cid, self.sha, self.salt, {"from": self.account})


def deadlines(market, comp_id):
    c = market.competition(comp_id)
    return c["submissionEnd"], c["revealEnd"], c["evaluationEnd"]


def reverts(error: str, *args):
    """`brownie.reverts` for a custom error, by name and (optionally) its leading arguments."""
    text = f"{error}: " + ", ".join(str(a).lower() if hasattr(a, "address") else str(a) for a in args)
    return brownie.reverts(revert_pattern=re.escape(text) + ".*")


def expect(error: str | None, *args):
    """`reverts(error, *args)`, or, when `error` is None, a block that must simply succeed."""
    return reverts(error, *args) if error else contextlib.nullcontext()


def edges(*cases: tuple[str, int, str | None]):
    """Parametrize a clock-edge test over `(deadline, offset, error)` cases: the call runs in a
    block at `competition[deadline] + offset` and reverts with `error` (None: it succeeds).
    Ids read like `revealEnd-1-ok` or `revealEnd+0-RevealClosed`."""
    return pytest.mark.parametrize("deadline, offset, error", [
        pytest.param(deadline, offset, error, id=f"{deadline}{offset:+d}-{error or 'ok'}")
        for deadline, offset, error in cases
    ])


def credits(tx) -> list[tuple]:
    """The Credited events of a transaction as (account, id, amount, reason), in order."""
    events = tx.events["Credited"] if "Credited" in tx.events else []
    return [(ev["account"], ev["id"], ev["amount"], CreditReason(ev["reason"])) for ev in events]


def totals(market) -> tuple[int, int]:
    escrowed, owed = market.totals()
    return int(escrowed), int(owed)


def at(timestamp: int) -> None:
    """The next transaction runs in a block with exactly this timestamp."""
    set_next_block_time(timestamp)
