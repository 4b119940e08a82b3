"""Score submission bundles on the test set, each in its own resource-limited subprocess.

The parent writes the training and test rows once, then runs, for every bundle::

    python -m ml_models.scoring --bundle DIR --data DIR --out FILE

in a new process group with ``RLIMIT_AS`` (address space, ``memory_mb``), ``RLIMIT_CPU``,
``RLIMIT_FSIZE`` and no core dumps, killed after ``timeout_s`` seconds of wall-clock time (the
defaults are :data:`DEFAULT_LIMITS`). The
worker loads the bundle with :func:`~ml_models.bundle.load_bundle` (no code is ever deserialised),
forecasts exactly the test rows with one TensorFlow thread (bit-identical from run to run on the
same machine) and writes its predictions as JSON. The parent computes the metric itself from
those predictions, so a bundle that crashes, hangs, exhausts memory, is invalid, predicts NaN,
or predicts values so large that the metric overflows float64 or its score does not fit int64
(:func:`~ml_models.metrics.score_fits`) gets ``ok=False`` and a one-line reason of at most
:data:`~ml_models.errors.MAX_MESSAGE` characters, and never stops the run. Only problems that are
not about a bundle raise :class:`~ml_models.errors.ScoringError`: columns that differ from the
schema, an empty test set, a metric that cannot be computed on the test set even for perfect
forecasts, a worker command that cannot be started.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._strict_json import loads_strict
from .data import Schema, read_dataset_bundle, write_dataset_bundle
from .errors import MLError, ScoringError, clip_message
from .metrics import get_metric, to_score_int

__all__ = ["DEFAULT_LIMITS", "ScoreResult", "ScoringLimits", "direction_outcomes", "fit_problems", "score_bundles",
           "score_predictions"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_WORKER_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "KERAS_BACKEND": "tensorflow",
    "TF_ENABLE_ONEDNN_OPTS": "0",  # plain Eigen kernels: the same float results on more CPUs
    "CUDA_VISIBLE_DEVICES": "-1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}
_RESULT_BYTES_BASE = 64 * 1024  # a worker's result: this much, plus _RESULT_BYTES_PER_ROW per test row
_RESULT_BYTES_PER_ROW = 32  # repr of a float64 is at most 24 characters, then ", "
_STDERR_TAIL = 64 * 1024  # the end of a failed worker's stderr, where its error is


@dataclass(frozen=True)
class ScoringLimits:
    """Resources of one scoring worker: wall-clock seconds and MB of address space.

    TensorFlow alone reserves about 2.4 GB of address space, so keep ``memory_mb`` well above that.
    """

    timeout_s: float = 300.0
    memory_mb: int = 4096


#: The limits :func:`score_bundles` applies unless told otherwise.
DEFAULT_LIMITS = ScoringLimits()


@dataclass
class ScoreResult:
    """Outcome for one bundle: ``ok`` with ``score`` (and ``score_int`` = :func:`~ml_models.metrics.to_score_int` of it),
    or a one-line ``reason`` of at most :data:`~ml_models.errors.MAX_MESSAGE` characters."""

    bundle: str
    ok: bool
    score: float | None = None
    score_int: int | None = None
    metric: str = ""
    higher_is_better: bool = False
    predictions: list[float] | None = None
    reason: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_predictions(predictions: Any, train_df: pd.DataFrame, test_df: pd.DataFrame, schema: Schema,
                      metric: int | str) -> float:
    """The metric of predictions for exactly the test rows (deterministic, computed in float64)."""
    _, m = get_metric(metric)
    y, t, origin = _targets(train_df, test_df, schema)
    return float(m.fn(t, np.asarray(predictions, dtype="float64"), y_origin=origin, y_train=y,
                      season=schema.season, task=schema.task))


def direction_outcomes(train_df: pd.DataFrame, test_df: pd.DataFrame, schema: Schema) -> np.ndarray:
    """For each test row, 1.0 when the target rose over the horizon (``target[i] > target[i - horizon]``), else 0.0:
    what a perfect direction forecast says."""
    _, t, origin = _targets(train_df, test_df, schema)
    return (t > origin).astype("float64")


def _targets(train_df: pd.DataFrame, test_df: pd.DataFrame, schema: Schema) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(training target, test target, the value each test target is forecast from: ``target[i - horizon]``)."""
    y = train_df[schema.target].to_numpy("float64")
    t = test_df[schema.target].to_numpy("float64")
    full = np.concatenate([y, t])
    return y, t, full[len(y) - schema.horizon : len(full) - schema.horizon]


def _limits(memory_mb: int, cpu_s: int) -> Any:
    def apply() -> None:  # runs in the child between fork and exec
        import resource

        mem = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))

    return apply


def _describe_exit(code: int, stderr: str, memory_mb: int) -> str:
    tail = [ln for ln in stderr.strip().splitlines() if ln.strip()][-1:] or [""]
    if "MemoryError" in stderr or "bad_alloc" in stderr or "Cannot allocate memory" in stderr or "OOM" in stderr:
        return f"memory limit of {memory_mb} MB exceeded ({tail[0][:200]})"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGXCPU:
            return "CPU time limit exceeded (SIGXCPU)"
        return f"worker crashed with {name}"
    return f"worker exited with code {code}: {tail[0][:300]}"


def score_bundles(
    bundle_dirs: Sequence[str | Path],
    train_df: pd.DataFrame,
    test_df: pd.DataFrame,
    schema: Schema,
    metric: int | str,
    *,
    timeout_s: float = DEFAULT_LIMITS.timeout_s,
    memory_mb: int = DEFAULT_LIMITS.memory_mb,
    worker_cmd: Sequence[str] | None = None,
    keep_predictions: bool = True,
) -> list[ScoreResult]:
    """Score every bundle on the test rows; one :class:`ScoreResult` per bundle, in order.

    ``train_df`` is the published training data (the context for the first test windows) and
    ``test_df`` the revealed test rows; ``metric`` is an id or name from
    :data:`~ml_models.metrics.METRICS`. Each bundle runs in its own subprocess with ``timeout_s``
    seconds of wall-clock time and ``memory_mb`` MB of address space (defaults:
    :data:`DEFAULT_LIMITS`). ``worker_cmd`` replaces ``[python, -m, ml_models.scoring]`` (e.g. to
    wrap the worker in a sandbox such as bwrap); it receives ``--bundle --data --out``.

    Nothing a participant controls makes this raise: every failure of one bundle is its failed
    result with a one-line reason. :class:`ScoringError` is only for problems with the data, the
    metric or the worker command (see the module docstring).
    """
    mid, m = get_metric(metric)
    schema.validate()
    if list(train_df.columns) != schema.columns or list(test_df.columns) != schema.columns:
        raise ScoringError(clip_message(f"train/test columns must be the schema columns {schema.columns}"))
    if len(test_df) == 0:
        raise ScoringError("the test set is empty; nothing to score")
    _check_metric_on_actuals(train_df, test_df, schema, mid)
    cmd = list(worker_cmd) if worker_cmd else [sys.executable, "-m", "ml_models.scoring"]
    results: list[ScoreResult] = []
    with tempfile.TemporaryDirectory(prefix="score-") as tmp:
        data_dir = Path(tmp) / "data"
        s = replace(schema, n_train=len(train_df), n_test=len(test_df))
        write_dataset_bundle(data_dir, train_df, s, part="train")
        write_dataset_bundle(data_dir, test_df, s, part="test")
        for i, bdir in enumerate(bundle_dirs):
            res = ScoreResult(bundle=str(bdir), ok=False, metric=m.name, higher_is_better=m.higher_is_better)
            out = Path(tmp) / f"result-{i}.json"
            t0 = time.monotonic()
            if "\0" in str(bdir):  # not a path a process can be given
                res.reason = "the bundle path holds a NUL byte"
            else:
                code, stderr = _run_worker(cmd + ["--bundle", str(bdir), "--data", str(data_dir), "--out", str(out)],
                                           Path(tmp), ScoringLimits(timeout_s, memory_mb))
                _judge(res, code, stderr, out, ScoringLimits(timeout_s, memory_mb), (train_df, test_df, schema, mid))
            res.seconds = time.monotonic() - t0
            if not keep_predictions:
                res.predictions = None
            results.append(res)
    return results


def _check_metric_on_actuals(train_df: pd.DataFrame, test_df: pd.DataFrame, schema: Schema, mid: int) -> None:
    """The metric must have a score for perfect forecasts, else no bundle could be scored: not a bundle's fault."""
    perfect = direction_outcomes(train_df, test_df, schema) if schema.task == "direction" \
        else test_df[schema.target].to_numpy("float64")
    try:
        to_score_int(score_predictions(perfect, train_df, test_df, schema, mid))
    except ValueError as exc:  # MetricError
        raise ScoringError(clip_message(f"the metric cannot be computed on this data even for perfect forecasts: {exc}")) from None


def _judge(res: ScoreResult, code: int | None, stderr: str, out: Path, limits: ScoringLimits,
           data: tuple[pd.DataFrame, pd.DataFrame, Schema, int]) -> None:
    """Fill ``res`` from a finished worker; anything that goes wrong here is this bundle's failed row."""
    try:
        if code is None:
            res.reason = f"timed out after {limits.timeout_s:g} s"
        elif code != 0:
            res.reason = _describe_exit(code, stderr, limits.memory_mb)
        else:
            _read_worker_result(out, res, *data)
    except Exception as exc:  # a last resort: one bundle's failure must never stop the run
        res.ok, res.score, res.score_int, res.predictions = False, None, None, None
        res.reason = f"cannot score: {type(exc).__name__}: {exc}"
    res.reason = clip_message(res.reason) if not res.ok else ""


def _worker_env() -> dict[str, str]:
    env = {**os.environ, **_WORKER_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(_PROJECT_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _run_worker(argv: list[str], cwd: Path, limits: ScoringLimits) -> tuple[int | None, str]:
    """Run one worker under ``limits``; return ``(exit code, stderr)``, or ``(None, "")`` when it timed out."""
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_worker_env(), cwd=cwd,
            start_new_session=True, preexec_fn=_limits(limits.memory_mb, int(math.ceil(limits.timeout_s)) + 5),
        )
    except (OSError, subprocess.SubprocessError) as exc:  # not a bundle's fault: the scorer cannot run at all
        raise ScoringError(clip_message(f"cannot start the scoring worker {argv[0]!r}: {exc}")) from None
    try:
        _, err = proc.communicate(timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        return None, ""
    finally:
        _kill_group(proc)
    return proc.returncode, err[-_STDERR_TAIL:].decode("utf-8", "replace")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_worker_result(out: Path, res: ScoreResult, train_df: pd.DataFrame, test_df: pd.DataFrame,
                        schema: Schema, mid: int) -> None:
    limit = _RESULT_BYTES_BASE + _RESULT_BYTES_PER_ROW * len(test_df)
    try:
        with open(out, "rb") as f:
            raw = f.read(limit + 1)
        if len(raw) > limit:
            raise ScoringError(f"the result is larger than the limit of {limit} bytes for {len(test_df)} test rows")
        doc = loads_strict(raw, what="the result", error=ScoringError, max_bytes=limit, max_depth=2)
    except (OSError, MLError) as exc:
        res.reason = f"worker wrote no readable result ({exc.strerror if isinstance(exc, OSError) else exc})"
        return
    if not isinstance(doc, dict) or doc.get("ok") is not True:
        reason = doc.get("reason") if isinstance(doc, dict) else None
        res.reason = reason if isinstance(reason, str) and reason else "worker reported a failure without a reason"
        return
    preds = doc.get("predictions")
    if not isinstance(preds, list) or len(preds) != len(test_df) or not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in preds):
        res.reason = f"worker returned {len(preds) if isinstance(preds, list) else 'no'} predictions for {len(test_df)} test rows"
        return
    arr = np.asarray(preds, dtype="float64")
    if not np.isfinite(arr).all():
        res.reason = f"predictions contain {int((~np.isfinite(arr)).sum())} NaN or infinite value(s)"
        return
    try:
        score = score_predictions(arr, train_df, test_df, schema, mid)
        score_int = to_score_int(score)  # MetricError when it does not fit int64
    except ValueError as exc:  # MetricError, or numpy refusing the arrays: this bundle's row, never the run
        res.reason = f"cannot score: {exc}"
        return
    res.ok, res.score, res.score_int, res.predictions = True, score, score_int, arr.tolist()


# ----------------------------------------------------------------------------------------- worker


def _worker(bundle: str, data: str, out: str) -> int:
    def write(doc: dict[str, Any]) -> int:
        if "reason" in doc:
            doc["reason"] = clip_message(doc["reason"])
        Path(out).write_text(json.dumps(doc, allow_nan=True))
        return 0

    from .errors import DataError

    try:
        train_df, schema = read_dataset_bundle(data, part="train")
        test_df, _ = read_dataset_bundle(data, part="test")
    except DataError as exc:
        return write({"ok": False, "reason": f"cannot read the test data: {exc}"})
    fc, reason = _load_fitting(bundle, train_df, schema)
    if fc is None:
        return write({"ok": False, "reason": reason})
    if fc.spec.kind == "rnn":
        from ._keras import set_deterministic

        set_deterministic(0, single_thread=True)
    frame = pd.concat([train_df, test_df])
    try:
        preds = fc.predict_targets(frame, len(test_df))
        preds = np.asarray(preds, dtype="float64").reshape(-1)
    except MemoryError:
        raise  # the parent reports the memory limit
    except Exception as exc:  # DataError, SpecError, or whatever the network raised: this bundle's failure
        return write({"ok": False, "reason": f"prediction failed: {type(exc).__name__}: {exc}"})
    if not np.isfinite(preds).all():
        return write({"ok": False, "reason": f"predictions contain {int((~np.isfinite(preds)).sum())} NaN or infinite value(s)"})
    return write({"ok": True, "predictions": preds.tolist()})


def _load_fitting(bundle: str, train_df: pd.DataFrame, schema: Schema) -> tuple[Any, str]:
    """``(forecaster, "")`` for a bundle that loads and fits the competition, else ``(None, reason)``."""
    from .bundle import load_bundle
    from .errors import BundleError

    try:
        fc = load_bundle(bundle)
    except BundleError as exc:
        return None, f"invalid bundle: {exc}"
    except MemoryError:
        raise
    except Exception as exc:  # load_bundle turns every foreseen problem into BundleError; this is the last resort
        return None, f"invalid bundle: {type(exc).__name__}: {exc}"
    problems = fit_problems(fc.spec, schema, len(train_df), target=fc.target, feature_columns=fc.feature_columns)
    if problems:
        return None, "bundle does not fit the competition: " + "; ".join(problems)
    return fc, ""


def fit_problems(spec: Any, schema: Schema, n_train: int, *, target: str | None = None,
                 feature_columns: Sequence[str] = ()) -> list[str]:
    """Why a (valid) spec, with the target and input columns of its bundle, cannot be scored in a competition
    described by ``schema`` with ``n_train`` training rows; empty when it can. The evaluator's rule."""
    problems = []
    if target is not None and target != schema.target:
        problems.append(f"target {target[:40]!r} is not the competition's target {schema.target!r}")
    if not set(feature_columns) <= set(schema.columns):
        problems.append(f"feature columns {sorted(c[:40] for c in set(feature_columns) - set(schema.columns))[:5]} are not in the data")
    if spec.horizon != schema.horizon:
        problems.append(f"horizon {spec.horizon} is not the competition's horizon {schema.horizon}")
    if spec.task != schema.task:
        problems.append(f"task {spec.task!r} is not the competition's task {schema.task!r}")
    if spec.sequence_length + spec.horizon - 1 > n_train:
        problems.append(f"sequence_length {spec.sequence_length} needs more context than the {n_train} training rows")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Worker entry point: ``python -m ml_models.scoring --bundle DIR --data DIR --out FILE``."""
    p = argparse.ArgumentParser(prog="python -m ml_models.scoring",
                                description="Forecast the test rows with one bundle and write the predictions as JSON (used by score_bundles).")
    p.add_argument("--bundle", required=True, help="submission bundle folder (spec.json, weights.safetensors)")
    p.add_argument("--data", required=True, help="folder with train.csv, test.csv and schema.json")
    p.add_argument("--out", required=True, help="where to write the JSON result")
    a = p.parse_args(argv)
    return _worker(a.bundle, a.data, a.out)


if __name__ == "__main__":
    sys.exit(main())
