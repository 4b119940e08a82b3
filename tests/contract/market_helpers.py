"""Helpers for the contract tests: commitments built the way clients build them, a participant
object, custom-error matching, and block-time control."""
import os

from brownie import web3
from eth_abi import encode

DAY = 24 * 3600
REWARD = 10**18
TEST_CID = "QmTestSetBundle000000000000000000000000000000"
TEST_SALT = b"\x07" * 32


def sealed_test_set(cid: str = TEST_CID, salt: bytes = TEST_SALT) -> bytes:
    return web3.keccak(encode(["string", "bytes32"], [cid, salt]))


def model_commitment(market, cid: str, sha: bytes, salt: bytes, sender, comp_id: int) -> bytes:
    """keccak256(abi.encode(modelCid, modelSha256, salt, sender, id, address(this)))."""
    return web3.keccak(
        encode(
            ["string", "bytes32", "bytes32", "address", "uint256", "address"],
            [cid, sha, salt, str(sender), comp_id, market.address],
        )
    )


class Player:
    """A participant with a model (CID + sha256) and a salt, able to commit and reveal."""

    def __init__(self, market, account, comp_id, n):
        self.market, self.account, self.id = market, account, comp_id
        self.cid = f"QmModel{n:039d}"
        self.sha = web3.keccak(text=f"model-{n}")  # any 32 bytes stand for the bundle digest
        self.salt = os.urandom(32)

    @property
    def commitment(self):
        return model_commitment(self.market, self.cid, self.sha, self.salt, self.account, self.id)

    def commit(self, value=0):
        return self.market.commit(self.id, self.commitment, {"from": self.account, "value": value})

    def reveal(self):
        return self.market.reveal(self.id, self.cid, self.sha, self.salt, {"from": self.account})


def deadlines(market, comp_id):
    c = market.competition(comp_id)
    return c["submissionEnd"], c["revealEnd"], c["evaluationEnd"]


def reverts(error: str, *args):
    """`brownie.reverts` for a custom error, by name and (optionally) its leading arguments."""
    import re

    import brownie

    text = f"{error}: " + ", ".join(str(a).lower() if hasattr(a, "address") else str(a) for a in args)
    return brownie.reverts(revert_pattern=re.escape(text) + ".*")


def totals(market) -> tuple[int, int]:
    escrowed, owed = market.totals()
    return int(escrowed), int(owed)


def at(timestamp: int) -> None:
    """The next transaction runs in a block with exactly this timestamp."""
    from scripts.chaintime import set_next_block_time

    set_next_block_time(timestamp)
