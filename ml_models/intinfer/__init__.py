"""Integer reference inference: the whitelisted networks run exactly in fixed point (numpy only).

The same integers come out on any machine, and every step has a twin in the Solidity library
``contracts/lib/FixedPointRNN.sol`` that gives them bit for bit. Nothing here imports TensorFlow.

Format
------
A real ``v`` is the int64 ``q = rint(v * 2**24)`` (Q39.24: ``F = 24`` fractional bits, ``ONE =
2**24``, resolution 6e-8). Weights are quantized from Keras's ``get_weights()`` float32 arrays,
windows from the standardised float64 windows; both scale exactly, so ``rint`` (ties to even) is
the only rounding, done once, off chain.

Operations (the only ones used; numpy and Solidity agree on each)
-----------------------------------------------------------------
* ``a + b``, ``a - b``, ``a * b``: exact (overflow excluded, see below).
* ``a >> n``: arithmetic shift, rounds toward minus infinity in both languages.
* ``a // n``: only with ``a >= 0`` and ``n > 0``, where Python's floor and Solidity's truncating
  ``/`` agree.
* A dot product ``x . w + b`` is accumulated exactly at 2F fractional bits (``b << F``) and
  shifted down once: ``(x . w + (b << F)) >> F``. Any order of summation gives the same integer.
* A product of two activations is ``(a * b) >> F``.
* ``exp(-y)`` (y >= 0): ``k = y // LN2``, ``r = y - k LN2``; Horner on the Taylor series of
  ``exp(-r)`` with 10 terms, each ``t = ONE - ((r t) >> F) // n``; then ``t >> k`` (0 if k > F).
* ``sigmoid(x) = ONE**2 // (ONE + exp(-|x|))`` for x >= 0 and ``ONE - sigmoid(-x)`` below;
  ``tanh(x) = ONE (ONE - e) // (ONE + e)`` with ``e = exp(-2|x|)``, odd. Measured maximum errors
  against the float functions over [-40, 40] on every 997th grid point: sigmoid < 9e-8, tanh < 1.2e-7
  (about 2 units in the last place; ``tests/intinfer/test_fixed.py`` asserts < 2e-7 and < 3e-7).
* Cells follow Keras exactly (LSTM gates ``i f c o``, GRU ``z r h`` with ``reset_after=True``,
  SimpleRNN tanh), the dense head is ReLU, the output linear or sigmoid; see :mod:`.cells`.
* Preprocessing (:mod:`.pipeline`): raw data is quantized, standardised as
  ``(raw - mean) * ONE / scale`` with the division truncating toward zero (Solidity's ``/``; numpy
  computes it on magnitudes), windows cut as Forecaster does (``delta``: the target minus its last
  value), and outputs mapped back to target units as ``((out * scale) >> F) + offset`` (offset:
  the window's last raw target for ``delta``, the target mean for ``level``).
* Error sums (the on-chain metric step): ``sum (p - t)**2`` (2F bits) and ``sum |p - t|`` (F bits) as
  unbounded integers (uint256 on chain); MSE ``= sum_sq // n``, RMSE ``= isqrt(MSE)``, MAE ``= sum_abs // n``.

Official forecasts and scores
-----------------------------
A bundle (format_version 2, :mod:`ml_models.bundle`) carries these integers; :class:`IntForecaster`
forecasts the test rows from them (raw data quantized, standardised, windowed, run, mapped back to
target units; the direction task's output is the sigmoid probability in ``[0, ONE]``; naive and
seasonal naive copy quantized values, and for the direction task say ``ONE`` or ``0``).
:func:`score_q` scores forecasts ``p`` against the quantized actuals ``t`` (``o``: each target's
value ``horizon`` rows earlier; ``y``: the quantized training target; ``n`` rows), with unbounded
Python integers. The score is the metric times ``S = 10**6``, rounded to nearest, halves up:
``div_round(a, b) = (2a + b) // (2b)``. With ``d = p - t``:

* rmse: ``(isqrt(4 S**2 sum d**2 // (n 4**F)) + 1) // 2`` (that is ``round(sqrt(S**2 sum d**2 / (n 4**F)))``).
* mae: ``div_round(S sum |d|, n 2**F)``.
* mase: ``div_round(S sum |d| (N - m), n B)`` with ``B = sum_{i >= m} |y_i - y_{i-m}|`` over the
  ``N`` training values, ``m`` the season; undefined (an error) when ``B = 0``.
* smape (percent): terms ``T_i = (2 |d_i| 100 S 2**32) // (|t_i| + |p_i|)`` (0 when both are 0),
  then ``div_round(sum T_i, n 2**32)``.
* directional_accuracy: ``div_round(S hits, n)``; a rise is ``t > o``; forecast as ``p > o``
  (regression) or ``p > ONE // 2`` (direction).
* brier: ``div_round(S sum (p - ONE r)**2, n 4**F)``, ``r`` 1 where ``t > o`` else 0; ``p`` must be in ``[0, ONE]``.
* log_loss: ``div_round(S sum neg_ln(max(1, q)), n 2**64)`` with ``q = p`` where the target rose and
  ``ONE - p`` where not: the probability is clipped at ``2**-24`` (a certain, wrong forecast costs
  ``24 ln 2 = 16.6``; the float metric clips at 1e-15, 34.5). :func:`neg_ln` is ``-ln(x / ONE)`` at 64
  fractional bits by range reduction and the atanh series, within ``LN_MAX_ERROR = 2**-56`` (tested
  against ``decimal`` at 60 digits).

A score that does not fit int64 (only MASE can get there, with a tiny ``B``) is a ``MetricError``.
Against the float metrics on the same data the scores differ by a few units of ``1e-6`` (the
quantization of the data, 6e-8), see ``tests/intinfer/test_scores.py``.

Overflow
--------
numpy's int64 wraps silently, so :meth:`IntNetwork.from_weights` proves by interval arithmetic
over the quantized weights that every intermediate stays below ``2**62`` for inputs within
``input_bound`` (default 100 standard deviations), using ``|h| <= ONE`` (activations are bounded
by construction) and ``|c_t| <= t ONE`` for the LSTM cell state, and refuses weights it cannot
prove safe; :meth:`IntNetwork.predict` clamps window values to ``input_bound`` (and
:func:`standardize` clamps at ``2**61``), so that no data can make a valid network fail. Solidity computes
in int256: checked arithmetic, except the dot-product loop and exp's Horner steps, which are
assembly that is exact when weights, inputs and states fit int64 (``FixedPointRNN.requireInt64``
checks untrusted arrays); so within these bounds both give the same integers.
"""

from __future__ import annotations

from .cells import abs_error_step, dense_step, gru_step, lstm_step, simple_rnn_step, squared_error_step
from .fixed import LN2, ONE, F, dequantize, exp_neg, quantize, sigmoid, tanh
from .network import DEFAULT_INPUT_BOUND, IntInferError, IntNetwork, error_sums, mae_q, mse_q, rmse_q, tensor_layout
from .pipeline import IntScaler, standardize, to_target_units, windows_at
from .predictor import IntForecaster, quantize_column, quantize_frame
from .scores import LN_MAX_ERROR, div_round, neg_ln, score_q

__all__ = [
    "DEFAULT_INPUT_BOUND", "F", "LN2", "LN_MAX_ERROR", "ONE", "IntForecaster", "IntInferError", "IntNetwork",
    "IntScaler", "abs_error_step", "dense_step", "dequantize", "div_round", "error_sums", "exp_neg", "gru_step",
    "lstm_step", "mae_q", "mse_q", "neg_ln", "quantize", "quantize_column", "quantize_frame", "rmse_q",
    "score_q", "sigmoid", "simple_rnn_step", "squared_error_step", "standardize", "tanh", "tensor_layout",
    "to_target_units", "windows_at",
]
