"""Parallel trials on one machine: helper processes (``python -m ml_models.tune_worker``) on the same study.

Measured by ``python -m ml_models.tune_benchmark --sections speed``: on 2 cores, two processes
with one TensorFlow thread each run about twice the trials per minute of one process with
TensorFlow's default threads (a trial is mostly small sequential steps and tracing, which one
thread does as fast as two). The helpers read the same training rows from a dataset bundle in
a temporary folder and the same base spec and search space from JSON files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .data import Schema, write_dataset_bundle
from .spec import ModelSpec

__all__ = ["Helpers", "space_to_json", "use_one_thread"]


def space_to_json(space: Mapping[str, tuple[Any, ...]]) -> dict[str, Any]:
    """A search space (internal tuples) in the JSON file format of :func:`~ml_models.search_space.load_search_space`."""
    return {name: ({"choices": list(d[1])} if d[0] == "categorical" else {"low": d[1], "high": d[2], "log": d[3]})
            for name, d in space.items()}


def use_one_thread() -> None:
    """Pin this process's TensorFlow to one thread (only possible before TensorFlow has run anything)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised: keep its threads
        pass


class Helpers:
    """``n`` helper processes searching the study ``study_name`` in ``storage`` until their budget ends.

    ``elapsed_s``: how much of ``timeout_s`` the caller has already spent; the helpers stop starting
    trials when the caller's budget ends."""

    def __init__(self, n: int, train_df: pd.DataFrame, schema: Schema, base: ModelSpec, space: Mapping[str, tuple[Any, ...]],
                 *, storage: str, study_name: str, metric: str, n_trials: int | None, timeout_s: float | None,
                 n_folds: int, val_fraction: float, max_epochs: int | None, seed: int,
                 elapsed_s: float = 0.0) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="tune-helpers-"))
        data = self.folder / "data"
        write_dataset_bundle(data, train_df[schema.columns], schema, part="train")
        (self.folder / "base.json").write_text(base.to_json())
        (self.folder / "space.json").write_text(json.dumps(space_to_json(space)))
        cmd = [sys.executable, "-m", "ml_models.tune_worker", str(data), "--storage", storage, "--study-name", study_name,
               "--metric", metric, "--base-spec", str(self.folder / "base.json"), "--search-space",
               str(self.folder / "space.json"), "--folds", str(n_folds), "--val-fraction", str(val_fraction),
               "--max-epochs", str(max_epochs or 0), "--threads", "1"]
        if n_trials is not None:
            cmd += ["--trials", str(n_trials)]
        if timeout_s is not None:  # the helpers end with this process, not timeout_s after their own slow start
            cmd += ["--budget", str(timeout_s), "--until", repr(time.time() + timeout_s - elapsed_s)]
        self.logs = [(self.folder / f"helper{i}.log").open("wb") for i in range(n)]
        self.procs = [subprocess.Popen([*cmd, "--seed", str(seed + 1 + i)], stdout=log, stderr=subprocess.STDOUT)
                      for i, log in enumerate(self.logs)]

    def join(self, timeout_s: float | None = None) -> list[int | None]:
        """Wait for the helpers (a trial running at the end of the budget stops after its epoch); return their exit codes; remove the folder."""
        import shutil

        codes: list[int | None] = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=timeout_s))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        for log in self.logs:
            log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        return codes
