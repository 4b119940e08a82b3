"""Time the read-only `market` commands against a local chain: prints each command's wall time.

    python tools/bench_read.py [--runs 5] [--competitions 3]

Starts anvil on a free port, deploys a market, creates a few competitions from a small
dataset (with commitments from two participants in the first), then runs `market list`,
`market status 1` and `market leaderboard 1` (human and --json) as separate processes, as a
user would, and prints the median and worst wall time of each. Run it in a private network
namespace if other chains use port 8545; it uses its own data folder.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _market(env: dict, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "forecast_market.cli", *args], env=env, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        sys.exit(f"market {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return proc


def _setup(env: dict, work: Path, competitions: int) -> None:
    _market(env, "deploy")
    dataset = work / "dataset"
    _market(env, "preprocess", "statsmodels:co2", str(dataset), "--sequence-length", "52", "--horizon", "4")
    for _ in range(competitions):
        _market(env, "init", str(dataset), "--reward", "1", "--deposit", "0.01", "--again")
    for who in ("1", "2"):
        _market(env, "--account", who, "submit", "1", "--strategy", "naive", "--work-dir", str(work / who))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--competitions", type=int, default=3)
    args = parser.parse_args()
    anvil = shutil.which("anvil") or str(Path(sys.executable).parent / "anvil")
    port = 8545  # `market` reads the local chain there
    if _in_use(port):
        sys.exit("port 8545 is in use: run this in a private network namespace "
                 "(unshare --net bash -c 'ip link set lo up; python tools/bench_read.py')")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        node = subprocess.Popen([anvil, "--port", str(port), "--accounts", "10", "--balance", "1000",
                                 "--block-base-fee-per-gas", "0", "--gas-limit", "30000000", "--silent"])
        try:
            _wait(port)
            env = os.environ | {"FM_DATA_DIR": str(work / "data"), "FM_WORK_DIR": str(work / "out"),
                                "FM_NETWORK": "development", "PYTHONPATH": str(ROOT)}
            env.pop("MARKET_ADDRESS", None)
            print(f"setting up: a market, {args.competitions} competitions, 2 entries ...", file=sys.stderr)
            _setup(env, work, args.competitions)
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; wall time depends on it, "
                  "CPU time (user + system) less so")
            print(f"{'command':<32} {'wall median':>11} {'wall worst':>11} {'CPU median':>11}   ({args.runs} runs each)")
            for command in (["list"], ["status", "1"], ["leaderboard", "1"], ["mine", "--account", "1"],
                            ["list", "--json"], ["leaderboard", "1", "--json"]):
                times, cpu = [], []
                for _ in range(args.runs):
                    start, used = time.perf_counter(), _children_cpu()
                    _market(env, *command)
                    times.append(time.perf_counter() - start)
                    cpu.append(_children_cpu() - used)
                print(f"market {' '.join(command):<25} {statistics.median(times):>10.2f}s {max(times):>10.2f}s "
                      f"{statistics.median(cpu):>10.2f}s")
        finally:
            node.terminate()
            node.wait(10)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(port: int) -> None:
    for _ in range(100):
        if _in_use(port):
            return
        time.sleep(0.1)
    sys.exit("anvil did not start")


if __name__ == "__main__":
    main()
