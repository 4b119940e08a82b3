"""The fixed-point format and its elementwise operations (numpy int64, vectorised, no TensorFlow).

Every function here has a twin of the same name in ``contracts/lib/FixedPointRNN.sol`` that gives
the same integer for the same integers (the differential tests check it). Rounding rules:

* ``>>`` is an arithmetic shift: it rounds toward minus infinity in numpy and in Solidity alike.
* ``//`` is only ever applied to a non-negative numerator and a positive divisor, where Python's
  floor division and Solidity's truncating ``/`` agree.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EXP_TERMS", "F", "LN2", "ONE", "SAFE", "dequantize", "exp_neg", "quantize", "sigmoid", "tanh",
]

#: Fractional bits: a real ``v`` is the integer ``round(v * 2**F)``.
F = 24
#: 1.0 in the format.
ONE = 1 << F
#: ln 2 in the format (``round(ln(2) * 2**24)``).
LN2 = 11629080
#: Terms of the Taylor polynomial of ``exp(-r)`` on ``[0, ln 2)`` (truncation error < 1e-8).
EXP_TERMS = 10
#: Every intermediate value is proven (at load time) to stay below this magnitude: half of int64's
#: range, a factor-2 margin against the float64 rounding of the bound computation itself.
SAFE = 2.0**62


def quantize(values: np.ndarray) -> np.ndarray:
    """Reals to the format: ``rint(v * 2**F)`` (nearest, ties to even), as int64.

    float32 and float64 inputs scale exactly (a power-of-two factor), so the only rounding is ``rint``.
    Raises ``OverflowError`` for a value (or non-finite) whose integer would not fit comfortably in int64.
    """
    v = np.asarray(values, dtype=np.float64) * float(ONE)
    if not np.isfinite(v).all() or (v.size and float(np.abs(v).max()) >= SAFE):
        raise OverflowError("a value is not finite or too large for the fixed-point format (|v| must be < 2**38)")
    return np.rint(v).astype(np.int64)


def dequantize(q: np.ndarray) -> np.ndarray:
    """The format back to float64 (exact for |q| < 2**53)."""
    return np.asarray(q, dtype=np.int64).astype(np.float64) / float(ONE)


def exp_neg(y: np.ndarray) -> np.ndarray:
    """``exp(-y)`` for ``y >= 0`` (fixed point in, fixed point out).

    ``k = y // LN2`` and ``r = y - k * LN2`` in ``[0, ln 2)``; ``exp(-r)`` by Horner's rule on the
    Taylor series, ``t = ONE; for n = EXP_TERMS .. 1: t = ONE - ((r * t) >> F) // n`` (every
    ``r * t`` is in ``[0, 2**48)``, every ``t`` in ``(0, ONE]``); then ``t >> k``, which is 0 for
    ``k > F``.
    """
    y = np.asarray(y, dtype=np.int64)
    k = y // LN2
    r = y - k * LN2
    t = np.full(y.shape, ONE, dtype=np.int64)
    for n in range(EXP_TERMS, 0, -1):
        t = ONE - ((r * t) >> F) // n
    return np.where(k > F, 0, t >> np.minimum(k, F + 1))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function in the format, in ``[0, ONE]``, exactly symmetric:
    ``a = ONE**2 // (ONE + exp_neg(|x|))``; ``a`` for ``x >= 0``, ``ONE - a`` otherwise."""
    x = np.asarray(x, dtype=np.int64)
    a = (ONE * ONE) // (ONE + exp_neg(np.abs(x)))
    return np.where(x >= 0, a, ONE - a)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent in the format, in ``[-ONE, ONE]``, exactly odd:
    ``e = exp_neg(2|x|)``, ``a = ONE * (ONE - e) // (ONE + e)``; ``a`` for ``x >= 0``, ``-a`` otherwise."""
    x = np.asarray(x, dtype=np.int64)
    e = exp_neg(np.abs(x) << 1)
    a = (ONE * (ONE - e)) // (ONE + e)
    return np.where(x >= 0, a, -a)
