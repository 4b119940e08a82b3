"""Scoring every revealed submission of a competition from what is on chain and on IPFS.

Shared by the organizer's `evaluate` stage and anyone's `verify`: both must compute the same
numbers from the same inputs. Bundles are fetched by the CID revealed on chain and checked
against the sha256 committed on chain before they are read; they are scored by ml_models in
separate, resource-limited processes, so a hostile bundle fails alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ipfs_store import IntegrityError, StorageError
from scripts.artifacts import fetch_bundle, fetch_folder
from scripts.common import INT64_MAX, INT64_MIN, failure_score, revealed_submissions


@dataclass
class Row:
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
    """(train_df, test_df, schema): training data by the CID on chain, the test bundle from `test_dir`."""
    from ml_models import read_dataset_bundle

    train_dir = fetch_folder(comp["dataCid"], work_dir / "data" / comp["dataCid"])
    train_df, schema = read_dataset_bundle(train_dir, part="train")
    test_df, test_schema = read_dataset_bundle(test_dir, part="test")
    if test_schema.target != schema.target or test_schema.columns != schema.columns:
        raise ValueError(f"the test bundle in {test_dir} does not match the training data's schema")
    return train_df, test_df, schema


def score_revealed(market, comp: dict, test_dir: Path, work_dir: Path, *, timeout_s: float = 300,
                   memory_mb: int = 4096) -> list[Row]:
    from ml_models import score_bundles

    train_df, test_df, schema = load_data(comp, test_dir, work_dir)
    worst = failure_score(comp["higherIsBetter"])
    rows, dirs = [], []
    for sub in revealed_submissions(market, comp["id"]):
        row = Row(sub["participant"], sub["modelCid"], sub["modelSha256"], sub["order"], score_int=worst)
        on_chain = bytes(market.modelDigest(comp["id"], sub["participant"])).hex()
        if on_chain != sub["modelSha256"]:
            row.reason = "the digest in the Revealed event differs from the one stored on chain"
        else:
            dest = work_dir / "bundles" / sub["participant"].lower()
            try:
                dirs.append((row, fetch_bundle(sub["modelCid"], sub["modelSha256"], dest)))
            except IntegrityError as exc:
                row.reason = f"bundle refused: {exc}"
            except StorageError as exc:
                row.reason = f"bundle not retrievable: {exc}"
        rows.append(row)
    if dirs:
        results = score_bundles([d for _, d in dirs], train_df, test_df, schema, comp["metric"],
                                timeout_s=timeout_s, memory_mb=memory_mb)
        for (row, _), res in zip(dirs, results):
            if res.ok:
                # Keep clear of the failure score at either end of int64.
                clamped = max(INT64_MIN + 1, min(INT64_MAX - 1, int(res.score_int)))
                row.ok, row.score, row.score_int, row.predictions = True, res.score, clamped, res.predictions
            else:
                row.reason = res.reason
    return rows


def ranked(rows: list[Row], higher_is_better: bool) -> list[Row]:
    """Best first, ties to the earlier commitment: the contract's order."""
    return sorted(rows, key=lambda r: (-r.score_int if higher_is_better else r.score_int, r.order))
