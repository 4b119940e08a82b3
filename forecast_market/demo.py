"""The main job: a whole competition on a local anvil chain with the embedded IPFS node.

An organizer publishes a real dataset (weekly Mauna Loa CO2, shipped with statsmodels), a
reward and a bond (the competition is bonded: every score can be disputed on chain); three
participants of different skill (a small GRU trained for one epoch, an untuned RNN, a tuned
RNN) commit and reveal; a copycat replays the tuned participant's commitment and then tries to
reveal that participant's bundle, and gets nothing; the clock moves past each deadline; the
organizer reveals the test set, scores and posts; a participant recomputes the winner's score
step by step (`market challenge`: right, nothing sent); after the challenge window anyone
finalizes; winners withdraw and the organizer gets its bond back; ``verify`` recomputes every
score. Prints the leaderboard, the payouts and where the plots are.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .audit import verify
from .chain import competition, deploy_market, mine_at, transact
from .errors import AppError, ChainError
from .settings import DEFAULT_NETWORK, LOCAL_HOST, settings
from .stages import evaluate, initialize, preprocess, reveal, settle, submit
from .stages.dispute import challenge, finalize
from .status import status

ROLES = ("organizer", "alice", "bob", "carol", "mallory")


@dataclass(frozen=True)
class DemoOptions:
    tune_budget_s: float = 45.0
    tune_trials: int = 500  # the budget ends the search, not a trial count
    epochs: int = 15


def _banner(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 70 - len(text)))


def _submissions(market, people: dict, comp_id: int, out: Path, opts: DemoOptions) -> None:
    from brownie import web3

    print("alice: a small GRU trained for one epoch")
    spec = out / "alice-spec.json"
    spec.write_text(json.dumps({"cell": "GRU", "units": 8, "epochs": 1, "patience": 0}))
    submit(market, people["alice"], comp_id, work_dir=out / "alice", spec_file=spec)
    print("bob: an untuned default LSTM")
    submit(market, people["bob"], comp_id, "default", work_dir=out / "bob", epochs=opts.epochs)
    print(f"carol: an RNN tuned with Optuna (TPE + pruning, {opts.tune_budget_s:.0f} s budget)")
    submit(market, people["carol"], comp_id, "tuned", work_dir=out / "carol", epochs=opts.epochs,
           trials=opts.tune_trials, budget_s=opts.tune_budget_s)
    carol_seal = market.events.Committed.get_logs(
        from_block=0, argument_filters={"id": comp_id, "participant": people["carol"].address})[-1]["args"]["seal"]
    print("mallory: the copycat replays carol's commitment (read from the Committed event)")
    replay = bytes(carol_seal).ljust(32, b"\0")  # the contract keeps and checks the first 24 bytes
    transact(market.commit, comp_id, replay, sender=people["mallory"], value=web3.to_wei("0.1", "ether"))


def _reveals(market, people: dict, comp_id: int, out: Path) -> str:
    """Everyone reveals; mallory tries carol's bundle with carol's salt. Returns the refusal."""
    for name in ("alice", "bob", "carol"):
        reveal(market, people[name], comp_id)
    carol = json.loads((out / "carol" / "submission.json").read_text())
    try:  # mallory now knows carol's CID, digest, weights root and salt, from carol's reveal
        transact(market.revealWithRoot, comp_id, carol["model_cid"], bytes.fromhex(carol["model_sha256"]),
                 bytes.fromhex(carol["weights_root"]), bytes.fromhex(carol["salt"]), sender=people["mallory"])
    except ChainError as exc:
        print(f"mallory's reveal of carol's bundle was refused: {exc}")
        return str(exc)
    raise AppError("the copycat's reveal was accepted: the commitment is not bound to its sender")


def _summary(result: dict, people: dict, names: dict, paid: dict, start: dict, copy_refused: str, ok: bool,
             out: Path) -> None:
    print("\nleaderboard (RMSE on the hidden test set, lower is better):")
    for i, r in enumerate(result["rows"], 1):
        score = f"{r.score:.4f}" if r.ok else f"failed ({r.reason[:60]})"
        print(f"  {i}. {names.get(r.participant, r.participant):<9} {score}")
    print("\npayouts (withdrawn from the contract; net = change in wallet balance, gas is free locally):")
    for name, a in people.items():
        net = (a.balance() - start[name]) / 1e18
        print(f"  {name:<9} withdrew {paid[name] / 1e18:>8.4f} ETH   net {net:+.4f} ETH")
    print(f"\ncopycat: {copy_refused}")
    print(f"verify: {'every posted score confirmed' if ok else 'MISMATCHES FOUND'}")
    print("plots:")
    figures = dict(result["figures"])
    if (out / "carol" / "tuning.png").exists():
        figures["tuning"] = out / "carol" / "tuning.png"
    for name, path in figures.items():
        print(f"  {name:<12} {path}")


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind((LOCAL_HOST, 0))
        return s.getsockname()[1]


def start_own_chain() -> int:
    """Launch a fresh anvil for the demo on a free port (brownie stops it when the process exits):
    the demo deploys and moves the clock, which it must never do on a user's `market node`."""
    from .chain import connect

    port = free_port()
    connect(DEFAULT_NETWORK, allow_ephemeral=True, port=port)
    print(f"the demo runs on a chain of its own, on {LOCAL_HOST}:{port}")
    return port


def leave_attached_node() -> None:
    """Under `brownie run`: when brownie attached to a chain someone runs (`market node`), leave it
    alone (it keeps running, with their competitions) and launch the demo's own chain."""
    from brownie import network
    from brownie.network import rpc

    if not rpc.is_child():  # attached, not launched
        network.disconnect(kill_rpc=False)
        rpc.process = None  # forget that node (brownie 1.22 has no call for it)
        start_own_chain()


def run(out: Path | None = None, opts: DemoOptions | None = None) -> dict:
    """Run the whole demo in ``out`` (default ``$FM_DEMO_DIR``, ``out/demo``), from a fresh folder."""
    from brownie import accounts, web3

    opts = opts or DemoOptions()
    out = Path(out or settings().demo_dir).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    os.environ["FM_DATA_DIR"] = str(out / "data")  # a fresh IPFS repo and keystore for this run
    t0 = time.perf_counter()
    people = {name: accounts[i] for i, name in enumerate(ROLES)}
    names = {a.address: name for name, a in people.items()}
    start = {name: a.balance() for name, a in people.items()}

    _banner("1. deploy")
    market = deploy_market(people["organizer"])
    _banner("2. preprocess: fetch, clean, split by time, publish the training bundle")
    dataset = preprocess("statsmodels:co2", out / "dataset", sequence_length=52, horizon=4, season=52)
    _banner("3. initialize: escrow 10 ETH and a 1 ETH bond, deposit 0.1 ETH, prizes 70% / 30%, metric RMSE")
    comp_id = initialize(market, people["organizer"], out / "dataset", reward_wei=web3.to_wei(10, "ether"),
                         metric="rmse", prize_bps=(7000, 3000), deposit_wei=web3.to_wei("0.1", "ether"),
                         organizer_bond_wei=web3.to_wei(1, "ether"), challenge_bond_wei=web3.to_wei("0.5", "ether"))
    _banner("4. submissions")
    _submissions(market, people, comp_id, out, opts)
    comp = competition(market, comp_id)
    _banner("5. the submission deadline passes; reveals")
    mine_at(comp["submissionEnd"])
    copy_refused = _reveals(market, people, comp_id, out)
    _banner("6. the organizer reveals the test set; the reveal deadline passes; scoring")
    evaluate(market, people["organizer"], comp_id, work_dir=out / "organizer", names=names)
    mine_at(comp["revealEnd"])
    result = evaluate(market, people["organizer"], comp_id, work_dir=out / "organizer", names=names)
    _banner("7. the challenge window: bob recomputes the winner's score step by step")
    winner = result["rows"][0].participant
    checked = challenge(market, people["bob"], comp_id, winner, work_dir=out / "bob-challenge")
    print(f"bob: {checked['message']}")
    mine_at(competition(market, comp_id)["challengeEnd"])
    print(finalize(market, people["bob"], comp_id)["message"])
    _banner("8. withdrawals")
    paid = {name: settle(market, people[name], comp_id) for name in ("alice", "bob", "carol", "mallory", "organizer")}
    _banner("9. verify: anyone recomputes every posted score from chain + IPFS")
    ok, _ = verify(market, comp_id, work_dir=out / "verify")
    _banner("summary")
    status(market, comp_id, names=names)
    _summary(result, people, names, paid, start, copy_refused, ok, out)
    elapsed = time.perf_counter() - t0
    print(f"\ndemo finished in {elapsed:.0f} s")
    if not ok:
        raise SystemExit(1)
    return {"comp_id": comp_id, "rows": result["rows"], "paid": paid, "verified": ok, "seconds": elapsed,
            "dataset": dataset}
