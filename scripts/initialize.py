"""Stage 2, organizer: create a competition on chain from a preprocessed dataset.

    brownie run scripts/initialize.py main out/dataset

The reward is escrowed; the training data CID, the task, the deadlines, the prize split, the
entry deposit and a commitment to the hidden test set (keccak256(testCid, salt)) go on chain.
The test-set salt is saved in the local keystore *before* the transaction is sent.
"""
from __future__ import annotations

import json
from pathlib import Path

from brownie import network, web3

from scripts.artifacts import new_salt, test_set_commitment
from scripts.chaintime import now
from scripts.common import failure_score, get_account, get_market, transact
from scripts.keystore import Keystore

HOUR = 3600


def initialize(market, organizer, dataset_dir: str | Path, *, reward_wei: int, metric: int = 0,
               min_score: float | None = None, submission_s: int = 24 * HOUR, reveal_s: int = 12 * HOUR,
               evaluation_s: int = 12 * HOUR, prize_bps: tuple[int, ...] = (5000, 3000, 2000),
               deposit_wei: int = 0, keystore: Keystore | None = None) -> int:
    """Create the competition; returns its id."""
    from ml_models import get_metric

    info = json.loads((Path(dataset_dir) / "dataset.json").read_text())
    schema = info["schema"]
    metric, m = get_metric(metric)
    if min_score is None:  # any score qualifies except the failure score (the worst int64)
        min_score_int = failure_score(m.higher_is_better) + (1 if m.higher_is_better else -1)
    else:
        min_score_int = int(round(min_score * 1e6))
    salt = new_salt()
    commitment = test_set_commitment(info["test_cid"], salt)
    start = now()
    sub_end = start + submission_s
    params = (info["data_cid"], schema["target"], schema["sequence_length"], schema["horizon"], metric,
              m.higher_is_better, min_score_int, sub_end, sub_end + reveal_s, sub_end + reveal_s + evaluation_s,
              list(prize_bps), deposit_wei, commitment)
    keystore = keystore or Keystore()
    record = {"test_cid": info["test_cid"], "salt": salt.hex(), "test_dir": info["test_dir"],
              "train_dir": info["train_dir"], "data_cid": info["data_cid"], "commitment": commitment.hex()}
    # The salt is on disk before the transaction that commits to it is sent.
    keystore.save(network.chain.id, market.address, "test-sets", "organizer", commitment.hex(), record)
    tx = transact(market.createCompetition, params, sender=organizer, value=reward_wei)
    comp_id = int(tx.return_value) if tx.return_value is not None else int(tx.events["CompetitionCreated"]["id"])
    print(f"competition {comp_id} created by {organizer.address}: reward {web3.from_wei(reward_wei, 'ether')} ETH, "
          f"data {info['data_cid']}, metric {m.name}, submissions until {sub_end}")
    return comp_id


def load_test_set_record(market, comp: dict, keystore: Keystore | None = None) -> dict:
    """The organizer's saved test-set record for a competition (found by its commitment)."""
    keystore = keystore or Keystore()
    return keystore.load(network.chain.id, market.address, "test-sets", "organizer",
                         comp["testCommitment"].removeprefix("0x"))


def main(dataset_dir: str = "out/dataset", reward_ether: str = "1"):
    return initialize(get_market(), get_account(), dataset_dir, reward_wei=web3.to_wei(reward_ether, "ether"))
