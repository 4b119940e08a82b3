"""Benchmark the tuned RNN against statsforecast's baselines on real offline series; print Markdown tables.

For each dataset: test-set RMSE, MAE, MASE and sMAPE of naive, seasonal naive, statsforecast's
AutoARIMA, AutoETS, AutoTheta and their mean, an untuned default RNN, a tuned RNN (Optuna TPE +
successive-halving pruning on walk-forward folds of the training rows, :data:`~ml_models.tune_recipe.TUNING_RECIPE`) and three ensembles: the mean of the
tuned RNN and the baselines' mean; the mean of the tuned RNN and the statistical model that is best on a
validation block (the last ``--test-size`` of the training rows); and the same pair weighted by the weight
with the lowest RMSE on that block (the tuned spec trained on the rows before it) -- all forecasting exactly the same test rows at the same horizon,
each from data that ends ``horizon`` rows before the target (rolling origin; the statistical
models are fitted once, before the first test origin, then only updated with observed values).

Then a summary: each model's test RMSE divided by the best baseline's (naive, seasonal naive,
AutoARIMA, AutoETS, AutoTheta or their mean, whichever is lowest on that series), with the median
and the worst over the series. The goal is a median ratio of at most 1.00 and none above 1.10.

With --covariates the networks also get inputs known at forecast time (:mod:`ml_models.covariates`).
Optionally (--random-search) TPE + pruning against random search with the same wall-clock budget
on the first dataset. Every dataset ships with an installed package: nothing is downloaded.
Statistical forecasts are cached in --out (keyed by the data and settings), so a re-run only
retrains the networks.

This is a script, not a test:  python -m ml_models.benchmark --help
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._keras import configure_environment
from .baselines import BASELINE_MEAN, STATSFORECAST_MODELS, statsforecast_forecasts
from .covariates import add_covariates, source_columns
from .data import Schema, Split, clean_series, load_series, split_by_time
from .errors import DataError, MLError, clip_message
from .metrics import mae, mase, rmse, smape
from .model import train
from .spec import ModelSpec
from .tune import TuneResult, tune_hyperparameters
from .tune_recipe import TUNING_RECIPE

__all__ = ["DATASETS", "DatasetConfig", "main", "markdown_table", "parse_datasets"]

Log = Callable[[str], None]

NAIVE, SNAIVE = "naive", "seasonal naive"
RNN_DEFAULT, RNN_TUNED = "RNN default (untuned LSTM 32)", "RNN tuned (TPE + pruning)"
ENSEMBLE = "ensemble: mean(RNN tuned, baseline mean)"
ENSEMBLE_VAL = "ensemble: mean(RNN tuned, validation-best baseline)"
ENSEMBLE_W = "ensemble: RNN tuned and validation-best baseline, weight from validation"
METRIC_NAMES = ("RMSE", "MAE", "MASE", "sMAPE")


@dataclass(frozen=True)
class DatasetConfig:
    name: str
    source: str
    target: str
    horizon: int
    season: int  # seasonal naive, MASE (1 = non-seasonal scale), the statsforecast models
    sequence_length: int
    fourier: tuple[tuple[float, int], ...] = ()  # (period, harmonics): AutoARIMA regressors when season > 24
    max_gap: int = 8
    seasonal_change: bool = False  # extra RNN input: the change over the horizon one season earlier
    last_rows: int | None = None


DATASETS: dict[str, DatasetConfig] = {
    "taylor": DatasetConfig("electricity demand, half-hourly (pmdarima taylor)", "pmdarima:taylor", "demand", horizon=2,
                            season=336, sequence_length=48, fourier=((48, 4), (336, 2)), seasonal_change=True,
                            last_rows=2016),
    "goog": DatasetConfig("GOOG close, business daily (matplotlib sample)", "matplotlib:goog", "close", horizon=1,
                          season=5, sequence_length=20),
    "co2": DatasetConfig("Mauna Loa CO2, weekly (statsmodels co2)", "statsmodels:co2", "co2", horizon=4, season=52,
                         sequence_length=52, fourier=((365.25 / 7, 4),), max_gap=20, seasonal_change=True),
    "elnino": DatasetConfig("El Nino sea temperature, monthly (statsmodels elnino)", "statsmodels:elnino", "temperature",
                            horizon=3, season=12, sequence_length=24, seasonal_change=True),
    "unemp": DatasetConfig("US unemployment rate, quarterly (statsmodels macrodata)", "statsmodels:macrodata", "unemp",
                           horizon=1, season=4, sequence_length=8),
    "sunspots": DatasetConfig("sunspot activity, yearly (statsmodels sunspots)", "statsmodels:sunspots", "sunactivity",
                              horizon=1, season=1, sequence_length=22),
}


def parse_datasets(datasets: str) -> list[str]:
    """Comma-separated dataset keys, each checked against :data:`DATASETS` (a :class:`DataError` names the choices)."""
    keys = [k.strip() for k in datasets.split(",") if k.strip()]
    unknown = [k for k in keys if k not in DATASETS]
    if unknown or not keys:
        raise DataError(f"unknown dataset(s) {clip_message(unknown, 80) if unknown else 'none given'}; "
                        f"choose from {', '.join(DATASETS)} (comma-separated)")
    return list(dict.fromkeys(keys))


def prepare(cfg: DatasetConfig, test_size: float, covariates_of: str | None = None) -> tuple[Split, Schema]:
    """The series split by time; ``covariates_of``: a dataset key whose covariates are added (:mod:`.covariates`)."""
    raw = load_series(cfg.source)
    extra = source_columns(covariates_of) if covariates_of else []
    df, report = clean_series(raw, target=cfg.target, columns=[cfg.target, *extra], max_gap=cfg.max_gap)
    if covariates_of:
        df = add_covariates(covariates_of, df, target=cfg.target, frequency=report.frequency, horizon=cfg.horizon)
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
    """One hyperparameter search of ``args.budget_seconds``, stored as ``<out>/<key>.db``, study ``<key>-<name>``.

    A study of that name left by an earlier run is deleted first: each run searches afresh.
    """
    import optuna

    from .tune import storage_url

    url = storage_url(Path(args.out) / f"{key}.db")
    if f"{key}-{name}" in optuna.get_all_study_names(url):
        optuna.delete_study(study_name=f"{key}-{name}", storage=url)
    return tune_hyperparameters(split.train, schema, base_spec=base, timeout_s=args.budget_seconds, n_trials=None,
                                **TUNING_RECIPE.kwargs(), sampler=sampler, pruner=pruner, seed=args.seed,
                                storage=Path(args.out) / f"{key}.db", study_name=f"{key}-{name}",
                                load_if_exists=False, plot_path=Path(args.out) / f"{key}-{name}.png",
                                enqueue=[_default_params()])


def _statistical(key: str, cfg: DatasetConfig, y_all: np.ndarray, n_train: int, out: Path) -> dict[str, np.ndarray]:
    """statsforecast's rolling forecasts, cached in ``out`` under a digest of the series and the settings."""
    import statsforecast

    digest = hashlib.sha256(y_all.tobytes() + repr((n_train, asdict(cfg), statsforecast.__version__)).encode()).hexdigest()
    path = out / f"{key}-baselines-{digest[:16]}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[f"m{i}"] for i, name in enumerate((*STATSFORECAST_MODELS, BASELINE_MEAN))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        preds = statsforecast_forecasts(y_all, n_train, cfg.horizon, cfg.season, cfg.fourier)
    np.savez(path, **{f"m{i}": v for i, v in enumerate(preds.values())})
    return preds


def _validation_best(key: str, cfg: DatasetConfig, y_tr: np.ndarray, args: argparse.Namespace
                     ) -> tuple[str, int, np.ndarray]:
    """The statsforecast model (or their mean) with the lowest RMSE on the last ``test_size`` of the training rows.

    Chosen without the test rows: the models are fitted on the rows before that validation block and
    forecast it with the same rolling origin as the test. Returns the model, where the block starts
    and the model's forecasts of the block.
    """
    n_fit = len(y_tr) - max(1, int(round(len(y_tr) * args.test_size)))
    val = _statistical(key, cfg, y_tr, n_fit, Path(args.out))
    best = min(val, key=lambda m: rmse(y_tr[n_fit:], val[m]))
    return best, n_fit, val[best]


def ensemble_weight(rnn: np.ndarray, partner: np.ndarray, y: np.ndarray) -> float:
    """The weight ``w`` in [0, 1] of ``w * rnn + (1 - w) * partner`` with the lowest squared error on ``y``."""
    d = rnn - partner
    denom = float(d @ d)
    return 0.5 if denom == 0 else float(np.clip(d @ (y - partner) / denom, 0.0, 1.0))


def _validation_weight(spec: ModelSpec, tr: pd.DataFrame, schema: Schema, n_fit: int, partner_val: np.ndarray) -> float:
    """The ensemble weight of the tuned RNN, chosen on the validation block (the last rows of ``tr``; no test row):
    the tuned spec trained on the rows before the block, its forecasts of the block against the partner's."""
    fit, block = tr.iloc[:n_fit], tr.iloc[n_fit:]
    rnn_val = train(spec, fit, schema).forecast_test(fit, block)
    return ensemble_weight(rnn_val, partner_val, block[schema.target].to_numpy())


def run_dataset(key: str, args: argparse.Namespace, log: Log) -> tuple[pd.DataFrame, dict[str, Any]]:
    cfg = DATASETS[key]
    split, schema = prepare(cfg, args.test_size, key if args.covariates else None)
    tr, te = split.train, split.test
    y_tr, y_te = tr[cfg.target].to_numpy(), te[cfg.target].to_numpy()
    y_all = np.concatenate([y_tr, y_te])
    mase_season = cfg.season if cfg.season <= len(y_tr) // 4 else 1
    info = {"key": key, "name": cfg.name, "frequency": schema.frequency, "train": len(tr), "test": len(te),
            "horizon": cfg.horizon, "season": cfg.season, "mase_season": mase_season}
    log(f"\n== {cfg.name}: {len(tr)} train / {len(te)} test rows, frequency {schema.frequency}, horizon {cfg.horizon}, "
        f"season {cfg.season}, RNN inputs {list(tr.columns)}")
    preds: dict[str, np.ndarray] = {}
    for kind, label in (("naive", NAIVE), ("seasonal_naive", SNAIVE)):
        if kind == "seasonal_naive" and cfg.season == 1:
            continue  # the same as naive
        fc = train(ModelSpec(kind=kind, sequence_length=max(cfg.sequence_length, cfg.season), horizon=cfg.horizon,
                             season=cfg.season), tr, schema)
        preds[label] = fc.forecast_test(tr, te)
    t = time.perf_counter()
    preds.update(_statistical(key, cfg, y_all, len(y_tr), Path(args.out)))
    log(f"   statsforecast baselines: {time.perf_counter() - t:.0f} s")
    base = _base_spec(cfg, args)
    t = time.perf_counter()
    fc = train(base, tr, schema)
    preds[RNN_DEFAULT] = fc.forecast_test(tr, te)
    log(f"   default RNN: {time.perf_counter() - t:.0f} s, {len(fc.history_['loss'])} epochs")
    res = _search(key, split, schema, base, args, sampler="tpe", pruner="sha", name="tpe")
    log(f"   TPE search: {len(res.trials)} trials in {res.seconds:.0f} s "
        f"({(res.trials['state'] == 'PRUNED').sum()} pruned); best {res.best_spec.cell} layers={res.best_spec.layers} "
        f"units={res.best_spec.units} lr={res.best_spec.learning_rate:.4g}")
    t = time.perf_counter()
    preds[RNN_TUNED] = train(res.best_spec, tr, schema).forecast_test(tr, te)
    log(f"   tuned RNN final training: {time.perf_counter() - t:.0f} s")
    preds[ENSEMBLE] = (preds[RNN_TUNED] + preds[BASELINE_MEAN]) / 2
    partner, n_fit, partner_val = _validation_best(key, cfg, y_tr, args)
    info["partner"] = partner
    log(f"   validation-best statistical baseline (last {args.test_size:g} of the training rows): {partner}")
    preds[ENSEMBLE_VAL] = (preds[RNN_TUNED] + preds[partner]) / 2
    w = info["weight"] = _validation_weight(res.best_spec, tr, schema, n_fit, partner_val)
    log(f"   ensemble weight of the tuned RNN, lowest RMSE on that validation block: {w:.2f}")
    preds[ENSEMBLE_W] = w * preds[RNN_TUNED] + (1 - w) * preds[partner]
    table = pd.DataFrame({k: scores(y_te, p, y_tr, mase_season) for k, p in preds.items()}).T[list(METRIC_NAMES)]
    info["tpe"] = res
    log(_dataset_table(table, info))
    return table, info


BASELINES = (NAIVE, SNAIVE, *STATSFORECAST_MODELS, BASELINE_MEAN)


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


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table; floats get 4 significant decimals (more for large values would be noise)."""
    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return f"{v:.4f}" if abs(v) < 1000 else f"{v:.1f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def summary(results: list[tuple[pd.DataFrame, dict[str, Any]]]) -> tuple[str, dict[str, list[float]]]:
    """The ratio table (model RMSE / best baseline RMSE per series) and the ratios by model."""
    ratios: dict[str, list[float]] = {RNN_DEFAULT: [], RNN_TUNED: [], ENSEMBLE: [], ENSEMBLE_VAL: [], ENSEMBLE_W: []}
    rows = []
    for table, info in results:
        base = table.loc[[b for b in BASELINES if b in table.index], "RMSE"]
        best, best_rmse = base.idxmin(), float(base.min())
        r = {m: float(table.loc[m, "RMSE"]) / best_rmse for m in ratios}
        for m, v in r.items():
            ratios[m].append(v)
        rows.append([info["key"], info["frequency"], f"{info['train']}/{info['test']}", info["horizon"], best, best_rmse,
                     float(table.loc[RNN_TUNED, "RMSE"]), info["partner"], f"{info['weight']:.2f}", *r.values()])
    for label, fn in (("median", statistics.median), ("worst", max)):
        rows.append([f"**{label}**", "", "", "", "", "", "", "", ""] + [fn(ratios[m]) for m in ratios])
    header = ["series", "freq", "train/test", "h", "best baseline (test)", "its RMSE", "RNN tuned RMSE",
              "validation-best baseline", "RNN weight", "RNN default / best", "RNN tuned / best",
              "ensemble with mean / best", "ensemble with validation-best / best", "weighted ensemble / best"]
    return markdown_table(header, rows), ratios


def _dataset_table(table: pd.DataFrame, info: dict[str, Any]) -> str:
    return (f"\n**{info['key']}**: {info['name']}; {info['train']} train / {info['test']} test rows, horizon "
            f"{info['horizon']}, season {info['season']} (MASE scale: season {info['mase_season']})\n\n"
            + markdown_table(["model", *METRIC_NAMES], [[m, *map(float, table.loc[m])] for m in table.index]))


def _report(results: list[tuple[pd.DataFrame, dict[str, Any]]], log: Log) -> None:
    log("\n## Test-set scores (lower is better)")
    for table, info in results:
        log(_dataset_table(table, info))
    text, ratios = summary(results)
    log("\n## RMSE relative to the best baseline of each series\n")
    log(text)
    log("\n## Goal: median ratio <= 1.00 and none above 1.10\n")
    for m in (RNN_TUNED, ENSEMBLE, ENSEMBLE_VAL, ENSEMBLE_W):
        med, worst = statistics.median(ratios[m]), max(ratios[m])
        ok = med <= 1.0 and worst <= 1.10
        log(f"- {m}: median {med:.3f}, worst {worst:.3f}: {'MET' if ok else 'NOT MET'}")


def _compare_with_random_search(key: str, tpe: TuneResult, args: argparse.Namespace, log: Log) -> None:
    split, schema = prepare(DATASETS[key], args.test_size, key if args.covariates else None)
    rnd = _search(key, split, schema, _base_spec(DATASETS[key], args), args, sampler="random", pruner="none",
                  name="random")
    reach = time_to_reach(tpe.study, rnd.best_value)
    log(f"\n## TPE + successive halving vs random search, {key}, {args.budget_seconds:g} s budget each\n")
    rows = []
    for name, r in (("TPE + successive halving", tpe), ("random, no pruning", rnd)):
        tb = time_to_reach(r.study, r.best_value)
        rows.append([name, len(r.trials), int((r.trials["state"] == "PRUNED").sum()), float(r.best_value),
                     "-" if tb is None else f"{tb:.0f} s"])
    log(markdown_table(["search", "trials", "pruned", "best val loss", "time to best"], rows))
    log(f"\nTPE reached random search's best ({rnd.best_value:.5f}) after: "
        + (f"{reach:.0f} s" if reach is not None else "not within its budget"))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ml_models.benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default=",".join(DATASETS),
                   help="comma-separated, from: " + "; ".join(f"{k} = {c.name}" for k, c in DATASETS.items()))
    p.add_argument("--budget-seconds", type=float, default=90.0,
                   help="wall-clock budget of each hyperparameter search (default 90)")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs per training (early stopping, patience 5)")
    p.add_argument("--test-size", type=float, default=0.2, help="fraction of the rows (the latest) used as the test set")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/benchmark",
                   help="folder for Optuna SQLite studies, search-history PNGs and cached statistical forecasts")
    p.add_argument("--covariates", action="store_true",
                   help="give the RNN covariates known at forecast time (calendar of the target's time, GOOG's "
                        "open/high/low/volume, lagged US macro data; see ml_models.covariates)")
    p.add_argument("--random-search", action="store_true",
                   help="also compare TPE + pruning with random search (same budget) on the first dataset")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    try:
        keys = parse_datasets(args.datasets)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_environment()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    t0, load0 = time.perf_counter(), os.getloadavg()
    results = []
    try:
        for k in keys:
            results.append(run_dataset(k, args, log))
    except MLError as exc:
        print(f"error: {clip_message(exc)}", file=sys.stderr)
        return 1
    _report(results, log)
    if args.random_search:
        _compare_with_random_search(keys[0], results[0][1]["tpe"], args, log)
    load1 = os.getloadavg()
    log(f"\nTotal time: {time.perf_counter() - t0:.0f} s on {os.cpu_count()} cores; load average (1/5/15 min) at the "
        f"start {load0[0]:.2f}/{load0[1]:.2f}/{load0[2]:.2f}, at the end {load1[0]:.2f}/{load1[1]:.2f}/{load1[2]:.2f}; "
        f"studies, plots and cached forecasts in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
