"""Stage 3b, participant: reveal a committed submission with the salt saved at commit time.

    brownie run scripts/reveal.py main <competition id>
"""
from __future__ import annotations

from brownie import network

from scripts.artifacts import to_bytes32
from scripts.common import get_account, get_market, transact
from scripts.keystore import Keystore


def reveal(market, participant, comp_id: int, *, keystore: Keystore | None = None):
    record = (keystore or Keystore()).load(network.chain.id, market.address, comp_id, "participant",
                                           participant.address)
    tx = transact(market.reveal, comp_id, record["model_cid"], to_bytes32(record["model_sha256"]),
                  bytes.fromhex(record["salt"]), sender=participant)
    print(f"{participant.address} revealed {record['model_cid']} in competition {comp_id}")
    return tx


def main(comp_id: int = 1):
    return reveal(get_market(), get_account(), int(comp_id))
