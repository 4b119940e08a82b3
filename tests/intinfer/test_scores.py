"""The official metrics on integers: exact definitions, close to the float metrics, integer ln within its bound."""

from __future__ import annotations

import math
import random
from decimal import Context, Decimal

import numpy as np
import pytest

from ml_models import intinfer as ii
from ml_models.errors import MetricError
from ml_models.intinfer.scores import LN2_G, LN_BITS
from ml_models.metrics import METRICS, to_score_int


def _q(values) -> np.ndarray:
    return ii.quantize(np.asarray(values, dtype=np.float64))


def test_neg_ln_is_within_its_stated_error_everywhere_it_is_defined():
    ctx = Context(prec=60)  # brownie's vyper forbids changing the global decimal context
    assert LN2_G == int(ctx.multiply(Decimal(2).ln(ctx), 2**LN_BITS).to_integral_value())
    rng = random.Random(12)
    xs = [1, 2, 3, ii.ONE, ii.ONE - 1, ii.ONE // 2, ii.ONE // 2 + 1, ii.ONE // 3]
    xs += [2**k + d for k in range(ii.F) for d in (-1, 0, 1) if 1 <= 2**k + d <= ii.ONE]
    xs += [rng.randint(1, ii.ONE) for _ in range(3000)]
    worst = max(abs(ctx.add(ctx.divide(Decimal(ii.neg_ln(x)), 2**LN_BITS), ctx.divide(Decimal(x), ii.ONE).ln(ctx)))
                for x in xs)
    assert worst < Decimal(ii.LN_MAX_ERROR), worst
    assert ii.neg_ln(ii.ONE) == 0
    for bad in (0, -1, ii.ONE + 1):
        with pytest.raises(MetricError, match="neg_ln takes an integer"):
            ii.neg_ln(bad)


def test_rounding_is_to_nearest_with_halves_up():
    assert [ii.div_round(a, 4) for a in (0, 1, 2, 3, 5, 6)] == [0, 0, 1, 1, 1, 2]
    one = ii.ONE
    # rmse of errors (1.5, 0.5): sqrt(1.25) = 1.118034 (to 6 decimals, 1.1180339887)
    assert ii.score_q("rmse", np.asarray([3 * one // 2, one // 2]), np.asarray([0, 0])) == 1_118_034
    # mae of an error of one unit in the last place over 3 rows: 2**-24 / 3 = 1.99e-8 -> 0
    assert ii.score_q("mae", np.asarray([1, 0, 0]), np.asarray([0, 0, 0])) == 0
    assert ii.score_q("mae", np.asarray([one // 2, 0]), np.asarray([0, 0])) == 250_000


def test_coin_flip_and_perfect_forecasts_score_what_the_float_metrics_say():
    t, o = _q([1.0, 0.0, 2.0, 5.0]), _q([0.0, 1.0, 1.0, 6.0])
    half = np.full(4, ii.ONE // 2, dtype=np.int64)
    assert ii.score_q("brier", half, t, origin=o, task="direction") == 250_000
    assert ii.score_q("log_loss", half, t, origin=o, task="direction") == round(math.log(2) * 1e6)
    rose = np.where(t > o, ii.ONE, 0).astype(np.int64)
    assert ii.score_q("brier", rose, t, origin=o, task="direction") == 0
    assert ii.score_q("log_loss", rose, t, origin=o, task="direction") == 0
    assert ii.score_q("directional_accuracy", rose, t, origin=o, task="direction") == 1_000_000
    # a wrong certainty costs -ln(2**-24) = 16.64 (the floats clip at 1e-15: 34.5)
    assert ii.score_q("log_loss", ii.ONE - rose, t, origin=o, task="direction") == round(24 * math.log(2) * 1e6)
    for name in ("rmse", "mae", "smape"):
        assert ii.score_q(name, t, t) == 0


@pytest.mark.parametrize("seed", range(6))
def test_integer_scores_are_the_float_scores_to_a_few_millionths(seed):
    rng = np.random.default_rng(seed)
    n = 400
    y_train = 50 + np.cumsum(rng.normal(0, 1, 300))
    actual = y_train[-1] + np.cumsum(rng.normal(0, 1, n))
    origin = np.concatenate([y_train[-2:], actual[:-2]])
    pred = actual + rng.normal(0, 0.7, n)
    prob = rng.uniform(0, 1, n)
    for mid, m in METRICS.items():
        direction = m.name in ("brier", "log_loss")
        p = prob if direction else pred
        expected = to_score_int(m.fn(actual, p, y_origin=origin, y_train=y_train, season=2,
                                     task="direction" if direction else "regression"))
        got = ii.score_q(m.name, _q(p), _q(actual), origin=_q(origin), train=_q(y_train), season=2,
                         task="direction" if direction else "regression")
        # quantizing the data (2**-24 = 6e-8) moves a score by a few units of 1e-6 at most
        assert abs(got - expected) <= 3, (mid, m.name, got, expected)


def test_scores_that_cannot_be_computed_or_do_not_fit_are_metric_errors():
    big = np.asarray([2**61], dtype=np.int64)
    with pytest.raises(MetricError, match="does not fit a signed 64-bit integer"):
        ii.score_q("mase", big, np.asarray([0], dtype=np.int64), train=np.asarray([0, 1], dtype=np.int64))
    with pytest.raises(MetricError, match="MASE is undefined"):
        ii.score_q("mase", big, big, train=np.asarray([5, 5, 5], dtype=np.int64))
    with pytest.raises(MetricError, match=r"probabilities of a rise, in \[0, 1\]; 1 forecast"):
        ii.score_q("brier", np.asarray([ii.ONE + 1]), np.asarray([1]), origin=np.asarray([0]))
    with pytest.raises(MetricError, match="int64 fixed-point"):
        ii.score_q("rmse", np.asarray([1.0]), np.asarray([1]))
    with pytest.raises(MetricError, match="non-empty and the same length"):
        ii.score_q("rmse", np.asarray([1, 2]), np.asarray([1]))
    with pytest.raises(MetricError, match="beyond the fixed-point format's range"):
        ii.score_q("rmse", np.asarray([2**62]), np.asarray([1]))
    with pytest.raises(MetricError, match="needs the last known value"):
        ii.score_q("brier", np.asarray([1]), np.asarray([1]))
