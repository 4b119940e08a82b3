"""A whole whitelisted network in integers: weights quantized and bound-checked once, then exact inference.

:meth:`IntNetwork.from_weights` takes a validated :class:`~ml_models.spec.ModelSpec` and the arrays
of a Keras model's ``get_weights()`` (plain numpy arrays; this module never imports TensorFlow),
quantizes them and proves, by interval arithmetic over the quantized values, that no int64
operation of :meth:`IntNetwork.predict` can overflow for windows whose every value is within
``input_bound`` (standardised units). Weights that could overflow are refused there, at load
time; window values outside ``input_bound`` are clamped to it by :meth:`predict`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import MLError
from ..spec import ModelSpec
from .cells import dense_step, gru_step, lstm_step, simple_rnn_step
from .fixed import ONE, SAFE, quantize

__all__ = ["DEFAULT_INPUT_BOUND", "IntInferError", "IntNetwork", "error_sums", "mae_q", "mse_q", "rmse_q", "tensor_layout"]

#: Windows (standardised inputs) may hold values in [-100, 100] unless told otherwise.
DEFAULT_INPUT_BOUND = 100.0
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


class IntInferError(MLError, ValueError):
    """Weights or inputs cannot be run exactly in the fixed-point format (shape, or an overflow risk)."""


@dataclass(frozen=True)
class _Recurrent:
    w: np.ndarray
    u: np.ndarray
    b: np.ndarray  # (G*units,), or (2, 3*units) for GRU


@dataclass(frozen=True)
class IntNetwork:
    """Quantized weights of one network and the facts proven about them; see the module docstring."""

    cell: str
    sequence_length: int
    n_features: int
    recurrent: tuple[_Recurrent, ...]
    dense: tuple[tuple[np.ndarray, np.ndarray, str], ...]  # (kernel, bias, activation), head then output
    input_bound: float

    # ------------------------------------------------------------------ load
    @classmethod
    def from_weights(cls, spec: ModelSpec, weights: Sequence[np.ndarray], n_features: int,
                     *, input_bound: float = DEFAULT_INPUT_BOUND) -> IntNetwork:
        """Quantize ``weights`` (Keras ``get_weights()`` order) of the network ``spec`` describes.

        Raises :class:`IntInferError` when a shape disagrees with the spec or a bound cannot be proven.
        """
        _check_shapes(spec, weights, n_features)
        try:
            q = [quantize(w) for w in weights]
        except (OverflowError, TypeError, ValueError) as exc:
            raise IntInferError(f"weights cannot be quantized: {str(exc)[:200]}") from None
        return cls.from_quantized(spec, q, n_features, input_bound=input_bound)

    @classmethod
    def from_quantized(cls, spec: ModelSpec, q: Sequence[np.ndarray], n_features: int,
                       *, input_bound: float = DEFAULT_INPUT_BOUND) -> IntNetwork:
        """The network from weights already in the format (int64 arrays in :func:`tensor_layout` order), e.g. a
        bundle's; the same shape check and overflow proof as :meth:`from_weights`."""
        _check_shapes(spec, q, n_features)
        if not (isinstance(input_bound, (int, float)) and math.isfinite(input_bound) and input_bound > 0):
            raise IntInferError(f"input_bound must be a positive finite number; got {input_bound!r}")
        if not all(isinstance(a, np.ndarray) and a.dtype == np.int64 for a in q):
            raise IntInferError("quantized weights must be int64 arrays")
        rec = tuple(_Recurrent(*q[3 * i : 3 * i + 3]) for i in range(spec.layers))
        rest = q[3 * spec.layers :]
        acts = (["relu"] if spec.dense_units else []) + ["sigmoid" if spec.task == "direction" else "linear"]
        dense = tuple((rest[2 * i], rest[2 * i + 1], a) for i, a in enumerate(acts))
        net = cls(spec.cell, spec.sequence_length, n_features, rec, dense, float(input_bound))
        net._prove_bounds()
        return net

    def _prove_bounds(self) -> None:
        """Interval bounds on every intermediate integer, each below ``SAFE = 2**62``, in exact integer
        arithmetic: the very checks ``EvaluationStep.invalid`` (contracts/EvaluationStep.sol) re-executes on
        one weight leaf, so a model refused here can be proven refused on chain (docs/FRAUD_PROOFS.md)."""
        t = self.sequence_length
        bx = self.input_bound_q + 1  # |x| after quantization
        for i, layer in enumerate(self.recurrent):
            where = f"rnn_{i}"
            wx = _col_bound(layer.w, bx)
            uh = _col_bound(layer.u, ONE)  # |h| <= ONE: tanh, sigmoid and their products stay in range
            if self.cell == "GRU":
                a = _check(wx + _abs(layer.b[0]) * ONE, where, "input projection") // ONE + 1
                m = _check(uh + _abs(layer.b[1]) * ONE, where, "recurrent projection") // ONE + 1
                k = layer.u.shape[0]
                _check(ONE * m[2 * k :], where, "reset gate times recurrent candidate")
                _check(2 * (a + m + 1), where, "candidate pre-activation (doubled for tanh)")
            else:
                pre = _check(wx + uh + _abs(layer.b) * ONE, where, "gate pre-activation") // ONE + 1
                _check(2 * pre, where, "pre-activation (doubled for tanh)")
                if self.cell == "LSTM":  # |c_t| <= t * ONE: c' = (f c + i g) >> F with f, i, |g| <= ONE
                    _check(np.asarray([(t + 1) * ONE * ONE, 2 * t * ONE], dtype=object), where, "cell state")
            bx = ONE
        for j, (w, b, _) in enumerate(self.dense):
            where = "dense_head" if j < len(self.dense) - 1 else "output"
            out = _check(_col_bound(w, bx) + _abs(b) * ONE, where, "dot product") // ONE + 1
            bx = int(out.max())

    @property
    def input_bound_q(self) -> int:
        """The input bound in the format: windows may hold values up to this magnitude."""
        return int(self.input_bound * ONE)

    # ------------------------------------------------------------------ run
    def predict(self, windows_q: np.ndarray) -> np.ndarray:
        """Outputs (int64, ``F`` fractional bits, shape ``(batch,)``) for quantized windows ``(batch, steps, features)``."""
        x = np.asarray(windows_q)
        if x.dtype != np.int64 or x.ndim != 3 or x.shape[1:] != (self.sequence_length, self.n_features):
            raise IntInferError(f"windows must be int64 of shape (batch, {self.sequence_length}, {self.n_features}); "
                                f"got {x.dtype} {x.shape}; quantize them with ml_models.intinfer.quantize")
        # Inputs beyond the proven range are clamped to it, not refused: a refusal would let whoever holds the
        # data (an organizer planting one outlier in its test set) fail every model that reads the row.
        x = np.clip(x, -self.input_bound_q, self.input_bound_q)
        seq = x
        for i, layer in enumerate(self.recurrent):
            k = layer.u.shape[0]
            h = np.zeros((len(x), k), dtype=np.int64)
            c = np.zeros_like(h)
            outs = []
            for s in range(self.sequence_length):
                xt = seq[:, s, :]
                if self.cell == "LSTM":
                    h, c = lstm_step(xt, h, c, layer.w, layer.u, layer.b)
                elif self.cell == "GRU":
                    h = gru_step(xt, h, layer.w, layer.u, layer.b[0], layer.b[1])
                else:
                    h = simple_rnn_step(xt, h, layer.w, layer.u, layer.b)
                if i < len(self.recurrent) - 1:
                    outs.append(h)
            if outs:
                seq = np.stack(outs, axis=1)
        y = h
        for w, b, act in self.dense:
            y = dense_step(y, w, b, act)
        return y[:, 0]


def _col_bound(w: np.ndarray, bx: int) -> np.ndarray:
    """Per output column: ``sum_k |w[k, j]| * bx``, exact (Python integers)."""
    return _abs(w).sum(axis=0) * bx


def _abs(a: np.ndarray) -> np.ndarray:
    """``|a|`` as Python integers (numpy's int64 ``abs`` wraps at ``-2**63``)."""
    return np.abs(np.asarray(a, dtype=np.int64).astype(object))


_VARIABLES = ("kernel", "recurrent_kernel", "bias")


def tensor_layout(spec: ModelSpec, n_features: int) -> list[tuple[str, tuple[int, ...]]]:
    """``(name, shape)`` of every weight tensor of the network ``spec`` describes, in Keras ``get_weights()``
    order, named as :func:`ml_models.model.weight_names` names them (``rnn_0.1.recurrent_kernel``), without Keras."""
    spec.validate()
    if spec.kind != "rnn":
        raise IntInferError(f"only kind 'rnn' networks have weights; spec kind is {spec.kind!r}")
    g, k = _GATES[spec.cell], spec.units
    out: list[tuple[str, tuple[int, ...]]] = []
    width = n_features
    for i in range(spec.layers):
        shapes = [(width, g * k), (k, g * k), (2, 3 * k) if spec.cell == "GRU" else (g * k,)]
        out += [(f"rnn_{i}.{j}.{v}", s) for j, (v, s) in enumerate(zip(_VARIABLES, shapes, strict=True))]
        width = k
    for layer, units in (("dense_head", spec.dense_units), ("output", 1)):
        if units:
            out += [(f"{layer}.0.kernel", (width, units)), (f"{layer}.1.bias", (units,))]
            width = units
    return out


def _check_shapes(spec: ModelSpec, weights: Sequence[np.ndarray], n_features: int) -> None:
    expect = [shape for _, shape in tensor_layout(spec, n_features)]
    shapes = [tuple(np.shape(w)) for w in weights]
    if shapes != expect:
        hint = " (a GRU needs reset_after=True, Keras's default)" if spec.cell == "GRU" else ""
        raise IntInferError(f"weight shapes {shapes[:8]} do not match the spec's {expect[:8]}{hint}")


def _check(bound: np.ndarray, where: str, what: str) -> np.ndarray:
    worst = int(np.max(bound)) if np.size(bound) else 0
    if not worst < int(SAFE):
        raise IntInferError(f"{where}: the {what} could reach {float(worst):.3g} > 2**62 in the fixed-point format; "
                            "these weights are too large to run exactly (retrain with smaller weights or a smaller input range)")
    return np.asarray(bound, dtype=object)


# ---------------------------------------------------------------------- metrics
def error_sums(pred_q: np.ndarray, target_q: np.ndarray) -> tuple[int, int, int]:
    """``(sum (p - t)**2 at 2F bits, sum |p - t| at F bits, n)`` as exact Python integers."""
    p, t = np.asarray(pred_q, dtype=np.int64), np.asarray(target_q, dtype=np.int64)
    if p.shape != t.shape or p.ndim != 1 or not len(p):
        raise IntInferError(f"predictions {p.shape} and targets {t.shape} must be equal non-empty vectors")
    d = p.astype(object) - t.astype(object)
    return int((d * d).sum()), int(np.abs(d).sum()), len(p)


def mse_q(pred_q: np.ndarray, target_q: np.ndarray) -> int:
    """Mean squared error at ``2F`` fractional bits: ``sum_sq // n`` (floor)."""
    sq, _, n = error_sums(pred_q, target_q)
    return sq // n


def rmse_q(pred_q: np.ndarray, target_q: np.ndarray) -> int:
    """Root mean squared error at ``F`` fractional bits: ``isqrt(sum_sq // n)`` (both floors)."""
    return math.isqrt(mse_q(pred_q, target_q))


def mae_q(pred_q: np.ndarray, target_q: np.ndarray) -> int:
    """Mean absolute error at ``F`` fractional bits: ``sum_abs // n`` (floor)."""
    _, ab, n = error_sums(pred_q, target_q)
    return ab // n
