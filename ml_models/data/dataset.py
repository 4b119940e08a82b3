"""Time splits, the dataset schema (``schema.json``) and dataset bundles (``<part>.csv`` + ``schema.json``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from .._strict_json import loads_strict
from ..errors import DataError, clip_message
from .cleaning import CleaningReport, clean_series
from .csvfile import capped
from .sources import DATE_COLUMN, _load_csv

__all__ = ["Schema", "Split", "read_dataset_bundle", "split_by_time", "write_dataset_bundle"]

TASKS = ("regression", "direction")
SCHEMA_VERSION = 1
MAX_SCHEMA_BYTES = 1024 * 1024


@dataclass
class Split:
    """Contiguous, time-ordered parts of one series (``val`` may be empty)."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


def split_by_time(
    df: pd.DataFrame,
    *,
    test_size: float | None = 0.2,
    val_size: float = 0.0,
    test_start: str | pd.Timestamp | None = None,
    val_start: str | pd.Timestamp | None = None,
    min_rows: int = 1,
) -> Split:
    """Split by time: ``train`` < ``val`` < ``test``; never shuffles.

    Give either fractions of the rows (``test_size``, ``val_size``) or dates (``test_start``,
    ``val_start``: the first timestamp of that part). ``min_rows`` is the least number of rows
    the train and test parts may hold.
    """
    n = len(df)
    if not df.index.is_monotonic_increasing:
        raise DataError("the index is not sorted by time; clean the data with clean_series() first")
    if test_start is not None:
        i_test = int(df.index.searchsorted(pd.Timestamp(test_start)))
    else:
        if test_size is None or not 0 < float(test_size) < 1:
            raise DataError(f"test_size={test_size!r} must be a fraction in (0, 1), or pass test_start=")
        i_test = n - int(round(n * float(test_size)))
    if val_start is not None:
        i_val = int(df.index.searchsorted(pd.Timestamp(val_start)))
    else:
        if not 0 <= float(val_size) < 1:
            raise DataError(f"val_size={val_size!r} must be a fraction in [0, 1)")
        i_val = i_test - int(round(n * float(val_size)))
    if not 0 < i_val <= i_test < n:
        raise DataError(f"split points give train/val/test sizes {i_val}/{i_test - i_val}/{n - i_test} of {n} rows; every part but val must be non-empty")
    if i_val < min_rows or n - i_test < min_rows:
        raise DataError(f"split gives {i_val} train and {n - i_test} test rows; need at least {min_rows} each: load more data or change the split")
    return Split(train=df.iloc[:i_val], val=df.iloc[i_val:i_test], test=df.iloc[i_test:])


@dataclass
class Schema:
    """Describes a dataset bundle (``schema.json``); the same schema goes with train and test."""

    columns: list[str]
    target: str
    frequency: str
    sequence_length: int
    horizon: int
    task: str = "regression"
    source: str = ""
    season: int = 1
    train_start: str | None = None
    train_end: str | None = None
    test_start: str | None = None
    test_end: str | None = None
    n_train: int = 0
    n_test: int = 0
    filled_rows: int = 0
    dropped_rows: int = 0
    version: int = SCHEMA_VERSION

    def validate(self) -> Schema:
        """Check field types and values; return self. Raises :class:`DataError`."""
        if not isinstance(self.columns, list) or not self.columns or not all(isinstance(c, str) and c for c in self.columns):
            raise DataError(clip_message(f"schema columns {self.columns!r:.200} must be a non-empty list of names"))
        if not isinstance(self.target, str) or self.target not in self.columns:
            raise DataError(clip_message(f"schema target {self.target!r:.80} is not among columns {self.columns}"))
        if not isinstance(self.task, str) or self.task not in TASKS:
            raise DataError(f"schema task {self.task!r:.40} unknown; expected one of {TASKS}")
        for name in ("sequence_length", "horizon", "season"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise DataError(f"schema {name}={v!r} must be a positive integer")
        if not isinstance(self.frequency, str) or not 0 < len(self.frequency) <= 32:
            raise DataError("schema frequency must be a pandas offset alias such as 'D' or 'W-SAT'")
        for name in ("n_train", "n_test", "filled_rows", "dropped_rows"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise DataError(f"schema {name} must be a non-negative integer")
        if self.version != SCHEMA_VERSION:
            raise DataError(f"schema version {self.version!r} unsupported; this code reads version {SCHEMA_VERSION}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Schema:
        if not isinstance(d, Mapping):
            raise DataError("schema must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k)[:40] for k in set(d) - known)
        if unknown:
            raise DataError(clip_message(f"unknown schema field(s) {unknown[:5]}; allowed: {sorted(known)}"))
        try:
            return cls(**dict(d)).validate()
        except TypeError as exc:
            raise DataError(f"schema is incomplete: {exc}") from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> Schema:
        raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
        with capped():
            return cls.from_dict(loads_strict(raw, what="schema.json", error=DataError, max_bytes=MAX_SCHEMA_BYTES, max_depth=4))

    @classmethod
    def from_split(cls, split: Split, *, target: str, frequency: str, sequence_length: int, horizon: int,
                   task: str = "regression", source: str = "", season: int = 1,
                   report: CleaningReport | None = None) -> Schema:
        """Describe a :class:`Split` (``train`` and ``val`` together form the published train part)."""
        train = pd.concat([split.train, split.val])
        fmt = lambda ts: pd.Timestamp(ts).isoformat()  # noqa: E731
        return cls(
            columns=list(train.columns), target=target, frequency=frequency,
            sequence_length=int(sequence_length), horizon=int(horizon), task=task, source=source, season=int(season),
            train_start=fmt(train.index[0]), train_end=fmt(train.index[-1]),
            test_start=fmt(split.test.index[0]) if len(split.test) else None,
            test_end=fmt(split.test.index[-1]) if len(split.test) else None,
            n_train=len(train), n_test=len(split.test),
            filled_rows=report.filled_rows if report else 0, dropped_rows=report.dropped_rows if report else 0,
        ).validate()


_BUNDLE_FILES = {"train": "train.csv", "test": "test.csv"}


def write_dataset_bundle(folder: str | Path, df: pd.DataFrame, schema: Schema, *, part: str = "train") -> Path:
    """Write ``<part>.csv`` (``part`` is "train" or "test") and ``schema.json`` into ``folder``."""
    if part not in _BUNDLE_FILES:
        raise DataError(f"part {part!r} unknown; expected 'train' or 'test'")
    schema.validate()
    if list(df.columns) != schema.columns:
        raise DataError(f"data columns {list(df.columns)} differ from schema columns {schema.columns}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = df.copy()
    out.index = out.index.strftime("%Y-%m-%dT%H:%M:%S")
    out.index.name = DATE_COLUMN
    out.to_csv(folder / _BUNDLE_FILES[part], float_format=None, lineterminator="\n")
    (folder / "schema.json").write_text(schema.to_json() + "\n")
    return folder


def read_dataset_bundle(folder: str | Path, *, part: str | None = None) -> tuple[pd.DataFrame, Schema]:
    """Read a dataset bundle written by :func:`write_dataset_bundle`; checks it against its schema."""
    with capped():
        return _read_dataset_bundle(Path(folder), part)


def _read_dataset_bundle(folder: Path, part: str | None) -> tuple[pd.DataFrame, Schema]:
    sp = folder / "schema.json"
    if not sp.is_file():
        raise DataError(f"{folder} has no schema.json; is it a dataset bundle?")
    with open(sp, "rb") as f:
        schema = Schema.from_json(f.read(MAX_SCHEMA_BYTES + 1))
    if part is None:
        present = [p for p, f in _BUNDLE_FILES.items() if (folder / f).is_file()]
        if len(present) != 1:
            raise DataError(f"{folder} holds {present or 'no'} data file(s); pass part='train' or 'test'")
        part = present[0]
    df = _load_csv(folder / _BUNDLE_FILES[part], DATE_COLUMN)
    if list(df.columns) != schema.columns:
        raise DataError(f"{_BUNDLE_FILES[part]} columns {list(df.columns)} differ from schema.json columns {schema.columns}")
    expected = schema.n_train if part == "train" else schema.n_test
    if expected and len(df) != expected:
        raise DataError(f"{_BUNDLE_FILES[part]} has {len(df)} rows but schema.json says {expected}; the bundle is incomplete")
    clean, _ = clean_series(df, target=schema.target, columns=schema.columns, freq=schema.frequency, max_gap=0, min_rows=1)
    return clean, schema
