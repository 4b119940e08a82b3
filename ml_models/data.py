"""Time-series data: sources, cleaning, time splits, dataset bundles, scaling and windowing.

Windowing convention (used everywhere in this package)
------------------------------------------------------
A window ending at row ``t`` holds rows ``t - sequence_length + 1 .. t`` of the input columns and
predicts the single target value at row ``t + horizon``. So every target row ``i`` is predicted
exactly once, from data that ends ``horizon`` rows before it (rows ``<= i - horizon``). For the
test period the windows start in the training data (the last ``sequence_length + horizon - 1``
training rows are context); a test value is used as an input only for rows after it, never for
itself, and the predictions cover exactly the test rows.

For ``task="direction"`` the label of row ``i`` is ``1.0`` when ``target[i] > target[i - horizon]``
(the value went up over the horizon) and ``0.0`` otherwise.

Gaps
----
:func:`clean_series` puts the series on a regular grid of its frequency. Missing values and
missing timestamps are filled by time interpolation when a run of them is at most ``max_gap``
steps long (the count is recorded in :class:`CleaningReport` and in :class:`Schema.filled_rows`);
a longer gap is a :class:`DataError`. Missing values at the very start or end are dropped (counted
in ``dropped_rows``).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = [
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

TASKS = ("regression", "direction")
SCHEMA_VERSION = 1
DATE_COLUMN = "date"

# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


def _statsmodels_co2() -> pd.DataFrame:
    from statsmodels.datasets import co2

    df = co2.load_pandas().data  # weekly (W-SAT), 1958-2001, NaNs inside
    df.index = pd.DatetimeIndex(df.index, name=DATE_COLUMN)
    df.index.freq = None
    return df.astype("float64")


def _statsmodels_sunspots() -> pd.DataFrame:
    from statsmodels.datasets import sunspots

    d = sunspots.load_pandas().data
    idx = pd.DatetimeIndex(pd.to_datetime(d["YEAR"].astype(int).astype(str), format="%Y"), name=DATE_COLUMN)
    return pd.DataFrame({"sunactivity": d["SUNACTIVITY"].to_numpy(float)}, index=idx)


def _statsmodels_macrodata() -> pd.DataFrame:
    from statsmodels.datasets import macrodata

    d = macrodata.load_pandas().data
    idx = pd.PeriodIndex.from_fields(year=d["year"].astype(int), quarter=d["quarter"].astype(int), freq="Q")
    out = d.drop(columns=["year", "quarter"]).astype("float64")
    out.index = idx.to_timestamp(how="start").rename(DATE_COLUMN)
    return out


def _statsmodels_elnino() -> pd.DataFrame:
    from statsmodels.datasets import elnino

    d = elnino.load_pandas().data
    months = [c for c in d.columns if c != "YEAR"]
    long = d.melt(id_vars="YEAR", value_vars=months, var_name="month", value_name="temperature")
    long["m"] = long["month"].map({m: i + 1 for i, m in enumerate(months)})
    idx = pd.to_datetime(dict(year=long["YEAR"].astype(int), month=long["m"], day=1))
    out = pd.DataFrame({"temperature": long["temperature"].to_numpy(float)}, index=pd.DatetimeIndex(idx, name=DATE_COLUMN))
    return out.sort_index()


def _matplotlib_goog() -> pd.DataFrame:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "goog.npz"
    with np.load(path, allow_pickle=False) as npz:  # a plain structured array; no pickles
        arr = npz["price_data"]
    idx = pd.DatetimeIndex(arr["date"].astype("datetime64[ns]"), name=DATE_COLUMN)
    cols = ["open", "high", "low", "close", "volume", "adj_close"]
    return pd.DataFrame({c: arr[c].astype("float64") for c in cols}, index=idx)


def _pmdarima(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        try:
            from pmdarima import datasets
        except ImportError as exc:  # optional dependency
            raise DataError(
                f"source 'pmdarima:{name}' needs the pmdarima package: pip install pmdarima==2.1.1; "
                "or use 'statsmodels:co2' / a local CSV"
            ) from exc
        if name == "taylor":
            # Half-hourly electricity demand, England and Wales, Mon 5 June - Sun 27 Aug 2000.
            s = datasets.load_taylor(as_series=True)
            idx = pd.date_range("2000-06-05", periods=len(s), freq="30min", name=DATE_COLUMN)
            return pd.DataFrame({"demand": s.to_numpy(float)}, index=idx)
        if name == "sunspots":
            s = datasets.load_sunspots(as_series=True)  # monthly from Jan 1749
            idx = pd.date_range("1749-01-01", periods=len(s), freq="MS", name=DATE_COLUMN)
            return pd.DataFrame({"sunspots": s.to_numpy(float)}, index=idx)
        if name == "msft":
            d = datasets.load_msft()
            idx = pd.DatetimeIndex(pd.to_datetime(d["Date"]), name=DATE_COLUMN)
            cols = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
            return pd.DataFrame({v: d[k].to_numpy(float) for k, v in cols.items()}, index=idx)
        raise AssertionError(name)

    return load


#: Offline dataset sources, ``"<package>:<name>"`` -> loader.
SOURCES: dict[str, Callable[[], pd.DataFrame]] = {
    "statsmodels:co2": _statsmodels_co2,  # weekly, 2,284 rows
    "statsmodels:sunspots": _statsmodels_sunspots,  # yearly, 309 rows
    "statsmodels:macrodata": _statsmodels_macrodata,  # quarterly, 203 rows, 12 columns
    "statsmodels:elnino": _statsmodels_elnino,  # monthly, 732 rows
    "matplotlib:goog": _matplotlib_goog,  # business daily, 1,047 rows, OHLCV
    "pmdarima:taylor": _pmdarima("taylor"),  # half-hourly, 4,032 rows (needs pmdarima)
    "pmdarima:sunspots": _pmdarima("sunspots"),  # monthly, 2,820 rows (needs pmdarima)
    "pmdarima:msft": _pmdarima("msft"),  # daily trading days, 7,983 rows (needs pmdarima)
}

_OFFLINE_HINT = "use a local CSV ('csv:/path/file.csv') or an offline dataset source (e.g. 'statsmodels:co2')"


def load_series(
    source: str,
    *,
    date_column: str | None = None,
    base_url: str = "https://api.coingecko.com/api/v3",
    vs_currency: str = "usd",
    days: int | str = 365,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
) -> pd.DataFrame:
    """Load a raw time series as a DataFrame indexed by a sorted :class:`pandas.DatetimeIndex`.

    ``source`` is one of:

    * a key of :data:`SOURCES`, e.g. ``"statsmodels:co2"`` or ``"pmdarima:taylor"`` (offline);
    * ``"csv:/path/file.csv"``: a local CSV; ``date_column`` names the date column (default: a
      column called date/time/timestamp/datetime, else the first column);
    * ``"coingecko:<asset>"``: daily price and volume of ``asset`` from a CoinGecko-style
      ``/coins/<asset>/market_chart`` endpoint under ``base_url`` (see :class:`PriceAPIClient`).

    The result is raw: call :func:`clean_series` before splitting.
    """
    if not isinstance(source, str) or ":" not in source:
        raise DataError(f"source {source!r} is not '<kind>:<name>'; expected one of {sorted(SOURCES)}, 'csv:/path' or 'coingecko:<asset>'")
    kind, _, rest = source.partition(":")
    if source in SOURCES:
        return SOURCES[source]()
    if kind == "csv":
        return _load_csv(Path(rest), date_column)
    if kind == "coingecko":
        client = PriceAPIClient(base_url, timeout=timeout, retries=retries, backoff=backoff)
        return client.market_chart(rest, vs_currency=vs_currency, days=days)
    raise DataError(f"unknown source {source!r}; expected one of {sorted(SOURCES)}, 'csv:/path/file.csv' or 'coingecko:<asset>'")


def _load_csv(path: Path, date_column: str | None) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"CSV file {str(path)!r} does not exist; give an existing path as 'csv:/path/file.csv'")
    try:
        df = pd.read_csv(path, comment=None)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot parse CSV {str(path)!r}: {exc}; give a comma-separated file with a header row") from exc
    if df.shape[1] < 2:
        raise DataError(f"CSV {str(path)!r} has {df.shape[1]} column(s); it needs a date column and at least one value column")
    if date_column is None:
        lower = {c.lower(): c for c in df.columns}
        date_column = next((lower[k] for k in ("date", "time", "timestamp", "datetime") if k in lower), df.columns[0])
    if date_column not in df.columns:
        raise DataError(f"date column {date_column!r} not in CSV {str(path)!r}; available columns: {list(df.columns)}")
    try:
        idx = pd.to_datetime(df[date_column], utc=False)
    except (ValueError, TypeError) as exc:
        raise DataError(f"column {date_column!r} of {str(path)!r} does not parse as dates ({exc}); pass date_column= naming the date column") from exc
    if getattr(idx.dt, "tz", None) is not None:
        idx = idx.dt.tz_convert("UTC").dt.tz_localize(None)
    out = df.drop(columns=[date_column])
    out.index = pd.DatetimeIndex(idx, name=DATE_COLUMN)
    return out.sort_index(kind="stable")


class PriceAPIClient:
    """Client for a CoinGecko-style historical price API.

    ``GET {base_url}/coins/{asset}/market_chart?vs_currency=usd&days=365&interval=daily`` answers
    ``{"prices": [[ms, price], ...], "total_volumes": [[ms, volume], ...], ...}``.
    Timeouts, connection errors, HTTP 429 and 5xx are retried ``retries`` times with exponential
    backoff (``backoff * 2**attempt`` seconds, or the server's ``Retry-After`` when smaller than
    30 s); then a :class:`DataError` says the URL cannot be reached and what to do offline.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self._sleep = sleep

    def get_json(self, path: str, params: Mapping[str, Any]) -> Any:
        """GET ``base_url + path`` and decode JSON, with timeouts and retries."""
        import requests

        url = f"{self.base_url}{path}"
        last = "no attempt made"
        for attempt in range(self.retries + 1):
            wait = self.backoff * (2**attempt)
            try:
                resp = requests.get(url, params=dict(params), timeout=self.timeout, headers={"Accept": "application/json"})
            except requests.Timeout as exc:
                last = f"timed out after {self.timeout:g} s ({type(exc).__name__})"
            except requests.ConnectionError as exc:
                last = f"connection failed ({type(exc).__name__}: {str(exc)[:200]})"
            else:
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                    ra = resp.headers.get("Retry-After", "")
                    if ra.isdigit() and int(ra) < 30:
                        wait = max(wait, float(ra))
                elif resp.status_code != 200:
                    raise DataError(f"{url} answered HTTP {resp.status_code}: {resp.text[:200]!r}; check the asset name and parameters")
                else:
                    try:
                        return resp.json()
                    except ValueError as exc:
                        raise DataError(f"{url} did not return JSON ({exc}); check base_url points at a market_chart API") from exc
            if attempt < self.retries:
                self._sleep(wait)
        raise DataError(f"cannot reach {url}: {last} after {self.retries + 1} attempt(s); {_OFFLINE_HINT}")

    def market_chart(self, asset: str, *, vs_currency: str = "usd", days: int | str = 365) -> pd.DataFrame:
        """Daily ``price`` and ``volume`` of ``asset`` as a DataFrame on a date index (UTC days)."""
        if not asset or "/" in asset or "?" in asset:
            raise DataError(f"asset name {asset!r} is invalid; give an API id such as 'bitcoin'")
        payload = self.get_json(f"/coins/{asset}/market_chart", {"vs_currency": vs_currency, "days": days, "interval": "daily"})
        if not isinstance(payload, dict) or "prices" not in payload:
            raise DataError(f"answer for {asset!r} has no 'prices' list; check base_url points at a market_chart API")
        frames = {}
        for key, col in (("prices", "price"), ("total_volumes", "volume")):
            rows = payload.get(key)
            if rows is None:
                continue
            try:
                arr = np.asarray(rows, dtype="float64").reshape(-1, 2)
            except (TypeError, ValueError) as exc:
                raise DataError(f"'{key}' in the answer for {asset!r} is not a list of [ms, value] pairs") from exc
            idx = pd.to_datetime(arr[:, 0], unit="ms").normalize()
            s = pd.Series(arr[:, 1], index=idx)
            frames[col] = s[~s.index.duplicated(keep="last")]  # the API repeats today with "now"
        out = pd.DataFrame(frames)
        out.index.name = DATE_COLUMN
        if out.empty:
            raise DataError(f"the API returned no prices for {asset!r}; check the asset name and 'days'")
        return out.sort_index()


# ---------------------------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------------------------


@dataclass
class CleaningReport:
    """What :func:`clean_series` changed."""

    frequency: str
    filled_rows: int = 0  # values filled by interpolation (missing values or timestamps)
    dropped_rows: int = 0  # rows dropped at the start/end because they had missing values
    n_rows: int = 0


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
    ``min_rows`` rows are each a :class:`DataError`.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}; load data with load_series()")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError("the index is not a DatetimeIndex; load data with load_series() or set a date index first")
    cols = [target] + [c for c in (columns or []) if c != target]
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
    for c in cols:
        s = out[c]
        if s.dtype == bool or not pd.api.types.is_numeric_dtype(s):
            num = pd.to_numeric(s.where(s.notna(), None), errors="coerce")
            bad = num.isna() & s.notna() & (s.astype(str).str.strip() != "")
            if bad.any():
                first = bad[bad].index[0]
                raise DataError(
                    f"column {c!r} has {int(bad.sum())} non-numeric value(s), first {s[first]!r} at {first}; "
                    "fix or remove them (empty cells count as missing and are interpolated)"
                )
            out[c] = num
        out[c] = out[c].astype("float64")
        out.loc[~np.isfinite(out[c]), c] = np.nan
    if len(out) < 3:
        raise DataError(f"only {len(out)} row(s); need at least {max(min_rows, 3)} rows")
    freq = freq or _infer_freq(out.index)
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
    out = out.reindex(grid)
    # Drop incomplete rows at the edges, then check interior gaps.
    complete = out.notna().all(axis=1).to_numpy()
    if not complete.any():
        raise DataError("no row has values in every column; check the column names")
    first, last = int(np.argmax(complete)), len(complete) - 1 - int(np.argmax(complete[::-1]))
    dropped = first + (len(out) - 1 - last)
    out = out.iloc[first : last + 1]
    filled = 0
    for c in cols:
        na = out[c].isna().to_numpy()
        if na.any():
            run = _longest_run(na)
            if run[0] > max_gap:
                start = out.index[run[1]]
                raise DataError(
                    f"column {c!r} has a gap of {run[0]} missing step(s) from {start} (freq {freq!r}); "
                    f"max_gap={max_gap}: pass a larger max_gap, or load a range without the gap"
                )
            filled += int(na.sum())
            out[c] = out[c].interpolate(method="time")
    if len(out) < min_rows:
        raise DataError(f"only {len(out)} row(s) after cleaning; need at least {min_rows}; load a longer range")
    out.index.freq = None
    return out, CleaningReport(frequency=freq, filled_rows=filled, dropped_rows=dropped, n_rows=len(out))


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


# ---------------------------------------------------------------------------------------------
# Splitting and dataset bundles
# ---------------------------------------------------------------------------------------------


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

    def validate(self) -> "Schema":
        """Check field types and values; return self. Raises :class:`DataError`."""
        if not isinstance(self.columns, list) or not self.columns or not all(isinstance(c, str) and c for c in self.columns):
            raise DataError(f"schema columns {self.columns!r} must be a non-empty list of names")
        if self.target not in self.columns:
            raise DataError(f"schema target {self.target!r} is not among columns {self.columns}")
        if self.task not in TASKS:
            raise DataError(f"schema task {self.task!r} unknown; expected one of {TASKS}")
        for name in ("sequence_length", "horizon", "season"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise DataError(f"schema {name}={v!r} must be a positive integer")
        if self.version != SCHEMA_VERSION:
            raise DataError(f"schema version {self.version!r} unsupported; this code reads version {SCHEMA_VERSION}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Schema":
        if not isinstance(d, Mapping):
            raise DataError("schema must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise DataError(f"unknown schema field(s) {unknown}; allowed: {sorted(known)}")
        try:
            return cls(**dict(d)).validate()
        except TypeError as exc:
            raise DataError(f"schema is incomplete: {exc}") from exc

    @classmethod
    def from_json(cls, text: str) -> "Schema":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise DataError(f"schema.json is not valid JSON: {exc}") from exc

    @classmethod
    def from_split(cls, split: Split, *, target: str, frequency: str, sequence_length: int, horizon: int,
                   task: str = "regression", source: str = "", season: int = 1,
                   report: CleaningReport | None = None) -> "Schema":
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
    folder = Path(folder)
    sp = folder / "schema.json"
    if not sp.is_file():
        raise DataError(f"{folder} has no schema.json; is it a dataset bundle?")
    schema = Schema.from_json(sp.read_text())
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


# ---------------------------------------------------------------------------------------------
# Scaling and windowing
# ---------------------------------------------------------------------------------------------


@dataclass
class SeriesScaler:
    """Standardises input columns and the target's ``horizon``-step change; fit on train only.

    Learned: ``mean_`` and ``scale_`` (per column, population std; 1.0 for a constant column),
    ``delta_scale_`` (std of ``target[t + horizon] - target[t]`` in the training data).
    """

    columns: list[str]
    target: str
    horizon: int = 1
    mean_: list[float] = field(default_factory=list)
    scale_: list[float] = field(default_factory=list)
    delta_scale_: float = 1.0

    def fit(self, df: pd.DataFrame) -> "SeriesScaler":
        x = _as_matrix(df, self.columns)
        if len(x) <= self.horizon:
            raise DataError(f"cannot fit a scaler on {len(x)} rows with horizon {self.horizon}; give more training rows")
        mean, std = x.mean(axis=0), x.std(axis=0)
        std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        y = x[:, self.columns.index(self.target)]
        d = y[self.horizon :] - y[: -self.horizon]
        ds = float(d.std())
        self.mean_, self.scale_ = [float(v) for v in mean], [float(v) for v in std]
        self.delta_scale_ = ds if ds > 1e-12 * max(1.0, float(np.abs(y).mean())) else 1.0
        return self

    def _check(self) -> None:
        if len(self.mean_) != len(self.columns):
            raise DataError("the scaler is not fitted; call fit(train_df) first")

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Return the standardised input columns as a float64 matrix (rows x columns)."""
        self._check()
        return (_as_matrix(df, self.columns) - np.asarray(self.mean_)) / np.asarray(self.scale_)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SeriesScaler":
        s = cls(columns=list(d["columns"]), target=str(d["target"]), horizon=int(d["horizon"]),
                mean_=[float(v) for v in d["mean_"]], scale_=[float(v) for v in d["scale_"]],
                delta_scale_=float(d["delta_scale_"]))
        vals = s.mean_ + s.scale_ + [s.delta_scale_]
        if len(s.mean_) != len(s.columns) or len(s.scale_) != len(s.columns) or not all(math.isfinite(v) for v in vals) \
                or min(s.scale_ + [s.delta_scale_]) <= 0 or s.target not in s.columns:
            raise DataError("scaler statistics are inconsistent (lengths, non-finite or non-positive scales)")
        return s


def _as_matrix(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the data; available columns: {list(df.columns)}")
    x = df[list(columns)].to_numpy(dtype="float64")
    if not np.isfinite(x).all():
        raise DataError("the data holds missing or infinite values; run clean_series() first")
    return x


def make_windows(x: np.ndarray, sequence_length: int, horizon: int, *, first_target: int | None = None,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Window a matrix ``x`` (rows x features).

    Returns ``(windows, target_rows)``: ``windows[k]`` holds rows ``t - L + 1 .. t`` with
    ``t = target_rows[k] - horizon``. Targets are rows ``first_target .. len(x) - 1`` (default:
    the first row that has a full window, ``L + horizon - 1``).
    """
    L, h = int(sequence_length), int(horizon)
    n = len(x)
    lo = L + h - 1 if first_target is None else int(first_target)
    if lo < L + h - 1:
        raise DataError(f"target row {lo} has too little context: need {L + h - 1} rows before it (sequence_length {L} + horizon {h} - 1)")
    if n - lo < 1:
        raise DataError(f"{n} rows leave no window of sequence_length {L} and horizon {h}; need at least {L + h} rows")
    targets = np.arange(lo, n)
    ends = targets - h
    idx = ends[:, None] + np.arange(-L + 1, 1)[None, :]
    return x[idx], targets


def context_and_targets(train_df: pd.DataFrame, test_df: pd.DataFrame, *, sequence_length: int, horizon: int
                        ) -> tuple[pd.DataFrame, int]:
    """Frame for forecasting the test rows: the training tail as context, then the test rows.

    Returns ``(frame, n_targets)``: predict the last ``n_targets`` rows of ``frame`` (exactly the
    test rows), each from rows ending ``horizon`` before it.
    """
    need = int(sequence_length) + int(horizon) - 1
    if len(train_df) < need:
        raise DataError(f"the training data has {len(train_df)} rows; the test windows need {need} rows of context")
    if len(test_df) and len(train_df) and test_df.index[0] <= train_df.index[-1]:
        raise DataError("test rows do not come after the training rows; split by time first")
    if list(train_df.columns) != list(test_df.columns):
        raise DataError(f"train columns {list(train_df.columns)} differ from test columns {list(test_df.columns)}")
    return pd.concat([train_df.iloc[len(train_df) - need :], test_df]), len(test_df)
