"""The tuning recipe (what market submit --strategy tuned runs), the seed choice, and the quality benchmark's options."""

from __future__ import annotations

import inspect
import statistics

import pytest

from ml_models import TUNING_RECIPE, TuningRecipe, tune_seeds
from ml_models.errors import SpecError
from ml_models.spec import ModelSpec
from ml_models.tune import tune_hyperparameters
from ml_models.tune_benchmark import _parser, _recipe
from ml_models.tune_benchmark import main as tune_benchmark_main

TINY = dict(units=4, epochs=2, patience=0, batch_size=64, sequence_length=10, horizon=2, season=7)


def test_the_recipe_is_arguments_tune_accepts():
    params = inspect.signature(tune_hyperparameters).parameters
    assert set(TUNING_RECIPE.kwargs()) <= set(params)
    assert TuningRecipe(n_folds=3, max_epochs=None).kwargs()["max_epochs"] is None


@pytest.mark.parametrize("bad", [dict(n_folds=0), dict(val_fraction=1.0), dict(max_epochs=0), dict(seeds=0),
                                 dict(n_folds="3")])
def test_a_bad_recipe_is_a_spec_error(bad):
    with pytest.raises(SpecError, match=next(iter(bad))):
        TuningRecipe(**bad)


def test_the_quality_benchmark_overrides_only_the_fields_given():
    args = _parser().parse_args([])
    assert _recipe(args) == TUNING_RECIPE
    assert args.datasets.split(",") == ["sunspots", "unemp", "elnino", "goog", "co2", "taylor"]
    args = _parser().parse_args(["--folds", "3", "--max-epochs", "0", "--val-fraction", "0.4"])
    assert _recipe(args) == TuningRecipe(n_folds=3, val_fraction=0.4, max_epochs=None, seeds=TUNING_RECIPE.seeds)


def test_a_bad_override_is_one_line_before_any_training(capsys):
    assert tune_benchmark_main(["--sections", "quality", "--folds", "0", "--datasets", "unemp"]) == 2
    out = capsys.readouterr().out
    assert "error: n_folds=0 must be an integer in [1, 10]" in out and "Traceback" not in out
    assert "unemp " not in out  # nothing was trained


def test_robust_choice_keeps_the_spec_with_the_best_mean_over_seeds(split, schema, monkeypatch):
    monkeypatch.setattr(tune_seeds, "CANDIDATES", 2)
    space = {"learning_rate": ("categorical", [1e-3, 2e-2])}
    res = tune_hyperparameters(split.train, schema, base_spec=ModelSpec(**TINY), search_space=space, n_trials=2,
                               seeds=2, pruner="none", start_from_base=False,
                               enqueue=[{"learning_rate": 1e-3}, {"learning_rate": 2e-2}])
    # both specs were trained with two seeds; the kept one has the lower mean, and its better seed
    means = {}
    for lr in (1e-3, 2e-2):
        trial = next(t for t in res.study.trials if t.params["learning_rate"] == lr)
        spec = ModelSpec.from_dict(trial.user_attrs["spec"])
        other = tune_seeds.evaluate_spec(tune_seeds_setup(split, schema), spec.replace(seed=spec.seed + 1))
        means[lr] = statistics.fmean([trial.value, other])
    assert res.best_spec.learning_rate == min(means, key=means.get)
    assert sorted(res.seed_values) == [0, 1]
    assert res.best_value == min(res.seed_values.values()) == res.seed_values[res.best_spec.seed]


def tune_seeds_setup(split, schema):
    from ml_models.tune_folds import prepare_folds

    return prepare_folds(split.train, schema, ModelSpec(**TINY), 2, 0.25, "rmse", False)


def test_a_worker_with_its_defaults_joins_the_study_market_submit_started(split, schema, tmp_path):
    """README "Shared tuning": `python -m ml_models.tune_worker` on another machine, without folding options,
    adds trials to the study `market submit --strategy tuned` claimed with the recipe (the study refuses a worker
    whose folds, validation share or epochs differ)."""
    from ml_models.data import write_dataset_bundle
    from ml_models.tune_worker import main as worker_main

    dataset = tmp_path / "data"
    write_dataset_bundle(dataset, split.train, schema, part="train")
    url, epochs = f"sqlite:///{tmp_path / 'shared.db'}", 1
    base = ModelSpec(sequence_length=schema.sequence_length, horizon=schema.horizon, season=schema.season,
                     task=schema.task, epochs=epochs)
    tune_hyperparameters(split.train, schema, base_spec=base, n_trials=1, storage=url, study_name="competition-1",
                         **{**TUNING_RECIPE.kwargs(), "seeds": 1})  # as submit claims it (seeds do not enter the claim)
    code = worker_main([str(dataset), "--storage", url, "--study-name", "competition-1", "--trials", "1",
                        "--epochs", str(epochs)])
    assert code == 0
    import optuna

    assert len(optuna.load_study(study_name="competition-1", storage=url).trials) == 2
