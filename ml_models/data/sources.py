"""Where raw series come from: offline datasets shipped by installed packages, local CSVs, an HTTP price API.

Every loader returns a DataFrame indexed by a :class:`pandas.DatetimeIndex` named ``date``; the
result is raw (call :func:`~ml_models.data.clean_series` before splitting).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, clip_message
from .csvfile import capped, read_csv_frame

__all__ = ["DATE_COLUMN", "SOURCES", "JoinReport", "PriceAPIClient", "join_on_time", "load_series", "parse_times"]

#: Name of the date index of every loaded series and of the date column of dataset bundles.
DATE_COLUMN = "date"


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


def _pmdarima_datasets(name: str) -> Any:
    try:
        from pmdarima import datasets
    except ImportError as exc:  # optional dependency
        raise DataError(
            f"source 'pmdarima:{name}' needs the pmdarima package: pip install pmdarima==2.1.1; "
            "or use 'statsmodels:co2' / a local CSV"
        ) from exc
    return datasets


def _pmdarima_taylor() -> pd.DataFrame:
    # Half-hourly electricity demand, England and Wales, Mon 5 June - Sun 27 Aug 2000.
    s = _pmdarima_datasets("taylor").load_taylor(as_series=True)
    idx = pd.date_range("2000-06-05", periods=len(s), freq="30min", name=DATE_COLUMN)
    return pd.DataFrame({"demand": s.to_numpy(float)}, index=idx)


def _pmdarima_sunspots() -> pd.DataFrame:
    s = _pmdarima_datasets("sunspots").load_sunspots(as_series=True)  # monthly from Jan 1749
    idx = pd.date_range("1749-01-01", periods=len(s), freq="MS", name=DATE_COLUMN)
    return pd.DataFrame({"sunspots": s.to_numpy(float)}, index=idx)


def _pmdarima_msft() -> pd.DataFrame:
    d = _pmdarima_datasets("msft").load_msft()
    idx = pd.DatetimeIndex(pd.to_datetime(d["Date"]), name=DATE_COLUMN)
    cols = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
    return pd.DataFrame({v: d[k].to_numpy(float) for k, v in cols.items()}, index=idx)


#: Offline dataset sources, ``"<package>:<name>"`` -> loader.
SOURCES: dict[str, Callable[[], pd.DataFrame]] = {
    "statsmodels:co2": _statsmodels_co2,  # weekly, 2,284 rows
    "statsmodels:sunspots": _statsmodels_sunspots,  # yearly, 309 rows
    "statsmodels:macrodata": _statsmodels_macrodata,  # quarterly, 203 rows, 12 columns
    "statsmodels:elnino": _statsmodels_elnino,  # monthly, 732 rows
    "matplotlib:goog": _matplotlib_goog,  # business daily, 1,047 rows, OHLCV
    "pmdarima:taylor": _pmdarima_taylor,  # half-hourly, 4,032 rows (needs pmdarima)
    "pmdarima:sunspots": _pmdarima_sunspots,  # monthly, 2,820 rows (needs pmdarima)
    "pmdarima:msft": _pmdarima_msft,  # daily trading days, 7,983 rows (needs pmdarima)
}

_OFFLINE_HINT = "use a local CSV ('csv:/path/file.csv') or an offline dataset source (e.g. 'statsmodels:co2')"


def load_series(
    source: str,
    *,
    date_column: str | None = None,
    header: bool | None = None,
    columns: list[str] | None = None,
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
      column called date/time/timestamp/datetime/period/year, else the first column). ``header``
      says whether the first row names the columns (None: detected, see
      :func:`~ml_models.data.csvfile.has_header`); ``columns`` names the columns of a file without
      one. Numeric dates are years (with a quarter or month column: those periods), YYYYMMDD or
      Unix times (see :func:`parse_times`); timestamps shared by several rows are an error;
    * ``"coingecko:<asset>"``: daily price and volume of ``asset`` from a CoinGecko-style
      ``/coins/<asset>/market_chart`` endpoint under ``base_url`` (see :class:`PriceAPIClient`).

    The result is raw: call :func:`~ml_models.data.clean_series` before splitting.
    """
    if not isinstance(source, str) or ":" not in source:
        raise DataError(f"source {source!r} is not '<kind>:<name>'; expected one of {sorted(SOURCES)}, 'csv:/path' or 'coingecko:<asset>'")
    kind, _, rest = source.partition(":")
    if source in SOURCES:
        return SOURCES[source]()
    if kind == "csv":
        return _load_csv(Path(rest), date_column, header=header, names=columns)
    if kind == "coingecko":
        client = PriceAPIClient(base_url, timeout=timeout, retries=retries, backoff=backoff)
        return client.market_chart(rest, vs_currency=vs_currency, days=days)
    raise DataError(f"unknown source {source!r}; expected one of {sorted(SOURCES)}, 'csv:/path/file.csv' or 'coingecko:<asset>'")


def _load_csv(path: Path, date_column: str | None, *, header: bool | None = True,
              names: list[str] | None = None) -> pd.DataFrame:
    """Read a local CSV with a date column onto a sorted date index (dataset bundles are read with it too).

    The file is checked by :func:`~ml_models.data.csvfile.read_csv_frame` (``header`` and
    ``names`` are passed on); every error is a one-line :class:`DataError` of at most
    ``MAX_MESSAGE`` characters.
    """
    with capped():
        return _csv_on_dates(path, date_column, header, names)


#: Column names taken as the date column when none is given, in this order.
DATE_NAMES = ("date", "time", "timestamp", "datetime", "period", "year")
#: Column names that, beside a ``year`` date column of integers, give the period within the year.
SUBYEAR_NAMES = {"quarter": "Q", "qtr": "Q", "q": "Q", "month": "M", "mon": "M", "m": "M"}


def _csv_on_dates(path: Path, date_column: str | None, header: bool | None, names: list[str] | None) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"CSV file {str(path)!r} does not exist; give an existing path as 'csv:/path/file.csv'")
    df = read_csv_frame(path, header=header, names=names)
    if df.shape[1] < 2:
        raise DataError(f"CSV {str(path)!r} has {df.shape[1]} column(s); it needs a date column and at least one value column")
    if date_column is None:
        lower = {str(c).lower(): c for c in df.columns}
        date_column = next((lower[k] for k in DATE_NAMES if k in lower), df.columns[0])
    if date_column not in df.columns:
        raise DataError(f"date column {date_column!r} not in CSV {str(path)!r}; available columns: {list(df.columns)}")
    idx, used = parse_times(df, date_column, what=repr(str(path)))
    first_line = 2 if df.attrs.get("header", True) else 1
    dup = idx.duplicated(keep=False)
    if dup.any():
        lines = [int(i) + first_line for i in np.flatnonzero(dup)[:6]]
        raise DataError(f"{int(dup.sum())} rows of {str(path)!r} share a timestamp after parsing column {date_column!r} "
                        f"(lines {lines}, first {idx[dup][0]}); drop or aggregate the duplicates, or name the right "
                        "date column")
    out = df.drop(columns=used)
    out.index = pd.DatetimeIndex(idx, name=DATE_COLUMN)
    out = out.sort_index(kind="stable")
    out.attrs = {"header": bool(df.attrs.get("header", True)), "names": [str(c) for c in df.columns], "time": used}
    return out


#: Unix epoch units by the size of the numbers: seconds, milliseconds, microseconds, nanoseconds.
_EPOCH_UNITS = ((1e8, 1e11, "s"), (1e11, 1e14, "ms"), (1e14, 1e17, "us"), (1e17, 1e20, "ns"))


def parse_times(df: pd.DataFrame, date_column: str, *, what: str = "the data") -> tuple[pd.DatetimeIndex, list[str]]:
    """The timestamps in ``df[date_column]``; return them and the columns they were read from.

    Text is parsed as dates (time zones converted to naive UTC). Whole numbers are read by size:
    1..9999 are years (with a ``quarter`` or ``month`` column beside them, those periods; each
    period stands for its first day), 8 digits are YYYYMMDD, and larger ones are Unix times in
    seconds, milliseconds, microseconds or nanoseconds. Other numbers are an error.
    """
    col = df[date_column]
    if pd.api.types.is_bool_dtype(col):
        raise DataError(f"column {date_column!r} of {what} holds true/false values, not dates; pass the date column")
    if pd.api.types.is_numeric_dtype(col):
        return _numeric_times(df, date_column, what)
    try:
        idx = pd.to_datetime(col, utc=False)
        if getattr(idx.dt, "tz", None) is not None:
            idx = idx.dt.tz_convert("UTC").dt.tz_localize(None)
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:
        raise DataError(f"column {date_column!r} of {what} does not parse as dates ({clip_message(exc, 120)}); "
                        "pass the name of the date column (--date-column)") from None
    return pd.DatetimeIndex(idx), [date_column]


def _numeric_times(df: pd.DataFrame, date_column: str, what: str) -> tuple[pd.DatetimeIndex, list[str]]:
    v = df[date_column].to_numpy(dtype="float64")
    if not np.isfinite(v).all() or (v != np.round(v)).any():
        raise DataError(f"column {date_column!r} of {what} holds numbers that are not whole (or are missing); "
                        "a numeric date column holds years, YYYYMMDD or Unix times")
    lo, hi = float(v.min()), float(v.max())
    if 1 <= lo and hi <= 9999:
        return _years(df, date_column, v.astype("int64"), what)
    if 1e7 <= lo and hi < 1e8:
        try:
            return pd.DatetimeIndex(pd.to_datetime(v.astype("int64").astype(str), format="%Y%m%d")), [date_column]
        except ValueError:
            pass
    for low, high, unit in _EPOCH_UNITS:
        if low <= lo and hi < high:
            return pd.DatetimeIndex(pd.to_datetime(v.astype("int64"), unit=unit)), [date_column]
    raise DataError(f"column {date_column!r} of {what} holds numbers from {lo:g} to {hi:g}, which are neither years "
                    "(1-9999), YYYYMMDD dates nor Unix times of one unit; convert it to dates or pass --date-column")


def _years(df: pd.DataFrame, date_column: str, years: np.ndarray, what: str) -> tuple[pd.DatetimeIndex, list[str]]:
    lo, hi = pd.Timestamp.min.year + 1, pd.Timestamp.max.year - 1
    if years.min() < lo or years.max() > hi:
        raise DataError(f"column {date_column!r} of {what} holds years from {years.min()} to {years.max()}; "
                        f"timestamps cover {lo} to {hi} only")
    lower = {str(c).lower(): c for c in df.columns if c != date_column}
    sub = next((k for k in SUBYEAR_NAMES if k in lower), None)
    if sub is None:
        return pd.PeriodIndex(years.astype(str), freq="Y").to_timestamp(how="start"), [date_column]
    col = lower[sub]
    per = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64")
    freq, top = SUBYEAR_NAMES[sub], 4 if SUBYEAR_NAMES[sub] == "Q" else 12
    bad = ~np.isfinite(per) | (per != np.round(per)) | (per < 1) | (per > top)
    if bad.any():
        raise DataError(f"column {col!r} of {what} must hold whole numbers 1..{top} beside the year column "
                        f"{date_column!r}; first bad value {df[col].iloc[int(np.argmax(bad))]!r}")
    field = "quarter" if freq == "Q" else "month"
    idx = pd.PeriodIndex.from_fields(year=years, **{field: per.astype("int64")}, freq=freq)
    return idx.to_timestamp(how="start"), [date_column, col]


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


@dataclass
class JoinReport:
    """What :func:`join_on_time` kept: rows of each source, rows after the join, rows each source lost."""

    rows: dict[str, int] = field(default_factory=dict)
    joined: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = ", ".join(f"{n} {self.rows[n]} (-{self.dropped[n]})" for n in self.rows)
        return f"joined {len(self.rows)} sources on time: {self.joined} rows in all of them; rows per source: {parts}"


def join_on_time(frames: Mapping[str, pd.DataFrame], *, min_rows: int = 10) -> tuple[pd.DataFrame, JoinReport]:
    """Inner-join several series on their date index; column ``c`` of source ``name`` becomes ``name_c``.

    Only timestamps present in every source are kept (``JoinReport`` counts what each source
    lost); fewer than ``min_rows`` rows left, or a timestamp repeated within a source, is a
    :class:`DataError` naming the sources.
    """
    if not frames:
        raise DataError("no source to join; give at least one")
    renamed, report = [], JoinReport()
    for name, df in frames.items():
        if not isinstance(df.index, pd.DatetimeIndex):
            raise DataError(f"source {name!r} is not indexed by time; load it with load_series()")
        if df.index.has_duplicates:
            raise DataError(f"source {name!r} repeats timestamp {df.index[df.index.duplicated()][0]}; "
                            "drop or aggregate the duplicates first")
        renamed.append(df.rename(columns=lambda c, n=name: f"{n}_{c}"))
        report.rows[name] = len(df)
    joined = pd.concat(renamed, axis=1, join="inner").sort_index(kind="stable")
    joined.index.name = DATE_COLUMN
    report.joined = len(joined)
    report.dropped = {n: report.rows[n] - len(joined) for n in frames}
    if len(joined) < min_rows:
        spans = "; ".join(f"{n}: {len(d)} rows {_span(d)}" for n, d in frames.items())
        raise DataError(clip_message(
            f"joining on time leaves {len(joined)} row(s) whose timestamp is in every source; need at least "
            f"{min_rows}. The sources must share timestamps (same clock and step): {spans}"))
    return joined, report


def _span(df: pd.DataFrame) -> str:
    return f"from {df.index[0]} to {df.index[-1]}" if len(df) else "(empty)"
