"""The scoring worker: forecasts the test rows with each of a list of bundles, in integers, numpy only.

    python -m ml_models.scoring_worker --data DIR --out DIR --bundle B1 [--bundle B2 ...]

Started by :func:`ml_models.scoring.score_bundles` under resource limits. For the K-th bundle it
writes ``start K`` to its stdout (the parent times each bundle from there, and knows which bundle
was running if the worker dies), then ``OUT/K.json``: ``{"ok": true, "predictions": [int, ...]}``
(fixed point, :class:`~ml_models.intinfer.IntForecaster`) or ``{"ok": false, "reason": "..."}``.
The parent checks and scores the integers itself. TensorFlow is never imported.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .data import Schema, read_dataset_bundle
from .errors import DataError, clip_message
from .scoring import fit_problems

__all__ = ["main", "read_worker_data", "score_one", "write_result"]


def read_worker_data(data: str) -> tuple[pd.DataFrame, pd.DataFrame, Schema]:
    """The worker's ``(train_df, test_df, schema)`` from the parent's data folder."""
    train_df, schema = read_dataset_bundle(data, part="train")
    test_df, _ = read_dataset_bundle(data, part="test")
    return train_df, test_df, schema


def score_one(bundle: str, data: tuple[pd.DataFrame, pd.DataFrame, Schema]) -> dict[str, Any]:
    """What the worker writes for one bundle: ``{"ok": True, "predictions": [int, ...]}`` or ``{"ok": False, "reason"}``."""
    train_df, test_df, schema = data
    fc, reason = _load_fitting(bundle, train_df, schema)
    if fc is None:
        return {"ok": False, "reason": reason}
    try:
        preds = fc.predict_targets_q(pd.concat([train_df, test_df]), len(test_df))
    except MemoryError:
        raise  # the parent reports the memory limit
    except Exception as exc:  # DataError, IntInferError, or anything unforeseen: this bundle's failure
        return {"ok": False, "reason": f"prediction failed: {type(exc).__name__}: {exc}"}
    return {"ok": True, "predictions": [int(v) for v in preds]}


def write_result(path: Path, doc: dict[str, Any]) -> None:
    """Write one result atomically (the parent reads only complete files)."""
    if "reason" in doc:
        doc["reason"] = clip_message(doc["reason"])
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)


def _worker(bundles: Sequence[str], data: str, out: str) -> int:
    announce = os.fdopen(os.dup(1), "w")  # the parent reads "start K" lines here; stray prints go to stderr
    os.dup2(2, 1)
    try:
        loaded: Any = read_worker_data(data)
    except DataError as exc:
        loaded = f"cannot read the test data: {exc}"
    for k, bundle in enumerate(bundles):
        announce.write(f"start {k}\n")
        announce.flush()
        doc = score_one(bundle, loaded) if not isinstance(loaded, str) else {"ok": False, "reason": loaded}
        write_result(Path(out) / f"{k}.json", doc)
    return 0


def _load_fitting(bundle: str, train_df: pd.DataFrame, schema: Schema) -> tuple[Any, str]:
    """``(forecaster, "")`` for a bundle that loads and fits the competition, else ``(None, reason)``."""
    from .bundle import load_bundle
    from .errors import BundleError

    try:
        fc = load_bundle(bundle)
    except BundleError as exc:
        return None, f"invalid bundle: {exc}"
    except MemoryError:
        raise
    except Exception as exc:  # load_bundle turns every foreseen problem into BundleError; this is the last resort
        return None, f"invalid bundle: {type(exc).__name__}: {exc}"
    problems = fit_problems(fc.spec, schema, len(train_df), target=fc.target, feature_columns=fc.feature_columns)
    if problems:
        return None, "bundle does not fit the competition: " + "; ".join(problems)
    return fc, ""


def main(argv: Sequence[str] | None = None) -> int:
    """Worker entry point: ``python -m ml_models.scoring --data DIR --out DIR --bundle B [--bundle B ...]``."""
    p = argparse.ArgumentParser(prog="python -m ml_models.scoring_worker",
                                description="Forecast the test rows with each bundle, in integers, and write OUT/K.json "
                                            "for the K-th bundle (used by score_bundles).")
    p.add_argument("--bundle", action="append", required=True, help="submission bundle folder (repeat for several)")
    p.add_argument("--data", required=True, help="folder with train.csv, test.csv and schema.json")
    p.add_argument("--out", required=True, help="folder for the JSON results")
    a = p.parse_args(argv)
    return _worker(a.bundle, a.data, a.out)


if __name__ == "__main__":
    sys.exit(main())
