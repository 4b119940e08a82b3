"""Submission bundles: ``spec.json`` + ``weights.safetensors``, loaded without running any code.

Layout of a bundle folder (nothing else is allowed in it)::

    spec.json             {"format": "forecast-market/model-bundle", "format_version": 1,
                           "kind": "rnn" | "naive" | "seasonal_naive",
                           "spec": {...ModelSpec...},
                           "preprocessing": {"feature_columns": [...], "target": "...",
                                             "scaler": {...SeriesScaler statistics...} | null},
                           "data": {"train": "<dataset id>", ...},
                           "tensors": ["rnn_0.0.kernel", ...]}
    weights.safetensors   float32 tensors named <layer>.<index>.<variable> (kind "rnn" only)

:func:`load_bundle` never calls ``keras.saving.load_model``, pickle or ``np.load``: it checks the
folder (regular files only, no symlinks, no extra files, size limits), parses ``spec.json``
strictly (size limit, no duplicate keys, no NaN, whitelisted fields and values), rebuilds the
network with :func:`~ml_models.model.build_model`, reads the safetensors header itself and checks
every tensor's name, dtype (F32), shape and byte range against the rebuilt network before reading
any data, then checks that every value is finite.

Every malformed input is a :class:`~ml_models.errors.BundleError` with a one-line message of at most
:data:`~ml_models.errors.MAX_MESSAGE` characters: JSON is parsed by
:func:`~ml_models._strict_json.loads_strict` (size, nesting, integer digits, float range, duplicate
keys), every field's type is checked before it is used, the spec's ranges (and the parameter count
it implies) are checked before any network is built, and anything unforeseen raised while loading
is turned into a ``BundleError`` naming its type.
"""

from __future__ import annotations

import functools
import json
import math
import os
import stat
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._strict_json import loads_strict
from .data import SeriesScaler
from .errors import BundleError, DataError, MLError, SpecError, clip_message
from .model import Forecaster, build_model, weight_names
from .spec import ModelSpec

__all__ = ["BUNDLE_FORMAT", "BUNDLE_VERSION", "BundleLimits", "load_bundle", "read_bundle_spec", "save_bundle"]

BUNDLE_FORMAT = "forecast-market/model-bundle"
BUNDLE_VERSION = 1
SPEC_FILE = "spec.json"
WEIGHTS_FILE = "weights.safetensors"
_TOP_KEYS = {"format", "format_version", "kind", "spec", "preprocessing", "data", "tensors"}
_PRE_KEYS = {"feature_columns", "target", "scaler"}
_SCALER_KEYS = {"columns", "target", "horizon", "mean_", "scale_", "delta_scale_"}
_MAX_NAME = 128
_MAX_DEPTH = 8  # spec.json nests 4 levels (document, preprocessing, scaler, mean_), a safetensors header 3


@dataclass(frozen=True)
class BundleLimits:
    """Resource limits applied while loading an untrusted bundle."""

    max_spec_bytes: int = 64 * 1024
    max_weights_bytes: int = 64 * 1024 * 1024
    max_header_bytes: int = 1024 * 1024
    max_parameters: int = 8_000_000


_DEFAULT_LIMITS = BundleLimits()


def save_bundle(folder: str | Path, forecaster: Forecaster, data_cids: Mapping[str, str] | None = None) -> Path:
    """Write ``spec.json`` (and ``weights.safetensors`` for kind "rnn") into a new or empty folder."""
    from safetensors.numpy import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BundleError(f"{folder} is not empty; write a bundle into a new folder")
    spec = forecaster.spec.validate()
    cids = dict(forecaster.data_cids if data_cids is None else data_cids)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in cids.items()):
        raise BundleError("data_cids must map strings to strings, e.g. {'train': 'Qm...'}")
    weights = forecaster.get_weights()
    doc = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "kind": spec.kind,
        "spec": spec.to_dict(),
        "preprocessing": {
            "feature_columns": list(forecaster.feature_columns),
            "target": forecaster.target,
            "scaler": forecaster.scaler.to_dict() if (forecaster.scaler is not None and spec.kind == "rnn") else None,
        },
        "data": cids,
        "tensors": list(weights),
    }
    text = json.dumps(doc, indent=2, sort_keys=True, allow_nan=False)
    if len(text.encode()) > _DEFAULT_LIMITS.max_spec_bytes:
        raise BundleError("spec.json would exceed the 64 KiB limit; use fewer feature columns or shorter data ids")
    (folder / SPEC_FILE).write_text(text + "\n")
    if spec.kind == "rnn":
        if not weights:
            raise BundleError("this rnn forecaster has no trained network; train it before saving")
        save_file({k: np.ascontiguousarray(v, dtype="float32") for k, v in weights.items()}, str(folder / WEIGHTS_FILE),
                  metadata={"format": BUNDLE_FORMAT})
    return folder


def _check_folder(folder: Path, limits: BundleLimits) -> dict[str, int]:
    try:
        st = os.lstat(folder)
    except OSError as exc:
        raise BundleError(f"cannot open bundle folder {str(folder)!r}: {exc.strerror}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise BundleError(f"{str(folder)!r} is not a folder (symlinks are refused); give the bundle folder")
    sizes: dict[str, int] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        est = entry.stat(follow_symlinks=False)
        if entry.name not in (SPEC_FILE, WEIGHTS_FILE):
            raise BundleError(
                f"unexpected entry {entry.name[:_MAX_NAME]!r} in the bundle; a bundle holds only {SPEC_FILE} and "
                f"{WEIGHTS_FILE} (no .keras/.h5/.npy/pickle files): remove it"
            )
        if not stat.S_ISREG(est.st_mode):
            raise BundleError(f"{entry.name} is not a regular file (symlinks and folders are refused)")
        if est.st_nlink > 1:
            raise BundleError(f"{entry.name} is a hard link; copy the file into the bundle instead")
        sizes[entry.name] = est.st_size
    if SPEC_FILE not in sizes:
        raise BundleError(f"the bundle has no {SPEC_FILE}; write bundles with save_bundle()")
    if sizes[SPEC_FILE] > limits.max_spec_bytes:
        raise BundleError(f"{SPEC_FILE} is {sizes[SPEC_FILE]} bytes; the limit is {limits.max_spec_bytes}")
    if sizes.get(WEIGHTS_FILE, 0) > limits.max_weights_bytes:
        raise BundleError(f"{WEIGHTS_FILE} is {sizes[WEIGHTS_FILE]} bytes; the limit is {limits.max_weights_bytes}")
    return sizes


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _names(items: Any) -> list[str]:
    """At most five names, each cut short, for a message."""
    return [str(n)[:40] for n in sorted(items)[:5]]


def _guarded(what: str) -> Any:
    """Decorator: anything but a ``BundleError`` raised inside becomes one (a stranger's file must never crash the caller)."""

    def wrap(fn: Any) -> Any:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except BundleError as exc:
                msg = clip_message(exc)
                if msg == str(exc):
                    raise
                raise BundleError(msg) from None
            except (MLError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                    RecursionError, OSError) as exc:
                raise BundleError(clip_message(f"{what}: {type(exc).__name__}: {exc}")) from None

        return inner

    return wrap


@_guarded("malformed bundle")
def read_bundle_spec(folder: str | Path, limits: BundleLimits = _DEFAULT_LIMITS) -> dict[str, Any]:
    """Check the folder and parse ``spec.json`` strictly; returns the document (no network built)."""
    folder = Path(folder)
    sizes = _check_folder(folder, limits)
    raw = _read_limited(folder / SPEC_FILE, limits.max_spec_bytes)
    doc = loads_strict(raw, what=SPEC_FILE, error=BundleError, max_bytes=limits.max_spec_bytes, max_depth=_MAX_DEPTH)
    if not isinstance(doc, dict):
        raise BundleError(f"{SPEC_FILE} must be a JSON object")
    if doc.get("format") != BUNDLE_FORMAT or doc.get("format_version") != BUNDLE_VERSION:
        raise BundleError(f"{SPEC_FILE} is not a {BUNDLE_FORMAT} version {BUNDLE_VERSION} document; write it with save_bundle()")
    unknown = _names(set(doc) - _TOP_KEYS)
    if unknown or set(doc) != _TOP_KEYS:
        raise BundleError(f"{SPEC_FILE} keys must be exactly {sorted(_TOP_KEYS)}; unknown {unknown}, missing {sorted(_TOP_KEYS - set(doc))}")
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
        _check_scaler(pre["scaler"], cols, spec.horizon)
        if WEIGHTS_FILE not in sizes:
            raise BundleError(f"an rnn bundle needs {WEIGHTS_FILE}; save it with save_bundle()")
    else:
        if pre["scaler"] is not None or tensors or WEIGHTS_FILE in sizes:
            raise BundleError(f"a {spec.kind} bundle has no weights and no scaler; remove {WEIGHTS_FILE} and the scaler")
    return doc


def _check_scaler(sc: Any, cols: list[str], horizon: int) -> SeriesScaler:
    """The scaler of an rnn bundle, every field's type checked before it is used."""
    if not isinstance(sc, dict) or set(sc) != _SCALER_KEYS:
        raise BundleError(f"an rnn bundle needs preprocessing.scaler with keys {sorted(_SCALER_KEYS)}")
    for key in ("mean_", "scale_"):
        v = sc[key]
        if not isinstance(v, list) or len(v) != len(cols) or not all(_is_number(x) for x in v):
            raise BundleError(f"invalid scaler statistics: preprocessing.scaler.{key} must be a list of {len(cols)} "
                              f"number(s), one per feature column; got {type(v).__name__}")
    if not _is_number(sc["delta_scale_"]):
        raise BundleError(f"invalid scaler statistics: delta_scale_ must be a number; got {type(sc['delta_scale_']).__name__}")
    if sc["columns"] != cols or sc["target"] != cols[0] or sc["horizon"] != horizon \
            or not isinstance(sc["horizon"], int) or isinstance(sc["horizon"], bool):
        raise BundleError("scaler columns/target/horizon do not match the feature columns and spec")
    try:
        return SeriesScaler.from_dict(sc)
    except (DataError, TypeError, ValueError, KeyError, OverflowError) as exc:
        raise BundleError(clip_message(f"invalid scaler statistics: {exc}")) from None


def _read_limited(path: Path, limit: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BundleError(f"{path.name} is larger than the limit of {limit} bytes")
    return data


def _read_safetensors(path: Path, expected: dict[str, tuple[int, ...]], limits: BundleLimits) -> dict[str, np.ndarray]:
    """Parse a safetensors file by hand, checking the header before touching tensor data."""
    raw = _read_limited(path, limits.max_weights_bytes)
    if len(raw) < 8:
        raise BundleError(f"{WEIGHTS_FILE} is too short to be a safetensors file")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if hlen > limits.max_header_bytes or 8 + hlen > len(raw):
        raise BundleError(f"{WEIGHTS_FILE} is not a safetensors file (header length {hlen} is impossible)")
    try:
        header = loads_strict(raw[8 : 8 + hlen], what="the header", error=BundleError, max_bytes=limits.max_header_bytes,
                              max_depth=_MAX_DEPTH)
    except BundleError as exc:
        raise BundleError(clip_message(f"{WEIGHTS_FILE} has no valid safetensors header ({exc}); save weights with save_bundle()")) from None
    if not isinstance(header, dict):
        raise BundleError(f"{WEIGHTS_FILE} header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is not None and (not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values())):
        raise BundleError(f"{WEIGHTS_FILE} metadata must map strings to strings")
    names = set(header)
    if names != set(expected):
        extra, missing = _names(names - set(expected)), _names(set(expected) - names)
        raise BundleError(f"tensor names do not match the network the spec describes: unexpected {extra}, missing {missing}")
    data = raw[8 + hlen :]
    spans = []
    out: dict[str, np.ndarray] = {}
    for name in sorted(expected):
        info = header[name]
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise BundleError(f"tensor {name!r} has a malformed header entry")
        if info["dtype"] != "F32":
            raise BundleError(f"tensor {name!r} has dtype {str(info['dtype'])[:16]!r}; only F32 (float32) is accepted")
        shape = info["shape"]
        if not isinstance(shape, list) or tuple(shape) != expected[name]:
            raise BundleError(f"tensor {name!r} has shape {shape!r:.80}; the network needs {list(expected[name])}")
        off = info["data_offsets"]
        if not (isinstance(off, list) and len(off) == 2 and all(isinstance(o, int) and not isinstance(o, bool) for o in off)):
            raise BundleError(f"tensor {name!r} has malformed data_offsets")
        begin, end = off
        if not 0 <= begin <= end <= len(data) or end - begin != 4 * math.prod(expected[name]):
            raise BundleError(f"tensor {name!r} byte range {off} does not fit its shape or the file")
        spans.append((begin, end))
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(expected[name]).copy()
    spans.sort()
    pos = 0
    for begin, end in spans:
        if begin != pos:
            raise BundleError(f"{WEIGHTS_FILE} tensors overlap or leave gaps; save weights with save_bundle()")
        pos = end
    if pos != len(data):
        raise BundleError(f"{WEIGHTS_FILE} has {len(data) - pos} trailing bytes after the tensors")
    for name, arr in out.items():
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise BundleError(f"tensor {name!r} holds {bad} non-finite value(s) (NaN or infinity)")
    return out


@_guarded("malformed bundle")
def load_bundle(folder: str | Path, limits: BundleLimits = _DEFAULT_LIMITS) -> Forecaster:
    """Load an untrusted bundle into a :class:`Forecaster`, or raise :class:`BundleError`."""
    folder = Path(folder)
    doc = read_bundle_spec(folder, limits)
    spec = ModelSpec.from_dict(doc["spec"])
    pre = doc["preprocessing"]
    fc = Forecaster(spec=spec, feature_columns=list(pre["feature_columns"]), target=pre["target"], data_cids=dict(doc["data"]))
    if spec.kind != "rnn":
        return fc
    n_params = spec.parameter_count(len(fc.feature_columns))  # refused before anything is allocated
    if n_params > limits.max_parameters:
        raise BundleError(f"the network has {n_params} parameters; the limit is {limits.max_parameters}")
    model = build_model(spec, len(fc.feature_columns))
    if sum(int(np.prod(w.shape)) for w in model.weights) != n_params:
        raise BundleError("the network built from the spec does not have the parameters the spec implies")
    names = weight_names(model)
    expected = {n: tuple(int(d) for d in w.shape) for n, w in zip(names, model.weights, strict=True)}
    if doc["tensors"] != names:
        raise BundleError(clip_message(f"spec.json lists tensors {_names(doc['tensors'])} but the network has {names}"))
    arrays = _read_safetensors(folder / WEIGHTS_FILE, expected, limits)
    model.set_weights([arrays[n] for n in names])
    fc.scaler = SeriesScaler.from_dict(pre["scaler"])
    fc.model = model
    return fc
