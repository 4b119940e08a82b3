"""Fixtures for the integer-inference tests: the Solidity twin deployed on anvil, and a random cell factory."""

from __future__ import annotations

import numpy as np
import pytest
from brownie import FixedPointRNNHarness, accounts

from ml_models.intinfer import ONE

GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


@pytest.fixture(scope="module")
def harness():
    return FixedPointRNNHarness.deploy({"from": accounts[0]})


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


def ints(values) -> list:
    """A (nested) brownie return value or numpy array as nested lists of Python ints."""
    if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.ndim):
        return [ints(v) for v in values]
    return int(values)
