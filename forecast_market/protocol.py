"""The protocol's shared shapes, defined once: what the contract and every client must agree on.

- :class:`Phase`, :class:`Status` and :class:`CreditReason`: the contract's enums
  (``IForecastMarket.Phase`` / ``Status`` / ``CreditReason``);
- :class:`CompetitionParams`: the struct ``createCompetition`` takes, built with deadlines from
  window lengths;
- :func:`model_commitment` and :func:`test_set_commitment`: the two hashes the contract checks;
- scores: metric values as integers with 6 decimals (:data:`SCORE_SCALE`), the failure sentinels
  at either end of int64, and the contract's ranking rule (:func:`ranked`, :func:`qualifies`);
- :data:`SCORING_LIMITS`: what an evaluator must grant one bundle, so that anyone re-scoring
  gets the same verdicts.

``tests/contract/test_protocol_shapes.py`` fails when the Solidity side changes and this file does not.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, field
from enum import IntEnum
from typing import TypeVar

from eth_abi import encode
from eth_utils import keccak

from ml_models.metrics import SCORE_SCALE, to_score_int

from .errors import ArtifactError

__all__ = [
    "BPS", "CHALLENGE_PERIOD_S", "DAY", "HOUR", "INT64_MAX", "INT64_MIN", "MAX_WINDOW_S", "MAX_WINNERS",
    "MIN_WINDOW_S", "SCORE_SCALE", "SCORING_LIMITS",  # noqa: F822 -- module __getattr__
    "CompetitionParams", "CreditReason", "Phase", "Status", "any_score_qualifies", "clamp_score", "failure_score",
    "is_failure", "model_commitment", "qualifies", "ranked", "score_from_units", "show_score",
    "test_set_commitment", "to_bytes32", "to_score_int", "ZERO32",
]

HOUR = 3600
DAY = 24 * HOUR
#: Shortest reveal and evaluation windows the contract accepts (``ForecastMarket.MIN_WINDOW``).
MIN_WINDOW_S = 1 * HOUR
#: Longest window the contract accepts (``ForecastMarket.MAX_WINDOW``): from creation to the submission
#: deadline, from there to the reveal deadline, and from there to the evaluation deadline.
MAX_WINDOW_S = 90 * DAY
#: How long posted scores stand before an organizer who ranked nobody can claim its refund, counted from
#: the evaluation deadline (``ForecastMarket.CHALLENGE_PERIOD``).
CHALLENGE_PERIOD_S = 3 * DAY
#: Prize shares are in basis points summing to this.
BPS = 10_000
#: At most this many ranks are paid.
MAX_WINNERS = 3
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


class _SolidityEnum(IntEnum):
    """An enum mirrored from Solidity: compares as its number, prints as Solidity spells it."""

    def __str__(self) -> str:
        return "".join(word.capitalize() for word in self.name.split("_"))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class Phase(_SolidityEnum):
    """``IForecastMarket.Phase``: the first three follow from the clock, the last four are terminal."""

    NONE = 0
    SUBMISSION = 1
    REVEAL = 2
    EVALUATION = 3
    EXPIRED = 4
    FINALIZED = 5
    REFUNDED = 6
    FALLBACK = 7
    CANCELLED = 8


class Status(_SolidityEnum):
    """``IForecastMarket.Status``: where one participant's submission stands."""

    NONE = 0
    COMMITTED = 1
    REVEALED = 2
    SCORED = 3
    FAILED = 4  # posted with the failure score: forfeits its deposit unless the competition is refunded
    CLAIMED = 5


class CreditReason(_SolidityEnum):
    """``IForecastMarket.CreditReason``: why a ``Credited`` event credited wei to an account."""

    PRIZE = 0  # a winner's prize plus its own deposit, at settlement by the ranking
    DEPOSIT = 1  # an entry's own deposit back, by claim
    REFUND = 2  # the organizer's refund when nobody ranked
    FALLBACK_SHARE = 3  # a share of the fallback pool plus the entry's own deposit, by claim
    FALLBACK_REMAINDER = 4  # the fallback pool's rounding remainder, to the organizer
    CANCELLATION = 5  # the reward back to the organizer, on cancel
    BOND = 6  # the organizer's bond back at settlement (bonded competitions)
    DISPUTE_WON = 7  # a score's defender's bond, to the challenger who proved the score wrong
    CHALLENGE_BOND = 8  # a challenger's bond: to the defender if the challenge failed, else back to it


# ------------------------------------------------------------------------------------- scores

def failure_score(higher_is_better: bool) -> int:
    """The score posted for a bundle that cannot be scored: the worst int64 for the direction.

    The contract marks such a submission ``Status.FAILED``: never ranked, and its deposit is forfeited
    unless nobody ranks (then it is returned)."""
    return INT64_MIN if higher_is_better else INT64_MAX


def is_failure(score: int | None) -> bool:
    return score in (INT64_MAX, INT64_MIN)


def clamp_score(score: int) -> int:
    """A real score kept clear of both failure sentinels (and inside int64)."""
    return max(INT64_MIN + 1, min(INT64_MAX - 1, int(score)))


def any_score_qualifies(higher_is_better: bool) -> int:
    """The minimum score that lets every real score qualify, and no failure."""
    return failure_score(higher_is_better) + (1 if higher_is_better else -1)


def score_from_units(value: float) -> int:
    """A score in metric units (e.g. a --min-score) as the contract's integer."""
    return clamp_score(to_score_int(value))


def show_score(score: int | None) -> str:
    """A posted score in metric units; a failure sentinel as 'failed'; None as '-'."""
    if score is None:
        return "-"
    if is_failure(score):
        return "failed"
    return f"{score / SCORE_SCALE:.6f}"


def qualifies(score: int, minimum: int, higher_is_better: bool) -> bool:
    """The contract's rule: a score must meet ``minScore`` to rank."""
    return score >= minimum if higher_is_better else score <= minimum


T = TypeVar("T")


def __getattr__(name: str):
    """``SCORING_LIMITS`` on first use: ml_models.scoring loads pandas, which read-only commands never need."""
    if name == "SCORING_LIMITS":
        from ml_models.scoring import DEFAULT_LIMITS

        return DEFAULT_LIMITS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ranked(rows: Iterable[T], higher_is_better: bool, *, score: Callable[[T], int] = lambda r: r.score_int,
           order: Callable[[T], int] = lambda r: r.order) -> list[T]:
    """Best first, ties to the earlier commitment: the contract's order."""
    return sorted(rows, key=lambda r: (-score(r) if higher_is_better else score(r), order(r)))


# ------------------------------------------------------------------------------------- creation

@dataclass(frozen=True)
class CompetitionParams:
    """``IForecastMarket.CompetitionParams``, fields in ABI order. Build it with :meth:`starting`."""

    dataCid: str
    target: str
    sequenceLength: int
    horizon: int
    metric: int
    higherIsBetter: bool
    minScore: int
    submissionEnd: int
    revealEnd: int
    evaluationEnd: int
    prizeBps: Sequence[int] = field(default=(5000, 3000, 2000))
    entryDeposit: int = 0
    testCommitment: bytes = b"\x00" * 32
    trainRoot: bytes = b"\x00" * 32  # bonded competitions (docs/FRAUD_PROOFS.md): Merkle root of the training rows
    trainRows: int = 0
    organizerBond: int = 0  # wei of msg.value held as the organizer's bond; 0: no disputes
    challengeBond: int = 0  # wei a challenger deposits

    @classmethod
    def starting(cls, now: int, *, submission_s: int, reveal_s: int, evaluation_s: int, **fields) -> CompetitionParams:
        """Deadlines from window lengths after ``now`` (a block timestamp)."""
        sub_end = int(now) + int(submission_s)
        return cls(submissionEnd=sub_end, revealEnd=sub_end + int(reveal_s),
                   evaluationEnd=sub_end + int(reveal_s) + int(evaluation_s), **fields)

    def as_tuple(self) -> tuple:
        """The ABI tuple ``createCompetition`` takes."""
        values = astuple(self)
        return (*values[:10], list(self.prizeBps), *values[11:])


# ------------------------------------------------------------------------------------- commitments

def to_bytes32(hex_digest: str | bytes) -> bytes:
    """A sha256 digest as the contract's bytes32, from bytes or hex (with or without 0x)."""
    try:
        raw = hex_digest if isinstance(hex_digest, bytes) else bytes.fromhex(hex_digest.removeprefix("0x"))
    except ValueError:
        raise ArtifactError(f"{hex_digest!r} is not a hex digest") from None
    if len(raw) != 32:
        raise ArtifactError(f"expected a 32-byte digest, got {len(raw)} bytes")
    return raw


ZERO32 = b"\x00" * 32


def model_commitment(model_cid: str, sha256: str | bytes, salt: bytes, participant: str, comp_id: int,
                     market_address: str, *, weights_root: bytes = ZERO32) -> bytes:
    """``keccak256(abi.encode(modelCid, modelSha256, weightsRoot, salt, participant, id, market))``, as on chain
    (``weights_root`` zero for ``reveal``, the model's weights root for ``revealWithRoot``)."""
    return keccak(encode(["string", "bytes32", "bytes32", "bytes32", "address", "uint256", "address"],
                         [model_cid, to_bytes32(sha256), weights_root, salt, str(participant), int(comp_id),
                          str(market_address)]))


def test_set_commitment(test_cid: str, salt: bytes, test_root: bytes = ZERO32, test_rows: int = 0) -> bytes:
    """``keccak256(abi.encode(testCid, testRoot, testRows, salt))``, fixed at creation and checked at the
    test-set reveal (root and rows: the test rows' Merkle tree, docs/FRAUD_PROOFS.md; zero when unused)."""
    return keccak(encode(["string", "bytes32", "uint32", "bytes32"], [test_cid, test_root, int(test_rows), salt]))


test_set_commitment.__test__ = False  # not a pytest test, despite its name
