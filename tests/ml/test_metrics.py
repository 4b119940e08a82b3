"""Metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from ml_models.metrics import METRICS, directional_accuracy, get_metric, mae, mase, rmse, smape, to_score_int

Y = [1.0, 2.0, 4.0, 3.0]
P = [2.0, 2.0, 2.0, 3.0]


def test_rmse_and_mae():
    assert rmse(Y, P) == pytest.approx(math.sqrt((1 + 0 + 4 + 0) / 4))
    assert mae(Y, P) == pytest.approx(3 / 4)


def test_mase_uses_the_training_naive_error():
    train = [10.0, 12.0, 11.0, 15.0]  # |diffs| = 2, 1, 4 -> scale 7/3
    assert mase(Y, P, y_train=train) == pytest.approx((3 / 4) / (7 / 3))
    # seasonal scale, season 2: |11-10|, |15-12| -> 2
    assert mase(Y, P, y_train=train, season=2) == pytest.approx((3 / 4) / 2)
    with pytest.raises(ValueError, match="needs y_train"):
        mase(Y, P)


def test_smape_in_percent():
    # terms 2|p-y|/(|y|+|p|): 2/3, 0, 4/6, 0
    assert smape(Y, P) == pytest.approx(100 * (2 / 3 + 2 / 3) / 4)
    assert smape([0.0], [0.0]) == 0.0


def test_directional_accuracy_for_values_and_probabilities():
    origin = [0.0, 3.0, 3.0, 3.0]  # actual: up, down, up, no rise
    assert directional_accuracy(Y, P, y_origin=origin) == pytest.approx(3 / 4)  # P up? T, F, F, F
    probs = [0.4, 0.8, 0.7, 0.1]  # up? F, T, T, F
    assert directional_accuracy(Y, probs, y_origin=origin, task="direction") == pytest.approx(2 / 4)


def test_metric_table_ids_and_directions_are_stable():
    assert {i: (m.name, m.higher_is_better) for i, m in METRICS.items()} == {
        0: ("rmse", False), 1: ("mae", False), 2: ("mase", False), 3: ("smape", False), 4: ("directional_accuracy", True)}
    name, fn, hib = METRICS[1]
    assert fn is mae and not hib
    assert get_metric("smape")[0] == 3 and get_metric(4)[1].name == "directional_accuracy"
    with pytest.raises(ValueError, match="unknown metric"):
        get_metric("r2")


def test_nan_predictions_cannot_be_scored_and_score_ints_round():
    with pytest.raises(ValueError, match="finite"):
        rmse(Y, [1.0, float("nan"), 1.0, 1.0])
    assert to_score_int(1.2345674) == 1234567 and to_score_int(0.5) == 500000
