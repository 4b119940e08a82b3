"""Metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from ml_models.errors import MetricError
from ml_models.metrics import (
    DIRECTION_METRICS,
    LOG_LOSS_EPS,
    METRICS,
    SCORE_SCALE,
    brier,
    check_metric_for_task,
    directional_accuracy,
    get_metric,
    log_loss,
    mae,
    mase,
    rmse,
    score_fits,
    smape,
    to_score_int,
    uninformed_score,
)

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
        0: ("rmse", False), 1: ("mae", False), 2: ("mase", False), 3: ("smape", False), 4: ("directional_accuracy", True),
        5: ("brier", False), 6: ("log_loss", False)}
    name, fn, hib = METRICS[1]
    assert fn is mae and not hib
    assert get_metric("smape")[0] == 3 and get_metric(4)[1].name == "directional_accuracy"
    with pytest.raises(ValueError, match="unknown metric"):
        get_metric("r2")


def test_nan_predictions_cannot_be_scored_and_score_ints_round():
    with pytest.raises(ValueError, match="finite"):
        rmse(Y, [1.0, float("nan"), 1.0, 1.0])
    assert to_score_int(1.2345674) == 1234567 and to_score_int(0.5) == 500000


def test_scores_must_fit_int64_clear_of_the_failure_sentinels():
    limit = (2**63 - 1) / SCORE_SCALE  # about 9.22e12
    for ok in (0.0, -0.0, 1.5, -1.5, 9.2e12, -9.2e12, 10**12, 0.1234565):
        assert score_fits(ok) and abs(to_score_int(ok)) < 2**63 - 1, ok
    assert to_score_int(-9.2e12) == -9_200_000_000_000_000_000
    for bad in (limit, -limit, 1e13, -1e13, 1e300, 10**400, 10**5000, float("inf"), float("-inf"), float("nan")):
        assert not score_fits(bad), bad
        with pytest.raises(MetricError, match="does not fit a signed 64-bit integer|non-finite score"):
            to_score_int(bad)
    for not_a_number in ("1.0", None, True, [1.0], b"1"):
        assert not score_fits(not_a_number)
        with pytest.raises(MetricError):
            to_score_int(not_a_number)


@pytest.mark.parametrize("fn, y, p, kwargs, message", [
    (rmse, [0.0, 1.0], [1e200, 1e200], {}, "rmse overflows float64"),
    (rmse, [0.0], [1.7e308], {}, "rmse overflows float64"),
    (mae, [-1.7e308, -1.7e308], [1.7e308, 1.7e308], {}, "mae overflows float64"),
    (mae, [0.0, 0.0], [1.7e308, 1.7e308], {}, "mae overflows float64"),  # the sum, not any one term
    (mase, [0.0, 0.0], [1e300, 1e300], {"y_train": [0.0, 1e-300, 0.0]}, "mase is not finite"),
    (mase, [0.0], [1.0], {"y_train": [-1.7e308, 1.7e308]}, "mase overflows float64"),
    (smape, [1.7e308], [1.7e308], {}, "smape overflows float64"),
    (smape, [-1.7e308], [1.7e308], {}, "smape overflows float64"),
])
def test_overflowing_metrics_raise_metric_error(fn, y, p, kwargs, message):
    with pytest.raises(MetricError, match=message):
        fn(y, p, **kwargs)


def test_bounded_metrics_of_huge_forecasts_are_scores():
    assert smape([1.0, 2.0], [1e300, -1e300]) == 200.0
    assert directional_accuracy([1.0, 0.0], [1.7e308, -1.7e308], y_origin=[0.0, 1.0]) == 1.0


@pytest.mark.parametrize("bad", [["a", 1.0], [10**400, 1.0], [[1.0, 2.0], [3.0]], [{}, 1.0], object()])
def test_values_that_are_not_float64_numbers_raise_metric_error(bad):
    for fn in (rmse, mae, smape):
        with pytest.raises(MetricError):
            fn(bad, [1.0, 2.0])
        with pytest.raises(MetricError):
            fn([1.0, 2.0], bad)
    with pytest.raises(MetricError):
        mase([1.0, 2.0], [1.0, 2.0], y_train=bad)
    with pytest.raises(MetricError, match="integer season"):
        mase([1.0], [1.0], y_train=[1.0, 2.0, 3.0], season=1.5)


def test_brier_and_log_loss_score_probabilities_of_a_rise():
    origin = [0.0, 3.0, 3.0, 3.0]  # Y = 1, 2, 4, 3: rose, fell, rose, unchanged (no rise)
    probs = [0.9, 0.2, 0.6, 0.0]
    rose = [1.0, 0.0, 1.0, 0.0]
    assert brier(Y, probs, y_origin=origin) == pytest.approx(sum((p - r) ** 2 for p, r in zip(probs, rose, strict=True)) / 4)
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6) + math.log(1 - LOG_LOSS_EPS)) / 4
    assert log_loss(Y, probs, y_origin=origin) == pytest.approx(expected)
    from sklearn.metrics import brier_score_loss
    from sklearn.metrics import log_loss as sk_log_loss  # the reference implementation agrees

    assert brier(Y, probs, y_origin=origin) == pytest.approx(brier_score_loss(rose, probs))
    assert log_loss(Y, [0.9, 0.2, 0.6, 0.3], y_origin=origin) == pytest.approx(sk_log_loss(rose, [0.9, 0.2, 0.6, 0.3]))
    # a wrong certainty is costly but finite; the coin flip scores the same on any data
    assert log_loss([1.0], [0.0], y_origin=[0.0]) == pytest.approx(-math.log(LOG_LOSS_EPS))
    assert uninformed_score("brier") == 0.25 and uninformed_score("log_loss") == pytest.approx(math.log(2))
    assert brier(Y, [0.5] * 4, y_origin=origin) == 0.25


def test_a_constant_forecaster_does_not_tie_with_an_informative_one():
    origin = [0.0, 3.0, 3.0, 3.0]
    hard_no = [0.0] * 4  # the naive forecaster: never a rise
    informative = [0.7, 0.4, 0.6, 0.45]  # on the same side of 0.5 as hard_no only twice
    assert directional_accuracy(Y, hard_no, y_origin=origin, task="direction") == 0.5
    assert directional_accuracy(Y, [0.4, 0.4, 0.4, 0.4], y_origin=origin, task="direction") == 0.5  # a tie on accuracy
    assert brier(Y, informative, y_origin=origin) < 0.25 < brier(Y, hard_no, y_origin=origin)


@pytest.mark.parametrize("metric", ["brier", "log_loss"])
def test_probability_metrics_refuse_what_is_not_a_probability(metric):
    fn = get_metric(metric)[1].fn
    with pytest.raises(MetricError, match=r"probabilities of a rise, in \[0, 1\]; 1 forecast"):
        fn([1.0, 2.0], [0.5, 1.5], y_origin=[0.0, 0.0])
    with pytest.raises(MetricError, match="needs y_origin"):
        fn([1.0], [0.5])
    with pytest.raises(MetricError, match="must be finite"):
        fn([1.0], [float("nan")], y_origin=[0.0])


def test_the_metric_must_fit_the_task():
    assert check_metric_for_task("brier", "direction")[0] == 5
    assert check_metric_for_task("rmse", "regression")[1].name == "rmse"
    with pytest.raises(MetricError, match="every forecaster ties on a hit rate"):
        check_metric_for_task("directional_accuracy", "direction")
    with pytest.raises(MetricError, match="direction task is scored on probabilities"):
        check_metric_for_task("rmse", "direction")
    with pytest.raises(MetricError, match="this is a regression task"):
        check_metric_for_task("log_loss", "regression")
    assert DIRECTION_METRICS[0] == "brier"
