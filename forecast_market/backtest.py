"""Backtest, participant: before committing, score a strategy, a spec file or a bundle by walk-forward
validation on the published training data, in the competition's metric, next to naive and seasonal
naive. Reads the chain (or a local dataset folder) and sends nothing.
"""
from __future__ import annotations

from pathlib import Path

from .chain import competition
from .errors import ArtifactError, SettingsError
from .settings import settings
from .stages.submission import DEFAULTS, fetch_training_data, loaded_bundle, spec_from_file

#: Strategies a backtest can train on every fold ("tuned" would tune inside each fold: pass its spec instead).
STRATEGIES = ("default", "naive", "seasonal_naive")


def _candidates(df, schema, comp: dict, *, strategy: str | None, spec_file: Path | None, bundle_dir: Path | None,
                epochs: int, seed: int) -> dict:
    from ml_models import ModelSpec, baseline_specs

    found = baseline_specs(schema, comp["sequenceLength"])
    if bundle_dir is not None:
        loaded_bundle(bundle_dir, comp, schema, len(df))  # every problem listed before any fold runs
        return {f"bundle {bundle_dir.name}": bundle_dir} | found
    if spec_file is not None:
        return {f"spec {spec_file.name}": spec_from_file(spec_file, comp, schema, len(df))} | found
    if strategy in (None, "default"):
        return {"default (LSTM)": ModelSpec(sequence_length=comp["sequenceLength"], horizon=schema.horizon,
                                            season=schema.season, task=schema.task, epochs=epochs, seed=seed)} | found
    if strategy not in STRATEGIES:
        raise SettingsError(f"a backtest trains {', '.join(STRATEGIES)} on every fold; to backtest a tuned model, "
                            "pass its spec with --spec (e.g. the spec.json inside the bundle `submit` wrote)")
    return found  # naive or seasonal_naive: the baselines themselves


def _run(df, schema, comp: dict, metric, *, folds: int, val_fraction: float, progress: bool, **choice) -> dict:
    from ml_models import get_metric, walk_forward_backtest

    _, m = get_metric(metric)
    cands = _candidates(df, schema, comp, **choice)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(cands) * folds, desc="backtest", unit="fold")
    try:
        rows = walk_forward_backtest(cands, df, schema, m.name, n_folds=folds, val_fraction=val_fraction,
                        progress=(lambda name: bar.update(1)) if bar else None)
    finally:
        if bar:
            bar.close()
    ranked_rows = sorted(rows, key=lambda r: (r.mean is None, (-r.mean if m.higher_is_better else r.mean) if r.mean is not None else 0))
    return {"competition": comp["id"], "task": schema.task, "metric": m.name, "higher_is_better": m.higher_is_better,
            "folds": folds, "validation_rows": int(len(df) * val_fraction) // folds * folds, "training_rows": len(df),
            "in_sample": choice.get("bundle_dir") is not None, "rows": [r.to_dict() for r in ranked_rows]}


def backtest_competition(market, comp_id: int, *, work_dir: str | Path | None = None, folds: int = 3,
                         val_fraction: float = 0.2, progress: bool = True, strategy: str | None = None,
                         spec_file: Path | None = None, bundle_dir: Path | None = None,
                         epochs: int = DEFAULTS.epochs, seed: int = DEFAULTS.seed) -> dict:
    """Backtest on competition ``comp_id``'s training data (fetched by the CID on chain), in its metric."""
    comp = competition(market, comp_id)
    work = Path(work_dir).resolve() if work_dir else settings().work_dir(comp_id, "backtest")
    df, schema = fetch_training_data(comp, work)
    return _run(df, schema, comp, comp["metric"], folds=folds, val_fraction=val_fraction, progress=progress,
                strategy=strategy, spec_file=spec_file, bundle_dir=bundle_dir, epochs=epochs, seed=seed)


def backtest_dataset(data_dir: str | Path, *, metric: str | None = None, folds: int = 3, val_fraction: float = 0.2,
                     progress: bool = True, strategy: str | None = None, spec_file: Path | None = None,
                     bundle_dir: Path | None = None, epochs: int = DEFAULTS.epochs, seed: int = DEFAULTS.seed) -> dict:
    """Backtest on a local dataset: a folder `market preprocess` wrote (its ``train/``) or a training bundle."""
    from ml_models import check_metric_for_task, read_dataset_bundle

    from .stages.initialization import default_metric

    folder = Path(data_dir)
    folder = folder / "train" if (folder / "train" / "schema.json").is_file() else folder
    if not (folder / "schema.json").is_file():
        raise ArtifactError(f"{data_dir} holds no dataset: give the folder `market preprocess` wrote, or its train/")
    df, schema = read_dataset_bundle(folder, part="train")
    mid, _ = check_metric_for_task(metric or default_metric(schema.task), schema.task)
    comp = {"id": str(data_dir), "sequenceLength": schema.sequence_length, "horizon": schema.horizon, "metric": mid}
    return _run(df, schema, comp, mid, folds=folds, val_fraction=val_fraction, progress=progress,
                strategy=strategy, spec_file=spec_file, bundle_dir=bundle_dir, epochs=epochs, seed=seed)


def table(result: dict) -> str:
    """The result as a small text table, best first."""
    better = "higher" if result["higher_is_better"] else "lower"
    head = [f"walk-forward backtest on {result['training_rows']} training rows: {result['folds']} folds, "
            f"{result['validation_rows']} rows forecast; {result['metric']} ({better} is better)"]
    width = max(len(r["name"]) for r in result["rows"])
    fold_cols = "  ".join(f"{'fold ' + str(i + 1):>10}" for i in range(result["folds"]))
    lines = [f"{'model':<{width}}  {'mean':>10}  {fold_cols}"]
    for r in result["rows"]:
        cells = "  ".join(f"{s:>10.6f}" if s is not None else f"{'failed':>10}" for s in r["scores"])
        mean = f"{r['mean']:>10.6f}" if r["mean"] is not None else f"{'-':>10}"
        lines.append(f"{r['name']:<{width}}  {mean}  {cells}" + (f"  ({r['reason']})" if r["reason"] else ""))
    notes = []
    if result["in_sample"]:
        notes.append("note: a bundle is scored as it is; if it was trained on these rows its scores are in-sample "
                     "(flattering). It shows that the bundle loads, fits and forecasts in the evaluator's sandbox.")
    if result["task"] == "direction":
        notes.append("note: the coin flip (always 0.5) scores 0.25 Brier, 0.693147 log loss; the default minimum "
                     "score is one unit better.")
    return "\n".join(head + lines + notes)
