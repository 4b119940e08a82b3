"""Benchmark of the integer reference inference: numpy time, activation errors, and on-chain gas.

    brownie compile && python tools/intinfer_bench.py [--repeat 5] [--skip-largest]

Prints Markdown: the numpy table of ``python -m ml_models.intinfer.bench``, then the gas of one
step of contracts/lib/FixedPointRNN.sol for the default and demo model sizes and the largest the
spec allows (512 units; 256 inputs into the first layer, the most features a model may have, 512
into the others; a 512-unit dense head). The gas is measured on a private anvil (started here with
no block gas limit) by FixedPointRNNHarness: ``cellStepGas`` builds pseudo-random weights and
state in memory, then reports ``gasleft()`` before minus after one library call; "tx" is
``eth_estimateGas`` of a whole transaction that passes the weights as calldata (21,000 base,
calldata and ABI decoding included), for the sizes whose calldata is under 1 MB, with the
EIP-7623 calldata floor it cannot go below (Prague: a transaction pays at least 10 gas per calldata
token), which is what it costs when the floor is higher than the execution.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml_models.intinfer.bench import report  # noqa: E402

ARTIFACT = ROOT / "build" / "contracts" / "FixedPointRNNHarness.json"
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
CELLS = {"LSTM": (0, 4), "GRU": (1, 3), "SimpleRNN": (2, 1)}
WINDOWS, STEPS = 446, 26


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_anvil() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([str(ANVIL), "--quiet", "--port", str(port), "--disable-block-gas-limit"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit(f"anvil exited: {proc.stderr.read().strip()[:300]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("anvil did not start within 10 s")


def _rows(largest: bool) -> list[tuple[str, str, int, int]]:
    """(label, kind, inputs, units): kind is a cell name or "Dense"."""
    rows = [("default spec (1 x 32 LSTM, 1 feature)", "LSTM", 1, 32),
            ("demo GRU layer 1 (1 feature)", "GRU", 1, 30), ("demo GRU layer 2", "GRU", 30, 30),
            ("32 SimpleRNN, 1 feature", "SimpleRNN", 1, 32)]
    if largest:
        for cell in CELLS:
            rows += [(f"largest {cell}, first layer", cell, 256, 512), (f"largest {cell}, upper layer", cell, 512, 512)]
        rows += [("largest dense head (ReLU)", "Dense", 512, 512)]
    return rows


def _tx_gas(harness, kind: str, n_in: int, units: int) -> tuple[int, int] | None:
    """(eth_estimateGas of one step with the weights as calldata, that calldata's EIP-7623 floor
    ``21000 + 10 * (zero bytes + 4 * non-zero bytes)``), or None above 1 MB of calldata."""
    gates = CELLS[kind][1] if kind != "Dense" else 1
    words = n_in * gates * units + units * gates * units + 2 * gates * units
    if words * 32 > 1_000_000:
        return None
    rng = np.random.default_rng(0)

    def vec(n: int) -> list[int]:
        return [int(v) for v in rng.integers(-(2**23), 2**23, n)]

    x, h = [vec(n_in)], [vec(units)]
    w, u, b = vec(n_in * gates * units), vec(units * gates * units), vec(gates * units)
    if kind == "LSTM":
        call = harness.functions.lstmSteps(x, h, [vec(units)], w, u, b)
    elif kind == "GRU":
        call = harness.functions.gruSteps(x, h, w, u, b, vec(gates * units))
    elif kind == "SimpleRNN":
        call = harness.functions.simpleRnnSteps(x, h, w, u, b)
    else:
        call = harness.functions.denseSteps(x, vec(n_in * units), vec(units), 1)
    data = bytes.fromhex(call._encode_transaction_data()[2:])
    zeros = data.count(0)
    return call.estimate_gas(), 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


def gas_table(rpc: str, largest: bool) -> str:
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 600}))
    art = json.loads(ARTIFACT.read_text())
    contract = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(contract.constructor().transact({"from": w3.eth.accounts[0]}))
    harness = w3.eth.contract(address=receipt.contractAddress, abi=art["abi"])
    lines = ["| step | inputs | units | step gas (in-contract) | tx gas, weights as calldata (EIP-7623 floor) "
             "| step gas x 446 windows x 26 steps |", "|---|---|---|---|---|---|"]
    for label, kind, n_in, units in _rows(largest):
        t0 = time.perf_counter()
        if kind == "Dense":
            step = harness.functions.denseStepGas(n_in, units).call({"gas": 10**12})
        else:
            step = harness.functions.cellStepGas(CELLS[kind][0], n_in, units).call({"gas": 10**12})
        tx = _tx_gas(harness, kind, n_in, units)
        per_inference = step * WINDOWS * (STEPS if kind != "Dense" else 1)
        shown = f"{tx[0]:,} ({tx[1]:,})" if tx else "calldata > 1 MB"
        lines.append(f"| {label} | {n_in} | {units} | {step:,} | {shown} | {per_inference:.3g} |")
        print(f"  measured {label} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="numpy runs per network; the median is printed")
    parser.add_argument("--skip-largest", action="store_true", help="only the default and demo sizes (fast)")
    args = parser.parse_args()
    if not ARTIFACT.exists():
        raise SystemExit(f"{ARTIFACT.relative_to(ROOT)} is missing: run `brownie compile` first")
    print(report(args.repeat))
    print()
    proc, rpc = _start_anvil()
    try:
        print(gas_table(rpc, not args.skip_largest))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
