"""The fixed-point format on its own: activation error bounds, quantization, overflow refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml_models import intinfer as ii
from ml_models.intinfer.bench import random_weights
from ml_models.spec import ModelSpec

#: The stated maximum errors (package docstring): measured 8.7e-8 and 1.2e-7.
SIGMOID_MAX_ERROR, TANH_MAX_ERROR, EXP_MAX_ERROR = 2e-7, 3e-7, 2e-7


def _grid() -> np.ndarray:
    """Every 997th fixed-point value in [-40, 40], plus every value near 0 and near the range-reduction joints."""
    joints = np.concatenate([k * 11629080 + np.arange(-50, 50) for k in range(0, 30)])
    return np.unique(np.concatenate([np.arange(-40 * ii.ONE, 40 * ii.ONE, 997), np.arange(-5000, 5000), joints, -joints]))


def test_sigmoid_tanh_and_exp_are_within_their_stated_error():
    x = _grid()
    xf = ii.dequantize(x)
    assert np.abs(ii.dequantize(ii.sigmoid(x)) - 1 / (1 + np.exp(-xf))).max() < SIGMOID_MAX_ERROR
    assert np.abs(ii.dequantize(ii.tanh(x)) - np.tanh(xf)).max() < TANH_MAX_ERROR
    y = np.abs(x)
    assert np.abs(ii.dequantize(ii.exp_neg(y)) - np.exp(-ii.dequantize(y))).max() < EXP_MAX_ERROR


def test_activations_stay_in_range_are_monotone_and_exactly_symmetric():
    x = _grid()
    s, t = ii.sigmoid(x), ii.tanh(x)
    assert s.min() >= 0 and s.max() <= ii.ONE and np.abs(t).max() <= ii.ONE
    assert (np.diff(s) >= 0).all() and (np.diff(t) >= 0).all()
    assert (ii.sigmoid(-x) == ii.ONE - s).all() and (ii.tanh(-x) == -t).all()
    assert ii.sigmoid(np.asarray([2**62])) == ii.ONE and ii.tanh(np.asarray([-(2**61)])) == -ii.ONE


def test_quantize_rounds_to_nearest_and_refuses_what_does_not_fit():
    assert ii.quantize(np.asarray([0.5, -0.25, 1.0 / 3])).tolist() == [ii.ONE // 2, -ii.ONE // 4, round(ii.ONE / 3)]
    assert ii.quantize(np.asarray([0.5 / ii.ONE, 1.5 / ii.ONE])).tolist() == [0, 2]  # ties to even
    for bad in (math.inf, math.nan, 2.0**38):
        with pytest.raises(OverflowError):
            ii.quantize(np.asarray([bad]))


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_weights_that_could_overflow_are_refused_at_load_time(cell):
    spec = ModelSpec(cell=cell, units=8, sequence_length=5)
    rng = np.random.default_rng(1)
    ii.IntNetwork.from_weights(spec, random_weights(spec, 2, rng, 1.0), 2)  # ordinary weights load
    with pytest.raises(ii.IntInferError, match="too large to run exactly"):
        ii.IntNetwork.from_weights(spec, random_weights(spec, 2, rng, 1e5), 2)
    with pytest.raises(ii.IntInferError, match="input_bound"):
        ii.IntNetwork.from_weights(spec, random_weights(spec, 2, rng, 1.0), 2, input_bound=math.nan)


def test_wrong_shapes_and_inputs_beyond_the_proven_range_are_refused():
    spec = ModelSpec(cell="GRU", units=4, sequence_length=3)
    rng = np.random.default_rng(2)
    w = random_weights(spec, 2, rng, 0.5)
    with pytest.raises(ii.IntInferError, match="reset_after=True"):
        ii.IntNetwork.from_weights(spec, w[:2] + [w[2][0]] + w[3:], 2)  # a reset_after=False bias
    with pytest.raises(ii.IntInferError, match="cannot be quantized"):
        ii.IntNetwork.from_weights(spec, [np.full(a.shape, "x", dtype=object) for a in w], 2)
    with pytest.raises(ii.IntInferError, match="cannot be quantized"):
        ii.IntNetwork.from_weights(spec, [np.full(a.shape, np.nan) for a in w], 2)
    with pytest.raises(ii.IntInferError, match="kind 'rnn'"):
        ii.IntNetwork.from_weights(ModelSpec(kind="naive"), w, 2)
    net = ii.IntNetwork.from_weights(spec, w, 2, input_bound=10.0)
    assert net.predict(ii.quantize(rng.normal(0, 1, (4, 3, 2)))).shape == (4,)
    # beyond the proven input range: clamped to it, not refused (an outlier planted in the data fails no model)
    assert net.predict(ii.quantize(np.full((1, 3, 2), 11.0))) == net.predict(ii.quantize(np.full((1, 3, 2), 10.0)))
    assert net.predict(ii.quantize(np.full((1, 3, 2), -1e9))) == net.predict(ii.quantize(np.full((1, 3, 2), -10.0)))
    with pytest.raises(ii.IntInferError, match="must be int64 of shape"):
        net.predict(np.zeros((1, 3, 2)))
    with pytest.raises(ii.IntInferError, match="must be int64 of shape"):
        net.predict(np.zeros((1, 4, 2), dtype=np.int64))


def test_metrics_are_exact_floors_and_refuse_mismatched_vectors():
    p, t = np.asarray([3 * ii.ONE, -ii.ONE, 2**40]), np.asarray([0, ii.ONE, 2**40 + 1])
    sq = (3 * ii.ONE) ** 2 + (2 * ii.ONE) ** 2 + 1
    assert ii.mse_q(p, t) == sq // 3 and ii.rmse_q(p, t) == math.isqrt(sq // 3)
    assert ii.mae_q(p, t) == (5 * ii.ONE + 1) // 3
    big = np.asarray([2**61, -(2**61)])
    assert ii.mse_q(big, -big) == (2**62) ** 2  # beyond int64: exact Python integers
    with pytest.raises(ii.IntInferError):
        ii.mse_q(p, t[:2])
    with pytest.raises(ii.IntInferError):
        ii.mae_q(p[:0], t[:0])


def test_the_package_imports_no_tensorflow_or_keras():
    import json
    import subprocess
    import sys

    code = ("import json, sys, ml_models.intinfer, ml_models.intinfer.bench; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == []


def test_standardize_truncates_toward_zero_and_clamps_results_beyond_the_format():
    one = ii.ONE
    x = ii.standardize(np.asarray([[7], [-7], [1]]), [0], [3 * one])
    assert x[:, 0].tolist() == [7 * one // (3 * one), -(7 * one // (3 * one)), 0]  # -7/3 -> -2 (not floor's -3)
    assert ii.standardize(np.asarray([[-7 * one]]), [0], [3 * one]).tolist() == [[-(7 * one // 3)]]
    # (2**41 * 2**24) is beyond the format: clamped at 2**61, not refused (an outlier planted in the data fails no model)
    assert ii.standardize(np.asarray([[2**40], [-(2**40)]]), [-(2**40)], [1]).tolist() == [[2**61], [0]]
    assert ii.standardize(np.asarray([[-(2**40)]]), [2**40], [1]).tolist() == [[-(2**61)]]
    with pytest.raises(ii.IntInferError, match="positive"):
        ii.standardize(np.asarray([[1]]), [0], [0])
    with pytest.raises(ii.IntInferError, match="safe range"):
        ii.to_target_units(np.asarray([2**61]), 2**40, 0)


def test_int_scaler_refuses_inconsistent_or_unquantizable_statistics():
    good = {"columns": ["y", "x"], "target": "y", "horizon": 1, "mean_": [5.0, 0.0], "scale_": [2.0, 1.0], "delta_scale_": 0.5}
    s = ii.IntScaler.from_dict(good)
    assert s.delta_scale_q == ii.ONE // 2 and s.scale_q.tolist() == [2 * ii.ONE, ii.ONE]
    assert s.to_target_units(np.asarray([ii.ONE]), np.asarray([3 * ii.ONE]), delta=True).tolist() == [ii.ONE * 7 // 2]
    assert s.to_target_units(np.asarray([ii.ONE]), np.asarray([0]), delta=False).tolist() == [7 * ii.ONE]
    for bad in ({"scale_": [1e-9, 1.0]}, {"columns": ["x", "y"]}, {"mean_": [1.0]}, {"delta_scale_": math.inf},
                {"mean_": ["a", 1.0]}):
        with pytest.raises(ii.IntInferError):
            ii.IntScaler.from_dict({**good, **bad})
