"""One step of each whitelisted cell, the dense head and the metric step, on int64 batches.

Shapes: ``x`` is ``(batch, inputs)``, ``h`` and ``c`` are ``(batch, units)``; kernels keep Keras's
layout, ``W`` ``(inputs, gates * units)`` and ``U`` ``(units, gates * units)``, with Keras's gate
order (LSTM ``i f c o``, GRU ``z r h``). A dot product is accumulated exactly at ``2F`` fractional
bits (bias shifted up by ``F``) and shifted down once (floor). Twins in ``contracts/lib/FixedPointRNN.sol``.
"""

from __future__ import annotations

import numpy as np

from .fixed import ONE, F, sigmoid, tanh

__all__ = ["abs_error_step", "dense_step", "gru_step", "lstm_step", "simple_rnn_step", "squared_error_step"]


def _affine(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(x @ w + (b << F)) >> F``: an exact integer dot product, one floor shift."""
    return (x @ w + (b << F)) >> F


def lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray, u: np.ndarray, b: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray]:
    """Keras LSTM: ``z = (x W + h U + b << F) >> F``; ``i, f, o = sigmoid``, ``g = tanh`` of its quarters;
    ``c' = (f c + i g) >> F``; ``h' = (o tanh(c')) >> F``. Returns ``(h', c')``."""
    n = h.shape[-1]
    z = (x @ w + h @ u + (b << F)) >> F
    i, f, o = sigmoid(z[..., :n]), sigmoid(z[..., n : 2 * n]), sigmoid(z[..., 3 * n :])
    g = tanh(z[..., 2 * n : 3 * n])
    c2 = (f * c + i * g) >> F
    return (o * tanh(c2)) >> F, c2


def gru_step(x: np.ndarray, h: np.ndarray, w: np.ndarray, u: np.ndarray, b_in: np.ndarray, b_rec: np.ndarray) -> np.ndarray:
    """Keras GRU with ``reset_after=True`` (its default): ``a = (x W + b_in << F) >> F``,
    ``m = (h U + b_rec << F) >> F``; ``z, r = sigmoid(a + m)`` on the first two thirds;
    ``n = tanh(a_h + (r m_h) >> F)``; ``h' = (z h + (ONE - z) n) >> F``."""
    k = h.shape[-1]
    a, m = _affine(x, w, b_in), _affine(h, u, b_rec)
    z = sigmoid(a[..., :k] + m[..., :k])
    r = sigmoid(a[..., k : 2 * k] + m[..., k : 2 * k])
    n = tanh(a[..., 2 * k :] + ((r * m[..., 2 * k :]) >> F))
    return (z * h + (ONE - z) * n) >> F


def simple_rnn_step(x: np.ndarray, h: np.ndarray, w: np.ndarray, u: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Keras SimpleRNN (tanh): ``h' = tanh((x W + h U + b << F) >> F)``."""
    return tanh((x @ w + h @ u + (b << F)) >> F)


def dense_step(x: np.ndarray, w: np.ndarray, b: np.ndarray, activation: str = "linear") -> np.ndarray:
    """Keras Dense: ``y = (x W + b << F) >> F``, then ``relu`` (``max(y, 0)``), ``sigmoid`` or nothing."""
    y = _affine(x, w, b)
    if activation == "relu":
        return np.maximum(y, 0)
    if activation == "sigmoid":
        return sigmoid(y)
    if activation != "linear":
        raise ValueError(f"unknown activation {activation!r}; expected linear, relu or sigmoid")
    return y


def squared_error_step(acc: int, pred: int, target: int) -> int:
    """``acc + (pred - target)**2`` (``2F`` fractional bits) with Python integers: never overflows."""
    d = int(pred) - int(target)
    return int(acc) + d * d


def abs_error_step(acc: int, pred: int, target: int) -> int:
    """``acc + |pred - target|`` (``F`` fractional bits) with Python integers."""
    return int(acc) + abs(int(pred) - int(target))
