"""The five stages as `market` commands: preprocess, init, submit, reveal, evaluate, settle."""
from __future__ import annotations

from pathlib import Path

import click

from ml_models.metrics import METRICS

from ..protocol import BPS, MAX_WINDOW_S, MAX_WINNERS, MIN_WINDOW_S, SCORING_LIMITS
from ..stages import evaluation, initialization, preprocessing, submission
from .context import Ctx, off_chain, on_chain
from .output import emit, routed
from .params import COMPETITION_ID, Ether, Hours

TASK, TERMS, TRAINING = preprocessing.DEFAULTS, initialization.DEFAULTS, submission.DEFAULTS
METRIC_NAMES = [m.name for m in METRICS.values()]
work_dir_option = click.option(
    "--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder for downloads, bundles and plots. Default: $FM_WORK_DIR/competition-<id>/<role> (FM_WORK_DIR: out).")


def _names(ctx, param, value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",")]
    if not all(names):
        raise click.BadParameter("give column names separated by commas, e.g. timestamp,price,volume,market_cap")
    return names


@click.command()
@click.argument("source", required=False)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--source", "more_sources", multiple=True, metavar="NAME=SOURCE",
              help="Another series to join on time; repeat it. Its columns are prefixed NAME_ "
                   "(e.g. --source btc=csv:btc.csv --source eth=csv:eth.csv gives btc_price, eth_price, ...). "
                   "With --source, a single argument is OUT_DIR.")
@click.option("--target", help="Target column (default: the first column).")
@click.option("--features", metavar="COL,COL|all",
              help="Input columns besides the target: names separated by commas, or 'all'. "
                   "Default: the target only. The kept and dropped columns are printed.")
@click.option("--header/--no-header", default=None,
              help="CSV sources: whether the first row names the columns. Default: detected (a first row "
                   "that parses like the rows under it is data); an unclear first row is an error naming this option.")
@click.option("--columns", callback=_names, metavar="NAME,NAME,...",
              help="CSV sources without a header row: the column names, in order (default: col1, col2, ...).")
@click.option("--date-column", help="CSV sources: the time column. Default: a column named date, time, timestamp, "
                                    "datetime, period or year, else the first. Numbers in it are read as years (with "
                                    "a quarter or month column: those periods), YYYYMMDD, or Unix times in s, ms, us "
                                    "or ns.")
@click.option("--test-size", default=TASK.test_size, show_default=True,
              type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Fraction of the rows, at the end, kept as the hidden test set.")
@click.option("--sequence-length", type=click.IntRange(min=1),
              help=f"Input window in time steps. Default: {preprocessing.DEFAULT_SEQUENCE_LENGTH}, or the "
                   "seasonal naive baseline's look-back if longer. Refused, with the largest that works, when the "
                   "training rows cannot hold it.")
@click.option("--horizon", default=TASK.horizon, show_default=True, type=click.IntRange(min=1),
              help="How many steps ahead to forecast.")
@click.option("--task", default=TASK.task, show_default=True, type=click.Choice(["regression", "direction"]),
              help="regression: forecast the target's value HORIZON steps ahead. direction: forecast the "
                   "probability that the target rises over the next HORIZON steps (models end in a sigmoid; "
                   "scored with the Brier score or log loss, see `market init --help`).")
@click.option("--season", type=click.IntRange(min=1),
              help="Season length in steps (seasonal baselines and MASE). Default: from the frequency: "
                   "5-minute 288 (a day), hourly 24, daily 7, business daily 5, weekly 52, monthly 12, "
                   "quarterly 4, yearly 1 (non-seasonal).")
@click.option("--max-gap", default=TASK.max_gap, show_default=True, type=click.IntRange(min=0),
              help="Longest run of missing steps filled by interpolation.")
@off_chain
def preprocess(source, out_dir, more_sources, **options):
    """Organizer: fetch SOURCE, split it by time, publish the training bundle, keep the test set.

    \b
    SOURCE is one of:
      statsmodels:co2 | statsmodels:sunspots | statsmodels:elnino | statsmodels:macrodata
      pmdarima:taylor | pmdarima:msft | pmdarima:sunspots | matplotlib:goog   (shipped offline)
      csv:/path/to/file.csv  or a path       (a time column and numeric columns; header optional)
      coingecko:<asset>                      (HTTP price API: price and volume; needs internet)
      NAME=SOURCE                            (one of several joined on time, see --source)

    \b
    Several sources are inner-joined on time; the rows the join drops are counted:
      market preprocess --source btc=btc.csv --source eth=eth.csv out/coins \\
        --no-header --columns timestamp,price,volume,market_cap --features all
    OUT_DIR defaults to out/dataset.
    """
    sources = list(more_sources)
    if sources and out_dir is None and source is not None:
        source, out_dir = None, Path(source)  # with --source, a single argument is OUT_DIR
    if source is not None:
        sources.insert(0, source)
    preprocessing.preprocess(sources or preprocessing.DEFAULT_SOURCE, out_dir or Path("out/dataset"), **options)


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
@click.option("--metric", default=None, type=click.Choice(METRIC_NAMES),
              help="How forecasts are scored on the hidden test set. Regression tasks: rmse (root mean squared "
                   "error, the default), mae (mean absolute error), mase (MAE divided by a seasonal naive "
                   "forecast's MAE on the training data), smape (symmetric mean absolute percentage error, 0-200), "
                   "all lower-is-better; directional_accuracy (share of rises or falls over the horizon forecast "
                   "right, 0-1, higher-is-better). The direction task: brier (default) or log_loss, proper scoring "
                   "rules on the forecast probability, lower is better, so an honest probability beats a confident "
                   "guess and models do not tie on a hit rate.")
@click.option("--min-score", type=float, default=None,
              help="A score must meet this to win (metric units). Default for regression: any score. Default for "
                   "the direction task: strictly better than the coin flip (always 0.5), which scores 0.25 Brier "
                   "or 0.693147 log loss on any data; so a model that says nothing never wins. Ties between equal "
                   "scores (integers with 6 decimals) go to the earlier commitment.")
@click.option("--prizes", "prize_bps", default=",".join(map(str, TERMS.prize_bps)), show_default=True,
              callback=_prize_split,
              help=f"Shares of ranks 1..k in basis points, summing to {BPS} (k <= {MAX_WINNERS}).")
@click.option("--deposit", "deposit_wei", default="0", show_default=True, type=Ether(),
              help="Entry deposit in ETH, held until settlement: returned to entries that reveal a model that "
                   "loads and scores, forfeited by the others.")
@click.option("--submission-hours", "submission_s", default=TERMS.submission_s / 3600, show_default=True,
              type=Hours(maximum_s=MAX_WINDOW_S, what="the submission window"),
              help="How long participants may commit, from now (up to 90 days). Fractions work: 0.5 is 30 minutes.")
@click.option("--reveal-hours", "reveal_s", default=TERMS.reveal_s / 3600, show_default=True,
              type=Hours(minimum_s=MIN_WINDOW_S, maximum_s=MAX_WINDOW_S, what="the reveal window"),
              help="How long participants may reveal after the submission deadline (1 hour to 90 days).")
@click.option("--evaluation-hours", "evaluation_s", default=None,
              type=Hours(minimum_s=MIN_WINDOW_S, maximum_s=MAX_WINDOW_S, what="the evaluation window"),
              help="How long the organizer may score after the reveal deadline (1 hour to 90 days); after it, "
                   "anyone can settle the competition without evaluation. Default 12, or 48 with --organizer-bond: "
                   "a bonded competition needs at least 30, so that `market evaluate` can request on chain the "
                   "weights of a bundle it cannot fetch (the participant has a day to publish them) and still score.")
@click.option("--organizer-bond", "organizer_bond_wei", default="0", show_default=True, type=Ether(),
              help="Bond in ETH escrowed besides the reward; 0 (the default): an unbonded competition, whose scores "
                   "can be checked (`market verify`) but not overturned. With a bond, every posted score can be "
                   "challenged on chain during a 3-day window (`market challenge`); an organizer who posted a wrong "
                   "score loses its bond to the challenger and the score is replaced. Needs --metric rmse or mae; "
                   "participants must then submit recurrent networks (their weights are committed under a Merkle root).")
@click.option("--challenge-bond", "challenge_bond_wei", default=None, type=Ether(positive=True),
              help="Bonded competitions: what a challenger deposits to dispute a score, lost to the organizer if the "
                   "score stands. Default: the organizer bond.")
@click.option("--again", is_flag=True,
              help="Create another competition from a dataset this organizer already used on this market. "
                   "Without it, running init again prints the existing competition's id and sends nothing, "
                   "so a retry never escrows a second reward.")
@on_chain
def init(ctx: Ctx, dataset_dir, reward_wei, again, **terms):
    """Organizer: create a competition from a preprocessed DATASET_DIR; prints its id alone on stdout
    (`ID=$(market init ...)`), the details on stderr.

    A window, horizon or season that the published training rows cannot train every strategy
    with is refused, naming the largest value that works, before any reward is escrowed.
    """
    with routed(results_only=True):
        comp_id = initialization.initialize(ctx.market(), ctx.account(0), dataset_dir, reward_wei=reward_wei,
                                            again=again, **terms)
        emit(comp_id)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@on_chain
def cancel(ctx: Ctx, competition_id):
    """Organizer: withdraw a competition nobody has entered yet; the reward is credited back to you
    (`market settle` withdraws it). Refused once anyone has committed."""
    from ..chain import competition, transact
    from ..show import eth

    market, organizer = ctx.market(), ctx.account(0)
    comp = competition(market, competition_id)
    transact(market.cancel, competition_id, sender=organizer)
    emit(f"competition {competition_id} cancelled; its reward of {eth(comp['reward'])} is credited to "
         f"{organizer.address}: `market settle` withdraws it")


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.option("--strategy", type=click.Choice(list(submission.STRATEGIES)), default=None,
              help="; ".join(f"{name}: {what}" for name, what in submission.STRATEGIES.items())
                   + ". Default: tuned, unless --spec or --bundle is given.")
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Train your own model: a JSON model spec in the whitelisted family (see examples/spec.json and "
                   "README, 'Bring your own model'). Fields left out take the competition's sequence length, "
                   "horizon, season and task, then the defaults. Every problem is listed, one line each, before "
                   "anything is trained or sent.")
@click.option("--bundle", "bundle_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Submit a network trained elsewhere: a bundle folder (spec.json + weights.safetensors, as "
                   "ml_models.save_bundle writes it). It is checked exactly as the evaluator loads bundles (no "
                   "code, whitelisted layers, int64 fixed-point tensors of the right names and shapes) and run on the "
                   "training data in the evaluator's sandbox; an invalid bundle is refused before anything is "
                   "published or sent. Check it first with `market backtest ID --bundle DIR`.")
@click.option("--trials", default=TRAINING.trials, show_default=True, type=click.IntRange(min=1),
              help="Tuning: at most this many trials.")
@click.option("--budget", "budget_s", default=TRAINING.budget_s, show_default=True, type=click.FloatRange(min=1),
              help="Tuning: the search's seconds. Then the best spec trains again with two more seeds on the "
                   "search's folds (about two of its trials' time) and the best seed is kept.")
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
def submit(ctx: Ctx, competition_id, strategy, spec_file, bundle_dir, work_dir, **options):
    """Participant: download the data, tune and train (or bring your own spec or trained bundle), publish the
    bundle, save the salt, commit."""
    _one_model_source(strategy, spec_file, bundle_dir)
    submission.submit(ctx.market(), ctx.account(1), competition_id, strategy or "tuned", work_dir=work_dir,
                      spec_file=spec_file, bundle_dir=bundle_dir, **options)


def _one_model_source(strategy, spec_file, bundle_dir) -> None:
    """At most one of --strategy, --spec, --bundle (a usage error, exit 2, otherwise)."""
    given = [name for name, value in (("--strategy", strategy), ("--spec", spec_file), ("--bundle", bundle_dir))
             if value is not None]
    if len(given) > 1:
        raise click.UsageError(f"give one of --strategy, --spec or --bundle, not {' and '.join(given)}")


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
              help="Address-space limit of one scoring worker process (numpy only: no TensorFlow is loaded).")
@click.option("--margin", "margin_s", default=evaluation.MARGIN_S, show_default=True, type=click.FloatRange(min=0),
              help="Seconds kept free before the evaluation deadline to post and finalize: scoring stops then, "
                   "and unfinished entries are posted as failed.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Scoring worker processes, each scoring a share of the bundles. Default: the number of CPUs.")
@work_dir_option
@on_chain
def evaluate(ctx: Ctx, competition_id, no_finalize, **options):
    """Organizer: once reveals close, reveal the test set, score every bundle, post, finalize.

    Scores are computed exactly, in fixed-point integers, by resource-limited worker processes
    (one per CPU, each scoring a share of the bundles; a bundle that crashes or hangs fails alone)
    and scoring stops --margin seconds before the evaluation deadline. Running it again resumes:
    scores already posted are not computed again.
    """
    from ..reader import reader_for
    from ..show import leaderboard_lines
    from ..stages.evaluation import evaluate as run
    from ..views import leaderboard_view

    market = ctx.market()
    result = run(market, ctx.account(0), competition_id, finalize=not no_finalize, **options)
    if result["rows"]:
        emit("\n".join(leaderboard_lines(leaderboard_view(reader_for(market), competition_id))))


@click.command()
@click.argument("competition_id", type=COMPETITION_ID, required=False)
@on_chain
def settle(ctx: Ctx, competition_id):
    """Anyone: withdraw what you are owed; after an unfinished competition's evaluation deadline,
    settle it without evaluation and claim your share first; a bonded competition whose challenge
    window has closed (no dispute open) is finalized first."""
    from ..stages.final import settle as run

    run(ctx.market(), ctx.account(0), competition_id)
