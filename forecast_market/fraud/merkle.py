"""OpenZeppelin ``StandardMerkleTree`` in Python, leaf for leaf and proof for proof.

The same tree as ``@openzeppelin/merkle-tree`` 1.0.8 ``StandardMerkleTree.of(values, types)`` (its
default ``sortLeaves: true``) and the proofs ``MerkleProof.verify`` accepts on chain:

* leaf hash ``keccak256(keccak256(abi.encode(types, value)))`` (double hashed: a leaf can never be
  taken for an inner node);
* inner node ``keccak256(sorted(a, b))`` (byte order), so a proof needs no left/right flags;
* leaves sorted by hash, stored from the end of a flat array ``tree`` (``2 n - 1`` nodes, root at 0,
  children of ``i`` at ``2 i + 1`` and ``2 i + 2``).

``tests/fraud/test_merkle.py`` checks roots and proofs against the JS library and ``MerkleProof.sol``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak

__all__ = ["StandardMerkleTree", "leaf_hash", "node_hash", "process_proof"]


def leaf_hash(types: Sequence[str], value: Sequence[Any]) -> bytes:
    """``keccak256(bytes.concat(keccak256(abi.encode(value...))))``."""
    return keccak(keccak(encode(list(types), list(value))))


def node_hash(a: bytes, b: bytes) -> bytes:
    """The parent of two nodes: the hash of the pair in byte order."""
    return keccak(a + b if a <= b else b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a proof leads to from ``leaf`` (``MerkleProof.processProof``)."""
    node = leaf
    for sibling in proof:
        node = node_hash(node, sibling)
    return node


@dataclass(frozen=True)
class StandardMerkleTree:
    """A tree over ``values`` (each a tuple matching ``types``); ``index`` arguments are positions in ``values``."""

    types: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    tree: tuple[bytes, ...]
    _position: tuple[int, ...]  # value index -> tree index

    @classmethod
    def of(cls, values: Sequence[Sequence[Any]], types: Sequence[str]) -> StandardMerkleTree:
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashed = sorted(((leaf_hash(types, v), i) for i, v in enumerate(values)), key=lambda p: p[0])
        n = len(hashed)
        tree: list[bytes] = [b""] * (2 * n - 1)
        position = [0] * n
        for i, (h, vi) in enumerate(hashed):
            tree[len(tree) - 1 - i] = h
            position[vi] = len(tree) - 1 - i
        for i in range(len(tree) - 1 - n, -1, -1):
            tree[i] = node_hash(tree[2 * i + 1], tree[2 * i + 2])
        return cls(tuple(types), tuple(tuple(v) for v in values), tuple(tree), tuple(position))

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def leaf(self, index: int) -> bytes:
        return self.tree[self._position[index]]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from the leaf of ``values[index]`` up to (not including) the root."""
        i, out = self._position[index], []
        while i > 0:
            out.append(self.tree[i - (-1) ** (i % 2)])
            i = (i - 1) // 2
        return out

    def verify(self, index: int, proof: Sequence[bytes]) -> bool:
        return process_proof(leaf_hash(self.types, self.values[index]), proof) == self.root
