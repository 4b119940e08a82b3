"""The benchmark's covariates: known at forecast time (no look-ahead), the same rows as without them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_models.benchmark import DATASETS, _parser, prepare
from ml_models.covariates import COVARIATES, add_covariates


def _ohlcv(n: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 + rng.standard_normal(n).cumsum()
    idx = pd.bdate_range("2020-01-01", periods=n, name="date")
    return pd.DataFrame({"close": close, "open": close + rng.standard_normal(n), "high": close + 2, "low": close - 2,
                         "volume": rng.integers(1_000, 2_000, n).astype(float)}, index=idx)


@pytest.mark.parametrize("key, frame, target, freq", [
    ("goog", _ohlcv(), "close", "B"),
    ("unemp", pd.DataFrame({"unemp": np.linspace(5, 6, 30), "realgdp": np.linspace(100, 130, 30),
                            "infl": np.linspace(1, 3, 30), "tbilrate": np.linspace(4, 2, 30)},
                           index=pd.date_range("1990-01-01", periods=30, freq="QS-OCT", name="date")), "unemp",
     "QS-OCT"),
])
def test_a_feature_at_row_t_does_not_change_when_later_rows_do(key, frame, target, freq):
    before = add_covariates(key, frame, target=target, frequency=freq, horizon=1)
    changed = frame.copy()
    changed.iloc[20:] *= 1.5  # every later value, target and sources
    after = add_covariates(key, changed, target=target, frequency=freq, horizon=1)
    features = list(COVARIATES[key][1])
    assert list(before.columns) == [target, *features]  # the raw sources are replaced by the features
    pd.testing.assert_frame_equal(before.iloc[:20], after.iloc[:20])
    assert not before.isna().any().any()


def test_unemployment_covariates_are_the_previous_quarters():
    idx = pd.date_range("1990-01-01", periods=4, freq="QS-OCT", name="date")
    frame = pd.DataFrame({"unemp": [5.0] * 4, "realgdp": [100.0, 110.0, 121.0, 121.0], "infl": [1.0, 2.0, 3.0, 4.0],
                          "tbilrate": [5.0, 6.0, 7.0, 8.0]}, index=idx)
    out = add_covariates("unemp", frame, target="unemp", frequency="QS-OCT", horizon=1)
    assert out["infl_lag1"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert out["tbilrate_lag1"].tolist() == [0.0, 5.0, 6.0, 7.0]
    assert out["gdp_growth_lag1"].round(6).tolist() == [0.0, 0.0, round(np.log(1.1), 6), round(np.log(1.1), 6)]


def test_the_calendar_is_the_targets_time():
    idx = pd.date_range("2000-06-05 23:00", periods=3, freq="30min", name="date")  # a Monday
    out = add_covariates("taylor", pd.DataFrame({"demand": [1.0, 2.0, 3.0]}, index=idx), target="demand",
                         frequency="30min", horizon=2)
    # row 0 (Monday 23:00) forecasts Tuesday 00:00: hour phase 0, weekday 1
    assert out["hour_sin"].iloc[0] == pytest.approx(0.0) and out["hour_cos"].iloc[0] == pytest.approx(1.0)
    assert out["weekday_sin"].iloc[0] == pytest.approx(np.sin(2 * np.pi / 7))
    assert out["hour_sin"].iloc[1] == pytest.approx(np.sin(2 * np.pi / 48))


@pytest.mark.parametrize("key", ["goog", "unemp", "elnino", "sunspots"])
def test_covariates_keep_the_benchmarks_rows(key):
    plain, _ = prepare(DATASETS[key], 0.2)
    with_cov, schema = prepare(DATASETS[key], 0.2, key)
    assert with_cov.train.index.equals(plain.train.index) and with_cov.test.index.equals(plain.test.index)
    assert set(COVARIATES[key][1]) <= set(schema.columns)
    assert np.isfinite(with_cov.train.to_numpy()).all()


def test_the_benchmark_takes_a_covariates_flag():
    assert _parser().parse_args(["--covariates"]).covariates and not _parser().parse_args([]).covariates
