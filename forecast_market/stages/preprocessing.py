"""Stage 1, organizer: fetch a time series, clean it, split it by time, publish the training
bundle on IPFS and keep the test bundle private (only its CID is computed).

Writes ``<out>/train/`` (train.csv + schema.json, published), ``<out>/test/`` (kept private) and
``<out>/dataset.json`` (the data CID, the test CID, the task).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..artifacts import check_downloadable, publish_folder, store, write_json

DEFAULT_SOURCE = "statsmodels:co2"


@dataclass(frozen=True)
class TaskOptions:
    """How the series becomes a task; the defaults are the CLI's."""

    target: str | None = None
    test_size: float = 0.2
    sequence_length: int = 52
    horizon: int = 1
    task: str = "regression"
    season: int = 52
    max_gap: int = 26


DEFAULTS = TaskOptions()


def preprocess(source: str = DEFAULT_SOURCE, out_dir: str | Path = "out/dataset", **options) -> dict:
    """Fetch, clean, split and publish ``source``; ``options`` are :class:`TaskOptions` fields."""
    import pandas as pd

    from ml_models import Schema, clean_series, load_series, split_by_time, write_dataset_bundle

    opts = TaskOptions(**options)
    out = Path(out_dir)
    df = load_series(source)
    target = opts.target or df.columns[0]
    df, report = clean_series(df, target=target, max_gap=opts.max_gap)
    split = split_by_time(df, test_size=opts.test_size)
    schema = Schema.from_split(split, target=target, frequency=report.frequency, sequence_length=opts.sequence_length,
                               horizon=opts.horizon, task=opts.task, source=source, season=opts.season, report=report)
    train_df = pd.concat([split.train, split.val])
    write_dataset_bundle(out / "train", train_df, schema, part="train")
    write_dataset_bundle(out / "test", split.test, schema, part="test")
    check_downloadable(out / "test")  # published at the test-set reveal; the training bundle is checked now
    data_cid, data_sha = publish_folder(out / "train")
    test_cid = store().folder_cid(out / "test")
    info = {"source": source, "data_cid": data_cid, "data_sha256": data_sha, "test_cid": test_cid,
            "train_dir": str((out / "train").resolve()), "test_dir": str((out / "test").resolve()),
            "schema": schema.to_dict()}
    write_json(out / "dataset.json", info)
    print(f"dataset from {source}: {len(train_df)} training rows published as {data_cid}; "
          f"{len(split.test)} test rows kept private in {out / 'test'} (CID {test_cid})")
    return info
