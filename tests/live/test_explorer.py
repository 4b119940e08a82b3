"""Publishing the market's source to a block explorer, on the hosted-RPC stand-in, with a stand-in
for Etherscan's API (tests/live/explorer_standin.py) that verifies as Etherscan does: it compiles
the submitted source with the real compiler and compares the result with the code on chain."""
import json
import os
import subprocess
import sys

import pytest
from eth_account import Account
from explorer_standin import ExplorerStandIn
from hosted_rpc import SEPOLIA_CHAIN_ID, HostedRPC

from forecast_market.chain.explorer import Explorer, license_code
from forecast_market.errors import ChainError
from forecast_market.settings import ROOT


@pytest.fixture(scope="module")
def chain():
    with HostedRPC(ROOT / ".venv" / "bin" / "anvil") as rpc, ExplorerStandIn(rpc.url, SEPOLIA_CHAIN_ID) as ex:
        yield rpc, ex


@pytest.fixture(scope="module")
def market_cmd(chain, tmp_path_factory):
    rpc, explorer = chain
    deployer = Account.create()
    rpc.fund(deployer.address, 10 * 10**18)
    work = tmp_path_factory.mktemp("explorer")

    def run(*args, **env_extra):
        env = {k: v for k, v in os.environ.items() if k not in ("MARKET_ADDRESS", "ETHERSCAN_TOKEN")}
        env |= {"SEPOLIA_RPC_URL": rpc.url, "FM_NETWORK": "sepolia-rpc", "PRIVATE_KEY": deployer.key.hex(),
                "FM_DATA_DIR": str(work), "FM_DEPLOYMENTS_DIR": str(work / "deployments"),
                "FM_EXPLORER_API_URL": explorer.url, **env_extra}
        proc = subprocess.run([sys.executable, "-m", "forecast_market.cli", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600)
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        return proc

    return run


def _deployed(proc) -> str:
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = proc.stdout.split("recorded in ")[-1].splitlines()[0]
    return json.loads(open(record).read())["ForecastMarket"]


def test_deploy_publishes_the_source_when_a_key_is_set(chain, market_cmd):
    rpc, explorer = chain
    proc = market_cmd("deploy", ETHERSCAN_TOKEN="test-key")
    address = _deployed(proc)
    assert f"source of ForecastMarket {address} on the block explorer: Pass - Verified" in proc.stdout, proc.stderr[-1500:]
    std = explorer.verified[address.lower()]  # compiled by the stand-in, equal to the code on chain
    assert any("contract ForecastMarket" in src["content"] for src in std["sources"].values())
    # the dispute game the market's constructor deployed is published too: it settles bonded disputes
    game = proc.stdout.split("source of DisputeGame ")[1].split()[0]
    assert f"source of DisputeGame {game} on the block explorer: Pass - Verified" in proc.stdout
    assert any("contract DisputeGame" in src["content"] for src in explorer.verified[game.lower()]["sources"].values())
    assert game.lower() != address.lower()
    again = market_cmd("--market", address, "publish-source", ETHERSCAN_TOKEN="test-key")
    assert again.returncode == 0 and "already verified" in again.stdout


def test_a_source_that_does_not_build_the_code_on_chain_is_refused(chain, market_cmd):
    rpc, explorer = chain
    address = _deployed(market_cmd("deploy"))  # no key: nothing is published
    assert address.lower() not in explorer.verified
    verified_std = next(iter(explorer.verified.values()), None) or pytest.fail("needs the test above")
    path = next(p for p, src in verified_std["sources"].items() if "contract ForecastMarket" in src["content"])
    tampered = json.loads(json.dumps(verified_std))
    tampered["sources"][path]["content"] += "\n// one more line changes the metadata hash\n"
    info = {"standard_json_input": tampered, "contract_name": "ForecastMarket", "compiler_version": "0.8.28",
            "optimizer_enabled": True, "optimizer_runs": 200, "license_identifier": "MIT"}
    client = Explorer(explorer.url, "test-key", SEPOLIA_CHAIN_ID)
    with pytest.raises(ChainError, match="did not verify the source: Fail - Unable to verify"):
        client.publish(address, info, poll_s=0.2, echo=lambda _: None)
    with pytest.raises(ChainError, match="refused the verification request: Missing/Invalid API Key"):
        Explorer(explorer.url, "", SEPOLIA_CHAIN_ID).publish(address, info, echo=lambda _: None)


def test_an_unreachable_explorer_leaves_the_deployment_standing(market_cmd):
    proc = market_cmd("deploy", ETHERSCAN_TOKEN="test-key", FM_EXPLORER_API_URL="http://127.0.0.1:9/v2/api")
    _deployed(proc)  # exit 0, recorded
    assert "warning: the market is deployed, but its source is not published: cannot reach the block explorer" \
        in proc.stderr
    assert "market publish-source" in proc.stderr


def test_publish_source_without_a_key_says_what_to_set(market_cmd):
    proc = market_cmd("publish-source")
    assert proc.returncode == 1 and "ETHERSCAN_TOKEN is not set" in proc.stderr


@pytest.mark.parametrize("spdx, code", [("MIT", 3), ("GPL-3.0-only", 5), ("AGPL-3.0-or-later", 13), ("weird", 1)])
def test_licence_codes(spdx, code):
    assert license_code(spdx) == code
