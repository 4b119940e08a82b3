"""Build, train and run forecasters.

:func:`build_model` is the only place that constructs a Keras network: from a validated
:class:`~ml_models.spec.ModelSpec`, with whitelisted layers only (Input, LSTM/GRU/SimpleRNN,
Dropout, Dense). :func:`train` fits one; :class:`Forecaster` predicts. Baselines ("naive",
"seasonal_naive") are forecasters without a network.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._keras import get_keras, set_deterministic
from .data import Schema, SeriesScaler, context_and_targets, make_windows
from .errors import DataError, SpecError
from .spec import ModelSpec

__all__ = ["Forecaster", "build_model", "train", "weight_names"]

MAX_FEATURES = 256
PREDICT_BATCH = 256


def build_model(spec: ModelSpec, n_features: int) -> Any:
    """Construct (and compile) the Keras network a spec describes; the one builder in the project.

    Layers are named ``rnn_<i>``, ``dropout_<i>``, ``dense_head`` and ``output`` so that weight
    tensors can be named by layer and index (see :func:`weight_names`).
    """
    spec.validate()
    if spec.kind != "rnn":
        raise SpecError(f"build_model builds kind 'rnn' networks; spec kind is {spec.kind!r} (a baseline has no network)")
    if not isinstance(n_features, int) or isinstance(n_features, bool) or not 1 <= n_features <= MAX_FEATURES:
        raise SpecError(f"n_features={n_features!r} must be an integer in [1, {MAX_FEATURES}]")
    keras = get_keras()
    cells = {"LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU, "SimpleRNN": keras.layers.SimpleRNN}
    keras.utils.set_random_seed(spec.seed)
    layers: list[Any] = [keras.Input(shape=(spec.sequence_length, n_features), name="window")]
    for i in range(spec.layers):
        layers.append(cells[spec.cell](spec.units, return_sequences=i < spec.layers - 1, name=f"rnn_{i}"))
        if spec.dropout > 0:
            layers.append(keras.layers.Dropout(spec.dropout, seed=spec.seed + i, name=f"dropout_{i}"))
    if spec.dense_units > 0:
        layers.append(keras.layers.Dense(spec.dense_units, activation="relu", name="dense_head"))
    layers.append(keras.layers.Dense(1, activation="sigmoid" if spec.task == "direction" else None, name="output"))
    model = keras.Sequential(layers, name="forecaster")
    if spec.task == "direction":
        loss: Any = "binary_crossentropy"
    else:
        loss = {"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}[spec.loss]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=spec.learning_rate), loss=loss)
    # The optimizer's slots made now, not inside the first fit: else TensorFlow traces the training
    # step twice (once creating the variables, once without), 0.3-0.5 s of every new network.
    model.optimizer.build(model.trainable_variables)
    return model


def weight_names(model: Any) -> list[str]:
    """Stable tensor names ``<layer>.<index>.<variable>`` (e.g. ``rnn_0.1.recurrent_kernel``)."""
    return [f"{layer.name}.{i}.{w.name}" for layer in model.layers for i, w in enumerate(layer.weights)]


@dataclass
class Forecaster:
    """A fitted forecaster: spec, preprocessing and (for kind "rnn") a Keras network.

    ``predict(context_df)`` returns, for every full window in ``context_df`` (window ends
    ``t = sequence_length - 1 .. len - 1``), the forecast of the target at ``t + horizon``.
    ``predict_targets(frame, n_targets)`` forecasts the last ``n_targets`` rows of ``frame``, each
    from the rows ending ``horizon`` before it (what scoring uses).

    For ``task="direction"`` predictions are probabilities that the target rises over the
    horizon; the baselines then give 1.0 when their point forecast is above the last value,
    else 0.0 (so "naive" always says 0.0: no rise).
    """

    spec: ModelSpec
    feature_columns: list[str]
    target: str
    scaler: SeriesScaler | None = None
    model: Any = None
    data_cids: dict[str, str] = field(default_factory=dict)
    history_: dict[str, list[float]] = field(default_factory=dict)

    # ------------------------------------------------------------------ predict
    def predict(self, context_df: pd.DataFrame) -> np.ndarray:
        x, y = self._matrices(context_df)
        L = self.spec.sequence_length
        if len(x) < L:
            raise DataError(f"context has {len(x)} rows; this model needs at least sequence_length={L}")
        return self._predict_ends(x, y, np.arange(L - 1, len(x)))

    def predict_targets(self, frame: pd.DataFrame, n_targets: int) -> np.ndarray:
        x, y = self._matrices(frame)
        n, L, h = len(x), self.spec.sequence_length, self.spec.horizon
        if not 0 < n_targets <= n:
            raise DataError(f"n_targets={n_targets} must be in [1, {n}]")
        ends = np.arange(n - n_targets, n) - h
        if ends[0] - L + 1 < 0:
            raise DataError(f"the frame has {n - n_targets} context rows; forecasting needs {L + h - 1} (sequence_length + horizon - 1)")
        return self._predict_ends(x, y, ends)

    def forecast_test(self, train_df: pd.DataFrame, test_df: pd.DataFrame) -> np.ndarray:
        """Forecasts for exactly the rows of ``test_df``, with the training tail as context."""
        frame, n = context_and_targets(train_df, test_df, sequence_length=self.spec.sequence_length, horizon=self.spec.horizon)
        return self.predict_targets(frame, n)

    def _matrices(self, df: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray]:
        missing = [c for c in self.feature_columns if c not in df.columns]
        if missing:
            raise DataError(f"column(s) {missing} not in the data; this model uses {self.feature_columns}")
        y = df[self.target].to_numpy(dtype="float64")
        if not np.isfinite(y).all():
            raise DataError("the target holds missing or infinite values; run clean_series() first")
        x = self.scaler.transform(df) if self.scaler is not None and self.model is not None else y[:, None]
        return x, y

    def _predict_ends(self, x: np.ndarray, y: np.ndarray, ends: np.ndarray) -> np.ndarray:
        s = self.spec
        if s.kind in ("naive", "seasonal_naive"):
            point = y[ends] if s.kind == "naive" else y[ends + s.horizon - s.seasonal_lag()]
            if s.task == "direction":
                return (point > y[ends]).astype("float64")
            return point.astype("float64")
        if self.model is None or self.scaler is None:
            raise SpecError("this rnn forecaster has no network; train it or load a bundle")
        windows = _windows_at(x, s.sequence_length, ends)
        if s.target_transform == "delta":
            windows[:, :, 0] -= windows[:, -1:, 0]  # target relative to its last value; covariates as they are
        w32 = windows.astype("float32")
        # Direct calls in fixed-size batches: no tf.function retracing, same result every run.
        parts = [np.asarray(self.model(w32[i : i + PREDICT_BATCH], training=False)) for i in range(0, len(w32), PREDICT_BATCH)]
        out = np.concatenate(parts).reshape(-1).astype("float64")
        if s.task == "direction":
            return out
        ti = self.scaler.columns.index(self.target)
        if s.target_transform == "delta":
            return y[ends] + out * self.scaler.delta_scale_
        return out * self.scaler.scale_[ti] + self.scaler.mean_[ti]

    # ------------------------------------------------------------------ weights
    def get_weights(self) -> dict[str, np.ndarray]:
        """Weights as ``{tensor name: float32 array}`` (empty for baselines)."""
        if self.model is None:
            return {}
        return {n: np.asarray(w, dtype="float32") for n, w in zip(weight_names(self.model), self.model.get_weights(), strict=True)}


def _windows_at(x: np.ndarray, L: int, ends: np.ndarray) -> np.ndarray:
    idx = ends[:, None] + np.arange(-L + 1, 1)[None, :]
    return x[idx]


def _training_arrays(spec: ModelSpec, scaler: SeriesScaler, target: str, frame: pd.DataFrame,
                     first_target: int | None) -> tuple[np.ndarray, np.ndarray]:
    x = scaler.transform(frame)
    y = frame[target].to_numpy(dtype="float64")
    windows, rows = make_windows(x, spec.sequence_length, spec.horizon, first_target=first_target)
    if spec.target_transform == "delta":
        windows[:, :, 0] -= windows[:, -1:, 0]  # the target (column 0) relative to its last value
    origin = y[rows - spec.horizon]
    if spec.task == "direction":
        t = (y[rows] > origin).astype("float32")
    elif spec.target_transform == "delta":
        t = (y[rows] - origin) / scaler.delta_scale_
    else:
        ti = scaler.columns.index(target)
        t = (y[rows] - scaler.mean_[ti]) / scaler.scale_[ti]
    return windows.astype("float32"), np.asarray(t, dtype="float32")


def _fit_and_validation_arrays(spec: ModelSpec, scaler: SeriesScaler, train_df: pd.DataFrame, val_df: pd.DataFrame | None,
                               ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Training windows and targets, and the validation pair: from ``val_df`` (forecast with the training
    tail as context), else the last ``spec.validation_fraction`` of the windows when early stopping is on."""
    target = scaler.target
    x, y = _training_arrays(spec, scaler, target, train_df, None)
    if val_df is not None and len(val_df):
        frame, n = context_and_targets(train_df, val_df[scaler.columns], sequence_length=spec.sequence_length, horizon=spec.horizon)
        return x, y, _training_arrays(spec, scaler, target, frame, len(frame) - n)
    if spec.patience > 0 and spec.validation_fraction > 0:
        n_val = int(round(len(x) * spec.validation_fraction))
        if n_val >= 1 and len(x) - n_val >= 1:
            return x[:-n_val], y[:-n_val], (x[-n_val:], y[-n_val:])
    return x, y, None


def train(
    spec: ModelSpec,
    train_df: pd.DataFrame,
    schema: Schema | None = None,
    val_df: pd.DataFrame | None = None,
    *,
    callbacks: Sequence[Any] = (),
    progress: Callable[[int, dict[str, float]], None] | None = None,
    data_cids: dict[str, str] | None = None,
    verbose: int = 0,
) -> Forecaster:
    """Fit a forecaster on ``train_df`` (the scaler sees only these rows).

    ``schema`` gives the feature columns and target (default: all columns, target first) and
    must agree with the spec on horizon and task. ``val_df`` (rows right after ``train_df``) is
    the validation period, forecast with the training tail as context; without it the last
    ``spec.validation_fraction`` of the training windows are held out. Early stopping restores
    the best epoch when ``spec.patience > 0``. ``callbacks`` are Keras callbacks; ``progress`` is
    called as ``progress(epoch, logs)`` after each epoch.
    """
    spec.validate()
    if schema is not None:
        schema.validate()
        if spec.horizon != schema.horizon:
            raise SpecError(f"spec horizon {spec.horizon} differs from the dataset's horizon {schema.horizon}; set spec.horizon={schema.horizon}")
        if spec.task != schema.task:
            raise SpecError(f"spec task {spec.task!r} differs from the dataset's task {schema.task!r}")
        columns, target = list(schema.columns), schema.target
    else:
        columns, target = list(train_df.columns), str(train_df.columns[0])
    columns = [target] + [c for c in columns if c != target]
    fc = Forecaster(spec=spec, feature_columns=columns, target=target, data_cids=dict(data_cids or {}))
    if spec.kind != "rnn":
        return fc
    scaler = SeriesScaler(columns=columns, target=target, horizon=spec.horizon).fit(train_df)
    x, y, validation = _fit_and_validation_arrays(spec, scaler, train_df[columns], val_df)
    keras = get_keras()
    set_deterministic(spec.seed)
    model = build_model(spec, len(columns))
    cbs: list[Any] = list(callbacks)
    if validation is not None and spec.patience > 0:
        cbs.insert(0, keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec.patience, restore_best_weights=True))
    if progress is not None:
        cbs.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: progress(epoch, dict(logs or {}))))
    t0 = time.perf_counter()
    hist = model.fit(x, y, batch_size=spec.batch_size, epochs=spec.epochs, validation_data=validation,
                     callbacks=cbs, shuffle=True, verbose=verbose)
    fc.scaler, fc.model = scaler, model
    fc.history_ = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    fc.history_["seconds"] = [time.perf_counter() - t0]
    return fc
