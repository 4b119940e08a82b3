"""`market backtest`: score a model by walk-forward validation on the training data before committing it."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ml_models.metrics import METRICS

from ..stages.submission import DEFAULTS
from .context import Ctx, one_line_errors
from .params import COMPETITION_ID


@click.command()
@click.argument("competition_id", type=COMPETITION_ID, required=False)
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Backtest on a local dataset instead of a competition's: the folder `market preprocess` wrote "
                   "(its train/ part is used) or a training bundle. No chain needed.")
@click.option("--strategy", type=click.Choice(["default", "naive", "seasonal_naive"]), default=None,
              help="What to backtest: default (an untuned LSTM) unless --spec or --bundle is given. naive and "
                   "seasonal naive are always in the table.")
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Backtest a JSON model spec (trained afresh on the rows before each fold), as `submit --spec`.")
@click.option("--bundle", "bundle_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Backtest a bundle trained elsewhere, as `submit --bundle`: it runs as it is in the evaluator's "
                   "sandbox on every fold (in-sample if it was trained on these rows).")
@click.option("--metric", type=click.Choice([m.name for m in METRICS.values()]), default=None,
              help="With --data: the metric (default: rmse, or brier for the direction task). A competition "
                   "always uses its own.")
@click.option("--folds", default=3, show_default=True, type=click.IntRange(1, 20),
              help="Consecutive validation blocks at the end of the training data; each is forecast from the "
                   "rows before it.")
@click.option("--val-fraction", default=0.2, show_default=True, type=click.FloatRange(0, 0.9, min_open=True),
              help="Fraction of the training rows the folds forecast.")
@click.option("--epochs", default=DEFAULTS.epochs, show_default=True, type=click.IntRange(min=1),
              help="Training epochs of the default LSTM on each fold.")
@click.option("--seed", default=DEFAULTS.seed, show_default=True, type=click.IntRange(0, 2**31 - 1),
              help="Random seed of the training on each fold: the same seed gives the same table.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (for scripts).")
@click.pass_obj
def backtest(ctx: Ctx, competition_id, data_dir, strategy, spec_file, bundle_dir, metric, as_json, **options):
    """Participant: score a strategy, spec or bundle by walk-forward validation on the published
    training data, in the competition's metric, next to naive and seasonal naive. Sends nothing.

    \b
    Examples:
      market backtest 1                              # the default LSTM against the baselines
      market backtest 1 --spec examples/spec.json   # your own spec
      market backtest 1 --bundle my-bundle/          # a network trained elsewhere, before `submit --bundle`
      market backtest --data out/dataset --json      # a local dataset, no chain
    """
    from ..backtest import backtest_competition, backtest_dataset, table
    from .stages import _one_model_source

    _one_model_source(strategy, spec_file, bundle_dir)
    if (competition_id is None) == (data_dir is None):
        raise click.UsageError("give a COMPETITION_ID or --data DIR (one of them)")
    if metric is not None and data_dir is None:
        raise click.UsageError("--metric goes with --data; a competition is backtested in its own metric")
    choice = {"strategy": strategy, "spec_file": spec_file, "bundle_dir": bundle_dir, "progress": not as_json}
    with one_line_errors():
        if data_dir is not None:
            result = backtest_dataset(data_dir, metric=metric, **choice, **options)
        else:
            ctx.connect(needs_key=False)
            result = backtest_competition(ctx.market(), competition_id, **choice, **options)
    click.echo(json.dumps(result, indent=2) if as_json else table(result))


@click.command("upgrade-bundle")
@click.argument("old", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(file_okay=False, path_type=Path))
def upgrade_bundle(old, new):
    """Participant: re-export a version 1 bundle (float32 weights) as version 2, the one evaluators score.

    Version 2 holds the weights and scaler statistics as int64 fixed point (Q39.24): the float32
    values are quantized once, exactly and deterministically, so anyone upgrading the same bundle
    gets the same bytes. OLD is checked as strictly as any bundle; NEW must be a new or empty
    folder. Same as `python -m ml_models.bundle upgrade OLD NEW`."""
    from ml_models.bundle import BUNDLE_VERSION
    from ml_models.bundle import upgrade_bundle as run

    with one_line_errors():
        run(old, new)
        click.echo(f"wrote the version {BUNDLE_VERSION} bundle {new}")
