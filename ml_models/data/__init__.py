"""Time-series data, in the order it is used.

- :mod:`~ml_models.data.sources`: load a raw series (offline datasets, local CSV, HTTP price API);
- :mod:`~ml_models.data.csvfile`: read a CSV that may come from a stranger, with one-line errors;
- :mod:`~ml_models.data.cleaning`: validate it and put it on a regular grid, filling short gaps;
- :mod:`~ml_models.data.dataset`: split it by time, describe it (``Schema``), write and read dataset bundles;
- :mod:`~ml_models.data.windows`: scale it (train rows only) and cut it into windows (the convention is there).
"""

from __future__ import annotations

from .cleaning import CleaningReport, clean_series
from .dataset import Schema, Split, read_dataset_bundle, split_by_time, write_dataset_bundle
from .sources import DATE_COLUMN, SOURCES, PriceAPIClient, load_series
from .windows import SeriesScaler, context_and_targets, make_windows

__all__ = [
    "DATE_COLUMN",
    "SOURCES",
    "CleaningReport",
    "PriceAPIClient",
    "Schema",
    "SeriesScaler",
    "Split",
    "clean_series",
    "context_and_targets",
    "load_series",
    "make_windows",
    "read_dataset_bundle",
    "split_by_time",
    "write_dataset_bundle",
]
