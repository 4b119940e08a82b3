"""The step machine's inputs from the application's artifacts: data frames and a trained forecaster.

:func:`data_rows` quantizes a competition's rows as the data leaves hold them (target first, then
the other columns in their order); :func:`model_from_forecaster` turns a trained
:class:`~ml_models.model.Forecaster` (its Keras weights, scaler and spec) into the integer
:class:`~.machine.Model`; :func:`evaluation` puts both into an :class:`~.proofs.Evaluation`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ml_models.intinfer import IntNetwork, IntScaler, quantize

from .machine import Model, StepMachine
from .proofs import Evaluation

__all__ = ["data_columns", "data_rows", "evaluation", "final_sums", "model_from_forecaster", "model_sums", "weights_root"]


def data_columns(columns: Sequence[str], target: str) -> tuple[str, ...]:
    """The data leaves' column order: the target first, then the others in their order."""
    return (target, *[c for c in columns if c != target])


def data_rows(train_df: pd.DataFrame, test_df: pd.DataFrame, target: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """``(rows, columns)``: every training then test row, quantized, the target column first."""
    columns = data_columns(train_df.columns, target)
    frame = pd.concat([train_df[list(columns)], test_df[list(columns)]])
    return quantize(frame.to_numpy(dtype="float64")), columns


def model_from_forecaster(fc, columns: Sequence[str]) -> Model:
    """The integer model over data ``columns`` of a loaded bundle (:class:`~ml_models.intinfer.IntForecaster`,
    already quantized: what the scorer runs) or of a trained rnn :class:`~ml_models.model.Forecaster`."""
    spec = fc.spec
    if getattr(fc, "net", None) is not None:  # a version 2 bundle: the integers it carries
        net, scaler = fc.net, fc.scaler
    else:
        net = IntNetwork.from_weights(spec, list(fc.get_weights().values()), len(fc.feature_columns))
        scaler = IntScaler.from_dict(fc.scaler.to_dict())
    cols = tuple(list(columns).index(c) for c in scaler.columns)
    return Model(net, scaler, cols, int(spec.horizon), spec.target_transform == "delta")


def evaluation(fc, train_df: pd.DataFrame, test_df: pd.DataFrame) -> Evaluation:
    """The whole evaluation of ``fc`` on the test rows, with the training rows as context."""
    rows, columns = data_rows(train_df, test_df, fc.target)
    return Evaluation(StepMachine(model_from_forecaster(fc, columns), rows, len(train_df), len(test_df)))


def weights_root(fc, columns: Sequence[str]) -> bytes | None:
    """The weights root of a loaded bundle over data ``columns`` (:func:`data_columns`); None for a bundle
    without a network (the baselines: nothing to prove step by step)."""
    if getattr(fc, "net", None) is None:
        return None
    return model_from_forecaster(fc, columns).weights_tree().root


def final_sums(fc, train_df: pd.DataFrame, test_df: pd.DataFrame) -> tuple[int, int]:
    """``(sumSq, sumAbs)`` of a loaded bundle's evaluation, from its vectorized integer forecasts: the very
    sums the step machine ends with (a test checks it), in a fraction of a second instead of replaying every step."""
    pred = fc.predict_targets_q(pd.concat([train_df, test_df]), len(test_df))
    target = quantize(test_df[fc.target].to_numpy(dtype="float64"))
    d = [int(p) - int(t) for p, t in zip(pred, target, strict=True)]
    return sum(x * x for x in d), sum(abs(x) for x in d)


def model_sums(model: Model, rows_q: np.ndarray, train_rows: int, test_rows: int) -> tuple[int, int]:
    """``(sumSq, sumAbs)`` of an integer :class:`~.machine.Model` (e.g. one rebuilt from published leaves) on
    every test window, vectorized: the step machine's final sums, from ``ml_models.intinfer``'s own functions
    (forecasts in target units exact, as on chain: :func:`.machine.target_units`). Raises
    :class:`~ml_models.intinfer.IntInferError` for a model the scorer cannot run."""
    from ml_models.intinfer import windows_at

    from .machine import target_units

    rows = np.asarray(rows_q, dtype=np.int64)
    L = model.net.sequence_length
    ends = train_rows + np.arange(test_rows) - model.horizon
    first = int(ends[0]) - L + 1
    x = model.scaler.standardize(rows[first : int(ends[-1]) + 1][:, list(model.columns)])
    out = model.net.predict(windows_at(x, L, ends - first, delta=model.delta))
    targets = rows[train_rows + np.arange(test_rows), 0]
    d = [target_units(model, o, origin) - int(t) for o, origin, t in zip(out, rows[ends, 0], targets, strict=True)]
    return sum(x * x for x in d), sum(abs(x) for x in d)
