"""ModelSpec validation and the one network builder."""

from __future__ import annotations

import numpy as np
import pytest

from ml_models.errors import SpecError
from ml_models.model import build_model, train, weight_names
from ml_models.spec import ModelSpec


def test_default_spec_is_valid_and_round_trips():
    spec = ModelSpec(cell="GRU", layers=2, units=16, dropout=0.2, dense_units=8)
    assert ModelSpec.from_json(spec.to_json()) == spec.validate()


@pytest.mark.parametrize("changes, message", [
    ({"cell": "Transformer"}, r"unknown cell 'Transformer'; expected one of \('LSTM', 'GRU', 'SimpleRNN'\)"),
    ({"cell": "__import__('os').system('rm -rf /')"}, r"unknown cell \"__import__\('os'\)"),
    ({"kind": "keras_file"}, r"unknown kind 'keras_file'; expected one of \('rnn', 'naive', 'seasonal_naive'\)"),
    ({"layers": 5}, r"layers=5 is out of range; allowed \[1, 4\]"),
    ({"units": 3}, r"units=3 is out of range; allowed \[4, 512\]"),
    ({"units": 1024}, r"units=1024 is out of range"),
    ({"dropout": 0.9}, r"dropout=0.9 is out of range; allowed \[0, 0.8\]"),
    ({"units": True}, r"units must be an integer"),
    ({"units": "32"}, r"units must be an integer"),
    ({"learning_rate": float("nan")}, r"learning_rate must be a finite number"),
    ({"task": "up"}, r"unknown task 'up'"),
    ({"cell": ["LSTM"]}, r"cell must be a string"),
])
def test_invalid_values_are_refused_with_what_is_allowed(changes, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec.from_dict({**ModelSpec().to_dict(), **changes})


def test_unknown_fields_are_refused():
    with pytest.raises(SpecError, match=r"unknown spec field\(s\) \['activation'\]; allowed fields: \['kind'"):
        ModelSpec.from_dict({"activation": "lambda x: x"})


def test_seasonal_naive_needs_a_season_of_context():
    with pytest.raises(SpecError, match="set sequence_length >= 12"):
        ModelSpec(kind="seasonal_naive", season=12, horizon=1, sequence_length=6).validate()
    assert ModelSpec(kind="seasonal_naive", season=12, horizon=14, sequence_length=11).seasonal_lag() == 24


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_build_model_uses_whitelisted_named_layers(cell):
    spec = ModelSpec(cell=cell, layers=2, units=5, dropout=0.1, dense_units=3, sequence_length=7)
    model = build_model(spec, n_features=2)
    assert [layer.name for layer in model.layers] == ["rnn_0", "dropout_0", "rnn_1", "dropout_1", "dense_head", "output"]
    assert {type(layer).__name__ for layer in model.layers} <= {cell, "Dropout", "Dense"}
    assert model.input_shape == (None, 7, 2) and model.output_shape == (None, 1)
    assert weight_names(model)[:1] == ["rnn_0.0.kernel"]


def test_build_is_deterministic_for_a_seed_and_differs_across_seeds():
    a = build_model(ModelSpec(units=4, seed=3), 1).get_weights()
    b = build_model(ModelSpec(units=4, seed=3), 1).get_weights()
    c = build_model(ModelSpec(units=4, seed=4), 1).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_build_refuses_baselines_and_bad_feature_counts():
    with pytest.raises(SpecError, match="a baseline has no network"):
        build_model(ModelSpec(kind="naive"), 1)
    with pytest.raises(SpecError, match=r"n_features=0 must be an integer in \[1, 256\]"):
        build_model(ModelSpec(), 0)


def test_train_checks_spec_against_the_dataset(split, schema, small_spec):
    with pytest.raises(SpecError, match="spec horizon 3 differs from the dataset's horizon 2"):
        train(small_spec.replace(horizon=3), split.train, schema)


def test_direction_task_trains_a_sigmoid_classifier(split, schema):
    from dataclasses import replace

    s = replace(schema, task="direction")
    spec = ModelSpec(task="direction", units=4, epochs=2, patience=0, sequence_length=10, horizon=2, season=7)
    fc = train(spec, split.train, s)
    p = fc.forecast_test(split.train, split.test)
    assert p.shape == (len(split.test),) and ((p > 0) & (p < 1)).all()
    assert fc.model.layers[-1].get_config()["activation"] == "sigmoid"


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_parameter_count_is_known_before_the_network_is_built(cell):
    for layers, units, dense, features in ((1, 4, 0, 1), (2, 5, 3, 2), (3, 7, 0, 4)):
        spec = ModelSpec(cell=cell, layers=layers, units=units, dense_units=dense)
        assert spec.parameter_count(features) == build_model(spec, features).count_params()
    assert ModelSpec(kind="naive").parameter_count(3) == 0


@pytest.mark.parametrize("value, message", [
    (10**5000, r"units=an integer of thousands of digits is out of range"),
    (10**30, r"units=an integer of 31 digits is out of range"),
    (1e300, r"units must be an integer in \[4, 512\]; got 1e\+300"),
    ([1] * 10_000, r"units must be an integer in \[4, 512\]; got \[1, 1, .*\.\.\.$"),
], ids=["5000-digits", "31-digits", "1e300", "long-list"])
def test_huge_values_are_refused_with_short_messages(value, message):
    with pytest.raises(SpecError, match=message) as info:
        ModelSpec.from_dict({"units": value})
    assert len(str(info.value)) < 200
    with pytest.raises(SpecError, match="dropout=an integer of 401 digits is out of range"):
        ModelSpec.from_dict({"dropout": 10**400})


def test_spec_problems_lists_every_mistake_one_line_each(tmp_path):
    from ml_models import read_spec_file, spec_problems

    problems = spec_problems({"cell": "Transformer", "units": 10**30, "dropout": "x", "optimizer": "sgd", "layers": 2})
    assert len(problems) == 4 and all("\n" not in p for p in problems)
    assert "unknown cell 'Transformer'" in problems[0] and "an integer of 31 digits" in problems[1]
    assert "unknown field 'optimizer'" in problems[3]
    # a rule across fields is reported once every field is fine on its own
    assert spec_problems({"kind": "seasonal_naive", "season": 52, "sequence_length": 4}) == [
        "seasonal_naive with season 52 and horizon 1 looks back 52 rows from the target; set sequence_length >= 52"]
    assert spec_problems({"cell": "GRU"}) == [] and spec_problems([1]) == ["a model spec must be a JSON object, got list"]
    (tmp_path / "s.json").write_text('{"units": 8, "dropout": NaN}')
    with pytest.raises(SpecError, match="NaN"):
        read_spec_file(tmp_path / "s.json")
    with pytest.raises(SpecError, match="cannot read the spec file"):
        read_spec_file(tmp_path / "missing.json")
