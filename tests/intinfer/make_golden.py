"""Write golden.json: fixed inputs and the integers ml_models.intinfer gives for them.

Run once, by hand, when the format changes on purpose (``PYTHONPATH=. python tests/intinfer/make_golden.py``);
test_golden.py checks that numpy and Solidity still give exactly these integers on any machine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ml_models import intinfer as ii
from ml_models.intinfer.golden import GOLDEN_PATH, scores
from ml_models.spec import ModelSpec

sys.path.insert(0, str(Path(__file__).parent))
from cases import numpy_step, random_cell  # noqa: E402

PATH = GOLDEN_PATH


def _q(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return np.rint(rng.normal(0, scale, shape) * ii.ONE).astype(np.int64)


def _cell(cell: str, rng: np.random.Generator) -> dict:
    n_in, units, batch = 2, 3, 3
    case = {"cell": cell, "x": _q(rng, batch, n_in, scale=2.0), "h": rng.integers(-ii.ONE, ii.ONE + 1, (batch, units)),
            "c": _q(rng, batch, units, scale=2.0), **random_cell(cell, n_in, units, rng, 1.0)}
    case = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in case.items()}
    return {**case, **numpy_step(case)}


def _network(rng: np.random.Generator) -> dict:
    spec = ModelSpec(cell="GRU", layers=2, units=4, dense_units=2, sequence_length=4)
    shapes = [(2, 12), (4, 12), (2, 12), (4, 12), (4, 12), (2, 12), (4, 2), (2,), (2, 1), (1,)]
    weights = [rng.normal(0, 0.7, s).astype(np.float32) for s in shapes]
    windows = rng.normal(0, 1.5, (5, 4, 2))
    net = ii.IntNetwork.from_weights(spec, weights, 2)
    return {"spec": spec.to_dict(), "n_features": 2, "weights": [w.astype(float).tolist() for w in weights],
            "windows": windows.tolist(), "outputs": net.predict(ii.quantize(windows)).tolist()}


def _scores() -> dict:
    """Forecasts, actuals, origins, a training series and probabilities, and every metric's score (its own rng, so
    the sections before it keep their values)."""
    rng = np.random.default_rng(20261127)
    y = _q(rng, 40, scale=2.0).cumsum()
    t = y[-1] + _q(rng, 30, scale=1.0).cumsum()
    o = np.concatenate([y[-2:], t[:-2]])
    case = {"p": (t + _q(rng, 30, scale=0.5)).tolist(), "t": t.tolist(), "o": o.tolist(), "y": y.tolist(), "season": 2,
            "prob": rng.integers(0, ii.ONE + 1, 30).tolist()}
    return {**case, "expected": scores(case)}


def build() -> dict:
    rng = np.random.default_rng(20261126)
    xs = np.concatenate([np.asarray([0, 1, -1, ii.ONE, -ii.ONE, 11629080, 2**40, -(2**40)], dtype=np.int64),
                         _q(rng, 32, scale=4.0)])
    p, t = _q(rng, 20, scale=3.0), _q(rng, 20, scale=3.0)
    return {
        "format": {"fractional_bits": 24, "one": ii.ONE},
        "activations": {"x": xs.tolist(), "sigmoid": ii.sigmoid(xs).tolist(), "tanh": ii.tanh(xs).tolist(),
                        "exp_neg_abs": ii.exp_neg(np.abs(xs)).tolist()},
        "cells": [_cell(c, rng) for c in ("LSTM", "GRU", "SimpleRNN")],
        "network": _network(rng),
        "metrics": {"pred": p.tolist(), "target": t.tolist(), "mse": ii.mse_q(p, t), "rmse": ii.rmse_q(p, t), "mae": ii.mae_q(p, t)},
        "scores": _scores(),
    }


if __name__ == "__main__":
    PATH.write_text(json.dumps(build(), separators=(",", ":")) + "\n")
    print(f"wrote {PATH} ({PATH.stat().st_size} bytes)")
