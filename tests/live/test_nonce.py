"""One key, several transactions at once, on the hosted-RPC stand-in: a command never replaces
another's pending transaction, and commands racing for one nonce either both land or one stops
with a one-line message, never a traceback, never a transaction nobody accounts for."""
import os
import subprocess
import sys
import time

import pytest
from eth_account import Account
from hosted_rpc import SEPOLIA_CHAIN_ID, HostedRPC

from forecast_market.settings import ROOT

GWEI = 10**9


@pytest.fixture(scope="module")
def rpc():
    with HostedRPC(ROOT / ".venv" / "bin" / "anvil") as node:
        yield node


def _cli(rpc, key, work, *args) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("MARKET_ADDRESS", "ETHERSCAN_TOKEN")}
    env |= {"SEPOLIA_RPC_URL": rpc.url, "FM_NETWORK": "sepolia-rpc", "PRIVATE_KEY": key.key.hex(),
            "FM_DATA_DIR": str(work), "FM_DEPLOYMENTS_DIR": str(work / "deployments")}
    return subprocess.Popen([sys.executable, "-m", "forecast_market.cli", *args], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _nonce(rpc, address: str, tag: str = "latest") -> int:
    return int(rpc.anvil("eth_getTransactionCount", [address, tag]), 16)


def test_a_command_takes_the_next_nonce_after_a_pending_transaction(rpc, tmp_path):
    """Another transaction from the same key waits in the pool, paying a high fee: the command
    must not try to replace it (which the node refuses, or worse, accepts)."""
    key, payee = Account.create(), Account.create()
    rpc.fund(key.address, 10 * 10**18)
    rpc.anvil("evm_setIntervalMining", [0])  # hold blocks: the transfer stays pending
    try:
        transfer = key.sign_transaction({"to": payee.address, "value": 12345, "nonce": _nonce(rpc, key.address),
                                         "gas": 21_000, "maxFeePerGas": 500 * GWEI, "maxPriorityFeePerGas": 100 * GWEI,
                                         "chainId": SEPOLIA_CHAIN_ID, "type": 2})
        rpc.anvil("eth_sendRawTransaction", ["0x" + transfer.raw_transaction.hex().removeprefix("0x")])
        proc = _cli(rpc, key, tmp_path, "deploy")
        deadline = time.monotonic() + 120
        while int(rpc.anvil("txpool_status")["pending"], 16) < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "the deploy never reached the pool"
            time.sleep(0.2)
    finally:
        rpc.anvil("evm_setIntervalMining", [1])
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert "ForecastMarket deployed at" in out
    assert int(rpc.anvil("eth_getBalance", [payee.address, "latest"]), 16) == 12345  # not replaced
    assert _nonce(rpc, key.address) == 2


def test_two_commands_with_one_key_at_once(rpc, tmp_path):
    """Two `market deploy` processes signing with one key, started together."""
    key = Account.create()
    rpc.fund(key.address, 10 * 10**18)
    procs = [_cli(rpc, key, tmp_path / str(i), "deploy") for i in range(2) if (tmp_path / str(i)).mkdir() is None]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    succeeded = 0
    for code, out, err in results:
        assert "Traceback" not in err, err[-2000:]
        if code == 0:
            succeeded += 1
            assert "ForecastMarket deployed at" in out
        else:  # only an identical transaction already in the pool can stop one: said in one line
            assert code == 1 and "nonce clash" in err and len(err.strip().splitlines()) == 1, err[-2000:]
    assert succeeded >= 1
    time.sleep(2.5)  # a block or two, so everything sent is mined
    assert _nonce(rpc, key.address) == succeeded  # every transaction sent is one a command reported
