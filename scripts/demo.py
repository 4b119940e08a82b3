"""The main job: a whole competition on a local anvil chain with the embedded IPFS node.

    bash tools/demo.sh            # sets everything up, then: brownie run scripts/demo.py

An organizer publishes a real dataset (weekly Mauna Loa CO2, shipped with statsmodels) and a
reward; three participants of different skill (a naive forecaster, an untuned RNN, a tuned
RNN) commit and reveal; a copycat replays the tuned participant's commitment and then tries to
reveal that participant's bundle, and gets nothing; the clock moves past each deadline; the
organizer reveals the test set, scores and finalizes; winners withdraw; `verify` recomputes
every score. Prints the leaderboard, the payouts and where the plots are.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

OUT = Path(os.environ.get("FM_DEMO_DIR", "out/demo")).resolve()


def _banner(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 70 - len(text)))


def run(out: Path = OUT, *, tune_budget_s: float = 45.0, tune_trials: int = 6, epochs: int = 15) -> dict:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    os.environ["FM_DATA_DIR"] = str(out / "data")  # a fresh IPFS repo and keystore for this run

    from brownie import ForecastMarket, accounts, web3

    from scripts.chaintime import mine_at
    from scripts.common import ChainError, competition, transact
    from scripts.evaluate import evaluate
    from scripts.initialize import initialize
    from scripts.preprocess import preprocess
    from scripts.reveal import reveal
    from scripts.settle import settle
    from scripts.status import status
    from scripts.submit import submit
    from scripts.verify import verify

    t0 = time.perf_counter()
    organizer, alice, bob, carol, mallory = (accounts[i] for i in range(5))
    names = {organizer.address: "organizer", alice.address: "alice", bob.address: "bob",
             carol.address: "carol", mallory.address: "mallory"}
    start_balances = {a: a.balance() for a in (organizer, alice, bob, carol, mallory)}

    _banner("1. deploy")
    market = ForecastMarket.deploy({"from": organizer})
    print(f"ForecastMarket at {market.address}")

    _banner("2. preprocess: fetch, clean, split by time, publish the training bundle")
    dataset = preprocess("statsmodels:co2", out / "dataset", sequence_length=26, horizon=4, season=52)

    _banner("3. initialize: escrow 10 ETH, deposit 0.1 ETH, prizes 70% / 30%, metric RMSE")
    comp_id = initialize(market, organizer, out / "dataset", reward_wei=web3.to_wei(10, "ether"), metric=0,
                         prize_bps=(7000, 3000), deposit_wei=web3.to_wei("0.1", "ether"))

    _banner("4. submissions")
    print("alice: the naive forecaster (last value)")
    submit(market, alice, comp_id, "naive", work_dir=out / "alice")
    print("bob: an untuned default LSTM")
    submit(market, bob, comp_id, "default", work_dir=out / "bob", epochs=epochs)
    print(f"carol: an RNN tuned with Optuna (TPE + pruning, {tune_budget_s:.0f} s budget)")
    submit(market, carol, comp_id, "tuned", work_dir=out / "carol", epochs=epochs, trials=tune_trials,
           budget_s=tune_budget_s)
    carol_commitment = market.events.Committed.get_logs(
        from_block=0, argument_filters={"id": comp_id, "participant": carol.address})[-1]["args"]["commitment"]
    print("mallory: the copycat replays carol's commitment (read from the Committed event)")
    transact(market.commit, comp_id, carol_commitment, sender=mallory, value=web3.to_wei("0.1", "ether"))

    comp = competition(market, comp_id)
    _banner("5. the submission deadline passes; reveals")
    mine_at(comp["submissionEnd"])
    for who in (alice, bob, carol):
        reveal(market, who, comp_id)
    carol_record = json.loads((out / "carol" / "submission.json").read_text())
    copy_refused = ""
    try:  # mallory now knows carol's CID, digest and salt, from carol's reveal
        transact(market.reveal, comp_id, carol_record["model_cid"], bytes.fromhex(carol_record["model_sha256"]),
                 bytes.fromhex(carol_record["salt"]), sender=mallory)
    except ChainError as exc:
        copy_refused = str(exc)
        print(f"mallory's reveal of carol's bundle was refused: {exc}")
    if not copy_refused:
        raise RuntimeError("the copycat's reveal was accepted: the commitment is not bound to its sender")

    _banner("6. the organizer reveals the test set; the reveal deadline passes; scoring")
    evaluate(market, organizer, comp_id, work_dir=out / "organizer", names=names)
    mine_at(comp["revealEnd"])
    result = evaluate(market, organizer, comp_id, work_dir=out / "organizer", names=names)

    _banner("7. withdrawals")
    paid = {names[a.address]: settle(market, a, comp_id) for a in (alice, bob, carol, mallory, organizer)}

    _banner("8. verify: anyone recomputes every posted score from chain + IPFS")
    ok, _ = verify(market, comp_id, work_dir=out / "verify")

    _banner("summary")
    status(market, comp_id, names=names)
    rows = result["rows"]
    print("\nleaderboard (RMSE on the hidden test set, lower is better):")
    for i, r in enumerate(rows, 1):
        score = f"{r.score:.4f}" if r.ok else f"failed ({r.reason[:60]})"
        print(f"  {i}. {names.get(r.participant, r.participant):<9} {score}")
    print("\npayouts (withdrawn from the contract; net = change in wallet balance, gas is free locally):")
    for a in (organizer, alice, bob, carol, mallory):
        n = names[a.address]
        net = (a.balance() - start_balances[a]) / 1e18
        print(f"  {n:<9} withdrew {paid[n] / 1e18:>8.4f} ETH   net {net:+.4f} ETH")
    print(f"\ncopycat: {copy_refused}")
    print(f"verify: {'every posted score confirmed' if ok else 'MISMATCHES FOUND'}")
    print("plots:")
    for name, path in result["figures"].items():
        print(f"  {name:<12} {path}")
    if (out / "carol" / "tuning.png").exists():
        print(f"  {'tuning':<12} {out / 'carol' / 'tuning.png'}")
    elapsed = time.perf_counter() - t0
    print(f"\ndemo finished in {elapsed:.0f} s")
    if not ok:
        raise SystemExit(1)
    return {"comp_id": comp_id, "rows": rows, "paid": paid, "verified": ok, "seconds": elapsed,
            "dataset": dataset}


def main():
    return run()
