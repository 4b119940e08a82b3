"""The five stages as `market` commands: preprocess, init, submit, reveal, evaluate, settle."""
from __future__ import annotations

from pathlib import Path

import click

from ml_models.metrics import METRICS

from ..protocol import BPS, MAX_WINNERS, SCORING_LIMITS
from ..stages import evaluation, initialization, preprocessing, submission
from .context import Ctx, off_chain, on_chain
from .params import COMPETITION_ID, Ether, Hours

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
              type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Fraction of the rows, at the end, kept as the hidden test set.")
@click.option("--sequence-length", default=TASK.sequence_length, show_default=True, type=click.IntRange(min=1),
              help="Input window in time steps.")
@click.option("--horizon", default=TASK.horizon, show_default=True, type=click.IntRange(min=1),
              help="How many steps ahead to forecast.")
@click.option("--season", default=TASK.season, show_default=True, type=click.IntRange(min=1),
              help="Season length in steps (for seasonal baselines and MASE).")
@click.option("--max-gap", default=TASK.max_gap, show_default=True, type=click.IntRange(min=0),
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
        shares = tuple(int(p) for p in value.split(","))
    except ValueError:
        raise click.BadParameter("give integers separated by commas, e.g. 7000,3000") from None
    if not 1 <= len(shares) <= MAX_WINNERS or any(not 0 < b <= BPS for b in shares) or sum(shares) != BPS:
        raise click.BadParameter(f"give 1 to {MAX_WINNERS} positive shares in basis points summing to {BPS}, "
                                 "e.g. 7000,3000")
    return shares


@click.command("init")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--reward", "reward_wei", default="1", show_default=True, type=Ether(positive=True),
              help="Reward in ETH, escrowed now.")
@click.option("--metric", default=TERMS.metric, show_default=True, type=click.Choice(METRIC_NAMES))
@click.option("--min-score", type=float, default=None, help="A score must meet this to win (metric units). Default: any.")
@click.option("--prizes", "prize_bps", default=",".join(map(str, TERMS.prize_bps)), show_default=True,
              callback=_prize_split,
              help=f"Shares of ranks 1..k in basis points, summing to {BPS} (k <= {MAX_WINNERS}).")
@click.option("--deposit", "deposit_wei", default="0", show_default=True, type=Ether(),
              help="Entry deposit in ETH, held until settlement: returned to entries that reveal a model that "
                   "loads and scores, forfeited by the others.")
@click.option("--submission-hours", "submission_s", default=TERMS.submission_s / 3600, show_default=True, type=Hours(),
              help="How long participants may commit, from now.")
@click.option("--reveal-hours", "reveal_s", default=TERMS.reveal_s / 3600, show_default=True, type=Hours(),
              help="How long they may reveal after the submission deadline (at least 1).")
@click.option("--evaluation-hours", "evaluation_s", default=TERMS.evaluation_s / 3600, show_default=True, type=Hours(),
              help="How long the organizer may score after the reveal deadline (at least 1).")
@click.option("--again", is_flag=True,
              help="Create another competition from a dataset this organizer already used on this market. "
                   "Without it, running init again prints the existing competition's id and sends nothing, "
                   "so a retry never escrows a second reward.")
@on_chain
def init(ctx: Ctx, dataset_dir, reward_wei, again, **terms):
    """Organizer: create a competition from a preprocessed DATASET_DIR."""
    comp_id = initialization.initialize(ctx.market(), ctx.account(0), dataset_dir, reward_wei=reward_wei,
                                        again=again, **terms)
    click.echo(comp_id)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.option("--strategy", type=click.Choice(list(submission.STRATEGIES)), default="tuned", show_default=True,
              help="; ".join(f"{name}: {what}" for name, what in submission.STRATEGIES.items()) + ".")
@click.option("--trials", default=TRAINING.trials, show_default=True, type=click.IntRange(min=1),
              help="Tuning: at most this many trials.")
@click.option("--budget", "budget_s", default=TRAINING.budget_s, show_default=True, type=click.FloatRange(min=1),
              help="Tuning: at most this many seconds.")
@click.option("--epochs", default=TRAINING.epochs, show_default=True, type=click.IntRange(min=1),
              help="Training epochs (early stopping may end sooner).")
@click.option("--seed", default=TRAINING.seed, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="Random seed of tuning and training: the same seed gives the same model.")
@click.option("--optuna-storage", "storage", default=None,
              help="Optuna storage URL; a PostgreSQL URL lets several machines search one study. "
                   "Default: $OPTUNA_STORAGE, else SQLite in the work dir.")
@click.option("--search-space", "search_space", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Tuning: a JSON search space, e.g. examples/search_space.json: ModelSpec fields mapped to "
                   '{"low": L, "high": H[, "log": true]} or {"choices": [...]}. Checked before any download.')
@work_dir_option
@on_chain
def submit(ctx: Ctx, competition_id, strategy, work_dir, **options):
    """Participant: download the data, tune and train, publish the bundle, save the salt, commit."""
    submission.submit(ctx.market(), ctx.account(1), competition_id, strategy, work_dir=work_dir, **options)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@on_chain
def reveal(ctx: Ctx, competition_id):
    """Participant: reveal the committed model with the salt saved by `submit`."""
    submission.reveal(ctx.market(), ctx.account(1), competition_id)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.option("--no-finalize", is_flag=True, help="Post the scores but do not finalize yet.")
@click.option("--timeout", "timeout_s", default=SCORING_LIMITS.timeout_s, show_default=True, type=click.FloatRange(min=1),
              help="Seconds allowed to score one bundle.")
@click.option("--memory-mb", default=SCORING_LIMITS.memory_mb, show_default=True, type=click.IntRange(min=256),
              help="Address-space limit of one scoring process.")
@click.option("--margin", "margin_s", default=evaluation.MARGIN_S, show_default=True, type=click.FloatRange(min=0),
              help="Seconds kept free before the evaluation deadline to post and finalize: scoring stops then, "
                   "and unfinished entries are posted as failed.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Bundles fetched and scored at once. Default: the number of CPUs, at most 4.")
@work_dir_option
@on_chain
def evaluate(ctx: Ctx, competition_id, no_finalize, **options):
    """Organizer: once reveals close, reveal the test set, score every bundle, post, finalize.

    Scoring runs several bundles at once, each in its own resource-limited process, and stops
    --margin seconds before the evaluation deadline. Running it again resumes: scores already
    posted are not computed again.
    """
    from ..stages.evaluation import evaluate as run

    run(ctx.market(), ctx.account(0), competition_id, finalize=not no_finalize, **options)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID, required=False)
@on_chain
def settle(ctx: Ctx, competition_id):
    """Anyone: withdraw what you are owed; after an unfinished competition's evaluation deadline,
    settle it without evaluation and claim your share first."""
    from ..stages.final import settle as run

    run(ctx.market(), ctx.account(0), competition_id)
