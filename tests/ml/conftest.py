"""Fixtures for the ML tests: a small synthetic series and one tiny trained network."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_models.bundle import save_bundle
from ml_models.data import Schema, split_by_time
from ml_models.model import train
from ml_models.spec import ModelSpec

SEQ, HORIZON, SEASON = 10, 2, 7


def make_series(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Daily series: weekly cycle + trend + noise as target ``y``, and a noisy covariate ``x``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 50 + 0.05 * t + 3 * np.sin(2 * np.pi * t / SEASON) + 0.3 * rng.standard_normal(n)
    x = np.cos(2 * np.pi * t / SEASON) + 0.1 * rng.standard_normal(n)
    return pd.DataFrame({"y": y, "x": x}, index=pd.date_range("2021-01-01", periods=n, freq="D", name="date"))


@pytest.fixture(scope="session", name="make_series")
def make_series_fixture() -> Callable[..., pd.DataFrame]:
    """The series factory itself, for tests that need a series of another length."""
    return make_series


@pytest.fixture(scope="session")
def series() -> pd.DataFrame:
    return make_series()


@pytest.fixture(scope="session")
def split(series):
    return split_by_time(series, test_size=0.2)


@pytest.fixture(scope="session")
def schema(split) -> Schema:
    return Schema.from_split(split, target="y", frequency="D", sequence_length=SEQ, horizon=HORIZON, season=SEASON,
                             source="synthetic")


@pytest.fixture(scope="session")
def small_spec() -> ModelSpec:
    return ModelSpec(cell="LSTM", units=6, epochs=3, patience=0, batch_size=32, sequence_length=SEQ,
                     horizon=HORIZON, season=SEASON, seed=1)


@pytest.fixture(scope="session")
def trained(small_spec, split, schema):
    return train(small_spec, split.train, schema, data_cids={"train": "QmTrainData"})


@pytest.fixture(scope="session")
def bundle(trained, tmp_path_factory) -> Path:
    return save_bundle(tmp_path_factory.mktemp("bundles") / "good", trained)


@pytest.fixture()
def bundle_copy(bundle, tmp_path) -> Path:
    """A fresh copy of the good bundle that a test may tamper with."""
    dst = tmp_path / "bundle"
    shutil.copytree(bundle, dst)
    return dst
