"""Statistical baselines on a short stretch of a real series, and the benchmark's command line."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from ml_models.baselines import arima_forecasts, ets_forecasts, fourier_terms
from ml_models.data import clean_series, load_series

N_TRAIN, N_TEST, H, SEASON = 220, 40, 4, 52


@pytest.fixture(scope="module")
def co2() -> np.ndarray:
    """The last weeks of Mauna Loa CO2 (statsmodels ships it; no network)."""
    df, _ = clean_series(load_series("statsmodels:co2"), target="co2", max_gap=20)
    return df["co2"].to_numpy()[-(N_TRAIN + N_TEST):]


def test_ets_forecasts_every_test_row(co2):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter
        pred = ets_forecasts(co2, N_TRAIN, H, SEASON)
    assert pred.shape == (N_TEST,) and np.isfinite(pred).all()
    assert np.abs(pred - co2[N_TRAIN:]).mean() < 2.0  # ppm: a sensible forecast, not just a finite one


def test_arima_with_fourier_terms_forecasts_every_test_row(co2):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred, label = arima_forecasts(co2, N_TRAIN, H, [(365.25 / 7, 2)])
    assert pred.shape == (N_TEST,) and np.isfinite(pred).all()
    assert label.startswith("ARIMA(") and label.endswith("+fourier")
    assert np.abs(pred - co2[N_TRAIN:]).mean() < 2.0


def test_fourier_terms_shape():
    assert fourier_terms(10, []) is None
    x = fourier_terms(10, [(7.0, 2), (3.0, 1)])
    assert x.shape == (10, 6) and np.allclose(x[0], [0, 1, 0, 1, 0, 1])


def test_benchmark_help_exits_0():
    out = subprocess.run([sys.executable, "-m", "ml_models.benchmark", "--help"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert "--budget-seconds" in out.stdout and "--no-random-search" in out.stdout
