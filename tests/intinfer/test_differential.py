"""numpy (ml_models.intinfer) and Solidity (contracts/lib/FixedPointRNN.sol) agree bit for bit.

Hypothesis draws the shapes, magnitudes and a seed; each example runs a batch of random inputs
and states through one random cell in a single eth_call, so thousands of steps are compared; whole
random networks (1-2 layers, optional ReLU head, linear or sigmoid output) are composed from the
library's steps by FixedPointRNNHarness.runNetwork and compared with IntNetwork.predict.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import chain_network, chain_step, ints, numpy_step, random_cell
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_models.intinfer import (
    ONE,
    IntNetwork,
    abs_error_step,
    dense_step,
    exp_neg,
    mae_q,
    mse_q,
    quantize,
    rmse_q,
    sigmoid,
    squared_error_step,
    standardize,
    tanh,
    to_target_units,
)
from ml_models.intinfer.bench import random_weights
from ml_models.spec import ModelSpec

BATCH = 24
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
edges = [0, 1, -1, ONE, -ONE, ONE // 2, 11629080, 11629079, 11629081, 25 * 11629080, 26 * 11629080 - 1, 2**40, -(2**40)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), spread=st.sampled_from([2**20, 2**25, 2**28, 2**33]))
def test_activations_match(harness, seed, spread):
    rng = np.random.default_rng(seed)
    xs = np.concatenate([np.asarray(edges, dtype=np.int64), rng.integers(-spread, spread, 400)])
    assert ints(harness.sigmoidMany(ints(xs))) == ints(sigmoid(xs))
    assert ints(harness.tanhMany(ints(xs))) == ints(tanh(xs))
    ys = np.abs(xs)
    assert ints(harness.expNegMany(ints(ys))) == ints(exp_neg(ys))


def _states(rng, units, scale, n=BATCH):
    """Hidden states in [-ONE, ONE] (what a cell can produce) and inputs/cell states of any size."""
    h = rng.integers(-ONE, ONE + 1, (n, units))
    c = np.rint(rng.normal(0, 3 * scale, (n, units)) * ONE).astype(np.int64)
    return h, c


cells = st.fixed_dictionaries({
    "n_in": st.integers(1, 5), "units": st.integers(1, 6), "seed": st.integers(0, 2**32 - 1),
    "w_scale": st.sampled_from([0.05, 0.5, 2.0, 8.0]), "x_scale": st.sampled_from([0.1, 1.0, 10.0]),
})


def _inputs(p):
    rng = np.random.default_rng(p["seed"])
    x = np.rint(rng.normal(0, p["x_scale"], (BATCH, p["n_in"])) * ONE).astype(np.int64)
    return rng, x


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
@SETTINGS
@given(p=cells)
def test_cell_step_matches(harness, cell, p):
    rng, x = _inputs(p)
    case = {"cell": cell, "x": x, **random_cell(cell, p["n_in"], p["units"], rng, p["w_scale"])}
    case["h"], case["c"] = _states(rng, p["units"], p["x_scale"])
    assert chain_step(harness, case) == numpy_step(case)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(p=cells, activation=st.sampled_from(["linear", "relu", "sigmoid"]))
def test_dense_step_matches(harness, p, activation):
    rng, x = _inputs(p)
    w = np.rint(rng.normal(0, p["w_scale"], (p["n_in"], p["units"])) * ONE).astype(np.int64)
    b = np.rint(rng.normal(0, p["w_scale"], p["units"]) * ONE).astype(np.int64)
    want = dense_step(x, w, b, activation)
    got = harness.denseSteps(ints(x), ints(w.ravel()), ints(b), ["linear", "relu", "sigmoid"].index(activation))
    assert ints(got) == ints(want)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), spread=st.sampled_from([2**10, 2**24, 2**40]))
def test_metric_steps_match(harness, seed, n, spread):
    rng = np.random.default_rng(seed)
    p, t = rng.integers(-spread, spread, n), rng.integers(-spread, spread, n)
    sq = ab = 0
    for a, b in zip(p, t, strict=True):
        sq, ab = squared_error_step(sq, a, b), abs_error_step(ab, a, b)
    assert ints(harness.metrics(ints(p), ints(t))) == [sq, ab, mse_q(p, t), rmse_q(p, t), mae_q(p, t)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), spread=st.sampled_from([2**20, 2**30, 2**40]),
       scale=st.one_of(st.integers(16, 2**10), st.integers(2**20, 2**40)))  # results stay in range
def test_standardize_and_target_units_match(harness, seed, spread, scale):
    rng = np.random.default_rng(seed)
    raw, mean = rng.integers(-spread, spread, 60), int(rng.integers(-spread, spread))
    assert ints(harness.standardizeMany(ints(raw), mean, scale)) == ints(standardize(raw[:, None], [mean], [scale])[:, 0])
    out, offsets = rng.integers(-(2**30), 2**30, 60), rng.integers(-spread, spread, 60)
    assert ints(harness.toTargetUnitsMany(ints(out), scale, ints(offsets))) == ints(to_target_units(out, scale, offsets))


def test_unknown_activation_and_bad_shapes_revert(harness):
    import brownie

    with brownie.reverts():
        harness.denseSteps([[1]], [1], [0], 3)
    with brownie.reverts():
        harness.lstmSteps([[1]], [[0]], [[0]], [1, 2], [1, 2, 3, 4], [0, 0, 0, 0])  # W has 2 entries, needs 4
    with brownie.reverts():
        harness.metrics([], [])
    with brownie.reverts():
        harness.standardizeMany([1], 0, 0)
    harness.requireInt64([2**63 - 1, -(2**63), 0])
    for bad in (2**63, -(2**63) - 1):
        with brownie.reverts():
            harness.requireInt64([0, bad])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large, HealthCheck.too_slow])
@given(cell=st.sampled_from(["LSTM", "GRU", "SimpleRNN"]), layers=st.integers(1, 2), units=st.integers(4, 5),
       dense_units=st.sampled_from([0, 3]), task=st.sampled_from(["regression", "direction"]),
       steps=st.integers(1, 4), features=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_whole_network_matches(harness, cell, layers, units, dense_units, task, steps, features, seed):
    spec = ModelSpec(cell=cell, layers=layers, units=units, dense_units=dense_units, task=task, sequence_length=steps)
    rng = np.random.default_rng(seed)
    weights = random_weights(spec, features, rng, scale=0.8)
    windows = quantize(rng.normal(0, 2, (3, steps, features)))
    want = IntNetwork.from_weights(spec, weights, features).predict(windows)
    assert ints(harness.runNetwork(chain_network(spec, weights), ints(windows))) == ints(want)
