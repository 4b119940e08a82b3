"""The official metrics, exactly on integers: quantized forecasts and actuals in, the chain's score integer out.

Every metric of :data:`ml_models.metrics.METRICS` is defined here on int64 vectors in the
fixed-point format (``F`` fractional bits; the formulas are in the package docstring) and computed
with unbounded Python integers, so the score is the same integer on any machine. A score is the
metric times :data:`SCORE_SCALE` (``10**6``) rounded to the nearest integer, halves up:
``div_round(a, b) = (2 a + b) // (2 b)`` for ``a >= 0, b > 0``. Errors are
:class:`~ml_models.errors.MetricError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import MetricError
from .fixed import ONE, SAFE, F

__all__ = ["LN_BITS", "LN_MAX_ERROR", "SCORE_SCALE", "div_round", "mae_score", "neg_ln", "rmse_score", "score_q"]

SCORE_SCALE = 10**6
_INT64_MAX = 2**63 - 1
#: :func:`neg_ln` returns ``-ln(x / ONE)`` with this many fractional bits.
LN_BITS = 64
#: Proven bound on ``|neg_ln(x) / 2**LN_BITS + ln(x / ONE)|`` (a few dozen units of 2**-64, far below it).
LN_MAX_ERROR = 2.0**-56
#: ``ln 2`` with :data:`LN_BITS` fractional bits, rounded to nearest (tests/intinfer checks it with ``decimal``).
LN2_G = 12786308645202655660
_ATANH_TERMS = 22  # z <= 1/3: the first omitted term is below 3**-45 / 45 < 2**-76
#: sMAPE terms keep this many extra fractional bits before they are summed.
SMAPE_BITS = 32


def div_round(num: int, den: int) -> int:
    """``num / den`` rounded to the nearest integer, halves up (``num >= 0``, ``den > 0``)."""
    return (2 * num + den) // (2 * den)


def rmse_score(sum_sq: int, n: int) -> int:
    """RMSE x 10**6, rounded, from ``sum (p - t)**2`` (``2 F`` fractional bits) over ``n`` targets:
    ``round(sqrt(z)) = (isqrt(4 z) + 1) // 2`` with ``z = sum_sq 10**12 / (n 4**F)``. The dispute game's
    ``scoreFromSums`` computes the same integer on chain."""
    return (math.isqrt((4 * sum_sq * SCORE_SCALE**2) // (n << 2 * F)) + 1) // 2


def mae_score(sum_abs: int, n: int) -> int:
    """MAE x 10**6, rounded (halves up), from ``sum |p - t|`` (``F`` fractional bits) over ``n`` targets."""
    return div_round(sum_abs * SCORE_SCALE, n << F)


def neg_ln(x: int) -> int:
    """``-ln(x / ONE)`` for an integer ``x`` in ``[1, ONE]``, with :data:`LN_BITS` fractional bits.

    With ``k = bit_length(x) - 1`` (``2**k <= x < 2**(k+1)``) and ``m = x / 2**k`` in ``[1, 2)``:
    ``-ln(x / ONE) = (F - k) ln 2 - ln m``, and ``ln m = 2 atanh(z)``, ``z = (x - 2**k) / (x + 2**k)`` in
    ``[0, 1/3)``, summed as ``2 sum_j z**(2j+1) / (2j+1)`` for ``j < 22`` in fixed point (``G = 64`` bits):
    ``z_G = ((x - 2**k) << G) // (x + 2**k)``, ``z2 = (z_G * z_G) >> G``, each term ``t // (2j+1)`` then
    ``t = (t * z2) >> G``. Every step floors, so the result is within :data:`LN_MAX_ERROR` of the true value.
    """
    if not 1 <= x <= ONE:
        raise MetricError(f"neg_ln takes an integer in [1, {ONE}]; got {x}")
    k = x.bit_length() - 1
    z = ((x - (1 << k)) << LN_BITS) // (x + (1 << k))
    z2 = (z * z) >> LN_BITS
    s, t = 0, z
    for j in range(_ATANH_TERMS):
        s += t // (2 * j + 1)
        t = (t * z2) >> LN_BITS
    return (F - k) * LN2_G - 2 * s


def _vec(values: np.ndarray | Sequence[int], name: str) -> list[int]:
    a = np.asarray(values)
    if a.ndim != 1 or a.dtype != np.int64:
        raise MetricError(f"{name} must be a vector of int64 fixed-point values; got {a.dtype} {a.shape}")
    if a.size and max(int(a.max()), -int(a.min())) >= SAFE:
        raise MetricError(f"{name}: a value is beyond the fixed-point format's range (|v| < 2**62 / 2**{F})")
    return [int(v) for v in a]


def _fits(score: int, name: str) -> int:
    if abs(score) >= _INT64_MAX:
        raise MetricError(f"the {name} score {score:.4g} does not fit a signed 64-bit integer; |score| must stay below "
                          f"{(_INT64_MAX - 1) / SCORE_SCALE:.4g}")
    return score


def score_q(metric: str, pred: np.ndarray, actual: np.ndarray, *, origin: np.ndarray | None = None,
            train: np.ndarray | None = None, season: int = 1, task: str = "regression") -> int:
    """The score integer (metric x 10**6, rounded) of quantized forecasts ``pred`` against quantized ``actual``.

    ``origin``: each target's last known value (``target[i - horizon]``, quantized), for the direction metrics;
    ``train``: the quantized training target, for MASE (with ``season``); ``task="direction"``: ``pred`` are
    probabilities of a rise in ``[0, ONE]``. See the package docstring for every formula.
    """
    p, t = _vec(pred, "the forecasts"), _vec(actual, "the actuals")
    n = len(t)
    if len(p) != n or not n:
        raise MetricError(f"forecasts and actuals must be non-empty and the same length; got {len(p)} and {n}")
    d = [a - b for a, b in zip(p, t, strict=True)]
    if metric == "rmse":  # round(sqrt(z)) = (isqrt(4z) + 1) // 2, z = S 10**12 / (n 4**F)
        return _fits(rmse_score(sum(v * v for v in d), n), metric)
    if metric == "mae":
        return _fits(mae_score(sum(abs(v) for v in d), n), metric)
    if metric == "mase":
        if train is None:
            raise MetricError("MASE needs the training series to compute its scale")
        y = _vec(train, "the training series")
        if not isinstance(season, int) or isinstance(season, bool) or season < 1 or len(y) <= season:
            raise MetricError(f"MASE needs an integer season >= 1 and more training values than it; got {season!r}, {len(y)}")
        b = sum(abs(y[i] - y[i - season]) for i in range(season, len(y)))
        if b == 0:
            raise MetricError("MASE is undefined: the training series' naive error is 0 (a constant series)")
        return _fits(div_round(sum(abs(v) for v in d) * (len(y) - season) * SCORE_SCALE, n * b), metric)
    if metric == "smape":  # sum of floor(2 |d| 10**8 2**32 / (|t| + |p|)), then divided by n 2**32
        unit = 2 * 100 * SCORE_SCALE << SMAPE_BITS
        terms = sum((abs(v) * unit) // (abs(a) + abs(b)) for v, a, b in zip(d, t, p, strict=True) if abs(a) + abs(b))
        return _fits(div_round(terms, n << SMAPE_BITS), metric)
    if origin is None:
        raise MetricError(f"{metric} needs the last known value of each target (origin)")
    o = _vec(origin, "the origins")
    if len(o) != n:
        raise MetricError(f"origins and actuals must be the same length; got {len(o)} and {n}")
    rose = [a > b for a, b in zip(t, o, strict=True)]
    if metric == "directional_accuracy":
        up = [v > ONE // 2 for v in p] if task == "direction" else [a > b for a, b in zip(p, o, strict=True)]
        return div_round(sum(a == b for a, b in zip(rose, up, strict=True)) * SCORE_SCALE, n)
    if metric not in ("brier", "log_loss"):
        raise MetricError(f"unknown metric {metric!r}")
    bad = sum(not 0 <= v <= ONE for v in p)
    if bad:
        raise MetricError(f"{metric} scores probabilities of a rise, in [0, 1]; {bad} forecast(s) are outside it")
    if metric == "brier":
        return div_round(sum((v - ONE * r) ** 2 for v, r in zip(p, rose, strict=True)) * SCORE_SCALE, n << 2 * F)
    # log loss: the probability given to what happened, clipped to [2**-F, 1]
    loss = sum(neg_ln(max(1, v if r else ONE - v)) for v, r in zip(p, rose, strict=True))
    return div_round(loss * SCORE_SCALE, n << LN_BITS)
