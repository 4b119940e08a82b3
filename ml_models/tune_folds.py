"""Walk-forward folds for tuning: the folds' windows computed once, and one spec trained and scored on a fold.

Used by :mod:`ml_models.tune`; :func:`fit_fold` is what one trial does per fold.

A trial's fixed cost is Keras tracing a new network's training step on its first ``fit``
(0.6 s on an idle core, 2 s and more under load, against 0.1-0.3 s per epoch on co2).
:func:`network` therefore keeps the compiled networks of the last :data:`MODEL_CACHE`
architectures and gives a trial one of them with the weights a fresh :func:`build_model` would
have for its seed and a fresh optimizer: the second fold of a trial, and every later trial of
the same architecture, trains without tracing again.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._keras import get_keras, set_deterministic
from .data import Schema, SeriesScaler
from .errors import DataError, MetricError
from .metrics import get_metric
from .spec import ModelSpec

__all__ = ["Fold", "SearchSetup", "evaluate_spec", "fit_fold", "network", "prepare_folds", "walk_forward_folds"]

#: How many compiled networks (one per architecture) a search keeps for reuse.
MODEL_CACHE = 32


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
class Fold:
    """One walk-forward fold with its training windows computed once (they depend only on the base spec)."""

    train: pd.DataFrame
    val: pd.DataFrame
    scaler: SeriesScaler
    x: np.ndarray
    y: np.ndarray


@dataclass
class SearchSetup:
    base: ModelSpec
    schema: Schema
    columns: list[str]
    folds: list[Fold]
    metric: str
    higher_is_better: bool
    jit_compile: bool
    models: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict, repr=False)


def prepare_folds(train_df: pd.DataFrame, schema: Schema, base: ModelSpec, n_folds: int, val_fraction: float,
             metric: int | str, jit_compile: bool) -> SearchSetup:
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
        folds.append(Fold(tr, va, scaler, x, y))
    return SearchSetup(base, schema, columns, folds, m.name, m.higher_is_better, jit_compile)


def _better(setup: SearchSetup, a: float, b: float) -> bool:
    return a > b if setup.higher_is_better else a < b


class _Traced:
    """A network called through its traced predict function: the per-epoch scoring costs milliseconds, not an eager pass."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.model.predict_on_batch(x)


def _architecture(spec: ModelSpec, n_features: int, jit_compile: bool) -> tuple[Any, ...]:
    """What fixes a network's traced training step: everything but the learning rate, batch size, seed and epochs."""
    return (spec.cell, spec.layers, spec.units, spec.dropout, spec.dense_units, spec.loss, spec.task,
            spec.sequence_length, n_features, jit_compile)


def network(setup: SearchSetup, spec: ModelSpec) -> Any:
    """A compiled network for ``spec``: the weights :func:`build_model` gives for ``spec.seed``, a fresh optimizer.

    A network of the same architecture used before in this search is reused (its traced
    training and predict steps with it): its variables are set to a freshly built network's and
    its optimizer's moments and step counter to zero, at ``spec.learning_rate``.
    """
    from .model import build_model

    set_deterministic(spec.seed)
    fresh = build_model(spec, len(setup.columns))
    key = _architecture(spec, len(setup.columns), setup.jit_compile)
    model = setup.models.pop(key, None)
    if model is None:
        model = fresh
        if setup.jit_compile:
            model.compile(optimizer=model.optimizer, loss=model.loss, jit_compile=True)
    else:
        for old, new in zip(model.variables, fresh.variables, strict=True):
            old.assign(np.asarray(new.value))
        for v in model.optimizer.variables:
            v.assign(np.zeros(v.shape, dtype=v.dtype))
        model.optimizer.learning_rate = spec.learning_rate
    setup.models[key] = model
    while len(setup.models) > MODEL_CACHE:
        setup.models.popitem(last=False)
    return model


def fit_fold(setup: SearchSetup, spec: ModelSpec, k: int, report: Callable[[int, float], bool] | None) -> float:
    """Train ``spec`` on fold ``k``; after each epoch score the validation block with the metric.

    ``report(epoch, best_so_far)`` returns True to stop (pruned). Early stopping after
    ``spec.patience`` epochs without improvement. Returns the fold's best metric (NaN if pruned).
    """
    from .model import Forecaster
    from .scoring import score_predictions

    keras = get_keras()
    fold = setup.folds[k]
    model = network(setup, spec)
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


def evaluate_spec(setup: SearchSetup, spec: ModelSpec) -> float:
    """The objective of one spec without a trial: mean over folds of the best metric."""
    return float(np.mean([fit_fold(setup, spec, k, None) for k in range(len(setup.folds))]))
