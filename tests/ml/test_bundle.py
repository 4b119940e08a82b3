"""Submission bundles: exact round trip, and untrusted bundles refused without running code."""

from __future__ import annotations

import json
import os
import pickle
import struct

import numpy as np
import pytest

from ml_models.bundle import BundleLimits, load_bundle, save_bundle, upgrade_bundle
from ml_models.errors import MAX_MESSAGE, BundleError
from ml_models.intinfer import IntForecaster, dequantize, quantize, tensor_layout
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


def _write_v1(folder, fc):
    """A version 1 bundle as save_bundle wrote them before fixed point: float scaler statistics, F32 tensors."""
    from safetensors.numpy import save_file

    folder.mkdir()
    weights = fc.get_weights()
    doc = {"format": "forecast-market/model-bundle", "format_version": 1, "kind": "rnn", "spec": fc.spec.to_dict(),
           "preprocessing": {"feature_columns": fc.feature_columns, "target": fc.target, "scaler": fc.scaler.to_dict()},
           "data": fc.data_cids, "tensors": list(weights)}
    (folder / "spec.json").write_text(json.dumps(doc))
    save_file(weights, str(folder / "weights.safetensors"))
    return folder


def test_round_trip_quantizes_once_and_forecasts_like_keras(trained, bundle, split, tmp_path):
    assert sorted(p.name for p in bundle.iterdir()) == ["spec.json", "weights.safetensors"]
    doc = json.loads((bundle / "spec.json").read_text())
    assert doc["kind"] == "rnn" and doc["data"] == {"train": "QmTrainData"} and doc["format_version"] == 2
    assert doc["fixed_point"] == {"frac_bits": 24}
    assert doc["preprocessing"]["scaler"]["mean_q"] == quantize(np.asarray(trained.scaler.mean_)).tolist()
    from safetensors.numpy import load_file

    tensors = load_file(str(bundle / "weights.safetensors"))
    for name, w in trained.get_weights().items():
        assert tensors[name].dtype == np.int64 and (tensors[name] == quantize(w)).all(), name
    loaded = load_bundle(bundle)
    assert isinstance(loaded, IntForecaster) and loaded.spec == trained.spec and loaded.feature_columns == ["y", "x"]
    q = loaded.forecast_test_q(split.train, split.test)
    assert q.dtype == np.int64
    np.testing.assert_allclose(dequantize(q), trained.forecast_test(split.train, split.test), atol=1e-5)
    again = save_bundle(tmp_path / "again", loaded)  # a loaded bundle saves to the same bytes
    assert all((again / n).read_bytes() == (bundle / n).read_bytes() for n in ("spec.json", "weights.safetensors"))


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_tensor_layout_names_and_shapes_are_the_keras_networks(cell):
    from ml_models.model import build_model, weight_names

    spec = ModelSpec(cell=cell, layers=2, units=5, dense_units=3, sequence_length=4)
    model = build_model(spec, 3)
    keras_layout = [(n, tuple(w.shape)) for n, w in zip(weight_names(model), model.weights, strict=True)]
    assert tensor_layout(spec, 3) == keras_layout


def test_a_version_1_bundle_is_refused_with_the_way_to_re_export_it(trained, bundle, tmp_path):
    import subprocess
    import sys

    old = _write_v1(tmp_path / "v1", trained)
    message = _refused(old, r"version 1 bundle \(float32 weights\).*python -m ml_models.bundle upgrade OLD_FOLDER NEW_FOLDER")
    assert "re-export" in message
    cmd = [sys.executable, "-m", "ml_models.bundle", "upgrade", str(old), str(tmp_path / "v2")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "wrote the version 2 bundle" in done.stdout, done.stderr
    for name in ("spec.json", "weights.safetensors"):  # quantizing is exact: the same bytes as save_bundle writes
        assert (tmp_path / "v2" / name).read_bytes() == (bundle / name).read_bytes()
    again = subprocess.run(cmd[:-1] + [str(tmp_path / "v3")], capture_output=True, text=True, timeout=120)
    bad = subprocess.run(cmd[:4] + [str(tmp_path / "v2"), str(tmp_path / "v4")], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "cannot upgrade" in bad.stderr and "not a forecast-market/model-bundle version 1 document" in bad.stderr
    upgrade_bundle(old, tmp_path / "v5")
    with pytest.raises(BundleError, match="is not empty"):
        upgrade_bundle(old, tmp_path / "v5")


@pytest.mark.parametrize("kind", ["naive", "seasonal_naive"])
def test_baseline_bundles_have_no_weights(kind, split, schema, tmp_path):
    fc = train(ModelSpec(kind=kind, sequence_length=10, horizon=2, season=7), split.train, schema)
    save_bundle(tmp_path / kind, fc)
    assert [p.name for p in (tmp_path / kind).iterdir()] == ["spec.json"]
    assert json.loads((tmp_path / kind / "spec.json").read_text())["format_version"] == 2
    np.testing.assert_array_equal(load_bundle(tmp_path / kind).forecast_test_q(split.train, split.test),
                                  quantize(fc.forecast_test(split.train, split.test)))
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


@pytest.mark.parametrize("value, message", [
    (-(2**63), r"tensor 'rnn_0.1.recurrent_kernel' holds a value beyond the fixed-point format's range"),
    (2**62, r"tensor 'rnn_0.1.recurrent_kernel' holds a value beyond the fixed-point format's range"),
    (2**45, r"rnn_0: the gate pre-activation could reach .* > 2\*\*62 .* too large to run exactly"),
])
def test_weights_that_could_overflow_are_refused(bundle_copy, value, message):
    def poison(t):
        t["rnn_0.1.recurrent_kernel"][0, 0] = value
        return t

    _rewrite_weights(bundle_copy, poison)
    _refused(bundle_copy, message)


def test_wrong_shapes_are_refused(bundle_copy):
    _edit_spec(bundle_copy, lambda d: d["spec"].update(units=7))  # the file holds units=6 tensors
    with pytest.raises(BundleError, match=r"tensor 'output.0.kernel' has shape \[6, 1\]; the network needs \[7, 1\]"):
        load_bundle(bundle_copy)


def test_wrong_tensor_names_are_refused(bundle_copy):
    _rewrite_weights(bundle_copy, lambda t: {("evil.0.kernel" if k == "output.0.kernel" else k): v for k, v in t.items()})
    with pytest.raises(BundleError, match=r"unexpected \['evil.0.kernel'\], missing \['output.0.kernel'\]"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize("dtype, name", [("float32", "F32"), ("float64", "F64"), ("int32", "I32"), ("uint64", "U64")])
def test_tensors_other_than_int64_are_refused(bundle_copy, dtype, name):
    _rewrite_weights(bundle_copy, lambda t: {k: v.astype(dtype) for k, v in t.items()})
    with pytest.raises(BundleError, match=rf"dtype '{name}'; only I64 \(int64 fixed point\)"):
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
    (lambda d: d.update(format_version=3), r"not a forecast-market/model-bundle version 2"),
    (lambda d: d.update(format_version=1), r"version 1 bundle .*python -m ml_models.bundle upgrade"),
    (lambda d: d.update(fixed_point={"frac_bits": 16}), r"fixed_point must be \{\"frac_bits\": 24\}"),
    (lambda d: d.update(fixed_point=None), r"fixed_point must be"),
    (lambda d: d.pop("fixed_point"), r"keys must be exactly .* missing \['fixed_point'\]"),
    (lambda d: d["preprocessing"]["scaler"].update(scale_q=[0, 1]), r"every scale_q and delta_scale_q must be positive"),
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
    (lambda d: d["preprocessing"]["scaler"].update(mean_q=5), r"scaler.mean_q must be a list of 2 integer\(s\).*got int"),
    (lambda d: d["preprocessing"]["scaler"].update(mean_q="ab"), r"scaler.mean_q must be a list .* got str"),
    (lambda d: d["preprocessing"]["scaler"].update(mean_q={"y": 1, "x": 2}), r"scaler.mean_q must be a list .* got dict"),
    (lambda d: d["preprocessing"]["scaler"].update(mean_q=[1.5, 2]), r"scaler.mean_q must be a list of 2 integer"),
    (lambda d: d["preprocessing"]["scaler"].update(mean_q=[True, 2]), r"scaler.mean_q must be a list of 2 integer"),
    (lambda d: d["preprocessing"]["scaler"].update(mean_q=[2**62, 2]), r"beyond the fixed-point format's range"),
    (lambda d: d["preprocessing"]["scaler"].update(scale_q=[1]), r"scaler.scale_q must be a list of 2"),
    (lambda d: d["preprocessing"]["scaler"].update(scale_q=[1, None]), r"scaler.scale_q must be a list of 2"),
    (lambda d: d["preprocessing"]["scaler"].update(delta_scale_q=[1]), r"delta_scale_q must be an integer; got list"),
    (lambda d: d["preprocessing"]["scaler"].update(delta_scale_q=-1), r"invalid scaler statistics: .*must be positive"),
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
    (_with_entry("dtype", '["F32"]'), r"tensor 'output.1.bias' has dtype \"\['F32'\]\"; only I64"),
    (_with_entry("dtype", '"' + "F" * 500_000 + '"'), r"has dtype 'FFFFFFFFFFFFFFFF'; only I64"),
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
        raise AssertionError("no network may be laid out for a refused spec")

    monkeypatch.setattr(bundle_module, "tensor_layout", no_build)
    for field, value in (("units", 10**9), ("layers", 10**6), ("sequence_length", 10**7), ("dense_units", 2**40)):
        _edit_spec(bundle_copy, lambda d, f=field, v=value: d["spec"].update({f: v}))
        _refused(bundle_copy, f"invalid model spec: {field}={value} is out of range")
        _edit_spec(bundle_copy, lambda d, f=field: d["spec"].update({f: ModelSpec().to_dict()[f] if f != "units" else 6}))
    _edit_spec(bundle_copy, lambda d: d["spec"].update(units=512, layers=4, dense_units=512))
    _refused(bundle_copy, r"the network has 7615489 parameters; the limit is 1000000", BundleLimits(max_parameters=10**6))
