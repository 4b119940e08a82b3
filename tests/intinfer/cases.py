"""Cell-step cases shared by the tests and make_golden.py: random cells, and one step through numpy or Solidity.

A case is a dict: "cell", "x" (batch, inputs), "h" (batch, units), "c" (LSTM only), and the
quantized weights "w", "u" and "b" (or "b_in" and "b_rec" for GRU), in Keras's layout.
"""

from __future__ import annotations

import numpy as np

from ml_models.intinfer import ONE, gru_step, lstm_step, simple_rnn_step

GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def random_cell(cell: str, n_in: int, units: int, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    """Quantized weights of one cell, Keras layout, values about N(0, scale)."""
    g = GATES[cell]

    def q(*shape: int) -> np.ndarray:
        return np.rint(rng.normal(0.0, scale, shape) * ONE).astype(np.int64)

    weights = {"w": q(n_in, g * units), "u": q(units, g * units)}
    if cell == "GRU":
        weights["b_in"], weights["b_rec"] = q(g * units), q(g * units)
    else:
        weights["b"] = q(g * units)
    return weights


def ints(values) -> list | int:
    """A (nested) brownie return value or numpy array as nested lists of Python ints."""
    if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.ndim):
        return [ints(v) for v in values]
    return int(values)


def numpy_step(case: dict) -> dict[str, list]:
    """{"h2": ..., and "c2" for LSTM} from ml_models.intinfer."""
    a = {k: np.asarray(v, dtype=np.int64) for k, v in case.items() if k in ("x", "h", "c", "w", "u", "b", "b_in", "b_rec")}
    if case["cell"] == "LSTM":
        h2, c2 = lstm_step(a["x"], a["h"], a["c"], a["w"], a["u"], a["b"])
        return {"h2": ints(h2), "c2": ints(c2)}
    if case["cell"] == "GRU":
        return {"h2": ints(gru_step(a["x"], a["h"], a["w"], a["u"], a["b_in"], a["b_rec"]))}
    return {"h2": ints(simple_rnn_step(a["x"], a["h"], a["w"], a["u"], a["b"]))}


def chain_step(harness, case: dict) -> dict[str, list]:
    """The same through FixedPointRNNHarness (kernels flattened row-major)."""
    x, h, w, u = ints(case["x"]), ints(case["h"]), ints(np.ravel(case["w"])), ints(np.ravel(case["u"]))
    if case["cell"] == "LSTM":
        h2, c2 = harness.lstmSteps(x, h, ints(case["c"]), w, u, ints(case["b"]))
        return {"h2": ints(h2), "c2": ints(c2)}
    if case["cell"] == "GRU":
        return {"h2": ints(harness.gruSteps(x, h, w, u, ints(case["b_in"]), ints(case["b_rec"])))}
    return {"h2": ints(harness.simpleRnnSteps(x, h, w, u, ints(case["b"])))}
