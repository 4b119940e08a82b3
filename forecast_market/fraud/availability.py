"""Publishing a revealed model's weights on chain when the organizer requests them, and reading them back.

In a bonded competition the model of a submission is the weights tree under its revealed root
(docs/FRAUD_PROOFS.md, sections 2 and 4, "Posted failures"). An organizer that cannot use a bundle
calls ``DisputeGame.requestWeights``; the participant then publishes every leaf in key order (the
meta leaf, the unit leaves layer by layer, the dense leaves: :meth:`~.machine.Model.leaves`) with
``publishWeights`` in transactions of at most :data:`CHUNK_BYTES` of payload, and closes with
``completeWeights`` (the leaf hashes sorted, and where each leaf in key order sits among them: the
contract rebuilds the tree and compares it with the revealed root). :func:`published_leaves` reads
the payloads back from the transactions' input; :func:`model_from_leaves` turns them into the
integer model the step machine runs, without the scorer's overflow proof (the model is what the
tree says; :mod:`.invalid` proves what cannot run).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml_models.intinfer import IntNetwork, IntScaler
from ml_models.intinfer.network import _Recurrent

from ..chain import transact
from .machine import (
    _GATES,
    CELL_CODES,
    META_VERSION,
    WEIGHT_TYPES,
    Model,
    dense_key,
    meta_values,
    unit_key,
    unpack_int64,
)
from .merkle import leaf_hash

__all__ = ["CHUNK_BYTES", "MalformedWeights", "chunks", "completion", "leaf_keys", "model_from_leaves",
           "publish", "published_leaves"]

#: Payload bytes per ``publishWeights`` transaction (well under the 128 KB a node accepts).
CHUNK_BYTES = 96_000
_CELLS = {v: k for k, v in CELL_CODES.items()}
_ACTS = {0: "linear", 2: "sigmoid"}
META_FIXED = 11


class MalformedWeights(ValueError):
    """The published leaves do not make a model (a leaf of the wrong length, an impossible meta leaf)."""


def leaf_keys(meta: Sequence[int]) -> list[int]:
    """The keys of a tree with meta leaf ``meta``, in publication order (``DisputeGame.publishWeights``)."""
    if len(meta) < META_FIXED:
        raise MalformedWeights("the meta leaf is too short")
    layers, units, dense = int(meta[2]), int(meta[3]), int(meta[4])
    if not (0 < layers <= 4 and 0 < units <= 512 and dense >= 0):
        raise MalformedWeights(f"the meta leaf's {layers} layers of {units} units are outside the covered sizes")
    return [0] + [unit_key(layer, j) for layer in range(layers) for j in range(units)] + \
        [dense_key(i) for i in range(2 if dense else 1)]


def chunks(payloads: Sequence[bytes], limit: int = CHUNK_BYTES) -> list[list[bytes]]:
    """Payloads split into consecutive groups of at most ``limit`` bytes (a larger payload alone)."""
    out: list[list[bytes]] = []
    size = limit + 1
    for p in payloads:
        if size + len(p) > limit:
            out.append([])
            size = 0
        out[-1].append(p)
        size += len(p)
    return out


def completion(leaves: Sequence[tuple[int, bytes]]) -> tuple[list[bytes], bytes]:
    """``completeWeights``'s arguments: the leaf hashes ascending, and each key-ordered leaf's position among them."""
    hashes = [leaf_hash(WEIGHT_TYPES, leaf) for leaf in leaves]
    ordered = sorted(hashes)
    where = {h: i for i, h in enumerate(ordered)}
    return ordered, b"".join(where[h].to_bytes(2, "big") for h in hashes)


def publish(game, comp_id: int, participant, leaves: Sequence[tuple[int, bytes]], *, progress=None) -> list:
    """Publish ``leaves`` (key order, from the first not yet published) and complete; returns the receipts."""
    req = game.weightsRequest(comp_id, participant.address)
    done = int(req["published"])
    txs = []
    groups = chunks([p for _, p in leaves[done:]])
    for i, group in enumerate(groups):
        if progress:
            progress(f"  publishing weights: transaction {i + 1}/{len(groups)} ({sum(map(len, group)):,} bytes)")
        txs.append(transact(game.publishWeights, comp_id, participant.address, group, sender=participant))
    ordered, order = completion(leaves)
    txs.append(transact(game.completeWeights, comp_id, participant.address, ordered, order, sender=participant))
    return txs


def published_leaves(game, comp_id: int, participant: str) -> list[tuple[int, bytes]]:
    """Every leaf published for ``participant`` (key order), read from the ``WeightsPublished`` logs (the
    payloads are in the log, not only in the transaction's input: a participant that is a contract publishes
    through its own code)."""
    events = game.events.get_sequence(from_block=0, event_type="WeightsPublished")
    payloads: list[bytes] = []
    for ev in events:
        if ev.args["id"] != comp_id or str(ev.args["participant"]).lower() != str(participant).lower():
            continue
        chunk = [bytes.fromhex(str(p).removeprefix("0x")) if isinstance(p, str) else bytes(p) for p in ev.args["payloads"]]
        first = int(ev.args["first"])
        if first != len(payloads):
            raise MalformedWeights(f"published leaves out of order: {first} after {len(payloads)}")
        payloads += chunk
    if not payloads:
        return []
    keys = leaf_keys(meta_values(payloads[0]))
    return list(zip(keys, payloads, strict=False))


def _expect(have: np.ndarray, n: int, what: str) -> np.ndarray:
    if len(have) != n:
        raise MalformedWeights(f"{what} holds {len(have)} values, not {n}")
    return have


def model_from_leaves(leaves: Sequence[tuple[int, bytes]], columns: Sequence[str]) -> Model:
    """The integer model a (complete) published weights tree describes, over data ``columns`` (target first).

    No overflow proof: the tree is the model; :func:`~.invalid.find_invalidity` says whether it runs."""
    by_key = dict(leaves)
    if len(by_key[0]) % 8:
        raise MalformedWeights("the meta leaf is not a sequence of int64 values")
    meta = meta_values(by_key[0])
    keys = leaf_keys(meta)
    if set(keys) - set(by_key):
        raise MalformedWeights("the published leaves are incomplete")
    version, cell_code, layers, units, dense, nf, seq, horizon, delta, act, delta_scale = meta[:META_FIXED]
    if version != META_VERSION or cell_code not in _CELLS or act not in _ACTS or nf <= 0 or \
            len(meta) != META_FIXED + 3 * nf:
        raise MalformedWeights("the meta leaf does not describe a model this version runs")
    cell, g = _CELLS[cell_code], _GATES[_CELLS[cell_code]]
    recurrent = []
    for layer in range(layers):
        width = nf if layer == 0 else units
        stride = width + units
        nb = 2 if cell == "GRU" else 1
        cols = [_expect(unpack_int64(by_key[unit_key(layer, j)]), g * stride + g * nb, f"unit leaf {layer}/{j}")
                for j in range(units)]
        w = np.zeros((width, g * units), dtype=np.int64)
        u = np.zeros((units, g * units), dtype=np.int64)
        b = np.zeros((nb, g * units), dtype=np.int64)
        for j, leaf in enumerate(cols):
            for gate in range(g):
                w[:, gate * units + j] = leaf[gate * stride : gate * stride + width]
                u[:, gate * units + j] = leaf[gate * stride + width : (gate + 1) * stride]
                for k in range(nb):
                    b[k, gate * units + j] = leaf[g * stride + k * g + gate]
        recurrent.append(_Recurrent(w, u, b if cell == "GRU" else b[0]))
    heads = [(units, dense, "relu")] if dense else []
    heads.append((dense or units, 1, _ACTS[act]))
    dense_layers = []
    for i, (n_in, n_out, a) in enumerate(heads):
        leaf = _expect(unpack_int64(by_key[dense_key(i)]), n_in * n_out + n_out, f"dense leaf {i}")
        dense_layers.append((leaf[: n_in * n_out].reshape(n_in, n_out), leaf[n_in * n_out :], a))
    net = object.__new__(IntNetwork)  # no overflow proof: the tree is the model, whatever it holds
    for name, value in (("cell", cell), ("sequence_length", seq), ("n_features", nf), ("recurrent", tuple(recurrent)),
                        ("dense", tuple(dense_layers)), ("input_bound", 100.0)):
        object.__setattr__(net, name, value)
    triples = np.asarray(meta[META_FIXED:], dtype=np.int64).reshape(nf, 3)
    names = tuple(columns[c] if 0 <= c < len(columns) else f"column {c}" for c in triples[:, 0])
    scaler = IntScaler(names, columns[0], triples[:, 1].copy(), triples[:, 2].copy(), int(delta_scale))
    return Model(net, scaler, tuple(int(c) for c in triples[:, 0]), int(horizon), bool(delta))
