"""Benchmark of the weights availability request: the gas a participant spends to publish its weights.

    brownie compile && python tools/publish_bench.py [--largest]

For each model (random weights as tools/fraud_bench.py draws them), on a private anvil started here: a
bonded competition is created on a freshly deployed ForecastMarket, the model is committed and revealed
under its weights root, the organizer requests its weights (``DisputeGame.requestWeights``), and the
participant publishes every leaf (``publishWeights``, transactions of at most
``forecast_market.fraud.availability.CHUNK_BYTES`` of payload) and completes (``completeWeights``: the
tree rebuilt to the root). Prints the leaves, the payload bytes, the transactions and their total gas
(and the largest single transaction's), measured from the receipts, and ``eth_estimateGas`` of the
invalidity checks ``proveInvalid`` runs (a unit leaf's bound, the dense leaves' bound, a window's columns in a training row).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast_market.fraud.availability import chunks, completion  # noqa: E402
from forecast_market.fraud.machine import dense_key, unit_key  # noqa: E402
from forecast_market.protocol import CompetitionParams, model_commitment, test_set_commitment  # noqa: E402
from tools.fraud_bench import _anvil, _evaluation  # noqa: E402

DAY = 86_400


def _contract(w3, name: str, address=None):
    art = json.loads((ROOT / "build" / "contracts" / f"{name}.json").read_text())
    if address:
        return w3.eth.contract(address=address, abi=art["abi"])
    tx = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor().transact({"from": w3.eth.accounts[0]})
    return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx).contractAddress, abi=art["abi"])


def _at(w3, t: int) -> None:
    w3.provider.make_request("evm_setNextBlockTimestamp", [t])
    w3.provider.make_request("evm_mine", [])


def measure(w3, market, game, ev) -> tuple[int, int, int, int, int]:
    """(leaves, payload bytes, transactions, total gas, largest transaction's gas)."""
    org, who = w3.eth.accounts[0], w3.eth.accounts[1]
    send = lambda fn, sender, value=0: w3.eth.wait_for_transaction_receipt(  # noqa: E731
        fn.transact({"from": sender, "value": value, "gas": 29_000_000}))
    now = w3.eth.get_block("latest")["timestamp"]
    salt, sha = b"\x01" * 32, b"\x02" * 32
    params = CompetitionParams.starting(
        now, submission_s=DAY, reveal_s=DAY, evaluation_s=3 * DAY, dataCid="QmTrain", target="c0", sequenceLength=26,
        horizon=1, metric=0, higherIsBetter=False, minScore=2**63 - 2, prizeBps=(10_000,), entryDeposit=0,
        testCommitment=test_set_commitment("QmTest", salt, ev.test.root, ev.machine.test_rows),
        trainRoot=ev.train.root, trainRows=ev.machine.train_rows, organizerBond=10**17, challengeBond=10**16)
    send(market.functions.createCompetition(params.as_tuple()), org, 10**18 + 10**17)
    cid = market.functions.competitionCount().call()
    c = market.functions.competition(cid).call()
    root = ev.weights.root
    send(market.functions.commit(cid, model_commitment("QmModel", sha, salt, who, cid, market.address,
                                                       weights_root=root)), who)
    _at(w3, c[0])
    send(market.functions.revealWithRoot(cid, "QmModel", sha, root, salt), who)
    _at(w3, c[1])
    send(game.functions.requestWeights(cid, who), org)
    leaves = ev.machine.model.leaves()
    receipts = [send(game.functions.publishWeights(cid, who, group), who) for group in chunks([p for _, p in leaves])]
    receipts.append(send(game.functions.completeWeights(cid, who, *completion(leaves)), who))
    assert game.functions.weightsRequest(cid, who).call()[5], "the publication did not complete"
    gas = [r.gasUsed for r in receipts]
    return len(leaves), sum(len(p) for _, p in leaves), len(receipts), sum(gas), max(gas), _checks(game, ev)


def _checks(game, ev) -> list[int]:
    """Gas of ``EvaluationStep.invalid`` (what ``proveInvalid`` runs) on this model: the widest unit leaf's
    bound, the dense leaves' bound, one window's columns in a training row (each comes out "valid" here; the work is the same)."""
    m, tree = ev.machine, ev.weights
    keys = [k for k, _ in tree.values]
    meta, meta_proof = ev.meta_leaf()
    roots = (tree.root, ev.train.root, ev.test.root, m.train_rows, m.test_rows)
    model = m.model
    unit = unit_key(model.layers - 1, 0)
    dense = [dense_key(i) for i in range(len(model.net.dense))]
    leaf = lambda k: (tree.values[keys.index(k)][1], tree.proof(keys.index(k)))  # noqa: E731
    loc = m.locate(0)
    proofs = [(2, meta, meta_proof, unit, [leaf(unit)], 0, 0, []),
              (2, meta, meta_proof, dense[0], [leaf(k) for k in dense], 0, 0, []),
              (3, meta, meta_proof, 0, [], 0, 0, [ev._row(r) for r in loc["rows"]])]
    return [game.functions.invalid(roots, p).estimate_gas({"gas": 10**9}) for p in proofs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--largest", action="store_true", help="also the largest covered LSTM (4 x 512, 64 features)")
    args = parser.parse_args()
    from web3 import Web3

    models = [("demo (2 x 30 GRU)", "GRU", 2, 30, 0, 1),
              ("default search space, largest LSTM (2 x 64, head 32)", "LSTM", 2, 64, 32, 1),
              ("default search space, largest GRU (2 x 64, head 32)", "GRU", 2, 64, 32, 1)]
    if args.largest:
        models.append(("largest covered LSTM (4 x 512, 64 features, head 32)", "LSTM", 4, 512, 32, 64))
    with _anvil() as rpc:
        w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 600}))
        market = _contract(w3, "ForecastMarket")
        game = _contract(w3, "DisputeGame", market.functions.disputeGame().call())
        print("| model | leaves | payload | transactions | total gas | largest transaction | proveInvalid checks: "
              "unit bound / dense bound / window columns (gas of the call) |")
        print("|---|---|---|---|---|---|---|")
        for label, *shape in models:
            n, size, txs, total, largest, checks = measure(w3, market, game, _evaluation(*shape))
            print(f"| {label} | {n:,} | {size / 1024:.0f} KB | {txs} | {total:,} | {largest:,} | "
                  + " / ".join(f"{g:,}" for g in checks) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
