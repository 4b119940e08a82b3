"""Walk-forward backtests: the same folds for every candidate, scored as the evaluator scores."""

from __future__ import annotations

import pandas as pd
import pytest

from ml_models import ModelSpec, baseline_specs, score_predictions, train, walk_forward_backtest
from ml_models.errors import DataError
from ml_models.tune import walk_forward_folds


def test_specs_and_bundles_are_scored_on_the_same_folds(split, schema, small_spec, bundle, tmp_path):
    df = pd.concat([split.train, split.val])
    (tmp_path / "empty").mkdir()
    cands = {"mine": small_spec, "bundle": bundle, "broken": tmp_path / "empty"} | baseline_specs(schema, 10)
    rows = {r.name: r for r in walk_forward_backtest(cands, df, schema, "mae", n_folds=2, val_fraction=0.3, timeout_s=120)}
    assert set(rows) == {"mine", "bundle", "broken", "naive", "seasonal naive"}
    folds = walk_forward_folds(len(df), 2, 0.3, min_train=small_spec.sequence_length + small_spec.horizon - 1)
    for name in ("mine", "bundle", "naive", "seasonal naive"):
        assert len(rows[name].scores) == 2 and rows[name].mean == pytest.approx(sum(rows[name].scores) / 2), name
        assert not rows[name].reason
    # the naive row is the metric of the last value, fold by fold: nothing invented
    end, start, stop = folds[-1]
    naive = train(baseline_specs(schema, 10)["naive"], df.iloc[:end], schema)
    expect = score_predictions(naive.forecast_test(df.iloc[:end], df.iloc[start:stop]), df.iloc[:end],
                               df.iloc[start:stop], schema, "mae")
    assert rows["naive"].scores[-1] == pytest.approx(expect)
    assert rows["mine"].mean < rows["naive"].mean  # the weekly cycle is learnt
    broken = rows["broken"]
    assert broken.scores == [None, None] and broken.mean is None and "invalid bundle" in broken.reason


def test_seasonal_naive_looks_back_as_far_as_its_season_needs(schema):
    s = baseline_specs(schema, 3)["seasonal naive"]  # season 7, horizon 2: looks back 7 - 2 + 1 rows
    assert s.kind == "seasonal_naive" and s.sequence_length == 6 and s.validate()


def test_too_few_rows_for_the_folds_is_one_clear_error(split, schema):
    with pytest.raises(DataError, match="cannot make 50 folds"):
        walk_forward_backtest({"n": ModelSpec(kind="naive", sequence_length=10, horizon=2)}, split.train.iloc[:40],
                              schema, "mae", n_folds=50)
