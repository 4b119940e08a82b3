"""Fraud proofs for posted scores (issue 13; design in ``docs/FRAUD_PROOFS.md``).

:mod:`.merkle` is OpenZeppelin's ``StandardMerkleTree`` in Python; :mod:`.machine` cuts one
submission's integer evaluation into the steps the contract can re-execute one at a time, and
builds the data and weight leaves they are proven from.
"""
from __future__ import annotations

from .machine import (
    CHUNK_VALUES,
    DATA_TYPES,
    WEIGHT_TYPES,
    Model,
    State,
    StepMachine,
    data_tree,
    pack_int64,
    score_from_sums,
    state_hash,
    unpack_int64,
)
from .merkle import StandardMerkleTree, leaf_hash, node_hash, process_proof
from .proofs import ARITY, Evaluation, interior_points

__all__ = [
    "ARITY", "CHUNK_VALUES", "Evaluation", "interior_points", "DATA_TYPES", "WEIGHT_TYPES", "Model", "StandardMerkleTree", "State", "StepMachine", "data_tree",
    "leaf_hash", "node_hash", "pack_int64", "process_proof", "score_from_sums", "state_hash", "unpack_int64",
]
