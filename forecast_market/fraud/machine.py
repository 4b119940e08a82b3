"""The evaluation of one submission as a deterministic step machine, and the leaves it is proven from.

``docs/FRAUD_PROOFS.md`` (sections 2 and 3) is the specification; ``contracts/EvaluationStep.sol`` is
the on-chain twin of :meth:`StepMachine.step` and of :func:`state_hash`. The arithmetic is
``ml_models.intinfer`` itself (its cell, dense, standardise and target-unit functions, called on one
window at a time), so the machine's final sums are the integer scorer's.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from eth_abi import encode
from eth_utils import keccak

from ml_models.intinfer import (
    F,
    IntNetwork,
    IntScaler,
    dense_step,
    gru_step,
    lstm_step,
    simple_rnn_step,
    standardize,
)
from ml_models.intinfer.scores import mae_score, rmse_score

from .merkle import StandardMerkleTree

__all__ = [
    "CELL_CODES", "CHUNK_VALUES", "DATA_TYPES", "META_VERSION", "WEIGHT_TYPES", "Model", "State", "StepMachine",
    "data_tree", "dense_key", "meta_values", "pack_int64", "score_from_sums", "state_hash", "target_units",
    "unit_key", "unpack_int64",
]

#: Leaf types of the data trees: (global row index, quantized values, the target first).
DATA_TYPES = ("uint256", "int256[]")
#: Leaf types of a weights tree: (key, packed int64 payload).
WEIGHT_TYPES = ("uint256", "bytes")
META_VERSION = 1
CELL_CODES = {"LSTM": 0, "GRU": 1, "SimpleRNN": 2}
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
_ACTIVATIONS = {"linear": 0, "relu": 1, "sigmoid": 2}
#: At most this many weight values (64 KB packed) in one chunk step.
CHUNK_VALUES = 8192


def pack_int64(values: Sequence[int] | np.ndarray) -> bytes:
    """int64 values, 8 bytes each, big-endian two's complement."""
    return np.asarray(values, dtype=np.int64).astype(">i8").tobytes()


def unpack_int64(payload: bytes) -> np.ndarray:
    return np.frombuffer(payload, dtype=">i8").astype(np.int64)


def meta_values(payload: bytes) -> list[int]:
    """A meta leaf's whole int64 values, as the chain reads them by index (``EvaluationStep._value``): trailing
    bytes short of a value are ignored here; the verifier refuses such a meta (its length is checked)."""
    return unpack_int64(payload[: len(payload) - len(payload) % 8]).tolist()


def unit_key(layer: int, unit: int) -> int:
    return (1 << 32) | (layer << 16) | unit


def dense_key(index: int) -> int:
    return (2 << 32) | index


def data_tree(rows_q: np.ndarray, first_index: int = 0) -> StandardMerkleTree:
    """The tree over quantized rows (target first), row ``r`` of ``rows_q`` being global row ``first_index + r``."""
    rows = np.asarray(rows_q, dtype=np.int64)
    return StandardMerkleTree.of([(first_index + r, [int(v) for v in row]) for r, row in enumerate(rows)], DATA_TYPES)


@dataclass(frozen=True)
class Model:
    """A revealed model as the step machine sees it: the integer network, its scaler and task."""

    net: IntNetwork
    scaler: IntScaler
    columns: tuple[int, ...]  # data column of each feature (feature 0, the target, is column 0)
    horizon: int
    delta: bool

    @property
    def cell(self) -> str:
        return self.net.cell

    @property
    def layers(self) -> int:
        return len(self.net.recurrent)

    @property
    def units(self) -> int:
        return int(self.net.recurrent[0].u.shape[0])

    @property
    def dense_units(self) -> int:
        return int(self.net.dense[0][0].shape[1]) if len(self.net.dense) > 1 else 0

    @property
    def values_per_unit(self) -> int:
        g = _GATES[self.cell]
        return g * (max(self.net.n_features, self.units) + self.units) + g * (2 if self.cell == "GRU" else 1)

    @property
    def chunk(self) -> int:
        return max(1, CHUNK_VALUES // self.values_per_unit)

    @property
    def chunks(self) -> int:
        return math.ceil(self.units / self.chunk)

    def meta(self) -> list[int]:
        head = [META_VERSION, CELL_CODES[self.cell], self.layers, self.units, self.dense_units, self.net.n_features,
                self.net.sequence_length, self.horizon, int(self.delta), _ACTIVATIONS[self.net.dense[-1][2]],
                int(self.scaler.delta_scale_q)]
        for f, col in enumerate(self.columns):
            head += [int(col), int(self.scaler.mean_q[f]), int(self.scaler.scale_q[f])]
        return head

    def unit_payload(self, layer: int, unit: int) -> list[int]:
        rec = self.net.recurrent[layer]
        n, g = self.units, _GATES[self.cell]
        out: list[int] = []
        for gate in range(g):
            out += rec.w[:, gate * n + unit].tolist() + rec.u[:, gate * n + unit].tolist()
        biases = [rec.b[0], rec.b[1]] if self.cell == "GRU" else [rec.b]
        for b in biases:
            out += [int(b[gate * n + unit]) for gate in range(g)]
        return out

    def dense_payload(self, index: int) -> list[int]:
        w, b, _ = self.net.dense[index]
        return w.reshape(-1).tolist() + b.tolist()

    def leaves(self) -> list[tuple[int, bytes]]:
        out = [(0, pack_int64(self.meta()))]
        out += [(unit_key(layer, j), pack_int64(self.unit_payload(layer, j)))
                for layer in range(self.layers) for j in range(self.units)]
        out += [(dense_key(i), pack_int64(self.dense_payload(i))) for i in range(len(self.net.dense))]
        return out

    def weights_tree(self) -> StandardMerkleTree:
        return StandardMerkleTree.of(self.leaves(), WEIGHT_TYPES)


@dataclass
class State:
    step: int
    sum_sq: int
    sum_abs: int
    vec: np.ndarray = field(repr=False)

    def copy(self) -> State:
        return State(self.step, self.sum_sq, self.sum_abs, self.vec.copy())


def state_hash(state: State) -> bytes:
    """``keccak256(abi.encode(uint256 step, uint256 sumSq, uint256 sumAbs, bytes vec))``, vec packed int64."""
    return keccak(encode(["uint256", "uint256", "uint256", "bytes"],
                         [state.step, state.sum_sq, state.sum_abs, pack_int64(state.vec)]))


def score_from_sums(metric: int, sum_sq: int, sum_abs: int, n: int) -> int:
    """The posted score (metric x 1e6) the sums give, exactly as the integer scorer computes it
    (:func:`ml_models.intinfer.scores.rmse_score` / ``mae_score``: rounded, halves up) and as
    ``DisputeGame.scoreFromSums`` does on chain; kept clear of the failure score."""
    if metric == 0:
        q = rmse_score(sum_sq, n)
    elif metric == 1:
        q = mae_score(sum_abs, n)
    else:
        raise ValueError(f"metric {metric} is not step-verifiable (0 RMSE and 1 MAE are)")
    return min(q, 2**63 - 2)


def target_units(model: Model, out: int, origin: int) -> int:
    """A network output in target units exactly as the chain computes it (``FixedPointRNN.toTargetUnits`` in
    int256: ``((out * scale) >> F) + offset``, never out of range for int64 operands). The integer scorer refuses
    a forecast beyond 2**62 (no leaf proves that on chain), so the fraud tools compute it exactly: such a model
    gets its true, terrible score rather than a failure the chain would overturn."""
    s = model.scaler
    if model.delta:
        return ((int(out) * int(s.delta_scale_q)) >> F) + int(origin)
    return ((int(out) * int(s.scale_q[0])) >> F) + int(s.mean_q[0])


class StepMachine:
    """Steps of one submission's evaluation on ``rows_q`` (every row, training then test, target first)."""

    def __init__(self, model: Model, rows_q: np.ndarray, train_rows: int, test_rows: int):
        self.model, self.rows = model, np.asarray(rows_q, dtype=np.int64)
        self.train_rows, self.test_rows = int(train_rows), int(test_rows)
        m = model
        self.per_window = m.net.sequence_length * m.layers * m.chunks + 1
        self.total = self.test_rows * self.per_window
        n = m.units
        self.h_at = [layer * n for layer in range(m.layers)]
        self.c_at = [(m.layers + layer) * n for layer in range(m.layers)] if m.cell == "LSTM" else []
        self.p_at = (2 * m.layers if m.cell == "LSTM" else m.layers) * n
        self.vec_len = self.p_at + n
        if self.train_rows - m.horizon - m.net.sequence_length + 1 < 0:
            raise ValueError("the training rows are too few for the first test window")

    def initial(self) -> State:
        return State(0, 0, 0, np.zeros(self.vec_len, dtype=np.int64))

    # ------------------------------------------------------------------ where step i is
    def locate(self, i: int) -> dict:
        """``{"window", "kind": "chunk"|"head", "t", "layer", "chunk", "rows"}``: what step ``i`` computes and the data rows it reads."""
        m = self.model
        w, r = divmod(i, self.per_window)
        end = self.train_rows + w - m.horizon
        if r == self.per_window - 1:
            rows = [self.train_rows + w] + ([end] if m.delta else [])
            return {"window": w, "kind": "head", "rows": rows, "end": end}
        t, rest = divmod(r, m.layers * m.chunks)
        layer, k = divmod(rest, m.chunks)
        rows = ([end - m.net.sequence_length + 1 + t] + ([end] if m.delta else [])) if layer == 0 else []
        return {"window": w, "kind": "chunk", "t": t, "layer": layer, "chunk": k, "rows": rows, "end": end}

    def weight_keys(self, i: int) -> list[int]:
        """Keys of the weight leaves step ``i`` reads, in the order the contract takes them."""
        loc, m = self.locate(i), self.model
        if loc["kind"] == "head":
            return [dense_key(d) for d in range(len(m.net.dense))]
        j0 = loc["chunk"] * m.chunk
        return [unit_key(loc["layer"], j) for j in range(j0, min(j0 + m.chunk, m.units))]

    # ------------------------------------------------------------------ one step
    def _input(self, row: int, end: int) -> np.ndarray:
        m = self.model
        cols = list(m.columns)
        x = standardize(self.rows[row][cols][None, :], m.scaler.mean_q, m.scaler.scale_q)[0]
        if m.delta:
            x = x.copy()
            x[0] -= standardize(self.rows[end][[0]][None, :], m.scaler.mean_q[:1], m.scaler.scale_q[:1])[0, 0]
        bound = m.net.input_bound_q
        return np.clip(x, -bound, bound)  # as IntNetwork.predict: an outlier is clamped, not refused

    def step(self, s: State) -> State:
        if not 0 <= s.step < self.total:
            raise ValueError(f"step {s.step} is outside 0..{self.total - 1}")
        m, loc, out = self.model, self.locate(s.step), s.copy()
        out.step += 1
        v, n = out.vec, m.units
        if loc["kind"] == "head":
            y = v[self.h_at[-1] : self.h_at[-1] + n][None, :]
            for w, b, act in m.net.dense:
                y = dense_step(y, w, b, act)
            origin = int(self.rows[loc["end"]][0])
            pred = target_units(m, int(y[0, 0]), origin)
            d = pred - int(self.rows[self.train_rows + loc["window"]][0])
            out.sum_sq += d * d
            out.sum_abs += abs(d)
            v[:] = 0
            return out
        layer = loc["layer"]
        rec = m.net.recurrent[layer]
        x = self._input(loc["rows"][0], loc["end"]) if layer == 0 else v[self.h_at[layer - 1] : self.h_at[layer - 1] + n]
        h = v[self.h_at[layer] : self.h_at[layer] + n][None, :]
        j0 = loc["chunk"] * m.chunk
        j1 = min(j0 + m.chunk, n)
        if m.cell == "LSTM":
            c = v[self.c_at[layer] : self.c_at[layer] + n][None, :]
            h2, c2 = lstm_step(x[None, :], h, c, rec.w, rec.u, rec.b)
            v[self.c_at[layer] + j0 : self.c_at[layer] + j1] = c2[0, j0:j1]
        elif m.cell == "GRU":
            h2 = gru_step(x[None, :], h, rec.w, rec.u, rec.b[0], rec.b[1])
        else:
            h2 = simple_rnn_step(x[None, :], h, rec.w, rec.u, rec.b)
        v[self.p_at + j0 : self.p_at + j1] = h2[0, j0:j1]
        if loc["chunk"] == m.chunks - 1:
            v[self.h_at[layer] : self.h_at[layer] + n] = v[self.p_at : self.p_at + n]
            v[self.p_at :] = 0
        return out

    def run(self, state: State | None = None, until: int | None = None) -> State:
        """Steps from ``state`` (the initial state) until ``until`` steps are done (all of them)."""
        s = self.initial() if state is None else state.copy()
        stop = self.total if until is None else until
        while s.step < stop:
            s = self.step(s)
        return s

    def final(self, sum_sq: int, sum_abs: int) -> State:
        return State(self.total, sum_sq, sum_abs, np.zeros(self.vec_len, dtype=np.int64))
