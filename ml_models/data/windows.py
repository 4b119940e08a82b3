"""Scaling and windowing: how a series becomes the windows a network reads.

Windowing convention (used everywhere in this package)
------------------------------------------------------
A window ending at row ``t`` holds rows ``t - sequence_length + 1 .. t`` of the input columns and
predicts the single target value at row ``t + horizon``. So every target row ``i`` is predicted
exactly once, from data that ends ``horizon`` rows before it (rows ``<= i - horizon``). For the
test period the windows start in the training data (the last ``sequence_length + horizon - 1``
training rows are context); a test value is used as an input only for rows after it, never for
itself, and the predictions cover exactly the test rows.

For ``task="direction"`` the label of row ``i`` is ``1.0`` when ``target[i] > target[i - horizon]``
(the value went up over the horizon) and ``0.0`` otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["SeriesScaler", "check_task_fits", "context_and_targets", "largest_sequence_length", "make_windows"]



@dataclass
class SeriesScaler:
    """Standardises input columns and the target's ``horizon``-step change; fit on train only.

    Learned: ``mean_`` and ``scale_`` (per column, population std; 1.0 for a constant column),
    ``delta_scale_`` (std of ``target[t + horizon] - target[t]`` in the training data).
    """

    columns: list[str]
    target: str
    horizon: int = 1
    mean_: list[float] = field(default_factory=list)
    scale_: list[float] = field(default_factory=list)
    delta_scale_: float = 1.0

    def fit(self, df: pd.DataFrame) -> SeriesScaler:
        x = _as_matrix(df, self.columns)
        if len(x) <= self.horizon:
            raise DataError(f"cannot fit a scaler on {len(x)} rows with horizon {self.horizon}; give more training rows")
        mean, std = x.mean(axis=0), x.std(axis=0)
        std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        y = x[:, self.columns.index(self.target)]
        d = y[self.horizon :] - y[: -self.horizon]
        ds = float(d.std())
        self.mean_, self.scale_ = [float(v) for v in mean], [float(v) for v in std]
        self.delta_scale_ = ds if ds > 1e-12 * max(1.0, float(np.abs(y).mean())) else 1.0
        return self

    def _check(self) -> None:
        if len(self.mean_) != len(self.columns):
            raise DataError("the scaler is not fitted; call fit(train_df) first")

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Return the standardised input columns as a float64 matrix (rows x columns)."""
        self._check()
        return (_as_matrix(df, self.columns) - np.asarray(self.mean_)) / np.asarray(self.scale_)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SeriesScaler:
        s = cls(columns=list(d["columns"]), target=str(d["target"]), horizon=int(d["horizon"]),
                mean_=[float(v) for v in d["mean_"]], scale_=[float(v) for v in d["scale_"]],
                delta_scale_=float(d["delta_scale_"]))
        vals = s.mean_ + s.scale_ + [s.delta_scale_]
        if len(s.mean_) != len(s.columns) or len(s.scale_) != len(s.columns) or not all(math.isfinite(v) for v in vals) \
                or min(s.scale_ + [s.delta_scale_]) <= 0 or s.target not in s.columns:
            raise DataError("scaler statistics are inconsistent (lengths, non-finite or non-positive scales)")
        return s


def _as_matrix(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the data; available columns: {list(df.columns)}")
    x = df[list(columns)].to_numpy(dtype="float64")
    if not np.isfinite(x).all():
        raise DataError("the data holds missing or infinite values; run clean_series() first")
    return x


def make_windows(x: np.ndarray, sequence_length: int, horizon: int, *, first_target: int | None = None,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Window a matrix ``x`` (rows x features).

    Returns ``(windows, target_rows)``: ``windows[k]`` holds rows ``t - L + 1 .. t`` with
    ``t = target_rows[k] - horizon``. Targets are rows ``first_target .. len(x) - 1`` (default:
    the first row that has a full window, ``L + horizon - 1``).
    """
    L, h = int(sequence_length), int(horizon)
    n = len(x)
    lo = L + h - 1 if first_target is None else int(first_target)
    if lo < L + h - 1:
        raise DataError(f"target row {lo} has too little context: need {L + h - 1} rows before it (sequence_length {L} + horizon {h} - 1)")
    if n - lo < 1:
        raise DataError(f"{n} rows leave no window of sequence_length {L} and horizon {h}; need at least {L + h} rows")
    targets = np.arange(lo, n)
    ends = targets - h
    idx = ends[:, None] + np.arange(-L + 1, 1)[None, :]
    return x[idx], targets


def context_and_targets(train_df: pd.DataFrame, test_df: pd.DataFrame, *, sequence_length: int, horizon: int
                        ) -> tuple[pd.DataFrame, int]:
    """Frame for forecasting the test rows: the training tail as context, then the test rows.

    Returns ``(frame, n_targets)``: predict the last ``n_targets`` rows of ``frame`` (exactly the
    test rows), each from rows ending ``horizon`` before it.
    """
    need = int(sequence_length) + int(horizon) - 1
    if len(train_df) < need:
        raise DataError(f"the training data has {len(train_df)} rows; the test windows need {need} rows of context")
    if len(test_df) and len(train_df) and test_df.index[0] <= train_df.index[-1]:
        raise DataError("test rows do not come after the training rows; split by time first")
    if list(train_df.columns) != list(test_df.columns):
        raise DataError(f"train columns {list(train_df.columns)} differ from test columns {list(test_df.columns)}")
    return pd.concat([train_df.iloc[len(train_df) - need :], test_df]), len(test_df)


#: How tuning splits the training rows (see :func:`ml_models.tune.walk_forward_folds`): the last
#: ``TUNE_VAL_FRACTION`` in ``TUNE_FOLDS`` blocks, each fold training on at least
#: ``sequence_length + horizon + TUNE_MARGIN`` rows.
TUNE_FOLDS, TUNE_VAL_FRACTION, TUNE_MARGIN = 3, 0.3, 16


def largest_sequence_length(n_train: int, horizon: int) -> int:
    """The longest window every model (tuned networks included) can be trained with on ``n_train`` rows (< 1: none)."""
    block = int(n_train * TUNE_VAL_FRACTION) // TUNE_FOLDS
    if block < 1:
        return 0
    return n_train - block * TUNE_FOLDS - int(horizon) - TUNE_MARGIN


def check_task_fits(n_train: int, sequence_length: int, horizon: int, season: int = 1) -> None:
    """Raise :class:`DataError` unless every strategy (naive, seasonal naive, default and tuned
    networks) can be trained on ``n_train`` rows with this window, horizon and season.

    The message names the largest window (or horizon, or season) that would work.
    """
    from ..spec import _RANGES

    L, h, m = int(sequence_length), int(horizon), int(season)
    for name, v in (("sequence length", L), ("horizon", h), ("season", m)):
        top = int(_RANGES[name.replace(" ", "_")][1])
        if v > top:
            raise DataError(f"{name} {v} is larger than the model allows ({top}); pass at most {top}")
    room = largest_sequence_length(n_train, h)
    if room < 1:
        best_h = largest_sequence_length(n_train, 0) - 1
        raise DataError(f"{n_train} training rows are too few for horizon {h}: tuning needs at least "
                        f"sequence length + horizon + {TUNE_MARGIN} rows before its {TUNE_FOLDS} validation blocks; "
                        + (f"the largest horizon that fits (with sequence length 1) is {best_h}" if best_h >= 1
                           else "load more data or a smaller test set"))
    if L > room:
        raise DataError(f"sequence length {L} with horizon {h} needs more than the {n_train} training rows "
                        f"(tuning trains on at least sequence length + horizon + {TUNE_MARGIN} rows before its "
                        f"{TUNE_FOLDS} validation blocks); the largest sequence length that fits is {room}")
    lag = m * math.ceil(h / m)
    need = lag - h + 1
    if need > L:
        hint = (f"pass --sequence-length {need} (up to {room} fits the data)" if need <= room
                else f"this data fits at most sequence length {room}")
        raise DataError(f"season {m} with horizon {h} needs a window of at least {need} steps for the seasonal naive "
                        f"baseline, but the sequence length is {L}: {hint}, or pass --season {L + h - 1} or less "
                        "(--season 1: non-seasonal)")
