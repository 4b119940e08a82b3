"""The gas of each contract operation, at the 1st and the Nth submission (``brownie run scripts/gas_report.py``).

Targets: create <= 300k with the training data as one folder CID; commit <= 70k; reveal <= 70k;
posting a score <= 30k per entry in a batch of 10.
"""
from __future__ import annotations

import os

from .chain import deploy_market, mine_at, now
from .protocol import CompetitionParams, model_commitment, test_set_commitment

TARGETS = {"create": 300_000, "commit": 70_000, "reveal": 70_000, "postScores / entry (batch of 10)": 30_000}
DATA_CID = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"  # a CIDv0 folder: 46 characters
MODEL_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"  # a CIDv1: 59 characters
POST_BATCH = 10


def _create(market, deployer, start: int, test_salt: bytes) -> tuple[list, int]:
    params = CompetitionParams.starting(
        start, submission_s=10_000, reveal_s=10_000, evaluation_s=10_000, dataCid=DATA_CID, target="close",
        sequenceLength=52, horizon=1, metric=0, higherIsBetter=False, minScore=10**12, prizeBps=(5000, 3000, 2000),
        testCommitment=test_set_commitment("QmTest", test_salt))
    first = market.createCompetition(params.as_tuple(), {"from": deployer, "value": 10**18})
    second = market.createCompetition(params.as_tuple(), {"from": deployer, "value": 10**18})
    rows = [("create (1st competition)", first.gas_used, "create"), ("create (2nd competition)", second.gas_used, "create")]
    return rows, int(second.events["CompetitionCreated"]["id"])


def _commits(market, comp: int, n: int) -> tuple[list, list]:
    from brownie import accounts, web3

    deployer = accounts[0]
    while len(accounts) < n:
        accounts.add()
    for a in accounts[10:n]:
        deployer.transfer(a, 10**16, silent=True)
    subs, gas = [], []
    for i, a in enumerate(accounts[:n]):
        sha, salt = web3.keccak(text=f"m{i}"), os.urandom(32)
        commitment = model_commitment(MODEL_CID, bytes(sha), salt, a.address, comp, market.address)
        gas.append(market.commit(comp, commitment, {"from": a, "silent": True}).gas_used)
        subs.append((a, sha, salt))
    a, sha, salt = subs[0]
    again = market.commit(comp, model_commitment(MODEL_CID, bytes(sha), salt, a.address, comp, market.address),
                          {"from": a, "silent": True})
    rows = [("commit (1st submission)", gas[0], "commit"), (f"commit ({n}th submission)", gas[-1], "commit"),
            ("commit (replacing one's own)", again.gas_used, "commit")]
    return rows, subs


def _evaluation(market, deployer, comp: int, subs: list, test_salt: bytes, start: int) -> list:
    n = len(subs)
    mine_at(start + 10_001)
    gas = [market.reveal(comp, MODEL_CID, sha, salt, {"from": a, "silent": True}).gas_used for a, sha, salt in subs]
    rows = [("reveal (1st submission)", gas[0], "reveal"), (f"reveal ({n}th submission)", gas[-1], "reveal")]
    market.revealTestSet(comp, "QmTest", test_salt, {"from": deployer, "silent": True})
    mine_at(start + 20_001)
    per_entry = []
    for b in range(0, n, POST_BATCH):
        batch = subs[b:b + POST_BATCH]
        t = market.postScores(comp, [s[0] for s in batch], [10**9 - 1000 * (b + j) for j in range(len(batch))],
                              {"from": deployer, "silent": True})
        per_entry.append(t.gas_used // len(batch))
    key = "postScores / entry (batch of 10)"
    rows += [(f"{key[:-1]}, 1st batch)", per_entry[0], key), (f"{key[:-1]}, {n // POST_BATCH}th batch)", per_entry[-1], key)]
    rows.append(("finalize (3 winners)", market.finalize(comp, {"from": deployer, "silent": True}).gas_used, None))
    rows.append(("withdraw", market.withdraw({"from": subs[-1][0], "silent": True}).gas_used, None))
    return rows


def _print(rows: list) -> bool:
    print(f"\n{'operation':<48} {'gas':>9} {'target':>9}  ok")
    ok_all = True
    for name, gas, key in rows:
        target = TARGETS.get(key)
        ok = target is None or gas <= target
        ok_all &= ok
        shown = "" if target is None else f"{target:,}"
        print(f"{name:<48} {gas:>9,} {shown:>9}  {'' if target is None else ('yes' if ok else 'NO')}")
    print("\nall targets met" if ok_all else "\nSOME TARGETS MISSED")
    return ok_all


def gas_report(n: int = 200) -> list:
    """Deploy a market, run a competition with ``n`` submissions, print and return the gas rows."""
    from brownie import accounts

    deployer = accounts[0]
    market = deploy_market(deployer)
    rows = [("deploy", market.tx.gas_used, None)]
    test_salt, start = os.urandom(32), now()
    created, comp = _create(market, deployer, start, test_salt)
    committed, subs = _commits(market, comp, n)
    rows += created + committed + _evaluation(market, deployer, comp, subs, test_salt, start)
    _print(rows)
    return rows
