"""The preprocessing around the network, in integers: standardising raw data, windows, target units.

:class:`IntScaler` holds a fitted :class:`~ml_models.data.SeriesScaler`'s statistics in the format;
:meth:`IntScaler.standardize` maps quantized raw rows to the standardised inputs,
:func:`windows_at` cuts windows (with the ``delta`` target transform), and
:meth:`IntScaler.to_target_units` maps the network's outputs back to the target's units.
Exact on Python integers, then checked to fit the format's safe range (:data:`~.fixed.SAFE`).
Twins in ``contracts/lib/FixedPointRNN.sol``: ``standardize`` and ``toTargetUnits``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .fixed import ONE, SAFE, F, quantize
from .network import IntInferError

__all__ = ["IntScaler", "standardize", "to_target_units", "windows_at"]


def _fit(values: np.ndarray, what: str) -> np.ndarray:
    flat = values.reshape(-1)
    if flat.size and max(abs(int(flat.max())), abs(int(flat.min()))) >= SAFE:
        raise IntInferError(f"{what} does not fit the fixed-point format's safe range (|v| < 2**62 / 2**24)")
    return values.astype(np.int64)


#: Standardised values are clamped to +-2**61 (so that the delta transform's difference fits int64). Data
#: the format holds never gets there; an outlier planted in a test set does, and is then clamped, not refused:
#: a refusal would fail every model that reads it (docs/FRAUD_PROOFS.md, section 7).
STANDARD_CLAMP = 2**61


def standardize(raw_q: np.ndarray, mean_q: np.ndarray, scale_q: np.ndarray) -> np.ndarray:
    """``(raw - mean) * ONE / scale`` per column, the division truncating toward zero (as Solidity's ``/``),
    clamped to ``+-STANDARD_CLAMP``.

    ``raw_q`` is ``(rows, columns)``; ``mean_q`` and ``scale_q`` (positive) have one value per column.
    """
    raw = np.asarray(raw_q, dtype=np.int64).astype(object)
    mean, scale = np.asarray(mean_q, dtype=np.int64).astype(object), np.asarray(scale_q, dtype=np.int64).astype(object)
    if not (scale > 0).all():
        raise IntInferError("every scale must be positive")
    d = (raw - mean) * ONE
    mag = np.abs(d) // scale  # non-negative // positive: floor == truncation
    return np.clip(np.where(d < 0, -mag, mag), -STANDARD_CLAMP, STANDARD_CLAMP).astype(np.int64)


def to_target_units(out_q: np.ndarray, scale_q: int, offset_q: np.ndarray | int) -> np.ndarray:
    """``((out * scale) >> F) + offset``: ``scale`` the delta (or level) scale, ``offset`` the window's last
    target value (delta transform) or the target's mean (level)."""
    out = np.asarray(out_q, dtype=np.int64).astype(object)
    off = np.asarray(offset_q, dtype=np.int64).astype(object)
    return _fit(((out * int(scale_q)) >> F) + off, "a forecast in target units")


def windows_at(x_q: np.ndarray, sequence_length: int, ends: np.ndarray, *, delta: bool) -> np.ndarray:
    """Windows ``x_q[end - L + 1 .. end]`` for each end, ``(len(ends), L, columns)``; with ``delta`` the target
    (column 0) minus its last value in the window, like :class:`~ml_models.model.Forecaster`."""
    idx = np.asarray(ends)[:, None] + np.arange(-sequence_length + 1, 1)[None, :]
    w = np.asarray(x_q, dtype=np.int64)[idx]
    if delta:
        w[:, :, 0] -= w[:, -1:, 0]
    return w


@dataclass(frozen=True)
class IntScaler:
    """A fitted SeriesScaler's statistics, quantized: per-column ``mean_q`` and ``scale_q``, ``delta_scale_q``."""

    columns: tuple[str, ...]
    target: str
    mean_q: np.ndarray
    scale_q: np.ndarray
    delta_scale_q: int

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IntScaler:
        """From ``SeriesScaler.to_dict()`` (the target must be the first column, as Forecaster orders them)."""
        try:
            columns, target = tuple(str(c) for c in d["columns"]), str(d["target"])
            mean_q, scale_q = quantize(np.asarray(d["mean_"], dtype=np.float64)), quantize(np.asarray(d["scale_"], dtype=np.float64))
            delta_q = int(quantize(np.asarray([d["delta_scale_"]], dtype=np.float64))[0])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise IntInferError(f"scaler statistics cannot be quantized: {str(exc)[:200]}") from None
        if not columns or columns[0] != target or len(mean_q) != len(columns) or len(scale_q) != len(columns):
            raise IntInferError("scaler statistics are inconsistent: one mean and scale per column, the target first")
        if (scale_q <= 0).any() or delta_q <= 0:
            raise IntInferError("a scale rounds to zero or below in the fixed-point format (2**-24)")
        return cls(columns, target, mean_q, scale_q, delta_q)

    def standardize(self, raw_q: np.ndarray) -> np.ndarray:
        """Quantized raw rows ``(rows, columns)`` to standardised inputs."""
        return standardize(raw_q, self.mean_q, self.scale_q)

    def to_target_units(self, out_q: np.ndarray, origin_q: np.ndarray, *, delta: bool) -> np.ndarray:
        """Network outputs to forecasts in target units: ``origin + out * delta_scale`` (delta transform,
        ``origin_q`` the raw target at each window's end) or ``mean + out * scale`` (level)."""
        if delta:
            return to_target_units(out_q, self.delta_scale_q, origin_q)
        return to_target_units(out_q, int(self.scale_q[0]), int(self.mean_q[0]))
