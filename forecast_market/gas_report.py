"""Print the gas of each contract operation, at the 1st and the 200th submission.

    brownie run scripts/gas_report.py

Targets (issue 2): create <= 300k with the training data as one folder CID; commit <= 70k;
reveal <= 70k; posting a score <= 30k per entry in a batch of 10.
"""
import os

from brownie import ForecastMarket, accounts, web3

from scripts.chaintime import mine_at, now as chain_now
from eth_abi import encode

TARGETS = {"create": 300_000, "commit": 70_000, "reveal": 70_000, "postScores / entry (batch of 10)": 30_000}
DATA_CID = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"  # a CIDv0 folder: 46 characters
MODEL_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"  # a CIDv1: 59 characters
N = 200


def _commitment(market, cid, sha, salt, sender, comp_id):
    return web3.keccak(
        encode(["string", "bytes32", "bytes32", "address", "uint256", "address"],
               [cid, sha, salt, str(sender), comp_id, market.address])
    )


def main(n: int = N):
    deployer = accounts[0]
    market = ForecastMarket.deploy({"from": deployer})
    rows = [("deploy", market.tx.gas_used, None)]
    salt_t = os.urandom(32)
    now = chain_now()
    params = (DATA_CID, "close", 52, 1, 0, False, 10**12, now + 10_000, now + 20_000, now + 30_000,
              [5000, 3000, 2000], 0, web3.keccak(encode(["string", "bytes32"], ["QmTest", salt_t])))
    tx = market.createCompetition(params, {"from": deployer, "value": 10**18})
    rows.append(("create (1st competition)", tx.gas_used, "create"))
    tx = market.createCompetition(params, {"from": deployer, "value": 10**18})
    rows.append(("create (2nd competition)", tx.gas_used, "create"))
    comp = tx.return_value

    while len(accounts) < n:
        accounts.add()
    for a in accounts[10:n]:
        deployer.transfer(a, 10**16, silent=True)
    subs = []
    commit_gas = []
    for i, a in enumerate(accounts[:n]):
        sha, salt = web3.keccak(text=f"m{i}"), os.urandom(32)
        t = market.commit(comp, _commitment(market, MODEL_CID, sha, salt, a, comp), {"from": a, "silent": True})
        commit_gas.append(t.gas_used)
        subs.append((a, sha, salt))
    t = market.commit(comp, _commitment(market, MODEL_CID, subs[0][1], subs[0][2], subs[0][0], comp),
                      {"from": subs[0][0], "silent": True})
    rows += [("commit (1st submission)", commit_gas[0], "commit"),
             (f"commit ({n}th submission)", commit_gas[-1], "commit"),
             ("commit (replacing one's own)", t.gas_used, "commit")]
    mine_at(now + 10_001)
    reveal_gas = [market.reveal(comp, MODEL_CID, sha, salt, {"from": a, "silent": True}).gas_used
                  for a, sha, salt in subs]
    rows += [("reveal (1st submission)", reveal_gas[0], "reveal"),
             (f"reveal ({n}th submission)", reveal_gas[-1], "reveal")]
    market.revealTestSet(comp, "QmTest", salt_t, {"from": deployer, "silent": True})
    mine_at(now + 20_001)
    per_entry = []
    for b in range(0, n, 10):
        batch = subs[b:b + 10]
        t = market.postScores(comp, [s[0] for s in batch], [10**9 - 1000 * (b + j) for j in range(len(batch))],
                              {"from": deployer, "silent": True})
        per_entry.append(t.gas_used // len(batch))
    rows += [("postScores / entry (batch of 10, 1st batch)", per_entry[0], "postScores / entry (batch of 10)"),
             (f"postScores / entry (batch of 10, {n // 10}th batch)", per_entry[-1],
              "postScores / entry (batch of 10)")]
    t = market.finalize(comp, {"from": deployer, "silent": True})
    rows.append(("finalize (3 winners)", t.gas_used, None))
    t = market.withdraw({"from": subs[-1][0], "silent": True})
    rows.append(("withdraw", t.gas_used, None))

    print(f"\n{'operation':<48} {'gas':>9} {'target':>9}  ok")
    ok_all = True
    for name, gas, key in rows:
        target = TARGETS.get(key)
        ok = target is None or gas <= target
        ok_all &= ok
        print(f"{name:<48} {gas:>9,} {'' if target is None else f'{target:,}':>9}  {'' if target is None else ('yes' if ok else 'NO')}")
    print("\nall targets met" if ok_all else "\nSOME TARGETS MISSED")
    return rows
