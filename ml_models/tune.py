"""Hyperparameter search with Optuna: seeded TPE, multi-fidelity pruning, the competition's metric on walk-forward folds.

Each trial samples a :class:`~ml_models.spec.ModelSpec` from the search space
(:mod:`ml_models.search_space`) and trains it on ``n_folds`` expanding walk-forward folds of the
training data (fold ``k`` trains on everything before its validation block; blocks are
consecutive and never shuffled). After every epoch the fold's validation block is forecast
exactly as the competition scores a test set (:func:`ml_models.scoring.score_predictions`, the
training tail as context) and the fold's best metric so far is reported to the trial at step
``k * epochs + e`` (``e`` = epochs trained in fold ``k``, from 1; the search's ``epochs`` is the
same for every trial, so a step means the same fold and epoch in every trial). A fold ended by
early stopping reports its best at the fold's last step too. That is the budget of a
multi-fidelity search: successive halving (the default, or Hyperband) compares trials at rungs of
:data:`MIN_RESOURCE`, 3x, 9x ... epochs, all trials at the same step, and lets only the best
third go on. The first rung is several epochs in: after one epoch a network with a large
learning rate always looks best. Networks are reused per architecture
(:func:`ml_models.tune_folds.network`). XLA compilation was measured and is off by default:
compiling each trial's network costs more than it saves (``python -m ml_models.tune_benchmark``).
The objective is the mean over folds of each fold's best metric (the study minimises or
maximises as the metric says). The windows of every fold are computed once per search.

With ``seeds > 1`` the best spec is trained again with that many seeds on the same folds and the
seed with the best objective is kept (a network's result varies with its initialisation; see
:mod:`ml_models.tune_seeds`).

Studies live in any Optuna storage: a file path becomes ``sqlite:///<path>``; a URL such as
``postgresql://user@host/db`` is passed through, so many machines can search one study
(``python -m ml_models.tune_worker`` joins one). A study records its metric and base spec and
refuses a worker that would mix in trials of another metric or window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .data import Schema
from .errors import SpecError
from .search_space import DEFAULT_SEARCH_SPACE, load_search_space, validate_search_space
from .spec import ModelSpec
from .tune_folds import SearchSetup, prepare_folds, walk_forward_folds
from .tune_objective import BudgetEnded, make_objective, quiet_budget_ends
from .tune_plot import plot_history

#: The first successive-halving rung, in epochs (then 3x, 9x, ...).
MIN_RESOURCE = 3

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


def _study_direction(setup: SearchSetup) -> str:
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
    workers: int = 1,
) -> TuneResult:
    """Search hyperparameters on ``train_df``; return a :class:`TuneResult`.

    ``base_spec``: the fixed fields (horizon/task as in ``schema``); trials train at most
    ``min(epochs, max_epochs)`` epochs per fold, the best spec comes back with ``epochs``.
    ``search_space``: a mapping or a JSON file (default :data:`DEFAULT_SEARCH_SPACE`). ``metric``:
    the competition's. ``sampler``: "tpe" or "random"; ``pruner``: "sha" (successive halving),
    "hyperband", "median", "none" or an Optuna pruner. Stops after ``n_trials`` or ``timeout_s``
    (a deadline: a trial still training then stops after its epoch and is recorded as failed, once
    the study has a completed trial). ``seeds`` > 1: the best of that many seeds for the best spec.
    ``progress``: a tqdm bar or ``fn(study, trial)``. ``plot_path``: a PNG of the history. A new
    study starts with ``base_spec`` (``start_from_base``), then ``enqueue``. ``workers`` > 1: that
    many processes, one TensorFlow thread each (needs ``storage``).
    """
    import optuna

    t_start, cpu_start = time.perf_counter(), time.process_time()
    base, space = _checked(train_df, schema, base_spec, search_space, n_trials, timeout_s, seeds, max_epochs)
    search_base = base.replace(epochs=min(base.epochs, max_epochs or base.epochs))
    setup = prepare_folds(train_df, schema, search_base, n_folds, val_fraction, metric, jit_compile)
    study = _open_study(optuna, storage_url(storage), study_name, load_if_exists, _study_direction(setup),
                        _make_sampler(optuna, sampler, seed),
                        _make_pruner(optuna, pruner, max_resource=search_base.epochs * n_folds))
    _claim_study(study, setup, n_folds, val_fraction)
    _queue(study, search_base, space, start_from_base, enqueue)
    helpers = _helpers(workers, train_df, schema, base, space, storage, study_name, setup, n_trials, timeout_s,
                       n_folds, val_fraction, max_epochs, seed, time.perf_counter() - t_start)
    left, deadline = (None, None) if timeout_s is None else (max(t_start + timeout_s - time.perf_counter(), 0.1),
                                                             t_start + timeout_s)
    with quiet_budget_ends(optuna) as stopped:
        study.optimize(make_objective(optuna, setup, space, t_start, cpu_start, deadline, stopped), n_trials=n_trials,
                       timeout=left, catch=(BudgetEnded,), callbacks=[progress] if callable(progress) else None,
                       show_progress_bar=progress is True)
    _ = helpers and helpers.join()
    return _tune_result(optuna, study, setup, plot_path, t_start, seeds, final_epochs=base.epochs)


def _queue(study: Any, base: ModelSpec, space: Mapping[str, tuple[Any, ...]], start_from_base: bool,
           enqueue: Sequence[Mapping[str, Any]]) -> None:
    if start_from_base and not study.trials:  # the first trial is the untuned spec: tuning never ends worse than it
        study.enqueue_trial(_base_params(base, space))
    for params in enqueue:
        study.enqueue_trial(dict(params), skip_if_exists=True)


def _helpers(workers: int, train_df: pd.DataFrame, schema: Schema, base: ModelSpec, space: Mapping[str, tuple[Any, ...]],
             storage: str | Path | None, study_name: str, setup: SearchSetup, n_trials: int | None,
             timeout_s: float | None, n_folds: int, val_fraction: float, max_epochs: int | None, seed: int,
             elapsed_s: float) -> Any:
    """Start ``workers - 1`` helper processes on the study (this process pinned to one TensorFlow thread)."""
    if not isinstance(workers, int) or not 1 <= workers <= 64:
        raise SpecError(f"workers={workers!r} must be an integer in [1, 64]")
    if workers == 1:
        return None
    if storage is None:
        raise SpecError("workers > 1 share the study through a storage; give storage (a file path or a URL)")
    from .tune_parallel import Helpers, use_one_thread

    use_one_thread()
    return Helpers(workers - 1, train_df, schema, base, space, storage=str(storage_url(storage)), study_name=study_name,
                   metric=setup.metric, n_trials=n_trials, timeout_s=timeout_s, n_folds=n_folds,
                   val_fraction=val_fraction, max_epochs=max_epochs, seed=seed, elapsed_s=elapsed_s)


def _checked(train_df: pd.DataFrame, schema: Schema, base_spec: ModelSpec | None, search_space: Any,
             n_trials: int | None, timeout_s: float | None, seeds: int,
             max_epochs: int | None) -> tuple[ModelSpec, dict[str, tuple[Any, ...]]]:
    """The validated base spec and search space; SpecError for arguments that cannot make a search."""
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
    if max_epochs is not None and (not isinstance(max_epochs, int) or max_epochs < 1):
        raise SpecError(f"max_epochs={max_epochs!r} must be a positive integer or None")
    n_features = len(set(schema.columns) | {schema.target})
    if isinstance(search_space, str | Path):
        return base, load_search_space(search_space, n_features=n_features)
    return base, validate_search_space(DEFAULT_SEARCH_SPACE if search_space is None else search_space,
                                       n_features=n_features)


def _open_study(optuna: Any, url: str | None, name: str, load_if_exists: bool, direction: str, sampler: Any,
                pruner: Any) -> Any:
    """Create or load the study; a missing driver or an unreachable database is one SpecError line.

    Workers started together on a fresh database race to create Optuna's tables (PostgreSQL then
    says "duplicate key ... pg_type_typname_nsp_index" to the loser): that is tried again."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import time

    try:
        for attempt in range(5):
            try:
                return optuna.create_study(study_name=name, storage=_storage(optuna, url), direction=direction,
                                           sampler=sampler, pruner=pruner, load_if_exists=load_if_exists)
            except Exception as exc:  # noqa: BLE001 -- only the table-creation race is retried
                racing = "duplicate key" in str(exc) or "already exists" in str(exc)
                if attempt == 4 or not racing or type(exc).__module__.split(".")[0] not in ("sqlalchemy", "optuna"):
                    raise
                time.sleep(0.2 * (attempt + 1))
    except ImportError:
        raise SpecError(f"no database driver for the storage URL {_redact(url)}; for postgresql:// install "
                        "'psycopg[binary]'") from None
    except Exception as exc:  # sqlalchemy's OperationalError and friends: an unreachable or refusing database
        if type(exc).__module__.split(".")[0] != "sqlalchemy":
            raise
        first = str(exc.__cause__ or exc).splitlines()[0][:200]
        raise SpecError(f"cannot open the Optuna storage {_redact(url)}: {first}") from None


def _storage(optuna: Any, url: str | None) -> Any:
    """The Optuna storage for ``url``; an SQLite file in write-ahead-log mode without a sync per commit.

    A trial writes its value after every epoch: with SQLite's default journal each write waits for
    the disk (20-30 ms on this machine, half a second per completed trial); in WAL mode with
    ``synchronous=NORMAL`` it takes a few milliseconds, and readers do not block the writer (the
    parallel workers). A crash of the machine may lose the last trials, never corrupt the file.
    """
    if url is None or not url.startswith("sqlite:"):
        return url
    from sqlalchemy import event

    storage = optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(storage.engine, "connect", on_connect)
    storage.engine.dispose()  # the connection made while creating the tables goes; new ones get the pragmas
    return storage


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


def _claim_study(study: Any, setup: SearchSetup, n_folds: int, val_fraction: float) -> None:
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
    at 3, 9, 27, ... epochs (:data:`MIN_RESOURCE`); Hyperband runs several such brackets from
    different first rungs.
    """
    if not isinstance(pruner, str):
        return pruner
    pruners = {"sha": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=MIN_RESOURCE,
                                                                            reduction_factor=3),
               "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=min(MIN_RESOURCE, max_resource),
                                                                   max_resource=max_resource,
                                                                   reduction_factor=3),
               "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
               "none": lambda: optuna.pruners.NopPruner()}
    if pruner not in pruners:
        raise SpecError(f"unknown pruner {pruner!r}; expected one of {sorted(pruners)}")
    return pruners[pruner]()


def _tune_result(optuna: Any, study: Any, setup: SearchSetup, plot_path: str | Path | None, t_start: float,
                 seeds: int, final_epochs: int) -> TuneResult:
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise SpecError("no trial completed; give a larger time or trial budget, or a smaller search space")
    from .tune_seeds import choose_seed

    best_spec, best_value, seed_values = choose_seed(setup, complete, seeds)
    table = study.trials_dataframe(attrs=("number", "value", "state", "params", "duration", "user_attrs",
                                          "datetime_start", "datetime_complete"))
    path = None
    if plot_path is not None:
        path = plot_history(study, plot_path, ylabel=f"validation {setup.metric} (mean of folds)")
    # the final fit trains as long as asked (with early stopping), not the search's max_epochs
    return TuneResult(best_spec=best_spec.replace(epochs=final_epochs), best_value=best_value, trials=table, study=study, plot_path=path,
                      seconds=time.perf_counter() - t_start, metric=setup.metric, seed_values=seed_values)


#: Short alias: ``from ml_models.tune import tune``.
tune = tune_hyperparameters

