"""Hyperparameter search with Optuna: TPE (seeded) + median/Hyperband pruning, walk-forward folds.

Each trial samples a :class:`~ml_models.spec.ModelSpec` from the search space and trains it on
``n_folds`` expanding walk-forward folds of the training data (fold ``k`` trains on everything
before its validation block; blocks are consecutive and never shuffled). After every epoch the
validation loss is reported to the trial at step ``fold * epochs + epoch``, so the pruner
compares trials at the same fold and epoch, and a poor trial is stopped early. The objective is
the mean over folds of the best validation loss (the Keras loss on the standardised target, so
keep ``target_transform``, ``loss`` and ``task`` fixed within one study).

Studies live in any Optuna storage: a file path becomes ``sqlite:///<path>``; a URL such as
``postgresql://user@host/db`` is passed through, so many machines can search one study.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._keras import get_keras
from .data import Schema
from .errors import DataError, SpecError
from .spec import ModelSpec

# ``tune`` (the short alias below) is left out: in the package, ``ml_models.tune`` is this module.
__all__ = ["DEFAULT_SEARCH_SPACE", "TuneResult", "plot_history", "storage_url", "tune_hyperparameters", "walk_forward_folds"]

#: name -> ("int", lo, hi, log) | ("float", lo, hi, log) | ("categorical", [choices])
DEFAULT_SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "cell": ("categorical", ["LSTM", "GRU"]),
    "layers": ("int", 1, 2, False),
    "units": ("int", 8, 96, True),
    "dropout": ("float", 0.0, 0.4, False),
    "dense_units": ("categorical", [0, 16, 32]),
    "learning_rate": ("float", 3e-4, 1e-2, True),
    "batch_size": ("categorical", [32, 64, 128]),
}


@dataclass
class TuneResult:
    """What :func:`tune` found: the best spec, all trials as a table, the study and the plot path."""

    best_spec: ModelSpec
    best_value: float
    trials: pd.DataFrame
    study: Any
    plot_path: Path | None
    seconds: float


def storage_url(storage: str | Path | None) -> str | None:
    """A file path becomes ``sqlite:///<absolute path>``; URLs (``scheme://...``) pass through."""
    if storage is None:
        return None
    s = str(storage)
    if "://" in s:
        return s
    p = Path(s).expanduser().resolve()
    p.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{p}"


def walk_forward_folds(n_rows: int, n_folds: int, val_fraction: float, min_train: int) -> list[tuple[int, int, int]]:
    """Expanding folds ``(train_end, val_start, val_end)`` as row indices (val_start == train_end).

    The last ``val_fraction`` of the rows is cut into ``n_folds`` consecutive validation blocks;
    fold ``k`` trains on all rows before block ``k``.
    """
    if n_folds < 1:
        raise DataError(f"n_folds={n_folds} must be at least 1")
    block = int(n_rows * val_fraction) // n_folds
    first = n_rows - block * n_folds
    if block < 1 or first < min_train:
        raise DataError(
            f"{n_rows} training rows cannot make {n_folds} folds with val_fraction={val_fraction} and at least "
            f"{min_train} training rows each; use fewer folds or more data"
        )
    return [(first + k * block, first + k * block, first + (k + 1) * block) for k in range(n_folds)]


def _suggest(trial: Any, space: Mapping[str, tuple[Any, ...]]) -> dict[str, Any]:
    out = {}
    for name, d in space.items():
        if d[0] == "int":
            out[name] = trial.suggest_int(name, int(d[1]), int(d[2]), log=bool(d[3]))
        elif d[0] == "float":
            out[name] = trial.suggest_float(name, float(d[1]), float(d[2]), log=bool(d[3]))
        elif d[0] == "categorical":
            out[name] = trial.suggest_categorical(name, list(d[1]))
        else:
            raise SpecError(f"search space entry {name!r} has unknown type {d[0]!r}; use 'int', 'float' or 'categorical'")
    return out


def tune_hyperparameters(
    train_df: pd.DataFrame,
    schema: Schema,
    *,
    base_spec: ModelSpec | None = None,
    search_space: Mapping[str, tuple[Any, ...]] | None = None,
    n_trials: int | None = 20,
    timeout_s: float | None = None,
    n_folds: int = 3,
    val_fraction: float = 0.3,
    sampler: str = "tpe",
    pruner: str | Any = "median",
    seed: int = 0,
    storage: str | Path | None = None,
    study_name: str = "forecast",
    load_if_exists: bool = True,
    plot_path: str | Path | None = None,
    progress: bool | Callable[[Any, Any], None] = False,
    enqueue: Sequence[Mapping[str, Any]] = (),
) -> TuneResult:
    """Search hyperparameters on ``train_df``; return a :class:`TuneResult`.

    ``base_spec`` holds the fixed fields (epochs, patience, sequence_length, horizon, task, ...;
    its horizon/task must match ``schema``); ``search_space`` overrides
    :data:`DEFAULT_SEARCH_SPACE` (any ModelSpec field may appear). ``sampler`` is "tpe" (seeded
    TPE) or "random"; ``pruner`` is "median", "hyperband" or "none". The search stops after
    ``n_trials`` trials or ``timeout_s`` seconds, whichever comes first (a running trial
    finishes). ``progress=True`` shows a tqdm bar; a callable is called as ``fn(study, trial)``
    after each trial. ``plot_path`` receives a PNG of the search history.
    """
    import optuna

    t_start = time.perf_counter()
    base = (base_spec or ModelSpec(sequence_length=schema.sequence_length, horizon=schema.horizon,
                                   task=schema.task, season=schema.season)).validate()
    if base.kind != "rnn":
        raise SpecError("tuning searches rnn specs; give a base_spec with kind='rnn'")
    if n_trials is None and timeout_s is None:
        raise SpecError("give n_trials or timeout_s (or both) so the search ends")
    space = dict(DEFAULT_SEARCH_SPACE if search_space is None else search_space)
    folds = walk_forward_folds(len(train_df), n_folds, val_fraction, base.sequence_length + base.horizon + 16)
    sampler_obj = _make_sampler(optuna, sampler, seed)
    pruner_obj = _make_pruner(optuna, pruner, max_resource=base.epochs * n_folds)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=storage_url(storage), direction="minimize",
                                sampler=sampler_obj, pruner=pruner_obj, load_if_exists=load_if_exists)
    for params in enqueue:
        study.enqueue_trial(dict(params), skip_if_exists=True)
    objective = _make_objective(optuna, base, space, folds, train_df, schema, t_start)
    callbacks = [progress] if callable(progress) else None
    study.optimize(objective, n_trials=n_trials, timeout=timeout_s, callbacks=callbacks,
                   show_progress_bar=progress is True, gc_after_trial=True)
    return _tune_result(optuna, study, base, plot_path, t_start)


def _make_sampler(optuna: Any, name: str, seed: int) -> Any:
    samplers = {"tpe": lambda: optuna.samplers.TPESampler(seed=seed, n_startup_trials=5, multivariate=True),
                "random": lambda: optuna.samplers.RandomSampler(seed=seed)}
    if name not in samplers:
        raise SpecError(f"unknown sampler {name!r}; expected one of {sorted(samplers)}")
    return samplers[name]()


def _make_pruner(optuna: Any, pruner: str | Any, *, max_resource: int) -> Any:
    """A pruner by name ("median", "hyperband", "none"), or ``pruner`` itself when it is an Optuna pruner."""
    if not isinstance(pruner, str):
        return pruner
    pruners = {"median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
               "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=2, max_resource=max_resource),
               "none": lambda: optuna.pruners.NopPruner()}
    if pruner not in pruners:
        raise SpecError(f"unknown pruner {pruner!r}; expected one of {sorted(pruners)}")
    return pruners[pruner]()


def _make_objective(optuna: Any, base: ModelSpec, space: Mapping[str, tuple[Any, ...]],
                    folds: list[tuple[int, int, int]], train_df: pd.DataFrame, schema: Schema,
                    t_start: float) -> Callable[[Any], float]:
    """The trial objective: mean over walk-forward folds of the best validation loss (pruned trials raise)."""
    from .model import train as train_model

    def objective(trial: Any) -> float:
        try:
            spec = base.replace(**_suggest(trial, space))
        except SpecError as exc:
            raise optuna.TrialPruned(f"invalid spec: {exc}") from exc
        trial.set_user_attr("spec", spec.to_dict())
        bests = []
        keras = get_keras()
        for k, (train_end, val_start, val_end) in enumerate(folds):
            cb = _pruning_callback(keras, trial, step0=k * spec.epochs)
            fc = train_model(spec, train_df.iloc[:train_end], schema, train_df.iloc[val_start:val_end], callbacks=[cb])
            if cb.pruned:
                raise optuna.TrialPruned(f"pruned in fold {k}")
            losses = [v for v in fc.history_.get("val_loss", []) if math.isfinite(v)]
            if not losses:
                raise optuna.TrialPruned("validation loss was not finite")
            bests.append(min(losses))
            trial.set_user_attr(f"fold{k}_best_val_loss", bests[-1])
        trial.set_user_attr("elapsed_s", time.perf_counter() - t_start)
        return float(np.mean(bests))

    return objective


def _tune_result(optuna: Any, study: Any, base: ModelSpec, plot_path: str | Path | None, t_start: float) -> TuneResult:
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise SpecError("no trial completed; give a larger time or trial budget, or a smaller search space")
    best = study.best_trial
    best_spec = ModelSpec.from_dict(best.user_attrs["spec"]) if "spec" in best.user_attrs else base.replace(**best.params)
    table = study.trials_dataframe(attrs=("number", "value", "state", "params", "duration", "user_attrs",
                                          "datetime_start", "datetime_complete"))
    path = None
    if plot_path is not None:
        path = plot_history(study, plot_path)
    return TuneResult(best_spec=best_spec, best_value=float(best.value), trials=table, study=study,
                      plot_path=path, seconds=time.perf_counter() - t_start)


#: Short alias: ``from ml_models.tune import tune``.
tune = tune_hyperparameters


def _pruning_callback(keras: Any, trial: Any, step0: int) -> Any:
    """A Keras callback reporting each epoch's val_loss to the trial; stops training when pruned."""

    class PruningCallback(keras.callbacks.Callback):
        pruned = False

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            v = (logs or {}).get("val_loss")
            if v is None or not math.isfinite(float(v)):
                return
            trial.report(float(v), step=step0 + epoch)
            if trial.should_prune():
                self.pruned = True
                self.model.stop_training = True

    return PruningCallback()


def plot_history(study: Any, path: str | Path, *, title: str | None = None) -> Path:
    """Save a PNG of the search: each trial's value (pruned trials at their last report) and the best so far."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import optuna

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    done_x, done_y, pr_x, pr_y, best_x, best_y = [], [], [], [], [], []
    best = math.inf
    for t in study.trials:
        if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None:
            done_x.append(t.number), done_y.append(t.value)
            best = min(best, t.value)
        elif t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values:
            pr_x.append(t.number), pr_y.append(t.intermediate_values[max(t.intermediate_values)])
        if math.isfinite(best):
            best_x.append(t.number), best_y.append(best)
    ax.scatter(done_x, done_y, s=18, label="completed", color="tab:blue")
    ax.scatter(pr_x, pr_y, s=18, marker="x", label="pruned (last reported)", color="tab:gray")
    ax.step(best_x, best_y, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("validation loss (mean of folds)")
    ax.set_yscale("log")
    ax.set_title(title or f"search history: {study.study_name}")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
