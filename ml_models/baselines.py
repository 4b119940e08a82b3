"""Statistical baselines from statsforecast: AutoARIMA, AutoETS, AutoTheta and their mean.

:func:`statsforecast_forecasts` takes the whole series ``y`` (training rows first, then the test
rows) and returns, for each model, the ``h``-step-ahead forecast of every test row from data that
ends ``h`` rows before it (rolling origin). Each model is fitted once, on the data before the first
origin (so never on a test row), and then only updated with the observed values
(statsforecast's ``cross_validation(refit=False)``, which calls each model's ``forward``). That is
the convention of the networks (see :mod:`ml_models.data.windows`), so the scores compare directly.

Seasons longer than :data:`MAX_ARIMA_SEASON` rows (weekly data with a yearly cycle, half-hourly
data with daily and weekly cycles) make a seasonal ARIMA far too slow, so AutoARIMA is then
non-seasonal with Fourier terms as regressors (:func:`fourier_terms`); AutoETS is non-seasonal
past 24 rows (statsforecast's own limit) and AutoTheta deseasonalises with any season.
statsforecast is imported only when called.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import BaselineError

__all__ = ["BASELINE_MEAN", "MAX_ARIMA_SEASON", "STATSFORECAST_MODELS", "fourier_terms", "statsforecast_forecasts"]

#: The statsforecast models, in the order they are reported.
STATSFORECAST_MODELS: tuple[str, ...] = ("AutoARIMA", "AutoETS", "AutoTheta")
#: Name of the equal-weight mean of the :data:`STATSFORECAST_MODELS` forecasts.
BASELINE_MEAN = "mean(AutoARIMA, AutoETS, AutoTheta)"
#: Longest season a seasonal AutoARIMA is fitted with; longer seasons use Fourier regressors.
MAX_ARIMA_SEASON = 24


def fourier_terms(n: int, spec: Sequence[tuple[float, int]]) -> np.ndarray | None:
    """Columns ``sin, cos(2 pi j t / period)`` for ``j = 1..harmonics`` of each ``(period, harmonics)``; None if none."""
    t = np.arange(n, dtype=float)
    cols = []
    for period, k in spec:
        for j in range(1, k + 1):
            cols += [np.sin(2 * np.pi * j * t / period), np.cos(2 * np.pi * j * t / period)]
    return np.column_stack(cols) if cols else None


def statsforecast_forecasts(y: np.ndarray, n_train: int, h: int, season: int,
                            fourier: Sequence[tuple[float, int]] = ()) -> dict[str, np.ndarray]:
    """AutoARIMA, AutoETS, AutoTheta and their mean: h-step rolling forecasts of rows ``n_train .. len(y) - 1``.

    ``season`` is the seasonal period in rows (1 = none). ``fourier`` lists ``(period, harmonics)``
    regressors for AutoARIMA, used only when ``season > MAX_ARIMA_SEASON``. Returns
    ``{model name: forecasts}`` with :data:`BASELINE_MEAN` last.
    """
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    y = np.asarray(y, dtype="float64")
    n_test = len(y) - n_train
    if h < 1 or season < 1 or n_test < 1 or n_train - h < max(2 * season, 10):
        raise BaselineError(f"cannot fit baselines: {n_train} training rows, {n_test} test rows, horizon {h}, "
                            f"season {season}; the training rows must cover two seasons")
    long_season = season > MAX_ARIMA_SEASON
    exog = fourier_terms(len(y), fourier) if long_season else None
    frame = pd.DataFrame({"unique_id": "series", "ds": np.arange(len(y)), "y": y})
    for j in range(0 if exog is None else exog.shape[1]):
        frame[f"fourier{j}"] = exog[:, j]  # regressors: AutoARIMA uses them, AutoETS and AutoTheta ignore them
    models = [AutoARIMA(season_length=1 if long_season else season), AutoETS(season_length=season),
              AutoTheta(season_length=season)]
    sf = StatsForecast(models=models, freq=1, n_jobs=1)
    cv = sf.cross_validation(df=frame, h=h, step_size=1, n_windows=n_test, refit=False)
    cv = cv[cv["ds"] - cv["cutoff"] == h].sort_values("ds")  # the h-th step of every window
    if cv["ds"].tolist() != list(range(n_train, len(y))):
        raise BaselineError("statsforecast did not forecast every test row exactly once")
    out = {name: cv[name].to_numpy(dtype="float64") for name in STATSFORECAST_MODELS}
    if not all(np.isfinite(v).all() for v in out.values()):
        raise BaselineError(f"a statsforecast model returned a non-finite forecast: "
                            f"{[k for k, v in out.items() if not np.isfinite(v).all()]}")
    out[BASELINE_MEAN] = np.mean([out[name] for name in STATSFORECAST_MODELS], axis=0)
    return out
