"""Submission bundles: exact round trip, and untrusted bundles refused without running code."""

from __future__ import annotations

import json
import os
import pickle
import struct

import numpy as np
import pytest

from ml_models.bundle import BundleLimits, load_bundle, save_bundle
from ml_models.errors import MAX_MESSAGE, BundleError
from ml_models.model import train
from ml_models.spec import ModelSpec


def _edit_spec(folder, fn):
    doc = json.loads((folder / "spec.json").read_text())
    fn(doc)
    (folder / "spec.json").write_text(json.dumps(doc))


def _rewrite_weights(folder, fn):
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(folder / "weights.safetensors"))
    tensors = fn(dict(tensors))
    (folder / "weights.safetensors").unlink()
    save_file(tensors, str(folder / "weights.safetensors"))


def test_round_trip_gives_identical_predictions(trained, bundle, split):
    assert sorted(p.name for p in bundle.iterdir()) == ["spec.json", "weights.safetensors"]
    doc = json.loads((bundle / "spec.json").read_text())
    assert doc["kind"] == "rnn" and doc["data"] == {"train": "QmTrainData"} and doc["format_version"] == 1
    assert doc["preprocessing"]["scaler"]["mean_"] == trained.scaler.mean_
    loaded = load_bundle(bundle)
    assert loaded.spec == trained.spec and loaded.feature_columns == ["y", "x"]
    np.testing.assert_array_equal(loaded.forecast_test(split.train, split.test), trained.forecast_test(split.train, split.test))


@pytest.mark.parametrize("kind", ["naive", "seasonal_naive"])
def test_baseline_bundles_have_no_weights(kind, split, schema, tmp_path):
    fc = train(ModelSpec(kind=kind, sequence_length=10, horizon=2, season=7), split.train, schema)
    save_bundle(tmp_path / kind, fc)
    assert [p.name for p in (tmp_path / kind).iterdir()] == ["spec.json"]
    np.testing.assert_array_equal(load_bundle(tmp_path / kind).forecast_test(split.train, split.test),
                                  fc.forecast_test(split.train, split.test))
    expected = split.test["y"].to_numpy()
    full = np.concatenate([split.train["y"].to_numpy(), expected])
    lag = 2 if kind == "naive" else 7
    np.testing.assert_array_equal(fc.forecast_test(split.train, split.test), full[len(split.train) - lag: len(full) - lag])


def test_keras_file_with_lambda_layer_is_refused_without_running_it(bundle_copy, tmp_path):
    from ml_models._keras import get_keras

    keras = get_keras()
    marker = tmp_path / "pwned"
    code = f"lambda x: (open({str(marker)!r}, 'w').write('x'), x)[1]"
    evil = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(eval(code))])
    evil.save(bundle_copy / "model.keras")
    marker.unlink(missing_ok=True)  # saving may trace the lambda; start clean
    with pytest.raises(BundleError, match=r"unexpected entry 'model.keras' in the bundle; a bundle holds only spec.json"):
        load_bundle(bundle_copy)
    assert not marker.exists()


@pytest.mark.parametrize("name, payload", [
    ("weights.npy", "npy_object"),
    ("extra.npz", "npz_object"),
    ("model.pkl", "pickle"),
])
def test_pickled_arrays_are_refused(bundle_copy, name, payload):
    arr = np.array([{"__reduce__": "os.system"}], dtype=object)
    if payload == "npy_object":
        np.save(bundle_copy / name, arr, allow_pickle=True)
    elif payload == "npz_object":
        np.savez(bundle_copy / name, a=arr)
    else:
        (bundle_copy / name).write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(BundleError, match=f"unexpected entry '{name}'"):
        load_bundle(bundle_copy)


def test_pickle_disguised_as_safetensors_is_refused(bundle_copy):
    (bundle_copy / "weights.safetensors").write_bytes(pickle.dumps(np.zeros(3)))
    with pytest.raises(BundleError, match="not a safetensors file|no valid safetensors header"):
        load_bundle(bundle_copy)


def _h5_with_external_link(path, target):
    import h5py

    with h5py.File(path, "w") as f:
        f["rnn_0"] = h5py.ExternalLink(str(target), "/secret")


def test_hdf5_with_external_link_is_refused(bundle_copy, tmp_path):
    _h5_with_external_link(bundle_copy / "model.weights.h5", tmp_path / "host_file.h5")
    with pytest.raises(BundleError, match="unexpected entry 'model.weights.h5'"):
        load_bundle(bundle_copy)


def test_hdf5_disguised_as_safetensors_is_refused(bundle_copy, tmp_path):
    (bundle_copy / "weights.safetensors").unlink()
    _h5_with_external_link(bundle_copy / "weights.safetensors", tmp_path / "host_file.h5")
    with pytest.raises(BundleError, match="not a safetensors file"):
        load_bundle(bundle_copy)


def test_nan_weights_are_refused(bundle_copy):
    def poison(t):
        t["rnn_0.1.recurrent_kernel"][0, 0] = np.nan
        return t

    _rewrite_weights(bundle_copy, poison)
    with pytest.raises(BundleError, match=r"tensor 'rnn_0.1.recurrent_kernel' holds 1 non-finite value"):
        load_bundle(bundle_copy)


def test_wrong_shapes_are_refused(bundle_copy):
    _edit_spec(bundle_copy, lambda d: d["spec"].update(units=7))  # the file holds units=6 tensors
    with pytest.raises(BundleError, match=r"tensor 'output.0.kernel' has shape \[6, 1\]; the network needs \[7, 1\]"):
        load_bundle(bundle_copy)


def test_wrong_tensor_names_are_refused(bundle_copy):
    _rewrite_weights(bundle_copy, lambda t: {("evil.0.kernel" if k == "output.0.kernel" else k): v for k, v in t.items()})
    with pytest.raises(BundleError, match=r"unexpected \['evil.0.kernel'\], missing \['output.0.kernel'\]"):
        load_bundle(bundle_copy)


def test_float64_tensors_are_refused(bundle_copy):
    _rewrite_weights(bundle_copy, lambda t: {k: v.astype("float64") for k, v in t.items()})
    with pytest.raises(BundleError, match=r"dtype 'F64'; only F32"):
        load_bundle(bundle_copy)


def test_trailing_bytes_and_bad_offsets_are_refused(bundle_copy):
    with open(bundle_copy / "weights.safetensors", "ab") as f:
        f.write(b"\0" * 8)
    with pytest.raises(BundleError, match="8 trailing bytes"):
        load_bundle(bundle_copy)


def test_huge_header_length_is_refused(bundle_copy):
    (bundle_copy / "weights.safetensors").write_bytes(struct.pack("<Q", 2**40) + b"{}")
    with pytest.raises(BundleError, match="header length 1099511627776 is impossible"):
        load_bundle(bundle_copy)


def test_oversized_files_are_refused(bundle_copy):
    size = (bundle_copy / "weights.safetensors").stat().st_size
    with pytest.raises(BundleError, match=f"weights.safetensors is {size} bytes; the limit is 100"):
        load_bundle(bundle_copy, BundleLimits(max_weights_bytes=100))
    with open(bundle_copy / "spec.json", "a") as f:
        f.write(" " * 70_000)
    with pytest.raises(BundleError, match=r"spec.json is \d+ bytes; the limit is 65536"):
        load_bundle(bundle_copy)


def test_symlinks_are_refused(bundle_copy, tmp_path):
    target = tmp_path / "elsewhere.safetensors"
    os.replace(bundle_copy / "weights.safetensors", target)
    os.symlink(target, bundle_copy / "weights.safetensors")
    with pytest.raises(BundleError, match="weights.safetensors is not a regular file"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["spec"].update(cell="Transformer"), r"invalid model spec: unknown cell 'Transformer'"),
    (lambda d: d["spec"].update(cell="__import__('subprocess').call('sh')"), r"invalid model spec: unknown cell"),
    (lambda d: d["spec"].update(custom_objects={"f": "lambda x: x"}), r"unknown spec field\(s\) \['custom_objects'\]"),
    (lambda d: d.update(loader="keras.saving.load_model"), r"spec.json keys must be exactly .* unknown \['loader'\]"),
    (lambda d: d.update(format_version=2), r"not a forecast-market/model-bundle version 1"),
    (lambda d: d["preprocessing"]["scaler"].update(scale_=[0.0, 1.0]), r"invalid scaler statistics"),
    (lambda d: d.update(kind="naive"), r"kind 'naive' differs from spec kind 'rnn'"),
])
def test_invalid_specs_are_refused(bundle_copy, edit, message):
    _edit_spec(bundle_copy, edit)
    with pytest.raises(BundleError, match=message):
        load_bundle(bundle_copy)


def test_duplicate_keys_and_nan_in_spec_are_refused(bundle_copy):
    text = (bundle_copy / "spec.json").read_text()
    (bundle_copy / "spec.json").write_text(text.replace('"kind": "rnn"', '"kind": "rnn", "kind": "rnn"', 1))
    with pytest.raises(BundleError, match="duplicate key 'kind'"):
        load_bundle(bundle_copy)
    (bundle_copy / "spec.json").write_text(text.replace('"dropout": 0.0', '"dropout": NaN'))
    with pytest.raises(BundleError, match="contains NaN"):
        load_bundle(bundle_copy)


# ------------------------------------------------------------------ malformed JSON: always a BundleError, one short line


def _spec_text(folder, old, new):
    text = (folder / "spec.json").read_text()
    assert old in text, old
    (folder / "spec.json").write_bytes(text.replace(old, new, 1).encode("utf-8", "surrogateescape"))


def _refused(folder, message, limits=None):
    with pytest.raises(BundleError, match=message) as info:
        load_bundle(folder, *(limits,) if limits else ())
    assert len(str(info.value)) <= MAX_MESSAGE and "\n" not in str(info.value), str(info.value)[:400]
    return str(info.value)


@pytest.mark.parametrize("old, new, message", [
    ('"units": 6', '"units": ' + "9" * 5000, "spec.json holds an integer of 5000 digits; at most 20 are allowed"),
    ('"units": 6', '"units": -' + "9" * 30, "spec.json holds an integer of 30 digits"),
    ('"dropout": 0.0', '"dropout": 1e999', r"spec.json holds 1e999, beyond the range of float64"),
    ('"dropout": 0.0', '"dropout": -Infinity', "spec.json contains -Infinity; only finite numbers"),
    ('"dropout": 0.0', '"dropout": 0.' + "0" * 100, "a number literal of 102 characters"),
    ('"seed": 1', '"seed": ' + "[" * 5000 + "]" * 5000, "spec.json nests too deeply to parse"),
    ('"seed": 1', '"seed": ' + "[" * 20 + "]" * 20, "spec.json nests 22 levels deep; at most 8"),
    ('"seed": 1', '"seed": 1, "seed": 2', "duplicate key 'seed' in spec.json"),
    ('"cell": "LSTM"', '"cell": "' + "A" * 60_000 + '"', r"unknown cell 'AAAA.*\.\.\.'"),
    ('"cell": "LSTM"', '"cell": "\udcff"', "spec.json is not UTF-8"),
    ('"cell": "LSTM"', '"cell": "LSTM"' + "," * 3, "spec.json is not valid JSON: Expecting"),
    ('"units": 6', '"units": ' + ", ".join(["1"] * 5000).join("[]"), r"units must be an integer in \[4, 512\]; got \[1, 1"),
    ('"units": 6', '"units": 1e3', r"units must be an integer in \[4, 512\]; got 1000.0"),
    ('"units": 6', '"units": {"a": [1]}', r"units must be an integer"),
])
def test_malformed_spec_json_is_a_bundle_error(bundle_copy, old, new, message):
    _spec_text(bundle_copy, old, new)
    _refused(bundle_copy, message)


def test_a_hundred_thousand_digit_integer_is_refused_at_any_size_limit(bundle_copy):
    _spec_text(bundle_copy, '"units": 6', '"units": ' + "9" * 100_000)
    _refused(bundle_copy, r"spec.json is 1010\d\d bytes; the limit is 65536")
    _refused(bundle_copy, "spec.json holds an integer of 100000 digits", BundleLimits(max_spec_bytes=200_000))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["preprocessing"]["scaler"].update(mean_=5.0), r"scaler.mean_ must be a list of 2 number\(s\).*got float"),
    (lambda d: d["preprocessing"]["scaler"].update(mean_="ab"), r"scaler.mean_ must be a list .* got str"),
    (lambda d: d["preprocessing"]["scaler"].update(mean_={"y": 1, "x": 2}), r"scaler.mean_ must be a list .* got dict"),
    (lambda d: d["preprocessing"]["scaler"].update(scale_=[1.0]), r"scaler.scale_ must be a list of 2"),
    (lambda d: d["preprocessing"]["scaler"].update(scale_=[1.0, None]), r"scaler.scale_ must be a list of 2"),
    (lambda d: d["preprocessing"]["scaler"].update(delta_scale_=[1.0]), r"delta_scale_ must be a number; got list"),
    (lambda d: d["preprocessing"]["scaler"].update(delta_scale_=-1.0), r"invalid scaler statistics: .*non-positive"),
    (lambda d: d["preprocessing"]["scaler"].update(horizon="2"), r"scaler columns/target/horizon do not match"),
    (lambda d: d["preprocessing"]["scaler"].update(columns="yx"), r"scaler columns/target/horizon do not match"),
    (lambda d: d["preprocessing"].update(scaler=[1, 2]), r"needs preprocessing.scaler with keys"),
    (lambda d: d["preprocessing"].update(feature_columns={"y": 1}), r"feature_columns must be 1-256 distinct"),
    (lambda d: d["preprocessing"].update(feature_columns=["y", "x" * 10_000]), r"feature_columns must be 1-256"),
    (lambda d: d.update(preprocessing=5), r"preprocessing must have exactly the keys"),
    (lambda d: d.update(spec=[]), r"a model spec must be a JSON object, got list"),
    (lambda d: d.update(data=[1]), r"data must map at most 16 names"),
    (lambda d: d.update(tensors="rnn_0.0.kernel"), r"tensors must be a list of at most 64 tensor names"),
    (lambda d: d.update(tensors=[1, 2]), r"tensors must be a list"),
    (lambda d: d.update(tensors=["x" * 1000] * 6), r"tensors must be a list"),
    (lambda d: d.update(kind={"a": [1]}), r"kind \"{'a': \[1\]}\" differs from spec kind 'rnn'"),
    (lambda d: d.update({"x" * 20_000: 1}), r"unknown \['xxxx"),
])
def test_wrong_json_types_are_bundle_errors(bundle_copy, edit, message):
    _edit_spec(bundle_copy, edit)
    _refused(bundle_copy, message)


def _write_header(folder, header_bytes: bytes, keep_data: bool = True):
    raw = (folder / "weights.safetensors").read_bytes()
    (hlen,) = struct.unpack("<Q", raw[:8])
    data = raw[8 + hlen:] if keep_data else b""
    (folder / "weights.safetensors").write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + data)


def _header(folder):
    raw = (folder / "weights.safetensors").read_bytes()
    (hlen,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + hlen])


def _with_entry(field, value_json: str):
    """A header whose entry ``field`` of tensor output.1.bias is the JSON text ``value_json``."""
    def make(header):
        header["output.1.bias"][field] = "@@"
        return json.dumps(header).replace('"@@"', value_json, 1).encode()
    return make


@pytest.mark.parametrize("make, message", [
    (_with_entry("data_offsets", "[0, " + "9" * 100_000 + "]"), "the header holds an integer of 100000 digits"),
    (_with_entry("data_offsets", '["0", "4"]'), "tensor 'output.1.bias' has malformed data_offsets"),
    (_with_entry("data_offsets", "[0, 1e999]"), "the header holds 1e999, beyond the range of float64"),
    (_with_entry("data_offsets", "[0, NaN]"), "the header contains NaN"),
    (_with_entry("shape", "1"), r"tensor 'output.1.bias' has shape 1; the network needs \[1\]"),
    (_with_entry("shape", "[[[[[[[[[1]]]]]]]]]"), "the header nests 11 levels deep"),
    (_with_entry("shape", "[" * 100_000 + "]" * 100_000), "the header nests too deeply to parse"),
    (_with_entry("shape", "[" + ", ".join(["1"] * 50_000) + "]"), r"tensor 'output.1.bias' has shape \[1, 1"),
    (_with_entry("dtype", '["F32"]'), r"tensor 'output.1.bias' has dtype \"\['F32'\]\"; only F32"),
    (_with_entry("dtype", '"' + "F" * 500_000 + '"'), r"has dtype 'FFFFFFFFFFFFFFFF'; only F32"),
    (lambda h: json.dumps([h]).encode(), "header is not a JSON object"),
    (lambda h: json.dumps({**h, "__metadata__": {"a": {"b": 1}}}).encode(), "metadata must map strings to strings"),
    (lambda h: json.dumps({**h, "y" * 500_000: {}}).encode(), r"unexpected \['yyyyy+'\], missing \[\]"),
    (lambda h: json.dumps(h).encode()[:-1] + b', "a": 1, "a": 2}', "duplicate key 'a' in the header"),
    (lambda h: b"\xff" + json.dumps(h).encode(), "the header is not UTF-8"),
])
def test_malformed_safetensors_headers_are_bundle_errors(bundle_copy, make, message):
    _write_header(bundle_copy, make(_header(bundle_copy)))
    _refused(bundle_copy, message)


def test_absurd_specs_are_refused_before_a_network_is_built(bundle_copy, monkeypatch):
    import ml_models.bundle as bundle_module

    def no_build(*_a, **_k):
        raise AssertionError("build_model must not run for a refused spec")

    monkeypatch.setattr(bundle_module, "build_model", no_build)
    for field, value in (("units", 10**9), ("layers", 10**6), ("sequence_length", 10**7), ("dense_units", 2**40)):
        _edit_spec(bundle_copy, lambda d, f=field, v=value: d["spec"].update({f: v}))
        _refused(bundle_copy, f"invalid model spec: {field}={value} is out of range")
        _edit_spec(bundle_copy, lambda d, f=field: d["spec"].update({f: ModelSpec().to_dict()[f] if f != "units" else 6}))
    _edit_spec(bundle_copy, lambda d: d["spec"].update(units=512, layers=4, dense_units=512))
    _refused(bundle_copy, r"the network has 7615489 parameters; the limit is 1000000", BundleLimits(max_parameters=10**6))
