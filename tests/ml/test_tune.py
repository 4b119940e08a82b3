"""Hyperparameter search: walk-forward folds, pruning, storage, resume, plot."""

from __future__ import annotations

import optuna
import pytest

from ml_models.errors import DataError
from ml_models.spec import ModelSpec
from ml_models.tune import storage_url, tune_hyperparameters, walk_forward_folds


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
                  storage=tmp_path / "study.db", study_name="t", seed=0)
    res = tune_hyperparameters(split.train, schema, n_trials=2, plot_path=tmp_path / "history.png",
                               enqueue=[{"learning_rate": 3e-2}, {"learning_rate": 1e-6}], **kwargs)
    states = res.trials["state"].tolist()
    assert states == ["COMPLETE", "PRUNED"]
    assert res.best_spec.learning_rate == pytest.approx(3e-2) and res.best_spec.units == 4
    assert res.best_value == pytest.approx(res.trials["value"].iloc[0])
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = tune_hyperparameters(split.train, schema, n_trials=1, sampler="random", load_if_exists=True, **kwargs)
    assert len(again.trials) == 3  # the study was loaded from the SQLite file and extended
