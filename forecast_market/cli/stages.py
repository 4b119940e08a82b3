"""The five stages as `market` commands: preprocess, init, submit, reveal, evaluate, settle."""
from __future__ import annotations

from pathlib import Path

import click

from ml_models.metrics import METRICS

from ..protocol import BPS, MAX_WINNERS, SCORING_LIMITS
from ..stages import initialization, preprocessing, submission
from .context import Ctx, off_chain, on_chain

TASK, TERMS, TRAINING = preprocessing.DEFAULTS, initialization.DEFAULTS, submission.DEFAULTS
METRIC_NAMES = [m.name for m in METRICS.values()]
work_dir_option = click.option(
    "--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder for downloads, bundles and plots. Default: $FM_WORK_DIR/competition-<id>/<role> (FM_WORK_DIR: out).")


@click.command()
@click.argument("source", default=preprocessing.DEFAULT_SOURCE)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/dataset"))
@click.option("--target", help="Target column (default: the first column).")
@click.option("--test-size", default=TASK.test_size, show_default=True,
              help="Fraction of the rows, at the end, kept as the hidden test set.")
@click.option("--sequence-length", default=TASK.sequence_length, show_default=True, help="Input window in time steps.")
@click.option("--horizon", default=TASK.horizon, show_default=True, help="How many steps ahead to forecast.")
@click.option("--season", default=TASK.season, show_default=True,
              help="Season length in steps (for seasonal baselines and MASE).")
@click.option("--max-gap", default=TASK.max_gap, show_default=True,
              help="Longest run of missing steps filled by interpolation.")
@off_chain
def preprocess(source, out_dir, **options):
    """Organizer: fetch SOURCE, split it by time, publish the training bundle, keep the test set.

    \b
    SOURCE is one of:
      statsmodels:co2 | statsmodels:sunspots | statsmodels:elnino | statsmodels:macrodata
      pmdarima:taylor | pmdarima:msft | pmdarima:sunspots | matplotlib:goog   (shipped offline)
      csv:/path/to/file.csv                  (a date column and numeric columns)
      coingecko:<asset>                      (HTTP price API: price and volume; needs internet)
    """
    preprocessing.preprocess(source, out_dir, **options)


def _prize_split(ctx, param, value: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in value.split(","))
    except ValueError:
        raise click.BadParameter("give integers separated by commas, e.g. 7000,3000") from None


@click.command("init")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--reward", default="1", show_default=True, help="Reward in ETH, escrowed now.")
@click.option("--metric", default=TERMS.metric, show_default=True, type=click.Choice(METRIC_NAMES))
@click.option("--min-score", type=float, default=None, help="A score must meet this to win (metric units). Default: any.")
@click.option("--prizes", "prize_bps", default=",".join(map(str, TERMS.prize_bps)), show_default=True,
              callback=_prize_split,
              help=f"Shares of ranks 1..k in basis points, summing to {BPS} (k <= {MAX_WINNERS}).")
@click.option("--deposit", default="0", show_default=True, help="Entry deposit in ETH, returned on reveal.")
@click.option("--submission-hours", default=TERMS.submission_s / 3600, show_default=True)
@click.option("--reveal-hours", default=TERMS.reveal_s / 3600, show_default=True)
@click.option("--evaluation-hours", default=TERMS.evaluation_s / 3600, show_default=True)
@on_chain
def init(ctx: Ctx, dataset_dir, reward, deposit, submission_hours, reveal_hours, evaluation_hours, **terms):
    """Organizer: create a competition from a preprocessed DATASET_DIR."""
    from brownie import web3

    comp_id = initialization.initialize(
        ctx.market(), ctx.account(0), dataset_dir, reward_wei=web3.to_wei(reward, "ether"),
        deposit_wei=web3.to_wei(deposit, "ether"), submission_s=int(submission_hours * 3600),
        reveal_s=int(reveal_hours * 3600), evaluation_s=int(evaluation_hours * 3600), **terms)
    click.echo(comp_id)


@click.command()
@click.argument("competition_id", type=int)
@click.option("--strategy", type=click.Choice(list(submission.STRATEGIES)), default="tuned", show_default=True,
              help="; ".join(f"{name}: {what}" for name, what in submission.STRATEGIES.items()) + ".")
@click.option("--trials", default=TRAINING.trials, show_default=True, help="Tuning: at most this many trials.")
@click.option("--budget", "budget_s", default=TRAINING.budget_s, show_default=True,
              help="Tuning: at most this many seconds.")
@click.option("--epochs", default=TRAINING.epochs, show_default=True,
              help="Training epochs (early stopping may end sooner).")
@click.option("--seed", default=TRAINING.seed, show_default=True)
@click.option("--optuna-storage", "storage", default=None,
              help="Optuna storage URL; a PostgreSQL URL lets several machines search one study. "
                   "Default: $OPTUNA_STORAGE, else SQLite in the work dir.")
@work_dir_option
@on_chain
def submit(ctx: Ctx, competition_id, strategy, work_dir, **options):
    """Participant: download the data, tune and train, publish the bundle, save the salt, commit."""
    submission.submit(ctx.market(), ctx.account(1), competition_id, strategy, work_dir=work_dir, **options)


@click.command()
@click.argument("competition_id", type=int)
@on_chain
def reveal(ctx: Ctx, competition_id):
    """Participant: reveal the committed model with the salt saved by `submit`."""
    submission.reveal(ctx.market(), ctx.account(1), competition_id)


@click.command()
@click.argument("competition_id", type=int)
@click.option("--no-finalize", is_flag=True, help="Post the scores but do not finalize yet.")
@click.option("--timeout", "timeout_s", default=SCORING_LIMITS.timeout_s, show_default=True,
              help="Seconds allowed to score one bundle.")
@click.option("--memory-mb", default=SCORING_LIMITS.memory_mb, show_default=True,
              help="Address-space limit of one scoring process.")
@work_dir_option
@on_chain
def evaluate(ctx: Ctx, competition_id, no_finalize, **options):
    """Organizer: reveal the test set; once reveals close, score every bundle, post, finalize.

    Run it during the reveal phase to publish the test set, and again in the evaluation phase.
    """
    from ..stages.evaluation import evaluate as run

    run(ctx.market(), ctx.account(0), competition_id, finalize=not no_finalize, **options)


@click.command()
@click.argument("competition_id", type=int, required=False)
@on_chain
def settle(ctx: Ctx, competition_id):
    """Anyone: withdraw what you are owed; after an unfinished competition's evaluation deadline,
    settle it without evaluation and claim your share first."""
    from ..stages.final import settle as run

    run(ctx.market(), ctx.account(0), competition_id)
