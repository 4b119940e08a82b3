"""Statistical baselines: exponential smoothing (Holt-Winters) and ARIMA with Fourier terms.

Both are pure functions of the series: they take the whole series ``y`` (training rows first, then
the test rows), fit their parameters on the first ``n_train`` rows only, and return the
``h``-step-ahead forecast of every test row from data that ends ``h`` rows before it (rolling
origin: the parameters stay those fitted on the training rows, the states are updated with the
observed values). That is the same convention as the networks (see :mod:`ml_models.data.windows`),
so their scores compare directly. The fits are deterministic (no random numbers), and each result
is cross-checked against statsmodels' own forecast. statsmodels is imported only when called.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import BaselineError

__all__ = ["arima_forecasts", "ets_forecasts", "fourier_terms"]

#: ARIMA orders tried, the best by AIC on the training rows is kept.
ARIMA_ORDERS: tuple[tuple[int, int, int], ...] = ((1, 1, 1), (2, 1, 1), (2, 1, 2), (3, 1, 1))


def ets_forecasts(y: np.ndarray, n_train: int, h: int, m: int) -> np.ndarray:
    """Holt-Winters fitted on the training rows; h-step forecasts from every origin of the test rows.

    Damped additive trend, and an additive season of ``m`` rows when ``m > 1``. Returns one
    forecast per row ``n_train .. len(y) - 1``.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "add" if m > 1 else None
    kw = dict(trend="add", damped_trend=True, seasonal=seasonal, seasonal_periods=m if m > 1 else None)
    fit = ExponentialSmoothing(y[:n_train], initialization_method="estimated", **kw).fit()
    p = fit.params
    init = dict(initial_level=p["initial_level"], initial_trend=p["initial_trend"])
    if seasonal:
        init["initial_seasonal"] = p["initial_seasons"]
    full = ExponentialSmoothing(y, initialization_method="known", **init, **kw).fit(
        smoothing_level=p["smoothing_level"], smoothing_trend=p["smoothing_trend"], damping_trend=p["damping_trend"],
        **({"smoothing_seasonal": p["smoothing_seasonal"]} if seasonal else {}), optimized=False)
    level, trend = np.asarray(full.level), np.asarray(full.trend)
    season = np.asarray(full.season) if seasonal else np.zeros_like(level)
    phi = p["damping_trend"]
    damp = sum(phi**j for j in range(1, h + 1))
    origins = np.arange(n_train, len(y)) - h
    k = (h - 1) // m + 1 if seasonal else 0
    pred = level[origins] + damp * trend[origins] + (season[origins + h - m * k] if seasonal else 0.0)
    check = fit.forecast(h)[-1]  # statsmodels' own forecast from the last training row
    if n_train - 1 in origins and not math.isclose(pred[list(origins).index(n_train - 1)], check, rel_tol=1e-9):
        raise BaselineError("ETS rolling forecast does not match statsmodels")
    return pred


def fourier_terms(n: int, spec: Sequence[tuple[float, int]]) -> np.ndarray | None:
    """Columns ``sin, cos(2 pi j t / period)`` for ``j = 1..harmonics`` of each ``(period, harmonics)``; None if none."""
    t = np.arange(n, dtype=float)
    cols = []
    for period, k in spec:
        for j in range(1, k + 1):
            cols += [np.sin(2 * np.pi * j * t / period), np.cos(2 * np.pi * j * t / period)]
    return np.column_stack(cols) if cols else None


def arima_forecasts(y: np.ndarray, n_train: int, h: int, fourier: Sequence[tuple[float, int]]) -> tuple[np.ndarray, str]:
    """ARIMA(p,1,q) + Fourier terms, order by AIC on the training rows; h-step rolling forecasts.

    Returns ``(forecasts for rows n_train .. len(y) - 1, label such as "ARIMA(2, 1, 1)+fourier")``.
    """
    exog = fourier_terms(len(y), fourier)
    order, res = _best_arima(y[:n_train], None if exog is None else exog[:n_train])
    full = res.apply(y, exog=exog, refit=False)
    origins = np.arange(n_train, len(y)) - h
    pred = _rolling_state_space_forecasts(full, origins, h, len(y))
    for i in (0, len(origins) // 2, len(origins) - 1):  # cross-check against statsmodels' dynamic prediction
        o = origins[i]
        ref = full.get_prediction(start=o + 1, end=o + h, dynamic=True).predicted_mean[-1]
        if not math.isclose(pred[i], ref, rel_tol=1e-7, abs_tol=1e-7):
            raise BaselineError(f"ARIMA rolling forecast {pred[i]} differs from statsmodels {ref}")
    return pred, f"ARIMA{order}+fourier"


def _best_arima(y_train: np.ndarray, exog_train: np.ndarray | None) -> tuple[tuple[int, int, int], Any]:
    from statsmodels.tsa.arima.model import ARIMA

    best = None
    for order in ARIMA_ORDERS:
        try:
            r = ARIMA(y_train, exog=exog_train, order=order, trend="t").fit()
        except Exception:  # noqa: BLE001  (a failed order is just skipped)
            continue
        if best is None or r.aic < best[1].aic:
            best = (order, r)
    if best is None:
        raise BaselineError("no ARIMA order could be fitted")
    return best


def _rolling_state_space_forecasts(full: Any, origins: np.ndarray, h: int, n: int) -> np.ndarray:
    """h-step forecasts from each origin, propagating the filtered state of a fitted state-space model."""
    ssm = full.model.ssm
    Z, T = np.asarray(ssm["design"]), np.asarray(ssm["transition"])
    Z, T = (Z[..., 0] if Z.ndim == 3 else Z), (T[..., 0] if T.ndim == 3 else T)  # time-invariant here
    d = _per_time(ssm["obs_intercept"], n)[0]
    c = _per_time(ssm["state_intercept"], n)
    a = full.filter_results.predicted_state  # a[:, t] = E[state_t | y_<t]
    pred = np.empty(len(origins))
    for i, o in enumerate(origins):
        s = a[:, o + 1]
        for step in range(1, h):
            s = T @ s + c[:, o + 1 + step - 1]
        pred[i] = d[o + h] + (Z @ s)[0]
    return pred


def _per_time(a: np.ndarray, n: int) -> np.ndarray:
    """A state-space intercept as a (rows, n) array, whether it is stored per time step or once."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    return np.repeat(a, n, axis=1) if a.shape[1] == 1 else a
