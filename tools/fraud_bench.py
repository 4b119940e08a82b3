"""Benchmark of the fraud proofs: the gas of the most expensive single on-chain step, per model size.

    brownie compile && python tools/fraud_bench.py [--skip-largest]

For each model (random weights, N(0, 0.3); random data: 2000 training rows and 446 test rows, so the
data proofs are as deep as for the benchmark datasets), the script builds the weights and data
Merkle trees (forecast_market.fraud), then for the three kinds of step (a chunk of the first layer,
which reads data rows; a chunk of an upper layer, the widest; the head step) takes a pre-state at
such a step (the state values are random within the format's ranges: the contract checks the
state's hash, not how it was reached) and measures, on a private anvil started here with no block
gas limit, ``eth_estimateGas`` of a transaction calling ``DisputeGame.run`` with that step's proof:
calldata, ABI decoding, Merkle proofs and the step itself, which is what ``proveStep`` spends
besides its fixed part (reading the dispute and the market's context, ending the dispute:
``proveStep`` overhead line, measured once on a tiny model). It also prints the EIP-7623 calldata
floor of each transaction (21,000 + 10 gas per calldata token), and the number of steps of one
evaluation (446 windows). Goal: at most 10M gas for the largest covered model.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast_market.fraud import Evaluation, Model, State, StepMachine  # noqa: E402
from ml_models.intinfer import IntNetwork, IntScaler, quantize  # noqa: E402
from ml_models.intinfer.bench import random_weights  # noqa: E402
from ml_models.spec import ModelSpec  # noqa: E402
from tools.intinfer_bench import _start_anvil  # noqa: E402

ARTIFACT = ROOT / "build" / "contracts" / "DisputeGame.json"
TRAIN, TEST, STEPS = 2000, 446, 26
GOAL = 10_000_000
#: What proveStep spends besides DisputeGame.run, at most (tests/contract/test_disputes.py asserts it).
PROVE_OVERHEAD = 250_000


@contextmanager
def _anvil() -> Iterator[str]:
    """A private anvil (no block gas limit) for the duration of the block; yields its URL."""
    proc, rpc = _start_anvil()
    try:
        yield rpc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _models(largest: bool) -> list[tuple[str, str, int, int, int, int]]:
    """(label, cell, layers, units, dense, features)."""
    rows = [("default search space, largest LSTM", "LSTM", 2, 64, 32, 1),
            ("default search space, largest GRU", "GRU", 2, 64, 32, 1),
            ("demo (2 x 30 GRU)", "GRU", 2, 30, 0, 1)]
    if largest:
        rows += [("largest covered LSTM (4 x 512, 64 features, head 32)", "LSTM", 4, 512, 32, 64),
                 ("largest covered GRU (4 x 512, 64 features, head 32)", "GRU", 4, 512, 32, 64)]
    return rows


def _evaluation(cell: str, layers: int, units: int, dense: int, features: int) -> Evaluation:
    rng = np.random.default_rng(0)
    spec = ModelSpec(cell=cell, layers=layers, units=units, dense_units=dense, sequence_length=STEPS, horizon=1)
    net = IntNetwork.from_weights(spec, random_weights(spec, features, rng), features)
    raw = np.cumsum(rng.normal(0, 1, (TRAIN + TEST, features)), axis=0) + 50
    scaler = IntScaler(tuple(f"c{i}" for i in range(features)), "c0", quantize(raw[:TRAIN].mean(axis=0)),
                       quantize(raw[:TRAIN].std(axis=0) + 0.1), int(quantize(np.asarray([1.0]))[0]))
    model = Model(net, scaler, tuple(range(features)), 1, True)
    return Evaluation(StepMachine(model, quantize(raw), TRAIN, TEST))


def _synthetic_state(ev: Evaluation, i: int, rng: np.random.Generator) -> State:
    """A pre-state at step ``i`` with |h| <= ONE and |c| <= 4 ONE (the contract checks only its hash)."""
    vec = rng.integers(-(2**24), 2**24, ev.machine.vec_len).astype(np.int64)
    return State(i, int(rng.integers(0, 2**60)), int(rng.integers(0, 2**40)), vec)


def _steps(ev: Evaluation) -> dict[str, int]:
    m = ev.machine.model
    k = m.chunks
    out = {"first-layer chunk": 0, "head": ev.machine.per_window - 1}
    if m.layers > 1:
        out["upper-layer chunk"] = k  # t = 0, layer 1, chunk 0
    return out


def measure(game, ev: Evaluation) -> list[tuple[str, int, int, int]]:
    """(step kind, tx gas, calldata floor, calldata bytes) per kind of step."""
    rng = np.random.default_rng(1)
    m = ev.machine
    roots = (ev.weights.root, ev.train.root, ev.test.root, m.train_rows, m.test_rows)
    out = []
    for kind, i in _steps(ev).items():
        ev._states[i] = _synthetic_state(ev, i, rng)
        call = game.functions.run(roots, ev.step_proof(i))
        call.call({"gas": 10**9})  # reverts here if the proof does not verify
        data = bytes.fromhex(call._encode_transaction_data()[2:])
        zeros = data.count(0)
        out.append((kind, call.estimate_gas({"gas": 10**9}), 21_000 + 10 * (zeros + 4 * (len(data) - zeros)), len(data)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-largest", action="store_true", help="only the default and demo sizes (fast)")
    args = parser.parse_args()
    if not ARTIFACT.exists():
        raise SystemExit(f"{ARTIFACT.relative_to(ROOT)} is missing: run `brownie compile` first")
    from web3 import Web3

    with _anvil() as rpc:
        w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 600}))
        art = json.loads(ARTIFACT.read_text())
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor().transact({"from": w3.eth.accounts[0]}))
        game = w3.eth.contract(address=receipt.contractAddress, abi=art["abi"])
        print("| model | steps per evaluation (446 windows) | units per chunk | step | calldata | tx gas | EIP-7623 floor |")
        print("|---|---|---|---|---|---|---|")
        worst = 0
        for label, cell, layers, units, dense, features in _models(not args.skip_largest):
            t0 = time.perf_counter()
            ev = _evaluation(cell, layers, units, dense, features)
            for kind, gas, floor, size in measure(game, ev):
                worst = max(worst, gas, floor)
                print(f"| {label} | {ev.machine.total:,} | {ev.machine.model.chunk} | {kind} | {size / 1024:.0f} KB "
                      f"| {gas:,} | {floor:,} |", flush=True)
            print(f"  measured {label} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        total = worst + PROVE_OVERHEAD
        print(f"\nMost expensive single step: {worst:,} gas for DisputeGame.run, at most {total:,} for the whole "
              f"proveStep transaction (goal: at most {GOAL:,}; {'met' if total <= GOAL else 'NOT met'}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
