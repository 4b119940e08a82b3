"""Data in the shapes people bring: CSVs with or without a header, several files joined on time,
numeric years and periods, a season that suits the frequency, windows the data can hold."""

from __future__ import annotations

import filecmp
import runpy
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_models.data import (
    check_task_fits,
    clean_series,
    join_on_time,
    largest_sequence_length,
    load_series,
    season_for,
)
from ml_models.data.csvfile import has_header
from ml_models.errors import DataError
from ml_models.tune import walk_forward_folds

ROOT = Path(__file__).resolve().parents[2]
COINS = ROOT / "examples" / "four_coins"
NAMES = ["timestamp", "price", "volume", "market_cap"]


def _csv(tmp_path, text: str, name: str = "s.csv") -> str:
    p = tmp_path / name
    p.write_text(text)
    return f"csv:{p}"


# ------------------------------------------------------------------ header or not

BODY = "2024-01-01,1.5,10\n2024-01-02,2.5,20\n2024-01-03,3.5,30\n"


def test_a_header_row_is_detected_and_used(tmp_path):
    df = load_series(_csv(tmp_path, "when,price,vol\n" + BODY))
    assert list(df.columns) == ["price", "vol"] and len(df) == 3 and df.attrs["header"]


def test_a_file_without_a_header_keeps_its_first_row(tmp_path):
    df = load_series(_csv(tmp_path, BODY))
    assert list(df.columns) == ["col2", "col3"] and len(df) == 3  # no row eaten
    assert df["col2"].iloc[0] == 1.5 and not df.attrs["header"]
    named = load_series(_csv(tmp_path, BODY), columns=["day", "price", "vol"])
    assert list(named.columns) == ["price", "vol"] and len(named) == 3


def test_the_four_coin_files_have_no_header_and_lose_no_row():
    df = load_series(f"csv:{COINS / 'btc.csv'}", columns=NAMES)
    assert list(df.columns) == NAMES[1:] and len(df) == 1047
    assert df.index[0] == pd.Timestamp("2021-01-01") and df.index[1] - df.index[0] == pd.Timedelta(minutes=5)


def test_the_user_can_say_there_is_no_header_or_that_there_is(tmp_path):
    src = _csv(tmp_path, BODY)
    assert len(load_series(src, header=False)) == 3
    said = load_series(src, header=True)  # asked for: the first row names the columns
    assert list(said.columns) == ["1.5", "10"] and len(said) == 2
    with pytest.raises(DataError, match="column names are for a file without a header"):
        load_series(src, header=True, columns=["a", "b", "c"])


def test_a_first_row_that_is_half_names_half_data_is_an_error_naming_the_options(tmp_path):
    src = _csv(tmp_path, "2023-12-31,price,9\n" + BODY)
    with pytest.raises(DataError, match=r"cannot tell whether the first row .* is a header: cells \['2023-12-31', '9'\]"
                       r".*pass --header if it is one, or --no-header"):
        load_series(src)
    assert len(load_series(src, header=True)) == 3
    with pytest.raises(DataError, match="non-numeric value"):  # read as data, 'price' is not a number
        clean_series(load_series(src, header=False), target="col2")


def test_names_given_for_a_file_that_has_a_header_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"seems to have a header row \(when, price, vol\); drop --columns"):
        load_series(_csv(tmp_path, "when,price,vol\n" + BODY), columns=["a", "b", "c"])
    with pytest.raises(DataError, match=r"2 column name\(s\) \['a', 'b'\] given .* which has 3 column"):
        load_series(_csv(tmp_path, BODY), columns=["a", "b"])


@pytest.mark.parametrize("rows, expected", [
    ([["date", "y"], ["2024-01-01", "1"]], True),
    ([["2024-01-01", "1"], ["2024-01-02", "2"]], False),
    ([["1", "2"], ["3", "4"]], False),
    ([["x", "y"], ["3", "4"]], True),
    ([["sym", "y"], ["BTC", "4"]], True),
    ([["2024-01-01", "y"], ["2024-01-02", "2"]], None),
    ([["only"]], True),
])
def test_header_votes(rows, expected):
    assert has_header(rows) is expected


# ------------------------------------------------------------------ several files joined on time

def _coins() -> dict[str, pd.DataFrame]:
    return {c: load_series(f"csv:{COINS / f'{c}.csv'}", columns=NAMES) for c in ("btc", "eth", "ltc", "xrp")}


def test_four_coins_join_on_time_and_count_what_each_lost():
    df, report = join_on_time(_coins())
    assert report.rows == {"btc": 1047, "eth": 1044, "ltc": 1041, "xrp": 1036}
    assert report.joined == len(df) == 1027  # eth starts 3 late, ltc ends 6 early, xrp misses 11
    assert report.dropped == {"btc": 20, "eth": 17, "ltc": 14, "xrp": 9}
    assert list(df.columns[:3]) == ["btc_price", "btc_volume", "btc_market_cap"] and df.shape[1] == 12
    assert "1027 rows in all of them" in report.summary() and "btc 1047 (-20)" in report.summary()
    clean, cr = clean_series(df, target="btc_price", columns=list(df.columns))
    assert cr.frequency == "5min" and cr.filled_rows == 11 * 12 and clean.shape == (1038, 12)
    # market caps (btc's reaches 1.4e12) and xrp's volume are beyond what exact scoring holds: rescaled, renamed
    assert cr.rescaled == {"btc_market_cap": ("btc_market_cap_e3", 3), "eth_market_cap": ("eth_market_cap_e3", 3),
                           "ltc_market_cap": ("ltc_market_cap_e3", 3), "xrp_volume": ("xrp_volume_e3", 3),
                           "xrp_market_cap": ("xrp_market_cap_e3", 3)}
    assert clean["btc_market_cap_e3"].max() == pytest.approx(df["btc_market_cap"].max() / 1e3)
    from ml_models.intinfer import quantize

    quantize(clean.to_numpy() * 10)  # every value, with room to spare, fits the fixed-point format


def test_a_column_too_large_for_exact_scoring_is_rescaled_or_refused():
    idx = pd.date_range("2024-01-01", periods=20, freq="D")
    df = pd.DataFrame({"y": np.arange(20.0), "big": np.full(20, 3e16), "big_e9": np.ones(20)}, index=idx)
    out, report = clean_series(df, target="y", columns=["big"])
    assert report.rescaled == {"big": ("big_e9", 9)} and out["big_e9"].max() == pytest.approx(3e7)
    with pytest.raises(DataError, match=r"must be rescaled to 'big_e9', which is already a column name"):
        clean_series(df, target="y", columns=["big", "big_e9"])
    with pytest.raises(DataError, match=r"the target 'big' reaches 3e\+16.*express it in larger units"):
        clean_series(df, target="big")


def test_a_join_that_leaves_too_few_rows_is_an_error_naming_the_spans():
    coins = _coins()
    later = coins["eth"].copy()
    later.index = later.index + pd.Timedelta(minutes=2)  # another clock
    with pytest.raises(DataError, match=r"joining on time leaves 0 row\(s\).*need at least 10.*btc: 1047 rows from"):
        join_on_time({"btc": coins["btc"], "eth": later})


def test_a_repeated_timestamp_in_one_source_is_refused_before_joining():
    coins = _coins()
    dup = pd.concat([coins["eth"], coins["eth"].iloc[:1]])
    with pytest.raises(DataError, match="source 'eth' repeats timestamp 2021-01-01 00:15:00"):
        join_on_time({"btc": coins["btc"], "eth": dup})


def test_the_example_files_are_what_the_generator_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["make_coins.py", str(tmp_path)])
    runpy.run_path(str(COINS / "make_coins.py"), run_name="__main__")
    for coin in ("btc", "eth", "ltc", "xrp"):
        assert filecmp.cmp(tmp_path / f"{coin}.csv", COINS / f"{coin}.csv", shallow=False), coin


# ------------------------------------------------------------------ numeric years and periods

def test_a_year_column_of_integers_is_years_not_1970_nanoseconds(tmp_path):
    df = load_series(_csv(tmp_path, "year,sales\n" + "".join(f"{y},{y - 1900}\n" for y in range(1990, 2010))))
    assert df.index[0] == pd.Timestamp("1990-01-01") and df.index[-1] == pd.Timestamp("2009-01-01")
    clean, report = clean_series(df, target="sales")
    assert report.frequency.startswith("YS") and len(clean) == 20
    assert season_for(report.frequency) == (1, "non-seasonal")


@pytest.mark.parametrize("period, top, freq, start", [("quarter", 4, "QS", "2000-04-01"), ("month", 12, "MS", "2000-02-01")])
def test_year_and_quarter_or_month_columns_are_periods(tmp_path, period, top, freq, start):
    rows = "".join(f"{2000 + i // top},{i % top + 1},{i}\n" for i in range(1, 3 * top))
    df = load_series(_csv(tmp_path, f"year,{period},y\n{rows}"))
    assert list(df.columns) == ["y"] and df.index[0] == pd.Timestamp(start)
    _, report = clean_series(df, target="y")
    assert report.frequency.startswith(freq)


def test_yyyymmdd_and_unix_times_are_read_by_their_size(tmp_path):
    ymd = load_series(_csv(tmp_path, "date,y\n20240101,1\n20240102,2\n20240103,3\n"))
    assert ymd.index[0] == pd.Timestamp("2024-01-01")
    secs = load_series(_csv(tmp_path, "time,y\n1609459200,1\n1609459500,2\n1609459800,3\n"))
    ms = load_series(_csv(tmp_path, "time,y\n1609459200000,1\n1609459500000,2\n1609459800000,3\n"))
    assert secs.index.equals(ms.index) and ms.index[1] == pd.Timestamp("2021-01-01 00:05")


def test_numbers_that_are_no_kind_of_time_are_an_error(tmp_path):
    with pytest.raises(DataError, match="holds numbers from 10000 to 10002, which are neither years"):
        load_series(_csv(tmp_path, "t,y\n10000,1\n10001,2\n10002,3\n"))
    with pytest.raises(DataError, match="not whole"):
        load_series(_csv(tmp_path, "t,y\n1.5,1\n2.5,2\n3.5,3\n"))
    with pytest.raises(DataError, match="holds years from 1200 to 1201; timestamps cover 1678 to 2261 only"):
        load_series(_csv(tmp_path, "year,y\n1200,1\n1201,2\n"))
    with pytest.raises(DataError, match=r"column 'quarter' .* whole numbers 1..4"):
        load_series(_csv(tmp_path, "year,quarter,y\n2000,1,1\n2000,5,2\n"))


def test_timestamps_shared_after_parsing_are_an_error_naming_the_lines(tmp_path):
    with pytest.raises(DataError, match=r"2 rows of .* share a timestamp after parsing column 'year' \(lines \[3, 5\], "
                       r"first 1991-01-01"):
        load_series(_csv(tmp_path, "year,y\n1990,1\n1991,2\n1992,3\n1991,4\n"))
    with pytest.raises(DataError, match=r"lines \[2, 3\]"):  # no header: the first row is line 1
        load_series(_csv(tmp_path, "2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n"))


# ------------------------------------------------------------------ the season from the frequency

@pytest.mark.parametrize("freq, season", [("5min", 288), ("30min", 48), ("h", 24), ("D", 7), ("B", 5), ("W-SAT", 52),
                                          ("2W-SUN", 26), ("MS", 12), ("ME", 12), ("QS-OCT", 4), ("YS-JAN", 1),
                                          ("7min", 1), ("s", 3600)])
def test_season_suits_the_frequency(freq, season):
    assert season_for(freq)[0] == season


def test_the_offline_series_get_their_natural_season():
    _, report = clean_series(load_series("statsmodels:co2"), target="co2", max_gap=26)
    assert season_for(report.frequency) == (52, "one year")


# ------------------------------------------------------------------ windows the data can hold

@pytest.mark.parametrize("n", [10, 37, 169, 838, 2000])
@pytest.mark.parametrize("horizon", [1, 4, 12])
def test_the_largest_window_is_exactly_what_tuning_can_fold(n, horizon):
    L = largest_sequence_length(n, horizon)
    if L >= 1:
        walk_forward_folds(n, 3, 0.3, L + horizon + 16)
        check_task_fits(n, L, horizon)
    with pytest.raises(DataError):
        walk_forward_folds(n, 3, 0.3, L + 1 + horizon + 16)
    with pytest.raises(DataError):
        check_task_fits(n, L + 1, horizon)


def test_a_window_longer_than_the_data_names_the_largest_that_fits():
    with pytest.raises(DataError, match="sequence length 300 with horizon 1 needs more than the 135 training rows.*"
                       "the largest sequence length that fits is 79"):
        check_task_fits(135, 300, 1)
    with pytest.raises(DataError, match="10 training rows are too few for horizon 1"):
        check_task_fits(10, 1, 1)
    with pytest.raises(DataError, match=r"the largest horizon that fits \(with sequence length 1\) is 25"):
        check_task_fits(60, 1, 30)
    check_task_fits(60, 1, 25)


def test_a_season_the_window_cannot_see_names_both_ways_out():
    with pytest.raises(DataError, match=r"season 52 with horizon 1 needs a window of at least 52 steps .* sequence length "
                       r"is 26: pass --sequence-length 52 \(up to \d+ fits the data\), or pass --season 26 or less"):
        check_task_fits(1800, 26, 1, 52)
    check_task_fits(1800, 26, 1, 26)
    with pytest.raises(DataError, match="this data fits at most sequence length"):
        check_task_fits(300, 26, 1, 288)
    with pytest.raises(DataError, match="sequence length 5000 is larger than the model allows"):
        check_task_fits(10**6, 5000, 1)


def test_covariates_reach_the_clean_frame():
    df, _ = join_on_time(_coins())
    clean, _ = clean_series(df, target="btc_price", columns=["eth_price", "btc_volume"])
    assert list(clean.columns) == ["btc_price", "eth_price", "btc_volume"] and np.isfinite(clean.to_numpy()).all()
