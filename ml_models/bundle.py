"""Submission bundles: ``spec.json`` + ``weights.safetensors``, loaded without running any code.

Layout of a bundle folder (nothing else is allowed in it)::

    spec.json             {"format": "forecast-market/model-bundle", "format_version": 2,
                           "fixed_point": {"frac_bits": 24},
                           "kind": "rnn" | "naive" | "seasonal_naive",
                           "spec": {...ModelSpec...},
                           "preprocessing": {"feature_columns": [...], "target": "...",
                                             "scaler": {"columns", "target", "horizon",
                                                        "mean_q": [int], "scale_q": [int],
                                                        "delta_scale_q": int} | null},
                           "data": {"train": "<dataset id>", ...},
                           "tensors": ["rnn_0.0.kernel", ...]}
    weights.safetensors   int64 (I64) tensors named <layer>.<index>.<variable> (kind "rnn" only)

Version 2 carries the network in the fixed-point format of :mod:`ml_models.intinfer` (Q39.24: a
real ``v`` is the integer ``rint(v * 2**24)``): :func:`save_bundle` quantizes a trained Keras
network's float32 weights and its scaler's statistics once (exactly and deterministically), and
every score is computed from those integers (:class:`~ml_models.intinfer.IntForecaster`), the
same on any machine. Version 1 bundles (float32 weights) are refused with the command that
re-exports them: ``python -m ml_models.bundle upgrade OLD NEW`` (:func:`upgrade_bundle`).

:func:`load_bundle` never calls ``keras.saving.load_model``, pickle or ``np.load``, and never
imports TensorFlow: it checks the folder (regular files only, no symlinks, no extra files, size
limits), parses ``spec.json`` strictly (size limit, no duplicate keys, no NaN, whitelisted fields
and values), derives the network's tensor names and shapes from the spec
(:func:`~ml_models.intinfer.tensor_layout`), reads the safetensors header itself and checks every
tensor's name, dtype (I64), shape and byte range before reading any data, then proves that the
integers cannot overflow int64 in inference (:meth:`~ml_models.intinfer.IntNetwork.from_quantized`).

Every malformed input is a :class:`~ml_models.errors.BundleError` with a one-line message of at most
:data:`~ml_models.errors.MAX_MESSAGE` characters: JSON is parsed by
:func:`~ml_models._strict_json.loads_strict` (size, nesting, integer digits, float range, duplicate
keys), every field's type is checked before it is used, the spec's ranges (and the parameter count
it implies) are checked before any network is built, and anything unforeseen raised while loading
is turned into a ``BundleError`` naming its type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._bundle_files import (
    _DEFAULT_LIMITS,
    _MAX_DEPTH,
    _MAX_NAME,
    SPEC_FILE,
    WEIGHTS_FILE,
    BundleLimits,
    _check_folder,
    _guarded,
    _is_number,
    _names,
    _read_limited,
    _read_safetensors,
)
from ._strict_json import loads_strict
from .data import SeriesScaler
from .errors import BundleError, DataError, MLError, SpecError, clip_message
from .intinfer import F, IntForecaster, IntInferError, IntNetwork, IntScaler, tensor_layout
from .intinfer.fixed import SAFE
from .spec import ModelSpec

__all__ = ["BUNDLE_FORMAT", "BUNDLE_VERSION", "BundleLimits", "load_bundle", "read_bundle_spec", "save_bundle",
           "upgrade_bundle"]

BUNDLE_FORMAT = "forecast-market/model-bundle"
BUNDLE_VERSION = 2
#: The fixed-point format a version 2 bundle names in spec.json.
FIXED_POINT = {"frac_bits": F}
UPGRADE_HINT = "re-export it: python -m ml_models.bundle upgrade OLD_FOLDER NEW_FOLDER"
_V1_KEYS = {"format", "format_version", "kind", "spec", "preprocessing", "data", "tensors"}
_TOP_KEYS = _V1_KEYS | {"fixed_point"}
_PRE_KEYS = {"feature_columns", "target", "scaler"}
_V1_SCALER_KEYS = {"columns", "target", "horizon", "mean_", "scale_", "delta_scale_"}
_SCALER_KEYS = {"columns", "target", "horizon", "mean_q", "scale_q", "delta_scale_q"}


def save_bundle(folder: str | Path, forecaster: Any, data_cids: Mapping[str, str] | None = None) -> Path:
    """Write ``spec.json`` (and ``weights.safetensors`` for kind "rnn") into a new or empty folder.

    ``forecaster`` is a trained :class:`~ml_models.model.Forecaster` (its float32 weights and scaler statistics
    are quantized here) or a loaded :class:`~ml_models.intinfer.IntForecaster`. A network whose integers could
    overflow in inference is refused (:class:`BundleError`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BundleError(f"{folder} is not empty; write a bundle into a new folder")
    fc = _to_int_forecaster(forecaster)
    spec = fc.spec.validate()
    cids = dict(fc.data_cids if data_cids is None else data_cids)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in cids.items()):
        raise BundleError("data_cids must map strings to strings, e.g. {'train': 'Qm...'}")
    tensors = _net_tensors(fc)
    sc = fc.scaler
    doc = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "fixed_point": dict(FIXED_POINT),
        "kind": spec.kind,
        "spec": spec.to_dict(),
        "preprocessing": {
            "feature_columns": list(fc.feature_columns),
            "target": fc.target,
            "scaler": None if sc is None else {
                "columns": list(sc.columns), "target": sc.target, "horizon": spec.horizon,
                "mean_q": [int(v) for v in sc.mean_q], "scale_q": [int(v) for v in sc.scale_q],
                "delta_scale_q": int(sc.delta_scale_q)},
        },
        "data": cids,
        "tensors": list(tensors),
    }
    text = json.dumps(doc, indent=2, sort_keys=True, allow_nan=False)
    if len(text.encode()) > _DEFAULT_LIMITS.max_spec_bytes:
        raise BundleError("spec.json would exceed the 64 KiB limit; use fewer feature columns or shorter data ids")
    (folder / SPEC_FILE).write_text(text + "\n")
    if tensors:
        from safetensors.numpy import save_file

        save_file({k: np.ascontiguousarray(v, dtype="<i8") for k, v in tensors.items()}, str(folder / WEIGHTS_FILE),
                  metadata={"format": BUNDLE_FORMAT})  # one key: safetensors orders metadata keys at random
    return folder


def _to_int_forecaster(fc: Any) -> IntForecaster:
    """A loaded bundle as it is; a trained Keras forecaster quantized (weights and scaler statistics)."""
    if isinstance(fc, IntForecaster):
        return fc
    spec = fc.spec.validate()
    out = IntForecaster(spec=spec, feature_columns=list(fc.feature_columns), target=fc.target,
                        data_cids=dict(fc.data_cids))
    if spec.kind != "rnn":
        return out
    weights = fc.get_weights()
    if not weights or fc.scaler is None:
        raise BundleError("this rnn forecaster has no trained network; train it before saving")
    layout = tensor_layout(spec, len(out.feature_columns))
    if list(weights) != [name for name, _ in layout]:
        raise BundleError(clip_message(f"the network's tensors {_names(weights)} are not the ones the spec implies"))
    try:
        out.net = IntNetwork.from_weights(spec, list(weights.values()), len(out.feature_columns))
        out.scaler = IntScaler.from_dict(fc.scaler.to_dict())
    except IntInferError as exc:
        raise BundleError(clip_message(f"the network cannot be written in the fixed-point format: {exc}")) from None
    return out


def _net_tensors(fc: IntForecaster) -> dict[str, np.ndarray]:
    """``{tensor name: int64 array}`` of a loaded or quantized network, in layout order (empty for baselines)."""
    if fc.spec.kind != "rnn":
        return {}
    if fc.net is None or fc.scaler is None:
        raise BundleError("this rnn forecaster has no network; train it before saving")
    arrays: list[np.ndarray] = []
    for layer in fc.net.recurrent:
        arrays += [layer.w, layer.u, layer.b]
    for w, b, _ in fc.net.dense:
        arrays += [w, b]
    return {name: a for (name, _), a in zip(tensor_layout(fc.spec, len(fc.feature_columns)), arrays, strict=True)}


@_guarded("malformed bundle")
def read_bundle_spec(folder: str | Path, limits: BundleLimits = _DEFAULT_LIMITS) -> dict[str, Any]:
    """Check the folder and parse ``spec.json`` strictly; returns the document (no network built).

    A version 1 bundle is refused with the command that re-exports it (:data:`UPGRADE_HINT`)."""
    return _read_doc(Path(folder), limits, BUNDLE_VERSION)


def _read_doc(folder: Path, limits: BundleLimits, version: int) -> dict[str, Any]:
    sizes = _check_folder(folder, limits)
    raw = _read_limited(folder / SPEC_FILE, limits.max_spec_bytes)
    doc = loads_strict(raw, what=SPEC_FILE, error=BundleError, max_bytes=limits.max_spec_bytes, max_depth=_MAX_DEPTH)
    if not isinstance(doc, dict):
        raise BundleError(f"{SPEC_FILE} must be a JSON object")
    found = doc.get("format_version")
    if doc.get("format") == BUNDLE_FORMAT and found == 1 and version == 2:
        raise BundleError(f"this is a version 1 bundle (float32 weights), which evaluators no longer score; {UPGRADE_HINT}")
    if doc.get("format") != BUNDLE_FORMAT or found != version:
        raise BundleError(f"{SPEC_FILE} is not a {BUNDLE_FORMAT} version {version} document; write it with save_bundle()")
    keys = _TOP_KEYS if version == 2 else _V1_KEYS
    unknown = _names(set(doc) - keys)
    if unknown or set(doc) != keys:
        raise BundleError(f"{SPEC_FILE} keys must be exactly {sorted(keys)}; unknown {unknown}, missing {sorted(keys - set(doc))}")
    if version == 2 and doc["fixed_point"] != FIXED_POINT:
        raise BundleError(f"fixed_point must be {json.dumps(FIXED_POINT)} (the format evaluators compute in); "
                          f"got {str(doc['fixed_point'])[:60]}")
    try:
        spec = ModelSpec.from_dict(doc["spec"])
    except (SpecError, TypeError) as exc:
        raise BundleError(clip_message(f"invalid model spec: {exc}")) from None
    if doc["kind"] != spec.kind:
        raise BundleError(f"kind {str(doc['kind'])[:_MAX_NAME]!r} differs from spec kind {spec.kind!r}")
    pre = doc["preprocessing"]
    if not isinstance(pre, dict) or set(pre) != _PRE_KEYS:
        raise BundleError(f"preprocessing must have exactly the keys {sorted(_PRE_KEYS)}")
    cols = pre["feature_columns"]
    if not isinstance(cols, list) or not cols or len(cols) > 256 or not all(isinstance(c, str) and 0 < len(c) <= _MAX_NAME for c in cols) \
            or len(set(cols)) != len(cols):
        raise BundleError("preprocessing.feature_columns must be 1-256 distinct column names of at most 128 characters")
    if pre["target"] != cols[0]:
        raise BundleError("preprocessing.target must be the first feature column")
    data = doc["data"]
    if not isinstance(data, dict) or len(data) > 16 or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= _MAX_NAME and len(v) <= 256 for k, v in data.items()):
        raise BundleError("data must map at most 16 names to dataset ids (strings of at most 256 characters)")
    tensors = doc["tensors"]
    if not isinstance(tensors, list) or len(tensors) > 64 or not all(isinstance(t, str) and len(t) <= _MAX_NAME for t in tensors):
        raise BundleError("tensors must be a list of at most 64 tensor names")
    if spec.kind == "rnn":
        (_check_scaler if version == 2 else _check_v1_scaler)(pre["scaler"], cols, spec.horizon)
        if WEIGHTS_FILE not in sizes:
            raise BundleError(f"an rnn bundle needs {WEIGHTS_FILE}; save it with save_bundle()")
    else:
        if pre["scaler"] is not None or tensors or WEIGHTS_FILE in sizes:
            raise BundleError(f"a {spec.kind} bundle has no weights and no scaler; remove {WEIGHTS_FILE} and the scaler")
    return doc


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_scaler_fields(sc: Any, cols: list[str], horizon: int, version: int) -> None:
    """The keys and the types of the scaler statistics of a version 2 (integers) or version 1 (numbers) bundle."""
    keys, q = (_SCALER_KEYS, "_q") if version == 2 else (_V1_SCALER_KEYS, "_")
    valid, kind = (_is_int, ("integer", f"integer(s) (fixed point, 2**-{F})")) if version == 2 else (_is_number, ("number", "number(s)"))
    if not isinstance(sc, dict) or set(sc) != keys:
        raise BundleError(f"an rnn bundle needs preprocessing.scaler with keys {sorted(keys)}")
    if sc["columns"] != cols or sc["target"] != cols[0] or not _is_int(sc["horizon"]) or sc["horizon"] != horizon:
        raise BundleError("scaler columns/target/horizon do not match the feature columns and spec")
    for key in (f"mean{q}", f"scale{q}"):
        v = sc[key]
        if not isinstance(v, list) or len(v) != len(cols) or not all(valid(x) for x in v):
            raise BundleError(f"invalid scaler statistics: preprocessing.scaler.{key} must be a list of {len(cols)} "
                              f"{kind[1]}, one per feature column; got {type(v).__name__}")
    if not valid(sc[f"delta_scale{q}"]):
        raise BundleError(f"invalid scaler statistics: delta_scale{q} must be a{'n' if version == 2 else ''} {kind[0]}; "
                          f"got {type(sc[f'delta_scale{q}']).__name__}")


def _check_scaler(sc: Any, cols: list[str], horizon: int) -> IntScaler:
    """The quantized scaler of a version 2 rnn bundle, every field's type and range checked before it is used."""
    _check_scaler_fields(sc, cols, horizon, 2)
    values = sc["mean_q"] + sc["scale_q"] + [sc["delta_scale_q"]]
    if any(abs(v) >= SAFE for v in values):
        raise BundleError("invalid scaler statistics: a value is beyond the fixed-point format's range (|v| < 2**62)")
    if min(sc["scale_q"] + [sc["delta_scale_q"]]) <= 0:
        raise BundleError("invalid scaler statistics: every scale_q and delta_scale_q must be positive")
    return IntScaler(tuple(cols), cols[0], np.asarray(sc["mean_q"], dtype=np.int64),
                     np.asarray(sc["scale_q"], dtype=np.int64), int(sc["delta_scale_q"]))


def _check_v1_scaler(sc: Any, cols: list[str], horizon: int) -> SeriesScaler:
    """The float scaler of a version 1 rnn bundle (read only to upgrade it)."""
    _check_scaler_fields(sc, cols, horizon, 1)
    try:
        return SeriesScaler.from_dict(sc)
    except (DataError, TypeError, ValueError, KeyError, OverflowError) as exc:
        raise BundleError(clip_message(f"invalid scaler statistics: {exc}")) from None


@_guarded("malformed bundle")
def load_bundle(folder: str | Path, limits: BundleLimits = _DEFAULT_LIMITS) -> IntForecaster:
    """Load an untrusted bundle into an :class:`~ml_models.intinfer.IntForecaster`, or raise :class:`BundleError`."""
    return _load(Path(folder), limits, BUNDLE_VERSION)


def _load(folder: Path, limits: BundleLimits, version: int) -> IntForecaster:
    doc = _read_doc(folder, limits, version)
    spec = ModelSpec.from_dict(doc["spec"])
    pre = doc["preprocessing"]
    fc = IntForecaster(spec=spec, feature_columns=list(pre["feature_columns"]), target=pre["target"], data_cids=dict(doc["data"]))
    if spec.kind != "rnn":
        return fc
    n_params = spec.parameter_count(len(fc.feature_columns))  # refused before anything is allocated
    if n_params > limits.max_parameters:
        raise BundleError(f"the network has {n_params} parameters; the limit is {limits.max_parameters}")
    layout = tensor_layout(spec, len(fc.feature_columns))
    if sum(math.prod(shape) for _, shape in layout) != n_params:
        raise BundleError("the network the spec describes does not have the parameters the spec implies")
    names = [name for name, _ in layout]
    if doc["tensors"] != names:
        raise BundleError(clip_message(f"spec.json lists tensors {_names(doc['tensors'])} but the network has {names}"))
    arrays = _read_safetensors(folder / WEIGHTS_FILE, dict(layout), limits, version)
    try:
        if version == 2:
            fc.net = IntNetwork.from_quantized(spec, [arrays[n] for n in names], len(fc.feature_columns))
            fc.scaler = _check_scaler(pre["scaler"], fc.feature_columns, spec.horizon)
        else:
            fc.net = IntNetwork.from_weights(spec, [arrays[n] for n in names], len(fc.feature_columns))
            fc.scaler = IntScaler.from_dict(pre["scaler"])
    except IntInferError as exc:
        raise BundleError(clip_message(f"the network cannot run exactly in the fixed-point format: {exc}")) from None
    return fc


def upgrade_bundle(old: str | Path, new: str | Path, limits: BundleLimits = _DEFAULT_LIMITS) -> Path:
    """Re-export a version 1 bundle (float32 weights) as version 2 into the new or empty folder ``new``.

    The float32 weights and the scaler's float statistics are quantized (``rint(v * 2**24)``: exact and
    deterministic, so anyone upgrading the same bundle gets the same bytes). The old bundle is checked as
    strictly as any bundle; the new one is loaded back before this returns."""
    try:
        fc = _guarded("malformed version 1 bundle")(_load)(Path(old), limits, 1)
    except BundleError as exc:
        raise BundleError(clip_message(f"cannot upgrade {str(old)[:120]}: {exc}")) from None
    save_bundle(new, fc)
    load_bundle(new, limits)
    return Path(new)


def main(argv: list[str] | None = None) -> int:
    """``python -m ml_models.bundle upgrade OLD NEW``: re-export a version 1 bundle as version 2."""
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m ml_models.bundle", description="Submission bundle tools.")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="re-export a version 1 bundle (float32 weights) as version 2 (fixed point)",
                        description="Quantize a version 1 bundle's float32 weights and scaler statistics into the "
                                    "version 2 fixed-point format (exact, deterministic) and write it to NEW.")
    up.add_argument("old", help="the version 1 bundle folder")
    up.add_argument("new", help="a new or empty folder for the version 2 bundle")
    a = p.parse_args(argv)
    try:
        upgrade_bundle(a.old, a.new)
    except MLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the version {BUNDLE_VERSION} bundle {a.new}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
