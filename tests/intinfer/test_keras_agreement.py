"""The integer path agrees with the float Keras network it was quantized from, within a stated bound.

Real Keras training (2 epochs, tiny networks) on a small synthetic series; the windows are the ones
Forecaster.predict builds. The integer path is exact; the float path differs by float32 rounding,
weight quantization (3e-8 per weight) and the activation approximations (about 1e-7 each).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_models.intinfer import ONE, IntNetwork, IntScaler, dequantize, quantize, rmse_q, windows_at
from ml_models.metrics import rmse
from ml_models.model import _windows_at, train
from ml_models.spec import ModelSpec

#: Largest |Keras output - integer output| allowed, in standardised output units (measured: 6.9e-7 LSTM,
#: 2.4e-7 GRU, 1.8e-7 SimpleRNN).
MAX_DISAGREEMENT = 5e-6


def _series(n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    t = np.arange(n)
    y = 20 + 0.05 * t + 3 * np.sin(2 * np.pi * t / 7) + 0.3 * rng.standard_normal(n)
    x = np.cos(2 * np.pi * t / 7) + 0.1 * rng.standard_normal(n)
    return pd.DataFrame({"y": y, "x": x}, index=pd.date_range("2021-01-01", periods=n, freq="D"))


@pytest.mark.parametrize(("cell", "task", "dense_units", "transform"), [
    ("LSTM", "regression", 0, "delta"),
    ("GRU", "regression", 6, "level"),
    ("SimpleRNN", "direction", 0, "delta"),
])
def test_integer_outputs_match_the_keras_network(cell, task, dense_units, transform):
    spec = ModelSpec(cell=cell, layers=2, units=8, dense_units=dense_units, sequence_length=12, epochs=2, batch_size=32,
                     patience=0, task=task, target_transform=transform, learning_rate=0.01)
    df = _series()
    fc = train(spec, df)
    x = fc.scaler.transform(df[fc.feature_columns])
    windows = _windows_at(x, spec.sequence_length, np.arange(spec.sequence_length - 1, len(x)))
    if transform == "delta":
        windows[:, :, 0] -= windows[:, -1:, 0]
    w32 = windows.astype("float32")
    keras_out = np.asarray(fc.model(w32, training=False), dtype=np.float64).reshape(-1)
    net = IntNetwork.from_weights(spec, fc.model.get_weights(), len(fc.feature_columns))
    int_out = dequantize(net.predict(quantize(w32)))
    gap = float(np.abs(keras_out - int_out).max())
    assert gap < MAX_DISAGREEMENT, f"{cell}: integer path differs from Keras by {gap:.3g}"
    assert np.ptp(keras_out) > 1e-3  # the network says something: the comparison is not between two constants

    # The whole integer pipeline from raw data: standardise, window, run, back to target units, score.
    scaler = IntScaler.from_dict(fc.scaler.to_dict())
    raw_q = quantize(df[fc.feature_columns].to_numpy())
    ends = np.arange(spec.sequence_length - 1, len(df) - spec.horizon)
    out_q = net.predict(windows_at(scaler.standardize(raw_q), spec.sequence_length, ends, delta=transform == "delta"))
    float_pred = fc.predict(df)[: len(ends)]
    if task == "direction":
        assert np.abs(dequantize(out_q) - float_pred).max() < MAX_DISAGREEMENT
        return
    pred_q = scaler.to_target_units(out_q, raw_q[ends, 0], delta=transform == "delta")
    unit = fc.scaler.delta_scale_ if transform == "delta" else fc.scaler.scale_[0]
    assert np.abs(dequantize(pred_q) - float_pred).max() < MAX_DISAGREEMENT * unit + 4 / ONE
    truth = df["y"].to_numpy()[ends + spec.horizon]
    int_rmse = dequantize(np.asarray([rmse_q(pred_q, quantize(truth))]))[0]
    assert abs(int_rmse - rmse(truth, float_pred)) < MAX_DISAGREEMENT * unit + 4 / ONE
