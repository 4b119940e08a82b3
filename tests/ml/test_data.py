"""Data sources, cleaning, splitting, dataset bundles, scaling and windowing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_models.data import (
    Schema,
    SeriesScaler,
    clean_series,
    context_and_targets,
    load_series,
    make_windows,
    read_dataset_bundle,
    split_by_time,
    write_dataset_bundle,
)
from ml_models.errors import DataError
from ml_models.model import train
from ml_models.spec import ModelSpec


def test_statsmodels_co2_loads_weekly_with_datetime_index():
    df = load_series("statsmodels:co2")
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.is_monotonic_increasing
    assert df.shape == (2284, 1) and list(df.columns) == ["co2"]
    clean, report = clean_series(df, target="co2", max_gap=20)
    assert report.frequency == "W-SAT"
    assert report.filled_rows == int(df["co2"].isna().sum()) > 0
    assert not clean.isna().any().any()


def test_co2_gap_longer_than_max_gap_is_an_error():
    with pytest.raises(DataError, match=r"gap of 18 missing step\(s\).*max_gap=8"):
        clean_series(load_series("statsmodels:co2"), target="co2")


def test_second_offline_dataset_loads():
    df = load_series("matplotlib:goog")
    clean, report = clean_series(df, target="close", columns=["close", "volume"])
    assert report.frequency == "B" and report.filled_rows > 0  # holidays interpolated
    assert list(clean.columns) == ["close", "volume"] and len(clean) > 1000


def test_csv_source_reads_date_column(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("when,price,vol\n2024-01-03,3.5,10\n2024-01-01,1.5,30\n2024-01-02,2.5,20\n")
    df = load_series(f"csv:{p}", date_column="when")
    assert list(df.columns) == ["price", "vol"]
    assert list(df["price"]) == [1.5, 2.5, 3.5]  # sorted by time
    with pytest.raises(DataError, match="date column 'nope' not in CSV"):
        load_series(f"csv:{p}", date_column="nope")
    with pytest.raises(DataError, match="does not exist"):
        load_series(f"csv:{tmp_path / 'missing.csv'}")


def test_unknown_source_says_what_exists():
    with pytest.raises(DataError, match="statsmodels:co2"):
        load_series("foo:bar")


def test_missing_column_is_named(make_series):
    with pytest.raises(DataError, match=r"column\(s\) \['price'\] not in the data; available columns: \['y', 'x'\]"):
        clean_series(make_series(30), target="price")


def test_non_numeric_values_are_reported_with_position(make_series):
    df = make_series(30).astype(object)
    df.iloc[5, 0] = "n/a?"
    with pytest.raises(DataError, match=r"column 'y' has 1 non-numeric value\(s\), first 'n/a\?' at 2021-01-06"):
        clean_series(df, target="y")


def test_short_gaps_are_interpolated_and_counted(make_series):
    df = make_series(40)
    df.iloc[10, 0] = np.nan
    df = df.drop(df.index[20:22])  # two missing timestamps
    clean, report = clean_series(df, target="y", columns=["y", "x"], freq="D")
    assert len(clean) == 40 and report.filled_rows == 1 + 2 * 2
    assert clean["y"].iloc[10] == pytest.approx((df["y"].iloc[9] + df["y"].iloc[11]) / 2)


def test_off_grid_and_duplicate_timestamps_are_errors(make_series):
    df = make_series(30)
    shifted = df.rename(index={df.index[3]: df.index[3] + pd.Timedelta(hours=6)})
    with pytest.raises(DataError, match="not on the 'D' grid"):
        clean_series(shifted, target="y", freq="D")
    dup = pd.concat([df, df.iloc[[4]]])
    with pytest.raises(DataError, match="duplicate timestamp"):
        clean_series(dup, target="y")


def test_too_few_rows_for_the_window_is_an_error(make_series, schema):
    seq, horizon = schema.sequence_length, schema.horizon
    x = np.zeros((seq + horizon - 1, 1))
    with pytest.raises(DataError, match=f"need at least {seq + horizon} rows"):
        make_windows(x, seq, horizon)
    with pytest.raises(DataError, match="only 5 row"):
        clean_series(make_series(5), target="y", min_rows=10)


def test_split_is_by_time_and_never_shuffles(series):
    s = split_by_time(series, test_size=0.25, val_size=0.25)
    assert len(s.train) == 120 and len(s.val) == 60 and len(s.test) == 60
    assert s.train.index.max() < s.val.index.min() and s.val.index.max() < s.test.index.min()
    pd.testing.assert_frame_equal(pd.concat([s.train, s.val, s.test]), series)
    by_date = split_by_time(series, test_start="2021-07-01")
    assert by_date.test.index[0] == pd.Timestamp("2021-07-01") and by_date.train.index[-1] == pd.Timestamp("2021-06-30")


def test_schema_json_round_trip_and_strictness(schema):
    again = Schema.from_json(schema.to_json())
    assert again == schema
    assert (schema.n_train, schema.n_test, schema.test_start) == (192, 48, "2021-07-12T00:00:00")
    with pytest.raises(DataError, match=r"unknown schema field\(s\) \['evil'\]"):
        Schema.from_dict({**schema.to_dict(), "evil": 1})
    with pytest.raises(DataError, match="task 'up' unknown"):
        Schema.from_dict({**schema.to_dict(), "task": "up"})


def test_dataset_bundles_round_trip_exactly(split, schema, tmp_path):
    write_dataset_bundle(tmp_path / "train", split.train, schema, part="train")
    write_dataset_bundle(tmp_path / "test", split.test, schema, part="test")
    assert sorted(p.name for p in (tmp_path / "train").iterdir()) == ["schema.json", "train.csv"]
    tr, s1 = read_dataset_bundle(tmp_path / "train")
    te, s2 = read_dataset_bundle(tmp_path / "test")
    assert s1 == s2 == schema
    np.testing.assert_array_equal(tr.to_numpy(), split.train.to_numpy())  # floats survive CSV exactly
    np.testing.assert_array_equal(te.index, split.test.index)


def test_truncated_dataset_bundle_is_refused(split, schema, tmp_path):
    write_dataset_bundle(tmp_path, split.train, schema)
    lines = (tmp_path / "train.csv").read_text().splitlines()
    (tmp_path / "train.csv").write_text("\n".join(lines[:-5]) + "\n")
    with pytest.raises(DataError, match="rows but schema.json says 192"):
        read_dataset_bundle(tmp_path)


def test_scaler_is_fitted_on_training_rows_only(split, trained):
    sc = trained.scaler
    assert sc.mean_ == pytest.approx(split.train[["y", "x"]].mean().tolist())
    assert sc.mean_[0] != pytest.approx(pd.concat([split.train, split.test])["y"].mean())
    again = SeriesScaler.from_dict(sc.to_dict())
    np.testing.assert_array_equal(again.transform(split.test), sc.transform(split.test))


def test_windows_predict_the_value_horizon_steps_ahead():
    x = np.arange(20, dtype=float)[:, None]
    w, rows = make_windows(x, 4, 3)
    assert rows[0] == 6 and w[0, :, 0].tolist() == [0, 1, 2, 3]  # window ends at 3, target row 3 + 3
    assert len(w) == 20 - 6 and w[-1, -1, 0] == 19 - 3


def test_test_windows_cover_exactly_the_test_rows(split, schema):
    seq, horizon = schema.sequence_length, schema.horizon
    frame, n = context_and_targets(split.train, split.test, sequence_length=seq, horizon=horizon)
    assert n == len(split.test) and len(frame) == seq + horizon - 1 + len(split.test)
    pd.testing.assert_frame_equal(frame.iloc[-n:], split.test)


@pytest.mark.parametrize("kind", ["rnn", "seasonal_naive"])
def test_no_test_value_is_used_before_it_is_predicted(kind, trained, split, schema):
    seq, horizon = schema.sequence_length, schema.horizon
    fc = trained if kind == "rnn" else train(ModelSpec(kind=kind, sequence_length=seq, horizon=horizon, season=7), split.train, schema)
    base = fc.forecast_test(split.train, split.test)
    assert base.shape == (len(split.test),)
    j = 20
    tampered = split.test.copy()
    tampered.iloc[j, :] += 100.0
    changed = np.flatnonzero(fc.forecast_test(split.train, tampered) != base)
    assert changed.size > 0 and changed.min() >= j + horizon  # row j is an input only for rows after it


# ------------------------------------------------------------------ CSVs from strangers: one short line per problem

GOOD_CSV = b"date,y,x\n2024-01-01,1.5,3\n2024-01-02,2.5,2\n2024-01-03,3.5,1\n"
HOSTILE_CSV = {  # name -> (file bytes, words of the error)
    "huge_cell": (b"date,y,x\n2024-01-01," + b"9" * 20_000_000 + b",3\n", "line 2 has a cell of more than 4096 characters"),
    "long_cell": (b"date,y,x\n2024-01-01,1,3\n2024-01-02," + b"7" * 5000 + b",3\n", "line 3 has a cell of 5000 characters"),
    "huge_header": (b"date,y," + b"x" * 100_000 + b"\n2024-01-01,1,3\n", "line 1 has a cell of 100000 characters"),
    "nul": (GOOD_CSV.replace(b"2.5", b"2\x005"), "holds a NUL byte on line 3; it is not a text file"),
    "latin1": (GOOD_CSV.replace(b"x\n", b"\xe9\n"), "is not UTF-8: byte 0xe9 on line 1; save it as UTF-8"),
    "ragged_long": (GOOD_CSV.replace(b"2.5,2", b"2.5,2,9,9"), "line 3 has 5 field(s) but the first row has 3"),
    "ragged_short": (GOOD_CSV.replace(b"2.5,2", b"2.5"), "line 3 has 2 field(s) but the first row has 3"),
    "open_quote": (GOOD_CSV.replace(b"2.5", b'"2.5'), "field(s) but the first row has 3"),
    "duplicate_header": (GOOD_CSV.replace(b"x\n", b"y\n"), r"duplicate column name(s) ['y']"),
    "empty": (b"", "is empty; give a comma-separated file"),
    "blank_lines": (b"\n\n\n", "is empty"),
    "bad_dates": (b"date,y,x\n" + b"z" * 4000 + b",1,2\n", "column 'date' of"),
    "text_value": (b"date,y,x\n2024-01-01,1,3\n2024-01-02," + b"w" * 4000 + b",3\n2024-01-03,1,1\n",
                   "column 'y' has 1 non-numeric value(s), first 'wwww"),
}


def _one_short_line(exc_info) -> str:
    msg = str(exc_info.value)
    assert len(msg) <= 300 and "\n" not in msg, msg[:400]
    return msg


@pytest.mark.parametrize("name", sorted(HOSTILE_CSV))
def test_hostile_csv_sources_fail_with_one_short_line(name, tmp_path):
    data, words = HOSTILE_CSV[name]
    p = tmp_path / "s.csv"
    p.write_bytes(data)
    with pytest.raises(DataError) as info:
        df = load_series(f"csv:{p}")
        clean_series(df, target="y", columns=["y", "x"])  # values are checked when cleaned
    assert words in _one_short_line(info), str(info.value)


@pytest.mark.parametrize("name", sorted(set(HOSTILE_CSV) - {"text_value"}))  # that one is 3 rows, not 192
def test_hostile_dataset_bundles_fail_with_one_short_line(name, split, schema, tmp_path):
    write_dataset_bundle(tmp_path, split.train, schema)
    data, words = HOSTILE_CSV[name]
    (tmp_path / "train.csv").write_bytes(data)
    with pytest.raises(DataError) as info:
        read_dataset_bundle(tmp_path)
    assert words in _one_short_line(info), str(info.value)


def test_csv_with_a_byte_order_mark_and_blank_lines_reads_as_before(tmp_path):
    p = tmp_path / "s.csv"
    p.write_bytes(b"\xef\xbb\xbf" + GOOD_CSV.replace(b"2.5,2\n", b"2.5,2\n\n"))
    df = load_series(f"csv:{p}")
    assert list(df.columns) == ["y", "x"] and df["y"].tolist() == [1.5, 2.5, 3.5]


@pytest.mark.parametrize("text, words", [
    ('{"columns": ["y"], "target": "y", "frequency": "D", "sequence_length": ' + "9" * 100_000 + ', "horizon": 1}',
     "schema.json holds an integer of 100000 digits"),
    ('{"columns": ["y"], "target": "y", "frequency": "D", "sequence_length": NaN, "horizon": 1}', "contains NaN"),
    ('[1, 2]', "schema must be a JSON object"),
    ('{"columns": "y", "target": "y", "frequency": "D", "sequence_length": 1, "horizon": 1}', "must be a non-empty list"),
    ('{"columns": ["y"], "target": ["y"], "frequency": "D", "sequence_length": 1, "horizon": 1}', "is not among columns"),
    ('{"columns": ["y"], "target": "y", "frequency": 5, "sequence_length": 1, "horizon": 1}', "frequency must be a pandas"),
    ('{"columns": ["y"], "target": "y", "frequency": "D", "sequence_length": 1, "horizon": 1, "n_test": "2"}',
     "n_test must be a non-negative integer"),
    ('{"columns": ["y"], "target": "y", "frequency": "D", "sequence_length": 1, "horizon": 1, "' + "k" * 10_000 + '": 1}',
     "unknown schema field(s) ['kkkk"),
    ('{"columns": ["y"]' + ', "columns": ["y"]' + "}", "duplicate key 'columns' in schema.json"),
])
def test_hostile_schema_json_is_a_short_data_error(text, words):
    with pytest.raises(DataError) as info:
        Schema.from_json(text)
    assert words in _one_short_line(info)
