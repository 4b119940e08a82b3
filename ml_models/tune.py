"""Hyperparameter search with Optuna: seeded TPE, multi-fidelity pruning, the competition's metric on walk-forward folds.

Each trial samples a :class:`~ml_models.spec.ModelSpec` from the search space
(:mod:`ml_models.search_space`) and trains it on ``n_folds`` expanding walk-forward folds of the
training data (fold ``k`` trains on everything before its validation block; blocks are
consecutive and never shuffled). After every epoch the fold's validation block is forecast
exactly as the competition scores a test set (:func:`ml_models.scoring.score_predictions`, the
training tail as context) and the best metric so far is reported to the trial at step
``fold * epochs + epoch``. That is the budget of a multi-fidelity search: the pruner (successive
halving by default, or Hyperband) runs many trials for one epoch and gives more epochs only to
the promising ones. XLA compilation was measured and is off by default: compiling each trial's
network costs more than it saves (``python -m ml_models.tune_benchmark``). The objective is the mean over folds of each fold's best metric (the study minimises or maximises
as the metric says). The windows of every fold are computed once per search, not per trial.

With ``seeds > 1`` the best spec is trained again with that many seeds on the same folds and the
seed with the best objective is kept (a network's result varies with its initialisation).

Studies live in any Optuna storage: a file path becomes ``sqlite:///<path>``; a URL such as
``postgresql://user@host/db`` is passed through, so many machines can search one study
(``python -m ml_models.tune_worker`` joins one). A study records its metric and base spec and
refuses a worker that would mix in trials of another metric or window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._keras import get_keras, set_deterministic
from .data import Schema, SeriesScaler
from .errors import DataError, MetricError, SpecError
from .metrics import get_metric
from .search_space import DEFAULT_SEARCH_SPACE, load_search_space, suggest, validate_search_space
from .spec import ModelSpec

# ``tune`` (the short alias below) is left out: in the package, ``ml_models.tune`` is this module.
__all__ = ["DEFAULT_SEARCH_SPACE", "TuneResult", "load_search_space", "plot_history", "storage_url",
           "tune_hyperparameters", "walk_forward_folds"]


@dataclass
class TuneResult:
    """What :func:`tune` found: the best spec (with the chosen seed), the objective, all trials, the study."""

    best_spec: ModelSpec
    best_value: float
    trials: pd.DataFrame
    study: Any
    plot_path: Path | None
    seconds: float
    metric: str = "rmse"
    seed_values: dict[int, float] = field(default_factory=dict)  # seed -> objective, when seeds > 1


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


@dataclass
class _Fold:
    """One walk-forward fold with its training windows computed once (they depend only on the base spec)."""

    train: pd.DataFrame
    val: pd.DataFrame
    scaler: SeriesScaler
    x: np.ndarray
    y: np.ndarray


@dataclass
class _Setup:
    base: ModelSpec
    schema: Schema
    columns: list[str]
    folds: list[_Fold]
    metric: str
    higher_is_better: bool
    jit_compile: bool


def _prepare(train_df: pd.DataFrame, schema: Schema, base: ModelSpec, n_folds: int, val_fraction: float,
             metric: int | str, jit_compile: bool) -> _Setup:
    from .model import _training_arrays

    schema.validate()
    _, m = get_metric(metric)
    columns = [schema.target] + [c for c in schema.columns if c != schema.target]
    missing = [c for c in columns if c not in train_df.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the training data")
    bounds = walk_forward_folds(len(train_df), n_folds, val_fraction, base.sequence_length + base.horizon + 16)
    folds = []
    for train_end, val_start, val_end in bounds:
        tr, va = train_df.iloc[:train_end][columns], train_df.iloc[val_start:val_end][columns]
        scaler = SeriesScaler(columns=columns, target=schema.target, horizon=base.horizon).fit(tr)
        x, y = _training_arrays(base, scaler, schema.target, tr, None)
        folds.append(_Fold(tr, va, scaler, x, y))
    return _Setup(base, schema, columns, folds, m.name, m.higher_is_better, jit_compile)


def _better(setup: _Setup, a: float, b: float) -> bool:
    return a > b if setup.higher_is_better else a < b


class _Traced:
    """A network called through its traced predict function: the per-epoch scoring costs milliseconds, not an eager pass."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.model.predict_on_batch(x)


def _fit_fold(setup: _Setup, spec: ModelSpec, k: int, report: Callable[[int, float], bool] | None) -> float:
    """Train ``spec`` on fold ``k``; after each epoch score the validation block with the metric.

    ``report(epoch, best_so_far)`` returns True to stop (pruned). Early stopping after
    ``spec.patience`` epochs without improvement. Returns the fold's best metric (NaN if pruned).
    """
    from .model import Forecaster, build_model
    from .scoring import score_predictions

    keras = get_keras()
    fold = setup.folds[k]
    set_deterministic(spec.seed)
    model = build_model(spec, len(setup.columns))
    if setup.jit_compile:
        model.compile(optimizer=model.optimizer, loss=model.loss, jit_compile=True)
    fc = Forecaster(spec=spec, feature_columns=setup.columns, target=setup.schema.target, scaler=fold.scaler,
                    model=_Traced(model))
    state = {"best": math.nan, "since": 0, "pruned": False}

    class Scorer(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            try:
                value = score_predictions(fc.forecast_test(fold.train, fold.val), fold.train, fold.val, setup.schema,
                                          setup.metric)
            except MetricError:  # forecasts too far off to score: as bad as it gets
                value = math.nan
            if math.isfinite(value) and (math.isnan(state["best"]) or _better(setup, value, state["best"])):
                state["best"], state["since"] = value, 0
            else:
                state["since"] += 1
            if report is not None and math.isfinite(state["best"]) and report(epoch, state["best"]):
                state["pruned"] = True
                self.model.stop_training = True
            if spec.patience and state["since"] >= spec.patience:
                self.model.stop_training = True

    model.fit(fold.x, fold.y, batch_size=spec.batch_size, epochs=spec.epochs, callbacks=[Scorer()], shuffle=True,
              verbose=0)
    return math.nan if state["pruned"] else float(state["best"])


def _study_direction(setup: _Setup) -> str:
    return "maximize" if setup.higher_is_better else "minimize"


def tune_hyperparameters(
    train_df: pd.DataFrame,
    schema: Schema,
    *,
    base_spec: ModelSpec | None = None,
    search_space: Mapping[str, tuple[Any, ...]] | str | Path | None = None,
    metric: int | str = "rmse",
    n_trials: int | None = 20,
    timeout_s: float | None = None,
    n_folds: int = 2,
    val_fraction: float = 0.25,
    sampler: str = "tpe",
    pruner: str | Any = "sha",
    seed: int = 0,
    seeds: int = 1,
    max_epochs: int | None = 10,
    jit_compile: bool = False,
    storage: str | Path | None = None,
    study_name: str = "forecast",
    load_if_exists: bool = True,
    plot_path: str | Path | None = None,
    progress: bool | Callable[[Any, Any], None] = False,
    enqueue: Sequence[Mapping[str, Any]] = (),
    start_from_base: bool = True,
) -> TuneResult:
    """Search hyperparameters on ``train_df``; return a :class:`TuneResult`.

    ``base_spec`` holds the fixed fields (epochs, patience, sequence_length, horizon, task, ...;
    its horizon/task must match ``schema``); a trial trains at most ``min(epochs, max_epochs)``
    epochs per fold (the budget unit of pruning), and the best spec comes back with ``epochs``;
    ``search_space`` (a mapping, or the path of a JSON file) overrides
    :data:`DEFAULT_SEARCH_SPACE`. ``metric`` is the competition's metric (id or name, see
    :mod:`ml_models.metrics`). ``sampler`` is "tpe" (seeded TPE) or "random"; ``pruner`` is
    "sha" (successive halving from one epoch, default), "hyperband", "median" or "none", or an
    Optuna pruner. The search stops after
    ``n_trials`` trials or ``timeout_s`` seconds, whichever comes first (a running trial
    finishes). ``seeds`` > 1 picks the best of that many training seeds for the best spec.
    ``jit_compile`` compiles training steps with XLA. ``progress=True`` shows a tqdm bar; a
    callable is called as ``fn(study, trial)`` after each trial. ``plot_path`` receives a PNG of
    the search history. A new study's first trial is ``base_spec`` itself (``start_from_base``),
    then any ``enqueue`` parameter sets.
    """
    import optuna

    t_start = time.perf_counter()
    base = (base_spec or ModelSpec(sequence_length=schema.sequence_length, horizon=schema.horizon,
                                   task=schema.task, season=schema.season)).validate()
    if base.kind != "rnn":
        raise SpecError("tuning searches rnn specs; give a base_spec with kind='rnn'")
    if base.horizon != schema.horizon or base.task != schema.task:
        raise SpecError(f"base spec horizon/task ({base.horizon}, {base.task!r}) differ from the dataset's "
                        f"({schema.horizon}, {schema.task!r})")
    if n_trials is None and timeout_s is None:
        raise SpecError("give n_trials or timeout_s (or both) so the search ends")
    if not isinstance(seeds, int) or not 1 <= seeds <= 100:
        raise SpecError(f"seeds={seeds!r} must be an integer in [1, 100]")
    n_features = len(set(schema.columns) | {schema.target})
    if isinstance(search_space, str | Path):
        space = load_search_space(search_space, n_features=n_features)
    else:
        space = validate_search_space(DEFAULT_SEARCH_SPACE if search_space is None else search_space,
                                      n_features=n_features)
    if max_epochs is not None and (not isinstance(max_epochs, int) or max_epochs < 1):
        raise SpecError(f"max_epochs={max_epochs!r} must be a positive integer or None")
    search_base = base.replace(epochs=min(base.epochs, max_epochs or base.epochs))
    setup = _prepare(train_df, schema, search_base, n_folds, val_fraction, metric, jit_compile)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(storage)
    try:
        study = optuna.create_study(study_name=study_name, storage=url, direction=_study_direction(setup),
                                    sampler=_make_sampler(optuna, sampler, seed),
                                    pruner=_make_pruner(optuna, pruner, max_resource=search_base.epochs * n_folds),
                                    load_if_exists=load_if_exists)
    except ImportError:
        raise SpecError(f"no database driver for the storage URL {_redact(url)}; for postgresql:// install "
                        "'psycopg[binary]'") from None
    except Exception as exc:  # sqlalchemy's OperationalError and friends: an unreachable or refusing database
        if type(exc).__module__.split(".")[0] != "sqlalchemy":
            raise
        raise SpecError(f"cannot open the Optuna storage {_redact(url)}: {str(exc.__cause__ or exc).splitlines()[0][:200]}") from None
    _claim_study(study, setup, n_folds, val_fraction)
    if start_from_base and not study.trials:  # the first trial is the untuned spec: tuning never ends worse than it
        study.enqueue_trial(_base_params(search_base, space))
    for params in enqueue:
        study.enqueue_trial(dict(params), skip_if_exists=True)
    callbacks = [progress] if callable(progress) else None
    study.optimize(_make_objective(optuna, setup, space, t_start), n_trials=n_trials, timeout=timeout_s,
                   callbacks=callbacks, show_progress_bar=progress is True, gc_after_trial=True)
    res = _tune_result(optuna, study, setup, plot_path, t_start, seeds)
    res.best_spec = res.best_spec.replace(epochs=base.epochs)  # the final fit trains as long as asked, early stopping
    return res


def _base_params(base: ModelSpec, space: Mapping[str, tuple[Any, ...]]) -> dict[str, Any]:
    """The base spec's values for the searched fields that the space contains."""
    out = {}
    for name, d in space.items():
        v = getattr(base, name)
        if (d[0] == "categorical" and v in d[1]) or (d[0] != "categorical" and d[1] <= v <= d[2]):
            out[name] = v
    return out


def _redact(url: str | None) -> str:
    """A storage URL without its password, for messages."""
    import re

    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", str(url))[:200]


def _claim_study(study: Any, setup: _Setup, n_folds: int, val_fraction: float) -> None:
    """Record what the study's values mean; refuse to add trials to a study that measured something else."""
    base = setup.base
    key = {"metric": setup.metric, "sequence_length": base.sequence_length, "horizon": base.horizon, "task": base.task,
           "target_transform": base.target_transform, "epochs": base.epochs, "n_folds": n_folds,
           "val_fraction": val_fraction, "rows": sum(len(f.val) for f in setup.folds) + len(setup.folds[0].train)}
    old = study.user_attrs.get("objective")
    if old is None:
        study.set_user_attr("objective", key)
    elif old != key:
        diff = sorted(k for k in key if old.get(k) != key[k])
        raise SpecError(f"study {study.study_name!r} in this storage was tuned with other settings ({', '.join(diff)}: "
                        f"{[old.get(k) for k in diff]} there, {[key[k] for k in diff]} here); use another study name")


def _make_sampler(optuna: Any, name: str, seed: int) -> Any:
    samplers = {"tpe": lambda: optuna.samplers.TPESampler(seed=seed, n_startup_trials=10, multivariate=True,
                                                          constant_liar=True),
                "random": lambda: optuna.samplers.RandomSampler(seed=seed)}
    if name not in samplers:
        raise SpecError(f"unknown sampler {name!r}; expected one of {sorted(samplers)}")
    return samplers[name]()


def _make_pruner(optuna: Any, pruner: str | Any, *, max_resource: int) -> Any:
    """A pruner by name ("sha", "hyperband", "median", "none"), or ``pruner`` itself when it is an Optuna pruner.

    The budget unit is one epoch of one fold. Successive halving keeps the best third of the trials
    at 1, 3, 9, ... epochs; Hyperband runs several such brackets from different first rungs.
    """
    if not isinstance(pruner, str):
        return pruner
    pruners = {"sha": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
               "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_resource,
                                                                   reduction_factor=3),
               "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
               "none": lambda: optuna.pruners.NopPruner()}
    if pruner not in pruners:
        raise SpecError(f"unknown pruner {pruner!r}; expected one of {sorted(pruners)}")
    return pruners[pruner]()


def _make_objective(optuna: Any, setup: _Setup, space: Mapping[str, tuple[Any, ...]],
                    t_start: float) -> Callable[[Any], float]:
    """The trial objective: mean over walk-forward folds of the best metric (pruned trials raise)."""

    def objective(trial: Any) -> float:
        try:
            spec = setup.base.replace(**suggest(trial, space))
        except SpecError as exc:
            raise optuna.TrialPruned(f"invalid spec: {exc}") from exc
        trial.set_user_attr("spec", spec.to_dict())
        bests = []
        for k in range(len(setup.folds)):
            def report(epoch: int, value: float, k: int = k) -> bool:
                trial.report(value, step=k * spec.epochs + epoch)
                return trial.should_prune()

            best = _fit_fold(setup, spec, k, report)
            if not math.isfinite(best):
                raise optuna.TrialPruned(f"pruned in fold {k}")
            bests.append(best)
            trial.set_user_attr(f"fold{k}_best", best)
        trial.set_user_attr("elapsed_s", time.perf_counter() - t_start)
        return float(np.mean(bests))

    return objective


def evaluate_spec(setup: _Setup, spec: ModelSpec) -> float:
    """The objective of one spec without a trial: mean over folds of the best metric."""
    return float(np.mean([_fit_fold(setup, spec, k, None) for k in range(len(setup.folds))]))


def _tune_result(optuna: Any, study: Any, setup: _Setup, plot_path: str | Path | None, t_start: float,
                 seeds: int) -> TuneResult:
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise SpecError("no trial completed; give a larger time or trial budget, or a smaller search space")
    best = study.best_trial
    best_spec = (ModelSpec.from_dict(best.user_attrs["spec"]) if "spec" in best.user_attrs
                 else setup.base.replace(**best.params))
    best_value, seed_values = float(best.value), {}
    if seeds > 1:
        seed_values[best_spec.seed] = best_value
        for s in range(best_spec.seed + 1, best_spec.seed + seeds):
            seed_values[s] = evaluate_spec(setup, best_spec.replace(seed=s % 2**31))
        chosen = (max if setup.higher_is_better else min)(
            (s for s in seed_values if math.isfinite(seed_values[s])), key=seed_values.get, default=best_spec.seed)
        best_spec, best_value = best_spec.replace(seed=chosen % 2**31), seed_values[chosen]
    table = study.trials_dataframe(attrs=("number", "value", "state", "params", "duration", "user_attrs",
                                          "datetime_start", "datetime_complete"))
    path = None
    if plot_path is not None:
        path = plot_history(study, plot_path, ylabel=f"validation {setup.metric} (mean of folds)")
    return TuneResult(best_spec=best_spec, best_value=best_value, trials=table, study=study, plot_path=path,
                      seconds=time.perf_counter() - t_start, metric=setup.metric, seed_values=seed_values)


#: Short alias: ``from ml_models.tune import tune``.
tune = tune_hyperparameters


def plot_history(study: Any, path: str | Path, *, title: str | None = None, ylabel: str = "validation score") -> Path:
    """Save a PNG of the search: each trial's value (pruned trials at their last report) and the best so far."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import optuna

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    done_x, done_y, pr_x, pr_y, best_x, best_y = [], [], [], [], [], []
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    best = -math.inf if maximize else math.inf
    for t in study.trials:
        if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None:
            done_x.append(t.number), done_y.append(t.value)
            best = max(best, t.value) if maximize else min(best, t.value)
        elif t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values:
            pr_x.append(t.number), pr_y.append(t.intermediate_values[max(t.intermediate_values)])
        if math.isfinite(best):
            best_x.append(t.number), best_y.append(best)
    ax.scatter(done_x, done_y, s=18, label="completed", color="tab:blue")
    ax.scatter(pr_x, pr_y, s=18, marker="x", label="pruned (last reported)", color="tab:gray")
    ax.step(best_x, best_y, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(ylabel)
    if done_y and min(done_y + pr_y) > 0:
        ax.set_yscale("log")
    ax.set_title(title or f"search history: {study.study_name}")
    ax.legend(loc="lower right" if maximize else "upper right")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
