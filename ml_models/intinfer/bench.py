"""Time the integer reference inference and measure its activation errors; print Markdown.

    python -m ml_models.intinfer.bench [--repeat 5]

Default case: the demo-size network (2 layers x 30 GRU units, 1 feature) on 446 windows of 26
steps, with random weights (N(0, 0.3)) and windows (N(0, 1)); the time is the median of
``--repeat`` runs of :meth:`IntNetwork.predict` (quantization excluded). The on-chain gas of
one step is printed by ``python tools/intinfer_bench.py``, which also prints this.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

import numpy as np

from ..spec import ModelSpec
from .fixed import ONE, dequantize, exp_neg, quantize, sigmoid, tanh
from .network import IntNetwork

__all__ = ["activation_errors", "demo_network", "main", "random_weights", "time_inference"]

GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def random_weights(spec: ModelSpec, n_features: int, rng: np.random.Generator, scale: float = 0.3) -> list[np.ndarray]:
    """float32 arrays in Keras ``get_weights()`` order and shapes for ``spec``."""
    g, k = GATES[spec.cell], spec.units
    out, width = [], n_features
    for _ in range(spec.layers):
        out += [rng.normal(0, scale, (width, g * k)), rng.normal(0, scale, (k, g * k)),
                rng.normal(0, scale, (2, 3 * k) if spec.cell == "GRU" else (g * k,))]
        width = k
    if spec.dense_units:
        out += [rng.normal(0, scale, (width, spec.dense_units)), rng.normal(0, scale, (spec.dense_units,))]
        width = spec.dense_units
    out += [rng.normal(0, scale, (width, 1)), rng.normal(0, scale, (1,))]
    return [w.astype(np.float32) for w in out]


def demo_network(cell: str = "GRU", layers: int = 2, units: int = 30, steps: int = 26, n_features: int = 1,
                 seed: int = 0) -> IntNetwork:
    spec = ModelSpec(cell=cell, layers=layers, units=units, sequence_length=steps)
    return IntNetwork.from_weights(spec, random_weights(spec, n_features, np.random.default_rng(seed)), n_features)


def time_inference(net: IntNetwork, windows: int, repeat: int = 5, seed: int = 1) -> float:
    """Median seconds of ``net.predict`` on ``windows`` random quantized windows."""
    x = quantize(np.random.default_rng(seed).normal(0, 1, (windows, net.sequence_length, net.n_features)))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        net.predict(x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def activation_errors() -> dict[str, float]:
    """Largest |integer - float| of sigmoid, tanh and exp(-|x|) on every 997th fixed-point value of [-40, 40]."""
    x = np.arange(-40 * ONE, 40 * ONE, 997, dtype=np.int64)
    xf = dequantize(x)
    return {
        "sigmoid": float(np.abs(dequantize(sigmoid(x)) - 1 / (1 + np.exp(-xf))).max()),
        "tanh": float(np.abs(dequantize(tanh(x)) - np.tanh(xf)).max()),
        "exp(-|x|)": float(np.abs(dequantize(exp_neg(np.abs(x))) - np.exp(-np.abs(xf))).max()),
    }


def report(repeat: int = 5) -> str:
    lines = ["| network | windows x steps | numpy int64 inference (median) |", "|---|---|---|"]
    for cell, layers, units in (("GRU", 2, 30), ("LSTM", 2, 30), ("SimpleRNN", 2, 30), ("LSTM", 1, 32)):
        net = demo_network(cell, layers, units)
        secs = time_inference(net, 446, repeat)
        lines.append(f"| {layers} x {units} {cell} | 446 x 26 | {secs * 1000:.1f} ms |")
    lines += ["", "| activation | max abs error vs float64 |", "|---|---|"]
    lines += [f"| {name} | {err:.2e} |" for name, err in activation_errors().items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml_models.intinfer.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per network; the median is printed (default 5)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    print(report(args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
