"""Scoring every revealed submission of a competition from what is on chain and on IPFS.

Shared by the organizer's evaluation and anyone's audit: both must compute the same numbers
from the same inputs. Bundles are fetched by the CID revealed on chain and checked against the
sha256 committed on chain before they are read; ``ml_models`` scores them in separate,
resource-limited processes, so a hostile bundle fails alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ipfs_store import IntegrityError, StorageError

from .artifacts import fetch_bundle, fetch_folder
from .chain import revealed_submissions
from .errors import ArtifactError
from .protocol import SCORING_LIMITS, clamp_score, failure_score


@dataclass
class Row:
    """One revealed submission and its score (``score_int`` is what is, or will be, posted)."""

    participant: str
    model_cid: str
    model_sha256: str
    order: int
    ok: bool = False
    score: float | None = None
    score_int: int = 0
    reason: str = ""
    predictions: list[float] | None = field(default=None, repr=False)


def load_data(comp: dict, test_dir: Path, work_dir: Path):
    """(train_df, test_df, schema): training data by the CID on chain, the test bundle from ``test_dir``."""
    from ml_models import read_dataset_bundle

    train_dir = fetch_folder(comp["dataCid"], work_dir / "data" / comp["dataCid"])
    train_df, schema = read_dataset_bundle(train_dir, part="train")
    test_df, test_schema = read_dataset_bundle(test_dir, part="test")
    if test_schema.target != schema.target or test_schema.columns != schema.columns:
        raise ArtifactError(f"the test bundle in {test_dir} does not match the training data's schema")
    return train_df, test_df, schema


def _fetch_revealed(market, comp: dict, work_dir: Path) -> tuple[list[Row], list[tuple[Row, Path]]]:
    """A row per revealed submission (failed until scored) and the bundles that could be fetched."""
    worst = failure_score(comp["higherIsBetter"])
    rows, fetched = [], []
    for sub in revealed_submissions(market, comp["id"]):
        row = Row(sub["participant"], sub["modelCid"], sub["modelSha256"], sub["order"], score_int=worst)
        on_chain = bytes(market.modelDigest(comp["id"], sub["participant"])).hex()
        if on_chain != sub["modelSha256"]:
            row.reason = "the digest in the Revealed event differs from the one stored on chain"
        else:
            dest = work_dir / "bundles" / sub["participant"].lower()
            try:
                fetched.append((row, fetch_bundle(sub["modelCid"], sub["modelSha256"], dest)))
            except IntegrityError as exc:
                row.reason = f"bundle refused: {exc}"
            except StorageError as exc:
                row.reason = f"bundle not retrievable: {exc}"
        rows.append(row)
    return rows, fetched


def score_revealed(market, comp: dict, test_dir: Path, work_dir: Path, *,
                   timeout_s: float = SCORING_LIMITS.timeout_s, memory_mb: int = SCORING_LIMITS.memory_mb) -> list[Row]:
    """Every revealed submission of ``comp`` scored on the test bundle in ``test_dir``."""
    from ml_models import score_bundles

    train_df, test_df, schema = load_data(comp, test_dir, work_dir)
    rows, fetched = _fetch_revealed(market, comp, work_dir)
    if fetched:
        results = score_bundles([d for _, d in fetched], train_df, test_df, schema, comp["metric"],
                                timeout_s=timeout_s, memory_mb=memory_mb)
        for (row, _), res in zip(fetched, results, strict=True):
            if res.ok:
                row.ok, row.score, row.predictions = True, res.score, res.predictions
                row.score_int = clamp_score(res.score_int)
            else:
                row.reason = res.reason
    return rows
