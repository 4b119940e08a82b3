"""Walk-forward backtests on the published training data: how a spec or a bundle would have scored.

The last ``val_fraction`` of the training rows is cut into ``n_folds`` consecutive blocks
(:func:`~ml_models.tune.walk_forward_folds`); fold ``k`` forecasts block ``k`` from the rows
before it, and is scored with the competition's metric exactly as the evaluator scores the test
set (:func:`~ml_models.scoring.score_predictions`). A spec is trained afresh on the rows before
each block. A bundle is what it is: it runs in the evaluator's sandbox
(:func:`~ml_models.scoring.score_bundles`) on each block, so if it was trained on these rows its
scores are in-sample and flattering; it shows that the bundle loads, fits and forecasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .data import Schema
from .errors import MLError, clip_message
from .metrics import get_metric
from .spec import ModelSpec

__all__ = ["BacktestRow", "baseline_specs", "walk_forward_backtest"]


@dataclass
class BacktestRow:
    """One candidate's scores, one per fold (None where it failed), their mean, and why it failed."""

    name: str
    scores: list[float | None] = field(default_factory=list)
    mean: float | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def baseline_specs(schema: Schema, sequence_length: int) -> dict[str, ModelSpec]:
    """naive and seasonal naive for this task (seasonal naive looks back as far as its season needs)."""
    base = ModelSpec(kind="naive", sequence_length=sequence_length, horizon=schema.horizon, season=schema.season,
                     task=schema.task)
    need = base.seasonal_lag() - schema.horizon + 1  # rows seasonal naive looks back from the forecast origin
    return {"naive": base, "seasonal naive": base.replace(kind="seasonal_naive",
                                                          sequence_length=max(sequence_length, need))}


def walk_forward_backtest(candidates: Mapping[str, ModelSpec | str | Path], df: pd.DataFrame, schema: Schema, metric: int | str, *,
             n_folds: int = 3, val_fraction: float = 0.2, timeout_s: float = 300.0,
             progress: Any = None) -> list[BacktestRow]:
    """Score each candidate (a :class:`ModelSpec` to train, or a bundle folder) on the same walk-forward folds.

    Raises :class:`~ml_models.errors.DataError` when the rows cannot make the folds. A candidate that fails
    on a fold gets None there and the reason; the others go on.
    """
    from .model import train
    from .scoring import score_bundles, score_predictions
    from .tune import walk_forward_folds

    _, m = get_metric(metric)
    need = max((c.sequence_length + c.horizon - 1 for c in candidates.values() if isinstance(c, ModelSpec)),
               default=schema.sequence_length + schema.horizon - 1)
    folds = walk_forward_folds(len(df), n_folds, val_fraction, min_train=max(need, 2 * schema.horizon))
    rows = []
    for name, cand in candidates.items():
        row = BacktestRow(name)
        for train_end, val_start, val_end in folds:
            fit, val = df.iloc[:train_end], df.iloc[val_start:val_end]
            try:
                if isinstance(cand, ModelSpec):
                    fc = train(cand, fit, schema)
                    row.scores.append(score_predictions(fc.forecast_test(fit, val), fit, val, schema, m.name))
                else:
                    (res,) = score_bundles([cand], fit, val, schema, m.name, timeout_s=timeout_s, keep_predictions=False)
                    if not res.ok:
                        raise MLError(res.reason)
                    row.scores.append(res.score)
            except (MLError, ValueError) as exc:
                row.scores.append(None)
                row.reason = row.reason or clip_message(exc)
            if progress is not None:
                progress(name)
        ok = [s for s in row.scores if s is not None]
        row.mean = sum(ok) / len(ok) if len(ok) == len(folds) else None
        rows.append(row)
    return rows
