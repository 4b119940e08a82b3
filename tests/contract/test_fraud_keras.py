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
                       "y": 20 + 0.05 * t + 2 * np.sin(t / 3) + 0.2 * rng.standard_normal(120)},
                      index=pd.date_range("2020-01-01", periods=120, freq="D"))
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


def test_the_step_machine_gives_the_official_scorers_score(trained, tmp_path):
    """What the organizer posts (the sandboxed integer scorer, on the saved bundle) is exactly what the dispute
    game derives from the step machine's sums, for RMSE and MAE: a true score always survives a challenge."""
    from ml_models import Schema, load_bundle, save_bundle, score_bundles

    fc, train_df, test_df = trained
    bundle = save_bundle(tmp_path / "bundle", fc)
    final = evaluation(load_bundle(bundle), train_df, test_df).final()
    schema = Schema(columns=["y", "x"], target="y", frequency="D", sequence_length=6, horizon=2)
    for metric in (0, 1):
        (res,) = score_bundles([bundle], train_df[["y", "x"]], test_df[["y", "x"]], schema, metric)
        assert res.ok, res.reason
        assert res.score_int == score_from_sums(metric, final.sum_sq, final.sum_abs, len(test_df))


def test_the_vectorized_sums_are_the_step_machines(trained, tmp_path):
    """`market challenge` compares scores from the vectorized integer forecasts and replays the steps only to
    dispute: both must end with the same sums."""
    from forecast_market.fraud.build import final_sums
    from ml_models import load_bundle, save_bundle

    fc, train_df, test_df = trained
    loaded = load_bundle(save_bundle(tmp_path / "bundle", fc))
    final = evaluation(loaded, train_df, test_df).final()
    assert final_sums(loaded, train_df, test_df) == (final.sum_sq, final.sum_abs)


def test_score_from_sums_rounds_as_the_scorer_and_the_contract(market):
    from brownie import DisputeGame

    from ml_models.intinfer.scores import score_q

    game = DisputeGame.deploy({"from": accounts[0]})
    rng = np.random.default_rng(1)
    for n in (1, 3, 446):
        for scale in (1, 2**20, 2**40):
            pred = rng.integers(-scale, scale, n, dtype=np.int64)
            actual = rng.integers(-scale, scale, n, dtype=np.int64)
            d = [int(a) - int(b) for a, b in zip(pred, actual, strict=True)]
            sq, ab = sum(v * v for v in d), sum(abs(v) for v in d)
            for metric, name in ((0, "rmse"), (1, "mae")):
                want = score_q(name, pred, actual)
                assert score_from_sums(metric, sq, ab, n) == want
                assert game.scoreFromSums(metric, n, sq, ab) == want
