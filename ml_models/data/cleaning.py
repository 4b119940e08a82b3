"""Cleaning: validate a raw series and put it on a regular time grid.

:func:`clean_series` puts the series on a regular grid of its frequency. Missing values and
missing timestamps are filled by time interpolation when a run of them is at most ``max_gap``
steps long (the count is recorded in :class:`CleaningReport` and in
:attr:`~ml_models.data.Schema.filled_rows`); a longer gap is a :class:`~ml_models.errors.DataError`.
Missing values at the very start or end are dropped (counted in ``dropped_rows``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from .sources import DATE_COLUMN

__all__ = ["MAX_ABS_VALUE", "CleaningReport", "clean_series", "season_for"]

#: The largest magnitude a column may reach. Scores are computed exactly in fixed point (Q39.24:
#: ``ml_models.intinfer``), which holds values below 2**38 (2.7e11); this leaves room for the scaler's
#: statistics and for test values beyond the training range. Larger input columns are rescaled by
#: powers of 1000 (and renamed, e.g. ``market_cap_e3``); a larger target is refused.
MAX_ABS_VALUE = 1e10


@dataclass
class CleaningReport:
    """What :func:`clean_series` changed."""

    frequency: str
    filled_rows: int = 0  # values filled by interpolation (missing values or timestamps)
    dropped_rows: int = 0  # rows dropped at the start/end because they had missing values
    n_rows: int = 0
    rescaled: dict[str, tuple[str, int]] = field(default_factory=dict)  # old name -> (new name, power of 10)


def clean_series(
    df: pd.DataFrame,
    *,
    target: str,
    columns: Sequence[str] | None = None,
    freq: str | None = None,
    max_gap: int = 8,
    min_rows: int = 10,
) -> tuple[pd.DataFrame, CleaningReport]:
    """Validate and regularise a raw series; return ``(clean_df, report)``.

    ``columns`` are the input columns (default: just ``target``; the target is always included
    and comes first). ``freq`` is a pandas offset alias; by default it is inferred. Non-numeric
    values, duplicate or off-grid timestamps, gaps longer than ``max_gap`` steps and fewer than
    ``min_rows`` rows are each a :class:`DataError`. An input column whose values reach
    :data:`MAX_ABS_VALUE` is divided by the smallest power of 1000 that brings it below, and
    renamed ``<name>_e<k>`` (``report.rescaled``); a target that large is a :class:`DataError`.
    """
    cols = [target] + [c for c in (columns or []) if c != target]
    out = _select_sorted(df, cols)
    for c in cols:
        out[c] = _as_float(out[c], c)
    if len(out) < 3:
        raise DataError(f"only {len(out)} row(s); need at least {max(min_rows, 3)} rows")
    freq = freq or _infer_freq(out.index)
    out = _on_grid(out, freq)
    out, dropped = _trim_incomplete_edges(out)
    filled = 0
    for c in cols:
        out[c], n = _fill_gaps(out[c], c, max_gap, freq)
        filled += n
    if len(out) < min_rows:
        raise DataError(f"only {len(out)} row(s) after cleaning; need at least {min_rows}; load a longer range")
    out.index.freq = None
    out, rescaled = _rescale_large(out, target)
    return out, CleaningReport(frequency=freq, filled_rows=filled, dropped_rows=dropped, n_rows=len(out),
                               rescaled=rescaled)


def _rescale_large(out: pd.DataFrame, target: str) -> tuple[pd.DataFrame, dict[str, tuple[str, int]]]:
    rescaled: dict[str, tuple[str, int]] = {}
    for c in list(out.columns):
        peak = float(out[c].abs().max())
        if peak < MAX_ABS_VALUE:
            continue
        if c == target:
            raise DataError(f"the target {c!r} reaches {peak:.3g}, and scores are computed exactly in a fixed-point "
                            f"format that holds values below {MAX_ABS_VALUE:.0e}: express it in larger units in the "
                            "source (e.g. thousands), or choose another --target")
        k = 3
        while peak / 10.0**k >= MAX_ABS_VALUE:
            k += 3
        new = f"{c}_e{k}"
        if new in out.columns:
            raise DataError(f"column {c!r} (values up to {peak:.3g}) must be rescaled to {new!r}, "
                            "which is already a column name: rename one of them")
        out[c] = out[c] / 10.0**k
        out = out.rename(columns={c: new})
        rescaled[c] = (new, k)
    return out, rescaled


def _select_sorted(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The columns ``cols`` of ``df`` on a naive (UTC) index sorted by time, with no NaT or duplicates."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}; load data with load_series()")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError("the index is not a DatetimeIndex; load data with load_series() or set a date index first")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the data; available columns: {list(df.columns)}")
    out = df[cols].copy()
    if out.index.tz is not None:
        out.index = out.index.tz_convert("UTC").tz_localize(None)
    if out.index.hasnans:
        raise DataError("some timestamps are missing (NaT); drop those rows or fix the date column")
    out = out.sort_index(kind="stable")
    dup = out.index[out.index.duplicated()]
    if len(dup):
        raise DataError(f"{len(dup)} duplicate timestamp(s), first {dup[0]}; aggregate or drop duplicates first")
    return out


def _as_float(s: pd.Series, name: str) -> pd.Series:
    """``s`` as float64 with non-finite values as NaN; text that is not a number is a :class:`DataError`."""
    if s.dtype == bool or not pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s.where(s.notna(), None), errors="coerce")
        bad = num.isna() & s.notna() & (s.astype(str).str.strip() != "")
        if bad.any():
            first = bad[bad].index[0]
            raise DataError(
                f"column {name!r} has {int(bad.sum())} non-numeric value(s), first {_short(s[first])} at {first}; "
                "fix or remove them (empty cells count as missing and are interpolated)"
            )
        s = num
    s = s.astype("float64")
    return s.where(np.isfinite(s), np.nan)


def _short(value: object, limit: int = 60) -> str:
    """The repr of a cell, cut to ``limit`` characters of its text (a cell may be 4096 characters long)."""
    return repr(value) if len(str(value)) <= limit else repr(str(value)[:limit]) + "..."


def _on_grid(out: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Reindex onto the regular grid of ``freq`` from the first timestamp; off-grid timestamps are an error."""
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as exc:
        raise DataError(f"frequency {freq!r} is not a pandas offset alias (e.g. 'D', 'W-SAT', '30min', 'B')") from exc
    grid = pd.date_range(out.index[0], out.index[-1], freq=offset, name=DATE_COLUMN)
    off_grid = out.index.difference(grid)
    if len(off_grid):
        raise DataError(
            f"{len(off_grid)} timestamp(s) are not on the {freq!r} grid starting {out.index[0]} (first {off_grid[0]}); "
            "resample the data to one frequency first or pass the right freq="
        )
    return out.reindex(grid)


def _trim_incomplete_edges(out: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop the rows before the first and after the last complete row; return the rest and how many went."""
    complete = out.notna().all(axis=1).to_numpy()
    if not complete.any():
        raise DataError("no row has values in every column; check the column names")
    first, last = int(np.argmax(complete)), len(complete) - 1 - int(np.argmax(complete[::-1]))
    dropped = first + (len(out) - 1 - last)
    return out.iloc[first : last + 1], dropped


def _fill_gaps(s: pd.Series, name: str, max_gap: int, freq: str) -> tuple[pd.Series, int]:
    """Interpolate interior gaps of at most ``max_gap`` steps; return the series and the number of values filled."""
    na = s.isna().to_numpy()
    if not na.any():
        return s, 0
    run, start_i = _longest_run(na)
    if run > max_gap:
        raise DataError(
            f"column {name!r} has a gap of {run} missing step(s) from {s.index[start_i]} (freq {freq!r}); "
            f"max_gap={max_gap}: pass a larger max_gap, or load a range without the gap"
        )
    return s.interpolate(method="time"), int(na.sum())


def _infer_freq(index: pd.DatetimeIndex) -> str:
    with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset
        warnings.simplefilter("ignore")
        inferred = pd.infer_freq(index) if len(index) >= 3 else None
    if inferred:
        return str(getattr(inferred, "freqstr", inferred))
    diffs = pd.Series(index[1:] - index[:-1])
    if diffs.empty:
        raise DataError("cannot infer a frequency from fewer than 2 timestamps; pass freq=")
    step = diffs.mode().iloc[0]
    if step <= pd.Timedelta(0):
        raise DataError("cannot infer a frequency; pass freq= (e.g. 'D')")
    if step == pd.Timedelta(days=1) and all(d.weekday() < 5 for d in index[:200]):
        return "B"
    if step % pd.Timedelta(days=7) == pd.Timedelta(0):
        return f"{step.days // 7}W-{index[0].day_name()[:3].upper()}".lstrip("1")
    return pd.tseries.frequencies.to_offset(step).freqstr


#: Season length by the base of a frequency alias: business days a week, weeks, months, quarters a year.
_SEASON_BY_BASE = {"B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "BM": 12, "BMS": 12, "BME": 12, "SM": 24, "SMS": 24,
                   "Q": 4, "QS": 4, "QE": 4, "BQ": 4, "BQS": 4, "BQE": 4}
#: The longest season derived (the spec allows 10000 steps).
MAX_SEASON = 10_000


def season_for(freq: str) -> tuple[int, str]:
    """The season length that suits data of frequency ``freq``, and what it is (e.g. ``(288, "one day")``,
    ``(1, "non-seasonal")``).

    Under a day: the steps in a day (in an hour if a day is more than :data:`MAX_SEASON` steps);
    daily: 7 (a week); business daily: 5; weekly: 52; monthly: 12; quarterly: 4 (a year);
    yearly or anything else: 1, non-seasonal. A multiple (``2W``) divides the season when it can.
    """
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as exc:
        raise DataError(f"frequency {freq!r} is not a pandas offset alias (e.g. 'D', 'W-SAT', '30min', 'B')") from exc
    if isinstance(offset, pd.offsets.Tick):
        step = pd.Timedelta(offset)
        for span, what in ((pd.Timedelta(days=1), "one day"), (pd.Timedelta(hours=1), "one hour")):
            if step < span and span % step == pd.Timedelta(0) and span // step <= MAX_SEASON:
                return int(span // step), what
        if step == pd.Timedelta(days=1):
            return 7, "one week"
        return 1, "non-seasonal"
    base = offset.name.split("-")[0]
    season = _SEASON_BY_BASE.get(base, 1)
    if season > 1 and season % offset.n == 0:
        return season // offset.n, "one week" if base == "B" else "one year"
    return 1, "non-seasonal"


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    best, best_start, cur, cur_start = 0, 0, 0, 0
    for i, m in enumerate(mask):
        if m:
            if cur == 0:
                cur_start = i
            cur += 1
            if cur > best:
                best, best_start = cur, cur_start
        else:
            cur = 0
    return best, best_start
