"""Benchmark the forecasters of ml_models on real offline datasets and print a table.

For each dataset: test-set RMSE, MAE, MASE and sMAPE of a tuned RNN (Optuna TPE + median
pruning), an untuned default RNN, naive, seasonal naive, exponential smoothing (Holt-Winters,
damped additive trend, additive season) and ARIMA (small AIC order search, Fourier terms for the
season) -- all forecasting exactly the same test rows at the same horizon, each from data that
ends ``horizon`` rows before the target (rolling origin; statistical models keep the parameters
fitted on the training rows and update their states with the observed values).

Then TPE + pruning against random search (no pruning) with the same wall-clock budget on the
first dataset: best validation loss and the time TPE needed to reach random search's best.

This is a script, not a test:  python -m ml_models.benchmark --help
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._keras import configure_environment
from .baselines import arima_forecasts, ets_forecasts
from .data import Schema, Split, clean_series, load_series, split_by_time
from .metrics import mae, mase, rmse, smape
from .model import train
from .spec import ModelSpec
from .tune import TuneResult, tune_hyperparameters

__all__ = ["DATASETS", "DatasetConfig", "main"]

Log = Callable[[str], None]


@dataclass
class DatasetConfig:
    name: str
    source: str
    target: str
    horizon: int
    season: int  # for seasonal naive, MASE (1 = non-seasonal scale), ETS
    sequence_length: int
    fourier: list[tuple[float, int]]  # (period, harmonics) for ARIMA exog
    max_gap: int = 8
    seasonal_change: bool = False  # extra input: the change over the horizon one season earlier
    last_rows: int | None = None


DATASETS = {
    "co2": DatasetConfig("co2 weekly (statsmodels)", "statsmodels:co2", "co2", horizon=4, season=52,
                         sequence_length=52, fourier=[(365.25 / 7, 4)], max_gap=20, seasonal_change=True),
    "taylor": DatasetConfig("electricity half-hourly (pmdarima taylor)", "pmdarima:taylor", "demand", horizon=2,
                            season=336, sequence_length=48, fourier=[(48, 6), (336, 4)], seasonal_change=True),
    "goog": DatasetConfig("GOOG daily close (matplotlib sample)", "matplotlib:goog", "close", horizon=1,
                          season=5, sequence_length=20, fourier=[]),
}


def prepare(cfg: DatasetConfig, test_size: float) -> tuple[Split, Schema]:
    raw = load_series(cfg.source)
    df, report = clean_series(raw, target=cfg.target, max_gap=cfg.max_gap)
    if cfg.seasonal_change:  # at row t: target[t + h - m] - target[t - m], known at t (what seasonal naive adds)
        y = df[cfg.target]
        df[f"{cfg.target}_seasonal_change"] = y.shift(cfg.season - cfg.horizon) - y.shift(cfg.season)
    df = df.dropna()
    if cfg.last_rows:
        df = df.iloc[-cfg.last_rows:]
    split = split_by_time(df, test_size=test_size)
    schema = Schema.from_split(split, target=cfg.target, frequency=report.frequency, sequence_length=cfg.sequence_length,
                               horizon=cfg.horizon, season=cfg.season, source=cfg.source, report=report)
    return split, schema


def scores(y_test: np.ndarray, pred: np.ndarray, y_train: np.ndarray, season: int) -> dict[str, float]:
    return {"RMSE": rmse(y_test, pred), "MAE": mae(y_test, pred), "MASE": mase(y_test, pred, y_train=y_train, season=season),
            "sMAPE": smape(y_test, pred)}


def _base_spec(cfg: DatasetConfig, args: argparse.Namespace) -> ModelSpec:
    return ModelSpec(sequence_length=cfg.sequence_length, horizon=cfg.horizon, season=cfg.season, epochs=args.epochs,
                     patience=5, seed=args.seed)


def _search(key: str, split: Split, schema: Schema, base: ModelSpec, args: argparse.Namespace, *,
            sampler: str, pruner: str, name: str) -> TuneResult:
    """One hyperparameter search of ``args.budget_seconds``, stored as ``<out>/<key>.db``, study ``<key>-<name>``."""
    return tune_hyperparameters(split.train, schema, base_spec=base, timeout_s=args.budget_seconds, n_trials=None,
                                n_folds=2, val_fraction=0.25, sampler=sampler, pruner=pruner, seed=args.seed,
                                storage=Path(args.out) / f"{key}.db", study_name=f"{key}-{name}",
                                load_if_exists=False, plot_path=Path(args.out) / f"{key}-{name}.png",
                                enqueue=[_default_params()])


def run_dataset(key: str, args: argparse.Namespace, log: Log) -> tuple[pd.DataFrame, dict[str, Any]]:
    cfg = DATASETS[key]
    split, schema = prepare(cfg, args.test_size)
    tr, te = split.train, split.test
    y_tr, y_te = tr[cfg.target].to_numpy(), te[cfg.target].to_numpy()
    y_all = np.concatenate([y_tr, y_te])
    mase_season = cfg.season if cfg.season <= len(y_tr) // 4 else 1
    log(f"\n== {cfg.name}: {len(tr)} train / {len(te)} test rows, horizon {cfg.horizon}, season {cfg.season}, "
        f"inputs {list(tr.columns)}")
    rows, extra = {}, {}
    base = _base_spec(cfg, args)
    for kind in ("naive", "seasonal_naive"):
        fc = train(ModelSpec(kind=kind, sequence_length=max(cfg.sequence_length, cfg.season), horizon=cfg.horizon,
                             season=cfg.season), tr, schema)
        rows[kind] = scores(y_te, fc.forecast_test(tr, te), y_tr, mase_season)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows["ETS (Holt-Winters)"] = scores(y_te, ets_forecasts(y_all, len(y_tr), cfg.horizon, cfg.season), y_tr, mase_season)
        pred, label = arima_forecasts(y_all, len(y_tr), cfg.horizon, cfg.fourier)
        rows[label] = scores(y_te, pred, y_tr, mase_season)
    log(f"   statistical baselines: {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    fc = train(base, tr, schema)
    rows["RNN default (untuned LSTM 32)"] = scores(y_te, fc.forecast_test(tr, te), y_tr, mase_season)
    log(f"   default RNN: {time.perf_counter() - t:.0f} s, {len(fc.history_['loss'])} epochs")
    t = time.perf_counter()
    res = _search(key, split, schema, base, args, sampler="tpe", pruner="median", name="tpe")
    log(f"   TPE search: {len(res.trials)} trials in {res.seconds:.0f} s "
        f"({(res.trials['state'] == 'PRUNED').sum()} pruned); best {res.best_spec.cell} layers={res.best_spec.layers} "
        f"units={res.best_spec.units} lr={res.best_spec.learning_rate:.4g}")
    fc = train(res.best_spec, tr, schema)
    rows["RNN tuned (TPE + pruning)"] = scores(y_te, fc.forecast_test(tr, te), y_tr, mase_season)
    log(f"   tuned RNN final training: {time.perf_counter() - t - res.seconds:.0f} s")
    extra["tpe"] = res
    table = pd.DataFrame(rows).T[["RMSE", "MAE", "MASE", "sMAPE"]]
    table.index.name = f"{key} (MASE season {mase_season})"
    return table, extra


def _default_params() -> dict[str, Any]:
    d = ModelSpec()
    return {"cell": d.cell, "layers": d.layers, "units": d.units, "dropout": d.dropout, "dense_units": d.dense_units,
            "learning_rate": d.learning_rate, "batch_size": d.batch_size}


def time_to_reach(study: Any, target: float) -> float | None:
    import optuna

    best_t = None
    for t in study.trials:
        if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None and t.value <= target:
            e = t.user_attrs.get("elapsed_s")
            if e is not None and (best_t is None or e < best_t):
                best_t = e
    return best_t


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ml_models.benchmark", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default="co2,taylor",
                   help=f"comma-separated, from {sorted(DATASETS)} (taylor needs pmdarima; it falls back to goog)")
    p.add_argument("--budget-seconds", type=float, default=150.0,
                   help="wall-clock budget of each hyperparameter search (TPE per dataset, and random search on the first)")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs per training (early stopping, patience 5)")
    p.add_argument("--test-size", type=float, default=0.2, help="fraction of the rows (the latest) used as the test set")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/benchmark", help="folder for Optuna SQLite studies and search-history PNGs")
    p.add_argument("--no-random-search", action="store_true", help="skip the TPE vs random search comparison")
    return p


def _dataset_keys(datasets: str, log: Log) -> list[str]:
    keys = [k.strip() for k in datasets.split(",") if k.strip()]
    if "taylor" in keys:
        try:
            import pmdarima  # noqa: F401
        except ImportError:
            log("pmdarima is not installed: using 'goog' instead of 'taylor'")
            keys = ["goog" if k == "taylor" else k for k in keys]
    return keys


def _verdict(table: pd.DataFrame) -> str:
    tuned = table.loc["RNN tuned (TPE + pruning)"]
    stat = table.loc[[i for i in table.index if i.startswith(("ETS", "ARIMA"))]]
    best_stat = stat["RMSE"].min()
    beats_naive = all(tuned[m] < table.loc[b, m] for b in ("naive", "seasonal_naive") for m in ("RMSE", "MAE"))
    within = tuned["RMSE"] <= 1.05 * best_stat
    return (f"{table.index.name.split(' ')[0]}: tuned RNN beats naive and seasonal naive (RMSE, MAE): "
            f"{'YES' if beats_naive else 'NO'}; within 5% of the best statistical baseline's RMSE "
            f"({tuned['RMSE']:.4f} vs {best_stat:.4f}, {100 * (tuned['RMSE'] / best_stat - 1):+.1f}%): "
            f"{'YES' if within else 'NO'}")


def _log_tables(tables: list[pd.DataFrame], log: Log) -> None:
    pd.set_option("display.width", 140)
    log("\n=== Test-set scores (lower is better) ===")
    verdicts = []
    for table in tables:
        log("\n" + table.to_string(float_format=lambda v: f"{v:.4f}"))
        verdicts.append(_verdict(table))
    log("\n=== Goal ===")
    for v in verdicts:
        log("  " + v)


def _compare_with_random_search(key: str, tpe: TuneResult, args: argparse.Namespace, log: Log) -> None:
    split, schema = prepare(DATASETS[key], args.test_size)
    rnd = _search(key, split, schema, _base_spec(DATASETS[key], args), args, sampler="random", pruner="none",
                  name="random")
    reach = time_to_reach(tpe.study, rnd.best_value)
    log(f"\n=== TPE + median pruning vs random search, {key}, {args.budget_seconds:g} s budget each ===")
    log(f"  {'search':<22}{'trials':>8}{'pruned':>8}{'best val loss':>15}{'time to best':>14}")
    for name, r in (("TPE + median pruning", tpe), ("random, no pruning", rnd)):
        n_pruned = int((r.trials["state"] == "PRUNED").sum())
        tb = time_to_reach(r.study, r.best_value)
        log(f"  {name:<22}{len(r.trials):>8}{n_pruned:>8}{r.best_value:>15.5f}{tb:>13.0f}s")
    log(f"  TPE reached random search's best ({rnd.best_value:.5f}) after: "
        + (f"{reach:.0f} s" if reach is not None else "not within its budget"))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_environment()
    Path(args.out).mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    keys = _dataset_keys(args.datasets, log)
    t0 = time.perf_counter()
    tables, first_tpe = [], None
    for k in keys:
        table, extra = run_dataset(k, args, log)
        tables.append(table)
        first_tpe = first_tpe or (k, extra["tpe"])
    _log_tables(tables, log)
    if not args.no_random_search and first_tpe:
        _compare_with_random_search(*first_tpe, args, log)
    log(f"\nTotal time: {time.perf_counter() - t0:.0f} s; studies and plots in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
