"""A whole competition on a stand-in for a hosted testnet RPC (tests/live/hosted_rpc.py: anvil
with Sepolia's chain id behind a proxy that answers like a hosted provider), through the `market`
command: every command a separate process, four keys (an organizer and three participants),
nothing signed by the node. Only this test moves time, through anvil's own port."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from hosted_rpc import HostedRPC

ROOT = Path(__file__).resolve().parents[2]
ETH = 10**18
HOUR = 3600


@pytest.fixture(scope="module")
def rpc():
    with HostedRPC(ROOT / ".venv" / "bin" / "anvil") as node:
        yield node


@pytest.fixture(scope="module")
def keys(rpc):
    people = {name: Account.create() for name in ("organizer", "p1", "p2", "p3")}
    for who in people.values():
        rpc.fund(who.address, 100 * ETH)
    return people


@pytest.fixture(scope="module")
def market_cli(rpc, keys, tmp_path_factory):
    data, work = tmp_path_factory.mktemp("live-data"), tmp_path_factory.mktemp("live-work")
    state = {"market": None}

    def run(who, *args, ok=True):
        env = {k: v for k, v in os.environ.items() if k not in ("PRIVATE_KEY", "MARKET_ADDRESS", "FM_ACCOUNT")}
        env |= {"SEPOLIA_RPC_URL": rpc.url, "FM_DATA_DIR": str(data), "FM_WORK_DIR": str(work / "out"),
                "FM_DEPLOYMENTS_DIR": str(work / "deployments"),
                "PRIVATE_KEY": keys[who].key.hex() if who else "", "FM_NETWORK": "sepolia-rpc"}
        if state["market"]:
            env["MARKET_ADDRESS"] = state["market"]
        proc = subprocess.run([sys.executable, "-m", "forecast_market.cli", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600)
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        if ok:
            assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
        return proc

    run.state = state
    return run


def test_a_whole_competition_on_a_hosted_testnet(rpc, keys, market_cli, tmp_path):
    run = market_cli
    out = run("organizer", "deploy").stdout
    record = json.loads(Path(out.strip().splitlines()[-1].split("recorded in ")[-1]).read_text())
    run.state["market"] = record["ForecastMarket"]
    assert record["chain_id"] == 11155111 and record["block"] > 0
    dataset = tmp_path / "dataset"
    run(None, "preprocess", "statsmodels:co2", str(dataset), "--sequence-length", "52", "--horizon", "4")
    comp = run("organizer", "init", str(dataset), "--reward", "3", "--deposit", "0.1", "--prizes", "7000,3000",
               "--submission-hours", "1", "--reveal-hours", "1", "--evaluation-hours", "1").stdout
    cid = comp.strip().splitlines()[-1]
    run("p1", "submit", cid, "--strategy", "naive")
    run("p2", "submit", cid, "--strategy", "default", "--epochs", "2")
    run("p3", "submit", cid, "--strategy", "naive")
    closed = run("p1", "reveal", cid, ok=False)  # too early: one line, exit 1
    assert closed.returncode == 1 and "opens reveals at" in closed.stderr
    rpc.sleep(HOUR + 5)
    for who in ("p1", "p2", "p3"):
        run(who, "reveal", cid)
    rpc.sleep(HOUR + 5)
    evaluated = run("organizer", "evaluate", cid, "--margin", "60")
    assert "RMSE" in evaluated.stdout and "Transaction sent" not in evaluated.stdout  # the scores, no brownie lines
    verify = run(None, "verify", cid)  # anyone, with no key
    assert "3/3 scores confirmed" in verify.stdout
    paid = [run(who, "settle", cid).stdout for who in ("p1", "p2", "p3", "organizer")]
    assert sum("withdrew" in p for p in paid) == 3
    status = run(None, "status", cid).stdout
    assert "phase Finalized" in status
    assert "eth_sendTransaction" not in rpc.refused  # nothing was signed by the node
    board = json.loads(run(None, "leaderboard", cid, "--json").stdout)  # web3 alone, no key
    assert len(board["entries"]) == 3
    assert sum(e["rank"] is not None for e in board["entries"]) == 2
    listed = json.loads(run(None, "list", "--json").stdout)["competitions"]
    assert [(c["id"], c["phase"]) for c in listed] == [(int(cid), "Finalized")]
    mine = json.loads(run("p1", "mine", "--json").stdout)
    assert mine["account"] == keys["p1"].address and mine["entries"][0]["competition"] == int(cid)
    # months later: more blocks since the deployment than the provider serves in one eth_getLogs
    before = json.loads(run(None, "status", cid, "--json").stdout), run(None, "leaderboard", cid).stdout
    rpc.anvil("anvil_mine", [hex(2_500)])
    after = json.loads(run(None, "status", cid, "--json").stdout), run(None, "leaderboard", cid).stdout
    for view in (before[0], after[0]):
        view["now"] = view["leaderboard"]["now"] = 0  # the chain's clock moved on
    assert after == before


@pytest.mark.parametrize("args, words", [
    (("--network", "nosuchnet", "status", "1"), "no brownie network named"),
    (("--market", "0xZZZ", "status", "1"), "is not an address"),
    (("--market", "0x000000000000000000000000000000000000dEaD", "status", "1"), "no contract at"),
    (("status", "99"), "there is no competition 99"),
])
def test_mistakes_on_a_hosted_testnet_are_one_line(market_cli, args, words):
    proc = market_cli(None, *args, ok=False)
    assert proc.returncode in (1, 2) and words in proc.stderr, proc.stderr[-1000:]


def test_a_key_without_funds_is_told_so(rpc, tmp_path):
    broke = Account.create()
    env = {k: v for k, v in os.environ.items() if k != "MARKET_ADDRESS"}
    env |= {"SEPOLIA_RPC_URL": rpc.url, "PRIVATE_KEY": broke.key.hex(), "FM_NETWORK": "sepolia-rpc",
            "FM_DATA_DIR": str(tmp_path), "FM_DEPLOYMENTS_DIR": str(tmp_path / "deployments")}
    proc = subprocess.run([sys.executable, "-m", "forecast_market.cli", "deploy"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert f"not enough funds: {broke.address} holds 0 ETH" in proc.stderr


def test_a_named_keystore_account_signs_on_a_live_network(rpc, tmp_path):
    """`--account NAME` picks an account from brownie's encrypted keystore, unlocked by
    FM_ACCOUNT_PASSWORD; PRIVATE_KEY is not used then."""
    from brownie._config import _get_data_folder

    who, name = Account.create(), f"fm-test-{os.getpid()}"
    rpc.fund(who.address, 10 * ETH)
    keyfile = _get_data_folder() / "accounts" / f"{name}.json"
    keyfile.parent.mkdir(parents=True, exist_ok=True)
    keyfile.write_text(json.dumps(Account.encrypt(who.key, "s3cret")))
    env = {k: v for k, v in os.environ.items() if k != "MARKET_ADDRESS"}
    env |= {"SEPOLIA_RPC_URL": rpc.url, "PRIVATE_KEY": "", "FM_NETWORK": "sepolia-rpc", "FM_DATA_DIR": str(tmp_path),
            "FM_ACCOUNT_PASSWORD": "s3cret", "FM_DEPLOYMENTS_DIR": str(tmp_path / "deployments")}
    try:
        proc = subprocess.run([sys.executable, "-m", "forecast_market.cli", "--account", name, "deploy"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
        wrong = subprocess.run([sys.executable, "-m", "forecast_market.cli", "--account", name, "deploy"],
                               cwd=tmp_path, env=env | {"FM_ACCOUNT_PASSWORD": "wrong"}, capture_output=True,
                               text=True, timeout=300)
        missing = subprocess.run([sys.executable, "-m", "forecast_market.cli", "--account", "fm-no-such-account",
                                  "deploy"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    finally:
        keyfile.unlink()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"by {who.address}" in proc.stdout
    for bad, words in ((wrong, "cannot unlock the account"), (missing, "no account named")):
        assert bad.returncode == 1 and words in bad.stderr and "Traceback" not in bad.stderr, bad.stderr[-1500:]
