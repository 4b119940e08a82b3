"""Forecast metrics, each with a stable integer id and a direction (higher or lower is better).

All functions share one signature ``fn(y_true, y_pred, *, y_origin=None, y_train=None, season=1,
task="regression") -> float``; extra keyword arguments are ignored by metrics that do not need them.

* ``y_origin``: for each target, the last value known when it was forecast (``target[i - horizon]``);
  needed by directional accuracy.
* ``y_train``: the training series; MASE divides by the mean absolute in-sample error of the
  (seasonal, with ``season``) naive forecast on it.
* ``task="direction"``: ``y_pred`` are probabilities of a rise (a rise is predicted when > 0.5).

The direction task is scored with a proper scoring rule on those probabilities, :func:`brier`
or :func:`log_loss` (lower is better): an honest probability is the best answer, and a forecaster
that always says the same thing scores by how far it is from the truth rather than tying with
everyone on a hit rate. :func:`directional_accuracy` thresholds at 0.5, so whole competitions
tie on it; it is kept for regression tasks (did the forecast move the right way?).
:func:`uninformed_score` is what the coin flip (always 0.5) scores on any data.

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
    "DIRECTION_METRICS",
    "METRICS",
    "SCORE_SCALE",
    "Metric",
    "brier",
    "check_metric_for_task",
    "directional_accuracy",
    "get_metric",
    "log_loss",
    "mae",
    "mase",
    "rmse",
    "score_fits",
    "smape",
    "to_score_int",
    "uninformed_score",
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


#: Probabilities are clipped to [LOG_LOSS_EPS, 1 - LOG_LOSS_EPS] by :func:`log_loss`, so a forecast of
#: exactly 0 or 1 that is wrong costs -ln(1e-15) = 34.5 instead of infinity.
LOG_LOSS_EPS = 1e-15


def _outcomes_and_probabilities(y_true: Any, y_pred: Any, y_origin: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(1.0 where the target rose over the horizon else 0.0, the forecast probabilities, checked in [0, 1])."""
    if y_origin is None:
        raise MetricError(f"{name} needs y_origin (the last known value for each target) to know which targets rose")
    t, p = _pair(y_true, y_pred)
    o, _t = _pair(y_origin, t)
    if ((p < 0.0) | (p > 1.0)).any():
        bad = int(((p < 0.0) | (p > 1.0)).sum())
        raise MetricError(f"{name} scores probabilities of a rise, in [0, 1]; {bad} forecast(s) are outside it")
    return (t > o).astype("float64"), p


@_guarded
def brier(y_true: Any, y_pred: Any, *, y_origin: Any = None, **_: Any) -> float:
    """Brier score (0..1, lower is better): mean (p - rose)^2 of the probabilities of a rise.

    A proper scoring rule: the coin flip (always 0.5) scores exactly 0.25 on any data."""
    rose, p = _outcomes_and_probabilities(y_true, y_pred, y_origin, "brier")
    return float(np.mean((p - rose) ** 2))


@_guarded
def log_loss(y_true: Any, y_pred: Any, *, y_origin: Any = None, **_: Any) -> float:
    """Log loss (binary cross-entropy, natural log, lower is better) of the probabilities of a rise,
    clipped to [:data:`LOG_LOSS_EPS`, 1 - :data:`LOG_LOSS_EPS`].

    A proper scoring rule: the coin flip (always 0.5) scores exactly ln 2 = 0.693147 on any data."""
    rose, p = _outcomes_and_probabilities(y_true, y_pred, y_origin, "log_loss")
    p = np.clip(p, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return float(-np.mean(rose * np.log(p) + (1.0 - rose) * np.log1p(-p)))


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
    5: Metric("brier", brier, False),
    6: Metric("log_loss", log_loss, False),
}

#: Metrics of probabilities, for ``task="direction"`` (proper scoring rules); the first is the default.
DIRECTION_METRICS = ("brier", "log_loss")


def uninformed_score(metric: int | str) -> float:
    """What the coin flip (a probability of 0.5 for every target) scores with a direction metric, on any data."""
    _, m = get_metric(metric)
    if m.name not in DIRECTION_METRICS:
        raise MetricError(f"{m.name} is not a metric of probabilities; expected one of {DIRECTION_METRICS}")
    return m.fn([1.0, 0.0], [0.5, 0.5], y_origin=[0.0, 1.0])


def check_metric_for_task(metric: int | str, task: str) -> tuple[int, Metric]:
    """``get_metric(metric)``, refused unless it scores ``task``: the direction task is scored only by
    :data:`DIRECTION_METRICS` (proper scoring rules on probabilities), and those score nothing else."""
    mid, m = get_metric(metric)
    if task == "direction" and m.name not in DIRECTION_METRICS:
        raise MetricError(f"the direction task is scored on probabilities with {' or '.join(DIRECTION_METRICS)} "
                          f"(lower is better); {m.name} cannot score it"
                          + (" (every forecaster ties on a hit rate)" if m.name == "directional_accuracy" else ""))
    if task != "direction" and m.name in DIRECTION_METRICS:
        raise MetricError(f"{m.name} scores probabilities of a rise (the direction task); this is a {task} task")
    return mid, m


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
