"""statsforecast baselines on stretches of real series (no network): sane against naive, every test row, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ml_models.baselines import BASELINE_MEAN, STATSFORECAST_MODELS, fourier_terms, statsforecast_forecasts
from ml_models.data import clean_series, load_series
from ml_models.errors import BaselineError


def _series(source: str, target: str, n: int, max_gap: int = 8) -> np.ndarray:
    df, _ = clean_series(load_series(source), target=target, columns=[target], max_gap=max_gap)
    return df[target].to_numpy()[-n:]


def _mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))


def test_monthly_seasonal_baselines_beat_naive():
    """El Nino sea temperature, monthly: every model (seasonal, m=12) beats the last value, 3 months ahead."""
    y, n_train, h = _series("statsmodels:elnino", "temperature", 216), 180, 3
    preds = statsforecast_forecasts(y, n_train, h, season=12)
    assert list(preds) == [*STATSFORECAST_MODELS, BASELINE_MEAN]
    truth, naive = y[n_train:], y[n_train - h:-h]
    for name, p in preds.items():
        assert p.shape == truth.shape and np.isfinite(p).all(), name
        assert _mae(truth, p) < 0.8 * _mae(truth, naive), (name, _mae(truth, p), _mae(truth, naive))
    assert np.allclose(preds[BASELINE_MEAN], np.mean([preds[m] for m in STATSFORECAST_MODELS], axis=0))


def test_long_season_uses_fourier_regressors_and_stays_close():
    """Weekly CO2 (season 52 > 24): AutoARIMA with Fourier terms forecasts every row within 1 ppm on average."""
    y, n_train, h = _series("statsmodels:co2", "co2", 260, max_gap=20), 220, 4
    preds = statsforecast_forecasts(y, n_train, h, season=52, fourier=[(365.25 / 7, 2)])
    truth, naive = y[n_train:], y[n_train - h:-h]
    assert _mae(truth, preds["AutoARIMA"]) < min(1.0, _mae(truth, naive))


def test_too_short_a_training_part_is_a_clear_error():
    y = np.arange(40, dtype=float)
    with pytest.raises(BaselineError, match="two seasons"):
        statsforecast_forecasts(y, 30, 1, season=24)
    with pytest.raises(BaselineError, match="test rows"):
        statsforecast_forecasts(y, 40, 1, season=1)


def test_fourier_terms_shape():
    assert fourier_terms(10, []) is None
    x = fourier_terms(10, [(7.0, 2), (3.0, 1)])
    assert x.shape == (10, 6) and np.allclose(x[0], [0, 1, 0, 1, 0, 1])
