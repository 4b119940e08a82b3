"""Submission bundles: exact round trip, and untrusted bundles refused without running code."""

from __future__ import annotations

import json
import os
import pickle
import struct

import numpy as np
import pytest

from ml_models.bundle import BundleLimits, load_bundle, save_bundle
from ml_models.errors import BundleError
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
