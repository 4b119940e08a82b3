"""Benchmark the official (integer) scoring path; print Markdown.

    python -m ml_models.scoring_bench [--bundles 100] [--workers N] [--datasets goog,co2] [--epochs 8]

1. Speed: ``--bundles`` bundles of the demo's size (2 x 30 GRU, 1 input column, sequence length
   26, horizon 4) with different random weights (N(0, 0.3), quantized), scored end to end on 446
   test rows through :func:`~ml_models.scoring.score_bundles` (worker processes, limits, results
   checked and scored by the parent): total seconds. Goal: 100 bundles in at most 20 s on 2 cores.
2. Agreement: for each benchmark dataset (:data:`ml_models.benchmark.DATASETS`), the default
   spec trained with Keras (``--epochs``), its float forecasts scored with the float metrics,
   against the saved bundle scored officially (integers, through ``score_bundles``): every metric's
   score integer on both paths and their difference (units of 1e-6), and the largest forecast
   difference. The direction task is checked on the first dataset (brier, log loss).

This is a script, not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .bundle import save_bundle
from .data import Schema, SeriesScaler, split_by_time
from .intinfer import IntForecaster, IntNetwork, IntScaler
from .intinfer.bench import random_weights
from .metrics import to_score_int
from .scoring import score_bundles, score_predictions
from .spec import ModelSpec

__all__ = ["agreement", "main", "speed"]

DEMO = ModelSpec(cell="GRU", layers=2, units=30, sequence_length=26, horizon=4, season=52)
N_TEST = 446


def _demo_data(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, Schema]:
    """A weekly series (yearly cycle, trend, noise) with 446 test rows, like the demo's CO2 data."""
    n = 1200 + N_TEST
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    y = 320 + 0.03 * t + 3 * np.sin(2 * np.pi * t / 52.18) + 0.3 * rng.standard_normal(n)
    df = pd.DataFrame({"co2": y}, index=pd.date_range("1960-01-03", periods=n, freq="W", name="date"))
    split = split_by_time(df, test_size=N_TEST / n)
    schema = Schema.from_split(split, target="co2", frequency="W", sequence_length=26, horizon=4, season=52,
                               source="synthetic")
    return split.train, split.test, schema


def speed(n_bundles: int, workers: int | None, folder: Path) -> dict[str, float]:
    """Write ``n_bundles`` demo-size bundles and score them; returns the figures."""
    train_df, test_df, schema = _demo_data()
    scaler = IntScaler.from_dict(SeriesScaler(columns=["co2"], target="co2", horizon=4).fit(train_df).to_dict())
    bundles = []
    for i in range(n_bundles):
        net = IntNetwork.from_weights(DEMO, random_weights(DEMO, 1, np.random.default_rng(1000 + i)), 1)
        fc = IntForecaster(DEMO, ["co2"], "co2", net=net, scaler=scaler)
        bundles.append(save_bundle(folder / f"bundle-{i:03d}", fc))
    t0 = time.perf_counter()
    results = score_bundles(bundles, train_df, test_df, schema, "rmse", workers=workers)
    seconds = time.perf_counter() - t0
    ok = sum(r.ok for r in results)
    if ok != n_bundles:
        print(f"warning: {n_bundles - ok} bundle(s) failed: {[r.reason for r in results if not r.ok][:3]}", file=sys.stderr)
    return {"bundles": n_bundles, "ok": ok, "seconds": seconds, "test_rows": len(test_df)}


def agreement(key: str, epochs: int, folder: Path, task: str = "regression") -> list[list[str]]:
    """Rows ``[dataset, task, metric, float score, integer score, difference, largest forecast difference]``."""
    from .benchmark import DATASETS, prepare
    from .model import train

    cfg = DATASETS[key]
    split, schema = prepare(cfg, 0.2)
    schema = replace(schema, task=task)
    spec = ModelSpec(sequence_length=cfg.sequence_length, horizon=cfg.horizon, season=cfg.season, epochs=epochs,
                     patience=5, task=task, seed=0)
    fc = train(spec, split.train, schema)
    floats = fc.forecast_test(split.train, split.test)
    bundle = save_bundle(folder / f"{key}-{task}", fc)
    names = ["brier", "log_loss"] if task == "direction" else ["rmse", "mae", "mase", "smape", "directional_accuracy"]
    rows = []
    for name in names:
        (res,) = score_bundles([bundle], split.train, split.test, schema, name)
        if not res.ok:
            rows.append([key, task, name, "", "", f"failed: {res.reason[:60]}", ""])
            continue
        f = to_score_int(score_predictions(floats, split.train, split.test, schema, name))
        worst = float(np.abs(np.asarray(res.predictions) - floats).max())
        rows.append([key, task, name, f"{f / 1e6:.6f}", f"{res.score_int / 1e6:.6f}", str(res.score_int - f),
                     f"{worst:.2e}"])
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml_models.scoring_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--bundles", type=int, default=100, help="bundles scored for the speed figure (default 100)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("--datasets", default="goog,co2,elnino,unemp,sunspots,taylor",
                   help="benchmark datasets for the agreement table (comma-separated; '' for none)")
    p.add_argument("--epochs", type=int, default=8, help="training epochs of each agreement network (default 8)")
    a = p.parse_args(argv)
    if a.bundles < 1 or (a.workers is not None and a.workers < 1) or a.epochs < 1:
        p.error("--bundles, --workers and --epochs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="scoring-bench-") as tmp:
        s = speed(a.bundles, a.workers, Path(tmp))
        print(f"| bundles (2 x 30 GRU, 26 steps) | test rows | ok | seconds, end to end | per bundle |\n|---|---|---|---|---|\n"
              f"| {s['bundles']} | {s['test_rows']} | {s['ok']} | {s['seconds']:.1f} | {s['seconds'] / s['bundles']:.3f} |")
        keys = [k.strip() for k in a.datasets.split(",") if k.strip()]
        if keys:
            print("\n| dataset | task | metric | Keras float | integer (official) | difference (1e-6) | max forecast difference |\n"
                  "|---|---|---|---|---|---|---|")
            jobs = [(k, "regression") for k in keys] + [(keys[0], "direction")]
            for key, task in jobs:
                for row in agreement(key, a.epochs, Path(tmp), task):
                    print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
