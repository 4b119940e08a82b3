"""ml_models: the machine-learning half of the forecast market (no blockchain, no IPFS).

- ``data``: load, clean, split by time, dataset bundles, scaling and windowing;
- ``spec``: ``ModelSpec``, the validated hyperparameters; ``model``: the one network builder, ``train``, ``Forecaster``;
- ``tune``: Optuna search over walk-forward folds; ``bundle``: submission bundles (int64 fixed point) loaded without running code;
- ``metrics``: metrics by stable id, ``SCORE_SCALE``; ``scoring``: bundles scored exactly, in integers, in resource-limited workers;
- ``intinfer``: the integer reference inference and metrics (numpy only) that every official score comes from;
- ``baselines``: statsforecast's AutoARIMA, AutoETS, AutoTheta and their mean; ``benchmark``: ``python -m ml_models.benchmark``;
- ``errors``: every error raised on purpose is an ``MLError``.

The public names of these modules (their ``__all__``) are importable from ``ml_models`` and load on
first use, so ``import ml_models`` stays cheap: Keras, TensorFlow, Optuna, statsmodels and statsforecast load only
when a function needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Submodule -> its ``__all__``, re-exported here (tests/ml/test_package.py checks that they agree).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "errors": ("MAX_MESSAGE", "BaselineError", "BundleError", "DataError", "MLError", "MetricError", "ScoringError",
               "SpecError", "clip_message"),
    "data": ("DATE_COLUMN", "MAX_ABS_VALUE", "SOURCES", "CleaningReport", "JoinReport", "PriceAPIClient", "Schema", "SeriesScaler",
             "Split", "check_task_fits", "clean_series", "context_and_targets", "join_on_time",
             "largest_sequence_length", "load_series", "make_windows", "parse_times", "read_dataset_bundle",
             "season_for", "split_by_time", "write_dataset_bundle"),
    "spec": ("CELLS", "KINDS", "LOSSES", "TARGET_TRANSFORMS", "TASKS", "ModelSpec", "read_spec_file",
             "spec_problems"),
    "model": ("Forecaster", "build_model", "train", "weight_names"),
    "tune": ("DEFAULT_SEARCH_SPACE", "TuneResult", "load_search_space", "plot_history", "storage_url",
             "tune_hyperparameters", "walk_forward_folds"),
    "tune_recipe": ("TUNING_RECIPE", "TuningRecipe"),
    "bundle": ("BUNDLE_FORMAT", "BUNDLE_VERSION", "BundleLimits", "load_bundle", "read_bundle_spec", "save_bundle",
               "upgrade_bundle"),
    "metrics": ("DIRECTION_METRICS", "METRICS", "SCORE_SCALE", "Metric", "brier", "check_metric_for_task",
                "directional_accuracy", "get_metric", "log_loss", "mae", "mase", "rmse", "score_fits", "smape",
                "to_score_int", "uninformed_score"),
    "scoring": ("DEADLINE_REASON", "DEFAULT_LIMITS", "ScoreResult", "ScoringLimits", "direction_outcomes",
                "fit_problems", "score_bundles", "score_predictions", "score_predictions_q"),
    "baselines": ("BASELINE_MEAN", "MAX_ARIMA_SEASON", "STATSFORECAST_MODELS", "fourier_terms",
                  "statsforecast_forecasts"),
    "backtest": ("BacktestRow", "baseline_specs", "walk_forward_backtest"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:  # a submodule not imported yet, e.g. ``ml_models.errors``
        return importlib.import_module(f".{name}", __name__)
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ml_models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
