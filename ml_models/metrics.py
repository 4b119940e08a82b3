"""Forecast metrics, each with a stable integer id and a direction (higher or lower is better).

All functions share one signature ``fn(y_true, y_pred, *, y_origin=None, y_train=None, season=1,
task="regression") -> float``; extra keyword arguments are ignored by metrics that do not need them.

* ``y_origin``: for each target, the last value known when it was forecast (``target[i - horizon]``);
  needed by directional accuracy.
* ``y_train``: the training series; MASE divides by the mean absolute in-sample error of the
  (seasonal, with ``season``) naive forecast on it.
* ``task="direction"``: ``y_pred`` are probabilities of a rise (a rise is predicted when > 0.5).

Metric values are exchanged as integers with 6 decimals (:data:`SCORE_SCALE`, :func:`to_score_int`).
Every error is a :class:`~ml_models.errors.MetricError` (a ``ValueError``).

Predictions come from strangers, so every metric is computed in float64 with floating-point errors
raised (``np.errstate(over="raise", invalid="raise", divide="raise")``): a metric that overflows
(finite but huge forecasts) or is not finite is a ``MetricError``, never ``inf`` or ``nan``. A finite
metric may still be too large for the chain: :func:`score_fits` says whether it has an int64 value
clear of the two failure sentinels, and :func:`to_score_int` refuses one that does not.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .errors import MetricError, clip_message

__all__ = [
    "METRICS",
    "SCORE_SCALE",
    "Metric",
    "directional_accuracy",
    "get_metric",
    "mae",
    "mase",
    "rmse",
    "score_fits",
    "smape",
    "to_score_int",
]

#: Metric values are exchanged as integers with 6 decimals: ``to_score_int(x) == round(x * SCORE_SCALE)``.
SCORE_SCALE = 10**6
_INT64_MAX = 2**63 - 1  # INT64_MAX and INT64_MIN = -2**63 are the chain's failure sentinels


def _floats(values: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype="float64").reshape(-1)
    except (TypeError, ValueError, OverflowError) as exc:
        raise MetricError(clip_message(f"{name} is not a sequence of float64 numbers ({type(exc).__name__}: {exc})")) from None


def _guarded(fn: Callable[..., float]) -> Callable[..., float]:
    """Run a metric with float64 errors raised; its value must be finite (else :class:`MetricError`)."""

    @functools.wraps(fn)
    def metric(*args: Any, **kwargs: Any) -> float:
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                value = float(fn(*args, **kwargs))
        except FloatingPointError as exc:
            raise MetricError(f"{fn.__name__} overflows float64 ({exc}): the forecasts are too far from the data to score") from None
        if not math.isfinite(value):
            raise MetricError(f"{fn.__name__} is not finite ({value}): the forecasts are too far from the data to score")
        return value

    return metric


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = _floats(y_true, "y_true")
    p = _floats(y_pred, "y_pred")
    if t.shape != p.shape or t.size == 0:
        raise MetricError(f"y_true and y_pred must be non-empty and the same length; got {t.size} and {p.size}")
    if not (np.isfinite(t).all() and np.isfinite(p).all()):
        raise MetricError("y_true and y_pred must be finite; a forecast with NaN or infinity cannot be scored")
    return t, p


@_guarded
def rmse(y_true: Any, y_pred: Any, **_: Any) -> float:
    """Root mean squared error."""
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


@_guarded
def mae(y_true: Any, y_pred: Any, **_: Any) -> float:
    """Mean absolute error."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


@_guarded
def mase(y_true: Any, y_pred: Any, *, y_train: Any = None, season: int = 1, **_: Any) -> float:
    """Mean absolute scaled error: MAE / mean |y_train[t] - y_train[t - season]|."""
    if y_train is None:
        raise MetricError("MASE needs y_train (the training series) to compute its scale")
    tr = _floats(y_train, "y_train")
    if not isinstance(season, numbers.Integral) or isinstance(season, bool):
        raise MetricError(f"MASE needs an integer season; got {type(season).__name__}")
    m = int(season)
    if m < 1 or tr.size <= m:
        raise MetricError(f"MASE needs more than season={m} training values; got {tr.size}")
    scale = float(np.mean(np.abs(tr[m:] - tr[:-m])))
    if not np.isfinite(scale) or scale <= 0:
        raise MetricError("MASE is undefined: the training series' naive error is 0 (a constant series)")
    return mae(y_true, y_pred) / scale


@_guarded
def smape(y_true: Any, y_pred: Any, **_: Any) -> float:
    """Symmetric mean absolute percentage error in percent, 0..200 (0/0 counts as 0)."""
    t, p = _pair(y_true, y_pred)
    den = np.abs(t) + np.abs(p)
    ratio = np.divide(2.0 * np.abs(p - t), den, out=np.zeros_like(den), where=den > 0)
    return float(100.0 * np.mean(ratio))


@_guarded
def directional_accuracy(y_true: Any, y_pred: Any, *, y_origin: Any = None, task: str = "regression", **_: Any) -> float:
    """Share of targets whose rise/no-rise over the horizon was forecast correctly (0..1)."""
    if y_origin is None:
        raise MetricError("directional accuracy needs y_origin (the last known value for each target)")
    t, p = _pair(y_true, y_pred)
    o, _p = _pair(y_origin, t)
    actual_up = t > o
    predicted_up = p > 0.5 if task == "direction" else p > o
    return float(np.mean(actual_up == predicted_up))


class Metric(NamedTuple):
    name: str
    fn: Callable[..., float]
    higher_is_better: bool


#: ``{id: (name, fn, higher_is_better)}``; ids are stable (they are stored with every competition).
METRICS: dict[int, Metric] = {
    0: Metric("rmse", rmse, False),
    1: Metric("mae", mae, False),
    2: Metric("mase", mase, False),
    3: Metric("smape", smape, False),
    4: Metric("directional_accuracy", directional_accuracy, True),
}


def get_metric(metric: int | str) -> tuple[int, Metric]:
    """Look a metric up by id or name; returns ``(id, Metric)``."""
    for mid, m in METRICS.items():
        if metric == mid or metric == m.name:
            return mid, m
    raise MetricError(f"unknown metric {metric!r}; expected an id or name from {[(i, m.name) for i, m in METRICS.items()]}")


def score_fits(score: Any) -> bool:
    """Whether ``score`` has a fixed-point value: a finite real with ``|round(score * SCORE_SCALE)| < 2**63 - 1``.

    That is an int64 clear of the two failure sentinels ``INT64_MIN`` and ``INT64_MAX`` (so metric
    values up to about 9.2e12 fit).
    """
    if not isinstance(score, numbers.Real) or isinstance(score, bool):
        return False
    try:
        scaled = float(score) * SCORE_SCALE
    except (OverflowError, ValueError):  # e.g. an int beyond float64's range
        return False
    return math.isfinite(scaled) and abs(round(scaled)) < _INT64_MAX


def to_score_int(score: float) -> int:
    """A metric value as a fixed-point integer with 6 decimals: ``round(score * SCORE_SCALE)``.

    Raises :class:`MetricError` unless :func:`score_fits` (non-finite, or too large for int64).
    """
    if not score_fits(score):
        if isinstance(score, float | np.floating) and not math.isfinite(score):
            raise MetricError("a non-finite score has no integer value")
        raise MetricError(clip_message(f"score {clip_message(score, 40)} does not fit a signed 64-bit integer after scaling by "
                                       f"{SCORE_SCALE}; |score| must stay below {(_INT64_MAX - 1) / SCORE_SCALE:.4g}"))
    return int(round(float(score) * SCORE_SCALE))
