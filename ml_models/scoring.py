"""Score submission bundles on the test set, exactly, in resource-limited worker processes.

The official forecast of a bundle is computed in fixed-point integers
(:class:`~ml_models.intinfer.IntForecaster`, numpy only: no TensorFlow is imported) and its score
is an integer defined exactly on those forecasts and on the quantized actuals
(:func:`~ml_models.intinfer.score_q`), so every machine computes the same score.

The parent writes the training and test rows once, splits the bundles among ``workers`` worker
processes (default: one per core) and runs each as::

    python -m ml_models.scoring_worker --data DIR --out DIR --bundle B1 --bundle B2 ...

in a new process group with ``RLIMIT_AS`` (address space, ``memory_mb``), ``RLIMIT_CPU``,
``RLIMIT_FSIZE`` and no core dumps. The worker announces each bundle on its stdout (``start K``)
before it loads it, and writes ``OUT/K.json`` (the integer forecasts, or why there are none) when
it is done; the parent kills the worker when one bundle takes more than ``timeout_s`` seconds. A
bundle whose worker crashes, hangs or exhausts memory gets that failure, and the bundles after it
are run again in a fresh worker, so one hostile bundle never fails the others. The weights are
still a stranger's bytes: :func:`~ml_models.bundle.load_bundle` never deserialises code, and the
limits contain whatever parsing them might do.

The parent computes the metric itself from the returned integers, so a bundle that crashes, hangs,
exhausts memory, is invalid, or forecasts values that cannot be scored (a score beyond int64,
:func:`~ml_models.metrics.score_fits`) gets ``ok=False`` and a one-line reason of at most
:data:`~ml_models.errors.MAX_MESSAGE` characters, and never stops the run. Only problems that are
not about a bundle raise :class:`~ml_models.errors.ScoringError`: columns that differ from the
schema, an empty test set, data the fixed-point format cannot hold, a metric that cannot be
computed on the test set even for perfect forecasts, a worker command that cannot be started.
"""

from __future__ import annotations

import math
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._sandbox import describe_exit, kill_group, worker_env
from ._sandbox import limits as rlimits
from ._strict_json import loads_strict
from .data import Schema, write_dataset_bundle
from .errors import DataError, MLError, ScoringError, clip_message
from .intinfer import ONE, dequantize, quantize_column, score_q
from .intinfer.fixed import SAFE
from .metrics import SCORE_SCALE, get_metric

__all__ = ["DEFAULT_LIMITS", "DEADLINE_REASON", "ScoreResult", "ScoringLimits", "direction_outcomes", "fit_problems",
           "score_bundles", "score_predictions", "score_predictions_q"]

_RESULT_BYTES_BASE = 64 * 1024  # a worker's result: this much, plus _RESULT_BYTES_PER_ROW per test row
_RESULT_BYTES_PER_ROW = 24  # an int64 is at most 20 characters, then ", "
_STDERR_TAIL = 64 * 1024  # the end of a failed worker's stderr, where its error is
#: The reason of a bundle not scored when the ``deadline`` of :func:`score_bundles` passed.
DEADLINE_REASON = "not scored before the evaluator's deadline"


@dataclass(frozen=True)
class ScoringLimits:
    """Resources of one bundle: wall-clock seconds, and MB of address space of the worker that runs it."""

    timeout_s: float = 300.0
    memory_mb: int = 1536


#: The limits :func:`score_bundles` applies unless told otherwise.
DEFAULT_LIMITS = ScoringLimits()


@dataclass
class ScoreResult:
    """Outcome for one bundle: ``ok`` with ``score_int`` (the metric times 10**6, exact) and ``score`` (the same as a
    float), the forecasts as integers (``predictions_q``, fixed point) and as floats (``predictions``, for plots);
    or a one-line ``reason`` of at most :data:`~ml_models.errors.MAX_MESSAGE` characters."""

    bundle: str
    ok: bool
    score: float | None = None
    score_int: int | None = None
    metric: str = ""
    higher_is_better: bool = False
    predictions: list[float] | None = None
    predictions_q: list[int] | None = None
    reason: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_predictions(predictions: Any, train_df: pd.DataFrame, test_df: pd.DataFrame, schema: Schema,
                      metric: int | str) -> float:
    """The metric of float predictions for exactly the test rows, in float64: for tuning and backtests (official
    scores are :func:`score_predictions_q`)."""
    _, m = get_metric(metric)
    y, t, origin = _targets(train_df, test_df, schema)
    return float(m.fn(t, np.asarray(predictions, dtype="float64"), y_origin=origin, y_train=y,
                      season=schema.season, task=schema.task))


def score_predictions_q(predictions_q: Any, train_df: pd.DataFrame, test_df: pd.DataFrame, schema: Schema,
                        metric: int | str) -> int:
    """The official score integer (metric x 10**6, exact) of integer forecasts for exactly the test rows
    (:func:`~ml_models.intinfer.score_q` on the quantized actuals)."""
    _, m = get_metric(metric)
    return _score(m.name, np.asarray(predictions_q, dtype=np.int64), _actuals(train_df, test_df, schema), schema)


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


def _actuals(train_df: pd.DataFrame, test_df: pd.DataFrame, schema: Schema) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_targets` quantized; :class:`ScoringError` when the data does not fit the fixed-point format."""
    try:
        y, t = quantize_column(train_df, schema.target), quantize_column(test_df, schema.target)
    except DataError as exc:
        raise ScoringError(clip_message(f"the data cannot be scored: {exc}")) from None
    full = np.concatenate([y, t])
    return y, t, full[len(y) - schema.horizon : len(full) - schema.horizon]


def _score(metric: str, pred_q: np.ndarray, actuals: tuple[np.ndarray, np.ndarray, np.ndarray], schema: Schema) -> int:
    y, t, origin = actuals
    return score_q(metric, pred_q, t, origin=origin, train=y, season=schema.season, task=schema.task)


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
    workers: int | None = None,
    deadline: float | None = None,
    progress: Callable[[int, ScoreResult], None] | None = None,
) -> list[ScoreResult]:
    """Score every bundle on the test rows; one :class:`ScoreResult` per bundle, in order.

    ``train_df`` is the published training data (the context for the first test windows) and
    ``test_df`` the revealed test rows; ``metric`` is an id or name from
    :data:`~ml_models.metrics.METRICS`. The bundles are shared among ``workers`` worker processes
    (default: the number of cores), each with ``memory_mb`` MB of address space; each bundle gets
    ``timeout_s`` seconds of wall-clock time (defaults: :data:`DEFAULT_LIMITS`). ``deadline``
    (``time.monotonic()`` seconds) stops the run: a bundle not finished by then fails with
    :data:`DEADLINE_REASON`. ``progress(index, result)`` is called as each result is final (from
    worker threads). ``worker_cmd`` replaces ``[python, -m, ml_models.scoring]`` (e.g. to wrap the
    worker in a sandbox such as bwrap); it receives ``--data DIR --out DIR --bundle B ...``
    (see :mod:`ml_models.scoring_worker`).

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
    actuals = _actuals(train_df, test_df, schema)
    _check_metric_on_actuals(actuals, schema, m.name)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ScoringError(f"workers must be a positive integer; got {workers!r}")
    results = [ScoreResult(bundle=str(b), ok=False, metric=m.name, higher_is_better=m.higher_is_better) for b in bundle_dirs]
    run = _Run(results, actuals, schema, ScoringLimits(timeout_s, memory_mb),
               list(worker_cmd) if worker_cmd else [sys.executable, "-m", "ml_models.scoring_worker"], deadline,
               progress, keep_predictions)
    todo = []
    for i, res in enumerate(results):
        if "\0" in res.bundle:  # not a path a process can be given
            run.finish(i, "the bundle path holds a NUL byte")
        else:
            todo.append(i)
    run.all(todo, train_df, test_df, workers)
    return results


def _check_metric_on_actuals(actuals: tuple[np.ndarray, np.ndarray, np.ndarray], schema: Schema, metric: str) -> None:
    """The metric must have a score for perfect forecasts, else no bundle could be scored: not a bundle's fault."""
    _, t, origin = actuals
    perfect = np.where(t > origin, ONE, 0).astype(np.int64) if schema.task == "direction" else t
    try:
        _score(metric, perfect, actuals, schema)
    except ValueError as exc:  # MetricError
        raise ScoringError(clip_message(f"the metric cannot be computed on this data even for perfect forecasts: {exc}")) from None


class _Run:
    """The state of one :func:`score_bundles` call, shared by its worker threads."""

    def __init__(self, results: list[ScoreResult], actuals: tuple, schema: Schema, limits: ScoringLimits,
                 cmd: list[str], deadline: float | None, progress: Callable[[int, ScoreResult], None] | None,
                 keep_predictions: bool) -> None:
        self.results, self.actuals, self.schema, self.limits, self.cmd = results, actuals, schema, limits, cmd
        self.deadline, self.progress, self.keep = deadline, progress, keep_predictions
        self.tmp = Path()

    def finish(self, i: int, reason: str = "", seconds: float = 0.0) -> None:
        res = self.results[i]
        if not res.ok:
            res.score, res.score_int, res.predictions, res.predictions_q = None, None, None, None
            res.reason = clip_message(reason or "worker reported a failure without a reason")
        if not self.keep:
            res.predictions, res.predictions_q = None, None
        res.seconds = seconds
        if self.progress is not None:
            self.progress(i, res)

    def all(self, todo: list[int], train_df: pd.DataFrame, test_df: pd.DataFrame, workers: int | None) -> None:
        """Write the data once, then score ``todo`` split among the workers, one thread watching each."""
        with tempfile.TemporaryDirectory(prefix="score-") as tmp:
            self.tmp = Path(tmp)
            s = replace(self.schema, n_train=len(train_df), n_test=len(test_df))
            write_dataset_bundle(self.tmp / "data", train_df, s, part="train")
            write_dataset_bundle(self.tmp / "data", test_df, s, part="test")
            n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
            chunks = [todo[k::n] for k in range(n) if todo[k::n]]
            with ThreadPoolExecutor(max_workers=n, thread_name_prefix="score") as pool:
                for fut in [pool.submit(self.chunk, k, chunk) for k, chunk in enumerate(chunks)]:
                    fut.result()  # ScoringError (the worker cannot start) propagates

    def chunk(self, k: int, indices: list[int]) -> None:
        """Score ``indices`` in one worker; after a crash, hang or memory failure, the rest in a fresh one."""
        pending, launch = list(indices), 0
        while pending:
            if self.deadline is not None and self.deadline - time.monotonic() <= 1:
                for i in pending:
                    self.finish(i, DEADLINE_REASON)
                return
            out = self.tmp / f"out-{k}-{launch}"
            out.mkdir()
            launch += 1
            argv = self.cmd + ["--data", str(self.tmp / "data"), "--out", str(out)]
            for i in pending:
                argv += ["--bundle", self.results[i].bundle]
            starts, code, stderr, why = self._run_worker(argv, len(pending))
            done = len(pending) if code == 0 else max(1, len(starts))  # bundles this worker got to
            for j in range(done):
                i, end = pending[j], starts[j + 1] if j + 1 < len(starts) else time.monotonic()
                seconds = end - starts[min(j, len(starts) - 1)]
                if j == done - 1 and code != 0:
                    self.finish(i, why or describe_exit(code, stderr, self.limits.memory_mb), seconds)
                    continue
                try:
                    self._read_result(out / f"{j}.json", self.results[i])
                except Exception as exc:  # a last resort: one bundle's failure must never stop the run
                    self.results[i].ok = False
                    self.results[i].reason = f"cannot score: {type(exc).__name__}: {exc}"
                self.finish(i, self.results[i].reason, seconds)
            pending = pending[done:]

    def _run_worker(self, argv: list[str], n: int) -> tuple[list[float], int, str, str]:
        """Run one worker over ``n`` bundles: (the time each bundle started, exit code, stderr tail, why it was killed)."""
        limits = self.limits
        err_path = self.tmp / f"stderr-{os.getpid()}-{time.monotonic_ns()}"
        with open(err_path, "wb") as err:
            try:
                proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=worker_env(), cwd=self.tmp,
                    start_new_session=True, preexec_fn=rlimits(limits.memory_mb, int(math.ceil(limits.timeout_s)) * n + 5),
                )
            except (OSError, subprocess.SubprocessError) as exc:  # not a bundle's fault: the scorer cannot run at all
                raise ScoringError(clip_message(f"cannot start the scoring worker {argv[0]!r}: {exc}")) from None
        starts: list[float] = []
        began, why, buf = time.monotonic(), "", b""
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        try:
            while True:
                now = time.monotonic()
                current = starts[-1] if starts else began
                limit = current + limits.timeout_s
                if self.deadline is not None and self.deadline < limit:
                    limit = self.deadline
                if now >= limit:
                    timed_out = limit == current + limits.timeout_s
                    why = f"timed out after {limits.timeout_s:g} s" if timed_out else DEADLINE_REASON
                    break
                if not sel.select(timeout=limit - now):
                    continue
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:  # stdout closed: the worker is exiting
                    try:
                        proc.wait(timeout=max(0.0, limit - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        why = f"timed out after {limits.timeout_s:g} s"
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                starts += [time.monotonic() for ln in lines if ln.startswith(b"start ")]
                buf = buf[-4096:]
        finally:
            sel.close()
            kill_group(proc)
        proc.wait()
        proc.stdout.close()
        code = proc.returncode if not why else -signal.SIGKILL
        if not starts:
            starts = [began]
        with open(err_path, "rb") as f:
            f.seek(max(0, os.path.getsize(err_path) - _STDERR_TAIL))
            stderr = f.read().decode("utf-8", "replace")
        err_path.unlink()
        return starts, code, stderr, why

    def _read_result(self, out: Path, res: ScoreResult) -> None:
        n_test = len(self.actuals[1])
        limit = _RESULT_BYTES_BASE + _RESULT_BYTES_PER_ROW * n_test
        try:
            with open(out, "rb") as f:
                raw = f.read(limit + 1)
            if len(raw) > limit:
                raise ScoringError(f"the result is larger than the limit of {limit} bytes for {n_test} test rows")
            doc = loads_strict(raw, what="the result", error=ScoringError, max_bytes=limit, max_depth=2)
        except (OSError, MLError) as exc:
            res.reason = f"worker wrote no readable result ({exc.strerror if isinstance(exc, OSError) else exc})"
            return
        if not isinstance(doc, dict) or doc.get("ok") is not True:
            reason = doc.get("reason") if isinstance(doc, dict) else None
            res.reason = reason if isinstance(reason, str) and reason else "worker reported a failure without a reason"
            return
        preds = doc.get("predictions")
        if not isinstance(preds, list) or len(preds) != n_test:
            res.reason = f"worker returned {len(preds) if isinstance(preds, list) else 'no'} predictions for {n_test} test rows"
            return
        if not all(isinstance(p, int) and not isinstance(p, bool) for p in preds):
            res.reason = "worker returned predictions that are not all integers (fixed point)"
            return
        if any(abs(p) >= SAFE for p in preds):
            res.reason = "a prediction is beyond the fixed-point format's range (|v| < 2**62 / 2**24)"
            return
        arr = np.asarray(preds, dtype=np.int64)
        try:
            score_int = _score(res.metric, arr, self.actuals, self.schema)
        except ValueError as exc:  # MetricError: this bundle's row, never the run
            res.reason = f"cannot score: {exc}"
            return
        res.ok, res.score_int, res.score = True, score_int, score_int / SCORE_SCALE
        res.predictions_q, res.predictions = preds, dequantize(arr).tolist()


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
