"""Cell-step cases shared by the tests and make_golden.py: random cells, and one step through numpy or Solidity.

A case is a dict: "cell", "x" (batch, inputs), "h" (batch, units), "c" (LSTM only), and the
quantized weights "w", "u" and "b" (or "b_in" and "b_rec" for GRU), in Keras's layout.
"""

from __future__ import annotations

import numpy as np

from ml_models.intinfer import ONE, quantize
from ml_models.intinfer.golden import cell_step

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
    return cell_step(case)


def chain_step(harness, case: dict) -> dict[str, list]:
    """The same through FixedPointRNNHarness (kernels flattened row-major)."""
    x, h, w, u = ints(case["x"]), ints(case["h"]), ints(np.ravel(case["w"])), ints(np.ravel(case["u"]))
    if case["cell"] == "LSTM":
        h2, c2 = harness.lstmSteps(x, h, ints(case["c"]), w, u, ints(case["b"]))
        return {"h2": ints(h2), "c2": ints(c2)}
    if case["cell"] == "GRU":
        return {"h2": ints(harness.gruSteps(x, h, w, u, ints(case["b_in"]), ints(case["b_rec"])))}
    return {"h2": ints(harness.simpleRnnSteps(x, h, w, u, ints(case["b"])))}


def chain_network(spec, weights: list[np.ndarray]) -> tuple:
    """The ``Net`` struct of FixedPointRNNHarness.runNetwork for float ``weights`` (Keras order) of ``spec``."""
    q = [np.asarray(quantize(w)) for w in weights]
    rec, dense = q[: 3 * spec.layers], q[3 * spec.layers :]
    flat = [ints(np.ravel(a)) for a in rec]
    gru = spec.cell == "GRU"
    bs = [ints(b[0]) if gru else ints(b) for b in rec[2::3]]
    brecs = [ints(b[1]) for b in rec[2::3]] if gru else [[] for _ in bs]
    acts = ([1] if spec.dense_units else []) + [2 if spec.task == "direction" else 0]
    return (["LSTM", "GRU", "SimpleRNN"].index(spec.cell), flat[0::3], flat[1::3], bs, brecs,
            [ints(np.ravel(w)) for w in dense[0::2]], [ints(b) for b in dense[1::2]], acts)
