"""Bonded competitions after scoring: `market finalize`, `market challenge`, `market defend`,
`market publish-weights`."""
from __future__ import annotations

import sys

import click

from .context import Ctx, on_chain
from .output import emit, emit_json, routed
from .params import COMPETITION_ID, Address

#: Exit code: a dispute this command played ended lost.
EXIT_LOST = 4
#: Exit code: a dispute is still open (--wait passed); run the command again to go on.
EXIT_OPEN = 5



def game_options(work_help: str):
    """--json, --poll, --wait and --work-dir, shared by challenge and defend."""
    options = [
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts (scores x 1e6)."),
        click.option("--poll", "poll_s", default=2.0, show_default=True, type=click.FloatRange(min=0),
                     help="Seconds between reads of the chain while the other side is to move."),
        click.option("--wait", "wait_s", default=None, type=click.FloatRange(min=0),
                     help="Stop after this many seconds if a dispute still awaits the other side (exit 5; run again "
                          "to go on). Default: play to the end, however long the other side takes."),
        click.option("--work-dir", type=click.Path(file_okay=False), default=None, help=work_help),
    ]

    def decorate(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _finish(result: dict, as_json: bool) -> None:
    emit_json(result) if as_json else emit(result["message"])
    if result.get("status") == "lost" or any(d.get("status") == "lost" for d in result.get("disputes", [])):
        sys.exit(EXIT_LOST)
    if result.get("status") == "open":
        sys.exit(EXIT_OPEN)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@on_chain
def finalize(ctx: Ctx, competition_id):
    """Anyone: pay the winners of a scored competition. A bonded competition can be finalized only once its
    challenge window has closed and no dispute is open (`market status` shows when)."""
    from ..stages.dispute import finalize as run

    emit(run(ctx.market(), ctx.account(0), competition_id)["message"])


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@click.argument("participant", type=Address())
@game_options("Folder for the downloaded test set and bundle. Default: $FM_WORK_DIR/competition-<id>/<you>.")
@on_chain
def challenge(ctx: Ctx, competition_id, participant, as_json, poll_s, wait_s, work_dir):
    """Anyone: recompute PARTICIPANT's score in a bonded competition and, if the score on chain is wrong
    (or PARTICIPANT was posted as failed but its model runs), dispute it and play the dispute to its end.

    \b
    The test set and the bundle are fetched by the CIDs on chain and checked against their
    digests and Merkle roots, and the bundle is scored exactly (integers). If its score equals
    the one on chain, nothing is sent (exit 0). Otherwise the evaluation is replayed step by
    step, a dispute is opened with the challenge bond (its sums are your claim), and the command
    answers every bisection of the defender until one step is executed on chain, or ends the
    dispute when the defender misses a move. Winning replaces the score with yours and pays you
    the defender's bond. Running it again resumes a dispute already open.
    A failure is disputed with the roles reversed: you claim the model's sums and defend them, the
    organizer must find a wrong step or prove the model cannot run. A failure whose model cannot
    run (or whose weights were requested and never published) is confirmed and nothing is sent.
    Exit codes: 0 confirmed or won; 1 error; 4 lost (the bond goes to the defender); 5 still open (--wait).
    """
    from ..stages.dispute import challenge as run

    with routed(results_only=True):
        result = run(ctx.market(), ctx.account(1), competition_id, participant, work_dir=work_dir, poll_s=poll_s,
                     wait_s=wait_s)
        _finish(result, as_json)


@click.command()
@click.argument("competition_id", type=COMPETITION_ID)
@game_options("Folder for the downloaded test set and bundles. Default: $FM_WORK_DIR/competition-<id>/organizer.")
@on_chain
def defend(ctx: Ctx, competition_id, as_json, poll_s, wait_s, work_dir):
    """Organizer: answer every open dispute about your scores in COMPETITION_ID (the sums, each bisection,
    the last step) until none is open, and about the failures you posted (prove the model cannot run,
    or challenge the claimant's bisection). Run it when `market status` shows a dispute; a dispute not
    answered within a day is lost, with the bond.
    Exit codes: 0 none open; 1 error; 4 a dispute was lost; 5 disputes still open (--wait).
    """
    from ..stages.dispute import defend as run

    with routed(results_only=True):
        result = run(ctx.market(), ctx.account(0), competition_id, work_dir=work_dir, poll_s=poll_s, wait_s=wait_s)
        _finish(result, as_json)


@click.command(name="publish-weights")
@click.argument("competition_id", type=COMPETITION_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.option("--work-dir", type=click.Path(file_okay=False), default=None,
              help="Your folder for this competition (where `market submit` saved submission.json) and the downloads. "
                   "Default: $FM_WORK_DIR/competition-<id>/<you>.")
@click.option("--bundle", type=click.Path(file_okay=False), default=None,
              help="The bundle folder to publish (it must hash to your revealed weights root). Default: the one "
                   "recorded in the work folder's submission.json, else your revealed bundle fetched from IPFS.")
@on_chain
def publish_weights(ctx: Ctx, competition_id, as_json, work_dir, bundle):
    """Participant: publish your model's weights on chain, when the organizer of a bonded competition
    requested them (it could not use your bundle; `market status` shows the request and its deadline).

    \b
    Your bundle (the saved one, or the revealed one fetched by its CID) is checked against your
    revealed weights root, every leaf of its weights tree is sent as calldata (transactions of
    under 100 KB), then the contract rebuilds the tree and checks it against the root. The
    organizer then scores your model from the chain. Unanswered within a day, the request lets
    the organizer post your entry as failed, and that failure cannot be disputed.
    Exit codes: 0 published (or nothing requested); 1 error.
    """
    from ..stages.failures import publish_weights as run

    with routed(results_only=True):
        result = run(ctx.market(), ctx.account(1), competition_id, work_dir=work_dir, bundle=bundle)
        _finish(result, as_json)
