"""`market node`: stopped by any signal (or with its wrapper killed outright), anvil stops too and
saves the chain; started again, the chain has its blocks, its contracts and its clock, so a
competition keeps its phase. A second node on the same port says which process holds it."""
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from brownie import ForecastMarket
from web3 import HTTPProvider, Web3

from forecast_market.chain.node import port_open
from forecast_market.demo import free_port
from forecast_market.protocol import CompetitionParams, Phase, test_set_commitment

DAY = 24 * 3600


def market_cli(*args, port, data_dir, **kw):
    env = os.environ | {"FM_NODE_PORT": str(port), "FM_DATA_DIR": str(data_dir)}
    return subprocess.Popen([sys.executable, "-m", "forecast_market.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


class Node:
    """A `market node` in a subprocess on its own port and state file."""

    def __init__(self, tmp_path):
        self.port, self.data, self.state = free_port(), tmp_path / "data", tmp_path / "chain.json"
        self.proc = self.anvil = None

    def start(self):
        self.proc = market_cli("node", "--port", str(self.port), "--state", str(self.state), port=self.port,
                               data_dir=self.data)
        line = self.proc.stdout.readline()
        assert line.startswith("anvil pid"), line + self.proc.stdout.read()
        self.anvil = psutil.Process(int(line.split()[2]))
        self.w3 = Web3(HTTPProvider(f"http://127.0.0.1:{self.port}"))
        return line

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        out = self.proc.communicate(timeout=30)[0]
        self.anvil.wait(timeout=30)  # anvil is gone with its wrapper ...
        assert not port_open(self.port)  # ... and so is the port
        return out

    def latest(self):
        return self.w3.eth.get_block("latest")

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.anvil is not None and self.anvil.is_running():
            self.anvil.kill()


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    yield n
    n.close()


def deploy_with_competition(w3):
    """The market and one competition in Submission, sent by anvil's unlocked account 0."""
    me = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=ForecastMarket.abi, bytecode=ForecastMarket.bytecode)
    address = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": me})).contractAddress
    market = w3.eth.contract(address=address, abi=ForecastMarket.abi)
    params = CompetitionParams.starting(
        w3.eth.get_block("latest")["timestamp"], submission_s=3 * DAY, reveal_s=DAY, evaluation_s=DAY,
        dataCid="QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", target="co2", sequenceLength=52, horizon=1,
        metric=0, higherIsBetter=False, minScore=10**12, prizeBps=(10_000,),
        testCommitment=test_set_commitment("QmTestSetBundle000000000000000000000000000000", b"\x07" * 32))
    tx = market.functions.createCompetition(params.as_tuple()).transact({"from": me, "value": 10**18})
    w3.eth.wait_for_transaction_receipt(tx)
    return market


def test_stop_and_start_keep_state_clock_and_phase(node):
    assert "new chain" in node.start()
    market = deploy_with_competition(node.w3)
    # every command attaches to the node on FM_NODE_PORT: move this chain's clock into Evaluation
    advance = market_cli("--market", market.address, "advance", "--to", "evaluation", port=node.port,
                         data_dir=node.data)
    out = advance.communicate(timeout=120)[0]
    assert advance.returncode == 0, out
    assert market.functions.phase(1).call() == Phase.EVALUATION
    before = node.latest()
    assert before["timestamp"] > time.time() + 3 * DAY  # far ahead of the wall clock

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        out = node.stop(sig)
        assert f"stopped by {sig.name}" in out and "state saved" in out
        assert "loaded: block" in node.start()
        market = node.w3.eth.contract(address=market.address, abi=ForecastMarket.abi)
        assert node.latest()["number"] == before["number"] and node.latest()["hash"] == before["hash"]
        assert market.functions.phase(1).call() == Phase.EVALUATION  # not back in Submission
        node.w3.provider.make_request("evm_mine", [])
        mined = node.latest()
        assert mined["timestamp"] > before["timestamp"]  # the clock goes on, never back
        assert market.functions.phase(1).call() == Phase.EVALUATION
        before = mined


def test_killing_the_wrapper_stops_anvil_and_saves(node):
    node.start()
    node.w3.provider.make_request("evm_mine", [])
    number = node.latest()["number"]
    node.stop(signal.SIGKILL)  # no handler runs: the kernel tells anvil (PR_SET_PDEATHSIG)
    node.start()
    assert node.latest()["number"] == number


def test_a_second_node_on_the_port_says_who_holds_it(node, tmp_path):
    node.start()
    second = market_cli("node", "--port", str(node.port), "--state", str(tmp_path / "other.json"),
                        port=node.port, data_dir=node.data)
    out = second.communicate(timeout=60)[0]
    assert second.returncode == 1
    assert f"a node is already running on 127.0.0.1:{node.port}" in out
    assert f"anvil pid {node.anvil.pid}, started by `market node` pid {node.proc.pid}" in out
    third = market_cli("node", "--port", str(free_port()), "--state", str(node.state), port=node.port,
                       data_dir=node.data)
    out = third.communicate(timeout=60)[0]
    assert third.returncode == 1 and f"another `market node` (pid {node.proc.pid}) is using the state file" in out


def test_commands_attach_to_fm_node_port_only(tmp_path):
    port = free_port()
    status = market_cli("status", "1", port=port, data_dir=tmp_path)
    out = status.communicate(timeout=120)[0]
    assert status.returncode == 1 and f"no local chain is running on 127.0.0.1:{port}" in out, out
    bad = market_cli("node", port="x", data_dir=tmp_path)
    out = bad.communicate(timeout=60)[0]
    assert bad.returncode != 0 and "FM_NODE_PORT='x' is not a TCP port" in out and "Traceback" not in out, out


def test_the_demo_chain_is_not_the_users_node(node):
    """`market demo` deploys and moves the clock: on a chain of its own, never on the user's node."""
    node.start()
    before = node.latest()
    script = ("from forecast_market.demo import start_own_chain\n"
              "from forecast_market.chain import deploy_market, mine_at, now\n"
              "from brownie import accounts\n"
              "port = start_own_chain()\n"
              "deploy_market(accounts[0]); mine_at(now() + 10**6)\n"
              "print('demo port', port)\n")
    env = os.environ | {"FM_NODE_PORT": str(node.port), "FM_DATA_DIR": str(node.data)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    demo_port = int(proc.stdout.split("demo port ")[1].split()[0])
    assert demo_port != node.port and not port_open(demo_port)  # its chain is gone with it
    assert node.latest() == before  # the user's node saw nothing


def test_a_port_held_by_another_program_is_named(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = market_cli("node", "--port", str(port), "--state", str(tmp_path / "s.json"), port=port,
                          data_dir=tmp_path)
        out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 1 and f"127.0.0.1:{port} is in use by another program" in out
    assert f"pid {os.getpid()}" in out and "Traceback" not in out
