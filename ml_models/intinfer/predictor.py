"""The official forecasts of a bundle, in integers: what the evaluator scores (numpy only, no TensorFlow).

:class:`IntForecaster` is what :func:`ml_models.bundle.load_bundle` returns: the spec, the input
columns, and for kind "rnn" the quantized network (:class:`~.network.IntNetwork`) and scaler
(:class:`~.pipeline.IntScaler`). :meth:`IntForecaster.predict_targets_q` forecasts the last rows of
a frame exactly as :class:`ml_models.model.Forecaster` does in floats (windows ending ``horizon``
rows before each target, the ``delta``/``level`` target transform, the direction task's sigmoid
probability, naive and seasonal naive), but on the quantized data and in the format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError, SpecError
from ..spec import ModelSpec
from .fixed import ONE, dequantize, quantize
from .network import IntNetwork
from .pipeline import IntScaler, windows_at

__all__ = ["IntForecaster", "quantize_column", "quantize_frame"]


def quantize_frame(df: Any, columns: list[str]) -> np.ndarray:
    """``df[columns]`` quantized, ``(rows, columns)`` int64; :class:`DataError` for a missing column or a value the
    format cannot hold (not finite, or ``|v| >= 2**38``)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"column(s) {missing[:5]} not in the data; this model uses {columns[:8]}")
    try:
        return quantize(df[columns].to_numpy(dtype="float64"))
    except (OverflowError, TypeError, ValueError) as exc:
        raise DataError(f"the data cannot be put in the fixed-point format: {str(exc)[:160]}") from None


def quantize_column(df: Any, column: str) -> np.ndarray:
    """One column quantized (see :func:`quantize_frame`)."""
    return quantize_frame(df, [column])[:, 0]


@dataclass
class IntForecaster:
    """A loaded bundle: spec, preprocessing and (kind "rnn") the quantized network; forecasts in integers."""

    spec: ModelSpec
    feature_columns: list[str]
    target: str
    net: IntNetwork | None = None
    scaler: IntScaler | None = None
    data_cids: dict[str, str] = field(default_factory=dict)

    def predict_targets_q(self, frame: Any, n_targets: int) -> np.ndarray:
        """Forecasts (int64, ``F`` fractional bits) of the last ``n_targets`` rows of ``frame``, each from the rows
        ending ``horizon`` before it; for the direction task, probabilities of a rise in ``[0, ONE]``."""
        s = self.spec
        x = quantize_frame(frame, self.feature_columns)
        y = x[:, 0]
        n, L, h = len(x), s.sequence_length, s.horizon
        if not 0 < n_targets <= n:
            raise DataError(f"n_targets={n_targets} must be in [1, {n}]")
        ends = np.arange(n - n_targets, n) - h
        if ends[0] - L + 1 < 0:
            raise DataError(f"the frame has {n - n_targets} context rows; forecasting needs {L + h - 1} "
                            "(sequence_length + horizon - 1)")
        if s.kind in ("naive", "seasonal_naive"):
            point = y[ends] if s.kind == "naive" else y[ends + h - s.seasonal_lag()]
            return np.where(point > y[ends], ONE, 0).astype(np.int64) if s.task == "direction" else point.copy()
        if self.net is None or self.scaler is None:
            raise SpecError("this rnn forecaster has no network; load a bundle")
        first = int(ends[0]) - L + 1  # only the rows the windows read are standardised (as the dispute game does)
        z = self.scaler.standardize(x[first : int(ends[-1]) + 1])
        delta = s.target_transform == "delta"
        out = self.net.predict(windows_at(z, L, ends - first, delta=delta))
        if s.task == "direction":
            return out
        return self.scaler.to_target_units(out, y[ends], delta=delta)

    def forecast_test_q(self, train_df: Any, test_df: Any) -> np.ndarray:
        """Integer forecasts for exactly the rows of ``test_df``, with the training tail as context."""
        from ..data import context_and_targets

        frame, n = context_and_targets(train_df, test_df, sequence_length=self.spec.sequence_length, horizon=self.spec.horizon)
        return self.predict_targets_q(frame, n)

    def predict_targets(self, frame: Any, n_targets: int) -> np.ndarray:
        """:meth:`predict_targets_q` as float64 (for plots and people; scores use the integers)."""
        return dequantize(self.predict_targets_q(frame, n_targets))

    def forecast_test(self, train_df: Any, test_df: Any) -> np.ndarray:
        """:meth:`forecast_test_q` as float64."""
        return dequantize(self.forecast_test_q(train_df, test_df))
