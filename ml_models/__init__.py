"""ml_models: the machine-learning half of the forecast market (no blockchain, no IPFS).

Importing this package is cheap: Keras, TensorFlow, Optuna and statsmodels load only when a
function needs them. Names below are importable from ``ml_models`` directly (lazily).

Data (:mod:`ml_models.data`)
    load_series(source, *, date_column=None, base_url=..., vs_currency="usd", days=365,
                timeout=10.0, retries=3, backoff=0.5) -> DataFrame
        source: "statsmodels:co2" | "pmdarima:taylor" | ... (see SOURCES) | "csv:/path/file.csv"
        | "coingecko:<asset>" (HTTP market_chart API; PriceAPIClient does retries/backoff).
    clean_series(df, *, target, columns=None, freq=None, max_gap=8, min_rows=10)
        -> (DataFrame, CleaningReport)   gaps <= max_gap steps are interpolated and counted.
    split_by_time(df, *, test_size=0.2, val_size=0.0, test_start=None, val_start=None) -> Split
    Schema (dataclass, to_json/from_json, from_split(...)); write_dataset_bundle(folder, df,
        schema, part="train"|"test"); read_dataset_bundle(folder, part=None) -> (df, schema)
    SeriesScaler(columns, target, horizon).fit(train_df)  (mean_, scale_, delta_scale_; to_dict)
    make_windows(x, sequence_length, horizon, first_target=None) -> (windows, target_rows)
    context_and_targets(train_df, test_df, *, sequence_length, horizon) -> (frame, n_targets)

    Windowing: a window ending at row t (rows t-L+1..t) predicts the single target value at
    row t+horizon. Each test row i is predicted once, from rows <= i-horizon; the first test
    windows take their context from the end of the training data.

Models (:mod:`ml_models.spec`, :mod:`ml_models.model`)
    ModelSpec (dataclass; kind "rnn"|"naive"|"seasonal_naive", cell, layers, units, dropout,
        dense_units, learning_rate, batch_size, epochs, patience, sequence_length, horizon,
        season, task "regression"|"direction", loss, target_transform "delta"|"level",
        validation_fraction, seed; validate(), to_json(), from_dict()/from_json() strict)
    build_model(spec, n_features) -> keras.Model       (the only network builder)
    train(spec, train_df, schema=None, val_df=None, *, callbacks=(), progress=None,
          data_cids=None) -> Forecaster
    Forecaster.predict(context_df) -> ndarray; .predict_targets(frame, n_targets);
        .forecast_test(train_df, test_df)

Tuning (:mod:`ml_models.tune`; ``ml_models.tune`` is the module, ``tune.tune`` an alias)
    tune_hyperparameters(train_df, schema, *, base_spec=None, search_space=None, n_trials=20, timeout_s=None,
         n_folds=3, val_fraction=0.3, sampler="tpe"|"random", pruner="median"|"hyperband"|"none",
         seed=0, storage=None (path -> sqlite, or any RDB URL), study_name="forecast",
         load_if_exists=True, plot_path=None, progress=False) -> TuneResult
         (best_spec, best_value, trials DataFrame, study, plot_path, seconds)

Bundles (:mod:`ml_models.bundle`)
    save_bundle(folder, forecaster, data_cids=None) -> Path   (spec.json + weights.safetensors)
    load_bundle(folder, limits=BundleLimits()) -> Forecaster  (never deserialises code)

Metrics and scoring (:mod:`ml_models.metrics`, :mod:`ml_models.scoring`)
    METRICS = {0: rmse, 1: mae, 2: mase, 3: smape, 4: directional_accuracy}, each
        Metric(name, fn, higher_is_better); get_metric(id_or_name); to_chain_int(score)
    score_bundles(bundle_dirs, train_df, test_df, schema, metric, *, timeout_s=300,
                  memory_mb=4096, worker_cmd=None) -> list[ScoreResult]
    score_predictions(predictions, train_df, test_df, schema, metric) -> float

Errors (:mod:`ml_models.errors`): MLError > DataError, SpecError, BundleError, ScoringError.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import BundleError, DataError, MLError, ScoringError, SpecError

_LAZY = {
    "data": ["SOURCES", "CleaningReport", "PriceAPIClient", "Schema", "SeriesScaler", "Split", "clean_series",
             "context_and_targets", "load_series", "make_windows", "read_dataset_bundle", "split_by_time",
             "write_dataset_bundle"],
    "spec": ["ModelSpec", "CELLS", "KINDS"],
    "model": ["Forecaster", "build_model", "train", "weight_names"],
    "tune": ["TuneResult", "tune_hyperparameters", "walk_forward_folds", "plot_history", "storage_url", "DEFAULT_SEARCH_SPACE"],
    "bundle": ["BundleLimits", "load_bundle", "save_bundle", "read_bundle_spec"],
    "metrics": ["METRICS", "Metric", "get_metric", "to_chain_int", "rmse", "mae", "mase", "smape", "directional_accuracy"],
    "scoring": ["ScoreResult", "score_bundles", "score_predictions"],
}
_WHERE = {name: mod for mod, names in _LAZY.items() for name in names}

__all__ = ["BundleError", "DataError", "MLError", "ScoringError", "SpecError", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ml_models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
