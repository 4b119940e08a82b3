"""Covariates for the benchmark's series (``python -m ml_models.benchmark --covariates``): extra RNN inputs.

Every feature at row ``t`` uses only what is known when the window ending at ``t`` is forecast
(no look-ahead):

* calendar features describe the *target's* time, ``t + horizon`` rows, which is known in advance
  (a timetable, not an observation): taylor hour of day and day of week, co2 week of the year,
  El Niño month of the year, each as sine and cosine;
* GOOG: the same day's open, high, low and volume, known at the close (row ``t``'s target), as
  the day's range ``log(high / low)``, its move ``log(close / open)`` and ``log(volume)``;
* US unemployment: the previous quarter's real GDP growth, inflation and T-bill rate (lagged one
  quarter: a quarter's national accounts are published after it ends); the first quarters,
  which have no previous one, get 0 (no made-up value from the future);
* sunspots: none (a yearly count with no known driver in the installed data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COVARIATES", "add_covariates", "source_columns"]

#: dataset key -> (raw columns the features are made from, features added)
COVARIATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "taylor": ((), ("hour_sin", "hour_cos", "weekday_sin", "weekday_cos")),
    "co2": ((), ("week_sin", "week_cos")),
    "elnino": ((), ("month_sin", "month_cos")),
    "goog": (("open", "high", "low", "volume"), ("log_range", "log_move", "log_volume")),
    "unemp": (("realgdp", "infl", "tbilrate"), ("gdp_growth_lag1", "infl_lag1", "tbilrate_lag1")),
    "sunspots": ((), ()),
}


def source_columns(key: str) -> list[str]:
    """The raw columns the covariates of ``key`` are made from (to keep when cleaning the series)."""
    return list(COVARIATES.get(key, ((), ()))[0])


def _cycle(df: pd.DataFrame, name: str, phase: np.ndarray) -> None:
    """``name_sin`` and ``name_cos`` of ``phase``, a fraction of the cycle in [0, 1)."""
    df[f"{name}_sin"] = np.sin(2 * np.pi * phase)
    df[f"{name}_cos"] = np.cos(2 * np.pi * phase)


def add_covariates(key: str, df: pd.DataFrame, *, target: str, frequency: str, horizon: int) -> pd.DataFrame:
    """``df`` (cleaned, on a regular ``frequency`` grid) with the covariates of ``key`` added and the raw
    source columns dropped; the rows are unchanged."""
    out = df.copy()
    when = out.index + pd.tseries.frequencies.to_offset(frequency) * horizon  # the target's time
    if key == "taylor":
        _cycle(out, "hour", np.asarray((when.hour * 60 + when.minute) / (24 * 60)))
        _cycle(out, "weekday", np.asarray(when.dayofweek / 7))
    elif key == "co2":
        _cycle(out, "week", np.asarray((when.dayofyear - 1) / 365.25))
    elif key == "elnino":
        _cycle(out, "month", np.asarray((when.month - 1) / 12))
    elif key == "goog":
        out["log_range"] = np.log(out["high"] / out["low"])
        out["log_move"] = np.log(out[target] / out["open"])
        out["log_volume"] = np.log1p(out["volume"])
    elif key == "unemp":
        out["gdp_growth_lag1"] = np.log(out["realgdp"]).diff().shift(1).fillna(0.0)
        out["infl_lag1"] = out["infl"].shift(1).fillna(0.0)
        out["tbilrate_lag1"] = out["tbilrate"].shift(1).fillna(0.0)
    return out.drop(columns=[c for c in source_columns(key) if c != target])
