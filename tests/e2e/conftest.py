"""Fixtures for the end-to-end tests: the real stage scripts on anvil with a real embedded
Kubo node (a fresh repo and keystore per module) and real, small Keras training."""
import os

import pytest
from brownie import ForecastMarket, accounts, web3

from forecast_market import artifacts


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("fm-data")
    old = os.environ.get("FM_DATA_DIR")
    os.environ["FM_DATA_DIR"] = str(path)
    artifacts.close_store()
    yield path
    artifacts.close_store()
    if old is None:
        os.environ.pop("FM_DATA_DIR", None)
    else:
        os.environ["FM_DATA_DIR"] = old


@pytest.fixture
def cli(market):
    """Run `market --market <the test market> ARGS...`; returns (exit code, output)."""
    from click.testing import CliRunner

    from forecast_market.cli import main

    runner = CliRunner()

    def run(*args):
        result = runner.invoke(main, ["--market", market.address, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return run


@pytest.fixture(scope="module")
def market(data_dir):
    return ForecastMarket.deploy({"from": accounts[0]})


@pytest.fixture(scope="module")
def dataset(data_dir, tmp_path_factory):
    from forecast_market.stages import preprocess

    out = tmp_path_factory.mktemp("dataset")
    preprocess("statsmodels:co2", out, sequence_length=52, horizon=4, season=52)
    return out


@pytest.fixture
def new_competition(market, dataset):
    from forecast_market.stages import initialize

    def make(**kw):
        kw.setdefault("reward_wei", web3.to_wei(1, "ether"))
        kw.setdefault("deposit_wei", web3.to_wei("0.01", "ether"))
        kw.setdefault("prize_bps", (7000, 3000))
        kw.setdefault("again", True)  # many competitions from one dataset, on purpose
        return initialize(market, accounts[0], dataset, **kw)

    return make


@pytest.fixture(scope="module")
def small_dataset(data_dir, tmp_path_factory):
    """A short co2 dataset (8-step windows, 2% test rows): bonded competitions' evaluations stay small."""
    from forecast_market.stages import preprocess

    out = tmp_path_factory.mktemp("small")
    preprocess("statsmodels:co2", out, sequence_length=8, horizon=1, season=4, test_size=0.02)
    return out
