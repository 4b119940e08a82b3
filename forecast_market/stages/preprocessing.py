"""Stage 1, organizer: fetch one or more time series, join them on time, clean, split by time,
publish the training bundle on IPFS and keep the test bundle private (only its CID is computed).

Writes ``<out>/train/`` (train.csv + schema.json, published), ``<out>/test/`` (kept private) and
``<out>/dataset.json`` (the data CID, the test CID, the task). Every choice made for the organizer
(which columns were kept, the season, the window, the rows the join dropped) is printed, and a
window, horizon or season no model could be trained with is refused before anything is written.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..artifacts import check_downloadable, publish_folder, store, write_json
from ..errors import SettingsError

DEFAULT_SOURCE = "statsmodels:co2"
#: The window when none is given (raised to what the season needs).
DEFAULT_SEQUENCE_LENGTH = 52
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


@dataclass(frozen=True)
class TaskOptions:
    """How the series becomes a task; the defaults are the CLI's."""

    target: str | None = None
    test_size: float = 0.2
    sequence_length: int | None = None  # None: DEFAULT_SEQUENCE_LENGTH, or what the season needs if more
    horizon: int = 1
    task: str = "regression"
    season: int | None = None  # None: from the frequency (ml_models.data.cleaning.season_for)
    max_gap: int = 26
    features: str | Sequence[str] | None = None  # None: the target only; "all"; or column names
    header: bool | None = None  # CSV sources: None detects a header row
    columns: Sequence[str] | None = None  # CSV sources without a header: the column names
    date_column: str | None = None


DEFAULTS = TaskOptions()


def parse_sources(sources: str | Sequence[str]) -> dict[str, str]:
    """``["btc=csv:btc.csv", ...]`` (or one source) as ``{name: source}``; a bare path is a CSV.

    One source needs no name (its columns keep theirs; the name is ""); with several, each column
    is prefixed by its source's name, which defaults to a CSV file's stem.
    """
    items = [sources] if isinstance(sources, str) else list(sources)
    if not items:
        raise SettingsError(f"give a source, e.g. {DEFAULT_SOURCE} or csv:/path/file.csv")
    out: dict[str, str] = {}
    for item in items:
        name, sep, src = item.partition("=")
        if not sep or ":" in name or "/" in name:
            name, src = "", item
        if ":" not in src.split("/")[0]:
            src = f"csv:{src}"  # a bare path
        if len(items) > 1 and not name:
            name = Path(src.partition(":")[2]).stem if src.startswith("csv:") else ""
            if not name:
                raise SettingsError(f"name source {item!r} to join it with the others, e.g. btc={item}")
        if name and not _NAME.fullmatch(name):
            raise SettingsError(f"source name {name!r} must be a letter then letters, digits or _ (at most 32); "
                                "it prefixes the source's columns")
        if name in out:
            raise SettingsError(f"two sources are named {name!r}; give each its own name, e.g. btc=... eth=...")
        out[name] = src
    return out


def load_joined(sources: dict[str, str], opts: TaskOptions, *, min_rows: int = 10):
    """The sources loaded and, when several, inner-joined on time (columns prefixed ``name_``)."""
    from ml_models.data import join_on_time, load_series

    frames = {}
    for name, src in sources.items():
        df = load_series(src, date_column=opts.date_column, header=opts.header,
                         columns=list(opts.columns) if opts.columns else None)
        if src.startswith("csv:") and not df.attrs.get("header", True):
            print(f"{src[4:]}: no header row; columns {', '.join(df.attrs['names'])} "
                  f"({'from --columns' if opts.columns else 'pass --columns to name them'}), "
                  f"time from {', '.join(df.attrs['time'])}")
        frames[name] = df
    if len(frames) == 1 and "" in frames:
        return frames[""]
    df, report = join_on_time(frames, min_rows=min_rows)
    print(report.summary())
    return df


def choose_columns(available: list[str], target: str | None, features) -> tuple[str, list[str]]:
    """The target and the input columns (target first); prints which columns are kept and dropped."""
    target = target or available[0]
    if target not in available:
        raise SettingsError(f"target column {target!r} is not in the data; columns: {', '.join(available)}")
    if features is None:
        wanted = []
    elif isinstance(features, str) and features.strip().lower() == "all":
        wanted = list(available)
    else:
        wanted = [c.strip() for c in (features.split(",") if isinstance(features, str) else features) if c.strip()]
        missing = [c for c in wanted if c not in available]
        if missing:
            raise SettingsError(f"feature column(s) {', '.join(missing)} not in the data; columns: {', '.join(available)}")
    kept = [target] + [c for c in dict.fromkeys(wanted) if c != target]
    dropped = [c for c in available if c not in kept]
    print(f"columns kept: {', '.join(kept)} (target {target})"
          + (f"; dropped: {', '.join(dropped)} (pass --features all, or --features with the names, to keep them)"
             if dropped else ""))
    return target, kept


def task_shape(frequency: str, opts: TaskOptions, n_train: int) -> tuple[int, int]:
    """The season and the window: given, or derived (and printed); a derived window is at most
    what ``n_train`` training rows can hold."""
    import math

    from ml_models.data import largest_sequence_length, season_for

    season = opts.season
    if season is None:
        season, what = season_for(frequency)
        print(f"season {season} steps ({what} of {frequency!r} data); pass --season to change it" if season > 1
              else f"season 1 ({what} {frequency!r} data); pass --season to change it")
    length = opts.sequence_length
    if length is None:
        need = season * math.ceil(opts.horizon / season) - opts.horizon + 1  # the seasonal naive baseline's look-back
        length, room = max(DEFAULT_SEQUENCE_LENGTH, need), largest_sequence_length(n_train, opts.horizon)
        why = " (one season, so the seasonal naive baseline can run)" if length > DEFAULT_SEQUENCE_LENGTH else ""
        if need <= room < length:
            length, why = room, f" (the most {n_train} training rows can hold)"
        print(f"sequence length {length} steps{why}; pass --sequence-length to change it")
    return season, length


def preprocess(source: str | Sequence[str] = DEFAULT_SOURCE, out_dir: str | Path = "out/dataset", **options) -> dict:
    """Fetch, join, clean, split and publish ``source`` (one source, or ``name=source`` items to join on
    time); ``options`` are :class:`TaskOptions` fields."""
    import pandas as pd

    from ml_models import Schema, clean_series, split_by_time, write_dataset_bundle
    from ml_models.data import MAX_ABS_VALUE, check_task_fits

    opts = TaskOptions(**options)
    out = Path(out_dir)
    sources = parse_sources(source)
    if (opts.header is not None or opts.columns or opts.date_column) and not any(
            s.startswith("csv:") for s in sources.values()):
        raise SettingsError("--header, --no-header, --columns and --date-column are for CSV sources; "
                            f"{', '.join(sources.values())} is not one")
    df = load_joined(sources, opts)
    target, columns = choose_columns([str(c) for c in df.columns], opts.target, opts.features)
    df, report = clean_series(df, target=target, columns=columns, max_gap=opts.max_gap)
    for old, (new, k) in report.rescaled.items():
        print(f"rescaled: {old} -> {new} (divided by 1e{k}: its values reach beyond {MAX_ABS_VALUE:.0e}, "
              "more than exact integer scoring holds)")
    columns = [report.rescaled.get(c, (c, 0))[0] for c in columns]
    if report.filled_rows or report.dropped_rows:
        print(f"cleaning: {report.filled_rows} missing value(s) interpolated, {report.dropped_rows} incomplete row(s) "
              "dropped at the ends")
    split = split_by_time(df, test_size=opts.test_size)
    n_train = len(split.train) + len(split.val)
    season, length = task_shape(report.frequency, opts, n_train)
    check_task_fits(n_train, length, opts.horizon, season)
    label = " ".join(f"{n}={s}" if n else s for n, s in sources.items())
    schema = Schema.from_split(split, target=target, frequency=report.frequency, sequence_length=length,
                               horizon=opts.horizon, task=opts.task, source=label, season=season, report=report)
    train_df = pd.concat([split.train, split.val])
    write_dataset_bundle(out / "train", train_df, schema, part="train")
    write_dataset_bundle(out / "test", split.test, schema, part="test")
    check_downloadable(out / "test")  # published at the test-set reveal; the training bundle is checked now
    data_cid, data_sha = publish_folder(out / "train")
    test_cid = store().folder_cid(out / "test")
    info = {"source": label, "data_cid": data_cid, "data_sha256": data_sha, "test_cid": test_cid,
            "train_dir": str((out / "train").resolve()), "test_dir": str((out / "test").resolve()),
            "schema": schema.to_dict()}
    write_json(out / "dataset.json", info)
    print(f"dataset from {label}: {len(train_df)} training rows of {len(columns)} column(s) published as {data_cid}; "
          f"{len(split.test)} test rows kept private in {out / 'test'} (CID {test_cid})")
    return info
