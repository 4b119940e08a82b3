"""Search space files: the example loads; every kind of bad entry is refused with one clear line."""

from __future__ import annotations

import json

import pytest

from ml_models.errors import SpecError
from ml_models.search_space import DEFAULT_SEARCH_SPACE, MAX_PARAMETERS, load_search_space, validate_search_space
from ml_models.spec import ModelSpec

EXAMPLE = "examples/search_space.json"


def test_the_example_file_loads_as_ranges_and_choices():
    space = load_search_space(EXAMPLE)
    assert space["units"] == ("int", 8, 64, True)
    assert space["learning_rate"] == ("float", 0.0005, 0.01, True)
    assert space["cell"] == ("categorical", ["LSTM", "GRU"])
    assert validate_search_space(DEFAULT_SEARCH_SPACE) == DEFAULT_SEARCH_SPACE


@pytest.mark.parametrize(("doc", "message"), [
    ({"unit": {"low": 1, "high": 2}}, "search space key 'unit' cannot be searched; allowed keys: cell"),
    ({"sequence_length": {"low": 1, "high": 2}}, "'sequence_length' cannot be searched"),
    ({"epochs": {"low": 1, "high": 2}}, "'epochs' cannot be searched"),
    ({"units": {"low": 8, "high": 5000}}, r"units=5000 is out of range; allowed \[4, 512\]"),
    ({"dropout": {"low": -0.1, "high": 0.3}}, r"dropout=-0.1 is out of range"),
    ({"learning_rate": {"low": 0.01, "high": 0.001}}, "low 0.01 is above high 0.001"),
    ({"dropout": {"low": 0.0, "high": 0.3, "log": True}}, "a log range needs low > 0"),
    ({"units": {"low": 8.5, "high": 16}}, "units must be an integer"),
    ({"cell": {"choices": ["LSTM", "Transformer"]}}, "unknown cell 'Transformer'"),
    ({"cell": {"choices": []}}, "needs 1 to 32 choices"),
    ({"units": {"low": 8, "high": 16, "step": 2}}, r"unknown: \['step'\]"),
    ({"units": [8, 16]}, "must be an object"),
    ({"units": {"low": 8, "high": 16, "log": "yes"}}, "log must be true or false"),
    ({"layers": {"low": 1, "high": 4}, "units": {"low": 8, "high": 512}}, "the largest network in this search space has"),
    ({}, "non-empty JSON object"),
    ([1, 2], "must be a JSON object"),
])
def test_a_bad_search_space_file_is_refused_with_one_line(tmp_path, doc, message):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SpecError, match=message) as err:
        load_search_space(path)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


@pytest.mark.parametrize(("raw", "message"), [
    (b"{not json", "not valid JSON|invalid JSON|JSON"),
    (b'{"units": {"low": 8, "high": 8, "low": 4}}', "duplicate key 'low'"),
    (b" " * 70_000, "bytes; the limit is"),
    (b'{"units": {"low": 1e999, "high": 8}}', "1e999|overflow|too long|out of range"),
])
def test_garbage_files_are_refused(tmp_path, raw, message):
    path = tmp_path / "space.json"
    path.write_bytes(raw)
    with pytest.raises(SpecError, match=message):
        load_search_space(path)
    with pytest.raises(SpecError, match="cannot read search space file"):
        load_search_space(tmp_path / "missing.json")


def test_the_size_limit_counts_the_real_feature_count():
    space = {"units": ("int", 8, 200, False), "layers": ("int", 1, 2, False)}
    assert ModelSpec(units=200, layers=2).parameter_count(1) <= MAX_PARAMETERS < ModelSpec(units=200, layers=2).parameter_count(200)
    assert validate_search_space(space, n_features=1) == space
    with pytest.raises(SpecError, match="the largest network in this search space has 641,801 weights"):
        validate_search_space(space, n_features=200)
