"""The files of a submission bundle, read as untrusted bytes: folder checks and a strict safetensors reader.

Split from :mod:`ml_models.bundle` (which documents the format); nothing here imports TensorFlow.
"""

from __future__ import annotations

import functools
import math
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._strict_json import loads_strict
from .errors import BundleError, MLError, clip_message
from .intinfer.fixed import SAFE

SPEC_FILE = "spec.json"
WEIGHTS_FILE = "weights.safetensors"
#: Bytes per element and numpy dtype of the one tensor dtype each format version accepts.
_DTYPES = {1: ("F32", 4, "<f4"), 2: ("I64", 8, "<i8")}
_MAX_NAME = 128
_MAX_DEPTH = 8  # spec.json nests 4 levels (document, preprocessing, scaler, mean_q), a safetensors header 3


@dataclass(frozen=True)
class BundleLimits:
    """Resource limits applied while loading an untrusted bundle."""

    max_spec_bytes: int = 64 * 1024
    max_weights_bytes: int = 64 * 1024 * 1024
    max_header_bytes: int = 1024 * 1024
    max_parameters: int = 8_000_000


_DEFAULT_LIMITS = BundleLimits()


_DEFAULT_LIMITS = BundleLimits()


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


def _read_limited(path: Path, limit: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BundleError(f"{path.name} is larger than the limit of {limit} bytes")
    return data


def _read_safetensors(path: Path, expected: dict[str, tuple[int, ...]], limits: BundleLimits,
                      version: int) -> dict[str, np.ndarray]:
    """Parse a safetensors file by hand, checking the header before touching tensor data: every tensor of
    ``expected`` (name -> shape) with the one dtype bundle format ``version`` allows."""
    dtype, width, np_dtype = _DTYPES[version]
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
        if info["dtype"] != dtype:
            what = "I64 (int64 fixed point)" if dtype == "I64" else "F32 (float32)"
            raise BundleError(f"tensor {name!r} has dtype {str(info['dtype'])[:16]!r}; only {what} is accepted")
        shape = info["shape"]
        if not isinstance(shape, list) or tuple(shape) != expected[name]:
            raise BundleError(f"tensor {name!r} has shape {shape!r:.80}; the network needs {list(expected[name])}")
        off = info["data_offsets"]
        if not (isinstance(off, list) and len(off) == 2 and all(isinstance(o, int) and not isinstance(o, bool) for o in off)):
            raise BundleError(f"tensor {name!r} has malformed data_offsets")
        begin, end = off
        if not 0 <= begin <= end <= len(data) or end - begin != width * math.prod(expected[name]):
            raise BundleError(f"tensor {name!r} byte range {off} does not fit its shape or the file")
        spans.append((begin, end))
        out[name] = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(expected[name]).astype(np.dtype(np_dtype).newbyteorder("="))
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise BundleError(f"{WEIGHTS_FILE} tensors overlap or leave gaps; save weights with save_bundle()")
        pos = end
    if pos != len(data):
        raise BundleError(f"{WEIGHTS_FILE} has {len(data) - pos} trailing bytes after the tensors")
    for name, arr in out.items():
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise BundleError(f"tensor {name!r} holds {bad} non-finite value(s) (NaN or infinity)")
        if arr.dtype == np.int64 and arr.size and max(int(arr.max()), -int(arr.min())) >= SAFE:
            raise BundleError(f"tensor {name!r} holds a value beyond the fixed-point format's range (|v| < 2**62)")
    return out


