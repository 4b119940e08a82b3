"""Write four header-less CSVs of 5-minute ticks (timestamp, price, 24 h volume, market cap), one per
coin, in the shape of the original system's data; deterministic, from daily stock prices shipped
offline (matplotlib's goog sample and pmdarima's msft dataset).

Each trading day of the real series becomes one 5-minute tick from 2021-01-01 00:00 UTC (Unix
milliseconds). btc is goog (1047 days from 2004-08-19), eth is msft over the same days (so the two
move together as coins do), ltc and xrp are msft 1047 and 2094 trading days earlier. Prices and
volumes are scaled to each coin's level; market cap is price times a fixed supply. The files
overlap unevenly on purpose: eth starts 3 ticks late, ltc ends 6 ticks early and xrp misses 11
ticks, so a join on time drops rows and cleaning interpolates the missing ticks.

    python examples/four_coins/make_coins.py [OUT_DIR]     (default: beside this script)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ml_models.data import load_series

START = pd.Timestamp("2021-01-01T00:00:00")
STEP = pd.Timedelta(minutes=5)
# coin -> (price scale, volume scale, circulating supply, decimals of the price)
COINS = {"btc": (100.0, 0.01, 19_500_000, 2), "eth": (50.0, 0.2, 120_000_000, 2),
         "ltc": (5.0, 0.05, 74_000_000, 3), "xrp": (0.02, 400.0, 54_000_000_000, 5)}


def coin_series() -> dict[str, pd.DataFrame]:
    goog = load_series("matplotlib:goog")[["close", "volume"]]
    msft = load_series("pmdarima:msft")[["close", "volume"]]
    n = len(goog)
    end = int(msft.index.searchsorted(goog.index[-1], side="right"))
    raw = {"btc": goog, "eth": msft.iloc[end - n : end], "ltc": msft.iloc[end - 2 * n : end - n],
           "xrp": msft.iloc[end - 3 * n : end - 2 * n]}
    ms = (pd.date_range(START, periods=n, freq=STEP) - pd.Timestamp("1970-01-01")) // pd.Timedelta(milliseconds=1)
    out = {}
    for coin, (p_scale, v_scale, supply, decimals) in COINS.items():
        price = (raw[coin]["close"].to_numpy() * p_scale).round(decimals)
        volume = (raw[coin]["volume"].to_numpy() * v_scale).round(2)
        out[coin] = pd.DataFrame({"timestamp": ms, "price": price, "volume": volume, "market_cap": (price * supply).round(0).astype("int64")})
    keep = {"btc": np.ones(n, bool), "eth": np.arange(n) >= 3, "ltc": np.arange(n) < n - 6,
            "xrp": np.arange(n) % 97 != 50}
    return {coin: df[keep[coin]] for coin, df in out.items()}


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for coin, df in coin_series().items():
        path = out_dir / f"{coin}.csv"
        df.to_csv(path, header=False, index=False, lineterminator="\n")
        print(f"{path}: {len(df)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
