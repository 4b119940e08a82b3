"""Property-based fuzzing of what strangers control: bundle specs, safetensors headers, CSV files and
forecasts. Whatever hypothesis makes, the loader returns a forecaster or raises ``BundleError``, the
CSV reader a frame or ``DataError``, a metric a score that fits int64 or ``MetricError``; every
message is one line of at most ``MAX_MESSAGE`` characters. Each test runs in a few seconds;
``ML_FUZZ_SCALE=50`` multiplies the number of examples for a long run."""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.core import given  # brownie wraps hypothesis.given for chain isolation; nothing here uses the chain

from ml_models.bundle import load_bundle
from ml_models.data import Schema, load_series, read_dataset_bundle, write_dataset_bundle
from ml_models.errors import MAX_MESSAGE, BundleError, DataError, MetricError
from ml_models.intinfer import IntForecaster
from ml_models.metrics import METRICS, score_fits, to_score_int

SCALE = int(os.environ.get("ML_FUZZ_SCALE", "1"))  # e.g. ML_FUZZ_SCALE=50 for a long run


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ------------------------------------------------------------------ JSON mutations

LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 600), st.integers(), st.integers(-(10**30), 10**30),
    st.floats(), st.floats(-1e300, 1e300), st.text(max_size=20),
    st.sampled_from(["rnn", "naive", "seasonal_naive", "LSTM", "GRU", "level", "delta", "y", "x", "F32", "F64", "I64",
                     "rnn_0.0.kernel", "output.1.bias"]),
)
VALUES = st.recursive(LEAVES, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
                      max_leaves=8)


def _paths(node):
    """Every (container, key) in a JSON document, outermost first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield node, k
        yield from _paths(v)


def _mutate(data, doc):
    """Nudge (a number to a plausible or huge one), replace, delete or add 1-3 values anywhere in ``doc`` (in place)."""
    for _ in range(data.draw(st.sampled_from([1, 1, 2, 3]), label="mutations")):
        places = list(_paths(doc))
        if not places:
            return
        container, key = data.draw(st.sampled_from(places), label="where")
        action = data.draw(st.sampled_from(["nudge", "nudge", "replace", "replace", "delete", "add"]), label="action")
        old = container[key]
        if action == "nudge" and isinstance(old, (int, float)) and not isinstance(old, bool):  # a plausible number
            factor = data.draw(st.sampled_from([1.0001, 0, -1, 0.5, 2, 1e10, 1e200, 1e308]), label="factor")
            new = old * factor if isinstance(old, float) else old + data.draw(st.sampled_from([0, 1, -1, 3, -3]), label="step")
            container[key] = new if math.isfinite(new) else old
        elif action in ("nudge", "replace"):
            container[key] = data.draw(VALUES, label="value")
        elif action == "delete":
            del container[key]
        elif isinstance(container, dict):
            container[data.draw(st.text(max_size=12), label="new key")] = data.draw(VALUES, label="value")
        else:
            container.append(data.draw(VALUES, label="value"))


def _text_mutation(data, text: str) -> str:
    """Sometimes splice raw text into the JSON: huge numbers, constants, nesting, stray bytes."""
    kind = data.draw(st.sampled_from(["none", "none", "splice"]), label="text mutation")
    if kind == "none":
        return text
    at = data.draw(st.integers(0, len(text)), label="at")
    piece = data.draw(st.sampled_from(["9" * 5000, "-" + "1" * 25, "1e999", "NaN", "Infinity", "[" * 2000, "{", '"',
                                       "\\ud800", ",", "0." + "0" * 80]) | st.text(max_size=6), label="piece")
    return text[:at] + piece + text[at:]


def _assert_short(exc: Exception) -> None:
    msg = str(exc)
    assert len(msg) <= MAX_MESSAGE and "\n" not in msg, msg[:400]


@pytest.fixture(scope="module")
def scratch(bundle, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / "bundle"
    shutil.copytree(bundle, folder)
    return folder


def _load_or_bundle_error(folder: Path) -> None:
    try:
        fc = load_bundle(folder)
    except BundleError as exc:
        _assert_short(exc)
        event(f"refused: {' '.join(str(exc).split()[:3])}")  # shown by --hypothesis-show-statistics
    else:
        assert isinstance(fc, IntForecaster)
        event("loaded")


@fuzz(60)
@given(data=st.data())
def test_mutated_spec_json_loads_or_raises_bundle_error(bundle, scratch, data):
    doc = json.loads((bundle / "spec.json").read_text())
    _mutate(data, doc)
    text = _text_mutation(data, json.dumps(doc, allow_nan=True))
    (scratch / "spec.json").write_bytes(text.encode("utf-8", "surrogatepass"))
    shutil.copyfile(bundle / "weights.safetensors", scratch / "weights.safetensors")
    _load_or_bundle_error(scratch)


def _split_weights(path: Path) -> tuple[bytes, bytes]:
    raw = path.read_bytes()
    (hlen,) = struct.unpack("<Q", raw[:8])
    return raw[8 : 8 + hlen], raw[8 + hlen :]


@fuzz(60)
@given(data=st.data())
def test_mutated_safetensors_header_loads_or_raises_bundle_error(bundle, scratch, data):
    header, tensors = _split_weights(bundle / "weights.safetensors")
    how = data.draw(st.sampled_from(["json", "json", "bytes", "length"]), label="how")
    length = None
    if how == "json":
        doc = json.loads(header)
        _mutate(data, doc)
        header = _text_mutation(data, json.dumps(doc, allow_nan=True)).encode("utf-8", "surrogatepass")
    elif how == "bytes":
        at = data.draw(st.integers(0, len(header)), label="at")
        cut = data.draw(st.integers(0, 16), label="cut")
        header = header[:at] + data.draw(st.binary(max_size=16), label="bytes") + header[at + cut :]
    else:
        length = data.draw(st.integers(0, 2**64 - 1) | st.integers(0, len(header) + len(tensors) + 8), label="length")
    shutil.copyfile(bundle / "spec.json", scratch / "spec.json")
    prefix = struct.pack("<Q", len(header) if length is None else length)
    (scratch / "weights.safetensors").write_bytes(prefix + header + tensors)
    _load_or_bundle_error(scratch)


# ------------------------------------------------------------------ CSV files

CELLS = st.one_of(
    st.sampled_from(["2024-01-01", "2024-01-02", "2024-01-03", "2024-13-45", "1.5", "-2", "1e308", "1e999", "nan", "",
                     "date", "y", "x", '"', '"a,b"', "\x00", "é", "2024-01-01T00:00+05:00", "9" * 5000]),
    st.text(max_size=12),
)


@st.composite
def csv_bytes(draw) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=4), min_size=0, max_size=6))
    text = "date,y,x\n" if draw(st.booleans()) else ""
    text += "\n".join(",".join(row) for row in rows)
    return text.encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-csv")
    schema = Schema(columns=["y", "x"], target="y", frequency="D", sequence_length=1, horizon=1)
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [0.0, 0.0, 0.0]},
                         index=pd.date_range("2024-01-01", periods=3, freq="D", name="date"))
    write_dataset_bundle(folder, frame, schema)
    return folder


@fuzz(150)
@given(raw=csv_bytes())
def test_csv_files_read_or_raise_data_error(csv_dir, raw):
    (csv_dir / "train.csv").write_bytes(raw)
    for read in (lambda: load_series(f"csv:{csv_dir / 'train.csv'}"), lambda: read_dataset_bundle(csv_dir)[0]):
        try:
            with warnings.catch_warnings():  # pandas warns about odd dates it still parses
                warnings.simplefilter("ignore")
                frame = read()
        except DataError as exc:
            _assert_short(exc)
        else:
            assert isinstance(frame, pd.DataFrame) and isinstance(frame.index, pd.DatetimeIndex)


# ------------------------------------------------------------------ metrics

FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1.7e308, -1.7e308, 1e200, 1e154, 5e-324, 0.0])
ODD = st.one_of(st.floats(), st.sampled_from([10**400, -(10**30), 2**63]), st.text(max_size=3), st.none(),
                st.lists(st.floats(), max_size=2))


@st.composite
def metric_inputs(draw):
    n = draw(st.integers(1, 12))
    column = st.lists(FLOATS, min_size=n, max_size=n)
    y, p, origin = draw(column), draw(column), draw(column)
    train = draw(st.lists(FLOATS, min_size=0, max_size=12))
    if draw(st.integers(0, 4)) == 0:  # sometimes not float64 numbers at all, or of another length
        which = draw(st.sampled_from(["y", "p", "origin", "train"]))
        odd = draw(st.lists(ODD, min_size=0, max_size=n + 1) | ODD)
        y, p, origin, train = (odd if which == name else v for name, v in
                               (("y", y), ("p", p), ("origin", origin), ("train", train)))
    season = draw(st.integers(-2, 15) | st.sampled_from([1.5, 10**30]))
    task = draw(st.sampled_from(["regression", "direction"]))
    return y, p, dict(y_origin=origin, y_train=train, season=season, task=task)


@fuzz(300)
@given(inputs=metric_inputs())
def test_metrics_give_a_score_that_fits_or_metric_error(inputs):
    y, p, kwargs = inputs
    for metric in METRICS.values():
        try:
            score = metric.fn(y, p, **kwargs)
        except MetricError as exc:
            _assert_short(exc)
            continue
        assert isinstance(score, float) and math.isfinite(score), (metric.name, score)
        try:
            value = to_score_int(score)
        except MetricError as exc:
            assert not score_fits(score)
            _assert_short(exc)
        else:
            assert score_fits(score) and abs(value) < 2**63 - 1 and isinstance(value, int)
            assert value == round(np.float64(score) * 10**6)


INTS = st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, 1, -1, 2**24, 2**62 - 1, -(2**62 - 1), 2**62, -(2**63)])


@st.composite
def int_metric_inputs(draw):
    n = draw(st.integers(1, 12))
    column = st.lists(INTS, min_size=n, max_size=n)
    t, p, origin = draw(column), draw(column), draw(column | st.lists(INTS, max_size=3))
    train = draw(st.lists(INTS, min_size=0, max_size=12))
    return t, p, origin, train, draw(st.integers(-2, 15)), draw(st.sampled_from(["regression", "direction"]))


@fuzz(300)
@given(inputs=int_metric_inputs())
def test_integer_metrics_give_an_int64_score_or_metric_error(inputs):
    from ml_models.intinfer import score_q

    t, p, origin, train, season, task = inputs
    for metric in METRICS.values():
        try:
            score = score_q(metric.name, np.asarray(p, dtype=np.int64), np.asarray(t, dtype=np.int64),
                            origin=np.asarray(origin, dtype=np.int64), train=np.asarray(train, dtype=np.int64),
                            season=season, task=task)
        except MetricError as exc:
            _assert_short(exc)
            continue
        assert type(score) is int and 0 <= score < 2**63 - 1, (metric.name, score)
