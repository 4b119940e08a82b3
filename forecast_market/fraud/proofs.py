"""Everything one party needs to play a dispute: the trees, state hashes at any step, and step proofs.

:class:`Evaluation` wraps a :class:`~.machine.StepMachine` with the Merkle trees its leaves are proven
under. :meth:`Evaluation.points` is the defender's ``bisect`` move, :meth:`Evaluation.choose` the
challenger's ``choose``, :meth:`Evaluation.step_proof` the argument of ``proveStep``
(``IDisputeGame.StepProof``, as a tuple in ABI order).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .machine import State, StepMachine, data_tree, pack_int64, state_hash
from .merkle import StandardMerkleTree

__all__ = ["ARITY", "Evaluation", "interior_points"]

#: At most this many segments per bisection round (``DisputeGame.ARITY``).
ARITY = 16


def interior_points(lo: int, hi: int) -> list[int]:
    """The steps whose hashes a ``bisect`` of ``[lo, hi]`` posts: ``lo + (hi - lo) q // s`` for ``q = 1 .. s-1``."""
    s = min(ARITY, hi - lo)
    return [lo + (hi - lo) * q // s for q in range(1, s)]


@dataclass
class Evaluation:
    machine: StepMachine
    weights: StandardMerkleTree = field(init=False)
    train: StandardMerkleTree = field(init=False)
    test: StandardMerkleTree = field(init=False)
    _states: dict[int, State] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        m = self.machine
        self.weights = m.model.weights_tree()
        self._weight_index = {key: i for i, (key, _) in enumerate(self.weights.values)}
        self.train = data_tree(m.rows[: m.train_rows])
        self.test = data_tree(m.rows[m.train_rows : m.train_rows + m.test_rows], first_index=m.train_rows)
        self._states[0] = m.initial()

    # ------------------------------------------------------------------ states
    def state_at(self, i: int) -> State:
        """The state after ``i`` steps (from the nearest computed state at or before ``i``)."""
        if i in self._states:
            return self._states[i]
        start = max(k for k in self._states if k <= i)
        s = self.machine.run(self._states[start], until=i)
        self._states[i] = s
        return s

    def hash_at(self, i: int) -> bytes:
        return state_hash(self.state_at(i))

    def final(self) -> State:
        return self.state_at(self.machine.total)

    # ------------------------------------------------------------------ moves
    def points(self, lo: int, hi: int) -> list[bytes]:
        """The defender's ``bisect`` hashes for ``[lo, hi]``."""
        return [self.hash_at(p) for p in interior_points(lo, hi)]

    def choose(self, lo: int, hi: int, hashes: list[bytes]) -> int:
        """The challenger's segment: the first whose end hash differs from this evaluation's."""
        for q, (p, h) in enumerate(zip(interior_points(lo, hi), hashes, strict=True)):
            if self.hash_at(p) != bytes(h):
                return q
        return len(hashes)

    def meta_leaf(self) -> tuple[bytes, list[bytes]]:
        """``IDisputeGame.MetaLeaf``: the meta payload and its proof."""
        return self.weights.values[0][1], self.weights.proof(0)

    def step_proof(self, i: int) -> tuple:
        """``IDisputeGame.StepProof`` for step ``i``, from this evaluation's state before it."""
        s = self.state_at(i)
        payload, proof = self.meta_leaf()
        leaves = [(self.weights.values[self._weight_index[k]][1], self.weights.proof(self._weight_index[k]))
                  for k in self.machine.weight_keys(i)]
        rows = [self._row(r) for r in self.machine.locate(i)["rows"]]
        return (s.step, s.sum_sq, s.sum_abs, pack_int64(s.vec), payload, proof, leaves, rows)

    def _row(self, index: int) -> tuple[list[int], list[bytes]]:
        m = self.machine
        tree, local = (self.train, index) if index < m.train_rows else (self.test, index - m.train_rows)
        return [int(v) for v in np.asarray(m.rows[index])], tree.proof(local)
