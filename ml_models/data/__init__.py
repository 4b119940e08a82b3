"""Time-series data, in the order it is used.

- :mod:`~ml_models.data.sources`: load a raw series (offline datasets, local CSV, HTTP price API), join several on time;
- :mod:`~ml_models.data.csvfile`: read a CSV that may come from a stranger, with one-line errors;
- :mod:`~ml_models.data.cleaning`: validate it and put it on a regular grid, filling short gaps;
- :mod:`~ml_models.data.dataset`: split it by time, describe it (``Schema``), write and read dataset bundles;
- :mod:`~ml_models.data.windows`: scale it (train rows only) and cut it into windows (the convention is there).
"""

from __future__ import annotations

from .cleaning import MAX_ABS_VALUE, CleaningReport, clean_series, season_for
from .dataset import Schema, Split, read_dataset_bundle, split_by_time, write_dataset_bundle
from .sources import DATE_COLUMN, SOURCES, JoinReport, PriceAPIClient, join_on_time, load_series, parse_times
from .windows import SeriesScaler, check_task_fits, context_and_targets, largest_sequence_length, make_windows

__all__ = [
    "DATE_COLUMN",
    "MAX_ABS_VALUE",
    "SOURCES",
    "CleaningReport",
    "JoinReport",
    "PriceAPIClient",
    "Schema",
    "SeriesScaler",
    "Split",
    "check_task_fits",
    "clean_series",
    "context_and_targets",
    "join_on_time",
    "largest_sequence_length",
    "load_series",
    "make_windows",
    "parse_times",
    "read_dataset_bundle",
    "season_for",
    "split_by_time",
    "write_dataset_bundle",
]
