"""Why a tree-defined model cannot be run exactly, as a proof ``DisputeGame.proveInvalid`` accepts.

The Python twin of ``EvaluationStep._meta`` (kind 0) and ``EvaluationStep.invalid`` (kinds 1 to 3),
and of the integer scorer's own refusals (``ml_models.intinfer``: ``IntNetwork._prove_bounds``, a data
column the model reads and the data lacks; values out of range are clamped, not refused), which use the
same exact integer formulas: a bonded entry the scorer cannot run is one whose failure the organizer can
prove on chain (docs/FRAUD_PROOFS.md, "Posted failures"). :func:`find_invalidity` returns the first
problem it finds as ``IDisputeGame.InvalidityProof`` (a tuple in ABI order), or None.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml_models.intinfer.fixed import ONE

from .availability import META_FIXED
from .machine import _GATES, WEIGHT_TYPES, dense_key, meta_values, unit_key, unpack_int64
from .merkle import StandardMerkleTree

__all__ = ["INPUT_BOUND", "SAFE", "find_invalidity", "meta_problem"]

SAFE = 2**62
#: The scorer's input bound (100 standard deviations) in the format.
INPUT_BOUND = 100 * ONE
MAX_LSTM_STEPS = 16382
_CELL_NAMES = ("LSTM", "GRU", "SimpleRNN")


def meta_problem(meta: Sequence[int], train_rows: int, horizon: int) -> int | None:
    """The ``InvalidModelMeta`` reason the verifier gives this meta leaf (None: a model it runs)."""
    h = [int(v) for v in meta]
    if len(h) < META_FIXED:
        return 0
    if h[0] != 1:
        return 1
    if any(v < 0 for v in h[1:10]):
        return 2
    cell, layers, units, dense, nf, seq, hz = h[1:8]
    checks = ((cell > 2, 3), (not 0 < layers <= 4, 4), (not 0 < units <= 512, 5), (dense * units > 16384, 6),
              (not 0 < nf <= 64, 7), (seq == 0 or hz == 0 or train_rows + 1 < seq + hz, 8),
              (cell == 0 and seq > MAX_LSTM_STEPS, 13), (h[8] > 1 or h[9] not in (0, 2) or h[10] <= 0, 9),
              (len(h) != META_FIXED + 3 * nf, 10))
    for bad, reason in checks:
        if bad:
            return reason
    if h[META_FIXED] != 0:
        return 11
    if any(h[META_FIXED + 3 * f] < 0 or h[META_FIXED + 3 * f + 2] <= 0 for f in range(nf)):
        return 12
    return 20 if hz != horizon else None


def _unit_values(cell: int, layer: int, nf: int, units: int) -> int:
    g = _GATES[_CELL_NAMES[cell]]
    return g * ((nf if layer == 0 else units) + units) + g * (2 if cell == 1 else 1)


def _dense_shapes(units: int, dense: int) -> list[tuple[int, int]]:
    return [(units, dense), (dense, 1)] if dense else [(units, 1)]


def _sum_abs(v: np.ndarray) -> int:
    return int(np.abs(np.asarray(v, dtype=np.int64).astype(object)).sum()) if len(v) else 0


def _gate_unbounded(w: np.ndarray, cell: int, g: int, gates: int, width: int, units: int, bx: int) -> bool:
    stride = width + units
    wx = _sum_abs(w[g * stride : g * stride + width]) * bx + abs(int(w[gates * stride + g])) * ONE
    uh = _sum_abs(w[g * stride + width : (g + 1) * stride]) * ONE
    if cell != 1:
        pre = wx + uh
        return pre >= SAFE or 2 * (pre // ONE + 1) >= SAFE
    uh += abs(int(w[gates * stride + 3 + g])) * ONE
    return wx >= SAFE or uh >= SAFE or (g == 2 and ONE * (uh // ONE + 1) >= SAFE) or \
        2 * (wx // ONE + uh // ONE + 3) >= SAFE


def _dense_unbounded(payloads: list[np.ndarray], shapes: list[tuple[int, int]]) -> bool:
    bx = ONE
    for w, (n_in, n_out) in zip(payloads, shapes, strict=True):
        nxt = 0
        for j in range(n_out):
            bound = _sum_abs(w[j : n_in * n_out : n_out]) * bx + abs(int(w[n_in * n_out + j])) * ONE
            if bound >= SAFE:
                return True
            nxt = max(nxt, bound // ONE + 1)
        bx = nxt
    return False


def find_invalidity(leaves: Sequence[tuple[int, bytes]], rows_q: np.ndarray, train_rows: int, test_rows: int,
                    horizon: int, *, train_tree: StandardMerkleTree | None = None,
                    test_tree: StandardMerkleTree | None = None) -> tuple | None:
    """The first reason the model of weights tree ``leaves`` (key, packed payload) cannot be run exactly on
    these data rows (every row, target first), as ``IDisputeGame.InvalidityProof``; None when it runs."""
    from .machine import data_tree

    tree = StandardMerkleTree.of(list(leaves), WEIGHT_TYPES)
    index = {key: i for i, (key, _) in enumerate(leaves)}
    meta_payload = dict(leaves)[0]
    meta = meta_values(meta_payload)

    def proof(kind, key=0, keys=(), window=0, t=0, rows=()):
        return (kind, meta_payload, tree.proof(index[0]), key,
                [(leaves[index[k]][1], tree.proof(index[k])) for k in keys], window, t, list(rows))

    # A meta of whole int64 values only: any other length fails the verifier's length checks (InvalidModelMeta).
    if len(meta_payload) % 8 or meta_problem(meta, train_rows, horizon) is not None:
        return proof(0)
    found = _weight_problem(leaves, index, meta)
    if found is not None:
        kind, key, keys = found
        return proof(kind, key, keys)
    rows = np.asarray(rows_q, dtype=np.int64)
    found = _input_problem(meta, rows, train_rows, test_rows)
    if found is None:
        return None
    w, t, read = found
    train_tree = train_tree or data_tree(rows[:train_rows])
    test_tree = test_tree or data_tree(rows[train_rows : train_rows + test_rows], first_index=train_rows)

    def row_arg(r: int):
        tree_, local = (train_tree, r) if r < train_rows else (test_tree, r - train_rows)
        return [int(v) for v in rows[r]], tree_.proof(local)

    return proof(3, window=w, t=t, rows=[row_arg(r) for r in read])


def _weight_problem(leaves, index: dict[int, int], meta: list[int]) -> tuple[int, int, list[int]] | None:
    """``(kind, key, keys)``: a leaf the model reads with the wrong length (1), or an interval bound that
    reaches 2**62 (2: a unit leaf, or the dense leaves in order)."""
    cell, layers, units, dense, nf = meta[1:6]
    gates = _GATES[_CELL_NAMES[cell]]
    shapes = _dense_shapes(units, dense)
    unit_keys = [unit_key(layer, j) for layer in range(layers) for j in range(units)]
    dense_keys = [dense_key(i) for i in range(len(shapes))]
    expected = {k: _unit_values(cell, (k >> 16) & 0xFFFF, nf, units) for k in unit_keys}
    expected |= {k: n_in * n_out + n_out for k, (n_in, n_out) in zip(dense_keys, shapes, strict=True)}
    for k, n in expected.items():  # a missing leaf never completes a publication, nor builds a model
        if k in index and len(leaves[index[k]][1]) != 8 * n:
            return 1, k, [k]
    for k in unit_keys:
        layer = (k >> 16) & 0xFFFF
        w = unpack_int64(leaves[index[k]][1])
        bx = INPUT_BOUND + 1 if layer == 0 else ONE
        if any(_gate_unbounded(w, cell, g, gates, nf if layer == 0 else units, units, bx) for g in range(gates)):
            return 2, k, [k]
    if _dense_unbounded([unpack_int64(leaves[index[k]][1]) for k in dense_keys], shapes):
        return 2, dense_key(0), dense_keys
    return None


def _input_problem(meta: list[int], rows: np.ndarray, train_rows: int, test_rows: int) -> tuple | None:
    """``(window, t, rows read)`` of the first window input that reads a column the data rows lack. Values
    out of range are not a problem: they are clamped (``ml_models.intinfer.pipeline.standardize``,
    ``IntNetwork.predict``), so an outlier in the data fails no model."""
    nf, seq, hz, delta = meta[5], meta[6], meta[7], meta[8]
    triples = np.asarray(meta[META_FIXED:], dtype=np.int64).reshape(nf, 3)
    if not any(c >= rows.shape[1] for c in triples[:, 0]) or test_rows == 0:
        return None
    end = train_rows - hz  # window 0 at time 0 reads a row without the column
    return 0, 0, [end - seq + 1] + ([end] if delta else [])
