"""The step machine on a real trained Keras forecaster: its score is the float scorer's to the integer
format's precision, and the contract re-executes its steps to the same hashes."""
import math

import numpy as np
import pandas as pd
import pytest
from brownie import accounts

from forecast_market.fraud import score_from_sums
from forecast_market.fraud.build import evaluation
from ml_models.model import train
from ml_models.spec import ModelSpec


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    t = np.arange(120)
    df = pd.DataFrame({"x": np.cos(t / 3) + 0.1 * rng.standard_normal(120),
                       "y": 20 + 0.05 * t + 2 * np.sin(t / 3) + 0.2 * rng.standard_normal(120)})
    train_df, test_df = df.iloc[:100], df.iloc[100:]
    spec = ModelSpec(cell="GRU", layers=2, units=5, dense_units=4, epochs=2, patience=0, batch_size=32,
                     sequence_length=6, horizon=2, seed=3)
    fc = train(spec, train_df[["y", "x"]])
    return fc, train_df, test_df


def test_the_integer_evaluation_scores_like_the_float_forecaster(trained):
    fc, train_df, test_df = trained
    ev = evaluation(fc, train_df, test_df)
    final = ev.final()
    pred = fc.forecast_test(train_df[["y", "x"]], test_df[["y", "x"]])
    rmse = math.sqrt(np.mean((pred - test_df["y"].to_numpy()) ** 2))
    assert abs(score_from_sums(0, final.sum_sq, final.sum_abs, len(test_df)) / 1e6 - rmse) < 1e-4


def test_the_contract_reexecutes_the_real_models_steps(trained, market):
    fc, train_df, test_df = trained
    from brownie import DisputeGame

    game = DisputeGame.deploy({"from": accounts[0]})
    ev = evaluation(fc, train_df, test_df)
    m = ev.machine
    roots = (ev.weights.root, ev.train.root, ev.test.root, m.train_rows, m.test_rows)
    steps = list(range(m.per_window)) + [m.total - 1]  # a whole window (every kind of step) and the last step
    for i in steps:
        pre, post = game.run(roots, ev.step_proof(i))
        assert bytes(pre) == ev.hash_at(i) and bytes(post) == ev.hash_at(i + 1), f"step {i}"
