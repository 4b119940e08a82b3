"""The `tuned` strategy of `market submit`: the competition's metric, a search space file, its refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_market.stages.submission import build_forecaster, submit
from ml_models import TUNING_RECIPE, Schema, SpecError, split_by_time

EXAMPLE = "examples/search_space.json"


@pytest.fixture(scope="module")
def data():
    t = np.arange(200)
    y = 20 + 0.05 * t + 2 * np.sin(2 * np.pi * t / 7) + 0.2 * np.random.default_rng(0).standard_normal(200)
    df = pd.DataFrame({"y": y}, index=pd.date_range("2022-01-01", periods=200, freq="D", name="date"))
    split = split_by_time(df, test_size=0.2)
    schema = Schema.from_split(split, target="y", frequency="D", sequence_length=10, horizon=2, season=7, source="synthetic")
    return split.train, schema


def test_tuned_uses_the_competitions_metric_and_the_search_space_file(data, tmp_path, capsys):
    df, schema = data
    comp = {"id": 7, "sequenceLength": 10, "horizon": 2, "metric": 1, "dataCid": "QmData"}  # metric 1: mae
    fc, tuned = build_forecaster("tuned", df, schema, comp, tmp_path, trials=2, budget_s=60, epochs=1, progress=False,
                                 search_space=EXAMPLE)
    assert tuned.metric == "mae" and tuned.study.study_name == "competition-7"
    assert {"cell", "units", "learning_rate"} <= set(tuned.study.trials[0].params)
    assert 8 <= fc.spec.units <= 64 and fc.spec.epochs == 1 and (tmp_path / "optuna.db").exists()
    # the search is the recipe the quality benchmark measures (ml_models.tune_recipe)
    claimed = tuned.study.user_attrs["objective"]
    assert (claimed["n_folds"], claimed["val_fraction"]) == (TUNING_RECIPE.n_folds, TUNING_RECIPE.val_fraction)
    assert len(tuned.seed_values) == (TUNING_RECIPE.seeds if TUNING_RECIPE.seeds > 1 else 0)
    out = capsys.readouterr().out  # the seed phase after the budget is announced, and its outcome printed
    assert f"then the best spec trains with {TUNING_RECIPE.seeds - 1} more seeds" in out
    assert f"kept seed {fc.spec.seed}" in out and all(f"{s}: " in out for s in tuned.seed_values)


def test_a_bad_search_space_is_refused_before_the_chain_is_asked(tmp_path):
    bad = tmp_path / "space.json"
    bad.write_text('{"units": {"low": 8, "high": 4096}}')
    with pytest.raises(SpecError, match=r"search space 'units': units=4096 is out of range"):
        submit(None, None, 1, "tuned", search_space=str(bad))  # no market: it must fail before using it
