"""Hyperparameter search: walk-forward folds, pruning, storage, resume, plot."""

from __future__ import annotations

import optuna
import pytest

from ml_models.errors import DataError, SpecError
from ml_models.spec import ModelSpec
from ml_models.tune import MIN_RESOURCE, storage_url, tune_hyperparameters, walk_forward_folds


def test_walk_forward_folds_expand_and_never_overlap():
    folds = walk_forward_folds(100, 3, 0.3, min_train=20)
    assert folds == [(70, 70, 80), (80, 80, 90), (90, 90, 100)]
    with pytest.raises(DataError, match="cannot make 3 folds"):
        walk_forward_folds(30, 3, 0.3, min_train=25)


def test_storage_paths_become_sqlite_and_urls_pass_through(tmp_path):
    assert storage_url(tmp_path / "s.db") == f"sqlite:///{tmp_path / 's.db'}"
    assert storage_url("postgresql://u@db/optuna") == "postgresql://u@db/optuna"


def test_tiny_search_prunes_a_bad_trial_and_resumes_from_storage(split, schema, tmp_path):
    base = ModelSpec(units=4, epochs=4, patience=0, batch_size=32, sequence_length=10, horizon=2, season=7)
    space = {"learning_rate": ("float", 1e-6, 3e-2, True)}
    pruner = optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1)
    kwargs = dict(base_spec=base, search_space=space, n_folds=2, val_fraction=0.3, pruner=pruner,
                  storage=tmp_path / "study.db", study_name="t", seed=0, start_from_base=False)
    res = tune_hyperparameters(split.train, schema, n_trials=2, plot_path=tmp_path / "history.png",
                               enqueue=[{"learning_rate": 3e-2}, {"learning_rate": 1e-6}], **kwargs)
    states = res.trials["state"].tolist()
    assert states == ["COMPLETE", "PRUNED"]
    assert res.best_spec.learning_rate == pytest.approx(3e-2) and res.best_spec.units == 4
    assert res.best_value == pytest.approx(res.trials["value"].iloc[0])
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = tune_hyperparameters(split.train, schema, n_trials=1, sampler="random", load_if_exists=True, **kwargs)
    assert len(again.trials) == 3  # the study was loaded from the SQLite file and extended


TINY = dict(units=4, epochs=1, patience=0, batch_size=64, sequence_length=10, horizon=2, season=7)


def test_the_objective_is_the_competition_metric_of_the_fold_forecasts(split, schema):
    from ml_models.model import train
    from ml_models.scoring import score_predictions

    base = ModelSpec(**TINY)
    res = tune_hyperparameters(split.train, schema, base_spec=base, search_space={"units": ("int", 4, 4, False)},
                               metric="mae", n_trials=1, n_folds=1, val_fraction=0.25, pruner="none")
    train_end, val_start, val_end = walk_forward_folds(len(split.train), 1, 0.25, 0)[0]
    tr, va = split.train.iloc[:train_end], split.train.iloc[val_start:val_end]
    fc = train(base, tr, schema)
    expected = score_predictions(fc.forecast_test(tr, va), tr, va, schema, "mae")
    assert res.metric == "mae" and res.best_value == pytest.approx(expected, rel=1e-3)
    assert res.study.direction == optuna.study.StudyDirection.MINIMIZE


def test_a_higher_is_better_metric_is_maximised_and_seeds_are_chosen_by_it(split, schema):
    base = ModelSpec(**TINY)
    res = tune_hyperparameters(split.train, schema, base_spec=base, search_space={"learning_rate": ("float", 1e-3, 1e-2, True)},
                               metric="directional_accuracy", n_trials=2, seeds=3, pruner="none")
    assert res.study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert sorted(res.seed_values) == [0, 1, 2] and all(0 <= v <= 1 for v in res.seed_values.values())
    assert res.best_value == max(res.seed_values.values()) == res.seed_values[res.best_spec.seed]


def test_a_study_refuses_trials_measured_another_way(split, schema, tmp_path):
    kwargs = dict(base_spec=ModelSpec(**TINY), search_space={"units": ("int", 4, 6, False)}, n_trials=1,
                  storage=tmp_path / "s.db", study_name="shared")
    tune_hyperparameters(split.train, schema, metric="rmse", **kwargs)
    with pytest.raises(SpecError, match=r"study 'shared' in this storage was tuned with other settings \(metric: \['rmse'\] there, \['mae'\] here\)"):
        tune_hyperparameters(split.train, schema, metric="mae", **kwargs)


def test_successive_halving_prunes_bad_trials_early(split, schema):
    base = ModelSpec(**{**TINY, "epochs": 4})
    res = tune_hyperparameters(split.train, schema, base_spec=base, search_space={"learning_rate": ("float", 1e-6, 3e-2, True)},
                               n_trials=4, n_folds=1, start_from_base=False, enqueue=[{"learning_rate": 3e-2}, {"learning_rate": 1e-6},
                                                               {"learning_rate": 2e-6}, {"learning_rate": 2.5e-2}])
    states = {t.params["learning_rate"]: (t.state.name, sorted(t.intermediate_values)) for t in res.study.trials}
    assert states[3e-2] == ("COMPLETE", [1, 2, 3, 4])  # step = epochs trained
    for lr in (1e-6, 2e-6):  # stopped at the first rung (MIN_RESOURCE epochs), before the end
        assert states[lr] == ("PRUNED", [1, 2, MIN_RESOURCE]), states
    assert res.best_spec.learning_rate == pytest.approx(3e-2)


def test_trials_are_compared_at_the_same_fold_and_epoch(split, schema):
    """Step k * epochs + e is epoch e of fold k in every trial; a fold ended by early stopping reports its best at its last step."""
    base = ModelSpec(**{**TINY, "epochs": 5, "patience": 1, "learning_rate": 0.3})
    res = tune_hyperparameters(split.train, schema, base_spec=base, search_space={"units": ("int", 4, 4, False)},
                               n_trials=1, n_folds=2, pruner="none", start_from_base=False)
    values = res.study.trials[0].intermediate_values
    fold1 = sorted(s for s in values if s > 5)
    assert sorted(s for s in values if s <= 5)[0] == 1 and fold1[0] == 6 and fold1[-1] == 10, values
    assert len(fold1) < 5, values  # patience 1 stopped fold 1 early (at lr 0.3 it overshoots) ...
    assert values[10] == min(values[s] for s in fold1)  # ... and its best stands at the fold's last step


def test_tune_refuses_a_bad_search_space_file_before_training(split, schema, tmp_path):
    path = tmp_path / "space.json"
    path.write_text('{"units": {"low": 4, "high": 100000}}')
    with pytest.raises(SpecError, match=r"units=100000 is out of range"):
        tune_hyperparameters(split.train, schema, base_spec=ModelSpec(**TINY), search_space=path, n_trials=1)


@pytest.mark.parametrize("url", ["postgresql://alice:s3cret@127.0.0.1:1/optuna", "postgresql+nosuchdriver://alice:s3cret@h/db"])
def test_an_unusable_storage_url_is_one_line_without_the_password(split, schema, url):
    with pytest.raises(SpecError, match=r"no database driver for the storage URL|cannot open the Optuna storage") as err:
        tune_hyperparameters(split.train, schema, base_spec=ModelSpec(**TINY), n_trials=1, storage=url)
    assert "s3cret" not in str(err.value) and "alice:***@" in str(err.value) and "\n" not in str(err.value)


def test_trials_train_at_most_max_epochs_and_the_best_spec_keeps_its_epochs(split, schema):
    base = ModelSpec(**{**TINY, "epochs": 7})
    res = tune_hyperparameters(split.train, schema, base_spec=base, search_space={"units": ("int", 4, 5, False)},
                               n_trials=1, n_folds=2, max_epochs=2, pruner="none")
    assert sorted(res.study.trials[0].intermediate_values) == [1, 2, 3, 4]  # 2 folds x 2 epochs
    assert res.study.trials[0].user_attrs["spec"]["epochs"] == 2 and res.best_spec.epochs == 7


def test_a_new_study_starts_from_the_base_spec(split, schema):
    base = ModelSpec(**{**TINY, "units": 5, "learning_rate": 0.02, "dropout": 0.5})
    res = tune_hyperparameters(split.train, schema, base_spec=base, n_trials=1, pruner="none",
                               search_space={"units": ("int", 4, 8, False), "learning_rate": ("float", 1e-3, 1e-2, True),
                                             "dropout": ("float", 0.0, 0.2, False)})
    first = res.study.trials[0]
    assert first.params["units"] == 5 and first.system_attrs.get("fixed_params") == {"units": 5}  # the rest: sampled
    assert res.best_spec.units == 5 and 1e-3 <= res.best_spec.learning_rate <= 1e-2


def test_two_worker_processes_on_one_machine_share_the_study(split, schema, tmp_path):
    kwargs = dict(base_spec=ModelSpec(**TINY), search_space={"units": ("int", 4, 8, False)}, n_trials=2, workers=2)
    with pytest.raises(SpecError, match="workers > 1 share the study through a storage"):
        tune_hyperparameters(split.train, schema, **kwargs)
    res = tune_hyperparameters(split.train, schema, storage=tmp_path / "s.db", study_name="par", **kwargs)
    assert len(res.trials) == 4  # 2 here + 2 in the helper process
    assert res.best_value == res.trials["value"].min()


def test_a_reused_network_starts_like_a_new_one(split, schema):
    import numpy as np

    from ml_models.model import build_model
    from ml_models.tune_folds import network, prepare_folds

    base = ModelSpec(**TINY)
    setup = prepare_folds(split.train, schema, base, 1, 0.25, "rmse", False)
    first = network(setup, base)
    first.fit(setup.folds[0].x, setup.folds[0].y, epochs=1, verbose=0)  # its weights and optimizer move
    again = network(setup, base.replace(seed=3, learning_rate=0.02, batch_size=32))
    assert again is first  # the same architecture: the compiled network is reused ...
    fresh = build_model(base.replace(seed=3), len(setup.columns))
    for a, b in zip(again.get_weights(), fresh.get_weights(), strict=True):  # ... with a new one's weights
        np.testing.assert_array_equal(a, b)
    assert int(again.optimizer.iterations) == 0 and float(again.optimizer.learning_rate) == pytest.approx(0.02)
    assert network(setup, base.replace(units=5)) is not first


def test_a_trial_still_training_when_the_budget_ends_stops_and_is_recorded_as_failed(split, schema, tmp_path):
    """The budget is a deadline: the running trial stops after its epoch, not one whole trial later ..."""
    kwargs = dict(base_spec=ModelSpec(**{**TINY, "epochs": 50}), search_space={"units": ("int", 4, 4, False)},
                  n_folds=2, pruner="none", storage=tmp_path / "s.db", study_name="late", start_from_base=False)
    # ... but not before the study has a result: the first trial completes whatever the budget
    first = tune_hyperparameters(split.train, schema, n_trials=None, timeout_s=1e-3, **kwargs)
    assert [t.state.name for t in first.study.trials] == ["COMPLETE"]
    again = tune_hyperparameters(split.train, schema, n_trials=None, timeout_s=1e-3, **kwargs)  # far under one epoch
    complete, late = again.study.trials
    assert late.state == optuna.trial.TrialState.FAIL and sorted(late.intermediate_values) == [1]
    assert again.best_value == complete.value
